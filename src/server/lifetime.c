/*
 * src/server/lifetime.c: the server-lifetime arenas (lifetime.h): one shared arena per row of
 * SRV_LIFETIME_ARENAS, created once on first use, never destroyed (their objects may be freed
 * until the process ends), and the allocation calls that route each kind into its arena.
 *
 * Invariants: g_arena[k] is written once, inside pthread_once, before any call of this file
 * returns a block; it is NULL for the whole run when the memory layer could not create it, and
 * then every call of that kind uses plain malloc/free, so a block is always freed by the
 * allocator that made it. The memory layer's debug build checks every sized free against the
 * arena and size it is given (arenas.lookup); here the cheap half is asserted: a sized block is
 * at least as large as the size it is freed with.
 */
#include "lifetime.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"

static const char *const names[SRV_ARENA_COUNT] = {
#define SRV_ARENA_NAME_(kind, name, doc) name,
    SRV_LIFETIME_ARENAS(SRV_ARENA_NAME_)
#undef SRV_ARENA_NAME_
};

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static fl_arena_t *g_arena[SRV_ARENA_COUNT]; /* written once in create_arenas */

static void create_arenas(void)
{
    for (int k = 0; k < SRV_ARENA_COUNT; k++) {
        char name[32] = "server:";
        strcat(name, names[k]);
        if (fl_arena_create(&g_arena[k], name, NULL) != 0)
            g_arena[k] = NULL;
    }
}

/* kind's arena, or NULL for the plain-malloc fallback. */
static fl_arena_t *arena(srv_arena_kind_t kind)
{
    FL_ASSERT((unsigned)kind < SRV_ARENA_COUNT);
    pthread_once(&g_once, create_arenas);
    return g_arena[kind];
}

const char *srv_arena_name(srv_arena_kind_t kind)
{
    return (unsigned)kind < SRV_ARENA_COUNT ? names[kind] : "?";
}

int srv_arena_stats(srv_arena_kind_t kind, fl_mem_stats_t *out)
{
    fl_arena_t *a = arena(kind);
    return a ? fl_arena_stats(a, out) : -ENOSYS;
}

/* ---- Sized family ------------------------------------------------------------------------- */

void *srv_keep_alloc(srv_arena_kind_t kind, size_t size)
{
    fl_arena_t *a = arena(kind);
    return a ? fl_arena_alloc(a, size) : malloc(size);
}

void *srv_keep_calloc(srv_arena_kind_t kind, size_t count, size_t size)
{
    fl_arena_t *a = arena(kind);
    return a ? fl_arena_calloc(a, count, size) : calloc(count, size);
}

void *srv_keep_realloc(srv_arena_kind_t kind, void *ptr, size_t old_size, size_t new_size)
{
    fl_arena_t *a = arena(kind);
    FL_DEBUG_ASSERT(!a || !ptr || fl_mem_usable_size(ptr) >= old_size);
    return a ? fl_arena_realloc(a, ptr, old_size, new_size) : realloc(ptr, new_size);
}

void srv_keep_free(srv_arena_kind_t kind, void *ptr, size_t size)
{
    if (!ptr)
        return;
    fl_arena_t *a = arena(kind);
    if (!a) {
        free(ptr);
        return;
    }
    FL_DEBUG_ASSERT(fl_mem_usable_size(ptr) >= size);
    fl_arena_free(a, ptr, size);
}

char *srv_keep_strndup(srv_arena_kind_t kind, const char *p, size_t n)
{
    char *s = srv_keep_alloc(kind, n + 1);
    if (s) {
        if (n)
            memcpy(s, p, n);
        s[n] = '\0';
    }
    return s;
}

void srv_keep_free_str(srv_arena_kind_t kind, char *s)
{
    if (s)
        srv_keep_free(kind, s, strlen(s) + 1);
}

/* ---- Unsized family ----------------------------------------------------------------------- */

void *srv_keep_malloc(srv_arena_kind_t kind, size_t size)
{
    fl_arena_t *a = arena(kind);
    return a ? fl_arena_malloc(a, size ? size : 1) : malloc(size ? size : 1);
}

void *srv_keep_zalloc(srv_arena_kind_t kind, size_t count, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(count, size, &total))
        return NULL;
    void *p = srv_keep_malloc(kind, total);
    if (p)
        memset(p, 0, total ? total : 1);
    return p;
}

void *srv_keep_realloc_unsized(srv_arena_kind_t kind, void *ptr, size_t new_size)
{
    fl_arena_t *a = arena(kind);
    if (new_size == 0)
        new_size = 1;
    return a ? fl_arena_realloc_unsized(a, ptr, new_size) : realloc(ptr, new_size);
}

char *srv_keep_strdup(srv_arena_kind_t kind, const char *s)
{
    size_t n = strlen(s);
    char *d = srv_keep_malloc(kind, n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

void srv_keep_free_unsized(srv_arena_kind_t kind, void *ptr)
{
    if (!ptr)
        return;
    fl_arena_t *a = arena(kind);
    if (a)
        fl_arena_free_unsized(a, ptr);
    else
        free(ptr);
}

/* ---- Transient blocks that cross workers ------------------------------------------------- */

void srv_free_foreign(void *ptr)
{
    if (!ptr)
        return;
    if (fl_mem_malloc_is_jemalloc())
        fl_mem_free_direct(ptr);
    else
        free(ptr);
}
