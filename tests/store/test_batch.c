/*
 * tests/store/test_batch.c: batches (fl_batch_begin) and watches (fl_watch_add), white-box:
 *   - a keys batch and a whole-store batch each make a sequence of writes atomic for readers
 *     on other threads (readers in batches of their own never see two keys differ), under
 *     concurrent single-key traffic, and the counts add up;
 *   - a key the batch did not declare is still locked to the end (and counted);
 *   - inside a batch the ordinary functions work (reads see the batch's own writes);
 *   - watches are marked by a write, a delete, an expiry change, a flush of an existing key,
 *     a lazy expiry, and not by writes to other keys, a flush of a missing key, or the
 *     deletion of a key already expired when watched (Redis 7.0's stale keys).
 */
#include "../testhelper.h"
#include "store_test_util.h"
#include "store_internal.h"

#include <errno.h>
#include <pthread.h>

static fl_store_t *store;
static fl_ns_t *ns;
static _Atomic int torn, errors;
enum { ROUNDS = 3000 };

static long long get_ll(fl_slice_t key)
{
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    if (fl_str_get(ns, key, &s) != FL_OK)
        errors++;
    return c.bulks ? atoll(c.last) : 0;
}

static void *pair_writer(void *arg)
{
    bool all = arg != NULL;
    fl_batch_key_t keys[2] = {{ns, S("left")}, {ns, S("right")}};
    for (int i = 0; i < ROUNDS; i++) {
        if (fl_batch_begin(store, keys, 2, all) != FL_OK) {
            errors++;
            continue;
        }
        int64_t v;
        if (fl_str_incrby(ns, S("left"), 1, &v) != FL_OK)
            errors++;
        for (int k = 0; k < 20; k++) /* widen the window a torn read would need */
            fl_str_set(ns, S("left-filler"), S("xxxxxxxxxxxxxxxx"), NULL, NULL);
        if (fl_str_incrby(ns, S("right"), 1, &v) != FL_OK)
            errors++;
        fl_batch_end();
    }
    return NULL;
}

static void *pair_reader(void *arg)
{
    (void)arg;
    fl_batch_key_t keys[2] = {{ns, S("right")}, {ns, S("left")}};
    for (int i = 0; i < ROUNDS; i++) {
        if (fl_batch_begin(store, keys, 2, false) != FL_OK) {
            errors++;
            continue;
        }
        if (get_ll(S("left")) != get_ll(S("right")))
            torn++;
        fl_batch_end();
    }
    return NULL;
}

static void *noise(void *arg)
{
    (void)arg;
    char key[32];
    for (int i = 0; i < ROUNDS * 4; i++) {
        snprintf(key, sizeof(key), "noise:%d", i % 97);
        int64_t v;
        fl_str_incrby(ns, S(key), 1, &v);
    }
    return NULL;
}

TEST(batches_are_atomic)
{
    store = open_one(64, 0, 90, 95);
    CHECK(store);
    ns = fl_store_ns(store, 0);
    pthread_t t[5];
    CHECK(pthread_create(&t[0], NULL, pair_writer, NULL) == 0);      /* keys batches */
    CHECK(pthread_create(&t[1], NULL, pair_writer, (void *)1) == 0); /* whole-store batches */
    CHECK(pthread_create(&t[2], NULL, pair_reader, NULL) == 0);
    CHECK(pthread_create(&t[3], NULL, pair_reader, NULL) == 0);
    CHECK(pthread_create(&t[4], NULL, noise, NULL) == 0);
    for (int i = 0; i < 5; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_I(errors, 0);
    CHECK_EQ_I(torn, 0);
    CHECK_EQ_I(get_ll(S("left")), 2 * ROUNDS);
    CHECK_EQ_I(get_ll(S("right")), 2 * ROUNDS);
    CHECK_EQ_I(get_ll(S("noise:0")), (ROUNDS * 4 + 96) / 97);
    fl_store_close(store);
}

TEST(undeclared_key_is_locked_to_the_end)
{
    store = open_one(64, 0, 90, 95);
    CHECK(store);
    ns = fl_store_ns(store, 0);
    uint64_t before = atomic_load(&fls_batch_undeclared);
    fl_batch_key_t k = {ns, S("declared")};
    CHECK(fl_batch_begin(store, &k, 1, false) == FL_OK);
    CHECK(fl_batch_active() && !fl_batch_holds_all());
    CHECK(fl_str_set(ns, S("declared"), S("1"), NULL, NULL) == FL_OK);
    /* Find a key in another partition than "declared". */
    fls_key_t a, b;
    fls_key_init(ns, S("declared"), &a);
    char other[32];
    for (int i = 0;; i++) {
        snprintf(other, sizeof(other), "other:%d", i);
        fls_key_init(ns, S(other), &b);
        if (b.pidx != a.pidx)
            break;
    }
    CHECK(fl_str_set(ns, S(other), S("2"), NULL, NULL) == FL_OK);
    CHECK_EQ_I(get_ll(S(other)), 2);                        /* the batch sees its own writes */
    CHECK(pthread_mutex_trylock(&b.part->lock.m) == EBUSY); /* still held by the batch */
    fl_batch_end();
    CHECK(!fl_batch_active());
    CHECK(atomic_load(&fls_batch_undeclared) > before);
    CHECK(pthread_mutex_trylock(&b.part->lock.m) == 0);
    pthread_mutex_unlock(&b.part->lock.m);
    fl_store_close(store);
}

TEST(watches)
{
    store = open_one(16, 0, 90, 95);
    CHECK(store);
    ns = fl_store_ns(store, 0);
    fl_watch_t *w, *other, *missing;
    CHECK(fl_str_set(ns, S("w"), S("1"), NULL, NULL) == FL_OK);
    CHECK(fl_watch_add(ns, S("w"), &w) == FL_OK);
    CHECK(fl_watch_add(ns, S("other"), &other) == FL_OK);
    CHECK(!fl_watch_changed(w) && !fl_watch_changed(other));
    CHECK(fl_str_set(ns, S("unrelated"), S("x"), NULL, NULL) == FL_OK);
    CHECK(!fl_watch_changed(w));
    CHECK(fl_str_set(ns, S("w"), S("2"), NULL, NULL) == FL_OK);
    CHECK(fl_watch_changed(w) && !fl_watch_changed(other));
    fl_watch_remove(w);

    bool applied;
    CHECK(fl_watch_add(ns, S("w"), &w) == FL_OK);
    CHECK(fl_key_expire_at(ns, S("w"), fl_now_ms() + 100000, &applied) == FL_OK && applied);
    CHECK(fl_watch_changed(w)); /* EXPIRE touches the key */
    fl_watch_remove(w);

    CHECK(fl_watch_add(ns, S("w"), &w) == FL_OK);
    CHECK(fl_watch_add(ns, S("nokey"), &missing) == FL_OK);
    CHECK(fl_ns_flush(ns) == FL_OK);
    CHECK(fl_watch_changed(w));        /* FLUSH of an existing key */
    CHECK(!fl_watch_changed(missing)); /* not of a missing one */
    fl_watch_remove(w);
    fl_watch_remove(missing);

    /* A live key that expires after WATCH counts as changed, even before anyone deletes it. */
    CHECK(fl_str_set(ns, S("e"), S("1"), &(fl_set_opts_t){fl_now_ms() + 50, 0}, NULL) == FL_OK);
    CHECK(fl_watch_add(ns, S("e"), &w) == FL_OK);
    sleep_ms(120);
    CHECK(fl_watch_changed(w));
    fl_watch_remove(w);

    /* A key already expired when watched: its deletion is no change, a new value is. */
    fls_bg_pause(store, true); /* no active expiry: the stale record stays until we delete it */
    CHECK(fl_str_set(ns, S("s"), S("1"), &(fl_set_opts_t){fl_now_ms() + 30, 0}, NULL) == FL_OK);
    sleep_ms(60);
    CHECK(fl_watch_add(ns, S("s"), &w) == FL_OK);
    CHECK(!fl_watch_changed(w));
    bool existed;
    CHECK(fl_key_exists(ns, S("s"), FL_LOOKUP_QUIET, &existed) == FL_OK &&
          !existed); /* lazy expiry deletes */
    CHECK(fl_key_del(ns, S("s"), &existed) == FL_OK);
    CHECK(!fl_watch_changed(w));
    CHECK(fl_str_set(ns, S("s"), S("new"), NULL, NULL) == FL_OK);
    CHECK(fl_watch_changed(w));
    fl_watch_remove(w);
    fls_bg_pause(store, false);

    CHECK(!fl_watch_changed(other));
    fl_watch_remove(other);
    fl_watch_remove(NULL);
    fl_store_close(store);
}

int main(void)
{
    RUN(batches_are_atomic);
    RUN(undeclared_key_is_locked_to_the_end);
    RUN(watches);
    return TEST_REPORT();
}
