/*
 * flatline/collections.h: lists, sets and sorted sets in the namespace store (src/store/
 * lists.c, sets.c, zsets.c). Same conventions as flatline/store.h: FL_OK or a negative
 * fl_status; FL_EWRONGTYPE when the key holds another type; values reach a sink under the
 * partition lock; a collection whose last element goes is deleted; every call may run on any
 * thread concurrently. Counts and indexes follow Redis 7.0 (negative indexes count from the
 * tail). Writes that add elements check the namespace's quota first (FL_EOOM: nothing
 * changed).
 */
#ifndef FLATLINE_COLLECTIONS_H
#define FLATLINE_COLLECTIONS_H

#include "flatline/store.h"

#ifdef __cplusplus
extern "C" {
#endif

/* OBJECT ENCODING of any key: Redis 7.0's name for the same content ("embstr"/"int"/"raw"
 * for strings, "hashtable" for hashes, "quicklist" for lists, "intset"/"hashtable" for sets,
 * "listpack"/"skiplist" for sorted sets), or NULL when the key is missing. */
int fl_key_encoding(fl_ns_t *ns, fl_slice_t key, const char **encoding);

/* ---- Lists ---------------------------------------------------------------------------------- */

/* LPUSH/RPUSH (tail false/true) of n elements in order; with `only_existing` (LPUSHX/RPUSHX)
 * nothing is created. *len gets the new length (0 when the key is missing and only_existing).*/
int fl_list_push(fl_ns_t *ns, fl_slice_t key, bool tail, const fl_slice_t *elems, size_t n,
                 bool only_existing, size_t *len);

/* LPOP/RPOP of up to `count` elements: emits them as bulks (preceded by array(k) when
 * as_array); *popped = k (0 and nothing emitted when the key is missing). */
int fl_list_pop(fl_ns_t *ns, fl_slice_t key, bool tail, size_t count, bool as_array,
                const fl_sink_t *out, size_t *popped);

/* LLEN. */
int fl_list_len(fl_ns_t *ns, fl_slice_t key, size_t *len);

/* LRANGE: emits array(k) then the elements (an empty array when missing). */
int fl_list_range(fl_ns_t *ns, fl_slice_t key, int64_t start, int64_t stop, const fl_sink_t *out);

/* LINDEX: emits the element or nil. */
int fl_list_index(fl_ns_t *ns, fl_slice_t key, int64_t index, const fl_sink_t *out);

/* LSET: FL_ENOKEY when missing, FL_ERANGE when the index is out of range. */
int fl_list_set(fl_ns_t *ns, fl_slice_t key, int64_t index, fl_slice_t val);

/* LINSERT BEFORE/AFTER: *len = new length, -1 when the pivot is absent, 0 when missing. */
int fl_list_insert(fl_ns_t *ns, fl_slice_t key, bool after, fl_slice_t pivot, fl_slice_t val,
                   int64_t *len);

/* LREM: count > 0 from the head, < 0 from the tail, 0 all; *removed. */
int fl_list_rem(fl_ns_t *ns, fl_slice_t key, int64_t count, fl_slice_t val, size_t *removed);

/* LTRIM. */
int fl_list_trim(fl_ns_t *ns, fl_slice_t key, int64_t start, int64_t stop);

/* LPOS: calls fn with each matching index (rank: 1-based, negative from the tail; count 0 =
 * all; maxlen 0 = whole list), in scan order. */
typedef void (*fl_pos_fn)(void *ctx, int64_t index);
int fl_list_pos(fl_ns_t *ns, fl_slice_t key, fl_slice_t elem, int64_t rank, size_t count,
                size_t maxlen, fl_pos_fn fn, void *ctx);

/* LMOVE/RPOPLPUSH: pops from src's head or tail and pushes to dst's, atomically (both
 * partitions write-locked in ascending order); emits the element as a bulk. *moved false and
 * nothing emitted when src is missing (dst's type is then not checked, as Redis). */
int fl_list_move(fl_ns_t *ns, fl_slice_t src, fl_slice_t dst, bool src_tail, bool dst_tail,
                 const fl_sink_t *out, bool *moved);

/* ---- Sets ---------------------------------------------------------------------------------- */

/* SADD: *added = members that were not there. */
int fl_set_add(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, size_t *added);

/* SREM: *removed. */
int fl_set_rem(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, size_t *removed);

/* SCARD. */
int fl_set_card(fl_ns_t *ns, fl_slice_t key, size_t *card);

/* SISMEMBER / SMISMEMBER: found[i] for each of n members. */
int fl_set_ismember(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, bool *found);

/* SMEMBERS: emits array(card) then the members (empty array when missing). */
int fl_set_members(fl_ns_t *ns, fl_slice_t key, const fl_sink_t *out);

/* SRANDMEMBER key count: count >= 0 distinct members (all when count >= card), count < 0
 * |count| members with repetitions; emits array(k) then them. With `single`, emits one member
 * (bulk) or nil, and count is ignored. */
int fl_set_randmember(fl_ns_t *ns, fl_slice_t key, int64_t count, bool single,
                      const fl_sink_t *out);

/* SPOP: removes and emits up to count random members (array(k) then them), or with `single`
 * one member (bulk) or nil. */
int fl_set_pop(fl_ns_t *ns, fl_slice_t key, size_t count, bool single, const fl_sink_t *out);

/* SMOVE: *moved tells whether the member left src (and is in dst). */
int fl_set_move(fl_ns_t *ns, fl_slice_t src, fl_slice_t dst, fl_slice_t member, bool *moved);

/* SINTER/SUNION/SDIFF over n keys, with every key's partition locked (ascending order) for
 * the whole operation, so it is atomic. dst NULL: emits array(k) then the members; else
 * stores the result in *dst (replacing whatever it held; deleted when empty) and emits
 * nothing. `limit` (SINTERCARD; 0 = none) stops counting there; with `card_only` nothing is
 * emitted. *card gets the result's size. */
typedef enum fl_set_op { FL_SINTER, FL_SUNION, FL_SDIFF } fl_set_op_t;
int fl_set_algebra(fl_ns_t *ns, fl_set_op_t op, const fl_slice_t *keys, size_t n,
                   const fl_slice_t *dst, bool card_only, size_t limit, const fl_sink_t *out,
                   size_t *card);

/* SSCAN: members visited from `cursor` (about `count` slots of the member table; a small set
 * is returned whole), matching the glob (NULL = all), passed to fn under the lock; *next = 0
 * when done. */
typedef void (*fl_member_fn)(void *ctx, const char *p, size_t n);
int fl_set_scan(fl_ns_t *ns, fl_slice_t key, uint64_t cursor, const char *pattern,
                size_t pattern_len, size_t count, fl_member_fn fn, void *ctx, uint64_t *next);

#ifdef __cplusplus
}
#endif

#endif /* FLATLINE_COLLECTIONS_H */
