/*
 * src/server/acl_subcmds.c: Redis 7.0's ACL categories for the subcommands of CLIENT, CONFIG
 * and COMMAND, whose handlers live in other families. Kept here, apart from the handlers, so
 * that access control covers them (CLIENT KILL is @admin @dangerous, CLIENT ID is not) while
 * those families change; a family may take its table over (srv_cmd.h). Subcommands missing
 * from a table are checked with the container's own row.
 */
#include "srv_cmd.h"

#define CONN SRV_ACL_CAT(CONNECTION)

static const srv_subcmd_t client_subcmds[] = {
    {"caching", 0, CONN},
    {"getname", 0, CONN},
    {"getredir", 0, CONN},
    {"help", 0, CONN},
    {"id", 0, CONN},
    {"info", 0, CONN},
    {"kill", SRV_CMD_ADMIN, CONN},
    {"list", SRV_CMD_ADMIN, CONN},
    {"no-evict", SRV_CMD_ADMIN, CONN},
    {"pause", SRV_CMD_ADMIN, CONN},
    {"reply", 0, CONN},
    {"setname", 0, CONN},
    {"tracking", 0, CONN},
    {"trackinginfo", 0, CONN},
    {"unblock", SRV_CMD_ADMIN, CONN},
    {"unpause", SRV_CMD_ADMIN, CONN},
    {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_client = {"client", client_subcmds};

static const srv_subcmd_t config_subcmds[] = {
    {"get", SRV_CMD_ADMIN, 0},       {"help", 0, 0},
    {"resetstat", SRV_CMD_ADMIN, 0}, {"rewrite", SRV_CMD_ADMIN, 0},
    {"set", SRV_CMD_ADMIN, 0},       {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_config = {"config", config_subcmds};

static const srv_subcmd_t command_subcmds[] = {
    {"count", 0, CONN}, {"docs", 0, CONN}, {"getkeys", 0, CONN}, {"getkeysandflags", 0, CONN},
    {"help", 0, CONN},  {"info", 0, CONN}, {"list", 0, CONN},    {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_command = {"command", command_subcmds};
