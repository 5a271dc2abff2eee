/*
 * src/store/evict.c: eviction, one key at a time, chosen by the namespace's policy (Redis's
 * maxmemory-policy names, store.h).
 *
 * Above a namespace's high-water mark (quota.c decides when), fls_evict_one picks a partition
 * that holds eligible keys (any key under allkeys-*, keys with a TTL under volatile-*: the
 * partition's count or ttl_count, read relaxed without its lock), samples up to EVICT_SAMPLE
 * eligible records under its write lock and deletes the best victim for the policy: the
 * longest idle (LRU), the lowest decayed access counter (LFU, idle time breaks ties), or the
 * first found (random). An already expired record is always the best victim (it is counted as
 * expired, not evicted). allkeys-* sample random buckets (and scan from a random bucket when
 * those were empty); volatile-* sample the partition's TTL index (ttl_index.c), so they find
 * TTL keys however rare among the partition's keys and never fall back to keys without a TTL;
 * volatile-ttl takes the soonest-expiring record of the partition whose earliest expiry is the
 * soonest among EVICT_TTL_PARTS sampled ones.
 *
 * It is called inline before a write (bounded, quota.c) and by the background thread
 * (background.c) down to a little below the mark. Under noeviction it is never called.
 *
 * Locking: one partition write lock at a time.
 */
#include "store_internal.h"

#define EVICT_SAMPLE 16   /* eligible records compared per eviction (Redis: maxmemory-samples) */
#define EVICT_PROBES 64   /* random bucket probes before scanning the partition (allkeys-*) */
#define EVICT_PARTS 4     /* partitions tried when counters were stale */
#define EVICT_TTL_PARTS 8 /* partitions volatile-ttl compares by their earliest expiry */

static bool policy_volatile(fl_evict_policy_t p)
{
    return p == FL_EVICT_VOLATILE_LRU || p == FL_EVICT_VOLATILE_LFU || p == FL_EVICT_VOLATILE_TTL ||
           p == FL_EVICT_VOLATILE_RANDOM;
}

/* First partition from a random start whose key (or TTL-key) counter is non-zero, or
 * UINT32_MAX. volatile-ttl: of the first EVICT_TTL_PARTS such partitions, the one whose
 * earliest expiry is the soonest. */
static uint32_t pick_part(fl_ns_t *ns, fl_evict_policy_t policy)
{
    bool ttl = policy_volatile(policy);
    unsigned want = policy == FL_EVICT_VOLATILE_TTL ? EVICT_TTL_PARTS : 1, found = 0;
    uint32_t best = UINT32_MAX;
    int64_t best_at = INT64_MAX;
    uint32_t start = (uint32_t)fls_rand() & (ns->nparts - 1);
    for (uint32_t i = 0; i < ns->nparts && found < want; i++) {
        uint32_t pidx = (start + i) & (ns->nparts - 1);
        fls_part_t *p = &ns->parts[pidx];
        if (!atomic_load_explicit(ttl ? &p->ttl_count : &p->count, memory_order_relaxed))
            continue;
        int64_t at = atomic_load_explicit(&ns->tix[pidx].next_expire, memory_order_relaxed);
        if (best == UINT32_MAX || at < best_at) {
            best = pidx;
            best_at = at;
        }
        found++;
    }
    return best;
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
        return UINT64_MAX - 1 - (uint64_t)fls_rec_expiry(r);
    case FL_EVICT_ALLKEYS_RANDOM:
    case FL_EVICT_VOLATILE_RANDOM:
        return 1;
    default:
        return fls_access_idle_s(w, k->now);
    }
}

/* Compares the record at ref with the best so far; true when the sample is complete. */
static bool consider(pick_t *k, fls_rec_t **ref)
{
    uint64_t s = score(k, *ref);
    if (!k->best || s > k->best_score) {
        k->best = ref;
        k->best_score = s;
    }
    return ++k->seen >= EVICT_SAMPLE || s == UINT64_MAX || k->policy == FL_EVICT_ALLKEYS_RANDOM ||
           k->policy == FL_EVICT_VOLATILE_RANDOM;
}

/* Looks at the records of bucket b of the index; true when the sample is complete. */
static bool sample_bucket(pick_t *k, fls_part_t *p, size_t b)
{
    for (size_t i = b * p->width; i < (b + 1) * p->width; i++)
        if (p->b[i] && consider(k, &p->b[i]))
            return true;
    return false;
}

/* allkeys-*: random buckets, then (a sparse table) a scan from a random bucket. */
static void sample_all(pick_t *k, fls_part_t *p)
{
    if (!p->b)
        return;
    size_t size = (size_t)p->mask + 1; /* buckets */
    bool done = false;
    for (unsigned i = 0; i < EVICT_PROBES && !done; i++)
        done = sample_bucket(k, p, (size_t)fls_rand() & p->mask);
    size_t start = (size_t)fls_rand() & p->mask;
    for (size_t i = 0; i < size && !done && k->seen == 0; i++)
        done = sample_bucket(k, p, (start + i) & p->mask);
}

/* volatile-*: records drawn from the TTL index; volatile-ttl its soonest. The slots stay valid
 * while the sample is taken: the index drops stale entries only, nothing is unlinked. */
static void sample_ttl(fl_ns_t *ns, uint32_t pidx, pick_t *k)
{
    if (k->policy != FL_EVICT_VOLATILE_TTL) {
        bool done = false;
        for (unsigned i = 0; i < EVICT_SAMPLE && !done; i++) {
            fls_rec_t **ref = fls_tix_random(ns, pidx);
            if (!ref)
                break;
            done = consider(k, ref);
        }
    }
    if (!k->best) { /* volatile-ttl, or random draws met only stale entries */
        fls_rec_t **ref = fls_tix_soonest(ns, pidx);
        if (ref)
            consider(k, ref);
    }
}

/* Evicts the best victim of partition pidx (write lock taken here). */
static bool evict_in(fl_ns_t *ns, uint32_t pidx, fl_evict_policy_t policy, int64_t now)
{
    fls_part_t *p = &ns->parts[pidx];
    pick_t k = {.policy = policy, .now = now};
    fls_wrlock(ns, p);
    if (policy_volatile(policy))
        sample_ttl(ns, pidx, &k);
    else
        sample_all(&k, p);
    if (k.best)
        fls_commit_del(ns, pidx, k.best, fls_rec_expired(*k.best, now) ? FLS_EXPIRED : FLS_EVICTED);
    fls_unlock(ns, p);
    return k.best != NULL;
}

bool fls_evict_one(fl_ns_t *ns, int64_t now)
{
    FLS_ASSERT_NO_LOCK(); /* it takes a partition lock of its choosing: holding one is a cycle */
    fl_evict_policy_t policy = fl_ns_evict_policy(ns);
    if (policy == FL_EVICT_NOEVICTION)
        return false;
    for (int i = 0; i < EVICT_PARTS; i++) {
        uint32_t pidx = pick_part(ns, policy);
        if (pidx == UINT32_MAX)
            return false;
        if (evict_in(ns, pidx, policy, now))
            return true;
    }
    return false;
}
