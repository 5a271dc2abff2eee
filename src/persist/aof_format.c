/*
 * src/persist/aof_format.c: what the log says, and reading it back.
 *
 * Every change is logged as the key's resulting state, in RESP commands Redis 7.0 also
 * replays (so redis-check-aof accepts the file and redis-server can load the directory):
 *   string   SET key value [PXAT ms]
 *   hash     MULTI, DEL key, HSET key f v ..., [PEXPIREAT key ms], EXEC
 *   deletion DEL key
 * preceded by SELECT db when the db differs from the previous record's. Expiries are
 * absolute (PXAT / PEXPIREAT), so replaying later sets the same deadline. Each record is
 * idempotent (replaying it twice gives the same state): a log rewrite may therefore overlap
 * its base snapshot. Replay applies a MULTI block only at its EXEC, so a block torn by a crash
 * is dropped whole, never half applied.
 */
#include "persist_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void arr(flpi_buf_t *b, size_t n)
{
    flpi_buf_byte(b, '*');
    flpi_buf_i64(b, (int64_t)n);
    flpi_buf_put(b, "\r\n", 2);
}

static void bulk(flpi_buf_t *b, const char *p, size_t n)
{
    flpi_buf_byte(b, '$');
    flpi_buf_i64(b, (int64_t)n);
    flpi_buf_put(b, "\r\n", 2);
    flpi_buf_put(b, p, n);
    flpi_buf_put(b, "\r\n", 2);
}

static void bulk_str(flpi_buf_t *b, const char *s)
{
    bulk(b, s, strlen(s));
}

static void bulk_i64(flpi_buf_t *b, int64_t v)
{
    char t[24];
    int n = snprintf(t, sizeof(t), "%lld", (long long)v);
    bulk(b, t, (size_t)n);
}

static void select_db(flpi_aof_t *a, size_t db)
{
    if (a->cur_db == (int)db)
        return;
    arr(&a->buf, 2);
    bulk_str(&a->buf, "SELECT");
    bulk_i64(&a->buf, (int64_t)db);
    a->cur_db = (int)db;
}

/* A hash's fields as HSET commands of at most HSET_PAIRS pairs each (replay's argument cap). */
#define HSET_PAIRS 500
typedef struct hset_ctx {
    flpi_buf_t *b;
    fl_slice_t key;
    size_t left;     /* fields not yet written */
    size_t in_chunk; /* fields still to come in the current HSET */
} hset_ctx_t;

static void field(void *ctx, fl_slice_t f, fl_slice_t v)
{
    hset_ctx_t *h = ctx;
    if (h->in_chunk == 0) {
        h->in_chunk = h->left < HSET_PAIRS ? h->left : HSET_PAIRS;
        arr(h->b, 2 + 2 * h->in_chunk);
        bulk_str(h->b, "HSET");
        bulk(h->b, h->key.p, h->key.n);
    }
    bulk(h->b, f.p, f.n);
    bulk(h->b, v.p, v.n);
    h->in_chunk--;
    h->left--;
}

static void put_locked(flpi_aof_t *a, const fl_rec_view_t *v)
{
    flpi_buf_t *b = &a->buf;
    if (v->type == FL_TYPE_STRING) {
        arr(b, v->expire_at_ms ? 5 : 3);
        bulk_str(b, "SET");
        bulk(b, v->key.p, v->key.n);
        bulk(b, v->val.p, v->val.n);
        if (v->expire_at_ms) {
            bulk_str(b, "PXAT");
            bulk_i64(b, v->expire_at_ms);
        }
        return;
    }
    arr(b, 1);
    bulk_str(b, "MULTI");
    arr(b, 2);
    bulk_str(b, "DEL");
    bulk(b, v->key.p, v->key.n);
    hset_ctx_t h = {b, v->key, v->nfields, 0};
    fl_rec_view_fields(v, field, &h);
    if (v->expire_at_ms) {
        arr(b, 3);
        bulk_str(b, "PEXPIREAT");
        bulk(b, v->key.p, v->key.n);
        bulk_i64(b, v->expire_at_ms);
    }
    arr(b, 1);
    bulk_str(b, "EXEC");
}

void flpi_aof_put(flp_t *p, size_t db, const fl_rec_view_t *v)
{
    flpi_aof_t *a = &p->aof;
    pthread_mutex_lock(&a->mu);
    size_t before = a->buf.len;
    select_db(a, db);
    put_locked(a, v);
    a->seq += a->buf.len - before;
    flpi_aof_appended_locked(a, before == 0);
    pthread_mutex_unlock(&a->mu);
}

void flpi_aof_del(flp_t *p, size_t db, fl_slice_t key)
{
    flpi_aof_t *a = &p->aof;
    pthread_mutex_lock(&a->mu);
    size_t before = a->buf.len;
    select_db(a, db);
    arr(&a->buf, 2);
    bulk_str(&a->buf, "DEL");
    bulk(&a->buf, key.p, key.n);
    a->seq += a->buf.len - before;
    flpi_aof_appended_locked(a, before == 0);
    pthread_mutex_unlock(&a->mu);
}

/* ---- Replay ---- */

#define ARGS_MAX 1024

typedef struct parser {
    const char *p, *end, *start;
    fl_slice_t argv[ARGS_MAX];
    size_t argc;
} parser_t;

enum { P_OK = 0, P_TORN = 1, P_BAD = -1 };

/* A decimal line "<c><digits>\r\n". */
static int number_line(parser_t *s, char c, long long *v)
{
    if (s->p >= s->end)
        return P_TORN;
    if (*s->p != c)
        return P_BAD;
    const char *q = memchr(s->p, '\n', (size_t)(s->end - s->p));
    if (!q)
        return (s->end - s->p) > 24 ? P_BAD : P_TORN;
    char *e;
    *v = strtoll(s->p + 1, &e, 10);
    if (e != q - 1 || *e != '\r' || *v < 0)
        return P_BAD;
    s->p = q + 1;
    return P_OK;
}

/* One command into s->argv (at most ARGS_MAX arguments: the writer splits HSETs below it). */
static int parse_command(parser_t *s)
{
    long long n, len;
    int rc = number_line(s, '*', &n);
    if (rc != P_OK)
        return rc;
    if (n < 1 || n > ARGS_MAX)
        return P_BAD;
    s->argc = 0;
    for (long long i = 0; i < n; i++) {
        if ((rc = number_line(s, '$', &len)) != P_OK)
            return rc;
        if (s->end - s->p < len + 2)
            return P_TORN;
        if (s->p[len] != '\r' || s->p[len + 1] != '\n')
            return P_BAD;
        s->argv[s->argc++] = (fl_slice_t){s->p, (size_t)len};
        s->p += len + 2;
    }
    return P_OK;
}

static bool is(fl_slice_t a, const char *w)
{
    return a.n == strlen(w) && strncasecmp(a.p, w, a.n) == 0;
}

static bool to_i64(fl_slice_t a, int64_t *v)
{
    char t[24];
    if (a.n == 0 || a.n >= sizeof(t))
        return false;
    memcpy(t, a.p, a.n);
    t[a.n] = '\0';
    char *e;
    long long x = strtoll(t, &e, 10);
    *v = x;
    return *e == '\0';
}

/* Applies one command; a message in why when it is not one the log holds. */
static int apply(flp_t *p, fl_ns_t **ns, const fl_slice_t *a, size_t argc, char *why, size_t wl)
{
    int64_t v;
    bool b;
    if (is(a[0], "SELECT") && argc == 2 && to_i64(a[1], &v)) {
        *ns = fl_store_ns(p->store, (size_t)v);
        if (!*ns) {
            snprintf(why, wl, "SELECT %lld: no such namespace", (long long)v);
            return -1;
        }
        return 0;
    }
    if (is(a[0], "MULTI") || is(a[0], "EXEC"))
        return 0;
    if (!*ns) {
        snprintf(why, wl, "a command before any SELECT");
        return -1;
    }
    if (is(a[0], "SET") && (argc == 3 || (argc == 5 && is(a[3], "PXAT") && to_i64(a[4], &v)))) {
        fl_set_opts_t o = {.expire_at_ms = argc == 5 ? v : 0};
        int rc = fl_str_set(*ns, a[1], a[2], &o, NULL);
        if (rc == FL_OK && argc == 3 && fl_ns_config(*ns)->default_ttl_ms)
            fl_key_persist(*ns, a[1], &b); /* logged without a TTL: it had none */
        return rc == FL_OK ? 0 : (snprintf(why, wl, "SET: %s", fl_status_str(rc)), -1);
    }
    if (is(a[0], "DEL") && argc >= 2) {
        for (size_t i = 1; i < argc; i++)
            fl_key_del(*ns, a[i], &b);
        return 0;
    }
    if (is(a[0], "HSET") && argc >= 4 && argc % 2 == 0) {
        size_t added;
        int rc = fl_hash_set(*ns, a[1], a + 2, (argc - 2) / 2, &added);
        return rc == FL_OK ? 0 : (snprintf(why, wl, "HSET: %s", fl_status_str(rc)), -1);
    }
    if (is(a[0], "PEXPIREAT") && argc == 3 && to_i64(a[2], &v)) {
        fl_key_expire_at(*ns, a[1], v, &b);
        return 0;
    }
    snprintf(why, wl, "unexpected command '%.*s' with %zu arguments", (int)a[0].n, a[0].p, argc);
    return -1;
}

int flpi_aof_replay(flp_t *p, const char *data, size_t n, const char *file, size_t *valid,
                    char *err, size_t errlen)
{
    parser_t *s = malloc(sizeof(*s));
    if (!s) {
        snprintf(err, errlen, "out of memory replaying %s", file);
        return -ENOMEM;
    }
    s->p = s->start = data;
    s->end = data + n;
    fl_ns_t *ns = NULL;
    const char *multi = NULL; /* start of the open MULTI block, applied at its EXEC */
    int result = 0;
    char why[160];
    *valid = 0;
    while (s->p < s->end) {
        const char *at = s->p;
        atomic_store_explicit(&p->load_done, (uint64_t)(at - data), memory_order_relaxed);
        int rc = parse_command(s);
        if (rc == P_TORN) {
            result = 1;
            break;
        }
        if (rc == P_BAD) {
            snprintf(err, errlen,
                     "%s at offset %zu: bad RESP (file damaged before its end; run "
                     "redis-check-aof %s to see, redis-check-aof --fix to truncate there)",
                     file, (size_t)(at - data), file);
            result = -EINVAL;
            break;
        }
        if (is(s->argv[0], "MULTI")) {
            multi = at;
            continue;
        }
        if (multi && !is(s->argv[0], "EXEC"))
            continue;
        if (multi) { /* EXEC: apply the block from its MULTI */
            const char *exec_end = s->p;
            s->p = multi;
            parse_command(s); /* MULTI */
            while (s->p < exec_end && result == 0) {
                const char *cmd = s->p;
                parse_command(s);
                if (apply(p, &ns, s->argv, s->argc, why, sizeof(why)) != 0) {
                    snprintf(err, errlen, "%s at offset %zu: %s (run redis-check-aof %s)", file,
                             (size_t)(cmd - data), why, file);
                    result = -EINVAL;
                }
            }
            multi = NULL;
        } else if (apply(p, &ns, s->argv, s->argc, why, sizeof(why)) != 0) {
            snprintf(err, errlen, "%s at offset %zu: %s (run redis-check-aof %s)", file,
                     (size_t)(at - data), why, file);
            result = -EINVAL;
        }
        if (result != 0)
            break;
        *valid = (size_t)(s->p - data);
    }
    if (result == 0 && multi)
        result = 1; /* ends inside a MULTI block: torn */
    free(s);
    return result;
}
