/*
 * src/server/cmd_memory.c: the MEMORY command (STATS, USAGE, DOCTOR, PURGE, DEFRAG, HELP).
 *
 * Invariants: MEMORY STATS lists every breakdown (process, private arenas, each
 * server-lifetime arena, each namespace)
 * by iterating FL_MEM_BYTES / FL_MEM_RATIOS, and each namespace's statistics by iterating
 * FL_NS_STATS (names with '-' for '_', as Redis's MEMORY STATS spells them), then the Redis
 * names dashboards read, in maps; ratios are doubles, as Redis sends them. Every figure comes
 * from one srv_mem_snapshot.
 */
#include "srv_cmd.h"

#include <stdio.h>

/* A name/value map built before its length is known. */
typedef struct pairs {
    srv_buf_t buf;
    size_t n; /* elements (names + values) */
} pairs_t;

static void p_int(pairs_t *p, const char *name, long long v)
{
    srv_reply_bulk_str(&p->buf, name);
    srv_reply_int(&p->buf, v);
    p->n += 2;
}

static void p_ratio(pairs_t *p, const char *name, double v)
{
    srv_reply_bulk_str(&p->buf, name);
    srv_reply_double(&p->buf, v);
    p->n += 2;
}

static void p_nested(pairs_t *p, const char *name, pairs_t *inner)
{
    srv_reply_bulk_str(&p->buf, name);
    srv_reply_map(&p->buf, inner->n / 2);
    srv_reply_raw(&p->buf, inner->buf.p, inner->buf.len);
    p->buf.failed |= inner->buf.failed;
    srv_buf_free(&inner->buf);
    inner->n = 0;
    p->n += 2;
}

/* Replies with the map built in *p (or marks the reply failed) and frees it. */
static void p_send(srv_client_t *c, pairs_t *p)
{
    if (p->buf.failed) {
        c->out.failed = true;
    } else {
        srv_reply_map(&c->out, p->n / 2);
        srv_reply_raw(&c->out, p->buf.p, p->buf.len);
    }
    srv_buf_free(&p->buf);
}

/* A vocabulary name as MEMORY STATS spells it: '-' for '_'. */
static const char *dashed(const char *name, char *buf, size_t len)
{
    size_t i = 0;
    for (; name[i] && i + 1 < len; i++)
        buf[i] = name[i] == '_' ? '-' : name[i];
    buf[i] = '\0';
    return buf;
}

/* Every field of FL_MEM_BYTES then FL_MEM_RATIOS. */
static void breakdown(pairs_t *p, const fl_mem_stats_t *m)
{
    char name[64];
#define MEMORY_BYTES_(f, fname, doc) p_int(p, dashed(fname, name, sizeof(name)), (long long)m->f);
    FL_MEM_BYTES(MEMORY_BYTES_)
#undef MEMORY_BYTES_
#define MEMORY_RATIO_(f, fname, formula, doc) p_ratio(p, dashed(fname, name, sizeof(name)), m->f);
    FL_MEM_RATIOS(MEMORY_RATIO_)
#undef MEMORY_RATIO_
}

/* Every field of FL_NS_STATS, then the namespace arena's breakdown. */
static void namespace_stats(pairs_t *p, const fl_ns_stats_t *st)
{
    char name[64];
#define MEMORY_NS_STAT_(f, ctype, fname, unit, doc)                                                \
    p_int(p, dashed(fname, name, sizeof(name)), (long long)st->f);
    FL_NS_STATS(MEMORY_NS_STAT_)
#undef MEMORY_NS_STAT_
    breakdown(p, &st->mem);
}

static void memory_stats(srv_client_t *c)
{
    srv_mem_snapshot_t s;
    srv_mem_snapshot(c->srv, &s);
    const fl_mem_stats_t *m = &s.process;
    pairs_t top = {srv_buf_like(&c->out), 0}, inner = {srv_buf_like(&c->out), 0};
    breakdown(&inner, m);
    p_nested(&top, "process", &inner);
    if (s.priv_rc == 0) {
        breakdown(&inner, &s.priv);
        p_nested(&top, "private-arenas", &inner);
    }
    for (int k = 0; k < SRV_ARENA_COUNT; k++) {
        char name[64];
        if (s.arena_rc[k] != 0)
            continue;
        breakdown(&inner, &s.arena[k]);
        snprintf(name, sizeof(name), "arena.%s", srv_arena_name((srv_arena_kind_t)k));
        p_nested(&top, name, &inner);
    }
    for (size_t i = 0; i < s.n_ns; i++) {
        char name[96];
        if (s.ns_rc[i] != FL_OK)
            continue;
        namespace_stats(&inner, &s.ns[i]);
        snprintf(name, sizeof(name), "namespace.%s", s.ns_name[i]);
        p_nested(&top, name, &inner);
    }
    size_t used = s.process_rc == 0 ? m->allocated : s.ns_requested;
    p_int(&top, "peak.allocated", (long long)(s.peak_allocated > used ? s.peak_allocated : used));
    p_int(&top, "total.allocated", (long long)used);
    p_int(&top, "keys.count", (long long)s.keys);
    p_int(&top, "dataset.bytes", (long long)s.ns_used);
    p_int(&top, "allocator.allocated", (long long)m->allocated);
    p_int(&top, "allocator.active", (long long)m->active);
    p_int(&top, "allocator.resident", (long long)m->resident);
    p_ratio(&top, "allocator-fragmentation.ratio", srv_mem_ratio(m->active, m->allocated));
    p_int(&top, "allocator-fragmentation.bytes", (long long)m->active - (long long)m->allocated);
    p_ratio(&top, "allocator.rss-ratio", srv_mem_ratio(m->resident, m->active));
    p_int(&top, "allocator.rss-bytes", (long long)m->resident - (long long)m->active);
    p_ratio(&top, "rss-overhead.ratio", srv_mem_ratio(m->rss, m->resident));
    p_int(&top, "rss-overhead.bytes", (long long)m->rss - (long long)m->resident);
    p_ratio(&top, "fragmentation", srv_mem_ratio(m->rss, used));
    p_int(&top, "fragmentation.bytes", (long long)m->rss - (long long)used);
    p_send(c, &top);
}

/* MEMORY USAGE key [SAMPLES count]...: as Redis 7, SAMPLES may repeat; a count must be an
 * integer >= 0 (0 = all; the size is exact here, so the count is not otherwise used). */
static void memory_usage(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (argc < 3) {
        srv_reply_arity(c, "memory|usage");
        return;
    }
    for (int i = 3; i < argc; i += 2) {
        long long samples;
        if (!srv_slice_eq(argv[i], "samples") || i + 1 >= argc) {
            srv_reply_syntax(c);
            return;
        }
        if (!srv_arg_ll(c, argv[i + 1], &samples))
            return;
        if (samples < 0) {
            srv_reply_syntax(c);
            return;
        }
    }
    size_t bytes = 0;
    if (!srv_sink_done(c, c->out.len, fl_key_memory_usage(c->ns, argv[2], &bytes)))
        return;
    if (bytes == 0)
        srv_reply_nil(&c->out);
    else
        srv_reply_int(&c->out, (long long)bytes);
}

/* MEMORY DEFRAG [namespace]: a full defragmentation pass now over the selected namespace
 * (or the named one), replying what it did. */
static void memory_defrag(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_ns_t *ns = c->ns;
    if (argc == 3) {
        ns = fl_store_ns_find(c->srv->store, argv[2].p, argv[2].n);
        if (!ns) {
            int n = argv[2].n < 64 ? (int)argv[2].n : 64;
            srv_reply_errorf(&c->out, "ERR no such namespace '%.*s'", n, argv[2].p);
            return;
        }
    } else if (argc > 3) {
        srv_reply_syntax(c);
        return;
    }
    fl_ns_defrag_report_t r;
    if (!srv_sink_done(c, c->out.len, fl_ns_defrag_full(ns, &r)))
        return;
    pairs_t top = {{0}, 0};
    p_int(&top, "scanned", (long long)r.scanned);
    p_int(&top, "moved", (long long)r.moved);
    p_int(&top, "bytes-moved", (long long)r.bytes_moved);
    p_int(&top, "resident-before", (long long)r.resident_before);
    p_int(&top, "resident-after", (long long)r.resident_after);
    p_int(&top, "frag-bytes-before", (long long)r.frag_bytes_before);
    p_int(&top, "frag-bytes-after", (long long)r.frag_bytes_after);
    p_int(&top, "time-us", (long long)r.time_us);
    p_send(c, &top);
}

static const char *const help[] = {
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DEFRAG [<namespace>]",
    "    Defragment the namespace's arena now (moves live objects out of sparse pages).",
    "DOCTOR",
    "    Return memory problems reports, computed from the breakdown.",
    "PURGE",
    "    Return unused pages of every arena to the OS now.",
    "STATS",
    "    Return the memory breakdown: process, private arenas, server arenas, namespaces.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return the bytes a key's record takes in its namespace arena.",
};

static void cmd_memory(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_slice_t sub = argv[1];
    if (srv_slice_eq(sub, "stats") && argc == 2) {
        memory_stats(c);
    } else if (srv_slice_eq(sub, "usage")) {
        memory_usage(c, argc, argv);
    } else if (srv_slice_eq(sub, "doctor") && argc == 2) {
        srv_mem_snapshot_t s;
        srv_buf_t text = {0};
        srv_mem_snapshot(c->srv, &s);
        srv_mem_doctor(&s, &text);
        if (text.failed)
            c->out.failed = true;
        else
            srv_reply_verbatim(&c->out, text.p ? text.p : "", text.len);
        srv_buf_free(&text);
    } else if (srv_slice_eq(sub, "defrag")) {
        memory_defrag(c, argc, argv);
    } else if (srv_slice_eq(sub, "purge") && argc == 2) {
        int rc = fl_mem_purge_all();
        if (rc == 0)
            srv_reply_ok(&c->out);
        else
            srv_reply_errorf(&c->out, "ERR purge failed: %s", fl_mem_strerror(rc));
    } else if (srv_slice_eq(sub, "help") && argc == 2) {
        srv_reply_array(&c->out, sizeof(help) / sizeof(help[0]));
        for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
            srv_reply_simple(&c->out, help[i]);
    } else if (srv_slice_eq(sub, "stats") || srv_slice_eq(sub, "doctor") ||
               srv_slice_eq(sub, "purge") || srv_slice_eq(sub, "help")) {
        char full[32];
        snprintf(full, sizeof(full), "memory|%.*s", (int)sub.n, sub.p);
        for (char *p = full; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        srv_reply_arity(c, full);
    } else {
        srv_reply_unknown_subcommand(c, sub, "MEMORY");
    }
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"memory", -2, SRV_CMD_READONLY | SRV_CMD_SUBCOMMANDS, cmd_memory, 0, 0, 0, 0},
};
/* MEMORY's subcommands for ACL rules and categories, as Redis 7.0 gives them (USAGE @read; the
 * others, DEFRAG included, @slow). */
static const srv_subcmd_t memory_subcmds[] = {
    {"defrag", 0, 0}, {"doctor", 0, 0}, {"help", 0, 0},
    {"purge", 0, 0},  {"stats", 0, 0},  {"usage", SRV_CMD_READONLY, 0},
    {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_memory = {"memory", memory_subcmds, 0};

const srv_cmd_family_t srv_cmds_memory = {cmds, sizeof(cmds) / sizeof(cmds[0])};
