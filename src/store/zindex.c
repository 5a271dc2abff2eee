/*
 * src/store/zindex.c: the order index of large sorted sets (layout and invariants in
 * zindex.h).
 */
#include "zindex.h"

#include "fl_assert.h"
#include "mtab.h"

#define LEAF_MIN_CAP 8u

static size_t leaf_size(uint32_t cap)
{
    return sizeof(fls_zleaf_t) + (size_t)cap * sizeof(void *);
}

int fls_zcmp(double s1, const char *p1, size_t n1, double s2, const char *p2, size_t n2)
{
    if (s1 < s2)
        return -1;
    if (s1 > s2)
        return 1;
    size_t n = n1 < n2 ? n1 : n2;
    int c = n ? memcmp(p1, p2, n) : 0;
    if (c)
        return c;
    return n1 < n2 ? -1 : n1 > n2;
}

static bool is_before(const void *m, fls_zbefore_fn before, const void *ctx)
{
    const char *p;
    size_t n;
    fls_mbr_get(m, FLS_ZI_HDR, &p, &n);
    return before(ctx, fls_zmbr_score(m), p, n);
}

fls_zpos_t fls_zi_lower_bound(const fls_zindex_t *z, fls_zbefore_fn before, const void *ctx)
{
    /* the first leaf whose last member is not before the bound */
    uint32_t lo = 0, hi = z->nleaves;
    while (lo < hi) {
        uint32_t mid = (lo + hi) / 2;
        fls_zleaf_t *l = z->leaves[mid];
        if (is_before(l->m[l->n - 1], before, ctx))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == z->nleaves)
        return (fls_zpos_t){z->nleaves, 0};
    fls_zleaf_t *l = z->leaves[lo];
    uint32_t a = 0, b = l->n;
    while (a < b) {
        uint32_t mid = (a + b) / 2;
        if (is_before(l->m[mid], before, ctx))
            a = mid + 1;
        else
            b = mid;
    }
    return (fls_zpos_t){lo, a};
}

fls_zpos_t fls_zi_at(const fls_zindex_t *z, uint64_t r)
{
    if (r >= z->count)
        return (fls_zpos_t){z->nleaves, 0};
    if (r < z->count / 2) {
        uint32_t i = 0;
        while (r >= z->leaves[i]->n)
            r -= z->leaves[i++]->n;
        return (fls_zpos_t){i, (uint32_t)r};
    }
    uint64_t back = z->count - 1 - r;
    uint32_t i = z->nleaves - 1;
    while (back >= z->leaves[i]->n)
        back -= z->leaves[i--]->n;
    return (fls_zpos_t){i, (uint32_t)(z->leaves[i]->n - 1 - back)};
}

uint64_t fls_zi_rank(const fls_zindex_t *z, fls_zpos_t pos)
{
    uint64_t r = pos.slot;
    if (pos.leaf > z->nleaves / 2) {
        uint64_t after = 0;
        for (uint32_t i = pos.leaf; i < z->nleaves; i++)
            after += z->leaves[i]->n;
        return z->count - after + pos.slot;
    }
    for (uint32_t i = 0; i < pos.leaf; i++)
        r += z->leaves[i]->n;
    return r;
}

bool fls_zi_next(const fls_zindex_t *z, fls_zpos_t *pos)
{
    if (++pos->slot < z->leaves[pos->leaf]->n)
        return true;
    pos->slot = 0;
    return ++pos->leaf < z->nleaves;
}

bool fls_zi_prev(const fls_zindex_t *z, fls_zpos_t *pos)
{
    if (pos->slot > 0) {
        pos->slot--;
        return true;
    }
    if (pos->leaf == 0)
        return false;
    pos->leaf--;
    pos->slot = z->leaves[pos->leaf]->n - 1;
    return true;
}

/* ---- Leaves and the leaf array ------------------------------------------------------------ */

static int array_insert(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z, uint32_t at, fls_zleaf_t *l)
{
    if (z->nleaves == z->cap) {
        uint32_t cap = z->cap ? z->cap * 2 : 1;
        fls_zleaf_t **a =
            z->leaves ? fls_realloc(ns, pidx, z->leaves, z->cap * sizeof(*a), cap * sizeof(*a))
                      : fls_alloc(ns, pidx, cap * sizeof(*a));
        if (!a)
            return FL_ENOMEM;
        z->leaves = a;
        z->cap = cap;
    }
    memmove(z->leaves + at + 1, z->leaves + at, (z->nleaves - at) * sizeof(*z->leaves));
    z->leaves[at] = l;
    z->nleaves++;
    return FL_OK;
}

static void array_remove(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z, uint32_t at)
{
    memmove(z->leaves + at, z->leaves + at + 1, (z->nleaves - at - 1) * sizeof(*z->leaves));
    z->nleaves--;
    if (z->nleaves == 0) {
        fls_free(ns, pidx, z->leaves, z->cap * sizeof(*z->leaves));
        z->leaves = NULL;
        z->cap = 0;
    } else if (z->nleaves < z->cap / 4) {
        fls_zleaf_t **a =
            fls_realloc(ns, pidx, z->leaves, z->cap * sizeof(*a), (z->cap / 2) * sizeof(*a));
        if (a) {
            z->leaves = a;
            z->cap /= 2;
        }
    }
}

/* Resizes leaf `at` to `cap` slots (cap >= n). A failed shrink keeps it; a failed growth is
 * FL_ENOMEM. */
static int leaf_resize(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z, uint32_t at, uint32_t cap)
{
    fls_zleaf_t *l = z->leaves[at];
    fls_zleaf_t *nl = fls_realloc(ns, pidx, l, leaf_size(l->cap), leaf_size(cap));
    if (!nl)
        return cap > l->cap ? FL_ENOMEM : FL_OK;
    nl->cap = cap;
    z->leaves[at] = nl;
    return FL_OK;
}

static fls_zleaf_t *leaf_new(fl_ns_t *ns, uint32_t pidx, uint32_t cap)
{
    fls_zleaf_t *l = fls_alloc(ns, pidx, leaf_size(cap));
    if (l) {
        l->n = 0;
        l->cap = cap;
    }
    return l;
}

static uint32_t cap_for(uint32_t n)
{
    uint32_t cap = LEAF_MIN_CAP;
    while (cap < n)
        cap *= 2;
    return cap;
}

/* Splits full leaf `at`: its upper half goes to a new leaf at + 1. */
static int leaf_split(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z, uint32_t at)
{
    fls_zleaf_t *l = z->leaves[at];
    uint32_t keep = l->n / 2, move = l->n - keep;
    fls_zleaf_t *nl = leaf_new(ns, pidx, cap_for(move + move / 2));
    if (!nl)
        return FL_ENOMEM;
    if (array_insert(ns, pidx, z, at + 1, nl) != FL_OK) {
        fls_free(ns, pidx, nl, leaf_size(nl->cap));
        return FL_ENOMEM;
    }
    memcpy(nl->m, l->m + keep, move * sizeof(void *));
    nl->n = move;
    l->n = keep;
    return FL_OK;
}

static bool before_member(const void *ctx, double score, const char *p, size_t n)
{
    const void *m = ctx;
    const char *mp;
    size_t mn;
    fls_mbr_get(m, FLS_ZI_HDR, &mp, &mn);
    return fls_zcmp(score, p, n, fls_zmbr_score(m), mp, mn) < 0;
}

int fls_zi_insert(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z, void *m)
{
    if (z->nleaves == 0) {
        fls_zleaf_t *l = leaf_new(ns, pidx, LEAF_MIN_CAP);
        if (!l)
            return FL_ENOMEM;
        if (array_insert(ns, pidx, z, 0, l) != FL_OK) {
            fls_free(ns, pidx, l, leaf_size(l->cap));
            return FL_ENOMEM;
        }
    }
    fls_zpos_t pos = z->count ? fls_zi_lower_bound(z, before_member, m) : (fls_zpos_t){0, 0};
    if (pos.leaf == z->nleaves) { /* after the last member: the end of the last leaf */
        pos.leaf = z->nleaves - 1;
        pos.slot = z->leaves[pos.leaf]->n;
    }
    fls_zleaf_t *l = z->leaves[pos.leaf];
    bool at_end = pos.leaf == z->nleaves - 1 && pos.slot == l->n;
    bool at_front = pos.leaf == 0 && pos.slot == 0;
    if (l->n == FLS_ZI_LEAF_MAX && (at_end || at_front)) {
        /* growing at an end (ascending or descending scores): a new leaf, not a split that
         * would leave half-empty leaves behind */
        fls_zleaf_t *nl = leaf_new(ns, pidx, LEAF_MIN_CAP);
        if (!nl)
            return FL_ENOMEM;
        if (array_insert(ns, pidx, z, at_end ? z->nleaves : 0, nl) != FL_OK) {
            fls_free(ns, pidx, nl, leaf_size(nl->cap));
            return FL_ENOMEM;
        }
        pos = (fls_zpos_t){at_end ? z->nleaves - 1 : 0, 0};
        l = nl;
    }
    if (l->n == FLS_ZI_LEAF_MAX) {
        if (leaf_split(ns, pidx, z, pos.leaf) != FL_OK)
            return FL_ENOMEM;
        l = z->leaves[pos.leaf];
        if (pos.slot > l->n) {
            pos.slot -= l->n;
            pos.leaf++;
        }
    }
    l = z->leaves[pos.leaf];
    if (l->n == l->cap && leaf_resize(ns, pidx, z, pos.leaf, l->cap * 2) != FL_OK)
        return FL_ENOMEM;
    l = z->leaves[pos.leaf];
    memmove(l->m + pos.slot + 1, l->m + pos.slot, (l->n - pos.slot) * sizeof(void *));
    l->m[pos.slot] = m;
    l->n++;
    z->count++;
    return FL_OK;
}

fls_zpos_t fls_zi_find(const fls_zindex_t *z, const void *m)
{
    fls_zpos_t pos = fls_zi_lower_bound(z, before_member, m);
    FL_ASSERT(pos.leaf < z->nleaves && fls_zi_get(z, pos) == m);
    return pos;
}

/* Merges leaf `at` into a neighbour when both fit in 3/4 of a full leaf. */
static void maybe_merge(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z, uint32_t at)
{
    fls_zleaf_t *l = z->leaves[at];
    if (l->n >= FLS_ZI_LEAF_MAX / 4)
        return;
    for (int side = 0; side < 2; side++) {
        uint32_t other = side == 0 ? at + 1 : at - 1;
        if ((side == 0 && at + 1 >= z->nleaves) || (side == 1 && at == 0))
            continue;
        fls_zleaf_t *o = z->leaves[other];
        uint32_t n = l->n + o->n;
        if (n > FLS_ZI_LEAF_MAX * 3 / 4)
            continue;
        if (o->cap < n && leaf_resize(ns, pidx, z, other, cap_for(n)) != FL_OK)
            continue;
        o = z->leaves[other];
        if (side == 0) { /* l's members go in front of o's */
            memmove(o->m + l->n, o->m, o->n * sizeof(void *));
            memcpy(o->m, l->m, l->n * sizeof(void *));
        } else {
            memcpy(o->m + o->n, l->m, l->n * sizeof(void *));
        }
        o->n = n;
        fls_free(ns, pidx, l, leaf_size(l->cap));
        array_remove(ns, pidx, z, at);
        return;
    }
    if (l->cap > LEAF_MIN_CAP && l->n <= l->cap / 4)
        leaf_resize(ns, pidx, z, at, cap_for(l->n * 2));
}

void fls_zi_remove(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z, fls_zpos_t pos)
{
    fls_zleaf_t *l = z->leaves[pos.leaf];
    memmove(l->m + pos.slot, l->m + pos.slot + 1, (l->n - pos.slot - 1) * sizeof(void *));
    l->n--;
    z->count--;
    if (l->n == 0) {
        fls_free(ns, pidx, l, leaf_size(l->cap));
        array_remove(ns, pidx, z, pos.leaf);
        return;
    }
    maybe_merge(ns, pidx, z, pos.leaf);
}

void fls_zi_clear(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z)
{
    for (uint32_t i = 0; i < z->nleaves; i++)
        fls_free(ns, pidx, z->leaves[i], leaf_size(z->leaves[i]->cap));
    fls_free(ns, pidx, z->leaves, z->cap * sizeof(*z->leaves));
    memset(z, 0, sizeof(*z));
}

size_t fls_zi_total(const fls_zindex_t *z)
{
    size_t total = z->cap * sizeof(*z->leaves);
    for (uint32_t i = 0; i < z->nleaves; i++)
        total += leaf_size(z->leaves[i]->cap);
    return total;
}

size_t fls_zi_usable(const fls_zindex_t *z)
{
    size_t total = z->leaves ? fl_mem_usable_size(z->leaves) : 0;
    for (uint32_t i = 0; i < z->nleaves; i++)
        total += fl_mem_usable_size(z->leaves[i]);
    return total;
}
