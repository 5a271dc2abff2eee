/*
 * src/server/acl.h: users and their permissions (Redis 7.0's ACL model, minus selectors):
 * passwords (SHA-256), on/off, command bits per command and category, allowed first
 * arguments (`+config|get`), key patterns with read/write permission, channel patterns.
 * Private to src/server/ (prefix srv_acl_).
 *
 * Threads: one registry (srv_acl_t) per server, shared by every worker. A user's rules are an
 * immutable snapshot (srv_acl_perms_t) replaced as a whole by ACL SETUSER / ACL LOAD; a client
 * keeps a reference to the snapshot it last saw and checks one atomic version number per
 * command, so the hot path takes no lock and writes no shared cache line. Writers (SETUSER,
 * DELUSER, LOAD) serialise on the registry's mutex.
 */
#ifndef FLATLINE_SERVER_ACL_H
#define FLATLINE_SERVER_ACL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flatline/store.h"

typedef struct srv_acl srv_acl_t;
typedef struct srv_acl_user srv_acl_user_t;
typedef struct srv_acl_perms srv_acl_perms_t;
typedef struct srv_buf srv_buf_t;
typedef struct srv_cmd srv_cmd_t;

/* What a client holds: its user and the snapshot of that user's rules it last used. Owned by
 * one client (one thread); the references keep both alive after DELUSER / SETUSER. */
typedef struct srv_acl_session {
    srv_acl_user_t *user;   /* a reference */
    srv_acl_perms_t *perms; /* a reference: user's rules at `version` */
    uint64_t version;
    bool authenticated;
} srv_acl_session_t;

/* Result of a permission check. */
typedef enum {
    SRV_ACL_OK = 0,
    SRV_ACL_NOAUTH,         /* not authenticated and the default user needs a password */
    SRV_ACL_DENIED_CMD,     /* the user may not run this command (with these first args) */
    SRV_ACL_DENIED_KEY,     /* one of the keys matches none of the user's patterns */
    SRV_ACL_DENIED_CHANNEL, /* a pub/sub channel (or pattern) the user's &patterns do not allow */
    SRV_ACL_USER_GONE,      /* the client's user was deleted: close the client */
} srv_acl_result_t;

/* Creates the registry with the user "default" (on nopass ~* &* +@all), or with
 * `>requirepass` when requirepass is non-empty. Returns 0 or -ENOMEM. */
int srv_acl_create(srv_acl_t **out, const char *requirepass);

/* Frees the registry; sessions must have been released first (their references would dangle). */
void srv_acl_destroy(srv_acl_t *acl);

/* Starts a session as the default user, authenticated when that user needs no password. */
void srv_acl_session_init(srv_acl_t *acl, srv_acl_session_t *s);

/* Whether the session's user was deleted (ACL DELUSER, ACL LOAD): its client is to close. */
bool srv_acl_session_orphaned(const srv_acl_session_t *s);

/* Drops the session's references. */
void srv_acl_session_release(srv_acl_session_t *s);

/* True when the default user is on and needs no password (protected mode applies then). */
bool srv_acl_default_is_open(srv_acl_t *acl);

/* Authenticates the session as `user` with `pass`: 0 (the session switches to that user), or
 * -1 (unknown user, disabled, wrong password: the session is unchanged). Any thread. */
int srv_acl_authenticate(srv_acl_t *acl, srv_acl_session_t *s, fl_slice_t user, fl_slice_t pass);

/* Makes the session user `user`'s, authenticated, without a password (ACL DRYRUN): 0, or -1
 * for an unknown user. */
int srv_acl_session_as(srv_acl_t *acl, srv_acl_session_t *s, fl_slice_t user);

/* May the session run cmd (id = srv_cmd_id(cmd)) with these arguments? Checks authentication
 * (commands flagged SRV_CMD_NO_AUTH pass), the command bits and first args, then every key
 * srv_cmd_each_key names against the patterns (read for SRV_CMD_READONLY commands and for the
 * sources of a write, write for SRV_CMD_WRITE ones, both otherwise), then the channels of
 * PUBLISH/SPUBLISH/SUBSCRIBE/SSUBSCRIBE (glob-matched against the &patterns) and PSUBSCRIBE
 * (a pattern must equal one of them), as Redis 7.0. *keypos gets the refused key's or
 * channel's index for SRV_ACL_DENIED_KEY / _CHANNEL. Lock-free when the rules did not change. */
srv_acl_result_t srv_acl_check(srv_acl_t *acl, srv_acl_session_t *s, const srv_cmd_t *cmd,
                               size_t id, int argc, const fl_slice_t *argv, int *keypos);

/* Whether the session's user may (still) be subscribed to `name` (a pattern when `pattern`),
 * by the rule SUBSCRIBE and PSUBSCRIBE are checked with; the user's current rules. A session
 * whose user was deleted may not. */
bool srv_acl_may_subscribe(srv_acl_session_t *s, fl_slice_t name, bool pattern);
/* May the session's user read every key (the `allkeys` flag, or a `~*` / `%R~*` pattern)?
 * Redis's condition for SORT's BY and GET patterns. Worker thread of the session. */
bool srv_acl_reads_every_key(srv_acl_session_t *s);

/* The session's user name (ACL WHOAMI). */
const char *srv_acl_session_user(const srv_acl_session_t *s);

/* ACL SETUSER name rules...: creates the user (off, -@all) when unknown and applies the rules
 * left to right to a copy of its rules, published only when every rule applied. Returns 0, or
 * -1 with Redis's message ("Error in ACL SETUSER modifier '<rule>': <why>") in err. */
int srv_acl_setuser(srv_acl_t *acl, fl_slice_t name, int nrules, const fl_slice_t *rules, char *err,
                    size_t errlen);

/* ACL DELUSER: 1 deleted, 0 unknown, -1 for "default" (which cannot be removed). Clients
 * authenticated as the user are closed at their next command. */
int srv_acl_deluser(srv_acl_t *acl, fl_slice_t name);

/* ACL LIST: appends one RESP bulk string per user ("user <name> <rules>"), sorted by name;
 * returns how many. */
size_t srv_acl_list(srv_acl_t *acl, srv_buf_t *out);

/* ACL USERS: appends one bulk per user name, sorted; returns how many. */
size_t srv_acl_users(srv_acl_t *acl, srv_buf_t *out);

/* ACL GETUSER: appends Redis 7.0's map (flags, passwords, commands, keys, channels,
 * selectors) as a RESP2 array; false (nothing appended) for an unknown user. */
bool srv_acl_getuser(srv_acl_t *acl, fl_slice_t name, srv_buf_t *out);

/* ACL LOAD: reads `path` ("user <name> <rules...>" lines, as ACL SAVE writes them) and replaces
 * every user by the file's, all or nothing: -1 with "<path>:<line>: <why>" in err leaves the
 * users as they were. Users absent from the file are deleted; "default" is reset to
 * "on nopass ~* &* +@all" when the file does not define it. */
int srv_acl_load_file(srv_acl_t *acl, const char *path, char *err, size_t errlen);

/* Applies "user <name> <rules...>" lines (the config file's `user` directives) on top of the
 * current users, all or nothing: -1 with "<origin>:<n>: <why>" (n counts these lines) in err.
 * Main thread, before the workers start. */
int srv_acl_load_text(srv_acl_t *acl, const char *text, const char *origin, char *err,
                      size_t errlen);

/* ACL SAVE: writes ACL LIST's lines to path (through a temporary file renamed over it).
 * Returns 0 or -1 with the reason in err. */
int srv_acl_save_file(srv_acl_t *acl, const char *path, char *err, size_t errlen);

/* ---- ACL LOG (acl_log.c): one per registry (srv_acl_get_log); any thread ----------------- */

typedef struct srv_acl_log srv_acl_log_t;

/* The registry's log. */
srv_acl_log_t *srv_acl_get_log(srv_acl_t *acl);

/* Creates / frees a log (srv_acl_create / srv_acl_destroy do it for the registry's). */
srv_acl_log_t *srv_acl_log_create(void);
void srv_acl_log_destroy(srv_acl_log_t *log);

/* Records a refusal (reason SRV_ACL_DENIED_CMD / _KEY / _CHANNEL, or SRV_ACL_LOG_AUTH for a
 * failed authentication) of `object` (the command's name, the key or channel, or the
 * AUTH/HELLO word) for `user` in `context`, by the client `client_info` describes. Like Redis:
 * the newest entry first, an entry identical in reason, context, object and user within 60 s
 * counts up instead of adding one, at most SRV_ACL_LOG_MAX entries. Out of memory: the refusal
 * goes unrecorded. */
#define SRV_ACL_LOG_AUTH 100
#define SRV_ACL_LOG_MAX 128
/* Where the refused call came from (ACL LOG's "context"). */
typedef enum { SRV_ACL_CTX_TOPLEVEL, SRV_ACL_CTX_MULTI, SRV_ACL_CTX_LUA } srv_acl_ctx_t;
void srv_acl_log_add(srv_acl_log_t *log, int reason, srv_acl_ctx_t context, fl_slice_t object,
                     fl_slice_t user, const char *client_info);

/* ACL LOG [count]: appends the newest `count` entries as Redis 7.0's maps (count, reason,
 * context, object, username, age-seconds, client-info). */
void srv_acl_log_reply(srv_acl_log_t *log, long count, srv_buf_t *out);

/* ACL LOG RESET: forgets every entry. */
void srv_acl_log_reset(srv_acl_log_t *log);

/* Name of category bit i (0 <= i < SRV_ACL_NCATEGORIES), or the bit of a name (-1 unknown). */
const char *srv_acl_category_name(int i);
int srv_acl_category_bit(const char *name, size_t len);

#endif /* FLATLINE_SERVER_ACL_H */
