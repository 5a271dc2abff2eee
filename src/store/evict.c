/*
 * src/store/evict.c: eviction, one key at a time, chosen by the namespace's policy (Redis's
 * maxmemory-policy names, store.h).
 *
 * Above a namespace's high-water mark (quota.c decides when), fls_evict_one picks a partition
 * that holds eligible keys (any key under allkeys-*, keys with a TTL under volatile-*: the
 * partition's count or ttl_count, read relaxed without its lock), samples up to EVICT_SAMPLE
 * eligible records from random buckets under its write lock and deletes the best victim for
 * the policy: the longest idle (LRU), the lowest decayed access counter (LFU, idle time breaks
 * ties), the soonest to expire (TTL), or the first found (random). An already expired record is
 * always the best victim (it is counted as expired, not evicted). When random probes find no
 * eligible record but the partition's counter says some exist (a few TTL keys among many
 * buckets), the partition is scanned from a random bucket until some are found: a volatile
 * policy never falls back to keys without a TTL, however large the partition.
 *
 * It is called inline before a write (bounded, quota.c) and by the background thread
 * (background.c) down to a little below the mark. Under noeviction it is never called.
 *
 * Locking: one partition write lock at a time.
 */
#include "store_internal.h"

#define EVICT_SAMPLE 16 /* eligible records compared per eviction (Redis: maxmemory-samples 5) */
#define EVICT_PROBES 64 /* random bucket probes before scanning the partition */
#define EVICT_PARTS 4   /* partitions tried when counters were stale */

static bool policy_volatile(fl_evict_policy_t p)
{
    return p == FL_EVICT_VOLATILE_LRU || p == FL_EVICT_VOLATILE_LFU || p == FL_EVICT_VOLATILE_TTL ||
           p == FL_EVICT_VOLATILE_RANDOM;
}

/* First partition from a random start whose key (or TTL-key) counter is non-zero, or
 * UINT32_MAX. */
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

/* One eviction's sample: the best victim seen so far in the partition. */
typedef struct pick {
    fl_evict_policy_t policy;
    int64_t now;
    fls_rec_t **best;
    uint64_t best_score;
    unsigned seen; /* eligible records compared */
} pick_t;

/* How good a victim r is under the policy (higher is better); expired records beat all. */
static uint64_t score(const pick_t *k, const fls_rec_t *r)
{
    if (fls_rec_expired(r, k->now))
        return UINT64_MAX;
    uint32_t w = atomic_load_explicit(&r->atime, memory_order_relaxed);
    switch (k->policy) {
    case FL_EVICT_ALLKEYS_LFU:
    case FL_EVICT_VOLATILE_LFU:
        return (uint64_t)(255 - fls_access_freq(w, k->now)) << 32 | fls_access_idle_s(w, k->now);
    case FL_EVICT_VOLATILE_TTL:
        return UINT64_MAX - 1 - (uint64_t)r->expire_at;
    case FL_EVICT_ALLKEYS_RANDOM:
    case FL_EVICT_VOLATILE_RANDOM:
        return 1;
    default:
        return fls_access_idle_s(w, k->now);
    }
}

/* Looks at the chain of bucket b; returns true when the sample is complete. */
static bool sample_bucket(pick_t *k, fls_part_t *p, size_t b)
{
    bool vol = policy_volatile(k->policy);
    for (fls_rec_t **ref = &p->b[b]; *ref; ref = &(*ref)->next) {
        if (vol && (*ref)->expire_at == 0)
            continue;
        uint64_t s = score(k, *ref);
        if (!k->best || s > k->best_score) {
            k->best = ref;
            k->best_score = s;
        }
        if (++k->seen >= EVICT_SAMPLE || s == UINT64_MAX || k->policy == FL_EVICT_ALLKEYS_RANDOM ||
            k->policy == FL_EVICT_VOLATILE_RANDOM)
            return true;
    }
    return false;
}

/* Evicts the best victim of partition pidx (write lock taken here). */
static bool evict_in(fl_ns_t *ns, uint32_t pidx, fl_evict_policy_t policy, int64_t now)
{
    fls_part_t *p = &ns->parts[pidx];
    pick_t k = {.policy = policy, .now = now};
    fls_wrlock(ns, p);
    if (p->b) {
        size_t size = (size_t)p->mask + 1;
        bool done = false;
        for (unsigned i = 0; i < EVICT_PROBES && !done; i++)
            done = sample_bucket(&k, p, (size_t)fls_rand() & p->mask);
        /* Eligible records are rare here: scan from a random bucket until some are found. */
        size_t start = (size_t)fls_rand() & p->mask;
        for (size_t i = 0; i < size && !done && k.seen == 0; i++)
            done = sample_bucket(&k, p, (start + i) & p->mask);
    }
    if (k.best)
        fls_commit_del(ns, pidx, k.best, fls_rec_expired(*k.best, now) ? FLS_EXPIRED : FLS_EVICTED);
    fls_unlock(ns, p);
    return k.best != NULL;
}

bool fls_evict_one(fl_ns_t *ns, int64_t now)
{
    fl_evict_policy_t policy = fl_ns_evict_policy(ns);
    if (policy == FL_EVICT_NOEVICTION)
        return false;
    for (int i = 0; i < EVICT_PARTS; i++) {
        uint32_t pidx = pick_part(ns, policy_volatile(policy));
        if (pidx == UINT32_MAX)
            return false;
        if (evict_in(ns, pidx, policy, now))
            return true;
    }
    return false;
}
