/*
 * src/store/expire.c: active expiry (Redis-like, off the request path).
 *
 * Each tick the background thread (background.c) calls fls_expire_step: it walks the
 * partitions that hold keys with a TTL, from where it stopped last time (ns->expire_part, then
 * each partition's expire_cursor), looking at a bounded number of buckets and deleting expired
 * records through the commit point; the caller repeats while it keeps finding expired keys,
 * within a time budget. Lazy expiry (every access) is in table.c.
 *
 * Locking: one partition write lock at a time; ns->expire_part is a relaxed atomic (only the
 * background thread and tests step expiry); expire_cursor is under the partition lock.
 */
#include "store_internal.h"

#define EXPIRE_PART_BUCKETS 32 /* buckets per partition per step */

size_t fls_expire_step(fl_ns_t *ns, size_t max_buckets, int64_t now)
{
    FLS_ASSERT_NO_LOCK();
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
