/*
 * src/server/cmd_set.c: set commands (SADD ... SSCAN) on the store's sets
 * (flatline/collections.h).
 *
 * Invariants: each handler appends exactly one reply; argument checks follow Redis 7.0's order
 * and wording; members are passed to the store as slices of the request, never copied here.
 */
#include <stdlib.h>
#include <string.h>

#include "flatline/collections.h"
#include "notify.h"
#include "srv_cmd.h"

static void cmd_sadd(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t added = 0;
    if (!srv_sink_done(c, c->out.len,
                       fl_set_add(c->ns, argv[1], argv + 2, (size_t)argc - 2, &added)))
        return;
    srv_reply_int(&c->out, (long long)added);
    if (added)
        srv_notify(c, SRV_NOTIFY_SET, "sadd", argv[1]);
}

static void cmd_srem(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t removed = 0;
    srv_notify_begin();
    if (!srv_sink_done(c, c->out.len,
                       fl_set_rem(c->ns, argv[1], argv + 2, (size_t)argc - 2, &removed)))
        return;
    srv_reply_int(&c->out, (long long)removed);
    if (removed) {
        srv_notify(c, SRV_NOTIFY_SET, "srem", argv[1]);
        srv_notify_del_if_gone(c, argv[1]);
    }
}

static void cmd_scard(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    size_t card = 0;
    if (srv_sink_done(c, c->out.len, fl_set_card(c->ns, argv[1], &card)))
        srv_reply_int(&c->out, (long long)card);
}

static void cmd_sismember(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    bool found = false;
    if (srv_sink_done(c, c->out.len, fl_set_ismember(c->ns, argv[1], argv + 2, 1, &found)))
        srv_reply_int(&c->out, found);
}

static void cmd_smismember(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t n = (size_t)argc - 2;
    bool *found = malloc(n * sizeof(*found));
    if (!found) {
        c->out.failed = true;
        return;
    }
    if (srv_sink_done(c, c->out.len, fl_set_ismember(c->ns, argv[1], argv + 2, n, found))) {
        srv_reply_array(&c->out, n);
        for (size_t i = 0; i < n; i++)
            srv_reply_int(&c->out, found[i]);
    }
    free(found);
}

static void cmd_smembers(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    srv_sink_t sink;
    size_t mark = c->out.len;
    srv_sink_done(c, mark,
                  fl_set_members(c->ns, argv[1], srv_sink_as(&sink, &c->out, SRV_SHAPE_SET)));
}

static void cmd_srandmember(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (argc > 3) {
        srv_reply_syntax(c);
        return;
    }
    long long count = 0;
    if (argc == 3 && !srv_arg_ll(c, argv[2], &count))
        return;
    if (count == INT64_MIN) {
        srv_reply_error(&c->out, "ERR value is out of range, value must between "
                                 "-9223372036854775807 and 9223372036854775807");
        return;
    }
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_set_randmember(c->ns, argv[1], count, argc == 2, &sink));
}

static void cmd_spop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (argc > 3) {
        srv_reply_syntax(c);
        return;
    }
    long long count = 1;
    if (argc == 3 && (!srv_slice_to_ll(argv[2], &count) || count < 0)) {
        srv_reply_error(&c->out, "ERR value is out of range, must be positive");
        return;
    }
    srv_sink_t sink;
    size_t mark = c->out.len;
    srv_notify_begin();
    if (!srv_sink_done(c, mark,
                       fl_set_pop(c->ns, argv[1], (size_t)count, argc == 2,
                                  srv_sink_as(&sink, &c->out, SRV_SHAPE_SET))) ||
        srv_notify_off() || srv_replied_none(c, mark))
        return;
    srv_notify(c, SRV_NOTIFY_SET, "spop", argv[1]);
    srv_notify_del_if_gone(c, argv[1]);
}

static void cmd_smove(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    bool moved = false, added = false; /* Redis tells "sadd" when dst did not have it */
    srv_notify_begin();
    if (!srv_sink_done(c, c->out.len,
                       fl_set_move(c->ns, argv[1], argv[2], argv[3], &moved, &added)))
        return;
    srv_reply_int(&c->out, moved);
    bool same = argv[1].n == argv[2].n && memcmp(argv[1].p, argv[2].p, argv[1].n) == 0;
    if (!moved || same)
        return;
    srv_notify(c, SRV_NOTIFY_SET, "srem", argv[1]);
    srv_notify_del_if_gone(c, argv[1]);
    if (added)
        srv_notify(c, SRV_NOTIFY_SET, "sadd", argv[2]);
}

/* SINTER/SUNION/SDIFF (dst NULL) and their STORE forms (argv[1] the destination). */
static void algebra(srv_client_t *c, int argc, const fl_slice_t *argv, fl_set_op_t op, bool store)
{
    srv_sink_t sink;
    size_t mark = c->out.len, card = 0;
    int first = store ? 2 : 1;
    srv_notify_begin();
    int st =
        fl_set_algebra(c->ns, op, argv + first, (size_t)(argc - first), store ? &argv[1] : NULL,
                       false, 0, srv_sink_as(&sink, &c->out, SRV_SHAPE_SET), &card);
    if (!srv_sink_done(c, mark, st) || !store)
        return;
    srv_reply_int(&c->out, (long long)card);
    static const char *const events[] = {
        [FL_SINTER] = "sinterstore", [FL_SUNION] = "sunionstore", [FL_SDIFF] = "sdiffstore"};
    if (card)
        srv_notify(c, SRV_NOTIFY_SET, events[op], argv[1]);
    else
        srv_notify_del_if_gone(c, argv[1]);
}

static void cmd_sinter(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_SINTER, false);
}
static void cmd_sinterstore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_SINTER, true);
}
static void cmd_sunion(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_SUNION, false);
}
static void cmd_sunionstore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_SUNION, true);
}
static void cmd_sdiff(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_SDIFF, false);
}
static void cmd_sdiffstore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_SDIFF, true);
}

static void cmd_sintercard(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long numkeys, limit = 0;
    if (!srv_slice_to_ll(argv[1], &numkeys) || numkeys < 1) {
        srv_reply_error(&c->out, "ERR numkeys should be greater than 0");
        return;
    }
    if (numkeys > argc - 2) {
        srv_reply_error(&c->out, "ERR Number of keys can't be greater than number of args");
        return;
    }
    for (int j = 2 + (int)numkeys; j < argc; j++) {
        if (srv_slice_eq(argv[j], "limit") && j + 1 < argc) {
            if (!srv_slice_to_ll(argv[++j], &limit) || limit < 0) {
                srv_reply_error(&c->out, "ERR LIMIT can't be negative");
                return;
            }
        } else {
            srv_reply_syntax(c);
            return;
        }
    }
    size_t card = 0;
    int st = fl_set_algebra(c->ns, FL_SINTER, argv + 2, (size_t)numkeys, NULL, true, (size_t)limit,
                            NULL, &card);
    if (srv_sink_done(c, c->out.len, st))
        srv_reply_int(&c->out, (long long)card);
}

static void cmd_sscan(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_cmd_member_scan(c, argc, argv, fl_set_scan);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"sadd", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_sadd, 1, 1, 1, SRV_ACL_CAT(SET)},
    {"scard", 2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_scard, 1, 1, 1, SRV_ACL_CAT(SET)},
    {"sdiff", -2, SRV_CMD_READONLY, cmd_sdiff, 1, -1, 1, SRV_ACL_CAT(SET)},
    {"sdiffstore", -3, SRV_CMD_WRITE, cmd_sdiffstore, 1, -1, 1, SRV_ACL_CAT(SET)},
    {"sinter", -2, SRV_CMD_READONLY, cmd_sinter, 1, -1, 1, SRV_ACL_CAT(SET)},
    {"sintercard", -3, SRV_CMD_READONLY | SRV_CMD_NUMKEYS_1, cmd_sintercard, 0, 0, 0,
     SRV_ACL_CAT(SET)},
    {"sinterstore", -3, SRV_CMD_WRITE, cmd_sinterstore, 1, -1, 1, SRV_ACL_CAT(SET)},
    {"sismember", 3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_sismember, 1, 1, 1, SRV_ACL_CAT(SET)},
    {"smembers", 2, SRV_CMD_READONLY, cmd_smembers, 1, 1, 1, SRV_ACL_CAT(SET)},
    {"smismember", -3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_smismember, 1, 1, 1, SRV_ACL_CAT(SET)},
    {"smove", 4, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_smove, 1, 2, 1, SRV_ACL_CAT(SET)},
    {"spop", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_spop, 1, 1, 1, SRV_ACL_CAT(SET)},
    {"srandmember", -2, SRV_CMD_READONLY, cmd_srandmember, 1, 1, 1, SRV_ACL_CAT(SET)},
    {"srem", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_srem, 1, 1, 1, SRV_ACL_CAT(SET)},
    {"sscan", -3, SRV_CMD_READONLY, cmd_sscan, 1, 1, 1, SRV_ACL_CAT(SET)},
    {"sunion", -2, SRV_CMD_READONLY, cmd_sunion, 1, -1, 1, SRV_ACL_CAT(SET)},
    {"sunionstore", -3, SRV_CMD_WRITE, cmd_sunionstore, 1, -1, 1, SRV_ACL_CAT(SET)},
};
const srv_cmd_family_t srv_cmds_set = {cmds, sizeof(cmds) / sizeof(cmds[0])};
