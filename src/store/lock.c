/*
 * src/store/lock.c: the partition locks (a mutex or a rwlock per partition, fixed per store at
 * open) and, in debug builds (FLATLINE_DEBUG), who holds them, so that the functions whose
 * contract says "lock held" assert it (as SQLite's sqlite3_mutex_held) and the lock order is
 * checked on every acquisition.
 *
 * Lock order (store_internal.h): a thread holds at most one partition lock, except MSET, which
 * takes several in ascending partition order, and batches (batch.c), which take theirs in
 * ascending (namespace, partition) order through fls_lock_batch. Debug builds assert the
 * former: a thread that already holds partition locks may only take one of a higher index in
 * the same namespace, so a sink that called back into the store, or a path that took locks out
 * of order, aborts at once instead of deadlocking some day.
 *
 * Batches: inside one, the thread's fls_rdlock/fls_wrlock on a partition the batch holds and
 * every fls_unlock do nothing (the batch releases at its end); a thread whose batch closed the
 * store's gate holds every partition without locking any (fls_part_held* say so). Outside a
 * batch, a thread's first partition lock passes the gate and its last unlock leaves it.
 *
 * Debug bookkeeping: each partition records the small id of the thread holding it exclusively
 * (`writer`: a write lock, or any lock in mutex mode) and how many readers hold it shared
 * (`readers`); each thread counts the partition locks it holds and remembers the last one it
 * took. The fields live in the partition's padding, so a partition is 128 bytes in every build.
 */
#include "store_internal.h"

#ifdef FLATLINE_DEBUG
static _Atomic uint32_t g_next_thread_id = 1;
static _Thread_local uint32_t t_id;            /* 0 until the thread first locks */
static _Thread_local unsigned t_held;          /* partition locks this thread holds */
static _Thread_local const fls_part_t *t_last; /* the last one it took */

static uint32_t thread_id(void)
{
    if (t_id == 0)
        t_id = atomic_fetch_add_explicit(&g_next_thread_id, 1, memory_order_relaxed);
    return t_id;
}

/* Before taking p: this thread holds no partition lock, or only lower ones of the same
 * namespace (MSET's ascending order). */
static void check_order(const fl_ns_t *ns, const fls_part_t *p)
{
    if (t_held == 0)
        return;
    FL_DEBUG_ASSERT(t_last >= ns->parts && t_last < ns->parts + ns->nparts); /* same namespace */
    FL_DEBUG_ASSERT(p > t_last);                                             /* ascending order */
}

static void note_exclusive(fls_part_t *p)
{
    FL_DEBUG_ASSERT(atomic_load_explicit(&p->writer, memory_order_relaxed) == 0);
    atomic_store_explicit(&p->writer, thread_id(), memory_order_relaxed);
    t_held++;
    t_last = p;
}

static void note_shared(fls_part_t *p)
{
    atomic_fetch_add_explicit(&p->readers, 1, memory_order_relaxed);
    t_held++;
    t_last = p;
}

static void note_release(fls_part_t *p)
{
    FL_DEBUG_ASSERT(t_held > 0);
    if (atomic_load_explicit(&p->writer, memory_order_relaxed) == thread_id()) {
        atomic_store_explicit(&p->writer, 0, memory_order_relaxed);
    } else {
        FL_DEBUG_ASSERT(atomic_load_explicit(&p->readers, memory_order_relaxed) > 0);
        atomic_fetch_sub_explicit(&p->readers, 1, memory_order_relaxed);
    }
    if (--t_held == 0)
        t_last = NULL;
}

bool fls_part_held_exclusive(const fls_part_t *p)
{
    return fls_batch_all() || atomic_load_explicit(&p->writer, memory_order_relaxed) == thread_id();
}

bool fls_part_held(const fls_part_t *p)
{
    /* Shared holders are counted, not named: a reader count > 0 is the best a debug build can
     * say about this thread (the caller's own read lock keeps it > 0). */
    return fls_part_held_exclusive(p) ||
           atomic_load_explicit(&p->readers, memory_order_relaxed) > 0;
}

unsigned fls_locks_held(void)
{
    return t_held;
}
#else
#define check_order(ns, p) ((void)0)
#define note_exclusive(p) ((void)0)
#define note_shared(p) ((void)0)
#define note_release(p) ((void)0)
#endif

/* A failed lock call (EDEADLK, EINVAL: a corrupt or uninitialised partition) aborts: going on
 * without the lock would corrupt the table silently. */
void fls_rdlock(fl_ns_t *ns, fls_part_t *p)
{
    if (fls_batch_cur && fls_batch_take(ns, p))
        return;
    check_order(ns, p);
    fls_gate_enter(ns->store);
    int rc;
    if (ns->store->rwlock) {
        rc = pthread_rwlock_rdlock(&p->lock.rw);
        FL_ASSERT(rc == 0);
        note_shared(p);
    } else {
        rc = pthread_mutex_lock(&p->lock.m);
        FL_ASSERT(rc == 0);
        note_exclusive(p);
    }
}

void fls_wrlock(fl_ns_t *ns, fls_part_t *p)
{
    if (!fls_batch_cur || !fls_batch_take(ns, p)) {
        check_order(ns, p);
        fls_gate_enter(ns->store);
        int rc =
            ns->store->rwlock ? pthread_rwlock_wrlock(&p->lock.rw) : pthread_mutex_lock(&p->lock.m);
        FL_ASSERT(rc == 0);
        note_exclusive(p);
    }
    /* A snapshot under way: dump before the first change, also when a batch holds the
     * partition (else a batch over a dumped and an undumped partition lands half in it). */
    if (atomic_load_explicit(&ns->store->snap_active, memory_order_acquire))
        fls_snap_cow(ns, p);
}

void fls_unlock(fl_ns_t *ns, fls_part_t *p)
{
    if (fls_batch_cur)
        return;
    note_release(p);
    int rc =
        ns->store->rwlock ? pthread_rwlock_unlock(&p->lock.rw) : pthread_mutex_unlock(&p->lock.m);
    FL_ASSERT(rc == 0);
    fls_gate_leave(ns->store);
}

void fls_lock_batch(fl_ns_t *ns, fls_part_t *p)
{
    int rc =
        ns->store->rwlock ? pthread_rwlock_wrlock(&p->lock.rw) : pthread_mutex_lock(&p->lock.m);
    FL_ASSERT(rc == 0);
    note_exclusive(p);
}

void fls_unlock_batch(fl_ns_t *ns, fls_part_t *p)
{
    note_release(p);
    int rc =
        ns->store->rwlock ? pthread_rwlock_unlock(&p->lock.rw) : pthread_mutex_unlock(&p->lock.m);
    FL_ASSERT(rc == 0);
}
