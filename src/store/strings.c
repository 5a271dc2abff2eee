/*
 * src/store/strings.c: string commands (GET, SET with NX/XX/KEEPTTL/GET, GETDEL, APPEND,
 * STRLEN, INCRBY, MSET/MSETNX, GETEX, SETRANGE, GETRANGE, INCRBYFLOAT). A string record is a
 * single arena allocation (header, key, value), or two for a large value (value.c): values are
 * read through fls_str_view and written through fls_str_put / fls_str_fill only.
 *
 * Every write follows the same order, so that a refused or failed write changes nothing and
 * emits nothing: make room (no lock) -> write lock -> lazy-expire lookup -> type and condition
 * checks -> quota check on the growth -> allocate -> emit the old value (SET GET) -> fls_commit.
 * MSET follows the same order over all its keys at once: it write-locks every partition
 * involved, in ascending index order (the only path holding more than one partition lock; all
 * others hold one at a time, so no cycle can form), checks the quota for the total growth,
 * allocates every record, and only then commits them all.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_internal.h"

#define MAX_LEN UINT32_MAX

/* Allocates a string record for k with room for vlen value bytes; header and key filled. */
static fls_rec_t *str_rec_new(fl_ns_t *ns, fls_key_t *k, size_t vlen, int64_t expire, int64_t now)
{
    return fls_rec_new(ns, k->pidx, FL_TYPE_STRING, k, vlen, expire, fls_access_new(now));
}

/* SET GET: the old string value, or nil. */
static void emit_old(const fl_sink_t *old, const fls_rec_t *cur)
{
    if (cur)
        fls_emit(old, fls_str_view(cur));
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
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), FL_LOOKUP_READ);
    if (!r)
        out->nil(out->ctx);
    else if (r->type != FL_TYPE_STRING)
        rc = FL_EWRONGTYPE;
    else
        fls_emit(out, fls_str_view(r));
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
    int64_t expire = (flags & FL_SET_KEEPTTL) && cur ? fls_rec_expiry(cur)
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
    fls_str_put(r, 0, val.p, val.n);
    if (flags & FL_SET_GET)
        emit_old(old, cur);
    if (cur) {
        fls_commit_replace(ns, k.pidx, ref, r);
    } else {
        rc = fls_commit_insert(ns, &k, r);
    }
out:
    fls_unlock(ns, k.part);
    return rc;
}

/* One MSET pair located: its key, the pair's index, whether a later pair has the same key. */
typedef struct mset_ent {
    fls_key_t k;
    size_t pair;
    bool shadowed;
} mset_ent_t;

static int key_cmp(const fls_key_t *a, const fls_key_t *b)
{
    if (a->pidx != b->pidx)
        return a->pidx < b->pidx ? -1 : 1;
    if (a->h != b->h)
        return a->h < b->h ? -1 : 1;
    if (a->n != b->n)
        return a->n < b->n ? -1 : 1;
    return a->n ? memcmp(a->p, b->p, a->n) : 0;
}

/* Partition order, then key; equal keys in pair order (so the last one is the one kept). */
static int mset_cmp(const void *pa, const void *pb)
{
    const mset_ent_t *a = pa, *b = pb;
    int c = key_cmp(&a->k, &b->k);
    if (c)
        return c;
    return a->pair < b->pair ? -1 : a->pair > b->pair;
}

/* Ends the MSET's group (opened before its locks) and unlocks the distinct partitions of
 * e[0..n) (sorted by partition). */
static void mset_unlock(fl_ns_t *ns, const mset_ent_t *e, size_t n)
{
    fls_group_end(ns->store);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || e[i].k.pidx != e[i - 1].k.pidx)
            fls_unlock(ns, e[i].k.part);
}

/* Keys of e[i..n) (sorted by partition) that MSET writes in e[i]'s partition. */
static size_t part_run(const mset_ent_t *e, size_t n, size_t i)
{
    size_t keys = 0;
    for (size_t j = i; j < n && e[j].k.pidx == e[i].k.pidx; j++)
        keys += !e[j].shadowed;
    return keys;
}

/* MSET, and MSETNX (nx: nothing is written when a key exists; *set tells). */
static int mset_generic(fl_ns_t *ns, const fl_slice_t *kv, size_t n_pairs, bool nx, bool *set)
{
    *set = false;
    if (n_pairs == 0)
        return FL_OK;
    size_t hint = 0;
    for (size_t i = 0; i < n_pairs; i++) {
        if (kv[2 * i].n > MAX_LEN || kv[2 * i + 1].n > MAX_LEN)
            return FL_EINVAL;
        size_t sz = fls_str_rec_size(kv[2 * i].n, kv[2 * i + 1].n);
        hint = hint > SIZE_MAX - sz ? SIZE_MAX : hint + sz;
    }
    if (n_pairs > SIZE_MAX / (sizeof(mset_ent_t) + sizeof(fls_rec_t *)))
        return FL_ENOMEM;
    /* Scratch (the caller's private arena): located keys and the new records. */
    mset_ent_t *e = malloc(n_pairs * sizeof(*e));
    fls_rec_t **recs = calloc(n_pairs, sizeof(*recs));
    if (!e || !recs) {
        free(e);
        free(recs);
        return FL_ENOMEM;
    }
    for (size_t i = 0; i < n_pairs; i++) {
        fls_key_init(ns, kv[2 * i], &e[i].k);
        e[i].pair = i;
    }
    qsort(e, n_pairs, sizeof(*e), mset_cmp);
    for (size_t i = 0; i < n_pairs; i++)
        e[i].shadowed = i + 1 < n_pairs && key_cmp(&e[i].k, &e[i + 1].k) == 0;

    fls_make_room(ns, hint);
    int64_t now = fl_now_ms();
    fls_group_begin(ns->store); /* one unit for the log (ended by mset_unlock) */
    for (size_t i = 0; i < n_pairs; i++)
        if (i == 0 || e[i].k.pidx != e[i - 1].k.pidx)
            fls_wrlock(ns, e[i].k.part);
    /* Lazy expiry first (it may reshape tables), then the total growth against the quota. */
    int64_t grow = 0;
    bool exists = false;
    for (size_t i = 0; i < n_pairs; i++) {
        if (e[i].shadowed)
            continue;
        fls_rec_t **ref = fls_find_live(ns, &e[i].k, now);
        exists |= ref != NULL;
        grow += growth(fls_str_rec_size(e[i].k.n, kv[2 * e[i].pair + 1].n),
                       ref ? fls_rec_total(*ref) : 0);
    }
    int rc = nx && exists ? FL_ECOND : fls_quota_check(ns, grow);
    if (rc != FL_OK)
        goto out;
    /* Every allocation before the first commit: room in each partition's index for its keys,
     * and every record. (An index created here and left empty by a failure is freed by the
     * partition's next commit.) */
    int64_t expire = fls_default_expiry(ns, now);
    for (size_t i = 0; i < n_pairs && rc == FL_OK; i++) {
        if ((i == 0 || e[i].k.pidx != e[i - 1].k.pidx) &&
            fls_part_reserve(ns, &e[i].k, part_run(e, n_pairs, i)) != FL_OK) {
            rc = FL_ENOMEM;
            break;
        }
        if (e[i].shadowed)
            continue;
        const fl_slice_t *v = &kv[2 * e[i].pair + 1];
        if (!(recs[i] = str_rec_new(ns, &e[i].k, v->n, expire, now))) {
            rc = FL_ENOMEM;
            break;
        }
        fls_str_put(recs[i], 0, v->p, v->n);
    }
    if (rc != FL_OK) {
        for (size_t i = 0; i < n_pairs; i++)
            if (recs[i])
                fls_rec_destroy(ns, e[i].k.pidx, recs[i]);
        goto out;
    }
    /* The commits: none can fail (tables exist, and commits only grow them here). */
    for (size_t i = 0; i < n_pairs; i++) {
        if (e[i].shadowed)
            continue;
        fls_rec_t **ref = fls_find(&e[i].k), *r = recs[i];
        if (ref) {
            fls_commit_replace(ns, e[i].k.pidx, ref, r);
        } else {
            fls_rec_t **slot;
            int ok = fls_insert_slot(ns, &e[i].k, &slot);
            FL_ASSERT(ok == FL_OK); /* reserved above */
            fls_change_t c = {.op = FLS_PUT, .ref = slot, .rec = r};
            fls_commit(ns, e[i].k.pidx, &c);
        }
    }
    *set = true;
out:
    mset_unlock(ns, e, n_pairs);
    free(e);
    free(recs);
    return rc == FL_ECOND ? FL_OK : rc;
}

int fl_str_mset(fl_ns_t *ns, const fl_slice_t *kv, size_t n_pairs)
{
    bool set;
    return mset_generic(ns, kv, n_pairs, false, &set);
}

int fl_str_msetnx(fl_ns_t *ns, const fl_slice_t *kv, size_t n_pairs, bool *set)
{
    return mset_generic(ns, kv, n_pairs, true, set);
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
        fls_emit(out, fls_str_view(*ref));
        fls_commit_del(ns, k.pidx, ref, FLS_WRITE);
    }
    fls_unlock(ns, k.part);
    return rc;
}

/* Replaces the value of the string record at *ref by buf[0..n) (write lock held, quota already
 * checked): in place when the length is unchanged, else by reallocation. */
static int str_replace_value(fl_ns_t *ns, fls_key_t *k, fls_rec_t **ref, const char *buf, size_t n)
{
    FLS_ASSERT_WRLOCKED(k->part);
    fls_rec_t *cur = *ref;
    bool had_ttl = fls_rec_expiry(cur) != 0;
    fls_rec_t *r = cur;
    if (n != fls_rec_vlen(cur)) {
        r = fls_str_resize(ns, k->pidx, cur, n);
        if (!r)
            return FL_ENOMEM;
    }
    fls_str_put(r, 0, buf, n);
    r->raw = 0; /* a whole new value (INCR's number): encoded by its content again */
    fls_change_t c = {.op = r == cur ? FLS_MODIFY : FLS_PUT,
                      .ref = ref,
                      .rec = r,
                      .had_key = true,
                      .had_ttl = had_ttl,
                      .same_ttl = true};
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
    size_t old_len = cur ? fls_rec_vlen(cur) : 0;
    if (old_len + val.n > MAX_LEN) {
        rc = FL_EINVAL;
        goto out;
    }
    rc = fls_quota_check(
        ns, growth(fls_str_rec_size(k.n, old_len + val.n), cur ? fls_rec_size(cur) : 0));
    if (rc != FL_OK)
        goto out;
    if (cur) {
        bool had_ttl = fls_rec_expiry(cur) != 0;
        fls_rec_t *r = fls_str_resize(ns, k.pidx, cur, old_len + val.n);
        if (!r) {
            rc = FL_ENOMEM;
            goto out;
        }
        fls_str_put(r, old_len, val.p, val.n);
        r->raw = 1;
        fls_touch(r, now);
        fls_change_t c = {.op = FLS_PUT,
                          .ref = ref,
                          .rec = r,
                          .had_key = true,
                          .had_ttl = had_ttl,
                          .same_ttl = true};
        fls_commit(ns, k.pidx, &c);
    } else {
        fls_rec_t *r = str_rec_new(ns, &k, val.n, fls_default_expiry(ns, now), now);
        if (!r) {
            rc = FL_ENOMEM;
            goto out;
        }
        fls_str_put(r, 0, val.p, val.n);
        rc = fls_commit_insert(ns, &k, r);
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
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), FL_LOOKUP_READ);
    if (!r)
        *len = 0;
    else if (r->type != FL_TYPE_STRING)
        rc = FL_EWRONGTYPE;
    else
        *len = fls_rec_vlen(r);
    fls_read_end(ns, &k);
    return rc;
}

/* INCRBY/INCRBYFLOAT's write (write lock held): the key's string value becomes buf[0, n), in
 * place of the record at *ref (NULL: a new key, with the namespace's default TTL). FL_OK, FL_EOOM
 * or FL_ENOMEM, nothing changed on an error. */
static int put_text(fl_ns_t *ns, fls_key_t *k, fls_rec_t **ref, const char *buf, size_t n,
                    int64_t now)
{
    fls_rec_t *cur = ref ? *ref : NULL;
    int rc = fls_quota_check(ns, growth(fls_str_rec_size(k->n, n), cur ? fls_rec_size(cur) : 0));
    if (rc != FL_OK)
        return rc;
    if (cur) {
        rc = str_replace_value(ns, k, ref, buf, n);
        if (rc == FL_OK)
            fls_touch(*ref, now);
        return rc;
    }
    fls_rec_t *r = str_rec_new(ns, k, n, fls_default_expiry(ns, now), now);
    if (!r)
        return FL_ENOMEM;
    fls_str_put(r, 0, buf, n);
    return fls_commit_insert(ns, k, r);
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
    char text[24]; /* longer is no integer */
    fl_slice_t t = {NULL, 0};
    if (cur && !fls_str_text(cur, text, sizeof(text), &t)) {
        rc = FL_ENOTINT;
        goto out;
    }
    rc = fls_incr_text(cur ? t.p : NULL, t.n, delta, &v, buf, &n);
    if (rc != FL_OK)
        goto out;
    rc = put_text(ns, &k, ref, buf, n, now);
    if (rc == FL_OK && result)
        *result = v;
out:
    fls_unlock(ns, k.part);
    return rc;
}

int fl_str_getex(fl_ns_t *ns, fl_slice_t key, int64_t at_ms, bool persist, const fl_sink_t *out)
{
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, 0, &k, &now);
    int rc = FL_OK;
    atomic_fetch_add_explicit(ref ? &k.part->hits : &k.part->misses, 1, memory_order_relaxed);
    if (!ref) {
        out->nil(out->ctx);
        goto out;
    }
    fls_rec_t *r = *ref;
    if (r->type != FL_TYPE_STRING) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    int64_t at = fls_rec_expiry(r);
    bool gone = at_ms > 0 && at_ms <= now;
    bool retime = !gone && ((at_ms > 0 && at != at_ms) || (persist && at != 0));
    /* The expiry's slot first (it may move the record): a failure emits nothing. */
    if (retime && (rc = fls_rec_set_expiry(ns, k.pidx, ref, persist ? 0 : at_ms)) != FL_OK)
        goto out;
    r = *ref;
    fls_emit(out, fls_str_view(r));
    fls_touch(r, now);
    if (gone) {
        fls_commit_del(ns, k.pidx, ref, FLS_WRITE);
    } else if (retime) {
        fls_change_t c = {.op = FLS_MODIFY, .rec = r, .had_key = true, .had_ttl = at != 0};
        fls_commit(ns, k.pidx, &c);
    }
out:
    fls_unlock(ns, k.part);
    return rc;
}

int fl_str_setrange(fl_ns_t *ns, fl_slice_t key, size_t offset, fl_slice_t val, size_t *new_len)
{
    if (key.n > MAX_LEN || offset > MAX_LEN || val.n > MAX_LEN - offset)
        return FL_EINVAL;
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, offset + val.n, &k, &now);
    fls_rec_t *cur = ref ? *ref : NULL;
    int rc = FL_OK;
    if (cur && cur->type != FL_TYPE_STRING) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    size_t old_len = cur ? fls_rec_vlen(cur) : 0;
    size_t len = val.n == 0 ? old_len : (offset + val.n > old_len ? offset + val.n : old_len);
    *new_len = len;
    if (val.n == 0)
        goto out; /* nothing to write (and no key to create) */
    rc = fls_quota_check(ns, growth(fls_str_rec_size(k.n, len), cur ? fls_rec_size(cur) : 0));
    if (rc != FL_OK)
        goto out;
    if (!cur) {
        fls_rec_t *r = str_rec_new(ns, &k, len, fls_default_expiry(ns, now), now);
        if (!r) {
            rc = FL_ENOMEM;
            goto out;
        }
        fls_str_fill(r, 0, 0, offset);
        fls_str_put(r, offset, val.p, val.n);
        r->raw = 1;
        rc = fls_commit_insert(ns, &k, r);
        goto out;
    }
    bool had_ttl = fls_rec_expiry(cur) != 0;
    fls_rec_t *r = cur;
    if (len != old_len) {
        r = fls_str_resize(ns, k.pidx, cur, len);
        if (!r) {
            rc = FL_ENOMEM;
            goto out;
        }
        fls_str_fill(r, old_len, 0, len - old_len);
    }
    fls_str_put(r, offset, val.p, val.n);
    r->raw = 1;
    fls_touch(r, now);
    /* Logged as the command, not the value: a few bytes changed in a large value (an HLL's
     * registers) cost a few bytes of log. */
    fl_delta_t d = {
        .verb = "SETRANGE", .nums = {(int64_t)offset}, .n_nums = 1, .args = &val, .n_args = 1};
    fls_change_t c = {.op = r == cur ? FLS_MODIFY : FLS_PUT,
                      .ref = ref,
                      .rec = r,
                      .had_key = true,
                      .had_ttl = had_ttl,
                      .same_ttl = true,
                      .delta = &d};
    fls_commit(ns, k.pidx, &c);
out:
    fls_unlock(ns, k.part);
    return rc;
}

int fl_str_getrange(fl_ns_t *ns, fl_slice_t key, int64_t start, int64_t end, const fl_sink_t *out)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    int rc = FL_OK;
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), FL_LOOKUP_READ);
    if (r && r->type != FL_TYPE_STRING) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    int64_t len = r ? fls_rec_vlen(r) : 0;
    /* Redis's getrange: both negative and crossed is empty; clamp; past the end is the end. */
    if (start < 0 && end < 0 && start > end) {
        out->bulk(out->ctx, "", 0);
        goto out;
    }
    if (start < 0)
        start = len + start;
    if (end < 0)
        end = len + end;
    if (start < 0)
        start = 0;
    if (end < 0)
        end = 0;
    if (end >= len)
        end = len - 1;
    if (len == 0 || start > end)
        out->bulk(out->ctx, "", 0);
    else
        fls_emit(out, fl_value_sub(fls_str_view(r), (size_t)start, (size_t)(end - start + 1)));
out:
    fls_read_end(ns, &k);
    return rc;
}

bool fls_parse_ld(const char *p, size_t n, long double *out)
{
    char buf[FL_FLOAT_BUF];
    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, p, n);
    buf[n] = '\0';
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || *end != '\0' || (size_t)(end - buf) != n ||
        (errno == ERANGE && (v == HUGE_VALL || v == -HUGE_VALL || fpclassify(v) == FP_ZERO)) ||
        errno == EINVAL || isnan(v))
        return false;
    *out = v;
    return true;
}

size_t fls_fmt_ld(long double v, char *buf, size_t cap)
{
    int l = snprintf(buf, cap, "%.17Lf", v);
    if (l < 0 || (size_t)l >= cap)
        return 0;
    size_t n = (size_t)l;
    if (memchr(buf, '.', n)) { /* trailing zeros after the point, then the point */
        while (buf[n - 1] == '0')
            n--;
        if (buf[n - 1] == '.')
            n--;
    }
    if (n == 2 && buf[0] == '-' && buf[1] == '0') { /* no negative zero */
        buf[0] = '0';
        n = 1;
    }
    buf[n] = '\0';
    return n;
}

int fl_str_incrbyfloat(fl_ns_t *ns, fl_slice_t key, fl_slice_t incr, char *buf, size_t *len)
{
    long double d;
    if (key.n > MAX_LEN)
        return FL_EINVAL;
    if (!fls_parse_ld(incr.p, incr.n, &d))
        return FL_ENOTFLOAT;
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, fls_str_rec_size(key.n, 40), &k, &now);
    fls_rec_t *cur = ref ? *ref : NULL;
    int rc = FL_OK;
    long double v = 0;
    if (cur && cur->type != FL_TYPE_STRING) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    char text[FL_FLOAT_BUF - 1]; /* longer is no float (fls_parse_ld) */
    fl_slice_t t;
    if (cur && !(fls_str_text(cur, text, sizeof(text), &t) && fls_parse_ld(t.p, t.n, &v))) {
        rc = FL_ENOTFLOAT;
        goto out;
    }
    v += d;
    size_t n;
    if (isnan(v) || isinf(v)) {
        rc = FL_ENAN;
        goto out;
    }
    if ((n = fls_fmt_ld(v, buf, FL_FLOAT_BUF)) == 0) {
        rc = FL_ENOTFLOAT;
        goto out;
    }
    rc = put_text(ns, &k, ref, buf, n, now);
    if (rc == FL_OK)
        *len = n;
out:
    fls_unlock(ns, k.part);
    return rc;
}

fls_rec_t *fls_str_clone(fl_ns_t *ns, const fls_key_t *k, fls_rec_t *src)
{
    size_t vlen = fls_rec_vlen(src);
    fls_rec_t *r = fls_rec_new(ns, k->pidx, FL_TYPE_STRING, k, vlen, fls_rec_expiry(src),
                               atomic_load_explicit(&src->atime, memory_order_relaxed));
    if (r) {
        fl_value_t v = fls_str_view(src);
        fls_str_put(r, 0, v.head.p, v.head.n);
        fls_str_put(r, v.head.n, v.tail.p, v.tail.n);
        r->raw = src->raw; /* Redis's COPY duplicates the encoding too */
    }
    return r;
}

int fl_str_setbit(fl_ns_t *ns, fl_slice_t key, uint64_t bit, bool on, bool *was)
{
    uint64_t byte = bit >> 3;
    if (key.n > MAX_LEN || byte >= MAX_LEN)
        return FL_EINVAL;
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, (size_t)byte + 1, &k, &now);
    fls_rec_t *cur = ref ? *ref : NULL;
    int rc = FL_OK;
    unsigned mask = 1u << (7 - (bit & 7));
    if (cur && cur->type != FL_TYPE_STRING) {
        rc = FL_EWRONGTYPE;
        goto out;
    }
    size_t old_len = cur ? fls_rec_vlen(cur) : 0;
    size_t len = byte + 1 > old_len ? (size_t)byte + 1 : old_len;
    unsigned char old = 0;
    if (byte < old_len)
        fl_value_copy(fls_str_view(cur), (size_t)byte, 1, &old);
    *was = old & mask;
    if (cur && len == old_len && *was == on) { /* as Redis: no change, no write (nor log) */
        cur->raw = 1; /* but Redis unshared the value: OBJECT ENCODING says "raw" */
        fls_touch(cur, now);
        goto out;
    }
    rc = fls_quota_check(ns, growth(fls_str_rec_size(k.n, len), cur ? fls_rec_size(cur) : 0));
    if (rc != FL_OK)
        goto out;
    fls_rec_t *r = cur;
    if (!cur) {
        r = str_rec_new(ns, &k, len, fls_default_expiry(ns, now), now);
        if (!r) {
            rc = FL_ENOMEM;
            goto out;
        }
        fls_str_fill(r, 0, 0, len);
    } else if (len != old_len) {
        r = fls_str_resize(ns, k.pidx, cur, len);
        if (!r) {
            rc = FL_ENOMEM;
            goto out;
        }
        fls_str_fill(r, old_len, 0, len - old_len);
    }
    unsigned char b = (unsigned char)(on ? old | mask : old & ~mask);
    fls_str_put(r, (size_t)byte, &b, 1);
    r->raw = 1;
    if (!cur) {
        rc = fls_commit_insert(ns, &k, r);
        goto out;
    }
    fls_touch(r, now);
    fls_change_t c = {.op = r == cur ? FLS_MODIFY : FLS_PUT,
                      .ref = ref,
                      .rec = r,
                      .had_key = true,
                      .had_ttl = fls_rec_expiry(r) != 0, /* the record kept its expiry */
                      .same_ttl = true};
    fls_commit(ns, k.pidx, &c);
out:
    fls_unlock(ns, k.part);
    return rc;
}

int fl_str_getbit(fl_ns_t *ns, fl_slice_t key, uint64_t bit, bool *set)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    int rc = FL_OK;
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), FL_LOOKUP_READ);
    *set = false;
    if (r && r->type != FL_TYPE_STRING)
        rc = FL_EWRONGTYPE;
    else if (r && (bit >> 3) < fls_rec_vlen(r)) {
        unsigned char b;
        fl_value_copy(fls_str_view(r), (size_t)(bit >> 3), 1, &b);
        *set = b & (1u << (7 - (bit & 7)));
    }
    fls_read_end(ns, &k);
    return rc;
}
