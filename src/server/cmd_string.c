/*
 * src/server/cmd_string.c: string commands (GET, SET and its options, SETEX, PSETEX, SETNX,
 * MGET, MSET, MSETNX, GETDEL, GETEX, GETSET, APPEND, STRLEN, SETRANGE, GETRANGE/SUBSTR,
 * INCR/DECR/INCRBY/DECRBY/INCRBYFLOAT, LCS).
 *
 * Invariants: option parsing follows Redis 7's rules and wording (conflicting options are a
 * syntax error, a non-positive or overflowing expire is "invalid expire time in '<cmd>'
 * command"); values stream from the store to the reply buffer through the sink; each
 * handler appends exactly one reply.
 */
#include "notify.h"
#include "srv_cmd.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void reply_invalid_expire(srv_client_t *c, const char *cmd)
{
    srv_reply_errorf(&c->out, "ERR invalid expire time in '%s' command", cmd);
}

/* Absolute expiry in ms from a relative/absolute number in seconds or ms; false when the
 * number is not positive or the result overflows. */
static bool expire_ms(long long v, bool seconds, bool absolute, int64_t *out)
{
    if (v <= 0)
        return false;
    if (seconds) {
        if (v > LLONG_MAX / 1000)
            return false;
        v *= 1000;
    }
    if (!absolute) {
        int64_t now = fl_now_ms();
        if (v > LLONG_MAX - now)
            return false;
        v += now;
    }
    *out = v;
    return true;
}

static void cmd_get(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_str_get(c->ns, argv[1], &sink));
}

/* A key's state read for a notification's condition, without counting a lookup. */
typedef struct peek {
    bool found;
    size_t len;           /* a string's length */
    int64_t expire_at_ms; /* 0: no TTL */
} peek_t;

static void peek_view(void *ctx, const fl_rec_view_t *v)
{
    peek_t *p = ctx;
    p->len = v->type == FL_TYPE_STRING ? fl_value_len(v->val) : 0;
    p->expire_at_ms = v->expire_at_ms;
}

/* Reads key's state into *p when the classes `want` are on (else leaves it "found"). */
static void peek(srv_client_t *c, fl_slice_t key, unsigned want, peek_t *p)
{
    *p = (peek_t){true, 0, 0};
    if (atomic_load_explicit(&srv_notify_classes, memory_order_relaxed) & want)
        fl_key_view(c->ns, key, FL_LOOKUP_QUIET, peek_view, p, &p->found);
}

/* Whether the SET just made (since srv_notify_begin) dropped key at once for an expiry that
 * was already past when the store looked, as the store does; Redis keeps such a key until it
 * is next touched. *was_missing: it did not exist before. Only asked once the expiry is past:
 * the store created the key (recorded), deleted the old one (recorded), or neither, when it
 * replaced the key (still there) or dropped a missing one (not there). */
static bool set_dropped(srv_client_t *c, fl_slice_t key, bool *was_missing)
{
    *was_missing = false;
    if (srv_notify_created(c->ns_index, key))
        return false;
    if (srv_notify_deleted(c, key))
        return true;
    peek_t now;
    peek(c, key, ~0u, &now);
    *was_missing = !now.found;
    return !now.found;
}

/* After a SET-like write of key (SET, SETEX, PSETEX, GETSET, SET ... GET): Redis's "set", then
 * "expire" when an expiry was given. A key the store dropped at once (set_dropped) is told as
 * Redis tells it: "new" (when it was missing), "set", "expire", then "expired". */
static void notify_set(srv_client_t *c, fl_slice_t key, int64_t expire_at_ms)
{
    if (srv_notify_off())
        return;
    bool was_missing = false;
    bool dropped =
        expire_at_ms != 0 && expire_at_ms <= fl_now_ms() && set_dropped(c, key, &was_missing);
    if (was_missing)
        srv_notify(c, SRV_NOTIFY_NEW, "new", key);
    srv_notify(c, SRV_NOTIFY_STRING, "set", key);
    if (expire_at_ms)
        srv_notify(c, SRV_NOTIFY_GENERIC, "expire", key);
    if (dropped)
        srv_notify(c, SRV_NOTIFY_EXPIRED, "expired", key);
}

/* SET's options by exclusive group. As in Redis 7, an option may be repeated (the last value
 * wins) but two different options of one group (NX XX, EX PX, KEEPTTL EX, ...) are a syntax
 * error. */
enum { GROUP_COND, GROUP_GET, GROUP_EXPIRE, NGROUPS };

static void cmd_set(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_set_opts_t o = {0, 0};
    int seen[NGROUPS] = {0}; /* per group: the option seen (an id per option), 0 none */
    for (int i = 3; i < argc; i++) {
        fl_slice_t a = argv[i];
        int group = -1, id = 0;
        unsigned flag = 0;
        int unit = 0; /* 1 EX, 2 PX, 3 EXAT, 4 PXAT */
        if (srv_slice_eq(a, "nx"))
            group = GROUP_COND, id = 1, flag = FL_SET_NX;
        else if (srv_slice_eq(a, "xx"))
            group = GROUP_COND, id = 2, flag = FL_SET_XX;
        else if (srv_slice_eq(a, "get"))
            group = GROUP_GET, id = 1, flag = FL_SET_GET;
        else if (srv_slice_eq(a, "keepttl"))
            group = GROUP_EXPIRE, id = 5, flag = FL_SET_KEEPTTL;
        else if (srv_slice_eq(a, "ex"))
            group = GROUP_EXPIRE, id = unit = 1;
        else if (srv_slice_eq(a, "px"))
            group = GROUP_EXPIRE, id = unit = 2;
        else if (srv_slice_eq(a, "exat"))
            group = GROUP_EXPIRE, id = unit = 3;
        else if (srv_slice_eq(a, "pxat"))
            group = GROUP_EXPIRE, id = unit = 4;
        if (group < 0 || (seen[group] && seen[group] != id) || (unit && i + 1 >= argc)) {
            srv_reply_syntax(c);
            return;
        }
        seen[group] = id;
        o.flags |= flag;
        if (unit) {
            long long v;
            if (!srv_arg_ll(c, argv[++i], &v))
                return;
            if (!expire_ms(v, unit == 1 || unit == 3, unit >= 3, &o.expire_at_ms)) {
                reply_invalid_expire(c, "set");
                return;
            }
        }
    }
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_notify_begin();
    int st = fl_str_set(c->ns, argv[1], argv[2], &o, &sink);
    if (o.flags & FL_SET_GET) {
        if (st == FL_ECOND || !srv_sink_done(c, mark, st) || srv_notify_off())
            return; /* the old value was emitted, or the error */
        if (srv_replied_none(c, mark))
            srv_notify(c, SRV_NOTIFY_KEY_MISS, "keymiss", argv[1]);
        notify_set(c, argv[1], o.expire_at_ms);
        return;
    }
    if (st == FL_ECOND) {
        srv_reply_nil(&c->out);
    } else if (srv_sink_done(c, mark, st)) {
        srv_reply_ok(&c->out);
        notify_set(c, argv[1], o.expire_at_ms);
    }
}

static void setex_generic(srv_client_t *c, const fl_slice_t *argv, bool seconds, const char *n)
{
    long long v;
    fl_set_opts_t o = {0, 0};
    if (!srv_arg_ll(c, argv[2], &v))
        return;
    if (!expire_ms(v, seconds, false, &o.expire_at_ms)) {
        reply_invalid_expire(c, n);
        return;
    }
    srv_notify_begin();
    int st = fl_str_set(c->ns, argv[1], argv[3], &o, NULL);
    if (srv_sink_done(c, c->out.len, st)) {
        srv_reply_ok(&c->out);
        notify_set(c, argv[1], o.expire_at_ms);
    }
}

static void cmd_setex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    setex_generic(c, argv, true, "setex");
}

static void cmd_psetex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    setex_generic(c, argv, false, "psetex");
}

static void cmd_setnx(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_set_opts_t o = {0, FL_SET_NX};
    int st = fl_str_set(c->ns, argv[1], argv[2], &o, NULL);
    if (st == FL_ECOND) {
        srv_reply_int(&c->out, 0);
    } else if (srv_sink_done(c, c->out.len, st)) {
        srv_reply_int(&c->out, 1);
        srv_notify(c, SRV_NOTIFY_STRING, "set", argv[1]);
    }
}

static void cmd_mget(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    /* Atomic: the store locks every key's partition first; another type reads as nil. */
    srv_sink_done(c, c->out.len, fl_str_mget(c->ns, argv + 1, (size_t)argc - 1, &sink));
}

static void cmd_mset(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (argc % 2 == 0) {
        srv_reply_arity(c, "mset");
        return;
    }
    /* All or nothing: the store checks the quota for every pair first and applies them
     * together. */
    if (!srv_sink_done(c, c->out.len, fl_str_mset(c->ns, argv + 1, (size_t)(argc - 1) / 2)))
        return;
    srv_reply_ok(&c->out);
    for (int i = 1; i < argc; i += 2)
        srv_notify(c, SRV_NOTIFY_STRING, "set", argv[i]);
}

static void cmd_getdel(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_notify_begin();
    if (!srv_sink_done(c, mark, fl_str_getdel(c->ns, argv[1], &sink)) || srv_notify_off())
        return;
    if (srv_replied_none(c, mark))
        srv_notify(c, SRV_NOTIFY_KEY_MISS, "keymiss", argv[1]);
    srv_notify_del_if_gone(c, argv[1]);
}

/* GETEX key [EX s | PX ms | EXAT s | PXAT ms | PERSIST]: one option of the group (repeating
 * the same one is allowed, as SET's), checked before the key is looked at. */
static void cmd_getex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    int seen = 0; /* 1 EX, 2 PX, 3 EXAT, 4 PXAT, 5 PERSIST */
    int64_t at = 0;
    for (int i = 2; i < argc; i++) {
        int id = srv_slice_eq(argv[i], "ex")        ? 1
                 : srv_slice_eq(argv[i], "px")      ? 2
                 : srv_slice_eq(argv[i], "exat")    ? 3
                 : srv_slice_eq(argv[i], "pxat")    ? 4
                 : srv_slice_eq(argv[i], "persist") ? 5
                                                    : 0;
        if (!id || (seen && seen != id) || (id < 5 && i + 1 >= argc)) {
            srv_reply_syntax(c);
            return;
        }
        seen = id;
        if (id == 5)
            continue;
        long long v;
        if (!srv_arg_ll(c, argv[++i], &v))
            return;
        if (!expire_ms(v, id == 1 || id == 3, id >= 3, &at)) {
            reply_invalid_expire(c, "getex");
            return;
        }
    }
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    peek_t before; /* PERSIST is told only when it removed a TTL */
    peek(c, argv[1], seen == 5 ? SRV_NOTIFY_GENERIC : 0, &before);
    srv_notify_begin();
    if (!srv_sink_done(c, mark, fl_str_getex(c->ns, argv[1], at, seen == 5, &sink)) ||
        srv_notify_off())
        return;
    if (srv_replied_none(c, mark)) {
        srv_notify(c, SRV_NOTIFY_KEY_MISS, "keymiss", argv[1]);
        return;
    }
    if (srv_notify_deleted(c, argv[1]))
        srv_notify(c, SRV_NOTIFY_GENERIC, "del", argv[1]);
    else if (at)
        srv_notify(c, SRV_NOTIFY_GENERIC, "expire", argv[1]);
    else if (seen == 5 && before.expire_at_ms != 0)
        srv_notify(c, SRV_NOTIFY_GENERIC, "persist", argv[1]);
}

static void cmd_getset(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_set_opts_t o = {0, FL_SET_GET};
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    if (!srv_sink_done(c, mark, fl_str_set(c->ns, argv[1], argv[2], &o, &sink)) || srv_notify_off())
        return;
    if (srv_replied_none(c, mark))
        srv_notify(c, SRV_NOTIFY_KEY_MISS, "keymiss", argv[1]);
    srv_notify(c, SRV_NOTIFY_STRING, "set", argv[1]);
}

static void cmd_append(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t len = 0;
    /* Redis caps a string at proto-max-bulk-len. The current length is read in a separate
     * call, so concurrent APPENDs to one key may pass the cap by one argument each (each one
     * is itself at most proto-max-bulk-len); the store's hard cap (4 GiB - 1) always holds.
     * The length is read without counting a keyspace hit or miss (a record's size does not
     * bound it: a large value may be stored compressed). */
    size_t max = atomic_load_explicit(&c->srv->live.proto_max_bulk_len, memory_order_relaxed);
    size_t cur = 0;
    if (argv[2].n > max ||
        (fl_str_len_peek(c->ns, argv[1], &cur) == FL_OK && cur > max - argv[2].n)) {
        srv_reply_error(&c->out, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return;
    }
    if (srv_sink_done(c, c->out.len, fl_str_append(c->ns, argv[1], argv[2], &len))) {
        srv_reply_int(&c->out, (long long)len);
        srv_notify(c, SRV_NOTIFY_STRING, "append", argv[1]);
    }
}

static void cmd_setrange(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long offset;
    size_t len = 0;
    if (!srv_arg_ll(c, argv[2], &offset))
        return;
    if (offset < 0) {
        srv_reply_error(&c->out, "ERR offset is out of range");
        return;
    }
    if (argv[3].n > 0 && ((unsigned long long)offset > c->srv->cfg.proto_max_bulk_len ||
                          argv[3].n > c->srv->cfg.proto_max_bulk_len - (size_t)offset)) {
        srv_reply_error(&c->out, "ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return;
    }
    if (!srv_sink_done(c, c->out.len,
                       fl_str_setrange(c->ns, argv[1], (size_t)offset, argv[3], &len)))
        return;
    srv_reply_int(&c->out, (long long)len);
    if (argv[3].n > 0) /* Redis: nothing written, nothing told */
        srv_notify(c, SRV_NOTIFY_STRING, "setrange", argv[1]);
}

/* GETRANGE and SUBSTR. */
static void cmd_getrange(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long start, end;
    if (!srv_arg_ll(c, argv[2], &start) || !srv_arg_ll(c, argv[3], &end))
        return;
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    srv_sink_done(c, c->out.len, fl_str_getrange(c->ns, argv[1], start, end, &sink));
}

/* A SETBIT/GETBIT offset: a non-negative integer whose byte is below proto-max-bulk-len. */
static bool bit_offset(srv_client_t *c, fl_slice_t a, uint64_t *bit)
{
    long long v;
    if (!srv_slice_to_ll(a, &v) || v < 0 ||
        ((unsigned long long)v >> 3) >= c->srv->cfg.proto_max_bulk_len) {
        srv_reply_error(&c->out, "ERR bit offset is not an integer or out of range");
        return false;
    }
    *bit = (uint64_t)v;
    return true;
}

static void cmd_setbit(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    uint64_t bit;
    bool was = false;
    if (!bit_offset(c, argv[2], &bit))
        return;
    if (argv[3].n != 1 || (argv[3].p[0] != '0' && argv[3].p[0] != '1')) {
        srv_reply_error(&c->out, "ERR bit is not an integer or out of range");
        return;
    }
    /* Redis tells "setbit" when the bit changed or the value was created or grew. */
    peek_t before;
    peek(c, argv[1], SRV_NOTIFY_STRING, &before);
    bool on = argv[3].p[0] == '1';
    int st = fl_str_setbit(c->ns, argv[1], bit, on, &was);
    if (!srv_sink_done(c, c->out.len, st))
        return;
    srv_reply_int(&c->out, was);
    if (was != on || !before.found || bit / 8 >= before.len)
        srv_notify(c, SRV_NOTIFY_STRING, "setbit", argv[1]);
}

static void cmd_getbit(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    uint64_t bit;
    bool set = false;
    if (bit_offset(c, argv[2], &bit) &&
        srv_sink_done(c, c->out.len, fl_str_getbit(c->ns, argv[1], bit, &set)))
        srv_reply_int(&c->out, set);
}

static void cmd_strlen(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t len = 0;
    if (srv_sink_done(c, c->out.len, fl_str_len(c->ns, argv[1], &len)))
        srv_reply_int(&c->out, (long long)len);
}

static void incr_generic(srv_client_t *c, fl_slice_t key, long long delta)
{
    int64_t result = 0;
    if (srv_sink_done(c, c->out.len, fl_str_incrby(c->ns, key, delta, &result))) {
        srv_reply_int(&c->out, result);
        srv_notify(c, SRV_NOTIFY_STRING, "incrby", key);
    }
}

static void cmd_incr(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    incr_generic(c, argv[1], 1);
}

static void cmd_decr(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    incr_generic(c, argv[1], -1);
}

static void cmd_incrby(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long v;
    if (srv_arg_ll(c, argv[2], &v))
        incr_generic(c, argv[1], v);
}

static void cmd_decrby(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long v;
    if (!srv_arg_ll(c, argv[2], &v))
        return;
    if (v == LLONG_MIN) {
        srv_reply_error(&c->out, "ERR decrement would overflow");
        return;
    }
    incr_generic(c, argv[1], -v);
}

static void cmd_incrbyfloat(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char *buf = malloc(FL_FLOAT_BUF);
    size_t len = 0;
    if (!buf) {
        c->out.failed = true; /* out of memory: drop the connection */
        return;
    }
    if (srv_sink_done(c, c->out.len, fl_str_incrbyfloat(c->ns, argv[1], argv[2], buf, &len))) {
        srv_reply_bulk(&c->out, buf, len);
        srv_notify(c, SRV_NOTIFY_STRING, "incrbyfloat", argv[1]);
    }
    free(buf);
}

static void cmd_msetnx(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool set = false;
    if (argc % 2 == 0) {
        srv_reply_arity(c, "msetnx");
        return;
    }
    if (!srv_sink_done(c, c->out.len, fl_str_msetnx(c->ns, argv + 1, (size_t)(argc - 1) / 2, &set)))
        return;
    srv_reply_int(&c->out, set);
    for (int i = 1; set && i < argc; i += 2)
        srv_notify(c, SRV_NOTIFY_STRING, "set", argv[i]);
}

/* ---- LCS -------------------------------------------------------------------------------- */

/* LCS's two values, copied out of the store (the table is built without a lock held). */
typedef struct lcs_in {
    char *v[2];
    size_t n[2];
    bool failed;
} lcs_in_t;

static void lcs_copy(void *ctx, size_t i, fl_value_t v, bool present)
{
    (void)present; /* a missing key is an empty string, as Redis */
    lcs_in_t *in = ctx;
    size_t n = fl_value_len(v);
    in->v[i] = malloc(n ? n : 1); /* scratch: private arena */
    in->failed |= !in->v[i];
    if (in->v[i])
        fl_value_copy(v, 0, n, in->v[i]);
    in->n[i] = n;
}

/* One matching range of IDX: a[a0..a1] == b[b0..b1]. */
typedef struct lcs_range {
    uint32_t a0, a1, b0, b1;
} lcs_range_t;

/* The LCS of a and b by Redis's dynamic programme (table L[i][j] = LCS length of a[0..i) and
 * b[0..j)), walked back from the end as Redis walks it, so that the string and the ranges
 * (longest-index first, each reported when a mismatch or the start ends it) are Redis's
 * exactly. *out gets the LCS (NULL when !want_str), *ranges the ranges of at least minlen
 * (NULL when !want_idx). Returns the length, or -1 when memory is short. */
static long long lcs_compute(const char *a, uint32_t alen, const char *b, uint32_t blen,
                             bool want_str, bool want_idx, long long minlen, char **out,
                             lcs_range_t **ranges, size_t *nranges)
{
    size_t w = (size_t)blen + 1;
    uint32_t *L = malloc(((size_t)alen + 1) * w * sizeof(*L)); /* scratch: private arena */
    if (!L)
        return -1;
#define LCS(i, j) L[(size_t)(i)*w + (j)]
    for (uint32_t i = 0; i <= alen; i++)
        for (uint32_t j = 0; j <= blen; j++)
            LCS(i, j) = i == 0 || j == 0                ? 0
                        : a[i - 1] == b[j - 1]          ? LCS(i - 1, j - 1) + 1
                        : LCS(i - 1, j) > LCS(i, j - 1) ? LCS(i - 1, j)
                                                        : LCS(i, j - 1);
    uint32_t len = LCS(alen, blen), k = len;
    char *str = want_str || want_idx ? malloc(len ? len : 1) : NULL;
    size_t cap = want_idx ? 16 : 0, n = 0;
    lcs_range_t *rs = want_idx ? malloc(cap * sizeof(*rs)) : NULL;
    if ((want_str || want_idx) && (!str || (want_idx && !rs))) {
        free(L), free(str), free(rs);
        return -1;
    }
    uint32_t i = alen, j = blen, as = alen, ae = 0, bs = 0, be = 0; /* as == alen: no range */
    while ((want_str || want_idx) && i > 0 && j > 0) {
        bool emit = false;
        if (a[i - 1] == b[j - 1]) {
            str[--k] = a[i - 1];
            if (as == alen) {
                as = ae = i - 1;
                bs = be = j - 1;
            } else if (as == i && bs == j) { /* contiguous: the range grows backwards */
                as--;
                bs--;
            } else {
                emit = true;
            }
            emit |= as == 0 || bs == 0;
            i--, j--;
        } else {
            if (LCS(i - 1, j) > LCS(i, j - 1))
                i--;
            else
                j--;
            emit = as != alen;
        }
        if (!emit)
            continue;
        if (want_idx && (minlen == 0 || (long long)(ae - as + 1) >= minlen)) {
            if (n == cap) {
                lcs_range_t *more = realloc(rs, 2 * cap * sizeof(*rs));
                if (!more) {
                    free(L), free(str), free(rs);
                    return -1;
                }
                rs = more, cap *= 2;
            }
            rs[n++] = (lcs_range_t){as, ae, bs, be};
        }
        as = alen; /* the next match starts a new range */
    }
#undef LCS
    free(L);
    *out = str;
    *ranges = rs;
    *nranges = n;
    return len;
}

static void cmd_lcs(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    lcs_in_t in = {{NULL, NULL}, {0, 0}, false};
    int st = fl_str_read_many(c->ns, argv + 1, 2, lcs_copy, &in);
    bool getlen = false, getidx = false, withlen = false;
    long long minlen = 0;
    if (st == FL_EWRONGTYPE) {
        srv_reply_error(&c->out, "ERR The specified keys must contain string values");
        goto out;
    }
    if (st != FL_OK || in.failed) {
        c->out.failed = true; /* out of memory: drop the connection */
        goto out;
    }
    for (int j = 3; j < argc; j++) {
        if (srv_slice_eq(argv[j], "idx")) {
            getidx = true;
        } else if (srv_slice_eq(argv[j], "len")) {
            getlen = true;
        } else if (srv_slice_eq(argv[j], "withmatchlen")) {
            withlen = true;
        } else if (srv_slice_eq(argv[j], "minmatchlen") && j + 1 < argc) {
            if (!srv_arg_ll(c, argv[++j], &minlen))
                goto out;
            minlen = minlen < 0 ? 0 : minlen;
        } else {
            srv_reply_syntax(c);
            goto out;
        }
    }
    if (getlen && getidx) {
        srv_reply_error(&c->out,
                        "ERR If you want both the length and indexes, please just use IDX.");
        goto out;
    }
    if (in.n[0] >= UINT32_MAX - 1 || in.n[1] >= UINT32_MAX - 1) {
        srv_reply_error(&c->out, "ERR String too long for LCS");
        goto out;
    }
    size_t max = atomic_load_explicit(&c->srv->live.proto_max_bulk_len, memory_order_relaxed);
    if ((in.n[0] + 1) * (in.n[1] + 1) * sizeof(uint32_t) > max) {
        srv_reply_error(&c->out, "ERR Insufficient memory, transient memory for LCS exceeds "
                                 "proto-max-bulk-len");
        goto out;
    }
    char *str = NULL;
    lcs_range_t *rs = NULL;
    size_t nr = 0;
    long long len = lcs_compute(in.v[0], (uint32_t)in.n[0], in.v[1], (uint32_t)in.n[1], !getlen,
                                getidx, minlen, &str, &rs, &nr);
    if (len < 0) {
        srv_reply_error(&c->out,
                        "ERR Insufficient memory, failed allocating transient memory for LCS");
    } else if (getidx) { /* Redis's map {matches: [...], len: n}, as a flat array in RESP2 */
        srv_reply_map(&c->out, 2);
        srv_reply_bulk_str(&c->out, "matches");
        srv_reply_array(&c->out, nr);
        for (size_t i = 0; i < nr; i++) {
            srv_reply_array(&c->out, withlen ? 3 : 2);
            srv_reply_array(&c->out, 2);
            srv_reply_int(&c->out, rs[i].a0);
            srv_reply_int(&c->out, rs[i].a1);
            srv_reply_array(&c->out, 2);
            srv_reply_int(&c->out, rs[i].b0);
            srv_reply_int(&c->out, rs[i].b1);
            if (withlen)
                srv_reply_int(&c->out, (long long)rs[i].a1 - rs[i].a0 + 1);
        }
        srv_reply_bulk_str(&c->out, "len");
        srv_reply_int(&c->out, len);
    } else if (getlen) {
        srv_reply_int(&c->out, len);
    } else {
        srv_reply_bulk(&c->out, str, (size_t)len);
    }
    free(str);
    free(rs);
out:
    free(in.v[0]);
    free(in.v[1]);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"append", 3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_append, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"decr", 2, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_decr, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"decrby", 3, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_decrby, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"get", 2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_get, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"getbit", 3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_getbit, 1, 1, 1, SRV_ACL_CAT(BITMAP)},
    {"getdel", 2, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_getdel, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"getex", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_getex, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"getrange", 4, SRV_CMD_READONLY, cmd_getrange, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"getset", 3, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_getset, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"incr", 2, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_incr, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"incrby", 3, SRV_CMD_WRITE | SRV_CMD_FAST | SRV_CMD_KEY_READS_TOO, cmd_incrby, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"incrbyfloat", 3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_incrbyfloat, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"lcs", -3, SRV_CMD_READONLY, cmd_lcs, 1, 2, 1, SRV_ACL_CAT(STRING)},
    {"mget", -2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_mget, 1, -1, 1, SRV_ACL_CAT(STRING)},
    {"mset", -3, SRV_CMD_WRITE, cmd_mset, 1, -1, 2, SRV_ACL_CAT(STRING)},
    {"msetnx", -3, SRV_CMD_WRITE, cmd_msetnx, 1, -1, 2, SRV_ACL_CAT(STRING)},
    {"psetex", 4, SRV_CMD_WRITE, cmd_psetex, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"set", -3, SRV_CMD_WRITE, cmd_set, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"setbit", 4, SRV_CMD_WRITE | SRV_CMD_KEY_READS_TOO, cmd_setbit, 1, 1, 1, SRV_ACL_CAT(BITMAP)},
    {"setex", 4, SRV_CMD_WRITE, cmd_setex, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"setnx", 3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_setnx, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"setrange", 4, SRV_CMD_WRITE, cmd_setrange, 1, 1, 1, SRV_ACL_CAT(STRING)},
    {"strlen", 2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_strlen, 1, 1, 1,
     SRV_ACL_CAT(STRING)},
    {"substr", 4, SRV_CMD_READONLY, cmd_getrange, 1, 1, 1, SRV_ACL_CAT(STRING)},
};
const srv_cmd_family_t srv_cmds_string = {cmds, sizeof(cmds) / sizeof(cmds[0])};
