/*
 * src/server/memstats.c: one consistent memory snapshot for INFO memory, INFO namespaces,
 * MEMORY STATS and MEMORY DOCTOR, the doctor's verdict, and the byte formatting they share.
 *
 * Invariants: figures come only from the memory layer (fl_process_stats,
 * fl_private_arenas_stats, the server-lifetime arenas' fl_arena_stats through lifetime.h) and
 * the store (fl_ns_stats), in docs/design.md's vocabulary; the
 * verdict is computed from the breakdown's factors (rounding, holes, unreturned pages,
 * outside the heap), never hard-coded. srv->peak_allocated only grows (atomic max).
 */
#include "srv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

void srv_human_bytes(char *buf, size_t len, uint64_t n)
{
    const char *units = "BKMGTP";
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 5) {
        v /= 1024;
        u++;
    }
    if (u == 0)
        snprintf(buf, len, "%lluB", (unsigned long long)n);
    else
        snprintf(buf, len, "%.2f%c", v, units[u]);
}

/* a / b, or 1.0 when b is 0 (contract in srv.h). */
double srv_mem_ratio(size_t a, size_t b)
{
    return b ? (double)a / (double)b : 1.0;
}

void srv_mem_snapshot(srv_server_t *srv, srv_mem_snapshot_t *s)
{
    memset(s, 0, sizeof(*s));
    s->process_rc = fl_process_stats(&s->process);
    s->priv_rc = fl_private_arenas_stats(&s->priv);
    for (int k = 0; k < SRV_ARENA_COUNT; k++)
        s->arena_rc[k] = srv_arena_stats((srv_arena_kind_t)k, &s->arena[k]);
    if (s->process_rc != 0)
        s->process.rss = fl_mem_rss();
    s->n_ns = srv->store ? fl_store_ns_count(srv->store) : 0;
    if (s->n_ns > SRV_NS_MAX)
        s->n_ns = SRV_NS_MAX;
    for (size_t i = 0; i < s->n_ns; i++) {
        fl_ns_t *ns = fl_store_ns(srv->store, i);
        s->ns_name[i] = fl_ns_config(ns)->name;
        s->ns_rc[i] = fl_ns_stats(ns, &s->ns[i]);
        if (s->ns_rc[i] != FL_OK)
            continue;
        s->keys += s->ns[i].keys;
        s->ns_used += s->ns[i].used;
        s->ns_requested += s->ns[i].mem.requested;
    }
    size_t peak = atomic_load(&srv->peak_allocated);
    while (s->process.allocated > peak &&
           !atomic_compare_exchange_weak(&srv->peak_allocated, &peak, s->process.allocated))
        ;
    s->peak_allocated = s->process.allocated > peak ? s->process.allocated : peak;
}

static size_t diff(size_t a, size_t b)
{
    return a > b ? a - b : 0;
}

void srv_mem_doctor(const srv_mem_snapshot_t *s, srv_buf_t *out)
{
    const fl_mem_stats_t *p = &s->process;
    char a[32], b[32], d[32];
    if (s->process_rc != 0) {
        srv_buf_printf(out,
                       "Sam, I cannot examine this process: the memory layer has no statistics "
                       "(%s).\n",
                       fl_mem_strerror(s->process_rc));
        return;
    }
    /* Redis's criterion (under 5 MB allocated), not RSS: RSS also counts the pages of the
     * mapped libraries (libcrypto alone is about 1 MB), which no diagnosis could act on. */
    if (p->requested < 5u * 1024 * 1024) {
        srv_human_bytes(a, sizeof(a), p->rss);
        srv_buf_printf(out,
                       "Sam, this instance is nearly empty (RSS %s): there is nothing to diagnose "
                       "yet. Fill it with data and ask again.\n",
                       a);
        return;
    }
    struct {
        const char *what;
        size_t bytes;
        double ratio;
    } f[4] = {
        {"rounding", diff(p->allocated, p->requested), p->rounding_ratio},
        {"holes", diff(p->active, p->allocated), p->holes_ratio},
        {"unreturned", diff(p->resident, p->active), p->unreturned_ratio},
        {"outside", diff(p->rss, p->resident), p->outside_ratio},
    };
    srv_human_bytes(a, sizeof(a), p->rss);
    srv_human_bytes(b, sizeof(b), p->requested);
    srv_buf_printf(out, "RSS is %s for %s requested: fragmentation ratio %.2f.\n", a, b,
                   p->frag_ratio);
    size_t worst = 0;
    for (size_t i = 0; i < 4; i++) {
        srv_human_bytes(d, sizeof(d), f[i].bytes);
        srv_buf_printf(out, "  %-10s ratio %.2f, %s (%zu bytes)\n", f[i].what, f[i].ratio, d,
                       f[i].bytes);
        if (f[i].bytes > f[worst].bytes)
            worst = i;
    }
    srv_human_bytes(d, sizeof(d), f[worst].bytes);
    if (p->frag_ratio <= 1.25) {
        srv_buf_printf(out,
                       "Verdict: healthy. Memory is within 25%% of what was requested; no action "
                       "needed.\n");
        return;
    }
    switch (worst) {
    case 0:
        srv_buf_printf(
            out,
            "Verdict: size-class rounding (%s). Objects are rounded up to jemalloc's size "
            "classes; nothing is lost to fragmentation and nothing can be reclaimed: "
            "value sizes just above a class boundary cost the most.\n",
            d);
        break;
    case 1:
        srv_buf_printf(out,
                       "Verdict: fragmentation (%s). Free regions are scattered in partly used "
                       "pages (%zu bytes in slab holes); moving live objects out of sparse pages "
                       "(defragmentation) recovers them.\n",
                       d, p->slab_frag_bytes);
        break;
    case 2:
        srv_human_bytes(a, sizeof(a), p->dirty + p->muzzy);
        srv_human_bytes(b, sizeof(b), p->metadata);
        if (p->dirty + p->muzzy >= f[2].bytes / 2)
            srv_buf_printf(out,
                           "Verdict: unreturned pages (%s, of which %s freed but not given back "
                           "to the OS): MEMORY PURGE returns them now, a lower dirty-decay-ms "
                           "sooner.\n",
                           d, a);
        else
            srv_buf_printf(out,
                           "Verdict: allocator overhead (%s, of which %s is jemalloc metadata "
                           "and %s freed pages): a fixed cost of the arenas, large next to a "
                           "small data set; it does not grow with fragmentation.\n",
                           d, b, a);
        break;
    default:
        srv_buf_printf(out,
                       "Verdict: memory outside the heap (%s): thread stacks, code and other "
                       "mappings, not allocator fragmentation.\n",
                       d);
        break;
    }
}
