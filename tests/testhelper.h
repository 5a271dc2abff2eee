/*
 * tests/testhelper.h: the tiny unit-test harness every white-box test uses.
 *
 *   TEST(name) { CHECK(cond); CHECK_EQ_U(a, b); ... }
 *   int main(void) { RUN(name); ...; return TEST_REPORT(); }
 *
 * A failed CHECK prints file:line and the expression and fails the current test, which stops.
 * TEST_REPORT() prints "N passed, N failed" and returns the exit code (0 when all passed).
 * TEST_SKIP(why) ends the whole program with code 77 (CTest: skipped), saying why.
 */
#ifndef FLATLINE_TESTHELPER_H
#define FLATLINE_TESTHELPER_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int th_passed, th_failed, th_current_failed;

/* TH_SANITIZED: 1 in ASan/TSan builds, where everything runs several times slower: tests that
 * need scale to mean anything (millions of keys) use a smaller scale there, the same code. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define TH_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define TH_SANITIZED 1
#endif
#endif
#ifndef TH_SANITIZED
#define TH_SANITIZED 0
#endif

#define TEST(name) static void test_##name(void)

#define RUN(name)                                                                                  \
    do {                                                                                           \
        th_current_failed = 0;                                                                     \
        test_##name();                                                                             \
        if (th_current_failed) {                                                                   \
            th_failed++;                                                                           \
            fprintf(stderr, "FAIL %s\n", #name);                                                   \
        } else {                                                                                   \
            th_passed++;                                                                           \
            fprintf(stderr, "ok   %s\n", #name);                                                   \
        }                                                                                          \
    } while (0)

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);               \
            th_current_failed = 1;                                                                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_U(a, b)                                                                           \
    do {                                                                                           \
        uintmax_t th_a = (uintmax_t)(a), th_b = (uintmax_t)(b);                                    \
        if (th_a != th_b) {                                                                        \
            fprintf(stderr, "%s:%d: %s == %s failed: %ju != %ju\n", __FILE__, __LINE__, #a, #b,    \
                    th_a, th_b);                                                                   \
            th_current_failed = 1;                                                                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_EQ_I(a, b)                                                                           \
    do {                                                                                           \
        intmax_t th_a = (intmax_t)(a), th_b = (intmax_t)(b);                                       \
        if (th_a != th_b) {                                                                        \
            fprintf(stderr, "%s:%d: %s == %s failed: %jd != %jd\n", __FILE__, __LINE__, #a, #b,    \
                    th_a, th_b);                                                                   \
            th_current_failed = 1;                                                                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define CHECK_STR(a, b)                                                                            \
    do {                                                                                           \
        const char *th_a = (a), *th_b = (b);                                                       \
        if (strcmp(th_a, th_b) != 0) {                                                             \
            fprintf(stderr, "%s:%d: %s == %s failed: \"%s\" != \"%s\"\n", __FILE__, __LINE__, #a,  \
                    #b, th_a, th_b);                                                               \
            th_current_failed = 1;                                                                 \
            return;                                                                                \
        }                                                                                          \
    } while (0)

#define TEST_SKIP(why)                                                                             \
    do {                                                                                           \
        fprintf(stderr, "skipped: %s\n", why);                                                     \
        exit(77);                                                                                  \
    } while (0)

#define TEST_REPORT()                                                                              \
    (fprintf(stderr, "%d passed, %d failed\n", th_passed, th_failed), th_failed ? 1 : 0)

#endif /* FLATLINE_TESTHELPER_H */
