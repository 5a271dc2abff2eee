/*
 * src/server/client_info.c: a client described as one line of CLIENT LIST (Redis 7.0's fields
 * and order), used by CLIENT LIST / CLIENT INFO and by the log lines of closed clients.
 *
 * Invariants: runs on the client's own worker thread (it reads the client's buffers); every
 * field Redis prints is printed, with flatline's nearest equivalent where the structure differs
 * (one output buffer: obl = unsent bytes, oll = 0, omem = its capacity).
 */
#include "srv.h"
#include "multi.h"
#include "pubsub.h"

#include <sys/epoll.h>

const char *srv_client_user(const srv_client_t *c)
{
    return c->srv && c->srv->acl ? srv_acl_session_user(&c->acl) : "default";
}

/* Redis's flag letters for the states flatline has. */
static void flag_letters(const srv_client_t *c, char *buf)
{
    char *p = buf;
    if (c->flags & SRV_MONITOR)
        *p++ = 'O';
    if (c->flags & SRV_PUBSUB)
        *p++ = 'P';
    if (srv_multi_active(c))
        *p++ = 'x';
    if ((c->flags & SRV_PAUSED) || c->blocked)
        *p++ = 'b';
    if (c->flags & SRV_CLOSE_AFTER_REPLY)
        *p++ = 'c';
    if (c->flags & SRV_CLOSE_ASAP)
        *p++ = 'A';
    if (c->flags & SRV_NO_EVICT)
        *p++ = 'e';
    if (p == buf)
        *p++ = 'N';
    *p = '\0';
}

void srv_client_describe(const srv_client_t *c, int64_t now_ms, srv_buf_t *out)
{
    char flags[16], events[3] = "";
    flag_letters(c, flags);
    char *e = events;
    if (c->events & EPOLLIN)
        *e++ = 'r';
    if (c->events & EPOLLOUT)
        *e++ = 'w';
    *e = '\0';
    size_t argv_mem = 0;
    for (size_t i = 0; i < c->parser.argc && c->parser.kind == 0; i++)
        argv_mem += c->parser.argv[i].len;
    size_t pending = c->out.len - c->out_sent;
    size_t tot = sizeof(*c) + c->mem + c->argv_cap * sizeof(*c->argv) +
                 c->parser.argv_cap * sizeof(*c->parser.argv);
    srv_buf_printf(out,
                   "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=%lld flags=%s db=%zu "
                   "sub=%zu psub=%zu ssub=0 multi=%ld qbuf=%zu qbuf-free=%zu argv-mem=%zu "
                   "multi-mem=0 rbs=%zu rbp=%zu obl=%zu oll=0 omem=%zu tot-mem=%zu events=%s "
                   "cmd=%s user=%s redir=-1 resp=%d",
                   (unsigned long long)c->id, c->addr, c->laddr, c->fd, c->name ? c->name : "",
                   (long long)(now_ms - c->ctime_ms) / 1000,
                   (long long)(now_ms - c->last_ms) / 1000, flags, c->ns_index,
                   srv_pubsub_count_of(c, false), srv_pubsub_count_of(c, true), srv_multi_queued(c),
                   c->in.len, c->in.cap - c->in.len, argv_mem, c->out.cap, c->out.cap, pending,
                   c->out.cap, tot, events, c->last_cmd ? c->last_cmd : "NULL", srv_client_user(c),
                   srv_client_proto(c));
}
