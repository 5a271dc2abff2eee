/*
 * src/store/keys.c: commands on keys of any type (DEL, EXISTS, EXPIRE, PTTL, PERSIST, TYPE,
 * MEMORY USAGE), SCAN, DBSIZE, FLUSHDB and the namespace statistics.
 *
 * SCAN cursor: bits 63..48 hold the partition index, bits 47..0 a bucket cursor inside that
 * partition's table, advanced with Redis's reverse-binary increment. A partition's table only
 * ever doubles or halves, so (as in Redis's dictScan) every key present for the whole scan is
 * returned at least once; some may be returned twice after a shrink.
 */
#include <string.h>

#include "store_internal.h"

#define CURSOR_BITS 48
#define CURSOR_MASK ((UINT64_C(1) << CURSOR_BITS) - 1)

int fl_key_del(fl_ns_t *ns, fl_slice_t key, bool *deleted)
{
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, 0, &k, &now);
    if (ref)
        fls_commit_del(ns, k.pidx, ref, FLS_WRITE);
    fls_unlock(ns, k.part);
    if (deleted)
        *deleted = ref != NULL;
    return FL_OK;
}

int fl_key_exists(fl_ns_t *ns, fl_slice_t key, bool *exists)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    *exists = fls_read_begin(ns, &k, fl_now_ms(), true) != NULL;
    fls_read_end(ns, &k);
    return FL_OK;
}

/* Whether NX/XX/GT/LT allow replacing expiry `cur` (0 = none) by `at` (Redis 7: GT and LT
 * treat "no expiry" as infinite, so GT never applies to a key without one and LT always does). */
static bool expire_cond_ok(unsigned flags, int64_t cur, int64_t at)
{
    bool has = cur != 0;
    if ((flags & FL_EXPIRE_NX) && has)
        return false;
    if ((flags & FL_EXPIRE_XX) && !has)
        return false;
    if ((flags & FL_EXPIRE_GT) && (!has || at <= cur))
        return false;
    if ((flags & FL_EXPIRE_LT) && has && at >= cur)
        return false;
    return true;
}

int fl_key_expire_cond(fl_ns_t *ns, fl_slice_t key, int64_t at_ms, unsigned flags, bool *applied)
{
    if ((flags & ~(unsigned)(FL_EXPIRE_NX | FL_EXPIRE_XX | FL_EXPIRE_GT | FL_EXPIRE_LT)) ||
        ((flags & FL_EXPIRE_NX) && (flags & (FL_EXPIRE_XX | FL_EXPIRE_GT | FL_EXPIRE_LT))) ||
        ((flags & FL_EXPIRE_GT) && (flags & FL_EXPIRE_LT)))
        return FL_EINVAL;
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, 0, &k, &now);
    bool did = false;
    /* The condition is decided under the same write lock as the change: no writer can slip in
     * between (EXPIRE k t NX from several clients sets it exactly once). */
    if (ref && expire_cond_ok(flags, (*ref)->expire_at, at_ms)) {
        fls_rec_t *r = *ref;
        if (at_ms <= now) {
            fls_commit_del(ns, k.pidx, ref, FLS_WRITE);
        } else {
            bool had_ttl = r->expire_at != 0;
            r->expire_at = at_ms;
            fls_change_t c = {.op = FLS_MODIFY, .rec = r, .had_key = true, .had_ttl = had_ttl};
            fls_commit(ns, k.pidx, &c);
        }
        did = true;
    }
    fls_unlock(ns, k.part);
    if (applied)
        *applied = did;
    return FL_OK;
}

int fl_key_expire_at(fl_ns_t *ns, fl_slice_t key, int64_t at_ms, bool *applied)
{
    return fl_key_expire_cond(ns, key, at_ms, 0, applied);
}

int fl_key_ttl_ms(fl_ns_t *ns, fl_slice_t key, int64_t *ttl_ms)
{
    int64_t now = fl_now_ms();
    fls_key_t k;
    fls_key_init(ns, key, &k);
    fls_rec_t *r = fls_read_begin(ns, &k, now, false);
    *ttl_ms = !r ? -2 : r->expire_at == 0 ? -1 : r->expire_at - now;
    fls_read_end(ns, &k);
    return FL_OK;
}

int fl_key_persist(fl_ns_t *ns, fl_slice_t key, bool *changed)
{
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, 0, &k, &now);
    bool did = false;
    if (ref && (*ref)->expire_at != 0) {
        (*ref)->expire_at = 0;
        fls_change_t c = {.op = FLS_MODIFY, .rec = *ref, .had_key = true, .had_ttl = true};
        fls_commit(ns, k.pidx, &c);
        did = true;
    }
    fls_unlock(ns, k.part);
    if (changed)
        *changed = did;
    return FL_OK;
}

int fl_key_type(fl_ns_t *ns, fl_slice_t key, fl_type_t *type)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), false);
    *type = r ? (fl_type_t)r->type : FL_TYPE_NONE;
    fls_read_end(ns, &k);
    return FL_OK;
}

int fl_key_memory_usage(fl_ns_t *ns, fl_slice_t key, size_t *bytes)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), false);
    *bytes = r ? fls_rec_usable(r) : 0;
    fls_read_end(ns, &k);
    return FL_OK;
}

static uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
    v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
    return __builtin_bswap64(v);
}

/* Redis's reverse-binary cursor increment for a table of mask + 1 slots; 0 when done. */
static uint64_t cursor_next(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    v = rev64(v);
    v++;
    return rev64(v);
}

/* A partition without keys (relaxed: a key present for the whole scan was counted before the
 * scan began, so it is never skipped; one added meanwhile may be, which SCAN allows). */
static bool part_empty(fls_part_t *p)
{
    return atomic_load_explicit(&p->count, memory_order_relaxed) == 0;
}

int fl_key_scan(fl_ns_t *ns, uint64_t cursor, const char *pattern, size_t pattern_len, size_t count,
                fl_key_fn fn, void *ctx, uint64_t *next)
{
    if (count == 0)
        count = 10;
    uint64_t pidx = cursor >> CURSOR_BITS, v = cursor & CURSOR_MASK;
    size_t visited = 0, steps = 0, max_steps = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
    bool all = !pattern || (pattern_len == 1 && pattern[0] == '*');
    int64_t now = fl_now_ms();
    while (pidx < ns->nparts && visited < count && steps < max_steps) {
        fls_part_t *p = &ns->parts[pidx];
        if (part_empty(p)) { /* no key to return: free to skip, costs no step */
            pidx++;
            v = 0;
            continue;
        }
        bool done = false;
        fls_rdlock(ns, p);
        for (;;) {
            steps++;
            if (!p->b) {
                done = true;
                break;
            }
            for (fls_rec_t *r = p->b[v & p->mask]; r; r = r->next) {
                visited++;
                if (fls_rec_expired(r, now))
                    continue;
                if (all || fls_glob_match(pattern, pattern_len, r->data, r->klen))
                    fn(ctx, r->data, r->klen);
            }
            v = cursor_next(v, p->mask);
            if (v == 0) {
                done = true;
                break;
            }
            if (visited >= count || steps >= max_steps)
                break;
        }
        fls_unlock(ns, p);
        if (done) {
            pidx++;
            v = 0;
        }
    }
    /* Empty partitions ahead would only cost the caller a round trip: skip them now. */
    while (v == 0 && pidx < ns->nparts && part_empty(&ns->parts[pidx]))
        pidx++;
    *next = pidx >= ns->nparts ? 0 : (pidx << CURSOR_BITS) | v;
    return FL_OK;
}

size_t fl_ns_size(fl_ns_t *ns)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < ns->nparts; i++)
        n += atomic_load_explicit(&ns->parts[i].count, memory_order_relaxed);
    return (size_t)n;
}

int fl_ns_flush(fl_ns_t *ns)
{
    for (uint32_t i = 0; i < ns->nparts; i++) {
        fls_part_t *p = &ns->parts[i];
        fls_wrlock(ns, p);
        fls_change_t c = {.op = FLS_FLUSH};
        fls_commit(ns, i, &c);
        fls_unlock(ns, p);
    }
    return FL_OK;
}

int fl_ns_stats(fl_ns_t *ns, fl_ns_stats_t *out)
{
    memset(out, 0, sizeof(*out));
    for (uint32_t i = 0; i < ns->nparts; i++) {
        fls_part_t *p = &ns->parts[i];
        out->keys += atomic_load_explicit(&p->count, memory_order_relaxed);
        out->keys_with_ttl += atomic_load_explicit(&p->ttl_count, memory_order_relaxed);
        out->hits += atomic_load_explicit(&p->hits, memory_order_relaxed);
        out->misses += atomic_load_explicit(&p->misses, memory_order_relaxed);
        out->expired += atomic_load_explicit(&p->expired, memory_order_relaxed);
        out->evicted += atomic_load_explicit(&p->evicted, memory_order_relaxed);
    }
    out->writes_refused = atomic_load_explicit(&ns->writes_refused, memory_order_relaxed);
    out->used = fls_used(ns);
    out->memory_limit = ns->cfg.memory_limit;
    const fls_defrag_t *df = &ns->defrag;
    out->defrag_moves = atomic_load_explicit(&df->moves, memory_order_relaxed);
    out->defrag_sweeps = atomic_load_explicit(&df->sweeps, memory_order_relaxed);
    out->defrag_running = atomic_load_explicit(&df->running, memory_order_relaxed);
    out->defrag_cpu_pct = atomic_load_explicit(&df->cpu_pct, memory_order_relaxed);
    out->defrag_frag_pct = atomic_load_explicit(&df->frag_pct, memory_order_relaxed);
    out->defrag_scanned = atomic_load_explicit(&df->scanned, memory_order_relaxed);
    out->defrag_bytes_moved = atomic_load_explicit(&df->bytes_moved, memory_order_relaxed);
    out->defrag_bytes_freed = atomic_load_explicit(&df->bytes_freed, memory_order_relaxed);
    out->defrag_passes = atomic_load_explicit(&df->passes, memory_order_relaxed);
    out->defrag_time_ns = atomic_load_explicit(&df->time_ns, memory_order_relaxed);
    out->defrag_lock_holds = atomic_load_explicit(&df->holds, memory_order_relaxed);
    out->defrag_max_hold_ns = atomic_load_explicit(&df->max_hold_ns, memory_order_relaxed);
    out->defrag_slow_holds = atomic_load_explicit(&df->slow_holds, memory_order_relaxed);
    int rc = fl_arena_stats(ns->arena, &out->mem);
    return rc < 0 ? FL_EINVAL : FL_OK;
}
