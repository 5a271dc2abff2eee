/*
 * src/acct/stats.c: the figures a report needs beyond our own counters: the process RSS and what
 * the allocator underneath says about itself.
 *
 *   jemalloc  mallctl (looked up with dlsym): stats.allocated/active/resident/retained/mapped/
 *             metadata, stats.arenas.<all>.pdirty/pmuzzy times arenas.page, after an "epoch".
 *   glibc     mallinfo2: allocated = uordblks + hblkhd; resident = arena + hblkhd (an upper
 *             bound); held = the releasable top (keepcost) and, in reports, the free chunks of
 *             at least two pages (malloc_info's bins: whole free pages a trim could return);
 *             active = resident - held, so holes are the smaller free chunks between live
 *             ones, bounded by what live blocks can pin (two pages each beyond their own);
 *             the rest is held. Marked approximate.
 *   tcmalloc  MallocExtension_GetNumericProperty: generic.current_allocated_bytes,
 *             generic.heap_size, tcmalloc.pageheap_free_bytes / pageheap_unmapped_bytes.
 *   others    our exact usable total as "allocated"; the rest unknown (-1).
 * Nothing here allocates on our behalf except what those calls do inside the allocator.
 */
#include "acct_lib.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

char acct_allocator_name[64] = "unknown";
char acct_allocator_path[256];

enum kind { K_OTHER, K_GLIBC, K_JEMALLOC, K_TCMALLOC, K_MIMALLOC };
static enum kind kind;
static int (*p_mallctl)(const char *, void *, size_t *, void *, size_t);
static struct mallinfo2 (*p_mallinfo2)(void);
static int (*p_tc_prop)(const char *, size_t *);

void acct_stats_init(void)
{
    Dl_info di;
    acct_busy_enter();
    memset(&di, 0, sizeof di);
    if (acct_real.malloc && dladdr((void *)acct_real.malloc, &di) && di.dli_fname)
        acct_fmt(acct_allocator_path, sizeof acct_allocator_path, "%s", di.dli_fname);
    p_mallctl =
        (int (*)(const char *, void *, size_t *, void *, size_t))dlsym(RTLD_DEFAULT, "mallctl");
    p_tc_prop =
        (int (*)(const char *, size_t *))dlsym(RTLD_DEFAULT, "MallocExtension_GetNumericProperty");
    const char *path = acct_allocator_path;
    if (strstr(path, "jemalloc") || (p_mallctl && !strstr(path, "libc.so") &&
                                     !strstr(path, "tcmalloc") && !strstr(path, "mimalloc")))
        kind = p_mallctl ? K_JEMALLOC : K_OTHER;
    else if (strstr(path, "tcmalloc"))
        kind = K_TCMALLOC;
    else if (strstr(path, "mimalloc"))
        kind = K_MIMALLOC;
    else if (strstr(path, "libc.so"))
        kind = K_GLIBC;
    if (kind == K_GLIBC)
        p_mallinfo2 = (struct mallinfo2(*)(void))dlsym(RTLD_DEFAULT, "mallinfo2");
    static const char *names[] = {"other", "glibc", "jemalloc", "tcmalloc", "mimalloc"};
    acct_fmt(acct_allocator_name, sizeof acct_allocator_name, "%s", names[kind]);
    acct_busy_leave();
}

int64_t acct_rss_bytes(void)
{
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = buf;
    strtoull(p, &p, 10); /* size */
    unsigned long long res = strtoull(p, &p, 10);
    return (int64_t)res * (int64_t)sysconf(_SC_PAGESIZE);
}

/* Bytes in glibc's free chunks of at least 8 KiB, from malloc_info's per-heap <size> and
 * <unsorted> bins (the process-wide totals at the end are not counted twice: they have no
 * from/to). -1 when malloc_info is unavailable. */
static int64_t glibc_big_free(void)
{
    static char *buf;
    static const size_t cap = 1 << 20;
    int (*info)(int, FILE *) = (int (*)(int, FILE *))dlsym(RTLD_DEFAULT, "malloc_info");
    if (!info)
        return -1;
    if (!buf) {
        void *m = mmap(NULL, cap, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (m == MAP_FAILED)
            return -1;
        buf = m;
    }
    /* (no clearing: closing the stream ends what it wrote with a NUL, and buf[cap - 1], outside
     * the stream, stays the NUL that mmap gave) */
    FILE *f = fmemopen(buf, cap - 1, "w");
    if (!f)
        return -1;
    info(0, f);
    fclose(f);
    int64_t big = 0;
    for (char *p = buf; (p = strstr(p, " from=\"")) != NULL; p++) {
        char *to = strstr(p, "to=\""), *total = strstr(p, "total=\""), *end = strchr(p, '>');
        if (!to || !total || !end || total > end)
            continue;
        unsigned long long from = strtoull(p + 7, NULL, 10);
        if (from >= 8192)
            big += (int64_t)strtoull(total + 7, NULL, 10);
    }
    return big;
}

static int64_t je(const char *name)
{
    size_t v = 0, len = sizeof v;
    return p_mallctl(name, &v, &len, NULL, 0) == 0 ? (int64_t)v : -1;
}

static int64_t tc(const char *name)
{
    size_t v = 0;
    return p_tc_prop && p_tc_prop(name, &v) ? (int64_t)v : -1;
}

void acct_figures_collect(acct_figures_t *f, double t, int detail)
{
    acct_totals_t tot;
    acct_totals(&tot);
    memset(f, 0, sizeof *f);
    f->t = t;
    f->requested = tot.requested;
    f->usable = tot.usable;
    f->blocks = tot.blocks;
    f->allocs = tot.allocs;
    f->frees = tot.frees;
    f->requested_error = tot.requested_error;
    f->reallocs = (int64_t)tot.reallocs;
    f->rss = acct_rss_bytes();
    f->allocated = f->active = f->resident = f->dirty = f->muzzy = f->retained = f->mapped =
        f->metadata = f->slab_frag_bytes = -1;
    acct_busy_enter();
    if (kind == K_JEMALLOC && p_mallctl) {
        uint64_t epoch = 1;
        size_t len = sizeof epoch;
        p_mallctl("epoch", &epoch, &len, &epoch, sizeof epoch);
        f->allocated = je("stats.allocated");
        f->active = je("stats.active");
        f->resident = je("stats.resident");
        f->retained = je("stats.retained");
        f->mapped = je("stats.mapped");
        f->metadata = je("stats.metadata");
        int64_t page = je("arenas.page");
        int64_t pd = je("stats.arenas.4096.pdirty"), pm = je("stats.arenas.4096.pmuzzy");
        f->dirty = pd >= 0 && page > 0 ? pd * page : -1;
        f->muzzy = pm >= 0 && page > 0 ? pm * page : -1;
    } else if (kind == K_GLIBC && p_mallinfo2) {
        struct mallinfo2 mi = p_mallinfo2();
        int64_t big = detail ? glibc_big_free() : 0;
        f->allocated = (int64_t)(mi.uordblks + mi.hblkhd);
        f->resident = (int64_t)(mi.arena + mi.hblkhd);
        f->dirty = (int64_t)mi.keepcost + (big > 0 ? big : 0); /* free pages it keeps */
        f->active = f->resident - f->dirty;
        /* A free byte is a hole only if it shares a page with a live block, and a live block
         * touches at most its own pages plus two: more free space than that is held, however
         * small glibc's chunks (unconsolidated fastbins) are. */
        int64_t pinned = f->usable + f->blocks * 2 * (int64_t)sysconf(_SC_PAGESIZE);
        if (f->active > f->allocated + pinned)
            f->active = f->allocated + pinned;
        if (f->active < f->allocated)
            f->active = f->allocated;
        f->dirty = f->resident - f->active;
        f->mapped = (int64_t)(mi.arena + mi.hblkhd);
        f->approximate = 1;
    } else if (kind == K_TCMALLOC && p_tc_prop) {
        int64_t heap = tc("generic.heap_size"), pfree = tc("tcmalloc.pageheap_free_bytes"),
                unmapped = tc("tcmalloc.pageheap_unmapped_bytes");
        f->allocated = tc("generic.current_allocated_bytes");
        if (heap >= 0 && pfree >= 0 && unmapped >= 0) {
            f->active = heap - pfree - unmapped;
            f->resident = heap - unmapped;
            f->dirty = pfree;
            f->retained = unmapped;
            f->mapped = heap;
        }
        f->approximate = 1;
    }
    acct_busy_leave();
    if (f->allocated < 0)
        f->allocated = f->usable;
}
