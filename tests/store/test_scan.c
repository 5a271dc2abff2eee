/*
 * tests/store/test_scan.c: glob matching (a table of Redis stringmatch cases) and SCAN: COUNT,
 * MATCH, and completeness (every key present for the whole scan is returned) while other keys
 * are inserted and deleted between calls and from another thread, forcing partition tables
 * to grow and shrink mid-scan.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "../testhelper.h"
#include "store_internal.h"
#include "store_test_util.h"

static fl_store_t *st;
static fl_ns_t *ns;

TEST(glob_table)
{
    static const struct {
        const char *pat, *str;
        bool match;
    } cases[] = {
        {"*", "", true},
        {"*", "abc", true},
        {"**", "", true},
        {"a*", "abc", true},
        {"a*", "bac", false},
        {"*c", "abc", true},
        {"*c", "abcd", false},
        {"a?c", "abc", true},
        {"a?c", "ac", false},
        {"?", "", false},
        {"[abc]", "b", true},
        {"[abc]", "d", false},
        {"[^abc]", "d", true},
        {"[^abc]", "a", false},
        {"[a-c]x", "bx", true},
        {"[a-c]x", "dx", false},
        {"[c-a]x", "bx", true}, /* reversed range */
        {"h[a-z]llo", "hello", true},
        {"h\\*llo", "h*llo", true},
        {"h\\*llo", "hello", false},
        {"[\\]]", "]", true},
        {"[\\-]", "-", true},
        {"\\", "\\", true}, /* trailing backslash is literal */
        {"a\\", "a\\", true},
        {"[abc", "a", true}, /* unterminated class ends at the pattern's end */
        {"[abc", "d", false},
        {"[", "[", false},
        {"[]a]", "a", false}, /* "[]" is an empty class */
        {"[a-]", "_", true},  /* Redis reads "a-]" as the range ']'..'a' */
        {"[a-]", "b", false},
        {"*a*b*", "xaybz", true},
        {"*a*b", "ba", false},
        {"user:*:name", "user:42:name", true},
        {"user:*:name", "user:42:age", false},
        {"a*b*c", "abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbd", false},
        {"*?*?*?*?*?*?*?*?*?*?x", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
        {"a*a*a*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", true},
        {"", "", true},
        {"", "a", false},
        {"abc", "abc", true},
        {"abc", "ABC", false}, /* case-sensitive */
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        bool got = fl_glob_match(cases[i].pat, strlen(cases[i].pat), cases[i].str,
                                 strlen(cases[i].str), false);
        if (got != cases[i].match)
            fprintf(stderr, "glob \"%s\" vs \"%s\": got %d\n", cases[i].pat, cases[i].str, got);
        CHECK(got == cases[i].match);
    }
}

#define NSTABLE 2000
typedef struct seen {
    unsigned char hit[NSTABLE];
    size_t calls;
    size_t other;
} seen_t;

static void on_key(void *ctx, const char *k, size_t n)
{
    seen_t *s = ctx;
    s->calls++;
    char buf[64];
    if (n >= sizeof(buf))
        return;
    memcpy(buf, k, n);
    buf[n] = 0;
    int i;
    if (sscanf(buf, "stable:%d", &i) == 1 && i >= 0 && i < NSTABLE)
        s->hit[i] = 1;
    else
        s->other++;
}

static void put_stable(int n)
{
    char k[32];
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof(k), "stable:%d", i);
        fl_str_set(ns, S(k), S("v"), NULL, NULL);
    }
}

static int count_hits(const seen_t *s, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        c += s->hit[i];
    return c;
}

TEST(scan_all_and_count)
{
    fl_ns_flush(ns);
    put_stable(NSTABLE);
    seen_t *s = calloc(1, sizeof(*s));
    uint64_t cur = 0;
    int calls = 0;
    do {
        size_t before = s->calls;
        CHECK_EQ_I(fl_key_scan(ns, cur, NULL, 0, 50, on_key, s, &cur), FL_OK);
        CHECK(s->calls - before < 50 * 4); /* about COUNT per call */
        calls++;
        CHECK(calls < 100000);
    } while (cur != 0);
    CHECK_EQ_I(count_hits(s, NSTABLE), NSTABLE);
    CHECK(calls > NSTABLE / 200);
    /* MATCH */
    memset(s, 0, sizeof(*s));
    cur = 0;
    const char *pat = "stable:1?";
    do {
        fl_key_scan(ns, cur, pat, strlen(pat), 100, on_key, s, &cur);
    } while (cur != 0);
    CHECK_EQ_U(s->calls, 10);
    CHECK_EQ_I(count_hits(s, 20), 10);
    /* an out-of-range cursor ends the scan */
    CHECK_EQ_I(fl_key_scan(ns, UINT64_MAX, NULL, 0, 10, on_key, s, &cur), FL_OK);
    CHECK_EQ_U(cur, 0);
    free(s);
}

static void tmp_keys(int n, bool add)
{
    char k[32];
    for (int i = 0; i < n; i++) {
        snprintf(k, sizeof(k), "tmp:%d", i);
        if (add)
            fl_str_set(ns, S(k), S("x"), NULL, NULL);
        else
            fl_key_del(ns, S(k), NULL);
    }
}

TEST(scan_with_resizes_between_calls)
{
    /* Few stable keys, many temporary ones: deleting the temporary keys mid-scan shrinks the
     * partition tables 32-fold, re-adding them grows them again (a linear cursor misses keys
     * on a shrink; the reverse-binary one does not). */
    for (int pass = 0; pass < 8; pass++) {
        fl_ns_flush(ns);
        put_stable(200);
        tmp_keys(8000, true);
        seen_t *s = calloc(1, sizeof(*s));
        uint64_t cur = 0;
        int step = 0;
        do {
            fl_key_scan(ns, cur, "stable:*", 8, 5 + (size_t)pass * 7, on_key, s, &cur);
            if (step == 2 + pass)
                tmp_keys(8000, false);
            else if (step == 6 + 2 * pass)
                tmp_keys(3000, true);
            else if (step == 9 + 3 * pass)
                tmp_keys(3000, false);
            step++;
            CHECK(step < 100000);
        } while (cur != 0);
        CHECK_EQ_I(count_hits(s, 200), 200);
        free(s);
    }
}

static atomic_bool churn_stop;
static atomic_uint churn_rounds;

static void *churn(void *arg)
{
    (void)arg;
    char k[32];
    unsigned round = 0;
    while (!atomic_load(&churn_stop) && round < 2000) {
        for (int i = 0; i < 300; i++) {
            snprintf(k, sizeof(k), "churn:%u:%d", round, i);
            fl_str_set(ns, S(k), S("x"), NULL, NULL);
        }
        for (int i = 0; i < 300; i++) {
            snprintf(k, sizeof(k), "churn:%u:%d", round, i);
            fl_key_del(ns, S(k), NULL);
        }
        round++;
        atomic_fetch_add(&churn_rounds, 1);
    }
    return NULL;
}

TEST(scan_with_concurrent_writers)
{
    fl_ns_flush(ns);
    put_stable(NSTABLE);
    atomic_store(&churn_stop, false);
    atomic_store(&churn_rounds, 0);
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, churn, NULL);
    int failures = 0;
    int rep;
    /* Scan again and again until the writers have done real work (bounded either way). */
    for (rep = 0; rep < 400 && (rep < 5 || atomic_load(&churn_rounds) < 40); rep++) {
        seen_t *s = calloc(1, sizeof(*s));
        uint64_t cur = 0;
        int calls = 0;
        do {
            fl_key_scan(ns, cur, "stable:*", 8, 10, on_key, s, &cur);
        } while (cur != 0 && ++calls < 1000000);
        if (count_hits(s, NSTABLE) != NSTABLE)
            failures++;
        free(s);
    }
    atomic_store(&churn_stop, true);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    fprintf(stderr, "  %d scans during %u churn rounds\n", rep, atomic_load(&churn_rounds));
    CHECK_EQ_I(failures, 0);
}

/* A few keys among 4096 mostly empty partitions: a full scan takes 1-2 calls with COUNT 10
 * (empty partitions cost no step), and returns every key. */
TEST(scan_sparse_is_short)
{
    fl_store_t *big = open_one(4096, 0, 100, 100);
    CHECK(big);
    fl_ns_t *bns = fl_store_ns(big, 0);
    const char *keys[] = {"alpha", "beta", "gamma"};
    for (int i = 0; i < 3; i++)
        CHECK_EQ_I(fl_str_set(bns, S(keys[i]), S("v"), NULL, NULL), FL_OK);
    seen_t *s = calloc(1, sizeof(*s));
    uint64_t cur = 0;
    int calls = 0;
    do {
        CHECK_EQ_I(fl_key_scan(bns, cur, NULL, 0, 10, on_key, s, &cur), FL_OK);
        calls++;
    } while (cur != 0 && calls < 100);
    size_t got = s->calls;
    free(s);
    fl_store_close(big);
    CHECK(calls <= 2);
    CHECK_EQ_U(got, 3);
    /* an empty namespace: one call, cursor 0 */
    big = open_one(4096, 0, 100, 100);
    CHECK(big);
    s = calloc(1, sizeof(*s));
    CHECK_EQ_I(fl_key_scan(fl_store_ns(big, 0), 0, NULL, 0, 10, on_key, s, &cur), FL_OK);
    CHECK_EQ_U(cur, 0);
    CHECK_EQ_U(s->calls, 0);
    free(s);
    fl_store_close(big);
}

int main(void)
{
    /* 4 partitions: each holds hundreds of keys, so churn resizes their tables mid-scan */
    st = open_one(4, 0, 100, 100);
    if (!st)
        return 1;
    ns = fl_store_ns(st, 0);
    RUN(glob_table);
    RUN(scan_all_and_count);
    RUN(scan_with_resizes_between_calls);
    RUN(scan_with_concurrent_writers);
    RUN(scan_sparse_is_short);
    fl_store_close(st);
    return TEST_REPORT();
}
