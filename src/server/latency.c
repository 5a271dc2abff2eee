/*
 * src/server/latency.c: the latency monitor (events at or above latency-monitor-threshold ms,
 * the last 160 seconds that had one per event) and the LATENCY command (LATEST, HISTORY, RESET,
 * DOCTOR, HISTOGRAM, HELP) in Redis 7.0's reply shapes.
 *
 * Events recorded: "command" and "fast-command" (a command's run time, by its fast flag), as
 * Redis names them. Samples of one second are merged (the maximum kept), as Redis does.
 *
 * Invariants: one table under one mutex, taken only when an event passes the threshold or by
 * LATENCY itself; at most EVENTS_MAX events (names are static strings). The table lives in the
 * server-lifetime arena (lifetime.h).
 */
#include "lifetime.h"
#include "srv_cmd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define SAMPLES 160
#define EVENTS_MAX 16

typedef struct sample {
    int32_t time_s;
    uint32_t ms;
} sample_t;

typedef struct series {
    const char *name; /* static */
    int idx;          /* next slot */
    sample_t s[SAMPLES];
    uint32_t max;
} series_t;

struct srv_latency {
    pthread_mutex_t mu;
    series_t ev[EVENTS_MAX]; /* mu */
    size_t n;                /* mu */
};

int srv_latency_create(srv_server_t *srv)
{
    struct srv_latency *l = srv_keep_calloc(SRV_ARENA_SERVER, 1, sizeof(*l));
    if (!l)
        return -1;
    pthread_mutex_init(&l->mu, NULL);
    srv->latency = l;
    return 0;
}

void srv_latency_destroy(srv_server_t *srv)
{
    if (!srv->latency)
        return;
    pthread_mutex_destroy(&srv->latency->mu);
    srv_keep_free(SRV_ARENA_SERVER, srv->latency, sizeof(*srv->latency));
    srv->latency = NULL;
}

static series_t *find(struct srv_latency *l, const char *name, size_t len)
{
    for (size_t i = 0; i < l->n; i++)
        if (strlen(l->ev[i].name) == len && strncasecmp(l->ev[i].name, name, len) == 0)
            return &l->ev[i];
    return NULL;
}

void srv_latency_add(srv_server_t *srv, const char *event, uint64_t ms)
{
    struct srv_latency *l = srv->latency;
    long long threshold =
        atomic_load_explicit(&srv->live.latency_threshold_ms, memory_order_relaxed);
    if (!l || threshold <= 0 || ms < (uint64_t)threshold)
        return;
    int32_t now = (int32_t)(fl_now_ms() / 1000);
    uint32_t v = ms > UINT32_MAX ? UINT32_MAX : (uint32_t)ms;
    pthread_mutex_lock(&l->mu);
    series_t *s = find(l, event, strlen(event));
    if (!s && l->n < EVENTS_MAX) {
        s = &l->ev[l->n++];
        memset(s, 0, sizeof(*s));
        s->name = event;
    }
    if (s) {
        if (v > s->max)
            s->max = v;
        sample_t *prev = &s->s[(s->idx + SAMPLES - 1) % SAMPLES];
        if (prev->time_s == now) {
            if (v > prev->ms)
                prev->ms = v;
        } else {
            s->s[s->idx] = (sample_t){now, v};
            s->idx = (s->idx + 1) % SAMPLES;
        }
    }
    pthread_mutex_unlock(&l->mu);
}

/* Samples of s oldest first into out; returns their number. */
static size_t samples_of(const series_t *s, sample_t *out)
{
    size_t n = 0;
    for (int j = 0; j < SAMPLES; j++) {
        const sample_t *x = &s->s[(s->idx + j) % SAMPLES];
        if (x->time_s)
            out[n++] = *x;
    }
    return n;
}

static void reply_latest(srv_client_t *c, struct srv_latency *l)
{
    srv_reply_array(&c->out, l->n);
    for (size_t i = 0; i < l->n; i++) {
        const series_t *s = &l->ev[i];
        const sample_t *last = &s->s[(s->idx + SAMPLES - 1) % SAMPLES];
        srv_reply_array(&c->out, 4);
        srv_reply_bulk_str(&c->out, s->name);
        srv_reply_int(&c->out, last->time_s);
        srv_reply_int(&c->out, last->ms);
        srv_reply_int(&c->out, s->max);
    }
}

static void reply_history(srv_client_t *c, struct srv_latency *l, fl_slice_t event)
{
    const series_t *s = find(l, event.p, event.n);
    sample_t x[SAMPLES];
    size_t n = s ? samples_of(s, x) : 0;
    srv_reply_array(&c->out, n);
    for (size_t i = 0; i < n; i++) {
        srv_reply_array(&c->out, 2);
        srv_reply_int(&c->out, x[i].time_s);
        srv_reply_int(&c->out, x[i].ms);
    }
}

static size_t reset(struct srv_latency *l, int argc, const fl_slice_t *argv)
{
    size_t removed = 0;
    for (size_t i = 0; i < l->n;) {
        bool drop = argc == 0;
        for (int a = 0; a < argc && !drop; a++)
            drop = strlen(l->ev[i].name) == argv[a].n &&
                   strncasecmp(l->ev[i].name, argv[a].p, argv[a].n) == 0;
        if (!drop) {
            i++;
            continue;
        }
        l->ev[i] = l->ev[--l->n];
        removed++;
    }
    return removed;
}

/* Redis's report, for the events flatline records. */
static void doctor(srv_server_t *srv, struct srv_latency *l, srv_buf_t *out)
{
    long long threshold =
        atomic_load_explicit(&srv->live.latency_threshold_ms, memory_order_relaxed);
    if (l->n == 0 && threshold == 0) {
        srv_buf_printf(out, "I'm sorry, Dave, I can't do that. Latency monitoring is disabled in "
                            "this Redis instance. You may use \"CONFIG SET "
                            "latency-monitor-threshold <milliseconds>.\" in order to enable it. "
                            "If we weren't in a deep space mission I'd suggest to take a look at "
                            "https://redis.io/topics/latency-monitor.\n");
        return;
    }
    if (l->n == 0) {
        srv_buf_printf(out, "Dave, no latency spike was observed during the lifetime of this "
                            "Redis instance, not in the slightest bit. I honestly think you ought "
                            "to sit down calmly, take a stress pill, and think things over.\n");
        return;
    }
    srv_buf_printf(out, "Dave, I have observed latency spikes in this Redis instance. You don't "
                        "mind talking about it, do you Dave?\n\n");
    for (size_t i = 0; i < l->n; i++) {
        sample_t x[SAMPLES];
        size_t n = samples_of(&l->ev[i], x);
        uint64_t sum = 0, mad = 0;
        for (size_t k = 0; k < n; k++)
            sum += x[k].ms;
        uint64_t avg = n ? sum / n : 0;
        for (size_t k = 0; k < n; k++)
            mad += x[k].ms > avg ? x[k].ms - avg : avg - x[k].ms;
        double period = n > 1 ? (double)(x[n - 1].time_s - x[0].time_s) / (double)n : 0.0;
        srv_buf_printf(out,
                       "%zu. %s: %zu latency spikes (average %llums, mean deviation %llums, "
                       "period %.2f sec). Worst all time event %ums.\n",
                       i + 1, l->ev[i].name, n, (unsigned long long)avg,
                       (unsigned long long)(n ? mad / n : 0), period, l->ev[i].max);
    }
    srv_buf_printf(out, "\nI have a few advices for you:\n\n- Check your Slow Log to understand "
                        "what are the commands you are running which are too slow to execute. "
                        "Please check https://redis.io/commands/slowlog for more information.\n");
}

static const char *const help[] = {
    "LATENCY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return a human readable latency analysis report.",
    "HISTORY <event>",
    "    Return time-latency samples for the <event> class.",
    "LATEST",
    "    Return the latest latency samples for all events.",
    "RESET [<event> ...]",
    "    Reset latency data of one or more <event> classes.",
    "    (default: reset all data for all event classes)",
    "HISTOGRAM [COMMAND ...]",
    "    Return a cumulative distribution of latencies in the format of a histogram for the "
    "specified command names.",
    "    If no commands are specified then all histograms are replied.",
    "HELP",
    "    Prints this help.",
};

static void cmd_latency(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    struct srv_latency *l = c->srv->latency;
    static struct srv_latency none; /* in-process servers: an empty monitor */
    if (!l)
        l = &none;
    bool real = l != &none;
    if (argc >= 2 && srv_slice_eq(argv[1], "histogram")) {
        srv_reply_latency_histogram(c, argc - 2, argv + 2);
        return;
    }
    if (argc == 2 && srv_slice_eq(argv[1], "help")) {
        srv_reply_array(&c->out, sizeof(help) / sizeof(help[0]));
        for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
            srv_reply_simple(&c->out, help[i]);
        return;
    }
    if (real)
        pthread_mutex_lock(&l->mu);
    if (argc == 2 && srv_slice_eq(argv[1], "latest")) {
        reply_latest(c, l);
    } else if (argc == 3 && srv_slice_eq(argv[1], "history")) {
        reply_history(c, l, argv[2]);
    } else if (argc >= 2 && srv_slice_eq(argv[1], "reset")) {
        srv_reply_int(&c->out, (long long)reset(l, argc - 2, argv + 2));
    } else if (argc == 2 && srv_slice_eq(argv[1], "doctor")) {
        srv_buf_t text = {0};
        doctor(c->srv, l, &text);
        srv_reply_verbatim(&c->out, text.p ? text.p : "", text.len);
        srv_buf_free(&text);
    } else if (srv_slice_eq(argv[1], "latest") || srv_slice_eq(argv[1], "history") ||
               srv_slice_eq(argv[1], "doctor") || srv_slice_eq(argv[1], "help")) {
        char full[32];
        snprintf(full, sizeof(full), "latency|%.*s", (int)argv[1].n, argv[1].p);
        srv_reply_arity(c, srv_lower(full));
    } else {
        srv_reply_unknown_subcommand(c, argv[1], "LATENCY");
    }
    if (real)
        pthread_mutex_unlock(&l->mu);
}

static const srv_cmd_t cmds[] = {
    {"latency", -2, SRV_CMD_ADMIN | SRV_CMD_SUBCOMMANDS, cmd_latency, 0, 0, 0, 0},
};
const srv_cmd_family_t srv_cmds_latency = {cmds, sizeof(cmds) / sizeof(cmds[0])};
