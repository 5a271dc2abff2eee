/*
 * src/store/defrag.c: active defragmentation on stock jemalloc, the mechanism and the
 * background policy.
 *
 * Mechanism. A sweep visits every partition once and walks every persistent allocation of it
 * (bucket array, records with their inline keys and values, collections' nodes) with
 * fls_part_walk_step; each one that sits in a sparse slab (fl_mem_should_move: less used than
 * its bin's average, not the slab jemalloc fills next) is moved by fl_arena_move to a block
 * from a fuller slab, and the walk stores the new pointer in the one place that referenced it.
 * Sizes do not change, so `used` and the arena's requested bytes do not either; emptied slabs go
 * back to jemalloc, and the purge after each sweep gives their pages to the OS.
 *
 * Bounded pauses: the partition's write lock is held for one walk step only, which yields after
 * HOLD_NS of work (the clock is read every CLOCK_EVERY units), HOLD_UNITS allocations or the
 * caller's move budget; the cursor keeps positions, never pointers, so the lock is released
 * between steps and readers/writers get in. Each hold is timed (max_hold_ns, and slow_holds
 * counts holds over 1 ms: on a loaded machine those are the holder being preempted, typically
 * for one 4 ms scheduler tick, not work).
 *
 * Policy (the background thread, once per tick, like Redis's active-defrag-*): fragmentation =
 * slab holes * 100 / allocated. A pass starts when holes exceed ignore-bytes and fragmentation
 * exceeds threshold-lower; it runs in each tick for cpu% of the tick period, cpu% growing
 * linearly from cycle-min at threshold-lower to cycle-max at threshold-upper; after each sweep
 * the arena is purged; the pass stops when fragmentation falls to threshold-lower or below, or
 * after a futile sweep, one that neither shrank the holes nor gave back pages by 1/32 of the
 * holes it began with (then the next check waits twice as long each time, up to a minute, so
 * a structural remainder costs no CPU).
 *
 * Concurrency: fls_defrag_t.mu serialises defragmenters of a namespace and protects the sweep
 * position and policy state (see store_internal.h); the background thread only try-locks it,
 * so an on-demand pass (fl_ns_defrag_full) makes it skip ticks, never wait.
 */
#include <time.h>

#include "store_internal.h"

#define CHECK_MS 1000        /* fragmentation check period while running / after a good sweep */
#define BACKOFF_MAX_MS 64000 /* longest check period after futile sweeps */
#define HOLD_NS 500000       /* work per lock hold (target: at most 1 ms held) */
#define HOLD_UNITS 1024      /* allocations per lock hold at most */
#define CLOCK_EVERY 8        /* read the clock every this many yield checks */
#define STEP_NS 10000000     /* fl_ns_defrag_step returns after about this long */
#define FULL_SWEEPS_MAX 8    /* sweeps of one on-demand pass at most */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- Mechanism ------------------------------------------------------------------------------ */

typedef struct dctx {
    fl_ns_t *ns;
    size_t max_moves; /* caller's budget */
    size_t moved;     /* this run */
    uint64_t bytes_moved;
    size_t hold_checks; /* yield checks in the current hold */
    int64_t hold_until; /* mono ns */
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
    d->bytes_moved += size;
    return p;
}

static bool yield_now(void *ctx)
{
    dctx_t *d = ctx;
    d->hold_checks++;
    if (d->moved >= d->max_moves || d->hold_checks >= HOLD_UNITS)
        return true;
    return d->hold_checks % CLOCK_EVERY == 0 && mono_ns() >= d->hold_until;
}

static void max_store(_Atomic uint64_t *a, uint64_t v)
{
    uint64_t cur = atomic_load_explicit(a, memory_order_relaxed);
    while (v > cur && !atomic_compare_exchange_weak_explicit(a, &cur, v, memory_order_relaxed,
                                                             memory_order_relaxed))
        ;
}

/* The defragmenter a thread holds (debug builds; a thread holds at most one: the background
 * thread visits namespaces one by one, and fl_ns_defrag_full takes no other). */
static _Thread_local const fls_defrag_t *t_defrag_held;

static void defrag_lock(fls_defrag_t *df)
{
    pthread_mutex_lock(&df->mu);
    FL_DEBUG_ONLY(t_defrag_held = df;)
}

static bool defrag_trylock(fls_defrag_t *df)
{
    if (pthread_mutex_trylock(&df->mu) != 0)
        return false;
    FL_DEBUG_ONLY(t_defrag_held = df;)
    return true;
}

/* Takes the defragmenter's mutex for an on-demand pass. Inside a store batch (a transaction
 * or script running MEMORY DEFRAG) only when it is free: its holder may be waiting for the
 * batch's partitions or gate, so waiting here could deadlock; the pass is then skipped. */
static bool defrag_lock_on_demand(fls_defrag_t *df)
{
    if (fls_batch_cur)
        return defrag_trylock(df);
    defrag_lock(df);
    return true;
}

static void defrag_unlock(fls_defrag_t *df)
{
    FL_DEBUG_ONLY(t_defrag_held = NULL;)
    pthread_mutex_unlock(&df->mu);
}

/*
 * Continues the sweep (defrag.mu held) until it completes (returns true), max_moves moves were
 * made, or the monotonic clock passes `deadline`. One partition lock at a time, each held for
 * one bounded walk step.
 */
static bool run(fl_ns_t *ns, int64_t deadline, size_t max_moves, size_t *moved)
{
    FL_DEBUG_ASSERT(t_defrag_held == &ns->defrag);
    static const fls_walk_ops_t ops = {
        .buckets = maybe_move, .rec = maybe_move, .yield = yield_now, .node = maybe_move};
    fls_defrag_t *df = &ns->defrag;
    dctx_t d = {.ns = ns, .max_moves = max_moves};
    size_t units = 0;
    uint64_t holds = 0, slow = 0;
    bool swept = false;
    int64_t t0 = mono_ns(), t = t0;
    while (d.moved < max_moves) {
        if (df->pidx >= ns->nparts) {
            df->pidx = 0;
            memset(&df->cur, 0, sizeof(df->cur));
            atomic_fetch_add_explicit(&df->sweeps, 1, memory_order_relaxed);
            swept = true;
            break;
        }
        fls_part_t *p = &ns->parts[df->pidx];
        if (!df->cur.started && atomic_load_explicit(&p->count, memory_order_relaxed) == 0) {
            df->pidx++; /* empty partition: nothing to walk (its count is read racily: the next
                         * sweep sees a key inserted meanwhile) */
            continue;
        }
        fls_wrlock(ns, p);
        int64_t h0 = mono_ns();
        d.hold_checks = 0;
        d.hold_until = h0 + HOLD_NS;
        bool done = fls_part_walk_step(ns, df->pidx, &ops, &d, &df->cur, &units);
        t = mono_ns();
        fls_unlock(ns, p);
        holds++;
        max_store(&df->max_hold_ns, (uint64_t)(t - h0));
        slow += t - h0 > 1000000;
        if (done)
            df->pidx++;
        if (t >= deadline)
            break;
    }
    df->sweep_moves += d.moved;
    atomic_fetch_add_explicit(&df->moves, d.moved, memory_order_relaxed);
    atomic_fetch_add_explicit(&df->bytes_moved, d.bytes_moved, memory_order_relaxed);
    atomic_fetch_add_explicit(&df->scanned, units, memory_order_relaxed);
    atomic_fetch_add_explicit(&df->holds, holds, memory_order_relaxed);
    atomic_fetch_add_explicit(&df->slow_holds, slow, memory_order_relaxed);
    atomic_fetch_add_explicit(&df->time_ns, (uint64_t)(mono_ns() - t0), memory_order_relaxed);
    if (moved)
        *moved = d.moved;
    return swept;
}

void fls_defrag_init(fl_ns_t *ns)
{
    pthread_mutex_init(&ns->defrag.mu, NULL);
    ns->defrag.backoff_ms = CHECK_MS;
}

void fls_defrag_destroy(fl_ns_t *ns)
{
    pthread_mutex_destroy(&ns->defrag.mu);
}

int fl_ns_defrag_step(fl_ns_t *ns, size_t max_moves, size_t *moved, bool *swept)
{
    FLS_ASSERT_NO_LOCK(); /* lock order: the defragmenter's mutex, then partition locks */
    if (!defrag_lock_on_demand(&ns->defrag)) {
        *moved = 0;
        if (swept)
            *swept = false;
        return FL_OK;
    }
    bool done = run(ns, mono_ns() + STEP_NS, max_moves, moved);
    defrag_unlock(&ns->defrag);
    if (swept)
        *swept = done;
    return FL_OK;
}

/* Purges the arena after a sweep; counts the resident bytes the pass gave back since it began
 * or since the previous sweep (defrag.mu held) and returns them. The arena's breakdown after
 * the purge goes to *m (zeroes when it cannot be read). */
static size_t purge_and_count(fl_ns_t *ns, fl_mem_stats_t *m)
{
    fls_defrag_t *df = &ns->defrag;
    FL_DEBUG_ASSERT(t_defrag_held == df);
    fl_arena_purge(ns->arena);
    if (fl_arena_stats(ns->arena, m) < 0) {
        memset(m, 0, sizeof(*m));
        return 0;
    }
    size_t freed = df->resident0 > m->resident ? df->resident0 - m->resident : 0;
    atomic_fetch_add_explicit(&df->bytes_freed, freed, memory_order_relaxed);
    df->resident0 = m->resident; /* the next sweep of the pass counts from here */
    return freed;
}

int fl_ns_defrag_full(fl_ns_t *ns, fl_ns_defrag_report_t *report)
{
    FLS_ASSERT_NO_LOCK();
    fls_defrag_t *df = &ns->defrag;
    fl_ns_defrag_report_t r;
    memset(&r, 0, sizeof(r));
    int64_t t0 = mono_ns();
    if (!defrag_lock_on_demand(df)) {
        if (report)
            *report = r;
        return FL_OK;
    }
    fl_thread_release_tcaches(); /* blocks this thread caches count as used: give them back */
    fl_mem_stats_t m;
    if (fl_arena_stats(ns->arena, &m) < 0)
        memset(&m, 0, sizeof(m));
    r.resident_before = m.resident;
    r.frag_bytes_before = m.slab_frag_bytes;
    uint64_t moves0 = atomic_load(&df->moves), scanned0 = atomic_load(&df->scanned);
    uint64_t bytes0 = atomic_load(&df->bytes_moved);
    /* A new sweep from the first partition; the background pass, if any, restarts later. */
    df->pidx = 0;
    memset(&df->cur, 0, sizeof(df->cur));
    df->resident0 = m.resident;
    /* Sweeps until one moves few objects: each sweep raises the bar (the bin averages grow as
     * slabs empty), so a few sweeps compact much more than one. */
    size_t sweep_moved = 0, first = 0;
    for (int sweep = 0; sweep < FULL_SWEEPS_MAX; sweep++) {
        sweep_moved = 0;
        size_t moved = 0;
        bool swept = false;
        while (!swept) {
            swept = run(ns, INT64_MAX, SIZE_MAX, &moved);
            sweep_moved += moved;
        }
        if (sweep == 0)
            first = sweep_moved;
        if (sweep_moved == 0 || sweep_moved < first / 16)
            break;
    }
    purge_and_count(ns, &m);
    atomic_fetch_add_explicit(&df->passes, 1, memory_order_relaxed);
    r.resident_after = m.resident;
    r.frag_bytes_after = m.slab_frag_bytes;
    r.moved = atomic_load(&df->moves) - moves0;
    r.scanned = atomic_load(&df->scanned) - scanned0;
    r.bytes_moved = atomic_load(&df->bytes_moved) - bytes0;
    defrag_unlock(df);
    r.time_us = (uint64_t)(mono_ns() - t0 + 999) / 1000; /* rounded up: a pass took time */
    if (report)
        *report = r;
    return FL_OK;
}

/* ---- Policy --------------------------------------------------------------------------------- */

uint64_t fls_defrag_frag_pct(const fl_mem_stats_t *m)
{
    if (m->allocated == 0)
        return 0;
    return (uint64_t)((unsigned __int128)m->slab_frag_bytes * 100 / m->allocated);
}

bool fls_defrag_should_start(const fl_ns_config_t *c, size_t frag_bytes, uint64_t frag_pct)
{
    return c->defrag_pct != 0 && frag_bytes > c->defrag_ignore_bytes && frag_pct > c->defrag_pct;
}

unsigned fls_defrag_cpu_pct(const fl_ns_config_t *c, uint64_t frag_pct)
{
    unsigned lo = c->defrag_cycle_min, hi = c->defrag_cycle_max;
    if (frag_pct <= c->defrag_pct)
        return lo;
    if (c->defrag_pct_upper <= c->defrag_pct || frag_pct >= c->defrag_pct_upper)
        return hi;
    uint64_t span = c->defrag_pct_upper - c->defrag_pct;
    return lo + (unsigned)((frag_pct - c->defrag_pct) * (hi - lo) / span);
}

static void measure(fl_ns_t *ns, const fl_mem_stats_t *m, uint64_t *pct)
{
    *pct = fls_defrag_frag_pct(m);
    atomic_store_explicit(&ns->defrag.frag_pct, *pct, memory_order_relaxed);
    atomic_store_explicit(&ns->defrag.frag_bytes, m->slab_frag_bytes, memory_order_relaxed);
}

static void stop(fl_ns_t *ns, bool futile)
{
    fls_defrag_t *df = &ns->defrag;
    atomic_store(&df->running, false);
    atomic_store_explicit(&df->cpu_pct, 0, memory_order_relaxed);
    if (!futile)
        df->backoff_ms = CHECK_MS;
    else if (df->backoff_ms < BACKOFF_MAX_MS)
        df->backoff_ms *= 2;
}

/* A sweep of the background pass completed (mu held): purge, then go on or stop. */
static void sweep_done(fl_ns_t *ns, int64_t now_ms)
{
    fls_defrag_t *df = &ns->defrag;
    FL_DEBUG_ASSERT(t_defrag_held == df);
    fl_mem_stats_t m;
    size_t freed = purge_and_count(ns, &m);
    uint64_t pct;
    measure(ns, &m, &pct);
    df->checked_ms = now_ms;
    /* futile: nothing moved, or the holes shrank by less than 1/32 and the sweep gave back
     * less than that too (moves only churned). Deletes during the sweep can grow the holes
     * while it empties slabs: the pages it gave back still make it useful. */
    size_t bar = df->sweep_frag0 / 32;
    bool futile =
        df->sweep_moves == 0 || (m.slab_frag_bytes + bar > df->sweep_frag0 && freed < bar);
    df->sweep_moves = 0;
    df->sweep_frag0 = m.slab_frag_bytes;
    fl_ns_config_t c; /* the thresholds now (CONFIG SET may change them) */
    fls_cfg_snapshot(ns, &c);
    if (futile || m.slab_frag_bytes <= c.defrag_ignore_bytes || pct <= c.defrag_pct) {
        atomic_fetch_add_explicit(&df->passes, 1, memory_order_relaxed);
        stop(ns, futile);
        return;
    }
    atomic_store_explicit(&df->cpu_pct, fls_defrag_cpu_pct(&c, pct), memory_order_relaxed);
    fl_thread_release_tcaches();
}

void fls_defrag_tick(fl_ns_t *ns, int64_t now_ms)
{
    fls_defrag_t *df = &ns->defrag;
    if (FLS_CFG(ns, defrag_pct) == 0)
        return;
    if (!defrag_trylock(df))
        return; /* an on-demand pass is running */
    bool running = atomic_load(&df->running);
    int64_t period = running ? CHECK_MS : df->backoff_ms;
    if (now_ms - df->checked_ms >= period) {
        df->checked_ms = now_ms;
        fl_mem_stats_t m;
        uint64_t pct = 0;
        fl_ns_config_t c; /* the thresholds now (CONFIG SET may change them) */
        fls_cfg_snapshot(ns, &c);
        if (fl_arena_stats(ns->arena, &m) == 0) {
            measure(ns, &m, &pct);
            if (!running && fls_defrag_should_start(&c, m.slab_frag_bytes, pct)) {
                running = true;
                df->resident0 = m.resident;
                df->sweep_moves = 0;
                df->sweep_frag0 = m.slab_frag_bytes;
                atomic_store(&df->running, true);
                fl_thread_release_tcaches(); /* blocks cached here would count as used */
            } else if (running && pct <= c.defrag_pct) {
                /* below the lower threshold mid-sweep: stop, purge what was freed */
                fl_mem_stats_t after;
                purge_and_count(ns, &after);
                atomic_fetch_add_explicit(&df->passes, 1, memory_order_relaxed);
                stop(ns, false);
                running = false;
            }
            if (running)
                atomic_store_explicit(&df->cpu_pct, fls_defrag_cpu_pct(&c, pct),
                                      memory_order_relaxed);
        }
    }
    if (running) {
        unsigned cpu = atomic_load_explicit(&df->cpu_pct, memory_order_relaxed);
        int64_t budget = (int64_t)cpu * FLS_TICK_MS * 1000000 / 100;
        if (run(ns, mono_ns() + budget, SIZE_MAX, NULL))
            sweep_done(ns, now_ms);
    }
    defrag_unlock(df);
}
