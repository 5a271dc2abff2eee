/*
 * trace_tool.c: test helper for the replay workload, independent of the replayer's code.
 *
 *   trace_tool write FILE SEED   writes a synthetic multi-threaded trace in the format of
 *                                include/flatline/trace.h (own writer: chunks per thread written
 *                                in interleaved order, cross-thread frees, address reuse,
 *                                realloc in place and moving, calloc, memalign, frees and
 *                                reallocs of never-seen addresses, thread ends)
 *   trace_tool curve FILE N      prints the recorded program's live requested bytes as
 *                                "curve <events> <bytes>" every N events and after the last,
 *                                counting a REALLOC as two events (release, acquire), as the
 *                                replayer does; the replay must print the same lines
 *
 * The oracle orders events by (time, frees first, thread, position in the thread), which is the
 * order trace.h defines; it shares no code with src/bench/wl_replay.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <fcntl.h>
#include <unistd.h>

#include "flatline/trace.h"

#define NTH 4
#define NEV 6000

/* ---- writer ---- */

typedef struct wchunk {
    uint8_t buf[64 * 1024];
    size_t len;
    uint32_t n;
    uint64_t base, last_t, last_addr;
    int open;
} wchunk_t;

typedef struct pending_chunk {
    uint32_t thread, n;
    uint64_t base;
    size_t len;
    uint8_t *data;
} pending_chunk_t;

static pending_chunk_t chunks[4096];
static size_t nchunks;

static uint64_t rnd(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void put_u(uint8_t *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void flush_chunk(wchunk_t *c, uint32_t thread)
{
    if (!c->open)
        return;
    pending_chunk_t *pc = &chunks[nchunks++];
    pc->thread = thread;
    pc->n = c->n;
    pc->base = c->base;
    pc->len = c->len;
    pc->data = malloc(c->len ? c->len : 1);
    memcpy(pc->data, c->buf, c->len);
    c->open = 0;
}

/* Appends a record; addrs are coded as deltas exactly as trace.h says. */
static void rec(wchunk_t *c, uint32_t thread, int op, uint64_t t, uint64_t a, uint64_t b,
                uint64_t size, uint64_t extra)
{
    if (c->open && (c->n >= 50 || c->len > sizeof c->buf - 64))
        flush_chunk(c, thread);
    if (!c->open) {
        c->open = 1;
        c->len = 0;
        c->n = 0;
        c->base = t;
        c->last_t = t;
        c->last_addr = 0;
    }
    uint8_t *p = c->buf + c->len;
    size_t n = 0;
    p[n++] = (uint8_t)op;
    n += fl_trace_put_varint(p + n, t - c->last_t);
    c->last_t = t;
    switch (op) {
    case FL_TOP_MALLOC:
    case FL_TOP_CALLOC:
    case FL_TOP_MEMALIGN:
        n += fl_trace_put_zvarint(p + n, (int64_t)(a - c->last_addr));
        c->last_addr = a;
        n += fl_trace_put_varint(p + n, size);
        if (op == FL_TOP_MEMALIGN)
            p[n++] = (uint8_t)extra;
        break;
    case FL_TOP_FREE:
        n += fl_trace_put_zvarint(p + n, (int64_t)(a - c->last_addr));
        c->last_addr = a;
        break;
    case FL_TOP_REALLOC:
        n += fl_trace_put_zvarint(p + n, (int64_t)(a - c->last_addr));
        n += fl_trace_put_zvarint(p + n, (int64_t)(b - a));
        c->last_addr = b;
        n += fl_trace_put_varint(p + n, size);
        n += fl_trace_put_varint(p + n, extra);
        break;
    default:
        break;
    }
    c->len += n;
    c->n++;
}

static int cmd_write(const char *path, uint64_t seed)
{
    static wchunk_t wc[NTH];
    uint64_t live_addr[4096];
    uint64_t free_addr[4096];
    size_t nlive = 0, nfree = 0;
    uint64_t next_addr = 0x7f0000001000ULL, s = seed * 2654435761ULL + 1;
    uint64_t t = 1000;
    int ended[NTH] = {0};
    for (int i = 0; i < NEV; i++) {
        t += 3 + rnd(&s) % 50;
        uint32_t th = (uint32_t)(rnd(&s) % NTH);
        if (ended[th])
            continue;
        unsigned dice = (unsigned)(rnd(&s) % 100);
        uint64_t size = (rnd(&s) % 10 == 0) ? 4096 + rnd(&s) % 200000 : 1 + rnd(&s) % 600;
        /* A fresh or a reused address for the next allocation. */
        uint64_t addr;
        if (nfree && rnd(&s) % 2) {
            size_t k = rnd(&s) % nfree;
            addr = free_addr[k];
            free_addr[k] = free_addr[--nfree];
        } else {
            addr = next_addr;
            next_addr += 16 * (1 + rnd(&s) % 64);
        }
        if (i > NEV - 40 && th != 0 && !ended[th]) { /* threads 1..3 end near the end */
            rec(&wc[th], th, FL_TOP_THREAD_END, t, 0, 0, 0, 0);
            ended[th] = 1;
            if (nfree < 4096)
                free_addr[nfree++] = addr;
            continue;
        }
        if (nlive < 4000 && (dice < 45 || nlive == 0)) {
            int op = dice < 35 ? FL_TOP_MALLOC : dice < 40 ? FL_TOP_CALLOC : FL_TOP_MEMALIGN;
            rec(&wc[th], th, op, t, addr, 0, size, 4 + rnd(&s) % 9);
            live_addr[nlive++] = addr;
        } else if (dice < 80) { /* free, often by another thread than the allocating one */
            size_t k = rnd(&s) % nlive;
            rec(&wc[th], th, FL_TOP_FREE, t, live_addr[k], 0, 0, 0);
            if (nfree < 4096)
                free_addr[nfree++] = live_addr[k];
            live_addr[k] = live_addr[--nlive];
            if (nfree < 4096)
                free_addr[nfree++] = addr;
        } else if (dice < 95) { /* realloc: in place or moving; span 0..2 < the next step */
            size_t k = rnd(&s) % nlive;
            uint64_t old = live_addr[k];
            uint64_t nw = rnd(&s) % 3 == 0 ? old : addr;
            if (nw != addr && nfree < 4096)
                free_addr[nfree++] = addr;
            if (nw != old && nfree < 4096)
                free_addr[nfree++] = old;
            rec(&wc[th], th, FL_TOP_REALLOC, t, old, nw, size, rnd(&s) % 3);
            live_addr[k] = nw;
        } else if (dice < 98) { /* free of an address allocated before tracing started */
            rec(&wc[th], th, FL_TOP_FREE, t, 0x10000 + 16 * (rnd(&s) % 1000), 0, 0, 0);
            if (nfree < 4096)
                free_addr[nfree++] = addr;
        } else { /* realloc of a never-seen address: a malloc of size */
            rec(&wc[th], th, FL_TOP_REALLOC, t, 0x20000 + 16 * (rnd(&s) % 1000), addr, size, 1);
            live_addr[nlive++] = addr;
        }
        /* Occasionally a thread flushes early, so chunks interleave in the file. */
        if (rnd(&s) % 17 == 0)
            flush_chunk(&wc[th], th);
    }
    for (uint32_t th = 0; th < NTH; th++)
        flush_chunk(&wc[th], th);

    FILE *f = fopen(path, "wb");
    if (!f)
        return 1;
    uint8_t h[FL_TRACE_HEADER_SIZE] = {0};
    memcpy(h, FL_TRACE_MAGIC, 8);
    put_u(h + 8, FL_TRACE_VERSION, 2);
    put_u(h + 10, FL_TRACE_HEADER_SIZE, 2);
    put_u(h + 16, 1700000000000000000ULL, 8);
    put_u(h + 24, 5, 8);
    put_u(h + 32, 4242, 4);
    fwrite(h, 1, sizeof h, f);
    for (size_t i = 0; i < nchunks; i++) {
        uint8_t ch[FL_TRACE_CHUNK_HEADER_SIZE];
        put_u(ch, FL_TRACE_CHUNK_MAGIC, 4);
        put_u(ch + 4, chunks[i].thread, 4);
        put_u(ch + 8, chunks[i].len, 4);
        put_u(ch + 12, chunks[i].n, 4);
        put_u(ch + 16, chunks[i].base, 8);
        fwrite(ch, 1, sizeof ch, f);
        fwrite(chunks[i].data, 1, chunks[i].len, f);
        free(chunks[i].data);
    }
    return fclose(f) == 0 ? 0 : 1;
}

/* ---- oracle ---- */

typedef struct oev {
    uint64_t t, addr, size;
    uint32_t thread, idx;
    int cls;  /* 0: releases (FREE, realloc's release), 1: the rest */
    int kind; /* 0 alloc, 1 release, 2 none */
} oev_t;

static int cmp(const void *a, const void *b)
{
    const oev_t *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    if (x->cls != y->cls)
        return x->cls - y->cls;
    if (x->thread != y->thread)
        return x->thread < y->thread ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

typedef struct blk {
    uint64_t addr, size;
} blk_t;

static int cmd_curve(const char *path, uint64_t every)
{
    int fd = open(path, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0)
        return 1;
    size_t len = (size_t)st.st_size;
    uint8_t *buf = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
    fl_trace_header_t h;
    if (buf == MAP_FAILED || fl_trace_read_header(buf, len, &h) != 0)
        return 1;
    size_t cap = 1 << 16, n = 0, off = h.header_size;
    oev_t *ev = malloc(cap * sizeof *ev);
    uint32_t idx[65536] = {0};
    fl_trace_chunk_t c;
    while (fl_trace_next_chunk(buf, len, &off, &c) == 1) {
        fl_trace_event_t e;
        while (fl_trace_next_event(&c, &e) == 1) {
            if (n + 2 > cap) {
                cap *= 2;
                ev = realloc(ev, cap * sizeof *ev);
            }
            uint32_t th = e.thread & 0xffff;
            if (e.op == FL_TOP_REALLOC) {
                ev[n++] = (oev_t){e.t_ns, e.old_addr, 0, th, idx[th]++, 0, 1};
                ev[n++] = (oev_t){e.t_ns + e.span_ns, e.addr, e.size, th, idx[th]++, 1, 0};
            } else if (e.op == FL_TOP_FREE) {
                ev[n++] = (oev_t){e.t_ns, e.addr, 0, th, idx[th]++, 0, 1};
            } else if (e.op == FL_TOP_THREAD_END) {
                ev[n++] = (oev_t){e.t_ns, 0, 0, th, idx[th]++, 1, 2};
            } else {
                ev[n++] = (oev_t){e.t_ns, e.addr, e.size, th, idx[th]++, 1, 0};
            }
        }
    }
    qsort(ev, n, sizeof *ev, cmp);
    /* Live blocks in a plain array searched linearly: slow but obviously right. */
    size_t bcap = 1024, nb = 0;
    blk_t *b = malloc(bcap * sizeof *b);
    int64_t live = 0;
    for (size_t i = 0; i < n; i++) {
        oev_t *e = &ev[i];
        if (e->kind != 2) {
            for (size_t k = 0; k < nb; k++)
                if (b[k].addr == e->addr) {
                    live -= (int64_t)b[k].size;
                    b[k] = b[--nb];
                    break;
                }
        }
        if (e->kind == 0) {
            if (nb == bcap) {
                bcap *= 2;
                b = realloc(b, bcap * sizeof *b);
            }
            b[nb++] = (blk_t){e->addr, e->size};
            live += (int64_t)e->size;
        }
        if ((i + 1) % every == 0 || i + 1 == n)
            printf("curve %zu %lld\n", i + 1, (long long)live);
    }
    free(b);
    free(ev);
    munmap(buf, len);
    close(fd);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "write") == 0)
        return cmd_write(argv[2], strtoull(argv[3], NULL, 10));
    if (argc == 4 && strcmp(argv[1], "curve") == 0)
        return cmd_curve(argv[2], strtoull(argv[3], NULL, 10));
    fprintf(stderr, "usage: trace_tool write FILE SEED | trace_tool curve FILE N\n");
    return 2;
}
