/*
 * src/server/cmd_cluster.c: CLUSTER on a server without cluster mode, answered as Redis 7.0
 * answers it with `cluster-enabled no`: each subcommand, once its arity passed, replies
 * "ERR This instance has cluster support disabled", so clients that probe for a cluster (and
 * scripts) get Redis's answers rather than an unknown command. The subcommands carry Redis's
 * flags: the administrative ones are @admin @dangerous, and CLUSTER RESET is refused in scripts
 * (script.c). flatline scales out through twemproxy instead (docs/twemproxy.md).
 */
#include "srv_cmd.h"

static void cluster_disabled(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    (void)argv;
    srv_reply_error(&c->out, "ERR This instance has cluster support disabled");
}

/* Redis 7.0's CLUSTER subcommands: name, full name, arity, and whether Redis flags it ADMIN. */
#define CLUSTER_SUBCOMMANDS(X)                                                                     \
    X("addslots", "cluster|addslots", -3, true)                                                    \
    X("addslotsrange", "cluster|addslotsrange", -4, true)                                          \
    X("bumpepoch", "cluster|bumpepoch", 2, true)                                                   \
    X("count-failure-reports", "cluster|count-failure-reports", 3, true)                           \
    X("countkeysinslot", "cluster|countkeysinslot", 3, false)                                      \
    X("delslots", "cluster|delslots", -3, true)                                                    \
    X("delslotsrange", "cluster|delslotsrange", -4, true)                                          \
    X("failover", "cluster|failover", -2, true)                                                    \
    X("flushslots", "cluster|flushslots", 2, true)                                                 \
    X("forget", "cluster|forget", 3, true)                                                         \
    X("getkeysinslot", "cluster|getkeysinslot", 4, false)                                          \
    X("help", "cluster|help", 2, false)                                                            \
    X("info", "cluster|info", 2, false)                                                            \
    X("keyslot", "cluster|keyslot", 3, false)                                                      \
    X("links", "cluster|links", 2, false)                                                          \
    X("meet", "cluster|meet", -4, true)                                                            \
    X("myid", "cluster|myid", 2, false)                                                            \
    X("nodes", "cluster|nodes", 2, false)                                                          \
    X("replicas", "cluster|replicas", 3, true)                                                     \
    X("replicate", "cluster|replicate", 3, true)                                                   \
    X("reset", "cluster|reset", -2, true)                                                          \
    X("saveconfig", "cluster|saveconfig", 2, true)                                                 \
    X("set-config-epoch", "cluster|set-config-epoch", 3, true)                                     \
    X("setslot", "cluster|setslot", -4, true)                                                      \
    X("shards", "cluster|shards", 2, false)                                                        \
    X("slaves", "cluster|slaves", 3, true)                                                         \
    X("slots", "cluster|slots", 2, false)

static const srv_subcmd_route_t routes[] = {
#define CLUSTER_ROUTE_(name, full, arity, admin) {name, full, arity, cluster_disabled},
    CLUSTER_SUBCOMMANDS(CLUSTER_ROUTE_)
#undef CLUSTER_ROUTE_
};

/* CLUSTER <subcommand> [args] */
static void cmd_cluster(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_cmd_route(c, argc, argv, routes, sizeof(routes) / sizeof(routes[0]), "CLUSTER");
}

static const srv_subcmd_t cluster_subcmds[] = {
#define CLUSTER_ACL_(name, full, arity, admin) {name, (admin) ? SRV_CMD_ADMIN : 0, 0},
    CLUSTER_SUBCOMMANDS(CLUSTER_ACL_)
#undef CLUSTER_ACL_
        {NULL, 0, 0},
};
const srv_subcmd_table_t srv_subcmds_cluster = {"cluster", cluster_subcmds, 0};

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"cluster", -2, SRV_CMD_SUBCOMMANDS, cmd_cluster, 0, 0, 0, 0},
};
const srv_cmd_family_t srv_cmds_cluster = {cmds, sizeof(cmds) / sizeof(cmds[0])};
