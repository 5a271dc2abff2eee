/*
 * src/acct/options.c: the one table of flatline-acct's tunable options. The driver parses them
 * from its command line and passes each to the library in its environment variable; the
 * library reads the same variables. Every value is bounded here, nowhere else.
 */
#include "acct_internal.h"

#include <errno.h>
#include <stdlib.h>

const acct_opt_def_t acct_opt_defs[ACCT_OPT_N] = {
    [ACCT_OPT_INTERVAL] = {"interval", "FLATLINE_ACCT_INTERVAL_MS", 1000, 10, 3600000, 0,
                           "milliseconds between time-series samples"},
    [ACCT_OPT_SAMPLE] = {"sample", "FLATLINE_ACCT_SAMPLE", 64 * 1024, 0, 1ull << 40, 1,
                         "mean bytes allocated between call-site samples (0: no call sites)"},
    [ACCT_OPT_LEAK] = {"leak-threshold", "FLATLINE_ACCT_LEAK_THRESHOLD", 256ull << 10, 0,
                       1ull << 50, 1,
                       "least growth of a site's live bytes (lower 95 % bound, over the second "
                       "half of the run) called a leak, once the sign test says it grows"},
    [ACCT_OPT_HEALTHY] = {"healthy", "FLATLINE_ACCT_HEALTHY", 16ull << 20, 0, 1ull << 50, 1,
                          "excess of RSS over requested bytes that is still healthy"},
    [ACCT_OPT_DEPTH] = {"depth", "FLATLINE_ACCT_DEPTH", 12, 1, 32, 0,
                        "stack frames kept per call site"},
    [ACCT_OPT_SIGNAL] = {"signal", "FLATLINE_ACCT_SIGNAL", 12, 0, 64, 0,
                         "signal that asks for a report now (0: none; 12 is SIGUSR2)"},
    [ACCT_OPT_TOP] = {"top", "FLATLINE_ACCT_TOP", 10, 1, 100, 0, "call sites listed in a report"},
    [ACCT_OPT_UNWIND] = {"unwind", "FLATLINE_ACCT_UNWIND", 2, 0, 2, 0,
                         "stacks by 0: frame pointers (fast), 1: backtrace() (slow, for code "
                         "built without frame pointers), 2: frame pointers, switching to "
                         "backtrace() when they are missing"},
};

int acct_opt_parse(int idx, const char *text, uint64_t *out)
{
    const acct_opt_def_t *d = &acct_opt_defs[idx];
    if (!text || !*text || *text == '-' || *text == '+')
        return -EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno || end == text)
        return -EINVAL;
    if (d->is_size && *end) {
        unsigned shift = 0;
        switch (*end) {
        case 'k':
        case 'K':
            shift = 10;
            break;
        case 'm':
        case 'M':
            shift = 20;
            break;
        case 'g':
        case 'G':
            shift = 30;
            break;
        default:
            return -EINVAL;
        }
        end++;
        if (*end == 'i' && end[1] == 'B')
            end += 2;
        else if (*end == 'B')
            end++;
        if (v > (~0ull >> shift))
            return -ERANGE;
        v <<= shift;
    }
    if (*end)
        return -EINVAL;
    if (v < d->min || v > d->max)
        return -ERANGE;
    *out = v;
    return 0;
}
