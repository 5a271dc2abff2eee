/*
 * src/server/cmd_acl.c: AUTH and the ACL family (SETUSER, GETUSER, DELUSER, LIST, USERS,
 * WHOAMI, CAT, LOAD, SAVE, LOG, GENPASS, DRYRUN, HELP), with Redis 7.0's replies and errors. The
 * users and rules live in acl.c; this file parses arguments and formats replies.
 *
 * Invariants: a failed authentication changes nothing about the client (it stays who it was)
 * and is counted (acl_access_denied_auth); ACL subcommands check their own arity with Redis's
 * "'acl|<sub>'" wording; nothing here touches stored data.
 */
#include "pubsub.h"
#include "srv_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <openssl/rand.h>

static const char wrongpass[] = "WRONGPASS invalid username-password pair or user is disabled.";

/* "ip:port" (or "[ip6]:port", the unix socket's path) of fd's peer or own end into buf. */
static void format_addr(int fd, bool peer, char *buf, size_t len)
{
    struct sockaddr_storage sa;
    socklen_t salen = sizeof(sa);
    char ip[INET6_ADDRSTRLEN] = "?";
    int rc = peer ? getpeername(fd, (struct sockaddr *)&sa, &salen)
                  : getsockname(fd, (struct sockaddr *)&sa, &salen);
    if (fd < 0 || rc < 0) {
        snprintf(buf, len, "?:0");
    } else if (sa.ss_family == AF_INET) {
        const struct sockaddr_in *a = (const struct sockaddr_in *)&sa;
        inet_ntop(AF_INET, &a->sin_addr, ip, sizeof(ip));
        snprintf(buf, len, "%s:%u", ip, ntohs(a->sin_port));
    } else if (sa.ss_family == AF_INET6) {
        const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)&sa;
        inet_ntop(AF_INET6, &a->sin6_addr, ip, sizeof(ip));
        snprintf(buf, len, "%s:%u", ip, ntohs(a->sin6_port));
    } else {
        const struct sockaddr_un *a = (const struct sockaddr_un *)&sa;
        snprintf(buf, len, "%s:0", salen > sizeof(sa_family_t) ? a->sun_path : "");
    }
}

void srv_acl_log_refusal(srv_client_t *c, int reason, srv_acl_ctx_t context, fl_slice_t object,
                         fl_slice_t user)
{
    /* CLIENT LIST's fields, at the moment of the refusal (so idle=0: the client is talking;
     * redis-py's ACL LOG parser requires every numeric one). */
    char addr[140], laddr[140], info[900];
    format_addr(c->fd, true, addr, sizeof(addr));
    format_addr(c->fd, false, laddr, sizeof(laddr));
    size_t argv_mem = 0;
    for (size_t i = 0; i < c->parser.argc; i++)
        argv_mem += c->parser.argv[i].len;
    size_t tot = sizeof(*c) + c->in.cap + c->out.cap + c->argv_cap * sizeof(*c->argv);
    char cmd[64] = "NULL";
    if (c->parser.argc > 0) {
        size_t n = c->argv[0].n < sizeof(cmd) - 1 ? c->argv[0].n : sizeof(cmd) - 1;
        for (size_t i = 0; i < n; i++) {
            char ch = c->argv[0].p[i];
            cmd[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + 32 : ch);
        }
        cmd[n] = '\0';
    }
    snprintf(info, sizeof(info),
             "id=%llu addr=%s laddr=%s fd=%d name=%s age=%lld idle=0 flags=N db=%zu sub=0 "
             "psub=0 ssub=0 multi=-1 qbuf=%zu qbuf-free=%zu argv-mem=%zu multi-mem=0 rbs=%zu "
             "rbp=%zu obl=%zu oll=0 omem=%zu tot-mem=%zu events=r cmd=%s user=%s redir=-1 "
             "resp=%d",
             (unsigned long long)c->id, addr, laddr, c->fd, c->name ? c->name : "",
             (long long)(fl_now_ms() - c->ctime_ms) / 1000, c->ns_index, c->in.len,
             c->in.cap - c->in.len, argv_mem, c->in.cap, c->in.cap, c->out.len - c->out_sent,
             c->out.cap, tot, cmd, srv_acl_session_user(&c->acl), srv_client_proto(c));
    srv_acl_log_add(srv_acl_get_log(c->srv->acl), reason, context, object, user, info);
}

bool srv_client_auth(srv_client_t *c, fl_slice_t cmdword, fl_slice_t user, fl_slice_t pass)
{
    if (srv_acl_authenticate(c->srv->acl, &c->acl, user, pass) == 0)
        return true;
    srv_acl_log_refusal(c, SRV_ACL_LOG_AUTH, SRV_ACL_CTX_TOPLEVEL, cmdword, user);
    srv_reply_error(&c->out, wrongpass);
    if (c->worker)
        srv_stat_add(&c->worker->stats.acl_denied_auth, 1);
    return false;
}

bool srv_client_authenticated(const srv_client_t *c)
{
    return !c->srv->acl || c->acl.authenticated || srv_acl_default_is_open(c->srv->acl);
}

static void cmd_auth(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (argc > 3) {
        srv_reply_syntax(c);
        return;
    }
    if (!c->srv->acl) {
        srv_reply_error(&c->out, "ERR AUTH is not available here (no access control)");
        return;
    }
    fl_slice_t user = {"default", 7};
    if (argc == 2 && srv_acl_default_is_open(c->srv->acl)) {
        srv_reply_error(&c->out, "ERR AUTH <password> called without any password configured for "
                                 "the default user. Are you sure your configuration is correct?");
        return;
    }
    if (argc == 3)
        user = argv[1];
    if (srv_client_auth(c, argv[0], user, argv[argc - 1]))
        srv_reply_ok(&c->out);
}

/* ---- ACL subcommands ---------------------------------------------------------------------- */

static void disconnect_revoked(srv_client_t *c);

static void acl_setuser(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char err[512];
    if (srv_acl_setuser(c->srv->acl, argv[2], argc - 3, argv + 3, err, sizeof(err)) != 0) {
        srv_reply_error(&c->out, err);
        return;
    }
    srv_reply_ok(&c->out);
    disconnect_revoked(c);
}

static void acl_getuser(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (!srv_acl_getuser(c->srv->acl, argv[2], &c->out))
        srv_reply_nil(&c->out);
}

/* Closes, on worker w's thread, every client of w whose user was deleted, or that is
 * subscribed to a channel or pattern its user's rules no longer allow. */
static void close_revoked(srv_worker_t *w, srv_task_t *t)
{
    free(t);
    for (srv_client_t *c = w->clients, *next; c; c = next) {
        next = c->next; /* settle may free c */
        if (!srv_acl_session_orphaned(&c->acl) && srv_pubsub_permitted(c))
            continue;
        c->flags |= SRV_CLOSE_ASAP;
        srv_client_settle(c);
    }
}

/* As Redis: after users changed, the clients authenticated as a deleted user, and subscribers
 * whose channels were revoked, are disconnected at once (not at their next command or
 * message), whichever worker holds them. A worker's mailbox runs in order, so a later command
 * (CLIENT LIST) of anyone no longer sees them. */
static void disconnect_revoked(srv_client_t *c)
{
    srv_server_t *srv = c->srv;
    for (int i = 0; c->worker && i < srv->nworkers; i++) {
        srv_task_t *t = malloc(sizeof(*t));
        if (!t)
            return; /* orphans close at their next command (srv_acl_check) */
        t->fn = close_revoked;
        srv_worker_post(&srv->workers[i], t);
    }
}

static void acl_deluser(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long n = 0;
    for (int i = 2; i < argc; i++)
        if (argv[i].n == 7 && memcmp(argv[i].p, "default", 7) == 0) {
            srv_reply_error(&c->out, "ERR The 'default' user cannot be removed");
            return;
        }
    for (int i = 2; i < argc; i++)
        n += srv_acl_deluser(c->srv->acl, argv[i]) > 0;
    srv_reply_int(&c->out, n);
    if (n > 0)
        disconnect_revoked(c);
}

static void acl_list(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_acl_list(c->srv->acl, &c->out);
}

static void acl_users(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_acl_users(c->srv->acl, &c->out);
}

static void acl_whoami(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_reply_bulk_str(&c->out, srv_acl_session_user(&c->acl));
}

static void acl_cat(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (argc == 2) {
        srv_reply_array(&c->out, SRV_ACL_NCATEGORIES);
        for (int i = 0; i < SRV_ACL_NCATEGORIES; i++)
            srv_reply_bulk_str(&c->out, srv_acl_category_name(i));
        return;
    }
    int bit = srv_acl_category_bit(argv[2].p, argv[2].n);
    if (bit < 0 || bit == SRV_ACL_NCATEGORIES) {
        int n = argv[2].n < 64 ? (int)argv[2].n : 64;
        srv_reply_errorf(&c->out, "ERR Unknown category '%.*s'", n, argv[2].p);
        return;
    }
    size_t total = srv_acl_entry_count(), n = 0;
    for (size_t i = 0; i < total; i++)
        n += (srv_acl_entry_categories(i) & (1u << bit)) != 0;
    srv_reply_array(&c->out, n);
    for (size_t i = 0; i < total; i++)
        if (srv_acl_entry_categories(i) & (1u << bit))
            srv_reply_bulk_str(&c->out, srv_acl_entry_name(i));
}

static bool have_aclfile(srv_client_t *c)
{
    if (c->srv->cfg.aclfile[0])
        return true;
    srv_reply_error(&c->out, "ERR This Redis instance is not configured to use an ACL file. You "
                             "may want to specify users via the ACL SETUSER command and then "
                             "issue a CONFIG REWRITE (assuming you have a Redis configuration "
                             "file set) in order to store users in the Redis configuration.");
    return false;
}

static void acl_load(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char err[1024];
    if (!have_aclfile(c))
        return;
    if (srv_acl_load_file(c->srv->acl, c->srv->cfg.aclfile, err, sizeof(err)) != 0) {
        srv_reply_error(&c->out, err);
        return;
    }
    srv_reply_ok(&c->out);
    disconnect_revoked(c);
}

static void acl_save(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char err[512];
    if (!have_aclfile(c))
        return;
    if (srv_acl_save_file(c->srv->acl, c->srv->cfg.aclfile, err, sizeof(err)) != 0)
        srv_reply_error(&c->out, err);
    else
        srv_reply_ok(&c->out);
}

/* ACL GENPASS [bits]: random hex from OpenSSL's CSPRNG, 256 bits by default. */
static void acl_genpass(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long bits = 256;
    if (argc > 3) {
        srv_reply_arity(c, "acl|genpass");
        return;
    }
    if (argc == 3 && (!srv_slice_to_ll(argv[2], &bits) || bits <= 0 || bits > 4096)) {
        srv_reply_error(&c->out, "ERR ACL GENPASS argument must be the number of bits for the "
                                 "output password, a positive number up to 4096");
        return;
    }
    unsigned char raw[512];
    char hex[1025];
    size_t chars = (size_t)(bits + 3) / 4, bytes = (chars + 1) / 2;
    if (RAND_bytes(raw, (int)bytes) != 1) {
        srv_reply_error(&c->out, "ERR no random bytes available");
        return;
    }
    for (size_t i = 0; i < bytes; i++)
        snprintf(hex + 2 * i, 3, "%02x", raw[i]);
    srv_reply_bulk(&c->out, hex, chars);
}

/* ACL DRYRUN user command [args...]: would the user be allowed to run it? */
static void acl_dryrun(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    const srv_cmd_t *cmd = srv_cmd_lookup(argv[3].p, argv[3].n);
    if (!cmd) {
        int n = argv[3].n < 64 ? (int)argv[3].n : 64;
        srv_reply_errorf(&c->out, "ERR Command '%.*s' not found", n, argv[3].p);
        return;
    }
    if ((cmd->arity > 0 && argc - 3 != cmd->arity) || (cmd->arity < 0 && argc - 3 < -cmd->arity)) {
        srv_reply_errorf(&c->out, "ERR wrong number of arguments for '%s' command", cmd->name);
        return;
    }
    srv_acl_session_t s;
    srv_acl_session_init(c->srv->acl, &s);
    if (srv_acl_session_as(c->srv->acl, &s, argv[2]) != 0) {
        srv_acl_session_release(&s);
        int n = argv[2].n < 64 ? (int)argv[2].n : 64;
        srv_reply_errorf(&c->out, "ERR User '%.*s' not found", n, argv[2].p);
        return;
    }
    int keypos = 0;
    srv_acl_result_t r =
        srv_acl_check(c->srv->acl, &s, cmd, srv_cmd_id(cmd), argc - 3, argv + 3, &keypos);
    srv_acl_session_release(&s);
    if (r == SRV_ACL_DENIED_KEY || r == SRV_ACL_DENIED_CHANNEL) /* Redis names the argument */
        srv_reply_bulk_fmt(&c->out, "This user has no permissions to access the '%.*s' %s",
                           (int)argv[3 + keypos].n, argv[3 + keypos].p,
                           r == SRV_ACL_DENIED_KEY ? "key" : "channel");
    else if (r == SRV_ACL_DENIED_CMD)
        srv_reply_bulk_fmt(&c->out, "This user has no permissions to run the '%s' command",
                           cmd->name);
    else
        srv_reply_ok(&c->out);
}

/* ACL LOG [count | RESET] */
static void acl_log(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long count = 10;
    if (argc > 3) { /* Redis's generic reply: LOG's own parser does not get these */
        srv_reply_error(&c->out, "ERR unknown subcommand or wrong number of arguments for 'log'. "
                                 "Try ACL HELP.");
        return;
    }
    if (argc == 3 && srv_slice_eq(argv[2], "reset")) {
        srv_acl_log_reset(srv_acl_get_log(c->srv->acl));
        srv_reply_ok(&c->out);
        return;
    }
    if (argc == 3 && !srv_arg_ll(c, argv[2], &count))
        return;
    srv_acl_log_reply(srv_acl_get_log(c->srv->acl), count < 0 ? 0 : (long)count, &c->out);
}

static void acl_help(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    static const char *const lines[] = {
        "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "CAT [<category>]",
        "    List all commands that belong to <category>, or all command categories",
        "    when no category is specified.",
        "DELUSER <username> [<username> ...]",
        "    Delete a list of users.",
        "DRYRUN <username> <command> [<arg> ...]",
        "    Returns whether the user can execute the given command without executing the "
        "command.",
        "GETUSER <username>",
        "    Get the user's details.",
        "GENPASS [<bits>]",
        "    Generate a secure 256-bit user password. The optional `bits` argument can",
        "    be used to specify a different size.",
        "LIST",
        "    Show users details in config file format.",
        "LOG [<count> | RESET]",
        "    Show the ACL log entries.",
        "LOAD",
        "    Reload users from the ACL file.",
        "SAVE",
        "    Save the current config to the ACL file.",
        "SETUSER <username> <attribute> [<attribute> ...]",
        "    Create or modify a user with the specified attributes.",
        "USERS",
        "    List all the registered usernames.",
        "WHOAMI",
        "    Return the current connection username.",
        "HELP",
        "    Print this help.",
    };
    srv_reply_array(&c->out, sizeof(lines) / sizeof(lines[0]));
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        srv_reply_simple(&c->out, lines[i]);
}

/* The ACL subcommands: name, arity (Redis style, counting "acl" and the subcommand), handler. */
static const struct {
    const char *name;
    int arity;
    srv_cmd_fn *fn;
} acl_subs[] = {
    {"cat", -2, acl_cat},         {"deluser", -3, acl_deluser}, {"dryrun", -4, acl_dryrun},
    {"genpass", -2, acl_genpass}, {"getuser", 3, acl_getuser},  {"help", 2, acl_help},
    {"list", 2, acl_list},        {"load", 2, acl_load},        {"log", -2, acl_log},
    {"save", 2, acl_save},        {"setuser", -3, acl_setuser}, {"users", 2, acl_users},
    {"whoami", 2, acl_whoami},
};

static void cmd_acl(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (!c->srv->acl) {
        srv_reply_error(&c->out, "ERR ACL is not available here (no access control)");
        return;
    }
    for (size_t i = 0; i < sizeof(acl_subs) / sizeof(acl_subs[0]); i++) {
        if (!srv_slice_eq(argv[1], acl_subs[i].name))
            continue;
        int a = acl_subs[i].arity;
        if ((a > 0 && argc != a) || (a < 0 && argc < -a) ||
            (acl_subs[i].fn == acl_cat && argc > 3)) {
            char full[32];
            snprintf(full, sizeof(full), "acl|%s", acl_subs[i].name);
            srv_reply_arity(c, full);
            return;
        }
        acl_subs[i].fn(c, argc, argv);
        return;
    }
    srv_reply_unknown_subcommand(c, argv[1], "ACL");
}

/* ACL's subcommands and their categories, as Redis 7.0 gives them (the help and the reading
 * ones anyone may run; those that show or change users are @admin @dangerous). */
static const srv_subcmd_t acl_subcmds[] = {
    {"cat", 0, 0},
    {"deluser", SRV_CMD_ADMIN, 0},
    {"dryrun", SRV_CMD_ADMIN, 0},
    {"genpass", 0, 0},
    {"getuser", SRV_CMD_ADMIN, 0},
    {"help", 0, 0},
    {"list", SRV_CMD_ADMIN, 0},
    {"load", SRV_CMD_ADMIN, 0},
    {"log", SRV_CMD_ADMIN, 0},
    {"save", SRV_CMD_ADMIN, 0},
    {"setuser", SRV_CMD_ADMIN, 0},
    {"users", SRV_CMD_ADMIN, 0},
    {"whoami", 0, 0},
    {NULL, 0, 0},
};

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"acl", -2, SRV_CMD_SUBCOMMANDS, cmd_acl, 0, 0, 0, 0},
    {"auth", -2, SRV_CMD_FAST | SRV_CMD_NO_AUTH, cmd_auth, 0, 0, 0, SRV_ACL_CAT(CONNECTION)},
};
const srv_cmd_family_t srv_cmds_acl = {cmds, sizeof(cmds) / sizeof(cmds[0])};
const srv_subcmd_table_t srv_subcmds_acl = {"acl", acl_subcmds, 0};
