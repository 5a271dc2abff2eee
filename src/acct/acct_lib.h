/*
 * src/acct/acct_lib.h: internals shared by the files of the preload library libflatline-acct.so.
 *
 * Data ownership:
 *   - acct_real (real.c): written once by the thread that wins acct_real_init(), read-only after
 *     acct_ready becomes 2 (release/acquire).
 *   - per-thread counters (counters.c): written only by the owning thread (ACCT_BUMP: one add),
 *     read by acct_totals() under acct_registry_lock; kept in the state when its thread exits, for
 *     the state's next thread to count on from.
 *   - call sites (sample.c): created under acct_site_lock, then immutable; the sampled blocks,
 *     the sites' sums and the filter (counters.c): under the filter's spin lock
 *     (acct_filter_lock).
 *   - trace buffers (trace.c): each has its own spin flag; the file by acct_trace_lock.
 */
#ifndef FLATLINE_ACCT_LIB_H
#define FLATLINE_ACCT_LIB_H

#include "acct_internal.h"
#include "fl_assert.h"

#include <pthread.h>
#include <stdbool.h>

/* Everything declared below is the library's own (exported names carry ACCT_EXPORT): hidden,
 * so the hot path reaches globals and functions PC-relative, not through the GOT. */
#pragma GCC visibility push(hidden)

/* ---- real.c: the allocator underneath, and the dlsym bootstrap ---------------------------- */

typedef struct acct_real {
    void *(*malloc)(size_t);
    void (*free)(void *);
    void *(*calloc)(size_t, size_t);
    void *(*realloc)(void *, size_t);
    int (*posix_memalign)(void **, size_t, size_t);
    void *(*aligned_alloc)(size_t, size_t);
    void *(*memalign)(size_t, size_t);
    void *(*valloc)(size_t);
    void *(*pvalloc)(size_t);
    size_t (*usable)(void *);
    void *(*mallocx)(size_t, int);
    void *(*rallocx)(void *, size_t, int);
    size_t (*xallocx)(void *, size_t, size_t, int);
    size_t (*sallocx)(const void *, int);
    void (*dallocx)(void *, int);
    void (*sdallocx)(void *, size_t, int);
    size_t (*nallocx)(size_t, int);
} acct_real_t;

extern acct_real_t acct_real;
extern atomic_int acct_ready; /* 0 not looked up, 1 looking up, 2 ready */

/* Makes acct_real usable. Returns true when it is, false when the caller is the thread doing the
 * lookup (dlsym allocating): it must then serve the request from the bootstrap buffer. */
bool acct_real_init_slow(void);
static inline bool acct_real_init(void)
{
    if (ACCT_LIKELY(atomic_load_explicit(&acct_ready, memory_order_acquire) == 2))
        return true;
    return acct_real_init_slow();
}

/* What malloc and calloc call: the real functions once acct_ready is 2, before that the lookup
 * (bootstrap blocks for the thread doing it). Read plainly (one `call *entry`), without testing
 * acct_ready: they are stored once, by the process's first allocation (the dynamic loader's,
 * before the program can start a thread), and a thread that still saw the lookup would only
 * take its path, which waits for acct_ready; whoever then needs acct_real or our state takes
 * the slow path, which tests it. */
extern void *(*acct_malloc_entry)(size_t);
extern void *(*acct_calloc_entry)(size_t, size_t);

/* Bootstrap buffer: a static bump allocator for what dlsym allocates before the real functions
 * are known. Its blocks are never given back; free() recognises and ignores them. */
void *acct_boot_alloc(size_t size, size_t align);
#define ACCT_BOOT_CAP (256 * 1024)
extern char acct_boot_area[ACCT_BOOT_CAP];
static inline bool acct_is_boot(const void *p)
{
    return (uintptr_t)p - (uintptr_t)acct_boot_area < ACCT_BOOT_CAP; /* one compare */
}
size_t acct_boot_size(const void *p);
size_t acct_boot_used(void); /* bytes of the buffer handed out (dlsym's own allocations) */

/* The filter in front of the own-block table (counters.c), the sampled-block table (sample.c) and
 * the bootstrap buffer (real.c): one bit per cell of 16 bytes of address space (addresses 1 MiB
 * apart share a cell), set while an own, a sampled or a bootstrap block lies in the cell. 65536
 * cells fit in 8 KiB, and neighbouring blocks share a cache line of it, so a free's one load
 * almost always hits the cache; the tables are looked into only when the bit is set. The bit is
 * kept under the filter's lock, which is also the sampled-block table's (sample.c): from a
 * count per cell of own and bootstrap blocks (acct_filter_add), and for sampled blocks from
 * their table, hashed by cell, whose run for a cell says whether one lies there: a sample and
 * its free take one lock and touch no table of counts (192 KiB of them cost larson a cache and
 * TLB miss in every sample). Readers of the words take no lock (a block being freed had its bit
 * set before it was handed to the program). */
#define ACCT_FILTER_BITS 16
enum acct_filter_kind { ACCT_FILTER_OWN, ACCT_FILTER_BOOT, ACCT_FILTER_KINDS };
extern uint64_t acct_filter_words[(1u << ACCT_FILTER_BITS) / 64];

static inline unsigned acct_filter_cell(const void *p)
{
    return (unsigned)((uintptr_t)p >> 4) & ((1u << ACCT_FILTER_BITS) - 1);
}

/* The filter's lock (acct_spin_lock; 0 free, 1 held): held for a few dozen instructions by a
 * filter update, a sample or a sampled free. Taken after acct_site_lock and the own-block
 * table's lock when they are held; nothing is locked under it. acct_filter_mine: the calling
 * thread holds it, so a signal handler that interrupted the holder must not wait for it. */
extern int acct_filter_held;
extern __thread bool acct_filter_mine ACCT_TLS;
static inline void acct_filter_lock(void)
{
    acct_spin_lock(&acct_filter_held);
    acct_filter_mine = true;
}
static inline void acct_filter_unlock(void)
{
    acct_filter_mine = false;
    acct_spin_unlock(&acct_filter_held);
}

/* Adds delta (+1/-1) to the count of `kind` blocks in p's cell, keeping its bit in step
 * (saturating counts: 255 sticks). Called by the table's owner under the table's lock; takes
 * the filter's lock (after it). */
void acct_filter_add(enum acct_filter_kind kind, const void *p, int delta);
/* The filter's lock held (sample.c): a sampled block lies in p's cell (sets its bit); the last
 * sampled block of p's cell left (clears the bit unless an own or bootstrap block, or NULL,
 * lies there). */
void acct_filter_mark_locked(const void *p);
void acct_filter_unmark_locked(const void *p);
/* Whether a sampled block lies in filter cell c (sample.c). The filter's lock held. */
bool acct_sample_in_cell_locked(unsigned c);

/* Cell 0 (addresses 0..15 modulo 1 MiB) is always marked, so that free(NULL) leaves the common
 * case at the filter test it makes anyway. */
#define ACCT_FILTER_NULL_CELL 0u
/* Every bit set: what a thread outside the wrappers' common case tests instead of the filter
 * (acct_tls.filter), so that its frees all take the slow path without a test of their own. */
extern const uint64_t acct_filter_all[(1u << ACCT_FILTER_BITS) / 64];

/* Whether filter (acct_filter_words or acct_filter_all) marks p's cell: one load. */
static inline bool acct_filter_test(const uint64_t *filter, const void *p)
{
    unsigned c = acct_filter_cell(p);
    return (__atomic_load_n(&filter[c >> 6], __ATOMIC_RELAXED) >> (c & 63)) & 1;
}

/* Whether p may be an own, a sampled or a bootstrap block (or NULL): one load. */
static inline bool acct_filter_maybe(const void *p)
{
    return acct_filter_test(acct_filter_words, p);
}

/* ---- counters.c: exact totals --------------------------------------------------------------- */

typedef struct acct_bucket_ctr {
    uint64_t n_in, n_out; /* blocks allocated / freed with a usable size in this slot or bucket */
    union {
        uint64_t req;   /* a slot: the requested bytes of the blocks allocated (their slack is
                         * n_in x the slot's usable size - req, derived by a snapshot) */
        uint64_t slack; /* a bucket (usable sizes differ): sum of (usable - requested) */
    };
    uint64_t slack_bits; /* bitwise OR of (usable - requested), at least the largest and under
                          * twice it, over the blocks allocated but those of glibc's malloc and
                          * calloc counted by the wrappers' common case, whose slack glibc's
                          * rounding bounds (acct_glibc_slack_max): it bounds the estimate's
                          * error with that (counters.c) */
} acct_bucket_ctr_t;

/* Allocation and free counts are the sums of the slots' and buckets' n_in and n_out; usable
 * bytes are implied by the slots, and kept in usable_big for the buckets. */
typedef struct acct_ctrs {
    acct_bucket_ctr_t slot[ACCT_SLOTS];
    acct_bucket_ctr_t b[ACCT_NBUCKETS];
    uint64_t usable_big; /* sum of usable over the live blocks counted in buckets */
    uint64_t reallocs;
} acct_ctrs_t;

/* One per live thread, in slabs of mmap'd memory. Aligned to 128 bytes (two cache lines, what
 * adjacent-line prefetch pulls in) so that no two threads' states share a line: a thread's
 * counters are written by that thread only, and a block freed by another thread is counted in
 * the freeing thread's own state. */
typedef struct __attribute__((aligned(128))) acct_thread {
    acct_ctrs_t c; /* owner writes (ACCT_BUMP); readers hold acct_registry_lock; a free state
                    * keeps what its past threads counted (the next owner adds to it) */
    /* from here to next_all: reset when a thread takes the state */
    int64_t sample_left;          /* owner only: bytes until the next call-site sample, while the
                                   * wrappers' common case is off (acct_tls.left while it is on) */
    uint64_t rng;                 /* owner only */
    uint32_t tid;                 /* dense thread index for the trace (never reused) */
    struct acct_tbuf *tb;         /* trace buffer, or NULL */
    uintptr_t stack_lo, stack_hi; /* owner only: the thread's stack (hi 0: not known yet) */
    int in_use;                   /* acct_registry_lock */
    struct acct_thread *next_all, *next_free; /* acct_registry_lock */
    int listed; /* acct_registry_lock: on the all-states list (taken at least once) */
} acct_thread_t;

/* The per-thread words the wrappers read, in one thread-local block: one address lookup (the
 * initial-exec offset from the GOT) reaches them all.
 *
 * The wrappers' common case (glibc underneath, a thread with a state, outside our own code,
 * nobody traces, accounting on) is "on" (armed) or "off" (parked), and every condition that
 * turns it off is folded into a test the common case makes anyway:
 *   - malloc and calloc subtract the request from `left` and leave for the slow path when it
 *     goes negative: armed, it is the thread's sampling countdown (so the slow path samples);
 *     parked, it is ACCT_LEFT_PARKED (far below zero: every call leaves, and the slow path, which
 *     resets it, handles the call the general way);
 *   - free tests p's bit in `filter`: armed, acct_filter_words (own, sampled and bootstrap
 *     blocks, and NULL); parked, acct_filter_all (every bit set: every call leaves).
 * Armed, fast is the thread's state and the countdown is `left`; parked, fast is NULL and the
 * countdown is fast's sample_left (the sampler parks the common case, resets the countdown
 * there, and re-arms it). acct_fast_park and acct_fast_arm move it between the two. The fields are
 * written only by their thread, in an order that keeps them consistent for a signal handler
 * that allocates in between (a compiler barrier between the stores). */
typedef struct acct_tls {
    int64_t left;           /* see above: the countdown, or ACCT_LEFT_PARKED */
    const uint64_t *filter; /* acct_filter_words armed, acct_filter_all parked */
    acct_thread_t *fast;    /* this thread's state armed, NULL parked */
    acct_thread_t *fast_je; /* the state while jemalloc is underneath with its sizes known
                             * (acct_je_sized, acct_je_classes) and outside our own code: the
                             * slow path's first case */
    acct_thread_t *self;    /* this thread's state, NULL before its first count or after its exit */
    int busy; /* nonzero while our own code is on this thread's stack: its allocations are ours */
    int dead; /* the thread's exit handler ran: count into acct_global from now on */
} acct_tls_t;
#define ACCT_LEFT_PARKED (INT64_MIN / 2) /* no request brings it back to zero (reset each time) */
extern __thread acct_tls_t acct_tls ACCT_TLS;
extern acct_ctrs_t acct_global; /* folded counters: atomic adds only */
extern int acct_off;            /* pass-through only (forked child, or before/after life) */
/* Zero while the wrappers' common case applies: the allocator is glibc's and its chunk header
 * gives the size key (acct_glibc_header), accounting is on and nobody traces. Otherwise every
 * allocation and free takes the wrappers' slow path, which handles each case (jemalloc's first).
 * Set until the library's constructor has decided (monitor.c); after that it may only clear
 * (trace closed, forked child), never set again: an armed thread would not notice (a parked one
 * notices in its slow path). Whoever changes acct_off, acct_tracing or acct_glibc_header calls
 * acct_detour_update(). */
enum {
    ACCT_DETOUR_SPECIAL = 1,  /* acct_off or acct_tracing: every call the general way */
    ACCT_DETOUR_ALLOCATOR = 2 /* not glibc with a usable header */
};
extern int acct_detour;
extern int acct_glibc_header, acct_je_sized, acct_je_classes;
static inline void acct_detour_update(void)
{
    extern int acct_tracing;
    int d = ((acct_off | acct_tracing) ? ACCT_DETOUR_SPECIAL : 0) |
            (acct_glibc_header ? 0 : ACCT_DETOUR_ALLOCATOR);
    __atomic_store_n(&acct_detour, d, __ATOMIC_RELAXED);
}

/* Turns the calling thread's common case off (see acct_tls_t): its countdown goes back to its
 * state, and every malloc, calloc and free leaves for the slow path. Idempotent. */
static inline void acct_fast_park(void)
{
    acct_thread_t *t = acct_tls.fast;
    FL_DEBUG_ASSERT((t == NULL) == (acct_tls.filter == acct_filter_all)); /* armed or parked */
    int64_t left = acct_tls.left;
    acct_tls.left = ACCT_LEFT_PARKED;
    acct_tls.filter = acct_filter_all;
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* both tests fail before fast is cleared */
    acct_tls.fast = NULL;
    if (t)
        t->sample_left = left;
}

/* Turns the calling thread's common case on with state t (parked before). */
static inline void acct_fast_arm(acct_thread_t *t)
{
    FL_DEBUG_ASSERT(acct_tls.fast == NULL && acct_tls.filter == acct_filter_all &&
                    t == acct_tls.self && acct_tls.busy == 0);
    acct_tls.fast = t;
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* fast is set before either test can pass */
    acct_tls.left = t->sample_left;
    acct_tls.filter = acct_filter_words;
}

/* Arms or parks the common case as this thread's state, busy and acct_detour say, and sets
 * fast_je likewise. */
static inline void acct_fast_refresh(void)
{
    int d = __atomic_load_n(&acct_detour, __ATOMIC_RELAXED);
    int special = acct_tls.busy || (d & ACCT_DETOUR_SPECIAL);
    acct_thread_t *want = special || d ? NULL : acct_tls.self;
    if (want != acct_tls.fast) {
        acct_fast_park();
        if (want)
            acct_fast_arm(want);
    } else if (!want) {
        acct_tls.left = ACCT_LEFT_PARKED; /* (a parked countdown drifts down by each request) */
    }
    acct_tls.fast_je = special || !acct_je_sized || !acct_je_classes ? NULL : acct_tls.self;
}

/* Our own code runs on this thread until the matching acct_busy_leave() (they nest): what it
 * allocates is ours, nothing is sampled or traced, the wrappers take their slow path. */
static inline void acct_busy_enter(void)
{
    acct_tls.busy++;
    acct_fast_park();
    acct_tls.fast_je = NULL;
}
static inline void acct_busy_leave(void)
{
    if (--acct_tls.busy == 0)
        acct_fast_refresh();
}
extern pthread_mutex_t acct_registry_lock;

/* The calling thread's state, acquiring it on first use; NULL when it cannot have one (inside
 * its own acquisition, or after the thread's exit handler ran): then count into acct_global. */
acct_thread_t *acct_thread_slow(void);
static inline acct_thread_t *acct_thread(void)
{
    acct_thread_t *t = acct_tls.self;
    return ACCT_LIKELY(t != NULL) ? t : acct_thread_slow();
}

/* Adds v to a counter that only the calling thread writes, with one instruction where we can:
 * others read it with relaxed loads (acct_totals), and an aligned 8-byte store is single-copy
 * atomic, so they see the old or the new value, never a torn one. (A relaxed atomic store of
 * field + v is what C offers; compilers do not turn it into one add to memory.) */
#if defined(__x86_64__)
#define ACCT_BUMP(field, v) __asm__("addq %1, %0" : "+m"(field) : "er"((uint64_t)(v)))
#define ACCT_OR(field, v) __asm__("orq %1, %0" : "+m"(field) : "er"((uint64_t)(v)))
#else
#define ACCT_BUMP(field, v) __atomic_store_n(&(field), (field) + (v), __ATOMIC_RELAXED)
#define ACCT_OR(field, v) __atomic_store_n(&(field), (field) | (v), __ATOMIC_RELAXED)
#endif

/* Counting outside the slots (counters.c): t may be NULL (then acct_global, atomically). */
void acct_count_alloc_big(acct_thread_t *t, size_t req, size_t key);
void acct_count_free_big(acct_thread_t *t, size_t key);

/* The counters of key's slot (key >> 3), addressed from the key's size bits without a shift
 * down and up again (size8 is a multiple of 8). */
static inline acct_bucket_ctr_t *acct_slot_ctr(acct_ctrs_t *c, size_t key)
{
    size_t size8 = key & ~(size_t)7;
    return (acct_bucket_ctr_t *)((char *)c->slot + size8 * (sizeof(acct_bucket_ctr_t) / 8));
}

/* Counts a block of req bytes just allocated by glibc's malloc or calloc, whose size key is
 * counted in a slot, in t's: two adds (its slack needs no OR: acct_glibc_slack_max bounds it). */
static inline __attribute__((always_inline)) void
acct_count_alloc_slot_glibc(acct_thread_t *t, size_t req, size_t key)
{
#if defined(__x86_64__)
    /* both adds addressed from the state and the key's size bits (the compiler computes the
     * slot's address into a register first: one instruction more) */
    _Static_assert(offsetof(acct_thread_t, c.slot) == 0 && sizeof(acct_bucket_ctr_t) == 32 &&
                       offsetof(acct_bucket_ctr_t, req) == 16,
                   "the slot's counters at t + size8 * 4");
    size_t size8 = key & ~(size_t)7;
    __asm__("addq $1, (%0,%1,4)\n\taddq %2, 16(%0,%1,4)"
            :
            : "r"(t), "r"(size8), "r"((uint64_t)req)
            : "memory");
#else
    acct_bucket_ctr_t *c = acct_slot_ctr(&t->c, key);
    ACCT_BUMP(c->n_in, 1);
    ACCT_BUMP(c->req, req);
#endif
}

/* Counts a block of req bytes just allocated, whose size key is counted in a slot, in t's. The
 * block's usable size (implied by the slot) is at least req. */
static inline __attribute__((always_inline)) void acct_count_alloc_slot(acct_thread_t *t,
                                                                        size_t req, size_t key)
{
    acct_bucket_ctr_t *c = acct_slot_ctr(&t->c, key);
    ACCT_BUMP(c->n_in, 1);
    ACCT_BUMP(c->req, req);
    ACCT_OR(c->slack_bits, (key & ~(size_t)7) - 8 - req); /* usable - req */
}

/* Counts a block about to be freed, whose size key is counted in a slot, in t's. */
static inline __attribute__((always_inline)) void acct_count_free_slot(acct_thread_t *t, size_t key)
{
    ACCT_BUMP(acct_slot_ctr(&t->c, key)->n_out, 1);
}

/* Counts a block of req bytes just allocated, with size key `key`, in t (NULL: acct_global). */
static inline void acct_count_alloc(acct_thread_t *t, size_t req, size_t key)
{
    if (ACCT_LIKELY(t != NULL) && ACCT_LIKELY(acct_key_in_slot(key))) {
        size_t usable = (key & ~(size_t)7) - 8;
        acct_count_alloc_slot(t, req < usable ? req : usable, key);
    } else {
        acct_count_alloc_big(t, req, key);
    }
}

/* Counts a block with size key `key` about to be freed, in t (NULL: acct_global). */
static inline void acct_count_free(acct_thread_t *t, size_t key)
{
    if (ACCT_LIKELY(t != NULL) && ACCT_LIKELY(acct_key_in_slot(key)))
        acct_count_free_slot(t, key);
    else
        acct_count_free_big(t, key);
}

/* Our own blocks: what the allocator gives us while acct_tls.busy (libgcc_s loading for
 * backtrace, the monitor thread's start, pthread_setspecific) is remembered here and left out of
 * the program's totals, at allocation and at free, whichever thread frees it. Bounded: when
 * full, further own blocks are counted like the program's. */
extern atomic_int acct_own_n; /* entries in the table */
bool acct_own_add(const void *p);
bool acct_own_remove(const void *p);

/* The size key of a live block of the allocator underneath. For glibc (checked at start-up
 * against malloc_usable_size, see real.c) it is the chunk header next to the block, which the
 * program's own access brings into cache: glibc's malloc_usable_size also reads the next
 * chunk's header, a second cache miss on every call. */
static inline size_t acct_glibc_key(const void *p)
{
    return ((const size_t *)p)[-1];
}
static inline size_t acct_key(void *p)
{
    if (ACCT_LIKELY(acct_glibc_header))
        return acct_glibc_key(p);
    if (acct_je_sized) /* jemalloc: sallocx skips malloc_usable_size's pointer validation */
        return acct_key_of_usable(acct_real.sallocx(p, 0));
    return acct_key_of_usable(acct_real.usable(p));
}
/* The usable size of a live block. */
static inline size_t acct_usable(void *p)
{
    return acct_key_usable(acct_key(p));
}

/* The usable size of a block just allocated for req bytes with jemalloc-style alignment bits
 * lg_align (0: none; -1: unknown, look it up). When malloc is jemalloc (checked at start-up
 * against malloc_usable_size) it is nallocx(req), pure arithmetic on size classes, where
 * malloc_usable_size walks jemalloc's radix tree. */
#define ACCT_JE_SMALL 4096                            /* sizes with a precomputed usable size */
extern uint16_t acct_je_small[ACCT_JE_SMALL / 8 + 1]; /* usable of (i * 8), from nallocx */
/* jemalloc's size classes above ACCT_JE_SMALL: four per doubling, i.e. req rounded up to a
 * quarter of the power of two below it. Used only when acct_je_classes says that start-up
 * found it equal to nallocx on a sweep of sizes up to ACCT_JE_CLASSES_MAX. */
#define ACCT_JE_CLASSES_MAX ((size_t)1 << 40)
static inline size_t acct_je_class_of(size_t req)
{
    unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)(req - 1)); /* 2^k < req */
    size_t delta = (size_t)1 << (k - 2);
    return (req + delta - 1) & ~(delta - 1);
}

/* jemalloc (acct_je_sized): the usable size of a block of req bytes aligned to 2^lg_align,
 * i.e. nallocx(req, lg_align), without calling it for the usual sizes. */
static inline size_t acct_je_usable(size_t req, int lg_align)
{
    if (lg_align <= 3) {
        if (req <= ACCT_JE_SMALL) /* size classes are multiples of 8 */
            return acct_je_small[(req + 7) >> 3];
        if (ACCT_LIKELY(acct_je_classes) && req <= ACCT_JE_CLASSES_MAX)
            return acct_je_class_of(req);
    }
    return acct_real.nallocx(req ? req : 1, lg_align);
}
/* The size key of block p just allocated for req bytes (lg_align as above). */
static inline size_t acct_key_new(void *p, size_t req, int lg_align)
{
    if (ACCT_LIKELY(acct_glibc_header))
        return acct_glibc_key(p);
    if (acct_je_sized && lg_align >= 0)
        return acct_key_of_usable(acct_je_usable(req, lg_align));
    return acct_key(p);
}

/* ---- interpose.c and fastpath.c: the wrappers ---------------------------------------------- */

/* The slow paths (interpose.c) that malloc, calloc and free (fastpath.c) leave for by a tail
 * call. acct_alloc_slow: on_alloc's countdown went below zero (a sample, or the common case is
 * parked); acct_alloc_big: the common case met a size outside the slots; acct_free_slow: the
 * free filter said maybe (also NULL, and every call while parked), or a size outside the
 * slots. The alloc ones count block p (req bytes) and return p; acct_free_slow gives p back. */
void *acct_alloc_slow(void *p, size_t req, int op, size_t align);
void *acct_alloc_big(acct_thread_t *t, void *p, size_t req, size_t key);
void acct_free_slow(void *p);

/* Counts block p of req bytes just allocated, and counts down to the next sample. Returns p.
 * The common case (armed, acct_tls_t) is one subtraction and its test, the key's read and its
 * test, and two adds to the key's slot (malloc and calloc: align 0; the aligned allocators' slack
 * is not glibc's rounding, so they OR it as well); everything else leaves by a tail call, so
 * that the wrappers keep nothing but the request across the real allocator's call. op and
 * align: how it was allocated (FL_TOP_*, the alignment asked for or 0), for the slow path. */
static inline __attribute__((always_inline)) void *acct_on_alloc(void *p, size_t req, int op,
                                                                 size_t align)
{
    acct_tls.left -= (int64_t)req;
    if (ACCT_UNLIKELY(acct_tls.left < 0))
        return acct_alloc_slow(p, req, op, align); /* a sample, or parked */
    acct_thread_t *t = acct_tls.fast;              /* armed: glibc's header is the key */
    size_t key = acct_glibc_key(p);
    if (ACCT_UNLIKELY(!acct_key_in_slot(key)))
        return acct_alloc_big(t, p, req, key);
    if (align == 0)
        acct_count_alloc_slot_glibc(t, req, key);
    else
        acct_count_alloc_slot(t, req, key);
    return p;
}

/* Exact totals now, summed over acct_global and every thread state (taken or free). */
typedef struct acct_totals {
    int64_t requested, usable, blocks;
    int64_t requested_error; /* |requested - true requested| <= this */
    uint64_t allocs, frees, reallocs;
} acct_totals_t;
void acct_totals(acct_totals_t *out);

/* Fork: take (1) or release (0) this file's locks around fork(), so the child inherits them
 * unlocked and its tables consistent. Order: report, sample, counters, trace. */
void acct_counters_forklock(int lock);
void acct_sample_forklock(int lock);
void acct_trace_forklock(int lock);

/* Gives the calling thread's state back at its exit (its counters stay in it, for the next
 * thread that takes it); the thread counts in acct_global from now on. */
void acct_thread_retire(acct_thread_t *t);

/* Creates the thread-exit key; called once by the library's constructor. */
void acct_counters_init(void);

/* ---- sample.c: call sites by Poisson sampling, progressive leak watch ----------------------- */

#define ACCT_MAX_DEPTH 32

extern uint64_t acct_sample_mean; /* 0: sampling off (set once at init) */
extern int acct_sample_backtrace; /* 1: stacks by backtrace(), 0: frame-pointer walk */
extern int acct_sample_auto;      /* switch to backtrace() if frame pointers prove missing */
extern unsigned acct_sample_depth;

/* Draws the next sampling distance for t (exponential with mean acct_sample_mean). */
void acct_sample_reset(acct_thread_t *t);
/* Records block p (req bytes) as a sample of its call site. The caller is t's thread, outside our
 * own code, and its countdown went below zero (armed or parked): the sampler parks the common
 * case while it runs (the countdown moves to t, where it draws the next distance) and leaves it
 * refreshed (armed again when it applies). */
void acct_sample_alloc(acct_thread_t *t, void *p, size_t req);
/* Forgets p if it was sampled (call before the block is given back). */
void acct_sample_free(const void *p);
/* Forgets p in whichever table holds it; true when it was one of our own blocks (then the
 * program's counters must not see it). Call only when acct_filter_maybe(p). */
bool acct_filter_slow(const void *p);
static inline bool acct_forget(const void *p)
{
    return ACCT_UNLIKELY(acct_filter_maybe(p)) && acct_filter_slow(p);
}
/* Marks the library's own text range so stacks start at the program's frame. */
void acct_sample_init(void);

/* A call site as reports see it (a copy). Byte figures are estimates; *_err their 95 % bound. */
typedef struct acct_site_view {
    unsigned id;
    int nframes;
    uintptr_t frames[ACCT_MAX_DEPTH];
    double live_bytes, live_err, live_blocks, blocks_err, alloc_bytes, alloc_err;
    int leaking;             /* the last watch found it growing, with the exact totals (trend.c) */
    int offset;              /* growing, but the process's exact live bytes did not grow */
    double flag_t;           /* when it started leaking */
    double rate, rate_err;   /* growth of live bytes over the last test window, bytes/s */
    double window_s, p_long; /* that window's length, its sign test's p-value */
} acct_site_view_t;

/* Copies the n call sites with the most live bytes into out (sorted). Returns how many. */
int acct_sites_top(acct_site_view_t *out, int n);
/* Leak watch (monitor thread, every interval and at the end): records every site at time t
 * with the process's exact live usable bytes, runs trend.c's test over the second half and the
 * last quarter of the run, and appends "possible leak" / "never mind" events to events_path
 * (if not "") when a site's answer changes. min_growth: the leak threshold. */
void acct_sites_watch(double t, int64_t usable, uint64_t min_growth, const char *events_path);
/* Number of leaking sites and their estimated growth over the test window. */
int acct_sites_flagged(double *bytes);
/* How many leak-watch events there were so far (each changes the report's text). */
unsigned acct_events_count(void);
/* The latest leak events as text ("t=... possible leak ..."), newest last. */
size_t acct_events_text(char *buf, size_t cap);
/* Sampling statistics for the report. */
void acct_sample_stats(uint64_t *samples, uint64_t *dropped, unsigned *nsites);

/* ---- trace.c: --trace mode --------------------------------------------------------------- */

extern int acct_tracing; /* set once at init */
uint64_t acct_now_ns(void);
int acct_trace_open(const char *path); /* 0 or -errno */
void acct_trace_alloc(acct_thread_t *t, int op, const void *p, size_t size, size_t align);
void acct_trace_free(acct_thread_t *t, const void *p, uint64_t t_ns);
void acct_trace_realloc(acct_thread_t *t, const void *old, const void *p, size_t size,
                        uint64_t t_before);
void acct_trace_thread_end(acct_thread_t *t); /* THREAD_END + flush; thread exit */
void acct_trace_close(void);                  /* flushes every buffer; process exit */
void acct_trace_fork_child(void);             /* tracing off in a forked child */
uint64_t acct_trace_dropped(void);            /* events lost (write failures) */

/* ---- stats.c: RSS and the allocator's own figures -------------------------------------------- */

/* Which allocator is underneath, learned once by acct_stats_init(). */
extern char acct_allocator_name[64];
extern char acct_allocator_path[256];
void acct_stats_init(void);
/* Fills f with totals, RSS and whatever the allocator exposes (unknown: -1). */
/* detail: also split glibc's free chunks into holes and held pages with malloc_info (it walks
 * every bin under each arena's lock: for reports, not for every interval). */
void acct_figures_collect(acct_figures_t *f, double t, int detail);
int64_t acct_rss_bytes(void);

/* ---- report.c -------------------------------------------------------------------------------- */

/* Writes the full report (verdict, breakdown, top sites, events) into buf, from the figures f
 * (one snapshot: the report takes no other). Returns its length. */
size_t acct_report_build(char *buf, size_t cap, const acct_figures_t *f, const char *why);
/* The call sites with live sampled blocks (at most max_sites, most live bytes first) with their
 * frames, the input of the driver's exports (collapsed stacks, pprof). Serialised by the caller
 * (report_lock). Returns its length. */
size_t acct_stacks_build(char *buf, size_t cap, int max_sites);
/* "at 0xADDR (MODULE+0xOFF)" for a code address (the form the driver symbolizes); no lookup
 * of names, no allocation (_dl_find_object). */
size_t acct_frame_format(char *buf, size_t cap, uintptr_t addr);

/* ---- monitor.c ---------------------------------------------------------------------------------
 */

extern uint64_t acct_opt[ACCT_OPT_N];
extern int64_t acct_rss_base;
extern double acct_peak_requested;
extern atomic_int acct_report_wanted; /* set by the signal handler and fl_acct_dump() */
double acct_elapsed(void);
/* Builds a report now and writes it to path (NULL: the output directory's next report file, or
 * stderr without one); gives it to the API callback. Returns 0 or -errno. */
int acct_report_now(const char *path, const char *why);
/* The final report, once per process (later calls return at once): when the program calls
 * exit() or returns from main (exit.c), before atexit handlers and static destructors run;
 * failing that from the library's destructor. Any thread but the monitor's. */
void acct_final_report(const char *why);
/* For api.c: fl_acct_dump() and fl_acct_set_report_callback(). */
int acct_api_dump(const char *path);
void acct_api_set_callback(void (*cb)(const char *, size_t, void *), void *arg);

/* ---- fmt.c: text and files, without allocating ------------------------------------------- */

/* snprintf into buf that returns the length written (at most cap - 1), never more. */
size_t acct_fmt(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Writes all of buf to fd (retrying short writes and EINTR). Returns 0 or -errno. */
int acct_write_all(int fd, const char *buf, size_t len);
/* Appends to an existing file, opening and closing it (no descriptor kept between writes). */
void acct_append_file(const char *path, const char *buf, size_t len);
/* Creates or truncates path and writes buf. Returns 0 or -errno. */
int acct_write_file(const char *path, const char *buf, size_t len);
/* Replaces path atomically (writes path.tmp, renames it over path). Returns 0 or -errno. */
int acct_replace_file(const char *path, const char *buf, size_t len);
/* A message on stderr (fd 2), at most 511 bytes. */
void acct_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#pragma GCC visibility pop

#endif /* FLATLINE_ACCT_LIB_H */
