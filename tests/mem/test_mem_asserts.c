/*
 * tests/mem/test_mem_asserts.c: the memory layer's debug assertions fire (FLATLINE_DEBUG):
 * a block freed, reallocated or moved through an arena it does not belong to, or with a size
 * other than the one it was requested with, aborts instead of entering the wrong arena's
 * caches. Each misuse runs in a forked child. Release builds skip.
 */
#include "../death.h"
#include "../testhelper.h"
#include "flatline/mem.h"

static fl_arena_t *a, *b;
static void *block; /* 100 bytes of arena a */

static void free_into_other_arena(void *ctx)
{
    (void)ctx;
    fl_arena_free(b, block, 100);
}

static void free_with_wrong_size(void *ctx)
{
    (void)ctx;
    fl_arena_free(a, block, 1000);
}

static void realloc_in_other_arena(void *ctx)
{
    (void)ctx;
    fl_arena_realloc(b, block, 100, 200);
}

static void move_in_other_arena(void *ctx)
{
    (void)ctx;
    fl_arena_move(b, block, 100);
}

static void free_right(void *ctx)
{
    (void)ctx;
    fl_arena_free(a, block, 100);
}

TEST(free_checks_the_arena)
{
    CHECK(th_dies(free_into_other_arena, NULL, "fl_arena_free: assertion `block_belongs"));
}

TEST(free_checks_the_size)
{
    CHECK(th_dies(free_with_wrong_size, NULL, "fl_arena_free: assertion `block_belongs"));
}

TEST(realloc_and_move_check_the_arena)
{
    CHECK(th_dies(realloc_in_other_arena, NULL, "fl_arena_realloc: assertion `block_belongs"));
    CHECK(th_dies(move_in_other_arena, NULL, "fl_arena_move: assertion `block_belongs"));
}

TEST(a_right_free_passes)
{
    CHECK(!th_dies(free_right, NULL, "assertion"));
}

int main(void)
{
#ifndef FLATLINE_DEBUG
    TEST_SKIP("release build: the debug assertions are compiled out");
#endif
    if (fl_mem_init(NULL) != 0)
        TEST_SKIP("jemalloc is not available");
    if (fl_arena_create(&a, "a", NULL) != 0 || fl_arena_create(&b, "b", NULL) != 0)
        return 1;
    block = fl_arena_alloc(a, 100);
    if (!block)
        return 1;
    RUN(free_checks_the_arena);
    RUN(free_checks_the_size);
    RUN(realloc_and_move_check_the_arena);
    RUN(a_right_free_passes);
    fl_arena_free(a, block, 100);
    fl_arena_destroy(a);
    fl_arena_destroy(b);
    return TEST_REPORT();
}
