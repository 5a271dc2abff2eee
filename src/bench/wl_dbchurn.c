/*
 * wl_dbchurn.c: the db-churn workload, an in-memory database under load.
 *
 * A table of records (persistent objects) is filled, then worker threads run requests: each
 * request allocates a transient request buffer of 256 B to 64 KiB (kept in flight for a few
 * requests, as a server's connection buffers are) and reads, updates, deletes or inserts a random
 * record. Updates reallocate the record at a size that drifts (mostly upward), so size classes
 * change under the allocator's feet; any thread updates or deletes any record, so objects are
 * freed by other threads than the ones that allocated them. Then a mass delete keeps one record
 * in ten, scattered: the pages under the survivors are what the tail measures. In the tail one
 * thread serves a light trickle of requests (request buffers, reads, an update in ten; nothing
 * inserted or deleted, so live memory stays flat) until the driver says stop.
 *
 * Determinism: the table size, the initial record sizes (a function of seed and slot) and each
 * thread's request stream (seed, thread) are fixed by the seed; how the threads interleave is
 * not, so the record sizes after the churn vary slightly between runs.
 * Where the records live is the runner's choice (runner.h, "Records"): blocks of the strategy's
 * allocator, or values in libflatline's namespace store.
 * Synchronisation: record i is protected by lock[i % NLOCKS]; the request ring is per thread.
 */
#include "runner.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NLOCKS 1024
#define RING 16
#define REC_MIN 16
#define REC_MAX (16 * 1024)

typedef struct table {
    bw_rec_t *rec;
    uint64_t n;
    pthread_mutex_t lock[NLOCKS];
} table_t;

typedef struct worker {
    table_t *t;
    const bw_params_t *p;
    unsigned id;
    uint64_t ops;   /* requests to run */
    uint64_t first; /* fill / delete stripe */
    uint64_t last;
    int mode; /* 0 fill, 1 churn, 2 mass delete, 3 tail (the light trickle) */
    int failed;
    void *ring[RING];
    size_t ring_size[RING];
    unsigned ring_pos;
} worker_t;

static size_t initial_size(uint64_t seed, uint64_t slot)
{
    bw_rng_t r;
    bw_rng_seed(&r, seed, 0x100000000ULL + slot);
    return bw_rng_logsize(&r, 32, 2048);
}

static bool survives_delete(uint64_t seed, uint64_t slot)
{
    uint64_t x = seed ^ (slot * 0x9e3779b97f4a7c15ULL);
    return bw_splitmix(&x) % 10 == 0;
}

/* One request: a transient buffer, then an operation on a random record. */
static int request(worker_t *w, bw_rng_t *rng)
{
    size_t bsz = bw_rng_logsize(rng, 256, 64 * 1024);
    unsigned k = w->ring_pos++ % RING;
    bw_tmp_free(w->ring[k], w->ring_size[k]);
    w->ring[k] = bw_tmp_alloc(bsz);
    w->ring_size[k] = w->ring[k] ? bsz : 0;
    if (!w->ring[k])
        return -1;
    bw_touch(w->ring[k], bsz, k);

    table_t *t = w->t;
    uint64_t slot = bw_rng_below(rng, t->n);
    unsigned dice = (unsigned)bw_rng_below(rng, 100);
    if (w->mode == 3) /* tail: reads, and an update in ten; no inserts, no deletes */
        dice = dice < 10 ? 0 : 99;
    pthread_mutex_t *lk = &t->lock[slot % NLOCKS];
    pthread_mutex_lock(lk);
    bw_rec_t *r = &t->rec[slot];
    int rc = 0;
    if (r->size) {
        if (dice < 70) { /* update: the size drifts, mostly upward */
            double f = 0.8 + (double)bw_rng_below(rng, 56) / 100.0; /* 0.80 .. 1.35 */
            size_t ns = (size_t)((double)r->size * f);
            ns = ns < REC_MIN ? REC_MIN : ns > REC_MAX ? REC_MAX : ns;
            rc = bw_record_set(r, slot, ns);
        } else if (dice < 85) {
            bw_record_clear(r, slot);
        } else {
            bw_record_read(r, slot, w->ring[k], bsz);
        }
    } else if (dice < 80 && w->mode != 3) {
        rc = bw_record_set(r, slot, bw_rng_logsize(rng, 32, 2048));
    }
    pthread_mutex_unlock(lk);
    return rc;
}

static void ring_release(worker_t *w)
{
    for (unsigned k = 0; k < RING; k++) {
        bw_tmp_free(w->ring[k], w->ring_size[k]);
        w->ring[k] = NULL;
        w->ring_size[k] = 0;
    }
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    table_t *t = w->t;
    bw_thread_slot(w->id + 1);
    bw_thread_enter();
    if (w->mode == 0) {
        for (uint64_t i = w->first; i < w->last && !w->failed; i++) {
            pthread_mutex_lock(&t->lock[i % NLOCKS]);
            if (bw_record_set(&t->rec[i], i, initial_size(w->p->seed, i)) != 0)
                w->failed = 1;
            pthread_mutex_unlock(&t->lock[i % NLOCKS]);
        }
    } else if (w->mode == 1) {
        bw_rng_t rng;
        bw_rng_seed(&rng, w->p->seed, w->id + 1);
        for (uint64_t i = 0; i < w->ops && !w->failed; i++) {
            if (request(w, &rng) != 0)
                w->failed = 1;
            if ((i & 255) == 255)
                bw_ops_add(256);
        }
        ring_release(w);
    } else {
        for (uint64_t i = w->first; i < w->last; i++) {
            pthread_mutex_lock(&t->lock[i % NLOCKS]);
            if (t->rec[i].size && !survives_delete(w->p->seed, i))
                bw_record_clear(&t->rec[i], i);
            pthread_mutex_unlock(&t->lock[i % NLOCKS]);
        }
    }
    bw_thread_leave();
    return NULL;
}

/* Runs `mode` on every worker in parallel; returns 0 or -1 when a worker failed. */
static int run_workers(worker_t *w, unsigned nt, int mode)
{
    pthread_t th[BENCH_SHM_SLOTS];
    for (unsigned i = 0; i < nt; i++) {
        w[i].mode = mode;
        if (pthread_create(&th[i], NULL, worker_main, &w[i]) != 0) {
            bw_report("error pthread_create failed");
            for (unsigned j = 0; j < i; j++)
                pthread_join(th[j], NULL);
            return -1;
        }
    }
    int failed = 0;
    for (unsigned i = 0; i < nt; i++) {
        pthread_join(th[i], NULL);
        failed |= w[i].failed;
    }
    return failed ? -1 : 0;
}

int bw_db_churn(const bw_params_t *p)
{
    unsigned nt = p->threads ? p->threads : 4;
    if (nt > BENCH_SHM_SLOTS - 2)
        nt = BENCH_SHM_SLOTS - 2;
    table_t *t = calloc(1, sizeof *t);
    worker_t *w = calloc(nt, sizeof *w);
    if (!t || !w) {
        free(t);
        free(w);
        bw_report("error out of memory");
        return -1;
    }
    t->n = bw_scaled(p->scale, 250000, 500);
    t->rec = calloc(t->n, sizeof *t->rec);
    for (unsigned i = 0; i < NLOCKS; i++)
        pthread_mutex_init(&t->lock[i], NULL);
    uint64_t total_ops = bw_scaled(p->scale, 2000000, 4000);
    for (unsigned i = 0; i < nt; i++) {
        w[i].t = t;
        w[i].p = p;
        w[i].id = i;
        w[i].ops = total_ops / nt;
        w[i].first = t->n * i / nt;
        w[i].last = t->n * (i + 1) / nt;
    }
    int rc = t->rec ? 0 : -1;
    if (rc == 0 && bw_records_open(p) != 0) {
        bw_report("error cannot open the records' store");
        rc = -1;
    }

    bw_phase(BENCH_PH_FILL);
    if (rc == 0)
        rc = run_workers(w, nt, 0);
    bw_report("filled records=%llu live=%lld", (unsigned long long)t->n,
              (long long)bw_live_total());
    bw_phase(BENCH_PH_RUN);
    uint64_t t0 = bw_now_ns();
    if (rc == 0)
        rc = run_workers(w, nt, 1);
    uint64_t run_ns = bw_now_ns() - t0;

    rc = bw_at_peak(rc);
    bw_phase(BENCH_PH_DELETE);
    if (rc == 0)
        rc = run_workers(w, nt, 2);
    rc = bw_at_deleted(rc);

    /* Tail: a trickle of requests from one thread until the driver says stop. */
    worker_t tail = {.t = t, .p = p, .id = nt, .mode = 3};
    bw_thread_slot(0);
    bw_thread_enter();
    bw_rng_t rng;
    bw_rng_seed(&rng, p->seed, 0xfffffULL);
    uint64_t tail_end = bw_now_ns() + (uint64_t)p->tail_max_ms * 1000000ULL;
    while (rc == 0 && bw_now_ns() < tail_end) {
        for (int i = 0; i < 20 && rc == 0; i++)
            rc = request(&tail, &rng);
        if (bw_wait_stop(10))
            break;
    }
    ring_release(&tail);
    bw_stats_report("tail");

    bw_phase(BENCH_PH_TEARDOWN);
    for (uint64_t i = 0; t->rec && i < t->n; i++)
        if (t->rec[i].size)
            bw_record_clear(&t->rec[i], i);
    bw_thread_leave();
    bw_records_close();
    rc = bw_check_teardown(rc);
    if (rc == 0)
        bw_report("result ops=%llu run_ms=%.3f records=%llu threads=%u in=%s",
                  (unsigned long long)(total_ops / nt * nt), (double)run_ns / 1e6,
                  (unsigned long long)t->n, nt, bw_records_kind());
    else
        bw_report("error db-churn failed");
    for (unsigned i = 0; i < NLOCKS; i++)
        pthread_mutex_destroy(&t->lock[i]);
    free(t->rec);
    free(t);
    free(w);
    return rc;
}
