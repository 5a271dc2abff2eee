/*
 * src/mem/demo_workload.c: flatline-demo's workload, Aerospike's problem in miniature.
 *
 * Worker threads mix transient buffers (256 B - 64 KiB, log-uniform, a few alive per thread at
 * once, like request and reply buffers) with persistent records kept in a shared table; record
 * sizes drift upward over the run (48 B -> ~3 KiB mean), records are inserted, resized and
 * deleted at random slots by any thread; then a mass delete removes most records, each by a
 * thread other than the one that wrote it. Two strategies, same seed:
 *   DEMO_PLAIN      everything through malloc/realloc/free;
 *   DEMO_LIFECYCLE  records in a shared arena (fl_arena_*), transient buffers through malloc
 *                   in each thread's private arena; after the delete a defragmentation pass
 *                   moves records the hints point at (fl_mem_should_move_batch, fl_arena_move).
 * Both end with a purge of freed pages, so the comparison is about fragmentation, not decay.
 *
 * Synchronization: table slot i is protected by g_stripe[i % NSTRIPES]; everything else a
 * thread touches is its own (struct worker), read by the driver only after pthread_join.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "demo.h"

#define NSTRIPES 1024
#define RING 8 /* transient buffers a thread keeps alive at once */

struct slot {
    void *p;
    uint32_t size;
};

struct worker {
    pthread_t tid;
    unsigned me;
    uint64_t rng;
    int64_t live_delta;  /* record bytes this thread added minus those it removed */
    int64_t count_delta; /* records added minus removed */
    uint64_t transient;  /* transient buffers allocated */
    int error;
};

static enum demo_mode g_mode;
static const struct demo_opts *g_o;
static struct slot *g_table;
static pthread_mutex_t g_stripe[NSTRIPES];
static fl_arena_t *g_records; /* lifecycle mode */
static bool g_private_ok;     /* written before workers start */
static _Atomic bool g_private_failed;
static struct timespec g_t0;

static uint64_t rnd(struct worker *w)
{
    uint64_t x = w->rng;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    w->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

static double unit(struct worker *w)
{
    return (double)(rnd(w) >> 11) / 9007199254740992.0;
}

static double elapsed(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - g_t0.tv_sec) + (double)(t.tv_nsec - g_t0.tv_nsec) / 1e9;
}

/* ---- the two strategies ---- */

static void *rec_alloc(size_t size)
{
    return g_mode == DEMO_LIFECYCLE ? fl_arena_alloc(g_records, size) : malloc(size);
}

static void *rec_realloc(void *p, size_t old, size_t size)
{
    return g_mode == DEMO_LIFECYCLE ? fl_arena_realloc(g_records, p, old, size) : realloc(p, size);
}

static void rec_free(void *p, size_t size)
{
    if (g_mode == DEMO_LIFECYCLE)
        fl_arena_free(g_records, p, size);
    else
        free(p);
}

static void thread_start(void)
{
    if (g_mode == DEMO_LIFECYCLE && g_private_ok && fl_thread_bind_private_arena() != 0)
        g_private_failed = true;
}

/* ---- records ---- */

static size_t record_size(struct worker *w, double progress)
{
    double mean = 48.0 * exp2(6.0 * progress); /* 48 B at the start, ~3 KiB at the end */
    size_t s = (size_t)(mean * (0.5 + unit(w)));
    return s < 8 ? 8 : s;
}

static void fill(void *p, size_t n, uint32_t tag)
{
    memset(p, (int)(tag & 0xff), n < 64 ? n : 64);
    ((unsigned char *)p)[n - 1] = (unsigned char)tag;
}

/* Inserts or resizes the record at slot i. */
static void upsert(struct worker *w, size_t i, double progress)
{
    size_t size = record_size(w, progress);
    pthread_mutex_t *m = &g_stripe[i % NSTRIPES];
    pthread_mutex_lock(m);
    struct slot *s = &g_table[i];
    void *p = s->p ? rec_realloc(s->p, s->size, size) : rec_alloc(size);
    if (p == NULL) {
        w->error = -ENOMEM;
    } else {
        w->live_delta += (int64_t)size - (int64_t)(s->p ? s->size : 0);
        w->count_delta += s->p ? 0 : 1;
        fill(p, size, (uint32_t)i);
        s->p = p;
        s->size = (uint32_t)size;
    }
    pthread_mutex_unlock(m);
}

static void delete_slot(struct worker *w, size_t i)
{
    pthread_mutex_t *m = &g_stripe[i % NSTRIPES];
    pthread_mutex_lock(m);
    struct slot *s = &g_table[i];
    if (s->p) {
        rec_free(s->p, s->size);
        w->live_delta -= s->size;
        w->count_delta -= 1;
        s->p = NULL;
    }
    pthread_mutex_unlock(m);
}

/* ---- phases ---- */

static void *churn(void *arg)
{
    struct worker *w = arg;
    thread_start();
    /* Initial load: this thread's share of the slots. */
    for (size_t i = w->me; i < g_o->records; i += g_o->threads)
        upsert(w, i, 0.0);

    void *ring[RING] = {0};
    unsigned head = 0;
    size_t ops_per_round = (size_t)g_o->records * 2 / g_o->threads + 1;
    for (unsigned round = 0;; round++) {
        double progress;
        if (g_o->seconds > 0) {
            progress = elapsed() / g_o->seconds;
            if (progress >= 1.0)
                break;
        } else {
            if (round >= g_o->rounds)
                break;
            progress = (double)round / (double)g_o->rounds;
        }
        for (size_t k = 0; k < ops_per_round && w->error == 0; k++) {
            uint64_t r = rnd(w) % 100;
            if (g_o->seconds > 0 && (k & 1023) == 0) {
                progress = elapsed() / g_o->seconds;
                if (progress >= 1.0)
                    break;
            }
            if (r < 50) {
                upsert(w, rnd(w) % g_o->records, progress);
            } else if (r < 60) {
                delete_slot(w, rnd(w) % g_o->records);
            } else {
                size_t size = (size_t)exp2(8.0 + 8.0 * unit(w)); /* 256 B .. 64 KiB */
                unsigned char *b = malloc(size);
                if (b == NULL) {
                    w->error = -ENOMEM;
                    break;
                }
                for (size_t off = 0; off < size; off += 4096) /* touch every page */
                    b[off] = (unsigned char)off;
                memset(b, 0x7f, size < 512 ? size : 512);
                w->transient++;
                free(ring[head]);
                ring[head] = b;
                head = (head + 1) % RING;
            }
        }
    }
    for (unsigned k = 0; k < RING; k++)
        free(ring[k]);
    return NULL;
}

/* True for the records the mass delete removes (a fixed share, spread over the table). */
static bool doomed(size_t i, unsigned pct)
{
    uint64_t h = (uint64_t)i * 0x9e3779b97f4a7c15ull;
    return (h >> 32) % 100 < pct;
}

static void *mass_delete(void *arg)
{
    struct worker *w = arg;
    thread_start();
    /* Blocks of 64 slots, each handled by a thread other than the one that loaded it. */
    for (size_t blk = w->me; blk * 64 < g_o->records; blk += g_o->threads) {
        for (size_t i = blk * 64; i < blk * 64 + 64 && i < g_o->records; i++)
            if (doomed(i, g_o->delete_pct))
                delete_slot(w, i);
    }
    return NULL;
}

/* Lifecycle only: move the records the hints point at, a few passes at most. */
static uint64_t defragment(void)
{
    uint64_t moved = 0;
    fl_thread_release_tcaches(); /* cached regions count as used */
    for (int pass = 0; pass < 3; pass++) {
        uint64_t moved_now = 0;
        for (size_t base = 0; base < g_o->records; base += 64) {
            const void *ptrs[64];
            bool hint[64];
            size_t n = g_o->records - base < 64 ? g_o->records - base : 64;
            for (size_t k = 0; k < n; k++)
                ptrs[k] = g_table[base + k].p;
            if (fl_mem_should_move_batch(ptrs, n, hint) != 0)
                return moved;
            for (size_t k = 0; k < n; k++) {
                struct slot *s = &g_table[base + k];
                if (!hint[k])
                    continue;
                void *np = fl_arena_move(g_records, s->p, s->size);
                if (np != NULL) {
                    s->p = np;
                    moved_now++;
                }
            }
        }
        moved += moved_now;
        if (moved_now * 100 < (uint64_t)g_o->records / 10) /* < 0.1% of the table: done */
            break;
    }
    return moved;
}

static int run_phase(void *(*fn)(void *), struct worker *w, struct demo_result *res)
{
    for (unsigned t = 0; t < g_o->threads; t++) {
        int rc = pthread_create(&w[t].tid, NULL, fn, &w[t]);
        if (rc != 0) {
            for (unsigned k = 0; k < t; k++)
                pthread_join(w[k].tid, NULL);
            return -rc;
        }
    }
    for (unsigned t = 0; t < g_o->threads; t++)
        pthread_join(w[t].tid, NULL);
    res->transient_allocs = 0;
    for (unsigned t = 0; t < g_o->threads; t++) {
        if (w[t].error != 0)
            return w[t].error;
        res->transient_allocs += w[t].transient;
    }
    return 0;
}

/* Live record bytes and count, from the per-thread deltas of every phase so far. */
static void totals(struct worker *w, int64_t *bytes, int64_t *count)
{
    *bytes = *count = 0;
    for (unsigned t = 0; t < g_o->threads; t++) {
        *bytes += w[t].live_delta;
        *count += w[t].count_delta;
    }
}

/* Process breakdown with requested = the exact live record bytes (both modes know them). */
static int snapshot(fl_mem_stats_t *s, int64_t requested)
{
    int rc = fl_process_stats(s);
    if (rc != 0)
        return rc;
    s->requested = requested > 0 ? (size_t)requested : 0;
    s->requested_known = true;
    double req = s->requested ? (double)s->requested : 1.0;
    s->frag_ratio = s->requested ? (double)s->rss / req : 1.0;
    s->rounding_ratio = s->requested ? (double)s->allocated / req : 1.0;
    return 0;
}

void demo_run(enum demo_mode mode, const struct demo_opts *o, struct demo_result *res)
{
    memset(res, 0, sizeof(*res));
    g_mode = mode;
    g_o = o;
    for (unsigned i = 0; i < NSTRIPES; i++)
        pthread_mutex_init(&g_stripe[i], NULL);
    g_table = calloc(o->records, sizeof(*g_table));
    struct worker *w = calloc(o->threads, sizeof(*w));
    if (g_table == NULL || w == NULL) {
        res->error = -ENOMEM;
        goto out;
    }
    for (unsigned t = 0; t < o->threads; t++) {
        w[t].me = t;
        w[t].rng = o->seed * 0x9e3779b97f4a7c15ull + t + 1;
    }
    if (mode == DEMO_LIFECYCLE) {
        res->error = fl_arena_create(&g_records, "records", NULL);
        if (res->error != 0)
            goto out;
        g_private_ok = fl_mem_malloc_is_jemalloc();
    }

    clock_gettime(CLOCK_MONOTONIC, &g_t0);
    res->error = run_phase(churn, w, res);
    res->churn_seconds = elapsed();
    if (res->error != 0)
        goto out;
    int64_t bytes, count;
    totals(w, &bytes, &count);
    res->records_peak = (uint64_t)count;
    if ((res->error = snapshot(&res->peak, bytes)) != 0)
        goto out;

    for (unsigned t = 0; t < o->threads; t++)
        w[t].me = (t + 1) % o->threads; /* a different thread than the loader */
    res->error = run_phase(mass_delete, w, res);
    if (res->error != 0)
        goto out;
    (void)fl_mem_purge_all();
    totals(w, &bytes, &count);
    res->records_after = (uint64_t)count;
    if ((res->error = snapshot(&res->deleted, bytes)) != 0)
        goto out;
    if (mode == DEMO_LIFECYCLE) {
        res->moved = defragment();
        (void)fl_mem_purge_all();
    }
    res->error = snapshot(&res->after, bytes);
    res->private_arenas = mode == DEMO_LIFECYCLE && g_private_ok && !g_private_failed;
out:
    if (g_table != NULL) {
        for (size_t i = 0; i < o->records; i++)
            if (g_table[i].p != NULL)
                rec_free(g_table[i].p, g_table[i].size);
        free(g_table);
        g_table = NULL;
    }
    if (g_records != NULL) {
        fl_arena_destroy(g_records);
        g_records = NULL;
    }
    free(w);
}
