/*
 * bench_matrix.c: what flatline-bench runs and in which order. Owns the allocator table (made
 * from allocators.h) and the workload table, checks that every allocator library exists before
 * anything runs (a missing one is skipped with a warning, or is an error with --strict), runs the
 * (workload, allocator, repeat) matrix one child at a time, shows the progress line, and appends
 * each run to DIR/runs.csv.
 *
 * Order: for each repeat, for each workload, for each allocator, so a slow drift of the shared
 * machine (other jobs) spreads over all columns instead of penalising the last one.
 */
#include "bench.h"
#include "flatline/mem.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BD_ALLOC_ROW_(name, lib, family, match, pkg, arenas, store, env, doc)                      \
    {name, lib, family, pkg, arenas, store, env, doc},
const bd_alloc_t bd_allocs[] = {BENCH_ALLOCATORS(BD_ALLOC_ROW_)};
#undef BD_ALLOC_ROW_
const unsigned bd_nallocs = sizeof bd_allocs / sizeof bd_allocs[0];

const bd_workload_t bd_workloads[] = {
    {"db-churn", true, false,
     "an in-memory database under load: persistent records, transient "
     "request buffers",
     NULL, 0, false, true},
    {"size-shift", false, false, "object sizes grow over the program's life (small, then large)",
     NULL, 0, false, false},
    {"server-larson", true, false, "Larson and Krishnan's server benchmark (1998)", NULL, 0, false,
     false},
    {"replay", false, true, "re-runs a trace recorded by flatline-acct --trace (needs --trace)",
     NULL, 0, false, false},
    /* The classic stress programs of bench/stress, run as they are (bench_stress.c). */
    {"cfrac", false, false, "cfrac-like bignum arithmetic: tiny short-lived blocks, 1 thread",
     "stress-cfrac", 4000000, false, false},
    {"espresso", false, false, "espresso-like cube covers: mixed lifetimes, realloc, 1 thread",
     "stress-espresso", 250, false, false},
    {"larson", false, false, "larson-like: blocks freed by the next thread (1, 2, 4, 8 threads)",
     "stress-larson", 40, true, false},
    {"xmalloc", false, false, "xmalloc-like producer/consumer frees (1, 2, 4, 8 pairs)",
     "stress-xmalloc", 2000000, true, false},
    {"cache-scratch", false, false, "cache-scratch: passive false sharing (1, 2, 4, 8 threads)",
     "stress-cache-scratch", 400000, true, false},
    {"mstress", false, false,
     "mstress-like: power-of-2 blocks that migrate and outlive threads (1, 2, 4, 8 threads)",
     "stress-mstress", 6, true, false},
    {"rptest", false, false,
     "rptest-like: 16 B-16 KB, scattered and cross-thread frees (1, 2, 4, 8 threads)",
     "stress-rptest", 300, true, false},
};
const unsigned bd_nworkloads = sizeof bd_workloads / sizeof bd_workloads[0];

const unsigned bd_thread_counts[] = {1, 2, 4, 8};
const unsigned bd_nthread_counts = sizeof bd_thread_counts / sizeof bd_thread_counts[0];

#define BD_STAT_NAME_(f, name, doc) name,
static const char *const vocabulary[] = {FL_MEM_BYTES(BD_STAT_NAME_)};
#undef BD_STAT_NAME_
_Static_assert(sizeof(vocabulary) / sizeof(vocabulary[0]) >= BD_NSTAT, "keys from the vocabulary");
const char *const *const bd_stat_names = vocabulary;

const bd_alloc_t *bd_find_alloc(const char *name)
{
    for (unsigned i = 0; i < bd_nallocs; i++)
        if (strcmp(bd_allocs[i].name, name) == 0)
            return &bd_allocs[i];
    return NULL;
}

const bd_workload_t *bd_find_workload(const char *name)
{
    for (unsigned i = 0; i < bd_nworkloads; i++)
        if (strcmp(bd_workloads[i].name, name) == 0)
            return &bd_workloads[i];
    return NULL;
}

/* Progress and the time left. A run's time is its work plus the time it waits in its tail
 * (known in advance: 30 s x the time scale for the repeats that wait for every checkpoint, 1 s x
 * it for the others, none for a stress program), so the estimate is the tail waits still to
 * come plus, per workload, its mean work time so far times its runs left. A workload not
 * started yet takes the mean of the started ones of its kind (stress program or runner
 * workload), or of all. */
typedef struct progress {
    unsigned index, total, repeats;
    bool tty;
    double last_print;
    double tail_left; /* seconds of tail waits in the runs not done yet */
    /* Per workload (index in cfg.workloads): runs planned, runs done, their work seconds. */
    unsigned planned[BD_MAX_ITEMS], done[BD_MAX_ITEMS];
    double work[BD_MAX_ITEMS];
} progress_t;

/* Mean work seconds of the started workloads (of wl's kind when kind_only). -1: none. */
static double mean_work(const progress_t *pg, const bd_config_t *cfg, const bd_workload_t *wl,
                        bool kind_only)
{
    unsigned done = 0;
    double work = 0;
    for (unsigned w = 0; w < cfg->nworkloads; w++)
        if (!kind_only || !cfg->workloads[w]->program == !wl->program) {
            done += pg->done[w];
            work += pg->work[w];
        }
    return done ? work / done : -1;
}

/* Seconds the runs not done yet should take; -1 before the first run ends. */
static double time_left(const progress_t *pg, const bd_config_t *cfg)
{
    if (mean_work(pg, cfg, cfg->workloads[0], false) < 0)
        return -1;
    double left = pg->tail_left;
    for (unsigned w = 0; w < cfg->nworkloads; w++) {
        const bd_workload_t *wl = cfg->workloads[w];
        double mean = pg->done[w] ? pg->work[w] / pg->done[w] : mean_work(pg, cfg, wl, true);
        if (mean < 0)
            mean = mean_work(pg, cfg, wl, false);
        left += mean * (pg->planned[w] - pg->done[w]);
    }
    return left;
}

/* "1m05s" */
static void fmt_duration(char *buf, size_t len, double s)
{
    if (s < 0)
        snprintf(buf, len, "?");
    else if (s < 60)
        snprintf(buf, len, "%.0fs", s);
    else
        snprintf(buf, len, "%um%02us", (unsigned)(s / 60), (unsigned)s % 60);
}

static void show_progress(const bd_row_t *row, const bd_sample_t *s, void *ctx)
{
    progress_t *pg = ctx;
    static const char *const phases[] = {"start",  "fill", "run",     "peak",
                                         "delete", "tail", "teardown"};
    if (!pg->tty)
        return;
    double now = bd_now();
    if (now - pg->last_print < 0.2)
        return;
    pg->last_print = now;
    fprintf(stderr,
            "\r\033[K[%u/%u] %-13s %-9s rep %u/%u  %6.1f s  %-8s  RSS %8.1f MiB  live %8.1f MiB",
            pg->index, pg->total, row->workload, row->allocator, row->repeat, pg->repeats, s->t,
            s->phase < 7 ? phases[s->phase] : "?", (double)s->rss / 1048576.0,
            (double)s->live / 1048576.0);
    fflush(stderr);
}

/* True when the pair runs: the flatline column needs a workload that knows life-cycles, the
 * store columns one that keeps its records in the store. */
static bool pair_applies(const bd_workload_t *wl, const bd_alloc_t *al)
{
    return (!al->arenas || wl->lifecycles) && (!al->store || wl->store);
}

const char *bd_runner_name(const bd_alloc_t *al)
{
    if (al->store)
        return "flatline-bench-runner-store";
    return al->arenas ? "flatline-bench-runner-fl" : "flatline-bench-runner";
}

/* Checks libraries and runners; drops unusable allocators (or fails with --strict). */
static int check_allocators(bd_config_t *cfg)
{
    unsigned kept = 0;
    for (unsigned i = 0; i < cfg->nallocs; i++) {
        const bd_alloc_t *al = cfg->allocs[i];
        char path[4096];
        const char *why = NULL;
        if (al->lib) {
            snprintf(path, sizeof path, "%s/%s", cfg->libdir, al->lib);
            if (access(path, R_OK) != 0)
                why = "library not found";
        }
        if (!why) {
            snprintf(path, sizeof path, "%s/%s", cfg->bindir, bd_runner_name(al));
            if (access(path, X_OK) != 0)
                why = "runner not built";
        }
        if (why) {
            fprintf(stderr, "flatline-bench: %s: %s: %s (Debian package %s)%s\n",
                    cfg->strict ? "error" : "warning, skipping", al->name, why, al->pkg,
                    al->arenas ? "" : "");
            fprintf(stderr, "  missing: %s\n", path);
            if (cfg->strict)
                return -1;
            continue;
        }
        cfg->allocs[kept++] = al;
    }
    cfg->nallocs = kept;
    if (kept == 0) {
        fprintf(stderr, "flatline-bench: no allocator left to run\n");
        return -1;
    }
    return 0;
}

/* The thread counts workload wl runs at (into counts when not NULL); returns how many. Only the
 * threaded stress programs scale (each count is a row of its own); the others run once, at the
 * workload's own thread count or --threads, shown as 0. */
static unsigned thread_counts(const bd_config_t *cfg, const bd_workload_t *wl, unsigned *counts)
{
    unsigned n = 0;
    if (!wl->program || !wl->threaded || cfg->threads) {
        if (counts)
            counts[0] = wl->program && wl->threaded ? cfg->threads : 0;
        return 1;
    }
    for (; n < bd_nthread_counts && n < BD_MAX_ITEMS; n++)
        if (counts)
            counts[n] = bd_thread_counts[n];
    return n;
}

/* Runs one (workload, allocator, repeat, threads), appends its row to csv and says how it went.
 * Returns 0, or 1 when the run failed. */
static int run_one(const bd_config_t *cfg, unsigned w, const bd_alloc_t *al, unsigned r,
                   unsigned threads, FILE *csv, progress_t *pg)
{
    const bd_workload_t *wl = cfg->workloads[w];
    bd_row_t row;
    double t0 = bd_now();
    int res;
    if (wl->program) {
        if (pg->tty)
            fprintf(stderr, "\r\033[K[%u/%u] %-13s %-9s rep %u/%u  threads %u", pg->index,
                    pg->total, wl->name, al->name, r, pg->repeats, threads);
        res = bd_run_stress(cfg, wl, al, r, threads, &row);
    } else {
        bd_sample_t *samples;
        size_t ns;
        res = bd_run_child(cfg, wl, al, r, &row, &samples, &ns, show_progress, pg);
        free(samples);
    }
    bd_csv_write_row(csv, &row);
    fflush(csv);
    double took = bd_now() - t0;
    double tail = bd_tail_wait(cfg, wl, r);
    pg->done[w]++;
    pg->work[w] += took > tail ? took - tail : 0;
    pg->tail_left -= tail;
    char left[32];
    fmt_duration(left, sizeof left, time_left(pg, cfg));
    if (pg->tty)
        fprintf(stderr, "\r\033[K");
    if (res != 0) {
        fprintf(stderr, "[%u/%u] %s %s rep %u FAILED: %s  (left ~%s)\n", pg->index, pg->total,
                row.workload, al->name, r, row.error, left);
        return 1;
    }
    /* RSS/live at peak; a stress program that knows only its peak live bytes: the peak ratio */
    char ratio[48] = "";
    if (row.v[BD_frag_at_peak] > 0)
        snprintf(ratio, sizeof ratio, "  RSS/live@peak %.2f", row.v[BD_frag_at_peak]);
    else if (row.v[BD_peak_ratio] > 0)
        snprintf(ratio, sizeof ratio, "  peakRSS/peaklive %.2f", row.v[BD_peak_ratio]);
    fprintf(stderr,
            "[%u/%u] %-16s %-12s rep %u  %5.1f s  %9.0f ops/s  peak RSS %6.1f MiB%s  left ~%s\n",
            pg->index, pg->total, row.workload, al->name, r, took, row.v[BD_ops_per_s],
            row.v[BD_max_rss] / 1048576.0, ratio, left);
    return 0;
}

/* Checks that every stress program the workloads need is built. 0, or -1 after saying which. */
static int check_programs(const bd_config_t *cfg)
{
    for (unsigned w = 0; w < cfg->nworkloads; w++) {
        const bd_workload_t *wl = cfg->workloads[w];
        char path[4096];
        if (!wl->program)
            continue;
        snprintf(path, sizeof path, "%s/%s", cfg->stressdir, wl->program);
        if (access(path, X_OK) != 0) {
            fprintf(stderr,
                    "flatline-bench: error: %s: %s not built (cmake --build build --target %s; "
                    "environment: FLATLINE_BENCH_STRESSDIR)\n",
                    wl->name, path, wl->program);
            return -1;
        }
    }
    return 0;
}

int bd_run_matrix(const bd_config_t *cfg_in)
{
    bd_config_t cfg = *cfg_in;
    if (check_allocators(&cfg) != 0 || check_programs(&cfg) != 0)
        return 2;
    char path[4096];
    snprintf(path, sizeof path, "%s/series", cfg.out);
    int rc = bd_mkdir_p(path);
    snprintf(path, sizeof path, "%s/logs", cfg.out);
    if (rc == 0)
        rc = bd_mkdir_p(path);
    if (rc != 0) {
        fprintf(stderr, "flatline-bench: cannot create %s: %s\n", path, strerror(-rc));
        return 1;
    }
    bd_write_machine(&cfg);
    snprintf(path, sizeof path, "%s/runs.csv", cfg.out);
    FILE *csv = fopen(path, "w");
    if (!csv) {
        fprintf(stderr, "flatline-bench: cannot write %s: %s\n", path, strerror(errno));
        return 1;
    }
    bd_csv_write_header(csv);

    progress_t pg = {.repeats = cfg.repeats, .tty = isatty(2)};
    for (unsigned w = 0; w < cfg.nworkloads; w++)
        for (unsigned a = 0; a < cfg.nallocs; a++) {
            if (!pair_applies(cfg.workloads[w], cfg.allocs[a]))
                continue;
            unsigned runs = thread_counts(&cfg, cfg.workloads[w], NULL);
            pg.planned[w] += cfg.repeats * runs;
            for (unsigned r = 1; r <= cfg.repeats; r++)
                pg.tail_left += runs * bd_tail_wait(&cfg, cfg.workloads[w], r);
        }
    for (unsigned w = 0; w < cfg.nworkloads; w++)
        pg.total += pg.planned[w];

    int failed = 0;
    double t_start = bd_now();
    for (unsigned r = 1; r <= cfg.repeats; r++)
        for (unsigned w = 0; w < cfg.nworkloads; w++) {
            unsigned counts[BD_MAX_ITEMS];
            unsigned nc = thread_counts(&cfg, cfg.workloads[w], counts);
            for (unsigned t = 0; t < nc; t++)
                for (unsigned a = 0; a < cfg.nallocs; a++) {
                    if (!pair_applies(cfg.workloads[w], cfg.allocs[a]))
                        continue;
                    pg.index++;
                    failed |= run_one(&cfg, w, cfg.allocs[a], r, counts[t], csv, &pg);
                }
        }
    fclose(csv);
    fprintf(stderr, "flatline-bench: %u runs in %.0f s\n", pg.index, bd_now() - t_start);
    return failed;
}
