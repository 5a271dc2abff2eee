/*
 * strategy_flatline.c: the lifecycle strategy of flatline-bench-runner-fl (docs/design.md step 3):
 * persistent objects go to one shared arena (fl_arena_alloc), and every worker thread binds a
 * private arena (fl_thread_bind_private_arena) so that its transient buffers, allocated with
 * plain malloc, never share a page with a record. jemalloc's background purging threads are on,
 * as in flatline-server's default configuration. Without --arenas the same binary behaves like
 * the plain strategy (malloc for everything), which is how tests compare the two.
 *
 * State: `shared` and `use_arenas` are set once by bw_strategy_init before any thread starts
 * and only read afterwards.
 */
#include "runner.h"

#include <errno.h>
#include <stdio.h>

#include "flatline/mem.h"

static fl_arena_t *shared;
static bool use_arenas;

int bw_strategy_init(bool arenas)
{
    use_arenas = arenas;
    if (!arenas)
        return 0;
    /* As flatline-server runs it (mem-background-thread yes): jemalloc's background threads
     * purge dirty pages of idle arenas, which otherwise keep them until they are used again. */
    fl_mem_opts_t opts = {.background_thread = true};
    int rc = fl_mem_init(&opts);
    if (rc == -ENOTSUP) { /* e.g. a TSan build: as flatline-server, go on without them (the
                           * ident line then lacks +bgthread) */
        opts.background_thread = false;
        rc = fl_mem_init(&opts);
    }
    if (rc == 0)
        rc = fl_arena_create(&shared, "bench-records", NULL);
    if (rc != 0) {
        fprintf(stderr, "flatline-bench-runner-fl: lifecycle arenas unavailable: %s\n",
                fl_mem_strerror(rc));
        return -1;
    }
    return 0;
}

const char *bw_strategy_name(void)
{
    return use_arenas ? "lifecycle-arenas" : "malloc";
}

void bw_thread_enter(void)
{
    if (!use_arenas)
        return;
    int rc = fl_thread_bind_private_arena();
    if (rc != 0)
        bw_report("error fl_thread_bind_private_arena: %s", fl_mem_strerror(rc));
}

void bw_thread_leave(void)
{
    if (use_arenas)
        fl_thread_release_tcaches();
}

void *bw_persist_alloc(size_t n)
{
    if (!use_arenas)
        return bw_tmp_alloc(n);
    void *p = fl_arena_alloc(shared, n);
    if (p)
        bw_live_add((int64_t)n);
    return p;
}

void bw_persist_free(void *p, size_t n)
{
    if (!use_arenas) {
        bw_tmp_free(p, n);
        return;
    }
    if (!p)
        return;
    fl_arena_free(shared, p, n);
    bw_live_add(-(int64_t)n);
}

int bw_strategy_stats(char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    if (!use_arenas)
        return 0;
    fl_mem_stats_t a, pv;
    if (fl_arena_stats(shared, &a) != 0 || fl_private_arenas_stats(&pv) != 0)
        return 0;
    return snprintf(buf, len,
                    " shared_requested=%zu shared_allocated=%zu shared_active=%zu "
                    "shared_resident=%zu private_allocated=%zu private_active=%zu "
                    "private_resident=%zu",
                    a.requested, a.allocated, a.active, a.resident, pv.allocated, pv.active,
                    pv.resident);
}
