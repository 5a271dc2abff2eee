/*
 * tests/install/consumer/consumer.c: a program that uses libflatline as an outside project would:
 * checks the ABI version, makes a shared arena, allocates sized and unsized blocks, routes plain
 * malloc into the arena for a region, and reads the arena's statistics. Exit 0 when all of it
 * behaves as flatline/mem.h says.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flatline/mem.h>

#define EXPECT(c)                                                                                  \
    do {                                                                                           \
        if (!(c)) {                                                                                \
            fprintf(stderr, "consumer: %s:%d: %s\n", __FILE__, __LINE__, #c);                      \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main(void)
{
    EXPECT(fl_abi_version() == FLATLINE_ABI_VERSION);
    EXPECT(fl_version_number() == FLATLINE_VERSION_NUMBER);
    EXPECT(fl_mem_init(NULL) == 0);
    fl_arena_t *a;
    EXPECT(fl_arena_create(&a, "consumer", NULL) == 0);

    char *p = fl_arena_alloc(a, 100);
    EXPECT(p != NULL);
    memset(p, 'x', 100);
    fl_mem_stats_t s;
    EXPECT(fl_arena_stats(a, &s) == 0);
    EXPECT(s.requested == 100 && s.requested_known);
    fl_arena_free(a, p, 100);

    char *q = fl_arena_malloc(a, 100); /* freed below without its size */
    EXPECT(q != NULL);
    fl_arena_free_unsized(a, q);
    EXPECT(fl_arena_stats(a, &s) == 0);
    EXPECT(s.requested == 0 && !s.requested_known);

    /* Plain malloc routed into the arena for a region (needs jemalloc as the process's malloc,
     * which linking libflatline's jemalloc dependency gives). */
    if (fl_mem_malloc_is_jemalloc()) {
        fl_arena_binding_t b;
        EXPECT(fl_thread_bind_arena(a, 0, &b) == 0);
        void *r = malloc(1000);
        fl_thread_unbind_arena(&b);
        EXPECT(r != NULL);
        EXPECT(fl_arena_stats(a, &s) == 0);
        EXPECT(s.allocated >= 1000);
        free(r);
    }
    fl_arena_destroy(a);
    printf("consumer: libflatline %u.%u.%u (ABI %u) works\n", FLATLINE_VERSION_MAJOR,
           FLATLINE_VERSION_MINOR, FLATLINE_VERSION_PATCH, fl_abi_version());
    return 0;
}
