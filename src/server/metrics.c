/*
 * src/server/metrics.c: an opt-in Prometheus endpoint (`metrics-port`, off by default) for what
 * Redis's INFO has no field for and so no Redis exporter can carry: the memory breakdown of
 * the process, of the workers' private arenas, of the server-lifetime arenas and of every
 * namespace (mem.h's FL_MEM_BYTES and FL_MEM_RATIOS, iterated), each namespace's statistics
 * (FL_NS_STATS, iterated: keys, quota, eviction and active-defragmentation figures), and the client
 * buffers' total.
 *
 * One thread of its own serves it: plain HTTP/1.0, one request per connection, `GET /metrics`
 * (anything else: 404), a 2 s receive timeout so a silent client cannot hold it. It reads only
 * what INFO reads (thread-safe store and memory-layer calls, relaxed counters), so it never
 * touches a worker's clients. Started after the workers, stopped before the store closes.
 */
#include "srv.h"

#include <netdb.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

struct srv_metrics {
    int listen_fd;
    int stop_fd; /* eventfd: written by srv_metrics_stop */
    pthread_t thread;
};

/* One breakdown as flatline_<scope>_bytes{kind=...} and flatline_<scope>_ratio{kind=...}, with
 * extra labels (`labels` is "" or `name="x",`). */
static void breakdown(srv_buf_t *out, const char *scope, const char *labels,
                      const fl_mem_stats_t *m)
{
#define SRV_METRIC_BYTES(f, name, doc)                                                             \
    srv_buf_printf(out, "flatline_%s_bytes{%skind=\"%s\"} %zu\n", scope, labels, name, m->f);
    FL_MEM_BYTES(SRV_METRIC_BYTES)
#undef SRV_METRIC_BYTES
#define SRV_METRIC_RATIO(f, name, formula, doc)                                                    \
    srv_buf_printf(out, "flatline_%s_ratio{%skind=\"%s\"} %.4f\n", scope, labels, name, m->f);
    FL_MEM_RATIOS(SRV_METRIC_RATIO)
#undef SRV_METRIC_RATIO
}

static void breakdown_help(srv_buf_t *out, const char *scope, const char *what)
{
    srv_buf_printf(out,
                   "# HELP flatline_%s_bytes %s memory by kind (requested, allocated, active, "
                   "resident, ...)\n# TYPE flatline_%s_bytes gauge\n",
                   scope, what, scope);
    srv_buf_printf(out,
                   "# HELP flatline_%s_ratio %s memory ratios (frag, rounding, holes, ...)\n"
                   "# TYPE flatline_%s_ratio gauge\n",
                   scope, what, scope);
}

void srv_metrics_text(srv_server_t *srv, srv_buf_t *out)
{
    srv_mem_snapshot_t s;
    srv_mem_snapshot(srv, &s);
    if (s.process_rc == 0) {
        breakdown_help(out, "process", "the whole process's");
        breakdown(out, "process", "", &s.process);
    }
    if (s.priv_rc == 0) {
        breakdown_help(out, "private", "the workers' private arenas'");
        breakdown(out, "private", "", &s.priv);
    }
    breakdown_help(out, "server_arena", "each server-lifetime arena's");
    for (int k = 0; k < SRV_ARENA_COUNT; k++) {
        char arena[64];
        if (s.arena_rc[k] != 0)
            continue;
        snprintf(arena, sizeof(arena), "arena=\"%s\",", srv_arena_name((srv_arena_kind_t)k));
        breakdown(out, "server_arena", arena, &s.arena[k]);
    }
    breakdown_help(out, "namespace", "each namespace arena's");
    char labels[FL_NS_NAME_MAX + 32];
    for (size_t i = 0; i < s.n_ns; i++) {
        if (s.ns_rc[i] != 0)
            continue;
        snprintf(labels, sizeof(labels), "namespace=\"%s\",", s.ns_name[i]);
        breakdown(out, "namespace", labels, &s.ns[i].mem);
    }
    /* Every scalar of FL_NS_STATS as flatline_namespace_<name>{namespace=...} (its unit is in
     * the help text; untyped: the list mixes gauges and counters). */
#define SRV_METRIC_NS_(f, ctype, name, unit, doc)                                                  \
    srv_buf_printf(out,                                                                            \
                   "# HELP flatline_namespace_" name " %s (%s)\n"                                  \
                   "# TYPE flatline_namespace_" name " untyped\n",                                 \
                   doc, unit);                                                                     \
    for (size_t i = 0; i < s.n_ns; i++)                                                            \
        if (s.ns_rc[i] == 0)                                                                       \
            srv_buf_printf(out, "flatline_namespace_" name "{namespace=\"%s\"} %llu\n",            \
                           s.ns_name[i], (unsigned long long)s.ns[i].f);
    FL_NS_STATS(SRV_METRIC_NS_)
#undef SRV_METRIC_NS_
    srv_buf_printf(out,
                   "# HELP flatline_clients_memory_bytes all clients' buffers\n"
                   "# TYPE flatline_clients_memory_bytes gauge\n"
                   "flatline_clients_memory_bytes %llu\n",
                   (unsigned long long)srv_clients_memory(srv));
}

/* Answers one connection: reads the request line, writes the reply, closes. */
static void serve(srv_server_t *srv, int fd)
{
    struct timeval tv = {2, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    char req[1024];
    ssize_t n = recv(fd, req, sizeof(req) - 1, 0);
    if (n <= 0)
        return;
    req[n] = '\0';
    srv_buf_t body = {0}, head = {0};
    bool ok = strncmp(req, "GET /metrics ", 13) == 0 || strncmp(req, "GET /metrics\r", 13) == 0;
    if (ok)
        srv_metrics_text(srv, &body);
    else
        srv_buf_printf(&body, "not found: try /metrics\n");
    srv_buf_printf(&head,
                   "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                   ok ? "200 OK" : "404 Not Found", body.len);
    if (!head.failed && !body.failed) {
        size_t sent = 0;
        srv_buf_t *parts[2] = {&head, &body};
        for (int i = 0; i < 2; i++)
            for (sent = 0; sent < parts[i]->len;) {
                ssize_t w = send(fd, parts[i]->p + sent, parts[i]->len - sent, MSG_NOSIGNAL);
                if (w <= 0)
                    goto done;
                sent += (size_t)w;
            }
    }
done:
    srv_buf_free(&head);
    srv_buf_free(&body);
}

static void *metrics_main(void *arg)
{
    srv_server_t *srv = arg;
    struct srv_metrics *m = srv->metrics;
    struct pollfd p[2] = {{.fd = m->listen_fd, .events = POLLIN},
                          {.fd = m->stop_fd, .events = POLLIN}};
    for (;;) {
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (!(p[0].revents & POLLIN))
            continue;
        int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
        if (fd < 0)
            continue;
        serve(srv, fd);
        close(fd);
    }
    return NULL;
}

int srv_metrics_start(srv_server_t *srv, char *err, size_t errlen)
{
    long long port = srv->cfg.metrics_port;
    if (port == 0)
        return 0;
    struct srv_metrics *m = calloc(1, sizeof(*m));
    if (!m) {
        snprintf(err, errlen, "metrics: out of memory");
        return -ENOMEM;
    }
    m->listen_fd = m->stop_fd = -1;
    /* The first of the `bind` addresses (IPv4 or IPv6), as a numeric host. */
    char host[64], service[8];
    int one = 1, rc;
    if (sscanf(srv->cfg.bind, "%63s", host) != 1)
        snprintf(host, sizeof(host), "127.0.0.1");
    snprintf(service, sizeof(service), "%lld", port);
    struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM},
                    *ai = NULL;
    if (getaddrinfo(host, service, &hints, &ai) != 0) {
        rc = -EINVAL;
        goto fail;
    }
    m->listen_fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    m->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->listen_fd < 0 || m->stop_fd < 0)
        goto fail_errno;
    setsockopt(m->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(m->listen_fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(m->listen_fd, 16) < 0)
        goto fail_errno;
    freeaddrinfo(ai);
    ai = NULL;
    srv->metrics = m;
    rc = -pthread_create(&m->thread, NULL, metrics_main, srv);
    if (rc == 0)
        return 0;
    srv->metrics = NULL;
    goto fail;
fail_errno:
    rc = -errno;
fail:
    if (ai)
        freeaddrinfo(ai);
    snprintf(err, errlen, "cannot serve metrics on %s port %lld: %s", host, port, strerror(-rc));
    if (m->listen_fd >= 0)
        close(m->listen_fd);
    if (m->stop_fd >= 0)
        close(m->stop_fd);
    free(m);
    return rc;
}

void srv_metrics_stop(srv_server_t *srv)
{
    struct srv_metrics *m = srv->metrics;
    if (!m)
        return;
    uint64_t one = 1;
    ssize_t n = write(m->stop_fd, &one, sizeof(one));
    (void)n;
    pthread_join(m->thread, NULL);
    close(m->listen_fd);
    close(m->stop_fd);
    free(m);
    srv->metrics = NULL;
}
