/*
 * src/mem/adopt.c: what existing code needs to adopt lifecycle arenas without being rewritten:
 * the unsized allocation family (free without the size, as free() does) and scoped bindings that
 * route a thread's plain malloc/free into a shared arena.
 *
 * Unsized blocks are sized blocks whose "requested" size is their usable size (nallocx at
 * allocation, sallocx at free): the sized fast path (front cache, explicit tcache, exact
 * counters) serves them unchanged, and the counters stay exact in usable bytes. The arena is
 * marked inexact, so its statistics say requested_known = false.
 *
 * A binding writes jemalloc's thread.arena (what plain malloc uses) and restores the previous
 * value at unbind. jemalloc's automatic thread cache is per thread, not per arena, so the cache
 * is flushed at both ends (FL_BIND_EXACT: disabled for the region, thread.tcache.enabled).
 * Invariant: between bind and unbind the calling thread's plain allocations come from the bound
 * arena only; asserted at debug level by asking jemalloc which arena each new block belongs to
 * is too costly, so tests/mem/test_mem_adopt.c checks it instead.
 */
#include <errno.h>
#include <stdbool.h>

#include <jemalloc/jemalloc.h>

#include "fl_assert.h"
#include "mem_internal.h"

void *fl_arena_malloc(fl_arena_t *arena, size_t size)
{
    if (arena == NULL || size == 0)
        return NULL;
    size_t usable = nallocx(size, 0);
    if (usable == 0)
        return NULL; /* size past jemalloc's largest class */
    flm_arena_mark_inexact(arena, FLM_INEXACT_UNSIZED);
    return fl_arena_alloc(arena, usable);
}

void *fl_arena_realloc_unsized(fl_arena_t *arena, void *ptr, size_t new_size)
{
    if (ptr == NULL)
        return fl_arena_malloc(arena, new_size);
    if (arena == NULL || new_size == 0)
        return NULL;
    size_t usable = nallocx(new_size, 0);
    if (usable == 0)
        return NULL;
    flm_arena_mark_inexact(arena, FLM_INEXACT_UNSIZED);
    return fl_arena_realloc(arena, ptr, sallocx(ptr, 0), usable);
}

void fl_arena_free_unsized(fl_arena_t *arena, void *ptr)
{
    if (ptr == NULL || arena == NULL)
        return;
    fl_arena_free(arena, ptr, sallocx(ptr, 0));
}

void fl_mem_free_direct(void *ptr)
{
    if (ptr != NULL)
        dallocx(ptr, MALLOCX_TCACHE_NONE);
}

int fl_thread_bind_arena(fl_arena_t *arena, unsigned flags, fl_arena_binding_t *b)
{
    if (arena == NULL || b == NULL || (flags & ~FL_BIND_EXACT) != 0)
        return -EINVAL;
    if (!fl_mem_malloc_is_jemalloc())
        return -ENOSYS;
    b->active = false;
    b->flags = flags;
    /* Blocks cached from before must not be handed out inside the region. (It fails only when
     * the thread has no cache, e.g. inside an FL_BIND_EXACT binding: nothing to flush then.) */
    (void)flm_ctl_run("thread.tcache.flush");
    if (flags & FL_BIND_EXACT) {
        bool off = false;
        size_t sz = sizeof(b->prev_tcache);
        int e = flm_ctl_swap("thread.tcache.enabled", &b->prev_tcache, sz, &off, sizeof(off));
        if (e != 0)
            return e;
    }
    unsigned idx = fl_arena_index(arena);
    size_t sz = sizeof(b->prev_arena);
    int e = flm_ctl_swap("thread.arena", &b->prev_arena, sz, &idx, sizeof(idx));
    if (e != 0) {
        if (flags & FL_BIND_EXACT)
            (void)flm_ctl_write("thread.tcache.enabled", &b->prev_tcache, sizeof(b->prev_tcache));
        return e;
    }
    flm_arena_mark_inexact(arena, FLM_INEXACT_BOUND);
    b->active = true;
    return 0;
}

void fl_thread_unbind_arena(fl_arena_binding_t *b)
{
    if (b == NULL || !b->active)
        return;
    /* Blocks the region freed into the cache belong to the bound arena (or, without
     * FL_BIND_EXACT, to arenas the region freed from): they must not serve the code after it. */
    (void)flm_ctl_run("thread.tcache.flush");
    int rc = flm_ctl_write("thread.arena", &b->prev_arena, sizeof(b->prev_arena));
    FL_ASSERT(rc == 0); /* the index was the thread's own a moment ago: it cannot be invalid */
    if (b->flags & FL_BIND_EXACT)
        (void)flm_ctl_write("thread.tcache.enabled", &b->prev_tcache, sizeof(b->prev_tcache));
    b->active = false;
}
