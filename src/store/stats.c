/*
 * src/store/stats.c: DBSIZE and a namespace's statistics (INFO, MEMORY STATS).
 *
 * Every figure is a relaxed load of a counter written under its partition's lock (keys, TTL
 * keys, hits, misses, expired, evicted) or an atomic statistic (writes refused, defrag); no lock
 * is taken, so a sum may mix moments while writes are in flight, and `used` equals the arena's
 * requested bytes only when none is.
 */
#include <string.h>

#include "store_internal.h"

size_t fl_ns_size(fl_ns_t *ns)
{
    uint64_t n = 0;
    for (uint32_t i = 0; i < ns->nparts; i++)
        n += atomic_load_explicit(&ns->parts[i].count, memory_order_relaxed);
    return (size_t)n;
}

/* Times are reported in microseconds (FL_NS_STATS), rounded up: a hold that happened is never 0. */
static uint64_t ns_to_us(uint64_t ns)
{
    return ns / 1000 + (ns % 1000 != 0);
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
    out->memory_limit = fl_ns_memory_limit(ns);
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
    out->defrag_time_us = ns_to_us(atomic_load_explicit(&df->time_ns, memory_order_relaxed));
    out->defrag_lock_holds = atomic_load_explicit(&df->holds, memory_order_relaxed);
    out->defrag_max_hold_us =
        ns_to_us(atomic_load_explicit(&df->max_hold_ns, memory_order_relaxed));
    out->defrag_slow_holds = atomic_load_explicit(&df->slow_holds, memory_order_relaxed);
    int rc = fl_arena_stats(ns->arena, &out->mem);
    return rc < 0 ? FL_EINVAL : FL_OK;
}
