/*
 * src/persist/aof.c: the append-only log's buffer and its one log thread (group commit).
 *
 * Writers append RESP to aof.buf under aof.mu, from the commit hook (so with the partition
 * lock held: the log order equals the commit order per key), and remember the sequence number
 * of their last byte (flp_thread_seq). The log thread takes the whole buffer at once, writes
 * it, and with appendfsync always fsyncs once for everything it took, then publishes
 * aof.durable and writes every registered eventfd: workers hold replies to writes until
 * durable covers them, so one fsync acknowledges every write buffered meanwhile, from every
 * worker. everysec fsyncs at most once a second; no leaves it to the kernel.
 *
 * A failed write (full disk, RLIMIT_FSIZE) keeps the unwritten bytes (aof.out) and sets
 * aof.err: the server then refuses writes (-MISCONF) while reads go on; the thread retries
 * every 100 ms and clears aof.err once everything is written, so writes resume by themselves.
 * Invariant: durable <= written <= seq; bytes are written in append order, exactly once.
 *
 * During a rewrite the records split in two streams (flpi_aof_split_begin): `pre` for the
 * previous incremental file (changes the new base will hold), `main` for the new one. The
 * log thread writes both, each to its file, and fsyncs both before publishing `durable`; it
 * closes the previous file once the split ended and its bytes are written.
 */
#include "fl_assert.h"
#include "persist_internal.h"

#include "flatline/mem.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* The size of the log's buffers between bursts (renew). */
#define OUT_KEEP (64 * 1024)

static _Thread_local uint64_t tls_seq;

uint64_t flp_thread_seq(void)
{
    return tls_seq;
}

void flpi_aof_appended_locked(flpi_aof_t *a, bool was_empty)
{
    tls_seq = a->seq;
    if (was_empty)
        pthread_cond_signal(&a->cv);
}

static void wake_workers(flpi_aof_t *a)
{
    uint64_t one = 1;
    for (int i = 0; i < a->n_wakers; i++) {
        ssize_t n = write(a->wakers[i], &one, sizeof(one));
        (void)n; /* EAGAIN: a wake-up is pending anyway */
    }
}

/* Gives a written buffer OUT_KEEP bytes of this thread's memory. The buffers circulate: a
 * writer appends to the stream's buffer, the log thread takes it and gives back the one it
 * wrote. A buffer a burst grew (in a writer's thread, so in a worker's private arena) is thus
 * replaced once written, and an idle log holds two OUT_KEEP buffers of the log thread's own. */
static bool renew(flpi_buf_t *b)
{
    if (b->cap == OUT_KEEP)
        return false;
    flpi_buf_free(b);
    b->p = malloc(OUT_KEEP);
    b->cap = b->p ? OUT_KEEP : 0;
    return true;
}

/* Writes b to fd; on failure keeps what is left and returns the errno. */
static int write_buf(int fd, flpi_buf_t *b, size_t *done_out)
{
    size_t done = 0;
    int rc = 0;
    while (done < b->len) {
        ssize_t w = write(fd, b->p + done, b->len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = w < 0 ? errno : ENOSPC;
            break;
        }
        done += (size_t)w;
    }
    if (done)
        memmove(b->p, b->p + done, b->len - done);
    b->len -= done;
    *done_out = done;
    return rc;
}

/* Writes what was taken (the previous file's bytes first); on failure keeps what is left and
 * records the error. */
static void write_out(flp_t *p)
{
    flpi_aof_t *a = &p->aof;
    size_t done = 0;
    int rc = 0;
    if (a->out_old.len) {
        rc = write_buf(a->old_fd, &a->out_old, &done);
        a->old_dirty |= done > 0;
    }
    if (rc == 0 && a->out.len) {
        rc = write_buf(a->fd, &a->out, &done);
        atomic_fetch_add(&a->incr_bytes, done);
    }
    if (rc) {
        if (atomic_exchange(&a->err, rc) == 0)
            flpi_log(p, 0,
                     "cannot write the append only file: %s (writes are refused until it "
                     "can be written)",
                     strerror(rc));
        return;
    }
    atomic_store(&a->written, a->out_end);
    if (renew(&a->out) | renew(&a->out_old))
        fl_thread_flush_cache(); /* what it freed goes back to the writers' arenas now */
    if (atomic_exchange(&a->err, 0) != 0)
        flpi_log(p, 1, "append only file written again: writes accepted");
}

/* fdatasync of the current file, and of the previous one when written since its last. */
static int sync_files(flpi_aof_t *a)
{
    if (a->old_fd >= 0 && a->old_dirty) {
        if (fdatasync(a->old_fd) != 0)
            return errno;
        a->old_dirty = false;
    }
    return fdatasync(a->fd) != 0 ? errno : 0;
}

static void sync_out(flp_t *p, bool force)
{
    flpi_aof_t *a = &p->aof;
    uint64_t w = atomic_load(&a->written);
    if (w == atomic_load(&a->durable))
        return;
    int64_t now = fl_now_ms();
    bool due =
        force || p->cfg.appendfsync == FLP_FSYNC_ALWAYS ||
        (p->cfg.appendfsync == FLP_FSYNC_EVERYSEC && now - atomic_load(&a->last_fsync_ms) >= 1000);
    if (p->cfg.appendfsync == FLP_FSYNC_NO && !force) {
        atomic_store(&a->durable, w); /* the kernel's business: nothing to wait for */
        return;
    }
    if (!due)
        return;
    int e = sync_files(a);
    if (e) {
        if (atomic_exchange(&a->err, e) == 0)
            flpi_log(p, 0, "cannot fsync the append only file: %s", strerror(e));
        return;
    }
    atomic_store(&a->last_fsync_ms, now);
    atomic_store(&a->durable, w);
    if (p->cfg.appendfsync == FLP_FSYNC_ALWAYS)
        wake_workers(a);
}

static void flush(flp_t *p, bool force_sync)
{
    if (p->aof.out.len || p->aof.out_old.len)
        write_out(p);
    if (p->aof.out.len == 0 && p->aof.out_old.len == 0)
        sync_out(p, force_sync);
}

/* Moves a stream's bytes to the end of out (mu held). */
static void take_stream(flpi_buf_t *from, flpi_buf_t *out)
{
    if (from->len == 0)
        return;
    if (out->len == 0) {
        flpi_buf_t t = *out;
        *out = *from;
        *from = t;
    } else {
        flpi_buf_put(out, from->p, from->len);
        flpi_buf_must_hold(out, "the append-only log");
    }
    from->len = 0;
}

/* Takes a split's new file (mu held): what was taken for the current file and not written
 * yet belongs to the previous one. */
static void adopt_split(flpi_aof_t *a)
{
    a->old_fd = a->fd;
    a->fd = a->split_fd;
    a->split_fd = -1;
    flpi_buf_t t = a->out_old;
    a->out_old = a->out;
    a->out = t;
    atomic_store(&a->incr_bytes, 0);
}

/* Closes the previous file once the split ended and its bytes are written and fsynced. */
static void close_old(flp_t *p)
{
    flpi_aof_t *a = &p->aof;
    if (a->old_fd < 0 || a->out_old.len)
        return;
    if (fsync(a->old_fd) != 0) {
        flpi_log(p, 0, "cannot fsync the previous append only file: %s", strerror(errno));
        return;
    }
    close(a->old_fd);
    a->old_fd = -1;
    a->old_dirty = false;
}

static bool idle(const flpi_aof_t *a)
{
    return !a->stop && a->split_fd < 0 && a->main.buf.len == 0 && a->pre.buf.len == 0;
}

static void *log_main(void *arg)
{
    flp_t *p = arg;
    flpi_aof_t *a = &p->aof;
    pthread_mutex_lock(&a->mu);
    bool cache_flushed = true;
    for (;;) {
        if (idle(a) && !cache_flushed) {
            /* Going idle: the buffers this thread freed (grown by workers, so blocks of their
             * private arenas) leave its thread cache for their arenas, whose statistics then
             * show only live transient data. Once per idle period, a few microseconds. */
            pthread_mutex_unlock(&a->mu);
            fl_thread_flush_cache();
            pthread_mutex_lock(&a->mu);
            cache_flushed = true;
            continue;
        }
        if (idle(a)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&a->cv, &a->mu, &ts);
        }
        if (a->split_fd >= 0)
            adopt_split(a);
        bool end = a->split_end, stop = a->stop;
        take_stream(&a->pre.buf, a->old_fd >= 0 ? &a->out_old : &a->out);
        take_stream(&a->main.buf, &a->out);
        a->out_end = a->seq;
        if (a->out.len || a->out_old.len)
            cache_flushed = false; /* bytes to write: buffers will be renewed, blocks freed */
        pthread_mutex_unlock(&a->mu);
        flush(p, stop);
        if (end || stop)
            close_old(p);
        pthread_mutex_lock(&a->mu);
        if (end && a->old_fd < 0) {
            a->split_end = false;
            a->split_open = false;
        }
        if (stop && ((a->main.buf.len == 0 && a->pre.buf.len == 0) || atomic_load(&a->err)))
            break;
    }
    pthread_mutex_unlock(&a->mu);
    if (a->out.len || a->out_old.len || a->main.buf.len || a->pre.buf.len)
        flpi_log(p, 0, "append only file: %zu bytes could not be written at shutdown",
                 a->out.len + a->out_old.len + a->main.buf.len + a->pre.buf.len);
    if (a->old_fd >= 0)
        close(a->old_fd);
    a->old_fd = -1;
    return NULL;
}

int flpi_aof_start(flp_t *p)
{
    flpi_aof_t *a = &p->aof;
    /* A full disk under RLIMIT_FSIZE must fail the write (EFBIG), not kill the process. */
    signal(SIGXFSZ, SIG_IGN);
    atomic_store(&a->last_fsync_ms, fl_now_ms());
    int rc = pthread_create(&a->thread, NULL, log_main, p);
    if (rc == 0)
        a->started = true;
    return -rc;
}

void flpi_aof_stop(flp_t *p)
{
    flpi_aof_t *a = &p->aof;
    if (!a->started)
        return;
    pthread_mutex_lock(&a->mu);
    a->stop = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
    pthread_join(a->thread, NULL);
    a->started = false;
}

typedef struct split_at {
    flp_t *p;
    int new_fd;
} split_at_t;

/* The split itself, at the snapshot's moment (no writer inside the store, so no record is
 * being made): what is buffered now goes to the previous file, with that file's db selection;
 * every later record is routed by fl_snap_dumped. */
static void split_at(void *ctx, uint64_t snap)
{
    split_at_t *s = ctx;
    flpi_aof_t *a = &s->p->aof;
    pthread_mutex_lock(&a->mu);
    FL_ASSERT(!a->split_open);
    flpi_stream_t t = a->pre;
    a->pre = a->main;
    a->main = t;
    a->main.buf.len = 0;
    a->main.cur_db = -1; /* the new file starts without a selected db */
    a->split_fd = s->new_fd;
    a->split_open = true;
    a->split_snap = snap;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}

uint64_t flpi_aof_split_begin(flp_t *p, int new_fd)
{
    flpi_aof_t *a = &p->aof;
    pthread_mutex_lock(&a->mu);
    bool busy = a->split_open; /* only the log thread clears it; only this function sets it */
    pthread_mutex_unlock(&a->mu);
    if (busy)
        return 0;
    /* aof.mu is taken inside the quiet moment, never around it: writers take it while they
     * hold partition locks, so holding it while the gate closes would wait for them forever. */
    split_at_t s = {p, new_fd};
    return fl_snap_begin_at(p->store, split_at, &s);
}

void flpi_aof_split_end(flp_t *p)
{
    flpi_aof_t *a = &p->aof;
    pthread_mutex_lock(&a->mu);
    a->split_snap = 0;
    a->split_end = true;
    pthread_cond_signal(&a->cv);
    pthread_mutex_unlock(&a->mu);
}
