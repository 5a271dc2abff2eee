/*
 * tests/acct/acct_frag.c: a program that fragments but does not leak. It fills ~96 MiB with
 * small objects, then frees all but every 32nd (a sparse few in every page), and holds those
 * while it keeps working: RSS stays high although live data is small. Nothing keeps growing,
 * so the accountant must say FRAGMENTATION, not LEAK.
 * With the argument "all" it frees every object instead: nothing is live, and what the process
 * still holds are free pages the allocator keeps (jemalloc: dirty pages until decay).
 * With "live" it keeps every object (a cache that grew, then stopped: healthy growth); with
 * "outside" it frees them all and maps 96 MiB with mmap (memory outside the heap).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#define OBJ 64
#define COUNT (96 * 1024 * 1024 / (OBJ + 16))
#define KEEP_EVERY 32

static void *objs[COUNT];

__attribute__((noinline)) static void fill(void)
{
    for (size_t i = 0; i < COUNT; i++) {
        objs[i] = malloc(OBJ);
        if (objs[i])
            memset(objs[i], (int)i, OBJ);
    }
}

__attribute__((noinline)) static void thin_out(int keep)
{
    for (size_t i = 0; i < COUNT; i++)
        if (!keep || i % KEEP_EVERY != 0) {
            free(objs[i]);
            objs[i] = NULL;
        }
}

int main(int argc, char **argv)
{
    struct timespec pause = {0, 100 * 1000 * 1000};
    const char *mode = argc > 1 ? argv[1] : "sparse";
    fill();
    if (!strcmp(mode, "outside")) {
        thin_out(0);
        size_t n = 96u << 20;
        char *m = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return 1;
        memset(m, 1, n);
    } else if (strcmp(mode, "live") != 0) {
        thin_out(strcmp(mode, "all") != 0);
    }
    for (int i = 0; i < 8; i++) { /* keep working: transient, balanced allocations */
        for (int k = 0; k < 1000; k++)
            free(malloc(1000 + (size_t)k));
        nanosleep(&pause, NULL);
    }
    size_t live = 0;
    for (size_t i = 0; i < COUNT; i++)
        live += objs[i] != NULL;
    printf("holding %zu of %d objects\n", live, COUNT);
    return 0;
}
