/*
 * src/store/evict.c: quotas, eviction, active expiry and the store's background thread.
 *
 * Quotas compare a namespace's `used` (exact requested bytes of records + index, see table.c)
 * with two marks derived from memory_limit (0 = unlimited):
 *   - stop-writes: a write that would grow `used` past stop_writes_pct of the limit is refused
 *     with FL_EOOM before anything changes; deletes and writes that do not grow still work.
 *     (Concurrent writers check independently, so `used` may pass the mark by at most one
 *     record per writer thread.)
 *   - high-water: above high_water_pct, keys are evicted: a key with a TTL first (the soonest to
 *     expire among the records looked at in one partition), and only when the namespace has no
 *     key with a TTL, approximate LRU (the record with the oldest access clock among a sample).
 *     Eviction runs in the background thread and also inline, bounded, before a write that
 *     would cross the mark.
 *
 * Active expiry (Redis-like, off the request path): each tick the background thread walks
 * partitions that hold keys with a TTL, from where it stopped last time, looking at a bounded
 * number of buckets and deleting expired records; it repeats while it keeps finding expired
 * keys, within a time budget.
 *
 * Locking: one partition lock at a time, never while holding bg_mu.
 */
#include <time.h>

#include "store_internal.h"

#define EXPIRE_BUCKETS 256       /* buckets per active-expiry step */
#define EXPIRE_PART_BUCKETS 32   /* buckets per partition per step */
#define EXPIRE_BUDGET_NS 5000000 /* per namespace per tick */
#define EVICT_BUDGET_NS 20000000 /* per namespace per tick */
#define INLINE_EVICT_MAX 16      /* evictions a single write may do inline */
#define EVICT_SCAN_BUCKETS 1024  /* buckets the TTL phase looks at in one partition */
#define LRU_SAMPLE 16            /* records the LRU phase compares */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int fls_quota_check(fl_ns_t *ns, int64_t growth)
{
    if (growth <= 0 || ns->stop_mark == SIZE_MAX)
        return FL_OK;
    if (fls_used(ns) + (size_t)growth <= ns->stop_mark)
        return FL_OK;
    atomic_fetch_add_explicit(&ns->writes_refused, 1, memory_order_relaxed);
    return FL_EOOM;
}

void fls_make_room(fl_ns_t *ns, size_t hint)
{
    if (hint == 0 || ns->hw_mark == SIZE_MAX || hint > ns->hw_mark)
        return; /* deletes and TTL changes never evict others */
    if (fls_used(ns) + hint <= ns->hw_mark)
        return;
    fls_bg_kick(ns->store);
    int64_t now = fl_now_ms();
    for (int i = 0; i < INLINE_EVICT_MAX && fls_used(ns) + hint > ns->hw_mark; i++)
        if (!fls_evict_one(ns, now))
            break;
}

size_t fls_expire_step(fl_ns_t *ns, size_t max_buckets, int64_t now)
{
    size_t expired = 0, visited = 0;
    uint32_t start = atomic_load_explicit(&ns->expire_part, memory_order_relaxed);
    uint32_t i;
    for (i = 0; i < ns->nparts && visited < max_buckets; i++) {
        uint32_t pidx = (start + i) & (ns->nparts - 1);
        fls_part_t *p = &ns->parts[pidx];
        visited++; /* looking at an empty partition is work too */
        if (atomic_load_explicit(&p->ttl_count, memory_order_relaxed) == 0)
            continue;
        fls_wrlock(ns, p);
        unsigned n = 0;
        while (n < EXPIRE_PART_BUCKETS && p->b) {
            uint32_t bi = p->expire_cursor & p->mask;
            bool deleted = false;
            for (fls_rec_t **ref = &p->b[bi]; *ref; ref = &(*ref)->next) {
                if (fls_rec_expired(*ref, now)) {
                    /* The commit may reshape the table: look at the bucket again. */
                    fls_commit_del(ns, pidx, ref, FLS_EXPIRED);
                    expired++;
                    deleted = true;
                    break;
                }
            }
            if (deleted)
                continue;
            n++;
            p->expire_cursor = (bi + 1) & p->mask;
            if (p->expire_cursor == 0)
                break;
        }
        visited += n;
        fls_unlock(ns, p);
    }
    atomic_store_explicit(&ns->expire_part, (start + i) & (ns->nparts - 1), memory_order_relaxed);
    return expired;
}

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
    return evict_ttl(ns, now) || evict_lru(ns, now);
}

/* ---- Background thread -------------------------------------------------------------------- */

static void ns_tick(fl_ns_t *ns)
{
    int64_t t0 = mono_ns();
    int64_t now = fl_now_ms();
    /* Active expiry: keep going while it finds expired keys, within the budget. */
    while (fls_expire_step(ns, EXPIRE_BUCKETS, now) > 0 && mono_ns() - t0 < EXPIRE_BUDGET_NS)
        ;
    fls_defrag_tick(ns, now);
    if (ns->hw_mark == SIZE_MAX)
        return;
    /* Eviction: down a little below the mark, so writers do not cross it at once again. */
    size_t target = ns->hw_mark - ns->hw_mark / 64;
    t0 = mono_ns();
    while (fls_used(ns) > target && mono_ns() - t0 < EVICT_BUDGET_NS)
        if (!fls_evict_one(ns, now))
            break;
}

static void *bg_main(void *arg)
{
    fl_store_t *s = arg;
    pthread_mutex_lock(&s->bg_mu);
    while (!s->bg_stop) {
        pthread_mutex_unlock(&s->bg_mu);
        pthread_mutex_lock(&s->tick_mu);
        if (!atomic_load(&s->bg_paused))
            for (size_t i = 0; i < s->n; i++)
                ns_tick(&s->ns[i]);
        pthread_mutex_unlock(&s->tick_mu);
        pthread_mutex_lock(&s->bg_mu);
        if (s->bg_stop)
            break;
        if (!atomic_exchange(&s->bg_kick, false)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += FLS_TICK_MS * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->bg_cv, &s->bg_mu, &ts);
            atomic_store(&s->bg_kick, false);
        }
    }
    pthread_mutex_unlock(&s->bg_mu);
    fl_thread_release_tcaches();
    return NULL;
}

int fls_bg_start(fl_store_t *s)
{
    s->bg_stop = false;
    if (pthread_create(&s->bg, NULL, bg_main, s) != 0)
        return FL_ENOMEM;
    s->bg_started = true;
    return FL_OK;
}

void fls_bg_stop(fl_store_t *s)
{
    if (!s->bg_started)
        return;
    pthread_mutex_lock(&s->bg_mu);
    s->bg_stop = true;
    pthread_cond_signal(&s->bg_cv);
    pthread_mutex_unlock(&s->bg_mu);
    pthread_join(s->bg, NULL);
    s->bg_started = false;
}

void fls_bg_pause(fl_store_t *s, bool paused)
{
    atomic_store(&s->bg_paused, paused);
    pthread_mutex_lock(&s->tick_mu); /* wait for a tick in progress */
    pthread_mutex_unlock(&s->tick_mu);
}

void fls_bg_kick(fl_store_t *s)
{
    if (atomic_exchange(&s->bg_kick, true))
        return;
    pthread_mutex_lock(&s->bg_mu);
    pthread_cond_signal(&s->bg_cv);
    pthread_mutex_unlock(&s->bg_mu);
}
