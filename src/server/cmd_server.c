/*
 * src/server/cmd_server.c: connection and server commands (PING, ECHO, SELECT, QUIT, RESET,
 * INFO, HELLO, SHUTDOWN, TIME, ROLE).
 *
 * Invariants: replies match what redis-cli, redis-benchmark and hiredis expect from Redis
 * 7.0; nothing here changes stored data; SHUTDOWN only asks the
 * main thread to stop (srv->request_shutdown), it never tears anything down itself.
 */
#include "srv_cmd.h"
#include "multi.h"
#include "pubsub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static void cmd_ping(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (argc > 2) {
        srv_reply_arity(c, "ping");
    } else if (srv_pubsub_count(c) > 0 && srv_client_proto(c) == SRV_RESP2) {
        /* subscribed mode (RESP2): ["pong", arg or ""] */
        srv_reply_array(&c->out, 2);
        srv_reply_bulk_str(&c->out, "pong");
        srv_reply_bulk(&c->out, argc == 2 ? argv[1].p : "", argc == 2 ? argv[1].n : 0);
    } else if (argc == 2) {
        srv_reply_bulk(&c->out, argv[1].p, argv[1].n);
    } else {
        srv_reply_simple(&c->out, "PONG");
    }
}

static void cmd_echo(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_reply_bulk(&c->out, argv[1].p, argv[1].n);
}

static void cmd_select(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long idx;
    fl_ns_t *ns;
    if (srv_slice_to_ll(argv[1], &idx)) {
        ns = idx >= 0 ? fl_store_ns(c->srv->store, (size_t)idx) : NULL;
        if (!ns) {
            srv_reply_error(&c->out, "ERR DB index is out of range");
            return;
        }
    } else {
        ns = fl_store_ns_find(c->srv->store, argv[1].p, argv[1].n);
        if (!ns) {
            int n = argv[1].n < 64 ? (int)argv[1].n : 64;
            srv_reply_errorf(&c->out, "ERR no such namespace '%.*s'", n, argv[1].p);
            return;
        }
        size_t count = fl_store_ns_count(c->srv->store);
        for (idx = 0; (size_t)idx < count; idx++)
            if (fl_store_ns(c->srv->store, (size_t)idx) == ns)
                break;
    }
    c->ns = ns;
    c->ns_index = (size_t)idx;
    srv_reply_ok(&c->out);
}

static void cmd_quit(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_reply_ok(&c->out);
    c->flags |= SRV_CLOSE_AFTER_REPLY;
}

/* RESET: the connection as it was when it connected, as Redis 7.0's clearClientConnectionState
 * leaves it: out of MONITOR, MULTI (queue and watches dropped) and every subscription (without
 * confirmations), namespace 0, RESP2, the default user (authenticated only when that user needs
 * no password), no name, replies on. CLIENT NO-EVICT stays, as in Redis. */
static void cmd_reset(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_monitor_detach(c);
    srv_multi_discard(c);
    srv_pubsub_free(c);
    c->ns = fl_store_ns(c->srv->store, 0);
    c->ns_index = 0;
    c->out.proto = SRV_RESP2;
    if (c->srv->acl) {
        srv_acl_session_release(&c->acl);
        srv_acl_session_init(c->srv->acl, &c->acl);
    }
    free(c->name);
    c->name = NULL;
    c->reply_mode = SRV_REPLY_ON;
    srv_reply_simple(&c->out, "RESET");
}

static void cmd_info(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_buf_t text = {0};
    srv_info_build(c->srv, &text, argc - 1, argv + 1);
    if (text.failed)
        c->out.failed = true;
    else
        srv_reply_verbatim(&c->out, text.p ? text.p : "", text.len);
    srv_buf_free(&text);
}

static void cmd_hello(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long proto = 0; /* none given: the client keeps its protocol */
    if (argc >= 2 && !srv_slice_to_ll(argv[1], &proto)) {
        srv_reply_error(&c->out, "ERR Protocol version is not an integer or out of range");
        return;
    }
    if (argc >= 2 && proto != SRV_RESP2 && proto != SRV_RESP3) {
        srv_reply_error(&c->out, "NOPROTO unsupported protocol version");
        return;
    }
    for (int i = 2; i < argc; i++) {
        if (srv_slice_eq(argv[i], "auth") && i + 2 < argc && c->srv->acl) {
            if (!srv_client_auth(c, argv[0], argv[i + 1], argv[i + 2]))
                return;
            i += 2;
        } else if (srv_slice_eq(argv[i], "setname") && i + 1 < argc) {
            if (!srv_client_name_valid(argv[i + 1])) {
                srv_reply_error(&c->out, "ERR Client names cannot contain spaces, newlines or "
                                         "special characters.");
                return;
            }
            free(c->name);
            c->name = strndup(argv[i + 1].p, argv[i + 1].n);
            i++;
        } else {
            int n = argv[i].n < 64 ? (int)argv[i].n : 64;
            srv_reply_errorf(&c->out, "ERR Syntax error in HELLO option '%.*s'", n, argv[i].p);
            return;
        }
    }
    if (!srv_client_authenticated(c)) {
        srv_reply_error(&c->out, "NOAUTH HELLO must be called with the client already "
                                 "authenticated, otherwise the HELLO AUTH <user> <pass> option "
                                 "can be used to authenticate the client and select the RESP "
                                 "protocol version at the same time");
        return;
    }
    if (proto)
        c->out.proto = (uint8_t)proto;
    srv_reply_map(&c->out, 7);
    srv_reply_bulk_str(&c->out, "server");
    srv_reply_bulk_str(&c->out, "redis");
    srv_reply_bulk_str(&c->out, "version");
    srv_reply_bulk_str(&c->out, SRV_REDIS_VERSION);
    srv_reply_bulk_str(&c->out, "proto");
    srv_reply_int(&c->out, srv_client_proto(c));
    srv_reply_bulk_str(&c->out, "id");
    srv_reply_int(&c->out, (long long)c->id);
    srv_reply_bulk_str(&c->out, "mode");
    srv_reply_bulk_str(&c->out, "standalone");
    srv_reply_bulk_str(&c->out, "role");
    srv_reply_bulk_str(&c->out, "master");
    srv_reply_bulk_str(&c->out, "modules");
    srv_reply_array(&c->out, 0);
}

static void cmd_shutdown(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    int save = 0; /* by the save rules */
    for (int i = 1; i < argc; i++) {
        if (srv_slice_eq(argv[i], "nosave")) {
            save = -1;
        } else if (srv_slice_eq(argv[i], "save")) {
            save = 1;
        } else if (!srv_slice_eq(argv[i], "now") && !srv_slice_eq(argv[i], "force")) {
            srv_reply_syntax(c);
            return;
        }
    }
    atomic_store(&c->srv->shutdown_save, save); /* the main thread saves (or not) */
    /* As in Redis, a successful SHUTDOWN sends no reply: the connection just closes. */
    c->flags |= SRV_CLOSE_AFTER_REPLY;
    if (c->srv->request_shutdown)
        c->srv->request_shutdown(c->srv);
}

static void cmd_time(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    srv_reply_array(&c->out, 2);
    srv_reply_bulk_fmt(&c->out, "%lld", (long long)tv.tv_sec);
    srv_reply_bulk_fmt(&c->out, "%lld", (long long)tv.tv_usec);
}

/* ROLE: always a master without replicas (flatline does not replicate): "master", the
 * replication offset (0: there is no replication stream), no replicas, as redis-server 7.0
 * answers before any replica ever connected. */
static void cmd_role(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    (void)argv;
    srv_reply_array(&c->out, 3);
    srv_reply_bulk(&c->out, "master", 6);
    srv_reply_int(&c->out, 0);
    srv_reply_array(&c->out, 0);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"echo", 2, SRV_CMD_FAST, cmd_echo, 0, 0, 0, SRV_ACL_CAT(CONNECTION)},
    {"hello", -1, SRV_CMD_FAST | SRV_CMD_NO_AUTH, cmd_hello, 0, 0, 0, SRV_ACL_CAT(CONNECTION)},
    {"info", -1, 0, cmd_info, 0, 0, 0, SRV_ACL_CAT(DANGEROUS)},
    {"ping", -1, SRV_CMD_FAST | SRV_CMD_PUBSUB_OK, cmd_ping, 0, 0, 0, SRV_ACL_CAT(CONNECTION)},
    {"quit", -1, SRV_CMD_FAST | SRV_CMD_NO_AUTH | SRV_CMD_PUBSUB_OK, cmd_quit, 0, 0, 0,
     SRV_ACL_CAT(CONNECTION)},
    {"reset", 1, SRV_CMD_FAST | SRV_CMD_NO_AUTH | SRV_CMD_PUBSUB_OK, cmd_reset, 0, 0, 0,
     SRV_ACL_CAT(CONNECTION)},
    {"role", 1, SRV_CMD_ADMIN | SRV_CMD_FAST, cmd_role, 0, 0, 0, 0},
    {"select", 2, SRV_CMD_FAST, cmd_select, 0, 0, 0, SRV_ACL_CAT(CONNECTION)},
    {"shutdown", -1, SRV_CMD_ADMIN | SRV_CMD_NO_MULTI, cmd_shutdown, 0, 0, 0, 0},
    {"time", 1, SRV_CMD_FAST, cmd_time, 0, 0, 0, 0},
};
const srv_cmd_family_t srv_cmds_server = {cmds, sizeof(cmds) / sizeof(cmds[0])};
