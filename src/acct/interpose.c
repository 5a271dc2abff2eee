/*
 * src/acct/interpose.c: the allocation functions the program calls, but for the common case of
 * malloc, calloc and free (fastpath.c), and every slow path.
 *
 * Each wrapper calls the real function, then counts the block by its size key (counters.c),
 * counts down to the next call-site sample (sample.c) and, in --trace mode, records the event
 * (trace.c). Frees are counted before the block is given back. malloc, calloc and free have a
 * common case (fastpath.c; armed or parked: acct_tls_t) that leaves for the slow paths here by a
 * tail call. Invariants:
 *   - results and errno are exactly the real allocator's: we only look at them;
 *   - the hot path takes no lock and allocates nothing; sampling and tracing are skipped while
 *     acct_tls.busy (our own code is on the stack), counting never is, so totals stay exact;
 *   - blocks from the bootstrap buffer (real.c) are never passed to the real allocator;
 *   - when acct_off is set every wrapper is a plain pass-through (it is never set today: forked
 *     children account for themselves, see monitor.c); malloc, calloc and free learn it in
 *     their slow path (acct_detour parks their common case);
 *   - a thread's sampling countdown is acct_tls.left while its common case is armed and its
 *     state's sample_left while parked (countdown() decrements whichever it is); the sampler
 *     parks the common case while it runs and re-arms it with the next distance.
 * jemalloc's *allocx are exported always: when no jemalloc is underneath they behave as jemalloc
 * documents using the standard functions (so a program probing for mallctl still sees none).
 */
#include "acct_lib.h"

#include <errno.h>
#include <flatline/trace.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* jemalloc's non-standard API (declared here: jemalloc's header is not needed to interpose it) */
void *mallocx(size_t size, int flags);
void *rallocx(void *ptr, size_t size, int flags);
size_t xallocx(void *ptr, size_t size, size_t extra, int flags);
size_t sallocx(const void *ptr, int flags);
void dallocx(void *ptr, int flags);
void sdallocx(void *ptr, size_t size, int flags);

#define MALLOCX_ZERO_FLAG 0x40

/* lg(align) for acct_key_new: 0 for none, -1 when jemalloc's nallocx would not know. */
static inline int lg_of(size_t align)
{
    return align ? (align & (align - 1)) ? -1 : __builtin_ctzll(align) : 0;
}

/* The calling thread, outside our own code with state t (its own), counts down v bytes to its
 * next call-site sample, wherever its countdown is (acct_tls_t), and samples block p when the
 * countdown went below zero. */
static void countdown(acct_thread_t *t, void *p, size_t v)
{
    FL_DEBUG_ASSERT(t == acct_tls.self && acct_tls.busy == 0);
    if (acct_tls.fast == t) { /* armed: the countdown is acct_tls.left */
        acct_tls.left -= (int64_t)v;
        if (ACCT_LIKELY(acct_tls.left >= 0))
            return;
        acct_fast_park(); /* (the sampler resets the countdown in t) */
    } else {
        t->sample_left -= (int64_t)v;
        if (ACCT_LIKELY(t->sample_left >= 0))
            return;
    }
    acct_sample_alloc(t, p, v);
    acct_fast_refresh();
}

/* on_alloc the general way: our own code is on the stack (acct_tls.busy), the thread has no state
 * yet (or no more), the allocator is neither glibc nor a known jemalloc, tracing is on, or
 * accounting is off (acct_detour). Returns p. */
static __attribute__((noinline)) void *on_alloc_general(void *p, size_t req, int op, size_t align)
{
    if (!acct_real_init() || acct_off)
        return p; /* a bootstrap block (malloc and calloc do not test acct_ready), or not counting
                   */
    if (ACCT_UNLIKELY(acct_tls.busy) && acct_own_add(p))
        return p; /* our own block: not the program's */
    size_t key = acct_key_new(p, req, lg_of(align));
    acct_thread_t *t = acct_thread(); /* (acquiring a state may arm the common case) */
    acct_count_alloc(t, req, key);
    if (ACCT_LIKELY(t != NULL) && ACCT_LIKELY(!acct_tls.busy)) {
        countdown(t, p, req);
        if (ACCT_UNLIKELY(acct_tracing))
            acct_trace_alloc(t, op, p, req, align);
    }
    acct_fast_refresh(); /* (acct_detour may have cleared) */
    return p;
}

/* The armed common case crossed its sample point: counts p (glibc's key), then samples it.
 * Returns p. */
static __attribute__((noinline)) void *alloc_sample(acct_thread_t *t, void *p, size_t req)
{
    FL_DEBUG_ASSERT(t == acct_tls.self && acct_tls.left < 0);
    acct_count_alloc(t, req, acct_glibc_key(p));
    acct_sample_alloc(t, p, req); /* (parks and re-arms the common case itself) */
    return p;
}

/* jemalloc's common case crossed its sample point (parked: the countdown is in the state, where
 * the sampler resets it). Returns p. */
static __attribute__((noinline)) void *je_alloc_sample(acct_thread_t *je, void *p, size_t req)
{
    acct_sample_alloc(je, p, req);
    return p;
}

/* Counts block p of req bytes from jemalloc, its size class known (acct_tls.fast_je, checked
 * against nallocx at start-up) and counted in slot `key`, in je's, and counts down. Returns p. */
static inline __attribute__((always_inline)) void *je_count(acct_thread_t *je, void *p, size_t req,
                                                            size_t key)
{
    acct_count_alloc_slot(je, req, key);
    je->sample_left -= (int64_t)req; /* (parked: the countdown is in the state) */
    if (ACCT_UNLIKELY(je->sample_left < 0))
        return je_alloc_sample(je, p, req);
    return p;
}

/* jemalloc's common case above its table (ACCT_JE_SMALL): the four-classes-per-doubling rule. */
static __attribute__((noinline)) void *je_alloc_class(acct_thread_t *je, void *p, size_t req,
                                                      int op)
{
    size_t key = acct_key_of_usable(acct_je_class_of(req));
    if (req > ACCT_JE_CLASSES_MAX || !acct_key_in_slot(key))
        return on_alloc_general(p, req, op, 0);
    return je_count(je, p, req, key);
}

/* acct_on_alloc when its countdown went below zero. Armed (acct_tls.fast set), the sample point
 * of this thread was crossed. Parked: jemalloc's common case (acct_tls.fast_je: the size class
 * from its table, without a call into jemalloc), else on_alloc_general. Only tail calls, so
 * that jemalloc's case needs no frame. */
void *acct_alloc_slow(void *p, size_t req, int op, size_t align)
{
    acct_thread_t *t = acct_tls.fast;
    if (ACCT_UNLIKELY(t != NULL))
        return alloc_sample(t, p, req);
    acct_tls.left = ACCT_LEFT_PARKED; /* (each request moved it down) */
    acct_thread_t *je = acct_tls.fast_je;
    if (ACCT_UNLIKELY(je == NULL || align != 0))
        return on_alloc_general(p, req, op, align);
    if (ACCT_UNLIKELY(req > ACCT_JE_SMALL))
        return je_alloc_class(je, p, req, op);
    /* the table's sizes are multiples of 8 (checked at start-up), below 16 KiB: in a slot */
    return je_count(je, p, req, (size_t)acct_je_small[(req + 7) >> 3] + 8);
}

/* The common case found a size outside the slots: counts it in t's buckets. Returns p. */
void *acct_alloc_big(acct_thread_t *t, void *p, size_t req, size_t key)
{
    acct_count_alloc_big(t, req, key);
    return p;
}

/* Counts a block about to be given back, the general way: our own or a sampled block (the
 * filter said maybe), no thread state, an allocator other than glibc, tracing, accounting off,
 * a size outside the slots. known_key is its size key when the caller knows it (sdallocx),
 * else 0. */
static __attribute__((noinline)) void on_free_slow(void *p, size_t known_key)
{
    if (acct_forget(p) || acct_off)
        return; /* one of our own blocks, or nothing to count */
    size_t key = known_key ? known_key : acct_key(p);
    acct_thread_t *t = acct_thread();
    if (ACCT_UNLIKELY(acct_tracing) && t && !acct_tls.busy)
        acct_trace_free(t, p, acct_now_ns());
    acct_count_free(t, key);
    acct_fast_refresh(); /* (acct_detour may have cleared) */
}

/* free() the general way: NULL, a bootstrap block, the allocator not looked up yet (then only
 * bootstrap blocks exist), or see on_free_slow. */
static __attribute__((noinline)) void free_general(void *p)
{
    if (p == NULL || acct_is_boot(p) || !acct_real_init())
        return; /* never given back */
    on_free_slow(p, 0);
    acct_real.free(p);
}

/* jemalloc's common case, a size outside the slots. */
static __attribute__((noinline)) void je_free_big(acct_thread_t *je, void *p, size_t usable)
{
    acct_count_free_big(je, acct_key_of_usable(usable));
    acct_real.sdallocx(p, usable, 0);
}

/* The armed common case left free() (glibc underneath, thread t's own state, outside our
 * code, nobody tracing): the filter marked p's cell (NULL, or a sampled, own or bootstrap block
 * may lie there) or its size is outside the slots. A sampled block's free, the frequent case
 * here (one block in 13 on rptest), goes straight to the sampled-block table, not through
 * free_general's general checks (255 instructions a sampled free on rptest, 308 that way). */
static __attribute__((noinline)) void free_armed(acct_thread_t *t, void *p)
{
    if (p == NULL || acct_is_boot(p))
        return;          /* never given back */
    if (!acct_forget(p)) /* (else one of our own blocks: not counted) */
        acct_count_free(t, acct_glibc_key(p));
    acct_real.free(p);
}

/* free() outside the common case: the armed case's rarer blocks (free_armed), jemalloc's common
 * case, else free_general. */
void acct_free_slow(void *p)
{
    acct_thread_t *t = acct_tls.fast;
    if (ACCT_LIKELY(t != NULL))
        return free_armed(t, p);
    acct_thread_t *je = acct_tls.fast_je;
    if (ACCT_UNLIKELY(je == NULL) || acct_filter_maybe(p))
        return free_general(p); /* (NULL, bootstrap, own and sampled blocks: behind the filter) */
    /* sallocx is jemalloc's cheapest size lookup; given that size, sdallocx skips the lookup
     * that free would repeat */
    size_t usable = acct_real.sallocx(p, 0);
    size_t key = acct_key_of_usable(usable);
    if (ACCT_UNLIKELY(!acct_key_in_slot(key)))
        return je_free_big(je, p, usable);
    acct_count_free_slot(je, key);
    acct_real.sdallocx(p, usable, 0);
}

/* realloc of a bootstrap block: a new real block with the old contents. */
static void *realloc_boot(void *old, size_t n)
{
    void *p = malloc(n ? n : 1);
    if (p && old) {
        size_t have = acct_boot_size(old);
        memcpy(p, old, have < n ? have : n);
    }
    return p;
}

ACCT_EXPORT void *realloc(void *old, size_t n)
{
    if (ACCT_UNLIKELY(!acct_real_init())) {
        void *p = acct_boot_alloc(n, 16);
        if (p && old && acct_is_boot(old)) {
            size_t have = acct_boot_size(old);
            memcpy(p, old, have < n ? have : n);
        }
        return p;
    }
    if (old && ACCT_UNLIKELY(acct_is_boot(old)))
        return realloc_boot(old, n);
    if (ACCT_UNLIKELY(acct_off))
        return acct_real.realloc(old, n);
    if (old == NULL) {
        void *p = acct_real.realloc(NULL, n);
        if (p)
            acct_on_alloc(p, n, FL_TOP_MALLOC, 0);
        return p;
    }
    if (ACCT_UNLIKELY(acct_filter_maybe(old)) && acct_filter_slow(old)) {
        void *p = acct_real.realloc(old, n); /* our own block stays ours, or is forgotten */
        if (p && !acct_own_add(p))
            acct_on_alloc(p, n, FL_TOP_MALLOC, 0);
        else if (!p && n > 0)
            acct_own_add(old);
        return p;
    }
    size_t k_old = acct_key(old);
    uint64_t t0 = ACCT_UNLIKELY(acct_tracing) ? acct_now_ns() : 0;
    /* (a sampled old block was forgotten above: once given back, its address may be reused) */
    void *p = acct_real.realloc(old, n);
    acct_thread_t *t = acct_thread();
    if (p == NULL) {
        if (n == 0) { /* the allocator freed old (glibc's realloc(p, 0)) */
            acct_count_free(t, k_old);
            if (ACCT_UNLIKELY(acct_tracing) && t && !acct_tls.busy)
                acct_trace_free(t, old, t0);
        }
        return NULL; /* otherwise a failure: old is still live and still counted */
    }
    size_t key = acct_key_new(p, n, 0);
    acct_count_free(t, k_old);
    acct_count_alloc(t, n, key);
    if (t) {
        ACCT_BUMP(t->c.reallocs, 1);
        if (!acct_tls.busy) {
            countdown(t, p, n);
            if (ACCT_UNLIKELY(acct_tracing))
                acct_trace_realloc(t, old, p, n, t0);
        }
    } else {
        __atomic_fetch_add(&acct_global.reallocs, 1, __ATOMIC_RELAXED);
    }
    return p;
}

ACCT_EXPORT void *reallocarray(void *old, size_t n, size_t m)
{
    size_t bytes;
    if (__builtin_mul_overflow(n, m, &bytes)) {
        errno = ENOMEM;
        return NULL;
    }
    return realloc(old, bytes);
}

ACCT_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
    if (ACCT_UNLIKELY(!acct_real_init())) {
        void *p = acct_boot_alloc(n, align);
        if (!p)
            return ENOMEM;
        *out = p;
        return 0;
    }
    int rc = acct_real.posix_memalign(out, align, n);
    if (rc == 0 && *out && !acct_off)
        acct_on_alloc(*out, n, FL_TOP_MEMALIGN, align);
    return rc;
}

static size_t page_size(void)
{
    static size_t page;
    if (!page)
        page = (size_t)sysconf(_SC_PAGESIZE);
    return page;
}

/* The aligned allocators: fn is the real function (NULL: memalign with align). */
static void *aligned(void *(*fn)(size_t, size_t), size_t align, size_t n, size_t counted)
{
    if (ACCT_UNLIKELY(!acct_real_init()))
        return acct_boot_alloc(counted, align);
    void *p = fn ? fn(align, n) : acct_real.memalign(align, counted);
    if (p && !acct_off)
        acct_on_alloc(p, counted, FL_TOP_MEMALIGN, align);
    return p;
}

ACCT_EXPORT void *aligned_alloc(size_t align, size_t n)
{
    return aligned(acct_real_init() ? acct_real.aligned_alloc : NULL, align, n, n);
}

ACCT_EXPORT void *memalign(size_t align, size_t n)
{
    return aligned(NULL, align, n, n);
}

static void *valloc_real(size_t align, size_t n)
{
    (void)align;
    return acct_real.valloc(n);
}

static void *pvalloc_real(size_t align, size_t n)
{
    (void)align;
    return acct_real.pvalloc(n);
}

ACCT_EXPORT void *valloc(size_t n)
{
    return aligned(acct_real_init() && acct_real.valloc ? valloc_real : NULL, page_size(), n, n);
}

ACCT_EXPORT void *pvalloc(size_t n)
{
    size_t pg = page_size(), rounded = n ? (n + pg - 1) & ~(pg - 1) : pg;
    if (rounded < n) {
        errno = ENOMEM;
        return NULL;
    }
    return aligned(acct_real_init() && acct_real.pvalloc ? pvalloc_real : NULL, pg, n, rounded);
}

ACCT_EXPORT size_t malloc_usable_size(void *p)
{
    if (p == NULL)
        return 0;
    if (acct_is_boot(p))
        return acct_boot_size(p);
    if (!acct_real_init())
        return 0;
    return acct_real.usable(p);
}

/* ---- jemalloc's non-standard API ---------------------------------------------------------- */

static size_t flags_align(int flags)
{
    return (flags & 0x3f) ? (size_t)1 << (flags & 0x3f) : 0;
}

ACCT_EXPORT void *mallocx(size_t n, int flags)
{
    if (!acct_real_init())
        return acct_boot_alloc(n, flags_align(flags));
    size_t align = flags_align(flags);
    if (!acct_real.mallocx) { /* no jemalloc underneath: same contract, standard calls */
        void *p = NULL;
        if (align ? posix_memalign(&p, align < sizeof(void *) ? sizeof(void *) : align, n) != 0
                  : (p = malloc(n)) == NULL)
            return NULL;
        if (flags & MALLOCX_ZERO_FLAG)
            memset(p, 0, n);
        return p;
    }
    void *p = acct_real.mallocx(n, flags);
    if (p && !acct_off)
        acct_on_alloc(p, n,
                      align                         ? FL_TOP_MEMALIGN
                      : (flags & MALLOCX_ZERO_FLAG) ? FL_TOP_CALLOC
                                                    : FL_TOP_MALLOC,
                      align);
    return p;
}

ACCT_EXPORT void *rallocx(void *old, size_t n, int flags)
{
    if (!acct_real_init() || !acct_real.rallocx || acct_is_boot(old)) {
        size_t before = malloc_usable_size(old);
        void *p = realloc(old, n);
        if (p && (flags & MALLOCX_ZERO_FLAG) && n > before)
            memset((char *)p + before, 0, n - before);
        return p;
    }
    if (acct_off)
        return acct_real.rallocx(old, n, flags);
    size_t k_old = acct_key(old);
    uint64_t t0 = ACCT_UNLIKELY(acct_tracing) ? acct_now_ns() : 0;
    acct_forget(old); /* our own blocks are never passed to rallocx */
    void *p = acct_real.rallocx(old, n, flags);
    if (!p)
        return NULL;
    acct_thread_t *t = acct_thread();
    acct_count_free(t, k_old);
    acct_count_alloc(t, n, acct_key_new(p, n, lg_of(flags_align(flags))));
    if (t && !acct_tls.busy) {
        ACCT_BUMP(t->c.reallocs, 1);
        countdown(t, p, n);
        if (ACCT_UNLIKELY(acct_tracing))
            acct_trace_realloc(t, old, p, n, t0);
    }
    return p;
}

ACCT_EXPORT size_t xallocx(void *p, size_t size, size_t extra, int flags)
{
    if (!acct_real_init() || !acct_real.xallocx || acct_is_boot(p))
        return malloc_usable_size(p); /* cannot resize in place: report the current size */
    if (acct_off)
        return acct_real.xallocx(p, size, extra, flags);
    size_t k_old = acct_key(p);
    uint64_t t0 = ACCT_UNLIKELY(acct_tracing) ? acct_now_ns() : 0;
    size_t r = acct_real.xallocx(p, size, extra, flags);
    if (r != acct_key_usable(k_old)) {
        acct_thread_t *t = acct_thread();
        acct_count_free(t, k_old);
        acct_count_alloc(t, size < r ? size : r, acct_key_of_usable(r));
        if (t && !acct_tls.busy && ACCT_UNLIKELY(acct_tracing))
            acct_trace_realloc(t, p, p, size < r ? size : r, t0);
    }
    return r;
}

ACCT_EXPORT size_t sallocx(const void *p, int flags)
{
    if (acct_is_boot(p))
        return acct_boot_size(p);
    if (!acct_real_init())
        return 0;
    return acct_real.sallocx ? acct_real.sallocx(p, flags) : acct_usable((void *)p);
}

ACCT_EXPORT void dallocx(void *p, int flags)
{
    if (acct_is_boot(p))
        return;
    if (!acct_real_init() || !acct_real.dallocx) {
        free(p);
        return;
    }
    on_free_slow(p, 0); /* (no jemalloc call is cheap enough to be worth a fast path) */
    acct_real.dallocx(p, flags);
}

ACCT_EXPORT void sdallocx(void *p, size_t size, int flags)
{
    if (acct_is_boot(p))
        return;
    if (!acct_real_init() || !acct_real.sdallocx) {
        free(p);
        return;
    }
    /* jemalloc: the size given is within the block's size class */
    on_free_slow(p, acct_je_sized ? acct_key_of_usable(acct_je_usable(size, flags & 0x3f)) : 0);
    acct_real.sdallocx(p, size, flags);
}
