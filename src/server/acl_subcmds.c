/*
 * src/server/acl_subcmds.c: Redis 7.0's ACL categories for the subcommands of CLIENT, CONFIG,
 * COMMAND, OBJECT, SCRIPT, FUNCTION, PUBSUB, SLOWLOG and LATENCY, whose handlers live in other
 * families. The tables list every subcommand Redis 7.0 has (COMMAND LIST names them; an argument
 * that is none of them is refused before the handler runs), also those flatline answers with an
 * error. Kept here, apart from the handlers, so that access control covers them (CLIENT KILL is
 * @admin @dangerous, CLIENT ID is not) while those families change; a family may take its table
 * over (srv_cmd.h). Subcommands missing from a table are checked with the container's own row.
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
const srv_subcmd_table_t srv_subcmds_client = {"client", client_subcmds, 0};

static const srv_subcmd_t config_subcmds[] = {
    {"get", SRV_CMD_ADMIN, 0},       {"help", 0, 0},
    {"resetstat", SRV_CMD_ADMIN, 0}, {"rewrite", SRV_CMD_ADMIN, 0},
    {"set", SRV_CMD_ADMIN, 0},       {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_config = {"config", config_subcmds, 0};

static const srv_subcmd_t command_subcmds[] = {
    {"count", 0, CONN}, {"docs", 0, CONN}, {"getkeys", 0, CONN}, {"getkeysandflags", 0, CONN},
    {"help", 0, CONN},  {"info", 0, CONN}, {"list", 0, CONN},    {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_command = {"command", command_subcmds, CONN};

#define KEYSPACE SRV_ACL_CAT(KEYSPACE)

static const srv_subcmd_t object_subcmds[] = {
    {"encoding", SRV_CMD_READONLY, KEYSPACE},
    {"freq", SRV_CMD_READONLY, KEYSPACE},
    {"help", 0, KEYSPACE},
    {"idletime", SRV_CMD_READONLY, KEYSPACE},
    {"refcount", SRV_CMD_READONLY, KEYSPACE},
    {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_object = {"object", object_subcmds, 0};

#define SCRIPTING SRV_ACL_CAT(SCRIPTING)

static const srv_subcmd_t script_subcmds[] = {
    {"debug", 0, SCRIPTING},
    {"exists", 0, SCRIPTING},
    {"flush", 0, SCRIPTING},
    {"help", 0, SCRIPTING},
    {"kill", 0, SCRIPTING},
    {"load", 0, SCRIPTING},
    {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_script = {"script", script_subcmds, 0};

static const srv_subcmd_t function_subcmds[] = {
    {"delete", SRV_CMD_WRITE, SCRIPTING},
    {"dump", 0, SCRIPTING},
    {"flush", SRV_CMD_WRITE, SCRIPTING},
    {"help", 0, SCRIPTING},
    {"kill", 0, SCRIPTING},
    {"list", 0, SCRIPTING},
    {"load", SRV_CMD_WRITE, SCRIPTING},
    {"restore", SRV_CMD_WRITE, SCRIPTING},
    {"stats", 0, SCRIPTING},
    {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_function = {"function", function_subcmds, 0};

#define PUBSUB SRV_ACL_CAT(PUBSUB)

static const srv_subcmd_t pubsub_subcmds[] = {
    {"channels", 0, PUBSUB},
    {"help", 0, 0},
    {"numpat", 0, PUBSUB},
    {"numsub", 0, PUBSUB},
    {"shardchannels", 0, PUBSUB},
    {"shardnumsub", 0, PUBSUB},
    {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_pubsub = {"pubsub", pubsub_subcmds, 0};

static const srv_subcmd_t slowlog_subcmds[] = {
    {"get", SRV_CMD_ADMIN, 0},   {"help", 0, 0}, {"len", SRV_CMD_ADMIN, 0},
    {"reset", SRV_CMD_ADMIN, 0}, {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_slowlog = {"slowlog", slowlog_subcmds, 0};

static const srv_subcmd_t latency_subcmds[] = {
    {"doctor", SRV_CMD_ADMIN, 0},
    {"graph", SRV_CMD_ADMIN, 0},
    {"help", 0, 0},
    {"histogram", SRV_CMD_ADMIN, 0},
    {"history", SRV_CMD_ADMIN, 0},
    {"latest", SRV_CMD_ADMIN, 0},
    {"reset", SRV_CMD_ADMIN, 0},
    {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_latency = {"latency", latency_subcmds, 0};
