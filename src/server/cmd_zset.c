/*
 * src/server/cmd_zset.c: sorted-set commands (ZADD ... ZSCAN, the blocking BZPOPMIN/BZPOPMAX/
 * BZMPOP through block.c) on the store's sorted sets (flatline/collections.h).
 *
 * Invariants: each handler appends exactly one reply (or blocks the client: one reply later);
 * arguments are parsed in Redis 7.0's order with its wording, before the store is called;
 * scores print as Redis prints doubles (fl_fmt_score); a write that may create a sorted set
 * signals its key for the clients blocked on it.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "flatline/collections.h"
#include "notify.h"
#include "srv_cmd.h"

/* Redis's string2d: strtod over the whole argument, no leading space, no NaN, no overflow
 * ("inf" and "-inf" are fine). */
static bool parse_double(fl_slice_t a, double *out)
{
    char buf[5 * 1024]; /* Redis: MAX_LONG_DOUBLE_CHARS */
    if (a.n == 0 || a.n >= sizeof(buf) || a.p[0] == ' ' || (a.p[0] >= '\t' && a.p[0] <= '\r'))
        return false;
    memcpy(buf, a.p, a.n);
    buf[a.n] = '\0';
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (*end != '\0' || isnan(v) ||
        (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL || v == 0)))
        return false;
    *out = v;
    return true;
}

static bool arg_double(srv_client_t *c, fl_slice_t a, double *out, const char *msg)
{
    if (parse_double(a, out))
        return true;
    srv_reply_error(&c->out, msg ? msg : "ERR value is not a valid float");
    return false;
}

/* ---- ZADD, ZINCRBY, ZREM, ZCARD, ZSCORE, ZMSCORE, ZRANK ------------------------------------- */

static void zadd_generic(srv_client_t *c, int argc, const fl_slice_t *argv, unsigned flags)
{
    bool ch = false;
    int at = 2;
    for (; at < argc; at++) {
        if (srv_slice_eq(argv[at], "nx"))
            flags |= FL_ZADD_NX;
        else if (srv_slice_eq(argv[at], "xx"))
            flags |= FL_ZADD_XX;
        else if (srv_slice_eq(argv[at], "ch"))
            ch = true;
        else if (srv_slice_eq(argv[at], "incr"))
            flags |= FL_ZADD_INCR;
        else if (srv_slice_eq(argv[at], "gt"))
            flags |= FL_ZADD_GT;
        else if (srv_slice_eq(argv[at], "lt"))
            flags |= FL_ZADD_LT;
        else
            break;
    }
    int elements = argc - at;
    if (elements % 2 || !elements) {
        srv_reply_syntax(c);
        return;
    }
    size_t n = (size_t)elements / 2;
    if ((flags & FL_ZADD_NX) && (flags & FL_ZADD_XX)) {
        srv_reply_error(&c->out, "ERR XX and NX options at the same time are not compatible");
        return;
    }
    if (((flags & FL_ZADD_GT) && (flags & FL_ZADD_NX)) ||
        ((flags & FL_ZADD_LT) && (flags & FL_ZADD_NX)) ||
        ((flags & FL_ZADD_GT) && (flags & FL_ZADD_LT))) {
        srv_reply_error(&c->out,
                        "ERR GT, LT, and/or NX options at the same time are not compatible");
        return;
    }
    if ((flags & FL_ZADD_INCR) && n > 1) {
        srv_reply_error(&c->out, "ERR INCR option supports a single increment-element pair");
        return;
    }
    double *scores = malloc(n * sizeof(*scores));
    fl_slice_t *members = malloc(n * sizeof(*members));
    if (!scores || !members) {
        c->out.failed = true;
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        if (!arg_double(c, argv[at + 2 * (int)i], &scores[i], NULL))
            goto out;
        members[i] = argv[at + 2 * (int)i + 1];
    }
    size_t added = 0, changed = 0;
    double score = 0;
    bool done = false;
    int st =
        fl_zset_add(c->ns, argv[1], flags, scores, members, n, &added, &changed, &score, &done);
    if (st == FL_EINVAL)
        srv_reply_error(&c->out, "ERR resulting score is not a number (NaN)");
    else if (!srv_sink_done(c, c->out.len, st))
        goto out;
    else if (!(flags & FL_ZADD_INCR))
        srv_reply_int(&c->out, (long long)(ch ? added + changed : added));
    else if (done)
        srv_reply_double(&c->out, score);
    else
        srv_reply_nil(&c->out);
    if (st == FL_OK && (added || changed))
        srv_notify(c, SRV_NOTIFY_ZSET, (flags & FL_ZADD_INCR) ? "zincr" : "zadd", argv[1]);
    if (added)
        srv_block_signal(c->ns, argv[1]);
out:
    free(scores);
    free(members);
}

static void cmd_zadd(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    zadd_generic(c, argc, argv, 0);
}

static void cmd_zincrby(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    double incr;
    if (!arg_double(c, argv[2], &incr, NULL))
        return;
    size_t added = 0, changed = 0;
    double score = 0;
    bool done = false;
    int st = fl_zset_add(c->ns, argv[1], FL_ZADD_INCR, &incr, &argv[3], 1, &added, &changed, &score,
                         &done);
    if (st == FL_EINVAL)
        srv_reply_error(&c->out, "ERR resulting score is not a number (NaN)");
    else if (srv_sink_done(c, c->out.len, st))
        srv_reply_double(&c->out, score);
    if (st == FL_OK && (added || changed))
        srv_notify(c, SRV_NOTIFY_ZSET, "zincr", argv[1]);
    if (added)
        srv_block_signal(c->ns, argv[1]);
}

static void cmd_zrem(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t removed = 0;
    srv_notify_begin();
    if (!srv_sink_done(c, c->out.len,
                       fl_zset_rem(c->ns, argv[1], argv + 2, (size_t)argc - 2, &removed)))
        return;
    srv_reply_int(&c->out, (long long)removed);
    if (removed) {
        srv_notify(c, SRV_NOTIFY_ZSET, "zrem", argv[1]);
        srv_notify_del_if_gone(c, argv[1]);
    }
}

static void cmd_zcard(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    size_t card = 0;
    if (srv_sink_done(c, c->out.len, fl_zset_card(c->ns, argv[1], &card)))
        srv_reply_int(&c->out, (long long)card);
}

static void cmd_zscore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    srv_sink_t sink;
    size_t mark = c->out.len;
    srv_sink_done(c, mark,
                  fl_zset_score(c->ns, argv[1], argv + 2, 1, false,
                                srv_sink_as(&sink, &c->out, SRV_SHAPE_SCORES)));
}

static void cmd_zmscore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_sink_t sink;
    size_t mark = c->out.len;
    srv_sink_done(c, mark,
                  fl_zset_score(c->ns, argv[1], argv + 2, (size_t)argc - 2, true,
                                srv_sink_as(&sink, &c->out, SRV_SHAPE_SCORES)));
}

static void rank_generic(srv_client_t *c, const fl_slice_t *argv, bool rev)
{
    bool found = false;
    uint64_t rank = 0;
    if (!srv_sink_done(c, c->out.len, fl_zset_rank(c->ns, argv[1], argv[2], rev, &found, &rank)))
        return;
    if (found)
        srv_reply_int(&c->out, (long long)rank);
    else
        srv_reply_nil(&c->out);
}

static void cmd_zrank(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    rank_generic(c, argv, false);
}
static void cmd_zrevrank(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    rank_generic(c, argv, true);
}

/* ---- Ranges ---------------------------------------------------------------------------------- */

/* zslParseRange: "(x" exclusive, strtod over the rest, no NaN. */
static bool parse_score_bound(fl_slice_t a, fl_zbound_t *b)
{
    memset(b, 0, sizeof(*b));
    if (a.n && a.p[0] == '(') {
        b->excl = true;
        a.p++;
        a.n--;
    }
    char buf[5 * 1024]; /* Redis: MAX_LONG_DOUBLE_CHARS */
    if (a.n >= sizeof(buf))
        return false;
    memcpy(buf, a.p, a.n);
    buf[a.n] = '\0';
    char *end;
    b->score = strtod(buf, &end);
    return *end == '\0' && !isnan(b->score) && a.n > 0;
}

/* zslParseLexRange items: "-", "+", "[x", "(x". */
static bool parse_lex_bound(fl_slice_t a, fl_zbound_t *b)
{
    memset(b, 0, sizeof(*b));
    if (a.n == 1 && a.p[0] == '-')
        b->inf = -1;
    else if (a.n == 1 && a.p[0] == '+')
        b->inf = 1;
    else if (a.n >= 1 && (a.p[0] == '[' || a.p[0] == '(')) {
        b->excl = a.p[0] == '(';
        b->lex = (fl_slice_t){a.p + 1, a.n - 1};
    } else
        return false;
    return true;
}

/* What a range command allows: a fixed kind and direction (the old forms) or ZRANGE's. */
typedef struct range_form {
    fl_zrange_by_t by; /* FL_ZBY_RANK for ZRANGE/ZRANGESTORE: BYSCORE/BYLEX may change it */
    bool fixed;        /* the old forms: no BYSCORE/BYLEX/REV tokens */
    bool rev;
    bool store; /* ZRANGESTORE: no WITHSCORES */
} range_form_t;

/* Parses [src] min max [options] from argv[first] into r; false after replying an error. */
static bool parse_range(srv_client_t *c, int argc, const fl_slice_t *argv, int first,
                        range_form_t f, fl_zrange_t *r)
{
    memset(r, 0, sizeof(*r));
    r->by = f.by;
    r->rev = f.rev;
    r->count = -1;
    bool limit = false;
    bool by_set = false, rev_set = false;
    for (int j = first + 2; j < argc; j++) {
        int left = argc - j - 1;
        if (!f.store && srv_slice_eq(argv[j], "withscores")) {
            r->withscores = true;
        } else if (srv_slice_eq(argv[j], "limit") && left >= 2) {
            long long off, cnt;
            if (!srv_arg_ll(c, argv[j + 1], &off) || !srv_arg_ll(c, argv[j + 2], &cnt))
                return false;
            r->offset = off;
            r->count = cnt;
            limit = true;
            j += 2;
        } else if (!f.fixed && !rev_set && srv_slice_eq(argv[j], "rev")) {
            r->rev = rev_set = true;
        } else if (!f.fixed && !by_set && srv_slice_eq(argv[j], "bylex")) {
            r->by = FL_ZBY_LEX;
            by_set = true;
        } else if (!f.fixed && !by_set && srv_slice_eq(argv[j], "byscore")) {
            r->by = FL_ZBY_SCORE;
            by_set = true;
        } else {
            srv_reply_syntax(c);
            return false;
        }
    }
    if (limit && r->count != -1 && r->by == FL_ZBY_RANK) {
        srv_reply_error(&c->out, "ERR syntax error, LIMIT is only supported in combination "
                                 "with either BYSCORE or BYLEX");
        return false;
    }
    if (r->withscores && r->by == FL_ZBY_LEX) {
        srv_reply_error(&c->out,
                        "ERR syntax error, WITHSCORES not supported in combination with BYLEX");
        return false;
    }
    fl_slice_t lo = argv[first], hi = argv[first + 1];
    if (r->rev && r->by != FL_ZBY_RANK) { /* given as max, min */
        lo = argv[first + 1];
        hi = argv[first];
    }
    if (r->by == FL_ZBY_RANK) {
        long long s, e;
        if (!srv_arg_ll(c, lo, &s) || !srv_arg_ll(c, hi, &e))
            return false;
        r->start = s;
        r->stop = e;
    } else if (r->by == FL_ZBY_SCORE) {
        if (!parse_score_bound(lo, &r->min) || !parse_score_bound(hi, &r->max)) {
            srv_reply_error(&c->out, "ERR min or max is not a float");
            return false;
        }
    } else if (!parse_lex_bound(lo, &r->min) || !parse_lex_bound(hi, &r->max)) {
        srv_reply_error(&c->out, "ERR min or max not valid string range item");
        return false;
    }
    return true;
}

static void range_emit(srv_client_t *c, int argc, const fl_slice_t *argv, range_form_t f)
{
    fl_zrange_t r;
    if (!parse_range(c, argc, argv, 2, f, &r))
        return;
    srv_sink_t sink;
    const fl_sink_t *out =
        srv_sink_as(&sink, &c->out, r.withscores ? SRV_SHAPE_SCORED_PAIRS : SRV_SHAPE_ARRAY);
    size_t mark = c->out.len, n;
    srv_sink_done(c, mark, fl_zset_range(c->ns, argv[1], &r, FL_ZR_EMIT, out, &n));
}

static void cmd_zrange(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    range_emit(c, argc, argv, (range_form_t){FL_ZBY_RANK, false, false, false});
}
static void cmd_zrevrange(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    range_emit(c, argc, argv, (range_form_t){FL_ZBY_RANK, true, true, false});
}
static void cmd_zrangebyscore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    range_emit(c, argc, argv, (range_form_t){FL_ZBY_SCORE, true, false, false});
}
static void cmd_zrevrangebyscore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    range_emit(c, argc, argv, (range_form_t){FL_ZBY_SCORE, true, true, false});
}
static void cmd_zrangebylex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    range_emit(c, argc, argv, (range_form_t){FL_ZBY_LEX, true, false, false});
}
static void cmd_zrevrangebylex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    range_emit(c, argc, argv, (range_form_t){FL_ZBY_LEX, true, true, false});
}

static void cmd_zrangestore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    fl_zrange_t r;
    if (!parse_range(c, argc, argv, 3, (range_form_t){FL_ZBY_RANK, false, false, true}, &r))
        return;
    size_t n = 0;
    srv_notify_begin();
    if (!srv_sink_done(c, c->out.len, fl_zset_range_store(c->ns, argv[1], argv[2], &r, &n)))
        return;
    srv_reply_int(&c->out, (long long)n);
    if (!n) {
        srv_notify_del_if_gone(c, argv[1]);
        return;
    }
    srv_notify(c, SRV_NOTIFY_ZSET, "zrangestore", argv[1]);
    srv_block_signal(c->ns, argv[1]);
}

/* ZCOUNT / ZLEXCOUNT / ZREMRANGEBY...: a min/max (or start/stop) pair and nothing else. */
static void range_count(srv_client_t *c, const fl_slice_t *argv, fl_zrange_by_t by,
                        fl_zrange_mode_t mode)
{
    fl_zrange_t r;
    if (!parse_range(c, 4, argv, 2, (range_form_t){by, true, false, false}, &r))
        return;
    size_t n = 0;
    srv_notify_begin();
    if (!srv_sink_done(c, c->out.len, fl_zset_range(c->ns, argv[1], &r, mode, NULL, &n)))
        return;
    srv_reply_int(&c->out, (long long)n);
    if (mode != FL_ZR_REMOVE || !n)
        return;
    static const char *const events[] = {[FL_ZBY_RANK] = "zremrangebyrank",
                                         [FL_ZBY_SCORE] = "zremrangebyscore",
                                         [FL_ZBY_LEX] = "zremrangebylex"};
    srv_notify(c, SRV_NOTIFY_ZSET, events[by], argv[1]);
    srv_notify_del_if_gone(c, argv[1]);
}

static void cmd_zcount(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    range_count(c, argv, FL_ZBY_SCORE, FL_ZR_COUNT);
}
static void cmd_zlexcount(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    range_count(c, argv, FL_ZBY_LEX, FL_ZR_COUNT);
}
static void cmd_zremrangebyscore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    range_count(c, argv, FL_ZBY_SCORE, FL_ZR_REMOVE);
}
static void cmd_zremrangebyrank(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    range_count(c, argv, FL_ZBY_RANK, FL_ZR_REMOVE);
}
static void cmd_zremrangebylex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    range_count(c, argv, FL_ZBY_LEX, FL_ZR_REMOVE);
}

/* ---- Pops, blocking or not ------------------------------------------------------------------ */

/* The sorted-set pops of block.h: BZPOPMIN/BZPOPMAX ([key member score]) and [B]ZMPOP. */
static bool try_zset_pop(fl_ns_t *ns, const srv_bpop_t *op, srv_buf_t *out)
{
    srv_sink_t sink;
    const fl_sink_t *scored = srv_sink_as(&sink, out, SRV_SHAPE_MEMBER_SCORE);
    bool mpop = op->kind == SRV_BPOP_ZMPOP;
    for (size_t i = 0; i < op->nkeys; i++) {
        size_t mark = out->len, popped = 0;
        srv_reply_array(out, mpop ? 2 : 3);
        srv_reply_bulk(out, op->keys[i].p, op->keys[i].n);
        srv_notify_begin();
        int st = fl_zset_pop(ns, op->keys[i], op->tail, mpop ? op->count : 1, mpop, mpop, scored,
                             &popped);
        if (st == FL_EWRONGTYPE && op->serving) {
            out->len = mark;
            continue;
        }
        if (st != FL_OK) {
            out->len = mark;
            srv_reply_error(out, fl_status_str(st));
            return true;
        }
        if (popped) {
            srv_notify_publish(op->db, SRV_NOTIFY_ZSET, op->tail ? "zpopmax" : "zpopmin",
                               op->keys[i]);
            srv_notify_del_if_gone_in(op->db, op->keys[i]);
            return true;
        }
        out->len = mark;
    }
    return false;
}

static void pop_generic(srv_client_t *c, int argc, const fl_slice_t *argv, bool max)
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
    srv_sink_t sink; /* with a count, the pairs' list; else one flat [member, score] */
    const fl_sink_t *out =
        srv_sink_as(&sink, &c->out, argc == 3 ? SRV_SHAPE_SCORED_PAIRS : SRV_SHAPE_MEMBER_SCORE);
    size_t mark = c->out.len, popped = 0;
    srv_notify_begin();
    if (!srv_sink_done(
            c, mark, fl_zset_pop(c->ns, argv[1], max, (size_t)count, true, false, out, &popped)) ||
        !popped)
        return;
    srv_notify(c, SRV_NOTIFY_ZSET, max ? "zpopmax" : "zpopmin", argv[1]);
    srv_notify_del_if_gone(c, argv[1]);
}

static void cmd_zpopmin(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    pop_generic(c, argc, argv, false);
}
static void cmd_zpopmax(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    pop_generic(c, argc, argv, true);
}

static void bzpop_generic(srv_client_t *c, int argc, const fl_slice_t *argv, bool max)
{
    int64_t deadline;
    if (!srv_block_parse_timeout(c, argv[argc - 1], &deadline))
        return;
    srv_bpop_t op = {.db = c->ns_index,
                     .kind = SRV_BPOP_ZPOP,
                     .try_pop = try_zset_pop,
                     .tail = max,
                     .keys = argv + 1,
                     .nkeys = (size_t)argc - 2};
    srv_block_pop(c, &op, deadline);
}

static void cmd_bzpopmin(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bzpop_generic(c, argc, argv, false);
}
static void cmd_bzpopmax(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bzpop_generic(c, argc, argv, true);
}

/* [B]ZMPOP [timeout] numkeys key... MIN|MAX [COUNT n], from argv[first]. */
static bool parse_zmpop(srv_client_t *c, int argc, const fl_slice_t *argv, int first,
                        srv_bpop_t *op)
{
    long long numkeys;
    if (!srv_slice_to_ll(argv[first], &numkeys) || numkeys < 1) {
        srv_reply_error(&c->out, "ERR numkeys should be greater than 0");
        return false;
    }
    if (numkeys > argc || first + numkeys + 1 >= argc) {
        srv_reply_syntax(c);
        return false;
    }
    int where = first + (int)numkeys + 1;
    *op = (srv_bpop_t){.db = c->ns_index,
                       .kind = SRV_BPOP_ZMPOP,
                       .try_pop = try_zset_pop,
                       .keys = argv + first + 1,
                       .nkeys = (size_t)numkeys,
                       .count = 1};
    if (srv_slice_eq(argv[where], "min"))
        op->tail = false;
    else if (srv_slice_eq(argv[where], "max"))
        op->tail = true;
    else {
        srv_reply_syntax(c);
        return false;
    }
    bool have_count = false;
    for (int j = where + 1; j < argc; j++) {
        long long v;
        if (!have_count && srv_slice_eq(argv[j], "count") && j + 1 < argc) {
            if (!srv_slice_to_ll(argv[++j], &v) || v < 1) {
                srv_reply_error(&c->out, "ERR count should be greater than 0");
                return false;
            }
            op->count = (size_t)v;
            have_count = true;
        } else {
            srv_reply_syntax(c);
            return false;
        }
    }
    return true;
}

static void cmd_zmpop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_bpop_t op;
    if (!parse_zmpop(c, argc, argv, 1, &op))
        return;
    if (!try_zset_pop(c->ns, &op, &c->out))
        srv_reply_null_array(&c->out);
}

static void cmd_bzmpop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    int64_t deadline;
    srv_bpop_t op;
    if (!srv_block_parse_timeout(c, argv[1], &deadline) || !parse_zmpop(c, argc, argv, 2, &op))
        return;
    srv_block_pop(c, &op, deadline);
}

/* ---- ZRANDMEMBER, ZSCAN ------------------------------------------------------------------ */

static void cmd_zrandmember(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long count = 0;
    bool withscores = false;
    if (argc >= 3) {
        if (!srv_arg_ll(c, argv[2], &count))
            return;
        if (count == INT64_MIN) {
            srv_reply_error(&c->out, "ERR value is out of range, value must between "
                                     "-9223372036854775807 and 9223372036854775807");
            return;
        }
        if (argc > 4 || (argc == 4 && !srv_slice_eq(argv[3], "withscores"))) {
            srv_reply_syntax(c);
            return;
        }
        withscores = argc == 4;
        if (withscores && (count < -INT64_MAX / 2 || count > INT64_MAX / 2)) {
            srv_reply_error(&c->out, "ERR value is out of range");
            return;
        }
    }
    srv_sink_t sink;
    const fl_sink_t *out =
        srv_sink_as(&sink, &c->out, withscores ? SRV_SHAPE_SCORED_PAIRS : SRV_SHAPE_ARRAY);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_zset_randmember(c->ns, argv[1], count, argc == 2, withscores, out));
}

static void cmd_zscan(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_cmd_member_scan(c, argc, argv, fl_zset_scan);
}

/* ---- ZUNION, ZINTER, ZDIFF and their STORE forms, ZINTERCARD -------------------------------- */

static void algebra(srv_client_t *c, int argc, const fl_slice_t *argv, fl_zset_op_t op, bool store,
                    bool card_only, const char *name)
{
    int numidx = store ? 2 : 1;
    long long numkeys;
    if (!srv_arg_ll(c, argv[numidx], &numkeys))
        return;
    if (numkeys < 1) {
        srv_reply_errorf(&c->out, "ERR at least 1 input key is needed for '%s' command", name);
        return;
    }
    if (numkeys > argc - (numidx + 1)) {
        srv_reply_syntax(c);
        return;
    }
    size_t n = (size_t)numkeys;
    const fl_slice_t *keys = argv + numidx + 1;
    double *weights = NULL;
    fl_zaggr_t aggr = FL_ZAGGR_SUM;
    bool withscores = false;
    long long limit = 0;
    int j = numidx + 1 + (int)n;
    while (j < argc) {
        int remaining = argc - j;
        if (op != FL_ZDIFF && !card_only && remaining >= (int)n + 1 &&
            srv_slice_eq(argv[j], "weights")) {
            free(weights);
            weights = malloc(n * sizeof(*weights));
            if (!weights) {
                c->out.failed = true;
                return;
            }
            j++;
            for (size_t i = 0; i < n; i++, j++)
                if (!arg_double(c, argv[j], &weights[i], "ERR weight value is not a float")) {
                    free(weights);
                    return;
                }
        } else if (op != FL_ZDIFF && !card_only && remaining >= 2 &&
                   srv_slice_eq(argv[j], "aggregate")) {
            if (srv_slice_eq(argv[j + 1], "sum"))
                aggr = FL_ZAGGR_SUM;
            else if (srv_slice_eq(argv[j + 1], "min"))
                aggr = FL_ZAGGR_MIN;
            else if (srv_slice_eq(argv[j + 1], "max"))
                aggr = FL_ZAGGR_MAX;
            else {
                free(weights);
                srv_reply_syntax(c);
                return;
            }
            j += 2;
        } else if (!store && !card_only && srv_slice_eq(argv[j], "withscores")) {
            withscores = true;
            j++;
        } else if (card_only && remaining >= 2 && srv_slice_eq(argv[j], "limit")) {
            if (!srv_slice_to_ll(argv[j + 1], &limit) || limit < 0) {
                free(weights);
                srv_reply_error(&c->out, "ERR LIMIT can't be negative");
                return;
            }
            j += 2;
        } else {
            free(weights);
            srv_reply_syntax(c);
            return;
        }
    }
    srv_sink_t sink;
    const fl_sink_t *out =
        srv_sink_as(&sink, &c->out, withscores ? SRV_SHAPE_SCORED_PAIRS : SRV_SHAPE_ARRAY);
    size_t mark = c->out.len, card = 0;
    srv_notify_begin();
    int st = fl_zset_algebra(c->ns, op, keys, n, weights, aggr, store ? &argv[1] : NULL, withscores,
                             card_only, (size_t)limit, out, &card);
    free(weights);
    if (!srv_sink_done(c, mark, st))
        return;
    if (store || card_only)
        srv_reply_int(&c->out, (long long)card);
    if (!store)
        return;
    static const char *const events[] = {
        [FL_ZUNION] = "zunionstore", [FL_ZINTER] = "zinterstore", [FL_ZDIFF] = "zdiffstore"};
    if (!card) {
        srv_notify_del_if_gone(c, argv[1]);
        return;
    }
    srv_notify(c, SRV_NOTIFY_ZSET, events[op], argv[1]);
    srv_block_signal(c->ns, argv[1]);
}

static void cmd_zunion(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_ZUNION, false, false, "zunion");
}
static void cmd_zinter(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_ZINTER, false, false, "zinter");
}
static void cmd_zdiff(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_ZDIFF, false, false, "zdiff");
}
static void cmd_zunionstore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_ZUNION, true, false, "zunionstore");
}
static void cmd_zinterstore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_ZINTER, true, false, "zinterstore");
}
static void cmd_zdiffstore(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_ZDIFF, true, false, "zdiffstore");
}
static void cmd_zintercard(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    algebra(c, argc, argv, FL_ZINTER, false, true, "zintercard");
}

#define Z SRV_ACL_CAT(SORTEDSET)
#define ZB (SRV_ACL_CAT(SORTEDSET) | SRV_ACL_CAT(BLOCKING))
/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"bzmpop", -5, SRV_CMD_WRITE | SRV_CMD_NUMKEYS_2, cmd_bzmpop, 0, 0, 0, ZB},
    {"bzpopmax", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_bzpopmax, 1, -2, 1, ZB},
    {"bzpopmin", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_bzpopmin, 1, -2, 1, ZB},
    {"zadd", -4, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_zadd, 1, 1, 1, Z},
    {"zcard", 2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_zcard, 1, 1, 1, Z},
    {"zcount", 4, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_zcount, 1, 1, 1, Z},
    {"zdiff", -3, SRV_CMD_READONLY | SRV_CMD_NUMKEYS_1, cmd_zdiff, 0, 0, 0, Z},
    {"zdiffstore", -4, SRV_CMD_WRITE | SRV_CMD_NUMKEYS_2, cmd_zdiffstore, 1, 1, 1, Z},
    {"zincrby", 4, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_zincrby, 1, 1, 1, Z},
    {"zinter", -3, SRV_CMD_READONLY | SRV_CMD_NUMKEYS_1, cmd_zinter, 0, 0, 0, Z},
    {"zintercard", -3, SRV_CMD_READONLY | SRV_CMD_NUMKEYS_1, cmd_zintercard, 0, 0, 0, Z},
    {"zinterstore", -4, SRV_CMD_WRITE | SRV_CMD_NUMKEYS_2, cmd_zinterstore, 1, 1, 1, Z},
    {"zlexcount", 4, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_zlexcount, 1, 1, 1, Z},
    {"zmpop", -4, SRV_CMD_WRITE | SRV_CMD_NUMKEYS_1, cmd_zmpop, 0, 0, 0, Z},
    {"zmscore", -3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_zmscore, 1, 1, 1, Z},
    {"zpopmax", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_zpopmax, 1, 1, 1, Z},
    {"zpopmin", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_zpopmin, 1, 1, 1, Z},
    {"zrandmember", -2, SRV_CMD_READONLY, cmd_zrandmember, 1, 1, 1, Z},
    {"zrange", -4, SRV_CMD_READONLY, cmd_zrange, 1, 1, 1, Z},
    {"zrangebylex", -4, SRV_CMD_READONLY, cmd_zrangebylex, 1, 1, 1, Z},
    {"zrangebyscore", -4, SRV_CMD_READONLY, cmd_zrangebyscore, 1, 1, 1, Z},
    {"zrangestore", -5, SRV_CMD_WRITE, cmd_zrangestore, 1, 2, 1, Z},
    {"zrank", 3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_zrank, 1, 1, 1, Z},
    {"zrem", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_zrem, 1, 1, 1, Z},
    {"zremrangebylex", 4, SRV_CMD_WRITE, cmd_zremrangebylex, 1, 1, 1, Z},
    {"zremrangebyrank", 4, SRV_CMD_WRITE, cmd_zremrangebyrank, 1, 1, 1, Z},
    {"zremrangebyscore", 4, SRV_CMD_WRITE, cmd_zremrangebyscore, 1, 1, 1, Z},
    {"zrevrange", -4, SRV_CMD_READONLY, cmd_zrevrange, 1, 1, 1, Z},
    {"zrevrangebylex", -4, SRV_CMD_READONLY, cmd_zrevrangebylex, 1, 1, 1, Z},
    {"zrevrangebyscore", -4, SRV_CMD_READONLY, cmd_zrevrangebyscore, 1, 1, 1, Z},
    {"zrevrank", 3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_zrevrank, 1, 1, 1, Z},
    {"zscan", -3, SRV_CMD_READONLY, cmd_zscan, 1, 1, 1, Z},
    {"zscore", 3, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_zscore, 1, 1, 1, Z},
    {"zunion", -3, SRV_CMD_READONLY | SRV_CMD_NUMKEYS_1, cmd_zunion, 0, 0, 0, Z},
    {"zunionstore", -4, SRV_CMD_WRITE | SRV_CMD_NUMKEYS_2, cmd_zunionstore, 1, 1, 1, Z},
};
#undef Z
#undef ZB
const srv_cmd_family_t srv_cmds_zset = {cmds, sizeof(cmds) / sizeof(cmds[0])};
