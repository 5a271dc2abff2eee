/*
 * src/server/script.h: Lua scripting (EVAL and Redis 7 functions) for flatline-server.
 * Private to src/server/.
 *
 * One Lua 5.1 state serves the whole server. It is protected by the store itself: a script,
 * and anything that touches the state (SCRIPT LOAD/FLUSH, FUNCTION LOAD/DELETE/...), runs in a
 * store batch that holds every partition (fl_batch_begin with `all`), which no other thread
 * can hold at the same time. A script must be atomic over the keys it touches, and Redis does
 * not require scripts to declare them, so every script locks everything anyway: per-worker
 * states would only add memory (a state and compiled copies per worker) without letting two
 * scripts run at once. The Lua state lives as long as the server: its memory is in the
 * "scripts" server-lifetime arena (lifetime.h), counted there and never as records.
 *
 * A script runs its commands through the ordinary command table on a fake client (its reply
 * buffer is parsed back into Lua values), so replies and errors are the commands' own.
 * Thread-safety of the functions below: the worker thread of `c`; srv_script_busy and the
 * kill requests are atomics readable from any worker.
 */
#ifndef FLATLINE_SERVER_SCRIPT_H
#define FLATLINE_SERVER_SCRIPT_H

#include "srv.h"

/* EVAL / EVALSHA / EVAL_RO / EVALSHA_RO (argv as given by the client). */
void srv_script_eval(srv_client_t *c, int argc, const fl_slice_t *argv, bool by_sha, bool ro);

/* FCALL / FCALL_RO. */
void srv_script_fcall(srv_client_t *c, int argc, const fl_slice_t *argv, bool ro);

/* SCRIPT LOAD / EXISTS / FLUSH (argv[1] is the subcommand). */
void srv_script_load(srv_client_t *c, fl_slice_t body);
void srv_script_exists(srv_client_t *c, int argc, const fl_slice_t *argv);
void srv_script_flush(srv_client_t *c);

/* DEBUG SET-DISABLE-DENY-SCRIPTS: lets scripts call DEBUG (Redis's flag lifts every noscript
 * refusal; here only DEBUG's: the others would nest transactions, scripts or blocking waits
 * inside the script lock). Any thread. */
void srv_script_allow_debug(bool on);

/* Scripts in the EVAL cache (INFO memory's number_of_cached_scripts). Any thread. */
size_t srv_script_cached_count(void);

/* SCRIPT KILL (eval true) / FUNCTION KILL: replies OK, NOTBUSY, UNKILLABLE or BUSY. */
void srv_script_kill(srv_client_t *c, bool eval);

/* FUNCTION LOAD [REPLACE] / DELETE / FLUSH / LIST / DUMP / RESTORE / STATS. */
void srv_function_load(srv_client_t *c, fl_slice_t code, bool replace);
void srv_function_delete(srv_client_t *c, fl_slice_t lib);
void srv_function_flush(srv_client_t *c);
void srv_function_list(srv_client_t *c, fl_slice_t pattern, bool with_code);
void srv_function_dump(srv_client_t *c);
void srv_function_restore(srv_client_t *c, fl_slice_t payload, int policy);
void srv_function_stats(srv_client_t *c);

/* Before any command outside a script: when a script is running, waits (blocking the calling
 * worker, as Redis's one thread is blocked) until it ends or has run busy_ms (Redis's
 * busy-reply-threshold, alias lua-time-limit: the option busy-reply-threshold), then
 * returns the BUSY error to reply, or NULL when cmd may run (the script ended; SCRIPT KILL,
 * FUNCTION KILL and SHUTDOWN never wait). Waiting here, not inside the store, keeps a worker
 * able to answer BUSY and take SCRIPT KILL. Any worker thread. */
const char *srv_script_wait(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv,
                            long long busy_ms);

/* The client running the script when c is the script's own client (its commands come from
 * redis.call), else NULL. Worker thread of c. */
srv_client_t *srv_script_caller(const srv_client_t *c);

/* Server stop: makes a running script fail at its next count hook, even one that wrote (Redis's
 * SHUTDOWN NOSAVE), so its worker can stop. Any thread. */
void srv_script_abort(void);

/* Frees the Lua state (server stop, after every worker stopped). */
void srv_script_shutdown(void);

#endif /* FLATLINE_SERVER_SCRIPT_H */
