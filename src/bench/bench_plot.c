/*
 * bench_plot.c: the plots, drawn by gnuplot from the run's CSV files. For each workload that
 * samples its live bytes (not the stress programs, which get thread-scaling plots) one plot
 * of RSS over time per allocator (solid) with that run's live requested bytes (dashed, same
 * colour), taken from the first repeat that succeeded; and one plot of the ratios (RSS / live at
 * peak, peak RSS / peak live, RSS 30 s after the mass delete / peak RSS) as clustered bars.
 * A second plot per workload shows only the time after the mass delete, counted from it, so the
 * allocators' tails line up. One plot draws every column against the first (a sweep's defaults):
 * peak RSS, RSS at the end and ops/s over the first column's. Each plot is written as SVG and PNG
 * into DIR/plots/, next to the .gp script that drew it, so a reader can redraw or restyle it. Keeps
 * no state.
 */
#include "bench.h"
#include "bench_shm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const colours[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd",
                                      "#ff7f0e", "#8c564b", "#e377c2", "#7f7f7f",
                                      "#17becf", "#bcbd22", "#393b79", "#ad494a"};

static unsigned first_ok_repeat(const bd_row_t *rows, size_t n, const char *wl, const char *al)
{
    unsigned best = 0;
    for (size_t i = 0; i < n; i++)
        if (rows[i].ok && strcmp(rows[i].workload, wl) == 0 && strcmp(rows[i].allocator, al) == 0 &&
            (best == 0 || rows[i].repeat < best))
            best = rows[i].repeat;
    return best;
}

static void terminals(FILE *gp, const char *base, int w, int h, int pass)
{
    if (pass == 0)
        fprintf(gp,
                "set terminal svg size %d,%d dynamic background rgb 'white' font 'Sans,12'\n"
                "set output '%s.svg'\n",
                w, h, base);
    else
        fprintf(gp,
                "set terminal pngcairo size %d,%d background rgb 'white' font 'Sans,10'\n"
                "set output '%s.png'\n",
                w, h, base);
}

static int run_gnuplot(const char *dir, const char *script)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s/plots' && gnuplot '%s' 2>>gnuplot.log", dir, script);
    int rc = system(cmd);
    if (rc != 0) {
        fprintf(stderr,
                "flatline-bench: warning: gnuplot failed on %s/plots/%s (status %d; is "
                "gnuplot-nox installed? see %s/plots/gnuplot.log)\n",
                dir, script, rc, dir);
        return -1;
    }
    return 0;
}

/* Time (s) of the "deleted" sync sample in a series file: the last sample taken in the delete
 * phase (the runner waits there for the driver). -1 when the file has none. */
static double delete_time(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[256];
    double t0 = -1, t;
    unsigned long long rss, ops;
    long long live;
    unsigned phase;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "%lf,%llu,%lld,%llu,%u", &t, &rss, &live, &ops, &phase) == 5 &&
            phase == BENCH_PH_DELETE)
            t0 = t;
    fclose(f);
    return t0;
}

/* RSS and live bytes over time of each allocator's first good run: the whole run, or (after)
 * only from the mass delete on, with time counted from it so the tails line up. */
static int plot_rss(const char *dir, const bd_row_t *rows, size_t n, const char *wl,
                    const char **als, unsigned na, bool after)
{
    char path[4096], base[128], script[160];
    snprintf(base, sizeof base, "%s-%s", after ? "after" : "rss", wl);
    snprintf(script, sizeof script, "%s.gp", base);
    snprintf(path, sizeof path, "%s/plots/%s", dir, script);
    FILE *gp = fopen(path, "w");
    if (!gp)
        return -1;
    int lines = 0;
    for (int pass = 0; pass < 2; pass++) {
        terminals(gp, base, 1000, 560, pass);
        fprintf(gp,
                "set datafile separator ','\nset grid\nset key outside right top\n"
                "set xlabel 'seconds since %s'\nset ylabel 'MiB'\n"
                "set yrange [0:*]\n"
                "set title '%s: RSS (solid) and live requested bytes (dashed)%s'\n",
                after ? "the mass delete" : "the runner started", wl,
                after ? " after the mass delete" : " over time");
        if (after)
            fprintf(gp, "set xrange [-0.5:*]\n");
        fprintf(gp, "plot ");
        lines = 0;
        for (unsigned a = 0; a < na; a++) {
            unsigned rep = first_ok_repeat(rows, n, wl, als[a]);
            if (!rep)
                continue;
            char series[4096], x[96];
            bd_series_path(series, sizeof series, "..", wl, als[a], rep);
            snprintf(x, sizeof x, "1");
            if (after) {
                char local[4096];
                bd_series_path(local, sizeof local, dir, wl, als[a], rep);
                double t0 = delete_time(local);
                if (t0 < 0)
                    continue;
                /* keep the delete and tail phases only, time from the delete */
                snprintf(x, sizeof x, "($5 >= %d && $5 <= %d ? $1 - %.3f : NaN)", BENCH_PH_DELETE,
                         BENCH_PH_TAIL, t0);
            }
            const char *col = colours[a % (sizeof colours / sizeof colours[0])];
            fprintf(gp,
                    "%s'%s' skip 1 using %s:($2/1048576) with lines lw 2 lc rgb '%s' title "
                    "'%s RSS', \\\n  '%s' skip 1 using %s:($3/1048576) with lines lw 1 dt 2 lc "
                    "rgb '%s' title '%s live'",
                    lines ? ", \\\n  " : "", series, x, col, als[a], series, x, col, als[a]);
            lines++;
        }
        fprintf(gp, "\n");
    }
    fclose(gp);
    return lines ? run_gnuplot(dir, script) : 0;
}

bool bd_has_timeline(const bd_row_t *rows, size_t n, const char *wl)
{
    for (size_t i = 0; i < n; i++)
        if (rows[i].ok && strcmp(rows[i].workload, wl) == 0 && rows[i].v[BD_frag_at_peak] > 0)
            return true;
    return false;
}

static int plot_ratios(const char *dir, const bd_row_t *rows, size_t n, const char **wls,
                       unsigned nw, const char **als, unsigned na)
{
    unsigned drawn = 0;
    for (unsigned w = 0; w < nw; w++)
        drawn += bd_has_timeline(rows, n, wls[w]);
    if (drawn == 0) /* no ratio to draw: gnuplot would reject an all-NaN histogram */
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/plots/ratios.dat", dir);
    FILE *d = fopen(path, "w");
    if (!d)
        return -1;
    static const int cols[3] = {BD_frag_at_peak, BD_peak_ratio, -1};
    fprintf(d, "# workload, then per allocator: RSS/live@peak, peakRSS/peaklive, "
               "RSS+30s/peak RSS\n");
    for (unsigned w = 0; w < nw; w++) {
        if (!bd_has_timeline(rows, n, wls[w]))
            continue;
        fprintf(d, "%s", wls[w]);
        for (int k = 0; k < 3; k++)
            for (unsigned a = 0; a < na; a++) {
                double md, mn, mx, live, l1, l2;
                unsigned got;
                if (cols[k] >= 0) {
                    got = bd_stat_column(rows, n, wls[w], als[a], cols[k], &md, &mn, &mx);
                } else { /* the share of the peak RSS still held 30 s after the delete */
                    got = bd_stat_column(rows, n, wls[w], als[a], BD_rss_tail3, &md, &mn, &mx);
                    got = got &&
                          bd_stat_column(rows, n, wls[w], als[a], BD_max_rss, &live, &l1, &l2) &&
                          live > 0;
                    if (got)
                        md /= live;
                }
                if (got)
                    fprintf(d, " %.4f", md);
                else
                    fprintf(d, " NaN");
            }
        fputc('\n', d);
    }
    fclose(d);

    snprintf(path, sizeof path, "%s/plots/ratios.gp", dir);
    FILE *gp = fopen(path, "w");
    if (!gp)
        return -1;
    static const char *const titles[3] = {"RSS / live at peak live", "peak RSS / peak live",
                                          "RSS 30 s after the mass delete / peak RSS"};
    for (int pass = 0; pass < 2; pass++) {
        terminals(gp, "ratios", 1500, 520, pass);
        fprintf(gp, "set datafile missing 'NaN'\nset style data histograms\n"
                    "set style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
                    "set grid ytics\nset yrange [0:*]\nset key below horizontal\n"
                    "set multiplot layout 1,3\n");
        for (int k = 0; k < 3; k++) {
            fprintf(gp, "set title '%s'\nplot ", titles[k]);
            for (unsigned a = 0; a < na; a++)
                fprintf(gp, "%s'ratios.dat' using %u%s lc rgb '%s' title '%s'", a ? ", " : "",
                        2 + k * na + a, a == 0 ? ":xtic(1)" : "",
                        colours[a % (sizeof colours / sizeof colours[0])], als[a]);
            fprintf(gp, "\n");
        }
        fprintf(gp, "unset multiplot\n");
    }
    fclose(gp);
    return run_gnuplot(dir, "ratios.gp");
}

/* The median of column col for (wl, al) over the first column's (als[0]) median: NaN when
 * either is unknown. */
static double relative_to_first(const bd_row_t *rows, size_t n, const char *wl, const char **als,
                                unsigned a, int col)
{
    double md, base, mn, mx;
    if (!bd_stat_column(rows, n, wl, als[0], col, &base, &mn, &mx) || base <= 0 ||
        !bd_stat_column(rows, n, wl, als[a], col, &md, &mn, &mx))
        return -1;
    return md / base;
}

/* Every column against the first (the defaults of a sweep, glibc in the matrix): its median
 * peak RSS, RSS at the last tail checkpoint and ops/s over the first column's, per workload, as
 * clustered bars in plots/relative.{svg,png}. */
static int plot_relative(const char *dir, const bd_row_t *rows, size_t n, const char **wls,
                         unsigned nw, const char **als, unsigned na)
{
    static const int cols[3] = {BD_max_rss, BD_rss_tail3, BD_ops_per_s};
    static const char *const titles[3] = {"peak RSS", "RSS at the last tail checkpoint",
                                          "ops/s (higher is better)"};
    if (na < 2)
        return 0;
    char path[4096];
    snprintf(path, sizeof path, "%s/plots/relative.dat", dir);
    FILE *d = fopen(path, "w");
    if (!d)
        return -1;
    fprintf(d,
            "# workload, then per column: peak RSS, RSS at the last checkpoint, ops/s, each "
            "over %s's\n",
            als[0]);
    unsigned drawn[3] = {0, 0, 0}; /* values per panel: gnuplot rejects an all-NaN one */
    for (unsigned w = 0; w < nw; w++) {
        fprintf(d, "%s", wls[w]);
        for (int k = 0; k < 3; k++)
            for (unsigned a = 0; a < na; a++) {
                double r = relative_to_first(rows, n, wls[w], als, a, cols[k]);
                drawn[k] += r > 0;
                if (r > 0)
                    fprintf(d, " %.4f", r);
                else
                    fprintf(d, " NaN");
            }
        fputc('\n', d);
    }
    fclose(d);
    int panels = (drawn[0] > 0) + (drawn[1] > 0) + (drawn[2] > 0);
    if (panels == 0)
        return 0;
    snprintf(path, sizeof path, "%s/plots/relative.gp", dir);
    FILE *gp = fopen(path, "w");
    if (!gp)
        return -1;
    int width = 500 + 60 * (int)(nw * na);
    for (int pass = 0; pass < 2; pass++) {
        terminals(gp, "relative",
                  width < 1600   ? 1600
                  : width > 4000 ? 4000
                                 : width,
                  400 * panels, pass);
        fprintf(gp,
                "set style data histograms\n" /* NaN: a gap (as missing, a row would go) */
                "set style histogram clustered gap 1\nset style fill solid 0.85 border -1\n"
                "set grid ytics\nset yrange [0:*]\nset key outside right top vertical\n"
                "set xtics rotate by -30\nset arrow from graph 0, first 1 to graph 1, first 1 "
                "nohead lw 2 dt 2 lc rgb 'black' front\n"
                "set multiplot layout %d,1 title 'Each column over %s (dashed line: 1)'\n",
                panels, als[0]);
        for (int k = 0; k < 3; k++) {
            if (!drawn[k])
                continue;
            fprintf(gp, "set title '%s'\nplot ", titles[k]);
            for (unsigned a = 0; a < na; a++)
                fprintf(gp, "%s'relative.dat' using %u%s lc rgb '%s' title '%s'", a ? ", " : "",
                        2 + (unsigned)k * na + a, a == 0 ? ":xtic(1)" : "",
                        colours[a % (sizeof colours / sizeof colours[0])], als[a]);
            fprintf(gp, "\n");
        }
        fprintf(gp, "unset multiplot\n");
    }
    fclose(gp);
    return run_gnuplot(dir, "relative.gp");
}

/* Thread scaling of one threaded stress program (rows named "<base>-<N>t"): ops/s and peak RSS
 * against the thread count, a line per allocator, into plots/scaling-<base>.{svg,png}. */
static int plot_scaling(const char *dir, const bd_row_t *rows, size_t n, const char *base,
                        const char **als, unsigned na)
{
    char path[4096], name[64];
    snprintf(path, sizeof path, "%s/plots/scaling-%s.dat", dir, base);
    FILE *d = fopen(path, "w");
    if (!d)
        return -1;
    fprintf(d, "# threads, then per allocator: ops/s, peak RSS MiB (median)\n");
    unsigned points = 0, per_alloc[BD_MAX_ITEMS * 2] = {0};
    for (unsigned t = 0; t < bd_nthread_counts; t++) {
        snprintf(name, sizeof name, "%s-%ut", base, bd_thread_counts[t]);
        fprintf(d, "%u", bd_thread_counts[t]);
        for (unsigned a = 0; a < na; a++) {
            double ops, rss, mn, mx;
            bool got = bd_stat_column(rows, n, name, als[a], BD_ops_per_s, &ops, &mn, &mx) &&
                       bd_stat_column(rows, n, name, als[a], BD_max_rss, &rss, &mn, &mx);
            points += got;
            per_alloc[a] += got;
            if (got)
                fprintf(d, " %.1f %.2f", ops, rss / 1048576.0);
            else
                fprintf(d, " NaN NaN");
        }
        fputc('\n', d);
    }
    fclose(d);
    if (points == 0)
        return 0;
    snprintf(path, sizeof path, "%s/plots/scaling-%s.gp", dir, base);
    FILE *gp = fopen(path, "w");
    if (!gp)
        return -1;
    snprintf(name, sizeof name, "scaling-%s", base);
    static const char *const titles[2] = {"ops/s", "peak RSS (MiB)"};
    for (int pass = 0; pass < 2; pass++) {
        terminals(gp, name, 1200, 480, pass);
        fprintf(gp,
                "set datafile missing 'NaN'\nset grid\nset key below horizontal\n"
                "set logscale x 2\nset xrange [0.8:10]\nset xlabel 'threads'\n"
                "set xtics (1, 2, 4, 8)\n"
                "set yrange [0:*]\nset multiplot layout 1,2 title '%s: thread scaling'\n",
                base);
        for (int k = 0; k < 2; k++) {
            fprintf(gp, "set title '%s'\nplot ", titles[k]);
            bool first = true;
            for (unsigned a = 0; a < na; a++) {
                if (!per_alloc[a]) /* a column that does not run this program */
                    continue;
                fprintf(gp,
                        "%s'scaling-%s.dat' using 1:%u with linespoints lw 2 lc rgb '%s' "
                        "title '%s'",
                        first ? "" : ", ", base, 2 + 2 * a + (unsigned)k,
                        colours[a % (sizeof colours / sizeof colours[0])], als[a]);
                first = false;
            }
            fputc('\n', gp);
        }
        fprintf(gp, "unset multiplot\n");
    }
    fclose(gp);
    snprintf(path, sizeof path, "scaling-%s.gp", base);
    return run_gnuplot(dir, path);
}

int bd_plot(const char *dir, const bd_row_t *rows, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/plots", dir);
    if (bd_mkdir_p(path) != 0)
        return -1;
    snprintf(path, sizeof path, "%s/plots/gnuplot.log", dir);
    remove(path); /* each report starts a fresh log */
    const char *wls[BD_MAX_ITEMS * 2], *als[BD_MAX_ITEMS * 2];
    unsigned nw = bd_distinct(rows, n, false, wls, BD_MAX_ITEMS * 2);
    unsigned na = bd_distinct(rows, n, true, als, BD_MAX_ITEMS * 2);
    int rc = 0;
    for (unsigned w = 0; w < nw; w++) {
        if (!bd_has_timeline(rows, n, wls[w])) /* a stress program: its scaling plot */
            continue;
        rc |= plot_rss(dir, rows, n, wls[w], als, na, false);
        rc |= plot_rss(dir, rows, n, wls[w], als, na, true);
    }
    rc |= plot_ratios(dir, rows, n, wls, nw, als, na);
    rc |= plot_relative(dir, rows, n, wls, nw, als, na);
    for (unsigned i = 0; i < bd_nworkloads; i++)
        if (bd_workloads[i].threaded)
            rc |= plot_scaling(dir, rows, n, bd_workloads[i].name, als, na);
    snprintf(path, sizeof path, "%s/plots/gnuplot.log", dir);
    struct stat st;
    if (stat(path, &st) == 0 && st.st_size == 0)
        remove(path); /* keep the log only when gnuplot had something to say */
    return rc ? -1 : 0;
}
