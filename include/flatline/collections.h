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

/* SMOVE: *moved tells whether the member left src (and is in dst); *added (may be NULL)
 * whether dst did not hold it before. */
int fl_set_move(fl_ns_t *ns, fl_slice_t src, fl_slice_t dst, fl_slice_t member, bool *moved,
                bool *added);

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

/* ---- Sorted sets ----------------------------------------------------------------------------- */

/* Writes a score as Redis 7.0 replies it (%.17g, "inf", "-inf") into buf (>= 32 bytes);
 * returns the length. */
size_t fl_fmt_score(double d, char *buf);

/* ZADD / ZINCRBY: n (score, member) pairs with the flags below. *added = new members,
 * *changed = members whose score changed. With FL_ZADD_INCR (n == 1) *score gets the new
 * score and *done whether the member was written (false: NX/XX/GT/LT refused it).
 * FL_EINVAL for NaN scores and for an increment that makes a NaN (nothing changed by it). */
#define FL_ZADD_NX 0x1u
#define FL_ZADD_XX 0x2u
#define FL_ZADD_GT 0x4u
#define FL_ZADD_LT 0x8u
#define FL_ZADD_INCR 0x10u
int fl_zset_add(fl_ns_t *ns, fl_slice_t key, unsigned flags, const double *scores,
                const fl_slice_t *members, size_t n, size_t *added, size_t *changed, double *score,
                bool *done);

/* ZREM: *removed. */
int fl_zset_rem(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, size_t *removed);

/* ZCARD. */
int fl_zset_card(fl_ns_t *ns, fl_slice_t key, size_t *card);

/* ZSCORE (as_array false: one bulk or nil) / ZMSCORE (array(n) of bulks and nils). */
int fl_zset_score(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *members, size_t n, bool as_array,
                  const fl_sink_t *out);

/* ZRANK / ZREVRANK: *found, *rank. */
int fl_zset_rank(fl_ns_t *ns, fl_slice_t key, fl_slice_t member, bool rev, bool *found,
                 uint64_t *rank);

/* A range of a sorted set: by rank, score or member (lex). min/max are in ascending order
 * whatever `rev` (the command turned a REV form's max/min around). */
typedef enum fl_zrange_by { FL_ZBY_RANK, FL_ZBY_SCORE, FL_ZBY_LEX } fl_zrange_by_t;
typedef struct fl_zbound {
    double score;   /* BY SCORE */
    fl_slice_t lex; /* BY LEX */
    bool excl;      /* "(" */
    int inf;        /* BY LEX: -1 for "-", +1 for "+", 0 for a member */
} fl_zbound_t;
typedef struct fl_zrange {
    fl_zrange_by_t by;
    bool rev;
    bool withscores;
    int64_t start, stop;   /* BY RANK (in the order `rev` gives) */
    fl_zbound_t min, max;  /* BY SCORE / LEX */
    int64_t offset, count; /* LIMIT; count < 0: no limit */
} fl_zrange_t;

/* What fl_zset_range does with the range. */
typedef enum fl_zrange_mode {
    FL_ZR_EMIT,   /* ZRANGE...: array(k) (2k WITHSCORES) then members [and scores] */
    FL_ZR_COUNT,  /* ZCOUNT/ZLEXCOUNT: *n only */
    FL_ZR_REMOVE, /* ZREMRANGEBY...: deletes them, *n */
} fl_zrange_mode_t;
int fl_zset_range(fl_ns_t *ns, fl_slice_t key, const fl_zrange_t *r, fl_zrange_mode_t mode,
                  const fl_sink_t *out, size_t *n);

/* ZRANGESTORE: stores the range of src in dst (replacing it; deleted when empty); *n. */
int fl_zset_range_store(fl_ns_t *ns, fl_slice_t dst, fl_slice_t src, const fl_zrange_t *r,
                        size_t *n);

/* ZPOPMIN/ZPOPMAX: up to count lowest/highest members. Emits, when `header`, array(2k) (or
 * array(k) when `nested`), then each member and its score (nested: each pair as array(2)).
 * *popped = k. */
int fl_zset_pop(fl_ns_t *ns, fl_slice_t key, bool max, size_t count, bool header, bool nested,
                const fl_sink_t *out, size_t *popped);

/* ZRANDMEMBER: `single`: one member (bulk) or nil; else count >= 0 distinct members, < 0 with
 * repetitions, as array(k) (2k WITHSCORES) then members [and scores]. */
int fl_zset_randmember(fl_ns_t *ns, fl_slice_t key, int64_t count, bool single, bool withscores,
                       const fl_sink_t *out);

/* ZUNION/ZINTER/ZDIFF[STORE], ZINTERCARD over n keys holding sorted sets or sets (a set's
 * members score 1), atomically (every partition locked in ascending order). weights: n
 * factors or NULL. dst NULL: emits array(k) (2k WITHSCORES) in (score, member) order; else
 * stores in *dst. card_only: nothing emitted or stored, counting stops at `limit` (0: none). */
typedef enum fl_zset_op { FL_ZUNION, FL_ZINTER, FL_ZDIFF } fl_zset_op_t;
typedef enum fl_zaggr { FL_ZAGGR_SUM, FL_ZAGGR_MIN, FL_ZAGGR_MAX } fl_zaggr_t;
int fl_zset_algebra(fl_ns_t *ns, fl_zset_op_t op, const fl_slice_t *keys, size_t n,
                    const double *weights, fl_zaggr_t aggr, const fl_slice_t *dst, bool withscores,
                    bool card_only, size_t limit, const fl_sink_t *out, size_t *card);

/* ZSCAN: like fl_set_scan; fn gets each member, then its score as text. */
int fl_zset_scan(fl_ns_t *ns, fl_slice_t key, uint64_t cursor, const char *pattern,
                 size_t pattern_len, size_t count, fl_member_fn fn, void *ctx, uint64_t *next);

#ifdef __cplusplus
}
#endif

#endif /* FLATLINE_COLLECTIONS_H */
