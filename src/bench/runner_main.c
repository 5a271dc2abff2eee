/*
 * runner_main.c: entry point of the workload runner (flatline-bench-runner and
 * flatline-bench-runner-fl). The driver execs it once per (workload, allocator, repeat) with the
 * allocator preloaded; it parses the run's parameters, says which allocator it got, runs one
 * workload and exits 0 on success, 1 on failure, 2 on bad usage. It owns no state beyond the
 * parameters.
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
               "         [--curve-every N]\n"
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

int main(int argc, char **argv)
{
    bw_params_t p = {.scale = 1.0, .seed = 1, .threads = 0, .tail_max_ms = 60000};
    long long report_fd = -1, ack_fd = -1, shm_fd = -1, v;
    bool identify = false;
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
        O_CURVE
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
        {"identify", no_argument, 0, 'i'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'w':
            p.workload = optarg;
            break;
        case O_SCALE: {
            char *end;
            p.scale = strtod(optarg, &end);
            bad = *end || !(p.scale > 0 && p.scale <= 1000);
            break;
        }
        case O_SEED:
            bad = parse_long(optarg, 0, INT64_MAX, &v);
            p.seed = (uint64_t)v;
            break;
        case O_THREADS:
            bad = parse_long(optarg, 1, BENCH_SHM_SLOTS - 2, &v);
            p.threads = (unsigned)v;
            break;
        case O_TAIL:
            bad = parse_long(optarg, 0, 3600000, &v);
            p.tail_max_ms = (unsigned)v;
            break;
        case O_TRACE:
            p.trace = optarg;
            break;
        case O_ARENAS:
            p.arenas = true;
            break;
        case O_RFD:
            bad = parse_long(optarg, 0, 65535, &report_fd);
            break;
        case O_AFD:
            bad = parse_long(optarg, 0, 65535, &ack_fd);
            break;
        case O_SFD:
            bad = parse_long(optarg, 0, 65535, &shm_fd);
            break;
        case O_CURVE:
            bad = parse_long(optarg, 1, INT32_MAX, &v);
            p.curve_every = (unsigned)v;
            break;
        case 'i':
            identify = true;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
        if (bad) {
            fprintf(stderr, "flatline-bench-runner: bad value '%s' for an option\n", optarg);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "flatline-bench-runner: unexpected argument '%s'\n", argv[optind]);
        return 2;
    }
    if (bw_proto_open((int)report_fd, (int)ack_fd, (int)shm_fd) != 0)
        return 1;
    if (identify) {
        bw_ident_report();
        return 0;
    }
    if (!p.workload) {
        usage(stderr);
        return 2;
    }
    workload_fn run = NULL;
    for (size_t i = 0; i < sizeof workloads / sizeof workloads[0]; i++)
        if (strcmp(p.workload, workloads[i].name) == 0)
            run = workloads[i].run;
    if (!run) {
        fprintf(stderr, "flatline-bench-runner: unknown workload '%s'\n", p.workload);
        return 2;
    }
    if (bw_strategy_init(p.arenas) != 0)
        return 1;
    bw_thread_slot(0);
    bw_ident_report();
    bw_phase(BENCH_PH_START);
    return run(&p) == 0 ? 0 : 1;
}
