/*
 * src/server/cmd_command.c: COMMAND (the whole table), COMMAND COUNT / LIST [FILTERBY] / INFO /
 * DOCS / GETKEYS, in Redis 7.0's reply shapes, built from the command table alone (commands.c).
 *
 * A COMMAND INFO entry has Redis 7's ten fields: name, arity, flags, first key, last key, step,
 * ACL categories (srv_cmd_categories: the row's and those its flags imply), tips (none), key
 * specifications (one range derived from first/last/step) and subcommands (none: flatline's
 * container commands dispatch their subcommands themselves). COMMAND DOCS <name ...> gives each
 * command's group, named by its categories (flatline keeps no summaries or argument lists). COMMAND
 * DOCS without names answers an empty map, on purpose: redis-cli asks it at start and, given an
 * empty one, keeps its own complete help table (summaries, argument hints) instead of entries
 * holding only a group.
 */
#include "srv_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"

static const struct {
    unsigned bit;
    const char *name;
} flag_names[] = {{SRV_CMD_WRITE, "write"},
                  {SRV_CMD_READONLY, "readonly"},
                  {SRV_CMD_FAST, "fast"},
                  {SRV_CMD_ADMIN, "admin"},
                  {SRV_CMD_NUMKEYS_1 | SRV_CMD_NUMKEYS_2 | SRV_CMD_KEYS_IN_OPTIONS, "movablekeys"}};
#define NFLAGS (sizeof(flag_names) / sizeof(flag_names[0]))

/* The command's ACL categories (srv_cmd_categories), in SRV_ACL_CATEGORIES's order as Redis
 * lists them. */
static void reply_categories(srv_buf_t *out, const srv_cmd_t *cmd)
{
    static const char *const names[] = {
#define SRV_ACL_CAT_NAME_(id, name) "@" name,
        SRV_ACL_CATEGORIES(SRV_ACL_CAT_NAME_)
#undef SRV_ACL_CAT_NAME_
    };
    unsigned cats = srv_acl_entry_categories(srv_cmd_id(cmd));
    srv_reply_set(out, (size_t)__builtin_popcount(cats));
    for (int i = 0; i < SRV_ACL_NCATEGORIES; i++)
        if (cats & (1u << i))
            srv_reply_simple(out, names[i]);
}

/* Redis's command group, from the categories that name one (COMMAND DOCS). */
static const char *group_of(const srv_cmd_t *cmd)
{
    static const struct {
        unsigned cat;
        const char *group;
    } groups[] = {
        {SRV_ACL_CAT(STRING), "string"},
        {SRV_ACL_CAT(HASH), "hash"},
        {SRV_ACL_CAT(LIST), "list"},
        {SRV_ACL_CAT(SET), "set"},
        {SRV_ACL_CAT(SORTEDSET), "sorted-set"},
        {SRV_ACL_CAT(STREAM), "stream"},
        {SRV_ACL_CAT(BITMAP), "bitmap"},
        {SRV_ACL_CAT(HYPERLOGLOG), "hyperloglog"},
        {SRV_ACL_CAT(GEO), "geo"},
        {SRV_ACL_CAT(PUBSUB), "pubsub"},
        {SRV_ACL_CAT(TRANSACTION), "transactions"},
        {SRV_ACL_CAT(SCRIPTING), "scripting"},
        {SRV_ACL_CAT(KEYSPACE), "generic"},
        {SRV_ACL_CAT(CONNECTION), "connection"},
    };
    unsigned cats = srv_cmd_categories(cmd);
    for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
        if (cats & groups[i].cat)
            return groups[i].group;
    return "server";
}

/* A key specification's flags and begin_search part: keys from argument `index`. */
static void spec_head(srv_buf_t *out, bool write, int index)
{
    srv_reply_map(out, 3);
    srv_reply_bulk_str(out, "flags");
    srv_reply_set(out, 2);
    srv_reply_simple(out, write ? "RW" : "RO");
    srv_reply_simple(out, write ? "update" : "access");
    srv_reply_bulk_str(out, "begin_search");
    srv_reply_map(out, 2);
    srv_reply_bulk_str(out, "type");
    srv_reply_bulk_str(out, "index");
    srv_reply_bulk_str(out, "spec");
    srv_reply_map(out, 1);
    srv_reply_bulk_str(out, "index");
    srv_reply_int(out, index);
    srv_reply_bulk_str(out, "find_keys");
    srv_reply_map(out, 2);
    srv_reply_bulk_str(out, "type");
}

/* The key specifications srv_cmd_each_key follows, as Redis describes them: a range
 * (first_key..last_key by step), then a keynum list (the numkeys argument, its keys after it;
 * read-only sources when the command also has a range of its own). */
static void reply_key_specs(srv_buf_t *out, const srv_cmd_t *cmd)
{
    bool write = cmd->flags & SRV_CMD_WRITE;
    int at = srv_cmd_numkeys_at(cmd);
    srv_reply_set(out, (size_t)(cmd->first_key > 0) + (size_t)(at > 0));
    if (cmd->first_key > 0) {
        spec_head(out, write, cmd->first_key);
        srv_reply_bulk_str(out, "range");
        srv_reply_bulk_str(out, "spec");
        srv_reply_map(out, 3);
        srv_reply_bulk_str(out, "lastkey");
        srv_reply_int(out, cmd->last_key < 0 ? cmd->last_key : cmd->last_key - cmd->first_key);
        srv_reply_bulk_str(out, "keystep");
        srv_reply_int(out, cmd->step);
        srv_reply_bulk_str(out, "limit");
        srv_reply_int(out, 0);
    }
    if (at > 0) {
        spec_head(out, write && cmd->first_key <= 0, at);
        srv_reply_bulk_str(out, "keynum");
        srv_reply_bulk_str(out, "spec");
        srv_reply_map(out, 3);
        srv_reply_bulk_str(out, "keynumidx");
        srv_reply_int(out, 0);
        srv_reply_bulk_str(out, "firstkey");
        srv_reply_int(out, 1);
        srv_reply_bulk_str(out, "keystep");
        srv_reply_int(out, 1);
    }
}

static void reply_info(srv_buf_t *out, const srv_cmd_t *cmd)
{
    size_t nflags = 0;
    for (size_t i = 0; i < NFLAGS; i++)
        nflags += (cmd->flags & flag_names[i].bit) != 0;
    srv_reply_array(out, 10);
    srv_reply_bulk_str(out, cmd->name);
    srv_reply_int(out, cmd->arity);
    srv_reply_set(out, nflags);
    for (size_t i = 0; i < NFLAGS; i++)
        if (cmd->flags & flag_names[i].bit)
            srv_reply_simple(out, flag_names[i].name);
    srv_reply_int(out, cmd->first_key);
    srv_reply_int(out, cmd->last_key);
    srv_reply_int(out, cmd->step);
    reply_categories(out, cmd);
    srv_reply_set(out, 0); /* tips */
    reply_key_specs(out, cmd);
    srv_reply_set(out, 0); /* subcommands */
}

static void reply_docs(srv_buf_t *out, const srv_cmd_t *cmd)
{
    srv_reply_bulk_str(out, cmd->name);
    srv_reply_map(out, 1);
    srv_reply_bulk_str(out, "group");
    srv_reply_bulk_str(out, group_of(cmd));
}

/* COMMAND INFO / DOCS: the commands named (INFO: nil for an unknown one; DOCS: skipped), or
 * all of them. */
static void reply_some(srv_client_t *c, int argc, const fl_slice_t *argv, bool docs)
{
    size_t n = srv_cmd_count(), count = 0;
    srv_buf_t body = srv_buf_like(&c->out);
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
    if (docs)
        srv_reply_map(&c->out, count);
    else
        srv_reply_array(&c->out, count);
    srv_reply_raw(&c->out, body.p, body.len);
    if (body.failed)
        c->out.failed = true;
    srv_buf_free(&body);
}

typedef struct key_list {
    int *pos;
    size_t n;
} key_list_t;

static bool add_key(void *ctx, int pos, bool source)
{
    (void)source;
    key_list_t *k = ctx;
    k->pos[k->n++] = pos; /* sized argc: a key is an argument */
    return true;
}

/* COMMAND GETKEYS cmd arg...: the keys srv_cmd_each_key names, with Redis 7.0's errors. */
static void reply_getkeys(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    const srv_cmd_t *cmd = srv_cmd_lookup(argv[0].p, argv[0].n);
    if (!cmd) {
        srv_reply_error(&c->out, "ERR Invalid command specified");
        return;
    }
    if (!srv_cmd_has_keys(cmd)) {
        srv_reply_error(&c->out, "ERR The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity)) {
        srv_reply_error(&c->out, "ERR Invalid number of arguments specified for command");
        return;
    }
    key_list_t keys = {malloc((size_t)argc * sizeof(int)), 0};
    if (!keys.pos) {
        srv_reply_error(&c->out, "ERR Out of memory");
        return;
    }
    int rc = srv_cmd_each_key(cmd, argc, argv, add_key, &keys);
    FL_ASSERT(rc != SRV_KEYS_STOPPED && keys.n <= (size_t)argc);
    if (rc == SRV_KEYS_BAD_COUNT && !(cmd->flags & SRV_CMD_ALL_PARTS)) {
        /* scripts name no keys then (Redis's evalGetKeys); the others refuse the call */
        srv_reply_error(&c->out, "ERR Invalid arguments specified for command");
    } else {
        srv_reply_array(&c->out, keys.n);
        for (size_t i = 0; i < keys.n; i++)
            srv_reply_bulk(&c->out, argv[keys.pos[i]].p, argv[keys.pos[i]].n);
    }
    free(keys.pos);
}

/* COMMAND LIST [FILTERBY MODULE name | ACLCAT category | PATTERN pattern]: every command and
 * subcommand ("config|get") as Redis 7.0 lists them, or those of a category (an unknown one
 * and any module: none), or whose name matches the glob (case-insensitive). */
static void reply_list(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    enum { ALL, MODULE, ACLCAT, PATTERN } by = ALL;
    if (argc == 5 && srv_slice_eq(argv[2], "filterby")) {
        by = srv_slice_eq(argv[3], "module")    ? MODULE
             : srv_slice_eq(argv[3], "aclcat")  ? ACLCAT
             : srv_slice_eq(argv[3], "pattern") ? PATTERN
                                                : ALL;
    }
    if (argc != 2 && by == ALL) {
        srv_reply_syntax(c);
        return;
    }
    int bit = by == ACLCAT ? srv_acl_category_bit(argv[4].p, argv[4].n) : -1;
    bool no_category = by == ACLCAT && (bit < 0 || bit == SRV_ACL_NCATEGORIES);
    size_t total = srv_acl_entry_count(), n = 0;
    srv_buf_t body = srv_buf_like(&c->out);
    for (size_t i = 0; i < total && by != MODULE && !no_category; i++) {
        const char *name = srv_acl_entry_name(i);
        if (by == ACLCAT && !(srv_acl_entry_categories(i) & (1u << bit)))
            continue;
        if (by == PATTERN && !fl_glob_match(argv[4].p, argv[4].n, name, strlen(name), true))
            continue;
        srv_reply_bulk_str(&body, name);
        n++;
    }
    srv_reply_array(&c->out, n);
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
    } else if (srv_slice_eq(argv[1], "list")) {
        reply_list(c, argc, argv);
    } else if (srv_slice_eq(argv[1], "docs") && argc == 2) {
        srv_reply_map(&c->out, 0); /* see the file's comment */
    } else if (srv_slice_eq(argv[1], "getkeys")) {
        if (argc < 4)
            srv_reply_arity(c, "command|getkeys");
        else
            reply_getkeys(c, argc - 2, argv + 2);
    } else if (srv_slice_eq(argv[1], "info") || srv_slice_eq(argv[1], "docs")) {
        reply_some(c, argc - 2, argv + 2, srv_slice_eq(argv[1], "docs"));
    } else if (srv_slice_eq(argv[1], "count")) {
        srv_reply_arity(c, "command|count");
    } else {
        srv_reply_unknown_subcommand(c, argv[1], "COMMAND");
    }
}

static const srv_cmd_t cmds[] = {
    {"command", -1, SRV_CMD_SUBCOMMANDS, cmd_command, 0, 0, 0, SRV_ACL_CAT(CONNECTION)},
};
const srv_cmd_family_t srv_cmds_command = {cmds, sizeof(cmds) / sizeof(cmds[0])};
