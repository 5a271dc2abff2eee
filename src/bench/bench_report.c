/*
 * bench_report.c: the machine description (written when a run starts) and the Markdown report
 * (written from runs.csv by `run` at the end and by `report`): the results table, the memory
 * breakdown, the plots and the machine, on one page. Images are linked relative to the page.
 */
#include "bench.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

static void cpu_model(char *buf, size_t len)
{
    snprintf(buf, len, "unknown");
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char line[512];
    while (fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0) {
            char *c = strchr(line, ':');
            if (c) {
                c += 1 + strspn(c + 1, " \t");
                c[strcspn(c, "\n")] = '\0';
                snprintf(buf, len, "%s", c);
            }
            break;
        }
    fclose(f);
}

static unsigned long long mem_total_kib(void)
{
    unsigned long long kib = 0;
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return 0;
    char line[256];
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %llu kB", &kib) == 1)
            break;
    fclose(f);
    return kib;
}

int bd_write_machine(const bd_config_t *cfg)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/machine.txt", cfg->out);
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    char cpu[256];
    cpu_model(cpu, sizeof cpu);
    struct utsname u;
    uname(&u);
    time_t now = time(NULL);
    char date[64];
    strftime(date, sizeof date, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    fprintf(f, "date: %s\ncpu: %s\ncores: %ld online\nmemory: %.1f GiB\nkernel: %s %s\n", date, cpu,
            sysconf(_SC_NPROCESSORS_ONLN), (double)mem_total_kib() / 1048576.0, u.sysname,
            u.release);
    fflush(f);
    /* Library versions as Debian packaged them: each allocator's package, once. */
    char cmd[512];
    size_t n =
        (size_t)snprintf(cmd, sizeof cmd, "dpkg-query -W -f='library: ${Package} ${Version}\\n'");
    for (unsigned i = 0; i < bd_nallocs; i++) {
        bool seen = false;
        for (unsigned j = 0; j < i; j++)
            seen |= strcmp(bd_allocs[j].pkg, bd_allocs[i].pkg) == 0;
        if (!seen && n < sizeof cmd)
            n += (size_t)snprintf(cmd + n, sizeof cmd - n, " %s", bd_allocs[i].pkg);
    }
    if (n < sizeof cmd)
        snprintf(cmd + n, sizeof cmd - n, " 2>/dev/null");
    FILE *p = popen(cmd, "r");
    if (p) {
        char line[256];
        while (fgets(line, sizeof line, p))
            fputs(line, f);
        pclose(p);
    }
    fclose(f);

    snprintf(path, sizeof path, "%s/config.txt", cfg->out);
    f = fopen(path, "w");
    if (!f)
        return -errno;
    fprintf(f, "workloads:");
    for (unsigned i = 0; i < cfg->nworkloads; i++)
        fprintf(f, "%s%s", i ? "," : " ", cfg->workloads[i]->name);
    fprintf(f, "\nallocators:");
    for (unsigned i = 0; i < cfg->nallocs; i++)
        fprintf(f, "%s%s", i ? "," : " ", cfg->allocs[i]->name);
    fprintf(f, "\nrepeats: %u\n", cfg->repeats);
    if (cfg->tail_repeats < cfg->repeats)
        fprintf(f, "tail-repeats: %u (only these waited for the +10 s and +30 s checkpoints)\n",
                cfg->tail_repeats);
    fprintf(f, "scale: %g\ntime-scale: %g\nseed: %llu (repeat r uses seed + r - 1)\n", cfg->scale,
            cfg->time_scale, (unsigned long long)cfg->seed);
    if (cfg->threads)
        fprintf(f, "threads: %u\n", cfg->threads);
    else
        fprintf(f, "threads: the workload's default (4)\n");
    if (cfg->trace) { /* its file name only: a temporary directory means nothing in a report */
        const char *slash = strrchr(cfg->trace, '/');
        fprintf(f, "trace: %s\n", slash ? slash + 1 : cfg->trace);
    }
    fclose(f);
    return 0;
}

/* Copies the key: value lines of DIR/name into the page as a list. */
static void include_kv(FILE *out, const char *dir, const char *name)
{
    char path[4096], line[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(out, "- (%s missing)\n", name);
        return;
    }
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (line[0])
            fprintf(out, "- %s\n", line);
    }
    fclose(f);
}

/* Path of dir relative to the directory of page, when dir lies under it; else dir's real path. */
static void relative_dir(char *buf, size_t len, const char *dir, const char *page)
{
    char rdir[PATH_MAX], pcopy[PATH_MAX], rpage[PATH_MAX];
    if (!realpath(dir, rdir)) {
        snprintf(buf, len, "%s", dir);
        return;
    }
    snprintf(pcopy, sizeof pcopy, "%s", page);
    if (!realpath(dirname(pcopy), rpage)) {
        snprintf(buf, len, "%s", rdir);
        return;
    }
    size_t n = strlen(rpage);
    if (strcmp(rdir, rpage) == 0)
        snprintf(buf, len, ".");
    else if (strncmp(rdir, rpage, n) == 0 && rdir[n] == '/')
        snprintf(buf, len, "%s", rdir + n + 1);
    else
        snprintf(buf, len, "%s", rdir);
}

/* True when some run is of workload wl. */
static bool has_workload(const bd_row_t *rows, size_t n, const char *wl)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].workload, wl) == 0)
            return true;
    return false;
}

int bd_report(const char *dir, const char *page)
{
    bd_row_t *rows;
    size_t n;
    if (bd_csv_read(dir, &rows, &n) != 0)
        return -1;
    bd_write_summary(dir, rows, n);
    bd_plot(dir, rows, n);

    char pagebuf[4096];
    if (!page) {
        snprintf(pagebuf, sizeof pagebuf, "%s/report.md", dir);
        page = pagebuf;
    }
    FILE *f = fopen(page, "w");
    if (!f) {
        fprintf(stderr, "flatline-bench: cannot write %s: %s\n", page, strerror(errno));
        free(rows);
        return -1;
    }
    char rel[PATH_MAX];
    relative_dir(rel, sizeof rel, dir, page);
    const char *wls[BD_MAX_ITEMS * 2];
    unsigned nw = bd_distinct(rows, n, false, wls, BD_MAX_ITEMS * 2);

    fprintf(f, "# flatline-bench report\n\n");
    fprintf(f, "Each cell is the median over the repeats, with the range [min-max] when there "
               "were several. RSS is sampled from outside (/proc/<pid>/statm every 50 ms and at "
               "the workload's sync points); *live* is the bytes the workload has requested and "
               "not freed. *RSS/live at peak* is measured at the moment of most live bytes; "
               "*peak RSS/peak live* compares the two maxima (Johnstone and Wilson). The RSS "
               "columns after the mass delete are read at +1, +10 and +30 s (times the run's "
               "time scale; see the configuration below) while the workload keeps serving a "
               "light trickle of requests. `flatline` is jemalloc with lifecycle arenas "
               "(libflatline: records in a shared arena, transient buffers in per-thread private "
               "arenas); it runs only on workloads that know their objects' life-cycles. "
               "`store` and `store-defrag` run db-churn's records through libflatline's "
               "namespace store (keys and values, as flatline-server keeps them), its active "
               "defragmentation off and on; their live bytes are the values' sizes, so the "
               "store's keys, headers and index count as overhead. The stress programs (rows "
               "`<name>-<N>t` at N threads) report no live bytes over time; mstress and rptest "
               "report their peak, which gives peak RSS / peak live.\n\n");
    fprintf(f, "## Results\n\n");
    bd_print_table(f, rows, n, true);
    fprintf(f, "\n## Memory breakdown (MiB, median over the repeats; the allocator's own "
               "counters at the peak sync point and after the last tail checkpoint, +30 s)\n\n"
               "Where an allocator has no exact equivalent the nearest figure is shown: resident "
               "is jemalloc `stats.resident`, tcmalloc heap size minus unmapped bytes, glibc "
               "`mallinfo2` arena + mmapped bytes; dirty is freed memory the allocator still "
               "holds mapped (jemalloc dirty pages, tcmalloc page-heap free bytes, glibc free "
               "chunks). Debian's mimalloc is built without statistics, so only RSS is known for "
               "it. `-`: not exposed.\n\n");
    bd_print_breakdown(f, rows, n, true);
    fprintf(f, "\n## CPU, page faults and context switches\n\n"
               "What the kernel counted for the whole runner process (all its threads), from "
               "the rusage `wait4` returns when it exits: user and system CPU seconds, minor "
               "(no I/O) and major page faults, voluntary (blocked) and involuntary (preempted) "
               "context switches. A run that waited for the tail checkpoints includes them, so "
               "compare these cells within a workload, repeat for repeat.\n\n");
    bd_print_rusage(f, rows, n, true);
    fprintf(f, "\n## Best per workload\n\n"
               "The column with the lowest median peak RSS, the lowest median RSS at the last "
               "tail checkpoint, and the highest median ops/s, among the columns of this run "
               "(with `--sweep`, the settings swept).\n\n");
    bd_print_best(f, rows, n, true);
    fprintf(f, "\n## Plots\n\n");
    for (unsigned w = 0; w < nw; w++)
        if (bd_has_timeline(rows, n, wls[w]))
            fprintf(f,
                    "### %s\n\n![RSS over time, %s](%s/plots/rss-%s.svg)\n\n"
                    "![after the mass delete, %s](%s/plots/after-%s.svg)\n\n",
                    wls[w], wls[w], rel, wls[w], wls[w], rel, wls[w]);
    fprintf(f, "### Ratios\n\n![fragmentation ratios](%s/plots/ratios.svg)\n\n", rel);
    fprintf(f,
            "### Against the first column\n\nEach column's median peak RSS, RSS at the last tail "
            "checkpoint and ops/s over the first column's (with `--sweep`, the defaults).\n\n"
            "![relative to the first column](%s/plots/relative.svg)\n\n",
            rel);
    for (unsigned i = 0; i < bd_nworkloads; i++) {
        char first[64];
        bd_stress_name(first, sizeof first, &bd_workloads[i], 1);
        if (!bd_workloads[i].threaded || !has_workload(rows, n, first))
            continue;
        fprintf(f,
                "### Thread scaling: %s\n\n![%s: ops/s and peak RSS against threads]"
                "(%s/plots/scaling-%s.svg)\n\n",
                bd_workloads[i].name, bd_workloads[i].name, rel, bd_workloads[i].name);
    }
    fprintf(f,
            "PNG versions and the gnuplot scripts are next to the SVGs; the data is in "
            "`%s/runs.csv` (every run), `%s/summary.csv` (median, min, max) and "
            "`%s/series/` (samples of every run).\n\n",
            rel, rel, rel);
    bool failures = false;
    for (size_t i = 0; i < n; i++)
        if (!rows[i].ok) {
            if (!failures)
                fprintf(f, "## Failed runs\n\n");
            failures = true;
            fprintf(f, "- %s / %s / repeat %u: %s\n", rows[i].workload, rows[i].allocator,
                    rows[i].repeat, rows[i].error);
        }
    if (failures)
        fputc('\n', f);
    fprintf(f, "## Configuration\n\n");
    include_kv(f, dir, "config.txt");
    fprintf(f, "\n## Machine\n\n");
    include_kv(f, dir, "machine.txt");
    int rc = ferror(f) ? -1 : 0;
    fclose(f);
    bd_print_table(stdout, rows, n, false);
    fputc('\n', stdout);
    bd_print_rusage(stdout, rows, n, false);
    fputc('\n', stdout);
    bd_print_best(stdout, rows, n, false);
    fprintf(stderr, "flatline-bench: report written to %s\n", page);
    free(rows);
    return rc;
}
