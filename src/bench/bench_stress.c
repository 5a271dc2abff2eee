/*
 * bench_stress.c: one run of a classic allocator stress program (bench/stress: cfrac-,
 * espresso-, larson-, xmalloc-, cache-scratch-like) as a workload of the matrix. These are plain
 * programs with no protocol: the driver preloads the allocator exactly as it does for the runner,
 * samples the program's RSS from /proc every SAMPLE_MS, and takes its CPU, page faults and context
 * switches from wait4. Throughput is the work the program was given (its count argument, times
 * the thread count for the threaded ones, whose count is per thread) over its wall time; peak
 * RSS is max_rss. Live bytes over time are unknown (RSS/live at peak stays -1); a program that
 * prints `peak-live-bytes: N` (mstress, rptest) gets peak live and peak RSS / peak live.
 *
 * Command line of a program: `<program> [threads] <work> <seed>` (threads only when threaded).
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define SAMPLE_MS 10

/* The work count for cfg's scale: at least 1. */
static long scaled_work(const bd_config_t *cfg, const bd_workload_t *wl)
{
    double w = floor((double)wl->work * cfg->scale);
    return w < 1 ? 1 : (long)w;
}

/* The program's own peak of live requested bytes, from the `peak-live-bytes: N` line some
 * programs print (bench/stress/stress_common.h); -1 when the log has none. */
static double reported_peak_live(const char *log)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return -1;
    char line[512];
    double peak = -1;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;
        if (sscanf(line, "peak-live-bytes: %llu", &v) == 1 && v > 0)
            peak = (double)v;
    }
    fclose(f);
    return peak;
}

/* True when pid runs program (it has exec'd) and the library the column preloads is mapped in
 * it (the program really runs on that allocator); for glibc's column (nothing preloaded), when
 * none of the matrix's libraries is mapped. */
static bool allocator_mapped(pid_t pid, const char *program, const bd_alloc_t *al)
{
    char path[64], line[4096];
    snprintf(path, sizeof path, "/proc/%d/maps", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool found = false, other = false, exec_done = false;
    while (fgets(line, sizeof line, f)) {
        exec_done |= strstr(line, program) != NULL;
        for (unsigned i = 0; i < bd_nallocs; i++) {
            const char *lib = bd_allocs[i].lib;
            if (!lib || !strstr(line, lib))
                continue;
            if (al->lib && strcmp(lib, al->lib) == 0)
                found = true;
            else
                other = true;
        }
    }
    fclose(f);
    return exec_done && (al->lib ? found : !other);
}

static _Noreturn void exec_program(const bd_config_t *cfg, const bd_alloc_t *al, const char *log,
                                   char *const argv[])
{
    int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
    }
    char preload[4096];
    if (al->lib) {
        snprintf(preload, sizeof preload, "%s/%s", cfg->libdir, al->lib);
        setenv("LD_PRELOAD", preload, 1);
    } else {
        unsetenv("LD_PRELOAD");
    }
    if (bd_apply_env(al->env) != 0) {
        fprintf(stderr, "flatline-bench: bad allocator options '%s'\n", al->env);
        _exit(127);
    }
    execv(argv[0], argv);
    fprintf(stderr, "flatline-bench: cannot exec %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Samples RSS until the program ends (or the timeout kills it); fills max_rss and the series. */
static void watch(const bd_config_t *cfg, pid_t pid, double t0, bd_row_t *row, FILE *series,
                  const char *program, const bd_alloc_t *al)
{
    double max_rss = 0;
    bool verified = false;
    for (;;) {
        siginfo_t info = {0};
        if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0 || info.si_pid)
            break; /* it exited (reaped by the caller), or it is not our child any more */
        double t = bd_now() - t0;
        if (t > cfg->timeout_s) {
            snprintf(row->error, sizeof row->error, "timed out after %u s (--timeout)",
                     cfg->timeout_s);
            kill(pid, SIGKILL);
            break;
        }
        uint64_t rss = bd_read_rss(pid);
        if (rss && !verified && allocator_mapped(pid, program, al)) {
            verified = true;
            snprintf(row->ident, sizeof row->ident, "%s", al->expect);
        }
        if (rss > max_rss)
            max_rss = (double)rss;
        if (rss && series)
            fprintf(series, "%.3f,%llu,0,0,0\n", t, (unsigned long long)rss);
        usleep(SAMPLE_MS * 1000);
    }
    if (max_rss > 0)
        row->v[BD_max_rss] = max_rss;
}

int bd_run_stress(const bd_config_t *cfg, const bd_workload_t *wl, const bd_alloc_t *al,
                  unsigned repeat, unsigned threads, bd_row_t *row)
{
    memset(row, 0, sizeof *row);
    bd_stress_name(row->workload, sizeof row->workload, wl, threads);
    snprintf(row->allocator, sizeof row->allocator, "%s", al->name);
    snprintf(row->strategy, sizeof row->strategy, "malloc");
    row->repeat = repeat;
    for (int i = 0; i < BD_NNUM; i++)
        row->v[i] = -1;

    char prog[4096], nthreads[16], work[32], seed[32], log[4096], path[4096];
    snprintf(prog, sizeof prog, "%s/%s", cfg->stressdir, wl->program);
    snprintf(nthreads, sizeof nthreads, "%u", threads);
    long units = scaled_work(cfg, wl);
    snprintf(work, sizeof work, "%ld", units);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)(cfg->seed + repeat - 1));
    char *argv[6];
    int a = 0;
    argv[a++] = prog;
    if (wl->threaded)
        argv[a++] = nthreads;
    argv[a++] = work;
    argv[a++] = seed;
    argv[a] = NULL;
    snprintf(log, sizeof log, "%s/logs/%s-%s-r%u.log", cfg->out, row->workload, al->name, repeat);
    bd_series_path(path, sizeof path, cfg->out, row->workload, al->name, repeat);
    FILE *series = fopen(path, "w");
    if (series)
        fprintf(series, "t_s,rss,live,ops,phase\n");

    double t0 = bd_now();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(row->error, sizeof row->error, "fork: %s", strerror(errno));
        if (series)
            fclose(series);
        return -1;
    }
    if (pid == 0)
        exec_program(cfg, al, log, argv);
    watch(cfg, pid, t0, row, series, wl->program, al);
    int status = 0;
    struct rusage ru;
    pid_t got = wait4(pid, &status, 0, &ru);
    double t1 = bd_now();
    if (series)
        fclose(series);
    if (got != pid) {
        snprintf(row->error, sizeof row->error, "wait4: %s", strerror(errno));
        return -1;
    }
    bd_record_rusage(row, &ru);
    /* The kernel's high-water mark (KiB) sees a peak between two samples, or in a run shorter
     * than one sampling period. */
    if ((double)ru.ru_maxrss * 1024.0 > row->v[BD_max_rss])
        row->v[BD_max_rss] = (double)ru.ru_maxrss * 1024.0;
    if (!row->error[0] && WIFSIGNALED(status))
        snprintf(row->error, sizeof row->error, "%s killed by signal %d (log: %.150s)", wl->program,
                 WTERMSIG(status), log);
    else if (!row->error[0] && WEXITSTATUS(status) != 0)
        snprintf(row->error, sizeof row->error, "%s exited with status %d (log: %.150s)",
                 wl->program, WEXITSTATUS(status), log);
    double peak_live = reported_peak_live(log);
    if (peak_live > 0 && row->v[BD_max_rss] > 0) {
        row->v[BD_peak_live] = peak_live;
        row->v[BD_peak_ratio] = row->v[BD_max_rss] / peak_live;
    }
    row->v[BD_ops] = (double)units * (wl->threaded ? threads : 1);
    row->v[BD_run_ms] = (t1 - t0) * 1000.0;
    row->v[BD_ops_per_s] = row->v[BD_ops] / (t1 - t0);
    row->ok = row->error[0] == '\0';
    return row->ok ? 0 : -1;
}

void bd_stress_name(char *buf, size_t len, const bd_workload_t *wl, unsigned threads)
{
    if (wl->threaded)
        snprintf(buf, len, "%s-%ut", wl->name, threads);
    else
        snprintf(buf, len, "%s", wl->name);
}
