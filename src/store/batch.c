/*
 * src/store/batch.c: batches, several store operations made atomic (MULTI/EXEC, scripts).
 *
 * A batch write-locks, for the calling thread, the partitions of every key it declares, in
 * ascending (namespace, partition) order, or every partition of every namespace ("all": for
 * commands that declare no keys, such as FLUSHALL or KEYS). While it is open the thread's
 * fls_rdlock/fls_wrlock/fls_unlock on a partition the batch holds do nothing, so the ordinary
 * store operations run unchanged inside it and no other thread sees part of the batch. A lock
 * on a partition the batch does not hold (a key the caller did not declare) is taken for real
 * and kept until the batch ends: still atomic (two-phase locking); it is the one way a batch
 * can take locks out of order, so callers declare every key they can (the debug counter
 * fls_batch_undeclared shows how often they did not).
 *
 * Invariants: at most one batch per thread (fls_batch_cur, thread-local); every partition in
 * held[] is write-locked by this thread exactly once; with `all` every partition of the store
 * is, and held[] is empty. Inline eviction is skipped inside a keys-only batch (it would lock
 * partitions out of order); the background thread evicts instead.
 */
#include <stdlib.h>

#include "fl_assert.h"
#include "store_internal.h"

_Thread_local fls_batch_t *fls_batch_cur;
_Atomic uint64_t fls_batch_undeclared;

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

static void raw_wrlock(fl_ns_t *ns, fls_part_t *p)
{
    if (ns->store->rwlock)
        pthread_rwlock_wrlock(&p->lock.rw);
    else
        pthread_mutex_lock(&p->lock.m);
}

static void raw_unlock(fl_ns_t *ns, fls_part_t *p)
{
    if (ns->store->rwlock)
        pthread_rwlock_unlock(&p->lock.rw);
    else
        pthread_mutex_unlock(&p->lock.m);
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

int fl_batch_begin(fl_store_t *store, const fl_batch_key_t *keys, size_t n, bool all)
{
    FL_ASSERT(!fls_batch_cur);
    fls_batch_t *b = calloc(1, sizeof(*b));
    if (!b)
        return FL_ENOMEM;
    b->store = store;
    b->all = all;
    if (all) {
        for (size_t i = 0; i < store->n; i++) {
            fl_ns_t *ns = &store->ns[i];
            for (uint32_t j = 0; j < ns->nparts; j++)
                raw_wrlock(ns, &ns->parts[j]);
        }
        fls_batch_cur = b;
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
    qsort(b->held, b->n, sizeof(*b->held), held_cmp);
    size_t uniq = 0;
    for (size_t i = 0; i < b->n; i++)
        if (uniq == 0 || held_cmp(&b->held[uniq - 1], &b->held[i]) != 0)
            b->held[uniq++] = b->held[i];
    b->n = uniq;
    for (size_t i = 0; i < b->n; i++)
        raw_wrlock(b->held[i].ns, &b->held[i].ns->parts[b->held[i].pidx]);
    fls_batch_cur = b;
    return FL_OK;
}

void fl_batch_end(void)
{
    fls_batch_t *b = fls_batch_cur;
    FL_ASSERT(b);
    fls_batch_cur = NULL;
    if (b->all) {
        for (size_t i = b->store->n; i-- > 0;) {
            fl_ns_t *ns = &b->store->ns[i];
            for (uint32_t j = ns->nparts; j-- > 0;)
                raw_unlock(ns, &ns->parts[j]);
        }
    } else {
        for (size_t i = b->n; i-- > 0;)
            raw_unlock(b->held[i].ns, &b->held[i].ns->parts[b->held[i].pidx]);
    }
    free(b->held);
    free(b);
}

bool fl_batch_active(void)
{
    return fls_batch_cur != NULL;
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
    raw_wrlock(ns, p);
    bool recorded = held_push(b, ns, pidx);
    FL_ASSERT(recorded);
    return true;
}

bool fl_batch_holds_all(void)
{
    return fls_batch_all();
}

bool fls_batch_all(void)
{
    return fls_batch_cur && fls_batch_cur->all;
}
