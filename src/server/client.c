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
    c->id = atomic_fetch_add(&srv->next_client_id, 1) + 1;
    c->ns = srv->store ? fl_store_ns(srv->store, 0) : NULL;
    c->ns_index = 0;
    c->ctime_ms = fl_now_ms();
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
    srv_reply_errorf(&c->out, "ERR Protocol error: %s", why);
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
    uint64_t seq = flp_thread_seq();
    if (p && seq != seq_before && flp_sync_replies(p) && seq > c->hold_seq)
        c->hold_seq = seq;
}

int srv_client_process_input(srv_client_t *c)
{
    SRV_ASSERT_OWNER(c);
    const srv_config_t *cfg = &c->srv->cfg;
    srv_limits_t lim = {cfg->proto_max_bulk_len, cfg->max_multibulk_len};
    int rc = 0;
    c->stalled = false;
    while (!(c->flags & (SRV_CLOSE_AFTER_REPLY | SRV_CLOSE_ASAP)) && !c->out.failed) {
        if (c->out.len - c->out_sent > SRV_OUT_HIGH) {
            c->stalled = true; /* resumed by the worker once the output drains */
            break;
        }
        int r = srv_parse(&c->parser, c->in.p, c->in.len, &lim);
        if (r == SRV_PARSE_ERROR) {
            rc = protocol_error(c, c->parser.error);
            break;
        }
        if (r == SRV_PARSE_MORE) {
            size_t pending = c->in.len - c->parser.cmd_start;
            if (pending + srv_parser_want(&c->parser, c->in.len) > cfg->client_query_buffer_limit)
                rc = protocol_error(c, "query buffer limit (client-query-buffer-limit) exceeded");
            break;
        }
        if (!fill_argv(c)) {
            c->out.failed = true;
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
