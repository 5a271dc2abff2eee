/*
 * bench_child.c: one run of the matrix. Spawns the workload runner with the allocator preloaded,
 * samples it from outside and speaks the protocol of bench_shm.h.
 *
 * Sampling: every SAMPLE_MS the driver reads the child's RSS from /proc/<pid>/statm (minus the
 * bookkeeping bytes the runner declares in shared memory: the replayer's address map) and its
 * live requested bytes from the shared memory; it also samples at each sync point (the child waits,
 * so these two samples are exact) and at the tail checkpoints +1, +10, +30 s (times
 * cfg->time_scale) after the mass delete, then tells the child to stop. Measures computed here:
 * throughput, fragmentation at peak live (RSS / live at the sample with the most live bytes),
 * peak RSS over peak live, the tail RSS, and the allocator breakdowns the child reports.
 *
 * One run, in order: open_channels (memfd and pipes), open_outputs (series CSV, log path),
 * start_runner (fork + exec), supervise (sample on schedule, handle report lines), finish (reap,
 * measures), release. A failure at any step is recorded in the row (its first error wins).
 *
 * The driver is single-threaded; the child's file descriptors 3, 4 and 5 are the report pipe,
 * the ack pipe and the memfd. A run that exceeds cfg->timeout_s is killed and reported failed.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_shm.h"

#define SAMPLE_MS 50

static const double tail_at[BD_NTAIL] = {1.0, 10.0, 30.0};

typedef struct child {
    pid_t pid;              /* -1 until spawned */
    int report_r, report_w; /* report pipe: runner -> driver (the runner's fd 3) */
    int ack_r, ack_w;       /* ack pipe: driver -> runner (the runner's fd 4) */
    int shm_fd;             /* the memfd behind shm (the runner's fd 5) */
    struct bench_shm *shm;
    FILE *series;
    char logpath[4096]; /* the runner's stdout and stderr */
    double t0;
    bd_row_t *row;
    bd_sample_t *samples;
    size_t n, cap;
    double t_deleted; /* < 0 until the "deleted" sync */
    unsigned next_tail;
    unsigned ntail; /* checkpoints this run takes: BD_NTAIL, or 1 past --tail-repeats */
    bool stopped;
    char buf[8192];
    size_t blen;
    const bd_alloc_t *al;
    const bd_config_t *cfg;
    bd_progress_fn progress; /* may be NULL */
    void *progress_ctx;
} child_t;

static bd_sample_t *take_sample(child_t *c)
{
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 1024;
        bd_sample_t *ns = realloc(c->samples, ncap * sizeof *ns);
        if (!ns)
            return NULL;
        c->samples = ns;
        c->cap = ncap;
    }
    bd_sample_t *s = &c->samples[c->n];
    s->t = bd_now() - c->t0;
    s->rss = bd_read_rss(c->pid);
    int64_t overhead = atomic_load_explicit(&c->shm->overhead, memory_order_relaxed);
    if (s->rss && overhead > 0) /* the runner's own bookkeeping is not the program's memory */
        s->rss = (uint64_t)overhead < s->rss ? s->rss - (uint64_t)overhead : 1;
    int64_t live = 0;
    uint64_t ops = 0;
    for (unsigned i = 0; i < BENCH_SHM_SLOTS; i++) {
        live += atomic_load_explicit(&c->shm->slot[i].live, memory_order_relaxed);
        ops += atomic_load_explicit(&c->shm->slot[i].ops, memory_order_relaxed);
    }
    s->live = live;
    s->ops = ops;
    s->phase = atomic_load_explicit(&c->shm->phase, memory_order_relaxed);
    if (s->rss == 0) /* the child is gone or exiting: not a sample */
        return NULL;
    c->n++;
    if (c->series)
        fprintf(c->series, "%.3f,%llu,%lld,%llu,%u\n", s->t, (unsigned long long)s->rss,
                (long long)s->live, (unsigned long long)s->ops, s->phase);
    return s;
}

static void send_ack(child_t *c, const char *msg)
{
    size_t len = strlen(msg);
    ssize_t w;
    do {
        w = write(c->ack_w, msg, len);
    } while (w < 0 && errno == EINTR);
}

static void set_error(bd_row_t *row, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Records the first error of a run (later ones are consequences). */
static void set_error(bd_row_t *row, const char *fmt, ...)
{
    if (row->error[0])
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(row->error, sizeof row->error, fmt, ap);
    va_end(ap);
}

/* Parses "stats <when> key=value ...". The tail breakdown is kept only from runs that waited for
 * every checkpoint (full_tail): one cut short at +1 s (--tail-repeats) would mix +1 s figures
 * into a column that means "after the last checkpoint". */
static void parse_stats(bd_row_t *row, char *rest, bool full_tail)
{
    char *save = NULL;
    char *when = strtok_r(rest, " ", &save);
    if (!when)
        return;
    int base = strcmp(when, "peak") == 0   ? BD_pk_requested
               : strcmp(when, "tail") == 0 ? BD_tl_requested
                                           : -1;
    if (base < 0 || (base == BD_tl_requested && !full_tail))
        return;
    for (char *kv; (kv = strtok_r(NULL, " ", &save));) {
        char *eq = strchr(kv, '=');
        if (!eq)
            continue;
        *eq = '\0';
        for (int k = 0; k < BD_NSTAT; k++)
            if (strcmp(kv, bd_stat_names[k]) == 0)
                row->v[base + k] = strtod(eq + 1, NULL);
    }
}

/* The result line: ops, run time and, for db-churn, where the records were (in=heap, store or
 * store-defrag), which must be what the column asked for; a store shows in the strategy. */
static void parse_result(child_t *c, char *rest)
{
    bd_row_t *row = c->row;
    const char *want = !c->al->store                     ? "heap"
                       : strcmp(c->al->store, "on") == 0 ? "store-defrag"
                                                         : "store";
    char *save = NULL;
    for (char *kv = strtok_r(rest, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
        if (strncmp(kv, "ops=", 4) == 0)
            row->v[BD_ops] = strtod(kv + 4, NULL);
        else if (strncmp(kv, "run_ms=", 7) == 0)
            row->v[BD_run_ms] = strtod(kv + 7, NULL);
        else if (strncmp(kv, "in=", 3) == 0 && strcmp(kv + 3, want) != 0)
            set_error(row, "records were in %s, the column wants them in %s", kv + 3, want);
        else if (strncmp(kv, "in=", 3) == 0 && c->al->store) {
            size_t len = strlen(row->strategy);
            snprintf(row->strategy + len, sizeof row->strategy - len, "+%s", kv + 3);
        }
    }
}

static void handle_line(child_t *c, char *line)
{
    bd_row_t *row = c->row;
    char *sp = strchr(line, ' ');
    char *rest = sp ? sp + 1 : line + strlen(line);
    if (sp)
        *sp = '\0';
    if (strcmp(line, "ident") == 0) {
        char name[32] = "", version[64] = "", path[256] = "", strategy[48] = "";
        sscanf(rest, "%31s %63s %255s %47s", name, version, path, strategy);
        snprintf(row->ident, sizeof row->ident, "%s", name);
        snprintf(row->version, sizeof row->version, "%s", version);
        snprintf(row->strategy, sizeof row->strategy, "%s", strategy);
        bool sanitized = strcmp(name, "sanitizer") == 0 && c->al->lib == NULL;
        if (strcmp(name, c->al->expect) != 0 && !sanitized) {
            set_error(row, "allocator mismatch: expected %s, malloc is served by %s", c->al->expect,
                      path);
            kill(c->pid, SIGKILL);
        }
        if (c->al->arenas && strncmp(strategy, "lifecycle-arenas", 16) != 0)
            set_error(row, "runner did not enable lifecycle arenas");
        if (c->al->env && strstr(c->al->env, "background_thread:true") &&
            !strstr(strategy, "+bgthread"))
            set_error(row, "%s did not take effect", c->al->env);
    } else if (strcmp(line, "sync") == 0) {
        bd_sample_t *s = take_sample(c);
        if (s && strcmp(rest, "peak") == 0) {
            row->v[BD_rss_sync_peak] = (double)s->rss;
            row->v[BD_live_sync_peak] = (double)s->live;
        } else if (s && strcmp(rest, "deleted") == 0) {
            row->v[BD_rss_after_delete] = (double)s->rss;
            row->v[BD_live_after_delete] = (double)s->live;
            c->t_deleted = s->t;
        }
        send_ack(c, "go\n");
    } else if (strcmp(line, "stats") == 0) {
        parse_stats(row, rest, c->ntail == BD_NTAIL);
    } else if (strcmp(line, "result") == 0) {
        parse_result(c, rest);
    } else if (strcmp(line, "error") == 0) {
        set_error(row, "runner: %s", rest);
    }
}

static void read_lines(child_t *c)
{
    char *start = c->buf, *nl;
    while ((nl = memchr(start, '\n', c->blen - (size_t)(start - c->buf)))) {
        *nl = '\0';
        handle_line(c, start);
        start = nl + 1;
    }
    c->blen -= (size_t)(start - c->buf);
    memmove(c->buf, start, c->blen);
    if (c->blen == sizeof c->buf) /* an absurdly long line: drop it */
        c->blen = 0;
}

/* Next moment (driver clock, seconds since t0) a sample is due. */
static double next_due(const child_t *c, double last_sample)
{
    double due = last_sample + SAMPLE_MS / 1000.0;
    if (c->t_deleted >= 0 && c->next_tail < c->ntail) {
        double t = c->t_deleted + tail_at[c->next_tail] * c->cfg->time_scale;
        if (t < due)
            due = t;
    }
    return due;
}

static void compute_measures(child_t *c)
{
    bd_row_t *r = c->row;
    double peak_live = 0, rss_at = 0, max_rss = 0;
    for (size_t i = 0; i < c->n; i++) {
        const bd_sample_t *s = &c->samples[i];
        if (s->phase >= BENCH_PH_TEARDOWN)
            continue;
        if ((double)s->live > peak_live) {
            peak_live = (double)s->live;
            rss_at = (double)s->rss;
        }
        if ((double)s->rss > max_rss)
            max_rss = (double)s->rss;
    }
    if (peak_live > 0) {
        r->v[BD_peak_live] = peak_live;
        r->v[BD_rss_at_peak_live] = rss_at;
        r->v[BD_frag_at_peak] = rss_at / peak_live;
        r->v[BD_max_rss] = max_rss;
        r->v[BD_peak_ratio] = max_rss / peak_live;
    }
    if (r->v[BD_ops] > 0 && r->v[BD_run_ms] > 0)
        r->v[BD_ops_per_s] = r->v[BD_ops] / (r->v[BD_run_ms] / 1000.0);
}

/* The runner's command line; the strings live here until the exec. */
typedef struct runner_cmd {
    char runner[4096], preload[4096];
    char scale[32], seed[32], threads[16], tail[32];
    const char *argv[24];
} runner_cmd_t;

static void build_cmd(runner_cmd_t *cmd, const child_t *c, const bd_workload_t *wl, unsigned repeat)
{
    const bd_config_t *cfg = c->cfg;
    const bd_alloc_t *al = c->al;
    snprintf(cmd->runner, sizeof cmd->runner, "%s/%s", cfg->bindir, bd_runner_name(al));
    cmd->preload[0] = '\0';
    if (al->lib)
        snprintf(cmd->preload, sizeof cmd->preload, "%s/%s", cfg->libdir, al->lib);
    snprintf(cmd->scale, sizeof cmd->scale, "%g", cfg->scale);
    snprintf(cmd->seed, sizeof cmd->seed, "%llu", (unsigned long long)(cfg->seed + repeat - 1));
    snprintf(cmd->threads, sizeof cmd->threads, "%u", cfg->threads);
    /* The child's own bound on the tail: the last checkpoint plus slack. */
    snprintf(cmd->tail, sizeof cmd->tail, "%u",
             (unsigned)(tail_at[BD_NTAIL - 1] * cfg->time_scale * 1000.0) * 2 + 5000);
    const char **argv = cmd->argv;
    int a = 0;
    argv[a++] = cmd->runner;
    argv[a++] = "--workload";
    argv[a++] = wl->name;
    argv[a++] = "--scale";
    argv[a++] = cmd->scale;
    argv[a++] = "--seed";
    argv[a++] = cmd->seed;
    argv[a++] = "--tail-max-ms";
    argv[a++] = cmd->tail;
    argv[a++] = "--report-fd=3";
    argv[a++] = "--ack-fd=4";
    argv[a++] = "--shm-fd=5";
    if (cfg->threads) {
        argv[a++] = "--threads";
        argv[a++] = cmd->threads;
    }
    if (al->arenas)
        argv[a++] = "--arenas";
    if (al->store) {
        argv[a++] = "--store-defrag";
        argv[a++] = al->store;
    }
    if (wl->needs_trace) {
        argv[a++] = "--trace";
        argv[a++] = cfg->trace;
    }
    argv[a] = NULL;
}

/* In the forked child: output to the log, the channels on fds 3, 4, 5, the allocator's
 * environment, then the runner. Never returns. */
static _Noreturn void exec_runner(const child_t *c, const runner_cmd_t *cmd)
{
    int log = open(c->logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log >= 0) {
        dup2(log, 1);
        dup2(log, 2);
    }
    /* Move the three fds out of the way first: one of them may already be 3, 4 or 5. */
    int hi[3] = {fcntl(c->report_w, F_DUPFD, 100), fcntl(c->ack_r, F_DUPFD, 100),
                 fcntl(c->shm_fd, F_DUPFD, 100)};
    for (int i = 0; i < 3; i++)
        if (hi[i] < 0 || dup2(hi[i], 3 + i) < 0)
            _exit(127);
    if (cmd->preload[0])
        setenv("LD_PRELOAD", cmd->preload, 1);
    else
        unsetenv("LD_PRELOAD");
    if (bd_apply_env(c->al->env) != 0) {
        fprintf(stderr, "flatline-bench: bad allocator options '%s'\n", c->al->env);
        _exit(127);
    }
    execv(cmd->runner, (char *const *)cmd->argv);
    fprintf(stderr, "flatline-bench: cannot exec %s: %s\n", cmd->runner, strerror(errno));
    _exit(127);
}

/* Forks and execs the runner, then keeps only the driver's ends of the pipes. 0, or -1 after
 * recording why. */
static int start_runner(child_t *c, const bd_workload_t *wl, unsigned repeat)
{
    runner_cmd_t cmd;
    build_cmd(&cmd, c, wl, repeat);
    c->t0 = bd_now();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        set_error(c->row, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0)
        exec_runner(c, &cmd);
    c->pid = pid;
    close(c->report_w);
    close(c->ack_r);
    c->report_w = c->ack_r = -1;
    return 0;
}

static int open_pipe(int *r, int *w)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return -1;
    *r = fds[0];
    *w = fds[1];
    return 0;
}

/* The shared memory (mapped, magic written) and the two pipes. 0, or -1 after recording why. */
static int open_channels(child_t *c)
{
    c->shm_fd = memfd_create("flatline-bench", MFD_CLOEXEC);
    if (c->shm_fd < 0 || ftruncate(c->shm_fd, sizeof(struct bench_shm)) != 0 ||
        open_pipe(&c->report_r, &c->report_w) != 0 || open_pipe(&c->ack_r, &c->ack_w) != 0) {
        set_error(c->row, "cannot set up the child: %s", strerror(errno));
        return -1;
    }
    c->shm = mmap(NULL, sizeof(struct bench_shm), PROT_READ | PROT_WRITE, MAP_SHARED, c->shm_fd, 0);
    if (c->shm == MAP_FAILED) {
        c->shm = NULL;
        set_error(c->row, "mmap: %s", strerror(errno));
        return -1;
    }
    c->shm->magic = BENCH_SHM_MAGIC;
    return 0;
}

/* The samples CSV (a run without one still counts) and the path of the runner's log. */
static void open_outputs(child_t *c, const bd_workload_t *wl, unsigned repeat)
{
    const bd_config_t *cfg = c->cfg;
    char path[4096];
    bd_series_path(path, sizeof path, cfg->out, wl->name, c->al->name, repeat);
    c->series = fopen(path, "w");
    if (c->series)
        fprintf(c->series, "t_s,rss,live,ops,phase\n");
    snprintf(c->logpath, sizeof c->logpath, "%s/logs/%s-%s-r%u.log", cfg->out, wl->name,
             c->al->name, repeat);
}

/* Records the next tail checkpoint when sample s reached it. */
static void record_tail(child_t *c, const bd_sample_t *s)
{
    if (c->t_deleted < 0 || c->next_tail >= c->ntail)
        return;
    if (s->t < c->t_deleted + tail_at[c->next_tail] * c->cfg->time_scale)
        return;
    c->row->v[BD_rss_tail1 + c->next_tail] = (double)s->rss;
    c->row->v[BD_tail1_s + c->next_tail] = s->t - c->t_deleted;
    c->next_tail++;
}

/* A scheduled sample: records a tail checkpoint it reaches, reports progress, and tells the
 * runner to stop once the last checkpoint this run takes is recorded. */
static void sample_on_schedule(child_t *c)
{
    bd_sample_t *s = take_sample(c);
    if (s) {
        record_tail(c, s);
        if (c->progress)
            c->progress(c->row, s, c->progress_ctx);
    }
    if (c->next_tail == c->ntail && !c->stopped) {
        send_ack(c, "stop\n");
        c->stopped = true;
    }
}

/* Waits up to wait_s for report lines and handles those that came. Returns false at the end of
 * the stream (the runner exited) or on a poll error. */
static bool read_reports(child_t *c, double wait_s)
{
    struct pollfd pfd = {.fd = c->report_r, .events = POLLIN};
    int wait_ms = (int)ceil(wait_s * 1000.0);
    int pr = poll(&pfd, 1, wait_ms < 1 ? 1 : wait_ms);
    if (pr < 0)
        return errno == EINTR;
    if (pr == 0)
        return true;
    ssize_t r = read(c->report_r, c->buf + c->blen, sizeof c->buf - c->blen);
    if (r < 0 && errno == EINTR)
        return true;
    if (r <= 0)
        return false;
    c->blen += (size_t)r;
    read_lines(c);
    return true;
}

/* Samples the runner on schedule and handles its reports until it closes the report pipe, or
 * kills it after cfg->timeout_s. */
static void supervise(child_t *c)
{
    double last = -1.0;
    for (;;) {
        double now = bd_now() - c->t0;
        if (now > c->cfg->timeout_s) {
            set_error(c->row, "timed out after %u s (--timeout)", c->cfg->timeout_s);
            kill(c->pid, SIGKILL);
            return;
        }
        double due = last < 0 ? now : next_due(c, last);
        if (now >= due) {
            sample_on_schedule(c);
            last = now;
            continue;
        }
        if (!read_reports(c, due - now))
            return;
    }
}

void bd_record_rusage(bd_row_t *row, const struct rusage *ru)
{
    row->v[BD_user_ms] = (double)ru->ru_utime.tv_sec * 1e3 + (double)ru->ru_utime.tv_usec / 1e3;
    row->v[BD_sys_ms] = (double)ru->ru_stime.tv_sec * 1e3 + (double)ru->ru_stime.tv_usec / 1e3;
    row->v[BD_minflt] = (double)ru->ru_minflt;
    row->v[BD_majflt] = (double)ru->ru_majflt;
    row->v[BD_nvcsw] = (double)ru->ru_nvcsw;
    row->v[BD_nivcsw] = (double)ru->ru_nivcsw;
}

/* Reaps the runner, records how it ended and what it used, and computes the run's measures. */
static void finish(child_t *c)
{
    bd_row_t *row = c->row;
    int status = 0;
    struct rusage ru;
    if (wait4(c->pid, &status, 0, &ru) == c->pid) {
        bd_record_rusage(row, &ru);
        if (WIFSIGNALED(status)) {
            set_error(row, "runner killed by signal %d (log: %s)", WTERMSIG(status), c->logpath);
        } else if (WEXITSTATUS(status) != 0) {
            set_error(row, "runner exited with status %d (log: %s)", WEXITSTATUS(status),
                      c->logpath);
        }
    }
    if (!row->error[0] && (row->v[BD_ops] < 0 || c->next_tail < c->ntail))
        set_error(row, "runner ended without a complete result (log: %s)", c->logpath);
    compute_measures(c);
    row->ok = row->error[0] == '\0';
}

/* Sets up, runs and reaps one runner; a failure on the way is recorded in the row. */
static void run(child_t *c, const bd_workload_t *wl, unsigned repeat)
{
    if (open_channels(c) != 0)
        return;
    open_outputs(c, wl, repeat);
    if (start_runner(c, wl, repeat) != 0)
        return;
    supervise(c);
    finish(c);
}

/* Closes what run() opened; the samples stay with the caller. */
static void release(child_t *c)
{
    if (c->series)
        fclose(c->series);
    if (c->shm)
        munmap(c->shm, sizeof(struct bench_shm));
    int fds[] = {c->report_r, c->report_w, c->ack_r, c->ack_w, c->shm_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
}

/* A row with its names and every number unknown (-1). */
static void init_row(bd_row_t *row, const bd_workload_t *wl, const bd_alloc_t *al, unsigned repeat)
{
    memset(row, 0, sizeof *row);
    snprintf(row->workload, sizeof row->workload, "%s", wl->name);
    snprintf(row->allocator, sizeof row->allocator, "%s", al->name);
    row->repeat = repeat;
    for (int i = 0; i < BD_NNUM; i++)
        row->v[i] = -1;
}

int bd_run_child(const bd_config_t *cfg, const bd_workload_t *wl, const bd_alloc_t *al,
                 unsigned repeat, bd_row_t *row, bd_sample_t **samples, size_t *nsamples,
                 bd_progress_fn progress, void *ctx)
{
    init_row(row, wl, al, repeat);
    child_t c = {.pid = -1,
                 .report_r = -1,
                 .report_w = -1,
                 .ack_r = -1,
                 .ack_w = -1,
                 .shm_fd = -1,
                 .row = row,
                 .t_deleted = -1,
                 .ntail = repeat <= cfg->tail_repeats ? BD_NTAIL : 1,
                 .al = al,
                 .cfg = cfg,
                 .progress = progress,
                 .progress_ctx = ctx};
    run(&c, wl, repeat);
    release(&c);
    *samples = c.samples;
    *nsamples = c.n;
    return row->ok ? 0 : -1;
}

double bd_tail_wait(const bd_config_t *cfg, const bd_workload_t *wl, unsigned repeat)
{
    if (wl->program)
        return 0;
    return tail_at[repeat <= cfg->tail_repeats ? BD_NTAIL - 1 : 0] * cfg->time_scale;
}
