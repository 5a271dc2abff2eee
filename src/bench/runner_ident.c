/*
 * runner_ident.c: which allocator serves malloc in this process, and its own memory breakdown.
 *
 * Everything is looked up with dlsym at run time, so one runner binary works under any preloaded
 * allocator: dladdr(malloc) names the library; jemalloc answers mallctl, tcmalloc
 * MallocExtension_GetNumericProperty, glibc mallinfo2. The breakdown uses docs/design.md's words;
 * where an allocator has no exact equivalent the nearest figure is used and the report says
 * which (resident = jemalloc resident, tcmalloc heap minus unmapped, glibc arena + mmapped;
 * dirty = freed but still mapped). Debian's mimalloc is built without statistics: its only
 * figure, mi_process_info's committed bytes, counts reserved virtual memory (far above RSS), so
 * none is reported for it.
 */
#include "allocators.h"
#include "runner.h"

#include <dlfcn.h>
#include <gnu/libc-version.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

typedef int (*mallctl_fn)(const char *, void *, size_t *, void *, size_t);
typedef int (*tc_prop_fn)(const char *, size_t *);
typedef const char *(*tc_version_fn)(int *, int *, const char **);
typedef int (*mi_version_fn)(void);

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RUNNER_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define RUNNER_SANITIZED 1
#endif
#endif

/* The family whose word (allocators.h's `match`) is in the path of malloc's library, or NULL. */
static const char *family_of(const char *file)
{
#define FAMILY_OF_(name, lib, family, match, pkg, arenas, store, env, doc)                         \
    if (strstr(file, match))                                                                       \
        return family;
    BENCH_ALLOCATORS(FAMILY_OF_)
#undef FAMILY_OF_
    return NULL;
}

/* The version the family's own call reports ("?" when it has none). */
static void family_version(const char *family, char *version, size_t vlen)
{
    snprintf(version, vlen, "?");
    if (strcmp(family, "jemalloc") == 0) {
        mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
        const char *v = NULL;
        size_t sz = sizeof v;
        if (mallctl && mallctl("version", &v, &sz, NULL, 0) == 0 && v)
            snprintf(version, vlen, "%.*s", (int)strcspn(v, "-"), v);
    } else if (strcmp(family, "tcmalloc") == 0) {
        tc_version_fn tv = (tc_version_fn)dlsym(RTLD_DEFAULT, "tc_version");
        int maj = 0, min = 0;
        const char *patch = "";
        if (tv) {
            tv(&maj, &min, &patch);
            snprintf(version, vlen, "%d.%d%s", maj, min, patch ? patch : "");
        }
    } else if (strcmp(family, "mimalloc") == 0) {
        mi_version_fn mv = (mi_version_fn)dlsym(RTLD_DEFAULT, "mi_version");
        if (mv) {
            int v = mv();
            snprintf(version, vlen, "%d.%d.%d", v / 100, (v / 10) % 10, v % 10);
        }
    } else if (strcmp(family, "glibc") == 0) {
        snprintf(version, vlen, "%s", gnu_get_libc_version());
    }
}

void bw_ident(char *name, size_t nlen, char *version, size_t vlen, char *path, size_t plen)
{
    void *m = dlsym(RTLD_DEFAULT, "malloc");
    Dl_info info;
    const char *file = "?";
    if (m && dladdr(m, &info) && info.dli_fname)
        file = info.dli_fname;
    snprintf(path, plen, "%s", file);

    const char *who = family_of(file);
    if (who) {
        family_version(who, version, vlen);
    } else {
        snprintf(version, vlen, "?");
#ifdef RUNNER_SANITIZED
        who = "sanitizer";
#else
        who = "unknown";
#endif
    }
    snprintf(name, nlen, "%s", who);
}

/* True when jemalloc's background purging threads are enabled in this process. */
static bool jemalloc_background_thread(void)
{
    mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    bool on = false;
    size_t sz = sizeof on;
    return mallctl && mallctl("background_thread", &on, &sz, NULL, 0) == 0 && on;
}

void bw_ident_report(void)
{
    char name[32], version[64], path[512];
    bw_ident(name, sizeof name, version, sizeof version, path, sizeof path);
    bool bg = strcmp(name, "jemalloc") == 0 && jemalloc_background_thread();
    bw_report("ident %s %s %s %s%s", name, version, path, bw_strategy_name(),
              bg ? "+bgthread" : "");
}

static size_t je_size(mallctl_fn mallctl, const char *key)
{
    size_t v = 0, sz = sizeof v;
    if (mallctl(key, &v, &sz, NULL, 0) != 0)
        return 0;
    return v;
}

static int jemalloc_stats(char *buf, size_t len)
{
    mallctl_fn mallctl = (mallctl_fn)dlsym(RTLD_DEFAULT, "mallctl");
    if (!mallctl)
        return 0;
    uint64_t epoch = 1;
    size_t esz = sizeof epoch;
    mallctl("epoch", &epoch, &esz, &epoch, esz);
    size_t page = je_size(mallctl, "arenas.page");
    /* 4096 is MALLCTL_ARENAS_ALL in jemalloc 5: the sum over every arena. */
    size_t pdirty = je_size(mallctl, "stats.arenas.4096.pdirty");
    size_t pmuzzy = je_size(mallctl, "stats.arenas.4096.pmuzzy");
    return snprintf(buf, len,
                    " allocated=%zu active=%zu resident=%zu dirty=%zu muzzy=%zu retained=%zu "
                    "metadata=%zu",
                    je_size(mallctl, "stats.allocated"), je_size(mallctl, "stats.active"),
                    je_size(mallctl, "stats.resident"), pdirty * page, pmuzzy * page,
                    je_size(mallctl, "stats.retained"), je_size(mallctl, "stats.metadata"));
}

static int tcmalloc_stats(char *buf, size_t len)
{
    tc_prop_fn prop = (tc_prop_fn)dlsym(RTLD_DEFAULT, "MallocExtension_GetNumericProperty");
    if (!prop)
        return 0;
    size_t alloc = 0, heap = 0, pfree = 0, unmapped = 0;
    prop("generic.current_allocated_bytes", &alloc);
    prop("generic.heap_size", &heap);
    prop("tcmalloc.pageheap_free_bytes", &pfree);
    prop("tcmalloc.pageheap_unmapped_bytes", &unmapped);
    return snprintf(buf, len, " allocated=%zu resident=%zu dirty=%zu retained=%zu", alloc,
                    heap - unmapped, pfree, unmapped);
}

static int glibc_stats(char *buf, size_t len)
{
    struct mallinfo2 mi = mallinfo2();
    return snprintf(buf, len, " allocated=%zu resident=%zu dirty=%zu", mi.uordblks + mi.hblkhd,
                    mi.arena + mi.hblkhd, mi.fordblks);
}

void bw_stats_report(const char *when)
{
    char name[32], version[64], path[512], buf[1024] = "";
    bw_ident(name, sizeof name, version, sizeof version, path, sizeof path);
    if (strcmp(name, "jemalloc") == 0)
        jemalloc_stats(buf, sizeof buf);
    else if (strcmp(name, "tcmalloc") == 0)
        tcmalloc_stats(buf, sizeof buf);
    else if (strcmp(name, "glibc") == 0)
        glibc_stats(buf, sizeof buf);
    char extra[512] = "", records[512] = "";
    bw_strategy_stats(extra, sizeof extra);
    bw_records_stats(records, sizeof records);
    bw_report("stats %s requested=%lld%s%s%s", when, (long long)bw_live_total(), buf, extra,
              records);
}
