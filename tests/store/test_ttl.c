/*
 * tests/store/test_ttl.c: expiry. Lazy: with the background thread paused, an expired key is
 * still counted until something touches it, and every access path then treats it as missing
 * and removes it. Active: with nobody touching the keys, the background thread removes them.
 * Short TTLs (50-200 ms) and polling with a bounded deadline: no exact timing is asserted.
 * EXPIRE's NX/XX/GT/LT conditions: each flag, and NX raced by six threads sets the expiry
 * exactly once per round (the condition is decided under the write lock).
 */
#include <pthread.h>

#include "../testhelper.h"
#include "store_internal.h"
#include "store_test_util.h"

static fl_store_t *st;
static fl_ns_t *ns;

static uint64_t expired_count(void)
{
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    return s.expired;
}

/* Sleeps until fl_now_ms() > at (bounded: at most 5 s). */
static void wait_past(int64_t at)
{
    for (int i = 0; i < 1000 && fl_now_ms() <= at; i++)
        sleep_ms(5);
}

TEST(lazy_expiry_every_path)
{
    fls_bg_pause(st, true);
    const char *names[] = {"get",    "exists", "ttl",    "type",    "set_nx", "incr",
                           "append", "del",    "getdel", "persist", "strlen"};
    enum { N = sizeof(names) / sizeof(names[0]) };
    int64_t at = 0;
    /* The keys must all be set before they expire; on a stalled machine, set them again. */
    for (int attempt = 0; attempt < 5 && (at == 0 || fl_now_ms() >= at); attempt++) {
        fl_ns_flush(ns);
        at = fl_now_ms() + 150;
        fl_set_opts_t o = {at, 0};
        for (int i = 0; i < N; i++)
            CHECK_EQ_I(fl_str_set(ns, S(names[i]), S("41"), &o, NULL), FL_OK);
        fl_slice_t fv[2] = {S("f"), S("v")};
        fl_hash_set(ns, S("hash"), fv, 1, NULL);
        fl_key_expire_at(ns, S("hash"), at, NULL);
    }
    CHECK(fl_now_ms() < at);
    CHECK_EQ_U(fl_ns_size(ns), N + 1);
    wait_past(at);
    CHECK(fl_now_ms() > at);
    CHECK_EQ_U(fl_ns_size(ns), N + 1); /* nobody has looked yet */
    uint64_t e0 = expired_count();
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK_EQ_I(fl_str_get(ns, S("get"), &s), FL_OK);
    CHECK_EQ_I(c.nils, 1);
    bool b;
    fl_key_exists(ns, S("exists"), FL_LOOKUP_QUIET, &b);
    CHECK(!b);
    int64_t ttl;
    fl_key_ttl_ms(ns, S("ttl"), &ttl);
    CHECK_EQ_I(ttl, -2);
    fl_type_t t;
    fl_key_type(ns, S("type"), FL_LOOKUP_QUIET, &t);
    CHECK_EQ_I(t, FL_TYPE_NONE);
    fl_set_opts_t nx = {0, FL_SET_NX};
    CHECK_EQ_I(fl_str_set(ns, S("set_nx"), S("new"), &nx, NULL), FL_OK);
    int64_t v;
    CHECK_EQ_I(fl_str_incrby(ns, S("incr"), 1, &v), FL_OK);
    CHECK_EQ_I(v, 1); /* the expired 41 is gone, so it starts from 0 */
    size_t len;
    fl_str_append(ns, S("append"), S("x"), &len);
    CHECK_EQ_U(len, 1);
    s = cap_sink(&c);
    fl_hash_get(ns, S("hash"), S("f"), &s);
    CHECK_EQ_I(c.nils, 1);
    fl_key_del(ns, S("del"), &b);
    CHECK(!b);
    s = cap_sink(&c);
    fl_str_getdel(ns, S("getdel"), &s);
    CHECK_EQ_I(c.nils, 1);
    fl_key_persist(ns, S("persist"), &b);
    CHECK(!b);
    fl_str_len(ns, S("strlen"), &len);
    CHECK_EQ_U(len, 0);
    /* hget/get/... in rwlock mode note the expired key and remove it after the read */
    if (expired_count() - e0 != N + 1)
        fls_bg_pause(st, false);
    CHECK_EQ_U(expired_count() - e0, N + 1);
    CHECK_EQ_U(fl_ns_size(ns), 3); /* set_nx, incr, append were re-created */
    fl_ns_stats_t stt;
    fl_ns_stats(ns, &stt);
    CHECK_EQ_U(stt.keys_with_ttl, 0);
    fls_bg_pause(st, false);
}

TEST(active_expiry)
{
    fl_ns_flush(ns);
    uint64_t e0 = expired_count();
    char k[32];
    int64_t now = fl_now_ms();
    for (int i = 0; i < 500; i++) {
        snprintf(k, sizeof(k), "short:%d", i);
        fl_set_opts_t o = {fl_now_ms() + 100 + (i % 4) * 50, 0}; /* 100..250 ms */
        CHECK_EQ_I(fl_str_set(ns, S(k), S("v"), &o, NULL), FL_OK);
    }
    for (int i = 0; i < 100; i++) {
        snprintf(k, sizeof(k), "long:%d", i);
        fl_set_opts_t o = {now + 3600 * 1000, 0};
        fl_str_set(ns, S(k), S("v"), &o, NULL);
        snprintf(k, sizeof(k), "forever:%d", i);
        fl_str_set(ns, S(k), S("v"), NULL, NULL);
    }
    /* Nobody touches the short keys: only the background thread can remove them. */
    int64_t deadline =
        fl_now_ms() + 60000; /* ends as soon as they are gone; TSan on a loaded machine is slow */
    while (fl_ns_size(ns) > 200 && fl_now_ms() < deadline)
        sleep_ms(20);
    CHECK_EQ_U(fl_ns_size(ns), 200);
    CHECK_EQ_U(expired_count() - e0, 500);
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK_EQ_U(s.keys_with_ttl, 100);
    bool b;
    fl_key_exists(ns, S("long:7"), FL_LOOKUP_QUIET, &b);
    CHECK(b);
    fl_key_exists(ns, S("forever:7"), FL_LOOKUP_QUIET, &b);
    CHECK(b);
}

TEST(expiry_step_bounded)
{
    /* One step looks at a bounded number of buckets, however many keys expired. */
    fls_bg_pause(st, true);
    fl_ns_flush(ns);
    char k[32];
    int64_t at = fl_now_ms() + 1000; /* room to set 5000 keys on a slow, loaded machine */
    for (int i = 0; i < 5000; i++) {
        snprintf(k, sizeof(k), "k:%d", i);
        fl_set_opts_t o = {at, 0};
        fl_str_set(ns, S(k), S("v"), &o, NULL);
    }
    CHECK_EQ_U(fl_ns_size(ns), 5000);
    wait_past(at);
    size_t got = fls_expire_step(ns, 16, fl_now_ms());
    CHECK(got > 0 && got < 5000);
    size_t total = got;
    for (int i = 0; i < 100000 && fl_ns_size(ns) > 0; i++)
        total += fls_expire_step(ns, 64, fl_now_ms());
    CHECK_EQ_U(total, 5000);
    CHECK_EQ_U(fl_ns_size(ns), 0);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    fls_bg_pause(st, false);
}

/* Sets k with an expiry `at` (0: none). */
static void put(const char *k, int64_t at)
{
    fl_set_opts_t o = {at, 0};
    fl_str_set(ns, S(k), S("v"), &o, NULL);
}

static int64_t expiry_of(const char *k)
{
    int64_t ttl = -3;
    fl_key_ttl_ms(ns, S(k), &ttl);
    return ttl;
}

/* The TTL index: a few due keys among many without a TTL are found by one step (it visits
 * only partitions whose earliest expiry is due, not their buckets); a PERSIST or a changed TTL
 * leaves a stale entry that deletes nothing; rewriting TTLs again and again does not make the
 * index grow without bound. */
TEST(ttl_index)
{
    fls_bg_pause(st, true);
    fl_ns_flush(ns);
    char k[32];
    for (int i = 0; i < 100000; i++) {
        int n = snprintf(k, sizeof(k), "plain:%d", i);
        fl_str_set(ns, (fl_slice_t){k, (size_t)n}, S("v"), NULL, NULL);
    }
    int64_t at = fl_now_ms() + 200;
    put("soon:1", at);
    put("soon:2", at);
    put("soon:3", at);
    put("kept", at);
    bool b;
    CHECK_EQ_I(fl_key_persist(ns, S("kept"), &b), FL_OK); /* its entry is now stale */
    put("later", at + 3600000);
    fl_key_expire_at(ns, S("later"), at, &b); /* earlier now: a second entry, the first stale */
    fl_key_expire_at(ns, S("later"), at + 7200000, &b);    /* later again */
    CHECK_EQ_U(fls_expire_step(ns, 1024, fl_now_ms()), 0); /* nothing due yet */
    wait_past(at);
    CHECK_EQ_U(fls_expire_step(ns, 1024, fl_now_ms()), 3);
    CHECK_EQ_U(fl_ns_size(ns), 100002);
    fl_key_exists(ns, S("kept"), FL_LOOKUP_QUIET, &b);
    CHECK(b);
    fl_key_exists(ns, S("later"), FL_LOOKUP_QUIET, &b);
    CHECK(b);
    /* 100,000 TTL rewrites of one key: the index stays small */
    for (int i = 0; i < 100000; i++)
        fl_key_expire_at(ns, S("later"), at + 3600000 + i, &b);
    size_t entries = 0;
    for (uint32_t p = 0; p < ns->nparts; p++) {
        fls_wrlock(ns, &ns->parts[p]);
        entries += ns->tix[p].len;
        fls_unlock(ns, &ns->parts[p]);
    }
    fprintf(stderr, "  index entries after 100000 rewrites: %zu\n", entries);
    CHECK(entries < 100000 / 16 + 200);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    fl_ns_flush(ns);
    fls_bg_pause(st, false);
}

TEST(expire_conditions)
{
    int64_t far = fl_now_ms() + 1000000, later = far + 1000000, sooner = far - 500000;
    bool ok = true;
    /* missing key: never applied */
    CHECK_EQ_I(fl_key_expire_cond(ns, S("c:none"), far, 0, &ok), FL_OK);
    CHECK(!ok);
    /* NX: only without an expiry */
    put("c:nx", 0);
    fl_key_expire_cond(ns, S("c:nx"), far, FL_EXPIRE_NX, &ok);
    CHECK(ok);
    fl_key_expire_cond(ns, S("c:nx"), later, FL_EXPIRE_NX, &ok);
    CHECK(!ok);
    CHECK(expiry_of("c:nx") <= far - fl_now_ms());
    /* XX: only with an expiry */
    put("c:xx", 0);
    fl_key_expire_cond(ns, S("c:xx"), far, FL_EXPIRE_XX, &ok);
    CHECK(!ok);
    CHECK_EQ_I(expiry_of("c:xx"), -1);
    put("c:xx", far);
    fl_key_expire_cond(ns, S("c:xx"), later, FL_EXPIRE_XX, &ok);
    CHECK(ok);
    CHECK(expiry_of("c:xx") > far - fl_now_ms());
    /* GT: no expiry counts as infinite, so never greater */
    put("c:gt", 0);
    fl_key_expire_cond(ns, S("c:gt"), far, FL_EXPIRE_GT, &ok);
    CHECK(!ok);
    CHECK_EQ_I(expiry_of("c:gt"), -1);
    put("c:gt", far);
    fl_key_expire_cond(ns, S("c:gt"), sooner, FL_EXPIRE_GT, &ok);
    CHECK(!ok);
    fl_key_expire_cond(ns, S("c:gt"), far, FL_EXPIRE_GT, &ok);
    CHECK(!ok); /* equal is not greater */
    fl_key_expire_cond(ns, S("c:gt"), later, FL_EXPIRE_GT, &ok);
    CHECK(ok);
    CHECK(expiry_of("c:gt") > far - fl_now_ms());
    /* LT: no expiry counts as infinite, so any time is less */
    put("c:lt", 0);
    fl_key_expire_cond(ns, S("c:lt"), later, FL_EXPIRE_LT, &ok);
    CHECK(ok);
    fl_key_expire_cond(ns, S("c:lt"), later + 1, FL_EXPIRE_LT, &ok);
    CHECK(!ok);
    fl_key_expire_cond(ns, S("c:lt"), sooner, FL_EXPIRE_LT, &ok);
    CHECK(ok);
    CHECK(expiry_of("c:lt") <= sooner - fl_now_ms());
    /* XX|GT together; a past time that passes the condition deletes the key */
    put("c:xg", far);
    fl_key_expire_cond(ns, S("c:xg"), later, FL_EXPIRE_XX | FL_EXPIRE_GT, &ok);
    CHECK(ok);
    fl_key_expire_cond(ns, S("c:xg"), 1, FL_EXPIRE_LT, &ok);
    CHECK(ok);
    CHECK_EQ_I(expiry_of("c:xg"), -2);
    /* incompatible flags */
    CHECK_EQ_I(fl_key_expire_cond(ns, S("c:lt"), far, FL_EXPIRE_NX | FL_EXPIRE_XX, &ok), FL_EINVAL);
    CHECK_EQ_I(fl_key_expire_cond(ns, S("c:lt"), far, FL_EXPIRE_GT | FL_EXPIRE_LT, &ok), FL_EINVAL);
    CHECK_EQ_I(fl_key_expire_cond(ns, S("c:lt"), far, 64, &ok), FL_EINVAL);
    /* fl_key_expire_at still applies unconditionally */
    fl_key_expire_at(ns, S("c:lt"), later, &ok);
    CHECK(ok);
}

/* Six threads race EXPIRE NX on a fresh key each round: exactly one may apply it. */
#define RACERS 6
#define RACE_ROUNDS 300
static pthread_barrier_t race_bar;
static _Atomic int race_applied[RACE_ROUNDS];

static void *racer(void *arg)
{
    (void)arg;
    for (int r = 0; r < RACE_ROUNDS; r++) {
        char key[32];
        snprintf(key, sizeof(key), "race:%d", r);
        pthread_barrier_wait(&race_bar);
        bool ok = false;
        fl_key_expire_cond(ns, S(key), fl_now_ms() + 1000000, FL_EXPIRE_NX, &ok);
        if (ok)
            atomic_fetch_add(&race_applied[r], 1);
    }
    return NULL;
}

TEST(expire_nx_race)
{
    for (int r = 0; r < RACE_ROUNDS; r++) {
        char key[32];
        snprintf(key, sizeof(key), "race:%d", r);
        put(key, 0);
        atomic_store(&race_applied[r], 0);
    }
    pthread_barrier_init(&race_bar, NULL, RACERS);
    pthread_t t[RACERS];
    for (int i = 0; i < RACERS; i++)
        pthread_create(&t[i], NULL, racer, NULL);
    for (int i = 0; i < RACERS; i++)
        pthread_join(t[i], NULL);
    pthread_barrier_destroy(&race_bar);
    for (int r = 0; r < RACE_ROUNDS; r++)
        CHECK_EQ_I(atomic_load(&race_applied[r]), 1);
}

int main(void)
{
    st = open_one(16, 0, 100, 100);
    if (!st)
        return 1;
    ns = fl_store_ns(st, 0);
    RUN(lazy_expiry_every_path);
    RUN(active_expiry);
    RUN(expiry_step_bounded);
    RUN(ttl_index);
    RUN(expire_conditions);
    RUN(expire_nx_race);
    fl_store_close(st);
    /* the same in rwlock mode, where readers cannot delete under their shared lock */
    fls_set_default_rwlock(true);
    st = open_one(16, 0, 100, 100);
    if (!st)
        return 1;
    ns = fl_store_ns(st, 0);
    RUN(lazy_expiry_every_path);
    RUN(active_expiry);
    RUN(expire_conditions);
    RUN(expire_nx_race);
    fl_store_close(st);
    return TEST_REPORT();
}
