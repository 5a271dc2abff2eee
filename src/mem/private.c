/*
 * src/mem/private.c: thread-private arenas (transient objects) and their pool.
 *
 * A thread binds itself to an arena of its own with jemalloc's thread.arena; plain malloc/free
 * in that thread then allocate there. Arenas are never destroyed: a thread that exits gives its
 * arena back to the pool and the next thread to bind reuses it (its dirty pages decay as usual).
 *
 * About the automatic tcache: it is per thread, and thread.arena does not flush it. Blocks it
 * cached before binding (from the old arena) would still be handed out afterwards, so binding
 * flushes it (thread.tcache.flush). After that, what the thread frees goes into its own tcache
 * and comes back to it on its next malloc; when the cache flushes, each block returns to the
 * arena that owns its page, whatever thread freed it. So transient objects freed by their own
 * thread stay in that thread's arena. The one mixing left: a block allocated by thread A and
 * freed by thread B may be reused by B's next malloc of that size class before B's cache
 * flushes (the block still belongs to A's arena's pages). Shared arenas never see this because
 * they use explicit per-arena tcaches (arena.c).
 *
 * Synchronization: g_pmtx protects g_all/g_nall (every private arena created) and
 * g_pool/g_npool (the unbound ones). t_private is the calling thread's own binding.
 */
#include <errno.h>
#include <pthread.h>

#include <jemalloc/jemalloc.h>

#include "fl_assert.h"
#include "mem_internal.h"

static pthread_mutex_t g_pmtx = PTHREAD_MUTEX_INITIALIZER;
static unsigned g_all[FLM_MAX_PRIVATE];  /* g_pmtx */
static size_t g_nall;                    /* g_pmtx */
static unsigned g_pool[FLM_MAX_PRIVATE]; /* g_pmtx */
static size_t g_npool;                   /* g_pmtx */
static _Thread_local int t_private = -1;

static void pool_put(unsigned idx)
{
    pthread_mutex_lock(&g_pmtx);
    FL_ASSERT(g_npool < g_nall); /* an arena goes back only after it was taken */
    if (g_npool < FLM_MAX_PRIVATE)
        g_pool[g_npool++] = idx;
    pthread_mutex_unlock(&g_pmtx);
}

/* Takes an arena from the pool or creates one. Returns 0 or -errno. */
static int pool_get(unsigned *idx)
{
    int rc = 0;
    pthread_mutex_lock(&g_pmtx);
    if (g_npool > 0) {
        *idx = g_pool[--g_npool];
    } else if (g_nall == FLM_MAX_PRIVATE) {
        rc = -ENOMEM;
    } else {
        rc = flm_ctl_read("arenas.create", idx, sizeof(*idx));
        if (rc == 0)
            g_all[g_nall++] = *idx;
        else if (rc == -EAGAIN || rc == -EFAULT)
            rc = -ENOMEM;
    }
    pthread_mutex_unlock(&g_pmtx);
    return rc;
}

int fl_thread_bind_private_arena(void)
{
    if (t_private >= 0)
        return 0;
    if (!fl_mem_malloc_is_jemalloc())
        return -ENOSYS;
    int rc = flm_thread_register();
    if (rc != 0)
        return rc;
    unsigned idx;
    rc = pool_get(&idx);
    if (rc != 0)
        return rc;
    rc = flm_ctl_write("thread.arena", &idx, sizeof(idx));
    if (rc != 0) {
        pool_put(idx);
        return rc;
    }
    (void)flm_ctl_run("thread.tcache.flush"); /* fails only when tcache is disabled: fine */
    t_private = (int)idx;
    return 0;
}

int fl_thread_private_arena_index(void)
{
    return t_private;
}

void flm_private_thread_exit(void)
{
    if (t_private < 0)
        return;
    /* Return our cached blocks to their arenas before another thread takes this one
     * (jemalloc would also flush at its own thread clean-up, possibly later). */
    (void)flm_ctl_run("thread.tcache.flush");
    pool_put((unsigned)t_private);
    t_private = -1;
}

size_t flm_private_arenas_list(unsigned *idx, size_t max)
{
    pthread_mutex_lock(&g_pmtx);
    size_t n = g_nall;
    for (size_t i = 0; i < n && i < max; i++)
        idx[i] = g_all[i];
    pthread_mutex_unlock(&g_pmtx);
    return n;
}
