/*
 * src/store/mtab.h: a table of members (prefix fls_mt_), the hash index of large sets and
 * sorted sets. Private to src/store/.
 *
 * Shape: open addressing with linear probing over a power-of-two array of pointers, each to a
 * member: one arena allocation holding `off` bytes of the owner's header (a sorted set keeps
 * the score there), then the member's length (one byte below 0xff, else 0xff and 32 bits) and
 * bytes. No hash is stored: it is recomputed when the table is resized. Deletion shifts the
 * following entries back (no tombstones), so every member sits in the run of occupied slots
 * that starts at its home slot (hash & mask): lookups stop at the first empty slot, and a scan
 * by home slot (fls_mt_scan) finds each member where Redis's reverse-binary cursor expects it.
 *
 * Load: the table doubles above 3/4 full; below 1/4 full it shrinks to the smallest size at
 * most half full. The array costs 10.7-21 bytes per member (8 / load) while growing, at most
 * 32 while shrinking. Invariant: count < mask + 1; slots is NULL only while
 * count == 0 and mask == 0.
 *
 * Errors: fls_mt_insert returns FL_OK or FL_ENOMEM (table unchanged). Locking: the caller
 * holds the partition's lock (write lock to change it).
 */
#ifndef FLATLINE_STORE_MTAB_H
#define FLATLINE_STORE_MTAB_H

#include "store_internal.h"

typedef struct fls_mtab {
    void **slots;
    uint32_t mask;  /* slots - 1 */
    uint32_t count; /* members */
} fls_mtab_t;

/* Member allocations: size, creation (the owner's `off` header bytes left for the caller),
 * reading, freeing. */
size_t fls_mbr_size(size_t off, size_t n);
/* Writes (p, n) in the member encoding (length, bytes) at w; returns the byte after it. */
uint8_t *fls_mbr_put(uint8_t *w, const char *p, size_t n);
void *fls_mbr_new(fl_ns_t *ns, uint32_t pidx, size_t off, const char *p, size_t n);
void fls_mbr_get(const void *m, size_t off, const char **p, size_t *n);
size_t fls_mbr_alloc_size(const void *m, size_t off);
void fls_mbr_free(fl_ns_t *ns, uint32_t pidx, void *m, size_t off);

/* The slot holding member (p, n), or NULL. */
void **fls_mt_find(const fls_mtab_t *t, fl_ns_t *ns, size_t off, const char *p, size_t n);
/* The slot holding exactly the allocation m (for fixing a moved member's reference). */
void **fls_mt_find_ptr(const fls_mtab_t *t, fl_ns_t *ns, size_t off, const void *m);
/* Adds member m (not present). Grows first when needed: FL_OK or FL_ENOMEM. */
int fls_mt_insert(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, size_t off, void *m);
/* Makes room for `more` members in one resize (bulk loads). FL_OK or FL_ENOMEM. */
int fls_mt_reserve(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, size_t off, size_t more);
/* Takes the member in `slot` out (returned, not freed); may shrink the table. */
void *fls_mt_remove(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, size_t off, void **slot);
/* Frees the array, and every member when free_members. */
void fls_mt_clear(fl_ns_t *ns, uint32_t pidx, fls_mtab_t *t, size_t off, bool free_members);
/* Requested bytes of the array (members not included). */
static inline size_t fls_mt_array_size(const fls_mtab_t *t)
{
    return t->slots ? ((size_t)t->mask + 1) * sizeof(void *) : 0;
}
/* The slot of a random member (count > 0; load >= 1/8, so a few probes). */
void **fls_mt_random(const fls_mtab_t *t);

/* SCAN over home slots with Redis's reverse-binary cursor: calls fn for every member whose
 * home slot is visited, about `count` slots from `cursor`; returns the next cursor (0: done). */
uint64_t fls_mt_scan(const fls_mtab_t *t, fl_ns_t *ns, size_t off, uint64_t cursor, size_t count,
                     void (*fn)(void *ctx, const void *m), void *ctx);

/* The defrag walk over the array and the members (fls_type_ops_t.walk: the position is the
 * next slot index + 1, 0 before the array; yields are offered every 64 slots, never before
 * the first unit of a call so every call makes progress). */
bool fls_mt_walk(fls_mtab_t *t, size_t off, const fls_walk_ops_t *ops, void *ctx, uint32_t *pos,
                 size_t *did);
/* The same for members that hold more than the member encoding after it (a hash's field and
 * value): `size` gives a member's allocation size. */
bool fls_mt_walk_sized(fls_mtab_t *t, size_t off, size_t (*size)(const void *m, size_t off),
                       const fls_walk_ops_t *ops, void *ctx, uint32_t *pos, size_t *did);

#endif /* FLATLINE_STORE_MTAB_H */
