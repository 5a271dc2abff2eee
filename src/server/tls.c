/*
 * src/server/tls.c: the server's TLS context (OpenSSL from Debian): certificate and key,
 * the CA that client certificates are checked against, and tls-auth-clients. Sessions over it
 * are conn.c's.
 *
 * Invariants: built once by the main thread before the workers start, read-only while they run
 * (OpenSSL's SSL_CTX is safe to share for SSL_new), freed after they stopped. TLS 1.2 at least,
 * no renegotiation; partial writes with a movable buffer (conn.c relies on both modes).
 */
#include "srv.h"

#include <stdio.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

/* err = "<what>: <OpenSSL's reason>". */
static int fail(char *err, size_t errlen, const char *what, const char *path)
{
    char why[256] = "unknown error";
    unsigned long code = ERR_peek_last_error();
    if (code)
        ERR_error_string_n(code, why, sizeof(why));
    snprintf(err, errlen, "TLS: %s%s%s: %s", what, path ? " " : "", path ? path : "", why);
    ERR_clear_error();
    return -1;
}

int srv_tls_init(srv_server_t *srv, char *err, size_t errlen)
{
    const srv_config_t *cfg = &srv->cfg;
    srv->tls = NULL;
    if (!cfg->tls_port)
        return 0;
    if (!cfg->tls_cert_file[0] || !cfg->tls_key_file[0]) {
        snprintf(err, errlen, "TLS: tls-port needs tls-cert-file and tls-key-file");
        return -1;
    }
    if (cfg->tls_auth_clients != SRV_TLS_AUTH_NO && !cfg->tls_ca_cert_file[0]) {
        snprintf(err, errlen, "TLS: tls-auth-clients %s needs tls-ca-cert-file",
                 cfg->tls_auth_clients == SRV_TLS_AUTH_YES ? "yes" : "optional");
        return -1;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
    if (!ctx)
        return fail(err, errlen, "cannot create a context", NULL);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
    /* No renegotiation: a write would then wait for the peer's bytes (WANT_READ), which the
     * worker's write path does not wait for. */
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION);
    int rc = 0;
    if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert_file) != 1)
        rc = fail(err, errlen, "cannot load tls-cert-file", cfg->tls_cert_file);
    else if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key_file, SSL_FILETYPE_PEM) != 1)
        rc = fail(err, errlen, "cannot load tls-key-file", cfg->tls_key_file);
    else if (SSL_CTX_check_private_key(ctx) != 1)
        rc = fail(err, errlen, "tls-key-file does not match tls-cert-file", NULL);
    else if (cfg->tls_ca_cert_file[0] &&
             SSL_CTX_load_verify_locations(ctx, cfg->tls_ca_cert_file, NULL) != 1)
        rc = fail(err, errlen, "cannot load tls-ca-cert-file", cfg->tls_ca_cert_file);
    if (rc != 0) {
        SSL_CTX_free(ctx);
        return rc;
    }
    int mode = SSL_VERIFY_NONE;
    if (cfg->tls_auth_clients == SRV_TLS_AUTH_YES)
        mode = SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    else if (cfg->tls_auth_clients == SRV_TLS_AUTH_OPTIONAL)
        mode = SSL_VERIFY_PEER;
    SSL_CTX_set_verify(ctx, mode, NULL);
    srv->tls = ctx;
    return 0;
}

void srv_tls_free(srv_server_t *srv)
{
    SSL_CTX_free(srv->tls);
    srv->tls = NULL;
}
