/*
 * src/acct/api.c: flatline/acct.h, the run-time API a program may look up with dlsym.
 * Thin: every function forwards to the file that owns the state.
 */
#include "acct_lib.h"

#include <errno.h>
#include <flatline/acct.h>

ACCT_EXPORT int fl_acct_get_totals(fl_acct_totals_t *out)
{
    if (!out)
        return -EINVAL;
    acct_totals_t t;
    acct_busy_enter();
    acct_totals(&t);
    acct_busy_leave();
    out->requested = t.requested;
    out->requested_error = t.requested_error;
    out->usable = t.usable;
    out->blocks = t.blocks;
    out->allocs = t.allocs;
    out->frees = t.frees;
    out->reallocs = t.reallocs;
    return 0;
}

ACCT_EXPORT int fl_acct_set_leak_threshold(uint64_t bytes)
{
    const acct_opt_def_t *d = &acct_opt_defs[ACCT_OPT_LEAK];
    if (bytes < d->min || bytes > d->max)
        return -ERANGE;
    __atomic_store_n(&acct_opt[ACCT_OPT_LEAK], bytes, __ATOMIC_RELAXED);
    return 0;
}

ACCT_EXPORT int fl_acct_set_report_callback(fl_acct_report_cb cb, void *arg)
{
    acct_api_set_callback(cb, arg);
    return 0;
}

ACCT_EXPORT int fl_acct_dump(const char *path)
{
    return acct_api_dump(path);
}
