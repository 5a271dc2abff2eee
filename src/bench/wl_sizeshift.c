/*
 * wl_sizeshift.c: the size-shift workload: a program whose object sizes change over its life.
 *
 * Each thread fills its share of the target with small objects (16 to 64 B), frees nine in ten
 * of them at random, and refills to the target with larger objects (256 B to 1 KiB). Size-class
 * allocators cannot reuse the small classes' pages for the large objects, so the survivors pin
 * mostly empty pages: the peak is measured after the refill. A mass delete then frees nine in ten
 * of everything; in the tail one thread allocates and frees a trickle of mid-sized objects.
 *
 * Objects are kept on intrusive singly linked lists (the first 8 bytes of each object hold the
 * next pointer, the next 4 its size) so bookkeeping costs no memory outside the objects.
 * Determinism: every thread's sizes and choices come from (seed, thread) and threads share no
 * objects, so the live-bytes curve of each thread is the same on every run.
 */
#include "runner.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

typedef struct obj {
    struct obj *next;
    uint32_t size;
} obj_t;

typedef struct sworker {
    const bw_params_t *p;
    unsigned id;
    uint64_t target; /* bytes per thread */
    obj_t *small, *large;
    uint64_t ops;
    int failed;
} sworker_t;

static obj_t *obj_new(size_t size, obj_t *next)
{
    obj_t *o = bw_persist_alloc(size);
    if (!o)
        return NULL;
    bw_touch(o, size, size);
    o->next = next;
    o->size = (uint32_t)size;
    return o;
}

/* Frees every object of *list unless the dice keeps it (keep_in_ten of ten); returns frees. */
static uint64_t thin(obj_t **list, bw_rng_t *rng, unsigned keep_in_ten)
{
    uint64_t n = 0;
    obj_t **pp = list;
    while (*pp) {
        obj_t *o = *pp;
        if (bw_rng_below(rng, 10) < keep_in_ten) {
            pp = &o->next;
            continue;
        }
        *pp = o->next;
        bw_persist_free(o, o->size);
        n++;
    }
    return n;
}

static uint64_t fill(obj_t **list, bw_rng_t *rng, uint64_t bytes, size_t lo, size_t hi, int *failed)
{
    uint64_t got = 0, n = 0;
    while (got < bytes) {
        size_t sz = lo + (size_t)bw_rng_below(rng, hi - lo + 1);
        obj_t *o = obj_new(sz, *list);
        if (!o) {
            *failed = 1;
            break;
        }
        *list = o;
        got += sz;
        n++;
    }
    return n;
}

static void *sworker_main(void *arg)
{
    sworker_t *w = arg;
    bw_thread_slot(w->id + 1);
    bw_thread_enter();
    bw_rng_t rng;
    bw_rng_seed(&rng, w->p->seed, 0x5151ULL + w->id);
    w->ops += fill(&w->small, &rng, w->target, 16, 64, &w->failed);
    bw_ops_add(w->ops);
    uint64_t kept_bytes = 0;
    w->ops += thin(&w->small, &rng, 1);
    for (obj_t *o = w->small; o; o = o->next)
        kept_bytes += o->size;
    if (!w->failed && kept_bytes < w->target)
        w->ops += fill(&w->large, &rng, w->target - kept_bytes, 256, 1024, &w->failed);
    bw_thread_leave();
    return NULL;
}

static void *sdelete_main(void *arg)
{
    sworker_t *w = arg;
    bw_thread_slot(w->id + 1);
    bw_rng_t rng;
    bw_rng_seed(&rng, w->p->seed, 0xde1e7eULL + w->id);
    thin(&w->small, &rng, 1);
    thin(&w->large, &rng, 1);
    return NULL;
}

static int run_all(sworker_t *w, unsigned nt, void *(*fn)(void *))
{
    pthread_t th[BENCH_SHM_SLOTS];
    unsigned started = 0;
    int failed = 0;
    for (; started < nt; started++)
        if (pthread_create(&th[started], NULL, fn, &w[started]) != 0) {
            failed = 1;
            break;
        }
    for (unsigned i = 0; i < started; i++) {
        pthread_join(th[i], NULL);
        failed |= w[i].failed;
    }
    return failed ? -1 : 0;
}

static void free_list(obj_t **list)
{
    while (*list) {
        obj_t *o = *list;
        *list = o->next;
        bw_persist_free(o, o->size);
    }
}

int bw_size_shift(const bw_params_t *p)
{
    unsigned nt = p->threads ? p->threads : 4;
    if (nt > BENCH_SHM_SLOTS - 2)
        nt = BENCH_SHM_SLOTS - 2;
    sworker_t *w = calloc(nt, sizeof *w);
    if (!w) {
        bw_report("error out of memory");
        return -1;
    }
    uint64_t target = bw_scaled(p->scale, 160ULL << 20, 64 << 10);
    for (unsigned i = 0; i < nt; i++) {
        w[i].p = p;
        w[i].id = i;
        w[i].target = target / nt;
    }
    bw_phase(BENCH_PH_RUN);
    uint64_t t0 = bw_now_ns();
    int rc = run_all(w, nt, sworker_main);
    uint64_t run_ns = bw_now_ns() - t0;
    uint64_t ops = 0;
    for (unsigned i = 0; i < nt; i++)
        ops += w[i].ops;

    rc = bw_at_peak(rc);
    bw_phase(BENCH_PH_DELETE);
    if (rc == 0)
        rc = run_all(w, nt, sdelete_main);
    rc = bw_at_deleted(rc);

    bw_thread_slot(0);
    bw_thread_enter();
    bw_rng_t rng;
    bw_rng_seed(&rng, p->seed, 0x7a11ULL);
    obj_t *trickle = NULL;
    unsigned ntrickle = 0;
    uint64_t tail_end = bw_now_ns() + (uint64_t)p->tail_max_ms * 1000000ULL;
    while (rc == 0 && bw_now_ns() < tail_end) {
        for (int i = 0; i < 20; i++) {
            obj_t *o = obj_new(64 + bw_rng_below(&rng, 512), trickle);
            if (!o) {
                rc = -1;
                break;
            }
            trickle = o;
            if (++ntrickle > 256) { /* keep a bounded window: free the list's tail half */
                obj_t *q = trickle;
                for (unsigned k = 1; k < 128 && q; k++)
                    q = q->next;
                if (q) {
                    free_list(&q->next);
                    ntrickle = 128;
                }
            }
        }
        if (bw_wait_stop(10))
            break;
    }
    free_list(&trickle);
    bw_stats_report("tail");

    bw_phase(BENCH_PH_TEARDOWN);
    for (unsigned i = 0; i < nt; i++) {
        free_list(&w[i].small);
        free_list(&w[i].large);
    }
    bw_thread_leave();
    rc = bw_check_teardown(rc);
    if (rc == 0)
        bw_report("result ops=%llu run_ms=%.3f target=%llu threads=%u", (unsigned long long)ops,
                  (double)run_ns / 1e6, (unsigned long long)target, nt);
    else
        bw_report("error size-shift failed");
    free(w);
    return rc;
}
