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
 * reentrancy guard (acct_tls.busy) around anything that may allocate (backtrace, dladdr, stdio).
 */
#ifndef FLATLINE_ACCT_INTERNAL_H
#define FLATLINE_ACCT_INTERNAL_H

#include <math.h>
#include <sched.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include <flatline/mem.h>

#define ACCT_EXPORT __attribute__((visibility("default")))
#define ACCT_TLS __attribute__((tls_model("initial-exec")))
/* Starts a variable on a cache line of its own: a lock or a word written at run time does not
 * share a line with the words every allocation reads. */
#define ACCT_LINE __attribute__((aligned(64)))
#define ACCT_LIKELY(x) __builtin_expect(!!(x), 1)
#define ACCT_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* A spin lock (test and test-and-set) for sections of a few dozen instructions, where a pthread
 * mutex's lock and unlock cost more than the work they protect. A waiter spins briefly, then
 * yields, so a holder preempted on a busy machine gets its core back. *held: 0 free, 1 held. */
static inline void acct_spin_lock(int *held)
{
    unsigned spins = 0;
    while (__atomic_exchange_n(held, 1, __ATOMIC_ACQUIRE)) {
        while (__atomic_load_n(held, __ATOMIC_RELAXED)) {
            if (++spins < 100) {
#if defined(__x86_64__) || defined(__i386__)
                __builtin_ia32_pause();
#endif
            } else {
                sched_yield();
            }
        }
    }
}

static inline void acct_spin_unlock(int *held)
{
    __atomic_store_n(held, 0, __ATOMIC_RELEASE);
}

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

/* One sample of the memory breakdown: the fields of flatline/mem.h's FL_MEM_BYTES (the one
 * vocabulary, in its order), then what only the accountant knows. Unknown figures are -1. */
typedef struct acct_figures {
    double t; /* seconds since the library started */
#define ACCT_FIGURES_FIELD_(field, name, doc) int64_t field;
    FL_MEM_BYTES(ACCT_FIGURES_FIELD_)
#undef ACCT_FIGURES_FIELD_
    int64_t usable;          /* live usable bytes, exact */
    int64_t blocks;          /* live blocks, exact */
    int64_t allocs, frees;   /* counts of allocations and frees */
    int64_t mapped;          /* the allocator's mapped bytes (not in the time series) */
    int64_t requested_error; /* requested is exact within +- this (not in the time series) */
    int64_t reallocs;        /* count of reallocations (not in the time series) */
    int approximate;         /* allocator figures are estimates (glibc mallinfo2) */
} acct_figures_t;

/* ---- The time series and ratios (figures.c) ---------------------------------------------- */

/* The columns of timeseries.csv: "t_s", the FL_MEM_BYTES names, then usable, blocks, allocs,
 * frees. Readers find columns by the header's names, never by position. */
typedef struct acct_column {
    const char *name;
    size_t offset; /* of the int64_t in acct_figures_t (t_s: the double t) */
} acct_column_t;
extern const acct_column_t acct_columns[];
extern const int acct_ncolumns;

/* The header line and one data line (with '\n'). Return the length written (< cap). */
size_t acct_csv_header(char *buf, size_t cap);
size_t acct_csv_line(char *buf, size_t cap, const acct_figures_t *f);
/* Maps the header's columns to acct_columns indexes (map[i] = -1 for a column we do not know).
 * Returns the number of columns, or -1 without a "t_s" column. map holds 64 entries. */
int acct_csv_map(const char *header, int map[64]);
/* Parses one data line with the header's map into f (figures the file lacks are -1).
 * Returns 0 or -1 for a malformed line. */
int acct_csv_parse(const char *line, const int map[64], int ncols, acct_figures_t *f);

/* A figure by its FL_MEM_BYTES name, or -1 for an unknown name or figure. */
int64_t acct_figure(const acct_figures_t *f, const char *name, size_t len);
/* The value of an FL_MEM_RATIOS formula "a/b" over f: 1.0 when b is 0, -1 when a figure is
 * unknown. */
double acct_ratio(const acct_figures_t *f, const char *formula);

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

/* ---- The growth test (trend.c) ------------------------------------------------------------ */

/* Significance of the tests (one-sided): the long window's test is Bonferroni-corrected over the
 * sites tested in it, the recent window's over the sites that passed the long one. */
#define ACCT_TREND_ALPHA 0.01

/* P(X >= births) for X ~ Binomial(births + deaths, 1/2): the p-value of "this site's samples
 * are born more often than they die" (1.0 without births). */
double acct_sign_test_p(uint64_t births, uint64_t deaths);
/* 1.96 sqrt(variance): the 95 % bound of an estimate with that variance (0 for none). */
double acct_bound95(double variance);

/* One site over two windows ending now: the long one (the second half of the run) and the
 * recent one (the last quarter), with the process's exact live bytes over the same windows. */
typedef struct acct_trend_in {
    uint64_t long_births, long_deaths, recent_births, recent_deaths; /* sample events */
    double long_growth, long_growth_var; /* estimated growth of live bytes, its variance */
    double recent_growth;
    int64_t long_total_growth, recent_total_growth; /* exact growth of live usable bytes */
    uint64_t min_growth; /* the leak threshold: least growth (lower bound) called a leak */
    int tested;          /* sites with sample events in the long window */
    int candidates;      /* sites that passed the long window's test */
    int was_leaking;     /* the previous decision (a leaking site is held to uncorrected tests) */
} acct_trend_in_t;

typedef struct acct_trend_out {
    double p_long, p_recent; /* the sign tests' p-values */
    int site_growing;        /* both tests significant, growth positive and above min_growth */
    int total_agrees;        /* the exact totals grew too */
} acct_trend_out_t;

/* Decides whether a site is leaking (returns 1: site_growing and total_agrees). Pure. */
int acct_trend_decide(const acct_trend_in_t *in, acct_trend_out_t *out);

/* ---- Size buckets and keys (counters.c, the wrappers and the unit tests) ---------------- */

/* Usable sizes outside the slots (below): up to 1024 one bucket per 8 bytes; above, 8 buckets
 * per power of two. */
#define ACCT_NBUCKETS (129 + 8 * 54)

static inline unsigned acct_bucket(size_t usable)
{
    if (usable <= 1024)
        return (unsigned)((usable + 7) >> 3);
    unsigned k = 63u - (unsigned)__builtin_clzll((unsigned long long)usable); /* >= 10 */
    return 129u + (k - 10u) * 8u + (unsigned)((usable >> (k - 3)) & 7u);
}

/* Size keys. The hot path does not compute a usable size: it reads a key, a word that encodes
 * it, and counts most blocks in a slot indexed by the key itself. A key is what glibc's chunk
 * header holds (chunk size = usable + 8, with flag bits 0..2: PREV_INUSE, IS_MMAPPED,
 * NON_MAIN_ARENA), so that for glibc the header word read next to the block is the key; for
 * the other allocators it is usable + 8, with ACCT_KEY_ODD set when usable is not a multiple of
 * 8 (then no flag bit is set). A key whose only bits are in ACCT_SLOT_KEY_BITS (a multiple-of-8
 * usable size below 16 KiB, not mmapped: every glibc and jemalloc size class there, and most
 * of any program's blocks) is counted in slot key >> 3, whose usable size is implied exactly
 * (acct_slot_usable); any other key in the bucket of its usable size (acct_bucket), its usable
 * bytes added to usable_big. */
#define ACCT_SLOTS 2048 /* 64 KiB of counters a thread; pages untouched until it counts there */
#define ACCT_SLOT_KEY_BITS ((size_t)0x3FF8 | 5)
#define ACCT_KEY_ODD ((size_t)1 << 63)

/* Whether a key is counted in slot key >> 3. */
static inline int acct_key_in_slot(size_t key)
{
    return (key & ~ACCT_SLOT_KEY_BITS) == 0;
}

static inline uint64_t acct_slot_usable(unsigned slot)
{
    return slot ? ((uint64_t)slot << 3) - 8 : 0; /* slot 0 is never used */
}

/* The most that 64-bit glibc's malloc and calloc leave between a request and the usable size of
 * the chunk they return, by that usable size (not mmapped). A chunk is the request plus its
 * 8-byte header rounded up to 16 bytes, at least 32, and glibc hands out 16 bytes more when
 * splitting them off would leave less than a least chunk: a chunk of usable U >= 56 holds a
 * request of at least U - 31; the least chunk (U = 24) any request up to 24, and the one above
 * it (U = 40, the least chunk and 16 more) any request up to 40. real.c checks the rule against
 * the glibc underneath before the wrappers' common case relies on it (counters.c). */
static inline uint64_t acct_glibc_slack_max(uint64_t usable)
{
    return usable <= 40 ? usable : 31;
}

/* The key of a block of the given usable size (below 2^63 - 8; not from glibc's header). */
static inline size_t acct_key_of_usable(size_t usable)
{
    return (usable + 8) | ((usable & 7) ? ACCT_KEY_ODD : 0);
}

/* The usable size a key stands for. */
static inline size_t acct_key_usable(size_t key)
{
    if (key & ACCT_KEY_ODD)
        return (key & ~ACCT_KEY_ODD) - 8;
    /* glibc's own arithmetic for a chunk in use: an mmapped chunk's header is 16 bytes */
    return (key & ~(size_t)7) - 8 - ((key & 2) << 2);
}

/* ---- Sampling arithmetic (sample.c's hot path; checked against libm by acct_unit) -------- */

/* 1 - exp(-x) for x > 0: the chance that a block of x means is sampled. Below x = 1/4 (blocks
 * under 16 KiB at the default mean) by its series, 8 terms (relative error under x^8 / 9!,
 * 4e-11), a sixth of expm1's instructions. */
static inline double acct_sample_prob(double x)
{
    if (x >= 0.25)
        return -expm1(-x);
    double r = 1.0 - x * (1.0 / 8);
    r = 1.0 - x * (1.0 / 7) * r;
    r = 1.0 - x * (1.0 / 6) * r;
    r = 1.0 - x * (1.0 / 5) * r;
    r = 1.0 - x * (1.0 / 4) * r;
    r = 1.0 - x * (1.0 / 3) * r;
    r = 1.0 - x * (1.0 / 2) * r;
    return x * r;
}

/* -ln(u) for u in [2^-54, 1): with u = m 2^e, m in [sqrt(1/2), sqrt(2)), ln m = 2 atanh(x) for
 * x = (m - 1) / (m + 1), |x| < 0.172, by its series to x^11 (absolute error under 2e-11): the
 * sampling distance's exponential variate at half the cost of libm's log. */
static inline double acct_neg_log(double u)
{
    uint64_t bits;
    memcpy(&bits, &u, sizeof bits);
    int e = (int)(bits >> 52) - 1023;
    bits = (bits & 0x000FFFFFFFFFFFFFull) | 0x3FF0000000000000ull; /* m in [1, 2) */
    double m;
    memcpy(&m, &bits, sizeof m);
    if (m > 1.4142135623730951) {
        m *= 0.5;
        e++;
    }
    double x = (m - 1.0) / (m + 1.0), x2 = x * x;
    double s = 1.0 / 11;
    s = 1.0 / 9 + x2 * s;
    s = 1.0 / 7 + x2 * s;
    s = 1.0 / 5 + x2 * s;
    s = 1.0 / 3 + x2 * s;
    s = 1.0 + x2 * s;
    return -((double)e * 0.69314718055994531 + 2.0 * x * s);
}

/* ---- The driver (driver.c, symbolize.c) -------------------------------------------------- */

/* Rewrites the frame lines of a report ("at 0xADDR (MODULE+0xOFF) ...") in place into
 * "at function (file:line) [module]" with libdw (dwarf.c). Returns frames resolved, or -errno. */
int acct_symbolize_file(const char *path);
/* Closes the modules acct_symbolize_file keeps open between files (opening one is its cost). */
void acct_symbolize_release(void);
#endif /* FLATLINE_ACCT_INTERNAL_H */
