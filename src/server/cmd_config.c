/*
 * src/server/cmd_config.c: the CONFIG command (GET, SET, RESETSTAT, REWRITE, HELP) with Redis
 * 7.0's replies and errors.
 *
 * GET answers each name once however many patterns match it; SET changes several options at
 * once, all or none (srv_config_set_runtime); RESETSTAT zeroes every worker's counters on that
 * worker (a fan-out), then replies; REWRITE writes the running configuration back into the
 * file the server started from (config_rewrite.c). GET, SET and REWRITE hold the configuration
 * lock while they read or write srv->cfg.
 */
#include "srv_cmd.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* CONFIG GET's reply under construction; `names` holds every name given so far, each followed
 * by '\n', so that overlapping patterns return each name once (as Redis). */
typedef struct config_pairs {
    srv_buf_t buf;
    srv_buf_t names;
    size_t n;
} config_pairs_t;

static bool config_seen(const srv_buf_t *names, const char *name)
{
    size_t n = strlen(name);
    for (size_t at = 0; at < names->len;) {
        const char *nl = memchr(names->p + at, '\n', names->len - at);
        size_t len = (size_t)(nl - (names->p + at));
        if (len == n && memcmp(names->p + at, name, n) == 0)
            return true;
        at += len + 1;
    }
    return false;
}

static void config_pair(void *ctx, const char *name, const char *value)
{
    config_pairs_t *p = ctx;
    if (config_seen(&p->names, name))
        return;
    srv_reply_raw(&p->names, name, strlen(name));
    srv_reply_raw(&p->names, "\n", 1);
    srv_reply_bulk_str(&p->buf, name);
    srv_reply_bulk_str(&p->buf, value);
    p->n += 2;
}

static void config_get(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    config_pairs_t pairs = {{0}, {0}, 0};
    srv_config_lock();
    for (int i = 2; i < argc; i++)
        srv_config_each(&c->srv->cfg, argv[i].p, argv[i].n, config_pair, &pairs);
    srv_config_unlock();
    srv_reply_map(&c->out, pairs.n / 2);
    srv_reply_raw(&c->out, pairs.buf.p, pairs.buf.len);
    if (pairs.buf.failed || pairs.names.failed)
        c->out.failed = true;
    srv_buf_free(&pairs.buf);
    srv_buf_free(&pairs.names);
}

static void config_set(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if ((argc - 2) % 2 != 0) {
        srv_reply_syntax(c);
        return;
    }
    size_t n = (size_t)(argc - 2) / 2;
    char *text[2 * SRV_CONFIG_SET_MAX] = {0};
    const char *names[SRV_CONFIG_SET_MAX] = {0}, *values[SRV_CONFIG_SET_MAX] = {0};
    char err[320] = "";
    size_t culprit = 0;
    int rc = SRV_CONFIG_SET_FAILED;
    if (n > SRV_CONFIG_SET_MAX) {
        snprintf(err, sizeof(err), "too many parameters");
        goto reply;
    }
    for (size_t i = 0; i < 2 * n; i++) {
        text[i] = strndup(argv[2 + i].p, argv[2 + i].n);
        if (!text[i]) {
            snprintf(err, sizeof(err), "out of memory");
            goto reply;
        }
    }
    for (size_t i = 0; i < n; i++) {
        names[i] = text[2 * i];
        values[i] = text[2 * i + 1];
    }
    rc = srv_config_set_runtime(c->srv, n, names, values, err, sizeof(err), &culprit);
reply:
    if (rc == SRV_CONFIG_SET_OK) {
        srv_reply_ok(&c->out);
    } else {
        const char *name = culprit < n && text[2 * culprit] ? text[2 * culprit] : "";
        if (rc == SRV_CONFIG_SET_UNKNOWN)
            srv_reply_errorf(&c->out,
                             "ERR Unknown option or number of arguments for CONFIG SET - '%.64s'",
                             name);
        else
            srv_reply_errorf(&c->out,
                             "ERR CONFIG SET failed (possibly related to argument "
                             "'%.64s') - %s",
                             name, err);
    }
    for (size_t i = 0; i < 2 * n && i < 2 * SRV_CONFIG_SET_MAX; i++)
        free(text[i]);
}

static void resetstat_each(srv_worker_t *w, srv_fanout_t *f)
{
    (void)f;
#define SRV_STATS_ZERO_(field, info_name, doc)                                                     \
    atomic_store_explicit(&w->stats.field, 0, memory_order_relaxed);
    SRV_STATS(SRV_STATS_ZERO_)
#undef SRV_STATS_ZERO_
    srv_cmdstats_reset(w);
}

static void resetstat_done(srv_client_t *c, srv_fanout_t *f)
{
    (void)f;
    srv_reply_ok(&c->out);
}

static void config_resetstat(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    if (!c->worker) { /* in-process: no worker holds counters */
        srv_reply_ok(&c->out);
        return;
    }
    srv_fanout_t *f = srv_fanout_new(c, resetstat_each, resetstat_done);
    if (!f || !srv_fanout_start(c, f))
        c->out.failed = true;
}

static void config_rewrite(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    char err[320];
    srv_config_lock();
    int rc = srv_config_rewrite(c->srv, err, sizeof(err));
    srv_config_unlock();
    if (rc == 0) {
        srv_log(c->srv, SRV_LOG_NOTICE, "CONFIG REWRITE executed with success.");
        srv_reply_ok(&c->out);
    } else {
        srv_log(c->srv, SRV_LOG_WARNING, "CONFIG REWRITE failed: %s", err);
        srv_reply_errorf(&c->out, "ERR %s", err);
    }
}

static const char *const help[] = {
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "REWRITE",
    "    Rewrite the configuration file.",
    "HELP",
    "    Prints this help.",
};

static void config_help(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_reply_array(&c->out, sizeof(help) / sizeof(help[0]));
    for (size_t i = 0; i < sizeof(help) / sizeof(help[0]); i++)
        srv_reply_simple(&c->out, help[i]);
}

/* The subcommands, each with Redis's full name and arity (command name included). */
static const srv_subcmd_route_t subs[] = {
    {"get", "config|get", -3, config_get},
    {"set", "config|set", -4, config_set},
    {"resetstat", "config|resetstat", 2, config_resetstat},
    {"rewrite", "config|rewrite", 2, config_rewrite},
    {"help", "config|help", 2, config_help},
};

static void cmd_config(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_cmd_route(c, argc, argv, subs, sizeof(subs) / sizeof(subs[0]), "CONFIG");
}

static const srv_cmd_t cmds[] = {
    {"config", -2, SRV_CMD_ADMIN | SRV_CMD_SUBCOMMANDS, cmd_config, 0, 0, 0, 0},
};
const srv_cmd_family_t srv_cmds_config = {cmds, sizeof(cmds) / sizeof(cmds[0])};
