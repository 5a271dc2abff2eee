/*
 * src/store/expire.c: active expiry (off the request path), driven by the partitions' TTL
 * indexes (ttl_index.c).
 *
 * Each tick the background thread (background.c) calls fls_expire_step until it expires
 * nothing or its time budget is spent. A step visits the partitions from where the last one
 * stopped; one whose earliest expiry (next_expire, read without its lock) is not due costs one
 * load; in a due one it deletes due records, soonest first, at most EXPIRE_HOLD_MAX per lock
 * hold, so other clients never wait on a partition for long. Work is proportional to the keys
 * that expire, not to the keys stored: three due keys among a million are found at the next
 * tick, and a million keys due together are deleted at the rate the budget allows. Lazy expiry
 * (every access) is in table.c.
 *
 * Locking: one partition write lock at a time; ns->expire_part is a relaxed atomic (only the
 * background thread and tests step expiry).
 */
#include "store_internal.h"

#define EXPIRE_HOLD_MAX 64 /* deletions per partition lock hold */

size_t fls_expire_step(fl_ns_t *ns, size_t max_keys, int64_t now)
{
    FLS_ASSERT_NO_LOCK();
    size_t expired = 0;
    uint32_t start = atomic_load_explicit(&ns->expire_part, memory_order_relaxed);
    uint32_t i = 0;
    while (i < ns->nparts && expired < max_keys) {
        uint32_t pidx = (start + i) & (ns->nparts - 1);
        fls_part_t *p = &ns->parts[pidx];
        if (atomic_load_explicit(&ns->tix[pidx].next_expire, memory_order_relaxed) > now) {
            i++;
            continue;
        }
        size_t chunk = max_keys - expired < EXPIRE_HOLD_MAX ? max_keys - expired : EXPIRE_HOLD_MAX;
        fls_wrlock(ns, p);
        size_t n = fls_tix_expire(ns, pidx, now, chunk);
        fls_unlock(ns, p);
        expired += n;
        if (n < chunk) /* nothing more due here (or, out of memory, nothing to do now) */
            i++;
    }
    atomic_store_explicit(&ns->expire_part, (start + i) & (ns->nparts - 1), memory_order_relaxed);
    return expired;
}
