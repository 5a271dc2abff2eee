/*
 * src/persist/rdb_types.c: one encoder and one decoder per value type, in two tables, so a
 * new store type (lists, sets, sorted sets) is a new row and a pair of functions here.
 *
 * Encoders (store type -> RDB): strings as RDB_TYPE_STRING; hashes as RDB_TYPE_HASH (a count
 * and field/value strings), which every Redis since 2.x loads (and converts to a listpack
 * when small). Decoders (RDB type -> store): every encoding Redis 2.8-7.0 writes for the types
 * the store has: strings; hashes plain, listpack and ziplist; lists plain, ziplist, quicklist
 * of ziplists (RDB 7-9) and quicklist 2 (listpack and plain nodes); sets plain and intset;
 * sorted sets with text scores (RDB_TYPE_ZSET), binary scores, ziplist and listpack (the
 * packed containers are read by rdb_packed.c). Zipmap hashes (Redis before 2.6), streams and
 * modules have `load` NULL and, where the layout is simple, a `skip` (loading skips them only
 * when configured to; otherwise the load stops naming the key and the type).
 */
#include "fl_assert.h"
#include "flatline/collections.h"
#include "persist_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Redis 7.0's RDB type numbers. */
enum {
    RDB_TYPE_STRING = 0,
    RDB_TYPE_LIST = 1,
    RDB_TYPE_SET = 2,
    RDB_TYPE_ZSET = 3,
    RDB_TYPE_HASH = 4,
    RDB_TYPE_ZSET_2 = 5,
    RDB_TYPE_MODULE = 6,
    RDB_TYPE_MODULE_2 = 7,
    RDB_TYPE_HASH_ZIPMAP = 9,
    RDB_TYPE_LIST_ZIPLIST = 10,
    RDB_TYPE_SET_INTSET = 11,
    RDB_TYPE_ZSET_ZIPLIST = 12,
    RDB_TYPE_HASH_ZIPLIST = 13,
    RDB_TYPE_LIST_QUICKLIST = 14,
    RDB_TYPE_STREAM_LISTPACKS = 15,
    RDB_TYPE_HASH_LISTPACK = 16,
    RDB_TYPE_ZSET_LISTPACK = 17,
    RDB_TYPE_LIST_QUICKLIST_2 = 18,
    RDB_TYPE_STREAM_LISTPACKS_2 = 19,
};

/* ---- Encoders ---- */

/* Each encoder writes the RDB type byte, the key when with_key (a DUMP payload has none), then
 * the value. */
static void enc_string(flpi_buf_t *b, const fl_rec_view_t *v, bool with_key)
{
    flpi_buf_byte(b, RDB_TYPE_STRING);
    if (with_key)
        flpi_rdb_string(b, v->key.p, v->key.n);
    if (v->lzf.p)
        flpi_rdb_lzf(b, v->lzf, fl_value_len(v->val)); /* as the store keeps it: no recompression */
    else
        flpi_rdb_value(b, v->val);
}

static void enc_field(void *ctx, fl_slice_t f, fl_slice_t val)
{
    flpi_rdb_string(ctx, f.p, f.n);
    flpi_rdb_string(ctx, val.p, val.n);
}

static void enc_hash(flpi_buf_t *b, const fl_rec_view_t *v, bool with_key)
{
    flpi_buf_byte(b, RDB_TYPE_HASH);
    if (with_key)
        flpi_rdb_string(b, v->key.p, v->key.n);
    flpi_rdb_len(b, v->nfields);
    fl_rec_view_fields(v, enc_field, b);
}

static void enc_elem(void *ctx, fl_slice_t e, double score)
{
    (void)score;
    flpi_rdb_string(ctx, e.p, e.n);
}

static void enc_zelem(void *ctx, fl_slice_t e, double score)
{
    flpi_rdb_string(ctx, e.p, e.n);
    flpi_buf_put(ctx, &score, sizeof(score)); /* RDB_TYPE_ZSET_2: binary little-endian double */
}

/* Lists and sets as RDB_TYPE_LIST / RDB_TYPE_SET (a count and strings), sorted sets as
 * RDB_TYPE_ZSET_2: formats every Redis since 4.0 loads (converting small ones itself). */
static void enc_collection(flpi_buf_t *b, const fl_rec_view_t *v, bool with_key)
{
    flpi_buf_byte(b, v->type == FL_TYPE_LIST  ? RDB_TYPE_LIST
                     : v->type == FL_TYPE_SET ? RDB_TYPE_SET
                                              : RDB_TYPE_ZSET_2);
    if (with_key)
        flpi_rdb_string(b, v->key.p, v->key.n);
    flpi_rdb_len(b, v->nfields);
    fl_rec_view_elems(v, v->type == FL_TYPE_ZSET ? enc_zelem : enc_elem, b);
}

static const struct {
    fl_type_t type;
    void (*encode)(flpi_buf_t *b, const fl_rec_view_t *v, bool with_key);
} encoders[] = {
    {FL_TYPE_STRING, enc_string},  {FL_TYPE_HASH, enc_hash},       {FL_TYPE_LIST, enc_collection},
    {FL_TYPE_SET, enc_collection}, {FL_TYPE_ZSET, enc_collection},
};

static void encode(flpi_buf_t *b, const fl_rec_view_t *v, bool with_key)
{
    for (size_t i = 0; i < sizeof(encoders) / sizeof(encoders[0]); i++) {
        if (encoders[i].type == v->type) {
            encoders[i].encode(b, v, with_key);
            return;
        }
    }
    FL_ASSERT(!"a store type without an RDB encoder");
}

void flpi_rdb_encode_value(flpi_buf_t *b, const fl_rec_view_t *v)
{
    encode(b, v, true);
}

void flpi_rdb_encode_payload(flpi_buf_t *b, const fl_rec_view_t *v)
{
    encode(b, v, false);
}

/* ---- Decoders ---- */

/* The store refused a write of the key being loaded: the load fails, saying why. */
static void store_failed(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, int rc)
{
    if (c->store_status)
        *c->store_status = rc;
    flpi_rd_fail(r, "cannot store key '%.*s': %s", (int)key.n, key.p, fl_status_str(rc));
}

static int load_string(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    fl_slice_t v;
    char *owned = NULL;
    if (!flpi_rd_string(r, &v, &owned))
        return -1;
    int rc = FL_OK;
    if (c->ns) {
        fl_set_opts_t o = {.expire_at_ms = c->expire_at_ms};
        rc = fl_str_set(c->ns, key, v, &o, NULL);
    }
    free(owned);
    if (rc != FL_OK)
        store_failed(r, c, key, rc);
    return rc == FL_OK ? 0 : -1;
}

/* Field/value pairs batched into fl_hash_set calls. */
#define PAIRS 64
typedef struct hash_batch {
    fl_slice_t fv[2 * PAIRS];
    char *owned[2 * PAIRS];
    size_t n; /* slices held */
} hash_batch_t;

static int batch_flush(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, hash_batch_t *hb)
{
    int rc = FL_OK;
    size_t added;
    if (c->ns && hb->n)
        rc = fl_hash_set(c->ns, key, hb->fv, hb->n / 2, &added);
    for (size_t i = 0; i < hb->n; i++)
        free(hb->owned[i]);
    hb->n = 0;
    if (rc != FL_OK)
        store_failed(r, c, key, rc);
    return rc == FL_OK ? 0 : -1;
}

static int batch_add(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, hash_batch_t *hb,
                     fl_slice_t s, char *owned)
{
    hb->owned[hb->n] = owned;
    hb->fv[hb->n++] = s;
    return hb->n == 2 * PAIRS ? batch_flush(r, c, key, hb) : 0;
}

static int hash_done(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, hash_batch_t *hb)
{
    if (hb->n % 2) {
        flpi_rd_fail(r, "hash key '%.*s' has a field without a value", (int)key.n, key.p);
        for (size_t i = 0; i < hb->n; i++)
            free(hb->owned[i]);
        return -1;
    }
    if (batch_flush(r, c, key, hb) != 0)
        return -1;
    bool applied;
    if (c->ns && c->expire_at_ms)
        fl_key_expire_at(c->ns, key, c->expire_at_ms, &applied);
    return 0;
}

static int load_hash(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    hash_batch_t hb;
    hb.n = 0;
    uint64_t n = flpi_rd_len(r, NULL);
    for (uint64_t i = 0; i < 2 * n && !r->failed; i++) {
        fl_slice_t s;
        char *owned = NULL;
        if (!flpi_rd_string(r, &s, &owned) || batch_add(r, c, key, &hb, s, owned) != 0)
            break;
    }
    if (r->failed) {
        for (size_t i = 0; i < hb.n; i++)
            free(hb.owned[i]);
        return -1;
    }
    return hash_done(r, c, key, &hb);
}

/* A hash packed in a listpack or a ziplist (RDB_TYPE_HASH_LISTPACK / _ZIPLIST): fields and
 * values alternating. */
static int load_hash_pack(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, bool ziplist)
{
    fl_slice_t blob;
    char *owned = NULL;
    if (!flpi_rd_string(r, &blob, &owned))
        return -1;
    flpi_pack_t it;
    hash_batch_t hb;
    hb.n = 0;
    int rc = 0, more = 0;
    if (!flpi_pack_open(&it, blob, ziplist))
        more = -1;
    else
        while (rc == 0) {
            char num[FLPI_PACK_NUM];
            fl_slice_t e;
            if ((more = flpi_pack_next(&it, &e, num)) <= 0)
                break;
            char *copy = NULL;
            if (e.p == num) { /* integers live in num: give the batch its own copy */
                if (!(copy = malloc(e.n))) {
                    flpi_rd_fail(r, "out of memory");
                    rc = -1;
                    break;
                }
                memcpy(copy, num, e.n);
                e.p = copy;
            }
            rc = batch_add(r, c, key, &hb, e, copy);
        }
    if (rc == 0 && more < 0) {
        flpi_rd_fail(r, "hash key '%.*s': bad %s", (int)key.n, key.p,
                     ziplist ? "ziplist" : "listpack");
        rc = -1;
    }
    if (rc == 0)
        rc = hash_done(r, c, key, &hb);
    else
        for (size_t i = 0; i < hb.n; i++)
            free(hb.owned[i]);
    free(owned);
    return rc;
}

static int load_hash_listpack(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_hash_pack(r, c, key, false);
}
static int load_hash_ziplist(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_hash_pack(r, c, key, true);
}

/* Skippers for types the store lacks. */
static void skip_strings(flpi_rd_t *r, uint64_t n)
{
    for (uint64_t i = 0; i < n && !r->failed; i++) {
        fl_slice_t s;
        char *owned = NULL;
        flpi_rd_string(r, &s, &owned);
        free(owned);
    }
}
static void skip_one(flpi_rd_t *r)
{
    skip_strings(r, 1);
}
static void skip_list(flpi_rd_t *r)
{
    skip_strings(r, flpi_rd_len(r, NULL));
}
static void skip_hash(flpi_rd_t *r)
{
    skip_strings(r, 2 * flpi_rd_len(r, NULL));
}
static void skip_quicklist2(flpi_rd_t *r)
{
    uint64_t n = flpi_rd_len(r, NULL);
    for (uint64_t i = 0; i < n && !r->failed; i++) {
        flpi_rd_len(r, NULL); /* container kind */
        skip_one(r);
    }
}
static void skip_zset(flpi_rd_t *r) /* member, score as a length-prefixed text double */
{
    uint64_t n = flpi_rd_len(r, NULL);
    for (uint64_t i = 0; i < n && !r->failed; i++) {
        skip_one(r);
        const uint8_t *l = flpi_rd_bytes(r, 1);
        if (l && *l < 253)
            flpi_rd_bytes(r, *l);
    }
}
static void skip_zset2(flpi_rd_t *r) /* member, binary double */
{
    uint64_t n = flpi_rd_len(r, NULL);
    for (uint64_t i = 0; i < n && !r->failed; i++) {
        skip_one(r);
        flpi_rd_bytes(r, 8);
    }
}

/* Stores one element of a list (appended), set or sorted set. */
static int store_elem(const flpi_load_ctx_t *c, fl_slice_t key, fl_type_t type, fl_slice_t e,
                      double score)
{
    size_t done, changed;
    if (!c->ns)
        return FL_OK;
    if (type == FL_TYPE_LIST)
        return fl_list_push(c->ns, key, true, &e, 1, false, &done);
    if (type == FL_TYPE_SET)
        return fl_set_add(c->ns, key, &e, 1, &done);
    return fl_zset_add(c->ns, key, 0, &score, &e, 1, &done, &changed, NULL, NULL);
}

/* After the last element: the key's deadline, or the error. */
static int elems_done(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, int rc)
{
    if (r->failed)
        return -1;
    if (rc == FL_OK && c->ns && c->expire_at_ms)
        rc = fl_key_expire_at(c->ns, key, c->expire_at_ms, NULL);
    if (rc != FL_OK) {
        store_failed(r, c, key, rc);
        return -1;
    }
    return 0;
}

/* The elements packed in one listpack or ziplist blob; a sorted set's alternate member and
 * score. *rc: the store's status. False when the blob is damaged (r failed). */
static bool pack_elems(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, fl_type_t type,
                       fl_slice_t blob, bool ziplist, int *rc)
{
    flpi_pack_t it;
    int more = flpi_pack_open(&it, blob, ziplist) ? 1 : -1;
    while (more > 0 && *rc == FL_OK) {
        char num[FLPI_PACK_NUM], snum[FLPI_PACK_NUM];
        fl_slice_t e, t;
        double score = 0;
        if ((more = flpi_pack_next(&it, &e, num)) <= 0)
            break;
        if (type == FL_TYPE_ZSET &&
            (flpi_pack_next(&it, &t, snum) != 1 || !flpi_parse_score(t, &score))) {
            more = -1;
            break;
        }
        *rc = store_elem(c, key, type, e, score);
    }
    if (more < 0)
        flpi_rd_fail(r, "key '%.*s': bad %s", (int)key.n, key.p, ziplist ? "ziplist" : "listpack");
    return more >= 0;
}

/* RDB_TYPE_LIST / RDB_TYPE_SET / RDB_TYPE_ZSET_2: a count, then strings (each followed by a
 * binary double for a sorted set), stored one element at a time. */
static int load_elems(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, fl_type_t type)
{
    uint64_t n = flpi_rd_len(r, NULL);
    int rc = FL_OK;
    for (uint64_t i = 0; i < n && !r->failed && rc == FL_OK; i++) {
        fl_slice_t s;
        char *owned = NULL;
        if (!flpi_rd_string(r, &s, &owned))
            break;
        double score = 0;
        if (type == FL_TYPE_ZSET) {
            const uint8_t *d = flpi_rd_bytes(r, sizeof(score));
            if (!d) {
                free(owned);
                break;
            }
            memcpy(&score, d, sizeof(score));
        }
        rc = store_elem(c, key, type, s, score);
        free(owned);
    }
    return elems_done(r, c, key, rc);
}

static int load_list(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_elems(r, c, key, FL_TYPE_LIST);
}
static int load_set(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_elems(r, c, key, FL_TYPE_SET);
}
static int load_zset2(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_elems(r, c, key, FL_TYPE_ZSET);
}

/* One string holding a listpack or a ziplist of elements. */
static int load_packed(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, fl_type_t type,
                       bool ziplist)
{
    fl_slice_t blob;
    char *owned = NULL;
    int rc = FL_OK;
    if (flpi_rd_string(r, &blob, &owned))
        pack_elems(r, c, key, type, blob, ziplist, &rc);
    free(owned);
    return elems_done(r, c, key, rc);
}

static int load_list_ziplist(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_packed(r, c, key, FL_TYPE_LIST, true);
}
static int load_zset_ziplist(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_packed(r, c, key, FL_TYPE_ZSET, true);
}
static int load_zset_listpack(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_packed(r, c, key, FL_TYPE_ZSET, false);
}

/* RDB_TYPE_LIST_QUICKLIST (ziplist nodes) and _QUICKLIST_2 (each node a container kind, 1 =
 * one plain element, 2 = a listpack, then the node's string). */
static int load_quicklist(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key, bool v2)
{
    uint64_t nodes = flpi_rd_len(r, NULL);
    int rc = FL_OK;
    for (uint64_t i = 0; i < nodes && !r->failed && rc == FL_OK; i++) {
        uint64_t kind = v2 ? flpi_rd_len(r, NULL) : 2;
        if (v2 && kind != 1 && kind != 2 && !r->failed)
            flpi_rd_fail(r, "list key '%.*s': quicklist node of kind %llu", (int)key.n, key.p,
                         (unsigned long long)kind);
        fl_slice_t blob;
        char *owned = NULL;
        if (r->failed || !flpi_rd_string(r, &blob, &owned))
            break;
        if (kind == 1)
            rc = store_elem(c, key, FL_TYPE_LIST, blob, 0);
        else
            pack_elems(r, c, key, FL_TYPE_LIST, blob, !v2, &rc);
        free(owned);
    }
    return elems_done(r, c, key, rc);
}

static int load_quicklist1(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_quicklist(r, c, key, false);
}
static int load_quicklist2(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    return load_quicklist(r, c, key, true);
}

/* RDB_TYPE_SET_INTSET: the set's integers in one string. */
static int load_set_intset(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    fl_slice_t blob;
    char *owned = NULL;
    int rc = FL_OK;
    if (flpi_rd_string(r, &blob, &owned)) {
        unsigned width;
        size_t n = flpi_intset_open(blob, &width);
        if (n == SIZE_MAX)
            flpi_rd_fail(r, "set key '%.*s': bad intset", (int)key.n, key.p);
        for (size_t i = 0; n != SIZE_MAX && i < n && rc == FL_OK; i++) {
            char num[FLPI_PACK_NUM];
            rc = store_elem(c, key, FL_TYPE_SET, flpi_intset_get(blob, width, i, num), 0);
        }
    }
    free(owned);
    return elems_done(r, c, key, rc);
}

/* RDB_TYPE_ZSET (before RDB 8): members with their scores as text after a length byte (253:
 * NaN, 254: +inf, 255: -inf). */
static int load_zset1(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    uint64_t n = flpi_rd_len(r, NULL);
    int rc = FL_OK;
    for (uint64_t i = 0; i < n && !r->failed && rc == FL_OK; i++) {
        fl_slice_t m;
        char *owned = NULL;
        if (!flpi_rd_string(r, &m, &owned))
            break;
        const uint8_t *l = flpi_rd_bytes(r, 1);
        double score = 0;
        const uint8_t *t = l && *l < 253 ? flpi_rd_bytes(r, *l) : NULL;
        if (l && *l == 254)
            score = HUGE_VAL;
        else if (l && *l == 255)
            score = -HUGE_VAL;
        else if (!t || !flpi_parse_score((fl_slice_t){(const char *)t, *l}, &score))
            flpi_rd_fail(r, "zset key '%.*s': bad score", (int)key.n, key.p);
        if (!r->failed)
            rc = store_elem(c, key, FL_TYPE_ZSET, m, score);
        free(owned);
    }
    return elems_done(r, c, key, rc);
}

static const flpi_rdb_type_t decoders[] = {
    {RDB_TYPE_STRING, "string", load_string, skip_one},
    {RDB_TYPE_HASH, "hash", load_hash, skip_hash},
    {RDB_TYPE_HASH_LISTPACK, "hash (listpack)", load_hash_listpack, skip_one},
    {RDB_TYPE_HASH_ZIPMAP, "hash (zipmap)", NULL, skip_one},
    {RDB_TYPE_HASH_ZIPLIST, "hash (ziplist)", load_hash_ziplist, skip_one},
    {RDB_TYPE_LIST, "list", load_list, skip_list},
    {RDB_TYPE_LIST_ZIPLIST, "list (ziplist)", load_list_ziplist, skip_one},
    {RDB_TYPE_LIST_QUICKLIST, "list (quicklist)", load_quicklist1, skip_list},
    {RDB_TYPE_LIST_QUICKLIST_2, "list (quicklist)", load_quicklist2, skip_quicklist2},
    {RDB_TYPE_SET, "set", load_set, skip_list},
    {RDB_TYPE_SET_INTSET, "set (intset)", load_set_intset, skip_one},
    {RDB_TYPE_ZSET, "zset", load_zset1, skip_zset},
    {RDB_TYPE_ZSET_2, "zset", load_zset2, skip_zset2},
    {RDB_TYPE_ZSET_ZIPLIST, "zset (ziplist)", load_zset_ziplist, skip_one},
    {RDB_TYPE_ZSET_LISTPACK, "zset (listpack)", load_zset_listpack, skip_one},
    {RDB_TYPE_MODULE, "module", NULL, NULL},
    {RDB_TYPE_MODULE_2, "module", NULL, NULL},
    {RDB_TYPE_STREAM_LISTPACKS, "stream", NULL, NULL},
    {RDB_TYPE_STREAM_LISTPACKS_2, "stream", NULL, NULL},
};

const flpi_rdb_type_t *flpi_rdb_type_find(uint8_t rdb_type)
{
    for (size_t i = 0; i < sizeof(decoders) / sizeof(decoders[0]); i++)
        if (decoders[i].rdb_type == rdb_type)
            return &decoders[i];
    return NULL;
}
