/*
 * src/store/value.c: string values in one block or two. Owns the split plan (where a large
 * string's record ends and its tail begins, chosen with jemalloc's size classes), the value
 * view's helpers (range copy, emission to a sink) and the writers' one mutable range.
 *
 * Why split: jemalloc rounds a block up to its size class, four classes per doubling, so one
 * block can waste up to 25 % (a 1,030-byte record takes 1,280 bytes). A split record's head
 * fills a class exactly (header, key, link, the value's first bytes) and its tail holds the
 * rest, exactly sized, in a class of its own whose rounding is small in bytes.
 *
 * Invariants: a split record's head is fls_str_head_bytes(klen, vlen, ttl, tail) bytes and its
 * tail exactly `tail` bytes, both accounted to the record's partition; the link (pointer and
 * length) after the key is the tail's only reference. The layout is self-describing: a record
 * may be split or not whatever the plan says now (the plan only chooses for new blocks).
 */
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

/* The value's writable spans: head[0, *hn), then tail[0, *tn). */
static char *spans_mut(fls_rec_t *r, size_t *hn, char **tail, size_t *tn)
{
    FL_ASSERT(r->type == FL_TYPE_STRING);
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
    fl_value_t v = fls_str_view(r);
    size_t n = fl_value_len(v);
    if (n > cap)
        return false;
    if (!v.tail.n) {
        *out = v.head;
        return true;
    }
    fl_value_copy(v, 0, n, buf);
    *out = (fl_slice_t){buf, n};
    return true;
}
