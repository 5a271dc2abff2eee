/*
 * src/store/quicklist.h: a list's elements in packed chunks (prefix fls_ql_), the data
 * structure behind lists.c. Private to src/store/.
 *
 * Shape: the descriptor (inline in the list's record) points to an array of chunk pointers;
 * each chunk is one arena allocation of its used size: a 12-byte header then its entries back to
 * back. An entry is [len][bytes][len]: len is one byte when below 0x80, else the byte 0x80 and a
 * 32-bit length (five bytes; mirrored at the end as the 32-bit length then 0x80), so a chunk is
 * read forwards and backwards. A chunk holds what Redis's list-max-listpack-size allows (-2 by
 * default: 8 KiB; a count of entries of at most FLS_QL_CHUNK_MAX bytes) unless one entry is
 * larger; an element at or above DEBUG QUICKLIST-PACKED-THRESHOLD (1 GiB) is alone in its chunk
 * (Redis's plain node). The header is (bytes used, entries, bytes
 * allocated): allocated == used except after a shrinking realloc failed (the block is kept, and
 * freed with its real size).
 *
 * Invariants: every chunk holds >= 1 entry; count is the sum of the chunks' counts; nchunks
 * <= cap; p is NULL exactly when nchunks == 0 (then count == 0). Each chunk is referenced once
 * (its slot in the array), the array once (the descriptor): the walk offers both.
 *
 * Errors: the mutators return FL_OK or FL_ENOMEM (then nothing changed). Locking: the caller
 * holds the partition's write lock (read lock for the readers).
 */
#ifndef FLATLINE_STORE_QUICKLIST_H
#define FLATLINE_STORE_QUICKLIST_H

#include "store_internal.h"

#define FLS_QL_CHUNK_MAX 8192u /* Redis's SIZE_SAFETY_LIMIT: chunks filled by count */
#define FLS_QL_HDR 12u

typedef struct fls_ql {
    uint8_t **p;      /* chunk pointers (cap slots), NULL when empty */
    uint64_t count;   /* elements */
    uint32_t nchunks; /* chunks in use */
    uint32_t cap;     /* slots of p */
} fls_ql_t;

/* A position: chunk index and the byte offset of an entry in it. ci == nchunks is the end. */
typedef struct fls_ql_pos {
    uint32_t ci;
    uint32_t off;
} fls_ql_pos_t;

/* Bytes an element of n bytes takes in a chunk. */
size_t fls_ql_entry_size(size_t n);

/* The position of element `index` (0 = head; negative counts from the tail, -1 = last), or
 * false when out of range. */
bool fls_ql_seek(const fls_ql_t *q, int64_t index, fls_ql_pos_t *pos);
/* The element at pos (not the end). */
void fls_ql_get(const fls_ql_t *q, fls_ql_pos_t pos, const char **p, size_t *n);
/* Moves to the next element; false (pos = end) after the last. */
bool fls_ql_next(const fls_ql_t *q, fls_ql_pos_t *pos);
/* Moves to the previous element; false (pos unchanged) before the first. */
bool fls_ql_prev(const fls_ql_t *q, fls_ql_pos_t *pos);
/* The end position (one past the last element). */
static inline fls_ql_pos_t fls_ql_end(const fls_ql_t *q)
{
    return (fls_ql_pos_t){q->nchunks, 0};
}
static inline fls_ql_pos_t fls_ql_begin(const fls_ql_t *q)
{
    return (fls_ql_pos_t){0, q->nchunks ? FLS_QL_HDR : 0};
}

/* Inserts an element before pos (pos may be the end: append). */
int fls_ql_insert(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, fls_ql_pos_t pos, const char *p,
                  size_t n);
/* Adds an element at the head or the tail. */
int fls_ql_push(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, bool tail, const char *p, size_t n);
/* Deletes the element at pos; pos then designates the element that followed (or the end). */
void fls_ql_delete(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, fls_ql_pos_t *pos);
/* Replaces the element at pos. */
int fls_ql_replace(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q, fls_ql_pos_t pos, const char *p,
                   size_t n);
/* Frees every chunk and the array (the list is then empty). */
void fls_ql_clear(fl_ns_t *ns, uint32_t pidx, fls_ql_t *q);

/* A deep copy of src into the empty dst (FL_ENOMEM: dst left empty). */
int fls_ql_clone(fl_ns_t *ns, uint32_t pidx, fls_ql_t *dst, const fls_ql_t *src);

/* Requested / usable bytes of the chunks and the array. */
size_t fls_ql_total(const fls_ql_t *q);
size_t fls_ql_usable(const fls_ql_t *q);
/* The defrag walk over the array and the chunks (fls_type_ops_t.walk; the unit is a chunk,
 * *pos the next chunk's index + 1, 0 before the array; never yields before the first unit of
 * a call, so every call makes progress). */
bool fls_ql_walk(fls_ql_t *q, const fls_walk_ops_t *ops, void *ctx, uint32_t *pos, size_t *did);

#endif /* FLATLINE_STORE_QUICKLIST_H */
