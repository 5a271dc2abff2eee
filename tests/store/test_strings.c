/*
 * tests/store/test_strings.c: semantics of the string and key functions of store.h (SET
 * options, GETDEL, APPEND, INCRBY, DEL, EXPIRE, PTTL, PERSIST, TYPE, MEMORY USAGE, status
 * messages), each checked against Redis's behaviour.
 */
#include "../testhelper.h"
#include "store_test_util.h"

static fl_store_t *st;
static fl_ns_t *ns;

static void reset(void)
{
    fl_ns_flush(ns);
}

TEST(get_set_basic)
{
    reset();
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK_EQ_I(fl_str_get(ns, S("k"), &s), FL_OK);
    CHECK_EQ_I(c.nils, 1);
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("v1"), NULL, NULL), FL_OK);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_get(ns, S("k"), &s), FL_OK);
    CHECK_STR(c.last, "v1");
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("value two"), NULL, NULL), FL_OK);
    s = cap_sink(&c);
    fl_str_get(ns, S("k"), &s);
    CHECK_STR(c.last, "value two");
    CHECK_EQ_U(fl_ns_size(ns), 1);
    /* binary-safe keys and values, empty value */
    fl_slice_t bk = {"a\0b", 3}, bv = {"x\0y\0", 4};
    CHECK_EQ_I(fl_str_set(ns, bk, bv, NULL, NULL), FL_OK);
    s = cap_sink(&c);
    fl_str_get(ns, bk, &s);
    CHECK_EQ_U(c.last_len, 4);
    CHECK(memcmp(c.last, "x\0y\0", 4) == 0);
    CHECK_EQ_I(fl_str_set(ns, S("empty"), S(""), NULL, NULL), FL_OK);
    size_t len = 99;
    CHECK_EQ_I(fl_str_len(ns, S("empty"), &len), FL_OK);
    CHECK_EQ_U(len, 0);
    CHECK_EQ_U(fl_ns_size(ns), 3);
    /* (NULL, 0) slices are valid: the empty key and empty values */
    fl_slice_t nul = {NULL, 0};
    CHECK_EQ_I(fl_str_set(ns, nul, nul, NULL, NULL), FL_OK);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_get(ns, S(""), &s), FL_OK);
    CHECK_EQ_I(c.bulks, 1);
    CHECK_EQ_U(c.last_len, 0);
    CHECK_EQ_I(fl_str_append(ns, nul, nul, &len), FL_OK);
    CHECK_EQ_U(len, 0);
    fl_slice_t fv[2] = {nul, nul};
    size_t added;
    CHECK_EQ_I(fl_hash_set(ns, S("h-empty"), fv, 1, &added), FL_OK);
    CHECK_EQ_U(added, 1);
    bool e = false;
    CHECK_EQ_I(fl_hash_exists(ns, S("h-empty"), S(""), &e), FL_OK);
    CHECK(e);
    CHECK_EQ_U(fl_ns_size(ns), 5);
}

TEST(set_nx_xx)
{
    reset();
    fl_set_opts_t nx = {0, FL_SET_NX}, xx = {0, FL_SET_XX};
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("a"), &xx, NULL), FL_ECOND);
    CHECK_EQ_U(fl_ns_size(ns), 0);
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("a"), &nx, NULL), FL_OK);
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("b"), &nx, NULL), FL_ECOND);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    fl_str_get(ns, S("k"), &s);
    CHECK_STR(c.last, "a");
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("c"), &xx, NULL), FL_OK);
    s = cap_sink(&c);
    fl_str_get(ns, S("k"), &s);
    CHECK_STR(c.last, "c");
    fl_set_opts_t both = {0, FL_SET_NX | FL_SET_XX};
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("d"), &both, NULL), FL_EINVAL);
}

TEST(set_get_option)
{
    reset();
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    fl_set_opts_t g = {0, FL_SET_GET};
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("one"), &g, &s), FL_OK);
    CHECK_EQ_I(c.nils, 1);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("two"), &g, &s), FL_OK);
    CHECK_STR(c.last, "one");
    /* GET with a failed NX still returns the old value */
    fl_set_opts_t gnx = {0, FL_SET_GET | FL_SET_NX};
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("three"), &gnx, &s), FL_ECOND);
    CHECK_STR(c.last, "two");
    /* SET GET on a hash: WRONGTYPE, nothing changes; plain SET overwrites the hash */
    fl_slice_t fv[2] = {S("f"), S("v")};
    CHECK_EQ_I(fl_hash_set(ns, S("h"), fv, 1, NULL), FL_OK);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_set(ns, S("h"), S("x"), &g, &s), FL_EWRONGTYPE);
    CHECK_EQ_I(c.bulks + c.nils, 0);
    fl_type_t t;
    fl_key_type(ns, S("h"), FL_LOOKUP_QUIET, &t);
    CHECK_EQ_I(t, FL_TYPE_HASH);
    CHECK_EQ_I(fl_str_set(ns, S("h"), S("x"), NULL, NULL), FL_OK);
    fl_key_type(ns, S("h"), FL_LOOKUP_QUIET, &t);
    CHECK_EQ_I(t, FL_TYPE_STRING);
}

TEST(set_ttl_options)
{
    reset();
    int64_t now = fl_now_ms();
    fl_set_opts_t ex = {now + 100000, 0};
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("v"), &ex, NULL), FL_OK);
    int64_t ttl;
    fl_key_ttl_ms(ns, S("k"), &ttl);
    CHECK(ttl > 90000 && ttl <= 100000);
    /* plain SET clears the TTL */
    fl_str_set(ns, S("k"), S("v2"), NULL, NULL);
    fl_key_ttl_ms(ns, S("k"), &ttl);
    CHECK_EQ_I(ttl, -1);
    /* KEEPTTL keeps it */
    fl_str_set(ns, S("k"), S("v3"), &ex, NULL);
    fl_set_opts_t keep = {0, FL_SET_KEEPTTL};
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("v4"), &keep, NULL), FL_OK);
    fl_key_ttl_ms(ns, S("k"), &ttl);
    CHECK(ttl > 90000 && ttl <= 100000);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    fl_str_get(ns, S("k"), &s);
    CHECK_STR(c.last, "v4");
    /* an absolute expiry in the past: the key is gone */
    fl_set_opts_t past = {now - 10, 0};
    CHECK_EQ_I(fl_str_set(ns, S("k"), S("v5"), &past, NULL), FL_OK);
    bool ex2;
    fl_key_exists(ns, S("k"), FL_LOOKUP_QUIET, &ex2);
    CHECK(!ex2);
    CHECK_EQ_U(fl_ns_size(ns), 0);
    fl_ns_stats_t stt;
    fl_ns_stats(ns, &stt);
    CHECK_EQ_U(stt.keys_with_ttl, 0);
}

TEST(getdel)
{
    reset();
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK_EQ_I(fl_str_getdel(ns, S("k"), &s), FL_OK);
    CHECK_EQ_I(c.nils, 1);
    fl_str_set(ns, S("k"), S("v"), NULL, NULL);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_getdel(ns, S("k"), &s), FL_OK);
    CHECK_STR(c.last, "v");
    bool e;
    fl_key_exists(ns, S("k"), FL_LOOKUP_QUIET, &e);
    CHECK(!e);
    fl_slice_t fv[2] = {S("f"), S("v")};
    fl_hash_set(ns, S("h"), fv, 1, NULL);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_getdel(ns, S("h"), &s), FL_EWRONGTYPE);
    fl_key_exists(ns, S("h"), FL_LOOKUP_QUIET, &e);
    CHECK(e);
}

TEST(append)
{
    reset();
    size_t n = 0;
    CHECK_EQ_I(fl_str_append(ns, S("k"), S("Hello"), &n), FL_OK);
    CHECK_EQ_U(n, 5);
    CHECK_EQ_I(fl_str_append(ns, S("k"), S(" World"), &n), FL_OK);
    CHECK_EQ_U(n, 11);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    fl_str_get(ns, S("k"), &s);
    CHECK_STR(c.last, "Hello World");
    /* append keeps the TTL */
    fl_key_expire_at(ns, S("k"), fl_now_ms() + 100000, NULL);
    fl_str_append(ns, S("k"), S("!"), &n);
    int64_t ttl;
    fl_key_ttl_ms(ns, S("k"), &ttl);
    CHECK(ttl > 0);
    /* many appends: the value is the concatenation */
    for (int i = 0; i < 1000; i++)
        CHECK_EQ_I(fl_str_append(ns, S("big"), S("0123456789"), &n), FL_OK);
    CHECK_EQ_U(n, 10000);
    fl_slice_t fv[2] = {S("f"), S("v")};
    fl_hash_set(ns, S("h"), fv, 1, NULL);
    CHECK_EQ_I(fl_str_append(ns, S("h"), S("x"), &n), FL_EWRONGTYPE);
}

TEST(incrby)
{
    reset();
    int64_t r = 0;
    CHECK_EQ_I(fl_str_incrby(ns, S("n"), 5, &r), FL_OK);
    CHECK_EQ_I(r, 5);
    CHECK_EQ_I(fl_str_incrby(ns, S("n"), -7, &r), FL_OK);
    CHECK_EQ_I(r, -2);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    fl_str_get(ns, S("n"), &s);
    CHECK_STR(c.last, "-2");
    fl_str_set(ns, S("n"), S("9223372036854775806"), NULL, NULL);
    CHECK_EQ_I(fl_str_incrby(ns, S("n"), 1, &r), FL_OK);
    CHECK_EQ_I(r, INT64_MAX);
    CHECK_EQ_I(fl_str_incrby(ns, S("n"), 1, &r), FL_EOVERFLOW);
    s = cap_sink(&c);
    fl_str_get(ns, S("n"), &s);
    CHECK_STR(c.last, "9223372036854775807");
    fl_str_set(ns, S("m"), S("-9223372036854775808"), NULL, NULL);
    CHECK_EQ_I(fl_str_incrby(ns, S("m"), -1, &r), FL_EOVERFLOW);
    CHECK_EQ_I(fl_str_incrby(ns, S("m"), 0, &r), FL_OK);
    CHECK_EQ_I(r, INT64_MIN);
    const char *bad[] = {"abc",
                         "",
                         " 1",
                         "1 ",
                         "+1",
                         "01",
                         "-0",
                         "1.5",
                         "9223372036854775808",
                         "-9223372036854775809",
                         "99999999999999999999"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fl_str_set(ns, S("x"), S(bad[i]), NULL, NULL);
        CHECK_EQ_I(fl_str_incrby(ns, S("x"), 1, &r), FL_ENOTINT);
    }
    fl_str_set(ns, S("z"), S("0"), NULL, NULL);
    CHECK_EQ_I(fl_str_incrby(ns, S("z"), 10, &r), FL_OK);
    CHECK_EQ_I(r, 10);
    fl_slice_t fv[2] = {S("f"), S("v")};
    fl_hash_set(ns, S("h"), fv, 1, NULL);
    CHECK_EQ_I(fl_str_incrby(ns, S("h"), 1, &r), FL_EWRONGTYPE);
}

TEST(del_exists_type)
{
    reset();
    bool d, e;
    CHECK_EQ_I(fl_key_del(ns, S("k"), &d), FL_OK);
    CHECK(!d);
    fl_str_set(ns, S("k"), S("v"), NULL, NULL);
    fl_key_exists(ns, S("k"), FL_LOOKUP_QUIET, &e);
    CHECK(e);
    fl_type_t t;
    fl_key_type(ns, S("k"), FL_LOOKUP_QUIET, &t);
    CHECK_EQ_I(t, FL_TYPE_STRING);
    fl_key_type(ns, S("nope"), FL_LOOKUP_QUIET, &t);
    CHECK_EQ_I(t, FL_TYPE_NONE);
    CHECK_EQ_I(fl_key_del(ns, S("k"), &d), FL_OK);
    CHECK(d);
    fl_key_exists(ns, S("k"), FL_LOOKUP_QUIET, &e);
    CHECK(!e);
    CHECK_EQ_U(fl_ns_size(ns), 0);
}

TEST(expire_ttl_persist)
{
    reset();
    int64_t ttl;
    bool ok;
    fl_key_ttl_ms(ns, S("k"), &ttl);
    CHECK_EQ_I(ttl, -2);
    CHECK_EQ_I(fl_key_expire_at(ns, S("k"), fl_now_ms() + 1000, &ok), FL_OK);
    CHECK(!ok);
    fl_str_set(ns, S("k"), S("v"), NULL, NULL);
    fl_key_ttl_ms(ns, S("k"), &ttl);
    CHECK_EQ_I(ttl, -1);
    fl_key_persist(ns, S("k"), &ok);
    CHECK(!ok);
    fl_key_expire_at(ns, S("k"), fl_now_ms() + 50000, &ok);
    CHECK(ok);
    fl_key_ttl_ms(ns, S("k"), &ttl);
    CHECK(ttl > 40000 && ttl <= 50000);
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK_EQ_U(s.keys_with_ttl, 1);
    fl_key_persist(ns, S("k"), &ok);
    CHECK(ok);
    fl_key_ttl_ms(ns, S("k"), &ttl);
    CHECK_EQ_I(ttl, -1);
    fl_ns_stats(ns, &s);
    CHECK_EQ_U(s.keys_with_ttl, 0);
    /* EXPIRE in the past deletes */
    fl_key_expire_at(ns, S("k"), fl_now_ms() - 1, &ok);
    CHECK(ok);
    bool e;
    fl_key_exists(ns, S("k"), FL_LOOKUP_QUIET, &e);
    CHECK(!e);
    fl_key_ttl_ms(ns, S("k"), &ttl);
    CHECK_EQ_I(ttl, -2);
}

TEST(memory_usage)
{
    reset();
    size_t b = 1;
    fl_key_memory_usage(ns, S("k"), &b);
    CHECK_EQ_U(b, 0);
    fl_str_set(ns, S("k"), S("0123456789"), NULL, NULL);
    fl_key_memory_usage(ns, S("k"), &b);
    CHECK(b >= 11 + 10);
    size_t b2;
    char big[5000];
    memset(big, 'x', sizeof(big));
    fl_slice_t bv = {big, sizeof(big)};
    fl_str_set(ns, S("k"), bv, NULL, NULL);
    fl_key_memory_usage(ns, S("k"), &b2);
    CHECK(b2 >= 5000 && b2 > b);
}

TEST(status_strings)
{
    CHECK_STR(fl_status_str(FL_EWRONGTYPE),
              "WRONGTYPE Operation against a key holding the wrong kind of value");
    CHECK_STR(fl_status_str(FL_ENOTINT), "ERR value is not an integer or out of range");
    CHECK_STR(fl_status_str(FL_EOVERFLOW), "ERR increment or decrement would overflow");
    CHECK_STR(fl_status_str(FL_EOOM), "OOM command not allowed when used memory > 'maxmemory'");
    CHECK(strncmp(fl_status_str(FL_ENOMEM), "ERR", 3) == 0);
    CHECK(strncmp(fl_status_str(FL_EINVAL), "ERR", 3) == 0);
    CHECK(strncmp(fl_status_str(-1000), "ERR", 3) == 0);
    char buf[160];
    fl_ns_oom_message(ns, buf, sizeof(buf));
    CHECK_STR(buf, "OOM command not allowed when used memory > 'maxmemory' in namespace 'test'");
}

TEST(config)
{
    fl_ns_config_t c;
    char err[200];
    fl_ns_config_default(&c, "ns1");
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_OK);
    CHECK_EQ_U(c.partitions, 4096);
    c.partitions = 3000;
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_EINVAL);
    CHECK(strstr(err, "power of two") != NULL);
    fl_ns_config_default(&c, "");
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_EINVAL);
    fl_ns_config_default(&c, "a b");
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_EINVAL);
    fl_ns_config_default(&c, "x");
    c.high_water_pct = 0;
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_EINVAL);
    /* store lookups */
    fl_ns_config_t two[2];
    fl_ns_config_default(&two[0], "alpha");
    fl_ns_config_default(&two[1], "beta");
    two[0].partitions = two[1].partitions = 16;
    fl_store_t *s2;
    CHECK_EQ_I(fl_store_open(&s2, two, 2, err, sizeof(err)), FL_OK);
    CHECK_EQ_U(fl_store_ns_count(s2), 2);
    CHECK(fl_store_ns_find(s2, "beta", 4) == fl_store_ns(s2, 1));
    CHECK(fl_store_ns_find(s2, "gamma", 5) == NULL);
    CHECK(fl_store_ns(s2, 2) == NULL);
    CHECK_STR(fl_ns_config(fl_store_ns(s2, 0))->name, "alpha");
    /* namespaces are separate keyspaces with separate arenas */
    fl_str_set(fl_store_ns(s2, 0), S("k"), S("a"), NULL, NULL);
    bool e;
    fl_key_exists(fl_store_ns(s2, 1), S("k"), FL_LOOKUP_QUIET, &e);
    CHECK(!e);
    CHECK(fl_ns_arena(fl_store_ns(s2, 0)) != fl_ns_arena(fl_store_ns(s2, 1)));
    fl_store_close(s2);
    fl_ns_config_default(&two[1], "alpha");
    CHECK_EQ_I(fl_store_open(&s2, two, 2, err, sizeof(err)), FL_EINVAL);
    CHECK(strstr(err, "twice") != NULL);
}

TEST(default_ttl)
{
    fl_ns_config_t c;
    fl_ns_config_default(&c, "dttl");
    c.partitions = 8;
    c.default_ttl_ms = 60000;
    fl_store_t *s2;
    char err[200];
    CHECK_EQ_I(fl_store_open(&s2, &c, 1, err, sizeof(err)), FL_OK);
    fl_ns_t *n2 = fl_store_ns(s2, 0);
    int64_t ttl;
    fl_str_set(n2, S("a"), S("v"), NULL, NULL);
    fl_key_ttl_ms(n2, S("a"), &ttl);
    CHECK(ttl > 50000 && ttl <= 60000);
    fl_set_opts_t ex = {fl_now_ms() + 5000000, 0};
    fl_str_set(n2, S("b"), S("v"), &ex, NULL);
    fl_key_ttl_ms(n2, S("b"), &ttl);
    CHECK(ttl > 4000000);
    int64_t r;
    fl_str_incrby(n2, S("c"), 1, &r);
    fl_key_ttl_ms(n2, S("c"), &ttl);
    CHECK(ttl > 0);
    fl_store_close(s2);
}

TEST(mset)
{
    reset();
    fl_set_opts_t o = {fl_now_ms() + 100000, 0};
    CHECK_EQ_I(fl_str_set(ns, S("m:b"), S("old"), &o, NULL), FL_OK);
    fl_hash_set(ns, S("m:h"), (fl_slice_t[]){S("f"), S("v")}, 1, NULL);
    fl_slice_t kv[] = {S("m:a"), S("1"),   S("m:b"), S("2"), S("m:h"),
                       S("3"),   S("m:a"), S("4"),   S(""),  S("5")};
    CHECK_EQ_I(fl_str_mset(ns, kv, 5), FL_OK);
    const char *want[][2] = {{"m:a", "4"}, {"m:b", "2"}, {"m:h", "3"}, {"", "5"}};
    for (int i = 0; i < 4; i++) {
        cap_t c;
        fl_sink_t sk = cap_sink(&c);
        CHECK_EQ_I(fl_str_get(ns, S(want[i][0]), &sk), FL_OK);
        CHECK_EQ_U(c.bulks, 1);
        CHECK(strcmp(c.last, want[i][1]) == 0);
    }
    int64_t ttl = 0;
    fl_key_ttl_ms(ns, S("m:b"), &ttl);
    CHECK_EQ_I(ttl, -1); /* MSET drops the TTL, as SET does */
    CHECK_EQ_U(fl_ns_size(ns), 4);
    CHECK_EQ_I(fl_str_mset(ns, kv, 0), FL_OK);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
}

int main(void)
{
    st = open_one(16, 0, 100, 100);
    if (!st)
        return 1;
    ns = fl_store_ns(st, 0);
    RUN(get_set_basic);
    RUN(set_nx_xx);
    RUN(set_get_option);
    RUN(set_ttl_options);
    RUN(getdel);
    RUN(append);
    RUN(incrby);
    RUN(del_exists_type);
    RUN(expire_ttl_persist);
    RUN(memory_usage);
    RUN(status_strings);
    RUN(config);
    RUN(default_ttl);
    RUN(mset);
    size_t used = 0, req = 0;
    int same = used_matches_arena(ns, &used, &req);
    fprintf(stderr, "used %zu, arena requested %zu\n", used, req);
    fl_store_close(st);
    if (!same)
        th_failed++;
    return TEST_REPORT();
}
