/*
 * runner_main.c: entry point of the workload runner (flatline-bench-runner and
 * flatline-bench-runner-fl). The driver execs it once per (workload, allocator, repeat) with the
 * allocator preloaded; it parses the run's parameters, says which allocator it got, runs one
 * workload and exits 0 on success, 1 on failure, 2 on bad usage. It owns no state beyond the
 * parameters. flatline-bench-runner-store (records_store.c) keeps db-churn's records in the
 * namespace store: --store-defrag on|off (its active defragmentation), --store-option
 * NAME=VALUE (any namespace option, repeatable).
 */
#include "runner.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*workload_fn)(const bw_params_t *);

static const struct {
    const char *name;
    workload_fn run;
} workloads[] = {
    {"db-churn", bw_db_churn},
    {"size-shift", bw_size_shift},
    {"server-larson", bw_server_larson},
    {"replay", bw_replay},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: flatline-bench-runner --workload NAME [--scale X] [--seed S] [--threads N]\n"
               "         [--tail-max-ms MS] [--trace FILE] [--arenas]\n"
               "         [--curve-every N] [--store-defrag on|off] [--store-option NAME=VALUE]\n"
               "         [--report-fd FD --ack-fd FD --shm-fd FD]\n"
               "       flatline-bench-runner --identify\n"
               "Runs one flatline-bench workload; normally started by flatline-bench itself.\n"
               "workloads: db-churn size-shift server-larson replay\n");
}

static int parse_long(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 0);
    if (errno || end == s || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

/* The command line: the run's parameters, the driver's channels, --identify. */
typedef struct runner_args {
    bw_params_t p;
    long long report_fd, ack_fd, shm_fd; /* -1: standalone */
    bool identify;
} runner_args_t;

enum {
    O_SCALE = 256,
    O_SEED,
    O_THREADS,
    O_TAIL,
    O_TRACE,
    O_ARENAS,
    O_RFD,
    O_AFD,
    O_SFD,
    O_CURVE,
    O_STORE_DEFRAG,
    O_STORE_OPTION
};

static const struct option opts[] = {
    {"workload", required_argument, 0, 'w'},
    {"scale", required_argument, 0, O_SCALE},
    {"seed", required_argument, 0, O_SEED},
    {"threads", required_argument, 0, O_THREADS},
    {"tail-max-ms", required_argument, 0, O_TAIL},
    {"trace", required_argument, 0, O_TRACE},
    {"arenas", no_argument, 0, O_ARENAS},
    {"report-fd", required_argument, 0, O_RFD},
    {"ack-fd", required_argument, 0, O_AFD},
    {"shm-fd", required_argument, 0, O_SFD},
    {"curve-every", required_argument, 0, O_CURVE},
    {"store-defrag", required_argument, 0, O_STORE_DEFRAG},
    {"store-option", required_argument, 0, O_STORE_OPTION},
    {"identify", no_argument, 0, 'i'},
    {"help", no_argument, 0, 'h'},
    {0, 0, 0, 0},
};

static int parse_scale(const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    return *end || !(*out > 0 && *out <= 1000) ? -1 : 0;
}

/* Parses a number in [lo, hi] into an unsigned field. 0, or -1 when out of range. */
static int parse_unsigned(const char *s, long long lo, long long hi, unsigned *out)
{
    long long v;
    if (parse_long(s, lo, hi, &v) != 0)
        return -1;
    *out = (unsigned)v;
    return 0;
}

/* Applies one option: 0, or -1 when its value is bad. */
static int apply_option(runner_args_t *a, int c, const char *arg)
{
    long long v;
    switch (c) {
    case 'w':
        a->p.workload = arg;
        return 0;
    case O_SCALE:
        return parse_scale(arg, &a->p.scale);
    case O_SEED:
        if (parse_long(arg, 0, INT64_MAX, &v) != 0)
            return -1;
        a->p.seed = (uint64_t)v;
        return 0;
    case O_THREADS:
        return parse_unsigned(arg, 1, BENCH_SHM_SLOTS - 2, &a->p.threads);
    case O_TAIL:
        return parse_unsigned(arg, 0, 3600000, &a->p.tail_max_ms);
    case O_TRACE:
        a->p.trace = arg;
        return 0;
    case O_ARENAS:
        a->p.arenas = true;
        return 0;
    case O_RFD:
        return parse_long(arg, 0, 65535, &a->report_fd);
    case O_AFD:
        return parse_long(arg, 0, 65535, &a->ack_fd);
    case O_SFD:
        return parse_long(arg, 0, 65535, &a->shm_fd);
    case O_CURVE:
        return parse_unsigned(arg, 1, INT32_MAX, &a->p.curve_every);
    case O_STORE_DEFRAG:
        if (strcmp(arg, "on") != 0 && strcmp(arg, "off") != 0)
            return -1;
        a->p.store_defrag = strcmp(arg, "on") == 0;
        return 0;
    case O_STORE_OPTION:
        if (a->p.nstore_options == BW_MAX_STORE_OPTIONS || !strchr(arg, '='))
            return -1;
        a->p.store_options[a->p.nstore_options++] = arg;
        return 0;
    default: /* 'i' */
        a->identify = true;
        return 0;
    }
}

/* Parses the command line into a. Returns -1 to go on, else the exit code (0 after --help). */
static int parse_args(int argc, char **argv, runner_args_t *a)
{
    *a = (runner_args_t){
        .p = {.scale = 1.0, .seed = 1, .threads = 0, .tail_max_ms = 60000, .store_defrag = -1},
        .report_fd = -1,
        .ack_fd = -1,
        .shm_fd = -1};
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            return 0;
        }
        if (c == '?') {
            usage(stderr);
            return 2;
        }
        if (apply_option(a, c, optarg) != 0) {
            fprintf(stderr, "flatline-bench-runner: bad value '%s' for an option\n", optarg);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "flatline-bench-runner: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    return -1;
}

static workload_fn find_workload(const char *name)
{
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        if (strcmp(name, workloads[i].name) == 0)
            return workloads[i].run;
    return NULL;
}

/* Runs the named workload with the strategy set up: the exit code (0, 1 failed, 2 bad name). */
static int run_workload(const bw_params_t *p)
{
    if (!p->workload) {
        usage(stderr);
        return 2;
    }
    workload_fn run = find_workload(p->workload);
    if (!run) {
        fprintf(stderr, "flatline-bench-runner: unknown workload '%s'\n", p->workload);
        return 2;
    }
    if (bw_strategy_init(p->arenas) != 0)
        return 1;
    bw_thread_slot(0);
    bw_ident_report();
    bw_phase(BENCH_PH_START);
    return run(p) == 0 ? 0 : 1;
}

int main(int argc, char **argv)
{
    runner_args_t a;
    int rc = parse_args(argc, argv, &a);
    if (rc >= 0)
        return rc;
    if (bw_proto_open((int)a.report_fd, (int)a.ack_fd, (int)a.shm_fd) != 0)
        return 1;
    if (a.identify) {
        bw_ident_report();
        return 0;
    }
    return run_workload(&a.p);
}
