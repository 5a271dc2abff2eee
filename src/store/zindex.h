/*
 * src/store/zindex.h: the order index of a large sorted set (prefix fls_zi_): its members
 * sorted by (score, member bytes), in leaves of up to FLS_ZI_LEAF_MAX pointers under one array
 * of leaf pointers (a two-level B+ tree without keys in the upper level: a search compares
 * against each leaf's last member). Private to src/store/.
 *
 * The members are the sorted set's allocations (mtab.h layout with an 8-byte header holding
 * the score as a double); the index does not own them. A leaf is one arena allocation of
 * 8 + 8 * cap bytes (cap in 8..128, n <= cap, grown and shrunk by doubling and halving); a full
 * leaf splits in two, a leaf below a quarter full merges into a neighbour with room, so a leaf
 * averages more than half full after any sequence of inserts and deletes: 8-16 bytes per
 * member. Position = (leaf, slot); rank = members in the leaves before + slot (O(leaves)).
 *
 * Invariants: every leaf holds >= 1 member; members are in strict (score, bytes) order across
 * leaves; count is the sum of the leaves' n. Errors: FL_OK or FL_ENOMEM (index unchanged).
 */
#ifndef FLATLINE_STORE_ZINDEX_H
#define FLATLINE_STORE_ZINDEX_H

#include "store_internal.h"

#define FLS_ZI_LEAF_MAX 128u
#define FLS_ZI_HDR 8u /* a member's header: its score */

typedef struct fls_zleaf {
    uint32_t n, cap;
    void *m[];
} fls_zleaf_t;

typedef struct fls_zindex {
    fls_zleaf_t **leaves;
    uint32_t nleaves, cap;
    uint64_t count;
} fls_zindex_t;

typedef struct fls_zpos {
    uint32_t leaf, slot;
} fls_zpos_t;

static inline double fls_zmbr_score(const void *m)
{
    double s;
    memcpy(&s, m, sizeof(s));
    return s;
}

/* "x comes before the bound": the predicate a search is given (lower_bound semantics). */
typedef bool (*fls_zbefore_fn)(const void *ctx, double score, const char *p, size_t n);

/* The first position whose member is not before the bound (the end position when none). */
fls_zpos_t fls_zi_lower_bound(const fls_zindex_t *z, fls_zbefore_fn before, const void *ctx);
/* The position of rank r (< count), and the rank of a position. */
fls_zpos_t fls_zi_at(const fls_zindex_t *z, uint64_t r);
uint64_t fls_zi_rank(const fls_zindex_t *z, fls_zpos_t pos);
static inline void *fls_zi_get(const fls_zindex_t *z, fls_zpos_t pos)
{
    return z->leaves[pos.leaf]->m[pos.slot];
}
/* Steps; false when it passes either end. */
bool fls_zi_next(const fls_zindex_t *z, fls_zpos_t *pos);
bool fls_zi_prev(const fls_zindex_t *z, fls_zpos_t *pos);

/* Inserts member m (absent) at its place. */
int fls_zi_insert(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z, void *m);
/* Removes the member at pos from the index (not freed). */
void fls_zi_remove(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z, fls_zpos_t pos);
/* The position of exactly member m (present). */
fls_zpos_t fls_zi_find(const fls_zindex_t *z, const void *m);
/* Frees the leaves and the array (not the members). */
void fls_zi_clear(fl_ns_t *ns, uint32_t pidx, fls_zindex_t *z);
/* Requested / usable bytes of the leaves and the array. */
size_t fls_zi_total(const fls_zindex_t *z);
size_t fls_zi_usable(const fls_zindex_t *z);

/* Orders two members: by score, then by bytes (memcmp, shorter first on a tie). */
int fls_zcmp(double s1, const char *p1, size_t n1, double s2, const char *p2, size_t n2);

#endif /* FLATLINE_STORE_ZINDEX_H */
