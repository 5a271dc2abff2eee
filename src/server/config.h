/*
 * src/server/config.h: flatline-server's configuration (config.c).
 *
 * One table lists every option (name, type, default, bounds, doc). The same option can be
 * given in a config file or on the command line (--name value), as redis-server allows.
 *
 * File format (one directive a line, '#' starts a comment, values may be "quoted"):
 *
 *     port 7000
 *     threads 2
 *     namespace users {            # declares namespace "users" (SELECT 1 or SELECT users)
 *         memory-limit 64mb
 *         high-water-pct 80
 *     }
 *     namespace.sessions.default-ttl-ms 60000   # same thing, one line (also: --namespace.x.y)
 *
 * Namespaces get indexes in the order they are first named; "default" always exists and is
 * index 0. Without a config file the embedded default (srv_config_embedded) is used, which
 * declares "default" and "cache". Sizes accept b, k/m/g (x1000) and kb/mb/gb (x1024).
 */
#ifndef FLATLINE_SERVER_CONFIG_H
#define FLATLINE_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "flatline/store.h"
#include "persist.h"

#define SRV_NS_MAX 16

enum { SRV_LOG_WARNING = 0, SRV_LOG_NOTICE, SRV_LOG_VERBOSE, SRV_LOG_DEBUG };
/* tls-auth-clients: client certificates required (yes), ignored (no), checked when sent. */
enum { SRV_TLS_AUTH_NO = 0, SRV_TLS_AUTH_YES, SRV_TLS_AUTH_OPTIONAL };
/* enable-debug-command (Redis's): DEBUG refused, allowed, allowed from a local client. */
enum { SRV_DEBUG_NO = 0, SRV_DEBUG_YES, SRV_DEBUG_LOCAL };
/* worker-sched-batch: never, always, or while a worker's clients do not pipeline. */
enum { SRV_SCHED_BATCH_NO = 0, SRV_SCHED_BATCH_YES, SRV_SCHED_BATCH_AUTO };

/* Output-buffer classes of client-output-buffer-limit, in Redis's order. */
enum { SRV_CLASS_NORMAL, SRV_CLASS_REPLICA, SRV_CLASS_PUBSUB, SRV_CLASS_COUNT };

/* One class's client-output-buffer-limit: close at `hard` pending bytes at once, or when above
 * `soft` for `secs` seconds in a row (0 = that limit is off). */
typedef struct srv_obl {
    unsigned long long hard, soft, secs;
} srv_obl_t;

typedef struct srv_config {
    long long port;
    char bind[256];    /* addresses separated by spaces (listener.c) */
    long long threads; /* 0 = one per core */
    long long maxclients;
    long long tcp_backlog;
    size_t proto_max_bulk_len;
    size_t max_multibulk_len;
    size_t client_query_buffer_limit;
    int loglevel;
    bool mem_background_thread;
    /* worker-sched-batch (SRV_SCHED_BATCH_*): when workers run as SCHED_BATCH (worker.c) */
    int worker_sched_batch;
    long long timeout;                 /* seconds idle before a client is closed */
    srv_obl_t obl[SRV_CLASS_COUNT];    /* client-output-buffer-limit */
    size_t maxmemory_clients;          /* all clients' buffers together; 0 = no cap */
    long long slowlog_log_slower_than; /* us */
    long long slowlog_max_len;
    long long latency_monitor_threshold; /* ms */
    bool latency_tracking;
    long long metrics_port; /* the Prometheus endpoint's port; 0 = off */
    /* Access control and listeners (acl.c, listener.c, tls.c); "" = not set. */
    bool protected_mode;
    char requirepass[256];
    char aclfile[512];
    char unixsocket[108];   /* sun_path's size */
    char unixsocketperm[8]; /* octal, e.g. "700"; "" = as the umask leaves it */
    long long tls_port;     /* 0 = no TLS listener */
    char tls_cert_file[512], tls_key_file[512], tls_ca_cert_file[512];
    int tls_auth_clients; /* SRV_TLS_AUTH_* */
    /* The file's `user <name> <rules...>` lines (Redis's redis.conf form), '\n'-separated, in
     * order; applied to the users at start (acl.c). Exclusive with aclfile, as in Redis. */
    char acl_users[8192];
    size_t n_ns;
    fl_ns_config_t ns[SRV_NS_MAX];
    /* Redis's active-defrag settings given at the top level (config.c, defrag_alias): values
     * applied to every namespace, including ones declared later ("" = not given); activedefrag
     * -1 = not given, 0 = no, 1 = yes. */
    char defrag_all[5][24];
    int activedefrag;
    flp_config_t persist;  /* durability (src/persist/); n_save/save_* parsed from `save` */
    fl_coll_limits_t coll; /* Redis's encoding thresholds (FL_COLL_OPTIONS), the store's */
    long long busy_reply_threshold; /* ms (Redis's lua-time-limit) */
    size_t hll_sparse_max_bytes;    /* a sparse HyperLogLog grown past this turns dense */
    int enable_debug_command;       /* SRV_DEBUG_* */
    char save[128];                 /* the `save` rules as given */
    /* notify-keyspace-events: Redis's class letters, canonical once applied (notify.h) */
    char notify_keyspace_events[64];
} srv_config_t;

/* The configuration text used when no config file is given. */
extern const char srv_config_embedded[];

/* Fills *c with the table's defaults and the namespace "default". */
void srv_config_init(srv_config_t *c);

/* Sets one option by name ("port", or "namespace.<ns>.<key>") from text. Returns 0, or -1
 * with the reason in err. */
int srv_config_set(srv_config_t *c, const char *name, const char *value, char *err, size_t errlen);

/* Applies configuration text; `origin` names it in errors ("<origin>:<line>: <reason>"). */
int srv_config_load_text(srv_config_t *c, const char *text, const char *origin, char *err,
                         size_t errlen);

/* Reads and applies a config file. Returns 0 or -1 with the reason in err. */
int srv_config_load_file(srv_config_t *c, const char *path, char *err, size_t errlen);

/* Parses `flatline-server [config-file] [--key value ...]`: loads the file (or the embedded
 * default) then the flags. *config_file gets the file name or NULL. Returns 0, 1 when the
 * caller should exit 0 (--help, --version, printed), or -1 with the reason in err. */
int srv_config_from_args(srv_config_t *c, int argc, char **argv, const char **config_file,
                         char *err, size_t errlen);

/* Final checks (namespaces against the store's rules, threads = cores when 0). */
int srv_config_finish(srv_config_t *c, char *err, size_t errlen);

/* Calls fn(name, value) for every option whose name matches the glob (CONFIG GET), namespace
 * options as "namespace.<ns>.<key>". */
typedef void (*srv_config_fn)(void *ctx, const char *name, const char *value);
void srv_config_each(const srv_config_t *c, const char *pattern, size_t plen, srv_config_fn fn,
                     void *ctx);

/* client-output-buffer-limit (client_limits.c): parses "<class> <hard> <soft> <seconds>"
 * groups (class normal, replica or slave, pubsub; sizes with units) into obl[SRV_CLASS_COUNT],
 * changing the classes named and only when every group is valid. Returns 0 or -1 with
 * Redis's reason in err. */
int srv_obl_parse(srv_obl_t *obl, const char *value, char *err, size_t errlen);

/* A size as Redis's memtoull reads it (client_limits.c): digits with an optional b, k, kb, m,
 * mb, g, gb (case-insensitive). False when s is not one or overflows. */
bool srv_parse_mem(const char *s, unsigned long long *out);

/* Formats obl[SRV_CLASS_COUNT] as Redis's CONFIG GET does ("normal 0 0 0 slave ..."). */
void srv_obl_format(const srv_obl_t *obl, char *buf, size_t len);

/* Redis's maxmemory: the namespaces' memory limits summed, 0 ("no limit") when any namespace
 * is unlimited (CONFIG GET maxmemory, INFO memory). */
unsigned long long srv_config_maxmemory(const srv_config_t *c);

/* CONFIG SET: sets n options (names[i] to values[i]) in srv->cfg at once, all or none: every
 * value is parsed into a copy first; then the fields are stored and the rows' apply hooks run
 * (a failing hook puts every old value back). Of the namespace options, memory-limit and
 * maxmemory-policy (also Redis's top-level name: the default namespace's) go through the store's
 * run-time setters; the others are refused ("can't set immutable config"). Returns
 * SRV_CONFIG_SET_OK, SRV_CONFIG_SET_UNKNOWN (no such option) or SRV_CONFIG_SET_FAILED (Redis's
 * reason in err), with the offending pair's index in *culprit. Any thread; takes the
 * configuration lock. */
#define SRV_CONFIG_SET_MAX 64
enum { SRV_CONFIG_SET_OK = 0, SRV_CONFIG_SET_UNKNOWN = -1, SRV_CONFIG_SET_FAILED = -2 };
struct srv_server;
int srv_config_set_runtime(struct srv_server *srv, size_t n, const char *const *names,
                           const char *const *values, char *err, size_t errlen, size_t *culprit);

/* The configuration lock: held by CONFIG SET while it writes srv->cfg; CONFIG GET and CONFIG
 * REWRITE hold it while they read it. */
void srv_config_lock(void);
void srv_config_unlock(void);

/* Calls fn(name, value) for every stored option (no derived or compatibility names): the
 * server's, then each namespace's as "namespace.<ns>.<option>" (CONFIG REWRITE). */
void srv_config_each_option(const srv_config_t *c, srv_config_fn fn, void *ctx);

/* True when CONFIG SET may change option `name` (a server or namespace option). */
bool srv_config_runtime(const char *name);

/* The value option `name` would show in CONFIG GET after being set to `value` from the
 * defaults (CONFIG REWRITE keeps a line whose value means the current one: "64mb" for
 * 67108864). Returns 0, or -1 when value is not valid for it. */
int srv_config_normalize(const char *name, const char *value, char *out, size_t len);

/* Prints the option table (--help). */
void srv_config_print_help(void);

#endif /* FLATLINE_SERVER_CONFIG_H */
