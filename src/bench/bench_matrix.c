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

#define BD_ALLOC_ROW_(name, lib, family, match, pkg, arenas, conf, doc)                            \
    {name, lib, family, pkg, arenas, conf, doc},
const bd_alloc_t bd_allocs[] = {BENCH_ALLOCATORS(BD_ALLOC_ROW_)};
#undef BD_ALLOC_ROW_
const unsigned bd_nallocs = sizeof bd_allocs / sizeof bd_allocs[0];

const bd_workload_t bd_workloads[] = {
    {"db-churn", true, false,
     "an in-memory database under load: persistent records, transient "
     "request buffers"},
    {"size-shift", false, false, "object sizes grow over the program's life (small, then large)"},
    {"server-larson", true, false, "Larson and Krishnan's server benchmark (1998)"},
    {"replay", false, true, "re-runs a trace recorded by flatline-acct --trace (needs --trace)"},
};
const unsigned bd_nworkloads = sizeof bd_workloads / sizeof bd_workloads[0];

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

typedef struct progress {
    unsigned index, total, repeats;
    bool tty;
    double last_print;
} progress_t;

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

/* True when the pair runs: the flatline column needs a workload that knows life-cycles. */
static bool pair_applies(const bd_workload_t *wl, const bd_alloc_t *al)
{
    return !al->arenas || wl->lifecycles;
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
            snprintf(path, sizeof path, "%s/%s", cfg->bindir,
                     al->arenas ? "flatline-bench-runner-fl" : "flatline-bench-runner");
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

int bd_run_matrix(const bd_config_t *cfg_in)
{
    bd_config_t cfg = *cfg_in;
    if (check_allocators(&cfg) != 0)
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
        for (unsigned a = 0; a < cfg.nallocs; a++)
            pg.total += pair_applies(cfg.workloads[w], cfg.allocs[a]) ? cfg.repeats : 0;

    int failed = 0;
    double t_start = bd_now();
    for (unsigned r = 1; r <= cfg.repeats; r++)
        for (unsigned w = 0; w < cfg.nworkloads; w++)
            for (unsigned a = 0; a < cfg.nallocs; a++) {
                const bd_workload_t *wl = cfg.workloads[w];
                const bd_alloc_t *al = cfg.allocs[a];
                if (!pair_applies(wl, al))
                    continue;
                pg.index++;
                bd_row_t row;
                bd_sample_t *samples;
                size_t ns;
                double t0 = bd_now();
                int res = bd_run_child(&cfg, wl, al, r, &row, &samples, &ns, show_progress, &pg);
                free(samples);
                bd_csv_write_row(csv, &row);
                fflush(csv);
                if (pg.tty)
                    fprintf(stderr, "\r\033[K");
                if (res != 0) {
                    failed = 1;
                    fprintf(stderr, "[%u/%u] %s %s rep %u FAILED: %s\n", pg.index, pg.total,
                            wl->name, al->name, r, row.error);
                } else {
                    fprintf(stderr,
                            "[%u/%u] %-13s %-9s rep %u  %5.1f s  %9.0f ops/s  RSS/live@peak "
                            "%.2f  peakRSS/peaklive %.2f\n",
                            pg.index, pg.total, wl->name, al->name, r, bd_now() - t0,
                            row.v[BD_ops_per_s], row.v[BD_frag_at_peak], row.v[BD_peak_ratio]);
                }
            }
    fclose(csv);
    fprintf(stderr, "flatline-bench: %u runs in %.0f s\n", pg.index, bd_now() - t_start);
    return failed;
}
