/*
 * src/server/cmd_hash.c: hash commands (HSET, HMSET, HSETNX, HGET, HMGET, HDEL, HGETALL,
 * HKEYS, HVALS, HLEN, HEXISTS, HSTRLEN, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN) on the
 * store's Aerospike-style bins.
 *
 * Invariant: field/value arguments are passed to the store as slices of the request buffer
 * (argv + 2), never copied here; each handler appends exactly one reply.
 */
#include "notify.h"
#include "srv_cmd.h"

#include <limits.h>
#include <stdlib.h>

static bool hset_generic(srv_client_t *c, int argc, const fl_slice_t *argv, const char *name,
                         size_t *added)
{
    if ((argc - 2) % 2 != 0) {
        srv_reply_arity(c, name);
        return false;
    }
    int st = fl_hash_set(c->ns, argv[1], argv + 2, (size_t)(argc - 2) / 2, added);
    if (!srv_sink_done(c, c->out.len, st))
        return false;
    srv_notify(c, SRV_NOTIFY_HASH, "hset", argv[1]);
    return true;
}

static void cmd_hset(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t added = 0;
    if (hset_generic(c, argc, argv, "hset", &added))
        srv_reply_int(&c->out, (long long)added);
}

static void cmd_hmset(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t added = 0;
    if (hset_generic(c, argc, argv, "hmset", &added))
        srv_reply_ok(&c->out);
}

static void cmd_hget(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_hash_get(c->ns, argv[1], argv[2], &sink));
}

static void cmd_hmget(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_hash_mget(c->ns, argv[1], argv + 2, (size_t)argc - 2, &sink));
}

static void cmd_hdel(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t removed = 0;
    srv_notify_begin();
    int st = fl_hash_del(c->ns, argv[1], argv + 2, (size_t)argc - 2, &removed);
    if (!srv_sink_done(c, c->out.len, st))
        return;
    srv_reply_int(&c->out, (long long)removed);
    if (removed) {
        srv_notify(c, SRV_NOTIFY_HASH, "hdel", argv[1]);
        srv_notify_del_if_gone(c, argv[1]);
    }
}

static void cmd_hgetall(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_sink_t sink;
    size_t mark = c->out.len;
    srv_sink_done(c, mark,
                  fl_hash_getall(c->ns, argv[1], srv_sink_as(&sink, &c->out, SRV_SHAPE_MAP)));
}

static void cmd_hlen(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t len = 0;
    if (srv_sink_done(c, c->out.len, fl_hash_len(c->ns, argv[1], &len)))
        srv_reply_int(&c->out, (long long)len);
}

static void cmd_hexists(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool exists = false;
    if (srv_sink_done(c, c->out.len, fl_hash_exists(c->ns, argv[1], argv[2], &exists)))
        srv_reply_int(&c->out, exists);
}

static void cmd_hincrby(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long delta;
    int64_t result = 0;
    if (!srv_arg_ll(c, argv[3], &delta))
        return;
    int st = fl_hash_incrby(c->ns, argv[1], argv[2], delta, &result);
    if (st == FL_ENOTINT)
        srv_reply_error(&c->out, "ERR hash value is not an integer");
    else if (srv_sink_done(c, c->out.len, st)) {
        srv_reply_int(&c->out, result);
        srv_notify(c, SRV_NOTIFY_HASH, "hincrby", argv[1]);
    }
}

static void each_generic(srv_client_t *c, const fl_slice_t *argv, unsigned what)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    srv_sink_done(c, c->out.len, fl_hash_each(c->ns, argv[1], what, &sink));
}

static void cmd_hkeys(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    each_generic(c, argv, FL_HASH_FIELDS);
}

static void cmd_hvals(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    each_generic(c, argv, FL_HASH_VALUES);
}

static void cmd_hsetnx(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool set = false;
    if (!srv_sink_done(c, c->out.len, fl_hash_setnx(c->ns, argv[1], argv[2], argv[3], &set)))
        return;
    srv_reply_int(&c->out, set);
    if (set)
        srv_notify(c, SRV_NOTIFY_HASH, "hset", argv[1]);
}

static void cmd_hstrlen(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t len = 0;
    if (srv_sink_done(c, c->out.len, fl_hash_strlen(c->ns, argv[1], argv[2], &len)))
        srv_reply_int(&c->out, (long long)len);
}

static void cmd_hincrbyfloat(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char *buf = malloc(FL_FLOAT_BUF);
    size_t len = 0;
    if (!buf) {
        c->out.failed = true; /* out of memory: drop the connection */
        return;
    }
    int st = fl_hash_incrbyfloat(c->ns, argv[1], argv[2], argv[3], buf, &len);
    if (srv_sink_done(c, c->out.len, st)) {
        srv_reply_bulk(&c->out, buf, len);
        srv_notify(c, SRV_NOTIFY_HASH, "hincrbyfloat", argv[1]);
    }
    free(buf);
}

/* HRANDFIELD key [count [WITHVALUES]]: Redis 7.0's argument checks, in its order. */
static void cmd_hrandfield(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long count = LLONG_MIN;
    bool with_values = false;
    if (argc >= 3) {
        if (!srv_arg_ll(c, argv[2], &count))
            return;
        if (count < -LLONG_MAX) {
            srv_reply_errorf(&c->out, "ERR value is out of range, value must between %lld and %lld",
                             -LLONG_MAX, LLONG_MAX);
            return;
        }
        if (argc > 4 || (argc == 4 && !srv_slice_eq(argv[3], "withvalues"))) {
            srv_reply_syntax(c);
            return;
        }
        with_values = argc == 4;
        if (with_values && (count < -LLONG_MAX / 2 || count > LLONG_MAX / 2)) {
            srv_reply_error(&c->out, "ERR value is out of range");
            return;
        }
    }
    srv_sink_t sink;
    const fl_sink_t *out =
        srv_sink_as(&sink, &c->out, with_values ? SRV_SHAPE_PAIRS : SRV_SHAPE_ARRAY);
    srv_sink_done(c, c->out.len, fl_hash_randfield(c->ns, argv[1], count, with_values, out));
}

/* HSCAN key cursor [MATCH pattern] [COUNT count]. */
static void cmd_hscan(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_scan_args_t a;
    if (!srv_parse_member_scan(c, argc, argv, &a))
        return;
    /* The pairs go to a scratch buffer first: the reply's cursor comes before them. */
    srv_buf_t pairs = {0};
    fl_sink_t sink;
    srv_sink_init_buf(&sink, &pairs);
    uint64_t next = 0;
    int st = fl_hash_scan(c->ns, argv[1], a.cursor, a.match ? a.match->p : NULL,
                          a.match ? a.match->n : 0, (size_t)a.count, &sink, &next);
    if (pairs.failed) {
        c->out.failed = true; /* out of memory: drop the connection */
    } else if (srv_sink_done(c, c->out.len, st)) {
        srv_reply_array(&c->out, 2);
        srv_reply_bulk_fmt(&c->out, "%llu", (unsigned long long)next);
        srv_reply_raw(&c->out, pairs.p, pairs.len);
    }
    srv_buf_free(&pairs);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"hdel", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_hdel, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hexists", 3, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_hexists, 1, 1, 1,
     SRV_ACL_CAT(HASH)},
    {"hget", 3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_hget, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hgetall", 2, SRV_CMD_READONLY, cmd_hgetall, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hincrby", 4, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_hincrby, 1, 1, 1,
     SRV_ACL_CAT(HASH)},
    {"hincrbyfloat", 4, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_hincrbyfloat, 1,
     1, 1, SRV_ACL_CAT(HASH)},
    {"hkeys", 2, SRV_CMD_READONLY, cmd_hkeys, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hlen", 2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_hlen, 1, 1, 1,
     SRV_ACL_CAT(HASH)},
    {"hmget", -3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_hmget, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hmset", -4, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_hmset, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hrandfield", -2, SRV_CMD_READONLY, cmd_hrandfield, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hscan", -3, SRV_CMD_READONLY, cmd_hscan, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hset", -4, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_hset, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hsetnx", 4, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_hsetnx, 1, 1, 1,
     SRV_ACL_CAT(HASH)},
    {"hstrlen", 3, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_hstrlen, 1, 1, 1,
     SRV_ACL_CAT(HASH)},
    {"hvals", 2, SRV_CMD_READONLY, cmd_hvals, 1, 1, 1, SRV_ACL_CAT(HASH)},
};
const srv_cmd_family_t srv_cmds_hash = {cmds, sizeof(cmds) / sizeof(cmds[0])};
