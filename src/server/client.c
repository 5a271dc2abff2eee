/*
 * src/server/client.c: a client's request pipeline: parse what is buffered, dispatch each
 * complete command, queue its reply; independent of sockets so the fuzz target and unit
 * tests drive it in-process.
 *
 * Invariants: argument slices point into c->in and are valid only while one command runs;
 * consumed bytes are dropped from c->in only between commands (srv_parser_shift keeps the
 * parser's offsets right); a protocol error queues exactly one "-ERR Protocol error: ..."
 * and marks the client to close after it is written, touching no other client or data.
 */
#include "srv.h"
#include "multi.h"
#include "pubsub.h"

#include <stdlib.h>
#include <string.h>

void srv_client_init(srv_client_t *c, srv_server_t *srv, srv_worker_t *w, int fd)
{
    memset(c, 0, sizeof(*c));
    c->fd = fd;
    c->srv = srv;
    c->worker = w;
    /* Connections number themselves as Redis's do; an in-process client (a script's) takes no
     * number, so running a script does not shift the ids later connections get. */
    c->id = w || fd >= 0 ? atomic_fetch_add(&srv->next_client_id, 1) + 1 : 0;
    c->ns = srv->store ? fl_store_ns(srv->store, 0) : NULL;
    c->ns_index = 0;
    c->ctime_ms = c->last_ms = fl_now_ms();
    srv_client_limits_attach(c);
    if (srv->acl)
        srv_acl_session_init(srv->acl, &c->acl);
}

void srv_client_free_buffers(srv_client_t *c)
{
    srv_multi_free(c);
    srv_pubsub_free(c);
    srv_buf_free(&c->in);
    srv_buf_free(&c->out);
    srv_parser_free(&c->parser);
    free(c->argv);
    c->argv = NULL;
    c->argv_cap = 0;
    free(c->name);
    c->name = NULL;
    if (c->acl.user)
        srv_acl_session_release(&c->acl);
}

static int protocol_error(srv_client_t *c, const char *why)
{
    size_t mark = c->out.len;
    srv_reply_errorf(&c->out, "ERR Protocol error: %s", why);
    if (c->out.len > mark) /* counted in errorstats and total_error_replies, as Redis */
        srv_errstats_record(c, c->out.p + mark, c->out.len - mark);
    c->flags |= SRV_CLOSE_AFTER_REPLY;
    if (c->worker)
        srv_stat_add(&c->worker->stats.protocol_errors, 1);
    return -1;
}

static bool fill_argv(srv_client_t *c)
{
    const srv_parser_t *p = &c->parser;
    if (p->argc > c->argv_cap) {
        size_t cap = c->argv_cap ? c->argv_cap : 8;
        while (cap < p->argc)
            cap *= 2;
        fl_slice_t *a = realloc(c->argv, cap * sizeof(*a));
        if (!a)
            return false;
        c->argv = a;
        c->argv_cap = cap;
    }
    for (size_t i = 0; i < p->argc; i++) {
        c->argv[i].p = c->in.p + p->argv[i].off;
        c->argv[i].n = p->argv[i].len;
    }
    return true;
}

void srv_client_note_log(srv_client_t *c, uint64_t seq_before)
{
    flp_t *p = c->srv->persist;
    if (!p || !flp_sync_replies(p))
        return;
    uint64_t seq = flp_thread_seq();
    if (seq == seq_before) { /* no write: what it read may be a change not durable yet */
        if (flp_write_failing(p, NULL))
            return; /* reads go on while the log cannot be written (-MISCONF for writes) */
        seq = flp_appended_seq(p);
    }
    if (seq > c->hold_seq && seq > flp_durable_seq(p))
        c->hold_seq = seq;
}

int srv_client_process_input(srv_client_t *c)
{
    SRV_ASSERT_OWNER(c);
    const srv_live_t *live = &c->srv->live;
    srv_limits_t lim = {atomic_load_explicit(&live->proto_max_bulk_len, memory_order_relaxed),
                        atomic_load_explicit(&live->max_multibulk_len, memory_order_relaxed)};
    int rc = 0;
    c->stalled = false;
    c->flags &= ~SRV_PAUSED;
    srv_client_limits_refresh(c); /* a CONFIG SET since the last write applies from now */
    while (!(c->flags & (SRV_CLOSE_AFTER_REPLY | SRV_CLOSE_ASAP | SRV_WAITING)) && !c->out.failed &&
           !c->blocked) {
        if (c->out.len - c->out_sent > SRV_OUT_HIGH) {
            c->stalled = true; /* resumed by the worker once the output drains */
            break;
        }
        /* A command parsed before a pause is still whole in `in`: run it first. */
        bool held = c->parser.kind == 0 && c->parser.argc > 0;
        int r = held ? SRV_PARSE_OK : srv_parse(&c->parser, c->in.p, c->in.len, &lim);
        if (r == SRV_PARSE_ERROR) {
            rc = protocol_error(c, c->parser.error);
            break;
        }
        if (r == SRV_PARSE_MORE) {
            size_t pending = c->in.len - c->parser.cmd_start;
            if (pending + srv_parser_want(&c->parser, c->in.len) >
                atomic_load_explicit(&live->client_query_buffer_limit, memory_order_relaxed)) {
                rc = protocol_error(c, "query buffer limit (client-query-buffer-limit) exceeded");
                srv_client_count_query_limit(c);
            }
            break;
        }
        if (!fill_argv(c)) {
            c->out.failed = true;
            break;
        }
        if (srv_pause_holds(c, c->argv[0])) {
            c->flags |= SRV_PAUSED; /* parsed, kept for srv_client_resume */
            break;
        }
        uint64_t seq = flp_thread_seq();
        srv_cmd_dispatch(c, (int)c->parser.argc, c->argv);
        srv_client_note_log(c, seq);
        srv_parser_next(&c->parser);
    }
    size_t done = c->parser.cmd_start;
    if (done > 0) {
        srv_buf_consume(&c->in, done);
        srv_parser_shift(&c->parser, done);
    }
    if (c->in.len == 0 && c->in.cap > 64 * 1024)
        srv_buf_free(&c->in); /* give a burst's buffer back to the private arena */
    return rc;
}

bool srv_client_resume(srv_client_t *c)
{
    c->flags &= ~SRV_WAITING;
    srv_client_process_input(c);
    return srv_client_settle(c);
}
