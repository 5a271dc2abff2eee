/*
 * src/mem/stats.c: memory breakdowns in docs/design.md's vocabulary, for one shared arena, for all
 * private arenas together, and for the process; and their text form.
 *
 * Every mallctl name is translated to a MIB once (pthread_once) and the tables below are
 * immutable afterwards, so a snapshot is one epoch refresh plus ~90 mallctlbymib calls per arena
 * (no string parsing). Per-arena figures come from stats.arenas.<i>.*; the holes inside slabs
 * (slab_frag_bytes) from stats.arenas.<i>.bins.<j>.curregs/curslabs and arenas.bin.<j>.nregs/size.
 * Note: jemalloc counts blocks parked in thread caches as allocated, so `allocated` includes
 * what the tcaches hold; fl_thread_release_tcaches() (or thread exit) returns them.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <jemalloc/jemalloc.h>

#include "mem_internal.h"

#define MAX_BINS 128

enum arena_field {
    AF_PACTIVE,
    AF_PDIRTY,
    AF_PMUZZY,
    AF_RESIDENT,
    AF_RETAINED,
    AF_BASE,
    AF_INTERNAL,
    AF_SMALL_ALLOCATED,
    AF_LARGE_ALLOCATED,
    AF_SMALL_NMALLOC,
    AF_SMALL_NDALLOC,
    AF_LARGE_NMALLOC,
    AF_LARGE_NDALLOC,
    AF_COUNT
};

/* Name and width of each per-arena field (size_t or uint64_t). */
static const struct {
    const char *name;
    bool is_u64;
} g_arena_fields[AF_COUNT] = {
    [AF_PACTIVE] = {"stats.arenas.0.pactive", false},
    [AF_PDIRTY] = {"stats.arenas.0.pdirty", false},
    [AF_PMUZZY] = {"stats.arenas.0.pmuzzy", false},
    [AF_RESIDENT] = {"stats.arenas.0.resident", false},
    [AF_RETAINED] = {"stats.arenas.0.retained", false},
    [AF_BASE] = {"stats.arenas.0.base", false},
    [AF_INTERNAL] = {"stats.arenas.0.internal", false},
    [AF_SMALL_ALLOCATED] = {"stats.arenas.0.small.allocated", false},
    [AF_LARGE_ALLOCATED] = {"stats.arenas.0.large.allocated", false},
    [AF_SMALL_NMALLOC] = {"stats.arenas.0.small.nmalloc", true},
    [AF_SMALL_NDALLOC] = {"stats.arenas.0.small.ndalloc", true},
    [AF_LARGE_NMALLOC] = {"stats.arenas.0.large.nmalloc", true},
    [AF_LARGE_NDALLOC] = {"stats.arenas.0.large.ndalloc", true},
};

enum process_field { PF_ALLOCATED, PF_ACTIVE, PF_RESIDENT, PF_METADATA, PF_RETAINED, PF_COUNT };
static const char *const g_process_names[PF_COUNT] = {
    [PF_ALLOCATED] = "stats.allocated", [PF_ACTIVE] = "stats.active",
    [PF_RESIDENT] = "stats.resident",   [PF_METADATA] = "stats.metadata",
    [PF_RETAINED] = "stats.retained",
};

/* Immutable after g_once. */
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static int g_init_err;
static flm_mib_t g_epoch;
static flm_mib_t g_arena_mib[AF_COUNT];
static flm_mib_t g_process_mib[PF_COUNT];
static flm_mib_t g_curregs, g_curslabs;
static unsigned g_nbins;
static size_t g_page;
static size_t g_bin_size[MAX_BINS];
static uint32_t g_bin_nregs[MAX_BINS];

static int init_tables(void)
{
    int rc = flm_ctl_mib("epoch", &g_epoch);
    for (int f = 0; rc == 0 && f < AF_COUNT; f++)
        rc = flm_ctl_mib(g_arena_fields[f].name, &g_arena_mib[f]);
    for (int f = 0; rc == 0 && f < PF_COUNT; f++)
        rc = flm_ctl_mib(g_process_names[f], &g_process_mib[f]);
    if (rc == 0)
        rc = flm_ctl_mib("stats.arenas.0.bins.0.curregs", &g_curregs);
    if (rc == 0)
        rc = flm_ctl_mib("stats.arenas.0.bins.0.curslabs", &g_curslabs);
    if (rc == 0)
        rc = flm_ctl_read("arenas.nbins", &g_nbins, sizeof(g_nbins));
    if (rc == 0)
        rc = flm_ctl_read("arenas.page", &g_page, sizeof(g_page));
    if (rc == 0 && g_nbins > MAX_BINS)
        return -ENOMEM;
    flm_mib_t size_mib, nregs_mib;
    if (rc == 0)
        rc = flm_ctl_mib("arenas.bin.0.size", &size_mib);
    if (rc == 0)
        rc = flm_ctl_mib("arenas.bin.0.nregs", &nregs_mib);
    for (unsigned j = 0; rc == 0 && j < g_nbins; j++) {
        size_mib.v[2] = j;
        nregs_mib.v[2] = j;
        rc = flm_ctl_read_mib(&size_mib, &g_bin_size[j], sizeof(size_t));
        if (rc == 0)
            rc = flm_ctl_read_mib(&nregs_mib, &g_bin_nregs[j], sizeof(uint32_t));
    }
    return rc;
}

static void init_once(void)
{
    g_init_err = init_tables();
}

static int ensure_init(void)
{
    pthread_once(&g_once, init_once);
    return g_init_err;
}

/* Raw per-arena figures (bytes unless named p*: pages). */
struct raw {
    size_t v[AF_COUNT]; /* uint64 fields stored widened */
    size_t slab_frag;
};

static int read_arena(unsigned index, struct raw *r)
{
    for (int f = 0; f < AF_COUNT; f++) {
        flm_mib_t m = g_arena_mib[f];
        m.v[2] = index;
        int rc;
        if (g_arena_fields[f].is_u64) {
            uint64_t x = 0;
            rc = flm_ctl_read_mib(&m, &x, sizeof(x));
            r->v[f] = (size_t)x;
        } else {
            rc = flm_ctl_read_mib(&m, &r->v[f], sizeof(size_t));
        }
        if (rc != 0)
            return rc;
    }
    r->slab_frag = 0;
    flm_mib_t cr = g_curregs, cs = g_curslabs;
    cr.v[2] = cs.v[2] = index;
    for (unsigned j = 0; j < g_nbins; j++) {
        size_t curregs, curslabs;
        cr.v[4] = cs.v[4] = j;
        int rc = flm_ctl_read_mib(&cr, &curregs, sizeof(curregs));
        if (rc == 0)
            rc = flm_ctl_read_mib(&cs, &curslabs, sizeof(curslabs));
        if (rc != 0)
            return rc;
        size_t capacity = curslabs * g_bin_nregs[j];
        if (capacity > curregs)
            r->slab_frag += (capacity - curregs) * g_bin_size[j];
    }
    return 0;
}

static void add_raw(struct raw *sum, const struct raw *r)
{
    for (int f = 0; f < AF_COUNT; f++)
        sum->v[f] += r->v[f];
    sum->slab_frag += r->slab_frag;
}

/* The layer's one RSS reader (contract in mem.h): /proc/self/statm, without allocating. */
size_t fl_mem_rss(void)
{
    char buf[128];
    int fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    unsigned long long size_pages = 0, rss_pages = 0;
    if (sscanf(buf, "%llu %llu", &size_pages, &rss_pages) != 2)
        return 0;
    return (size_t)rss_pages * (size_t)sysconf(_SC_PAGESIZE);
}

static double ratio(size_t num, size_t den)
{
    return den == 0 ? 1.0 : (double)num / (double)den;
}

/* Fills the fields shared by every kind of snapshot from raw arena figures. */
static void fill_from_raw(fl_mem_stats_t *s, const struct raw *r)
{
    s->allocated = r->v[AF_SMALL_ALLOCATED] + r->v[AF_LARGE_ALLOCATED];
    s->active = r->v[AF_PACTIVE] * g_page;
    s->resident = r->v[AF_RESIDENT];
    s->dirty = r->v[AF_PDIRTY] * g_page;
    s->muzzy = r->v[AF_PMUZZY] * g_page;
    s->retained = r->v[AF_RETAINED];
    s->metadata = r->v[AF_BASE] + r->v[AF_INTERNAL];
    s->slab_frag_bytes = r->slab_frag;
    s->nmalloc = (uint64_t)r->v[AF_SMALL_NMALLOC] + r->v[AF_LARGE_NMALLOC];
    s->ndalloc = (uint64_t)r->v[AF_SMALL_NDALLOC] + r->v[AF_LARGE_NDALLOC];
}

/* Sets the ratios. Arena level: frag = resident / requested and outside is undefined (1.0);
 * process level: frag = RSS / requested and outside = RSS / resident. */
static void set_ratios(fl_mem_stats_t *s, bool process)
{
    s->frag_ratio = ratio(process ? s->rss : s->resident, s->requested);
    s->rounding_ratio = ratio(s->allocated, s->requested);
    s->holes_ratio = ratio(s->active, s->allocated);
    s->unreturned_ratio = ratio(s->resident, s->active);
    s->outside_ratio = process ? ratio(s->rss, s->resident) : 1.0;
}

/* Every snapshot starts here: tables ready, jemalloc's statistics refreshed. */
static int begin(const fl_mem_stats_t *out)
{
    if (out == NULL)
        return -EINVAL;
    int rc = ensure_init();
    return rc != 0 ? rc : flm_ctl_refresh_epoch(&g_epoch);
}

/* Every snapshot ends here: requested, RSS and ratios on top of the raw figures. */
static void finish(fl_mem_stats_t *out, const struct raw *r, size_t requested, bool known,
                   bool process)
{
    memset(out, 0, sizeof(*out));
    fill_from_raw(out, r);
    out->requested = requested;
    out->requested_known = known;
    out->rss = fl_mem_rss();
    set_ratios(out, process);
}

int fl_arena_stats(fl_arena_t *arena, fl_mem_stats_t *out)
{
    int rc = arena == NULL ? -EINVAL : begin(out);
    struct raw r;
    if (rc == 0)
        rc = read_arena(fl_arena_index(arena), &r);
    if (rc != 0)
        return rc;
    int64_t req = flm_arena_requested(arena);
    unsigned inexact = flm_arena_inexact(arena);
    finish(out, &r, req > 0 ? (size_t)req : 0, inexact == 0, false);
    /* Bound-malloc blocks (adopt.c) reach the arena without passing this layer: requested
     * counts them at their allocated size, so it is never below what jemalloc says is there. */
    if ((inexact & FLM_INEXACT_BOUND) && out->requested < out->allocated) {
        out->requested = out->allocated;
        set_ratios(out, false);
    }
    return 0;
}

int fl_private_arenas_stats(fl_mem_stats_t *out)
{
    int rc = begin(out);
    if (rc != 0)
        return rc;
    unsigned idx[FLM_MAX_PRIVATE];
    size_t n = flm_private_arenas_list(idx, FLM_MAX_PRIVATE);
    struct raw sum;
    memset(&sum, 0, sizeof(sum));
    for (size_t i = 0; i < n && i < FLM_MAX_PRIVATE; i++) {
        struct raw r;
        rc = read_arena(idx[i], &r);
        if (rc != 0)
            return rc;
        add_raw(&sum, &r);
    }
    finish(out, &sum, sum.v[AF_SMALL_ALLOCATED] + sum.v[AF_LARGE_ALLOCATED], false, false);
    return 0;
}

/* Bytes allocated in the shared arenas and requested from them (exact), for the process view. */
static void shared_totals(size_t *alloc, size_t *requested)
{
    unsigned idx[FLM_MAX_SHARED];
    int64_t req[FLM_MAX_SHARED];
    size_t n = flm_shared_arenas_snapshot(idx, req, FLM_MAX_SHARED);
    *alloc = *requested = 0;
    for (size_t i = 0; i < n && i < FLM_MAX_SHARED; i++) {
        size_t small = 0, large = 0;
        flm_mib_t ms = g_arena_mib[AF_SMALL_ALLOCATED], ml = g_arena_mib[AF_LARGE_ALLOCATED];
        ms.v[2] = ml.v[2] = idx[i];
        if (flm_ctl_read_mib(&ms, &small, sizeof(small)) != 0 ||
            flm_ctl_read_mib(&ml, &large, sizeof(large)))
            continue; /* destroyed meanwhile */
        *alloc += small + large;
        *requested += req[i] > 0 ? (size_t)req[i] : 0;
    }
}

int fl_process_stats(fl_mem_stats_t *out)
{
    int rc = begin(out);
    struct raw all;
    if (rc == 0)
        rc = read_arena(MALLCTL_ARENAS_ALL, &all);
    size_t pf[PF_COUNT];
    for (int f = 0; rc == 0 && f < PF_COUNT; f++)
        rc = flm_ctl_read_mib(&g_process_mib[f], &pf[f], sizeof(size_t));
    if (rc != 0)
        return rc;
    /* jemalloc's process totals replace the sums over arenas where they exist. */
    all.v[AF_PACTIVE] = pf[PF_ACTIVE] / g_page;
    all.v[AF_RESIDENT] = pf[PF_RESIDENT];
    all.v[AF_RETAINED] = pf[PF_RETAINED];
    all.v[AF_BASE] = pf[PF_METADATA];
    all.v[AF_INTERNAL] = 0;
    all.v[AF_SMALL_ALLOCATED] = pf[PF_ALLOCATED];
    all.v[AF_LARGE_ALLOCATED] = 0;
    /* requested: exact for shared arenas, counted as allocated everywhere else. */
    size_t shared_alloc, shared_req;
    shared_totals(&shared_alloc, &shared_req);
    size_t other = pf[PF_ALLOCATED] > shared_alloc ? pf[PF_ALLOCATED] - shared_alloc : 0;
    finish(out, &all, shared_req + other, false, true);
    return 0;
}

/* ---- text form ---- */

/* Appends to buf at *pos like snprintf, tracking the length needed even past len. */
#define APPEND(...)                                                                                \
    do {                                                                                           \
        size_t room_ = *pos < len ? len - *pos : 0;                                                \
        int n_ = snprintf(room_ ? buf + *pos : NULL, room_, __VA_ARGS__);                          \
        if (n_ > 0)                                                                                \
            *pos += (size_t)n_;                                                                    \
    } while (0)

static void line(char *buf, size_t len, size_t *pos, const char *label, size_t bytes,
                 const char *note)
{
    APPEND("  %-16s %14zu B %10.2f MiB  %s\n", label, bytes, (double)bytes / 1048576.0, note);
}

int fl_mem_stats_format(const fl_mem_stats_t *s, const char *title, char *buf, size_t len)
{
    size_t p = 0, *pos = &p;
    if (buf == NULL)
        len = 0;
    if (len > 0)
        buf[0] = '\0';
    if (s == NULL)
        return 0;
    APPEND("%s\n", title ? title : "memory");
#define FORMAT_BYTES_(f, name, doc) line(buf, len, pos, name, s->f, doc);
    FL_MEM_BYTES(FORMAT_BYTES_)
#undef FORMAT_BYTES_
    APPEND("  %-16s %s\n", "requested_known",
           s->requested_known ? "yes (exact)" : "no (partly counted as allocated)");
    APPEND("  %-16s %14" PRIu64 "   ndalloc %" PRIu64 "\n", "nmalloc", s->nmalloc, s->ndalloc);
#define FORMAT_RATIO_(f, name, formula, doc)                                                       \
    APPEND("  %-16s %8.3f  %-20s %s\n", name, s->f, formula, doc);
    FL_MEM_RATIOS(FORMAT_RATIO_)
#undef FORMAT_RATIO_
    return (int)p;
}
