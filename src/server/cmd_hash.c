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

SRV_HANDLER(hset)
{
    size_t added = 0;
    if (hset_generic(c, argc, argv, "hset", &added))
        srv_reply_int(&c->out, (long long)added);
}

SRV_HANDLER(hmset)
{
    size_t added = 0;
    if (hset_generic(c, argc, argv, "hmset", &added))
        srv_reply_ok(&c->out);
}

SRV_HANDLER(hget)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_hash_get(c->ns, argv[1], argv[2], &sink));
}

SRV_HANDLER(hmget)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_hash_mget(c->ns, argv[1], argv + 2, (size_t)argc - 2, &sink));
}

SRV_HANDLER(hdel)
{
    size_t removed = 0;
    int st = fl_hash_del(c->ns, argv[1], argv + 2, (size_t)argc - 2, &removed);
    if (srv_sink_done(c, c->out.len, st))
        srv_reply_int(&c->out, (long long)removed);
}

SRV_HANDLER(hgetall)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_hash_getall(c->ns, argv[1], &sink));
}

SRV_HANDLER(hlen)
{
    size_t len = 0;
    if (srv_sink_done(c, c->out.len, fl_hash_len(c->ns, argv[1], &len)))
        srv_reply_int(&c->out, (long long)len);
}

SRV_HANDLER(hexists)
{
    bool exists = false;
    if (srv_sink_done(c, c->out.len, fl_hash_exists(c->ns, argv[1], argv[2], &exists)))
        srv_reply_int(&c->out, exists);
}

SRV_HANDLER(hincrby)
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
