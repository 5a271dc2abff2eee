/*
 * src/mem/microbench.c: flatline-mem-microbench, the cost of an allocation + free pair through
 * the memory layer next to plain jemalloc (run by bench/mem-microbench.sh; not a test).
 *
 * For each size, three ways, interleaved and repeated so they share the machine's noise:
 *   plain   malloc / free (jemalloc's, automatic tcache)
 *   shared  fl_arena_alloc / fl_arena_free (shared arena, explicit per-thread tcache, exact
 *           requested accounting)
 *   none    mallocx(MALLOCX_ARENA | MALLOCX_TCACHE_NONE) / sdallocx (no cache at all)
 * Each sample allocates a batch of 64 blocks then frees them; the best of the repetitions is
 * reported, in ns per pair, with the ratios to plain.
 */
#include <jemalloc/jemalloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "flatline/mem.h"

enum { BATCH = 64 };

static double now_ns(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static void *volatile g_sink;

static double run_plain(size_t size, unsigned iters)
{
    void *p[BATCH];
    double t0 = now_ns();
    for (unsigned it = 0; it < iters; it++) {
        for (int i = 0; i < BATCH; i++)
            p[i] = malloc(size);
        g_sink = p[it % BATCH];
        for (int i = 0; i < BATCH; i++)
            free(p[i]);
    }
    return (now_ns() - t0) / ((double)iters * BATCH);
}

static double run_shared(fl_arena_t *a, size_t size, unsigned iters)
{
    void *p[BATCH];
    double t0 = now_ns();
    for (unsigned it = 0; it < iters; it++) {
        for (int i = 0; i < BATCH; i++)
            p[i] = fl_arena_alloc(a, size);
        g_sink = p[it % BATCH];
        for (int i = 0; i < BATCH; i++)
            fl_arena_free(a, p[i], size);
    }
    return (now_ns() - t0) / ((double)iters * BATCH);
}

static double run_none(unsigned arena, size_t size, unsigned iters)
{
    void *p[BATCH];
    int flags = (int)MALLOCX_ARENA(arena) | MALLOCX_TCACHE_NONE;
    double t0 = now_ns();
    for (unsigned it = 0; it < iters; it++) {
        for (int i = 0; i < BATCH; i++)
            p[i] = mallocx(size, flags);
        g_sink = p[it % BATCH];
        for (int i = 0; i < BATCH; i++)
            sdallocx(p[i], size, MALLOCX_TCACHE_NONE);
    }
    return (now_ns() - t0) / ((double)iters * BATCH);
}

static double minf(double a, double b)
{
    return a < b ? a : b;
}

int main(int argc, char **argv)
{
    unsigned iters = 20000, reps = 5;
    if (argc > 1)
        iters = (unsigned)strtoul(argv[1], NULL, 10);
    if (argc > 2)
        reps = (unsigned)strtoul(argv[2], NULL, 10);
    if (iters == 0 || reps == 0) {
        fprintf(stderr, "usage: flatline-mem-microbench [iterations per sample] [repetitions]\n");
        return 2;
    }
    int rc = fl_mem_init(NULL);
    fl_arena_t *a = NULL;
    if (rc == 0)
        rc = fl_arena_create(&a, "bench", NULL);
    if (rc != 0) {
        fprintf(stderr, "flatline-mem-microbench: %s\n", fl_mem_strerror(rc));
        return 1;
    }
    if (!fl_mem_malloc_is_jemalloc())
        printf("note: plain malloc is not jemalloc in this build; 'plain' is another allocator\n");
    printf("ns per alloc+free pair (batches of %d, best of %u x %u batches), 1 thread\n", BATCH,
           reps, iters);
    printf("%8s %10s %10s %10s %14s %12s\n", "size", "plain", "shared", "none", "shared/plain",
           "none/plain");
    static const size_t sizes[] = {16, 32, 64, 128, 256, 512, 1024, 2048, 4096};
    double log_sum = 0;
    int n = 0;
    for (size_t k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        size_t s = sizes[k];
        run_plain(s, iters / 10 + 1); /* warm up caches and slabs */
        run_shared(a, s, iters / 10 + 1);
        run_none(fl_arena_index(a), s, iters / 10 + 1);
        double bp = 1e30, bs = 1e30, bn = 1e30;
        for (unsigned r = 0; r < reps; r++) {
            bp = minf(bp, run_plain(s, iters));
            bs = minf(bs, run_shared(a, s, iters));
            bn = minf(bn, run_none(fl_arena_index(a), s, iters));
        }
        printf("%8zu %10.1f %10.1f %10.1f %14.2f %12.2f\n", s, bp, bs, bn, bs / bp, bn / bp);
        log_sum += log(bs / bp);
        n++;
    }
    printf("geometric mean shared/plain: %.2f (target <= 1.25)\n", exp(log_sum / n));

    /* Cost of one statistics snapshot with a few populated arenas (target: well under 1 ms). */
    enum { NA = 4, NOBJ = 2000, CALLS = 200 };
    fl_arena_t *more[NA];
    static void *objs[NA][NOBJ];
    for (int i = 0; i < NA; i++) {
        char name[16];
        snprintf(name, sizeof(name), "ns%d", i);
        if (fl_arena_create(&more[i], name, NULL) != 0)
            return 1;
        for (int k = 0; k < NOBJ; k++)
            objs[i][k] = fl_arena_alloc(more[i], 16 + (size_t)(k * 13) % 3000);
    }
    fl_mem_stats_t st;
    double t0 = now_ns();
    for (int c = 0; c < CALLS; c++)
        fl_arena_stats(more[c % NA], &st);
    double t_arena = (now_ns() - t0) / CALLS;
    t0 = now_ns();
    for (int c = 0; c < CALLS; c++)
        fl_process_stats(&st);
    double t_process = (now_ns() - t0) / CALLS;
    unsigned narenas = 0;
    size_t len = sizeof(narenas);
    mallctl("arenas.narenas", &narenas, &len, NULL, 0);
    printf("statistics with %u jemalloc arenas: fl_arena_stats %.1f us, fl_process_stats %.1f us "
           "per call\n",
           narenas, t_arena / 1000.0, t_process / 1000.0);
    for (int i = 0; i < NA; i++) {
        for (int k = 0; k < NOBJ; k++)
            fl_arena_free(more[i], objs[i][k], 16 + (size_t)(k * 13) % 3000);
        fl_arena_destroy(more[i]);
    }
    fl_arena_destroy(a);
    return 0;
}
