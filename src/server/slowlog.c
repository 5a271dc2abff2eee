/*
 * src/server/slowlog.c: the slow log (commands slower than slowlog-log-slower-than, the last
 * slowlog-max-len of them) and the SLOWLOG command (GET, LEN, RESET, HELP) in Redis 7.0's
 * reply shape: [id, unix time, microseconds, [arguments], "ip:port", client name].
 *
 * Invariants: one list, newest first, under one mutex (taken only for a slow command or a
 * SLOWLOG call, never on the fast path); an entry keeps at most 32 arguments of at most 128
 * bytes each, marked as Redis marks them ("... (N more arguments)", "... (N more bytes)");
 * entries are copies, so they outlive the client and its buffers. The log and its entries live
 * in the server-lifetime arena (lifetime.h), never a worker's private one: an entry made on one
 * worker is trimmed by whichever worker pushes the entry past slowlog-max-len.
 */
#include "lifetime.h"
#include "srv_cmd.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ENTRY_MAX_ARGC 32
#define ENTRY_MAX_STRING 128

typedef struct entry {
    struct entry *next;
    uint64_t id;
    int64_t time_s;
    uint64_t usec;
    int argc;
    size_t bytes;                    /* requested for the entry (its arena needs the size) */
    fl_slice_t argv[ENTRY_MAX_ARGC]; /* into text */
    char addr[128], name[64];
    char text[]; /* the arguments, back to back */
} entry_t;

struct srv_slowlog {
    pthread_mutex_t mu;
    entry_t *head; /* newest first; mu */
    size_t len;    /* mu */
    uint64_t next_id;
};

int srv_slowlog_create(srv_server_t *srv)
{
    struct srv_slowlog *l = srv_keep_calloc(SRV_ARENA_SERVER, 1, sizeof(*l));
    if (!l)
        return -1;
    pthread_mutex_init(&l->mu, NULL);
    srv->slowlog = l;
    return 0;
}

static void free_list(entry_t *e)
{
    while (e) {
        entry_t *next = e->next;
        srv_keep_free(SRV_ARENA_SERVER, e, e->bytes);
        e = next;
    }
}

void srv_slowlog_destroy(srv_server_t *srv)
{
    struct srv_slowlog *l = srv->slowlog;
    if (!l)
        return;
    free_list(l->head);
    pthread_mutex_destroy(&l->mu);
    srv_keep_free(SRV_ARENA_SERVER, l, sizeof(*l));
    srv->slowlog = NULL;
}

/* Copies `arg`, argument i of argc, into e (truncated as Redis does) at text + *used. */
static void keep_arg(entry_t *e, size_t *used, int argc, const fl_slice_t *arg, int i)
{
    char *w = e->text + *used;
    int n;
    if (i == ENTRY_MAX_ARGC - 1 && argc > ENTRY_MAX_ARGC)
        n = snprintf(w, 64, "... (%d more arguments)", argc - ENTRY_MAX_ARGC + 1);
    else if (arg->n > ENTRY_MAX_STRING) {
        memcpy(w, arg->p, ENTRY_MAX_STRING);
        n = ENTRY_MAX_STRING +
            snprintf(w + ENTRY_MAX_STRING, 64, "... (%zu more bytes)", arg->n - ENTRY_MAX_STRING);
    } else {
        memcpy(w, arg->p, arg->n);
        n = (int)arg->n;
    }
    e->argv[i].p = w;
    e->argv[i].n = (size_t)n;
    *used += (size_t)n;
}

void srv_slowlog_push(srv_client_t *c, const srv_cmd_t *cmd, int argc, const fl_slice_t *argv,
                      uint64_t usec)
{
    struct srv_slowlog *l = c->srv->slowlog;
    long long max = atomic_load_explicit(&c->srv->live.slowlog_max_len, memory_order_relaxed);
    if (!l || max <= 0)
        return;
    int keep = argc < ENTRY_MAX_ARGC ? argc : ENTRY_MAX_ARGC;
    size_t room = 0;
    for (int i = 0; i < keep; i++)
        room += (argv[i].n < ENTRY_MAX_STRING ? argv[i].n : ENTRY_MAX_STRING) + 64;
    entry_t *e = srv_keep_alloc(SRV_ARENA_SERVER, sizeof(*e) + room);
    if (!e)
        return; /* the log is best effort: a missing entry loses nothing */
    e->bytes = sizeof(*e) + room;
    size_t used = 0;
    static const fl_slice_t redacted = {"(redacted)", 10};
    for (int i = 0; i < keep; i++)
        keep_arg(e, &used, argc, srv_cmd_redacted(cmd, argc, argv, i) ? &redacted : argv + i, i);
    e->argc = keep;
    e->time_s = fl_now_ms() / 1000;
    e->usec = usec;
    snprintf(e->addr, sizeof(e->addr), "%s", c->addr);
    snprintf(e->name, sizeof(e->name), "%s", c->name ? c->name : "");
    entry_t *drop = NULL;
    pthread_mutex_lock(&l->mu);
    e->id = l->next_id++;
    e->next = l->head;
    l->head = e;
    l->len++;
    if (l->len > (size_t)max) { /* cut the oldest entries */
        entry_t *p = l->head;
        for (long long i = 1; i < max; i++)
            p = p->next;
        drop = p->next;
        p->next = NULL;
        l->len = (size_t)max;
    }
    pthread_mutex_unlock(&l->mu);
    free_list(drop);
}

static void reply_entry(srv_buf_t *out, const entry_t *e)
{
    srv_reply_array(out, 6);
    srv_reply_int(out, (long long)e->id);
    srv_reply_int(out, (long long)e->time_s);
    srv_reply_int(out, (long long)e->usec);
    srv_reply_array(out, (size_t)e->argc);
    for (int i = 0; i < e->argc; i++)
        srv_reply_bulk(out, e->argv[i].p, e->argv[i].n);
    srv_reply_bulk_str(out, e->addr);
    srv_reply_bulk_str(out, e->name);
}

static const char *const help[] = {
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
};

static void cmd_slowlog(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    struct srv_slowlog *l = c->srv->slowlog;
    if (argc == 2 && srv_slice_eq(argv[1], "help")) {
        srv_reply_array(&c->out, sizeof(help) / sizeof(help[0]));
        for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
            srv_reply_simple(&c->out, help[i]);
    } else if (argc == 2 && srv_slice_eq(argv[1], "reset")) {
        entry_t *old = NULL;
        if (l) {
            pthread_mutex_lock(&l->mu);
            old = l->head;
            l->head = NULL;
            l->len = 0;
            pthread_mutex_unlock(&l->mu);
        }
        free_list(old);
        srv_reply_ok(&c->out);
    } else if (argc == 2 && srv_slice_eq(argv[1], "len")) {
        size_t len = 0;
        if (l) {
            pthread_mutex_lock(&l->mu);
            len = l->len;
            pthread_mutex_unlock(&l->mu);
        }
        srv_reply_int(&c->out, (long long)len);
    } else if (argc > 3 && srv_slice_eq(argv[1], "get")) {
        srv_reply_error(&c->out, "ERR unknown subcommand or wrong number of arguments for 'get'. "
                                 "Try SLOWLOG HELP.");
    } else if (srv_slice_eq(argv[1], "get")) {
        long long count = 10;
        if (argc == 3 && (!srv_slice_to_ll(argv[2], &count) || count < -1)) {
            srv_reply_error(&c->out, "ERR count should be greater than or equal to -1");
            return;
        }
        srv_buf_t body = {0};
        size_t n = 0;
        if (l) {
            pthread_mutex_lock(&l->mu);
            for (const entry_t *e = l->head; e && (count < 0 || (long long)n < count);
                 e = e->next) {
                reply_entry(&body, e);
                n++;
            }
            pthread_mutex_unlock(&l->mu);
        }
        srv_reply_array(&c->out, n);
        srv_reply_raw(&c->out, body.p, body.len);
        if (body.failed)
            c->out.failed = true;
        srv_buf_free(&body);
    } else if (srv_slice_eq(argv[1], "get") || srv_slice_eq(argv[1], "len") ||
               srv_slice_eq(argv[1], "reset") || srv_slice_eq(argv[1], "help")) {
        char full[32];
        snprintf(full, sizeof(full), "slowlog|%.*s", (int)argv[1].n, argv[1].p);
        srv_reply_arity(c, srv_lower(full));
    } else {
        srv_reply_unknown_subcommand(c, argv[1], "SLOWLOG");
    }
}

static const srv_cmd_t cmds[] = {
    {"slowlog", -2, SRV_CMD_ADMIN | SRV_CMD_SUBCOMMANDS, cmd_slowlog, 0, 0, 0, 0},
};
const srv_cmd_family_t srv_cmds_slowlog = {cmds, sizeof(cmds) / sizeof(cmds[0])};
