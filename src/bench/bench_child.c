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
#include <sys/wait.h>
#include <unistd.h>

#include "bench_shm.h"

#define SAMPLE_MS 50

static const double tail_at[BD_NTAIL] = {1.0, 10.0, 30.0};

typedef struct child {
    pid_t pid;
    int report_fd, ack_fd;
    struct bench_shm *shm;
    FILE *series;
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
} child_t;

static uint64_t read_rss(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof path, "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t r = read(fd, line, sizeof line - 1);
    close(fd);
    if (r <= 0)
        return 0;
    line[r] = '\0';
    unsigned long long size = 0, res = 0;
    if (sscanf(line, "%llu %llu", &size, &res) != 2)
        return 0;
    return (uint64_t)res * (uint64_t)sysconf(_SC_PAGESIZE);
}

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
    s->rss = read_rss(c->pid);
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
        w = write(c->ack_fd, msg, len);
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

static void parse_result(bd_row_t *row, char *rest)
{
    char *save = NULL;
    for (char *kv = strtok_r(rest, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
        if (strncmp(kv, "ops=", 4) == 0)
            row->v[BD_ops] = strtod(kv + 4, NULL);
        else if (strncmp(kv, "run_ms=", 7) == 0)
            row->v[BD_run_ms] = strtod(kv + 7, NULL);
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
        char name[32] = "", version[64] = "", path[256] = "", strategy[32] = "";
        sscanf(rest, "%31s %63s %255s %31s", name, version, path, strategy);
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
        if (c->al->malloc_conf && strstr(c->al->malloc_conf, "background_thread:true") &&
            !strstr(strategy, "+bgthread"))
            set_error(row, "MALLOC_CONF=%s did not take effect", c->al->malloc_conf);
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
        parse_result(row, rest);
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

static int spawn(child_t *c, const bd_config_t *cfg, const bd_workload_t *wl, const bd_alloc_t *al,
                 unsigned repeat, int rep_w, int ack_r, int shm_fd, const char *logpath)
{
    char runner[4096], preload[4096] = "";
    snprintf(runner, sizeof runner, "%s/%s", cfg->bindir,
             al->arenas ? "flatline-bench-runner-fl" : "flatline-bench-runner");
    if (al->lib)
        snprintf(preload, sizeof preload, "%s/%s", cfg->libdir, al->lib);
    char scale[32], seed[32], threads[16], tail[32];
    snprintf(scale, sizeof scale, "%g", cfg->scale);
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)(cfg->seed + repeat - 1));
    snprintf(threads, sizeof threads, "%u", cfg->threads);
    /* The child's own bound on the tail: the last checkpoint plus slack. */
    snprintf(tail, sizeof tail, "%u",
             (unsigned)(tail_at[BD_NTAIL - 1] * cfg->time_scale * 1000.0) * 2 + 5000);
    const char *argv[24];
    int a = 0;
    argv[a++] = runner;
    argv[a++] = "--workload";
    argv[a++] = wl->name;
    argv[a++] = "--scale";
    argv[a++] = scale;
    argv[a++] = "--seed";
    argv[a++] = seed;
    argv[a++] = "--tail-max-ms";
    argv[a++] = tail;
    argv[a++] = "--report-fd=3";
    argv[a++] = "--ack-fd=4";
    argv[a++] = "--shm-fd=5";
    if (cfg->threads) {
        argv[a++] = "--threads";
        argv[a++] = threads;
    }
    if (al->arenas)
        argv[a++] = "--arenas";
    if (wl->needs_trace) {
        argv[a++] = "--trace";
        argv[a++] = cfg->trace;
    }
    argv[a] = NULL;

    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        int log = open(logpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (log >= 0) {
            dup2(log, 1);
            dup2(log, 2);
        }
        /* Move the three fds out of the way first: one of them may already be 3, 4 or 5. */
        int hi[3] = {fcntl(rep_w, F_DUPFD, 100), fcntl(ack_r, F_DUPFD, 100),
                     fcntl(shm_fd, F_DUPFD, 100)};
        for (int i = 0; i < 3; i++)
            if (hi[i] < 0 || dup2(hi[i], 3 + i) < 0)
                _exit(127);
        if (preload[0])
            setenv("LD_PRELOAD", preload, 1);
        else
            unsetenv("LD_PRELOAD");
        if (al->malloc_conf)
            setenv("MALLOC_CONF", al->malloc_conf, 1);
        execv(runner, (char *const *)argv);
        fprintf(stderr, "flatline-bench: cannot exec %s: %s\n", runner, strerror(errno));
        _exit(127);
    }
    c->pid = pid;
    return 0;
}

int bd_run_child(const bd_config_t *cfg, const bd_workload_t *wl, const bd_alloc_t *al,
                 unsigned repeat, bd_row_t *row, bd_sample_t **samples, size_t *nsamples,
                 bd_progress_fn progress, void *ctx)
{
    memset(row, 0, sizeof *row);
    snprintf(row->workload, sizeof row->workload, "%s", wl->name);
    snprintf(row->allocator, sizeof row->allocator, "%s", al->name);
    row->repeat = repeat;
    for (int i = 0; i < BD_NNUM; i++)
        row->v[i] = -1;
    *samples = NULL;
    *nsamples = 0;

    child_t c = {.row = row, .t_deleted = -1, .al = al, .cfg = cfg, .pid = -1};
    c.ntail = repeat <= cfg->tail_repeats ? BD_NTAIL : 1;
    int rep[2] = {-1, -1}, ack[2] = {-1, -1};
    int shm_fd = memfd_create("flatline-bench", MFD_CLOEXEC);
    if (shm_fd < 0 || ftruncate(shm_fd, sizeof(struct bench_shm)) != 0 ||
        pipe2(rep, O_CLOEXEC) != 0 || pipe2(ack, O_CLOEXEC) != 0) {
        set_error(row, "cannot set up the child: %s", strerror(errno));
        goto out;
    }
    c.shm = mmap(NULL, sizeof(struct bench_shm), PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
    if (c.shm == MAP_FAILED) {
        c.shm = NULL;
        set_error(row, "mmap: %s", strerror(errno));
        goto out;
    }
    c.shm->magic = BENCH_SHM_MAGIC;

    char path[4096], logpath[4096];
    bd_series_path(path, sizeof path, cfg->out, wl->name, al->name, repeat);
    c.series = fopen(path, "w");
    if (c.series)
        fprintf(c.series, "t_s,rss,live,ops,phase\n");
    snprintf(logpath, sizeof logpath, "%s/logs/%s-%s-r%u.log", cfg->out, wl->name, al->name,
             repeat);
    c.t0 = bd_now();
    if (spawn(&c, cfg, wl, al, repeat, rep[1], ack[0], shm_fd, logpath) != 0) {
        set_error(row, "fork: %s", strerror(errno));
        goto out;
    }
    close(rep[1]);
    close(ack[0]);
    rep[1] = ack[0] = -1;
    c.report_fd = rep[0];
    c.ack_fd = ack[1];

    double last = -1.0;
    bool eof = false;
    while (!eof) {
        double now = bd_now() - c.t0;
        if (now > cfg->timeout_s) {
            set_error(row, "timed out after %u s (--timeout)", cfg->timeout_s);
            kill(c.pid, SIGKILL);
            break;
        }
        double due = last < 0 ? now : next_due(&c, last);
        if (now >= due) {
            bd_sample_t *s = take_sample(&c);
            last = now;
            if (s) {
                if (c.t_deleted >= 0 && c.next_tail < c.ntail &&
                    s->t >= c.t_deleted + tail_at[c.next_tail] * cfg->time_scale) {
                    row->v[BD_rss_tail1 + c.next_tail] = (double)s->rss;
                    row->v[BD_tail1_s + c.next_tail] = s->t - c.t_deleted;
                    c.next_tail++;
                }
                if (progress)
                    progress(row, s, ctx);
            }
            if (c.next_tail == c.ntail && !c.stopped) {
                send_ack(&c, "stop\n");
                c.stopped = true;
            }
            continue;
        }
        struct pollfd pfd = {.fd = c.report_fd, .events = POLLIN};
        int wait_ms = (int)ceil((due - now) * 1000.0);
        int pr = poll(&pfd, 1, wait_ms < 1 ? 1 : wait_ms);
        if (pr < 0 && errno != EINTR)
            break;
        if (pr > 0) {
            ssize_t r = read(c.report_fd, c.buf + c.blen, sizeof c.buf - c.blen);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0) {
                eof = true;
            } else {
                c.blen += (size_t)r;
                read_lines(&c);
            }
        }
    }

    int status = 0;
    if (c.pid > 0 && waitpid(c.pid, &status, 0) == c.pid) {
        if (WIFSIGNALED(status)) {
            set_error(row, "runner killed by signal %d (log: %s)", WTERMSIG(status), logpath);
        } else if (WEXITSTATUS(status) != 0) {
            set_error(row, "runner exited with status %d (log: %s)", WEXITSTATUS(status), logpath);
        }
    }
    if (!row->error[0] && (row->v[BD_ops] < 0 || c.next_tail < c.ntail))
        set_error(row, "runner ended without a complete result (log: %s)", logpath);
    compute_measures(&c);
    row->ok = row->error[0] == '\0';

out:
    if (c.series)
        fclose(c.series);
    if (c.shm)
        munmap(c.shm, sizeof(struct bench_shm));
    int fds[] = {rep[0], rep[1], ack[0], ack[1], shm_fd};
    for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    *samples = c.samples;
    *nsamples = c.n;
    return row->ok ? 0 : -1;
}
