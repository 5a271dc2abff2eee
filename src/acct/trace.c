/*
 * src/acct/trace.c: --trace mode, every allocation event in the flatline/trace.h format.
 *
 * Each thread encodes its events into its own 64 KiB buffer (mmap'd once per thread slot and
 * reused by the slot's next thread) and writes it as one chunk when full, at thread exit and at
 * process exit. Invariants: a buffer is touched only by its owner thread and by the exit flush,
 * which take its spin flag (uncontended in practice); chunks are written whole under
 * acct_trace_lock, so they never interleave; times follow trace.h's stamping rule (frees before
 * the real call, allocations after), which the wrappers implement.
 */
#include "acct_lib.h"

#include <errno.h>
#include <fcntl.h>
#include <flatline/trace.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define TBUF_BYTES (64 * 1024)

typedef struct acct_tbuf {
    atomic_flag busy;
    uint32_t len, nevents, tid;
    uint64_t base_ns, last_ns, last_addr;
    struct acct_tbuf *next; /* all buffers, acct_trace_lock */
    uint8_t data[TBUF_BYTES];
} acct_tbuf_t;

int acct_tracing;
static int trace_fd = -1; /* moved high, checked by inode before each write */
static dev_t trace_dev;
static ino_t trace_ino;
static uint64_t trace_start_ns;
static pthread_mutex_t acct_trace_lock = PTHREAD_MUTEX_INITIALIZER;
static acct_tbuf_t *all_bufs; /* acct_trace_lock */
static atomic_ullong trace_dropped;

uint64_t acct_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void put_le(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

int acct_trace_open(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -errno;
    uint8_t h[FL_TRACE_HEADER_SIZE] = {0};
    struct timespec rt;
    clock_gettime(CLOCK_REALTIME, &rt);
    trace_start_ns = acct_now_ns();
    memcpy(h, FL_TRACE_MAGIC, 8);
    put_le(h + 8, FL_TRACE_VERSION, 2);
    put_le(h + 10, FL_TRACE_HEADER_SIZE, 2);
    put_le(h + 16, (uint64_t)rt.tv_sec * 1000000000ull + (uint64_t)rt.tv_nsec, 8);
    put_le(h + 24, trace_start_ns, 8);
    put_le(h + 32, (uint64_t)getpid(), 4);
    if (write(fd, h, sizeof h) != (ssize_t)sizeof h) {
        int e = errno ? errno : EIO;
        close(fd);
        return -e;
    }
    int high = fcntl(fd, F_DUPFD_CLOEXEC, 900); /* out of the way of the program's own */
    if (high >= 0) {
        close(fd);
        fd = high;
    }
    struct stat st;
    if (fstat(fd, &st) == 0) {
        trace_dev = st.st_dev;
        trace_ino = st.st_ino;
    }
    trace_fd = fd;
    acct_tracing = 1;
    acct_detour_update();
    return 0;
}

static void lock_buf(acct_tbuf_t *b)
{
    while (atomic_flag_test_and_set_explicit(&b->busy, memory_order_acquire))
        sched_yield();
}

static void unlock_buf(acct_tbuf_t *b)
{
    atomic_flag_clear_explicit(&b->busy, memory_order_release);
}

/* Writes b's events as one chunk and empties it. Caller holds b's flag. */
static void flush_buf(acct_tbuf_t *b)
{
    if (!b->nevents)
        return;
    int saved_errno = errno;
    uint8_t h[FL_TRACE_CHUNK_HEADER_SIZE];
    put_le(h, FL_TRACE_CHUNK_MAGIC, 4);
    put_le(h + 4, b->tid, 4);
    put_le(h + 8, b->len, 4);
    put_le(h + 12, b->nevents, 4);
    put_le(h + 16, b->base_ns - trace_start_ns, 8);
    struct iovec iov[2] = {{h, sizeof h}, {b->data, b->len}};
    pthread_mutex_lock(&acct_trace_lock);
    ssize_t want = (ssize_t)(sizeof h + b->len), done = -1;
    struct stat st;
    if (trace_fd >= 0 &&
        (fstat(trace_fd, &st) != 0 || st.st_dev != trace_dev || st.st_ino != trace_ino))
        trace_fd = -1; /* the program closed it (and may have reused the number): stop */
    if (trace_fd >= 0)
        done = writev(trace_fd, iov, 2);
    pthread_mutex_unlock(&acct_trace_lock);
    if (done != want)
        atomic_fetch_add(&trace_dropped, b->nevents);
    b->len = b->nevents = 0;
    errno = saved_errno;
}

/* Starts a record stamped `when` in the thread's buffer, which it locks: writes a placeholder op
 * byte (its position goes to *at) and the time delta. NULL when no buffer can be had. */
static acct_tbuf_t *begin(acct_thread_t *t, uint64_t when, uint32_t *at)
{
    acct_tbuf_t *b = t->tb;
    if (!b) {
        b = mmap(NULL, sizeof *b, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (b == MAP_FAILED) {
            atomic_fetch_add(&trace_dropped, 1);
            return NULL;
        }
        pthread_mutex_lock(&acct_trace_lock);
        b->next = all_bufs;
        all_bufs = b;
        pthread_mutex_unlock(&acct_trace_lock);
        t->tb = b;
    }
    lock_buf(b);
    if (b->nevents && b->tid != t->tid)
        flush_buf(b); /* a recycled slot: never mix two threads in one chunk */
    if (b->len + FL_TRACE_MAX_RECORD > TBUF_BYTES)
        flush_buf(b);
    if (!b->nevents) {
        b->tid = t->tid;
        b->base_ns = b->last_ns = when;
        b->last_addr = 0;
    }
    uint64_t dt = when > b->last_ns ? when - b->last_ns : 0;
    b->last_ns += dt;
    *at = b->len;
    b->data[b->len++] = 0;
    b->len += (uint32_t)fl_trace_put_varint(b->data + b->len, dt);
    return b;
}

static void put_addr(acct_tbuf_t *b, uint64_t a)
{
    b->len += (uint32_t)fl_trace_put_zvarint(b->data + b->len, (int64_t)(a - b->last_addr));
    b->last_addr = a;
}

static void put_u(acct_tbuf_t *b, uint64_t v)
{
    b->len += (uint32_t)fl_trace_put_varint(b->data + b->len, v);
}

static void end(acct_tbuf_t *b, uint32_t at, int op)
{
    b->data[at] = (uint8_t)op;
    b->nevents++;
    unlock_buf(b);
}

void acct_trace_alloc(acct_thread_t *t, int op, const void *p, size_t size, size_t align)
{
    uint32_t at;
    acct_busy_enter();
    acct_tbuf_t *b = begin(t, acct_now_ns(), &at);
    if (b) {
        put_addr(b, (uintptr_t)p);
        put_u(b, size);
        if (op == FL_TOP_MEMALIGN) {
            unsigned lg = 0;
            while (((size_t)1 << lg) < align && lg < 63)
                lg++;
            b->data[b->len++] = (uint8_t)lg;
        }
        end(b, at, op);
    }
    acct_busy_leave();
}

void acct_trace_free(acct_thread_t *t, const void *p, uint64_t t_ns)
{
    uint32_t at;
    acct_busy_enter();
    acct_tbuf_t *b = begin(t, t_ns, &at);
    if (b) {
        put_addr(b, (uintptr_t)p);
        end(b, at, FL_TOP_FREE);
    }
    acct_busy_leave();
}

void acct_trace_realloc(acct_thread_t *t, const void *old, const void *p, size_t size,
                        uint64_t t_before)
{
    uint32_t at;
    uint64_t after = acct_now_ns();
    acct_busy_enter();
    acct_tbuf_t *b = begin(t, t_before, &at);
    if (b) {
        put_addr(b, (uintptr_t)old);
        put_addr(b, (uintptr_t)p);
        put_u(b, size);
        put_u(b, after > t_before ? after - t_before : 0);
        end(b, at, FL_TOP_REALLOC);
    }
    acct_busy_leave();
}

void acct_trace_thread_end(acct_thread_t *t)
{
    uint32_t at;
    acct_tbuf_t *b = begin(t, acct_now_ns(), &at);
    if (b) {
        end(b, at, FL_TOP_THREAD_END);
        lock_buf(b);
        flush_buf(b);
        unlock_buf(b);
    }
}

uint64_t acct_trace_dropped(void)
{
    return atomic_load(&trace_dropped);
}

void acct_trace_close(void)
{
    if (!acct_tracing)
        return;
    pthread_mutex_lock(&acct_trace_lock);
    acct_tbuf_t *list = all_bufs;
    pthread_mutex_unlock(&acct_trace_lock);
    for (acct_tbuf_t *b = list; b; b = b->next) {
        lock_buf(b);
        flush_buf(b);
        unlock_buf(b);
    }
    /* no fsync: the descriptor may no longer be ours (checked at each write) */
}

void acct_trace_forklock(int lock)
{
    if (lock)
        pthread_mutex_lock(&acct_trace_lock);
    else
        pthread_mutex_unlock(&acct_trace_lock);
}

void acct_trace_fork_child(void)
{
    acct_tracing = 0;
    acct_detour_update();
    if (trace_fd >= 0)
        close(trace_fd);
    trace_fd = -1;
}
