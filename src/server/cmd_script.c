/*
 * src/server/cmd_script.c: the scripting commands: EVAL, EVALSHA, EVAL_RO, EVALSHA_RO, SCRIPT
 * (LOAD, EXISTS, FLUSH, KILL, HELP), FCALL, FCALL_RO and FUNCTION (LOAD, DELETE, FLUSH, LIST,
 * DUMP, RESTORE, STATS, KILL, HELP): argument parsing and Redis 7.0's errors; the work is
 * script.c's and script_func.c's. Every row is SRV_CMD_ALL_PARTS: inside MULTI the
 * transaction's batch then holds the whole store, which is the script lock.
 */
#include "script.h"
#include "srv_cmd.h"

#include <stdio.h>

static void cmd_eval(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_script_eval(c, argc, argv, false, false);
}

static void cmd_eval_ro(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_script_eval(c, argc, argv, false, true);
}

static void cmd_evalsha(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_script_eval(c, argc, argv, true, false);
}

static void cmd_evalsha_ro(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_script_eval(c, argc, argv, true, true);
}

static void cmd_fcall(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_script_fcall(c, argc, argv, false);
}

static void cmd_fcall_ro(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_script_fcall(c, argc, argv, true);
}

/* Redis's addReplySubcommandSyntaxError: a subcommand given too many arguments. */
static void reply_sub_syntax(srv_client_t *c, fl_slice_t sub, const char *cmd)
{
    srv_reply_errorf(&c->out,
                     "ERR unknown subcommand or wrong number of arguments for '%.*s'. Try %s HELP.",
                     (int)(sub.n < 128 ? sub.n : 128), sub.p, cmd);
}

static void reply_help(srv_client_t *c, const char *const *lines, size_t n)
{
    srv_reply_array(&c->out, n);
    for (size_t i = 0; i < n; i++)
        srv_reply_simple(&c->out, lines[i]);
}

static void cmd_script(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_slice_t sub = argv[1];
    if (srv_slice_eq(sub, "load") && argc == 3) {
        srv_script_load(c, argv[2]);
    } else if (srv_slice_eq(sub, "exists") && argc >= 3) {
        srv_script_exists(c, argc, argv);
    } else if (srv_slice_eq(sub, "flush")) {
        if (argc > 3 ||
            (argc == 3 && !srv_slice_eq(argv[2], "sync") && !srv_slice_eq(argv[2], "async"))) {
            srv_reply_error(&c->out, "ERR SCRIPT FLUSH only support SYNC|ASYNC option");
            return;
        }
        srv_script_flush(c);
    } else if (srv_slice_eq(sub, "kill") && argc == 2) {
        srv_script_kill(c, true);
    } else if (srv_slice_eq(sub, "help") && argc == 2) {
        static const char *const help[] = {
            "SCRIPT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "EXISTS <sha1> [<sha1> ...]",
            "FLUSH [ASYNC|SYNC]",
            "KILL",
            "LOAD <script>",
            "HELP"};
        reply_help(c, help, sizeof(help) / sizeof(help[0]));
    } else if (srv_slice_eq(sub, "load") || srv_slice_eq(sub, "exists") ||
               srv_slice_eq(sub, "kill")) {
        char name[32];
        snprintf(name, sizeof(name), "script|%.*s", (int)sub.n, sub.p);
        for (char *p = name; *p; p++)
            *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
        srv_reply_arity(c, name);
    } else {
        srv_reply_unknown_subcommand(c, sub, "SCRIPT");
    }
}

/* FUNCTION LIST [WITHCODE] [LIBRARYNAME pattern] */
static void function_list(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool with_code = false;
    fl_slice_t pattern = {0};
    for (int i = 2; i < argc; i++) {
        if (srv_slice_eq(argv[i], "withcode") && !with_code) {
            with_code = true;
        } else if (srv_slice_eq(argv[i], "libraryname") && !pattern.p) {
            if (i + 1 >= argc) {
                srv_reply_error(&c->out, "ERR library name argument was not given");
                return;
            }
            pattern = argv[++i];
        } else {
            srv_reply_errorf(&c->out, "ERR Unknown argument %.*s", (int)argv[i].n, argv[i].p);
            return;
        }
    }
    srv_function_list(c, pattern, with_code);
}

static void function_load(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool replace = false;
    int i = 2;
    for (; i < argc - 1; i++) {
        if (!srv_slice_eq(argv[i], "replace")) {
            srv_reply_errorf(&c->out, "ERR Unknown option given: %.*s", (int)argv[i].n, argv[i].p);
            return;
        }
        replace = true;
    }
    if (i >= argc) {
        srv_reply_error(&c->out, "ERR Function code is missing");
        return;
    }
    srv_function_load(c, argv[i], replace);
}

static void function_restore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    int policy = 0;
    if (argc == 4) {
        if (srv_slice_eq(argv[3], "append"))
            policy = 0;
        else if (srv_slice_eq(argv[3], "replace"))
            policy = 1;
        else if (srv_slice_eq(argv[3], "flush"))
            policy = 2;
        else {
            srv_reply_error(&c->out, "ERR Wrong restore policy given, value should be either "
                                     "FLUSH, APPEND or REPLACE.");
            return;
        }
    }
    srv_function_restore(c, argv[2], policy);
}

static void cmd_function(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_slice_t sub = argv[1];
    if (srv_slice_eq(sub, "load") && argc >= 3) {
        function_load(c, argc, argv);
    } else if (srv_slice_eq(sub, "delete") && argc == 3) {
        srv_function_delete(c, argv[2]);
    } else if (srv_slice_eq(sub, "flush")) {
        if (argc > 3) {
            reply_sub_syntax(c, sub, "FUNCTION");
            return;
        }
        if (argc == 3 && !srv_slice_eq(argv[2], "sync") && !srv_slice_eq(argv[2], "async")) {
            srv_reply_error(&c->out, "ERR FUNCTION FLUSH only supports SYNC|ASYNC option");
            return;
        }
        srv_function_flush(c);
    } else if (srv_slice_eq(sub, "list")) {
        function_list(c, argc, argv);
    } else if (srv_slice_eq(sub, "dump") && argc == 2) {
        srv_function_dump(c);
    } else if (srv_slice_eq(sub, "restore") && argc > 4) {
        reply_sub_syntax(c, sub, "FUNCTION");
    } else if (srv_slice_eq(sub, "restore") && argc >= 3) {
        function_restore(c, argc, argv);
    } else if (srv_slice_eq(sub, "stats") && argc == 2) {
        srv_function_stats(c);
    } else if (srv_slice_eq(sub, "kill") && argc == 2) {
        srv_script_kill(c, false);
    } else if (srv_slice_eq(sub, "help") && argc == 2) {
        static const char *const help[] = {
            "FUNCTION <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
            "LOAD [REPLACE] <FUNCTION CODE>",
            "DELETE <LIBRARY NAME>",
            "LIST [LIBRARYNAME PATTERN] [WITHCODE]",
            "FLUSH [ASYNC|SYNC]",
            "DUMP",
            "RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
            "STATS",
            "KILL",
            "HELP"};
        reply_help(c, help, sizeof(help) / sizeof(help[0]));
    } else {
        static const char *const subs[] = {"load", "delete", "dump", "restore", "stats", "kill"};
        for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++)
            if (srv_slice_eq(sub, subs[i])) {
                char name[32];
                snprintf(name, sizeof(name), "function|%s", subs[i]);
                srv_reply_arity(c, name);
                return;
            }
        srv_reply_unknown_subcommand(c, sub, "FUNCTION");
    }
}

#define ALL SRV_CMD_ALL_PARTS
static const srv_cmd_t cmds[] = {
    {"eval", -3, SRV_CMD_WRITE | ALL | SRV_CMD_NUMKEYS_2, cmd_eval, 0, 0, 0,
     SRV_ACL_CAT(SCRIPTING)},
    {"eval_ro", -3, SRV_CMD_READONLY | ALL | SRV_CMD_NUMKEYS_2, cmd_eval_ro, 0, 0, 0,
     SRV_ACL_CAT(SCRIPTING)},
    {"evalsha", -3, SRV_CMD_WRITE | ALL | SRV_CMD_NUMKEYS_2, cmd_evalsha, 0, 0, 0,
     SRV_ACL_CAT(SCRIPTING)},
    {"evalsha_ro", -3, SRV_CMD_READONLY | ALL | SRV_CMD_NUMKEYS_2, cmd_evalsha_ro, 0, 0, 0,
     SRV_ACL_CAT(SCRIPTING)},
    {"fcall", -3, SRV_CMD_WRITE | ALL | SRV_CMD_NUMKEYS_2, cmd_fcall, 0, 0, 0,
     SRV_ACL_CAT(SCRIPTING)},
    {"fcall_ro", -3, SRV_CMD_READONLY | ALL | SRV_CMD_NUMKEYS_2, cmd_fcall_ro, 0, 0, 0,
     SRV_ACL_CAT(SCRIPTING)},
    {"function", -2, ALL | SRV_CMD_SUBCOMMANDS, cmd_function, 0, 0, 0, SRV_ACL_CAT(SCRIPTING)},
    {"script", -2, ALL | SRV_CMD_SUBCOMMANDS, cmd_script, 0, 0, 0, SRV_ACL_CAT(SCRIPTING)},
};

const srv_cmd_family_t srv_cmds_script = {cmds, sizeof(cmds) / sizeof(cmds[0])};
