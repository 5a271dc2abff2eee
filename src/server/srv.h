/*
 * src/server/srv.h: the network front's private interfaces (prefix srv_), shared by the files
 * of src/server/ only. Nothing here is public: the server is a program, not a library.
 *
 * Ownership of memory: every byte declared here (client buffers, parser argv, reply buffers)
 * is transient and allocated with plain malloc by a worker thread, so it lands in that
 * worker's private arena (fl_thread_bind_private_arena). Persistent data never lives here:
 * it goes through the store into a namespace's shared arena.
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

#include "flatline/store.h"
#include "config.h"
#include "resp.h"

typedef struct srv_server srv_server_t;
typedef struct srv_worker srv_worker_t;
typedef struct srv_multi srv_multi_t;   /* multi.c: MULTI queue and WATCHed keys */
typedef struct srv_pubsub srv_pubsub_t; /* pubsub.c: a client's subscriptions */

/* Counters of one worker. Written only by the owning worker (relaxed load+store), read by
 * any thread (relaxed load) and summed: no lock, no contended cache line. */
typedef struct srv_stats {
    _Atomic uint64_t connections;     /* accepted */
    _Atomic uint64_t rejected;        /* refused at maxclients */
    _Atomic uint64_t commands;        /* dispatched */
    _Atomic uint64_t net_in, net_out; /* bytes */
    _Atomic uint64_t protocol_errors; /* connections closed for bad input */
} srv_stats_t;

static inline void srv_stat_add(_Atomic uint64_t *s, uint64_t n)
{
    atomic_store_explicit(s, atomic_load_explicit(s, memory_order_relaxed) + n,
                          memory_order_relaxed);
}

/* Sums every worker's counters into *out (plain values). */
typedef struct srv_stats_sum {
    uint64_t connections, rejected, commands, net_in, net_out, protocol_errors;
} srv_stats_sum_t;
void srv_stats_sum(const srv_server_t *srv, srv_stats_sum_t *out);

/* Above this many unsent reply bytes a client's commands wait (and its reads stop) until the
 * socket drains: a client that pipelines without reading cannot grow its buffer unbounded. */
#define SRV_OUT_HIGH (1u << 20)

#define SRV_CLOSE_AFTER_REPLY 0x1u /* QUIT, protocol error: flush the output, then close */
#define SRV_CLOSE_ASAP 0x2u        /* I/O error: close without writing */

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
    char *name;                     /* CLIENT SETNAME, or NULL */
    bool stalled;                   /* commands wait in `in`: unsent output passed SRV_OUT_HIGH */
    srv_multi_t *multi;             /* NULL until the first MULTI or WATCH */
    srv_pubsub_t *pubsub;           /* NULL until the first (P)SUBSCRIBE */
    struct srv_client *id_next;     /* the worker's id index (srv_worker_find_client) */
    uint32_t events;                /* epoll events currently registered */
    struct srv_client *prev, *next; /* the worker's list */
} srv_client_t;

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
    pthread_t thread;
    srv_server_t *srv;
    srv_client_t *clients; /* list; worker thread only */
    /* Its clients by id (srv_worker_find_client): buckets chained through id_next; worker
     * thread only. by_id_mask + 1 buckets (0 and NULL before the first client). */
    srv_client_t **by_id;
    size_t by_id_mask, by_id_count;
    /* Mailbox (srv_worker_post): tasks from any thread, run on this worker's thread in the order
     * they were posted. mail_mu protects the queue; mail_fd (eventfd) wakes the loop. */
    pthread_mutex_t mail_mu;
    srv_task_t *mail_head, *mail_tail; /* mail_mu */
    int mail_fd;
    _Alignas(64) srv_stats_t stats; /* own cache lines: no false sharing between workers */
};

/* The running server: configuration and store are read-only once workers run. */
struct srv_server {
    srv_config_t cfg;
    const char *config_file; /* NULL when running on the embedded default */
    fl_store_t *store;
    srv_worker_t *workers;
    int nworkers;
    /* The one listening socket (no SO_REUSEPORT: a busy port fails the start). Opened and
     * closed by the main thread (server.c) outside the workers' lifetime; every worker's
     * epoll watches it with EPOLLEXCLUSIVE and accepts from it, non-blocking. */
    int listen_fd;
    int64_t start_ms;
    _Atomic uint64_t next_client_id;
    _Atomic long connected;        /* clients connected, all workers */
    _Atomic size_t peak_allocated; /* high-water of process allocated seen by INFO/MEMORY */
    _Atomic int stopping;
    _Atomic uint64_t ops_per_sec; /* commands in the last second, sampled by the main thread */
    /* Called by SHUTDOWN; the real server signals its main thread. */
    void (*request_shutdown)(srv_server_t *srv);
};

/* ---- Clients (client.c) ------------------------------------------------------------------ */

/* Initialises an in-process client (fd may be -1) bound to namespace 0. */
void srv_client_init(srv_client_t *c, srv_server_t *srv, srv_worker_t *w, int fd);

/* Frees the client's buffers (does not close fd). */
void srv_client_free_buffers(srv_client_t *c);

/* Parses and dispatches every complete command in c->in; stops early when the output grows
 * past the flush threshold or the client is to be closed. Returns 0, or -1 after a protocol
 * error (the error reply is queued and SRV_CLOSE_AFTER_REPLY set). */
int srv_client_process_input(srv_client_t *c);

/* ---- Commands (commands.c) -------------------------------------------------------------- */

typedef void srv_cmd_fn(srv_client_t *c, int argc, const fl_slice_t *argv);

#define SRV_CMD_WRITE 0x1u
#define SRV_CMD_READONLY 0x2u
#define SRV_CMD_FAST 0x4u
#define SRV_CMD_ADMIN 0x8u
#define SRV_CMD_NO_MULTI 0x10u  /* refused inside MULTI */
#define SRV_CMD_PUBSUB_OK 0x20u /* allowed in subscribed mode (RESP2) */
/* Needs the whole store (scripting): a transaction holding it locks every partition. */
#define SRV_CMD_ALL_PARTS 0x40u

typedef struct srv_cmd {
    const char *name; /* lower case */
    int arity;        /* Redis style: n exact, -n at least n (command name included) */
    unsigned flags;
    srv_cmd_fn *fn;
    int first_key, last_key, step;
} srv_cmd_t;

/* Looks a command up by name, case-insensitively; NULL when unknown. */
const srv_cmd_t *srv_cmd_lookup(const char *name, size_t len);

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

/* a / b, or 1.0 when b is 0: the Redis-named ratios of INFO memory and MEMORY STATS. */
double srv_mem_ratio(size_t a, size_t b);

/* Everything INFO memory / MEMORY STATS / MEMORY DOCTOR report, taken at one moment. */
typedef struct srv_mem_snapshot {
    fl_mem_stats_t process; /* whole process (process_rc 0 when available) */
    fl_mem_stats_t priv;    /* all thread-private arenas together */
    int process_rc, priv_rc;
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

/* "1.23M"-style human size into buf. */
void srv_human_bytes(char *buf, size_t len, uint64_t n);

/* ---- Workers and server (worker.c, server.c) --------------------------------------------- */

/* Creates worker w's epoll instance, eventfd and hand-off pipe and registers them and the
 * listener. Every worker is prepared before any starts: workers read each other's pipes.
 * Returns 0 or -errno (srv_worker_release closes what was made). */
int srv_worker_prepare(srv_worker_t *w);

/* Starts worker w's thread (after srv_worker_prepare). Returns 0 or -errno. */
int srv_worker_start(srv_worker_t *w);

/* Opens the server's one listening socket on the configured address into srv->listen_fd,
 * without SO_REUSEPORT, so a port another process listens on fails here ("Address already in
 * use"). Returns 0, or -errno with the reason in err. */
int srv_listen(srv_server_t *srv, char *err, size_t errlen);

/* Queues task t for worker `to` and wakes it: t->fn(to, t) runs on to's thread, after the
 * tasks posted to `to` before it (a total order per receiving worker, so messages from one
 * poster keep their order). Any thread may post, `to` itself included; never blocks on I/O. */
void srv_worker_post(srv_worker_t *to, srv_task_t *t);

/* After a task (or anything outside the client's own event) appended to c->out on c's worker
 * thread: writes what it can and updates what the worker waits for, closing the client when its
 * flags say so. c must not be used afterwards when it was closed: returns false then. */
bool srv_client_settle(srv_client_t *c);

/* The client of w with this id, or NULL when it is gone. w's thread only (a task posted to w
 * finds its target this way, so a client closed meanwhile is simply not found). O(1). */
srv_client_t *srv_worker_find_client(srv_worker_t *w, uint64_t id);

/* Asks the worker to stop and joins it (closes its clients; the listener stays open). */
void srv_worker_stop(srv_worker_t *w);

/* After every worker stopped: closes fds still waiting in w's hand-off pipe, and w's epoll,
 * eventfd and pipe. */
void srv_worker_release(srv_worker_t *w);

/* Logs to stderr, Redis-style, when level <= the configured loglevel. */
void srv_log(const srv_server_t *srv, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif /* FLATLINE_SERVER_SRV_H */
