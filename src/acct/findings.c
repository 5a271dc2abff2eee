/*
 * src/acct/findings.c: what the driver (and `flatline-acct report DIR`) makes of the library's
 * output: for each process that wrote into the directory (the program: report.txt, latest.txt,
 * timeseries.csv; a process it forked or exec'd: <pid>.report.txt, ...), a final report with
 * call sites symbolized to function and file:line (symbolize.c), then a summary line per process
 * naming the one that grew. A process that left no final report (SIGKILL, a crash, the OOM
 * killer, _exit, still running) is reported from its rolling latest.txt (replaced every interval,
 * so at most one interval old) with a note saying so; without even that, from its time series'
 * first and last samples. Files it cannot read are left alone: the findings are best effort.
 */
#include "acct_internal.h"
#include "driver_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_PROCS 256

/* One process's files in the directory: prefix "" (the program) or "<pid>.". */
typedef struct proc {
    char prefix[24];
    int pid; /* 0: the program the driver started (or the root of a preloaded service) */
} proc_t;

static void file_of(char *out, size_t cap, const char *dir, const proc_t *p, const char *name)
{
    if (snprintf(out, cap, "%s/%s%s", dir, p->prefix, name) >= (int)cap)
        out[0] = 0; /* too long: no such file */
}

/* The first and last samples of a time series. Returns 0, or -1 without two samples. */
static int csv_ends(const char *path, acct_figures_t *first, acct_figures_t *last)
{
    char line[1024];
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    int map[64], ncols = -1, have = 0;
    if (fgets(line, sizeof line, f))
        ncols = acct_csv_map(line, map);
    while (ncols > 0 && fgets(line, sizeof line, f)) {
        acct_figures_t x;
        if (acct_csv_parse(line, map, ncols, &x) != 0)
            continue;
        if (!have++)
            *first = x;
        *last = x;
    }
    fclose(f);
    return have >= 1 ? 0 : -1;
}

/* A verdict from the time series' ends (no call sites, so never LEAK), on stderr. */
static void verdict_from_csv(const char *csv, uint64_t healthy)
{
    acct_figures_t first, last;
    if (csv_ends(csv, &first, &last) != 0)
        return;
    acct_verdict_in_t in;
    memset(&in, 0, sizeof in);
    in.now = last;
    in.rss_base = first.rss;
    in.healthy_bytes = (int64_t)healthy;
    acct_verdict_out_t out;
    acct_verdict(&in, &out);
    fprintf(stderr,
            "flatline-acct: last sample at t=%.1fs: requested %.1f MiB, usable %.1f MiB, RSS %.1f "
            "MiB (%.1f MiB at start); without call sites, the figures say: %s\n",
            last.t, (double)last.requested / 1048576.0, (double)last.usable / 1048576.0,
            (double)last.rss / 1048576.0, (double)first.rss / 1048576.0,
            acct_verdict_name(out.verdict));
}

static int copy_file(const char *from, FILE *to)
{
    FILE *f = fopen(from, "r");
    if (!f)
        return -errno;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, to);
    fclose(f);
    return 0;
}

/* report.txt from latest.txt, with a first line saying why. Returns 0 or -errno. */
static int report_from_latest(const char *dir, const proc_t *p, const char *why)
{
    char latest[PATH_MAX + 64], report[PATH_MAX + 64];
    file_of(latest, sizeof latest, dir, p, "latest.txt");
    file_of(report, sizeof report, dir, p, "report.txt");
    if (access(latest, R_OK) != 0)
        return -ENOENT;
    FILE *out = fopen(report, "w");
    if (!out)
        return -errno;
    fprintf(out,
            "note: %s; this is its last rolling report (latest.txt, at most one interval old)\n",
            why);
    int rc = copy_file(latest, out);
    return fclose(out) == 0 ? rc : -EIO;
}

/* The processes with files in dir (the program first). Returns how many. */
static int list_procs(const char *dir, proc_t *procs, int cap)
{
    int n = 0;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    snprintf(procs[0].prefix, sizeof procs[0].prefix, "%s", "");
    procs[0].pid = 0;
    n += access(path, R_OK) == 0;
    DIR *d = opendir(dir);
    if (!d)
        return n;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && n < cap) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        if (end == e->d_name || pid <= 0 || strcmp(end, ".timeseries.csv") != 0)
            continue;
        snprintf(procs[n].prefix, sizeof procs[n].prefix, "%ld.", pid);
        procs[n].pid = (int)pid;
        n++;
    }
    closedir(d);
    return n;
}

static int alive(int pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* The pid a report names in its first line ("... report: pid N (...)"), or 0. */
static int pid_in_report(const char *path)
{
    char line[512];
    int pid = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (fgets(line, sizeof line, f)) {
        const char *p = strstr(line, " pid ");
        pid = p ? atoi(p + 5) : 0;
    }
    fclose(f);
    return pid;
}

/* One process: its final report symbolized (from latest.txt when it left none). Returns 0 when
 * it has a report now. */
static int finish_proc(const char *dir, const proc_t *p, int program_status, uint64_t healthy)
{
    char report[PATH_MAX + 64], other[PATH_MAX + 64];
    file_of(report, sizeof report, dir, p, "report.txt");
    file_of(other, sizeof other, dir, p, "latest.txt");
    int pid = p->pid ? p->pid : program_status ? 0 : pid_in_report(other);
    if (access(report, R_OK) != 0 || alive(pid)) {
        char why[128];
        if (alive(pid))
            snprintf(why, sizeof why, "process %d is still running", pid);
        else if (!p->pid && program_status > 128)
            snprintf(why, sizeof why,
                     "the program was killed by signal %d before its final "
                     "report",
                     program_status - 128);
        else
            snprintf(why, sizeof why,
                     "the process ended without its final report (killed, "
                     "_exit, or exec of a static binary)");
        if (report_from_latest(dir, p, why) != 0) {
            fprintf(stderr, "flatline-acct: %s; no report was written yet\n", why);
            file_of(other, sizeof other, dir, p, "timeseries.csv");
            verdict_from_csv(other, healthy);
            return -ENOENT;
        }
    }
    acct_symbolize_file(report);
    file_of(other, sizeof other, dir, p, "events.log");
    acct_symbolize_file(other);
    file_of(other, sizeof other, dir, p, "stacks.txt");
    if (acct_symbolize_file(other) >= 0)
        drv_export_stacks(dir, p->prefix);
    for (int n = 1; n < 10000; n++) {
        char name[64];
        snprintf(name, sizeof name, "report-%d.txt", n);
        file_of(other, sizeof other, dir, p, name);
        if (access(other, R_OK) != 0)
            break;
        acct_symbolize_file(other);
    }
    return 0;
}

/* The verdict line of a report ("" when none). */
static void verdict_of(const char *path, char *out, size_t cap)
{
    char line[512];
    out[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "verdict: ", 9)) {
            line[strcspn(line, "\n")] = 0;
            if (snprintf(out, cap, "%s", line + 9) >= (int)cap)
                out[cap - 1] = 0;
            break;
        }
    fclose(f);
}

/* One line per process (pid, verdict, RSS and requested growth), naming the one that grew. */
/* A process's line of the summary: its first and last samples and its verdict. */
typedef struct proc_line {
    const proc_t *proc;
    acct_figures_t first, last;
    char verdict[256];
} proc_line_t;

static int by_rss_growth(const void *a, const void *b)
{
    const proc_line_t *x = a, *y = b;
    int64_t gx = x->last.rss - x->first.rss, gy = y->last.rss - y->first.rss;
    return gx < gy ? 1 : gx > gy ? -1 : 0;
}

#define SUMMARY_LINES 10

/* One line per process (pid, RSS first and last, requested, verdict), the most grown first and
 * at most SUMMARY_LINES of them, naming the one that grew most. */
static void summary(const char *dir, const proc_t *procs, int n)
{
    static proc_line_t lines[MAX_PROCS];
    int k = 0;
    for (int i = 0; i < n; i++) {
        char path[PATH_MAX + 64];
        proc_line_t *l = &lines[k];
        l->proc = &procs[i];
        file_of(path, sizeof path, dir, &procs[i], "timeseries.csv");
        if (csv_ends(path, &l->first, &l->last) != 0)
            continue;
        file_of(path, sizeof path, dir, &procs[i], "report.txt");
        verdict_of(path, l->verdict, sizeof l->verdict);
        k++;
    }
    qsort(lines, (size_t)k, sizeof lines[0], by_rss_growth);
    fprintf(stderr, "flatline-acct: %d processes, by growth of RSS:\n", n);
    for (int i = 0; i < k && i < SUMMARY_LINES; i++) {
        const proc_line_t *l = &lines[i];
        fprintf(
            stderr, "  %-9s %-8d RSS %8.1f -> %8.1f MiB, requested %8.1f MiB: %s (%sreport.txt)\n",
            l->proc->pid ? "process" : "program", l->proc->pid, (double)l->first.rss / 1048576.0,
            (double)l->last.rss / 1048576.0, (double)l->last.requested / 1048576.0,
            l->verdict[0] ? l->verdict : "no report", l->proc->prefix);
    }
    if (k > SUMMARY_LINES)
        fprintf(stderr, "  ... and %d more (their <pid>.report.txt)\n", k - SUMMARY_LINES);
    if (k == 0 || lines[0].last.rss <= lines[0].first.rss)
        return;
    double most = (double)(lines[0].last.rss - lines[0].first.rss) / 1048576.0;
    if (lines[0].proc->pid)
        fprintf(stderr,
                "flatline-acct: the process that grew most: process %d (%sreport.txt, RSS +%.1f "
                "MiB)\n",
                lines[0].proc->pid, lines[0].proc->prefix, most);
    else
        fprintf(stderr,
                "flatline-acct: the process that grew most: the program (report.txt, RSS +%.1f "
                "MiB)\n",
                most);
}

/* Each process's plot; in the background, a child of ours draws them (with its output on
 * /dev/null) while we return: gnuplot takes longer than everything else after the program. */
static void plot_all(const char *dir, const proc_t *procs, int n, int background)
{
    if (background) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid != 0)
            return; /* parent (or fork failed: no plot) */
        int null = open("/dev/null", O_RDWR);
        if (null >= 0) {
            dup2(null, STDIN_FILENO);
            dup2(null, STDOUT_FILENO);
            dup2(null, STDERR_FILENO);
        }
    }
    for (int i = 0; i < n; i++) {
        int prc = drv_plot(dir, procs[i].prefix);
        if (prc && prc != -ENOENT)
            fprintf(stderr, "flatline-acct: gnuplot could not draw the plot (%s/%splot.gp)\n", dir,
                    procs[i].prefix);
    }
    if (background)
        _exit(0);
}

int drv_finish_reports(const char *dir, int quiet, int plot, int program_status, uint64_t healthy)
{
    proc_t procs[MAX_PROCS];
    int n = list_procs(dir, procs, MAX_PROCS);
    if (n == 0)
        return -ENOENT;
    int rc = 0;
    for (int i = 0; i < n; i++) {
        int r = finish_proc(dir, &procs[i], program_status, healthy);
        if (i == 0 && procs[0].pid == 0)
            rc = r;
    }
    acct_symbolize_release();
    if (plot)
        plot_all(dir, procs, n, plot == DRV_PLOT_BACKGROUND);
    char path[PATH_MAX + 64];
    file_of(path, sizeof path, dir, &procs[0], "report.txt");
    if (!quiet && rc == 0) {
        FILE *f = stderr;
        copy_file(path, f);
    }
    if (n > 1)
        summary(dir, procs, n);
    return rc;
}

void drv_clean_dir(const char *dir)
{
    static const char *const ours[] = {
        "report.txt", "latest.txt",     "timeseries.csv", "events.log",     "plot.svg",
        "plot.png",   "plot.gp",        "sites.csv",      "stacks.txt",     "stacks.collapsed",
        "profile.pb", "latest.txt.tmp", "stacks.txt.tmp", "plot-sites.dat", "report.request"};
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *name = e->d_name, *p = name;
        while (*p >= '0' && *p <= '9')
            p++;
        if (p != name && *p == '.')
            p++; /* "<pid>." */
        else
            p = name;
        int match = !strncmp(p, "report-", 7);
        for (size_t i = 0; i < sizeof ours / sizeof ours[0] && !match; i++)
            match = !strcmp(p, ours[i]);
        if (!match)
            continue;
        char path[PATH_MAX + 300];
        snprintf(path, sizeof path, "%s/%s", dir, name);
        unlink(path);
    }
    closedir(d);
}
