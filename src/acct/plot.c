/*
 * src/acct/plot.c: draws the time series (timeseries.csv, monitor.c's columns) as plot.svg and
 * plot.png with gnuplot, when it is installed. gnuplot runs without a shell, in the output
 * directory, and the script names every file relative to it: the directory's own name (which
 * may hold quotes or spaces) appears neither in a command line nor in the script.
 */
#include "driver_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>

/* Writes the gnuplot script into path: the same plot once as SVG, once as PNG. */
static int write_script(const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    static const char *const outputs[][2] = {{"svg", "plot.svg"}, {"png", "plot.png"}};
    for (int i = 0; i < 2; i++)
        fprintf(f,
                "set datafile separator ','\nf='timeseries.csv'\nM=1048576.0\n"
                "set key autotitle columnhead\nset key left top\n"
                "set xlabel 'seconds'\nset ylabel 'MiB'\nset title 'flatline-acct: memory'\n"
                "set terminal %s size 900,500\nset output '%s'\n"
                "plot f u 1:($2/M) w l lw 2 t 'requested', f u 1:($3/M) w l t 'usable', "
                "f u 1:($9<0?NaN:$9/M) w l t 'active', f u 1:($10<0?NaN:$10/M) w l "
                "t 'resident', f u 1:($7/M) w l lw 2 t 'RSS'\n",
                outputs[i][0], outputs[i][1]);
    return fclose(f) == 0 ? 0 : -EIO;
}

int drv_plot(const char *dir)
{
    char gnuplot[PATH_MAX], script[PATH_MAX + 16];
    if (drv_find_program("gnuplot", gnuplot, sizeof gnuplot) != 0)
        return -ENOENT;
    snprintf(script, sizeof script, "%s/plot.gp", dir);
    int rc = write_script(script);
    if (rc)
        return rc;
    char *argv[] = {gnuplot, "plot.gp", NULL};
    pid_t pid = drv_spawn(argv, dir, NULL);
    if (pid < 0)
        return (int)pid;
    return drv_wait(pid) == 0 ? 0 : -EIO;
}
