/*
 * tests/mem/test_mem_move.c: move hints and fl_arena_move on a synthetic sparse pattern.
 *
 * Many same-size objects fill slabs; in the first half only one object in 16 is kept (sparse
 * slabs), the second half stays full. The hint must say "move" for many objects of the sparse
 * slabs and never for objects of full slabs; moving the hinted ones must lower the arena's
 * active bytes and slab holes, keep contents and requested, and the batch form must agree
 * with the single form.
 */
#include <string.h>

#include "../testhelper.h"
#include "flatline/mem.h"
#include "mem_test_util.h"

enum { N = 8192, SZ = 96 };
static void *g_p[N];
static bool g_hint[N];

TEST(edge_cases)
{
    CHECK(!fl_mem_should_move(NULL));
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "edge", NULL), 0);
    void *big = fl_arena_alloc(a, 1 << 20); /* large extent: never */
    CHECK(big != NULL);
    CHECK(!fl_mem_should_move(big));
    const void *ptrs[3] = {big, NULL, big};
    bool out[3] = {true, true, true};
    CHECK_EQ_I(fl_mem_should_move_batch(ptrs, 3, out), 0);
    CHECK(!out[0] && !out[1] && !out[2]);
    CHECK_EQ_I(fl_mem_should_move_batch(NULL, 0, NULL), 0);
    CHECK(fl_mem_should_move_batch(NULL, 2, out) < 0);
    CHECK(fl_arena_move(a, NULL, 10) == NULL);
    fl_arena_free(a, big, 1 << 20);
    fl_arena_destroy(a);
}

TEST(sparse_slabs_are_hinted_and_moving_compacts)
{
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "sparse", NULL), 0);
    for (int i = 0; i < N; i++) {
        g_p[i] = fl_arena_alloc(a, SZ);
        CHECK(g_p[i] != NULL);
        memset(g_p[i], i & 0xff, SZ);
    }
    for (int i = 0; i < N / 2; i++) {
        if (i % 16 != 0) {
            fl_arena_free(a, g_p[i], SZ);
            g_p[i] = NULL;
        }
    }
    fl_thread_release_tcaches(); /* cached regions count as used: return them first */

    fl_mem_stats_t before;
    CHECK_EQ_I(fl_arena_stats(a, &before), 0);
    int sparse_hinted = 0, sparse_live = 0, dense_hinted = 0;
    for (int i = 0; i < N; i++) {
        if (g_p[i] == NULL)
            continue;
        bool h = fl_mem_should_move(g_p[i]);
        if (i < N / 2) {
            sparse_live++;
            sparse_hinted += h;
        } else {
            dense_hinted += h;
        }
    }
    fprintf(stderr, "  hinted: %d of %d sparse objects, %d of %d dense ones\n", sparse_hinted,
            sparse_live, dense_hinted, N / 2);
    CHECK(sparse_hinted >= sparse_live / 2);
    CHECK(dense_hinted <= N / 2 / 16); /* at most the slab at the boundary */

    /* The batch form agrees with the single form. */
    CHECK_EQ_I(fl_mem_should_move_batch((const void *const *)g_p, N, g_hint), 0);
    for (int i = 0; i < N; i++)
        CHECK_EQ_I(g_hint[i], g_p[i] != NULL && fl_mem_should_move(g_p[i]));

    int moved = 0;
    for (int i = 0; i < N; i++) {
        if (!g_hint[i])
            continue;
        void *np = fl_arena_move(a, g_p[i], SZ);
        CHECK(np != NULL);
        CHECK_EQ_U(tu_arena_of(np), fl_arena_index(a));
        g_p[i] = np;
        moved++;
    }
    fl_mem_stats_t after;
    CHECK_EQ_I(fl_arena_stats(a, &after), 0);
    fprintf(stderr, "  moved %d: active %zu -> %zu, slab holes %zu -> %zu\n", moved, before.active,
            after.active, before.slab_frag_bytes, after.slab_frag_bytes);
    CHECK(moved > 0);
    CHECK(after.active < before.active);
    CHECK(after.slab_frag_bytes < before.slab_frag_bytes);
    CHECK_EQ_U(after.requested, before.requested); /* a move does not change requested */
    for (int i = 0; i < N; i++) {
        if (g_p[i] == NULL)
            continue;
        unsigned char *c = g_p[i];
        CHECK(c[0] == (unsigned char)(i & 0xff) && c[SZ - 1] == (unsigned char)(i & 0xff));
        fl_arena_free(a, g_p[i], SZ);
    }
    CHECK_EQ_I(fl_arena_stats(a, &after), 0);
    CHECK_EQ_U(after.requested, 0);
    fl_arena_destroy(a);
}

int main(void)
{
    RUN(edge_cases);
    RUN(sparse_slabs_are_hinted_and_moving_compacts);
    return TEST_REPORT();
}
