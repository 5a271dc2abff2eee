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
 *     bounded number of keys (evict.c), and kicks the background thread to evict more.
 *
 * Locking: none of its own; fls_quota_check runs under the caller's partition lock(s) and reads
 * `used` (relaxed stripes); fls_make_room runs with no lock held (eviction takes partition
 * locks: holding one here would break the lock order), and fls_write_begin, the write path's
 * preamble, takes the write lock after it.
 */
#include "store_internal.h"

#define INLINE_EVICT_MAX 16 /* evictions a single write may do inline */

int fls_quota_check(fl_ns_t *ns, int64_t growth)
{
    FL_DEBUG_ASSERT(fls_locks_held() > 0 || fls_batch_all()); /* all: the gate is ours */
    if (growth <= 0 || ns->stop_mark == SIZE_MAX)
        return FL_OK;
    if (fls_used(ns) + (size_t)growth <= ns->stop_mark)
        return FL_OK;
    atomic_fetch_add_explicit(&ns->writes_refused, 1, memory_order_relaxed);
    return FL_EOOM;
}

void fls_make_room(fl_ns_t *ns, size_t hint)
{
    if (fls_batch_cur && !fls_batch_all())
        return; /* a keys batch's eviction would lock partitions out of order (batch.c) */
    FLS_ASSERT_NO_LOCK();
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

fls_rec_t **fls_write_begin(fl_ns_t *ns, fl_slice_t key, size_t hint, fls_key_t *k, int64_t *now)
{
    fls_make_room(ns, hint);
    *now = fl_now_ms();
    fls_key_init(ns, key, k);
    fls_wrlock(ns, k->part);
    return fls_find_live(ns, k, *now);
}
