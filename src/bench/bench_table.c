/*
 * bench_table.c: the results as a table, for the terminal or as Markdown. Every cell is the
 * median over the repeats that succeeded; the spread (min-max) follows in brackets. Pure
 * formatting: reads rows, writes text, keeps no state.
 */
#include "bench.h"

#include <string.h>

#define MiB 1048576.0

typedef struct colspec {
    const char *title;
    int col;
    double div;      /* 1 for ratios, MiB for bytes, 0 for rates (k/M suffixes) */
    const char *fmt; /* printf format of one number */
} colspec_t;

static const colspec_t main_cols[] = {
    {"ops/s", BD_ops_per_s, 0, ""},
    {"RSS/live at peak", BD_frag_at_peak, 1, "%.2f"},
    {"peak RSS/peak live", BD_peak_ratio, 1, "%.2f"},
    {"peak RSS MiB", BD_max_rss, MiB, "%.0f"},
    {"live after delete MiB", BD_live_after_delete, MiB, "%.1f"},
    {"RSS +1s MiB", BD_rss_tail1, MiB, "%.0f"},
    {"RSS +10s MiB", BD_rss_tail2, MiB, "%.0f"},
    {"RSS +30s MiB", BD_rss_tail3, MiB, "%.0f"},
};

/* One number: div 0 means a rate, shown with k/M suffixes (1.23M). */
static void fmt_num(char *buf, size_t len, const colspec_t *c, double v)
{
    if (c->div > 0)
        snprintf(buf, len, c->fmt, v / c->div);
    else if (v >= 1e6)
        snprintf(buf, len, "%.2fM", v / 1e6);
    else if (v >= 1e3)
        snprintf(buf, len, "%.1fk", v / 1e3);
    else
        snprintf(buf, len, "%.0f", v);
}

static void cell(char *buf, size_t len, const colspec_t *c, const bd_row_t *rows, size_t n,
                 const char *wl, const char *al, bool spread)
{
    double md, mn, mx;
    unsigned k = bd_stat_column(rows, n, wl, al, c->col, &md, &mn, &mx);
    if (k == 0) {
        snprintf(buf, len, "-");
        return;
    }
    char a[24], b[24], m[24];
    fmt_num(m, sizeof m, c, md);
    if (!spread || k < 2) {
        snprintf(buf, len, "%s", m);
        return;
    }
    fmt_num(a, sizeof a, c, mn);
    fmt_num(b, sizeof b, c, mx);
    snprintf(buf, len, "%s [%s-%s]", m, a, b);
}

#define MAXCOLS 16
#define MAXROWS 256

static void print_generic(FILE *f, const bd_row_t *rows, size_t n, bool md, const colspec_t *cols,
                          size_t ncols, bool vs_glibc, bool spread)
{
    const char *wls[BD_MAX_ITEMS * 2], *als[BD_MAX_ITEMS * 2];
    unsigned nw = bd_distinct(rows, n, false, wls, BD_MAX_ITEMS * 2);
    unsigned na = bd_distinct(rows, n, true, als, BD_MAX_ITEMS * 2);
    /* Build every cell first, so the terminal columns can be as wide as their content. */
    static char cells[MAXROWS][MAXCOLS][96];
    size_t nc = 2 + ncols + (vs_glibc ? 1 : 0), nr = 1;
    if (nc > MAXCOLS)
        nc = MAXCOLS;
    snprintf(cells[0][0], 96, "workload");
    snprintf(cells[0][1], 96, "allocator");
    for (size_t c = 0; c + 2 < nc; c++)
        snprintf(cells[0][c + 2], 96, "%s", c < ncols ? cols[c].title : "ops/s vs glibc");
    for (unsigned w = 0; w < nw; w++)
        for (unsigned a = 0; a < na && nr < MAXROWS; a++) {
            bool any = false;
            for (size_t i = 0; i < n; i++)
                any |=
                    strcmp(rows[i].workload, wls[w]) == 0 && strcmp(rows[i].allocator, als[a]) == 0;
            if (!any)
                continue;
            char(*row)[96] = cells[nr++];
            snprintf(row[0], 96, "%s", wls[w]);
            snprintf(row[1], 96, "%s", als[a]);
            double x, y, z;
            bool ok = bd_stat_column(rows, n, wls[w], als[a], BD_ops_per_s, &x, &y, &z) > 0;
            for (size_t c = 0; c + 2 < nc; c++) {
                if (!ok) {
                    snprintf(row[c + 2], 96, c == 0 ? "failed" : "");
                } else if (c < ncols) {
                    cell(row[c + 2], 96, &cols[c], rows, n, wls[w], als[a], spread);
                } else {
                    double g, gmn, gmx;
                    snprintf(row[c + 2], 96, "-");
                    if (bd_stat_column(rows, n, wls[w], "glibc", BD_ops_per_s, &g, &gmn, &gmx) &&
                        g > 0)
                        snprintf(row[c + 2], 96, "%.2fx", x / g);
                }
            }
        }
    size_t width[MAXCOLS] = {0};
    for (size_t r = 0; r < nr; r++)
        for (size_t c = 0; c < nc; c++)
            if (strlen(cells[r][c]) > width[c])
                width[c] = strlen(cells[r][c]);
    for (size_t r = 0; r < nr; r++) {
        for (size_t c = 0; c < nc; c++) {
            if (md)
                fprintf(f, "| %s ", cells[r][c]);
            else if (c < 2)
                fprintf(f, "%-*s  ", (int)width[c], cells[r][c]);
            else
                fprintf(f, "%*s  ", (int)width[c], cells[r][c]);
        }
        fprintf(f, md ? "|\n" : "\n");
        if (md && r == 0) {
            for (size_t c = 0; c < nc; c++)
                fprintf(f, c < 2 ? "| --- " : "| ---: ");
            fprintf(f, "|\n");
        }
    }
}

void bd_print_table(FILE *f, const bd_row_t *rows, size_t n, bool markdown)
{
    print_generic(f, rows, n, markdown, main_cols, sizeof main_cols / sizeof main_cols[0], true,
                  true);
}

void bd_print_breakdown(FILE *f, const bd_row_t *rows, size_t n, bool markdown)
{
    static const colspec_t cols[] = {
        {"requested", BD_pk_requested, MiB, "%.1f"}, {"allocated", BD_pk_allocated, MiB, "%.1f"},
        {"active", BD_pk_active, MiB, "%.1f"},       {"resident", BD_pk_resident, MiB, "%.1f"},
        {"dirty", BD_pk_dirty, MiB, "%.1f"},         {"retained", BD_pk_retained, MiB, "%.1f"},
        {"RSS", BD_rss_sync_peak, MiB, "%.1f"},      {"tail resident", BD_tl_resident, MiB, "%.1f"},
        {"tail dirty", BD_tl_dirty, MiB, "%.1f"},    {"tail RSS", BD_rss_tail3, MiB, "%.1f"},
    };
    print_generic(f, rows, n, markdown, cols, sizeof cols / sizeof cols[0], false, false);
}

void bd_print_rusage(FILE *f, const bd_row_t *rows, size_t n, bool markdown)
{
    /* Counts use the rate format (k/M suffixes); CPU is shown in seconds. */
    static const colspec_t cols[] = {
        {"user CPU s", BD_user_ms, 1000.0, "%.2f"}, {"sys CPU s", BD_sys_ms, 1000.0, "%.2f"},
        {"minor faults", BD_minflt, 0, ""},         {"major faults", BD_majflt, 0, ""},
        {"voluntary cs", BD_nvcsw, 0, ""},          {"involuntary cs", BD_nivcsw, 0, ""},
    };
    print_generic(f, rows, n, markdown, cols, sizeof cols / sizeof cols[0], false, true);
}

/* The allocator of workload wl whose median of col is lowest (or highest); its median in *best.
 * NULL when no run of wl knows col. */
static const char *best_of(const bd_row_t *rows, size_t n, const char *wl, const char **als,
                           unsigned na, int col, bool highest, double *best)
{
    const char *who = NULL;
    for (unsigned a = 0; a < na; a++) {
        double md, mn, mx;
        if (!bd_stat_column(rows, n, wl, als[a], col, &md, &mn, &mx))
            continue;
        if (!who || (highest ? md > *best : md < *best)) {
            who = als[a];
            *best = md;
        }
    }
    return who;
}

void bd_print_best(FILE *f, const bd_row_t *rows, size_t n, bool markdown)
{
    static const struct {
        const char *title;
        int col;
        bool highest;
        colspec_t fmt;
    } measures[] = {
        {"least peak RSS", BD_max_rss, false, {"", BD_max_rss, MiB, "%.1f MiB"}},
        {"least RSS at the end", BD_rss_tail3, false, {"", BD_rss_tail3, MiB, "%.1f MiB"}},
        {"most ops/s", BD_ops_per_s, true, {"", BD_ops_per_s, 0, ""}},
    };
    const char *wls[BD_MAX_ITEMS * 2], *als[BD_MAX_ITEMS * 2];
    unsigned nw = bd_distinct(rows, n, false, wls, BD_MAX_ITEMS * 2);
    unsigned na = bd_distinct(rows, n, true, als, BD_MAX_ITEMS * 2);
    if (markdown)
        fprintf(f, "| workload | least peak RSS | least RSS at the end | most ops/s |\n"
                   "| --- | --- | --- | --- |\n");
    for (unsigned w = 0; w < nw; w++) {
        fprintf(f, markdown ? "| %s " : "%-18s", wls[w]);
        for (size_t m = 0; m < sizeof measures / sizeof measures[0]; m++) {
            double v = 0;
            char num[32], cellbuf[80];
            const char *who =
                best_of(rows, n, wls[w], als, na, measures[m].col, measures[m].highest, &v);
            if (who) {
                fmt_num(num, sizeof num, &measures[m].fmt, v);
                snprintf(cellbuf, sizeof cellbuf, "%s (%s)", who, num);
            } else {
                snprintf(cellbuf, sizeof cellbuf, "-");
            }
            if (markdown)
                fprintf(f, "| %s ", cellbuf);
            else
                fprintf(f, "  %s: %-28s", measures[m].title, cellbuf);
        }
        fprintf(f, markdown ? "|\n" : "\n");
    }
}
