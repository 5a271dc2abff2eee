/*
 * bench/stress/rptest.c: an rptest-like workload, written after the published description of
 * rpmalloc-benchmark (which mimalloc-bench runs as rptest): N threads each own an array of
 * BLOCKS slots; every loop iteration frees OPS blocks scattered over the array, allocates OPS
 * blocks into random slots (freeing any block already there), and every CROSS-th iteration
 * allocates OPS more blocks and hands them to the next thread, which frees them (cross-thread
 * frees). Sizes are random in [MIN_SIZE, MAX_SIZE] with a linear falloff (small sizes most
 * likely, the density falling to 0 at MAX_SIZE). The loop sequence runs four times per array:
 * twice in the first threads, with every block of the array freed in between; then those
 * threads end, new threads take the arrays over (thread t the array of thread t + 1, so the
 * blocks of the second pass are freed by other threads), run it once, free everything, and run
 * it a last time. The parameters are mimalloc-bench's (1000 blocks, 100 ops, every 2nd loop,
 * 16..16000 bytes; rpmalloc's lower bound of 8 is 16 here, the size header of stress_common.h).
 *
 *   rptest [threads] [loops] [seed]   (default 4 threads, 500 loops per pass, seed 1)
 *
 * Bounded: at most BLOCKS blocks per array plus INBOX_MAX + OPS per inbox (drained every
 * iteration, and at the end of each loop sequence until every thread has finished it). Prints
 * its peak live requested bytes.
 */
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "stress_common.h"

#define BLOCKS 1000
#define OPS 100
#define CROSS 2
#define MIN_SIZE 16
#define MAX_SIZE 16000
#define INBOX_MAX (OPS * 8) /* blocks waiting in one inbox before the sender waits */

/* Blocks handed to a thread by another, freed by the receiver. Protected by lock. */
typedef struct inbox {
    pthread_mutex_t lock;
    void **item;
    size_t n, cap;
} inbox_t;

typedef struct array {
    void *slot[BLOCKS];
    uint64_t rng;
} array_t;

typedef struct worker {
    array_t *a;
    inbox_t *in, *next; /* its own inbox, and the one it hands blocks to */
    long loops;
    int passes; /* loop sequences to run, with a full free between two */
    bool free_at_end;
    int threads;
    _Atomic int *finished; /* loop sequences finished, summed over the threads of this run */
} worker_t;

/* Linear falloff: density proportional to (MAX_SIZE - size). */
static size_t falloff_size(uint64_t r)
{
    double u = (double)(r >> 11) / 9007199254740992.0; /* [0, 1) */
    return MIN_SIZE + (size_t)((MAX_SIZE - MIN_SIZE) * (1.0 - sqrt(1.0 - u)));
}

/* Frees every block waiting in b. */
static void inbox_drain(live_local_t *l, inbox_t *b);

/* Hands n blocks to inbox `to`. While `to` holds INBOX_MAX blocks or more, the sender frees
 * what waits in its own inbox and yields instead (so a receiver that the scheduler left behind
 * bounds the blocks in flight, and two full inboxes cannot wait on each other). */
static void inbox_push(live_local_t *l, inbox_t *own, inbox_t *b, void **items, size_t n)
{
    pthread_mutex_lock(&b->lock);
    while (b->n >= INBOX_MAX && b != own) {
        pthread_mutex_unlock(&b->lock);
        inbox_drain(l, own);
        sched_yield();
        pthread_mutex_lock(&b->lock);
    }
    if (b->n + n > b->cap) {
        size_t cap = (b->n + n) * 2;
        void **grown = realloc(b->item, cap * sizeof *grown);
        if (!grown)
            exit(3);
        b->item = grown;
        b->cap = cap;
    }
    for (size_t i = 0; i < n; i++)
        b->item[b->n++] = items[i];
    pthread_mutex_unlock(&b->lock);
}

static void inbox_drain(live_local_t *l, inbox_t *b)
{
    void *batch[256];
    for (;;) {
        size_t n = 0;
        pthread_mutex_lock(&b->lock);
        while (n < 256 && b->n > 0)
            batch[n++] = b->item[--b->n];
        pthread_mutex_unlock(&b->lock);
        if (n == 0)
            return;
        for (size_t i = 0; i < n; i++)
            live_free(l, batch[i]);
    }
}

static void loop_sequence(worker_t *w, live_local_t *l)
{
    array_t *a = w->a;
    for (long it = 0; it < w->loops; it++) {
        inbox_drain(l, w->in);
        for (int i = 0; i < OPS; i++) { /* free, scattered */
            unsigned k = (unsigned)(stress_rnd(&a->rng) % BLOCKS);
            live_free(l, a->slot[k]);
            a->slot[k] = NULL;
        }
        for (int i = 0; i < OPS; i++) { /* allocate, scattered */
            uint64_t r = stress_rnd(&a->rng);
            unsigned k = (unsigned)(r % BLOCKS);
            live_free(l, a->slot[k]);
            a->slot[k] = live_alloc(l, falloff_size(r));
        }
        if (it % CROSS == 0) { /* hand OPS new blocks to the next thread */
            void *handed[OPS];
            for (int i = 0; i < OPS; i++)
                handed[i] = live_alloc(l, falloff_size(stress_rnd(&a->rng)));
            inbox_push(l, w->in, w->next, handed, OPS);
        }
    }
}

/* After a loop sequence: keeps freeing what reaches its inbox until every thread has finished
 * this sequence (so no inbox grows while its owner waits), as rpmalloc-benchmark processes all
 * cross-thread frees at the end of each sequence. */
static void wait_for_others(worker_t *w, live_local_t *l, int sequence)
{
    atomic_fetch_add(w->finished, 1);
    while (atomic_load(w->finished) < w->threads * (sequence + 1)) {
        inbox_drain(l, w->in);
        sched_yield();
    }
    inbox_drain(l, w->in);
}

static void free_array(live_local_t *l, array_t *a)
{
    for (unsigned k = 0; k < BLOCKS; k++) {
        live_free(l, a->slot[k]);
        a->slot[k] = NULL;
    }
}

static void *worker(void *arg)
{
    worker_t *w = arg;
    live_local_t live = {0};
    for (int p = 0; p < w->passes; p++) {
        if (p > 0)
            free_array(&live, w->a);
        loop_sequence(w, &live);
        wait_for_others(w, &live, p);
    }
    if (w->free_at_end)
        free_array(&live, w->a);
    live_flush(&live);
    return NULL;
}

/* Runs one thread per array, each doing `passes` loop sequences; thread t works on array
 * (t + shift) % threads. Returns 0, or 3 when a thread could not start. */
static int run_threads(int threads, worker_t *w, array_t *arrays, inbox_t *inbox, long loops,
                       int shift, bool free_at_end)
{
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    if (!tids)
        return 3;
    _Atomic int finished = 0;
    for (int t = 0; t < threads; t++) {
        w[t] = (worker_t){.a = &arrays[(t + shift) % threads],
                          .in = &inbox[t],
                          .next = &inbox[(t + 1) % threads],
                          .loops = loops,
                          .passes = 2,
                          .free_at_end = free_at_end,
                          .threads = threads,
                          .finished = &finished};
        if (pthread_create(&tids[t], NULL, worker, &w[t]) != 0)
            return 3;
    }
    for (int t = 0; t < threads; t++)
        pthread_join(tids[t], NULL);
    free(tids);
    return 0;
}

int main(int argc, char **argv)
{
    int threads = argc > 1 ? atoi(argv[1]) : 4;
    long loops = argc > 2 ? atol(argv[2]) : 500;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (threads < 1 || threads > 256 || loops < 1) {
        fprintf(stderr, "usage: rptest [threads 1..256] [loops >= 1] [seed]\n");
        return 2;
    }
    array_t *arrays = calloc((size_t)threads, sizeof *arrays);
    inbox_t *inbox = calloc((size_t)threads, sizeof *inbox);
    worker_t *w = calloc((size_t)threads, sizeof *w);
    if (!arrays || !inbox || !w)
        return 3;
    for (int t = 0; t < threads; t++) {
        arrays[t].rng = (seed + (uint64_t)t) * 0x9E3779B97F4A7C15ull + 1;
        pthread_mutex_init(&inbox[t].lock, NULL);
    }
    /* Passes 1-2 in the first threads (blocks kept at the end), 3-4 in new ones (shifted). */
    int rc = run_threads(threads, w, arrays, inbox, loops, 0, false);
    if (rc == 0)
        rc = run_threads(threads, w, arrays, inbox, loops, 1, true);
    if (rc != 0)
        return rc;
    live_local_t live = {0};
    for (int t = 0; t < threads; t++) {
        inbox_drain(&live, &inbox[t]);
        free(inbox[t].item);
        pthread_mutex_destroy(&inbox[t].lock);
    }
    live_flush(&live);
    free(arrays);
    free(inbox);
    free(w);
    printf("rptest: %d threads, %ld loops x 4 passes\n", threads, loops);
    live_print_peak();
    return atomic_load(&live_total) == 0 ? 0 : 4; /* 4: the live count is wrong */
}
