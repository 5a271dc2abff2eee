/*
 * tests/store/test_values.c: string values in one block or two (src/store/value.c). Every value
 * size at a size-class boundary (+-1, narrow and wide headers) and a sweep of 0..70000 is
 * written, read and edited by every string operation, each result compared with a plain model
 * (a malloc'd copy); then the defragmentation walk moves every block (heads and tails) and
 * everything is compared again, and the store is "reloaded" through the persistence views
 * into a second store and compared once more. White-box checks: the split layout never takes
 * more memory than one block, and its rounding stays within the plan's bound.
 */
#include "../testhelper.h"
#include "store_internal.h"
#include "store_test_util.h"

#define KLEN 16
#define MAX_VALUE 72000

static fl_store_t *st;
static fl_ns_t *ns;
static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Letters only: no value here is a number. */
static void fill(char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (char)('a' + rnd() % 26);
}

/* ---- a sink keeping everything it is given ------------------------------------------------- */

typedef struct grab {
    char *p;
    size_t n, cap;
    int bulks, bulk2s, nils;
} grab_t;

static void grab_put(grab_t *g, const char *p, size_t n)
{
    if (g->n + n > g->cap) {
        g->cap = (g->n + n) * 2 + 64;
        g->p = realloc(g->p, g->cap);
    }
    if (n)
        memcpy(g->p + g->n, p, n);
    g->n += n;
}
static void grab_bulk(void *ctx, const char *p, size_t n)
{
    grab_t *g = ctx;
    g->bulks++;
    grab_put(g, p, n);
}
static void grab_bulk2(void *ctx, const char *p, size_t n, const char *q, size_t m)
{
    grab_t *g = ctx;
    g->bulks++;
    g->bulk2s++;
    grab_put(g, p, n);
    grab_put(g, q, m);
}
static void grab_nil(void *ctx)
{
    ((grab_t *)ctx)->nils++;
}
static void grab_array(void *ctx, size_t n)
{
    (void)ctx, (void)n;
}
static fl_sink_t grab_sink(grab_t *g)
{
    g->n = 0;
    g->bulks = g->bulk2s = g->nils = 0;
    return (fl_sink_t){g, grab_bulk, grab_nil, grab_array, grab_bulk2};
}

/* ---- the model ------------------------------------------------------------------------------ */

typedef struct model {
    char key[32]; /* KLEN bytes used */
    char *v;
    size_t n;
} model_t;

static fl_slice_t key_of(const model_t *m)
{
    return (fl_slice_t){m->key, KLEN};
}

/* The record of m's key (white-box; nothing else runs while a test does). */
static fls_rec_t *peek(const model_t *m)
{
    fls_key_t k;
    fls_key_init(ns, key_of(m), &k);
    fls_rdlock(ns, k.part);
    fls_rec_t **ref = fls_find(&k);
    fls_unlock(ns, k.part);
    return ref ? *ref : NULL;
}

/* The store's value of m's key equals the model: GET, STRLEN, and the view's two spans. */
static bool same(fl_ns_t *in, const model_t *m, grab_t *g)
{
    fl_sink_t s = grab_sink(g);
    size_t len = 0;
    if (fl_str_get(in, key_of(m), &s) != FL_OK || g->bulks != 1 || g->n != m->n ||
        (m->n && memcmp(g->p, m->v, m->n) != 0)) {
        fprintf(stderr, "  %.*s: GET differs (%zu bytes, model %zu)\n", KLEN, m->key, g->n, m->n);
        return false;
    }
    return fl_str_len(in, key_of(m), &len) == FL_OK && len == m->n;
}

/* Where a split record's head ends (0 when it is one block). */
static size_t split_at(const model_t *m)
{
    fls_rec_t *r = peek(m);
    return r && r->split ? fls_rec_vlen(r) - fls_rec_tail_len(r) : 0;
}

/* GETRANGE start..end against the model (Redis's clamping, written out plainly). */
static bool range_ok(const model_t *m, int64_t start, int64_t end, grab_t *g)
{
    int64_t len = (int64_t)m->n, a = start, b = end;
    fl_sink_t s = grab_sink(g);
    if (fl_str_getrange(ns, key_of(m), start, end, &s) != FL_OK || g->bulks != 1)
        return false;
    if (a < 0 && b < 0 && a > b)
        return g->n == 0;
    a = a < 0 ? (len + a < 0 ? 0 : len + a) : a;
    b = b < 0 ? (len + b < 0 ? 0 : len + b) : b;
    if (b >= len)
        b = len - 1;
    if (len == 0 || a > b)
        return g->n == 0;
    size_t n = (size_t)(b - a + 1);
    if (g->n != n || memcmp(g->p, m->v + a, n) != 0) {
        fprintf(stderr, "  GETRANGE %lld %lld of %zu bytes differs\n", (long long)start,
                (long long)end, m->n);
        return false;
    }
    return true;
}

static void model_resize(model_t *m, size_t n)
{
    m->v = realloc(m->v, n ? n : 1);
    if (n > m->n)
        memset(m->v + m->n, 0, n - m->n);
    m->n = n;
}

/* ---- sizes ---------------------------------------------------------------------------------- */

/* Every value size whose record (16-byte key, narrow or wide header, with and without an
 * expiry) is a size class +-1, and a sweep of 0..70000. */
static size_t sizes(size_t *out, size_t cap)
{
    size_t n = 0;
    for (size_t c = 8; c <= MAX_VALUE + 64 && n + 12 <= cap; c = fl_mem_size_class(c + 1)) {
        const size_t hdrs[] = {8 + KLEN, 13 + KLEN, 16 + KLEN, 21 + KLEN};
        for (int h = 0; h < 4; h++)
            for (int d = -1; d <= 1; d++)
                if (c + (size_t)(d + 1) > hdrs[h] + 1 && c + d - hdrs[h] <= MAX_VALUE)
                    out[n++] = c + (size_t)d - hdrs[h];
    }
    for (size_t v = 0; v <= 70000 && n < cap; v += 1237)
        out[n++] = v;
    const size_t extra[] = {65534, 65535, 65536, 65537, 70000};
    for (size_t i = 0; i < sizeof(extra) / sizeof(extra[0]) && n < cap; i++)
        out[n++] = extra[i];
    return n;
}

/* ---- the tests ------------------------------------------------------------------------------ */

/* The plan over every record size: a split never costs more than one block, and what is left
 * of jemalloc's rounding is within the plan's bound. */
TEST(plan_saves_and_bounds_rounding)
{
    size_t worst[2] = {0, 0}, worst_at[2] = {0, 0}, splits = 0; /* from 512 B, from 1 KiB */
    for (size_t v = 0; v <= 70000; v++) {
        size_t whole = fls_rec_bytes(FL_TYPE_STRING, KLEN, v, false);
        size_t one = fl_mem_size_class(whole);
        size_t tail = fls_str_tail_plan(KLEN, v, false);
        size_t used = one;
        if (tail) {
            splits++;
            size_t head = fls_str_head_bytes(KLEN, v, false, tail);
            CHECK_EQ_U(fl_mem_size_class(head), head); /* the head fills its class */
            CHECK(tail > 0 && tail < v);
            used = head + fl_mem_size_class(tail);
            CHECK(used < one);
        }
        size_t permille = (used - whole) * 1000 / whole;
        for (int i = 0; i < 2; i++)
            if (whole >= (512u << i) && permille > worst[i]) {
                worst[i] = permille;
                worst_at[i] = v;
            }
    }
    fprintf(stderr,
            "  %zu of 70001 sizes split; worst rounding from 512 B %zu.%zu %% (value %zu), "
            "from 1 KiB %zu.%zu %% (value %zu)\n",
            splits, worst[0] / 10, worst[0] % 10, worst_at[0], worst[1] / 10, worst[1] % 10,
            worst_at[1]);
    CHECK(splits > 10000);
    /* one block's rounding reaches 25 %: what is left is the plan's bound (32 B or 1/32 of the
     * class, plus the link and the tail's rounding) */
    CHECK(worst[0] <= 80);
    CHECK(worst[1] <= 70);
}

/* One size: every read and edit against the model. Leaves the key with the model's value. */
/* In one_size: a failed expectation says which, for which size, and fails the size. */
#define EXPECT(c)                                                                                  \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "  size %zu: line %d: %s\n", m->n, __LINE__, #c);                      \
            return false;                                                                          \
        }                                                                                          \
    } while (0)

static bool one_size(model_t *m, grab_t *g)
{
    bool b, was;
    size_t len;
    fl_slice_t k = key_of(m);
    fl_slice_t v = {m->v, m->n};
    EXPECT(fl_str_set(ns, k, v, NULL, NULL) == FL_OK && same(ns, m, g));
    /* memory: never more than one block would take, MEMORY USAGE counts both blocks */
    fls_rec_t *r = peek(m);
    size_t usage = 0, one = fl_mem_size_class(fls_rec_bytes(FL_TYPE_STRING, KLEN, m->n, false));
    EXPECT(fl_key_memory_usage(ns, k, &usage) == FL_OK && usage == fls_rec_usable(r));
    EXPECT(usage <= one);
    EXPECT(!r->split || usage == fl_mem_usable_size(r) + fl_mem_usable_size(fls_rec_tail(r)));
    /* reads: ranges (random, around the split, negative), bits, MGET, GETEX, OBJECT */
    size_t h = split_at(m);
    int64_t n = (int64_t)m->n, hh = (int64_t)h;
    int64_t rs[][2] = {{0, -1},  {hh - 1, hh}, {hh, hh},        {hh - 3, hh + 4}, {0, hh - 1},
                       {hh, -1}, {-5, -1},     {n - 1, n + 10}, {-n - 3, 2},      {5, 3}};
    for (size_t i = 0; i < sizeof(rs) / sizeof(rs[0]); i++)
        EXPECT(range_ok(m, rs[i][0], rs[i][1], g));
    for (int i = 0; i < 4; i++) {
        int64_t a = n ? (int64_t)(rnd() % (uint64_t)n) : 0, e = a + (int64_t)(rnd() % 3000);
        EXPECT(range_ok(m, a, e, g));
    }
    for (int i = 0; i < 8; i++) {
        uint64_t bit = rnd() % (8 * (uint64_t)m->n + 16);
        bool want = bit / 8 < m->n && ((unsigned char)m->v[bit / 8] & (0x80u >> (bit % 8)));
        EXPECT(fl_str_getbit(ns, k, bit, &b) == FL_OK && b == want);
    }
    fl_slice_t keys[3] = {k, S("missing:key"), k};
    fl_sink_t s = grab_sink(g);
    EXPECT(fl_str_mget(ns, keys, 3, &s) == FL_OK && g->bulks == 2 && g->nils == 1);
    EXPECT(g->n == 2 * m->n &&
           (!m->n || (!memcmp(g->p, m->v, m->n) && !memcmp(g->p + m->n, m->v, m->n))));
    s = grab_sink(g);
    EXPECT(fl_str_getex(ns, k, 0, false, &s) == FL_OK && g->n == m->n);
    EXPECT(!m->n || !memcmp(g->p, m->v, m->n));
    fl_key_object_t info;
    EXPECT(fl_key_object(ns, k, FL_LOOKUP_QUIET, &info) == FL_OK);
    EXPECT(!strcmp(info.encoding, m->n <= 44 ? "embstr" : "raw"));
    /* serialized: ... u32 value length, the value */
    size_t need = fls_rec_serialize(peek(m), NULL, 0);
    char *ser = malloc(need);
    fls_rec_serialize(peek(m), ser, need);
    uint32_t vl;
    memcpy(&vl, ser + need - m->n - 4, 4);
    bool ser_ok = vl == m->n && (m->n == 0 || memcmp(ser + need - m->n, m->v, m->n) == 0);
    free(ser);
    EXPECT(ser_ok);
    /* edits: SETRANGE inside, across the split, past the end; SETBIT inside and past the end */
    char patch[64];
    size_t offs[3] = {m->n ? rnd() % m->n : 0, h > 10 ? h - 10 : 0, m->n + rnd() % 40};
    for (int i = 0; i < 3; i++) {
        size_t pn = 1 + rnd() % 40;
        fill(patch, pn);
        EXPECT(fl_str_setrange(ns, k, offs[i], (fl_slice_t){patch, pn}, &len) == FL_OK);
        if (offs[i] + pn > m->n)
            model_resize(m, offs[i] + pn);
        memcpy(m->v + offs[i], patch, pn);
        EXPECT(len == m->n && same(ns, m, g));
    }
    uint64_t bits[2] = {rnd() % (8 * (uint64_t)m->n), 8 * (uint64_t)m->n + rnd() % 100};
    for (int i = 0; i < 2; i++) {
        bool on = rnd() & 1;
        EXPECT(fl_str_setbit(ns, k, bits[i], on, &was) == FL_OK);
        if (bits[i] / 8 >= m->n)
            model_resize(m, bits[i] / 8 + 1);
        unsigned char *byte = (unsigned char *)m->v + bits[i] / 8, mask = 0x80u >> (bits[i] % 8);
        EXPECT(was == ((*byte & mask) != 0));
        *byte = on ? *byte | mask : *byte & (unsigned char)~mask;
        EXPECT(same(ns, m, g));
    }
    /* APPEND, then an expiry (a split head is laid out again) and PERSIST */
    size_t an = 1 + rnd() % sizeof(patch);
    fill(patch, an);
    EXPECT(fl_str_append(ns, k, (fl_slice_t){patch, an}, &len) == FL_OK);
    model_resize(m, m->n + an);
    memcpy(m->v + m->n - an, patch, an);
    EXPECT(len == m->n && same(ns, m, g));
    int64_t ttl = 0;
    EXPECT(fl_key_expire_at(ns, k, fl_now_ms() + 1000000, &b) == FL_OK && b && same(ns, m, g));
    EXPECT(fl_key_ttl_ms(ns, k, &ttl) == FL_OK && ttl > 0);
    EXPECT(fl_key_persist(ns, k, &b) == FL_OK && b && same(ns, m, g));
    /* numbers: a text is none, and nothing changes */
    int64_t iv;
    char fbuf[FL_FLOAT_BUF];
    EXPECT(fl_str_incrby(ns, k, 1, &iv) == FL_ENOTINT);
    EXPECT(fl_str_incrbyfloat(ns, k, S("1.5"), fbuf, &len) == FL_ENOTFLOAT && same(ns, m, g));
    /* COPY and RENAME carry the value; the copy is laid out like the original */
    bool copied = false, renamed = false;
    model_t c = *m;
    memcpy(c.key, "copy:", 5);
    EXPECT(fl_key_copy(ns, k, ns, key_of(&c), false, &copied) == FL_OK && copied);
    EXPECT(same(ns, &c, g));
    model_t rn = c;
    memcpy(rn.key, "renm:", 5);
    EXPECT(fl_key_rename(ns, key_of(&c), key_of(&rn), false, &renamed) == FL_OK && renamed);
    EXPECT(same(ns, &rn, g) && fls_rec_total(peek(&rn)) == fls_str_rec_size(KLEN, m->n));
    s = grab_sink(g);
    EXPECT(fl_str_getdel(ns, key_of(&rn), &s) == FL_OK && g->n == m->n);
    return true;
}

static size_t g_sizes[4096];
static model_t g_models[4096];
static size_t g_nmodels;

TEST(every_size_every_op)
{
    size_t n = sizes(g_sizes, sizeof(g_sizes) / sizeof(g_sizes[0]));
    grab_t g = {0};
    size_t split = 0;
    for (size_t i = 0; i < n; i++) {
        model_t *m = &g_models[i];
        snprintf(m->key, sizeof(m->key), "val:%012zu", i);
        m->n = g_sizes[i];
        m->v = malloc(m->n ? m->n : 1);
        fill(m->v, m->n);
        g_nmodels = i + 1;
        fls_rec_t *r;
        if (!one_size(m, &g)) {
            fprintf(stderr, "  value size %zu failed\n", g_sizes[i]);
            CHECK(0);
        }
        r = peek(m);
        split += r->split;
    }
    free(g.p);
    fprintf(stderr, "  %zu sizes, %zu of them split after their edits\n", n, split);
    CHECK(split > n / 4);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    FL_DEBUG_ASSERT(fls_ns_check(ns));
}

TEST(after_defrag_walk)
{
    size_t used0 = 0, used1 = 0, req = 0;
    CHECK(used_matches_arena(ns, &used0, &req));
    mover_t mv = {fl_ns_arena(ns), 0, 0};
    fls_walk_ops_t ops = {.buckets = move_one, .rec = move_one, .node = move_one};
    size_t units = 0;
    for (uint32_t p = 0; p < ns->nparts; p++) {
        fls_wrlock(ns, &ns->parts[p]);
        fls_walk_cursor_t cur = {0};
        while (!fls_part_walk_step(ns, p, &ops, &mv, &cur, &units))
            ;
        fls_unlock(ns, &ns->parts[p]);
    }
    size_t tails = 0;
    for (size_t i = 0; i < g_nmodels; i++)
        tails += peek(&g_models[i])->split;
    fprintf(stderr, "  moved %zu blocks (%zu kept), %zu tails among them\n", mv.moved, mv.kept,
            tails);
    CHECK(mv.moved + mv.kept >= g_nmodels + tails); /* heads and tails offered */
    grab_t g = {0};
    for (size_t i = 0; i < g_nmodels; i++)
        CHECK(same(ns, &g_models[i], &g));
    free(g.p);
    CHECK(used_matches_arena(ns, &used1, &req));
    CHECK_EQ_U(used1, used0);
    FL_DEBUG_ASSERT(fls_ns_check(ns));
}

/* What the persistence layer sees (fl_ns_each_view), copied out and loaded into a new store. */
typedef struct dump {
    char **keys, **vals;
    size_t *klen, *vlen, n;
} dump_t;

static void dump_one(void *ctx, const fl_rec_view_t *v)
{
    dump_t *d = ctx;
    size_t i = d->n++;
    d->keys[i] = malloc(v->key.n);
    memcpy(d->keys[i], v->key.p, v->key.n);
    d->klen[i] = v->key.n;
    d->vlen[i] = fl_value_len(v->val);
    d->vals[i] = malloc(d->vlen[i] ? d->vlen[i] : 1);
    fl_value_copy(v->val, 0, d->vlen[i], d->vals[i]);
}

TEST(after_reload)
{
    dump_t d = {calloc(g_nmodels, sizeof(char *)), calloc(g_nmodels, sizeof(char *)),
                calloc(g_nmodels, sizeof(size_t)), calloc(g_nmodels, sizeof(size_t)), 0};
    fl_ns_each_view(ns, dump_one, &d);
    CHECK_EQ_U(d.n, g_nmodels);
    fl_store_t *st2 = open_one(8, 0, 100, 100);
    CHECK(st2);
    fl_ns_t *ns2 = fl_store_ns(st2, 0);
    for (size_t i = 0; i < d.n; i++) {
        CHECK_EQ_I(fl_str_set(ns2, (fl_slice_t){d.keys[i], d.klen[i]},
                              (fl_slice_t){d.vals[i], d.vlen[i]}, NULL, NULL),
                   FL_OK);
        free(d.keys[i]);
        free(d.vals[i]);
    }
    free(d.keys), free(d.vals), free(d.klen), free(d.vlen);
    grab_t g = {0};
    for (size_t i = 0; i < g_nmodels; i++)
        CHECK(same(ns2, &g_models[i], &g));
    free(g.p);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns2, &used, &req));
    fl_store_close(st2);
}

/* A split record whose head or tail cannot be allocated: FL_ENOMEM, nothing leaked or changed. */
TEST(allocation_failure_leaves_nothing)
{
    static char big[1100];
    memset(big, 'q', sizeof(big));
    CHECK(fls_str_tail_plan(KLEN, sizeof(big), false) > 0);
    fl_slice_t k = S("fail:0123456789a");
    size_t used0 = 0, used1 = 0, req = 0;
    CHECK(used_matches_arena(ns, &used0, &req));
    for (uint64_t nth = 1; nth <= 2; nth++) {
        fl_mem_test_fail_after(nth, false);
        int rc = fl_str_set(ns, k, (fl_slice_t){big, sizeof(big)}, NULL, NULL);
        fl_mem_test_fail_after(0, false);
        CHECK_EQ_I(rc, FL_ENOMEM);
        CHECK(used_matches_arena(ns, &used1, &req));
        CHECK_EQ_U(used1, used0);
    }
}

int main(void)
{
    st = open_one(8, 0, 100, 100);
    if (!st)
        return 1;
    ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    RUN(plan_saves_and_bounds_rounding);
    RUN(every_size_every_op);
    RUN(after_defrag_walk);
    RUN(after_reload);
    RUN(allocation_failure_leaves_nothing);
    for (size_t i = 0; i < g_nmodels; i++)
        free(g_models[i].v);
    fl_store_close(st);
    return TEST_REPORT();
}
