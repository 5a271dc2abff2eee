/*
 * src/store/strings.c: string commands (GET, SET with NX/XX/KEEPTTL/GET, GETDEL, APPEND,
 * STRLEN, INCRBY). A string record is a single arena allocation: header, key, value.
 *
 * Every write follows the same order, so that a refused or failed write changes nothing and
 * emits nothing: make room (no lock) -> write lock -> lazy-expire lookup -> type and condition
 * checks -> quota check on the growth -> allocate -> emit the old value (SET GET) -> fls_commit.
 */
#include <string.h>

#include "store_internal.h"

#define MAX_LEN UINT32_MAX

/* Allocates a string record for k with room for vlen value bytes; header and key filled. */
static fls_rec_t *str_rec_new(fl_ns_t *ns, fls_key_t *k, size_t vlen, int64_t expire, int64_t now)
{
    fls_rec_t *r = fls_alloc(ns, k->pidx, fls_str_rec_size(k->n, vlen));
    if (!r)
        return NULL;
    r->next = NULL;
    r->expire_at = expire;
    r->hash = (uint32_t)k->h;
    atomic_init(&r->atime, fls_clock(now));
    r->klen = (uint32_t)k->n;
    r->vlen = (uint32_t)vlen;
    r->type = FL_TYPE_STRING;
    fls_copy(r->data, k->p, k->n);
    return r;
}

static inline char *rec_val_mut(fls_rec_t *r)
{
    return r->data + r->klen;
}

/* Links a new record for a missing key: FL_OK, or FL_ENOMEM (r freed). Write lock held. */
static int insert_new(fl_ns_t *ns, fls_key_t *k, fls_rec_t *r)
{
    fls_rec_t **ref;
    if (fls_insert_slot(ns, k, &ref) != FL_OK) {
        fls_rec_destroy(ns, k->pidx, r);
        return FL_ENOMEM;
    }
    r->next = *ref;
    fls_change_t c = {.op = FLS_PUT, .ref = ref, .rec = r};
    fls_commit(ns, k->pidx, &c);
    return FL_OK;
}

/* SET GET: the old string value, or nil. */
static void emit_old(const fl_sink_t *old, const fls_rec_t *cur)
{
    if (cur)
        old->bulk(old->ctx, fls_rec_val(cur), cur->vlen);
    else
        old->nil(old->ctx);
}

static int64_t growth(size_t new_size, size_t old_size)
{
    return (int64_t)new_size - (int64_t)old_size;
}

int fl_str_get(fl_ns_t *ns, fl_slice_t key, const fl_sink_t *out)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    int rc = FL_OK;
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), true);
    if (!r)
        out->nil(out->ctx);
    else if (r->type != FL_TYPE_STRING)
        rc = FL_EWRONGTYPE;
    else
        out->bulk(out->ctx, fls_rec_val(r), r->vlen);
    fls_read_end(ns, &k);
    return rc;
}

int fl_str_set(fl_ns_t *ns, fl_slice_t key, fl_slice_t val, const fl_set_opts_t *opts,
               const fl_sink_t *old)
{
    unsigned flags = opts ? opts->flags : 0;
    int64_t exp = opts ? opts->expire_at_ms : 0;
    if (key.n > MAX_LEN || val.n > MAX_LEN || ((flags & FL_SET_NX) && (flags & FL_SET_XX)) ||
        ((flags & FL_SET_GET) && !old) || exp < 0)
        return FL_EINVAL;
    size_t nsize = fls_str_rec_size(key.n, val.n);
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, nsize, &k, &now);
    fls_rec_t *cur = ref ? *ref : NULL;
    int rc = FL_OK;
    if ((flags & FL_SET_GET) && cur && cur->type != FL_TYPE_STRING) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    if (((flags & FL_SET_NX) && cur) || ((flags & FL_SET_XX) && !cur)) {
        if (flags & FL_SET_GET)
            emit_old(old, cur);
        rc = FL_ECOND;
        goto out;
    }
    int64_t expire = (flags & FL_SET_KEEPTTL) && cur ? cur->expire_at
                     : exp                           ? exp
                                                     : fls_default_expiry(ns, now);
    if (exp && exp <= now && !((flags & FL_SET_KEEPTTL) && cur)) {
        /* An expiry in the past: the write happens and the key is gone at once. */
        if (flags & FL_SET_GET)
            emit_old(old, cur);
        if (cur)
            fls_commit_del(ns, k.pidx, ref, FLS_WRITE);
        goto out;
    }
    rc = fls_quota_check(ns, growth(nsize, cur ? fls_rec_total(cur) : 0));
    if (rc != FL_OK)
        goto out;
    fls_rec_t *r = str_rec_new(ns, &k, val.n, expire, now);
    if (!r) {
        rc = FL_ENOMEM;
        goto out;
    }
    fls_copy(rec_val_mut(r), val.p, val.n);
    if (flags & FL_SET_GET)
        emit_old(old, cur);
    if (cur) {
        r->next = cur->next;
        fls_change_t c = {.op = FLS_PUT,
                          .ref = ref,
                          .rec = r,
                          .old = cur,
                          .had_key = true,
                          .had_ttl = cur->expire_at != 0};
        fls_commit(ns, k.pidx, &c);
    } else {
        rc = insert_new(ns, &k, r);
    }
out:
    fls_unlock(ns, k.part);
    return rc;
}

int fl_str_getdel(fl_ns_t *ns, fl_slice_t key, const fl_sink_t *out)
{
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, 0, &k, &now);
    int rc = FL_OK;
    atomic_fetch_add_explicit(ref ? &k.part->hits : &k.part->misses, 1, memory_order_relaxed);
    if (!ref) {
        out->nil(out->ctx);
    } else if ((*ref)->type != FL_TYPE_STRING) {
        rc = FL_EWRONGTYPE;
    } else {
        out->bulk(out->ctx, fls_rec_val(*ref), (*ref)->vlen);
        fls_commit_del(ns, k.pidx, ref, FLS_WRITE);
    }
    fls_unlock(ns, k.part);
    return rc;
}

/* Replaces the value of the string record at *ref by buf[0..n) (write lock held, quota already
 * checked): in place when the length is unchanged, else by reallocation. */
static int str_replace_value(fl_ns_t *ns, fls_key_t *k, fls_rec_t **ref, const char *buf, size_t n)
{
    fls_rec_t *cur = *ref;
    bool had_ttl = cur->expire_at != 0;
    fls_rec_t *r = cur;
    if (n != cur->vlen) {
        r = fls_realloc(ns, k->pidx, cur, fls_rec_size(cur), fls_str_rec_size(cur->klen, n));
        if (!r)
            return FL_ENOMEM;
        r->vlen = (uint32_t)n;
    }
    memcpy(rec_val_mut(r), buf, n);
    fls_change_t c = {.op = r == cur ? FLS_MODIFY : FLS_PUT,
                      .ref = ref,
                      .rec = r,
                      .had_key = true,
                      .had_ttl = had_ttl};
    fls_commit(ns, k->pidx, &c);
    return FL_OK;
}

int fl_str_append(fl_ns_t *ns, fl_slice_t key, fl_slice_t val, size_t *new_len)
{
    if (key.n > MAX_LEN || val.n > MAX_LEN)
        return FL_EINVAL;
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, val.n, &k, &now);
    fls_rec_t *cur = ref ? *ref : NULL;
    int rc = FL_OK;
    if (cur && cur->type != FL_TYPE_STRING) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    size_t old_len = cur ? cur->vlen : 0;
    if (old_len + val.n > MAX_LEN) {
        rc = FL_EINVAL;
        goto out;
    }
    rc = fls_quota_check(
        ns, growth(fls_str_rec_size(k.n, old_len + val.n), cur ? fls_rec_size(cur) : 0));
    if (rc != FL_OK)
        goto out;
    if (cur) {
        bool had_ttl = cur->expire_at != 0;
        fls_rec_t *r =
            fls_realloc(ns, k.pidx, cur, fls_rec_size(cur), fls_str_rec_size(k.n, old_len + val.n));
        if (!r) {
            rc = FL_ENOMEM;
            goto out;
        }
        fls_copy(rec_val_mut(r) + old_len, val.p, val.n);
        r->vlen = (uint32_t)(old_len + val.n);
        fls_touch(r, now);
        fls_change_t c = {.op = FLS_PUT, .ref = ref, .rec = r, .had_key = true, .had_ttl = had_ttl};
        fls_commit(ns, k.pidx, &c);
    } else {
        fls_rec_t *r = str_rec_new(ns, &k, val.n, fls_default_expiry(ns, now), now);
        if (!r) {
            rc = FL_ENOMEM;
            goto out;
        }
        fls_copy(rec_val_mut(r), val.p, val.n);
        rc = insert_new(ns, &k, r);
    }
    if (rc == FL_OK && new_len)
        *new_len = old_len + val.n;
out:
    fls_unlock(ns, k.part);
    return rc;
}

int fl_str_len(fl_ns_t *ns, fl_slice_t key, size_t *len)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    int rc = FL_OK;
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), true);
    if (!r)
        *len = 0;
    else if (r->type != FL_TYPE_STRING)
        rc = FL_EWRONGTYPE;
    else
        *len = r->vlen;
    fls_read_end(ns, &k);
    return rc;
}

int fl_str_incrby(fl_ns_t *ns, fl_slice_t key, int64_t delta, int64_t *result)
{
    if (key.n > MAX_LEN)
        return FL_EINVAL;
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, fls_str_rec_size(key.n, 20), &k, &now);
    fls_rec_t *cur = ref ? *ref : NULL;
    int rc = FL_OK;
    int64_t v = 0;
    char buf[24];
    size_t n = 0;
    if (cur && cur->type != FL_TYPE_STRING) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    rc = cur ? fls_incr_text(fls_rec_val(cur), cur->vlen, delta, &v, buf, &n)
             : fls_incr_text(NULL, 0, delta, &v, buf, &n);
    if (rc != FL_OK)
        goto out;
    rc = fls_quota_check(ns, growth(fls_str_rec_size(k.n, n), cur ? fls_rec_size(cur) : 0));
    if (rc != FL_OK)
        goto out;
    if (cur) {
        rc = str_replace_value(ns, &k, ref, buf, n);
        if (rc == FL_OK)
            fls_touch(*ref, now);
    } else {
        fls_rec_t *r = str_rec_new(ns, &k, n, fls_default_expiry(ns, now), now);
        if (!r) {
            rc = FL_ENOMEM;
            goto out;
        }
        memcpy(rec_val_mut(r), buf, n);
        rc = insert_new(ns, &k, r);
    }
    if (rc == FL_OK && result)
        *result = v;
out:
    fls_unlock(ns, k.part);
    return rc;
}
