/*
 * src/server/cmd_string.c: string commands (GET, SET and its options, SETEX, PSETEX, SETNX,
 * MGET, MSET, MSETNX, GETDEL, GETEX, GETSET, APPEND, STRLEN, SETRANGE, GETRANGE/SUBSTR,
 * INCR/DECR/INCRBY/DECRBY/INCRBYFLOAT).
 *
 * Invariants: option parsing follows Redis 7's rules and wording (conflicting options are a
 * syntax error, a non-positive or overflowing expire is "invalid expire time in '<cmd>'
 * command"); values stream from the store to the reply buffer through the sink; each
 * handler appends exactly one reply.
 */
#include "srv_cmd.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void reply_invalid_expire(srv_client_t *c, const char *cmd)
{
    srv_reply_errorf(&c->out, "ERR invalid expire time in '%s' command", cmd);
}

/* Absolute expiry in ms from a relative/absolute number in seconds or ms; false when the
 * number is not positive or the result overflows. */
static bool expire_ms(long long v, bool seconds, bool absolute, int64_t *out)
{
    if (v <= 0)
        return false;
    if (seconds) {
        if (v > LLONG_MAX / 1000)
            return false;
        v *= 1000;
    }
    if (!absolute) {
        int64_t now = fl_now_ms();
        if (v > LLONG_MAX - now)
            return false;
        v += now;
    }
    *out = v;
    return true;
}

static void cmd_get(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_str_get(c->ns, argv[1], &sink));
}

/* SET's options by exclusive group. As in Redis 7, an option may be repeated (the last value
 * wins) but two different options of one group (NX XX, EX PX, KEEPTTL EX, ...) are a syntax
 * error. */
enum { GROUP_COND, GROUP_GET, GROUP_EXPIRE, NGROUPS };

static void cmd_set(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_set_opts_t o = {0, 0};
    int seen[NGROUPS] = {0}; /* per group: the option seen (an id per option), 0 none */
    for (int i = 3; i < argc; i++) {
        fl_slice_t a = argv[i];
        int group = -1, id = 0;
        unsigned flag = 0;
        int unit = 0; /* 1 EX, 2 PX, 3 EXAT, 4 PXAT */
        if (srv_slice_eq(a, "nx"))
            group = GROUP_COND, id = 1, flag = FL_SET_NX;
        else if (srv_slice_eq(a, "xx"))
            group = GROUP_COND, id = 2, flag = FL_SET_XX;
        else if (srv_slice_eq(a, "get"))
            group = GROUP_GET, id = 1, flag = FL_SET_GET;
        else if (srv_slice_eq(a, "keepttl"))
            group = GROUP_EXPIRE, id = 5, flag = FL_SET_KEEPTTL;
        else if (srv_slice_eq(a, "ex"))
            group = GROUP_EXPIRE, id = unit = 1;
        else if (srv_slice_eq(a, "px"))
            group = GROUP_EXPIRE, id = unit = 2;
        else if (srv_slice_eq(a, "exat"))
            group = GROUP_EXPIRE, id = unit = 3;
        else if (srv_slice_eq(a, "pxat"))
            group = GROUP_EXPIRE, id = unit = 4;
        if (group < 0 || (seen[group] && seen[group] != id) || (unit && i + 1 >= argc)) {
            srv_reply_syntax(c);
            return;
        }
        seen[group] = id;
        o.flags |= flag;
        if (unit) {
            long long v;
            if (!srv_arg_ll(c, argv[++i], &v))
                return;
            if (!expire_ms(v, unit == 1 || unit == 3, unit >= 3, &o.expire_at_ms)) {
                reply_invalid_expire(c, "set");
                return;
            }
        }
    }
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    int st = fl_str_set(c->ns, argv[1], argv[2], &o, &sink);
    if (o.flags & FL_SET_GET) {
        if (st != FL_ECOND)
            srv_sink_done(c, mark, st); /* old value (already emitted) or the error */
        return;
    }
    if (st == FL_ECOND)
        srv_reply_nil(&c->out);
    else if (srv_sink_done(c, mark, st))
        srv_reply_ok(&c->out);
}

static void setex_generic(srv_client_t *c, const fl_slice_t *argv, bool seconds, const char *n)
{
    long long v;
    fl_set_opts_t o = {0, 0};
    if (!srv_arg_ll(c, argv[2], &v))
        return;
    if (!expire_ms(v, seconds, false, &o.expire_at_ms)) {
        reply_invalid_expire(c, n);
        return;
    }
    int st = fl_str_set(c->ns, argv[1], argv[3], &o, NULL);
    if (srv_sink_done(c, c->out.len, st))
        srv_reply_ok(&c->out);
}

static void cmd_setex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    setex_generic(c, argv, true, "setex");
}

static void cmd_psetex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    setex_generic(c, argv, false, "psetex");
}

static void cmd_setnx(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_set_opts_t o = {0, FL_SET_NX};
    int st = fl_str_set(c->ns, argv[1], argv[2], &o, NULL);
    if (st == FL_ECOND)
        srv_reply_int(&c->out, 0);
    else if (srv_sink_done(c, c->out.len, st))
        srv_reply_int(&c->out, 1);
}

static void cmd_mget(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    /* Atomic: the store locks every key's partition first; another type reads as nil. */
    srv_sink_done(c, c->out.len, fl_str_mget(c->ns, argv + 1, (size_t)argc - 1, &sink));
}

static void cmd_mset(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (argc % 2 == 0) {
        srv_reply_arity(c, "mset");
        return;
    }
    /* All or nothing: the store checks the quota for every pair first and applies them
     * together. */
    if (srv_sink_done(c, c->out.len, fl_str_mset(c->ns, argv + 1, (size_t)(argc - 1) / 2)))
        srv_reply_ok(&c->out);
}

static void cmd_getdel(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_str_getdel(c->ns, argv[1], &sink));
}

/* GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: one option of the group (repeating
 * the same one is allowed, as SET's), checked before the key is looked at. */
static void cmd_getex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    int seen = 0; /* 1 EX, 2 PX, 3 EXAT, 4 PXAT, 5 PERSIST */
    int64_t at = 0;
    for (int i = 2; i < argc; i++) {
        int id = srv_slice_eq(argv[i], "ex")        ? 1
                 : srv_slice_eq(argv[i], "px")      ? 2
                 : srv_slice_eq(argv[i], "exat")    ? 3
                 : srv_slice_eq(argv[i], "pxat")    ? 4
                 : srv_slice_eq(argv[i], "persist") ? 5
                                                    : 0;
        if (!id || (seen && seen != id) || (id < 5 && i + 1 >= argc)) {
            srv_reply_syntax(c);
            return;
        }
        seen = id;
        if (id == 5)
            continue;
        long long v;
        if (!srv_arg_ll(c, argv[++i], &v))
            return;
        if (!expire_ms(v, id == 1 || id == 3, id >= 3, &at)) {
            reply_invalid_expire(c, "getex");
            return;
        }
    }
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    srv_sink_done(c, c->out.len, fl_str_getex(c->ns, argv[1], at, seen == 5, &sink));
}

static void cmd_getset(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_set_opts_t o = {0, FL_SET_GET};
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_str_set(c->ns, argv[1], argv[2], &o, &sink));
}

static void cmd_append(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t len = 0;
    /* Redis caps a string at proto-max-bulk-len. The current length is read in a separate
     * call, so concurrent APPENDs to one key may pass the cap by one argument each (each one
     * is itself at most proto-max-bulk-len); the store's hard cap (4 GiB - 1) always holds.
     * The record's size bounds its value's length without counting a keyspace hit or miss;
     * only a record that large has its exact length read. */
    size_t max = c->srv->cfg.proto_max_bulk_len, cur = 0;
    if (argv[2].n > max ||
        (fl_key_memory_usage(c->ns, argv[1], &cur) == FL_OK && cur > max - argv[2].n &&
         fl_str_len(c->ns, argv[1], &cur) == FL_OK && cur > max - argv[2].n)) {
        srv_reply_error(&c->out, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return;
    }
    if (srv_sink_done(c, c->out.len, fl_str_append(c->ns, argv[1], argv[2], &len)))
        srv_reply_int(&c->out, (long long)len);
}

static void cmd_setrange(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long offset;
    size_t len = 0;
    if (!srv_arg_ll(c, argv[2], &offset))
        return;
    if (offset < 0) {
        srv_reply_error(&c->out, "ERR offset is out of range");
        return;
    }
    if (argv[3].n > 0 && ((unsigned long long)offset > c->srv->cfg.proto_max_bulk_len ||
                          argv[3].n > c->srv->cfg.proto_max_bulk_len - (size_t)offset)) {
        srv_reply_error(&c->out, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return;
    }
    if (srv_sink_done(c, c->out.len,
                      fl_str_setrange(c->ns, argv[1], (size_t)offset, argv[3], &len)))
        srv_reply_int(&c->out, (long long)len);
}

/* GETRANGE and SUBSTR. */
static void cmd_getrange(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long start, end;
    if (!srv_arg_ll(c, argv[2], &start) || !srv_arg_ll(c, argv[3], &end))
        return;
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    srv_sink_done(c, c->out.len, fl_str_getrange(c->ns, argv[1], start, end, &sink));
}

/* A SETBIT/GETBIT offset: a non-negative integer whose byte is below proto-max-bulk-len. */
static bool bit_offset(srv_client_t *c, fl_slice_t a, uint64_t *bit)
{
    long long v;
    if (!srv_slice_to_ll(a, &v) || v < 0 ||
        ((unsigned long long)v >> 3) >= c->srv->cfg.proto_max_bulk_len) {
        srv_reply_error(&c->out, "ERR bit offset is not an integer or out of range");
        return false;
    }
    *bit = (uint64_t)v;
    return true;
}

static void cmd_setbit(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    uint64_t bit;
    bool was = false;
    if (!bit_offset(c, argv[2], &bit))
        return;
    if (argv[3].n != 1 || (argv[3].p[0] != '0' && argv[3].p[0] != '1')) {
        srv_reply_error(&c->out, "ERR bit is not an integer or out of range");
        return;
    }
    int st = fl_str_setbit(c->ns, argv[1], bit, argv[3].p[0] == '1', &was);
    if (srv_sink_done(c, c->out.len, st))
        srv_reply_int(&c->out, was);
}

static void cmd_getbit(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    uint64_t bit;
    bool set = false;
    if (bit_offset(c, argv[2], &bit) &&
        srv_sink_done(c, c->out.len, fl_str_getbit(c->ns, argv[1], bit, &set)))
        srv_reply_int(&c->out, set);
}

static void cmd_strlen(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t len = 0;
    if (srv_sink_done(c, c->out.len, fl_str_len(c->ns, argv[1], &len)))
        srv_reply_int(&c->out, (long long)len);
}

static void incr_generic(srv_client_t *c, fl_slice_t key, long long delta)
{
    int64_t result = 0;
    if (srv_sink_done(c, c->out.len, fl_str_incrby(c->ns, key, delta, &result)))
        srv_reply_int(&c->out, result);
}

static void cmd_incr(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    incr_generic(c, argv[1], 1);
}

static void cmd_decr(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    incr_generic(c, argv[1], -1);
}

static void cmd_incrby(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long v;
    if (srv_arg_ll(c, argv[2], &v))
        incr_generic(c, argv[1], v);
}

static void cmd_decrby(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long v;
    if (!srv_arg_ll(c, argv[2], &v))
        return;
    if (v == LLONG_MIN) {
        srv_reply_error(&c->out, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, argv[1], -v);
}

static void cmd_incrbyfloat(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char *buf = malloc(FL_FLOAT_BUF);
    size_t len = 0;
    if (!buf) {
        c->out.failed = true; /* out of memory: drop the connection */
        return;
    }
    if (srv_sink_done(c, c->out.len, fl_str_incrbyfloat(c->ns, argv[1], argv[2], buf, &len)))
        srv_reply_bulk(&c->out, buf, len);
    free(buf);
}

static void cmd_msetnx(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool set = false;
    if (argc % 2 == 0) {
        srv_reply_arity(c, "msetnx");
        return;
    }
    if (srv_sink_done(c, c->out.len, fl_str_msetnx(c->ns, argv + 1, (size_t)(argc - 1) / 2, &set)))
        srv_reply_int(&c->out, set);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"append", 3, SRV_CMD_WRITE, cmd_append, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"decr", 2, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_decr, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"decrby", 3, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_decrby, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"get", 2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_get, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"getbit", 3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_getbit, 1, 1, 1, SRV_ACL_CAT(BITMAP)},
    {"getdel", 2, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_getdel, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"getex", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_getex, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"getrange", 4, SRV_CMD_READONLY, cmd_getrange, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"getset", 3, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_getset, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"incr", 2, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_incr, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"incrby", 3, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_incrby, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"incrbyfloat", 3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_incrbyfloat, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"mget", -2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_mget, 1, -1, 1, SRV_ACL_CAT(STRING)},
    {"mset", -3, SRV_CMD_WRITE, cmd_mset, 1, -1, 2, SRV_ACL_CAT(STRING)},
    {"msetnx", -3, SRV_CMD_WRITE, cmd_msetnx, 1, -1, 2, SRV_ACL_CAT(STRING)},
    {"psetex", 4, SRV_CMD_WRITE, cmd_psetex, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"set", -3, SRV_CMD_WRITE, cmd_set, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"setbit", 4, SRV_CMD_WRITE | SRV_CMD_KEY_READS_TOO, cmd_setbit, 1, 1, 1, SRV_ACL_CAT(BITMAP)},
    {"setex", 4, SRV_CMD_WRITE, cmd_setex, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"setnx", 3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_setnx, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"setrange", 4, SRV_CMD_WRITE, cmd_setrange, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"strlen", 2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_strlen, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"substr", 4, SRV_CMD_READONLY, cmd_getrange, 1, 1, 1, SRV_ACL_CAT(STRING)},
};
const srv_cmd_family_t srv_cmds_string = {cmds, sizeof(cmds) / sizeof(cmds[0])};
