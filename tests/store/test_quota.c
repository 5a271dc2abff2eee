/*
 * tests/store/test_quota.c: quotas. Stop-writes refuses growing writes with FL_EOOM and
 * changes nothing (every stored value stays intact; deletes and non-growing overwrites still
 * work); eviction keeps `used` under the limit and follows the namespace's policy: noeviction
 * (the default) never evicts, volatile-* never evicts a key without a TTL (also with few TTL
 * keys among many buckets per partition), volatile-ttl takes the soonest to expire, LRU spares
 * recently used keys and LFU frequently used ones (approximately, by sampling).
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
    size_t old_size = fls_str_rec_size(3, sizeof(val)), fill_len = sizeof(val) + head;
    while (fls_str_rec_size(3, fill_len) > old_size + head) /* a split record adds its link */
        fill_len--;
    CHECK_EQ_U(fls_str_rec_size(3, fill_len), old_size + head); /* k:0 grows by the headroom */
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
    /* The background thread may be evicting: a sum read during its tick mixes moments (the
     * key gone, its eviction not yet counted), so the totals are read with it paused. */
    fls_bg_pause(st, true);
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
        fl_key_exists(ns, S(k), FL_LOOKUP_QUIET, &e);
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
    fl_store_t *st = open_policy(1, LIMIT, 80, 100, FL_EVICT_VOLATILE_TTL);
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
    /* the evicted TTL keys are mostly the soonest to expire (16 sampled per eviction, as
     * Redis samples; a uniform choice would take about evicted/100 of each) */
    int soonest_gone = 0;
    for (int i = 0; i < (int)s.evicted; i++) {
        snprintf(k, sizeof(k), "ttl:%d", i);
        bool e;
        fl_key_exists(ns, S(k), FL_LOOKUP_QUIET, &e);
        soonest_gone += !e;
    }
    fprintf(stderr, "  evicted %ju, of them among the soonest %d\n", (uintmax_t)s.evicted,
            soonest_gone);
    CHECK(soonest_gone * 10 >= (int)s.evicted * 7);
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
    sleep_ms(2100); /* > 2 ticks of the access clock (1 s) */
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
        fl_key_exists(ns, S(k), FL_LOOKUP_QUIET, &e);
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
    fl_key_exists(ns, S("a"), FL_LOOKUP_QUIET, &ex);
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

/* The defaults lose nothing: no limit, noeviction; with a limit and noeviction, growing writes
 * are refused and nothing is ever evicted. */
TEST(defaults_never_evict)
{
    fl_ns_config_t d;
    fl_ns_config_default(&d, "d");
    CHECK_EQ_U(d.memory_limit, 0);
    CHECK_EQ_I(d.evict_policy, FL_EVICT_NOEVICTION);
    CHECK(strcmp(fl_evict_policy_names[FL_EVICT_VOLATILE_LFU], "volatile-lfu") == 0);
    fl_store_t *st = open_policy(4, LIMIT, 50, 95, FL_EVICT_NOEVICTION);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    char k[32];
    int n = 0;
    for (; n < 1000; n++) {
        snprintf(k, sizeof(k), "k:%d", n);
        if (fl_str_set(ns, S(k), value(n), NULL, NULL) != FL_OK)
            break;
    }
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK(n > 100 && n < 1000); /* well past the 50 % high-water mark, refused at 95 % */
    CHECK_EQ_U(s.evicted, 0);
    CHECK_EQ_U(s.keys, (uint64_t)n);
    sleep_ms(250); /* two background ticks: still nothing evicted */
    fl_ns_stats(ns, &s);
    CHECK_EQ_U(s.evicted, 0);
    fl_store_close(st);
}

/* A limit too small for the namespace's own partition array is refused, at open and at run
 * time, with the reason. */
TEST(limit_below_structures_refused)
{
    fl_ns_config_t c;
    fl_ns_config_default(&c, "tiny");
    c.memory_limit = 100 * 1024; /* 4096 partitions take about 550 KB */
    char err[256] = "";
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_EINVAL);
    CHECK(strstr(err, "too small") && strstr(err, "tiny"));
    fl_store_t *st = NULL;
    CHECK_EQ_I(fl_store_open(&st, &c, 1, err, sizeof(err)), FL_EINVAL);
    c.partitions = 16;
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_OK);
    st = open_policy(4096, 0, 90, 95, FL_EVICT_NOEVICTION);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    CHECK_EQ_I(fl_ns_set_memory_limit(ns, 100 * 1024, err, sizeof(err)), FL_EINVAL);
    CHECK_EQ_U(fl_ns_memory_limit(ns), 0);
    CHECK_EQ_I(fl_ns_set_memory_limit(ns, 64 << 20, err, sizeof(err)), FL_OK);
    CHECK_EQ_U(fl_ns_memory_limit(ns), 64 << 20);
    CHECK_EQ_I(fl_ns_set_evict_policy(ns, FL_EVICT_ALLKEYS_LFU), FL_OK);
    CHECK_EQ_I(fl_ns_evict_policy(ns), FL_EVICT_ALLKEYS_LFU);
    fl_store_close(st);
}

/* Sanitizer builds run several times slower: a quarter of the keys (still over 100,000 per
 * partition), so the test stays within its time limit on a loaded machine. */
#define SCALE_PERSISTENT (TH_SANITIZED ? 500000 : 2000000)

/* volatile-* at scale: 2M keys without a TTL (500k under sanitizers) and 3,000 with one in 4
 * partitions (half a million buckets each, so random probes almost never meet a TTL key).
 * Lowering the limit makes the background thread evict: every TTL key goes, and not one key
 * without a TTL. */
TEST(volatile_spares_persistent_keys_at_scale)
{
    enum { PERSISTENT = SCALE_PERSISTENT, VOLATILE = 3000 };
    fl_store_t *st = open_policy(4, 0, 90, 95, FL_EVICT_VOLATILE_LRU);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    char k[32];
    int64_t far = fl_now_ms() + 3600 * 1000;
    for (int i = 0; i < PERSISTENT; i++) {
        int n = snprintf(k, sizeof(k), "p:%d", i);
        fl_slice_t key = {k, (size_t)n};
        CHECK_EQ_I(fl_str_set(ns, key, S("v"), NULL, NULL), FL_OK);
        if (i % (PERSISTENT / VOLATILE) == 0 && i / (PERSISTENT / VOLATILE) < VOLATILE) {
            n = snprintf(k, sizeof(k), "t:%d", i);
            fl_set_opts_t o = {far, 0};
            fl_slice_t tkey = {k, (size_t)n};
            CHECK_EQ_I(fl_str_set(ns, tkey, S("v"), &o, NULL), FL_OK);
        }
    }
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK_EQ_U(s.keys, PERSISTENT + VOLATILE);
    CHECK_EQ_U(s.keys_with_ttl, VOLATILE);
    /* high-water 1 % below what is used: eviction aims 1/64 lower, more than the TTL keys */
    char err[256];
    CHECK_EQ_I(fl_ns_set_memory_limit(ns, s.used / 90 * 100 * 99 / 100, err, sizeof(err)), FL_OK);
    int64_t deadline = fl_now_ms() + 60000;
    do {
        sleep_ms(20);
        fl_ns_stats(ns, &s);
    } while (s.keys_with_ttl > 0 && fl_now_ms() < deadline);
    sleep_ms(250); /* further ticks find nothing they may evict */
    fl_ns_stats(ns, &s);
    fprintf(stderr, "  keys %ju, with TTL %ju, evicted %ju\n", (uintmax_t)s.keys,
            (uintmax_t)s.keys_with_ttl, (uintmax_t)s.evicted);
    CHECK_EQ_U(s.keys_with_ttl, 0);
    CHECK_EQ_U(s.evicted, VOLATILE);
    CHECK_EQ_U(s.keys, PERSISTENT);
    /* growing writes are now refused rather than evicting a persistent key */
    CHECK_EQ_I(fl_ns_set_memory_limit(ns, s.used, err, sizeof(err)), FL_OK);
    CHECK_EQ_I(fl_str_set(ns, S("new"), value(1), NULL, NULL), FL_EOOM);
    fl_ns_stats(ns, &s);
    CHECK_EQ_U(s.keys, PERSISTENT);
    fl_store_close(st);
}

/* allkeys-lfu keeps frequently read keys and evicts rarely read ones. */
TEST(lfu_spares_frequently_used)
{
    fl_store_t *st = open_policy(1, LIMIT, 80, 100, FL_EVICT_ALLKEYS_LFU);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    char k[32];
    for (int i = 0; i < 150; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        CHECK_EQ_I(fl_str_set(ns, S(k), value(i), NULL, NULL), FL_OK);
    }
    for (int round = 0; round < 100; round++) {
        for (int i = 0; i < 20; i++) {
            snprintf(k, sizeof(k), "k:%d", i);
            CHECK(value_ok(ns, k, i));
        }
    }
    for (int i = 150; i < 250; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        CHECK_EQ_I(fl_str_set(ns, S(k), value(i), NULL, NULL), FL_OK);
    }
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK(s.evicted >= 30);
    int hot = 0;
    for (int i = 0; i < 20; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        bool e;
        fl_key_exists(ns, S(k), FL_LOOKUP_QUIET, &e);
        hot += e;
    }
    fprintf(stderr, "  hot kept %d/20, evicted %ju\n", hot, (uintmax_t)s.evicted);
    CHECK_EQ_I(hot, 20);
    fl_store_close(st);
}

/* The access word: LFU counter grows logarithmically and decays per idle minute; idle time
 * in seconds. */
TEST(access_word)
{
    int64_t t = 1700000000000;
    uint32_t w = fls_access_new(t);
    CHECK_EQ_U(fls_access_freq(w, t), FLS_LFU_INIT);
    for (int i = 0; i < 1000; i++)
        w = fls_access_bump(w, t);
    unsigned f = fls_access_freq(w, t);
    CHECK(f > FLS_LFU_INIT + 5 && f < 60); /* logarithmic: far below 1000 */
    CHECK_EQ_U(fls_access_idle_s(w, t + 5500), 5);
    CHECK_EQ_U(fls_access_freq(w, t + 3 * 60000), f - 3);
    CHECK_EQ_U(fls_access_freq(w, t + 1000 * 60000), 0);
}

int main(void)
{
    RUN(stop_writes_refuses_and_keeps_data);
    RUN(eviction_keeps_used_under_limit);
    RUN(eviction_takes_soonest_expiring_first);
    RUN(eviction_spares_recently_used);
    RUN(background_eviction);
    RUN(mset_all_or_nothing);
    RUN(defaults_never_evict);
    RUN(limit_below_structures_refused);
    RUN(volatile_spares_persistent_keys_at_scale);
    RUN(lfu_spares_frequently_used);
    RUN(access_word);
    return TEST_REPORT();
}
