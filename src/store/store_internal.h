/*
 * src/store/store_internal.h: the store's private structures and cross-file internals (prefix
 * fls_). Nothing here is visible outside src/store/.
 *
 * Shape: a store holds namespaces; a namespace holds a power-of-two array of partitions (in its
 * arena); a partition is an open-addressing index of records under its own lock. A record is ONE
 * allocation (header + key + string value; a large string whose one block would waste much of
 * a size class is a head + a tail, see FLS_SPLIT_LINK), or, for a collection (hash, list, set,
 * sorted set), one allocation (header + key + the type's descriptor) plus its internal nodes.
 *
 * Memory: every persistent byte (partition array, bucket arrays, records, collection nodes)
 * comes from the namespace's shared arena through fls_alloc/fls_free/fls_realloc, which add the
 * exact requested size to one of the namespace's `used` stripes. Therefore, when no write is in
 * flight, fl_ns_stats().used == fl_arena_stats().requested. Scratch memory is on the stack or
 * from malloc (the calling worker's private arena), never from the namespace arena.
 *
 * Locking (memcached-style one paragraph): a partition's lock protects its bucket array, mask,
 * expire cursor, every record in it and every node of those records. Counters (count,
 * ttl_count, hits, ...) are written only under the partition lock (or are statistics) and are
 * _Atomic so that readers without the lock (stats, DBSIZE, eviction's choice of partition) can
 * load them relaxed. A record's `atime` is written relaxed under a shared (read) lock too. Lock
 * order: MSET (fl_str_mset), the multi-key commands (multikey.c: MGET, EXISTS, DEL, TOUCH,
 * MSETNX, RENAME, COPY), the multi-key collection commands (LMOVE, SMOVE, the set and
 * sorted-set algebra, ZRANGESTORE: coll.c) and batches (batch.c: MULTI/EXEC) hold several
 * partition locks, taken in ascending partition index (for two namespaces, the lower namespace
 * index first); every other path (commands, eviction, expiry, defrag, SCAN) holds one at a time
 * and takes no other partition lock while holding it, so no cycle can form. A thread's first
 * partition lock passes the store's gate (batch.c), which a whole-store batch closes instead of
 * taking every lock. Values reach a sink while the lock is held.
 *
 * Movability (for the active defragmenter): every persistent allocation is referenced
 * from exactly one place: the partition array from the namespace, an index from its
 * partition, a record from its index slot. Keys and
 * string values are inline in their record, so moving the record moves them; a split string's
 * tail is referenced from its head only (the walk offers it as a node and fixes the link). A
 * collection's nodes hang off the descriptor inside its record; a sorted set's members are
 * referenced from both its order index and its member table, and its walk fixes both (the callback
 * still sees each allocation once). fls_part_walk() visits every one of those references under the
 * partition's write lock and lets a callback replace the pointer by a moved copy.
 */
#ifndef FLATLINE_STORE_INTERNAL_H
#define FLATLINE_STORE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "fl_assert.h"
#include "flatline/store.h"

/* memcpy for slices: a (NULL, 0) slice is valid input, which memcpy does not accept. */
static inline void fls_copy(void *dst, const void *src, size_t n)
{
    if (n)
        memcpy(dst, src, n);
}

/* ---- Records ------------------------------------------------------------------------------ */

/*
 * In-memory record. Serialized layout (what an append-only log or a snapshot would write, all
 * integers little-endian, see fls_rec_serialize):
 *
 *   u8  type            1 = string, 2 = hash, 3 = list, 4 = set, 5 = sorted set (fl_type_t)
 *   i64 expire_at_ms    0 = none
 *   u32 key_len, key bytes
 *   string: u32 value_len, value bytes
 *   hash:   u32 field_count, then field_count times (u32 field_len, field, u32 value_len, value)
 *   list, set: u32 count, then count times (u32 len, bytes), a list in order
 *   sorted set: u32 count, then count times (u32 len, bytes, f64 score), in order
 */
typedef struct fls_rec fls_rec_t;
struct fls_rec {
    _Atomic uint32_t atime; /* access word (fls_access_*): last access + LFU counter, relaxed */
    uint8_t type : 3;       /* fl_type_t */
    uint8_t lzf : 1;        /* a string value stored LZF-compressed (FLS_LZF_HDR, value.c) */
    uint8_t ttl : 1;        /* an expiry is stored (it may be 0: none, after PERSIST) */
    uint8_t wide : 1;       /* lengths are u32 + u32 (else u8 key length + u16 value length) */
    uint8_t raw : 1;        /* a string an edit made (APPEND to an existing key, SETRANGE,
                             * SETBIT): OBJECT ENCODING says "raw" whatever the content, as
                             * Redis's unshared strings do; a whole new value clears it */
    uint8_t split : 1;      /* a string stored in two blocks: the value's tail is apart (below) */
    char data[];            /* the lengths, the expiry (i64, when ttl), the key, then: a string's
                             * value, or a collection's descriptor at the next multiple of 8 (see
                             * fls_rec_bytes) */
};
/*
 * The record header is 8 bytes for a key up to 255 bytes and a value up to 64 KiB without an
 * expiry (atime 4, type/flags 1, key length 1, value length 2), 16 with one, 13 or 21 with wide
 * lengths. Nothing derivable is stored: the key's hash is recomputed when the index needs it
 * (resize, displaced records, SCAN), and a record gets its expiry slot when it first gets an
 * expiry (fls_rec_set_expiry). So a 16-byte key with a 100-byte value fills a 128-byte size
 * class (124 bytes) and one with a 1000-byte value the 1024-byte class exactly.
 */
/*
 * A string value of at least the namespace's string-compress-min bytes is stored compressed
 * (`lzf`) when LZF saves 1/8 of it and the record lands in a smaller size class (value.c): the
 * value's bytes in the record are then its real length (u32) followed by the LZF bytes, and the
 * record's value length (fls_rec_vlen) counts those stored bytes; fls_str_len is the real one.
 * A compressed record is one block (never split). Readers get the real bytes through
 * fls_str_view, which decompresses into scratch the caller owns; writers never edit compressed
 * bytes in place (fls_str_put asserts it): an edit first lays the value out plain.
 */
#define FLS_LZF_HDR sizeof(uint32_t)
/*
 * A large string whose single block would waste more than a small bound to size-class rounding
 * is split (value.c chooses where, with nallocx): the record (its head) fills a size class with
 * header, key, the link to the tail (a pointer, then the tail's u32 length) and the value's
 * first bytes; the tail block holds the rest of the value, exactly sized. The tail is
 * referenced only from its head (the defrag walk moves both and fixes the head's link); a
 * split record is read through fls_str_view and written through fls_str_put/fls_str_fill,
 * never through the raw accessors fls_rec_val/fls_rec_val_mut.
 */
#define FLS_SPLIT_LINK (sizeof(void *) + sizeof(uint32_t))
#define FLS_REC_HDR offsetof(fls_rec_t, data)
#define FLS_NARROW_KLEN 255u
#define FLS_NARROW_VLEN 65535u

static inline bool fls_rec_narrow(size_t klen, size_t vlen)
{
    return klen <= FLS_NARROW_KLEN && vlen <= FLS_NARROW_VLEN;
}
/* Bytes before the key of a record with these lengths, with or without an expiry. */
static inline size_t fls_rec_hdr_size(size_t klen, size_t vlen, bool ttl)
{
    return FLS_REC_HDR + (fls_rec_narrow(klen, vlen) ? 3 : 8) + (ttl ? 8 : 0);
}
static inline size_t fls_rec_key_off(const fls_rec_t *r)
{
    return FLS_REC_HDR + (r->wide ? 8 : 3) + (r->ttl ? 8 : 0);
}
static inline size_t fls_rec_klen(const fls_rec_t *r)
{
    if (!r->wide)
        return (uint8_t)r->data[0];
    uint32_t v;
    memcpy(&v, r->data, sizeof(v));
    return v;
}
/* Bytes a string record stores for its value (0 for the other types): the value's length, or,
 * compressed, FLS_LZF_HDR + the LZF bytes (the layout's length; fls_str_len is the value's). */
static inline size_t fls_rec_vlen(const fls_rec_t *r)
{
    if (!r->wide) {
        uint16_t v;
        memcpy(&v, r->data + 1, sizeof(v));
        return v;
    }
    uint32_t v;
    memcpy(&v, r->data + 4, sizeof(v));
    return v;
}
/* Writes the lengths; a narrow record takes only narrow ones (fls_rec_narrow). */
static inline void fls_rec_set_lens(fls_rec_t *r, size_t klen, size_t vlen)
{
    if (!r->wide) {
        FL_ASSERT(fls_rec_narrow(klen, vlen));
        uint8_t k = (uint8_t)klen;
        uint16_t v = (uint16_t)vlen;
        memcpy(r->data, &k, 1);
        memcpy(r->data + 1, &v, sizeof(v));
        return;
    }
    uint32_t k = (uint32_t)klen, v = (uint32_t)vlen;
    memcpy(r->data, &k, sizeof(k));
    memcpy(r->data + 4, &v, sizeof(v));
}
/* Absolute Unix ms; 0 = no expiry. */
static inline int64_t fls_rec_expiry(const fls_rec_t *r)
{
    if (!r->ttl)
        return 0;
    int64_t at;
    memcpy(&at, r->data + (r->wide ? 8 : 3), sizeof(at));
    return at;
}
/* Stores an expiry in a record that has the slot (r->ttl), or 0 in any record. */
static inline void fls_rec_put_expiry(fls_rec_t *r, int64_t at)
{
    FL_ASSERT(r->ttl || at == 0);
    if (r->ttl)
        memcpy(r->data + (r->wide ? 8 : 3), &at, sizeof(at));
}
static inline const char *fls_rec_key(const fls_rec_t *r)
{
    return (const char *)r + fls_rec_key_off(r);
}
/* A split record's link, just after its key: the tail block and its length. */
static inline char *fls_rec_link(const fls_rec_t *r)
{
    return (char *)r + fls_rec_key_off(r) + fls_rec_klen(r);
}
static inline char *fls_rec_tail(const fls_rec_t *r)
{
    char *t;
    memcpy(&t, fls_rec_link(r), sizeof(t));
    return t;
}
static inline size_t fls_rec_tail_len(const fls_rec_t *r)
{
    if (!r->split)
        return 0;
    uint32_t n;
    memcpy(&n, fls_rec_link(r) + sizeof(void *), sizeof(n));
    return n;
}
static inline void fls_rec_set_tail(fls_rec_t *r, void *tail, size_t n)
{
    FL_ASSERT(r->split && n <= UINT32_MAX);
    uint32_t n32 = (uint32_t)n;
    memcpy(fls_rec_link(r), &tail, sizeof(tail));
    memcpy(fls_rec_link(r) + sizeof(void *), &n32, sizeof(n32));
}
/* The value bytes inside the record's own block: all of them, or a split record's first
 * ones. Only the view and the mutable range (value.c) use it; there is no raw accessor that
 * could miss a tail. */
static inline char *fls_rec_val_in(const fls_rec_t *r)
{
    return fls_rec_link(r) + (r->split ? FLS_SPLIT_LINK : 0);
}
/* A string record's value length (STRLEN), compressed or not. */
static inline size_t fls_str_len(const fls_rec_t *r)
{
    if (!r->lzf)
        return fls_rec_vlen(r);
    uint32_t n;
    memcpy(&n, fls_rec_val_in(r), sizeof(n));
    return n;
}
/* The stored bytes of a string record as they are (plain: its value; compressed: the length
 * word and the LZF bytes): one span, or two for a split record (lock held; valid until the
 * record changes). Layout code (copies, serialization of the representation) only. */
static inline fl_value_t fls_str_stored(const fls_rec_t *r)
{
    size_t n = fls_rec_vlen(r), t = fls_rec_tail_len(r);
    fl_value_t v = {{fls_rec_val_in(r), n - t}, {NULL, 0}};
    if (t)
        v.tail = (fl_slice_t){fls_rec_tail(r), t};
    return v;
}
/*
 * Scratch memory a reader owns for the view of one compressed value (malloc: the calling
 * thread's private arena). Declared FLS_SCRATCH_INIT beside the view, released with
 * fls_scratch_release once the view is no longer used. One scratch holds one view: viewing a
 * second value through a scratch still holding one aborts, so two views alive at once (LCS,
 * BITOP, COPY...) each have their own and none can overwrite another.
 */
typedef struct fls_scratch {
    char *p;
} fls_scratch_t;
#define FLS_SCRATCH_INIT                                                                           \
    {                                                                                              \
        NULL                                                                                       \
    }
/* Offset of a hash's field table or a collection's descriptor: after the key, 8-aligned. */
static inline size_t fls_rec_body_off(size_t key_end)
{
    return (key_end + 7u) & ~(size_t)7u;
}

/* ---- Collections (hashes, lists, sets, sorted sets): one table of operations per type ----- */

/*
 * A collection record holds the key, pads to 8, then a type-specific descriptor of desc_size
 * bytes (the collection's header: counts and the pointers to its internal nodes). Every
 * internal node is an arena allocation owned by the descriptor; the type's file says how each
 * node is referenced. The generic code (destroy, MEMORY USAGE, the defrag walk) reaches them
 * only through these operations.
 */
struct fls_walk_ops;
typedef struct fls_coll_ops {
    const char *name; /* TYPE's reply: "list", "set", "zset" */
    size_t desc_size; /* bytes of the inline descriptor (a multiple of 8) */
    /* Requested (exact) / usable bytes of the internal nodes (not the record). */
    size_t (*total)(const void *desc);
    size_t (*usable)(const void *desc);
    /* Frees every internal node (the record itself is freed by the caller). */
    void (*destroy)(fl_ns_t *ns, uint32_t pidx, void *desc);
    /* Defrag walk: offers the internal nodes to ops->node from position *pos (0 = start;
     * the type defines the unit) and stores each returned pointer in every place that refers
     * to the node. Asks ops->yield before each unit once *did > 0; on true saves *pos and
     * returns false. Returns true when every node was offered. */
    bool (*walk)(fl_ns_t *ns, void *desc, const struct fls_walk_ops *ops, void *ctx, uint32_t *pos,
                 size_t *did);
    /* OBJECT ENCODING, as Redis 7.0 names it for the same content. */
    const char *(*encoding)(const void *desc);
    /* Elements (a record whose count drops to 0 is deleted by its writer). */
    uint64_t (*len)(const void *desc);
    /* COPY: fills the zeroed descriptor dst with a deep copy of src's nodes, allocated for
     * partition pidx. FL_OK, or FL_ENOMEM with dst left empty (nothing leaked). RENAME needs
     * no entry: no node points back at its record, so a descriptor may be copied byte for
     * byte into a record with another key (the old record then freed without its nodes). */
    int (*clone)(fl_ns_t *ns, uint32_t pidx, void *dst, const void *src);
    /* Calls fn for every element: in order for lists and sorted sets (score 0 for the others). */
    void (*each)(const void *desc, void (*fn)(void *ctx, const char *p, size_t n, double score),
                 void *ctx);
} fls_coll_ops_t;

extern const fls_coll_ops_t fls_hash_type, fls_list_type, fls_set_type, fls_zset_type;

/* The operations of a collection type, or NULL for strings. */
static inline const fls_coll_ops_t *fls_coll_ops(uint8_t type)
{
    switch (type) {
    case FL_TYPE_HASH:
        return &fls_hash_type;
    case FL_TYPE_LIST:
        return &fls_list_type;
    case FL_TYPE_SET:
        return &fls_set_type;
    case FL_TYPE_ZSET:
        return &fls_zset_type;
    default:
        return NULL;
    }
}
static inline void *fls_rec_desc(fls_rec_t *r)
{
    return (char *)r + fls_rec_body_off(fls_rec_key_off(r) + fls_rec_klen(r));
}

/* Bytes of a record's own allocation (not its fields or nodes): its type, key length, value
 * length (strings; 0 otherwise) and whether it stores an expiry. */
static inline size_t fls_rec_bytes(unsigned type, size_t klen, size_t vlen, bool ttl)
{
    size_t key_end = fls_rec_hdr_size(klen, vlen, ttl) + klen;
    if (type == FL_TYPE_STRING)
        return key_end + vlen;
    return fls_rec_body_off(key_end) + fls_coll_ops((uint8_t)type)->desc_size;
}
size_t fls_str_tail_plan(size_t klen, size_t vlen, bool ttl);
/* Sizes of records without an expiry (a split string's head and tail): write hints and quota
 * estimates. */
static inline size_t fls_str_rec_size(size_t klen, size_t vlen)
{
    size_t link = fls_str_tail_plan(klen, vlen, false) ? FLS_SPLIT_LINK : 0;
    return fls_rec_bytes(FL_TYPE_STRING, klen, vlen, false) + link;
}
static inline size_t fls_coll_rec_size(size_t klen, const fls_coll_ops_t *t)
{
    return fls_rec_body_off(fls_rec_hdr_size(klen, 0, false) + klen) + t->desc_size;
}

/* Bytes of a string record's head when `tail` value bytes are stored apart (0: unsplit). */
static inline size_t fls_str_head_bytes(size_t klen, size_t vlen, bool ttl, size_t tail)
{
    return fls_rec_bytes(FL_TYPE_STRING, klen, vlen, ttl) + (tail ? FLS_SPLIT_LINK - tail : 0);
}

/* Size of the record's own allocation (not its fields or nodes, nor a split string's tail). */
static inline size_t fls_rec_size(const fls_rec_t *r)
{
    if (r->split)
        return fls_str_head_bytes(fls_rec_klen(r), fls_rec_vlen(r), r->ttl, fls_rec_tail_len(r));
    return fls_rec_bytes(r->type, fls_rec_klen(r), fls_rec_vlen(r), r->ttl);
}

/* ---- Partitions, namespaces, store -------------------------------------------------------- */

#define FLS_TICK_MS 100 /* background thread period (Redis hz 10) */
#define FLS_STRIPES 16  /* `used` is striped by partition index to spread counter traffic */

typedef struct fls_part {
    union {
        pthread_mutex_t m;
        pthread_rwlock_t rw;
    } lock;
    fls_rec_t **b;          /* the index (table.c): (mask + 1) buckets of `width` record
                             * slots, then one tag byte per slot; NULL while the table is empty */
    uint32_t mask;          /* lock: buckets - 1 (buckets is a power of two) */
    uint8_t width;          /* lock: slots per bucket */
    _Atomic uint64_t count; /* keys (written under lock) */
    _Atomic uint64_t ttl_count;
    _Atomic uint64_t hits, misses, expired, evicted; /* statistics */
#ifdef FLATLINE_DEBUG
    _Atomic uint32_t writer;  /* lock.c: id of the thread holding it exclusively, 0 = none */
    _Atomic uint32_t readers; /* lock.c: shared holders (rwlock mode) */
#else
    char pad[8];
#endif
} fls_part_t;
/* Two cache lines, so neighbouring partitions' locks and counters share less. The rwlock (56
 * bytes on glibc x86-64) is the largest member of the lock union. */
_Static_assert(sizeof(fls_part_t) == 128, "a partition is 128 bytes");

/*
 * A partition's index (table.c): open addressing over buckets of `width` slots, probed bucket
 * by bucket from the key's home bucket (hash & mask) to the first bucket with a free slot
 * (linear probing by buckets, backward-shift deletion). Invariant: every record sits in its
 * home bucket or, when that was full, in a later one, and every bucket from its home up to
 * (excluding) its own is full. A slot is a plain record pointer (NULL = free), so `fls_rec_t **`
 * slot references work as chain references did; its tag byte, in a parallel array after the
 * slots, is 0 for a free slot, else FLS_TAG_USED | (FLS_TAG_AWAY when the record is not in its
 * home bucket) | 6 bits of the hash, so a lookup dereferences almost only the record it wants
 * and a deletion rehashes only displaced records. Buckets stay a power of two (SCAN's
 * reverse-binary cursor and its guarantee work on home buckets), while the width varies (8-20
 * slots; 4-20 in a one-bucket index), so the index grows by about 1/16 at a time, fills the
 * allocator's size class it lands in (table.c, shape_for) and stays 75-95 % full while it
 * grows: 9 bytes per slot, about 10.3 per key (1.14-1.15 slots per key from 300k to 1.5M
 * keys in 4096 partitions).
 */
#define FLS_TAG_USED 0x80u
#define FLS_TAG_AWAY 0x40u
#define FLS_TAG_HASH 0x3fu /* bits 29..24 of the key's 32-bit hash */
static inline size_t fls_part_slots(const fls_part_t *p)
{
    return p->b ? ((size_t)p->mask + 1) * p->width : 0;
}
static inline uint8_t *fls_part_tags(const fls_part_t *p)
{
    return (uint8_t *)(p->b + fls_part_slots(p));
}
/* Bytes of an index with `slots` slots (pointers and tags). */
static inline size_t fls_index_bytes(size_t slots)
{
    return slots * (sizeof(fls_rec_t *) + 1);
}
/* The tag of a record with this hash, in its home bucket (away = false) or after it. */
static inline uint8_t fls_tag(uint32_t hash, bool away)
{
    return (uint8_t)(FLS_TAG_USED | (away ? FLS_TAG_AWAY : 0) | ((hash >> 24) & FLS_TAG_HASH));
}

/* A partition's TTL index (ttl_index.c), kept beside the partition (ns->tix[pidx]) so that
 * the partition stays 128 bytes: the heap's fields are under the partition's lock, next_expire
 * is written under it and read without it. The descriptors are store bookkeeping (malloc'd
 * with the namespace); the heaps live in the namespace's arena and count in `used`. */
typedef struct fls_tix {
    struct fls_tix_ent *heap;    /* lock: min-heap of the TTL records' (expiry, key hash) */
    uint32_t len, cap;           /* lock: entries, allocated entries */
    bool stale;                  /* lock: an entry could not be added: rebuild before use */
    _Atomic int64_t next_expire; /* heap's earliest expiry; INT64_MAX none, INT64_MIN stale */
} fls_tix_t;

typedef struct fls_stripe {
    _Atomic int64_t v;
    char pad[56];
} fls_stripe_t;

/* Where a partition walk stopped. Only positions are kept (no pointers), so the lock can be
 * released between steps; when the table was resized or records moved meanwhile, the walk
 * resumes at the corresponding position and may skip or revisit a few allocations (harmless
 * for defragmentation: the next sweep catches them). Zero-initialised = start of partition. */
typedef struct fls_walk_cursor {
    uint32_t slot;    /* next slot of the partition's index */
    uint32_t fbucket; /* in_rec: the walk position inside the collection in `slot` */
    uint32_t slots;   /* the index's slot count when the cursor was saved */
    bool started;     /* the index was offered */
    bool in_rec;      /* stopped inside the collection record in `slot` */
} fls_walk_cursor_t;

/* A namespace's active defragmenter (defrag.c). `mu` serialises defragmenters of the namespace
 * (the background policy try-locks it, fl_ns_defrag_full waits for it) and protects the sweep
 * position and the policy state; the counters are statistics, written under `mu` (max_hold_ns
 * too) and read relaxed by fl_ns_stats without it. */
typedef struct fls_defrag {
    pthread_mutex_t mu;
    uint32_t pidx;               /* mu: partition the sweep is in (nparts: sweep complete) */
    fls_walk_cursor_t cur;       /* mu: position inside that partition */
    int64_t checked_ms;          /* mu: last fragmentation check */
    int64_t backoff_ms;          /* mu: check period while stopped (grows after futile sweeps) */
    size_t resident0;            /* mu: arena resident bytes when the pass started */
    uint64_t sweep_moves;        /* mu: moves in the sweep under way */
    size_t sweep_frag0;          /* mu: slab holes when the sweep under way began */
    _Atomic bool running;        /* the policy is running a pass (written under mu) */
    _Atomic unsigned cpu_pct;    /* CPU share the policy gives it now */
    _Atomic uint64_t frag_pct;   /* last measured: slab holes * 100 / allocated */
    _Atomic uint64_t frag_bytes; /* last measured slab holes */
    _Atomic uint64_t moves, sweeps, scanned, bytes_moved, bytes_freed, passes;
    _Atomic uint64_t time_ns, holds, slow_holds, max_hold_ns;
} fls_defrag_t;

struct fl_ns {
    fl_store_t *store;
    fl_ns_config_t cfg; /* immutable after open, except the options FL_NS_OPTIONS marks
                         * run-time: fl_ns_reconfigure stores them atomically and every other
                         * reader loads them with FLS_CFG or fls_cfg_snapshot */
    fl_arena_t *arena;
    fls_part_t *parts; /* in the arena: nparts entries; immutable pointer after open */
    uint32_t nparts;
    /* Set at open and by fl_ns_set_memory_limit / fl_ns_set_evict_policy (CONFIG SET), read
     * relaxed without a lock (a write racing a change sees the old or the new value). */
    _Atomic size_t limit;     /* bytes; 0 = unlimited */
    _Atomic size_t hw_mark;   /* bytes: evict above; SIZE_MAX when unlimited or noeviction */
    _Atomic size_t stop_mark; /* bytes: refuse growing writes above; SIZE_MAX when unlimited */
    _Atomic int policy;       /* fl_evict_policy_t */
    fls_stripe_t used[FLS_STRIPES];
    _Atomic uint64_t writes_refused;
    _Atomic uint32_t expire_part;  /* next partition active expiry visits (background thread) */
    fls_defrag_t defrag;           /* active defragmentation (defrag.c) */
    fls_tix_t *tix;                /* nparts TTL indexes (ttl_index.c); pointer immutable */
    _Atomic uint64_t *snap_epochs; /* hooks.c: per partition, the snapshot it was last dumped
                                    * for (malloc'd while hooks are installed, else NULL) */
    /* Watched keys (watch.c): nparts list heads, each under its partition's lock; allocated
     * (malloc: client bookkeeping) at the first WATCH of the namespace, NULL before. */
    _Atomic(struct fl_watch **) watch;
};

/* The store's exclusive gate (batch.c): threads holding partition locks are counted in
 * slots; closing it waits for zero and keeps newcomers out. */
#define FLS_GATE_SLOTS 64
typedef struct fls_gate_slot {
    _Atomic long n; /* threads of this slot inside the gate */
    char pad[56];
} fls_gate_slot_t;
typedef struct fls_gate {
    fls_gate_slot_t slots[FLS_GATE_SLOTS];
    _Atomic bool closed;
    pthread_mutex_t close_mu; /* held by the one thread that has the gate closed */
    pthread_mutex_t wait_mu;  /* wait_cv: threads waiting for the gate to open */
    pthread_cond_t wait_cv;
} fls_gate_t;

struct fl_store {
    fl_ns_t *ns; /* n namespaces (malloc'd: store bookkeeping, not records) */
    size_t n;
    bool rwlock; /* partitions use rwlocks (true) or mutexes; fixed at open */
    uint64_t seed;
    pthread_t bg;
    bool bg_started;
    pthread_mutex_t bg_mu; /* protects bg_stop; bg_cv waits on it */
    pthread_cond_t bg_cv;  /* CLOCK_MONOTONIC */
    bool bg_stop;
    atomic_bool bg_kick;            /* a writer crossed the high-water mark: run a tick now */
    atomic_bool bg_paused;          /* tests: skip ticks */
    atomic_bool expire_off;         /* active expiry switched off (DEBUG SET-ACTIVE-EXPIRE 0) */
    pthread_mutex_t tick_mu;        /* held by the background thread for the length of a tick */
    fl_store_hooks_t hooks;         /* persistence (hooks.c): written before has_hooks is set */
    _Atomic bool has_hooks;         /* release/acquire: the store's background thread runs already
                                     * when the hooks are installed */
    _Atomic bool snap_active;       /* a snapshot is under way (hooks.c) */
    _Atomic uint64_t snap_epoch;    /* the current (or last) snapshot's number */
    fls_gate_t gate;                /* batch.c */
    fl_coll_limits_t limits;        /* encoding thresholds (coll.c): written with relaxed atomic
                                     * stores by fl_store_set_coll_limits, read with FLS_LIMIT */
    uint64_t list_packed_threshold; /* quicklist.c: elements this big get a chunk of their own
                                     * (relaxed atomic, fl_store_set_list_packed_threshold) */

    /* Key events (key_events.c): fn and ctx written before the store is shared, read only
     * while key_events_on (relaxed: the commit point's one load when nobody listens). */
    fl_key_event_fn key_event_fn;
    void *key_event_ctx;
    atomic_bool key_events_on;
};

/* A key located: its hash, partition and stripe. */
typedef struct fls_key {
    const char *p;
    size_t n;
    uint64_t h;
    uint32_t pidx;
    fls_part_t *part;
    bool expired_seen; /* a reader saw an expired record it could not delete */
} fls_key_t;

/* ---- util.c --------------------------------------------------------------------------------- */

uint64_t fls_hash(uint64_t seed, const void *p, size_t n);
/* Redis string2ll: strict base-10 int64 (no spaces, no '+', no leading zeros). */
bool fls_parse_i64(const char *p, size_t n, int64_t *out);
/* Writes v in base 10 into buf (>= 21 bytes); returns the length. */
size_t fls_fmt_i64(int64_t v, char *buf);
/* Redis's string2ld: the whole text a long double, no leading space, no NaN, no overflow. */
bool fls_parse_ld(const char *p, size_t n, long double *out);
/* A long double in Redis's human-friendly form (%.17Lf without trailing zeros, no "-0") into
 * buf; returns the length, 0 when it does not fit. */
size_t fls_fmt_ld(long double v, char *buf, size_t cap);
/* INCRBY on a decimal text value (p == NULL: missing, counts as 0): *v = value + delta and
 * its text in buf (>= 21 bytes, length *len). FL_OK, FL_ENOTINT or FL_EOVERFLOW. */
int fls_incr_text(const char *p, size_t n, int64_t delta, int64_t *v, char *buf, size_t *len);
/* A record's access word (atime), one 32-bit word for both LRU and LFU, so switching policy
 * loses nothing and the record header does not grow: bits 31..8 hold the last access in
 * seconds (24 bits, wrapping every 194 days, Redis's LRU clock), bits 7..0 Redis's logarithmic
 * access counter (LFU: new keys start at 5; an access increments it with probability
 * 1 / ((counter - 5) * 10 + 1); it loses one per idle minute). Updated relaxed, also under a
 * shared lock: concurrent accesses may lose an increment, as approximate as Redis's. */
#define FLS_LFU_INIT 5
uint32_t fls_access_new(int64_t now_ms);
uint32_t fls_access_bump(uint32_t word, int64_t now_ms);
/* The word of a record last accessed idle_s seconds before now_ms (idle_s >= 0, the counter
 * kept from word), or, when idle_s < 0, accessed now with counter freq. */
uint32_t fls_access_set(uint32_t word, int64_t now_ms, long long idle_s, unsigned freq);
/* Seconds since the last access; the counter after its idle decay (OBJECT FREQ). */
uint64_t fls_access_idle_s(uint32_t word, int64_t now_ms);
unsigned fls_access_freq(uint32_t word, int64_t now_ms);
/* Thread-local xorshift random number. */
uint64_t fls_rand(void);

/* ---- table.c: tables, accounting, the commit point ----------------------------------------- */

void fls_key_init(fl_ns_t *ns, fl_slice_t key, fls_key_t *k);

/* ---- lock.c: partition locks ------------------------------------------------------------- */

/* Take and release a partition's lock (shared or exclusive; in mutex mode both are the mutex).
 * Debug builds check the lock order (see lock.c) and record the holder. */
void fls_rdlock(fl_ns_t *ns, fls_part_t *p);
void fls_wrlock(fl_ns_t *ns, fls_part_t *p);
void fls_unlock(fl_ns_t *ns, fls_part_t *p);
/* For batch.c only: write-lock / unlock a partition for a batch (no order check and no gate:
 * the batch orders its locks and passes the gate once), recording the holder. */
void fls_lock_batch(fl_ns_t *ns, fls_part_t *p);
void fls_unlock_batch(fl_ns_t *ns, fls_part_t *p);

/* Debug builds only (FLATLINE_DEBUG; read them through the assertions below): the calling
 * thread holds p exclusively; p is held by this thread exclusively or by some reader; how many
 * partition locks the calling thread holds. */
bool fls_part_held_exclusive(const fls_part_t *p);
bool fls_part_held(const fls_part_t *p);
unsigned fls_locks_held(void);
#define FLS_ASSERT_WRLOCKED(p) FL_DEBUG_ASSERT(fls_part_held_exclusive(p))
#define FLS_ASSERT_LOCKED(p) FL_DEBUG_ASSERT(fls_part_held(p))
#define FLS_ASSERT_NO_LOCK() FL_DEBUG_ASSERT(fls_locks_held() == 0)
/* True when a read lock excludes every other thread (mutex mode): readers may then delete. */
static inline bool fls_read_is_exclusive(const fl_ns_t *ns)
{
    return !ns->store->rwlock;
}

/* Namespace-arena allocation with exact accounting in stripe (pidx % FLS_STRIPES). */
void *fls_alloc(fl_ns_t *ns, uint32_t pidx, size_t size);
void fls_free(fl_ns_t *ns, uint32_t pidx, void *ptr, size_t size);
void *fls_realloc(fl_ns_t *ns, uint32_t pidx, void *ptr, size_t old_size, size_t new_size);
size_t fls_used(const fl_ns_t *ns);

/* Bytes the record holds in the arena, requested (exact) or usable (size classes). */
size_t fls_rec_total(fls_rec_t *r);
size_t fls_rec_usable(fls_rec_t *r);
/* Frees a record and its nodes (the record is already unlinked). */
void fls_rec_destroy(fl_ns_t *ns, uint32_t pidx, fls_rec_t *r);

/* The free slot where a new record for the missing key k goes (FLS_PUT with this ref and no
 * old record fills it and its tag), creating or growing the partition's index when it has no
 * free slot: FL_OK or FL_ENOMEM. Write lock held; valid until the partition's next commit. */
int fls_insert_slot(fl_ns_t *ns, fls_key_t *k, fls_rec_t ***ref);
/* Makes room for n more keys in k's partition (creating or growing its index), so that the
 * next n inserts there find a free slot without allocating: FL_OK or FL_ENOMEM. Write lock. */
int fls_part_reserve(fl_ns_t *ns, fls_key_t *k, size_t n);
/* The 32-bit hash of a record's key (its home bucket is hash & mask), recomputed. */
static inline uint32_t fls_rec_hash(const fl_ns_t *ns, const fls_rec_t *r)
{
    return (uint32_t)fls_hash(ns->store->seed, fls_rec_key(r), fls_rec_klen(r));
}

/* Allocates a record of `type` for key k whose string value will have vlen bytes (0 for the
 * other types), with the expiry `expire` (a slot for one only when it is not 0) and the access
 * word `atime`: header and key written, a hash's or collection's descriptor zeroed, a string's
 * value left to the caller (fls_str_put), split when fls_str_tail_plan says so. NULL when an
 * allocation fails (nothing left allocated). Not linked. */
fls_rec_t *fls_rec_new(fl_ns_t *ns, uint32_t pidx, unsigned type, const fls_key_t *k, size_t vlen,
                       int64_t expire, uint32_t atime);
/* A one-block string record (never split) with `stored` bytes for a compressed value (lzf set),
 * which the caller fills (fls_rec_val_in); otherwise as fls_rec_new. */
fls_rec_t *fls_rec_new_lzf(fl_ns_t *ns, uint32_t pidx, const fls_key_t *k, size_t stored,
                           int64_t expire, uint32_t atime);
/* Sets the expiry of the live record *ref (0 removes it), first giving the record a slot for
 * one when it has none: the record then moves and *ref (its one reference) is updated. FL_OK,
 * or FL_ENOMEM with nothing changed. Write lock held; the caller commits (FLS_MODIFY). */
int fls_rec_set_expiry(fl_ns_t *ns, uint32_t pidx, fls_rec_t **ref, int64_t at);
/* A string record r resized for an n-byte value (the first min(old, n) bytes kept; the key,
 * expiry and access word too), like realloc: the new record, r itself freed, or NULL with r
 * unchanged. A compressed r is laid out plain (always a new record, even for its own length). Write
 * lock held; the caller commits it in r's slot (FLS_PUT, old NULL). */
fls_rec_t *fls_str_resize(fl_ns_t *ns, uint32_t pidx, fls_rec_t *r, size_t n);
/* The slot that references the record with this key in k's partition, or NULL (lock held). */
fls_rec_t **fls_find(fls_key_t *k);
static inline bool fls_rec_expired(const fls_rec_t *r, int64_t now)
{
    int64_t at = fls_rec_expiry(r);
    return at != 0 && at <= now;
}
/* Write path lookup (write lock held): deletes the record if it has expired (lazy expiry),
 * then returns its slot or NULL. */
fls_rec_t **fls_find_live(fl_ns_t *ns, fls_key_t *k, int64_t now);
/* Read path: takes the read lock, finds a live record (a hit or miss and the access counted
 * as `how` says); an expired one is deleted when the lock is exclusive, otherwise noted for
 * fls_read_end. */
fls_rec_t *fls_read_begin(fl_ns_t *ns, fls_key_t *k, int64_t now, fl_lookup_t how);
/* Releases the read lock; deletes an expired record the reader saw (lazy expiry). */
void fls_read_end(fl_ns_t *ns, fls_key_t *k);

/*
 * THE COMMIT POINT. Every mutation of a namespace passes through fls_commit(), with the
 * partition's write lock held, after every allocation it needs has succeeded (so a commit never
 * fails). This is where an append-only log would hook: serialize c->rec (fls_rec_serialize) for
 * PUT/MODIFY, or write a tombstone for DEL, before the change becomes visible; FLUSH logs one
 * "flush partition" entry. Inside a batch (fls_batch_cur set: MULTI/EXEC, a script; batch.c)
 * the commits up to fl_batch_end form one atomic unit, which a log writes as one group (a begin
 * marker at the batch's first commit, an end marker in fl_batch_end).
 *
 *   PUT     *c->ref = c->rec; c->old, if not NULL, is freed. Covers insert (ref = a free
 *           slot from fls_insert_slot, whose tag it sets), replace (ref = the old record's
 *           slot), and realloc in place (old = NULL, ref = the record's slot).
 *   MODIFY  the record was changed in place (TTL, a collection's content): bookkeeping only.
 *   DEL     empties c->old's slot *c->ref (later records of its probe run may shift into
 *           it) and frees it; c->reason says why (stats).
 * A PUT or MODIFY that leaves the record with a TTL adds it to the partition's TTL index.
 *   FLUSH   frees every record of the partition and its bucket array.
 * had_key/had_ttl describe the key before the change, for the key and TTL counters.
 */
typedef enum fls_op { FLS_PUT, FLS_MODIFY, FLS_DEL, FLS_FLUSH } fls_op_t;
typedef enum fls_reason { FLS_WRITE, FLS_EXPIRED, FLS_EVICTED } fls_reason_t;
typedef struct fls_change {
    fls_op_t op;
    fls_reason_t reason;
    fls_rec_t **ref;
    fls_rec_t *rec;
    fls_rec_t *old;
    bool had_key;
    bool had_ttl;
    bool same_ttl; /* PUT/MODIFY kept the expiry the TTL index already has (skips an entry;
                    * false is always safe: a duplicate entry is dropped when met) */
    const fl_delta_t *delta; /* PUT of a new record / MODIFY: the change as a command (the log
                              * writes it instead of the record's state), or NULL */
    bool hooked;      /* FLUSH: the hooks took the namespace's flush whole (fls_hook_flush), so they
                       * are not told of each key */
    fl_slice_t whole; /* PUT of a string written whole (SET, MSET): its bytes, which the hooks
                       * pass as the value instead of decompressing what was just compressed;
                       * p NULL: none (the hooks read the record) */
} fls_change_t;
void fls_commit(fl_ns_t *ns, uint32_t pidx, const fls_change_t *c);
/* Deletes the record at *ref through the commit point (write lock held). */
void fls_commit_del(fl_ns_t *ns, uint32_t pidx, fls_rec_t **ref, fls_reason_t reason);
/* Links r as the record of a missing key k through the commit point (write lock held): FL_OK, or
 * FL_ENOMEM (r freed, nothing changed) when the partition's table cannot be created. */
int fls_commit_insert(fl_ns_t *ns, fls_key_t *k, fls_rec_t *r);
/* Puts r (same key) in place of the live record *ref through the commit point, which frees the
 * old one (write lock held). */
void fls_commit_replace(fl_ns_t *ns, uint32_t pidx, fls_rec_t **ref, fls_rec_t *r);
/* A string record r holding the whole value `whole` (fls_str_rec_new) for key k, through the
 * commit point: in place of the live record *ref, or inserted when ref is NULL (then as
 * fls_commit_insert: FL_OK or FL_ENOMEM with r freed). The hooks get whole's bytes as the
 * value (fls_change_t.whole). Write lock held. */
int fls_commit_value(fl_ns_t *ns, fls_key_t *k, fls_rec_t **ref, fls_rec_t *r, fl_slice_t whole);

/* ---- value.c: string values in one block or two ------------------------------------------ */

/* Value bytes a string record with these lengths stores apart from its head (0: one block):
 * nonzero only when the head (filling a size class exactly) plus the tail's class save at least
 * max(32 bytes, 1/32 of the one block's class). Pure (depends only on jemalloc's classes). */
size_t fls_str_tail_plan(size_t klen, size_t vlen, bool ttl);
/* A string record's value as readers see it (lock held; valid until the record changes or s
 * is released): the stored spans of a plain record (s untouched), or a compressed value
 * decompressed into s, which must hold no view yet (FL_ASSERT). Aborts when scratch memory
 * cannot be had (as other scratch of the store does). */
fl_value_t fls_str_view(const fls_rec_t *r, fls_scratch_t *s);
/* Frees what a view put in s (nothing for a plain record's view); s can hold a view again. */
void fls_scratch_release(fls_scratch_t *s);
/* Emits r's value to out (bulk, or bulk2 for a split record); a compressed value is
 * decompressed straight into the reply when the sink has bulk_fill, else through scratch. */
void fls_emit_str(const fl_sink_t *out, const fls_rec_t *r);
/* A new string record for k holding val, with the expiry and access word given, not linked:
 * LZF-compressed when val has at least the namespace's string-compress-min bytes, LZF saves
 * 1/8 of them and the record lands in a smaller allocation than the plain one's (one block or
 * head + tail); plain otherwise (fls_rec_new). NULL when an allocation fails (nothing left). */
fls_rec_t *fls_str_rec_new(fl_ns_t *ns, const fls_key_t *k, fl_slice_t val, int64_t expire,
                           uint32_t atime);
/* Writers' one mutable range: copies n bytes of src into r's value at off / sets n bytes from
 * off to c (off + n <= the value's length; spans the head and tail of a split record; never a
 * compressed record: fls_str_resize lays one out plain first). */
void fls_str_put(fls_rec_t *r, size_t off, const void *src, size_t n);
void fls_str_fill(fls_rec_t *r, size_t off, int c, size_t n);
/* Emits a value (fls_str_view, or a range of one: fl_value_sub) to a sink: bulk, or bulk2 when
 * it spans two blocks. */
void fls_emit(const fl_sink_t *out, fl_value_t v);
/* The value as one span when it has at most cap bytes (a split value copied into buf, cap
 * bytes); false when it is longer (too long to be a number: INCR, OBJECT ENCODING). */
bool fls_str_text(const fls_rec_t *r, char *buf, size_t cap, fl_slice_t *out);

/* Serializes the record (layout above) into buf when it fits; returns the size it needs. */
size_t fls_rec_serialize(fls_rec_t *r, char *buf, size_t len);

/* Defragmentation primitive. With the partition's WRITE lock held, calls each
 * callback for every persistent allocation of the partition, passing the pointer and its
 * requested size; the callback returns the pointer to keep: the same one, or a moved copy of
 * the same size and contents (it then frees the old block itself, e.g. with fl_arena_move).
 * The walk stores the returned pointer in the one place that references the block.
 * Callbacks may be NULL. `yield`, when set, is asked before each record and each unit of a
 * collection (fls_coll_ops_t.walk) (never before the first unit of a
 * call, so every call makes progress); true stops the walk there, and fls_part_walk_step returns
 * false with its cursor saved. */
typedef struct fls_walk_ops {
    void *(*buckets)(void *ctx, void *ptr, size_t size); /* a partition's bucket array */
    void *(*rec)(void *ctx, void *ptr, size_t size);     /* a record (key/value inline) */
    bool (*yield)(void *ctx);                            /* stop here for now? */
    void *(*node)(void *ctx, void *ptr, size_t size);    /* a collection's internal node */
} fls_walk_ops_t;

/* Walks the partition from *cur (write lock held) until the end (returns true, and the cursor
 * is spent) or until ops->yield says stop (returns false; call again with the same cursor
 * after re-taking the lock). *units, when not NULL, is increased by the allocations offered. */
bool fls_part_walk_step(fl_ns_t *ns, uint32_t pidx, const fls_walk_ops_t *ops, void *ctx,
                        fls_walk_cursor_t *cur, size_t *units);
/* A whole partition in one go (ops->yield is ignored). */
void fls_part_walk(fl_ns_t *ns, uint32_t pidx, const fls_walk_ops_t *ops, void *ctx);

/* Records an access to r (relaxed; fine under a read lock): LRU clock and LFU counter. */
static inline void fls_touch(fls_rec_t *r, int64_t now)
{
    uint32_t old = atomic_load_explicit(&r->atime, memory_order_relaxed);
    uint32_t w = fls_access_bump(old, now);
    if (w != old)
        atomic_store_explicit(&r->atime, w, memory_order_relaxed);
}
/* Counts a lookup of record r (NULL: missing) in partition p as `how` says (lock held). */
static inline void fls_lookup_count(fls_part_t *p, fls_rec_t *r, int64_t now, fl_lookup_t how)
{
    if (how == FL_LOOKUP_QUIET)
        return;
    atomic_fetch_add_explicit(r ? &p->hits : &p->misses, 1, memory_order_relaxed);
    if (r && how == FL_LOOKUP_READ)
        fls_touch(r, now);
}

/* Expiry for a new key that gives none: now + default TTL, or 0. */
int64_t fls_default_expiry(const fl_ns_t *ns, int64_t now);

/* ---- config.c ------------------------------------------------------------------------------ */

/* Smallest memory limit a namespace with these settings can work with (its stop-writes mark
 * holds its partition array and 4 KiB more); fls_limit_check says so in err (FL_EINVAL). */
size_t fls_limit_min(unsigned stop_writes_pct, unsigned partitions);
int fls_limit_check(const char *name, size_t limit, unsigned stop_writes_pct, unsigned partitions,
                    char *err, size_t errlen);

/* ---- hooks.c: persistence hooks ------------------------------------------------------------ */

/* After taking a partition's write lock (fls_wrlock): dumps the partition for the snapshot
 * under way when it was not dumped yet (copy-before-write). */
void fls_snap_cow(fl_ns_t *ns, fls_part_t *p);
/* At the commit point, before the change is applied: tells the hooks the key's new state
 * (PUT/MODIFY), its deletion (DEL), or every key's deletion (FLUSH). */
void fls_hook_commit(fl_ns_t *ns, uint32_t pidx, const fls_change_t *c);
/* Offers the hooks the flush of the whole namespace as one change (every partition held by
 * the calling thread's batch): true when they took it, false when each key's deletion must
 * be reported (no flush hook, or it declined). */
bool fls_hook_flush(fl_ns_t *ns);

/* key_events.c: reports the change's key event (new key, deleted, expired, evicted) to the
 * installed callback; the commit point calls it while key_events_on, before the change
 * (partition write lock held, the key's bytes still valid). */
void fls_key_event_commit(fl_ns_t *ns, const fls_change_t *c);
/* A counted read did not find key k (partition locked): FL_KEY_MISS when key events are on. */
void fls_key_event_miss(fl_ns_t *ns, const fls_key_t *k);

/* Brackets a write that is atomic over several keys (fl_store_hooks_t.group_begin/_end), on
 * the calling thread: begin before its first commit, end after its last and before its first
 * unlock. They nest (a key set inside a batch): only the outermost pair reaches the hooks. */
void fls_group_begin(fl_store_t *store);
void fls_group_end(fl_store_t *store);

/* ---- check.c: invariant walkers (debug builds; use inside FL_DEBUG_ASSERT) ------------------ */

/* The probe run of partition pidx from the home bucket of `hash` (lock held): tags agree with
 * their slots, and rec (NULL after a delete) is referenced exactly once in the run, with
 * consistent fields when it is a hash. Aborts on a difference; returns true. */
bool fls_run_check(fl_ns_t *ns, uint32_t pidx, uint32_t hash, fls_rec_t *rec);
/* Partition pidx's whole index against its counters (lock held): every record findable from
 * its home bucket (every bucket between full), tags right, as many records and TTL records as
 * counted, a free slot left, the index present exactly while a key is. Aborts or returns true. */
bool fls_part_check(fl_ns_t *ns, uint32_t pidx);
/* The whole namespace, no write in flight: every partition checked, and `used` equal both to
 * the requested bytes of every allocation reachable from the partitions and to the arena's
 * requested bytes. Takes each partition's read lock in turn. Aborts or returns true. */
bool fls_ns_check(fl_ns_t *ns);

/* ---- reconfigure.c: run-time options ------------------------------------------------------- */

/* A run-time option of ns->cfg (see fl_ns_reconfigure), read with a relaxed atomic load. */
#define FLS_CFG(ns, field) __atomic_load_n(&(ns)->cfg.field, __ATOMIC_RELAXED)
/* One of the store's collection encoding thresholds (fl_coll_limits_t's field). */
#define FLS_LIMIT(ns, field) __atomic_load_n(&(ns)->store->limits.field, __ATOMIC_RELAXED)
/* The namespace's options now, every field loaded atomically, the live memory limit and policy
 * included: for code that hands a whole configuration to a pure function. */
void fls_cfg_snapshot(const fl_ns_t *ns, fl_ns_config_t *out);

/* ---- quota.c: stop-writes and high-water checks ------------------------------------------- */

/* Sets the marks from a limit and the configured percentages (open and CONFIG SET). */
void fls_quota_set(fl_ns_t *ns, size_t limit, fl_evict_policy_t policy);

/* Before a write that may grow memory by about `hint` bytes (no lock held): evicts inline
 * (bounded work) when the namespace is above its high-water mark. hint 0: nothing. */
void fls_make_room(fl_ns_t *ns, size_t hint);
/* Write preamble: evicts inline if needed for about `hint` bytes (fls_make_room), locates the
 * key, takes its partition's write lock and returns the live record's slot or NULL (lazy
 * expiry done). *now gets the time the write uses. The caller unlocks k->part. */
fls_rec_t **fls_write_begin(fl_ns_t *ns, fl_slice_t key, size_t hint, fls_key_t *k, int64_t *now);
/* Under the partition lock(s) of the write, before allocating: FL_OK, or FL_EOOM (counted)
 * when growth > 0 would take `used` above the stop-writes mark. */
int fls_quota_check(fl_ns_t *ns, int64_t growth);

/* ---- scan.c ------------------------------------------------------------------------------- */

/* Redis's reverse-binary cursor increment over a table of mask + 1 slots (0 when done): every
 * slot present for a whole scan is visited even when the table doubles or halves between
 * steps (SCAN, HSCAN). */
uint64_t fls_cursor_next(uint64_t v, uint64_t mask);

/* ---- types.c: what the commands over any type (RENAME, COPY, OBJECT) need of each type ---- */

/* One row per record type (FL_TYPE_*); a new type adds its row in types.c. */
typedef struct fls_type_ops {
    /* A deep copy of src (any namespace) as a record for key k in ns, with src's expiry and
     * access word, every allocation in ns's arena accounted to k's partition; not linked.
     * NULL when an allocation failed (nothing left allocated). No lock needed on k's
     * partition (nothing is linked); src's partition lock held. */
    fls_rec_t *(*clone)(fl_ns_t *ns, const fls_key_t *k, fls_rec_t *src);
    /* OBJECT ENCODING: the name Redis 7.0 would report for this value in ns (whose encoding
     * thresholds apply). */
    const char *(*encoding)(const fl_ns_t *ns, fls_rec_t *r);
} fls_type_ops_t;

/* The row of a record type, or NULL for an unknown one. */
const fls_type_ops_t *fls_type_ops(unsigned type);

/* The list, set and sorted-set rows (coll.c, through each collection's fls_coll_ops_t). */
fls_rec_t *fls_coll_clone(fl_ns_t *ns, const fls_key_t *k, fls_rec_t *src);
const char *fls_coll_encoding(const fl_ns_t *ns, fls_rec_t *r);
/* A list descriptor's chunk count (lists.c; DEBUG OBJECT's ql_nodes). */
uint32_t fls_list_chunks(const void *desc);

/* The string row (strings.c). */
fls_rec_t *fls_str_clone(fl_ns_t *ns, const fls_key_t *k, fls_rec_t *src);

/* ---- hashes.c: what other files need of a hash record ------------------------------------- */

/* Calls fn for every field and value of hash record r (lock held), in the hash's order. */
void fls_hash_rec_pairs(fls_rec_t *r, void (*fn)(void *ctx, fl_slice_t f, fl_slice_t v), void *ctx);
/* Debug builds: r's fields against its count and encoding (check.c). Aborts or true. */
bool fls_hash_rec_check(fl_ns_t *ns, fls_rec_t *r);

/* ---- multikey.c: several keys under their partitions' write locks ----------------------- */

#define FLS_KEYSET_INLINE 8 /* key sets up to this size need no allocation */

/* Located keys (in argument order) and their distinct partitions (ascending), all write-locked
 * between fls_keyset_lock and fls_keyset_unlock; the commits in between are one group
 * (fls_group_begin): one unit in the log. */
typedef struct fls_keyset {
    fl_ns_t *ns;
    fls_key_t *k;
    uint32_t *parts;
    size_t n, nparts;
    fls_key_t k_inline[FLS_KEYSET_INLINE];
    uint32_t parts_inline[FLS_KEYSET_INLINE];
} fls_keyset_t;

/* Locates the n keys and write-locks their partitions in ascending index order (the lock
 * order, see the top of this file). FL_ENOMEM (nothing locked) when scratch memory fails. */
int fls_keyset_lock(fl_ns_t *ns, const fl_slice_t *keys, size_t n, fls_keyset_t *ks);
void fls_keyset_unlock(fls_keyset_t *ks);

/* ---- ttl_index.c: a partition's TTL index ------------------------------------------------- */

/* One index entry: a TTL record's expiry and key hash (not a pointer: records move). */
typedef struct fls_tix_ent {
    int64_t at;
    uint32_t hash;
} fls_tix_ent_t;

/* Every function here runs with the partition's write lock held. */
/* Notes that a record of the partition now expires at `at` (commit point). Never fails: when
 * the index cannot grow it is marked stale and rebuilt from the table before its next use. */
void fls_tix_add(fl_ns_t *ns, uint32_t pidx, int64_t at, uint32_t hash);
/* Frees the index (the partition holds no key any more). */
void fls_tix_clear(fl_ns_t *ns, uint32_t pidx);
/* Deletes up to `max` records whose expiry is due (soonest first). Returns how many. */
size_t fls_tix_expire(fl_ns_t *ns, uint32_t pidx, int64_t now, size_t max);
/* The slot of the live TTL record that expires soonest, or NULL (volatile-ttl). */
fls_rec_t **fls_tix_soonest(fl_ns_t *ns, uint32_t pidx);
/* The slot of a TTL record picked at random, or NULL (volatile-lru/lfu/random sampling). */
fls_rec_t **fls_tix_random(fl_ns_t *ns, uint32_t pidx);

/* ---- expire.c: active expiry ---------------------------------------------------------------- */

/* One active-expiry step for a namespace: visits every partition once from where the last step
 * stopped, and in those whose earliest expiry is due deletes due records, soonest first,
 * at most `max_keys` in all. Returns the number of keys it expired. */
size_t fls_expire_step(fl_ns_t *ns, size_t max_keys, int64_t now);

/* ---- evict.c: eviction ---------------------------------------------------------------------- */

/* Evicts one key chosen by the namespace's policy (never one without a TTL under volatile-*).
 * Returns false when the policy allows nothing to be evicted. */
bool fls_evict_one(fl_ns_t *ns, int64_t now);

/* ---- defrag.c: active defragmentation ------------------------------------------------------ */

/* Sets up / tears down a namespace's defragmenter state (ns_open / ns_close). */
void fls_defrag_init(fl_ns_t *ns);
void fls_defrag_destroy(fl_ns_t *ns);
/* Background policy, once per tick (background thread): measures the arena's slab holes once
 * a second (less often after futile sweeps), starts a pass above the configured thresholds,
 * runs it within a CPU share that grows with fragmentation, purges after each sweep and stops
 * below the lower threshold. Skips the tick while fl_ns_defrag_full runs. */
void fls_defrag_tick(fl_ns_t *ns, int64_t now_ms);
/* Policy arithmetic (pure, for tests): fragmentation percent of a breakdown (slab holes over
 * allocated bytes, 0 when nothing is allocated); whether a namespace that is not defragmenting
 * should start; the CPU share (percent) for a fragmentation percent: cycle_min at the lower
 * threshold growing linearly to cycle_max at the upper one. */
uint64_t fls_defrag_frag_pct(const fl_mem_stats_t *m);
bool fls_defrag_should_start(const fl_ns_config_t *c, size_t frag_bytes, uint64_t frag_pct);
unsigned fls_defrag_cpu_pct(const fl_ns_config_t *c, uint64_t frag_pct);

/* ---- background.c: the store's background thread ------------------------------------------ */

/* Starts / stops (joins) the store's thread; fls_bg_kick asks for a tick now (a writer crossed
 * a high-water mark). */
int fls_bg_start(fl_store_t *s);
void fls_bg_stop(fl_store_t *s);
void fls_bg_kick(fl_store_t *s);
/* Tests: stops (true) or resumes background ticks; pausing waits for a running tick to end,
 * so afterwards only the caller's own operations change the store. */
void fls_bg_pause(fl_store_t *s, bool paused);

/* ---- batch.c: batches (fl_batch_begin) -------------------------------------------------- */

typedef struct fls_held {
    fl_ns_t *ns;
    uint32_t pidx;
} fls_held_t;

/* The calling thread's open batch: the partitions it write-locked. */
typedef struct fls_batch {
    fl_store_t *store;
    bool all;         /* every partition of every namespace is held */
    fls_held_t *held; /* without `all`: sorted (namespace, partition), then undeclared ones */
    size_t n, cap;
} fls_batch_t;

extern _Thread_local fls_batch_t *fls_batch_cur;
extern _Atomic uint64_t fls_batch_undeclared; /* locks taken for keys a batch did not declare */

/* Inside a batch: makes sure the batch holds p (locking it for the rest of the batch when it
 * did not) and returns true, so the caller's own lock operation is skipped. */
bool fls_batch_take(fl_ns_t *ns, fls_part_t *p);
/* True when the calling thread's batch holds every partition (the gate is closed by it). */
bool fls_batch_all(void);
/* The gate: fls_rdlock/fls_wrlock enter it before a thread's first partition lock, fls_unlock
 * leaves it after the last; init/destroy with the store. */
void fls_gate_enter(fl_store_t *s);
void fls_gate_leave(fl_store_t *s);
/* Closes the gate: returns once no other thread holds a partition lock, and none can take one
 * until fls_gate_open (the caller holds none: lock depth 0). Used by "all" batches and by
 * fl_snap_begin, whose point in time must fall between writes, never inside one. */
void fls_gate_close(fl_store_t *s);
void fls_gate_open(fl_store_t *s);
void fls_gate_init(fl_store_t *s);
void fls_gate_destroy(fl_store_t *s);

/* ---- watch.c: watched keys (WATCH) ------------------------------------------------------- */

/* From the commit point, before the change (partition lock held): marks the watches of the
 * key the change touches (every existing key's, for FLUSH). Returns at once when nothing in
 * the partition is watched. */
void fls_watch_touch(fl_ns_t *ns, uint32_t pidx, const fls_change_t *c);
/* Frees the namespace's watch heads (ns_close; no watch is left). */
void fls_watch_destroy(fl_ns_t *ns);

/* Lock kind for stores opened later (benchmarks compare them); default mutex. */
void fls_set_default_rwlock(bool rwlock);

#endif /* FLATLINE_STORE_INTERNAL_H */
