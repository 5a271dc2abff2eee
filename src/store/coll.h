/*
 * src/store/coll.h: what lists.c, sets.c and zsets.c share (prefix fls_coll_): finding a
 * collection for a read or a write with its type checked, creating its record, and publishing
 * a change through the commit point (deleting the key when its last element went).
 * Private to src/store/.
 */
#ifndef FLATLINE_STORE_COLL_H
#define FLATLINE_STORE_COLL_H

#include "store_internal.h"

typedef struct fls_dcopy fls_dcopy_t;

/* A collection write in progress: the partition's write lock is held from
 * fls_coll_write_begin to fls_coll_write_end. The write op describes its change in `delta`
 * (one assignment, or fls_coll_delta_copy per element for what it frees as it goes): the
 * commit passes it to the log, which writes it instead of the whole collection. Left without
 * a verb, the log writes the collection's state. */
typedef struct fls_cw {
    fls_key_t k;
    int64_t now;
    uint8_t type;
    fls_rec_t **ref; /* the live record's slot, or the insertion slot of a new one */
    fls_rec_t *rec;  /* the record (NULL while the key is missing) */
    bool created;    /* rec is new and not linked yet */
    fl_delta_t delta;
    fls_dcopy_t *copy; /* fls_coll_delta_copy's arguments (private malloc), or NULL */
} fls_cw_t;

/* Sets w's delta to `verb` with a copy of p[0..n) appended to its arguments (SPOP's SREM,
 * ZREMRANGEBY*'s ZREM: the member is freed right after). Out of memory: the delta is dropped
 * (the log writes the state). The copies are freed when the write is published. */
void fls_coll_delta_copy(fls_cw_t *w, const char *verb, const char *p, size_t n);

/* Locks key's partition for writing (evicting first for about `hint` bytes) and finds the
 * live record. FL_OK (w->rec NULL when missing) or FL_EWRONGTYPE; the lock is held either
 * way: call fls_coll_write_end. */
int fls_coll_write_begin(fl_ns_t *ns, fl_slice_t key, uint8_t type, size_t hint, fls_cw_t *w);

/* Makes a new empty record for the missing key of w (not linked: fls_coll_write_end links it
 * when it holds elements). FL_OK or FL_ENOMEM. */
int fls_coll_create(fl_ns_t *ns, fls_cw_t *w);

/* Publishes the write: links a created record, notes a modified one, deletes one left empty
 * (a created record left empty is just freed). `changed` false: nothing was modified. Unlocks. */
void fls_coll_write_end(fl_ns_t *ns, fls_cw_t *w, bool changed);

/* Read access: read-locks and finds the live record; FL_EWRONGTYPE (then *rec NULL) when it
 * holds another type. Call fls_read_end(ns, k) after. */
int fls_coll_read_begin(fl_ns_t *ns, fl_slice_t key, uint8_t type, fls_key_t *k, fls_rec_t **rec);

/* The same for a record found by a caller that already holds k's write lock (several keys). */
int fls_coll_locked_find(fl_ns_t *ns, fls_key_t *k, uint8_t type, int64_t now, fls_cw_t *w);

/* Locks two keys' partitions for writing in ascending index order (once when they share one),
 * evicting first for about `hint` bytes. fls_coll_unlock2 releases them. The commits in
 * between are one group (fls_group_begin): one unit in the log. */
void fls_coll_lock2(fl_ns_t *ns, fls_key_t *a, fls_key_t *b, size_t hint);
void fls_coll_unlock2(fl_ns_t *ns, fls_key_t *a, fls_key_t *b);

/* Publishes a change made under a lock taken by fls_coll_lock2 (does not unlock). With two
 * keys in one partition, publish a created record before the other key's change (a created
 * record's insertion slot must not see the table resized; an existing record's slot is looked
 * up again here). */
void fls_coll_publish(fl_ns_t *ns, fls_cw_t *w, bool changed);

/* Locks the partitions of n keys for writing, each once, in ascending index order (the lock
 * order MSET uses), evicting first for about `hint` bytes; fls_coll_unlock_many releases them.
 * The commits in between are one group, as with fls_coll_lock2. */
void fls_coll_lock_many(fl_ns_t *ns, const fls_key_t *keys, size_t n, size_t hint);
void fls_coll_unlock_many(fl_ns_t *ns, const fls_key_t *keys, size_t n);

/* OBJECT ENCODING, RENAME and COPY reach the collections through types.c's rows, declared in
 * store_internal.h (fls_coll_clone, fls_coll_encoding). */

/* Cross-type reads (the sorted-set algebra takes sets, sets.c): a set record's size, its
 * members in turn from position *i (text of an intset member in buf, >= 24 bytes), and
 * membership. */
size_t fls_set_rec_card(fls_rec_t *r);
bool fls_set_rec_next(fls_rec_t *r, size_t *i, const char **p, size_t *n, char *buf);
bool fls_set_rec_has(fl_ns_t *ns, fls_rec_t *r, fl_slice_t m);

#endif /* FLATLINE_STORE_COLL_H */
