/*
 * bench_main.c: the flatline-bench command line. Parses `run` and `report`, validates every
 * name and number before anything runs (a bad one says why and exits 2), and hands over to
 * bench_matrix.c and bench_report.c. Exit codes: 0 success, 1 a run or the report failed,
 * 2 bad usage (or, with --strict, a missing allocator library).
 */
#include "bench.h"

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef FLATLINE_BENCH_STRESSDIR
#define FLATLINE_BENCH_STRESSDIR "."
#endif
#ifndef FLATLINE_BENCH_LIBDIR
#define FLATLINE_BENCH_LIBDIR "/usr/lib/x86_64-linux-gnu"
#endif

static void usage(FILE *f)
{
    fprintf(
        f, "usage: flatline-bench run [--workloads a,b] [--allocators a,b] [--repeats N]\n"
           "                          [--scale X] [--seed S] [--out DIR] [--trace FILE]\n"
           "                          [--time-scale X] [--tail-repeats K] [--threads N]\n"
           "                          [--timeout S] [--strict]\n"
           "                          [--libdir DIR] [--quick] [--sweep ALLOC]\n"
           "       flatline-bench report --out DIR [--page FILE]\n"
           "       flatline-bench allocators [--sweep ALLOC]\n"
           "       flatline-bench --help\n"
           "\n"
           "run     runs every workload under every allocator (each run a child process with\n"
           "        the allocator preloaded), samples its RSS and live bytes, and writes\n"
           "        DIR/runs.csv, DIR/summary.csv, DIR/series/, DIR/plots/ and DIR/report.md.\n"
           "report  rebuilds summary, plots and the Markdown page from DIR/runs.csv\n"
           "        (--page FILE writes the page elsewhere, images linked relative to it).\n"
           "\n"
           "  --workloads   a comma list of workloads (default: all; replay only with --trace)\n"
           "  --allocators  a comma list of allocators (default: all)\n"
           "  --repeats N   runs per cell; the table shows the median and [min-max] (default 3)\n"
           "  --scale X     multiplies sizes and operation counts (default 1 = full shape;\n"
           "                0.01 fits a test)\n"
           "  --seed S      base seed; repeat r uses S+r-1 (default 1)\n"
           "  --out DIR     output directory (default bench-out)\n"
           "  --trace FILE  a trace recorded by `flatline-acct --trace FILE` (replay workload)\n"
           "  --time-scale X  the tail checkpoints after the mass delete are at +1, +10, +30 s\n"
           "                times X (default 1)\n"
           "  --tail-repeats K  only the first K repeats wait for the +10 s and +30 s\n"
           "                checkpoints; later ones stop after +1 s (default: all)\n"
           "  --quick       the whole matrix at small scale in a few minutes (--repeats 1\n"
           "                --scale 0.2 --time-scale 0.05; options given still win)\n"
           "  --sweep ALLOC  instead of the allocator columns, ALLOC under each setting of\n"
           "                its option sweep (jemalloc: narenas, dirty/muzzy decay,\n"
           "                background threads; tcmalloc: release rate, aggressive decommit,\n"
           "                thread cache size; mimalloc: decommit delays, page reset, no\n"
           "                decommit); the report names the best setting\n"
           "  --threads N   worker threads per workload (default: the workload's own, 4; the\n"
           "                threaded stress programs run at 1, 2, 4 and 8, a row per count)\n"
           "  --timeout S   kill a run after S seconds (default 600)\n"
           "  --strict      a missing allocator library is an error (exit 2) instead of a\n"
           "                warning that skips that allocator\n"
           "  --libdir DIR  where the allocator libraries are (default " FLATLINE_BENCH_LIBDIR ";\n"
           "                environment: FLATLINE_BENCH_LIBDIR)\n"
           "\n"
           "The stress workloads run bench/stress's programs (environment:\n"
           "FLATLINE_BENCH_STRESSDIR); their ops are the program's own work unit (steps,\n"
           "passes, rounds, blocks, iterations; times the threads), so compare them within a\n"
           "workload only, and they know no live bytes (no fragmentation ratios).\n"
           "\n"
           "allocators  prints the allocator table, one per line: name, preloaded library (- for\n"
           "        none), the family that must serve malloc, Debian package, 1 when it runs\n"
           "        lifecycle arenas, the store's defragmentation when db-churn's records go\n"
           "        through the store (on/off, - for no store), the options as environment\n"
           "        assignments (- for none);\n"
           "        with --sweep ALLOC, the columns of that sweep instead; tests read it\n");
    fprintf(f, "\nWorkloads:\n");
    for (unsigned i = 0; i < bd_nworkloads; i++)
        fprintf(f, "  %-14s %s\n", bd_workloads[i].name, bd_workloads[i].doc);
    fprintf(f, "\nAllocators:\n");
    for (unsigned i = 0; i < bd_nallocs; i++)
        fprintf(f, "  %-14s %s\n", bd_allocs[i].name, bd_allocs[i].doc);
}

/* Prints " (known: a, b, ...)" for the allocator or workload table. */
static void print_known(bool allocators)
{
    unsigned n = allocators ? bd_nallocs : bd_nworkloads;
    fprintf(stderr, " (known:");
    for (unsigned i = 0; i < n; i++)
        fprintf(stderr, "%s %s", i ? "," : "",
                allocators ? bd_allocs[i].name : bd_workloads[i].name);
    fprintf(stderr, ")\n");
}

static int bad(const char *fmt, const char *what)
{
    fprintf(stderr, "flatline-bench: ");
    fprintf(stderr, fmt, what);
    fprintf(stderr, " (see flatline-bench --help)\n");
    return 2;
}

/* Parses a comma list of names through find(); returns 0 or 2 after saying which is unknown. */
static int parse_list(const char *arg, const char *kind, const void **out, unsigned *n,
                      const void *(*find)(const char *))
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", arg);
    *n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        const void *item = find(tok);
        if (!item) {
            fprintf(stderr, "flatline-bench: unknown %s '%s'", kind, tok);
            print_known(strcmp(kind, "allocator") == 0);
            return 2;
        }
        bool dup = false;
        for (unsigned i = 0; i < *n; i++)
            dup |= out[i] == item;
        if (!dup && *n < BD_MAX_ITEMS)
            out[(*n)++] = item;
    }
    if (*n == 0)
        return bad("empty %s list", kind);
    return 0;
}

static const void *find_alloc(const char *s)
{
    return bd_find_alloc(s);
}

static const void *find_workload(const char *s)
{
    return bd_find_workload(s);
}

static int parse_double(const char *s, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end || !(v >= lo && v <= hi))
        return -1;
    *out = v;
    return 0;
}

/* The answer to getopt's ':' (missing value) and '?' (unknown option) for `cmd`. */
static int option_error(int c, const char *cmd, char **argv)
{
    if (c == ':')
        return bad("option '%s' needs a value", argv[optind - 1]);
    fprintf(stderr, "flatline-bench: unknown option '%s' for %s (see flatline-bench --help)\n",
            argv[optind - 1], cmd);
    return 2;
}

/* Applies one option of a command: 0 taken, 2 bad value (said why), -1 not an option of it. */
typedef int (*apply_fn)(void *ctx, int c, const char *arg);

/* Runs getopt over a command's arguments, handing each option to apply. Returns 0 to go on,
 * 2 on bad usage (said why); sets *help and returns 0 after printing the usage for --help. */
static int parse_options(int argc, char **argv, const char *cmd, const struct option *opts,
                         apply_fn apply, void *ctx, bool *help)
{
    *help = false;
    optind = 1;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, ":", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            *help = true;
            return 0;
        }
        int rc = c == ':' || c == '?' ? -1 : apply(ctx, c, optarg);
        if (rc < 0)
            return option_error(c, cmd, argv);
        if (rc)
            return rc;
    }
    if (optind < argc)
        return bad("unexpected argument '%s'", argv[optind]);
    return 0;
}

/* A whole number in [lo, hi]; 0, or -1 when s is not one. */
static int parse_whole(const char *s, double lo, double hi, unsigned *out)
{
    double d;
    if (parse_double(s, lo, hi, &d) != 0 || d != (unsigned)d)
        return -1;
    *out = (unsigned)d;
    return 0;
}

/* ---- flatline-bench run ---- */

/* What `run` collects: the configuration and the two name lists, resolved after parsing. */
typedef struct run_args {
    bd_config_t cfg;
    const char *workloads, *allocators; /* NULL: the defaults */
    const char *sweep;                  /* --sweep ALLOCATOR, or NULL */
} run_args_t;

enum {
    O_WL = 256,
    O_AL,
    O_REP,
    O_SCALE,
    O_SEED,
    O_OUT,
    O_TRACE,
    O_TS,
    O_THR,
    O_TO,
    O_STRICT,
    O_LIBDIR,
    O_TAILREP,
    O_QUICK,
    O_SWEEP
};

static const struct option run_opts[] = {
    {"workloads", required_argument, 0, O_WL},
    {"allocators", required_argument, 0, O_AL},
    {"repeats", required_argument, 0, O_REP},
    {"scale", required_argument, 0, O_SCALE},
    {"seed", required_argument, 0, O_SEED},
    {"out", required_argument, 0, O_OUT},
    {"trace", required_argument, 0, O_TRACE},
    {"time-scale", required_argument, 0, O_TS},
    {"threads", required_argument, 0, O_THR},
    {"timeout", required_argument, 0, O_TO},
    {"strict", no_argument, 0, O_STRICT},
    {"libdir", required_argument, 0, O_LIBDIR},
    {"tail-repeats", required_argument, 0, O_TAILREP},
    {"quick", no_argument, 0, O_QUICK},
    {"sweep", required_argument, 0, O_SWEEP},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

/* The runners' directory: FLATLINE_BENCH_BINDIR, else this executable's own directory. */
static const char *runner_dir(void)
{
    static char bindir[PATH_MAX];
    const char *env = getenv("FLATLINE_BENCH_BINDIR");
    if (env && *env) {
        snprintf(bindir, sizeof bindir, "%s", env);
        return bindir;
    }
    ssize_t len = readlink("/proc/self/exe", bindir, sizeof bindir - 1);
    bindir[len > 0 ? len : 0] = '\0';
    char *d = dirname(bindir);
    memmove(bindir, d, strlen(d) + 1);
    return bindir;
}

static void run_defaults(run_args_t *a)
{
    *a = (run_args_t){.cfg = {.repeats = 3,
                              .tail_repeats = 1000,
                              .scale = 1.0,
                              .time_scale = 1.0,
                              .seed = 1,
                              .out = "bench-out",
                              .timeout_s = 600}};
    const char *env = getenv("FLATLINE_BENCH_LIBDIR");
    a->cfg.libdir = env && *env ? env : FLATLINE_BENCH_LIBDIR;
    a->cfg.bindir = runner_dir();
    env = getenv("FLATLINE_BENCH_STRESSDIR");
    a->cfg.stressdir = env && *env ? env : FLATLINE_BENCH_STRESSDIR;
}

/* The numeric options of `run`: 0, or 2 after saying which value is out of range. */
static int apply_run_number(bd_config_t *cfg, int c, const char *arg)
{
    double d;
    switch (c) {
    case O_REP:
        if (parse_whole(arg, 1, 1000, &cfg->repeats) != 0)
            return bad("--repeats wants a whole number from 1 to 1000, not '%s'", arg);
        return 0;
    case O_SCALE:
        if (parse_double(arg, 1e-4, 100, &cfg->scale) != 0)
            return bad("--scale wants a number from 0.0001 to 100, not '%s'", arg);
        return 0;
    case O_SEED:
        if (parse_double(arg, 0, 1e15, &d) != 0 || d != (double)(uint64_t)d)
            return bad("--seed wants a whole number >= 0, not '%s'", arg);
        cfg->seed = (uint64_t)d;
        return 0;
    case O_TS:
        if (parse_double(arg, 1e-3, 100, &cfg->time_scale) != 0)
            return bad("--time-scale wants a number from 0.001 to 100, not '%s'", arg);
        return 0;
    case O_THR:
        if (parse_whole(arg, 1, 62, &cfg->threads) != 0)
            return bad("--threads wants a whole number from 1 to 62, not '%s'", arg);
        return 0;
    case O_TO:
        if (parse_double(arg, 1, 86400, &d) != 0)
            return bad("--timeout wants seconds from 1 to 86400, not '%s'", arg);
        cfg->timeout_s = (unsigned)d;
        return 0;
    case O_TAILREP:
        if (parse_whole(arg, 1, 1000, &cfg->tail_repeats) != 0)
            return bad("--tail-repeats wants a whole number from 1 to 1000, not '%s'", arg);
        return 0;
    default:
        return -1;
    }
}

static int apply_run_option(void *ctx, int c, const char *arg)
{
    run_args_t *a = ctx;
    switch (c) {
    case O_WL:
        a->workloads = arg;
        return 0;
    case O_AL:
        a->allocators = arg;
        return 0;
    case O_OUT:
        a->cfg.out = arg;
        return 0;
    case O_TRACE:
        a->cfg.trace = arg;
        return 0;
    case O_STRICT:
        a->cfg.strict = true;
        return 0;
    case O_SWEEP:
        a->sweep = arg;
        return 0;
    case O_QUICK: /* applied before parsing (quick_defaults), so later options win */
        return 0;
    case O_LIBDIR:
        a->cfg.libdir = arg;
        return 0;
    default:
        return apply_run_number(&a->cfg, c, arg);
    }
}

/* --workloads, or every workload (replay only with --trace). 0 or 2. */
static int resolve_workloads(run_args_t *a)
{
    bd_config_t *cfg = &a->cfg;
    if (a->workloads)
        return parse_list(a->workloads, "workload", (const void **)cfg->workloads, &cfg->nworkloads,
                          find_workload);
    for (unsigned i = 0; i < bd_nworkloads; i++)
        if (!bd_workloads[i].needs_trace || cfg->trace)
            cfg->workloads[cfg->nworkloads++] = &bd_workloads[i];
    return 0;
}

/* --allocators, or all of them; --sweep replaces them with the sweep's columns. 0 or 2. */
static int resolve_allocators(run_args_t *a)
{
    bd_config_t *cfg = &a->cfg;
    if (a->sweep && a->allocators)
        return bad("--sweep and --allocators exclude each other (the %s sweep chooses the "
                   "columns)",
                   a->sweep);
    if (a->sweep) {
        int n = bd_sweep_columns(a->sweep, cfg->allocs, BD_MAX_ITEMS);
        if (n < 0) {
            fprintf(stderr, "flatline-bench: no option sweep for '%s' (there is one for %s)\n",
                    a->sweep, bd_sweep_names());
            return 2;
        }
        cfg->nallocs = (unsigned)n;
        return 0;
    }
    if (a->allocators)
        return parse_list(a->allocators, "allocator", (const void **)cfg->allocs, &cfg->nallocs,
                          find_alloc);
    for (unsigned i = 0; i < bd_nallocs; i++)
        cfg->allocs[cfg->nallocs++] = &bd_allocs[i];
    return 0;
}

/* A workload that replays a trace needs a readable --trace; a given --trace must be readable. */
static int check_trace(const bd_config_t *cfg)
{
    for (unsigned i = 0; i < cfg->nworkloads; i++) {
        if (!cfg->workloads[i]->needs_trace)
            continue;
        if (!cfg->trace)
            return bad("the %s workload needs --trace FILE (record one with flatline-acct "
                       "--trace FILE)",
                       cfg->workloads[i]->name);
        if (access(cfg->trace, R_OK) != 0)
            return bad("cannot read the trace file '%s'", cfg->trace);
    }
    if (cfg->trace && access(cfg->trace, R_OK) != 0)
        return bad("cannot read the trace file '%s'", cfg->trace);
    return 0;
}

/* --quick: the defaults become a first answer in a few minutes (one repeat, a fifth of the work,
 * tail checkpoints at a twentieth of their time). Any option given explicitly still wins,
 * wherever it is on the command line. */
static void quick_defaults(run_args_t *a, int argc, char **argv)
{
    bool quick = false;
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        quick |= strcmp(argv[i], "--quick") == 0;
    if (!quick)
        return;
    a->cfg.repeats = 1;
    a->cfg.scale = 0.2;
    a->cfg.time_scale = 0.05;
}

static int cmd_run(int argc, char **argv)
{
    run_args_t a;
    run_defaults(&a);
    quick_defaults(&a, argc, argv);
    bool help;
    int rc = parse_options(argc, argv, "run", run_opts, apply_run_option, &a, &help);
    if (rc || help)
        return rc;
    if ((rc = resolve_workloads(&a)) || (rc = resolve_allocators(&a)) || (rc = check_trace(&a.cfg)))
        return rc;

    int run_rc = bd_run_matrix(&a.cfg);
    if (run_rc == 2)
        return 2;
    if (bd_report(a.cfg.out, NULL) != 0)
        return 1;
    return run_rc ? 1 : 0;
}

/* ---- flatline-bench report ---- */

typedef struct report_args {
    const char *out, *page;
} report_args_t;

static int apply_report_option(void *ctx, int c, const char *arg)
{
    report_args_t *a = ctx;
    if (c == 'o')
        a->out = arg;
    else if (c == 'p')
        a->page = arg;
    else
        return -1;
    return 0;
}

static int cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"out", required_argument, 0, 'o'},
        {"page", required_argument, 0, 'p'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    report_args_t a = {0};
    bool help;
    int rc = parse_options(argc, argv, "report", opts, apply_report_option, &a, &help);
    if (rc || help)
        return rc;
    if (!a.out)
        return bad("%s needs --out DIR", "report");
    return bd_report(a.out, a.page) == 0 ? 0 : 1;
}

/* ---- flatline-bench allocators [--sweep ALLOC] ---- */

static void print_column(const bd_alloc_t *a)
{
    printf("%s %s %s %s %d %s %s\n", a->name, a->lib ? a->lib : "-", a->expect, a->pkg, a->arenas,
           a->store ? a->store : "-", a->env ? a->env : "-");
}

static int cmd_allocators(int argc, char **argv)
{
    if (argc == 1) {
        for (unsigned i = 0; i < bd_nallocs; i++)
            print_column(&bd_allocs[i]);
        return 0;
    }
    if (argc != 3 || strcmp(argv[1], "--sweep") != 0)
        return bad("%s takes no argument but --sweep ALLOC", "allocators");
    const bd_alloc_t *cols[BD_MAX_ITEMS];
    int n = bd_sweep_columns(argv[2], cols, BD_MAX_ITEMS);
    if (n < 0) {
        fprintf(stderr, "flatline-bench: no option sweep for '%s' (there is one for %s)\n", argv[2],
                bd_sweep_names());
        return 2;
    }
    for (int i = 0; i < n; i++)
        print_column(cols[i]);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "report") == 0)
        return cmd_report(argc - 1, argv + 1);
    if (strcmp(cmd, "allocators") == 0)
        return cmd_allocators(argc - 1, argv + 1);
    return bad("unknown command '%s' (expected run, report or allocators)", cmd);
}
