/*
 * src/acct/report.c: the text of a report: verdict, memory breakdown in flatline/mem.h's order, top
 * call sites by net growth, leak-watch events. Built into a caller's buffer with acct_fmt (no
 * allocation); frames are printed as "at 0xADDR (MODULE+0xOFFSET)", a form the flatline-acct
 * driver rewrites to function and file:line after the program exits. Names are not looked up
 * here: the rolling report is rebuilt every interval, and dladdr's nearest-symbol search scans a
 * module's symbol table for each frame (symbols are the driver's job, with libdw, once).
 */
#include "acct_lib.h"

#include <dlfcn.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static double mib(int64_t v)
{
    return (double)v / 1048576.0;
}

/* The path of the main program (its link map's name is ""), read once. */
static const char *exe_path(void)
{
    static char exe[512];
    static atomic_int known;
    if (!atomic_load(&known)) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = 0;
        atomic_store(&known, 1); /* (two first callers write the same text) */
    }
    return exe;
}

size_t acct_frame_format(char *b, size_t cap, uintptr_t addr)
{
    struct dl_find_object fo;
    if (_dl_find_object((void *)addr, &fo) != 0 || !fo.dlfo_link_map)
        return acct_fmt(b, cap, "at %#lx", (unsigned long)addr);
    const char *mod = fo.dlfo_link_map->l_name;
    if (!mod || !mod[0]) /* the main program */
        mod = exe_path();
    return acct_fmt(b, cap, "at %#lx (%s+%#lx)", (unsigned long)addr, mod,
                    (unsigned long)(addr - (uintptr_t)fo.dlfo_map_start));
}

static size_t frame_text(char *b, size_t cap, uintptr_t addr)
{
    size_t len = acct_fmt(b, cap, "      ");
    len += acct_frame_format(b + len, cap - len, addr);
    return len + acct_fmt(b + len, cap - len, "\n");
}

static const char *explain(enum acct_verdict v)
{
    switch (v) {
    case ACCT_LEAK:
        return "the call sites marked LEAK below keep more memory than they free: their sampled "
               "blocks are born more often than they die over the second half and over the last "
               "quarter of the run (one-sided sign test), and the exact live bytes grew with them";
    case ACCT_FRAGMENTATION:
        return "the excess is free space inside pages that still hold live objects (and size-"
               "class rounding): the allocator cannot return it. Not a leak: live data is small";
    case ACCT_PAGES_HELD:
        return "the excess is free pages the allocator keeps (dirty/muzzy/cached) instead of "
               "returning them to the OS: not a leak, not fragmentation (jemalloc: purge or "
               "shorter dirty/muzzy decay; glibc: malloc_trim, fewer arenas; tcmalloc: release "
               "rate)";
    case ACCT_OUTSIDE_HEAP:
        return "the excess is outside the allocator's heap: mmap'd files or anonymous mappings, "
               "thread stacks, another allocator";
    case ACCT_HEAP_OVERHEAD:
        return "the excess is inside the heap, but this allocator does not say whether it is "
               "holes in pages (fragmentation) or free pages it keeps";
    case ACCT_HEALTHY:
        return "memory follows the live data: no call site keeps growing and the excess of RSS "
               "over requested bytes is small";
    }
    return "";
}

/* "== ... ==", allocator and verdict lines. */
static size_t report_head(char *buf, size_t cap, const acct_figures_t *f, const char *why,
                          const acct_verdict_out_t *v)
{
    char exe[256] = "?";
    ssize_t el = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (el > 0)
        exe[el] = 0;
    size_t n = acct_fmt(buf, cap, "== flatline-acct report: pid %d (%s), %s, after %.1f s ==\n",
                        (int)getpid(), exe, why, f->t);
    n += acct_fmt(buf + n, cap - n, "allocator: %s (%s)%s\n", acct_allocator_name,
                  acct_allocator_path, f->approximate ? ", its figures are estimates" : "");
    n += acct_fmt(buf + n, cap - n, "verdict: %s\n  %s.\n", acct_verdict_name(v->verdict),
                  explain(v->verdict));
    return n;
}

/* The memory breakdown: flatline/mem.h's fields and ratios, in its order, with its words. */
static size_t report_breakdown(char *buf, size_t cap, const acct_figures_t *f)
{
    size_t n = acct_fmt(buf, cap, "memory breakdown:\n");
#define BREAKDOWN_LINE_(field, name, doc)                                                          \
    if (f->field < 0)                                                                              \
        n += acct_fmt(buf + n, cap - n, "  %-16s %16s  %14s  %s\n", name, "n/a", "", doc);         \
    else                                                                                           \
        n += acct_fmt(buf + n, cap - n, "  %-16s %16lld  %10.1f MiB  %s\n", name,                  \
                      (long long)f->field, mib(f->field), doc);
    FL_MEM_BYTES(BREAKDOWN_LINE_)
#undef BREAKDOWN_LINE_
    n += acct_fmt(buf + n, cap - n,
                  "  requested is exact within +-%lld bytes; RSS before accounting started "
                  "%.1f MiB\n",
                  (long long)f->requested_error, mib(acct_rss_base));
#define RATIO_LINE_(field, name, formula, doc)                                                     \
    {                                                                                              \
        double r = acct_ratio(f, formula);                                                         \
        if (r >= 0)                                                                                \
            n += acct_fmt(buf + n, cap - n, "  %-16s %8.2f  = %-20s %s\n", name, r, formula, doc); \
    }
    FL_MEM_RATIOS(RATIO_LINE_)
#undef RATIO_LINE_
    return n;
}

/* The excess of RSS over requested, split into terms that add up to it exactly (each the
 * difference of two adjacent figures of the breakdown, so a term may be negative when the
 * allocator's figures are estimates); blocks released without free(). */
static size_t report_excess(char *buf, size_t cap, const acct_figures_t *f,
                            const acct_verdict_out_t *v)
{
    int64_t allocated = f->allocated >= 0 ? f->allocated : f->usable;
    size_t n = acct_fmt(
        buf, cap, "excess of RSS over requested, less RSS at start: %.1f MiB = ", mib(v->excess));
    if (f->active >= 0 && f->resident >= 0) {
        n += acct_fmt(buf + n, cap - n,
                      "rounding %.1f + holes %.1f + held %.1f + outside the heap %.1f"
                      " - RSS at start %.1f MiB\n",
                      mib(allocated - f->requested), mib(f->active - allocated),
                      mib(f->resident - f->active), mib(f->rss - f->resident), mib(acct_rss_base));
    } else if (f->resident >= 0) {
        n += acct_fmt(buf + n, cap - n,
                      "rounding %.1f + heap overhead (holes or held) %.1f + outside the heap %.1f"
                      " - RSS at start %.1f MiB\n",
                      mib(allocated - f->requested), mib(f->resident - allocated),
                      mib(f->rss - f->resident), mib(acct_rss_base));
    } else {
        n += acct_fmt(buf + n, cap - n,
                      "rounding %.1f + the rest (not split by this allocator) %.1f - RSS at "
                      "start %.1f MiB\n",
                      mib(allocated - f->requested), mib(f->rss - allocated), mib(acct_rss_base));
    }
    if (f->allocated >= 0 && !f->approximate && f->allocated + (1 << 20) < f->usable)
        n +=
            acct_fmt(buf + n, cap - n,
                     "note: the allocator holds %.1f MiB less than the program never freed: blocks "
                     "were released without free() (e.g. jemalloc arena.<i>.destroy or reset), so "
                     "requested and call-site figures overstate live data\n",
                     mib(f->usable - f->allocated));
    return n;
}

/* Allocation counts and the dlsym bootstrap. */
static size_t report_counts(char *buf, size_t cap, const acct_figures_t *f)
{
    size_t n = acct_fmt(buf, cap,
                        "counts: %llu allocations, %llu frees, %llu reallocs, %lld live blocks, "
                        "%.1f MiB live usable, peak requested %.1f MiB\n",
                        (unsigned long long)f->allocs, (unsigned long long)f->frees,
                        (unsigned long long)f->reallocs, (long long)f->blocks, mib(f->usable),
                        acct_peak_requested / 1048576.0);
    n += acct_fmt(buf + n, cap - n,
                  "bootstrap: %zu bytes served from the static buffer while dlsym looked up the "
                  "allocator\n",
                  acct_boot_used());
    return n;
}

/* One call site: its estimates with their 95 % bounds, its trend, its frames. */
static size_t report_site(char *buf, size_t cap, int rank, const acct_site_view_t *s)
{
    size_t n =
        acct_fmt(buf, cap,
                 "  #%d site %u: live %.2f +- %.2f MiB in %.0f +- %.0f blocks, %.1f +- %.1f "
                 "MiB allocated since start",
                 rank, s->id, s->live_bytes / 1048576.0, s->live_err / 1048576.0, s->live_blocks,
                 s->blocks_err, s->alloc_bytes / 1048576.0, s->alloc_err / 1048576.0);
    if (s->window_s > 0)
        n += acct_fmt(buf + n, cap - n, "; over the last %.0f s %+.1f +- %.1f KiB/s (p=%.1e)",
                      s->window_s, s->rate / 1024.0, s->rate_err / 1024.0, s->p_long);
    if (s->leaking)
        n += acct_fmt(buf + n, cap - n, "  [LEAK: growing since t=%.1fs]", s->flag_t);
    else if (s->offset)
        n += acct_fmt(buf + n, cap - n,
                      "  [growing, but the exact totals did not grow: other sites shrank]");
    n += acct_fmt(buf + n, cap - n, "\n");
    for (int j = 0; j < s->nframes && n + 512 < cap; j++)
        n += frame_text(buf + n, cap - n, s->frames[j] - 1); /* the call, not the return */
    return n;
}

/* The top call sites by net growth. Callers serialise reports (acct_report_now's lock), which
 * protects the static site table. */
static size_t report_sites(char *buf, size_t cap)
{
    static acct_site_view_t top[100];
    uint64_t samples, dropped;
    unsigned nsites;
    acct_sample_stats(&samples, &dropped, &nsites);
    if (!acct_sample_mean)
        return acct_fmt(buf, cap, "call sites: sampling is off\n");
    int k = acct_sites_top(top, (int)acct_opt[ACCT_OPT_TOP]);
    size_t n = acct_fmt(buf, cap,
                        "top call sites by live bytes (estimated from %llu samples, one per %llu "
                        "bytes on average; %u sites; +- is the 95 %% bound):\n",
                        (unsigned long long)samples, (unsigned long long)acct_sample_mean, nsites);
    for (int i = 0; i < k && n + 512 < cap; i++)
        n += report_site(buf + n, cap - n, i + 1, &top[i]);
    if (k == 0)
        n += acct_fmt(buf + n, cap - n, "  (no sampled block is live)\n");
    return n;
}

/* The leak watch's events so far. */
static size_t report_leak_watch(char *buf, size_t cap)
{
    size_t n = acct_fmt(buf, cap,
                        "leak watch (sign test at p < %.2g over the run's second half and last "
                        "quarter, least growth %llu bytes):\n",
                        ACCT_TREND_ALPHA, (unsigned long long)acct_opt[ACCT_OPT_LEAK]);
    size_t ev = acct_events_text(buf + n, cap - n);
    if (ev == 0)
        n += acct_fmt(buf + n, cap - n, "  no events\n");
    return n + ev;
}

/* A view array of n entries for the stack export, mmap'd once (never malloc in the library). */
static acct_site_view_t *views(int n)
{
    static acct_site_view_t *v;
    static int have;
    if (n <= have)
        return v;
    if (v)
        munmap(v, (size_t)have * sizeof *v);
    void *m = mmap(NULL, (size_t)n * sizeof *v, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    v = m == MAP_FAILED ? NULL : m;
    have = v ? n : 0;
    return v;
}

size_t acct_stacks_build(char *buf, size_t cap, int max_sites)
{
    acct_site_view_t *top = views(max_sites);
    if (!top || !acct_sample_mean)
        return 0;
    int k = acct_sites_top(top, max_sites);
    size_t n = acct_fmt(buf, cap,
                        "# flatline-acct stacks (pid %d): per call site with live sampled blocks, "
                        "\"site ID live_bytes B live_blocks N alloc_bytes A\" (estimates), then "
                        "its frames, innermost first\n",
                        (int)getpid());
    for (int i = 0; i < k && n + 4096 < cap; i++) {
        const acct_site_view_t *s = &top[i];
        n += acct_fmt(buf + n, cap - n,
                      "site %u live_bytes %.0f live_blocks %.0f alloc_bytes %.0f\n", s->id,
                      s->live_bytes, s->live_blocks, s->alloc_bytes);
        for (int j = 0; j < s->nframes && n + 512 < cap; j++)
            n += frame_text(buf + n, cap - n, s->frames[j] - 1);
    }
    return n;
}

size_t acct_report_build(char *buf, size_t cap, const acct_figures_t *f, const char *why)
{
    double leak_bytes = 0;
    int leaks = acct_sites_flagged(&leak_bytes);
    acct_verdict_in_t vin = {*f,    acct_rss_base,       (int64_t)acct_opt[ACCT_OPT_HEALTHY],
                             leaks, (int64_t)leak_bytes, (int64_t)sysconf(_SC_PAGESIZE)};
    acct_verdict_out_t v;
    acct_verdict(&vin, &v);

    size_t n = report_head(buf, cap, f, why, &v);
    n += report_breakdown(buf + n, cap - n, f);
    n += report_excess(buf + n, cap - n, f, &v);
    n += report_counts(buf + n, cap - n, f);
    n += report_sites(buf + n, cap - n);
    n += report_leak_watch(buf + n, cap - n);
    return n;
}
