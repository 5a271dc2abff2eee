/*
 * strategy_malloc.c: the plain strategy of flatline-bench-runner: every object, persistent or
 * transient, comes from malloc, i.e. from whichever allocator the driver preloaded. It only adds
 * the requested-bytes accounting every strategy does (bench_shm.h). No state of its own.
 */
#include "runner.h"

#include <stdio.h>

int bw_strategy_init(bool arenas)
{
    if (arenas) {
        fprintf(stderr, "flatline-bench-runner: --arenas needs flatline-bench-runner-fl\n");
        return -1;
    }
    return 0;
}

const char *bw_strategy_name(void)
{
    return "malloc";
}

void bw_thread_enter(void) {}

void bw_thread_leave(void) {}

void *bw_persist_alloc(size_t n)
{
    return bw_tmp_alloc(n);
}

void bw_persist_free(void *p, size_t n)
{
    bw_tmp_free(p, n);
}

int bw_strategy_stats(char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    return 0;
}
