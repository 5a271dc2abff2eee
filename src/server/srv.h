/*
 * src/server/srv.h: the network front's private interfaces (prefix srv_), shared by the files
 * of src/server/ only. Nothing here is public: the server is a program, not a library.
 *
 * Ownership of memory: every byte declared here (client buffers, parser argv, reply buffers)
 * is transient and allocated with plain malloc by a worker thread, so it lands in that
 * worker's private arena (fl_thread_bind_private_arena). Persistent data never lives here:
 * it goes through the store into a namespace's shared arena; what the server itself keeps
 * beyond a request or a client (slow log, ACL, scripts, pub/sub registry) is in the
 * server-lifetime arenas (lifetime.h).
 *
 * Threads: a client belongs to exactly one worker for its whole life and is touched only by
 * that worker's thread. The server struct is read-only after start except for the fields
 * marked atomic. Statistics are per worker, written by the owner only, summed when read.
 */
#ifndef FLATLINE_SERVER_SRV_H
#define FLATLINE_SERVER_SRV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>

#include "fl_assert.h"
#include "flatline/store.h"
#include "config.h"
#include "persist.h"
#include "resp.h"
#include "acl.h"
#include "lifetime.h"

typedef struct srv_server srv_server_t;
typedef struct srv_worker srv_worker_t;
typedef struct srv_multi srv_multi_t;   /* multi.c: MULTI queue and WATCHed keys */
typedef struct srv_pubsub srv_pubsub_t; /* pubsub.c: a client's subscriptions */

/*
 * THE SERVER'S COUNTERS, defined once: srv_stats_t (per worker), srv_stats_sum_t (summed) and
 * INFO stats's lines are generated from this list.
 *
 *   X(field, info_name, doc)   info_name: the field INFO stats prints (Redis's name where Redis
 *                              has one)
 */
#define SRV_STATS(X)                                                                               \
    X(connections, "total_connections_received", "connections accepted")                           \
    X(commands, "total_commands_processed", "commands dispatched")                                 \
    X(net_in, "total_net_input_bytes", "bytes read from clients")                                  \
    X(net_out, "total_net_output_bytes", "bytes written to clients")                               \
    X(rejected, "rejected_connections", "connections refused at maxclients")                       \
    X(protocol_errors, "protocol_errors", "connections closed for bad input")                      \
    X(reads, "total_reads_processed", "read calls that returned data")                             \
    X(writes, "total_writes_processed", "write calls that sent data")                              \
    X(error_replies, "total_error_replies", "error replies sent")                                  \
    X(rejected_calls, "rejected_commands",                                                         \
      "commands refused before running (unknown, arity); Redis counts them per command only")      \
    X(failed_calls, "failed_commands", "commands that ran and replied an error")                   \
    X(evicted_clients, "evicted_clients", "clients closed by maxmemory-clients")                   \
    X(obl_disconnects, "client_output_buffer_limit_disconnections",                                \
      "clients closed for passing client-output-buffer-limit")                                     \
    X(qbl_disconnects, "client_query_buffer_limit_disconnections",                                 \
      "clients closed for passing client-query-buffer-limit")                                      \
    X(timedout_clients, "timedout_clients", "clients closed after `timeout` seconds idle")         \
    X(killed_clients, "killed_clients", "clients closed by CLIENT KILL")                           \
    X(acl_denied_auth, "acl_access_denied_auth", "failed AUTH / HELLO AUTH")                       \
    X(acl_denied_cmd, "acl_access_denied_cmd", "commands refused by -NOPERM (user's rules)")       \
    X(acl_denied_key, "acl_access_denied_key", "commands refused by -NOPERM (key patterns)")       \
    X(acl_denied_channel, "acl_access_denied_channel",                                             \
      "commands refused by -NOPERM (channel patterns)")                                            \
    X(noauth_rejected, "noauth_rejected_commands", "commands refused by -NOAUTH")                  \
    X(protected_denied, "protected_mode_denied", "clients refused by protected mode (-DENIED)")    \
    X(tls_handshake_failures, "tls_handshake_failures", "TLS clients closed in their handshake")

/* Counters of one worker. Written only by the owning worker (relaxed load+store), read by
 * any thread (relaxed load) and summed: no lock, no contended cache line. */

typedef struct srv_stats {
#define SRV_STATS_FIELD_(field, info_name, doc) _Atomic uint64_t field;
    SRV_STATS(SRV_STATS_FIELD_)
#undef SRV_STATS_FIELD_
} srv_stats_t;

static inline void srv_stat_add(_Atomic uint64_t *s, uint64_t n)
{
    atomic_store_explicit(s, atomic_load_explicit(s, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* Every worker's counters summed (plain values). */
typedef struct srv_stats_sum {
#define SRV_STATS_SUM_FIELD_(field, info_name, doc) uint64_t field;
    SRV_STATS(SRV_STATS_SUM_FIELD_)
#undef SRV_STATS_SUM_FIELD_
} srv_stats_sum_t;

/* Sums every worker's counters into *out. Any thread; relaxed loads (a sum may mix moments). */
void srv_stats_sum(const srv_server_t *srv, srv_stats_sum_t *out);

/* The Redis version flatline answers as (HELLO, INFO's redis_version, scripts' REDIS_VERSION):
 * the release whose replies and errors it reproduces, so clients enable what 7.0 has. */
#define SRV_REDIS_VERSION "7.0.15"
#define SRV_REDIS_VERSION_NUM 0x07000f /* REDIS_VERSION_NUM: 0x00MMmmpp */

/* Above this many unsent reply bytes a client's commands wait (and its reads stop) until the
 * socket drains: a client that pipelines without reading cannot grow its buffer unbounded. */
#define SRV_OUT_HIGH (1u << 20)

#define SRV_CLOSE_AFTER_REPLY 0x1u /* QUIT, protocol error: flush the output, then close */
#define SRV_CLOSE_ASAP 0x2u        /* I/O error, a limit, CLIENT KILL: close without writing */
#define SRV_NO_EVICT 0x4u          /* CLIENT NO-EVICT on: maxmemory-clients passes it over */
#define SRV_MONITOR 0x8u           /* MONITOR: receives every command (monitor.c) */
#define SRV_PUBSUB 0x10u           /* subscribed: the pubsub output-buffer class */
#define SRV_WAITING 0x20u          /* its command waits for other workers (fanout.c) */
#define SRV_PAUSED 0x40u           /* its next command waits for CLIENT UNPAUSE */

/* CLIENT REPLY modes. */
enum { SRV_REPLY_ON, SRV_REPLY_OFF, SRV_REPLY_SKIP };

/* How a client's bytes travel (conn.c): the plain socket, or a TLS session over it. */
typedef struct srv_conn {
    struct ssl_st *ssl; /* NULL: plain socket */
    bool handshaking;   /* TLS handshake not finished: no request is read yet */
    bool want_write;    /* the last TLS operation waits for the socket to be writable */
    bool local;         /* peer on a loopback address or the unix socket (protected mode) */
} srv_conn_t;

/* One connection. Touched only by its worker's thread. */
typedef struct srv_client {
    int fd;
    unsigned flags;
    uint64_t id;
    srv_server_t *srv;
    srv_worker_t *worker; /* NULL for in-process clients (fuzz target, unit tests) */
    fl_ns_t *ns;          /* selected namespace */
    size_t ns_index;
    srv_buf_t in;  /* bytes read, parsed in place */
    srv_buf_t out; /* replies not yet written; out_sent bytes of it already are */
    size_t out_sent;
    srv_parser_t parser;
    fl_slice_t *argv; /* the current command's arguments, pointing into `in` */
    size_t argv_cap;
    char *name;                  /* CLIENT SETNAME, or NULL */
    int64_t ctime_ms;            /* connected at (age= of ACL LOG's client-info) */
    srv_acl_session_t acl;       /* user and rules (srv->acl set), else unused */
    srv_conn_t conn;             /* plain socket or TLS session (conn.c) */
    bool stalled;                /* commands wait in `in`: unsent output passed SRV_OUT_HIGH */
    struct srv_blocked *blocked; /* a blocking pop waiting (block.c); commands wait in `in` */
    bool deny_blocking;          /* inside MULTI/EXEC or a script: blocking pops answer as
                                  * on a timeout at once (Redis's CLIENT_DENY_BLOCKING) */
    srv_multi_t *multi;          /* NULL until the first MULTI or WATCH */
    srv_pubsub_t *pubsub;        /* NULL until the first (P)SUBSCRIBE */
    struct srv_client *id_next;  /* the worker's id index (srv_worker_find_client) */
    uint64_t hold_seq; /* appendfsync always: output is held until the log is durable up to
                        * here (0 = nothing held); see srv_client_note_log */
    uint32_t events;   /* epoll events currently registered */
    struct srv_client *prev, *next; /* the worker's list */
    /* Bookkeeping for CLIENT LIST, limits and timeouts (client_info.c, client_limits.c). */
    char addr[128], laddr[128]; /* "ip:port" (unix: "path:0") of the peer and of our end */
    int64_t last_ms;            /* last command or read: `timeout` and CLIENT LIST idle= */
    int64_t soft_since_ms;      /* output above the soft limit since then; 0 = below it */
    const char *last_cmd;       /* name of the last command run (static), "NULL" before */
    int reply_mode;             /* SRV_REPLY_* */
    srv_buf_meter_t meter;      /* keeps `mem` and the worker's total current */
    size_t mem;                 /* capacity of in + out */
} srv_client_t;

/* The protocol c speaks (SRV_RESP2 or SRV_RESP3, HELLO's choice): its output buffer's. */
static inline int srv_client_proto(const srv_client_t *c)
{
    return srv_buf_resp3(&c->out) ? SRV_RESP3 : SRV_RESP2;
}

/* A listening socket (listener.c). */
typedef enum { SRV_LISTEN_TCP, SRV_LISTEN_TLS, SRV_LISTEN_UNIX } srv_listen_kind_t;
#define SRV_LISTENERS_MAX 16
typedef struct srv_listener {
    int fd;
    srv_listen_kind_t kind;
    char name[108]; /* "127.0.0.1:7379", "[::1]:7379", or the unix socket's path */
} srv_listener_t;

/* A message for a worker's thread (srv_worker_post). The poster embeds it first in a struct of
 * its own (allocated by the poster, freed by fn): fn runs on the receiving worker's thread. */
typedef struct srv_task srv_task_t;
typedef void srv_task_fn(srv_worker_t *w, srv_task_t *t);
struct srv_task {
    srv_task_t *next; /* the mailbox's queue; the poster need not set it */
    srv_task_fn *fn;  /* runs once on w's thread (or at release, after w stopped: then no
                       * client of w exists any more) and frees the message */
};

/* A worker thread: its own epoll loop, watching the server's one listening socket. */
struct srv_worker {
    int index;
    int epfd;       /* owned by the worker */
    int wake_fd;    /* eventfd: written by the main thread to ask the worker to stop */
    int handoff[2]; /* pipe: other workers write accepted fds (an int each) for it to adopt */
    /* Clients it owns plus fds handed to it not yet adopted: any worker adds (hand-off), the
     * owner subtracts (close); read relaxed by acceptors to pick the least loaded worker. */
    _Atomic long load;
    /* Running a script now (script.c): acceptors hand it no new client, so a client that
     * connects to send SCRIPT KILL reaches a worker that answers. */
    _Atomic bool in_script;
    pthread_t thread;
    srv_server_t *srv;
    srv_client_t *clients;       /* list; worker thread only */
    struct srv_blocked *blocked; /* its blocked clients (block.c); worker thread only */
    /* Its clients by id (srv_worker_find_client): buckets chained through id_next; worker
     * thread only. by_id_mask + 1 buckets (0 and NULL before the first client). */
    srv_client_t **by_id;
    size_t by_id_mask, by_id_count;
    /* Mailbox (srv_worker_post): tasks from any thread, run on this worker's thread in the order
     * they were posted. mail_mu protects the queue; mail_fd (eventfd) wakes the loop. */
    pthread_mutex_t mail_mu;
    srv_task_t *mail_head, *mail_tail; /* mail_mu */
    int mail_fd;
    /* Bytes of all its clients' buffers (sum of their `mem`) and the largest one's, as last
     * seen: written by the owner, read by every worker for maxmemory-clients. */
    _Atomic uint64_t clients_mem;
    _Atomic uint64_t largest_client_mem;
    _Atomic bool evict_pending; /* an eviction task is queued for this worker */
    srv_client_t **monitors;    /* its MONITOR clients; worker thread only */
    size_t nmonitors, monitors_cap;
    _Atomic int monitor_count;     /* nmonitors, for posters (monitor.c) */
    struct srv_cmdstats *cmdstats; /* per-command counters (cmdstats.c); owner writes */
    int durable_fd;  /* eventfd: the log thread says the log became more durable (hold_seq) */
    int64_t woke_ms; /* when its loop last woke (fl_now_ms): a read's time; worker thread only */
    /* worker-sched-batch (worker.c): whether the thread runs as SCHED_BATCH now, whether the
     * kernel refused it, and the reads and commands counters when `auto` last judged; worker
     * thread only. */
    bool sched_batch, sched_refused;
    uint64_t sched_reads, sched_commands;
    _Alignas(64) srv_stats_t stats; /* own cache lines: no false sharing between workers */
};

/* The settings CONFIG SET may change while workers run: copied from the configuration at
 * start and by CONFIG SET (srv_live_load), read relaxed by the workers. */
typedef struct srv_live {
    _Atomic long long maxclients;
    _Atomic size_t proto_max_bulk_len, max_multibulk_len, client_query_buffer_limit;
    _Atomic int loglevel;
    _Atomic long long timeout_s; /* idle clients closed after this (0 = never) */
    _Atomic unsigned long long obl_hard[SRV_CLASS_COUNT], obl_soft[SRV_CLASS_COUNT],
        obl_secs[SRV_CLASS_COUNT];
    _Atomic unsigned long long maxmemory_clients; /* 0 = no cap */
    _Atomic long long slowlog_slower_than;        /* us; -1 = off */
    _Atomic long long slowlog_max_len;
    _Atomic long long latency_threshold_ms;    /* 0 = off */
    _Atomic bool latency_tracking;             /* per-command histograms */
    _Atomic long long busy_reply_threshold_ms; /* a script this old makes others get -BUSY */
    _Atomic size_t hll_sparse_max_bytes;
} srv_live_t;

/* Copies the runtime-settable settings from srv->cfg into srv->live. */
void srv_live_load(srv_server_t *srv);

/* The running server: configuration and store are read-only once workers run. */
struct srv_server {
    srv_config_t cfg;
    const char *config_file; /* NULL when running on the embedded default */
    fl_store_t *store;
    srv_acl_t *acl; /* users (acl.c; internally synchronised); NULL: no access control */
    srv_worker_t *workers;
    int nworkers;
    /* The listening sockets (listener.c; no SO_REUSEPORT: a busy port fails the start).
     * Opened and closed by the main thread (server.c) outside the workers' lifetime; every
     * worker's epoll watches each with EPOLLEXCLUSIVE and accepts from it, non-blocking. */
    srv_listener_t listeners[SRV_LISTENERS_MAX];
    int nlisteners;
    struct ssl_ctx_st *tls; /* tls.c: the TLS context when tls-port is set, else NULL */
    int64_t start_ms;
    _Atomic uint64_t next_client_id;
    _Atomic long connected;        /* clients connected, all workers */
    _Atomic size_t peak_allocated; /* high-water of process allocated seen by INFO/MEMORY */
    _Atomic int stopping;
    _Atomic uint64_t ops_per_sec; /* commands in the last second, sampled by the main thread */
    /* CLIENT PAUSE: commands of the paused kind wait until this time (ms; 0 = no pause). */
    _Atomic int64_t pause_until_ms;
    _Atomic int pause_all;       /* 1: every command waits; 0: only writes */
    _Atomic int monitors;        /* MONITOR clients on all workers */
    struct srv_slowlog *slowlog; /* slowlog.c; NULL in-process */
    struct srv_latency *latency; /* latency.c; NULL in-process */
    struct srv_metrics *metrics; /* metrics.c; NULL unless metrics-port is set */
    /* Settings that CONFIG SET changes while workers run, read relaxed by them. */
    srv_live_t live;
    /* Called by SHUTDOWN; the real server signals its main thread. */
    void (*request_shutdown)(srv_server_t *srv);
    /* Durability (src/persist/): NULL for in-process servers (fuzz target, unit tests). Set
     * before workers start. While `loading`, commands other than INFO, SHUTDOWN, CONFIG and
     * COMMAND answer -LOADING. */
    flp_t *persist;
    _Atomic bool loading;
    _Atomic int shutdown_save; /* SHUTDOWN's choice: 0 = by the save rules, 1 = SAVE, -1 = NOSAVE */
};

/* The worker whose thread is running (worker.c), NULL in every other thread. */
extern _Thread_local srv_worker_t *srv_current_worker;

/* A client is touched only by its worker's thread (in-process clients have no worker). */
#define SRV_ASSERT_OWNER(c) FL_ASSERT((c)->worker == NULL || (c)->worker == srv_current_worker)

/* ---- Clients (client.c) ------------------------------------------------------------------ */

/* Initialises an in-process client (fd may be -1) bound to namespace 0. */
void srv_client_init(srv_client_t *c, srv_server_t *srv, srv_worker_t *w, int fd);

/* Frees the client's buffers (does not close fd). */
void srv_client_free_buffers(srv_client_t *c);

/* Parses and dispatches every complete command in c->in; stops early when the output grows
 * past the flush threshold or the client is to be closed. Returns 0, or -1 after a protocol
 * error (the error reply is queued and SRV_CLOSE_AFTER_REPLY set). */
int srv_client_process_input(srv_client_t *c);

/* Runs a client's commands again after a pause or a wait ended (CLIENT UNPAUSE, a fan-out's
 * reply), then settles it. Returns false when the client was closed. Worker thread only. */
bool srv_client_resume(srv_client_t *c);

/* ---- Client bookkeeping and limits (client_info.c, client_limits.c) ---------------------- */

/* The ACL user c is authenticated as ("default" without users). c's worker thread only. */
const char *srv_client_user(const srv_client_t *c);

/* Appends c's CLIENT LIST line (no newline) to out. c's worker thread only. */
void srv_client_describe(const srv_client_t *c, int64_t now_ms, srv_buf_t *out);

/* Puts c's buffers under its meter (c->mem, the worker's clients_mem, maxmemory-clients) and
 * sets its output's hard limit. Called by srv_client_init. */
void srv_client_limits_attach(srv_client_t *c);

/* Re-arms the output's hard limit after bytes were sent or the settings changed. */
void srv_client_limits_refresh(srv_client_t *c);

/* True when c is to close now: already flagged, or past its class's hard limit, or above its
 * soft limit for too long (then flagged, logged and counted). now_ms 0: read the clock only if
 * needed. c's worker thread only. */
bool srv_client_check_limits(srv_client_t *c, int64_t now_ms);

/* Counts a client closed for passing client-query-buffer-limit. */
void srv_client_count_query_limit(srv_client_t *c);

/* Every client's buffers, all workers (an estimate: each worker's sum read relaxed). */
uint64_t srv_clients_memory(const srv_server_t *srv);

/* The worker's periodic pass (about 10 times a second): idle timeout, soft limits, paused
 * clients, maxmemory-clients. Worker thread only. */
void srv_clients_cron(srv_worker_t *w, int64_t now_ms);

/* ---- Fan-out to every worker (fanout.c) --------------------------------------------------- */

typedef struct srv_fanout srv_fanout_t;
typedef void srv_fanout_each_fn(srv_worker_t *w, srv_fanout_t *f);
typedef void srv_fanout_done_fn(srv_client_t *c, srv_fanout_t *f);

/* One command's work spread over every worker: `each` runs on every worker's thread, then
 * `done` on the origin's, with the client (when still connected). */
struct srv_fanout {
    srv_worker_t *origin;
    uint64_t client_id;
    srv_fanout_each_fn *each;
    srv_fanout_done_fn *done;
    _Atomic int pending;     /* workers still to run `each` */
    int nparts;              /* = workers */
    srv_buf_t *parts;        /* parts[i]: written by worker i only, read by `done` */
    _Atomic long long count; /* a total the workers add to */
    void *arg;               /* the request, freed (free) with the fan-out */
};

/* A fan-out for client c (which must belong to a worker); NULL when out of memory. */
srv_fanout_t *srv_fanout_new(srv_client_t *c, srv_fanout_each_fn *each, srv_fanout_done_fn *done);

/* Marks c SRV_WAITING and posts f to every worker. False when out of memory (f freed, c
 * unchanged). c's worker thread only. */
bool srv_fanout_start(srv_client_t *c, srv_fanout_t *f);

/* ---- Observability (cmdstats.c, slowlog.c, latency.c, monitor.c) -------------------------- */

/* Per-command counters of worker w: allocated before it starts, freed at release. */
int srv_cmdstats_init(srv_worker_t *w);
void srv_cmdstats_free(srv_worker_t *w);
/* A call of command `id` (of its subcommand `sub`, "client|list", when not NULL: a static
 * name) that ran for ns nanoseconds (failed: it replied an error). */
void srv_cmdstats_record(srv_client_t *c, size_t id, const char *sub, uint64_t ns, bool failed);
/* A call refused before it ran (arity, pause...). */
void srv_cmdstats_rejected(srv_client_t *c, size_t id);
/* An error reply (its text from '-') counted by its code (ERR, WRONGTYPE, ...). */
void srv_errstats_record(srv_client_t *c, const char *reply, size_t len);
/* Zeroes w's counters; on w's thread (CONFIG RESETSTAT posts it). */
void srv_cmdstats_reset(srv_worker_t *w);
/* INFO sections (every worker summed). */
void srv_info_commandstats(srv_server_t *srv, srv_buf_t *out);
void srv_info_errorstats(srv_server_t *srv, srv_buf_t *out);
void srv_info_latencystats(srv_server_t *srv, srv_buf_t *out);
/* LATENCY HISTOGRAM [command ...]'s reply. */
void srv_reply_latency_histogram(srv_client_t *c, int argc, const fl_slice_t *argv);

/* The slow log and the latency monitor: created before the workers start (NULL in-process:
 * then nothing is recorded), destroyed after they stopped. Return 0 or -1. */
int srv_slowlog_create(srv_server_t *srv);
void srv_slowlog_destroy(srv_server_t *srv);
void srv_slowlog_push(srv_client_t *c, const struct srv_cmd *cmd, int argc, const fl_slice_t *argv,
                      uint64_t usec);

/* Whether argument i of cmd called with argv is a secret the slow log and MONITOR show as
 * "(redacted)", as Redis 7.0 redacts them: AUTH's arguments, HELLO's AUTH username and password,
 * every argument of ACL SETUSER, the value of CONFIG SET requirepass / masterauth /
 * masteruser. (commands.c) */
bool srv_cmd_redacted(const struct srv_cmd *cmd, int argc, const fl_slice_t *argv, int i);

/* Runs cmd for c as dispatch does once the command is admitted: its handler, then the
 * statistics, slow log, latency monitor and MONITOR feed. EXEC runs its queue through it, so
 * each queued command is counted and logged as Redis counts them. (commands.c) */
void srv_cmd_call(srv_client_t *c, const struct srv_cmd *cmd, int argc, const fl_slice_t *argv);
int srv_latency_create(srv_server_t *srv);
void srv_latency_destroy(srv_server_t *srv);
/* Records `event` (a static name) when ms passes latency-monitor-threshold. */
void srv_latency_add(srv_server_t *srv, const char *event, uint64_t ms);

/* The opt-in Prometheus endpoint (metrics-port): starts its thread when the port is set
 * (0 or -errno with the reason in err); stop joins it. The text alone: srv_metrics_text. */
int srv_metrics_start(srv_server_t *srv, char *err, size_t errlen);
void srv_metrics_stop(srv_server_t *srv);
void srv_metrics_text(srv_server_t *srv, srv_buf_t *out);

/* MONITOR: sends the command to every monitor; forgets a closing monitor. */
void srv_monitor_feed(srv_client_t *c, const struct srv_cmd *cmd, int argc, const fl_slice_t *argv);
void srv_monitor_detach(srv_client_t *c);

/* CONFIG REWRITE (config_rewrite.c): writes srv->cfg into the file the server started from,
 * keeping its comments and order. Caller holds the configuration lock. Returns 0, or -1 with
 * the reason in err. */
int srv_config_rewrite(srv_server_t *srv, char *err, size_t errlen);

/* CLIENT PAUSE: true when the command named `name` must wait now (cmd_client.c). */
bool srv_pause_holds(const srv_client_t *c, fl_slice_t name);

/* CLIENT SETNAME's rule: printable characters, no spaces. */
bool srv_client_name_valid(fl_slice_t s);
/* After a command ran on c, when appendfsync is always: holds c's output until the log is
 * durable as far as the command appended (seq_before = flp_thread_seq() before it), or for a
 * command that appended nothing (a read), as far as anyone had appended: a reply never shows
 * a change that a crash could still lose (except while the log cannot be written: reads are
 * then answered, and may show the one write the failure caught, never acknowledged). */
void srv_client_note_log(srv_client_t *c, uint64_t seq_before);

/* ---- Commands (commands.c) -------------------------------------------------------------- */

typedef void srv_cmd_fn(srv_client_t *c, int argc, const fl_slice_t *argv);

#define SRV_CMD_WRITE 0x1u
#define SRV_CMD_READONLY 0x2u
#define SRV_CMD_FAST 0x4u
#define SRV_CMD_ADMIN 0x8u
#define SRV_CMD_NO_AUTH 0x10u /* runs before the client authenticated (AUTH, HELLO, QUIT) */
/* The first argument names a subcommand (CONFIG GET): ACL rules may allow `+config|get`, and
 * NOPERM errors name 'config|get', as Redis does. */
#define SRV_CMD_SUBCOMMANDS 0x20u
/* How a command uses its keys, for ACL key permissions (%R~ / %W~), as Redis's key
 * specifications say: by default a read-only command reads the value (read permission) and a
 * write command changes it (write permission). KEY_READS_TOO: a write that also returns or uses
 * the old value (INCR, GETSET: read and write). KEY_META_ONLY: a read of the key's existence,
 * type or length only (EXISTS, STRLEN: any pattern matching the key will do). */
#define SRV_CMD_KEY_READS_TOO 0x40u
#define SRV_CMD_KEY_META_ONLY 0x80u
#define SRV_CMD_NO_MULTI 0x100u  /* refused inside MULTI */
#define SRV_CMD_PUBSUB_OK 0x200u /* allowed in subscribed mode (RESP2) */
/* Needs the whole store (scripting): a transaction holding it locks every partition. */
#define SRV_CMD_ALL_PARTS 0x400u
/* The command counts its keys (Redis's "movablekeys": EVAL, LMPOP, ZUNIONSTORE ...): the
 * numkeys argument is argv[1] or argv[2] and its keys follow it. Read through
 * srv_cmd_each_key, never directly. */
#define SRV_CMD_NUMKEYS_1 0x800u
#define SRV_CMD_NUMKEYS_2 0x1000u
/* A read that may change its key's value (PFCOUNT refreshing the cached cardinality):
 * refused in read-only scripts, as Redis refuses its may_replicate commands there. Its keys
 * still need only read permission (Redis's key specification: ACCESS). */
#define SRV_CMD_MAY_WRITE 0x2000u
/* Key permissions beyond the defaults above, as Redis's key specifications ask: KEY_READ_ONLY,
 * a write whose keys need only read permission (PFDEBUG: ACCESS); SOURCES_AFTER_FIRST, a write
 * whose range is its destination, then sources that need only read (PFMERGE). */
#define SRV_CMD_KEY_READ_ONLY 0x4000u
#define SRV_CMD_SOURCES_AFTER_FIRST 0x8000u
/* Keys an option names (SORT's STORE, and the keys BY/GET patterns read): Redis's
 * "movablekeys" too (COMMAND INFO). srv_cmd_each_key knows SORT's. */
#define SRV_CMD_KEYS_IN_OPTIONS 0x10000u
/* Replies only with pub/sub confirmations: push data, which CLIENT REPLY OFF / SKIP does not
 * silence in either protocol (Redis's CLIENT_PUSHING). */
#define SRV_CMD_PUSHES 0x20000u
/* Not in the slow log itself (EXEC: the commands it ran are, each on its own). */
#define SRV_CMD_SKIP_SLOWLOG 0x40000u

/* Redis's ACL command categories, in Redis's order (ACL CAT lists them so): one row each,
 * iterated by every consumer (acl.c). A command's categories are its row's acl_cats plus
 * those its flags imply (srv_cmd_categories). */
#define SRV_ACL_CATEGORIES(X)                                                                      \
    X(KEYSPACE, "keyspace")                                                                        \
    X(READ, "read")                                                                                \
    X(WRITE, "write")                                                                              \
    X(SET, "set")                                                                                  \
    X(SORTEDSET, "sortedset")                                                                      \
    X(LIST, "list")                                                                                \
    X(HASH, "hash")                                                                                \
    X(STRING, "string")                                                                            \
    X(BITMAP, "bitmap")                                                                            \
    X(HYPERLOGLOG, "hyperloglog")                                                                  \
    X(GEO, "geo")                                                                                  \
    X(STREAM, "stream")                                                                            \
    X(PUBSUB, "pubsub")                                                                            \
    X(ADMIN, "admin")                                                                              \
    X(FAST, "fast")                                                                                \
    X(SLOW, "slow")                                                                                \
    X(BLOCKING, "blocking")                                                                        \
    X(DANGEROUS, "dangerous")                                                                      \
    X(CONNECTION, "connection")                                                                    \
    X(TRANSACTION, "transaction")                                                                  \
    X(SCRIPTING, "scripting")

enum {
#define SRV_ACL_CAT_BIT(id, name) SRV_ACL_BIT_##id,
    SRV_ACL_CATEGORIES(SRV_ACL_CAT_BIT)
#undef SRV_ACL_CAT_BIT
        SRV_ACL_NCATEGORIES
};
#define SRV_ACL_CAT(id) (1u << SRV_ACL_BIT_##id)

/* A subcommand of a container command (CLIENT KILL, ACL SETUSER): as in Redis, it has its own
 * ACL bit and categories (its flags imply @read/@write/@fast/@slow/@admin/@dangerous as a
 * command's do; acl_cats adds the rest). A container's table (srv_cmd.h, srv_subcmd_table_t)
 * ends with a {NULL} row; a container without one has its row's categories for every
 * subcommand. */
typedef struct srv_subcmd {
    const char *name; /* lower case */
    unsigned flags;   /* SRV_CMD_* */
    unsigned acl_cats;
} srv_subcmd_t;

typedef struct srv_cmd {
    const char *name; /* lower case */
    int arity;        /* Redis style: n exact, -n at least n (command name included) */
    unsigned flags;
    srv_cmd_fn *fn;
    int first_key, last_key, step;
    /* ACL categories (SRV_ACL_CAT(x) bits) beyond those the flags imply: @read, @write, @fast
     * or else @slow, and @admin + @dangerous come from the flags, so a row that leaves this 0
     * still gets sensible categories. Name the type (@string, @hash, @keyspace ...) here. */
    unsigned acl_cats;
} srv_cmd_t;

/* Called by srv_cmd_each_key for the key at argv[pos]; `source` is true for a key a write
 * command only reads (ZUNIONSTORE's inputs). Returns false to stop. */
typedef bool srv_key_fn(void *ctx, int pos, bool source);

/* The one definition of where a command's keys are (keyspec.c): calls fn for each key of cmd
 * called with argv: first_key..last_key by step, then the keys a numkeys argument counts.
 * Returns SRV_KEYS_ALL when every key was visited, SRV_KEYS_STOPPED when fn stopped it, or
 * SRV_KEYS_BAD_COUNT when the numkeys argument is not a number, negative or larger than the
 * arguments (its keys are not visited: the command refuses the call itself). Any thread. */
enum { SRV_KEYS_ALL, SRV_KEYS_STOPPED, SRV_KEYS_BAD_COUNT };
int srv_cmd_each_key(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv, srv_key_fn *fn,
                     void *ctx);

/* The index of cmd's numkeys argument (SRV_CMD_NUMKEYS_*), or 0 when it has none. */
int srv_cmd_numkeys_at(const srv_cmd_t *cmd);

/* True when cmd's arguments name keys (a key range or a numkeys list). */
bool srv_cmd_has_keys(const srv_cmd_t *cmd);

/* Most commands the table may hold (commands.c aborts at start beyond it; ACL bitmaps size). */
#define SRV_CMDS_MAX 512

/* The command's ACL categories: its row's acl_cats plus those its flags imply. */
unsigned srv_cmd_categories(const srv_cmd_t *cmd);

/* Position of cmd in the sorted index (srv_cmd_at(srv_cmd_id(cmd)) == cmd): its ACL entry. */
size_t srv_cmd_id(const srv_cmd_t *cmd);

/* ACL entries: every command (ids 0 .. srv_cmd_count()-1, as srv_cmd_at), then every
 * subcommand of the containers that list theirs; each is one bit of an ACL command bitmap.
 * Built with the index, read-only afterwards (any thread). */
size_t srv_acl_entry_count(void);
const char *srv_acl_entry_name(size_t id); /* "get", "client|kill" */
unsigned srv_acl_entry_categories(size_t id);
/* A command's subcommand entries: ids *first .. *first + returned count - 1 (0: none). */
size_t srv_cmd_sub_range(size_t cmd_id, size_t *first);
/* The entry of cmd's subcommand `sub` (any case), or -1 (not a container with a table, or no
 * such subcommand). */
ssize_t srv_cmd_sub_id(size_t cmd_id, const char *sub, size_t len);

/* Looks a command up by name, case-insensitively; NULL when unknown. */
const srv_cmd_t *srv_cmd_lookup(const char *name, size_t len);

/* The position of cmd in the table (srv_cmd_at(srv_cmd_id(cmd)) == cmd): per-command
 * statistics are arrays indexed by it. */
size_t srv_cmd_id(const srv_cmd_t *cmd);

/* Number of commands and the i-th one (COMMAND). */
size_t srv_cmd_count(void);
const srv_cmd_t *srv_cmd_at(size_t i);

/* Checks arity and runs one command, replying an error for unknown names and bad arity. */
void srv_cmd_dispatch(srv_client_t *c, int argc, const fl_slice_t *argv);

/* Replies the error a store status maps to (WRONGTYPE, not an integer, OOM naming the
 * namespace, ...). */
void srv_reply_status(srv_client_t *c, int status);

/* A sink that writes store values into c->out as RESP. */
void srv_sink_init(fl_sink_t *sink, srv_client_t *c);

/* Parses a whole slice as a strict base-10 int64 (Redis's string2ll rules). */
bool srv_slice_to_ll(fl_slice_t s, long long *out);

/* Case-insensitive comparison of a slice with a NUL-terminated word. */
bool srv_slice_eq(fl_slice_t s, const char *word);

/* ---- Memory snapshot (memstats.c), INFO (info.c) ----------------------------------------- */

/* Builds one INFO section ("# Name" then its fields) into out. A row of info.c's table. */
typedef void srv_info_section_fn(srv_server_t *srv, srv_buf_t *out);

/* Appends one INFO line (printf format, "\r\n" added). For section builders. */
void srv_info_field(srv_buf_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "1.23M"-style human size into buf (INFO memory's *_human fields, MEMORY DOCTOR). */
void srv_human_bytes(char *buf, size_t len, uint64_t n);

/* a / b, or 1.0 when b is 0: the Redis-named ratios of INFO memory and MEMORY STATS. */
double srv_mem_ratio(size_t a, size_t b);

/* Everything INFO memory / MEMORY STATS / MEMORY DOCTOR report, taken at one moment. */
typedef struct srv_mem_snapshot {
    fl_mem_stats_t process; /* whole process (process_rc 0 when available) */
    fl_mem_stats_t priv;    /* all thread-private arenas together */
    int process_rc, priv_rc;
    fl_mem_stats_t arena[SRV_ARENA_COUNT]; /* each server-lifetime arena (lifetime.h) */
    int arena_rc[SRV_ARENA_COUNT];
    size_t n_ns;
    fl_ns_stats_t ns[SRV_NS_MAX];
    int ns_rc[SRV_NS_MAX];
    const char *ns_name[SRV_NS_MAX];
    uint64_t keys;         /* over all namespaces */
    size_t ns_used;        /* store's used bytes over all namespaces */
    size_t ns_requested;   /* namespace arenas' requested bytes */
    size_t peak_allocated; /* highest process allocated seen */
} srv_mem_snapshot_t;

/* Takes a snapshot (and raises srv->peak_allocated). */
void srv_mem_snapshot(srv_server_t *srv, srv_mem_snapshot_t *s);

/* Appends MEMORY DOCTOR's verdict, computed from the snapshot's breakdown, to out. */
void srv_mem_doctor(const srv_mem_snapshot_t *s, srv_buf_t *out);

/* ---- INFO (info.c) ------------------------------------------------------------------------ */

/* Appends the INFO text for the sections named in argv (all sections when argc == 0). */
void srv_info_build(srv_server_t *srv, srv_buf_t *out, int argc, const fl_slice_t *argv);

/* ---- Workers and server (worker.c, server.c) --------------------------------------------- */

/* Creates worker w's epoll instance, eventfd and hand-off pipe and registers them and the
 * listener. Every worker is prepared before any starts: workers read each other's pipes.
 * Returns 0 or -errno (srv_worker_release closes what was made). */
int srv_worker_prepare(srv_worker_t *w);

/* Starts worker w's thread (after srv_worker_prepare). Returns 0 or -errno. */
int srv_worker_start(srv_worker_t *w);

/* ---- Listeners (listener.c), connections (conn.c), TLS (tls.c) ---------------------------- */

/* Opens every configured listener (bind addresses x {port, tls-port}, unixsocket) into
 * srv->listeners, without SO_REUSEPORT, so a port another process listens on fails here
 * ("Address already in use"). Returns 0, or -errno with the reason in err (nothing stays
 * open). Main thread, before the workers start. */
int srv_listen(srv_server_t *srv, char *err, size_t errlen);

/* Closes every listener (and removes the unix socket's file). Main thread, workers stopped. */
void srv_listen_close(srv_server_t *srv);

/* "127.0.0.1:7379, tls [::1]:7380, /tmp/s" into buf, for the start-up log line. */
void srv_listen_describe(const srv_server_t *srv, char *buf, size_t len);

/* Whether the peer of connected socket fd is on a loopback address or a unix socket. */
bool srv_peer_is_local(int fd);

/* Creates srv->tls from tls-cert-file, tls-key-file, tls-ca-cert-file, tls-auth-clients when
 * tls-port is set. Returns 0, or -1 with OpenSSL's reason in err. Main thread. */
int srv_tls_init(srv_server_t *srv, char *err, size_t errlen);

/* Frees srv->tls (after every client closed). */
void srv_tls_free(srv_server_t *srv);

/* Sets up c->conn for a client accepted on a listener of `kind`: a TLS session in server mode
 * (handshake pending) for SRV_LISTEN_TLS. Returns 0 or -1 (out of memory, no TLS context). */
int srv_conn_open(srv_client_t *c, srv_listen_kind_t kind);

/* Reads / writes like read(2) / write(2) through the connection: > 0 bytes, 0 end of stream
 * (read), -1 with errno (EAGAIN: try when epoll says so; c->conn.want_write tells which). */
ssize_t srv_conn_read(srv_client_t *c, void *buf, size_t n);
ssize_t srv_conn_write(srv_client_t *c, const void *buf, size_t n);

/* Bytes already decrypted and waiting in the TLS session (epoll cannot see them). */
size_t srv_conn_pending(const srv_client_t *c);

/* Advances a TLS handshake: 1 done, 0 in progress (wait for c->conn.want_write ? EPOLLOUT :
 * EPOLLIN), -1 failed (the reason in err). */
int srv_conn_handshake(srv_client_t *c, char *err, size_t errlen);

/* Ends the TLS session, if any (best-effort close_notify); the caller closes the fd. */
void srv_conn_close(srv_client_t *c);

/* Queues task t for worker `to` and wakes it: t->fn(to, t) runs on to's thread, after the
 * tasks posted to `to` before it (a total order per receiving worker, so messages from one
 * poster keep their order). Any thread may post, `to` itself included; never blocks on I/O. */
void srv_worker_post(srv_worker_t *to, srv_task_t *t);

/* After a task (or anything outside the client's own event) appended to c->out on c's worker
 * thread: writes what it can and updates what the worker waits for, closing the client when its
 * flags say so. c must not be used afterwards when it was closed: returns false then. */
bool srv_client_settle(srv_client_t *c);

/* Like srv_client_settle for output that may be followed by more soon (a burst of pub/sub
 * messages from the mailbox): instead of writing now, makes the worker wait for writability,
 * so everything appended until its next loop turn leaves in one write. Settles at once when
 * the client is over a limit, to close, handshaking or holding output. c's worker thread. */
void srv_client_settle_soon(srv_client_t *c);

/* The client of w with this id, or NULL when it is gone. w's thread only (a task posted to w
 * finds its target this way, so a client closed meanwhile is simply not found). O(1). */
srv_client_t *srv_worker_find_client(srv_worker_t *w, uint64_t id);

/* Asks the worker to stop and joins it (closes its clients; the listener stays open). */
void srv_worker_stop(srv_worker_t *w);

/* After every worker stopped, before any is released: runs the tasks still queued, until no
 * worker has any (a task may post another, e.g. a fan-out's reply). */
void srv_workers_drain_mail(srv_server_t *srv);

/* After every worker stopped: closes fds still waiting in w's hand-off pipe, and w's epoll,
 * eventfd and pipe. */
void srv_worker_release(srv_worker_t *w);

/* ---- Log (log.c) -------------------------------------------------------------------------- */

/* Logs to stderr, Redis-style, when level <= the configured loglevel (srv may be NULL: always
 * logs). */
void srv_log(const srv_server_t *srv, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* FLATLINE_SERVER_SRV_H */
