/*
 * src/store/table.c: a partition's hash table of records, the namespace-arena accounting, lazy
 * expiry on lookup, and THE COMMIT POINT (fls_commit) every mutation of a namespace passes
 * through. The locks are lock.c's; the quota checks before a write are quota.c's.
 *
 * Invariants:
 *   - every arena allocation goes through fls_alloc/fls_free/fls_realloc, which add/subtract its
 *     exact requested size to the stripe of its partition: sum(stripes) == arena requested;
 *   - a partition's index is NULL exactly when the partition holds no key; otherwise it is
 *     open addressing by buckets (store_internal.h: every record in its home bucket or a
 *     later one, every bucket between full; tags agree with their slots) with at least one
 *     free slot, at most 95 % full after every commit that added a key (it grows to at least
 *     17/16 of its slots, filling its size class), and after a delete at least 2/3 full (it
 *     shrinks to about 8/9 full, so an index thinned by a mass delete costs at most 1.5 slots
 *     per key, and a shrunk one takes 1/16 more keys before it grows): a
 *     per-partition rehash, so one pause costs about (keys / partitions) record moves;
 *   - a record is referenced from exactly one slot of its partition's index.
 */
#include <string.h>

#include "store_internal.h"

/* ---- Accounting --------------------------------------------------------------------------- */

static inline void used_add(fl_ns_t *ns, uint32_t pidx, int64_t d)
{
    atomic_fetch_add_explicit(&ns->used[pidx % FLS_STRIPES].v, d, memory_order_relaxed);
}

void *fls_alloc(fl_ns_t *ns, uint32_t pidx, size_t size)
{
    void *p = fl_arena_alloc(ns->arena, size);
    if (p)
        used_add(ns, pidx, (int64_t)size);
    return p;
}

void fls_free(fl_ns_t *ns, uint32_t pidx, void *ptr, size_t size)
{
    if (!ptr)
        return;
    fl_arena_free(ns->arena, ptr, size);
    used_add(ns, pidx, -(int64_t)size);
}

void *fls_realloc(fl_ns_t *ns, uint32_t pidx, void *ptr, size_t old_size, size_t new_size)
{
    void *p = fl_arena_realloc(ns->arena, ptr, old_size, new_size);
    if (p)
        used_add(ns, pidx, (int64_t)new_size - (int64_t)old_size);
    return p;
}

size_t fls_used(const fl_ns_t *ns)
{
    int64_t sum = 0;
    for (unsigned i = 0; i < FLS_STRIPES; i++)
        sum += atomic_load_explicit(&ns->used[i].v, memory_order_relaxed);
    return sum > 0 ? (size_t)sum : 0;
}

/* ---- Records ------------------------------------------------------------------------------ */

size_t fls_rec_total(fls_rec_t *r)
{
    size_t total = fls_rec_size(r) + fls_rec_tail_len(r);
    const fls_coll_ops_t *t = fls_coll_ops(r->type);
    return t ? total + t->total(fls_rec_desc(r)) : total;
}

size_t fls_rec_usable(fls_rec_t *r)
{
    size_t total = fl_mem_usable_size(r) + (r->split ? fl_mem_usable_size(fls_rec_tail(r)) : 0);
    const fls_coll_ops_t *t = fls_coll_ops(r->type);
    return t ? total + t->usable(fls_rec_desc(r)) : total;
}

/* fls_rec_new, and fls_rec_new_lzf when lzf (a string never split). */
static fls_rec_t *rec_new(fl_ns_t *ns, uint32_t pidx, unsigned type, const fls_key_t *k,
                          size_t vlen, int64_t expire, uint32_t atime, bool lzf)
{
    size_t tail = type == FL_TYPE_STRING && !lzf ? fls_str_tail_plan(k->n, vlen, expire != 0) : 0;
    size_t size = tail ? fls_str_head_bytes(k->n, vlen, expire != 0, tail)
                       : fls_rec_bytes(type, k->n, vlen, expire != 0);
    fls_rec_t *r = fls_alloc(ns, pidx, size);
    if (!r)
        return NULL;
    void *t = tail ? fls_alloc(ns, pidx, tail) : NULL;
    if (tail && !t) {
        fls_free(ns, pidx, r, size);
        return NULL;
    }
    atomic_init(&r->atime, atime);
    r->type = (uint8_t)type & 0x7;
    r->lzf = lzf;
    r->ttl = expire != 0;
    r->wide = !fls_rec_narrow(k->n, vlen);
    r->raw = 0;
    r->split = tail != 0;
    fls_rec_set_lens(r, k->n, vlen);
    fls_rec_put_expiry(r, expire);
    size_t key_off = fls_rec_key_off(r);
    fls_copy((char *)r + key_off, k->p, k->n);
    if (tail)
        fls_rec_set_tail(r, t, tail);
    if (type != FL_TYPE_STRING) /* pad and descriptor */
        memset((char *)r + key_off + k->n, 0, size - key_off - k->n);
    return r;
}

fls_rec_t *fls_rec_new(fl_ns_t *ns, uint32_t pidx, unsigned type, const fls_key_t *k, size_t vlen,
                       int64_t expire, uint32_t atime)
{
    return rec_new(ns, pidx, type, k, vlen, expire, atime, false);
}

fls_rec_t *fls_rec_new_lzf(fl_ns_t *ns, uint32_t pidx, const fls_key_t *k, size_t stored,
                           int64_t expire, uint32_t atime)
{
    return rec_new(ns, pidx, FL_TYPE_STRING, k, stored, expire, atime, true);
}

/* A new record for string r's key with an n-byte value (r's first min(old, n) bytes), the
 * expiry `expire`, r's access word and encoding flag; r is freed. NULL (r unchanged) when an
 * allocation fails. */
static fls_rec_t *str_rebuild(fl_ns_t *ns, uint32_t pidx, fls_rec_t *r, size_t n, int64_t expire)
{
    fls_key_t k = {.p = fls_rec_key(r), .n = fls_rec_klen(r)};
    fls_rec_t *nr = fls_rec_new(ns, pidx, FL_TYPE_STRING, &k, n, expire,
                                atomic_load_explicit(&r->atime, memory_order_relaxed));
    if (!nr)
        return NULL;
    fls_scratch_t s = FLS_SCRATCH_INIT;
    fl_value_t v = fls_str_view(r, &s);
    size_t keep = fl_value_len(v) < n ? fl_value_len(v) : n;
    fls_str_put(nr, 0, v.head.p, keep < v.head.n ? keep : v.head.n);
    if (keep > v.head.n)
        fls_str_put(nr, v.head.n, v.tail.p, keep - v.head.n);
    fls_scratch_release(&s);
    nr->raw = r->raw;
    fls_rec_destroy(ns, pidx, r);
    return nr;
}

int fls_rec_set_expiry(fl_ns_t *ns, uint32_t pidx, fls_rec_t **ref, int64_t at)
{
    FLS_ASSERT_WRLOCKED(&ns->parts[pidx]);
    fls_rec_t *r = *ref;
    if (r->ttl || at == 0) {
        fls_rec_put_expiry(r, at);
        return FL_OK;
    }
    if (r->split) { /* a head fills its class: a new layout for the longer header */
        fls_rec_t *nr = str_rebuild(ns, pidx, r, fls_str_len(r), at);
        if (!nr)
            return FL_ENOMEM;
        *ref = nr;
        return FL_OK;
    }
    /* Room for the expiry: everything after the lengths moves 8 bytes up (a descriptor keeps
     * its 8-byte alignment; nothing points into a record but its slot). */
    size_t old = fls_rec_size(r), from = fls_rec_key_off(r);
    r = fls_realloc(ns, pidx, r, old, old + sizeof(int64_t));
    if (!r)
        return FL_ENOMEM;
    memmove((char *)r + from + sizeof(int64_t), (char *)r + from, old - from);
    r->ttl = 1;
    fls_rec_put_expiry(r, at);
    FL_DEBUG_ASSERT(fls_rec_size(r) == old + sizeof(int64_t));
    *ref = r;
    return FL_OK;
}

fls_rec_t *fls_str_resize(fl_ns_t *ns, uint32_t pidx, fls_rec_t *r, size_t n)
{
    FL_ASSERT(r->type == FL_TYPE_STRING);
    if (r->lzf) /* edited values are laid out plain (value.c) */
        return str_rebuild(ns, pidx, r, n, fls_rec_expiry(r));
    size_t klen = fls_rec_klen(r), vlen = fls_rec_vlen(r),
           tail = fls_str_tail_plan(klen, n, r->ttl);
    bool same_width = r->wide == !fls_rec_narrow(klen, n);
    if (same_width && !r->split && !tail) { /* one block before and after: its end moves */
        fls_rec_t *nr = fls_realloc(ns, pidx, r, fls_rec_size(r),
                                    fls_rec_bytes(FL_TYPE_STRING, klen, n, r->ttl));
        if (nr)
            fls_rec_set_lens(nr, klen, n);
        return nr;
    }
    size_t old_tail = fls_rec_tail_len(r);
    if (same_width && r->split && tail && n - tail == vlen - old_tail) { /* the same head */
        void *t = fls_realloc(ns, pidx, fls_rec_tail(r), old_tail, tail);
        if (!t)
            return NULL;
        fls_rec_set_lens(r, klen, n);
        fls_rec_set_tail(r, t, tail);
        return r;
    }
    /* Another layout (wide lengths past 64 KiB, split or joined, another head): a new record. */
    return str_rebuild(ns, pidx, r, n, fls_rec_expiry(r));
}

void fls_rec_destroy(fl_ns_t *ns, uint32_t pidx, fls_rec_t *r)
{
    if (r->split)
        fls_free(ns, pidx, fls_rec_tail(r), fls_rec_tail_len(r));
    const fls_coll_ops_t *t = fls_coll_ops(r->type);
    if (t)
        t->destroy(ns, pidx, fls_rec_desc(r));
    fls_free(ns, pidx, r, fls_rec_size(r));
}

static void put_u32(char **w, char *end, uint32_t v)
{
    for (int i = 0; i < 4; i++, (*w)++)
        if (*w < end)
            **w = (char)(v >> (8 * i));
}

static void put_bytes(char **w, char *end, const char *p, size_t n)
{
    if (*w < end)
        fls_copy(*w, p, (size_t)(end - *w) < n ? (size_t)(end - *w) : n);
    *w += n;
}

/* Where a collection's elements are being serialized. */
typedef struct ser {
    char **w;
    char *end;
    bool scores;
} ser_t;

static void put_elem(void *ctx, const char *p, size_t n, double score)
{
    ser_t *s = ctx;
    put_u32(s->w, s->end, (uint32_t)n);
    put_bytes(s->w, s->end, p, n);
    if (s->scores)
        put_bytes(s->w, s->end, (const char *)&score, sizeof(score));
}

size_t fls_rec_serialize(fls_rec_t *r, char *buf, size_t len)
{
    char *w = buf, *end = buf + len;
    char type = (char)r->type;
    put_bytes(&w, end, &type, 1);
    uint64_t e = (uint64_t)fls_rec_expiry(r);
    put_u32(&w, end, (uint32_t)e);
    put_u32(&w, end, (uint32_t)(e >> 32));
    put_u32(&w, end, (uint32_t)fls_rec_klen(r));
    put_bytes(&w, end, fls_rec_key(r), fls_rec_klen(r));
    const fls_coll_ops_t *t = fls_coll_ops(r->type);
    if (t) { /* a hash's count is its fields; each emits a field, then its value */
        put_u32(&w, end, (uint32_t)t->len(fls_rec_desc(r)));
        ser_t s = {&w, end, r->type == FL_TYPE_ZSET};
        t->each(fls_rec_desc(r), put_elem, &s);
        return (size_t)(w - buf);
    }
    fls_scratch_t s = FLS_SCRATCH_INIT;
    fl_value_t v = fls_str_view(r, &s);
    put_u32(&w, end, (uint32_t)fl_value_len(v));
    put_bytes(&w, end, v.head.p, v.head.n);
    put_bytes(&w, end, v.tail.p, v.tail.n);
    fls_scratch_release(&s);
    return (size_t)(w - buf);
}

/* ---- Lookup ------------------------------------------------------------------------------- */

void fls_key_init(fl_ns_t *ns, fl_slice_t key, fls_key_t *k)
{
    k->p = key.p;
    k->n = key.n;
    k->h = fls_hash(ns->store->seed, key.p, key.n);
    k->pidx = (uint32_t)(k->h >> 32) & (ns->nparts - 1);
    k->part = &ns->parts[k->pidx];
    k->expired_seen = false;
}

fls_rec_t **fls_find(fls_key_t *k)
{
    fls_part_t *p = k->part;
    FLS_ASSERT_LOCKED(p);
    if (!p->b)
        return NULL;
    uint32_t h = (uint32_t)k->h;
    const uint8_t *tags = fls_part_tags(p);
    size_t w = p->width, home = h & p->mask;
    uint8_t want = fls_tag(h, false);
    /* The home bucket's tags and slots are in different cache lines: load both at once. */
    __builtin_prefetch(&p->b[home * w]);
    __builtin_prefetch(&p->b[home * w + w - 1]);
    for (size_t i = 0, bkt = home; i <= p->mask; i++, bkt = (bkt + 1) & p->mask) {
        bool full = true;
        for (size_t s = bkt * w; s < bkt * w + w; s++) {
            if (tags[s] == want) {
                fls_rec_t *r = p->b[s];
                if (fls_rec_klen(r) == k->n &&
                    (k->n == 0 || memcmp(fls_rec_key(r), k->p, k->n) == 0))
                    return &p->b[s];
            } else if (!tags[s]) {
                full = false;
            }
        }
        if (!full)
            return NULL;
        want = fls_tag(h, true); /* past the home bucket: only displaced records */
    }
    return NULL;
}

void fls_commit_del(fl_ns_t *ns, uint32_t pidx, fls_rec_t **ref, fls_reason_t reason)
{
    fls_change_t c = {.op = FLS_DEL,
                      .reason = reason,
                      .ref = ref,
                      .old = *ref,
                      .had_key = true,
                      .had_ttl = fls_rec_expiry(*ref) != 0};
    fls_commit(ns, pidx, &c);
}

/* fls_commit_insert, with the value's bytes for the hooks (whole.p NULL: none). */
static int commit_insert(fl_ns_t *ns, fls_key_t *k, fls_rec_t *r, fl_slice_t whole)
{
    FLS_ASSERT_WRLOCKED(k->part);
    fls_rec_t **ref;
    if (fls_insert_slot(ns, k, &ref) != FL_OK) {
        fls_rec_destroy(ns, k->pidx, r);
        return FL_ENOMEM;
    }
    fls_change_t c = {.op = FLS_PUT, .ref = ref, .rec = r, .whole = whole};
    fls_commit(ns, k->pidx, &c);
    return FL_OK;
}

/* fls_commit_replace, with the value's bytes for the hooks (whole.p NULL: none). */
static void commit_replace(fl_ns_t *ns, uint32_t pidx, fls_rec_t **ref, fls_rec_t *r,
                           fl_slice_t whole)
{
    FLS_ASSERT_WRLOCKED(&ns->parts[pidx]);
    fls_rec_t *cur = *ref;
    fls_change_t c = {.op = FLS_PUT,
                      .ref = ref,
                      .rec = r,
                      .old = cur,
                      .had_key = true,
                      .had_ttl = fls_rec_expiry(cur) != 0,
                      .whole = whole};
    fls_commit(ns, pidx, &c);
}

/* Links a new record for a missing key: FL_OK, or FL_ENOMEM (r freed). Write lock held. */
int fls_commit_insert(fl_ns_t *ns, fls_key_t *k, fls_rec_t *r)
{
    return commit_insert(ns, k, r, (fl_slice_t){NULL, 0});
}

/* Replaces the live record *ref with r (same key) through the commit point. Write lock held. */
void fls_commit_replace(fl_ns_t *ns, uint32_t pidx, fls_rec_t **ref, fls_rec_t *r)
{
    commit_replace(ns, pidx, ref, r, (fl_slice_t){NULL, 0});
}

int fls_commit_value(fl_ns_t *ns, fls_key_t *k, fls_rec_t **ref, fls_rec_t *r, fl_slice_t whole)
{
    FL_DEBUG_ASSERT(r->type == FL_TYPE_STRING && fls_str_len(r) == whole.n);
    if (!whole.p) /* an empty value may come as (NULL, 0): it needs no bytes anyway */
        whole.p = "";
    if (!ref)
        return commit_insert(ns, k, r, whole);
    commit_replace(ns, k->pidx, ref, r, whole);
    return FL_OK;
}

fls_rec_t **fls_find_live(fl_ns_t *ns, fls_key_t *k, int64_t now)
{
    FLS_ASSERT_WRLOCKED(k->part);
    fls_rec_t **ref = fls_find(k);
    if (ref && fls_rec_expired(*ref, now)) {
        fls_commit_del(ns, k->pidx, ref, FLS_EXPIRED);
        return NULL;
    }
    return ref;
}

fls_rec_t *fls_read_begin(fl_ns_t *ns, fls_key_t *k, int64_t now, fl_lookup_t how)
{
    fls_part_t *p = k->part;
    fls_rdlock(ns, p);
    fls_rec_t **ref = fls_find(k);
    fls_rec_t *r = ref ? *ref : NULL;
    if (r && fls_rec_expired(r, now)) {
        if (fls_read_is_exclusive(ns))
            fls_commit_del(ns, k->pidx, ref, FLS_EXPIRED);
        else
            k->expired_seen = true;
        r = NULL;
    }
    fls_lookup_count(p, r, now, how);
    if (!r && how != FL_LOOKUP_QUIET)
        fls_key_event_miss(ns, k); /* keyspace notifications' "keymiss" */
    return r;
}

void fls_read_end(fl_ns_t *ns, fls_key_t *k)
{
    fls_unlock(ns, k->part);
    if (!k->expired_seen)
        return;
    k->expired_seen = false;
    fls_wrlock(ns, k->part);
    fls_find_live(ns, k, fl_now_ms());
    fls_unlock(ns, k->part);
}

int64_t fls_default_expiry(const fl_ns_t *ns, int64_t now)
{
    int64_t ttl = FLS_CFG(ns, default_ttl_ms); /* CONFIG SET may change it */
    return ttl > 0 ? now + ttl : 0;
}

/* ---- Index shape ------------------------------------------------------------------------- */

#define MIN_WIDTH 4u       /* slots per bucket of a one-bucket index, at least */
#define WIDE_MIN 8u        /* with more buckets: at least 8 slots per bucket ... */
#define WIDE_MAX 16u       /* ... and at most 16 before the buckets double ... */
#define FILL_WIDTH_MAX 20u /* ... or 20 when that fills the allocation's size class */
#define FILL_MAX_PCT 95    /* grow above this fill ... */
#define FILL_MIN_NUM 2u    /* ... shrink below 2/3 full */
#define FILL_MIN_DEN 3u
#define SHRINK_NUM 9u /* a shrunk index is about 8/9 full (room for 1/16 more keys) */
#define SHRINK_DEN 8u
#define CHECK_MAX_SLOTS 1024u /* debug builds check a rebuilt index up to this size */
#define GROW_NUM 17u          /* a grown index has at least 17/16 of the slots */
#define GROW_DEN 16u

typedef struct shape {
    size_t buckets, width;
} shape_t;

static size_t shape_slots(shape_t s)
{
    return s.buckets * s.width;
}

/* The smallest shape with at least `want` slots: buckets a power of two, 8-16 slots each (a
 * single bucket: 4-16), then as many more slots per bucket (up to 20) as fit in the size
 * class the index's allocation gets anyway, so the index pays no rounding. */
static shape_t shape_for(size_t want)
{
    size_t buckets = 1;
    while (want > buckets * WIDE_MAX)
        buckets *= 2;
    size_t min = buckets == 1 ? MIN_WIDTH : WIDE_MIN;
    size_t width = (want + buckets - 1) / buckets;
    if (width < min)
        width = min;
    size_t cls = fl_mem_size_class(fls_index_bytes(buckets * width));
    size_t fill = cls / fls_index_bytes(buckets);
    if (fill > width)
        width = fill < FILL_WIDTH_MAX ? fill : FILL_WIDTH_MAX;
    return (shape_t){buckets, width};
}

static bool over_full(size_t count, size_t slots)
{
    return count * 100 > slots * FILL_MAX_PCT;
}

static shape_t part_shape(const fls_part_t *p)
{
    return (shape_t){(size_t)p->mask + 1, p->width};
}

/* An index array is allocated and freed past the thread's caches (accounted as fls_alloc):
 * an outgrown array cached by the thread that freed it would keep its whole slab alive, and
 * nothing else of that thread asks for the size; uncached, a new array fills the arena's
 * slabs of its class oldest first, and a slab whose last array leaves goes back at once. */
static fls_rec_t **index_alloc(fl_ns_t *ns, uint32_t pidx, size_t slots)
{
    fls_rec_t **b = fl_arena_alloc_uncached(ns->arena, fls_index_bytes(slots));
    if (b)
        used_add(ns, pidx, (int64_t)fls_index_bytes(slots));
    return b;
}

static void index_free(fl_ns_t *ns, uint32_t pidx, fls_rec_t **b, size_t slots)
{
    fl_arena_free_uncached(ns->arena, b, fls_index_bytes(slots));
    used_add(ns, pidx, -(int64_t)fls_index_bytes(slots));
}

/* Puts r (tag hash bits `bits`) in the first free slot from its home bucket of an index being
 * built. */
static void place(fls_rec_t **b, uint8_t *tags, shape_t s, size_t home, uint8_t bits, fls_rec_t *r)
{
    size_t mask = s.buckets - 1;
    for (size_t bkt = home;; bkt = (bkt + 1) & mask) {
        for (size_t i = bkt * s.width; i < bkt * s.width + s.width; i++) {
            if (!tags[i]) {
                b[i] = r;
                tags[i] = (uint8_t)(FLS_TAG_USED | (bkt != home ? FLS_TAG_AWAY : 0) | bits);
                return;
            }
        }
    }
}

/* Rebuilds partition pidx's index in shape s (which holds its count with a slot to spare);
 * false, keeping the old index, when the allocation fails. */
static bool part_resize(fl_ns_t *ns, uint32_t pidx, shape_t s)
{
    fls_part_t *p = &ns->parts[pidx];
    size_t slots = shape_slots(s);
    FL_ASSERT(atomic_load_explicit(&p->count, memory_order_relaxed) < slots);
    fls_rec_t **nb = index_alloc(ns, pidx, slots);
    if (!nb)
        return false;
    memset(nb, 0, fls_index_bytes(slots));
    uint8_t *ntags = (uint8_t *)(nb + slots);
    size_t old = fls_part_slots(p);
    const uint8_t *otags = p->b ? fls_part_tags(p) : NULL;
    /* With the bucket count unchanged (only the width grows or shrinks), a record in its home
     * bucket keeps that home: only displaced ones are rehashed (a record dereferenced). */
    bool same_homes = p->b && s.buckets == (size_t)p->mask + 1;
    for (size_t i = 0; i < old; i++) {
        if (!p->b[i])
            continue;
        size_t home = same_homes && !(otags[i] & FLS_TAG_AWAY)
                          ? i / p->width
                          : fls_rec_hash(ns, p->b[i]) & (s.buckets - 1);
        place(nb, ntags, s, home, otags[i] & FLS_TAG_HASH, p->b[i]);
    }
    if (p->b)
        index_free(ns, pidx, p->b, old);
    p->b = nb;
    p->mask = (uint32_t)(s.buckets - 1);
    p->width = (uint8_t)s.width;
    /* O(partition), as the rehash itself, but a few times its cost (rehashing, probe runs):
     * checked up to CHECK_MAX_SLOTS, since growth by 1/16 rebuilds an index about 17 times per
     * key count; an index made for a first insert holds no key yet. */
    FL_DEBUG_ASSERT(atomic_load_explicit(&p->count, memory_order_relaxed) == 0 ||
                    slots > CHECK_MAX_SLOTS || fls_part_check(ns, pidx));
    return true;
}

int fls_part_reserve(fl_ns_t *ns, fls_key_t *k, size_t n)
{
    fls_part_t *p = k->part;
    FLS_ASSERT_WRLOCKED(p);
    size_t want = atomic_load_explicit(&p->count, memory_order_relaxed) + n;
    if (p->b && want < fls_part_slots(p))
        return FL_OK;
    return part_resize(ns, k->pidx, shape_for(want + 1)) ? FL_OK : FL_ENOMEM;
}

int fls_insert_slot(fl_ns_t *ns, fls_key_t *k, fls_rec_t ***ref)
{
    fls_part_t *p = k->part;
    FLS_ASSERT_WRLOCKED(p);
    if (fls_part_reserve(ns, k, 1) != FL_OK)
        return FL_ENOMEM;
    const uint8_t *tags = fls_part_tags(p);
    size_t w = p->width;
    for (size_t bkt = (uint32_t)k->h & p->mask;; bkt = (bkt + 1) & p->mask) {
        for (size_t i = bkt * w; i < bkt * w + w; i++) {
            if (!tags[i]) {
                *ref = &p->b[i];
                return FL_OK;
            }
        }
    }
}

/* Empties slot `hole` and restores the probe invariant (backward shift by buckets): a record
 * of a later bucket whose probe run passed the hole's bucket moves into the hole, which moves
 * to where it was; this stops at the first bucket that had a free slot (no run goes past it).
 * Only displaced records (tag FLS_TAG_AWAY) can move, so only they are rehashed. */
static void index_remove(fl_ns_t *ns, fls_part_t *p, size_t hole)
{
    uint8_t *tags = fls_part_tags(p);
    size_t w = p->width, mask = p->mask;
    p->b[hole] = NULL;
    tags[hole] = 0;
    size_t hb = hole / w;
    for (size_t k = (hb + 1) & mask, n = 0; n < mask; n++, k = (k + 1) & mask) {
        bool full = true;
        size_t from = SIZE_MAX;
        uint32_t fh = 0;
        for (size_t i = k * w; i < k * w + w; i++) {
            if (!tags[i]) {
                full = false;
                continue;
            }
            if (from != SIZE_MAX || !(tags[i] & FLS_TAG_AWAY))
                continue;
            uint32_t h = fls_rec_hash(ns, p->b[i]);
            if (((k - (h & mask)) & mask) >= ((k - hb) & mask)) { /* its run covers hb */
                from = i;
                fh = h;
            }
        }
        if (from != SIZE_MAX) {
            p->b[hole] = p->b[from];
            tags[hole] = fls_tag(fh, (fh & mask) != hb);
            p->b[from] = NULL;
            tags[from] = 0;
            hole = from;
            hb = k;
        }
        if (!full)
            return;
    }
}

/* After a commit changed the key count by dk: frees an index left empty, grows one above
 * FILL_MAX_PCT, and (after a delete) shrinks one below 2/3 full to about 8/9 full, so an
 * index thinned by a mass delete costs at most 1.5 slots per key. A failed resize keeps the old
 * index (fls_insert_slot grows it when it has no free slot left). */
static void part_reshape(fl_ns_t *ns, uint32_t pidx, int64_t dk)
{
    fls_part_t *p = &ns->parts[pidx];
    if (!p->b)
        return;
    uint64_t count = atomic_load_explicit(&p->count, memory_order_relaxed);
    shape_t s = part_shape(p);
    if (count == 0) {
        index_free(ns, pidx, p->b, shape_slots(s));
        p->b = NULL;
        p->mask = 0;
        p->width = 0;
        fls_tix_clear(ns, pidx); /* only stale entries are left */
    } else if (dk > 0 && over_full(count, shape_slots(s)) && s.buckets < ((size_t)1 << 27)) {
        if (part_resize(ns, pidx, shape_for(shape_slots(s) * GROW_NUM / GROW_DEN + 1)))
            FL_ASSERT(!over_full(count, fls_part_slots(p)));
    } else if (dk < 0 && count * FILL_MIN_DEN < shape_slots(s) * FILL_MIN_NUM) {
        shape_t t = shape_for(count * SHRINK_NUM / SHRINK_DEN + 1);
        if (shape_slots(t) < shape_slots(s) && part_resize(ns, pidx, t))
            FL_ASSERT(!over_full(count, fls_part_slots(p))); /* room to grow before it grows */
    }
}

/* ---- The commit point --------------------------------------------------------------------- */

static void flush_part(fl_ns_t *ns, uint32_t pidx)
{
    fls_part_t *p = &ns->parts[pidx];
    if (!p->b)
        return;
    size_t slots = fls_part_slots(p);
    for (size_t i = 0; i < slots; i++)
        if (p->b[i])
            fls_rec_destroy(ns, pidx, p->b[i]);
    index_free(ns, pidx, p->b, slots);
    p->b = NULL;
    p->mask = 0;
    p->width = 0;
    fls_tix_clear(ns, pidx);
    atomic_store_explicit(&p->count, 0, memory_order_relaxed);
    atomic_store_explicit(&p->ttl_count, 0, memory_order_relaxed);
}

void fls_commit(fl_ns_t *ns, uint32_t pidx, const fls_change_t *c)
{
    FL_ASSERT(pidx < ns->nparts);
    fls_part_t *p = &ns->parts[pidx];
    FLS_ASSERT_WRLOCKED(p);
    fls_watch_touch(ns, pidx, c);
    if (atomic_load_explicit(&ns->store->has_hooks, memory_order_acquire))
        fls_hook_commit(ns, pidx, c); /* the log, in commit order per key (lock held) */
    if (atomic_load_explicit(&ns->store->key_events_on, memory_order_relaxed))
        fls_key_event_commit(ns, c); /* keyspace notifications (lock held) */
    bool has_key = false, has_ttl = false;
    uint32_t hash = 0; /* the home bucket the change touched, for the debug run check */
    switch (c->op) {
    case FLS_PUT:
        /* One reference per record: the slot takes the new record, which is not linked
         * anywhere else yet; a replaced record leaves the slot it held. */
        FL_ASSERT(c->rec != NULL && c->ref != NULL && c->rec != c->old);
        FL_ASSERT(c->old == NULL || (*c->ref == c->old && c->had_key));
        hash = fls_rec_hash(ns, c->rec);
        if (!c->had_key) { /* an insert fills the free slot fls_insert_slot gave */
            size_t slot = (size_t)(c->ref - p->b);
            FL_ASSERT(slot < fls_part_slots(p) && *c->ref == NULL);
            fls_part_tags(p)[slot] = fls_tag(hash, slot / p->width != (hash & p->mask));
        }
        *c->ref = c->rec;
        if (c->old)
            fls_rec_destroy(ns, pidx, c->old);
        has_key = true;
        has_ttl = fls_rec_expiry(c->rec) != 0;
        break;
    case FLS_MODIFY:
        FL_ASSERT(c->rec != NULL);
        hash = fls_rec_hash(ns, c->rec);
        has_key = true;
        has_ttl = fls_rec_expiry(c->rec) != 0;
        break;
    case FLS_DEL:
        FL_ASSERT(c->old != NULL && *c->ref == c->old && c->had_key); /* its one reference */
        hash = fls_rec_hash(ns, c->old);
        index_remove(ns, p, (size_t)(c->ref - p->b));
        fls_rec_destroy(ns, pidx, c->old);
        break;
    case FLS_FLUSH:
        flush_part(ns, pidx);
        return;
    }
    int64_t dk = (int64_t)has_key - (int64_t)c->had_key;
    int64_t dt = (int64_t)has_ttl - (int64_t)c->had_ttl;
    /* The counters never go below zero: a delete or TTL removal had something to remove. */
    FL_ASSERT(dk >= 0 || atomic_load_explicit(&p->count, memory_order_relaxed) > 0);
    FL_ASSERT(dt >= 0 || atomic_load_explicit(&p->ttl_count, memory_order_relaxed) > 0);
    if (dk)
        atomic_fetch_add_explicit(&p->count, (uint64_t)dk, memory_order_relaxed);
    if (dt)
        atomic_fetch_add_explicit(&p->ttl_count, (uint64_t)dt, memory_order_relaxed);
    if (has_ttl && !c->same_ttl)
        fls_tix_add(ns, pidx, fls_rec_expiry(c->rec), hash);
    if (c->reason == FLS_EXPIRED)
        atomic_fetch_add_explicit(&p->expired, 1, memory_order_relaxed);
    else if (c->reason == FLS_EVICTED)
        atomic_fetch_add_explicit(&p->evicted, 1, memory_order_relaxed);
    if (dk)
        part_reshape(ns, pidx, dk);
    FL_DEBUG_ASSERT(fls_run_check(ns, pidx, hash, c->op == FLS_DEL ? NULL : c->rec));
}

/* ---- Walk (defragmentation primitive) ----------------------------------------------------- */

/* Moves the cursor to the matching position of an index whose shape changed since it was
 * saved (best effort: records moved meanwhile may be skipped or offered again). */
static void cursor_rescale(fls_walk_cursor_t *cur, size_t slots)
{
    uint64_t at = cur->slots ? (uint64_t)cur->slot * slots / cur->slots : 0;
    cur->slot = at > slots ? (uint32_t)slots : (uint32_t)at;
    cur->in_rec = false;
    cur->fbucket = 0;
    cur->slots = (uint32_t)slots;
}

/* The nodes of collection record r from position cur->fbucket on. False when yield stopped
 * it (cursor saved inside the record). */
static bool walk_coll(fl_ns_t *ns, fls_rec_t *r, const fls_walk_ops_t *ops, void *ctx,
                      fls_walk_cursor_t *cur, size_t *did)
{
    if (!fls_coll_ops(r->type)->walk(ns, fls_rec_desc(r), ops, ctx, &cur->fbucket, did)) {
        cur->in_rec = true;
        return false;
    }
    cur->in_rec = false;
    cur->fbucket = 0;
    return true;
}

/* Offers record *ref and, for a collection, its nodes from the start; false when yield
 * stopped inside it (cursor saved with in_rec). */
static bool walk_rec(fl_ns_t *ns, fls_rec_t **ref, const fls_walk_ops_t *ops, void *ctx,
                     fls_walk_cursor_t *cur, size_t *did)
{
    if (ops->rec)
        *ref = ops->rec(ctx, *ref, fls_rec_size(*ref));
    (*did)++;
    if ((*ref)->split) { /* a split string's tail, referenced from its head only */
        size_t n = fls_rec_tail_len(*ref);
        if (ops->node)
            fls_rec_set_tail(*ref, ops->node(ctx, fls_rec_tail(*ref), n), n);
        (*did)++;
    }
    cur->fbucket = 0;
    return !fls_coll_ops((*ref)->type) || walk_coll(ns, *ref, ops, ctx, cur, did);
}

bool fls_part_walk_step(fl_ns_t *ns, uint32_t pidx, const fls_walk_ops_t *ops, void *ctx,
                        fls_walk_cursor_t *cur, size_t *units)
{
    fls_part_t *p = &ns->parts[pidx];
    FLS_ASSERT_WRLOCKED(p);
    size_t did = 0;
    bool done = true;
    size_t slots = fls_part_slots(p);
    if (!p->b)
        goto out;
    if (!cur->started) {
        memset(cur, 0, sizeof(*cur));
        cur->started = true;
        cur->slots = (uint32_t)slots;
        if (ops->buckets)
            p->b = ops->buckets(ctx, p->b, fls_index_bytes(slots));
        did++;
    } else if (cur->slots != slots) {
        cursor_rescale(cur, slots);
    }
    for (size_t i = cur->slot; i < slots; i++) {
        fls_rec_t **ref = &p->b[i];
        if (!*ref)
            continue;
        bool whole;
        if (cur->in_rec) { /* resuming inside this slot's collection: only its remaining nodes */
            whole = !fls_coll_ops((*ref)->type) || walk_coll(ns, *ref, ops, ctx, cur, &did);
        } else {
            if (did && ops->yield && ops->yield(ctx)) {
                cur->slot = (uint32_t)i;
                done = false;
                goto out;
            }
            whole = walk_rec(ns, ref, ops, ctx, cur, &did);
        }
        if (!whole) {
            cur->slot = (uint32_t)i;
            done = false;
            goto out;
        }
        cur->in_rec = false;
        cur->fbucket = 0;
    }
out:
    if (done)
        memset(cur, 0, sizeof(*cur));
    if (units)
        *units += did;
    return done;
}

void fls_part_walk(fl_ns_t *ns, uint32_t pidx, const fls_walk_ops_t *ops, void *ctx)
{
    fls_walk_ops_t all = *ops;
    all.yield = NULL;
    fls_walk_cursor_t cur = {0};
    fls_part_walk_step(ns, pidx, &all, ctx, &cur, NULL);
}
