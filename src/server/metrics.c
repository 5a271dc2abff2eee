/*
 * src/server/metrics.c: an opt-in Prometheus endpoint (`metrics-port`, off by default) for what
 * Redis's INFO has no field for and so no Redis exporter can carry: the memory breakdown of
 * the process, of the workers' private arenas and of every namespace (mem.h's FL_MEM_BYTES and
 * FL_MEM_RATIOS, iterated), each namespace's keys, quota and eviction counters, its active
 * defragmentation figures, and the client buffers' total.
 *
 * One thread of its own serves it: plain HTTP/1.0, one request per connection, `GET /metrics`
 * (anything else: 404), a 2 s receive timeout so a silent client cannot hold it. It reads only
 * what INFO reads (thread-safe store and memory-layer calls, relaxed counters), so it never
 * touches a worker's clients. Started after the workers, stopped before the store closes.
 */
#include "srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
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

/* A namespace's counters beyond the memory breakdown: one row per metric. */
typedef struct ns_metric {
    const char *name, *type, *help;
    size_t offset; /* into fl_ns_stats_t */
    int size;      /* 8: uint64_t / size_t; 4: unsigned; 1: bool */
    double scale;  /* printed value = raw * scale */
} ns_metric_t;

#define NSF(f) offsetof(fl_ns_stats_t, f), (int)sizeof(((fl_ns_stats_t *)0)->f)

static const ns_metric_t ns_metrics[] = {
    {"keys", "gauge", "keys held", NSF(keys), 1},
    {"keys_with_ttl", "gauge", "keys with a TTL", NSF(keys_with_ttl), 1},
    {"used_bytes", "gauge", "bytes of records and index (what the quota compares)", NSF(used), 1},
    {"memory_limit_bytes", "gauge", "memory-limit (0 = unlimited)", NSF(memory_limit), 1},
    {"hits_total", "counter", "reads that found their key", NSF(hits), 1},
    {"misses_total", "counter", "reads that did not find their key", NSF(misses), 1},
    {"expired_total", "counter", "keys removed because their TTL passed", NSF(expired), 1},
    {"evicted_total", "counter", "keys evicted above the high-water mark", NSF(evicted), 1},
    {"writes_refused_total", "counter", "writes refused with -OOM", NSF(writes_refused), 1},
    {"defrag_running", "gauge", "active defrag is running a pass", NSF(defrag_running), 1},
    {"defrag_cpu_percent", "gauge", "CPU share active defrag runs with", NSF(defrag_cpu_pct), 1},
    {"defrag_frag_percent", "gauge", "slab holes per allocated byte, last measured",
     NSF(defrag_frag_pct), 1},
    {"defrag_passes_total", "counter", "defrag passes run", NSF(defrag_passes), 1},
    {"defrag_sweeps_total", "counter", "completed defrag sweeps", NSF(defrag_sweeps), 1},
    {"defrag_scanned_total", "counter", "allocations looked at", NSF(defrag_scanned), 1},
    {"defrag_moves_total", "counter", "allocations moved", NSF(defrag_moves), 1},
    {"defrag_moved_bytes_total", "counter", "bytes moved", NSF(defrag_bytes_moved), 1},
    {"defrag_freed_bytes_total", "counter", "resident bytes given back", NSF(defrag_bytes_freed),
     1},
    {"defrag_seconds_total", "counter", "time spent defragmenting", NSF(defrag_time_ns), 1e-9},
    {"defrag_lock_holds_total", "counter", "partition lock holds by the defragmenter",
     NSF(defrag_lock_holds), 1},
    {"defrag_max_hold_seconds", "gauge", "longest of those holds", NSF(defrag_max_hold_ns), 1e-9},
    {"defrag_slow_holds_total", "counter", "holds longer than 1 ms", NSF(defrag_slow_holds), 1},
};

static double ns_value(const fl_ns_stats_t *st, const ns_metric_t *m)
{
    const char *p = (const char *)st + m->offset;
    uint64_t v64;
    unsigned v32;
    switch (m->size) {
    case 8:
        memcpy(&v64, p, 8);
        return (double)v64 * m->scale;
    case 4:
        memcpy(&v32, p, 4);
        return (double)v32 * m->scale;
    default:
        return (double)*(const bool *)p * m->scale;
    }
}

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
    breakdown_help(out, "namespace", "each namespace arena's");
    char labels[FL_NS_NAME_MAX + 32];
    for (size_t i = 0; i < s.n_ns; i++) {
        if (s.ns_rc[i] != 0)
            continue;
        snprintf(labels, sizeof(labels), "namespace=\"%s\",", s.ns_name[i]);
        breakdown(out, "namespace", labels, &s.ns[i].mem);
    }
    for (size_t k = 0; k < sizeof(ns_metrics) / sizeof(ns_metrics[0]); k++) {
        const ns_metric_t *m = &ns_metrics[k];
        srv_buf_printf(out, "# HELP flatline_namespace_%s %s\n# TYPE flatline_namespace_%s %s\n",
                       m->name, m->help, m->name, m->type);
        for (size_t i = 0; i < s.n_ns; i++)
            if (s.ns_rc[i] == 0)
                srv_buf_printf(out, "flatline_namespace_%s{namespace=\"%s\"} %.9g\n", m->name,
                               s.ns_name[i], ns_value(&s.ns[i], m));
    }
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
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    int one = 1, rc;
    if (inet_pton(AF_INET, srv->cfg.bind, &sa.sin_addr) != 1) {
        rc = -EINVAL;
        goto fail;
    }
    m->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    m->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (m->listen_fd < 0 || m->stop_fd < 0)
        goto fail_errno;
    setsockopt(m->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(m->listen_fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(m->listen_fd, 16) < 0)
        goto fail_errno;
    srv->metrics = m;
    rc = -pthread_create(&m->thread, NULL, metrics_main, srv);
    if (rc == 0)
        return 0;
    srv->metrics = NULL;
    goto fail;
fail_errno:
    rc = -errno;
fail:
    snprintf(err, errlen, "cannot serve metrics on %s:%lld: %s", srv->cfg.bind, port,
             strerror(-rc));
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
