/*
 * src/store/lists.c: list commands (flatline/collections.h) on a quicklist (quicklist.h)
 * whose descriptor lives inline in the list's record. The list type's operations table
 * (fls_list_type) lets the generic code free, measure and defragment a list.
 *
 * Invariants: a list record holds >= 1 element once linked (coll.c deletes it when its last
 * element goes); indexes follow Redis (negative from the tail, ranges clamped). Multi-element
 * pushes check the quota for their total size first; an allocation failure part-way stops
 * there with FL_ENOMEM (the elements pushed before it stay, as after a shorter push).
 */
#include <stdlib.h>

#include "coll.h"
#include "flatline/collections.h"
#include "quicklist.h"

#define MAX_LEN UINT32_MAX

uint32_t fls_list_chunks(const void *desc)
{
    return ((const fls_ql_t *)desc)->nchunks;
}

static size_t list_total(const void *d)
{
    return fls_ql_total(d);
}
static size_t list_usable(const void *d)
{
    return fls_ql_usable(d);
}
static void list_destroy(fl_ns_t *ns, uint32_t pidx, void *d)
{
    fls_ql_clear(ns, pidx, d);
}
static bool list_walk(fl_ns_t *ns, void *d, const fls_walk_ops_t *ops, void *ctx, uint32_t *pos,
                      size_t *did)
{
    (void)ns;
    return fls_ql_walk(d, ops, ctx, pos, did);
}
static const char *list_encoding(const void *d)
{
    (void)d;
    return "quicklist"; /* Redis 7.0 reports every list as a quicklist */
}
static uint64_t list_len(const void *d)
{
    return ((const fls_ql_t *)d)->count;
}

static int list_clone(fl_ns_t *ns, uint32_t pidx, void *dst, const void *src)
{
    return fls_ql_clone(ns, pidx, dst, src);
}

static void list_each(const void *d, void (*fn)(void *ctx, const char *p, size_t n, double score),
                      void *ctx)
{
    const fls_ql_t *q = d;
    fls_ql_pos_t pos = fls_ql_begin(q);
    for (bool more = q->count > 0; more; more = fls_ql_next(q, &pos)) {
        const char *p;
        size_t n;
        fls_ql_get(q, pos, &p, &n);
        fn(ctx, p, n, 0);
    }
}

const fls_coll_ops_t fls_list_type = {
    .name = "list",
    .desc_size = sizeof(fls_ql_t),
    .total = list_total,
    .usable = list_usable,
    .destroy = list_destroy,
    .walk = list_walk,
    .encoding = list_encoding,
    .len = list_len,
    .clone = list_clone,
    .each = list_each,
};

static inline fls_ql_t *rec_ql(fls_rec_t *r)
{
    return fls_rec_desc(r);
}

int fl_list_push(fl_ns_t *ns, fl_slice_t key, bool tail, const fl_slice_t *elems, size_t n,
                 bool only_existing, size_t *len)
{
    if (key.n > MAX_LEN)
        return FL_EINVAL;
    size_t grow = 0;
    for (size_t i = 0; i < n; i++) {
        if (elems[i].n > MAX_LEN - 16)
            return FL_EINVAL;
        grow += fls_ql_entry_size(elems[i].n);
    }
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_LIST, grow + 64, &w);
    if (rc != FL_OK || (!w.rec && only_existing)) {
        fls_coll_write_end(ns, &w, false);
        *len = 0;
        return rc;
    }
    int64_t growth = (int64_t)(grow + FLS_QL_HDR + 8) +
                     (w.rec ? 0 : (int64_t)fls_coll_rec_size(key.n, &fls_list_type));
    rc = fls_quota_check(ns, growth);
    if (rc == FL_OK && !w.rec)
        rc = fls_coll_create(ns, &w);
    size_t done = 0;
    for (; rc == FL_OK && done < n; done++)
        rc = fls_ql_push(ns, w.k.pidx, rec_ql(w.rec), tail, elems[done].p, elems[done].n);
    *len = w.rec ? (size_t)rec_ql(w.rec)->count : 0;
    size_t pushed = done - (rc != FL_OK && done > 0); /* the failed push added nothing */
    w.delta = (fl_delta_t){.verb = tail ? "RPUSH" : "LPUSH", .args = elems, .n_args = pushed};
    fls_coll_write_end(ns, &w, done > 0);
    return rc;
}

static void emit_elem(const fl_sink_t *out, const fls_ql_t *q, fls_ql_pos_t pos)
{
    const char *p;
    size_t n;
    fls_ql_get(q, pos, &p, &n);
    out->bulk(out->ctx, p, n);
}

int fl_list_pop(fl_ns_t *ns, fl_slice_t key, bool tail, size_t count, bool as_array,
                const fl_sink_t *out, size_t *popped)
{
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_LIST, 0, &w);
    *popped = 0;
    if (rc == FL_OK && w.rec) {
        fls_ql_t *q = rec_ql(w.rec);
        size_t k = count < q->count ? count : (size_t)q->count;
        if (as_array)
            out->array(out->ctx, k);
        for (size_t i = 0; i < k; i++) {
            fls_ql_pos_t pos;
            fls_ql_seek(q, tail ? -1 : 0, &pos);
            emit_elem(out, q, pos);
            fls_ql_delete(ns, w.k.pidx, q, &pos);
        }
        *popped = k;
        w.delta = (fl_delta_t){.verb = tail ? "RPOP" : "LPOP", .nums = {(int64_t)k}, .n_nums = 1};
    }
    fls_coll_write_end(ns, &w, *popped > 0);
    return rc;
}

int fl_list_len(fl_ns_t *ns, fl_slice_t key, size_t *len)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_LIST, &k, &r);
    *len = r ? (size_t)rec_ql(r)->count : 0;
    fls_read_end(ns, &k);
    return rc;
}

/* Clamps [start, stop] (Redis's rules) to the list; false when the range is empty. */
static bool clamp_range(int64_t len, int64_t *start, int64_t *stop)
{
    if (*start < 0)
        *start += len;
    if (*stop < 0)
        *stop += len;
    if (*start < 0)
        *start = 0;
    if (*start > *stop || *start >= len)
        return false;
    if (*stop >= len)
        *stop = len - 1;
    return true;
}

int fl_list_range(fl_ns_t *ns, fl_slice_t key, int64_t start, int64_t stop, const fl_sink_t *out)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_LIST, &k, &r);
    if (rc == FL_OK) {
        fls_ql_t *q = r ? rec_ql(r) : NULL;
        if (!q || !clamp_range((int64_t)q->count, &start, &stop)) {
            out->array(out->ctx, 0);
        } else {
            out->array(out->ctx, (size_t)(stop - start + 1));
            fls_ql_pos_t pos;
            fls_ql_seek(q, start, &pos);
            for (int64_t i = start; i <= stop; i++) {
                emit_elem(out, q, pos);
                fls_ql_next(q, &pos);
            }
        }
    }
    fls_read_end(ns, &k);
    return rc;
}

int fl_list_index(fl_ns_t *ns, fl_slice_t key, int64_t index, const fl_sink_t *out)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_LIST, &k, &r);
    if (rc == FL_OK) {
        fls_ql_pos_t pos;
        if (r && fls_ql_seek(rec_ql(r), index, &pos))
            emit_elem(out, rec_ql(r), pos);
        else
            out->nil(out->ctx);
    }
    fls_read_end(ns, &k);
    return rc;
}

int fl_list_set(fl_ns_t *ns, fl_slice_t key, int64_t index, fl_slice_t val)
{
    if (val.n > MAX_LEN - 16)
        return FL_EINVAL;
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_LIST, val.n, &w);
    bool changed = false;
    if (rc == FL_OK && !w.rec)
        rc = FL_ENOKEY;
    fls_ql_pos_t pos;
    if (rc == FL_OK && !fls_ql_seek(rec_ql(w.rec), index, &pos))
        rc = FL_ERANGE;
    if (rc == FL_OK)
        rc = fls_quota_check(ns, (int64_t)val.n);
    if (rc == FL_OK)
        rc = fls_ql_replace(ns, w.k.pidx, rec_ql(w.rec), pos, val.p, val.n);
    changed = rc == FL_OK;
    w.delta = (fl_delta_t){.verb = "LSET", .nums = {index}, .n_nums = 1, .args = &val, .n_args = 1};
    fls_coll_write_end(ns, &w, changed);
    return rc;
}

static bool elem_eq(const fls_ql_t *q, fls_ql_pos_t pos, fl_slice_t v)
{
    const char *p;
    size_t n;
    fls_ql_get(q, pos, &p, &n);
    return n == v.n && (n == 0 || memcmp(p, v.p, n) == 0);
}

int fl_list_insert(fl_ns_t *ns, fl_slice_t key, bool after, fl_slice_t pivot, fl_slice_t val,
                   int64_t *len)
{
    if (val.n > MAX_LEN - 16)
        return FL_EINVAL;
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_LIST, fls_ql_entry_size(val.n), &w);
    *len = 0;
    bool changed = false;
    if (rc == FL_OK && w.rec) {
        fls_ql_t *q = rec_ql(w.rec);
        fls_ql_pos_t pos = fls_ql_begin(q);
        bool found = false;
        for (bool more = q->count > 0; more; more = fls_ql_next(q, &pos))
            if (elem_eq(q, pos, pivot)) {
                found = true;
                break;
            }
        *len = -1;
        if (found) {
            if (after)
                fls_ql_next(q, &pos);
            rc = fls_quota_check(ns, (int64_t)fls_ql_entry_size(val.n));
            if (rc == FL_OK)
                rc = fls_ql_insert(ns, w.k.pidx, q, pos, val.p, val.n);
            changed = rc == FL_OK;
            *len = (int64_t)q->count;
        }
    }
    fl_slice_t pv[2] = {pivot, val};
    w.delta = (fl_delta_t){
        .verb = "LINSERT", .words = {after ? "AFTER" : "BEFORE"}, .args = pv, .n_args = 2};
    fls_coll_write_end(ns, &w, changed);
    return rc;
}

int fl_list_rem(fl_ns_t *ns, fl_slice_t key, int64_t count, fl_slice_t val, size_t *removed)
{
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_LIST, 0, &w);
    size_t gone = 0;
    if (rc == FL_OK && w.rec) {
        fls_ql_t *q = rec_ql(w.rec);
        uint64_t limit = count == 0  ? UINT64_MAX
                         : count < 0 ? (uint64_t)0 - (uint64_t)count
                                     : (uint64_t)count;
        if (count >= 0) {
            fls_ql_pos_t pos = fls_ql_begin(q);
            while (gone < limit && pos.ci < q->nchunks) {
                if (elem_eq(q, pos, val)) {
                    fls_ql_delete(ns, w.k.pidx, q, &pos);
                    gone++;
                } else {
                    fls_ql_next(q, &pos);
                }
            }
        } else {
            fls_ql_pos_t pos = fls_ql_end(q);
            while (gone < limit && fls_ql_prev(q, &pos)) {
                if (elem_eq(q, pos, val)) {
                    fls_ql_delete(ns, w.k.pidx, q, &pos);
                    gone++;
                }
            }
        }
    }
    *removed = gone;
    w.delta = (fl_delta_t){.verb = "LREM", .nums = {count}, .n_nums = 1, .args = &val, .n_args = 1};
    fls_coll_write_end(ns, &w, gone > 0);
    return rc;
}

int fl_list_trim(fl_ns_t *ns, fl_slice_t key, int64_t start, int64_t stop)
{
    fls_cw_t w;
    int rc = fls_coll_write_begin(ns, key, FL_TYPE_LIST, 0, &w);
    bool changed = false;
    if (rc == FL_OK && w.rec) {
        fls_ql_t *q = rec_ql(w.rec);
        int64_t len = (int64_t)q->count;
        uint64_t head = 0, tail = 0; /* elements to drop at each end */
        if (!clamp_range(len, &start, &stop)) {
            head = (uint64_t)len;
        } else {
            head = (uint64_t)start;
            tail = (uint64_t)(len - 1 - stop);
        }
        changed = head + tail > 0;
        for (; tail > 0; tail--) {
            fls_ql_pos_t pos;
            fls_ql_seek(q, -1, &pos);
            fls_ql_delete(ns, w.k.pidx, q, &pos);
        }
        fls_ql_pos_t pos = fls_ql_begin(q);
        for (; head > 0; head--)
            fls_ql_delete(ns, w.k.pidx, q, &pos);
    }
    w.delta = (fl_delta_t){.verb = "LTRIM", .nums = {start, stop}, .n_nums = 2};
    fls_coll_write_end(ns, &w, changed);
    return rc;
}

int fl_list_pos(fl_ns_t *ns, fl_slice_t key, fl_slice_t elem, int64_t rank, size_t count,
                size_t maxlen, fl_pos_fn fn, void *ctx)
{
    fls_key_t k;
    fls_rec_t *r;
    int rc = fls_coll_read_begin(ns, key, FL_TYPE_LIST, &k, &r);
    if (rc == FL_OK && r) {
        fls_ql_t *q = rec_ql(r);
        bool back = rank < 0;
        uint64_t skip = (uint64_t)(back ? -(rank + 1) : rank - 1); /* matches to pass over */
        size_t found = 0, scanned = 0;
        fls_ql_pos_t pos = back ? fls_ql_end(q) : fls_ql_begin(q);
        bool more = back ? fls_ql_prev(q, &pos) : q->count > 0;
        for (int64_t i = back ? (int64_t)q->count - 1 : 0; more;
             i += back ? -1 : 1, more = back ? fls_ql_prev(q, &pos) : fls_ql_next(q, &pos)) {
            if (maxlen && scanned++ >= maxlen)
                break;
            if (!elem_eq(q, pos, elem))
                continue;
            if (skip) {
                skip--;
                continue;
            }
            fn(ctx, i);
            if (count && ++found >= count)
                break;
        }
    }
    fls_read_end(ns, &k);
    return rc;
}

int fl_list_move(fl_ns_t *ns, fl_slice_t src, fl_slice_t dst, bool src_tail, bool dst_tail,
                 const fl_sink_t *out, bool *moved)
{
    fls_key_t ks, kd;
    fls_key_init(ns, src, &ks);
    fls_key_init(ns, dst, &kd);
    *moved = false;
    fls_coll_lock2(ns, &ks, &kd, 64);
    int64_t now = fl_now_ms();
    fls_cw_t ws, wd;
    char *copy = NULL;
    int rc = fls_coll_locked_find(ns, &ks, FL_TYPE_LIST, now, &ws);
    if (rc != FL_OK || !ws.rec)
        goto out;
    bool same = src.n == dst.n && memcmp(src.p, dst.p, src.n) == 0;
    if (!same && (rc = fls_coll_locked_find(ns, &kd, FL_TYPE_LIST, now, &wd)) != FL_OK)
        goto out;
    fls_ql_t *qs = rec_ql(ws.rec);
    fls_ql_pos_t pos;
    fls_ql_seek(qs, src_tail ? -1 : 0, &pos);
    const char *p;
    size_t n;
    fls_ql_get(qs, pos, &p, &n);
    if (n && !(copy = malloc(n))) { /* scratch: the element leaves one chunk for another */
        rc = FL_ENOMEM;
        goto out;
    }
    fls_copy(copy, p, n);
    fl_slice_t moved_elem = {copy, n},
               rotate[3] = {src,
                            {src_tail ? "RIGHT" : "LEFT", src_tail ? 5 : 4},
                            {dst_tail ? "RIGHT" : "LEFT", dst_tail ? 5 : 4}};
    if (same) {
        ws.delta = (fl_delta_t){.verb = "LMOVE", .args = rotate, .n_args = 3};
        fls_ql_delete(ns, ks.pidx, qs, &pos);
        rc = fls_ql_push(ns, ks.pidx, qs, dst_tail, copy, n); /* cannot fail for lack of room:
                                                               * pushing back what left */
        fls_coll_publish(ns, &ws, true);
    } else {
        rc = fls_quota_check(ns, (int64_t)fls_ql_entry_size(n) + 64);
        if (rc == FL_OK && !wd.rec)
            rc = fls_coll_create(ns, &wd);
        if (rc == FL_OK)
            rc = fls_ql_push(ns, kd.pidx, rec_ql(wd.rec), dst_tail, copy, n);
        if (rc == FL_OK)
            fls_ql_delete(ns, ks.pidx, qs, &pos);
        wd.delta =
            (fl_delta_t){.verb = dst_tail ? "RPUSH" : "LPUSH", .args = &moved_elem, .n_args = 1};
        ws.delta = (fl_delta_t){.verb = src_tail ? "RPOP" : "LPOP", .nums = {1}, .n_nums = 1};
        fls_coll_publish(ns, &wd, rc == FL_OK); /* the created one first (coll.h) */
        fls_coll_publish(ns, &ws, rc == FL_OK);
    }
    if (rc == FL_OK) {
        out->bulk(out->ctx, copy, n);
        *moved = true;
    }
out:
    fls_coll_unlock2(ns, &ks, &kd);
    free(copy);
    return rc;
}
