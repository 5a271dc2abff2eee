/*
 * tests/store/test_defrag.c: active defragmentation. After a mass delete leaves the arena's
 * slabs sparse, defrag sweeps move live records into fuller slabs: the free regions inside
 * slabs (slab_frag_bytes) and the active bytes go down, every value reads back unchanged, and
 * used == the arena's requested bytes. A second test sweeps while other threads read and write
 * (labelled threaded: runs under TSan too). Also: the resumable partition walk visits every
 * allocation exactly once however often it yields, survives table resizes between steps; the
 * on-demand full pass purges and reports; the policy's thresholds and CPU share; the background
 * policy starts, gives memory back and stops by itself. (Heavier concurrent correctness:
 * test_defrag_stress.c; the move hint on synthetic slabs: test_defrag_hint.c.)
 */
#include <inttypes.h>
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

typedef struct move_ctx {
    fl_ns_t *ns;
    size_t moved;
} move_ctx_t;

/* Moves every allocation it is offered (not only sparse ones): any stale reference would show. */
static void *maybe_move_all(void *ctx, void *ptr, size_t size)
{
    move_ctx_t *m = ctx;
    void *p = fl_arena_move(fl_ns_arena(m->ns), ptr, size);
    if (!p)
        return ptr;
    m->moved++;
    return p;
}

static bool yield_always(void *ctx)
{
    (void)ctx;
    return true;
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
    CHECK(after.defrag_scanned >= total);
    CHECK(after.defrag_bytes_moved >= total * 100);
    CHECK(after.defrag_lock_holds > 0);
    CHECK(after.defrag_max_hold_us > 0); /* recorded (no timing assertion) */
    CHECK(after.defrag_time_us > 0);
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

/* ---- the resumable walk ---- */

typedef struct visit {
    uintptr_t *seen;
    size_t n, cap;
    size_t yields_asked;
    int yield_every; /* 0: never */
} visit_t;

static void *count_visit(void *ctx, void *ptr, size_t size)
{
    visit_t *v = ctx;
    (void)size;
    if (v->n < v->cap)
        v->seen[v->n] = (uintptr_t)ptr;
    v->n++;
    return ptr;
}

static bool yield_sometimes(void *ctx)
{
    visit_t *v = ctx;
    v->yields_asked++;
    return v->yield_every && v->yields_asked % (size_t)v->yield_every == 0;
}

static int cmp_ptr(const void *a, const void *b)
{
    uintptr_t x = *(const uintptr_t *)a, y = *(const uintptr_t *)b;
    return x < y ? -1 : x > y;
}

static fl_store_t *open_small(unsigned parts)
{
    fl_ns_config_t c;
    fl_ns_config_default(&c, "walk");
    c.partitions = parts;
    c.memory_limit = 0;
    c.defrag_pct = 0;
    fl_store_t *st = NULL;
    char err[200];
    if (fl_store_open(&st, &c, 1, err, sizeof(err)) != FL_OK)
        fprintf(stderr, "open: %s\n", err);
    return st;
}

/* Strings and hashes (one with many fields) in few partitions. */
static void fill_mixed(fl_ns_t *ns)
{
    char k[32], f[32], v[48];
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof(k), "s:%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        fl_str_set(ns, S(k), S(v), NULL, NULL);
    }
    for (int h = 0; h < 20; h++) {
        snprintf(k, sizeof(k), "h:%d", h);
        int nf = h == 0 ? 3000 : 5 + h;
        for (int i = 0; i < nf; i++) {
            snprintf(f, sizeof(f), "f%d", i);
            snprintf(v, sizeof(v), "hv%d:%d", h, i);
            fl_slice_t fv[2] = {S(f), S(v)};
            fl_hash_set(ns, S(k), fv, 1, NULL);
        }
    }
}

/* Walks partition pidx with a yield every `every` units; returns allocations visited (sorted
 * into v->seen) and sets *steps. */
static size_t walk_in_steps(fl_ns_t *ns, uint32_t pidx, int every, visit_t *v, size_t *steps)
{
    fls_walk_ops_t ops = {
        .buckets = count_visit, .rec = count_visit, .yield = yield_sometimes, .node = count_visit};
    fls_walk_cursor_t cur = {0};
    v->n = 0;
    v->yields_asked = 0;
    v->yield_every = every;
    *steps = 0;
    size_t units = 0;
    bool done = false;
    while (!done && *steps < 1000000) {
        fls_wrlock(ns, &ns->parts[pidx]);
        done = fls_part_walk_step(ns, pidx, &ops, v, &cur, &units);
        fls_unlock(ns, &ns->parts[pidx]);
        (*steps)++;
    }
    qsort(v->seen, v->n < v->cap ? v->n : v->cap, sizeof(uintptr_t), cmp_ptr);
    return units;
}

TEST(walk_steps_visit_everything_once)
{
    fl_store_t *st = open_small(4);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fill_mixed(ns);
    size_t cap = 20000;
    visit_t whole = {calloc(cap, sizeof(uintptr_t)), 0, cap, 0, 0};
    visit_t steps = {calloc(cap, sizeof(uintptr_t)), 0, cap, 0, 0};
    CHECK(whole.seen && steps.seen);
    for (uint32_t p = 0; p < ns->nparts; p++) {
        size_t nsteps = 0;
        walk_in_steps(ns, p, 0, &whole, &nsteps);
        CHECK_EQ_U(nsteps, 1);
        CHECK(whole.n > 100 && whole.n <= cap);
        for (int every = 1; every <= 7; every += 3) {
            size_t units = walk_in_steps(ns, p, every, &steps, &nsteps);
            CHECK_EQ_U(units, steps.n);
            CHECK_EQ_U(steps.n, whole.n);
            /* it really stopped and resumed (a big hash's table offers a yield every 64 slots) */
            CHECK(nsteps > whole.n / (size_t)every / 16);
            CHECK(memcmp(steps.seen, whole.seen, whole.n * sizeof(uintptr_t)) == 0);
            for (size_t i = 1; i < steps.n; i++)
                CHECK(steps.seen[i] != steps.seen[i - 1]); /* nothing twice */
        }
    }
    free(whole.seen);
    free(steps.seen);
    fl_store_close(st);
}

TEST(walk_survives_resizes_between_steps)
{
    fl_store_t *st = open_small(1);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fill_mixed(ns);
    static const fls_walk_ops_t ops = {.buckets = maybe_move_all,
                                       .rec = maybe_move_all,
                                       .yield = yield_always,
                                       .node = maybe_move_all};
    fls_walk_cursor_t cur = {0};
    char k[32], v[48];
    bool done = false;
    size_t steps = 0, units = 0;
    move_ctx_t m = {ns, 0};
    for (; !done && steps < 200000; steps++) {
        /* grow the table 8-fold, then shrink it, while the walk is half-way */
        int phase = (int)(steps / 200) % 2;
        for (int j = 0; j < 20; j++) {
            int i = (int)((steps * 20 + (size_t)j) % 20000);
            snprintf(k, sizeof(k), "x:%d", i);
            if (phase == 0) {
                snprintf(v, sizeof(v), "x%d", i);
                fl_str_set(ns, S(k), S(v), NULL, NULL);
            } else {
                fl_key_del(ns, S(k), NULL);
            }
        }
        fls_wrlock(ns, &ns->parts[0]);
        done = fls_part_walk_step(ns, 0, &ops, &m, &cur, &units);
        fls_unlock(ns, &ns->parts[0]);
    }
    fprintf(stderr, "  %zu steps, %zu allocations moved while the table resized\n", steps, m.moved);
    CHECK(done);
    CHECK(m.moved > 1000);
    /* every original string and hash field is intact */
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof(k), "s:%d", i);
        snprintf(v, sizeof(v), "v%d", i);
        cap_t c;
        fl_sink_t s = cap_sink(&c);
        fl_str_get(ns, S(k), &s);
        CHECK(c.bulks == 1 && strcmp(c.last, v) == 0);
    }
    size_t flen = 0;
    fl_hash_len(ns, S("h:0"), &flen);
    CHECK_EQ_U(flen, 3000);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    fl_hash_get(ns, S("h:0"), S("f2999"), &s);
    CHECK(c.bulks == 1 && strcmp(c.last, "hv0:2999") == 0);
    size_t used = 0, req = 0;
    fls_bg_pause(st, true);
    CHECK(used_matches_arena(ns, &used, &req));
    fls_bg_pause(st, false);
    fl_store_close(st);
}

/* ---- on-demand pass, policy ---- */

TEST(full_pass_purges_and_reports)
{
    fl_store_t *st = open_defrag(0);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fill_and_thin(ns, NKEYS);
    fl_ns_defrag_report_t r;
    CHECK_EQ_I(fl_ns_defrag_full(ns, &r), FL_OK);
    fprintf(stderr,
            "  scanned %" PRIu64 ", moved %" PRIu64 " (%" PRIu64 " B); resident %zu -> %zu,"
            " holes %zu -> %zu\n",
            r.scanned, r.moved, r.bytes_moved, r.resident_before, r.resident_after,
            r.frag_bytes_before, r.frag_bytes_after);
    CHECK(r.moved > 1000);
    CHECK(r.scanned >= r.moved);
    CHECK(r.bytes_moved >= r.moved * 100);
    CHECK(r.frag_bytes_after < r.frag_bytes_before / 4);
    CHECK(r.resident_after < r.resident_before);
    CHECK(r.time_us > 0);
    fl_ns_stats_t s;
    CHECK_EQ_I(fl_ns_stats(ns, &s), FL_OK);
    CHECK_EQ_U(s.defrag_passes, 1);
    CHECK(s.defrag_sweeps >= 1 && s.defrag_sweeps <= 8);
    CHECK_EQ_U(s.defrag_moves, r.moved);
    CHECK(s.defrag_bytes_freed > 0);
    CHECK(s.defrag_max_hold_us > 0);
    CHECK(!s.defrag_running);
    CHECK_EQ_I(check_values(ns, NKEYS), 0);
    /* a second pass right away has little left to do */
    fl_ns_defrag_report_t r2;
    CHECK_EQ_I(fl_ns_defrag_full(ns, &r2), FL_OK);
    CHECK(r2.moved < r.moved);
    fl_store_close(st);
}

TEST(policy_thresholds_and_cpu_share)
{
    fl_ns_config_t c;
    fl_ns_config_default(&c, "p");
    CHECK_EQ_U(c.defrag_pct, 10);
    CHECK_EQ_U(c.defrag_pct_upper, 100);
    CHECK_EQ_U(c.defrag_cycle_min, 1);
    CHECK_EQ_U(c.defrag_cycle_max, 10);
    CHECK_EQ_U(c.defrag_ignore_bytes, (size_t)8 << 20);
    CHECK_EQ_U(fls_defrag_cpu_pct(&c, 0), 1);
    CHECK_EQ_U(fls_defrag_cpu_pct(&c, 10), 1);
    CHECK_EQ_U(fls_defrag_cpu_pct(&c, 55), 5); /* 1 + 45 * 9 / 90 */
    CHECK_EQ_U(fls_defrag_cpu_pct(&c, 100), 10);
    CHECK_EQ_U(fls_defrag_cpu_pct(&c, 900), 10);
    CHECK(!fls_defrag_should_start(&c, (size_t)100 << 20, 10)); /* not above lower */
    CHECK(fls_defrag_should_start(&c, (size_t)100 << 20, 11));
    CHECK(!fls_defrag_should_start(&c, (size_t)8 << 20, 500)); /* not above ignore-bytes */
    c.defrag_pct = 0;
    CHECK(!fls_defrag_should_start(&c, (size_t)100 << 20, 500)); /* off */
    c.defrag_pct = 50;
    c.defrag_pct_upper = 20; /* upper below lower: full share above lower */
    CHECK_EQ_U(fls_defrag_cpu_pct(&c, 51), 10);
    fl_mem_stats_t m = {0};
    CHECK_EQ_U(fls_defrag_frag_pct(&m), 0);
    m.allocated = 1000;
    m.slab_frag_bytes = 9000;
    CHECK_EQ_U(fls_defrag_frag_pct(&m), 900);

    char err[200];
    fl_ns_config_default(&c, "p");
    c.defrag_cycle_min = 30; /* above cycle-max */
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_EINVAL);
    CHECK(strstr(err, "cycle-min") != NULL);
    fl_ns_config_default(&c, "p");
    c.defrag_cycle_max = 0;
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_EINVAL);
    fl_ns_config_default(&c, "p");
    c.defrag_pct = 1001;
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_EINVAL);
    fl_ns_config_default(&c, "p");
    c.defrag_pct_upper = 0;
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_EINVAL);
    fl_ns_config_default(&c, "p");
    c.defrag_pct = 300;
    c.defrag_pct_upper = 900;
    CHECK_EQ_I(fl_ns_config_check(&c, err, sizeof(err)), FL_OK);
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
    /* The background thread may have started already while the keys were thinned (a slow,
     * loaded machine, a sanitizer): then the holes it is recovering need not be there any more. */
    CHECK(s.mem.slab_frag_bytes >= ((size_t)8 << 20) || s.defrag_moves > 0 || s.defrag_running);
    int64_t deadline = fl_now_ms() + 10000;
    do {
        sleep_ms(50);
        fl_ns_stats(ns, &s);
    } while (s.defrag_sweeps == 0 && fl_now_ms() < deadline);
    CHECK(s.defrag_sweeps >= 1);
    CHECK(s.defrag_moves > 0);
    CHECK_EQ_I(check_values(ns, NKEYS_BG), 0);
    /* ... and stops by itself once the holes are gone, having given pages back */
    while ((s.defrag_running || s.defrag_passes == 0) && fl_now_ms() < deadline + 20000) {
        sleep_ms(50);
        fl_ns_stats(ns, &s);
    }
    fprintf(stderr,
            "  background: %" PRIu64 " passes, %" PRIu64 " sweeps, %" PRIu64 " moves, %" PRIu64
            " bytes freed, max hold %" PRIu64 " us\n",
            s.defrag_passes, s.defrag_sweeps, s.defrag_moves, s.defrag_bytes_freed,
            s.defrag_max_hold_us);
    CHECK(!s.defrag_running);
    CHECK(s.defrag_passes >= 1);
    CHECK(s.defrag_bytes_freed > 0);
    CHECK(s.defrag_frag_pct <= 10 || s.mem.slab_frag_bytes <= ((size_t)8 << 20));
    /* once stopped it stays stopped: no traffic, nothing to do, no CPU spent */
    fl_ns_stats_t later;
    sleep_ms(2500);
    fl_ns_stats(ns, &later);
    CHECK(!later.defrag_running);
    CHECK_EQ_U(later.defrag_scanned, s.defrag_scanned);
    CHECK_EQ_U(later.defrag_passes, s.defrag_passes);
    fl_store_close(st);
}

int main(void)
{
    RUN(sweep_recovers_slab_holes);
    RUN(sweep_with_concurrent_traffic);
    RUN(walk_steps_visit_everything_once);
    RUN(walk_survives_resizes_between_steps);
    RUN(full_pass_purges_and_reports);
    RUN(policy_thresholds_and_cpu_share);
    RUN(background_defrag);
    return TEST_REPORT();
}
