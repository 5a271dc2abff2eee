/*
 * src/store/multikey.c: commands over several keys that are atomic as in Redis (MGET, EXISTS,
 * DEL/UNLINK, TOUCH over several keys, the values LCS compares; RENAME and COPY use the same lock
 * set): every partition of their keys is write-locked, in ascending index order, before the first
 * key is looked at, and released after the last, so no reader sees part of an MSET and no writer
 * slips between two keys of a DEL.
 *
 * Lock order: a key set takes its partitions in ascending index order and holds no other lock
 * meanwhile, as MSET does (strings.c); every other path holds one partition lock at a time, so
 * no cycle can form. Two namespaces' partitions (COPY ... DB) are ordered by namespace index
 * first.
 */
#include <stdlib.h>

#include "store_internal.h"

static int u32_cmp(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int fls_keyset_lock(fl_ns_t *ns, const fl_slice_t *keys, size_t n, fls_keyset_t *ks)
{
    ks->ns = ns;
    ks->n = n;
    ks->nparts = 0;
    fls_group_begin(ns->store); /* ended by fls_keyset_unlock, also on the failure below */
    ks->k = n <= FLS_KEYSET_INLINE ? ks->k_inline : malloc(n * sizeof(*ks->k));
    ks->parts = n <= FLS_KEYSET_INLINE ? ks->parts_inline : malloc(n * sizeof(*ks->parts));
    if (!ks->k || !ks->parts) {
        fls_keyset_unlock(ks);
        return FL_ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        fls_key_init(ns, keys[i], &ks->k[i]);
        ks->parts[i] = ks->k[i].pidx;
    }
    qsort(ks->parts, n, sizeof(*ks->parts), u32_cmp);
    for (size_t i = 0; i < n; i++)
        if (i == 0 || ks->parts[i] != ks->parts[ks->nparts - 1])
            ks->parts[ks->nparts++] = ks->parts[i];
    for (size_t i = 0; i < ks->nparts; i++)
        fls_wrlock(ns, &ns->parts[ks->parts[i]]);
    return FL_OK;
}

void fls_keyset_unlock(fls_keyset_t *ks)
{
    fls_group_end(ks->ns->store);
    for (size_t i = 0; i < ks->nparts; i++)
        fls_unlock(ks->ns, &ks->ns->parts[ks->parts[i]]);
    ks->nparts = 0;
    if (ks->k != ks->k_inline)
        free(ks->k);
    if (ks->parts != ks->parts_inline)
        free(ks->parts);
    ks->k = NULL;
    ks->parts = NULL;
}

/* The live record of key i of a locked set (lazy expiry done), or NULL; the lookup counted as
 * `how` says. */
static fls_rec_t *keyset_get(fls_keyset_t *ks, size_t i, int64_t now, fl_lookup_t how)
{
    fls_rec_t **ref = fls_find_live(ks->ns, &ks->k[i], now);
    fls_rec_t *r = ref ? *ref : NULL;
    fls_lookup_count(ks->k[i].part, r, now, how);
    if (!r && how != FL_LOOKUP_QUIET)
        fls_key_event_miss(ks->ns, &ks->k[i]); /* keyspace notifications' "keymiss" */
    return r;
}

int fl_str_mget(fl_ns_t *ns, const fl_slice_t *keys, size_t n, const fl_sink_t *out)
{
    fls_keyset_t ks;
    if (fls_keyset_lock(ns, keys, n, &ks) != FL_OK)
        return FL_ENOMEM;
    int64_t now = fl_now_ms();
    out->array(out->ctx, n);
    for (size_t i = 0; i < n; i++) {
        fls_rec_t *r = keyset_get(&ks, i, now, FL_LOOKUP_READ);
        if (r && r->type == FL_TYPE_STRING)
            fls_emit_str(out, r);
        else
            out->nil(out->ctx); /* missing, or another type: nil, as Redis */
    }
    fls_keyset_unlock(&ks);
    return FL_OK;
}

int fl_str_read_many(fl_ns_t *ns, const fl_slice_t *keys, size_t n, fl_value_fn fn, void *ctx)
{
    fls_keyset_t ks;
    if (fls_keyset_lock(ns, keys, n, &ks) != FL_OK)
        return FL_ENOMEM;
    int64_t now = fl_now_ms();
    int rc = FL_OK;
    for (size_t i = 0; i < n && rc == FL_OK; i++) {
        fls_rec_t *r = keyset_get(&ks, i, now, FL_LOOKUP_READ);
        if (r && r->type != FL_TYPE_STRING)
            rc = FL_EWRONGTYPE;
    }
    for (size_t i = 0; i < n && rc == FL_OK; i++) {
        fls_rec_t **ref = fls_find(&ks.k[i]); /* found live above, under the same locks */
        if (ref) {
            /* Each value's view lives for its own call (a reader that keeps several, as LCS
             * and BITOP do, copies what it needs: fl_value_fn's contract). */
            fls_scratch_t s = FLS_SCRATCH_INIT;
            fn(ctx, i, fls_str_view(*ref, &s), true);
            fls_scratch_release(&s);
        } else
            fn(ctx, i, (fl_value_t){{NULL, 0}, {NULL, 0}}, false);
    }
    fls_keyset_unlock(&ks);
    return rc;
}

/* EXISTS (FL_LOOKUP_META) and TOUCH (FL_LOOKUP_READ): keys counted per argument. */
static int keys_count(fl_ns_t *ns, const fl_slice_t *keys, size_t n, fl_lookup_t how, size_t *count)
{
    fls_keyset_t ks;
    if (fls_keyset_lock(ns, keys, n, &ks) != FL_OK)
        return FL_ENOMEM;
    int64_t now = fl_now_ms();
    size_t c = 0;
    for (size_t i = 0; i < n; i++)
        c += keyset_get(&ks, i, now, how) != NULL;
    fls_keyset_unlock(&ks);
    *count = c;
    return FL_OK;
}

int fl_keys_exists(fl_ns_t *ns, const fl_slice_t *keys, size_t n, size_t *count)
{
    return keys_count(ns, keys, n, FL_LOOKUP_META, count);
}

int fl_keys_touch(fl_ns_t *ns, const fl_slice_t *keys, size_t n, size_t *count)
{
    return keys_count(ns, keys, n, FL_LOOKUP_READ, count);
}

int fl_keys_del(fl_ns_t *ns, const fl_slice_t *keys, size_t n, size_t *deleted)
{
    fls_keyset_t ks;
    if (fls_keyset_lock(ns, keys, n, &ks) != FL_OK)
        return FL_ENOMEM;
    int64_t now = fl_now_ms();
    size_t d = 0;
    for (size_t i = 0; i < n; i++) {
        fls_rec_t **ref = fls_find_live(ns, &ks.k[i], now);
        if (!ref)
            continue; /* missing, or named twice and already deleted */
        fls_commit_del(ns, ks.k[i].pidx, ref, FLS_WRITE);
        d++;
    }
    fls_keyset_unlock(&ks);
    *deleted = d;
    return FL_OK;
}
