/*
 * src/mem/demo_main.c: flatline-demo's driver: options, one fresh child process per strategy
 * (so each RSS starts from the same small process), and the side-by-side report.
 *
 * The children run demo_run() (demo_workload.c) with the same seed and send their struct
 * demo_result back through a pipe; the driver prints both breakdowns in docs/design.md's order and
 * a conclusion computed from the figures. Exit codes: 0 ok, 1 a run failed, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "demo.h"

static const char *g_prog = "flatline-demo";

static void usage(FILE *f)
{
    fprintf(f,
            "usage: %s [--threads N] [--records N] [--rounds N | --seconds S] [--seed N]\n"
            "\n"
            "Aerospike's fragmentation problem in miniature: worker threads mix transient\n"
            "buffers (256 B - 64 KiB) with persistent records whose sizes drift upward, then\n"
            "90%% of the records are deleted. Runs twice with the same seed, each in a fresh\n"
            "child process: once with plain malloc, once with lifecycle arenas (records in a\n"
            "shared arena, transient buffers in per-thread private arenas, a defragmentation\n"
            "pass after the delete), and prints both memory breakdowns side by side.\n"
            "\n"
            "  --threads N    worker threads, 1..64 (default 4)\n"
            "  --records N    record slots, 1000..10000000 (default 200000)\n"
            "  --rounds N     churn rounds over which record sizes drift, 1..1000 (default 8)\n"
            "  --seconds S    run the churn for S seconds (0.1..3600) instead of rounds\n"
            "  --seed N       random seed (default 42)\n"
            "  --help         this text\n",
            g_prog);
}

static int bad_value(const char *flag, const char *want, const char *got)
{
    fprintf(stderr, "%s: %s wants %s, got '%s' (see --help)\n", g_prog, flag, want, got);
    return 2;
}

static bool parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || end == s || *end != '\0' || s[0] == '-' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* Returns 0 when the options are valid, 2 (usage error), or -1 for --help. */
static int parse(int argc, char **argv, struct demo_opts *o)
{
    static const struct option longopts[] = {{"threads", required_argument, NULL, 't'},
                                             {"records", required_argument, NULL, 'r'},
                                             {"rounds", required_argument, NULL, 'n'},
                                             {"seconds", required_argument, NULL, 's'},
                                             {"seed", required_argument, NULL, 'S'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    *o = (struct demo_opts){
        .threads = 4, .records = 200000, .rounds = 8, .seed = 42, .delete_pct = 90};
    opterr = 0;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 't':
            if (!parse_u64(optarg, 1, 64, &v))
                return bad_value("--threads", "an integer in 1..64", optarg);
            o->threads = (unsigned)v;
            break;
        case 'r':
            if (!parse_u64(optarg, 1000, 10000000, &v))
                return bad_value("--records", "an integer in 1000..10000000", optarg);
            o->records = (unsigned)v;
            break;
        case 'n':
            if (!parse_u64(optarg, 1, 1000, &v))
                return bad_value("--rounds", "an integer in 1..1000", optarg);
            o->rounds = (unsigned)v;
            break;
        case 's': {
            char *end;
            double d = strtod(optarg, &end);
            if (end == optarg || *end != '\0' || !(d >= 0.1 && d <= 3600))
                return bad_value("--seconds", "a number of seconds in 0.1..3600", optarg);
            o->seconds = d;
            break;
        }
        case 'S':
            if (!parse_u64(optarg, 0, UINT64_MAX, &v))
                return bad_value("--seed", "a non-negative integer", optarg);
            o->seed = v;
            break;
        case 'h':
            return -1;
        case ':':
            fprintf(stderr, "%s: %s needs a value (see --help)\n", g_prog, argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "%s: unknown option '%s' (see --help)\n", g_prog, argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s' (see --help)\n", g_prog, argv[optind]);
        return 2;
    }
    return 0;
}

static bool write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static bool read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

/* Runs one strategy in a fresh child process. Returns 0 or -1 (message printed). */
static int run_child(enum demo_mode mode, const struct demo_opts *o, struct demo_result *res)
{
    int fds[2];
    if (pipe(fds) != 0) {
        perror("pipe");
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        struct demo_result r;
        demo_run(mode, o, &r);
        _exit(write_all(fds[1], &r, sizeof(r)) ? 0 : 1);
    }
    close(fds[1]);
    bool ok = read_all(fds[0], res, sizeof(*res));
    close(fds[0]);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!ok || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "%s: the %s run died (status %d)\n", g_prog,
                mode == DEMO_PLAIN ? "plain malloc" : "lifecycle", status);
        return -1;
    }
    if (res->error != 0) {
        fprintf(stderr, "%s: the %s run failed: %s\n", g_prog,
                mode == DEMO_PLAIN ? "plain malloc" : "lifecycle", fl_mem_strerror(res->error));
        return -1;
    }
    return 0;
}

static double mib(size_t b)
{
    return (double)b / 1048576.0;
}

/* One breakdown per column, rows in FL_MEM_BYTES then FL_MEM_RATIOS order. */
static void table(const char *title, const fl_mem_stats_t *a, const fl_mem_stats_t *b)
{
    printf("%s\n", title);
    printf("  %-22s %16s %18s\n", "", "plain malloc", "lifecycle arenas");
#define DEMO_BYTES_(f, name, doc)                                                                  \
    printf("  %-22s %16.1f %18.1f\n", name " (MiB)", mib(a->f), mib(b->f));
    FL_MEM_BYTES(DEMO_BYTES_)
#undef DEMO_BYTES_
#define DEMO_RATIO_(f, name, formula, doc) printf("  %-22s %16.2f %18.2f\n", name, a->f, b->f);
    FL_MEM_RATIOS(DEMO_RATIO_)
#undef DEMO_RATIO_
}

int main(int argc, char **argv)
{
    struct demo_opts o;
    int rc = parse(argc, argv, &o);
    if (rc == -1) {
        usage(stdout);
        return 0;
    }
    if (rc != 0)
        return rc;
    rc = fl_mem_init(NULL);
    if (rc != 0) {
        fprintf(stderr, "%s: %s\n", g_prog, fl_mem_strerror(rc));
        return 1;
    }

    printf("flatline-demo: %u threads, %u records, ", o.threads, o.records);
    if (o.seconds > 0)
        printf("%.1f s of churn", o.seconds);
    else
        printf("%u rounds of churn", o.rounds);
    printf(", seed %" PRIu64 ", then a mass delete of %u%% of the records\n", o.seed, o.delete_pct);
    printf("each strategy runs in a fresh child process with the same seed%s\n\n",
           fl_mem_malloc_is_jemalloc() ? " (plain malloc here is jemalloc's default arenas)"
                                       : " (plain malloc here is not jemalloc)");

    struct demo_result plain, life;
    if (run_child(DEMO_PLAIN, &o, &plain) != 0 || run_child(DEMO_LIFECYCLE, &o, &life) != 0)
        return 1;
    if (!life.private_arenas)
        printf("note: transient buffers could not use private arenas (malloc is not jemalloc);"
               " they went through plain malloc\n\n");

    printf("records live: %" PRIu64 " / %" PRIu64 " at peak, %" PRIu64 " / %" PRIu64
           " after the delete; transient buffers: %" PRIu64 " / %" PRIu64 "\n\n",
           plain.records_peak, life.records_peak, plain.records_after, life.records_after,
           plain.transient_allocs, life.transient_allocs);
    table("at peak (records live, transient buffers freed)", &plain.peak, &life.peak);
    printf("\n");
    table("after the mass delete and a purge", &plain.deleted, &life.deleted);
    printf("\n");
    char title[160];
    snprintf(title, sizeof(title),
             "after defragmentation and a purge (lifecycle moved %" PRIu64
             " records; plain malloc cannot move anything)",
             life.moved);
    table(title, &plain.after, &life.after);
    printf("\n");

    double p = mib(plain.after.rss), l = mib(life.after.rss), l0 = mib(life.deleted.rss);
    double saved = p > 0 ? 100.0 * (p - l) / p : 0.0;
    printf("conclusion: after the mass delete, lifecycle arenas %s RSS at %.1f MiB vs %.1f MiB "
           "with plain malloc (%.0f%% %s; %.1f MiB before their defragmentation pass); "
           "fragmentation ratio %.2f vs %.2f\n",
           l <= p ? "hold" : "leave", l, p, saved >= 0 ? saved : -saved,
           saved >= 0 ? "less" : "more", l0, life.after.frag_ratio, plain.after.frag_ratio);
    return 0;
}
