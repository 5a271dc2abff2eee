/*
 * src/server/commands.c: the command table and dispatch.
 *
 * Invariants: the table is sorted by name, strictly, in lower case (srv_cmd_lookup's binary
 * search depends on it; tests/server/test_commands.c walks srv_cmd_at to check it); lookup is
 * case-insensitive and allocation-free; dispatch checks the arity before any handler runs, so
 * handlers may index argv up to |arity|-1 without checks. Unknown commands and arity errors use
 * Redis 7's exact wording.
 */
#include "srv_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define W SRV_CMD_WRITE
#define R SRV_CMD_READONLY
#define F SRV_CMD_FAST
#define A SRV_CMD_ADMIN

/* Sorted by name. {name, arity, flags, handler, first key, last key, step} */
static const srv_cmd_t table[] = {
    {"append", 3, W, srv_cmd_append, 1, 1, 1},
    {"client", -2, 0, srv_cmd_client, 0, 0, 0},
    {"command", -1, 0, srv_cmd_command, 0, 0, 0},
    {"config", -2, A, srv_cmd_config, 0, 0, 0},
    {"dbsize", 1, R | F, srv_cmd_dbsize, 0, 0, 0},
    {"decr", 2, W | F, srv_cmd_decr, 1, 1, 1},
    {"decrby", 3, W | F, srv_cmd_decrby, 1, 1, 1},
    {"del", -2, W, srv_cmd_del, 1, -1, 1},
    {"echo", 2, F, srv_cmd_echo, 0, 0, 0},
    {"exists", -2, R | F, srv_cmd_exists, 1, -1, 1},
    {"expire", -3, W | F, srv_cmd_expire, 1, 1, 1},
    {"expireat", -3, W | F, srv_cmd_expireat, 1, 1, 1},
    {"flushall", -1, W, srv_cmd_flushall, 0, 0, 0},
    {"flushdb", -1, W, srv_cmd_flushdb, 0, 0, 0},
    {"get", 2, R | F, srv_cmd_get, 1, 1, 1},
    {"getdel", 2, W | F, srv_cmd_getdel, 1, 1, 1},
    {"getset", 3, W | F, srv_cmd_getset, 1, 1, 1},
    {"hdel", -3, W | F, srv_cmd_hdel, 1, 1, 1},
    {"hello", -1, F, srv_cmd_hello, 0, 0, 0},
    {"hexists", 3, R | F, srv_cmd_hexists, 1, 1, 1},
    {"hget", 3, R | F, srv_cmd_hget, 1, 1, 1},
    {"hgetall", 2, R, srv_cmd_hgetall, 1, 1, 1},
    {"hincrby", 4, W | F, srv_cmd_hincrby, 1, 1, 1},
    {"hlen", 2, R | F, srv_cmd_hlen, 1, 1, 1},
    {"hmget", -3, R | F, srv_cmd_hmget, 1, 1, 1},
    {"hmset", -4, W | F, srv_cmd_hmset, 1, 1, 1},
    {"hset", -4, W | F, srv_cmd_hset, 1, 1, 1},
    {"incr", 2, W | F, srv_cmd_incr, 1, 1, 1},
    {"incrby", 3, W | F, srv_cmd_incrby, 1, 1, 1},
    {"info", -1, 0, srv_cmd_info, 0, 0, 0},
    {"keys", 2, R, srv_cmd_keys, 0, 0, 0},
    {"memory", -2, R, srv_cmd_memory, 0, 0, 0},
    {"mget", -2, R | F, srv_cmd_mget, 1, -1, 1},
    {"mset", -3, W, srv_cmd_mset, 1, -1, 2},
    {"persist", 2, W | F, srv_cmd_persist, 1, 1, 1},
    {"pexpire", -3, W | F, srv_cmd_pexpire, 1, 1, 1},
    {"pexpireat", -3, W | F, srv_cmd_pexpireat, 1, 1, 1},
    {"ping", -1, F, srv_cmd_ping, 0, 0, 0},
    {"psetex", 4, W, srv_cmd_psetex, 1, 1, 1},
    {"pttl", 2, R | F, srv_cmd_pttl, 1, 1, 1},
    {"quit", -1, F, srv_cmd_quit, 0, 0, 0},
    {"scan", -2, R, srv_cmd_scan, 0, 0, 0},
    {"select", 2, F, srv_cmd_select, 0, 0, 0},
    {"set", -3, W, srv_cmd_set, 1, 1, 1},
    {"setex", 4, W, srv_cmd_setex, 1, 1, 1},
    {"setnx", 3, W | F, srv_cmd_setnx, 1, 1, 1},
    {"shutdown", -1, A, srv_cmd_shutdown, 0, 0, 0},
    {"strlen", 2, R | F, srv_cmd_strlen, 1, 1, 1},
    {"time", 1, F, srv_cmd_time, 0, 0, 0},
    {"ttl", 2, R | F, srv_cmd_ttl, 1, 1, 1},
    {"type", 2, R | F, srv_cmd_type, 1, 1, 1},
    {"unlink", -2, W | F, srv_cmd_del, 1, -1, 1},
};

#define NCMDS (sizeof(table) / sizeof(table[0]))

size_t srv_cmd_count(void)
{
    return NCMDS;
}

const srv_cmd_t *srv_cmd_at(size_t i)
{
    return i < NCMDS ? &table[i] : NULL;
}

const srv_cmd_t *srv_cmd_lookup(const char *name, size_t len)
{
    char low[24];
    if (len == 0 || len >= sizeof(low))
        return NULL;
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        low[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
    }
    low[len] = '\0';
    size_t lo = 0, hi = NCMDS;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int cmp = strcmp(low, table[mid].name);
        if (cmp == 0)
            return &table[mid];
        if (cmp < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* "ERR unknown command 'x', with args beginning with: 'a' 'b' " (Redis 7, 128-byte caps). */
static void reply_unknown(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char args[160] = "";
    size_t used = 0;
    for (int i = 1; i < argc && used < 128; i++) {
        size_t room = 128 - used;
        /* Compared as size_t: an argument of 2-4 GiB cast to int first would be negative, and
         * "%.*s" with a negative precision reads up to a NUL, past the argument. */
        int n = (int)(argv[i].n < room ? argv[i].n : room);
        int w = snprintf(args + used, sizeof(args) - used, "'%.*s' ", n, argv[i].p);
        if (w < 0 || (size_t)w >= sizeof(args) - used)
            break;
        used += (size_t)w;
    }
    int n = (int)(argv[0].n < 128 ? argv[0].n : 128);
    srv_reply_errorf(&c->out, "ERR unknown command '%.*s', with args beginning with: %s", n,
                     argv[0].p, args);
}

void srv_cmd_dispatch(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (c->worker)
        srv_stat_add(&c->worker->stats.commands, 1);
    const srv_cmd_t *cmd = srv_cmd_lookup(argv[0].p, argv[0].n);
    if (!cmd) {
        reply_unknown(c, argc, argv);
        return;
    }
    if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity)) {
        srv_reply_arity(c, cmd->name);
        return;
    }
    cmd->fn(c, argc, argv);
}
