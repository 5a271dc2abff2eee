/*
 * tests/store/test_asserts.c: the store's assertions fire (debug builds, FLATLINE_DEBUG).
 * Each case misuses the store in a forked child and expects it to abort naming the broken
 * rule: the commit point or a lookup without the partition lock, partition locks taken out of
 * order, eviction entered with a lock held, and counters that disagree with the table (found by
 * the walker at close). Release builds skip (the debug level is compiled out there).
 */
#include "../death.h"
#include "../testhelper.h"
#include "store_internal.h"
#include "store_test_util.h"

static fl_store_t *store;
static fl_ns_t *ns;

/* A key of ns, located (no lock taken). */
static fls_key_t key_of(const char *k)
{
    fls_key_t key;
    fls_key_init(ns, S(k), &key);
    return key;
}

static void commit_unlocked(void *ctx)
{
    (void)ctx;
    fls_key_t k = key_of("present");
    fls_wrlock(ns, k.part);
    fls_rec_t **ref = fls_find(&k);
    fls_unlock(ns, k.part);
    fls_commit_del(ns, k.pidx, ref, FLS_WRITE); /* the lock was released: must abort */
}

static void find_unlocked(void *ctx)
{
    (void)ctx;
    fls_key_t k = key_of("present");
    fls_find(&k);
}

static void locks_descending(void *ctx)
{
    (void)ctx;
    fls_wrlock(ns, &ns->parts[5]);
    fls_wrlock(ns, &ns->parts[2]); /* MSET's order is ascending: must abort */
}

static void evict_under_lock(void *ctx)
{
    (void)ctx;
    fls_wrlock(ns, &ns->parts[0]);
    fls_evict_one(ns, fl_now_ms());
}

static void count_drifts(void *ctx)
{
    (void)ctx;
    fls_key_t k = key_of("present");
    atomic_fetch_add(&k.part->count, 1); /* a key the table does not hold */
    fl_store_close(store);               /* the walker at close recounts: must abort */
}

TEST(commit_needs_the_lock)
{
    CHECK(th_dies(commit_unlocked, NULL, "fls_commit: assertion `fls_part_held_exclusive(p)'"));
}

TEST(lookup_needs_the_lock)
{
    CHECK(th_dies(find_unlocked, NULL, "fls_find: assertion `fls_part_held(p)'"));
}

TEST(lock_order_is_ascending)
{
    CHECK(th_dies(locks_descending, NULL, "check_order: assertion `p > t_last'"));
}

TEST(eviction_takes_no_lock_while_one_is_held)
{
    CHECK(th_dies(evict_under_lock, NULL, "fls_evict_one: assertion `fls_locks_held() == 0'"));
}

TEST(counters_are_recounted_at_close)
{
    CHECK(th_dies(count_drifts, NULL, "fls_part_check: assertion `n == count'"));
}

int main(void)
{
#ifndef FLATLINE_DEBUG
    TEST_SKIP("release build: the debug assertions are compiled out");
#endif
    store = open_one(16, 0, 90, 95);
    if (!store)
        return 1;
    ns = fl_store_ns(store, 0);
    if (fl_str_set(ns, S("present"), S("v"), NULL, NULL) != FL_OK)
        return 1;
    RUN(commit_needs_the_lock);
    RUN(lookup_needs_the_lock);
    RUN(lock_order_is_ascending);
    RUN(eviction_takes_no_lock_while_one_is_held);
    RUN(counters_are_recounted_at_close);
    fl_store_close(store);
    return TEST_REPORT();
}
