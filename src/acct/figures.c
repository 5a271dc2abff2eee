/*
 * src/acct/figures.c: the memory figures as text and back: timeseries.csv's columns (written by
 * the library every interval, read by the driver for killed programs, plots and `report DIR`)
 * and the ratios of flatline/mem.h. Pure functions of the core (no allocation, no state).
 *
 * The breakdown's columns come from FL_MEM_BYTES, in its order, so the time series names its
 * fields as INFO, MEMORY STATS and the bench do; readers map columns by name, so a file written
 * before a field was added still parses (the missing figure reads as unknown, -1).
 */
#include "acct_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FIGURE_COLUMN_(field, name, doc) {name, offsetof(acct_figures_t, field)},
const acct_column_t acct_columns[] = {
    {"t_s", offsetof(acct_figures_t, t)},
    FL_MEM_BYTES(FIGURE_COLUMN_){"usable", offsetof(acct_figures_t, usable)},
    {"blocks", offsetof(acct_figures_t, blocks)},
    {"allocs", offsetof(acct_figures_t, allocs)},
    {"frees", offsetof(acct_figures_t, frees)},
};
#undef FIGURE_COLUMN_
const int acct_ncolumns = (int)(sizeof acct_columns / sizeof acct_columns[0]);
_Static_assert(sizeof acct_columns / sizeof acct_columns[0] < 64, "acct_csv_map holds 64");

static int64_t *column_of(acct_figures_t *f, int i)
{
    return (int64_t *)(void *)((char *)f + acct_columns[i].offset);
}

size_t acct_csv_header(char *buf, size_t cap)
{
    size_t n = 0;
    for (int i = 0; i < acct_ncolumns && n + 1 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? "," : "", acct_columns[i].name);
    if (n + 1 < cap)
        buf[n++] = '\n';
    buf[n < cap ? n : cap - 1] = 0;
    return n < cap ? n : cap - 1;
}

size_t acct_csv_line(char *buf, size_t cap, const acct_figures_t *f)
{
    acct_figures_t copy = *f;
    int w = snprintf(buf, cap, "%.3f", f->t);
    size_t n = w > 0 && (size_t)w < cap ? (size_t)w : 0;
    for (int i = 1; i < acct_ncolumns && n + 24 < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, ",%lld", (long long)*column_of(&copy, i));
    if (n + 1 < cap)
        buf[n++] = '\n';
    buf[n < cap ? n : cap - 1] = 0;
    return n < cap ? n : cap - 1;
}

int acct_csv_map(const char *header, int map[64])
{
    int ncols = 0, have_t = 0;
    const char *p = header;
    while (*p && *p != '\n' && ncols < 64) {
        size_t len = strcspn(p, ",\n\r");
        map[ncols] = -1;
        for (int i = 0; i < acct_ncolumns; i++)
            if (strlen(acct_columns[i].name) == len && !strncmp(p, acct_columns[i].name, len))
                map[ncols] = i;
        have_t |= map[ncols] == 0;
        ncols++;
        p += len;
        if (*p == ',')
            p++;
    }
    return have_t ? ncols : -1;
}

int acct_csv_parse(const char *line, const int map[64], int ncols, acct_figures_t *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 1; i < acct_ncolumns; i++)
        *column_of(f, i) = -1;
    f->mapped = -1;
    const char *p = line;
    for (int c = 0; c < ncols; c++) {
        char *end;
        double v = strtod(p, &end);
        if (end == p)
            return -1;
        if (map[c] == 0)
            f->t = v;
        else if (map[c] > 0)
            *column_of(f, map[c]) = (int64_t)v;
        p = end;
        if (c + 1 < ncols && *p++ != ',')
            return -1;
    }
    return 0;
}

int64_t acct_figure(const acct_figures_t *f, const char *name, size_t len)
{
#define FIGURE_BY_NAME_(field, fname, doc)                                                         \
    if (strlen(fname) == len && !strncmp(name, fname, len))                                        \
        return f->field;
    FL_MEM_BYTES(FIGURE_BY_NAME_)
#undef FIGURE_BY_NAME_
    return -1;
}

double acct_ratio(const acct_figures_t *f, const char *formula)
{
    const char *slash = strchr(formula, '/');
    if (!slash)
        return -1;
    int64_t a = acct_figure(f, formula, (size_t)(slash - formula));
    int64_t b = acct_figure(f, slash + 1, strlen(slash + 1));
    if (a < 0 || b < 0)
        return -1;
    return b == 0 ? 1.0 : (double)a / (double)b;
}
