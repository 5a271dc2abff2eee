/*
 * bench_shm.h: the contract between the flatline-bench driver and its workload runners.
 *
 * The driver creates a memfd of sizeof(struct bench_shm), passes it to the runner (--shm-fd),
 * and reads it from outside while the runner works. The runner adds the bytes it requests and
 * frees to its thread's slot (live may go negative in one slot: objects are freed by other
 * threads); the driver sums the slots. Each slot is written with relaxed atomics by the threads
 * mapped to it and read by the driver: a sum taken mid-update is off by at most the objects in
 * flight, which is the precision a sampler has anyway.
 *
 * Report lines (runner -> driver, --report-fd, one line each, '\n' terminated):
 *   ident <allocator> <version> <library path>   which library serves malloc in the runner
 *   phase <name>                                  the workload entered a phase (for the plots)
 *   sync <name>                                   the runner stops until the driver writes "go\n"
 *                                                 on --ack-fd (the driver samples RSS meanwhile)
 *   stats <when> key=value ...                    the allocator's own breakdown (docs/design.md
 * words) result ops=<n> run_ms=<ms> [key=value ...]    the timed phase's operation count and
 * duration error <text>                                  the runner failed; it exits non-zero Sync
 * points every workload passes, in order: "peak" (live memory at its designed peak, just before the
 * mass delete) and "deleted" (mass delete done: the tail starts). In the tail the runner works
 * lightly until the driver writes "stop\n" on the ack fd (or its own bound expires).
 */
#ifndef FLATLINE_BENCH_SHM_H
#define FLATLINE_BENCH_SHM_H

#include <stdatomic.h>
#include <stdint.h>

#define BENCH_SHM_MAGIC 0x666c62656e636831ULL /* "flbench1" */
#define BENCH_SHM_SLOTS 64

struct bench_slot {
    _Atomic int64_t live; /* requested bytes allocated minus freed by threads of this slot */
    _Atomic uint64_t ops; /* operations done (progress only) */
    char pad[48];         /* one cache line per slot */
};

struct bench_shm {
    uint64_t magic;         /* BENCH_SHM_MAGIC, written by the driver before the exec */
    _Atomic uint32_t phase; /* enum bench_phase, written by the runner */
    uint32_t pad;
    _Atomic int64_t overhead; /* bytes of the runner's own bookkeeping that the recorded
                                 program did not have (replay: its address map and read
                                 buffers, mmap'd outside the allocator); the driver subtracts
                                 them from RSS. 0 for the synthetic workloads. */
    char pad2[40];
    struct bench_slot slot[BENCH_SHM_SLOTS];
};

enum bench_phase {
    BENCH_PH_START = 0,
    BENCH_PH_FILL,
    BENCH_PH_RUN,
    BENCH_PH_PEAK,
    BENCH_PH_DELETE,
    BENCH_PH_TAIL,
    BENCH_PH_TEARDOWN,
    BENCH_PH_COUNT
};

#endif /* FLATLINE_BENCH_SHM_H */
