/*
 * wl_replay.c: the replay workload: re-runs an allocation trace recorded by
 * `flatline-acct --trace` (format: include/flatline/trace.h) against this process's allocator.
 *
 * Faithful to order and to threads, not to time: every recorded thread gets a replay thread, and
 * all events run in the trace's global order (the threads' streams merged by time, frees first
 * on ties, each REALLOC split into its release at t and its acquire at t + span, as trace.h
 * describes), one at a time: the thread holding the turn runs its call with the recorded size,
 * touches the block's pages as the program would have, decodes its next event, and hands the
 * turn to the thread whose next event comes first (a min-heap of the threads' next events; a
 * futex per thread, so only that thread wakes). So the live requested bytes after every event
 * are exactly those of the recorded program, whatever the allocator; only addresses differ. The
 * replay runs as fast as the allocator allows (recorded pauses are not reproduced): ops/s is
 * events per second.
 *
 * Memory: events are decoded on the fly from each thread's chunks (read with pread into one
 * buffer per thread), never stored, so a long trace costs no memory. The address map (trace
 * address -> replayed block) is the one structure the recorded program did not have: it and
 * the read buffers are mmap'd outside the allocator under test and declared to the driver
 * (bw_overhead_add), which subtracts them from RSS.
 *
 * Phases: a first pass over the trace (same merge) finds the event after which the recorded
 * live bytes peak; the replay syncs "peak" right there. After the last event the blocks still
 * live are freed (the mass delete) and one thread serves a trickle of small requests.
 *
 * Synchronisation: the heap, the address map, the event counter and every stream are touched
 * only by the thread holding the turn; `owner` is stored with release and loaded with acquire by
 * the next holder, which orders all of it. Each thread's futex word only wakes it.
 */
#include "runner.h"

#include <errno.h>
#include <fcntl.h>
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
#define OWNER_DONE UINT32_MAX
#define OWNER_FAILED (UINT32_MAX - 1)

enum { R_MALLOC, R_CALLOC, R_MEMALIGN, R_FREE, R_REL, R_ACQ, R_END };

/* One replayable event (a REALLOC gives two: R_REL then R_ACQ). */
typedef struct rev {
    uint64_t t;
    uint64_t addr; /* allocated or freed trace address (R_REL: the old one) */
    uint64_t size;
    uint8_t op;
    uint8_t align_log;
} rev_t;

/* ---- bookkeeping memory: mmap'd outside the allocator under test, declared to the driver -- */

static void *bk_alloc(size_t n)
{
    void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    bw_overhead_add((int64_t)n);
    return p;
}

static void bk_free(void *p, size_t n)
{
    if (!p)
        return;
    munmap(p, n);
    bw_overhead_add(-(int64_t)n);
}

/* ---- a thread's event stream, decoded chunk by chunk ---- */

typedef struct stream {
    uint64_t *chunk_off; /* file offsets of this thread's chunks, in order */
    size_t nchunks, cap, next_chunk;
    uint8_t *buf; /* the current chunk, read with pread */
    size_t buf_cap;
    fl_trace_chunk_t c;
    bool in_chunk;
    rev_t acq; /* a REALLOC's acquire half, due after its release */
    bool have_acq;
    rev_t head; /* the next event */
    bool has_head;
} stream_t;

typedef struct replay {
    int fd;
    stream_t *st;
    uint32_t nth;
    size_t max_chunk; /* largest chunk (header + payload) */
    /* merge heap of thread indices, keyed by their stream's head */
    uint32_t *heap;
    uint32_t nheap;
    /* address map: open addressing, linear probing, backward-shift deletion */
    struct amap_entry {
        uint64_t key; /* trace address; 0 = empty */
        void *ptr;
        uint64_t size;
    } * map;
    size_t mask, count;
    uint64_t nev, done, peak_seq;
    int64_t sim_live; /* first pass: recorded live bytes */
    unsigned curve_every;
    _Atomic uint32_t owner;
    _Atomic uint32_t *word; /* futex word per thread */
    bool failed;
} replay_t;

static bool stream_read_chunk(replay_t *r, stream_t *s)
{
    while (s->next_chunk < s->nchunks) {
        uint64_t off = s->chunk_off[s->next_chunk++];
        ssize_t got = pread(r->fd, s->buf, s->buf_cap, (off_t)off);
        if (got < FL_TRACE_CHUNK_HEADER_SIZE)
            return false;
        size_t o = 0;
        if (fl_trace_next_chunk(s->buf, (size_t)got, &o, &s->c) != 1)
            return false;
        if (s->c.nevents) {
            s->in_chunk = true;
            return true;
        }
    }
    return false;
}

/* Decodes the stream's next event into s->head (has_head false at the end). */
static void stream_advance(replay_t *r, stream_t *s)
{
    if (s->have_acq) {
        s->head = s->acq;
        s->have_acq = false;
        s->has_head = true;
        return;
    }
    fl_trace_event_t e;
    for (;;) {
        if (!s->in_chunk && !stream_read_chunk(r, s)) {
            s->has_head = false;
            return;
        }
        int rc = fl_trace_next_event(&s->c, &e);
        if (rc == 1)
            break;
        s->in_chunk = false;
        if (rc < 0) { /* a damaged chunk: trace.h says stop reading this stream there */
            s->next_chunk = s->nchunks;
            s->has_head = false;
            return;
        }
    }
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
        v.align_log = (uint8_t)__builtin_ctzll(e.align ? e.align : 1);
        break;
    case FL_TOP_FREE:
        v.op = R_FREE;
        break;
    case FL_TOP_REALLOC:
        s->acq = (rev_t){.t = e.t_ns + e.span_ns, .addr = e.addr, .size = e.size, .op = R_ACQ};
        s->have_acq = true;
        v = (rev_t){.t = e.t_ns, .addr = e.old_addr, .op = R_REL};
        break;
    case FL_TOP_THREAD_END:
        v.op = R_END;
        break;
    }
    s->head = v;
    s->has_head = true;
}

/* ---- the merge heap: (time, releases first, thread) ---- */

static bool before(const replay_t *r, uint32_t a, uint32_t b)
{
    const rev_t *x = &r->st[a].head, *y = &r->st[b].head;
    if (x->t != y->t)
        return x->t < y->t;
    bool xf = x->op == R_FREE || x->op == R_REL, yf = y->op == R_FREE || y->op == R_REL;
    if (xf != yf)
        return xf;
    return a < b;
}

static void heap_push(replay_t *r, uint32_t th)
{
    uint32_t i = r->nheap++;
    r->heap[i] = th;
    while (i && before(r, r->heap[i], r->heap[(i - 1) / 2])) {
        uint32_t p = (i - 1) / 2, tmp = r->heap[p];
        r->heap[p] = r->heap[i];
        r->heap[i] = tmp;
        i = p;
    }
}

static uint32_t heap_pop(replay_t *r)
{
    uint32_t top = r->heap[0];
    r->heap[0] = r->heap[--r->nheap];
    for (uint32_t i = 0;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l < r->nheap && before(r, r->heap[l], r->heap[m]))
            m = l;
        if (l + 1 < r->nheap && before(r, r->heap[l + 1], r->heap[m]))
            m = l + 1;
        if (m == i)
            break;
        uint32_t tmp = r->heap[m];
        r->heap[m] = r->heap[i];
        r->heap[i] = tmp;
        i = m;
    }
    return top;
}

/* ---- the address map ---- */

static size_t map_hash(uint64_t k, size_t mask)
{
    k ^= k >> 33;
    k *= 0xff51afd7ed558ccdULL;
    k ^= k >> 33;
    return (size_t)k & mask;
}

static int map_init(replay_t *r, size_t cap)
{
    r->map = bk_alloc(cap * sizeof *r->map);
    r->mask = cap - 1;
    r->count = 0;
    return r->map ? 0 : -1;
}

static struct amap_entry *map_find(replay_t *r, uint64_t key)
{
    for (size_t i = map_hash(key, r->mask);; i = (i + 1) & r->mask) {
        if (r->map[i].key == key)
            return &r->map[i];
        if (r->map[i].key == 0)
            return NULL;
    }
}

static void map_remove(replay_t *r, struct amap_entry *hole)
{
    size_t i = (size_t)(hole - r->map);
    r->count--;
    for (size_t j = (i + 1) & r->mask; r->map[j].key; j = (j + 1) & r->mask) {
        size_t home = map_hash(r->map[j].key, r->mask);
        if (((j - home) & r->mask) >= ((j - i) & r->mask)) { /* home not in (i, j] */
            r->map[i] = r->map[j];
            i = j;
        }
    }
    r->map[i].key = 0;
}

static struct amap_entry *map_insert(replay_t *r, uint64_t key)
{
    if ((r->count + 1) * 2 > r->mask + 1) { /* grow at half full */
        struct amap_entry *old = r->map;
        size_t old_cap = r->mask + 1;
        if (map_init(r, old_cap * 2) != 0) {
            r->map = old;
            r->mask = old_cap - 1;
            return NULL;
        }
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].key) {
                size_t j = map_hash(old[i].key, r->mask);
                while (r->map[j].key)
                    j = (j + 1) & r->mask;
                r->map[j] = old[i];
                r->count++;
            }
        bk_free(old, old_cap * sizeof *old);
    }
    size_t i = map_hash(key, r->mask);
    while (r->map[i].key)
        i = (i + 1) & r->mask;
    r->map[i].key = key;
    r->count++;
    return &r->map[i];
}

static void map_clear(replay_t *r)
{
    memset(r->map, 0, (r->mask + 1) * sizeof *r->map);
    r->count = 0;
}

/* ---- loading: index every thread's chunks ---- */

static int load(replay_t *r, const char *path)
{
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (r->fd < 0 || fstat(r->fd, &st) != 0) {
        bw_report("error cannot open trace %s: %s", path, strerror(errno));
        return -1;
    }
    uint8_t h[FL_TRACE_HEADER_SIZE];
    fl_trace_header_t hdr;
    if (pread(r->fd, h, sizeof h, 0) != (ssize_t)sizeof h ||
        fl_trace_read_header(h, (size_t)st.st_size, &hdr) != 0) {
        bw_report("error %s is not a flatline trace (version %d)", path, FL_TRACE_VERSION);
        return -1;
    }
    r->st = bk_alloc(MAX_THREADS * sizeof *r->st);
    if (!r->st)
        return -1;
    uint64_t off = hdr.header_size, len = (uint64_t)st.st_size;
    bool truncated = false;
    while (off < len) {
        uint8_t ch[FL_TRACE_CHUNK_HEADER_SIZE];
        if (len - off < sizeof ch ||
            pread(r->fd, ch, sizeof ch, (off_t)off) != (ssize_t)sizeof ch ||
            fl_trace_le(ch, 4) != FL_TRACE_CHUNK_MAGIC) {
            truncated = true;
            break;
        }
        uint64_t thread = fl_trace_le(ch + 4, 4), bytes = fl_trace_le(ch + 8, 4);
        if (bytes > len - off - sizeof ch) {
            truncated = true;
            break;
        }
        if (thread >= MAX_THREADS) {
            bw_report("error trace thread index %llu: the replayer supports %d threads",
                      (unsigned long long)thread, MAX_THREADS);
            return -1;
        }
        stream_t *s = &r->st[thread];
        if (s->nchunks == s->cap) {
            size_t ncap = s->cap ? s->cap * 2 : 64;
            uint64_t *n = bk_alloc(ncap * sizeof *n);
            if (!n)
                return -1;
            if (s->chunk_off)
                memcpy(n, s->chunk_off, s->nchunks * sizeof *n);
            bk_free(s->chunk_off, s->cap * sizeof *n);
            s->chunk_off = n;
            s->cap = ncap;
        }
        s->chunk_off[s->nchunks++] = off;
        if (thread + 1 > r->nth)
            r->nth = (uint32_t)thread + 1;
        if (sizeof ch + bytes > r->max_chunk)
            r->max_chunk = sizeof ch + bytes;
        off += sizeof ch + bytes;
    }
    if (truncated)
        bw_report("note trace %s ends with a truncated chunk; replaying what precedes it", path);
    r->heap = bk_alloc((r->nth + 1) * sizeof *r->heap);
    r->word = bk_alloc((r->nth + 1) * sizeof *r->word);
    return r->heap && r->word ? 0 : -1;
}

/* Opens every stream at its start and fills the heap with the threads' first events. */
static int rewind_streams(replay_t *r)
{
    r->nheap = 0;
    for (uint32_t i = 0; i < r->nth; i++) {
        stream_t *s = &r->st[i];
        if (!s->nchunks)
            continue;
        if (!s->buf) {
            s->buf_cap = r->max_chunk;
            s->buf = bk_alloc(s->buf_cap);
            if (!s->buf)
                return -1;
        }
        s->next_chunk = 0;
        s->in_chunk = false;
        s->have_acq = false;
        stream_advance(r, s);
        if (s->has_head)
            heap_push(r, i);
    }
    return 0;
}

/* First pass: count the events and find the one after which the recorded live bytes peak
 * (the same merge and the same rules as the replay). */
static int first_pass(replay_t *r)
{
    if (rewind_streams(r) != 0 || map_init(r, 1024) != 0)
        return -1;
    int64_t best = -1;
    while (r->nheap) {
        uint32_t th = heap_pop(r);
        stream_t *s = &r->st[th];
        const rev_t *e = &s->head;
        struct amap_entry *m;
        if (e->op != R_END && (m = map_find(r, e->addr))) {
            r->sim_live -= (int64_t)m->size;
            map_remove(r, m);
        }
        if (e->op != R_FREE && e->op != R_REL && e->op != R_END) {
            if (!(m = map_insert(r, e->addr)))
                return -1;
            m->size = e->size;
            r->sim_live += (int64_t)e->size;
        }
        if (r->sim_live > best) {
            best = r->sim_live;
            r->peak_seq = r->nev;
        }
        r->nev++;
        stream_advance(r, s);
        if (s->has_head)
            heap_push(r, th);
    }
    map_clear(r);
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

static void set_owner(replay_t *r, uint32_t o)
{
    atomic_store_explicit(&r->owner, o, memory_order_release);
    if (o < r->nth) {
        atomic_fetch_add_explicit(&r->word[o], 1, memory_order_release);
        futex_wake(&r->word[o]);
        return;
    }
    for (uint32_t k = 0; k < r->nth; k++) { /* done or failed: wake everyone */
        atomic_fetch_add_explicit(&r->word[k], 1, memory_order_release);
        futex_wake(&r->word[k]);
    }
}

static void drop(replay_t *r, uint64_t addr)
{
    struct amap_entry *m = map_find(r, addr);
    if (!m)
        return;
    free(m->ptr);
    bw_live_add(-(int64_t)m->size);
    map_remove(r, m);
}

/* Runs one event. The REL half of a realloc leaves the block in *pending for its ACQ half. */
static int do_event(replay_t *r, const rev_t *e, void **pending, bool *pending_known)
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
        struct amap_entry *m = map_find(r, e->addr);
        *pending_known = m != NULL;
        *pending = m ? m->ptr : NULL;
        if (m) {
            bw_live_add(-(int64_t)m->size);
            map_remove(r, m);
        }
        return 0;
    }
    case R_ACQ: /* a realloc of a never-seen block is a malloc (trace.h) */
        p = *pending_known ? realloc(*pending, e->size ? e->size : 1)
                           : malloc(e->size ? e->size : 1);
        if (!p && *pending_known)
            free(*pending);
        *pending = NULL;
        *pending_known = false;
        break;
    case R_END:
        return 0;
    }
    if (!p && e->size)
        return -1;
    drop(r, e->addr); /* a valid trace never maps an address twice; be robust anyway */
    struct amap_entry *m = map_insert(r, e->addr);
    if (!m) {
        free(p);
        return -1;
    }
    m->ptr = p;
    m->size = e->size;
    bw_live_add((int64_t)e->size);
    if (p && e->size)
        bw_touch(p, (size_t)e->size, e->addr);
    return 0;
}

typedef struct rarg {
    replay_t *r;
    uint32_t id;
} rarg_t;

static void *replay_thread(void *arg)
{
    rarg_t *a = arg;
    replay_t *r = a->r;
    stream_t *s = &r->st[a->id];
    void *pending = NULL;
    bool pending_known = false;
    bw_thread_slot(a->id + 1);
    for (;;) {
        uint32_t w = atomic_load_explicit(&r->word[a->id], memory_order_acquire);
        uint32_t o = atomic_load_explicit(&r->owner, memory_order_acquire);
        if (o == OWNER_DONE || o == OWNER_FAILED)
            break;
        if (o != a->id) {
            futex_wait(&r->word[a->id], w);
            continue;
        }
        /* This thread holds the turn: its head is the next event in the global order. */
        if (do_event(r, &s->head, &pending, &pending_known) != 0) {
            bw_report("error replay: allocation of %llu bytes failed at event %llu",
                      (unsigned long long)s->head.size, (unsigned long long)r->done);
            r->failed = true;
            set_owner(r, OWNER_FAILED);
            break;
        }
        bw_ops_add(1);
        uint64_t seq = r->done++;
        if (r->curve_every && (r->done % r->curve_every == 0 || r->done == r->nev))
            bw_report("curve %llu %lld", (unsigned long long)r->done, (long long)bw_live_total());
        if (seq == r->peak_seq) {
            if (bw_at_peak(0) != 0)
                r->failed = true;
            bw_phase(BENCH_PH_RUN);
        }
        stream_advance(r, s);
        if (s->has_head)
            heap_push(r, a->id);
        set_owner(r, r->nheap ? heap_pop(r) : OWNER_DONE);
        if (!s->has_head)
            break;
    }
    free(pending);
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
    r->fd = -1;
    r->curve_every = p->curve_every;
    int rc = load(r, p->trace);
    if (rc == 0)
        rc = first_pass(r);
    bw_report("trace events=%llu threads=%u peak_event=%llu recorded_peak_live=%lld",
              (unsigned long long)r->nev, r->nth, (unsigned long long)r->peak_seq,
              (long long)r->sim_live);
    if (rc == 0)
        rc = rewind_streams(r);

    bw_phase(BENCH_PH_RUN);
    uint64_t t0 = bw_now_ns();
    pthread_t *tids = calloc(r->nth ? r->nth : 1, sizeof *tids);
    rarg_t *args = calloc(r->nth ? r->nth : 1, sizeof *args);
    uint32_t started = 0;
    if (rc == 0 && (!tids || !args))
        rc = -1;
    if (rc == 0)
        atomic_store_explicit(&r->owner, r->nheap ? heap_pop(r) : OWNER_DONE, memory_order_release);
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    for (; rc == 0 && started < r->nth; started++) {
        args[started] = (rarg_t){r, started};
        if (pthread_create(&tids[started], &attr, replay_thread, &args[started]) != 0) {
            bw_report("error cannot start replay thread %u of %u", started, r->nth);
            set_owner(r, OWNER_FAILED);
            rc = -1;
        }
    }
    pthread_attr_destroy(&attr);
    for (uint32_t i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    uint64_t run_ns = bw_now_ns() - t0;
    if (r->failed)
        rc = -1;
    if (rc == 0 && r->nev == 0) /* an empty trace still passes the sync points */
        rc = bw_at_peak(rc);

    /* Mass delete: what the recorded program still held at its end. */
    bw_phase(BENCH_PH_DELETE);
    bw_thread_slot(0);
    for (size_t i = 0; r->map && i <= r->mask; i++)
        if (r->map[i].key) {
            free(r->map[i].ptr);
            bw_live_add(-(int64_t)r->map[i].size);
        }
    if (r->map)
        map_clear(r);
    rc = bw_at_deleted(rc);

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
    rc = bw_check_teardown(rc);
    if (rc == 0)
        bw_report("result ops=%llu run_ms=%.3f threads=%u", (unsigned long long)r->nev,
                  (double)run_ns / 1e6, r->nth);
    else
        bw_report("error replay failed");
    for (uint32_t i = 0; r->st && i < r->nth; i++) {
        bk_free(r->st[i].buf, r->st[i].buf_cap);
        bk_free(r->st[i].chunk_off, r->st[i].cap * sizeof *r->st[i].chunk_off);
    }
    bk_free(r->st, MAX_THREADS * sizeof *r->st);
    bk_free(r->heap, (r->nth + 1) * sizeof *r->heap);
    bk_free(r->word, (r->nth + 1) * sizeof *r->word);
    if (r->map)
        bk_free(r->map, (r->mask + 1) * sizeof *r->map);
    if (r->fd >= 0)
        close(r->fd);
    free(tids);
    free(args);
    free(r);
    return rc;
}
