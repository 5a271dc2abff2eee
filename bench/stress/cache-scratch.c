/*
 * bench/stress/cache-scratch.c: a cache-scratch-like workload (after Hoard's cache-scratch test,
 * Berger et al., ASPLOS 2000): the main thread allocates one small object per thread and each
 * thread frees it, then repeatedly allocates an object of the same size, writes it many times
 * and frees it. An allocator that hands a freed object to another thread's cache line
 * (passive false sharing) makes the writes slow.
 *
 *   cache-scratch [threads] [iterations] [seed]   (default 4 threads, 400000 iterations)
 * Each iteration writes the object 200 times; objects are 8 bytes.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define OBJECT 8
#define WRITES 200

typedef struct work {
    char *first; /* allocated by main, freed by the thread */
    long iterations;
    uint64_t seed;
} work_t;

static void *worker(void *arg)
{
    work_t *w = arg;
    free(w->first);
    for (long i = 0; i < w->iterations; i++) {
        volatile char *o = malloc(OBJECT);
        if (!o)
            exit(3);
        for (int k = 0; k < WRITES; k++)
            o[k % OBJECT] = (char)(k + w->seed);
        free((void *)o);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    long iterations = argc > 2 ? atol(argv[2]) : 400000;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (threads < 1 || threads > 256)
        return 2;
    work_t *w = calloc((size_t)threads, sizeof *w);
    pthread_t *t = calloc((size_t)threads, sizeof *t);
    if (!w || !t)
        return 3;
    for (int i = 0; i < threads; i++) /* adjacent small objects: candidates for sharing a line */
        w[i] = (work_t){malloc(OBJECT), iterations, seed + (uint64_t)i};
    for (int i = 0; i < threads; i++)
        pthread_create(&t[i], NULL, worker, &w[i]);
    for (int i = 0; i < threads; i++)
        pthread_join(t[i], NULL);
    printf("cache-scratch: %d threads, %ld iterations\n", threads, iterations);
    free(w);
    free(t);
    return 0;
}
