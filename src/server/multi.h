/*
 * src/server/multi.h: a client's transaction (MULTI ... EXEC) and its watched keys (multi.c),
 * used by dispatch (commands.c) and the MULTI family (cmd_multi.c). Private to src/server/.
 *
 * State lives in c->multi, allocated at the first MULTI or WATCH, touched only by the
 * client's worker thread (the watches' touched flags are set by whichever thread commits a
 * change: see fl_watch_add).
 */
#ifndef FLATLINE_SERVER_MULTI_H
#define FLATLINE_SERVER_MULTI_H

#include "srv.h"

/* True when c is inside MULTI and cmd is to be queued rather than run (everything but EXEC,
 * DISCARD, MULTI, WATCH, QUIT, RESET). */
bool srv_multi_queues(const srv_client_t *c, const srv_cmd_t *cmd);

/* Queues a copy of the command and replies +QUEUED, or replies an error and flags the
 * transaction when the command is not allowed in one or cannot be copied. */
void srv_multi_queue(srv_client_t *c, const srv_cmd_t *cmd, int argc, const fl_slice_t *argv);

/* A command was refused while c was queuing (unknown, wrong arity, ...): EXEC will reply
 * EXECABORT. No-op outside MULTI. */
void srv_multi_flag_error(srv_client_t *c);

/* MULTI: false when c is already in one. */
bool srv_multi_begin(srv_client_t *c);
bool srv_multi_active(const srv_client_t *c);

/* Commands queued since MULTI, or -1 outside MULTI (CLIENT LIST's multi=). */
long srv_multi_queued(const srv_client_t *c);

/* EXEC (c is in MULTI): runs the queue atomically and replies; see multi.c. */
void srv_multi_exec(srv_client_t *c);

/* EXEC refused by a busy script (Redis's execCommandAbort): forgets the queue, leaves MULTI and
 * replies "-EXECABORT Transaction discarded because of: <err>". The watches stay until the next
 * UNWATCH, EXEC or close: dropping them takes their partitions' locks, which the script holds. */
void srv_multi_exec_busy(srv_client_t *c, const char *err);

/* DISCARD and the end of EXEC: forgets the queue and every watch. */
void srv_multi_discard(srv_client_t *c);

/* WATCH one key of c's namespace (no-op when already watched). False when out of memory. */
bool srv_multi_watch(srv_client_t *c, fl_slice_t key);

/* UNWATCH: forgets every watch. */
void srv_multi_unwatch(srv_client_t *c);

/* Frees the client's transaction state and its watches (client close). */
void srv_multi_free(srv_client_t *c);

/* Collects the store keys argv names according to cmd's key positions into keys (appending
 * from *n, capacity cap) for namespace ns. Returns false when the command touches the store
 * without naming its keys (the caller then locks everything) or when keys is full. */
bool srv_cmd_batch_keys(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv, fl_ns_t *ns,
                        fl_batch_key_t *keys, size_t *n, size_t cap);

#endif /* FLATLINE_SERVER_MULTI_H */
