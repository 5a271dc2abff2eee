/*
 * src/store/config.c: namespace configuration defaults and validation (one place for every
 * bound). Pure functions; no shared state.
 */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

#define FLS_DEFAULT_LIMIT 0 /* unlimited, as Redis's maxmemory: nothing is lost by default */
#define FLS_DEFAULT_HW 90
#define FLS_DEFAULT_STOP 95
#define FLS_DEFAULT_PARTS 4096
#define FLS_DEFAULT_DEFRAG 10        /* % of allocated bytes in slab holes that starts a sweep */
#define FLS_DEFAULT_DEFRAG_UPPER 100 /* ... that gives it its full CPU share */
#define FLS_DEFAULT_DEFRAG_IGNORE ((size_t)8 << 20) /* slab holes below this are left alone */
#define FLS_DEFAULT_DEFRAG_CYCLE_MIN 1              /* % of a CPU */
/* Redis's default is 25 % of its one main thread; ours is a share of one core next to several
 * workers. On the 2-core machine (flatline-defrag-bench cost, quieter runs) 25 % cost 7-33 % of
 * throughput and 10 % cost 4-7 %; 10 % still compacts a 1M-key mass delete within seconds. */
#define FLS_DEFAULT_DEFRAG_CYCLE_MAX 10

const char *const fl_evict_policy_names[] = {
    [FL_EVICT_NOEVICTION] = "noeviction",
    [FL_EVICT_ALLKEYS_LRU] = "allkeys-lru",
    [FL_EVICT_ALLKEYS_LFU] = "allkeys-lfu",
    [FL_EVICT_VOLATILE_LRU] = "volatile-lru",
    [FL_EVICT_VOLATILE_LFU] = "volatile-lfu",
    [FL_EVICT_VOLATILE_TTL] = "volatile-ttl",
    [FL_EVICT_ALLKEYS_RANDOM] = "allkeys-random",
    [FL_EVICT_VOLATILE_RANDOM] = "volatile-random",
    NULL,
};
#define NPOLICIES (sizeof(fl_evict_policy_names) / sizeof(fl_evict_policy_names[0]) - 1)

void fl_ns_config_default(fl_ns_config_t *c, const char *name)
{
    memset(c, 0, sizeof(*c));
    if (name)
        snprintf(c->name, sizeof(c->name), "%s", name);
    c->memory_limit = FLS_DEFAULT_LIMIT;
    c->evict_policy = FL_EVICT_NOEVICTION;
    c->default_ttl_ms = 0;
    c->high_water_pct = FLS_DEFAULT_HW;
    c->stop_writes_pct = FLS_DEFAULT_STOP;
    c->partitions = FLS_DEFAULT_PARTS;
    c->dirty_decay_ms = FL_DECAY_DEFAULT;
    c->muzzy_decay_ms = FL_DECAY_DEFAULT;
    c->defrag_pct = FLS_DEFAULT_DEFRAG;
    c->defrag_pct_upper = FLS_DEFAULT_DEFRAG_UPPER;
    c->defrag_ignore_bytes = FLS_DEFAULT_DEFRAG_IGNORE;
    c->defrag_cycle_min = FLS_DEFAULT_DEFRAG_CYCLE_MIN;
    c->defrag_cycle_max = FLS_DEFAULT_DEFRAG_CYCLE_MAX;
}

size_t fls_limit_min(unsigned stop_writes_pct, unsigned partitions)
{
    /* The stop-writes mark must hold the partition array and 4 KiB of records and index. */
    size_t need = (size_t)partitions * sizeof(fls_part_t) + ((size_t)4 << 10);
    return (need * 100 + stop_writes_pct - 1) / stop_writes_pct;
}

int fls_limit_check(const char *name, size_t limit, unsigned stop_writes_pct, unsigned partitions,
                    char *err, size_t errlen)
{
    size_t min = fls_limit_min(stop_writes_pct, partitions);
    if (limit == 0 || limit >= min)
        return FL_OK;
    if (err && errlen)
        snprintf(err, errlen,
                 "namespace '%s': memory-limit %zu is too small: its %u partitions take %zu "
                 "bytes, so it needs at least %zu (or 0 for no limit, or fewer partitions)",
                 name, limit, partitions, (size_t)partitions * sizeof(fls_part_t), min);
    return FL_EINVAL;
}

static bool decay_ok(ssize_t d)
{
    return d == FL_DECAY_DEFAULT || d >= -1;
}

int fl_ns_config_check(const fl_ns_config_t *c, char *err, size_t errlen)
{
    const char *why = NULL;
    size_t nlen = strnlen(c->name, sizeof(c->name));
    if (nlen == 0 || nlen > FL_NS_NAME_MAX) {
        why = "name must be 1..63 bytes";
    } else {
        for (size_t i = 0; i < nlen && !why; i++) {
            unsigned char ch = (unsigned char)c->name[i];
            if (ch <= ' ' || ch >= 0x7f || ch == '\'' || ch == '"')
                why = "name must be printable ASCII without spaces or quotes";
        }
    }
    if (why) {
    } else if (c->high_water_pct < 1 || c->high_water_pct > 100) {
        why = "high_water_pct must be 1..100";
    } else if (c->stop_writes_pct < 1 || c->stop_writes_pct > 100) {
        why = "stop_writes_pct must be 1..100";
    } else if (c->partitions < 1 || c->partitions > 65536 ||
               (c->partitions & (c->partitions - 1)) != 0) {
        why = "partitions must be a power of two in 1..65536";
    } else if (c->defrag_pct > 1000) {
        why = "defrag_pct (threshold-lower) must be 0..1000";
    } else if (c->defrag_pct_upper < 1 || c->defrag_pct_upper > 1000) {
        why = "defrag_pct_upper (threshold-upper) must be 1..1000";
    } else if (c->defrag_cycle_min < 1 || c->defrag_cycle_min > 100 || c->defrag_cycle_max < 1 ||
               c->defrag_cycle_max > 100) {
        why = "defrag cycle-min and cycle-max must be 1..100 (% of a CPU)";
    } else if (c->defrag_cycle_min > c->defrag_cycle_max) {
        why = "defrag cycle-min must not exceed cycle-max";
    } else if (c->default_ttl_ms < 0) {
        why = "default_ttl_ms must be >= 0";
    } else if (!decay_ok(c->dirty_decay_ms) || !decay_ok(c->muzzy_decay_ms)) {
        why = "decay must be -1 (never), >= 0 ms, or the default";
    } else if (c->evict_policy < 0 || (size_t)c->evict_policy >= NPOLICIES) {
        why = "unknown eviction policy";
    }
    if (!why)
        return fls_limit_check(c->name, c->memory_limit, c->stop_writes_pct, c->partitions, err,
                               errlen);
    if (err && errlen)
        snprintf(err, errlen, "namespace '%.*s': %s", (int)nlen, c->name, why);
    return FL_EINVAL;
}
