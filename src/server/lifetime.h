/*
 * src/server/lifetime.h: where the server keeps what outlives a request and a client.
 *
 * docs/design.md allocates by lifecycle: a worker's transient objects (a request, a reply, a
 * client's buffers) in its thread-private arena, persistent records in their namespace's shared
 * arena. The server's own long-lived objects (the slow log, ACL users and the ACL log, the
 * latency history and the per-command latency histograms, the scripts' Lua state and function
 * libraries, the pub/sub registry) belong to neither: made by whichever worker ran a command, freed
 * by whichever worker trims, deletes or unsubscribes. They live in shared arenas of their own, one
 * per row of SRV_LIFETIME_ARENAS, so that a worker's private arena holds transient blocks only
 * (it returns to its idle baseline when the work ends) and each arena's figures (INFO memory,
 * MEMORY STATS, the metrics endpoint) say what holds the server's own memory.
 *
 * Two families, as the memory layer's (flatline/mem.h): sized calls (srv_keep_alloc ... free
 * with the size the block was requested with: the arena's `requested` stays exact) and unsized
 * ones for code that frees without knowing the size (srv_keep_malloc ... srv_keep_free_unsized:
 * counted at usable size, requested_known = false). A block stays in its family and its kind.
 *
 * The arenas are created on first use and live as long as the process. When the memory layer
 * cannot make them (malloc is not jemalloc's arenas' allocator), every call falls back to plain
 * malloc/free, consistently for the whole run.
 *
 * Thread-safety: every function may be called from any thread; a block may be freed by any
 * thread (into its arena, never the freeing thread's private arena).
 */
#ifndef SRV_LIFETIME_H
#define SRV_LIFETIME_H

#include <stdbool.h>
#include <stddef.h>

#include "flatline/mem.h"

/* The server-lifetime arenas: X(kind, name, what it holds). Three, by how they grow: the
 * bounded records together (their sum is capped by their options), and the two that grow with
 * what clients do (scripts and subscriptions), each alone so its figure names its owner and
 * its churn never fragments the others' pages. */
#define SRV_LIFETIME_ARENAS(X)                                                                     \
    X(SRV_ARENA_SERVER, "server", "slow log, ACL users and log, latency history and histograms")   \
    X(SRV_ARENA_SCRIPTS, "scripts", "the Lua state, the script cache, function libraries")         \
    X(SRV_ARENA_PUBSUB, "pubsub", "the channel and pattern registry")

typedef enum srv_arena_kind {
#define SRV_ARENA_ENUM_(kind, name, doc) kind,
    SRV_LIFETIME_ARENAS(SRV_ARENA_ENUM_)
#undef SRV_ARENA_ENUM_
        SRV_ARENA_COUNT
} srv_arena_kind_t;

/* The arena's name ("server", "scripts", "pubsub"). */
const char *srv_arena_name(srv_arena_kind_t kind);

/* Breakdown of one server-lifetime arena (fl_arena_stats). Returns 0, or -ENOSYS when the run
 * uses the plain-malloc fallback. Any thread. */
int srv_arena_stats(srv_arena_kind_t kind, fl_mem_stats_t *out);

/* ---- Sized family (exact `requested`) ---------------------------------------------------- */

/* size bytes (size > 0) in kind's arena; NULL on failure. */
void *srv_keep_alloc(srv_arena_kind_t kind, size_t size);

/* count*size zeroed bytes; NULL on overflow or failure. Free with count*size. */
void *srv_keep_calloc(srv_arena_kind_t kind, size_t count, size_t size);

/* Resizes ptr (old_size bytes requested; NULL acts as srv_keep_alloc) to new_size > 0 bytes in
 * the same arena. NULL on failure, ptr untouched. */
void *srv_keep_realloc(srv_arena_kind_t kind, void *ptr, size_t old_size, size_t new_size);

/* Frees ptr, requested with `size` bytes in kind's arena, from any thread. NULL is a no-op. */
void srv_keep_free(srv_arena_kind_t kind, void *ptr, size_t size);

/* A NUL-terminated copy of n bytes at p (n + 1 bytes requested: free it with
 * srv_keep_free_str). NULL on failure. */
char *srv_keep_strndup(srv_arena_kind_t kind, const char *p, size_t n);

/* Frees a string made by srv_keep_strndup (strlen(s) + 1 bytes). NULL is a no-op. */
void srv_keep_free_str(srv_arena_kind_t kind, char *s);

/* ---- Unsized family (code that frees without sizes) --------------------------------------- */

void *srv_keep_malloc(srv_arena_kind_t kind, size_t size);
void *srv_keep_zalloc(srv_arena_kind_t kind, size_t count, size_t size); /* calloc */
void *srv_keep_realloc_unsized(srv_arena_kind_t kind, void *ptr, size_t new_size);
char *srv_keep_strdup(srv_arena_kind_t kind, const char *s);
void srv_keep_free_unsized(srv_arena_kind_t kind, void *ptr);

/* ---- Transient blocks that cross workers ------------------------------------------------- */

/* Frees a transient block another thread allocated with plain malloc (a mailbox task): straight
 * back to the allocating worker's private arena, not into this thread's cache, from which this
 * worker's own allocations would take it (a block of another worker's arena held here, that
 * arena kept from its baseline). Plain free() when malloc is not jemalloc. NULL is a no-op. */
void srv_free_foreign(void *ptr);

#endif /* SRV_LIFETIME_H */
