/*
 * src/server/digest.c: digests of values and of the dataset for DEBUG DIGEST-VALUE / DIGEST
 * (digest.h). Two primitives, as in Redis: xor_digest (d ^= SHA1(data): order-free) and
 * mix_digest (d = SHA1(d ^ SHA1(data)): order-dependent). A value's digest mixes its type, then
 * its content: a string's bytes; a list's elements in order; a sorted set's (member, score as
 * "%.17g") pairs each digested alone then xored in; a set's members and a hash's (field, value)
 * pairs xored in; then a "!!expire!!" xor when the key has a TTL. The values are read through
 * the store's views (fl_key_view, fl_ns_each_view) under the partition's lock.
 */
#include "digest.h"

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "fl_assert.h"

static void sha1(const void *p, size_t n, unsigned char out[SRV_DIGEST_LEN])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha1(), NULL);
    memcpy(out, md, SRV_DIGEST_LEN);
}

/* SHA1 of a store value, one span or two (a large string), as of its bytes joined. */
static void sha1_value(fl_value_t v, unsigned char out[SRV_DIGEST_LEN])
{
    if (!v.tail.n) {
        sha1(v.head.p, v.head.n, out);
        return;
    }
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned len = 0;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    FL_ASSERT(c != NULL); /* a small allocation: a digest has no error to return */
    EVP_DigestInit_ex(c, EVP_sha1(), NULL);
    EVP_DigestUpdate(c, v.head.p, v.head.n);
    EVP_DigestUpdate(c, v.tail.p, v.tail.n);
    EVP_DigestFinal_ex(c, md, &len);
    EVP_MD_CTX_free(c);
    memcpy(out, md, SRV_DIGEST_LEN);
}

static void xor_value(unsigned char *d, fl_value_t v)
{
    unsigned char h[SRV_DIGEST_LEN];
    sha1_value(v, h);
    for (int i = 0; i < SRV_DIGEST_LEN; i++)
        d[i] ^= h[i];
}

static void xor_digest(unsigned char *d, const void *p, size_t n)
{
    xor_value(d, (fl_value_t){{p, n}, {NULL, 0}});
}

/* d = SHA1(d ^ SHA1(value)) */
static void mix_value(unsigned char *d, fl_value_t v)
{
    xor_value(d, v);
    sha1(d, SRV_DIGEST_LEN, d);
}

static void mix_digest(unsigned char *d, const void *p, size_t n)
{
    mix_value(d, (fl_value_t){{p, n}, {NULL, 0}});
}

/* A set member or list element (score unused). */
static void elem_ordered(void *ctx, fl_slice_t e, double score)
{
    (void)score;
    mix_digest(ctx, e.p, e.n);
}

static void elem_unordered(void *ctx, fl_slice_t e, double score)
{
    (void)score;
    xor_digest(ctx, e.p, e.n);
}

static void elem_scored(void *ctx, fl_slice_t e, double score)
{
    unsigned char one[SRV_DIGEST_LEN] = {0};
    char buf[64];
    int n = snprintf(buf, sizeof(buf), "%.17g", score);
    mix_digest(one, e.p, e.n);
    mix_digest(one, buf, (size_t)n);
    for (int i = 0; i < SRV_DIGEST_LEN; i++)
        ((unsigned char *)ctx)[i] ^= one[i];
}

static void field_pair(void *ctx, fl_slice_t field, fl_slice_t val)
{
    unsigned char one[SRV_DIGEST_LEN] = {0};
    mix_digest(one, field.p, field.n);
    mix_digest(one, val.p, val.n);
    for (int i = 0; i < SRV_DIGEST_LEN; i++)
        ((unsigned char *)ctx)[i] ^= one[i];
}

/* Mixes view v's type, content and TTL flag into d (Redis's xorObjectDigest). */
static void value_digest(void *d, const fl_rec_view_t *v)
{
    uint32_t type = htonl((uint32_t)v->type);
    mix_digest(d, &type, sizeof(type));
    switch (v->type) {
    case FL_TYPE_STRING:
        mix_value(d, v->val);
        break;
    case FL_TYPE_HASH:
        fl_rec_view_fields(v, field_pair, d);
        break;
    case FL_TYPE_LIST:
        fl_rec_view_elems(v, elem_ordered, d);
        break;
    case FL_TYPE_SET:
        fl_rec_view_elems(v, elem_unordered, d);
        break;
    case FL_TYPE_ZSET:
        fl_rec_view_elems(v, elem_scored, d);
        break;
    case FL_TYPE_NONE:
        break;
    }
    if (v->expire_at_ms)
        xor_digest(d, "!!expire!!", 10);
}

void srv_digest_value(fl_ns_t *ns, fl_slice_t key, unsigned char out[SRV_DIGEST_LEN])
{
    bool found;
    memset(out, 0, SRV_DIGEST_LEN);
    fl_key_view(ns, key, FL_LOOKUP_QUIET, value_digest, out, &found);
}

/* A namespace's keys: their digests xored together, and how many. */
typedef struct ns_digest {
    unsigned char d[SRV_DIGEST_LEN];
    size_t keys;
} ns_digest_t;

/* One key of the dataset: its own digest (key, then value) xored into the namespace's. */
static void key_digest(void *ctx, const fl_rec_view_t *v)
{
    ns_digest_t *nd = ctx;
    unsigned char d[SRV_DIGEST_LEN] = {0};
    mix_digest(d, v->key.p, v->key.n);
    value_digest(d, v);
    for (int i = 0; i < SRV_DIGEST_LEN; i++)
        nd->d[i] ^= d[i];
    nd->keys++;
}

void srv_digest_dataset(fl_store_t *store, unsigned char out[SRV_DIGEST_LEN])
{
    bool own = !fl_batch_active() && fl_batch_begin(store, NULL, 0, true) == FL_OK;
    memset(out, 0, SRV_DIGEST_LEN);
    for (size_t i = 0; i < fl_store_ns_count(store); i++) {
        ns_digest_t nd = {{0}, 0};
        fl_ns_each_view(fl_store_ns(store, i), key_digest, &nd);
        if (nd.keys == 0)
            continue; /* an empty namespace changes nothing (Redis skips empty databases) */
        uint32_t id = htonl((uint32_t)i);
        mix_digest(out, &id, sizeof(id));
        for (int j = 0; j < SRV_DIGEST_LEN; j++)
            out[j] ^= nd.d[j];
    }
    if (own)
        fl_batch_end();
}

void srv_digest_hex(const unsigned char d[SRV_DIGEST_LEN], char out[2 * SRV_DIGEST_LEN + 1])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < SRV_DIGEST_LEN; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[2 * SRV_DIGEST_LEN] = '\0';
}
