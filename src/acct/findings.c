/*
 * src/acct/findings.c: what the driver makes of the library's output after the program ended:
 * the reports (report.txt, report-N.txt, events.log) rewritten with call sites symbolized to
 * function and file:line (symbolize.c), report.txt echoed on stderr; and for a program killed
 * before it could report (SIGKILL, the OOM killer), a verdict from its time series' first and
 * last samples. Files it cannot read are left alone: the findings are best effort, the
 * program's exit status is what the driver returns.
 */
#include "acct_internal.h"
#include "driver_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* When the program died without a report (SIGKILL, the OOM killer), a verdict from the time
 * series' first and last samples (no call sites, so no leak verdict). */
void drv_verdict_from_csv(const char *dir)
{
    char path[PATH_MAX + 32], line[512];
    acct_figures_t first, last;
    int have_first = 0, have_last = 0;
    snprintf(path, sizeof path, "%s/timeseries.csv", dir);
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    int map[64], ncols = -1;
    if (fgets(line, sizeof line, f))
        ncols = acct_csv_map(line, map);
    while (ncols > 0 && fgets(line, sizeof line, f)) {
        acct_figures_t x;
        if (acct_csv_parse(line, map, ncols, &x) != 0)
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

static void copy_to_stderr(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        fwrite(buf, 1, n, stderr);
    fclose(f);
}

int drv_finish_reports(const char *dir, int quiet)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/report.txt", dir);
    if (access(path, R_OK) != 0)
        return -ENOENT;
    acct_symbolize_file(path);
    char other[PATH_MAX + 32];
    snprintf(other, sizeof other, "%s/events.log", dir);
    acct_symbolize_file(other);
    for (int n = 1; n < 10000; n++) {
        snprintf(other, sizeof other, "%s/report-%d.txt", dir, n);
        if (access(other, R_OK) != 0)
            break;
        acct_symbolize_file(other);
    }
    if (!quiet)
        copy_to_stderr(path);
    return 0;
}
