/*
 * src/acct/trend.c: the statistical test behind "this call site is still growing" (pure
 * functions of the core, unit-tested under ASan and TSan).
 *
 * The model. Call sites are observed through Poisson sampling by bytes: a block of s bytes is a
 * sample with probability p = 1 - exp(-s/mean) and then stands for w = s/p bytes. Over a window
 * of time a site's samples are born (sampled at allocation) and die (freed). If the site is not
 * growing (a bounded cache at its cap, steady turnover), births and deaths of its samples are
 * equally likely: given m = births + deaths events, the number of births is Binomial(m, 1/2).
 * A leak only gives births. So the test is the one-sided sign test on births against deaths,
 * exact for small m (sum of binomial terms in log space), normal with continuity correction for
 * large m. It needs no threshold in bytes and no model of the program's noise: sampling noise is
 * the binomial's own spread.
 *
 * The estimate. A site's live bytes are the Horvitz-Thompson sum L = sum of w over its live
 * samples, unbiased, with variance estimated by V = sum of (1 - p) w^2; its error bound is
 * 1.96 sqrt(V) (95 %). A window's growth is L(end) - L(start), whose variance is the sum of
 * (1 - p) w^2 over the samples born or dead in the window (each such sample changes it by w);
 * a rate is the growth over the window's duration, its bound the growth's bound over the same.
 */
#include "acct_internal.h"
#include "fl_assert.h"

#include <math.h>

double acct_sign_test_p(uint64_t births, uint64_t deaths)
{
    uint64_t m = births + deaths;
    if (births == 0 || m == 0)
        return 1.0;
    if (m > 2000) { /* normal approximation, continuity-corrected */
        double z = ((double)births - 0.5 - (double)m / 2) / sqrt((double)m / 4);
        return 0.5 * erfc(z / sqrt(2.0));
    }
    double lm = lgamma((double)m + 1) - (double)m * log(2.0), p = 0;
    for (uint64_t k = births; k <= m; k++)
        p += exp(lm - lgamma((double)k + 1) - lgamma((double)(m - k) + 1));
    FL_DEBUG_ASSERT(p >= 0);
    return p > 1 ? 1 : p;
}

double acct_bound95(double variance)
{
    return variance > 0 ? 1.96 * sqrt(variance) : 0;
}

int acct_trend_decide(const acct_trend_in_t *in, acct_trend_out_t *out)
{
    out->p_long = acct_sign_test_p(in->long_births, in->long_deaths);
    out->p_recent = acct_sign_test_p(in->recent_births, in->recent_deaths);
    double growth_low = in->long_growth - acct_bound95(in->long_growth_var);
    int tested = in->tested > 0 ? in->tested : 1;
    int candidates = in->candidates > 0 ? in->candidates : 1;
    if (in->was_leaking) {
        /* Hysteresis: a site found leaking stays so while the long window still grows
         * significantly (uncorrected) and the recent one grows at all, with the exact totals,
         * so that an answer near the thresholds does not flap with every interval's noise. */
        out->site_growing =
            out->p_long < ACCT_TREND_ALPHA && in->long_growth > 0 && in->recent_growth > 0;
        out->total_agrees = in->long_total_growth > 0 && in->recent_total_growth > 0;
        return out->site_growing && out->total_agrees;
    }
    out->site_growing = out->p_long < ACCT_TREND_ALPHA / tested &&
                        out->p_recent < ACCT_TREND_ALPHA / candidates && in->long_growth > 0 &&
                        in->recent_growth > 0 && growth_low >= (double)in->min_growth;
    /* The exact totals must agree: memory a site keeps must show in the process's live bytes,
     * over both windows, by at least half of what the site surely grew. */
    out->total_agrees = in->long_total_growth > 0 && in->recent_total_growth > 0 &&
                        (double)in->long_total_growth >= 0.5 * growth_low;
    return out->site_growing && out->total_agrees;
}
