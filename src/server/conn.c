/*
 * src/server/conn.c: a client's byte stream, a plain socket or a TLS session over it (OpenSSL,
 * non-blocking). The worker reads and writes only through these functions, so everything
 * above them (parser, replies, backpressure) is the same for both.
 *
 * Invariants: OpenSSL's per-thread error queue is cleared before every call into a session, so
 * a failure is judged by that call alone; WANT_READ / WANT_WRITE become -1 with errno EAGAIN
 * and c->conn.want_write says which socket event unblocks it (the worker adds EPOLLOUT then);
 * sessions use partial writes with a movable buffer, because c->out may be compacted or
 * reallocated between a short write and its retry.
 */
#include "srv.h"

#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

int srv_conn_open(srv_client_t *c, srv_listen_kind_t kind)
{
    c->conn.ssl = NULL;
    c->conn.handshaking = false;
    c->conn.want_write = false;
    if (kind != SRV_LISTEN_TLS)
        return 0;
    if (!c->srv->tls)
        return -1;
    SSL *ssl = SSL_new(c->srv->tls);
    if (!ssl || SSL_set_fd(ssl, c->fd) != 1) {
        SSL_free(ssl);
        ERR_clear_error();
        return -1;
    }
    SSL_set_accept_state(ssl);
    c->conn.ssl = ssl;
    c->conn.handshaking = true;
    return 0;
}

/* Maps a failed SSL call's result to -1 + errno (or 0 for a clean end of stream). */
static ssize_t ssl_fail(srv_client_t *c, int ret)
{
    int e = SSL_get_error(c->conn.ssl, ret);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        c->conn.want_write = false;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_WRITE:
        c->conn.want_write = true;
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        if (errno == 0 || errno == EAGAIN)
            errno = ECONNRESET; /* EOF without close_notify */
        return -1;
    default:
        errno = EIO;
        return -1;
    }
}

ssize_t srv_conn_read(srv_client_t *c, void *buf, size_t n)
{
    if (!c->conn.ssl)
        return read(c->fd, buf, n);
    ERR_clear_error();
    c->conn.want_write = false;
    int want = n > (size_t)1 << 30 ? 1 << 30 : (int)n;
    int r = SSL_read(c->conn.ssl, buf, want);
    if (r > 0)
        return r;
    ssize_t rc = ssl_fail(c, r);
    ERR_clear_error();
    return rc;
}

ssize_t srv_conn_write(srv_client_t *c, const void *buf, size_t n)
{
    if (!c->conn.ssl)
        return write(c->fd, buf, n);
    ERR_clear_error();
    c->conn.want_write = false;
    int want = n > (size_t)1 << 30 ? 1 << 30 : (int)n;
    int r = SSL_write(c->conn.ssl, buf, want);
    if (r > 0)
        return r;
    ssize_t rc = ssl_fail(c, r);
    ERR_clear_error();
    return rc == 0 ? -1 : rc; /* a write cannot end the stream: report it as an error */
}

size_t srv_conn_pending(const srv_client_t *c)
{
    return c->conn.ssl && !c->conn.handshaking ? (size_t)SSL_pending(c->conn.ssl) : 0;
}

int srv_conn_handshake(srv_client_t *c, char *err, size_t errlen)
{
    ERR_clear_error();
    int r = SSL_do_handshake(c->conn.ssl);
    if (r == 1) {
        c->conn.handshaking = false;
        c->conn.want_write = false;
        return 1;
    }
    int e = SSL_get_error(c->conn.ssl, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
        c->conn.want_write = e == SSL_ERROR_WANT_WRITE;
        return 0;
    }
    unsigned long code = ERR_peek_error();
    if (code)
        ERR_error_string_n(code, err, errlen);
    else
        snprintf(err, errlen, "%s",
                 e == SSL_ERROR_SYSCALL ? "connection closed" : "protocol error");
    ERR_clear_error();
    return -1;
}

void srv_conn_close(srv_client_t *c)
{
    if (!c->conn.ssl)
        return;
    if (!c->conn.handshaking) {
        ERR_clear_error();
        SSL_shutdown(c->conn.ssl); /* one non-blocking close_notify; no wait for the peer's */
    }
    SSL_free(c->conn.ssl);
    ERR_clear_error();
    c->conn.ssl = NULL;
}
