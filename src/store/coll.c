/*
 * src/store/coll.c: the access and publication steps every collection command shares (see
 * coll.h). A collection record is created unlinked, filled, and linked by one FLS_PUT commit
 * only when it holds elements, so a failed or empty write leaves no key behind; a record whose
 * last element went is deleted by one FLS_DEL commit.
 */
#include "coll.h"

#include <stdlib.h>

#include "fl_assert.h"
#include "flatline/collections.h"

int fls_coll_locked_find(fl_ns_t *ns, fls_key_t *k, uint8_t type, int64_t now, fls_cw_t *w)
{
    w->k = *k;
    w->now = now;
    w->type = type;
    w->created = false;
    w->ref = fls_find_live(ns, &w->k, now);
    w->rec = w->ref ? *w->ref : NULL;
    if (w->rec && w->rec->type != type) {
        w->rec = NULL;
        w->ref = NULL;
        return FL_EWRONGTYPE;
    }
    return FL_OK;
}

int fls_coll_write_begin(fl_ns_t *ns, fl_slice_t key, uint8_t type, size_t hint, fls_cw_t *w)
{
    fls_key_t k;
    int64_t now;
    fls_write_begin(ns, key, hint, &k, &now);
    return fls_coll_locked_find(ns, &k, type, now, w);
}

int fls_coll_create(fl_ns_t *ns, fls_cw_t *w)
{
    FL_ASSERT(!w->rec);
    fls_rec_t *r = fls_rec_new(ns, w->k.pidx, w->type, &w->k, 0, fls_default_expiry(ns, w->now),
                               fls_access_new(w->now));
    if (!r)
        return FL_ENOMEM;
    fls_rec_t **slot;
    if (fls_insert_slot(ns, &w->k, &slot) != FL_OK) {
        fls_free(ns, w->k.pidx, r, fls_rec_size(r));
        return FL_ENOMEM;
    }
    w->rec = r;
    w->ref = slot;
    w->created = true;
    return FL_OK;
}

void fls_coll_publish(fl_ns_t *ns, fls_cw_t *w, bool changed)
{
    fls_rec_t *r = w->rec;
    if (!r)
        return;
    bool empty = fls_coll_ops(r->type)->len(fls_rec_desc(r)) == 0;
    if (!w->created) {
        /* another key's commit in the same partition may have resized the table since */
        w->ref = fls_find(&w->k);
        FL_ASSERT(w->ref && *w->ref == r);
    }
    if (w->created) {
        if (empty) {
            fls_rec_destroy(ns, w->k.pidx, r);
        } else {
            fls_touch(r, w->now);
            fls_change_t c = {.op = FLS_PUT, .ref = w->ref, .rec = r};
            fls_commit(ns, w->k.pidx, &c);
        }
    } else if (empty) {
        fls_commit_del(ns, w->k.pidx, w->ref, FLS_WRITE);
    } else if (changed) {
        fls_touch(r, w->now);
        fls_change_t c = {
            .op = FLS_MODIFY, .rec = r, .had_key = true, .had_ttl = fls_rec_expiry(r) != 0};
        fls_commit(ns, w->k.pidx, &c);
    }
    w->rec = NULL;
}

void fls_coll_write_end(fl_ns_t *ns, fls_cw_t *w, bool changed)
{
    fls_coll_publish(ns, w, changed);
    fls_unlock(ns, w->k.part);
}

int fls_coll_read_begin(fl_ns_t *ns, fl_slice_t key, uint8_t type, fls_key_t *k, fls_rec_t **rec)
{
    fls_key_init(ns, key, k);
    fls_rec_t *r = fls_read_begin(ns, k, fl_now_ms(), true);
    *rec = NULL;
    if (r && r->type != type)
        return FL_EWRONGTYPE;
    *rec = r;
    return FL_OK;
}

void fls_coll_lock2(fl_ns_t *ns, fls_key_t *a, fls_key_t *b, size_t hint)
{
    fls_make_room(ns, hint);
    if (a->pidx == b->pidx) {
        fls_wrlock(ns, a->part);
    } else if (a->pidx < b->pidx) {
        fls_wrlock(ns, a->part);
        fls_wrlock(ns, b->part);
    } else {
        fls_wrlock(ns, b->part);
        fls_wrlock(ns, a->part);
    }
}

void fls_coll_unlock2(fl_ns_t *ns, fls_key_t *a, fls_key_t *b)
{
    fls_unlock(ns, a->part);
    if (a->pidx != b->pidx)
        fls_unlock(ns, b->part);
}

/* The distinct partition indexes of keys[0..n), ascending, into idx (n entries); returns
 * how many. */
static size_t distinct_parts(const fls_key_t *keys, size_t n, uint32_t *idx)
{
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        size_t j = m;
        while (j > 0 && idx[j - 1] > keys[i].pidx) /* insertion sort: few keys */
            j--;
        if (j > 0 && idx[j - 1] == keys[i].pidx)
            continue;
        memmove(idx + j + 1, idx + j, (m - j) * sizeof(*idx));
        idx[j] = keys[i].pidx;
        m++;
    }
    return m;
}

void fls_coll_lock_many(fl_ns_t *ns, const fls_key_t *keys, size_t n, size_t hint)
{
    fls_make_room(ns, hint);
    uint32_t stack[16], *idx = n <= 16 ? stack : malloc(n * sizeof(*idx));
    if (!idx) { /* out of memory for the scratch: lock one at a time, the slow way */
        for (uint32_t p = 0; p < ns->nparts; p++)
            for (size_t i = 0; i < n; i++)
                if (keys[i].pidx == p) {
                    fls_wrlock(ns, &ns->parts[p]);
                    break;
                }
        return;
    }
    size_t m = distinct_parts(keys, n, idx);
    for (size_t i = 0; i < m; i++)
        fls_wrlock(ns, &ns->parts[idx[i]]);
    if (idx != stack)
        free(idx);
}

void fls_coll_unlock_many(fl_ns_t *ns, const fls_key_t *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool seen = false;
        for (size_t j = 0; j < i && !seen; j++)
            seen = keys[j].pidx == keys[i].pidx;
        if (!seen)
            fls_unlock(ns, keys[i].part);
    }
}

/* ---- The record-level rows of types.c (RENAME, COPY, OBJECT) ------------------------------- */

fls_rec_t *fls_coll_clone(fl_ns_t *ns, const fls_key_t *k, fls_rec_t *src)
{
    const fls_coll_ops_t *t = fls_coll_ops(src->type);
    fls_rec_t *r = fls_rec_new(ns, k->pidx, src->type, k, 0, fls_rec_expiry(src),
                               atomic_load_explicit(&src->atime, memory_order_relaxed));
    if (!r)
        return NULL;
    if (t->clone(ns, k->pidx, fls_rec_desc(r), fls_rec_desc(src)) != FL_OK) {
        fls_free(ns, k->pidx, r, fls_rec_size(r));
        return NULL;
    }
    return r;
}

const char *fls_coll_encoding(fls_rec_t *r)
{
    return fls_coll_ops(r->type)->encoding(fls_rec_desc(r));
}

int fl_key_encoding(fl_ns_t *ns, fl_slice_t key, const char **encoding)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), false);
    const fls_type_ops_t *t = r ? fls_type_ops(r->type) : NULL;
    *encoding = t ? t->encoding(r) : NULL;
    fls_read_end(ns, &k);
    return FL_OK;
}
