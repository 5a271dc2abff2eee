/*
 * src/store/batch.c: batches, several store operations made atomic (MULTI/EXEC, scripts), and
 * the store's exclusive gate they use when they cannot name their keys.
 *
 * A keys batch write-locks, for the calling thread, the partitions of every key it declares, in
 * ascending (namespace, partition) order. While it is open the thread's fls_rdlock/fls_wrlock/
 * fls_unlock on a partition it holds do nothing, so the ordinary store operations run unchanged
 * inside it and no other thread sees part of the batch. A lock on a partition the batch does
 * not hold (a key the caller did not declare) is taken for real and kept until the batch ends:
 * still atomic (two-phase locking), but the one way a batch can take locks out of order, so
 * callers declare every key they can (fls_batch_undeclared counts the exceptions).
 *
 * An "all" batch (FLUSHALL, KEYS, scripts) does not lock 4096 partitions per namespace: it
 * closes the store's gate. Every thread passes the gate when it takes its first partition lock
 * (lock depth 0 -> 1, fls_gate_enter) and leaves it with its last unlock; the gate counts the
 * threads inside in cache-line-padded slots (a thread's slot is fixed; threads may share one),
 * so passing it costs an uncontended increment and a read of the rarely written `closed` flag.
 * Closing sets `closed` and waits until every slot is zero: from then on no other thread holds
 * or can take a partition lock, and the closing thread's own lock operations are skipped.
 * Threads that arrive at a closed gate wait on its condition variable. (Increment-then-check on
 * one side and set-then-scan on the other, both sequentially consistent, so a thread either
 * sees the gate closed or is seen by the closer.)
 *
 * Invariants: at most one batch per thread (fls_batch_cur, thread-local); every partition in
 * held[] is write-locked by this thread exactly once; a thread with lock depth > 0 is counted
 * in its gate slot; at most one thread has a store's gate closed (close_mu). Waiting at the
 * gate happens only at depth 0, holding no partition lock, so a closer never waits for a
 * thread that waits for it. Inline eviction is skipped inside a keys batch (it would lock
 * partitions out of order); the background thread evicts instead.
 */
#include <sched.h>
#include <stdlib.h>

#include "fl_assert.h"
#include "store_internal.h"

_Thread_local fls_batch_t *fls_batch_cur;
_Atomic uint64_t fls_batch_undeclared;

/* ---- The gate ------------------------------------------------------------------------------ */

static _Thread_local unsigned lock_depth;     /* partition locks this thread holds */
static _Thread_local fl_store_t *depth_store; /* whose gate it passed */
static _Thread_local int my_slot = -1;
static _Atomic unsigned next_slot;

/* The calling thread's slot index, assigned at its first lock (out of line: once a thread). */
static __attribute__((noinline)) int assign_slot(void)
{
    my_slot = (int)(atomic_fetch_add(&next_slot, 1) % FLS_GATE_SLOTS);
    return my_slot;
}

static fls_gate_slot_t *slot_of(fl_store_t *s)
{
    return &s->gate.slots[my_slot >= 0 ? my_slot : assign_slot()];
}

void fls_gate_init(fl_store_t *s)
{
    pthread_mutex_init(&s->gate.close_mu, NULL);
    pthread_mutex_init(&s->gate.wait_mu, NULL);
    pthread_cond_init(&s->gate.wait_cv, NULL);
}

void fls_gate_destroy(fl_store_t *s)
{
    pthread_mutex_destroy(&s->gate.close_mu);
    pthread_mutex_destroy(&s->gate.wait_mu);
    pthread_cond_destroy(&s->gate.wait_cv);
}

/* The gate was closed when this thread arrived (its slot already counts it): steps back out,
 * waits for the gate to open and tries again. Out of line: the fast path stays a few
 * instructions. */
static __attribute__((noinline)) void gate_wait(fl_store_t *s, _Atomic long *n)
{
    do {
        atomic_fetch_sub(n, 1);
        pthread_mutex_lock(&s->gate.wait_mu);
        while (atomic_load(&s->gate.closed))
            pthread_cond_wait(&s->gate.wait_cv, &s->gate.wait_mu);
        pthread_mutex_unlock(&s->gate.wait_mu);
        atomic_fetch_add(n, 1);
    } while (atomic_load(&s->gate.closed));
}

void fls_gate_enter(fl_store_t *s)
{
    if (lock_depth++ > 0) {
        FL_DEBUG_ASSERT(depth_store == s); /* one store's partitions at a time */
        return;
    }
    FL_DEBUG_ONLY(depth_store = s);
    _Atomic long *n = &slot_of(s)->n;
    atomic_fetch_add(n, 1); /* then read `closed`: both seq_cst, against fls_gate_close's order */
    if (__builtin_expect(atomic_load(&s->gate.closed), 0))
        gate_wait(s, n);
}

void fls_gate_leave(fl_store_t *s)
{
    FL_DEBUG_ASSERT(lock_depth > 0 && depth_store == s);
    if (--lock_depth > 0)
        return;
    FL_DEBUG_ONLY(depth_store = NULL);
    atomic_fetch_sub_explicit(&slot_of(s)->n, 1, memory_order_release);
}

/* Closes the gate and waits for every other thread to leave it. */
void fls_gate_close(fl_store_t *s)
{
    FL_ASSERT(lock_depth == 0);
    pthread_mutex_lock(&s->gate.close_mu);
    atomic_store(&s->gate.closed, true);
    for (unsigned i = 0; i < FLS_GATE_SLOTS; i++)
        while (atomic_load(&s->gate.slots[i].n) != 0)
            sched_yield(); /* holders finish an operation or a keys batch: microseconds */
}

void fls_gate_open(fl_store_t *s)
{
    pthread_mutex_lock(&s->gate.wait_mu);
    atomic_store(&s->gate.closed, false);
    pthread_cond_broadcast(&s->gate.wait_cv);
    pthread_mutex_unlock(&s->gate.wait_mu);
    pthread_mutex_unlock(&s->gate.close_mu);
}

/* ---- Batches ------------------------------------------------------------------------------- */

static uint64_t part_order(const fl_ns_t *ns, uint32_t pidx)
{
    return ((uint64_t)(ns - ns->store->ns) << 32) | pidx;
}

static int held_cmp(const void *a, const void *b)
{
    const fls_held_t *x = a, *y = b;
    uint64_t ox = part_order(x->ns, x->pidx), oy = part_order(y->ns, y->pidx);
    return ox < oy ? -1 : ox > oy;
}

static bool held_push(fls_batch_t *b, fl_ns_t *ns, uint32_t pidx)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? 2 * b->cap : 16;
        fls_held_t *h = realloc(b->held, cap * sizeof(*h));
        if (!h)
            return false;
        b->held = h;
        b->cap = cap;
    }
    b->held[b->n].ns = ns;
    b->held[b->n].pidx = pidx;
    b->n++;
    return true;
}

/* Sorts the declared partitions and drops duplicates. */
static void held_sort_unique(fls_batch_t *b)
{
    if (b->n < 2)
        return; /* (held may be NULL: qsort must not see it) */
    qsort(b->held, b->n, sizeof(*b->held), held_cmp);
    size_t uniq = 0;
    for (size_t i = 0; i < b->n; i++)
        if (uniq == 0 || held_cmp(&b->held[uniq - 1], &b->held[i]) != 0)
            b->held[uniq++] = b->held[i];
    b->n = uniq;
}

int fl_batch_begin(fl_store_t *store, const fl_batch_key_t *keys, size_t n, bool all)
{
    FL_ASSERT(!fls_batch_cur && lock_depth == 0);
    fls_batch_t *b = calloc(1, sizeof(*b));
    if (!b)
        return FL_ENOMEM;
    b->store = store;
    b->all = all;
    if (all) {
        fls_gate_close(store);
        fls_batch_cur = b;
        fls_group_begin(store);
        return FL_OK;
    }
    for (size_t i = 0; i < n; i++) {
        fls_key_t k;
        fls_key_init(keys[i].ns, keys[i].key, &k);
        if (!held_push(b, keys[i].ns, k.pidx)) {
            free(b->held);
            free(b);
            return FL_ENOMEM;
        }
    }
    held_sort_unique(b);
    fls_gate_enter(store);
    for (size_t i = 0; i < b->n; i++)
        fls_lock_batch(b->held[i].ns, &b->held[i].ns->parts[b->held[i].pidx]);
    fls_batch_cur = b;
    fls_group_begin(store);
    return FL_OK;
}

void fl_batch_end(void)
{
    fls_batch_t *b = fls_batch_cur;
    FL_ASSERT(b);
    /* The batch's commits are one group for the hooks (an append-only log writes them as one
     * MULTI block), ended before anything unlocks (store_internal.h, THE COMMIT POINT). */
    fls_group_end(b->store);
    fls_batch_cur = NULL;
    if (b->all) {
        fls_gate_open(b->store);
    } else {
        for (size_t i = b->n; i-- > 0;)
            fls_unlock_batch(b->held[i].ns, &b->held[i].ns->parts[b->held[i].pidx]);
        fls_gate_leave(b->store);
    }
    free(b->held);
    free(b);
}

bool fl_batch_active(void)
{
    return fls_batch_cur != NULL;
}

bool fl_batch_holds_all(void)
{
    return fls_batch_all();
}

bool fls_batch_take(fl_ns_t *ns, fls_part_t *p)
{
    fls_batch_t *b = fls_batch_cur;
    if (b->all)
        return true;
    uint32_t pidx = (uint32_t)(p - ns->parts);
    for (size_t i = 0; i < b->n; i++)
        if (b->held[i].ns == ns && b->held[i].pidx == pidx)
            return true;
    /* An undeclared key: lock it now and keep it (see the header). Out of memory for the one
     * entry leaves no way to release it later: that is a bug-level failure. */
    atomic_fetch_add_explicit(&fls_batch_undeclared, 1, memory_order_relaxed);
    fls_lock_batch(ns, p);
    bool recorded = held_push(b, ns, pidx);
    FL_ASSERT(recorded);
    return true;
}

bool fls_batch_all(void)
{
    return fls_batch_cur && fls_batch_cur->all;
}
