/*
 * src/server/listener.c: the listening sockets: TCP on every `bind` address (IPv4 or IPv6),
 * TLS on `tls-port` at the same addresses, and the `unixsocket`; and the peer classification
 * protected mode needs.
 *
 * Invariants: no socket sets SO_REUSEPORT, so a port another process listens on fails the start
 * ("cannot listen on <addr>:<port>: Address already in use"); IPv6 sockets are IPV6_V6ONLY, so
 * "0.0.0.0" and "::" can both be bound; a bind address written "-addr" is optional (skipped
 * when the machine does not have it, as Redis's "-::*"). Opened and closed by the main thread
 * only, before the workers start and after they stopped.
 */
#include "srv.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

/* Parses a bind word ("127.0.0.1", "::1", "*", "::*", "-::1") into sa. */
static int parse_addr(const char *word, struct sockaddr_storage *sa, socklen_t *len, int port)
{
    memset(sa, 0, sizeof(*sa));
    if (strcmp(word, "*") == 0)
        word = "0.0.0.0";
    else if (strcmp(word, "::*") == 0)
        word = "::";
    struct sockaddr_in *in4 = (struct sockaddr_in *)sa;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
    if (inet_pton(AF_INET, word, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons((uint16_t)port);
        *len = sizeof(*in4);
        return 0;
    }
    if (inet_pton(AF_INET6, word, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons((uint16_t)port);
        *len = sizeof(*in6);
        return 0;
    }
    return -EINVAL;
}

static int add_listener(srv_server_t *srv, int fd, srv_listen_kind_t kind, const char *name)
{
    if (srv->nlisteners == SRV_LISTENERS_MAX) {
        close(fd);
        return -ENOSPC;
    }
    srv_listener_t *l = &srv->listeners[srv->nlisteners++];
    l->fd = fd;
    l->kind = kind;
    snprintf(l->name, sizeof(l->name), "%s", name);
    return 0;
}

/* Opens one TCP listener on addr:port. optional: a missing address is not an error (1). */
static int listen_tcp(srv_server_t *srv, const char *addr, int port, srv_listen_kind_t kind,
                      char *err, size_t errlen)
{
    bool optional = addr[0] == '-';
    if (optional)
        addr++;
    struct sockaddr_storage sa;
    socklen_t salen;
    if (parse_addr(addr, &sa, &salen, port) != 0) {
        snprintf(err, errlen, "bad bind address '%s'", addr);
        return -EINVAL;
    }
    int fd = socket(sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto fail;
    /* SO_REUSEADDR only lets us rebind over old TIME_WAIT connections; on Linux it does not
     * let two sockets listen on one port (SO_REUSEPORT would, and is deliberately not set). */
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (sa.ss_family == AF_INET6)
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
    if (bind(fd, (struct sockaddr *)&sa, salen) < 0 || listen(fd, (int)srv->cfg.tcp_backlog) < 0)
        goto fail;
    char name[80];
    snprintf(name, sizeof(name), sa.ss_family == AF_INET6 ? "[%s]:%d" : "%s:%d", addr, port);
    return add_listener(srv, fd, kind, name);
fail:;
    int e = errno;
    if (fd >= 0)
        close(fd);
    if (optional && (e == EADDRNOTAVAIL || e == EAFNOSUPPORT))
        return 1;
    snprintf(err, errlen, "cannot listen on %s:%d: %s", addr, port, strerror(e));
    return -e;
}

static int listen_unix(srv_server_t *srv, char *err, size_t errlen)
{
    const char *path = srv->cfg.unixsocket;
    long mode = -1;
    if (srv->cfg.unixsocketperm[0]) {
        char *end;
        mode = strtol(srv->cfg.unixsocketperm, &end, 8);
        if (*end || mode < 0 || mode > 0777) {
            snprintf(err, errlen, "bad unixsocketperm '%s': octal permissions such as 700",
                     srv->cfg.unixsocketperm);
            return -EINVAL;
        }
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
    unlink(path); /* a stale socket of an earlier run, as Redis does */
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
        (mode >= 0 && chmod(path, (mode_t)mode) < 0) || listen(fd, (int)srv->cfg.tcp_backlog) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot listen on unix socket %s: %s", path, strerror(e));
        if (fd >= 0)
            close(fd);
        return -e;
    }
    return add_listener(srv, fd, SRV_LISTEN_UNIX, path);
}

/* Opens listeners of one kind on every bind address. */
static int listen_all(srv_server_t *srv, int port, srv_listen_kind_t kind, char *err, size_t errlen)
{
    char words[sizeof(srv->cfg.bind)];
    snprintf(words, sizeof(words), "%s", srv->cfg.bind);
    char *save = NULL;
    for (char *w = strtok_r(words, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
        int rc = listen_tcp(srv, w, port, kind, err, errlen);
        if (rc < 0)
            return rc;
    }
    return 0;
}

int srv_listen(srv_server_t *srv, char *err, size_t errlen)
{
    srv->nlisteners = 0;
    int rc = listen_all(srv, (int)srv->cfg.port, SRV_LISTEN_TCP, err, errlen);
    if (rc == 0 && srv->cfg.tls_port)
        rc = listen_all(srv, (int)srv->cfg.tls_port, SRV_LISTEN_TLS, err, errlen);
    if (rc == 0 && srv->cfg.unixsocket[0])
        rc = listen_unix(srv, err, errlen);
    if (rc == 0 && srv->nlisteners == 0) {
        snprintf(err, errlen, "no address to listen on (bind '%s')", srv->cfg.bind);
        rc = -EINVAL;
    }
    if (rc < 0)
        srv_listen_close(srv);
    return rc < 0 ? rc : 0;
}

void srv_listen_close(srv_server_t *srv)
{
    for (int i = 0; i < srv->nlisteners; i++) {
        close(srv->listeners[i].fd);
        if (srv->listeners[i].kind == SRV_LISTEN_UNIX)
            unlink(srv->listeners[i].name);
    }
    srv->nlisteners = 0;
}

void srv_listen_describe(const srv_server_t *srv, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (int i = 0; i < srv->nlisteners && used < len; i++) {
        const srv_listener_t *l = &srv->listeners[i];
        int n = snprintf(buf + used, len - used, "%s%s%s", i ? ", " : "",
                         l->kind == SRV_LISTEN_TLS ? "tls " : "", l->name);
        used += n > 0 ? (size_t)n : 0;
    }
}

bool srv_peer_is_local(int fd)
{
    struct sockaddr_storage sa;
    socklen_t len = sizeof(sa);
    if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0)
        return false;
    if (sa.ss_family == AF_UNIX)
        return true;
    if (sa.ss_family == AF_INET)
        return (ntohl(((struct sockaddr_in *)&sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa.ss_family == AF_INET6) {
        const struct in6_addr *a = &((struct sockaddr_in6 *)&sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127; /* ::ffff:127.x.x.x */
    }
    return false;
}
