/*
 * src/server/cmd_util.c: what every command family shares: argument parsing, the sink that
 * copies store values into the reply buffer, and the mapping from store status to the error
 * Redis clients expect.
 *
 * Invariant: the sink runs under a store partition lock, so it only appends to the client's
 * private reply buffer and never calls back into the store.
 */
#include "srv_cmd.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

bool srv_slice_to_ll(fl_slice_t s, long long *out)
{
    return srv_str_to_ll(s.p, s.n, out);
}

bool srv_slice_eq(fl_slice_t s, const char *word)
{
    size_t n = strlen(word);
    return s.n == n && strncasecmp(s.p, word, n) == 0;
}

bool srv_parse_cursor(fl_slice_t a, unsigned long long *cursor)
{
    char tmp[32];
    if (a.n >= sizeof(tmp))
        return false;
    memcpy(tmp, a.p, a.n);
    tmp[a.n] = '\0';
    if (isspace((unsigned char)tmp[0]))
        return false;
    char *end;
    errno = 0;
    *cursor = strtoull(tmp, &end, 10);
    return errno != ERANGE && *end == '\0';
}

bool srv_arg_ll(srv_client_t *c, fl_slice_t arg, long long *out)
{
    if (srv_slice_to_ll(arg, out))
        return true;
    srv_reply_error(&c->out, "ERR value is not an integer or out of range");
    return false;
}

void srv_reply_arity(srv_client_t *c, const char *name)
{
    srv_reply_errorf(&c->out, "ERR wrong number of arguments for '%s' command", name);
}

void srv_reply_unknown_subcommand(srv_client_t *c, fl_slice_t sub, const char *cmd)
{
    int n = sub.n < 128 ? (int)sub.n : 128;
    srv_reply_errorf(&c->out, "ERR unknown subcommand '%.*s'. Try %s HELP.", n, sub.p, cmd);
}

void srv_reply_syntax(srv_client_t *c)
{
    srv_reply_error(&c->out, "ERR syntax error");
}

void srv_reply_status(srv_client_t *c, int status)
{
    switch (status) {
    case FL_EWRONGTYPE:
        srv_reply_error(&c->out,
                        "WRONGTYPE Operation against a key holding the wrong kind of value");
        return;
    case FL_ENOTINT:
        srv_reply_error(&c->out, "ERR value is not an integer or out of range");
        return;
    case FL_EOVERFLOW:
        srv_reply_error(&c->out, "ERR increment or decrement would overflow");
        return;
    case FL_EOOM: {
        char msg[256];
        fl_ns_oom_message(c->ns, msg, sizeof(msg));
        srv_reply_error(&c->out, msg);
        return;
    }
    default: {
        const char *msg = fl_status_str(status);
        /* Store messages start with an error code word (ERR, OOM, ...); add ERR if not. */
        if (msg[0] >= 'A' && msg[0] <= 'Z' && strchr(msg, ' ') &&
            strspn(msg, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == (size_t)(strchr(msg, ' ') - msg))
            srv_reply_error(&c->out, msg);
        else
            srv_reply_errorf(&c->out, "ERR %s", msg);
    }
    }
}

bool srv_sink_done(srv_client_t *c, size_t mark, int status)
{
    if (status == FL_OK)
        return true;
    if (c->out.len > mark)
        c->out.len = mark;
    srv_reply_status(c, status);
    return false;
}

static void sink_bulk(void *ctx, const char *p, size_t n)
{
    srv_reply_bulk(&((srv_client_t *)ctx)->out, p, n);
}

static void sink_bulk2(void *ctx, const char *p, size_t n, const char *q, size_t m)
{
    srv_reply_bulk2(&((srv_client_t *)ctx)->out, p, n, q, m);
}

static char *sink_bulk_fill(void *ctx, size_t n)
{
    return srv_reply_bulk_fill(&((srv_client_t *)ctx)->out, n);
}

static void sink_nil(void *ctx)
{
    srv_reply_nil(&((srv_client_t *)ctx)->out);
}

static void sink_array(void *ctx, size_t n)
{
    srv_reply_array(&((srv_client_t *)ctx)->out, n);
}

void srv_sink_init(fl_sink_t *sink, srv_client_t *c)
{
    sink->ctx = c;
    sink->bulk = sink_bulk;
    sink->nil = sink_nil;
    sink->array = sink_array;
    sink->bulk2 = sink_bulk2;
    sink->bulk_fill = sink_bulk_fill;
}

char *srv_lower(char *s)
{
    for (char *p = s; *p; p++)
        *p = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
    return s;
}

static void buf_bulk(void *ctx, const char *p, size_t n)
{
    srv_reply_bulk(ctx, p, n);
}

static void buf_bulk2(void *ctx, const char *p, size_t n, const char *q, size_t m)
{
    srv_reply_bulk2(ctx, p, n, q, m);
}

static char *buf_bulk_fill(void *ctx, size_t n)
{
    return srv_reply_bulk_fill(ctx, n);
}

static void buf_nil(void *ctx)
{
    srv_reply_nil(ctx);
}

static void buf_array(void *ctx, size_t n)
{
    srv_reply_array(ctx, n);
}

void srv_sink_init_buf(fl_sink_t *sink, srv_buf_t *b)
{
    sink->ctx = b;
    sink->bulk = buf_bulk;
    sink->nil = buf_nil;
    sink->array = buf_array;
    sink->bulk2 = buf_bulk2;
    sink->bulk_fill = buf_bulk_fill;
}

/* ---- Shaped sinks (srv_sink_as) ------------------------------------------------------------ */

static bool shape_pairs(srv_shape_t shape)
{
    return shape == SRV_SHAPE_PAIRS || shape == SRV_SHAPE_SCORED_PAIRS;
}

static void shaped_array(void *ctx, size_t n)
{
    srv_sink_t *s = ctx;
    bool first = !s->headed;
    s->headed = true;
    if (first && s->shape == SRV_SHAPE_MAP)
        srv_reply_map(s->out, n / 2);
    else if (first && s->shape == SRV_SHAPE_SET)
        srv_reply_set(s->out, n);
    else if (first && shape_pairs(s->shape))
        srv_reply_pairs(s->out, n / 2);
    else
        srv_reply_array(s->out, n);
}

static void shaped_bulk(void *ctx, const char *p, size_t n)
{
    srv_sink_t *s = ctx;
    size_t i = s->values++;
    if (shape_pairs(s->shape) && i % 2 == 0)
        srv_reply_pair(s->out);
    bool score =
        s->shape == SRV_SHAPE_SCORES ||
        ((s->shape == SRV_SHAPE_MEMBER_SCORE || s->shape == SRV_SHAPE_SCORED_PAIRS) && i % 2 == 1);
    char text[64];
    if (!score || n >= sizeof(text)) {
        srv_reply_bulk(s->out, p, n);
        return;
    }
    /* The store prints scores as %.17g (fl_fmt_score, "inf", "-inf"): read back exactly. */
    memcpy(text, p, n);
    text[n] = '\0';
    srv_reply_double(s->out, strtod(text, NULL));
}

/* A string value in two spans: never a score (scores are short), so as it is. */
static void shaped_bulk2(void *ctx, const char *p, size_t n, const char *q, size_t m)
{
    srv_sink_t *s = ctx;
    size_t i = s->values++;
    if (shape_pairs(s->shape) && i % 2 == 0)
        srv_reply_pair(s->out);
    srv_reply_bulk2(s->out, p, n, q, m);
}

static void shaped_nil(void *ctx)
{
    srv_sink_t *s = ctx;
    s->values++;
    srv_reply_nil(s->out);
}

const fl_sink_t *srv_sink_as(srv_sink_t *s, srv_buf_t *out, srv_shape_t shape)
{
    *s = (srv_sink_t){.out = out, .shape = shape};
    if (!srv_buf_resp3(out) || shape == SRV_SHAPE_ARRAY) {
        srv_sink_init_buf(&s->sink, out); /* RESP2's forms are the store's own stream */
        return &s->sink;
    }
    s->sink = (fl_sink_t){.ctx = s,
                          .bulk = shaped_bulk,
                          .nil = shaped_nil,
                          .array = shaped_array,
                          .bulk2 = shaped_bulk2};
    return &s->sink;
}

bool srv_parse_member_scan(srv_client_t *c, int argc, const fl_slice_t *argv, srv_scan_args_t *a)
{
    a->match = NULL;
    a->count = 10;
    if (!srv_parse_cursor(argv[2], &a->cursor)) {
        srv_reply_error(&c->out, "ERR invalid cursor");
        return false;
    }
    for (int i = 3; i < argc; i += 2) {
        if (i + 1 >= argc) {
            srv_reply_syntax(c);
            return false;
        }
        if (srv_slice_eq(argv[i], "match")) {
            a->match = &argv[i + 1];
        } else if (srv_slice_eq(argv[i], "count")) {
            if (!srv_arg_ll(c, argv[i + 1], &a->count))
                return false;
            if (a->count < 1) {
                srv_reply_syntax(c);
                return false;
            }
        } else {
            srv_reply_syntax(c);
            return false;
        }
    }
    return true;
}

/* SSCAN/ZSCAN's members, copied out of the store's callback as RESP bulks: the reply's cursor
 * comes before them. */
typedef struct member_list {
    srv_buf_t buf;
    size_t count;
} member_list_t;

static void collect_member(void *ctx, const char *p, size_t n)
{
    member_list_t *l = ctx;
    srv_reply_bulk(&l->buf, p, n);
    l->count++;
}

void srv_cmd_member_scan(srv_client_t *c, int argc, const fl_slice_t *argv,
                         srv_member_scan_fn *scan)
{
    srv_scan_args_t a;
    if (!srv_parse_member_scan(c, argc, argv, &a))
        return;
    member_list_t l = {{0}, 0};
    uint64_t next = 0;
    int st = scan(c->ns, argv[1], a.cursor, a.match ? a.match->p : NULL, a.match ? a.match->n : 0,
                  (size_t)a.count, collect_member, &l, &next);
    if (l.buf.failed) {
        c->out.failed = true;
    } else if (srv_sink_done(c, c->out.len, st)) {
        srv_reply_array(&c->out, 2);
        srv_reply_bulk_fmt(&c->out, "%llu", (unsigned long long)next);
        srv_reply_array(&c->out, l.count);
        srv_reply_raw(&c->out, l.buf.p, l.buf.len);
    }
    srv_buf_free(&l.buf);
}

void srv_cmd_route(srv_client_t *c, int argc, const fl_slice_t *argv,
                   const srv_subcmd_route_t *subs, size_t n, const char *upper)
{
    size_t s = 0;
    while (s < n && !srv_slice_eq(argv[1], subs[s].name))
        s++;
    if (s == n) {
        srv_reply_unknown_subcommand(c, argv[1], upper);
        return;
    }
    int a = subs[s].arity;
    if ((a > 0 && argc != a) || (a < 0 && argc < -a)) {
        srv_reply_arity(c, subs[s].fullname);
        return;
    }
    c->last_cmd = subs[s].fullname;
    subs[s].fn(c, argc, argv);
}

bool srv_replied_none(const srv_client_t *c, size_t mark)
{
    static const char *const none[] = {"_\r\n", "$-1\r\n", "*-1\r\n", "*0\r\n", "~0\r\n"};
    const char *p = c->out.p + mark;
    size_t len = c->out.len - mark;
    for (size_t i = 0; i < sizeof(none) / sizeof(none[0]); i++)
        if (len == strlen(none[i]) && memcmp(p, none[i], len) == 0)
            return true;
    return false;
}
