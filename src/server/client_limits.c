/*
 * src/server/client_limits.c: what one client may cost, and closing the clients that pass it.
 *
 * Three limits, as Redis has them:
 * - client-output-buffer-limit, per class (normal, replica, pubsub): a hard limit on unsent
 *   reply bytes, enforced by the output buffer itself (srv_buf_t.limit: an append that would
 *   pass it fails, so one command cannot build a reply larger than the limit, e.g. an MGET
 *   naming one big key 20,000 times), and a soft limit that closes a client staying above it
 *   for `seconds` in a row (checked whenever the client settles and by the worker's cron);
 * - maxmemory-clients: all clients' buffers together (each client's `mem` is kept current by
 *   a meter on its two buffers, each worker's sum in clients_mem); past it the client using
 *   the most memory is closed first, whichever worker owns it (an eviction task is posted to
 *   that worker);
 * - timeout: a client idle that many seconds is closed (not MONITOR, subscribed, paused or
 *   waiting clients, as Redis spares replicas, subscribers and blocked clients).
 * Every closure is logged with the client's CLIENT LIST line and counted in INFO stats.
 *
 * Invariants: a client's limits are touched only on its worker's thread; a closure here only
 * flags the client (SRV_CLOSE_ASAP): the worker frees it when it settles, never in the middle
 * of another client's event. clients_mem and largest_client_mem are written by their worker
 * only and read relaxed by the others (an estimate between two crons is enough to pick a
 * victim).
 */
#include "srv.h"
#include "fl_assert.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- client-output-buffer-limit's value ---------------------------------------------------- */

static const char *const class_names[SRV_CLASS_COUNT] = {"normal", "slave", "pubsub"};

static int class_of(const char *word)
{
    if (strcasecmp(word, "replica") == 0)
        return SRV_CLASS_REPLICA;
    for (int i = 0; i < SRV_CLASS_COUNT; i++)
        if (strcasecmp(word, class_names[i]) == 0)
            return i;
    return -1;
}

bool srv_parse_mem(const char *s, unsigned long long *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return false;
    unsigned long long v = strtoull(s, &end, 10), mul = 1;
    static const struct {
        const char *unit;
        unsigned long long mul;
    } units[] = {{"", 1},        {"b", 1},        {"k", 1000},          {"kb", 1024},
                 {"m", 1000000}, {"mb", 1 << 20}, {"g", 1000000000ULL}, {"gb", 1ULL << 30}};
    size_t i = 0;
    while (i < sizeof(units) / sizeof(units[0]) && strcasecmp(end, units[i].unit) != 0)
        i++;
    if (i == sizeof(units) / sizeof(units[0]))
        return false;
    mul = units[i].mul;
    if (v > ~0ULL / mul)
        return false;
    *out = v * mul;
    return true;
}

int srv_obl_parse(srv_obl_t *obl, const char *value, char *err, size_t errlen)
{
    char copy[512], *words[64], *save = NULL;
    int n = 0;
    if (strlen(value) >= sizeof(copy)) {
        snprintf(err, errlen, "Wrong number of arguments in buffer limit configuration.");
        return -1;
    }
    strcpy(copy, value);
    for (char *w = strtok_r(copy, " \t", &save); w && n < 64; w = strtok_r(NULL, " \t", &save))
        words[n++] = w;
    if (n == 0 || n % 4 != 0) {
        snprintf(err, errlen, "Wrong number of arguments in buffer limit configuration.");
        return -1;
    }
    srv_obl_t next[SRV_CLASS_COUNT];
    memcpy(next, obl, sizeof(next));
    for (int i = 0; i < n; i += 4) {
        int cls = class_of(words[i]);
        srv_obl_t l;
        char *end;
        if (cls < 0) {
            snprintf(err, errlen, "Invalid client class specified in buffer limit configuration.");
            return -1;
        }
        l.secs = strtoull(words[i + 3], &end, 10);
        if (!srv_parse_mem(words[i + 1], &l.hard) || !srv_parse_mem(words[i + 2], &l.soft) ||
            *end != '\0' || words[i + 3][0] < '0' || words[i + 3][0] > '9') {
            snprintf(err, errlen,
                     "Error in hard, soft or soft_seconds setting in buffer limit "
                     "configuration.");
            return -1;
        }
        next[cls] = l;
    }
    memcpy(obl, next, sizeof(next));
    return 0;
}

void srv_obl_format(const srv_obl_t *obl, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < SRV_CLASS_COUNT && used < len; i++) {
        int w = snprintf(buf + used, len - used, "%s%s %llu %llu %llu", i ? " " : "",
                         class_names[i], obl[i].hard, obl[i].soft, obl[i].secs);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

/* ---- Closing a client --------------------------------------------------------------------- */

/* Flags c to close now, logs why with its CLIENT LIST line and counts it in *stat. */
static void close_for(srv_client_t *c, const char *why, _Atomic uint64_t *stat)
{
    if (c->flags & SRV_CLOSE_ASAP)
        return;
    c->flags |= SRV_CLOSE_ASAP;
    c->out.failed = true; /* a command still running appends nothing more */
    if (stat)
        srv_stat_add(stat, 1);
    srv_buf_t line = {0};
    srv_client_describe(c, fl_now_ms(), &line);
    srv_log(c->srv, SRV_LOG_WARNING, "Client %.*s %s", (int)line.len, line.p ? line.p : "", why);
    srv_buf_free(&line);
}

/* Redis's classes: a MONITOR client is a replica, a subscribed one pubsub. */
static int client_class(const srv_client_t *c)
{
    if (c->flags & SRV_MONITOR)
        return SRV_CLASS_REPLICA;
    return c->flags & SRV_PUBSUB ? SRV_CLASS_PUBSUB : SRV_CLASS_NORMAL;
}

void srv_client_limits_refresh(srv_client_t *c)
{
    unsigned long long hard =
        atomic_load_explicit(&c->srv->live.obl_hard[client_class(c)], memory_order_relaxed);
    c->out.limit = hard ? c->out_sent + (size_t)hard : 0;
}

/* The soft limit: true when c has been above it for its class's seconds (or the hard limit
 * is passed by output a task queued). */
static bool over_soft_limit(srv_client_t *c, int64_t now)
{
    const srv_live_t *l = &c->srv->live;
    int cls = client_class(c);
    size_t pending = c->out.len - c->out_sent;
    unsigned long long hard = atomic_load_explicit(&l->obl_hard[cls], memory_order_relaxed);
    unsigned long long soft = atomic_load_explicit(&l->obl_soft[cls], memory_order_relaxed);
    unsigned long long secs = atomic_load_explicit(&l->obl_secs[cls], memory_order_relaxed);
    if (hard && pending > hard)
        return true;
    if (!soft || pending <= soft) {
        c->soft_since_ms = 0;
        return false;
    }
    if (!now)
        now = fl_now_ms();
    if (!c->soft_since_ms)
        c->soft_since_ms = now;
    return now - c->soft_since_ms >= (int64_t)secs * 1000;
}

bool srv_client_check_limits(srv_client_t *c, int64_t now)
{
    if (c->flags & SRV_CLOSE_ASAP)
        return true;
    if (!c->worker)
        return false;
    if (c->out.over_limit || (c->out.len - c->out_sent > 0 && over_soft_limit(c, now))) {
        close_for(c, "closed for overcoming of output buffer limits.",
                  &c->worker->stats.obl_disconnects);
        return true;
    }
    return false;
}

void srv_client_count_query_limit(srv_client_t *c)
{
    if (c->worker)
        srv_stat_add(&c->worker->stats.qbl_disconnects, 1);
}

/* ---- maxmemory-clients -------------------------------------------------------------------- */

uint64_t srv_clients_memory(const srv_server_t *srv)
{
    uint64_t sum = 0;
    for (int i = 0; i < srv->nworkers; i++)
        sum += atomic_load_explicit(&srv->workers[i].clients_mem, memory_order_relaxed);
    return sum;
}

static bool over_clients_cap(const srv_server_t *srv)
{
    unsigned long long cap =
        atomic_load_explicit(&srv->live.maxmemory_clients, memory_order_relaxed);
    return cap && srv_clients_memory(srv) > cap;
}

/* The worker whose largest client is the largest of all (as last published). */
static srv_worker_t *holder_of_largest(srv_server_t *srv, uint64_t *largest)
{
    srv_worker_t *best = NULL;
    *largest = 0;
    for (int i = 0; i < srv->nworkers; i++) {
        uint64_t l =
            atomic_load_explicit(&srv->workers[i].largest_client_mem, memory_order_relaxed);
        if (l > *largest || !best) {
            *largest = l;
            best = &srv->workers[i];
        }
    }
    return best;
}

/* w's largest evictable client, after recomputing w's published figure. */
static srv_client_t *local_largest(srv_worker_t *w)
{
    srv_client_t *best = NULL;
    size_t max = 0;
    for (srv_client_t *c = w->clients; c; c = c->next) {
        if (c->flags & (SRV_NO_EVICT | SRV_CLOSE_ASAP))
            continue;
        if (!best || c->mem > max) {
            best = c;
            max = c->mem;
        }
    }
    atomic_store_explicit(&w->largest_client_mem, max, memory_order_relaxed);
    return best;
}

static void evict_largest_local(srv_worker_t *w)
{
    if (!over_clients_cap(w->srv))
        return;
    srv_client_t *victim = local_largest(w);
    if (!victim)
        return;
    close_for(victim,
              "evicted: maxmemory-clients reached (the client using the most memory "
              "is closed first).",
              &w->stats.evicted_clients);
    srv_client_settle(victim);
}

typedef struct evict_task {
    srv_task_t t;
} evict_task_t;

static void evict_task_run(srv_worker_t *w, srv_task_t *t)
{
    free(t);
    atomic_store(&w->evict_pending, false);
    evict_largest_local(w); /* after w stopped: it has no client left, nothing happens */
}

/* Asks worker `to` to close its largest client (at most one request queued per worker). */
static void post_eviction(srv_worker_t *to)
{
    if (atomic_exchange(&to->evict_pending, true))
        return;
    evict_task_t *e = malloc(sizeof(*e));
    if (!e) {
        atomic_store(&to->evict_pending, false);
        return; /* the owner's cron evicts anyway */
    }
    e->t.fn = evict_task_run;
    srv_worker_post(to, &e->t);
}

/* A client's buffer changed capacity: keeps c->mem, its worker's total and largest; past
 * maxmemory-clients closes c when it is the largest of all, or has the worker holding the
 * largest close its own. */
static void meter_resized(srv_buf_meter_t *m, srv_buf_t *b, long long delta)
{
    (void)b;
    srv_client_t *c = (srv_client_t *)(void *)((char *)m - offsetof(srv_client_t, meter));
    FL_ASSERT(delta >= 0 || (size_t)-delta <= c->mem); /* mem = the capacities it was told of */
    c->mem = (size_t)((long long)c->mem + delta);
    srv_worker_t *w = c->worker;
    if (!w)
        return;
    uint64_t total = atomic_load_explicit(&w->clients_mem, memory_order_relaxed);
    atomic_store_explicit(&w->clients_mem, (uint64_t)((long long)total + delta),
                          memory_order_relaxed);
    if (delta <= 0)
        return;
    if (c->mem > atomic_load_explicit(&w->largest_client_mem, memory_order_relaxed))
        atomic_store_explicit(&w->largest_client_mem, c->mem, memory_order_relaxed);
    if (!over_clients_cap(c->srv) || (c->flags & SRV_CLOSE_ASAP))
        return;
    uint64_t largest;
    srv_worker_t *holder = holder_of_largest(c->srv, &largest);
    if (c->mem >= largest && !(c->flags & SRV_NO_EVICT))
        close_for(c,
                  "evicted: maxmemory-clients reached (the client using the most memory is "
                  "closed first).",
                  &w->stats.evicted_clients);
    else
        post_eviction(holder);
}

void srv_client_limits_attach(srv_client_t *c)
{
    c->meter.resized = meter_resized;
    c->in.meter = &c->meter;
    c->out.meter = &c->meter;
    if (c->srv)
        srv_client_limits_refresh(c);
}

/* ---- The worker's cron -------------------------------------------------------------------- */

void srv_clients_cron(srv_worker_t *w, int64_t now)
{
    long long timeout = atomic_load_explicit(&w->srv->live.timeout_s, memory_order_relaxed);
    srv_client_t *next;
    for (srv_client_t *c = w->clients; c; c = next) {
        next = c->next; /* settle may free c */
        bool close = srv_client_check_limits(c, now);
        if (!close && timeout &&
            !(c->flags & (SRV_MONITOR | SRV_PUBSUB | SRV_WAITING | SRV_PAUSED)) &&
            now - c->last_ms > timeout * 1000) {
            srv_log(w->srv, SRV_LOG_VERBOSE, "Closing idle client");
            srv_stat_add(&w->stats.timedout_clients, 1);
            c->flags |= SRV_CLOSE_ASAP;
            close = true;
        }
        if (!close && (c->flags & SRV_PAUSED))
            srv_client_resume(c);
        else if (close)
            srv_client_settle(c);
    }
    if (over_clients_cap(w->srv)) {
        uint64_t largest;
        if (holder_of_largest(w->srv, &largest) == w)
            evict_largest_local(w);
    } else {
        local_largest(w); /* refresh the published figure */
    }
}
