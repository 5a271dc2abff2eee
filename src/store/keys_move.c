/*
 * src/store/keys_move.c: commands that move or copy a value of any type between keys (RENAME,
 * RENAMENX, COPY), pick a key (RANDOMKEY), or describe one without touching it (OBJECT).
 *
 * A value is moved or copied by its type's clone (types.c): a new record under the new key,
 * built completely before anything is linked, so FL_ENOMEM or FL_EOOM change nothing. RENAME
 * and a COPY inside one namespace hold both keys' partitions (multikey.c's key set, ascending
 * order) from the lookups to the last commit: atomic. A COPY to another namespace clones under
 * the source's lock, then links under the destination's (one partition lock at a time, the
 * lock order of store_internal.h): the copy is the source as it was at some instant.
 *
 * Writes go through the commit point: the new record first (PUT), then the source's removal
 * (DEL), re-finding each slot after the commit before it, since a commit may resize the table.
 */
#include <string.h>

#include "store_internal.h"

static bool same_key(const fls_key_t *a, const fls_key_t *b)
{
    return a->pidx == b->pidx && a->n == b->n && (a->n == 0 || memcmp(a->p, b->p, a->n) == 0);
}

/* Links r as the record of key k, replacing the live record there if any (write lock held).
 * FL_ENOMEM (r freed, nothing changed) when the partition's table cannot be created. */
static int link_rec(fl_ns_t *ns, fls_key_t *k, fls_rec_t *r)
{
    fls_rec_t **ref = fls_find(k);
    if (!ref)
        return fls_commit_insert(ns, k, r);
    fls_commit_replace(ns, k->pidx, ref, r);
    return FL_OK;
}

/* A clone of src for key k in ns after the quota check: FL_OK, FL_EOOM, FL_ENOMEM. `replaced`
 * is the record k holds now (its bytes are given back), or NULL. */
static int clone_for(fl_ns_t *ns, fls_key_t *k, fls_rec_t *src, fls_rec_t *replaced,
                     fls_rec_t **out)
{
    const fls_type_ops_t *ops = fls_type_ops(src->type);
    if (!ops)
        return FL_EINVAL;
    int64_t grow = (int64_t)fls_rec_total(src) + (int64_t)k->n - (int64_t)fls_rec_klen(src) -
                   (replaced ? (int64_t)fls_rec_total(replaced) : 0);
    int rc = fls_quota_check(ns, grow);
    if (rc != FL_OK)
        return rc;
    *out = ops->clone(ns, k, src);
    return *out ? FL_OK : FL_ENOMEM;
}

int fl_key_rename(fl_ns_t *ns, fl_slice_t src, fl_slice_t dst, bool nx, bool *renamed)
{
    fl_slice_t keys[2] = {src, dst};
    fls_keyset_t ks;
    *renamed = false;
    if (fls_keyset_lock(ns, keys, 2, &ks) != FL_OK)
        return FL_ENOMEM;
    int64_t now = fl_now_ms();
    fls_key_t *ks_src = &ks.k[0], *ks_dst = &ks.k[1];
    int rc = FL_OK;
    /* Lazy expiry of both first (a deletion may reshape the table), then the slots. */
    fls_find_live(ns, ks_dst, now);
    fls_rec_t **sref = fls_find_live(ns, ks_src, now);
    if (!sref) {
        rc = FL_ENOKEY;
        goto out;
    }
    if (same_key(ks_src, ks_dst)) {
        *renamed = !nx; /* Redis: RENAME k k is OK, RENAMENX k k is 0 */
        goto out;
    }
    fls_rec_t **dref = fls_find(ks_dst);
    if (nx && dref)
        goto out;
    fls_rec_t *r;
    rc = clone_for(ns, ks_dst, *sref, dref ? *dref : NULL, &r);
    if (rc != FL_OK)
        goto out;
    rc = link_rec(ns, ks_dst, r);
    if (rc != FL_OK)
        goto out;
    sref = fls_find(ks_src); /* the commit may have resized the table */
    fls_commit_del(ns, ks_src->pidx, sref, FLS_WRITE);
    *renamed = true;
out:
    fls_keyset_unlock(&ks);
    return rc;
}

/* COPY inside one namespace: both keys locked throughout. */
static int copy_local(fl_ns_t *ns, fl_slice_t src, fl_slice_t dst, bool replace, bool *copied)
{
    fl_slice_t keys[2] = {src, dst};
    fls_keyset_t ks;
    if (fls_keyset_lock(ns, keys, 2, &ks) != FL_OK)
        return FL_ENOMEM;
    int64_t now = fl_now_ms();
    int rc = FL_OK;
    fls_find_live(ns, &ks.k[1], now);
    fls_rec_t **sref = fls_find_live(ns, &ks.k[0], now);
    fls_rec_t **dref = fls_find(&ks.k[1]);
    if (!sref || (dref && !replace))
        goto out;
    fls_rec_t *r;
    rc = clone_for(ns, &ks.k[1], *sref, dref ? *dref : NULL, &r);
    if (rc == FL_OK)
        rc = link_rec(ns, &ks.k[1], r);
    *copied = rc == FL_OK;
out:
    fls_keyset_unlock(&ks);
    return rc;
}

int fl_key_copy(fl_ns_t *src_ns, fl_slice_t src, fl_ns_t *dst_ns, fl_slice_t dst, bool replace,
                bool *copied)
{
    *copied = false;
    if (src_ns == dst_ns)
        return copy_local(src_ns, src, dst, replace, copied);
    fls_key_t sk, dk;
    fls_key_init(dst_ns, dst, &dk);
    int64_t now;
    fls_rec_t **sref = fls_write_begin(src_ns, src, 0, &sk, &now);
    fls_rec_t *r = NULL;
    const fls_type_ops_t *ops = sref ? fls_type_ops((*sref)->type) : NULL;
    if (ops)
        r = ops->clone(dst_ns, &dk, *sref);
    fls_unlock(src_ns, sk.part);
    if (!sref)
        return FL_OK;
    if (!r)
        return ops ? FL_ENOMEM : FL_EINVAL;
    fls_make_room(dst_ns, fls_rec_total(r));
    fls_wrlock(dst_ns, dk.part);
    fls_rec_t **dref = fls_find_live(dst_ns, &dk, fl_now_ms());
    int rc = FL_OK;
    if (dref && !replace) {
        fls_rec_destroy(dst_ns, dk.pidx, r);
    } else {
        int64_t grow = (int64_t)fls_rec_total(r) - (dref ? (int64_t)fls_rec_total(*dref) : 0);
        rc = fls_quota_check(dst_ns, grow);
        if (rc != FL_OK)
            fls_rec_destroy(dst_ns, dk.pidx, r);
        else
            rc = link_rec(dst_ns, &dk, r);
        *copied = rc == FL_OK;
    }
    fls_unlock(dst_ns, dk.part);
    return rc;
}

/* A random live record of partition pidx (write lock held), or NULL: random buckets, then a
 * scan from a random one. Expired records met are deleted (lazy expiry) and not returned. */
static fls_rec_t *random_in(fl_ns_t *ns, uint32_t pidx, int64_t now)
{
    fls_part_t *p = &ns->parts[pidx];
    for (int tries = 0; tries < 64 && p->b; tries++) {
        size_t slots = fls_part_slots(p), i = (size_t)(fls_rand() % slots);
        for (size_t n = 0; n < slots && !p->b[i]; n++)
            i = (i + 1) % slots;
        fls_rec_t **ref = &p->b[i];
        if (!*ref)
            return NULL;
        if (!fls_rec_expired(*ref, now))
            return *ref;
        fls_commit_del(ns, pidx, ref, FLS_EXPIRED);
    }
    return NULL;
}

int fl_key_random(fl_ns_t *ns, const fl_sink_t *out)
{
    int64_t now = fl_now_ms();
    for (int attempt = 0; attempt < 16; attempt++) {
        uint32_t start = (uint32_t)fls_rand() & (ns->nparts - 1), pidx = UINT32_MAX;
        for (uint32_t i = 0; i < ns->nparts && pidx == UINT32_MAX; i++)
            if (atomic_load_explicit(&ns->parts[(start + i) & (ns->nparts - 1)].count,
                                     memory_order_relaxed))
                pidx = (start + i) & (ns->nparts - 1);
        if (pidx == UINT32_MAX)
            break; /* empty */
        fls_part_t *p = &ns->parts[pidx];
        fls_wrlock(ns, p);
        fls_rec_t *r = random_in(ns, pidx, now);
        if (r)
            out->bulk(out->ctx, fls_rec_key(r), fls_rec_klen(r));
        fls_unlock(ns, p);
        if (r)
            return FL_OK;
    }
    out->nil(out->ctx);
    return FL_OK;
}

int fl_key_object(fl_ns_t *ns, fl_slice_t key, fl_lookup_t how, fl_key_object_t *info)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    int64_t now = fl_now_ms();
    FL_ASSERT(how != FL_LOOKUP_READ); /* OBJECT never records an access */
    memset(info, 0, sizeof(*info));
    fls_rdlock(ns, k.part);
    fls_rec_t **ref = fls_find(&k);
    fls_rec_t *r = ref ? *ref : NULL;
    const fls_type_ops_t *ops = r ? fls_type_ops(r->type) : NULL;
    if (ops) {
        uint32_t w = atomic_load_explicit(&r->atime, memory_order_relaxed);
        int64_t v;
        char text[4];
        fl_slice_t t;
        info->expired = fls_rec_expired(r, now);
        info->exists = !info->expired;
        info->encoding = ops->encoding(ns, r);
        info->idle_s = fls_access_idle_s(w, now);
        info->addr = r;
        info->lru = w >> 8;
        info->bytes = fls_rec_total(r);
        info->elements = fls_coll_ops(r->type) ? fls_coll_ops(r->type)->len(fls_rec_desc(r)) : 0;
        info->chunks = r->type == FL_TYPE_LIST ? fls_list_chunks(fls_rec_desc(r)) : 0;
        info->freq = fls_access_freq(w, now);
        /* Redis shares the objects of the integers 0..9999 (a huge refcount), else 1 */
        info->refcount = r->type == FL_TYPE_STRING && fls_str_text(r, text, sizeof(text), &t) &&
                                 fls_parse_i64(t.p, t.n, &v) && v >= 0 && v < 10000
                             ? INT32_MAX
                             : 1;
    }
    fls_lookup_count(k.part, info->exists ? r : NULL, now, how); /* after the idle time */
    fls_unlock(ns, k.part);
    return FL_OK;
}

int fl_key_set_access(fl_ns_t *ns, fl_slice_t key, long long idle_s, int freq)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    int64_t now = fl_now_ms();
    fls_wrlock(ns, k.part);
    fls_rec_t **ref = fls_find_live(ns, &k, now);
    if (ref) {
        uint32_t w = atomic_load_explicit(&(*ref)->atime, memory_order_relaxed);
        atomic_store_explicit(&(*ref)->atime,
                              fls_access_set(w, now, idle_s, freq < 0 ? 0u : (unsigned)freq),
                              memory_order_relaxed);
    }
    fls_unlock(ns, k.part);
    return ref ? FL_OK : FL_ENOKEY;
}
