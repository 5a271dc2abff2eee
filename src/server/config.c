/*
 * src/server/config.c: the option table, and the config file and command-line parsers.
 *
 * Invariants: every server option lives in exactly one row of `opts` with its type, default,
 * bounds, whether it may change at run time and documentation; the defaults are applied
 * through the same parser as user values, so a default can never be out of its own bounds
 * unnoticed. Namespace options are the store's (FL_NS_OPTIONS in flatline/store.h, read
 * through fl_ns_options()): this file holds no second list of their names, defaults or
 * bounds; they are checked by the store's rules at the end (fl_ns_config_check). Every
 * refusal says where (file:line or the flag) and why.
 */
#include "config.h"
#include "notify.h"
#include "srv.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* OPT_OBL: client-output-buffer-limit's "<class> <hard> <soft> <seconds> ..." (several words;
 * parsed and formatted by client_limits.c). */
typedef enum {
    OPT_INT,
    OPT_SIZE,
    OPT_BOOL,
    OPT_STR,
    OPT_ENUM,
    OPT_UNSIGNED,
    OPT_DECAY,
    OPT_OBL
} opt_type_t;

/* What CONFIG SET runs after storing a new value of a runtime option into srv->cfg, to make
 * the running server use it. Returns 0, or -1 with the reason in err. */
typedef int opt_apply_fn(srv_server_t *srv, char *err, size_t errlen);

typedef struct opt {
    const char *name;
    opt_type_t type;
    size_t offset;   /* into srv_config_t, or into fl_ns_config_t for namespace options */
    const char *def; /* default, as text (namespace options: NULL, the store's default) */
    long long min, max;
    const char *const *values; /* OPT_ENUM: allowed words, NULL-terminated */
    bool runtime;              /* CONFIG SET may change it while the server runs */
    opt_apply_fn *apply;       /* runtime options the server does not re-read at each use: how
                                * to apply a new value (NULL: the next use reads srv->cfg) */
    const char *doc;
} opt_t;

static const char *const loglevels[] = {"warning", "notice", "verbose", "debug", NULL};
static const char *const fsync_policies[] = {"always", "everysec", "no", NULL}; /* FLP_FSYNC_* */
static const char *const tls_auth_values[] = {"no", "yes", "optional", NULL};   /* SRV_TLS_AUTH_* */
static const char *const debug_values[] = {"no", "yes", "local", NULL};         /* SRV_DEBUG_* */

#define SRV(f) offsetof(srv_config_t, f)
#define GB (1024LL * 1024 * 1024)

_Static_assert(sizeof(long long) == sizeof(int64_t), "OPT_INT fields are 64-bit");
_Static_assert(sizeof(ssize_t) == sizeof(int64_t), "OPT_DECAY fields are 64-bit");

static int apply_mem_background_thread(srv_server_t *srv, char *err, size_t errlen)
{
    int rc = fl_mem_set_background_thread(srv->cfg.mem_background_thread);
    if (rc != 0)
        snprintf(err, errlen, "mem-background-thread: %s", fl_mem_strerror(rc));
    return rc == 0 ? 0 : -1;
}

/* Options read by the workers through srv->live (client limits, slow log, latency monitor). */
static int apply_live(srv_server_t *srv, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    srv_live_load(srv);
    return 0;
}

/* requirepass: the default user's password becomes the new one ("" = nopass), as Redis's
 * ACLUpdateDefaultUserPassword; clients already authenticated stay so. */
static int apply_requirepass(srv_server_t *srv, char *err, size_t errlen)
{
    char rule[sizeof(srv->cfg.requirepass) + 8];
    snprintf(rule, sizeof(rule), "%s%s", srv->cfg.requirepass[0] ? ">" : "nopass",
             srv->cfg.requirepass);
    fl_slice_t rules[] = {{"resetpass", 9}, {rule, strlen(rule)}};
    return srv->acl ? srv_acl_setuser(srv->acl, (fl_slice_t){"default", 7}, 2, rules, err, errlen)
                    : 0;
}

static int parse_save(srv_config_t *c, char *err, size_t errlen);

/* `save`: the rules parsed from the new text, then followed by the persistence layer. */
static int apply_save(srv_server_t *srv, char *err, size_t errlen)
{
    if (parse_save(&srv->cfg, err, errlen) != 0) {
        snprintf(err, errlen, "Invalid save parameters"); /* Redis's words */
        return -1;
    }
    if (srv->persist)
        flp_set_rules(srv->persist, &srv->cfg.persist);
    return 0;
}

/* auto-aof-rewrite-*: the values set, followed by the persistence layer from its next tick. */
static int apply_persist_rules(srv_server_t *srv, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    if (srv->persist)
        flp_set_rules(srv->persist, &srv->cfg.persist);
    return 0;
}

/* notify-keyspace-events: the letters checked, written back in Redis's canonical form (what
 * CONFIG GET answers) and put in force. */
static int canon_notify(srv_config_t *c, unsigned *flags, char *err, size_t errlen)
{
    if (srv_notify_parse(c->notify_keyspace_events, flags) != 0) {
        snprintf(err, errlen, "Invalid event class character. Use 'Ag$lshzxeKEtmdn'.");
        return -1;
    }
    srv_notify_format(*flags, c->notify_keyspace_events, sizeof(c->notify_keyspace_events));
    return 0;
}

static int apply_notify(srv_server_t *srv, char *err, size_t errlen)
{
    unsigned flags;
    if (canon_notify(&srv->cfg, &flags, err, errlen) != 0)
        return -1;
    srv_notify_configure(srv, flags);
    return 0;
}

/* The store's encoding thresholds follow srv->cfg.coll. */
static int apply_coll(srv_server_t *srv, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    if (srv->store)
        fl_store_set_coll_limits(srv->store, &srv->cfg.coll);
    return 0;
}

/* A row of FL_COLL_OPTIONS (the store's encoding thresholds) as a row of this table. */
#define COLL_ROW_(field, name, def, min, max, is_size, doc)                                        \
    {                                                                                              \
        name,                                                                                      \
        (is_size) ? OPT_SIZE : OPT_INT,                                                            \
        SRV(coll.field),                                                                           \
        #def,                                                                                      \
        min,                                                                                       \
        max,                                                                                       \
        NULL,                                                                                      \
        true,                                                                                      \
        apply_coll,                                                                                \
        doc},

/* The server's options: one row each. Namespace options are the store's (FL_NS_OPTIONS); the
 * encoding thresholds are the store's FL_COLL_OPTIONS. Redis's older names are `aliases`. */
static const opt_t opts[] = {
    {"port", OPT_INT, SRV(port), "7379", 1, 65535, NULL, false, NULL,
     "TCP port to listen on (not Redis's 6379, which a Debian redis-server holds)"},
    {"bind", OPT_STR, SRV(bind), "127.0.0.1", 1, 255, NULL, false, NULL,
     "addresses to listen on, IPv4 or IPv6, separated by spaces (quote the list in a file)"},
    {"protected-mode", OPT_BOOL, SRV(protected_mode), "yes", 0, 1, NULL, true, NULL,
     "while the default user has no password, refuse clients not on a loopback address"},
    {"requirepass", OPT_STR, SRV(requirepass), "", 0, 255, NULL, true, apply_requirepass,
     "password of the default user (AUTH <password>); empty = none"},
    {"aclfile", OPT_STR, SRV(aclfile), "", 0, 511, NULL, false, NULL,
     "users file ('user <name> <rules>' lines) loaded at start, ACL LOAD and ACL SAVE"},
    {"unixsocket", OPT_STR, SRV(unixsocket), "", 0, 107, NULL, false, NULL,
     "also listen on this unix socket path (empty = no)"},
    {"unixsocketperm", OPT_STR, SRV(unixsocketperm), "", 0, 4, NULL, false, NULL,
     "octal permissions of the unix socket (e.g. 700; empty = as the umask leaves them)"},
    {"tls-port", OPT_INT, SRV(tls_port), "0", 0, 65535, NULL, false, NULL,
     "also listen for TLS on this port at every bind address (0 = no)"},
    {"tls-cert-file", OPT_STR, SRV(tls_cert_file), "", 0, 511, NULL, false, NULL,
     "server certificate (PEM) for tls-port"},
    {"tls-key-file", OPT_STR, SRV(tls_key_file), "", 0, 511, NULL, false, NULL,
     "server private key (PEM) for tls-port"},
    {"tls-ca-cert-file", OPT_STR, SRV(tls_ca_cert_file), "", 0, 511, NULL, false, NULL,
     "CA certificates (PEM) that client certificates are checked against"},
    {"tls-auth-clients", OPT_ENUM, SRV(tls_auth_clients), "yes", 0, 0, tls_auth_values, false, NULL,
     "client certificates: required (yes), not asked for (no), checked when sent (optional)"},
    {"threads", OPT_INT, SRV(threads), "0", 0, 128, NULL, false, NULL,
     "worker threads, each with its own epoll loop and private arena (0 = one per core)"},
    {"io-threads", OPT_INT, SRV(threads), "0", 0, 128, NULL, false, NULL,
     "Redis's name for `threads` (each worker does its own I/O)"},
    {"maxclients", OPT_INT, SRV(maxclients), "10000", 1, 1000000, NULL, true, apply_live,
     "connected clients at most; more are refused with an error"},
    {"tcp-backlog", OPT_INT, SRV(tcp_backlog), "511", 1, 65535, NULL, false, NULL,
     "listen() backlog"},
    {"proto-max-bulk-len", OPT_SIZE, SRV(proto_max_bulk_len), "512mb", 1, 16 * GB, NULL, true,
     apply_live, "largest bulk string a request may carry"},
    {"max-multibulk-len", OPT_SIZE, SRV(max_multibulk_len), "1048576", 1, INT_MAX, NULL, true,
     apply_live, "most arguments a request may carry"},
    {"client-query-buffer-limit", OPT_SIZE, SRV(client_query_buffer_limit), "1gb", 1024, 16 * GB,
     NULL, true, apply_live, "most unprocessed bytes buffered for one client"},
    {"loglevel", OPT_ENUM, SRV(loglevel), "notice", 0, 0, loglevels, true, apply_live,
     "log verbosity"},
    {"mem-background-thread", OPT_BOOL, SRV(mem_background_thread), "yes", 0, 1, NULL, true,
     apply_mem_background_thread,
     "jemalloc background purging threads (return freed pages off the request path)"},
    {"timeout", OPT_INT, SRV(timeout), "0", 0, INT_MAX, NULL, true, apply_live,
     "close a client idle for this many seconds (0 = never)"},
    {"client-output-buffer-limit", OPT_OBL, SRV(obl),
     "normal 0 0 0 replica 256mb 64mb 60 pubsub 32mb 8mb 60", 0, 0, NULL, true, apply_live,
     "per class (normal, replica, pubsub): close a client whose unsent replies pass <hard> "
     "bytes, or stay above <soft> for <seconds> (0 = off)"},
    {"maxmemory-clients", OPT_SIZE, SRV(maxmemory_clients), "1gb", 0, 1024 * GB, NULL, true,
     apply_live,
     "all clients' buffers together at most (0 = no cap); past it the client using the "
     "most is closed first (Redis's default is 0)"},
    {"slowlog-log-slower-than", OPT_INT, SRV(slowlog_log_slower_than), "10000", -1, LLONG_MAX / 2,
     NULL, true, apply_live, "SLOWLOG records commands slower than this many us (-1 = off)"},
    {"slowlog-max-len", OPT_INT, SRV(slowlog_max_len), "128", 0, INT_MAX, NULL, true, apply_live,
     "SLOWLOG keeps this many entries"},
    {"latency-monitor-threshold", OPT_INT, SRV(latency_monitor_threshold), "0", 0, LLONG_MAX / 2,
     NULL, true, apply_live, "LATENCY records events slower than this many ms (0 = off)"},
    {"latency-tracking", OPT_BOOL, SRV(latency_tracking), "yes", 0, 1, NULL, true, apply_live,
     "per-command latency histograms (INFO latencystats, LATENCY HISTOGRAM)"},
    {"metrics-port", OPT_INT, SRV(metrics_port), "0", 0, 65535, NULL, false, NULL,
     "serve Prometheus metrics (memory breakdown per namespace, defrag) on this port at "
     "/metrics (0 = off)"},
    {"save", OPT_STR, SRV(save), "", 0, sizeof(((srv_config_t *)0)->save) - 1, NULL, true,
     apply_save,
     "snapshot rules '<seconds> <changes> ...': BGSAVE when that many changes are that old "
     "(\"\" = none); SHUTDOWN and SIGTERM save when rules are set"},
    {"notify-keyspace-events", OPT_STR, SRV(notify_keyspace_events), "", 0,
     sizeof(((srv_config_t *)0)->notify_keyspace_events) - 1, NULL, true, apply_notify,
     "keyspace notifications, Redis's class letters (K E g $ l s h z x e t m d n A; \"\" = off): "
     "__keyspace@<db>__:<key> and __keyevent@<db>__:<event> pub/sub messages"},
    {"appendonly", OPT_BOOL, SRV(persist.appendonly), "yes", 0, 1, NULL, false, NULL,
     "log every write to the append-only file (directory appenddirname in dir); 'no': a "
     "restart starts empty unless a snapshot was saved"},
    {"appendfsync", OPT_ENUM, SRV(persist.appendfsync), "always", 0, 0, fsync_policies, false, NULL,
     "always: a write (and a read of it) is answered once fsynced, one fsync for every write "
     "buffered meanwhile (group commit); everysec: a power loss loses ~1 s; no: the kernel "
     "decides"},
    {"dir", OPT_STR, SRV(persist.dir), ".", 1, 200, NULL, false, NULL,
     "directory of the snapshot and the append-only directory"},
    {"dbfilename", OPT_STR, SRV(persist.dbfilename), "dump.rdb", 1, 200, NULL, false, NULL,
     "snapshot file name (RDB version 10)"},
    {"appendfilename", OPT_STR, SRV(persist.appendfilename), "appendonly.aof", 1, 200, NULL, false,
     NULL, "prefix of the append-only files and their manifest"},
    {"appenddirname", OPT_STR, SRV(persist.appenddirname), "appendonlydir", 1, 200, NULL, false,
     NULL, "directory (in dir) of the append-only files"},
    {"aof-load-truncated", OPT_BOOL, SRV(persist.aof_load_truncated), "yes", 0, 1, NULL, false,
     NULL, "a torn last log record is dropped (logged) instead of refusing to start"},
    {"load-skip-unknown-types", OPT_BOOL, SRV(persist.load_skip_unknown), "no", 0, 1, NULL, false,
     NULL, "RDB keys of types flatline lacks are skipped and counted instead of stopping the load"},
    {"auto-aof-rewrite-percentage", OPT_UNSIGNED, SRV(persist.auto_aof_rewrite_pct), "100", 0,
     100000, NULL, true, apply_persist_rules,
     "rewrite the log when it grew this % over its base (0 = never)"},
    {"auto-aof-rewrite-min-size", OPT_SIZE, SRV(persist.auto_aof_rewrite_min_size), "64mb", 0,
     1024 * GB, NULL, true, apply_persist_rules, "no automatic rewrite below this log size"},
    {"enable-debug-command", OPT_ENUM, SRV(enable_debug_command), "no", 0, 0, debug_values, false,
     NULL, "DEBUG (test hooks: RELOAD, SLEEP, OBJECT...) allowed: no, yes, or local clients only"},
    {"busy-reply-threshold", OPT_INT, SRV(busy_reply_threshold), "5000", 0, LLONG_MAX / 2, NULL,
     true, apply_live,
     "ms a script runs before other clients get -BUSY and SCRIPT/FUNCTION KILL may stop it"},
    {"hll-sparse-max-bytes", OPT_SIZE, SRV(hll_sparse_max_bytes), "3000", 0, LONG_MAX, NULL, true,
     apply_live, "a sparse HyperLogLog that would grow past this many bytes is converted to dense"},
    FL_COLL_OPTIONS(COLL_ROW_)};
#undef COLL_ROW_

/* Redis's other names of options: the file, CONFIG GET/SET and --help accept them for the
 * option they name (CONFIG REWRITE writes the option's own name). */
static const struct {
    const char *alias;
    size_t offset; /* the option's field: its row is the one with this offset */
} aliases[] = {
#define COLL_ALIAS_(field, alias) {alias, SRV(coll.field)},
    FL_COLL_ALIASES(COLL_ALIAS_)
#undef COLL_ALIAS_
        {"lua-time-limit", SRV(busy_reply_threshold)},
};
#define NALIAS_NAMES (sizeof(aliases) / sizeof(aliases[0]))

/* A namespace option (the store's row) as a row of this parser. */
static opt_t ns_row(const fl_ns_option_t *o)
{
    static const opt_type_t types[] = {
        [FL_OPT_SIZE] = OPT_SIZE,   [FL_OPT_INT] = OPT_INT,   [FL_OPT_UNSIGNED] = OPT_UNSIGNED,
        [FL_OPT_DECAY] = OPT_DECAY, [FL_OPT_WORD] = OPT_ENUM,
    };
    return (opt_t){o->name, types[o->kind],        o->offset,  NULL, o->min,
                   o->max,  fl_ns_option_words(o), o->runtime, NULL, o->doc};
}

/* Namespace option `name` into *out; false when there is none. */
static bool ns_opt_find(const char *name, opt_t *out)
{
    const fl_ns_option_t *o = fl_ns_option_find(name, strlen(name));
    if (o)
        *out = ns_row(o);
    return o != NULL;
}

/* Redis's names for the active-defrag settings, at the top level: each sets the namespace
 * option it maps to in every namespace, declared before or after (a later per-namespace
 * option overrides it for that namespace). `activedefrag no` turns background defrag off
 * everywhere (defrag-pct 0); `yes` turns it back on. */
static const struct {
    const char *redis;
    const char *ns_opt;
} defrag_alias[] = {
    {"active-defrag-threshold-lower", "defrag-pct"},
    {"active-defrag-threshold-upper", "defrag-pct-upper"},
    {"active-defrag-ignore-bytes", "defrag-ignore-bytes"},
    {"active-defrag-cycle-min", "defrag-cycle-min"},
    {"active-defrag-cycle-max", "defrag-cycle-max"},
};
#define NALIASES (sizeof(defrag_alias) / sizeof(defrag_alias[0]))
_Static_assert(NALIASES == sizeof(((srv_config_t *)0)->defrag_all) /
                               sizeof(((srv_config_t *)0)->defrag_all[0]),
               "one stored value per alias");

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

const char srv_config_embedded[] = "# flatline-server embedded default configuration\n"
                                   "port 7379\n"
                                   "bind 127.0.0.1\n"
                                   "threads 0\n"
                                   "namespace default {\n"
                                   "}\n"
                                   "namespace cache {\n"
                                   "    memory-limit 256mb\n"
                                   "    maxmemory-policy allkeys-lru\n"
                                   "    high-water-pct 80\n"
                                   "}\n";

/* The row of option `name`, or of the option `name` is an alias of; NULL when none. */
static const opt_t *find_opt(const char *name)
{
    size_t offset = SIZE_MAX;
    for (size_t i = 0; i < NALIAS_NAMES; i++)
        if (strcasecmp(aliases[i].alias, name) == 0)
            offset = aliases[i].offset;
    for (size_t i = 0; i < NOPTS; i++)
        if (offset == SIZE_MAX ? strcasecmp(opts[i].name, name) == 0 : opts[i].offset == offset)
            return &opts[i];
    return NULL;
}

/* Parses a size with an optional unit. */
static bool parse_size(const char *s, long long *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)s[0]))
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno)
        return false;
    unsigned long long mul = 1;
    if (*end == '\0' || strcasecmp(end, "b") == 0)
        mul = 1;
    else if (strcasecmp(end, "k") == 0)
        mul = 1000;
    else if (strcasecmp(end, "kb") == 0)
        mul = 1024;
    else if (strcasecmp(end, "m") == 0)
        mul = 1000 * 1000;
    else if (strcasecmp(end, "mb") == 0)
        mul = 1024 * 1024;
    else if (strcasecmp(end, "g") == 0)
        mul = 1000ULL * 1000 * 1000;
    else if (strcasecmp(end, "gb") == 0)
        mul = 1024ULL * 1024 * 1024;
    else
        return false;
    if (v > (unsigned long long)LLONG_MAX / mul)
        return false;
    *out = (long long)(v * mul);
    return true;
}

static bool parse_int(const char *s, long long *out)
{
    return srv_str_to_ll(s, strlen(s), out);
}

/* Parses `value` for option o and stores it at base + o->offset. */
static int apply(const opt_t *o, void *base, const char *value, char *err, size_t errlen)
{
    char *dst = (char *)base + o->offset;
    long long v = 0;
    switch (o->type) {
    case OPT_OBL:
        return srv_obl_parse((srv_obl_t *)(void *)dst, value, err, errlen);
    case OPT_STR:
        if (strlen(value) < (size_t)o->min || strlen(value) > (size_t)o->max) {
            snprintf(err, errlen, "bad value '%s' for '%s': length must be %lld..%lld", value,
                     o->name, o->min, o->max);
            return -1;
        }
        memcpy(dst, value, strlen(value) + 1);
        return 0;
    case OPT_BOOL:
        if (strcasecmp(value, "yes") != 0 && strcasecmp(value, "no") != 0) {
            snprintf(err, errlen, "bad value '%s' for '%s': must be yes or no", value, o->name);
            return -1;
        }
        *(bool *)dst = strcasecmp(value, "yes") == 0;
        return 0;
    case OPT_ENUM:
        for (int i = 0; o->values[i]; i++) {
            if (strcasecmp(value, o->values[i]) == 0) {
                *(int *)dst = i;
                return 0;
            }
        }
        snprintf(err, errlen, "bad value '%s' for '%s': must be one of:", value, o->name);
        for (int i = 0; o->values[i]; i++) {
            size_t l = strlen(err);
            snprintf(err + l, errlen - l, " '%s'", o->values[i]);
        }
        return -1;
    case OPT_DECAY:
        if (strcasecmp(value, "default") == 0) {
            *(ssize_t *)dst = FL_DECAY_DEFAULT;
            return 0;
        }
        /* fallthrough */
    case OPT_INT:
    case OPT_UNSIGNED:
    case OPT_SIZE: {
        bool ok = o->type == OPT_SIZE ? parse_size(value, &v) : parse_int(value, &v);
        if (!ok || v < o->min || v > o->max) {
            snprintf(err, errlen, "bad value '%s' for '%s': must be %s between %lld and %lld",
                     value, o->name, o->type == OPT_SIZE ? "a size (b, kb, mb, gb)" : "an integer",
                     o->min, o->max);
            return -1;
        }
        if (o->type == OPT_SIZE)
            *(size_t *)dst = (size_t)v;
        else if (o->type == OPT_UNSIGNED)
            *(unsigned *)dst = (unsigned)v;
        else if (o->type == OPT_DECAY)
            *(ssize_t *)dst = (ssize_t)v;
        else /* long long or int64_t field: same size, copied bytewise */
            memcpy(dst, &v, sizeof(v));
        return 0;
    }
    }
    return -1;
}

/* Formats option o's current value from base. */
static void format_opt(const opt_t *o, const void *base, char *buf, size_t len)
{
    const char *src = (const char *)base + o->offset;
    switch (o->type) {
    case OPT_OBL:
        srv_obl_format((const srv_obl_t *)(const void *)src, buf, len);
        break;
    case OPT_STR:
        snprintf(buf, len, "%s", src);
        break;
    case OPT_BOOL:
        snprintf(buf, len, "%s", *(const bool *)src ? "yes" : "no");
        break;
    case OPT_ENUM:
        snprintf(buf, len, "%s", o->values[*(const int *)src]);
        break;
    case OPT_SIZE:
        snprintf(buf, len, "%zu", *(const size_t *)src);
        break;
    case OPT_UNSIGNED:
        snprintf(buf, len, "%u", *(const unsigned *)src);
        break;
    case OPT_DECAY:
        if (*(const ssize_t *)src == FL_DECAY_DEFAULT)
            snprintf(buf, len, "default");
        else
            snprintf(buf, len, "%zd", *(const ssize_t *)src);
        break;
    case OPT_INT: {
        long long v;
        memcpy(&v, src, sizeof(v));
        snprintf(buf, len, "%lld", v);
        break;
    }
    }
}

static bool valid_ns_name(const char *s, size_t n)
{
    if (n == 0 || n > FL_NS_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '-')
            return false;
    return true;
}

/* Applies the top-level active-defrag settings given so far to namespace i. */
static int defrag_all_apply(srv_config_t *c, size_t i, char *err, size_t errlen)
{
    for (size_t a = 0; a < NALIASES; a++) {
        opt_t o;
        if (!c->defrag_all[a][0])
            continue;
        if (!ns_opt_find(defrag_alias[a].ns_opt, &o) ||
            apply(&o, &c->ns[i], c->defrag_all[a], err, errlen) != 0)
            return -1;
    }
    if (c->activedefrag == 0)
        c->ns[i].defrag_pct = 0;
    else if (c->activedefrag == 1 && c->ns[i].defrag_pct == 0) {
        fl_ns_config_t d;
        fl_ns_config_default(&d, NULL);
        c->ns[i].defrag_pct = d.defrag_pct;
    }
    return 0;
}

/* A top-level Redis active-defrag setting: 1 when `name` is one (applied, or -1 with the
 * reason in err), 0 when it is not. */
static int set_defrag_all(srv_config_t *c, const char *name, const char *value, char *err,
                          size_t errlen)
{
    size_t a = 0;
    if (strcasecmp(name, "activedefrag") == 0) {
        if (strcasecmp(value, "yes") != 0 && strcasecmp(value, "no") != 0) {
            snprintf(err, errlen, "bad value '%s' for 'activedefrag': must be yes or no", value);
            return -1;
        }
        c->activedefrag = strcasecmp(value, "yes") == 0;
    } else {
        while (a < NALIASES && strcasecmp(name, defrag_alias[a].redis) != 0)
            a++;
        if (a == NALIASES)
            return 0;
        if (strlen(value) >= sizeof(c->defrag_all[a])) {
            snprintf(err, errlen, "bad value '%.40s' for '%s'", value, defrag_alias[a].redis);
            return -1;
        }
        snprintf(c->defrag_all[a], sizeof(c->defrag_all[a]), "%s", value);
    }
    for (size_t i = 0; i < c->n_ns; i++) {
        if (defrag_all_apply(c, i, err, errlen) != 0) {
            if (strcasecmp(name, "activedefrag") != 0) {
                /* name the option the user gave, not the namespace option behind it */
                char why[256];
                snprintf(why, sizeof(why), "%s", err);
                snprintf(err, errlen, "%s (for '%s')", why, defrag_alias[a].redis);
                c->defrag_all[a][0] = '\0';
            }
            return -1;
        }
    }
    return 1;
}

/* Index of namespace `name`, declared on first use. -1 with the reason in err. */
static int ns_get(srv_config_t *c, const char *name, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < c->n_ns; i++)
        if (strlen(c->ns[i].name) == n && memcmp(c->ns[i].name, name, n) == 0)
            return (int)i;
    if (!valid_ns_name(name, n)) {
        snprintf(err, errlen, "bad namespace name '%.*s': 1..%d of [A-Za-z0-9_-]", (int)n, name,
                 FL_NS_NAME_MAX);
        return -1;
    }
    if (c->n_ns == SRV_NS_MAX) {
        snprintf(err, errlen, "too many namespaces (at most %d)", SRV_NS_MAX);
        return -1;
    }
    char tmp[FL_NS_NAME_MAX + 1];
    memcpy(tmp, name, n);
    tmp[n] = '\0';
    fl_ns_config_default(&c->ns[c->n_ns], tmp);
    if (defrag_all_apply(c, c->n_ns, err, errlen) != 0)
        return -1;
    return (int)c->n_ns++;
}

static int set_ns_opt(srv_config_t *c, int ns, const char *key, const char *value, char *err,
                      size_t errlen)
{
    opt_t o;
    if (!ns_opt_find(key, &o)) {
        snprintf(err, errlen, "unknown namespace option '%s'", key);
        return -1;
    }
    return apply(&o, &c->ns[ns], value, err, errlen);
}

int srv_config_set(srv_config_t *c, const char *name, const char *value, char *err, size_t errlen)
{
    if (strncasecmp(name, "namespace.", 10) == 0) {
        const char *ns = name + 10, *dot = strchr(ns, '.');
        if (!dot) {
            snprintf(err, errlen, "bad option '%s': expected namespace.<name>.<option>", name);
            return -1;
        }
        int i = ns_get(c, ns, (size_t)(dot - ns), err, errlen);
        return i < 0 ? -1 : set_ns_opt(c, i, dot + 1, value, err, errlen);
    }
    int rc = set_defrag_all(c, name, value, err, errlen);
    if (rc != 0)
        return rc < 0 ? -1 : 0;
    const opt_t *o = find_opt(name);
    if (!o) {
        snprintf(err, errlen, "unknown option '%s'", name);
        return -1;
    }
    return apply(o, c, value, err, errlen);
}

void srv_config_init(srv_config_t *c)
{
    char err[256];
    memset(c, 0, sizeof(*c));
    c->activedefrag = -1;
    for (size_t i = 0; i < NOPTS; i++)
        if (apply(&opts[i], c, opts[i].def, err, sizeof(err)) != 0)
            fprintf(stderr, "flatline-server: bad built-in default: %s\n", err);
    ns_get(c, "default", 7, err, sizeof(err));
}

/* Splits a line into at most max tokens in place; quotes group, '#' outside quotes ends the
 * line. Returns the token count, or -1 on an unbalanced quote. */
static int tokenize(char *line, char **tok, int max)
{
    int n = 0;
    char *r = line;
    for (;;) {
        while (*r && isspace((unsigned char)*r))
            r++;
        if (!*r || *r == '#')
            return n;
        if (n == max)
            return max + 1;
        char *w = r;
        tok[n++] = w;
        if (*r == '"' || *r == '\'') {
            char q = *r++;
            while (*r && *r != q) {
                if (*r == '\\' && r[1])
                    r++;
                *w++ = *r++;
            }
            if (*r != q)
                return -1;
            r++;
        } else {
            while (*r && !isspace((unsigned char)*r))
                *w++ = *r++;
        }
        bool at_end = *r == '\0';
        *w = '\0'; /* when w == r this overwrites the separator, so step over it */
        if (!at_end && w == r)
            r++;
    }
}

/* Most words on one line: `bind` takes a list (Redis's `bind 127.0.0.1 ::1`), `user` rules. */
#define CONFIG_WORDS_MAX 64

/* A `user <name> <rules...>` line: kept, in order, for acl.c to apply at start. */
static int add_user_line(srv_config_t *c, char **tok, int n, char *err, size_t errlen)
{
    size_t used = strlen(c->acl_users);
    for (int i = 0; i < n; i++) {
        size_t w = strlen(tok[i]);
        if (used + w + 2 > sizeof(c->acl_users)) {
            snprintf(err, errlen, "too many 'user' lines (%zu bytes at most; use aclfile)",
                     sizeof(c->acl_users) - 1);
            return -1;
        }
        memcpy(c->acl_users + used, tok[i], w);
        used += w;
        c->acl_users[used++] = i + 1 < n ? ' ' : '\n';
        c->acl_users[used] = '\0';
    }
    return 0;
}

/* Applies one tokenised line; *block is the namespace index inside `namespace x {`, or -1. */
static int config_line(srv_config_t *c, char **tok, int n, int *block, char *err, size_t errlen)
{
    if (n == 1 && strcmp(tok[0], "}") == 0) {
        if (*block < 0) {
            snprintf(err, errlen, "'}' without an open namespace block");
            return -1;
        }
        *block = -1;
        return 0;
    }
    if (strcasecmp(tok[0], "namespace") == 0) {
        if (n != 3 || strcmp(tok[2], "{") != 0) {
            snprintf(err, errlen, "expected 'namespace <name> {'");
            return -1;
        }
        if (*block >= 0) {
            snprintf(err, errlen, "namespace blocks do not nest");
            return -1;
        }
        int i = ns_get(c, tok[1], strlen(tok[1]), err, errlen);
        if (i < 0)
            return -1;
        *block = i;
        return 0;
    }
    if (n >= 2 && *block < 0 && strcasecmp(tok[0], "user") == 0)
        return add_user_line(c, tok, n, err, errlen);
    if (n > 2 && *block < 0 && strcasecmp(tok[0], "bind") == 0) {
        /* Redis's form: `bind 127.0.0.1 ::1` (one value: the words joined by spaces) */
        char list[sizeof(c->bind) + 1] = "";
        for (int i = 1; i < n; i++) {
            size_t used = strlen(list);
            snprintf(list + used, sizeof(list) - used, "%s%s", i > 1 ? " " : "", tok[i]);
        }
        return srv_config_set(c, tok[0], list, err, errlen);
    }
    const opt_t *multi = *block < 0 ? find_opt(tok[0]) : NULL;
    if (n > 2 && multi && multi->type == OPT_OBL) { /* several words: one value */
        char value[512] = "";
        for (int i = 1; i < n; i++) {
            size_t l = strlen(value);
            snprintf(value + l, sizeof(value) - l, "%s%s", i > 1 ? " " : "", tok[i]);
        }
        return srv_config_set(c, tok[0], value, err, errlen);
    }
    if (n != 2) {
        snprintf(err, errlen, "expected '<option> <value>', got %d word%s", n, n == 1 ? "" : "s");
        return -1;
    }
    if (*block >= 0)
        return set_ns_opt(c, *block, tok[0], tok[1], err, errlen);
    return srv_config_set(c, tok[0], tok[1], err, errlen);
}

int srv_config_load_text(srv_config_t *c, const char *text, const char *origin, char *err,
                         size_t errlen)
{
    int block = -1, lineno = 0;
    const char *p = text;
    char reason[320];
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        lineno++;
        char line[1024];
        char *tok[CONFIG_WORDS_MAX + 1];
        int ntok;
        if (n >= sizeof(line)) {
            snprintf(reason, sizeof(reason), "line too long (at most %zu bytes)", sizeof(line) - 1);
            goto fail;
        }
        memcpy(line, p, n);
        line[n] = '\0';
        ntok = tokenize(line, tok, CONFIG_WORDS_MAX);
        if (ntok < 0) {
            snprintf(reason, sizeof(reason), "unbalanced quotes");
            goto fail;
        }
        if (ntok > CONFIG_WORDS_MAX) {
            snprintf(reason, sizeof(reason), "too many words");
            goto fail;
        }
        if (ntok > 0 && config_line(c, tok, ntok, &block, reason, sizeof(reason)) != 0)
            goto fail;
        p += n + (nl ? 1 : 0);
    }
    if (block >= 0) {
        snprintf(err, errlen, "%s:%d: namespace block '%s' is not closed with '}'", origin, lineno,
                 c->ns[block].name);
        return -1;
    }
    return 0;
fail:
    snprintf(err, errlen, "%s:%d: %s", origin, lineno, reason);
    return -1;
}

int srv_config_load_file(srv_config_t *c, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open config file '%s': %s", path, strerror(errno));
        return -1;
    }
    size_t cap = 4096, len = 0;
    char *text = malloc(cap);
    size_t got;
    while (text && (got = fread(text + len, 1, cap - len - 1, f)) > 0) {
        len += got;
        if (cap - len - 1 == 0) {
            char *t = cap < (64u << 20) ? realloc(text, cap * 2) : NULL;
            if (!t) {
                free(text);
                text = NULL;
                break;
            }
            text = t;
            cap *= 2;
        }
    }
    /* A directory opens but fails to read (EISDIR), as does a file with a bad sector: both
     * stop the start rather than start on the defaults. */
    int read_errno = ferror(f) ? errno : 0;
    fclose(f);
    if (read_errno) {
        free(text);
        snprintf(err, errlen, "cannot read config file '%s': %s", path, strerror(read_errno));
        return -1;
    }
    if (!text) {
        snprintf(err, errlen, "config file '%s' is too large", path);
        return -1;
    }
    text[len] = '\0';
    if (strlen(text) != len) {
        free(text);
        snprintf(err, errlen, "config file '%s' contains a NUL byte", path);
        return -1;
    }
    int r = srv_config_load_text(c, text, path, err, errlen);
    free(text);
    return r;
}

int srv_config_from_args(srv_config_t *c, int argc, char **argv, const char **config_file,
                         char *err, size_t errlen)
{
    int i = 1;
    *config_file = NULL;
    for (int j = 1; j < argc; j++) {
        if (strcmp(argv[j], "--help") == 0 || strcmp(argv[j], "-h") == 0) {
            srv_config_print_help();
            return 1;
        }
        if (strcmp(argv[j], "--version") == 0 || strcmp(argv[j], "-v") == 0) {
            printf("flatline-server 0.1.0 (RESP2, Redis 7.0 command subset)\n");
            return 1;
        }
    }
    if (i < argc && strncmp(argv[i], "--", 2) != 0) {
        *config_file = argv[i++];
        if (srv_config_load_file(c, *config_file, err, errlen) != 0)
            return -1;
    } else if (srv_config_load_text(c, srv_config_embedded, "embedded-config", err, errlen) != 0) {
        return -1;
    }
    char reason[320];
    for (; i < argc; i += 2) {
        if (strncmp(argv[i], "--", 2) != 0 || argv[i][2] == '\0') {
            snprintf(err, errlen, "command line: expected --<option> <value>, got '%s'", argv[i]);
            return -1;
        }
        if (i + 1 >= argc) {
            snprintf(err, errlen, "command line: %s needs a value", argv[i]);
            return -1;
        }
        if (srv_config_set(c, argv[i] + 2, argv[i + 1], reason, sizeof(reason)) != 0) {
            snprintf(err, errlen, "command line: %s", reason);
            return -1;
        }
    }
    return 0;
}

/* Parses `save`: pairs of "<seconds> <changes>" into the persistence rules. */
static int parse_save(srv_config_t *c, char *err, size_t errlen)
{
    flp_config_t *pc = &c->persist;
    const char *s = c->save;
    pc->n_save = 0;
    for (;;) {
        long long secs, changes;
        int used = 0;
        while (*s == ' ')
            s++;
        if (!*s)
            return 0;
        if (sscanf(s, "%lld %lld%n", &secs, &changes, &used) != 2 || secs < 1 || changes < 0 ||
            pc->n_save == FLP_SAVE_RULES_MAX) {
            snprintf(err, errlen,
                     "bad value '%s' for 'save': expected up to %d pairs of "
                     "'<seconds> <changes>'",
                     c->save, FLP_SAVE_RULES_MAX);
            return -1;
        }
        pc->save_secs[pc->n_save] = secs;
        pc->save_changes[pc->n_save++] = changes;
        s += used;
    }
}

int srv_config_finish(srv_config_t *c, char *err, size_t errlen)
{
    if (parse_save(c, err, errlen) != 0)
        return -1;
    unsigned notify;
    if (canon_notify(c, &notify, err, errlen) != 0)
        return -1;
    if (c->threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        c->threads = n > 0 ? (n > 128 ? 128 : n) : 1;
    }
    for (size_t i = 0; i < c->n_ns; i++) {
        if (fl_ns_config_check(&c->ns[i], err, errlen) != FL_OK)
            return -1; /* the store's reason names the namespace */
    }
    return 0;
}

void srv_config_each(const srv_config_t *c, const char *pattern, size_t plen, srv_config_fn fn,
                     void *ctx)
{
    char val[256], name[160];
    for (size_t i = 0; i < NOPTS; i++) {
        if (!fl_glob_match(pattern, plen, opts[i].name, strlen(opts[i].name), true))
            continue;
        format_opt(&opts[i], c, val, sizeof(val));
        fn(ctx, opts[i].name, val);
    }
    for (size_t i = 0; i < NALIAS_NAMES; i++) { /* Redis lists its aliases too */
        if (!fl_glob_match(pattern, plen, aliases[i].alias, strlen(aliases[i].alias), true))
            continue;
        format_opt(find_opt(aliases[i].alias), c, val, sizeof(val));
        fn(ctx, aliases[i].alias, val);
    }
    for (size_t a = 0; a <= NALIASES && c->n_ns > 0; a++) {
        const char *nm = a < NALIASES ? defrag_alias[a].redis : "activedefrag";
        if (!fl_glob_match(pattern, plen, nm, strlen(nm), true))
            continue;
        opt_t o;
        if (a < NALIASES && ns_opt_find(defrag_alias[a].ns_opt, &o))
            format_opt(&o, &c->ns[0], val, sizeof(val));
        else
            snprintf(val, sizeof(val), "%s", c->ns[0].defrag_pct ? "yes" : "no");
        fn(ctx, nm, val); /* the default namespace's value */
    }
    /* Redis's maxmemory: the namespaces' memory limits summed, 0 (Redis's "no limit") when any
     * namespace is unlimited; maxmemory-policy: the default namespace's. */
    if (fl_glob_match(pattern, plen, "maxmemory", 9, true)) {
        snprintf(val, sizeof(val), "%llu", srv_config_maxmemory(c));
        fn(ctx, "maxmemory", val);
    }
    if (fl_glob_match(pattern, plen, "maxmemory-policy", 16, true))
        fn(ctx, "maxmemory-policy", fl_evict_policy_names[c->ns[0].evict_policy]);
    size_t nopts;
    const fl_ns_option_t *ns_opts = fl_ns_options(&nopts);
    for (size_t n = 0; n < c->n_ns; n++) {
        for (size_t i = 0; i < nopts; i++) {
            opt_t o = ns_row(&ns_opts[i]);
            snprintf(name, sizeof(name), "namespace.%s.%s", c->ns[n].name, o.name);
            if (!fl_glob_match(pattern, plen, name, strlen(name), true))
                continue;
            format_opt(&o, &c->ns[n], val, sizeof(val));
            fn(ctx, name, val);
        }
    }
}

/* ---- Run-time changes: CONFIG SET, CONFIG REWRITE ------------------------------------------ */

/* Serialises CONFIG SET / GET / REWRITE: writers of srv->cfg and its readers outside the
 * workers' hot paths (those read srv->live). */
static pthread_mutex_t cfg_mu = PTHREAD_MUTEX_INITIALIZER;

void srv_config_lock(void)
{
    pthread_mutex_lock(&cfg_mu);
}

void srv_config_unlock(void)
{
    pthread_mutex_unlock(&cfg_mu);
}

/* Bytes of option o's field. */
static size_t field_size(const opt_t *o)
{
    switch (o->type) {
    case OPT_INT:
        return sizeof(long long);
    case OPT_SIZE:
        return sizeof(size_t);
    case OPT_BOOL:
        return sizeof(bool);
    case OPT_ENUM:
        return sizeof(int);
    case OPT_UNSIGNED:
        return sizeof(unsigned);
    case OPT_DECAY:
        return sizeof(ssize_t);
    case OPT_OBL:
        return sizeof(srv_obl_t) * SRV_CLASS_COUNT;
    case OPT_STR:
        return (size_t)o->max + 1;
    }
    return 0;
}

static void name_seen(void *ctx, const char *name, const char *value)
{
    (void)name;
    (void)value;
    *(bool *)ctx = true;
}

/* True when CONFIG GET knows `name` exactly (a namespace option, a derived Redis name...). */
static bool known_name(const srv_config_t *c, const char *name)
{
    bool seen = false;
    if (!strpbrk(name, "*?[\\"))
        srv_config_each(c, name, strlen(name), name_seen, &seen);
    return seen;
}

/* Copies option o's field from `from` into `to`. */
static void copy_field(const opt_t *o, srv_config_t *to, const srv_config_t *from)
{
    memcpy((char *)to + o->offset, (const char *)from + o->offset, field_size(o));
}

/* CONFIG SET's reason for refusing `value` for option o, in Redis's words (the config file
 * gets apply's, which also say where). */
static void set_reason(const opt_t *o, const char *value, char *err, size_t errlen)
{
    long long v;
    switch (o->type) {
    case OPT_BOOL:
        snprintf(err, errlen, "argument must be 'yes' or 'no'");
        return;
    case OPT_ENUM: {
        size_t used = (size_t)snprintf(err, errlen, "argument(s) must be one of the following: ");
        for (int i = 0; o->values[i] && used < errlen; i++)
            used +=
                (size_t)snprintf(err + used, errlen - used, "%s%s", i ? ", " : "", o->values[i]);
        return;
    }
    case OPT_SIZE:
    case OPT_INT:
    case OPT_UNSIGNED:
    case OPT_DECAY:
        if (o->type == OPT_SIZE ? !parse_size(value, &v) : !parse_int(value, &v))
            snprintf(err, errlen, "%s",
                     o->type == OPT_SIZE ? "argument must be a memory value"
                                         : "argument couldn't be parsed into an integer");
        else
            snprintf(err, errlen, "argument must be between %lld and %lld inclusive", o->min,
                     o->max);
        return;
    case OPT_OBL:
    case OPT_STR:
        return; /* apply's reason is Redis's already */
    }
}

/* One namespace option of a CONFIG SET: which namespace and its row. The store applies a
 * namespace's changes together (fl_ns_reconfigure) once every pair is checked. */
typedef struct ns_change {
    size_t ns;
    opt_t row;
    size_t arg; /* its index among CONFIG SET's pairs */
} ns_change_t;

/* Parses `name` as namespace.<ns>.<option> (or Redis's maxmemory-policy: the default
 * namespace's) for an option FL_NS_OPTIONS marks run-time, and value into next. Returns 1
 * (done), 0 (not such an option) or -1 (bad value, reason in err). */
static int ns_set_parse(srv_config_t *next, const char *name, const char *value, ns_change_t *ch,
                        char *err, size_t errlen)
{
    const char *opt = name;
    ch->ns = 0;
    if (strncasecmp(name, "namespace.", 10) == 0) {
        const char *ns = name + 10, *dot = strchr(ns, '.');
        if (!dot)
            return 0;
        size_t i = 0;
        while (i < next->n_ns && (strlen(next->ns[i].name) != (size_t)(dot - ns) ||
                                  strncmp(next->ns[i].name, ns, (size_t)(dot - ns)) != 0))
            i++;
        if (i == next->n_ns)
            return 0;
        ch->ns = i;
        opt = dot + 1;
    } else if (strcasecmp(name, "maxmemory-policy") != 0) {
        return 0;
    }
    if (!ns_opt_find(opt, &ch->row) || !ch->row.runtime)
        return 0;
    if (apply(&ch->row, &next->ns[ch->ns], value, err, errlen) != 0) {
        set_reason(&ch->row, value, err, errlen);
        return -1;
    }
    return fl_ns_config_check(&next->ns[ch->ns], err, errlen) == FL_OK ? 1 : -1;
}

/* Runs the distinct apply hooks of rows[0, n). Returns 0, or -1 with the reason in err and
 * the failing row's index in *culprit. */
static int run_hooks(srv_server_t *srv, const opt_t *const *rows, size_t n, char *err,
                     size_t errlen, size_t *culprit)
{
    for (size_t i = 0; i < n; i++) {
        bool done = !rows[i] || !rows[i]->apply;
        for (size_t j = 0; j < i && !done; j++)
            done = rows[j] && rows[j]->apply == rows[i]->apply;
        if (done)
            continue;
        if (rows[i]->apply(srv, err, errlen) != 0) {
            *culprit = i;
            return -1;
        }
    }
    return 0;
}

int srv_config_set_runtime(srv_server_t *srv, size_t n, const char *const *names,
                           const char *const *values, char *err, size_t errlen, size_t *culprit)
{
    const opt_t *rows[SRV_CONFIG_SET_MAX] = {0};
    ns_change_t ns_changes[SRV_CONFIG_SET_MAX];
    size_t n_ns_changes = 0;
    if (n > SRV_CONFIG_SET_MAX) {
        *culprit = SRV_CONFIG_SET_MAX;
        snprintf(err, errlen, "too many parameters (at most %d)", SRV_CONFIG_SET_MAX);
        return SRV_CONFIG_SET_FAILED;
    }
    srv_config_t *next = malloc(2 * sizeof(*next)), *old = next + 1;
    if (!next) {
        *culprit = 0;
        snprintf(err, errlen, "out of memory");
        return SRV_CONFIG_SET_FAILED;
    }
    int rc = SRV_CONFIG_SET_OK;
    srv_config_lock();
    *next = srv->cfg;
    *old = srv->cfg;
    for (size_t i = 0; i < n && rc == SRV_CONFIG_SET_OK; i++) {
        *culprit = i;
        rows[i] = find_opt(names[i]);
        if (!rows[i]) {
            int r = ns_set_parse(next, names[i], values[i], &ns_changes[n_ns_changes], err, errlen);
            if (r == 1) {
                ns_changes[n_ns_changes].arg = i;
                for (size_t j = 0; j < n_ns_changes && rc == SRV_CONFIG_SET_OK; j++)
                    if (ns_changes[j].ns == ns_changes[n_ns_changes].ns &&
                        ns_changes[j].row.offset == ns_changes[n_ns_changes].row.offset) {
                        rc = SRV_CONFIG_SET_FAILED;
                        snprintf(err, errlen, "duplicate parameter");
                    }
                n_ns_changes++;
                continue;
            }
            if (r < 0) {
                rc = SRV_CONFIG_SET_FAILED;
                break;
            }
            /* Redis's active-defrag names set their option in every namespace. */
            r = set_defrag_all(next, names[i], values[i], err, errlen);
            for (size_t k = 0; r == 1 && k < next->n_ns && rc == SRV_CONFIG_SET_OK; k++) {
                if (fl_ns_config_check(&next->ns[k], err, errlen) != FL_OK) {
                    rc = SRV_CONFIG_SET_FAILED;
                } else if (n_ns_changes < SRV_CONFIG_SET_MAX) {
                    ns_change_t *ch = &ns_changes[n_ns_changes++];
                    ch->ns = k;
                    ch->arg = i;
                    ns_opt_find("defrag-pct", &ch->row); /* any row: the namespace is whole */
                }
            }
            if (r == 1)
                continue;
            if (r < 0) {
                rc = SRV_CONFIG_SET_FAILED;
                break;
            }
            /* Another namespace option or a name derived from them: known, but the store
             * reads it only when it opens a namespace. */
            rc = known_name(&srv->cfg, names[i]) ? SRV_CONFIG_SET_FAILED : SRV_CONFIG_SET_UNKNOWN;
            snprintf(err, errlen, "can't set immutable config");
            break;
        }
        if (!rows[i]->runtime) {
            rc = SRV_CONFIG_SET_FAILED;
            snprintf(err, errlen, "can't set immutable config");
            break;
        }
        for (size_t j = 0; j < i; j++) /* as Redis: a name and its alias together are fine */
            if (rows[j] && strcasecmp(names[j], names[i]) == 0) {
                rc = SRV_CONFIG_SET_FAILED;
                snprintf(err, errlen, "duplicate parameter");
            }
        if (rc == SRV_CONFIG_SET_OK && apply(rows[i], next, values[i], err, errlen) != 0) {
            set_reason(rows[i], values[i], err, errlen);
            rc = SRV_CONFIG_SET_FAILED;
        }
    }
    if (rc == SRV_CONFIG_SET_OK) {
        /* Namespace options first, each namespace's together (checked above as a whole, so
         * the store accepts them), then the rest. */
        for (size_t j = 0; j < n_ns_changes && rc == SRV_CONFIG_SET_OK; j++) {
            size_t i = ns_changes[j].ns;
            bool first = true;
            for (size_t k = 0; k < j; k++)
                first = first && ns_changes[k].ns != i;
            fl_ns_t *ns = srv->store ? fl_store_ns(srv->store, i) : NULL;
            if (!first || !ns)
                continue;
            if (fl_ns_reconfigure(ns, &next->ns[i], err, errlen) != FL_OK) {
                *culprit = ns_changes[j].arg;
                rc = SRV_CONFIG_SET_FAILED;
                break;
            }
            srv->cfg.ns[i] = next->ns[i];
        }
        if (rc != SRV_CONFIG_SET_OK) {
            srv_config_unlock();
            free(next);
            return rc;
        }
        /* Redis's active-defrag names are remembered (CONFIG GET, REWRITE, a later alias). */
        memcpy(srv->cfg.defrag_all, next->defrag_all, sizeof(srv->cfg.defrag_all));
        srv->cfg.activedefrag = next->activedefrag;
        for (size_t i = 0; i < n; i++)
            if (rows[i])
                copy_field(rows[i], &srv->cfg, next);
        if (run_hooks(srv, rows, n, err, errlen, culprit) != 0) { /* back to the old values */
            char ignored[64];
            size_t at;
            for (size_t i = 0; i < n; i++)
                if (rows[i])
                    copy_field(rows[i], &srv->cfg, old);
            run_hooks(srv, rows, n, ignored, sizeof(ignored), &at);
            rc = SRV_CONFIG_SET_FAILED;
        }
    }
    srv_config_unlock();
    free(next);
    return rc;
}

void srv_config_each_option(const srv_config_t *c, srv_config_fn fn, void *ctx)
{
    char val[256], name[160];
    for (size_t i = 0; i < NOPTS; i++) {
        bool alias = false; /* io-threads, stored as threads */
        for (size_t j = 0; j < i && !alias; j++)
            alias = opts[j].offset == opts[i].offset;
        if (alias)
            continue;
        format_opt(&opts[i], c, val, sizeof(val));
        fn(ctx, opts[i].name, val);
    }
    size_t nopts;
    const fl_ns_option_t *ns_opts = fl_ns_options(&nopts);
    for (size_t n = 0; n < c->n_ns; n++)
        for (size_t i = 0; i < nopts; i++) {
            opt_t o = ns_row(&ns_opts[i]);
            snprintf(name, sizeof(name), "namespace.%s.%s", c->ns[n].name, o.name);
            format_opt(&o, &c->ns[n], val, sizeof(val));
            fn(ctx, name, val);
        }
}

bool srv_config_runtime(const char *name)
{
    const opt_t *o = find_opt(name);
    opt_t ns;
    if (o)
        return o->runtime;
    const char *dot = strncasecmp(name, "namespace.", 10) == 0 ? strchr(name + 10, '.') : NULL;
    return dot && ns_opt_find(dot + 1, &ns) && ns.runtime;
}

static void first_value(void *ctx, const char *name, const char *value)
{
    (void)name;
    snprintf(ctx, 256, "%s", value);
}

int srv_config_normalize(const char *name, const char *value, char *out, size_t len)
{
    srv_config_t *c = malloc(sizeof(*c));
    char err[256], val[256] = "";
    int rc = -1;
    if (!c)
        return -1;
    srv_config_init(c);
    if (srv_config_set(c, name, value, err, sizeof(err)) == 0 && !strpbrk(name, "*?[\\")) {
        srv_config_each(c, name, strlen(name), first_value, val);
        snprintf(out, len, "%s", val);
        rc = 0;
    }
    free(c);
    return rc;
}

unsigned long long srv_config_maxmemory(const srv_config_t *c)
{
    unsigned long long sum = 0;
    for (size_t n = 0; n < c->n_ns; n++) {
        if (c->ns[n].memory_limit == 0)
            return 0;
        sum += c->ns[n].memory_limit;
    }
    return sum;
}

void srv_config_print_help(void)
{
    printf("Usage: flatline-server [config-file] [--option value ...]\n\n"
           "Options (file: 'option value'; command line: '--option value'; [set]: CONFIG SET\n"
           "changes it while the server runs):\n");
    for (size_t i = 0; i < NOPTS; i++)
        printf("  %-27s default %-10s %s%s\n", opts[i].name, opts[i].def[0] ? opts[i].def : "\"\"",
               opts[i].runtime ? "[set] " : "", opts[i].doc);
    for (size_t i = 0; i < NALIAS_NAMES; i++)
        printf("  %-27s = %s\n", aliases[i].alias, find_opt(aliases[i].alias)->name);
    printf("\nNamespace options (file: inside 'namespace <name> { ... }' or as\n"
           "'namespace.<name>.<option> value'; command line: --namespace.<name>.<option>):\n");
    size_t nopts;
    const fl_ns_option_t *ns_opts = fl_ns_options(&nopts);
    fl_ns_config_t defaults;
    fl_ns_config_default(&defaults, NULL);
    for (size_t i = 0; i < nopts; i++) {
        char def[64];
        opt_t o = ns_row(&ns_opts[i]);
        format_opt(&o, &defaults, def, sizeof(def));
        printf("  %-27s default %-11s %s%s\n", o.name, def, o.runtime ? "[set] " : "", o.doc);
    }
    printf(
        "\nNo namespace evicts unless its maxmemory-policy says so, and none has a memory limit\n"
        "unless configured (as Redis). The embedded configuration's 'cache' namespace is a\n"
        "cache: 256mb, allkeys-lru above 80%%. Policies: ");
    for (size_t i = 0; fl_evict_policy_names[i]; i++)
        printf("%s%s", i ? ", " : "", fl_evict_policy_names[i]);
    printf(".\n");
    printf("\nRedis's active-defrag settings are accepted at the top level and apply to every\n"
           "namespace (a later namespace option overrides them there):\n"
           "  %-31s defrag-pct 0 everywhere when 'no'\n",
           "activedefrag yes|no");
    for (size_t a = 0; a < NALIASES; a++)
        printf("  %-31s = %s\n", defrag_alias[a].redis, defrag_alias[a].ns_opt);
    printf("\nUsers (file only, as in redis.conf; not with aclfile): 'user <name> <rules...>',\n"
           "the rules of ACL SETUSER, e.g. 'user app on >s3cret ~app:* +@all -@dangerous'.\n");
    printf("\nSizes accept b, k, m, g (x1000) and kb, mb, gb (x1024).\n"
           "Without a config file, this embedded configuration is used:\n\n%s",
           srv_config_embedded);
}
