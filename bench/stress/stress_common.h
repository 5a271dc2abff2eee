/*
 * bench/stress/stress_common.h: what mstress and rptest share: a seeded random stream, and the
 * live requested bytes of the program and their peak, which they report. Every block carries its
 * requested size in its first 8 bytes (blocks are at least 16 bytes), so whichever thread frees it
 * knows how much to subtract. Each thread keeps a private running delta and adds it to the shared
 * total every LIVE_FLUSH operations, raising the shared peak when the total passes it: the peak is
 * exact to within LIVE_FLUSH blocks per thread, and the counting costs one atomic add per
 * LIVE_FLUSH operations instead of one per operation.
 *
 * At exit a program prints `peak-live-bytes: N` on stdout; flatline-bench reads that line from
 * the program's output and divides the peak RSS by it (peak RSS / peak live).
 */
#ifndef FLATLINE_STRESS_COMMON_H
#define FLATLINE_STRESS_COMMON_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIVE_FLUSH 256

/* xorshift64* : the next number of the stream in *s (seed it non-zero). */
static uint64_t stress_rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

typedef struct live_local {
    int64_t delta; /* bytes allocated minus bytes freed by this thread since its last flush */
    unsigned ops;
} live_local_t;

static _Atomic int64_t live_total, live_peak;

static void live_flush(live_local_t *l)
{
    int64_t now = atomic_fetch_add(&live_total, l->delta) + l->delta;
    int64_t peak = atomic_load(&live_peak);
    while (now > peak && !atomic_compare_exchange_weak(&live_peak, &peak, now))
        ;
    l->delta = 0;
    l->ops = 0;
}

static void live_count(live_local_t *l, int64_t bytes)
{
    l->delta += bytes;
    if (++l->ops == LIVE_FLUSH)
        live_flush(l);
}

/* malloc(size) with size >= 16, stamped with its size, its first cache line and every page
 * written (as a program filling it would, so that live bytes are resident bytes); exits 3 when
 * the allocator fails (a stress program has no way to go on). */
static void *live_alloc(live_local_t *l, size_t size)
{
    uint64_t *p = malloc(size);
    if (!p) {
        fprintf(stderr, "out of memory allocating %zu bytes\n", size);
        exit(3);
    }
    p[0] = size;
    memset(p + 1, (int)size, (size < 64 ? size : 64) - 8);
    for (size_t off = 4096; off < size; off += 4096)
        ((volatile char *)p)[off] = (char)off;
    live_count(l, (int64_t)size);
    return p;
}

/* Frees a block of live_alloc (NULL is ignored). */
static void live_free(live_local_t *l, void *p)
{
    if (!p)
        return;
    live_count(l, -(int64_t) * (uint64_t *)p);
    free(p);
}

static void live_print_peak(void)
{
    printf("peak-live-bytes: %lld\n", (long long)atomic_load(&live_peak));
}

#endif /* FLATLINE_STRESS_COMMON_H */
