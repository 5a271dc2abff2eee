/*
 * tests/store/test_quota.c: quotas. Stop-writes refuses growing writes with FL_EOOM and
 * changes nothing (every stored value stays intact; deletes and non-growing overwrites still
 * work); eviction keeps `used` under the limit, evicts keys with a TTL first (soonest to expire
 * first), and otherwise spares recently used keys (approximate LRU).
 */
#include <stdlib.h>

#include "../testhelper.h"
#include "store_internal.h"
#include "store_test_util.h"

#define LIMIT (256 * 1024)
static char val[1000];

static fl_slice_t value(int i)
{
    memset(val, 'a' + i % 26, sizeof(val));
    snprintf(val, 16, "%d", i);
    val[strlen(val)] = '-';
    fl_slice_t s = {val, sizeof(val)};
    return s;
}

static bool value_ok(fl_ns_t *ns, const char *k, int i)
{
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    if (fl_str_get(ns, S(k), &s) != FL_OK || c.bulks != 1)
        return false;
    fl_slice_t v = value(i);
    return c.last_len == 255 && memcmp(c.last, v.p, 255) == 0; /* cap keeps 255 bytes */
}

TEST(stop_writes_refuses_and_keeps_data)
{
    fl_store_t *st = open_one(4, LIMIT, 100, 50);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    char k[32];
    int n = 0, rc = FL_OK;
    for (; n < 1000; n++) {
        snprintf(k, sizeof(k), "k:%d", n);
        rc = fl_str_set(ns, S(k), value(n), NULL, NULL);
        if (rc != FL_OK)
            break;
    }
    CHECK_EQ_I(rc, FL_EOOM);
    CHECK(n > 50 && n < 1000);
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK(s.used <= LIMIT / 2);
    CHECK_EQ_U(s.writes_refused, 1);
    CHECK_EQ_U(s.keys, (uint64_t)n);
    CHECK_EQ_U(s.evicted, 0);
    /* fill the headroom exactly (an overwrite: no index growth), so any growth is refused */
    size_t head = LIMIT / 2 - s.used;
    size_t fill_len = sizeof(val) + head; /* k:0's value grows by exactly the headroom */
    char *fill = malloc(fill_len);
    memset(fill, 'f', fill_len);
    fl_slice_t fs = {fill, fill_len};
    CHECK_EQ_I(fl_str_set(ns, S("k:0"), fs, NULL, NULL), FL_OK);
    free(fill);
    fl_ns_stats(ns, &s);
    CHECK_EQ_U(s.used, LIMIT / 2);
    size_t used0 = s.used;
    /* every growing write is refused and changes nothing */
    snprintf(k, sizeof(k), "k:%d", n);
    CHECK_EQ_I(fl_str_set(ns, S(k), value(n), NULL, NULL), FL_EOOM);
    size_t len;
    CHECK_EQ_I(fl_str_append(ns, S("k:0"), S("more"), &len), FL_EOOM);
    fl_slice_t fv[2] = {S("f"), S("v")};
    CHECK_EQ_I(fl_hash_set(ns, S("h"), fv, 1, NULL), FL_EOOM);
    int64_t r;
    CHECK_EQ_I(fl_str_incrby(ns, S("ctr"), 1, &r), FL_EOOM);
    cap_t c;
    fl_sink_t sink = cap_sink(&c);
    fl_set_opts_t g = {0, FL_SET_GET};
    CHECK_EQ_I(fl_str_set(ns, S("new"), S("x"), &g, &sink), FL_EOOM);
    CHECK_EQ_I(c.bulks + c.nils, 0); /* a refused SET GET emits nothing */
    char bigger[1200];
    memset(bigger, 'z', sizeof(bigger));
    fl_slice_t bv = {bigger, sizeof(bigger)};
    CHECK_EQ_I(fl_str_set(ns, S("k:1"), bv, NULL, NULL), FL_EOOM);
    fl_ns_stats(ns, &s);
    CHECK_EQ_U(s.used, used0);
    CHECK_EQ_U(s.keys, (uint64_t)n);
    CHECK_EQ_U(s.writes_refused, 7);
    for (int i = 1; i < n; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        CHECK(value_ok(ns, k, i));
    }
    /* reads, overwrites that do not grow, TTL changes and deletes still work */
    CHECK_EQ_I(fl_str_set(ns, S("k:2"), value(2), NULL, NULL), FL_OK);
    CHECK_EQ_I(fl_str_set(ns, S("k:3"), S("short"), NULL, NULL), FL_OK);
    bool b;
    CHECK_EQ_I(fl_key_expire_at(ns, S("k:4"), fl_now_ms() + 100000, &b), FL_OK);
    CHECK(b);
    CHECK_EQ_I(fl_key_del(ns, S("k:5"), &b), FL_OK);
    CHECK(b);
    /* once memory was freed, writes work again */
    for (int i = 6; i < 30; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        fl_key_del(ns, S(k), NULL);
    }
    CHECK_EQ_I(fl_str_set(ns, S("again"), value(7), NULL, NULL), FL_OK);
    CHECK_EQ_I(fl_hash_set(ns, S("h"), fv, 1, NULL), FL_OK);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    fl_store_close(st);
}

TEST(eviction_keeps_used_under_limit)
{
    fl_store_t *st = open_one(4, LIMIT, 80, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    char k[32];
    size_t max_used = 0;
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        CHECK_EQ_I(fl_str_set(ns, S(k), value(i), NULL, NULL), FL_OK);
        fl_ns_stats_t s;
        fl_ns_stats(ns, &s);
        if (s.used > max_used)
            max_used = s.used;
    }
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    fprintf(stderr, "  max used %zu of limit %d, keys %ju, evicted %ju\n", max_used, LIMIT,
            (uintmax_t)s.keys, (uintmax_t)s.evicted);
    CHECK(max_used <= LIMIT);
    CHECK(s.evicted >= 2000 - 256);
    CHECK_EQ_U(s.keys + s.evicted, 2000);
    CHECK_EQ_U(s.writes_refused, 0);
    /* what was not evicted reads back intact */
    int present = 0;
    for (int i = 0; i < 2000; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        bool e;
        fl_key_exists(ns, S(k), &e);
        if (e) {
            present++;
            CHECK(value_ok(ns, k, i));
        }
    }
    CHECK(present > 100);
    fl_store_close(st);
}

TEST(eviction_takes_soonest_expiring_first)
{
    /* One partition, so "soonest among the records looked at" is the namespace's soonest. */
    fl_store_t *st = open_one(1, LIMIT, 80, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    char k[32];
    int64_t now = fl_now_ms();
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "ttl:%d", i);
        fl_set_opts_t o = {now + 3600000 + (int64_t)i * 1000, 0};
        CHECK_EQ_I(fl_str_set(ns, S(k), value(i), &o, NULL), FL_OK);
    }
    for (int i = 0; i < 150; i++) {
        snprintf(k, sizeof(k), "perm:%d", i);
        CHECK_EQ_I(fl_str_set(ns, S(k), value(i), NULL, NULL), FL_OK);
    }
    fls_bg_pause(st, true); /* no background eviction between the stats and the checks */
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK(s.evicted > 10 && s.evicted < 100);
    CHECK(s.used <= LIMIT);
    for (int i = 0; i < 150; i++) {
        snprintf(k, sizeof(k), "perm:%d", i);
        CHECK(value_ok(ns, k, i)); /* no key without a TTL was evicted */
    }
    /* the evicted TTL keys are exactly the soonest to expire */
    int first_present = -1;
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "ttl:%d", i);
        bool e;
        fl_key_exists(ns, S(k), &e);
        if (e && first_present < 0)
            first_present = i;
        if (first_present >= 0)
            CHECK(e);
    }
    CHECK_EQ_I(first_present, (int)s.evicted);
    fls_bg_pause(st, false);
    fl_store_close(st);
}

TEST(eviction_spares_recently_used)
{
    fl_store_t *st = open_one(1, LIMIT, 80, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    char k[32];
    for (int i = 0; i < 150; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        CHECK_EQ_I(fl_str_set(ns, S(k), value(i), NULL, NULL), FL_OK);
    }
    sleep_ms(600); /* > 2 ticks of the coarse access clock (256 ms) */
    for (int i = 0; i < 20; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        CHECK(value_ok(ns, k, i)); /* a read refreshes the access clock */
    }
    for (int i = 150; i < 250; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        CHECK_EQ_I(fl_str_set(ns, S(k), value(i), NULL, NULL), FL_OK);
    }
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK(s.evicted >= 30);
    int hot = 0, cold = 0;
    for (int i = 0; i < 150; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        bool e;
        fl_key_exists(ns, S(k), &e);
        if (i < 20)
            hot += e;
        else
            cold += e;
    }
    fprintf(stderr, "  hot kept %d/20, cold kept %d/130, evicted %ju\n", hot, cold,
            (uintmax_t)s.evicted);
    /* sampling is approximate: a hot key goes only when a whole sample missed cold keys */
    CHECK(hot >= 18);
    CHECK(cold <= 130 - 25);
    fl_store_close(st);
}

TEST(background_eviction)
{
    /* A write may take a namespace past its high-water mark (inline eviction is bounded and
     * the write stays under stop-writes); the background thread then brings it back under. */
    fl_store_t *st = open_one(4, LIMIT, 50, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    char k[32];
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        fl_str_set(ns, S(k), value(i), NULL, NULL);
    }
    fl_slice_t fv[200];
    char names[100][8];
    for (int i = 0; i < 100; i++) {
        snprintf(names[i], 8, "f%d", i);
        fv[2 * i] = S(names[i]);
        fv[2 * i + 1] = value(i);
    }
    CHECK_EQ_I(fl_hash_set(ns, S("bighash"), fv, 100, NULL), FL_OK);
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK(s.used > LIMIT / 2);
    fls_bg_pause(st, false);
    int64_t deadline = fl_now_ms() + 5000;
    do {
        sleep_ms(10);
        fl_ns_stats(ns, &s);
    } while (s.used > LIMIT / 2 && fl_now_ms() < deadline);
    CHECK(s.used <= LIMIT / 2);
    fl_store_close(st);
}

/* MSET over the quota refuses every pair (none applied), within it applies every pair. */
TEST(mset_all_or_nothing)
{
    fl_store_t *st = open_one(4, LIMIT, 100, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    size_t big_len = 2 * LIMIT;
    char *big = malloc(big_len);
    CHECK(big);
    memset(big, 'b', big_len);
    CHECK_EQ_I(fl_str_set(ns, S("x"), S("keep"), NULL, NULL), FL_OK);
    fl_slice_t kv[] = {S("a"), S("1"), S("x"), S("2"), S("b"), {big, big_len}};
    int rc = fl_str_mset(ns, kv, 3);
    free(big);
    CHECK_EQ_I(rc, FL_EOOM);
    bool ex = true;
    fl_key_exists(ns, S("a"), &ex);
    CHECK(!ex);
    cap_t c;
    fl_sink_t sk = cap_sink(&c);
    fl_str_get(ns, S("x"), &sk);
    CHECK(strcmp(c.last, "keep") == 0);
    CHECK_EQ_U(fl_ns_size(ns), 1);
    /* within the quota: every pair */
    fl_slice_t ok[] = {S("a"), S("1"), S("x"), S("2"), S("b"), S("3")};
    CHECK_EQ_I(fl_str_mset(ns, ok, 3), FL_OK);
    CHECK_EQ_U(fl_ns_size(ns), 3);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    fl_store_close(st);
}

int main(void)
{
    RUN(stop_writes_refuses_and_keeps_data);
    RUN(eviction_keeps_used_under_limit);
    RUN(eviction_takes_soonest_expiring_first);
    RUN(eviction_spares_recently_used);
    RUN(background_eviction);
    RUN(mset_all_or_nothing);
    return TEST_REPORT();
}
