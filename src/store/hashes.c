/*
 * src/store/hashes.c: hash commands (HSET, HSETNX, HGET, HMGET, HDEL, HGETALL, HKEYS, HVALS,
 * HLEN, HEXISTS, HSTRLEN, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN) and the hash type's
 * operations table (fls_hash_type: a hash is a collection record, coll.h).
 *
 * A field and its value are a "pair": the field in the member encoding of mtab.h (length: one
 * byte below 0xff, else 0xff and 32 bits; then the bytes), then the value in the same encoding.
 * The descriptor inline in the record holds one of Redis 7.0's two encodings for the content:
 *   - listpack: while at most max_entries() pairs whose field and value are each at most
 *     max_value() bytes (Redis's hash-max-listpack-entries 512 / -value 64): the pairs back to
 *     back in ONE arena block of exactly their size, in insertion order (HGETALL answers in
 *     Redis's order). A lookup scans it (at most 512 pairs by default, as Redis's listpack);
 *   - hashtable: otherwise, for good (as Redis, a hash never converts back): a member table
 *     (mtab.h) of pairs, one arena allocation per pair, hashed by field.
 * Invariants: t.mask == 0 exactly in the listpack encoding (a table has >= 8 slots); a linked
 * hash has >= 1 pair (coll.c deletes it with its last one); the listpack block is NULL exactly
 * when it holds no pair. Every allocation is referenced once: the block from the descriptor,
 * a pair from its table slot, the slot array from the descriptor.
 *
 * Writes are all-or-nothing: a listpack write composes the new pairs in scratch memory and
 * swaps in one exactly-sized block; a table write allocates every pair (and the slots) before
 * linking any; a conversion builds the whole table before freeing the block. So FL_ENOMEM or
 * FL_EOOM leaves the hash as it was.
 */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "coll.h"
#include "mtab.h"

/* A listpack never grows past this (Redis's LISTPACK_MAX_SAFETY_SIZE): it converts first. The
 * thresholds hash-max-listpack-entries / -value are the store's run-time limits
 * (FL_COLL_OPTIONS), read through max_entries() / max_value(). */
#define LISTPACK_MAX_BYTES ((size_t)1 << 30)
#define MAX_LEN UINT32_MAX

typedef union hash {
    fls_mtab_t t; /* hashtable: t.mask >= 7 */
    struct {
        uint8_t *p;     /* the pairs back to back, exactly sized; NULL when count == 0 */
        uint32_t mask0; /* 0: tells the encodings apart (aliases t.mask) */
        uint32_t count; /* pairs (aliases t.count) */
    } lp;
} hash_t;
_Static_assert(sizeof(hash_t) == sizeof(fls_mtab_t) &&
                   offsetof(hash_t, lp.mask0) == offsetof(hash_t, t.mask) &&
                   offsetof(hash_t, lp.count) == offsetof(hash_t, t.count),
               "the listpack view aliases the table's mask and count");

static size_t max_entries(const fl_ns_t *ns)
{
    int64_t v = FLS_LIMIT(ns, hash_max_listpack_entries);
    return v > 0 ? (size_t)v : 0;
}
static size_t max_value(const fl_ns_t *ns)
{
    int64_t v = FLS_LIMIT(ns, hash_max_listpack_value);
    return v > 0 ? (size_t)v : 0;
}

static bool is_table(const hash_t *h)
{
    return h->t.mask != 0;
}
static size_t hash_len(const hash_t *h)
{
    return is_table(h) ? h->t.count : h->lp.count;
}
static inline hash_t *rec_hash(fls_rec_t *r)
{
    return fls_rec_desc(r);
}

/* ---- Pairs ---------------------------------------------------------------------------------- */

static size_t pair_bytes(size_t fn, size_t vn)
{
    return fls_mbr_size(0, fn) + fls_mbr_size(0, vn);
}

/* Reads the pair at m into f and v; returns the byte after it. */
static const uint8_t *pair_read(const uint8_t *m, fl_slice_t *f, fl_slice_t *v)
{
    fls_mbr_get(m, 0, &f->p, &f->n);
    const uint8_t *vm = (const uint8_t *)f->p + f->n;
    fls_mbr_get(vm, 0, &v->p, &v->n);
    return (const uint8_t *)v->p + v->n;
}

static size_t pair_size(const void *m, size_t off)
{
    (void)off;
    fl_slice_t f, v;
    return (size_t)(pair_read(m, &f, &v) - (const uint8_t *)m);
}

static uint8_t *pair_put(uint8_t *w, fl_slice_t f, fl_slice_t v)
{
    return fls_mbr_put(fls_mbr_put(w, f.p, f.n), v.p, v.n);
}

static bool same(fl_slice_t a, fl_slice_t b)
{
    return a.n == b.n && (a.n == 0 || memcmp(a.p, b.p, a.n) == 0);
}

/* Bytes of the listpack block. */
static size_t lp_bytes(const hash_t *h)
{
    const uint8_t *m = h->lp.p;
    fl_slice_t f, v;
    for (uint32_t i = 0; i < h->lp.count; i++)
        m = pair_read(m, &f, &v);
    return (size_t)(m - h->lp.p);
}

/* The pairs of a hash in turn, either encoding. */
typedef struct hiter {
    const hash_t *h;
    size_t i;         /* table: next slot; listpack: pairs read */
    const uint8_t *m; /* listpack: next pair */
} hiter_t;

/* An iterator over h's pairs (none when h is NULL: a missing key). */
static hiter_t hiter(const hash_t *h)
{
    return (hiter_t){h, 0, h && !is_table(h) ? h->lp.p : NULL};
}

static const uint8_t *hiter_next(hiter_t *it, fl_slice_t *f, fl_slice_t *v)
{
    const hash_t *h = it->h;
    if (!h)
        return NULL;
    if (!is_table(h)) {
        if (it->i >= h->lp.count)
            return NULL;
        const uint8_t *m = it->m;
        it->m = pair_read(m, f, v);
        it->i++;
        return m;
    }
    for (; it->i <= h->t.mask; it->i++) {
        const uint8_t *m = h->t.slots[it->i];
        if (m) {
            it->i++;
            pair_read(m, f, v);
            return m;
        }
    }
    return NULL;
}

/* The pair of field f, or NULL. */
static const uint8_t *hash_find(fl_ns_t *ns, const hash_t *h, fl_slice_t f)
{
    if (is_table(h)) {
        void **slot = fls_mt_find(&h->t, ns, 0, f.p, f.n);
        return slot ? *slot : NULL;
    }
    hiter_t it = hiter(h);
    fl_slice_t x, v;
    for (const uint8_t *m; (m = hiter_next(&it, &x, &v));)
        if (same(x, f))
            return m;
    return NULL;
}

/* ---- Scratch: a listpack being edited in private memory ------------------------------------ */

typedef struct scratch {
    uint8_t *p;
    size_t len, cap;
    uint32_t count;
    uint8_t inl[512];
} scratch_t;

/* Copies h's pairs into s with room for `more` bytes: FL_OK or FL_ENOMEM. */
static int scratch_init(scratch_t *s, const hash_t *h, size_t more)
{
    s->len = lp_bytes(h);
    s->cap = s->len + more;
    s->count = h->lp.count;
    s->p = s->cap <= sizeof(s->inl) ? s->inl : malloc(s->cap); /* scratch: private arena */
    if (!s->p)
        return FL_ENOMEM;
    fls_copy(s->p, h->lp.p, s->len);
    return FL_OK;
}

static void scratch_free(scratch_t *s)
{
    if (s->p != s->inl)
        free(s->p);
}

/* Offset of field f's pair in s and its size, or false. */
static bool scratch_find(const scratch_t *s, fl_slice_t f, size_t *at, size_t *size)
{
    const uint8_t *m = s->p;
    for (uint32_t i = 0; i < s->count; i++) {
        fl_slice_t x, v;
        const uint8_t *end = pair_read(m, &x, &v);
        if (same(x, f)) {
            *at = (size_t)(m - s->p);
            *size = (size_t)(end - m);
            return true;
        }
        m = end;
    }
    return false;
}

/* Replaces `size` bytes at `at` by the pair fv[0], fv[1], or removes them (fv NULL). The room
 * was reserved by scratch_init. */
static void scratch_splice(scratch_t *s, size_t at, size_t size, const fl_slice_t *fv)
{
    size_t add = fv ? pair_bytes(fv[0].n, fv[1].n) : 0;
    FL_ASSERT(s->len - size + add <= s->cap);
    memmove(s->p + at + add, s->p + at + size, s->len - at - size);
    if (fv)
        pair_put(s->p + at, fv[0], fv[1]);
    s->len = s->len - size + add;
}

/* Sets the pair fv in s (replacing the field's value in place, or appending). True when
 * added. */
static bool scratch_set(scratch_t *s, const fl_slice_t *fv)
{
    size_t at, size;
    if (scratch_find(s, fv[0], &at, &size)) {
        scratch_splice(s, at, size, fv);
        return false;
    }
    scratch_splice(s, s->len, 0, fv);
    s->count++;
    return true;
}

/* ---- Writes --------------------------------------------------------------------------------- */

/* Swaps s in as h's listpack block (one exactly-sized allocation), after the quota check for
 * its growth plus `extra`. FL_OK, FL_EOOM or FL_ENOMEM (h unchanged). */
static int lp_install(fl_ns_t *ns, uint32_t pidx, hash_t *h, const scratch_t *s, int64_t extra)
{
    size_t old = lp_bytes(h);
    int rc = fls_quota_check(ns, (int64_t)s->len - (int64_t)old + extra);
    if (rc != FL_OK)
        return rc;
    uint8_t *p = NULL;
    if (s->len && !(p = fls_alloc(ns, pidx, s->len)))
        return FL_ENOMEM;
    fls_copy(p, s->p, s->len);
    fls_free(ns, pidx, h->lp.p, old);
    h->lp.p = p;
    h->lp.count = s->count;
    return FL_OK;
}

static void table_free(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t)
{
    for (size_t i = 0; t->slots && i <= t->mask; i++)
        if (t->slots[i])
            fls_free(ns, pidx, t->slots[i], pair_size(t->slots[i], 0));
    fls_mt_clear(ns, pidx, t, 0, false);
}

static void *pair_new(fl_ns_t *ns, uint32_t pidx, fl_slice_t f, fl_slice_t v)
{
    uint8_t *m = fls_alloc(ns, pidx, pair_bytes(f.n, v.n));
    if (m)
        pair_put(m, f, v);
    return m;
}

/* Links pair m into t, replacing the pair of the same field (freed). Room was reserved, so
 * this cannot fail. True when added. */
static bool table_link(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, void *m)
{
    fl_slice_t f, v;
    pair_read(m, &f, &v);
    void **slot = fls_mt_find(t, ns, 0, f.p, f.n);
    if (slot) {
        fls_free(ns, pidx, *slot, pair_size(*slot, 0));
        *slot = m;
        return false;
    }
    int rc = fls_mt_insert(ns, pidx, t, 0, m);
    FL_ASSERT(rc == FL_OK); /* fls_mt_reserve made the room */
    return true;
}

/* Sets the n pairs fv in table t: every pair and the slots allocated before any is linked.
 * FL_OK, FL_EOOM or FL_ENOMEM (t unchanged). */
static int table_set(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, const fl_slice_t *fv, size_t n,
                     int64_t extra)
{
    int64_t growth = extra;
    for (size_t i = 0; i < n; i++)
        growth += (int64_t)pair_bytes(fv[2 * i].n, fv[2 * i + 1].n);
    int rc = fls_quota_check(ns, growth);
    if (rc != FL_OK)
        return rc;
    void *stack[16], **made = n <= 16 ? stack : malloc(n * sizeof(*made)); /* scratch */
    if (!made)
        return FL_ENOMEM;
    size_t k = 0;
    for (; k < n; k++)
        if (!(made[k] = pair_new(ns, pidx, fv[2 * k], fv[2 * k + 1])))
            break;
    if (k < n || fls_mt_reserve(ns, pidx, t, 0, n) != FL_OK) {
        while (k > 0) {
            k--;
            fls_free(ns, pidx, made[k], pair_size(made[k], 0));
        }
        rc = FL_ENOMEM;
    } else {
        for (size_t i = 0; i < n; i++)
            table_link(ns, pidx, t, made[i]);
    }
    if (made != stack)
        free(made);
    return rc;
}

/* Converts h to the hashtable encoding with the pairs fv set on top of its own: the whole
 * table is built before the listpack block is freed. FL_OK, FL_EOOM or FL_ENOMEM. */
static int convert_and_set(fl_ns_t *ns, uint32_t pidx, hash_t *h, const fl_slice_t *fv, size_t n,
                           int64_t extra)
{
    size_t old = lp_bytes(h), count = h->lp.count;
    fls_mtab_t t = {0};
    int rc = fls_mt_reserve(ns, pidx, &t, 0, count + n);
    int64_t growth = (int64_t)fls_mt_array_size(&t) + extra;
    if (rc == FL_OK)
        rc = fls_quota_check(ns, growth);
    hiter_t it = hiter(h);
    fl_slice_t f, v;
    for (size_t i = 0; rc == FL_OK && i < count; i++) {
        hiter_next(&it, &f, &v);
        void *m = pair_new(ns, pidx, f, v);
        if (!m)
            rc = FL_ENOMEM;
        else
            table_link(ns, pidx, &t, m);
    }
    if (rc == FL_OK)
        rc = table_set(ns, pidx, &t, fv, n, 0);
    if (rc != FL_OK) {
        table_free(ns, pidx, &t);
        return rc;
    }
    fls_free(ns, pidx, h->lp.p, old);
    h->t = t;
    return FL_OK;
}

/* Sets the n pairs fv (later ones win over earlier ones of the same field) in h, converting
 * to the hashtable when Redis would: a field or value longer than max_value(), more than
 * max_entries() pairs, a listpack past LISTPACK_MAX_BYTES. `extra`: bytes the caller
 * allocated for this write already (a new record), for the quota check. *added: new fields.
 * FL_OK, FL_EOOM or FL_ENOMEM (h unchanged). */
static int hash_put(fl_ns_t *ns, uint32_t pidx, hash_t *h, const fl_slice_t *fv, size_t n,
                    int64_t extra, size_t *added)
{
    size_t before = hash_len(h);
    int rc;
    if (is_table(h)) {
        rc = table_set(ns, pidx, &h->t, fv, n, extra);
        *added = rc == FL_OK ? h->t.count - before : 0;
        return rc;
    }
    size_t more = 0;
    bool convert = false;
    for (size_t i = 0; i < n; i++) {
        convert |= fv[2 * i].n > max_value(ns) || fv[2 * i + 1].n > max_value(ns);
        more += pair_bytes(fv[2 * i].n, fv[2 * i + 1].n);
    }
    scratch_t s;
    if (!convert && lp_bytes(h) + more > LISTPACK_MAX_BYTES)
        convert = true;
    if (!convert) {
        if (scratch_init(&s, h, more) != FL_OK)
            return FL_ENOMEM;
        for (size_t i = 0; i < n && !convert; i++) {
            scratch_set(&s, fv + 2 * i);
            convert = s.count > max_entries(ns);
        }
        rc = convert ? FL_OK : lp_install(ns, pidx, h, &s, extra);
        scratch_free(&s);
        if (!convert) {
            *added = rc == FL_OK ? h->lp.count - before : 0;
            return rc;
        }
    }
    rc = convert_and_set(ns, pidx, h, fv, n, extra);
    *added = rc == FL_OK ? h->t.count - before : 0;
    return rc;
}

/* Removes the n fields from h; returns how many were there. A listpack is rewritten once, all
 * or nothing (FL_ENOMEM in *rc: it is as it was, 0 removed); a table cannot fail. */
static size_t hash_remove(fl_ns_t *ns, uint32_t pidx, hash_t *h, const fl_slice_t *f, size_t n,
                          int *rc)
{
    size_t gone = 0;
    *rc = FL_OK;
    if (is_table(h)) {
        for (size_t i = 0; i < n; i++) {
            void **slot = fls_mt_find(&h->t, ns, 0, f[i].p, f[i].n);
            if (!slot)
                continue;
            void *m = fls_mt_remove(ns, pidx, &h->t, 0, slot);
            fls_free(ns, pidx, m, pair_size(m, 0));
            gone++;
        }
        return gone;
    }
    scratch_t s;
    if ((*rc = scratch_init(&s, h, 0)) != FL_OK)
        return 0;
    for (size_t i = 0; i < n && s.count > 0; i++) {
        size_t at, size;
        if (!scratch_find(&s, f[i], &at, &size))
            continue;
        scratch_splice(&s, at, size, NULL);
        s.count--;
        gone++;
    }
    if (gone && (*rc = lp_install(ns, pidx, h, &s, 0)) != FL_OK) /* shrinks: no quota refusal */
        gone = 0;
    scratch_free(&s);
    return gone;
}

/* ---- The type's operations (coll.h) ---------------------------------------------------------- */

static size_t hash_total(const void *d)
{
    const hash_t *h = d;
    if (!is_table(h))
        return lp_bytes(h);
    size_t total = fls_mt_array_size(&h->t);
    for (size_t i = 0; h->t.slots && i <= h->t.mask; i++)
        if (h->t.slots[i])
            total += pair_size(h->t.slots[i], 0);
    return total;
}
static size_t hash_usable(const void *d)
{
    const hash_t *h = d;
    if (!is_table(h))
        return h->lp.p ? fl_mem_usable_size(h->lp.p) : 0;
    size_t total = h->t.slots ? fl_mem_usable_size(h->t.slots) : 0;
    for (size_t i = 0; h->t.slots && i <= h->t.mask; i++)
        if (h->t.slots[i])
            total += fl_mem_usable_size(h->t.slots[i]);
    return total;
}
static void hash_destroy(fl_ns_t *ns, uint32_t pidx, void *d)
{
    hash_t *h = d;
    if (is_table(h))
        table_free(ns, pidx, &h->t);
    else
        fls_free(ns, pidx, h->lp.p, lp_bytes(h));
    memset(h, 0, sizeof(*h));
}
static bool hash_walk(fl_ns_t *ns, void *d, const fls_walk_ops_t *ops, void *ctx, uint32_t *pos,
                      size_t *did)
{
    (void)ns;
    hash_t *h = d;
    if (is_table(h))
        return fls_mt_walk_sized(&h->t, 0, pair_size, ops, ctx, pos, did);
    if (h->lp.p && ops->node) {
        h->lp.p = ops->node(ctx, h->lp.p, lp_bytes(h));
        (*did)++;
    }
    return true;
}
static const char *hash_encoding(const void *d)
{
    return is_table(d) ? "hashtable" : "listpack";
}
static uint64_t hash_count(const void *d)
{
    return hash_len(d);
}
static int hash_clone(fl_ns_t *ns, uint32_t pidx, void *dst, const void *src)
{
    const hash_t *from = src;
    hash_t *to = dst;
    memset(to, 0, sizeof(*to));
    if (!is_table(from)) {
        size_t n = lp_bytes(from);
        if (n && !(to->lp.p = fls_alloc(ns, pidx, n)))
            return FL_ENOMEM;
        fls_copy(to->lp.p, from->lp.p, n);
        to->lp.count = from->lp.count;
        return FL_OK;
    }
    int rc = fls_mt_reserve(ns, pidx, &to->t, 0, from->t.count);
    for (size_t i = 0; rc == FL_OK && i <= from->t.mask; i++) {
        const void *m = from->t.slots[i];
        if (!m)
            continue;
        size_t size = pair_size(m, 0);
        void *x = fls_alloc(ns, pidx, size);
        if (!x) {
            rc = FL_ENOMEM;
            break;
        }
        memcpy(x, m, size);
        table_link(ns, pidx, &to->t, x);
    }
    if (rc != FL_OK)
        table_free(ns, pidx, &to->t);
    return rc;
}
/* Every pair as two elements, field then value (the serialized layout of store_internal.h). */
static void hash_each(const void *d, void (*fn)(void *ctx, const char *p, size_t n, double score),
                      void *ctx)
{
    hiter_t it = hiter(d);
    fl_slice_t f, v;
    while (hiter_next(&it, &f, &v)) {
        fn(ctx, f.p, f.n, 0);
        fn(ctx, v.p, v.n, 0);
    }
}

const fls_coll_ops_t fls_hash_type = {
    .name = "hash",
    .desc_size = sizeof(hash_t),
    .total = hash_total,
    .usable = hash_usable,
    .destroy = hash_destroy,
    .walk = hash_walk,
    .encoding = hash_encoding,
    .len = hash_count,
    .clone = hash_clone,
    .each = hash_each,
};

void fls_hash_rec_pairs(fls_rec_t *r, void (*fn)(void *ctx, fl_slice_t f, fl_slice_t v), void *ctx)
{
    hiter_t it = hiter(rec_hash(r));
    fl_slice_t f, v;
    while (hiter_next(&it, &f, &v))
        fn(ctx, f, v);
}

#ifdef FLATLINE_DEBUG
#define HASH_CHECK_WALK_MAX 1024

bool fls_hash_rec_check(fl_ns_t *ns, fls_rec_t *r)
{
    hash_t *h = rec_hash(r);
    size_t n = 0;
    hiter_t it = hiter(h);
    fl_slice_t f, v;
    /* This runs after every write: a walk of a big hash would make a run of writes to it
     * quadratic (a 50k-field HSET load never ends), so a table past HASH_CHECK_WALK_MAX pairs
     * is walked only when its length is a power of two (log-many times as it grows). */
    size_t len = hash_len(h);
    if (len > HASH_CHECK_WALK_MAX && (len & (len - 1)) != 0)
        return true;
    for (const uint8_t *m; (m = hiter_next(&it, &f, &v)); n++) {
        if (is_table(h)) /* each pair where a lookup of its field finds it */
            FL_DEBUG_ASSERT(hash_find(ns, h, f) == m);
        else /* a listpack holds only what the thresholds allow (they may have been raised) */
            FL_DEBUG_ASSERT(f.n <= LISTPACK_MAX_BYTES && v.n <= LISTPACK_MAX_BYTES);
    }
    FL_DEBUG_ASSERT(n == hash_len(h) && n > 0); /* a hash loses its key with its last field */
    FL_DEBUG_ASSERT(is_table(h) || h->lp.p != NULL);
    return true;
}
#endif

/* ---- Commands ----------------------------------------------------------------------------------
 */

/* Write preamble: locks, finds or creates the hash (FL_EWRONGTYPE, FL_ENOMEM); *extra gets
 * the bytes a created record took. The lock is held on return: fls_coll_write_end. */
static int hash_write_begin(fl_ns_t *ns, fl_slice_t key, size_t hint, fls_cw_t *w, int64_t *extra)
{
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_HASH, hint, w);
    *extra = 0;
    if (rc == FL_OK && !w->rec) {
        rc = fls_coll_create(ns, w);
        *extra = (int64_t)fls_coll_rec_size(w->k.n, &fls_hash_type);
    }
    return rc;
}

int fl_hash_set(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *fv, size_t n_pairs, size_t *added)
{
    if (n_pairs == 0 || key.n > MAX_LEN)
        return FL_EINVAL;
    size_t hint = fls_coll_rec_size(key.n, &fls_hash_type);
    for (size_t i = 0; i < n_pairs; i++) {
        if (fv[2 * i].n > MAX_LEN || fv[2 * i + 1].n > MAX_LEN)
            return FL_EINVAL;
        hint += pair_bytes(fv[2 * i].n, fv[2 * i + 1].n);
    }
    fls_cw_t w;
    int64_t extra;
    size_t n_added = 0;
    int rc = hash_write_begin(ns, key, hint, &w, &extra);
    if (rc == FL_OK)
        rc = hash_put(ns, w.k.pidx, rec_hash(w.rec), fv, n_pairs, extra, &n_added);
    w.delta = (fl_delta_t){.verb = "HSET", .args = fv, .n_args = 2 * n_pairs};
    fls_coll_write_end(ns, &w, rc == FL_OK);
    if (added)
        *added = n_added;
    return rc;
}

/* Read helper: the live hash for k (read lock held; NULL when missing); FL_EWRONGTYPE. */
static int hash_read(fl_ns_t *ns, fls_key_t *k, fl_slice_t key, hash_t **h)
{
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_HASH, k, &r);
    *h = r ? rec_hash(r) : NULL;
    return rc;
}

/* The value of field f, or false. */
static bool field_value(fl_ns_t *ns, const hash_t *h, fl_slice_t f, fl_slice_t *v)
{
    const uint8_t *m = h ? hash_find(ns, h, f) : NULL;
    fl_slice_t x;
    if (m)
        pair_read(m, &x, v);
    return m != NULL;
}

static void emit_value(fl_ns_t *ns, const hash_t *h, fl_slice_t f, const fl_sink_t *out)
{
    fl_slice_t v;
    if (field_value(ns, h, f, &v))
        out->bulk(out->ctx, v.p, v.n);
    else
        out->nil(out->ctx);
}

int fl_hash_get(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, const fl_sink_t *out)
{
    fls_key_t k;
    hash_t *h;
    int rc = hash_read(ns, &k, key, &h);
    if (rc == FL_OK)
        emit_value(ns, h, field, out);
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_mget(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *fields, size_t n,
                 const fl_sink_t *out)
{
    fls_key_t k;
    hash_t *h;
    int rc = hash_read(ns, &k, key, &h);
    if (rc == FL_OK) {
        out->array(out->ctx, n);
        for (size_t i = 0; i < n; i++)
            emit_value(ns, h, fields[i], out);
    }
    fls_read_end(ns, &k);
    return rc;
}

/* Emits a pair: its field, its value, or both. */
static void emit_pair(const fl_sink_t *out, fl_slice_t f, fl_slice_t v, unsigned what)
{
    if (what & FL_HASH_FIELDS)
        out->bulk(out->ctx, f.p, f.n);
    if (what & FL_HASH_VALUES)
        out->bulk(out->ctx, v.p, v.n);
}

int fl_hash_each(fl_ns_t *ns, fl_slice_t key, unsigned what, const fl_sink_t *out)
{
    fls_key_t k;
    hash_t *h;
    int rc = hash_read(ns, &k, key, &h);
    if (rc == FL_OK) {
        size_t per = (what & FL_HASH_FIELDS ? 1 : 0) + (what & FL_HASH_VALUES ? 1 : 0);
        out->array(out->ctx, h ? per * hash_len(h) : 0);
        hiter_t it = hiter(h);
        fl_slice_t f, v;
        while (hiter_next(&it, &f, &v))
            emit_pair(out, f, v, what);
    }
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_getall(fl_ns_t *ns, fl_slice_t key, const fl_sink_t *out)
{
    return fl_hash_each(ns, key, FL_HASH_FIELDS | FL_HASH_VALUES, out);
}

int fl_hash_len(fl_ns_t *ns, fl_slice_t key, size_t *len)
{
    fls_key_t k;
    hash_t *h;
    int rc = hash_read(ns, &k, key, &h);
    *len = h ? hash_len(h) : 0;
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_exists(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, bool *exists)
{
    fls_key_t k;
    hash_t *h;
    fl_slice_t v;
    int rc = hash_read(ns, &k, key, &h);
    *exists = field_value(ns, h, field, &v);
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_strlen(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, size_t *len)
{
    fls_key_t k;
    hash_t *h;
    fl_slice_t v = {NULL, 0};
    int rc = hash_read(ns, &k, key, &h);
    field_value(ns, h, field, &v);
    *len = v.n;
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_del(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *fields, size_t n, size_t *removed)
{
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_HASH, 0, &w);
    size_t gone = 0;
    if (rc == FL_OK && w.rec)
        gone = hash_remove(ns, w.k.pidx, rec_hash(w.rec), fields, n, &rc);
    w.delta = (fl_delta_t){.verb = rc == FL_OK ? "HDEL" : NULL, .args = fields, .n_args = n};
    fls_coll_write_end(ns, &w, gone > 0);
    if (removed)
        *removed = gone;
    return rc;
}

/* Computes a field's new value from its current one (NULL when the field is missing) into
 * *val (pointing into ctx or at an argument): FL_OK, or a status that leaves the hash as it
 * was (FL_ECOND: nothing to write, not an error). */
typedef int (*field_fn)(void *ctx, const fl_slice_t *old, fl_slice_t *val);

/* HINCRBY, HINCRBYFLOAT, HSETNX: reads one field and writes it back, under one write lock. */
static int field_update(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, size_t vhint, field_fn fn,
                        void *ctx)
{
    if (key.n > MAX_LEN || field.n > MAX_LEN)
        return FL_EINVAL;
    size_t hint = fls_coll_rec_size(key.n, &fls_hash_type) + pair_bytes(field.n, vhint);
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_HASH, hint, &w);
    fl_slice_t old, val;
    bool had = rc == FL_OK && w.rec && field_value(ns, rec_hash(w.rec), field, &old);
    if (rc == FL_OK)
        rc = fn(ctx, had ? &old : NULL, &val);
    if (rc == FL_OK && val.n > MAX_LEN)
        rc = FL_EINVAL;
    int64_t extra = 0;
    if (rc == FL_OK && !w.rec) {
        rc = fls_coll_create(ns, &w);
        extra = (int64_t)fls_coll_rec_size(w.k.n, &fls_hash_type);
    }
    size_t added;
    fl_slice_t fv[2] = {field, val};
    if (rc == FL_OK)
        rc = hash_put(ns, w.k.pidx, rec_hash(w.rec), fv, 1, extra, &added);
    w.delta = (fl_delta_t){.verb = "HSET", .args = fv, .n_args = 2};
    fls_coll_write_end(ns, &w, rc == FL_OK);
    return rc;
}

typedef struct incr_ctx {
    int64_t delta, result;
    char buf[24];
} incr_ctx_t;

static int incr_fn(void *ctx, const fl_slice_t *old, fl_slice_t *val)
{
    incr_ctx_t *c = ctx;
    size_t n = 0;
    int rc = fls_incr_text(old ? old->p : NULL, old ? old->n : 0, c->delta, &c->result, c->buf, &n);
    *val = (fl_slice_t){c->buf, n};
    return rc;
}

int fl_hash_incrby(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, int64_t delta, int64_t *result)
{
    incr_ctx_t c = {.delta = delta};
    int rc = field_update(ns, key, field, 20, incr_fn, &c);
    if (rc == FL_OK && result)
        *result = c.result;
    return rc;
}

typedef struct incrf_ctx {
    long double delta;
    char *buf; /* FL_FLOAT_BUF bytes */
    size_t len;
} incrf_ctx_t;

static int incrf_fn(void *ctx, const fl_slice_t *old, fl_slice_t *val)
{
    incrf_ctx_t *c = ctx;
    long double v = 0;
    if (old && !fls_parse_ld(old->p, old->n, &v))
        return FL_EHASHNOTFLOAT;
    v += c->delta;
    if (isnan(v) || isinf(v))
        return FL_ENAN;
    c->len = fls_fmt_ld(v, c->buf, FL_FLOAT_BUF);
    if (c->len == 0)
        return FL_EHASHNOTFLOAT;
    *val = (fl_slice_t){c->buf, c->len};
    return FL_OK;
}

int fl_hash_incrbyfloat(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, fl_slice_t incr, char *buf,
                        size_t *len)
{
    incrf_ctx_t c = {.buf = buf};
    if (!fls_parse_ld(incr.p, incr.n, &c.delta))
        return FL_ENOTFLOAT;
    if (isinf(c.delta))
        return FL_EINCRNAN;
    int rc = field_update(ns, key, field, 40, incrf_fn, &c);
    if (rc == FL_OK)
        *len = c.len;
    return rc;
}

static int setnx_fn(void *ctx, const fl_slice_t *old, fl_slice_t *val)
{
    if (old)
        return FL_ECOND;
    *val = *(const fl_slice_t *)ctx;
    return FL_OK;
}

int fl_hash_setnx(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, fl_slice_t val, bool *set)
{
    int rc = field_update(ns, key, field, val.n, setnx_fn, &val);
    *set = rc == FL_OK;
    return rc == FL_ECOND ? FL_OK : rc;
}

static void emit_at(const fl_sink_t *out, const uint8_t *m, unsigned what)
{
    fl_slice_t f, v;
    pair_read(m, &f, &v);
    emit_pair(out, f, v, what);
}

int fl_hash_randfield(fl_ns_t *ns, fl_slice_t key, int64_t count, bool with_values,
                      const fl_sink_t *out)
{
    fls_key_t k;
    hash_t *h;
    int rc = hash_read(ns, &k, key, &h);
    const uint8_t **all = NULL;
    unsigned what = FL_HASH_FIELDS | (with_values ? FL_HASH_VALUES : 0);
    size_t per = with_values ? 2 : 1;
    if (rc != FL_OK)
        goto out;
    size_t size = h ? hash_len(h) : 0;
    if (count == INT64_MIN && !h) { /* HRANDFIELD key: one field, or nil */
        out->nil(out->ctx);
        goto out;
    }
    if (size && !(all = malloc(size * sizeof(*all)))) { /* scratch: private arena */
        rc = FL_ENOMEM;
        goto out;
    }
    size_t n = 0;
    hiter_t it = hiter(h);
    fl_slice_t f, v;
    for (const uint8_t *m; (m = hiter_next(&it, &f, &v));)
        all[n++] = m;
    if (count == INT64_MIN) {
        emit_at(out, all[fls_rand() % size], FL_HASH_FIELDS);
        goto out;
    }
    if (size == 0 || count == 0) {
        out->array(out->ctx, 0);
    } else if (count < 0) { /* repetitions allowed: -count picks */
        uint64_t picks = (uint64_t)0 - (uint64_t)count;
        out->array(out->ctx, (size_t)(picks * per));
        for (uint64_t i = 0; i < picks; i++)
            emit_at(out, all[fls_rand() % size], what);
    } else { /* distinct: a partial Fisher-Yates shuffle */
        size_t picks = (uint64_t)count < size ? (size_t)count : size;
        out->array(out->ctx, picks * per);
        for (size_t i = 0; i < picks; i++) {
            size_t j = i + (size_t)(fls_rand() % (size - i));
            const uint8_t *t = all[i];
            all[i] = all[j];
            all[j] = t;
            emit_at(out, all[i], what);
        }
    }
out:
    free(all);
    fls_read_end(ns, &k);
    return rc;
}

/* HSCAN over a table: counts the matching pairs (out NULL), then emits them. */
typedef struct scan_ctx {
    const char *pattern;
    size_t pattern_len;
    const fl_sink_t *out;
    size_t n;
} scan_ctx_t;

static void scan_one(void *ctx, const void *m)
{
    scan_ctx_t *sc = ctx;
    fl_slice_t f, v;
    pair_read(m, &f, &v);
    if (sc->pattern && !fl_glob_match(sc->pattern, sc->pattern_len, f.p, f.n, false))
        return;
    sc->n++;
    if (sc->out)
        emit_pair(sc->out, f, v, FL_HASH_FIELDS | FL_HASH_VALUES);
}

int fl_hash_scan(fl_ns_t *ns, fl_slice_t key, uint64_t cursor, const char *pattern,
                 size_t pattern_len, size_t count, const fl_sink_t *out, uint64_t *next)
{
    fls_key_t k;
    hash_t *h;
    int rc = hash_read(ns, &k, key, &h);
    *next = 0;
    if (rc != FL_OK)
        goto out;
    if (pattern && pattern_len == 1 && pattern[0] == '*')
        pattern = NULL;
    scan_ctx_t sc = {pattern, pattern_len, NULL, 0};
    if (h && is_table(h)) { /* the same slots twice under the lock: count, then emit */
        fls_mt_scan(&h->t, ns, 0, cursor, count ? count : 10, scan_one, &sc);
        out->array(out->ctx, 2 * sc.n);
        sc.out = out;
        *next = fls_mt_scan(&h->t, ns, 0, cursor, count ? count : 10, scan_one, &sc);
        goto out;
    }
    /* a listpack (or nothing): everything at once with cursor 0, as Redis does */
    hiter_t it = hiter(h);
    fl_slice_t f, v;
    for (const uint8_t *m; (m = hiter_next(&it, &f, &v));)
        scan_one(&sc, m);
    out->array(out->ctx, 2 * sc.n);
    sc.out = out;
    it = hiter(h);
    for (const uint8_t *m; (m = hiter_next(&it, &f, &v));)
        scan_one(&sc, m);
out:
    fls_read_end(ns, &k);
    return rc;
}
