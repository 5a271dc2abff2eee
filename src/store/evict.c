/*
 * src/store/evict.c: eviction, one key at a time.
 *
 * Above a namespace's high-water mark (quota.c decides when), fls_evict_one removes a key with
 * a TTL first (the soonest to expire among the records looked at in one partition), and only
 * when the namespace has no key with a TTL, approximate LRU (the record with the oldest access
 * clock among a sample). It is called inline before a write (bounded, quota.c) and by the
 * background thread (background.c) down to a little below the mark.
 *
 * Locking: one partition write lock at a time; the partition is chosen from the relaxed
 * counters without a lock, then searched under it (emptied meanwhile: nothing is evicted).
 */
#include "store_internal.h"

#define EVICT_SCAN_BUCKETS 1024 /* buckets the TTL phase looks at in one partition */
#define LRU_SAMPLE 16           /* records the LRU phase compares */

/* First partition from a random start whose counter `which` is non-zero, or UINT32_MAX. */
static uint32_t pick_part(fl_ns_t *ns, bool ttl)
{
    uint32_t start = (uint32_t)fls_rand() & (ns->nparts - 1);
    for (uint32_t i = 0; i < ns->nparts; i++) {
        uint32_t pidx = (start + i) & (ns->nparts - 1);
        fls_part_t *p = &ns->parts[pidx];
        if (atomic_load_explicit(ttl ? &p->ttl_count : &p->count, memory_order_relaxed))
            return pidx;
    }
    return UINT32_MAX;
}

/* TTL phase: in one partition with TTL keys, evicts the soonest to expire among up to
 * EVICT_SCAN_BUCKETS buckets. */
static bool evict_ttl(fl_ns_t *ns, int64_t now)
{
    uint32_t pidx = pick_part(ns, true);
    if (pidx == UINT32_MAX)
        return false;
    fls_part_t *p = &ns->parts[pidx];
    fls_wrlock(ns, p);
    fls_rec_t **best = NULL;
    if (p->b) {
        size_t size = (size_t)p->mask + 1;
        size_t start = (size_t)fls_rand() & p->mask;
        size_t n = size < EVICT_SCAN_BUCKETS ? size : EVICT_SCAN_BUCKETS;
        for (size_t i = 0; i < n; i++) {
            for (fls_rec_t **ref = &p->b[(start + i) & p->mask]; *ref; ref = &(*ref)->next) {
                int64_t e = (*ref)->expire_at;
                if (e != 0 && (!best || e < (*best)->expire_at))
                    best = ref;
            }
        }
    }
    if (best)
        fls_commit_del(ns, pidx, best, fls_rec_expired(*best, now) ? FLS_EXPIRED : FLS_EVICTED);
    fls_unlock(ns, p);
    return best != NULL;
}

/* LRU phase: evicts the least recently used record among a sample of one partition. */
static bool evict_lru(fl_ns_t *ns, int64_t now)
{
    uint32_t pidx = pick_part(ns, false);
    if (pidx == UINT32_MAX)
        return false;
    fls_part_t *p = &ns->parts[pidx];
    uint32_t clock = fls_clock(now);
    fls_wrlock(ns, p);
    fls_rec_t **best = NULL;
    uint32_t best_age = 0;
    if (p->b) {
        unsigned seen = 0;
        for (unsigned tries = 0; tries < 4 * LRU_SAMPLE && seen < LRU_SAMPLE; tries++) {
            fls_rec_t **ref = &p->b[(uint32_t)fls_rand() & p->mask];
            for (; *ref && seen < LRU_SAMPLE; ref = &(*ref)->next, seen++) {
                uint32_t age = clock - atomic_load_explicit(&(*ref)->atime, memory_order_relaxed);
                if (!best || age > best_age) {
                    best = ref;
                    best_age = age;
                }
            }
        }
    }
    if (best)
        fls_commit_del(ns, pidx, best, FLS_EVICTED);
    fls_unlock(ns, p);
    return best != NULL;
}

bool fls_evict_one(fl_ns_t *ns, int64_t now)
{
    FLS_ASSERT_NO_LOCK(); /* it takes a partition lock of its choosing: holding one is a cycle */
    return evict_ttl(ns, now) || evict_lru(ns, now);
}
