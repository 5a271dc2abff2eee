/*
 * tests/store/test_hashes.c: semantics of the hash functions (HSET, HGET, HMGET, HDEL, HGETALL,
 * HLEN, HEXISTS, HINCRBY), type errors, that a 1000-field hash gets a real table (its slots
 * grow and shrink with the field count), and both encodings against a model: Redis's
 * conversions (above 512 fields or a field/value over 64 bytes, for good), a listpack's
 * insertion order, exact accounting, the defrag walk moving every block, COPY.
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
    fl_key_type(ns, S("h"), FL_LOOKUP_QUIET, &t);
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
    fl_key_exists(ns, S("h"), FL_LOOKUP_QUIET, &e);
    CHECK(e);
    fl_slice_t d2[2] = {S("b"), S("b")};
    CHECK_EQ_I(fl_hash_del(ns, S("h"), d2, 2, &r), FL_OK);
    CHECK_EQ_U(r, 1);
    fl_key_exists(ns, S("h"), FL_LOOKUP_QUIET, &e);
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

/* ---- Both encodings against a model ------------------------------------------------------------
 */

#define MODEL_KEYS 4
#define MODEL_FIELDS 700
typedef struct model_hash {
    int order[MODEL_FIELDS]; /* field numbers in insertion order */
    int n;
    char val[MODEL_FIELDS][96];
    bool has[MODEL_FIELDS];
    bool table; /* converted: above 512 fields or a long field/value once */
} model_hash_t;

static void model_set(model_hash_t *m, int f, const char *v)
{
    if (!m->has[f])
        m->order[m->n++] = f;
    m->has[f] = true;
    snprintf(m->val[f], sizeof(m->val[f]), "%s", v);
    m->table |= m->n > 512 || strlen(v) > 64;
}

static void model_del(model_hash_t *m, int f)
{
    if (!m->has[f])
        return;
    m->has[f] = false;
    int j = 0;
    for (int i = 0; i < m->n; i++)
        if (m->order[i] != f)
            m->order[j++] = m->order[i];
    m->n = j;
    if (m->n == 0)
        m->table = false; /* the key went with its last field: a new hash starts small */
}

/* The hash at key against the model: length, encoding, every value, and for a listpack the
 * order of HGETALL (insertion order, as Redis). */
static void model_check(const char *key, const model_hash_t *m)
{
    size_t len = 99;
    CHECK_EQ_I(fl_hash_len(ns, S(key), &len), FL_OK);
    CHECK_EQ_U(len, (size_t)m->n);
    const char *enc = NULL;
    fl_key_encoding(ns, S(key), &enc);
    if (m->n == 0) {
        CHECK(enc == NULL);
        return;
    }
    CHECK_STR(enc, m->table ? "hashtable" : "listpack");
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    fl_hash_getall(ns, S(key), &s);
    CHECK_EQ_U(c.array_n, 2 * (size_t)m->n);
    if (!m->table && m->n <= 40) { /* cap_t keeps 4 KiB of the reply */
        char want[4096];
        size_t w = 0;
        for (int i = 0; i < m->n; i++)
            w += (size_t)snprintf(want + w, sizeof(want) - w, "%sf%d|%s", i ? "|" : "", m->order[i],
                                  m->val[m->order[i]]);
        CHECK_STR(c.all, want);
    }
    for (int f = 0; f < MODEL_FIELDS; f += 37) {
        char name[16];
        snprintf(name, sizeof(name), "f%d", f);
        s = cap_sink(&c);
        fl_hash_get(ns, S(key), S(name), &s);
        if (m->has[f])
            CHECK_STR(c.last, m->val[f]);
        else
            CHECK_EQ_I(c.nils, 1);
    }
}

TEST(encodings_model)
{
    fl_ns_flush(ns);
    size_t used0 = 0, req = 0;
    CHECK(used_matches_arena(ns, &used0, &req));
    static model_hash_t model[MODEL_KEYS];
    memset(model, 0, sizeof(model));
    srand(11);
    char key[16], name[16], val[96];
    for (int round = 0; round < 40; round++) {
        for (int op = 0; op < 400; op++) {
            int k = rand() % MODEL_KEYS, f = rand() % (k == 0 ? MODEL_FIELDS : 30);
            snprintf(key, sizeof(key), "m%d", k);
            snprintf(name, sizeof(name), "f%d", f);
            int r = rand() % 100;
            if (r < 55 || (k == 0 && r < 80)) {
                int vlen =
                    k == 1 && rand() % 500 == 0 ? 70 : rand() % 12; /* m1 converts by a value */
                for (int i = 0; i < vlen; i++)
                    val[i] = (char)('a' + rand() % 26);
                val[vlen] = 0;
                fl_slice_t fv[2] = {S(name), S(val)};
                CHECK_EQ_I(fl_hash_set(ns, S(key), fv, 1, NULL), FL_OK);
                model_set(&model[k], f, val);
            } else if (r < 90) {
                size_t gone;
                CHECK_EQ_I(fl_hash_del(ns, S(key), &(fl_slice_t){name, strlen(name)}, 1, &gone),
                           FL_OK);
                CHECK_EQ_U(gone, model[k].has[f] ? 1 : 0);
                model_del(&model[k], f);
            } else {
                bool set;
                CHECK_EQ_I(fl_hash_setnx(ns, S(key), S(name), S("nx"), &set), FL_OK);
                CHECK_EQ_I(set, !model[k].has[f]);
                if (set)
                    model_set(&model[k], f, "nx");
            }
        }
        for (int k = 0; k < MODEL_KEYS; k++) {
            snprintf(key, sizeof(key), "m%d", k);
            model_check(key, &model[k]);
        }
        size_t used = 0;
        CHECK(used_matches_arena(ns, &used, &req));
    }
    int tables = 0;
    for (int k = 0; k < MODEL_KEYS; k++)
        tables += model[k].table;
    CHECK(model[0].table && tables < MODEL_KEYS); /* both encodings and both conversions */
    /* the defrag walk moves every block of both encodings; contents and accounting hold */
    mover_t mv = {fl_ns_arena(ns), 0, 0};
    fls_walk_ops_t ops = {.buckets = move_one, .rec = move_one, .node = move_one};
    for (uint32_t p = 0; p < ns->nparts; p++) {
        fls_wrlock(ns, &ns->parts[p]);
        fls_part_walk(ns, p, &ops, &mv);
        fls_unlock(ns, &ns->parts[p]);
    }
    CHECK(mv.moved > MODEL_KEYS);
    for (int k = 0; k < MODEL_KEYS; k++) {
        snprintf(key, sizeof(key), "m%d", k);
        model_check(key, &model[k]);
    }
    /* COPY keeps content and encoding (a deep copy: the source can go) */
    for (int k = 0; k < MODEL_KEYS; k++) {
        char dst[16];
        bool copied;
        snprintf(key, sizeof(key), "m%d", k);
        snprintf(dst, sizeof(dst), "c%d", k);
        CHECK_EQ_I(fl_key_copy(ns, S(key), ns, S(dst), false, &copied), FL_OK);
        CHECK_EQ_I(copied, model[k].n > 0);
        bool deleted;
        fl_key_del(ns, S(key), &deleted);
        model_check(dst, &model[k]);
        fl_key_del(ns, S(dst), &deleted);
    }
    size_t used = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    CHECK_EQ_U(used, used0);
}

TEST(listpack_block_is_exact)
{
    fl_ns_flush(ns);
    fl_slice_t fv[4] = {S("field0"), S("value-1"), S("f1"), S("")};
    CHECK_EQ_I(fl_hash_set(ns, S("h"), fv, 2, NULL), FL_OK);
    fls_key_t k;
    fls_key_init(ns, S("h"), &k);
    fls_rec_t *r = peek(&k);
    /* the record, then one block: a length byte and the bytes of each field and value */
    CHECK_EQ_U(fls_rec_total(r), fls_rec_size(r) + (1 + 6 + 1 + 7) + (1 + 2 + 1 + 0));
    /* one HSET with 600 pairs converts at once, and a failed one changes nothing */
    fl_slice_t *many = malloc(1200 * sizeof(*many));
    char(*names)[16] = malloc(600 * sizeof(*names));
    for (int i = 0; i < 600; i++) {
        snprintf(names[i], 16, "n%d", i);
        many[2 * i] = S(names[i]);
        many[2 * i + 1] = S("v");
    }
    size_t added;
    CHECK_EQ_I(fl_hash_set(ns, S("big"), many, 600, &added), FL_OK);
    CHECK_EQ_U(added, 600);
    const char *enc = NULL;
    fl_key_encoding(ns, S("big"), &enc);
    CHECK_STR(enc, "hashtable");
    CHECK_EQ_I(fl_hash_set(ns, S("big2"), many, 512, &added), FL_OK);
    fl_key_encoding(ns, S("big2"), &enc);
    CHECK_STR(enc, "listpack");
    free(names);
    free(many);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
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
    RUN(encodings_model);
    RUN(listpack_block_is_exact);
    fl_store_close(st);
    return TEST_REPORT();
}
