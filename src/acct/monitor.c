/*
 * src/acct/monitor.c: the library's life: start-up (options from the environment, output files,
 * the monitor thread, the report signal, fork handling) and the end (final report, teardown,
 * trace flush).
 *
 * The monitor thread wakes every interval and takes one snapshot of the figures: it appends a
 * line to timeseries.csv, runs the leak watch (sample.c), replaces latest.txt and stacks.txt
 * atomically when what they show changed (the report a killed process leaves) and appends the
 * top sites to sites.csv; it makes the reports asked for
 * by signal, API or DIR/report.request (within 100 ms; a signal handler only sets
 * acct_report_wanted). It runs with acct_tls.busy set for good, so it is never sampled or traced.
 * Files of the root process (the one the driver started, or that preloaded the library itself)
 * have plain names; every other process's carry its pid (DIR/<pid>.report.txt). A forked child
 * accounts for itself: it inherits the parent's counters (the parent's live blocks are live in
 * its copy of the heap too), opens its own files and starts its own monitor thread; it does not
 * trace. Our locks are taken around fork() so the child inherits them free and the tables
 * consistent.
 * The final report is taken once per process (final_taken), when exit() is called or main
 * returns (exit.c), else by the destructor; the destructor then appends what the teardown freed.
 * report_lock serialises reports (they share a mmap'd buffer).
 */
#include "acct_lib.h"

#include <errno.h>
#include <fcntl.h>
#include <flatline/acct.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <limits.h>
#include <unistd.h>

uint64_t acct_opt[ACCT_OPT_N];
int64_t acct_rss_base;
double acct_peak_requested;
atomic_int acct_report_wanted;

static uint64_t start_ns;
static char out_dir[512];
static char prefix[32];
/* Output files are opened for each write and closed again: a program that closes every
 * descriptor (daemons do) must never find ours, nor have its own written to by us. */
static int csv_on;            /* timeseries.csv is ours to append to */
static char events_path[700]; /* events.log, or "" */
static pthread_t monitor;
static int monitor_running;
static pthread_mutex_t stop_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t stop_cond;
static int stop_flag; /* stop_lock */
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
static char *report_buf; /* report_lock; mmap'd */
#define REPORT_CAP (1u << 20)
static unsigned report_seq; /* report_lock */
static int started;
static atomic_int final_taken; /* the final report of this process was taken */
static double teardown_t;      /* when (0: not yet) */
static int64_t final_usable, final_requested, final_blocks; /* its figures */

static fl_acct_report_cb acct_report_cb; /* report_lock */
static void *acct_report_arg;            /* report_lock */

double acct_elapsed(void)
{
    return (double)(acct_now_ns() - start_ns) / 1e9;
}

static int open_out(const char *name, int flags)
{
    char path[700];
    acct_fmt(path, sizeof path, "%s/%s%s", out_dir, prefix, name);
    return open(path, flags | O_CLOEXEC, 0644);
}

static void csv_line(const acct_figures_t *f)
{
    char line[512];
    if (f->requested > acct_peak_requested)
        acct_peak_requested = (double)f->requested;
    if (!csv_on)
        return;
    size_t n = acct_csv_line(line, sizeof line, f);
    char path[700];
    acct_fmt(path, sizeof path, "%s/%stimeseries.csv", out_dir, prefix);
    acct_append_file(path, line, n);
}

/* Builds a report from the figures f (NULL: a snapshot taken now, with the allocator's detail)
 * and writes it: to path (truncated, or replaced atomically when `latest`), or to the output
 * directory's next report-N.txt when path is NULL; gives it to the callback unless `latest` (the
 * rolling report is not news); with `stacks`, also stacks.txt with that many call sites
 * (replaced atomically). Returns 0 or -errno. */
static int report_write(const char *path, int latest, int stacks, const char *why,
                        const acct_figures_t *given)
{
    acct_figures_t now;
    int rc = 0;
    acct_busy_enter();
    if (!given) {
        acct_figures_collect(&now, acct_elapsed(), 1);
        given = &now;
    }
    const acct_figures_t *f = given;
    pthread_mutex_lock(&report_lock);
    if (!report_buf) {
        void *m =
            mmap(NULL, REPORT_CAP, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        report_buf = m == MAP_FAILED ? NULL : m;
    }
    if (!report_buf) {
        pthread_mutex_unlock(&report_lock);
        acct_busy_leave();
        return -ENOMEM;
    }
    size_t len = acct_report_build(report_buf, REPORT_CAP, f, why);
    FL_ASSERT(len < REPORT_CAP); /* every section is bounded by the space left */
    char next[700];
    if (!path && out_dir[0]) {
        acct_fmt(next, sizeof next, "%s/%sreport-%u.txt", out_dir, prefix, ++report_seq);
        path = next;
    }
    if (path)
        rc = latest ? acct_replace_file(path, report_buf, len)
                    : acct_write_file(path, report_buf, len);
    if (acct_report_cb && !latest)
        acct_report_cb(report_buf, len, acct_report_arg);
    if (stacks && out_dir[0]) {
        char spath[700];
        acct_fmt(spath, sizeof spath, "%s/%sstacks.txt", out_dir, prefix);
        len = acct_stacks_build(report_buf, REPORT_CAP, stacks);
        if (len)
            acct_replace_file(spath, report_buf, len);
    }
    pthread_mutex_unlock(&report_lock);
    acct_busy_leave();
    return rc;
}

/* The top call sites' live bytes now, appended to sites.csv (the plot's per-site curves). */
static void sites_line(double t)
{
    enum { TOP = 8 };
    acct_site_view_t top[TOP];
    char buf[TOP * 96], path[700];
    int k = acct_sites_top(top, TOP);
    size_t n = 0;
    for (int i = 0; i < k; i++)
        n += acct_fmt(buf + n, sizeof buf - n, "%.3f,%u,%.0f,%.0f\n", t, top[i].id,
                      top[i].live_bytes, top[i].live_err);
    acct_fmt(path, sizeof path, "%s/%ssites.csv", out_dir, prefix);
    acct_append_file(path, buf, n);
}

int acct_report_now(const char *path, const char *why)
{
    return report_write(path, 0, 0, why, NULL);
}

/* What the rolling report last written was built from (monitor thread; cleared in a forked
 * child, whose files are its own). */
static struct {
    int valid;
    int64_t allocs, frees, reallocs, rss;
    unsigned events;
} latest_key;

/* The rolling report, replaced every interval in which something it shows changed: what a stop
 * that leaves no final report (SIGKILL, a crash, the OOM killer) leaves behind, and what
 * `flatline-acct report DIR` renders. f: this interval's figures (its one snapshot). An interval
 * without an allocation, a free, a change of RSS or a leak-watch event would rewrite the same
 * figures, sites and verdict: the file on disk already holds them (its header keeps the time it
 * was written, its per-site rates the windows they had then). */
static void latest_write(const acct_figures_t *f)
{
    unsigned events = acct_events_count();
    if (latest_key.valid && latest_key.allocs == f->allocs && latest_key.frees == f->frees &&
        latest_key.reallocs == f->reallocs && latest_key.rss == f->rss &&
        latest_key.events == events)
        return;
    char path[700];
    acct_fmt(path, sizeof path, "%s/%slatest.txt", out_dir, prefix);
    report_write(path, 1, 100, "latest (rolling, replaced every interval)", f);
    latest_key.valid = 1;
    latest_key.allocs = f->allocs;
    latest_key.frees = f->frees;
    latest_key.reallocs = f->reallocs;
    latest_key.rss = f->rss;
    latest_key.events = events;
}

static void on_signal(int sig)
{
    (void)sig;
    atomic_store(&acct_report_wanted, 1);
}

static void add_ms(struct timespec *ts, uint64_t ms)
{
    ts->tv_sec += (time_t)(ms / 1000);
    ts->tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static int before(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Whether flatline-acct asked for a report (it got the report signal) by creating
 * DIR/report.request; the request is taken (removed). The program's own process only. */
static int report_requested(void)
{
    char path[700];
    if (prefix[0])
        return 0;
    acct_fmt(path, sizeof path, "%s/report.request", out_dir);
    return unlink(path) == 0;
}

/* Samples every interval; wakes at least every 100 ms to notice a report request (the signal
 * handler can only set a flag). */
static void *monitor_main(void *arg)
{
    (void)arg;
    acct_busy_enter(); /* for good: the monitor is never sampled or traced */
    struct timespec next, now, wake;
    clock_gettime(CLOCK_MONOTONIC, &next);
    uint64_t ms = acct_opt[ACCT_OPT_INTERVAL];
    acct_figures_t first;
    acct_figures_collect(&first, acct_elapsed(), 0);
    csv_line(&first);
    add_ms(&next, ms);
    pthread_mutex_lock(&stop_lock);
    while (!stop_flag) {
        clock_gettime(CLOCK_MONOTONIC, &wake);
        add_ms(&wake, 100);
        if (before(&next, &wake))
            wake = next;
        pthread_cond_timedwait(&stop_cond, &stop_lock, &wake);
        if (stop_flag)
            break;
        pthread_mutex_unlock(&stop_lock);
        if (atomic_exchange(&acct_report_wanted, 0) || report_requested())
            acct_report_now(NULL, "on demand");
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!before(&now, &next)) {
            acct_figures_t f;
            acct_figures_collect(&f, acct_elapsed(), 0);
            csv_line(&f);
            acct_sites_watch(f.t, f.usable, acct_opt[ACCT_OPT_LEAK], events_path);
            latest_write(&f);
            sites_line(f.t);
            while (!before(&now, &next))
                add_ms(&next, ms);
        }
        pthread_mutex_lock(&stop_lock);
    }
    pthread_mutex_unlock(&stop_lock);
    return NULL;
}

/* Creates this process's time series (with its header) and events log in the output
 * directory, named with its prefix ("" or "<pid>."). */
static void outputs_open(void)
{
    int csv = open_out("timeseries.csv", O_WRONLY | O_CREAT | O_TRUNC);
    int ev = open_out("events.log", O_WRONLY | O_CREAT | O_TRUNC);
    if (csv < 0 || ev < 0)
        acct_log("flatline-acct: cannot write into %s: %s\n", out_dir, strerror(errno));
    char head[512];
    size_t hlen = acct_csv_header(head, sizeof head);
    if (csv >= 0) {
        acct_write_all(csv, head, hlen);
        close(csv);
        csv_on = 1;
    }
    int sites = open_out("sites.csv", O_WRONLY | O_CREAT | O_TRUNC);
    if (sites >= 0) {
        static const char sites_head[] = "t_s,site,live_bytes,error_bytes\n";
        acct_write_all(sites, sites_head, sizeof sites_head - 1);
        close(sites);
    }
    if (ev >= 0) {
        close(ev);
        acct_fmt(events_path, sizeof events_path, "%s/%sevents.log", out_dir, prefix);
    }
}

/* Starts the monitor thread, with every signal blocked (the program's signals are not ours). */
static void monitor_start(void)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&stop_cond, &ca);
    pthread_condattr_destroy(&ca);
    stop_flag = 0;
    sigset_t all, saved;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &saved);
    monitor_running = pthread_create(&monitor, NULL, monitor_main, NULL) == 0;
    pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

/* Stops the monitor thread and waits for it (never from the monitor itself). */
static void monitor_stop(void)
{
    if (!monitor_running)
        return;
    FL_ASSERT(!pthread_equal(pthread_self(), monitor));
    pthread_mutex_lock(&stop_lock);
    stop_flag = 1;
    pthread_cond_signal(&stop_cond);
    pthread_mutex_unlock(&stop_lock);
    pthread_join(monitor, NULL);
    monitor_running = 0;
}

static void fork_prepare(void)
{
    pthread_mutex_lock(&report_lock);
    acct_sample_forklock(1);
    acct_counters_forklock(1);
    acct_trace_forklock(1);
}

static void fork_parent(void)
{
    acct_trace_forklock(0);
    acct_counters_forklock(0);
    acct_sample_forklock(0);
    pthread_mutex_unlock(&report_lock);
}

static void fork_child(void)
{
    fork_parent(); /* the forking thread holds them all: release */
    acct_trace_fork_child();
    csv_on = 0;
    events_path[0] = 0;
    monitor_running = 0; /* the parent's monitor thread is not in the child */
    latest_key.valid = 0;
    atomic_store(&final_taken, 0);
    teardown_t = 0;
    pthread_mutex_init(&stop_lock, NULL);
    acct_fmt(prefix, sizeof prefix, "%d.", (int)getpid());
    report_seq = 0;
    if (out_dir[0]) { /* a process of its own: its own files and monitor */
        acct_busy_enter();
        outputs_open();
        monitor_start();
        acct_busy_leave();
    }
}

static void read_options(void)
{
    for (int i = 0; i < ACCT_OPT_N; i++) {
        const acct_opt_def_t *d = &acct_opt_defs[i];
        acct_opt[i] = d->def;
        const char *v = getenv(d->env);
        if (v && acct_opt_parse(i, v, &acct_opt[i]) != 0) {
            acct_log("flatline-acct: ignoring %s=%s (want %llu..%llu); using %llu\n", d->env, v,
                     (unsigned long long)d->min, (unsigned long long)d->max,
                     (unsigned long long)d->def);
            acct_opt[i] = d->def;
        }
    }
}

__attribute__((constructor)) static void acct_start(void)
{
    if (started)
        return;
    started = 1;
    start_ns = acct_now_ns();
    acct_busy_enter();
    acct_real_init();
    read_options();
    acct_rss_base = acct_rss_bytes();
    acct_counters_init();
    acct_sample_depth = (unsigned)acct_opt[ACCT_OPT_DEPTH];
    acct_sample_backtrace = acct_opt[ACCT_OPT_UNWIND] == 1;
    acct_sample_auto = acct_opt[ACCT_OPT_UNWIND] == 2;
    acct_sample_init();
    acct_stats_init();
    pthread_atfork(fork_prepare, fork_parent, fork_child);

    const char *root = getenv("FLATLINE_ACCT_ROOTPID");
    int is_root = !root || atoi(root) == (int)getpid();
    if (!is_root)
        acct_fmt(prefix, sizeof prefix, "%d.", (int)getpid());
    const char *dir = getenv("FLATLINE_ACCT_DIR");
    if (dir && *dir && !root) {
        /* preloaded by hand (a service): this process is the root of its tree; what it execs
         * must know (it writes <pid>.-prefixed files), and the directory may not exist yet */
        char pid[24];
        acct_fmt(pid, sizeof pid, "%d", (int)getpid());
        setenv("FLATLINE_ACCT_ROOTPID", pid, 1);
        mkdir(dir, 0755);
    }
    if (dir && *dir) {
        char abs[PATH_MAX];
        acct_fmt(out_dir, sizeof out_dir, "%s",
                 realpath(dir, abs) ? abs : dir); /* cwd may change */
        outputs_open();
    }
    const char *trace = getenv("FLATLINE_ACCT_TRACE");
    if (trace && *trace && is_root) {
        int rc = acct_trace_open(trace);
        if (rc)
            acct_log("flatline-acct: cannot write the trace %s: %s\n", trace, strerror(-rc));
    }
    struct sigaction old;
    if (out_dir[0] && acct_opt[ACCT_OPT_SIGNAL] &&
        sigaction((int)acct_opt[ACCT_OPT_SIGNAL], NULL, &old) == 0 &&
        !(old.sa_flags & SA_SIGINFO) && old.sa_handler == SIG_DFL) {
        /* only a signal nobody handles or ignores (an inherited SIG_IGN stays ignored) */
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_signal;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction((int)acct_opt[ACCT_OPT_SIGNAL], &sa, NULL);
    }
    acct_sample_mean = acct_opt[ACCT_OPT_SAMPLE];
    if (acct_tls.self)
        acct_sample_reset(acct_tls.self);
    if (out_dir[0])
        monitor_start();
    acct_detour_update(); /* decided: the common case may start (acct_busy_leave notices) */
    acct_busy_leave();
}

/* The final report: the monitor stopped, a last sample and leak watch, report.txt. */
static void final_write(const char *why)
{
    monitor_stop();
    acct_figures_t f;
    acct_figures_collect(&f, acct_elapsed(), 0);
    csv_line(&f);
    acct_sites_watch(f.t, f.usable, acct_opt[ACCT_OPT_LEAK], events_path);
    char path[700];
    acct_fmt(path, sizeof path, "%s/%sreport.txt", out_dir, prefix);
    report_write(path, 0, 400, why, NULL); /* (with the allocator's detail, like every report) */
    final_usable = f.usable;
    final_requested = f.requested;
    final_blocks = f.blocks;
    teardown_t = f.t;
}

void acct_final_report(const char *why)
{
    if (acct_off || !started || atomic_exchange(&final_taken, 1))
        return;
    acct_busy_enter();
    if (out_dir[0])
        final_write(why);
    else if (acct_report_cb)
        acct_report_now(NULL, why);
    acct_busy_leave();
}

/* After the final report: what the program's teardown (atexit handlers, static destructors)
 * freed, appended to report.txt as its own section. */
static void teardown_append(void)
{
    acct_figures_t f;
    acct_figures_collect(&f, acct_elapsed(), 0);
    char buf[512], path[700];
    size_t n = acct_fmt(buf, sizeof buf,
                        "teardown (atexit handlers, static destructors; %.3f s after the report "
                        "above): requested %.1f -> %.1f MiB, usable %.1f -> %.1f MiB, live blocks "
                        "%lld -> %lld\n",
                        f.t - teardown_t, (double)final_requested / 1048576.0,
                        (double)f.requested / 1048576.0, (double)final_usable / 1048576.0,
                        (double)f.usable / 1048576.0, (long long)final_blocks, (long long)f.blocks);
    acct_fmt(path, sizeof path, "%s/%sreport.txt", out_dir, prefix);
    acct_append_file(path, buf, n);
}

__attribute__((destructor)) static void acct_stop(void)
{
    if (acct_off || !started)
        return;
    acct_busy_enter();
    if (atomic_load(&final_taken) && out_dir[0] && teardown_t > 0)
        teardown_append();
    else
        acct_final_report("at exit (after atexit handlers and destructors)");
    monitor_stop();
    acct_trace_close();
    acct_busy_leave();
}

int acct_api_dump(const char *path)
{
    return acct_report_now(path, "on request (fl_acct_dump)");
}

void acct_api_set_callback(fl_acct_report_cb cb, void *arg)
{
    pthread_mutex_lock(&report_lock);
    acct_report_cb = cb;
    acct_report_arg = arg;
    pthread_mutex_unlock(&report_lock);
}
