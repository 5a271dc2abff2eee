/*
 * src/server/cmd_debug.c: DEBUG, the subset of Redis's test hooks that flatline implements:
 * SET-ACTIVE-EXPIRE 0|1 (Redis's test suite turns active expiry off to observe lazy expiry).
 * Other subcommands are refused with Redis's unknown-subcommand error.
 */
#include "srv_cmd.h"

static void cmd_debug(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (srv_slice_eq(argv[1], "set-active-expire") && argc == 3) {
        long long on;
        if (!srv_arg_ll(c, argv[2], &on))
            return;
        fl_store_set_active_expire(c->srv->store, on != 0);
        srv_reply_ok(&c->out);
        return;
    }
    srv_reply_unknown_subcommand(c, argv[1], "DEBUG");
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"debug", -2, SRV_CMD_ADMIN, cmd_debug, 0, 0, 0, SRV_ACL_CAT(ADMIN) | SRV_ACL_CAT(DANGEROUS)},
};
const srv_cmd_family_t srv_cmds_debug = {cmds, sizeof(cmds) / sizeof(cmds[0])};
