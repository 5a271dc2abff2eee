/*
 * src/store/sets.c: set commands (flatline/collections.h). A set's descriptor, inline in its
 * record, holds one of Redis 7.0's two encodings for the same content:
 *   - intset: while every member is a base-10 int64 (Redis's string2ll) and there are at most
 *     set-max-intset-entries (FL_COLL_OPTIONS; 512) of them: a sorted int64 array, one
 *     arena allocation of exactly 8 bytes per member;
 *   - hashtable: otherwise, for good (as Redis, a set never converts back): a member table
 *     (mtab.h), one allocation per member (length byte + bytes) and the slot array.
 * Invariants: exactly one encoding is in use (is_table); a linked set has >= 1 member (coll.c
 * deletes it with its last one). The set algebra (SINTER...STORE) locks every partition
 * involved in ascending index order for the whole operation (fls_coll_lock_many).
 */
#include <stdlib.h>

#include "coll.h"
#include "flatline/collections.h"
#include "mtab.h"

#define MAX_LEN UINT32_MAX

typedef struct fls_set {
    fls_mtab_t t;  /* hashtable encoding */
    int64_t *ints; /* intset encoding: nints sorted values in a block of cap values */
    uint32_t nints;
    uint32_t cap; /* == nints except after a shrinking realloc failed */
    uint32_t is_table;
    uint32_t unused;
} fls_set_t;

static size_t set_len(const fls_set_t *s)
{
    return s->is_table ? s->t.count : s->nints;
}

/* ---- The type's operations ------------------------------------------------------------------ */

static size_t set_total(const void *d)
{
    const fls_set_t *s = d;
    if (!s->is_table)
        return (size_t)s->cap * sizeof(int64_t);
    size_t total = fls_mt_array_size(&s->t);
    for (size_t i = 0; s->t.slots && i <= s->t.mask; i++)
        if (s->t.slots[i])
            total += fls_mbr_alloc_size(s->t.slots[i], 0);
    return total;
}
static size_t set_usable(const void *d)
{
    const fls_set_t *s = d;
    if (!s->is_table)
        return s->ints ? fl_mem_usable_size(s->ints) : 0;
    size_t total = s->t.slots ? fl_mem_usable_size(s->t.slots) : 0;
    for (size_t i = 0; s->t.slots && i <= s->t.mask; i++)
        if (s->t.slots[i])
            total += fl_mem_usable_size(s->t.slots[i]);
    return total;
}
static void set_destroy(fl_ns_t *ns, uint32_t pidx, void *d)
{
    fls_set_t *s = d;
    fls_mt_clear(ns, pidx, &s->t, 0, true);
    fls_free(ns, pidx, s->ints, (size_t)s->cap * sizeof(int64_t));
    s->ints = NULL;
    s->nints = s->cap = 0;
}
static bool set_walk(fl_ns_t *ns, void *d, const fls_walk_ops_t *ops, void *ctx, uint32_t *pos,
                     size_t *did)
{
    (void)ns;
    fls_set_t *s = d;
    if (s->is_table)
        return fls_mt_walk(&s->t, 0, ops, ctx, pos, did);
    if (s->ints && ops->node) {
        s->ints = ops->node(ctx, s->ints, (size_t)s->cap * sizeof(int64_t));
        (*did)++;
    }
    return true;
}
static const char *set_encoding(const void *d)
{
    return ((const fls_set_t *)d)->is_table ? "hashtable" : "intset";
}
static uint64_t set_count(const void *d)
{
    return set_len(d);
}

static int set_add(fl_ns_t *ns, uint32_t pidx, fls_set_t *s, fl_slice_t m, bool *added);
static bool set_next_slice(const fls_set_t *s, size_t *i, fl_slice_t *m, char *buf);

static int set_clone(fl_ns_t *ns, uint32_t pidx, void *dst, const void *src)
{
    const fls_set_t *from = src;
    fls_set_t *to = dst;
    memset(to, 0, sizeof(*to));
    if (!from->is_table) {
        if (!from->nints)
            return FL_OK;
        to->ints = fls_alloc(ns, pidx, (size_t)from->nints * sizeof(int64_t));
        if (!to->ints)
            return FL_ENOMEM;
        memcpy(to->ints, from->ints, (size_t)from->nints * sizeof(int64_t));
        to->nints = to->cap = from->nints;
        return FL_OK;
    }
    to->is_table = 1;
    int rc = fls_mt_reserve(ns, pidx, &to->t, 0, from->t.count);
    char buf[24];
    fl_slice_t m;
    for (size_t i = 0; rc == FL_OK && set_next_slice(from, &i, &m, buf);) {
        bool added;
        rc = set_add(ns, pidx, to, m, &added);
    }
    if (rc != FL_OK)
        set_destroy(ns, pidx, to);
    return rc;
}

static void set_each(const void *d, void (*fn)(void *ctx, const char *p, size_t n, double score),
                     void *ctx)
{
    char buf[24];
    fl_slice_t m;
    for (size_t i = 0; set_next_slice(d, &i, &m, buf);)
        fn(ctx, m.p, m.n, 0);
}

const fls_coll_ops_t fls_set_type = {
    .name = "set",
    .desc_size = sizeof(fls_set_t),
    .total = set_total,
    .usable = set_usable,
    .destroy = set_destroy,
    .walk = set_walk,
    .encoding = set_encoding,
    .len = set_count,
    .clone = set_clone,
    .each = set_each,
};

static inline fls_set_t *rec_set(fls_rec_t *r)
{
    return fls_rec_desc(r);
}

/* ---- Members, either encoding ---------------------------------------------------------------- */

/* A member read out of a set: (p, n), with room for an intset value's text. */
typedef struct mref {
    const char *p;
    size_t n;
    char buf[24];
} mref_t;

static void mref_int(mref_t *m, int64_t v)
{
    m->n = fls_fmt_i64(v, m->buf);
    m->p = m->buf;
}

/* The member at or after position *i (advanced past it); false at the end. */
static bool set_next(const fls_set_t *s, size_t *i, mref_t *m)
{
    if (!s->is_table) {
        if (*i >= s->nints)
            return false;
        mref_int(m, s->ints[(*i)++]);
        return true;
    }
    for (; s->t.slots && *i <= s->t.mask; (*i)++)
        if (s->t.slots[*i]) {
            fls_mbr_get(s->t.slots[(*i)++], 0, &m->p, &m->n);
            return true;
        }
    return false;
}

/* set_next as a slice (an intset member's text in buf, >= 24 bytes). */
static bool set_next_slice(const fls_set_t *s, size_t *i, fl_slice_t *m, char *buf)
{
    mref_t r;
    if (!set_next(s, i, &r))
        return false;
    if (r.p == r.buf) {
        memcpy(buf, r.buf, r.n);
        r.p = buf;
    }
    *m = (fl_slice_t){r.p, r.n};
    return true;
}

/* Index of v in the intset, or where it would go (*found false). */
static size_t ints_find(const fls_set_t *s, int64_t v, bool *found)
{
    size_t lo = 0, hi = s->nints;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (s->ints[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < s->nints && s->ints[lo] == v;
    return lo;
}

static bool set_contains(fl_ns_t *ns, const fls_set_t *s, fl_slice_t m)
{
    if (s->is_table)
        return fls_mt_find(&s->t, ns, 0, m.p, m.n) != NULL;
    int64_t v;
    bool found = false;
    if (fls_parse_i64(m.p, m.n, &v))
        ints_find(s, v, &found);
    return found;
}

/* intset -> hashtable, for good. FL_ENOMEM leaves the intset as it was. */
static int set_convert(fl_ns_t *ns, uint32_t pidx, fls_set_t *s, size_t extra)
{
    fls_mtab_t t = {0};
    if (fls_mt_reserve(ns, pidx, &t, 0, s->nints + extra) != FL_OK)
        return FL_ENOMEM;
    for (size_t i = 0; i < s->nints; i++) {
        mref_t m;
        mref_int(&m, s->ints[i]);
        void *x = fls_mbr_new(ns, pidx, 0, m.p, m.n);
        if (!x || fls_mt_insert(ns, pidx, &t, 0, x) != FL_OK) {
            if (x)
                fls_mbr_free(ns, pidx, x, 0);
            fls_mt_clear(ns, pidx, &t, 0, true);
            return FL_ENOMEM;
        }
    }
    fls_free(ns, pidx, s->ints, (size_t)s->cap * sizeof(int64_t));
    s->ints = NULL;
    s->nints = s->cap = 0;
    s->t = t;
    s->is_table = 1;
    return FL_OK;
}

/* Adds m: *added tells whether it was new. FL_OK or FL_ENOMEM (set unchanged). */
static int set_add(fl_ns_t *ns, uint32_t pidx, fls_set_t *s, fl_slice_t m, bool *added)
{
    *added = false;
    int64_t v;
    if (!s->is_table) {
        bool is_int = fls_parse_i64(m.p, m.n, &v);
        if (is_int) {
            bool found;
            size_t at = ints_find(s, v, &found);
            if (found)
                return FL_OK;
            if ((int64_t)s->nints < FLS_LIMIT(ns, set_max_intset_entries)) {
                if (s->nints == s->cap) {
                    size_t old = (size_t)s->cap * sizeof(int64_t);
                    int64_t *a = s->ints ? fls_realloc(ns, pidx, s->ints, old, old + 8)
                                         : fls_alloc(ns, pidx, sizeof(int64_t));
                    if (!a)
                        return FL_ENOMEM;
                    s->ints = a;
                    s->cap++;
                }
                int64_t *a = s->ints;
                memmove(a + at + 1, a + at, (s->nints - at) * sizeof(int64_t));
                a[at] = v;
                s->nints++;
                *added = true;
                return FL_OK;
            }
        }
        if (set_convert(ns, pidx, s, 1) != FL_OK)
            return FL_ENOMEM;
    }
    if (fls_mt_find(&s->t, ns, 0, m.p, m.n))
        return FL_OK;
    void *x = fls_mbr_new(ns, pidx, 0, m.p, m.n);
    if (!x)
        return FL_ENOMEM;
    if (fls_mt_insert(ns, pidx, &s->t, 0, x) != FL_OK) {
        fls_mbr_free(ns, pidx, x, 0);
        return FL_ENOMEM;
    }
    *added = true;
    return FL_OK;
}

static bool set_remove(fl_ns_t *ns, uint32_t pidx, fls_set_t *s, fl_slice_t m)
{
    if (s->is_table) {
        void **slot = fls_mt_find(&s->t, ns, 0, m.p, m.n);
        if (!slot)
            return false;
        fls_mbr_free(ns, pidx, fls_mt_remove(ns, pidx, &s->t, 0, slot), 0);
        return true;
    }
    int64_t v;
    bool found = false;
    size_t at = fls_parse_i64(m.p, m.n, &v) ? ints_find(s, v, &found) : 0;
    if (!found)
        return false;
    size_t old = (size_t)s->cap * sizeof(int64_t);
    memmove(s->ints + at, s->ints + at + 1, (s->nints - at - 1) * sizeof(int64_t));
    s->nints--;
    if (s->nints == 0) {
        fls_free(ns, pidx, s->ints, old);
        s->ints = NULL;
        s->cap = 0;
    } else {
        int64_t *a = fls_realloc(ns, pidx, s->ints, old, (size_t)s->nints * sizeof(int64_t));
        if (a) { /* a failed shrink keeps the bigger block (cap) */
            s->ints = a;
            s->cap = s->nints;
        }
    }
    return true;
}

/* A random member (uniform over an intset; over the table's occupied slots); *slot, when
 * asked, gets a table member's slot (for removal). */
static void set_random(const fls_set_t *s, mref_t *m, void ***slot)
{
    if (s->is_table) {
        void **x = fls_mt_random(&s->t);
        fls_mbr_get(*x, 0, &m->p, &m->n);
        if (slot)
            *slot = x;
        return;
    }
    mref_int(m, s->ints[fls_rand() % s->nints]);
}

static void emit(const fl_sink_t *out, const mref_t *m)
{
    out->bulk(out->ctx, m->p, m->n);
}

/* ---- Commands ---------------------------------------------------------------------------------
 */

int fl_set_add(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, size_t *added)
{
    size_t grow = 0;
    for (size_t i = 0; i < n; i++) {
        if (members[i].n > MAX_LEN - 8)
            return FL_EINVAL;
        grow += fls_mbr_size(0, members[i].n) + 16;
    }
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_SET, grow, &w);
    size_t done = 0;
    if (rc == FL_OK)
        rc = fls_quota_check(ns, (int64_t)grow + (w.rec ? 0 : 64));
    if (rc == FL_OK && !w.rec)
        rc = fls_coll_create(ns, &w);
    for (size_t i = 0; rc == FL_OK && i < n; i++) {
        bool a;
        rc = set_add(ns, w.k.pidx, rec_set(w.rec), members[i], &a);
        done += a;
    }
    *added = done;
    w.delta = (fl_delta_t){.verb = rc == FL_OK ? "SADD" : NULL, .args = members, .n_args = n};
    fls_coll_write_end(ns, &w, done > 0);
    return rc;
}

int fl_set_rem(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, size_t *removed)
{
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_SET, 0, &w);
    size_t done = 0;
    for (size_t i = 0; rc == FL_OK && w.rec && i < n && set_len(rec_set(w.rec)); i++)
        done += set_remove(ns, w.k.pidx, rec_set(w.rec), members[i]);
    *removed = done;
    w.delta = (fl_delta_t){.verb = "SREM", .args = members, .n_args = n};
    fls_coll_write_end(ns, &w, done > 0);
    return rc;
}

int fl_set_card(fl_ns_t *ns, fl_slice_t key, size_t *card)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_SET, &k, &r);
    *card = r ? set_len(rec_set(r)) : 0;
    fls_read_end(ns, &k);
    return rc;
}

int fl_set_ismember(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, bool *found)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_SET, &k, &r);
    for (size_t i = 0; i < n; i++)
        found[i] = r && set_contains(ns, rec_set(r), members[i]);
    fls_read_end(ns, &k);
    return rc;
}

static void emit_all(const fls_set_t *s, const fl_sink_t *out)
{
    out->array(out->ctx, set_len(s));
    mref_t m;
    for (size_t i = 0; set_next(s, &i, &m);)
        emit(out, &m);
}

int fl_set_members(fl_ns_t *ns, fl_slice_t key, const fl_sink_t *out)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_SET, &k, &r);
    if (rc == FL_OK && r)
        emit_all(rec_set(r), out);
    else if (rc == FL_OK)
        out->array(out->ctx, 0);
    fls_read_end(ns, &k);
    return rc;
}

/* Emits k distinct random members of s (k < len): a partial Fisher-Yates shuffle of the
 * positions (scratch: private malloc). */
static int emit_distinct(const fls_set_t *s, size_t k, const fl_sink_t *out)
{
    size_t len = set_len(s);
    mref_t *all = malloc(len * sizeof(*all));
    if (!all)
        return FL_ENOMEM;
    size_t n = 0;
    for (size_t i = 0; n < len && set_next(s, &i, &all[n]); n++)
        ;
    out->array(out->ctx, k);
    for (size_t i = 0; i < k; i++) {
        size_t j = i + fls_rand() % (n - i);
        mref_t tmp = all[i];
        all[i] = all[j];
        all[j] = tmp;
        if (!s->is_table)
            all[i].p = all[i].buf;
        emit(out, &all[i]);
    }
    free(all);
    return FL_OK;
}

int fl_set_randmember(fl_ns_t *ns, fl_slice_t key, int64_t count, bool single, const fl_sink_t *out)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_SET, &k, &r);
    if (rc != FL_OK)
        goto out;
    if (single) {
        mref_t m;
        if (!r) {
            out->nil(out->ctx);
        } else {
            set_random(rec_set(r), &m, NULL);
            emit(out, &m);
        }
        goto out;
    }
    if (!r || count == 0) {
        out->array(out->ctx, 0);
        goto out;
    }
    fls_set_t *s = rec_set(r);
    if (count < 0) {
        uint64_t times = (uint64_t)0 - (uint64_t)count;
        out->array(out->ctx, times);
        for (uint64_t i = 0; i < times; i++) {
            mref_t m;
            set_random(s, &m, NULL);
            emit(out, &m);
        }
    } else if ((uint64_t)count >= set_len(s)) {
        emit_all(s, out);
    } else {
        rc = emit_distinct(s, (size_t)count, out);
    }
out:
    fls_read_end(ns, &k);
    return rc;
}

int fl_set_pop(fl_ns_t *ns, fl_slice_t key, size_t count, bool single, const fl_sink_t *out)
{
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_SET, 0, &w);
    bool changed = false;
    if (rc != FL_OK || !w.rec) {
        if (rc == FL_OK && single)
            out->nil(out->ctx);
        else if (rc == FL_OK)
            out->array(out->ctx, 0);
        goto out;
    }
    fls_set_t *s = rec_set(w.rec);
    size_t k = single ? 1 : count < set_len(s) ? count : set_len(s);
    if (!single)
        out->array(out->ctx, k);
    for (size_t i = 0; i < k; i++) {
        mref_t m;
        void **slot = NULL;
        set_random(s, &m, &slot);
        emit(out, &m);
        fls_coll_delta_copy(&w, "SREM", m.p, m.n);
        if (slot)
            fls_mbr_free(ns, w.k.pidx, fls_mt_remove(ns, w.k.pidx, &s->t, 0, slot), 0);
        else
            set_remove(ns, w.k.pidx, s, (fl_slice_t){m.p, m.n});
        changed = true;
    }
out:
    fls_coll_write_end(ns, &w, changed);
    return rc;
}

int fl_set_move(fl_ns_t *ns, fl_slice_t src, fl_slice_t dst, fl_slice_t member, bool *moved,
                bool *added_out)
{
    fls_key_t ks, kd;
    fls_key_init(ns, src, &ks);
    fls_key_init(ns, dst, &kd);
    *moved = false;
    if (added_out)
        *added_out = false;
    fls_coll_lock2(ns, &ks, &kd, fls_mbr_size(0, member.n) + 64);
    int64_t now = fl_now_ms();
    fls_cw_t ws, wd;
    int rc = fls_coll_locked_find(ns, &ks, FL_TYPE_SET, now, &ws);
    if (rc != FL_OK || !ws.rec)
        goto out;
    bool same = src.n == dst.n && memcmp(src.p, dst.p, src.n) == 0;
    if (same) {
        *moved = set_contains(ns, rec_set(ws.rec), member);
        goto out;
    }
    if ((rc = fls_coll_locked_find(ns, &kd, FL_TYPE_SET, now, &wd)) != FL_OK)
        goto out;
    if (!set_contains(ns, rec_set(ws.rec), member))
        goto out;
    rc = fls_quota_check(ns, (int64_t)fls_mbr_size(0, member.n) + 64);
    if (rc == FL_OK && !wd.rec)
        rc = fls_coll_create(ns, &wd);
    bool added = false;
    if (rc == FL_OK)
        rc = set_add(ns, kd.pidx, rec_set(wd.rec), member, &added);
    if (rc == FL_OK)
        set_remove(ns, ks.pidx, rec_set(ws.rec), member);
    wd.delta = (fl_delta_t){.verb = "SADD", .args = &member, .n_args = 1};
    ws.delta = (fl_delta_t){.verb = "SREM", .args = &member, .n_args = 1};
    fls_coll_publish(ns, &wd, added); /* the created one first (coll.h) */
    fls_coll_publish(ns, &ws, rc == FL_OK);
    *moved = rc == FL_OK;
    if (added_out)
        *added_out = added && rc == FL_OK;
out:
    fls_coll_unlock2(ns, &ks, &kd);
    return rc;
}

/* ---- Algebra ----------------------------------------------------------------------------------
 */

/* The result being built: members as slices (into the sets, valid under the locks), and a
 * scratch table to drop duplicates (SUNION). Private malloc. */
typedef struct result {
    fl_slice_t *v;
    size_t n, cap;
    uint64_t *seen; /* SUNION: open addressing over hashes -> index + 1 */
    size_t seen_mask;
} result_t;

static bool result_push(result_t *res, const char *p, size_t n)
{
    if (res->n == res->cap) {
        size_t cap = res->cap ? res->cap * 2 : 64;
        fl_slice_t *v = realloc(res->v, cap * sizeof(*v));
        if (!v)
            return false;
        res->v = v;
        res->cap = cap;
    }
    res->v[res->n++] = (fl_slice_t){p, n};
    return true;
}

/* SUNION's duplicate filter: true when (p, n) was not in the result yet (and is added). */
static int union_add(result_t *res, const char *p, size_t n)
{
    if ((res->n + 1) * 2 > res->seen_mask + 1 || !res->seen) {
        size_t size = res->seen ? (res->seen_mask + 1) * 2 : 1024;
        uint64_t *seen = calloc(size, sizeof(*seen));
        if (!seen)
            return -1;
        for (size_t i = 0; i < res->n; i++) {
            uint64_t h = fls_hash(0, res->v[i].p, res->v[i].n);
            size_t j = h & (size - 1);
            while (seen[j])
                j = (j + 1) & (size - 1);
            seen[j] = i + 1;
        }
        free(res->seen);
        res->seen = seen;
        res->seen_mask = size - 1;
    }
    uint64_t h = fls_hash(0, p, n);
    size_t j = h & res->seen_mask;
    for (; res->seen[j]; j = (j + 1) & res->seen_mask) {
        fl_slice_t *x = &res->v[res->seen[j] - 1];
        if (x->n == n && (n == 0 || memcmp(x->p, p, n) == 0))
            return 0;
    }
    if (!result_push(res, p, n))
        return -1;
    res->seen[j] = res->n;
    return 1;
}

static int cmp_size(const void *a, const void *b)
{
    size_t x = set_len(*(fls_set_t *const *)a), y = set_len(*(fls_set_t *const *)b);
    return x < y ? -1 : x > y;
}

/* The member's bytes, valid for the whole operation: an intset member's text is copied to
 * the next 24-byte cell of `text`. */
static const char *stable(char *text, size_t *cells, const mref_t *m)
{
    if (m->p != m->buf)
        return m->p;
    char *cell = text + 24 * (*cells)++;
    memcpy(cell, m->buf, m->n);
    return cell;
}

/* Computes op over sets[0..n) (NULL = missing = empty) into res. Intset members are copied
 * into `ints_text` (one 24-byte cell per member) so their slices stay valid. */
static int algebra_collect(fl_ns_t *ns, fl_set_op_t op, fls_set_t **sets, size_t n, size_t limit,
                           result_t *res, char **ints_text)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += sets[i] ? set_len(sets[i]) : 0;
    *ints_text = malloc(total * 24 + 1);
    if (!*ints_text)
        return FL_ENOMEM;
    size_t cells = 0;
    if (op == FL_SINTER) {
        for (size_t i = 0; i < n; i++)
            if (!sets[i])
                return FL_OK;
        qsort(sets, n, sizeof(*sets), cmp_size);
        mref_t m;
        for (size_t it = 0; set_next(sets[0], &it, &m);) {
            bool all = true;
            for (size_t j = 1; j < n && all; j++)
                all = set_contains(ns, sets[j], (fl_slice_t){m.p, m.n});
            if (all && !result_push(res, stable(*ints_text, &cells, &m), m.n))
                return FL_ENOMEM;
            if (limit && res->n >= limit)
                break;
        }
        return FL_OK;
    }
    if (op == FL_SDIFF) {
        if (!sets[0])
            return FL_OK;
        mref_t m;
        for (size_t it = 0; set_next(sets[0], &it, &m);) {
            bool other = false;
            for (size_t j = 1; j < n && !other; j++)
                other = sets[j] && set_contains(ns, sets[j], (fl_slice_t){m.p, m.n});
            if (!other && !result_push(res, stable(*ints_text, &cells, &m), m.n))
                return FL_ENOMEM;
        }
        return FL_OK;
    }
    for (size_t i = 0; i < n; i++) {
        if (!sets[i])
            continue;
        mref_t m;
        for (size_t it = 0; set_next(sets[i], &it, &m);) {
            const char *p = m.p == m.buf ? *ints_text + 24 * cells : m.p;
            if (m.p == m.buf)
                memcpy(*ints_text + 24 * cells, m.buf, m.n);
            int added = union_add(res, p, m.n);
            if (added < 0)
                return FL_ENOMEM;
            cells += added && m.p == m.buf;
        }
    }
    return FL_OK;
}

/* Replaces dst by a set of res's members (deleted when empty), all locks held. */
static int store_result(fl_ns_t *ns, fls_key_t *kd, int64_t now, const result_t *res)
{
    /* the members may live in dst itself: copy them out first */
    size_t bytes = 0;
    for (size_t i = 0; i < res->n; i++)
        bytes += res->v[i].n;
    char *copy = malloc(bytes + 1);
    fl_slice_t *v = malloc((res->n + 1) * sizeof(*v));
    int rc = copy && v ? FL_OK : FL_ENOMEM;
    size_t at = 0;
    for (size_t i = 0; rc == FL_OK && i < res->n; i++) {
        fls_copy(copy + at, res->v[i].p, res->v[i].n);
        v[i] = (fl_slice_t){copy + at, res->v[i].n};
        at += res->v[i].n;
    }
    if (rc == FL_OK)
        rc = fls_quota_check(ns, (int64_t)(bytes + res->n * 24 + 64));
    if (rc == FL_OK) {
        fls_key_t k = *kd;
        fls_rec_t **old = fls_find_live(ns, &k, now);
        if (old)
            fls_commit_del(ns, k.pidx, old, FLS_WRITE);
        fls_cw_t w = {.k = k, .now = now, .type = FL_TYPE_SET};
        if (res->n)
            rc = fls_coll_create(ns, &w);
        for (size_t i = 0; rc == FL_OK && i < res->n; i++) {
            bool added;
            rc = set_add(ns, k.pidx, rec_set(w.rec), v[i], &added);
        }
        fls_coll_publish(ns, &w, true); /* on FL_ENOMEM the partial set is still a result */
    }
    free(copy);
    free(v);
    return rc;
}

int fl_set_algebra(fl_ns_t *ns, fl_set_op_t op, const fl_slice_t *keys, size_t n,
                   const fl_slice_t *dst, bool card_only, size_t limit, const fl_sink_t *out,
                   size_t *card)
{
    fls_key_t *ks = calloc(n + 1, sizeof(*ks));
    fls_set_t **sets = malloc((n + 1) * sizeof(*sets));
    if (!ks || !sets) {
        free(ks);
        free(sets);
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
        fls_cw_t w;
        rc = fls_coll_locked_find(ns, &ks[i], FL_TYPE_SET, now, &w);
        sets[i] = w.rec ? rec_set(w.rec) : NULL;
    }
    result_t res = {0};
    char *ints_text = NULL;
    if (rc == FL_OK)
        rc = algebra_collect(ns, op, sets, n, limit, &res, &ints_text);
    if (rc == FL_OK) {
        *card = res.n;
        if (dst) {
            rc = store_result(ns, &ks[n], now, &res);
        } else if (!card_only) {
            out->array(out->ctx, res.n);
            for (size_t i = 0; i < res.n; i++)
                out->bulk(out->ctx, res.v[i].p, res.v[i].n);
        }
    }
    fls_coll_unlock_many(ns, ks, nlock);
    free(res.v);
    free(res.seen);
    free(ints_text);
    free(ks);
    free(sets);
    return rc;
}

/* ---- SSCAN ------------------------------------------------------------------------------------
 */

typedef struct scan_ctx {
    const char *pat;
    size_t plen;
    fl_member_fn fn;
    void *ctx;
} scan_ctx_t;

static void scan_one(void *ctx, const void *m)
{
    scan_ctx_t *sc = ctx;
    const char *p;
    size_t n;
    fls_mbr_get(m, 0, &p, &n);
    if (!sc->pat || fl_glob_match(sc->pat, sc->plen, p, n, false))
        sc->fn(sc->ctx, p, n);
}

int fl_set_scan(fl_ns_t *ns, fl_slice_t key, uint64_t cursor, const char *pattern,
                size_t pattern_len, size_t count, fl_member_fn fn, void *ctx, uint64_t *next)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_SET, &k, &r);
    *next = 0;
    if (rc == FL_OK && r) {
        fls_set_t *s = rec_set(r);
        if (!s->is_table) { /* small: all at once, as Redis does for an intset */
            mref_t m;
            for (size_t i = 0; set_next(s, &i, &m);)
                if (!pattern || fl_glob_match(pattern, pattern_len, m.p, m.n, false))
                    fn(ctx, m.p, m.n);
        } else {
            scan_ctx_t sc = {pattern, pattern_len, fn, ctx};
            *next = fls_mt_scan(&s->t, ns, 0, cursor, count ? count : 10, scan_one, &sc);
        }
    }
    fls_read_end(ns, &k);
    return rc;
}

/* ---- Cross-type reads (coll.h) ----------------------------------------------------------------
 */

size_t fls_set_rec_card(fls_rec_t *r)
{
    return set_len(rec_set(r));
}

bool fls_set_rec_next(fls_rec_t *r, size_t *i, const char **p, size_t *n, char *buf)
{
    mref_t m;
    if (!set_next(rec_set(r), i, &m))
        return false;
    if (m.p == m.buf) {
        memcpy(buf, m.buf, m.n);
        m.p = buf;
    }
    *p = m.p;
    *n = m.n;
    return true;
}

bool fls_set_rec_has(fl_ns_t *ns, fls_rec_t *r, fl_slice_t m)
{
    return set_contains(ns, rec_set(r), m);
}
