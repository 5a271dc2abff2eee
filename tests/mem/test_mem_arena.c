/*
 * tests/mem/test_mem_arena.c: single-threaded unit tests of shared arenas: lifecycle, the
 * allocation calls, exact requested accounting, tcache isolation between arenas, statistics and
 * their ratios, reclaim, and the failure hook. Uses only mallocx/mallctl paths, so it runs under
 * ASan too (where plain malloc is not jemalloc's).
 */
#include <errno.h>
#include <string.h>

#include "../testhelper.h"
#include "flatline/mem.h"
#include "mem_test_util.h"

TEST(init_and_errors)
{
    CHECK_EQ_I(fl_mem_init(NULL), 0);
    CHECK_EQ_I(fl_mem_init(NULL), 0); /* idempotent */
    CHECK(strlen(fl_mem_strerror(-EINVAL)) > 0);
    CHECK(strlen(fl_mem_strerror(-ENOSYS)) > 0);
    CHECK(strlen(fl_mem_strerror(-12345)) > 0);
    CHECK(strcmp(fl_mem_strerror(-EINVAL), fl_mem_strerror(-ENOMEM)) != 0);
}

TEST(malloc_is_jemalloc_matches_build)
{
    /* Under a sanitizer, malloc is the sanitizer's; otherwise this binary links jemalloc. */
    CHECK_EQ_I(fl_mem_malloc_is_jemalloc(), !TU_SANITIZED);
}

TEST(create_rejects_bad_arguments)
{
    fl_arena_t *a = NULL;
    char longname[80];
    memset(longname, 'x', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    CHECK_EQ_I(fl_arena_create(NULL, "x", NULL), -EINVAL);
    CHECK_EQ_I(fl_arena_create(&a, NULL, NULL), -EINVAL);
    CHECK_EQ_I(fl_arena_create(&a, longname, NULL), -EINVAL);
    fl_arena_opts_t bad = {.dirty_decay_ms = -2, .muzzy_decay_ms = FL_DECAY_DEFAULT};
    CHECK_EQ_I(fl_arena_create(&a, "x", &bad), -EINVAL);
    CHECK(a == NULL);
}

TEST(create_name_index_destroy)
{
    fl_arena_t *a, *b;
    CHECK_EQ_I(fl_arena_create(&a, "users", NULL), 0);
    CHECK_EQ_I(fl_arena_create(&b, "sessions", NULL), 0);
    CHECK_STR(fl_arena_name(a), "users");
    CHECK_STR(fl_arena_name(b), "sessions");
    CHECK(fl_arena_index(a) != fl_arena_index(b));
    CHECK(fl_arena_index(a) > 0);
    void *p = fl_arena_alloc(a, 100);
    CHECK(p != NULL);
    CHECK_EQ_U(tu_arena_of(p), fl_arena_index(a));
    fl_arena_destroy(a); /* frees p with the arena */
    fl_arena_destroy(b);
    fl_arena_destroy(NULL);
    /* Slots and indices are reused; a fresh arena works at once (stale tcache entries of the
     * destroyed one must not be used). */
    fl_arena_t *c;
    CHECK_EQ_I(fl_arena_create(&c, "again", NULL), 0);
    void *q = fl_arena_alloc(c, 100);
    CHECK(q != NULL);
    CHECK_EQ_U(tu_arena_of(q), fl_arena_index(c));
    fl_arena_free(c, q, 100);
    fl_mem_stats_t s;
    CHECK_EQ_I(fl_arena_stats(c, &s), 0);
    CHECK_EQ_U(s.requested, 0);
    fl_arena_destroy(c);
}

TEST(alloc_calloc_realloc_free_and_requested)
{
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "acct", NULL), 0);
    fl_mem_stats_t s;
    CHECK(fl_arena_alloc(a, 0) == NULL);
    CHECK(fl_arena_alloc(NULL, 8) == NULL);

    char *p = fl_arena_alloc(a, 100);
    CHECK(p != NULL);
    CHECK(fl_mem_usable_size(p) >= 100);
    memset(p, 0x5a, 100);
    unsigned char *z = fl_arena_calloc(a, 10, 30);
    CHECK(z != NULL);
    for (int i = 0; i < 300; i++)
        CHECK_EQ_U(z[i], 0);
    CHECK(fl_arena_calloc(a, SIZE_MAX / 2, 3) == NULL); /* overflow */
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK(s.requested_known);
    CHECK_EQ_U(s.requested, 400);

    p = fl_arena_realloc(a, p, 100, 5000); /* grows, probably moves */
    CHECK(p != NULL);
    CHECK_EQ_U(tu_arena_of(p), fl_arena_index(a));
    for (int i = 0; i < 100; i++)
        CHECK_EQ_U((unsigned char)p[i], 0x5a);
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, 5300);
    CHECK(s.allocated >= s.requested);

    p = fl_arena_realloc(a, p, 5000, 40);
    CHECK(p != NULL);
    CHECK(fl_arena_realloc(a, p, 40, 0) == NULL); /* invalid, p untouched */
    void *n = fl_arena_realloc(a, NULL, 0, 64);   /* acts as alloc */
    CHECK(n != NULL);
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, 40 + 300 + 64);

    fl_arena_free(a, p, 40);
    fl_arena_free(a, z, 300);
    fl_arena_free(a, n, 64);
    fl_arena_free(a, NULL, 10);
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, 0);
    CHECK_EQ_U(fl_mem_usable_size(NULL), 0);
    fl_arena_destroy(a);
}

/* The uncached pair: accounted as the cached calls, blocks of the arena asked for, and a freed
 * block goes straight back to its slab (the arena's allocated bytes drop to 0, where a cached
 * free would keep the block, and its slab, in this thread's caches). */
TEST(uncached_alloc_free)
{
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "uncached", NULL), 0);
    CHECK(fl_arena_alloc_uncached(a, 0) == NULL);
    CHECK(fl_arena_alloc_uncached(NULL, 8) == NULL);
    void *b[8];
    for (int i = 0; i < 8; i++) {
        b[i] = fl_arena_alloc_uncached(a, 2500);
        CHECK(b[i] != NULL);
        CHECK_EQ_U(tu_arena_of(b[i]), fl_arena_index(a));
        memset(b[i], i, 2500);
    }
    fl_mem_stats_t s;
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, 8 * 2500);
    CHECK(s.allocated >= s.requested);
    for (int i = 0; i < 7; i++)
        fl_arena_free_uncached(a, b[i], 2500);
    fl_arena_free_uncached(a, NULL, 2500);
    fl_arena_free(a, b[7], 2500); /* either family frees */
    fl_thread_release_tcaches();
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, 0);
    CHECK_EQ_U(s.allocated, 0);
    fl_mem_test_fail_after(1, false);
    CHECK(fl_arena_alloc_uncached(a, 64) == NULL); /* the failure hook applies */
    void *p = fl_arena_alloc_uncached(a, 64);
    CHECK(p != NULL);
    fl_arena_free_uncached(a, p, 64);
    fl_arena_destroy(a);
}

/*
 * The reason for explicit tcaches. With jemalloc's automatic tcache, a block freed from arena A
 * sits in the thread's cache and comes back from mallocx(MALLOCX_ARENA(B)). Through our API a
 * returned pointer always belongs to the arena asked for.
 */
TEST(tcache_isolation)
{
    fl_arena_t *a, *b;
    CHECK_EQ_I(fl_arena_create(&a, "A", NULL), 0);
    CHECK_EQ_I(fl_arena_create(&b, "B", NULL), 0);
    unsigned ia = fl_arena_index(a), ib = fl_arena_index(b);

    /* 1. automatic tcache: count blocks of A handed out for B */
    enum { N = 64 };
    void *blk[N];
    for (int i = 0; i < N; i++)
        blk[i] = mallocx(48, (int)MALLOCX_ARENA(ia));
    for (int i = 0; i < N; i++)
        dallocx(blk[i], 0);
    int crossed = 0;
    for (int i = 0; i < N; i++) {
        blk[i] = mallocx(48, (int)MALLOCX_ARENA(ib));
        CHECK(blk[i] != NULL);
        crossed += tu_arena_of(blk[i]) == ia;
    }
    for (int i = 0; i < N; i++)
        dallocx(blk[i], MALLOCX_TCACHE_NONE);
    fprintf(stderr, "  automatic tcache: %d of %d blocks asked from B came from A\n", crossed, N);
    /* The automatic tcache still holds blocks of A (its fill took more than we used):
     * jemalloc requires flushing every tcache that touched an arena before destroying it. */
    CHECK_EQ_I(mallctl("thread.tcache.flush", NULL, NULL, NULL, 0), 0);
    CHECK(crossed > 0);

    /* 2. our path: alternate arenas, free into both, reallocate; every pointer is checked.
     * 48 B goes through the front cache, 10000 B through the explicit tcache below it. */
    static const size_t sizes[] = {48, 10000};
    for (size_t k = 0; k < 2; k++) {
        size_t sz = sizes[k];
        void *pa[N], *pb[N];
        for (int round = 0; round < 20; round++) {
            for (int i = 0; i < N; i++) {
                pa[i] = fl_arena_alloc(a, sz);
                pb[i] = fl_arena_alloc(b, sz);
                CHECK(pa[i] && pb[i]);
                CHECK_EQ_U(tu_arena_of(pa[i]), ia);
                CHECK_EQ_U(tu_arena_of(pb[i]), ib);
            }
            for (int i = 0; i < N; i++) {
                fl_arena_free(a, pa[i], sz);
                fl_arena_free(b, pb[i], sz);
            }
        }
    }
    fl_arena_destroy(a);
    fl_arena_destroy(b);
}

/* Every request size up to 8 KiB (the front cache serves <= 4 KiB): blocks fit, belong to the
 * arena, keep their contents through reuse, and requested stays exact. */
TEST(every_small_size_round_trips)
{
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "sizes", NULL), 0);
    static void *p[8192];
    for (int round = 0; round < 3; round++) {
        for (size_t s = 1; s <= 8192; s++) {
            p[s - 1] = round == 1 ? fl_arena_calloc(a, 1, s) : fl_arena_alloc(a, s);
            CHECK(p[s - 1] != NULL);
            CHECK(fl_mem_usable_size(p[s - 1]) >= s);
            CHECK_EQ_U(tu_arena_of(p[s - 1]), fl_arena_index(a));
            unsigned char *c = p[s - 1];
            if (round == 1)
                CHECK(c[0] == 0 && c[s - 1] == 0);
            c[s - 1] = (unsigned char)(s >> 3);
            c[0] = (unsigned char)s;
        }
        for (size_t s = 1; s <= 8192; s++) {
            unsigned char *c = p[s - 1];
            CHECK(c[0] == (unsigned char)s && (s == 1 || c[s - 1] == (unsigned char)(s >> 3)));
            fl_arena_free(a, p[s - 1], s);
        }
    }
    fl_mem_stats_t st;
    CHECK_EQ_I(fl_arena_stats(a, &st), 0);
    CHECK_EQ_U(st.requested, 0);
    fl_thread_release_tcaches();
    CHECK_EQ_I(fl_arena_stats(a, &st), 0);
    CHECK_EQ_U(st.allocated, 0); /* nothing left in any cache */
    fl_arena_destroy(a);
}

TEST(stats_ratios_sane)
{
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "stats", NULL), 0);
    enum { N = 2000 };
    static void *p[N];
    size_t want = 0;
    for (int i = 0; i < N; i++) {
        size_t sz = 17 + (size_t)(i * 37) % 3000;
        p[i] = fl_arena_alloc(a, sz);
        CHECK(p[i] != NULL);
        want += sz;
    }
    fl_mem_stats_t s;
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, want);
    CHECK(s.allocated >= s.requested);
    CHECK(s.active >= s.allocated);
    CHECK(s.resident >= s.active);
    CHECK(s.rss >= s.resident);
    CHECK(s.nmalloc >= 1);
    CHECK(s.rounding_ratio >= 1.0 && s.rounding_ratio < 2.0);
    CHECK(s.holes_ratio >= 1.0 && s.holes_ratio < 2.0);
    CHECK(s.unreturned_ratio >= 1.0);
    CHECK(s.outside_ratio == 1.0);
    double product = s.rounding_ratio * s.holes_ratio * s.unreturned_ratio;
    CHECK(product > s.frag_ratio * 0.999 && product < s.frag_ratio * 1.001);

    fl_mem_stats_t ps;
    CHECK_EQ_I(fl_process_stats(&ps), 0);
    CHECK(!ps.requested_known);
    CHECK(ps.allocated >= s.allocated);
    CHECK(ps.requested >= s.requested);
    CHECK(ps.rss > 0);
    CHECK(ps.outside_ratio > 0.0);
    product = ps.rounding_ratio * ps.holes_ratio * ps.unreturned_ratio * ps.outside_ratio;
    CHECK(product > ps.frag_ratio * 0.999 && product < ps.frag_ratio * 1.001);

    fl_mem_stats_t pv;
    CHECK_EQ_I(fl_private_arenas_stats(&pv), 0);
    CHECK(!pv.requested_known);

    char buf[2048];
    int n = fl_mem_stats_format(&s, "arena stats", buf, sizeof(buf));
    CHECK(n > 0 && (size_t)n < sizeof(buf));
    CHECK_EQ_U(strlen(buf), (size_t)n);
    /* Every field of the vocabulary, in its order (FL_MEM_BYTES, then FL_MEM_RATIOS). */
    const char *order[] = {"arena stats",
#define NAME_BYTES_(f, name, doc) name,
                           FL_MEM_BYTES(NAME_BYTES_)
#undef NAME_BYTES_
#define NAME_RATIO_(f, name, formula, doc) name,
                               FL_MEM_RATIOS(NAME_RATIO_)
#undef NAME_RATIO_
    };
    const char *at = buf;
    for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
        const char *hit = strstr(at, order[i]);
        if (hit == NULL)
            fprintf(stderr, "missing or out of order: %s\n", order[i]);
        CHECK(hit != NULL);
        at = hit;
    }
    /* Truncation behaves like snprintf. */
    char small[16];
    CHECK_EQ_I(fl_mem_stats_format(&s, "arena stats", small, sizeof(small)), n);
    CHECK_EQ_U(strlen(small), sizeof(small) - 1);
    CHECK_EQ_I(fl_mem_stats_format(&s, "arena stats", NULL, 0), n);

    for (int i = 0; i < N; i++)
        fl_arena_free(a, p[i], 17 + (size_t)(i * 37) % 3000);
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, 0);
    CHECK_EQ_U(s.rounding_ratio, 1); /* requested 0: defined as 1.0 */
    fl_arena_destroy(a);
}

TEST(purge_reduces_dirty_and_decay)
{
    fl_arena_opts_t o = {.dirty_decay_ms = -1, .muzzy_decay_ms = -1}; /* never by time */
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "purge", &o), 0);
    enum { N = 256 };
    void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = fl_arena_alloc(a, 16384);
        CHECK(p[i] != NULL);
        memset(p[i], 1, 16384);
    }
    for (int i = 0; i < N; i++)
        fl_arena_free(a, p[i], 16384);
    fl_thread_release_tcaches(); /* cached large blocks go back to the arena */
    fl_mem_stats_t before, after;
    CHECK_EQ_I(fl_arena_stats(a, &before), 0);
    CHECK(before.dirty >= (size_t)N * 16384 / 2);
    CHECK_EQ_I(fl_arena_purge(a), 0);
    CHECK_EQ_I(fl_arena_stats(a, &after), 0);
    CHECK(after.dirty < before.dirty);
    CHECK(after.resident < before.resident);
    CHECK_EQ_I(fl_arena_purge(NULL), -EINVAL);

    /* Decay setters: valid values, defaults, rejects; read back through mallctl. */
    CHECK_EQ_I(fl_arena_set_decay(a, 0, 0), 0);
    char ctl[64];
    ssize_t ms = -5;
    size_t sz = sizeof(ms);
    snprintf(ctl, sizeof(ctl), "arena.%u.dirty_decay_ms", fl_arena_index(a));
    CHECK_EQ_I(mallctl(ctl, &ms, &sz, NULL, 0), 0);
    CHECK_EQ_I(ms, 0);
    CHECK_EQ_I(fl_arena_set_decay(a, FL_DECAY_DEFAULT, 500), 0);
    ssize_t def = 0;
    CHECK_EQ_I(mallctl("arenas.dirty_decay_ms", &def, &sz, NULL, 0), 0);
    CHECK_EQ_I(mallctl(ctl, &ms, &sz, NULL, 0), 0);
    CHECK_EQ_I(ms, def);
    CHECK_EQ_I(fl_arena_set_decay(a, -7, 0), -EINVAL);
    CHECK_EQ_I(fl_arena_set_decay(NULL, 0, 0), -EINVAL);
    CHECK_EQ_I(fl_mem_purge_all(), 0);
    fl_arena_destroy(a);
}

TEST(background_thread_toggle)
{
#if defined(__SANITIZE_THREAD__)
    CHECK_EQ_I(fl_mem_set_background_thread(true), -ENOTSUP); /* see reclaim.c */
    CHECK_EQ_I(fl_mem_set_background_thread(false), 0);
    return;
#endif
    CHECK_EQ_I(fl_mem_set_background_thread(true), 0);
    bool on = false;
    size_t sz = sizeof(on);
    CHECK_EQ_I(mallctl("background_thread", &on, &sz, NULL, 0), 0);
    CHECK(on);
    CHECK_EQ_I(fl_mem_set_background_thread(false), 0);
    CHECK_EQ_I(mallctl("background_thread", &on, &sz, NULL, 0), 0);
    CHECK(!on);
}

TEST(failure_hook)
{
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "fail", NULL), 0);
    fl_mem_test_fail_after(3, false);
    void *p1 = fl_arena_alloc(a, 10);
    void *p2 = fl_arena_calloc(a, 1, 10);
    void *p3 = fl_arena_alloc(a, 10); /* the 3rd fails */
    void *p4 = fl_arena_alloc(a, 10);
    CHECK(p1 && p2 && !p3 && p4);

    fl_mem_test_fail_after(2, true);
    void *r = fl_arena_realloc(a, p1, 10, 20000); /* 1st: works */
    CHECK(r != NULL);
    p1 = r;
    CHECK(fl_arena_realloc(a, p1, 20000, 30000) == NULL); /* 2nd fails, p1 intact */
    CHECK(fl_arena_alloc(a, 10) == NULL);                 /* sticky */
    CHECK(fl_arena_move(a, p2, 10) == NULL);
    fl_mem_test_fail_after(0, false);
    void *p5 = fl_arena_alloc(a, 10);
    CHECK(p5 != NULL);

    fl_mem_stats_t s;
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, 20000 + 10 + 10 + 10); /* failures left no trace */
    fl_arena_free(a, p1, 20000);
    fl_arena_free(a, p2, 10);
    fl_arena_free(a, p4, 10);
    fl_arena_free(a, p5, 10);
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, 0);
    fl_arena_destroy(a);
}

TEST(release_tcaches_then_reuse)
{
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "release", NULL), 0);
    void *p = fl_arena_alloc(a, 64);
    CHECK(p != NULL);
    fl_thread_release_tcaches();
    fl_thread_release_tcaches(); /* idempotent */
    fl_arena_free(a, p, 64);     /* makes a new tcache lazily */
    p = fl_arena_alloc(a, 64);
    CHECK(p != NULL);
    CHECK_EQ_U(tu_arena_of(p), fl_arena_index(a));
    fl_mem_stats_t s;
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK_EQ_U(s.requested, 64); /* the released counter was folded, not lost */
    fl_arena_free(a, p, 64);
    fl_arena_destroy(a);
}

int main(void)
{
    RUN(init_and_errors);
    RUN(malloc_is_jemalloc_matches_build);
    RUN(create_rejects_bad_arguments);
    RUN(create_name_index_destroy);
    RUN(alloc_calloc_realloc_free_and_requested);
    RUN(tcache_isolation);
    RUN(every_small_size_round_trips);
    RUN(stats_ratios_sane);
    RUN(purge_reduces_dirty_and_decay);
    RUN(background_thread_toggle);
    RUN(failure_hook);
    RUN(release_tcaches_then_reuse);
    RUN(uncached_alloc_free);
    return TEST_REPORT();
}
