/*
 * src/server/block.c: clients blocked on keys (see block.h for the order guarantees).
 *
 * State: one registry for the process, under `reg_mu`: a chained hash of (namespace, key) ->
 * FIFO queue of waits (one link per key a client waits on). A blocked client's srv_blocked_t
 * is also on its worker's list (worker thread only) for timeouts and disconnects.
 *
 * Ownership of a srv_blocked_t: the registry while it waits; once served (b->served, set
 * under reg_mu) the task posted to its worker owns it and frees it; a timeout or a disconnect
 * before that frees it under reg_mu. A disconnect after serving sets b->gone (worker thread
 * only), so the task frees it without touching the client.
 *
 * No lost wake-up: a blocking client raises `nwaiting` before it tries its pop, both under
 * reg_mu; a writer commits under the partition lock, then reads `nwaiting`. If the client's
 * try saw the partition before the write, its raise happened before the writer's read, so the
 * writer takes reg_mu (after the client registered) and serves it.
 *
 * Lock order: reg_mu, then store partition locks (the pops run under reg_mu).
 */
#include "block.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"

#define REG_BUCKETS 1024u

typedef struct srv_blocked srv_blocked_t;
typedef struct wait_link wait_link_t;
typedef struct key_entry key_entry_t;

/* One key a client waits on: its place in that key's queue. */
struct wait_link {
    srv_blocked_t *b;
    key_entry_t *e;
    wait_link_t *prev, *next;
};

/* A key with waiters: the FIFO queue of their links. */
struct key_entry {
    fl_ns_t *ns;
    uint64_t hash;
    fl_slice_t key; /* points into this allocation */
    wait_link_t *head, *tail;
    key_entry_t *next; /* registry chain */
};

struct srv_blocked {
    srv_client_t *c;
    srv_worker_t *w;
    fl_ns_t *ns;
    srv_bpop_t op; /* keys and dst point into `args` */
    fl_slice_t *keys;
    char *args;
    int64_t deadline_ms;
    uint8_t proto; /* the client's protocol: the serving thread writes the reply in it */
    bool served;   /* reg_mu */
    bool gone;     /* worker thread: the client closed after being served */
    wait_link_t *links;
    srv_blocked_t *wprev, *wnext; /* the worker's list (worker thread) */
};

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static key_entry_t *reg[REG_BUCKETS]; /* reg_mu */
static _Atomic long nwaiting;         /* clients blocked or about to block */

long srv_block_count(void)
{
    long n = atomic_load_explicit(&nwaiting, memory_order_relaxed);
    return n > 0 ? n : 0;
}

static uint64_t key_hash(fl_ns_t *ns, fl_slice_t k)
{
    uint64_t h = 1469598103934665603ull ^ (uintptr_t)ns;
    for (size_t i = 0; i < k.n; i++)
        h = (h ^ (unsigned char)k.p[i]) * 1099511628211ull;
    return h;
}

static key_entry_t **entry_find(fl_ns_t *ns, fl_slice_t k, uint64_t h)
{
    key_entry_t **ref = &reg[h % REG_BUCKETS];
    for (; *ref; ref = &(*ref)->next) {
        key_entry_t *e = *ref;
        if (e->hash == h && e->ns == ns && e->key.n == k.n &&
            (k.n == 0 || memcmp(e->key.p, k.p, k.n) == 0))
            return ref;
    }
    return NULL;
}

/* Queues b's link for key k (reg_mu held). False when out of memory. */
static bool link_add(srv_blocked_t *b, wait_link_t *l, fl_slice_t k)
{
    uint64_t h = key_hash(b->ns, k);
    key_entry_t **ref = entry_find(b->ns, k, h);
    key_entry_t *e = ref ? *ref : NULL;
    if (!e) {
        e = malloc(sizeof(*e) + k.n);
        if (!e)
            return false;
        memset(e, 0, sizeof(*e));
        e->ns = b->ns;
        e->hash = h;
        e->key.p = (char *)(e + 1);
        e->key.n = k.n;
        if (k.n)
            memcpy((char *)(e + 1), k.p, k.n);
        e->next = reg[h % REG_BUCKETS];
        reg[h % REG_BUCKETS] = e;
    }
    l->b = b;
    l->e = e;
    l->next = NULL;
    l->prev = e->tail;
    if (e->tail)
        e->tail->next = l;
    else
        e->head = l;
    e->tail = l;
    return true;
}

static void link_remove(wait_link_t *l)
{
    key_entry_t *e = l->e;
    if (!e)
        return;
    if (l->prev)
        l->prev->next = l->next;
    else
        e->head = l->next;
    if (l->next)
        l->next->prev = l->prev;
    else
        e->tail = l->prev;
    l->e = NULL;
    if (e->head)
        return;
    key_entry_t **ref = entry_find(e->ns, e->key, e->hash);
    FL_ASSERT(ref && *ref == e);
    *ref = e->next;
    free(e);
}

/* Takes b out of every queue (reg_mu held). */
static void unqueue(srv_blocked_t *b)
{
    for (size_t i = 0; i < b->op.nkeys; i++)
        link_remove(&b->links[i]);
    atomic_fetch_sub_explicit(&nwaiting, 1, memory_order_relaxed);
}

static void worker_unlink(srv_blocked_t *b)
{
    if (b->wprev)
        b->wprev->wnext = b->wnext;
    else if (b->w->blocked == b)
        b->w->blocked = b->wnext;
    if (b->wnext)
        b->wnext->wprev = b->wprev;
    b->wprev = b->wnext = NULL;
}

static void blocked_free(srv_blocked_t *b)
{
    free(b->links);
    free(b->keys);
    free(b->args);
    free(b);
}

/* A copy of op's keys and destination owned by b. */
static bool copy_op(srv_blocked_t *b, const srv_bpop_t *op)
{
    size_t bytes = op->dst.n;
    for (size_t i = 0; i < op->nkeys; i++)
        bytes += op->keys[i].n;
    b->args = malloc(bytes ? bytes : 1);
    b->keys = malloc(op->nkeys * sizeof(*b->keys));
    b->links = calloc(op->nkeys, sizeof(*b->links));
    if (!b->args || !b->keys || !b->links)
        return false;
    b->op = *op;
    char *w = b->args;
    for (size_t i = 0; i < op->nkeys; i++) {
        b->keys[i] = (fl_slice_t){w, op->keys[i].n};
        if (op->keys[i].n)
            memcpy(w, op->keys[i].p, op->keys[i].n);
        w += op->keys[i].n;
    }
    b->op.keys = b->keys;
    b->op.dst = (fl_slice_t){w, op->dst.n};
    if (op->dst.n)
        memcpy(w, op->dst.p, op->dst.n);
    return true;
}

/* Resumes c after its blocked pop ended with `reply` appended (worker thread). */
static void resume(srv_client_t *c)
{
    c->blocked = NULL;
    srv_client_process_input(c);
    srv_client_settle(c);
}

void srv_block_pop(srv_client_t *c, const srv_bpop_t *op, int64_t deadline_ms)
{
    pthread_mutex_lock(&reg_mu);
    atomic_fetch_add(&nwaiting, 1); /* before the try: see "No lost wake-up" */
    if (op->try_pop(c->ns, op, &c->out)) {
        atomic_fetch_sub(&nwaiting, 1);
        pthread_mutex_unlock(&reg_mu);
        return;
    }
    srv_blocked_t *b = c->worker && !c->deny_blocking ? calloc(1, sizeof(*b)) : NULL;
    if (!b || !(b->c = c, b->w = c->worker, b->ns = c->ns, copy_op(b, op))) {
        atomic_fetch_sub(&nwaiting, 1);
        pthread_mutex_unlock(&reg_mu);
        if (b)
            blocked_free(b);
        if (c->worker && !c->deny_blocking)
            c->out.failed = true;           /* out of memory: drop the connection */
        else if (op->kind == SRV_BPOP_MOVE) /* may not block: Redis's null for BLMOVE... */
            srv_reply_nil(&c->out);
        else /* ... and the null array of a timeout for the others */
            srv_reply_null_array(&c->out);
        return;
    }
    b->deadline_ms = deadline_ms;
    b->proto = c->out.proto;
    size_t linked = 0;
    for (; linked < op->nkeys; linked++)
        if (!link_add(b, &b->links[linked], b->keys[linked]))
            break;
    if (linked < op->nkeys) {
        for (size_t i = 0; i < linked; i++)
            link_remove(&b->links[i]);
        atomic_fetch_sub(&nwaiting, 1);
        pthread_mutex_unlock(&reg_mu);
        blocked_free(b);
        c->out.failed = true;
        return;
    }
    pthread_mutex_unlock(&reg_mu);
    b->wnext = c->worker->blocked;
    if (b->wnext)
        b->wnext->wprev = b;
    c->worker->blocked = b;
    c->blocked = b;
}

/* The reply of a served client, on its way to the client's worker. */
typedef struct served_task {
    srv_task_t t;
    srv_blocked_t *b;
    srv_buf_t reply;
} served_task_t;

static void served_run(srv_worker_t *w, srv_task_t *t)
{
    served_task_t *st = (served_task_t *)t;
    srv_blocked_t *b = st->b;
    (void)w;
    if (!b->gone) {
        srv_client_t *c = b->c;
        worker_unlink(b);
        srv_reply_raw(&c->out, st->reply.p, st->reply.len);
        if (st->reply.failed)
            c->out.failed = true;
        blocked_free(b);
        srv_buf_free(&st->reply);
        free(st);
        resume(c);
        return;
    }
    blocked_free(b);
    srv_buf_free(&st->reply);
    free(st);
}

/* A destination key a served BLMOVE pushed to (signalled after reg_mu is released). */
typedef struct pending_key {
    struct pending_key *next;
    fl_ns_t *ns;
    size_t n;
    char key[];
} pending_key_t;

/* Serves the waiters of (ns, key) in order while pops succeed (reg_mu held). Destinations of
 * served moves are pushed on *more. */
static void serve_key(fl_ns_t *ns, fl_slice_t key, pending_key_t **more)
{
    uint64_t h = key_hash(ns, key);
    for (;;) {
        key_entry_t **ref = entry_find(ns, key, h);
        if (!ref)
            return;
        srv_blocked_t *b = (*ref)->head->b;
        served_task_t *st = calloc(1, sizeof(*st));
        if (!st)
            return; /* out of memory: the waiter keeps waiting */
        st->reply.proto = b->proto;
        b->op.serving = true;
        if (!b->op.try_pop(b->ns, &b->op, &st->reply)) {
            srv_buf_free(&st->reply);
            free(st);
            return;
        }
        unqueue(b);
        b->served = true;
        if (b->op.kind == SRV_BPOP_MOVE) {
            pending_key_t *pk = malloc(sizeof(*pk) + b->op.dst.n);
            if (pk) {
                pk->ns = b->ns;
                pk->n = b->op.dst.n;
                if (pk->n)
                    memcpy(pk->key, b->op.dst.p, pk->n);
                pk->next = *more;
                *more = pk;
            }
        }
        st->b = b;
        st->t.fn = served_run;
        srv_worker_post(b->w, &st->t);
    }
}

/* Keys signalled inside a batch (EXEC, a script) on this thread, in signal order: served when
 * the batch has ended (srv_block_batch_done), so a waiter sees the transaction's result, never
 * a state inside it (Redis serves blocked clients after the whole command). */
static _Thread_local pending_key_t *deferred, *deferred_last;

static void defer_key(fl_ns_t *ns, fl_slice_t key)
{
    pending_key_t *pk = malloc(sizeof(*pk) + key.n);
    if (!pk)
        return; /* out of memory: the waiter keeps waiting, as when serve_key cannot allocate */
    pk->next = NULL;
    pk->ns = ns;
    pk->n = key.n;
    if (key.n)
        memcpy(pk->key, key.p, key.n);
    if (deferred_last)
        deferred_last->next = pk;
    else
        deferred = pk;
    deferred_last = pk;
}

void srv_block_batch_done(void)
{
    FL_ASSERT(!fl_batch_active());
    while (deferred) {
        pending_key_t *pk = deferred;
        deferred = pk->next;
        if (!deferred)
            deferred_last = NULL;
        srv_block_signal(pk->ns, (fl_slice_t){pk->key, pk->n});
        free(pk);
    }
}

void srv_block_signal(fl_ns_t *ns, fl_slice_t key)
{
    if (atomic_load(&nwaiting) == 0)
        return;
    if (fl_batch_active()) {
        defer_key(ns, key);
        return;
    }
    pending_key_t *more = NULL;
    pthread_mutex_lock(&reg_mu);
    serve_key(ns, key, &more);
    while (more) {
        pending_key_t *pk = more;
        more = pk->next;
        serve_key(pk->ns, (fl_slice_t){pk->key, pk->n}, &more);
        free(pk);
    }
    pthread_mutex_unlock(&reg_mu);
}

bool srv_block_unblock(uint64_t client_id, bool error)
{
    pthread_mutex_lock(&reg_mu);
    srv_blocked_t *b = NULL;
    for (size_t i = 0; i < REG_BUCKETS && !b; i++)
        for (key_entry_t *e = reg[i]; e && !b; e = e->next)
            for (wait_link_t *l = e->head; l && !b; l = l->next)
                if (l->b->c->id == client_id) /* ids are immutable: readable from any thread */
                    b = l->b;
    served_task_t *st = b ? calloc(1, sizeof(*st)) : NULL;
    if (st) { /* answered on its worker, as a served pop is */
        unqueue(b);
        b->served = true;
        if (error)
            srv_reply_error(&st->reply, "UNBLOCKED client unblocked via CLIENT UNBLOCK");
        else
            srv_reply_raw(&st->reply, "*-1\r\n", 5);
        st->b = b;
        st->t.fn = served_run;
        srv_worker_post(b->w, &st->t);
    }
    pthread_mutex_unlock(&reg_mu);
    return st != NULL;
}

void srv_block_client_gone(srv_client_t *c)
{
    srv_blocked_t *b = c->blocked;
    if (!b)
        return;
    c->blocked = NULL;
    worker_unlink(b);
    pthread_mutex_lock(&reg_mu);
    bool served = b->served;
    if (!served)
        unqueue(b);
    pthread_mutex_unlock(&reg_mu);
    if (served)
        b->gone = true; /* the task on its way frees it */
    else
        blocked_free(b);
}

int srv_block_wait_ms(srv_worker_t *w)
{
    int64_t next = 0;
    for (srv_blocked_t *b = w->blocked; b; b = b->wnext)
        if (b->deadline_ms && (!next || b->deadline_ms < next))
            next = b->deadline_ms;
    if (!next)
        return -1;
    int64_t d = next - fl_now_ms();
    return d <= 0 ? 0 : d > 1000 ? 1000 : (int)d;
}

void srv_block_expire(srv_worker_t *w)
{
    int64_t now = fl_now_ms();
    srv_blocked_t *b = w->blocked;
    while (b) {
        srv_blocked_t *next = b->wnext;
        if (b->deadline_ms && b->deadline_ms <= now) {
            pthread_mutex_lock(&reg_mu);
            bool served = b->served;
            if (!served)
                unqueue(b);
            pthread_mutex_unlock(&reg_mu);
            if (!served) {
                srv_client_t *c = b->c;
                worker_unlink(b);
                blocked_free(b);
                srv_reply_null_array(&c->out);
                resume(c);
                /* resume may have blocked c again or closed it: restart from the head */
                next = w->blocked;
            }
        }
        b = next;
    }
}

bool srv_block_parse_timeout(srv_client_t *c, fl_slice_t arg, int64_t *deadline_ms)
{
    char buf[64];
    long double v = 0;
    bool ok = arg.n > 0 && arg.n < sizeof(buf);
    if (ok) {
        memcpy(buf, arg.p, arg.n);
        buf[arg.n] = '\0';
        char *end;
        errno = 0;
        v = strtold(buf, &end);
        ok = *end == '\0' && errno != ERANGE && !isnan(v) && !isinf(v) && buf[0] != ' ';
    }
    if (!ok) {
        srv_reply_error(&c->out, "ERR timeout is not a float or out of range");
        return false;
    }
    long double ms = ceill(v * 1000.0L);
    if (ms < 0) {
        srv_reply_error(&c->out, "ERR timeout is negative");
        return false;
    }
    if (ms > 1e15L) {
        srv_reply_error(&c->out, "ERR timeout is out of range");
        return false;
    }
    *deadline_ms = ms > 0 ? fl_now_ms() + (int64_t)ms : 0;
    return true;
}
