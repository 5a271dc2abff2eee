/*
 * flatline/store.h: the namespace store (src/store/), the layer between the server's commands
 * and the memory layer.
 *
 * A store holds namespaces; a namespace splits its keyspace into partitions, each a hash table
 * under its own lock; a record (a key and a string value, or a key and its hash fields, "bins")
 * lives in the namespace's shared arena (flatline/mem.h), never in a thread-private one.
 * Every write goes through one commit point inside the store, so durability can be added there.
 *
 * Values leave the store through a sink (fl_sink_t) called while the partition lock is held:
 * the server copies them straight into the client's reply buffer, with no intermediate copy.
 * A sink must not call back into the store.
 *
 * Errors: functions return FL_OK (0) or one of the negative fl_status codes below;
 * fl_status_str() gives the message the server sends (Redis's wording where one exists).
 * Time is Unix time in milliseconds (fl_now_ms()); TTLs are absolute expiry times.
 *
 * Thread-safety: all functions may be called from any thread concurrently, except
 * fl_store_open/fl_store_close which the caller serialises with everything else.
 */
#ifndef FLATLINE_STORE_H
#define FLATLINE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flatline/mem.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum fl_status {
    FL_OK = 0,
    FL_EWRONGTYPE = -1, /* operation against a key holding the wrong kind of value */
    FL_ENOTINT = -2,    /* value is not an integer or out of range */
    FL_EOVERFLOW = -3,  /* increment or decrement would overflow */
    FL_EOOM = -4,       /* namespace above its stop-writes mark: write refused, nothing changed */
    FL_ENOMEM = -5,     /* allocation failed: nothing changed */
    FL_ECOND = -6,      /* NX/XX condition not met: nothing changed (SET replies nil) */
    FL_EINVAL = -7,     /* bad argument */
    FL_ERANGE = -9,     /* index out of range (LSET) */
    /* -20..-29: string, key and hash commands (strings.c, keys.c, hashes.c) */
    FL_ENOTFLOAT = -20,     /* value is not a valid float */
    FL_ENAN = -21,          /* increment would produce NaN or Infinity */
    FL_ENOKEY = -22,        /* no such key (RENAME) */
    FL_EHASHNOTFLOAT = -23, /* hash value is not a float (HINCRBYFLOAT) */
    FL_EINCRNAN = -24,      /* the increment itself is infinite (HINCRBYFLOAT) */
} fl_status_t;

/* Message for a status, without the leading '-' (e.g. "WRONGTYPE Operation against a key
 * holding the wrong kind of value"). Never NULL. For FL_EOOM it is the namespace-less
 * "OOM command not allowed when used memory > 'maxmemory'"; use fl_ns_oom_message() to name
 * the namespace. */
const char *fl_status_str(int status);

/* Current Unix time in milliseconds; on a thread that froze it, the frozen time. */
int64_t fl_now_ms(void);

/* Freezes fl_now_ms() on the calling thread at ms (> 0), or thaws it (0): a script sees one
 * time from its start to its end, as Redis's scripts do, so expiry and TTLs inside it agree.
 * Other threads are unaffected. */
void fl_now_freeze(int64_t ms);

typedef struct fl_slice {
    const char *p;
    size_t n;
} fl_slice_t;

/* A string value as the store holds it: `head`, then `tail` (empty unless the value is large
 * and stored in two blocks so that neither pays much size-class rounding). Valid while the
 * partition lock that produced it is held. */
typedef struct fl_value {
    fl_slice_t head, tail;
} fl_value_t;

static inline size_t fl_value_len(fl_value_t v)
{
    return v.head.n + v.tail.n;
}
/* Bytes [off, off + n) of v (off + n <= fl_value_len(v)) as a value of their own. */
static inline fl_value_t fl_value_sub(fl_value_t v, size_t off, size_t n)
{
    fl_value_t s = {{NULL, 0}, {NULL, 0}};
    if (off < v.head.n) {
        size_t a = n < v.head.n - off ? n : v.head.n - off;
        s.head = (fl_slice_t){v.head.p + off, a};
        n -= a;
        off = v.head.n;
    }
    if (n && !s.head.n)
        s.head = (fl_slice_t){v.tail.p + (off - v.head.n), n};
    else if (n)
        s.tail = (fl_slice_t){v.tail.p, n};
    return s;
}
/* Copies bytes [off, off + n) of v (off + n <= fl_value_len(v)) to dst. */
void fl_value_copy(fl_value_t v, size_t off, size_t n, void *dst);

/* Receives values from the store, under the partition lock. Every callback is required, except
 * that bulk2 may be NULL in a sink that never receives a string key's value (only those come
 * in two spans). */
typedef struct fl_sink {
    void *ctx;
    void (*bulk)(void *ctx, const char *p, size_t n); /* one string */
    void (*nil)(void *ctx);                           /* a missing value */
    void (*array)(void *ctx, size_t n);               /* an array of the next n elements */
    /* one string given as two spans: a[0, an) then b[0, bn) (a large string value) */
    void (*bulk2)(void *ctx, const char *a, size_t an, const char *b, size_t bn);
    /* Optional (NULL: the store uses bulk): frames one string of n bytes and returns where its
     * bytes go, to be written completely before the sink's next call (a compressed value is
     * decompressed straight into the reply); NULL when it cannot (the store then uses bulk). */
    char *(*bulk_fill)(void *ctx, size_t n);
} fl_sink_t;

/* ---- Configuration ------------------------------------------------------------------------ */

#define FL_NS_NAME_MAX 63

/* What a namespace does above its high-water mark: Redis's maxmemory-policy names, in
 * fl_evict_policy_names order. volatile-* policies only ever evict keys with a TTL (and evict
 * nothing when none has one); allkeys-* any key. LRU: least recently accessed; LFU: least
 * frequently (Redis's logarithmic counter, decayed by one per idle minute); TTL: soonest to
 * expire; random. Candidates are sampled (as Redis does), so the choice is approximate. */
typedef enum fl_evict_policy {
    FL_EVICT_NOEVICTION = 0, /* never evict: growing writes get FL_EOOM at stop-writes */
    FL_EVICT_ALLKEYS_LRU,
    FL_EVICT_ALLKEYS_LFU,
    FL_EVICT_VOLATILE_LRU,
    FL_EVICT_VOLATILE_LFU,
    FL_EVICT_VOLATILE_TTL,
    FL_EVICT_ALLKEYS_RANDOM,
    FL_EVICT_VOLATILE_RANDOM,
} fl_evict_policy_t;

/* The policies' names ("noeviction", "allkeys-lru", ...), indexed by fl_evict_policy_t,
 * NULL-terminated (a configuration table can use it as its list of allowed words). */
extern const char *const fl_evict_policy_names[];

/*
 * THE NAMESPACE OPTIONS, defined once. Every consumer iterates this list: the struct below,
 * fl_ns_config_default (the defaults), fl_ns_config_check (the bounds), and the server's config
 * parser, --help, CONFIG GET and INFO (through fl_ns_options()). Adding an option is one row.
 *
 *   X(field, ctype, kind, name, def, min, max, runtime, doc)
 *     field    member of fl_ns_config_t, of type ctype
 *     kind     FL_OPT_SIZE (size_t bytes), FL_OPT_INT (int64_t), FL_OPT_UNSIGNED (unsigned),
 *              FL_OPT_DECAY (ssize_t ms; also FL_DECAY_DEFAULT, "default" in the config file) or
 *              FL_OPT_WORD (unsigned: the index of a word of fl_ns_option_words, e.g. "memory")
 *     name     the option's name in config files and CONFIG GET ("namespace.<ns>.<name>")
 *     def      default value; min, max: inclusive bounds (fl_ns_config_check)
 *     runtime  true when the option may change while the store is open (CONFIG SET); false
 *              when it shapes the store's layout (partitions)
 *     doc      one line for --help
 *
 * Rules that involve two options or more than a range (partitions a power of two, cycle-min <=
 * cycle-max) are in fl_ns_config_check.
 *
 * Active defragmentation (Redis's active-defrag-* settings, per namespace): fragmentation here
 * = free regions inside the arena's slabs ("slab holes", the bytes defrag can recover) as a
 * percentage of its allocated bytes (it exceeds 100 after a mass delete). cycle-max: Redis's
 * default is 25 % of its one main thread; ours is a share of one core next to several workers.
 * On the 2-core machine (flatline-defrag-bench cost, quieter runs) 25 % cost 7-33 % of
 * throughput and 10 % cost 4-7 %; 10 % still compacts a 1M-key mass delete within seconds.
 */
#define FL_GIB ((int64_t)1 << 30)
#define FL_NS_OPTIONS(X)                                                                           \
    X(memory_limit, size_t, FL_OPT_SIZE, "memory-limit", 0, 0, 1024 * FL_GIB, true,                \
      "bytes of records and index the namespace may hold (its requested bytes; 0 = unlimited)")    \
    X(evict_policy, unsigned, FL_OPT_WORD, "maxmemory-policy", FL_EVICT_NOEVICTION, 0,             \
      FL_EVICT_VOLATILE_RANDOM, true,                                                              \
      "what goes above high-water-pct (Redis's names); noeviction refuses writes instead")         \
    X(default_ttl_ms, int64_t, FL_OPT_INT, "default-ttl-ms", 0, 0, INT64_MAX / 2, true,            \
      "TTL applied to writes that give none (0 = none)")                                           \
    X(high_water_pct, unsigned, FL_OPT_UNSIGNED, "high-water-pct", 90, 1, 100, true,               \
      "evict by maxmemory-policy above this share of memory-limit")                                \
    X(stop_writes_pct, unsigned, FL_OPT_UNSIGNED, "stop-writes-pct", 95, 1, 100, true,             \
      "refuse writes with -OOM above this share of memory-limit")                                  \
    X(partitions, unsigned, FL_OPT_UNSIGNED, "partitions", 4096, 1, 65536, false,                  \
      "hash partitions, each under its own lock (power of two; each costs 128 bytes of used)")     \
    X(dirty_decay_ms, ssize_t, FL_OPT_DECAY, "dirty-decay-ms", FL_DECAY_DEFAULT, -1,               \
      INT64_MAX / 2, true,                                                                         \
      "the namespace arena's dirty page decay (-1 never, 0 at once, 'default')")                   \
    X(muzzy_decay_ms, ssize_t, FL_OPT_DECAY, "muzzy-decay-ms", FL_DECAY_DEFAULT, -1,               \
      INT64_MAX / 2, true, "the namespace arena's muzzy page decay")                               \
    X(defrag_pct, unsigned, FL_OPT_UNSIGNED, "defrag-pct", 10, 0, 1000, true,                      \
      "active defrag starts above this % of slab holes per allocated byte (0 = off)")              \
    X(defrag_pct_upper, unsigned, FL_OPT_UNSIGNED, "defrag-pct-upper", 100, 1, 1000, true,         \
      "active defrag runs at its full CPU share at or above this %")                               \
    X(defrag_ignore_bytes, size_t, FL_OPT_SIZE, "defrag-ignore-bytes", 8 << 20, 0, 1024 * FL_GIB,  \
      true, "no active defrag below this many bytes of slab holes")                                \
    X(defrag_cycle_min, unsigned, FL_OPT_UNSIGNED, "defrag-cycle-min", 1, 1, 100, true,            \
      "% of one CPU active defrag uses at defrag-pct")                                             \
    X(defrag_cycle_max, unsigned, FL_OPT_UNSIGNED, "defrag-cycle-max", 10, 1, 100, true,           \
      "% of one CPU active defrag uses at defrag-pct-upper")                                       \
    X(storage, unsigned, FL_OPT_WORD, "storage", FL_STORAGE_DISK, 0, 1, false,                     \
      "disk: written to the log and snapshots; memory: never persisted (a cache namespace)")       \
    X(string_compress_min, size_t, FL_OPT_SIZE, "string-compress-min", 512, 0, UINT32_MAX, true,   \
      "string values this long are kept LZF-compressed when that saves 1/8 and a size class "      \
      "(0 = never)")

typedef enum fl_opt_kind {
    FL_OPT_SIZE,
    FL_OPT_INT,
    FL_OPT_UNSIGNED,
    FL_OPT_DECAY,
    FL_OPT_WORD
} fl_opt_kind_t;

/* `storage` (Aerospike's per-namespace choice): the words of fl_ns_option_words, in order. */
enum { FL_STORAGE_DISK = 0, FL_STORAGE_MEMORY = 1 };

typedef struct fl_ns_config {
    char name[FL_NS_NAME_MAX + 1];
#define FL_NS_OPTION_FIELD_(field, ctype, kind, name, def, min, max, runtime, doc) ctype field;
    FL_NS_OPTIONS(FL_NS_OPTION_FIELD_)
#undef FL_NS_OPTION_FIELD_
} fl_ns_config_t;

/* One row of FL_NS_OPTIONS, as data. */
typedef struct fl_ns_option {
    const char *name;
    fl_opt_kind_t kind;
    size_t offset; /* into fl_ns_config_t */
    int64_t def, min, max;
    bool runtime;
    const char *doc;
} fl_ns_option_t;

/* The namespace options in FL_NS_OPTIONS order; *n gets their count. Never NULL. */
const fl_ns_option_t *fl_ns_options(size_t *n);

/* Option `name` (case-insensitive, length len), or NULL. */
const fl_ns_option_t *fl_ns_option_find(const char *name, size_t len);

/* The words of an FL_OPT_WORD option (its value is the index of one), NULL-terminated; NULL for
 * other kinds. */
const char *const *fl_ns_option_words(const fl_ns_option_t *o);

/* The value of option o in c, widened to int64_t (FL_DECAY_DEFAULT stays INT64_MIN). */
int64_t fl_ns_option_get(const fl_ns_config_t *c, const fl_ns_option_t *o);

/* Stores v into option o of c, narrowing to the field's type. No bounds check: call
 * fl_ns_config_check (or check o->min/o->max) before using c. */
void fl_ns_option_set(fl_ns_config_t *c, const fl_ns_option_t *o, int64_t v);

/* Fills *c with the defaults for a namespace called `name`. */
void fl_ns_config_default(fl_ns_config_t *c, const char *name);

/* Checks one namespace configuration; on error writes the reason into err and returns
 * FL_EINVAL. */
int fl_ns_config_check(const fl_ns_config_t *c, char *err, size_t errlen);

/* ---- Store and namespaces ----------------------------------------------------------------- */

typedef struct fl_store fl_store_t;
typedef struct fl_ns fl_ns_t;

/* Opens a store with n_ns namespaces (copied), each with its own shared arena, and starts its
 * background thread (active expiry, eviction). Returns FL_OK and sets *out, or an error with
 * the reason in err. */
int fl_store_open(fl_store_t **out, const fl_ns_config_t *ns, size_t n_ns, char *err,
                  size_t errlen);

/* Stops the background thread and frees every record and namespace arena. */
void fl_store_close(fl_store_t *store);

/*
 * THE COLLECTION ENCODING THRESHOLDS, defined once: Redis 7.0's options that decide which
 * encoding a small collection has and when it converts, store-wide as in Redis (one value for
 * every namespace). The server's option table (config file, CONFIG GET/SET/REWRITE, --help)
 * has one row per entry and one per alias, the store's defaults come from the same rows.
 *
 *   X(field, name, def, min, max, is_size, doc)
 *     field    member of fl_coll_limits_t (int64_t)
 *     name     Redis 7.0's name; min, max: Redis's bounds; is_size: Redis takes a memory
 *              value ("64", "1kb"), else an integer
 *     doc      one line for --help (what flatline does with it)
 *
 * Redis's older names (the *-ziplist-* forms) are FL_COLL_ALIASES: X(field, alias).
 */
#define FL_COLL_OPTIONS(X)                                                                         \
    X(set_max_intset_entries, "set-max-intset-entries", 512, 0, INT64_MAX, false,                  \
      "a set of integers stays an intset up to this many members, then becomes a hashtable")       \
    X(zset_max_listpack_entries, "zset-max-listpack-entries", 128, 0, INT64_MAX, false,            \
      "a sorted set stays a listpack up to this many members, then becomes a skiplist")            \
    X(zset_max_listpack_value, "zset-max-listpack-value", 64, 0, INT64_MAX, true,                  \
      "... and while every member is at most this many bytes")                                     \
    X(hash_max_listpack_entries, "hash-max-listpack-entries", 512, 0, INT64_MAX, false,            \
      "OBJECT ENCODING of a hash: listpack up to this many fields (one layout for every hash)")    \
    X(hash_max_listpack_value, "hash-max-listpack-value", 64, 0, INT64_MAX, true,                  \
      "... and while every field and value is at most this many bytes")                            \
    X(list_max_listpack_size, "list-max-listpack-size", -2, INT32_MIN, INT32_MAX, false,           \
      "a list chunk holds this many elements (> 0; at most 8 KiB) or -1..-5: 4..64 KiB")           \
    X(list_compress_depth, "list-compress-depth", 0, 0, INT32_MAX, false,                          \
      "accepted and kept: list chunks are never compressed")

#define FL_COLL_ALIASES(X)                                                                         \
    X(zset_max_listpack_entries, "zset-max-ziplist-entries")                                       \
    X(zset_max_listpack_value, "zset-max-ziplist-value")                                           \
    X(hash_max_listpack_entries, "hash-max-ziplist-entries")                                       \
    X(hash_max_listpack_value, "hash-max-ziplist-value")                                           \
    X(list_max_listpack_size, "list-max-ziplist-size")

typedef struct fl_coll_limits {
#define FL_COLL_FIELD_(field, name, def, min, max, is_size, doc) int64_t field;
    FL_COLL_OPTIONS(FL_COLL_FIELD_)
#undef FL_COLL_FIELD_
} fl_coll_limits_t;

/* Fills *l with Redis 7.0's defaults (the `def` column). */
void fl_coll_limits_default(fl_coll_limits_t *l);

/* Sets the store's encoding thresholds (CONFIG SET; at start). Collections convert by the new
 * values from their next write on; what they already are stays (as in Redis). The values must be
 * within the table's bounds. Any thread. */
void fl_store_set_coll_limits(fl_store_t *store, const fl_coll_limits_t *l);

/* The store's current thresholds (each field read on its own). Any thread. */
void fl_store_coll_limits(const fl_store_t *store, fl_coll_limits_t *out);

/* Elements of a list at or above this many bytes get a chunk of their own (Redis's plain
 * quicklist nodes; DEBUG QUICKLIST-PACKED-THRESHOLD, for tests): 0 = the default (1 GiB).
 * FL_EINVAL above FL_LIST_PACKED_THRESHOLD_MAX (Redis's bound). Any thread. */
#define FL_LIST_PACKED_THRESHOLD_DEFAULT ((uint64_t)1 << 30)
#define FL_LIST_PACKED_THRESHOLD_MAX (((uint64_t)1 << 32) - ((uint64_t)1 << 20))
int fl_store_set_list_packed_threshold(fl_store_t *store, uint64_t bytes);

/* Switches the background thread's active expiry on or off (Redis's DEBUG SET-ACTIVE-EXPIRE,
 * for tests); expired keys are still removed when accessed. Any thread. */
void fl_store_set_active_expire(fl_store_t *store, bool on);

size_t fl_store_ns_count(const fl_store_t *store);

/* Namespace by index (SELECT <index>), or NULL when out of range. */
fl_ns_t *fl_store_ns(fl_store_t *store, size_t index);

/* Namespace by name (SELECT <name>), or NULL. */
fl_ns_t *fl_store_ns_find(fl_store_t *store, const char *name, size_t len);

/* The namespace's configuration. Its name and the options that cannot change while it is open
 * are stable; the run-time options may be changed by fl_ns_reconfigure from another thread, so
 * callers that can race with a CONFIG SET read those from their own copy of the configuration. */
const fl_ns_config_t *fl_ns_config(const fl_ns_t *ns);

/* The namespace's shared arena (for statistics and the lifecycle-separation test). */
fl_arena_t *fl_ns_arena(fl_ns_t *ns);

/* Run-time changes (CONFIG SET maxmemory / maxmemory-policy), effective for the next write;
 * any thread. fl_ns_set_memory_limit: 0 = unlimited; FL_EINVAL with the reason in err when the
 * limit is too small for the namespace's own partition array. Lowering it evicts (by the
 * policy) in the background, or refuses growing writes under noeviction. */
int fl_ns_set_memory_limit(fl_ns_t *ns, size_t limit, char *err, size_t errlen);
int fl_ns_set_evict_policy(fl_ns_t *ns, fl_evict_policy_t policy);
size_t fl_ns_memory_limit(const fl_ns_t *ns);
fl_evict_policy_t fl_ns_evict_policy(const fl_ns_t *ns);

/* CONFIG SET on an open namespace, all its options at once: `next` must pass
 * fl_ns_config_check, hold the namespace's own structures in its memory limit, and keep every
 * option FL_NS_OPTIONS does not mark run-time (partitions, storage) as it is. The run-time ones
 * (limits, marks, policy, default TTL, decay, defrag thresholds and CPU shares) take effect for
 * the next write, tick or defrag check. All or nothing: FL_OK, or FL_EINVAL with the reason in
 * err and nothing changed. Any thread; reconfigurations are serialised. */
int fl_ns_reconfigure(fl_ns_t *ns, const fl_ns_config_t *next, char *err, size_t errlen);

/* Writes the FL_EOOM reply for this namespace into buf, without the leading '-':
 * "OOM command not allowed when used memory > 'maxmemory' in namespace '<name>'".
 * Returns the length it needed, as snprintf. */
int fl_ns_oom_message(const fl_ns_t *ns, char *buf, size_t len);

/* ---- Strings ------------------------------------------------------------------------------ */

#define FL_SET_NX 0x1u      /* only if the key does not exist */
#define FL_SET_XX 0x2u      /* only if the key exists */
#define FL_SET_KEEPTTL 0x4u /* keep the key's TTL */
#define FL_SET_GET 0x8u     /* emit the old value (bulk or nil) to `old` first */

typedef struct fl_set_opts {
    int64_t expire_at_ms; /* absolute expiry; 0 = none (then the namespace's default TTL) */
    unsigned flags;
} fl_set_opts_t;

/* GET: emits the value (bulk) or nil. FL_EWRONGTYPE on a hash. */
int fl_str_get(fl_ns_t *ns, fl_slice_t key, const fl_sink_t *out);

/* SET with options (opts may be NULL). With FL_SET_GET the old value goes to `old` even when
 * the NX/XX condition fails (and nothing is emitted when the write is refused or fails).
 * An expire_at_ms in the past sets and deletes at once (the key is gone, FL_OK).
 * Returns FL_OK, FL_ECOND, FL_EWRONGTYPE (GET on a hash), FL_EOOM, FL_ENOMEM, or FL_EINVAL
 * (NX with XX, GET without `old`, negative expiry, key or value over 4 GiB - 1). */
int fl_str_set(fl_ns_t *ns, fl_slice_t key, fl_slice_t val, const fl_set_opts_t *opts,
               const fl_sink_t *old);

/* MSET: kv holds n_pairs key/value pairs (2*n_pairs slices); a key given twice takes its last
 * value. All or nothing: the quota is checked for the total growth and every record allocated
 * before anything changes (FL_EOOM / FL_ENOMEM: nothing changed), then every pair is applied
 * with all the partitions involved write-locked (taken in ascending index order), so no reader
 * sees part of it. Each key loses its TTL (gets the namespace's default TTL, as SET does).
 * FL_EINVAL for a key or value over 4 GiB - 1. */
int fl_str_mset(fl_ns_t *ns, const fl_slice_t *kv, size_t n_pairs);

/* MGET: emits an array of n values (nil for a missing key or one of another type), read
 * atomically: every partition of the keys is locked before the first is read, so no MSET is
 * seen in part. FL_ENOMEM. */
int fl_str_mget(fl_ns_t *ns, const fl_slice_t *keys, size_t n, const fl_sink_t *out);
/* The values of n string keys read atomically (MGET's locks), passed to fn(ctx, i, value,
 * present) for each key in order while the locks are held (a missing key: present false,
 * value empty); a value is valid during its own call only (a compressed one is decompressed
 * into scratch freed after it): fn copies what it keeps. FL_EWRONGTYPE, before any call, when
 * a key holds another type; FL_ENOMEM. */
typedef void (*fl_value_fn)(void *ctx, size_t i, fl_value_t value, bool present);
int fl_str_read_many(fl_ns_t *ns, const fl_slice_t *keys, size_t n, fl_value_fn fn, void *ctx);

/* GETDEL: emits the value or nil, and deletes the key. */
int fl_str_getdel(fl_ns_t *ns, fl_slice_t key, const fl_sink_t *out);

/* GETEX: emits the value or nil (FL_EWRONGTYPE on another type) and, for a live key, sets its
 * expiry to at_ms (> 0; a time not in the future deletes the key after emitting its value),
 * removes it (persist), or leaves it (at_ms 0, !persist). */
int fl_str_getex(fl_ns_t *ns, fl_slice_t key, int64_t at_ms, bool persist, const fl_sink_t *out);

/* SETRANGE: overwrites the value from `offset` with val, zero-padding a shorter value (a missing
 * key counts as ""; nothing is created when val is empty); *new_len gets the length. The
 * caller bounds offset + val.n (Redis's proto-max-bulk-len); FL_EINVAL above 4 GiB - 1. */
int fl_str_setrange(fl_ns_t *ns, fl_slice_t key, size_t offset, fl_slice_t val, size_t *new_len);

/* GETRANGE (SUBSTR): emits the bytes start..end (inclusive; negative counts from the end, as
 * Redis), "" when the range is empty or the key missing. */
int fl_str_getrange(fl_ns_t *ns, fl_slice_t key, int64_t start, int64_t end, const fl_sink_t *out);

/* INCRBYFLOAT: value (missing: 0) + incr as long doubles, stored and returned in Redis's
 * human-friendly form (%.17Lf, trailing zeros removed) into buf (>= FL_FLOAT_BUF bytes, *len).
 * FL_ENOTFLOAT (value or incr not a float), FL_ENAN (result NaN or infinite). */
#define FL_FLOAT_BUF 5120
int fl_str_incrbyfloat(fl_ns_t *ns, fl_slice_t key, fl_slice_t incr, char *buf, size_t *len);

/* SETBIT / GETBIT: bit `bit` of the value (bit 0 the most significant of byte 0); SETBIT
 * grows the value with zero bytes (a missing key counts as "") and *was gets the bit before;
 * GETBIT reads 0 past the end or on a missing key. A SETBIT that changes nothing (the bit
 * already so, no growth) writes nothing: no persistence hook call, no watch marked, as Redis.
 * FL_EINVAL for a bit past 4 GiB - 1 bytes (the caller bounds it by proto-max-bulk-len). */
int fl_str_setbit(fl_ns_t *ns, fl_slice_t key, uint64_t bit, bool on, bool *was);
int fl_str_getbit(fl_ns_t *ns, fl_slice_t key, uint64_t bit, bool *set);

/* MSETNX: like MSET, but only when none of the keys exists (decided under the same locks);
 * *set tells whether the pairs were written. */
int fl_str_msetnx(fl_ns_t *ns, const fl_slice_t *kv, size_t n_pairs, bool *set);

/* APPEND: creates the key when missing; *new_len gets the resulting length. */
int fl_str_append(fl_ns_t *ns, fl_slice_t key, fl_slice_t val, size_t *new_len);

/* STRLEN: 0 when missing. */
int fl_str_len(fl_ns_t *ns, fl_slice_t key, size_t *len);
/* The same for a command's own check before it writes (APPEND's cap): counts nothing
 * (FL_LOOKUP_QUIET). */
int fl_str_len_peek(fl_ns_t *ns, fl_slice_t key, size_t *len);

/* INCRBY/DECRBY: the value must be a base-10 int64; missing counts as 0. */
int fl_str_incrby(fl_ns_t *ns, fl_slice_t key, int64_t delta, int64_t *result);

/* ---- Hashes --------------------------------------------------------------------------------- */

/* A hash has Redis 7.0's two encodings (OBJECT ENCODING): "listpack" (fields in insertion
 * order, the order HGETALL/HKEYS/HVALS answer in) up to 512 fields of at most 64 bytes each
 * (field and value), "hashtable" past either, for good. */

/* HSET: fv holds n_pairs field/value pairs (2*n_pairs slices). *added = new fields. All or
 * nothing: FL_ENOMEM / FL_EOOM leave the hash as it was. */
int fl_hash_set(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *fv, size_t n_pairs, size_t *added);

/* HGET: emits the field's value or nil. */
int fl_hash_get(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, const fl_sink_t *out);

/* HMGET: emits an array of n values/nils. */
int fl_hash_mget(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *fields, size_t n,
                 const fl_sink_t *out);

/* HDEL: *removed = fields removed; the key goes when its last field does. */
int fl_hash_del(fl_ns_t *ns, fl_slice_t key, const fl_slice_t *fields, size_t n, size_t *removed);

/* HGETALL: emits an array of 2*len elements (field, value, ...); empty array when missing. */
int fl_hash_getall(fl_ns_t *ns, fl_slice_t key, const fl_sink_t *out);

/* HKEYS, HVALS and HGETALL in one: emits an array of the fields' names and/or values (`what`:
 * FL_HASH_FIELDS, FL_HASH_VALUES or both, interleaved); empty when missing. */
#define FL_HASH_FIELDS 1u
#define FL_HASH_VALUES 2u
int fl_hash_each(fl_ns_t *ns, fl_slice_t key, unsigned what, const fl_sink_t *out);

/* HSETNX: sets the field only when it does not exist; *set tells. */
int fl_hash_setnx(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, fl_slice_t val, bool *set);

/* HSTRLEN: the value's length, 0 when the field or key is missing. */
int fl_hash_strlen(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, size_t *len);

/* HINCRBYFLOAT: as fl_str_incrbyfloat on one field (buf >= FL_FLOAT_BUF bytes);
 * FL_EHASHNOTFLOAT when the field's value is not a float, FL_ENOTFLOAT for incr, FL_EINCRNAN
 * for an infinite incr, FL_ENAN. */
int fl_hash_incrbyfloat(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, fl_slice_t incr, char *buf,
                        size_t *len);

/* HRANDFIELD: count INT64_MIN: one random field name (bulk), nil when missing; count >= 0: up
 * to count distinct fields; count < 0: -count fields, repetitions allowed; as an array of
 * names, or name/value pairs with with_values (empty when missing). */
int fl_hash_randfield(fl_ns_t *ns, fl_slice_t key, int64_t count, bool with_values,
                      const fl_sink_t *out);

/* HSCAN: emits an array of field/value pairs from `cursor` (those matching the glob `pattern`,
 * NULL = all; a listpack: all of them and *next 0, as Redis; a hashtable: about `count` slots
 * of its table) and sets *next (0: complete). Guarantees of SCAN: every field present for the
 * whole scan is returned at least once. */
int fl_hash_scan(fl_ns_t *ns, fl_slice_t key, uint64_t cursor, const char *pattern,
                 size_t pattern_len, size_t count, const fl_sink_t *out, uint64_t *next);

/* HLEN: 0 when missing. */
int fl_hash_len(fl_ns_t *ns, fl_slice_t key, size_t *len);

/* HEXISTS. */
int fl_hash_exists(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, bool *exists);

/* HINCRBY: the field must hold a base-10 int64; missing counts as 0. */
int fl_hash_incrby(fl_ns_t *ns, fl_slice_t key, fl_slice_t field, int64_t delta, int64_t *result);

/* ---- Keys ---------------------------------------------------------------------------------- */

typedef enum fl_type {
    FL_TYPE_NONE = 0,
    FL_TYPE_STRING,
    FL_TYPE_HASH,
    FL_TYPE_LIST, /* flatline/collections.h */
    FL_TYPE_SET,
    FL_TYPE_ZSET,
} fl_type_t;

/* DEL/UNLINK of one key: *deleted tells whether it existed. */
int fl_key_del(fl_ns_t *ns, fl_slice_t key, bool *deleted);

/* How a lookup counts (Redis 7.0's lookupKey flags): a command reading a key's value counts a
 * keyspace hit or miss and records the access (LRU/LFU); TTL, TYPE, EXISTS and OBJECT count
 * the hit or miss but leave the access clock (LOOKUP_NOTOUCH); the server's own look at a key
 * (RESTORE's BUSYKEY check, SCAN's TYPE filter, MEMORY USAGE, DEBUG OBJECT) does neither. */
typedef enum fl_lookup {
    FL_LOOKUP_QUIET, /* neither */
    FL_LOOKUP_READ,  /* a hit or miss, and the access */
    FL_LOOKUP_META,  /* a hit or miss only */
} fl_lookup_t;

/* EXISTS of one key, counted as `how` says. */
int fl_key_exists(fl_ns_t *ns, fl_slice_t key, fl_lookup_t how, bool *exists);

/* Over several keys, atomically (all their partitions locked first, as MSET; FL_ENOMEM):
 * EXISTS (*count: keys that exist, counted per argument; FL_LOOKUP_META each), TOUCH (the
 * same, FL_LOOKUP_READ each), DEL/UNLINK (*deleted: keys deleted, each once). */
int fl_keys_exists(fl_ns_t *ns, const fl_slice_t *keys, size_t n, size_t *count);
int fl_keys_touch(fl_ns_t *ns, const fl_slice_t *keys, size_t n, size_t *count);
int fl_keys_del(fl_ns_t *ns, const fl_slice_t *keys, size_t n, size_t *deleted);

/* RENAME / RENAMENX (nx): moves the value, its type and TTL from src to dst, replacing dst
 * (unless nx: then *renamed is false when dst exists). Atomic: both keys' partitions are
 * locked throughout. FL_ENOKEY when src does not exist; src == dst is a success that changes
 * nothing (*renamed = !nx, as Redis). FL_EOOM, FL_ENOMEM: nothing changed. */
int fl_key_rename(fl_ns_t *ns, fl_slice_t src, fl_slice_t dst, bool nx, bool *renamed);

/* COPY: copies src's value, type and TTL from src_ns to dst in dst_ns (which may be the same
 * namespace), replacing dst only with `replace`; *copied tells whether it did. Atomic within
 * one namespace; across two, the copy is src as it was at one instant. The caller refuses
 * src == dst in one namespace (Redis's "source and destination objects are the same"). */
int fl_key_copy(fl_ns_t *src_ns, fl_slice_t src, fl_ns_t *dst_ns, fl_slice_t dst, bool replace,
                bool *copied);

/* RANDOMKEY: emits a random live key (bulk), or nil when the namespace is empty. */
int fl_key_random(fl_ns_t *ns, const fl_sink_t *out);

/* OBJECT: what Redis 7.0's OBJECT subcommands report about a key, read without recording an
 * access (`how`: FL_LOOKUP_META for OBJECT, FL_LOOKUP_QUIET for DEBUG OBJECT). exists false for a
 * missing key (and the rest zero); a key whose TTL passed but which expiry has not deleted yet has
 * exists false and expired true, with the rest filled (DEBUG OBJECT shows it, as Redis's does). */
typedef struct fl_key_object {
    bool exists;
    bool expired;
    const char *encoding; /* "int", "embstr", "raw", "listpack", "hashtable", ... */
    uint64_t idle_s;      /* seconds since the last access (OBJECT IDLETIME) */
    unsigned freq;        /* logarithmic access counter, decayed (OBJECT FREQ) */
    int64_t refcount;     /* as Redis: INT32_MAX for its shared integers 0..9999, else 1 */
    /* DEBUG OBJECT's: */
    const void *addr;  /* the record's address (stable while the value is changed in place) */
    uint32_t lru;      /* the access clock's seconds (24 bits, Redis's lru field) */
    size_t bytes;      /* the record's bytes with its internal nodes (MEMORY USAGE's core) */
    uint64_t elements; /* hash fields or collection elements; 0 for a string */
    uint32_t chunks;   /* a list's quicklist chunks (Redis's ql_nodes); 0 for other types */
} fl_key_object_t;
int fl_key_object(fl_ns_t *ns, fl_slice_t key, fl_lookup_t how, fl_key_object_t *info);
/* Sets key's access clock as RESTORE's IDLETIME / FREQ do: idle_s >= 0 makes it last accessed
 * that many seconds ago (OBJECT IDLETIME), else freq (0..255) becomes its access counter,
 * accessed now (OBJECT FREQ). FL_ENOKEY when missing. Any thread. */
int fl_key_set_access(fl_ns_t *ns, fl_slice_t key, long long idle_s, int freq);

/* EXPIRE/PEXPIRE: sets an absolute expiry; a time not in the future deletes the key.
 * *applied tells whether the key existed. */
int fl_key_expire_at(fl_ns_t *ns, fl_slice_t key, int64_t at_ms, bool *applied);

/* EXPIRE's NX/XX/GT/LT conditions (Redis 7; GT/LT treat "no expiry" as infinite). */
enum { FL_EXPIRE_NX = 1u, FL_EXPIRE_XX = 2u, FL_EXPIRE_GT = 4u, FL_EXPIRE_LT = 8u };

/* EXPIRE with conditions: like fl_key_expire_at, but only when the key's current expiry
 * satisfies `flags` (0 = always), decided under the partition's write lock together with the
 * change. *applied tells whether the expiry was set (or the key deleted for a past time).
 * FL_EINVAL for unknown flags or NX with XX/GT/LT, or GT with LT; FL_ENOMEM when the record
 * could not grow to hold its first expiry (nothing changed). */
int fl_key_expire_cond(fl_ns_t *ns, fl_slice_t key, int64_t at_ms, unsigned flags, bool *applied);

/* PTTL: *ttl_ms = remaining ms, -1 without expiry, -2 when missing (FL_LOOKUP_META). */
int fl_key_ttl_ms(fl_ns_t *ns, fl_slice_t key, int64_t *ttl_ms);

/* EXPIRETIME/PEXPIRETIME: *at_ms = the absolute expiry in ms, -1 without one, -2 when missing
 * (FL_LOOKUP_META). */
int fl_key_expire_time(fl_ns_t *ns, fl_slice_t key, int64_t *at_ms);

/* PERSIST: *changed tells whether an expiry was removed. */
int fl_key_persist(fl_ns_t *ns, fl_slice_t key, bool *changed);

/* TYPE, counted as `how` says (FL_TYPE_NONE when missing). */
int fl_key_type(fl_ns_t *ns, fl_slice_t key, fl_lookup_t how, fl_type_t *type);

/* MEMORY USAGE: bytes the record takes in the arena (usable sizes), 0 when missing; counts
 * nothing (FL_LOOKUP_QUIET). */
int fl_key_memory_usage(fl_ns_t *ns, fl_slice_t key, size_t *bytes);

/* Glob match with Redis's stringmatchlen rules (* ? [abc] [^a] [a-z] and \ escapes), binary
 * safe; nocase folds ASCII case (CONFIG GET). Used by SCAN MATCH; exported so the server's
 * other glob users share one matcher. */
bool fl_glob_match(const char *pat, size_t plen, const char *s, size_t slen, bool nocase);

/* SCAN: visits about `count` keys from `cursor` that match the glob `pattern` (NULL = all),
 * calling fn for each (under the partition lock: copy what you keep), and sets *next (0 when
 * the scan is complete). Guarantees of Redis's SCAN: every key present for the whole scan is
 * returned at least once. */
typedef void (*fl_key_fn)(void *ctx, const char *key, size_t n);
int fl_key_scan(fl_ns_t *ns, uint64_t cursor, const char *pattern, size_t pattern_len, size_t count,
                fl_key_fn fn, void *ctx, uint64_t *next);

/* DBSIZE. */
size_t fl_ns_size(fl_ns_t *ns);

/* FLUSHDB: deletes every record of the namespace, atomically as Redis does (no other thread's
 * write lands between two partitions: the caller's batch holds them, or the flush closes the
 * store's gate for its duration and then purges the namespace's arena, fl_ns_purge). FL_OK, or
 * FL_ENOMEM (nothing deleted). Call holding no partition lock outside a batch. */
int fl_ns_flush(fl_ns_t *ns);

/* Gives the namespace arena's free pages back to the system now instead of a decay period
 * later (after a flush made inside the caller's batch: call it once the batch ended, as
 * Redis's synchronous flush purges jemalloc). 0 or -errno. */
int fl_ns_purge(fl_ns_t *ns);

/* ACTIVE DEFRAG, one bounded step: continues the namespace's sweep over its partitions and
 * moves each record, hash field and index array that sits in a sparse slab (fl_mem_should_move)
 * to a fuller one (fl_arena_move), under the partition's write lock, fixing the one reference
 * to it. A lock is held for at most about 0.5 ms (then released and re-taken). Stops after
 * max_moves moves, after about 10 ms, or when the sweep completes (*swept = true; the next call
 * starts a new sweep). *moved gets the moves done. Any thread may call it (callers take turns);
 * the background thread does when the namespace's thresholds say so. Returns FL_OK. */
int fl_ns_defrag_step(fl_ns_t *ns, size_t max_moves, size_t *moved, bool *swept);

/* What one full defragmentation pass did. */
typedef struct fl_ns_defrag_report {
    uint64_t scanned;         /* allocations looked at */
    uint64_t moved;           /* allocations moved */
    uint64_t bytes_moved;     /* their requested bytes */
    size_t resident_before;   /* the arena's resident bytes before the pass */
    size_t resident_after;    /* ... after the pass and the purge */
    size_t frag_bytes_before; /* slab holes before / after */
    size_t frag_bytes_after;
    uint64_t time_us; /* wall time of the pass (purge included), microseconds like every time
                       * the store reports */
} fl_ns_defrag_report_t;

/* MEMORY DEFRAG: a full pass now, in the calling thread: sweeps over every partition from the
 * first (same moves and lock bounds as fl_ns_defrag_step, clients keep being served between
 * lock holds) until a sweep moves few objects (at most 8 sweeps), then purges the arena's freed
 * pages so RSS comes down. Waits while another caller defragments the namespace. report may be
 * NULL. Returns FL_OK. */
int fl_ns_defrag_full(fl_ns_t *ns, fl_ns_defrag_report_t *report);

/* ---- Batches and watches (MULTI/EXEC, WATCH, scripts) ------------------------------------- */

typedef struct fl_batch_key {
    fl_ns_t *ns;
    fl_slice_t key;
} fl_batch_key_t;

/* Opens a batch on the calling thread: write-locks the partitions of keys[0..n) in ascending
 * (namespace, partition) order, or, with `all`, every partition of every namespace (for
 * commands that name no keys: FLUSHALL, KEYS, SCAN, scripts). Until fl_batch_end the store's
 * functions called on this thread keep those partitions locked instead of locking and
 * unlocking them, so the whole sequence is atomic: no other thread sees part of it and none of
 * its reads sees another thread's write. A key outside the batch is locked on first use and
 * kept to the end (atomic still, but taken out of order: declare every key). One batch per
 * thread, no nesting; a batch must not wait for another thread that uses the store.
 * Inline eviction is skipped in a keys-only batch. Returns FL_OK or FL_ENOMEM (nothing held). */
int fl_batch_begin(fl_store_t *store, const fl_batch_key_t *keys, size_t n, bool all);

/* Releases the calling thread's batch. */
void fl_batch_end(void);

/* Whether the calling thread has a batch open, and whether it holds every partition. */
bool fl_batch_active(void);
bool fl_batch_holds_all(void);

/* One watched key (WATCH). Thread-safety: any thread; one owner calls changed/remove. */
typedef struct fl_watch fl_watch_t;

/* Starts watching key: from now on any change of the key (a write by any command, expiry,
 * eviction, FLUSHDB/FLUSHALL of a namespace where it exists) marks the watch. A key already
 * expired counts as missing (its later deletion is no change). FL_OK or FL_ENOMEM. */
int fl_watch_add(fl_ns_t *ns, fl_slice_t key, fl_watch_t **out);

/* Whether the key changed since fl_watch_add (or expired since). Exact when the caller holds
 * the key's partition in a batch, which EXEC does so the answer holds until it commits. */
bool fl_watch_changed(fl_watch_t *w);

/* The watch's namespace and key (valid until fl_watch_remove), to declare in a batch. */
fl_batch_key_t fl_watch_key(const fl_watch_t *w);

/* Stops watching and frees w (NULL is fine). */
void fl_watch_remove(fl_watch_t *w);

/* ---- Persistence hooks (src/store/hooks.c) ---------------------------------------------- */

/* A record as the persistence layer sees it, valid only inside the hook call that passes it
 * (the partition lock is held). */
typedef struct fl_rec_view {
    fl_type_t type; /* FL_TYPE_STRING, _HASH, _LIST, _SET or _ZSET */
    fl_slice_t key;
    fl_value_t val;       /* string value (others: empty) */
    fl_slice_t lzf;       /* a string the store keeps LZF-compressed (string-compress-min): its
                           * compressed bytes, liblzf's format (an RDB's LZF string), which
                           * expand to val; p NULL otherwise */
    int64_t expire_at_ms; /* absolute; 0 = none */
    size_t nfields;       /* hash: number of fields; list, set, sorted set: of elements */
    const void *rec;      /* the store's record (for fl_rec_view_fields) */
} fl_rec_view_t;

/* Calls fn for every field of a hash view (nothing for a string), in table order. */
typedef void (*fl_field_fn)(void *ctx, fl_slice_t field, fl_slice_t val);
void fl_rec_view_fields(const fl_rec_view_t *v, fl_field_fn fn, void *ctx);

/* Calls fn for every element of a list (in order), set, or sorted set (in order, with its
 * score; 0 for the others); nothing for a string or hash. */
typedef void (*fl_elem_fn)(void *ctx, fl_slice_t elem, double score);
void fl_rec_view_elems(const fl_rec_view_t *v, fl_elem_fn fn, void *ctx);

/* Reads records as views outside the hooks (DUMP, DEBUG DIGEST-VALUE, DIGEST): fn runs under
 * the partition's read lock, must not call into the store, and sees only records not expired
 * at the call's time. fl_key_view: key's record, counted as `how` says, *found false (fn not
 * called) when it is missing. fl_ns_each_view: every record of the namespace, one partition
 * at a time (a point-in-time view only when the caller holds the whole store: an "all" batch),
 * no access recorded. Any thread. */
typedef void (*fl_view_fn)(void *ctx, const fl_rec_view_t *v);
void fl_key_view(fl_ns_t *ns, fl_slice_t key, fl_lookup_t how, fl_view_fn fn, void *ctx,
                 bool *found);
void fl_ns_each_view(fl_ns_t *ns, fl_view_fn fn, void *ctx);

/* A change said as one command Redis 7.0 replays, when that is shorter than the key's state
 * (a push onto a long list, one member of a big set): verb, the key, then the words, the
 * integers and the arguments, each argument preceded by scores[i] when scores is set (ZADD).
 * A delta is exact, not idempotent: replayed once, in commit order, on the state the key had
 * before it, it gives the state after it. Valid only inside the hook call that passes it. */
typedef struct fl_delta {
    const char *verb;     /* "LPUSH", "SREM", ...; NULL: no delta */
    const char *words[2]; /* fixed words after the key ("BEFORE", "NX"), NULL when absent */
    int64_t nums[2];      /* then n_nums integers (LPOP's count, LTRIM's range) */
    size_t n_nums;
    const fl_slice_t *args; /* then n_args arguments (elements, members, field-value pairs) */
    size_t n_args;
    const double *scores; /* sorted sets: scores[i] is written before args[i] */
} fl_delta_t;

/* What a persistence layer (src/persist/) hooks into the store. Every callback runs with the
 * partition's write lock held (so per key, hook calls come in commit order), must not call back
 * into the store (fl_snap_dumped excepted), and must not fail (a log that cannot be written
 * buffers and reports later). `part` is the key's partition (for fl_snap_dumped).
 *   put         the key now holds *rec (insert, replace, in-place change of TTL or fields); when
 *               `delta` is not NULL, the change is also said by it (the key's previous state
 *               plus the delta gives *rec), so a log may write the delta instead of *rec;
 *   del         the key is gone (DEL, expiry, eviction; FLUSHDB when `flush` declined it);
 *   flush       the namespace is about to be emptied (FLUSHDB, FLUSHALL), `keys` records: called
 *               once, inside a group, with every partition of it held by the calling thread,
 *               before any partition is emptied. Returns true when it takes the flush as one
 *               change, false to be told each key through del instead (a log that cannot say
 *               the flush in one record at that moment). NULL: always per key;
 *   group_begin the calling thread starts a write that is atomic over several keys (MSET, DEL
 *               of several keys, RENAME, SMOVE, LMOVE, the set algebra's STOREs, a MULTI/EXEC or
 *               script batch): its put/del calls until group_end are one unit, all or nothing
 *               after a crash;
 *   group_end   the group ends, on the same thread, BEFORE any of its partition locks is
 *               released (so the whole group may be logged there, still in commit order per
 *               key). Groups do not nest: inner ones are folded into the outermost. Either may
 *               be NULL;
 *   snap_rec    during a snapshot: one record of the partition's state when the snapshot began;
 *   snap_done   after the last snap_rec of a partition (same thread, lock still held). */
typedef struct fl_store_hooks {
    void *ctx;
    void (*put)(void *ctx, size_t ns_index, uint32_t part, const fl_rec_view_t *rec,
                const fl_delta_t *delta);
    void (*del)(void *ctx, size_t ns_index, uint32_t part, fl_slice_t key);
    bool (*flush)(void *ctx, size_t ns_index, uint64_t keys);
    void (*group_begin)(void *ctx);
    void (*group_end)(void *ctx);
    void (*snap_rec)(void *ctx, size_t ns_index, const fl_rec_view_t *rec);
    void (*snap_done)(void *ctx, size_t ns_index);
} fl_store_hooks_t;

/* Installs (or with NULL removes) the hooks; *h is copied. Call while no other thread uses the
 * store (before workers start). The hooks stay callable until fl_store_close returns (the
 * store's background thread commits expiries until then), so their ctx must outlive it. */
void fl_store_set_hooks(fl_store_t *store, const fl_store_hooks_t *h);

/* ---- Key events (src/store/key_events.c) ------------------------------------------------ */

/* What happened to a key, for keyspace notifications: a key that did not exist now does
 * (NEW), a write removed it (DELETED: DEL, a collection left empty, the old name of RENAME,
 * ...), its TTL passed (EXPIRED: lazily on access or by the background thread), the eviction
 * policy removed it (EVICTED), or a read looked it up and did not find it (MISS: the reads
 * counted in the namespace's misses). FLUSHDB/FLUSHALL report nothing (as Redis). */
typedef enum fl_key_event {
    FL_KEY_NEW,
    FL_KEY_DELETED,
    FL_KEY_EXPIRED,
    FL_KEY_EVICTED,
    FL_KEY_MISS,
} fl_key_event_t;

/* Called by the thread that made the change or the read (a command's worker, the background
 * thread) with the key's partition locked (write-locked for a change, before it is applied:
 * per key, in commit order). It must not call into the store, must copy the key if it keeps
 * it, and must be fast (it holds the partition). */
typedef void (*fl_key_event_fn)(void *ctx, size_t ns_index, fl_slice_t key, fl_key_event_t ev);

/* Installs the key-event callback (NULL removes it); events are reported only while switched
 * on by fl_store_key_events. Call while no other thread uses the store (before workers
 * start); ctx must outlive the store (its background thread commits expiries until
 * fl_store_close returns). */
void fl_store_set_key_events(fl_store_t *store, fl_key_event_fn fn, void *ctx);

/* Switches reporting on or off (any thread, any time; off costs the commit point one relaxed
 * load; on does nothing without a callback installed). A change racing with the switch may or
 * may not be reported. */
void fl_store_key_events(fl_store_t *store, bool on);

/* Silences the calling thread's key events (quiet true) until called again with false: for a
 * scratch key no client should hear of (RESTORE decodes into a hidden key, then renames it). */
void fl_key_events_quiet(bool quiet);

/* Snapshot without fork. fl_snap_begin starts a point-in-time view: from then on, the first
 * thread to write-lock a partition not yet dumped dumps it first (snap_rec per record, then
 * snap_done: copy-before-write, under the lock it already holds, also inside a batch), and
 * fl_snap_part dumps a partition when nobody did yet (the snapshot thread walks them all with
 * one short lock hold each). After every partition of every namespace went through
 * fl_snap_part, fl_snap_end ends it. One snapshot at a time (the caller serialises snapshots).
 * The moment falls between writes: fl_snap_begin closes the store's gate (waits until no
 * thread holds a partition lock, so no single write, key set or batch is half done), unless
 * the caller's own "all" batch holds the store; call it holding no partition lock otherwise.
 * Every write committed before it is in the dump, every later one is not; inside a commit
 * hook fl_snap_dumped tells which side a change is on. Returns the snapshot's number.
 * fl_snap_begin_at also calls at(ctx, number) at that moment, with no writer running (the log
 * switches files there): `at` must not call into the store. */
typedef void (*fl_snap_at_fn)(void *ctx, uint64_t snap);
uint64_t fl_snap_begin(fl_store_t *store);
uint64_t fl_snap_begin_at(fl_store_t *store, fl_snap_at_fn at, void *ctx);
void fl_snap_part(fl_store_t *store, size_t ns_index, uint32_t pidx);
void fl_snap_end(fl_store_t *store);

/* Inside a put/del hook (the partition's lock held): whether partition `part` of namespace
 * ns_index was dumped for snapshot `snap` (a number fl_snap_begin returned) before this
 * change, i.e. whether the change is absent from that snapshot. Exact: partitions are dumped
 * under their lock, before the first change after fl_snap_begin. */
bool fl_snap_dumped(fl_store_t *store, size_t ns_index, uint32_t part, uint64_t snap);

/* Number of partitions of a namespace. */
uint32_t fl_ns_partitions(const fl_ns_t *ns);

/* ---- Statistics --------------------------------------------------------------------------- */

/*
 * THE NAMESPACE STATISTICS, defined once: fl_ns_stats_t's scalar fields, iterated by INFO's
 * namespace lines and MEMORY STATS (and checked against both by tests/server/vocabulary.sh).
 *
 *   X(field, ctype, name, unit, doc)
 *     name  snake_case, as INFO prints it (MEMORY STATS prints it with '-' for '_')
 *     unit  "count", "bytes", "pct", "bool" or "us": every time is in microseconds
 *
 * The namespace arena's memory breakdown (mem) follows the scalars in every printer, in
 * FL_MEM_BYTES / FL_MEM_RATIOS order.
 */
#define FL_NS_STATS(X)                                                                             \
    X(keys, uint64_t, "keys", "count", "keys held")                                                \
    X(keys_with_ttl, uint64_t, "expires", "count", "keys with a TTL")                              \
    X(used, size_t, "used", "bytes", "requested bytes of records + index: what quotas compare")    \
    X(memory_limit, size_t, "memory_limit", "bytes", "the namespace's memory-limit")               \
    X(hits, uint64_t, "hits", "count", "reads that found their key")                               \
    X(misses, uint64_t, "misses", "count", "reads that did not find their key")                    \
    X(expired, uint64_t, "expired", "count", "keys removed because their TTL passed")              \
    X(evicted, uint64_t, "evicted", "count",                                                       \
      "keys removed above the high-water mark (by the policy)")                                    \
    X(writes_refused, uint64_t, "writes_refused", "count",                                         \
      "writes refused above the stop-writes mark (FL_EOOM)")                                       \
    X(defrag_running, bool, "defrag_running", "bool", "the background policy is running a pass")   \
    X(defrag_cpu_pct, unsigned, "defrag_cpu_pct", "pct", "its CPU share (0 when not running)")     \
    X(defrag_frag_pct, uint64_t, "defrag_frag_pct", "pct",                                         \
      "last fragmentation the policy measured (slab holes % of allocated)")                        \
    X(defrag_passes, uint64_t, "defrag_passes", "count", "passes run (background and on demand)")  \
    X(defrag_sweeps, uint64_t, "defrag_sweeps", "count", "completed defrag sweeps")                \
    X(defrag_scanned, uint64_t, "defrag_scanned", "count", "allocations looked at")                \
    X(defrag_moves, uint64_t, "defrag_moves", "count", "allocations moved by active defrag")       \
    X(defrag_bytes_moved, uint64_t, "defrag_bytes_moved", "bytes",                                 \
      "requested bytes of the moved allocations")                                                  \
    X(defrag_bytes_freed, uint64_t, "defrag_bytes_freed", "bytes",                                 \
      "arena resident bytes given back by passes (approximate under concurrent writes)")           \
    X(defrag_time_us, uint64_t, "defrag_time_us", "us", "wall time spent defragmenting")           \
    X(defrag_lock_holds, uint64_t, "defrag_lock_holds", "count",                                   \
      "partition write-lock holds by the defragmenter")                                            \
    X(defrag_max_hold_us, uint64_t, "defrag_max_hold_us", "us",                                    \
      "longest of those holds, rounded up (wall time: includes preemption)")                       \
    X(defrag_slow_holds, uint64_t, "defrag_slow_holds", "count", "holds longer than 1 ms")

typedef struct fl_ns_stats {
#define FL_NS_STATS_FIELD_(field, ctype, name, unit, doc) ctype field;
    FL_NS_STATS(FL_NS_STATS_FIELD_)
#undef FL_NS_STATS_FIELD_
    fl_mem_stats_t mem; /* the namespace arena's breakdown */
} fl_ns_stats_t;

/* Fills *out for the namespace. Cheap enough for INFO. */
int fl_ns_stats(fl_ns_t *ns, fl_ns_stats_t *out);

#ifdef __cplusplus
}
#endif

#endif /* FLATLINE_STORE_H */
