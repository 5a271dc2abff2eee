/*
 * tests/mem/mem_test_util.h: small helpers shared by the memory-layer tests: which jemalloc
 * arena owns a pointer, whether a sanitizer replaced malloc, and pointer bookkeeping.
 */
#ifndef FLATLINE_MEM_TEST_UTIL_H
#define FLATLINE_MEM_TEST_UTIL_H

#include <jemalloc/jemalloc.h>
#include <stdbool.h>

/* jemalloc arena index owning ptr (arenas.lookup), or ~0u on error. */
static inline unsigned tu_arena_of(const void *ptr)
{
    unsigned idx = ~0u;
    size_t sz = sizeof(idx);
    if (mallctl("arenas.lookup", &idx, &sz, (void *)&ptr, sizeof(ptr)) != 0)
        return ~0u;
    return idx;
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TU_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TU_SANITIZED 1
#endif
#endif
#ifndef TU_SANITIZED
#define TU_SANITIZED 0
#endif

#endif
