/*
 * tests/store/test_defrag_hint.c: the move-hint rule the defragmenter relies on
 * (fl_mem_should_move / _batch), on synthetic slabs whose occupancy the test builds exactly.
 *
 * A fresh jemalloc arena, allocations without a thread cache (MALLOCX_TCACHE_NONE), one size
 * class: jemalloc then fills slab after slab in order, so allocation i is in slab i / nregs.
 * The test checks that layout first (every group lies inside one slab and reports nregs
 * regions), then frees regions to give each slab a known fill level and compares the hint with
 * the rule stated in mem.h: move iff the slab is not full, is not the bin's current slab
 * (jemalloc makes the oldest non-full slab current) and is no more used than the bin's average.
 */
#include <jemalloc/jemalloc.h>
#include <stdint.h>

#include "../testhelper.h"
#include "flatline/mem.h"

#define SZ 128
#define NSLABS 6
#define MAXREGS 512

struct util {
    void *slabcur_addr;
    size_t nfree, nregs, size, bin_nfree, bin_nregs;
};

static unsigned g_arena;
static void *g_obj[NSLABS][MAXREGS];
static size_t g_nregs;

static int query(const void *p, struct util *u)
{
    size_t len = sizeof(*u);
    return mallctl("experimental.utilization.query", u, &len, (void *)&p, sizeof(p));
}

static void *alloc1(void)
{
    return mallocx(SZ, (int)MALLOCX_ARENA(g_arena) | MALLOCX_TCACHE_NONE);
}

static void free1(void **p)
{
    dallocx(*p, MALLOCX_TCACHE_NONE);
    *p = NULL;
}

static int new_arena(void)
{
    size_t len = sizeof(g_arena);
    return mallctl("arenas.create", &g_arena, &len, NULL, 0);
}

static void destroy_arena(void)
{
    char name[64];
    snprintf(name, sizeof(name), "arena.%u.destroy", g_arena);
    mallctl(name, NULL, NULL, NULL, 0);
}

/* Fills NSLABS slabs in order; checks that group s is exactly slab s. Returns 0 or -1. */
static int fill_slabs(void)
{
    void *first = alloc1();
    struct util u;
    if (!first || query(first, &u) != 0 || u.nregs < 8 || u.nregs > MAXREGS)
        return -1;
    g_nregs = u.nregs;
    g_obj[0][0] = first;
    for (size_t s = 0; s < NSLABS; s++) {
        for (size_t i = (s == 0); i < g_nregs; i++)
            if (!(g_obj[s][i] = alloc1()))
                return -1;
        uintptr_t lo = UINTPTR_MAX, hi = 0;
        for (size_t i = 0; i < g_nregs; i++) {
            uintptr_t p = (uintptr_t)g_obj[s][i];
            lo = p < lo ? p : lo;
            hi = p > hi ? p : hi;
            if (query(g_obj[s][i], &u) != 0 || u.nregs != g_nregs || u.nfree != 0)
                return -1; /* a full slab of nregs regions */
        }
        if (hi + SZ - lo > u.size)
            return -1; /* the group spans more than one slab */
    }
    return 0;
}

/* Keeps `keep` regions of slab s (the first ones), frees the others. */
static void thin(size_t s, size_t keep)
{
    for (size_t i = keep; i < g_nregs; i++)
        free1(&g_obj[s][i]);
}

static int hinted(size_t s)
{
    int n = 0;
    for (size_t i = 0; i < g_nregs; i++)
        if (g_obj[s][i] && fl_mem_should_move(g_obj[s][i]))
            n++;
    return n;
}

static size_t live(size_t s)
{
    size_t n = 0;
    for (size_t i = 0; i < g_nregs; i++)
        n += g_obj[s][i] != NULL;
    return n;
}

TEST(hint_follows_fill_levels)
{
    CHECK_EQ_I(fl_mem_init(NULL), 0);
    CHECK_EQ_I(new_arena(), 0);
    if (fill_slabs() != 0)
        TEST_SKIP("jemalloc does not fill a fresh arena's slabs in order: layout unknown");
    size_t n = g_nregs;
    /* Slab 0 (the oldest) loses one region: it becomes the bin's current slab (slabcur).
     * Slab 1 stays full. Slabs 2..5: 1/4, 3/4, 1/2, 1/2 used. */
    thin(0, n - 1);
    thin(2, n / 4);
    thin(3, 3 * n / 4);
    thin(4, n / 2);
    thin(5, n / 2);
    struct util u;
    CHECK_EQ_I(query(g_obj[2][0], &u), 0);
    uintptr_t cur = (uintptr_t)u.slabcur_addr;
    CHECK(cur <= (uintptr_t)g_obj[0][0] && (uintptr_t)g_obj[0][0] < cur + u.size);
    size_t used = 0;
    for (size_t s = 0; s < NSLABS; s++)
        used += live(s);
    CHECK_EQ_U(u.bin_nregs - u.bin_nfree, used); /* the bin's view matches the construction */
    CHECK_EQ_U(u.bin_nregs, NSLABS * n);
    fprintf(stderr, "  %zu regions per slab, bin %zu/%zu used\n", n, used, NSLABS * n);

    /* average use = used / (6n) ~ 0.67: slabs at 1/4 and 1/2 move, 3/4 does not */
    CHECK_EQ_I(hinted(0), 0);            /* current slab: moves would only land here again */
    CHECK_EQ_I(hinted(1), 0);            /* full: no hole to give back */
    CHECK_EQ_I(hinted(2), (int)live(2)); /* sparse */
    CHECK_EQ_I(hinted(3), 0);            /* fuller than the average */
    CHECK_EQ_I(hinted(4), (int)live(4));
    CHECK_EQ_I(hinted(5), (int)live(5));

    /* the batch form agrees, NULLs included */
    const void *ptrs[NSLABS * MAXREGS];
    bool out[NSLABS * MAXREGS];
    size_t k = 0;
    for (size_t s = 0; s < NSLABS; s++)
        for (size_t i = 0; i < n; i++)
            ptrs[k++] = g_obj[s][i];
    CHECK_EQ_I(fl_mem_should_move_batch(ptrs, k, out), 0);
    for (size_t i = 0; i < k; i++)
        CHECK(out[i] == (ptrs[i] != NULL && fl_mem_should_move(ptrs[i])));

    /* Moving what the hint says (as the defragmenter does) fills the current slab first and
     * empties slabs 2, 4 and 5: the bin ends with fewer slabs. */
    size_t slabs_before = u.bin_nregs / n;
    for (size_t s = 2; s < NSLABS; s++) {
        for (size_t i = 0; i < n; i++) {
            void *p = g_obj[s][i];
            if (!p || !fl_mem_should_move(p))
                continue;
            void *q = alloc1();
            CHECK(q != NULL);
            memcpy(q, p, SZ);
            free1(&g_obj[s][i]);
            g_obj[s][i] = q;
        }
    }
    CHECK_EQ_I(query(g_obj[1][0], &u), 0);
    fprintf(stderr, "  slabs in the bin: %zu -> %zu\n", slabs_before, u.bin_nregs / n);
    CHECK(u.bin_nregs / n < slabs_before);
    CHECK_EQ_U(u.bin_nregs - u.bin_nfree, used); /* nothing lost */
    for (size_t s = 0; s < NSLABS; s++)
        for (size_t i = 0; i < n; i++)
            if (g_obj[s][i])
                free1(&g_obj[s][i]);
    destroy_arena();
}

TEST(equally_sparse_slabs_all_move)
{
    /* After a mass delete every slab is about equally sparse: "no more used than the average"
     * still says move (all but the current slab), which is what empties slabs. */
    CHECK_EQ_I(new_arena(), 0);
    if (fill_slabs() != 0)
        TEST_SKIP("jemalloc does not fill a fresh arena's slabs in order: layout unknown");
    size_t n = g_nregs;
    for (size_t s = 0; s < NSLABS; s++)
        thin(s, n / 8);
    CHECK_EQ_I(hinted(0), 0); /* the oldest non-full slab is current */
    for (size_t s = 1; s < NSLABS; s++)
        CHECK_EQ_I(hinted(s), (int)live(s));
    for (size_t s = 0; s < NSLABS; s++)
        for (size_t i = 0; i < n; i++)
            if (g_obj[s][i])
                free1(&g_obj[s][i]);
    destroy_arena();
}

TEST(large_and_null_never_move)
{
    CHECK_EQ_I(new_arena(), 0);
    void *big = mallocx(64 << 10, (int)MALLOCX_ARENA(g_arena) | MALLOCX_TCACHE_NONE);
    CHECK(big != NULL);
    CHECK(!fl_mem_should_move(big));
    CHECK(!fl_mem_should_move(NULL));
    dallocx(big, MALLOCX_TCACHE_NONE);
    destroy_arena();
}

int main(void)
{
    RUN(hint_follows_fill_levels);
    RUN(equally_sparse_slabs_all_move);
    RUN(large_and_null_never_move);
    return TEST_REPORT();
}
