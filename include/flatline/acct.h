/*
 * flatline/acct.h: the optional run-time API of libflatline-acct.so, the accounting library that
 * `flatline-acct -- program` preloads (see src/acct/).
 *
 * A program never links against it: when it wants to talk to the accountant it looks the
 * functions up at run time, and runs unchanged without it:
 *
 *     fl_acct_dump_fn dump = (fl_acct_dump_fn)dlsym(RTLD_DEFAULT, FL_ACCT_DUMP);
 *     if (dump) dump(NULL);
 *
 * Figures use flatline/mem.h's vocabulary (docs/design.md). Totals are exact for usable bytes,
 * live blocks and counts; requested bytes are exact while no block of the same usable size was
 * freed, exactly zero when everything was freed, and otherwise within requested_error of the
 * truth (see counters.c).
 *
 * Errors: functions return 0 or a negative errno value. Every function may be called from any
 * thread, but not from a signal handler.
 */
#ifndef FLATLINE_ACCT_H
#define FLATLINE_ACCT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Process-wide allocation totals since the library was loaded. */
typedef struct fl_acct_totals {
    int64_t requested;       /* live requested bytes */
    int64_t requested_error; /* |requested - exact requested| <= this */
    int64_t usable;          /* live usable bytes (malloc_usable_size of the allocator) */
    int64_t blocks;          /* live blocks */
    uint64_t allocs, frees, reallocs;
} fl_acct_totals_t;

/* Fills *out with the totals now. Returns 0, or -EINVAL when out is NULL. */
int fl_acct_get_totals(fl_acct_totals_t *out);
typedef int (*fl_acct_get_totals_fn)(fl_acct_totals_t *out);
#define FL_ACCT_GET_TOTALS "fl_acct_get_totals"

/* Sets the least growth of a call site's live bytes (lower 95 % bound) called a leak.
 * Returns 0, or -ERANGE outside the option's bounds (0 .. 1 PiB). */
int fl_acct_set_leak_threshold(uint64_t bytes);
typedef int (*fl_acct_set_leak_threshold_fn)(uint64_t bytes);
#define FL_ACCT_SET_LEAK_THRESHOLD "fl_acct_set_leak_threshold"

/* Called with the text of every report (on demand and at exit), from the thread that made it;
 * the text is valid only during the call. Must not call fl_acct_* itself. */
typedef void (*fl_acct_report_cb)(const char *text, size_t len, void *arg);

/* Registers cb (NULL removes it). Returns 0. */
int fl_acct_set_report_callback(fl_acct_report_cb cb, void *arg);
typedef int (*fl_acct_set_report_callback_fn)(fl_acct_report_cb cb, void *arg);
#define FL_ACCT_SET_REPORT_CALLBACK "fl_acct_set_report_callback"

/* Writes a report now: to path, or when path is NULL to the output directory's next
 * report-N.txt (or nowhere but the callback when running without an output directory).
 * Returns 0 or a negative errno (e.g. -EACCES for an unwritable path). */
int fl_acct_dump(const char *path);
typedef int (*fl_acct_dump_fn)(const char *path);
#define FL_ACCT_DUMP "fl_acct_dump"

#ifdef __cplusplus
}
#endif

#endif /* FLATLINE_ACCT_H */
