/*
 * src/persist/rdb_types.c: one encoder and one decoder per value type, in two tables, so a
 * new store type (lists, sets, sorted sets) is a new row and a pair of functions here.
 *
 * Encoders (store type -> RDB): strings as RDB_TYPE_STRING; hashes as RDB_TYPE_HASH (a count
 * and field/value strings), which every Redis since 2.x loads (and converts to a listpack
 * when small). Decoders (RDB type -> store): strings; hashes as RDB_TYPE_HASH and as Redis
 * 7.0's RDB_TYPE_HASH_LISTPACK. Types the store lacks have `load` NULL and, where the layout
 * is simple, a `skip` (aof/rdb loading skips them only when configured to; otherwise the load
 * stops naming the key and the type).
 */
#include "fl_assert.h"
#include "flatline/collections.h"
#include "persist_internal.h"

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

static void enc_string(flpi_buf_t *b, const fl_rec_view_t *v)
{
    flpi_buf_byte(b, RDB_TYPE_STRING);
    flpi_rdb_string(b, v->key.p, v->key.n);
    flpi_rdb_value(b, v->val);
}

static void enc_field(void *ctx, fl_slice_t f, fl_slice_t val)
{
    flpi_rdb_string(ctx, f.p, f.n);
    flpi_rdb_string(ctx, val.p, val.n);
}

static void enc_hash(flpi_buf_t *b, const fl_rec_view_t *v)
{
    flpi_buf_byte(b, RDB_TYPE_HASH);
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
static void enc_collection(flpi_buf_t *b, const fl_rec_view_t *v)
{
    flpi_buf_byte(b, v->type == FL_TYPE_LIST  ? RDB_TYPE_LIST
                     : v->type == FL_TYPE_SET ? RDB_TYPE_SET
                                              : RDB_TYPE_ZSET_2);
    flpi_rdb_string(b, v->key.p, v->key.n);
    flpi_rdb_len(b, v->nfields);
    fl_rec_view_elems(v, v->type == FL_TYPE_ZSET ? enc_zelem : enc_elem, b);
}

static const struct {
    fl_type_t type;
    void (*encode)(flpi_buf_t *b, const fl_rec_view_t *v);
} encoders[] = {
    {FL_TYPE_STRING, enc_string},  {FL_TYPE_HASH, enc_hash},       {FL_TYPE_LIST, enc_collection},
    {FL_TYPE_SET, enc_collection}, {FL_TYPE_ZSET, enc_collection},
};

void flpi_rdb_encode_value(flpi_buf_t *b, const fl_rec_view_t *v)
{
    for (size_t i = 0; i < sizeof(encoders) / sizeof(encoders[0]); i++) {
        if (encoders[i].type == v->type) {
            encoders[i].encode(b, v);
            return;
        }
    }
    FL_ASSERT(!"a store type without an RDB encoder");
}

/* ---- Decoders ---- */

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
        flpi_rd_fail(r, "cannot store string key '%.*s': %s", (int)key.n, key.p, fl_status_str(rc));
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
        flpi_rd_fail(r, "cannot store hash key '%.*s': %s", (int)key.n, key.p, fl_status_str(rc));
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

/* One listpack entry at *p (bounds-checked against end): a string slice, or an integer
 * printed into num. Advances *p past the entry and its back-length. */
static bool lp_entry(const uint8_t **pp, const uint8_t *end, fl_slice_t *s, char *num)
{
    const uint8_t *p = *pp;
    if (p >= end)
        return false;
    uint8_t b = p[0];
    int64_t v = 0;
    size_t hdr = 0, len = 0;
    bool is_int = false;
    if ((b & 0x80) == 0) {
        v = b & 0x7f, hdr = 1, is_int = true;
    } else if ((b & 0xC0) == 0x80) {
        hdr = 1, len = b & 0x3f;
    } else if ((b & 0xE0) == 0xC0) {
        if (end - p < 2)
            return false;
        uint16_t u = (uint16_t)(((b & 0x1f) << 8) | p[1]);
        v = u >= 1 << 12 ? (int64_t)u - (1 << 13) : u, hdr = 2, is_int = true;
    } else if ((b & 0xF0) == 0xE0) {
        if (end - p < 2)
            return false;
        hdr = 2, len = (size_t)((b & 0x0f) << 8) | p[1];
    } else if (b == 0xF0) {
        if (end - p < 5)
            return false;
        hdr = 5, len = (size_t)p[1] | (size_t)p[2] << 8 | (size_t)p[3] << 16 | (size_t)p[4] << 24;
    } else if (b >= 0xF1 && b <= 0xF4) {
        static const size_t bytes[] = {2, 3, 4, 8};
        size_t k = bytes[b - 0xF1];
        if ((size_t)(end - p) < 1 + k)
            return false;
        uint64_t u = 0;
        for (size_t i = 0; i < k; i++)
            u |= (uint64_t)p[1 + i] << (8 * i);
        if (k < 8 && (u >> (8 * k - 1)) & 1)
            u |= ~0ULL << (8 * k); /* sign-extend */
        v = (int64_t)u, hdr = 1 + k, is_int = true;
    } else {
        return false;
    }
    size_t entry = hdr + len;
    if ((size_t)(end - p) < entry)
        return false;
    size_t back = entry < 128         ? 1
                  : entry < 16384     ? 2
                  : entry < 2097152   ? 3
                  : entry < 268435456 ? 4
                                      : 5;
    if ((size_t)(end - p) < entry + back)
        return false;
    if (is_int) {
        int n = snprintf(num, 24, "%lld", (long long)v);
        *s = (fl_slice_t){num, (size_t)n};
    } else {
        *s = (fl_slice_t){(const char *)p + hdr, len};
    }
    *pp = p + entry + back;
    return true;
}

static int load_hash_listpack(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key)
{
    fl_slice_t lp;
    char *owned = NULL;
    if (!flpi_rd_string(r, &lp, &owned))
        return -1;
    const uint8_t *p = (const uint8_t *)lp.p, *end = p + lp.n;
    hash_batch_t hb;
    hb.n = 0;
    int rc = 0;
    if (lp.n < 7 || p[lp.n - 1] != 0xFF) {
        flpi_rd_fail(r, "hash key '%.*s': bad listpack", (int)key.n, key.p);
        rc = -1;
    }
    p += 6;
    end -= 1;
    while (rc == 0 && p < end) {
        char num[24];
        fl_slice_t s;
        if (!lp_entry(&p, end, &s, num)) {
            flpi_rd_fail(r, "hash key '%.*s': bad listpack entry", (int)key.n, key.p);
            rc = -1;
            break;
        }
        char *copy = NULL;
        if (s.p == num) { /* integers live in num: give the batch its own copy */
            copy = malloc(s.n);
            if (!copy) {
                flpi_rd_fail(r, "out of memory");
                rc = -1;
                break;
            }
            memcpy(copy, num, s.n);
            s.p = copy;
        }
        rc = batch_add(r, c, key, &hb, s, copy);
    }
    if (rc == 0)
        rc = hash_done(r, c, key, &hb);
    else
        for (size_t i = 0; i < hb.n; i++)
            free(hb.owned[i]);
    free(owned);
    return rc;
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
        size_t done, changed;
        if (c->ns && type == FL_TYPE_LIST)
            rc = fl_list_push(c->ns, key, true, &s, 1, false, &done);
        else if (c->ns && type == FL_TYPE_SET)
            rc = fl_set_add(c->ns, key, &s, 1, &done);
        else if (c->ns)
            rc = fl_zset_add(c->ns, key, 0, &score, &s, 1, &done, &changed, NULL, NULL);
        free(owned);
    }
    if (r->failed)
        return -1;
    if (rc == FL_OK && c->ns && c->expire_at_ms)
        rc = fl_key_expire_at(c->ns, key, c->expire_at_ms, NULL);
    if (rc != FL_OK) {
        flpi_rd_fail(r, "cannot store key '%.*s': %s", (int)key.n, key.p, fl_status_str(rc));
        return -1;
    }
    return 0;
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

static const flpi_rdb_type_t decoders[] = {
    {RDB_TYPE_STRING, "string", load_string, skip_one},
    {RDB_TYPE_HASH, "hash", load_hash, skip_hash},
    {RDB_TYPE_HASH_LISTPACK, "hash (listpack)", load_hash_listpack, skip_one},
    {RDB_TYPE_HASH_ZIPMAP, "hash (zipmap)", NULL, skip_one},
    {RDB_TYPE_HASH_ZIPLIST, "hash (ziplist)", NULL, skip_one},
    {RDB_TYPE_LIST, "list", load_list, skip_list},
    {RDB_TYPE_LIST_ZIPLIST, "list (ziplist)", NULL, skip_one},
    {RDB_TYPE_LIST_QUICKLIST, "list (quicklist)", NULL, skip_list},
    {RDB_TYPE_LIST_QUICKLIST_2, "list (quicklist)", NULL, skip_quicklist2},
    {RDB_TYPE_SET, "set", load_set, skip_list},
    {RDB_TYPE_SET_INTSET, "set (intset)", NULL, skip_one},
    {RDB_TYPE_ZSET, "zset", NULL, skip_zset},
    {RDB_TYPE_ZSET_2, "zset", load_zset2, skip_zset2},
    {RDB_TYPE_ZSET_ZIPLIST, "zset (ziplist)", NULL, skip_one},
    {RDB_TYPE_ZSET_LISTPACK, "zset (listpack)", NULL, skip_one},
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
