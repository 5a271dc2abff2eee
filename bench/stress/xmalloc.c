/*
 * bench/stress/xmalloc.c: an xmalloc-like workload (after xmalloc-test by Lever and Boreham,
 * "malloc() performance in a multithreaded Linux environment", USENIX 2000): producer threads
 * allocate blocks and hand them through a bounded queue to consumer threads, which free them:
 * every free is a cross-thread free.
 *
 *   xmalloc [pairs] [blocks] [seed]   (default 2 producer/consumer pairs, 2000000 blocks each)
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define QUEUE 1024

typedef struct queue {
    void *item[QUEUE];
    unsigned head, tail; /* lock */
    pthread_mutex_t lock;
    pthread_cond_t not_empty, not_full;
} queue_t;

typedef struct pair {
    queue_t q;
    long blocks;
    uint64_t rng;
} pair_t;

static void push(queue_t *q, void *p)
{
    pthread_mutex_lock(&q->lock);
    while (q->tail - q->head == QUEUE)
        pthread_cond_wait(&q->not_full, &q->lock);
    q->item[q->tail++ % QUEUE] = p;
    pthread_cond_signal(&q->not_empty);
    pthread_mutex_unlock(&q->lock);
}

static void *pop(queue_t *q)
{
    pthread_mutex_lock(&q->lock);
    while (q->tail == q->head)
        pthread_cond_wait(&q->not_empty, &q->lock);
    void *p = q->item[q->head++ % QUEUE];
    pthread_cond_signal(&q->not_full);
    pthread_mutex_unlock(&q->lock);
    return p;
}

static void *producer(void *arg)
{
    pair_t *p = arg;
    uint64_t x = p->rng;
    for (long i = 0; i < p->blocks; i++) {
        x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
        size_t n = 8 + (x * 0x2545F4914F6CDD1Dull >> 40) % 512;
        char *b = malloc(n);
        if (!b)
            exit(3);
        b[0] = (char)i;
        push(&p->q, b);
    }
    push(&p->q, NULL); /* done */
    return NULL;
}

static void *consumer(void *arg)
{
    pair_t *p = arg;
    void *b;
    while ((b = pop(&p->q)) != NULL)
        free(b);
    return NULL;
}

int main(int argc, char **argv)
{
    int pairs = argc > 1 ? atoi(argv[1]) : 2;
    long blocks = argc > 2 ? atol(argv[2]) : 2000000;
    uint64_t seed = argc > 3 ? strtoull(argv[3], NULL, 10) : 1;
    if (pairs < 1 || pairs > 64)
        return 2;
    pair_t *pr = calloc((size_t)pairs, sizeof *pr);
    pthread_t *t = calloc((size_t)pairs * 2, sizeof *t);
    if (!pr || !t)
        return 3;
    for (int i = 0; i < pairs; i++) {
        pthread_mutex_init(&pr[i].q.lock, NULL);
        pthread_cond_init(&pr[i].q.not_empty, NULL);
        pthread_cond_init(&pr[i].q.not_full, NULL);
        pr[i].blocks = blocks;
        pr[i].rng = (seed + (uint64_t)i) * 0x9E3779B97F4A7C15ull + 1;
        pthread_create(&t[2 * i], NULL, producer, &pr[i]);
        pthread_create(&t[2 * i + 1], NULL, consumer, &pr[i]);
    }
    for (int i = 0; i < 2 * pairs; i++)
        pthread_join(t[i], NULL);
    printf("xmalloc: %d pairs, %ld blocks each\n", pairs, blocks);
    free(pr);
    free(t);
    return 0;
}
