/*
 * src/store/quota.c: a namespace's quotas, checked before writes.
 *
 * Quotas compare a namespace's `used` (exact requested bytes of records + index, see table.c)
 * with two marks derived from memory_limit (0 = unlimited, both marks SIZE_MAX):
 *   - stop-writes: a write that would grow `used` past stop_writes_pct of the limit is refused
 *     with FL_EOOM before anything changes; deletes and writes that do not grow still work.
 *     (Concurrent writers check independently, so `used` may pass the mark by at most one
 *     write per writer thread.)
 *   - high-water: a write that would cross high_water_pct of the limit first evicts inline, a
 *     bounded number of keys chosen by the namespace's policy (evict.c), and kicks the
 *     background thread to evict more.
 *
 * Under the policy noeviction there is no high-water mark (SIZE_MAX): nothing is evicted and
 * growing writes are refused at stop-writes, as Redis refuses them at maxmemory.
 *
 * Locking: none of its own; fls_quota_check runs under the caller's partition lock(s) and reads
 * `used` (relaxed stripes); fls_make_room runs with no lock held (eviction takes partition
 * locks: holding one here would break the lock order), and fls_write_begin, the write path's
 * preamble, takes the write lock after it. The limit, marks and policy are relaxed atomics,
 * changed at run time by fl_ns_set_memory_limit / fl_ns_set_evict_policy.
 */
#include "store_internal.h"

#define INLINE_EVICT_MAX 16 /* evictions a single write may do inline */

static size_t mark(size_t limit, unsigned pct)
{
    if (limit == 0)
        return SIZE_MAX;
    return limit / 100 * pct + limit % 100 * pct / 100;
}

void fls_quota_set(fl_ns_t *ns, size_t limit, fl_evict_policy_t policy)
{
    size_t hw = policy == FL_EVICT_NOEVICTION ? SIZE_MAX : mark(limit, FLS_CFG(ns, high_water_pct));
    atomic_store_explicit(&ns->limit, limit, memory_order_relaxed);
    atomic_store_explicit(&ns->policy, (int)policy, memory_order_relaxed);
    atomic_store_explicit(&ns->hw_mark, hw, memory_order_relaxed);
    atomic_store_explicit(&ns->stop_mark, mark(limit, FLS_CFG(ns, stop_writes_pct)),
                          memory_order_relaxed);
}

int fl_ns_set_memory_limit(fl_ns_t *ns, size_t limit, char *err, size_t errlen)
{
    if (fls_limit_check(ns->cfg.name, limit, FLS_CFG(ns, stop_writes_pct), ns->nparts, err, errlen))
        return FL_EINVAL;
    fls_quota_set(ns, limit, fl_ns_evict_policy(ns));
    fls_bg_kick(ns->store); /* evict down to a lowered mark now */
    return FL_OK;
}

int fl_ns_set_evict_policy(fl_ns_t *ns, fl_evict_policy_t policy)
{
    if ((unsigned)policy > FL_EVICT_VOLATILE_RANDOM)
        return FL_EINVAL;
    fls_quota_set(ns, fl_ns_memory_limit(ns), policy);
    fls_bg_kick(ns->store);
    return FL_OK;
}

size_t fl_ns_memory_limit(const fl_ns_t *ns)
{
    return atomic_load_explicit(&ns->limit, memory_order_relaxed);
}

fl_evict_policy_t fl_ns_evict_policy(const fl_ns_t *ns)
{
    return (fl_evict_policy_t)atomic_load_explicit(&ns->policy, memory_order_relaxed);
}

int fls_quota_check(fl_ns_t *ns, int64_t growth)
{
    FL_DEBUG_ASSERT(fls_locks_held() > 0 || fls_batch_all()); /* all: the gate is ours */
    size_t stop = atomic_load_explicit(&ns->stop_mark, memory_order_relaxed);
    if (growth <= 0 || stop == SIZE_MAX)
        return FL_OK;
    if (fls_used(ns) + (size_t)growth <= stop)
        return FL_OK;
    atomic_fetch_add_explicit(&ns->writes_refused, 1, memory_order_relaxed);
    return FL_EOOM;
}

void fls_make_room(fl_ns_t *ns, size_t hint)
{
    if (fls_batch_cur && !fls_batch_all())
        return; /* a keys batch's eviction would lock partitions out of order (batch.c) */
    FLS_ASSERT_NO_LOCK();
    size_t hw = atomic_load_explicit(&ns->hw_mark, memory_order_relaxed);
    if (hint == 0 || hw == SIZE_MAX || hint > hw)
        return; /* deletes and TTL changes never evict others */
    if (fls_used(ns) + hint <= hw)
        return;
    fls_bg_kick(ns->store);
    int64_t now = fl_now_ms();
    for (int i = 0; i < INLINE_EVICT_MAX && fls_used(ns) + hint > hw; i++)
        if (!fls_evict_one(ns, now))
            break;
}

fls_rec_t **fls_write_begin(fl_ns_t *ns, fl_slice_t key, size_t hint, fls_key_t *k, int64_t *now)
{
    fls_make_room(ns, hint);
    *now = fl_now_ms();
    fls_key_init(ns, key, k);
    fls_wrlock(ns, k->part);
    return fls_find_live(ns, k, *now);
}
