/*
 * src/store/reconfigure.c: run-time changes of an open namespace's options (CONFIG SET).
 *
 * Which options may change is FL_NS_OPTIONS' `runtime` column; the others shape the namespace
 * when it opens (partitions, storage) and must stay as they are. Memory limit and eviction policy
 * live in their own atomics (quota.c). Every other run-time option is a field of ns->cfg written
 * here with a relaxed atomic store and read everywhere else with FLS_CFG (relaxed atomic loads) or
 * through fls_cfg_snapshot, so readers on other threads (writers applying the default TTL, the
 * background thread's defrag policy) never race with a change.
 *
 * Invariant: ns->cfg always passes fl_ns_config_check: a change is checked as a whole
 * configuration first and applied only when it passes (all or nothing per namespace). One mutex
 * serialises reconfigurations (they are rare), so two CONFIG SETs cannot interleave their fields.
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

static pthread_mutex_t g_reconfigure_mu = PTHREAD_MUTEX_INITIALIZER;

/* Bytes a field of this kind takes in fl_ns_config_t (config.c asserts every row agrees). */
static size_t kind_size(fl_opt_kind_t kind)
{
    return kind == FL_OPT_UNSIGNED || kind == FL_OPT_WORD ? sizeof(unsigned) : sizeof(int64_t);
}

static void field_load(const fl_ns_config_t *from, const fl_ns_option_t *o, fl_ns_config_t *to)
{
    const char *src = (const char *)from + o->offset;
    char *dst = (char *)to + o->offset;
    if (kind_size(o->kind) == sizeof(unsigned))
        *(unsigned *)dst = __atomic_load_n((const unsigned *)src, __ATOMIC_RELAXED);
    else
        *(int64_t *)dst = __atomic_load_n((const int64_t *)src, __ATOMIC_RELAXED);
}

static void field_store(fl_ns_config_t *to, const fl_ns_option_t *o, const fl_ns_config_t *from)
{
    const char *src = (const char *)from + o->offset;
    char *dst = (char *)to + o->offset;
    if (kind_size(o->kind) == sizeof(unsigned))
        __atomic_store_n((unsigned *)dst, *(const unsigned *)src, __ATOMIC_RELAXED);
    else
        __atomic_store_n((int64_t *)dst, *(const int64_t *)src, __ATOMIC_RELAXED);
}

static bool field_differs(const fl_ns_config_t *a, const fl_ns_config_t *b, const fl_ns_option_t *o)
{
    return memcmp((const char *)a + o->offset, (const char *)b + o->offset, kind_size(o->kind)) !=
           0;
}

void fls_cfg_snapshot(const fl_ns_t *ns, fl_ns_config_t *out)
{
    size_t n;
    const fl_ns_option_t *opts = fl_ns_options(&n);
    memcpy(out->name, ns->cfg.name, sizeof(out->name)); /* immutable */
    for (size_t i = 0; i < n; i++)
        field_load(&ns->cfg, &opts[i], out);
    /* The live limit and policy (quota.c), not the values the namespace opened with. */
    out->memory_limit = fl_ns_memory_limit(ns);
    out->evict_policy = (unsigned)fl_ns_evict_policy(ns);
}

int fl_ns_reconfigure(fl_ns_t *ns, const fl_ns_config_t *next, char *err, size_t errlen)
{
    size_t n;
    const fl_ns_option_t *opts = fl_ns_options(&n);
    pthread_mutex_lock(&g_reconfigure_mu);
    fl_ns_config_t cur;
    fls_cfg_snapshot(ns, &cur);
    int rc = fl_ns_config_check(next, err, errlen);
    for (size_t i = 0; i < n && rc == FL_OK; i++)
        if (!opts[i].runtime && field_differs(&cur, next, &opts[i])) {
            snprintf(err, errlen, "namespace '%s': %s cannot change while it is open", ns->cfg.name,
                     opts[i].name);
            rc = FL_EINVAL;
        }
    if (rc == FL_OK && fls_limit_check(ns->cfg.name, next->memory_limit, next->stop_writes_pct,
                                       ns->nparts, err, errlen) != 0)
        rc = FL_EINVAL;
    if (rc == FL_OK &&
        (next->dirty_decay_ms != cur.dirty_decay_ms ||
         next->muzzy_decay_ms != cur.muzzy_decay_ms) &&
        fl_arena_set_decay(ns->arena, next->dirty_decay_ms, next->muzzy_decay_ms) != 0) {
        snprintf(err, errlen, "namespace '%s': the arena refused the decay times", ns->cfg.name);
        rc = FL_EINVAL;
    }
    if (rc == FL_OK) {
        for (size_t i = 0; i < n; i++)
            if (opts[i].runtime && field_differs(&cur, next, &opts[i]))
                field_store(&ns->cfg, &opts[i], next);
        /* The marks derive from limit, policy and the two percentages: recomputed together. */
        fls_quota_set(ns, next->memory_limit, (fl_evict_policy_t)next->evict_policy);
        fls_bg_kick(ns->store); /* evict down to a lowered mark, re-check defrag, now */
    }
    pthread_mutex_unlock(&g_reconfigure_mu);
    return rc;
}
