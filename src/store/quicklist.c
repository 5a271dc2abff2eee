/*
 * src/store/quicklist.c: packed chunks of list elements (layout and invariants in
 * quicklist.h). Chunks are sized exactly (fls_realloc on every change: jemalloc keeps it in
 * place within a size class), so `used` counts the bytes the elements take plus 12 per chunk.
 */
#include "quicklist.h"

#include <stdlib.h>

typedef struct chunk_hdr {
    uint32_t bytes; /* used: header and entries */
    uint32_t count; /* entries */
    uint32_t alloc; /* the block's requested size (== bytes unless a shrink failed) */
} chunk_hdr_t;
_Static_assert(sizeof(chunk_hdr_t) == FLS_QL_HDR, "chunk header is 12 bytes");

static inline chunk_hdr_t *hdr(uint8_t *c)
{
    return (chunk_hdr_t *)c;
}

size_t fls_ql_entry_size(size_t n)
{
    return n < 0x80 ? n + 2 : n + 10;
}

/* Resizes chunk c's block to `want` bytes (its `bytes` field is the caller's to set). A failed
 * shrink keeps the block (alloc unchanged); a failed growth returns NULL. */
static uint8_t *chunk_resize(fl_ns_t *ns, uint32_t pidx, uint8_t *c, uint32_t want)
{
    uint32_t alloc = hdr(c)->alloc;
    if (want == alloc)
        return c;
    uint8_t *n = fls_realloc(ns, pidx, c, alloc, want);
    if (!n)
        return want > alloc ? NULL : c;
    hdr(n)->alloc = want;
    return n;
}

/* Decodes the entry at c + off: its payload and total size. */
static void entry_at(const uint8_t *c, uint32_t off, const char **p, size_t *n, uint32_t *size)
{
    const uint8_t *e = c + off;
    if (e[0] < 0x80) {
        *n = e[0];
        *p = (const char *)e + 1;
    } else {
        uint32_t len;
        memcpy(&len, e + 1, 4);
        *n = len;
        *p = (const char *)e + 5;
    }
    *size = (uint32_t)fls_ql_entry_size(*n);
}

/* Size of the entry that ends at c + end. */
static uint32_t entry_before(const uint8_t *c, uint32_t end)
{
    uint8_t last = c[end - 1];
    if (last < 0x80)
        return (uint32_t)last + 2;
    uint32_t len;
    memcpy(&len, c + end - 5, 4);
    return len + 10;
}

static void entry_write(uint8_t *e, const char *p, size_t n)
{
    if (n < 0x80) {
        e[0] = (uint8_t)n;
        fls_copy(e + 1, p, n);
        e[1 + n] = (uint8_t)n;
        return;
    }
    uint32_t len = (uint32_t)n;
    e[0] = 0x80;
    memcpy(e + 1, &len, 4);
    memcpy(e + 5, p, n);
    memcpy(e + 5 + n, &len, 4);
    e[9 + n] = 0x80;
}

bool fls_ql_seek(const fls_ql_t *q, int64_t index, fls_ql_pos_t *pos)
{
    if (index < 0)
        index += (int64_t)q->count;
    if (index < 0 || (uint64_t)index >= q->count)
        return false;
    uint64_t i = (uint64_t)index;
    if (i < q->count / 2) {
        uint32_t ci = 0;
        while (i >= hdr(q->p[ci])->count)
            i -= hdr(q->p[ci++])->count;
        pos->ci = ci;
        pos->off = FLS_QL_HDR;
        while (i--)
            fls_ql_next(q, pos);
        return true;
    }
    uint64_t back = q->count - 1 - i; /* steps from the last element */
    uint32_t ci = q->nchunks - 1;
    while (back >= hdr(q->p[ci])->count)
        back -= hdr(q->p[ci--])->count;
    pos->ci = ci;
    pos->off = hdr(q->p[ci])->bytes;
    fls_ql_prev(q, pos);
    while (back--)
        fls_ql_prev(q, pos);
    return true;
}

void fls_ql_get(const fls_ql_t *q, fls_ql_pos_t pos, const char **p, size_t *n)
{
    uint32_t size;
    entry_at(q->p[pos.ci], pos.off, p, n, &size);
}

bool fls_ql_next(const fls_ql_t *q, fls_ql_pos_t *pos)
{
    const char *p;
    size_t n;
    uint32_t size;
    entry_at(q->p[pos->ci], pos->off, &p, &n, &size);
    pos->off += size;
    if (pos->off < hdr(q->p[pos->ci])->bytes)
        return true;
    pos->ci++;
    pos->off = FLS_QL_HDR;
    if (pos->ci < q->nchunks)
        return true;
    pos->off = 0;
    return false;
}

bool fls_ql_prev(const fls_ql_t *q, fls_ql_pos_t *pos)
{
    if (pos->ci >= q->nchunks || pos->off <= FLS_QL_HDR) {
        if (pos->ci == 0)
            return false;
        pos->ci--;
        pos->off = hdr(q->p[pos->ci])->bytes;
    }
    pos->off -= entry_before(q->p[pos->ci], pos->off);
    return true;
}

/* ---- The chunk array ----------------------------------------------------------------------- */

/* Makes room for one more chunk pointer (doubling). */
static int array_reserve(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q)
{
    if (q->nchunks < q->cap)
        return FL_OK;
    uint32_t cap = q->cap ? q->cap * 2 : 1;
    uint8_t **np = q->p ? fls_realloc(ns, pidx, q->p, q->cap * sizeof(*np), cap * sizeof(*np))
                        : fls_alloc(ns, pidx, cap * sizeof(*np));
    if (!np)
        return FL_ENOMEM;
    q->p = np;
    q->cap = cap;
    return FL_OK;
}

static void array_insert(fls_ql_t *q, uint32_t at, uint8_t *c)
{
    memmove(q->p + at + 1, q->p + at, (q->nchunks - at) * sizeof(*q->p));
    q->p[at] = c;
    q->nchunks++;
}

/* Removes slot `at`; halves the array below a quarter full. */
static void array_remove(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, uint32_t at)
{
    memmove(q->p + at, q->p + at + 1, (q->nchunks - at - 1) * sizeof(*q->p));
    q->nchunks--;
    if (q->nchunks == 0) {
        fls_free(ns, pidx, q->p, q->cap * sizeof(*q->p));
        q->p = NULL;
        q->cap = 0;
        return;
    }
    if (q->nchunks < q->cap / 4) {
        uint8_t **np =
            fls_realloc(ns, pidx, q->p, q->cap * sizeof(*np), (q->cap / 2) * sizeof(*np));
        if (np) {
            q->p = np;
            q->cap /= 2;
        }
    }
}

/* A new chunk holding one element. */
static uint8_t *chunk_new(fl_ns_t *ns, uint32_t pidx, const char *p, size_t n)
{
    size_t bytes = FLS_QL_HDR + fls_ql_entry_size(n);
    uint8_t *c = fls_alloc(ns, pidx, bytes);
    if (!c)
        return NULL;
    hdr(c)->bytes = (uint32_t)bytes;
    hdr(c)->count = 1;
    hdr(c)->alloc = (uint32_t)bytes;
    entry_write(c + FLS_QL_HDR, p, n);
    return c;
}

/* Inserts a new one-element chunk at slot `at`. */
static int insert_chunk(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, uint32_t at, const char *p,
                        size_t n)
{
    if (array_reserve(ns, pidx, q) != FL_OK)
        return FL_ENOMEM;
    uint8_t *c = chunk_new(ns, pidx, p, n);
    if (!c)
        return FL_ENOMEM;
    array_insert(q, at, c);
    q->count++;
    return FL_OK;
}

/* Opens `grow` bytes at offset off of chunk ci (may move the chunk). */
static uint8_t *chunk_open(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, uint32_t ci, uint32_t off,
                           size_t grow)
{
    uint8_t *c = q->p[ci];
    uint32_t bytes = hdr(c)->bytes;
    c = chunk_resize(ns, pidx, c, (uint32_t)(bytes + grow));
    if (!c)
        return NULL;
    memmove(c + off + grow, c + off, bytes - off);
    hdr(c)->bytes = (uint32_t)(bytes + grow);
    q->p[ci] = c;
    return c;
}

/* Splits chunk ci at off: entries from off on go to a new chunk at ci + 1. */
static int chunk_split(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, uint32_t ci, uint32_t off)
{
    if (array_reserve(ns, pidx, q) != FL_OK)
        return FL_ENOMEM;
    uint8_t *c = q->p[ci];
    uint32_t tail = hdr(c)->bytes - off;
    uint8_t *nc = fls_alloc(ns, pidx, FLS_QL_HDR + tail);
    if (!nc)
        return FL_ENOMEM;
    memcpy(nc + FLS_QL_HDR, c + off, tail);
    uint32_t moved = 0;
    for (uint32_t o = FLS_QL_HDR; o < FLS_QL_HDR + tail; moved++) {
        const char *p;
        size_t n;
        uint32_t size;
        entry_at(nc, o, &p, &n, &size);
        o += size;
    }
    hdr(nc)->bytes = FLS_QL_HDR + tail;
    hdr(nc)->count = moved;
    hdr(nc)->alloc = FLS_QL_HDR + tail;
    c = chunk_resize(ns, pidx, c, off);
    hdr(c)->bytes = off;
    hdr(c)->count -= moved;
    q->p[ci] = c;
    array_insert(q, ci + 1, nc);
    return FL_OK;
}

/* True when an element of n bytes counts as large (Redis's plain nodes: DEBUG
 * QUICKLIST-PACKED-THRESHOLD): it gets a chunk of its own. */
static bool is_large(const fl_ns_t *ns, size_t n)
{
    return n >= __atomic_load_n(&ns->store->list_packed_threshold, __ATOMIC_RELAXED);
}

/* True when chunk c may take one more element of n bytes, by Redis's list-max-listpack-size
 * (fill): > 0 at most fill entries and FLS_QL_CHUNK_MAX bytes; -1..-5 at most 4..64 KiB (below
 * -5 as -5). A large element, or a chunk holding one, takes no other. */
static bool chunk_has_room(const fl_ns_t *ns, const uint8_t *c, size_t n)
{
    const chunk_hdr_t *h = (const chunk_hdr_t *)c;
    size_t bytes = h->bytes + fls_ql_entry_size(n);
    if (is_large(ns, n))
        return false;
    if (h->count == 1) {
        const char *p;
        size_t on;
        uint32_t size;
        entry_at(c, FLS_QL_HDR, &p, &on, &size);
        if (is_large(ns, on))
            return false;
    }
    int64_t fill = FLS_LIMIT(ns, list_max_listpack_size);
    if (fill >= 0)
        return h->count < fill && bytes <= FLS_QL_CHUNK_MAX;
    int level = fill < -5 ? 5 : (int)-fill;
    return bytes <= (size_t)4096 << (level - 1);
}

int fls_ql_insert(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, fls_ql_pos_t pos, const char *p,
                  size_t n)
{
    if (q->nchunks == 0)
        return insert_chunk(ns, pidx, q, 0, p, n);
    if (pos.ci >= q->nchunks) { /* append to the last chunk */
        pos.ci = q->nchunks - 1;
        pos.off = hdr(q->p[pos.ci])->bytes;
    }
    uint8_t *c = q->p[pos.ci];
    if (!chunk_has_room(ns, c, n)) {
        if (pos.off == FLS_QL_HDR) {
            /* before the chunk's first entry: the previous chunk's end when it has room */
            if (pos.ci > 0 && chunk_has_room(ns, q->p[pos.ci - 1], n))
                return fls_ql_insert(
                    ns, pidx, q, (fls_ql_pos_t){pos.ci - 1, hdr(q->p[pos.ci - 1])->bytes}, p, n);
            return insert_chunk(ns, pidx, q, pos.ci, p, n);
        }
        if (pos.off == hdr(c)->bytes) {
            if (pos.ci + 1 < q->nchunks && chunk_has_room(ns, q->p[pos.ci + 1], n))
                return fls_ql_insert(ns, pidx, q, (fls_ql_pos_t){pos.ci + 1, FLS_QL_HDR}, p, n);
            return insert_chunk(ns, pidx, q, pos.ci + 1, p, n);
        }
        if (chunk_split(ns, pidx, q, pos.ci, pos.off) != FL_OK)
            return FL_ENOMEM;
        c = q->p[pos.ci];              /* insert at the end of the first half */
        if (!chunk_has_room(ns, c, n)) /* a large element: a chunk of its own between them */
            return insert_chunk(ns, pidx, q, pos.ci + 1, p, n);
    }
    c = chunk_open(ns, pidx, q, pos.ci, pos.off, fls_ql_entry_size(n));
    if (!c)
        return FL_ENOMEM;
    entry_write(c + pos.off, p, n);
    hdr(c)->count++;
    q->count++;
    return FL_OK;
}

int fls_ql_push(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, bool tail, const char *p, size_t n)
{
    return fls_ql_insert(ns, pidx, q, tail ? fls_ql_end(q) : fls_ql_begin(q), p, n);
}

void fls_ql_delete(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, fls_ql_pos_t *pos)
{
    uint8_t *c = q->p[pos->ci];
    const char *p;
    size_t n;
    uint32_t size;
    entry_at(c, pos->off, &p, &n, &size);
    q->count--;
    if (hdr(c)->count == 1) {
        fls_free(ns, pidx, c, hdr(c)->alloc);
        array_remove(ns, pidx, q, pos->ci);
        pos->off = pos->ci < q->nchunks ? FLS_QL_HDR : 0;
        return;
    }
    uint32_t bytes = hdr(c)->bytes;
    memmove(c + pos->off, c + pos->off + size, bytes - pos->off - size);
    c = chunk_resize(ns, pidx, c, bytes - size);
    hdr(c)->count--;
    hdr(c)->bytes = bytes - size;
    q->p[pos->ci] = c;
    if (pos->off >= hdr(c)->bytes) {
        pos->ci++;
        pos->off = pos->ci < q->nchunks ? FLS_QL_HDR : 0;
    }
}

int fls_ql_replace(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, fls_ql_pos_t pos, const char *p,
                   size_t n)
{
    uint8_t *c = q->p[pos.ci];
    const char *op;
    size_t on;
    uint32_t osize;
    entry_at(c, pos.off, &op, &on, &osize);
    uint32_t nsize = (uint32_t)fls_ql_entry_size(n);
    uint32_t bytes = hdr(c)->bytes, nbytes = bytes + nsize - osize;
    if (nsize > osize && !(c = chunk_resize(ns, pidx, c, nbytes)))
        return FL_ENOMEM;
    memmove(c + pos.off + nsize, c + pos.off + osize, bytes - pos.off - osize);
    entry_write(c + pos.off, p, n);
    if (nsize < osize)
        c = chunk_resize(ns, pidx, c, nbytes);
    hdr(c)->bytes = nbytes;
    q->p[pos.ci] = c;
    return FL_OK;
}

void fls_ql_clear(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q)
{
    for (uint32_t i = 0; i < q->nchunks; i++)
        fls_free(ns, pidx, q->p[i], hdr(q->p[i])->alloc);
    fls_free(ns, pidx, q->p, q->cap * sizeof(*q->p));
    memset(q, 0, sizeof(*q));
}

int fls_ql_clone(fl_ns_t *ns, uint32_t pidx, fls_ql_t *dst, const fls_ql_t *src)
{
    memset(dst, 0, sizeof(*dst));
    if (!src->nchunks)
        return FL_OK;
    dst->p = fls_alloc(ns, pidx, src->cap * sizeof(*dst->p));
    if (!dst->p)
        return FL_ENOMEM;
    dst->cap = src->cap;
    for (uint32_t i = 0; i < src->nchunks; i++) {
        uint32_t bytes = hdr(src->p[i])->bytes;
        uint8_t *c = fls_alloc(ns, pidx, bytes);
        if (!c) {
            fls_ql_clear(ns, pidx, dst);
            return FL_ENOMEM;
        }
        memcpy(c, src->p[i], bytes);
        hdr(c)->alloc = bytes;
        dst->p[dst->nchunks++] = c;
        dst->count += hdr(c)->count;
    }
    return FL_OK;
}

/* ---- Accounting and the defrag walk --------------------------------------------------------- */

size_t fls_ql_total(const fls_ql_t *q)
{
    size_t total = q->cap * sizeof(*q->p);
    for (uint32_t i = 0; i < q->nchunks; i++)
        total += hdr(q->p[i])->alloc;
    return total;
}

size_t fls_ql_usable(const fls_ql_t *q)
{
    size_t total = q->p ? fl_mem_usable_size(q->p) : 0;
    for (uint32_t i = 0; i < q->nchunks; i++)
        total += fl_mem_usable_size(q->p[i]);
    return total;
}

bool fls_ql_walk(fls_ql_t *q, const fls_walk_ops_t *ops, void *ctx, uint32_t *pos, size_t *did)
{
    if (!q->p || !ops->node)
        return true;
    uint32_t start = *pos ? *pos - 1 : 0; /* *pos = next chunk + 1; 0 = array not offered */
    if (*pos == 0) {
        q->p = ops->node(ctx, q->p, q->cap * sizeof(*q->p));
        (*did)++;
    }
    for (uint32_t i = start; i < q->nchunks; i++) {
        if (i > start && ops->yield && ops->yield(ctx)) {
            *pos = i + 1;
            return false;
        }
        q->p[i] = ops->node(ctx, q->p[i], hdr(q->p[i])->alloc);
        (*did)++;
    }
    return true;
}
