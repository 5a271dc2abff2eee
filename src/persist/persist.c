/*
 * src/persist/persist.c: the persistence state's lifecycle (open, load, start, close), the
 * store hooks' entry points, SAVE / BGSAVE / BGREWRITEAOF and their background thread, the
 * once-a-second rules (save <secs> <changes>, auto-aof-rewrite-*), and INFO persistence.
 *
 * Log directory (Redis 7.0's layout): <dir>/<appenddirname>/ holds <appendfilename>.manifest,
 * one base snapshot <appendfilename>.<n>.base.rdb and incremental logs
 * <appendfilename>.<n>.incr.aof. A rewrite first adds a new incremental file to the manifest,
 * then snapshots the store into a new base while the log splits at the snapshot's point in
 * time (flpi_aof_split_begin: a change goes to the new incremental file exactly when the base
 * does not hold it), then replaces the manifest by {new base, new incr}. A crash at any point
 * leaves a manifest whose files hold every write exactly once (log records are deltas: a
 * write in two of them would be applied twice).
 */
#include "persist_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

void flpi_log(const flp_t *p, int level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (p->log)
        p->log(p->log_ctx, level, msg);
}

static int64_t now_s(void)
{
    return fl_now_ms() / 1000;
}

/* ---- Hooks ---- */

/* A change in db: counts it for the save rules and tells whether the log wants it (false for
 * `storage memory` namespaces, while loading, and after flp_close). */
static bool counts_changes(flp_t *p, size_t db)
{
    return flpi_persisted(p, db) && !atomic_load_explicit(&p->loading, memory_order_relaxed) &&
           !atomic_load_explicit(&p->closed, memory_order_relaxed);
}

static bool change_to_log(flp_t *p, size_t db)
{
    if (!counts_changes(p, db))
        return false;
    atomic_fetch_add_explicit(&p->dirty, 1, memory_order_relaxed);
    return p->cfg.appendonly;
}

static void hook_put(void *ctx, size_t db, uint32_t part, const fl_rec_view_t *v,
                     const fl_delta_t *d)
{
    if (change_to_log(ctx, db))
        flpi_aof_put(ctx, db, part, v, d);
}

static void hook_del(void *ctx, size_t db, uint32_t part, fl_slice_t key)
{
    if (change_to_log(ctx, db))
        flpi_aof_del(ctx, db, part, key);
}

/* FLUSHDB/FLUSHALL of db: one FLUSHDB record, `keys` changes for the save rules (as Redis
 * counts them); false, so that each key is logged as a DEL, when the log cannot say it in one
 * record now (flpi_aof_flush). */
static bool hook_flush(void *ctx, size_t db, uint64_t keys)
{
    flp_t *p = ctx;
    if (!counts_changes(p, db))
        return true; /* nothing of it is counted or logged */
    if (p->cfg.appendonly && !flpi_aof_flush(p, db))
        return false;
    atomic_fetch_add_explicit(&p->dirty, keys, memory_order_relaxed);
    return true;
}

static void hook_group_begin(void *ctx)
{
    (void)ctx;
    flpi_aof_group_begin();
}

static void hook_group_end(void *ctx)
{
    flpi_aof_group_end(ctx);
}

int flp_open(flp_t **out, const flp_config_t *cfg, fl_store_t *store, flp_log_fn *log,
             void *log_ctx, char *err, size_t errlen)
{
    flp_t *p = calloc(1, sizeof(*p));
    if (!p) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    p->cfg = *cfg;
    p->store = store;
    size_t n_ns = fl_store_ns_count(store);
    p->memory_only = calloc(n_ns ? n_ns : 1, sizeof(*p->memory_only));
    if (!p->memory_only) {
        free(p);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    for (size_t i = 0; i < n_ns; i++)
        p->memory_only[i] = fl_ns_config(fl_store_ns(store, i))->storage == FL_STORAGE_MEMORY;
    p->log = log;
    p->log_ctx = log_ctx;
    atomic_store(&p->loading, true);
    atomic_store(&p->last_bgsave_ok, true);
    atomic_store(&p->last_rewrite_ok, true);
    atomic_store(&p->lastsave, now_s());
    atomic_store(&p->last_bgsave_secs, -1);
    atomic_store(&p->last_rewrite_secs, -1);
    pthread_mutex_init(&p->aof.mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->aof.cv, &ca);
    pthread_condattr_destroy(&ca);
    p->aof.fd = -1;
    p->aof.old_fd = -1;
    p->aof.split_fd = -1;
    p->aof.main.cur_db = -1;
    p->aof.pre.cur_db = -1;
    pthread_mutex_init(&p->bg_mu, NULL);
    pthread_mutex_init(&p->rules_mu, NULL);
    pthread_mutex_init(&p->job_mu, NULL);
    fl_store_hooks_t h = {.ctx = p,
                          .put = hook_put,
                          .del = hook_del,
                          .flush = hook_flush,
                          .group_begin = hook_group_begin,
                          .group_end = hook_group_end,
                          .snap_rec = flpi_snap_rec,
                          .snap_done = flpi_snap_done};
    fl_store_set_hooks(store, &h);
    *out = p;
    return 0;
}

bool flp_loading(const flp_t *p)
{
    return atomic_load(&p->loading);
}

void flp_loading_progress(const flp_t *p, uint64_t *done, uint64_t *total, int64_t *start_ms)
{
    *done = atomic_load_explicit(&p->load_done, memory_order_relaxed);
    *total = atomic_load_explicit(&p->load_total, memory_order_relaxed);
    *start_ms = atomic_load_explicit(&p->load_start_ms, memory_order_relaxed);
}

/* ---- Loading ---- */

/* Maps a whole file read-only: 1 (*data and *n set), 0 when absent, -errno (reason in err). */
static int map_file(const char *path, void **data, size_t *n, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return 0;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -errno;
    }
    struct stat st;
    fstat(fd, &st);
    *n = (size_t)st.st_size;
    *data = NULL;
    if (*n) {
        *data = mmap(NULL, *n, PROT_READ, MAP_PRIVATE, fd, 0);
        if (*data == MAP_FAILED) {
            int e = errno;
            close(fd);
            snprintf(err, errlen, "cannot map %s: %s", path, strerror(e));
            return -e;
        }
        madvise(*data, *n, MADV_SEQUENTIAL);
    }
    close(fd);
    return 1;
}

/* Loads an RDB file: 1 when loaded, 0 when absent, -errno (reason in err). */
static int load_rdb(flp_t *p, const char *path, char *err, size_t errlen)
{
    void *data = NULL;
    size_t n = 0;
    int rc = map_file(path, &data, &n, err, errlen);
    if (rc <= 0)
        return rc;
    int64_t t0 = fl_now_ms();
    atomic_store(&p->load_total, n);
    uint64_t skipped = 0;
    rc = flpi_rdb_load(p->store, data, n, path, p->cfg.load_skip_unknown, &skipped, &p->load_done,
                       err, errlen);
    if (n)
        munmap(data, n);
    atomic_fetch_add(&p->load_skipped, skipped);
    if (rc == 0) {
        if (skipped)
            flpi_log(p, 0, "%llu keys of types flatline does not store were skipped (%s)",
                     (unsigned long long)skipped, path);
        flpi_log(p, 1, "DB loaded from disk: %s, %.3f seconds", path,
                 (double)(fl_now_ms() - t0) / 1000.0);
    }
    return rc == 0 ? 1 : rc;
}

/* Replays one log file; a torn end is truncated when it is the last file and the
 * configuration allows it. 1 when loaded, 0 when absent, -errno (reason in err). */
static int load_incr(flp_t *p, const char *path, bool last, char *err, size_t errlen)
{
    void *data = NULL;
    size_t n = 0, valid = 0;
    int rc = map_file(path, &data, &n, err, errlen);
    if (rc <= 0)
        return rc;
    atomic_store(&p->load_total, n);
    rc = flpi_aof_replay(p, data, n, path, &valid, err, errlen);
    if (n)
        munmap(data, n);
    if (rc != 1)
        return rc == 0 ? 1 : rc;
    if (!last || !p->cfg.aof_load_truncated) {
        snprintf(err, errlen,
                 "%s ends in an incomplete command at offset %zu (run redis-check-aof --fix %s, "
                 "or set aof-load-truncated yes)",
                 path, valid, path);
        return -EINVAL;
    }
    if (truncate(path, (off_t)valid) != 0) {
        snprintf(err, errlen, "cannot truncate %s: %s", path, strerror(errno));
        return -errno;
    }
    flpi_log(p, 0,
             "!!! Warning: short read while loading the AOF file %s !!! AOF loaded anyway "
             "because aof-load-truncated is enabled: last command truncated, %zu bytes dropped "
             "(file now %zu bytes)",
             path, n - valid, valid);
    return 1;
}

static void aof_dir(const flp_t *p, char *out, size_t len)
{
    flpi_path(out, len, p->cfg.dir, p->cfg.appenddirname);
}

static void file_name(const flp_t *p, char *out, size_t len, long long seq, bool base)
{
    char t[FLP_PATH_MAX + 64]; /* config bounds appendfilename well below FLP_PATH_MAX */
    snprintf(t, sizeof(t), "%s.%lld.%s", p->cfg.appendfilename, seq,
             base ? "base.rdb" : "incr.aof");
    snprintf(out, len, "%.*s", (int)len - 1, t);
}

static int load_manifest(flp_t *p, const char *dir, char *err, size_t errlen)
{
    char path[FLP_PATH_MAX * 3];
    if (p->man.base[0]) {
        flpi_path(path, sizeof(path), dir, p->man.base);
        size_t l = strlen(p->man.base);
        int rc;
        if (l > 4 && strcmp(p->man.base + l - 4, ".aof") == 0)
            rc = load_incr(p, path, false, err, errlen);
        else
            rc = load_rdb(p, path, err, errlen);
        if (rc == 0) {
            snprintf(err, errlen, "%s is missing (named in the manifest)", path);
            return -ENOENT;
        }
        if (rc < 0)
            return rc;
        struct stat st;
        if (stat(path, &st) == 0)
            atomic_store(&p->aof.base_bytes, (uint64_t)st.st_size);
    }
    for (int i = 0; i < p->man.n_incr; i++) {
        flpi_path(path, sizeof(path), dir, p->man.incr[i]);
        int rc = load_incr(p, path, i == p->man.n_incr - 1, err, errlen);
        if (rc == 0) {
            snprintf(err, errlen, "%s is missing (named in the manifest)", path);
            return -ENOENT;
        }
        if (rc < 0)
            return rc;
    }
    return 0;
}

/* Opens dir/name for appending (created when missing). */
static int open_append(const char *dir, const char *name, char *err, size_t errlen)
{
    char path[FLP_PATH_MAX * 3];
    flpi_path(path, sizeof(path), dir, name);
    int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) /* the path is cut, not the reason, when err is short */
        snprintf(err, errlen, "cannot open %.400s: %s", path, strerror(errno));
    return fd < 0 ? -errno : fd;
}

/* Writes a first base and an empty incremental log for the data loaded (no manifest yet). */
static int create_log_dir(flp_t *p, const char *dir, char *err, size_t errlen)
{
    flpi_manifest_t m = {.base_seq = 1};
    file_name(p, m.base, sizeof(m.base), 1, true);
    file_name(p, m.incr[0], sizeof(m.incr[0]), 1, false);
    m.incr_seq[0] = 1;
    m.n_incr = 1;
    uint64_t bytes, peak;
    int rc = flpi_snapshot_write(p, dir, m.base, -1, &bytes, &peak, err, errlen);
    if (rc != 0)
        return rc;
    atomic_store(&p->aof.base_bytes, bytes);
    int fd = open_append(dir, m.incr[0], err, errlen);
    if (fd < 0)
        return fd;
    p->aof.fd = fd;
    rc = flpi_manifest_write(p->cfg.dir[0] ? dir : dir, p->cfg.appendfilename, &m);
    if (rc != 0) {
        snprintf(err, errlen, "cannot write the manifest in %s: %s", dir, strerror(-rc));
        return rc;
    }
    p->man = m;
    return 0;
}

int flp_load(flp_t *p, char *err, size_t errlen)
{
    char dir[FLP_PATH_MAX * 2], path[FLP_PATH_MAX * 3];
    atomic_store(&p->load_start_ms, fl_now_ms());
    aof_dir(p, dir, sizeof(dir));
    int rc = 0;
    bool have_manifest = false;
    if (p->cfg.appendonly) {
        rc = flpi_manifest_read(dir, p->cfg.appendfilename, &p->man, err, errlen);
        if (rc < 0)
            goto out;
        have_manifest = rc == 1;
        rc = have_manifest ? load_manifest(p, dir, err, errlen) : 0;
    }
    if (rc == 0 && !have_manifest) {
        flpi_path(path, sizeof(path), p->cfg.dir, p->cfg.dbfilename);
        rc = load_rdb(p, path, err, errlen);
        rc = rc > 0 ? 0 : rc;
    }
    if (rc < 0)
        goto out;
    atomic_store(&p->loading, false);
    atomic_store(&p->dirty, 0);
    if (!p->cfg.appendonly)
        return 0;
    if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return -errno;
    }
    if (!have_manifest)
        return create_log_dir(p, dir, err, errlen);
    if (p->man.n_incr == 0) { /* a base alone: start an incremental file after it */
        p->man.incr_seq[0] = p->man.base_seq;
        file_name(p, p->man.incr[0], sizeof(p->man.incr[0]), p->man.base_seq, false);
        p->man.n_incr = 1;
        rc = flpi_manifest_write(dir, p->cfg.appendfilename, &p->man);
        if (rc != 0) {
            snprintf(err, errlen, "cannot write the manifest in %s: %s", dir, strerror(-rc));
            return rc;
        }
    }
    int fd = open_append(dir, p->man.incr[p->man.n_incr - 1], err, errlen);
    if (fd < 0)
        return fd;
    p->aof.fd = fd;
    struct stat st;
    if (fstat(fd, &st) == 0)
        atomic_store(&p->aof.incr_bytes, (uint64_t)st.st_size);
    return 0;
out:
    return rc;
}

int flp_start(flp_t *p, char *err, size_t errlen)
{
    if (!p->cfg.appendonly)
        return 0;
    int rc = flpi_aof_start(p);
    if (rc != 0)
        snprintf(err, errlen, "cannot start the log thread: %s", strerror(-rc));
    return rc;
}

void flp_close(flp_t *p)
{
    if (!p)
        return;
    flp_wait_background(p);
    atomic_store(&p->closed, true);
    flpi_aof_stop(p);
    if (p->aof.fd >= 0) {
        fsync(p->aof.fd);
        close(p->aof.fd);
        p->aof.fd = -1;
    }
}

void flp_free(flp_t *p)
{
    if (!p)
        return;
    flpi_buf_free(&p->aof.main.buf);
    flpi_buf_free(&p->aof.pre.buf);
    flpi_buf_free(&p->aof.out);
    flpi_buf_free(&p->aof.out_old);
    pthread_mutex_destroy(&p->aof.mu);
    pthread_cond_destroy(&p->aof.cv);
    pthread_mutex_destroy(&p->bg_mu);
    pthread_mutex_destroy(&p->rules_mu);
    pthread_mutex_destroy(&p->job_mu);
    free(p->memory_only);
    free(p);
}

/* ---- Group commit ---- */

bool flp_sync_replies(const flp_t *p)
{
    return p->cfg.appendonly && p->cfg.appendfsync == FLP_FSYNC_ALWAYS;
}

uint64_t flp_durable_seq(const flp_t *p)
{
    return atomic_load_explicit(&p->aof.durable, memory_order_acquire);
}

uint64_t flp_appended_seq(const flp_t *p)
{
    /* relaxed: the change a reader saw was appended before its partition lock was released,
     * and the reader took that lock since (happens-before) */
    return atomic_load_explicit(&p->aof.appended, memory_order_relaxed);
}

int flp_add_waker(flp_t *p, int fd)
{
    if (p->aof.n_wakers == FLPI_WAKERS_MAX)
        return -ENOSPC;
    p->aof.wakers[p->aof.n_wakers++] = fd;
    return 0;
}

bool flp_write_failing(const flp_t *p, int *err_no)
{
    int e = atomic_load_explicit(&p->aof.err, memory_order_relaxed);
    if (err_no)
        *err_no = e;
    return p->cfg.appendonly && e != 0;
}

/* ---- Snapshots and rewrites ---- */

int flp_save(flp_t *p, char *err, size_t errlen)
{
    pthread_mutex_lock(&p->bg_mu);
    uint64_t dirty0 = atomic_load(&p->dirty), bytes, peak;
    int64_t t0 = fl_now_ms();
    int rc = flpi_snapshot_write(p, p->cfg.dir, p->cfg.dbfilename, FLPI_SNAP_RDB, &bytes, &peak,
                                 err, errlen);
    pthread_mutex_unlock(&p->bg_mu);
    atomic_store(&p->snap_peak, peak);
    atomic_store(&p->last_bgsave_ok, rc == 0);
    atomic_store(&p->last_bgsave_secs, (fl_now_ms() - t0 + 500) / 1000);
    if (rc == 0) {
        atomic_fetch_sub(&p->dirty, dirty0);
        atomic_store(&p->lastsave, now_s());
        atomic_fetch_add(&p->rdb_saves, 1);
        flpi_log(p, 1, "DB saved on disk (%llu bytes, at most %llu bytes held while saving)",
                 (unsigned long long)bytes, (unsigned long long)peak);
    } else {
        flpi_log(p, 0, "snapshot failed: %s", err);
    }
    return rc;
}

int flp_reload(flp_t *p, bool save, bool flush, char *err, size_t errlen)
{
    if (fl_batch_active()) {
        snprintf(err, errlen, "cannot reload inside a transaction or script");
        return -EBUSY;
    }
    char path[FLP_PATH_MAX * 2];
    uint64_t bytes, peak;
    pthread_mutex_lock(&p->bg_mu); /* first: a background snapshot needs partition locks */
    int rc = fl_batch_begin(p->store, NULL, 0, true) == FL_OK ? 0 : -ENOMEM;
    if (rc == 0 && save)
        rc = flpi_snapshot_write(p, p->cfg.dir, p->cfg.dbfilename, FLPI_SNAP_RDB, &bytes, &peak,
                                 err, errlen);
    for (size_t i = 0; rc == 0 && flush && i < fl_store_ns_count(p->store); i++)
        if (flpi_persisted(p, i)) /* a `storage memory` namespace is not in the file: kept */
            fl_ns_flush(fl_store_ns(p->store, i));
    if (rc == 0) {
        flpi_path(path, sizeof(path), p->cfg.dir, p->cfg.dbfilename);
        rc = load_rdb(p, path, err, errlen);
        if (rc == 0)
            snprintf(err, errlen, "no snapshot at %s", path);
        rc = rc > 0 ? 0 : rc < 0 ? rc : -ENOENT;
    }
    if (fl_batch_active())
        fl_batch_end();
    pthread_mutex_unlock(&p->bg_mu);
    if (rc == 0 && save)
        atomic_store(&p->lastsave, now_s());
    return rc;
}

static int rewrite(flp_t *p, char *err, size_t errlen)
{
    char dir[FLP_PATH_MAX * 2];
    aof_dir(p, dir, sizeof(dir));
    pthread_mutex_lock(&p->bg_mu);
    flpi_manifest_t m = p->man, next = {0};
    long long seq = (m.n_incr ? m.incr_seq[m.n_incr - 1] : m.base_seq) + 1;
    int rc = -ENOSPC;
    if (m.n_incr == FLPI_INCR_MAX) {
        snprintf(err, errlen, "too many incremental files");
        goto out;
    }
    /* 1. a new incremental file, named in the manifest before anything is written to it */
    file_name(p, m.incr[m.n_incr], sizeof(m.incr[0]), seq, false);
    m.incr_seq[m.n_incr++] = seq;
    int fd = open_append(dir, m.incr[m.n_incr - 1], err, errlen);
    if (fd < 0) {
        rc = fd;
        goto out;
    }
    rc = flpi_manifest_write(dir, p->cfg.appendfilename, &m);
    if (rc != 0) {
        close(fd);
        snprintf(err, errlen, "cannot write the manifest: %s", strerror(-rc));
        goto out;
    }
    p->man = m;
    /* 2. the new base; the log splits at its point in time (flpi_aof_split_begin): a change
     * goes to the new incremental file exactly when the base does not hold it */
    file_name(p, next.base, sizeof(next.base), seq, true);
    next.base_seq = seq;
    uint64_t bytes, peak;
    rc = flpi_snapshot_write(p, dir, next.base, fd, &bytes, &peak, err, errlen);
    if (rc != 0)
        goto out;
    atomic_store(&p->snap_peak, peak);
    /* 3. the manifest names the new base and the new incremental file only */
    snprintf(next.incr[0], sizeof(next.incr[0]), "%s", m.incr[m.n_incr - 1]);
    next.incr_seq[0] = seq;
    next.n_incr = 1;
    rc = flpi_manifest_write(dir, p->cfg.appendfilename, &next);
    if (rc != 0) {
        snprintf(err, errlen, "cannot write the manifest: %s", strerror(-rc));
        goto out;
    }
    char path[FLP_PATH_MAX * 3];
    if (m.base[0] && strcmp(m.base, next.base) != 0) {
        flpi_path(path, sizeof(path), dir, m.base);
        unlink(path);
    }
    for (int i = 0; i < m.n_incr - 1; i++) {
        flpi_path(path, sizeof(path), dir, m.incr[i]);
        unlink(path);
    }
    p->man = next;
    atomic_store(&p->aof.base_bytes, bytes);
    flpi_log(p, 1, "Background AOF rewrite finished successfully (base %llu bytes)",
             (unsigned long long)bytes);
out:
    pthread_mutex_unlock(&p->bg_mu);
    if (rc != 0)
        flpi_log(p, 0, "Background AOF rewrite failed: %s", err);
    return rc;
}

static void *bg_main(void *arg)
{
    flp_t *p = arg;
    char err[512];
    int kind = atomic_load(&p->bg_kind);
    int64_t t0 = fl_now_ms();
    if (kind == FLPI_BG_SAVE) {
        flp_save(p, err, sizeof(err));
    } else {
        int rc = rewrite(p, err, sizeof(err));
        atomic_store(&p->last_rewrite_ok, rc == 0);
        atomic_store(&p->last_rewrite_secs, (fl_now_ms() - t0 + 500) / 1000);
    }
    atomic_store(&p->bg_kind, FLPI_BG_NONE);
    return NULL;
}

static int start_bg(flp_t *p, int kind, char *err, size_t errlen)
{
    pthread_mutex_lock(&p->job_mu);
    if (atomic_load(&p->bg_kind) != FLPI_BG_NONE) {
        pthread_mutex_unlock(&p->job_mu);
        snprintf(err, errlen, "a background save or rewrite is already in progress");
        return -EBUSY;
    }
    if (p->bg_joinable)
        pthread_join(p->bg_thread, NULL);
    p->bg_joinable = false;
    atomic_store(&p->bg_kind, kind);
    atomic_store(&p->bg_start_ms, fl_now_ms());
    int rc = pthread_create(&p->bg_thread, NULL, bg_main, p);
    if (rc == 0)
        p->bg_joinable = true;
    else
        atomic_store(&p->bg_kind, FLPI_BG_NONE);
    pthread_mutex_unlock(&p->job_mu);
    if (rc)
        snprintf(err, errlen, "cannot start a thread: %s", strerror(rc));
    return -rc;
}

int flp_bgsave(flp_t *p, char *err, size_t errlen)
{
    return start_bg(p, FLPI_BG_SAVE, err, errlen);
}

int flp_bgrewrite(flp_t *p, char *err, size_t errlen)
{
    if (!p->cfg.appendonly) {
        snprintf(err, errlen, "appendonly is off");
        return -ENOTSUP;
    }
    return start_bg(p, FLPI_BG_REWRITE, err, errlen);
}

bool flp_bgsave_running(const flp_t *p)
{
    return atomic_load(&p->bg_kind) == FLPI_BG_SAVE;
}

void flp_wait_background(flp_t *p)
{
    pthread_mutex_lock(&p->job_mu);
    if (p->bg_joinable)
        pthread_join(p->bg_thread, NULL);
    p->bg_joinable = false;
    pthread_mutex_unlock(&p->job_mu);
}

void flp_set_rules(flp_t *p, const flp_config_t *rules)
{
    pthread_mutex_lock(&p->rules_mu);
    p->cfg.n_save = rules->n_save;
    memcpy(p->cfg.save_secs, rules->save_secs, sizeof(p->cfg.save_secs));
    memcpy(p->cfg.save_changes, rules->save_changes, sizeof(p->cfg.save_changes));
    p->cfg.auto_aof_rewrite_pct = rules->auto_aof_rewrite_pct;
    p->cfg.auto_aof_rewrite_min_size = rules->auto_aof_rewrite_min_size;
    pthread_mutex_unlock(&p->rules_mu);
}

bool flp_has_save_rules(flp_t *p)
{
    pthread_mutex_lock(&p->rules_mu);
    bool set = p->cfg.n_save > 0;
    pthread_mutex_unlock(&p->rules_mu);
    return set;
}

int64_t flp_lastsave(const flp_t *p)
{
    return atomic_load(&p->lastsave);
}

void flp_cron(flp_t *p)
{
    char err[512];
    if (atomic_load(&p->loading) || atomic_load(&p->bg_kind) != FLPI_BG_NONE)
        return;
    int64_t now = now_s();
    uint64_t dirty = atomic_load(&p->dirty);
    pthread_mutex_lock(&p->rules_mu);
    flp_config_t rules = p->cfg; /* the rules as they are now (CONFIG SET, flp_set_rules) */
    pthread_mutex_unlock(&p->rules_mu);
    for (size_t i = 0; i < rules.n_save; i++) {
        if (dirty < (uint64_t)rules.save_changes[i] ||
            now - atomic_load(&p->lastsave) < rules.save_secs[i])
            continue;
        /* after a failure, retry no sooner than 5 s later (Redis's delay) */
        if (!atomic_load(&p->last_bgsave_ok) && now - atomic_load(&p->last_save_try) < 5)
            return;
        atomic_store(&p->last_save_try, now);
        flpi_log(p, 1, "%lld changes in %lld seconds. Saving...", rules.save_changes[i],
                 rules.save_secs[i]);
        flp_bgsave(p, err, sizeof(err));
        return;
    }
    if (!rules.appendonly || rules.auto_aof_rewrite_pct == 0)
        return;
    uint64_t base = atomic_load(&p->aof.base_bytes), incr = atomic_load(&p->aof.incr_bytes);
    if (base + incr < rules.auto_aof_rewrite_min_size)
        return;
    uint64_t growth = base ? incr * 100 / base : 100;
    if (growth >= rules.auto_aof_rewrite_pct) {
        flpi_log(p, 1, "Starting automatic rewriting of AOF on %llu%% growth",
                 (unsigned long long)growth);
        flp_bgrewrite(p, err, sizeof(err));
    }
}

/* ---- INFO persistence ---- */

void flp_info(flp_t *p, flp_info_fn *fn, void *ctx)
{
    char v[64];
    int kind = atomic_load(&p->bg_kind);
    int64_t now = fl_now_ms(), start = atomic_load(&p->bg_start_ms);
    bool loading = atomic_load(&p->loading);
#define EMIT(name, ...)                                                                            \
    do {                                                                                           \
        snprintf(v, sizeof(v), __VA_ARGS__);                                                       \
        fn(ctx, name, v);                                                                          \
    } while (0)
    EMIT("loading", "%d", loading);
    EMIT("async_loading", "0");
    if (loading) {
        uint64_t done, total;
        int64_t t0;
        flp_loading_progress(p, &done, &total, &t0);
        EMIT("loading_start_time", "%lld", (long long)(t0 / 1000));
        EMIT("loading_total_bytes", "%llu", (unsigned long long)total);
        EMIT("loading_loaded_bytes", "%llu", (unsigned long long)done);
        EMIT("loading_loaded_perc", "%.2f", total ? 100.0 * (double)done / (double)total : 0.0);
    }
    EMIT("rdb_changes_since_last_save", "%llu", (unsigned long long)atomic_load(&p->dirty));
    EMIT("rdb_bgsave_in_progress", "%d", kind == FLPI_BG_SAVE);
    EMIT("rdb_last_save_time", "%lld", (long long)atomic_load(&p->lastsave));
    EMIT("rdb_last_bgsave_status", "%s", atomic_load(&p->last_bgsave_ok) ? "ok" : "err");
    EMIT("rdb_last_bgsave_time_sec", "%lld", (long long)atomic_load(&p->last_bgsave_secs));
    EMIT("rdb_current_bgsave_time_sec", "%lld",
         kind == FLPI_BG_SAVE ? (long long)((now - start) / 1000) : -1LL);
    EMIT("rdb_saves", "%llu", (unsigned long long)atomic_load(&p->rdb_saves));
    EMIT("rdb_last_cow_size", "0");
    EMIT("snapshot_last_peak_bytes", "%llu", (unsigned long long)atomic_load(&p->snap_peak));
    EMIT("rdb_last_load_keys_skipped", "%llu", (unsigned long long)atomic_load(&p->load_skipped));
    EMIT("aof_enabled", "%d", p->cfg.appendonly);
    EMIT("aof_rewrite_in_progress", "%d", kind == FLPI_BG_REWRITE);
    EMIT("aof_rewrite_scheduled", "0");
    EMIT("aof_last_rewrite_time_sec", "%lld", (long long)atomic_load(&p->last_rewrite_secs));
    EMIT("aof_current_rewrite_time_sec", "%lld",
         kind == FLPI_BG_REWRITE ? (long long)((now - start) / 1000) : -1LL);
    EMIT("aof_last_bgrewrite_status", "%s", atomic_load(&p->last_rewrite_ok) ? "ok" : "err");
    EMIT("aof_last_write_status", "%s", atomic_load(&p->aof.err) ? "err" : "ok");
    EMIT("aof_last_cow_size", "0");
    if (p->cfg.appendonly) {
        uint64_t base = atomic_load(&p->aof.base_bytes);
        EMIT("aof_current_size", "%llu",
             (unsigned long long)(base + atomic_load(&p->aof.incr_bytes)));
        EMIT("aof_base_size", "%llu", (unsigned long long)base);
        EMIT("aof_pending_rewrite", "0");
        uint64_t appended = atomic_load(&p->aof.appended), written = atomic_load(&p->aof.written);
        EMIT("aof_buffer_length", "%llu", /* appended, not yet written to the file */
             (unsigned long long)(appended > written ? appended - written : 0));
        EMIT("aof_durable_seq", "%llu", (unsigned long long)flp_durable_seq(p));
    }
#undef EMIT
}
