/*
 * src/server/srv_cmd.h: command families, one per file (cmd_string.c, cmd_hash.c, cmd_keys.c,
 * cmd_server.c, cmd_memory.c), each with its own rows of the command table. Private to
 * src/server/. Each handler runs on the client's worker thread after commands.c checked the
 * arity, and appends exactly one reply to c->out (or marks the client to close).
 */
#ifndef FLATLINE_SERVER_SRV_CMD_H
#define FLATLINE_SERVER_SRV_CMD_H

#include "srv.h"

#include "flatline/collections.h"

/* Each family file defines its handlers `static` and exports its rows of the command table as
 * one srv_cmd_family_t; commands.c merges the families listed in its `families` array into one
 * sorted index. A new family is a new file plus one line there. */
typedef struct srv_cmd_family {
    const srv_cmd_t *cmds;
    size_t n;
} srv_cmd_family_t;

extern const srv_cmd_family_t srv_cmds_string;   /* cmd_string.c */
extern const srv_cmd_family_t srv_cmds_hash;     /* cmd_hash.c */
extern const srv_cmd_family_t srv_cmds_keys;     /* cmd_keys.c */
extern const srv_cmd_family_t srv_cmds_server;   /* cmd_server.c */
extern const srv_cmd_family_t srv_cmds_memory;   /* cmd_memory.c */
extern const srv_cmd_family_t srv_cmds_acl;      /* cmd_acl.c */
extern const srv_cmd_family_t srv_cmds_debug;    /* cmd_debug.c */
extern const srv_cmd_family_t srv_cmds_list;     /* cmd_list.c */
extern const srv_cmd_family_t srv_cmds_set;      /* cmd_set.c */
extern const srv_cmd_family_t srv_cmds_zset;     /* cmd_zset.c */
extern const srv_cmd_family_t srv_cmds_sort;     /* cmd_sort.c */
extern const srv_cmd_family_t srv_cmds_bitops;   /* cmd_bitops.c */
extern const srv_cmd_family_t srv_cmds_bitfield; /* cmd_bitfield.c */
extern const srv_cmd_family_t srv_cmds_cluster;  /* cmd_cluster.c */
extern const srv_cmd_family_t srv_cmds_hll;      /* cmd_hll.c */
extern const srv_cmd_family_t srv_cmds_persist;  /* cmd_persist.c */
extern const srv_cmd_family_t srv_cmds_client;   /* cmd_client.c */
extern const srv_cmd_family_t srv_cmds_config;   /* cmd_config.c */
extern const srv_cmd_family_t srv_cmds_command;  /* cmd_command.c */
extern const srv_cmd_family_t srv_cmds_slowlog;  /* slowlog.c */
extern const srv_cmd_family_t srv_cmds_latency;  /* latency.c */
extern const srv_cmd_family_t srv_cmds_monitor;  /* monitor.c */
extern const srv_cmd_family_t srv_cmds_multi;    /* cmd_multi.c */
extern const srv_cmd_family_t srv_cmds_script;   /* cmd_script.c */
extern const srv_cmd_family_t srv_cmds_pubsub;   /* cmd_pubsub.c */

/* A container command's subcommands with categories of their own (srv_subcmd_t): the family
 * file exports one; commands.c lists it in its `containers` array (one line), and ACL rules,
 * checks and ACL CAT then treat each subcommand as Redis does ("+client|id", "-@dangerous"
 * denying CLIENT KILL but not CLIENT ID). */
typedef struct srv_subcmd_table {
    const char *cmd;          /* the container's name */
    const srv_subcmd_t *subs; /* ends with a {NULL} row */
    unsigned cats;            /* the container's own categories beyond @slow (Redis's row) */
} srv_subcmd_table_t;

extern const srv_subcmd_table_t srv_subcmds_acl;      /* cmd_acl.c */
extern const srv_subcmd_table_t srv_subcmds_memory;   /* cmd_memory.c */
extern const srv_subcmd_table_t srv_subcmds_client;   /* acl_subcmds.c */
extern const srv_subcmd_table_t srv_subcmds_config;   /* acl_subcmds.c */
extern const srv_subcmd_table_t srv_subcmds_command;  /* acl_subcmds.c */
extern const srv_subcmd_table_t srv_subcmds_object;   /* acl_subcmds.c */
extern const srv_subcmd_table_t srv_subcmds_script;   /* acl_subcmds.c */
extern const srv_subcmd_table_t srv_subcmds_function; /* acl_subcmds.c */
extern const srv_subcmd_table_t srv_subcmds_pubsub;   /* acl_subcmds.c */
extern const srv_subcmd_table_t srv_subcmds_slowlog;  /* acl_subcmds.c */
extern const srv_subcmd_table_t srv_subcmds_latency;  /* acl_subcmds.c */
extern const srv_subcmd_table_t srv_subcmds_cluster;  /* cmd_cluster.c */

/* Authenticates c as user/pass (AUTH, HELLO AUTH: cmdword; cmd_acl.c): true, or false after
 * replying Redis's -WRONGPASS, counting and logging the failure (c stays who it was). */
bool srv_client_auth(srv_client_t *c, fl_slice_t cmdword, fl_slice_t user, fl_slice_t pass);

/* Records a refusal of c in the ACL LOG (srv_acl_log_add), describing c (id, addresses, fd,
 * name, db, user). `user` is the user named (AUTH) or c's. */
void srv_acl_log_refusal(srv_client_t *c, int reason, srv_acl_ctx_t context, fl_slice_t object,
                         fl_slice_t user);

/* The command's full name as Redis reports it (a subcommand as "config|get"), lower case, cut
 * to fit cap bytes. (commands.c) */
void srv_cmd_full_name(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv, char *name,
                       size_t cap);

/* Answers a refused srv_acl_check (r != SRV_ACL_OK) of cmd with argv as Redis 7.0 does in
 * `context`: -NOAUTH, or -NOPERM naming what was refused (at EXEC, Redis's "ACLs rules changed
 * ..." message), logged in ACL LOG and counted; a deleted user's client is closed. `pos` is
 * the refused key's or channel's index. (commands.c) */
void srv_acl_refuse(srv_client_t *c, srv_acl_result_t r, srv_acl_ctx_t context,
                    const srv_cmd_t *cmd, int argc, const fl_slice_t *argv, int pos);

/* Whether c may run commands: authenticated, or the default user needs no password. */
bool srv_client_authenticated(const srv_client_t *c);

/* Shared by handlers (cmd_util.c). */

/* Redis 7's SCAN cursor parse (strtoul): optional sign, base 10, no leading space, nothing
 * after the digits, no overflow; "" is 0 and "-1" wraps to the largest cursor. False when
 * invalid (the caller replies "ERR invalid cursor"). */
bool srv_parse_cursor(fl_slice_t a, unsigned long long *cursor);

/* A sink that appends what the store emits to buffer b (RESP), for a reply whose head needs
 * what comes out of the store call (HSCAN's cursor precedes its elements). */
void srv_sink_init_buf(fl_sink_t *sink, srv_buf_t *b);

/* What the values a store call emits mean, so a sink writes them as Redis 7.0 does in the
 * buffer's protocol. RESP2 gets the store's own stream in every shape (the same bytes). */
typedef enum srv_shape {
    SRV_SHAPE_ARRAY,        /* as emitted (srv_sink_init) */
    SRV_SHAPE_MAP,          /* field, value, ...: the first header (2n) is a map of n (HGETALL) */
    SRV_SHAPE_SET,          /* the first header is a set (SMEMBERS, SINTER, SPOP with a count) */
    SRV_SHAPE_PAIRS,        /* field, value, ...: the first header (2n) is a list of n pairs
                             * (HRANDFIELD WITHVALUES) */
    SRV_SHAPE_SCORES,       /* every value is a score: a double (ZSCORE, ZMSCORE) */
    SRV_SHAPE_MEMBER_SCORE, /* member, score, ...: scores are doubles, headers as emitted
                             * (ZPOPMIN without a count, ZMPOP's nested pairs) */
    SRV_SHAPE_SCORED_PAIRS, /* member, score, ...: SCORES' doubles in PAIRS' list (ZRANGE
                             * WITHSCORES, ZRANDMEMBER WITHSCORES, ZPOPMIN with a count) */
} srv_shape_t;

/* A sink writing to a buffer in a shape; give the store srv_sink_as's result. */
typedef struct srv_sink {
    fl_sink_t sink;
    srv_buf_t *out;
    srv_shape_t shape;
    size_t values; /* bulks and nils written so far */
    bool headed;   /* the first array header was written */
} srv_sink_t;

/* Sets s up to write what a store call emits into out, as `shape` says; returns the sink to
 * pass to the store. Runs under the store's lock like any sink: appends to out only. */
const fl_sink_t *srv_sink_as(srv_sink_t *s, srv_buf_t *out, srv_shape_t shape);

/* Parses argv as an integer or replies "value is not an integer or out of range". */
bool srv_arg_ll(srv_client_t *c, fl_slice_t arg, long long *out);

/* Replies "ERR wrong number of arguments for '<name>' command". */
void srv_reply_arity(srv_client_t *c, const char *name);

/* Replies "ERR unknown subcommand '<sub>'. Try <CMD> HELP.". */
void srv_reply_unknown_subcommand(srv_client_t *c, fl_slice_t sub, const char *cmd);

/* Lower-cases s in place and returns it ("client|list" for arity errors). */
char *srv_lower(char *s);
/* One subcommand of a container command (CLIENT, CONFIG): its name, Redis's full name
 * ("client|list": arity errors and per-subcommand statistics), arity (command name included). */
typedef struct srv_subcmd_route {
    const char *name, *fullname;
    int arity;
    srv_cmd_fn *fn;
} srv_subcmd_route_t;
/* Runs the subcommand argv[1] names among subs[0, n): Redis's unknown-subcommand error naming
 * `upper` (e.g. "CLIENT"), or its arity error with the full name, else the handler (after setting
 * c->last_cmd to the full name). */
void srv_cmd_route(srv_client_t *c, int argc, const fl_slice_t *argv,
                   const srv_subcmd_route_t *subs, size_t n, const char *upper);

/* HSCAN/SSCAN/ZSCAN key cursor [MATCH pattern] [COUNT n]: parses argv[2..] or replies the
 * error (Redis's: invalid cursor, syntax error, not an integer). */
typedef struct srv_scan_args {
    unsigned long long cursor;
    const fl_slice_t *match; /* NULL: all */
    long long count;
} srv_scan_args_t;
bool srv_parse_member_scan(srv_client_t *c, int argc, const fl_slice_t *argv, srv_scan_args_t *a);

/* A collection's SCAN (fl_set_scan, fl_zset_scan): members to fn, the next cursor to *next. */
typedef int srv_member_scan_fn(fl_ns_t *ns, fl_slice_t key, uint64_t cursor, const char *pattern,
                               size_t pattern_len, size_t count, fl_member_fn fn, void *ctx,
                               uint64_t *next);
/* SSCAN/ZSCAN: parses the arguments (srv_parse_member_scan), runs `scan` and replies
 * [cursor, [member...]], or the store's error; out of memory drops the connection. */
void srv_cmd_member_scan(srv_client_t *c, int argc, const fl_slice_t *argv,
                         srv_member_scan_fn *scan);

/* Whether what c's handler wrote since `mark` says "nothing": one nil, null array, or empty
 * array or set, in c's protocol (a sink-emitting GETEX or SPOP found no key or no element). */
bool srv_replied_none(const srv_client_t *c, size_t mark);

/* Replies "ERR syntax error". */
void srv_reply_syntax(srv_client_t *c);

/* SORT's STORE key (cmd_sort.c): its position in argv (the command name at 0), found as Redis
 * finds it (options skipped by their argument counts, the last STORE), or 0 (COMMAND GETKEYS). */
int srv_sort_store_pos(int argc, const fl_slice_t *argv);

/* Whether a BITFIELD call only reads its key (GET and OVERFLOW only; cmd_bitfield.c), as
 * Redis's key flags for it say: then read permission on the key is enough. A malformed call
 * counts as a write, as in Redis. */
bool srv_bitfield_reads_only(int argc, const fl_slice_t *argv);

/* After a transaction's or a script's batch ended (multi.c, script.c): what a FLUSHALL inside
 * it left for then (cmd_keys.c: the arenas' purge, the save with save rules). */
void srv_flush_after_batch(srv_server_t *srv);

/* Runs a sink-emitting store call's result: on error drops whatever it emitted since
 * `mark` and replies the error instead. Returns true when the status was FL_OK. */
bool srv_sink_done(srv_client_t *c, size_t mark, int status);

#endif /* FLATLINE_SERVER_SRV_CMD_H */
