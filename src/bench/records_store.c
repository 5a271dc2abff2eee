/*
 * records_store.c: db-churn's records as values in libflatline's namespace store (the "store"
 * and "store-defrag" columns, flatline-bench-runner-store): record i is the string key
 * "rec:<i>", written with fl_str_set, read with fl_str_get, removed with fl_key_del, as
 * flatline-server's SET, GET and DEL do. The namespace is a memory-only one with the store's
 * default options, except that without --store-defrag on its active defragmentation is off
 * (defrag-pct 0); with it, the store's background thread moves values out of sparse slabs by
 * the default policy, as flatline-server does. --store-option NAME=VALUE sets any other option
 * of the namespace (the store's own table, FL_NS_OPTIONS); --store-defrag off wins over a
 * defrag-pct given that way.
 *
 * Live bytes are the values' sizes, as the heap records count their blocks: the store's keys,
 * record headers and index are overhead, in RSS like the heap runner's own table.
 * State: set once by bw_records_open before any worker starts, then only read; the store
 * synchronises itself, and the workload's slot lock orders the writes of one record.
 */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flatline/store.h"

#define VALUE_MAX (64 * 1024)

static fl_store_t *store;
static fl_ns_t *ns;
static bool defrag;
static char value_bytes[VALUE_MAX]; /* every value's contents (a pattern) */

static fl_slice_t key_of(char *buf, size_t len, uint64_t slot)
{
    int n = snprintf(buf, len, "rec:%llu", (unsigned long long)slot);
    return (fl_slice_t){buf, (size_t)n};
}

/* Applies one --store-option NAME=VALUE to c. 0, or -1 after reporting why. */
static int apply_option(fl_ns_config_t *c, const char *kv)
{
    const char *eq = strchr(kv, '=');
    const fl_ns_option_t *o = eq ? fl_ns_option_find(kv, (size_t)(eq - kv)) : NULL;
    if (!o) {
        bw_report("error unknown store option '%s' (want NAME=VALUE, NAME of FL_NS_OPTIONS)", kv);
        return -1;
    }
    char *end;
    long long v = strtoll(eq + 1, &end, 10);
    if (*end || end == eq + 1) {
        bw_report("error store option '%s' wants a whole number", kv);
        return -1;
    }
    fl_ns_option_set(c, o, v);
    return 0;
}

int bw_records_open(const bw_params_t *p)
{
    if (p->store_defrag < 0) {
        bw_report("error flatline-bench-runner-store keeps records in the store: give "
                  "--store-defrag on or off");
        return -1;
    }
    defrag = p->store_defrag == 1;
    memset(value_bytes, 'v', sizeof value_bytes);
    fl_ns_config_t c;
    fl_ns_config_default(&c, "bench");
    c.storage = FL_STORAGE_MEMORY;
    for (unsigned i = 0; i < p->nstore_options; i++)
        if (apply_option(&c, p->store_options[i]) != 0)
            return -1;
    if (!defrag) /* whatever the options say */
        c.defrag_pct = 0;
    char err[256];
    if (fl_ns_config_check(&c, err, sizeof err) != FL_OK ||
        fl_store_open(&store, &c, 1, err, sizeof err) != FL_OK) {
        bw_report("error the store: %s", err);
        return -1;
    }
    ns = fl_store_ns(store, 0);
    return 0;
}

void bw_records_close(void)
{
    if (store)
        fl_store_close(store);
    store = NULL;
    ns = NULL;
}

int bw_record_set(bw_rec_t *r, uint64_t slot, size_t size)
{
    char kb[32];
    if (size > VALUE_MAX)
        size = VALUE_MAX;
    fl_slice_t val = {value_bytes, size};
    if (fl_str_set(ns, key_of(kb, sizeof kb, slot), val, NULL, NULL) != FL_OK)
        return -1;
    bw_live_add((int64_t)size - (int64_t)r->size);
    r->size = (uint32_t)size;
    return 0;
}

void bw_record_clear(bw_rec_t *r, uint64_t slot)
{
    char kb[32];
    bool deleted = false;
    fl_key_del(ns, key_of(kb, sizeof kb, slot), &deleted);
    if (!deleted)
        bw_report("error record %llu was not in the store", (unsigned long long)slot);
    bw_live_add(-(int64_t)r->size);
    r->size = 0;
}

typedef struct read_ctx {
    void *buf;
    size_t n;
} read_ctx_t;

static void copy_bulk(void *ctx, const char *p, size_t n)
{
    read_ctx_t *rc = ctx;
    memcpy(rc->buf, p, n < rc->n ? n : rc->n);
}

static void copy_bulk2(void *ctx, const char *p, size_t n, const char *q, size_t m)
{
    read_ctx_t *rc = ctx;
    fl_value_t v = {{p, n}, {q, m}};
    fl_value_copy(v, 0, n + m < rc->n ? n + m : rc->n, rc->buf);
}

static void no_value(void *ctx)
{
    (void)ctx;
}

static void no_array(void *ctx, size_t n)
{
    (void)ctx;
    (void)n;
}

void bw_record_read(const bw_rec_t *r, uint64_t slot, void *buf, size_t n)
{
    (void)r;
    char kb[32];
    read_ctx_t ctx = {buf, n};
    fl_sink_t sink = {
        .ctx = &ctx, .bulk = copy_bulk, .nil = no_value, .array = no_array, .bulk2 = copy_bulk2};
    fl_str_get(ns, key_of(kb, sizeof kb, slot), &sink);
}

const char *bw_records_kind(void)
{
    return defrag ? "store-defrag" : "store";
}

int bw_records_stats(char *buf, size_t len)
{
    fl_ns_stats_t st;
    if (len)
        buf[0] = '\0';
    if (!ns || fl_ns_stats(ns, &st) != FL_OK)
        return 0;
    return snprintf(buf, len,
                    " store_keys=%llu store_used=%zu store_resident=%zu defrag_passes=%llu "
                    "defrag_moves=%llu defrag_bytes_moved=%llu",
                    (unsigned long long)st.keys, st.used, st.mem.resident,
                    (unsigned long long)st.defrag_passes, (unsigned long long)st.defrag_moves,
                    (unsigned long long)st.defrag_bytes_moved);
}
