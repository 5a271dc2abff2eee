/*
 * tests/mem/test_mem_threads.c: shared arenas under threads (label `threaded`, runs under TSan).
 *
 *   - 8 threads allocate in two shared arenas and hand every object to the next thread, which
 *     frees it (cross-thread frees); requested must add up exactly at every quiescent point and
 *     return to its start when everything is freed, even after the threads exited;
 *   - every pointer handed out belongs to the arena asked for (arenas.lookup);
 *   - fl_arena_destroy while other threads still hold explicit tcaches for it (they are parked,
 *     alive), then the threads use a new arena that reuses the slot.
 * Uses only mallocx/mallctl paths: valid under ASan and TSan.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "../testhelper.h"
#include "flatline/mem.h"
#include "mem_test_util.h"

enum { NTHREADS = 8, PER_THREAD = 4000, RING = 256 };

/* A bounded hand-off queue from thread i to thread (i + 1) % NTHREADS. */
struct item {
    void *p;
    size_t size;
    int arena; /* 0 or 1 */
};
struct queue {
    pthread_mutex_t mtx;
    pthread_cond_t cond;
    struct item items[RING];
    size_t head, count; /* mtx */
    bool closed;        /* mtx */
};

static struct queue g_q[NTHREADS];
static fl_arena_t *g_arenas[2];
static _Atomic int g_bad_arena, g_bad_content;

static void q_put(struct queue *q, struct item it)
{
    pthread_mutex_lock(&q->mtx);
    while (q->count == RING)
        pthread_cond_wait(&q->cond, &q->mtx);
    q->items[(q->head + q->count) % RING] = it;
    q->count++;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mtx);
}

/* Takes up to max items; returns how many; 0 when empty and (closed or !block). */
static size_t q_take(struct queue *q, struct item *out, size_t max, bool block)
{
    pthread_mutex_lock(&q->mtx);
    while (block && q->count == 0 && !q->closed)
        pthread_cond_wait(&q->cond, &q->mtx);
    size_t n = 0;
    while (q->count > 0 && n < max) {
        out[n++] = q->items[q->head];
        q->head = (q->head + 1) % RING;
        q->count--;
    }
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mtx);
    return n;
}

static void q_close(struct queue *q)
{
    pthread_mutex_lock(&q->mtx);
    q->closed = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mtx);
}

static void drain_inbox(int me, bool block)
{
    struct item got[64];
    size_t n;
    while (true) {
        n = q_take(&g_q[me], got, 64, block);
        if (n == 0)
            return;
        for (size_t i = 0; i < n; i++) {
            unsigned char *c = got[i].p;
            if (c[0] != (unsigned char)got[i].size || c[got[i].size - 1] != 0xab)
                atomic_fetch_add(&g_bad_content, 1);
            fl_arena_free(g_arenas[got[i].arena], got[i].p, got[i].size);
        }
    }
}

static void *producer(void *arg)
{
    int me = (int)(intptr_t)arg;
    int next = (me + 1) % NTHREADS;
    uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(me + 1);
    for (int i = 0; i < PER_THREAD; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t size = 8 + x % 2000;
        if (i % 64 == 0)
            size = 20000 + x % 50000; /* some large objects */
        int ar = (int)(x >> 40) & 1;
        unsigned char *p = fl_arena_alloc(g_arenas[ar], size);
        if (p == NULL) {
            atomic_fetch_add(&g_bad_arena, 1);
            continue;
        }
        if (tu_arena_of(p) != fl_arena_index(g_arenas[ar]))
            atomic_fetch_add(&g_bad_arena, 1);
        p[0] = (unsigned char)size;
        p[size - 1] = 0xab;
        if (i % 4 == 0) { /* some freed by the allocating thread itself */
            fl_arena_free(g_arenas[ar], p, size);
            continue;
        }
        q_put(&g_q[next], (struct item){p, size, ar});
        drain_inbox(me, false);
    }
    return NULL;
}

static void *consumer_of_rest(void *arg)
{
    drain_inbox((int)(intptr_t)arg, true);
    return NULL;
}

TEST(stress_cross_thread_frees_add_up)
{
    for (int i = 0; i < NTHREADS; i++) {
        pthread_mutex_init(&g_q[i].mtx, NULL);
        pthread_cond_init(&g_q[i].cond, NULL);
        g_q[i].head = g_q[i].count = 0;
        g_q[i].closed = false;
    }
    CHECK_EQ_I(fl_arena_create(&g_arenas[0], "ns-a", NULL), 0);
    CHECK_EQ_I(fl_arena_create(&g_arenas[1], "ns-b", NULL), 0);
    fl_mem_stats_t s0[2], s1[2];
    for (int a = 0; a < 2; a++)
        CHECK_EQ_I(fl_arena_stats(g_arenas[a], &s0[a]), 0);

    /* Phase 1: producers (each also frees what its neighbour hands it while producing). */
    pthread_t th[NTHREADS], drainers[NTHREADS];
    for (int i = 0; i < NTHREADS; i++)
        CHECK_EQ_I(pthread_create(&th[i], NULL, producer, (void *)(intptr_t)i), 0);
    /* Concurrent readers of the statistics must be safe while threads allocate. */
    for (int k = 0; k < 20; k++) {
        fl_mem_stats_t tmp;
        CHECK_EQ_I(fl_arena_stats(g_arenas[k & 1], &tmp), 0);
    }
    /* Phase 2: one drainer per inbox frees what remains (by threads other than producers). */
    for (int i = 0; i < NTHREADS; i++)
        CHECK_EQ_I(pthread_create(&drainers[i], NULL, consumer_of_rest, (void *)(intptr_t)i), 0);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < NTHREADS; i++)
        q_close(&g_q[i]);
    for (int i = 0; i < NTHREADS; i++)
        pthread_join(drainers[i], NULL);

    CHECK_EQ_I(atomic_load(&g_bad_arena), 0);
    CHECK_EQ_I(atomic_load(&g_bad_content), 0);
    /* All threads exited: their counters were folded into the arenas. */
    for (int a = 0; a < 2; a++) {
        CHECK_EQ_I(fl_arena_stats(g_arenas[a], &s1[a]), 0);
        CHECK_EQ_U(s1[a].requested, s0[a].requested);
        CHECK_EQ_U(s1[a].requested, 0);
        /* Every thread's tcache was destroyed (flushed) at exit: nothing live remains. */
        CHECK_EQ_U(s1[a].allocated, 0);
        CHECK(s1[a].nmalloc > 0 && s1[a].nmalloc == s1[a].ndalloc);
    }
    fl_arena_destroy(g_arenas[0]);
    fl_arena_destroy(g_arenas[1]);
}

/* ---- destroy while other threads hold tcaches for the arena ---- */

static pthread_barrier_t g_bar;
static fl_arena_t *g_target;
static _Atomic int g_worker_errors;

static void *holder(void *arg)
{
    (void)arg;
    void *keep[32];
    for (int i = 0; i < 32; i++) {
        keep[i] = fl_arena_alloc(g_target, 24 + i);
        if (keep[i] == NULL)
            atomic_fetch_add(&g_worker_errors, 1);
    }
    for (int i = 0; i < 16; i++) /* half go back into this thread's tcache */
        fl_arena_free(g_target, keep[i], 24 + i);
    pthread_barrier_wait(&g_bar); /* 1: tcaches populated */
    pthread_barrier_wait(&g_bar); /* 2: main destroyed the arena, made a new one */
    /* The slot is reused by the new arena: our stale entry must not be used. */
    for (int i = 0; i < 200; i++) {
        void *p = fl_arena_alloc(g_target, 24);
        if (p == NULL || tu_arena_of(p) != fl_arena_index(g_target))
            atomic_fetch_add(&g_worker_errors, 1);
        fl_arena_free(g_target, p, 24);
    }
    pthread_barrier_wait(&g_bar); /* 3: done; exits and releases its tcache */
    return NULL;
}

TEST(destroy_with_other_threads_tcaches)
{
    enum { W = 4 };
    CHECK_EQ_I(pthread_barrier_init(&g_bar, NULL, W + 1), 0);
    CHECK_EQ_I(fl_arena_create(&g_target, "doomed", NULL), 0);
    unsigned old_index = fl_arena_index(g_target);
    pthread_t th[W];
    for (int i = 0; i < W; i++)
        CHECK_EQ_I(pthread_create(&th[i], NULL, holder, NULL), 0);
    pthread_barrier_wait(&g_bar); /* 1 */
    fl_mem_stats_t s;
    CHECK_EQ_I(fl_arena_stats(g_target, &s), 0);
    size_t live = 0;
    for (int i = 16; i < 32; i++)
        live += 24 + (size_t)i;
    CHECK_EQ_U(s.requested, live * W);
    fl_arena_destroy(g_target); /* flushes and destroys the 4 threads' tcaches */
    CHECK_EQ_I(fl_arena_create(&g_target, "reborn", NULL), 0);
    fprintf(stderr, "  destroyed arena %u, new arena %u\n", old_index, fl_arena_index(g_target));
    pthread_barrier_wait(&g_bar); /* 2 */
    pthread_barrier_wait(&g_bar); /* 3 */
    for (int i = 0; i < W; i++)
        pthread_join(th[i], NULL);
    CHECK_EQ_I(atomic_load(&g_worker_errors), 0);
    CHECK_EQ_I(fl_arena_stats(g_target, &s), 0);
    CHECK_EQ_U(s.requested, 0);
    CHECK_EQ_U(s.allocated, 0);
    fl_arena_destroy(g_target);
    pthread_barrier_destroy(&g_bar);
}

/* ---- exact sums while the threads are alive: A allocates, B frees half of A's objects ---- */

enum { XN = 1000 };
static void *g_x[XN];
static pthread_barrier_t g_xbar;
static fl_arena_t *g_xa;

static size_t x_size(int i)
{
    return 1 + (size_t)(i * 97) % 6000;
}

static void *x_alloc(void *arg)
{
    (void)arg;
    for (int i = 0; i < XN; i++)
        g_x[i] = fl_arena_alloc(g_xa, x_size(i));
    pthread_barrier_wait(&g_xbar); /* 1: allocated */
    pthread_barrier_wait(&g_xbar); /* 2: B freed */
    pthread_barrier_wait(&g_xbar); /* 3: main checked */
    return NULL;
}

static void *x_free(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&g_xbar); /* 1 */
    for (int i = 0; i < XN; i += 2)
        fl_arena_free(g_xa, g_x[i], x_size(i));
    pthread_barrier_wait(&g_xbar); /* 2 */
    pthread_barrier_wait(&g_xbar); /* 3 */
    return NULL;
}

TEST(live_threads_counters_sum_exactly)
{
    CHECK_EQ_I(fl_arena_create(&g_xa, "cross", NULL), 0);
    CHECK_EQ_I(pthread_barrier_init(&g_xbar, NULL, 3), 0);
    pthread_t ta, tb;
    CHECK_EQ_I(pthread_create(&ta, NULL, x_alloc, NULL), 0);
    CHECK_EQ_I(pthread_create(&tb, NULL, x_free, NULL), 0);
    pthread_barrier_wait(&g_xbar); /* 1 */
    pthread_barrier_wait(&g_xbar); /* 2: B freed the even objects */
    size_t want = 0;
    for (int i = 1; i < XN; i += 2)
        want += x_size(i);
    /* Both threads alive: A's counter is +all, B's is -(all - want); the sum is exact. */
    fl_mem_stats_t s;
    CHECK_EQ_I(fl_arena_stats(g_xa, &s), 0);
    CHECK_EQ_U(s.requested, want);
    pthread_barrier_wait(&g_xbar); /* 3 */
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    CHECK_EQ_I(fl_arena_stats(g_xa, &s), 0);
    CHECK_EQ_U(s.requested, want); /* and still after both exited (counters folded) */
    for (int i = 1; i < XN; i += 2)
        fl_arena_free(g_xa, g_x[i], x_size(i));
    CHECK_EQ_I(fl_arena_stats(g_xa, &s), 0);
    CHECK_EQ_U(s.requested, 0);
    fl_arena_destroy(g_xa);
    pthread_barrier_destroy(&g_xbar);
}

/* ---- arenas created and destroyed concurrently, with statistics readers ---- */

static _Atomic bool g_stop_readers;

static void *churn_arenas(void *arg)
{
    int me = (int)(intptr_t)arg;
    for (int it = 0; it < 40; it++) {
        char name[32];
        snprintf(name, sizeof(name), "t%d-%d", me, it);
        fl_arena_t *a;
        if (fl_arena_create(&a, name, NULL) != 0) {
            atomic_fetch_add(&g_worker_errors, 1);
            continue;
        }
        void *p[50];
        for (int i = 0; i < 50; i++) {
            p[i] = fl_arena_alloc(a, 16 + (size_t)i * 90);
            if (p[i] == NULL || tu_arena_of(p[i]) != fl_arena_index(a))
                atomic_fetch_add(&g_worker_errors, 1);
        }
        for (int i = 0; i < 50; i += 2)
            fl_arena_free(a, p[i], 16 + (size_t)i * 90);
        fl_mem_stats_t s;
        if (fl_arena_stats(a, &s) != 0 || s.requested == 0)
            atomic_fetch_add(&g_worker_errors, 1);
        if (it % 3 == 0)
            fl_thread_release_tcaches();
        fl_arena_destroy(a); /* half its objects are still live: destroy frees them */
    }
    return NULL;
}

static void *read_stats(void *arg)
{
    (void)arg;
    for (int i = 0; i < 2000 && !atomic_load(&g_stop_readers); i++) {
        fl_mem_stats_t s;
        if (fl_process_stats(&s) != 0)
            atomic_fetch_add(&g_worker_errors, 1);
    }
    return NULL;
}

TEST(concurrent_create_destroy_and_stats)
{
    enum { W = 4 };
    atomic_store(&g_worker_errors, 0);
    atomic_store(&g_stop_readers, false);
    pthread_t th[W], reader;
    CHECK_EQ_I(pthread_create(&reader, NULL, read_stats, NULL), 0);
    for (int i = 0; i < W; i++)
        CHECK_EQ_I(pthread_create(&th[i], NULL, churn_arenas, (void *)(intptr_t)i), 0);
    for (int i = 0; i < W; i++)
        pthread_join(th[i], NULL);
    atomic_store(&g_stop_readers, true);
    pthread_join(reader, NULL);
    CHECK_EQ_I(atomic_load(&g_worker_errors), 0);
}

int main(void)
{
    if (fl_mem_init(NULL) != 0)
        TEST_SKIP("jemalloc not usable");
    RUN(stress_cross_thread_frees_add_up);
    RUN(live_threads_counters_sum_exactly);
    RUN(destroy_with_other_threads_tcaches);
    RUN(concurrent_create_destroy_and_stats);
    return TEST_REPORT();
}
