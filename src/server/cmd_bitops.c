/*
 * src/server/cmd_bitops.c: the bitmap commands over whole strings (BITCOUNT, BITPOS, BITOP), with
 * Redis 7.0's ranges (BYTE or BIT units, negative offsets from the end, clamped), replies and
 * errors, in Redis's order of checks. SETBIT and GETBIT are strings.c's (one bit in place).
 *
 * Values are read where the store keeps them, through fl_str_read_many's callback under the
 * key's lock (a large value is two spans: fl_value_t), without a copy. BITOP reads its sources
 * and writes its destination inside one store batch, so it is atomic as in Redis.
 */
#include "notify.h"
#include "srv_cmd.h"

#include <stdlib.h>
#include <string.h>

/* ---- Bits of a value (two spans) ------------------------------------------------------------ */

static unsigned char byte_at(fl_value_t v, size_t i)
{
    return (unsigned char)(i < v.head.n ? v.head.p[i] : v.tail.p[i - v.head.n]);
}

static uint64_t popcount_bytes(const char *p, size_t n)
{
    uint64_t count = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, sizeof(w));
        count += (uint64_t)__builtin_popcountll(w);
    }
    for (; i < n; i++)
        count += (uint64_t)__builtin_popcount((unsigned char)p[i]);
    return count;
}

/* Set bits in bit positions [from, to] of v (to < 8 * length). */
static uint64_t count_bits(fl_value_t v, uint64_t from, uint64_t to)
{
    size_t first = (size_t)(from >> 3), last = (size_t)(to >> 3);
    unsigned char lo_mask = (unsigned char)(0xffu >> (from & 7));     /* bits >= from in its byte */
    unsigned char hi_mask = (unsigned char)(0xffu << (7 - (to & 7))); /* bits <= to */
    if (first == last)
        return (uint64_t)__builtin_popcount(byte_at(v, first) & lo_mask & hi_mask);
    uint64_t count = (uint64_t)__builtin_popcount(byte_at(v, first) & lo_mask) +
                     (uint64_t)__builtin_popcount(byte_at(v, last) & hi_mask);
    fl_value_t mid = fl_value_sub(v, first + 1, last - first - 1);
    return count + popcount_bytes(mid.head.p, mid.head.n) + popcount_bytes(mid.tail.p, mid.tail.n);
}

/* The first bit position in [from, to] whose bit is `bit`, or -1. */
static long long find_bit(fl_value_t v, uint64_t from, uint64_t to, int bit)
{
    unsigned char skip = bit ? 0x00 : 0xff; /* a byte with no bit of interest */
    for (uint64_t pos = from; pos <= to;) {
        unsigned char b = byte_at(v, (size_t)(pos >> 3));
        if ((pos & 7) == 0 && pos + 7 <= to && b == skip) {
            pos += 8;
            continue;
        }
        if (((b >> (7 - (pos & 7))) & 1) == (unsigned)bit)
            return (long long)pos;
        pos++;
    }
    return -1;
}

/* ---- Ranges -----------------------------------------------------------------------------------
 */

/* A [start, end] range given in bytes or bits over a value of len bytes, as bit positions
 * [*from, *to] after Redis's conversion of negative offsets and clamping. False when empty. */
static bool bit_range(long long start, long long end, bool in_bits, size_t len, uint64_t *from,
                      uint64_t *to)
{
    long long total = in_bits ? (long long)len * 8 : (long long)len;
    if (start < 0)
        start += total;
    if (end < 0)
        end += total;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= total)
        end = total - 1;
    if (start > end)
        return false;
    *from = in_bits ? (uint64_t)start : (uint64_t)start * 8;
    *to = in_bits ? (uint64_t)end : (uint64_t)end * 8 + 7;
    return true;
}

/* BYTE or BIT at argv[i]; false (syntax error sent) otherwise. */
static bool parse_unit(srv_client_t *c, fl_slice_t arg, bool *in_bits)
{
    if (srv_slice_eq(arg, "bit"))
        *in_bits = true;
    else if (srv_slice_eq(arg, "byte"))
        *in_bits = false;
    else {
        srv_reply_syntax(c);
        return false;
    }
    return true;
}

/* ---- BITCOUNT / BITPOS --------------------------------------------------------------------------
 */

/* One key's value, read under its lock, handed to a command's reader with the parsed request. */
typedef struct bit_read {
    srv_client_t *c;
    int argc;
    const fl_slice_t *argv;
    int bit; /* BITPOS: the bit looked for (parsed before the read) */
    bool present;
    long long result;
    bool replied; /* the reader sent an error */
} bit_read_t;

static void bitcount_read(void *ctx, size_t i, fl_value_t v, bool present)
{
    (void)i;
    bit_read_t *r = ctx;
    r->present = present;
    r->result = 0;
    uint64_t from, to;
    long long start = 0, end = -1;
    bool in_bits = false;
    if (!present)
        return; /* 0, whatever the arguments (Redis looks the key up first) */
    if (r->argc == 4 || r->argc == 5) {
        if (!srv_arg_ll(r->c, r->argv[2], &start) || !srv_arg_ll(r->c, r->argv[3], &end)) {
            r->replied = true;
            return;
        }
        if (start < 0 && end < 0 && start > end)
            return;
        if (r->argc == 5 && !parse_unit(r->c, r->argv[4], &in_bits)) {
            r->replied = true;
            return;
        }
    } else if (r->argc != 2) {
        srv_reply_syntax(r->c);
        r->replied = true;
        return;
    }
    if (bit_range(start, end, in_bits, fl_value_len(v), &from, &to))
        r->result = (long long)count_bits(v, from, to);
}

static void bitpos_read(void *ctx, size_t i, fl_value_t v, bool present)
{
    (void)i;
    bit_read_t *r = ctx;
    int bit = r->bit;
    r->present = present;
    if (!present) {
        r->result = bit ? -1 : 0; /* an endless string of 0 bits */
        return;
    }
    long long start = 0, end = -1;
    bool in_bits = false, end_given = r->argc >= 5;
    if (r->argc >= 4 && r->argc <= 6) {
        if (!srv_arg_ll(r->c, r->argv[3], &start)) {
            r->replied = true;
            return;
        }
        if (r->argc == 6 && !parse_unit(r->c, r->argv[5], &in_bits)) {
            r->replied = true;
            return;
        }
        if (end_given && !srv_arg_ll(r->c, r->argv[4], &end)) {
            r->replied = true;
            return;
        }
    } else if (r->argc != 3) {
        srv_reply_syntax(r->c);
        r->replied = true;
        return;
    }
    uint64_t from, to;
    r->result = -1; /* an empty range holds neither a 0 nor a 1 */
    if (!bit_range(start, end, in_bits, fl_value_len(v), &from, &to))
        return;
    r->result = find_bit(v, from, to, bit);
    /* Without an end, the string continues with 0 bits past its last byte. */
    if (r->result < 0 && bit == 0 && !end_given)
        r->result = (long long)to + 1;
}

static void bit_read_reply(srv_client_t *c, int argc, const fl_slice_t *argv, int bit,
                           fl_value_fn fn)
{
    bit_read_t r = {c, argc, argv, bit, false, 0, false};
    size_t mark = c->out.len;
    int rc = fl_str_read_many(c->ns, &argv[1], 1, fn, &r);
    if (rc != FL_OK) {
        c->out.len = mark; /* nothing the reader said stands before the store's error */
        srv_reply_status(c, rc);
        return;
    }
    if (!r.replied)
        srv_reply_int(&c->out, r.result);
}

/* BITCOUNT key [start end [BYTE|BIT]] */
static void cmd_bitcount(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bit_read_reply(c, argc, argv, 0, bitcount_read);
}

/* BITPOS key bit [start [end [BYTE|BIT]]] */
static void cmd_bitpos(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long bit;
    if (!srv_arg_ll(c, argv[2], &bit))
        return;
    if (bit != 0 && bit != 1) {
        srv_reply_error(&c->out, "ERR The bit argument must be 1 or 0.");
        return;
    }
    bit_read_reply(c, argc, argv, (int)bit, bitpos_read);
}

/* ---- BITOP
 * --------------------------------------------------------------------------------------- */

typedef enum { OP_AND, OP_OR, OP_XOR, OP_NOT } bit_op_t;

/* The result being built over the sources, in argument order. */
typedef struct bitop_acc {
    bit_op_t op;
    unsigned char *out;
    size_t len; /* the longest source: the result's length */
} bitop_acc_t;

static void bitop_read(void *ctx, size_t i, fl_value_t v, bool present)
{
    bitop_acc_t *a = ctx;
    size_t n = present ? fl_value_len(v) : 0;
    for (size_t j = 0; j < a->len; j++) {
        unsigned char b = j < n ? byte_at(v, j) : 0; /* shorter sources end in 0 bytes */
        if (a->op == OP_NOT)
            a->out[j] = (unsigned char)~b;
        else if (i == 0)
            a->out[j] = b;
        else if (a->op == OP_AND)
            a->out[j] &= b;
        else if (a->op == OP_OR)
            a->out[j] |= b;
        else
            a->out[j] ^= b;
    }
}

static void longest(void *ctx, size_t i, fl_value_t v, bool present)
{
    (void)i;
    size_t *len = ctx;
    if (present && fl_value_len(v) > *len)
        *len = fl_value_len(v);
}

/* BITOP AND|OR|XOR|NOT destkey key [key ...]: the result's length (0: destkey deleted). */
static void cmd_bitop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bit_op_t op;
    if (srv_slice_eq(argv[1], "and"))
        op = OP_AND;
    else if (srv_slice_eq(argv[1], "or"))
        op = OP_OR;
    else if (srv_slice_eq(argv[1], "xor"))
        op = OP_XOR;
    else if (srv_slice_eq(argv[1], "not"))
        op = OP_NOT;
    else {
        srv_reply_syntax(c);
        return;
    }
    if (op == OP_NOT && argc != 4) {
        srv_reply_error(&c->out, "ERR BITOP NOT must be called with a single source key.");
        return;
    }
    size_t nsrc = (size_t)argc - 3;
    fl_batch_key_t *keys = malloc((nsrc + 1) * sizeof(*keys));
    if (!keys) {
        srv_reply_status(c, FL_ENOMEM);
        return;
    }
    for (size_t i = 0; i < nsrc + 1; i++)
        keys[i] = (fl_batch_key_t){c->ns, argv[2 + i]};
    bool own = !fl_batch_active(); /* inside EXEC or a script, their batch holds everything */
    if (own && fl_batch_begin(c->srv->store, keys, nsrc + 1, false) != FL_OK) {
        free(keys);
        srv_reply_status(c, FL_ENOMEM);
        return;
    }
    bitop_acc_t a = {op, NULL, 0};
    int rc = fl_str_read_many(c->ns, &argv[3], nsrc, longest, &a.len);
    if (rc == FL_OK && a.len && !(a.out = malloc(a.len)))
        rc = FL_ENOMEM;
    if (rc == FL_OK && a.len)
        rc = fl_str_read_many(c->ns, &argv[3], nsrc, bitop_read, &a);
    bool deleted = false;
    if (rc == FL_OK && a.len)
        rc = fl_str_set(c->ns, argv[2], (fl_slice_t){(const char *)a.out, a.len}, NULL, NULL);
    else if (rc == FL_OK)
        rc = fl_key_del(c->ns, argv[2], &deleted);
    if (own)
        fl_batch_end();
    free(a.out);
    free(keys);
    if (rc != FL_OK) {
        srv_reply_status(c, rc);
        return;
    }
    srv_reply_int(&c->out, (long long)a.len);
    if (a.len)
        srv_notify(c, SRV_NOTIFY_STRING, "set", argv[2]);
    else if (deleted)
        srv_notify(c, SRV_NOTIFY_GENERIC, "del", argv[2]);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"bitcount", -2, SRV_CMD_READONLY, cmd_bitcount, 1, 1, 1, SRV_ACL_CAT(BITMAP)},
    {"bitop", -4, SRV_CMD_WRITE, cmd_bitop, 2, -1, 1, SRV_ACL_CAT(BITMAP)},
    {"bitpos", -3, SRV_CMD_READONLY, cmd_bitpos, 1, 1, 1, SRV_ACL_CAT(BITMAP)},
};
const srv_cmd_family_t srv_cmds_bitops = {cmds, sizeof(cmds) / sizeof(cmds[0])};
