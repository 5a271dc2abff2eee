/*
 * src/store/keys.c: commands on keys of any type (DEL, EXISTS, EXPIRE with its NX/XX/GT/LT
 * conditions, PTTL, PERSIST, TYPE, MEMORY USAGE) and FLUSHDB. Each write takes one partition's
 * write lock through fls_write_begin and changes the key through the commit point; a condition
 * (EXPIRE NX, ...) is decided under that same lock. SCAN is in scan.c, DBSIZE and the
 * statistics in stats.c.
 */
#include "store_internal.h"

int fl_key_del(fl_ns_t *ns, fl_slice_t key, bool *deleted)
{
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, 0, &k, &now);
    if (ref)
        fls_commit_del(ns, k.pidx, ref, FLS_WRITE);
    fls_unlock(ns, k.part);
    if (deleted)
        *deleted = ref != NULL;
    return FL_OK;
}

int fl_key_exists(fl_ns_t *ns, fl_slice_t key, fl_lookup_t how, bool *exists)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    *exists = fls_read_begin(ns, &k, fl_now_ms(), how) != NULL;
    fls_read_end(ns, &k);
    return FL_OK;
}

/* Whether NX/XX/GT/LT allow replacing expiry `cur` (0 = none) by `at` (Redis 7: GT and LT
 * treat "no expiry" as infinite, so GT never applies to a key without one and LT always does). */
static bool expire_cond_ok(unsigned flags, int64_t cur, int64_t at)
{
    bool has = cur != 0;
    if ((flags & FL_EXPIRE_NX) && has)
        return false;
    if ((flags & FL_EXPIRE_XX) && !has)
        return false;
    if ((flags & FL_EXPIRE_GT) && (!has || at <= cur))
        return false;
    if ((flags & FL_EXPIRE_LT) && has && at >= cur)
        return false;
    return true;
}

int fl_key_expire_cond(fl_ns_t *ns, fl_slice_t key, int64_t at_ms, unsigned flags, bool *applied)
{
    if ((flags & ~(unsigned)(FL_EXPIRE_NX | FL_EXPIRE_XX | FL_EXPIRE_GT | FL_EXPIRE_LT)) ||
        ((flags & FL_EXPIRE_NX) && (flags & (FL_EXPIRE_XX | FL_EXPIRE_GT | FL_EXPIRE_LT))) ||
        ((flags & FL_EXPIRE_GT) && (flags & FL_EXPIRE_LT)))
        return FL_EINVAL;
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, 0, &k, &now);
    bool did = false;
    int rc = FL_OK;
    /* The condition is decided under the same write lock as the change: no writer can slip in
     * between (EXPIRE k t NX from several clients sets it exactly once). */
    if (ref && expire_cond_ok(flags, fls_rec_expiry(*ref), at_ms)) {
        if (at_ms <= now) {
            fls_commit_del(ns, k.pidx, ref, FLS_WRITE);
            did = true;
        } else {
            bool had_ttl = fls_rec_expiry(*ref) != 0;
            rc = fls_rec_set_expiry(ns, k.pidx, ref, at_ms); /* may move the record */
            if (rc == FL_OK) {
                fl_delta_t d = {.verb = "PEXPIREAT", .nums = {at_ms}, .n_nums = 1};
                fls_change_t c = {.op = FLS_MODIFY,
                                  .rec = *ref,
                                  .had_key = true,
                                  .had_ttl = had_ttl,
                                  .delta = &d};
                fls_commit(ns, k.pidx, &c);
                did = true;
            }
        }
    }
    fls_unlock(ns, k.part);
    if (applied)
        *applied = did;
    return rc;
}

int fl_key_expire_at(fl_ns_t *ns, fl_slice_t key, int64_t at_ms, bool *applied)
{
    return fl_key_expire_cond(ns, key, at_ms, 0, applied);
}

int fl_key_ttl_ms(fl_ns_t *ns, fl_slice_t key, int64_t *ttl_ms)
{
    int64_t now = fl_now_ms();
    fls_key_t k;
    fls_key_init(ns, key, &k);
    fls_rec_t *r = fls_read_begin(ns, &k, now, FL_LOOKUP_META);
    *ttl_ms = !r ? -2 : fls_rec_expiry(r) == 0 ? -1 : fls_rec_expiry(r) - now;
    fls_read_end(ns, &k);
    return FL_OK;
}

int fl_key_expire_time(fl_ns_t *ns, fl_slice_t key, int64_t *at_ms)
{
    int64_t now = fl_now_ms();
    fls_key_t k;
    fls_key_init(ns, key, &k);
    fls_rec_t *r = fls_read_begin(ns, &k, now, FL_LOOKUP_META);
    *at_ms = !r ? -2 : fls_rec_expiry(r) == 0 ? -1 : fls_rec_expiry(r);
    fls_read_end(ns, &k);
    return FL_OK;
}

int fl_key_persist(fl_ns_t *ns, fl_slice_t key, bool *changed)
{
    fls_key_t k;
    int64_t now;
    fls_rec_t **ref = fls_write_begin(ns, key, 0, &k, &now);
    bool did = false;
    if (ref && fls_rec_expiry(*ref) != 0) {
        fls_rec_put_expiry(*ref, 0);
        fl_delta_t d = {.verb = "PERSIST"};
        fls_change_t c = {
            .op = FLS_MODIFY, .rec = *ref, .had_key = true, .had_ttl = true, .delta = &d};
        fls_commit(ns, k.pidx, &c);
        did = true;
    }
    fls_unlock(ns, k.part);
    if (changed)
        *changed = did;
    return FL_OK;
}

int fl_key_type(fl_ns_t *ns, fl_slice_t key, fl_lookup_t how, fl_type_t *type)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), how);
    *type = r ? (fl_type_t)r->type : FL_TYPE_NONE;
    fls_read_end(ns, &k);
    return FL_OK;
}

int fl_key_memory_usage(fl_ns_t *ns, fl_slice_t key, size_t *bytes)
{
    fls_key_t k;
    fls_key_init(ns, key, &k);
    fls_rec_t *r = fls_read_begin(ns, &k, fl_now_ms(), FL_LOOKUP_QUIET);
    *bytes = r ? fls_rec_usable(r) : 0;
    fls_read_end(ns, &k);
    return FL_OK;
}

int fl_ns_flush(fl_ns_t *ns)
{
    bool own = !fl_batch_active();
    if (own) {
        int rc = fl_batch_begin(ns->store, NULL, 0, true);
        if (rc != FL_OK)
            return rc;
    }
    /* Inside a batch every lock below is kept until the batch ends (or skipped under the
     * closed gate), so all partitions are held before the hooks hear of the flush. */
    for (uint32_t i = 0; i < ns->nparts; i++)
        fls_wrlock(ns, &ns->parts[i]);
    bool whole = fls_hook_flush(ns);
    for (uint32_t i = 0; i < ns->nparts; i++) {
        fls_change_t c = {.op = FLS_FLUSH, .hooked = whole};
        fls_commit(ns, i, &c);
    }
    for (uint32_t i = 0; i < ns->nparts; i++)
        fls_unlock(ns, &ns->parts[i]);
    if (own) {
        fl_batch_end();
        fl_ns_purge(ns); /* outside the batch: no other thread waits for the madvise calls */
    }
    return FL_OK;
}

int fl_ns_purge(fl_ns_t *ns)
{
    fl_thread_release_tcaches(); /* what this thread's caches hold for the shared arenas first */
    return fl_arena_purge(ns->arena);
}
