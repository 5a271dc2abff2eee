/*
 * src/mem/arena.c: shared arenas (persistent objects): creation and destruction, allocation
 * through one explicit jemalloc tcache per (thread, arena), and exact "requested" accounting.
 *
 * Why explicit tcaches: jemalloc's automatic tcache is per thread, not per arena, so a block
 * freed from arena A sits in the thread's cache and may be handed out by
 * mallocx(MALLOCX_ARENA(B)). Every shared-arena call therefore passes MALLOCX_TCACHE(id) with a
 * tcache that only ever sees arena A's blocks (or MALLOCX_TCACHE_NONE when none could be made).
 * In front of that tcache sits a small per-pair front cache of blocks <= 4 KiB (front.h), because
 * jemalloc's entry points with flags cost about twice malloc/free; it too holds only A's blocks.
 *
 * Data and synchronization
 *   g_mtx protects: g_slots[] (live arenas by slot), g_threads (list of threads that own
 *   tcaches), g_next_gen, every write of a tc_entry's `gen` and `tcache`, and the fold of a
 *   thread's counter into an arena's `spill`.
 *   Each thread owns t_self.tc[slot] = { gen, tcache, requested } for the arena in that slot:
 *     - gen != 0 means `tcache` is a live explicit tcache made by this thread for the arena
 *       whose (immutable) gen equals it. The fast path reads gen and tcache without the lock
 *       (relaxed atomics): they change only under g_mtx, by the owner (create, release, exit)
 *       or by fl_arena_destroy, and destroy's contract says no thread uses the arena meanwhile.
 *       A slot reused by a new arena has a new gen, so a stale entry never matches it.
 *       `fc` (front cache) is set with gen and used by the owner only; destroy frees it.
 *     - requested is written only by the owner (relaxed load + store: no locked instruction on
 *       the fast path) and read by anyone (relaxed). A cross-thread free makes the freeing
 *       thread's counter negative; the sum over threads is exact once the threads are quiescent.
 *   fl_arena.spill (atomic) collects counters of threads that released their tcaches or exited,
 *   and the deltas of calls made without a tcache.
 *   requested(arena) = spill + sum over registered threads of tc[slot].requested where
 *   tc[slot].gen == arena.gen, summed under g_mtx.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "fl_assert.h"
#include "front.h"
#include "mem_internal.h"

struct fl_arena {
    unsigned index;           /* jemalloc arena index; immutable */
    unsigned slot;            /* index in g_slots and in every thread's tc[]; immutable */
    uint64_t gen;             /* unique, never 0; immutable */
    char name[FLM_NAME_MAX];  /* immutable */
    _Atomic int64_t spill;    /* see above */
    _Atomic unsigned inexact; /* FLM_INEXACT_* bits (adopt.c): requested is partly counted at
                               * usable or allocated size; bits are set, never cleared */
};

struct tc_entry {
    _Atomic uint64_t gen;
    _Atomic unsigned tcache;
    _Atomic int64_t requested;
    struct flm_front *fc; /* front cache or NULL; set with gen, used by the owner (front.h) */
};

struct thread_tcaches {
    struct tc_entry tc[FLM_MAX_SHARED];
    struct thread_tcaches *next, *prev; /* g_threads list; g_mtx */
    bool linked;                        /* on g_threads; g_mtx (read by owner unlocked) */
};

static pthread_mutex_t g_mtx = PTHREAD_MUTEX_INITIALIZER;
static fl_arena_t *g_slots[FLM_MAX_SHARED]; /* g_mtx */
static struct thread_tcaches *g_threads;    /* g_mtx */
static uint64_t g_next_gen = 1;             /* g_mtx */
/* initial-exec: the library is static and PIC; the default model would call __tls_get_addr on
 * every allocation. */
static _Thread_local struct thread_tcaches t_self __attribute__((tls_model("initial-exec")));
/* Whether the calling thread holds g_mtx, what the *_locked functions assert (kept in debug
 * builds only; always false otherwise, and never read there). */
static _Thread_local bool t_holds_g_mtx;

static void g_lock(void)
{
    pthread_mutex_lock(&g_mtx);
    FL_DEBUG_ONLY(t_holds_g_mtx = true;)
}

static void g_unlock(void)
{
    FL_DEBUG_ONLY(t_holds_g_mtx = false;)
    pthread_mutex_unlock(&g_mtx);
}

/* ---- tcache registry ---- */

static void destroy_tcache(unsigned id)
{
    (void)flm_ctl_write("tcache.destroy", &id, sizeof(id));
}

/* Slow path: make this thread's tcache for `a`. NULL when jemalloc cannot (the caller then
 * uses MALLOCX_TCACHE_NONE). */
static struct tc_entry *tc_create(fl_arena_t *a)
{
    struct tc_entry *e = &t_self.tc[a->slot];
    unsigned id;
    if (flm_ctl_read("tcache.create", &id, sizeof(id)) != 0)
        return NULL;
    if (flm_thread_register() != 0) {
        destroy_tcache(id);
        return NULL;
    }
    struct flm_front *fc = flm_front_new(); /* NULL: work without one */
    g_lock();
    if (!t_self.linked) {
        t_self.next = g_threads;
        t_self.prev = NULL;
        if (g_threads)
            g_threads->prev = &t_self;
        g_threads = &t_self;
        t_self.linked = true;
    }
    atomic_store_explicit(&e->tcache, id, memory_order_relaxed);
    atomic_store_explicit(&e->requested, 0, memory_order_relaxed);
    e->fc = fc;
    atomic_store_explicit(&e->gen, a->gen, memory_order_relaxed);
    g_unlock();
    return e;
}

static inline struct tc_entry *tc_get(fl_arena_t *a)
{
    struct tc_entry *e = &t_self.tc[a->slot];
    if (FLM_LIKELY(atomic_load_explicit(&e->gen, memory_order_relaxed) == a->gen))
        return e;
    return tc_create(a);
}

static inline int tc_flags(const struct tc_entry *e)
{
    return e ? MALLOCX_TCACHE(atomic_load_explicit(&e->tcache, memory_order_relaxed))
             : MALLOCX_TCACHE_NONE;
}

static inline void account(fl_arena_t *a, struct tc_entry *e, int64_t delta)
{
    if (FLM_LIKELY(e != NULL)) {
        int64_t v = atomic_load_explicit(&e->requested, memory_order_relaxed);
        atomic_store_explicit(&e->requested, v + delta, memory_order_relaxed);
    } else {
        atomic_fetch_add_explicit(&a->spill, delta, memory_order_relaxed);
    }
}

/* Destroys every live tcache of thread `t` (caller holds g_mtx), folding its counters. */
static void release_thread_locked(struct thread_tcaches *t)
{
    FL_DEBUG_ASSERT(t_holds_g_mtx);
    for (unsigned s = 0; s < FLM_MAX_SHARED; s++) {
        struct tc_entry *e = &t->tc[s];
        uint64_t gen = atomic_load_explicit(&e->gen, memory_order_relaxed);
        if (gen == 0)
            continue;
        fl_arena_t *a = g_slots[s];
        if (a != NULL && a->gen == gen)
            atomic_fetch_add_explicit(&a->spill,
                                      atomic_load_explicit(&e->requested, memory_order_relaxed),
                                      memory_order_relaxed);
        unsigned id = atomic_load_explicit(&e->tcache, memory_order_relaxed);
        flm_front_flush_free(e->fc, MALLOCX_TCACHE(id)); /* t is the caller's own state */
        e->fc = NULL;
        destroy_tcache(id);
        atomic_store_explicit(&e->gen, 0, memory_order_relaxed);
    }
}

void fl_thread_release_tcaches(void)
{
    g_lock();
    if (t_self.linked)
        release_thread_locked(&t_self);
    g_unlock();
}

void flm_arena_thread_exit(void)
{
    g_lock();
    if (t_self.linked) {
        release_thread_locked(&t_self);
        if (t_self.prev)
            t_self.prev->next = t_self.next;
        else
            g_threads = t_self.next;
        if (t_self.next)
            t_self.next->prev = t_self.prev;
        t_self.linked = false;
    }
    g_unlock();
}

/* ---- arena lifecycle ---- */

static bool decay_valid(ssize_t ms)
{
    return ms == FL_DECAY_DEFAULT || ms >= -1;
}

int fl_arena_create(fl_arena_t **out, const char *name, const fl_arena_opts_t *opts)
{
    if (out == NULL || name == NULL || strlen(name) >= FLM_NAME_MAX)
        return -EINVAL;
    if (opts && (!decay_valid(opts->dirty_decay_ms) || !decay_valid(opts->muzzy_decay_ms)))
        return -EINVAL;
    fl_arena_t *a = calloc(1, sizeof(*a));
    if (a == NULL)
        return -ENOMEM;
    strcpy(a->name, name);

    unsigned index;
    int rc = flm_ctl_read("arenas.create", &index, sizeof(index));
    if (rc != 0) {
        free(a);
        return rc == -EAGAIN || rc == -EFAULT ? -ENOMEM : rc;
    }
    a->index = index;
    if (opts) {
        rc = fl_arena_set_decay(a, opts->dirty_decay_ms, opts->muzzy_decay_ms);
        if (rc != 0)
            goto fail_destroy;
    }

    g_lock();
    unsigned slot = FLM_MAX_SHARED;
    for (unsigned s = 0; s < FLM_MAX_SHARED; s++) {
        if (g_slots[s] == NULL) {
            slot = s;
            break;
        }
    }
    if (slot == FLM_MAX_SHARED) {
        g_unlock();
        rc = -ENOMEM;
        goto fail_destroy;
    }
    a->slot = slot;
    a->gen = g_next_gen++;
    FL_ASSERT(a->gen != 0); /* 0 marks a dead tcache entry; 2^64 creations never happen */
    g_slots[slot] = a;
    g_unlock();
    *out = a;
    return 0;

fail_destroy : {
    char ctl[48];
    snprintf(ctl, sizeof(ctl), "arena.%u.destroy", index);
    (void)flm_ctl_run(ctl);
    free(a);
    return rc;
}
}

void fl_arena_destroy(fl_arena_t *a)
{
    if (a == NULL)
        return;
    g_lock();
    /* Every thread's tcache for this arena holds blocks of it: destroy (which flushes) them
     * all before the arena goes. Their owners do not use the arena any more (contract); the
     * cleared gen tells them the entry is dead if the slot is reused. */
    for (struct thread_tcaches *t = g_threads; t != NULL; t = t->next) {
        struct tc_entry *e = &t->tc[a->slot];
        if (atomic_load_explicit(&e->gen, memory_order_relaxed) != a->gen)
            continue;
        free(e->fc); /* its blocks are discarded with the arena */
        e->fc = NULL;
        destroy_tcache(atomic_load_explicit(&e->tcache, memory_order_relaxed));
        atomic_store_explicit(&e->gen, 0, memory_order_relaxed);
    }
    FL_ASSERT(g_slots[a->slot] == a); /* destroyed once, and only a live arena */
    g_slots[a->slot] = NULL;
    g_unlock();
    /* Plain free() of bound-malloc blocks (adopt.c) parks them in the freeing thread's automatic
     * cache; jemalloc requires those caches flushed before the arena goes. The caller's own is
     * flushed here; other threads' are the contract of fl_thread_bind_arena. */
    if (atomic_load_explicit(&a->inexact, memory_order_relaxed) & FLM_INEXACT_BOUND)
        (void)flm_ctl_run("thread.tcache.flush");

    char ctl[48];
    snprintf(ctl, sizeof(ctl), "arena.%u.destroy", a->index);
    (void)flm_ctl_run(ctl);
    free(a);
}

const char *fl_arena_name(const fl_arena_t *a)
{
    return a ? a->name : "";
}

unsigned fl_arena_index(const fl_arena_t *a)
{
    return a ? a->index : 0;
}

/* ---- allocation ---- */

/* Debug builds, before a block leaves the caller (free, realloc, move): it belongs to arena a
 * (a block of another arena would land in a's tcache or front cache and be handed out for a:
 * the isolation this layer exists for), and `size` is the one it was requested with (its size
 * class matches the block's). Two mallctl-level lookups: too slow for release builds. */
static bool block_belongs(const fl_arena_t *a, const void *ptr, size_t size)
{
    unsigned owner;
    if (flm_ctl_arena_of(ptr, &owner) != 0)
        return false;
    return owner == a->index && nallocx(size, 0) == sallocx(ptr, 0);
}

void *fl_arena_alloc(fl_arena_t *a, size_t size)
{
    if (FLM_UNLIKELY(a == NULL || size == 0 || size > (size_t)INT64_MAX))
        return NULL;
    if (FLM_UNLIKELY(flm_should_fail()))
        return NULL;
    struct tc_entry *e = tc_get(a);
    void *p = NULL;
    if (FLM_LIKELY(e != NULL && e->fc != NULL && size <= FLM_FRONT_MAX))
        p = flm_front_pop(e->fc, size);
    if (p == NULL)
        p = mallocx(size, (int)MALLOCX_ARENA(a->index) | tc_flags(e));
    if (FLM_LIKELY(p != NULL))
        account(a, e, (int64_t)size);
    return p;
}

void *fl_arena_calloc(fl_arena_t *a, size_t count, size_t size)
{
    size_t total;
    if (a == NULL || __builtin_mul_overflow(count, size, &total) || total == 0 ||
        total > (size_t)INT64_MAX)
        return NULL;
    if (flm_should_fail())
        return NULL;
    struct tc_entry *e = tc_get(a);
    void *p = NULL;
    if (e != NULL && e->fc != NULL && total <= FLM_FRONT_MAX)
        p = flm_front_pop(e->fc, total);
    if (p != NULL)
        memset(p, 0, total);
    else
        p = mallocx(total, (int)MALLOCX_ARENA(a->index) | MALLOCX_ZERO | tc_flags(e));
    if (p != NULL)
        account(a, e, (int64_t)total);
    return p;
}

void *fl_arena_realloc(fl_arena_t *a, void *ptr, size_t old_size, size_t new_size)
{
    if (ptr == NULL)
        return fl_arena_alloc(a, new_size);
    if (a == NULL || new_size == 0 || new_size > (size_t)INT64_MAX)
        return NULL;
    if (flm_should_fail())
        return NULL;
    FL_DEBUG_ASSERT(block_belongs(a, ptr, old_size));
    struct tc_entry *e = tc_get(a);
    void *p = rallocx(ptr, new_size, (int)MALLOCX_ARENA(a->index) | tc_flags(e));
    if (p != NULL)
        account(a, e, (int64_t)new_size - (int64_t)old_size);
    return p;
}

void fl_arena_free(fl_arena_t *a, void *ptr, size_t size)
{
    if (ptr == NULL || a == NULL)
        return;
    FL_DEBUG_ASSERT(block_belongs(a, ptr, size));
    struct tc_entry *e = tc_get(a);
    if (FLM_LIKELY(e != NULL && e->fc != NULL && size <= FLM_FRONT_MAX))
        flm_front_push(e->fc, size, ptr, tc_flags(e));
    else
        sdallocx(ptr, size, tc_flags(e));
    account(a, e, -(int64_t)size);
}

/* The uncached pair: the block comes from (and returns to) the arena's bins directly, never a
 * front cache or tcache, so a freed block cannot keep a slab alive from a cache; the
 * accounting is the cached calls'. */
void *fl_arena_alloc_uncached(fl_arena_t *a, size_t size)
{
    if (FLM_UNLIKELY(a == NULL || size == 0 || size > (size_t)INT64_MAX))
        return NULL;
    if (FLM_UNLIKELY(flm_should_fail()))
        return NULL;
    void *p = mallocx(size, (int)MALLOCX_ARENA(a->index) | MALLOCX_TCACHE_NONE);
    if (p != NULL)
        account(a, tc_get(a), (int64_t)size);
    return p;
}

void fl_arena_free_uncached(fl_arena_t *a, void *ptr, size_t size)
{
    if (ptr == NULL || a == NULL)
        return;
    FL_DEBUG_ASSERT(block_belongs(a, ptr, size));
    sdallocx(ptr, size, MALLOCX_TCACHE_NONE);
    account(a, tc_get(a), -(int64_t)size);
}

size_t fl_mem_usable_size(const void *ptr)
{
    return ptr ? sallocx(ptr, 0) : 0;
}

size_t fl_mem_size_class(size_t size)
{
    return size ? nallocx(size, 0) : 0;
}

/* For the defragmenter (see move.c for the hints): both the new allocation and the free
 * bypass every cache, so the new block comes from the arena's current slab; requested is
 * unchanged. */
void *fl_arena_move(fl_arena_t *a, void *ptr, size_t size)
{
    if (a == NULL || ptr == NULL || size == 0)
        return NULL;
    if (flm_should_fail())
        return NULL;
    FL_DEBUG_ASSERT(block_belongs(a, ptr, size));
    void *p = mallocx(size, (int)MALLOCX_ARENA(a->index) | MALLOCX_TCACHE_NONE);
    if (p == NULL)
        return NULL;
    memcpy(p, ptr, size);
    sdallocx(ptr, size, MALLOCX_TCACHE_NONE);
    return p;
}

void flm_arena_mark_inexact(fl_arena_t *a, unsigned why)
{
    if ((atomic_load_explicit(&a->inexact, memory_order_relaxed) & why) != why)
        atomic_fetch_or_explicit(&a->inexact, why, memory_order_relaxed);
}

unsigned flm_arena_inexact(const fl_arena_t *a)
{
    return atomic_load_explicit(&((fl_arena_t *)a)->inexact, memory_order_relaxed);
}

/* ---- accounting readers ---- */

static int64_t requested_locked(const fl_arena_t *a)
{
    FL_DEBUG_ASSERT(t_holds_g_mtx);
    int64_t sum = atomic_load_explicit(&((fl_arena_t *)a)->spill, memory_order_relaxed);
    for (struct thread_tcaches *t = g_threads; t != NULL; t = t->next) {
        struct tc_entry *e = &t->tc[a->slot];
        if (atomic_load_explicit(&e->gen, memory_order_relaxed) == a->gen)
            sum += atomic_load_explicit(&e->requested, memory_order_relaxed);
    }
    return sum;
}

int64_t flm_arena_requested(fl_arena_t *a)
{
    g_lock();
    int64_t r = requested_locked(a);
    g_unlock();
    return r;
}

size_t flm_shared_arenas_snapshot(unsigned *idx, int64_t *requested, size_t max)
{
    size_t n = 0;
    g_lock();
    for (unsigned s = 0; s < FLM_MAX_SHARED; s++) {
        fl_arena_t *a = g_slots[s];
        if (a == NULL)
            continue;
        if (n < max) {
            idx[n] = a->index;
            requested[n] = requested_locked(a);
        }
        n++;
    }
    g_unlock();
    return n;
}
