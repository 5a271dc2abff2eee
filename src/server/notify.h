/*
 * src/server/notify.h: keyspace notifications (notify.c), Redis 7.0's notify-keyspace-events:
 * `__keyspace@<db>__:<key>` carrying the event and `__keyevent@<db>__:<event>` carrying the
 * key, published through pubsub.c after the command's effect. Private to src/server/.
 *
 * Handlers call srv_notify() after a successful change, with Redis's class and event name,
 * in Redis's order. While notifications are off (the default) that is one relaxed load and a
 * branch. New keys, expiries and evictions come from the store's commit point
 * (fl_store_set_key_events), so they are reported whoever made them: a command, lazy expiry,
 * the background thread's active expiry or eviction.
 */
#ifndef FLATLINE_SERVER_NOTIFY_H
#define FLATLINE_SERVER_NOTIFY_H

#include "srv.h"

#include <stdatomic.h>

/* The classes, with Redis's bits and letters (CONFIG notify-keyspace-events). */
#define SRV_NOTIFY_KEYSPACE (1u << 0)  /* K: __keyspace@<db>__:<key> channels */
#define SRV_NOTIFY_KEYEVENT (1u << 1)  /* E: __keyevent@<db>__:<event> channels */
#define SRV_NOTIFY_GENERIC (1u << 2)   /* g: del, expire, rename_from, copy_to, ... */
#define SRV_NOTIFY_STRING (1u << 3)    /* $ */
#define SRV_NOTIFY_LIST (1u << 4)      /* l */
#define SRV_NOTIFY_SET (1u << 5)       /* s */
#define SRV_NOTIFY_HASH (1u << 6)      /* h */
#define SRV_NOTIFY_ZSET (1u << 7)      /* z */
#define SRV_NOTIFY_EXPIRED (1u << 8)   /* x */
#define SRV_NOTIFY_EVICTED (1u << 9)   /* e */
#define SRV_NOTIFY_STREAM (1u << 10)   /* t (no streams here: accepted, never fired) */
#define SRV_NOTIFY_KEY_MISS (1u << 11) /* m (not in A) */
#define SRV_NOTIFY_MODULE (1u << 13)   /* d (no modules: accepted, never fired) */
#define SRV_NOTIFY_NEW (1u << 14)      /* n (not in A) */
#define SRV_NOTIFY_ALL                                                                             \
    (SRV_NOTIFY_GENERIC | SRV_NOTIFY_STRING | SRV_NOTIFY_LIST | SRV_NOTIFY_SET | SRV_NOTIFY_HASH | \
     SRV_NOTIFY_ZSET | SRV_NOTIFY_EXPIRED | SRV_NOTIFY_EVICTED | SRV_NOTIFY_STREAM |               \
     SRV_NOTIFY_MODULE) /* A */

/* The classes in force: the configured ones, or 0 when neither K nor E is set (nothing could
 * be published). Written by srv_notify_configure, read relaxed by every srv_notify. */
extern atomic_uint srv_notify_classes;

/* Parses Redis's class letters ("KEA", "gxE", "" = off) into *flags. Returns 0, or -1 for a
 * character that is no class (Redis then refuses the whole value). */
int srv_notify_parse(const char *s, unsigned *flags);

/* Redis's canonical text of flags (CONFIG GET): "A" for every class of A, else the class
 * letters in Redis's order, then K, E, m. buf needs 24 bytes. */
void srv_notify_format(unsigned flags, char *buf, size_t len);

/* Puts flags in force for every worker and, when needed, switches the store's key events on
 * (fl_store_key_events). Any thread; the caller serialises configuration changes. */
void srv_notify_configure(srv_server_t *srv, unsigned flags);

/* Installs the store's key-event callback (new, expired, evicted, deleted keys). Once, after
 * the store opened and before any other thread uses it. */
void srv_notify_install(srv_server_t *srv);

/* Publishes event `event` of class `type` for key in database db (a namespace's index).
 * Use srv_notify(), which checks the class first. Any thread; takes the pub/sub registry lock
 * (never call it holding that lock). */
void srv_notify_publish(size_t db, unsigned type, const char *event, fl_slice_t key);

/* Whether notifications are off (the default): a handler may skip deciding what to tell. */
static inline bool srv_notify_off(void)
{
    return atomic_load_explicit(&srv_notify_classes, memory_order_relaxed) == 0;
}

/* After c's command changed key: publishes Redis's event when its class is enabled. */
static inline void srv_notify(const srv_client_t *c, unsigned type, const char *event,
                              fl_slice_t key)
{
    if (atomic_load_explicit(&srv_notify_classes, memory_order_relaxed) & type)
        srv_notify_publish(c->ns_index, type, event, key);
}

/* Deletions by writes (a collection left empty, DEL, a STORE's empty result) are recorded
 * per thread while notifications are on, so that a handler can tell which keys its store
 * call removed and report them in Redis's order ("lpop" then "del"). A handler calls
 * srv_notify_begin() before the store call and srv_notify_del_if_gone() (or srv_notify_gone)
 * after it. Handlers do not nest (a store call runs no handler), so begin clears the record. */
void srv_notify_record_clear(void);
/* Frees the calling thread's record (a worker thread at its end). */
void srv_notify_thread_done(void);
bool srv_notify_gone(size_t db, fl_slice_t key);
/* Whether the store call since srv_notify_begin created key (and told its "new"); once per
 * creation, like srv_notify_gone. */
bool srv_notify_created(size_t db, fl_slice_t key);

/* Redis tells "new" for a key a command deletes and adds again (RENAME's destination,
 * RESTORE ... REPLACE): told here when the store replaced the key in place instead. */
static inline void srv_notify_new_unless_created(const srv_client_t *c, fl_slice_t key)
{
    if ((atomic_load_explicit(&srv_notify_classes, memory_order_relaxed) & SRV_NOTIFY_NEW) &&
        !srv_notify_created(c->ns_index, key))
        srv_notify_publish(c->ns_index, SRV_NOTIFY_NEW, "new", key);
}

static inline void srv_notify_begin(void)
{
    if (atomic_load_explicit(&srv_notify_classes, memory_order_relaxed))
        srv_notify_record_clear();
}

/* Whether the store call since srv_notify_begin deleted key of database db (each deletion
 * answers true once, so "DEL k k" reports k once); false while notifications are off. */
static inline bool srv_notify_deleted_in(size_t db, fl_slice_t key)
{
    return atomic_load_explicit(&srv_notify_classes, memory_order_relaxed) &&
           srv_notify_gone(db, key);
}

static inline bool srv_notify_deleted(const srv_client_t *c, fl_slice_t key)
{
    return srv_notify_deleted_in(c->ns_index, key);
}

/* Publishes "del" for key when the store call since srv_notify_begin deleted it. */
static inline void srv_notify_del_if_gone_in(size_t db, fl_slice_t key)
{
    if (srv_notify_deleted_in(db, key))
        srv_notify_publish(db, SRV_NOTIFY_GENERIC, "del", key);
}

static inline void srv_notify_del_if_gone(const srv_client_t *c, fl_slice_t key)
{
    srv_notify_del_if_gone_in(c->ns_index, key);
}

#endif /* FLATLINE_SERVER_NOTIFY_H */
