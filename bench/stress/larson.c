/*
 * bench/stress/larson.c: a larson-like workload (after Larson and Krishnan's server simulation,
 * "Memory allocation for long-running server applications", ISMM 1998): each thread owns an
 * array of blocks of random sizes and replaces a random one at a time; after a number of
 * replacements a thread ends and a new thread takes over its array, so blocks allocated by one
 * thread are freed by another, round after round.
 *
 *   larson [threads] [rounds] [seed]   (default 4 threads, 40 rounds, seed 1)
 * Each round: every thread replaces BLOCKS x 8 blocks of 16..1024 bytes, then hands its array on.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BLOCKS 2000
#define MIN_SIZE 16
#define MAX_SIZE 1024

typedef struct slot_array {
    void *block[BLOCKS];
    uint64_t rng;
    uint64_t ops;
} slot_array_t;

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static void *worker(void *arg)
{
    slot_array_t *a = arg;
    for (int i = 0; i < BLOCKS * 8; i++) {
        unsigned k = (unsigned)(rnd(&a->rng) % BLOCKS);
        size_t n = MIN_SIZE + rnd(&a->rng) % (MAX_SIZE - MIN_SIZE);
        free(a->block[k]);
        a->block[k] = malloc(n);
        if (!a->block[k])
            exit(3);
        memset(a->block[k], (int)k, n < 64 ? n : 64);
        a->ops++;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4, rounds = argc > 2 ? atoi(argv[2]) : 40;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (threads < 1 || threads > 256)
        return 2;
    slot_array_t *arrays = calloc((size_t)threads, sizeof *arrays);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!arrays || !tids)
        return 3;
    for (int t = 0; t < threads; t++) {
        arrays[t].rng = (seed + (uint64_t)t) * 0x9E3779B97F4A7C15ull + 1;
        for (int k = 0; k < BLOCKS; k++)
            arrays[t].block[k] = malloc(MIN_SIZE + rnd(&arrays[t].rng) % (MAX_SIZE - MIN_SIZE));
    }
    uint64_t ops = 0;
    for (int r = 0; r < rounds; r++) {
        for (int t = 0; t < threads; t++) /* a new thread takes over each array */
            pthread_create(&tids[t], NULL, worker, &arrays[(t + r) % threads]);
        for (int t = 0; t < threads; t++)
            pthread_join(tids[t], NULL);
    }
    for (int t = 0; t < threads; t++) {
        ops += arrays[t].ops;
        for (int k = 0; k < BLOCKS; k++)
            free(arrays[t].block[k]);
    }
    free(arrays);
    free(tids);
    printf("larson: %d threads, %d rounds, %llu replacements\n", threads, rounds,
           (unsigned long long)ops);
    return 0;
}
