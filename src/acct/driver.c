/*
 * src/acct/driver.c: `flatline-acct [options] -- program args`: runs an unmodified program
 * under libflatline-acct.so (LD_PRELOAD, options passed in the environment), waits for it, then
 * turns the library's findings into the final output in the output directory:
 *   report.txt (verdict, breakdown, call sites symbolized to function and file:line),
 *   timeseries.csv, events.log, plot.svg/plot.png (gnuplot, when installed), report-N.txt for
 *   reports asked for during the run (signal, default SIGUSR2), the trace with --trace.
 * Bad input (unknown option, bad value, missing program, unwritable output) gets one clear
 * message and exit status 2 (127 when the program cannot be run). Otherwise the exit status is
 * the program's (128 + signal when it was killed).
 */
#include "acct_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const struct {
    const char *name, *path;
} allocators[] = {
    {"jemalloc", "/usr/lib/x86_64-linux-gnu/libjemalloc.so.2"},
    {"tcmalloc", "/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4"},
    {"mimalloc", "/usr/lib/x86_64-linux-gnu/libmimalloc.so.2"},
};

static void usage(FILE *to)
{
    fprintf(to, "usage: flatline-acct [options] [--] program [args...]\n"
                "Runs program under the flatline accounting library and tells why its memory "
                "grows.\n\n"
                "  --out DIR          output directory (default ./flatline-acct.out)\n"
                "  --trace FILE       record every allocation event (flatline/trace.h format)\n"
                "  --allocator NAME   preload jemalloc, tcmalloc, mimalloc or a library path "
                "under the accountant (default: the program's own)\n"
                "  --lib PATH         the accounting library (default: next to this program)\n"
                "  --no-plot          do not draw plot.svg/plot.png\n"
                "  --quiet            do not print the report on stderr\n");
    for (int i = 0; i < ACCT_OPT_N; i++) {
        const acct_opt_def_t *d = &acct_opt_defs[i];
        char arg[64];
        snprintf(arg, sizeof arg, "--%s %s", d->name, d->is_size ? "BYTES" : "N");
        fprintf(to, "  %-18s %s (default %llu%s)\n", arg, d->doc, (unsigned long long)d->def,
                d->is_size ? "; K/M/G suffixes" : "");
    }
}

static int die(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "flatline-acct: ");
    fprintf(stderr, fmt, a, b);
    fputc('\n', stderr);
    return 2;
}

/* Finds prog like execvp would; returns 0 or an errno. */
static int find_program(const char *prog, char *out, size_t cap)
{
    if (strchr(prog, '/')) {
        if (access(prog, X_OK) != 0)
            return errno;
        struct stat st;
        if (stat(prog, &st) == 0 && S_ISDIR(st.st_mode))
            return EISDIR;
        snprintf(out, cap, "%s", prog);
        return 0;
    }
    const char *path = getenv("PATH");
    if (!path)
        path = "/usr/local/bin:/usr/bin:/bin";
    int err = ENOENT;
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        snprintf(out, cap, "%.*s/%s", (int)n, n ? path : ".", prog);
        struct stat st;
        if (stat(out, &st) == 0 && !S_ISDIR(st.st_mode)) {
            if (access(out, X_OK) == 0)
                return 0;
            err = EACCES;
        }
        path += n + (colon ? 1 : 0);
    }
    return err;
}

static int make_out_dir(const char *dir, char *abs, size_t cap)
{
    if (mkdir(dir, 0755) != 0 && errno != EEXIST)
        return errno;
    struct stat st;
    if (stat(dir, &st) != 0)
        return errno;
    if (!S_ISDIR(st.st_mode))
        return ENOTDIR;
    if (!realpath(dir, abs) || strlen(abs) >= cap - 64)
        return errno ? errno : ENAMETOOLONG;
    char probe[PATH_MAX + 32];
    snprintf(probe, sizeof probe, "%s/.flatline-acct-probe", abs);
    int fd = open(probe, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno;
    close(fd);
    unlink(probe);
    return 0;
}

static void plot(const char *dir)
{
    if (system("command -v gnuplot >/dev/null 2>&1") != 0)
        return;
    char script[PATH_MAX + 64];
    snprintf(script, sizeof script, "%s/plot.gp", dir);
    FILE *f = fopen(script, "w");
    if (!f)
        return;
    const char *cols = "plot f u 1:($2/M) w l lw 2 t 'requested', f u 1:($3/M) w l t 'usable', "
                       "f u 1:($9<0?NaN:$9/M) w l t 'active', f u 1:($10<0?NaN:$10/M) w l "
                       "t 'resident', f u 1:($7/M) w l lw 2 t 'RSS'\n";
    for (int i = 0; i < 2; i++) {
        fprintf(f,
                "set datafile separator ','\nf='%s/timeseries.csv'\nM=1048576.0\n"
                "set key autotitle columnhead\nset key left top\n"
                "set xlabel 'seconds'\nset ylabel 'MiB'\nset title 'flatline-acct: memory'\n",
                dir);
        if (i == 0)
            fprintf(f, "set terminal svg size 900,500\nset output '%s/plot.svg'\n", dir);
        else
            fprintf(f, "set terminal png size 900,500\nset output '%s/plot.png'\n", dir);
        fputs(cols, f);
    }
    fclose(f);
    char cmd[2 * PATH_MAX];
    snprintf(cmd, sizeof cmd, "gnuplot '%s' >/dev/null 2>&1", script);
    if (system(cmd) != 0)
        fprintf(stderr, "flatline-acct: gnuplot could not draw the plot (%s)\n", script);
}

/* Parses one time-series line (monitor.c's columns) into f. Returns 0 or -1. */
static int parse_csv_line(const char *line, acct_figures_t *f)
{
    long long v[13];
    double t;
    if (sscanf(line, "%lf,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld,%lld", &t, &v[1],
               &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9], &v[10], &v[11],
               &v[12]) != 13)
        return -1;
    memset(f, 0, sizeof *f);
    f->t = t;
    f->requested = v[1];
    f->usable = v[2];
    f->blocks = v[3];
    f->allocs = (uint64_t)v[4];
    f->frees = (uint64_t)v[5];
    f->rss = v[6];
    f->allocated = v[7];
    f->active = v[8];
    f->resident = v[9];
    f->dirty = v[10];
    f->muzzy = v[11];
    f->retained = v[12];
    return 0;
}

/* When the program died without a report (SIGKILL, the OOM killer), a verdict from the time
 * series' first and last samples (no call sites, so no leak verdict). */
static void verdict_from_csv(const char *dir)
{
    char path[PATH_MAX + 32], line[512];
    acct_figures_t first, last;
    int have_first = 0, have_last = 0;
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f)) {
        acct_figures_t x;
        if (parse_csv_line(line, &x) != 0)
            continue;
        if (!have_first) {
            first = x;
            have_first = 1;
        }
        last = x;
        have_last = 1;
    }
    fclose(f);
    if (!have_first || !have_last)
        return;
    acct_verdict_in_t in;
    memset(&in, 0, sizeof in);
    in.now = last;
    in.rss_base = first.rss;
    in.healthy_bytes = 16 << 20;
    acct_verdict_out_t out;
    acct_verdict(&in, &out);
    fprintf(stderr,
            "flatline-acct: last sample at t=%.1fs: requested %.1f MiB, usable %.1f MiB, RSS %.1f "
            "MiB (%.1f MiB at start); without call sites, the figures say: %s\n",
            last.t, (double)last.requested / 1048576.0, (double)last.usable / 1048576.0,
            (double)last.rss / 1048576.0, (double)first.rss / 1048576.0,
            acct_verdict_name(out.verdict));
}

static pid_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

static void set_num_env(int idx, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    setenv(acct_opt_defs[idx].env, buf, 1);
}

int main(int argc, char **argv)
{
    const char *out = "flatline-acct.out", *trace = NULL, *allocator = NULL, *lib = NULL;
    int no_plot = 0, quiet = 0, i;
    uint64_t vals[ACCT_OPT_N];
    int set[ACCT_OPT_N] = {0};

    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--")) {
            i++;
            break;
        }
        if (a[0] != '-')
            break;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--no-plot")) {
            no_plot = 1;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (strncmp(a, "--", 2) != 0)
            return die("unknown option '%s' (try --help)%s", a, "");
        char name[64];
        const char *eq = strchr(a + 2, '='), *val;
        size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
        if (nlen >= sizeof name)
            return die("unknown option '%s' (try --help)%s", a, "");
        memcpy(name, a + 2, nlen);
        name[nlen] = 0;
        int idx = -1;
        for (int k = 0; k < ACCT_OPT_N; k++)
            if (!strcmp(name, acct_opt_defs[k].name))
                idx = k;
        int known = idx >= 0 || !strcmp(name, "out") || !strcmp(name, "trace") ||
                    !strcmp(name, "allocator") || !strcmp(name, "lib");
        if (!known)
            return die("unknown option '%s' (try --help)%s", a, "");
        if (eq)
            val = eq + 1;
        else if (i + 1 < argc)
            val = argv[++i];
        else
            return die("option '%s' needs a value%s", a, "");
        if (idx >= 0) {
            int rc = acct_opt_parse(idx, val, &vals[idx]);
            if (rc) {
                fprintf(stderr, "flatline-acct: bad value '%s' for --%s: %s (want %llu..%llu)\n",
                        val, name, rc == -ERANGE ? "out of range" : "not a number",
                        (unsigned long long)acct_opt_defs[idx].min,
                        (unsigned long long)acct_opt_defs[idx].max);
                return 2;
            }
            set[idx] = 1;
        } else if (!strcmp(name, "out")) {
            out = val;
        } else if (!strcmp(name, "trace")) {
            trace = val;
        } else if (!strcmp(name, "allocator")) {
            allocator = val;
        } else {
            lib = val;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }

    char prog[PATH_MAX];
    int err = find_program(argv[i], prog, sizeof prog);
    if (err)
        return fprintf(stderr, "flatline-acct: cannot run '%s': %s\n", argv[i], strerror(err)), 127;

    char libpath[PATH_MAX];
    if (lib) {
        snprintf(libpath, sizeof libpath, "%s", lib);
    } else if (getenv("FLATLINE_ACCT_LIB")) {
        snprintf(libpath, sizeof libpath, "%s", getenv("FLATLINE_ACCT_LIB"));
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return die("cannot find myself (/proc/self/exe)%s%s", "", "");
        self[n] = 0;
        snprintf(libpath, sizeof libpath, "%s/libflatline-acct.so", dirname(self));
    }
    if (access(libpath, R_OK) != 0)
        return die("cannot read the accounting library '%s': %s", libpath, strerror(errno));

    const char *alloc_path = NULL;
    if (allocator && strcmp(allocator, "glibc") != 0) {
        for (size_t k = 0; k < sizeof allocators / sizeof allocators[0]; k++)
            if (!strcmp(allocator, allocators[k].name))
                alloc_path = allocators[k].path;
        if (!alloc_path && strchr(allocator, '/'))
            alloc_path = allocator;
        if (!alloc_path)
            return die("unknown allocator '%s' (glibc, jemalloc, tcmalloc, mimalloc or a "
                       "path)%s",
                       allocator, "");
        if (access(alloc_path, R_OK) != 0)
            return die("cannot read allocator library '%s': %s", alloc_path, strerror(errno));
    }

    char dir[PATH_MAX];
    err = make_out_dir(out, dir, sizeof dir);
    if (err)
        return die("cannot write into output directory '%s': %s", out, strerror(err));
    char trace_abs[PATH_MAX + 64];
    if (trace) {
        int fd = open(trace, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return die("cannot write the trace file '%s': %s", trace, strerror(errno));
        close(fd);
        if (!realpath(trace, trace_abs))
            return die("cannot resolve '%s': %s", trace, strerror(errno));
    }

    char report[PATH_MAX + 32];
    snprintf(report, sizeof report, "%s/report.txt", dir);
    unlink(report);

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return die("pipe: %s%s", strerror(errno), "");
    child_pid = fork();
    if (child_pid < 0)
        return die("fork: %s%s", strerror(errno), "");
    if (child_pid == 0) {
        /* Only the program gets the environment: the tools we run afterwards (addr2line,
         * gnuplot) must not be accounted into the same directory. */
        char pid[32];
        snprintf(pid, sizeof pid, "%d", (int)getpid());
        setenv("FLATLINE_ACCT_ROOTPID", pid, 1);
        /* LD_PRELOAD: the accountant first, then the allocator under test, then the user's own. */
        char preload[3 * PATH_MAX];
        const char *old = getenv("LD_PRELOAD");
        snprintf(preload, sizeof preload, "%s%s%s%s%s", libpath, alloc_path ? " " : "",
                 alloc_path ? alloc_path : "", old && *old ? " " : "", old && *old ? old : "");
        setenv("LD_PRELOAD", preload, 1);
        setenv("FLATLINE_ACCT_DIR", dir, 1);
        if (trace)
            setenv("FLATLINE_ACCT_TRACE", trace_abs, 1);
        else
            unsetenv("FLATLINE_ACCT_TRACE");
        for (int k = 0; k < ACCT_OPT_N; k++) {
            if (set[k])
                set_num_env(k, vals[k]);
            else
                unsetenv(acct_opt_defs[k].env);
        }

        close(pipefd[0]);
        execv(prog, &argv[i]);
        int e = errno;
        (void)!write(pipefd[1], &e, sizeof e);
        _exit(127);
    }
    close(pipefd[1]);
    signal(SIGINT, SIG_IGN); /* the program gets the terminal's ^C; we still write the report */
    signal(SIGQUIT, SIG_IGN);
    signal(SIGTERM, forward);
    signal(SIGHUP, forward);
    int exec_err = 0;
    if (read(pipefd[0], &exec_err, sizeof exec_err) == (ssize_t)sizeof exec_err) {
        waitpid(child_pid, NULL, 0);
        fprintf(stderr, "flatline-acct: cannot run '%s': %s\n", prog, strerror(exec_err));
        return 127;
    }
    close(pipefd[0]);
    int status = 0;
    while (waitpid(child_pid, &status, 0) < 0 && errno == EINTR)
        ;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);

    if (access(report, R_OK) == 0) {
        acct_symbolize_file(report);
        char events[PATH_MAX + 32];
        snprintf(events, sizeof events, "%s/events.log", dir);
        acct_symbolize_file(events);
        for (int n = 1; n < 10000; n++) {
            char extra[PATH_MAX + 32];
            snprintf(extra, sizeof extra, "%s/report-%d.txt", dir, n);
            if (access(extra, R_OK) != 0)
                break;
            acct_symbolize_file(extra);
        }
        if (!quiet) {
            FILE *f = fopen(report, "r");
            char buf[4096];
            size_t n;
            while (f && (n = fread(buf, 1, sizeof buf, f)) > 0)
                fwrite(buf, 1, n, stderr);
            if (f)
                fclose(f);
        }
    } else {
        fprintf(stderr,
                "flatline-acct: the program ended without a final report (killed, _exit, or "
                "exec of a static binary); the time series is in %s\n",
                dir);
        verdict_from_csv(dir);
    }
    if (!no_plot)
        plot(dir);
    if (!quiet)
        fprintf(stderr,
                "flatline-acct: findings in %s (report.txt, timeseries.csv, events.log%s)\n", dir,
                no_plot ? "" : ", plot.svg");
    return code;
}
