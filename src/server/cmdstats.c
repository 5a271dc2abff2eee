/*
 * src/server/cmdstats.c: per-command counters (calls, time, rejected and failed calls), latency
 * histograms and error-reply counts, and the INFO sections that print them (commandstats,
 * errorstats, latencystats) with Redis's field names.
 *
 * Each worker owns one srv_cmdstats: a row per command of the table (indexed by the command's
 * position, srv_cmd_id), a row per subcommand that ran there (by its full name, "client|list",
 * as Redis counts container commands: the handler names it in c->last_cmd) and a small table
 * of error codes. Only the owner writes its rows
 * (relaxed load + store, as srv_stat_add); INFO, from any worker, reads every worker's rows
 * relaxed and sums them, so no counter is a shared cache line on the request path. A
 * histogram is allocated the first time its command runs on that worker and published with a
 * release store; its buckets are log-linear (8 per power of two of nanoseconds, so a
 * percentile is within 12.5 %). CONFIG RESETSTAT zeroes each worker's rows on that worker
 * (a task), so a reset never races an owner's update. Histograms live as long as the server,
 * so they are in the "server" server-lifetime arena (lifetime.h), not among the worker's
 * transient blocks (up to one per command per worker, made whenever a command first runs).
 */
#include "lifetime.h"
#include "srv_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Bucket i < 16 holds exactly i ns; above, 8 buckets per power of two. */
#define HIST_BUCKETS (16 + 60 * 8)
#define HIST_BYTES (HIST_BUCKETS * sizeof(_Atomic uint64_t))
#define ERR_CODES_MAX 128
#define SUBS_MAX 128

typedef struct srv_cmdstat {
    _Atomic uint64_t calls, ns, rejected, failed;
    _Atomic(_Atomic uint64_t *) hist; /* HIST_BUCKETS counters, or NULL */
} srv_cmdstat_t;

struct srv_cmdstats {
    size_t ncmds;
    _Atomic size_t nsub; /* sub[0, nsub) are written and stay */
    struct {
        const char *name; /* static: a handler's table entry */
        srv_cmdstat_t st;
    } sub[SUBS_MAX];
    _Atomic size_t nerr; /* codes[0, nerr) are written and stay */
    struct {
        char code[32];
        _Atomic uint64_t count;
    } err[ERR_CODES_MAX];
    srv_cmdstat_t cmd[]; /* ncmds rows */
};

int srv_cmdstats_init(srv_worker_t *w)
{
    size_t n = srv_cmd_count();
    struct srv_cmdstats *s = calloc(1, sizeof(*s) + n * sizeof(s->cmd[0]));
    if (!s)
        return -1;
    s->ncmds = n;
    w->cmdstats = s;
    return 0;
}

void srv_cmdstats_free(srv_worker_t *w)
{
    struct srv_cmdstats *s = w->cmdstats;
    if (!s)
        return;
    for (size_t i = 0; i < s->ncmds; i++)
        srv_keep_free(SRV_ARENA_SERVER, (void *)atomic_load(&s->cmd[i].hist), HIST_BYTES);
    for (size_t i = 0; i < atomic_load(&s->nsub); i++)
        srv_keep_free(SRV_ARENA_SERVER, (void *)atomic_load(&s->sub[i].st.hist), HIST_BYTES);
    free(s);
    w->cmdstats = NULL;
}

static size_t bucket_of(uint64_t ns)
{
    if (ns < 16)
        return (size_t)ns;
    int p = 63 - __builtin_clzll(ns); /* >= 4 */
    size_t i = 16 + (size_t)(p - 4) * 8 + (size_t)((ns >> (p - 3)) & 7);
    return i < HIST_BUCKETS ? i : HIST_BUCKETS - 1;
}

/* The highest value bucket i holds, in ns. */
static uint64_t bucket_top(size_t i)
{
    if (i < 16)
        return i;
    size_t p = 4 + (i - 16) / 8, sub = (i - 16) % 8;
    return ((8 + sub + 1) << (p - 3)) - 1;
}

static void add(_Atomic uint64_t *v, uint64_t n)
{
    srv_stat_add(v, n);
}

/* The worker's row for subcommand `name`, added on first use; NULL when the table is full. */
static srv_cmdstat_t *sub_row(struct srv_cmdstats *s, const char *name)
{
    size_t n = atomic_load_explicit(&s->nsub, memory_order_relaxed);
    for (size_t i = 0; i < n; i++)
        if (s->sub[i].name == name || strcmp(s->sub[i].name, name) == 0)
            return &s->sub[i].st;
    if (n == SUBS_MAX)
        return NULL;
    s->sub[n].name = name;
    atomic_store_explicit(&s->nsub, n + 1, memory_order_release);
    return &s->sub[n].st;
}

void srv_cmdstats_record(srv_client_t *c, size_t id, const char *sub, uint64_t ns, bool failed)
{
    if (!c->worker || !c->worker->cmdstats || id >= c->worker->cmdstats->ncmds)
        return;
    struct srv_cmdstats *s = c->worker->cmdstats;
    srv_cmdstat_t *r = sub ? sub_row(s, sub) : &s->cmd[id];
    if (!r)
        return;
    add(&r->calls, 1);
    add(&r->ns, ns);
    if (failed)
        add(&r->failed, 1);
    if (!atomic_load_explicit(&c->srv->live.latency_tracking, memory_order_relaxed))
        return;
    _Atomic uint64_t *h = atomic_load_explicit(&r->hist, memory_order_relaxed);
    if (!h) {
        h = srv_keep_calloc(SRV_ARENA_SERVER, 1, HIST_BYTES);
        if (!h)
            return;
        atomic_store_explicit(&r->hist, h, memory_order_release);
    }
    add(&h[bucket_of(ns)], 1);
}

void srv_cmdstats_rejected(srv_client_t *c, size_t id)
{
    if (c->worker && c->worker->cmdstats && id < c->worker->cmdstats->ncmds)
        add(&c->worker->cmdstats->cmd[id].rejected, 1);
    if (c->worker)
        add(&c->worker->stats.rejected_calls, 1);
}

void srv_errstats_record(srv_client_t *c, const char *reply, size_t len)
{
    if (!c->worker || !c->worker->cmdstats || len < 2 || reply[0] != '-')
        return;
    struct srv_cmdstats *s = c->worker->cmdstats;
    add(&c->worker->stats.error_replies, 1);
    size_t n = 1;
    while (n < len && n < 32 && reply[n] != ' ' && reply[n] != '\r')
        n++;
    const char *code = reply + 1;
    size_t clen = n - 1;
    size_t nerr = atomic_load_explicit(&s->nerr, memory_order_relaxed);
    for (size_t i = 0; i < nerr; i++)
        if (strlen(s->err[i].code) == clen && memcmp(s->err[i].code, code, clen) == 0) {
            add(&s->err[i].count, 1);
            return;
        }
    if (nerr == ERR_CODES_MAX)
        return; /* as Redis, a bounded table: further codes go uncounted */
    memcpy(s->err[nerr].code, code, clen);
    s->err[nerr].code[clen] = '\0';
    atomic_store_explicit(&s->err[nerr].count, 1, memory_order_relaxed);
    atomic_store_explicit(&s->nerr, nerr + 1, memory_order_release);
}

void srv_cmdstats_reset(srv_worker_t *w)
{
    struct srv_cmdstats *s = w->cmdstats;
    if (!s)
        return;
    size_t nsub = atomic_load_explicit(&s->nsub, memory_order_relaxed);
    for (size_t i = 0; i < s->ncmds + nsub; i++) {
        srv_cmdstat_t *r = i < s->ncmds ? &s->cmd[i] : &s->sub[i - s->ncmds].st;
        atomic_store_explicit(&r->calls, 0, memory_order_relaxed);
        atomic_store_explicit(&r->ns, 0, memory_order_relaxed);
        atomic_store_explicit(&r->rejected, 0, memory_order_relaxed);
        atomic_store_explicit(&r->failed, 0, memory_order_relaxed);
        _Atomic uint64_t *h = atomic_load_explicit(&r->hist, memory_order_relaxed);
        for (size_t b = 0; h && b < HIST_BUCKETS; b++)
            atomic_store_explicit(&h[b], 0, memory_order_relaxed);
    }
    size_t nerr = atomic_load_explicit(&s->nerr, memory_order_relaxed);
    for (size_t i = 0; i < nerr; i++)
        atomic_store_explicit(&s->err[i].count, 0, memory_order_relaxed);
}

/* ---- Reading: every worker's rows summed -------------------------------------------------- */

typedef struct cmd_sum {
    uint64_t calls, ns, rejected, failed;
    uint64_t hist[HIST_BUCKETS];
} cmd_sum_t;

/* Worker w's row for command id, or for its subcommand `sub` (NULL when w has none). */
static const srv_cmdstat_t *row_of(const struct srv_cmdstats *s, size_t id, const char *sub)
{
    if (!s || id >= s->ncmds)
        return NULL;
    if (!sub)
        return &s->cmd[id];
    size_t n = atomic_load_explicit(&s->nsub, memory_order_acquire);
    for (size_t i = 0; i < n; i++)
        if (strcmp(s->sub[i].name, sub) == 0)
            return &s->sub[i].st;
    return NULL;
}

/* Every worker's row for command id (or its subcommand `sub`) summed into *t. */
static void sum_row(const srv_server_t *srv, size_t id, const char *sub, cmd_sum_t *t)
{
    memset(t, 0, sizeof(*t));
    for (int w = 0; w < srv->nworkers; w++) {
        const srv_cmdstat_t *r = row_of(srv->workers[w].cmdstats, id, sub);
        if (!r)
            continue;
        t->calls += atomic_load_explicit(&r->calls, memory_order_relaxed);
        t->ns += atomic_load_explicit(&r->ns, memory_order_relaxed);
        t->rejected += atomic_load_explicit(&r->rejected, memory_order_relaxed);
        t->failed += atomic_load_explicit(&r->failed, memory_order_relaxed);
        _Atomic uint64_t *h = atomic_load_explicit(&r->hist, memory_order_acquire);
        for (size_t b = 0; h && b < HIST_BUCKETS; b++)
            t->hist[b] += atomic_load_explicit(&h[b], memory_order_relaxed);
    }
}

typedef void row_fn(void *ctx, const char *name, const cmd_sum_t *t);

static int name_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Calls fn for command id's row, then for each of its subcommands any worker saw, in name
 * order, each summed over the workers into *t. */
static void each_row(const srv_server_t *srv, size_t id, cmd_sum_t *t, row_fn *fn, void *ctx)
{
    const char *name = srv_cmd_at(id)->name, *subs[SUBS_MAX];
    size_t nsubs = 0, len = strlen(name);
    sum_row(srv, id, NULL, t);
    fn(ctx, name, t);
    for (int w = 0; w < srv->nworkers; w++) {
        const struct srv_cmdstats *s = srv->workers[w].cmdstats;
        size_t n = s ? atomic_load_explicit(&s->nsub, memory_order_acquire) : 0;
        for (size_t i = 0; i < n; i++) {
            const char *sub = s->sub[i].name;
            bool seen = strncmp(sub, name, len) != 0 || sub[len] != '|';
            for (size_t k = 0; k < nsubs && !seen; k++)
                seen = strcmp(subs[k], sub) == 0;
            if (!seen && nsubs < SUBS_MAX)
                subs[nsubs++] = sub;
        }
    }
    qsort(subs, nsubs, sizeof(subs[0]), name_cmp);
    for (size_t k = 0; k < nsubs; k++) {
        sum_row(srv, id, subs[k], t);
        fn(ctx, subs[k], t);
    }
}

static uint64_t hist_total(const cmd_sum_t *t)
{
    uint64_t n = 0;
    for (size_t b = 0; b < HIST_BUCKETS; b++)
        n += t->hist[b];
    return n;
}

/* The value (ns) at percentile pct of the summed histogram. */
static uint64_t percentile(const cmd_sum_t *t, uint64_t total, double pct)
{
    uint64_t want = (uint64_t)((pct / 100.0) * (double)total + 0.5), seen = 0;
    if (want == 0)
        want = 1;
    for (size_t b = 0; b < HIST_BUCKETS; b++) {
        seen += t->hist[b];
        if (seen >= want)
            return bucket_top(b);
    }
    return bucket_top(HIST_BUCKETS - 1);
}

static void commandstat_line(void *ctx, const char *name, const cmd_sum_t *t)
{
    if (!t->calls && !t->rejected && !t->failed)
        return;
    uint64_t usec = t->ns / 1000;
    srv_buf_printf(ctx,
                   "cmdstat_%s:calls=%llu,usec=%llu,usec_per_call=%.2f,rejected_calls=%llu,"
                   "failed_calls=%llu\r\n",
                   name, (unsigned long long)t->calls, (unsigned long long)usec,
                   t->calls ? (double)usec / (double)t->calls : 0.0,
                   (unsigned long long)t->rejected, (unsigned long long)t->failed);
}

static void latencystat_line(void *ctx, const char *name, const cmd_sum_t *t)
{
    uint64_t total = hist_total(t);
    if (!total)
        return;
    srv_buf_printf(ctx, "latency_percentiles_usec_%s:p50=%.3f,p99=%.3f,p99.9=%.3f\r\n", name,
                   (double)percentile(t, total, 50) / 1000.0,
                   (double)percentile(t, total, 99) / 1000.0,
                   (double)percentile(t, total, 99.9) / 1000.0);
}

/* A section built from every row: title, then fn per row. */
static void rows_section(srv_server_t *srv, srv_buf_t *out, const char *title, row_fn *fn)
{
    cmd_sum_t *t = malloc(sizeof(*t));
    srv_buf_printf(out, "%s\r\n", title);
    for (size_t i = 0; t && i < srv_cmd_count(); i++)
        each_row(srv, i, t, fn, out);
    if (!t)
        out->failed = true;
    free(t);
}

void srv_info_commandstats(srv_server_t *srv, srv_buf_t *out)
{
    rows_section(srv, out, "# Commandstats", commandstat_line);
}

void srv_info_latencystats(srv_server_t *srv, srv_buf_t *out)
{
    rows_section(srv, out, "# Latencystats", latencystat_line);
}

void srv_info_errorstats(srv_server_t *srv, srv_buf_t *out)
{
    srv_buf_printf(out, "# Errorstats\r\n");
    /* The codes of every worker, each printed once with the workers' counts summed. */
    char seen[ERR_CODES_MAX][32];
    size_t nseen = 0;
    for (int w = 0; w < srv->nworkers; w++) {
        const struct srv_cmdstats *s = srv->workers[w].cmdstats;
        size_t nerr = s ? atomic_load_explicit(&s->nerr, memory_order_acquire) : 0;
        for (size_t e = 0; e < nerr; e++) {
            const char *code = s->err[e].code;
            bool dup = false;
            for (size_t k = 0; k < nseen && !dup; k++)
                dup = strcmp(seen[k], code) == 0;
            if (dup || nseen == ERR_CODES_MAX)
                continue;
            snprintf(seen[nseen++], sizeof(seen[0]), "%s", code);
            uint64_t count = 0;
            for (int v = 0; v < srv->nworkers; v++) {
                const struct srv_cmdstats *o = srv->workers[v].cmdstats;
                size_t on = o ? atomic_load_explicit(&o->nerr, memory_order_acquire) : 0;
                for (size_t k = 0; k < on; k++)
                    if (strcmp(o->err[k].code, code) == 0)
                        count += atomic_load_explicit(&o->err[k].count, memory_order_relaxed);
            }
            if (count)
                srv_buf_printf(out, "errorstat_%s:count=%llu\r\n", code, (unsigned long long)count);
        }
    }
}

/* LATENCY HISTOGRAM's entry for one command into out: name, then calls and the cumulative
 * counts of power-of-two buckets from 1024 ns (Redis's shape: micros, cumulative count). */
static void histogram_entry(srv_buf_t *out, const char *name, const cmd_sum_t *t)
{
    uint64_t total = hist_total(t);
    srv_buf_t pairs = {0};
    size_t npairs = 0, b = 0;
    uint64_t cumulative = 0, previous = 0;
    for (uint64_t top = 1024; b < HIST_BUCKETS && top < (1ULL << 62); top *= 2) {
        while (b < HIST_BUCKETS && bucket_top(b) < top) /* no bucket straddles a power of 2 */
            cumulative += t->hist[b++];
        if (cumulative > previous) {
            srv_reply_int(&pairs, (long long)(top - 1) / 1000);
            srv_reply_int(&pairs, (long long)cumulative);
            npairs++;
        }
        previous = cumulative;
        if (cumulative == total)
            break;
    }
    srv_reply_bulk_str(out, name);
    srv_reply_map(out, 2);
    srv_reply_bulk_str(out, "calls");
    srv_reply_int(out, (long long)total);
    srv_reply_bulk_str(out, "histogram_usec");
    srv_reply_map(out, npairs);
    srv_reply_raw(out, pairs.p, pairs.len);
    out->failed |= pairs.failed;
    srv_buf_free(&pairs);
}

typedef struct histogram_ctx {
    srv_buf_t body; /* the entries; their count goes first */
    size_t n;
} histogram_ctx_t;

static void histogram_row(void *ctx, const char *name, const cmd_sum_t *t)
{
    histogram_ctx_t *h = ctx;
    if (!hist_total(t))
        return;
    histogram_entry(&h->body, name, t);
    h->n++;
}

void srv_reply_latency_histogram(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    cmd_sum_t *t = malloc(sizeof(*t));
    histogram_ctx_t h = {srv_buf_like(&c->out), 0};
    for (size_t i = 0; t && i < srv_cmd_count(); i++) {
        const srv_cmd_t *cmd = srv_cmd_at(i);
        bool want = argc == 0;
        for (int a = 0; a < argc && !want; a++)
            want = srv_cmd_lookup(argv[a].p, argv[a].n) == cmd;
        if (want)
            each_row(c->srv, i, t, histogram_row, &h);
    }
    srv_reply_map(&c->out, h.n);
    srv_reply_raw(&c->out, h.body.p, h.body.len);
    if (h.body.failed || !t)
        c->out.failed = true;
    srv_buf_free(&h.body);
    free(t);
}
