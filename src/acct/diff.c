/*
 * src/acct/diff.c: `flatline-acct diff A B`: what changed between two reports (files, or output
 * directories meaning their report.txt): the exact totals, and the call sites matched by their
 * frames (symbolized text, so reports of two runs of the same binary match), sorted by the growth
 * of their estimated live bytes, each with its 95 % bound (from both reports' bounds). A site is
 * called grown or shrunk only when the change exceeds 3.29 standard deviations (two-sided
 * p < 0.001), so that among a report's sites a steady one is almost never called changed (at the
 * 95 % bound, one in twenty would be). Sites outside a report's top
 * list count as 0 there (said so). Output on stdout; errors 2 with a message.
 */
#include "driver_internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DIFF_SITES 100
#define KEY_LEN 1024

typedef struct dsite {
    char key[KEY_LEN]; /* the frames' text, innermost first, joined by " <- " */
    double live, err;  /* bytes */
} dsite_t;

typedef struct dreport {
    dsite_t sites[DIFF_SITES];
    int n;
    long long requested, rss;
    double t;
} dreport_t;

/* Appends a frame line's "function (file:line)" (or its raw text) to key. */
static void key_add(char *key, const char *line)
{
    const char *at = strstr(line, "at ");
    at = at ? at + 3 : line;
    size_t len = strcspn(at, "[\n");
    while (len && at[len - 1] == ' ')
        len--;
    size_t have = strlen(key);
    if (have + len + 8 >= KEY_LEN)
        return;
    if (have)
        strcat(key, " <- ");
    strncat(key, at, len);
}

static int read_report(const char *arg, dreport_t *r)
{
    char path[PATH_MAX + 16];
    struct stat st;
    if (stat(arg, &st) == 0 && S_ISDIR(st.st_mode))
        snprintf(path, sizeof path, "%s/report.txt", arg);
    else
        snprintf(path, sizeof path, "%s", arg);
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "flatline-acct: cannot read '%s': %s\n", path, strerror(errno));
        return -1;
    }
    memset(r, 0, sizeof *r);
    r->requested = r->rss = -1;
    char line[4096];
    dsite_t *cur = NULL;
    while (fgets(line, sizeof line, f)) {
        unsigned rank, id;
        double live, err;
        long long v;
        if (!strncmp(line, "== flatline-acct report:", 24)) {
            const char *after = NULL;
            for (const char *p = strstr(line, ", after "); p; p = strstr(p + 1, ", after "))
                after = p;
            if (after)
                r->t = strtod(after + 8, NULL);
            continue;
        }
        if (sscanf(line, "  requested %lld", &v) == 1)
            r->requested = v;
        else if (sscanf(line, "  rss %lld", &v) == 1)
            r->rss = v;
        else if (sscanf(line, "  #%u site %u: live %lf +- %lf MiB", &rank, &id, &live, &err) == 4) {
            cur = r->n < DIFF_SITES ? &r->sites[r->n++] : NULL;
            if (cur) {
                cur->key[0] = 0;
                cur->live = live * 1048576.0;
                cur->err = err * 1048576.0;
            }
        } else if (cur && !strncmp(line, "      at ", 9)) {
            key_add(cur->key, line);
        } else if (line[0] != ' ') {
            cur = NULL;
        }
    }
    fclose(f);
    return 0;
}

typedef struct change {
    const char *key;
    double a, b, bound;
    int in_a, in_b;
} change_t;

static int by_growth(const void *x, const void *y)
{
    const change_t *p = x, *q = y;
    double dp = p->b - p->a, dq = q->b - q->a;
    return dp < dq ? 1 : dp > dq ? -1 : 0;
}

static void print_total(const char *name, long long a, long long b)
{
    if (a < 0 || b < 0)
        return;
    printf("  %-10s %10.1f -> %10.1f MiB  (%+.1f MiB, exact)\n", name, (double)a / 1048576.0,
           (double)b / 1048576.0, (double)(b - a) / 1048576.0);
}

int drv_diff(const char *a_path, const char *b_path)
{
    static dreport_t a, b;
    static change_t ch[2 * DIFF_SITES];
    if (read_report(a_path, &a) || read_report(b_path, &b))
        return 2;
    int n = 0;
    for (int i = 0; i < b.n; i++) {
        ch[n] = (change_t){b.sites[i].key, 0, b.sites[i].live, b.sites[i].err, 0, 1};
        for (int j = 0; j < a.n; j++)
            if (!strcmp(a.sites[j].key, b.sites[i].key)) {
                ch[n].a = a.sites[j].live;
                ch[n].bound =
                    sqrt(a.sites[j].err * a.sites[j].err + b.sites[i].err * b.sites[i].err);
                ch[n].in_a = 1;
            }
        n++;
    }
    for (int j = 0; j < a.n; j++) {
        int seen = 0;
        for (int i = 0; i < b.n && !seen; i++)
            seen = !strcmp(a.sites[j].key, b.sites[i].key);
        if (!seen)
            ch[n++] = (change_t){a.sites[j].key, a.sites[j].live, 0, a.sites[j].err, 1, 0};
    }
    qsort(ch, (size_t)n, sizeof ch[0], by_growth);
    printf("flatline-acct diff: %s (t=%.1fs) -> %s (t=%.1fs)\n", a_path, a.t, b_path, b.t);
    print_total("requested", a.requested, b.requested);
    print_total("RSS", a.rss, b.rss);
    printf("call sites by growth of estimated live bytes (+- 95 %% bound; a site missing from a "
           "report's top list counts as 0 there):\n");
    for (int i = 0; i < n; i++) {
        double d = ch[i].b - ch[i].a;
        const char *word = fabs(d) <= ch[i].bound * (3.29 / 1.96) ? "same"
                           : d > 0                                ? "GREW"
                                                                  : "shrank";
        printf("  %-6s %+9.2f +- %.2f MiB  (%.2f -> %.2f MiB%s)  %s\n", word, d / 1048576.0,
               ch[i].bound / 1048576.0, ch[i].a / 1048576.0, ch[i].b / 1048576.0,
               !ch[i].in_a   ? ", new"
               : !ch[i].in_b ? ", gone"
                             : "",
               ch[i].key);
    }
    return 0;
}
