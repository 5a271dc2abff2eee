/*
 * src/mem/mem_internal.h: internals shared by the files of the memory layer (prefix flm_).
 *
 * Nothing here is public: include/flatline/mem.h is the contract. Each file of the layer owns
 * one responsibility (see its opening comment); this header only declares what crosses files.
 */
#ifndef FLATLINE_MEM_INTERNAL_H
#define FLATLINE_MEM_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flatline/mem.h"

/* Upper bounds of the layer's fixed tables. jemalloc itself caps arenas at 4095 and explicit
 * tcaches at 4096 (all threads together). */
#define FLM_MAX_SHARED 256  /* live shared arenas at once (slots are reused after destroy) */
#define FLM_MAX_PRIVATE 256 /* private arenas ever created (pooled, never destroyed) */
#define FLM_NAME_MAX 64     /* arena name buffer, NUL included */

#define FLM_LIKELY(x) __builtin_expect(!!(x), 1)
#define FLM_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- thread.c: one pthread key whose destructor runs the per-thread exit hooks ---- */

/* Makes sure the calling thread's exit runs flm_arena_thread_exit and flm_private_thread_exit.
 * Returns 0 or -errno. */
int flm_thread_register(void);

/* ---- arena.c: shared arenas, explicit tcaches, requested counters ---- */

/* Exit hook: destroys the calling thread's explicit tcaches and folds its counters. */
void flm_arena_thread_exit(void);

/* A consistent list of the live shared arenas: fills idx[i] / requested[i] for up to max
 * arenas and returns how many there are (may exceed max; only max are filled). */
size_t flm_shared_arenas_snapshot(unsigned *idx, int64_t *requested, size_t max);

/* Exact requested bytes of one arena (sum of every thread's counter). */
int64_t flm_arena_requested(fl_arena_t *arena);

/* The arena served blocks whose requested size this layer does not know (adopt.c): its
 * statistics report requested_known = false from then on. Any thread; relaxed.
 *   FLM_INEXACT_UNSIZED  unsized blocks, counted at their usable size (counters stay exact)
 *   FLM_INEXACT_BOUND    plain malloc in a binding: blocks this layer never sees */
#define FLM_INEXACT_UNSIZED 0x1u
#define FLM_INEXACT_BOUND 0x2u
void flm_arena_mark_inexact(fl_arena_t *arena, unsigned why);
unsigned flm_arena_inexact(const fl_arena_t *arena);

/* ---- private.c: pool of thread-private arenas ---- */

/* Exit hook: gives the calling thread's private arena back to the pool. */
void flm_private_thread_exit(void);

/* Indices of every private arena ever created (bound or pooled); returns the count. */
size_t flm_private_arenas_list(unsigned *idx, size_t max);

/* ---- testhook.c: allocation-failure injection ---- */

extern _Atomic uint64_t flm_fail_countdown; /* 0 = disarmed; relaxed loads on the fast path */

/* Slow part of the hook: true when this allocation must fail. Call only when armed. */
bool flm_fail_now(void);

static inline bool flm_should_fail(void)
{
    if (FLM_LIKELY(atomic_load_explicit(&flm_fail_countdown, memory_order_relaxed) == 0))
        return false;
    return flm_fail_now();
}

/* ---- ctl.c: the mallctl helpers, each returning 0 / -errno ---- */

/* Read / write / run (neither input nor output) a mallctl by name. */
int flm_ctl_read(const char *name, void *out, size_t len);
int flm_ctl_write(const char *name, const void *in, size_t len);
int flm_ctl_run(const char *name);
/* Writes `in` and reads the previous value into `old` in one call (e.g. thread.arena). */
int flm_ctl_swap(const char *name, void *old, size_t len, const void *in, size_t inlen);

/* A mallctl name translated once (mallctlnametomib); components may be patched (v[2] = arena
 * or bin index) before reading. */
#define FLM_MIB_MAX 8
typedef struct flm_mib {
    size_t v[FLM_MIB_MAX];
    size_t len;
} flm_mib_t;
int flm_ctl_mib(const char *name, flm_mib_t *m);
int flm_ctl_read_mib(const flm_mib_t *m, void *out, size_t len);
/* Refreshes jemalloc's statistics snapshot through the "epoch" MIB. */
int flm_ctl_refresh_epoch(const flm_mib_t *epoch);

/* The index of the arena that owns the jemalloc block at ptr (arenas.lookup). */
int flm_ctl_arena_of(const void *ptr, unsigned *index);

#endif /* FLATLINE_MEM_INTERNAL_H */
