/*
 * src/common/fl_assert.h: flatline's assertions, in two levels (header-only, used by every
 * layer, the preload library included).
 *
 *   FL_ASSERT(cond)        cheap checks (a compare, a field read): on in every build, the default
 *                          release build included. Use for invariants whose violation would
 *                          corrupt data or memory silently.
 *   FL_DEBUG_ASSERT(cond)  checks that cost (walking a chain, a mallctl, lock-owner tracking):
 *                          on when FLATLINE_DEBUG is defined (CMake: -DFLATLINE_DEBUG=ON, the
 *                          default for Debug and sanitizer builds and for `make test`); compiled
 *                          out otherwise, with `cond` still type-checked but never evaluated.
 *   FL_DEBUG_ONLY(stmt)    a statement that exists only at the debug level (bookkeeping that
 *                          debug assertions read).
 *
 * A failed assertion prints "file:line: function: assertion `cond' failed" with write(2) (no
 * stdio, no allocation: safe inside the allocator interposer and under a held lock) and aborts.
 */
#ifndef FLATLINE_COMMON_FL_ASSERT_H
#define FLATLINE_COMMON_FL_ASSERT_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Prints the failure without allocating and aborts. Not for direct use. */
static inline void fl_assert_fail_(const char *file, int line, const char *func, const char *expr)
{
    char num[16];
    int n = 0;
    unsigned v = line > 0 ? (unsigned)line : 0u;
    char tmp[16];
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v && n < (int)sizeof(tmp));
    for (int i = 0; i < n; i++)
        num[i] = tmp[n - 1 - i];
    const char *parts[] = {file, ":", NULL, ": ", func, ": assertion `", expr, "' failed\n"};
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        const char *p = parts[i] ? parts[i] : num;
        size_t len = parts[i] ? strlen(p) : (size_t)n;
        if (write(2, p, len) < 0)
            break;
    }
    abort();
}

#define FL_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (__builtin_expect(!(cond), 0))                                                          \
            fl_assert_fail_(__FILE__, __LINE__, __func__, #cond);                                  \
    } while (0)

#ifdef FLATLINE_DEBUG
#define FL_DEBUG_ASSERT(cond) FL_ASSERT(cond)
#define FL_DEBUG_ONLY(stmt) stmt
#else
#define FL_DEBUG_ASSERT(cond) ((void)sizeof(!(cond)))
#define FL_DEBUG_ONLY(stmt)
#endif

#endif /* FLATLINE_COMMON_FL_ASSERT_H */
