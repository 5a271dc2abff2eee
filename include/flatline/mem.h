/*
 * flatline/mem.h: lifecycle-aware allocation on jemalloc (libflatline's memory layer).
 *
 * Two kinds of arena, chosen by an object's life-cycle (see docs/design.md):
 *
 *   - A *shared arena* (fl_arena_t) holds persistent objects: one per namespace. Any thread may
 *     allocate from it and free into it. Each (thread, shared arena) pair uses its own explicit
 *     jemalloc tcache (plus a small front cache of blocks <= 4 KiB), created lazily and destroyed
 *     at thread exit, so a block freed into arena A can never be handed out for arena B
 *     (jemalloc's automatic tcache mixes arenas).
 *   - A *thread-private arena* holds a thread's transient objects. fl_thread_bind_private_arena()
 *     binds the calling thread to an arena of its own; plain malloc/free in that thread then land
 *     there. Private arenas are pooled: a thread that exits gives its arena back for reuse.
 *
 * Sizes are explicit. Shared-arena calls take the size the caller asked for ("requested" in
 * docs/design.md's vocabulary) on every call, as jemalloc's sdallocx does, so the layer can report
 * requested bytes exactly without a per-object header. Passing a size other than the one the
 * object was allocated (or last reallocated) with is a caller bug; debug builds assert on it.
 *
 * Errors: functions that can fail return 0 on success or a negative errno value (-EINVAL for bad
 * arguments, -ENOMEM when jemalloc cannot create an arena or tcache, -ENOSYS when the running
 * malloc is not jemalloc); fl_mem_strerror() turns it into text. Allocation functions return NULL
 * on failure. Library code never aborts.
 *
 * Thread-safety: every function may be called from any thread, except where noted.
 */
#ifndef FLATLINE_MEM_H
#define FLATLINE_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "flatline/version.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Process-wide setup ------------------------------------------------------------------ */

/* Options for fl_mem_init(). Zero-initialised means "jemalloc's defaults". */
typedef struct fl_mem_opts {
    bool background_thread; /* start jemalloc's background purging threads */
} fl_mem_opts_t;

/* Initialises the layer once per process (idempotent; later calls only apply opts).
 * Returns 0, or -ENOSYS when jemalloc is not the allocator behind mallocx/mallctl. */
int fl_mem_init(const fl_mem_opts_t *opts);

/* Text for a negative errno returned by this layer (never NULL, never allocates). */
const char *fl_mem_strerror(int err);

/* True when plain malloc() in this process is served by jemalloc (false under ASan, or when
 * another allocator was preloaded): private arenas and process statistics need it. */
bool fl_mem_malloc_is_jemalloc(void);

/* ---- Shared arenas (persistent objects) --------------------------------------------------- */

typedef struct fl_arena fl_arena_t;

/* Decay settings in milliseconds, as jemalloc's arena.<i>.dirty_decay_ms / muzzy_decay_ms:
 * -1 never purges, 0 purges at once. FL_DECAY_DEFAULT keeps jemalloc's default. */
#define FL_DECAY_DEFAULT ((ssize_t)INT64_MIN)

typedef struct fl_arena_opts {
    ssize_t dirty_decay_ms; /* FL_DECAY_DEFAULT, -1, or >= 0 */
    ssize_t muzzy_decay_ms; /* FL_DECAY_DEFAULT, -1, or >= 0 */
} fl_arena_opts_t;

/* Creates a shared arena named `name` (copied; at most 63 bytes). opts may be NULL.
 * Returns 0 and sets *out, or -EINVAL / -ENOMEM / -ENOSYS. */
int fl_arena_create(fl_arena_t **out, const char *name, const fl_arena_opts_t *opts);

/* Destroys the arena and frees every object still live in it (jemalloc arena.<i>.destroy):
 * pointers into it become invalid. Explicit tcaches bound to it are flushed and destroyed first.
 * The caller guarantees no other thread uses the arena during or after the call. */
void fl_arena_destroy(fl_arena_t *arena);

/* The arena's name and jemalloc index. */
const char *fl_arena_name(const fl_arena_t *arena);
unsigned fl_arena_index(const fl_arena_t *arena);

/* Allocates `size` bytes (size > 0) in the arena. NULL on failure. */
void *fl_arena_alloc(fl_arena_t *arena, size_t size);

/* Allocates count*size zeroed bytes; NULL on overflow or failure. Requested = count*size. */
void *fl_arena_calloc(fl_arena_t *arena, size_t count, size_t size);

/* Resizes `ptr` (allocated in `arena` with `old_size` bytes requested) to `new_size` bytes,
 * in the same arena. ptr == NULL acts as fl_arena_alloc. On failure returns NULL and leaves
 * ptr untouched. new_size == 0 is invalid (use fl_arena_free). */
void *fl_arena_realloc(fl_arena_t *arena, void *ptr, size_t old_size, size_t new_size);

/* Frees `ptr`, allocated in `arena` with `size` bytes requested. ptr == NULL is a no-op.
 * Any thread may free any object of the arena (cross-thread frees are normal). */
void fl_arena_free(fl_arena_t *arena, void *ptr, size_t size);

/* Like fl_arena_alloc / fl_arena_free (same accounting, same errors, any thread), bypassing the
 * calling thread's caches: for big blocks replaced rarely, e.g. a hash table's array that its
 * table outgrows. A cached free block of such a size is seldom reused, and each one keeps a
 * whole slab of its size class alive; uncached, the allocation comes from the arena's current
 * slab of its class (jemalloc refills it from the oldest non-full one) and the free lets an
 * emptied slab go back at once. A block may be freed by either family. */
void *fl_arena_alloc_uncached(fl_arena_t *arena, size_t size);
void fl_arena_free_uncached(fl_arena_t *arena, void *ptr, size_t size);

/* Bytes usable at ptr (>= the requested size): jemalloc's size class. */
size_t fl_mem_usable_size(const void *ptr);

/* Bytes a block of `size` requested bytes would take (jemalloc's size class, nallocx): lets a
 * caller choose a layout that fills its class. 0 when size is 0 or too large. */
size_t fl_mem_size_class(size_t size);

/* Flushes and destroys the calling thread's explicit tcaches for every shared arena. Runs
 * automatically at thread exit; call it earlier in a thread that stops using shared arenas. */
void fl_thread_release_tcaches(void);

/* ---- Adoption: code that frees without sizes, and plain malloc routed into an arena ------- */

/*
 * The unsized family, for existing code that frees without knowing the size (as free() does).
 * A block allocated with fl_arena_malloc (or resized with fl_arena_realloc_unsized) is accounted
 * at its usable size (jemalloc's size class, the only size known again at free time), and must be
 * freed with fl_arena_free_unsized or resized with fl_arena_realloc_unsized; never mix a block
 * between this family and the sized calls (debug builds assert on sizes). Once an arena has served
 * an unsized block, its statistics say requested_known = false: requested then counts those
 * blocks at their usable size. Errors as the sized calls: NULL on failure, ptr untouched.
 */
void *fl_arena_malloc(fl_arena_t *arena, size_t size);
void *fl_arena_realloc_unsized(fl_arena_t *arena, void *ptr, size_t new_size);
void fl_arena_free_unsized(fl_arena_t *arena, void *ptr);

/* Flags of fl_thread_bind_arena. */
#define FL_BIND_EXACT 0x1u /* no thread cache inside the binding (see below) */

/* What fl_thread_unbind_arena restores. Opaque to callers; lives on their stack. */
typedef struct fl_arena_binding {
    unsigned prev_arena; /* the jemalloc arena the thread allocated from before */
    bool prev_tcache;    /* FL_BIND_EXACT: whether the thread cache was enabled before */
    unsigned flags;
    bool active;
} fl_arena_binding_t;

/*
 * Routes the calling thread's plain malloc/calloc/realloc/free (and C++ new/delete) into `arena`
 * until fl_thread_unbind_arena(b): how existing code adopts lifecycle arenas by wrapping a region,
 * e.g. "everything this handler keeps goes to the namespace's arena". Bindings nest (unbind in
 * reverse order). Inside the region, new blocks come from `arena`; blocks freed go back to the
 * arena they came from. The thread's cache is flushed at both ends, so no block of another arena
 * is handed out inside the region and none of `arena`'s leaks out of it; with FL_BIND_EXACT the
 * cache is off inside the region (every call goes to the arenas: exact separation even when the
 * region frees blocks of other arenas, at jemalloc's uncached speed). A block allocated inside may
 * be freed anywhere with free(); freeing it inside a binding to its arena (or with
 * fl_mem_free_direct) returns it to the arena at once instead of the freeing thread's cache.
 * Before fl_arena_destroy, every other thread that free()d blocks of the arena outside a binding
 * must have flushed its thread cache (fl_thread_flush_cache; the rule of jemalloc's
 * arena.<i>.destroy); the destroying thread's own cache is flushed for it.
 * The arena's statistics then say requested_known = false (plain malloc passes no sizes to this
 * layer: requested counts the blocks at their allocated size).
 * Returns 0; -EINVAL (NULL arguments, unknown flags); -ENOSYS when plain malloc is not jemalloc.
 */
int fl_thread_bind_arena(fl_arena_t *arena, unsigned flags, fl_arena_binding_t *b);

/* Ends the binding `b` (made by this thread): flushes the thread's cache and restores the arena
 * (and cache state) the thread had before. A binding not active is a no-op. */
void fl_thread_unbind_arena(fl_arena_binding_t *b);

/* Frees a block of any arena straight to the arena it belongs to, bypassing the calling thread's
 * cache (jemalloc's dallocx with MALLOCX_TCACHE_NONE): for persistent blocks freed by a thread that
 * should not reuse them for its own transient allocations. NULL is a no-op. Not for blocks of the
 * sized or unsized families (their accounting needs fl_arena_free / fl_arena_free_unsized). */
void fl_mem_free_direct(void *ptr);

/* Returns the blocks the calling thread's automatic tcache holds (plain malloc/free: its
 * private arena's, or the default arena's) to their arena, so that arena's statistics show
 * only live data. A few microseconds; call it when the thread goes idle. No-op without a
 * tcache or when malloc is not jemalloc. */
void fl_thread_flush_cache(void);

/* ---- Thread-private arenas (transient objects) ------------------------------------------- */

/* Binds the calling thread to a private arena (reused from the pool or newly created) so that
 * malloc/free in this thread land there. Idempotent. The arena returns to the pool at thread
 * exit. Returns 0, -ENOMEM, or -ENOSYS when malloc is not jemalloc. */
int fl_thread_bind_private_arena(void);

/* jemalloc index of the calling thread's private arena, or -1 when it has none. */
int fl_thread_private_arena_index(void);

/* ---- Statistics (the vocabulary of docs/design.md) ------------------------------------------ */

/*
 * A memory breakdown. All byte counts are a snapshot taken after refreshing jemalloc's epoch.
 *
 *   requested  bytes asked for and still live. Exact for shared arenas (tracked by this layer);
 *              for private arenas and the process it is unknown and reported as `allocated`
 *              with requested_known = false.
 *   allocated  bytes jemalloc handed out and still live (size-class rounded).
 *   active     bytes in pages holding at least one live object.
 *   resident   allocator pages in RAM (data + metadata).
 *   dirty      freed pages not yet purged (pdirty * page size).
 *   muzzy      pages purged lazily (MADV_FREE), still counted by the kernel until reclaimed.
 *   retained   virtual memory kept mapped but returned to the OS.
 *   metadata   jemalloc's own bookkeeping.
 *   rss        process resident set from /proc/self/statm (process-wide, same in every snapshot).
 *   slab_frag_bytes  bytes of free regions inside non-full slabs (sum over bins of
 *              (nregs * curslabs - curregs) * reg_size): the holes defragmentation can recover.
 *
 * Ratios (1.0 when the denominator is 0), printed in this order by every report:
 *   frag_ratio      = rss / requested          (process) or resident / requested (arena)
 *   rounding_ratio  = allocated / requested    (size-class rounding)
 *   holes_ratio     = active / allocated       (free regions in live pages)
 *   unreturned_ratio= resident / active        (dirty/muzzy pages and metadata not returned)
 *   outside_ratio   = rss / resident           (process only: stacks, code, non-heap mappings)
 */
/*
 * THE VOCABULARY, defined once: every printer and collector of a breakdown (INFO, MEMORY STATS,
 * fl_mem_stats_format, flatline-demo, flatline-acct's report, flatline-bench) iterates these
 * lists, so they print the same fields in the same order with the same names.
 *
 *   FL_MEM_BYTES(X)   X(field, name, doc): byte counts of fl_mem_stats_t, in report order.
 *                     `name` is the snake_case word used in machine-readable output (INFO
 *                     fields get a prefix, e.g. "mem_requested"; CSV columns use it as is).
 *   FL_MEM_RATIOS(X)  X(field, name, formula, doc): the ratios, in report order.
 */
#define FL_MEM_BYTES(X)                                                                            \
    X(requested, "requested", "bytes asked for and still live")                                    \
    X(allocated, "allocated", "bytes handed out and still live (size-class rounded)")              \
    X(active, "active", "bytes in pages holding at least one live object")                         \
    X(resident, "resident", "allocator pages in RAM (data and metadata)")                          \
    X(dirty, "dirty", "freed pages not yet purged")                                                \
    X(muzzy, "muzzy", "pages purged lazily (MADV_FREE), counted until the kernel reclaims")        \
    X(retained, "retained", "virtual memory kept mapped but returned to the OS")                   \
    X(metadata, "metadata", "the allocator's own bookkeeping")                                     \
    X(rss, "rss", "the process's resident set (/proc), stacks and code included")                  \
    X(slab_frag_bytes, "slab_holes", "free regions inside non-full slabs: what defrag recovers")

#define FL_MEM_RATIOS(X)                                                                           \
    X(frag_ratio, "frag_ratio", "rss/requested",                                                   \
      "fragmentation ratio (arena: resident/requested)")                                           \
    X(rounding_ratio, "rounding_ratio", "allocated/requested", "size-class rounding")              \
    X(holes_ratio, "holes_ratio", "active/allocated", "free regions in live pages")                \
    X(unreturned_ratio, "unreturned_ratio", "resident/active", "pages not returned to the OS")     \
    X(outside_ratio, "outside_ratio", "rss/resident", "memory outside the heap (process only)")

typedef struct fl_mem_stats {
#define FL_MEM_BYTES_FIELD_(f, name, doc) size_t f;
    FL_MEM_BYTES(FL_MEM_BYTES_FIELD_)
#undef FL_MEM_BYTES_FIELD_
    bool requested_known; /* false: requested counts allocated bytes of unknown requests */
    uint64_t nmalloc;     /* allocations served (jemalloc counters; all sizes) */
    uint64_t ndalloc;     /* deallocations */
#define FL_MEM_RATIOS_FIELD_(f, name, formula, doc) double f;
    FL_MEM_RATIOS(FL_MEM_RATIOS_FIELD_)
#undef FL_MEM_RATIOS_FIELD_
} fl_mem_stats_t;

/* Breakdown of one shared arena. Returns 0 or -errno. Cheap enough to call once a second. */
int fl_arena_stats(fl_arena_t *arena, fl_mem_stats_t *out);

/* Breakdown of all thread-private arenas together. Returns 0 or -errno. */
int fl_private_arenas_stats(fl_mem_stats_t *out);

/* Breakdown of the whole process (all arenas, jemalloc's stats.*, RSS). requested is the sum
 * over shared arenas plus allocated elsewhere (requested_known = false). Returns 0 or -errno. */
int fl_process_stats(fl_mem_stats_t *out);

/* The process's resident set in bytes (/proc/self/statm), 0 when unreadable. Never allocates;
 * works whatever the allocator (the figure every breakdown's rss is). */
size_t fl_mem_rss(void);

/* Writes a human-readable breakdown of `s` titled `title` into buf (docs/design.md order).
 * Returns the length it needed, as snprintf. */
int fl_mem_stats_format(const fl_mem_stats_t *s, const char *title, char *buf, size_t len);

/* ---- Reclaim ------------------------------------------------------------------------------ */

/* Purges the arena's unused dirty and muzzy pages now (arena.<i>.purge). Returns 0 or -errno. */
int fl_arena_purge(fl_arena_t *arena);

/* Purges every arena, private ones included. Returns 0 or -errno. */
int fl_mem_purge_all(void);

/* Sets the arena's decay times (see fl_arena_opts_t). Returns 0 or -EINVAL. */
int fl_arena_set_decay(fl_arena_t *arena, ssize_t dirty_decay_ms, ssize_t muzzy_decay_ms);

/* Starts or stops jemalloc's background purging threads. Returns 0 or -errno (-ENOTSUP when
 * enabling in a TSan build: jemalloc starts those threads behind TSan's interceptors). */
int fl_mem_set_background_thread(bool enable);

/* ---- Move hints (for the defragmenter) --------------------------------------------------- */

/* Whether moving the live object at ptr to a new allocation would help empty a page:
 * true when its slab is not full, is not the slab new blocks are carved from (slabcur), and is
 * no more utilised than the average slab of its bin (from experimental.utilization.query; the
 * rule Valkey uses on stock jemalloc; details in src/mem/move.c). ptr must be NULL or a live
 * jemalloc pointer. Large (non-slab) objects and NULL give false. Regions parked in thread
 * caches count as used: call fl_thread_release_tcaches() before a defragmentation pass. */
bool fl_mem_should_move(const void *ptr);

/* Batch form: fills out[i] for ptrs[i], i < n (NULL entries give false), same rule as
 * fl_mem_should_move. One batch_query call per up to 64 pointers rejects full slabs and large
 * objects; the survivors get one query each (batch_query reports no bin average or slabcur).
 * Returns 0 or -errno. */
int fl_mem_should_move_batch(const void *const *ptrs, size_t n, bool *out);

/* Moves an object of `size` requested bytes within `arena`: allocates a new block bypassing
 * the thread cache (so it comes from the fullest slab jemalloc has), copies, frees the old one.
 * Returns the new pointer (the caller fixes every reference to the old one), or NULL when
 * allocation failed, in which case ptr is untouched and still valid. */
void *fl_arena_move(fl_arena_t *arena, void *ptr, size_t size);

/* ---- Testing hooks ------------------------------------------------------------------------ */

/* Makes the Nth shared-arena allocation from now (1 = the next one) fail, then every later one
 * while `sticky`; n == 0 disables. For tests of allocation-failure paths. */
void fl_mem_test_fail_after(uint64_t n, bool sticky);

#ifdef __cplusplus
}
#endif

#endif /* FLATLINE_MEM_H */
