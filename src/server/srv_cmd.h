/*
 * src/server/srv_cmd.h: command handlers, one family per file (cmd_string.c, cmd_hash.c,
 * cmd_keys.c, cmd_server.c, cmd_memory.c), listed in commands.c's table. Private to
 * src/server/. Each handler runs on the client's worker thread after commands.c checked the
 * arity, and appends exactly one reply to c->out (or marks the client to close).
 */
#ifndef FLATLINE_SERVER_SRV_CMD_H
#define FLATLINE_SERVER_SRV_CMD_H

#include "srv.h"

#define SRV_HANDLER(name) void srv_cmd_##name(srv_client_t *c, int argc, const fl_slice_t *argv)

/* strings */
SRV_HANDLER(get);
SRV_HANDLER(set);
SRV_HANDLER(setex);
SRV_HANDLER(psetex);
SRV_HANDLER(setnx);
SRV_HANDLER(mget);
SRV_HANDLER(mset);
SRV_HANDLER(getdel);
SRV_HANDLER(getset);
SRV_HANDLER(append);
SRV_HANDLER(strlen);
SRV_HANDLER(incr);
SRV_HANDLER(decr);
SRV_HANDLER(incrby);
SRV_HANDLER(decrby);
/* hashes */
SRV_HANDLER(hset);
SRV_HANDLER(hmset);
SRV_HANDLER(hget);
SRV_HANDLER(hmget);
SRV_HANDLER(hdel);
SRV_HANDLER(hgetall);
SRV_HANDLER(hlen);
SRV_HANDLER(hexists);
SRV_HANDLER(hincrby);
/* keys */
SRV_HANDLER(del);
SRV_HANDLER(exists);
SRV_HANDLER(expire);
SRV_HANDLER(pexpire);
SRV_HANDLER(expireat);
SRV_HANDLER(pexpireat);
SRV_HANDLER(ttl);
SRV_HANDLER(pttl);
SRV_HANDLER(persist);
SRV_HANDLER(type);
SRV_HANDLER(scan);
SRV_HANDLER(keys);
SRV_HANDLER(dbsize);
SRV_HANDLER(flushdb);
SRV_HANDLER(flushall);
/* server and connection */
SRV_HANDLER(ping);
SRV_HANDLER(echo);
SRV_HANDLER(select);
SRV_HANDLER(quit);
SRV_HANDLER(command);
SRV_HANDLER(config);
SRV_HANDLER(info);
SRV_HANDLER(client);
SRV_HANDLER(hello);
SRV_HANDLER(shutdown);
SRV_HANDLER(time);
/* memory */
SRV_HANDLER(memory);

/* Shared by handlers (cmd_util.c). */

/* Parses argv as an integer or replies "value is not an integer or out of range". */
bool srv_arg_ll(srv_client_t *c, fl_slice_t arg, long long *out);

/* Replies "ERR wrong number of arguments for '<name>' command". */
void srv_reply_arity(srv_client_t *c, const char *name);

/* Replies "ERR unknown subcommand '<sub>'. Try <CMD> HELP.". */
void srv_reply_unknown_subcommand(srv_client_t *c, fl_slice_t sub, const char *cmd);

/* Replies "ERR syntax error". */
void srv_reply_syntax(srv_client_t *c);

/* Runs a sink-emitting store call's result: on error drops whatever it emitted since
 * `mark` and replies the error instead. Returns true when the status was FL_OK. */
bool srv_sink_done(srv_client_t *c, size_t mark, int status);

#endif /* FLATLINE_SERVER_SRV_CMD_H */
