/*
 * src/acct/plot.c: draws one process's findings as plot.svg and plot.png with gnuplot, when it
 * is installed: above, the process's memory over time (timeseries.csv, columns found by their
 * names); below, the estimated live bytes of the top call sites of its report (sites.csv), each
 * named by its innermost function; leak-watch events (events.log) as dashed vertical lines on
 * both, the legend outside the plot. gnuplot runs without a shell, in the output directory, and
 * the script names every file relative to it: the directory's own name (which may hold quotes or
 * spaces) appears neither in a command line nor in the script; function names are written with
 * their quotes removed.
 */
#include "driver_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PLOT_SITES 5
#define PLOT_EVENTS 16

typedef struct plot_site {
    unsigned id;
    char name[80];
} plot_site_t;

/* The report's top sites (id and innermost function). Returns how many. */
static int top_sites(const char *report, plot_site_t *out)
{
    FILE *f = fopen(report, "r");
    if (!f)
        return 0;
    char line[4096];
    int n = 0, want_frame = 0;
    while (fgets(line, sizeof line, f) && n <= PLOT_SITES) {
        unsigned rank, id;
        if (sscanf(line, "  #%u site %u:", &rank, &id) == 2) {
            if (n == PLOT_SITES)
                break;
            out[n].id = id;
            snprintf(out[n].name, sizeof out[n].name, "site %u", id);
            n++;
            want_frame = 1;
        } else if (want_frame && !strncmp(line, "      at ", 9)) {
            size_t len = strcspn(line + 9, " \n");
            snprintf(out[n - 1].name, sizeof out[n - 1].name, "#%u %.*s", out[n - 1].id,
                     (int)(len < 60 ? len : 60), line + 9);
            want_frame = 0;
        }
    }
    fclose(f);
    for (int i = 0; i < n; i++)
        for (char *p = out[i].name; *p; p++)
            if (*p == '\'' || *p == '"' || *p == '\\')
                *p = '_';
    return n;
}

/* Times of the leak-watch events and whether each was a "possible leak". Returns how many. */
static int events_of(const char *log, double *t, int *leak)
{
    FILE *f = fopen(log, "r");
    if (!f)
        return 0;
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f) && n < PLOT_EVENTS)
        if (sscanf(line, "t=%lfs", &t[n]) == 1) {
            leak[n] = strstr(line, "possible leak") != NULL;
            n++;
        }
    fclose(f);
    return n;
}

/* Rewrites sites.csv (the top sites of each interval, mixed) as one gnuplot data block per
 * chosen site ("t live error" lines, blocks separated by two blank lines), so that each curve is
 * drawn unbroken. Returns the last time seen, or -1. */
static double site_blocks(const char *csv, const char *out, const plot_site_t *sites, int n)
{
    FILE *in = fopen(csv, "r"), *o = in ? fopen(out, "w") : NULL;
    double tmax = -1;
    if (!o) {
        if (in)
            fclose(in);
        return -1;
    }
    char line[256];
    for (int i = 0; i < n; i++) {
        rewind(in);
        fprintf(o, "# %s\n", sites[i].name);
        while (fgets(line, sizeof line, in)) {
            double t, live, err;
            unsigned id;
            if (sscanf(line, "%lf,%u,%lf,%lf", &t, &id, &live, &err) != 4)
                continue;
            if (t > tmax)
                tmax = t;
            if (id == sites[i].id)
                fprintf(o, "%.3f %.0f %.0f\n", t, live, err);
        }
        fprintf(o, "\n\n");
    }
    fclose(in);
    fclose(o);
    return tmax;
}

/* Writes the gnuplot script for the process with file prefix `prefix` into path. */
static int write_script(const char *path, const char *prefix, const plot_site_t *sites, int nsites,
                        const double *ev_t, const int *ev_leak, int nev, double tmax)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    static const char *const outputs[][2] = {{"svg", "plot.svg"}, {"pngcairo", "plot.png"}};
    for (int o = 0; o < 2; o++) {
        fprintf(f, "set terminal %s size 1000,%d noenhanced\nset output '%s%s'\n", outputs[o][0],
                nsites ? 800 : 450, prefix, outputs[o][1]);
        fprintf(f, "set datafile separator ','\nset datafile columnheaders\nM=1048576.0\n"
                   "set key outside right top\nset grid\nset xlabel 'seconds'\n"
                   "set ylabel 'MiB'\nunset arrow\n");
        if (tmax > 0)
            fprintf(f, "set xrange [0:%.3f]\n", tmax);
        for (int i = 0; i < nev; i++)
            fprintf(f, "set arrow from %.3f, graph 0 to %.3f, graph 1 nohead dt 2 lc rgb '%s'\n",
                    ev_t[i], ev_t[i], ev_leak[i] ? "red" : "gray50");
        if (nsites)
            fprintf(f, "set multiplot layout 2,1\n");
        fprintf(f,
                "set title 'process memory (dashed: leak watch, red = possible leak, gray = never "
                "mind)'\n"
                "f='%stimeseries.csv'\n"
                "plot f u 1:(column('requested')/M) w l lw 2 t 'requested (exact)', "
                "f u 1:(column('usable')/M) w l t 'usable (exact)', "
                "f u 1:(column('active')<0?NaN:column('active')/M) w l t 'active', "
                "f u 1:(column('resident')<0?NaN:column('resident')/M) w l t 'resident', "
                "f u 1:(column('rss')/M) w l lw 2 t 'RSS'\n",
                prefix);
        if (!nsites)
            continue;
        fprintf(f,
                "set title 'top call sites: estimated live bytes, shaded 95 %% bound'\n"
                "set datafile separator whitespace\ns='%splot-sites.dat'\nplot ",
                prefix);
        for (int i = 0; i < nsites; i++)
            fprintf(f,
                    "%ss index %d u 1:(($2-$3)/M):(($2+$3)/M) w filledcurves "
                    "fs transparent solid 0.15 lc %d notitle, "
                    "s index %d u 1:($2/M) w l lw 2 lc %d t '%s'",
                    i ? ", " : "", i, i + 1, i, i + 1, sites[i].name);
        fprintf(f, "\nunset multiplot\n");
    }
    return fclose(f) == 0 ? 0 : -EIO;
}

int drv_plot(const char *dir, const char *prefix)
{
    char gnuplot[PATH_MAX], script[PATH_MAX + 64], file[PATH_MAX + 64], name[80];
    if (drv_find_program("gnuplot", gnuplot, sizeof gnuplot) != 0)
        return -ENOENT;
    plot_site_t sites[PLOT_SITES];
    double ev_t[PLOT_EVENTS];
    int ev_leak[PLOT_EVENTS];
    snprintf(file, sizeof file, "%s/%sreport.txt", dir, prefix);
    int nsites = top_sites(file, sites);
    char blocks[PATH_MAX + 64];
    snprintf(file, sizeof file, "%s/%ssites.csv", dir, prefix);
    snprintf(blocks, sizeof blocks, "%s/%splot-sites.dat", dir, prefix);
    double tmax = site_blocks(file, blocks, sites, nsites);
    if (tmax < 0)
        nsites = 0; /* an older run without per-site curves */
    snprintf(file, sizeof file, "%s/%sevents.log", dir, prefix);
    int nev = events_of(file, ev_t, ev_leak);
    snprintf(name, sizeof name, "%splot.gp", prefix);
    snprintf(script, sizeof script, "%s/%s", dir, name);
    int rc = write_script(script, prefix, sites, nsites, ev_t, ev_leak, nev, tmax);
    if (rc)
        return rc;
    char *argv[] = {gnuplot, name, NULL};
    pid_t pid = drv_spawn(argv, dir, NULL);
    if (pid < 0)
        return (int)pid;
    return drv_wait(pid) == 0 ? 0 : -EIO;
}
