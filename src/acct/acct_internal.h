/*
 * src/acct/acct_internal.h: what the files of the accounting layer share (prefix acct_).
 *
 * Two groups of files:
 *   - the core (options.c, verdict.c): pure functions, no interposition, linked into the preload
 *     library, the flatline-acct driver and the unit tests (they run under ASan and TSan);
 *   - the preload library libflatline-acct.so (real.c, interpose.c, counters.c, sample.c,
 *     trace.c, stats.c, report.c, monitor.c, api.c).
 *
 * Rules for library code: never call malloc on our own behalf (our memory comes from mmap), never
 * abort, never hold one of our locks while calling into the allocator, and set the per-thread
 * reentrancy guard (acct_busy) around anything that may allocate (backtrace, dladdr, stdio).
 */
#ifndef FLATLINE_ACCT_INTERNAL_H
#define FLATLINE_ACCT_INTERNAL_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define ACCT_EXPORT __attribute__((visibility("default")))
#define ACCT_TLS __attribute__((tls_model("initial-exec")))
#define ACCT_LIKELY(x) __builtin_expect(!!(x), 1)
#define ACCT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- Options (options.c): one bounded table shared by the driver and the library ---------- */

enum acct_opt {
    ACCT_OPT_INTERVAL, /* ms between time-series samples */
    ACCT_OPT_SAMPLE,   /* mean bytes between call-site samples; 0 = no sampling */
    ACCT_OPT_LEAK,     /* growth of a site's live bytes that makes it a possible leak */
    ACCT_OPT_HEALTHY,  /* excess of RSS over requested below which memory is healthy */
    ACCT_OPT_DEPTH,    /* frames kept per call site */
    ACCT_OPT_SIGNAL,   /* signal that asks for a report; 0 = none */
    ACCT_OPT_TOP,      /* call sites listed in a report */
    ACCT_OPT_UNWIND,   /* 0: frame pointers, 1: backtrace(), 2: auto (see sample.c) */
    ACCT_OPT_N
};

typedef struct acct_opt_def {
    const char *name; /* command-line name, without "--" */
    const char *env;  /* environment variable the driver passes it in */
    uint64_t def, min, max;
    int is_size; /* accepts K/M/G suffixes */
    const char *doc;
} acct_opt_def_t;

extern const acct_opt_def_t acct_opt_defs[ACCT_OPT_N];

/* Parses text as option idx's value into *out. Returns 0, -EINVAL (not a number) or -ERANGE. */
int acct_opt_parse(int idx, const char *text, uint64_t *out);

/* ---- Memory figures and the verdict (verdict.c) ----------------------------------------- */

/* One sample of the memory breakdown (DESIGN.md's vocabulary). Unknown figures are -1. */
typedef struct acct_figures {
    double t;               /* seconds since the library started */
    int64_t requested;      /* live requested bytes (see counters.c for its exactness) */
    int64_t usable;         /* live usable bytes, exact */
    int64_t blocks;         /* live blocks, exact */
    uint64_t allocs, frees; /* counts of allocations and frees */
    int64_t rss;            /* process RSS */
    int64_t allocated, active, resident, dirty, muzzy, retained, mapped, metadata;
    int approximate; /* allocator figures are estimates (glibc mallinfo2) */
} acct_figures_t;

enum acct_verdict {
    ACCT_HEALTHY,
    ACCT_LEAK,
    ACCT_FRAGMENTATION,
    ACCT_PAGES_HELD,
    ACCT_OUTSIDE_HEAP,
    ACCT_HEAP_OVERHEAD /* holes or held pages; the allocator does not say which */
};

typedef struct acct_verdict_in {
    acct_figures_t now;
    int64_t rss_base;      /* RSS when accounting started (code, libraries, early heap) */
    int64_t healthy_bytes; /* excess below this is healthy */
    int leak_sites;        /* call sites flagged as possible leaks at the end */
    int64_t leak_bytes;    /* their live growth */
    int64_t page;          /* page size (0: 4096) */
} acct_verdict_in_t;

typedef struct acct_verdict_out {
    enum acct_verdict verdict;
    int64_t excess;                               /* RSS - rss_base - requested */
    int64_t rounding, holes, held, outside, heap; /* excess terms; -1 when unknown */
} acct_verdict_out_t;

/* Decides the verdict from the figures (pure). */
void acct_verdict(const acct_verdict_in_t *in, acct_verdict_out_t *out);

/* Upper-case name of a verdict ("LEAK", ...). */
const char *acct_verdict_name(enum acct_verdict v);

/* ---- Size buckets (counters.c and the unit tests) ---------------------------------------- */

/* Usable sizes up to 1024 get one bucket per 8 bytes; above, 8 buckets per power of two. */
#define ACCT_NBUCKETS (129 + 8 * 54)

static inline unsigned acct_bucket(size_t usable)
{
    if (usable <= 1024)
        return (unsigned)((usable + 7) >> 3);
    unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)usable); /* >= 10 */
    return 129u + (k - 10u) * 8u + (unsigned)((usable >> (k - 3)) & 7u);
}

/* The usable size every block of bucket b has when b holds one size exactly (8 * b up to 1 KiB),
 * else 0. A usable size u <= 1024 that is not a multiple of 8 is in bucket (u + 7) / 8 all the
 * same: counters.c then keeps its difference from 8 * b apart. */
static inline uint64_t acct_bucket_implied(unsigned b)
{
    return b <= 128 ? (uint64_t)b << 3 : 0;
}

/* acct_bucket(usable) for the hot path, and in *extra the part of usable that the bucket does
 * not imply (usable == acct_bucket_implied(b) + *extra, modulo 2^64: it is "negative" for a
 * small size that is not a multiple of 8). Without a data-dependent branch: small and large
 * sizes come mixed at random in real programs, and a mispredicted branch costs more than the
 * few instructions computing both answers. */
static inline unsigned acct_bucket_x(size_t usable, uint64_t *extra)
{
    unsigned small = (unsigned)((usable + 7) >> 3);
    unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)(usable | 1024)); /* >= 10 */
    unsigned big = 129u + (k - 10u) * 8u + (unsigned)((usable >> (k - 3)) & 7u);
    uint64_t small_mask = -(uint64_t)(usable <= 1024); /* a mask, not a branch */
    *extra = usable - (((uint64_t)small << 3) & small_mask);
    return (unsigned)((small & small_mask) | (big & ~small_mask));
}

/* ---- The driver (driver.c, symbolize.c) -------------------------------------------------- */

/* Rewrites the frame lines of a report ("at 0xADDR (MODULE+0xOFF) ...") in place into
 * "at function (file:line) [module]" with addr2line. Returns frames resolved, or -errno. */
int acct_symbolize_file(const char *path);
#endif /* FLATLINE_ACCT_INTERNAL_H */
