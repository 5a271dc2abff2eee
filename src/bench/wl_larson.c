/*
 * wl_larson.c: the server-larson workload (Larson and Krishnan's server benchmark, 1998).
 *
 * Each worker owns an array of slots holding objects of 16 B to 1 KiB. A worker repeatedly picks
 * a random slot, frees the object there and allocates a new one (with a short-lived scratch
 * buffer per operation, as a request would). After its share of a generation the worker exits
 * and its array goes to a fresh thread one place further on, so objects are freed by other
 * threads than the ones that allocated them and threads come and go, as in a server whose
 * connections hand objects on. Then a mass delete keeps one object in ten; in the tail one
 * thread works lightly on the first array (replacing survivors, never refilling empty slots).
 *
 * Determinism: the slot choices and sizes of worker w in generation g come from (seed, g, w);
 * arrays are never shared by two live threads (a generation joins before the next starts), so
 * the live-bytes curve is the same on every run.
 */
#include "runner.h"

#include <pthread.h>
#include <stdlib.h>

typedef struct larr {
    void **p;
    uint32_t *size;
    uint64_t n;
} larr_t;

typedef struct lworker {
    const bw_params_t *p;
    larr_t *arr;
    unsigned id, gen;
    uint64_t ops;
    int failed;
} lworker_t;

/* A request's scratch buffer: allocated, written (tag), freed. 0, or -1 when it failed. */
static int scratch_request(bw_rng_t *rng, uint64_t tag)
{
    size_t ssz = bw_rng_logsize(rng, 64, 4096);
    void *scratch = bw_tmp_alloc(ssz);
    if (!scratch)
        return -1;
    bw_touch(scratch, ssz, tag);
    bw_tmp_free(scratch, ssz);
    return 0;
}

/* One operation: replace a random slot's object, with a scratch buffer. With keep_empty, an
 * empty slot stays empty (the tail must not regrow what the mass delete freed). */
static int lop(larr_t *a, bw_rng_t *rng, bool keep_empty)
{
    uint64_t k = bw_rng_below(rng, a->n);
    if (keep_empty && !a->p[k])
        return scratch_request(rng, k);
    bw_persist_free(a->p[k], a->size[k]);
    size_t sz = bw_rng_logsize(rng, 16, 1024);
    a->p[k] = bw_persist_alloc(sz);
    a->size[k] = a->p[k] ? (uint32_t)sz : 0;
    if (!a->p[k])
        return -1;
    bw_touch(a->p[k], sz, k);
    return scratch_request(rng, sz);
}

static void *lworker_main(void *arg)
{
    lworker_t *w = arg;
    bw_thread_slot(w->id + 1);
    bw_thread_enter();
    bw_rng_t rng;
    bw_rng_seed(&rng, w->p->seed, ((uint64_t)w->gen << 32) | w->id);
    for (uint64_t i = 0; i < w->ops && !w->failed; i++)
        if (lop(w->arr, &rng, false) != 0)
            w->failed = 1;
    bw_ops_add(w->ops);
    bw_thread_leave();
    return NULL;
}

int bw_server_larson(const bw_params_t *p)
{
    unsigned nt = p->threads ? p->threads : 4;
    if (nt > BENCH_SHM_SLOTS - 2)
        nt = BENCH_SHM_SLOTS - 2;
    uint64_t slots = bw_scaled(p->scale, 60000, 200);
    unsigned gens = 10;
    uint64_t per_gen = bw_scaled(p->scale, 4000000, 4000) / gens / nt;
    larr_t *arr = calloc(nt, sizeof *arr);
    lworker_t *w = calloc(nt, sizeof *w);
    int rc = (arr && w) ? 0 : -1;
    bw_rng_t rng;
    bw_rng_seed(&rng, p->seed, 0xa11ULL);

    bw_phase(BENCH_PH_FILL);
    for (unsigned i = 0; rc == 0 && i < nt; i++) {
        arr[i].n = slots;
        arr[i].p = calloc(slots, sizeof(void *));
        arr[i].size = calloc(slots, sizeof(uint32_t));
        if (!arr[i].p || !arr[i].size) {
            rc = -1;
            break;
        }
        for (uint64_t k = 0; k < slots; k++) {
            size_t sz = bw_rng_logsize(&rng, 16, 1024);
            arr[i].p[k] = bw_persist_alloc(sz);
            if (!arr[i].p[k]) {
                rc = -1;
                break;
            }
            arr[i].size[k] = (uint32_t)sz;
            bw_touch(arr[i].p[k], sz, k);
        }
    }

    bw_phase(BENCH_PH_RUN);
    uint64_t t0 = bw_now_ns();
    for (unsigned g = 0; rc == 0 && g < gens; g++) {
        pthread_t th[BENCH_SHM_SLOTS];
        unsigned started = 0;
        for (; started < nt; started++) {
            w[started] = (lworker_t){
                .p = p, .arr = &arr[(started + g) % nt], .id = started, .gen = g, .ops = per_gen};
            if (pthread_create(&th[started], NULL, lworker_main, &w[started]) != 0) {
                rc = -1;
                break;
            }
        }
        for (unsigned i = 0; i < started; i++) {
            pthread_join(th[i], NULL);
            if (w[i].failed)
                rc = -1;
        }
    }
    uint64_t run_ns = bw_now_ns() - t0;

    rc = bw_at_peak(rc);
    bw_phase(BENCH_PH_DELETE);
    for (unsigned i = 0; rc == 0 && i < nt; i++)
        for (uint64_t k = 0; k < arr[i].n; k++)
            if (bw_rng_below(&rng, 10) != 0) {
                bw_persist_free(arr[i].p[k], arr[i].size[k]);
                arr[i].p[k] = NULL;
                arr[i].size[k] = 0;
            }
    rc = bw_at_deleted(rc);

    bw_thread_slot(0);
    bw_thread_enter();
    uint64_t tail_end = bw_now_ns() + (uint64_t)p->tail_max_ms * 1000000ULL;
    while (rc == 0 && bw_now_ns() < tail_end) {
        for (int i = 0; i < 50 && rc == 0; i++)
            rc = lop(&arr[0], &rng, true);
        if (bw_wait_stop(10))
            break;
    }
    bw_stats_report("tail");

    bw_phase(BENCH_PH_TEARDOWN);
    for (unsigned i = 0; arr && i < nt; i++) {
        for (uint64_t k = 0; arr[i].p && k < arr[i].n; k++)
            bw_persist_free(arr[i].p[k], arr[i].size ? arr[i].size[k] : 0);
        free(arr[i].p);
        free(arr[i].size);
    }
    bw_thread_leave();
    rc = bw_check_teardown(rc);
    if (rc == 0)
        bw_report("result ops=%llu run_ms=%.3f slots=%llu threads=%u generations=%u",
                  (unsigned long long)(per_gen * nt * gens), (double)run_ns / 1e6,
                  (unsigned long long)(slots * nt), nt, gens);
    else
        bw_report("error server-larson failed");
    free(arr);
    free(w);
    return rc;
}
