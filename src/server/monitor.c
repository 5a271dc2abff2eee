/*
 * src/server/monitor.c: MONITOR. Every command run on any worker (admin commands excepted, as
 * in Redis) reaches every MONITOR client as Redis's line:
 *     +1700000000.123456 [0 127.0.0.1:50000] "set" "k" "v"
 * (arguments quoted and escaped as Redis's sdscatrepr does).
 *
 * Each worker keeps its own monitors (w->monitors, its thread only) and publishes their count;
 * the worker that ran a command formats the line once and posts a copy to each worker that has
 * monitors (srv_worker_post), which appends it to its monitors' output. With no monitor
 * anywhere the cost per command is one relaxed load.
 *
 * Memory: a line's copy is transient, allocated by the worker that ran the command and freed by
 * the receiving worker straight back to the sender's private arena (srv_free_foreign). A
 * worker's list of monitors is its own (allocated, grown and freed on its thread only, freed
 * when its last monitor leaves): it lives as long as those clients, so it stays in the worker's
 * private arena with them.
 */
#include "srv_cmd.h"
#include "fl_assert.h"
#include "lifetime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

typedef struct line_task {
    srv_task_t t;
    size_t len;
    char text[];
} line_task_t;

/* Appends s quoted as Redis's sdscatrepr does. */
static void repr(srv_buf_t *b, const char *s, size_t n)
{
    srv_reply_raw(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        switch (ch) {
        case '\\':
            srv_reply_raw(b, "\\\\", 2);
            break;
        case '"':
            srv_reply_raw(b, "\\\"", 2);
            break;
        case '\n':
            srv_reply_raw(b, "\\n", 2);
            break;
        case '\r':
            srv_reply_raw(b, "\\r", 2);
            break;
        case '\t':
            srv_reply_raw(b, "\\t", 2);
            break;
        case '\a':
            srv_reply_raw(b, "\\a", 2);
            break;
        case '\b':
            srv_reply_raw(b, "\\b", 2);
            break;
        default:
            if (ch >= 32 && ch < 127)
                srv_reply_raw(b, (const char *)&ch, 1);
            else
                srv_buf_printf(b, "\\x%02x", ch);
        }
    }
    srv_reply_raw(b, "\"", 1);
}

static void deliver(srv_worker_t *w, srv_task_t *t)
{
    line_task_t *l = (line_task_t *)t;
    /* Backwards: settling may close a monitor, which swaps the last one into its slot. */
    for (size_t i = w->nmonitors; i-- > 0;) {
        if (i >= w->nmonitors)
            continue;
        srv_client_t *m = w->monitors[i];
        srv_reply_raw(&m->out, l->text, l->len);
        srv_client_settle(m);
    }
    srv_free_foreign(l);
}

void srv_monitor_feed(srv_client_t *c, const srv_cmd_t *cmd, int argc, const fl_slice_t *argv)
{
    srv_server_t *srv = c->srv;
    if (atomic_load_explicit(&srv->monitors, memory_order_relaxed) == 0 || !srv->workers)
        return;
    struct timeval tv;
    gettimeofday(&tv, NULL);
    srv_buf_t line = {0};
    if (c->addr[0] == '/') /* a unix-socket client ("<path>:0"): Redis shows "unix:<path>" */
        srv_buf_printf(&line, "+%ld.%06ld [%zu unix:%.*s] ", (long)tv.tv_sec, (long)tv.tv_usec,
                       c->ns_index, (int)(strlen(c->addr) - 2), c->addr);
    else
        srv_buf_printf(&line, "+%ld.%06ld [%zu %s] ", (long)tv.tv_sec, (long)tv.tv_usec,
                       c->ns_index, c->addr[0] ? c->addr : "lua");
    for (int i = 0; i < argc; i++) {
        if (i)
            srv_reply_raw(&line, " ", 1);
        if (srv_cmd_redacted(cmd, argc, argv, i))
            srv_reply_raw(&line, "\"(redacted)\"", 12);
        else
            repr(&line, argv[i].p, argv[i].n);
    }
    srv_reply_raw(&line, "\r\n", 2);
    for (int i = 0; i < srv->nworkers && !line.failed; i++) {
        srv_worker_t *w = &srv->workers[i];
        if (atomic_load_explicit(&w->monitor_count, memory_order_relaxed) == 0)
            continue;
        line_task_t *t = malloc(sizeof(*t) + line.len);
        if (!t)
            break; /* best effort, as a monitor that cannot keep up */
        t->t.fn = deliver;
        t->len = line.len;
        memcpy(t->text, line.p, line.len);
        srv_worker_post(w, &t->t);
    }
    srv_buf_free(&line);
}

void srv_monitor_detach(srv_client_t *c)
{
    srv_worker_t *w = c->worker;
    if (!(c->flags & SRV_MONITOR) || !w)
        return;
    for (size_t i = 0; i < w->nmonitors; i++) {
        if (w->monitors[i] != c)
            continue;
        w->monitors[i] = w->monitors[--w->nmonitors];
        atomic_fetch_sub(&w->monitor_count, 1);
        atomic_fetch_sub(&c->srv->monitors, 1);
        break;
    }
    c->flags &= ~SRV_MONITOR;
    FL_DEBUG_ASSERT((size_t)atomic_load(&w->monitor_count) == w->nmonitors);
    if (w->nmonitors == 0) {
        free(w->monitors);
        w->monitors = NULL;
        w->monitors_cap = 0;
    }
}

static void cmd_monitor(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_worker_t *w = c->worker;
    if (c->flags & SRV_MONITOR)
        return; /* as Redis: a second MONITOR replies nothing */
    if (w && w->nmonitors == w->monitors_cap) {
        size_t cap = w->monitors_cap ? w->monitors_cap * 2 : 4;
        srv_client_t **m = realloc(w->monitors, cap * sizeof(*m));
        if (!m) {
            c->out.failed = true;
            return;
        }
        w->monitors = m;
        w->monitors_cap = cap;
    }
    if (w) {
        w->monitors[w->nmonitors++] = c;
        atomic_fetch_add(&w->monitor_count, 1);
        atomic_fetch_add(&c->srv->monitors, 1);
        c->flags |= SRV_MONITOR;
    }
    srv_reply_ok(&c->out);
}

static const srv_cmd_t cmds[] = {
    {"monitor", 1, SRV_CMD_ADMIN, cmd_monitor, 0, 0, 0, 0},
};
const srv_cmd_family_t srv_cmds_monitor = {cmds, sizeof(cmds) / sizeof(cmds[0])};
