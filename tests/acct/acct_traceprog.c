/*
 * tests/acct/acct_traceprog.c: a workload for the --trace test. It tracks its own live requested
 * bytes and, at five checkpoints, notes (CLOCK_MONOTONIC ns, its live bytes); at the end it
 * writes them to argv[1]. acct_replay then replays the trace and must find the same live-bytes
 * curve at those instants. Uses malloc, calloc, realloc, posix_memalign, cross-thread frees.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N 3000
#define THREADS 4
#define PER_THREAD 2000

static int64_t live;
static uint64_t cp_t[8];
static int64_t cp_live[8];
static int ncp;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void checkpoint(void)
{
    cp_t[ncp] = now_ns();
    cp_live[ncp++] = live;
}

static void *blocks[N];
static size_t sizes[N];

/* Thread i allocates PER_THREAD blocks and hands them to thread (i+1) % THREADS to free. */
static void *handoff[THREADS][PER_THREAD];
static size_t handoff_size[THREADS][PER_THREAD];
static pthread_barrier_t barrier;
static int64_t thread_live[THREADS];

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg, from = (me + THREADS - 1) % THREADS;
    for (int i = 0; i < PER_THREAD; i++) {
        size_t n = 16 + (size_t)((i * 37 + me * 101) % 3000);
        handoff[me][i] = malloc(n);
        handoff_size[me][i] = n;
        thread_live[me] += (int64_t)n;
    }
    pthread_barrier_wait(&barrier);
    for (int i = 0; i < PER_THREAD; i += 2) { /* free half of the neighbour's blocks */
        thread_live[me] -= (int64_t)handoff_size[from][i];
        free(handoff[from][i]);
        handoff[from][i] = NULL;
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    checkpoint();
    for (int i = 0; i < N; i++) {
        size_t n = 1 + (size_t)(i * 7919 % 20000);
        switch (i % 3) {
        case 0:
            blocks[i] = malloc(n);
            break;
        case 1:
            blocks[i] = calloc(1, n);
            break;
        default:
            if (posix_memalign(&blocks[i], 64, n))
                blocks[i] = NULL;
        }
        if (!blocks[i])
            return 1;
        sizes[i] = n;
        live += (int64_t)n;
    }
    checkpoint();
    for (int i = 0; i < N; i++) {
        if (i % 2) {
            free(blocks[i]);
            live -= (int64_t)sizes[i];
            blocks[i] = NULL;
        } else {
            size_t n = sizes[i] * 2 + 10;
            void *p = realloc(blocks[i], n);
            if (!p)
                return 1;
            blocks[i] = p;
            live += (int64_t)n - (int64_t)sizes[i];
            sizes[i] = n;
        }
    }
    checkpoint();
    pthread_t th[THREADS];
    pthread_barrier_init(&barrier, NULL, THREADS);
    for (intptr_t i = 0; i < THREADS; i++)
        pthread_create(&th[i], NULL, worker, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < THREADS; i++)
        live += thread_live[i];
    checkpoint();
    for (int i = 0; i < N; i++)
        if (blocks[i]) {
            free(blocks[i]);
            live -= (int64_t)sizes[i];
        }
    for (int t = 0; t < THREADS; t++)
        for (int i = 0; i < PER_THREAD; i++)
            if (handoff[t][i]) {
                free(handoff[t][i]);
                live -= (int64_t)handoff_size[t][i];
            }
    checkpoint();
    FILE *f = fopen(argv[1], "w");
    if (!f)
        return 1;
    for (int i = 0; i < ncp; i++)
        fprintf(f, "%llu %lld\n", (unsigned long long)cp_t[i], (long long)cp_live[i]);
    fclose(f);
    return 0;
}
