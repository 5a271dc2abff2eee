/*
 * src/server/notify.c: keyspace notifications (notify.h), as Redis 7.0's notify.c: the class
 * letters of notify-keyspace-events, the two channels per event, and the store's key events
 * (new, expired, evicted keys reported by the commit point; deletions recorded for the
 * handler that caused them).
 *
 * Invariants: srv_notify_classes is 0 unless K or E is configured, so a disabled class costs
 * a caller one relaxed load; the store reports key events only while a class that needs them
 * is on. Messages go through srv_pubsub_publish, whose registry lock orders them: every
 * subscriber sees one server-wide order, and one thread's events in the order it published
 * them. The record of a write's deletions and creations is thread-local
 * (each worker, the background thread), a byte buffer of entries (entry_head_t, then the key's
 * bytes), cleared by the next handler's srv_notify_begin.
 */
#include "notify.h"
#include "pubsub.h"

#include <stdlib.h>
#include <string.h>

atomic_uint srv_notify_classes;

/* The letters in Redis's canonical order (keyspaceEventsFlagsToString), each with its class. */
static const struct {
    char letter;
    unsigned flag;
} classes[] = {
    {'g', SRV_NOTIFY_GENERIC},  {'$', SRV_NOTIFY_STRING},   {'l', SRV_NOTIFY_LIST},
    {'s', SRV_NOTIFY_SET},      {'h', SRV_NOTIFY_HASH},     {'z', SRV_NOTIFY_ZSET},
    {'x', SRV_NOTIFY_EXPIRED},  {'e', SRV_NOTIFY_EVICTED},  {'t', SRV_NOTIFY_STREAM},
    {'d', SRV_NOTIFY_MODULE},   {'n', SRV_NOTIFY_NEW},      {'K', SRV_NOTIFY_KEYSPACE},
    {'E', SRV_NOTIFY_KEYEVENT}, {'m', SRV_NOTIFY_KEY_MISS},
};
#define NCLASSES (sizeof(classes) / sizeof(classes[0]))
#define NTYPE_LETTERS 11 /* g ... n: the letters "A" replaces in the canonical text */

int srv_notify_parse(const char *s, unsigned *flags)
{
    unsigned f = 0;
    for (; *s; s++) {
        if (*s == 'A') {
            f |= SRV_NOTIFY_ALL;
            continue;
        }
        size_t i = 0;
        while (i < NCLASSES && classes[i].letter != *s)
            i++;
        if (i == NCLASSES)
            return -1;
        f |= classes[i].flag;
    }
    *flags = f;
    return 0;
}

void srv_notify_format(unsigned flags, char *buf, size_t len)
{
    /* As Redis: "A" stands for the type letters (n included, though A does not set it), then
     * K, E and m. */
    size_t n = 0;
    bool all = (flags & SRV_NOTIFY_ALL) == SRV_NOTIFY_ALL;
    if (all && n + 1 < len)
        buf[n++] = 'A';
    for (size_t i = 0; i < NCLASSES && n + 1 < len; i++) {
        bool type_letter = i < NTYPE_LETTERS;
        if ((flags & classes[i].flag) && !(all && type_letter))
            buf[n++] = classes[i].letter;
    }
    if (len)
        buf[n] = '\0';
}

/* ---- Publishing --------------------------------------------------------------------------- */

/* "__key<kind>@<db>__:<tail>" into buf (a stack buffer, or malloc'd when too small: *heap).
 * Returns the channel, {NULL, 0} when out of memory. */
static fl_slice_t channel(char *buf, size_t cap, char **heap, const char *kind, size_t db,
                          fl_slice_t tail)
{
    char head[48], digits[24]; /* formatted by hand: snprintf was a tenth of a publish */
    size_t nd = 0, hn = 0;
    do
        digits[nd++] = (char)('0' + db % 10);
    while ((db /= 10) != 0);
    memcpy(head, "__key", 5);
    hn = 5 + strlen(kind);
    memcpy(head + 5, kind, hn - 5);
    head[hn++] = '@';
    while (nd)
        head[hn++] = digits[--nd];
    memcpy(head + hn, "__:", 3);
    hn += 3;
    size_t n = hn + tail.n;
    char *p = buf;
    *heap = NULL;
    if (n > cap && !(p = *heap = malloc(n)))
        return (fl_slice_t){NULL, 0};
    memcpy(p, head, hn);
    if (tail.n)
        memcpy(p + hn, tail.p, tail.n);
    return (fl_slice_t){p, n};
}

void srv_notify_publish(size_t db, unsigned type, const char *event, fl_slice_t key)
{
    unsigned on = atomic_load_explicit(&srv_notify_classes, memory_order_relaxed);
    if (!(on & type))
        return;
    fl_slice_t ev = {event, strlen(event)};
    char buf[256], *heap;
    if (on & SRV_NOTIFY_KEYSPACE) {
        fl_slice_t ch = channel(buf, sizeof(buf), &heap, "space", db, key);
        if (ch.p)
            srv_pubsub_publish(ch, ev);
        free(heap);
    }
    if (on & SRV_NOTIFY_KEYEVENT) {
        fl_slice_t ch = channel(buf, sizeof(buf), &heap, "event", db, ev);
        if (ch.p)
            srv_pubsub_publish(ch, key);
        free(heap);
    }
}

/* ---- A write's deletions and creations: the calling thread's record ------------------------ */

#define RECORD_KEEP (64u * 1024u) /* capacity kept across commands */

/* One entry's head; the key's bytes follow it. */
typedef struct entry_head {
    size_t db; /* SRV_NOTIFY_TAKEN once a query answered it */
    size_t n;
    fl_key_event_t ev; /* FL_KEY_DELETED or FL_KEY_NEW */
} entry_head_t;
#define SRV_NOTIFY_TAKEN SIZE_MAX

typedef struct record {
    char *p;
    size_t len, cap;
} record_t;

static _Thread_local record_t rec;

/* Appends (db, key, ev); an entry that does not fit in memory is dropped (its "del" is lost). */
static void record_add(size_t db, fl_slice_t key, fl_key_event_t ev)
{
    size_t need = rec.len + sizeof(entry_head_t) + key.n;
    if (need > rec.cap) {
        size_t cap = rec.cap ? 2 * rec.cap : 256;
        while (cap < need)
            cap *= 2;
        char *p = realloc(rec.p, cap);
        if (!p)
            return;
        rec.p = p;
        rec.cap = cap;
    }
    entry_head_t h = {db, key.n, ev};
    memcpy(rec.p + rec.len, &h, sizeof(h));
    if (key.n)
        memcpy(rec.p + rec.len + sizeof(h), key.p, key.n);
    rec.len = need;
}

/* Whether the record holds an unanswered (db, key, ev); marks it answered. */
static bool record_take(size_t db, fl_slice_t key, fl_key_event_t ev)
{
    for (size_t at = 0; at + sizeof(entry_head_t) <= rec.len;) {
        entry_head_t h;
        memcpy(&h, rec.p + at, sizeof(h));
        const char *k = rec.p + at + sizeof(h);
        if (h.db == db && h.ev == ev && h.n == key.n && (h.n == 0 || !memcmp(k, key.p, h.n))) {
            h.db = SRV_NOTIFY_TAKEN;
            memcpy(rec.p + at, &h, sizeof(h));
            return true;
        }
        at += sizeof(h) + h.n;
    }
    return false;
}

bool srv_notify_gone(size_t db, fl_slice_t key)
{
    return record_take(db, key, FL_KEY_DELETED);
}

bool srv_notify_created(size_t db, fl_slice_t key)
{
    return record_take(db, key, FL_KEY_NEW);
}

void srv_notify_thread_done(void)
{
    free(rec.p);
    rec = (record_t){NULL, 0, 0};
}

void srv_notify_record_clear(void)
{
    rec.len = 0;
    if (rec.cap > RECORD_KEEP) {
        free(rec.p);
        rec = (record_t){NULL, 0, 0};
    }
}

/* ---- The store's key events ------------------------------------------------------------------ */

/* fl_key_event_fn: runs under the key's partition lock, on the thread that changed it. */
static void key_event(void *ctx, size_t db, fl_slice_t key, fl_key_event_t ev)
{
    (void)ctx;
    switch (ev) {
    case FL_KEY_NEW:
        srv_notify_publish(db, SRV_NOTIFY_NEW, "new", key);
        if (atomic_load_explicit(&srv_notify_classes, memory_order_relaxed))
            record_add(db, key, FL_KEY_NEW);
        break;
    case FL_KEY_EXPIRED:
        srv_notify_publish(db, SRV_NOTIFY_EXPIRED, "expired", key);
        break;
    case FL_KEY_EVICTED:
        srv_notify_publish(db, SRV_NOTIFY_EVICTED, "evicted", key);
        break;
    case FL_KEY_MISS:
        srv_notify_publish(db, SRV_NOTIFY_KEY_MISS, "keymiss", key);
        break;
    case FL_KEY_DELETED:
        if (atomic_load_explicit(&srv_notify_classes, memory_order_relaxed))
            record_add(db, key, FL_KEY_DELETED);
        break;
    }
}

void srv_notify_install(srv_server_t *srv)
{
    fl_store_set_key_events(srv->store, key_event, NULL);
}

void srv_notify_configure(srv_server_t *srv, unsigned flags)
{
    unsigned on = (flags & (SRV_NOTIFY_KEYSPACE | SRV_NOTIFY_KEYEVENT)) ? flags : 0;
    atomic_store_explicit(&srv_notify_classes, on, memory_order_relaxed);
    if (srv->store)
        fl_store_key_events(srv->store,
                            (on & (SRV_NOTIFY_NEW | SRV_NOTIFY_EXPIRED | SRV_NOTIFY_EVICTED |
                                   SRV_NOTIFY_GENERIC | SRV_NOTIFY_KEY_MISS)) != 0);
}
