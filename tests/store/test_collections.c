/*
 * tests/store/test_collections.c: lists, sets and sorted sets in the store (flatline/
 * collections.h) against simple reference models under random operations, with the exact
 * accounting (used == arena requested) and the defrag walk (every node moved, contents kept)
 * checked along the way.
 */
#include <math.h>
#include <stdlib.h>

#include "../testhelper.h"
#include "flatline/collections.h"
#include "store_internal.h"
#include "store_test_util.h"

static uint64_t rnd_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static bool accounted(fl_ns_t *ns)
{
    size_t used = 0, req = 0;
    if (used_matches_arena(ns, &used, &req))
        return true;
    fprintf(stderr, "  used %zu != requested %zu\n", used, req);
    return false;
}

/* Moves every allocation of the namespace once; returns how many moved. */
static size_t move_everything(fl_ns_t *ns)
{
    mover_t m = {fl_ns_arena(ns), 0, 0};
    fls_walk_ops_t ops = {.buckets = move_one, .rec = move_one, .node = move_one};
    for (uint32_t p = 0; p < ns->nparts; p++) {
        fls_wrlock(ns, &ns->parts[p]);
        fls_part_walk(ns, p, &ops, &m);
        fls_unlock(ns, &ns->parts[p]);
    }
    return m.moved;
}

/* ---- Lists ---------------------------------------------------------------------------------- */

#define LMAX 4000
typedef struct model_list {
    char *v[LMAX];
    size_t n;
} model_list_t;

static char *elem_new(void)
{
    /* mostly short, sometimes long enough for the 5-byte length form and big chunks */
    size_t len = rnd() % 8 == 0 ? 100 + rnd() % 3000 : rnd() % 20;
    char *s = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        s[i] = (char)('a' + rnd() % 3);
    s[len] = 0;
    return s;
}

/* A sink keeping the last bulk whole. */
typedef struct whole {
    char buf[4096];
    size_t n;
    int bulks;
} whole_t;
static void whole_bulk(void *ctx, const char *p, size_t n)
{
    whole_t *w = ctx;
    w->bulks++;
    w->n = n;
    memcpy(w->buf, p, n < sizeof(w->buf) ? n : sizeof(w->buf));
}
static void whole_nil(void *ctx)
{
    (void)ctx;
}
static void whole_array(void *ctx, size_t n)
{
    (void)ctx;
    (void)n;
}

/* The store's list equals the model (LINDEX of every element and LLEN). */
static bool list_equals(fl_ns_t *ns, const char *key, const model_list_t *m)
{
    size_t len = 99;
    fl_list_len(ns, S(key), &len);
    if (len != m->n)
        return false;
    for (size_t i = 0; i < m->n; i++) {
        whole_t w = {.bulks = 0};
        fl_sink_t s = {&w, whole_bulk, whole_nil, whole_array, NULL, NULL}; /* no string value */
        fl_list_index(ns, S(key), (int64_t)i, &s);
        if (w.bulks != 1 || strlen(m->v[i]) != w.n || memcmp(m->v[i], w.buf, w.n) != 0)
            return false;
    }
    return true;
}

static void model_insert(model_list_t *m, size_t at, char *s)
{
    memmove(m->v + at + 1, m->v + at, (m->n - at) * sizeof(char *));
    m->v[at] = s;
    m->n++;
}

static void model_delete(model_list_t *m, size_t at)
{
    free(m->v[at]);
    memmove(m->v + at, m->v + at + 1, (m->n - at - 1) * sizeof(char *));
    m->n--;
}

static void pos_keep(void *ctx, int64_t index)
{
    *(int64_t *)ctx = index;
}

static void list_step(fl_ns_t *ns, const char *key, model_list_t *m)
{
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    switch (rnd() % 9) {
    case 0:
    case 1: { /* LPUSH / RPUSH */
        if (m->n >= LMAX - 2)
            return;
        bool tail = rnd() & 1;
        char *e = elem_new();
        size_t len;
        CHECK(fl_list_push(ns, S(key), tail, &(fl_slice_t){e, strlen(e)}, 1, false, &len) == FL_OK);
        model_insert(m, tail ? m->n : 0, e);
        CHECK_EQ_U(len, m->n);
        break;
    }
    case 2: { /* LPOP / RPOP count */
        bool tail = rnd() & 1;
        size_t count = rnd() % 3, popped;
        CHECK(fl_list_pop(ns, S(key), tail, count, true, &s, &popped) == FL_OK);
        size_t want = count < m->n ? count : m->n;
        CHECK_EQ_U(popped, want);
        for (size_t i = 0; i < want; i++)
            model_delete(m, tail ? m->n - 1 : 0);
        break;
    }
    case 3: { /* LINSERT around a random pivot */
        if (!m->n || m->n >= LMAX - 2)
            return;
        size_t at = rnd() % m->n;
        const char *pivot = m->v[at];
        size_t first = 0;
        while (strcmp(m->v[first], pivot) != 0)
            first++;
        bool after = rnd() & 1;
        char *e = elem_new();
        int64_t len;
        CHECK(fl_list_insert(ns, S(key), after, S(pivot), S(e), &len) == FL_OK);
        model_insert(m, first + after, e);
        CHECK_EQ_I(len, (int64_t)m->n);
        break;
    }
    case 4: { /* LSET */
        if (!m->n)
            return;
        size_t at = rnd() % m->n;
        char *e = elem_new();
        CHECK(fl_list_set(ns, S(key), (int64_t)at - (rnd() & 1 ? (int64_t)m->n : 0), S(e)) ==
              FL_OK);
        free(m->v[at]);
        m->v[at] = e;
        break;
    }
    case 5: { /* LREM count of a present value */
        if (!m->n)
            return;
        char *val = strdup(m->v[rnd() % m->n]);
        int64_t count = (int64_t)(rnd() % 5) - 2;
        size_t removed, want = 0;
        CHECK(fl_list_rem(ns, S(key), count, S(val), &removed) == FL_OK);
        size_t limit = count == 0 ? SIZE_MAX : (size_t)(count < 0 ? -count : count);
        if (count >= 0) {
            for (size_t i = 0; i < m->n && want < limit;)
                if (strcmp(m->v[i], val) == 0) {
                    model_delete(m, i);
                    want++;
                } else {
                    i++;
                }
        } else {
            for (size_t i = m->n; i-- > 0 && want < limit;)
                if (strcmp(m->v[i], val) == 0) {
                    model_delete(m, i);
                    want++;
                }
        }
        CHECK_EQ_U(removed, want);
        free(val);
        break;
    }
    case 6: { /* LTRIM that keeps most of it */
        if (m->n < 10 || rnd() % 4)
            return;
        CHECK(fl_list_trim(ns, S(key), 1, -2) == FL_OK);
        model_delete(m, m->n - 1);
        model_delete(m, 0);
        break;
    }
    case 7: { /* LRANGE of a window */
        int64_t a = (int64_t)(rnd() % 50) - 25, b = (int64_t)(rnd() % 50) - 25;
        CHECK(fl_list_range(ns, S(key), a, b, &s) == FL_OK);
        int64_t n = (int64_t)m->n, x = a < 0 ? a + n : a, y = b < 0 ? b + n : b;
        if (x < 0)
            x = 0;
        if (y >= n)
            y = n - 1;
        CHECK_EQ_U(c.array_n, (size_t)(x > y ? 0 : y - x + 1));
        break;
    }
    default: { /* LPOS of a present value: the first index */
        if (!m->n)
            return;
        size_t at = rnd() % m->n, first = 0;
        while (strcmp(m->v[first], m->v[at]) != 0)
            first++;
        int64_t got = -1;
        CHECK(fl_list_pos(ns, S(key), S(m->v[at]), 1, 1, 0, pos_keep, &got) == FL_OK);
        CHECK_EQ_I(got, (int64_t)first);
        break;
    }
    }
}

TEST(list_matches_model)
{
    fl_store_t *st = open_one(4, 0, 100, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    model_list_t *m = calloc(1, sizeof(*m));
    for (int round = 0; round < 6; round++) {
        for (int i = 0; i < 3000; i++)
            list_step(ns, "L", m);
        CHECK(list_equals(ns, "L", m));
        CHECK(accounted(ns));
        size_t moved = move_everything(ns);
        CHECK(m->n == 0 || moved > 0);
        CHECK(list_equals(ns, "L", m));
        CHECK(accounted(ns));
        fl_type_t t;
        fl_key_type(ns, S("L"), FL_LOOKUP_QUIET, &t);
        CHECK_EQ_I(t, m->n ? FL_TYPE_LIST : FL_TYPE_NONE);
    }
    fprintf(stderr, "  list of %zu elements matches its model\n", m->n);
    while (m->n)
        model_delete(m, 0);
    free(m);
    fl_ns_flush(ns);
    CHECK(accounted(ns));
    fl_store_close(st);
}

TEST(list_errors_and_move)
{
    fl_store_t *st = open_one(4, 0, 100, 100);
    fl_ns_t *ns = fl_store_ns(st, 0);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    size_t len;
    CHECK(fl_str_set(ns, S("str"), S("x"), NULL, NULL) == FL_OK);
    CHECK(fl_list_push(ns, S("str"), false, &(fl_slice_t){"a", 1}, 1, false, &len) ==
          FL_EWRONGTYPE);
    CHECK(fl_list_set(ns, S("nolist"), 0, S("x")) == FL_ENOKEY);
    CHECK(fl_list_push(ns, S("nolist"), false, &(fl_slice_t){"a", 1}, 1, true, &len) == FL_OK);
    CHECK_EQ_U(len, 0);
    fl_slice_t abc[3] = {S("a"), S("b"), S("c")};
    CHECK(fl_list_push(ns, S("src"), true, abc, 3, false, &len) == FL_OK);
    CHECK(fl_list_set(ns, S("src"), 3, S("x")) == FL_ERANGE);
    bool moved;
    CHECK(fl_list_move(ns, S("src"), S("str"), true, false, &s, &moved) == FL_EWRONGTYPE);
    CHECK(!moved);
    CHECK(fl_list_move(ns, S("src"), S("dst"), true, false, &s, &moved) == FL_OK);
    CHECK(moved);
    CHECK_STR(c.last, "c");
    CHECK(fl_list_move(ns, S("src"), S("src"), false, true, &s, &moved) == FL_OK); /* rotate */
    s = cap_sink(&c);
    fl_list_range(ns, S("src"), 0, -1, &s);
    CHECK_STR(c.all, "b|a");
    for (int i = 0; i < 2; i++)
        fl_list_move(ns, S("src"), S("dst"), false, true, &s, &moved);
    fl_type_t t;
    fl_key_type(ns, S("src"), FL_LOOKUP_QUIET, &t);
    CHECK_EQ_I(t, FL_TYPE_NONE); /* the last element left: the key went */
    s = cap_sink(&c);
    fl_list_range(ns, S("dst"), 0, -1, &s);
    CHECK_STR(c.all, "c|b|a");
    const char *enc;
    fl_key_encoding(ns, S("dst"), &enc);
    CHECK_STR(enc, "quicklist");
    CHECK(accounted(ns));
    fl_store_close(st);
}

/* ---- Sets ----------------------------------------------------------------------------------- */

/* Members "0".."599" (integers: intset until 512 or a string member arrives) or "m0".."m599". */
static void member_name(char *buf, size_t len, bool ints)
{
    snprintf(buf, len, ints ? "%u" : "m%u", (unsigned)(rnd() % 600));
}

typedef struct count_ctx {
    size_t n;
} count_ctx_t;
static void count_member(void *ctx, const char *p, size_t n)
{
    (void)p;
    (void)n;
    ((count_ctx_t *)ctx)->n++;
}

TEST(set_matches_model)
{
    fl_store_t *st = open_one(4, 0, 100, 100);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    static bool model[2][600]; /* [string members?][i] */
    memset(model, 0, sizeof(model));
    size_t card = 0;
    bool converted = false;
    const char *enc;
    for (int round = 0; round < 8; round++) {
        bool strings = round >= 4;
        for (int i = 0; i < 2000; i++) {
            char m[16];
            bool ints = !strings || rnd() % 4;
            member_name(m, sizeof(m), ints);
            unsigned idx = (unsigned)atoi(m + !ints);
            size_t got;
            if (rnd() % 3) {
                CHECK(fl_set_add(ns, S("S"), &(fl_slice_t){m, strlen(m)}, 1, &got) == FL_OK);
                CHECK_EQ_U(got, !model[!ints][idx]);
                card += !model[!ints][idx];
                model[!ints][idx] = true;
                converted |= !ints || card > 512; /* never back to an intset, as Redis */
            } else {
                CHECK(fl_set_rem(ns, S("S"), &(fl_slice_t){m, strlen(m)}, 1, &got) == FL_OK);
                CHECK_EQ_U(got, model[!ints][idx]);
                card -= model[!ints][idx];
                model[!ints][idx] = false;
                converted &= card > 0; /* the last member deletes the key */
            }
        }
        size_t c = 0;
        fl_set_card(ns, S("S"), &c);
        CHECK_EQ_U(c, card);
        for (unsigned i = 0; i < 600; i++)
            for (int str = 0; str < 2; str++) {
                char m[16];
                snprintf(m, sizeof(m), str ? "m%u" : "%u", i);
                bool f;
                fl_set_ismember(ns, S("S"), &(fl_slice_t){m, strlen(m)}, 1, &f);
                CHECK(f == model[str][i]);
            }
        fl_key_encoding(ns, S("S"), &enc);
        CHECK_STR(enc, converted ? "hashtable" : "intset");
        CHECK(accounted(ns));
        move_everything(ns);
        CHECK(accounted(ns));
        /* a full SSCAN returns every member at least once */
        count_ctx_t cc = {0};
        uint64_t cur = 0;
        do {
            CHECK(fl_set_scan(ns, S("S"), cur, NULL, 0, 7, count_member, &cc, &cur) == FL_OK);
        } while (cur);
        CHECK(cc.n >= card);
        CHECK(cc.n == card || strcmp(enc, "hashtable") == 0);
    }
    fprintf(stderr, "  set of %zu members (%s) matches its model\n", card, enc);
    fl_store_close(st);
}

TEST(set_encodings_and_algebra)
{
    fl_store_t *st = open_one(4, 0, 100, 100);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fl_slice_t a[4] = {S("1"), S("2"), S("3"), S("4")}, b[3] = {S("3"), S("4"), S("x")};
    size_t n;
    const char *enc;
    fl_set_add(ns, S("a"), a, 4, &n);
    fl_set_add(ns, S("b"), b, 3, &n);
    fl_key_encoding(ns, S("a"), &enc);
    CHECK_STR(enc, "intset");
    fl_key_encoding(ns, S("b"), &enc);
    CHECK_STR(enc, "hashtable");
    fl_slice_t keys[3] = {S("a"), S("b"), S("none")};
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK(fl_set_algebra(ns, FL_SINTER, keys, 2, NULL, false, 0, &s, &n) == FL_OK);
    CHECK_EQ_U(n, 2);
    CHECK(fl_set_algebra(ns, FL_SUNION, keys, 3, NULL, false, 0, &s, &n) == FL_OK);
    CHECK_EQ_U(n, 5);
    CHECK(fl_set_algebra(ns, FL_SDIFF, keys, 2, &(fl_slice_t){"a", 1}, false, 0, &s, &n) == FL_OK);
    CHECK_EQ_U(n, 2); /* a = {1, 2}: the destination was also a source */
    fl_set_card(ns, S("a"), &n);
    CHECK_EQ_U(n, 2);
    CHECK(fl_set_algebra(ns, FL_SINTER, keys, 3, &(fl_slice_t){"a", 1}, false, 0, &s, &n) == FL_OK);
    fl_type_t t;
    fl_key_type(ns, S("a"), FL_LOOKUP_QUIET, &t);
    CHECK_EQ_I(t, FL_TYPE_NONE); /* an empty result deletes the destination */
    fl_str_set(ns, S("str"), S("v"), NULL, NULL);
    keys[1] = S("str");
    CHECK(fl_set_algebra(ns, FL_SUNION, keys, 2, NULL, false, 0, &s, &n) == FL_EWRONGTYPE);
    bool moved;
    CHECK(fl_set_move(ns, S("b"), S("str"), S("x"), &moved, NULL) == FL_EWRONGTYPE);
    CHECK(fl_set_move(ns, S("b"), S("c"), S("x"), &moved, NULL) == FL_OK && moved);
    fl_set_card(ns, S("b"), &n);
    CHECK_EQ_U(n, 2);
    /* 513 integers: hashtable, as Redis */
    char m[16];
    for (int i = 0; i < 513; i++) {
        snprintf(m, sizeof(m), "%d", i);
        fl_set_add(ns, S("big"), &(fl_slice_t){m, strlen(m)}, 1, &n);
    }
    fl_key_encoding(ns, S("big"), &enc);
    CHECK_STR(enc, "hashtable");
    s = cap_sink(&c);
    CHECK(fl_set_pop(ns, S("big"), 600, false, &s) == FL_OK);
    CHECK_EQ_U(c.array_n, 513);
    fl_key_type(ns, S("big"), FL_LOOKUP_QUIET, &t);
    CHECK_EQ_I(t, FL_TYPE_NONE);
    CHECK(accounted(ns));
    fl_store_close(st);
}

/* ---- Sorted sets ---------------------------------------------------------------------------- */

#define ZMAX 3000
typedef struct zmodel {
    bool in[ZMAX];
    double score[ZMAX];
} zmodel_t;

static void zname(char *buf, size_t len, unsigned i)
{
    /* some names over 64 bytes (they force the skiplist encoding as in Redis) */
    if (i % 97 == 0)
        snprintf(buf, len,
                 "long-member-%u-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", i);
    else
        snprintf(buf, len, "m%u", i);
}

/* The model's members in (score, name) order, as "name|name|...", and the count. */
static size_t zmodel_order(const zmodel_t *m, unsigned limit, char *out, size_t cap)
{
    unsigned idx[ZMAX];
    size_t n = 0;
    for (unsigned i = 0; i < limit; i++)
        if (m->in[i])
            idx[n++] = i;
    for (size_t i = 1; i < n; i++) /* insertion sort by (score, name) */
        for (size_t j = i; j > 0; j--) {
            char a[128], b[128];
            zname(a, sizeof(a), idx[j - 1]);
            zname(b, sizeof(b), idx[j]);
            double sa = m->score[idx[j - 1]], sb = m->score[idx[j]];
            if (sa < sb || (sa == sb && strcmp(a, b) < 0))
                break;
            unsigned t = idx[j];
            idx[j] = idx[j - 1];
            idx[j - 1] = t;
        }
    size_t len = 0;
    out[0] = 0;
    for (size_t i = 0; i < n && len + 130 < cap; i++) {
        char a[128];
        zname(a, sizeof(a), idx[i]);
        len += (size_t)snprintf(out + len, cap - len, "%s%s", i ? "|" : "", a);
    }
    return n;
}

/* A sink keeping every bulk '|'-separated, unbounded enough for these tests. */
typedef struct bigcap {
    char *buf;
    size_t len, cap, bulks, array_n;
} bigcap_t;
static void big_bulk(void *ctx, const char *p, size_t n)
{
    bigcap_t *b = ctx;
    if (b->len + n + 2 < b->cap) {
        if (b->bulks)
            b->buf[b->len++] = '|';
        memcpy(b->buf + b->len, p, n);
        b->len += n;
        b->buf[b->len] = 0;
    }
    b->bulks++;
}
static void big_nil(void *ctx)
{
    big_bulk(ctx, "(nil)", 5);
}
static void big_array(void *ctx, size_t n)
{
    ((bigcap_t *)ctx)->array_n = n;
}

static bool zset_equals(fl_ns_t *ns, const zmodel_t *m, unsigned limit)
{
    static char want[ZMAX * 130], got[ZMAX * 130];
    size_t n = zmodel_order(m, limit, want, sizeof(want));
    bigcap_t b = {got, 0, sizeof(got), 0, 0};
    got[0] = 0;
    fl_sink_t s = {&b, big_bulk, big_nil, big_array, NULL, NULL}; /* no string value */
    fl_zrange_t r = {.by = FL_ZBY_RANK, .start = 0, .stop = -1, .count = -1};
    size_t k;
    fl_zset_range(ns, S("Z"), &r, FL_ZR_EMIT, &s, &k);
    if (k != n || strcmp(want, got) != 0) {
        fprintf(stderr, "  zset differs: %zu vs %zu members\n", k, n);
        return false;
    }
    return true;
}

TEST(zset_matches_model)
{
    fl_store_t *st = open_one(4, 0, 100, 100);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    static zmodel_t m;
    memset(&m, 0, sizeof(m));
    const char *enc = NULL;
    for (int round = 0; round < 6; round++) {
        unsigned limit = round < 2 ? 100 : ZMAX; /* small (listpack) first, then big */
        for (int i = 0; i < 4000; i++) {
            unsigned x = (unsigned)(rnd() % limit);
            char name[128];
            zname(name, sizeof(name), x);
            fl_slice_t mem = S(name);
            double sc = (double)(rnd() % 50) / 4; /* ties on purpose */
            size_t added, changed;
            switch (rnd() % 6) {
            case 0:
            case 1:
            case 2:
                CHECK(fl_zset_add(ns, S("Z"), 0, &sc, &mem, 1, &added, &changed, NULL, NULL) ==
                      FL_OK);
                CHECK_EQ_U(added, !m.in[x]);
                m.in[x] = true;
                m.score[x] = sc;
                break;
            case 3: {
                double res = 0;
                bool done;
                CHECK(fl_zset_add(ns, S("Z"), FL_ZADD_INCR | FL_ZADD_XX, &sc, &mem, 1, &added,
                                  &changed, &res, &done) == FL_OK);
                CHECK(done == m.in[x]);
                if (m.in[x])
                    m.score[x] += sc;
                CHECK(!done || res == m.score[x]);
                break;
            }
            default:
                CHECK(fl_zset_rem(ns, S("Z"), &mem, 1, &added) == FL_OK);
                CHECK_EQ_U(added, m.in[x]);
                m.in[x] = false;
            }
        }
        CHECK(zset_equals(ns, &m, ZMAX));
        fl_key_encoding(ns, S("Z"), &enc);
        CHECK(accounted(ns));
        move_everything(ns);
        CHECK(accounted(ns));
        CHECK(zset_equals(ns, &m, ZMAX));
        /* ZRANK and ZSCORE of every present member agree with the order */
        for (unsigned x = 0; x < ZMAX; x += 7) {
            char name[128];
            zname(name, sizeof(name), x);
            bool found;
            uint64_t rank;
            fl_zset_rank(ns, S("Z"), S(name), false, &found, &rank);
            CHECK(found == m.in[x]);
        }
    }
    fprintf(stderr, "  sorted set ends %s\n", enc ? enc : "(deleted)");
    /* a 90 % delete keeps the index compact (leaves merge) and the walk still moves it all */
    for (unsigned x = 0; x < ZMAX; x++) {
        char name[128];
        zname(name, sizeof(name), x);
        double sc = x;
        size_t a, c;
        fl_zset_add(ns, S("Z"), 0, &sc, &(fl_slice_t){name, strlen(name)}, 1, &a, &c, NULL, NULL);
        m.in[x] = true;
        m.score[x] = sc;
    }
    size_t full = 0, thin = 0;
    fl_key_memory_usage(ns, S("Z"), &full);
    for (unsigned x = 0; x < ZMAX; x++)
        if (x % 10) {
            char name[128];
            zname(name, sizeof(name), x);
            size_t r;
            fl_zset_rem(ns, S("Z"), &(fl_slice_t){name, strlen(name)}, 1, &r);
            m.in[x] = false;
        }
    fl_key_memory_usage(ns, S("Z"), &thin);
    fprintf(stderr, "  MEMORY USAGE %zu B for %u members, %zu B after deleting 90 %%\n", full, ZMAX,
            thin);
    CHECK(thin * 10 < full * 2); /* within 2x per member of the full set */
    CHECK(zset_equals(ns, &m, ZMAX));
    CHECK(accounted(ns));
    fl_store_close(st);
}

TEST(zset_ranges_and_algebra)
{
    fl_store_t *st = open_one(4, 0, 100, 100);
    fl_ns_t *ns = fl_store_ns(st, 0);
    for (int big = 0; big < 2; big++) {
        fl_ns_flush(ns);
        double sc[5] = {1, 2, 2, 3, INFINITY};
        fl_slice_t mem[5] = {S("a"), S("b"), S("c"), S("d"), S("e")};
        size_t a, c;
        fl_zset_add(ns, S("z"), 0, sc, mem, 5, &a, &c, NULL, NULL);
        if (big) { /* the same content in the skiplist encoding */
            char name[8];
            for (int i = 0; i < 200; i++) {
                snprintf(name, sizeof(name), "x%03d", i);
                double s = 100;
                fl_zset_add(ns, S("z"), 0, &s, &(fl_slice_t){name, strlen(name)}, 1, &a, &c, NULL,
                            NULL);
            }
            fl_zset_range(
                ns, S("z"),
                &(fl_zrange_t){
                    .by = FL_ZBY_SCORE, .min = {.score = 100}, .max = {.score = 100}, .count = -1},
                FL_ZR_REMOVE, NULL, &a);
            CHECK_EQ_U(a, 200);
        }
        const char *enc;
        fl_key_encoding(ns, S("z"), &enc);
        CHECK_STR(enc, big ? "skiplist" : "listpack");
        cap_t cp;
        fl_sink_t s = cap_sink(&cp);
        fl_zrange_t r = {.by = FL_ZBY_SCORE,
                         .min = {.score = 2},
                         .max = {.score = INFINITY},
                         .count = -1,
                         .withscores = true};
        size_t n;
        fl_zset_range(ns, S("z"), &r, FL_ZR_EMIT, &s, &n);
        CHECK_STR(cp.all, "b|2|c|2|d|3|e|inf");
        s = cap_sink(&cp);
        r = (fl_zrange_t){.by = FL_ZBY_SCORE,
                          .rev = true,
                          .min = {.score = 1, .excl = true},
                          .max = {.score = 3},
                          .offset = 1,
                          .count = 2};
        fl_zset_range(ns, S("z"), &r, FL_ZR_EMIT, &s, &n);
        CHECK_STR(cp.all, "c|b");
        s = cap_sink(&cp);
        r = (fl_zrange_t){.by = FL_ZBY_LEX, .min = {.lex = S("b")}, .max = {.inf = 1}, .count = -1};
        fl_zset_range(ns, S("z"), &r, FL_ZR_EMIT, &s, &n);
        CHECK_STR(cp.all, "b|c|d|e");
        s = cap_sink(&cp);
        r = (fl_zrange_t){.by = FL_ZBY_RANK, .rev = true, .start = 0, .stop = 1, .count = -1};
        fl_zset_range(ns, S("z"), &r, FL_ZR_EMIT, &s, &n);
        CHECK_STR(cp.all, "e|d");
        /* a set and a sorted set: union with weights, inter with MAX */
        fl_slice_t sm[2] = {S("a"), S("q")};
        fl_set_add(ns, S("s"), sm, 2, &a);
        fl_slice_t keys[2] = {S("z"), S("s")};
        double w[2] = {2, 10};
        s = cap_sink(&cp);
        fl_zset_algebra(ns, FL_ZUNION, keys, 2, w, FL_ZAGGR_SUM, NULL, true, false, 0, &s, &n);
        CHECK_STR(cp.all, "b|4|c|4|d|6|q|10|a|12|e|inf");
        s = cap_sink(&cp);
        fl_zset_algebra(ns, FL_ZINTER, keys, 2, NULL, FL_ZAGGR_MAX, NULL, true, false, 0, &s, &n);
        CHECK_STR(cp.all, "a|1");
        fl_slice_t dst = S("z");
        fl_zset_algebra(ns, FL_ZDIFF, keys, 2, NULL, FL_ZAGGR_SUM, &dst, false, false, 0, NULL, &n);
        CHECK_EQ_U(n, 4);
        fl_key_encoding(ns, S("z"), &enc);
        CHECK_STR(enc, "listpack"); /* a stored result gets the encoding its content needs */
        s = cap_sink(&cp);
        size_t popped;
        fl_zset_pop(ns, S("z"), true, 2, true, false, &s, &popped);
        CHECK_STR(cp.all, "e|inf|d|3");
        CHECK(accounted(ns));
    }
    fl_store_close(st);
}

/* ---- COPY's deep clone --------------------------------------------------------------------- */

TEST(clone_every_encoding)
{
    fl_store_t *st = open_one(1, 0, 100, 100);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    char m[32];
    size_t n;
    for (int i = 0; i < 1000; i++) {
        snprintf(m, sizeof(m), "%d", i);
        fl_slice_t e = {m, strlen(m)};
        double sc = i % 7;
        if (i < 100) { /* small encodings */
            fl_set_add(ns, S("s-small"), &e, 1, &n);
            fl_zset_add(ns, S("z-small"), 0, &sc, &e, 1, &n, &n, NULL, NULL);
        }
        fl_list_push(ns, S("l"), true, &e, 1, false, &n);
        snprintf(m, sizeof(m), "m%d", i);
        e = (fl_slice_t){m, strlen(m)};
        fl_set_add(ns, S("s-big"), &e, 1, &n);
        fl_zset_add(ns, S("z-big"), 0, &sc, &e, 1, &n, &n, NULL, NULL);
    }
    const char *keys[] = {"l", "s-small", "s-big", "z-small", "z-big"};
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        size_t used0 = 0, used1 = 0, req = 0;
        CHECK(used_matches_arena(ns, &used0, &req));
        fls_key_t k;
        fls_key_init(ns, S(keys[i]), &k);
        fls_wrlock(ns, k.part);
        fls_rec_t *r = *fls_find(&k);
        const fls_coll_ops_t *t = fls_coll_ops(r->type);
        char copy[128] = {0};
        CHECK(t->desc_size <= sizeof(copy));
        CHECK(t->clone(ns, k.pidx, copy, fls_rec_desc(r)) == FL_OK);
        CHECK_EQ_U(t->len(copy), t->len(fls_rec_desc(r)));
        CHECK_STR(t->encoding(copy), t->encoding(fls_rec_desc(r)));
        size_t grown = t->total(copy);
        fls_unlock(ns, k.part);
        CHECK(used_matches_arena(ns, &used1, &req));
        CHECK_EQ_U(used1, used0 + grown); /* every node of the copy accounted */
        fls_wrlock(ns, k.part);
        t->destroy(ns, k.pidx, copy);
        fls_unlock(ns, k.part);
        CHECK(used_matches_arena(ns, &used1, &req));
        CHECK_EQ_U(used1, used0);
    }
    fl_store_close(st);
}

/* ---- Serialization (what a log or snapshot writes) ---------------------------------------- */

static size_t serialize_key(fl_ns_t *ns, const char *key, char *buf, size_t len)
{
    fls_key_t k;
    fls_key_init(ns, S(key), &k);
    fls_wrlock(ns, k.part);
    size_t n = fls_rec_serialize(*fls_find(&k), buf, len);
    fls_unlock(ns, k.part);
    return n;
}

TEST(serialize_collections)
{
    fl_store_t *st = open_one(1, 0, 100, 100);
    fl_ns_t *ns = fl_store_ns(st, 0);
    size_t n;
    fl_slice_t ab[2] = {S("a"), S("bc")};
    fl_list_push(ns, S("l"), true, ab, 2, false, &n);
    char buf[128];
    static const char list_bytes[] = "\x03"
                                     "\0\0\0\0\0\0\0\0"
                                     "\x01\0\0\0"
                                     "l"
                                     "\x02\0\0\0"
                                     "\x01\0\0\0"
                                     "a"
                                     "\x02\0\0\0"
                                     "bc";
    CHECK_EQ_U(serialize_key(ns, "l", buf, sizeof(buf)), sizeof(list_bytes) - 1);
    CHECK(memcmp(buf, list_bytes, sizeof(list_bytes) - 1) == 0);
    double sc = 1.5;
    fl_zset_add(ns, S("z"), 0, &sc, &ab[0], 1, &n, &n, NULL, NULL);
    char zset_bytes[64] = "\x05"
                          "\0\0\0\0\0\0\0\0"
                          "\x01\0\0\0"
                          "z"
                          "\x01\0\0\0"
                          "\x01\0\0\0"
                          "a";
    size_t at = 1 + 8 + 4 + 1 + 4 + 4 + 1;
    memcpy(zset_bytes + at, &sc, 8);
    CHECK_EQ_U(serialize_key(ns, "z", buf, sizeof(buf)), at + 8);
    CHECK(memcmp(buf, zset_bytes, at + 8) == 0);
    fl_set_add(ns, S("s"), ab, 2, &n);
    CHECK_EQ_U(serialize_key(ns, "s", buf, sizeof(buf)), 1 + 8 + 4 + 1 + 4 + (4 + 1) + (4 + 2));
    CHECK_EQ_I(buf[0], FL_TYPE_SET);
    fl_store_close(st);
}

/* ---- The defrag walk in bounded steps -------------------------------------------------------- */

static void *count_unit(void *ctx, void *ptr, size_t size)
{
    (void)size;
    (*(size_t *)ctx)++;
    return ptr;
}
static bool yield_always(void *ctx)
{
    (void)ctx;
    return true;
}

TEST(walk_steps_through_collections)
{
    fl_store_t *st = open_one(1, 0, 100, 100);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    char m[32];
    size_t n;
    for (int i = 0; i < 5000; i++) {
        snprintf(m, sizeof(m), "element-%d", i);
        fl_list_push(ns, S("list"), true, &(fl_slice_t){m, strlen(m)}, 1, false, &n);
        fl_set_add(ns, S("set"), &(fl_slice_t){m, strlen(m)}, 1, &n);
    }
    fls_walk_ops_t all = {.buckets = count_unit, .rec = count_unit, .node = count_unit};
    size_t whole = 0;
    fls_part_t *p = &ns->parts[0];
    fls_wrlock(ns, p);
    fls_part_walk(ns, 0, &all, &whole);
    fls_unlock(ns, p);
    fls_walk_ops_t stepped = all;
    stepped.yield = yield_always;
    size_t seen = 0, steps = 0;
    fls_walk_cursor_t cur = {0};
    for (;;) { /* the lock is released between steps, as the defragmenter does */
        fls_wrlock(ns, p);
        bool done = fls_part_walk_step(ns, 0, &stepped, &seen, &cur, NULL);
        fls_unlock(ns, p);
        if (done)
            break;
        CHECK(++steps < 100000); /* every step makes progress */
    }
    fprintf(stderr, "  %zu allocations, walked in %zu steps\n", whole, steps + 1);
    CHECK_EQ_U(seen, whole);
    CHECK(steps > 50);
    CHECK(whole > 5000 + 2); /* every set member, the chunks, the arrays */
    fl_store_close(st);
}

int main(void)
{
    RUN(list_matches_model);
    RUN(list_errors_and_move);
    RUN(set_matches_model);
    RUN(set_encodings_and_algebra);
    RUN(zset_matches_model);
    RUN(zset_ranges_and_algebra);
    RUN(clone_every_encoding);
    RUN(serialize_collections);
    RUN(walk_steps_through_collections);
    return TEST_REPORT();
}
