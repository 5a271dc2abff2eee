/*
 * tests/store/store_test_util.h: helpers shared by the store's unit tests: a sink that records
 * what the store emits, slices from C strings, and a store opened with small test settings.
 */
#ifndef STORE_TEST_UTIL_H
#define STORE_TEST_UTIL_H

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "flatline/store.h"

/* Records the last emitted bulk (up to 255 bytes) and counts every call. */
typedef struct cap {
    char last[256];
    size_t last_len;
    int bulks, nils, arrays;
    int bulk2s; /* of the bulks, those given in two spans */
    size_t array_n;
    char all[4096]; /* every bulk, '|'-separated, nil as "(nil)" */
    size_t all_len;
} cap_t;

static void cap_more(cap_t *c, const char *p, size_t n)
{
    for (size_t i = 0; i < n && c->all_len < sizeof(c->all) - 1; i++)
        c->all[c->all_len++] = p[i];
    c->all[c->all_len] = 0;
}

static void cap_add(cap_t *c, const char *p, size_t n)
{
    if (c->all_len && c->all_len < sizeof(c->all) - 1)
        c->all[c->all_len++] = '|';
    for (size_t i = 0; i < n && c->all_len < sizeof(c->all) - 1; i++)
        c->all[c->all_len++] = p[i];
    c->all[c->all_len] = 0;
}

static void cap_bulk(void *ctx, const char *p, size_t n)
{
    cap_t *c = ctx;
    c->bulks++;
    c->last_len = n < sizeof(c->last) - 1 ? n : sizeof(c->last) - 1;
    memcpy(c->last, p, c->last_len);
    c->last[c->last_len] = 0;
    cap_add(c, p, n);
}

/* A value in two spans (a split string): captured as the one string it is. */
static void cap_bulk2(void *ctx, const char *p, size_t n, const char *q, size_t m)
{
    cap_t *c = ctx;
    c->bulks++;
    c->bulk2s++;
    size_t room = sizeof(c->last) - 1;
    size_t a = n < room ? n : room, b = m < room - a ? m : room - a;
    memcpy(c->last, p, a);
    memcpy(c->last + a, q, b);
    c->last_len = a + b;
    c->last[c->last_len] = 0;
    cap_add(c, p, n);
    cap_more(c, q, m); /* the tail continues the same string */
}

static void cap_nil(void *ctx)
{
    cap_t *c = ctx;
    c->nils++;
    c->last[0] = 0;
    c->last_len = 0;
    cap_add(c, "(nil)", 5);
}

static void cap_array(void *ctx, size_t n)
{
    cap_t *c = ctx;
    c->arrays++;
    c->array_n = n;
}

static inline fl_sink_t cap_sink(cap_t *c)
{
    memset(c, 0, sizeof(*c));
    fl_sink_t s = {c, cap_bulk, cap_nil, cap_array, cap_bulk2, NULL};
    return s;
}

static inline fl_slice_t S(const char *s)
{
    fl_slice_t x = {s, strlen(s)};
    return x;
}

static inline void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Opens a one-namespace store named "test" with `parts` partitions, the given limit and
 * eviction policy. */
static inline fl_store_t *open_policy(unsigned parts, size_t limit, unsigned hw, unsigned stop,
                                      fl_evict_policy_t policy)
{
    fl_ns_config_t c;
    fl_ns_config_default(&c, "test");
    c.partitions = parts;
    c.memory_limit = limit;
    c.high_water_pct = hw;
    c.stop_writes_pct = stop;
    c.evict_policy = (int)policy;
    fl_store_t *s = NULL;
    char err[256];
    if (fl_store_open(&s, &c, 1, err, sizeof(err)) != FL_OK) {
        fprintf(stderr, "fl_store_open: %s\n", err);
        return NULL;
    }
    return s;
}

/* Namespace 0 of s keeps string values plain (string-compress-min 0): for tests that size
 * memory by value lengths with values that would compress (memset). Returns s. */
static inline fl_store_t *plain_values(fl_store_t *s)
{
    if (!s)
        return NULL;
    fl_ns_t *ns = fl_store_ns(s, 0);
    fl_ns_config_t c = *fl_ns_config(ns);
    char err[128];
    c.string_compress_min = 0;
    return fl_ns_reconfigure(ns, &c, err, sizeof(err)) == FL_OK ? s : NULL;
}

/* open_policy with allkeys-lru, the policy of a cache. */
static inline fl_store_t *open_one(unsigned parts, size_t limit, unsigned hw, unsigned stop)
{
    return open_policy(parts, limit, hw, stop, FL_EVICT_ALLKEYS_LRU);
}

/* used == the arena's requested bytes (the lifecycle-separation evidence). */
/* A defrag walk's move callback (fls_walk_ops_t) that moves every block it is offered to a new
 * place in the arena, counting what moved and what fl_arena_move kept in place. */
typedef struct mover {
    fl_arena_t *arena;
    size_t moved, kept;
} mover_t;

static inline void *move_one(void *ctx, void *ptr, size_t size)
{
    mover_t *m = ctx;
    void *p = fl_arena_move(m->arena, ptr, size);
    if (!p) {
        m->kept++;
        return ptr;
    }
    m->moved++;
    return p;
}

static inline int used_matches_arena(fl_ns_t *ns, size_t *used, size_t *requested)
{
    fl_ns_stats_t st;
    if (fl_ns_stats(ns, &st) != FL_OK)
        return 0;
    *used = st.used;
    *requested = st.mem.requested;
    return st.mem.requested_known && st.used == st.mem.requested;
}

#endif
