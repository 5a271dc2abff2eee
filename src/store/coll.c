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
    w->delta = (fl_delta_t){0};
    w->copy = NULL;
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

/* Copied delta arguments: the bytes, then (built when published) the slices into them. */
struct fls_dcopy {
    char *bytes;
    size_t len, cap;
    size_t *lens; /* each argument's length, in order */
    size_t n, lens_cap;
    bool failed;
};

void fls_coll_delta_copy(fls_cw_t *w, const char *verb, const char *p, size_t n)
{
    fls_dcopy_t *c = w->copy;
    if (!c && !(c = w->copy = calloc(1, sizeof(*c))))
        return; /* w->delta stays without a verb: the state is logged */
    if (c->failed)
        return;
    if (c->len + n > c->cap) {
        size_t cap = c->cap ? c->cap : 256;
        while (cap < c->len + n)
            cap *= 2;
        char *b = realloc(c->bytes, cap);
        c->failed = !b;
        c->bytes = b ? b : c->bytes;
        c->cap = b ? cap : c->cap;
    }
    if (!c->failed && c->n == c->lens_cap) {
        size_t cap = c->lens_cap ? 2 * c->lens_cap : 16;
        size_t *l = realloc(c->lens, cap * sizeof(*l));
        c->failed = !l;
        c->lens = l ? l : c->lens;
        c->lens_cap = l ? cap : c->lens_cap;
    }
    if (c->failed)
        return;
    fls_copy(c->bytes + c->len, p, n);
    c->len += n;
    c->lens[c->n++] = n;
    w->delta.verb = verb;
}

/* Points the delta's arguments at the copies (NULL, and the delta dropped, when out of
 * memory); the caller frees the returned array after the commit. */
static fl_slice_t *copy_args(fls_cw_t *w)
{
    fls_dcopy_t *c = w->copy;
    fl_slice_t *a = c->failed ? NULL : malloc(c->n * sizeof(*a));
    if (!a) {
        w->delta.verb = NULL;
        return NULL;
    }
    for (size_t i = 0, at = 0; i < c->n; at += c->lens[i], i++)
        a[i] = (fl_slice_t){c->bytes + at, c->lens[i]};
    w->delta.args = a;
    w->delta.n_args = c->n;
    return a;
}

static void copy_free(fls_cw_t *w)
{
    if (!w->copy)
        return;
    free(w->copy->bytes);
    free(w->copy->lens);
    free(w->copy);
    w->copy = NULL;
}

void fls_coll_publish(fl_ns_t *ns, fls_cw_t *w, bool changed)
{
    fls_rec_t *r = w->rec;
    fl_slice_t *copied = w->copy && r ? copy_args(w) : NULL;
    const fl_delta_t *delta = w->delta.verb ? &w->delta : NULL;
    if (!r) {
        copy_free(w);
        return;
    }
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
            fls_change_t c = {.op = FLS_PUT, .ref = w->ref, .rec = r, .delta = delta};
            fls_commit(ns, w->k.pidx, &c);
        }
    } else if (empty) {
        fls_commit_del(ns, w->k.pidx, w->ref, FLS_WRITE);
    } else if (changed) {
        fls_touch(r, w->now);
        fls_change_t c = {.op = FLS_MODIFY,
                          .rec = r,
                          .had_key = true,
                          .had_ttl = fls_rec_expiry(r) != 0,
                          .delta = delta};
        fls_commit(ns, w->k.pidx, &c);
    }
    w->rec = NULL;
    free(copied);
    copy_free(w);
}

void fls_coll_write_end(fl_ns_t *ns, fls_cw_t *w, bool changed)
{
    fls_coll_publish(ns, w, changed);
    fls_unlock(ns, w->k.part);
}

int fls_coll_read_begin(fl_ns_t *ns, fl_slice_t key, uint8_t type, fls_key_t *k, fls_rec_t **rec)
{
    fls_key_init(ns, key, k);
    fls_rec_t *r = fls_read_begin(ns, k, fl_now_ms(), FL_LOOKUP_READ);
    *rec = NULL;
    if (r && r->type != type)
        return FL_EWRONGTYPE;
    *rec = r;
    return FL_OK;
}

void fls_coll_lock2(fl_ns_t *ns, fls_key_t *a, fls_key_t *b, size_t hint)
{
    fls_make_room(ns, hint);
    fls_group_begin(ns->store);
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
    fls_group_end(ns->store);
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
    fls_group_begin(ns->store);
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
    fls_group_end(ns->store);
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

const char *fls_coll_encoding(const fl_ns_t *ns, fls_rec_t *r)
{
    (void)ns; /* a collection's descriptor knows its encoding */
    return fls_coll_ops(r->type)->encoding(fls_rec_desc(r));
}

int fl_key_encoding(fl_ns_t *ns, fl_slice_t key, const char **encoding)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), FL_LOOKUP_QUIET);
    const fls_type_ops_t *t = r ? fls_type_ops(r->type) : NULL;
    *encoding = t ? t->encoding(ns, r) : NULL;
    fls_read_end(ns, &k);
    return FL_OK;
}

/* ---- Encoding thresholds (FL_COLL_OPTIONS) ------------------------------------------------- */

void fl_coll_limits_default(fl_coll_limits_t *l)
{
#define FLS_LIMIT_DEFAULT_(field, name, def, min, max, is_size, doc) l->field = (def);
    FL_COLL_OPTIONS(FLS_LIMIT_DEFAULT_)
#undef FLS_LIMIT_DEFAULT_
}

void fl_store_set_coll_limits(fl_store_t *store, const fl_coll_limits_t *l)
{
#define FLS_LIMIT_STORE_(field, name, def, min, max, is_size, doc)                                 \
    FL_ASSERT(l->field >= (min) && l->field <= (max));                                             \
    __atomic_store_n(&store->limits.field, l->field, __ATOMIC_RELAXED);
    FL_COLL_OPTIONS(FLS_LIMIT_STORE_)
#undef FLS_LIMIT_STORE_
}

void fl_store_coll_limits(const fl_store_t *store, fl_coll_limits_t *out)
{
#define FLS_LIMIT_LOAD_(field, name, def, min, max, is_size, doc)                                  \
    out->field = __atomic_load_n(&store->limits.field, __ATOMIC_RELAXED);
    FL_COLL_OPTIONS(FLS_LIMIT_LOAD_)
#undef FLS_LIMIT_LOAD_
}

int fl_store_set_list_packed_threshold(fl_store_t *store, uint64_t bytes)
{
    if (bytes > FL_LIST_PACKED_THRESHOLD_MAX)
        return FL_EINVAL;
    __atomic_store_n(&store->list_packed_threshold,
                     bytes ? bytes : (uint64_t)FL_LIST_PACKED_THRESHOLD_DEFAULT, __ATOMIC_RELAXED);
    return FL_OK;
}
