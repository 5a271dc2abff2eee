/*
 * src/server/pubsub.c: publish/subscribe across worker threads.
 *
 * The registry holds two tables, channels and patterns, each a chained hash of names with the
 * subscribers (client id and worker) of each name. One mutex protects both; PUBLISH holds it
 * while it posts one task per receiver to the receiver's worker (srv_worker_post), so the
 * registry's lock order is the delivery order: two publishes to a channel reach all its
 * subscribers in the same order, and a publisher's own messages keep their order. A task finds
 * its client by id on the receiving worker (srv_worker_find_client): a client that closed
 * meanwhile is not found and the message is dropped, as Redis drops it.
 *
 * A client keeps the names it subscribed to (srv_pubsub_t) for its counts, UNSUBSCRIBE without
 * arguments and cleanup at close. Replies and messages use Redis 7.0's RESP2 shapes.
 *
 * Invariants: a (name, client) pair is in the registry exactly when the name is in that
 * client's own list; a table entry with no subscriber is removed at once (PUBSUB CHANNELS and
 * NUMPAT count entries).
 *
 * Memory: the registry (tables, entries, subscriber arrays) outlives any one client and is
 * changed from every worker, so it lives in the "pubsub" server-lifetime arena (lifetime.h): an
 * entry a client on one worker made is freed by whichever worker's client leaves it last. A
 * client's own list of names lives and dies with the client, on its worker: private arena. A
 * delivery is transient, made by the publisher's worker and freed by the receiver's straight
 * back to the publisher's private arena (srv_free_foreign).
 */
#include "pubsub.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"
#include "lifetime.h"
#include "srv_cmd.h"

typedef struct sub {
    uint64_t id;
    srv_worker_t *w;
} sub_t;

typedef struct entry {
    struct entry *next;
    uint64_t h;
    sub_t *subs; /* cap slots */
    size_t nsubs, cap;
    size_t len;
    char name[];
} entry_t;

typedef struct table {
    entry_t **b;
    size_t mask; /* b has mask + 1 buckets (0 and NULL while empty) */
    size_t count;
} table_t;

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static table_t channels, patterns; /* reg_mu */

/* A client's own list of names (one per kind). */
typedef struct names {
    fl_slice_t *v; /* malloc'd copies */
    size_t n, cap;
} names_t;

struct srv_pubsub {
    names_t chans, pats;
};

/* ---- Tables (reg_mu held) ------------------------------------------------------------------ */

static uint64_t name_hash(const char *p, size_t n)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)p[i]) * 1099511628211ull;
    return h;
}

static entry_t **slot(table_t *t, const char *p, size_t n, uint64_t h)
{
    if (!t->b)
        return NULL;
    entry_t **pp = &t->b[h & t->mask];
    for (; *pp; pp = &(*pp)->next)
        if ((*pp)->h == h && (*pp)->len == n && (n == 0 || !memcmp((*pp)->name, p, n)))
            return pp;
    return NULL;
}

static void grow(table_t *t)
{
    size_t n = t->b ? 2 * (t->mask + 1) : 64;
    entry_t **b = srv_keep_calloc(SRV_ARENA_PUBSUB, n, sizeof(*b));
    if (!b)
        return; /* keeps the current size: only longer chains */
    for (size_t i = 0; t->b && i <= t->mask; i++)
        for (entry_t *e = t->b[i], *next; e; e = next) {
            next = e->next;
            e->next = b[e->h & (n - 1)];
            b[e->h & (n - 1)] = e;
        }
    if (t->b)
        srv_keep_free(SRV_ARENA_PUBSUB, t->b, (t->mask + 1) * sizeof(*t->b));
    t->b = b;
    t->mask = n - 1;
}

/* Adds (name, c) to the table; false when out of memory. */
static bool table_add(table_t *t, fl_slice_t name, const srv_client_t *c)
{
    uint64_t h = name_hash(name.p, name.n);
    entry_t **pp = slot(t, name.p, name.n, h);
    entry_t *e = pp ? *pp : NULL;
    if (!e) {
        if (!t->b || t->count > t->mask)
            grow(t);
        if (!t->b || !(e = srv_keep_calloc(SRV_ARENA_PUBSUB, 1, sizeof(*e) + name.n)))
            return false;
        e->h = h;
        e->len = name.n;
        if (name.n)
            memcpy(e->name, name.p, name.n);
        e->next = t->b[h & t->mask];
        t->b[h & t->mask] = e;
        t->count++;
    }
    if (e->nsubs == e->cap) {
        size_t cap = e->cap ? 2 * e->cap : 4;
        sub_t *s =
            srv_keep_realloc(SRV_ARENA_PUBSUB, e->subs, e->cap * sizeof(*s), cap * sizeof(*s));
        if (!s)
            return false; /* an entry without subscribers is removed by the caller's undo */
        e->subs = s;
        e->cap = cap;
    }
    e->subs[e->nsubs++] = (sub_t){c->id, c->worker};
    return true;
}

static void table_del(table_t *t, fl_slice_t name, const srv_client_t *c)
{
    entry_t **pp = slot(t, name.p, name.n, name_hash(name.p, name.n));
    if (!pp)
        return;
    entry_t *e = *pp;
    for (size_t i = 0; i < e->nsubs; i++)
        if (e->subs[i].id == c->id) {
            memmove(&e->subs[i], &e->subs[i + 1], (e->nsubs - i - 1) * sizeof(sub_t));
            e->nsubs--;
            break;
        }
    if (e->nsubs > 0)
        return;
    *pp = e->next;
    srv_keep_free(SRV_ARENA_PUBSUB, e->subs, e->cap * sizeof(*e->subs));
    srv_keep_free(SRV_ARENA_PUBSUB, e, sizeof(*e) + e->len);
    FL_ASSERT(t->count > 0);
    t->count--;
}

/* ---- A client's names --------------------------------------------------------------------- */

static srv_pubsub_t *state(srv_client_t *c)
{
    if (!c->pubsub)
        c->pubsub = calloc(1, sizeof(*c->pubsub));
    return c->pubsub;
}

static ssize_t names_find(const names_t *ns, fl_slice_t name)
{
    for (size_t i = 0; i < ns->n; i++)
        if (ns->v[i].n == name.n && (name.n == 0 || !memcmp(ns->v[i].p, name.p, name.n)))
            return (ssize_t)i;
    return -1;
}

static bool names_add(names_t *ns, fl_slice_t name)
{
    if (ns->n == ns->cap) {
        size_t cap = ns->cap ? 2 * ns->cap : 4;
        fl_slice_t *v = realloc(ns->v, cap * sizeof(*v));
        if (!v)
            return false;
        ns->v = v;
        ns->cap = cap;
    }
    char *copy = malloc(name.n ? name.n : 1);
    if (!copy)
        return false;
    if (name.n)
        memcpy(copy, name.p, name.n);
    ns->v[ns->n++] = (fl_slice_t){copy, name.n};
    return true;
}

static void names_del(names_t *ns, size_t i)
{
    free((char *)ns->v[i].p);
    ns->v[i] = ns->v[--ns->n];
}

size_t srv_pubsub_count(const srv_client_t *c)
{
    return c->pubsub ? c->pubsub->chans.n + c->pubsub->pats.n : 0;
}

size_t srv_pubsub_count_of(const srv_client_t *c, bool pattern)
{
    return !c->pubsub ? 0 : pattern ? c->pubsub->pats.n : c->pubsub->chans.n;
}

bool srv_pubsub_permitted(srv_client_t *c)
{
    if (!c->pubsub || !c->srv->acl)
        return true;
    for (size_t i = 0; i < c->pubsub->chans.n; i++)
        if (!srv_acl_may_subscribe(&c->acl, c->pubsub->chans.v[i], false))
            return false;
    for (size_t i = 0; i < c->pubsub->pats.n; i++)
        if (!srv_acl_may_subscribe(&c->acl, c->pubsub->pats.v[i], true))
            return false;
    return true;
}

static void reply_confirm(srv_client_t *c, const char *kind, const fl_slice_t *name)
{
    srv_reply_push(&c->out, 3);
    srv_reply_bulk_str(&c->out, kind);
    if (name)
        srv_reply_bulk(&c->out, name->p, name->n);
    else
        srv_reply_nil(&c->out);
    srv_reply_int(&c->out, (long long)srv_pubsub_count(c));
}

void srv_pubsub_subscribe(srv_client_t *c, const fl_slice_t *names, int n, bool pattern)
{
    srv_pubsub_t *ps = state(c);
    if (!ps || !c->worker) {
        c->out.failed = true; /* out of memory, or an in-process client: nobody to deliver to */
        return;
    }
    names_t *own = pattern ? &ps->pats : &ps->chans;
    table_t *t = pattern ? &patterns : &channels;
    for (int i = 0; i < n; i++) {
        if (names_find(own, names[i]) < 0) {
            if (!names_add(own, names[i])) {
                c->out.failed = true;
                return;
            }
            pthread_mutex_lock(&reg_mu);
            bool ok = table_add(t, names[i], c);
            if (!ok)
                table_del(t, names[i], c);
            pthread_mutex_unlock(&reg_mu);
            if (!ok) {
                names_del(own, own->n - 1);
                c->out.failed = true;
                return;
            }
        }
        reply_confirm(c, pattern ? "psubscribe" : "subscribe", &names[i]);
    }
    c->flags |= SRV_PUBSUB; /* the pubsub output-buffer class, CLIENT LIST's P */
}

/* Removes own->v[i] from the registry and the list, and confirms it. */
static void unsubscribe_at(srv_client_t *c, names_t *own, size_t i, bool pattern)
{
    fl_slice_t name = own->v[i];
    pthread_mutex_lock(&reg_mu);
    table_del(pattern ? &patterns : &channels, name, c);
    pthread_mutex_unlock(&reg_mu);
    own->v[i] = own->v[--own->n]; /* the copy is freed after the confirmation */
    reply_confirm(c, pattern ? "punsubscribe" : "unsubscribe", &name);
    free((char *)name.p);
}

static void unsubscribe_names(srv_client_t *c, const fl_slice_t *names, int n, bool pattern)
{
    const char *kind = pattern ? "punsubscribe" : "unsubscribe";
    names_t *own = c->pubsub ? (pattern ? &c->pubsub->pats : &c->pubsub->chans) : NULL;
    if (n == 0) {
        if (!own || own->n == 0) {
            reply_confirm(c, kind, NULL);
            return;
        }
        while (own->n > 0)
            unsubscribe_at(c, own, own->n - 1, pattern);
        return;
    }
    for (int i = 0; i < n; i++) {
        ssize_t at = own ? names_find(own, names[i]) : -1;
        if (at >= 0)
            unsubscribe_at(c, own, (size_t)at, pattern);
        else
            reply_confirm(c, kind, &names[i]);
    }
}

void srv_pubsub_unsubscribe(srv_client_t *c, const fl_slice_t *names, int n, bool pattern)
{
    unsubscribe_names(c, names, n, pattern);
    if (srv_pubsub_count(c) == 0)
        c->flags &= ~SRV_PUBSUB; /* as Redis: only an unsubscribe leaves the pubsub class */
}

void srv_pubsub_free(srv_client_t *c)
{
    srv_pubsub_t *ps = c->pubsub;
    if (!ps)
        return;
    pthread_mutex_lock(&reg_mu);
    for (size_t i = 0; i < ps->chans.n; i++)
        table_del(&channels, ps->chans.v[i], c);
    for (size_t i = 0; i < ps->pats.n; i++)
        table_del(&patterns, ps->pats.v[i], c);
    pthread_mutex_unlock(&reg_mu);
    for (size_t i = 0; i < ps->chans.n; i++)
        free((char *)ps->chans.v[i].p);
    for (size_t i = 0; i < ps->pats.n; i++)
        free((char *)ps->pats.v[i].p);
    free(ps->chans.v);
    free(ps->pats.v);
    free(ps);
    c->pubsub = NULL;
    c->flags &= ~SRV_PUBSUB;
}

/* ---- Delivery ----------------------------------------------------------------------------- */

/* One message for one client: its elements' bytes, ready to append after the push header
 * (the receiver's protocol decides the header's type). */
typedef struct delivery {
    srv_task_t task; /* first: the mailbox links it */
    uint64_t id;
    size_t elems; /* 3 (message) or 4 (pmessage) */
    size_t len;
    char resp[];
} delivery_t;

static void deliver(srv_worker_t *w, srv_task_t *t)
{
    delivery_t *d = (delivery_t *)t;
    srv_client_t *c = w ? srv_worker_find_client(w, d->id) : NULL;
    if (c && !(c->flags & (SRV_CLOSE_AFTER_REPLY | SRV_CLOSE_ASAP))) {
        srv_reply_push(&c->out, d->elems);
        srv_reply_raw(&c->out, d->resp, d->len);
        srv_client_settle_soon(c); /* the mailbox's other messages go in the same write */
    }
    srv_free_foreign(d); /* made by the publisher's worker */
}

/* The message's elements: message (channel, payload) or pmessage (pattern, channel, payload),
 * built once per publish and per pattern; each receiver adds the push header. */
static size_t build_message(srv_buf_t *b, const fl_slice_t *pattern, fl_slice_t ch, fl_slice_t msg)
{
    b->len = 0;
    srv_reply_bulk_str(b, pattern ? "pmessage" : "message");
    if (pattern)
        srv_reply_bulk(b, pattern->p, pattern->n);
    srv_reply_bulk(b, ch.p, ch.n);
    srv_reply_bulk(b, msg.p, msg.n);
    return pattern ? 4 : 3;
}

static void post_all(const entry_t *e, const srv_buf_t *b, size_t elems)
{
    for (size_t i = 0; i < e->nsubs; i++) {
        delivery_t *d = malloc(sizeof(*d) + b->len);
        if (!d)
            continue; /* out of memory: this receiver misses the message */
        d->task.fn = deliver;
        d->id = e->subs[i].id;
        d->elems = elems;
        d->len = b->len;
        memcpy(d->resp, b->p, b->len);
        srv_worker_post(e->subs[i].w, &d->task);
    }
}

long long srv_pubsub_publish(fl_slice_t channel, fl_slice_t msg)
{
    long long receivers = 0;
    srv_buf_t b = {0};
    pthread_mutex_lock(&reg_mu);
    entry_t **pp = slot(&channels, channel.p, channel.n, name_hash(channel.p, channel.n));
    if (pp) {
        size_t elems = build_message(&b, NULL, channel, msg);
        if (!b.failed) {
            post_all(*pp, &b, elems);
            receivers += (long long)(*pp)->nsubs;
        }
    }
    for (size_t i = 0; patterns.b && i <= patterns.mask; i++)
        for (entry_t *e = patterns.b[i]; e; e = e->next) {
            if (!fl_glob_match(e->name, e->len, channel.p, channel.n, false))
                continue;
            fl_slice_t pat = {e->name, e->len};
            size_t elems = build_message(&b, &pat, channel, msg);
            if (b.failed)
                continue;
            post_all(e, &b, elems);
            receivers += (long long)e->nsubs;
        }
    pthread_mutex_unlock(&reg_mu);
    srv_buf_free(&b);
    return receivers;
}

/* ---- PUBSUB ------------------------------------------------------------------------------- */

void srv_pubsub_channels(srv_client_t *c, const fl_slice_t *pattern)
{
    srv_buf_t b = {0};
    size_t n = 0;
    pthread_mutex_lock(&reg_mu);
    for (size_t i = 0; channels.b && i <= channels.mask; i++)
        for (entry_t *e = channels.b[i]; e; e = e->next) {
            if (pattern && !fl_glob_match(pattern->p, pattern->n, e->name, e->len, false))
                continue;
            srv_reply_bulk(&b, e->name, e->len);
            n++;
        }
    pthread_mutex_unlock(&reg_mu);
    if (b.failed) {
        c->out.failed = true;
    } else {
        srv_reply_array(&c->out, n);
        srv_reply_raw(&c->out, b.p, b.len);
    }
    srv_buf_free(&b);
}

void srv_pubsub_numsub(srv_client_t *c, const fl_slice_t *chans, int n)
{
    srv_reply_array(&c->out, 2 * (size_t)n);
    pthread_mutex_lock(&reg_mu);
    for (int i = 0; i < n; i++) {
        entry_t **pp = slot(&channels, chans[i].p, chans[i].n, name_hash(chans[i].p, chans[i].n));
        srv_reply_bulk(&c->out, chans[i].p, chans[i].n);
        srv_reply_int(&c->out, pp ? (long long)(*pp)->nsubs : 0);
    }
    pthread_mutex_unlock(&reg_mu);
}

void srv_pubsub_numpat(srv_client_t *c)
{
    pthread_mutex_lock(&reg_mu);
    size_t n = patterns.count;
    pthread_mutex_unlock(&reg_mu);
    srv_reply_int(&c->out, (long long)n);
}
