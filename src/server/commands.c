/*
 * src/server/commands.c: the command table (the families' rows merged into one sorted index)
 * and dispatch.
 *
 * Invariants: the index is sorted by name, strictly, in lower case (a command's id is its
 * position, srv_cmd_at walks it in that order; index_build aborts on a duplicate name, and
 * tests/server/test_commands.c walks srv_cmd_at to check the order); lookup goes through a hash
 * of the lower-case name built with the index, is case-insensitive, binary-safe (a name with
 * a NUL byte matches nothing) and allocation-free; dispatch checks the arity before any handler
 * runs, so handlers may index argv up to |arity|-1 without checks; no handler runs before the
 * access check (authentication, ACL command bits, key patterns: acl.c) passed. Unknown commands,
 * arity errors and refusals use Redis 7's exact wording, in Redis's order (unknown, arity,
 * NOAUTH, NOPERM). After a command ran, dispatch times it and hands it to the observers
 * (per-command statistics, slow log, latency monitor, MONITOR); an error reply is counted by
 * its code; CLIENT REPLY OFF / SKIP drop the reply.
 */
#include "srv_cmd.h"
#include "block.h"
#include "fl_assert.h"
#include "multi.h"
#include "pubsub.h"
#include "script.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <pthread.h>
#include <time.h>

/* The families merged into the command table (srv_cmd.h). */
static const srv_cmd_family_t *const families[] = {
    &srv_cmds_string,  &srv_cmds_hash,    &srv_cmds_keys,     &srv_cmds_server,  &srv_cmds_memory,
    &srv_cmds_acl,     &srv_cmds_persist, &srv_cmds_client,   &srv_cmds_config,  &srv_cmds_command,
    &srv_cmds_slowlog, &srv_cmds_latency, &srv_cmds_monitor,  &srv_cmds_debug,   &srv_cmds_list,
    &srv_cmds_set,     &srv_cmds_zset,    &srv_cmds_multi,    &srv_cmds_script,  &srv_cmds_pubsub,
    &srv_cmds_sort,    &srv_cmds_bitops,  &srv_cmds_bitfield, &srv_cmds_cluster, &srv_cmds_hll,
};
#define NFAMILIES (sizeof(families) / sizeof(families[0]))

/* Containers whose subcommands have categories of their own (srv_cmd.h). */
static const srv_subcmd_table_t *const containers[] = {
    &srv_subcmds_acl,     &srv_subcmds_memory,  &srv_subcmds_client,   &srv_subcmds_config,
    &srv_subcmds_command, &srv_subcmds_script,  &srv_subcmds_function, &srv_subcmds_pubsub,
    &srv_subcmds_slowlog, &srv_subcmds_latency, &srv_subcmds_object,   &srv_subcmds_cluster,
};
#define NCONTAINERS (sizeof(containers) / sizeof(containers[0]))

/* Every command of every family, sorted by name: built once, read-only afterwards. */
static const srv_cmd_t *index_[SRV_CMDS_MAX];
static size_t nindex;
static pthread_once_t index_once = PTHREAD_ONCE_INIT;

/* The same commands by hash of the name (open addressing, linear probing, at most half full):
 * each slot holds an index_ position + 1, 0 when empty. Dispatch looks every command up, so
 * this is one hash and usually one compare instead of a binary search's nine strcmps. */
#define BY_NAME_SLOTS (2 * SRV_CMDS_MAX)
static uint16_t by_name[BY_NAME_SLOTS];

/* ACL entries beyond the commands: the containers' subcommands, in index order, each with its
 * full name and categories; sub_first/sub_n give a command's range. Built with the index. */
typedef struct acl_entry {
    char name[48]; /* "client|kill" */
    unsigned cats;
} acl_entry_t;
static acl_entry_t subs_[SRV_CMDS_MAX];
static size_t nsubs;
static size_t sub_first[SRV_CMDS_MAX], sub_n[SRV_CMDS_MAX];
static unsigned container_cats[SRV_CMDS_MAX]; /* a container's own (its table's cats + @slow) */

/* FNV-1a of a lower-case name; lookup_id computes the same while it folds the case. */
static uint32_t name_hash(const char *low, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (uint8_t)low[i]) * 16777619u;
    return h;
}

static void by_name_add(size_t id)
{
    const char *name = index_[id]->name;
    size_t slot = name_hash(name, strlen(name)) & (BY_NAME_SLOTS - 1);
    while (by_name[slot])
        slot = (slot + 1) & (BY_NAME_SLOTS - 1);
    by_name[slot] = (uint16_t)(id + 1);
}

static int cmd_cmp(const void *a, const void *b)
{
    return strcmp((*(const srv_cmd_t *const *)a)->name, (*(const srv_cmd_t *const *)b)->name);
}

/* Builds the sorted index; a duplicate name or a full index is a build mistake, caught by the
 * first run of any test (abort with the name). */
static void index_build(void)
{
    for (size_t f = 0; f < NFAMILIES; f++)
        for (size_t i = 0; i < families[f]->n; i++) {
            if (nindex == SRV_CMDS_MAX) {
                fprintf(stderr, "commands.c: more than %d commands\n", SRV_CMDS_MAX);
                abort();
            }
            index_[nindex++] = &families[f]->cmds[i];
        }
    qsort(index_, nindex, sizeof(index_[0]), cmd_cmp);
    for (size_t i = 1; i < nindex; i++)
        if (strcmp(index_[i - 1]->name, index_[i]->name) == 0) {
            fprintf(stderr, "commands.c: command '%s' defined twice\n", index_[i]->name);
            abort();
        }
    for (size_t i = 0; i < nindex; i++)
        by_name_add(i);
    for (size_t i = 0; i < nindex; i++) {
        const srv_subcmd_t *table = NULL;
        for (size_t t = 0; t < NCONTAINERS; t++)
            if (strcmp(containers[t]->cmd, index_[i]->name) == 0) {
                table = containers[t]->subs;
                container_cats[i] = containers[t]->cats | SRV_ACL_CAT(SLOW);
            }
        sub_first[i] = nindex + nsubs;
        for (const srv_subcmd_t *sc = table; sc && sc->name; sc++) {
            if (nindex + nsubs == SRV_CMDS_MAX) {
                fprintf(stderr, "commands.c: more than %d commands and subcommands\n",
                        SRV_CMDS_MAX);
                abort();
            }
            acl_entry_t *e = &subs_[nsubs++];
            snprintf(e->name, sizeof(e->name), "%s|%s", index_[i]->name, sc->name);
            srv_cmd_t as_cmd = {.flags = sc->flags, .acl_cats = sc->acl_cats};
            e->cats = srv_cmd_categories(&as_cmd);
            sub_n[i]++;
        }
    }
    for (size_t t = 0; t < NCONTAINERS; t++) { /* a table naming no command is a mistake */
        bool found = false;
        for (size_t i = 0; i < nindex && !found; i++)
            found = strcmp(containers[t]->cmd, index_[i]->name) == 0 &&
                    (index_[i]->flags & SRV_CMD_SUBCOMMANDS);
        if (!found) {
            fprintf(stderr, "commands.c: subcommands of '%s', no such container command\n",
                    containers[t]->cmd);
            abort();
        }
    }
}

size_t srv_cmd_count(void)
{
    pthread_once(&index_once, index_build);
    return nindex;
}

const srv_cmd_t *srv_cmd_at(size_t i)
{
    pthread_once(&index_once, index_build);
    return i < nindex ? index_[i] : NULL;
}

/* Position of the command named `name` (any case) in the index, or -1. */
static ssize_t lookup_id(const char *name, size_t len)
{
    char low[24];
    if (len == 0 || len >= sizeof(low))
        return -1;
    pthread_once(&index_once, index_build);
    uint32_t h = 2166136261u; /* name_hash, folded in */
    for (size_t i = 0; i < len; i++) {
        char ch = name[i];
        low[i] = (ch >= 'A' && ch <= 'Z') ? (char)(ch + 32) : ch;
        h = (h ^ (uint8_t)low[i]) * 16777619u;
    }
    for (size_t slot = h & (BY_NAME_SLOTS - 1); by_name[slot];
         slot = (slot + 1) & (BY_NAME_SLOTS - 1)) {
        size_t id = by_name[slot] - 1u;
        const char *cand = index_[id]->name;
        if (strlen(cand) == len && memcmp(cand, low, len) == 0)
            return (ssize_t)id;
    }
    return -1;
}

const srv_cmd_t *srv_cmd_lookup(const char *name, size_t len)
{
    ssize_t id = lookup_id(name, len);
    return id < 0 ? NULL : index_[id];
}

size_t srv_cmd_id(const srv_cmd_t *cmd)
{
    ssize_t id = lookup_id(cmd->name, strlen(cmd->name));
    FL_ASSERT(id >= 0 && index_[id] == cmd);
    return (size_t)id;
}

size_t srv_acl_entry_count(void)
{
    pthread_once(&index_once, index_build);
    return nindex + nsubs;
}

const char *srv_acl_entry_name(size_t id)
{
    pthread_once(&index_once, index_build);
    FL_ASSERT(id < nindex + nsubs);
    return id < nindex ? index_[id]->name : subs_[id - nindex].name;
}

unsigned srv_acl_entry_categories(size_t id)
{
    pthread_once(&index_once, index_build);
    FL_ASSERT(id < nindex + nsubs);
    if (id >= nindex)
        return subs_[id - nindex].cats;
    /* a container with a table has, as in Redis, its own few: its subcommands carry the rest */
    return sub_n[id] ? container_cats[id] : srv_cmd_categories(index_[id]);
}

size_t srv_cmd_sub_range(size_t cmd_id, size_t *first)
{
    pthread_once(&index_once, index_build);
    FL_ASSERT(cmd_id < nindex);
    *first = sub_first[cmd_id];
    return sub_n[cmd_id];
}

ssize_t srv_cmd_sub_id(size_t cmd_id, const char *sub, size_t len)
{
    size_t first, n = srv_cmd_sub_range(cmd_id, &first);
    size_t prefix = strlen(index_[cmd_id]->name) + 1; /* "client|" */
    for (size_t k = 0; k < n; k++) {
        const char *name = subs_[first - nindex + k].name + prefix;
        if (strlen(name) == len && strncasecmp(name, sub, len) == 0)
            return (ssize_t)(first + k);
    }
    return -1;
}

unsigned srv_cmd_categories(const srv_cmd_t *cmd)
{
    unsigned cats = cmd->acl_cats;
    if (cmd->flags & SRV_CMD_WRITE)
        cats |= SRV_ACL_CAT(WRITE);
    if (cmd->flags & SRV_CMD_READONLY)
        cats |= SRV_ACL_CAT(READ);
    if (cmd->flags & SRV_CMD_ADMIN)
        cats |= SRV_ACL_CAT(ADMIN) | SRV_ACL_CAT(DANGEROUS);
    cats |= cmd->flags & SRV_CMD_FAST ? SRV_ACL_CAT(FAST) : SRV_ACL_CAT(SLOW);
    return cats;
}

/* "ERR unknown command 'x', with args beginning with: 'a' 'b' " (Redis 7, 128-byte caps). */
static void reply_unknown(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char args[160] = "";
    size_t used = 0;
    for (int i = 1; i < argc && used < 128; i++) {
        size_t room = 128 - used;
        /* Compared as size_t: an argument of 2-4 GiB cast to int first would be negative, and
         * "%.*s" with a negative precision reads up to a NUL, past the argument. */
        int n = (int)(argv[i].n < room ? argv[i].n : room);
        int w = snprintf(args + used, sizeof(args) - used, "'%.*s' ", n, argv[i].p);
        if (w < 0 || (size_t)w >= sizeof(args) - used)
            break;
        used += (size_t)w;
    }
    int n = (int)(argv[0].n < 128 ? argv[0].n : 128);
    srv_reply_errorf(&c->out, "ERR unknown command '%.*s', with args beginning with: %s", n,
                     argv[0].p, args);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* An error reply appended since mark: counted by its code. */
static bool replied_error(srv_client_t *c, size_t mark)
{
    if (c->out.len <= mark || c->out.p[mark] != '-')
        return false;
    srv_errstats_record(c, c->out.p + mark, c->out.len - mark);
    return true;
}

/* CLIENT REPLY OFF / SKIP: drops the reply appended since mark. `before` is the mode the
 * command started with (CLIENT REPLY ON answers even when replies were off). Push data is not
 * a reply and stays, as in Redis: the (P)(UN)SUBSCRIBE family's confirmations (`pushes`, RESP2
 * included), and any output that starts with a RESP3 push frame. */
static void apply_reply_mode(srv_client_t *c, int before, size_t mark, bool pushes)
{
    if (before == SRV_REPLY_SKIP && c->reply_mode == SRV_REPLY_SKIP)
        c->reply_mode = SRV_REPLY_ON; /* the one skipped reply was this one */
    if (pushes || (c->out.len > mark && c->out.p[mark] == '>'))
        return;
    if (before == SRV_REPLY_SKIP || c->reply_mode != SRV_REPLY_ON)
        c->out.len = mark;
}

/* After a command ran: statistics, slow log, latency monitor, MONITOR feed. */
static void observe(srv_client_t *c, const srv_cmd_t *cmd, size_t id, size_t entry, int argc,
                    const fl_slice_t *argv, uint64_t ns, bool failed)
{
    srv_server_t *srv = c->srv;
    /* A container command's handler names the subcommand it ran (CLIENT -> "client|list"). */
    srv_cmdstats_record(c, id, c->last_cmd != cmd->name ? c->last_cmd : NULL, ns, failed);
    long long slower = atomic_load_explicit(&srv->live.slowlog_slower_than, memory_order_relaxed);
    if (slower >= 0 && ns / 1000 >= (uint64_t)slower && !(cmd->flags & SRV_CMD_SKIP_SLOWLOG))
        srv_slowlog_push(c, cmd, argc, argv, ns / 1000);
    /* The two below are off almost always: a relaxed load each, no call. */
    if (atomic_load_explicit(&srv->live.latency_threshold_ms, memory_order_relaxed) > 0)
        srv_latency_add(srv, cmd->flags & SRV_CMD_FAST ? "fast-command" : "command", ns / 1000000);
    /* an admin command or subcommand (ACL SETUSER, CONFIG SET) is not shown, as in Redis */
    if (!(srv_acl_entry_categories(entry) & SRV_ACL_CAT(ADMIN)) &&
        atomic_load_explicit(&srv->monitors, memory_order_relaxed))
        srv_monitor_feed(c, cmd, argc, argv);
}

bool srv_cmd_redacted(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv, int i)
{
    if (i < 1 || i >= argc)
        return false;
    const char *n = cmd->name;
    if (strcmp(n, "auth") == 0)
        return true;
    if (strcmp(n, "hello") == 0) /* HELLO [protover [AUTH username password] [SETNAME name]] */
        return (i >= 3 && srv_slice_eq(argv[i - 1], "auth")) ||
               (i >= 4 && srv_slice_eq(argv[i - 2], "auth"));
    if (strcmp(n, "acl") == 0)
        return i >= 2 && srv_slice_eq(argv[1], "setuser");
    if (strcmp(n, "config") == 0 && i >= 3 && (i - 2) % 2 == 1 && srv_slice_eq(argv[1], "set")) {
        fl_slice_t name = argv[i - 1]; /* CONFIG SET name value [name value ...] */
        return srv_slice_eq(name, "requirepass") || srv_slice_eq(name, "masterauth") ||
               srv_slice_eq(name, "masteruser");
    }
    return false;
}

/* -LOADING while the data is being loaded (but INFO, CONFIG, COMMAND, SHUTDOWN run, as in
 * Redis), and -MISCONF for writes while the log cannot be written (reads go on; writes resume
 * by themselves once the log thread succeeds again). Replies and returns false when refused. */
static bool persistence_allows(srv_client_t *c, const srv_cmd_t *cmd)
{
    if (!c->srv->persist)
        return true;
    /* acquire: a command that sees the load finished sees everything it wrote (the data, the
     * log's manifest a BGREWRITEAOF reads) */
    if (atomic_load_explicit(&c->srv->loading, memory_order_acquire) &&
        strcmp(cmd->name, "info") != 0 && strcmp(cmd->name, "config") != 0 &&
        strcmp(cmd->name, "command") != 0 && strcmp(cmd->name, "shutdown") != 0) {
        srv_reply_error(&c->out, "LOADING Redis is loading the dataset in memory");
        return false;
    }
    int e;
    if ((cmd->flags & SRV_CMD_WRITE) && flp_write_failing(c->srv->persist, &e)) {
        srv_reply_errorf(&c->out, "MISCONF Errors writing to the AOF file: %s", strerror(e));
        return false;
    }
    return true;
}

/* Replies Redis's refusal for an access check that failed and counts it. */
void srv_cmd_full_name(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv, char *name,
                       size_t cap)
{
    bool sub = (cmd->flags & SRV_CMD_SUBCOMMANDS) && argc > 1;
    int n = sub ? (int)(argv[1].n < 64 ? argv[1].n : 64) : 0;
    snprintf(name, cap, "%s%s%.*s", cmd->name, sub ? "|" : "", n, sub ? argv[1].p : "");
    for (char *p = name; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
}

void srv_acl_refuse(srv_client_t *c, srv_acl_result_t r, srv_acl_ctx_t context,
                    const srv_cmd_t *cmd, int argc, const fl_slice_t *argv, int pos)
{
    srv_stats_t *st = c->worker ? &c->worker->stats : NULL;
    const char *uname = srv_acl_session_user(&c->acl);
    fl_slice_t user = {uname, strlen(uname)};
    char name[96];
    const char *why = NULL; /* EXEC's reason */
    switch (r) {
    case SRV_ACL_OK:
        FL_ASSERT(!"srv_acl_refuse of an allowed call");
        return;
    case SRV_ACL_NOAUTH:
        srv_reply_error(&c->out, "NOAUTH Authentication required.");
        if (st)
            srv_stat_add(&st->noauth_rejected, 1);
        return;
    case SRV_ACL_USER_GONE: /* Redis disconnects the clients of a deleted user */
        c->flags |= SRV_CLOSE_ASAP;
        return;
    case SRV_ACL_DENIED_KEY:
        srv_acl_log_refusal(c, SRV_ACL_DENIED_KEY, context, argv[pos], user);
        if (st)
            srv_stat_add(&st->acl_denied_key, 1);
        why = "no permission to touch the specified keys";
        if (context != SRV_ACL_CTX_MULTI)
            srv_reply_error(&c->out, "NOPERM this user has no permissions to access one of the "
                                     "keys used as arguments");
        break;
    case SRV_ACL_DENIED_CHANNEL:
        srv_acl_log_refusal(c, SRV_ACL_DENIED_CHANNEL, context, argv[pos], user);
        if (st)
            srv_stat_add(&st->acl_denied_channel, 1);
        why = "no permission to access one of the channels used as arguments";
        if (context != SRV_ACL_CTX_MULTI)
            srv_reply_error(&c->out, "NOPERM this user has no permissions to access one of the "
                                     "channels used as arguments");
        break;
    case SRV_ACL_DENIED_CMD:
        srv_cmd_full_name(cmd, argc, argv, name, sizeof(name));
        srv_acl_log_refusal(c, SRV_ACL_DENIED_CMD, context, (fl_slice_t){name, strlen(name)}, user);
        if (st)
            srv_stat_add(&st->acl_denied_cmd, 1);
        why = "no permission to execute the command or subcommand";
        if (context != SRV_ACL_CTX_MULTI)
            srv_reply_errorf(&c->out, "NOPERM this user has no permissions to run the '%s' command",
                             name);
        break;
    }
    if (context == SRV_ACL_CTX_MULTI)
        srv_reply_errorf(&c->out,
                         "NOPERM ACLs rules changed between the moment the transaction was "
                         "accumulated and the EXEC call. This command is no longer allowed for "
                         "the following reason: %s",
                         why);
}

/* The checks before a command runs (arity, access, persistence state), in Redis's order. False
 * after replying the refusal (counted as a rejected call of cmd). */
static bool admitted(srv_client_t *c, const srv_cmd_t *cmd, ssize_t id, int argc,
                     const fl_slice_t *argv)
{
    if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity)) {
        srv_multi_flag_error(c);
        srv_reply_arity(c, cmd->name);
        srv_cmdstats_rejected(c, (size_t)id);
        return false;
    }
    if (c->srv->acl) {
        int keypos = 0;
        srv_acl_result_t r =
            srv_acl_check(c->srv->acl, &c->acl, cmd, (size_t)id, argc, argv, &keypos);
        if (r != SRV_ACL_OK) {
            srv_multi_flag_error(c);
            srv_acl_refuse(c, r, SRV_ACL_CTX_TOPLEVEL, cmd, argc, argv, keypos);
            srv_cmdstats_rejected(c, (size_t)id);
            return false;
        }
    }
    if (srv_pubsub_count(c) > 0 && !(cmd->flags & SRV_CMD_PUBSUB_OK) &&
        srv_client_proto(c) == SRV_RESP2) { /* RESP3 mixes pushes and replies */
        char name[64];
        srv_cmd_full_name(cmd, argc, argv, name, sizeof(name));
        srv_multi_flag_error(c);
        srv_reply_errorf(&c->out,
                         "ERR Can't execute '%s': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / "
                         "QUIT / RESET are allowed in this context",
                         name);
        srv_cmdstats_rejected(c, (size_t)id);
        return false;
    }
    if (!persistence_allows(c, cmd)) {
        srv_multi_flag_error(c);
        srv_cmdstats_rejected(c, (size_t)id);
        return false;
    }
    const char *busy =
        srv_script_wait(cmd, argc, argv, atomic_load(&c->srv->live.busy_reply_threshold_ms));
    if (busy) {
        if (srv_multi_active(c) && strcmp(cmd->name, "exec") == 0) {
            srv_multi_exec_busy(c, busy);
            srv_cmdstats_rejected(c, (size_t)id);
            return false;
        }
        srv_multi_flag_error(c);
        srv_reply_error(&c->out, busy);
        srv_cmdstats_rejected(c, (size_t)id);
        return false;
    }
    return true;
}

/* srv_cmd_call with cmd's index position already known (dispatch found it by name). */
static void call_id(srv_client_t *c, const srv_cmd_t *cmd, size_t id, int argc,
                    const fl_slice_t *argv)
{
    size_t entry = id, mark = c->out.len;
    c->last_cmd = cmd->name;
    if (sub_n[id] && argc > 1) { /* "object|encoding": statistics and CLIENT LIST's cmd= */
        ssize_t sid = srv_cmd_sub_id(id, argv[1].p, argv[1].n);
        if (sid >= 0) {
            entry = (size_t)sid;
            c->last_cmd = srv_acl_entry_name(entry);
        }
    }
    uint64_t t0 = now_ns();
    cmd->fn(c, argc, argv);
    if (!fl_batch_active()) /* keys a batched command (SORT ... STORE) pushed to */
        srv_block_batch_done();
    uint64_t ns = now_ns() - t0;
    observe(c, cmd, id, entry, argc, argv, ns, replied_error(c, mark));
}

void srv_cmd_call(srv_client_t *c, const srv_cmd_t *cmd, int argc, const fl_slice_t *argv)
{
    call_id(c, cmd, srv_cmd_id(cmd), argc, argv);
}

/* A container's subcommand its table does not know is refused before anything else, as Redis
 * 7.0's command lookup refuses it (so inside MULTI it aborts the transaction instead of being
 * queued). Containers without a table (srv_cmd.h) route argv[1] in their handler. */
static bool subcommand_known(srv_client_t *c, size_t id, int argc, const fl_slice_t *argv)
{
    size_t first;
    if (argc < 2 || srv_cmd_sub_range(id, &first) == 0 ||
        srv_cmd_sub_id(id, argv[1].p, argv[1].n) >= 0)
        return true;
    char upper[64];
    size_t n = argv[0].n < sizeof(upper) - 1 ? argv[0].n : sizeof(upper) - 1;
    for (size_t i = 0; i < n; i++)
        upper[i] = (char)toupper((unsigned char)argv[0].p[i]);
    upper[n] = '\0';
    srv_multi_flag_error(c);
    srv_reply_unknown_subcommand(c, argv[1], upper);
    if (c->worker)
        srv_stat_add(&c->worker->stats.rejected_calls, 1);
    return false;
}

void srv_cmd_dispatch(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (c->worker)
        srv_stat_add(&c->worker->stats.commands, 1);
    size_t mark = c->out.len;
    int mode = c->reply_mode;
    ssize_t id = lookup_id(argv[0].p, argv[0].n);
    const srv_cmd_t *cmd = id < 0 ? NULL : index_[id];
    if (!cmd) {
        srv_multi_flag_error(c);
        reply_unknown(c, argc, argv);
        if (c->worker)
            srv_stat_add(&c->worker->stats.rejected_calls, 1);
    } else if (subcommand_known(c, (size_t)id, argc, argv) && admitted(c, cmd, id, argc, argv)) {
        if (srv_multi_queues(c, cmd)) { /* inside MULTI: +QUEUED, runs at EXEC */
            srv_multi_queue(c, cmd, argc, argv);
            apply_reply_mode(c, mode, mark, false);
            return;
        }
        call_id(c, cmd, (size_t)id, argc, argv); /* no second lookup by name */
        apply_reply_mode(c, mode, mark, (cmd->flags & SRV_CMD_PUSHES) != 0);
        return;
    }
    replied_error(c, mark);
    apply_reply_mode(c, mode, mark, false);
}
