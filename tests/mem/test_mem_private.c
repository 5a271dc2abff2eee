/*
 * tests/mem/test_mem_private.c: thread-private arenas: binding makes plain malloc land in the
 * thread's own arena (checked with arenas.lookup), each thread gets a different one, arenas go
 * back to the pool at thread exit and are reused, and their statistics are aggregated.
 * Needs plain malloc to be jemalloc's: under ASan/TSan it skips (exit 77) with the reason, after
 * checking that binding reports -ENOSYS there.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../testhelper.h"
#include "flatline/mem.h"
#include "mem_test_util.h"

enum { NT = 4 };
static int g_index[NT];
static _Atomic int g_wrong;

static void *bind_and_malloc(void *arg)
{
    int me = (int)(intptr_t)arg;
    if (fl_thread_bind_private_arena() != 0 || fl_thread_bind_private_arena() != 0) {
        atomic_fetch_add(&g_wrong, 1);
        return NULL;
    }
    int idx = fl_thread_private_arena_index();
    g_index[me] = idx;
    void *keep[100];
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) {
            keep[i] = malloc(16 + (size_t)i * 40);
            if (keep[i] == NULL || tu_arena_of(keep[i]) != (unsigned)idx)
                atomic_fetch_add(&g_wrong, 1);
        }
        for (int i = 0; i < 100; i++)
            free(keep[i]);
    }
    return NULL;
}

/* Blocks cached by the automatic tcache before binding belong to the old arena; binding flushes
 * the cache, so the very first mallocs after binding already land in the private arena. And a
 * thread's own frees come back to it from its own arena. */
static void *cached_then_bind(void *arg)
{
    (void)arg;
    void *warm[100];
    for (int i = 0; i < 100; i++)
        warm[i] = malloc(48);
    for (int i = 0; i < 100; i++)
        free(warm[i]); /* now in this thread's automatic tcache, from the default arena */
    if (fl_thread_bind_private_arena() != 0) {
        atomic_fetch_add(&g_wrong, 1);
        return NULL;
    }
    unsigned idx = (unsigned)fl_thread_private_arena_index();
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < 100; i++) {
            warm[i] = malloc(48);
            if (warm[i] == NULL || tu_arena_of(warm[i]) != idx)
                atomic_fetch_add(&g_wrong, 1);
        }
        for (int i = 0; i < 100; i++)
            free(warm[i]);
    }
    return NULL;
}

TEST(binding_flushes_blocks_cached_from_the_old_arena)
{
    atomic_store(&g_wrong, 0);
    pthread_t t;
    CHECK_EQ_I(pthread_create(&t, NULL, cached_then_bind, NULL), 0);
    pthread_join(t, NULL);
    CHECK_EQ_I(atomic_load(&g_wrong), 0);
}

TEST(unbound_thread_has_no_private_arena)
{
    CHECK_EQ_I(fl_thread_private_arena_index(), -1);
}

TEST(each_thread_mallocs_in_its_own_arena)
{
    pthread_t th[NT];
    for (int i = 0; i < NT; i++)
        CHECK_EQ_I(pthread_create(&th[i], NULL, bind_and_malloc, (void *)(intptr_t)i), 0);
    for (int i = 0; i < NT; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ_I(atomic_load(&g_wrong), 0);
    /* Threads ran concurrently or not: indices valid and (since all were alive together only
     * sometimes) at least reused from the pool. */
    for (int i = 0; i < NT; i++)
        CHECK(g_index[i] > 0);
}

static pthread_barrier_t g_bar;
static void *bind_wait(void *arg)
{
    int me = (int)(intptr_t)arg;
    g_index[me] = fl_thread_bind_private_arena() == 0 ? fl_thread_private_arena_index() : -1;
    pthread_barrier_wait(&g_bar);
    return NULL;
}

TEST(concurrent_threads_get_distinct_arenas_and_pool_reuses_them)
{
    int first[NT];
    for (int round = 0; round < 2; round++) {
        CHECK_EQ_I(pthread_barrier_init(&g_bar, NULL, NT), 0);
        pthread_t th[NT];
        for (int i = 0; i < NT; i++)
            CHECK_EQ_I(pthread_create(&th[i], NULL, bind_wait, (void *)(intptr_t)i), 0);
        for (int i = 0; i < NT; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&g_bar);
        for (int i = 0; i < NT; i++) {
            CHECK(g_index[i] > 0);
            for (int j = 0; j < i; j++)
                CHECK(g_index[i] != g_index[j]); /* alive together: distinct */
        }
        if (round == 0) {
            memcpy(first, g_index, sizeof(first));
            continue;
        }
        /* Round 2 threads got round 1's arenas back from the pool. */
        for (int i = 0; i < NT; i++) {
            bool found = false;
            for (int j = 0; j < NT; j++)
                found |= g_index[i] == first[j];
            CHECK(found);
        }
    }
}

TEST(main_thread_binding_and_private_stats)
{
    CHECK_EQ_I(fl_thread_bind_private_arena(), 0);
    int idx = fl_thread_private_arena_index();
    CHECK(idx > 0);
    enum { N = 1000 };
    static void *p[N];
    for (int i = 0; i < N; i++) {
        p[i] = malloc(1000);
        CHECK(p[i] != NULL);
        CHECK_EQ_U(tu_arena_of(p[i]), (unsigned)idx);
    }
    fl_mem_stats_t s;
    CHECK_EQ_I(fl_private_arenas_stats(&s), 0);
    CHECK(!s.requested_known);
    CHECK(s.allocated >= (size_t)N * 1000);
    CHECK(s.active >= s.allocated);
    CHECK_EQ_U(s.requested, s.allocated);
    for (int i = 0; i < N; i++)
        free(p[i]);
    /* A shared arena is unaffected by the binding. */
    fl_arena_t *a;
    CHECK_EQ_I(fl_arena_create(&a, "persist", NULL), 0);
    void *q = fl_arena_alloc(a, 1000);
    CHECK(q != NULL);
    CHECK_EQ_U(tu_arena_of(q), fl_arena_index(a));
    fl_arena_free(a, q, 1000);
    fl_arena_destroy(a);
}

int main(void)
{
    if (!fl_mem_malloc_is_jemalloc()) {
        if (fl_thread_bind_private_arena() != -ENOSYS) {
            fprintf(stderr, "binding should report -ENOSYS when malloc is not jemalloc\n");
            return 1;
        }
        TEST_SKIP("plain malloc is not jemalloc here (sanitizer build): private arenas need it");
    }
    RUN(unbound_thread_has_no_private_arena);
    RUN(each_thread_mallocs_in_its_own_arena);
    RUN(binding_flushes_blocks_cached_from_the_old_arena);
    RUN(concurrent_threads_get_distinct_arenas_and_pool_reuses_them);
    RUN(main_thread_binding_and_private_stats);
    return TEST_REPORT();
}
