/*
 * src/acct/real.c: finds the allocator underneath (dlsym(RTLD_NEXT)) and serves the allocations
 * dlsym itself makes while we look it up.
 *
 * Invariants: acct_real is written only by the one thread that moves acct_ready from 0 to 1, and
 * published by the release store of 2. While it is 1, that thread's allocations come from the
 * static bootstrap buffer (a bump allocator: 16-byte header holding the size, blocks never
 * reused); other threads wait for 2. Bootstrap blocks are recognised by address at free/realloc.
 * acct_ready 3 means the lookup failed (no usable allocator): every call uses the buffer.
 * Missing optional functions (jemalloc's *allocx, valloc, pvalloc) stay NULL.
 */
#include "acct_lib.h"

#include <dlfcn.h>
#include <sched.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

acct_real_t acct_real;
ACCT_LINE atomic_int acct_ready;

/* malloc and calloc until the allocator is known: the lookup (or the bootstrap buffer for the
 * thread doing it, and for good when it failed), then the real function. */
static void *boot_malloc(size_t n)
{
    if (!acct_real_init())
        return acct_boot_alloc(n, 16);
    return acct_real.malloc(n);
}

static void *boot_calloc(size_t n, size_t m)
{
    if (!acct_real_init())
        return acct_boot_alloc(n * m, 16); /* (the caller checked the product) */
    return acct_real.calloc(n, m);
}

void *(*acct_malloc_entry)(size_t) = boot_malloc;
void *(*acct_calloc_entry)(size_t, size_t) = boot_calloc;
static pid_t lookup_tid; /* the thread doing the lookup; written before acct_ready becomes 1 */

#define BOOT_CAP ACCT_BOOT_CAP
char acct_boot_area[BOOT_CAP] __attribute__((aligned(64)));
static atomic_size_t boot_used;

void *acct_boot_alloc(size_t size, size_t align)
{
    if (align < 16)
        align = 16;
    if (size > BOOT_CAP || (align & (align - 1)))
        return NULL;
    size_t cur = atomic_load(&boot_used);
    for (;;) {
        size_t start = (cur + 16 + align - 1) & ~(align - 1); /* room for the header */
        size_t end = start + ((size + 15) & ~(size_t)15);
        if (end > BOOT_CAP)
            return NULL;
        if (atomic_compare_exchange_weak(&boot_used, &cur, end)) {
            char *p = acct_boot_area + start;
            memcpy(p - 16, &size, sizeof size);
            memset(p, 0, size); /* the area is static and never reused: already zero */
            acct_filter_add(ACCT_FILTER_BOOT, p, 1); /* free() looks here only on "maybe" */
            return p;
        }
    }
}

size_t acct_boot_used(void)
{
    return atomic_load(&boot_used);
}

size_t acct_boot_size(const void *p)
{
    size_t size;
    memcpy(&size, (const char *)p - 16, sizeof size);
    return size;
}

static void *must(const char *name)
{
    return dlsym(RTLD_NEXT, name);
}

int acct_glibc_header;

/* Whether glibc's malloc rounds requests of 0 to 127 bytes (and a few larger) as
 * acct_glibc_slack_max says: the common case counts malloc's and calloc's blocks without their
 * slack's OR on that rule (counters.c). */
static bool glibc_rounding_known(void)
{
    for (size_t n = 0; n < 160; n++) {
        size_t req = n < 128 ? n : 4000 + n;
        void *p = acct_real.malloc(req);
        if (!p)
            return false;
        size_t usable = acct_real.usable(p);
        acct_real.free(p);
        if (usable < req || usable - req > acct_glibc_slack_max(usable))
            return false;
    }
    return true;
}

/* Enables acct_key()'s header read, and the wrappers' common case, when the allocator is
 * glibc's, the header agrees with malloc_usable_size on blocks of every kind (small, large,
 * mmapped, aligned) and the rounding is the one acct_glibc_slack_max knows. */
static void check_glibc_header(void)
{
    static const size_t sizes[] = {0, 1, 24, 25, 100, 1000, 5000, 70000, 300000, 2 << 20};
    Dl_info di;
    if (!dladdr((void *)acct_real.malloc, &di) || !di.dli_fname || !strstr(di.dli_fname, "libc.so"))
        return;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *p = acct_real.malloc(sizes[i]);
        void *q = acct_real.memalign(4096, sizes[i]);
        if (!p || !q)
            return; /* stays off; the blocks are lost only if memory is exhausted */
        int ok = acct_key_usable(acct_glibc_key(p)) == acct_real.usable(p) &&
                 acct_key_usable(acct_glibc_key(q)) == acct_real.usable(q);
        acct_real.free(p);
        acct_real.free(q);
        if (!ok)
            return;
    }
    if (glibc_rounding_known())
        acct_glibc_header = 1;
}

int acct_je_sized;
int acct_je_classes;
uint16_t acct_je_small[ACCT_JE_SMALL / 8 + 1];

/* Enables acct_key_new()'s nallocx when malloc and nallocx are the same jemalloc and agree
 * with malloc_usable_size on a sweep of sizes and alignments. */
static void check_jemalloc_sizes(void)
{
    static const size_t sizes[] = {0,    1,    7,    8,     9,     16,     17,     100,
                                   1000, 4096, 5000, 16385, 70000, 300000, 5 << 20};
    Dl_info a, b;
    if (!acct_real.nallocx || !acct_real.mallocx || !acct_real.sallocx ||
        !dladdr((void *)acct_real.malloc, &a) || !dladdr((void *)acct_real.nallocx, &b) ||
        a.dli_fbase != b.dli_fbase)
        return;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        void *p = acct_real.malloc(sizes[i]);
        void *q = acct_real.mallocx(sizes[i] ? sizes[i] : 1, 12); /* 4 KiB aligned */
        int ok = p && q && acct_real.usable(p) == acct_real.nallocx(sizes[i] ? sizes[i] : 1, 0) &&
                 acct_real.usable(q) == acct_real.nallocx(sizes[i] ? sizes[i] : 1, 12) &&
                 acct_real.usable(p) == acct_real.sallocx(p, 0) &&
                 acct_real.usable(q) == acct_real.sallocx(q, 0);
        acct_real.free(p);
        if (q)
            acct_real.dallocx(q, 0);
        if (!ok)
            return;
    }
    for (size_t i = 0; i <= ACCT_JE_SMALL / 8; i++) {
        size_t u = acct_real.nallocx(i ? i * 8 : 1, 0);
        if (u > UINT16_MAX || u % 8 || (i && u < i * 8))
            return; /* not the size classes this table assumes */
        acct_je_small[i] = (uint16_t)u;
    }
    acct_je_sized = 1;
    /* Larger sizes: the four-classes-per-doubling formula, where it agrees with nallocx around
     * every class boundary of every doubling up to ACCT_JE_CLASSES_MAX. */
    for (unsigned k = 12; k < 40; k++) {
        size_t base = (size_t)1 << k, delta = base >> 2;
        const size_t offs[] = {
            1, delta - 1, delta, delta + 1, 2 * delta + 7, 3 * delta + 1, 4 * delta - 1, 4 * delta};
        for (size_t j = 0; j < sizeof offs / sizeof offs[0]; j++) {
            size_t sz = base + offs[j];
            if (sz > ACCT_JE_SMALL && acct_je_class_of(sz) != acct_real.nallocx(sz, 0))
                return;
        }
    }
    acct_je_classes = 1;
}

bool acct_real_init_slow(void)
{
    int expect = 0;
    pid_t me = (pid_t)syscall(SYS_gettid);
    if (atomic_compare_exchange_strong(&acct_ready, &expect, 1)) {
        lookup_tid = me;
        acct_real_t r;
        memset(&r, 0, sizeof r);
        r.malloc = (void *(*)(size_t))must("malloc");
        r.free = (void (*)(void *))must("free");
        r.calloc = (void *(*)(size_t, size_t))must("calloc");
        r.realloc = (void *(*)(void *, size_t))must("realloc");
        r.posix_memalign = (int (*)(void **, size_t, size_t))must("posix_memalign");
        r.aligned_alloc = (void *(*)(size_t, size_t))must("aligned_alloc");
        r.memalign = (void *(*)(size_t, size_t))must("memalign");
        r.valloc = (void *(*)(size_t))must("valloc");
        r.pvalloc = (void *(*)(size_t))must("pvalloc");
        r.usable = (size_t(*)(void *))must("malloc_usable_size");
        r.mallocx = (void *(*)(size_t, int))must("mallocx");
        r.rallocx = (void *(*)(void *, size_t, int))must("rallocx");
        r.xallocx = (size_t(*)(void *, size_t, size_t, int))must("xallocx");
        r.sallocx = (size_t(*)(const void *, int))must("sallocx");
        r.dallocx = (void (*)(void *, int))must("dallocx");
        r.sdallocx = (void (*)(void *, size_t, int))must("sdallocx");
        r.nallocx = (size_t(*)(size_t, int))must("nallocx");
        acct_real = r;
        if (!r.malloc || !r.free || !r.calloc || !r.realloc || !r.usable) {
            static const char msg[] = "flatline-acct: cannot find the allocator underneath "
                                      "(malloc/free/malloc_usable_size); accounting is off\n";
            (void)!write(2, msg, sizeof msg - 1);
            /* Without them nothing can work: 3 sends every caller to the bootstrap buffer. */
            atomic_store_explicit(&acct_ready, 3, memory_order_release);
            return false;
        }
        /* the wrappers call these without testing acct_ready: a thread that sees the real
         * function early only calls it sooner (its slow path waits for acct_ready) */
        __atomic_store_n(&acct_malloc_entry, r.malloc, __ATOMIC_RELAXED);
        __atomic_store_n(&acct_calloc_entry, r.calloc, __ATOMIC_RELAXED);
        atomic_store_explicit(&acct_ready, 2, memory_order_release);
        check_glibc_header(); /* (acct_detour is updated by the constructor, monitor.c) */
        check_jemalloc_sizes();
        return true;
    }
    if (expect == 1 && lookup_tid == me)
        return false; /* dlsym calling back into us */
    int state;
    while ((state = atomic_load_explicit(&acct_ready, memory_order_acquire)) == 1)
        sched_yield(); /* another thread is looking up: only at start-up */
    return state == 2;
}
