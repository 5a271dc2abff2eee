/*
 * bench_sweep.c: option sweeps. `run --sweep ALLOC` replaces the allocator columns with ALLOC
 * under each setting of its table below (one column per row, the defaults first as the
 * baseline), so the report's "Best per workload" section names the setting that held the least
 * memory and the one that served the most operations, and plots/relative.svg draws every
 * setting against the defaults. A column is the allocator's own column of allocators.h (its
 * library, family and package) with the row's name, options and doc: the runner's
 * identification still checks that ALLOC serves malloc, and that jemalloc's background threads
 * run when a setting asks for them.
 *
 * Option names are those of the versions Debian 12 packages (tests/bench/sweep.sh checks that
 * the installed libraries take them): jemalloc 5.3 (MALLOC_CONF), gperftools' tcmalloc 2.10
 * (TCMALLOC_* variables), mimalloc 2.0.9 (MIMALLOC_* variables: its delay before freed pages go
 * back is `decommit_delay`, which mimalloc 2.1 renamed `purge_delay` and 1.x called
 * `reset_delay`).
 */
#include "bench.h"

#include <stdio.h>
#include <string.h>

/* One row per setting: column name, environment (NULL: the allocator's defaults), doc. */
#define BD_JEMALLOC_SWEEP(X)                                                                       \
    X("je-default", NULL, "jemalloc's defaults (narenas 4 x cores, decay 10 s, no bg threads)")    \
    X("je-narenas1", "MALLOC_CONF=narenas:1", "one arena for every thread")                        \
    X("je-narenas2", "MALLOC_CONF=narenas:2", "two arenas")                                        \
    X("je-narenas8", "MALLOC_CONF=narenas:8", "eight arenas")                                      \
    X("je-decay0", "MALLOC_CONF=dirty_decay_ms:0,muzzy_decay_ms:0", "freed pages purged at once")  \
    X("je-decay1s", "MALLOC_CONF=dirty_decay_ms:1000,muzzy_decay_ms:1000",                         \
      "dirty and muzzy decay 1 s")                                                                 \
    X("je-nomuzzy", "MALLOC_CONF=muzzy_decay_ms:0",                                                \
      "no muzzy stage: dirty pages go straight back")                                              \
    X("je-bg", "MALLOC_CONF=background_thread:true", "background purging threads")                 \
    X("je-bg-decay1s",                                                                             \
      "MALLOC_CONF=background_thread:true,dirty_decay_ms:1000,muzzy_decay_ms:1000",                \
      "background threads and 1 s decay")

#define BD_TCMALLOC_SWEEP(X)                                                                       \
    X("tc-default", NULL, "tcmalloc's defaults (release rate 1, 32 MiB of thread caches)")         \
    X("tc-release0", "TCMALLOC_RELEASE_RATE=0", "never gives freed pages back to the kernel")      \
    X("tc-release5", "TCMALLOC_RELEASE_RATE=5", "gives freed pages back 5x faster")                \
    X("tc-release10", "TCMALLOC_RELEASE_RATE=10", "gives freed pages back 10x faster")             \
    X("tc-aggressive", "TCMALLOC_AGGRESSIVE_DECOMMIT=true",                                        \
      "every freed span goes back to the kernel at once")                                          \
    X("tc-cache4m", "TCMALLOC_MAX_TOTAL_THREAD_CACHE_BYTES=4194304",                               \
      "4 MiB of thread caches in all instead of 32")

#define BD_MIMALLOC_SWEEP(X)                                                                       \
    X("mi-default", NULL, "mimalloc's defaults (decommit delay 25 ms, segments 500 ms)")           \
    X("mi-decommit0", "MIMALLOC_DECOMMIT_DELAY=0", "freed pages decommitted at once")              \
    X("mi-decommit1s", "MIMALLOC_DECOMMIT_DELAY=1000", "decommit delay 1 s")                       \
    X("mi-segdecommit0", "MIMALLOC_SEGMENT_DECOMMIT_DELAY=0", "free segment memory back at once")  \
    X("mi-pagereset", "MIMALLOC_PAGE_RESET=1", "reset (madvise) a page's memory when it empties")  \
    X("mi-abandoned", "MIMALLOC_ABANDONED_PAGE_DECOMMIT=1",                                        \
      "decommit the free pages of a thread that ends")                                             \
    X("mi-nodecommit", "MIMALLOC_ALLOW_DECOMMIT=0", "never decommit: freed pages stay resident")

typedef struct sweep_row {
    const char *name, *env, *doc;
} sweep_row_t;

#define BD_SWEEP_ROW_(name, env, doc) {name, env, doc},
static const sweep_row_t jemalloc_rows[] = {BD_JEMALLOC_SWEEP(BD_SWEEP_ROW_)};
static const sweep_row_t tcmalloc_rows[] = {BD_TCMALLOC_SWEEP(BD_SWEEP_ROW_)};
static const sweep_row_t mimalloc_rows[] = {BD_MIMALLOC_SWEEP(BD_SWEEP_ROW_)};
#undef BD_SWEEP_ROW_

#define BD_NROWS(a) (sizeof(a) / sizeof((a)[0]))
static const struct sweep {
    const char *allocator; /* the column of allocators.h the settings apply to */
    const sweep_row_t *rows;
    unsigned nrows;
} sweeps[] = {
    {"jemalloc", jemalloc_rows, BD_NROWS(jemalloc_rows)},
    {"tcmalloc", tcmalloc_rows, BD_NROWS(tcmalloc_rows)},
    {"mimalloc", mimalloc_rows, BD_NROWS(mimalloc_rows)},
};

/* The columns handed out: one set per sweep, built on first use. The driver is single-threaded. */
static bd_alloc_t columns[BD_NROWS(sweeps)][BD_MAX_ITEMS];

const char *bd_sweep_names(void)
{
    static char names[128];
    size_t len = 0;
    for (unsigned s = 0; s < BD_NROWS(sweeps) && len < sizeof names; s++)
        len += (size_t)snprintf(names + len, sizeof names - len, "%s%s", s ? ", " : "",
                                sweeps[s].allocator);
    return names;
}

int bd_sweep_columns(const char *allocator, const bd_alloc_t **out, unsigned max)
{
    for (unsigned s = 0; s < BD_NROWS(sweeps); s++) {
        if (strcmp(allocator, sweeps[s].allocator) != 0)
            continue;
        const bd_alloc_t *base = bd_find_alloc(allocator);
        if (!base)
            return -1;
        unsigned n = sweeps[s].nrows < max ? sweeps[s].nrows : max;
        for (unsigned i = 0; i < n && i < BD_MAX_ITEMS; i++) {
            bd_alloc_t *col = &columns[s][i];
            *col = *base;
            col->name = sweeps[s].rows[i].name;
            col->env = sweeps[s].rows[i].env;
            col->doc = sweeps[s].rows[i].doc;
            out[i] = col;
        }
        return (int)n;
    }
    return -1;
}
