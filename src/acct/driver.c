/*
 * src/acct/driver.c: `flatline-acct [options] -- program args`: runs an unmodified program
 * under libflatline-acct.so (LD_PRELOAD, options passed in the environment), waits for it, then
 * turns the library's findings into the final output in the output directory (findings.c):
 * report.txt per process (from latest.txt when it was killed), symbolized, exports, a summary,
 * the plot in the background. Also `flatline-acct report DIR` (the same for a directory written
 * without the driver) and `flatline-acct diff A B`.
 * Signals sent to flatline-acct: SIGTERM, SIGHUP, SIGUSR1, and SIGINT/SIGQUIT from kill() are
 * passed on to the program (the terminal's reach it by themselves); the report signal (--signal,
 * SIGUSR2) becomes DIR/report.request, which the library's monitor takes.
 * Bad input (unknown option, bad value, missing program, unwritable output) gets one clear
 * message and exit status 2 (127 when the program cannot be run). Otherwise the exit status is
 * the program's (128 + signal when it was killed).
 * This file owns the command line, the program's environment, running it and its signals; the
 * findings are findings.c's, the plot plot.c's, the exports export.c's, diff diff.c's.
 */
#include "acct_internal.h"
#include "driver_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Where Debian installs the allocators --allocator names (CMake passes the multiarch dir). */
#ifndef ACCT_LIBDIR
#define ACCT_LIBDIR "/usr/lib/x86_64-linux-gnu"
#endif

static const struct {
    const char *name, *path;
} allocators[] = {
    {"jemalloc", ACCT_LIBDIR "/libjemalloc.so.2"},
    {"tcmalloc", ACCT_LIBDIR "/libtcmalloc_minimal.so.4"},
    {"mimalloc", ACCT_LIBDIR "/libmimalloc.so.2"},
};

enum { CONTINUE = -1 }; /* a step succeeded; any other result is the driver's exit status */

/* The command line, as given. */
typedef struct config {
    const char *out, *trace, *allocator, *lib;
    int no_plot, quiet;
    uint64_t vals[ACCT_OPT_N];
    int set[ACCT_OPT_N]; /* vals[i] was given; otherwise the library's default applies */
    char **program;      /* the program and its arguments, NULL-terminated */
} config_t;

/* What the command line resolves to before the program runs. */
typedef struct launch {
    char prog[PATH_MAX];       /* the program's path */
    char lib[PATH_MAX];        /* libflatline-acct.so */
    const char *alloc;         /* allocator library preloaded under it, or NULL */
    char dir[PATH_MAX];        /* the output directory, absolute */
    char trace[PATH_MAX + 64]; /* the trace file, absolute ("" without --trace) */
} launch_t;

static void usage(FILE *to)
{
    fprintf(to, "usage: flatline-acct [options] [--] program [args...]\n"
                "       flatline-acct report DIR   (findings of a run, e.g. a preloaded service)\n"
                "       flatline-acct diff A B     (what grew from report A to report B)\n"
                "Runs program under the flatline accounting library and tells why its memory "
                "grows.\n\n"
                "  --out DIR          output directory (default ./flatline-acct.out)\n"
                "  --trace FILE       record every allocation event (flatline/trace.h format)\n"
                "  --allocator NAME   preload jemalloc, tcmalloc, mimalloc or a library path "
                "under the accountant (default: the program's own)\n"
                "  --lib PATH         the accounting library (default: next to this program)\n"
                "  --no-plot          do not draw plot.svg/plot.png (drawn in the background after "
                "the program)\n"
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

/* The option table's index of name, or -1. */
static int table_option(const char *name)
{
    for (int k = 0; k < ACCT_OPT_N; k++)
        if (!strcmp(name, acct_opt_defs[k].name))
            return k;
    return -1;
}

/* Stores the value of option name (not a table option) into cfg. Returns 0, or -1 if unknown. */
static int set_path_option(config_t *cfg, const char *name, const char *val)
{
    if (!strcmp(name, "out"))
        cfg->out = val;
    else if (!strcmp(name, "trace"))
        cfg->trace = val;
    else if (!strcmp(name, "allocator"))
        cfg->allocator = val;
    else if (!strcmp(name, "lib"))
        cfg->lib = val;
    else
        return -1;
    return 0;
}

/* Parses the option taking a value at argv[*i] ("--name=value" or "--name value"). */
static int parse_value_option(config_t *cfg, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    char name[64];
    const char *eq = strchr(a + 2, '='), *val;
    size_t nlen = eq ? (size_t)(eq - a - 2) : strlen(a + 2);
    if (nlen >= sizeof name)
        return die("unknown option '%s' (try --help)%s", a, "");
    memcpy(name, a + 2, nlen);
    name[nlen] = 0;
    int idx = table_option(name);
    if (idx < 0 && set_path_option(cfg, name, "") != 0)
        return die("unknown option '%s' (try --help)%s", a, "");
    if (eq)
        val = eq + 1;
    else if (*i + 1 < argc)
        val = argv[++*i];
    else
        return die("option '%s' needs a value%s", a, "");
    if (idx < 0) {
        set_path_option(cfg, name, val);
        return CONTINUE;
    }
    int rc = acct_opt_parse(idx, val, &cfg->vals[idx]);
    if (rc) {
        fprintf(stderr, "flatline-acct: bad value '%s' for --%s: %s (want %llu..%llu)\n", val, name,
                rc == -ERANGE ? "out of range" : "not a number",
                (unsigned long long)acct_opt_defs[idx].min,
                (unsigned long long)acct_opt_defs[idx].max);
        return 2;
    }
    cfg->set[idx] = 1;
    return CONTINUE;
}

/* Fills cfg from the command line. Returns CONTINUE or the exit status (0 after --help). */
static int parse_args(int argc, char **argv, config_t *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->out = "flatline-acct.out";
    int i;
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
            cfg->no_plot = 1;
        } else if (!strcmp(a, "--quiet")) {
            cfg->quiet = 1;
        } else if (strncmp(a, "--", 2) != 0) {
            return die("unknown option '%s' (try --help)%s", a, "");
        } else {
            int rc = parse_value_option(cfg, argc, argv, &i);
            if (rc != CONTINUE)
                return rc;
        }
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    cfg->program = &argv[i];
    return CONTINUE;
}

/* The accounting library: --lib, $FLATLINE_ACCT_LIB, or next to this program. */
static int find_library(const config_t *cfg, launch_t *l)
{
    const char *env = getenv("FLATLINE_ACCT_LIB");
    if (cfg->lib || env) {
        snprintf(l->lib, sizeof l->lib, "%s", cfg->lib ? cfg->lib : env);
    } else {
        char self[PATH_MAX];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        if (n <= 0)
            return die("cannot find myself (/proc/self/exe)%s%s", "", "");
        self[n] = 0;
        snprintf(l->lib, sizeof l->lib, "%s/libflatline-acct.so", dirname(self));
    }
    if (access(l->lib, R_OK) != 0)
        return die("cannot read the accounting library '%s': %s", l->lib, strerror(errno));
    return CONTINUE;
}

/* The allocator --allocator names (glibc: none preloaded). */
static int find_allocator(const config_t *cfg, launch_t *l)
{
    l->alloc = NULL;
    if (!cfg->allocator || !strcmp(cfg->allocator, "glibc"))
        return CONTINUE;
    for (size_t k = 0; k < sizeof allocators / sizeof allocators[0]; k++)
        if (!strcmp(cfg->allocator, allocators[k].name))
            l->alloc = allocators[k].path;
    if (!l->alloc && strchr(cfg->allocator, '/'))
        l->alloc = cfg->allocator;
    if (!l->alloc)
        return die("unknown allocator '%s' (glibc, jemalloc, tcmalloc, mimalloc or a path)%s",
                   cfg->allocator, "");
    if (access(l->alloc, R_OK) != 0)
        return die("cannot read allocator library '%s': %s", l->alloc, strerror(errno));
    return CONTINUE;
}

/* Creates the output directory and the trace file, removes an old report.txt. */
static int prepare_outputs(const config_t *cfg, launch_t *l)
{
    int err = make_out_dir(cfg->out, l->dir, sizeof l->dir);
    if (err)
        return die("cannot write into output directory '%s': %s", cfg->out, strerror(err));
    l->trace[0] = 0;
    if (cfg->trace) {
        int fd = open(cfg->trace, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            return die("cannot write the trace file '%s': %s", cfg->trace, strerror(errno));
        close(fd);
        if (!realpath(cfg->trace, l->trace))
            return die("cannot resolve '%s': %s", cfg->trace, strerror(errno));
    }
    drv_clean_dir(l->dir);
    return CONTINUE;
}

static void set_num_env(int idx, uint64_t v)
{
    char buf[32];
    snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
    setenv(acct_opt_defs[idx].env, buf, 1);
}

/* In the child, before exec: the library's environment. Only the program gets it: the tools
 * we run afterwards (gnuplot) must not be accounted into the same directory. */
static void set_child_env(const config_t *cfg, const launch_t *l)
{
    char pid[32];
    snprintf(pid, sizeof pid, "%d", (int)getpid());
    setenv("FLATLINE_ACCT_ROOTPID", pid, 1);
    /* LD_PRELOAD: the accountant first, then the allocator under test, then the user's own. */
    char preload[3 * PATH_MAX];
    const char *old = getenv("LD_PRELOAD");
    snprintf(preload, sizeof preload, "%s%s%s%s%s", l->lib, l->alloc ? " " : "",
             l->alloc ? l->alloc : "", old && *old ? " " : "", old && *old ? old : "");
    setenv("LD_PRELOAD", preload, 1);
    setenv("FLATLINE_ACCT_DIR", l->dir, 1);
    if (l->trace[0])
        setenv("FLATLINE_ACCT_TRACE", l->trace, 1);
    else
        unsetenv("FLATLINE_ACCT_TRACE");
    for (int k = 0; k < ACCT_OPT_N; k++) {
        if (cfg->set[k])
            set_num_env(k, cfg->vals[k]);
        else
            unsetenv(acct_opt_defs[k].env);
    }
}

static pid_t child_pid; /* the program, for forward(); written before the handlers are set */

static int report_signal;                  /* --signal: asks for a report (0: none) */
static char report_request[PATH_MAX + 32]; /* DIR/report.request: how we ask for it */

/* Passes a signal sent to us on to the program. SIGINT and SIGQUIT from the terminal already
 * reach it (same process group): only those sent by kill() are passed on, not to deliver twice.
 * The report signal becomes a request file that the library's monitor thread looks for: the
 * program gets no signal, so none of its sleeps is cut short. */
static void forward(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    int from_terminal = (sig == SIGINT || sig == SIGQUIT) && si && si->si_code > 0;
    if (sig == report_signal && report_request[0]) {
        int fd = open(report_request, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
        if (fd >= 0)
            close(fd);
        return;
    }
    if (child_pid > 0 && !from_terminal)
        kill(child_pid, sig);
}

/* We outlive the program whatever it is sent (to write its findings): the signals a user sends
 * to stop or query it are passed on. */
static void forward_signals(const config_t *cfg, const launch_t *l)
{
    static const int sigs[] = {SIGINT, SIGQUIT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2};
    report_signal = (int)(cfg->set[ACCT_OPT_SIGNAL] ? cfg->vals[ACCT_OPT_SIGNAL]
                                                    : acct_opt_defs[ACCT_OPT_SIGNAL].def);
    snprintf(report_request, sizeof report_request, "%s/report.request", l->dir);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = forward;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        sigaction(sigs[i], &sa, NULL);
    if (report_signal > 0 && report_signal != SIGKILL && report_signal != SIGSTOP)
        sigaction(report_signal, &sa, NULL);
}

/* Runs the program under the library and waits for it. Returns its exit status (128 + signal
 * when killed) and sets *ran; returns 127 (exec failed) or 2 (pipe, fork) when it did not run. */
static int run_program(const config_t *cfg, const launch_t *l, int *ran)
{
    *ran = 0;
    int pipefd[2]; /* the child's exec errno; closed on exec */
    if (pipe2(pipefd, O_CLOEXEC) != 0)
        return die("pipe: %s%s", strerror(errno), "");
    child_pid = fork();
    if (child_pid < 0)
        return die("fork: %s%s", strerror(errno), "");
    if (child_pid == 0) {
        set_child_env(cfg, l);
        close(pipefd[0]);
        execv(l->prog, cfg->program);
        int e = errno;
        (void)!write(pipefd[1], &e, sizeof e);
        _exit(127);
    }
    close(pipefd[1]);
    forward_signals(cfg, l);
    int exec_err = 0;
    ssize_t got = read(pipefd[0], &exec_err, sizeof exec_err);
    close(pipefd[0]);
    int code = drv_wait(child_pid);
    if (got == (ssize_t)sizeof exec_err) {
        fprintf(stderr, "flatline-acct: cannot run '%s': %s\n", l->prog, strerror(exec_err));
        return 127;
    }
    *ran = 1;
    return code < 0 ? 127 : code;
}

static uint64_t healthy_of(const config_t *cfg)
{
    return cfg->set[ACCT_OPT_HEALTHY] ? cfg->vals[ACCT_OPT_HEALTHY]
                                      : acct_opt_defs[ACCT_OPT_HEALTHY].def;
}

/* After the program: symbolized reports (from the rolling one if it was killed), the plot. */
static void write_findings(const config_t *cfg, const launch_t *l, int status)
{
    drv_finish_reports(l->dir, cfg->quiet, cfg->no_plot ? DRV_PLOT_NONE : DRV_PLOT_BACKGROUND,
                       status, healthy_of(cfg));
    if (!cfg->quiet)
        fprintf(stderr,
                "flatline-acct: findings in %s (report.txt, timeseries.csv, events.log%s)\n",
                l->dir, cfg->no_plot ? "" : ", plot.svg in a moment");
}

/* `flatline-acct report DIR`: the findings of a run whose driver did not write them (a service
 * that preloads the library itself, a killed driver), whether its processes still run or not. */
static int report_command(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: flatline-acct report DIR\n");
        return 2;
    }
    char dir[PATH_MAX];
    if (!realpath(argv[2], dir))
        return die("cannot read '%s': %s", argv[2], strerror(errno));
    if (drv_finish_reports(dir, 0, DRV_PLOT_WAIT, 0, acct_opt_defs[ACCT_OPT_HEALTHY].def) != 0)
        return die("no findings in '%s' (no report.txt, latest.txt or timeseries.csv)%s", dir, "");
    return 0;
}

int main(int argc, char **argv)
{
    config_t cfg;
    static launch_t l;
    if (argc > 1 && !strcmp(argv[1], "report"))
        return report_command(argc, argv);
    if (argc > 1 && !strcmp(argv[1], "diff")) {
        if (argc != 4) {
            fprintf(stderr, "usage: flatline-acct diff A B   (reports or output directories)\n");
            return 2;
        }
        return drv_diff(argv[2], argv[3]);
    }
    int rc = parse_args(argc, argv, &cfg);
    if (rc != CONTINUE)
        return rc;
    int err = drv_find_program(cfg.program[0], l.prog, sizeof l.prog);
    if (err) {
        fprintf(stderr, "flatline-acct: cannot run '%s': %s\n", cfg.program[0], strerror(err));
        return 127;
    }
    if ((rc = find_library(&cfg, &l)) != CONTINUE || (rc = find_allocator(&cfg, &l)) != CONTINUE ||
        (rc = prepare_outputs(&cfg, &l)) != CONTINUE)
        return rc;
    int ran;
    int code = run_program(&cfg, &l, &ran);
    if (ran)
        write_findings(&cfg, &l, code);
    return code;
}
