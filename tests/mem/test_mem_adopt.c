/*
 * tests/mem/test_mem_adopt.c: the adoption API of flatline/mem.h: the unsized family (accounting
 * at usable size, requested_known turning false, content kept by realloc) and scoped bindings of
 * plain malloc to a shared arena (every block allocated inside belongs to the arena, none after,
 * nesting, the exact mode's cache state, other threads unaffected). Under a sanitizer plain malloc
 * is not jemalloc's: binding then answers -ENOSYS, which is checked instead.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../testhelper.h"
#include "flatline/mem.h"
#include "mem_test_util.h"

static fl_arena_t *make_arena(const char *name)
{
    fl_arena_t *a = NULL;
    if (fl_arena_create(&a, name, NULL) != 0)
        return NULL;
    return a;
}

static size_t requested_of(fl_arena_t *a, bool *known)
{
    fl_mem_stats_t s;
    if (fl_arena_stats(a, &s) != 0)
        return (size_t)-1;
    if (known)
        *known = s.requested_known;
    return s.requested;
}

TEST(unsized_family_accounts_usable_size)
{
    CHECK_EQ_I(fl_mem_init(NULL), 0);
    fl_arena_t *a = make_arena("adopt-unsized");
    fl_arena_t *other = make_arena("adopt-sized");
    CHECK(a != NULL && other != NULL);
    bool known = false;
    CHECK_EQ_U(requested_of(a, &known), 0);
    CHECK(known);

    char *p = fl_arena_malloc(a, 100);
    CHECK(p != NULL);
    CHECK_EQ_U(tu_arena_of(p), fl_arena_index(a));
    CHECK_EQ_U(requested_of(a, &known), fl_mem_usable_size(p));
    CHECK(!known);
    memset(p, 'q', 100);
    p = fl_arena_realloc_unsized(a, p, 5000);
    CHECK(p != NULL);
    for (int i = 0; i < 100; i++)
        CHECK(p[i] == 'q');
    CHECK_EQ_U(requested_of(a, NULL), fl_mem_usable_size(p));
    fl_arena_free_unsized(a, p);
    CHECK_EQ_U(requested_of(a, NULL), 0);

    /* The sized arena's figures stay exact. */
    void *q = fl_arena_alloc(other, 100);
    CHECK_EQ_U(requested_of(other, &known), 100);
    CHECK(known);
    fl_arena_free(other, q, 100);

    CHECK(fl_arena_malloc(NULL, 10) == NULL);
    CHECK(fl_arena_malloc(a, 0) == NULL);
    fl_arena_free_unsized(a, NULL); /* no-op */
    fl_arena_destroy(a);
    fl_arena_destroy(other);
}

TEST(bind_rejects_bad_arguments)
{
    fl_arena_t *a = make_arena("adopt-args");
    fl_arena_binding_t b;
    CHECK_EQ_I(fl_thread_bind_arena(NULL, 0, &b), -EINVAL);
    CHECK_EQ_I(fl_thread_bind_arena(a, 0, NULL), -EINVAL);
    CHECK_EQ_I(fl_thread_bind_arena(a, 0x80, &b), -EINVAL);
    fl_thread_unbind_arena(NULL); /* no-op */
    fl_arena_destroy(a);
}

/* Allocates n blocks of mixed sizes with plain malloc; true when every one is in arena idx. */
static bool all_in(unsigned idx, void **blocks, int n)
{
    bool ok = true;
    for (int i = 0; i < n; i++) {
        blocks[i] = malloc((size_t)(16 + (i * 37) % 3000));
        if (blocks[i] == NULL || tu_arena_of(blocks[i]) != idx)
            ok = false;
    }
    return ok;
}

static void free_all(void **blocks, int n)
{
    for (int i = 0; i < n; i++)
        free(blocks[i]);
}

static void check_binding(unsigned flags)
{
    fl_arena_t *a = make_arena(flags ? "adopt-exact" : "adopt-bind");
    CHECK(a != NULL);
    void *warm[64], *in[64], *after[64];
    /* Fill the thread cache with blocks of the thread's own arena first: they must not be
     * handed out inside the binding. */
    for (int i = 0; i < 64; i++)
        warm[i] = malloc((size_t)(16 + (i * 37) % 3000));
    free_all(warm, 64);

    fl_arena_binding_t b;
    CHECK_EQ_I(fl_thread_bind_arena(a, flags, &b), 0);
    CHECK(all_in(fl_arena_index(a), in, 64));
    free_all(in, 32); /* freed inside: back to the arena, maybe the cache */
    fl_thread_unbind_arena(&b);
    fl_thread_unbind_arena(&b); /* a second unbind is a no-op */

    /* After the binding nothing new comes from the arena, even blocks it freed into the cache. */
    for (int i = 0; i < 64; i++) {
        after[i] = malloc((size_t)(16 + (i * 37) % 3000));
        CHECK(tu_arena_of(after[i]) != fl_arena_index(a));
    }
    free_all(after, 64);
    free_all(in + 32, 32); /* freed outside: still correct */

    fl_mem_stats_t s;
    CHECK_EQ_I(fl_arena_stats(a, &s), 0);
    CHECK(!s.requested_known);
    CHECK(s.requested >= s.allocated);
    fl_arena_destroy(a);
}

TEST(binding_routes_plain_malloc)
{
    if (!fl_mem_malloc_is_jemalloc()) {
        fl_arena_t *a = make_arena("adopt-nosys");
        fl_arena_binding_t b;
        CHECK_EQ_I(fl_thread_bind_arena(a, 0, &b), -ENOSYS);
        fl_arena_destroy(a);
        return;
    }
    check_binding(0);
    check_binding(FL_BIND_EXACT);
}

TEST(bindings_nest_and_restore_the_cache)
{
    if (!fl_mem_malloc_is_jemalloc())
        return;
    fl_arena_t *outer = make_arena("adopt-outer");
    fl_arena_t *inner = make_arena("adopt-inner");
    fl_arena_binding_t bo, bi;
    CHECK_EQ_I(fl_thread_bind_arena(outer, FL_BIND_EXACT, &bo), 0);
    void *p = malloc(200);
    CHECK_EQ_U(tu_arena_of(p), fl_arena_index(outer));
    CHECK_EQ_I(fl_thread_bind_arena(inner, 0, &bi), 0);
    void *q = malloc(200);
    CHECK_EQ_U(tu_arena_of(q), fl_arena_index(inner));
    fl_thread_unbind_arena(&bi);
    void *r = malloc(200);
    CHECK_EQ_U(tu_arena_of(r), fl_arena_index(outer));
    fl_thread_unbind_arena(&bo);
    bool enabled = false;
    size_t sz = sizeof(enabled);
    CHECK_EQ_I(mallctl("thread.tcache.enabled", &enabled, &sz, NULL, 0), 0);
    CHECK(enabled); /* the exact binding turned it back on */
    free(p);
    free(q);
    fl_mem_free_direct(r);
    fl_arena_destroy(outer);
    fl_arena_destroy(inner);
}

struct other_thread {
    unsigned bound_index;
    bool saw_bound;
};

static void *other_thread_main(void *arg)
{
    struct other_thread *o = arg;
    char *p = malloc(300);
    if (p == NULL)
        return NULL;
    /* written first: GCC's ASan build otherwise warns that tu_arena_of reads it uninitialised */
    p[0] = 1;
    o->saw_bound = tu_arena_of(p) == o->bound_index;
    free(p);
    return NULL;
}

TEST(binding_is_per_thread)
{
    if (!fl_mem_malloc_is_jemalloc())
        return;
    fl_arena_t *a = make_arena("adopt-thread");
    fl_arena_binding_t b;
    CHECK_EQ_I(fl_thread_bind_arena(a, 0, &b), 0);
    struct other_thread o = {.bound_index = fl_arena_index(a)};
    pthread_t t;
    CHECK_EQ_I(pthread_create(&t, NULL, other_thread_main, &o), 0);
    pthread_join(t, NULL);
    fl_thread_unbind_arena(&b);
    CHECK(!o.saw_bound);
    fl_arena_destroy(a);
}

int main(void)
{
    RUN(unsized_family_accounts_usable_size);
    RUN(bind_rejects_bad_arguments);
    RUN(binding_routes_plain_malloc);
    RUN(bindings_nest_and_restore_the_cache);
    RUN(binding_is_per_thread);
    return TEST_REPORT();
}
