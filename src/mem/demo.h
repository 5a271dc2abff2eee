/*
 * src/mem/demo.h: interface between flatline-demo's driver (demo_main.c: options, child
 * processes, report) and its workload (demo_workload.c). Not part of libflatline.
 */
#ifndef FLATLINE_DEMO_H
#define FLATLINE_DEMO_H

#include <stdbool.h>
#include <stdint.h>

#include "flatline/mem.h"

enum demo_mode { DEMO_PLAIN, DEMO_LIFECYCLE };

struct demo_opts {
    unsigned threads;
    unsigned records;
    unsigned rounds; /* used when seconds == 0 */
    double seconds;  /* > 0: the churn phase runs this long instead of `rounds` rounds */
    uint64_t seed;
    unsigned delete_pct; /* share of records removed by the mass delete */
};

/* What one run measured; sent from the child process to the driver through a pipe. */
struct demo_result {
    int error;              /* 0, or a negative errno from the memory layer */
    bool private_arenas;    /* lifecycle mode: threads were bound to private arenas */
    fl_mem_stats_t peak;    /* after the churn, records live, transient buffers freed */
    fl_mem_stats_t deleted; /* after the mass delete and a purge, before defragmentation */
    fl_mem_stats_t after;   /* after defragmentation (lifecycle only) and a purge */
    uint64_t records_peak;  /* live records at peak */
    uint64_t records_after; /* live records after the delete */
    uint64_t transient_allocs;
    uint64_t moved; /* lifecycle: records moved by the defragmentation pass */
    double churn_seconds;
};

/* Runs the whole workload in the calling process with the given allocation strategy. */
void demo_run(enum demo_mode mode, const struct demo_opts *o, struct demo_result *res);

#endif
