/*
 * src/server/cmd_keys.c: keyspace commands (DEL, UNLINK, EXISTS, EXPIRE family, TTL, PTTL,
 * PERSIST, TYPE, SCAN, KEYS, DBSIZE, FLUSHDB, FLUSHALL, DUMP, RESTORE).
 *
 * Invariants: multi-key commands count per argument as Redis does (EXISTS k k counts 2);
 * SCAN/KEYS copy key names out of the store's callback (which runs under a partition lock)
 * into a private buffer before replying or asking the store anything else.
 */
#include "block.h"
#include "notify.h"
#include "srv_cmd.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* DEL, UNLINK, EXISTS and TOUCH over several keys are atomic: the store locks the partitions
 * of all the keys before the first one (one key: the single-key path). */
static void cmd_del(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t n = 0;
    bool deleted = false;
    srv_notify_begin();
    int st = argc == 2 ? fl_key_del(c->ns, argv[1], &deleted)
                       : fl_keys_del(c->ns, argv + 1, (size_t)argc - 1, &n);
    if (!srv_sink_done(c, c->out.len, st))
        return;
    srv_reply_int(&c->out, argc == 2 ? (long long)deleted : (long long)n);
    for (int i = 1; i < argc; i++) /* Redis's order: the arguments' */
        srv_notify_del_if_gone(c, argv[i]);
}

static void cmd_exists(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t n = 0;
    bool exists = false;
    int st = argc == 2 ? fl_key_exists(c->ns, argv[1], FL_LOOKUP_META, &exists)
                       : fl_keys_exists(c->ns, argv + 1, (size_t)argc - 1, &n);
    if (srv_sink_done(c, c->out.len, st))
        srv_reply_int(&c->out, argc == 2 ? (long long)exists : (long long)n);
}

/* RENAME / RENAMENX; a list or sorted set moved into place serves the clients blocked on its
 * new name (Redis's signalKeyAsReady). */
static void rename_generic(srv_client_t *c, const fl_slice_t *argv, bool nx)
{
    bool renamed = false;
    srv_notify_begin();
    if (!srv_sink_done(c, c->out.len, fl_key_rename(c->ns, argv[1], argv[2], nx, &renamed)))
        return;
    if (nx)
        srv_reply_int(&c->out, renamed);
    else
        srv_reply_ok(&c->out);
    bool same = argv[1].n == argv[2].n && memcmp(argv[1].p, argv[2].p, argv[1].n) == 0;
    if ((renamed || !nx) && !same) {
        srv_notify_new_unless_created(c, argv[2]);
        srv_notify(c, SRV_NOTIFY_GENERIC, "rename_from", argv[1]);
        srv_notify(c, SRV_NOTIFY_GENERIC, "rename_to", argv[2]);
    }
    if (renamed || !nx)
        srv_block_signal(c->ns, argv[2]);
}

static void cmd_rename(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    rename_generic(c, argv, false);
}

static void cmd_renamenx(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    rename_generic(c, argv, true);
}

/* COPY source destination [DB index] [REPLACE]: the index is a namespace's (SELECT's). */
static void cmd_copy(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool replace = false;
    fl_ns_t *dst = c->ns;
    size_t dst_index = c->ns_index;
    for (int i = 3; i < argc; i++) {
        long long db;
        if (srv_slice_eq(argv[i], "replace")) {
            replace = true;
        } else if (srv_slice_eq(argv[i], "db") && i + 1 < argc) {
            if (!srv_arg_ll(c, argv[++i], &db))
                return;
            if (db < INT_MIN || db > INT_MAX) {
                srv_reply_error(&c->out, "ERR value is not an integer or out of range");
                return;
            }
            dst = db < 0 ? NULL : fl_store_ns(c->srv->store, (size_t)db);
            dst_index = (size_t)db;
            if (!dst) {
                srv_reply_error(&c->out, "ERR DB index is out of range");
                return;
            }
        } else {
            srv_reply_syntax(c);
            return;
        }
    }
    if (dst == c->ns && argv[1].n == argv[2].n && memcmp(argv[1].p, argv[2].p, argv[1].n) == 0) {
        srv_reply_error(&c->out, "ERR source and destination objects are the same");
        return;
    }
    bool copied = false;
    if (!srv_sink_done(c, c->out.len, fl_key_copy(c->ns, argv[1], dst, argv[2], replace, &copied)))
        return;
    srv_reply_int(&c->out, copied);
    if (!copied)
        return;
    srv_notify_publish(dst_index, SRV_NOTIFY_GENERIC, "copy_to", argv[2]);
    srv_block_signal(dst, argv[2]);
}

/* DUMP key: the value serialized as Redis 7.0 does (src/persist/dump.c), or nil. */
static void cmd_dump(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    char *payload;
    size_t len;
    int rc = flp_dump(c->ns, argv[1], &payload, &len);
    if (rc == FL_ENOKEY) {
        srv_reply_nil(&c->out);
        return;
    }
    if (rc != FL_OK) {
        srv_reply_status(c, rc);
        return;
    }
    srv_reply_bulk(&c->out, payload, len);
    free(payload);
}

/* RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME s] [FREQ f], with Redis 7.0's checks in
 * its order: options, the key's existence (BUSYKEY), the TTL, the payload's footer, its value.
 * IDLETIME and FREQ are checked and set the key's access clock as OBJECT reports it. */
static void cmd_restore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool replace = false, absttl = false;
    long long idle = -1, freq = -1, ttl;
    for (int i = 4; i < argc; i++) {
        bool more = i + 1 < argc;
        if (srv_slice_eq(argv[i], "replace")) {
            replace = true;
        } else if (srv_slice_eq(argv[i], "absttl")) {
            absttl = true;
        } else if (srv_slice_eq(argv[i], "idletime") && more && freq == -1) {
            if (!srv_arg_ll(c, argv[++i], &idle))
                return;
            if (idle < 0) {
                srv_reply_error(&c->out, "ERR Invalid IDLETIME value, must be >= 0");
                return;
            }
        } else if (srv_slice_eq(argv[i], "freq") && more && idle == -1) {
            if (!srv_arg_ll(c, argv[++i], &freq))
                return;
            if (freq < 0 || freq > 255) {
                srv_reply_error(&c->out, "ERR Invalid FREQ value, must be >= 0 and <= 255");
                return;
            }
        } else {
            srv_reply_syntax(c);
            return;
        }
    }
    bool exists = false;
    fl_key_exists(c->ns, argv[1], FL_LOOKUP_QUIET, &exists);
    if (exists && !replace) {
        srv_reply_error(&c->out, "BUSYKEY Target key name already exists.");
        return;
    }
    if (!srv_arg_ll(c, argv[2], &ttl))
        return;
    if (ttl < 0) {
        srv_reply_error(&c->out, "ERR Invalid TTL value, must be >= 0");
        return;
    }
    int64_t at = ttl == 0 ? 0 : absttl ? ttl : fl_now_ms() + ttl;
    int status;
    srv_notify_begin();
    switch (flp_restore(c->srv->store, c->ns, argv[1], argv[3], at, replace, &status)) {
    case FLP_RESTORE_OK:
        break;
    case FLP_RESTORE_BAD_PAYLOAD:
        srv_reply_error(&c->out, "ERR DUMP payload version or checksum are wrong");
        return;
    case FLP_RESTORE_BAD_DATA:
        srv_reply_error(&c->out, "ERR Bad data format");
        return;
    case FLP_RESTORE_BUSYKEY:
        srv_reply_error(&c->out, "BUSYKEY Target key name already exists.");
        return;
    case FLP_RESTORE_STORE_ERROR:
        srv_reply_status(c, status);
        return;
    }
    if (idle >= 0 || freq >= 0)
        fl_key_set_access(c->ns, argv[1], idle, freq);
    srv_reply_ok(&c->out);
    if (srv_notify_deleted(c, argv[1])) { /* a TTL already past: REPLACE deleted the key */
        srv_notify(c, SRV_NOTIFY_GENERIC, "del", argv[1]);
    } else if (at == 0 || at > fl_now_ms()) { /* else nothing was created */
        srv_notify_new_unless_created(c, argv[1]);
        srv_notify(c, SRV_NOTIFY_GENERIC, "restore", argv[1]);
    }
    srv_block_signal(c->ns, argv[1]);
}

static void cmd_randomkey(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    srv_sink_done(c, c->out.len, fl_key_random(c->ns, &sink));
}

static bool policy_lfu(const fl_ns_t *ns)
{
    fl_evict_policy_t p = fl_ns_evict_policy(ns);
    return p == FL_EVICT_ALLKEYS_LFU || p == FL_EVICT_VOLATILE_LFU;
}

static void cmd_object(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    static const char *const help[] = {
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "ENCODING <key>",
        "    Return the kind of internal representation used in order to store the value",
        "    associated with a <key>.",
        "FREQ <key>",
        "    Return the access frequency index of the <key>. The returned integer is",
        "    proportional to the logarithm of the recent access frequency of the key.",
        "IDLETIME <key>",
        "    Return the idle time of the <key>, that is the approximated number of",
        "    seconds elapsed since the last access to the key.",
        "REFCOUNT <key>",
        "    Return the number of references of the value associated with the specified",
        "    <key>.",
        "HELP",
        "    Prints this help.",
    };
    fl_slice_t sub = argv[1];
    if (argc == 2 && srv_slice_eq(sub, "help")) {
        srv_reply_array(&c->out, sizeof(help) / sizeof(help[0]));
        for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
            srv_reply_simple(&c->out, help[i]);
        return;
    }
    static const char *const subs[] = {"encoding", "freq", "idletime", "refcount", "help"};
    size_t i = 0;
    while (i < sizeof(subs) / sizeof(subs[0]) && !srv_slice_eq(sub, subs[i]))
        i++;
    if (i == sizeof(subs) / sizeof(subs[0])) {
        srv_reply_unknown_subcommand(c, sub, "OBJECT");
        return;
    }
    if (argc != (i == 4 ? 2 : 3)) {
        char name[32];
        snprintf(name, sizeof(name), "object|%s", subs[i]);
        srv_reply_arity(c, name);
        return;
    }
    fl_key_object_t o;
    if (!srv_sink_done(c, c->out.len, fl_key_object(c->ns, argv[2], FL_LOOKUP_META, &o)))
        return;
    if (!o.exists) {
        srv_reply_nil(&c->out);
    } else if (srv_slice_eq(sub, "encoding")) {
        srv_reply_bulk_str(&c->out, o.encoding);
    } else if (srv_slice_eq(sub, "refcount")) {
        srv_reply_int(&c->out, o.refcount);
    } else if (srv_slice_eq(sub, "idletime") && policy_lfu(c->ns)) {
        srv_reply_error(&c->out, "ERR An LFU maxmemory policy is selected, idle time not tracked. "
                                 "Please note that when switching between policies at runtime "
                                 "LRU and LFU data will take some time to adjust.");
    } else if (srv_slice_eq(sub, "idletime")) {
        srv_reply_int(&c->out, (long long)o.idle_s);
    } else if (!policy_lfu(c->ns)) {
        srv_reply_error(&c->out,
                        "ERR An LFU maxmemory policy is not selected, access frequency not "
                        "tracked. Please note that when switching between policies at runtime "
                        "LRU and LFU data will take some time to adjust.");
    } else {
        srv_reply_int(&c->out, o.freq);
    }
}

static void cmd_touch(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t n = 0;
    if (srv_sink_done(c, c->out.len, fl_keys_touch(c->ns, argv + 1, (size_t)argc - 1, &n)))
        srv_reply_int(&c->out, (long long)n);
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
    srv_notify_begin();
    if (!srv_sink_done(c, c->out.len, fl_key_expire_cond(c->ns, argv[1], v, flags, &applied)))
        return;
    srv_reply_int(&c->out, applied);
    if (applied) /* a time already past deleted the key: Redis tells "del" */
        srv_notify(c, SRV_NOTIFY_GENERIC, srv_notify_deleted(c, argv[1]) ? "del" : "expire",
                   argv[1]);
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

static void expiretime_generic(srv_client_t *c, fl_slice_t key, bool ms)
{
    int64_t at = -2;
    if (!srv_sink_done(c, c->out.len, fl_key_expire_time(c->ns, key, &at)))
        return;
    srv_reply_int(&c->out, at < 0 || ms ? at : (at + 500) / 1000);
}

static void cmd_expiretime(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    expiretime_generic(c, argv[1], false);
}

static void cmd_pexpiretime(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    expiretime_generic(c, argv[1], true);
}

static void cmd_persist(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool changed = false;
    if (!srv_sink_done(c, c->out.len, fl_key_persist(c->ns, argv[1], &changed)))
        return;
    srv_reply_int(&c->out, changed);
    if (changed)
        srv_notify(c, SRV_NOTIFY_GENERIC, "persist", argv[1]);
}

static const char *type_name(fl_type_t t)
{
    static const char *const names[] = {
        [FL_TYPE_NONE] = "none", [FL_TYPE_STRING] = "string", [FL_TYPE_HASH] = "hash",
        [FL_TYPE_LIST] = "list", [FL_TYPE_SET] = "set",       [FL_TYPE_ZSET] = "zset",
    };
    return (size_t)t < sizeof(names) / sizeof(names[0]) ? names[t] : "none";
}

static void cmd_type(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_type_t t = FL_TYPE_NONE;
    if (srv_sink_done(c, c->out.len, fl_key_type(c->ns, argv[1], FL_LOOKUP_META, &t)))
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
            fl_key_type(c->ns, (fl_slice_t){k, len}, FL_LOOKUP_QUIET, &t);
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

static void cmd_scan(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    unsigned long long cursor;
    if (!srv_parse_cursor(argv[1], &cursor)) {
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

/* What follows a FLUSHALL once no batch holds the store: the namespaces' arenas purged, and with
 * save rules the (empty) snapshot saved at once, as Redis's FLUSHALL saves synchronously, so a
 * crash before the next save cannot bring the deleted keys back. */
static void after_flushall(srv_server_t *srv)
{
    for (size_t i = 0; i < fl_store_ns_count(srv->store); i++)
        fl_ns_purge(fl_store_ns(srv->store, i));
    char err[512];
    flp_t *p = srv->persist;
    if (p && flp_has_save_rules(p))
        flp_save(p, err, sizeof(err)); /* a failure is logged and shown by INFO, as Redis's */
}

/* A FLUSHALL inside a transaction or a script: after_flushall waits for the batch's end. Per
 * thread (a batch runs on one worker from begin to end). */
static _Thread_local bool flushall_in_batch;

void srv_flush_after_batch(srv_server_t *srv)
{
    if (!flushall_in_batch)
        return;
    flushall_in_batch = false;
    after_flushall(srv);
}

static void cmd_flushall(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (!flush_mode_ok(c, argc, argv))
        return;
    /* One batch over the store: every namespace empties at one moment, as in Redis. */
    fl_store_t *store = c->srv->store;
    bool own = !fl_batch_active();
    if (own && !srv_sink_done(c, c->out.len, fl_batch_begin(store, NULL, 0, true)))
        return;
    int rc = FL_OK;
    for (size_t i = 0; rc == FL_OK && i < fl_store_ns_count(store); i++)
        rc = fl_ns_flush(fl_store_ns(store, i));
    if (own)
        fl_batch_end();
    if (own && rc == FL_OK)
        after_flushall(c->srv);
    else if (rc == FL_OK)
        flushall_in_batch = true;
    if (srv_sink_done(c, c->out.len, rc))
        srv_reply_ok(&c->out);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"copy", -3, SRV_CMD_WRITE, cmd_copy, 1, 2, 1, SRV_ACL_CAT(KEYSPACE)},
    {"dbsize", 1, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_dbsize, 0, 0, 0, SRV_ACL_CAT(KEYSPACE)},
    {"dump", 2, SRV_CMD_READONLY, cmd_dump, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"del", -2, SRV_CMD_WRITE, cmd_del, 1, -1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"exists", -2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_exists, 1, -1, 1,
     SRV_ACL_CAT(KEYSPACE)},
    {"expire", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_expire, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"expireat", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_expireat, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"expiretime", 2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_expiretime, 1, 1,
     1, SRV_ACL_CAT(KEYSPACE)},
    {"flushall", -1, SRV_CMD_WRITE, cmd_flushall, 0, 0, 0,
     SRV_ACL_CAT(KEYSPACE) | SRV_ACL_CAT(DANGEROUS)},
    {"flushdb", -1, SRV_CMD_WRITE, cmd_flushdb, 0, 0, 0,
     SRV_ACL_CAT(KEYSPACE) | SRV_ACL_CAT(DANGEROUS)},
    {"keys", 2, SRV_CMD_READONLY, cmd_keys, 0, 0, 0,
     SRV_ACL_CAT(KEYSPACE) | SRV_ACL_CAT(DANGEROUS)},
    {"object", -2, SRV_CMD_READONLY | SRV_CMD_SUBCOMMANDS, cmd_object, 2, 2, 1,
     SRV_ACL_CAT(KEYSPACE)},
    {"persist", 2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_persist, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"pexpire", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_pexpire, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"pexpireat", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_pexpireat, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"pexpiretime", 2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_pexpiretime, 1,
     1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"pttl", 2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_pttl, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"randomkey", 1, SRV_CMD_READONLY, cmd_randomkey, 0, 0, 0, SRV_ACL_CAT(KEYSPACE)},
    {"rename", 3, SRV_CMD_WRITE, cmd_rename, 1, 2, 1, SRV_ACL_CAT(KEYSPACE)},
    {"restore", -4, SRV_CMD_WRITE, cmd_restore, 1, 1, 1,
     SRV_ACL_CAT(KEYSPACE) | SRV_ACL_CAT(DANGEROUS)},
    {"renamenx", 3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_renamenx, 1, 2, 1, SRV_ACL_CAT(KEYSPACE)},
    {"scan", -2, SRV_CMD_READONLY, cmd_scan, 0, 0, 0, SRV_ACL_CAT(KEYSPACE)},
    {"touch", -2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_touch, 1, -1, 1,
     SRV_ACL_CAT(KEYSPACE)},
    {"ttl", 2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_ttl, 1, 1, 1, SRV_ACL_CAT(KEYSPACE)},
    {"type", 2, SRV_CMD_READONLY | SRV_CMD_FAST | SRV_CMD_KEY_META_ONLY, cmd_type, 1, 1, 1,
     SRV_ACL_CAT(KEYSPACE)},
    {"unlink", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_del, 1, -1, 1, SRV_ACL_CAT(KEYSPACE)},
};
const srv_cmd_family_t srv_cmds_keys = {cmds, sizeof(cmds) / sizeof(cmds[0])};
