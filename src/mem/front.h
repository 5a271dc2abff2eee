/*
 * src/mem/front.h: the front cache of one (thread, shared arena) pair: a small LIFO stack of
 * free blocks per small size class (<= FLM_FRONT_MAX bytes) in front of the pair's explicit
 * jemalloc tcache.
 *
 * Why: on stock jemalloc 5.3.0 mallocx/sdallocx with flags take the slow entry points (about
 * twice the cost of malloc/free); a pop or push here costs a few instructions. Blocks in a
 * front cache belong to the pair's arena only, so arena isolation holds; jemalloc counts them
 * as allocated, like blocks in a tcache.
 *
 * Ownership: a front cache is used only by the thread that owns the pair (no lock). It is
 * flushed (blocks freed to the tcache) by that thread on release or exit; fl_arena_destroy
 * discards it from another thread, which the destroy contract makes safe (no thread uses the
 * arena meanwhile), and the arena's destruction frees the blocks.
 */
#ifndef FLATLINE_MEM_FRONT_H
#define FLATLINE_MEM_FRONT_H

#include <stddef.h>
#include <stdint.h>

#include "fl_assert.h"
#include "mem_internal.h"

#define FLM_FRONT_MAX 4096   /* largest request size served by the front cache */
#define FLM_FRONT_CLASSES 48 /* upper bound of size classes <= FLM_FRONT_MAX */

/* Immutable after flm_front_init(): size -> class, and each class's slice of blk[]. */
extern uint8_t flm_front_cls[FLM_FRONT_MAX + 1];
extern uint16_t flm_front_cap[FLM_FRONT_CLASSES];
extern uint16_t flm_front_base[FLM_FRONT_CLASSES];

struct flm_front {
    uint16_t n[FLM_FRONT_CLASSES]; /* blocks cached per class */
    void *blk[];                   /* class c uses blk[base[c] .. base[c] + cap[c]) */
};

/* Builds the class tables once (pthread_once). Returns 0 or -errno. */
int flm_front_init(void);

/* A new, empty front cache (plain calloc); NULL when out of memory (then none is used). */
struct flm_front *flm_front_new(void);

/* Frees every cached block into `tcache_flags`' cache (owner only), then the structure. */
void flm_front_flush_free(struct flm_front *f, int tcache_flags);

/* Makes room in class c by freeing its older half (owner only). */
void flm_front_spill(struct flm_front *f, unsigned c, int tcache_flags);

static inline void *flm_front_pop(struct flm_front *f, size_t size)
{
    FL_DEBUG_ASSERT(size <= FLM_FRONT_MAX);
    unsigned c = flm_front_cls[size];
    if (FLM_UNLIKELY(f->n[c] == 0))
        return NULL;
    return f->blk[flm_front_base[c] + --f->n[c]];
}

static inline void flm_front_push(struct flm_front *f, size_t size, void *p, int tcache_flags)
{
    FL_DEBUG_ASSERT(size <= FLM_FRONT_MAX);
    unsigned c = flm_front_cls[size];
    if (FLM_UNLIKELY(f->n[c] == flm_front_cap[c]))
        flm_front_spill(f, c, tcache_flags);
    FL_DEBUG_ASSERT(f->n[c] < flm_front_cap[c]); /* a class never overflows into the next */
    f->blk[flm_front_base[c] + f->n[c]++] = p;
}

#endif
