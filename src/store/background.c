/*
 * src/store/background.c: the store's background thread, one per store, ticking every
 * FLS_TICK_MS (Redis hz 10), after a quarter of that while active expiry has a backlog, or at
 * once when a writer kicks it. Each tick, for every namespace: active expiry within
 * EXPIRE_BUDGET_NS (expire.c), the defragmentation policy (defrag.c), then eviction down to
 * 1/64 below the high-water mark within EVICT_BUDGET_NS (evict.c).
 *
 * Locking: bg_mu protects bg_stop and is what bg_cv waits on; tick_mu is held for the length
 * of a tick (fls_bg_pause waits on it); bg_kick and bg_paused are atomics. The thread never
 * holds bg_mu while it takes a partition lock, and takes partition locks one at a time.
 */
#include <time.h>

#include "store_internal.h"

#define EXPIRE_KEYS 1024          /* keys per active-expiry step */
#define EXPIRE_BUDGET_NS 25000000 /* per namespace per tick while keys are due (Redis: 25 %) */
#define EVICT_BUDGET_NS 20000000  /* per namespace per tick */

static int64_t mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* One tick for a namespace; returns true when active expiry stopped at its budget with keys
 * still due (a backlog: the next tick comes sooner). */
static bool ns_tick(fl_ns_t *ns)
{
    int64_t t0 = mono_ns();
    int64_t now = fl_now_ms();
    bool backlog = false;
    /* Active expiry: keep going while it finds expired keys, within the budget. */
    while (!atomic_load_explicit(&ns->store->expire_off, memory_order_relaxed) &&
           fls_expire_step(ns, EXPIRE_KEYS, now) > 0)
        if ((backlog = mono_ns() - t0 >= EXPIRE_BUDGET_NS))
            break;
    fls_defrag_tick(ns, now);
    size_t hw = atomic_load_explicit(&ns->hw_mark, memory_order_relaxed);
    if (hw == SIZE_MAX)
        return backlog;
    /* Eviction: down a little below the mark, so writers do not cross it at once again. */
    size_t target = hw - hw / 64;
    t0 = mono_ns();
    while (fls_used(ns) > target && mono_ns() - t0 < EVICT_BUDGET_NS)
        if (!fls_evict_one(ns, now))
            break;
    return backlog;
}

static void *bg_main(void *arg)
{
    fl_store_t *s = arg;
    pthread_mutex_lock(&s->bg_mu);
    while (!s->bg_stop) {
        pthread_mutex_unlock(&s->bg_mu);
        pthread_mutex_lock(&s->tick_mu);
        bool backlog = false;
        if (!atomic_load(&s->bg_paused))
            for (size_t i = 0; i < s->n; i++)
                backlog |= ns_tick(&s->ns[i]);
        pthread_mutex_unlock(&s->tick_mu);
        pthread_mutex_lock(&s->bg_mu);
        if (s->bg_stop)
            break;
        if (!atomic_exchange(&s->bg_kick, false)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            /* A backlog of due keys: tick again after a quarter period, so a mass expiry runs
             * at about half of one core (its lock holds stay short), not a quarter. */
            ts.tv_nsec += (backlog ? FLS_TICK_MS / 4 : FLS_TICK_MS) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&s->bg_cv, &s->bg_mu, &ts);
            atomic_store(&s->bg_kick, false);
        }
    }
    pthread_mutex_unlock(&s->bg_mu);
    fl_thread_release_tcaches();
    return NULL;
}

int fls_bg_start(fl_store_t *s)
{
    s->bg_stop = false;
    if (pthread_create(&s->bg, NULL, bg_main, s) != 0)
        return FL_ENOMEM;
    s->bg_started = true;
    return FL_OK;
}

void fls_bg_stop(fl_store_t *s)
{
    if (!s->bg_started)
        return;
    pthread_mutex_lock(&s->bg_mu);
    s->bg_stop = true;
    pthread_cond_signal(&s->bg_cv);
    pthread_mutex_unlock(&s->bg_mu);
    pthread_join(s->bg, NULL);
    s->bg_started = false;
}

void fls_bg_pause(fl_store_t *s, bool paused)
{
    atomic_store(&s->bg_paused, paused);
    pthread_mutex_lock(&s->tick_mu); /* wait for a tick in progress */
    pthread_mutex_unlock(&s->tick_mu);
}

void fl_store_set_active_expire(fl_store_t *s, bool on)
{
    atomic_store(&s->expire_off, !on);
}

void fls_bg_kick(fl_store_t *s)
{
    if (atomic_exchange(&s->bg_kick, true))
        return;
    pthread_mutex_lock(&s->bg_mu);
    pthread_cond_signal(&s->bg_cv);
    pthread_mutex_unlock(&s->bg_mu);
}
