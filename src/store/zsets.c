/*
 * src/store/zsets.c: sorted-set commands (flatline/collections.h). A sorted set's
 * descriptor, inline in its record, holds one of Redis 7.0's two encodings for the same
 * content:
 *   - listpack: at most zset-max-listpack-entries (FL_COLL_OPTIONS; 128) members of at most
 *     zset-max-listpack-value (64) bytes: one arena allocation of entries [double score][u8
 *     length][bytes] in (score, member) order (so a member over LP_VALUE_CAP bytes converts
 *     whatever zset-max-listpack-value says);
 *   - skiplist: otherwise, for good: each member one allocation ([double score][length]
 *     [bytes], mtab.h layout with an 8-byte header) referenced from both the member table
 *     (mtab.h: member -> allocation) and the order index (zindex.h); the walk moves a member
 *     once and fixes both references.
 * Every read and range works on ranks: a bound is turned into a rank by a lower-bound search
 * (fls_zbefore_fn), and an iterator (zit_t) walks either encoding by rank.
 * Invariants: one encoding in use; a linked sorted set has >= 1 member; no NaN score is
 * stored (ZADD refuses them, an aggregate's NaN becomes 0 as in Redis).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "coll.h"
#include "flatline/collections.h"
#include "mtab.h"
#include "zindex.h"

#define LP_VALUE_CAP UINT8_MAX /* the listpack's one-byte member length */
#define LP_ENTRY_HDR 9u        /* score + length byte */
#define MAX_LEN UINT32_MAX

typedef struct fls_zset {
    fls_mtab_t t;    /* skiplist: member -> allocation */
    fls_zindex_t zi; /* skiplist: the order */
    uint8_t *lp;     /* listpack: lp_bytes of entries in a block of lp_alloc bytes */
    uint32_t lp_bytes, lp_alloc;
    uint32_t lp_count;
    uint32_t is_skiplist;
} fls_zset_t;

static uint64_t zs_len(const fls_zset_t *z)
{
    return z->is_skiplist ? z->zi.count : z->lp_count;
}

size_t fl_fmt_score(double d, char *buf)
{
    if (isinf(d)) {
        memcpy(buf, d > 0 ? "inf" : "-inf", d > 0 ? 3 : 4);
        return d > 0 ? 3 : 4;
    }
    return (size_t)snprintf(buf, 32, "%.17g", d);
}

/* ---- Listpack entries ------------------------------------------------------------------------ */

static void lp_entry(const uint8_t *e, double *score, const char **p, size_t *n)
{
    memcpy(score, e, sizeof(*score));
    *n = e[8];
    *p = (const char *)e + LP_ENTRY_HDR;
}

static uint32_t lp_entry_size(const uint8_t *e)
{
    return LP_ENTRY_HDR + e[8];
}

/* Resizes the listpack block to `want` bytes; a failed shrink keeps the block. */
static int lp_resize(fl_ns_t *ns, uint32_t pidx, fls_zset_t *z, uint32_t want)
{
    if (want == z->lp_alloc)
        return FL_OK;
    uint8_t *n =
        z->lp ? fls_realloc(ns, pidx, z->lp, z->lp_alloc, want) : fls_alloc(ns, pidx, want);
    if (!n)
        return want > z->lp_alloc ? FL_ENOMEM : FL_OK;
    z->lp = n;
    z->lp_alloc = want;
    return FL_OK;
}

/* ---- Iteration by rank, either encoding ---------------------------------------------------- */

typedef struct zit {
    const fls_zset_t *z;
    uint64_t rank;
    fls_zpos_t pos; /* skiplist */
    uint32_t off;   /* listpack */
} zit_t;

static bool zit_seek(zit_t *it, const fls_zset_t *z, uint64_t rank)
{
    *it = (zit_t){.z = z, .rank = rank};
    if (rank >= zs_len(z))
        return false;
    if (z->is_skiplist) {
        it->pos = fls_zi_at(&z->zi, rank);
        return true;
    }
    it->off = 0;
    for (uint64_t i = 0; i < rank; i++)
        it->off += lp_entry_size(z->lp + it->off);
    return true;
}

static void zit_get(const zit_t *it, double *score, const char **p, size_t *n)
{
    if (it->z->is_skiplist) {
        void *m = fls_zi_get(&it->z->zi, it->pos);
        *score = fls_zmbr_score(m);
        fls_mbr_get(m, FLS_ZI_HDR, p, n);
        return;
    }
    lp_entry(it->z->lp + it->off, score, p, n);
}

static bool zit_next(zit_t *it)
{
    if (it->rank + 1 >= zs_len(it->z))
        return false;
    it->rank++;
    if (it->z->is_skiplist)
        return fls_zi_next(&it->z->zi, &it->pos);
    it->off += lp_entry_size(it->z->lp + it->off);
    return true;
}

static bool zit_prev(zit_t *it)
{
    if (it->rank == 0)
        return false;
    if (it->z->is_skiplist) {
        it->rank--;
        return fls_zi_prev(&it->z->zi, &it->pos);
    }
    /* a rescan from the front: a listpack holds zset-max-listpack-entries (128 by default) */
    return zit_seek(it, it->z, it->rank - 1);
}

/* The rank of the first member not before the bound. */
static uint64_t zs_lower_bound(const fls_zset_t *z, fls_zbefore_fn before, const void *ctx)
{
    if (z->is_skiplist)
        return fls_zi_rank(&z->zi, fls_zi_lower_bound(&z->zi, before, ctx));
    uint64_t rank = 0;
    for (uint32_t off = 0; off < z->lp_bytes; off += lp_entry_size(z->lp + off), rank++) {
        double s;
        const char *p;
        size_t n;
        lp_entry(z->lp + off, &s, &p, &n);
        if (!before(ctx, s, p, n))
            break;
    }
    return rank;
}

/* ---- Lookup and changes ---------------------------------------------------------------------- */

/* The listpack entry offset of member (p, n), or -1. */
static int64_t lp_find(const fls_zset_t *z, const char *p, size_t n)
{
    for (uint32_t off = 0; off < z->lp_bytes; off += lp_entry_size(z->lp + off)) {
        const uint8_t *e = z->lp + off;
        if (e[8] == n && (n == 0 || memcmp(e + LP_ENTRY_HDR, p, n) == 0))
            return off;
    }
    return -1;
}

static bool zs_score(fl_ns_t *ns, const fls_zset_t *z, const char *p, size_t n, double *score)
{
    if (z->is_skiplist) {
        void **slot = fls_mt_find(&z->t, ns, FLS_ZI_HDR, p, n);
        if (slot)
            *score = fls_zmbr_score(*slot);
        return slot != NULL;
    }
    int64_t off = lp_find(z, p, n);
    if (off >= 0)
        memcpy(score, z->lp + off, sizeof(*score));
    return off >= 0;
}

/* A skiplist member allocation. */
static void *zmbr_new(fl_ns_t *ns, uint32_t pidx, const char *p, size_t n, double score)
{
    void *m = fls_mbr_new(ns, pidx, FLS_ZI_HDR, p, n);
    if (m)
        memcpy(m, &score, sizeof(score));
    return m;
}

/* Adds an absent member to the skiplist encoding. */
static int sl_insert(fl_ns_t *ns, uint32_t pidx, fls_zset_t *z, const char *p, size_t n,
                     double score)
{
    void *m = zmbr_new(ns, pidx, p, n, score);
    if (!m)
        return FL_ENOMEM;
    if (fls_mt_insert(ns, pidx, &z->t, FLS_ZI_HDR, m) != FL_OK) {
        fls_mbr_free(ns, pidx, m, FLS_ZI_HDR);
        return FL_ENOMEM;
    }
    if (fls_zi_insert(ns, pidx, &z->zi, m) != FL_OK) {
        fls_mt_remove(ns, pidx, &z->t, FLS_ZI_HDR, fls_mt_find_ptr(&z->t, ns, FLS_ZI_HDR, m));
        fls_mbr_free(ns, pidx, m, FLS_ZI_HDR);
        return FL_ENOMEM;
    }
    return FL_OK;
}

/* listpack -> skiplist, for good. FL_ENOMEM leaves the listpack as it was. */
static int zs_convert(fl_ns_t *ns, uint32_t pidx, fls_zset_t *z)
{
    fls_zset_t nz = {.is_skiplist = 1};
    int rc = fls_mt_reserve(ns, pidx, &nz.t, FLS_ZI_HDR, z->lp_count + 1);
    for (uint32_t off = 0; rc == FL_OK && off < z->lp_bytes; off += lp_entry_size(z->lp + off)) {
        double s;
        const char *p;
        size_t n;
        lp_entry(z->lp + off, &s, &p, &n);
        rc = sl_insert(ns, pidx, &nz, p, n, s);
    }
    if (rc != FL_OK) {
        fls_zi_clear(ns, pidx, &nz.zi);
        fls_mt_clear(ns, pidx, &nz.t, FLS_ZI_HDR, true);
        return rc;
    }
    fls_free(ns, pidx, z->lp, z->lp_alloc);
    *z = nz;
    return FL_OK;
}

typedef struct exact_ctx {
    double score;
    const char *p;
    size_t n;
} exact_ctx_t;

static bool before_exact(const void *ctx, double score, const char *p, size_t n)
{
    const exact_ctx_t *e = ctx;
    return fls_zcmp(score, p, n, e->score, e->p, e->n) < 0;
}

/* True when a listpack of `count` members may hold one of n bytes (Redis's thresholds, read at
 * each insert: CONFIG SET changes them for the next write). */
static bool lp_fits(fl_ns_t *ns, uint64_t count, size_t n)
{
    return (int64_t)count <= FLS_LIMIT(ns, zset_max_listpack_entries) &&
           (int64_t)n <= FLS_LIMIT(ns, zset_max_listpack_value) && n <= LP_VALUE_CAP;
}

/* Adds an absent member. FL_OK or FL_ENOMEM (unchanged). */
static int zs_insert(fl_ns_t *ns, uint32_t pidx, fls_zset_t *z, const char *p, size_t n,
                     double score)
{
    if (!z->is_skiplist && !lp_fits(ns, z->lp_count + 1, n) && zs_convert(ns, pidx, z) != FL_OK)
        return FL_ENOMEM;
    if (z->is_skiplist)
        return sl_insert(ns, pidx, z, p, n, score);
    exact_ctx_t e = {score, p, n};
    uint32_t off = 0;
    for (uint64_t r = zs_lower_bound(z, before_exact, &e); r > 0; r--)
        off += lp_entry_size(z->lp + off);
    uint32_t esize = LP_ENTRY_HDR + (uint32_t)n;
    if (z->lp_bytes + esize > z->lp_alloc && lp_resize(ns, pidx, z, z->lp_bytes + esize) != FL_OK)
        return FL_ENOMEM;
    memmove(z->lp + off + esize, z->lp + off, z->lp_bytes - off);
    memcpy(z->lp + off, &score, sizeof(score));
    z->lp[off + 8] = (uint8_t)n;
    fls_copy(z->lp + off + LP_ENTRY_HDR, p, n);
    z->lp_bytes += esize;
    z->lp_count++;
    return FL_OK;
}

/* Deletes a member; false when absent. */
static bool zs_delete(fl_ns_t *ns, uint32_t pidx, fls_zset_t *z, const char *p, size_t n)
{
    if (z->is_skiplist) {
        void **slot = fls_mt_find(&z->t, ns, FLS_ZI_HDR, p, n);
        if (!slot)
            return false;
        void *m = *slot;
        fls_zi_remove(ns, pidx, &z->zi, fls_zi_find(&z->zi, m));
        fls_mt_remove(ns, pidx, &z->t, FLS_ZI_HDR, slot);
        fls_mbr_free(ns, pidx, m, FLS_ZI_HDR);
        return true;
    }
    int64_t off = lp_find(z, p, n);
    if (off < 0)
        return false;
    uint32_t esize = lp_entry_size(z->lp + off);
    memmove(z->lp + off, z->lp + off + esize, z->lp_bytes - (uint32_t)off - esize);
    z->lp_bytes -= esize;
    z->lp_count--;
    if (z->lp_count == 0) {
        fls_free(ns, pidx, z->lp, z->lp_alloc);
        z->lp = NULL;
        z->lp_alloc = z->lp_bytes = 0;
    } else {
        lp_resize(ns, pidx, z, z->lp_bytes);
    }
    return true;
}

/* Changes an existing member's score (delete + insert: same memory either way). */
static int zs_rescore(fl_ns_t *ns, uint32_t pidx, fls_zset_t *z, const char *p, size_t n,
                      double score)
{
    if (z->is_skiplist) { /* keep the allocation: move it in the order index only */
        void *m = *fls_mt_find(&z->t, ns, FLS_ZI_HDR, p, n);
        fls_zi_remove(ns, pidx, &z->zi, fls_zi_find(&z->zi, m));
        memcpy(m, &score, sizeof(score));
        if (fls_zi_insert(ns, pidx, &z->zi, m) == FL_OK)
            return FL_OK;
        /* out of memory for a leaf: the member leaves the set rather than be lost half way */
        fls_mt_remove(ns, pidx, &z->t, FLS_ZI_HDR, fls_mt_find_ptr(&z->t, ns, FLS_ZI_HDR, m));
        fls_mbr_free(ns, pidx, m, FLS_ZI_HDR);
        return FL_ENOMEM;
    }
    char copy[LP_VALUE_CAP];
    fls_copy(copy, p, n);
    zs_delete(ns, pidx, z, copy, n);
    return zs_insert(ns, pidx, z, copy, n, score); /* room freed just before: no failure */
}

/* ---- The type's operations ------------------------------------------------------------------ */

static size_t zset_total(const void *d)
{
    const fls_zset_t *z = d;
    if (!z->is_skiplist)
        return z->lp_alloc;
    size_t total = fls_mt_array_size(&z->t) + fls_zi_total(&z->zi);
    for (size_t i = 0; z->t.slots && i <= z->t.mask; i++)
        if (z->t.slots[i])
            total += fls_mbr_alloc_size(z->t.slots[i], FLS_ZI_HDR);
    return total;
}
static size_t zset_usable(const void *d)
{
    const fls_zset_t *z = d;
    if (!z->is_skiplist)
        return z->lp ? fl_mem_usable_size(z->lp) : 0;
    size_t total = (z->t.slots ? fl_mem_usable_size(z->t.slots) : 0) + fls_zi_usable(&z->zi);
    for (size_t i = 0; z->t.slots && i <= z->t.mask; i++)
        if (z->t.slots[i])
            total += fl_mem_usable_size(z->t.slots[i]);
    return total;
}
static void zset_destroy(fl_ns_t *ns, uint32_t pidx, void *d)
{
    fls_zset_t *z = d;
    if (z->is_skiplist) {
        fls_zi_clear(ns, pidx, &z->zi);
        fls_mt_clear(ns, pidx, &z->t, FLS_ZI_HDR, true);
    } else {
        fls_free(ns, pidx, z->lp, z->lp_alloc);
    }
    memset(z, 0, sizeof(*z));
}

/* Walk positions: 0 = the listpack or the two arrays; then leaf index + 1. Each member is
 * offered with its leaf and its member-table slot fixed too. */
static bool zset_walk(fl_ns_t *ns, void *d, const fls_walk_ops_t *ops, void *ctx, uint32_t *pos,
                      size_t *did)
{
    fls_zset_t *z = d;
    if (!ops->node)
        return true;
    if (!z->is_skiplist) {
        if (z->lp) {
            z->lp = ops->node(ctx, z->lp, z->lp_alloc);
            (*did)++;
        }
        return true;
    }
    uint32_t start = *pos ? *pos - 1 : 0;
    if (*pos == 0) {
        z->t.slots = ops->node(ctx, z->t.slots, fls_mt_array_size(&z->t));
        z->zi.leaves = ops->node(ctx, z->zi.leaves, z->zi.cap * sizeof(*z->zi.leaves));
        *did += 2;
    }
    for (uint32_t i = start; i < z->zi.nleaves; i++) {
        if (i > start && ops->yield && ops->yield(ctx)) {
            *pos = i + 1;
            return false;
        }
        fls_zleaf_t *l = z->zi.leaves[i];
        l = z->zi.leaves[i] =
            ops->node(ctx, l, sizeof(fls_zleaf_t) + (size_t)l->cap * sizeof(void *));
        (*did)++;
        for (uint32_t j = 0; j < l->n; j++) {
            void **slot = fls_mt_find_ptr(&z->t, ns, FLS_ZI_HDR, l->m[j]);
            void *m = ops->node(ctx, l->m[j], fls_mbr_alloc_size(l->m[j], FLS_ZI_HDR));
            l->m[j] = *slot = m;
            (*did)++;
        }
    }
    return true;
}
static const char *zset_encoding(const void *d)
{
    return ((const fls_zset_t *)d)->is_skiplist ? "skiplist" : "listpack";
}
static uint64_t zset_count(const void *d)
{
    return zs_len(d);
}

static int zset_clone(fl_ns_t *ns, uint32_t pidx, void *dst, const void *src)
{
    const fls_zset_t *from = src;
    fls_zset_t *to = dst;
    memset(to, 0, sizeof(*to));
    if (!from->is_skiplist) {
        if (!from->lp_bytes)
            return FL_OK;
        to->lp = fls_alloc(ns, pidx, from->lp_bytes);
        if (!to->lp)
            return FL_ENOMEM;
        memcpy(to->lp, from->lp, from->lp_bytes);
        to->lp_bytes = to->lp_alloc = from->lp_bytes;
        to->lp_count = from->lp_count;
        return FL_OK;
    }
    to->is_skiplist = 1;
    int rc = fls_mt_reserve(ns, pidx, &to->t, FLS_ZI_HDR, from->t.count);
    zit_t it;
    for (bool more = zit_seek(&it, from, 0); rc == FL_OK && more; more = zit_next(&it)) {
        double s;
        const char *p;
        size_t n;
        zit_get(&it, &s, &p, &n);
        rc = sl_insert(ns, pidx, to, p, n, s);
    }
    if (rc != FL_OK)
        zset_destroy(ns, pidx, to);
    return rc;
}

static void zset_each(const void *d, void (*fn)(void *ctx, const char *p, size_t n, double score),
                      void *ctx)
{
    zit_t it;
    for (bool more = zit_seek(&it, d, 0); more; more = zit_next(&it)) {
        double s;
        const char *p;
        size_t n;
        zit_get(&it, &s, &p, &n);
        fn(ctx, p, n, s);
    }
}

const fls_coll_ops_t fls_zset_type = {
    .name = "zset",
    .desc_size = sizeof(fls_zset_t),
    .total = zset_total,
    .usable = zset_usable,
    .destroy = zset_destroy,
    .walk = zset_walk,
    .encoding = zset_encoding,
    .len = zset_count,
    .clone = zset_clone,
    .each = zset_each,
};

static inline fls_zset_t *rec_zset(fls_rec_t *r)
{
    return fls_rec_desc(r);
}

static void emit_score(const fl_sink_t *out, double s)
{
    char buf[32];
    out->bulk(out->ctx, buf, fl_fmt_score(s, buf));
}

/* ---- ZADD, ZREM, ZCARD, ZSCORE, ZRANK ------------------------------------------------------- */

/* One ZADD pair on z: what happened (added, changed, written) and the resulting score. */
static int zadd_one(fl_ns_t *ns, uint32_t pidx, fls_zset_t *z, unsigned flags, double score,
                    fl_slice_t m, bool *added, bool *changed, bool *written, double *result)
{
    double cur;
    *added = *changed = *written = false;
    if (zs_score(ns, z, m.p, m.n, &cur)) {
        if (flags & FL_ZADD_NX)
            return FL_OK;
        double nscore = flags & FL_ZADD_INCR ? cur + score : score;
        if (isnan(nscore))
            return FL_EINVAL;
        if (((flags & FL_ZADD_LT) && nscore >= cur) || ((flags & FL_ZADD_GT) && nscore <= cur))
            return FL_OK;
        *written = true;
        *result = nscore;
        if (nscore == cur)
            return FL_OK;
        *changed = true;
        return zs_rescore(ns, pidx, z, m.p, m.n, nscore);
    }
    if (flags & FL_ZADD_XX)
        return FL_OK;
    *added = *written = true;
    *result = score;
    return zs_insert(ns, pidx, z, m.p, m.n, score);
}

/* ZADD's delta: the command as given (NX/XX/GT/LT decide the same on the same state), except
 * INCR, logged as the member's resulting absolute score; none after a failure (state). */
static fl_delta_t zadd_delta(unsigned flags, int rc, const double *scores,
                             const double *incr_result, const fl_slice_t *members, size_t n)
{
    if (rc != FL_OK)
        return (fl_delta_t){0};
    if (flags & FL_ZADD_INCR)
        return (fl_delta_t){.verb = "ZADD", .args = members, .n_args = 1, .scores = incr_result};
    const char *cond = flags & FL_ZADD_NX ? "NX" : flags & FL_ZADD_XX ? "XX" : NULL;
    const char *cmp = flags & FL_ZADD_GT ? "GT" : flags & FL_ZADD_LT ? "LT" : NULL;
    return (fl_delta_t){.verb = "ZADD",
                        .words = {cond ? cond : cmp, cond ? cmp : NULL},
                        .args = members,
                        .n_args = n,
                        .scores = scores};
}

int fl_zset_add(fl_ns_t *ns, fl_slice_t key, unsigned flags, const double *scores,
                const fl_slice_t *members, size_t n, size_t *added, size_t *changed, double *score,
                bool *done)
{
    size_t grow = 0;
    for (size_t i = 0; i < n; i++) {
        if (members[i].n > MAX_LEN - 16)
            return FL_EINVAL;
        if (isnan(scores[i]))
            return FL_EINVAL;
        grow += fls_mbr_size(FLS_ZI_HDR, members[i].n) + 24;
    }
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_ZSET, grow, &w);
    size_t nadd = 0, nchg = 0;
    bool wrote = false;
    double incr_result = 0;
    if (rc == FL_OK && !w.rec && (flags & FL_ZADD_XX))
        goto out;
    if (rc == FL_OK)
        rc = fls_quota_check(ns, (int64_t)grow + (w.rec ? 0 : 64));
    if (rc == FL_OK && !w.rec)
        rc = fls_coll_create(ns, &w);
    for (size_t i = 0; rc == FL_OK && i < n; i++) {
        bool a, c, written;
        double res = 0;
        rc = zadd_one(ns, w.k.pidx, rec_zset(w.rec), flags, scores[i], members[i], &a, &c, &written,
                      &res);
        nadd += a;
        nchg += c;
        wrote |= written;
        incr_result = written ? res : incr_result;
        if (written && score)
            *score = res;
    }
out:
    *added = nadd;
    *changed = nchg;
    if (done)
        *done = wrote;
    w.delta = zadd_delta(flags, rc, scores, &incr_result, members, n);
    fls_coll_write_end(ns, &w, nadd + nchg > 0);
    return rc;
}

int fl_zset_rem(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, size_t *removed)
{
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_ZSET, 0, &w);
    size_t done = 0;
    for (size_t i = 0; rc == FL_OK && w.rec && i < n && zs_len(rec_zset(w.rec)); i++)
        done += zs_delete(ns, w.k.pidx, rec_zset(w.rec), members[i].p, members[i].n);
    *removed = done;
    w.delta = (fl_delta_t){.verb = "ZREM", .args = members, .n_args = n};
    fls_coll_write_end(ns, &w, done > 0);
    return rc;
}

int fl_zset_card(fl_ns_t *ns, fl_slice_t key, size_t *card)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_ZSET, &k, &r);
    *card = r ? (size_t)zs_len(rec_zset(r)) : 0;
    fls_read_end(ns, &k);
    return rc;
}

int fl_zset_score(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, bool as_array,
                  const fl_sink_t *out)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_ZSET, &k, &r);
    if (rc == FL_OK) {
        if (as_array)
            out->array(out->ctx, n);
        for (size_t i = 0; i < n; i++) {
            double s;
            if (r && zs_score(ns, rec_zset(r), members[i].p, members[i].n, &s))
                emit_score(out, s);
            else
                out->nil(out->ctx);
        }
    }
    fls_read_end(ns, &k);
    return rc;
}

int fl_zset_rank(fl_ns_t *ns, fl_slice_t key, fl_slice_t member, bool rev, bool *found,
                 uint64_t *rank)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_ZSET, &k, &r);
    double s;
    *found = rc == FL_OK && r && zs_score(ns, rec_zset(r), member.p, member.n, &s);
    if (*found) {
        fls_zset_t *z = rec_zset(r);
        exact_ctx_t e = {s, member.p, member.n};
        uint64_t at = zs_lower_bound(z, before_exact, &e);
        *rank = rev ? zs_len(z) - 1 - at : at;
    }
    fls_read_end(ns, &k);
    return rc;
}

/* ---- Ranges ---------------------------------------------------------------------------------- */

static bool before_min_score(const void *ctx, double score, const char *p, size_t n)
{
    const fl_zbound_t *b = ctx;
    (void)p;
    (void)n;
    return b->excl ? score <= b->score : score < b->score;
}

static bool before_max_score(const void *ctx, double score, const char *p, size_t n)
{
    const fl_zbound_t *b = ctx;
    (void)p;
    (void)n;
    return b->excl ? score < b->score : score <= b->score;
}

static int lex_cmp(const char *p, size_t n, fl_slice_t b)
{
    size_t m = n < b.n ? n : b.n;
    int c = m ? memcmp(p, b.p, m) : 0;
    return c ? c : n < b.n ? -1 : n > b.n;
}

static bool before_min_lex(const void *ctx, double score, const char *p, size_t n)
{
    const fl_zbound_t *b = ctx;
    (void)score;
    if (b->inf)
        return b->inf > 0; /* "-": nothing is before; "+": everything is */
    int c = lex_cmp(p, n, b->lex);
    return b->excl ? c <= 0 : c < 0;
}

static bool before_max_lex(const void *ctx, double score, const char *p, size_t n)
{
    const fl_zbound_t *b = ctx;
    (void)score;
    if (b->inf)
        return b->inf > 0;
    int c = lex_cmp(p, n, b->lex);
    return b->excl ? c < 0 : c <= 0;
}

/* The range's ranks [*a, *b] in ascending order; false when empty. */
static bool resolve(const fls_zset_t *z, const fl_zrange_t *r, uint64_t *a, uint64_t *b)
{
    int64_t len = (int64_t)zs_len(z);
    if (r->by == FL_ZBY_RANK) {
        int64_t s = r->start, e = r->stop;
        if (s < 0)
            s += len;
        if (e < 0)
            e += len;
        if (s < 0)
            s = 0;
        if (s > e || s >= len)
            return false;
        if (e >= len)
            e = len - 1;
        *a = r->rev ? (uint64_t)(len - 1 - e) : (uint64_t)s;
        *b = r->rev ? (uint64_t)(len - 1 - s) : (uint64_t)e;
        return true;
    }
    bool lex = r->by == FL_ZBY_LEX;
    uint64_t lo = zs_lower_bound(z, lex ? before_min_lex : before_min_score, &r->min);
    uint64_t hi = zs_lower_bound(z, lex ? before_max_lex : before_max_score, &r->max);
    if (hi == 0 || lo >= hi)
        return false;
    *a = lo;
    *b = hi - 1;
    return true;
}

/* Applies LIMIT to [a, b] (in the order `rev` gives); false when nothing is left. */
static bool apply_limit(const fl_zrange_t *r, uint64_t *a, uint64_t *b)
{
    if (r->by == FL_ZBY_RANK || (r->offset == 0 && r->count < 0))
        return true;
    if (r->offset < 0 || r->count == 0)
        return false;
    uint64_t avail = *b - *a + 1, off = (uint64_t)r->offset;
    if (off >= avail)
        return false;
    uint64_t take = avail - off;
    if (r->count >= 0 && (uint64_t)r->count < take)
        take = (uint64_t)r->count;
    if (r->rev) {
        *b -= off;
        *a = *b - take + 1;
    } else {
        *a += off;
        *b = *a + take - 1;
    }
    return true;
}

/* A copy of some members and scores (scratch: private malloc), for changes that free them. */
typedef struct zcopy {
    char *buf;
    size_t len, cap;
    size_t n;
} zcopy_t;

static bool zcopy_add(zcopy_t *c, double s, const char *p, size_t n)
{
    size_t need = sizeof(double) + sizeof(size_t) + n;
    if (c->len + need > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 4096;
        while (cap < c->len + need)
            cap *= 2;
        char *b = realloc(c->buf, cap);
        if (!b)
            return false;
        c->buf = b;
        c->cap = cap;
    }
    memcpy(c->buf + c->len, &s, sizeof(s));
    memcpy(c->buf + c->len + sizeof(s), &n, sizeof(n));
    fls_copy(c->buf + c->len + sizeof(s) + sizeof(n), p, n);
    c->len += need;
    c->n++;
    return true;
}

/* The entry at *at (advanced past it). */
static void zcopy_next(const zcopy_t *c, size_t *at, double *s, const char **p, size_t *n)
{
    memcpy(s, c->buf + *at, sizeof(*s));
    memcpy(n, c->buf + *at + sizeof(*s), sizeof(*n));
    *p = c->buf + *at + sizeof(*s) + sizeof(*n);
    *at += sizeof(*s) + sizeof(*n) + *n;
}

/* Copies ranks [a, b] of z. */
static bool copy_range(const fls_zset_t *z, uint64_t a, uint64_t b, zcopy_t *c)
{
    zit_t it;
    bool more = zit_seek(&it, z, a);
    for (uint64_t i = a; i <= b && more; i++, more = zit_next(&it)) {
        double s;
        const char *p;
        size_t n;
        zit_get(&it, &s, &p, &n);
        if (!zcopy_add(c, s, p, n))
            return false;
    }
    return true;
}

static void emit_range(const fls_zset_t *z, const fl_zrange_t *r, uint64_t a, uint64_t b,
                       const fl_sink_t *out)
{
    uint64_t k = b - a + 1;
    out->array(out->ctx, r->withscores ? 2 * k : k);
    zit_t it;
    zit_seek(&it, z, r->rev ? b : a);
    for (uint64_t i = 0; i < k; i++) {
        double s;
        const char *p;
        size_t n;
        zit_get(&it, &s, &p, &n);
        out->bulk(out->ctx, p, n);
        if (r->withscores)
            emit_score(out, s);
        if (r->rev)
            zit_prev(&it);
        else
            zit_next(&it);
    }
}

int fl_zset_range(fl_ns_t *ns, fl_slice_t key, const fl_zrange_t *r, fl_zrange_mode_t mode,
                  const fl_sink_t *out, size_t *n)
{
    *n = 0;
    if (mode == FL_ZR_REMOVE) {
        fls_cw_t w;
        int rc = fls_coll_write_begin(ns, key, FL_TYPE_ZSET, 0, &w);
        uint64_t a, b;
        zcopy_t c = {0};
        if (rc == FL_OK && w.rec && resolve(rec_zset(w.rec), r, &a, &b)) {
            if (!copy_range(rec_zset(w.rec), a, b, &c)) {
                rc = FL_ENOMEM;
            } else {
                size_t at = 0;
                for (size_t i = 0; i < c.n; i++) {
                    double s;
                    const char *p;
                    size_t len;
                    zcopy_next(&c, &at, &s, &p, &len);
                    *n += zs_delete(ns, w.k.pidx, rec_zset(w.rec), p, len);
                    fls_coll_delta_copy(&w, "ZREM", p, len);
                }
            }
        }
        free(c.buf);
        fls_coll_write_end(ns, &w, *n > 0);
        return rc;
    }
    fls_key_t k;
    fls_rec_t *rec;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_ZSET, &k, &rec);
    if (rc == FL_OK) {
        uint64_t a = 0, b = 0;
        bool any = rec && resolve(rec_zset(rec), r, &a, &b);
        if (any && mode == FL_ZR_EMIT)
            any = apply_limit(r, &a, &b);
        *n = any ? (size_t)(b - a + 1) : 0;
        if (mode == FL_ZR_EMIT && any)
            emit_range(rec_zset(rec), r, a, b, out);
        else if (mode == FL_ZR_EMIT)
            out->array(out->ctx, 0);
    }
    fls_read_end(ns, &k);
    return rc;
}

/* Replaces dst (any type) by a sorted set of c's members, all locks held; nothing stored
 * when c is empty (dst deleted). */
static int store_zcopy(fl_ns_t *ns, fls_key_t *kd, int64_t now, const zcopy_t *c)
{
    int rc = fls_quota_check(ns, (int64_t)(c->len + c->n * 24 + 64));
    if (rc != FL_OK)
        return rc;
    fls_key_t k = *kd;
    fls_rec_t **old = fls_find_live(ns, &k, now);
    if (old)
        fls_commit_del(ns, k.pidx, old, FLS_WRITE);
    fls_cw_t w = {.k = k, .now = now, .type = FL_TYPE_ZSET};
    if (c->n)
        rc = fls_coll_create(ns, &w);
    size_t at = 0;
    for (size_t i = 0; rc == FL_OK && i < c->n; i++) {
        double s;
        const char *p;
        size_t n;
        zcopy_next(c, &at, &s, &p, &n);
        rc = zs_insert(ns, k.pidx, rec_zset(w.rec), p, n, s);
    }
    fls_coll_publish(ns, &w, true);
    return rc;
}

int fl_zset_range_store(fl_ns_t *ns, fl_slice_t dst, fl_slice_t src, const fl_zrange_t *r,
                        size_t *n)
{
    fls_key_t ks[2];
    fls_key_init(ns, src, &ks[0]);
    fls_key_init(ns, dst, &ks[1]);
    fls_coll_lock_many(ns, ks, 2, 1024);
    int64_t now = fl_now_ms();
    fls_cw_t w;
    zcopy_t c = {0};
    *n = 0;
    int rc = fls_coll_locked_find(ns, &ks[0], FL_TYPE_ZSET, now, &w);
    uint64_t a, b;
    if (rc == FL_OK && w.rec && resolve(rec_zset(w.rec), r, &a, &b) && apply_limit(r, &a, &b) &&
        !copy_range(rec_zset(w.rec), a, b, &c))
        rc = FL_ENOMEM;
    if (rc == FL_OK) {
        rc = store_zcopy(ns, &ks[1], now, &c);
        *n = c.n;
    }
    fls_coll_unlock_many(ns, ks, 2);
    free(c.buf);
    return rc;
}

int fl_zset_pop(fl_ns_t *ns, fl_slice_t key, bool max, size_t count, bool header, bool nested,
                const fl_sink_t *out, size_t *popped)
{
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_ZSET, 0, &w);
    *popped = 0;
    if (rc != FL_OK)
        goto out;
    fls_zset_t *z = w.rec ? rec_zset(w.rec) : NULL;
    size_t k = !z ? 0 : count < zs_len(z) ? count : (size_t)zs_len(z);
    if (header)
        out->array(out->ctx, nested ? k : 2 * k);
    for (size_t i = 0; i < k; i++) {
        zit_t it;
        zit_seek(&it, z, max ? zs_len(z) - 1 : 0);
        double s;
        const char *p;
        size_t n;
        zit_get(&it, &s, &p, &n);
        if (nested)
            out->array(out->ctx, 2);
        out->bulk(out->ctx, p, n);
        emit_score(out, s);
        char small[LP_VALUE_CAP];
        const char *del = p;
        if (!z->is_skiplist) { /* the listpack moves under a delete: keep the bytes */
            fls_copy(small, p, n);
            del = small;
        }
        zs_delete(ns, w.k.pidx, z, del, n);
    }
    *popped = k;
    w.delta = (fl_delta_t){.verb = max ? "ZPOPMAX" : "ZPOPMIN", .nums = {(int64_t)k}, .n_nums = 1};
out:
    fls_coll_write_end(ns, &w, *popped > 0);
    return rc;
}

int fl_zset_randmember(fl_ns_t *ns, fl_slice_t key, int64_t count, bool single, bool withscores,
                       const fl_sink_t *out)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_ZSET, &k, &r);
    if (rc != FL_OK)
        goto out;
    fls_zset_t *z = r ? rec_zset(r) : NULL;
    if (single) {
        if (!z) {
            out->nil(out->ctx);
        } else {
            zit_t it;
            zit_seek(&it, z, fls_rand() % zs_len(z));
            double s;
            const char *p;
            size_t n;
            zit_get(&it, &s, &p, &n);
            out->bulk(out->ctx, p, n);
        }
        goto out;
    }
    if (!z || count == 0) {
        out->array(out->ctx, 0);
        goto out;
    }
    uint64_t len = zs_len(z);
    bool uniq = count > 0;
    uint64_t k2 = uniq ? (uint64_t)count : (uint64_t)0 - (uint64_t)count;
    if (uniq && k2 > len)
        k2 = len;
    uint64_t *ranks = malloc(k2 * sizeof(*ranks));
    if (!ranks) {
        rc = FL_ENOMEM;
        goto out;
    }
    if (!uniq) {
        for (uint64_t i = 0; i < k2; i++)
            ranks[i] = fls_rand() % len;
    } else { /* a random k2-subset of the ranks (Floyd's algorithm), in random order */
        uint64_t got = 0;
        for (uint64_t j = len - k2; j < len; j++) {
            uint64_t t = fls_rand() % (j + 1), pick = t;
            for (uint64_t i = 0; i < got; i++)
                if (ranks[i] == t) {
                    pick = j;
                    break;
                }
            ranks[got++] = pick;
        }
    }
    out->array(out->ctx, withscores ? 2 * k2 : k2);
    for (uint64_t i = 0; i < k2; i++) {
        zit_t it;
        zit_seek(&it, z, ranks[i]);
        double s;
        const char *p;
        size_t n;
        zit_get(&it, &s, &p, &n);
        out->bulk(out->ctx, p, n);
        if (withscores)
            emit_score(out, s);
    }
    free(ranks);
out:
    fls_read_end(ns, &k);
    return rc;
}

/* ---- Algebra ----------------------------------------------------------------------------------
 */

/* A source of the algebra: a sorted set, a set (scores 1), or nothing. */
typedef struct zsrc {
    fls_rec_t *rec;
    double weight;
} zsrc_t;

static size_t src_len(const zsrc_t *s)
{
    if (!s->rec)
        return 0;
    return s->rec->type == FL_TYPE_SET ? fls_set_rec_card(s->rec)
                                       : (size_t)zs_len(rec_zset(s->rec));
}

/* The score of member (p, n) in source s (sets: 1); false when absent. */
static bool src_score(fl_ns_t *ns, const zsrc_t *s, const char *p, size_t n, double *score)
{
    if (!s->rec)
        return false;
    if (s->rec->type == FL_TYPE_SET) {
        *score = 1.0;
        return fls_set_rec_has(ns, s->rec, (fl_slice_t){p, n});
    }
    return zs_score(ns, rec_zset(s->rec), p, n, score);
}

/* Iterates a source: (p, n, score) from position *i. */
typedef struct src_it {
    const zsrc_t *s;
    size_t i;
    zit_t it;
    bool started;
    char buf[24];
} src_it_t;

static bool src_next(src_it_t *si, const char **p, size_t *n, double *score)
{
    if (si->s->rec->type == FL_TYPE_SET) {
        *score = 1.0;
        return fls_set_rec_next(si->s->rec, &si->i, p, n, si->buf);
    }
    fls_zset_t *z = rec_zset(si->s->rec);
    bool ok = si->started ? zit_next(&si->it) : zit_seek(&si->it, z, 0);
    si->started = true;
    if (ok)
        zit_get(&si->it, score, p, n);
    return ok;
}

static double aggregate(fl_zaggr_t a, double acc, double v)
{
    if (a == FL_ZAGGR_MIN)
        return v < acc ? v : acc;
    if (a == FL_ZAGGR_MAX)
        return v > acc ? v : acc;
    double s = acc + v;
    return isnan(s) ? 0.0 : s; /* inf + -inf, as Redis */
}

/* The result: (score, member) entries (members point into the sources or into `text` for
 * intset members), with a hash index over them for the union. Private malloc. */
typedef struct zres {
    struct zent {
        double score;
        const char *p;
        size_t n;
    } * v;
    size_t n, cap;
    uint64_t *idx; /* open addressing: entry index + 1 */
    size_t idx_mask;
    char **texts; /* copies of set members formatted from intsets */
    size_t ntexts;
} zres_t;

static struct zent *zres_push(zres_t *r, double score, const char *p, size_t n)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 64;
        struct zent *v = realloc(r->v, cap * sizeof(*v));
        if (!v)
            return NULL;
        r->v = v;
        r->cap = cap;
    }
    r->v[r->n] = (struct zent){score, p, n};
    return &r->v[r->n++];
}

/* Union accumulation: the entry for (p, n), created with `score` when new (*is_new). */
static struct zent *zres_upsert(zres_t *r, const char *p, size_t n, double score, bool *is_new)
{
    if (!r->idx || (r->n + 1) * 2 > r->idx_mask + 1) {
        size_t size = r->idx ? (r->idx_mask + 1) * 2 : 1024;
        uint64_t *idx = calloc(size, sizeof(*idx));
        if (!idx)
            return NULL;
        for (size_t i = 0; i < r->n; i++) {
            size_t j = fls_hash(0, r->v[i].p, r->v[i].n) & (size - 1);
            while (idx[j])
                j = (j + 1) & (size - 1);
            idx[j] = i + 1;
        }
        free(r->idx);
        r->idx = idx;
        r->idx_mask = size - 1;
    }
    size_t j = fls_hash(0, p, n) & r->idx_mask;
    for (; r->idx[j]; j = (j + 1) & r->idx_mask) {
        struct zent *e = &r->v[r->idx[j] - 1];
        if (e->n == n && (n == 0 || memcmp(e->p, p, n) == 0)) {
            *is_new = false;
            return e;
        }
    }
    struct zent *e = zres_push(r, score, p, n);
    if (e)
        r->idx[j] = r->n;
    *is_new = true;
    return e;
}

/* Keeps the bytes of a member that lives in a scratch buffer (an intset's text). */
static const char *zres_keep(zres_t *r, const char *p, size_t n, const char *scratch)
{
    if (p != scratch)
        return p;
    char **t = realloc(r->texts, (r->ntexts + 1) * sizeof(*t));
    if (!t)
        return NULL;
    r->texts = t;
    char *copy = malloc(n + 1);
    if (!copy)
        return NULL;
    memcpy(copy, p, n);
    r->texts[r->ntexts++] = copy;
    return copy;
}

static void zres_free(zres_t *r)
{
    for (size_t i = 0; i < r->ntexts; i++)
        free(r->texts[i]);
    free(r->texts);
    free(r->v);
    free(r->idx);
}

static int cmp_zent(const void *a, const void *b)
{
    const struct zent *x = a, *y = b;
    return fls_zcmp(x->score, x->p, x->n, y->score, y->p, y->n);
}

static int cmp_src_len(const void *a, const void *b)
{
    size_t x = src_len(a), y = src_len(b);
    return x < y ? -1 : x > y;
}

static int algebra_compute(fl_ns_t *ns, fl_zset_op_t op, zsrc_t *src, size_t n, fl_zaggr_t aggr,
                           size_t limit, zres_t *res)
{
    if (op == FL_ZINTER || op == FL_ZUNION)
        qsort(src, n, sizeof(*src), cmp_src_len);
    if (op == FL_ZINTER) {
        for (size_t i = 0; i < n; i++)
            if (!src[i].rec)
                return FL_OK;
        src_it_t si = {.s = &src[0]};
        const char *p;
        size_t len;
        double s;
        while (src_next(&si, &p, &len, &s)) {
            double acc = src[0].weight * s;
            if (isnan(acc))
                acc = 0;
            bool all = true;
            for (size_t j = 1; j < n && all; j++) {
                double o;
                all = src_score(ns, &src[j], p, len, &o);
                if (all) {
                    double v = src[j].weight * o;
                    acc = aggregate(aggr, acc, isnan(v) ? 0 : v);
                }
            }
            if (!all)
                continue;
            const char *kept = zres_keep(res, p, len, si.buf);
            if (!kept || !zres_push(res, acc, kept, len))
                return FL_ENOMEM;
            if (limit && res->n >= limit)
                break;
        }
        return FL_OK;
    }
    if (op == FL_ZDIFF) {
        if (!src[0].rec)
            return FL_OK;
        src_it_t si = {.s = &src[0]};
        const char *p;
        size_t len;
        double s;
        while (src_next(&si, &p, &len, &s)) {
            bool other = false;
            for (size_t j = 1; j < n && !other; j++) {
                double o;
                other = src_score(ns, &src[j], p, len, &o);
            }
            if (other)
                continue;
            const char *kept = zres_keep(res, p, len, si.buf);
            if (!kept || !zres_push(res, s, kept, len))
                return FL_ENOMEM;
        }
        return FL_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (!src[i].rec)
            continue;
        src_it_t si = {.s = &src[i]};
        const char *p;
        size_t len;
        double s;
        while (src_next(&si, &p, &len, &s)) {
            double v = src[i].weight * s;
            if (isnan(v))
                v = 0;
            bool is_new;
            struct zent *e = zres_upsert(res, p, len, v, &is_new);
            if (!e)
                return FL_ENOMEM;
            if (is_new) {
                const char *kept = zres_keep(res, p, len, si.buf);
                if (!kept)
                    return FL_ENOMEM;
                e->p = kept;
            } else {
                e->score = aggregate(aggr, e->score, v);
            }
        }
    }
    return FL_OK;
}

int fl_zset_algebra(fl_ns_t *ns, fl_zset_op_t op, const fl_slice_t *keys, size_t n,
                    const double *weights, fl_zaggr_t aggr, const fl_slice_t *dst, bool withscores,
                    bool card_only, size_t limit, const fl_sink_t *out, size_t *card)
{
    fls_key_t *ks = calloc(n + 1, sizeof(*ks));
    zsrc_t *src = calloc(n + 1, sizeof(*src));
    if (!ks || !src) {
        free(ks);
        free(src);
        return FL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        fls_key_init(ns, keys[i], &ks[i]);
    if (dst)
        fls_key_init(ns, *dst, &ks[n]);
    size_t nlock = n + (dst != NULL);
    fls_coll_lock_many(ns, ks, nlock, dst ? 1024 : 0);
    int64_t now = fl_now_ms();
    int rc = FL_OK;
    for (size_t i = 0; i < n && rc == FL_OK; i++) {
        fls_key_t k = ks[i];
        fls_rec_t **ref = fls_find_live(ns, &k, now);
        fls_rec_t *r = ref ? *ref : NULL;
        if (r && r->type != FL_TYPE_ZSET && r->type != FL_TYPE_SET)
            rc = FL_EWRONGTYPE;
        src[i] = (zsrc_t){r, weights ? weights[i] : 1.0};
    }
    zres_t res = {0};
    if (rc == FL_OK)
        rc = algebra_compute(ns, op, src, n, aggr, card_only ? limit : 0, &res);
    if (rc == FL_OK && !card_only && res.n > 1)
        qsort(res.v, res.n, sizeof(*res.v), cmp_zent);
    if (rc == FL_OK) {
        *card = res.n;
        if (dst) {
            zcopy_t c = {0};
            for (size_t i = 0; i < res.n && rc == FL_OK; i++)
                if (!zcopy_add(&c, res.v[i].score, res.v[i].p, res.v[i].n))
                    rc = FL_ENOMEM;
            if (rc == FL_OK)
                rc = store_zcopy(ns, &ks[n], now, &c);
            free(c.buf);
        } else if (!card_only) {
            out->array(out->ctx, withscores ? 2 * res.n : res.n);
            for (size_t i = 0; i < res.n; i++) {
                out->bulk(out->ctx, res.v[i].p, res.v[i].n);
                if (withscores)
                    emit_score(out, res.v[i].score);
            }
        }
    }
    fls_coll_unlock_many(ns, ks, nlock);
    zres_free(&res);
    free(ks);
    free(src);
    return rc;
}

/* ---- ZSCAN ------------------------------------------------------------------------------------
 */

typedef struct zscan_ctx {
    const char *pat;
    size_t plen;
    fl_member_fn fn;
    void *ctx;
} zscan_ctx_t;

static void zscan_emit(zscan_ctx_t *sc, const char *p, size_t n, double s)
{
    if (sc->pat && !fl_glob_match(sc->pat, sc->plen, p, n, false))
        return;
    char buf[32];
    sc->fn(sc->ctx, p, n);
    sc->fn(sc->ctx, buf, fl_fmt_score(s, buf));
}

static void zscan_one(void *ctx, const void *m)
{
    const char *p;
    size_t n;
    fls_mbr_get(m, FLS_ZI_HDR, &p, &n);
    zscan_emit(ctx, p, n, fls_zmbr_score(m));
}

int fl_zset_scan(fl_ns_t *ns, fl_slice_t key, uint64_t cursor, const char *pattern,
                 size_t pattern_len, size_t count, fl_member_fn fn, void *ctx, uint64_t *next)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_ZSET, &k, &r);
    *next = 0;
    if (rc == FL_OK && r) {
        fls_zset_t *z = rec_zset(r);
        zscan_ctx_t sc = {pattern, pattern_len, fn, ctx};
        if (!z->is_skiplist) { /* small: all at once, as Redis does for a listpack */
            zit_t it;
            for (bool more = zit_seek(&it, z, 0); more; more = zit_next(&it)) {
                double s;
                const char *p;
                size_t n;
                zit_get(&it, &s, &p, &n);
                zscan_emit(&sc, p, n, s);
            }
        } else {
            *next = fls_mt_scan(&z->t, ns, FLS_ZI_HDR, cursor, count ? count : 10, zscan_one, &sc);
        }
    }
    fls_read_end(ns, &k);
    return rc;
}
