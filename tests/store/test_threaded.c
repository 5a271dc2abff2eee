/*
 * tests/store/test_threaded.c: multi-threaded stress. 6 threads run mixed operations on a
 * small shared key space (strings, hashes, TTLs, deletes, scans, stats) while the background
 * thread expires and evicts. Checked afterwards: per-thread INCRBY on one shared counter adds
 * up exactly (no lost update), every key reads back with a consistent type, the key and TTL
 * counters match a full walk, and used == the arena's requested bytes. Runs with mutex and
 * rwlock partitions, unlimited and with a small memory limit (eviction racing writers).
 * MSET: readers never see part of one, and crossing MSETs do not deadlock.
 * Labelled `threaded`: it also runs under TSan.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "../testhelper.h"
#include "store_internal.h"
#include "store_test_util.h"

#define THREADS 6
#define OPS 6000
#define KEYS 200

static fl_ns_t *ns;

static void nop_key(void *ctx, const char *k, size_t n)
{
    (void)k;
    (void)n;
    (*(size_t *)ctx)++;
}

static void *worker(void *arg)
{
    uint64_t x = (uintptr_t)arg * 0x9e3779b97f4a7c15ull + 1;
    char k[32], f[16], v[300];
    memset(v, 'q', sizeof(v));
    cap_t c;
    for (int i = 0; i < OPS; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        snprintf(k, sizeof(k), "k%u", (unsigned)(x % KEYS));
        snprintf(f, sizeof(f), "f%u", (unsigned)((x >> 20) % 8));
        fl_slice_t val = {v, (x >> 32) % sizeof(v)};
        fl_sink_t s = cap_sink(&c);
        int64_t r;
        size_t n;
        bool b;
        switch ((x >> 40) % 16) {
        case 0:
        case 1:
            fl_str_set(ns, S(k), val, NULL, NULL);
            break;
        case 2:
            fl_str_get(ns, S(k), &s);
            break;
        case 3:
            if (fl_str_append(ns, S(k), S("ab"), &n) == FL_OK && n > 2000)
                fl_key_del(ns, S(k), NULL);
            break;
        case 4:
            fl_str_incrby(ns, S(k), 1, &r);
            break;
        case 5: {
            fl_slice_t fv[2] = {S(f), val};
            fl_hash_set(ns, S(k), fv, 1, NULL);
            break;
        }
        case 6:
            fl_hash_getall(ns, S(k), &s);
            break;
        case 7: {
            fl_slice_t fl[1] = {S(f)};
            fl_hash_del(ns, S(k), fl, 1, NULL);
            break;
        }
        case 8:
            fl_key_del(ns, S(k), NULL);
            break;
        case 9:
            fl_key_expire_at(ns, S(k), fl_now_ms() + (int64_t)((x >> 8) % 60), NULL);
            break;
        case 10:
            fl_key_ttl_ms(ns, S(k), &r);
            fl_key_persist(ns, S(k), &b);
            break;
        case 11: {
            fl_set_opts_t o = {0, FL_SET_GET | ((x >> 3) & 1 ? FL_SET_NX : FL_SET_XX)};
            fl_str_set(ns, S(k), val, &o, &s);
            break;
        }
        case 12:
            fl_str_getdel(ns, S(k), &s);
            break;
        case 13: {
            uint64_t cur = 0;
            size_t seen = 0;
            fl_key_scan(ns, (x >> 5) % 3 == 0 ? 0 : cur, "k1*", 3, 20, nop_key, &seen, &cur);
            break;
        }
        case 14: {
            fl_ns_stats_t st;
            fl_ns_stats(ns, &st);
            fl_key_memory_usage(ns, S(k), &n);
            break;
        }
        default:
            fl_hash_incrby(ns, S(k), S(f), 1, &r);
            break;
        }
        /* the shared counter: one key every thread increments */
        if (i % 8 == 0)
            fl_str_incrby(ns, S("counter"), 1, &r);
    }
    return NULL;
}

static int run_stress(bool rwlock, size_t limit)
{
    fls_set_default_rwlock(rwlock);
    fl_store_t *st = open_one(16, limit, 80, 100);
    fls_set_default_rwlock(false);
    if (!st)
        return 0;
    ns = fl_store_ns(st, 0);
    pthread_t t[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(i + 1));
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    fls_bg_pause(st, true);
    int ok = 1;
    if (limit == 0) {
        cap_t c;
        fl_sink_t s = cap_sink(&c);
        fl_str_get(ns, S("counter"), &s);
        char want[32];
        snprintf(want, sizeof(want), "%d", THREADS * (OPS / 8));
        if (strcmp(c.last, want) != 0) {
            fprintf(stderr, "counter %s, want %s\n", c.last, want);
            ok = 0;
        }
    }
    /* counters match a walk; records are well-formed */
    uint64_t keys = 0, ttl = 0;
    for (uint32_t p = 0; p < ns->nparts; p++) {
        fls_part_t *part = &ns->parts[p];
        fls_wrlock(ns, part);
        for (size_t i = 0; i < fls_part_slots(part); i++) {
            fls_rec_t *r = part->b[i];
            if (!r)
                continue;
            keys++;
            ttl += fls_rec_expiry(r) != 0;
            if (r->type != FL_TYPE_STRING && r->type != FL_TYPE_HASH)
                ok = 0;
            if (r->type == FL_TYPE_HASH && fls_hash_type.len(fls_rec_desc(r)) == 0)
                ok = 0;
        }
        fls_unlock(ns, part);
    }
    fl_ns_stats_t s;
    fl_ns_stats(ns, &s);
    if (s.keys != keys || s.keys_with_ttl != ttl) {
        fprintf(stderr, "counters %ju/%ju, walk %ju/%ju\n", (uintmax_t)s.keys,
                (uintmax_t)s.keys_with_ttl, (uintmax_t)keys, (uintmax_t)ttl);
        ok = 0;
    }
    size_t used = 0, req = 0;
    if (!used_matches_arena(ns, &used, &req)) {
        fprintf(stderr, "used %zu != requested %zu\n", used, req);
        ok = 0;
    }
    if (limit && used > limit) {
        fprintf(stderr, "used %zu over the limit %zu\n", used, limit);
        ok = 0;
    }
    fprintf(stderr, "  %s, limit %zu: %ju keys, %ju expired, %ju evicted, used %zu\n",
            rwlock ? "rwlock" : "mutex", limit, (uintmax_t)s.keys, (uintmax_t)s.expired,
            (uintmax_t)s.evicted, used);
    fls_bg_pause(st, false);
    fl_store_close(st);
    return ok;
}

TEST(stress_mutex)
{
    CHECK(run_stress(false, 0));
}

TEST(stress_rwlock)
{
    CHECK(run_stress(true, 0));
}

TEST(stress_with_eviction)
{
    CHECK(run_stress(false, 20 * 1024));
    CHECK(run_stress(true, 20 * 1024));
}

/* MSET atomicity: one writer sets MKEYS keys to i (i = 1, 2, ...) with each MSET; readers
 * read the keys in order and must never see a later key older than an earlier one (a reader
 * that saw key j at i has to see key j+1 at >= i). Two more writers MSET another key set in
 * opposite orders (deadlock check: partitions are locked in ascending order). */
#define MKEYS 8
#define MSET_ROUNDS 3000
static _Atomic bool mset_done;
static _Atomic int mset_torn;

static void mkey(char *buf, size_t n, const char *pfx, int j)
{
    snprintf(buf, n, "%s%d", pfx, j);
}

static void *mset_writer(void *arg)
{
    (void)arg;
    char keys[MKEYS][16], vals[MKEYS][24];
    fl_slice_t kv[2 * MKEYS];
    for (int i = 1; i <= MSET_ROUNDS; i++) {
        for (int j = 0; j < MKEYS; j++) {
            mkey(keys[j], sizeof(keys[j]), "m", j);
            snprintf(vals[j], sizeof(vals[j]), "%d", i);
            kv[2 * j] = S(keys[j]);
            kv[2 * j + 1] = S(vals[j]);
        }
        fl_str_mset(ns, kv, MKEYS);
    }
    atomic_store(&mset_done, true);
    return NULL;
}

static void *mset_reader(void *arg)
{
    (void)arg;
    char k[16];
    for (int round = 0; round < 100000 && !atomic_load(&mset_done); round++) {
        long prev = 0;
        for (int j = 0; j < MKEYS; j++) {
            cap_t c;
            fl_sink_t sk = cap_sink(&c);
            mkey(k, sizeof(k), "m", j);
            fl_str_get(ns, S(k), &sk);
            long v = c.bulks ? atol(c.last) : 0;
            if (v < prev)
                atomic_fetch_add(&mset_torn, 1);
            prev = v;
        }
    }
    return NULL;
}

static void *mset_crosser(void *arg)
{
    bool reverse = arg != NULL;
    char keys[MKEYS][16];
    fl_slice_t kv[2 * MKEYS];
    for (int j = 0; j < MKEYS; j++) {
        int at = reverse ? MKEYS - 1 - j : j;
        mkey(keys[j], sizeof(keys[j]), "d", j);
        kv[2 * at] = S(keys[j]);
        kv[2 * at + 1] = S(reverse ? "r" : "f");
    }
    for (int i = 0; i < MSET_ROUNDS / 2; i++)
        fl_str_mset(ns, kv, MKEYS);
    return NULL;
}

static bool run_mset(bool rwlock)
{
    fls_set_default_rwlock(rwlock);
    fl_store_t *st = open_one(64, 0, 100, 100);
    fls_set_default_rwlock(false);
    if (!st)
        return false;
    ns = fl_store_ns(st, 0);
    atomic_store(&mset_done, false);
    atomic_store(&mset_torn, 0);
    pthread_t t[5];
    pthread_create(&t[0], NULL, mset_writer, NULL);
    pthread_create(&t[1], NULL, mset_reader, NULL);
    pthread_create(&t[2], NULL, mset_reader, NULL);
    pthread_create(&t[3], NULL, mset_crosser, NULL);
    pthread_create(&t[4], NULL, mset_crosser, (void *)1);
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    bool ok = atomic_load(&mset_torn) == 0 && fl_ns_size(ns) == 2 * MKEYS;
    if (!ok)
        fprintf(stderr, "mset: %d torn reads, %zu keys\n", atomic_load(&mset_torn), fl_ns_size(ns));
    size_t used = 0, req = 0;
    ok = ok && used_matches_arena(ns, &used, &req);
    fl_store_close(st);
    return ok;
}

TEST(mset_atomic)
{
    CHECK(run_mset(false));
    CHECK(run_mset(true));
}

/* MGET, EXISTS, DEL and TOUCH over several keys are atomic too: a writer MSETs the MKEYS keys
 * to i, a deleter DELs all of them at once; MGET readers must see either no key or every key
 * with one value, EXISTS/TOUCH readers 0 or MKEYS (never part of an MSET or of a DEL). Readers
 * name the keys in opposite orders (partitions are still locked ascending: no deadlock). */
static _Atomic int multi_torn;
static _Atomic int multi_seen_full, multi_seen_empty;
static _Atomic bool multi_stop;

static void multi_keys(char keys[MKEYS][16], fl_slice_t *k, bool reverse)
{
    for (int j = 0; j < MKEYS; j++) {
        mkey(keys[j], sizeof(keys[j]), "m", j);
        k[reverse ? MKEYS - 1 - j : j] = S(keys[j]);
    }
}

static void *multi_deleter(void *arg)
{
    (void)arg;
    char keys[MKEYS][16];
    fl_slice_t k[MKEYS];
    multi_keys(keys, k, false);
    while (!atomic_load(&multi_stop)) {
        size_t d = 0;
        fl_keys_del(ns, k, MKEYS, &d);
        if (d != 0 && d != MKEYS)
            atomic_fetch_add(&multi_torn, 1);
        sched_yield();
    }
    return NULL;
}

static void *multi_mget_reader(void *arg)
{
    char keys[MKEYS][16];
    fl_slice_t k[MKEYS];
    multi_keys(keys, k, arg != NULL);
    while (!atomic_load(&multi_stop)) {
        cap_t c;
        fl_sink_t sk = cap_sink(&c);
        fl_str_mget(ns, k, MKEYS, &sk);
        /* c.all is "v|v|...": all nil, or MKEYS equal values */
        if (c.nils == MKEYS) {
            atomic_fetch_add(&multi_seen_empty, 1);
            continue;
        }
        bool same = c.bulks == MKEYS;
        const char *first = c.all, *bar = strchr(first, '|');
        size_t flen = bar ? (size_t)(bar - first) : strlen(first);
        for (const char *p = c.all; same && p && *p; p = strchr(p, '|') ? strchr(p, '|') + 1 : NULL)
            same = strncmp(p, first, flen) == 0 && (p[flen] == '|' || p[flen] == '\0');
        if (!same)
            atomic_fetch_add(&multi_torn, 1);
        else
            atomic_fetch_add(&multi_seen_full, 1);
    }
    return NULL;
}

static void *multi_count_reader(void *arg)
{
    char keys[MKEYS][16];
    fl_slice_t k[MKEYS];
    multi_keys(keys, k, arg != NULL);
    for (int round = 0; !atomic_load(&multi_stop); round++) {
        size_t n = 0;
        if (round % 2)
            fl_keys_touch(ns, k, MKEYS, &n);
        else
            fl_keys_exists(ns, k, MKEYS, &n);
        if (n != 0 && n != MKEYS)
            atomic_fetch_add(&multi_torn, 1);
    }
    return NULL;
}

static bool run_multi(bool rwlock)
{
    fls_set_default_rwlock(rwlock);
    fl_store_t *st = open_one(64, 0, 100, 100);
    fls_set_default_rwlock(false);
    if (!st)
        return false;
    ns = fl_store_ns(st, 0);
    atomic_store(&multi_stop, false);
    atomic_store(&multi_torn, 0);
    atomic_store(&multi_seen_full, 0);
    atomic_store(&multi_seen_empty, 0);
    pthread_t t[6];
    pthread_create(&t[1], NULL, multi_deleter, NULL);
    pthread_create(&t[2], NULL, multi_mget_reader, NULL);
    pthread_create(&t[3], NULL, multi_mget_reader, (void *)1);
    pthread_create(&t[4], NULL, multi_count_reader, NULL);
    pthread_create(&t[5], NULL, multi_count_reader, (void *)1);
    /* the writer last, and again while the readers have not seen the keys a few times */
    for (int i = 0; i < 50 && (i == 0 || atomic_load(&multi_seen_full) < 100); i++) {
        pthread_create(&t[0], NULL, mset_writer, NULL);
        pthread_join(t[0], NULL);
    }
    atomic_store(&multi_stop, true);
    for (int i = 1; i < 6; i++)
        pthread_join(t[i], NULL);
    fprintf(stderr, "  %s: torn %d, full %d, empty %d\n", rwlock ? "rwlock" : "mutex",
            atomic_load(&multi_torn), atomic_load(&multi_seen_full),
            atomic_load(&multi_seen_empty));
    bool ok = atomic_load(&multi_torn) == 0 && atomic_load(&multi_seen_full) > 0;
    size_t used = 0, req = 0;
    ok = ok && used_matches_arena(ns, &used, &req);
    fl_store_close(st);
    return ok;
}

TEST(multi_key_atomic)
{
    CHECK(run_multi(false));
    CHECK(run_multi(true));
}

int main(void)
{
    RUN(stress_mutex);
    RUN(stress_rwlock);
    RUN(stress_with_eviction);
    RUN(mset_atomic);
    RUN(multi_key_atomic);
    return TEST_REPORT();
}
