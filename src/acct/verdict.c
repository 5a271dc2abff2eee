/*
 * src/acct/verdict.c: why memory grew, decided from the figures (a pure function).
 *
 * The excess of RSS (less what the process held before accounting started) over the requested
 * bytes splits, in flatline/mem.h's order (docs/design.md), into
 *   rounding = allocated - requested   (size classes)
 *   holes    = active - allocated      (free space inside pages that hold live objects)
 *   held     = resident - active       (free pages the allocator keeps: dirty, muzzy, caches)
 *   outside  = RSS - base - resident   (stacks, mmap'd files, code, other allocators)
 * Verdict: LEAK when some call site is leaking (trend.c's test, run by the leak watch); otherwise
 * HEALTHY when the excess is small (under healthy_bytes, or RSS under 1.5x requested: glibc's
 * chunk headers alone cost 25% on small blocks);
 * otherwise the largest term names it: rounding or holes FRAGMENTATION, held PAGES_HELD,
 * outside OUTSIDE_HEAP. When the allocator does not expose active/resident, holes and held
 * cannot be told apart (HEAP_OVERHEAD), except that holes need live blocks next to them: overhead
 * beyond two pages per live block is held pages.
 */
#include "acct_internal.h"

static int64_t pos(int64_t v)
{
    return v > 0 ? v : 0;
}

void acct_verdict(const acct_verdict_in_t *in, acct_verdict_out_t *out)
{
    const acct_figures_t *f = &in->now;
    int64_t base = in->rss_base > 0 ? in->rss_base : 0;
    int64_t rss = f->rss > base ? f->rss - base : 0;
    int64_t allocated = f->allocated >= 0 ? f->allocated : f->usable;
    out->excess = rss - pos(f->requested);
    out->rounding = pos(allocated - f->requested);
    out->holes = out->held = out->outside = out->heap = -1;
    int64_t heap_top = allocated;
    if (f->active >= 0) {
        out->holes = pos(f->active - allocated);
        heap_top = f->active;
    }
    if (f->resident >= 0) {
        out->held = pos(f->resident - heap_top);
        out->outside = pos(rss - f->resident);
        if (out->holes < 0) {
            out->heap = out->held; /* resident known, active not: cannot split */
            out->held = -1;
        }
    } else {
        /* nothing between allocated and RSS is known */
        out->heap = pos(rss - allocated);
    }
    if (out->heap > 0) {
        /* Holes need live blocks around them: a live block keeps at most two pages beyond its
         * own resident, so overhead beyond that bound is free pages held, whatever the allocator.
         */
        int64_t page = in->page > 0 ? in->page : 4096;
        int64_t pinned = pos(f->usable) + pos(f->blocks) * 2 * page;
        if (out->heap > pinned) {
            out->held = pos(out->held) + out->heap - pinned;
            out->heap = pinned;
        }
    }

    if (in->leak_sites > 0) {
        out->verdict = ACCT_LEAK;
        return;
    }
    if (out->excess <= in->healthy_bytes || out->excess <= pos(f->requested) / 2) {
        out->verdict = ACCT_HEALTHY;
        return;
    }
    int64_t frag = out->rounding + pos(out->holes);
    enum acct_verdict v = ACCT_FRAGMENTATION;
    int64_t best = frag;
    if (out->held > best) {
        best = out->held;
        v = ACCT_PAGES_HELD;
    }
    if (out->outside > best) {
        best = out->outside;
        v = ACCT_OUTSIDE_HEAP;
    }
    if (out->heap > best) {
        best = out->heap;
        v = ACCT_HEAP_OVERHEAD;
    }
    out->verdict = v;
}

const char *acct_verdict_name(enum acct_verdict v)
{
    switch (v) {
    case ACCT_HEALTHY:
        return "HEALTHY GROWTH";
    case ACCT_LEAK:
        return "LEAK";
    case ACCT_FRAGMENTATION:
        return "FRAGMENTATION";
    case ACCT_PAGES_HELD:
        return "PAGES HELD BY THE ALLOCATOR";
    case ACCT_OUTSIDE_HEAP:
        return "MEMORY OUTSIDE THE HEAP";
    case ACCT_HEAP_OVERHEAD:
        return "HEAP OVERHEAD (FRAGMENTATION OR HELD PAGES)";
    }
    return "?";
}
