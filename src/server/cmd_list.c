/*
 * src/server/cmd_list.c: list commands, blocking pops included (LPUSH ... BLMPOP), on the
 * store's lists (flatline/collections.h); the blocking machinery is block.c's.
 *
 * Invariants: each handler appends exactly one reply (or blocks the client, which then gets
 * exactly one reply later); a write that may create a list signals its key so blocked clients
 * are served (srv_block_signal, after the store call returned: no store lock held).
 * Argument checks follow Redis 7.0's order, so a bad command gets Redis's error.
 */
#include <stdlib.h>

#include "block.h"
#include "flatline/collections.h"
#include "notify.h"
#include "srv_cmd.h"

/* LEFT/RIGHT, or a syntax error. */
static bool parse_side(srv_client_t *c, fl_slice_t arg, bool *tail)
{
    if (srv_slice_eq(arg, "left"))
        *tail = false;
    else if (srv_slice_eq(arg, "right"))
        *tail = true;
    else {
        srv_reply_syntax(c);
        return false;
    }
    return true;
}

/* A positive count (Redis getRangeLong 1..LONG_MAX) or the error `msg`. */
static bool parse_count(srv_client_t *c, fl_slice_t arg, const char *msg, size_t *out)
{
    long long v;
    if (!srv_slice_to_ll(arg, &v) || v < 1) {
        srv_reply_error(&c->out, msg);
        return false;
    }
    *out = (size_t)v;
    return true;
}

static void push_generic(srv_client_t *c, int argc, const fl_slice_t *argv, bool tail, bool xx)
{
    size_t len = 0;
    int st = fl_list_push(c->ns, argv[1], tail, argv + 2, (size_t)argc - 2, xx, &len);
    if (!srv_sink_done(c, c->out.len, st))
        return;
    srv_reply_int(&c->out, (long long)len);
    if (!len)
        return; /* LPUSHX on a missing key: nothing happened */
    srv_notify(c, SRV_NOTIFY_LIST, tail ? "rpush" : "lpush", argv[1]);
    srv_block_signal(c->ns, argv[1]);
}

static void cmd_lpush(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    push_generic(c, argc, argv, false, false);
}
static void cmd_rpush(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    push_generic(c, argc, argv, true, false);
}
static void cmd_lpushx(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    push_generic(c, argc, argv, false, true);
}
static void cmd_rpushx(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    push_generic(c, argc, argv, true, true);
}

static void pop_generic(srv_client_t *c, int argc, const fl_slice_t *argv, bool tail,
                        const char *name)
{
    if (argc > 3) {
        srv_reply_arity(c, name);
        return;
    }
    long long count = 1;
    if (argc == 3 && (!srv_slice_to_ll(argv[2], &count) || count < 0)) {
        srv_reply_error(&c->out, "ERR value is out of range, must be positive");
        return;
    }
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len, popped = 0;
    srv_notify_begin();
    int st = fl_list_pop(c->ns, argv[1], tail, (size_t)count, argc == 3, &sink, &popped);
    if (!srv_sink_done(c, mark, st))
        return;
    if (popped) {
        srv_notify(c, SRV_NOTIFY_LIST, tail ? "rpop" : "lpop", argv[1]);
        srv_notify_del_if_gone(c, argv[1]);
    }
    if (c->out.len > mark)
        return; /* the elements, or LPOP key 0's empty array */
    if (argc == 3)
        srv_reply_null_array(&c->out);
    else
        srv_reply_nil(&c->out);
}

static void cmd_lpop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    pop_generic(c, argc, argv, false, "lpop");
}
static void cmd_rpop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    pop_generic(c, argc, argv, true, "rpop");
}

static void cmd_llen(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    size_t len = 0;
    if (srv_sink_done(c, c->out.len, fl_list_len(c->ns, argv[1], &len)))
        srv_reply_int(&c->out, (long long)len);
}

static void cmd_lrange(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    long long start, stop;
    if (!srv_arg_ll(c, argv[2], &start) || !srv_arg_ll(c, argv[3], &stop))
        return;
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_list_range(c->ns, argv[1], start, stop, &sink));
}

static void cmd_lindex(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    long long index;
    if (!srv_arg_ll(c, argv[2], &index))
        return;
    fl_sink_t sink;
    srv_sink_init(&sink, c);
    size_t mark = c->out.len;
    srv_sink_done(c, mark, fl_list_index(c->ns, argv[1], index, &sink));
}

static void cmd_lset(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    long long index;
    if (!srv_arg_ll(c, argv[2], &index))
        return;
    if (!srv_sink_done(c, c->out.len, fl_list_set(c->ns, argv[1], index, argv[3])))
        return;
    srv_reply_ok(&c->out);
    srv_notify(c, SRV_NOTIFY_LIST, "lset", argv[1]);
}

static void cmd_linsert(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    bool after;
    if (srv_slice_eq(argv[2], "after"))
        after = true;
    else if (srv_slice_eq(argv[2], "before"))
        after = false;
    else {
        srv_reply_syntax(c);
        return;
    }
    int64_t len = 0;
    if (!srv_sink_done(c, c->out.len,
                       fl_list_insert(c->ns, argv[1], after, argv[3], argv[4], &len)))
        return;
    srv_reply_int(&c->out, len);
    if (len > 0)
        srv_notify(c, SRV_NOTIFY_LIST, "linsert", argv[1]);
}

static void cmd_lrem(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    long long count;
    if (!srv_arg_ll(c, argv[2], &count))
        return;
    size_t removed = 0;
    srv_notify_begin();
    if (!srv_sink_done(c, c->out.len, fl_list_rem(c->ns, argv[1], count, argv[3], &removed)))
        return;
    srv_reply_int(&c->out, (long long)removed);
    if (removed)
        srv_notify(c, SRV_NOTIFY_LIST, "lrem", argv[1]);
    srv_notify_del_if_gone(c, argv[1]);
}

static void cmd_ltrim(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    long long start, stop;
    if (!srv_arg_ll(c, argv[2], &start) || !srv_arg_ll(c, argv[3], &stop))
        return;
    srv_notify_begin();
    bool exists = false; /* Redis tells "ltrim" for an existing list only */
    fl_key_exists(c->ns, argv[1], FL_LOOKUP_QUIET, &exists);
    if (!srv_sink_done(c, c->out.len, fl_list_trim(c->ns, argv[1], start, stop)))
        return;
    srv_reply_ok(&c->out);
    if (exists || srv_notify_deleted(c, argv[1]))
        srv_notify(c, SRV_NOTIFY_LIST, "ltrim", argv[1]);
    srv_notify_del_if_gone(c, argv[1]);
}

/* LPOS matches, collected before the reply (the count is not known in advance). */
typedef struct pos_list {
    int64_t *v;
    size_t n, cap;
    bool failed;
} pos_list_t;

static void pos_add(void *ctx, int64_t index)
{
    pos_list_t *l = ctx;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        int64_t *v = realloc(l->v, cap * sizeof(*v));
        if (!v) {
            l->failed = true;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = index;
}

static void cmd_lpos(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    long long rank = 1, count = -1, maxlen = 0;
    for (int j = 3; j < argc; j++) {
        bool more = j + 1 < argc;
        if (srv_slice_eq(argv[j], "rank") && more) {
            if (!srv_arg_ll(c, argv[++j], &rank))
                return;
            if (rank == 0) {
                srv_reply_error(&c->out,
                                "ERR RANK can't be zero: use 1 to start from the first match, 2 "
                                "from the second ... or use negative to start from the end of "
                                "the list");
                return;
            }
            if (rank == INT64_MIN) {
                srv_reply_error(&c->out, "ERR value is out of range");
                return;
            }
        } else if (srv_slice_eq(argv[j], "count") && more) {
            if (!srv_arg_ll(c, argv[++j], &count))
                return;
            if (count < 0) {
                srv_reply_error(&c->out, "ERR COUNT can't be negative");
                return;
            }
        } else if (srv_slice_eq(argv[j], "maxlen") && more) {
            if (!srv_arg_ll(c, argv[++j], &maxlen))
                return;
            if (maxlen < 0) {
                srv_reply_error(&c->out, "ERR MAXLEN can't be negative");
                return;
            }
        } else {
            srv_reply_syntax(c);
            return;
        }
    }
    pos_list_t l = {0};
    int st = fl_list_pos(c->ns, argv[1], argv[2], rank, count < 0 ? 1 : (size_t)count,
                         (size_t)maxlen, pos_add, &l);
    if (l.failed) {
        c->out.failed = true;
    } else if (srv_sink_done(c, c->out.len, st)) {
        if (count < 0) {
            if (l.n)
                srv_reply_int(&c->out, l.v[0]);
            else
                srv_reply_nil(&c->out);
        } else {
            srv_reply_array(&c->out, l.n);
            for (size_t i = 0; i < l.n; i++)
                srv_reply_int(&c->out, l.v[i]);
        }
    }
    free(l.v);
}

/* ---- Pops over several keys, blocking or not ------------------------------------------------ */

/* Replies a store error into a buffer (no client: the pop may run on another worker). */
static void buf_error(srv_buf_t *out, int st)
{
    srv_reply_error(out, fl_status_str(st));
}

/* The list pops of block.h: BLPOP/BRPOP, [B]LMPOP, [B]LMOVE/[B]RPOPLPUSH. */
/* True when key holds a list (a blocked BLMOVE's source, or missing: false). */
static bool source_is_list(fl_ns_t *ns, fl_slice_t key)
{
    fl_type_t type = FL_TYPE_NONE;
    return fl_key_type(ns, key, FL_LOOKUP_QUIET, &type) == FL_OK && type == FL_TYPE_LIST;
}

static bool try_list_pop(fl_ns_t *ns, const srv_bpop_t *op, srv_buf_t *out)
{
    fl_sink_t sink;
    srv_sink_init_buf(&sink, out);
    if (op->kind == SRV_BPOP_MOVE) {
        size_t mark = out->len;
        bool moved = false;
        srv_notify_begin();
        int st = fl_list_move(ns, op->keys[0], op->dst, op->tail, op->dst_tail, &sink, &moved);
        if (st != FL_OK) {
            out->len = mark;
            if (st == FL_EWRONGTYPE && op->serving && !source_is_list(ns, op->keys[0]))
                return false; /* a destination of another type is the waiter's error, as Redis */
            buf_error(out, st);
            return true;
        }
        if (moved) { /* Redis's order: the push, the pop, the source's deletion */
            srv_notify_publish(op->db, SRV_NOTIFY_LIST, op->dst_tail ? "rpush" : "lpush", op->dst);
            srv_notify_publish(op->db, SRV_NOTIFY_LIST, op->tail ? "rpop" : "lpop", op->keys[0]);
            srv_notify_del_if_gone_in(op->db, op->keys[0]);
        }
        return moved;
    }
    for (size_t i = 0; i < op->nkeys; i++) {
        size_t mark = out->len, popped = 0;
        srv_reply_array(out, 2);
        srv_reply_bulk(out, op->keys[i].p, op->keys[i].n);
        bool lmpop = op->kind == SRV_BPOP_LMPOP;
        srv_notify_begin();
        int st =
            fl_list_pop(ns, op->keys[i], op->tail, lmpop ? op->count : 1, lmpop, &sink, &popped);
        if (st == FL_EWRONGTYPE && op->serving) {
            out->len = mark;
            continue;
        }
        if (st != FL_OK) {
            out->len = mark;
            buf_error(out, st);
            return true;
        }
        if (popped) {
            srv_notify_publish(op->db, SRV_NOTIFY_LIST, op->tail ? "rpop" : "lpop", op->keys[i]);
            srv_notify_del_if_gone_in(op->db, op->keys[i]);
            return true;
        }
        out->len = mark;
    }
    return false;
}

/* Runs a pop now (no blocking): its reply, or the null array when every key was empty. */
static void pop_now(srv_client_t *c, srv_bpop_t *op)
{
    op->try_pop = try_list_pop;
    if (!try_list_pop(c->ns, op, &c->out))
        srv_reply_null_array(&c->out);
    else if (op->kind == SRV_BPOP_MOVE)
        srv_block_signal(c->ns, op->dst);
}

static void pop_blocking(srv_client_t *c, srv_bpop_t *op, fl_slice_t timeout)
{
    int64_t deadline;
    if (!srv_block_parse_timeout(c, timeout, &deadline))
        return;
    op->try_pop = try_list_pop;
    size_t mark = c->out.len;
    srv_block_pop(c, op, deadline);
    if (op->kind == SRV_BPOP_MOVE && !c->blocked && c->out.len > mark && c->out.p[mark] == '$')
        srv_block_signal(c->ns, op->dst);
}

static void cmd_blpop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_bpop_t op = {
        .db = c->ns_index, .kind = SRV_BPOP_LIST, .keys = argv + 1, .nkeys = (size_t)argc - 2};
    pop_blocking(c, &op, argv[argc - 1]);
}

static void cmd_brpop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_bpop_t op = {.db = c->ns_index,
                     .kind = SRV_BPOP_LIST,
                     .tail = true,
                     .keys = argv + 1,
                     .nkeys = (size_t)argc - 2};
    pop_blocking(c, &op, argv[argc - 1]);
}

static void cmd_lmove(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    srv_bpop_t op = {
        .db = c->ns_index, .kind = SRV_BPOP_MOVE, .keys = argv + 1, .nkeys = 1, .dst = argv[2]};
    if (!parse_side(c, argv[3], &op.tail) || !parse_side(c, argv[4], &op.dst_tail))
        return;
    op.try_pop = try_list_pop;
    if (!try_list_pop(c->ns, &op, &c->out))
        srv_reply_nil(&c->out);
    else
        srv_block_signal(c->ns, op.dst);
}

/* [B]RPOPLPUSH source destination: LMOVE's RIGHT LEFT. */
static srv_bpop_t rpoplpush_op(const srv_client_t *c, const fl_slice_t *argv)
{
    return (srv_bpop_t){.db = c->ns_index,
                        .kind = SRV_BPOP_MOVE,
                        .tail = true,
                        .keys = argv + 1,
                        .nkeys = 1,
                        .dst = argv[2]};
}

static void cmd_rpoplpush(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    srv_bpop_t op = rpoplpush_op(c, argv);
    op.try_pop = try_list_pop;
    if (!try_list_pop(c->ns, &op, &c->out))
        srv_reply_nil(&c->out);
    else
        srv_block_signal(c->ns, op.dst);
}

static void cmd_blmove(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    srv_bpop_t op = {
        .db = c->ns_index, .kind = SRV_BPOP_MOVE, .keys = argv + 1, .nkeys = 1, .dst = argv[2]};
    if (!parse_side(c, argv[3], &op.tail) || !parse_side(c, argv[4], &op.dst_tail))
        return;
    pop_blocking(c, &op, argv[5]);
}

static void cmd_brpoplpush(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    srv_bpop_t op = rpoplpush_op(c, argv);
    pop_blocking(c, &op, argv[3]);
}

/* [B]LMPOP [timeout] numkeys key... LEFT|RIGHT [COUNT n]: parses from argv[first]. */
static bool parse_lmpop(srv_client_t *c, int argc, const fl_slice_t *argv, int first,
                        srv_bpop_t *op)
{
    size_t numkeys;
    if (!parse_count(c, argv[first], "ERR numkeys should be greater than 0", &numkeys))
        return false;
    if (numkeys > (size_t)argc || (size_t)first + numkeys + 1 >= (size_t)argc) {
        srv_reply_syntax(c);
        return false;
    }
    int where = first + (int)numkeys + 1;
    *op = (srv_bpop_t){.db = c->ns_index,
                       .kind = SRV_BPOP_LMPOP,
                       .keys = argv + first + 1,
                       .nkeys = numkeys,
                       .count = 1};
    if (!parse_side(c, argv[where], &op->tail))
        return false;
    bool have_count = false;
    for (int j = where + 1; j < argc; j++) {
        if (!have_count && srv_slice_eq(argv[j], "count") && j + 1 < argc) {
            if (!parse_count(c, argv[++j], "ERR count should be greater than 0", &op->count))
                return false;
            have_count = true;
        } else {
            srv_reply_syntax(c);
            return false;
        }
    }
    return true;
}

static void cmd_lmpop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_bpop_t op;
    if (parse_lmpop(c, argc, argv, 1, &op))
        pop_now(c, &op);
}

static void cmd_blmpop(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    srv_bpop_t op;
    int64_t deadline;
    if (!srv_block_parse_timeout(c, argv[1], &deadline))
        return;
    if (!parse_lmpop(c, argc, argv, 2, &op))
        return;
    op.try_pop = try_list_pop;
    srv_block_pop(c, &op, deadline);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"blmove", 6, SRV_CMD_WRITE, cmd_blmove, 1, 2, 1, SRV_ACL_CAT(LIST) | SRV_ACL_CAT(BLOCKING)},
    {"blmpop", -5, SRV_CMD_WRITE | SRV_CMD_NUMKEYS_2, cmd_blmpop, 0, 0, 0,
     SRV_ACL_CAT(LIST) | SRV_ACL_CAT(BLOCKING)},
    {"blpop", -3, SRV_CMD_WRITE, cmd_blpop, 1, -2, 1, SRV_ACL_CAT(LIST) | SRV_ACL_CAT(BLOCKING)},
    {"brpop", -3, SRV_CMD_WRITE, cmd_brpop, 1, -2, 1, SRV_ACL_CAT(LIST) | SRV_ACL_CAT(BLOCKING)},
    {"brpoplpush", 4, SRV_CMD_WRITE, cmd_brpoplpush, 1, 2, 1,
     SRV_ACL_CAT(LIST) | SRV_ACL_CAT(BLOCKING)},
    {"lindex", 3, SRV_CMD_READONLY, cmd_lindex, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"linsert", 5, SRV_CMD_WRITE, cmd_linsert, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"llen", 2, SRV_CMD_READONLY | SRV_CMD_FAST, cmd_llen, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"lmove", 5, SRV_CMD_WRITE, cmd_lmove, 1, 2, 1, SRV_ACL_CAT(LIST)},
    {"lmpop", -4, SRV_CMD_WRITE | SRV_CMD_NUMKEYS_1, cmd_lmpop, 0, 0, 0, SRV_ACL_CAT(LIST)},
    {"lpop", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_lpop, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"lpos", -3, SRV_CMD_READONLY, cmd_lpos, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"lpush", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_lpush, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"lpushx", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_lpushx, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"lrange", 4, SRV_CMD_READONLY, cmd_lrange, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"lrem", 4, SRV_CMD_WRITE, cmd_lrem, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"lset", 4, SRV_CMD_WRITE, cmd_lset, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"ltrim", 4, SRV_CMD_WRITE, cmd_ltrim, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"rpop", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_rpop, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"rpoplpush", 3, SRV_CMD_WRITE, cmd_rpoplpush, 1, 2, 1, SRV_ACL_CAT(LIST)},
    {"rpush", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_rpush, 1, 1, 1, SRV_ACL_CAT(LIST)},
    {"rpushx", -3, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_rpushx, 1, 1, 1, SRV_ACL_CAT(LIST)},
};
const srv_cmd_family_t srv_cmds_list = {cmds, sizeof(cmds) / sizeof(cmds[0])};
