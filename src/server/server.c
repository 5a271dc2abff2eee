/*
 * src/server/server.c: start-up and shutdown of the whole server, and logging.
 *
 * The main thread blocks SIGINT/SIGTERM before anything starts a thread, opens
 * the store, creates the users (requirepass, aclfile) and the TLS context, opens the
 * listening sockets (a busy port ends the start with exit status 1), starts the workers, then only
 * waits for SIGINT/SIGTERM (sigtimedwait; SHUTDOWN sends SIGTERM to the process) and samples the
 * memory peak once a second. Shutdown order: stop every worker (each closes its clients), close the
 * listeners, then fl_store_close, so no request runs against a closing store.
 *
 * Persistence (src/persist/): the store's hooks are installed before workers start; workers
 * answer -LOADING while the main thread loads the data, then the log thread starts. At
 * shutdown (SIGTERM, SIGINT, SHUTDOWN) the workers stop first (no write after the final
 * snapshot), then SHUTDOWN SAVE or configured save rules take a snapshot, then the log is
 * written and fsynced. SIGHUP is logged and otherwise ignored (it used to kill the server).
 *
 * Invariants: SIGINT/SIGTERM/SIGHUP are blocked in every thread (the store's and
 * jemalloc's background threads and the workers inherit the mask, since it is
 * set before any of them starts), so only sigtimedwait here receives them;
 * SIGPIPE is ignored (write errors close a client).
 */
#include "server.h"
#include "srv.h"
#include "script.h"
#include "notify.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

void srv_live_load(srv_server_t *srv)
{
    const srv_config_t *c = &srv->cfg;
    srv_live_t *l = &srv->live;
    atomic_store(&l->maxclients, c->maxclients);
    atomic_store(&l->proto_max_bulk_len, c->proto_max_bulk_len);
    atomic_store(&l->max_multibulk_len, c->max_multibulk_len);
    atomic_store(&l->client_query_buffer_limit, c->client_query_buffer_limit);
    atomic_store(&l->loglevel, c->loglevel);
    atomic_store(&l->timeout_s, c->timeout);
    for (int i = 0; i < SRV_CLASS_COUNT; i++) {
        atomic_store(&l->obl_hard[i], c->obl[i].hard);
        atomic_store(&l->obl_soft[i], c->obl[i].soft);
        atomic_store(&l->obl_secs[i], c->obl[i].secs);
    }
    atomic_store(&l->maxmemory_clients, c->maxmemory_clients);
    atomic_store(&l->slowlog_slower_than, c->slowlog_log_slower_than);
    atomic_store(&l->slowlog_max_len, c->slowlog_max_len);
    atomic_store(&l->latency_threshold_ms, c->latency_monitor_threshold);
    atomic_store(&l->latency_tracking, c->latency_tracking);
    atomic_store(&l->busy_reply_threshold_ms, c->busy_reply_threshold);
    atomic_store(&l->hll_sparse_max_bytes, c->hll_sparse_max_bytes);
}

static void request_shutdown(srv_server_t *srv)
{
    atomic_store(&srv->stopping, 1);
    kill(getpid(), SIGTERM);
}

static int start_workers(srv_server_t *srv)
{
    srv->nworkers = (int)srv->cfg.threads;
    size_t bytes = (size_t)srv->nworkers * sizeof(*srv->workers); /* a multiple of 64 */
    srv->workers = aligned_alloc(64, bytes); /* honours the stats' cache-line alignment */
    if (!srv->workers)
        return -ENOMEM;
    memset(srv->workers, 0, bytes);
    for (int i = 0; i < srv->nworkers; i++) {
        srv_worker_t *w = &srv->workers[i];
        w->index = i;
        w->srv = srv;
        w->epfd = w->wake_fd = w->mail_fd = w->durable_fd = w->handoff[0] = w->handoff[1] = -1;
    }
    for (int i = 0; i < srv->nworkers; i++) {
        int rc = srv_worker_prepare(&srv->workers[i]);
        if (rc < 0) {
            srv_log(srv, SRV_LOG_WARNING, "cannot prepare worker %d: %s", i, strerror(-rc));
            for (int j = 0; j <= i; j++)
                srv_worker_release(&srv->workers[j]);
            return rc;
        }
    }
    for (int i = 0; i < srv->nworkers; i++) /* before the log thread starts (flp_start) */
        flp_add_waker(srv->persist, srv->workers[i].durable_fd);
    for (int i = 0; i < srv->nworkers; i++) {
        srv_worker_t *w = &srv->workers[i];
        int rc = srv_worker_start(w);
        if (rc < 0) {
            srv_log(srv, SRV_LOG_WARNING, "cannot start worker %d: %s", i, strerror(-rc));
            for (int j = 0; j < i; j++)
                srv_worker_stop(&srv->workers[j]);
            for (int j = 0; j < srv->nworkers; j++) /* i.. never started */
                srv_worker_release(&srv->workers[j]);
            return rc;
        }
    }
    return 0;
}

/* Makes room for maxclients descriptors (as Redis does): raises the soft limit,
 * or lowers maxclients to what the hard limit allows, saying so. */
static void fit_open_files(srv_server_t *srv)
{
    struct rlimit rl;
    rlim_t want = (rlim_t)srv->cfg.maxclients + 64;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= want)
        return;
    rlim_t got = want < rl.rlim_max ? want : rl.rlim_max;
    rl.rlim_cur = got;
    if (setrlimit(RLIMIT_NOFILE, &rl) != 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0)
        got = rl.rlim_cur;
    if (got < want) {
        long long fit = got > 96 ? (long long)got - 64 : 32;
        srv_log(srv, SRV_LOG_WARNING,
                "open files limit %llu is too low for maxclients %lld: maxclients "
                "is now %lld",
                (unsigned long long)got, srv->cfg.maxclients, fit);
        srv->cfg.maxclients = fit;
        atomic_store(&srv->live.maxclients, fit);
    }
}

static void persist_log(void *ctx, int level, const char *msg)
{
    srv_log(ctx, level == 0 ? SRV_LOG_WARNING : SRV_LOG_NOTICE, "%s", msg);
}

/* Loads the data while workers answer -LOADING, then starts the log. 0 or -1 (logged). */
static int load(srv_server_t *srv)
{
    char err[1024];
    int64_t t0 = fl_now_ms();
    if (flp_load(srv->persist, err, sizeof(err)) != 0 ||
        flp_start(srv->persist, err, sizeof(err)) != 0) {
        srv_log(srv, SRV_LOG_WARNING, "cannot load the data, not starting: %s", err);
        return -1;
    }
    uint64_t keys = 0;
    for (size_t i = 0; i < fl_store_ns_count(srv->store); i++)
        keys += fl_ns_size(fl_store_ns(srv->store, i));
    srv_log(srv, SRV_LOG_NOTICE, "Done loading: %llu keys in %.3f seconds",
            (unsigned long long)keys, (double)(fl_now_ms() - t0) / 1000.0);
    atomic_store(&srv->loading, false);
    return 0;
}

/* After the workers stopped: the snapshot SHUTDOWN SAVE or the save rules ask for (not with
 * NOSAVE). 0, or -1 when it failed (logged; the exit status says so). */
static int final_save(srv_server_t *srv)
{
    char err[512];
    int want = atomic_load(&srv->shutdown_save);
    if (want < 0 || (want == 0 && srv->cfg.persist.n_save == 0))
        return 0;
    srv_log(srv, SRV_LOG_NOTICE, "Saving the final RDB snapshot before exiting.");
    if (flp_save(srv->persist, err, sizeof(err)) != 0) {
        srv_log(srv, SRV_LOG_WARNING, "Error trying to save the DB: %s", err);
        return -1;
    }
    return 0;
}

/* Users (requirepass, aclfile) and the TLS context: 0, or -1 with the reason in err. */
static int access_open(srv_server_t *srv, char *err, size_t errlen)
{
    if (srv_acl_create(&srv->acl, srv->cfg.requirepass) != 0) {
        snprintf(err, errlen, "cannot create the users: out of memory");
        return -1;
    }
    if (srv->cfg.aclfile[0] && srv->cfg.acl_users[0]) {
        snprintf(err, errlen,
                 "Configuring Redis with users defined in redis.conf and at the same "
                 "setting an ACL file path is invalid. This setup is very likely to "
                 "lead to configuration errors and security holes, please define "
                 "either an ACL file or declare users directly in your redis.conf, "
                 "but not both.");
        srv_acl_destroy(srv->acl);
        srv->acl = NULL;
        return -1;
    }
    if (srv->cfg.acl_users[0] &&
        srv_acl_load_text(srv->acl, srv->cfg.acl_users, "'user' line", err, errlen) != 0) {
        memmove(err, err + 4, strlen(err + 4) + 1); /* without the reply's "ERR " */
        srv_acl_destroy(srv->acl);
        srv->acl = NULL;
        return -1;
    }
    if (srv->cfg.aclfile[0] && srv_acl_load_file(srv->acl, srv->cfg.aclfile, err, errlen) != 0) {
        memmove(err, err + 4, strlen(err + 4) + 1); /* without the reply's "ERR " */
        srv_acl_destroy(srv->acl);
        srv->acl = NULL;
        return -1;
    }
    if (srv_tls_init(srv, err, errlen) != 0) {
        srv_acl_destroy(srv->acl);
        srv->acl = NULL;
        return -1;
    }
    return 0;
}

/* Stops persistence (the log is written and fsynced), then closes the store. */
static void close_store(srv_server_t *srv)
{
    flp_close(srv->persist);
    fl_store_close(srv->store); /* its background thread may still call the (quiet) hooks */
    srv->store = NULL;
    flp_free(srv->persist);
    srv->persist = NULL;
}

static void access_close(srv_server_t *srv)
{
    srv_tls_free(srv);
    srv_acl_destroy(srv->acl);
    srv->acl = NULL;
}

static int wait_for_signal(srv_server_t *srv, const sigset_t *set)
{
    uint64_t last_commands = 0;
    for (;;) {
        struct timespec ts = {1, 0};
        int sig = sigtimedwait(set, NULL, &ts);
        if (sig == SIGHUP) {
            srv_log(srv, SRV_LOG_NOTICE, "Received SIGHUP: ignored (the server keeps running)");
            continue;
        }
        if (sig > 0)
            return sig;
        if (errno == EAGAIN) { /* once a second: used_memory_peak and ops/sec */
            srv_mem_snapshot_t s;
            srv_stats_sum_t t;
            srv_mem_snapshot(srv, &s);
            srv_stats_sum(srv, &t);
            atomic_store(&srv->ops_per_sec, t.commands - last_commands);
            last_commands = t.commands;
            flp_cron(srv->persist);
        }
    }
}

/* Frees the slow log and the latency monitor (after the workers stopped). */
static void stop_observers(srv_server_t *srv)
{
    srv_slowlog_destroy(srv);
    srv_latency_destroy(srv);
}

int srv_server_run(srv_server_t *srv)
{
    char err[1024];
    /* First, before fl_mem_init or fl_store_open can start a thread: every thread
     * inherits this mask, so a signal can only be taken by sigtimedwait below,
     * never by the default action (death with status 143) in a background thread.
     */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    srv->nlisteners = 0;
    srv->start_ms = fl_now_ms();
    srv_live_load(srv);
    srv->request_shutdown = request_shutdown;
    fl_mem_opts_t mopts = {.background_thread = srv->cfg.mem_background_thread};
    int rc = fl_mem_init(&mopts);
    if (rc == -ENOTSUP && mopts.background_thread) { /* e.g. a TSan build */
        srv_log(srv, SRV_LOG_NOTICE,
                "jemalloc background threads unavailable here (%s): "
                "freed pages are returned by decay on the request path",
                fl_mem_strerror(rc));
        mopts.background_thread = false;
        rc = fl_mem_init(&mopts);
    }
    if (rc != 0)
        srv_log(srv, SRV_LOG_WARNING, "memory layer: %s (statistics will be partial)",
                fl_mem_strerror(rc));
    if (fl_store_open(&srv->store, srv->cfg.ns, srv->cfg.n_ns, err, sizeof(err)) != FL_OK) {
        srv_log(srv, SRV_LOG_WARNING, "cannot open the store: %s", err);
        return 1;
    }
    fl_store_set_coll_limits(srv->store, &srv->cfg.coll); /* before loading: RDB sets convert */
    srv_notify_install(srv); /* switched on after loading (loading notifies nobody) */
    fit_open_files(srv);
    if (srv_slowlog_create(srv) < 0 || srv_latency_create(srv) < 0) {
        srv_log(srv, SRV_LOG_WARNING, "out of memory at start");
        stop_observers(srv);
        fl_store_close(srv->store);
        return 1;
    }
    if (access_open(srv, err, sizeof(err)) != 0) {
        srv_log(srv, SRV_LOG_WARNING, "%s", err);
        stop_observers(srv);
        fl_store_close(srv->store);
        return 1;
    }
    if (flp_open(&srv->persist, &srv->cfg.persist, srv->store, persist_log, srv, err,
                 sizeof(err)) != 0) { /* nothing installed */
        access_close(srv);
        srv_log(srv, SRV_LOG_WARNING, "%s", err);
        stop_observers(srv);
        fl_store_close(srv->store);
        return 1;
    }
    atomic_store(&srv->loading, true);
    if (srv_listen(srv, err, sizeof(err)) < 0) {
        srv_log(srv, SRV_LOG_WARNING, "%s", err);
        access_close(srv);
        stop_observers(srv);
        close_store(srv);
        return 1;
    }
    if (start_workers(srv) < 0) { /* every worker released: no eventfd left to write */
        srv_listen_close(srv);
        access_close(srv);
        stop_observers(srv);
        close_store(srv);
        free(srv->workers);
        return 1;
    }
    int status = 0;
    if (load(srv) != 0) {
        status = 1;
    } else {
        unsigned notify = 0;
        srv_config_lock();
        srv_notify_parse(srv->cfg.notify_keyspace_events, &notify); /* checked at start */
        srv_notify_configure(srv, notify);
        srv_config_unlock();
        if (srv_metrics_start(srv, err, sizeof(err)) < 0) /* the server runs without it */
            srv_log(srv, SRV_LOG_WARNING, "%s", err);
        char where[512];
        srv_listen_describe(srv, where, sizeof(where));
        srv_log(srv, SRV_LOG_NOTICE,
                "flatline-server ready to accept connections on %s (%d workers, %zu namespaces)",
                where, srv->nworkers, srv->cfg.n_ns);
        int sig = wait_for_signal(srv, &set);
        srv_log(srv, SRV_LOG_NOTICE, "%s: shutting down",
                atomic_load(&srv->stopping) ? "SHUTDOWN" : strsignal(sig));
    }
    atomic_store(&srv->stopping, 1);
    srv_script_abort(); /* a script still running would keep its worker from stopping */
    srv_metrics_stop(srv);
    for (int i = 0; i < srv->nworkers; i++)
        srv_worker_stop(&srv->workers[i]);
    srv_workers_drain_mail(srv); /* fan-outs still in flight: every step, then freed */
    if (status == 0 && final_save(srv) != 0)
        status = 1;
    srv_script_shutdown(); /* the Lua state and the scripts' client, before the store */
    close_store(srv);      /* stops the log thread, which writes the workers' eventfds */
    for (int i = 0; i < srv->nworkers; i++) /* all stopped: no hand-off can race this */
        srv_worker_release(&srv->workers[i]);
    srv_listen_close(srv);
    access_close(srv);
    stop_observers(srv);
    free(srv->workers);
    srv->workers = NULL;
    srv_log(srv, SRV_LOG_NOTICE, "bye");
    return status;
}
