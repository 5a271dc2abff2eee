/*
 * src/store/bench_defrag.c: flatline-defrag-bench, active defragmentation measured inside one
 * process on the store alone (no network), with the background policy as configured by
 * default. A benchmark, not a test; bench/defrag-store.sh runs it with defrag off and on.
 *
 *   flatline-defrag-bench delete [keys] [seconds] [on|off]
 *       loads `keys` (default 1000000) keys of 100 B, deletes 90 % at random, then samples RSS
 *       every second while a light load (2000 GET/SET per second) runs; prints per second the
 *       memory per remaining key over the memory per key when full (RSS minus the empty
 *       store's RSS), and the defragmenter's counters.
 *   flatline-defrag-bench efficiency [seconds] [on|off]
 *       Redis's memefficiency "active defrag eviction" scenario: memory limit 100 MB, 700000
 *       values of 150 B then 170000 of 300 B (evicting the first), then waits; prints the
 *       arena's allocator fragmentation (active / allocated) every second. As in Redis's test,
 *       threshold-lower 5 %, ignore-bytes 2 MB, cycle-min 65 %, cycle-max 75 %.
 *   flatline-defrag-bench cost [threads] [seconds] [cpu % (default 25)]
 *       loads 1000000 keys, deletes 90 %, then runs `threads` threads of GET/SET (90/10) as
 *       fast as they go while the defragmenter alternates idle and busy phases: ops/s and p99
 *       latency (every 8th operation timed) in each kind of phase.
 * Lines starting with "RESULT" are what the script compares.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>

#include "store_internal.h"

/* FL_BENCH_BINS=1: per-bin occupancy of the namespace arena (where the slab holes are). */
static void print_bins(fl_ns_t *ns)
{
    if (!getenv("FL_BENCH_BINS"))
        return;
    uint64_t epoch = 1;
    size_t sz = sizeof(epoch);
    mallctl("epoch", &epoch, &sz, &epoch, sz);
    unsigned nbins = 0;
    sz = sizeof(nbins);
    mallctl("arenas.nbins", &nbins, &sz, NULL, 0);
    unsigned a = fl_arena_index(fl_ns_arena(ns));
    for (unsigned j = 0; j < nbins; j++) {
        char name[128];
        size_t size = 0, curregs = 0, curslabs = 0, nonfull = 0;
        uint32_t nregs = 0;
        sz = sizeof(size_t);
        snprintf(name, sizeof(name), "arenas.bin.%u.size", j);
        mallctl(name, &size, &sz, NULL, 0);
        sz = sizeof(nregs);
        snprintf(name, sizeof(name), "arenas.bin.%u.nregs", j);
        mallctl(name, &nregs, &sz, NULL, 0);
        sz = sizeof(size_t);
        snprintf(name, sizeof(name), "stats.arenas.%u.bins.%u.curregs", a, j);
        mallctl(name, &curregs, &sz, NULL, 0);
        snprintf(name, sizeof(name), "stats.arenas.%u.bins.%u.curslabs", a, j);
        mallctl(name, &curslabs, &sz, NULL, 0);
        snprintf(name, sizeof(name), "stats.arenas.%u.bins.%u.nonfull_slabs", a, j);
        mallctl(name, &nonfull, &sz, NULL, 0);
        if (curslabs == 0)
            continue;
        size_t holes = (curslabs * nregs - curregs) * size;
        printf("#   bin %5zu B: %8zu regs in %6zu slabs of %3u (%5zu non-full), holes %.2f MB\n",
               size, curregs, curslabs, nregs, nonfull, holes / 1048576.0);
    }
}

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static size_t rss_bytes(void)
{
    return fl_mem_rss(); /* the memory layer's one RSS reader */
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void nop_bulk(void *c, const char *p, size_t n)
{
    (void)p;
    *(size_t *)c += n;
}
static void nop_bulk2(void *c, const char *p, size_t n, const char *q, size_t m)
{
    (void)p, (void)q;
    *(size_t *)c += n + m;
}
static void nop_nil(void *c)
{
    (void)c;
}
static void nop_array(void *c, size_t n)
{
    (void)c;
    (void)n;
}

static fl_store_t *open_ns(bool defrag, size_t limit, unsigned lower, size_t ignore, unsigned cmin,
                           unsigned cmax)
{
    /* as flatline-server does by default (mem-background-thread yes): jemalloc purges decayed
     * pages in its own threads, not inline in allocation calls */
    fl_mem_opts_t mo = {.background_thread = getenv("FL_BENCH_NO_BG") == NULL};
    fl_mem_init(&mo);
    fl_ns_config_t c;
    fl_ns_config_default(&c, "bench");
    c.memory_limit = limit;
    if (lower)
        c.defrag_pct = lower;
    if (ignore)
        c.defrag_ignore_bytes = ignore;
    if (cmax) {
        c.defrag_cycle_min = cmin;
        c.defrag_cycle_max = cmax;
    }
    if (!defrag)
        c.defrag_pct = 0;
    fl_store_t *st = NULL;
    char err[200];
    if (fl_store_open(&st, &c, 1, err, sizeof(err)) != FL_OK) {
        fprintf(stderr, "flatline-defrag-bench: %s\n", err);
        exit(1);
    }
    return st;
}

static int keyname(char *k, uint64_t i)
{
    return snprintf(k, 32, "key:%012" PRIu64, i); /* redis-benchmark's key:__rand_int__ */
}

static void set_key(fl_ns_t *ns, uint64_t i, size_t vlen, char fill)
{
    char k[32], v[512];
    int n = keyname(k, i);
    memset(v, fill, vlen);
    fl_slice_t key = {k, (size_t)n}, val = {v, vlen};
    fl_str_set(ns, key, val, NULL, NULL);
}

static void load(fl_ns_t *ns, size_t n)
{
    for (uint64_t i = 0; i < n; i++)
        set_key(ns, i, 100, 'x');
}

/* Room for the survivors of delete_90 over n keys, zeroed so that its pages are resident
 * already: allocated before the empty store's RSS is read, the bench's own bookkeeping is not
 * counted as the store's memory. */
static uint64_t *survivors_alloc(size_t n)
{
    size_t bytes = (n / 10 + 1024) * sizeof(uint64_t);
    uint64_t *l = malloc(bytes);
    if (l)
        memset(l, 0, bytes); /* calloc may hand out untouched zero pages */
    return l;
}

/* Deletes 90 % of keys 0..n-1, chosen by a hash of the key number (random, reproducible);
 * stores the survivors in l (from survivors_alloc(n)) and returns their number. */
static size_t delete_90(fl_ns_t *ns, size_t n, uint64_t *l)
{
    size_t keep = 0, cap = n / 10 + 1024;
    for (uint64_t i = 0; i < n; i++) {
        uint64_t x = (i + 1) * 0x9e3779b97f4a7c15ull;
        if (rnd(&x) % 10 == 0 && keep < cap) {
            l[keep++] = i;
            continue;
        }
        char k[32];
        int kn = keyname(k, i);
        fl_slice_t key = {k, (size_t)kn};
        fl_key_del(ns, key, NULL);
    }
    fl_thread_release_tcaches();
    return keep;
}

/* ---- light load ---- */

typedef struct load {
    fl_ns_t *ns;
    const uint64_t *keys;
    size_t nkeys;
    unsigned rate; /* ops/s; 0 = as fast as possible */
    uint64_t seed;
    atomic_bool *stop;
    uint64_t ops;
    uint64_t *lat; /* sampled latencies (ns) */
    size_t nlat, cap;
    uint64_t *lat_on; /* cost scenario: samples taken while the defragmenter works */
    size_t nlat_on;
    uint64_t ops_on; /* operations done while it works */
} load_t;

static atomic_bool g_phase_on; /* cost scenario: the defragmenter's phase */

static void *load_main(void *arg)
{
    load_t *l = arg;
    uint64_t x = l->seed | 1;
    size_t got = 0;
    fl_sink_t sink = {&got, nop_bulk, nop_nil, nop_array, nop_bulk2, NULL};
    int64_t t0 = mono_ns();
    while (!atomic_load_explicit(l->stop, memory_order_relaxed)) {
        uint64_t r = rnd(&x);
        uint64_t i = l->keys[r % l->nkeys];
        bool timed = (l->ops & 7) == 0 && l->nlat < l->cap;
        int64_t a = timed ? mono_ns() : 0;
        if (r % 10 == 0) {
            set_key(l->ns, i, 100, 'y');
        } else {
            char k[32];
            int kn = keyname(k, i);
            fl_slice_t key = {k, (size_t)kn};
            fl_str_get(l->ns, key, &sink);
        }
        bool on = atomic_load_explicit(&g_phase_on, memory_order_relaxed);
        if (timed && on && l->lat_on)
            l->lat_on[l->nlat_on++] = (uint64_t)(mono_ns() - a);
        else if (timed)
            l->lat[l->nlat++] = (uint64_t)(mono_ns() - a);
        l->ops++;
        l->ops_on += on;
        if (l->rate && l->ops % 20 == 0) {
            int64_t due = t0 + (int64_t)(l->ops * 1000000000ull / l->rate);
            int64_t now = mono_ns();
            if (due > now) {
                struct timespec ts = {(due - now) / 1000000000, (due - now) % 1000000000};
                nanosleep(&ts, NULL);
            }
        }
    }
    return NULL;
}

static void print_defrag(fl_ns_t *ns)
{
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    fl_mem_stats_t ps;
    if (fl_process_stats(&ps) != 0)
        memset(&ps, 0, sizeof(ps));
    printf(" %7.1f %7.1f %6.2f %7.1f %7.1f %4s %3u %9" PRIu64 " %5" PRIu64 " %6.1f %8.2f\n",
           s.mem.allocated / 1048576.0, s.mem.active / 1048576.0, s.mem.holes_ratio,
           ps.metadata / 1048576.0, ps.dirty / 1048576.0, s.defrag_running ? "yes" : "no",
           s.defrag_cpu_pct, s.defrag_moves, s.defrag_sweeps, s.defrag_time_us / 1e6,
           s.defrag_max_hold_us / 1e3);
}

static const char *HDR = " alloc_MB active_MB act/al meta_MB dirty_MB run cpu     moves sweeps"
                         "  dfr_s maxhold_ms";

static int scenario_delete(size_t nkeys, int secs, bool defrag)
{
    fl_store_t *st = open_ns(defrag, 0, 0, 0, 0, 0);
    fl_ns_t *ns = fl_store_ns(st, 0);
    uint64_t *left = survivors_alloc(nkeys);
    size_t rss0 = rss_bytes();
    load(ns, nkeys);
    size_t rss_full = rss_bytes();
    size_t keep = delete_90(ns, nkeys, left);
    double per_key_full = (double)(rss_full - rss0) / (double)nkeys;
    printf("# delete: %zu keys of 100 B, 90 %% deleted, defrag %s; empty RSS %.1f MB, full RSS "
           "%.1f MB (%.1f B/key)\n",
           nkeys, defrag ? "on" : "off", rss0 / 1048576.0, rss_full / 1048576.0, per_key_full);
    printf("#   t  rss_MB  ratio%s\n", HDR);
    atomic_bool stop = false;
    load_t l = {ns, left, keep, 2000, 42, &stop, 0, NULL, 0, 0, NULL, 0, 0};
    pthread_t t;
    pthread_create(&t, NULL, load_main, &l);
    double at30 = 0, last = 0;
    int first_ok = -1;
    for (int s = 0; s <= secs; s++) {
        size_t rss = rss_bytes();
        double ratio = ((double)(rss > rss0 ? rss - rss0 : 0) / (double)keep) / per_key_full;
        printf("%5d %7.1f %6.2f", s, rss / 1048576.0, ratio);
        print_defrag(ns);
        fflush(stdout);
        if (s <= 30)
            at30 = ratio;
        if (first_ok < 0 && ratio <= 1.3)
            first_ok = s;
        last = ratio;
        if (s < secs)
            sleep(1);
    }
    atomic_store(&stop, true);
    pthread_join(t, NULL);
    fl_mem_stats_t ps;
    char buf[2048];
    if (fl_process_stats(&ps) == 0 &&
        fl_mem_stats_format(&ps, "process at the end", buf, sizeof(buf)) > 0)
        printf("%s", buf);
    printf("RESULT delete defrag=%s ratio_30s=%.2f ratio_end=%.2f first_s_at_or_below_1.3=%d\n",
           defrag ? "on" : "off", at30, last, first_ok);
    free(left);
    fl_store_close(st);
    return 0;
}

static int scenario_efficiency(int secs, bool defrag)
{
    fl_store_t *st = open_ns(defrag, (size_t)100 << 20, 5, (size_t)2 << 20, 65, 75);
    fl_ns_t *ns = fl_store_ns(st, 0);
    for (uint64_t i = 0; i < 700000; i++)
        set_key(ns, i, 150, 'a');
    for (uint64_t i = 0; i < 170000; i++)
        set_key(ns, 1000000 + i, 300, 'b');
    fl_thread_release_tcaches();
    printf("# efficiency: limit 100 MB, 700000 x 150 B then 170000 x 300 B, defrag %s; "
           "keys %zu\n",
           defrag ? "on" : "off", fl_ns_size(ns));
    printf("#   t  rss_MB%s\n", HDR);
    double first = 0, last = 0;
    for (int s = 0; s <= secs; s++) {
        fl_ns_stats_t x;
        fl_ns_stats(ns, &x);
        if (s == 0)
            first = x.mem.holes_ratio;
        last = x.mem.holes_ratio;
        printf("%5d %7.1f", s, rss_bytes() / 1048576.0);
        print_defrag(ns);
        fflush(stdout);
        if (s < secs)
            sleep(1);
    }
    print_bins(ns);
    printf("RESULT efficiency defrag=%s allocator_frag_start=%.3f allocator_frag_end=%.3f\n",
           defrag ? "on" : "off", first, last);
    fl_store_close(st);
    return 0;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static double p99(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof(uint64_t), cmp_u64);
    return n ? v[n * 99 / 100] / 1e3 : 0.0;
}

/*
 * Throughput and latency cost of the defragmenter, side by side in one run: after a mass
 * delete, `threads` threads run GET/SET (90/10) flat out while the main thread alternates
 * 500 ms phases: idle, then defragmenting with a CPU share like the policy's (cpu %, default
 * 25 %, Redis's cycle-max: 25 ms of fl_ns_defrag_step per 100 ms; the store's default
 * cycle-max is 10). The 10 % SETs replace records, so there
 * is always something to move. Ops/s and p99 are compared between the two kinds of phase.
 */
static int scenario_cost(int threads, int secs, int cpu)
{
    fl_store_t *st = open_ns(false, 0, 0, 0, 0, 0); /* the test drives the defragmenter */
    fl_ns_t *ns = fl_store_ns(st, 0);
    uint64_t *left = survivors_alloc(1000000);
    load(ns, 1000000);
    size_t keep = delete_90(ns, 1000000, left);
    atomic_bool stop = false;
    load_t *l = calloc((size_t)threads, sizeof(*l));
    pthread_t *t = calloc((size_t)threads, sizeof(*t));
    for (int i = 0; i < threads; i++) {
        l[i] =
            (load_t){ns, left, keep, 0, 1000 + (uint64_t)i, &stop, 0, NULL, 0, 4000000, NULL, 0, 0};
        l[i].lat = malloc(l[i].cap * sizeof(uint64_t));
        l[i].lat_on = malloc(l[i].cap * sizeof(uint64_t));
        pthread_create(&t[i], NULL, load_main, &l[i]);
    }
    int64_t t_on = 0, t_off = 0;
    int64_t end = mono_ns() + (int64_t)secs * 1000000000;
    for (int phase = 0; mono_ns() < end; phase++) {
        bool on = phase % 2 == 1;
        atomic_store(&g_phase_on, on);
        int64_t p0 = mono_ns();
        while (mono_ns() - p0 < 500000000) {
            int64_t c0 = mono_ns();
            if (on)
                while (mono_ns() - c0 < cpu * 1000000)
                    fl_ns_defrag_step(ns, 256, NULL, NULL);
            struct timespec ts = {0, on ? (100 - cpu) * 1000000 : 100000000};
            nanosleep(&ts, NULL);
        }
        if (on)
            t_on += mono_ns() - p0;
        else
            t_off += mono_ns() - p0;
    }
    atomic_store(&stop, true);
    uint64_t ops = 0, ops_on = 0;
    size_t n_off = 0, n_on = 0;
    for (int i = 0; i < threads; i++) {
        pthread_join(t[i], NULL);
        ops += l[i].ops;
        ops_on += l[i].ops_on;
        n_off += l[i].nlat;
        n_on += l[i].nlat_on;
    }
    uint64_t *a_off = malloc((n_off + 1) * sizeof(uint64_t));
    uint64_t *a_on = malloc((n_on + 1) * sizeof(uint64_t));
    size_t k_off = 0, k_on = 0;
    for (int i = 0; i < threads; i++) {
        memcpy(a_off + k_off, l[i].lat, l[i].nlat * sizeof(uint64_t));
        memcpy(a_on + k_on, l[i].lat_on, l[i].nlat_on * sizeof(uint64_t));
        k_off += l[i].nlat;
        k_on += l[i].nlat_on;
        free(l[i].lat);
        free(l[i].lat_on);
    }
    double tput_off = (ops - ops_on) / (t_off / 1e9), tput_on = ops_on / (t_on / 1e9);
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    printf("RESULT cost threads=%d cpu=%d%% ops_per_s_idle=%.0f ops_per_s_defrag=%.0f ratio=%.3f "
           "p99_us_idle=%.2f p99_us_defrag=%.2f moves=%" PRIu64 " holds=%" PRIu64
           " holds_over_1ms=%" PRIu64 " max_hold_ms=%.2f\n",
           threads, cpu, tput_off, tput_on, tput_on / tput_off, p99(a_off, n_off), p99(a_on, n_on),
           s.defrag_moves, s.defrag_lock_holds, s.defrag_slow_holds, s.defrag_max_hold_us / 1e3);
    free(a_off);
    free(a_on);
    free(l);
    free(t);
    free(left);
    fl_store_close(st);
    return 0;
}

static bool arg_on(int argc, char **argv, int i)
{
    return i >= argc || strcmp(argv[i], "off") != 0;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "delete") == 0)
        return scenario_delete(argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000,
                               argc > 3 ? atoi(argv[3]) : 60, arg_on(argc, argv, 4));
    if (argc >= 2 && strcmp(argv[1], "efficiency") == 0)
        return scenario_efficiency(argc > 2 ? atoi(argv[2]) : 30, arg_on(argc, argv, 3));
    if (argc >= 2 && strcmp(argv[1], "cost") == 0)
        return scenario_cost(argc > 2 ? atoi(argv[2]) : 2, argc > 3 ? atoi(argv[3]) : 10,
                             argc > 4 && atoi(argv[4]) > 0 && atoi(argv[4]) < 100 ? atoi(argv[4])
                                                                                  : 25);
    fprintf(stderr, "usage: flatline-defrag-bench delete [keys] [seconds] [on|off]\n"
                    "       flatline-defrag-bench efficiency [seconds] [on|off]\n"
                    "       flatline-defrag-bench cost [threads] [seconds] [cpu %%]\n");
    return 2;
}
