/*
 * runner_util.c: small helpers every workload uses: size distributions, page touching, scaling,
 * monotonic time, and transient allocation (plain malloc with the requested-bytes accounting, the
 * same in every strategy). No state of their own beyond the shared counters of runner_proto.c.
 */
#include "runner.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

size_t bw_rng_logsize(bw_rng_t *r, size_t lo, size_t hi)
{
    if (hi <= lo)
        return lo;
    double u = (double)(bw_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
    double v = exp(log((double)lo) + u * (log((double)hi) - log((double)lo)));
    size_t n = (size_t)v;
    return n < lo ? lo : n > hi ? hi : n;
}

void bw_touch(void *p, size_t n, uint64_t tag)
{
    unsigned char *b = p;
    if (n == 0)
        return;
    for (size_t off = 0; off < n; off += 4096)
        b[off] = (unsigned char)(tag + off);
    size_t edge = n < 16 ? n : 16;
    memset(b + n - edge, (int)(tag & 0xff), edge);
}

uint64_t bw_scaled(double scale, uint64_t full, uint64_t min)
{
    double v = (double)full * scale;
    uint64_t n = v < 1.0 ? 0 : (uint64_t)v;
    return n < min ? min : n;
}

void *bw_tmp_alloc(size_t n)
{
    void *p = malloc(n);
    if (p)
        bw_live_add((int64_t)n);
    return p;
}

void bw_tmp_free(void *p, size_t n)
{
    if (!p)
        return;
    free(p);
    bw_live_add(-(int64_t)n);
}

uint64_t bw_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}
