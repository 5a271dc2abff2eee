/*
 * src/store/config.c: the namespace options (FL_NS_OPTIONS in flatline/store.h) as a table,
 * their defaults and their validation: one place for every default and bound, which the
 * server's config parser, --help and CONFIG GET read through fl_ns_options().
 * Pure functions over a const table; no shared state.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "store_internal.h"

/* The bytes a field of each kind takes: a row whose ctype disagrees with its kind fails to
 * compile (the table below reads and writes fields through the kind). */
#define FLS_UNSIGNED_KIND(kind) ((kind) == FL_OPT_UNSIGNED || (kind) == FL_OPT_WORD)
#define FLS_KIND_SIZE(kind) (FLS_UNSIGNED_KIND(kind) ? sizeof(unsigned) : sizeof(int64_t))

/* maxmemory-policy's words, in fl_evict_policy_t order (Redis's names). */
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

#define FLS_OPTION_ROW_(field, ctype, kind, name, def, min, max, runtime, doc)                     \
    {name, kind, offsetof(fl_ns_config_t, field), (int64_t)(def), min, max, runtime, doc},
static const fl_ns_option_t options[] = {FL_NS_OPTIONS(FLS_OPTION_ROW_)};
#undef FLS_OPTION_ROW_

#define FLS_OPTION_CHECK_(field, ctype, kind, name, def, min, max, runtime, doc)                   \
    _Static_assert(sizeof(((fl_ns_config_t *)0)->field) == FLS_KIND_SIZE(kind),                    \
                   "option " name ": field type does not match its kind");                         \
    _Static_assert((kind) == FL_OPT_DECAY || ((def) >= (min) && (def) <= (max)),                   \
                   "option " name ": default out of its bounds");
FL_NS_OPTIONS(FLS_OPTION_CHECK_)
#undef FLS_OPTION_CHECK_

#define FLS_NOPTIONS (sizeof(options) / sizeof(options[0]))

const fl_ns_option_t *fl_ns_options(size_t *n)
{
    *n = FLS_NOPTIONS;
    return options;
}

/* The words of each FL_OPT_WORD option, by option name. */
static const char *const storage_words[] = {"disk", "memory", NULL}; /* FL_STORAGE_* */
static const struct {
    const char *option;
    const char *const *words;
} option_words[] = {
    {"storage", storage_words},
    {"maxmemory-policy", fl_evict_policy_names},
};

const char *const *fl_ns_option_words(const fl_ns_option_t *o)
{
    for (size_t i = 0; o->kind == FL_OPT_WORD && i < sizeof(option_words) / sizeof(option_words[0]);
         i++)
        if (strcmp(option_words[i].option, o->name) == 0)
            return option_words[i].words;
    return NULL;
}

const fl_ns_option_t *fl_ns_option_find(const char *name, size_t len)
{
    for (size_t i = 0; i < FLS_NOPTIONS; i++)
        if (strlen(options[i].name) == len && strncasecmp(options[i].name, name, len) == 0)
            return &options[i];
    return NULL;
}

int64_t fl_ns_option_get(const fl_ns_config_t *c, const fl_ns_option_t *o)
{
    const char *field = (const char *)c + o->offset;
    if (FLS_UNSIGNED_KIND(o->kind)) {
        unsigned u;
        memcpy(&u, field, sizeof(u));
        return u;
    }
    int64_t v; /* size_t, int64_t and ssize_t fields: same size (asserted above) */
    memcpy(&v, field, sizeof(v));
    return v;
}

void fl_ns_option_set(fl_ns_config_t *c, const fl_ns_option_t *o, int64_t v)
{
    char *field = (char *)c + o->offset;
    if (FLS_UNSIGNED_KIND(o->kind)) {
        unsigned u = (unsigned)v;
        memcpy(field, &u, sizeof(u));
        return;
    }
    memcpy(field, &v, sizeof(v));
}

void fl_ns_config_default(fl_ns_config_t *c, const char *name)
{
    memset(c, 0, sizeof(*c));
    if (name)
        snprintf(c->name, sizeof(c->name), "%s", name);
    for (size_t i = 0; i < FLS_NOPTIONS; i++)
        fl_ns_option_set(c, &options[i], options[i].def);
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

static const char *name_problem(const char *name, size_t nlen)
{
    if (nlen == 0 || nlen > FL_NS_NAME_MAX)
        return "name must be 1..63 bytes";
    for (size_t i = 0; i < nlen; i++) {
        unsigned char ch = (unsigned char)name[i];
        if (ch <= ' ' || ch >= 0x7f || ch == '\'' || ch == '"')
            return "name must be printable ASCII without spaces or quotes";
    }
    return NULL;
}

/* The first option out of its bounds, described into why; false when all are in bounds. */
static bool bounds_problem(const fl_ns_config_t *c, char *why, size_t len)
{
    for (size_t i = 0; i < FLS_NOPTIONS; i++) {
        const fl_ns_option_t *o = &options[i];
        int64_t v = fl_ns_option_get(c, o);
        if (o->kind == FL_OPT_DECAY && v == (int64_t)FL_DECAY_DEFAULT)
            continue;
        if (v >= o->min && v <= o->max) /* a size_t above INT64_MAX reads negative: refused */
            continue;
        snprintf(why, len, "%s must be %lld..%lld%s", o->name, (long long)o->min, (long long)o->max,
                 o->kind == FL_OPT_DECAY ? " or the default" : "");
        return true;
    }
    return false;
}

int fl_ns_config_check(const fl_ns_config_t *c, char *err, size_t errlen)
{
    char bounds[160];
    size_t nlen = strnlen(c->name, sizeof(c->name));
    const char *why = name_problem(c->name, nlen);
    if (why) {
    } else if (bounds_problem(c, bounds, sizeof(bounds))) {
        why = bounds;
    } else if ((c->partitions & (c->partitions - 1)) != 0) {
        why = "partitions must be a power of two in 1..65536";
    } else if (c->defrag_cycle_min > c->defrag_cycle_max) {
        why = "defrag-cycle-min must not exceed defrag-cycle-max";
    }
    if (!why)
        return fls_limit_check(c->name, c->memory_limit, c->stop_writes_pct, c->partitions, err,
                               errlen);
    if (err && errlen)
        snprintf(err, errlen, "namespace '%.*s': %s", (int)nlen, c->name, why);
    return FL_EINVAL;
}
