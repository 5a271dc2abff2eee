/*
 * tests/store/test_key_events.c: the store's key events (fl_store_set_key_events), which the
 * server's keyspace notifications are built on. With a recording callback: a new key is NEW once
 * (not when replaced or changed in place), DEL and a collection left empty are DELETED, a read
 * of a missing key is MISS (a quiet lookup is not), a lazily expired key is EXPIRED on access
 * and an actively expired one from fls_expire_step, an evicted key is EVICTED; nothing while
 * switched off, nothing on a quiet thread (fl_key_events_quiet), nothing for FLUSHDB. The
 * background thread is paused: every event here comes from the test's own calls.
 */
#include <string.h>

#include "../testhelper.h"
#include "flatline/collections.h"
#include "store_internal.h"
#include "store_test_util.h"

#define MAX_EVENTS 64

typedef struct seen {
    fl_key_event_t ev;
    size_t ns_index;
    char key[32];
} seen_t;

static seen_t events[MAX_EVENTS];
static size_t nevents;

static void record(void *ctx, size_t ns_index, fl_slice_t key, fl_key_event_t ev)
{
    (void)ctx;
    if (nevents == MAX_EVENTS)
        return;
    seen_t *s = &events[nevents++];
    s->ev = ev;
    s->ns_index = ns_index;
    size_t n = key.n < sizeof(s->key) - 1 ? key.n : sizeof(s->key) - 1;
    memcpy(s->key, key.p, n);
    s->key[n] = '\0';
}

/* Whether exactly the events (ev, key) given were recorded since the last call, in order. */
static bool saw(size_t n, const fl_key_event_t *ev, const char *const *keys)
{
    bool ok = nevents == n;
    for (size_t i = 0; ok && i < n; i++)
        ok = events[i].ev == ev[i] && strcmp(events[i].key, keys[i]) == 0;
    if (!ok) {
        fprintf(stderr, "  recorded %zu events:", nevents);
        for (size_t i = 0; i < nevents; i++)
            fprintf(stderr, " (%d %s)", (int)events[i].ev, events[i].key);
        fprintf(stderr, "\n");
    }
    nevents = 0;
    return ok;
}
#define SAW(...)                                                                                   \
    saw(sizeof((fl_key_event_t[]){__VA_ARGS__}) / sizeof(fl_key_event_t),                          \
        (fl_key_event_t[]){__VA_ARGS__}, keys)

static fl_store_t *st;
static fl_ns_t *ns;

TEST(new_and_deleted)
{
    fl_ns_flush(ns);
    nevents = 0;
    {
        const char *keys[] = {"a"};
        CHECK_EQ_I(fl_str_set(ns, S("a"), S("1"), NULL, NULL), FL_OK);
        CHECK(SAW(FL_KEY_NEW));
    }
    {
        const char *keys[] = {""};
        CHECK_EQ_I(fl_str_set(ns, S("a"), S("2"), NULL, NULL), FL_OK); /* replaced: no event */
        int64_t r;
        CHECK_EQ_I(fl_str_incrby(ns, S("a"), 1, &r), FL_OK); /* in place: none either */
        CHECK(saw(0, NULL, keys));
    }
    {
        const char *keys[] = {"a"};
        bool deleted;
        CHECK_EQ_I(fl_key_del(ns, S("a"), &deleted), FL_OK);
        CHECK(deleted && SAW(FL_KEY_DELETED));
    }
    {
        const char *keys[] = {"l", "l"};
        fl_slice_t e = S("x");
        size_t len;
        CHECK_EQ_I(fl_list_push(ns, S("l"), false, &e, 1, false, &len), FL_OK);
        cap_t c;
        fl_sink_t s = cap_sink(&c);
        size_t popped;
        CHECK_EQ_I(fl_list_pop(ns, S("l"), false, 1, false, &s, &popped), FL_OK);
        CHECK(popped == 1 && SAW(FL_KEY_NEW, FL_KEY_DELETED)); /* the emptied list is gone */
    }
    {
        const char *keys[] = {""};
        CHECK_EQ_I(fl_str_set(ns, S("f"), S("1"), NULL, NULL), FL_OK);
        nevents = 0;
        CHECK_EQ_I(fl_ns_flush(ns), FL_OK); /* FLUSHDB tells nothing, as Redis */
        CHECK(saw(0, NULL, keys));
    }
}

TEST(misses)
{
    fl_ns_flush(ns);
    nevents = 0;
    const char *keys[] = {"nope", "nope"};
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK_EQ_I(fl_str_get(ns, S("nope"), &s), FL_OK);
    bool exists;
    CHECK_EQ_I(fl_key_exists(ns, S("nope"), FL_LOOKUP_META, &exists), FL_OK);
    CHECK_EQ_I(fl_key_exists(ns, S("nope"), FL_LOOKUP_QUIET, &exists), FL_OK); /* not counted */
    CHECK(SAW(FL_KEY_MISS, FL_KEY_MISS));
}

TEST(expired_lazily_and_actively)
{
    int64_t at = 0;
    /* Both keys must be set before they expire; on a stalled machine, set them again. */
    for (int attempt = 0; attempt < 5 && (at == 0 || fl_now_ms() >= at); attempt++) {
        fl_ns_flush(ns);
        at = fl_now_ms() + 100;
        fl_set_opts_t o = {at, 0};
        CHECK_EQ_I(fl_str_set(ns, S("lazy"), S("v"), &o, NULL), FL_OK);
        CHECK_EQ_I(fl_str_set(ns, S("active"), S("v"), &o, NULL), FL_OK);
    }
    CHECK(fl_now_ms() < at);
    nevents = 0;
    while (fl_now_ms() <= at)
        sleep_ms(5);
    {
        const char *keys[] = {"lazy", "lazy"};
        cap_t c;
        fl_sink_t s = cap_sink(&c);
        CHECK_EQ_I(fl_str_get(ns, S("lazy"), &s), FL_OK);
        CHECK(SAW(FL_KEY_EXPIRED, FL_KEY_MISS)); /* removed, then the read misses */
    }
    {
        const char *keys[] = {"active"};
        CHECK_EQ_U(fls_expire_step(ns, 100, fl_now_ms()), 1);
        CHECK(SAW(FL_KEY_EXPIRED));
    }
}

TEST(evicted)
{
    fl_ns_flush(ns);
    CHECK_EQ_I(fl_str_set(ns, S("victim"), S("v"), NULL, NULL), FL_OK);
    nevents = 0;
    const char *keys[] = {"victim"};
    CHECK(fls_evict_one(ns, fl_now_ms()));
    CHECK(SAW(FL_KEY_EVICTED));
}

TEST(off_and_quiet)
{
    fl_ns_flush(ns);
    nevents = 0;
    const char *keys[] = {""};
    fl_store_key_events(st, false);
    CHECK_EQ_I(fl_str_set(ns, S("x"), S("1"), NULL, NULL), FL_OK);
    fl_store_key_events(st, true);
    fl_key_events_quiet(true);
    CHECK_EQ_I(fl_str_set(ns, S("y"), S("1"), NULL, NULL), FL_OK);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK_EQ_I(fl_str_get(ns, S("nope"), &s), FL_OK);
    fl_key_events_quiet(false);
    CHECK(saw(0, NULL, keys));
}

int main(void)
{
    st = open_one(4, 0, 100, 100);
    if (!st)
        return 1;
    ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    fl_store_set_key_events(st, record, NULL);
    fl_store_key_events(st, true);
    RUN(new_and_deleted);
    RUN(misses);
    RUN(expired_lazily_and_actively);
    RUN(evicted);
    RUN(off_and_quiet);
    fl_store_close(st);
    return TEST_REPORT();
}
