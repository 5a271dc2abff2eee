/*
 * bench/acct-mstress.c: an allocation-heavy many-thread program for bench/acct-overhead.sh.
 * Each thread replaces random blocks of its own ring (16 B .. 4 KiB, some 64 KiB), touches
 * them, and every 16th block goes through a shared ring so another thread frees it.
 *   usage: acct-mstress THREADS MILLION_OPS_PER_THREAD
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RING 4096
#define SHARED 1024

static _Atomic(void *) shared[SHARED];
static long ops;

static void *run(void *arg)
{
    uint64_t x = 0x9E3779B97F4A7C15ull * ((uintptr_t)arg + 1);
    void **ring = calloc(RING, sizeof *ring);
    if (!ring)
        return NULL;
    for (long i = 0; i < ops; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t n = (x >> 32) % 16 == 0 ? 65536 : 16 + (x >> 40) % 4080;
        unsigned k = (unsigned)(x % RING);
        free(ring[k]);
        ring[k] = malloc(n);
        if (ring[k])
            memset(ring[k], (int)i, n < 128 ? n : 128);
        if (i % 16 == 0) {
            void *p = atomic_exchange(&shared[(x >> 20) % SHARED], ring[k]);
            ring[k] = NULL;
            free(p);
        }
    }
    for (unsigned k = 0; k < RING; k++)
        free(ring[k]);
    free(ring);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    double mops = argc > 2 ? atof(argv[2]) : 2;
    if (threads < 1 || threads > 256 || mops <= 0)
        return 2;
    ops = (long)(mops * 1e6);
    pthread_t th[256];
    for (intptr_t i = 0; i < threads; i++)
        pthread_create(&th[i], NULL, run, (void *)i);
    for (int i = 0; i < threads; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < SHARED; i++)
        free(atomic_exchange(&shared[i], NULL));
    return 0;
}
