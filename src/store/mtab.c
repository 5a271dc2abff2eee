/*
 * src/store/mtab.c: the member table (layout and invariants in mtab.h).
 */
#include "mtab.h"

#include "fl_assert.h"

#define MIN_SLOTS 8u
#define MEMBER_SEED 0x510e527fade682d1ull

size_t fls_mbr_size(size_t off, size_t n)
{
    return off + (n < 0xff ? 1 : 5) + n;
}

uint8_t *fls_mbr_put(uint8_t *w, const char *p, size_t n)
{
    if (n < 0xff) {
        *w++ = (uint8_t)n;
    } else {
        uint32_t len = (uint32_t)n;
        *w++ = 0xff;
        memcpy(w, &len, 4);
        w += 4;
    }
    fls_copy(w, p, n);
    return w + n;
}

void *fls_mbr_new(fl_ns_t *ns, uint32_t pidx, size_t off, const char *p, size_t n)
{
    uint8_t *m = fls_alloc(ns, pidx, fls_mbr_size(off, n));
    if (!m)
        return NULL;
    fls_mbr_put(m + off, p, n);
    return m;
}

void fls_mbr_get(const void *m, size_t off, const char **p, size_t *n)
{
    const uint8_t *r = (const uint8_t *)m + off;
    if (r[0] < 0xff) {
        *n = r[0];
        *p = (const char *)r + 1;
        return;
    }
    uint32_t len;
    memcpy(&len, r + 1, 4);
    *n = len;
    *p = (const char *)r + 5;
}

size_t fls_mbr_alloc_size(const void *m, size_t off)
{
    const char *p;
    size_t n;
    fls_mbr_get(m, off, &p, &n);
    return fls_mbr_size(off, n);
}

void fls_mbr_free(fl_ns_t *ns, uint32_t pidx, void *m, size_t off)
{
    fls_free(ns, pidx, m, fls_mbr_alloc_size(m, off));
}

static uint64_t member_hash(fl_ns_t *ns, const char *p, size_t n)
{
    return fls_hash(ns->store->seed ^ MEMBER_SEED, p, n);
}

static uint64_t hash_of(fl_ns_t *ns, const void *m, size_t off)
{
    const char *p;
    size_t n;
    fls_mbr_get(m, off, &p, &n);
    return member_hash(ns, p, n);
}

void **fls_mt_find(const fls_mtab_t *t, fl_ns_t *ns, size_t off, const char *p, size_t n)
{
    if (!t->slots)
        return NULL;
    for (uint64_t i = member_hash(ns, p, n) & t->mask;; i = (i + 1) & t->mask) {
        void *m = t->slots[i];
        if (!m)
            return NULL;
        const char *mp;
        size_t mn;
        fls_mbr_get(m, off, &mp, &mn);
        if (mn == n && (n == 0 || memcmp(mp, p, n) == 0))
            return &t->slots[i];
    }
}

void **fls_mt_find_ptr(const fls_mtab_t *t, fl_ns_t *ns, size_t off, const void *m)
{
    for (uint64_t i = hash_of(ns, m, off) & t->mask;; i = (i + 1) & t->mask) {
        FL_ASSERT(t->slots[i]); /* the member is in the table */
        if (t->slots[i] == m)
            return &t->slots[i];
    }
}

static void place(void **slots, uint32_t mask, uint64_t h, void *m)
{
    uint64_t i = h & mask;
    while (slots[i])
        i = (i + 1) & mask;
    slots[i] = m;
}

/* Rehashes into `size` slots; FL_ENOMEM keeps the old array. */
static int resize(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, size_t off, size_t size)
{
    void **ns_slots = fls_alloc(ns, pidx, size * sizeof(void *));
    if (!ns_slots)
        return FL_ENOMEM;
    memset(ns_slots, 0, size * sizeof(void *));
    if (t->slots) {
        for (size_t i = 0; i <= t->mask; i++)
            if (t->slots[i])
                place(ns_slots, (uint32_t)(size - 1), hash_of(ns, t->slots[i], off), t->slots[i]);
        fls_free(ns, pidx, t->slots, ((size_t)t->mask + 1) * sizeof(void *));
    }
    t->slots = ns_slots;
    t->mask = (uint32_t)(size - 1);
    return FL_OK;
}

int fls_mt_reserve(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, size_t off, size_t more)
{
    size_t want = (size_t)t->count + more, size = t->slots ? (size_t)t->mask + 1 : 0;
    if (t->slots && want * 4 <= size * 3)
        return FL_OK;
    size_t nsize = MIN_SLOTS;
    while (want * 4 > nsize * 3)
        nsize *= 2;
    if (nsize > ((size_t)1 << 31))
        return FL_ENOMEM;
    return resize(ns, pidx, t, off, nsize);
}

int fls_mt_insert(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, size_t off, void *m)
{
    if (fls_mt_reserve(ns, pidx, t, off, 1) != FL_OK)
        return FL_ENOMEM;
    place(t->slots, t->mask, hash_of(ns, m, off), m);
    t->count++;
    return FL_OK;
}

void *fls_mt_remove(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, size_t off, void **slot)
{
    void *gone = *slot;
    uint64_t hole = (uint64_t)(slot - t->slots);
    *slot = NULL;
    t->count--;
    /* backward shift: move later entries of the run into the hole when their home allows */
    for (uint64_t i = (hole + 1) & t->mask; t->slots[i]; i = (i + 1) & t->mask) {
        uint64_t home = hash_of(ns, t->slots[i], off) & t->mask;
        /* can move to `hole` iff home is not in the cyclic range (hole, i] */
        bool in_range = hole <= i ? (home > hole && home <= i) : (home > hole || home <= i);
        if (!in_range) {
            t->slots[hole] = t->slots[i];
            t->slots[i] = NULL;
            hole = i;
        }
    }
    size_t size = (size_t)t->mask + 1;
    if (t->count == 0) {
        fls_free(ns, pidx, t->slots, size * sizeof(void *));
        t->slots = NULL;
        t->mask = 0;
    } else if (size > MIN_SLOTS && t->count < size / 4) {
        size_t nsize = MIN_SLOTS; /* half full: dense after a mass delete, room to grow back */
        while ((size_t)t->count * 2 > nsize)
            nsize *= 2;
        resize(ns, pidx, t, off, nsize); /* a failed shrink keeps the bigger table */
    }
    return gone;
}

void fls_mt_clear(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, size_t off, bool free_members)
{
    if (!t->slots)
        return;
    if (free_members)
        for (size_t i = 0; i <= t->mask; i++)
            if (t->slots[i])
                fls_mbr_free(ns, pidx, t->slots[i], off);
    fls_free(ns, pidx, t->slots, ((size_t)t->mask + 1) * sizeof(void *));
    memset(t, 0, sizeof(*t));
}

void **fls_mt_random(const fls_mtab_t *t)
{
    for (;;) {
        void **slot = &t->slots[fls_rand() & t->mask];
        if (*slot)
            return slot;
    }
}

uint64_t fls_mt_scan(const fls_mtab_t *t, fl_ns_t *ns, size_t off, uint64_t cursor, size_t count,
                     void (*fn)(void *ctx, const void *m), void *ctx)
{
    if (!t->slots)
        return 0;
    uint64_t mask = t->mask;
    cursor &= mask;
    do {
        /* the members whose home is `cursor`: in the run of occupied slots starting there */
        for (uint64_t i = cursor; t->slots[i]; i = (i + 1) & mask) {
            if ((hash_of(ns, t->slots[i], off) & mask) == cursor)
                fn(ctx, t->slots[i]);
            if (((i + 1) & mask) == cursor)
                break; /* a full table cannot happen (load <= 3/4): defensive */
        }
        cursor = fls_cursor_next(cursor, mask);
    } while (cursor && --count > 0);
    return cursor;
}

bool fls_mt_walk(fls_mtab_t *t, size_t off, const fls_walk_ops_t *ops, void *ctx, uint32_t *pos,
                 size_t *did)
{
    return fls_mt_walk_sized(t, off, fls_mbr_alloc_size, ops, ctx, pos, did);
}

bool fls_mt_walk_sized(fls_mtab_t *t, size_t off, size_t (*size)(const void *m, size_t off),
                       const fls_walk_ops_t *ops, void *ctx, uint32_t *pos, size_t *did)
{
    if (!t->slots || !ops->node)
        return true;
    uint64_t start = *pos ? *pos - 1 : 0; /* *pos = next slot + 1; 0 = array not offered yet */
    if (*pos == 0) {
        t->slots = ops->node(ctx, t->slots, fls_mt_array_size(t));
        (*did)++;
    }
    for (uint64_t i = start; i <= t->mask; i++) {
        if (i > start && (i & 63) == 0 && ops->yield && ops->yield(ctx)) {
            *pos = (uint32_t)(i + 1);
            return false;
        }
        if (t->slots[i]) {
            t->slots[i] = ops->node(ctx, t->slots[i], size(t->slots[i], off));
            (*did)++;
        }
    }
    return true;
}
