/*
 * src/store/bench_store.c: flatline-store-bench, throughput of the store's hot paths measured
 * side by side in one run: partitions locked by a mutex vs. a rwlock, for a read-heavy and a
 * write-heavy mix, at 1..N threads, with and without a memory limit (the quota check). Prints
 * ops/s per cell and the rwlock/mutex ratio. A benchmark, not a test: compare columns of one run.
 *   usage: flatline-store-bench [seconds per cell (default 0.5)] [max threads (default 4)]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store_internal.h"

#define KEYS 100000

typedef struct job {
    fl_ns_t *ns;
    unsigned read_pct;
    uint64_t seed;
    atomic_bool *stop;
    uint64_t ops;
} job_t;

static void sink_bulk(void *c, const char *p, size_t n)
{
    (void)p;
    *(size_t *)c += n;
}
static void sink_bulk2(void *c, const char *p, size_t n, const char *q, size_t m)
{
    (void)p, (void)q;
    *(size_t *)c += n + m;
}
static void sink_nil(void *c)
{
    (void)c;
}
static void sink_array(void *c, size_t n)
{
    (void)c;
    (void)n;
}

static void *run(void *arg)
{
    job_t *j = arg;
    uint64_t x = j->seed | 1;
    size_t got = 0;
    fl_sink_t sink = {&got, sink_bulk, sink_nil, sink_array, sink_bulk2, NULL};
    char k[24], v[64];
    memset(v, 'v', sizeof(v));
    fl_slice_t val = {v, sizeof(v)};
    uint64_t ops = 0;
    while (!atomic_load_explicit(j->stop, memory_order_relaxed)) {
        for (int i = 0; i < 256; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            int n = snprintf(k, sizeof(k), "key:%u", (unsigned)(x % KEYS));
            fl_slice_t key = {k, (size_t)n};
            if (x % 100 < j->read_pct)
                fl_str_get(j->ns, key, &sink);
            else
                fl_str_set(j->ns, key, val, NULL, NULL);
        }
        ops += 256;
    }
    j->ops = ops;
    return NULL;
}

static double cell(bool rwlock, size_t limit, unsigned threads, unsigned read_pct, double secs)
{
    fls_set_default_rwlock(rwlock);
    fl_ns_config_t c;
    fl_ns_config_default(&c, "bench");
    c.memory_limit = limit;
    fl_store_t *st;
    char err[200];
    if (fl_store_open(&st, &c, 1, err, sizeof(err)) != FL_OK) {
        fprintf(stderr, "open: %s\n", err);
        exit(1);
    }
    fl_ns_t *ns = fl_store_ns(st, 0);
    char k[24], v[64];
    memset(v, 'v', sizeof(v));
    for (unsigned i = 0; i < KEYS; i++) {
        int n = snprintf(k, sizeof(k), "key:%u", i);
        fl_slice_t key = {k, (size_t)n}, val = {v, sizeof(v)};
        fl_str_set(ns, key, val, NULL, NULL);
    }
    atomic_bool stop = false;
    job_t jobs[64];
    pthread_t t[64];
    for (unsigned i = 0; i < threads; i++) {
        jobs[i] = (job_t){ns, read_pct, 0x9e3779b97f4a7c15ull * (i + 1), &stop, 0};
        pthread_create(&t[i], NULL, run, &jobs[i]);
    }
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    nanosleep(&ts, NULL);
    atomic_store(&stop, true);
    uint64_t ops = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        ops += jobs[i].ops;
    }
    fl_store_close(st);
    return (double)ops / secs;
}

int main(int argc, char **argv)
{
    double secs = argc > 1 ? atof(argv[1]) : 0.5;
    unsigned maxt = argc > 2 ? (unsigned)atoi(argv[2]) : 4;
    if (secs <= 0 || maxt < 1 || maxt > 64) {
        fprintf(stderr, "usage: %s [seconds per cell] [max threads 1..64]\n", argv[0]);
        return 2;
    }
    printf("%-12s %-8s %7s %14s %14s %8s\n", "mix", "limit", "threads", "mutex ops/s",
           "rwlock ops/s", "rw/mx");
    for (int lim = 0; lim < 2; lim++) {
        size_t limit = lim ? (size_t)1 << 30 : 0;
        for (int mix = 0; mix < 2; mix++) {
            unsigned read_pct = mix ? 50 : 90;
            for (unsigned t = 1; t <= maxt; t *= 2) {
                double m = cell(false, limit, t, read_pct, secs);
                double r = cell(true, limit, t, read_pct, secs);
                printf("%-12s %-8s %7u %14.0f %14.0f %8.2f\n",
                       read_pct == 90 ? "90% GET" : "50% GET", lim ? "1GiB" : "none", t, m, r,
                       r / m);
                fflush(stdout);
            }
        }
    }
    return 0;
}
