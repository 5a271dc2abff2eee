/*
 * src/store/table.c: a partition's hash table of records, the namespace-arena accounting, lazy
 * expiry on lookup, and THE COMMIT POINT (fls_commit) every mutation of a namespace passes
 * through. The locks are lock.c's; the quota checks before a write are quota.c's.
 *
 * Invariants:
 *   - every arena allocation goes through fls_alloc/fls_free/fls_realloc, which add/subtract its
 *     exact requested size to the stripe of its partition: sum(stripes) == arena requested;
 *   - a partition's bucket array is NULL exactly when the partition holds no key; otherwise it
 *     has mask + 1 (a power of two >= 4) slots and count <= 2 * (mask + 1) after every commit
 *     (it doubles when count exceeds the slot count, halves below 1/4 full, so an index thinned by
 * a mass delete costs at most 4 slots per key): a per-partition rehash, so one pause costs about
 * (keys / partitions) record moves;
 *   - a record is reachable from exactly one slot (bucket or predecessor's next).
 */
#include <string.h>

#include "store_internal.h"

#define FLS_MIN_BUCKETS 4u

/* ---- Accounting --------------------------------------------------------------------------- */

static inline void used_add(fl_ns_t *ns, uint32_t pidx, int64_t d)
{
    atomic_fetch_add_explicit(&ns->used[pidx % FLS_STRIPES].v, d, memory_order_relaxed);
}

void *fls_alloc(fl_ns_t *ns, uint32_t pidx, size_t size)
{
    void *p = fl_arena_alloc(ns->arena, size);
    if (p)
        used_add(ns, pidx, (int64_t)size);
    return p;
}

void fls_free(fl_ns_t *ns, uint32_t pidx, void *ptr, size_t size)
{
    if (!ptr)
        return;
    fl_arena_free(ns->arena, ptr, size);
    used_add(ns, pidx, -(int64_t)size);
}

void *fls_realloc(fl_ns_t *ns, uint32_t pidx, void *ptr, size_t old_size, size_t new_size)
{
    void *p = fl_arena_realloc(ns->arena, ptr, old_size, new_size);
    if (p)
        used_add(ns, pidx, (int64_t)new_size - (int64_t)old_size);
    return p;
}

size_t fls_used(const fl_ns_t *ns)
{
    int64_t sum = 0;
    for (unsigned i = 0; i < FLS_STRIPES; i++)
        sum += atomic_load_explicit(&ns->used[i].v, memory_order_relaxed);
    return sum > 0 ? (size_t)sum : 0;
}

/* ---- Records ------------------------------------------------------------------------------ */

size_t fls_rec_total(fls_rec_t *r)
{
    size_t total = fls_rec_size(r);
    const fls_coll_ops_t *t = fls_coll_ops(r->type);
    return t ? total + t->total(fls_rec_desc(r)) : total;
}

size_t fls_rec_usable(fls_rec_t *r)
{
    size_t total = fl_mem_usable_size(r);
    const fls_coll_ops_t *t = fls_coll_ops(r->type);
    return t ? total + t->usable(fls_rec_desc(r)) : total;
}

void fls_rec_destroy(fl_ns_t *ns, uint32_t pidx, fls_rec_t *r)
{
    const fls_coll_ops_t *t = fls_coll_ops(r->type);
    if (t)
        t->destroy(ns, pidx, fls_rec_desc(r));
    fls_free(ns, pidx, r, fls_rec_size(r));
}

static void put_u32(char **w, char *end, uint32_t v)
{
    for (int i = 0; i < 4; i++, (*w)++)
        if (*w < end)
            **w = (char)(v >> (8 * i));
}

static void put_bytes(char **w, char *end, const char *p, size_t n)
{
    if (*w < end)
        fls_copy(*w, p, (size_t)(end - *w) < n ? (size_t)(end - *w) : n);
    *w += n;
}

/* Where a collection's elements are being serialized. */
typedef struct ser {
    char **w;
    char *end;
    bool scores;
} ser_t;

static void put_elem(void *ctx, const char *p, size_t n, double score)
{
    ser_t *s = ctx;
    put_u32(s->w, s->end, (uint32_t)n);
    put_bytes(s->w, s->end, p, n);
    if (s->scores)
        put_bytes(s->w, s->end, (const char *)&score, sizeof(score));
}

size_t fls_rec_serialize(fls_rec_t *r, char *buf, size_t len)
{
    char *w = buf, *end = buf + len;
    char type = (char)r->type;
    put_bytes(&w, end, &type, 1);
    uint64_t e = (uint64_t)r->expire_at;
    put_u32(&w, end, (uint32_t)e);
    put_u32(&w, end, (uint32_t)(e >> 32));
    put_u32(&w, end, r->klen);
    put_bytes(&w, end, fls_rec_key(r), r->klen);
    const fls_coll_ops_t *t = fls_coll_ops(r->type);
    if (t) { /* a hash's count is its fields; each emits a field, then its value */
        put_u32(&w, end, (uint32_t)t->len(fls_rec_desc(r)));
        ser_t s = {&w, end, r->type == FL_TYPE_ZSET};
        t->each(fls_rec_desc(r), put_elem, &s);
        return (size_t)(w - buf);
    }
    put_u32(&w, end, r->vlen);
    put_bytes(&w, end, fls_rec_val(r), r->vlen);
    return (size_t)(w - buf);
}

/* ---- Lookup ------------------------------------------------------------------------------- */

void fls_key_init(fl_ns_t *ns, fl_slice_t key, fls_key_t *k)
{
    k->p = key.p;
    k->n = key.n;
    k->h = fls_hash(ns->store->seed, key.p, key.n);
    k->pidx = (uint32_t)(k->h >> 32) & (ns->nparts - 1);
    k->part = &ns->parts[k->pidx];
    k->expired_seen = false;
}

fls_rec_t **fls_find(fls_key_t *k)
{
    fls_part_t *p = k->part;
    FLS_ASSERT_LOCKED(p);
    if (!p->b)
        return NULL;
    uint32_t h = (uint32_t)k->h;
    fls_rec_t **ref = &p->b[h & p->mask];
    for (fls_rec_t *r = *ref; r; ref = &r->next, r = *ref) {
        if (r->hash == h && r->klen == k->n && (k->n == 0 || memcmp(r->data, k->p, k->n) == 0))
            return ref;
    }
    return NULL;
}

void fls_commit_del(fl_ns_t *ns, uint32_t pidx, fls_rec_t **ref, fls_reason_t reason)
{
    fls_change_t c = {.op = FLS_DEL,
                      .reason = reason,
                      .ref = ref,
                      .old = *ref,
                      .had_key = true,
                      .had_ttl = (*ref)->expire_at != 0};
    fls_commit(ns, pidx, &c);
}

/* Links a new record for a missing key: FL_OK, or FL_ENOMEM (r freed). Write lock held. */
int fls_commit_insert(fl_ns_t *ns, fls_key_t *k, fls_rec_t *r)
{
    FLS_ASSERT_WRLOCKED(k->part);
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

/* Replaces the live record *ref with r (same key) through the commit point. Write lock held. */
void fls_commit_replace(fl_ns_t *ns, uint32_t pidx, fls_rec_t **ref, fls_rec_t *r)
{
    FLS_ASSERT_WRLOCKED(&ns->parts[pidx]);
    fls_rec_t *cur = *ref;
    r->next = cur->next;
    fls_change_t c = {.op = FLS_PUT,
                      .ref = ref,
                      .rec = r,
                      .old = cur,
                      .had_key = true,
                      .had_ttl = cur->expire_at != 0};
    fls_commit(ns, pidx, &c);
}

fls_rec_t **fls_find_live(fl_ns_t *ns, fls_key_t *k, int64_t now)
{
    FLS_ASSERT_WRLOCKED(k->part);
    fls_rec_t **ref = fls_find(k);
    if (ref && fls_rec_expired(*ref, now)) {
        fls_commit_del(ns, k->pidx, ref, FLS_EXPIRED);
        return NULL;
    }
    return ref;
}

fls_rec_t *fls_read_begin(fl_ns_t *ns, fls_key_t *k, int64_t now, bool count)
{
    fls_part_t *p = k->part;
    fls_rdlock(ns, p);
    fls_rec_t **ref = fls_find(k);
    fls_rec_t *r = ref ? *ref : NULL;
    if (r && fls_rec_expired(r, now)) {
        if (fls_read_is_exclusive(ns))
            fls_commit_del(ns, k->pidx, ref, FLS_EXPIRED);
        else
            k->expired_seen = true;
        r = NULL;
    }
    if (count)
        atomic_fetch_add_explicit(r ? &p->hits : &p->misses, 1, memory_order_relaxed);
    if (r)
        fls_touch(r, now);
    return r;
}

void fls_read_end(fl_ns_t *ns, fls_key_t *k)
{
    fls_unlock(ns, k->part);
    if (!k->expired_seen)
        return;
    k->expired_seen = false;
    fls_wrlock(ns, k->part);
    fls_find_live(ns, k, fl_now_ms());
    fls_unlock(ns, k->part);
}

int64_t fls_default_expiry(const fl_ns_t *ns, int64_t now)
{
    int64_t ttl = FLS_CFG(ns, default_ttl_ms); /* CONFIG SET may change it */
    return ttl > 0 ? now + ttl : 0;
}

/* ---- Table shape -------------------------------------------------------------------------- */

/* Rehashes partition pidx into new_size slots; on allocation failure keeps the old table. */
static void part_resize(fl_ns_t *ns, uint32_t pidx, size_t new_size)
{
    fls_part_t *p = &ns->parts[pidx];
    fls_rec_t **nb = fls_alloc(ns, pidx, new_size * sizeof(*nb));
    if (!nb)
        return;
    memset(nb, 0, new_size * sizeof(*nb));
    size_t old_size = (size_t)p->mask + 1;
    for (size_t i = 0; i < old_size; i++) {
        fls_rec_t *r = p->b[i];
        while (r) {
            fls_rec_t *next = r->next;
            size_t j = r->hash & (new_size - 1);
            r->next = nb[j];
            nb[j] = r;
            r = next;
        }
    }
    fls_free(ns, pidx, p->b, old_size * sizeof(*nb));
    p->b = nb;
    p->mask = (uint32_t)(new_size - 1);
    FL_DEBUG_ASSERT(fls_part_check(ns, pidx)); /* O(partition), as the rehash itself */
}

int fls_insert_slot(fl_ns_t *ns, fls_key_t *k, fls_rec_t ***ref)
{
    fls_part_t *p = k->part;
    FLS_ASSERT_WRLOCKED(p);
    if (!p->b) {
        fls_rec_t **nb = fls_alloc(ns, k->pidx, FLS_MIN_BUCKETS * sizeof(*nb));
        if (!nb)
            return FL_ENOMEM;
        memset(nb, 0, FLS_MIN_BUCKETS * sizeof(*nb));
        p->b = nb;
        p->mask = FLS_MIN_BUCKETS - 1;
    }
    *ref = &p->b[(uint32_t)k->h & p->mask];
    return FL_OK;
}

static void part_reshape(fl_ns_t *ns, uint32_t pidx)
{
    fls_part_t *p = &ns->parts[pidx];
    if (!p->b)
        return;
    uint64_t count = atomic_load_explicit(&p->count, memory_order_relaxed);
    size_t size = (size_t)p->mask + 1;
    if (count == 0) {
        fls_free(ns, pidx, p->b, size * sizeof(*p->b));
        p->b = NULL;
        p->mask = 0;
        fls_tix_clear(ns, pidx); /* only stale entries are left */
    } else if (count > size && size < ((size_t)1 << 31)) {
        part_resize(ns, pidx, size * 2);
    } else if (size > FLS_MIN_BUCKETS && count < size / 4) {
        part_resize(ns, pidx, size / 2);
    }
}

/* ---- The commit point --------------------------------------------------------------------- */

static void flush_part(fl_ns_t *ns, uint32_t pidx)
{
    fls_part_t *p = &ns->parts[pidx];
    if (!p->b)
        return;
    size_t size = (size_t)p->mask + 1;
    for (size_t i = 0; i < size; i++) {
        fls_rec_t *r = p->b[i];
        while (r) {
            fls_rec_t *next = r->next;
            fls_rec_destroy(ns, pidx, r);
            r = next;
        }
    }
    fls_free(ns, pidx, p->b, size * sizeof(*p->b));
    p->b = NULL;
    p->mask = 0;
    fls_tix_clear(ns, pidx);
    atomic_store_explicit(&p->count, 0, memory_order_relaxed);
    atomic_store_explicit(&p->ttl_count, 0, memory_order_relaxed);
}

void fls_commit(fl_ns_t *ns, uint32_t pidx, const fls_change_t *c)
{
    FL_ASSERT(pidx < ns->nparts);
    fls_part_t *p = &ns->parts[pidx];
    FLS_ASSERT_WRLOCKED(p);
    fls_watch_touch(ns, pidx, c);
    if (atomic_load_explicit(&ns->store->has_hooks, memory_order_acquire))
        fls_hook_commit(ns, pidx, c); /* the log, in commit order per key (lock held) */
    bool has_key = false, has_ttl = false;
    uint32_t hash = 0; /* the bucket the change touched, for the debug chain check */
    switch (c->op) {
    case FLS_PUT:
        /* One reference per record: the slot takes the new record, which is not linked
         * anywhere else yet; a replaced record leaves the slot it held. */
        FL_ASSERT(c->rec != NULL && c->ref != NULL && c->rec != c->old);
        FL_ASSERT(c->old == NULL || (*c->ref == c->old && c->had_key));
        hash = c->rec->hash;
        *c->ref = c->rec;
        if (c->old)
            fls_rec_destroy(ns, pidx, c->old);
        has_key = true;
        has_ttl = c->rec->expire_at != 0;
        break;
    case FLS_MODIFY:
        FL_ASSERT(c->rec != NULL);
        hash = c->rec->hash;
        has_key = true;
        has_ttl = c->rec->expire_at != 0;
        break;
    case FLS_DEL:
        FL_ASSERT(c->old != NULL && *c->ref == c->old && c->had_key); /* its one reference */
        hash = c->old->hash;
        *c->ref = c->old->next;
        fls_rec_destroy(ns, pidx, c->old);
        break;
    case FLS_FLUSH:
        flush_part(ns, pidx);
        return;
    }
    int64_t dk = (int64_t)has_key - (int64_t)c->had_key;
    int64_t dt = (int64_t)has_ttl - (int64_t)c->had_ttl;
    /* The counters never go below zero: a delete or TTL removal had something to remove. */
    FL_ASSERT(dk >= 0 || atomic_load_explicit(&p->count, memory_order_relaxed) > 0);
    FL_ASSERT(dt >= 0 || atomic_load_explicit(&p->ttl_count, memory_order_relaxed) > 0);
    if (dk)
        atomic_fetch_add_explicit(&p->count, (uint64_t)dk, memory_order_relaxed);
    if (dt)
        atomic_fetch_add_explicit(&p->ttl_count, (uint64_t)dt, memory_order_relaxed);
    if (has_ttl && !c->same_ttl)
        fls_tix_add(ns, pidx, c->rec->expire_at, c->rec->hash);
    if (c->reason == FLS_EXPIRED)
        atomic_fetch_add_explicit(&p->expired, 1, memory_order_relaxed);
    else if (c->reason == FLS_EVICTED)
        atomic_fetch_add_explicit(&p->evicted, 1, memory_order_relaxed);
    if (dk)
        part_reshape(ns, pidx);
    FL_DEBUG_ASSERT(fls_chain_check(ns, pidx, hash, c->op == FLS_DEL ? NULL : c->rec));
}

/* ---- Walk (defragmentation primitive) ----------------------------------------------------- */

/* Moves the cursor to the matching position of a table whose mask changed since it was saved
 * (best effort: a grown table's bucket i splits into i and i + old size, a shrunk one merges). */
static void cursor_rescale(fls_walk_cursor_t *cur, uint32_t mask)
{
    uint64_t b = cur->bucket;
    if (mask > cur->mask)
        b *= ((uint64_t)mask + 1) / ((uint64_t)cur->mask + 1);
    else
        b /= ((uint64_t)cur->mask + 1) / ((uint64_t)mask + 1);
    cur->bucket = b > (uint64_t)mask + 1 ? mask + 1 : (uint32_t)b;
    cur->chain = 0;
    cur->in_rec = false;
    cur->fbucket = 0;
    cur->mask = mask;
}

/* The nodes of collection record r from position cur->fbucket on. False when yield stopped
 * it (cursor saved inside the record). */
static bool walk_coll(fl_ns_t *ns, fls_rec_t *r, const fls_walk_ops_t *ops, void *ctx,
                      fls_walk_cursor_t *cur, size_t *did)
{
    if (!fls_coll_ops(r->type)->walk(ns, fls_rec_desc(r), ops, ctx, &cur->fbucket, did)) {
        cur->in_rec = true;
        return false;
    }
    cur->in_rec = false;
    cur->fbucket = 0;
    return true;
}

bool fls_part_walk_step(fl_ns_t *ns, uint32_t pidx, const fls_walk_ops_t *ops, void *ctx,
                        fls_walk_cursor_t *cur, size_t *units)
{
    fls_part_t *p = &ns->parts[pidx];
    FLS_ASSERT_WRLOCKED(p);
    size_t did = 0;
    bool done = true;
    if (!p->b)
        goto out;
    if (!cur->started) {
        memset(cur, 0, sizeof(*cur));
        cur->started = true;
        cur->mask = p->mask;
        if (ops->buckets)
            p->b = ops->buckets(ctx, p->b, ((size_t)p->mask + 1) * sizeof(*p->b));
        did++;
    } else if (cur->mask != p->mask) {
        cursor_rescale(cur, p->mask);
    }
    size_t size = (size_t)p->mask + 1;
    for (size_t i = cur->bucket; i < size; i++) {
        uint32_t pos = 0;
        for (fls_rec_t **ref = &p->b[i]; *ref; ref = &(*ref)->next, pos++) {
            if (pos < cur->chain)
                continue; /* visited before the lock was released */
            if (cur->in_rec) {
                /* resuming inside this position's collection: only its remaining nodes */
                if (fls_coll_ops((*ref)->type) && !walk_coll(ns, *ref, ops, ctx, cur, &did)) {
                    done = false;
                    goto out;
                }
                cur->in_rec = false;
                cur->fbucket = 0;
                continue;
            }
            if (did && ops->yield && ops->yield(ctx)) {
                cur->bucket = (uint32_t)i;
                cur->chain = pos;
                done = false;
                goto out;
            }
            if (ops->rec)
                *ref = ops->rec(ctx, *ref, fls_rec_size(*ref));
            did++;
            fls_rec_t *r = *ref;
            if (fls_coll_ops(r->type)) {
                cur->fbucket = 0;
                if (!walk_coll(ns, r, ops, ctx, cur, &did)) {
                    cur->bucket = (uint32_t)i;
                    cur->chain = pos;
                    done = false;
                    goto out;
                }
            }
        }
        cur->chain = 0;
        cur->in_rec = false;
    }
out:
    if (done)
        memset(cur, 0, sizeof(*cur));
    if (units)
        *units += did;
    return done;
}

void fls_part_walk(fl_ns_t *ns, uint32_t pidx, const fls_walk_ops_t *ops, void *ctx)
{
    fls_walk_ops_t all = *ops;
    all.yield = NULL;
    fls_walk_cursor_t cur = {0};
    fls_part_walk_step(ns, pidx, &all, ctx, &cur, NULL);
}
