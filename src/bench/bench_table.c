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
    double div;      /* 1 for ratios and counts, MiB for bytes */
    const char *fmt; /* printf format of one number */
} colspec_t;

static const colspec_t main_cols[] = {
    {"ops/s", BD_ops_per_s, 1, "%.0f"},
    {"RSS/live at peak", BD_frag_at_peak, 1, "%.2f"},
    {"peak RSS/peak live", BD_peak_ratio, 1, "%.2f"},
    {"peak RSS MiB", BD_max_rss, MiB, "%.0f"},
    {"live after delete MiB", BD_live_after_delete, MiB, "%.1f"},
    {"RSS +1s MiB", BD_rss_tail1, MiB, "%.0f"},
    {"RSS +10s MiB", BD_rss_tail2, MiB, "%.0f"},
    {"RSS +30s MiB", BD_rss_tail3, MiB, "%.0f"},
};

static void cell(char *buf, size_t len, const colspec_t *c, const bd_row_t *rows, size_t n,
                 const char *wl, const char *al, bool spread)
{
    double md, mn, mx;
    unsigned k = bd_stat_column(rows, n, wl, al, c->col, &md, &mn, &mx);
    if (k == 0) {
        snprintf(buf, len, "-");
        return;
    }
    char a[32], b[32], m[32];
    snprintf(m, sizeof m, c->fmt, md / c->div);
    if (!spread || k < 2) {
        snprintf(buf, len, "%s", m);
        return;
    }
    snprintf(a, sizeof a, c->fmt, mn / c->div);
    snprintf(b, sizeof b, c->fmt, mx / c->div);
    snprintf(buf, len, "%s [%s-%s]", m, a, b);
}

static void print_generic(FILE *f, const bd_row_t *rows, size_t n, bool md, const colspec_t *cols,
                          size_t ncols, bool vs_glibc, bool spread)
{
    const char *wls[BD_MAX_ITEMS * 2], *als[BD_MAX_ITEMS * 2];
    unsigned nw = bd_distinct(rows, n, false, wls, BD_MAX_ITEMS * 2);
    unsigned na = bd_distinct(rows, n, true, als, BD_MAX_ITEMS * 2);
    if (md) {
        fprintf(f, "| workload | allocator |");
        for (size_t c = 0; c < ncols; c++)
            fprintf(f, " %s |", cols[c].title);
        if (vs_glibc)
            fprintf(f, " ops/s vs glibc |");
        fprintf(f, "\n| --- | --- |");
        for (size_t c = 0; c < ncols + (vs_glibc ? 1 : 0); c++)
            fprintf(f, " ---: |");
        fputc('\n', f);
    } else {
        fprintf(f, "%-13s %-9s", "workload", "allocator");
        for (size_t c = 0; c < ncols; c++)
            fprintf(f, " %22s", cols[c].title);
        if (vs_glibc)
            fprintf(f, " %8s", "vs glibc");
        fputc('\n', f);
    }
    for (unsigned w = 0; w < nw; w++)
        for (unsigned a = 0; a < na; a++) {
            double x, y, z;
            if (bd_stat_column(rows, n, wls[w], als[a], BD_ops_per_s, &x, &y, &z) == 0) {
                bool any = false;
                for (size_t i = 0; i < n; i++)
                    any |= strcmp(rows[i].workload, wls[w]) == 0 &&
                           strcmp(rows[i].allocator, als[a]) == 0;
                if (any)
                    fprintf(f, md ? "| %s | %s | failed |\n" : "%-13s %-9s failed\n", wls[w],
                            als[a]);
                continue;
            }
            fprintf(f, md ? "| %s | %s |" : "%-13s %-9s", wls[w], als[a]);
            for (size_t c = 0; c < ncols; c++) {
                char buf[160];
                cell(buf, sizeof buf, &cols[c], rows, n, wls[w], als[a], spread);
                fprintf(f, md ? " %s |" : " %22s", buf);
            }
            if (vs_glibc) {
                double g, gmn, gmx, v, vmn, vmx;
                char buf[32] = "-";
                if (bd_stat_column(rows, n, wls[w], "glibc", BD_ops_per_s, &g, &gmn, &gmx) &&
                    bd_stat_column(rows, n, wls[w], als[a], BD_ops_per_s, &v, &vmn, &vmx) && g > 0)
                    snprintf(buf, sizeof buf, "%.2fx", v / g);
                fprintf(f, md ? " %s |" : " %8s", buf);
            }
            fputc('\n', f);
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
