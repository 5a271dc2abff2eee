/*
 * src/store/watch.c: watched keys (WATCH), Redis's optimistic locking.
 *
 * A watch is one key of one client, linked into its partition's list (ns->watch[pidx], heads
 * allocated at the namespace's first WATCH) under the partition lock. The commit point calls
 * fls_watch_touch before every change of a partition that has watches, so a write by any command,
 * expiry (lazy or active), eviction and FLUSHDB / FLUSHALL all mark the key's watches: nothing
 * changes a key without passing there.
 *
 * Redis 7.0's stale keys: a key already expired when it was watched counts as missing. Its
 * deletion (by expiry, DEL or FLUSH) is then no logical change and only clears `stale`; any
 * other change marks the watch. A key that was live when watched and is found expired at
 * fl_watch_changed counts as changed (it vanished since WATCH).
 *
 * Invariants: `next`/`prev` and `stale` are protected by the partition lock; `touched` is
 * written under it and read by fl_watch_changed (under it when the caller holds the partition,
 * e.g. in a batch). A watch is in exactly one list from fl_watch_add to fl_watch_remove.
 * Watches are client bookkeeping: plain malloc, not the namespace arena.
 */
#include <stdlib.h>

#include "store_internal.h"

struct fl_watch {
    struct fl_watch *next, *prev; /* the partition's list */
    fl_ns_t *ns;
    uint32_t pidx;
    uint32_t hash;        /* the record hash (low 32 bits of the key hash) */
    bool stale;           /* the key was expired when watched and has not been deleted since */
    _Atomic bool touched; /* the key changed since WATCH */
    size_t klen;
    char key[];
};

static bool watch_is(const fl_watch_t *w, uint32_t hash, const char *key, size_t klen)
{
    return w->hash == hash && w->klen == klen && (klen == 0 || memcmp(w->key, key, klen) == 0);
}

/* A watched key's change: `deleted` when the key is gone afterwards. */
static void watch_mark(fl_watch_t *w, bool deleted)
{
    if (w->stale && deleted) {
        w->stale = false; /* an expired key removed: logically nothing changed */
        return;
    }
    atomic_store_explicit(&w->touched, true, memory_order_relaxed);
}

static void key_of(fl_watch_t *w, fls_key_t *k)
{
    fls_key_init(w->ns, (fl_slice_t){w->key, w->klen}, k);
}

/* The namespace's list heads, allocating them on first use; NULL when out of memory. */
static fl_watch_t **heads(fl_ns_t *ns)
{
    fl_watch_t **h = atomic_load_explicit(&ns->watch, memory_order_acquire);
    if (h)
        return h;
    fl_watch_t **fresh = calloc(ns->nparts, sizeof(*fresh));
    if (!fresh)
        return NULL;
    if (atomic_compare_exchange_strong(&ns->watch, &h, fresh))
        return fresh;
    free(fresh); /* another thread published first: h is theirs */
    return h;
}

void fls_watch_destroy(fl_ns_t *ns)
{
    free(atomic_load(&ns->watch));
    atomic_store(&ns->watch, NULL);
}

void fls_watch_touch(fl_ns_t *ns, uint32_t pidx, const fls_change_t *c)
{
    fl_watch_t **h = atomic_load_explicit(&ns->watch, memory_order_acquire);
    if (!h || !h[pidx])
        return;
    if (c->op == FLS_FLUSH) {
        for (fl_watch_t *w = h[pidx]; w; w = w->next) {
            fls_key_t k;
            key_of(w, &k);
            if (fls_find(&k))
                watch_mark(w, true);
        }
        return;
    }
    const fls_rec_t *r = c->op == FLS_DEL ? c->old : c->rec;
    uint32_t hash = fls_rec_hash(ns, r);
    for (fl_watch_t *w = h[pidx]; w; w = w->next)
        if (watch_is(w, hash, fls_rec_key(r), fls_rec_klen(r)))
            watch_mark(w, c->op == FLS_DEL);
}

int fl_watch_add(fl_ns_t *ns, fl_slice_t key, fl_watch_t **out)
{
    fl_watch_t **h = heads(ns);
    fl_watch_t *w = h ? malloc(sizeof(*w) + key.n) : NULL;
    if (!w)
        return FL_ENOMEM;
    fls_key_t k;
    fls_key_init(ns, key, &k);
    w->ns = ns;
    w->pidx = k.pidx;
    w->hash = (uint32_t)k.h;
    w->klen = key.n;
    fls_copy(w->key, key.p, key.n);
    atomic_init(&w->touched, false);
    w->prev = NULL;
    fls_wrlock(ns, k.part);
    fls_rec_t **ref = fls_find(&k);
    w->stale = ref && fls_rec_expired(*ref, fl_now_ms());
    w->next = h[k.pidx];
    if (w->next)
        w->next->prev = w;
    h[k.pidx] = w;
    fls_unlock(ns, k.part);
    *out = w;
    return FL_OK;
}

bool fl_watch_changed(fl_watch_t *w)
{
    fls_key_t k;
    key_of(w, &k);
    fls_rdlock(w->ns, k.part);
    bool changed = atomic_load_explicit(&w->touched, memory_order_relaxed);
    if (!changed && !w->stale) {
        fls_rec_t **ref = fls_find(&k);
        changed = ref && fls_rec_expired(*ref, fl_now_ms());
    }
    fls_unlock(w->ns, k.part);
    return changed;
}

fl_batch_key_t fl_watch_key(const fl_watch_t *w)
{
    return (fl_batch_key_t){w->ns, {w->key, w->klen}};
}

void fl_watch_remove(fl_watch_t *w)
{
    if (!w)
        return;
    fls_part_t *p = &w->ns->parts[w->pidx];
    fl_watch_t **h = atomic_load_explicit(&w->ns->watch, memory_order_acquire);
    fls_wrlock(w->ns, p);
    if (w->prev)
        w->prev->next = w->next;
    else
        h[w->pidx] = w->next;
    if (w->next)
        w->next->prev = w->prev;
    fls_unlock(w->ns, p);
    free(w);
}
