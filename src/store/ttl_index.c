/*
 * src/store/ttl_index.c: a partition's TTL index, a binary min-heap of (expiry, key hash)
 * entries, one per TTL given to a record of the partition, in the namespace's arena.
 *
 * It lets active expiry (expire.c) find the due records of a partition without scanning its
 * buckets, and the volatile-* eviction policies (evict.c) find TTL records however rare they
 * are among the partition's keys. The partition's next_expire mirrors the heap's top so that the
 * background thread skips partitions with nothing due without taking their lock.
 *
 * Entries name a record by (hash, expiry), never by pointer, so records stay free to move
 * (defragmentation, reallocation) and a table resize changes nothing here. An entry is added at
 * the commit point whenever a record gets or keeps a TTL (fls_change_t.same_ttl skips the
 * entries that would repeat one); entries are never removed when a record is deleted or its TTL
 * changes: an entry whose (hash, expiry) matches no record is stale and dropped when met. So
 * that stale entries cannot pile up, the heap is rebuilt from the table once it holds more than
 * twice the partition's TTL keys plus a sixteenth of its keys (amortised O(1) per entry).
 * When the heap cannot grow (allocation failure) it is marked stale and rebuilt before its
 * next use; a commit never fails because of it.
 *
 * Invariants (partition write lock held for everything here): heap[0..len) is a min-heap on
 * `at`; unless stale, every record of the partition with a TTL has an entry with its hash and
 * expiry; next_expire == heap[0].at (INT64_MAX when empty, INT64_MIN when stale).
 */
#include "fl_assert.h"
#include "store_internal.h"

#define TIX_MIN_CAP 8u
#define RANDOM_PROBES 8 /* random entries fls_tix_random tries */

static void publish(fls_tix_t *x)
{
    int64_t next = x->stale ? INT64_MIN : x->len ? x->heap[0].at : INT64_MAX;
    atomic_store_explicit(&x->next_expire, next, memory_order_relaxed);
}

static void sift_up(fls_tix_ent_t *t, size_t i)
{
    fls_tix_ent_t e = t[i];
    while (i > 0 && t[(i - 1) / 2].at > e.at) {
        t[i] = t[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    t[i] = e;
}

static void sift_down(fls_tix_ent_t *t, size_t n, size_t i)
{
    fls_tix_ent_t e = t[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        if (c + 1 < n && t[c + 1].at < t[c].at)
            c++;
        if (t[c].at >= e.at)
            break;
        t[i] = t[c];
        i = c;
    }
    t[i] = e;
}

/* Removes entry i. */
static void remove_at(fls_tix_t *x, size_t i)
{
    x->heap[i] = x->heap[--x->len];
    if (i < x->len) {
        sift_down(x->heap, x->len, i);
        sift_up(x->heap, i);
    }
}

/* The slot of the record an entry names, or NULL when the entry is stale. */
static fls_rec_t **resolve(fl_ns_t *ns, fls_part_t *p, const fls_tix_ent_t *e)
{
    if (!p->b)
        return NULL;
    const uint8_t *tags = fls_part_tags(p);
    size_t w = p->width, home = e->hash & p->mask;
    for (size_t n = 0, b = home; n <= p->mask; n++, b = (b + 1) & p->mask) {
        bool full = true;
        uint8_t want = fls_tag(e->hash, b != home);
        for (size_t i = b * w; i < b * w + w; i++) {
            if (!tags[i])
                full = false;
            else if (tags[i] == want && fls_rec_expiry(p->b[i]) == e->at &&
                     fls_rec_hash(ns, p->b[i]) == e->hash)
                return &p->b[i];
        }
        if (!full)
            return NULL;
    }
    return NULL;
}

static size_t tix_bytes(size_t cap)
{
    return cap * sizeof(fls_tix_ent_t);
}

/* Rebuilds the heap from the table's TTL records. False (and marked stale) on allocation
 * failure. */
static bool rebuild(fl_ns_t *ns, uint32_t pidx)
{
    fls_part_t *p = &ns->parts[pidx];
    fls_tix_t *x = &ns->tix[pidx];
    size_t n = atomic_load_explicit(&p->ttl_count, memory_order_relaxed);
    size_t cap = n + n / 2 < TIX_MIN_CAP ? TIX_MIN_CAP : n + n / 2;
    fls_tix_ent_t *t = n ? fls_alloc(ns, pidx, tix_bytes(cap)) : NULL;
    if (n && !t) {
        x->stale = true;
        publish(x);
        return false;
    }
    size_t len = 0;
    size_t slots = fls_part_slots(p);
    for (size_t i = 0; i < slots && len < n; i++)
        if (p->b[i] && fls_rec_expiry(p->b[i]) != 0)
            t[len++] = (fls_tix_ent_t){fls_rec_expiry(p->b[i]), fls_rec_hash(ns, p->b[i])};
    FL_DEBUG_ASSERT(len == n);
    for (size_t i = len / 2; i-- > 0;)
        sift_down(t, len, i);
    fls_free(ns, pidx, x->heap, tix_bytes(x->cap));
    x->heap = t;
    x->len = (uint32_t)len;
    x->cap = t ? (uint32_t)cap : 0;
    x->stale = false;
    publish(x);
    return true;
}

/* Makes the index usable: rebuilt when stale. False when it could not be. */
static bool ready(fl_ns_t *ns, uint32_t pidx)
{
    return !ns->tix[pidx].stale || rebuild(ns, pidx);
}

void fls_tix_add(fl_ns_t *ns, uint32_t pidx, int64_t at, uint32_t hash)
{
    fls_part_t *p = &ns->parts[pidx];
    fls_tix_t *x = &ns->tix[pidx];
    if (x->stale)
        return; /* the rebuild will find the record in the table */
    uint64_t ttl = atomic_load_explicit(&p->ttl_count, memory_order_relaxed);
    uint64_t keys = atomic_load_explicit(&p->count, memory_order_relaxed);
    if (x->len >= 2 * ttl + keys / 16 + 64) {
        rebuild(ns, pidx); /* drops the stale entries; the record is in the table already */
        return;
    }
    if (x->len == x->cap) {
        size_t cap = x->cap ? (size_t)x->cap * 2 : TIX_MIN_CAP;
        fls_tix_ent_t *t = x->cap >= UINT32_MAX / 2 ? NULL
                           : x->heap
                               ? fls_realloc(ns, pidx, x->heap, tix_bytes(x->cap), tix_bytes(cap))
                               : fls_alloc(ns, pidx, tix_bytes(cap));
        if (!t) {
            x->stale = true;
            publish(x);
            return;
        }
        x->heap = t;
        x->cap = (uint32_t)cap;
    }
    x->heap[x->len] = (fls_tix_ent_t){at, hash};
    sift_up(x->heap, x->len++);
    publish(x);
}

void fls_tix_clear(fl_ns_t *ns, uint32_t pidx)
{
    fls_tix_t *x = &ns->tix[pidx];
    fls_free(ns, pidx, x->heap, tix_bytes(x->cap));
    x->heap = NULL;
    x->len = x->cap = 0;
    x->stale = false;
    publish(x);
}

size_t fls_tix_expire(fl_ns_t *ns, uint32_t pidx, int64_t now, size_t max)
{
    fls_part_t *p = &ns->parts[pidx];
    fls_tix_t *x = &ns->tix[pidx];
    if (!ready(ns, pidx))
        return 0; /* out of memory: lazy expiry still deletes them on access */
    size_t n = 0;
    while (n < max && x->len && x->heap[0].at <= now) {
        fls_tix_ent_t e = x->heap[0];
        remove_at(x, 0);
        fls_rec_t **ref = resolve(ns, p, &e);
        if (!ref)
            continue;                               /* stale */
        fls_commit_del(ns, pidx, ref, FLS_EXPIRED); /* may clear the index: len 0 */
        n++;
    }
    publish(x);
    return n;
}

fls_rec_t **fls_tix_soonest(fl_ns_t *ns, uint32_t pidx)
{
    fls_part_t *p = &ns->parts[pidx];
    fls_tix_t *x = &ns->tix[pidx];
    if (!ready(ns, pidx))
        return NULL;
    fls_rec_t **ref = NULL;
    while (x->len && !(ref = resolve(ns, p, &x->heap[0])))
        remove_at(x, 0);
    publish(x);
    return ref;
}

fls_rec_t **fls_tix_random(fl_ns_t *ns, uint32_t pidx)
{
    fls_part_t *p = &ns->parts[pidx];
    fls_tix_t *x = &ns->tix[pidx];
    if (!ready(ns, pidx))
        return NULL;
    fls_rec_t **ref = NULL;
    for (int i = 0; i < RANDOM_PROBES && x->len && !ref; i++) {
        size_t at = (size_t)(fls_rand() % x->len);
        ref = resolve(ns, p, &x->heap[at]);
        if (!ref)
            remove_at(x, at);
    }
    publish(x);
    return ref;
}
