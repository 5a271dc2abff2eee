/*
 * src/server/cmd_hll.c: the HyperLogLog commands (PFADD, PFCOUNT, PFMERGE, PFDEBUG,
 * PFSELFTEST) with Redis 7.0's replies, errors and side effects, over hll.c's format.
 *
 * A HyperLogLog is a plain string key: each command opens a store batch over its keys (or runs
 * in the EXEC's or script's one), so its reads and writes are atomic. It copies a value out
 * through fl_str_read_many only when it needs more than the header or a few registers, edits
 * the copy with hll.c and writes back what changed, keeping the key's TTL: the bytes of the
 * raised dense registers and the header (fl_str_setrange, logged as SETRANGE), or the whole
 * value when it changed length (fl_str_set). What redis-server changes in place, this writes
 * back, including PFCOUNT's refreshed cached cardinality and a PFADD stopped half-way by a
 * corrupt value, so GET returns the same bytes on both servers after the same commands.
 */
#include "hll.h"
#include "notify.h"
#include "srv_cmd.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#define NOT_HLL_ERR "WRONGTYPE Key is not a valid HyperLogLog string value."
#define CORRUPT_ERR "INVALIDOBJ Corrupted HLL object detected"

/* ---- Reading and writing a key's HLL -------------------------------------------------------- */

/* What reading a key found. KEY_CACHED and KEY_UNRAISED are HLLs left in the store, not
 * copied, because the command needs no more of them (hll_key_t's requests). */
typedef enum {
    KEY_MISSING,
    KEY_HLL,      /* copied to h */
    KEY_CACHED,   /* its cached cardinality is valid: in card */
    KEY_UNRAISED, /* dense, and none of the registers to raise is lower than asked */
    KEY_NOT_HLL,
    KEY_NOMEM
} key_state_t;

/* An element's register and run length (hll_pattern), computed before the key is locked. */
typedef struct hll_pair {
    long index;
    uint8_t count;
} hll_pair_t;

/* One key's value, copied out of the store when it passes the header check and the command
 * needs it: with want_card, not when its cached cardinality is valid; with pairs, not when it
 * is dense and none of them would raise its register (PFADD on a big HLL, the common case). */
typedef struct hll_key {
    hll_t h;
    key_state_t state;
    bool want_card;
    const hll_pair_t *pairs;
    size_t npairs;
    uint64_t card;
} hll_key_t;

static bool raises_any(fl_value_t v, const hll_pair_t *pairs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t bytes, off = hll_dense_offset(pairs[i].index, &bytes);
        uint8_t b[2] = {0, 0};
        fl_value_copy(v, off, bytes, b);
        if (pairs[i].count > hll_dense_reg(b, pairs[i].index))
            return true;
    }
    return false;
}

static void copy_value(void *ctx, size_t i, fl_value_t v, bool present)
{
    (void)i;
    hll_key_t *k = ctx;
    size_t len = fl_value_len(v);
    uint8_t hdr[HLL_HDR_SIZE];
    k->state = KEY_MISSING;
    if (!present)
        return;
    k->state = KEY_NOT_HLL; /* checked before copying: the string may be anything, and large */
    if (len < HLL_HDR_SIZE)
        return;
    fl_value_copy(v, 0, HLL_HDR_SIZE, hdr);
    if (!hll_header_ok(hdr, len))
        return;
    k->state = KEY_CACHED;
    if (k->want_card && hll_cache_get(hdr, &k->card))
        return;
    k->state = KEY_UNRAISED;
    if (k->pairs && hll_encoding(hdr) == HLL_DENSE && !raises_any(v, k->pairs, k->npairs))
        return;
    k->state = KEY_NOMEM;
    uint8_t *p = hll_prepare(&k->h, len);
    if (!p)
        return;
    fl_value_copy(v, 0, len, p);
    k->state = KEY_HLL;
}

/* Reads key into k. False, with the error sent (WRONGTYPE for another type or a string that is
 * no HLL), unless the key is missing or holds an HLL. */
static bool load(srv_client_t *c, fl_slice_t key, hll_key_t *k)
{
    int rc = fl_str_read_many(c->ns, &key, 1, copy_value, k);
    if (rc == FL_OK && k->state == KEY_NOMEM)
        rc = FL_ENOMEM;
    if (rc != FL_OK) {
        srv_reply_status(c, rc);
        return false;
    }
    if (k->state == KEY_NOT_HLL) {
        srv_reply_error(&c->out, NOT_HLL_ERR);
        return false;
    }
    return true;
}

/* Writes h as key's value, keeping its TTL. FL_OK or the store's error. */
static int store(srv_client_t *c, fl_slice_t key, const hll_t *h)
{
    fl_set_opts_t keep = {0, FL_SET_KEEPTTL};
    return fl_str_set(c->ns, key, (fl_slice_t){(const char *)h->p, h->len}, &keep, NULL);
}

/* Opens a batch over keys unless the caller runs in one (EXEC, a script); *own says whether to
 * close it. False (FL_ENOMEM sent) when it cannot. */
static bool batch_open(srv_client_t *c, const fl_slice_t *keys, size_t n, bool *own)
{
    *own = !fl_batch_active();
    if (!*own)
        return true;
    fl_batch_key_t one, *bk = n == 1 ? &one : malloc(n * sizeof(*bk));
    int rc = bk ? FL_OK : FL_ENOMEM;
    for (size_t i = 0; bk && i < n; i++)
        bk[i] = (fl_batch_key_t){c->ns, keys[i]};
    if (rc == FL_OK)
        rc = fl_batch_begin(c->srv->store, bk, n, false);
    if (bk != &one)
        free(bk);
    if (rc != FL_OK) {
        srv_reply_status(c, rc);
        return false;
    }
    return true;
}

static void batch_close(bool own)
{
    if (own)
        fl_batch_end();
}

static size_t sparse_max(srv_client_t *c)
{
    return atomic_load_explicit(&c->srv->live.hll_sparse_max_bytes, memory_order_relaxed);
}

/* Replies to an hll.c failure (HLL_CORRUPT or HLL_NOMEM). */
static void reply_failure(srv_client_t *c, int rc)
{
    if (rc == HLL_NOMEM)
        srv_reply_status(c, FL_ENOMEM);
    else
        srv_reply_error(&c->out, CORRUPT_ERR);
}

/* ---- PFADD ------------------------------------------------------------------------------------
 */

/* Dense registers a PFADD changed, written back in place (fl_str_setrange) unless there are
 * more than this or the value changed length (a new key, a sparse edit, a promotion). */
#define EDITS_MAX 16

typedef struct edits {
    size_t off[EDITS_MAX], bytes[EDITS_MAX];
    size_t n;
    bool whole; /* write the whole value */
} edits_t;

static void note_edit(edits_t *e, bool was_dense, long index)
{
    if (!was_dense || e->n == EDITS_MAX) {
        e->whole = true;
        return;
    }
    e->off[e->n] = hll_dense_offset(index, &e->bytes[e->n]);
    e->n++;
}

/* Raises k's registers to pairs (k created when missing). Returns how many raises changed it,
 * with an hll.c failure in *failed (the changes before it stay, as in Redis). */
static long add_all(srv_client_t *c, hll_key_t *k, const hll_pair_t *pairs, size_t n, edits_t *e,
                    int *failed)
{
    long updated = 0;
    *failed = HLL_SAME;
    if (k->state == KEY_MISSING) {
        if (hll_init(&k->h) != HLL_SAME) {
            *failed = HLL_NOMEM;
            return 0;
        }
        e->whole = true;
        updated++;
    }
    size_t max = sparse_max(c);
    for (size_t i = 0; i < n; i++) {
        bool was_dense = hll_encoding(k->h.p) == HLL_DENSE;
        int rc = hll_set(&k->h, pairs[i].index, pairs[i].count, max);
        if (rc < HLL_SAME) {
            *failed = rc;
            break;
        }
        if (rc == HLL_CHANGED) {
            note_edit(e, was_dense, pairs[i].index);
            updated++;
        }
    }
    return updated;
}

/* Writes k's edits back: the changed registers and the cache's byte, or the whole value. */
static int store_edits(srv_client_t *c, fl_slice_t key, const hll_key_t *k, const edits_t *e)
{
    if (e->whole)
        return store(c, key, &k->h);
    size_t len;
    int rc = fl_str_setrange(c->ns, key, 15, (fl_slice_t){(const char *)k->h.p + 15, 1}, &len);
    for (size_t i = 0; i < e->n && rc == FL_OK; i++)
        rc = fl_str_setrange(c->ns, key, e->off[i],
                             (fl_slice_t){(const char *)k->h.p + e->off[i], e->bytes[i]}, &len);
    return rc;
}

static void pfadd_locked(srv_client_t *c, fl_slice_t key, const hll_pair_t *pairs, size_t n)
{
    hll_key_t k = {.pairs = pairs, .npairs = n};
    if (!load(c, key, &k))
        return;
    if (k.state == KEY_UNRAISED) {
        srv_reply_int(&c->out, 0);
        return;
    }
    edits_t e = {.n = 0};
    int failed;
    long updated = add_all(c, &k, pairs, n, &e, &failed);
    if (updated && failed == HLL_SAME)
        hll_cache_invalidate(k.h.p);
    int rc = updated && failed != HLL_NOMEM ? store_edits(c, key, &k, &e) : FL_OK;
    if (rc != FL_OK)
        srv_reply_status(c, rc);
    else if (failed != HLL_SAME)
        reply_failure(c, failed);
    else
        srv_reply_int(&c->out, updated ? 1 : 0);
    if (rc == FL_OK && failed == HLL_SAME && updated)
        srv_notify(c, SRV_NOTIFY_STRING, "pfadd", key);
    hll_free(&k.h);
}

/* PFADD key [element ...]: 1 when the key was created or an estimate may have changed. The
 * elements are hashed before the key is locked. */
static void cmd_pfadd(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    size_t n = (size_t)argc - 2;
    hll_pair_t one, *pairs = n <= 1 ? &one : malloc(n * sizeof(*pairs));
    if (!pairs) {
        srv_reply_status(c, FL_ENOMEM);
        return;
    }
    for (size_t i = 0; i < n; i++)
        pairs[i].count = hll_pattern(argv[2 + i].p, argv[2 + i].n, &pairs[i].index);
    bool own;
    if (batch_open(c, &argv[1], 1, &own)) {
        pfadd_locked(c, argv[1], pairs, n);
        batch_close(own);
    }
    if (pairs != &one)
        free(pairs);
}

/* ---- PFCOUNT ----------------------------------------------------------------------------------
 */

/* The union's estimate over several keys: nothing is written. */
static void count_union(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    uint8_t *max = calloc(1, HLL_REGISTERS);
    if (!max) {
        srv_reply_status(c, FL_ENOMEM);
        return;
    }
    hll_key_t k = {.state = KEY_MISSING};
    bool ok = true;
    for (int i = 1; i < argc && ok; i++) {
        ok = load(c, argv[i], &k);
        if (ok && k.state == KEY_HLL && hll_merge(max, k.h.p, k.h.len) != HLL_SAME) {
            srv_reply_error(&c->out, CORRUPT_ERR);
            ok = false;
        }
    }
    if (ok)
        srv_reply_int(&c->out, (long long)hll_count_registers(max));
    hll_free(&k.h);
    free(max);
}

/* One key's estimate: the cached one, or computed and cached in the value's header. */
static void count_one(srv_client_t *c, fl_slice_t key)
{
    hll_key_t k = {.want_card = true};
    if (!load(c, key, &k))
        return;
    uint64_t card = k.state == KEY_CACHED ? k.card : 0;
    if (k.state == KEY_HLL) {
        bool corrupt = false;
        card = hll_count(k.h.p, k.h.len, &corrupt);
        if (corrupt) {
            srv_reply_error(&c->out, CORRUPT_ERR);
            hll_free(&k.h);
            return;
        }
        hll_cache_set(k.h.p, card);
        size_t len;
        int rc = fl_str_setrange(c->ns, key, 8, (fl_slice_t){(const char *)k.h.p + 8, 8}, &len);
        if (rc != FL_OK) {
            srv_reply_status(c, rc);
            hll_free(&k.h);
            return;
        }
    }
    srv_reply_int(&c->out, (long long)card);
    hll_free(&k.h);
}

/* PFCOUNT key [key ...] */
static void cmd_pfcount(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool own;
    if (!batch_open(c, &argv[1], (size_t)argc - 1, &own))
        return;
    if (argc > 2)
        count_union(c, argc, argv);
    else
        count_one(c, argv[1]);
    batch_close(own);
}

/* ---- PFMERGE ----------------------------------------------------------------------------------
 */

/* The registers' maxima over argv[1..] into max (the destination is a source too); *dense when
 * one of them is dense; dest gets argv[1]'s value. False with the error sent. */
static bool merge_sources(srv_client_t *c, int argc, const fl_slice_t *argv, uint8_t *max,
                          bool *dense, hll_key_t *dest)
{
    hll_key_t k = {.state = KEY_MISSING};
    bool ok = true;
    for (int i = 1; i < argc && ok; i++) {
        hll_key_t *into = i == 1 ? dest : &k;
        ok = load(c, argv[i], into);
        if (!ok || into->state != KEY_HLL)
            continue;
        *dense |= hll_encoding(into->h.p) == HLL_DENSE;
        if (hll_merge(max, into->h.p, into->h.len) != HLL_SAME) {
            srv_reply_error(&c->out, CORRUPT_ERR);
            ok = false;
        }
    }
    hll_free(&k.h);
    return ok;
}

/* Raises dest's registers to max (created sparse when missing; dense when a source was). */
static int merge_into(srv_client_t *c, hll_key_t *dest, const uint8_t *max, bool dense)
{
    int rc = dest->state == KEY_MISSING ? hll_init(&dest->h) : HLL_SAME;
    if (rc == HLL_SAME && dense)
        rc = hll_to_dense(&dest->h);
    size_t limit = sparse_max(c);
    for (long i = 0; i < HLL_REGISTERS && rc >= HLL_SAME; i++)
        if (max[i])
            rc = hll_set(&dest->h, i, max[i], limit) == HLL_NOMEM ? HLL_NOMEM : HLL_SAME;
    if (rc < HLL_SAME)
        return rc;
    hll_cache_invalidate(dest->h.p);
    return HLL_SAME;
}

/* PFMERGE destkey [sourcekey ...] */
static void cmd_pfmerge(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    uint8_t *max = calloc(1, HLL_REGISTERS);
    if (!max) {
        srv_reply_status(c, FL_ENOMEM);
        return;
    }
    bool own, dense = false;
    if (!batch_open(c, &argv[1], (size_t)argc - 1, &own)) {
        free(max);
        return;
    }
    hll_key_t dest = {.state = KEY_MISSING};
    if (merge_sources(c, argc, argv, max, &dense, &dest)) {
        int rc = merge_into(c, &dest, max, dense);
        int st = rc == HLL_SAME ? store(c, argv[1], &dest.h) : FL_OK;
        if (rc != HLL_SAME)
            reply_failure(c, rc);
        else if (st != FL_OK)
            srv_reply_status(c, st);
        else
            srv_reply_ok(&c->out);
        if (rc == HLL_SAME && st == FL_OK) /* Redis: PFMERGE is told as a mass PFADD */
            srv_notify(c, SRV_NOTIFY_STRING, "pfadd", argv[1]);
    }
    batch_close(own);
    hll_free(&dest.h);
    free(max);
}

/* ---- PFDEBUG / PFSELFTEST ---------------------------------------------------------------------
 */

/* Converts a sparse k to dense and stores it: HLL_CHANGED, HLL_SAME (already dense), or a
 * failure (replied). */
static int debug_todense(srv_client_t *c, fl_slice_t key, hll_key_t *k)
{
    int rc = hll_to_dense(&k->h);
    if (rc < HLL_SAME) {
        reply_failure(c, rc);
        return rc;
    }
    int st = rc == HLL_CHANGED ? store(c, key, &k->h) : FL_OK;
    if (st != FL_OK) {
        srv_reply_status(c, st);
        return HLL_NOMEM;
    }
    return rc;
}

static void debug_decode(srv_client_t *c, const hll_key_t *k)
{
    if (hll_encoding(k->h.p) != HLL_SPARSE) {
        srv_reply_error(&c->out, "ERR HLL encoding is not sparse");
        return;
    }
    size_t n = hll_decode(k->h.p, k->h.len, NULL, 0);
    char *text = malloc(n + 1);
    if (!text) {
        srv_reply_status(c, FL_ENOMEM);
        return;
    }
    hll_decode(k->h.p, k->h.len, text, n + 1);
    srv_reply_bulk(&c->out, text, n);
    free(text);
}

/* PFDEBUG GETREG|DECODE|ENCODING|TODENSE key (the key is checked before the subcommand). */
static void pfdebug_key(srv_client_t *c, const fl_slice_t *argv, hll_key_t *k)
{
    if (!load(c, argv[2], k))
        return;
    if (k->state == KEY_MISSING) {
        srv_reply_error(&c->out, "ERR The specified key does not exist");
        return;
    }
    if (srv_slice_eq(argv[1], "getreg")) {
        if (debug_todense(c, argv[2], k) < HLL_SAME)
            return;
        srv_reply_array(&c->out, HLL_REGISTERS);
        for (long i = 0; i < HLL_REGISTERS; i++)
            srv_reply_int(&c->out, hll_dense_get(k->h.p, i));
    } else if (srv_slice_eq(argv[1], "decode")) {
        debug_decode(c, k);
    } else if (srv_slice_eq(argv[1], "encoding")) {
        srv_reply_simple(&c->out, hll_encoding(k->h.p) == HLL_DENSE ? "dense" : "sparse");
    } else if (srv_slice_eq(argv[1], "todense")) {
        int rc = debug_todense(c, argv[2], k);
        if (rc >= HLL_SAME)
            srv_reply_int(&c->out, rc == HLL_CHANGED);
    } else {
        srv_reply_errorf(&c->out, "ERR Unknown PFDEBUG subcommand '%.*s'", (int)argv[1].n,
                         argv[1].p);
    }
}

static void cmd_pfdebug(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    bool own;
    if (!batch_open(c, &argv[2], 1, &own))
        return;
    hll_key_t k = {.state = KEY_MISSING};
    pfdebug_key(c, argv, &k);
    batch_close(own);
    hll_free(&k.h);
}

/* PFSELFTEST: hll.c's self-test (about a second: 2 x 10^7 adds). */
static void cmd_pfselftest(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    (void)argc;
    (void)argv;
    char err[128];
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    uint64_t seed = (uint64_t)now.tv_nsec * 0x9e3779b97f4a7c15ULL ^ (uint64_t)now.tv_sec;
    if (hll_selftest(sparse_max(c), seed, err, sizeof(err)))
        srv_reply_ok(&c->out);
    else
        srv_reply_errorf(&c->out, "ERR %s", err);
}

/* This family's rows of the command table (commands.c merges the families). */
static const srv_cmd_t cmds[] = {
    {"pfadd", -2, SRV_CMD_WRITE | SRV_CMD_FAST, cmd_pfadd, 1, 1, 1, SRV_ACL_CAT(HYPERLOGLOG)},
    {"pfcount", -2, SRV_CMD_READONLY | SRV_CMD_MAY_WRITE, cmd_pfcount, 1, -1, 1,
     SRV_ACL_CAT(HYPERLOGLOG)},
    {"pfdebug", 3, SRV_CMD_WRITE | SRV_CMD_ADMIN | SRV_CMD_KEY_READ_ONLY, cmd_pfdebug, 2, 2, 1,
     SRV_ACL_CAT(HYPERLOGLOG)},
    {"pfmerge", -2, SRV_CMD_WRITE | SRV_CMD_KEY_READS_TOO | SRV_CMD_SOURCES_AFTER_FIRST,
     cmd_pfmerge, 1, -1, 1, SRV_ACL_CAT(HYPERLOGLOG)},
    {"pfselftest", 1, SRV_CMD_ADMIN, cmd_pfselftest, 0, 0, 0, SRV_ACL_CAT(HYPERLOGLOG)},
};
const srv_cmd_family_t srv_cmds_hll = {cmds, sizeof(cmds) / sizeof(cmds[0])};
