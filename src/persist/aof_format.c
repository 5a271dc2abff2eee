/*
 * src/persist/aof_format.c: what the log says, and reading it back.
 *
 * Every change is logged in RESP commands Redis 7.0 also replays (so redis-check-aof accepts
 * the file and redis-server can load the directory), preceded by SELECT db when the db
 * differs from the previous record's in the same file:
 *   delta    the store's description of the change (fl_delta_t: LPUSH k e..., LPOP k n,
 *            SADD/SREM, ZADD/ZREM/ZPOPMIN, HSET/HDEL, LSET/LINSERT/LREM/LTRIM/LMOVE,
 *            SETRANGE, PEXPIREAT, PERSIST), then PEXPIREAT k ms when the key has a TTL
 *   string   SET key value [PXAT ms]
 *   other    the key's state: MULTI, DEL key, HSET / RPUSH / SADD / ZADD ..., [PEXPIREAT],
 *            EXEC (a change without a delta: SINTERSTORE, RENAME, COPY, RESTORE...)
 *   deletion DEL key
 *   flush    FLUSHDB: a db emptied at once (FLUSHDB, FLUSHALL), except in the middle of a
 *            rewrite that has dumped part of it (flpi_aof_flush), where each key is a DEL
 *   group    the records of one write atomic over several keys (MSET, RENAME, SMOVE, MULTI/
 *            EXEC, a script ...) as one block: MULTI, the records, EXEC (see "Groups" below)
 * So a write costs log bytes in proportion to what it changed, not to the key's size. Expiries
 * are absolute (PXAT / PEXPIREAT), so replaying later sets the same deadline; the PEXPIREAT
 * after a delta deletes again a key whose deadline passed before the replay (the delta may
 * have recreated it). Deltas are exact, not idempotent: each must be replayed once, on the
 * state before it. The rewrite guarantees that (aof.c, flpi_aof_split_begin: a record is
 * either in the new base or after it, never both). Replay applies a MULTI block only at its
 * EXEC, so a block torn by a crash is dropped whole, never half applied.
 */
#include "fl_assert.h"
#include "flatline/collections.h"
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

/* A bulk string of a store value (one span or two). */
static void bulk_value(flpi_buf_t *b, fl_value_t v)
{
    flpi_buf_byte(b, '$');
    flpi_buf_i64(b, (int64_t)fl_value_len(v));
    flpi_buf_put(b, "\r\n", 2);
    flpi_buf_put(b, v.head.p, v.head.n);
    flpi_buf_put(b, v.tail.p, v.tail.n);
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

static void select_db(flpi_stream_t *s, size_t db)
{
    if (s->cur_db == (int)db)
        return;
    arr(&s->buf, 2);
    bulk_str(&s->buf, "SELECT");
    bulk_i64(&s->buf, (int64_t)db);
    s->cur_db = (int)db;
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

/* A collection's elements as RPUSH / SADD / ZADD commands of at most HSET_PAIRS elements. */
typedef struct elem_cmd {
    flpi_buf_t *b;
    fl_slice_t key;
    const char *verb;
    bool scores;
    size_t left, in_chunk;
} elem_cmd_t;

static void elem(void *ctx, fl_slice_t e, double score)
{
    elem_cmd_t *h = ctx;
    if (h->in_chunk == 0) {
        h->in_chunk = h->left < HSET_PAIRS ? h->left : HSET_PAIRS;
        arr(h->b, 2 + (h->scores ? 2 : 1) * h->in_chunk);
        bulk_str(h->b, h->verb);
        bulk(h->b, h->key.p, h->key.n);
    }
    if (h->scores) {
        char buf[32];
        bulk(h->b, buf, fl_fmt_score(score, buf));
    }
    bulk(h->b, e.p, e.n);
    h->in_chunk--;
    h->left--;
}

static void pexpireat(flpi_buf_t *b, fl_slice_t key, int64_t at_ms)
{
    arr(b, 3);
    bulk_str(b, "PEXPIREAT");
    bulk(b, key.p, key.n);
    bulk_i64(b, at_ms);
}

/* The key's state (no delta): SET for a string, a MULTI block for the others (without the
 * MULTI and EXEC when `in_block`: the caller's block holds it). Returns the number of commands
 * written apart from MULTI/EXEC. */
static size_t put_locked(flpi_buf_t *b, const fl_rec_view_t *v, bool in_block)
{
    if (v->type == FL_TYPE_STRING) {
        arr(b, v->expire_at_ms ? 5 : 3);
        bulk_str(b, "SET");
        bulk(b, v->key.p, v->key.n);
        bulk_value(b, v->val);
        if (v->expire_at_ms) {
            bulk_str(b, "PXAT");
            bulk_i64(b, v->expire_at_ms);
        }
        return 1;
    }
    if (!in_block) {
        arr(b, 1);
        bulk_str(b, "MULTI");
    }
    arr(b, 2);
    bulk_str(b, "DEL");
    bulk(b, v->key.p, v->key.n);
    if (v->type == FL_TYPE_HASH) {
        hset_ctx_t h = {b, v->key, v->nfields, 0};
        fl_rec_view_fields(v, field, &h);
    } else {
        const char *verb = v->type == FL_TYPE_LIST  ? "RPUSH"
                           : v->type == FL_TYPE_SET ? "SADD"
                                                    : "ZADD";
        elem_cmd_t h = {b, v->key, verb, v->type == FL_TYPE_ZSET, v->nfields, 0};
        fl_rec_view_elems(v, elem, &h);
    }
    if (v->expire_at_ms)
        pexpireat(b, v->key, v->expire_at_ms);
    if (!in_block) {
        arr(b, 1);
        bulk_str(b, "EXEC");
    }
    return 2; /* DEL and at least one more */
}

/* The delta as one command, then the key's deadline when it has one (a delta may recreate,
 * on replay, a key whose deadline passed meanwhile: PEXPIREAT deletes it again). Returns the
 * number of commands written. */
static size_t put_delta(flpi_buf_t *b, const fl_rec_view_t *v, const fl_delta_t *d)
{
    size_t words = (d->words[0] != NULL) + (d->words[1] != NULL);
    arr(b, 2 + words + d->n_nums + d->n_args * (d->scores ? 2 : 1));
    bulk_str(b, d->verb);
    bulk(b, v->key.p, v->key.n);
    for (size_t i = 0; i < 2; i++)
        if (d->words[i])
            bulk_str(b, d->words[i]);
    for (size_t i = 0; i < d->n_nums; i++)
        bulk_i64(b, d->nums[i]);
    for (size_t i = 0; i < d->n_args; i++) {
        if (d->scores) {
            char t[32];
            bulk(b, t, fl_fmt_score(d->scores[i], t));
        }
        bulk(b, d->args[i].p, d->args[i].n);
    }
    if (v->expire_at_ms && strcmp(d->verb, "PEXPIREAT") != 0) {
        pexpireat(b, v->key, v->expire_at_ms);
        return 2;
    }
    return 1;
}

/* The stream a change of partition `part` goes to (aof.mu held): while a rewrite splits the
 * log, a change its snapshot will hold (partition not dumped yet) goes to the previous file. */
static flpi_stream_t *stream_for(flp_t *p, size_t db, uint32_t part)
{
    flpi_aof_t *a = &p->aof;
    if (a->split_snap && !fl_snap_dumped(p->store, db, part, a->split_snap))
        return &a->pre;
    return &a->main;
}

/* Appends one record (aof.mu held) and accounts for it. */
static void appended(flpi_aof_t *a, flpi_stream_t *s, size_t before)
{
    flpi_buf_must_hold(&s->buf, "the append-only log");
    size_t added = s->buf.len - before;
    a->seq += added;
    atomic_store_explicit(&a->appended, a->seq, memory_order_relaxed);
    flpi_aof_appended_locked(a, a->main.buf.len + a->pre.buf.len == added);
}

/* ---- Groups: a write atomic over several keys is one MULTI block ---- */

/*
 * Between the store's group_begin and group_end (MSET, RENAME, SMOVE, a MULTI/EXEC or script
 * batch ...) the calling thread collects its records here instead of appending them, and
 * group_end appends them together under aof.mu: `MULTI`, the records (each preceded by SELECT
 * when its db differs), `EXEC`. Replay applies a block only at its EXEC, so a crash that tears
 * the block loses the whole write, never a part of it (Redis logs such writes as one command
 * or one MULTI block too). The order per key stays the commit order: the store calls
 * group_end before it releases any of the group's partition locks, so no other writer of
 * these keys can append in between.
 *
 * Which file a record goes to while a rewrite splits the log is decided at group_end, not when
 * the record was made: a partition the group holds cannot be dumped before the group unlocks
 * it, so fl_snap_dumped then still says whether the snapshot will hold the change, and a
 * split that began in between routes the earlier records to the previous file, as it must
 * (the dump will contain them). A group spread over both files of a split is two blocks, one
 * in each; both are fsynced before the reply, and only a crash between the two fsyncs of one
 * rewrite could keep one half.
 *
 * A group of one single-command record is written as it is, without MULTI/EXEC.
 */
typedef struct group_rec {
    size_t db;
    uint32_t part;
    size_t off, len; /* its bytes in the group's buffer */
    size_t cmds;     /* commands in them (a state form or a delta with its PEXPIREAT: 2+) */
    bool pre;        /* at group_end: goes to the previous file of a split */
} group_rec_t;

typedef struct group {
    bool open;
    flpi_buf_t buf; /* the records, without SELECTs (added at group_end) */
    group_rec_t *recs;
    size_t n, cap;
    bool failed; /* out of memory for recs */
} group_t;

/* The calling thread's open group: records made while the store's locks are held, freed at
 * group_end (so an exiting thread leaves nothing). */
static _Thread_local group_t tl_group;

void flpi_aof_group_begin(void)
{
    FL_ASSERT(!tl_group.open && tl_group.n == 0);
    tl_group.open = true;
}

/* Starts a record in the open group; the caller then writes its bytes to tl_group.buf. */
static group_rec_t *group_add(size_t db, uint32_t part)
{
    group_t *g = &tl_group;
    if (g->n == g->cap) {
        size_t cap = g->cap ? 2 * g->cap : 8;
        group_rec_t *r = realloc(g->recs, cap * sizeof(*r));
        if (!r) {
            g->failed = true;
            return NULL;
        }
        g->recs = r;
        g->cap = cap;
    }
    group_rec_t *r = &g->recs[g->n++];
    *r = (group_rec_t){.db = db, .part = part, .off = g->buf.len};
    return r;
}

/* Appends the group's records that go to stream s (pre: the split's previous file), as one
 * MULTI block when they are more than one command (aof.mu held). */
static void group_write(flpi_aof_t *a, flpi_stream_t *s, bool pre)
{
    const group_t *g = &tl_group;
    size_t recs = 0, cmds = 0, first = 0;
    for (size_t i = 0; i < g->n; i++)
        if (g->recs[i].pre == pre) {
            first = recs++ ? first : i;
            cmds += g->recs[i].cmds;
        }
    if (recs == 0)
        return;
    size_t before = s->buf.len;
    select_db(s, g->recs[first].db);
    if (cmds > 1) {
        arr(&s->buf, 1);
        bulk_str(&s->buf, "MULTI");
    }
    for (size_t i = first; i < g->n; i++) {
        if (g->recs[i].pre != pre)
            continue;
        select_db(s, g->recs[i].db);
        flpi_buf_put(&s->buf, g->buf.p + g->recs[i].off, g->recs[i].len);
    }
    if (cmds > 1) {
        arr(&s->buf, 1);
        bulk_str(&s->buf, "EXEC");
    }
    if (g->failed || g->buf.failed)
        s->buf.failed = true; /* records are missing: appended() stops the process */
    appended(a, s, before);
}

void flpi_aof_group_end(flp_t *p)
{
    group_t *g = &tl_group;
    FL_ASSERT(g->open);
    if (g->n > 0 || g->failed) {
        flpi_aof_t *a = &p->aof;
        pthread_mutex_lock(&a->mu);
        for (size_t i = 0; i < g->n; i++)
            g->recs[i].pre = stream_for(p, g->recs[i].db, g->recs[i].part) == &a->pre;
        group_write(a, &a->pre, true);
        group_write(a, &a->main, false);
        pthread_mutex_unlock(&a->mu);
    }
    flpi_buf_free(&g->buf);
    free(g->recs);
    *g = (group_t){0};
}

/* ---- Single records ---- */

void flpi_aof_put(flp_t *p, size_t db, uint32_t part, const fl_rec_view_t *v, const fl_delta_t *d)
{
    if (tl_group.open) {
        group_rec_t *r = group_add(db, part);
        if (r) {
            r->cmds = d ? put_delta(&tl_group.buf, v, d) : put_locked(&tl_group.buf, v, true);
            r->len = tl_group.buf.len - r->off;
        }
        return;
    }
    flpi_aof_t *a = &p->aof;
    pthread_mutex_lock(&a->mu);
    flpi_stream_t *s = stream_for(p, db, part);
    size_t before = s->buf.len;
    select_db(s, db);
    if (d)
        put_delta(&s->buf, v, d);
    else
        put_locked(&s->buf, v, false);
    appended(a, s, before);
    pthread_mutex_unlock(&a->mu);
}

static void put_del(flpi_buf_t *b, fl_slice_t key)
{
    arr(b, 2);
    bulk_str(b, "DEL");
    bulk(b, key.p, key.n);
}

void flpi_aof_del(flp_t *p, size_t db, uint32_t part, fl_slice_t key)
{
    if (tl_group.open) {
        group_rec_t *r = group_add(db, part);
        if (r) {
            put_del(&tl_group.buf, key);
            r->cmds = 1;
            r->len = tl_group.buf.len - r->off;
        }
        return;
    }
    flpi_aof_t *a = &p->aof;
    pthread_mutex_lock(&a->mu);
    flpi_stream_t *s = stream_for(p, db, part);
    size_t before = s->buf.len;
    select_db(s, db);
    put_del(&s->buf, key);
    appended(a, s, before);
    pthread_mutex_unlock(&a->mu);
}

/*
 * A flush is one FLUSHDB record where a whole db empties at one moment. While a rewrite splits
 * the log it belongs in the previous file when none of db's partitions is dumped yet (the new
 * base will be dumped empty), in the new one when all are (the base holds the keys it
 * deletes); with some dumped and some not, neither file could replay it right, and each key
 * is logged instead. The partitions stay held until group_end, so no dump changes the answer
 * in between and group_end routes the record by partition 0 alike.
 */
bool flpi_aof_flush(flp_t *p, size_t db)
{
    FL_ASSERT(tl_group.open);
    flpi_aof_t *a = &p->aof;
    fl_ns_t *ns = fl_store_ns(p->store, db);
    uint32_t parts = fl_ns_partitions(ns);
    bool mixed = false;
    pthread_mutex_lock(&a->mu);
    if (a->split_snap) {
        bool first = fl_snap_dumped(p->store, db, 0, a->split_snap);
        for (uint32_t i = 1; !mixed && i < parts; i++)
            mixed = fl_snap_dumped(p->store, db, i, a->split_snap) != first;
    }
    pthread_mutex_unlock(&a->mu);
    if (mixed)
        return false;
    group_rec_t *r = group_add(db, 0);
    if (r) {
        arr(&tl_group.buf, 1);
        bulk_str(&tl_group.buf, "FLUSHDB");
        r->cmds = 1;
        r->len = tl_group.buf.len - r->off;
    }
    return true;
}

/* ---- Replay ---- */

/* A command's arguments grow as needed (a delta may carry any number of elements). */
#define ARGS_MAX (1u << 24)

typedef struct parser {
    const char *p, *end, *start;
    fl_slice_t *argv;
    size_t argc, cap;
} parser_t;

enum { P_OK = 0, P_TORN = 1, P_BAD = -1, P_NOMEM = -2 };

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

/* One command into s->argv. */
static int parse_command(parser_t *s)
{
    long long n, len;
    int rc = number_line(s, '*', &n);
    if (rc != P_OK)
        return rc;
    if (n < 1 || n > ARGS_MAX)
        return P_BAD;
    if ((size_t)n > s->cap) {
        size_t cap = s->cap;
        while (cap < (size_t)n)
            cap *= 2;
        fl_slice_t *a = realloc(s->argv, cap * sizeof(*a));
        if (!a)
            return P_NOMEM;
        s->argv = a;
        s->cap = cap;
    }
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

/* What replay passes to a command: the namespace, the arguments (a[0] the verb, a[1] the
 * key) and where a reason goes. */
typedef struct cmd {
    fl_ns_t *ns;
    const fl_slice_t *a;
    size_t argc;
    char *why;
    size_t wl;
} cmd_t;

static void sink_bulk(void *ctx, const char *p, size_t n)
{
    (void)ctx, (void)p, (void)n;
}
static void sink_nil(void *ctx)
{
    (void)ctx;
}
static void sink_array(void *ctx, size_t n)
{
    (void)ctx, (void)n;
}
static void sink_bulk2(void *ctx, const char *p, size_t n, const char *q, size_t m)
{
    (void)ctx, (void)p, (void)n, (void)q, (void)m;
}
static const fl_sink_t discard = {NULL, sink_bulk, sink_nil, sink_array, sink_bulk2, NULL};

/* ZADD key [NX|XX] [GT|LT] [INCR] score member ...: one call, as the writer gave it. */
static int apply_zadd(const cmd_t *c)
{
    unsigned flags = 0;
    size_t i = 2;
    for (; i < c->argc; i++) {
        unsigned f = is(c->a[i], "NX")     ? FL_ZADD_NX
                     : is(c->a[i], "XX")   ? FL_ZADD_XX
                     : is(c->a[i], "GT")   ? FL_ZADD_GT
                     : is(c->a[i], "LT")   ? FL_ZADD_LT
                     : is(c->a[i], "INCR") ? FL_ZADD_INCR
                                           : 0;
        if (!f)
            break;
        flags |= f;
    }
    size_t n = (c->argc - i) / 2;
    if (n == 0 || (c->argc - i) % 2 || ((flags & FL_ZADD_INCR) && n != 1)) {
        snprintf(c->why, c->wl, "ZADD: bad arguments");
        return FL_EINVAL;
    }
    double *scores = malloc(n * sizeof(*scores));
    fl_slice_t *members = malloc(n * sizeof(*members));
    int rc = scores && members ? FL_OK : FL_ENOMEM;
    for (size_t j = 0; rc == FL_OK && j < n; j++) {
        members[j] = c->a[i + 2 * j + 1];
        if (!flpi_parse_score(c->a[i + 2 * j], &scores[j])) {
            snprintf(c->why, c->wl, "ZADD: bad score '%.*s'", (int)c->a[i + 2 * j].n,
                     c->a[i + 2 * j].p);
            rc = FL_EINVAL;
        }
    }
    size_t added, changed;
    double res;
    bool done;
    if (rc == FL_OK)
        rc = fl_zset_add(c->ns, c->a[1], flags, scores, members, n, &added, &changed, &res, &done);
    free(scores);
    free(members);
    return rc;
}

/* The commands the log holds after the key; each returns a store status (FL_ENOKEY and
 * FL_ERANGE are a delta on a key whose deadline passed before the replay: ignored). */
static int apply_key_cmd(const cmd_t *c)
{
    const fl_slice_t *a = c->a;
    size_t argc = c->argc, n;
    int64_t v, w;
    bool b;
    fl_ns_t *ns = c->ns;
    if (is(a[0], "SET") && (argc == 3 || (argc == 5 && is(a[3], "PXAT") && to_i64(a[4], &v)))) {
        fl_set_opts_t o = {.expire_at_ms = argc == 5 ? v : 0};
        int rc = fl_str_set(ns, a[1], a[2], &o, NULL);
        if (rc == FL_OK && argc == 3 && fl_ns_config(ns)->default_ttl_ms)
            fl_key_persist(ns, a[1], &b); /* logged without a TTL: it had none */
        return rc;
    }
    if (is(a[0], "DEL") && argc >= 2) {
        for (size_t i = 1; i < argc; i++)
            fl_key_del(ns, a[i], &b);
        return FL_OK;
    }
    if (is(a[0], "SETRANGE") && argc == 4 && to_i64(a[2], &v) && v >= 0)
        return fl_str_setrange(ns, a[1], (size_t)v, a[3], &n);
    if (is(a[0], "PEXPIREAT") && argc == 3 && to_i64(a[2], &v))
        return fl_key_expire_at(ns, a[1], v, &b);
    if (is(a[0], "PERSIST") && argc == 2)
        return fl_key_persist(ns, a[1], &b);
    if (is(a[0], "HSET") && argc >= 4 && argc % 2 == 0)
        return fl_hash_set(ns, a[1], a + 2, (argc - 2) / 2, &n);
    if (is(a[0], "HDEL") && argc >= 3)
        return fl_hash_del(ns, a[1], a + 2, argc - 2, &n);
    if ((is(a[0], "RPUSH") || is(a[0], "LPUSH")) && argc >= 3)
        return fl_list_push(ns, a[1], is(a[0], "RPUSH"), a + 2, argc - 2, false, &n);
    if ((is(a[0], "RPOP") || is(a[0], "LPOP")) && argc == 3 && to_i64(a[2], &v) && v >= 0)
        return fl_list_pop(ns, a[1], is(a[0], "RPOP"), (size_t)v, false, &discard, &n);
    if (is(a[0], "LSET") && argc == 4 && to_i64(a[2], &v))
        return fl_list_set(ns, a[1], v, a[3]);
    if (is(a[0], "LINSERT") && argc == 5 && (is(a[2], "BEFORE") || is(a[2], "AFTER")))
        return fl_list_insert(ns, a[1], is(a[2], "AFTER"), a[3], a[4], &v);
    if (is(a[0], "LREM") && argc == 4 && to_i64(a[2], &v))
        return fl_list_rem(ns, a[1], v, a[3], &n);
    if (is(a[0], "LTRIM") && argc == 4 && to_i64(a[2], &v) && to_i64(a[3], &w))
        return fl_list_trim(ns, a[1], v, w);
    if (is(a[0], "LMOVE") && argc == 5 && (is(a[3], "LEFT") || is(a[3], "RIGHT")) &&
        (is(a[4], "LEFT") || is(a[4], "RIGHT")))
        return fl_list_move(ns, a[1], a[2], is(a[3], "RIGHT"), is(a[4], "RIGHT"), &discard, &b);
    if (is(a[0], "SADD") && argc >= 3)
        return fl_set_add(ns, a[1], a + 2, argc - 2, &n);
    if (is(a[0], "SREM") && argc >= 3)
        return fl_set_rem(ns, a[1], a + 2, argc - 2, &n);
    if (is(a[0], "ZADD") && argc >= 4)
        return apply_zadd(c);
    if (is(a[0], "ZREM") && argc >= 3)
        return fl_zset_rem(ns, a[1], a + 2, argc - 2, &n);
    if ((is(a[0], "ZPOPMIN") || is(a[0], "ZPOPMAX")) && argc == 3 && to_i64(a[2], &v) && v >= 0)
        return fl_zset_pop(ns, a[1], is(a[0], "ZPOPMAX"), (size_t)v, false, false, &discard, &n);
    snprintf(c->why, c->wl, "unexpected command '%.*s' with %zu arguments", (int)a[0].n, a[0].p,
             argc);
    return FL_EINVAL;
}

/* Applies one command; a message in why when it is not one the log holds. */
static int apply(flp_t *p, fl_ns_t **ns, const fl_slice_t *a, size_t argc, char *why, size_t wl)
{
    int64_t v;
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
    if (is(a[0], "FLUSHALL") && argc <= 2) { /* Redis's own logs say FLUSHALL [SYNC|ASYNC] */
        for (size_t i = 0; i < fl_store_ns_count(p->store); i++)
            if (fl_ns_flush(fl_store_ns(p->store, i)) != FL_OK) {
                snprintf(why, wl, "FLUSHALL: out of memory");
                return -1;
            }
        return 0;
    }
    if (!*ns) {
        snprintf(why, wl, "a command before any SELECT");
        return -1;
    }
    if (is(a[0], "FLUSHDB") && argc <= 2) {
        if (fl_ns_flush(*ns) == FL_OK)
            return 0;
        snprintf(why, wl, "FLUSHDB: out of memory");
        return -1;
    }
    if (argc < 2) {
        snprintf(why, wl, "'%.*s' without a key", (int)a[0].n, a[0].p);
        return -1;
    }
    why[0] = '\0';
    cmd_t c = {*ns, a, argc, why, wl};
    int rc = apply_key_cmd(&c);
    if (rc == FL_OK || rc == FL_ENOKEY || rc == FL_ERANGE)
        return 0;
    if (!why[0])
        snprintf(why, wl, "%.*s: %s", (int)a[0].n, a[0].p, fl_status_str(rc));
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
    s->cap = 64;
    s->argv = malloc(s->cap * sizeof(*s->argv));
    if (!s->argv) {
        free(s);
        snprintf(err, errlen, "out of memory replaying %s", file);
        return -ENOMEM;
    }
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
        if (rc == P_NOMEM) {
            snprintf(err, errlen, "out of memory replaying %s at offset %zu", file,
                     (size_t)(at - data));
            result = -ENOMEM;
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
    free(s->argv);
    free(s);
    return result;
}
