/*
 * src/server/cmd_hash.c: hash commands (HSET, HMSET, HGET, HMGET, HDEL, HGETALL, HLEN,
 * HEXISTS, HINCRBY) on the store's Aerospike-style bins.
 *
 * Invariant: field/value arguments are passed to the store as slices of the request buffer
 * (argv + 2), never copied here; each handler appends exactly one reply.
 */
#include "srv_cmd.h"

static bool hset_generic(srv_client_t *c, int argc, const fl_slice_t *argv, const char *name,
                         size_t *added)
{
    if ((argc - 2) % 2 != 0) {
        srv_reply_arity(c, name);
        return false;
    }
    int st = fl_hash_set(c->ns, argv[1], argv + 2, (size_t)(argc - 2) / 2, added);
    return srv_sink_done(c, c->out.len, st);
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
    int st = fl_hash_del(c->ns, argv[1], argv + 2, (size_t)argc - 2, &removed);
    if (srv_sink_done(c, c->out.len, st))
        srv_reply_int(&c->out, (long long)removed);
}

static void cmd_hgetall(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_hash_getall(c->ns, argv[1], &sink));
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
    else if (srv_sink_done(c, c->out.len, st))
        srv_reply_int(&c->out, result);
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
    {"hlen", 2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_hlen, 1, 1, 1,
     SRV_ACL_CAT(HASH)},
    {"hmget", -3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_hmget, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hmset", -4, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_hmset, 1, 1, 1, SRV_ACL_CAT(HASH)},
    {"hset", -4, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_hset, 1, 1, 1, SRV_ACL_CAT(HASH)},
};
const srv_cmd_family_t srv_cmds_hash = {cmds, sizeof(cmds) / sizeof(cmds[0])};
