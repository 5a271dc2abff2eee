/*
 * src/server/block.h: blocking pops (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP, BZPOPMIN,
 * BZPOPMAX, BZMPOP): a client that finds nothing waits on its keys until a write makes one
 * of them non-empty or its timeout passes. Private to src/server/.
 *
 * Order: the clients blocked on a key are served first-come first-served, whichever worker
 * they belong to: the writer's thread (srv_block_signal) runs each waiter's pop itself, in
 * blocking order, and posts the reply to the waiter's worker (srv_worker_post), which writes
 * it and resumes the client's pipelined input. The timeout fires on the client's own worker.
 * A client that disconnects while blocked is forgotten; one that disconnects after it was
 * served loses that reply, as a Redis client that disconnects before reading it does.
 */
#ifndef FLATLINE_SERVER_BLOCK_H
#define FLATLINE_SERVER_BLOCK_H

#include "srv.h"

/* What a blocked client waits to do, once one of its keys has elements. */
typedef enum srv_bpop_kind {
    SRV_BPOP_LIST,  /* BLPOP/BRPOP: *2 key element */
    SRV_BPOP_LMPOP, /* BLMPOP: *2 key [elements] */
    SRV_BPOP_MOVE,  /* BLMOVE/BRPOPLPUSH: the moved element */
    SRV_BPOP_ZPOP,  /* BZPOPMIN/BZPOPMAX: *3 key member score */
    SRV_BPOP_ZMPOP, /* BZMPOP: *2 key [[member score] ...] */
} srv_bpop_kind_t;

typedef struct srv_bpop srv_bpop_t;
/* Tries op now against the store: true when it wrote a reply (elements, or an error such as
 * WRONGTYPE) to out, false when every key was empty (nothing written). */
typedef bool srv_bpop_try_fn(fl_ns_t *ns, const srv_bpop_t *op, srv_buf_t *out);

struct srv_bpop {
    srv_bpop_kind_t kind;
    srv_bpop_try_fn *try_pop;
    bool tail;     /* lists: pop from the tail; sorted sets: pop the maximum */
    bool dst_tail; /* MOVE: push to the destination's tail */
    size_t count;  /* LMPOP/ZMPOP: up to this many elements */
    const fl_slice_t *keys;
    size_t nkeys;
    fl_slice_t dst; /* MOVE: the destination */
    bool serving;   /* set by block.c while it serves a blocked client: try_pop then skips a
                     * key of the wrong type (Redis serves a waiter only from a key of its
                     * type) instead of answering WRONGTYPE */
    size_t db;      /* the keys' namespace index, for keyspace notifications (notify.h) */
};

/* Runs op for c now when it can, else blocks c on op's keys until deadline_ms (absolute Unix
 * ms; 0 = forever). An in-process client (no worker) or one with deny_blocking (MULTI, scripts)
 * gets the timeout reply at once. */
void srv_block_pop(srv_client_t *c, const srv_bpop_t *op, int64_t deadline_ms);

/* After a write that may have given `key` elements: serves the clients blocked on it. Cheap
 * (one relaxed load) when no client is blocked anywhere. Call without store locks held. */
void srv_block_signal(fl_ns_t *ns, fl_slice_t key);

/* Inside a batch (EXEC, a script, SORT) srv_block_signal only notes the key; this serves them,
 * in signal order, once the batch has ended: EXEC and scripts call it right after fl_batch_end,
 * the dispatcher after every command (so no batch's signals wait). */
void srv_block_batch_done(void);

/* CLIENT UNBLOCK: the client with this id, when blocked, gets its timeout reply (or, with
 * error, Redis's -UNBLOCKED error) on its worker and resumes. False when no such client is
 * blocked. Any thread. */
bool srv_block_unblock(uint64_t client_id, bool error);

/* c is closing (its worker's thread): forget its blocked pop. */
void srv_block_client_gone(srv_client_t *c);

/* Worker loop: milliseconds until the earliest timeout of w's blocked clients (-1: none), and
 * the timeout replies of those whose deadline passed. w's thread only. */
int srv_block_wait_ms(srv_worker_t *w);
void srv_block_expire(srv_worker_t *w);

/* Clients blocked now, all workers (INFO blocked_clients). */
long srv_block_count(void);

/* Parses a blocking timeout in seconds (a float, Redis's rules) into an absolute deadline
 * (0 = forever) or replies the error. */
bool srv_block_parse_timeout(srv_client_t *c, fl_slice_t arg, int64_t *deadline_ms);

#endif /* FLATLINE_SERVER_BLOCK_H */
