/*
 * src/server/cmd_client.c: the CLIENT command (ID, INFO, LIST, KILL, SETNAME, GETNAME, PAUSE,
 * UNPAUSE, NO-EVICT, REPLY, UNBLOCK, HELP) with Redis 7.0's replies and errors, and the pause rule
 * the request pipeline asks (srv_pause_holds).
 *
 * LIST and KILL reach clients of every worker through a fan-out (fanout.c): each worker lists
 * or closes its own clients on its own thread. A pause is a deadline in the server
 * (pause_until_ms, pause_all); each worker holds its clients' paused commands and resumes them
 * when UNPAUSE posts it a task, or its cron sees the deadline passed.
 */
#include "block.h"
#include "srv_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Filters of CLIENT LIST and CLIENT KILL ------------------------------------------------ */

enum { TYPE_ANY = -1, TYPE_NORMAL, TYPE_MASTER, TYPE_REPLICA, TYPE_PUBSUB };

#define FILTER_IDS_MAX 64

typedef struct filter {
    int type;
    size_t nids;
    uint64_t ids[FILTER_IDS_MAX];
    char addr[128], laddr[128]; /* "" = any */
    char user[128];             /* "" = any */
    uint64_t skip_id;           /* SKIPME yes: the caller's id; 0 = none */
    uint64_t self_id;           /* the caller (closed after its reply when it kills itself) */
    bool old_form;              /* CLIENT KILL addr:port */
} filter_t;

static int type_of(fl_slice_t s)
{
    if (srv_slice_eq(s, "normal"))
        return TYPE_NORMAL;
    if (srv_slice_eq(s, "master"))
        return TYPE_MASTER;
    if (srv_slice_eq(s, "replica") || srv_slice_eq(s, "slave"))
        return TYPE_REPLICA;
    if (srv_slice_eq(s, "pubsub"))
        return TYPE_PUBSUB;
    return TYPE_ANY;
}

static bool matches(const filter_t *f, const srv_client_t *c)
{
    if (c->id == f->skip_id || (f->user[0] && strcmp(f->user, srv_client_user(c)) != 0))
        return false;
    if (f->type != TYPE_ANY) {
        int t = c->flags & SRV_MONITOR  ? TYPE_REPLICA
                : c->flags & SRV_PUBSUB ? TYPE_PUBSUB
                                        : TYPE_NORMAL;
        if (t != f->type)
            return false;
    }
    if (f->nids) {
        bool found = false;
        for (size_t i = 0; i < f->nids && !found; i++)
            found = f->ids[i] == c->id;
        if (!found)
            return false;
    }
    if (f->addr[0] && strcmp(f->addr, c->addr) != 0)
        return false;
    return !f->laddr[0] || strcmp(f->laddr, c->laddr) == 0;
}

static bool copy_word(char *dst, size_t cap, fl_slice_t s)
{
    if (s.n >= cap)
        return false;
    memcpy(dst, s.p, s.n);
    dst[s.n] = '\0';
    return true;
}

/* ---- CLIENT LIST -------------------------------------------------------------------------- */

static void list_each(srv_worker_t *w, srv_fanout_t *f)
{
    const filter_t *flt = f->arg;
    int64_t now = fl_now_ms();
    srv_buf_t *out = &f->parts[w->index];
    for (srv_client_t *c = w->clients; c; c = c->next) {
        if (!matches(flt, c))
            continue;
        srv_client_describe(c, now, out);
        srv_reply_raw(out, "\n", 1);
    }
}

static void list_done(srv_client_t *c, srv_fanout_t *f)
{
    size_t len = 0;
    bool failed = false;
    for (int i = 0; i < f->nparts; i++) {
        len += f->parts[i].len;
        failed |= f->parts[i].failed;
    }
    if (failed) {
        c->out.failed = true;
        return;
    }
    srv_reply_verbatim_head(&c->out, len);
    for (int i = 0; i < f->nparts; i++)
        srv_reply_raw(&c->out, f->parts[i].p, f->parts[i].len);
    srv_reply_raw(&c->out, "\r\n", 2);
}

/* Runs the fan-out, or, for an in-process client (no workers), the steps right here. */
static void fan_out(srv_client_t *c, filter_t *flt, srv_fanout_each_fn *each,
                    srv_fanout_done_fn *done)
{
    filter_t *arg = malloc(sizeof(*arg));
    srv_fanout_t *f = arg && c->worker ? srv_fanout_new(c, each, done) : NULL;
    if (!f) {
        free(arg);
        if (c->worker) {
            c->out.failed = true;
            return;
        }
        srv_fanout_t local = {.nparts = 0, .parts = NULL};
        done(c, &local); /* in-process: no worker holds any client */
        return;
    }
    *arg = *flt;
    f->arg = arg;
    if (!srv_fanout_start(c, f))
        c->out.failed = true;
}

/* CLIENT LIST [TYPE type] [ID id ...] */
static void client_list(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    filter_t flt = {.type = TYPE_ANY};
    if (argc == 4 && srv_slice_eq(argv[2], "type")) {
        flt.type = type_of(argv[3]);
        if (flt.type == TYPE_ANY) {
            int n = argv[3].n < 64 ? (int)argv[3].n : 64;
            srv_reply_errorf(&c->out, "ERR Unknown client type '%.*s'", n, argv[3].p);
            return;
        }
    } else if (argc > 3 && srv_slice_eq(argv[2], "id")) {
        for (int i = 3; i < argc; i++) {
            long long id;
            if (!srv_slice_to_ll(argv[i], &id) || id <= 0) {
                srv_reply_error(&c->out, "ERR Invalid client ID");
                return;
            }
            if (flt.nids < FILTER_IDS_MAX)
                flt.ids[flt.nids++] = (uint64_t)id;
        }
    } else if (argc != 2) {
        srv_reply_syntax(c);
        return;
    }
    fan_out(c, &flt, list_each, list_done);
}

/* ---- CLIENT KILL -------------------------------------------------------------------------- */

static void kill_each(srv_worker_t *w, srv_fanout_t *f)
{
    const filter_t *flt = f->arg;
    srv_client_t *next;
    for (srv_client_t *c = w->clients; c; c = next) {
        next = c->next;
        if (!matches(flt, c) || (c->flags & SRV_CLOSE_ASAP))
            continue;
        atomic_fetch_add(&f->count, 1);
        srv_stat_add(&w->stats.killed_clients, 1);
        if (c->id == flt->self_id) { /* the caller: after its reply */
            c->flags |= SRV_CLOSE_AFTER_REPLY;
            continue;
        }
        c->flags |= SRV_CLOSE_ASAP;
        srv_client_settle(c);
    }
}

static void kill_done(srv_client_t *c, srv_fanout_t *f)
{
    const filter_t *flt = f->arg;
    long long n = atomic_load(&f->count);
    if (!flt || !flt->old_form)
        srv_reply_int(&c->out, n);
    else if (n == 0)
        srv_reply_error(&c->out, "ERR No such client");
    else
        srv_reply_ok(&c->out);
}

/* Whether ACL user `name` exists ("default" only, without users). */
static bool user_exists(srv_client_t *c, fl_slice_t name)
{
    if (!c->srv->acl)
        return srv_slice_eq(name, "default");
    srv_buf_t scratch = {0};
    bool found = srv_acl_getuser(c->srv->acl, name, &scratch);
    srv_buf_free(&scratch);
    return found;
}

/* Parses CLIENT KILL's filters (new form) into flt; false after replying the error. */
static bool kill_filters(srv_client_t *c, int argc, const fl_slice_t *argv, filter_t *flt)
{
    bool skipme = true;
    for (int i = 2; i < argc; i += 2) {
        if (i + 1 >= argc) {
            srv_reply_syntax(c);
            return false;
        }
        fl_slice_t k = argv[i], v = argv[i + 1];
        long long id;
        if (srv_slice_eq(k, "id")) {
            if (!srv_slice_to_ll(v, &id) || id <= 0) {
                srv_reply_error(&c->out, "ERR client-id should be greater than 0");
                return false;
            }
            flt->ids[0] = (uint64_t)id;
            flt->nids = 1;
        } else if (srv_slice_eq(k, "type")) {
            flt->type = type_of(v);
            if (flt->type == TYPE_ANY) {
                int n = v.n < 64 ? (int)v.n : 64;
                srv_reply_errorf(&c->out, "ERR Unknown client type '%.*s'", n, v.p);
                return false;
            }
        } else if (srv_slice_eq(k, "addr") && copy_word(flt->addr, sizeof(flt->addr), v)) {
        } else if (srv_slice_eq(k, "laddr") && copy_word(flt->laddr, sizeof(flt->laddr), v)) {
        } else if (srv_slice_eq(k, "user")) {
            if (!user_exists(c, v) || !copy_word(flt->user, sizeof(flt->user), v)) {
                int n = v.n < 64 ? (int)v.n : 64;
                srv_reply_errorf(&c->out, "ERR No such user '%.*s'", n, v.p);
                return false;
            }
        } else if (srv_slice_eq(k, "skipme")) {
            if (!srv_slice_eq(v, "yes") && !srv_slice_eq(v, "no")) {
                srv_reply_syntax(c);
                return false;
            }
            skipme = srv_slice_eq(v, "yes");
        } else {
            srv_reply_syntax(c);
            return false;
        }
    }
    flt->skip_id = skipme ? c->id : 0;
    return true;
}

/* CLIENT KILL addr:port | CLIENT KILL <filter> <value> ... */
static void client_kill(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    filter_t flt = {.type = TYPE_ANY, .self_id = c->id};
    if (argc == 3) {
        flt.old_form = true;
        if (!copy_word(flt.addr, sizeof(flt.addr), argv[2])) {
            srv_reply_error(&c->out, "ERR No such client");
            return;
        }
    } else if (!kill_filters(c, argc, argv, &flt)) {
        return;
    }
    fan_out(c, &flt, kill_each, kill_done);
}

/* ---- CLIENT PAUSE / UNPAUSE ---------------------------------------------------------------- */

bool srv_pause_holds(const srv_client_t *c, fl_slice_t name)
{
    int64_t until = atomic_load_explicit(&c->srv->pause_until_ms, memory_order_relaxed);
    if (!until || fl_now_ms() >= until)
        return false;
    if (atomic_load_explicit(&c->srv->pause_all, memory_order_relaxed))
        return true;
    const srv_cmd_t *cmd = srv_cmd_lookup(name.p, name.n);
    return cmd && (cmd->flags & SRV_CMD_WRITE);
}

static void resume_paused(srv_worker_t *w, srv_task_t *t)
{
    free(t);
    srv_client_t *next;
    for (srv_client_t *c = w->clients; c; c = next) {
        next = c->next;
        if (c->flags & SRV_PAUSED)
            srv_client_resume(c);
    }
}

static void client_pause(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long ms;
    if (!srv_slice_to_ll(argv[2], &ms)) {
        srv_reply_error(&c->out, "ERR timeout is not an integer or out of range");
        return;
    }
    if (ms < 0) {
        srv_reply_error(&c->out, "ERR timeout is negative");
        return;
    }
    bool all = true;
    if (argc == 4 && srv_slice_eq(argv[3], "write"))
        all = false;
    else if (argc == 4 && !srv_slice_eq(argv[3], "all")) {
        srv_reply_error(&c->out, "ERR CLIENT PAUSE mode must be WRITE or ALL");
        return;
    } else if (argc > 4) {
        srv_reply_syntax(c);
        return;
    }
    int64_t until = fl_now_ms() + ms;
    srv_server_t *srv = c->srv;
    /* As Redis: a pause never shortens one in force nor weakens ALL into WRITE. */
    int64_t cur = atomic_load(&srv->pause_until_ms);
    bool active = cur && fl_now_ms() < cur;
    if (!active || until > cur)
        atomic_store(&srv->pause_until_ms, until);
    if (!active || all)
        atomic_store(&srv->pause_all, all);
    srv_reply_ok(&c->out);
}

static void client_unpause(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    atomic_store(&c->srv->pause_until_ms, 0);
    for (int i = 0; c->srv->workers && i < c->srv->nworkers; i++) {
        srv_task_t *t = malloc(sizeof(*t));
        if (!t)
            continue; /* that worker's cron resumes its clients */
        t->fn = resume_paused;
        srv_worker_post(&c->srv->workers[i], t);
    }
    srv_reply_ok(&c->out);
}

/* ---- The rest ------------------------------------------------------------------------------ */

/* Redis accepts names of printable characters without spaces. */
bool srv_client_name_valid(fl_slice_t s)
{
    for (size_t i = 0; i < s.n; i++)
        if (s.p[i] < '!' || s.p[i] > '~')
            return false;
    return true;
}

static void client_setname(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_slice_t name = argv[2];
    if (!srv_client_name_valid(name)) {
        srv_reply_error(&c->out,
                        "ERR Client names cannot contain spaces, newlines or special characters.");
        return;
    }
    char *copy = name.n ? strndup(name.p, name.n) : NULL;
    if (name.n && !copy) {
        c->out.failed = true;
        return;
    }
    free(c->name);
    c->name = copy;
    srv_reply_ok(&c->out);
}

static void client_info(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_buf_t line = {0};
    srv_client_describe(c, fl_now_ms(), &line);
    srv_reply_raw(&line, "\n", 1);
    if (line.failed)
        c->out.failed = true;
    else
        srv_reply_verbatim(&c->out, line.p, line.len);
    srv_buf_free(&line);
}

static bool on_off(srv_client_t *c, fl_slice_t v, bool *on)
{
    if (srv_slice_eq(v, "on") || srv_slice_eq(v, "off")) {
        *on = srv_slice_eq(v, "on");
        return true;
    }
    srv_reply_syntax(c);
    return false;
}

static void client_reply(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_slice_t mode = argv[2];
    if (srv_slice_eq(mode, "on")) {
        c->reply_mode = SRV_REPLY_ON;
        srv_reply_ok(&c->out);
    } else if (srv_slice_eq(mode, "off")) {
        c->reply_mode = SRV_REPLY_OFF; /* no reply, dispatch drops it */
    } else if (srv_slice_eq(mode, "skip")) {
        if (c->reply_mode == SRV_REPLY_ON)
            c->reply_mode = SRV_REPLY_SKIP;
    } else {
        srv_reply_syntax(c);
    }
}

/* Redis 7.0's help text, for the subcommands flatline has. */
static const char *const help[] = {
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "UNPAUSE",
    "    Stop the current client pause, resuming traffic.",
    "PAUSE <timeout> [WRITE|ALL]",
    "    Suspend all, or just write, clients for <timeout> milliseconds.",
    "REPLY (ON|OFF|SKIP)",
    "    Control the replies sent to the current connection.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "UNBLOCK <clientid> [TIMEOUT|ERROR]",
    "    Unblock the specified blocked client.",
    "NO-EVICT (ON|OFF)",
    "    Protect current client connection from eviction.",
    "HELP",
    "    Prints this help.",
};

static void client_id(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_reply_int(&c->out, (long long)c->id);
}

/* CLIENT UNBLOCK id [TIMEOUT|ERROR]: whichever worker owns the blocked client. */
static void client_unblock(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long id;
    bool error = false;
    if (!srv_arg_ll(c, argv[2], &id))
        return;
    if (argc == 4 && srv_slice_eq(argv[3], "error")) {
        error = true;
    } else if (argc == 4 && !srv_slice_eq(argv[3], "timeout")) {
        srv_reply_error(&c->out, "ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR");
        return;
    }
    srv_reply_int(&c->out, srv_block_unblock((uint64_t)id, error));
}

static void client_getname(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (c->name)
        srv_reply_bulk_str(&c->out, c->name);
    else
        srv_reply_nil(&c->out);
}

static void client_no_evict(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool on;
    if (!on_off(c, argv[2], &on))
        return;
    c->flags = on ? c->flags | SRV_NO_EVICT : c->flags & ~SRV_NO_EVICT;
    srv_reply_ok(&c->out);
}

static void client_help(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_reply_array(&c->out, sizeof(help) / sizeof(help[0]));
    for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
        srv_reply_simple(&c->out, help[i]);
}

/* The subcommands, each with Redis's full name and arity (command name included). */
static const srv_subcmd_route_t subs[] = {
    {"id", "client|id", 2, client_id},
    {"info", "client|info", 2, client_info},
    {"list", "client|list", -2, client_list},
    {"kill", "client|kill", -3, client_kill},
    {"setname", "client|setname", 3, client_setname},
    {"getname", "client|getname", 2, client_getname},
    {"pause", "client|pause", -3, client_pause},
    {"unpause", "client|unpause", 2, client_unpause},
    {"no-evict", "client|no-evict", 3, client_no_evict},
    {"unblock", "client|unblock", -3, client_unblock},
    {"reply", "client|reply", 3, client_reply},
    {"help", "client|help", 2, client_help},
};

static void cmd_client(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_cmd_route(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), "CLIENT");
}

static const srv_cmd_t cmds[] = {
    {"client", -2, SRV_CMD_SUBCOMMANDS, cmd_client, 0, 0, 0, SRV_ACL_CAT(CONNECTION)},
};
const srv_cmd_family_t srv_cmds_client = {cmds, sizeof(cmds) / sizeof(cmds[0])};
