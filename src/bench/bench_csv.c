/*
 * bench_csv.c: runs.csv, the one file every later step (table, plots, report) reads, and the
 * statistics over repeats. Format: a header line, then one line per run; fields never contain
 * commas (the error text has them replaced), numbers are plain decimals, -1 means unknown.
 * summary.csv holds median, min and max per (workload, allocator) and numeric column.
 */
#include "bench.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define BD_NAME(c) #c,
const char *const bd_num_names[BD_NNUM] = {BD_NUM_COLUMNS(BD_NAME)};
#undef BD_NAME

int bd_csv_write_header(FILE *f)
{
    fprintf(f, "workload,allocator,repeat,ok,ident,version,strategy");
    for (int i = 0; i < BD_NNUM; i++)
        fprintf(f, ",%s", bd_num_names[i]);
    fprintf(f, ",error\n");
    return ferror(f) ? -EIO : 0;
}

int bd_csv_write_row(FILE *f, const bd_row_t *r)
{
    fprintf(f, "%s,%s,%u,%d,%s,%s,%s", r->workload, r->allocator, r->repeat, r->ok ? 1 : 0,
            r->ident[0] ? r->ident : "-", r->version[0] ? r->version : "-",
            r->strategy[0] ? r->strategy : "-");
    for (int i = 0; i < BD_NNUM; i++) {
        double v = r->v[i];
        if (v == (double)(long long)v)
            fprintf(f, ",%lld", (long long)v);
        else
            fprintf(f, ",%.4f", v);
    }
    fputc(',', f);
    for (const char *p = r->error; *p; p++)
        fputc(*p == ',' || *p == '\n' ? ';' : *p, f);
    fputc('\n', f);
    return ferror(f) ? -EIO : 0;
}

/* Splits line at commas in place; returns the number of fields. */
static int split(char *line, char **field, int max)
{
    int n = 0;
    char *p = line;
    while (n < max) {
        field[n++] = p;
        char *c = strchr(p, ',');
        if (!c)
            break;
        *c = '\0';
        p = c + 1;
    }
    return n;
}

int bd_csv_read(const char *dir, bd_row_t **rows, size_t *nrows)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    FILE *f = fopen(path, "r");
    *rows = NULL;
    *nrows = 0;
    if (!f) {
        int e = errno;
        fprintf(stderr,
                "flatline-bench: cannot read %s: %s (run `flatline-bench run --out %s` "
                "first)\n",
                path, strerror(e), dir);
        return -e;
    }
    char line[8192];
    int col[BD_NNUM];
    int ncols = 0;
    char *field[128];
    size_t cap = 0;
    int rc = 0;
    if (!fgets(line, sizeof line, f)) {
        fclose(f);
        fprintf(stderr, "flatline-bench: %s is empty\n", path);
        return -EINVAL;
    }
    line[strcspn(line, "\r\n")] = '\0';
    ncols = split(line, field, 128);
    /* Map columns by name, so older files with fewer columns still read. */
    for (int i = 0; i < BD_NNUM; i++) {
        col[i] = -1;
        for (int k = 0; k < ncols; k++)
            if (strcmp(field[k], bd_num_names[i]) == 0)
                col[i] = k;
    }
    int errcol = -1;
    for (int k = 0; k < ncols; k++)
        if (strcmp(field[k], "error") == 0)
            errcol = k;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (!line[0])
            continue;
        int n = split(line, field, 128);
        if (n < 7) {
            fprintf(stderr, "flatline-bench: %s: malformed line skipped\n", path);
            continue;
        }
        if (*nrows == cap) {
            size_t ncap = cap ? cap * 2 : 64;
            bd_row_t *nr = realloc(*rows, ncap * sizeof *nr);
            if (!nr) {
                rc = -ENOMEM;
                break;
            }
            *rows = nr;
            cap = ncap;
        }
        bd_row_t *r = &(*rows)[(*nrows)++];
        memset(r, 0, sizeof *r);
        snprintf(r->workload, sizeof r->workload, "%s", field[0]);
        snprintf(r->allocator, sizeof r->allocator, "%s", field[1]);
        r->repeat = (unsigned)strtoul(field[2], NULL, 10);
        r->ok = strcmp(field[3], "1") == 0;
        snprintf(r->ident, sizeof r->ident, "%s", field[4]);
        snprintf(r->version, sizeof r->version, "%s", field[5]);
        snprintf(r->strategy, sizeof r->strategy, "%s", field[6]);
        for (int i = 0; i < BD_NNUM; i++)
            r->v[i] = (col[i] >= 0 && col[i] < n) ? strtod(field[col[i]], NULL) : -1;
        if (errcol >= 0 && errcol < n)
            snprintf(r->error, sizeof r->error, "%s", field[errcol]);
    }
    fclose(f);
    return rc;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

unsigned bd_stat_column(const bd_row_t *rows, size_t n, const char *wl, const char *al, int col,
                        double *median, double *min, double *max)
{
    double vals[256];
    unsigned k = 0;
    for (size_t i = 0; i < n && k < 256; i++)
        if (rows[i].ok && strcmp(rows[i].workload, wl) == 0 && strcmp(rows[i].allocator, al) == 0 &&
            rows[i].v[col] >= 0)
            vals[k++] = rows[i].v[col];
    if (k == 0) {
        *median = *min = *max = -1;
        return 0;
    }
    qsort(vals, k, sizeof vals[0], cmp_double);
    *median = k % 2 ? vals[k / 2] : (vals[k / 2 - 1] + vals[k / 2]) / 2.0;
    *min = vals[0];
    *max = vals[k - 1];
    return k;
}

unsigned bd_distinct(const bd_row_t *rows, size_t n, bool allocators, const char **out,
                     unsigned max)
{
    unsigned k = 0;
    for (size_t i = 0; i < n; i++) {
        const char *name = allocators ? rows[i].allocator : rows[i].workload;
        bool seen = false;
        for (unsigned j = 0; j < k; j++)
            seen |= strcmp(out[j], name) == 0;
        if (!seen && k < max)
            out[k++] = name;
    }
    return k;
}

int bd_write_summary(const char *dir, const bd_row_t *rows, size_t n)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) {
        int e = errno;
        fprintf(stderr, "flatline-bench: cannot write %s: %s\n", path, strerror(e));
        return -e;
    }
    const char *wls[BD_MAX_ITEMS * 2], *als[BD_MAX_ITEMS * 2];
    unsigned nw = bd_distinct(rows, n, false, wls, BD_MAX_ITEMS * 2);
    unsigned na = bd_distinct(rows, n, true, als, BD_MAX_ITEMS * 2);
    fprintf(f, "workload,allocator,runs");
    for (int c = 0; c < BD_NNUM; c++)
        fprintf(f, ",%s,%s_min,%s_max", bd_num_names[c], bd_num_names[c], bd_num_names[c]);
    fputc('\n', f);
    for (unsigned w = 0; w < nw; w++)
        for (unsigned a = 0; a < na; a++) {
            double md, mn, mx;
            unsigned runs = bd_stat_column(rows, n, wls[w], als[a], BD_ops_per_s, &md, &mn, &mx);
            if (runs == 0)
                continue;
            fprintf(f, "%s,%s,%u", wls[w], als[a], runs);
            for (int c = 0; c < BD_NNUM; c++) {
                bd_stat_column(rows, n, wls[w], als[a], c, &md, &mn, &mx);
                fprintf(f, ",%.4f,%.4f,%.4f", md, mn, mx);
            }
            fputc('\n', f);
        }
    int rc = ferror(f) ? -EIO : 0;
    fclose(f);
    return rc;
}

void bd_series_path(char *buf, size_t len, const char *dir, const char *wl, const char *al,
                    unsigned repeat)
{
    snprintf(buf, len, "%s/series/%s-%s-r%u.csv", dir, wl, al, repeat);
}
