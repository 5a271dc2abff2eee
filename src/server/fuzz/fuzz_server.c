/*
 * src/server/fuzz/fuzz_server.c: libFuzzer target for the request path: RESP parser, command
 * dispatch and every handler, against a real in-process store (flatline_store on
 * flatline_mem), with no sockets.
 *
 * Input: byte 0 picks how the rest is cut into reads (1..64 bytes, or all at once), so
 * requests arrive split at arbitrary points as they do from a socket. After every read the
 * client's pending input is processed and its reply buffer is checked to be a sequence of
 * complete, well-formed RESP2 values (a malformed reply stream aborts the run), then
 * discarded as a socket write would. Limits are small so the fuzzer reaches them.
 * Invariants checked by the sanitizers: no crash, no leak, no undefined behaviour.
 */
#include "notify.h"
#include "srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static srv_server_t srv;

static void no_shutdown(srv_server_t *s)
{
    (void)s; /* SHUTDOWN must not end the fuzzing process */
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];
    srv_config_init(&srv.cfg);
    const char *conf =
        "threads 1\n"
        "proto-max-bulk-len 65536\n"
        "max-multibulk-len 64\n"
        "client-query-buffer-limit 131072\n"
        "namespace default {\n memory-limit 4mb\n partitions 16\n}\n"
        "namespace other {\n memory-limit 1mb\n partitions 4\n high-water-pct 50\n}\n";
    if (srv_config_load_text(&srv.cfg, conf, "fuzz", err, sizeof(err)) != 0 ||
        srv_config_finish(&srv.cfg, err, sizeof(err)) != 0) {
        fprintf(stderr, "fuzz config: %s\n", err);
        abort();
    }
    fl_mem_opts_t mo = {0};
    fl_mem_init(&mo);
    if (fl_store_open(&srv.store, srv.cfg.ns, srv.cfg.n_ns, err, sizeof(err)) != FL_OK) {
        fprintf(stderr, "fuzz store: %s\n", err);
        abort();
    }
    srv_notify_install(&srv); /* CONFIG SET notify-keyspace-events reaches the store's events */
    srv.start_ms = fl_now_ms();
    srv.request_shutdown = no_shutdown;
    srv_live_load(&srv); /* the request limits above, as the real server reads them */
    return 0;
}

/* Length of the complete RESP2 or RESP3 value at p[0, n), or 0 when it is not one. */
static size_t reply_len(const char *p, size_t n, int depth)
{
    if (n < 3 || depth > 8)
        return 0;
    const char *cr = memchr(p, '\r', n);
    if (!cr || (size_t)(cr - p) + 1 >= n || cr[1] != '\n')
        return 0;
    size_t head = (size_t)(cr - p) + 2, line = (size_t)(cr - p - 1);
    long long v = 0;
    switch (p[0]) {
    case '+':
    case '-':
        return head;
    case ':':
    case '(':
        return srv_str_to_ll(p + 1, line, &v) || p[0] == '(' ? head : 0;
    case '_':
        return line == 0 ? head : 0;
    case '#':
        return line == 1 && (p[1] == 't' || p[1] == 'f') ? head : 0;
    case ',':
        return line > 0 ? head : 0;
    case '$':
    case '=':
        if (!srv_str_to_ll(p + 1, line, &v) || v < -1 || (p[0] == '=' && v < 4))
            return 0;
        if (v == -1)
            return p[0] == '$' ? head : 0;
        if (head + (size_t)v + 2 > n || p[head + v] != '\r' || p[head + v + 1] != '\n')
            return 0;
        if (p[0] == '=' && p[head + 3] != ':')
            return 0;
        return head + (size_t)v + 2;
    case '*':
    case '~':
    case '>':
    case '%': {
        if (!srv_str_to_ll(p + 1, line, &v) || v < -1)
            return 0;
        if (v == -1)
            return p[0] == '*' ? head : 0;
        if (p[0] == '%')
            v *= 2;
        size_t at = head;
        for (long long i = 0; i < v; i++) {
            size_t l = reply_len(p + at, n - at, depth + 1);
            if (!l)
                return 0;
            at += l;
        }
        return at;
    }
    default:
        return 0;
    }
}

static void check_replies(const srv_buf_t *out)
{
    if (out->failed)
        return;
    size_t at = 0;
    while (at < out->len) {
        size_t l = reply_len(out->p + at, out->len - at, 0);
        if (!l) {
            fprintf(stderr, "malformed reply stream at byte %zu: %.*s\n", at,
                    (int)(out->len - at < 200 ? out->len - at : 200), out->p + at);
            abort();
        }
        at += l;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t chunk = data[0] % 65 ? data[0] % 65 : size;
    data++;
    size--;
    /* Fresh users per input (AUTH, ACL SETUSER ... reach acl.c), so one input's "ACL SETUSER
     * default off" does not turn every later input into NOAUTH replies. */
    if (srv_acl_create(&srv.acl, NULL) != 0)
        return 0;
    srv_client_t c;
    srv_client_init(&c, &srv, NULL, -1);
    for (size_t at = 0; at < size && !(c.flags & (SRV_CLOSE_AFTER_REPLY | SRV_CLOSE_ASAP));) {
        size_t n = size - at < chunk ? size - at : chunk;
        if (srv_buf_reserve(&c.in, n) < 0)
            break;
        memcpy(c.in.p + c.in.len, data + at, n);
        c.in.len += n;
        at += n;
        srv_client_process_input(&c);
        check_replies(&c.out);
        if (c.out.failed)
            break;
        c.out.len = c.out_sent = 0; /* as if written to the socket */
    }
    /* Commands stalled behind a large output run once it is "written". */
    for (int i = 0; i < 64 && c.stalled && !c.out.failed; i++) {
        c.out.len = c.out_sent = 0;
        srv_client_process_input(&c);
        check_replies(&c.out);
    }
    srv_client_free_buffers(&c);
    srv_acl_destroy(srv.acl);
    srv.acl = NULL;
    return 0;
}
