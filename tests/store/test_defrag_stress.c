/*
 * tests/store/test_defrag_stress.c: correctness of active defragmentation under concurrent
 * reads and writes (labelled threaded: runs under TSan too).
 *
 * A namespace is filled with strings of many sizes (half of them with a TTL) and hashes, then
 * thinned so its slabs are sparse. Then, at the same time:
 *   - writer threads own disjoint keys and keep rewriting them (SET with KEEPTTL, DEL and re-SET
 *     with the same absolute expiry, HSET of hash fields), remembering what they wrote;
 *   - reader threads GET and HGET random keys and check each value is well formed (every value
 *     encodes its key and version, and its length and filler follow from them): a torn or stale
 *     copy made by a move would show;
 *   - a defragmenter thread runs fl_ns_defrag_step and, now and then, fl_ns_defrag_full, while
 *     the background policy (defrag_pct 1) competes for the same namespace.
 * Afterwards every key holds exactly the last value its writer wrote, every TTL is the absolute
 * expiry it was given, no read saw a malformed value, objects were really moved, and
 * used == the arena's requested bytes.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "../testhelper.h"
#include "store_internal.h"
#include "store_test_util.h"

#define NSTR 24000
#define NHASH 240
#define NFIELDS 16
#define WRITERS 2
#define READERS 2
#define RUN_MS 2500       /* the concurrent phase lasts at most this long */
#define WRITER_OPS 400000 /* ... or until each writer has done this many operations */

static fl_ns_t *g_ns;
static int64_t g_ttl_base;              /* absolute expiry of key i: g_ttl_base + i */
static uint32_t g_ver[NSTR];            /* last version written (owner writer only) */
static bool g_present[NSTR];            /* owner writer only */
static uint32_t g_hver[NHASH][NFIELDS]; /* owner writer only */
static atomic_bool g_stop;
static atomic_int g_bad_reads;
static atomic_long g_reads;

static bool has_ttl(int i)
{
    return i % 2 == 0;
}

/* Value of string key i at version v: "i:v:" then a filler letter up to a length that depends
 * on both (16..215 bytes: several size classes). */
static size_t make_value(int i, uint32_t v, char *buf)
{
    size_t len = 16 + ((size_t)i * 7 + (size_t)v * 13) % 200;
    int n = snprintf(buf, len + 1, "%d:%u:", i, v);
    memset(buf + n, 'a' + (i * 31 + (int)v) % 26, len - (size_t)n);
    return len;
}

/* Checks a value read for key i: well formed for some version. */
static bool value_ok(int i, const char *p, size_t n)
{
    char buf[256];
    int ki;
    unsigned v;
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, p, n);
    buf[n] = 0;
    if (sscanf(buf, "%d:%u:", &ki, &v) != 2 || ki != i)
        return false;
    char want[256];
    size_t wn = make_value(i, v, want);
    return wn == n && memcmp(want, buf, n) == 0;
}

static void skey(int i, char *k, size_t n)
{
    snprintf(k, n, "s:%d", i);
}

static void set_str(int i, uint32_t v, bool keepttl)
{
    char k[32], val[256];
    skey(i, k, sizeof(k));
    size_t n = make_value(i, v, val);
    fl_set_opts_t o = {0, 0};
    if (keepttl)
        o.flags = FL_SET_KEEPTTL;
    else if (has_ttl(i))
        o.expire_at_ms = g_ttl_base + i;
    fl_slice_t sv = {val, n};
    fl_str_set(g_ns, S(k), sv, &o, NULL);
}

static void set_field(int h, int f, uint32_t v)
{
    char k[32], fk[32], val[256];
    snprintf(k, sizeof(k), "h:%d", h);
    snprintf(fk, sizeof(fk), "f%d", f);
    size_t n = make_value(h * NFIELDS + f, v, val);
    fl_slice_t fv[2] = {S(fk), {val, n}};
    fl_hash_set(g_ns, S(k), fv, 1, NULL);
}

static uint64_t rnd(uint64_t *x)
{
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    return *x;
}

static void *writer(void *arg)
{
    int me = (int)(intptr_t)arg;
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(me + 1);
    for (long n = 0; n < WRITER_OPS && !atomic_load(&g_stop); n++) {
        uint64_t r = rnd(&x);
        int i = (int)(r % (NSTR / WRITERS)) * WRITERS + me; /* my keys: i % WRITERS == me */
        switch ((r >> 32) % 8) {
        case 0: /* delete, then maybe re-create with its absolute expiry */
            if (g_present[i]) {
                char k[32];
                skey(i, k, sizeof(k));
                bool del = false;
                fl_key_del(g_ns, S(k), &del);
                g_present[i] = false;
            } else {
                set_str(i, ++g_ver[i], false);
                g_present[i] = true;
            }
            break;
        case 1: { /* a hash field of one of my hashes */
            int h = (int)((r >> 8) % (NHASH / WRITERS)) * WRITERS + me;
            int f = (int)((r >> 40) % NFIELDS);
            set_field(h, f, ++g_hver[h][f]);
            break;
        }
        default: /* overwrite (KEEPTTL keeps the expiry), only keys that exist */
            if (g_present[i])
                set_str(i, ++g_ver[i], true);
            break;
        }
    }
    return NULL;
}

static void read_sink_bulk(void *ctx, const char *p, size_t n)
{
    int i = *(int *)ctx;
    if (!value_ok(i, p, n))
        atomic_fetch_add(&g_bad_reads, 1);
}
static void read_sink_bulk2(void *ctx, const char *p, size_t n, const char *q, size_t m)
{
    (void)ctx, (void)p, (void)n, (void)q, (void)m;
    atomic_fetch_add(&g_bad_reads, 1); /* values here are short: never in two blocks */
}
static void read_sink_nil(void *ctx)
{
    (void)ctx;
}
static void read_sink_array(void *ctx, size_t n)
{
    (void)ctx;
    (void)n;
}

static void *reader(void *arg)
{
    uint64_t x = 0x1234567ull * (uint64_t)((intptr_t)arg + 7);
    long reads = 0;
    while (!atomic_load(&g_stop) && reads < 4 * WRITER_OPS) {
        uint64_t r = rnd(&x);
        int i;
        fl_sink_t s = {&i, read_sink_bulk, read_sink_nil, read_sink_array, read_sink_bulk2, NULL};
        char k[32], fk[32];
        if (r % 4 == 0) {
            int h = (int)((r >> 8) % NHASH), f = (int)((r >> 40) % NFIELDS);
            i = h * NFIELDS + f;
            snprintf(k, sizeof(k), "h:%d", h);
            snprintf(fk, sizeof(fk), "f%d", f);
            fl_hash_get(g_ns, S(k), S(fk), &s);
        } else {
            i = (int)((r >> 8) % NSTR);
            skey(i, k, sizeof(k));
            fl_str_get(g_ns, S(k), &s);
        }
        reads++;
    }
    atomic_fetch_add(&g_reads, reads);
    return NULL;
}

static atomic_ulong g_defrag_moves;
static atomic_int g_full_passes;

static void *defragmenter(void *arg)
{
    (void)arg;
    unsigned long moves = 0;
    for (int n = 0; !atomic_load(&g_stop) && n < 1000000; n++) {
        size_t moved = 0;
        bool swept = false;
        fl_ns_defrag_step(g_ns, 64, &moved, &swept);
        moves += moved;
        if (n % 200 == 199) {
            fl_ns_defrag_report_t r;
            fl_ns_defrag_full(g_ns, &r);
            moves += r.moved;
            atomic_fetch_add(&g_full_passes, 1);
        }
    }
    atomic_store(&g_defrag_moves, moves);
    return NULL;
}

TEST(defrag_under_concurrent_reads_and_writes)
{
    fl_ns_config_t c;
    fl_ns_config_default(&c, "stress");
    c.partitions = 64;
    c.memory_limit = 0;
    c.defrag_pct = 1; /* the background policy competes too */
    c.defrag_ignore_bytes = 0;
    c.defrag_cycle_max = 100;
    c.dirty_decay_ms = 0;
    c.muzzy_decay_ms = 0;
    fl_store_t *st = NULL;
    char err[200];
    CHECK_EQ_I(fl_store_open(&st, &c, 1, err, sizeof(err)), FL_OK);
    g_ns = fl_store_ns(st, 0);
    g_ttl_base = fl_now_ms() + 3600 * 1000;
    for (int i = 0; i < NSTR; i++) {
        set_str(i, 0, false);
        g_present[i] = true;
    }
    for (int h = 0; h < NHASH; h++)
        for (int f = 0; f < NFIELDS; f++)
            set_field(h, f, 0);
    for (int i = 0; i < NSTR; i++) { /* thin: keep one string in four */
        if (i % 4 == 0)
            continue;
        char k[32];
        skey(i, k, sizeof(k));
        fl_key_del(g_ns, S(k), NULL);
        g_present[i] = false;
    }
    fl_thread_release_tcaches();

    atomic_store(&g_stop, false);
    pthread_t w[WRITERS], r[READERS], d;
    for (int i = 0; i < WRITERS; i++)
        pthread_create(&w[i], NULL, writer, (void *)(intptr_t)i);
    for (int i = 0; i < READERS; i++)
        pthread_create(&r[i], NULL, reader, (void *)(intptr_t)i);
    pthread_create(&d, NULL, defragmenter, NULL);
    int64_t t0 = fl_now_ms();
    sleep_ms(RUN_MS);
    atomic_store(&g_stop, true);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(w[i], NULL);
    for (int i = 0; i < READERS; i++)
        pthread_join(r[i], NULL);
    pthread_join(d, NULL);
    fl_ns_stats_t s;
    fl_ns_stats(g_ns, &s);
    fprintf(stderr,
            "  %" PRId64 " ms: %ld reads, %lu moves by the test's defragmenter (%d full passes),"
            " %" PRIu64 " in all, max lock hold %" PRIu64 " us\n",
            fl_now_ms() - t0, atomic_load(&g_reads), atomic_load(&g_defrag_moves),
            atomic_load(&g_full_passes), s.defrag_moves, s.defrag_max_hold_us);
    CHECK_EQ_I(atomic_load(&g_bad_reads), 0);
    CHECK(atomic_load(&g_defrag_moves) > 0);
    CHECK(s.defrag_max_hold_us > 0);

    /* every key: its writer's last value, and its absolute expiry */
    fls_bg_pause(st, true);
    int wrong = 0, wrong_ttl = 0, missing = 0, extra = 0;
    for (int i = 0; i < NSTR; i++) {
        char k[32], want[256];
        skey(i, k, sizeof(k));
        cap_t cp;
        fl_sink_t sk = cap_sink(&cp);
        int64_t before = fl_now_ms();
        fl_str_get(g_ns, S(k), &sk);
        int64_t ttl = 0;
        fl_key_ttl_ms(g_ns, S(k), &ttl);
        int64_t after = fl_now_ms();
        if (!g_present[i]) {
            extra += cp.bulks != 0;
            continue;
        }
        if (cp.bulks != 1) {
            missing++;
            continue;
        }
        size_t n = make_value(i, g_ver[i], want);
        if (cp.last_len != n || memcmp(cp.last, want, n) != 0)
            wrong++;
        if (has_ttl(i)) {
            int64_t at = g_ttl_base + i;
            if (ttl < at - after || ttl > at - before)
                wrong_ttl++;
        } else if (ttl != -1) {
            wrong_ttl++;
        }
    }
    for (int h = 0; h < NHASH; h++) {
        for (int f = 0; f < NFIELDS; f++) {
            char k[32], fk[32], want[256];
            snprintf(k, sizeof(k), "h:%d", h);
            snprintf(fk, sizeof(fk), "f%d", f);
            cap_t cp;
            fl_sink_t sk = cap_sink(&cp);
            fl_hash_get(g_ns, S(k), S(fk), &sk);
            size_t n = make_value(h * NFIELDS + f, g_hver[h][f], want);
            if (cp.bulks != 1 || cp.last_len != n || memcmp(cp.last, want, n) != 0)
                wrong++;
        }
    }
    fprintf(stderr, "  check: %d wrong, %d wrong TTL, %d missing, %d resurrected\n", wrong,
            wrong_ttl, missing, extra);
    CHECK_EQ_I(wrong, 0);
    CHECK_EQ_I(wrong_ttl, 0);
    CHECK_EQ_I(missing, 0);
    CHECK_EQ_I(extra, 0);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(g_ns, &used, &req));
    fls_bg_pause(st, false);
    fl_store_close(st);
}

int main(void)
{
    RUN(defrag_under_concurrent_reads_and_writes);
    return TEST_REPORT();
}
