/*
 * runner_proto.c: the runner's side of the protocol with the driver (bench_shm.h): report lines,
 * sync points, the stop signal of the tail, and the shared live-bytes counters.
 *
 * Invariants: a report line is written with one write() of at most PIPE_BUF bytes, so lines from
 * several threads never interleave. Only the main thread syncs and waits for "stop" (the ack fd
 * is read by one thread). Counter slots are written with relaxed atomics; the driver sums them.
 * Without a driver (fds < 0) lines go to stderr and syncs return at once.
 */
#include "runner.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static int report_fd = -1; /* set once by bw_proto_open before threads start */
static int ack_fd = -1;
static struct bench_shm local_shm;
static struct bench_shm *shm = &local_shm; /* the driver's memfd mapping, or local_shm */
static _Thread_local unsigned my_slot;

static const char *const phase_names[BENCH_PH_COUNT] = {
    "start", "fill", "run", "peak", "delete", "tail", "teardown",
};

int bw_proto_open(int rfd, int afd, int sfd)
{
    report_fd = rfd;
    ack_fd = afd;
    if (sfd >= 0) {
        void *m = mmap(NULL, sizeof(struct bench_shm), PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
        if (m == MAP_FAILED) {
            fprintf(stderr, "flatline-bench-runner: mmap of --shm-fd %d: %s\n", sfd,
                    strerror(errno));
            return -1;
        }
        shm = m;
        if (shm->magic != BENCH_SHM_MAGIC) {
            fprintf(stderr, "flatline-bench-runner: --shm-fd %d is not a bench memfd\n", sfd);
            return -1;
        }
        close(sfd);
    }
    return 0;
}

void bw_report(const char *fmt, ...)
{
    char line[PIPE_BUF];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n > sizeof line - 2)
        n = (int)sizeof line - 2;
    line[n++] = '\n';
    int fd = report_fd >= 0 ? report_fd : 2;
    ssize_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, line + off, (size_t)(n - off));
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        off += w;
    }
}

void bw_phase(enum bench_phase ph)
{
    atomic_store_explicit(&shm->phase, (uint32_t)ph, memory_order_relaxed);
    bw_report("phase %s", phase_names[ph]);
}

/* Reads one line from the ack fd into buf; returns its length, or -1 at EOF/error. */
static int read_ack_line(char *buf, size_t len)
{
    size_t n = 0;
    while (n + 1 < len) {
        char c;
        ssize_t r = read(ack_fd, &c, 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        if (c == '\n')
            break;
        buf[n++] = c;
    }
    buf[n] = '\0';
    return (int)n;
}

int bw_sync(const char *name)
{
    bw_report("sync %s", name);
    if (ack_fd < 0)
        return 0;
    char buf[64];
    if (read_ack_line(buf, sizeof buf) < 0)
        return -1;
    return strcmp(buf, "go") == 0 ? 0 : -1;
}

int bw_at_peak(int rc)
{
    bw_phase(BENCH_PH_PEAK);
    bw_stats_report("peak");
    if (rc == 0 && bw_sync("peak") != 0)
        rc = -1;
    return rc;
}

int bw_at_deleted(int rc)
{
    if (rc == 0 && bw_sync("deleted") != 0)
        rc = -1;
    bw_phase(BENCH_PH_TAIL);
    return rc;
}

bool bw_wait_stop(unsigned ms)
{
    if (ack_fd < 0) {
        struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
        nanosleep(&ts, NULL);
        return false;
    }
    struct pollfd pfd = {.fd = ack_fd, .events = POLLIN};
    int r = poll(&pfd, 1, (int)ms);
    if (r <= 0)
        return false;
    char buf[64];
    if (read_ack_line(buf, sizeof buf) < 0)
        return true; /* the driver is gone: stop */
    return strcmp(buf, "stop") == 0;
}

void bw_thread_slot(unsigned index)
{
    my_slot = index % BENCH_SHM_SLOTS;
}

void bw_live_add(int64_t bytes)
{
    atomic_fetch_add_explicit(&shm->slot[my_slot].live, bytes, memory_order_relaxed);
}

void bw_ops_add(uint64_t n)
{
    atomic_fetch_add_explicit(&shm->slot[my_slot].ops, n, memory_order_relaxed);
}

void bw_overhead_add(int64_t bytes)
{
    atomic_fetch_add_explicit(&shm->overhead, bytes, memory_order_relaxed);
}

int64_t bw_live_total(void)
{
    int64_t sum = 0;
    for (unsigned i = 0; i < BENCH_SHM_SLOTS; i++)
        sum += atomic_load_explicit(&shm->slot[i].live, memory_order_relaxed);
    return sum;
}

int bw_check_teardown(int rc)
{
    int64_t left = bw_live_total();
    if (rc == 0 && left != 0) {
        bw_report("error accounting: %lld requested bytes live after teardown", (long long)left);
        return -1;
    }
    return rc;
}
