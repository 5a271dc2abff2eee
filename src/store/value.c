/*
 * src/store/value.c: string values in one block or two, plain or LZF-compressed. Owns the split
 * plan (where a large string's record ends and its tail begins, chosen with jemalloc's size
 * classes), the compression rule, the value view (decompressing into the reader's scratch) and
 * its helpers (range copy, emission to a sink) and the writers' one mutable range.
 *
 * Why split: jemalloc rounds a block up to its size class, four classes per doubling, so one
 * block can waste up to 25 % (a 1,030-byte record takes 1,280 bytes). A split record's head
 * fills a class exactly (header, key, link, the value's first bytes) and its tail holds the
 * rest, exactly sized, in a class of its own whose rounding is small in bytes.
 *
 * Why compress: a value much larger than its key is most of a record; Redis compresses cold
 * list nodes with LZF (list-compress-depth), flatline large string values. A value of at least
 * string-compress-min bytes written whole (SET, MSET, INCR*, a load, RESTORE) is compressed when
 * LZF saves 1/8 of it and the record's block is smaller than the plain layout's; LZF writes into
 * a buffer of exactly that bound, after a probe of the value's first bytes (probe_compresses),
 * so an incompressible value costs a fraction of a full attempt.
 * An edit (APPEND, SETRANGE, SETBIT) lays a compressed value out plain (fls_str_resize) and
 * leaves it so: later edits cost what they cost before, and a value being edited is hot.
 *
 * Invariants: a split record's head is fls_str_head_bytes(klen, vlen, ttl, tail) bytes and its
 * tail exactly `tail` bytes, both accounted to the record's partition; the link (pointer and
 * length) after the key is the tail's only reference. The layout is self-describing: a record
 * may be split or not, compressed or not, whatever the plan and the option say now (they only
 * choose for new blocks). A compressed record is one block: the value's length (u32), then LZF
 * bytes that decompress to exactly that many.
 */
#include <liblzf/lzf.h>
#include <stdlib.h>

#include "store_internal.h"

#define SPLIT_MIN_RECORD 512 /* below, a class's rounding is too few bytes to be worth a block */
#define SPLIT_MIN_GAIN 32    /* a split must save at least this many bytes ... */
#define SPLIT_GAIN_SHIFT 5   /* ... and 1/32 of the single block's class */

/* The size class just below class c (c > 128): jemalloc has four classes per doubling, so the
 * spacing below c is a quarter of the power of two under it. 0 when jemalloc says otherwise
 * (another configuration: no split). */
static size_t class_below(size_t c)
{
    unsigned lg = 63u - (unsigned)__builtin_clzll((unsigned long long)(c - 1));
    size_t below = c - ((size_t)1 << (lg - 2));
    return fl_mem_size_class(below) == below ? below : 0;
}

/* The last plan of this thread (a SET plans twice, for its quota check and its record, and a
 * workload repeats its value sizes): three nallocx calls saved when it matches. */
static _Thread_local struct {
    size_t klen, vlen, tail;
    bool ttl;
} last_plan = {SIZE_MAX, SIZE_MAX, 0, false};

/* The value bytes a record of `whole` bytes with a vlen-byte value stores apart (0: none). */
static size_t plan(size_t vlen, size_t whole)
{
    size_t cls = fl_mem_size_class(whole);
    size_t gain =
        cls >> SPLIT_GAIN_SHIFT > SPLIT_MIN_GAIN ? cls >> SPLIT_GAIN_SHIFT : SPLIT_MIN_GAIN;
    if (cls == 0 || cls - whole < gain) /* a split saves less than the rounding */
        return 0;
    /* The head fills the class below (the largest that is not enough for the whole record:
     * the smallest tail; a smaller head never did better over 0..70000 bytes). */
    size_t fixed = whole - vlen + FLS_SPLIT_LINK; /* a head without value bytes */
    size_t head = class_below(cls);
    if (head == 0 || head <= fixed)
        return 0;
    size_t tail = vlen - (head - fixed); /* head < whole: longer than the link */
    return head + fl_mem_size_class(tail) + gain <= cls ? tail : 0;
}

size_t fls_str_tail_plan(size_t klen, size_t vlen, bool ttl)
{
    size_t whole = fls_rec_bytes(FL_TYPE_STRING, klen, vlen, ttl);
    if (whole < SPLIT_MIN_RECORD)
        return 0;
    if (last_plan.klen != klen || last_plan.vlen != vlen || last_plan.ttl != ttl) {
        last_plan.tail = plan(vlen, whole);
        last_plan.klen = klen;
        last_plan.vlen = vlen;
        last_plan.ttl = ttl;
    }
    return last_plan.tail;
}

void fl_value_copy(fl_value_t v, size_t off, size_t n, void *dst)
{
    FL_ASSERT(off <= fl_value_len(v) && n <= fl_value_len(v) - off);
    char *d = dst;
    if (off < v.head.n) {
        size_t a = n < v.head.n - off ? n : v.head.n - off;
        fls_copy(d, v.head.p + off, a);
        d += a;
        n -= a;
        off = v.head.n;
    }
    if (n)
        memcpy(d, v.tail.p + (off - v.head.n), n);
}

/* ---- Compressed values ---------------------------------------------------------------- */

/* Decompresses compressed record r's value into dst (fls_str_len(r) bytes). */
static void inflate(const fls_rec_t *r, char *dst)
{
    size_t n = fls_str_len(r), stored = fls_rec_vlen(r);
    FL_ASSERT(r->lzf && !r->split && stored > FLS_LZF_HDR);
    unsigned got = lzf_decompress(fls_rec_val_in(r) + FLS_LZF_HDR, (unsigned)(stored - FLS_LZF_HDR),
                                  dst, (unsigned)n);
    FL_ASSERT(got == n); /* the store wrote these bytes itself */
}

fl_value_t fls_str_view(const fls_rec_t *r, fls_scratch_t *s)
{
    if (!r->lzf)
        return fls_str_stored(r);
    FL_ASSERT(s->p == NULL); /* one view per scratch: a live view is never overwritten */
    size_t n = fls_str_len(r);
    s->p = malloc(n);
    FL_ASSERT(s->p != NULL);
    inflate(r, s->p);
    return (fl_value_t){{s->p, n}, {NULL, 0}};
}

void fls_scratch_release(fls_scratch_t *s)
{
    free(s->p);
    s->p = NULL;
}

void fls_emit_str(const fl_sink_t *out, const fls_rec_t *r)
{
    char *dst = r->lzf && out->bulk_fill ? out->bulk_fill(out->ctx, fls_str_len(r)) : NULL;
    if (dst) {
        inflate(r, dst);
        return;
    }
    fls_scratch_t s = FLS_SCRATCH_INIT;
    fls_emit(out, fls_str_view(r, &s));
    fls_scratch_release(&s);
}

/* Bytes the plain layout of this value takes in the allocator: its block, or head + tail. */
static size_t plain_usable(size_t klen, size_t vlen, bool ttl)
{
    size_t tail = fls_str_tail_plan(klen, vlen, ttl);
    if (!tail)
        return fl_mem_size_class(fls_rec_bytes(FL_TYPE_STRING, klen, vlen, ttl));
    return fl_mem_size_class(fls_str_head_bytes(klen, vlen, ttl, tail)) + fl_mem_size_class(tail);
}

/* The most LZF bytes a compressed record for this value may hold: 1/8 less than the value and
 * a block of a class below the plain layout's footprint. 0: compression cannot pay. */
static size_t lzf_budget(size_t klen, size_t vlen, bool ttl)
{
    size_t plain = plain_usable(klen, vlen, ttl);
    size_t cls = plain ? fl_mem_size_class(plain) : 0;
    size_t below = cls > 128 ? class_below(cls) : 0; /* the largest class under the footprint */
    size_t fixed = fls_rec_bytes(FL_TYPE_STRING, klen, vlen, ttl) - vlen + FLS_LZF_HDR;
    if (below <= fixed || vlen <= vlen / 8 + FLS_LZF_HDR)
        return 0;
    size_t budget = below - fixed, saving = vlen - vlen / 8 - FLS_LZF_HDR;
    return budget < saving ? budget : saving;
}

/* The early give-up: LZF over the value's first PROBE bytes into 1/16 less room. LZF reaches
 * its bound only after reading most of its input (1.7 us of CPU for an incompressible KiB here,
 * 170 us for 100 KiB); the probe costs 0.4 us. A value whose start has no redundancy is stored
 * plain even if its rest had some. */
#define PROBE 256
static bool probe_compresses(fl_slice_t val)
{
    if (val.n <= 2 * PROBE)
        return true; /* the whole attempt costs little more */
    char out[PROBE];
    return lzf_compress(val.p, PROBE, out, PROBE - PROBE / 16) != 0;
}

fls_rec_t *fls_str_rec_new(fl_ns_t *ns, const fls_key_t *k, fl_slice_t val, int64_t expire,
                           uint32_t atime)
{
    size_t min = FLS_CFG(ns, string_compress_min);
    size_t budget =
        min && val.n >= min && val.n <= UINT32_MAX ? lzf_budget(k->n, val.n, expire != 0) : 0;
    if (budget && !probe_compresses(val))
        budget = 0;
    char stack[4096], *buf = budget <= sizeof(stack) ? stack : malloc(budget);
    unsigned c = budget && buf ? lzf_compress(val.p, (unsigned)val.n, buf, (unsigned)budget) : 0;
    fls_rec_t *r;
    if (c) {
        r = fls_rec_new_lzf(ns, k->pidx, k, FLS_LZF_HDR + c, expire, atime);
        if (r) {
            uint32_t n = (uint32_t)val.n;
            memcpy(fls_rec_val_in(r), &n, sizeof(n));
            memcpy(fls_rec_val_in(r) + FLS_LZF_HDR, buf, c);
        }
    } else {
        r = fls_rec_new(ns, k->pidx, FL_TYPE_STRING, k, val.n, expire, atime);
        if (r)
            fls_str_put(r, 0, val.p, val.n);
    }
    if (buf != stack)
        free(buf);
    return r;
}

/* ---- The writers' mutable range ------------------------------------------------------------ */

/* The value's writable spans: head[0, *hn), then tail[0, *tn). */
static char *spans_mut(fls_rec_t *r, size_t *hn, char **tail, size_t *tn)
{
    FL_ASSERT(r->type == FL_TYPE_STRING && !r->lzf);
    *tn = fls_rec_tail_len(r);
    *hn = fls_rec_vlen(r) - *tn;
    *tail = *tn ? fls_rec_tail(r) : NULL;
    return fls_rec_val_in(r);
}

void fls_str_put(fls_rec_t *r, size_t off, const void *src, size_t n)
{
    size_t hn, tn;
    char *tail, *head = spans_mut(r, &hn, &tail, &tn);
    FL_ASSERT(off <= hn + tn && n <= hn + tn - off);
    const char *s = src;
    if (off < hn) {
        size_t a = n < hn - off ? n : hn - off;
        fls_copy(head + off, s, a);
        s += a;
        n -= a;
        off = hn;
    }
    if (n)
        memcpy(tail + (off - hn), s, n);
}

void fls_str_fill(fls_rec_t *r, size_t off, int c, size_t n)
{
    size_t hn, tn;
    char *tail, *head = spans_mut(r, &hn, &tail, &tn);
    FL_ASSERT(off <= hn + tn && n <= hn + tn - off);
    if (off < hn) {
        size_t a = n < hn - off ? n : hn - off;
        memset(head + off, c, a);
        n -= a;
        off = hn;
    }
    if (n)
        memset(tail + (off - hn), c, n);
}

void fls_emit(const fl_sink_t *out, fl_value_t v)
{
    if (!v.tail.n) {
        out->bulk(out->ctx, v.head.p, v.head.n);
        return;
    }
    FL_ASSERT(out->bulk2 != NULL); /* every sink that may receive a string value has one */
    out->bulk2(out->ctx, v.head.p, v.head.n, v.tail.p, v.tail.n);
}

bool fls_str_text(const fls_rec_t *r, char *buf, size_t cap, fl_slice_t *out)
{
    size_t n = fls_str_len(r);
    if (n > cap)
        return false;
    if (r->lzf) {
        inflate(r, buf);
        *out = (fl_slice_t){buf, n};
        return true;
    }
    fl_value_t v = fls_str_stored(r);
    if (!v.tail.n) {
        *out = v.head;
        return true;
    }
    fl_value_copy(v, 0, n, buf);
    *out = (fl_slice_t){buf, n};
    return true;
}
