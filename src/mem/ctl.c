/*
 * src/mem/ctl.c: the memory layer's only door to jemalloc's mallctl namespace: reads, writes
 * and commands by name, MIB translation and reads by MIB (for the statistics tables), the
 * arena a pointer belongs to, and the calling thread's automatic tcache flush.
 *
 * Invariants: every helper turns jemalloc's positive error codes into -errno and checks the
 * size jemalloc reports against the caller's; nothing here allocates or keeps state, so any
 * thread may call any helper at any time (jemalloc serialises what needs it).
 */
#include <errno.h>

#include <jemalloc/jemalloc.h>

#include "mem_internal.h"

int flm_ctl_read(const char *name, void *out, size_t len)
{
    size_t sz = len;
    int rc = mallctl(name, out, &sz, NULL, 0);
    if (rc != 0)
        return -rc;
    return sz == len ? 0 : -EINVAL;
}

int flm_ctl_write(const char *name, const void *in, size_t len)
{
    int rc = mallctl(name, NULL, NULL, (void *)in, len);
    return rc ? -rc : 0;
}

int flm_ctl_run(const char *name)
{
    int rc = mallctl(name, NULL, NULL, NULL, 0);
    return rc ? -rc : 0;
}

int flm_ctl_swap(const char *name, void *old, size_t len, const void *in, size_t inlen)
{
    size_t sz = len;
    int rc = mallctl(name, old, &sz, (void *)in, inlen);
    if (rc != 0)
        return -rc;
    return sz == len ? 0 : -EINVAL;
}

int flm_ctl_mib(const char *name, flm_mib_t *m)
{
    m->len = FLM_MIB_MAX;
    int rc = mallctlnametomib(name, m->v, &m->len);
    return rc ? -rc : 0;
}

int flm_ctl_read_mib(const flm_mib_t *m, void *out, size_t len)
{
    size_t sz = len;
    int rc = mallctlbymib(m->v, m->len, out, &sz, NULL, 0);
    return rc ? -rc : (sz == len ? 0 : -EINVAL);
}

int flm_ctl_refresh_epoch(const flm_mib_t *epoch)
{
    uint64_t e = 1;
    size_t sz = sizeof(e);
    int rc = mallctlbymib(epoch->v, epoch->len, &e, &sz, &e, sz);
    return rc ? -rc : 0;
}

int flm_ctl_arena_of(const void *ptr, unsigned *index)
{
    size_t sz = sizeof(*index);
    int rc = mallctl("arenas.lookup", index, &sz, (void *)&ptr, sizeof(ptr));
    return rc ? -rc : 0;
}

void fl_thread_flush_cache(void)
{
    (void)flm_ctl_run("thread.tcache.flush"); /* fails only without a tcache: nothing to do */
}
