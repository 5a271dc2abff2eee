/*
 * src/server/info.c: the INFO command's text, one small function per section.
 *
 * Invariants: field names that dashboards read are Redis's (used_memory, allocator_frag_ratio,
 * mem_fragmentation_ratio, ...); the memory layer's breakdown is printed in DESIGN.md's
 * vocabulary and order (requested, allocated, active, resident, dirty, muzzy, retained,
 * metadata, RSS, then the ratios). All figures come from one snapshot per call.
 */
#include "srv.h"

#include "block.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/utsname.h>
#include <unistd.h>

static void field(srv_buf_t *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void field(srv_buf_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    srv_buf_vprintf(out, fmt, ap);
    va_end(ap);
    srv_reply_raw(out, "\r\n", 2);
}

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

static void section_server(srv_server_t *srv, srv_buf_t *out)
{
    struct utsname u;
    uname(&u);
    int64_t up = (fl_now_ms() - srv->start_ms) / 1000;
    field(out, "# Server");
    field(out, "redis_version:7.0.0");
    field(out, "flatline_version:0.1.0");
    field(out, "redis_mode:standalone");
    field(out, "os:%s %s %s", u.sysname, u.release, u.machine);
    field(out, "arch_bits:%d", (int)(sizeof(void *) * 8));
    field(out, "multiplexing_api:epoll");
    field(out, "process_id:%ld", (long)getpid());
    field(out, "tcp_port:%lld", srv->cfg.port);
    field(out, "worker_threads:%d", srv->nworkers);
    field(out, "uptime_in_seconds:%lld", (long long)up);
    field(out, "uptime_in_days:%lld", (long long)up / 86400);
    field(out, "config_file:%s", srv->config_file ? srv->config_file : "");
}

static void section_clients(srv_server_t *srv, srv_buf_t *out)
{
    field(out, "# Clients");
    field(out, "connected_clients:%ld", atomic_load(&srv->connected));
    field(out, "maxclients:%lld", srv->cfg.maxclients);
    field(out, "blocked_clients:%ld", srv_block_count());
}

/* One breakdown in DESIGN.md order, each field prefixed. */
static void breakdown(srv_buf_t *out, const char *prefix, const fl_mem_stats_t *m, bool proc)
{
    field(out, "%srequested:%zu", prefix, m->requested);
    field(out, "%srequested_known:%d", prefix, m->requested_known);
    field(out, "%sallocated:%zu", prefix, m->allocated);
    field(out, "%sactive:%zu", prefix, m->active);
    field(out, "%sresident:%zu", prefix, m->resident);
    field(out, "%sdirty:%zu", prefix, m->dirty);
    field(out, "%smuzzy:%zu", prefix, m->muzzy);
    field(out, "%sretained:%zu", prefix, m->retained);
    field(out, "%smetadata:%zu", prefix, m->metadata);
    if (proc)
        field(out, "%srss:%zu", prefix, m->rss);
    field(out, "%sfrag_ratio:%.2f", prefix, m->frag_ratio);
    field(out, "%srounding_ratio:%.2f", prefix, m->rounding_ratio);
    field(out, "%sholes_ratio:%.2f", prefix, m->holes_ratio);
    field(out, "%sunreturned_ratio:%.2f", prefix, m->unreturned_ratio);
    if (proc)
        field(out, "%soutside_ratio:%.2f", prefix, m->outside_ratio);
    field(out, "%sslab_frag_bytes:%zu", prefix, m->slab_frag_bytes);
}

static void section_memory(srv_server_t *srv, srv_buf_t *out)
{
    srv_mem_snapshot_t s;
    char h[32];
    srv_mem_snapshot(srv, &s);
    const fl_mem_stats_t *p = &s.process;
    size_t used = s.process_rc == 0 ? p->allocated : s.ns_requested;
    field(out, "# Memory");
    field(out, "used_memory:%zu", used);
    srv_human_bytes(h, sizeof(h), used);
    field(out, "used_memory_human:%s", h);
    field(out, "used_memory_rss:%zu", p->rss);
    srv_human_bytes(h, sizeof(h), p->rss);
    field(out, "used_memory_rss_human:%s", h);
    field(out, "used_memory_peak:%zu", s.peak_allocated > used ? s.peak_allocated : used);
    srv_human_bytes(h, sizeof(h), s.peak_allocated > used ? s.peak_allocated : used);
    field(out, "used_memory_peak_human:%s", h);
    field(out, "used_memory_dataset:%zu", s.ns_used);
    /* As CONFIG GET maxmemory: the namespaces' limits summed, 0 ("no limit") when any namespace
     * is unlimited; eviction may take any key (TTL keys first, then approximate LRU), which of
     * Redis's policies allkeys-lru describes. */
    unsigned long long maxmem = 0;
    for (size_t n = 0; n < srv->cfg.n_ns; n++) {
        if (srv->cfg.ns[n].memory_limit == 0) {
            maxmem = 0;
            break;
        }
        maxmem += srv->cfg.ns[n].memory_limit;
    }
    field(out, "maxmemory:%llu", maxmem);
    srv_human_bytes(h, sizeof(h), maxmem);
    field(out, "maxmemory_human:%s", h);
    field(out, "maxmemory_policy:allkeys-lru");
    field(out, "mem_allocator:jemalloc-5.3.0");
    field(out, "mem_stats_available:%d", s.process_rc == 0);
    field(out, "malloc_is_jemalloc:%d", fl_mem_malloc_is_jemalloc());
    breakdown(out, "process_", p, true);
    if (s.priv_rc == 0)
        breakdown(out, "private_", &s.priv, false);
    field(out, "namespaces_requested:%zu", s.ns_requested);
    field(out, "namespaces_used:%zu", s.ns_used);
    field(out, "allocator_allocated:%zu", p->allocated);
    field(out, "allocator_active:%zu", p->active);
    field(out, "allocator_resident:%zu", p->resident);
    field(out, "allocator_frag_ratio:%.2f", srv_mem_ratio(p->active, p->allocated));
    field(out, "allocator_frag_bytes:%lld", (long long)p->active - (long long)p->allocated);
    field(out, "allocator_rss_ratio:%.2f", srv_mem_ratio(p->resident, p->active));
    field(out, "allocator_rss_bytes:%lld", (long long)p->resident - (long long)p->active);
    field(out, "rss_overhead_ratio:%.2f", srv_mem_ratio(p->rss, p->resident));
    field(out, "rss_overhead_bytes:%lld", (long long)p->rss - (long long)p->resident);
    field(out, "mem_fragmentation_ratio:%.2f", srv_mem_ratio(p->rss, used));
    field(out, "mem_fragmentation_bytes:%lld", (long long)p->rss - (long long)used);
}

/* No persistence: nothing is ever loading or saving (clients wait on loading:0). */
static void section_persistence(srv_server_t *srv, srv_buf_t *out)
{
    (void)srv;
    field(out, "# Persistence");
    field(out, "loading:0");
    field(out, "async_loading:0");
    field(out, "rdb_bgsave_in_progress:0");
    field(out, "rdb_last_bgsave_status:ok");
    field(out, "aof_enabled:0");
    field(out, "aof_rewrite_in_progress:0");
}

/* No replication: always a master without replicas (clients check role). */
static void section_replication(srv_server_t *srv, srv_buf_t *out)
{
    (void)srv;
    field(out, "# Replication");
    field(out, "role:master");
    field(out, "connected_slaves:0");
    field(out, "master_repl_offset:0");
}

static void section_stats(srv_server_t *srv, srv_buf_t *out)
{
    srv_stats_sum_t t;
    srv_stats_sum(srv, &t);
    uint64_t hits = 0, misses = 0, expired = 0, evicted = 0, refused = 0;
    uint64_t dmoves = 0, dscanned = 0, dtime_ns = 0;
    unsigned drunning = 0;
    size_t n = srv->store ? fl_store_ns_count(srv->store) : 0;
    for (size_t i = 0; i < n; i++) {
        fl_ns_stats_t st;
        if (fl_ns_stats(fl_store_ns(srv->store, i), &st) != FL_OK)
            continue;
        hits += st.hits;
        misses += st.misses;
        expired += st.expired;
        evicted += st.evicted;
        refused += st.writes_refused;
        dmoves += st.defrag_moves;
        dscanned += st.defrag_scanned;
        dtime_ns += st.defrag_time_ns;
        if (st.defrag_running && st.defrag_cpu_pct > drunning)
            drunning = st.defrag_cpu_pct;
    }
    field(out, "# Stats");
    field(out, "total_connections_received:%llu", (unsigned long long)t.connections);
    field(out, "total_commands_processed:%llu", (unsigned long long)t.commands);
    field(out, "instantaneous_ops_per_sec:%llu",
          (unsigned long long)atomic_load(&srv->ops_per_sec));
    field(out, "total_net_input_bytes:%llu", (unsigned long long)t.net_in);
    field(out, "total_net_output_bytes:%llu", (unsigned long long)t.net_out);
    field(out, "rejected_connections:%llu", (unsigned long long)t.rejected);
    field(out, "protocol_errors:%llu", (unsigned long long)t.protocol_errors);
    field(out, "expired_keys:%llu", (unsigned long long)expired);
    field(out, "evicted_keys:%llu", (unsigned long long)evicted);
    field(out, "writes_refused:%llu", (unsigned long long)refused);
    field(out, "keyspace_hits:%llu", (unsigned long long)hits);
    field(out, "keyspace_misses:%llu", (unsigned long long)misses);
    /* Redis's names: running = the CPU share in use (0 = idle), hits = allocations moved,
     * misses = allocations looked at and left in place; per namespace: INFO namespaces */
    field(out, "active_defrag_running:%u", drunning);
    field(out, "active_defrag_hits:%llu", (unsigned long long)dmoves);
    field(out, "active_defrag_misses:%llu",
          (unsigned long long)(dscanned > dmoves ? dscanned - dmoves : 0));
    field(out, "total_active_defrag_time:%llu", (unsigned long long)(dtime_ns / 1000000));
}

static void section_keyspace(srv_server_t *srv, srv_buf_t *out)
{
    field(out, "# Keyspace");
    size_t n = srv->store ? fl_store_ns_count(srv->store) : 0;
    for (size_t i = 0; i < n; i++) {
        fl_ns_stats_t st;
        if (fl_ns_stats(fl_store_ns(srv->store, i), &st) != FL_OK || st.keys == 0)
            continue;
        field(out, "db%zu:keys=%llu,expires=%llu,avg_ttl=0", i, (unsigned long long)st.keys,
              (unsigned long long)st.keys_with_ttl);
    }
}

/* One namespace as a keyspace-style line: ns_<name>:k=v,k=v,... */
static void namespace_line(srv_buf_t *out, const char *name, size_t index, const fl_ns_stats_t *st)
{
    const fl_mem_stats_t *m = &st->mem;
    srv_buf_printf(out, "ns_%s:index=%zu,keys=%llu,expires=%llu,used=%zu,memory_limit=%zu,", name,
                   index, (unsigned long long)st->keys, (unsigned long long)st->keys_with_ttl,
                   st->used, st->memory_limit);
    srv_buf_printf(out, "requested=%zu,allocated=%zu,active=%zu,resident=%zu,dirty=%zu,muzzy=%zu,",
                   m->requested, m->allocated, m->active, m->resident, m->dirty, m->muzzy);
    srv_buf_printf(out,
                   "frag_ratio=%.2f,rounding_ratio=%.2f,holes_ratio=%.2f,unreturned_ratio=%.2f,",
                   m->frag_ratio, m->rounding_ratio, m->holes_ratio, m->unreturned_ratio);
    srv_buf_printf(out, "hits=%llu,misses=%llu,expired=%llu,evicted=%llu,writes_refused=%llu,",
                   (unsigned long long)st->hits, (unsigned long long)st->misses,
                   (unsigned long long)st->expired, (unsigned long long)st->evicted,
                   (unsigned long long)st->writes_refused);
    srv_buf_printf(out,
                   "defrag_running=%d,defrag_cpu_pct=%u,defrag_frag_pct=%llu,defrag_passes=%llu,"
                   "defrag_sweeps=%llu,defrag_scanned=%llu,defrag_moves=%llu,"
                   "defrag_bytes_moved=%llu,defrag_bytes_freed=%llu,defrag_time_ms=%llu,"
                   "defrag_lock_holds=%llu,defrag_max_hold_us=%llu,defrag_slow_holds=%llu\r\n",
                   st->defrag_running, st->defrag_cpu_pct, (unsigned long long)st->defrag_frag_pct,
                   (unsigned long long)st->defrag_passes, (unsigned long long)st->defrag_sweeps,
                   (unsigned long long)st->defrag_scanned, (unsigned long long)st->defrag_moves,
                   (unsigned long long)st->defrag_bytes_moved,
                   (unsigned long long)st->defrag_bytes_freed,
                   (unsigned long long)(st->defrag_time_ns / 1000000),
                   (unsigned long long)st->defrag_lock_holds,
                   (unsigned long long)(st->defrag_max_hold_ns / 1000),
                   (unsigned long long)st->defrag_slow_holds);
}

static void section_namespaces(srv_server_t *srv, srv_buf_t *out)
{
    field(out, "# Namespaces");
    size_t n = srv->store ? fl_store_ns_count(srv->store) : 0;
    for (size_t i = 0; i < n; i++) {
        fl_ns_t *ns = fl_store_ns(srv->store, i);
        fl_ns_stats_t st;
        if (fl_ns_stats(ns, &st) == FL_OK)
            namespace_line(out, fl_ns_config(ns)->name, i, &st);
    }
}

typedef void section_fn(srv_server_t *srv, srv_buf_t *out);

static const struct {
    const char *name;
    section_fn *fn;
} sections[] = {
    {"server", section_server},     {"clients", section_clients},
    {"memory", section_memory},     {"persistence", section_persistence},
    {"stats", section_stats},       {"replication", section_replication},
    {"keyspace", section_keyspace}, {"namespaces", section_namespaces},
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static bool wanted(size_t i, int argc, const fl_slice_t *argv)
{
    if (argc == 0)
        return true;
    for (int a = 0; a < argc; a++) {
        fl_slice_t s = argv[a];
        if (srv_slice_eq(s, "all") || srv_slice_eq(s, "everything") || srv_slice_eq(s, "default"))
            return true;
        if (srv_slice_eq(s, sections[i].name))
            return true;
    }
    return false;
}

void srv_info_build(srv_server_t *srv, srv_buf_t *out, int argc, const fl_slice_t *argv)
{
    bool first = true;
    for (size_t i = 0; i < NSECTIONS; i++) {
        if (!wanted(i, argc, argv))
            continue;
        if (!first)
            srv_reply_raw(out, "\r\n", 2);
        sections[i].fn(srv, out);
        first = false;
    }
}
