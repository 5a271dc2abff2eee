/*
 * src/store/store.c: opening and closing a store, its namespaces and their partition arrays,
 * and the accessors of store.h that only read immutable configuration.
 *
 * A namespace's fl_ns struct (configuration, arena handle, counters) is store bookkeeping and
 * lives in malloc'd memory; its partition array and everything reachable from it live in the
 * namespace's shared arena and are counted in `used`. After fl_store_open returns, ns->cfg,
 * ns->arena, ns->parts and ns->nparts never change until fl_store_close.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "store_internal.h"

static atomic_bool default_rwlock;

void fls_set_default_rwlock(bool rwlock)
{
    atomic_store(&default_rwlock, rwlock);
}

static void set_err(char *err, size_t errlen, const char *fmt, const char *a, const char *b)
{
    if (err && errlen)
        snprintf(err, errlen, fmt, a, b);
}

static void part_locks_destroy(fl_ns_t *ns, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        if (ns->store->rwlock)
            pthread_rwlock_destroy(&ns->parts[i].lock.rw);
        else
            pthread_mutex_destroy(&ns->parts[i].lock.m);
    }
}

static int part_locks_init(fl_ns_t *ns)
{
    pthread_rwlockattr_t ra;
    pthread_rwlockattr_init(&ra);
    /* Writers must not starve behind a stream of GETs. */
    pthread_rwlockattr_setkind_np(&ra, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
    uint32_t i;
    int rc = 0;
    for (i = 0; i < ns->nparts && rc == 0; i++) {
        if (ns->store->rwlock)
            rc = pthread_rwlock_init(&ns->parts[i].lock.rw, &ra);
        else
            rc = pthread_mutex_init(&ns->parts[i].lock.m, NULL);
    }
    pthread_rwlockattr_destroy(&ra);
    if (rc) {
        part_locks_destroy(ns, i - 1);
        return FL_ENOMEM;
    }
    return FL_OK;
}

static int ns_open(fl_store_t *s, fl_ns_t *ns, const fl_ns_config_t *cfg, char *err, size_t errlen)
{
    ns->store = s;
    ns->cfg = *cfg;
    fls_defrag_init(ns);
    ns->nparts = cfg->partitions;
    fls_quota_set(ns, cfg->memory_limit, (fl_evict_policy_t)cfg->evict_policy);
    fl_arena_opts_t ao = {.dirty_decay_ms = cfg->dirty_decay_ms,
                          .muzzy_decay_ms = cfg->muzzy_decay_ms};
    int rc = fl_arena_create(&ns->arena, cfg->name, &ao);
    if (rc < 0) {
        set_err(err, errlen, "namespace '%s': cannot create its arena: %s", cfg->name,
                fl_mem_strerror(rc));
        ns->arena = NULL;
        return rc == -EINVAL ? FL_EINVAL : FL_ENOMEM;
    }
    size_t bytes = (size_t)ns->nparts * sizeof(fls_part_t);
    ns->parts = fls_alloc(ns, 0, bytes);
    if (!ns->parts) {
        set_err(err, errlen, "namespace '%s': %s", cfg->name, "cannot allocate its partitions");
        goto fail;
    }
    memset(ns->parts, 0, bytes);
    ns->tix = calloc(ns->nparts, sizeof(*ns->tix));
    if (!ns->tix) {
        set_err(err, errlen, "namespace '%s': %s", cfg->name, "cannot allocate its TTL indexes");
        goto fail;
    }
    for (uint32_t i = 0; i < ns->nparts; i++)
        atomic_init(&ns->tix[i].next_expire, INT64_MAX);
    if (part_locks_init(ns) != FL_OK) {
        set_err(err, errlen, "namespace '%s': %s", cfg->name, "cannot initialise its locks");
        goto fail;
    }
    return FL_OK;
fail:
    fl_arena_destroy(ns->arena);
    ns->arena = NULL;
    ns->parts = NULL;
    free(ns->tix);
    ns->tix = NULL;
    return FL_ENOMEM;
}

static void ns_close(fl_ns_t *ns)
{
    if (!ns->store)
        return; /* never opened */
    fls_defrag_destroy(ns);
    fls_watch_destroy(ns);
    free(ns->snap_epochs); /* persistence hooks' stamps (hooks.c), when installed */
    ns->snap_epochs = NULL;
    if (!ns->arena)
        return;
    FL_DEBUG_ASSERT(fls_ns_check(ns)); /* the accounting, exact to the byte, at the end */
    part_locks_destroy(ns, ns->nparts);
    /* Destroying the arena frees every record, index and the partition array at once. */
    fl_arena_destroy(ns->arena);
    ns->arena = NULL;
    ns->parts = NULL;
    free(ns->tix); /* the heaps went with the arena */
    ns->tix = NULL;
}

int fl_store_open(fl_store_t **out, const fl_ns_config_t *ns, size_t n_ns, char *err, size_t errlen)
{
    if (!out || !ns || n_ns == 0 || n_ns > 4096) {
        set_err(err, errlen, "%s%s", "a store needs 1..4096 namespaces", "");
        return FL_EINVAL;
    }
    *out = NULL;
    for (size_t i = 0; i < n_ns; i++) {
        if (fl_ns_config_check(&ns[i], err, errlen) != FL_OK)
            return FL_EINVAL;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(ns[i].name, ns[j].name) == 0) {
                set_err(err, errlen, "namespace '%s' is configured twice%s", ns[i].name, "");
                return FL_EINVAL;
            }
        }
    }
    int rc = fl_mem_init(NULL);
    if (rc < 0) {
        set_err(err, errlen, "memory layer: %s%s", fl_mem_strerror(rc), "");
        return FL_EINVAL;
    }
    fl_store_t *s = calloc(1, sizeof(*s));
    if (!s || !(s->ns = calloc(n_ns, sizeof(*s->ns)))) {
        free(s);
        set_err(err, errlen, "%s%s", "out of memory", "");
        return FL_ENOMEM;
    }
    s->rwlock = atomic_load(&default_rwlock);
    if (getrandom(&s->seed, sizeof(s->seed), GRND_NONBLOCK) != sizeof(s->seed))
        s->seed = (uint64_t)fl_now_ms() * 0x9e3779b97f4a7c15ull;
    pthread_mutex_init(&s->bg_mu, NULL);
    pthread_mutex_init(&s->tick_mu, NULL);
    fls_gate_init(s);
    fl_coll_limits_default(&s->limits);
    s->list_packed_threshold = FL_LIST_PACKED_THRESHOLD_DEFAULT;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->bg_cv, &ca);
    pthread_condattr_destroy(&ca);
    for (size_t i = 0; i < n_ns; i++) {
        rc = ns_open(s, &s->ns[i], &ns[i], err, errlen);
        if (rc != FL_OK)
            goto fail;
        s->n = i + 1;
    }
    rc = fls_bg_start(s);
    if (rc != FL_OK) {
        set_err(err, errlen, "%s%s", "cannot start the store's background thread", "");
        goto fail;
    }
    *out = s;
    return FL_OK;
fail:
    fl_store_close(s);
    return rc;
}

void fl_store_close(fl_store_t *store)
{
    if (!store)
        return;
    fls_bg_stop(store);
    for (size_t i = 0; i < store->n; i++)
        ns_close(&store->ns[i]);
    pthread_cond_destroy(&store->bg_cv);
    pthread_mutex_destroy(&store->bg_mu);
    pthread_mutex_destroy(&store->tick_mu);
    fls_gate_destroy(store);
    free(store->ns);
    free(store);
}

size_t fl_store_ns_count(const fl_store_t *store)
{
    return store->n;
}

fl_ns_t *fl_store_ns(fl_store_t *store, size_t index)
{
    return index < store->n ? &store->ns[index] : NULL;
}

fl_ns_t *fl_store_ns_find(fl_store_t *store, const char *name, size_t len)
{
    for (size_t i = 0; i < store->n; i++) {
        const char *n = store->ns[i].cfg.name;
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return &store->ns[i];
    }
    return NULL;
}

const fl_ns_config_t *fl_ns_config(const fl_ns_t *ns)
{
    return &ns->cfg;
}

fl_arena_t *fl_ns_arena(fl_ns_t *ns)
{
    return ns->arena;
}

int fl_ns_oom_message(const fl_ns_t *ns, char *buf, size_t len)
{
    return snprintf(buf, len, "%s in namespace '%s'", fl_status_str(FL_EOOM), ns->cfg.name);
}
