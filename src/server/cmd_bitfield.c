/*
 * src/server/cmd_bitfield.c: BITFIELD and BITFIELD_RO, Redis 7.0's integer fields inside a
 * string: GET / SET / INCRBY of signed (i1..i64) and unsigned (u1..u63) fields at a bit offset
 * (or #N: N times the width), OVERFLOW WRAP|SAT|FAIL for the writes after it, with Redis's
 * replies (a nil for a write FAIL refused) and errors, checked in Redis's order.
 *
 * Invariants:
 *  - Every argument is parsed before the key is looked at: a malformed request changes nothing.
 *  - A request with a write runs in one store batch (the caller's, inside EXEC or a script):
 *    its reads and its one write are atomic. The value is read under the key's lock through
 *    the store's string API only (fl_str_read_many); the bytes the writes cover,
 *    [lo, hi] = [first written byte, last written byte], are copied into a buffer, every
 *    operation runs in argument order on the buffer (reads outside it see the value as it
 *    is), and the buffer goes back with one fl_str_setrange. So the key gets one change, logged
 *    as one record holding its effect (the persistence layer writes a new key's value, or
 *    SETRANGE of those bytes), never the INCRBYs, which would give another result replayed on
 *    another state; and none at all when no byte and not the length changed.
 *  - As Redis, a request with a write creates the key, or grows it with zero bytes, up to its
 *    last written byte, even when every write was refused by OVERFLOW FAIL.
 */
#include "srv_cmd.h"

#include "fl_assert.h"
#include "notify.h"

#include <stdlib.h>
#include <string.h>

typedef enum { OP_GET, OP_SET, OP_INCRBY } bf_opcode_t;
typedef enum { OW_WRAP, OW_SAT, OW_FAIL } bf_overflow_t;

/* One parsed operation. */
typedef struct bf_op {
    uint64_t offset; /* in bits */
    int64_t arg;     /* SET's value, INCRBY's increment */
    unsigned bits;   /* 1..64 signed, 1..63 unsigned */
    bool sign;
    bf_opcode_t code;
    bf_overflow_t overflow; /* the OVERFLOW in force where the operation was given */
} bf_op_t;

/* One reply element: an integer, or nil for a write OVERFLOW FAIL refused. */
typedef struct bf_result {
    int64_t v;
    bool nil;
} bf_result_t;

/* ---- Fields inside bytes (bit 0 is the most significant bit of byte 0) ------------------- */

static uint64_t field_get(const unsigned char *p, uint64_t offset, unsigned bits)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < bits; i++, offset++)
        v = (v << 1) | ((p[offset >> 3] >> (7 - (offset & 7))) & 1u);
    return v;
}

static void field_set(unsigned char *p, uint64_t offset, unsigned bits, uint64_t v)
{
    for (unsigned i = 0; i < bits; i++, offset++) {
        unsigned char mask = (unsigned char)(1u << (7 - (offset & 7)));
        if ((v >> (bits - 1 - i)) & 1u)
            p[offset >> 3] |= mask;
        else
            p[offset >> 3] &= (unsigned char)~mask;
    }
}

/* The low `bits` of v as a two's complement number of that width. */
static int64_t sign_extend(uint64_t v, unsigned bits)
{
    if (bits == 64 || !((v >> (bits - 1)) & 1u))
        return (int64_t)v;
    return (int64_t)(v | (~(uint64_t)0 << bits));
}

/* The field's bits read as the op's type (an unsigned one has at most 63). */
static int64_t field_value(uint64_t raw, const bf_op_t *op)
{
    return op->sign ? sign_extend(raw, op->bits) : (int64_t)raw;
}

/* ---- Overflow (Redis's rules, including its unsigned SET of a negative value: above max) -- */

/* old + incr for an unsigned field of `bits` (old <= max). True when it overflows; then *out
 * is what OVERFLOW WRAP or SAT stores (FAIL stores nothing). */
static bool unsigned_add(uint64_t old, int64_t incr, unsigned bits, bf_overflow_t ow, uint64_t *out)
{
    uint64_t max = ((uint64_t)1 << bits) - 1; /* bits <= 63 */
    uint64_t sum = old + (uint64_t)incr;
    bool over = old > max || (incr > 0 && (uint64_t)incr > max - old);
    bool under = !over && incr < 0 && (uint64_t)0 - (uint64_t)incr > old;
    if (!over && !under) {
        *out = sum;
        return false;
    }
    if (ow == OW_WRAP)
        *out = sum & max;
    else
        *out = over ? max : 0;
    return true;
}

/* old + incr for a signed field of `bits`; as unsigned_add. A SET checks its value as
 * old = value, incr = 0. Redis's test is kept exactly, including its limits max - old and
 * min - old computed in 64 bits with wrap-around: a SET of a value near INT64_MIN into a field
 * narrower than 64 bits wraps max - old negative and counts as an overflow upwards (SAT stores
 * the maximum, WRAP the value's low bits). */
static bool signed_add(int64_t old, int64_t incr, unsigned bits, bf_overflow_t ow, int64_t *out)
{
    int64_t max = bits == 64 ? INT64_MAX : (int64_t)(((uint64_t)1 << (bits - 1)) - 1);
    int64_t min = -max - 1;
    int64_t max_incr = (int64_t)((uint64_t)max - (uint64_t)old);
    int64_t min_incr = (int64_t)((uint64_t)min - (uint64_t)old);
    bool over =
        old > max || (bits != 64 && incr > max_incr) || (old >= 0 && incr > 0 && incr > max_incr);
    bool under = !over && (old < min || (bits != 64 && incr < min_incr) ||
                           (old < 0 && incr < 0 && incr < min_incr));
    uint64_t sum = (uint64_t)old + (uint64_t)incr; /* two's complement, defined */
    if (!over && !under) {
        *out = (int64_t)sum;
        return false;
    }
    if (ow == OW_WRAP)
        *out = sign_extend(bits == 64 ? sum : sum & ((((uint64_t)1) << bits) - 1), bits);
    else
        *out = over ? max : min;
    return true;
}

/* Runs one write on the field at p's bit `offset`: *res gets the reply (SET: the old value,
 * INCRBY: the new one, nil when OVERFLOW FAIL refused it). */
static void op_write(unsigned char *p, uint64_t offset, const bf_op_t *op, bf_result_t *res)
{
    uint64_t raw = field_get(p, offset, op->bits);
    bool over;
    uint64_t store;
    if (op->sign) {
        int64_t old = field_value(raw, op), now;
        over = op->code == OP_INCRBY ? signed_add(old, op->arg, op->bits, op->overflow, &now)
                                     : signed_add(op->arg, 0, op->bits, op->overflow, &now);
        res->v = op->code == OP_INCRBY ? now : old;
        store = (uint64_t)now;
    } else {
        uint64_t now;
        over = op->code == OP_INCRBY
                   ? unsigned_add(raw, op->arg, op->bits, op->overflow, &now)
                   : unsigned_add((uint64_t)op->arg, 0, op->bits, op->overflow, &now);
        res->v = op->code == OP_INCRBY ? (int64_t)now : (int64_t)raw;
        store = now;
    }
    res->nil = over && op->overflow == OW_FAIL;
    if (!res->nil)
        field_set(p, offset, op->bits, store);
}

/* ---- Parsing --------------------------------------------------------------------------------
 */

static const char type_error[] = "ERR Invalid bitfield type. Use something like i16 u8. Note that "
                                 "u64 is not supported but i64 is.";
static const char offset_error[] = "ERR bit offset is not an integer or out of range";

/* i<bits> or u<bits>. As Redis, the width is read up to a NUL byte in the argument. */
static bool parse_type(srv_client_t *c, fl_slice_t a, bf_op_t *op)
{
    long long bits;
    if (a.n == 0 || (a.p[0] != 'i' && a.p[0] != 'u')) {
        srv_reply_error(&c->out, type_error);
        return false;
    }
    op->sign = a.p[0] == 'i';
    const char *nul = memchr(a.p + 1, '\0', a.n - 1);
    fl_slice_t width = {a.p + 1, nul ? (size_t)(nul - (a.p + 1)) : a.n - 1};
    if (!srv_slice_to_ll(width, &bits) || bits < 1 || bits > (op->sign ? 64 : 63)) {
        srv_reply_error(&c->out, type_error);
        return false;
    }
    op->bits = (unsigned)bits;
    return true;
}

/* A bit offset, or #N (N times the width), below proto-max-bulk-len bytes. */
static bool parse_offset(srv_client_t *c, fl_slice_t a, bf_op_t *op)
{
    bool times_width = a.n > 0 && a.p[0] == '#';
    fl_slice_t digits = times_width ? (fl_slice_t){a.p + 1, a.n - 1} : a;
    long long v;
    size_t max = atomic_load_explicit(&c->srv->live.proto_max_bulk_len, memory_order_relaxed);
    if (!srv_slice_to_ll(digits, &v)) {
        srv_reply_error(&c->out, offset_error);
        return false;
    }
    if (times_width) /* wraps on overflow as Redis's multiplication does, then is refused */
        v = (long long)((unsigned long long)v * op->bits);
    if (v < 0 || ((unsigned long long)v >> 3) >= max) {
        srv_reply_error(&c->out, offset_error);
        return false;
    }
    op->offset = (uint64_t)v;
    return true;
}

/* Parses argv[2..] into ops (room for argc entries) in Redis's order of checks; false after
 * replying the first error. *n gets the count, *writes whether any is SET or INCRBY. */
static bool parse_ops(srv_client_t *c, int argc, const fl_slice_t *argv, bf_op_t *ops, size_t *n,
                      bool *writes)
{
    bf_overflow_t overflow = OW_WRAP;
    *n = 0;
    *writes = false;
    for (int j = 2; j < argc; j++) {
        int rest = argc - j - 1;
        bf_op_t op = {0};
        if (srv_slice_eq(argv[j], "get") && rest >= 2) {
            op.code = OP_GET;
        } else if (srv_slice_eq(argv[j], "set") && rest >= 3) {
            op.code = OP_SET;
        } else if (srv_slice_eq(argv[j], "incrby") && rest >= 3) {
            op.code = OP_INCRBY;
        } else if (srv_slice_eq(argv[j], "overflow") && rest >= 1) {
            fl_slice_t mode = argv[++j];
            if (srv_slice_eq(mode, "wrap")) {
                overflow = OW_WRAP;
            } else if (srv_slice_eq(mode, "sat")) {
                overflow = OW_SAT;
            } else if (srv_slice_eq(mode, "fail")) {
                overflow = OW_FAIL;
            } else {
                srv_reply_error(&c->out, "ERR Invalid OVERFLOW type specified");
                return false;
            }
            continue;
        } else {
            srv_reply_syntax(c);
            return false;
        }
        if (!parse_type(c, argv[j + 1], &op) || !parse_offset(c, argv[j + 2], &op))
            return false;
        if (op.code != OP_GET) {
            long long v;
            if (!srv_arg_ll(c, argv[j + 3], &v))
                return false;
            op.arg = v;
            *writes = true;
        }
        op.overflow = overflow;
        ops[(*n)++] = op;
        j += op.code == OP_GET ? 2 : 3;
    }
    return true;
}

/* ---- Running the operations on the value --------------------------------------------------- */

/* A request's operations over one value, run under the key's lock (fl_str_read_many). */
typedef struct bf_run {
    const bf_op_t *ops;
    size_t n;
    bf_result_t *results;
    unsigned char *span; /* the bytes [lo, lo + span_n) the writes cover (NULL: no writes) */
    size_t lo, span_n;
    bool changed; /* the key must be written: created, grown, or a byte of span differs */
} bf_run_t;

/* Byte i of the value as the operations so far left it: the span's copy, else the value, else
 * a zero past its end. */
static unsigned char byte_now(const bf_run_t *r, fl_value_t v, size_t i)
{
    if (i >= r->lo && i - r->lo < r->span_n)
        return r->span[i - r->lo];
    if (i >= fl_value_len(v))
        return 0;
    return (unsigned char)(i < v.head.n ? v.head.p[i] : v.tail.p[i - v.head.n]);
}

/* GET: the field read from a copy of the 9 bytes holding it (a field of 64 bits spans 9). */
static int64_t op_get(const bf_run_t *r, fl_value_t v, const bf_op_t *op)
{
    unsigned char buf[9];
    size_t first = (size_t)(op->offset >> 3);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = byte_now(r, v, first + i);
    return field_value(field_get(buf, op->offset & 7, op->bits), op);
}

/* Whether span differs from the value's bytes at the same place (all inside the value). */
static bool span_differs(const bf_run_t *r, fl_value_t v)
{
    fl_value_t orig = fl_value_sub(v, r->lo, r->span_n);
    return memcmp(r->span, orig.head.p, orig.head.n) != 0 ||
           (orig.tail.n && memcmp(r->span + orig.head.n, orig.tail.p, orig.tail.n) != 0);
}

static void bf_run_read(void *ctx, size_t i, fl_value_t v, bool present)
{
    (void)i;
    bf_run_t *r = ctx;
    size_t len = present ? fl_value_len(v) : 0;
    if (r->span && r->lo < len) {
        size_t have = len - r->lo < r->span_n ? len - r->lo : r->span_n;
        fl_value_copy(v, r->lo, have, r->span); /* the rest stays zero: the growth */
    }
    for (size_t j = 0; j < r->n; j++) {
        const bf_op_t *op = &r->ops[j];
        if (op->code == OP_GET)
            r->results[j] = (bf_result_t){op_get(r, v, op), false};
        else {
            FL_DEBUG_ASSERT((op->offset >> 3) >= r->lo &&
                            ((op->offset + op->bits - 1) >> 3) - r->lo < r->span_n);
            op_write(r->span, op->offset - (uint64_t)r->lo * 8, op, &r->results[j]);
        }
    }
    if (r->span)
        r->changed = !present || r->lo + r->span_n > len || span_differs(r, v);
}

/* The span of bytes ops' writes cover. */
static void write_span(const bf_op_t *ops, size_t n, size_t *lo, size_t *len)
{
    uint64_t first = UINT64_MAX, last = 0;
    for (size_t j = 0; j < n; j++) {
        if (ops[j].code == OP_GET)
            continue;
        uint64_t a = ops[j].offset >> 3, b = (ops[j].offset + ops[j].bits - 1) >> 3;
        first = a < first ? a : first;
        last = b > last ? b : last;
    }
    *lo = (size_t)first;
    *len = (size_t)(last - first + 1);
}

/* Reads the key and runs the operations; with writes, inside a batch and followed by the one
 * write. Returns a store status (nothing changed unless FL_OK). */
static int bf_execute(srv_client_t *c, fl_slice_t key, bf_run_t *r)
{
    if (!r->span)
        return fl_str_read_many(c->ns, &key, 1, bf_run_read, r);
    fl_batch_key_t bk = {c->ns, key};
    bool own = !fl_batch_active(); /* inside EXEC or a script, their batch holds the key */
    if (own && fl_batch_begin(c->srv->store, &bk, 1, false) != FL_OK)
        return FL_ENOMEM;
    int rc = fl_str_read_many(c->ns, &key, 1, bf_run_read, r);
    size_t len;
    if (rc == FL_OK && r->changed)
        rc = fl_str_setrange(c->ns, key, r->lo, (fl_slice_t){(const char *)r->span, r->span_n},
                             &len);
    if (own)
        fl_batch_end();
    return rc;
}

static void bitfield_generic(srv_client_t *c, int argc, const fl_slice_t *argv, bool read_only)
{
    bf_op_t *ops = malloc((size_t)argc * sizeof(*ops));
    bf_result_t *results = malloc((size_t)argc * sizeof(*results));
    bf_run_t r = {.ops = ops, .results = results};
    bool writes;
    int rc = FL_OK;
    if (!ops || !results) {
        srv_reply_status(c, FL_ENOMEM);
        goto out;
    }
    if (!parse_ops(c, argc, argv, ops, &r.n, &writes))
        goto out;
    if (writes && read_only) {
        srv_reply_error(&c->out, "ERR BITFIELD_RO only supports the GET subcommand");
        goto out;
    }
    if (writes) {
        write_span(ops, r.n, &r.lo, &r.span_n);
        r.span = calloc(1, r.span_n);
        rc = r.span ? bf_execute(c, argv[1], &r) : FL_ENOMEM;
    } else {
        rc = bf_execute(c, argv[1], &r);
    }
    if (rc != FL_OK) {
        srv_reply_status(c, rc);
        goto out;
    }
    srv_reply_array(&c->out, r.n);
    for (size_t j = 0; j < r.n; j++) {
        if (results[j].nil)
            srv_reply_nil(&c->out);
        else
            srv_reply_int(&c->out, results[j].v);
    }
    if (writes && r.changed) /* Redis tells "setbit" when a value changed or the key grew */
        srv_notify(c, SRV_NOTIFY_STRING, "setbit", argv[1]);
out:
    free(r.span);
    free(results);
    free(ops);
}

/* BITFIELD key [GET type offset] [OVERFLOW WRAP|SAT|FAIL] [SET type offset value]
 *              [INCRBY type offset increment] ... */
static void cmd_bitfield(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bitfield_generic(c, argc, argv, false);
}

/* BITFIELD_RO key [GET type offset ...] */
static void cmd_bitfield_ro(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bitfield_generic(c, argc, argv, true);
}

bool srv_bitfield_reads_only(int argc, const fl_slice_t *argv)
{
    for (int i = 2; i < argc; i++) {
        int rest = argc - i - 1;
        if (srv_slice_eq(argv[i], "get") && rest >= 2)
            i += 2;
        else if (srv_slice_eq(argv[i], "overflow") && rest >= 1)
            i += 1;
        else
            return false; /* a write, or a syntax error: assumed a write, as Redis does */
    }
    return true;
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"bitfield", -2, SRV_CMD_WRITE | SRV_CMD_KEY_READS_TOO, cmd_bitfield, 1, 1, 1,
     SRV_ACL_CAT(BITMAP)},
    {"bitfield_ro", -2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_bitfield_ro, 1, 1, 1,
     SRV_ACL_CAT(BITMAP)},
};
const srv_cmd_family_t srv_cmds_bitfield = {cmds, sizeof(cmds) / sizeof(cmds[0])};
