/*
 * src/server/cmd_persist.c: the persistence commands (SAVE, BGSAVE, LASTSAVE, BGREWRITEAOF),
 * with Redis 7.0's replies. The work is src/persist/'s: SAVE snapshots in the calling worker
 * (fork-less: other workers keep serving, writers included), BGSAVE and BGREWRITEAOF in a
 * background thread. SHUTDOWN SAVE/NOSAVE is in cmd_server.c (the main thread saves).
 */
#include "srv_cmd.h"

#include <errno.h>

/* Replies an error and returns NULL when the server has no persistence (in-process servers). */
static flp_t *persistence(srv_client_t *c)
{
    if (!c->srv->persist)
        srv_reply_error(&c->out, "ERR persistence is not available in this process");
    return c->srv->persist;
}

static void cmd_save(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char err[512];
    flp_t *p = persistence(c);
    if (!p)
        return;
    if (flp_bgsave_running(p)) {
        srv_reply_error(&c->out, "ERR Background save already in progress");
        return;
    }
    if (flp_save(p, err, sizeof(err)) != 0)
        srv_reply_errorf(&c->out, "ERR %s", err);
    else
        srv_reply_simple(&c->out, "OK");
}

static void cmd_bgsave(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char err[512];
    flp_t *p = persistence(c);
    if (!p)
        return;
    if (argc > 2 || (argc == 2 && !srv_slice_eq(argv[1], "schedule"))) {
        srv_reply_syntax(c);
        return;
    }
    int rc = flp_bgsave(p, err, sizeof(err));
    if (rc == -EBUSY)
        srv_reply_error(&c->out, "ERR Background save already in progress");
    else if (rc != 0)
        srv_reply_errorf(&c->out, "ERR %s", err);
    else
        srv_reply_simple(&c->out, "Background saving started");
}

static void cmd_bgrewriteaof(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char err[512];
    flp_t *p = persistence(c);
    if (!p)
        return;
    int rc = flp_bgrewrite(p, err, sizeof(err));
    if (rc == -EBUSY)
        srv_reply_error(&c->out, "ERR Background append only file rewriting already in progress");
    else if (rc != 0)
        srv_reply_errorf(&c->out, "ERR %s", err);
    else
        srv_reply_simple(&c->out, "Background append only file rewriting started");
}

static void cmd_lastsave(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    flp_t *p = persistence(c);
    if (p)
        srv_reply_int(&c->out, flp_lastsave(p));
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    /* Redis's categories: @admin @dangerous (from the flags), @slow or @fast */
    {"bgrewriteaof", 1, SRV_CMD_ADMIN, cmd_bgrewriteaof, 0, 0, 0, 0},
    {"bgsave", -1, SRV_CMD_ADMIN, cmd_bgsave, 0, 0, 0, 0},
    {"lastsave", 1, SRV_CMD_ADMIN | SRV_CMD_FAST, cmd_lastsave, 0, 0, 0, 0},
    {"save", 1, SRV_CMD_ADMIN | SRV_CMD_NO_MULTI, cmd_save, 0, 0, 0, 0},
};
const srv_cmd_family_t srv_cmds_persist = {cmds, sizeof(cmds) / sizeof(cmds[0])};
