/*
 * test_csv.c: white-box tests of bench_csv.c: runs.csv round trip (every column, unknown values,
 * commas in error text), median/min/max over repeats (odd and even counts, failed runs and
 * unknown values left out), distinct names in order, and summary.csv.
 */
#include "../testhelper.h"

#include <math.h>
#include <unistd.h>

#include "bench.h"

static char dir[] = "/tmp/flatline-bench-csv-XXXXXX";

static bd_row_t mk(const char *wl, const char *al, unsigned rep, bool ok, double ops)
{
    bd_row_t r;
    memset(&r, 0, sizeof r);
    snprintf(r.workload, sizeof r.workload, "%s", wl);
    snprintf(r.allocator, sizeof r.allocator, "%s", al);
    r.repeat = rep;
    r.ok = ok;
    snprintf(r.ident, sizeof r.ident, "%s", al);
    snprintf(r.version, sizeof r.version, "5.3.0");
    snprintf(r.strategy, sizeof r.strategy, "malloc");
    for (int i = 0; i < BD_NNUM; i++)
        r.v[i] = -1;
    r.v[BD_ops_per_s] = ops;
    r.v[BD_frag_at_peak] = 1.25 + rep;
    return r;
}

TEST(round_trip)
{
    char path[256];
    snprintf(path, sizeof path, "%s/runs.csv", dir);
    FILE *f = fopen(path, "w");
    CHECK(f);
    bd_row_t a = mk("db-churn", "glibc", 1, true, 1000.5);
    a.v[BD_peak_live] = 123456789;
    bd_row_t b = mk("db-churn", "jemalloc", 1, false, -1);
    snprintf(b.error, sizeof b.error, "runner exited, status 1");
    CHECK(bd_csv_write_header(f) == 0);
    CHECK(bd_csv_write_row(f, &a) == 0);
    CHECK(bd_csv_write_row(f, &b) == 0);
    fclose(f);
    bd_row_t *rows;
    size_t n;
    CHECK(bd_csv_read(dir, &rows, &n) == 0);
    CHECK_EQ_U(n, 2);
    CHECK_STR(rows[0].workload, "db-churn");
    CHECK_STR(rows[0].allocator, "glibc");
    CHECK(rows[0].ok);
    CHECK_STR(rows[0].version, "5.3.0");
    CHECK(fabs(rows[0].v[BD_ops_per_s] - 1000.5) < 1e-3);
    CHECK_EQ_U((uint64_t)rows[0].v[BD_peak_live], 123456789);
    CHECK(rows[0].v[BD_rss_tail3] == -1);
    CHECK(!rows[1].ok);
    CHECK_STR(rows[1].error, "runner exited; status 1");
    free(rows);
}

TEST(medians)
{
    bd_row_t rows[] = {
        mk("w", "a", 1, true, 30), mk("w", "a", 2, true, 10),
        mk("w", "a", 3, true, 20), mk("w", "a", 4, false, 1000), /* failed: left out */
        mk("w", "b", 1, true, 5),  mk("w", "b", 2, true, 7),
        mk("w", "b", 3, true, -1), /* unknown: left out */
        mk("x", "a", 1, true, 1),
    };
    size_t n = sizeof rows / sizeof rows[0];
    double md, mn, mx;
    CHECK_EQ_U(bd_stat_column(rows, n, "w", "a", BD_ops_per_s, &md, &mn, &mx), 3);
    CHECK(md == 20 && mn == 10 && mx == 30);
    CHECK_EQ_U(bd_stat_column(rows, n, "w", "b", BD_ops_per_s, &md, &mn, &mx), 2);
    CHECK(md == 6 && mn == 5 && mx == 7);
    CHECK_EQ_U(bd_stat_column(rows, n, "w", "c", BD_ops_per_s, &md, &mn, &mx), 0);
    CHECK(md == -1);
    const char *names[8];
    CHECK_EQ_U(bd_distinct(rows, n, false, names, 8), 2);
    CHECK_STR(names[0], "w");
    CHECK_STR(names[1], "x");
    CHECK_EQ_U(bd_distinct(rows, n, true, names, 8), 2);
    CHECK_STR(names[1], "b");

    CHECK(bd_write_summary(dir, rows, n) == 0);
    char path[256], line[8192];
    snprintf(path, sizeof path, "%s/summary.csv", dir);
    FILE *f = fopen(path, "r");
    CHECK(f);
    int lines = 0;
    bool found = false;
    while (fgets(line, sizeof line, f)) {
        lines++;
        if (strncmp(line, "w,a,3,", 6) == 0)
            found = true;
    }
    fclose(f);
    CHECK_EQ_I(lines, 4); /* header + (w,a) (w,b) (x,a) */
    CHECK(found);
}

TEST(missing_file)
{
    bd_row_t *rows;
    size_t n;
    CHECK(bd_csv_read("/nonexistent/flatline", &rows, &n) < 0);
    CHECK_EQ_U(n, 0);
}

int main(void)
{
    if (!mkdtemp(dir))
        TEST_SKIP("mkdtemp failed");
    RUN(round_trip);
    RUN(medians);
    RUN(missing_file);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
    return TEST_REPORT();
}
