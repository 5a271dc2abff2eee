/*
 * wl_replay.c: the replay workload: re-runs an allocation trace recorded by
 * `flatline-acct --trace` (format: include/flatline/trace.h) against this process's allocator.
 *
 * Faithful to order and to threads, not to time: every recorded thread gets a replay thread, and
 * all events run in the trace's global order (the threads' streams merged by time, FREE first on
 * ties, each REALLOC split into its release at t and its acquire at t + span, as trace.h
 * describes), one at a time: the thread that owns event s waits until event s-1 is done, runs
 * its call with the recorded size, touches the block's pages as the program would have, and
 * hands the turn to the owner of s+1 (a futex per thread, so only that thread wakes). So the live
 * requested bytes after every event are exactly those of the recorded program, whatever the
 * allocator; only the addresses differ. The replay runs as fast as the allocator allows (the
 * recorded pauses are not reproduced): ops/s is events per second.
 *
 * Phases: the replay is the timed phase; the "peak" sync happens right after the event at which
 * the recorded program had the most live bytes (found by a first pass over the trace); after the
 * last event the blocks still live are freed (the mass delete) and one thread serves a trickle of
 * small allocations in the tail.
 *
 * Synchronisation: the address map, the per-thread pending reallocs and the curve output are
 * touched only by the thread holding the turn; `turn` is released with memory_order_release and
 * acquired by the next owner, which orders all of them.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "flatline/trace.h"

#define MAX_THREADS 4096

enum { R_MALLOC, R_CALLOC, R_MEMALIGN, R_FREE, R_REL, R_ACQ, R_END };

typedef struct rev {
    uint64_t t;
    uint64_t addr; /* allocated / freed address (REL: the old one) */
    uint64_t size;
    uint64_t seq;
    uint8_t op;
    uint8_t align_log;
} rev_t;

typedef struct rthread {
    rev_t *ev;
    size_t n, cap;
    _Atomic uint32_t word; /* futex: bumped when the turn is handed to this thread */
    void *pending;         /* REL..ACQ: the block being reallocated (NULL: unknown) */
    uint64_t pending_size;
    bool pending_known;
    char pad[64];
} rthread_t;

typedef struct amap_entry {
    uint64_t key; /* trace address; 0 = empty */
    void *ptr;
    uint64_t size;
} amap_entry_t;

typedef struct amap {
    amap_entry_t *e;
    size_t mask, count;
} amap_t;

typedef struct replay {
    rthread_t *th;
    uint32_t nth;
    uint32_t *owner; /* owner[seq] = thread index */
    uint64_t nev;
    uint64_t peak_seq; /* the event after which the recorded live bytes peak */
    _Atomic uint64_t turn;
    amap_t map;
    unsigned curve_every;
    int failed;
} replay_t;

/* ---- address map: open addressing, linear probing, backward-shift deletion ---- */

static size_t amap_hash(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & mask;
}

static int amap_init(amap_t *m, size_t expect)
{
    size_t cap = 1024;
    while (cap < expect * 2 + 16)
        cap <<= 1;
    m->e = calloc(cap, sizeof *m->e);
    m->mask = cap - 1;
    m->count = 0;
    return m->e ? 0 : -1;
}

static amap_entry_t *amap_find(amap_t *m, uint64_t key)
{
    for (size_t i = amap_hash(key, m->mask);; i = (i + 1) & m->mask) {
        if (m->e[i].key == key)
            return &m->e[i];
        if (m->e[i].key == 0)
            return NULL;
    }
}

static void amap_remove(amap_t *m, amap_entry_t *hole)
{
    size_t i = (size_t)(hole - m->e);
    m->count--;
    for (size_t j = (i + 1) & m->mask; m->e[j].key; j = (j + 1) & m->mask) {
        size_t home = amap_hash(m->e[j].key, m->mask);
        /* Move e[j] into the hole when its home is not in (i, j]. */
        if (((j - home) & m->mask) >= ((j - i) & m->mask)) {
            m->e[i] = m->e[j];
            i = j;
        }
    }
    m->e[i].key = 0;
}

static int amap_grow(amap_t *m)
{
    amap_t n;
    if (amap_init(&n, (m->mask + 1)) != 0)
        return -1;
    for (size_t i = 0; i <= m->mask; i++)
        if (m->e[i].key) {
            size_t j = amap_hash(m->e[i].key, n.mask);
            while (n.e[j].key)
                j = (j + 1) & n.mask;
            n.e[j] = m->e[i];
            n.count++;
        }
    free(m->e);
    *m = n;
    return 0;
}

/* Inserts key (which must not be present). Returns the entry or NULL when out of memory. */
static amap_entry_t *amap_insert(amap_t *m, uint64_t key)
{
    if ((m->count + 1) * 2 > m->mask + 1 && amap_grow(m) != 0)
        return NULL;
    size_t i = amap_hash(key, m->mask);
    while (m->e[i].key)
        i = (i + 1) & m->mask;
    m->e[i].key = key;
    m->count++;
    return &m->e[i];
}

/* ---- loading ---- */

static int push(rthread_t *t, const rev_t *e)
{
    if (t->n == t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 256;
        rev_t *ne = realloc(t->ev, ncap * sizeof *ne);
        if (!ne)
            return -1;
        t->ev = ne;
        t->cap = ncap;
    }
    t->ev[t->n++] = *e;
    return 0;
}

static int load(replay_t *r, const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        bw_report("error cannot open trace %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    size_t len = (size_t)st.st_size;
    void *buf = len ? mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0) : MAP_FAILED;
    close(fd);
    fl_trace_header_t h;
    if (buf == MAP_FAILED || fl_trace_read_header(buf, len, &h) != 0) {
        bw_report("error %s is not a flatline trace (version %d expected)", path, FL_TRACE_VERSION);
        if (buf != MAP_FAILED)
            munmap(buf, len);
        return -1;
    }
    r->th = calloc(MAX_THREADS, sizeof *r->th);
    if (!r->th) {
        munmap(buf, len);
        return -1;
    }
    size_t off = h.header_size;
    fl_trace_chunk_t c;
    int rc, truncated = 0;
    while ((rc = fl_trace_next_chunk(buf, len, &off, &c)) == 1) {
        if (c.thread >= MAX_THREADS) {
            bw_report("error trace has thread index %u; the replayer supports %d threads", c.thread,
                      MAX_THREADS);
            munmap(buf, len);
            return -1;
        }
        if (c.thread + 1 > r->nth)
            r->nth = c.thread + 1;
        fl_trace_event_t e;
        int er;
        while ((er = fl_trace_next_event(&c, &e)) == 1) {
            rthread_t *t = &r->th[c.thread];
            rev_t v = {.t = e.t_ns, .addr = e.addr, .size = e.size};
            switch (e.op) {
            case FL_TOP_MALLOC:
                v.op = R_MALLOC;
                break;
            case FL_TOP_CALLOC:
                v.op = R_CALLOC;
                break;
            case FL_TOP_MEMALIGN:
                v.op = R_MEMALIGN;
                v.align_log = (uint8_t)__builtin_ctzll(e.align);
                break;
            case FL_TOP_FREE:
                v.op = R_FREE;
                break;
            case FL_TOP_REALLOC: {
                rev_t rel = {.t = e.t_ns, .addr = e.old_addr, .op = R_REL};
                if (push(t, &rel) != 0)
                    goto oom;
                v.op = R_ACQ;
                v.t = e.t_ns + e.span_ns;
                break;
            }
            case FL_TOP_THREAD_END:
                v.op = R_END;
                break;
            }
            if (push(t, &v) != 0)
                goto oom;
            r->nev++;
        }
        if (er < 0) {
            truncated = 1;
            break;
        }
    }
    if (rc < 0 || truncated)
        bw_report("phase note: trace %s ends with a truncated chunk; replaying what precedes it",
                  path);
    munmap(buf, len);
    return 0;
oom:
    munmap(buf, len);
    bw_report("error out of memory loading the trace");
    return -1;
}

/* Merges the threads' streams by time (FREE and REL first on ties), numbering every event, and
 * finds the event after which the recorded live bytes peak. */
static int order(replay_t *r)
{
    uint64_t total = 0;
    for (uint32_t i = 0; i < r->nth; i++)
        total += r->th[i].n;
    r->nev = total;
    r->owner = malloc((total + 1) * sizeof *r->owner);
    size_t *head = calloc(r->nth + 1, sizeof *head);
    amap_t sim;
    if (!r->owner || !head || amap_init(&sim, 1024) != 0) {
        free(head);
        return -1;
    }
    int64_t live = 0, best = -1;
    for (uint64_t s = 0; s < total; s++) {
        uint32_t pick = UINT32_MAX;
        for (uint32_t i = 0; i < r->nth; i++) {
            if (head[i] == r->th[i].n)
                continue;
            const rev_t *e = &r->th[i].ev[head[i]];
            if (pick == UINT32_MAX)
                pick = i;
            else {
                const rev_t *b = &r->th[pick].ev[head[pick]];
                bool efree = e->op == R_FREE || e->op == R_REL;
                bool bfree = b->op == R_FREE || b->op == R_REL;
                if (e->t < b->t || (e->t == b->t && efree && !bfree))
                    pick = i;
            }
        }
        rev_t *e = &r->th[pick].ev[head[pick]++];
        e->seq = s;
        r->owner[s] = pick;
        /* Recorded live bytes (same rules as the replay below). */
        amap_entry_t *m;
        switch (e->op) {
        case R_FREE:
        case R_REL:
            if ((m = amap_find(&sim, e->addr))) {
                live -= (int64_t)m->size;
                amap_remove(&sim, m);
            }
            break;
        case R_END:
            break;
        default:
            if ((m = amap_find(&sim, e->addr))) { /* never happens in a valid trace */
                live -= (int64_t)m->size;
                amap_remove(&sim, m);
            }
            if (!(m = amap_insert(&sim, e->addr))) {
                free(sim.e);
                free(head);
                return -1;
            }
            m->size = e->size;
            live += (int64_t)e->size;
        }
        if (live > best) {
            best = live;
            r->peak_seq = s;
        }
    }
    free(sim.e);
    free(head);
    return 0;
}

/* ---- replay ---- */

static void futex_wait(_Atomic uint32_t *w, uint32_t val)
{
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(_Atomic uint32_t *w)
{
    syscall(SYS_futex, (uint32_t *)w, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void drop(replay_t *r, uint64_t addr)
{
    amap_entry_t *m = amap_find(&r->map, addr);
    if (!m)
        return;
    free(m->ptr);
    bw_live_add(-(int64_t)m->size);
    amap_remove(&r->map, m);
}

static int bind_block(replay_t *r, uint64_t addr, void *p, uint64_t size)
{
    drop(r, addr); /* a valid trace never maps an address twice; be robust anyway */
    amap_entry_t *m = amap_insert(&r->map, addr);
    if (!m) {
        free(p);
        return -1;
    }
    m->ptr = p;
    m->size = size;
    bw_live_add((int64_t)size);
    if (p && size)
        bw_touch(p, (size_t)size, addr);
    return 0;
}

static int do_event(replay_t *r, rthread_t *t, const rev_t *e)
{
    void *p = NULL;
    switch (e->op) {
    case R_MALLOC:
        p = malloc(e->size);
        break;
    case R_CALLOC:
        p = calloc(1, e->size);
        break;
    case R_MEMALIGN: {
        size_t al = (size_t)1 << e->align_log;
        if (al < sizeof(void *))
            al = sizeof(void *);
        if (posix_memalign(&p, al, e->size) != 0)
            p = NULL;
        break;
    }
    case R_FREE:
        drop(r, e->addr);
        return 0;
    case R_REL: {
        amap_entry_t *m = amap_find(&r->map, e->addr);
        t->pending_known = m != NULL;
        t->pending = m ? m->ptr : NULL;
        t->pending_size = m ? m->size : 0;
        if (m) {
            bw_live_add(-(int64_t)m->size);
            amap_remove(&r->map, m);
        }
        return 0;
    }
    case R_ACQ:
        p = t->pending_known ? realloc(t->pending, e->size ? e->size : 1)
                             : malloc(e->size ? e->size : 1);
        if (!p && t->pending_known)
            free(t->pending);
        t->pending = NULL;
        t->pending_known = false;
        break;
    case R_END:
        return 0;
    }
    if (!p && e->size)
        return -1;
    return bind_block(r, e->addr, p, e->size);
}

typedef struct rarg {
    replay_t *r;
    uint32_t id;
} rarg_t;

static void *replay_thread(void *arg)
{
    rarg_t *a = arg;
    replay_t *r = a->r;
    rthread_t *t = &r->th[a->id];
    bw_thread_slot(a->id + 1);
    for (size_t i = 0; i < t->n; i++) {
        const rev_t *e = &t->ev[i];
        for (;;) {
            uint32_t w = atomic_load_explicit(&t->word, memory_order_acquire);
            uint64_t turn = atomic_load_explicit(&r->turn, memory_order_acquire);
            if (turn == e->seq)
                break;
            if (turn == UINT64_MAX) /* another thread failed: give up */
                return NULL;
            futex_wait(&t->word, w);
        }
        if (do_event(r, t, e) != 0) {
            r->failed = 1;
            bw_report("error replay: allocation of %llu bytes failed at event %llu",
                      (unsigned long long)e->size, (unsigned long long)e->seq);
            atomic_store_explicit(&r->turn, UINT64_MAX, memory_order_release);
            for (uint32_t k = 0; k < r->nth; k++) {
                atomic_fetch_add_explicit(&r->th[k].word, 1, memory_order_release);
                futex_wake(&r->th[k].word);
            }
            return NULL;
        }
        bw_ops_add(1);
        uint64_t next = e->seq + 1;
        if (r->curve_every && (next % r->curve_every == 0 || next == r->nev))
            bw_report("curve %llu %lld", (unsigned long long)next, (long long)bw_live_total());
        if (e->seq == r->peak_seq) {
            bw_phase(BENCH_PH_PEAK);
            bw_stats_report("peak");
            if (bw_sync("peak") != 0)
                r->failed = 1;
            bw_phase(BENCH_PH_RUN);
        }
        atomic_store_explicit(&r->turn, next, memory_order_release);
        if (next < r->nev) {
            rthread_t *o = &r->th[r->owner[next]];
            if (o != t) {
                atomic_fetch_add_explicit(&o->word, 1, memory_order_release);
                futex_wake(&o->word);
            }
        }
    }
    return NULL;
}

int bw_replay(const bw_params_t *p)
{
    if (!p->trace) {
        bw_report("error the replay workload needs --trace FILE");
        return -1;
    }
    replay_t *r = calloc(1, sizeof *r);
    if (!r)
        return -1;
    r->curve_every = p->curve_every;
    int rc = load(r, p->trace);
    if (rc == 0)
        rc = order(r);
    if (rc == 0)
        rc = amap_init(&r->map, 4096);
    bw_report("trace events=%llu threads=%u peak_event=%llu", (unsigned long long)r->nev, r->nth,
              (unsigned long long)r->peak_seq);

    bw_phase(BENCH_PH_RUN);
    uint64_t t0 = bw_now_ns();
    pthread_t *tids = calloc(r->nth ? r->nth : 1, sizeof *tids);
    rarg_t *args = calloc(r->nth ? r->nth : 1, sizeof *args);
    uint32_t started = 0;
    if (rc == 0 && (!tids || !args))
        rc = -1;
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (; rc == 0 && started < r->nth; started++) {
        args[started] = (rarg_t){r, started};
        if (pthread_create(&tids[started], &attr, replay_thread, &args[started]) != 0) {
            bw_report("error cannot start replay thread %u of %u", started, r->nth);
            atomic_store_explicit(&r->turn, UINT64_MAX, memory_order_release);
            for (uint32_t k = 0; k < started; k++) {
                atomic_fetch_add_explicit(&r->th[k].word, 1, memory_order_release);
                futex_wake(&r->th[k].word);
            }
            rc = -1;
        }
    }
    pthread_attr_destroy(&attr);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    uint64_t run_ns = bw_now_ns() - t0;
    if (r->failed)
        rc = -1;
    if (rc == 0 && r->nev == 0) { /* an empty trace still passes the sync points */
        bw_phase(BENCH_PH_PEAK);
        bw_stats_report("peak");
        rc = bw_sync("peak");
    }

    /* Mass delete: what the recorded program still held at its end. */
    bw_phase(BENCH_PH_DELETE);
    bw_thread_slot(0);
    for (size_t i = 0; r->map.e && i <= r->map.mask; i++)
        if (r->map.e[i].key) {
            free(r->map.e[i].ptr);
            bw_live_add(-(int64_t)r->map.e[i].size);
            r->map.e[i].key = 0;
        }
    r->map.count = 0;
    if (rc == 0 && bw_sync("deleted") != 0)
        rc = -1;

    bw_phase(BENCH_PH_TAIL);
    bw_rng_t rng;
    bw_rng_seed(&rng, p->seed, 0x7e91a7ULL);
    uint64_t tail_end = bw_now_ns() + (uint64_t)p->tail_max_ms * 1000000ULL;
    while (rc == 0 && bw_now_ns() < tail_end) {
        for (int i = 0; i < 20; i++) {
            size_t sz = bw_rng_logsize(&rng, 16, 4096);
            void *q = bw_tmp_alloc(sz);
            if (q)
                bw_touch(q, sz, sz);
            bw_tmp_free(q, sz);
        }
        if (bw_wait_stop(10))
            break;
    }
    bw_stats_report("tail");
    bw_phase(BENCH_PH_TEARDOWN);
    int64_t left = bw_live_total();
    if (rc == 0 && left != 0) {
        bw_report("error accounting: %lld requested bytes live after teardown", (long long)left);
        rc = -1;
    }
    if (rc == 0)
        bw_report("result ops=%llu run_ms=%.3f threads=%u", (unsigned long long)r->nev,
                  (double)run_ns / 1e6, r->nth);
    else
        bw_report("error replay failed");
    for (uint32_t i = 0; r->th && i < MAX_THREADS; i++) {
        free(r->th[i].pending);
        free(r->th[i].ev);
    }
    free(r->th);
    free(r->owner);
    free(r->map.e);
    free(tids);
    free(args);
    free(r);
    return rc;
}
