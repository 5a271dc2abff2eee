/*
 * src/server/info.c: the INFO command: the table of sections and the builders of the sections
 * this file owns (server, clients, memory, persistence, stats, replication, keyspace,
 * namespaces).
 *
 * Adding a section: write `void srv_info_<name>(srv_server_t *srv, srv_buf_t *out)` in the
 * file that owns its figures (printing with srv_info_field), declare it in srv.h and add one
 * row to `sections` below.
 *
 * Invariants: field names that dashboards read are Redis's (used_memory, allocator_frag_ratio,
 * mem_fragmentation_ratio, ...); every memory breakdown iterates FL_MEM_BYTES / FL_MEM_RATIOS,
 * every namespace line FL_NS_STATS, and INFO stats SRV_STATS: no field list is spelled out here.
 * The memory figures come from one snapshot per section.
 */
#include "srv.h"

#include "block.h"
#include "script.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

void srv_info_field(srv_buf_t *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    srv_buf_vprintf(out, fmt, ap);
    va_end(ap);
    srv_reply_raw(out, "\r\n", 2);
}

static void section_server(srv_server_t *srv, srv_buf_t *out)
{
    struct utsname u;
    uname(&u);
    int64_t up = (fl_now_ms() - srv->start_ms) / 1000;
    srv_info_field(out, "# Server");
    srv_info_field(out, "redis_version:" SRV_REDIS_VERSION);
    srv_info_field(out, "flatline_version:0.1.0");
    srv_info_field(out, "redis_mode:standalone");
    srv_info_field(out, "os:%s %s %s", u.sysname, u.release, u.machine);
    srv_info_field(out, "arch_bits:%d", (int)(sizeof(void *) * 8));
    srv_info_field(out, "multiplexing_api:epoll");
    srv_info_field(out, "process_id:%ld", (long)getpid());
    srv_info_field(out, "tcp_port:%lld", srv->cfg.port);
    srv_info_field(out, "worker_threads:%d", srv->nworkers);
    srv_info_field(out, "uptime_in_seconds:%lld", (long long)up);
    srv_info_field(out, "uptime_in_days:%lld", (long long)up / 86400);
    srv_info_field(out, "config_file:%s", srv->config_file ? srv->config_file : "");
    srv_info_field(out, "io_threads_active:0"); /* workers do their own I/O */
}

static void section_clients(srv_server_t *srv, srv_buf_t *out)
{
    srv_info_field(out, "# Clients");
    srv_info_field(out, "connected_clients:%ld", atomic_load(&srv->connected));
    srv_info_field(out, "cluster_connections:0");
    srv_info_field(out, "maxclients:%lld", atomic_load(&srv->live.maxclients));
    uint64_t largest = 0;
    for (int i = 0; i < srv->nworkers; i++) {
        uint64_t l =
            atomic_load_explicit(&srv->workers[i].largest_client_mem, memory_order_relaxed);
        largest = l > largest ? l : largest;
    }
    /* flatline keeps one figure per client (input and output buffers together). */
    srv_info_field(out, "client_recent_max_input_buffer:%llu", (unsigned long long)largest);
    srv_info_field(out, "client_recent_max_output_buffer:%llu", (unsigned long long)largest);
    srv_info_field(out, "blocked_clients:%ld", srv_block_count());
    srv_info_field(out, "tracking_clients:0");
    srv_info_field(out, "clients_in_timeout_table:0");
    srv_info_field(out, "clients_memory:%llu", (unsigned long long)srv_clients_memory(srv));
    srv_info_field(out, "monitor_clients:%d", atomic_load(&srv->monitors));
}

/* Redis's CPU fields: the process, its children (none), and the calling worker's thread in
 * place of Redis's main thread. */
static void section_cpu(srv_server_t *srv, srv_buf_t *out)
{
    (void)srv;
    struct rusage self, children, thread;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &children);
    getrusage(RUSAGE_THREAD, &thread);
    const struct {
        const char *name;
        struct timeval tv;
    } f[] = {{"used_cpu_sys", self.ru_stime},
             {"used_cpu_user", self.ru_utime},
             {"used_cpu_sys_children", children.ru_stime},
             {"used_cpu_user_children", children.ru_utime},
             {"used_cpu_sys_main_thread", thread.ru_stime},
             {"used_cpu_user_main_thread", thread.ru_utime}};
    srv_info_field(out, "# CPU");
    for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
        srv_info_field(out, "%s:%ld.%06ld", f[i].name, (long)f[i].tv.tv_sec, (long)f[i].tv.tv_usec);
}

/* One breakdown, every field of FL_MEM_BYTES then FL_MEM_RATIOS, each name prefixed. */
static void breakdown(srv_buf_t *out, const char *prefix, const fl_mem_stats_t *m)
{
#define INFO_BYTES_(f, name, doc) srv_info_field(out, "%s" name ":%zu", prefix, m->f);
    FL_MEM_BYTES(INFO_BYTES_)
#undef INFO_BYTES_
#define INFO_RATIO_(f, name, formula, doc) srv_info_field(out, "%s" name ":%.2f", prefix, m->f);
    FL_MEM_RATIOS(INFO_RATIO_)
#undef INFO_RATIO_
    srv_info_field(out, "%srequested_known:%d", prefix, m->requested_known);
}

static void section_memory(srv_server_t *srv, srv_buf_t *out)
{
    srv_mem_snapshot_t s;
    char h[32];
    srv_mem_snapshot(srv, &s);
    const fl_mem_stats_t *p = &s.process;
    size_t used = s.process_rc == 0 ? p->allocated : s.ns_requested;
    srv_info_field(out, "# Memory");
    srv_info_field(out, "used_memory:%zu", used);
    srv_human_bytes(h, sizeof(h), used);
    srv_info_field(out, "used_memory_human:%s", h);
    srv_info_field(out, "used_memory_rss:%zu", p->rss);
    srv_human_bytes(h, sizeof(h), p->rss);
    srv_info_field(out, "used_memory_rss_human:%s", h);
    srv_info_field(out, "used_memory_peak:%zu", s.peak_allocated > used ? s.peak_allocated : used);
    srv_human_bytes(h, sizeof(h), s.peak_allocated > used ? s.peak_allocated : used);
    srv_info_field(out, "used_memory_peak_human:%s", h);
    srv_info_field(out, "used_memory_dataset:%zu", s.ns_used);
    /* Client buffers are flatline's overhead outside the namespaces (Redis's mem_clients_*);
     * no scripts, no replicas, nothing freed lazily. */
    uint64_t clients = srv_clients_memory(srv);
    srv_info_field(out, "used_memory_overhead:%llu", (unsigned long long)clients);
    srv_info_field(out, "used_memory_startup:0");
    srv_info_field(out, "used_memory_lua:0");
    srv_info_field(out, "used_memory_scripts:0");
    srv_info_field(out, "number_of_cached_scripts:%zu", srv_script_cached_count());
    srv_info_field(out, "mem_not_counted_for_evict:0");
    srv_info_field(out, "mem_clients_slaves:0");
    srv_info_field(out, "mem_clients_normal:%llu", (unsigned long long)clients);
    srv_info_field(out, "lazyfree_pending_objects:0");
    /* As CONFIG GET maxmemory: the namespaces' limits summed, 0 ("no limit") when any namespace
     * is unlimited; the policy is the default namespace's. */
    unsigned long long maxmem = srv_config_maxmemory(&srv->cfg);
    srv_info_field(out, "maxmemory:%llu", maxmem);
    srv_human_bytes(h, sizeof(h), maxmem);
    srv_info_field(out, "maxmemory_human:%s", h);
    srv_info_field(out, "maxmemory_policy:%s",
                   fl_evict_policy_names[fl_ns_evict_policy(fl_store_ns(srv->store, 0))]);
    srv_info_field(out, "mem_allocator:jemalloc-5.3.0");
    srv_info_field(out, "mem_stats_available:%d", s.process_rc == 0);
    srv_info_field(out, "malloc_is_jemalloc:%d", fl_mem_malloc_is_jemalloc());
    breakdown(out, "process_", p);
    if (s.priv_rc == 0)
        breakdown(out, "private_", &s.priv);
    for (int k = 0; k < SRV_ARENA_COUNT; k++) { /* what outlives requests and clients */
        char prefix[48];
        snprintf(prefix, sizeof(prefix), "arena_%s_", srv_arena_name((srv_arena_kind_t)k));
        if (s.arena_rc[k] == 0)
            breakdown(out, prefix, &s.arena[k]);
    }
    srv_info_field(out, "namespaces_requested:%zu", s.ns_requested);
    srv_info_field(out, "namespaces_used:%zu", s.ns_used);
    srv_info_field(out, "allocator_allocated:%zu", p->allocated);
    srv_info_field(out, "allocator_active:%zu", p->active);
    srv_info_field(out, "allocator_resident:%zu", p->resident);
    srv_info_field(out, "allocator_frag_ratio:%.2f", srv_mem_ratio(p->active, p->allocated));
    srv_info_field(out, "allocator_frag_bytes:%lld",
                   (long long)p->active - (long long)p->allocated);
    srv_info_field(out, "allocator_rss_ratio:%.2f", srv_mem_ratio(p->resident, p->active));
    srv_info_field(out, "allocator_rss_bytes:%lld", (long long)p->resident - (long long)p->active);
    srv_info_field(out, "rss_overhead_ratio:%.2f", srv_mem_ratio(p->rss, p->resident));
    srv_info_field(out, "rss_overhead_bytes:%lld", (long long)p->rss - (long long)p->resident);
    srv_info_field(out, "mem_fragmentation_ratio:%.2f", srv_mem_ratio(p->rss, used));
    srv_info_field(out, "mem_fragmentation_bytes:%lld", (long long)p->rss - (long long)used);
}

static void persistence_field(void *ctx, const char *name, const char *value)
{
    srv_info_field(ctx, "%s:%s", name, value);
}

/* An in-process server's persistence fields: nothing loads or saves. */
static void no_persistence(srv_server_t *srv, srv_buf_t *out)
{
    srv_info_field(out, "loading:0");
    srv_info_field(out, "async_loading:0");
    srv_info_field(out, "rdb_bgsave_in_progress:0");
    srv_info_field(out, "rdb_last_bgsave_status:ok");
    srv_info_field(out, "rdb_changes_since_last_save:0");
    srv_info_field(out, "rdb_last_save_time:%lld", (long long)(srv->start_ms / 1000));
    srv_info_field(out, "rdb_last_bgsave_time_sec:-1");
    srv_info_field(out, "rdb_current_bgsave_time_sec:-1");
    srv_info_field(out, "rdb_last_cow_size:0");
    srv_info_field(out, "aof_enabled:0");
    srv_info_field(out, "aof_rewrite_in_progress:0");
    srv_info_field(out, "aof_rewrite_scheduled:0");
    srv_info_field(out, "aof_last_rewrite_time_sec:-1");
    srv_info_field(out, "aof_current_rewrite_time_sec:-1");
    srv_info_field(out, "aof_last_bgrewrite_status:ok");
    srv_info_field(out, "aof_last_write_status:ok");
    srv_info_field(out, "aof_last_cow_size:0");
}

/* src/persist/'s fields (Redis's names); an in-process server has none: nothing loads. */
static void section_persistence(srv_server_t *srv, srv_buf_t *out)
{
    srv_info_field(out, "# Persistence");
    if (srv->persist)
        flp_info(srv->persist, persistence_field, out);
    else
        no_persistence(srv, out);
    /* No modules: Redis's fields as Redis gives them without one (dashboards read them). */
    srv_info_field(out, "module_fork_in_progress:0");
    srv_info_field(out, "module_fork_last_cow_size:0");
}

/* No replication: always a master without replicas (clients check role). */
static void section_replication(srv_server_t *srv, srv_buf_t *out)
{
    (void)srv;
    srv_info_field(out, "# Replication");
    srv_info_field(out, "role:master");
    srv_info_field(out, "connected_slaves:0");
    srv_info_field(out, "master_repl_offset:0");
    srv_info_field(out, "second_repl_offset:-1");
    srv_info_field(out, "repl_backlog_active:0");
    srv_info_field(out, "repl_backlog_size:0");
    srv_info_field(out, "repl_backlog_first_byte_offset:0");
    srv_info_field(out, "repl_backlog_histlen:0");
}

static void section_stats(srv_server_t *srv, srv_buf_t *out)
{
    srv_stats_sum_t t;
    srv_stats_sum(srv, &t);
    uint64_t hits = 0, misses = 0, expired = 0, evicted = 0, refused = 0;
    uint64_t dmoves = 0, dscanned = 0, dtime_us = 0;
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
        dtime_us += st.defrag_time_us;
        if (st.defrag_running && st.defrag_cpu_pct > drunning)
            drunning = st.defrag_cpu_pct;
    }
    srv_info_field(out, "# Stats");
#define INFO_STAT_(f, info_name, doc)                                                              \
    srv_info_field(out, info_name ":%llu", (unsigned long long)t.f);
    SRV_STATS(INFO_STAT_)
#undef INFO_STAT_
    srv_info_field(out, "instantaneous_ops_per_sec:%llu",
                   (unsigned long long)atomic_load(&srv->ops_per_sec));
    srv_info_field(out, "expired_keys:%llu", (unsigned long long)expired);
    srv_info_field(out, "evicted_keys:%llu", (unsigned long long)evicted);
    srv_info_field(out, "writes_refused:%llu", (unsigned long long)refused);
    srv_info_field(out, "keyspace_hits:%llu", (unsigned long long)hits);
    srv_info_field(out, "keyspace_misses:%llu", (unsigned long long)misses);
    /* Redis's names and units: running = the CPU share in use (0 = idle), hits = allocations
     * moved, misses = allocations looked at and left in place, time in ms; per namespace (in
     * microseconds, as every flatline time): INFO namespaces */
    srv_info_field(out, "active_defrag_running:%u", drunning);
    srv_info_field(out, "active_defrag_hits:%llu", (unsigned long long)dmoves);
    srv_info_field(out, "active_defrag_misses:%llu",
                   (unsigned long long)(dscanned > dmoves ? dscanned - dmoves : 0));
    srv_info_field(out, "total_active_defrag_time:%llu", (unsigned long long)(dtime_us / 1000));
    /* flatline moves records, not keys: the key-level figures are the record-level ones. */
    srv_info_field(out, "active_defrag_key_hits:%llu", (unsigned long long)dmoves);
    srv_info_field(out, "active_defrag_key_misses:%llu",
                   (unsigned long long)(dscanned > dmoves ? dscanned - dmoves : 0));
    /* Nothing of these exists in flatline (no replicas, tracking, MIGRATE, DUMP, I/O threads,
     * pub/sub yet): Redis's fields with the values Redis gives when unused. */
    static const char *const unused[] = {"io_threaded_reads_processed:0",
                                         "io_threaded_writes_processed:0",
                                         "sync_full:0",
                                         "sync_partial_ok:0",
                                         "sync_partial_err:0",
                                         "expired_stale_perc:0.00",
                                         "expired_time_cap_reached_count:0",
                                         "migrate_cached_sockets:0",
                                         "slave_expires_tracked_keys:0",
                                         "tracking_total_keys:0",
                                         "tracking_total_items:0",
                                         "tracking_total_prefixes:0",
                                         "dump_payload_sanitizations:0",
                                         "unexpected_error_replies:0",
                                         "pubsub_channels:0",
                                         "pubsub_patterns:0",
                                         "latest_fork_usec:0",
                                         "total_forks:0"};
    for (size_t i = 0; i < sizeof(unused) / sizeof(unused[0]); i++)
        srv_info_field(out, "%s", unused[i]);
}

static void section_cluster(srv_server_t *srv, srv_buf_t *out)
{
    (void)srv;
    srv_info_field(out, "# Cluster");
    srv_info_field(out, "cluster_enabled:0");
}

static void section_keyspace(srv_server_t *srv, srv_buf_t *out)
{
    srv_info_field(out, "# Keyspace");
    size_t n = srv->store ? fl_store_ns_count(srv->store) : 0;
    for (size_t i = 0; i < n; i++) {
        fl_ns_stats_t st;
        if (fl_ns_stats(fl_store_ns(srv->store, i), &st) != FL_OK || st.keys == 0)
            continue;
        srv_info_field(out, "db%zu:keys=%llu,expires=%llu,avg_ttl=0", i,
                       (unsigned long long)st.keys, (unsigned long long)st.keys_with_ttl);
    }
}

/* One namespace as a keyspace-style line: ns_<name>:index=<i>,k=v,... with every field of
 * FL_NS_STATS, then the arena's breakdown (FL_MEM_BYTES, FL_MEM_RATIOS). */
static void namespace_line(srv_buf_t *out, const char *name, size_t index, const fl_ns_stats_t *st)
{
    const fl_mem_stats_t *m = &st->mem;
    srv_buf_printf(out, "ns_%s:index=%zu", name, index);
#define NS_STAT_(f, ctype, sname, unit, doc)                                                       \
    srv_buf_printf(out, "," sname "=%llu", (unsigned long long)st->f);
    FL_NS_STATS(NS_STAT_)
#undef NS_STAT_
#define NS_BYTES_(f, bname, doc) srv_buf_printf(out, "," bname "=%zu", m->f);
    FL_MEM_BYTES(NS_BYTES_)
#undef NS_BYTES_
#define NS_RATIO_(f, rname, formula, doc) srv_buf_printf(out, "," rname "=%.2f", m->f);
    FL_MEM_RATIOS(NS_RATIO_)
#undef NS_RATIO_
    srv_reply_raw(out, "\r\n", 2);
}

static void section_namespaces(srv_server_t *srv, srv_buf_t *out)
{
    srv_info_field(out, "# Namespaces");
    size_t n = srv->store ? fl_store_ns_count(srv->store) : 0;
    for (size_t i = 0; i < n; i++) {
        fl_ns_t *ns = fl_store_ns(srv->store, i);
        fl_ns_stats_t st;
        if (fl_ns_stats(ns, &st) == FL_OK)
            namespace_line(out, fl_ns_config(ns)->name, i, &st);
    }
}

/* INFO's sections, in output order. in_default: part of INFO without arguments and INFO
 * default (as in Redis, commandstats and latencystats are not: INFO all / everything and
 * INFO <name> only). */
static const struct {
    const char *name;
    srv_info_section_fn *fn;
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
