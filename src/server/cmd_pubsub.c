/*
 * src/server/cmd_pubsub.c: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE, PUBLISH and
 * PUBSUB CHANNELS/NUMSUB/NUMPAT/HELP with Redis 7.0's replies; the registry and delivery are
 * pubsub.c's. The subscribe family is SRV_CMD_PUBSUB_OK: the commands a client in subscribed
 * mode may still send (with PING, QUIT and RESET; commands.c enforces it).
 */
#include "pubsub.h"
#include "srv_cmd.h"

static void cmd_subscribe(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_pubsub_subscribe(c, argv + 1, argc - 1, false);
}

static void cmd_psubscribe(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_pubsub_subscribe(c, argv + 1, argc - 1, true);
}

static void cmd_unsubscribe(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_pubsub_unsubscribe(c, argv + 1, argc - 1, false);
}

static void cmd_punsubscribe(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_pubsub_unsubscribe(c, argv + 1, argc - 1, true);
}

static void cmd_publish(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_reply_int(&c->out, srv_pubsub_publish(argv[1], argv[2]));
}

static void cmd_pubsub(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_slice_t sub = argv[1];
    if (srv_slice_eq(sub, "channels") && argc <= 3) {
        srv_pubsub_channels(c, argc == 3 ? &argv[2] : NULL);
    } else if (srv_slice_eq(sub, "numsub")) {
        srv_pubsub_numsub(c, argv + 2, argc - 2);
    } else if (srv_slice_eq(sub, "numpat") && argc == 2) {
        srv_pubsub_numpat(c);
    } else if (srv_slice_eq(sub, "shardchannels") && argc <= 3) {
        srv_reply_array(&c->out, 0); /* no shard channels: flatline is not a cluster */
    } else if (srv_slice_eq(sub, "shardnumsub")) {
        srv_reply_array(&c->out, 2 * (size_t)(argc - 2));
        for (int i = 2; i < argc; i++) {
            srv_reply_bulk(&c->out, argv[i].p, argv[i].n);
            srv_reply_int(&c->out, 0);
        }
    } else if (srv_slice_eq(sub, "help") && argc == 2) {
        static const char *const help[] = {
            "PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: "
            "'*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
            "HELP",
            "    Prints this help."};
        srv_reply_array(&c->out, sizeof(help) / sizeof(help[0]));
        for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
            srv_reply_simple(&c->out, help[i]);
    } else if (srv_slice_eq(sub, "channels") || srv_slice_eq(sub, "numpat")) {
        srv_reply_arity(c, srv_slice_eq(sub, "channels") ? "pubsub|channels" : "pubsub|numpat");
    } else {
        srv_reply_unknown_subcommand(c, sub, "PUBSUB");
    }
}

#define PS (SRV_CMD_PUBSUB_OK | SRV_CMD_PUSHES)
static const srv_cmd_t cmds[] = {
    {"psubscribe", -2, PS, cmd_psubscribe, 0, 0, 0, SRV_ACL_CAT(PUBSUB)},
    {"publish", 3, SRV_CMD_FAST, cmd_publish, 0, 0, 0, SRV_ACL_CAT(PUBSUB)},
    {"pubsub", -2, SRV_CMD_SUBCOMMANDS, cmd_pubsub, 0, 0, 0, SRV_ACL_CAT(PUBSUB)},
    {"punsubscribe", -1, PS, cmd_punsubscribe, 0, 0, 0, SRV_ACL_CAT(PUBSUB)},
    {"subscribe", -2, PS, cmd_subscribe, 0, 0, 0, SRV_ACL_CAT(PUBSUB)},
    {"unsubscribe", -1, PS, cmd_unsubscribe, 0, 0, 0, SRV_ACL_CAT(PUBSUB)},
};

const srv_cmd_family_t srv_cmds_pubsub = {cmds, sizeof(cmds) / sizeof(cmds[0])};
