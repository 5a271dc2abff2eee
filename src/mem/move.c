/*
 * src/mem/move.c: move hints for the defragmenter (should this live object move?), on stock
 * jemalloc's experimental.utilization.{query,batch_query}.
 *
 * The rule (Valkey's on stock jemalloc, stated for one object at p in a slab of nregs regions,
 * nfree of them free, in a bin whose slabs together have bin_nregs regions, bin_nfree free):
 *   move  iff  p is in a slab (not a large extent)
 *         and  nfree > 0                       (a full slab has no hole to give back)
 *         and  p's slab is not the bin's current slab (slabcur, where a move would land: moving
 *              out of it only churns)
 *         and  used/nregs <= (bin_nregs - bin_nfree)/bin_nregs, i.e. the slab is no more used
 *              than the bin's average (cross-multiplied, no division).
 * "<=" and not "<": when every slab is equally sparse (the typical state after a mass delete)
 * moving still empties slabs, because new blocks fill slabcur first.
 * Caveats: the answer is a snapshot (other threads allocate meanwhile); regions parked in
 * thread caches count as used, so flush caches (fl_thread_release_tcaches) before a pass;
 * ptr must be a live jemalloc pointer (jemalloc looks it up without checking).
 *
 * Layout of the jemalloc 5.3.0 outputs (src/ctl.c, include/jemalloc/internal/inspect.h):
 *   query:        in  const void *ptr;
 *                 out { void *slabcur_addr; size_t nfree, nregs, size, bin_nfree, bin_nregs; }
 *   batch_query:  in  const void *ptrs[n];  out size_t[3 * n]: nfree, nregs, size per pointer
 *                 (large extent: nfree 0, nregs 1; unknown pointer: all 0).
 * The batch form filters with batch_query (one call per 64 pointers rejects full slabs and large
 * objects) and applies the full rule with query only to the survivors, since batch_query
 * reports neither the bin average nor slabcur. Stateless, hence thread-safe.
 */
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include <jemalloc/jemalloc.h>

#include "mem_internal.h"

struct util_verbose {
    void *slabcur_addr;
    size_t nfree;
    size_t nregs;
    size_t size; /* bytes of the slab */
    size_t bin_nfree;
    size_t bin_nregs;
};

#define BATCH 64

/* The query's MIB, translated once (a name lookup per call costs as much as the query); when
 * the translation fails, calls fall back to the name. */
static size_t g_query_mib[4];
static size_t g_query_miblen;
static pthread_once_t g_query_once = PTHREAD_ONCE_INIT;

static void query_mib_init(void)
{
    size_t n = sizeof(g_query_mib) / sizeof(g_query_mib[0]);
    if (mallctlnametomib("experimental.utilization.query", g_query_mib, &n) == 0)
        g_query_miblen = n;
}

static int query(const void *ptr, struct util_verbose *u, size_t *len)
{
    pthread_once(&g_query_once, query_mib_init);
    if (g_query_miblen)
        return mallctlbymib(g_query_mib, g_query_miblen, u, len, (void *)&ptr, sizeof(ptr));
    return mallctl("experimental.utilization.query", u, len, (void *)&ptr, sizeof(ptr));
}

bool fl_mem_should_move(const void *ptr)
{
    if (ptr == NULL)
        return false;
    struct util_verbose u;
    size_t len = sizeof(u);
    memset(&u, 0, sizeof(u));
    if (query(ptr, &u, &len) != 0 || len != sizeof(u))
        return false;
    if (u.nregs <= 1 || u.nfree == 0 || u.bin_nregs == 0)
        return false; /* large extent, or full slab */
    uintptr_t p = (uintptr_t)ptr, cur = (uintptr_t)u.slabcur_addr;
    if (cur != 0 && p >= cur && p < cur + u.size)
        return false; /* in the slab allocations are served from */
    size_t used = u.nregs - u.nfree;
    size_t bin_used = u.bin_nregs - u.bin_nfree;
    return (unsigned __int128)used * u.bin_nregs <= (unsigned __int128)bin_used * u.nregs;
}

int fl_mem_should_move_batch(const void *const *ptrs, size_t n, bool *out)
{
    if (n == 0)
        return 0;
    if (ptrs == NULL || out == NULL)
        return -EINVAL;
    for (size_t base = 0; base < n; base += BATCH) {
        size_t k = n - base < BATCH ? n - base : BATCH;
        const void *in[BATCH];
        size_t res[3 * BATCH];
        size_t nin = 0;
        size_t map[BATCH]; /* in[i] is ptrs[base + map[i]] */
        for (size_t i = 0; i < k; i++) {
            out[base + i] = false;
            if (ptrs[base + i] != NULL) {
                map[nin] = i;
                in[nin++] = ptrs[base + i];
            }
        }
        if (nin == 0)
            continue;
        size_t len = 3 * nin * sizeof(size_t);
        int rc = mallctl("experimental.utilization.batch_query", res, &len, (void *)in,
                         nin * sizeof(void *));
        if (rc != 0)
            return -rc;
        for (size_t i = 0; i < nin; i++) {
            size_t nfree = res[3 * i], nregs = res[3 * i + 1];
            if (nfree == 0 || nregs <= 1)
                continue; /* full slab, large extent or unknown pointer */
            out[base + map[i]] = fl_mem_should_move(in[i]);
        }
    }
    return 0;
}
