/*
 * src/mem/thread.c: runs the memory layer's per-thread clean-up when a thread exits.
 *
 * One pthread key, created once; a thread that acquires per-thread state (an explicit tcache or
 * a private arena) sets a non-NULL value on it, so its destructor runs at thread exit and calls
 * the exit hooks of arena.c and private.c. The key's value is only a flag; the state itself
 * lives in those files' thread-local variables, which stay valid until every destructor ran.
 * The destructor may run after jemalloc's own thread clean-up: jemalloc re-initialises its
 * per-thread data on demand ("reincarnation"), so the mallctl calls in the hooks remain legal.
 */
#include <errno.h>
#include <pthread.h>

#include "mem_internal.h"

static pthread_key_t g_key;
static int g_key_err; /* written once under g_key_once */
static pthread_once_t g_key_once = PTHREAD_ONCE_INIT;
static _Thread_local bool t_registered; /* this thread's key value is set */

static void on_thread_exit(void *flag)
{
    (void)flag;
    /* glibc cleared the value before calling us: a hook (or a later destructor of the
     * program) that acquires state again must set it again, so the destructor runs again. */
    t_registered = false;
    flm_arena_thread_exit();
    flm_private_thread_exit();
}

static void make_key(void)
{
    g_key_err = pthread_key_create(&g_key, on_thread_exit);
}

int flm_thread_register(void)
{
    if (t_registered)
        return 0;
    pthread_once(&g_key_once, make_key);
    if (g_key_err != 0)
        return -g_key_err;
    int rc = pthread_setspecific(g_key, (void *)1);
    if (rc != 0)
        return -rc;
    t_registered = true;
    return 0;
}
