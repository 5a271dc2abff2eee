/*
 * src/server/cmd_debug.c: DEBUG, the part of Redis 7.0's test hooks that flatline's model can
 * honour, with Redis's replies and errors:
 *   OBJECT key                  Redis's line: "Value at:<addr> refcount:.. encoding:..
 *                               serializedlength:<the record's bytes> lru:.. lru_seconds_idle:.."
 *                               and, for lists, ql_nodes (chunks) ... ql_uncompressed_size
 *   DIGEST-VALUE key...         digest.h: equal content, equal digest; zeros for a missing key
 *   DIGEST                      the whole dataset's digest
 *   RELOAD [MERGE|NOFLUSH|NOSAVE]  save the snapshot, empty, load it back (flp_reload)
 *   SLEEP seconds               the calling worker sleeps (Redis's whole server does)
 *   SET-ACTIVE-EXPIRE 0|1       the store's active expiry off/on
 *   SET-DISABLE-DENY-SCRIPTS 0|1  scripts may call DEBUG (script.h)
 *   QUICKLIST-PACKED-THRESHOLD size  list elements this big get a chunk of their own
 *   PROTOCOL type               Redis's sample reply of each RESP3 type (string, integer,
 *                               double, bignum, null, array, set, map, attrib, push, verbatim,
 *                               true, false), in the client's protocol
 * Like Redis, DEBUG is refused unless `enable-debug-command` is yes (or local, for a client on
 * a loopback address or the unix socket). Other subcommands get Redis's unknown-subcommand
 * error.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "digest.h"
#include "persist.h"
#include "script.h"
#include "srv_cmd.h"

/* An argument as a NUL-terminated string (truncated to the buffer). */
static void arg_str(fl_slice_t a, char *buf, size_t len)
{
    size_t n = a.n < len - 1 ? a.n : len - 1;
    memcpy(buf, a.p, n);
    buf[n] = '\0';
}

static void debug_object(srv_client_t *c, fl_slice_t key)
{
    fl_key_object_t o;
    fl_key_object(c->ns, key, FL_LOOKUP_QUIET, &o);
    if (!o.exists && !o.expired) { /* Redis's DEBUG OBJECT sees a key expiry did not delete yet */
        srv_reply_error(&c->out, "ERR no such key");
        return;
    }
    char extra[192] = "";
    fl_coll_limits_t limits;
    fl_store_coll_limits(c->srv->store, &limits);
    if (o.chunks) /* Redis's quicklist fields; chunks are never compressed here */
        snprintf(extra, sizeof(extra),
                 " ql_nodes:%u ql_avg_node:%.2f ql_listpack_max:%lld ql_compressed:0"
                 " ql_uncompressed_size:%zu",
                 o.chunks, (double)o.elements / o.chunks, (long long)limits.list_max_listpack_size,
                 o.bytes);
    char line[512];
    snprintf(line, sizeof(line),
             "Value at:%p refcount:%lld encoding:%s serializedlength:%zu lru:%u "
             "lru_seconds_idle:%llu%s",
             o.addr, (long long)o.refcount, o.encoding, o.bytes, o.lru,
             (unsigned long long)o.idle_s, extra);
    srv_reply_simple(&c->out, line);
}

static void debug_digest_value(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_reply_array(&c->out, (size_t)(argc - 2));
    for (int i = 2; i < argc; i++) {
        unsigned char d[SRV_DIGEST_LEN];
        char hex[2 * SRV_DIGEST_LEN + 1];
        srv_digest_value(c->ns, argv[i], d);
        srv_digest_hex(d, hex);
        srv_reply_simple(&c->out, hex);
    }
}

static void debug_digest(srv_client_t *c)
{
    unsigned char d[SRV_DIGEST_LEN];
    char hex[2 * SRV_DIGEST_LEN + 1];
    srv_digest_dataset(c->srv->store, d);
    srv_digest_hex(d, hex);
    srv_reply_simple(&c->out, hex);
}

static void debug_reload(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool save = true, flush = true;
    for (int i = 2; i < argc; i++) {
        if (srv_slice_eq(argv[i], "nosave")) {
            save = false;
        } else if (srv_slice_eq(argv[i], "noflush")) {
            flush = false;
        } else if (!srv_slice_eq(argv[i], "merge")) { /* loading over existing keys replaces */
            srv_reply_error(
                &c->out, "ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.");
            return;
        }
    }
    if (!c->srv->persist) {
        srv_reply_error(&c->out, "ERR persistence is not available in this process");
        return;
    }
    char err[512];
    if (flp_reload(c->srv->persist, save, flush, err, sizeof(err)) != 0) {
        srv_log(c->srv, SRV_LOG_WARNING, "DEBUG RELOAD failed: %s", err);
        srv_reply_errorf(&c->out, "ERR Error trying to reload the dataset: %s", err);
        return;
    }
    srv_log(c->srv, SRV_LOG_WARNING, "DB reloaded by DEBUG RELOAD");
    srv_reply_ok(&c->out);
}

static void debug_sleep(srv_client_t *c, fl_slice_t arg)
{
    char buf[64];
    arg_str(arg, buf, sizeof(buf));
    double secs = strtod(buf, NULL); /* Redis: whatever strtod makes of it */
    if (secs > 0 && isfinite(secs)) {
        struct timespec ts = {(time_t)secs, (long)((secs - floor(secs)) * 1e9)};
        nanosleep(&ts, NULL);
    }
    srv_reply_ok(&c->out);
}

static void debug_packed_threshold(srv_client_t *c, fl_slice_t arg)
{
    char buf[64];
    unsigned long long bytes;
    arg_str(arg, buf, sizeof(buf));
    if (!srv_parse_mem(buf, &bytes) ||
        fl_store_set_list_packed_threshold(c->srv->store, bytes) != FL_OK) {
        srv_reply_error(&c->out,
                        "ERR argument must be a memory value bigger than 1 and smaller than 4gb");
        return;
    }
    srv_reply_ok(&c->out);
}

static void set_active_expire(srv_client_t *c, bool on)
{
    fl_store_set_active_expire(c->srv->store, on);
}

static void set_debug_in_scripts(srv_client_t *c, bool on)
{
    (void)c;
    srv_script_allow_debug(on);
}

/* SET-ACTIVE-EXPIRE / SET-DISABLE-DENY-SCRIPTS: an integer, nonzero = on. */
static void debug_switch(srv_client_t *c, fl_slice_t arg, void (*set)(srv_client_t *, bool))
{
    long long on;
    if (!srv_arg_ll(c, arg, &on))
        return;
    set(c, on != 0);
    srv_reply_ok(&c->out);
}

static void debug_help(srv_client_t *c)
{
    static const char *const lines[] = {
        "DEBUG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
        "DIGEST",
        "    Output a hex signature representing the current DB content.",
        "DIGEST-VALUE <key> [<key> ...]",
        "    Output a hex signature of the values of all the specified keys.",
        "OBJECT <key>",
        "    Show low level info about the `key` and associated value.",
        "PROTOCOL <type>",
        "    Reply with a test value of the specified type. <type> can be: string,",
        "    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
        "    true, false.",
        "QUICKLIST-PACKED-THRESHOLD <size>",
        "    Sets the threshold for elements to be inserted as plain vs packed nodes",
        "RELOAD [option ...]",
        "    Save the RDB on disk and reload it back to memory. Options: MERGE, NOFLUSH, NOSAVE.",
        "SET-ACTIVE-EXPIRE <0|1>",
        "    Setting it to 0 disables expiring keys in background when they are not accessed.",
        "SET-DISABLE-DENY-SCRIPTS <0|1>",
        "    Enable scripts to call the DEBUG command (the other noscript commands stay denied).",
        "SLEEP <seconds>",
        "    Stop the server for <seconds>. Decimals allowed.",
        "HELP",
        "    Print this help.",
    };
    srv_reply_array(&c->out, sizeof(lines) / sizeof(lines[0]));
    for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        srv_reply_simple(&c->out, lines[i]);
}

/* DEBUG PROTOCOL type: Redis's sample reply of each type, written in c's protocol by the reply
 * functions (a RESP2 client gets each type's RESP2 form; an attribute is left out). */
static void debug_protocol(srv_client_t *c, fl_slice_t type)
{
    srv_buf_t *out = &c->out;
    if (srv_slice_eq(type, "string")) {
        srv_reply_bulk_str(out, "Hello World");
    } else if (srv_slice_eq(type, "integer")) {
        srv_reply_int(out, 12345);
    } else if (srv_slice_eq(type, "double")) {
        srv_reply_double(out, 3.141);
    } else if (srv_slice_eq(type, "bignum")) {
        srv_reply_bignum(out, "1234567999999999999999999999999999999", 37);
    } else if (srv_slice_eq(type, "null")) {
        srv_reply_nil(out);
    } else if (srv_slice_eq(type, "array") || srv_slice_eq(type, "set")) {
        if (srv_slice_eq(type, "set"))
            srv_reply_set(out, 3);
        else
            srv_reply_array(out, 3);
        for (int j = 0; j < 3; j++)
            srv_reply_int(out, j);
    } else if (srv_slice_eq(type, "map")) {
        srv_reply_map(out, 3);
        for (int j = 0; j < 3; j++) {
            srv_reply_int(out, j);
            srv_reply_bool(out, j == 1);
        }
    } else if (srv_slice_eq(type, "attrib")) {
        if (srv_reply_attribute(out, 1)) {
            srv_reply_bulk_str(out, "key-popularity");
            srv_reply_array(out, 2);
            srv_reply_bulk_str(out, "key:123");
            srv_reply_int(out, 90);
        }
        srv_reply_bulk_str(out, "Some real reply following the attribute");
    } else if (srv_slice_eq(type, "push")) {
        if (srv_client_proto(c) != SRV_RESP3) { /* a push has no RESP2 form to stand in */
            srv_reply_error(out, "ERR RESP2 is not supported by this command");
            return;
        }
        srv_reply_push(out, 2);
        srv_reply_bulk_str(out, "server-cpu-usage");
        srv_reply_int(out, 42);
        srv_reply_bulk_str(out, "Some real reply following the push reply");
    } else if (srv_slice_eq(type, "true") || srv_slice_eq(type, "false")) {
        srv_reply_bool(out, srv_slice_eq(type, "true"));
    } else if (srv_slice_eq(type, "verbatim")) {
        srv_reply_verbatim(out, "This is a verbatim\nstring", 25);
    } else {
        srv_reply_error(out, "ERR Wrong protocol type name. Please use one of the following: "
                             "string|integer|double|bignum|null|array|set|map|attrib|push|"
                             "verbatim|true|false");
    }
}

/* Redis's enable-debug-command: no, yes, or local (a client on loopback or the unix socket;
 * a script's in-process client counts as local: only a client DEBUG allowed can have let
 * scripts call it, with SET-DISABLE-DENY-SCRIPTS). */
static bool debug_allowed(const srv_client_t *c)
{
    int mode = c->srv->cfg.enable_debug_command; /* immutable once the server runs */
    bool local = c->conn.local || !c->worker;
    return mode == SRV_DEBUG_YES || (mode == SRV_DEBUG_LOCAL && local);
}

static void cmd_debug(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (!debug_allowed(c)) {
        srv_reply_error(&c->out,
                        "ERR DEBUG command not allowed. If the enable-debug-command option is set "
                        "to \"local\", you can run it from a local connection, otherwise you need "
                        "to set this option in the configuration file, and then restart the "
                        "server.");
        return;
    }
    fl_slice_t sub = argv[1];
    if (srv_slice_eq(sub, "help") && argc == 2)
        debug_help(c);
    else if (srv_slice_eq(sub, "object") && argc == 3)
        debug_object(c, argv[2]);
    else if (srv_slice_eq(sub, "digest-value"))
        debug_digest_value(c, argc, argv);
    else if (srv_slice_eq(sub, "digest") && argc == 2)
        debug_digest(c);
    else if (srv_slice_eq(sub, "reload"))
        debug_reload(c, argc, argv);
    else if (srv_slice_eq(sub, "protocol") && argc == 3)
        debug_protocol(c, argv[2]);
    else if (srv_slice_eq(sub, "sleep") && argc == 3)
        debug_sleep(c, argv[2]);
    else if (srv_slice_eq(sub, "quicklist-packed-threshold") && argc == 3)
        debug_packed_threshold(c, argv[2]);
    else if (srv_slice_eq(sub, "set-active-expire") && argc == 3)
        debug_switch(c, argv[2], set_active_expire);
    else if (srv_slice_eq(sub, "set-disable-deny-scripts") && argc == 3)
        debug_switch(c, argv[2], set_debug_in_scripts);
    else
        srv_reply_unknown_subcommand(c, sub, "DEBUG");
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"debug", -2, SRV_CMD_ADMIN, cmd_debug, 0, 0, 0, SRV_ACL_CAT(ADMIN) | SRV_ACL_CAT(DANGEROUS)},
};
const srv_cmd_family_t srv_cmds_debug = {cmds, sizeof(cmds) / sizeof(cmds[0])};
