/*
 * src/server/cmd_multi.c: the transaction commands MULTI, EXEC, DISCARD, WATCH, UNWATCH
 * (Redis 7.0 replies and errors); the state machine is multi.c's.
 */
#include "multi.h"
#include "srv_cmd.h"

static void cmd_multi(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (!srv_multi_begin(c)) {
        srv_reply_error(&c->out, "ERR MULTI calls can not be nested");
        return;
    }
    srv_reply_ok(&c->out);
}

static void cmd_exec(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (!srv_multi_active(c)) {
        srv_reply_error(&c->out, "ERR EXEC without MULTI");
        return;
    }
    srv_multi_exec(c);
}

static void cmd_discard(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (!srv_multi_active(c)) {
        srv_reply_error(&c->out, "ERR DISCARD without MULTI");
        return;
    }
    srv_multi_discard(c);
    srv_reply_ok(&c->out);
}

static void cmd_watch(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (srv_multi_active(c)) {
        srv_reply_error(&c->out, "ERR WATCH inside MULTI is not allowed");
        return;
    }
    for (int i = 1; i < argc; i++)
        if (!srv_multi_watch(c, argv[i])) {
            c->out.failed = true; /* out of memory: the client is closed */
            return;
        }
    srv_reply_ok(&c->out);
}

static void cmd_unwatch(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_multi_unwatch(c);
    srv_reply_ok(&c->out);
}

static const srv_cmd_t cmds[] = {
    {"discard", 1, SRV_CMD_FAST, cmd_discard, 0, 0, 0, SRV_ACL_CAT(TRANSACTION)},
    {"exec", 1, SRV_CMD_SKIP_SLOWLOG, cmd_exec, 0, 0, 0, SRV_ACL_CAT(TRANSACTION)},
    {"multi", 1, SRV_CMD_FAST, cmd_multi, 0, 0, 0, SRV_ACL_CAT(TRANSACTION)},
    {"unwatch", 1, SRV_CMD_FAST, cmd_unwatch, 0, 0, 0, SRV_ACL_CAT(TRANSACTION)},
    {"watch", -2, SRV_CMD_FAST, cmd_watch, 1, -1, 1, SRV_ACL_CAT(TRANSACTION)},
};

const srv_cmd_family_t srv_cmds_multi = {cmds, sizeof(cmds) / sizeof(cmds[0])};
