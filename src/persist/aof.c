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
 */
#include "persist_internal.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

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

/* Writes aof.out; on failure keeps what is left and records the error. */
static void write_out(flp_t *p)
{
    flpi_aof_t *a = &p->aof;
    size_t done = 0;
    int rc = 0;
    while (done < a->out.len) {
        ssize_t w = write(a->fd, a->out.p + done, a->out.len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            rc = w < 0 ? errno : ENOSPC;
            break;
        }
        done += (size_t)w;
    }
    atomic_fetch_add(&a->incr_bytes, done);
    if (done)
        memmove(a->out.p, a->out.p + done, a->out.len - done);
    a->out.len -= done;
    if (rc) {
        if (atomic_exchange(&a->err, rc) == 0)
            flpi_log(p, 0,
                     "cannot write the append only file: %s (writes are refused until it "
                     "can be written)",
                     strerror(rc));
        return;
    }
    atomic_store(&a->written, a->out_end);
    if (atomic_exchange(&a->err, 0) != 0)
        flpi_log(p, 1, "append only file written again: writes accepted");
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
    if (fdatasync(a->fd) != 0) {
        int e = errno;
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
    if (p->aof.out.len)
        write_out(p);
    if (p->aof.out.len == 0)
        sync_out(p, force_sync);
}

/* Takes the buffered bytes into aof.out (mu held). */
static void take(flpi_aof_t *a)
{
    if (a->buf.len == 0)
        return;
    if (a->out.len == 0) {
        flpi_buf_t t = a->out;
        a->out = a->buf;
        a->buf = t;
        a->buf.len = 0;
    } else {
        flpi_buf_put(&a->out, a->buf.p, a->buf.len);
        a->buf.len = 0;
    }
    a->out_end = a->seq;
}

static void *log_main(void *arg)
{
    flp_t *p = arg;
    flpi_aof_t *a = &p->aof;
    pthread_mutex_lock(&a->mu);
    for (;;) {
        if (!a->stop && !a->sw_req && a->buf.len == 0) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_nsec += 100 * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            pthread_cond_timedwait(&a->cv, &a->mu, &ts);
        }
        bool sw = a->sw_req, stop = a->stop;
        take(a);
        if (sw)
            a->cur_db = -1; /* the next file starts without a selected db */
        pthread_mutex_unlock(&a->mu);
        flush(p, sw || stop);
        int rc = 0;
        if (sw) {
            rc = a->out.len ? -atomic_load(&a->err) : 0;
            if (rc == 0 && fsync(a->fd) != 0)
                rc = -errno;
        }
        pthread_mutex_lock(&a->mu);
        if (sw) {
            a->sw_rc = rc;
            a->sw_done = true;
            a->sw_req = false;
            pthread_cond_broadcast(&a->sw_cv);
            while (a->sw_done) /* the requester swaps the fd, then clears sw_done */
                pthread_cond_wait(&a->sw_cv, &a->mu);
        }
        if (stop && (a->buf.len == 0 || atomic_load(&a->err)))
            break;
    }
    pthread_mutex_unlock(&a->mu);
    if (a->out.len || a->buf.len)
        flpi_log(p, 0, "append only file: %zu bytes could not be written at shutdown",
                 a->out.len + a->buf.len);
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

int flpi_aof_switch(flp_t *p, int new_fd)
{
    flpi_aof_t *a = &p->aof;
    pthread_mutex_lock(&a->mu);
    a->sw_req = true;
    a->sw_done = false;
    pthread_cond_signal(&a->cv);
    while (!a->sw_done)
        pthread_cond_wait(&a->sw_cv, &a->mu);
    int rc = a->sw_rc;
    if (rc == 0) {
        close(a->fd);
        a->fd = new_fd;
        atomic_store(&a->incr_bytes, 0);
    }
    a->sw_done = false;
    pthread_cond_broadcast(&a->sw_cv);
    pthread_mutex_unlock(&a->mu);
    return rc;
}
