/*
 * src/store/defrag.c: active defragmentation on stock jemalloc (issue 6). A sweep visits every
 * partition once, under its write lock, and walks every persistent allocation with
 * fls_part_walk; each one that sits in a sparse slab (fl_mem_should_move: less used than its
 * bin's average, not the slab jemalloc fills next) is moved by fl_arena_move to a block from
 * the fullest slab, and the walk stores the new pointer in the one place that referenced it.
 * Sizes do not change, so `used` and the arena's requested bytes do not either; emptied slabs
 * go back to jemalloc and, after decay or a purge, to the OS.
 *
 * Concurrency: partitions of a sweep are claimed with a CAS on ns->defrag_part, so several
 * callers (the background thread, a DEBUG-style command) can share a sweep. Readers and
 * writers of a partition wait on its lock while it is walked (bounded by the partition's size).
 * The background policy (fls_defrag_tick) runs only in the background thread.
 */
#include <time.h>

#include "store_internal.h"

#define DEFRAG_MIN_HOLES ((size_t)8 << 20) /* do not bother below 8 MiB of slab holes */
#define DEFRAG_CHECK_MS 1000               /* fragmentation check period */
#define DEFRAG_BUDGET_NS 2000000           /* per namespace per tick */
#define DEFRAG_STEP_MOVES 256

typedef struct dctx {
    fl_ns_t *ns;
    size_t moved;
} dctx_t;

static void *maybe_move(void *ctx, void *ptr, size_t size)
{
    dctx_t *d = ctx;
    if (!fl_mem_should_move(ptr))
        return ptr;
    void *p = fl_arena_move(d->ns->arena, ptr, size);
    if (!p)
        return ptr; /* no memory for the copy: the object stays where it is */
    d->moved++;
    return p;
}

int fl_ns_defrag_step(fl_ns_t *ns, size_t max_moves, size_t *moved, bool *swept)
{
    static const fls_walk_ops_t ops = {maybe_move, maybe_move, maybe_move, maybe_move};
    dctx_t d = {ns, 0};
    bool done = false;
    for (uint32_t visited = 0; visited <= ns->nparts && d.moved < max_moves; visited++) {
        uint32_t pidx = atomic_load(&ns->defrag_part);
        if (pidx >= ns->nparts) {
            if (atomic_compare_exchange_strong(&ns->defrag_part, &pidx, 0))
                atomic_fetch_add_explicit(&ns->defrag_sweeps, 1, memory_order_relaxed);
            done = true;
            break;
        }
        if (!atomic_compare_exchange_strong(&ns->defrag_part, &pidx, pidx + 1))
            continue; /* another caller took it */
        fls_part_t *p = &ns->parts[pidx];
        if (atomic_load_explicit(&p->count, memory_order_relaxed) == 0)
            continue;
        fls_wrlock(ns, p);
        fls_part_walk(ns, pidx, &ops, &d);
        fls_unlock(ns, p);
    }
    atomic_fetch_add_explicit(&ns->defrag_moves, d.moved, memory_order_relaxed);
    if (moved)
        *moved = d.moved;
    if (swept)
        *swept = done;
    return FL_OK;
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void fls_defrag_tick(fl_ns_t *ns, int64_t now_ms)
{
    if (ns->cfg.defrag_pct == 0)
        return;
    if (!ns->defrag_running) {
        if (now_ms - ns->defrag_checked_ms < DEFRAG_CHECK_MS)
            return;
        ns->defrag_checked_ms = now_ms;
        fl_mem_stats_t m;
        if (fl_arena_stats(ns->arena, &m) < 0)
            return;
        if (m.slab_frag_bytes < DEFRAG_MIN_HOLES ||
            m.slab_frag_bytes / ns->cfg.defrag_pct < m.allocated / 100)
            return;
        ns->defrag_running = true;
        fl_thread_release_tcaches(); /* cached blocks would count as used */
    }
    int64_t t0 = mono_ns();
    bool swept = false;
    while (!swept && mono_ns() - t0 < DEFRAG_BUDGET_NS)
        fl_ns_defrag_step(ns, DEFRAG_STEP_MOVES, NULL, &swept);
    if (swept)
        ns->defrag_running = false; /* check again in a second */
}
