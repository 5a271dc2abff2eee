/*
 * src/server/cmd_sort.c: SORT and SORT_RO on lists, sets and sorted sets, with Redis 7.0's
 * options and replies: BY pattern (a key `*` is replaced in, `->field` reads a hash field; a
 * pattern without `*` means "do not sort"), GET pattern or `#` (several), LIMIT offset count,
 * ASC/DESC, ALPHA, STORE destination (SORT only: a list, replacing the key, or deleting it
 * when the result is empty).
 *
 * Semantics copied from Redis 7.0 where they show: numbers are read with strtod (the whole
 * text, no overflow, no NaN; otherwise "One or more scores can't be converted into double"
 * after the sort); equal scores compare the elements bytewise; ALPHA compares with strcoll
 * (bytewise when STORE, so stored results do not depend on the locale); a BY key that is
 * missing sorts first (ALPHA) or as 0; a set sorted BY a constant is sorted ALPHA when stored
 * or inside a script (so the result does not depend on the set's layout); a list or sorted set
 * BY a constant keeps its order (reversed by DESC). BY and GET patterns need read access to
 * every key (ACL: an unrestricted key pattern), as in Redis.
 *
 * Atomicity: the whole command runs in one store batch (fl_batch_begin), over its own key and
 * destination, or over every partition when a BY or GET pattern may read any key; inside
 * MULTI/EXEC or a script the caller's batch already holds the store (the rows are
 * SRV_CMD_ALL_PARTS). Elements and looked-up values are copied out (scratch memory of the
 * worker) before the sort.
 */
#include "srv_cmd.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "block.h"
#include "notify.h"
#include "script.h"

typedef struct sort_args {
    bool desc, alpha, dontsort, ro;
    long long limit_start, limit_count;
    const fl_slice_t *by;    /* NULL: sort by the element */
    const fl_slice_t *store; /* NULL: reply */
    const fl_slice_t **gets; /* GET patterns, in order */
    size_t ngets;
} sort_args_t;

/* A NUL-terminated copy of a string (strtod and strcoll need one), or absent. */
typedef struct sort_str {
    char *p;
    size_t n;
    bool present;
} sort_str_t;

typedef struct sort_elem {
    sort_str_t v;   /* the element */
    sort_str_t cmp; /* ALPHA BY: the value looked up */
    double score;   /* numeric: the element's or the looked-up value */
} sort_elem_t;

/* ---- Copying values out of the store ------------------------------------------------------- */

/* A sink that collects bulk strings (a collection's elements, or one looked-up value). */
typedef struct collect {
    sort_str_t *v;
    size_t n, cap;
    bool oom;
} collect_t;

static bool str_copy(sort_str_t *s, fl_value_t v)
{
    size_t n = fl_value_len(v);
    s->p = malloc(n + 1); /* scratch: the worker's private arena */
    if (!s->p)
        return false;
    fl_value_copy(v, 0, n, s->p);
    s->p[n] = '\0';
    s->n = n;
    s->present = true;
    return true;
}

/* Keeps a copy of a value the store emitted (one span or two). */
static void collect_value(collect_t *c, fl_value_t val)
{
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 16;
        sort_str_t *v = realloc(c->v, cap * sizeof(*v));
        if (!v) {
            c->oom = true;
            return;
        }
        c->v = v;
        c->cap = cap;
    }
    if (str_copy(&c->v[c->n], val))
        c->n++;
    else
        c->oom = true;
}
static void collect_bulk(void *ctx, const char *p, size_t n)
{
    collect_value(ctx, (fl_value_t){{p, n}, {NULL, 0}});
}
static void collect_bulk2(void *ctx, const char *p, size_t n, const char *q, size_t m)
{
    collect_value(ctx, (fl_value_t){{p, n}, {q, m}});
}
static void collect_nil(void *ctx)
{
    (void)ctx;
}
static void collect_array(void *ctx, size_t n)
{
    (void)ctx;
    (void)n;
}

static fl_sink_t collect_sink(collect_t *c)
{
    memset(c, 0, sizeof(*c));
    return (fl_sink_t){c, collect_bulk, collect_nil, collect_array, collect_bulk2, NULL};
}

static void str_free(sort_str_t *s)
{
    free(s->p);
    s->p = NULL;
    s->present = false;
}

/* Redis's lookupKeyByPattern: `#` is the element itself; otherwise the first `*` of the
 * pattern is replaced by the element, and a `->field` after it (with a field name) reads that
 * field of a hash. A pattern without `*`, a missing key, or one of another type: absent.
 * False when memory is short. */
static bool lookup(srv_client_t *c, fl_slice_t pat, const sort_str_t *elem, sort_str_t *out)
{
    memset(out, 0, sizeof(*out));
    if (pat.n >= 1 && pat.p[0] == '#' && (pat.n == 1 || pat.p[1] == '\0'))
        return str_copy(out, (fl_value_t){{elem->p, elem->n}, {NULL, 0}});
    size_t clen = strnlen(pat.p, pat.n); /* Redis searches the pattern as a C string */
    const char *star = memchr(pat.p, '*', clen);
    if (!star)
        return true;
    const char *arrow = NULL;
    for (const char *q = star + 1; q + 1 < pat.p + clen; q++)
        if (q[0] == '-' && q[1] == '>') {
            arrow = q;
            break;
        }
    size_t fieldlen = arrow && arrow + 2 < pat.p + clen ? pat.n - (size_t)(arrow - pat.p) - 2 : 0;
    size_t prefix = (size_t)(star - pat.p);
    size_t postfix = pat.n - prefix - 1 - (fieldlen ? fieldlen + 2 : 0);
    char stack[256], *key = stack;
    size_t klen = prefix + elem->n + postfix;
    if (klen > sizeof(stack) && !(key = malloc(klen)))
        return false;
    memcpy(key, pat.p, prefix);
    memcpy(key + prefix, elem->p, elem->n);
    memcpy(key + prefix + elem->n, star + 1, postfix);
    collect_t col;
    fl_sink_t sink = collect_sink(&col);
    fl_slice_t k = {key, klen};
    if (fieldlen)
        fl_hash_get(c->ns, k, (fl_slice_t){arrow + 2, fieldlen}, &sink); /* other types: absent */
    else
        fl_str_get(c->ns, k, &sink);
    if (key != stack)
        free(key);
    if (col.n)
        *out = col.v[0];
    free(col.v);
    return !col.oom;
}

/* ---- Ordering ---------------------------------------------------------------------------------
 */

typedef struct sort_order {
    bool alpha, by, store, desc;
} sort_order_t;

/* Redis's compareStringObjects: bytes, then length. */
static int binary_cmp(const sort_str_t *a, const sort_str_t *b)
{
    size_t n = a->n < b->n ? a->n : b->n;
    int cmp = n ? memcmp(a->p, b->p, n) : 0;
    return cmp ? cmp : (a->n > b->n) - (a->n < b->n);
}

/* Redis's sortCompare. */
static int elem_cmp(const sort_elem_t *x, const sort_elem_t *y, const sort_order_t *o)
{
    int cmp;
    if (!o->alpha) {
        cmp = x->score > y->score ? 1 : x->score < y->score ? -1 : binary_cmp(&x->v, &y->v);
    } else if (o->by) {
        if (!x->cmp.present || !y->cmp.present)
            cmp = x->cmp.present == y->cmp.present ? 0 : !x->cmp.present ? -1 : 1;
        else
            cmp = o->store ? binary_cmp(&x->cmp, &y->cmp) : strcoll(x->cmp.p, y->cmp.p);
    } else {
        cmp = o->store ? binary_cmp(&x->v, &y->v) : strcoll(x->v.p, y->v.p);
    }
    return o->desc ? -cmp : cmp;
}

/* A stable merge sort of v[0..n) with scratch tmp (n entries). */
static void merge_sort(sort_elem_t *v, sort_elem_t *tmp, size_t n, const sort_order_t *o)
{
    if (n < 2)
        return;
    size_t h = n / 2, i = 0, j = h, k = 0;
    merge_sort(v, tmp, h, o);
    merge_sort(v + h, tmp, n - h, o);
    while (i < h && j < n)
        tmp[k++] = elem_cmp(&v[j], &v[i], o) < 0 ? v[j++] : v[i++];
    while (i < h)
        tmp[k++] = v[i++];
    while (j < n)
        tmp[k++] = v[j++];
    memcpy(v, tmp, n * sizeof(*v));
}

/* ---- The command ------------------------------------------------------------------------------
 */

/* May the caller's user read every key (Redis's check before BY and GET patterns)? */
static bool reads_every_key(srv_client_t *c)
{
    srv_client_t *who = srv_script_caller(c);
    if (!who)
        who = c;
    return !who->srv->acl || srv_acl_reads_every_key(&who->acl);
}

/* Parses the options (GET patterns into gets, argc / 2 entries); false after replying an
 * error. */
static bool parse(srv_client_t *c, int argc, const fl_slice_t *argv, bool ro,
                  const fl_slice_t **gets, sort_args_t *a)
{
    memset(a, 0, sizeof(*a));
    a->gets = gets;
    a->ro = ro;
    a->limit_count = -1;
    bool full = reads_every_key(c);
    for (int j = 2; j < argc; j++) {
        int left = argc - j - 1;
        if (srv_slice_eq(argv[j], "asc")) {
            a->desc = false;
        } else if (srv_slice_eq(argv[j], "desc")) {
            a->desc = true;
        } else if (srv_slice_eq(argv[j], "alpha")) {
            a->alpha = true;
        } else if (srv_slice_eq(argv[j], "limit") && left >= 2) {
            if (!srv_arg_ll(c, argv[j + 1], &a->limit_start) ||
                !srv_arg_ll(c, argv[j + 2], &a->limit_count))
                return false;
            j += 2;
        } else if (!ro && srv_slice_eq(argv[j], "store") && left >= 1) {
            a->store = &argv[++j];
        } else if (srv_slice_eq(argv[j], "by") && left >= 1) {
            a->by = &argv[++j];
            if (!memchr(a->by->p, '*', strnlen(a->by->p, a->by->n))) {
                a->dontsort = true;
            } else if (!full) {
                srv_reply_error(
                    &c->out, "ERR BY option of SORT denied due to insufficient ACL permissions.");
                return false;
            }
        } else if (srv_slice_eq(argv[j], "get") && left >= 1) {
            if (!full) {
                srv_reply_error(
                    &c->out, "ERR GET option of SORT denied due to insufficient ACL permissions.");
                return false;
            }
            a->gets[a->ngets++] = &argv[++j];
        } else {
            srv_reply_syntax(c);
            return false;
        }
    }
    return true;
}

/* The elements of the key to sort, in its own order: FL_OK (none when missing) or
 * FL_EWRONGTYPE; *type gets the key's type. */
static int load(srv_client_t *c, fl_slice_t key, fl_type_t *type, collect_t *col)
{
    fl_sink_t sink = collect_sink(col);
    fl_key_type(c->ns, key, FL_LOOKUP_QUIET, type);
    switch (*type) {
    case FL_TYPE_NONE:
        return FL_OK;
    case FL_TYPE_LIST:
        return fl_list_range(c->ns, key, 0, -1, &sink);
    case FL_TYPE_SET:
        return fl_set_members(c->ns, key, &sink);
    case FL_TYPE_ZSET: {
        fl_zrange_t r = {.by = FL_ZBY_RANK, .start = 0, .stop = -1, .count = -1};
        size_t n;
        return fl_zset_range(c->ns, key, &r, FL_ZR_EMIT, &sink, &n);
    }
    default:
        return FL_EWRONGTYPE;
    }
}

/* Sets each element's sort key (BY lookups, strtod); false when memory is short. *bad: a
 * value is not a number (numeric sort). */
static bool weigh(srv_client_t *c, const sort_args_t *a, sort_elem_t *v, size_t n, bool *bad)
{
    for (size_t j = 0; j < n; j++) {
        sort_str_t looked = {0};
        const sort_str_t *by = &v[j].v;
        if (a->by) {
            if (!lookup(c, *a->by, &v[j].v, &looked))
                return false;
            if (!looked.present)
                continue;
            by = &looked;
        }
        if (a->alpha) {
            if (a->by)
                v[j].cmp = looked; /* kept for the comparison, freed with the element */
            continue;
        }
        char *end;
        errno = 0;
        v[j].score = strtod(by->p, &end);
        *bad |= end[0] != '\0' || errno == ERANGE || isnan(v[j].score);
        str_free(&looked);
    }
    return true;
}

/* The GET values (or the element) of v[start..end], to the client or into `out` (STORE: a
 * missing value is an empty string). False when memory is short. */
static bool emit(srv_client_t *c, const sort_args_t *a, const sort_elem_t *v, long long start,
                 long long end, collect_t *out)
{
    for (long long j = start; j <= end; j++) {
        if (!a->ngets) {
            if (out)
                collect_bulk(out, v[j].v.p, v[j].v.n);
            else
                srv_reply_bulk(&c->out, v[j].v.p, v[j].v.n);
            continue;
        }
        for (size_t g = 0; g < a->ngets; g++) {
            sort_str_t val;
            if (!lookup(c, *a->gets[g], &v[j].v, &val))
                return false;
            if (out)
                collect_bulk(out, val.present ? val.p : "", val.present ? val.n : 0);
            else if (val.present)
                srv_reply_bulk(&c->out, val.p, val.n);
            else
                srv_reply_nil(&c->out);
            str_free(&val);
        }
    }
    return !out || !out->oom;
}

/* STORE: the result replaces the destination as a list, or deletes it when empty. */
static int store_result(srv_client_t *c, fl_slice_t dst, const collect_t *res)
{
    size_t gone = 0;
    int rc = fl_keys_del(c->ns, &dst, 1, &gone);
    if (rc == FL_OK && res->n == 0 && gone)
        srv_notify(c, SRV_NOTIFY_GENERIC, "del", dst);
    if (rc != FL_OK || res->n == 0)
        return rc;
    fl_slice_t *elems = malloc(res->n * sizeof(*elems));
    if (!elems)
        return FL_ENOMEM;
    for (size_t i = 0; i < res->n; i++)
        elems[i] = (fl_slice_t){res->v[i].p, res->v[i].n};
    size_t len;
    rc = fl_list_push(c->ns, dst, true, elems, res->n, false, &len);
    free(elems);
    if (rc == FL_OK) {
        srv_notify(c, SRV_NOTIFY_LIST, "sortstore", dst);
        srv_block_signal(c->ns, dst); /* served when the command's batch has ended */
    }
    return rc;
}

/* SORT once its batch holds what it reads and writes. */
static void sort_run(srv_client_t *c, fl_slice_t key, sort_args_t *a)
{
    collect_t col, res = {0};
    fl_type_t type;
    int rc = load(c, key, &type, &col);
    sort_elem_t *v = NULL, *tmp = NULL;
    if (rc != FL_OK || col.oom) {
        if (rc == FL_EWRONGTYPE)
            srv_reply_status(c, rc);
        else
            c->out.failed = true; /* out of memory: drop the connection */
        goto out;
    }
    size_t n = col.n;
    v = calloc(n ? n : 1, sizeof(*v));
    tmp = malloc((n ? n : 1) * sizeof(*tmp));
    if (!v || !tmp) {
        c->out.failed = true;
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        v[i].v = col.v[i];
    col.n = 0; /* the strings are v's now */
    /* a set's own order is its layout: sort it ALPHA when stored or inside a script */
    if (a->dontsort && type == FL_TYPE_SET && (a->store || srv_script_caller(c))) {
        a->dontsort = false;
        a->alpha = true;
        a->by = NULL;
    }
    /* LIMIT, clamped as Redis clamps it */
    long long len = (long long)n;
    long long start = a->limit_start < 0 ? 0 : a->limit_start > len ? len : a->limit_start;
    long long count = a->limit_count < -1 ? -1 : a->limit_count > len ? len : a->limit_count;
    long long end = count < 0 ? len - 1 : start + count - 1;
    if (start >= len) {
        start = len - 1;
        end = len - 2;
    }
    if (end >= len)
        end = len - 1;
    bool bad = false;
    if (a->dontsort) {
        if (a->desc && type != FL_TYPE_SET) /* a list or sorted set backwards */
            for (size_t i = 0; i < n / 2; i++) {
                sort_elem_t t = v[i];
                v[i] = v[n - 1 - i];
                v[n - 1 - i] = t;
            }
    } else {
        if (!weigh(c, a, v, n, &bad)) {
            c->out.failed = true;
            goto out;
        }
        sort_order_t o = {a->alpha, a->by != NULL, a->store != NULL, a->desc};
        merge_sort(v, tmp, n, &o);
    }
    long long outlen = (a->ngets ? (long long)a->ngets : 1) * (end - start + 1);
    if (bad) {
        srv_reply_error(&c->out, "ERR One or more scores can't be converted into double");
    } else if (!a->store) {
        srv_reply_array(&c->out, (size_t)outlen);
        if (!emit(c, a, v, start, end, NULL))
            c->out.failed = true;
    } else {
        if (!emit(c, a, v, start, end, &res)) {
            c->out.failed = true;
            goto out;
        }
        rc = store_result(c, *a->store, &res);
        if (srv_sink_done(c, c->out.len, rc))
            srv_reply_int(&c->out, outlen);
    }
out:
    for (size_t i = 0; v && i < n; i++) {
        str_free(&v[i].v);
        str_free(&v[i].cmp);
    }
    for (size_t i = 0; i < col.n; i++)
        str_free(&col.v[i]);
    for (size_t i = 0; i < res.n; i++)
        str_free(&res.v[i]);
    free(col.v);
    free(res.v);
    free(v);
    free(tmp);
}

/* Do BY or GET read other keys than the sorted one (a BY that sorts, a GET other than `#`)? */
static bool reads_others(const sort_args_t *a)
{
    if (a->by && !a->dontsort)
        return true;
    for (size_t g = 0; g < a->ngets; g++)
        if (!(a->gets[g]->n >= 1 && a->gets[g]->p[0] == '#' &&
              (a->gets[g]->n == 1 || a->gets[g]->p[1] == '\0')))
            return true;
    return false;
}

static void sort_generic(srv_client_t *c, int argc, const fl_slice_t *argv, bool ro)
{
    const fl_slice_t *stack[8];
    size_t maxgets = (size_t)argc / 2;
    const fl_slice_t **gets = maxgets <= 8 ? stack : malloc(maxgets * sizeof(*gets));
    sort_args_t a;
    if (!gets) {
        c->out.failed = true; /* out of memory: drop the connection */
        return;
    }
    if (parse(c, argc, argv, ro, gets, &a)) {
        bool own = !fl_batch_active(); /* else EXEC's or the script's batch holds everything */
        fl_batch_key_t keys[2] = {{c->ns, argv[1]}, {c->ns, a.store ? *a.store : argv[1]}};
        if (own &&
            fl_batch_begin(c->srv->store, keys, a.store ? 2 : 1, reads_others(&a)) != FL_OK) {
            c->out.failed = true;
        } else {
            sort_run(c, argv[1], &a);
            if (own)
                fl_batch_end();
        }
    }
    if (gets != stack)
        free(gets);
}

int srv_sort_store_pos(int argc, const fl_slice_t *argv)
{
    int pos = 0;
    for (int i = 2; i < argc; i++) {
        if (srv_slice_eq(argv[i], "limit"))
            i += 2;
        else if (srv_slice_eq(argv[i], "get") || srv_slice_eq(argv[i], "by"))
            i += 1;
        else if (srv_slice_eq(argv[i], "store") && i + 1 < argc)
            pos = i + 1; /* the last STORE wins, as in SORT */
    }
    return pos;
}

static void cmd_sort(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    sort_generic(c, argc, argv, false);
}

static void cmd_sort_ro(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    sort_generic(c, argc, argv, true);
}

/* This family's rows of the command table (commands.c merges the families). */
#define SORT_CATS                                                                                  \
    (SRV_ACL_CAT(SET) | SRV_ACL_CAT(SORTEDSET) | SRV_ACL_CAT(LIST) | SRV_ACL_CAT(DANGEROUS))
static const srv_cmd_t cmds[] = {
    {"sort", -2, SRV_CMD_WRITE | SRV_CMD_ALL_PARTS | SRV_CMD_KEYS_IN_OPTIONS, cmd_sort, 1, 1, 1,
     SORT_CATS},
    {"sort_ro", -2, SRV_CMD_READONLY | SRV_CMD_ALL_PARTS | SRV_CMD_KEYS_IN_OPTIONS, cmd_sort_ro, 1,
     1, 1, SORT_CATS},
};
const srv_cmd_family_t srv_cmds_sort = {cmds, sizeof(cmds) / sizeof(cmds[0])};
