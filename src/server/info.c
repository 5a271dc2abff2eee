/*
 * src/server/info.c: the INFO command's text, one small function per section.
 *
 * Invariants: field names that dashboards read are Redis's (used_memory, allocator_frag_ratio,
 * mem_fragmentation_ratio, ...); the memory layer's breakdown is printed in DESIGN.md's
 * vocabulary and order (requested, allocated, active, resident, dirty, muzzy, retained,
 * metadata, RSS, then the ratios). All figures come from one snapshot per call.
 */
#include "srv.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
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
    field(out, "io_threads_active:0"); /* workers do their own I/O: no separate I/O threads */
}

static void section_clients(srv_server_t *srv, srv_buf_t *out)
{
    field(out, "# Clients");
    field(out, "connected_clients:%ld", atomic_load(&srv->connected));
    field(out, "cluster_connections:0");
    field(out, "maxclients:%lld", srv->cfg.maxclients);
    uint64_t largest = 0;
    for (int i = 0; i < srv->nworkers; i++) {
        uint64_t l =
            atomic_load_explicit(&srv->workers[i].largest_client_mem, memory_order_relaxed);
        largest = l > largest ? l : largest;
    }
    /* flatline keeps one figure per client (input and output buffers together). */
    field(out, "client_recent_max_input_buffer:%llu", (unsigned long long)largest);
    field(out, "client_recent_max_output_buffer:%llu", (unsigned long long)largest);
    field(out, "blocked_clients:0");
    field(out, "tracking_clients:0");
    field(out, "clients_in_timeout_table:0");
    field(out, "clients_memory:%llu", (unsigned long long)srv_clients_memory(srv));
    field(out, "monitor_clients:%d", atomic_load(&srv->monitors));
}

/* Redis's CPU fields: the process, its children (none), and the calling worker's thread. */
static void section_cpu(srv_server_t *srv, srv_buf_t *out)
{
    (void)srv;
    struct rusage self, children, thread;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_THREAD, &thread);
#define SECS(tv) ((double)(tv).tv_sec + (double)(tv).tv_usec / 1000000.0)
    field(out, "# CPU");
    field(out, "used_cpu_sys:%.6f", SECS(self.ru_stime));
    field(out, "used_cpu_user:%.6f", SECS(self.ru_utime));
    field(out, "used_cpu_sys_children:%.6f", SECS(children.ru_stime));
    field(out, "used_cpu_user_children:%.6f", SECS(children.ru_utime));
    field(out, "used_cpu_sys_main_thread:%.6f", SECS(thread.ru_stime));
    field(out, "used_cpu_user_main_thread:%.6f", SECS(thread.ru_utime));
#undef SECS
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
    /* Client buffers are flatline's overhead outside the namespaces (Redis's mem_clients_*);
     * no scripts, no replicas, nothing freed lazily. */
    uint64_t clients = srv_clients_memory(srv);
    field(out, "used_memory_overhead:%llu", (unsigned long long)clients);
    field(out, "used_memory_startup:0");
    field(out, "used_memory_lua:0");
    field(out, "used_memory_scripts:0");
    field(out, "number_of_cached_scripts:0");
    field(out, "mem_not_counted_for_evict:0");
    field(out, "mem_clients_slaves:0");
    field(out, "mem_clients_normal:%llu", (unsigned long long)clients);
    field(out, "lazyfree_pending_objects:0");
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
    field(out, "rdb_changes_since_last_save:0");
    field(out, "rdb_last_save_time:%lld", (long long)(srv->start_ms / 1000));
    field(out, "rdb_last_bgsave_time_sec:-1");
    field(out, "rdb_current_bgsave_time_sec:-1");
    field(out, "rdb_last_cow_size:0");
    field(out, "aof_enabled:0");
    field(out, "aof_rewrite_in_progress:0");
    field(out, "aof_rewrite_scheduled:0");
    field(out, "aof_last_rewrite_time_sec:-1");
    field(out, "aof_current_rewrite_time_sec:-1");
    field(out, "aof_last_bgrewrite_status:ok");
    field(out, "aof_last_write_status:ok");
    field(out, "aof_last_cow_size:0");
    field(out, "module_fork_in_progress:0");
    field(out, "module_fork_last_cow_size:0");
}

/* No replication: always a master without replicas (clients check role). */
static void section_replication(srv_server_t *srv, srv_buf_t *out)
{
    (void)srv;
    field(out, "# Replication");
    field(out, "role:master");
    field(out, "connected_slaves:0");
    field(out, "master_repl_offset:0");
    field(out, "second_repl_offset:-1");
    field(out, "repl_backlog_active:0");
    field(out, "repl_backlog_size:0");
    field(out, "repl_backlog_first_byte_offset:0");
    field(out, "repl_backlog_histlen:0");
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
    field(out, "evicted_clients:%llu", (unsigned long long)t.evicted_clients);
    field(out, "client_output_buffer_limit_disconnections:%llu",
          (unsigned long long)t.obl_disconnects);
    field(out, "client_query_buffer_limit_disconnections:%llu",
          (unsigned long long)t.qbl_disconnects);
    field(out, "timedout_clients:%llu", (unsigned long long)t.timedout_clients);
    field(out, "killed_clients:%llu", (unsigned long long)t.killed_clients);
    field(out, "total_error_replies:%llu", (unsigned long long)t.error_replies);
    field(out, "rejected_calls:%llu", (unsigned long long)t.rejected_calls);
    field(out, "unexpected_error_replies:0");
    field(out, "total_reads_processed:%llu", (unsigned long long)t.reads);
    field(out, "total_writes_processed:%llu", (unsigned long long)t.writes);
    field(out, "io_threaded_reads_processed:0");
    field(out, "io_threaded_writes_processed:0");
    /* Nothing of these exists in flatline (no replicas, tracking, MIGRATE, DUMP): Redis's
     * fields with the values Redis gives when unused, so dashboards find them. */
    field(out, "sync_full:0");
    field(out, "sync_partial_ok:0");
    field(out, "sync_partial_err:0");
    field(out, "expired_stale_perc:0.00");
    field(out, "expired_time_cap_reached_count:0");
    field(out, "migrate_cached_sockets:0");
    field(out, "slave_expires_tracked_keys:0");
    field(out, "tracking_total_keys:0");
    field(out, "tracking_total_items:0");
    field(out, "tracking_total_prefixes:0");
    field(out, "dump_payload_sanitizations:0");
    field(out, "pubsub_channels:0");
    field(out, "pubsub_patterns:0");
    field(out, "latest_fork_usec:0");
    field(out, "total_forks:0");
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
    /* flatline moves records, not keys: the key-level figures are the record-level ones. */
    field(out, "active_defrag_key_hits:%llu", (unsigned long long)dmoves);
    field(out, "active_defrag_key_misses:%llu",
          (unsigned long long)(dscanned > dmoves ? dscanned - dmoves : 0));
}

static void section_cluster(srv_server_t *srv, srv_buf_t *out)
{
    (void)srv;
    field(out, "# Cluster");
    field(out, "cluster_enabled:0");
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

/* In Redis's order; `all` marks the sections of INFO, INFO ALL and INFO DEFAULT (Redis leaves
 * commandstats and latencystats to INFO ALL / EVERYTHING or by name). */
static const struct {
    const char *name;
    section_fn *fn;
    bool in_default;
} sections[] = {
    {"server", section_server, true},
    {"clients", section_clients, true},
    {"memory", section_memory, true},
    {"persistence", section_persistence, true},
    {"stats", section_stats, true},
    {"replication", section_replication, true},
    {"cpu", section_cpu, true},
    {"commandstats", srv_info_commandstats, false},
    {"errorstats", srv_info_errorstats, true},
    {"latencystats", srv_info_latencystats, false},
    {"cluster", section_cluster, true},
    {"keyspace", section_keyspace, true},
    {"namespaces", section_namespaces, true},
};

#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static bool wanted(size_t i, int argc, const fl_slice_t *argv)
{
    if (argc == 0)
        return sections[i].in_default;
    for (int a = 0; a < argc; a++) {
        fl_slice_t s = argv[a];
        if (srv_slice_eq(s, "all") || srv_slice_eq(s, "everything"))
            return true;
        if (srv_slice_eq(s, "default") && sections[i].in_default)
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
