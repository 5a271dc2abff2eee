/*
 * tests/acct/acct_stress.c: in-process checks of libflatline-acct.so's exact totals, run with
 * the library preloaded (LD_PRELOAD=libflatline-acct.so [allocator.so]). Each mode compares
 * fl_acct_get_totals() (looked up with dlsym, as any program would) before and after a workload
 * that frees everything it allocates: live usable bytes, live blocks and live requested bytes
 * must come back exactly to where they were.
 *
 *   exact   many threads allocate with every entry point and free each other's blocks
 *   churn   thousands of short-lived threads (per-thread state must be folded, not leaked)
 *   fork    a forked child accounts for itself from the parent's figures; the parent's totals
 *           are unaffected by what the child does
 *   dlopen  dlopen/dlclose a library in a loop
 *   edge    realloc(NULL, n), realloc(p, 0), failed allocations, zero sizes, reallocarray
 *   boot    dlsym/dlerror (which allocate) in a loop; blocks from before main are freed fine
 *   api     fl_acct_dump() writes a report; fl_acct_set_leak_threshold bounds
 *   sampled (run with FLATLINE_ACCT_SAMPLE=256: nearly every block sampled) threads free each
 *           other's sampled blocks while others sample: the workload's call site is live in a
 *           report before, and gone once every block is freed (no sampled block lost or kept)
 *   bound   requested bytes after frees of every size (an estimate then) lie within the error
 *           bound the library reports, on a heap whose free chunks are split and handed out
 *           whole; under glibc every block's slack is within acct_glibc_slack_max
 * Without the library preloaded it exits 77 (skipped).
 */
#include "../testhelper.h"

#include "acct_internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <flatline/acct.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

static fl_acct_get_totals_fn get_totals;

static fl_acct_totals_t totals(void)
{
    fl_acct_totals_t t;
    memset(&t, 0, sizeof t);
    get_totals(&t);
    return t;
}

/* Usable bytes, live blocks and counts are exact: back to exactly where they were. Requested
 * bytes are an estimate once blocks of the same usable size were freed (counters.c): exactly
 * back when the estimate has no error, otherwise within the bound the library reports. */
#define CHECK_SAME(a, b)                                                                           \
    do {                                                                                           \
        CHECK_EQ_I((b).usable - (a).usable, 0);                                                    \
        CHECK_EQ_I((b).blocks - (a).blocks, 0);                                                    \
        CHECK_EQ_U((b).allocs - (a).allocs, (b).frees - (a).frees);                                \
        int64_t th_d = (b).requested - (a).requested;                                              \
        int64_t th_bound =                                                                         \
            (a).requested_error > (b).requested_error ? (a).requested_error : (b).requested_error; \
        if (th_d < 0)                                                                              \
            th_d = -th_d;                                                                          \
        CHECK(th_d <= th_bound);                                                                   \
    } while (0)

/* Thread creation makes libc allocate each new thread's bookkeeping once (stacks and their
 * DTVs are cached for reuse): running the same number of threads once before the baseline
 * makes the later runs reuse them, so the totals must come back exactly. */
static void *nothing(void *arg)
{
    return arg;
}

static void warm_threads(int n)
{
    pthread_t th[16];
    for (int i = 0; i < n; i++)
        pthread_create(&th[i], NULL, nothing, NULL);
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

/* ---- exact: threads exchange blocks through a shared ring ---------------------------------- */

#define THREADS 8
#define ROUNDS 40000
#define RING 4096

static _Atomic(void *) ring[RING];
typedef void *(*mallocx_fn)(size_t, int);
typedef void (*dallocx_fn)(void *, int);
typedef void (*sdallocx_fn)(void *, size_t, int);
typedef void *(*rallocx_fn)(void *, size_t, int);
static mallocx_fn p_mallocx;
static dallocx_fn p_dallocx;
static sdallocx_fn p_sdallocx;
static rallocx_fn p_rallocx;

static void *one_alloc(unsigned r, unsigned *kind)
{
    size_t n = 1 + (r * 2654435761u) % (r % 16 == 0 ? 70000 : 600);
    void *p = NULL;
    *kind = r % 9;
    switch (*kind) {
    case 0:
        p = malloc(n);
        break;
    case 1:
        p = calloc(1 + r % 7, n);
        break;
    case 2:
        p = realloc(malloc(n), n * 2 + 1);
        break;
    case 3:
        if (posix_memalign(&p, 64, n))
            p = NULL;
        break;
    case 4:
        p = aligned_alloc(128, (n + 127) & ~(size_t)127);
        break;
    case 5:
        p = memalign(32, n);
        break;
    case 6:
        p = r % 64 == 6 ? valloc(n) : malloc(n);
        break;
    case 7:
        p = p_mallocx ? p_mallocx(n, r % 2 ? 0x40 : 4) : malloc(n);
        break;
    case 8:
        p = p_rallocx ? p_rallocx(malloc(n), n + 100, 0) : reallocarray(NULL, n, 3);
        break;
    }
    if (p)
        memset(p, (int)r, n < 64 ? n : 64);
    return p;
}

static void one_free(void *p, unsigned r)
{
    if (r % 5 == 0 && p_dallocx)
        p_dallocx(p, 0);
    else if (r % 5 == 1 && p_sdallocx)
        p_sdallocx(p, malloc_usable_size(p), 0);
    else if (r % 5 == 2)
        p = realloc(p, 0) /* frees (glibc) or returns a minimal block */, free(p);
    else
        free(p);
}

/* ---- bound: the requested bytes' estimate and its error bound ------------------------------ */

#define BOUND_BLOCKS 30000

/* Whether malloc is glibc's (no other allocator preloaded under the library). */
static bool malloc_is_glibc(void)
{
    return !dlsym(RTLD_DEFAULT, "mallctl") && !dlsym(RTLD_DEFAULT, "mi_malloc") &&
           !dlsym(RTLD_DEFAULT, "tc_malloc");
}

static void *bound_alloc(uint64_t *rng, size_t *req)
{
    *rng ^= *rng << 13, *rng ^= *rng >> 7, *rng ^= *rng << 17;
    size_t n = (size_t)(*rng % 7 == 0 ? *rng % 41 : *rng % 2000);
    *req = n;
    return (*rng >> 20) % 2 ? malloc(n) : calloc(1, n);
}

TEST(bound)
{
    static void *blk[BOUND_BLOCKS];
    static size_t req[BOUND_BLOCKS];
    uint64_t rng = 0x9E3779B97F4A7C15ull;
    bool glibc = malloc_is_glibc();
    fl_acct_totals_t a = totals();
    for (int i = 0; i < BOUND_BLOCKS; i++) {
        blk[i] = bound_alloc(&rng, &req[i]);
        CHECK(blk[i] != NULL);
    }
    /* two blocks in three freed, their chunks merged; the new ones are cut from them (split, or
     * handed out whole when the rest would be too small) */
    for (int i = 0; i < BOUND_BLOCKS; i++)
        if (i % 3)
            free(blk[i]), blk[i] = NULL;
    for (int i = 0; i < BOUND_BLOCKS; i++)
        if (i % 3 == 1) {
            blk[i] = bound_alloc(&rng, &req[i]);
            CHECK(blk[i] != NULL);
        }
    int64_t live_req = 0, live_blocks = 0;
    for (int i = 0; i < BOUND_BLOCKS; i++) {
        if (!blk[i])
            continue;
        live_req += (int64_t)req[i];
        live_blocks++;
        size_t usable = malloc_usable_size(blk[i]);
        CHECK(usable >= req[i]);
        if (glibc && usable < 16384)
            CHECK(usable - req[i] <= acct_glibc_slack_max(usable));
    }
    fl_acct_totals_t b = totals();
    CHECK_EQ_I(b.blocks - a.blocks, live_blocks);
    int64_t d = (b.requested - a.requested) - live_req;
    if (d < 0)
        d = -d;
    CHECK(b.requested_error > a.requested_error); /* (frees made the estimate one) */
    CHECK(d <= a.requested_error + b.requested_error);
    if (glibc) /* (a block's bound: an OR of slacks up to 40, or the rule's 31) */
        CHECK(b.requested_error - a.requested_error <= 63 * live_blocks);
    for (int i = 0; i < BOUND_BLOCKS; i++)
        free(blk[i]);
    CHECK_SAME(a, totals());
}

static void *exchanger(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg * 7919u + 1;
    for (unsigned i = 0; i < ROUNDS; i++) {
        unsigned r = seed + i * 31u, kind;
        void *p = one_alloc(r, &kind);
        if (!p)
            continue;
        /* swap into a random slot; free what was there (allocated by another thread) */
        void *old = atomic_exchange(&ring[(r * 40503u) % RING], p);
        if (old)
            one_free(old, r >> 3);
    }
    return NULL;
}

TEST(exact)
{
    warm_threads(THREADS);
    fl_acct_totals_t a = totals();
    pthread_t th[THREADS];
    for (uintptr_t i = 0; i < THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, exchanger, (void *)i) == 0);
    for (int i = 0; i < THREADS; i++)
        pthread_join(th[i], NULL);
    fl_acct_totals_t mid = totals();
    CHECK(mid.allocs - a.allocs >= (uint64_t)THREADS * ROUNDS);
    for (int i = 0; i < RING; i++) {
        void *p = atomic_exchange(&ring[i], NULL);
        if (p)
            free(p);
    }
    fl_acct_totals_t b = totals();
    CHECK_SAME(a, b);
}

/* ---- churn: thousands of short threads ------------------------------------------------------ */

static void *short_life(void *arg)
{
    void **slot = arg;
    void *mine = malloc(100);
    free(mine);
    *slot = malloc(200 + ((uintptr_t)slot & 0xff)); /* freed by the main thread */
    return NULL;
}

/* Resident bytes of this process (from /proc/self/statm). */
static long rss_bytes(void)
{
    long pages = 0, res = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &res) != 2)
            res = 0;
        fclose(f);
    }
    return res * sysconf(_SC_PAGESIZE);
}

TEST(churn)
{
    warm_threads(8);
    long rss0 = rss_bytes();
    fl_acct_totals_t a = totals();
    static void *slots[8];
    for (int round = 0; round < 400; round++) { /* 3200 threads, 8 at a time */
        pthread_t th[8];
        for (int i = 0; i < 8; i++)
            CHECK(pthread_create(&th[i], NULL, short_life, &slots[i]) == 0);
        for (int i = 0; i < 8; i++) {
            pthread_join(th[i], NULL);
            free(slots[i]);
        }
    }
    fl_acct_totals_t b = totals();
    CHECK_SAME(a, b);
    CHECK(b.allocs - a.allocs >= 2 * 3200);
    /* per-thread state is recycled: 3200 threads must not leave 3200 states (~14 KiB each) */
    CHECK(rss_bytes() - rss0 < 8L << 20);
}

/* ---- fork ------------------------------------------------------------------------------------ */

TEST(fork)
{
    void *kept = malloc(4096);
    int64_t kept_usable = (int64_t)malloc_usable_size(kept);
    fl_acct_totals_t a = totals();
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        /* the child accounts for itself, starting from the parent's figures */
        fl_acct_totals_t c0 = totals();
        free(kept);
        for (int i = 0; i < 10000; i++)
            free(malloc((size_t)i % 1000 + 1));
        void *p = malloc(1 << 20);
        fl_acct_totals_t c1 = totals();
        int ok = p && c0.blocks == a.blocks && c1.blocks == c0.blocks &&
                 c1.usable == c0.usable - kept_usable + (int64_t)malloc_usable_size(p);
        _exit(ok ? 0 : 3);
    }
    int st = 0;
    CHECK(waitpid(pid, &st, 0) == pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    fl_acct_totals_t b = totals();
    CHECK_SAME(a, b);
    free(kept);
    fl_acct_totals_t c = totals();
    CHECK_EQ_I(b.usable - c.usable, kept_usable);
    CHECK_EQ_I(b.blocks - c.blocks, 1);
}

/* ---- dlopen/dlclose -------------------------------------------------------------------------- */

TEST(dlopen)
{
    fl_acct_totals_t a = totals();
    int opened = 0;
    for (int i = 0; i < 50; i++) {
        void *h = dlopen("libz.so.1", RTLD_NOW | RTLD_LOCAL);
        if (!h)
            h = dlopen("libm.so.6", RTLD_NOW | RTLD_LOCAL);
        if (h) {
            opened++;
            dlclose(h);
        }
    }
    CHECK(opened == 50);
    fl_acct_totals_t b = totals();
    /* the loader may cache a little between opens; it must not grow with the loop */
    CHECK(b.blocks - a.blocks < 50);
}

/* ---- realloc and other edge cases ------------------------------------------------------------ */

TEST(edge)
{
    fl_acct_totals_t a = totals();
    char *p = realloc(NULL, 100); /* malloc */
    CHECK(p != NULL);
    memset(p, 1, 100);
    p = realloc(p, 100000); /* likely moves */
    CHECK(p != NULL && p[99] == 1);
    p = realloc(p, 10); /* shrink */
    CHECK(p != NULL && p[9] == 1);
    p = realloc(p, 0); /* glibc: frees, NULL; others: a minimal block */
    free(p);
    errno = 0;
    void *huge = malloc(SIZE_MAX / 2);
    CHECK(huge == NULL && errno == ENOMEM);
    errno = 1234; /* success leaves errno as the allocator leaves it (glibc: untouched) */
    void *small = malloc(10);
    CHECK(small != NULL && errno == 1234);
    free(small);
    CHECK(errno == 1234);
    volatile size_t big = SIZE_MAX / 8; /* volatile: the compiler must not see the overflow */
    CHECK(calloc(big, 16) == NULL);
    CHECK(reallocarray(NULL, big, 16) == NULL);
    void *q = malloc(64);
    CHECK(realloc(q, SIZE_MAX / 2) == NULL); /* failed: q is still live */
    free(q);
    free(NULL);
    void *z = malloc(0);
    free(z);
    void *al = NULL;
    CHECK(posix_memalign(&al, 3, 8) == EINVAL); /* bad alignment: nothing allocated */
    CHECK(posix_memalign(&al, 4096, 10) == 0 && ((uintptr_t)al & 4095) == 0);
    CHECK(malloc_usable_size(al) >= 10);
    free(al);
    fl_acct_totals_t b = totals();
    CHECK_SAME(a, b);
}

/* ---- dlsym bootstrap ------------------------------------------------------------------------- */

/* Writes the library's report now (FL_ACCT_DUMP) to a new file named from the mkstemp template
 * `path` and opens it for reading in *f (NULL after a failed check): the caller reads it,
 * closes it and unlinks path. */
static void report_now(char *path, FILE **f)
{
    *f = NULL;
    fl_acct_dump_fn dump = (fl_acct_dump_fn)dlsym(RTLD_DEFAULT, FL_ACCT_DUMP);
    CHECK(dump != NULL);
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ_I(dump(path), 0);
    *f = fopen(path, "r");
}

TEST(boot)
{
    fl_acct_totals_t a = totals();
    for (int i = 0; i < 200; i++) {
        CHECK(dlsym(RTLD_NEXT, "no_such_symbol_flatline") == NULL);
        CHECK(dlerror() != NULL); /* the message was allocated with malloc */
    }
    CHECK(dlsym(RTLD_DEFAULT, "malloc") != NULL);
    fl_acct_totals_t b = totals();
    CHECK(b.blocks - a.blocks <= 2); /* at most the last error message */

    /* The library's own lookups went through the bootstrap buffer (under glibc, dlsym of an
     * absent jemalloc function allocates its error message) and everything still works. */
    char path[] = "/tmp/flatline-acct-boot-XXXXXX";
    FILE *f;
    report_now(path, &f);
    CHECK(f != NULL);
    char line[256];
    long boot = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "bootstrap: %ld bytes", &boot) == 1)
            break;
    fclose(f);
    unlink(path);
    if (dlsym(RTLD_DEFAULT, "mallctl") == NULL)
        CHECK(boot > 0);
    else
        CHECK(boot >= 0); /* jemalloc underneath: every lookup may succeed without allocating */
}

/* ---- sampled: the sampled blocks' table under cross-thread frees -------------------------- */

#define SAMPLED_THREADS 6
#define SAMPLED_BLOCKS 12000 /* per thread: over 2^14 sampled blocks live, so the table grows */

static void *sampled_blocks[SAMPLED_THREADS][SAMPLED_BLOCKS];
static pthread_barrier_t sampled_barrier;

/* The workload's only call to malloc: its call site. Compiled at -O0 (no inlining or
 * reordering), so its code lies between its address and sampled_alloc_end's. */
__attribute__((noinline)) static void *sampled_alloc(size_t n)
{
    return malloc(n);
}
__attribute__((noinline)) static void sampled_alloc_end(void) {}

/* Thread i fills its row, waits for all rows, frees the next thread's row and fills its own
 * again, then waits: the rows stay live for the main thread to look at, then it frees them. */
static void *sampled_worker(void *arg)
{
    uintptr_t i = (uintptr_t)arg;
    for (int k = 0; k < SAMPLED_BLOCKS; k++)
        sampled_blocks[i][k] = sampled_alloc(64 + (k * 2654435761u + i) % 960);
    pthread_barrier_wait(&sampled_barrier);
    unsigned next = (unsigned)(i + 1) % SAMPLED_THREADS;
    for (int k = 0; k < SAMPLED_BLOCKS; k++) {
        free(sampled_blocks[next][k]);
        sampled_blocks[next][k] = NULL;
    }
    pthread_barrier_wait(&sampled_barrier);
    for (int k = 0; k < SAMPLED_BLOCKS; k++)
        sampled_blocks[next][k] = sampled_alloc(32 + (k * 40503u + i) % 2000);
    return NULL;
}

/* From a report now: the live bytes (MiB) of the sites whose first frame lies in
 * sampled_alloc (-1 without one) and the samples taken so far. */
static void sampled_report(double *live_mib, unsigned long long *samples)
{
    *live_mib = -1;
    char path[] = "/tmp/flatline-acct-sampled-XXXXXX";
    FILE *f;
    report_now(path, &f);
    CHECK(f != NULL);
    uintptr_t lo = (uintptr_t)sampled_alloc, hi = (uintptr_t)sampled_alloc_end;
    char line[1024];
    double site_mib = 0;
    int first_frame = 0;
    while (f && fgets(line, sizeof line, f)) {
        const char *est = strstr(line, "estimated from ");
        if (est)
            sscanf(est, "estimated from %llu samples", samples);
        if (sscanf(line, "  #%*d site %*u: live %lf", &site_mib) == 1) {
            first_frame = 1;
            continue;
        }
        const char *at = strstr(line, "at 0x");
        if (first_frame && at) {
            uintptr_t a = (uintptr_t)strtoull(at + 3, NULL, 16);
            if (a >= lo && a < hi)
                *live_mib = (*live_mib < 0 ? 0 : *live_mib) + site_mib;
            first_frame = 0;
        }
    }
    if (f)
        fclose(f);
    unlink(path);
}

TEST(sampled)
{
    const char *mean = getenv("FLATLINE_ACCT_SAMPLE");
    if (!mean || atoi(mean) > 4096) {
        printf("  (skipped: wants FLATLINE_ACCT_SAMPLE=256)\n");
        return;
    }
    CHECK((uintptr_t)sampled_alloc < (uintptr_t)sampled_alloc_end);
    warm_threads(SAMPLED_THREADS);
    unsigned long long samples0 = 0, samples1 = 0, samples2 = 0;
    double live0, live1, live2;
    sampled_report(&live0, &samples0);
    CHECK(live0 < 0);
    pthread_barrier_init(&sampled_barrier, NULL, SAMPLED_THREADS);
    pthread_t th[SAMPLED_THREADS];
    for (uintptr_t i = 0; i < SAMPLED_THREADS; i++)
        CHECK(pthread_create(&th[i], NULL, sampled_worker, (void *)i) == 0);
    for (int i = 0; i < SAMPLED_THREADS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&sampled_barrier);
    /* about 3/4 of 72000 live blocks of ~1 KiB are sampled: some 50 MiB estimated */
    sampled_report(&live1, &samples1);
    CHECK(live1 > 20);
    CHECK(samples1 - samples0 > 2 * SAMPLED_THREADS * SAMPLED_BLOCKS / 2);
    for (int i = 0; i < SAMPLED_THREADS; i++)
        for (int k = 0; k < SAMPLED_BLOCKS; k++)
            free(sampled_blocks[i][k]);
    sampled_report(&live2, &samples2);
    CHECK(live2 < 0);
}

/* ---- the API --------------------------------------------------------------------------------- */

static atomic_int callback_calls;
static void on_report(const char *text, size_t len, void *arg)
{
    (void)arg;
    if (len > 10 && strstr(text, "verdict:"))
        atomic_fetch_add(&callback_calls, 1);
}

TEST(api)
{
    fl_acct_dump_fn dump = (fl_acct_dump_fn)dlsym(RTLD_DEFAULT, FL_ACCT_DUMP);
    fl_acct_set_leak_threshold_fn thr =
        (fl_acct_set_leak_threshold_fn)dlsym(RTLD_DEFAULT, FL_ACCT_SET_LEAK_THRESHOLD);
    fl_acct_set_report_callback_fn cb =
        (fl_acct_set_report_callback_fn)dlsym(RTLD_DEFAULT, FL_ACCT_SET_REPORT_CALLBACK);
    CHECK(dump && thr && cb);
    CHECK_EQ_I(thr(1ull << 51), -ERANGE);
    CHECK_EQ_I(thr(8 << 20), 0);
    CHECK_EQ_I(cb(on_report, NULL), 0);
    char path[] = "/tmp/flatline-acct-api-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_EQ_I(dump(path), 0);
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    char buf[4096] = {0};
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    unlink(path);
    CHECK(n > 100 && strstr(buf, "verdict:") && strstr(buf, "requested"));
    CHECK(atomic_load(&callback_calls) == 1);
    CHECK(dump("/nonexistent-dir/x/report.txt") == -ENOENT);
    CHECK_EQ_I(cb(NULL, NULL), 0);
}

int main(int argc, char **argv)
{
    get_totals = (fl_acct_get_totals_fn)dlsym(RTLD_DEFAULT, FL_ACCT_GET_TOTALS);
    if (!get_totals)
        TEST_SKIP("libflatline-acct.so is not preloaded");
    p_mallocx = (mallocx_fn)dlsym(RTLD_DEFAULT, "mallctl")
                    ? (mallocx_fn)dlsym(RTLD_DEFAULT, "mallocx")
                    : NULL;
    if (p_mallocx) {
        p_dallocx = (dallocx_fn)dlsym(RTLD_DEFAULT, "dallocx");
        p_sdallocx = (sdallocx_fn)dlsym(RTLD_DEFAULT, "sdallocx");
        p_rallocx = (rallocx_fn)dlsym(RTLD_DEFAULT, "rallocx");
    }
    const char *mode = argc > 1 ? argv[1] : "all";
    int all = !strcmp(mode, "all");
    if (all || !strcmp(mode, "exact"))
        RUN(exact);
    if (all || !strcmp(mode, "churn"))
        RUN(churn);
    if (all || !strcmp(mode, "fork"))
        RUN(fork);
    if (all || !strcmp(mode, "dlopen"))
        RUN(dlopen);
    if (all || !strcmp(mode, "edge"))
        RUN(edge);
    if (all || !strcmp(mode, "boot"))
        RUN(boot);
    if (all || !strcmp(mode, "api"))
        RUN(api);
    if (all || !strcmp(mode, "sampled"))
        RUN(sampled);
    if (all || !strcmp(mode, "bound"))
        RUN(bound);
    return TEST_REPORT();
}
