/*
 * src/store/key_events.c: key events for keyspace notifications (flatline/store.h,
 * fl_key_event_fn): which change of the commit point is a new key, a deletion by a write, an
 * expiry or an eviction, told to the callback the server installed.
 *
 * The commit point (table.c, fls_commit) calls fls_key_event_commit only while key_events_on,
 * so the store pays one relaxed load per commit when nobody listens; a counted read that finds
 * nothing (fls_read_begin, multikey.c) calls fls_key_event_miss, which checks the same flag. The
 * callback runs under the partition's write lock, before the change: per key, events come in commit
 * order, and a deleted key's bytes are still valid.
 */
#include "store_internal.h"

void fl_store_set_key_events(fl_store_t *store, fl_key_event_fn fn, void *ctx)
{
    atomic_store_explicit(&store->key_events_on, false, memory_order_relaxed);
    store->key_event_fn = fn;
    store->key_event_ctx = ctx;
}

void fl_store_key_events(fl_store_t *store, bool on)
{
    atomic_store_explicit(&store->key_events_on, on && store->key_event_fn != NULL,
                          memory_order_relaxed);
}

/* The calling thread reports nothing while set (fl_key_events_quiet). */
static _Thread_local bool quiet_thread;

void fl_key_events_quiet(bool quiet)
{
    quiet_thread = quiet;
}

static size_t ns_index(const fl_ns_t *ns)
{
    return (size_t)(ns - ns->store->ns);
}

void fls_key_event_miss(fl_ns_t *ns, const fls_key_t *k)
{
    fl_store_t *s = ns->store;
    if (atomic_load_explicit(&s->key_events_on, memory_order_relaxed) && !quiet_thread)
        s->key_event_fn(s->key_event_ctx, ns_index(ns), (fl_slice_t){k->p, k->n}, FL_KEY_MISS);
}

void fls_key_event_commit(fl_ns_t *ns, const fls_change_t *c)
{
    fl_store_t *s = ns->store;
    if (quiet_thread)
        return;
    fl_key_event_t ev;
    const fls_rec_t *r;
    switch (c->op) {
    case FLS_PUT:
        if (c->had_key)
            return; /* a replaced value: the key existed */
        ev = FL_KEY_NEW;
        r = c->rec;
        break;
    case FLS_DEL:
        ev = c->reason == FLS_EXPIRED   ? FL_KEY_EXPIRED
             : c->reason == FLS_EVICTED ? FL_KEY_EVICTED
                                        : FL_KEY_DELETED;
        r = c->old;
        break;
    case FLS_MODIFY:
    case FLS_FLUSH:
    default:
        return;
    }
    s->key_event_fn(s->key_event_ctx, ns_index(ns), (fl_slice_t){fls_rec_key(r), fls_rec_klen(r)},
                    ev);
}
