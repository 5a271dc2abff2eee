/*
 * src/store/check.c: invariant walkers for debug builds (FLATLINE_DEBUG). They recount what
 * the store maintains incrementally and abort (naming the broken invariant) on the first
 * difference; they return true so that callers can write FL_DEBUG_ASSERT(fls_...(...)), which
 * compiles them out of release builds entirely.
 *
 *   fls_run_check        after every commit, O(probe run): the run from the home bucket the
 *                        change touched (tags, every record findable, the changed record
 *                        referenced exactly once, a hash's fields against its count)
 *   fls_part_check       after every resize of a partition's table (which costs O(partition)
 *                        anyway) and at close: the whole table against its counters
 *   fls_ns_check         at close: the namespace's `used` against every allocation it holds
 *                        and against the arena's own requested bytes
 */
#include "store_internal.h"

#ifdef FLATLINE_DEBUG

/* Whether bucket b of p's index has no free slot. */
static bool bucket_full(const fls_part_t *p, size_t b)
{
    const uint8_t *tags = fls_part_tags(p);
    for (size_t i = b * p->width; i < (b + 1) * p->width; i++)
        if (!tags[i])
            return false;
    return true;
}

/* Slot i of p's index: its tag agrees with it, and its record is findable from its home
 * bucket (every bucket from there to its own is full). */
static void check_slot(fl_ns_t *ns, const fls_part_t *p, size_t i)
{
    uint8_t tag = fls_part_tags(p)[i];
    fls_rec_t *r = p->b[i];
    FL_DEBUG_ASSERT((tag == 0) == (r == NULL));
    if (!r)
        return;
    uint32_t h = fls_rec_hash(ns, r);
    size_t home = h & p->mask, bkt = i / p->width;
    FL_DEBUG_ASSERT(tag == fls_tag(h, bkt != home));
    for (size_t b = home; b != bkt; b = (b + 1) & p->mask)
        FL_DEBUG_ASSERT(bucket_full(p, b));
}

bool fls_run_check(fl_ns_t *ns, uint32_t pidx, uint32_t hash, fls_rec_t *rec)
{
    fls_part_t *p = &ns->parts[pidx];
    FLS_ASSERT_LOCKED(p);
    uint64_t count = atomic_load_explicit(&p->count, memory_order_relaxed);
    if (!p->b) { /* the index exists exactly while the partition holds a key */
        FL_DEBUG_ASSERT(count == 0 && rec == NULL);
        return true;
    }
    FL_DEBUG_ASSERT(count < fls_part_slots(p)); /* a free slot is left for the next insert */
    uint64_t seen = 0;
    size_t b = hash & p->mask, at = SIZE_MAX;
    const uint8_t *tags = fls_part_tags(p);
    for (size_t n = 0; n <= p->mask; n++, b = (b + 1) & p->mask) {
        for (size_t i = b * p->width; i < (b + 1) * p->width; i++) {
            FL_DEBUG_ASSERT((tags[i] == 0) == (p->b[i] == NULL));
            if (rec && p->b[i] == rec) {
                seen++;
                at = i;
            }
        }
        if (!bucket_full(p, b))
            break;
    }
    if (rec) {
        FL_DEBUG_ASSERT(seen == 1); /* exactly one reference to the record the change wrote */
        check_slot(ns, p, at);      /* its tag, and every bucket from its home full */
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
    if (!p->b) { /* the index exists exactly while the partition holds a key */
        FL_DEBUG_ASSERT(count == 0 && ttl == 0);
        return true;
    }
    FL_DEBUG_ASSERT(count > 0 && ((p->mask + 1) & p->mask) == 0 && p->width >= 4);
    uint64_t n = 0, n_ttl = 0;
    size_t slots = fls_part_slots(p);
    for (size_t i = 0; i < slots; i++) {
        check_slot(ns, p, i);
        fls_rec_t *r = p->b[i];
        if (!r)
            continue;
        n++;
        FL_DEBUG_ASSERT(r->type == FL_TYPE_STRING || fls_coll_ops(r->type) != NULL);
        n_ttl += fls_rec_expiry(r) != 0;
    }
    FL_DEBUG_ASSERT(n == count);
    FL_DEBUG_ASSERT(n_ttl == ttl);
    FL_DEBUG_ASSERT(n < slots); /* a free slot is left for the next insert */
    return true;
}

/* A split string (value.c): its head fills a size class exactly and its tail holds part of
 * the value, neither empty. A compressed string: one block whose bytes decompress to its
 * length (fls_str_view asserts it). Aborts on a difference; returns 0 (to add). */
static size_t split_checked(const fls_rec_t *r)
{
    if (r->lzf) {
        FL_ASSERT(r->type == FL_TYPE_STRING && !r->split);
        fls_scratch_t s = FLS_SCRATCH_INIT;
        FL_ASSERT(fl_value_len(fls_str_view(r, &s)) == fls_str_len(r));
        fls_scratch_release(&s);
    }
    if (!r->split)
        return 0;
    size_t tail = fls_rec_tail_len(r);
    FL_ASSERT(r->type == FL_TYPE_STRING && tail > 0 && tail < fls_rec_vlen(r));
    FL_ASSERT(fl_mem_usable_size(r) == fls_rec_size(r));
    FL_ASSERT(fl_mem_usable_size(fls_rec_tail(r)) >= tail);
    return 0;
}

/* Sums the requested bytes of every allocation of partition p: index, records and their
 * nodes. */
static size_t part_bytes(const fls_part_t *p)
{
    if (!p->b)
        return 0;
    size_t slots = fls_part_slots(p);
    size_t total = fls_index_bytes(slots);
    for (size_t i = 0; i < slots; i++)
        if (p->b[i])
            total += split_checked(p->b[i]) + fls_rec_total(p->b[i]);
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
