/*
 * bench/stress/mstress.c: an mstress-like workload, written after the published description of
 * mimalloc-bench's mstress: server-like allocation in powers of 2 by N threads, objects that
 * migrate between threads, some that live long, threads with unequal work, and after each phase
 * every thread destroyed and new ones created, with some objects surviving from phase to phase.
 *
 *   mstress [threads] [rounds] [seed]   (default 4 threads, 10 rounds, seed 1)
 *
 * Each round starts `threads` threads; thread i runs STEPS x (1 + i % 3) steps, so the loads are
 * unequal. A step allocates a block of 2^k bytes (k uniform in 4..10; one step in 64 in 11..16)
 * and puts it:
 *   - in 55 steps of 64, into a random slot of the thread's own array, freeing the block there
 *     (short lives, freed by the allocating thread);
 *   - in 8, into a random slot of the shared transfer array, freeing the block it displaces,
 *     which any thread of this round or an earlier one allocated (migration);
 *   - in 1, into a random slot of the retained array, which lives across rounds (long lives).
 * A thread that ends hands one block of its array in four to the transfer array and frees the
 * rest. The transfer and retained arrays survive the round; main frees them at the end.
 * Bounded: at most LOCAL blocks per thread plus TRANSFER + RETAINED blocks are live, none over
 * 64 KiB. Prints its peak live requested bytes (stress_common.h).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "stress_common.h"

#define STEPS 50000
#define LOCAL 4000
#define TRANSFER 16384
#define RETAINED 32768

static _Atomic(void *) transfer[TRANSFER];
static _Atomic(void *) retained[RETAINED];

typedef struct worker {
    uint64_t rng;
    long steps;
} worker_t;

/* A power of two: 16 B .. 1 KiB, one in 64 from 2 KiB to 64 KiB. */
static size_t pow2_size(uint64_t r)
{
    unsigned k =
        (r >> 8) % 64 == 0 ? 11 + (unsigned)((r >> 16) % 6) : 4 + (unsigned)((r >> 16) % 7);
    return (size_t)1 << k;
}

/* Puts p into a random slot of a shared array and frees the block it displaces. */
static void swap_into(live_local_t *l, _Atomic(void *) *slots, unsigned n, uint64_t r, void *p)
{
    live_free(l, atomic_exchange(&slots[(r >> 24) % n], p));
}

static void *worker(void *arg)
{
    worker_t *w = arg;
    live_local_t live = {0};
    void **local = calloc(LOCAL, sizeof *local);
    if (!local)
        exit(3);
    for (long i = 0; i < w->steps; i++) {
        uint64_t r = stress_rnd(&w->rng);
        void *p = live_alloc(&live, pow2_size(r));
        unsigned dice = (unsigned)(r % 64);
        if (dice < 8) {
            swap_into(&live, transfer, TRANSFER, r, p);
        } else if (dice == 8) {
            swap_into(&live, retained, RETAINED, r, p);
        } else {
            unsigned k = (unsigned)((r >> 24) % LOCAL);
            live_free(&live, local[k]);
            local[k] = p;
        }
    }
    for (unsigned k = 0; k < LOCAL; k++) { /* one in four survives the thread */
        uint64_t r = stress_rnd(&w->rng);
        if (local[k] && r % 4 == 0)
            swap_into(&live, transfer, TRANSFER, r, local[k]);
        else
            live_free(&live, local[k]);
    }
    live_flush(&live);
    free(local);
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4, rounds = argc > 2 ? atoi(argv[2]) : 10;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (threads < 1 || threads > 256 || rounds < 1) {
        fprintf(stderr, "usage: mstress [threads 1..256] [rounds >= 1] [seed]\n");
        return 2;
    }
    worker_t *w = calloc((size_t)threads, sizeof *w);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!w || !tids)
        return 3;
    long steps = 0;
    for (int r = 0; r < rounds; r++) {
        for (int t = 0; t < threads; t++) {
            w[t].rng =
                (seed * 1000003u + (uint64_t)r * 977u + (uint64_t)t) * 0x9E3779B97F4A7C15ull + 1;
            w[t].steps = STEPS * (1 + t % 3);
            steps += w[t].steps;
            if (pthread_create(&tids[t], NULL, worker, &w[t]) != 0)
                return 3;
        }
        for (int t = 0; t < threads; t++)
            pthread_join(tids[t], NULL);
    }
    live_local_t live = {0};
    for (unsigned k = 0; k < TRANSFER; k++)
        live_free(&live, atomic_load(&transfer[k]));
    for (unsigned k = 0; k < RETAINED; k++)
        live_free(&live, atomic_load(&retained[k]));
    live_flush(&live);
    free(w);
    free(tids);
    printf("mstress: %d threads, %d rounds, %ld steps\n", threads, rounds, steps);
    live_print_peak();
    return atomic_load(&live_total) == 0 ? 0 : 4; /* 4: the live count is wrong */
}
