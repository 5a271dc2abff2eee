/*
 * flatline/trace.h: the allocation-trace format written by `flatline-acct --trace FILE` and read
 * by flatline-bench's replayer. Header-only: the reader below needs nothing but libc.
 *
 * ---- File layout -------------------------------------------------------------------------------
 * All fixed-width integers are little-endian. A file is one header followed by chunks:
 *
 *   header (48 bytes)
 *     off  0  u8[8]  magic "FLTRACE\0"
 *     off  8  u16    version (FL_TRACE_VERSION = 1); a reader rejects versions it does not know
 *     off 10  u16    header_size (48); a reader skips header_size bytes (room to grow)
 *     off 12  u32    flags (0 in version 1)
 *     off 16  u64    start_realtime_ns  CLOCK_REALTIME at start (for humans)
 *     off 24  u64    start_mono_ns      CLOCK_MONOTONIC at start; every event time is relative to
 * it off 32  u32    pid of the traced process off 36  u32    reserved (0) off 40  u64    reserved
 * (0)
 *
 *   chunk (24-byte header + payload): the events of ONE thread, in that thread's program order
 *     off  0  u32    magic "FLCK" (bytes 'F','L','C','K')
 *     off  4  u32    thread: dense index, 0 for the first thread that allocated, 1 for the next...
 *                    never reused within a file (a new OS thread always gets a new index)
 *     off  8  u32    payload_bytes
 *     off 12  u32    nevents
 *     off 16  u64    base_ns: time of the chunk's start, ns since start_mono_ns
 *     off 24  payload: nevents records, back to back
 *
 * Each thread buffers its events and writes a whole chunk at once (when its buffer fills, at thread
 * exit, at process exit), so chunks of different threads interleave in the file in no particular
 * order; a thread's own chunks appear in its order. A file whose process was killed may end with a
 * truncated chunk: a reader stops there (fl_trace_next_chunk returns -EPROTO) and keeps the rest.
 *
 * ---- Records ---------------------------------------------------------------------------------
 * varint = unsigned LEB128 (7 bits a byte, low group first, high bit = more), at most 10 bytes.
 * zvarint = zigzag-encoded signed value as varint ((v << 1) ^ (v >> 63)).
 *
 *   u8 op                        (enum fl_trace_op below)
 *   varint dt                    ns since the previous record of this chunk (first: since base_ns)
 *   then, by op:
 *   MALLOC, CALLOC   zvarint daddr, varint size
 *   MEMALIGN         zvarint daddr, varint size, u8 log2(alignment)
 *   FREE             zvarint daddr
 *   REALLOC          zvarint dold, zvarint dnew, varint size, varint span
 *   THREAD_END       (nothing)
 *
 * Addresses are delta-coded: each address field is coded as the difference from the previous
 * address field in the same chunk (0 at the chunk's start); REALLOC's new address is coded relative
 * to its old address.
 *
 * ---- What the writer guarantees (the reader contract) -----------------------------------------
 * - Times come from one CLOCK_MONOTONIC, comparable across threads. An allocation is stamped AFTER
 *   the underlying call returned; a FREE is stamped BEFORE the underlying call. So if a block is
 *   freed by one thread and its address handed out again to another, the FREE's time is strictly
 *   smaller than the reuse's time (ties, which the clock's resolution makes possible in theory,
 *   are broken by processing FREE first). Merging all threads' streams by time therefore gives an
 *   order in which an address is never allocated twice without a FREE in between.
 * - REALLOC(old -> new, size, span): `old` is released at time t (stamped before the call) and
 *   `new` is acquired at t + span (stamped after). A faithful replayer detaches the object mapped
 *   to `old` at t and re-binds it, resized, to `new` at t + span; a simpler one applies the whole
 *   realloc at t + span (the window is the duration of one realloc call). `new` may equal `old`.
 * - realloc(NULL, n) is recorded as MALLOC. realloc(p, 0) that freed p and returned NULL is
 *   recorded as FREE; if the allocator returned a block instead, as REALLOC with size 0.
 *   calloc(n, m) is CALLOC with size n*m. posix_memalign, aligned_alloc, memalign, valloc, pvalloc
 *   and jemalloc's mallocx with MALLOCX_ALIGN are MEMALIGN (pvalloc's size is the rounded size).
 *   jemalloc's mallocx/rallocx/dallocx/sdallocx map to MALLOC/CALLOC/MEMALIGN/REALLOC/FREE;
 *   xallocx that grew or shrank in place is REALLOC with new == old and size = min(the size
 *   asked for, the resulting usable size).
 * - free(NULL) and failed calls (NULL result) are not recorded (a failed realloc leaves `old`
 * live).
 * - A FREE or REALLOC of an address the reader has never seen allocated is legal: the block was
 *   allocated before tracing started (or by the dynamic loader). A replayer ignores such a FREE
 *   and treats such a REALLOC as a MALLOC of `size`.
 * - Sizes are what the program requested, not usable sizes.
 * - THREAD_END is the last record of a thread that exited; threads still running at process exit
 *   have none. A replayer that reproduces threads starts thread i at its first event and may end
 *   it at THREAD_END.
 * - A forked child does not write to its parent's trace: tracing is off in the child.
 *
 * Reading: map the file, fl_trace_read_header(), then loop fl_trace_next_chunk() and, for each
 * chunk, fl_trace_next_event(). To replay in global order, decode every chunk and merge the
 * per-thread streams by time (each thread's stream is already sorted).
 */
#ifndef FLATLINE_TRACE_H
#define FLATLINE_TRACE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define FL_TRACE_MAGIC "FLTRACE" /* 8 bytes with its NUL */
#define FL_TRACE_VERSION 1
#define FL_TRACE_HEADER_SIZE 48
#define FL_TRACE_CHUNK_MAGIC 0x4B434C46u /* "FLCK" read as little-endian u32 */
#define FL_TRACE_CHUNK_HEADER_SIZE 24
#define FL_TRACE_MAX_RECORD 48 /* largest encoded record, in bytes */

/* Operation codes (the record's first byte). */
enum fl_trace_op {
    FL_TOP_MALLOC = 1,
    FL_TOP_CALLOC = 2,
    FL_TOP_REALLOC = 3,
    FL_TOP_FREE = 4,
    FL_TOP_MEMALIGN = 5,
    FL_TOP_THREAD_END = 6,
};

/* The decoded file header. */
typedef struct fl_trace_header {
    uint16_t version;
    uint16_t header_size;
    uint32_t flags;
    uint64_t start_realtime_ns;
    uint64_t start_mono_ns;
    uint32_t pid;
} fl_trace_header_t;

/* A chunk being decoded: fill it with fl_trace_next_chunk(), then call fl_trace_next_event(). */
typedef struct fl_trace_chunk {
    uint32_t thread;
    uint32_t nevents;
    uint64_t base_ns;
    const uint8_t *pos, *end; /* undecoded payload */
    uint32_t left;            /* events not yet decoded */
    uint64_t t_ns;            /* time of the last decoded event */
    uint64_t last_addr;       /* base of the next address delta */
} fl_trace_chunk_t;

/* One decoded event. Fields that an op does not use are 0. */
typedef struct fl_trace_event {
    enum fl_trace_op op;
    uint32_t thread;   /* dense thread index */
    uint64_t t_ns;     /* ns since start_mono_ns; for REALLOC the release time of old_addr */
    uint64_t addr;     /* block allocated (MALLOC, CALLOC, MEMALIGN, REALLOC's new) or freed */
    uint64_t old_addr; /* REALLOC: the block given back */
    uint64_t size;     /* requested bytes (CALLOC: n*m) */
    uint64_t align;    /* MEMALIGN: alignment in bytes */
    uint64_t span_ns;  /* REALLOC: new block acquired at t_ns + span_ns */
} fl_trace_event_t;

static inline uint64_t fl_trace_le(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* Decodes a varint at *pp (not past end). Returns 0, or -EPROTO when truncated or overlong. */
static inline int fl_trace_varint(const uint8_t **pp, const uint8_t *end, uint64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 70; shift += 7) {
        if (*pp >= end)
            return -EPROTO;
        uint8_t b = *(*pp)++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = v;
            return 0;
        }
    }
    return -EPROTO;
}

static inline int fl_trace_zvarint(const uint8_t **pp, const uint8_t *end, int64_t *out)
{
    uint64_t u;
    int rc = fl_trace_varint(pp, end, &u);
    *out = (int64_t)(u >> 1) ^ -(int64_t)(u & 1);
    return rc;
}

/* Encodes v as a varint at p; returns the byte count (1..10). p needs 10 bytes of room. */
static inline size_t fl_trace_put_varint(uint8_t *p, uint64_t v)
{
    size_t n = 0;
    while (v >= 0x80) {
        p[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    p[n++] = (uint8_t)v;
    return n;
}

static inline size_t fl_trace_put_zvarint(uint8_t *p, int64_t v)
{
    return fl_trace_put_varint(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* Checks and decodes the file header at buf[0..len). Returns 0, or -EPROTO (not a trace,
 * truncated) or -ENOTSUP (a version this reader does not know). */
static inline int fl_trace_read_header(const void *buf, size_t len, fl_trace_header_t *h)
{
    const uint8_t *p = (const uint8_t *)buf;
    if (len < FL_TRACE_HEADER_SIZE || memcmp(p, FL_TRACE_MAGIC, 8) != 0)
        return -EPROTO;
    h->version = (uint16_t)fl_trace_le(p + 8, 2);
    h->header_size = (uint16_t)fl_trace_le(p + 10, 2);
    h->flags = (uint32_t)fl_trace_le(p + 12, 4);
    h->start_realtime_ns = fl_trace_le(p + 16, 8);
    h->start_mono_ns = fl_trace_le(p + 24, 8);
    h->pid = (uint32_t)fl_trace_le(p + 32, 4);
    if (h->version != FL_TRACE_VERSION)
        return -ENOTSUP;
    if (h->header_size < FL_TRACE_HEADER_SIZE || h->header_size > len)
        return -EPROTO;
    return 0;
}

/* Decodes the chunk at buf[*off..len) into c and advances *off past it. Start with
 * *off = header_size. Returns 1 (a chunk), 0 (clean end of file) or -EPROTO (bad or truncated
 * chunk: stop reading; everything before it is valid). */
static inline int fl_trace_next_chunk(const void *buf, size_t len, size_t *off, fl_trace_chunk_t *c)
{
    const uint8_t *p = (const uint8_t *)buf + *off;
    if (*off == len)
        return 0;
    if (len - *off < FL_TRACE_CHUNK_HEADER_SIZE || fl_trace_le(p, 4) != FL_TRACE_CHUNK_MAGIC)
        return -EPROTO;
    uint64_t bytes = fl_trace_le(p + 8, 4);
    if (bytes > len - *off - FL_TRACE_CHUNK_HEADER_SIZE)
        return -EPROTO;
    c->thread = (uint32_t)fl_trace_le(p + 4, 4);
    c->nevents = (uint32_t)fl_trace_le(p + 12, 4);
    c->base_ns = fl_trace_le(p + 16, 8);
    c->pos = p + FL_TRACE_CHUNK_HEADER_SIZE;
    c->end = c->pos + bytes;
    c->left = c->nevents;
    c->t_ns = c->base_ns;
    c->last_addr = 0;
    *off += FL_TRACE_CHUNK_HEADER_SIZE + (size_t)bytes;
    return 1;
}

/* Decodes the chunk's next event into e. Returns 1 (an event), 0 (chunk done) or -EPROTO. */
static inline int fl_trace_next_event(fl_trace_chunk_t *c, fl_trace_event_t *e)
{
    uint64_t dt, u;
    int64_t d;
    if (c->left == 0)
        return c->pos == c->end ? 0 : -EPROTO;
    memset(e, 0, sizeof *e);
    if (c->pos >= c->end)
        return -EPROTO;
    e->op = (enum fl_trace_op) * c->pos++;
    e->thread = c->thread;
    if (fl_trace_varint(&c->pos, c->end, &dt))
        return -EPROTO;
    c->t_ns += dt;
    e->t_ns = c->t_ns;
    switch (e->op) {
    case FL_TOP_MALLOC:
    case FL_TOP_CALLOC:
    case FL_TOP_MEMALIGN:
        if (fl_trace_zvarint(&c->pos, c->end, &d) || fl_trace_varint(&c->pos, c->end, &e->size))
            return -EPROTO;
        e->addr = c->last_addr = c->last_addr + (uint64_t)d;
        if (e->op == FL_TOP_MEMALIGN) {
            if (c->pos >= c->end || *c->pos > 63)
                return -EPROTO;
            e->align = (uint64_t)1 << *c->pos++;
        }
        break;
    case FL_TOP_FREE:
        if (fl_trace_zvarint(&c->pos, c->end, &d))
            return -EPROTO;
        e->addr = c->last_addr = c->last_addr + (uint64_t)d;
        break;
    case FL_TOP_REALLOC:
        if (fl_trace_zvarint(&c->pos, c->end, &d))
            return -EPROTO;
        e->old_addr = c->last_addr + (uint64_t)d;
        if (fl_trace_zvarint(&c->pos, c->end, &d))
            return -EPROTO;
        e->addr = c->last_addr = e->old_addr + (uint64_t)d;
        if (fl_trace_varint(&c->pos, c->end, &e->size) || fl_trace_varint(&c->pos, c->end, &u))
            return -EPROTO;
        e->span_ns = u;
        break;
    case FL_TOP_THREAD_END:
        break;
    default:
        return -EPROTO;
    }
    c->left--;
    return 1;
}

#ifdef __cplusplus
}
#endif

#endif /* FLATLINE_TRACE_H */
