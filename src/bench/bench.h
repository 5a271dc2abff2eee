/*
 * bench.h: internals shared by the files of the flatline-bench driver. Prefix bd_.
 *
 * The driver runs each (workload, allocator, repeat) as a child process (the workload runner,
 * with the allocator preloaded), samples the child's RSS from /proc and its live requested bytes
 * from shared memory (bench_shm.h), and turns the runs into CSV, a terminal table, gnuplot plots
 * and a Markdown report. Files: bench_main.c (CLI), bench_matrix.c (what runs, in which order),
 * bench_child.c (one run: spawn, sample, protocol), bench_csv.c (runs.csv in and out, medians),
 * bench_table.c (terminal and Markdown tables), bench_plot.c (gnuplot), bench_report.c (report.md
 * and the machine description).
 */
#ifndef FLATLINE_BENCH_H
#define FLATLINE_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "allocators.h"

#define BD_MAX_ITEMS 16
#define BD_NTAIL 3

/* An allocator column of the matrix. */
typedef struct bd_alloc {
    const char *name;   /* column name (allocators.h) */
    const char *lib;    /* file name under the library directory to preload, NULL for glibc */
    const char *expect; /* what the runner's ident must say serves malloc */
    const char *pkg;    /* Debian package that provides it (for messages) */
    bool arenas;        /* lifecycle arenas: runs flatline-bench-runner-fl --arenas */
    const char *store;  /* NULL, or records in the store, defrag "on"/"off" (runner-store) */
    const char *env;    /* the allocator's options: "NAME=value ..." (allocators.h), or NULL */
    const char *doc;    /* one line for --help */
} bd_alloc_t;

/* A workload row of the matrix. */
typedef struct bd_workload {
    const char *name;
    bool lifecycles; /* knows which objects are persistent: the flatline column applies */
    bool needs_trace;
    const char *doc;     /* one line for --help */
    const char *program; /* a bench/stress program run as is (bench_stress.c), or NULL */
    long work;           /* the program's count argument at --scale 1 */
    bool threaded;       /* the program takes a thread count first: runs at each count */
    bool store;          /* keeps its records in the namespace store under the store columns */
} bd_workload_t;

typedef struct bd_config {
    const bd_workload_t *workloads[BD_MAX_ITEMS];
    unsigned nworkloads;
    const bd_alloc_t *allocs[BD_MAX_ITEMS];
    unsigned nallocs;
    unsigned repeats;
    unsigned tail_repeats; /* repeats that wait for all tail checkpoints (others stop at +1 s) */
    double scale;
    double time_scale; /* tail checkpoints at +1, +10, +30 s times this */
    uint64_t seed;
    unsigned threads; /* 0: each workload's default */
    const char *out;
    const char *trace;
    const char *libdir;    /* where allocator libraries live */
    const char *bindir;    /* where the runner executables live */
    const char *stressdir; /* where the bench/stress programs live */
    unsigned timeout_s;    /* per run */
    bool strict;           /* a missing allocator library is an error, not a skip */
} bd_config_t;

/* Allocator breakdown keys: the first BD_NSTAT fields of the memory vocabulary (FL_MEM_BYTES in
 * flatline/mem.h), the ones an allocator reports about itself (the driver samples RSS itself;
 * slab holes only jemalloc's arenas could say). */
enum {
    BD_ST_REQUESTED,
    BD_ST_ALLOCATED,
    BD_ST_ACTIVE,
    BD_ST_RESIDENT,
    BD_ST_DIRTY,
    BD_ST_MUZZY,
    BD_ST_RETAINED,
    BD_ST_METADATA,
    BD_NSTAT
};
extern const char *const *const bd_stat_names;

typedef struct bd_sample {
    double t; /* seconds since the child started */
    uint64_t rss;
    int64_t live;
    uint64_t ops;
    unsigned phase;
} bd_sample_t;

/* Numeric columns of runs.csv (-1 = unknown). The last six come from the runner's rusage as
 * wait4 reports it: user and system CPU (ms), minor and major page faults, voluntary and
 * involuntary context switches. */
/* clang-format off: one column a line (the formatter would reflow the list) */
#define BD_NUM_COLUMNS(X)                                                                          \
    X(ops)                                                                                         \
    X(run_ms)                                                                                      \
    X(ops_per_s)                                                                                   \
    X(peak_live)                                                                                   \
    X(rss_at_peak_live)                                                                            \
    X(frag_at_peak)                                                                                \
    X(max_rss)                                                                                     \
    X(peak_ratio)                                                                                  \
    X(rss_sync_peak)                                                                               \
    X(live_sync_peak)                                                                              \
    X(live_after_delete)                                                                           \
    X(rss_after_delete)                                                                            \
    X(rss_tail1)                                                                                   \
    X(rss_tail2)                                                                                   \
    X(rss_tail3)                                                                                   \
    X(tail1_s)                                                                                     \
    X(tail2_s)                                                                                     \
    X(tail3_s)                                                                                     \
    X(pk_requested)                                                                                \
    X(pk_allocated)                                                                                \
    X(pk_active)                                                                                   \
    X(pk_resident)                                                                                 \
    X(pk_dirty)                                                                                    \
    X(pk_muzzy)                                                                                    \
    X(pk_retained)                                                                                 \
    X(pk_metadata)                                                                                 \
    X(tl_requested)                                                                                \
    X(tl_allocated)                                                                                \
    X(tl_active)                                                                                   \
    X(tl_resident)                                                                                 \
    X(tl_dirty)                                                                                    \
    X(tl_muzzy)                                                                                    \
    X(tl_retained)                                                                                 \
    X(tl_metadata)                                                                                 \
    X(user_ms)                                                                                     \
    X(sys_ms)                                                                                      \
    X(minflt)                                                                                      \
    X(majflt)                                                                                      \
    X(nvcsw)                                                                                       \
    X(nivcsw)
/* clang-format on */
#define BD_ENUM(c) BD_##c,
enum { BD_NUM_COLUMNS(BD_ENUM) BD_NNUM };
#undef BD_ENUM
extern const char *const bd_num_names[BD_NNUM];

/* One run: a row of runs.csv. */
typedef struct bd_row {
    char workload[32];
    char allocator[32];
    unsigned repeat;
    bool ok;
    char ident[32];    /* allocator the runner saw serving malloc */
    char version[64];  /* its version */
    char strategy[48]; /* malloc or lifecycle-arenas, +bgthread, +store or +store-defrag */
    double v[BD_NNUM];
    char error[256];
} bd_row_t;

/* ---- bench_child.c ---- */
typedef void (*bd_progress_fn)(const bd_row_t *row, const bd_sample_t *s, void *ctx);
/* Runs one child; fills row (ok or error) and the samples (*samples malloc'd, *nsamples).
 * Returns 0 when the run itself succeeded, -1 otherwise (row->error says why). */
int bd_run_child(const bd_config_t *cfg, const bd_workload_t *wl, const bd_alloc_t *al,
                 unsigned repeat, bd_row_t *row, bd_sample_t **samples, size_t *nsamples,
                 bd_progress_fn progress, void *ctx);

/* Seconds a run of wl in repeat `repeat` waits after its mass delete for the tail checkpoints
 * (the last one's time; +1 s only in repeats past --tail-repeats; 0 for a stress program). */
double bd_tail_wait(const bd_config_t *cfg, const bd_workload_t *wl, unsigned repeat);

/* Records the rusage wait4 gave for a finished child in row's CPU/fault/switch columns. */
struct rusage;
void bd_record_rusage(bd_row_t *row, const struct rusage *ru);

/* ---- bench_stress.c ---- */
/* Runs stress program wl (wl->program) under al at `threads` (ignored unless wl->threaded) and
 * fills row; its RSS series goes to cfg->out/series/, its output to cfg->out/logs/. Returns 0 when
 * the program succeeded, -1 otherwise (row->error says why). */
int bd_run_stress(const bd_config_t *cfg, const bd_workload_t *wl, const bd_alloc_t *al,
                  unsigned repeat, unsigned threads, bd_row_t *row);
/* The row name of a stress run: "<name>-<N>t" for threaded programs, else the name. */
void bd_stress_name(char *buf, size_t len, const bd_workload_t *wl, unsigned threads);

/* ---- bench_sweep.c ---- */
/* The columns of an option sweep of `allocator` (jemalloc, tcmalloc, mimalloc): fills out (at
 * most max) and returns how many, or -1 when that allocator has no sweep. Static storage. */
int bd_sweep_columns(const char *allocator, const bd_alloc_t **out, unsigned max);
/* The allocators that have a sweep, for messages ("jemalloc, tcmalloc, mimalloc"). */
const char *bd_sweep_names(void);

/* ---- bench_matrix.c ---- */
extern const bd_alloc_t bd_allocs[];
extern const unsigned bd_nallocs;
extern const bd_workload_t bd_workloads[];
extern const unsigned bd_nworkloads;
/* Thread counts a threaded stress program runs at (unless --threads fixes one), ascending. */
extern const unsigned bd_thread_counts[];
extern const unsigned bd_nthread_counts;
const bd_alloc_t *bd_find_alloc(const char *name);
const bd_workload_t *bd_find_workload(const char *name);
/* The runner executable a column runs (file name under cfg->bindir). */
const char *bd_runner_name(const bd_alloc_t *al);
/* Runs the whole matrix of cfg, writing DIR/runs.csv and DIR/series/. Returns 0, or 1 when a
 * run failed (the others still ran and were written). */
int bd_run_matrix(const bd_config_t *cfg);

/* ---- bench_csv.c ---- */
int bd_csv_write_header(FILE *f);
int bd_csv_write_row(FILE *f, const bd_row_t *row);
/* Reads DIR/runs.csv; *rows malloc'd. Returns 0 or -errno (message printed). */
int bd_csv_read(const char *dir, bd_row_t **rows, size_t *nrows);
/* Median, min and max of column `col` over the ok rows of (workload, allocator); returns how
 * many values there were (0: all unknown). */
unsigned bd_stat_column(const bd_row_t *rows, size_t n, const char *wl, const char *al, int col,
                        double *median, double *min, double *max);
/* Distinct workloads / allocators in order of first appearance; returns the count. */
unsigned bd_distinct(const bd_row_t *rows, size_t n, bool allocators, const char **out,
                     unsigned max);
/* Writes DIR/summary.csv (median, min, max per pair and column). Returns 0 or -errno. */
int bd_write_summary(const char *dir, const bd_row_t *rows, size_t n);
/* The series file of a run: DIR/series/<workload>-<allocator>-r<repeat>.csv. */
void bd_series_path(char *buf, size_t len, const char *dir, const char *wl, const char *al,
                    unsigned repeat);

/* ---- bench_table.c ---- */
/* Prints the results table (terminal text, or Markdown when markdown). */
void bd_print_table(FILE *f, const bd_row_t *rows, size_t n, bool markdown);
void bd_print_breakdown(FILE *f, const bd_row_t *rows, size_t n, bool markdown);
/* Prints the kernel's view of each pair: CPU time, page faults, context switches (rusage). */
void bd_print_rusage(FILE *f, const bd_row_t *rows, size_t n, bool markdown);
/* Prints, per workload, the column with the least peak RSS, the least RSS at the end (the last
 * tail checkpoint, when the workload has one) and the most ops/s (medians). */
void bd_print_best(FILE *f, const bd_row_t *rows, size_t n, bool markdown);

/* ---- bench_plot.c ---- */
/* Writes gnuplot scripts and draws DIR/plots/{rss-<workload>,ratios}.{svg,png}. Returns 0, or -1
 * when gnuplot is missing or failed (a warning is printed; the rest of the report still works). */
int bd_plot(const char *dir, const bd_row_t *rows, size_t n);
/* True when some good run of workload wl sampled its live bytes over time (a runner workload:
 * it has RSS-over-time plots and ratios at the peak; the stress programs do not). */
bool bd_has_timeline(const bd_row_t *rows, size_t n, const char *wl);

/* ---- bench_report.c ---- */
/* Writes DIR/machine.txt (CPU, cores, memory, kernel, library versions) and DIR/config.txt. */
int bd_write_machine(const bd_config_t *cfg);
/* Summary, plots and DIR/report.md (or `page`, with image links relative to it). Returns 0/-1. */
int bd_report(const char *dir, const char *page);

/* ---- helpers (bench_util.c) ---- */
/* Monotonic time in seconds. */
double bd_now(void);
/* mkdir -p: creates path and its missing parents (0755). 0 or -errno. */
int bd_mkdir_p(const char *path);
/* Resident bytes of process pid (/proc/<pid>/statm), 0 when it is gone. */
uint64_t bd_read_rss(pid_t pid);
/* In a forked child before exec: sets each "NAME=value" of env (space-separated; NULL: none).
 * Returns 0, or -1 when an assignment has no '=' or is too long (nothing more is set). */
int bd_apply_env(const char *env);

#endif /* FLATLINE_BENCH_H */
