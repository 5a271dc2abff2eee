/*
 * src/store/hooks.c: the persistence hooks (flatline/store.h, fl_store_hooks_t): the commit
 * hook the append-only log hangs on, and the fork-less snapshot's copy-before-write.
 *
 * Snapshot invariant: while a snapshot is under way (store->snap_active), a partition whose
 * snap_epoch differs from store->snap_epoch still holds exactly the state it had when the
 * snapshot began: every path that changes a partition takes its write lock through fls_wrlock,
 * which dumps the partition first (then stamps it in ns->snap_epochs) when it was not dumped
 * yet. So every
 * partition is dumped exactly once per snapshot, by the first writer or by the snapshot thread
 * (fl_snap_part), always under the partition's lock: a lock hold as long as one partition's
 * records take to serialise, and no memory beyond one partition's serialised bytes per
 * dumping thread. The stamp is written under the partition's lock (write lock, or the
 * snapshot thread's read lock: writers are excluded either way) and read under it, also by
 * the log (fl_snap_dumped): a change committed while its partition's stamp is the snapshot's
 * number is absent from the snapshot, any other change during the snapshot is in it.
 *
 * The commit hook passes the change's delta (fls_change_t.delta, filled by the write op under
 * the same lock) with the record's new state: a delta only ever changes a record in place or
 * makes a new one, never replaces another record.
 */
#include <stdlib.h>

#include "fl_assert.h"
#include "store_internal.h"

static size_t ns_index(const fl_ns_t *ns)
{
    return (size_t)(ns - ns->store->ns);
}

/* view_of, with the string's whole value when the writer has it (whole.p not NULL: the same
 * bytes as the record's, passed as they are instead of being decompressed). */
static void view_with(fls_rec_t *r, fl_rec_view_t *v, fls_scratch_t *s, fl_slice_t whole)
{
    v->type = (fl_type_t)r->type;
    v->key = (fl_slice_t){fls_rec_key(r), fls_rec_klen(r)};
    v->expire_at_ms = fls_rec_expiry(r);
    v->rec = r;
    v->nfields = 0;
    v->lzf = (fl_slice_t){NULL, 0};
    if (!fls_coll_ops(r->type) && r->lzf) { /* one block: the length word, then LZF's bytes */
        fl_value_t stored = fls_str_stored(r);
        FL_ASSERT(stored.tail.n == 0 && stored.head.n > FLS_LZF_HDR);
        v->lzf = (fl_slice_t){stored.head.p + FLS_LZF_HDR, stored.head.n - FLS_LZF_HDR};
    }
    if (fls_coll_ops(r->type)) {
        v->val = (fl_value_t){{NULL, 0}, {NULL, 0}};
        v->nfields = (size_t)fls_coll_ops(r->type)->len(fls_rec_desc(r));
    } else if (whole.p) {
        FL_DEBUG_ASSERT(whole.n == fls_str_len(r));
        v->val = (fl_value_t){whole, {NULL, 0}};
    } else {
        v->val = fls_str_view(r, s);
    }
}

/* Fills v with r's view; a compressed string value is decompressed into s, which the caller
 * releases once v is no longer used (after the callback it passes v to). */
static void view_of(fls_rec_t *r, fl_rec_view_t *v, fls_scratch_t *s)
{
    view_with(r, v, s, (fl_slice_t){NULL, 0});
}

void fl_rec_view_fields(const fl_rec_view_t *v, fl_field_fn fn, void *ctx)
{
    if (v->type != FL_TYPE_HASH)
        return;
    fls_hash_rec_pairs((fls_rec_t *)v->rec, fn, ctx);
}

/* Adapts a collection's element iterator to the view's callback. */
typedef struct elem_ctx {
    fl_elem_fn fn;
    void *ctx;
} elem_ctx_t;

static void elem_adapt(void *ctx, const char *p, size_t n, double score)
{
    elem_ctx_t *e = ctx;
    e->fn(e->ctx, (fl_slice_t){p, n}, score);
}

void fl_rec_view_elems(const fl_rec_view_t *v, fl_elem_fn fn, void *ctx)
{
    fls_rec_t *r = (fls_rec_t *)v->rec;
    const fls_coll_ops_t *t = fls_coll_ops(r->type);
    if (!t)
        return;
    elem_ctx_t e = {fn, ctx};
    t->each(fls_rec_desc(r), elem_adapt, &e);
}

void fl_key_view(fl_ns_t *ns, fl_slice_t key, fl_lookup_t how, fl_view_fn fn, void *ctx,
                 bool *found)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    int64_t now = fl_now_ms();
    fls_rdlock(ns, k.part);
    fls_rec_t **ref = fls_find(&k);
    *found = ref && !fls_rec_expired(*ref, now);
    fls_lookup_count(k.part, *found ? *ref : NULL, now, how);
    if (!*found && how != FL_LOOKUP_QUIET)
        fls_key_event_miss(ns, &k); /* keyspace notifications' "keymiss" (DUMP) */
    if (*found) {
        fl_rec_view_t v;
        fls_scratch_t s = FLS_SCRATCH_INIT;
        view_of(*ref, &v, &s);
        fn(ctx, &v);
        fls_scratch_release(&s);
    }
    fls_unlock(ns, k.part);
}

void fl_ns_each_view(fl_ns_t *ns, fl_view_fn fn, void *ctx)
{
    int64_t now = fl_now_ms();
    for (uint32_t i = 0; i < ns->nparts; i++) {
        fls_part_t *p = &ns->parts[i];
        fls_rdlock(ns, p);
        size_t slots = fls_part_slots(p);
        for (size_t s = 0; s < slots; s++) {
            fls_rec_t *r = p->b[s];
            if (!r || fls_rec_expired(r, now))
                continue;
            fl_rec_view_t v;
            fls_scratch_t sc = FLS_SCRATCH_INIT;
            view_of(r, &v, &sc);
            fn(ctx, &v);
            fls_scratch_release(&sc);
        }
        fls_unlock(ns, p);
    }
}

void fl_store_set_hooks(fl_store_t *store, const fl_store_hooks_t *h)
{
    atomic_store_explicit(&store->has_hooks, false, memory_order_release);
    for (size_t i = 0; i < store->n; i++) {
        fl_ns_t *ns = &store->ns[i];
        free(ns->snap_epochs);
        ns->snap_epochs = NULL;
        if (h) { /* every partition stamped with the current snapshot: nothing to dump */
            ns->snap_epochs = malloc(ns->nparts * sizeof(*ns->snap_epochs));
            FL_ASSERT(ns->snap_epochs != NULL);
            for (uint32_t j = 0; j < ns->nparts; j++)
                atomic_init(&ns->snap_epochs[j], atomic_load(&store->snap_epoch));
        }
    }
    if (h)
        store->hooks = *h;
    atomic_store_explicit(&store->has_hooks, h != NULL, memory_order_release);
}

uint32_t fl_ns_partitions(const fl_ns_t *ns)
{
    return ns->nparts;
}

/* Calls fn for every record of the partition (lock held). */
static void each_rec(fls_part_t *p, void (*fn)(fl_ns_t *, fls_rec_t *), fl_ns_t *ns)
{
    size_t slots = fls_part_slots(p);
    for (size_t i = 0; i < slots; i++)
        if (p->b[i])
            fn(ns, p->b[i]);
}

static void snap_one(fl_ns_t *ns, fls_rec_t *r)
{
    fl_rec_view_t v;
    fls_scratch_t s = FLS_SCRATCH_INIT;
    view_of(r, &v, &s);
    ns->store->hooks.snap_rec(ns->store->hooks.ctx, ns_index(ns), &v);
    fls_scratch_release(&s);
}

/* Dumps the partition for the current snapshot unless done (partition lock held). */
static void snap_dump(fl_ns_t *ns, fls_part_t *p)
{
    fl_store_t *s = ns->store;
    _Atomic uint64_t *stamp = &ns->snap_epochs[p - ns->parts];
    uint64_t epoch = atomic_load_explicit(&s->snap_epoch, memory_order_acquire);
    if (atomic_load_explicit(stamp, memory_order_relaxed) == epoch)
        return;
    each_rec(p, snap_one, ns);
    s->hooks.snap_done(s->hooks.ctx, ns_index(ns));
    atomic_store_explicit(stamp, epoch, memory_order_relaxed);
}

void fls_snap_cow(fl_ns_t *ns, fls_part_t *p)
{
    if (atomic_load_explicit(&ns->store->has_hooks, memory_order_acquire))
        snap_dump(ns, p);
}

uint64_t fl_snap_begin_at(fl_store_t *store, fl_snap_at_fn at, void *ctx)
{
    FL_ASSERT(atomic_load(&store->has_hooks) && !atomic_load(&store->snap_active));
    /* No write in progress at the snapshot's moment: a batch (or a key set such as MSET) that
     * began before it and wrote on after it would have some partitions copied before its later
     * writes and others dumped after all of them. A caller holding the whole store is there. */
    bool quiesce = !fls_batch_all();
    if (quiesce)
        fls_gate_close(store);
    uint64_t epoch = atomic_fetch_add_explicit(&store->snap_epoch, 1, memory_order_release) + 1;
    atomic_store_explicit(&store->snap_active, true, memory_order_release);
    if (at)
        at(ctx, epoch);
    if (quiesce)
        fls_gate_open(store);
    return epoch;
}

uint64_t fl_snap_begin(fl_store_t *store)
{
    return fl_snap_begin_at(store, NULL, NULL);
}

bool fl_snap_dumped(fl_store_t *store, size_t ns_i, uint32_t part, uint64_t snap)
{
    fl_ns_t *ns = &store->ns[ns_i];
    FL_ASSERT(part < ns->nparts);
    FLS_ASSERT_WRLOCKED(&ns->parts[part]);
    return atomic_load_explicit(&ns->snap_epochs[part], memory_order_relaxed) == snap;
}

void fl_snap_part(fl_store_t *store, size_t ns_i, uint32_t pidx)
{
    fl_ns_t *ns = &store->ns[ns_i];
    fls_part_t *p = &ns->parts[pidx];
    fls_rdlock(ns, p);
    snap_dump(ns, p);
    fls_unlock(ns, p);
}

void fl_snap_end(fl_store_t *store)
{
    atomic_store_explicit(&store->snap_active, false, memory_order_release);
}

static void del_one(fl_ns_t *ns, uint32_t pidx, fls_rec_t *r)
{
    ns->store->hooks.del(ns->store->hooks.ctx, ns_index(ns), pidx,
                         (fl_slice_t){fls_rec_key(r), fls_rec_klen(r)});
}

void fls_hook_commit(fl_ns_t *ns, uint32_t pidx, const fls_change_t *c)
{
    const fl_store_hooks_t *h = &ns->store->hooks;
    fl_rec_view_t v;
    fls_scratch_t s = FLS_SCRATCH_INIT;
    switch (c->op) {
    case FLS_PUT:
    case FLS_MODIFY:
        /* a delta changes a key in place or makes a new one, never replaces another record */
        FL_ASSERT(!c->delta || c->delta->verb);
        FL_ASSERT(!c->delta || c->op == FLS_MODIFY || c->old == NULL);
        view_with(c->rec, &v, &s, c->whole);
        h->put(h->ctx, ns_index(ns), pidx, &v, c->delta);
        fls_scratch_release(&s);
        break;
    case FLS_DEL:
        del_one(ns, pidx, c->old);
        break;
    case FLS_FLUSH: {
        if (c->hooked)
            break; /* taken whole by fls_hook_flush */
        fls_part_t *p = &ns->parts[pidx];
        size_t slots = fls_part_slots(p);
        for (size_t i = 0; i < slots; i++)
            if (p->b[i])
                del_one(ns, pidx, p->b[i]);
        break;
    }
    }
}

bool fls_hook_flush(fl_ns_t *ns)
{
    if (!atomic_load_explicit(&ns->store->has_hooks, memory_order_acquire))
        return false;
    const fl_store_hooks_t *h = &ns->store->hooks;
    if (!h->flush)
        return false;
    FL_ASSERT(fl_batch_active()); /* every partition held until the group ends */
    FL_DEBUG_ONLY(for (uint32_t i = 0; i < ns->nparts; i++) FLS_ASSERT_WRLOCKED(&ns->parts[i]));
    return h->flush(h->ctx, ns_index(ns), fl_ns_size(ns));
}

/* ---- Groups: writes atomic over several keys ------------------------------------------------ */

/* Nesting depth of the calling thread's groups (a key set inside a batch is one group). */
static _Thread_local unsigned group_depth;

static const fl_store_hooks_t *group_hooks(fl_store_t *store)
{
    return atomic_load_explicit(&store->has_hooks, memory_order_acquire) ? &store->hooks : NULL;
}

void fls_group_begin(fl_store_t *store)
{
    if (group_depth++ > 0)
        return;
    const fl_store_hooks_t *h = group_hooks(store);
    if (h && h->group_begin)
        h->group_begin(h->ctx);
}

void fls_group_end(fl_store_t *store)
{
    FL_ASSERT(group_depth > 0);
    if (--group_depth > 0)
        return;
    const fl_store_hooks_t *h = group_hooks(store);
    if (h && h->group_end)
        h->group_end(h->ctx);
}
