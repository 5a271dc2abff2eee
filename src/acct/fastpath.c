/*
 * src/acct/fastpath.c: malloc, calloc and free, the wrappers' common case (acct_tls_t).
 *
 * glibc underneath, a thread with a state outside our own code: malloc and calloc call the real
 * function, subtract the request from the sampling countdown, read the chunk header (the size
 * key) and add to its slot; free tests the block's filter bit, reads the key, adds to its slot
 * and tail-calls the real free. Every other case leaves by a tail call for interpose.c's slow
 * paths, which handle it whole. This file is compiled without frame pointers, always optimized
 * (CMakeLists.txt): a frame would cost malloc and calloc four instructions of a few dozen. The
 * frame-pointer walk of a sample (sample.c) stays whole because these functions call nothing
 * but the real allocator, and leave for the slow paths (which keep frame pointers) by sibling
 * calls, after restoring every register: the walk goes from the slow path's frame straight to
 * the program's call site. Invariants: those of interpose.c.
 */
#include "acct_lib.h"

#include <errno.h>
#include <flatline/trace.h>

ACCT_EXPORT void *malloc(size_t n)
{
    void *p = acct_malloc_entry(n);
    if (ACCT_UNLIKELY(p == NULL)) /* (acct_off: acct_on_alloc's slow path) */
        return p;
    return acct_on_alloc(p, n, FL_TOP_MALLOC, 0);
}

ACCT_EXPORT void free(void *p)
{
    /* Armed (acct_tls_t), the filter is acct_filter_words, acct_tls.fast is set and glibc is
     * underneath, so that its header is the size key; bootstrap, own and sampled blocks and NULL
     * are all behind the filter (acct_boot_alloc marks it). Parked, every bit is set. */
    if (ACCT_UNLIKELY(acct_filter_test(acct_tls.filter, p))) {
        acct_free_slow(p);
        return;
    }
    size_t key = acct_glibc_key(p);
    if (ACCT_UNLIKELY(!acct_key_in_slot(key))) {
        acct_free_slow(p);
        return;
    }
    acct_count_free_slot(acct_tls.fast, key);
    acct_real.free(p);
}

/* calloc(n, m) whose product overflows: the allocator reports it its way. */
static __attribute__((noinline, cold)) void *calloc_overflow(size_t n, size_t m)
{
    if (acct_real_init())
        return acct_real.calloc(n, m);
    errno = ENOMEM;
    return NULL;
}

ACCT_EXPORT void *calloc(size_t n, size_t m)
{
    size_t bytes;
    if (ACCT_UNLIKELY(__builtin_mul_overflow(n, m, &bytes)))
        return calloc_overflow(n, m);
    void *p = acct_calloc_entry(n, m);
    if (ACCT_UNLIKELY(p == NULL))
        return p;
    return acct_on_alloc(p, bytes, FL_TOP_CALLOC, 0);
}
