/*
 * src/server/cmd_keys.c: keyspace commands (DEL, UNLINK, EXISTS, EXPIRE family, TTL, PTTL,
 * PERSIST, TYPE, SCAN, KEYS, DBSIZE, FLUSHDB, FLUSHALL).
 *
 * Invariants: multi-key commands count per argument as Redis does (EXISTS k k counts 2);
 * SCAN/KEYS copy key names out of the store's callback (which runs under a partition lock)
 * into a private buffer before replying or asking the store anything else.
 */
#include "srv_cmd.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

static void cmd_del(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long n = 0;
    for (int i = 1; i < argc; i++) {
        bool deleted = false;
        if (!srv_sink_done(c, c->out.len, fl_key_del(c->ns, argv[i], &deleted)))
            return;
        n += deleted;
    }
    srv_reply_int(&c->out, n);
}

static void cmd_exists(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long n = 0;
    for (int i = 1; i < argc; i++) {
        bool exists = false;
        if (!srv_sink_done(c, c->out.len, fl_key_exists(c->ns, argv[i], &exists)))
            return;
        n += exists;
    }
    srv_reply_int(&c->out, n);
}

static bool expire_flags(srv_client_t *c, int argc, const fl_slice_t *argv, unsigned *flags)
{
    *flags = 0;
    for (int i = 3; i < argc; i++) {
        if (srv_slice_eq(argv[i], "nx"))
            *flags |= FL_EXPIRE_NX;
        else if (srv_slice_eq(argv[i], "xx"))
            *flags |= FL_EXPIRE_XX;
        else if (srv_slice_eq(argv[i], "gt"))
            *flags |= FL_EXPIRE_GT;
        else if (srv_slice_eq(argv[i], "lt"))
            *flags |= FL_EXPIRE_LT;
        else {
            int n = argv[i].n < 128 ? (int)argv[i].n : 128;
            srv_reply_errorf(&c->out, "ERR Unsupported option %.*s", n, argv[i].p);
            return false;
        }
    }
    if ((*flags & FL_EXPIRE_NX) && (*flags & (FL_EXPIRE_XX | FL_EXPIRE_GT | FL_EXPIRE_LT))) {
        srv_reply_error(&c->out,
                        "ERR NX and XX, GT or LT options at the same time are not compatible");
        return false;
    }
    if ((*flags & FL_EXPIRE_GT) && (*flags & FL_EXPIRE_LT)) {
        srv_reply_error(&c->out, "ERR GT and LT options at the same time are not compatible");
        return false;
    }
    return true;
}

static void expire_generic(srv_client_t *c, int argc, const fl_slice_t *argv, bool seconds,
                           bool absolute, const char *name)
{
    long long v;
    unsigned flags;
    if (!srv_arg_ll(c, argv[2], &v) || !expire_flags(c, argc, argv, &flags))
        return;
    if (seconds) {
        if (v > LLONG_MAX / 1000 || v < LLONG_MIN / 1000)
            goto invalid;
        v *= 1000;
    }
    if (!absolute) {
        int64_t now = fl_now_ms();
        if (v > LLONG_MAX - now)
            goto invalid;
        v += now;
    }
    /* The condition is checked by the store under the write lock that applies the change. */
    bool applied = false;
    if (srv_sink_done(c, c->out.len, fl_key_expire_cond(c->ns, argv[1], v, flags, &applied)))
        srv_reply_int(&c->out, applied);
    return;
invalid:
    srv_reply_errorf(&c->out, "ERR invalid expire time in '%s' command", name);
}

static void cmd_expire(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    expire_generic(c, argc, argv, true, false, "expire");
}

static void cmd_pexpire(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    expire_generic(c, argc, argv, false, false, "pexpire");
}

static void cmd_expireat(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    expire_generic(c, argc, argv, true, true, "expireat");
}

static void cmd_pexpireat(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    expire_generic(c, argc, argv, false, true, "pexpireat");
}

static void ttl_generic(srv_client_t *c, fl_slice_t key, bool ms)
{
    int64_t ttl = -2;
    if (!srv_sink_done(c, c->out.len, fl_key_ttl_ms(c->ns, key, &ttl)))
        return;
    srv_reply_int(&c->out, ttl < 0 || ms ? ttl : (ttl + 500) / 1000);
}

static void cmd_ttl(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    ttl_generic(c, argv[1], false);
}

static void cmd_pttl(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    ttl_generic(c, argv[1], true);
}

static void cmd_persist(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool changed = false;
    if (srv_sink_done(c, c->out.len, fl_key_persist(c->ns, argv[1], &changed)))
        srv_reply_int(&c->out, changed);
}

static const char *type_name(fl_type_t t)
{
    return t == FL_TYPE_STRING ? "string" : t == FL_TYPE_HASH ? "hash" : "none";
}

static void cmd_type(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_type_t t = FL_TYPE_NONE;
    if (srv_sink_done(c, c->out.len, fl_key_type(c->ns, argv[1], &t)))
        srv_reply_simple(&c->out, type_name(t));
}

/* Keys copied out of the store's scan callback: [size_t len][bytes] records. */
typedef struct key_list {
    srv_buf_t buf;
    size_t count;
} key_list_t;

static void collect_key(void *ctx, const char *key, size_t n)
{
    key_list_t *l = ctx;
    srv_reply_raw(&l->buf, (const char *)&n, sizeof(n));
    srv_reply_raw(&l->buf, key, n);
    l->count++;
}

/* Replies the collected keys (only those of type `want` when want != NULL). */
static void reply_keys(srv_client_t *c, key_list_t *l, const fl_slice_t *want)
{
    size_t n = 0, at = 0;
    const char **ptrs = NULL;
    size_t *lens = NULL;
    if (l->buf.failed) {
        c->out.failed = true; /* out of memory: drop the connection */
        return;
    }
    if (l->count) {
        ptrs = malloc(l->count * sizeof(*ptrs));
        lens = malloc(l->count * sizeof(*lens));
    }
    if (l->count && (!ptrs || !lens)) {
        c->out.failed = true; /* out of memory: drop the connection */
        goto out;
    }
    while (at < l->buf.len) {
        size_t len;
        memcpy(&len, l->buf.p + at, sizeof(len));
        const char *k = l->buf.p + at + sizeof(len);
        at += sizeof(len) + len;
        if (want) {
            fl_type_t t = FL_TYPE_NONE;
            fl_key_type(c->ns, (fl_slice_t){k, len}, &t);
            if (!srv_slice_eq(*want, type_name(t)))
                continue;
        }
        ptrs[n] = k;
        lens[n++] = len;
    }
    srv_reply_array(&c->out, n);
    for (size_t i = 0; i < n; i++)
        srv_reply_bulk(&c->out, ptrs[i], lens[i]);
out:
    free(ptrs);
    free(lens);
}

/* Redis 7's cursor parse (strtoul): optional sign, base 10, no leading space, nothing after
 * the digits, no overflow; "" is 0 and "-1" wraps to the largest cursor (which ends a scan). */
static bool parse_cursor(fl_slice_t a, unsigned long long *cursor)
{
    char tmp[32];
    if (a.n >= sizeof(tmp))
        return false;
    memcpy(tmp, a.p, a.n);
    tmp[a.n] = '\0';
    if (isspace((unsigned char)tmp[0]))
        return false;
    char *end;
    errno = 0;
    *cursor = strtoull(tmp, &end, 10);
    return errno != ERANGE && *end == '\0';
}

static void cmd_scan(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    unsigned long long cursor;
    if (!parse_cursor(argv[1], &cursor)) {
        srv_reply_error(&c->out, "ERR invalid cursor");
        return;
    }
    const fl_slice_t *match = NULL, *type = NULL;
    long long count = 10;
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) {
            srv_reply_syntax(c);
            return;
        }
        if (srv_slice_eq(argv[i], "match"))
            match = &argv[i + 1];
        else if (srv_slice_eq(argv[i], "type"))
            type = &argv[i + 1];
        else if (srv_slice_eq(argv[i], "count")) {
            if (!srv_arg_ll(c, argv[i + 1], &count))
                return;
            if (count < 1) {
                srv_reply_syntax(c);
                return;
            }
        } else {
            srv_reply_syntax(c);
            return;
        }
    }
    key_list_t l = {{0}, 0};
    uint64_t next = 0;
    int st = fl_key_scan(c->ns, cursor, match ? match->p : NULL, match ? match->n : 0,
                         (size_t)count, collect_key, &l, &next);
    if (srv_sink_done(c, c->out.len, st)) {
        srv_reply_array(&c->out, 2);
        srv_reply_bulk_fmt(&c->out, "%llu", (unsigned long long)next);
        reply_keys(c, &l, type);
    }
    srv_buf_free(&l.buf);
}

static void cmd_keys(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    key_list_t l = {{0}, 0};
    uint64_t cursor = 0;
    bool all = argv[1].n == 1 && argv[1].p[0] == '*';
    do {
        int st = fl_key_scan(c->ns, cursor, all ? NULL : argv[1].p, all ? 0 : argv[1].n, 1024,
                             collect_key, &l, &cursor);
        if (!srv_sink_done(c, c->out.len, st)) {
            srv_buf_free(&l.buf);
            return;
        }
    } while (cursor != 0 && !l.buf.failed);
    reply_keys(c, &l, NULL);
    srv_buf_free(&l.buf);
}

static void cmd_dbsize(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_reply_int(&c->out, (long long)fl_ns_size(c->ns));
}

static bool flush_mode_ok(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (argc == 1 ||
        (argc == 2 && (srv_slice_eq(argv[1], "async") || srv_slice_eq(argv[1], "sync"))))
        return true;
    srv_reply_syntax(c);
    return false;
}

static void cmd_flushdb(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (flush_mode_ok(c, argc, argv) && srv_sink_done(c, c->out.len, fl_ns_flush(c->ns)))
        srv_reply_ok(&c->out);
}

static void cmd_flushall(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (!flush_mode_ok(c, argc, argv))
        return;
    size_t n = fl_store_ns_count(c->srv->store);
    for (size_t i = 0; i < n; i++)
        if (!srv_sink_done(c, c->out.len, fl_ns_flush(fl_store_ns(c->srv->store, i))))
            return;
    srv_reply_ok(&c->out);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"dbsize", 1, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_dbsize, 0, 0, 0, SRV_ACL_CAT(KEYSPACE)},
    {"del", -2, SRV_CMD_WRITE, cmd_del, 1, -1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"exists", -2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_exists, 1, -1, 1,
     SRV_ACL_CAT(KEYSPACE)},
    {"expire", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_expire, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"expireat", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_expireat, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"flushall", -1, SRV_CMD_WRITE, cmd_flushall, 0, 0, 0,
     SRV_ACL_CAT(KEYSPACE) | SRV_ACL_CAT(DANGEROUS)},
    {"flushdb", -1, SRV_CMD_WRITE, cmd_flushdb, 0, 0, 0,
     SRV_ACL_CAT(KEYSPACE) | SRV_ACL_CAT(DANGEROUS)},
    {"keys", 2, SRV_CMD_READONLY, cmd_keys, 0, 0, 0,
     SRV_ACL_CAT(KEYSPACE) | SRV_ACL_CAT(DANGEROUS)},
    {"persist", 2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_persist, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"pexpire", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_pexpire, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"pexpireat", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_pexpireat, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"pttl", 2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_pttl, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"scan", -2, SRV_CMD_READONLY, cmd_scan, 0, 0, 0, SRV_ACL_CAT(KEYSPACE)},
    {"ttl", 2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_ttl, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"type", 2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_type, 1, 1, 1,
     SRV_ACL_CAT(KEYSPACE)},
    {"unlink", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_del, 1, -1, 1, SRV_ACL_CAT(KEYSPACE)},
};
const srv_cmd_family_t srv_cmds_keys = {cmds, sizeof(cmds) / sizeof(cmds[0])};
