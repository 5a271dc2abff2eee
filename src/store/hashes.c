/*
 * src/store/hashes.c: hash commands (HSET, HSETNX, HGET, HMGET, HDEL, HGETALL, HKEYS, HVALS,
 * HLEN, HEXISTS, HSTRLEN, HINCRBY, HINCRBYFLOAT, HRANDFIELD, HSCAN): a record's fields
 * ("bins") in a chained hash table of their own.
 *
 * Layout: the record holds the key and a fls_htab_t (bucket array pointer, mask, count); each
 * field is one arena allocation (header, field name, value). The field table doubles when the
 * field count exceeds its slots and halves below 1/8 full, so HSET of n fields is O(n) total.
 * A hash record always has >= 1 field: the last HDEL deletes the key.
 *
 * Multi-field writes are all-or-nothing: every allocation they need is made before anything is
 * linked, so FL_ENOMEM or FL_EOOM leaves the hash as it was (a failed table resize is not an
 * error: the table keeps its size and a higher load).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define MIN_FBUCKETS 4u
#define FIELD_SEED 0x6a09e667f3bcc909ull
#define MAX_LEN UINT32_MAX

static uint32_t field_hash(fl_ns_t *ns, fl_slice_t f)
{
    return (uint32_t)fls_hash(ns->store->seed ^ FIELD_SEED, f.p, f.n);
}

static fls_field_t **htab_find(fls_htab_t *ht, fl_slice_t f, uint32_t h)
{
    fls_field_t **ref = &ht->b[h & ht->mask];
    for (fls_field_t *x = *ref; x; ref = &x->next, x = *ref)
        if (x->hash == h && x->flen == f.n && (f.n == 0 || memcmp(x->data, f.p, f.n) == 0))
            return ref;
    return NULL;
}

static void htab_resize(fl_ns_t *ns, uint32_t pidx, fls_htab_t *ht, size_t new_size)
{
    fls_field_t **nb = fls_alloc(ns, pidx, new_size * sizeof(*nb));
    if (!nb)
        return;
    memset(nb, 0, new_size * sizeof(*nb));
    size_t old_size = (size_t)ht->mask + 1;
    for (size_t i = 0; i < old_size; i++) {
        fls_field_t *f = ht->b[i];
        while (f) {
            fls_field_t *next = f->next;
            size_t j = f->hash & (new_size - 1);
            f->next = nb[j];
            nb[j] = f;
            f = next;
        }
    }
    fls_free(ns, pidx, ht->b, old_size * sizeof(*nb));
    ht->b = nb;
    ht->mask = (uint32_t)(new_size - 1);
}

/* Smallest power-of-two slot count >= n (and >= MIN_FBUCKETS). */
static size_t fit_size(size_t n)
{
    size_t size = MIN_FBUCKETS;
    while (size < n)
        size *= 2;
    return size;
}

static void htab_reshape(fl_ns_t *ns, uint32_t pidx, fls_htab_t *ht)
{
    size_t size = (size_t)ht->mask + 1;
    if (ht->count > size && size < ((size_t)1 << 31))
        htab_resize(ns, pidx, ht, size * 2);
    else if (size > MIN_FBUCKETS && ht->count < size / 8)
        htab_resize(ns, pidx, ht, fit_size(ht->count)); /* one step after a big HDEL */
}

static fls_field_t *field_new(fl_ns_t *ns, uint32_t pidx, fl_slice_t f, uint32_t h, const char *v,
                              size_t vn)
{
    fls_field_t *x = fls_alloc(ns, pidx, fls_field_size(f.n, vn));
    if (!x)
        return NULL;
    x->next = NULL;
    x->hash = h;
    x->flen = (uint32_t)f.n;
    x->vlen = (uint32_t)vn;
    fls_copy(x->data, f.p, f.n);
    fls_copy(x->data + f.n, v, vn);
    return x;
}

/* A new, empty hash record for k (not linked), or NULL. */
static fls_rec_t *hash_rec_new(fl_ns_t *ns, fls_key_t *k, int64_t now)
{
    fls_rec_t *r = fls_rec_new(ns, k->pidx, FL_TYPE_HASH, k, 0, fls_default_expiry(ns, now),
                               fls_access_new(now));
    fls_field_t **b = r ? fls_alloc(ns, k->pidx, MIN_FBUCKETS * sizeof(*b)) : NULL;
    if (!b) {
        if (r)
            fls_free(ns, k->pidx, r, fls_rec_size(r));
        return NULL;
    }
    memset(b, 0, MIN_FBUCKETS * sizeof(*b));
    fls_htab_t *ht = fls_rec_htab(r);
    ht->b = b;
    ht->mask = MIN_FBUCKETS - 1;
    ht->count = 0;
    return r;
}

/* Links field x into ht, replacing a field of the same name (freed). Returns true if added. */
static bool htab_put(fl_ns_t *ns, uint32_t pidx, fls_htab_t *ht, fls_field_t *x)
{
    fl_slice_t f = {x->data, x->flen};
    fls_field_t **ref = htab_find(ht, f, x->hash);
    if (ref) {
        fls_field_t *old = *ref;
        x->next = old->next;
        *ref = x;
        fls_free(ns, pidx, old, fls_field_size(old->flen, old->vlen));
        return false;
    }
    fls_field_t **head = &ht->b[x->hash & ht->mask];
    x->next = *head;
    *head = x;
    ht->count++;
    htab_reshape(ns, pidx, ht);
    return true;
}

/* Publishes a hash write: links a new record (ref = its slot) or notes a modified one. */
static void hash_commit(fl_ns_t *ns, fls_key_t *k, fls_rec_t **ref, fls_rec_t *r, bool created,
                        int64_t now)
{
    fls_touch(r, now);
    if (created) {
        fls_change_t c = {.op = FLS_PUT, .ref = ref, .rec = r};
        fls_commit(ns, k->pidx, &c);
    } else {
        fls_change_t c = {.op = FLS_MODIFY,
                          .rec = r,
                          .had_key = true,
                          .had_ttl = fls_rec_expiry(r) != 0,
                          .same_ttl = true};
        fls_commit(ns, k->pidx, &c);
    }
}

/* Finds or prepares the hash record for a write (write lock held). On FL_OK, *rec is the
 * record and *ref its slot (for a new record: the insertion slot, not linked yet). */
static int hash_for_write(fl_ns_t *ns, fls_key_t *k, int64_t now, fls_rec_t ***ref, fls_rec_t **rec,
                          bool *created)
{
    FLS_ASSERT_WRLOCKED(k->part);
    fls_rec_t **slot = fls_find_live(ns, k, now);
    *created = false;
    if (slot) {
        if ((*slot)->type != FL_TYPE_HASH)
            return FL_EWRONGTYPE;
        *ref = slot;
        *rec = *slot;
        return FL_OK;
    }
    fls_rec_t *r = hash_rec_new(ns, k, now);
    if (!r)
        return FL_ENOMEM;
    if (fls_insert_slot(ns, k, &slot) != FL_OK) {
        fls_rec_destroy(ns, k->pidx, r);
        return FL_ENOMEM;
    }
    *ref = slot;
    *rec = r;
    *created = true;
    return FL_OK;
}

int fl_hash_set(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *fv, size_t n_pairs, size_t *added)
{
    if (n_pairs == 0 || key.n > MAX_LEN)
        return FL_EINVAL;
    size_t hint = fls_hash_rec_size(key.n);
    for (size_t i = 0; i < n_pairs; i++) {
        if (fv[2 * i].n > MAX_LEN || fv[2 * i + 1].n > MAX_LEN)
            return FL_EINVAL;
        hint += fls_field_size(fv[2 * i].n, fv[2 * i + 1].n);
    }
    fls_field_t *stack_nodes[16];
    fls_field_t **nodes = stack_nodes;
    if (n_pairs > 16 && !(nodes = malloc(n_pairs * sizeof(*nodes)))) /* scratch: private */
        return FL_ENOMEM;
    fls_key_t k;
    int64_t now;
    fls_rec_t **cref = fls_write_begin(ns, key, hint, &k, &now);
    fls_rec_t *cur = cref ? *cref : NULL;
    int rc = FL_OK;
    size_t made = 0;
    if (cur && cur->type != FL_TYPE_HASH) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    /* Growth, before anything is allocated (duplicate fields in one call overestimate it). */
    int64_t growth = cur ? 0 : (int64_t)(fls_hash_rec_size(k.n) + MIN_FBUCKETS * sizeof(void *));
    for (size_t i = 0; i < n_pairs; i++) {
        fls_field_t **f =
            cur ? htab_find(fls_rec_htab(cur), fv[2 * i], field_hash(ns, fv[2 * i])) : NULL;
        growth += f ? (int64_t)fv[2 * i + 1].n - (int64_t)(*f)->vlen
                    : (int64_t)fls_field_size(fv[2 * i].n, fv[2 * i + 1].n);
    }
    rc = fls_quota_check(ns, growth);
    if (rc != FL_OK)
        goto out;
    for (; made < n_pairs; made++) {
        fl_slice_t f = fv[2 * made], v = fv[2 * made + 1];
        nodes[made] = field_new(ns, k.pidx, f, field_hash(ns, f), v.p, v.n);
        if (!nodes[made]) {
            rc = FL_ENOMEM;
            goto out;
        }
    }
    fls_rec_t **ref;
    fls_rec_t *r;
    bool created;
    rc = hash_for_write(ns, &k, now, &ref, &r, &created);
    if (rc != FL_OK)
        goto out;
    fls_htab_t *ht = fls_rec_htab(r);
    size_t n_added = 0;
    for (size_t i = 0; i < n_pairs; i++)
        n_added += htab_put(ns, k.pidx, ht, nodes[i]);
    made = 0; /* linked: no longer ours to free */
    hash_commit(ns, &k, ref, r, created, now);
    if (added)
        *added = n_added;
out:
    for (size_t i = 0; i < made; i++)
        fls_free(ns, k.pidx, nodes[i], fls_field_size(nodes[i]->flen, nodes[i]->vlen));
    fls_unlock(ns, k.part);
    if (nodes != stack_nodes)
        free(nodes);
    return rc;
}

/* Read helper: the live hash record for k (read lock held) or NULL; FL_EWRONGTYPE in *rc. */
static fls_rec_t *hash_read(fl_ns_t *ns, fls_key_t *k, fl_slice_t key, int *rc)
{
    fls_key_init(ns, key, k);
    fls_rec_t *r = fls_read_begin(ns, k, fl_now_ms(), true);
    *rc = FL_OK;
    if (r && r->type != FL_TYPE_HASH) {
        *rc = FL_EWRONGTYPE;
        return NULL;
    }
    return r;
}

static fls_field_t *field_get(fl_ns_t *ns, fls_rec_t *r, fl_slice_t f)
{
    fls_field_t **ref = htab_find(fls_rec_htab(r), f, field_hash(ns, f));
    return ref ? *ref : NULL;
}

int fl_hash_get(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, const fl_sink_t *out)
{
    fls_key_t k;
    int rc;
    fls_rec_t *r = hash_read(ns, &k, key, &rc);
    if (rc == FL_OK) {
        fls_field_t *x = r ? field_get(ns, r, field) : NULL;
        if (x)
            out->bulk(out->ctx, x->data + x->flen, x->vlen);
        else
            out->nil(out->ctx);
    }
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_mget(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *fields, size_t n,
                 const fl_sink_t *out)
{
    fls_key_t k;
    int rc;
    fls_rec_t *r = hash_read(ns, &k, key, &rc);
    if (rc == FL_OK) {
        out->array(out->ctx, n);
        for (size_t i = 0; i < n; i++) {
            fls_field_t *x = r ? field_get(ns, r, fields[i]) : NULL;
            if (x)
                out->bulk(out->ctx, x->data + x->flen, x->vlen);
            else
                out->nil(out->ctx);
        }
    }
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_getall(fl_ns_t *ns, fl_slice_t key, const fl_sink_t *out)
{
    fls_key_t k;
    int rc;
    fls_rec_t *r = hash_read(ns, &k, key, &rc);
    if (rc == FL_OK) {
        if (!r) {
            out->array(out->ctx, 0);
        } else {
            fls_htab_t *ht = fls_rec_htab(r);
            out->array(out->ctx, 2 * (size_t)ht->count);
            for (size_t i = 0; i <= ht->mask; i++) {
                for (fls_field_t *x = ht->b[i]; x; x = x->next) {
                    out->bulk(out->ctx, x->data, x->flen);
                    out->bulk(out->ctx, x->data + x->flen, x->vlen);
                }
            }
        }
    }
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_len(fl_ns_t *ns, fl_slice_t key, size_t *len)
{
    fls_key_t k;
    int rc;
    fls_rec_t *r = hash_read(ns, &k, key, &rc);
    if (rc == FL_OK)
        *len = r ? fls_rec_htab(r)->count : 0;
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_exists(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, bool *exists)
{
    fls_key_t k;
    int rc;
    fls_rec_t *r = hash_read(ns, &k, key, &rc);
    if (rc == FL_OK)
        *exists = r && field_get(ns, r, field);
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_del(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *fields, size_t n, size_t *removed)
{
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, 0, &k, &now);
    int rc = FL_OK;
    size_t gone = 0;
    if (ref && (*ref)->type != FL_TYPE_HASH) {
        rc = FL_EWRONGTYPE;
    } else if (ref) {
        fls_rec_t *r = *ref;
        fls_htab_t *ht = fls_rec_htab(r);
        for (size_t i = 0; i < n && ht->count > 0; i++) {
            fls_field_t **fref = htab_find(ht, fields[i], field_hash(ns, fields[i]));
            if (!fref)
                continue;
            fls_field_t *x = *fref;
            *fref = x->next;
            fls_free(ns, k.pidx, x, fls_field_size(x->flen, x->vlen));
            ht->count--;
            gone++;
        }
        if (ht->count == 0) {
            fls_commit_del(ns, k.pidx, ref, FLS_WRITE);
        } else if (gone) {
            htab_reshape(ns, k.pidx, ht);
            fls_change_t c = {
                .op = FLS_MODIFY, .rec = r, .had_key = true, .had_ttl = fls_rec_expiry(r) != 0};
            fls_commit(ns, k.pidx, &c);
        }
    }
    fls_unlock(ns, k.part);
    if (removed)
        *removed = gone;
    return rc;
}

/* Computes a field's new value from its current one (NULL when the field is missing) into
 * *val (pointing into ctx or at an argument): FL_OK, or a status that leaves the hash as it
 * was (FL_ECOND: nothing to write, not an error). */
typedef int (*field_fn)(void *ctx, const fls_field_t *old, fl_slice_t *val);

/* HINCRBY, HINCRBYFLOAT, HSETNX: reads one field and writes it back, under one write lock. */
static int field_update(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, size_t vhint, field_fn fn,
                        void *ctx)
{
    if (key.n > MAX_LEN || field.n > MAX_LEN)
        return FL_EINVAL;
    size_t hint = fls_hash_rec_size(key.n) + fls_field_size(field.n, vhint);
    fls_key_t k;
    int64_t now;
    fls_rec_t **cref = fls_write_begin(ns, key, hint, &k, &now);
    fls_rec_t *cur = cref ? *cref : NULL;
    uint32_t fh = field_hash(ns, field);
    fls_field_t *old = NULL;
    int rc = FL_OK;
    if (cur && cur->type != FL_TYPE_HASH) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    if (cur) {
        fls_field_t **fref = htab_find(fls_rec_htab(cur), field, fh);
        old = fref ? *fref : NULL;
    }
    fl_slice_t val;
    rc = fn(ctx, old, &val);
    if (rc != FL_OK || val.n > MAX_LEN)
        goto out;
    int64_t growth =
        old ? (int64_t)val.n - (int64_t)old->vlen
            : (int64_t)fls_field_size(field.n, val.n) +
                  (cur ? 0 : (int64_t)(fls_hash_rec_size(k.n) + MIN_FBUCKETS * sizeof(void *)));
    rc = fls_quota_check(ns, growth);
    if (rc != FL_OK)
        goto out;
    fls_field_t *x = field_new(ns, k.pidx, field, fh, val.p, val.n);
    if (!x) {
        rc = FL_ENOMEM;
        goto out;
    }
    fls_rec_t **ref;
    fls_rec_t *r;
    bool created;
    rc = hash_for_write(ns, &k, now, &ref, &r, &created);
    if (rc != FL_OK) {
        fls_free(ns, k.pidx, x, fls_field_size(x->flen, x->vlen));
        goto out;
    }
    htab_put(ns, k.pidx, fls_rec_htab(r), x);
    hash_commit(ns, &k, ref, r, created, now);
out:
    fls_unlock(ns, k.part);
    return rc;
}

typedef struct incr_ctx {
    int64_t delta, result;
    char buf[24];
} incr_ctx_t;

static int incr_fn(void *ctx, const fls_field_t *old, fl_slice_t *val)
{
    incr_ctx_t *c = ctx;
    size_t n = 0;
    int rc = old ? fls_incr_text(old->data + old->flen, old->vlen, c->delta, &c->result, c->buf, &n)
                 : fls_incr_text(NULL, 0, c->delta, &c->result, c->buf, &n);
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

static int incrf_fn(void *ctx, const fls_field_t *old, fl_slice_t *val)
{
    incrf_ctx_t *c = ctx;
    long double v = 0;
    if (old && !fls_parse_ld(old->data + old->flen, old->vlen, &v))
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

static int setnx_fn(void *ctx, const fls_field_t *old, fl_slice_t *val)
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

int fl_hash_strlen(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, size_t *len)
{
    fls_key_t k;
    int rc;
    fls_rec_t *r = hash_read(ns, &k, key, &rc);
    if (rc == FL_OK) {
        fls_field_t *x = r ? field_get(ns, r, field) : NULL;
        *len = x ? x->vlen : 0;
    }
    fls_read_end(ns, &k);
    return rc;
}

/* Emits field x: its name, its value, or both. */
static void emit_field(const fl_sink_t *out, const fls_field_t *x, unsigned what)
{
    if (what & FL_HASH_FIELDS)
        out->bulk(out->ctx, x->data, x->flen);
    if (what & FL_HASH_VALUES)
        out->bulk(out->ctx, x->data + x->flen, x->vlen);
}

int fl_hash_each(fl_ns_t *ns, fl_slice_t key, unsigned what, const fl_sink_t *out)
{
    fls_key_t k;
    int rc;
    fls_rec_t *r = hash_read(ns, &k, key, &rc);
    if (rc == FL_OK) {
        fls_htab_t *ht = r ? fls_rec_htab(r) : NULL;
        size_t per = (what & FL_HASH_FIELDS ? 1 : 0) + (what & FL_HASH_VALUES ? 1 : 0);
        out->array(out->ctx, ht ? per * ht->count : 0);
        for (size_t i = 0; ht && i <= ht->mask; i++)
            for (fls_field_t *x = ht->b[i]; x; x = x->next)
                emit_field(out, x, what);
    }
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_randfield(fl_ns_t *ns, fl_slice_t key, int64_t count, bool with_values,
                      const fl_sink_t *out)
{
    fls_key_t k;
    int rc;
    fls_rec_t *r = hash_read(ns, &k, key, &rc);
    fls_field_t **all = NULL;
    unsigned what = FL_HASH_FIELDS | (with_values ? FL_HASH_VALUES : 0);
    size_t per = with_values ? 2 : 1;
    if (rc != FL_OK)
        goto out;
    fls_htab_t *ht = r ? fls_rec_htab(r) : NULL;
    size_t size = ht ? ht->count : 0;
    if (count == INT64_MIN && !ht) { /* HRANDFIELD key: one field, or nil */
        out->nil(out->ctx);
        goto out;
    }
    if (size && !(all = malloc(size * sizeof(*all)))) { /* scratch: private arena */
        rc = FL_ENOMEM;
        goto out;
    }
    size_t n = 0;
    for (size_t i = 0; ht && i <= ht->mask; i++)
        for (fls_field_t *x = ht->b[i]; x; x = x->next)
            all[n++] = x;
    if (count == INT64_MIN) {
        fls_field_t *x = all[fls_rand() % size];
        out->bulk(out->ctx, x->data, x->flen);
        goto out;
    }
    if (size == 0 || count == 0) {
        out->array(out->ctx, 0);
    } else if (count < 0) { /* repetitions allowed: -count picks */
        uint64_t picks = (uint64_t)0 - (uint64_t)count;
        out->array(out->ctx, (size_t)(picks * per));
        for (uint64_t i = 0; i < picks; i++)
            emit_field(out, all[fls_rand() % size], what);
    } else { /* distinct: a partial Fisher-Yates shuffle */
        size_t picks = (uint64_t)count < size ? (size_t)count : size;
        out->array(out->ctx, picks * per);
        for (size_t i = 0; i < picks; i++) {
            size_t j = i + (size_t)(fls_rand() % (size - i));
            fls_field_t *t = all[i];
            all[i] = all[j];
            all[j] = t;
            emit_field(out, all[i], what);
        }
    }
out:
    free(all);
    fls_read_end(ns, &k);
    return rc;
}

int fl_hash_scan(fl_ns_t *ns, fl_slice_t key, uint64_t cursor, const char *pattern,
                 size_t pattern_len, size_t count, const fl_sink_t *out, uint64_t *next)
{
    fls_key_t k;
    int rc;
    fls_rec_t *r = hash_read(ns, &k, key, &rc);
    *next = 0;
    if (rc != FL_OK)
        goto out;
    fls_htab_t *ht = r ? fls_rec_htab(r) : NULL;
    if (!ht) {
        out->array(out->ctx, 0);
        goto out;
    }
    /* The fields of whole buckets from the cursor, about `count` of them, at most count * 10
     * buckets; matching ones emitted (the array's length counted first). */
    bool all = !pattern || (pattern_len == 1 && pattern[0] == '*');
    uint64_t v = cursor, end = cursor;
    size_t seen = 0, steps = 0, emit = 0;
    do {
        for (fls_field_t *x = ht->b[end & ht->mask]; x; x = x->next) {
            seen++;
            emit += all || fl_glob_match(pattern, pattern_len, x->data, x->flen, false);
        }
        end = fls_cursor_next(end, ht->mask);
    } while (end != 0 && seen < count && ++steps < count * 10);
    out->array(out->ctx, 2 * emit);
    do {
        for (fls_field_t *x = ht->b[v & ht->mask]; x; x = x->next)
            if (all || fl_glob_match(pattern, pattern_len, x->data, x->flen, false))
                emit_field(out, x, FL_HASH_FIELDS | FL_HASH_VALUES);
        v = fls_cursor_next(v, ht->mask);
    } while (v != end);
    *next = end;
out:
    fls_read_end(ns, &k);
    return rc;
}

fls_rec_t *fls_hash_clone(fl_ns_t *ns, const fls_key_t *k, fls_rec_t *src)
{
    fls_htab_t *sh = fls_rec_htab(src);
    size_t slots = (size_t)sh->mask + 1;
    fls_rec_t *r = fls_rec_new(ns, k->pidx, FL_TYPE_HASH, k, 0, fls_rec_expiry(src),
                               atomic_load_explicit(&src->atime, memory_order_relaxed));
    fls_field_t **b = r ? fls_alloc(ns, k->pidx, slots * sizeof(*b)) : NULL;
    if (!b) {
        if (r)
            fls_free(ns, k->pidx, r, fls_rec_size(r));
        return NULL;
    }
    memset(b, 0, slots * sizeof(*b));
    fls_htab_t *ht = fls_rec_htab(r);
    ht->b = b;
    ht->mask = sh->mask;
    ht->count = 0;
    for (size_t i = 0; i < slots; i++) {
        for (fls_field_t *f = sh->b[i]; f; f = f->next) {
            size_t sz = fls_field_size(f->flen, f->vlen);
            fls_field_t *x = fls_alloc(ns, k->pidx, sz);
            if (!x) {
                fls_rec_destroy(ns, k->pidx, r);
                return NULL;
            }
            memcpy(x, f, sz); /* same seed: same field hash, same bucket */
            x->next = b[i];
            b[i] = x;
            ht->count++;
        }
    }
    return r;
}
