/*
 * runner.h: internals shared by the files of the workload runner (flatline-bench-runner and
 * flatline-bench-runner-fl). Prefix bw_. The runner is a separate executable so that the driver
 * can choose the allocator by LD_PRELOAD; see bench_shm.h for the protocol with the driver.
 */
#ifndef FLATLINE_BENCH_RUNNER_H
#define FLATLINE_BENCH_RUNNER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bench_shm.h"

/* ---- Parameters of one run (runner_main.c) ---- */
#define BW_MAX_STORE_OPTIONS 8
typedef struct bw_params {
    const char *workload;
    double scale;         /* sizes and counts multiply by this */
    uint64_t seed;        /* every thread's random stream derives from it */
    unsigned threads;     /* worker threads (workloads that use them) */
    unsigned tail_max_ms; /* bound on the tail when the driver never says stop */
    const char *trace;    /* replay: the trace file */
    bool arenas;          /* lifecycle arenas (flatline runner only) */
    unsigned curve_every; /* replay: report "curve <events> <live>" every N events (0: never) */
    int store_defrag;     /* records in the store (runner-store): 1 defrag on, 0 off; -1 none */
    const char *store_options[BW_MAX_STORE_OPTIONS]; /* NAME=VALUE for the store's namespace */
    unsigned nstore_options;
} bw_params_t;

/* ---- Protocol with the driver (runner_proto.c) ---- */

/* Opens the channels (fds < 0: standalone run, lines go to stderr, syncs do not wait). */
int bw_proto_open(int report_fd, int ack_fd, int shm_fd);
/* Writes one formatted report line (the '\n' is added). Thread-safe. */
void bw_report(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Sets the phase in shared memory and reports "phase <name>". */
void bw_phase(enum bench_phase ph);
/* Reports "sync <name>" and waits for the driver's "go". Returns 0, or -1 if the driver vanished.
 */
int bw_sync(const char *name);
/* The two sync points every workload passes (bench_shm.h). Each returns rc, or -1 when rc was 0
 * and the driver vanished; a failed run (rc != 0) still marks the phase but does not wait.
 * bw_at_peak: phase "peak", the allocator's "stats peak", sync "peak".
 * bw_at_deleted: sync "deleted" (the mass delete is done), then phase "tail". */
int bw_at_peak(int rc);
int bw_at_deleted(int rc);
/* In the tail: waits up to ms for the driver's "stop". Returns true when told to stop. */
bool bw_wait_stop(unsigned ms);
/* The calling thread's counter slot (set once per thread by bw_thread_slot). */
void bw_thread_slot(unsigned index);
/* Adds to / subtracts from the calling thread's live requested bytes; counts operations. */
void bw_live_add(int64_t bytes);
void bw_ops_add(uint64_t n);
/* Adds to the bookkeeping bytes the driver subtracts from RSS (bench_shm.h `overhead`). */
void bw_overhead_add(int64_t bytes);
/* Sum of all slots (what the driver sees). */
int64_t bw_live_total(void);
/* After a workload freed everything: reports an accounting error (and returns -1) when live
 * requested bytes are not back to 0; returns rc otherwise. */
int bw_check_teardown(int rc);
/* Monotonic clock in nanoseconds (runner_util.c). */
uint64_t bw_now_ns(void);

/* ---- Which allocator serves malloc, and its breakdown (runner_ident.c) ---- */

/* Reports "ident <allocator> <version> <path>". */
void bw_ident_report(void);
/* Fills name ("glibc", "jemalloc", "tcmalloc", "mimalloc", "sanitizer", "unknown"),
 * version and library path of the allocator behind malloc. */
void bw_ident(char *name, size_t nlen, char *version, size_t vlen, char *path, size_t plen);
/* Reports "stats <when> ..." with the allocator's own counters, where it exposes them. */
void bw_stats_report(const char *when);

/* ---- Allocation strategy (strategy_malloc.c or strategy_flatline.c) ---- */

/* Sets the strategy up; arenas = lifecycle arenas. Returns 0 or prints why and returns -1. */
int bw_strategy_init(bool arenas);
/* Name of the strategy for the ident line suffix ("malloc" or "lifecycle-arenas"). */
const char *bw_strategy_name(void);
/* A worker thread starts / ends (binds and releases its private arena with lifecycle arenas). */
void bw_thread_enter(void);
void bw_thread_leave(void);
/* Persistent objects (records): the shared arena with lifecycle arenas, else malloc. Counted. */
void *bw_persist_alloc(size_t n);
void bw_persist_free(void *p, size_t n);
/* Transient objects (request buffers): plain malloc (the thread's private arena when bound);
 * the same in every strategy (runner_util.c). Counted. */
void *bw_tmp_alloc(size_t n);
void bw_tmp_free(void *p, size_t n);
/* Allocator statistics the strategy adds to a stats line (may write nothing). */
int bw_strategy_stats(char *buf, size_t len);

/* ---- Records of db-churn: where they live (records_heap.c or records_store.c) ----
 * flatline-bench-runner and -runner-fl keep each record as a block of the strategy's allocator
 * (bw_persist_alloc); flatline-bench-runner-store keeps it as a value in libflatline's namespace
 * store, whose active defragmentation may move it. Either way the live bytes counted are the
 * records' requested sizes, so the ratios compare the same thing. */
typedef struct bw_rec {
    void *p;       /* the block (records_heap.c); unused by the store */
    uint32_t size; /* requested bytes; 0 when the slot is empty */
} bw_rec_t;

/* Before the first record: sets the records' home up (the store opens its namespace). 0 or -1
 * after reporting why. */
int bw_records_open(const bw_params_t *p);
/* After the last record is cleared (the store closes). */
void bw_records_close(void);
/* Gives slot's record `size` bytes: a new block (the old contents that fit copied over) or a
 * new value. Caller holds the slot's lock. 0, or -1 when out of memory. Counted as live. */
int bw_record_set(bw_rec_t *r, uint64_t slot, size_t size);
/* Removes slot's record (its size must be non-zero). Caller holds the slot's lock. */
void bw_record_clear(bw_rec_t *r, uint64_t slot);
/* Copies up to n bytes of slot's record into buf. Caller holds the slot's lock. */
void bw_record_read(const bw_rec_t *r, uint64_t slot, void *buf, size_t n);
/* Where the records are: "heap", "store" or "store-defrag" (the result line's records=). */
const char *bw_records_kind(void);
/* Statistics the records' home adds to a stats line (may write nothing). */
int bw_records_stats(char *buf, size_t len);

/* ---- Workloads ---- */
int bw_db_churn(const bw_params_t *p);
int bw_size_shift(const bw_params_t *p);
int bw_server_larson(const bw_params_t *p);
int bw_replay(const bw_params_t *p);

/* ---- Deterministic random numbers (xoshiro256**, seeded by splitmix64) ---- */
typedef struct bw_rng {
    uint64_t s[4];
} bw_rng_t;

static inline uint64_t bw_splitmix(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline void bw_rng_seed(bw_rng_t *r, uint64_t seed, uint64_t stream)
{
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++)
        r->s[i] = bw_splitmix(&x);
}

static inline uint64_t bw_rng_next(bw_rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[1] * 5;
    uint64_t res = ((x << 7) | (x >> 57)) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return res;
}

/* Uniform in [0, n). */
static inline uint64_t bw_rng_below(bw_rng_t *r, uint64_t n)
{
    return n ? bw_rng_next(r) % n : 0;
}

/* Log-uniform in [lo, hi]: as many objects of 100-200 B as of 10-20 KiB. */
size_t bw_rng_logsize(bw_rng_t *r, size_t lo, size_t hi);

/* Touches every page of a fresh block (and its ends), as a program writing it would. */
void bw_touch(void *p, size_t n, uint64_t tag);

/* Scales a count, at least min. */
uint64_t bw_scaled(double scale, uint64_t full, uint64_t min);

#endif /* FLATLINE_BENCH_RUNNER_H */
