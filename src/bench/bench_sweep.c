/*
 * bench_sweep.c: option sweeps. `run --sweep jemalloc` replaces the allocator columns with
 * jemalloc under each MALLOC_CONF setting of the table below (one column per row, the default
 * first as the baseline), so the report's "Best per workload" section names the setting that
 * held the least memory and the one that served the most operations. The columns are ordinary
 * allocator columns (bd_alloc_t), built once from the table; the runner's identification still
 * checks that jemalloc serves malloc, and that background threads run when a setting asks.
 */
#include "bench.h"

#include <string.h>

/* One row per setting: column name, MALLOC_CONF (NULL: jemalloc's defaults), one line of doc. */
#define BD_JEMALLOC_SWEEP(X)                                                                       \
    X("je-default", NULL, "jemalloc's defaults (narenas 4 x cores, decay 10 s, no bg threads)")    \
    X("je-narenas1", "narenas:1", "one arena for every thread")                                    \
    X("je-narenas2", "narenas:2", "two arenas")                                                    \
    X("je-narenas8", "narenas:8", "eight arenas")                                                  \
    X("je-decay0", "dirty_decay_ms:0,muzzy_decay_ms:0", "freed pages purged at once")              \
    X("je-decay1s", "dirty_decay_ms:1000,muzzy_decay_ms:1000", "dirty and muzzy decay 1 s")        \
    X("je-nomuzzy", "muzzy_decay_ms:0", "no muzzy stage: dirty pages go straight back")            \
    X("je-bg", "background_thread:true", "background purging threads")                             \
    X("je-bg-decay1s", "background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:1000",           \
      "background threads and 1 s decay")

#define BD_SWEEP_ROW_(name, conf, doc)                                                             \
    {name, "libjemalloc.so.2", "jemalloc", "libjemalloc2", false, conf, doc},
static const bd_alloc_t jemalloc_sweep[] = {BD_JEMALLOC_SWEEP(BD_SWEEP_ROW_)};
#undef BD_SWEEP_ROW_

int bd_sweep_columns(const char *allocator, const bd_alloc_t **out, unsigned max)
{
    if (strcmp(allocator, "jemalloc") != 0)
        return -1;
    unsigned n = sizeof jemalloc_sweep / sizeof jemalloc_sweep[0];
    if (n > max)
        n = max;
    for (unsigned i = 0; i < n; i++)
        out[i] = &jemalloc_sweep[i];
    return (int)n;
}
