/*
 * src/server/worker.c: a worker thread's epoll loop: accept, read, write, close.
 *
 * The server's listening sockets (listener.c: TCP, TLS, unix) are bound without SO_REUSEPORT so
 * a second server on a busy port fails at start instead of silently sharing the port. Every
 * worker's epoll watches each with EPOLLEXCLUSIVE (the kernel wakes one worker, not all, per
 * connection) and accepts with non-blocking accept4; a worker that loses the race gets EAGAIN and
 * goes back to waiting. The accepting worker hands each new connection to the least loaded worker
 * (itself on a tie) through that worker's pipe, so clients spread evenly. Each worker owns an epoll
 * instance, an eventfd the main thread writes to stop it, the pipe, a mailbox (a queue of
 * tasks any thread may post, with its own eventfd: how one worker reaches another's clients),
 * and every client it adopted. It binds its thread-private arena first, so every transient byte it
 * allocates (clients, buffers, argv) lands there.
 *
 * When its last client leaves, the worker flushes its jemalloc thread cache, so what it
 * freed goes back to its private arena instead of waiting in the cache.
 *
 * Bytes go through conn.c (plain socket or TLS); a TLS client first completes its non-blocking
 * handshake here (a failed one closes only that client, counted), then is admitted or refused
 * by protected mode like any other.
 *
 * Workers run as SCHED_BATCH while their clients do not pipeline (`worker-sched-batch auto`,
 * the default; or always, or never): woken by a request, a worker then does not preempt the
 * thread running on its core (set_sched_batch says why).
 *
 * While it has clients the worker wakes at least every CRON_MS for the clients' cron
 * (client_limits.c: idle timeout, soft output limits, paused clients, maxmemory-clients).
 *
 * Invariants: level-triggered epoll; a client registers EPOLLOUT only while it has unsent
 * output or stalled commands, and drops EPOLLIN while it is stalled (unsent output above
 * SRV_OUT_HIGH: backpressure) or closing; a failed write or read closes only that client;
 * mailbox tasks and the cron, which may close any client, run after a batch of events, never
 * between two of them (a later event of the batch still names its client). The worker's
 * stats are written only by its own thread.
 */
#include "srv.h"

#include "block.h"
#include "notify.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sched.h>
#include <unistd.h>

#define READ_CHUNK (16 * 1024)
#define CRON_MS 100 /* the clients' cron: Redis's hz 10 */
/* worker-sched-batch auto: batch below this many commands per read, judged every
 * AUTO_WINDOW_READS reads (-P 1: 1 per read; -P 16: about 16). A window is a few ms under
 * load, so a client that starts pipelining gets a preempting worker back at once. */
#define AUTO_BATCH_CMDS_PER_READ 2
#define AUTO_WINDOW_READS 64

static void set_events(srv_worker_t *w, srv_client_t *c, uint32_t ev)
{
    if (ev == c->events)
        return;
    struct epoll_event e = {.events = ev, .data.ptr = c};
    if (epoll_ctl(w->epfd, EPOLL_CTL_MOD, c->fd, &e) == 0)
        c->events = ev;
    else
        c->flags |= SRV_CLOSE_ASAP;
}

/* ---- The id index (srv_worker_find_client) ---------------------------------------------- */

static size_t id_bucket(const srv_worker_t *w, uint64_t id)
{
    return (size_t)(id * 0x9e3779b97f4a7c15ull >> 32) & w->by_id_mask;
}

/* Doubles the bucket array (or makes the first); false when out of memory (then the index
 * keeps its size: lookups stay correct, only longer). */
static bool id_index_grow(srv_worker_t *w)
{
    size_t n = w->by_id ? 2 * (w->by_id_mask + 1) : 64;
    srv_client_t **b = calloc(n, sizeof(*b));
    if (!b)
        return w->by_id != NULL;
    srv_client_t **old = w->by_id;
    size_t old_n = old ? w->by_id_mask + 1 : 0;
    w->by_id = b;
    w->by_id_mask = n - 1;
    for (size_t i = 0; i < old_n; i++)
        for (srv_client_t *c = old[i], *next; c; c = next) {
            next = c->id_next;
            size_t j = id_bucket(w, c->id);
            c->id_next = b[j];
            b[j] = c;
        }
    free(old);
    return true;
}

static bool id_index_add(srv_worker_t *w, srv_client_t *c)
{
    if ((!w->by_id || w->by_id_count > w->by_id_mask) && !id_index_grow(w))
        return false;
    size_t j = id_bucket(w, c->id);
    c->id_next = w->by_id[j];
    w->by_id[j] = c;
    w->by_id_count++;
    return true;
}

static void id_index_del(srv_worker_t *w, srv_client_t *c)
{
    for (srv_client_t **pp = &w->by_id[id_bucket(w, c->id)]; *pp; pp = &(*pp)->id_next)
        if (*pp == c) {
            *pp = c->id_next;
            w->by_id_count--;
            return;
        }
}

srv_client_t *srv_worker_find_client(srv_worker_t *w, uint64_t id)
{
    if (!w->by_id)
        return NULL;
    for (srv_client_t *c = w->by_id[id_bucket(w, id)]; c; c = c->id_next)
        if (c->id == id)
            return c;
    return NULL;
}

static void close_client(srv_worker_t *w, srv_client_t *c)
{
    SRV_ASSERT_OWNER(c);
    srv_monitor_detach(c);
    srv_block_client_gone(c);
    id_index_del(w, c);
    epoll_ctl(w->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    srv_conn_close(c);
    close(c->fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->clients = c->next;
    if (c->next)
        c->next->prev = c->prev;
    srv_client_free_buffers(c);
    free(c);
    atomic_fetch_sub(&w->srv->connected, 1);
    atomic_fetch_sub(&w->load, 1);
    /* The worker went idle: hand the blocks its thread cache kept back to its private arena,
     * so the arena's statistics show only live transient data (a few microseconds). */
    if (!w->clients)
        fl_thread_flush_cache();
}

/* Writes what it can. */
static void flush_output(srv_worker_t *w, srv_client_t *c)
{
    while (c->out_sent < c->out.len) {
        ssize_t n = srv_conn_write(c, c->out.p + c->out_sent, c->out.len - c->out_sent);
        if (n > 0) {
            c->out_sent += (size_t)n;
            srv_stat_add(&w->stats.net_out, (uint64_t)n);
            srv_stat_add(&w->stats.writes, 1);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            if (n < 0 && errno != EAGAIN)
                c->flags |= SRV_CLOSE_ASAP;
            break;
        }
    }
    if (c->out_sent == c->out.len) {
        c->out.len = c->out_sent = 0;
        if (c->out.cap > 64 * 1024)
            srv_buf_free(&c->out); /* return a big reply's buffer to the private arena */
    } else if (c->out_sent >= 256 * 1024) {
        srv_buf_consume(&c->out, c->out_sent);
        c->out_sent = 0;
    }
    srv_client_limits_refresh(c); /* the hard limit counts unsent bytes only */
}

/* After any activity: write, then decide to close or which events to wait for. Returns false
 * when the client was closed. */
static bool settle(srv_worker_t *w, srv_client_t *c)
{
    if (srv_client_check_limits(c, 0) || c->out.failed)
        c->flags |= SRV_CLOSE_ASAP;
    /* appendfsync always: replies to logged writes leave once the log is fsynced that far
     * (on_durable settles the client again) */
    bool held = c->hold_seq && flp_durable_seq(w->srv->persist) < c->hold_seq;
    if (!held)
        c->hold_seq = 0;
    if (!(c->flags & SRV_CLOSE_ASAP) && !held)
        flush_output(w, c);
    size_t pending = c->out.len - c->out_sent;
    if ((c->flags & SRV_CLOSE_ASAP) ||
        ((c->flags & SRV_CLOSE_AFTER_REPLY) && pending == 0 && !held)) {
        close_client(w, c);
        return false;
    }
    /* A stalled client waits for EPOLLOUT even with nothing left to send: the socket is
     * writable, so the loop comes straight back and runs its buffered commands, after
     * the other clients' events (fairness). Held output waits for on_durable instead. */
    uint32_t ev = (pending && !held) || c->stalled || c->conn.want_write ? EPOLLOUT : 0;
    if (!(c->flags & SRV_CLOSE_AFTER_REPLY) && pending <= SRV_OUT_HIGH && !c->stalled)
        ev |= EPOLLIN;
    if (c->conn.handshaking) /* TLS: only what the handshake waits for */
        ev = c->conn.want_write ? EPOLLOUT : EPOLLIN;
    set_events(w, c, ev);
    return true;
}

bool srv_client_settle(srv_client_t *c)
{
    SRV_ASSERT_OWNER(c);
    return c->worker ? settle(c->worker, c) : true;
}

void srv_client_settle_soon(srv_client_t *c)
{
    SRV_ASSERT_OWNER(c);
    if (!c->worker || c->out.failed || c->conn.handshaking || c->hold_seq ||
        (c->flags & (SRV_CLOSE_ASAP | SRV_CLOSE_AFTER_REPLY)) || srv_client_check_limits(c, 0)) {
        srv_client_settle(c);
        return;
    }
    set_events(c->worker, c, c->events | EPOLLOUT); /* the loop's EPOLLOUT flushes, settles */
}

void srv_worker_post(srv_worker_t *to, srv_task_t *t)
{
    t->next = NULL;
    pthread_mutex_lock(&to->mail_mu);
    bool was_empty = to->mail_head == NULL;
    if (to->mail_tail)
        to->mail_tail->next = t;
    else
        to->mail_head = t;
    to->mail_tail = t;
    pthread_mutex_unlock(&to->mail_mu);
    if (was_empty) { /* a non-empty queue already has a wake-up pending */
        uint64_t one = 1;
        ssize_t n = write(to->mail_fd, &one, sizeof(one));
        (void)n; /* EAGAIN: the counter is saturated, a wake-up is pending anyway */
    }
}

/* Runs every task queued for w, in order (w's thread, or the releasing thread after w
 * stopped). Tasks posted while it runs are taken by the next call. */
static void run_mail(srv_worker_t *w)
{
    uint64_t cnt;
    ssize_t r = read(w->mail_fd, &cnt, sizeof(cnt));
    (void)r;
    pthread_mutex_lock(&w->mail_mu);
    srv_task_t *t = w->mail_head;
    w->mail_head = w->mail_tail = NULL;
    pthread_mutex_unlock(&w->mail_mu);
    while (t) {
        srv_task_t *next = t->next;
        t->fn(w, t);
        t = next;
    }
}

/* The log thread fsynced: releases the output of clients whose writes are now durable. */
static void on_durable(srv_worker_t *w)
{
    uint64_t cnt;
    ssize_t r = read(w->durable_fd, &cnt, sizeof(cnt));
    (void)r;
    uint64_t durable = flp_durable_seq(w->srv->persist);
    srv_client_t *c = w->clients;
    while (c) {
        srv_client_t *next = c->next; /* settle may close c */
        if (c->hold_seq && c->hold_seq <= durable)
            settle(w, c);
        c = next;
    }
}

static void on_readable(srv_worker_t *w, srv_client_t *c)
{
    do { /* a TLS session may hold decrypted bytes epoll cannot see: take them all */
        size_t want = srv_parser_want(&c->parser, c->in.len);
        size_t chunk = want > READ_CHUNK ? (want < (16u << 20) ? want : (16u << 20)) : READ_CHUNK;
        if (srv_buf_reserve(&c->in, chunk) < 0) {
            c->flags |= SRV_CLOSE_ASAP;
            return;
        }
        ssize_t n = srv_conn_read(c, c->in.p + c->in.len, c->in.cap - c->in.len);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
            c->flags |= SRV_CLOSE_ASAP;
            return;
        }
        if (n < 0)
            return;
        c->in.len += (size_t)n;
        c->last_ms = w->woke_ms; /* one clock read per loop, not one per read */
        srv_stat_add(&w->stats.net_in, (uint64_t)n);
        srv_stat_add(&w->stats.reads, 1);
    } while (srv_conn_pending(c) > 0);
    srv_client_process_input(c);
}

/* Protected mode (Redis 7.0): while the default user needs no password, a client that is not
 * on a loopback address or the unix socket gets Redis's -DENIED explanation and is closed
 * after it (counted in rejected_connections and protected_mode_denied). */
static void admit(srv_worker_t *w, srv_client_t *c)
{
    srv_server_t *srv = w->srv;
    if (!srv->cfg.protected_mode || !srv->acl || c->conn.local ||
        !srv_acl_default_is_open(srv->acl))
        return;
    srv_reply_error(
        &c->out,
        "DENIED Redis is running in protected mode because protected mode is enabled and no "
        "password is set for the default user. In this mode connections are only accepted from "
        "the loopback interface. If you want to connect from external computers to Redis you "
        "may adopt one of the following solutions: 1) Just disable protected mode sending the "
        "command 'CONFIG SET protected-mode no' from the loopback interface by connecting to "
        "Redis from the same host the server is running, however MAKE SURE Redis is not "
        "publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change "
        "permanent. 2) Alternatively you can just disable the protected mode by editing the "
        "Redis configuration file, and setting the protected mode option to 'no', and then "
        "restarting the server. 3) If you started the server manually just for testing, "
        "restart it with the '--protected-mode no' option. 4) Setup a an authentication "
        "password for the default user. NOTE: You only need to do one of the above things in "
        "order for the server to start accepting connections from the outside.");
    c->flags |= SRV_CLOSE_AFTER_REPLY;
    srv_stat_add(&w->stats.protected_denied, 1);
    srv_stat_add(&w->stats.rejected, 1);
}

/* Advances a TLS handshake; when it completes, admits the client and reads what came with it.
 * A failed handshake closes only this client (counted, logged at verbose). */
static void on_handshake(srv_worker_t *w, srv_client_t *c)
{
    char why[256];
    int r = srv_conn_handshake(c, why, sizeof(why));
    if (r < 0) {
        srv_stat_add(&w->stats.tls_handshake_failures, 1);
        srv_log(w->srv, SRV_LOG_VERBOSE, "TLS handshake failed (client %llu): %s",
                (unsigned long long)c->id, why);
        c->flags |= SRV_CLOSE_ASAP;
        return;
    }
    if (r == 0)
        return;
    admit(w, c);
    if (!(c->flags & SRV_CLOSE_AFTER_REPLY))
        on_readable(w, c);
}

static void on_client_event(srv_worker_t *w, srv_client_t *c, uint32_t ev)
{
    SRV_ASSERT_OWNER(c);
    if (ev & (EPOLLERR | EPOLLHUP)) {
        if (!(ev & EPOLLIN)) {
            c->flags |= SRV_CLOSE_ASAP;
            settle(w, c);
            return;
        }
    }
    if (c->conn.handshaking) {
        on_handshake(w, c);
        settle(w, c);
        return;
    }
    if (ev & EPOLLOUT) {
        flush_output(w, c);
        /* Output drained below the mark: run the commands already buffered. */
        if (c->stalled && c->out.len - c->out_sent <= SRV_OUT_HIGH)
            srv_client_process_input(c);
    }
    if ((ev & (EPOLLIN | EPOLLOUT)) && !(c->flags & (SRV_CLOSE_AFTER_REPLY | SRV_CLOSE_ASAP)) &&
        ((ev & EPOLLIN) || c->conn.want_write)) /* a TLS read may wait for writability */
        on_readable(w, c);
    settle(w, c);
}

static void refuse(srv_worker_t *w, int fd)
{
    static const char msg[] = "-ERR max number of clients reached\r\n";
    ssize_t n = write(fd, msg, sizeof(msg) - 1);
    (void)n;
    close(fd);
    srv_stat_add(&w->stats.rejected, 1);
}

/* "ip:port" of a socket address. */
static void format_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
    char ip[INET6_ADDRSTRLEN] = "?";
    int port = 0;
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)ss;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        port = ntohs(a->sin_port);
    } else if (ss->ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)ss;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        port = ntohs(a->sin6_port);
    } else if (ss->ss_family == AF_UNIX) { /* Redis: "<socket path>:0" */
        const struct sockaddr_un *a = (const struct sockaddr_un *)ss;
        snprintf(buf, len, "%.*s:0", (int)sizeof(a->sun_path), a->sun_path);
        return;
    }
    snprintf(buf, len, "%s:%d", ip, port);
}

/* Fills c->addr and c->laddr (CLIENT LIST, CLIENT KILL ADDR, MONITOR, the slow log). */
static void describe_addresses(srv_client_t *c)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (getsockname(c->fd, (struct sockaddr *)&ss, &sl) == 0)
        format_addr(&ss, c->laddr, sizeof(c->laddr));
    if (ss.ss_family == AF_UNIX) { /* the peer has no name: the socket's, as Redis shows */
        memcpy(c->addr, c->laddr, sizeof(c->addr));
        return;
    }
    sl = sizeof(ss);
    memset(&ss, 0, sizeof(ss));
    if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) == 0)
        format_addr(&ss, c->addr, sizeof(c->addr));
}

/* Makes fd (accepted on a listener of `kind`) a client of w; w->load already counts it. Runs
 * on w's thread, so the client's memory comes from w's private arena. */
static void adopt(srv_worker_t *w, int fd, srv_listen_kind_t kind)
{
    int one = 1;
    if (kind != SRV_LISTEN_UNIX)
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    srv_client_t *c = malloc(sizeof(*c));
    if (!c)
        goto drop;
    srv_client_init(c, w->srv, w, fd);
    describe_addresses(c);
    c->conn.local = srv_peer_is_local(fd);
    c->events = EPOLLIN;
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = c};
    if (!id_index_add(w, c)) {
        srv_client_free_buffers(c);
        free(c);
        goto drop;
    }
    if (srv_conn_open(c, kind) != 0 || epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &e) < 0) {
        id_index_del(w, c);
        srv_conn_close(c);
        srv_client_free_buffers(c);
        free(c);
        goto drop;
    }
    c->next = w->clients;
    if (w->clients)
        w->clients->prev = c;
    w->clients = c;
    if (!c->conn.handshaking) { /* TLS clients are admitted after their handshake */
        admit(w, c);
        if (c->flags & SRV_CLOSE_AFTER_REPLY)
            settle(w, c);
    }
    return;
drop:
    close(fd);
    atomic_fetch_sub(&w->srv->connected, 1);
    atomic_fetch_sub(&w->load, 1);
}

/* The worker with the fewest clients, w itself on a tie; never one running a script (it
 * answers nobody until the script ends: a client connecting for SCRIPT KILL would wait for the
 * very script it wants to stop). w, which is accepting, is not running one. */
static srv_worker_t *least_loaded(srv_worker_t *w)
{
    srv_worker_t *best = w;
    long min = atomic_load_explicit(&w->load, memory_order_relaxed);
    for (int i = 0; i < w->srv->nworkers; i++) {
        srv_worker_t *o = &w->srv->workers[i];
        long l = atomic_load_explicit(&o->load, memory_order_relaxed);
        if (l < min && !atomic_load_explicit(&o->in_script, memory_order_relaxed)) {
            min = l;
            best = o;
        }
    }
    return best;
}

/* What goes through a hand-off pipe: an accepted fd and the kind of listener it came from.
 * Smaller than PIPE_BUF, so each write is atomic. */
typedef struct handoff {
    int fd;
    srv_listen_kind_t kind;
} handoff_t;

/* Hands an accepted fd to worker `to` through its pipe; false when the pipe is full. */
static bool hand_off(srv_worker_t *to, int fd, srv_listen_kind_t kind)
{
    handoff_t h = {fd, kind};
    atomic_fetch_add(&to->load, 1);
    if (write(to->handoff[1], &h, sizeof(h)) == (ssize_t)sizeof(h))
        return true;
    atomic_fetch_sub(&to->load, 1);
    return false;
}

/* Accepts what is pending. EPOLLEXCLUSIVE wakes the first idle worker, so one worker tends to
 * accept most connections: each goes to the least loaded worker instead (balance within one
 * client), as SO_REUSEPORT's hashing roughly did. */
static void on_accept(srv_worker_t *w, const srv_listener_t *l)
{
    for (int i = 0; i < 64; i++) {
        int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0)
            return; /* EAGAIN (another worker took it), or a transient error: epoll says again */
        srv_stat_add(&w->stats.connections, 1);
        if (atomic_fetch_add(&w->srv->connected, 1) >=
            atomic_load_explicit(&w->srv->live.maxclients, memory_order_relaxed)) {
            atomic_fetch_sub(&w->srv->connected, 1);
            refuse(w, fd);
            continue;
        }
        srv_worker_t *to = least_loaded(w);
        if (to != w && hand_off(to, fd, l->kind))
            continue;
        atomic_fetch_add(&w->load, 1);
        adopt(w, fd, l->kind);
    }
}

/* Adopts the fds other workers handed to w. */
static void on_handoff(srv_worker_t *w)
{
    handoff_t hs[64];
    for (;;) {
        ssize_t n = read(w->handoff[0], hs, sizeof(hs));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return; /* EAGAIN: drained */
        for (ssize_t i = 0; i < n / (ssize_t)sizeof(hs[0]); i++)
            adopt(w, hs[i].fd, hs[i].kind);
    }
}

_Thread_local srv_worker_t *srv_current_worker;

/* worker-sched-batch: a SCHED_BATCH worker has the weight of any SCHED_OTHER thread but does
 * not preempt the thread running on its core when it wakes. Without pipelining every request
 * wakes a worker; on cores shared with the clients (redis-benchmark -P 1 on two cores)
 * preempting them cost 0.2-0.3 context switches per request against redis-server's 0.13-0.16,
 * each paid by both sides. Pipelined, a woken worker has many replies to send and is better
 * run at once: `auto` switches by the commands per read of the last cron period. A refusal (a
 * seccomp filter) is logged once and changes nothing else. Worker thread. */
static void set_sched_batch(srv_worker_t *w, bool batch)
{
    if (batch == w->sched_batch)
        return;
    struct sched_param none = {0};
    if (sched_setscheduler(0, batch ? SCHED_BATCH : SCHED_OTHER, &none) == 0) {
        w->sched_batch = batch;
        return;
    }
    if (w->index == 0 && !w->sched_refused)
        srv_log(w->srv, SRV_LOG_WARNING, "workers stay SCHED_OTHER (worker-sched-batch: %s)",
                strerror(errno));
    w->sched_refused = true;
}

/* worker-sched-batch auto, after each loop turn: once AUTO_WINDOW_READS reads passed, batch
 * while fewer than AUTO_BATCH_CMDS_PER_READ commands came per read (idle: nothing changes). */
static void adapt_sched(srv_worker_t *w)
{
    if (w->srv->cfg.worker_sched_batch != SRV_SCHED_BATCH_AUTO || w->sched_refused)
        return;
    uint64_t reads = atomic_load_explicit(&w->stats.reads, memory_order_relaxed);
    if (reads - w->sched_reads < AUTO_WINDOW_READS && reads >= w->sched_reads)
        return;
    uint64_t cmds = atomic_load_explicit(&w->stats.commands, memory_order_relaxed);
    uint64_t dr = reads - w->sched_reads, dc = cmds - w->sched_commands;
    bool reset = reads < w->sched_reads || cmds < w->sched_commands; /* CONFIG RESETSTAT */
    w->sched_reads = reads;
    w->sched_commands = cmds;
    if (!reset)
        set_sched_batch(w, dc < AUTO_BATCH_CMDS_PER_READ * dr);
}

static void *worker_main(void *arg)
{
    srv_worker_t *w = arg;
    srv_current_worker = w;
    int rc = fl_thread_bind_private_arena();
    if (rc != 0 && w->index == 0)
        srv_log(w->srv, SRV_LOG_WARNING,
                "workers run without private arenas (%s): transient data uses the default "
                "arenas",
                fl_mem_strerror(rc));
    set_sched_batch(w, w->srv->cfg.worker_sched_batch == SRV_SCHED_BATCH_YES);
    struct epoll_event evs[128];
    int64_t last_cron = w->woke_ms = fl_now_ms();
    for (;;) {
        /* Wake for the earliest blocking-pop deadline, and with clients at least every CRON_MS
         * for their timeouts and limits. */
        int timeout = srv_block_wait_ms(w);
        if (w->clients && (timeout < 0 || timeout > CRON_MS))
            timeout = CRON_MS;
        int n = epoll_wait(w->epfd, evs, 128, timeout);
        if (n < 0 && errno != EINTR)
            break;
        w->woke_ms = fl_now_ms();
        bool stop = false, mail = false, durable = false;
        for (int i = 0; i < n; i++) {
            void *p = evs[i].data.ptr;
            if (p == &w->wake_fd)
                stop = true;
            else if (p >= (void *)w->srv->listeners &&
                     p < (void *)(w->srv->listeners + w->srv->nlisteners))
                on_accept(w, p);
            else if (p == &w->handoff)
                on_handoff(w);
            else if (p == &w->mail_fd)
                mail = true;
            else if (p == &w->durable_fd)
                durable = true;
            else
                on_client_event(w, p, evs[i].events);
        }
        /* Tasks, durability wake-ups and the cron may close any client: only after the batch,
         * whose events still point at their clients. */
        if (mail)
            run_mail(w);
        if (durable)
            on_durable(w);
        if (w->woke_ms - last_cron >= CRON_MS) {
            srv_clients_cron(w, w->woke_ms);
            last_cron = w->woke_ms;
        }
        if (stop)
            break;
        if (w->blocked)
            srv_block_expire(w); /* blocking pops whose timeout passed */
        adapt_sched(w);
    }
    run_mail(w); /* tasks posted before the stop see their clients still connected */
    while (w->clients) {
        /* best effort: a last reply such as SHUTDOWN's (never one that is not durable yet) */
        srv_client_t *c = w->clients;
        if (!c->hold_seq || flp_durable_seq(w->srv->persist) >= c->hold_seq)
            flush_output(w, c);
        close_client(w, w->clients);
    }
    srv_notify_thread_done();
    fl_thread_release_tcaches();
    return NULL;
}

int srv_worker_prepare(srv_worker_t *w)
{
    if (srv_cmdstats_init(w) < 0)
        return -ENOMEM;
    w->epfd = epoll_create1(EPOLL_CLOEXEC);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->mail_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->durable_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->mail_head = w->mail_tail = NULL;
    pthread_mutex_init(&w->mail_mu, NULL);
    if (w->epfd < 0 || w->wake_fd < 0 || w->mail_fd < 0 || w->durable_fd < 0 ||
        pipe2(w->handoff, O_NONBLOCK | O_CLOEXEC) < 0)
        return -errno;
    struct epoll_event e = {.events = EPOLLIN | EPOLLEXCLUSIVE};
    for (int i = 0; i < w->srv->nlisteners; i++) {
        e.data.ptr = &w->srv->listeners[i];
        if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->srv->listeners[i].fd, &e) < 0)
            return -errno;
    }
    e.events = EPOLLIN;
    e.data.ptr = &w->wake_fd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->wake_fd, &e) < 0)
        return -errno;
    e.data.ptr = &w->handoff;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->handoff[0], &e) < 0)
        return -errno;
    e.data.ptr = &w->mail_fd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->mail_fd, &e) < 0)
        return -errno;
    e.data.ptr = &w->durable_fd;
    if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, w->durable_fd, &e) < 0)
        return -errno;
    return 0;
}

int srv_worker_start(srv_worker_t *w)
{
    return -pthread_create(&w->thread, NULL, worker_main, w);
}

void srv_worker_stop(srv_worker_t *w)
{
    uint64_t one = 1;
    ssize_t n = write(w->wake_fd, &one, sizeof(one));
    (void)n;
    pthread_join(w->thread, NULL);
}

void srv_workers_drain_mail(srv_server_t *srv)
{
    bool ran = true;
    while (ran) {
        ran = false;
        for (int i = 0; i < srv->nworkers; i++) {
            srv_worker_t *w = &srv->workers[i];
            pthread_mutex_lock(&w->mail_mu);
            bool pending = w->mail_head != NULL;
            pthread_mutex_unlock(&w->mail_mu);
            if (pending) {
                run_mail(w);
                ran = true;
            }
        }
    }
}

void srv_worker_release(srv_worker_t *w)
{
    handoff_t h;
    /* Connections another worker handed over after this one stopped: nobody adopts them. */
    while (w->handoff[0] >= 0 && read(w->handoff[0], &h, sizeof(h)) == (ssize_t)sizeof(h)) {
        close(h.fd);
        atomic_fetch_sub(&w->srv->connected, 1);
        atomic_fetch_sub(&w->load, 1);
    }
    if (w->mail_fd >= 0) {
        run_mail(w); /* tasks posted after w stopped: each frees its message */
        pthread_mutex_destroy(&w->mail_mu);
    }
    srv_cmdstats_free(w);
    free(w->monitors);
    w->monitors = NULL;
    free(w->by_id); /* every client is closed */
    w->by_id = NULL;
    w->by_id_mask = w->by_id_count = 0;
    int *fds[] = {&w->epfd,       &w->wake_fd,    &w->mail_fd,
                  &w->durable_fd, &w->handoff[0], &w->handoff[1]};
    for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
        if (*fds[i] >= 0)
            close(*fds[i]);
        *fds[i] = -1;
    }
}

void srv_stats_sum(const srv_server_t *srv, srv_stats_sum_t *out)
{
    memset(out, 0, sizeof(*out));
    for (int i = 0; i < srv->nworkers; i++) {
        const srv_stats_t *s = &srv->workers[i].stats;
#define SRV_STATS_ADD_(field, info_name, doc)                                                      \
    out->field += atomic_load_explicit(&s->field, memory_order_relaxed);
        SRV_STATS(SRV_STATS_ADD_)
#undef SRV_STATS_ADD_
    }
}
