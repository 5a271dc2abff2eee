/*
 * src/mem/reclaim.c: giving freed pages back to the OS: purge now (one arena or all), decay
 * times per arena, and jemalloc's background purging threads.
 *
 * Stateless: every call is one or two mallctl writes; jemalloc serialises them itself.
 */
#include <errno.h>
#include <stdio.h>
#include <sys/types.h>

#include <jemalloc/jemalloc.h>

#include "mem_internal.h"

int fl_arena_purge(fl_arena_t *arena)
{
    if (arena == NULL)
        return -EINVAL;
    char ctl[48];
    snprintf(ctl, sizeof(ctl), "arena.%u.purge", fl_arena_index(arena));
    return flm_ctl_run(ctl);
}

int fl_mem_purge_all(void)
{
    char ctl[48];
    snprintf(ctl, sizeof(ctl), "arena.%u.purge", (unsigned)MALLCTL_ARENAS_ALL);
    return flm_ctl_run(ctl);
}

/* Writes one decay setting; FL_DECAY_DEFAULT restores the default for new arenas
 * (arenas.dirty_decay_ms / arenas.muzzy_decay_ms). */
static int set_one(unsigned index, const char *kind, ssize_t ms)
{
    char ctl[64];
    if (ms == FL_DECAY_DEFAULT) {
        snprintf(ctl, sizeof(ctl), "arenas.%s_decay_ms", kind);
        int rc = flm_ctl_read(ctl, &ms, sizeof(ms));
        if (rc != 0)
            return rc;
    } else if (ms < -1) {
        return -EINVAL;
    }
    snprintf(ctl, sizeof(ctl), "arena.%u.%s_decay_ms", index, kind);
    return flm_ctl_write(ctl, &ms, sizeof(ms));
}

int fl_arena_set_decay(fl_arena_t *arena, ssize_t dirty_decay_ms, ssize_t muzzy_decay_ms)
{
    if (arena == NULL)
        return -EINVAL;
    if ((dirty_decay_ms != FL_DECAY_DEFAULT && dirty_decay_ms < -1) ||
        (muzzy_decay_ms != FL_DECAY_DEFAULT && muzzy_decay_ms < -1))
        return -EINVAL;
    int rc = set_one(fl_arena_index(arena), "dirty", dirty_decay_ms);
    if (rc == 0)
        rc = set_one(fl_arena_index(arena), "muzzy", muzzy_decay_ms);
    return rc;
}

#if defined(__SANITIZE_THREAD__)
#define FLM_UNDER_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define FLM_UNDER_TSAN 1
#endif
#endif

int fl_mem_set_background_thread(bool enable)
{
#ifdef FLM_UNDER_TSAN
    /* jemalloc starts its purging threads through the pthread_create it resolved itself, behind
     * TSan's interceptors; TSan then aborts when jemalloc joins them. Refuse instead. */
    if (enable)
        return -ENOTSUP;
#endif
    return flm_ctl_write("background_thread", &enable, sizeof(enable));
}
