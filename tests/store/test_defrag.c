/*
 * tests/store/test_defrag.c: active defragmentation. After a mass delete leaves the arena's
 * slabs sparse, defrag sweeps move live records into fuller slabs: the free regions inside
 * slabs (slab_frag_bytes) and the active bytes go down, every value reads back unchanged, and
 * used == the arena's requested bytes. A second test sweeps while other threads read and write
 * (labelled threaded: runs under TSan too).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "../testhelper.h"
#include "store_internal.h"
#include "store_test_util.h"

#define NKEYS 60000
#define NKEYS_BG 100000 /* enough holes to pass the background threshold (8 MiB) */

static void value_of(int i, char *v, size_t n)
{
    memset(v, 'a' + i % 26, n);
    snprintf(v, n, "value-%d-", i);
}

static fl_store_t *open_defrag(unsigned defrag_pct)
{
    fl_ns_config_t c;
    fl_ns_config_default(&c, "defrag");
    c.partitions = 256;
    c.memory_limit = 0;
    c.defrag_pct = defrag_pct;
    c.dirty_decay_ms = 0; /* emptied pages go back at once: active/resident show the effect */
    c.muzzy_decay_ms = 0;
    fl_store_t *st = NULL;
    char err[200];
    if (fl_store_open(&st, &c, 1, err, sizeof(err)) != FL_OK)
        fprintf(stderr, "open: %s\n", err);
    return st;
}

static void fill_and_thin(fl_ns_t *ns, int nkeys)
{
    char k[32], v[100];
    for (int i = 0; i < nkeys; i++) {
        snprintf(k, sizeof(k), "key:%d", i);
        value_of(i, v, sizeof(v));
        fl_slice_t val = {v, sizeof(v)};
        fl_str_set(ns, S(k), val, NULL, NULL);
    }
    for (int i = 0; i < nkeys; i++) {
        if (i % 7 == 0)
            continue; /* keep one in seven: every slab keeps a few live records */
        snprintf(k, sizeof(k), "key:%d", i);
        fl_key_del(ns, S(k), NULL);
    }
    fl_thread_release_tcaches(); /* blocks cached by this thread would count as used */
}

static int check_values(fl_ns_t *ns, int nkeys)
{
    char k[32], v[100];
    int bad = 0;
    for (int i = 0; i < nkeys; i += 7) {
        snprintf(k, sizeof(k), "key:%d", i);
        value_of(i, v, sizeof(v));
        cap_t c;
        fl_sink_t s = cap_sink(&c);
        fl_str_get(ns, S(k), &s);
        if (c.bulks != 1 || c.last_len != sizeof(v) || memcmp(c.last, v, sizeof(v)) != 0)
            bad++;
    }
    return bad;
}

TEST(sweep_recovers_slab_holes)
{
    fl_store_t *st = open_defrag(0); /* background defrag off: this test drives it */
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fill_and_thin(ns, NKEYS);
    fl_ns_stats_t before, after;
    CHECK_EQ_I(fl_ns_stats(ns, &before), FL_OK);
    size_t total = 0;
    for (int sweep = 0; sweep < 4; sweep++) {
        bool swept = false;
        for (int i = 0; i < 100000 && !swept; i++) {
            size_t moved = 0;
            CHECK_EQ_I(fl_ns_defrag_step(ns, 128, &moved, &swept), FL_OK);
            CHECK(moved <= 128 + 64); /* one partition may overshoot the budget a little */
            total += moved;
        }
        CHECK(swept);
    }
    fl_arena_purge(fl_ns_arena(ns));
    CHECK_EQ_I(fl_ns_stats(ns, &after), FL_OK);
    fprintf(stderr, "  moved %zu; slab holes %zu -> %zu bytes, active %zu -> %zu bytes, used %zu\n",
            total, before.mem.slab_frag_bytes, after.mem.slab_frag_bytes, before.mem.active,
            after.mem.active, after.used);
    CHECK(total > 1000);
    CHECK_EQ_U(after.defrag_moves, total);
    CHECK_EQ_U(after.defrag_sweeps, 4);
    CHECK(after.mem.slab_frag_bytes < before.mem.slab_frag_bytes / 2);
    CHECK(after.mem.active < before.mem.active);
    CHECK_EQ_U(after.used, before.used);
    CHECK_EQ_I(check_values(ns, NKEYS), 0);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    fl_store_close(st);
}

static atomic_bool stop;

static void *traffic(void *arg)
{
    fl_ns_t *ns = arg;
    char k[32], v[100];
    uint64_t x = (uintptr_t)arg | 1;
    for (int n = 0; n < 200000 && !atomic_load(&stop); n++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        int i = (int)(x % NKEYS) / 7 * 7;
        snprintf(k, sizeof(k), "key:%d", i);
        if (x % 4 == 0) {
            value_of(i, v, sizeof(v));
            fl_slice_t val = {v, sizeof(v)};
            fl_str_set(ns, S(k), val, NULL, NULL); /* same value: checks stay valid */
        } else {
            cap_t c;
            fl_sink_t s = cap_sink(&c);
            fl_str_get(ns, S(k), &s);
        }
    }
    return NULL;
}

TEST(sweep_with_concurrent_traffic)
{
    fl_store_t *st = open_defrag(0);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fill_and_thin(ns, NKEYS);
    atomic_store(&stop, false);
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], NULL, traffic, ns);
    size_t total = 0;
    for (int sweep = 0; sweep < 2; sweep++) {
        bool swept = false;
        for (int i = 0; i < 100000 && !swept; i++) {
            size_t moved = 0;
            fl_ns_defrag_step(ns, 64, &moved, &swept);
            total += moved;
        }
    }
    atomic_store(&stop, true);
    for (int i = 0; i < 3; i++)
        pthread_join(t[i], NULL);
    fprintf(stderr, "  moved %zu while 3 threads read and wrote\n", total);
    CHECK(total > 0);
    CHECK_EQ_I(check_values(ns, NKEYS), 0);
    fls_bg_pause(st, true);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    fls_bg_pause(st, false);
    fl_store_close(st);
}

TEST(background_defrag)
{
    /* defrag_pct 10: the background thread notices the holes (>= 8 MiB needed) and sweeps */
    fl_store_t *st = open_defrag(10);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fill_and_thin(ns, NKEYS_BG);
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    CHECK(s.mem.slab_frag_bytes >= ((size_t)8 << 20));
    int64_t deadline = fl_now_ms() + 10000;
    do {
        sleep_ms(50);
        fl_ns_stats(ns, &s);
    } while (s.defrag_sweeps == 0 && fl_now_ms() < deadline);
    CHECK(s.defrag_sweeps >= 1);
    CHECK(s.defrag_moves > 0);
    CHECK_EQ_I(check_values(ns, NKEYS_BG), 0);
    fl_store_close(st);
}

int main(void)
{
    RUN(sweep_recovers_slab_holes);
    RUN(sweep_with_concurrent_traffic);
    RUN(background_defrag);
    return TEST_REPORT();
}
