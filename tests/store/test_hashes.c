/*
 * tests/store/test_hashes.c: semantics of the hash functions (HSET, HGET, HMGET, HDEL, HGETALL,
 * HLEN, HEXISTS, HINCRBY), type errors, and that a 1000-field hash gets a real table (not a
 * list scanned per field: the field table's slots grow with the field count).
 */
#include "../testhelper.h"
#include "flatline/collections.h"
#include "store_internal.h"
#include "store_test_util.h"

static fl_store_t *st;
static fl_ns_t *ns;

/* White-box: the record for k, looked up under its partition's lock (fls_find's contract).
 * Valid after the lock is released only because nothing else runs while a test does. */
static fls_rec_t *peek(fls_key_t *k)
{
    fls_rdlock(ns, k->part);
    fls_rec_t **ref = fls_find(k);
    fls_unlock(ns, k->part);
    return ref ? *ref : NULL;
}

TEST(hset_hget)
{
    fl_ns_flush(ns);
    size_t added = 9;
    fl_slice_t fv[6] = {S("a"), S("1"), S("b"), S("2"), S("a"), S("3")};
    CHECK_EQ_I(fl_hash_set(ns, S("h"), fv, 3, &added), FL_OK);
    CHECK_EQ_U(added, 2); /* a repeated field counts once; the later value wins */
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK_EQ_I(fl_hash_get(ns, S("h"), S("a"), &s), FL_OK);
    CHECK_STR(c.last, "3");
    s = cap_sink(&c);
    fl_hash_get(ns, S("h"), S("zz"), &s);
    CHECK_EQ_I(c.nils, 1);
    s = cap_sink(&c);
    fl_hash_get(ns, S("missing"), S("a"), &s);
    CHECK_EQ_I(c.nils, 1);
    fl_slice_t fv2[4] = {S("b"), S("20"), S("c"), S("30")};
    CHECK_EQ_I(fl_hash_set(ns, S("h"), fv2, 2, &added), FL_OK);
    CHECK_EQ_U(added, 1);
    size_t len;
    fl_hash_len(ns, S("h"), &len);
    CHECK_EQ_U(len, 3);
    fl_hash_len(ns, S("nope"), &len);
    CHECK_EQ_U(len, 0);
    bool e;
    fl_hash_exists(ns, S("h"), S("c"), &e);
    CHECK(e);
    fl_hash_exists(ns, S("h"), S("d"), &e);
    CHECK(!e);
    fl_type_t t;
    fl_key_type(ns, S("h"), &t);
    CHECK_EQ_I(t, FL_TYPE_HASH);
    CHECK_EQ_I(fl_hash_set(ns, S("h"), fv, 0, &added), FL_EINVAL);
}

TEST(hmget_hgetall)
{
    fl_ns_flush(ns);
    fl_slice_t fv[4] = {S("f1"), S("v1"), S("f2"), S("v2")};
    fl_hash_set(ns, S("h"), fv, 2, NULL);
    fl_slice_t q[3] = {S("f2"), S("nope"), S("f1")};
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK_EQ_I(fl_hash_mget(ns, S("h"), q, 3, &s), FL_OK);
    CHECK_EQ_U(c.array_n, 3);
    CHECK_STR(c.all, "v2|(nil)|v1");
    s = cap_sink(&c);
    CHECK_EQ_I(fl_hash_mget(ns, S("missing"), q, 3, &s), FL_OK);
    CHECK_STR(c.all, "(nil)|(nil)|(nil)");
    s = cap_sink(&c);
    CHECK_EQ_I(fl_hash_getall(ns, S("h"), &s), FL_OK);
    CHECK_EQ_U(c.array_n, 4);
    CHECK(strcmp(c.all, "f1|v1|f2|v2") == 0 || strcmp(c.all, "f2|v2|f1|v1") == 0);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_hash_getall(ns, S("missing"), &s), FL_OK);
    CHECK_EQ_I(c.arrays, 1);
    CHECK_EQ_U(c.array_n, 0);
}

TEST(hdel)
{
    fl_ns_flush(ns);
    fl_slice_t fv[4] = {S("a"), S("1"), S("b"), S("2")};
    fl_hash_set(ns, S("h"), fv, 2, NULL);
    size_t r = 9;
    fl_slice_t d1[2] = {S("a"), S("zz")};
    CHECK_EQ_I(fl_hash_del(ns, S("h"), d1, 2, &r), FL_OK);
    CHECK_EQ_U(r, 1);
    bool e;
    fl_key_exists(ns, S("h"), &e);
    CHECK(e);
    fl_slice_t d2[2] = {S("b"), S("b")};
    CHECK_EQ_I(fl_hash_del(ns, S("h"), d2, 2, &r), FL_OK);
    CHECK_EQ_U(r, 1);
    fl_key_exists(ns, S("h"), &e);
    CHECK(!e); /* the last field took the key with it */
    CHECK_EQ_I(fl_hash_del(ns, S("h"), d2, 1, &r), FL_OK);
    CHECK_EQ_U(r, 0);
    CHECK_EQ_U(fl_ns_size(ns), 0);
}

TEST(hincrby)
{
    fl_ns_flush(ns);
    int64_t v;
    CHECK_EQ_I(fl_hash_incrby(ns, S("h"), S("n"), 5, &v), FL_OK);
    CHECK_EQ_I(v, 5);
    CHECK_EQ_I(fl_hash_incrby(ns, S("h"), S("n"), -10, &v), FL_OK);
    CHECK_EQ_I(v, -5);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    fl_hash_get(ns, S("h"), S("n"), &s);
    CHECK_STR(c.last, "-5");
    fl_slice_t fv[2] = {S("x"), S("abc")};
    fl_hash_set(ns, S("h"), fv, 1, NULL);
    CHECK_EQ_I(fl_hash_incrby(ns, S("h"), S("x"), 1, &v), FL_ENOTINT);
    fl_slice_t fv2[2] = {S("m"), S("9223372036854775807")};
    fl_hash_set(ns, S("h"), fv2, 1, NULL);
    CHECK_EQ_I(fl_hash_incrby(ns, S("h"), S("m"), 1, &v), FL_EOVERFLOW);
    s = cap_sink(&c);
    fl_hash_get(ns, S("h"), S("m"), &s);
    CHECK_STR(c.last, "9223372036854775807");
}

TEST(wrongtype)
{
    fl_ns_flush(ns);
    fl_str_set(ns, S("s"), S("v"), NULL, NULL);
    fl_slice_t fv[2] = {S("f"), S("v")};
    size_t n;
    bool e;
    int64_t v;
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK_EQ_I(fl_hash_set(ns, S("s"), fv, 1, &n), FL_EWRONGTYPE);
    CHECK_EQ_I(fl_hash_get(ns, S("s"), S("f"), &s), FL_EWRONGTYPE);
    CHECK_EQ_I(fl_hash_mget(ns, S("s"), fv, 1, &s), FL_EWRONGTYPE);
    CHECK_EQ_I(fl_hash_getall(ns, S("s"), &s), FL_EWRONGTYPE);
    CHECK_EQ_I(fl_hash_len(ns, S("s"), &n), FL_EWRONGTYPE);
    CHECK_EQ_I(fl_hash_exists(ns, S("s"), S("f"), &e), FL_EWRONGTYPE);
    CHECK_EQ_I(fl_hash_del(ns, S("s"), fv, 1, &n), FL_EWRONGTYPE);
    CHECK_EQ_I(fl_hash_incrby(ns, S("s"), S("f"), 1, &v), FL_EWRONGTYPE);
    CHECK_EQ_I(c.bulks + c.nils + c.arrays, 0);
    fl_hash_set(ns, S("h"), fv, 1, &n);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_get(ns, S("h"), &s), FL_EWRONGTYPE);
    CHECK_EQ_I(fl_str_len(ns, S("h"), &n), FL_EWRONGTYPE);
}

TEST(thousand_fields)
{
    fl_ns_flush(ns);
    char f[32], v[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(f, sizeof(f), "field-%d", i);
        snprintf(v, sizeof(v), "value-%d", i);
        fl_slice_t fv[2] = {S(f), S(v)};
        size_t added;
        CHECK_EQ_I(fl_hash_set(ns, S("big"), fv, 1, &added), FL_OK);
        CHECK_EQ_U(added, 1);
    }
    size_t len;
    fl_hash_len(ns, S("big"), &len);
    CHECK_EQ_U(len, 1000);
    /* past 128 fields: a real table (Redis's "hashtable"), at most 2 slots of 8 bytes per field */
    const char *enc = NULL;
    CHECK_EQ_I(fl_key_encoding(ns, S("big"), &enc), FL_OK);
    CHECK_STR(enc, "hashtable");
    fls_key_t k;
    fls_key_init(ns, S("big"), &k);
    size_t pairs = 0;
    for (int i = 0; i < 1000; i++)
        pairs +=
            2 + (size_t)snprintf(NULL, 0, "field-%d", i) + (size_t)snprintf(NULL, 0, "value-%d", i);
    size_t total = fls_rec_total(peek(&k));
    CHECK(total >= pairs + 1024 * 8 && total <= pairs + 2048 * 8 + 128);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    fl_hash_get(ns, S("big"), S("field-777"), &s);
    CHECK_STR(c.last, "value-777");
    /* one HSET with 1000 pairs, then HDEL most: the table shrinks */
    fl_slice_t *fv = malloc(2000 * sizeof(*fv));
    char(*names)[16] = malloc(1000 * sizeof(*names));
    for (int i = 0; i < 1000; i++) {
        snprintf(names[i], 16, "g%d", i);
        fv[2 * i] = S(names[i]);
        fv[2 * i + 1] = S("x");
    }
    size_t added;
    CHECK_EQ_I(fl_hash_set(ns, S("big2"), fv, 1000, &added), FL_OK);
    CHECK_EQ_U(added, 1000);
    fl_slice_t *del = malloc(990 * sizeof(*del));
    for (int i = 0; i < 990; i++)
        del[i] = fv[2 * i];
    size_t removed;
    CHECK_EQ_I(fl_hash_del(ns, S("big2"), del, 990, &removed), FL_OK);
    CHECK_EQ_U(removed, 990);
    fl_hash_len(ns, S("big2"), &len);
    CHECK_EQ_U(len, 10);
    fls_key_init(ns, S("big2"), &k);
    CHECK(fls_rec_total(peek(&k)) <= 64 * 8 + 10 * 8 + 128); /* the slots shrank with it */
    CHECK_EQ_I(fl_key_encoding(ns, S("big2"), &enc), FL_OK);
    CHECK_STR(enc, "hashtable"); /* never back to a listpack, as Redis */
    free(del);
    free(names);
    free(fv);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
}

TEST(hash_ttl_and_overwrite)
{
    fl_ns_flush(ns);
    fl_slice_t fv[2] = {S("f"), S("v")};
    fl_hash_set(ns, S("h"), fv, 1, NULL);
    bool ok;
    fl_key_expire_at(ns, S("h"), fl_now_ms() + 100000, &ok);
    CHECK(ok);
    fl_slice_t fv2[2] = {S("g"), S("w")};
    fl_hash_set(ns, S("h"), fv2, 1, NULL);
    int64_t ttl;
    fl_key_ttl_ms(ns, S("h"), &ttl);
    CHECK(ttl > 0); /* HSET keeps the TTL */
    CHECK_EQ_I(fl_str_set(ns, S("h"), S("now a string"), NULL, NULL), FL_OK);
    fl_key_ttl_ms(ns, S("h"), &ttl);
    CHECK_EQ_I(ttl, -1);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
}

TEST(serialized_layout)
{
    fl_ns_flush(ns);
    fl_set_opts_t o = {0x0102030405060708ll, 0};
    CHECK_EQ_I(fl_str_set(ns, S("ab"), S("xyz"), &o, NULL), FL_OK);
    fls_key_t k;
    fls_key_init(ns, S("ab"), &k);
    char buf[64];
    size_t n = fls_rec_serialize(peek(&k), buf, sizeof(buf));
    static const char want[] = "\x01\x08\x07\x06\x05\x04\x03\x02\x01"
                               "\x02\x00\x00\x00"
                               "ab"
                               "\x03\x00\x00\x00"
                               "xyz";
    CHECK_EQ_U(n, sizeof(want) - 1);
    CHECK(memcmp(buf, want, n) == 0);
    /* a short buffer still reports the size needed */
    CHECK_EQ_U(fls_rec_serialize(peek(&k), buf, 3), n);
    fl_slice_t fv[2] = {S("f"), S("vv")};
    fl_hash_set(ns, S("h"), fv, 1, NULL);
    fls_key_init(ns, S("h"), &k);
    n = fls_rec_serialize(peek(&k), buf, sizeof(buf));
    static const char hwant[] = "\x02\x00\x00\x00\x00\x00\x00\x00\x00"
                                "\x01\x00\x00\x00"
                                "h"
                                "\x01\x00\x00\x00"
                                "\x01\x00\x00\x00"
                                "f"
                                "\x02\x00\x00\x00"
                                "vv";
    CHECK_EQ_U(n, sizeof(hwant) - 1);
    CHECK(memcmp(buf, hwant, n) == 0);
}

int main(void)
{
    st = open_one(4, 0, 100, 100);
    if (!st)
        return 1;
    ns = fl_store_ns(st, 0);
    RUN(hset_hget);
    RUN(hmget_hgetall);
    RUN(hdel);
    RUN(hincrby);
    RUN(wrongtype);
    RUN(thousand_fields);
    RUN(hash_ttl_and_overwrite);
    RUN(serialized_layout);
    fl_store_close(st);
    return TEST_REPORT();
}
