/*
 * src/server/cmd_command.c: COMMAND (the whole table), COMMAND COUNT / LIST / INFO / DOCS, in
 * Redis 7.0's reply shapes, built from the command table alone (commands.c).
 *
 * A COMMAND INFO entry has Redis 7's ten fields: name, arity, flags, first key, last key, step,
 * ACL categories (@read / @write, @fast / @slow, @admin and @dangerous, and @<group> for the
 * data-type groups), tips (none), key specifications (one range derived from first/last/step)
 * and subcommands (none: flatline's container commands dispatch their subcommands themselves).
 * COMMAND DOCS <name ...> gives each command's group (flatline keeps no summaries or argument
 * lists). COMMAND DOCS without names answers an empty map, on purpose: redis-cli asks it at
 * start and, given an empty one, keeps its own complete help table (summaries, argument hints)
 * instead of entries holding only a group.
 */
#include "srv_cmd.h"

#include <stdio.h>
#include <string.h>

static const struct {
    unsigned bit;
    const char *name;
} flag_names[] = {{SRV_CMD_WRITE, "write"},
                  {SRV_CMD_READONLY, "readonly"},
                  {SRV_CMD_FAST, "fast"},
                  {SRV_CMD_ADMIN, "admin"}};
#define NFLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

/* Redis's data-type groups, which are also ACL categories. */
static bool group_is_category(const char *g)
{
    static const char *const cats[] = {"string",    "hash",   "list",      "set",
                                       "sortedset", "stream", "bitmap",    "hyperloglog",
                                       "geo",       "pubsub", "connection"};
    for (size_t i = 0; i < sizeof(cats) / sizeof(cats[0]); i++)
        if (strcmp(g, cats[i]) == 0)
            return true;
    return strcmp(g, "generic") == 0; /* Redis's @keyspace */
}

static void reply_categories(srv_buf_t *out, const srv_cmd_t *cmd)
{
    const char *cats[6];
    size_t n = 0;
    if (cmd->flags & SRV_CMD_WRITE)
        cats[n++] = "@write";
    if (cmd->flags & SRV_CMD_READONLY)
        cats[n++] = "@read";
    const char *g = srv_cmd_group(cmd);
    char group[32];
    if (group_is_category(g)) {
        snprintf(group, sizeof(group), "@%s", strcmp(g, "generic") == 0 ? "keyspace" : g);
        cats[n++] = group;
    }
    if (cmd->flags & SRV_CMD_ADMIN) {
        cats[n++] = "@admin";
        cats[n++] = "@dangerous";
    }
    cats[n++] = cmd->flags & SRV_CMD_FAST ? "@fast" : "@slow";
    srv_reply_array(out, n);
    for (size_t i = 0; i < n; i++)
        srv_reply_simple(out, cats[i]);
}

/* One key specification covering first_key..last_key by step, as Redis describes a range. */
static void reply_key_specs(srv_buf_t *out, const srv_cmd_t *cmd)
{
    if (cmd->first_key <= 0) {
        srv_reply_array(out, 0);
        return;
    }
    bool write = cmd->flags & SRV_CMD_WRITE;
    srv_reply_array(out, 1);
    srv_reply_array(out, 6);
    srv_reply_bulk_str(out, "flags");
    srv_reply_array(out, 2);
    srv_reply_simple(out, write ? "RW" : "RO");
    srv_reply_simple(out, write ? "update" : "access");
    srv_reply_bulk_str(out, "begin_search");
    srv_reply_array(out, 4);
    srv_reply_bulk_str(out, "type");
    srv_reply_bulk_str(out, "index");
    srv_reply_bulk_str(out, "spec");
    srv_reply_array(out, 2);
    srv_reply_bulk_str(out, "index");
    srv_reply_int(out, cmd->first_key);
    srv_reply_bulk_str(out, "find_keys");
    srv_reply_array(out, 4);
    srv_reply_bulk_str(out, "type");
    srv_reply_bulk_str(out, "range");
    srv_reply_bulk_str(out, "spec");
    srv_reply_array(out, 6);
    srv_reply_bulk_str(out, "lastkey");
    srv_reply_int(out, cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key);
    srv_reply_bulk_str(out, "keystep");
    srv_reply_int(out, cmd->step);
    srv_reply_bulk_str(out, "limit");
    srv_reply_int(out, 0);
}

static void reply_info(srv_buf_t *out, const srv_cmd_t *cmd)
{
    size_t nflags = 0;
    for (size_t i = 0; i < NFLAGS; i++)
        nflags += (cmd->flags & flag_names[i].bit) != 0;
    srv_reply_array(out, 10);
    srv_reply_bulk_str(out, cmd->name);
    srv_reply_int(out, cmd->arity);
    srv_reply_array(out, nflags);
    for (size_t i = 0; i < NFLAGS; i++)
        if (cmd->flags & flag_names[i].bit)
            srv_reply_simple(out, flag_names[i].name);
    srv_reply_int(out, cmd->first_key);
    srv_reply_int(out, cmd->last_key);
    srv_reply_int(out, cmd->step);
    reply_categories(out, cmd);
    srv_reply_array(out, 0); /* tips */
    reply_key_specs(out, cmd);
    srv_reply_array(out, 0); /* subcommands */
}

static void reply_docs(srv_buf_t *out, const srv_cmd_t *cmd)
{
    srv_reply_bulk_str(out, cmd->name);
    srv_reply_array(out, 2);
    srv_reply_bulk_str(out, "group");
    srv_reply_bulk_str(out, srv_cmd_group(cmd));
}

/* COMMAND INFO / DOCS: the commands named (INFO: nil for an unknown one; DOCS: skipped), or
 * all of them. */
static void reply_some(srv_client_t *c, int argc, const fl_slice_t *argv, bool docs)
{
    size_t n = srv_cmd_count(), count = 0;
    srv_buf_t body = {0};
    if (argc == 0) {
        for (size_t i = 0; i < n; i++)
            docs ? reply_docs(&body, srv_cmd_at(i)) : reply_info(&body, srv_cmd_at(i));
        count = n;
    }
    for (int i = 0; i < argc; i++) {
        const srv_cmd_t *cmd = srv_cmd_lookup(argv[i].p, argv[i].n);
        if (docs && !cmd)
            continue;
        if (!cmd)
            srv_reply_nil(&body);
        else if (docs)
            reply_docs(&body, cmd);
        else
            reply_info(&body, cmd);
        count++;
    }
    srv_reply_array(&c->out, docs ? 2 * count : count);
    srv_reply_raw(&c->out, body.p, body.len);
    if (body.failed)
        c->out.failed = true;
    srv_buf_free(&body);
}

static void cmd_command(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t n = srv_cmd_count();
    if (argc == 1) {
        reply_some(c, 0, NULL, false);
    } else if (srv_slice_eq(argv[1], "count") && argc == 2) {
        srv_reply_int(&c->out, (long long)n);
    } else if (srv_slice_eq(argv[1], "list") && argc == 2) {
        srv_reply_array(&c->out, n);
        for (size_t i = 0; i < n; i++)
            srv_reply_bulk_str(&c->out, srv_cmd_at(i)->name);
    } else if (srv_slice_eq(argv[1], "docs") && argc == 2) {
        srv_reply_array(&c->out, 0); /* see the file's comment */
    } else if (srv_slice_eq(argv[1], "info") || srv_slice_eq(argv[1], "docs")) {
        reply_some(c, argc - 2, argv + 2, srv_slice_eq(argv[1], "docs"));
    } else if (srv_slice_eq(argv[1], "count") || srv_slice_eq(argv[1], "list")) {
        srv_reply_arity(c, srv_slice_eq(argv[1], "count") ? "command|count" : "command|list");
    } else {
        srv_reply_unknown_subcommand(c, argv[1], "COMMAND");
    }
}

static const srv_cmd_t cmds[] = {
    {"command", -1, 0, cmd_command, 0, 0, 0},
};
const srv_cmd_family_t srv_cmds_command = {cmds, sizeof(cmds) / sizeof(cmds[0]), "server"};
