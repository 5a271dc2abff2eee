/*
 * src/store/check.c: invariant walkers for debug builds (FLATLINE_DEBUG). They recount what
 * the store maintains incrementally and abort (naming the broken invariant) on the first
 * difference; they return true so that callers can write FL_DEBUG_ASSERT(fls_...(...)), which
 * compiles them out of release builds entirely.
 *
 *   fls_chain_check      after every commit, O(chain): the bucket the change touched (every
 *                        record in the bucket its hash names, the changed record linked
 *                        exactly once, a hash's fields against its count)
 *   fls_part_check       after every resize of a partition's table (which costs O(partition)
 *                        anyway) and at close: the whole table against its counters
 *   fls_ns_check         at close: the namespace's `used` against every allocation it holds
 *                        and against the arena's own requested bytes
 */
#include "store_internal.h"

#ifdef FLATLINE_DEBUG

bool fls_chain_check(fl_ns_t *ns, uint32_t pidx, uint32_t hash, fls_rec_t *rec)
{
    fls_part_t *p = &ns->parts[pidx];
    FLS_ASSERT_LOCKED(p);
    uint64_t count = atomic_load_explicit(&p->count, memory_order_relaxed);
    if (!p->b) { /* the bucket array exists exactly while the partition holds a key */
        FL_DEBUG_ASSERT(count == 0 && rec == NULL);
        return true;
    }
    uint64_t n = 0, seen = 0;
    uint32_t bucket = hash & p->mask;
    for (fls_rec_t *r = p->b[bucket]; r; r = r->next) {
        FL_DEBUG_ASSERT(++n <= count); /* a chain longer than the partition: it loops */
        FL_DEBUG_ASSERT((r->hash & p->mask) == bucket);
        seen += r == rec;
    }
    if (rec) {
        FL_DEBUG_ASSERT(seen == 1); /* exactly one reference to the record the change wrote */
        if (rec->type == FL_TYPE_HASH)
            FL_DEBUG_ASSERT(fls_hash_rec_check(ns, rec));
    }
    return true;
}

bool fls_part_check(fl_ns_t *ns, uint32_t pidx)
{
    fls_part_t *p = &ns->parts[pidx];
    FLS_ASSERT_LOCKED(p);
    uint64_t count = atomic_load_explicit(&p->count, memory_order_relaxed);
    uint64_t ttl = atomic_load_explicit(&p->ttl_count, memory_order_relaxed);
    if (!p->b) { /* the bucket array exists exactly while the partition holds a key */
        FL_DEBUG_ASSERT(count == 0 && ttl == 0);
        return true;
    }
    FL_DEBUG_ASSERT(count > 0 && p->mask + 1 >= 4 && ((p->mask + 1) & p->mask) == 0);
    uint64_t n = 0, n_ttl = 0;
    for (size_t i = 0; i <= p->mask; i++) {
        for (fls_rec_t *r = p->b[i]; r; r = r->next) {
            FL_DEBUG_ASSERT(++n <= count); /* more records than counted, or a chain that loops */
            FL_DEBUG_ASSERT((r->hash & p->mask) == i);
            FL_DEBUG_ASSERT(r->type == FL_TYPE_STRING || fls_coll_ops(r->type) != NULL);
            n_ttl += r->expire_at != 0;
        }
    }
    FL_DEBUG_ASSERT(n == count);
    FL_DEBUG_ASSERT(n_ttl == ttl);
    return true;
}

/* Sums the requested bytes of every allocation of partition p: bucket array, records and
 * their nodes. */
static size_t part_bytes(const fls_part_t *p)
{
    if (!p->b)
        return 0;
    size_t total = ((size_t)p->mask + 1) * sizeof(*p->b);
    for (size_t i = 0; i <= p->mask; i++)
        for (fls_rec_t *r = p->b[i]; r; r = r->next)
            total += fls_rec_total(r);
    return total;
}

bool fls_ns_check(fl_ns_t *ns)
{
    size_t total = (size_t)ns->nparts * sizeof(fls_part_t);
    for (uint32_t i = 0; i < ns->nparts; i++) {
        fls_part_t *p = &ns->parts[i];
        fls_rdlock(ns, p);
        FL_DEBUG_ASSERT(fls_part_check(ns, i));
        total += part_bytes(p);
        total += (size_t)ns->tix[i].cap * sizeof(fls_tix_ent_t); /* its TTL index */
        fls_unlock(ns, p);
    }
    FL_DEBUG_ASSERT(total == fls_used(ns)); /* every allocation accounted exactly once */
    fl_mem_stats_t m;
    if (fl_arena_stats(ns->arena, &m) == 0)
        FL_DEBUG_ASSERT(m.requested == total); /* and nothing else lives in the namespace's arena */
    return true;
}
#endif
