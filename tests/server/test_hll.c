/*
 * tests/server/test_hll.c: white-box tests of the HyperLogLog format (src/server/hll.c): a new
 * HLL's bytes, the bytes redis-server 7.0 leaves after PFADD of a..g, sparse and dense forms
 * agreeing register for register, opcode splits and joins, promotion by size and by value,
 * corrupt opcodes found by every walker, the dense register accessors, DECODE's text and the
 * self-test. tests/server/hll.sh checks the same format against a running redis-server.
 */
#include "../testhelper.h"
#include "hll.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NO_LIMIT ((size_t)1 << 40) /* hll-sparse-max-bytes that never promotes by size */

static void add_numbers(hll_t *h, long from, long to, size_t sparse_max)
{
    for (long i = from; i < to; i++) {
        char ele[24];
        int n = snprintf(ele, sizeof(ele), "%ld", i);
        CHECK(hll_add(h, ele, (size_t)n, sparse_max) >= HLL_SAME);
    }
}

static void decode(const hll_t *h, char *out, size_t cap)
{
    size_t n = hll_decode(h->p, h->len, out, cap);
    CHECK(n < cap);
}

TEST(new_hll_is_one_xzero)
{
    hll_t h = {0};
    CHECK_EQ_U(hll_init(&h), HLL_SAME);
    static const uint8_t want[] = {'H', 'Y', 'L', 'L', 1, 0, 0, 0,    0,
                                   0,   0,   0,   0,   0, 0, 0, 0x7f, 0xff};
    CHECK_EQ_U(h.len, sizeof(want));
    CHECK(memcmp(h.p, want, sizeof(want)) == 0);
    CHECK(hll_header_ok(h.p, h.len));
    uint64_t card = 1;
    CHECK(hll_cache_get(h.p, &card) && card == 0);
    hll_free(&h);
}

/* redis-server 7.0.15: PFADD k a b c d e f g, then GET k (before any PFCOUNT). */
TEST(redis_bytes_for_a_to_g)
{
    static const uint8_t body[] = {0x46, 0x6d, 0x80, 0x56, 0x0c, 0x80, 0x44, 0x3c,
                                   0x84, 0x38, 0x80, 0x50, 0xb1, 0x84, 0x49, 0x8c,
                                   0x80, 0x42, 0x6d, 0x80, 0x42, 0x5a};
    hll_t h = {0};
    CHECK_EQ_U(hll_init(&h), HLL_SAME);
    for (char c = 'a'; c <= 'g'; c++)
        CHECK_EQ_U(hll_add(&h, &c, 1, HLL_SPARSE_MAX_BYTES_DEFAULT), HLL_CHANGED);
    CHECK_EQ_U(h.len, HLL_HDR_SIZE + sizeof(body));
    CHECK(memcmp(h.p + HLL_HDR_SIZE, body, sizeof(body)) == 0);
    uint64_t card;
    CHECK(!hll_cache_get(h.p, &card)); /* a sparse edit marks the cache stale */
    bool corrupt = false;
    CHECK_EQ_U(hll_count(h.p, h.len, &corrupt), 7);
    CHECK(!corrupt);
    char text[256];
    decode(&h, text, sizeof(text));
    CHECK(strcmp(text, "Z:1646 v:1,1 Z:5645 v:1,1 Z:1085 v:2,1 z:57 v:1,1 Z:4274 v:2,1 Z:2445 "
                       "v:1,1 Z:622 v:1,1 Z:603") == 0);
    hll_free(&h);
}

TEST(split_and_join)
{
    hll_t h = {0};
    char text[128];
    CHECK_EQ_U(hll_init(&h), HLL_SAME);
    CHECK_EQ_U(hll_set(&h, 0, 3, NO_LIMIT), HLL_CHANGED);
    decode(&h, text, sizeof(text));
    CHECK(strcmp(text, "v:3,1 Z:16383") == 0);
    CHECK_EQ_U(hll_set(&h, 1, 3, NO_LIMIT), HLL_CHANGED); /* VAL VAL of one value: joined */
    decode(&h, text, sizeof(text));
    CHECK(strcmp(text, "v:3,2 Z:16382") == 0);
    CHECK_EQ_U(hll_set(&h, 1, 2, NO_LIMIT), HLL_SAME); /* never lowered */
    CHECK_EQ_U(hll_set(&h, 100, 5, NO_LIMIT), HLL_CHANGED);
    decode(&h, text, sizeof(text));
    CHECK(strcmp(text, "v:3,2 Z:98 v:5,1 Z:16283") == 0);
    CHECK_EQ_U(hll_set(&h, 0, 4, NO_LIMIT), HLL_CHANGED); /* a VAL run split */
    decode(&h, text, sizeof(text));
    CHECK(strcmp(text, "v:4,1 v:3,1 Z:98 v:5,1 Z:16283") == 0);
    CHECK_EQ_U(hll_encoding(h.p), HLL_SPARSE);
    CHECK_EQ_U(hll_set(&h, 7, 33, NO_LIMIT), HLL_CHANGED); /* too big for VAL: dense */
    CHECK_EQ_U(hll_encoding(h.p), HLL_DENSE);
    CHECK_EQ_U(h.len, HLL_DENSE_SIZE);
    CHECK_EQ_U(hll_dense_get(h.p, 0), 4);
    CHECK_EQ_U(hll_dense_get(h.p, 1), 3);
    CHECK_EQ_U(hll_dense_get(h.p, 7), 33);
    CHECK_EQ_U(hll_dense_get(h.p, 100), 5);
    CHECK_EQ_U(hll_dense_get(h.p, 16383), 0);
    hll_free(&h);
}

/* The same elements in a sparse and a dense HLL hold the same registers and estimates. */
TEST(sparse_and_dense_agree)
{
    static const long sizes[] = {1, 50, 1000, 20000};
    for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
        hll_t sparse = {0}, dense = {0};
        CHECK_EQ_U(hll_init(&sparse), HLL_SAME);
        CHECK_EQ_U(hll_init(&dense), HLL_SAME);
        CHECK_EQ_U(hll_to_dense(&dense), HLL_CHANGED);
        add_numbers(&sparse, 0, sizes[s], NO_LIMIT);
        add_numbers(&dense, 0, sizes[s], NO_LIMIT);
        bool corrupt = false;
        uint64_t a = hll_count(sparse.p, sparse.len, &corrupt);
        CHECK_EQ_U(a, hll_count(dense.p, dense.len, &corrupt));
        CHECK(!corrupt);
        uint8_t *max = calloc(1, HLL_REGISTERS);
        CHECK(max != NULL);
        CHECK_EQ_U(hll_merge(max, sparse.p, sparse.len), HLL_SAME);
        CHECK_EQ_U(hll_count_registers(max), a);
        for (long i = 0; i < HLL_REGISTERS; i++) {
            size_t bytes, off = hll_dense_offset(i, &bytes);
            CHECK(off + bytes <= HLL_DENSE_SIZE);
            CHECK_EQ_U(hll_dense_reg(dense.p + off, i), max[i]);
        }
        free(max);
        if (hll_encoding(sparse.p) == HLL_SPARSE)
            CHECK_EQ_U(hll_to_dense(&sparse), HLL_CHANGED);
        CHECK(memcmp(sparse.p + HLL_HDR_SIZE, dense.p + HLL_HDR_SIZE,
                     HLL_DENSE_SIZE - HLL_HDR_SIZE) == 0);
        hll_free(&sparse);
        hll_free(&dense);
    }
}

/* A sparse HLL turns dense on the edit that would take it past sparse_max bytes, not before. */
TEST(promotion_by_size)
{
    hll_t h = {0};
    CHECK_EQ_U(hll_init(&h), HLL_SAME);
    size_t longest = 0;
    for (long i = 0; i < 5000 && hll_encoding(h.p) == HLL_SPARSE; i++) {
        longest = h.len > longest ? h.len : longest;
        add_numbers(&h, i, i + 1, 300);
    }
    CHECK_EQ_U(hll_encoding(h.p), HLL_DENSE);
    CHECK(longest <= 300 && longest > 290);
    hll_free(&h);
}

static void set_bytes(hll_t *h, const uint8_t *ops, size_t n)
{
    CHECK_EQ_U(hll_init(h), HLL_SAME);
    memcpy(h->p + HLL_HDR_SIZE, ops, n);
    h->len = HLL_HDR_SIZE + n;
    h->p[h->len] = 0;
    hll_cache_invalidate(h->p);
}

/* Opcodes covering too few or too many registers: every walker says so. */
TEST(corrupt_opcodes)
{
    static const uint8_t short_run[] = {0x7f, 0xfe};       /* 16383 registers */
    static const uint8_t val_past[] = {0x7f, 0xff, 0x80};  /* 16384, then a VAL */
    static const uint8_t zero_past[] = {0x7f, 0xff, 0x00}; /* 16384, then a ZERO */
    static const uint8_t cut_xzero[] = {0x7f};             /* its second byte missing */
    const struct {
        const uint8_t *ops;
        size_t n;
    } cases[] = {{short_run, 2}, {val_past, 3}, {zero_past, 3}, {cut_xzero, 1}};
    uint8_t *max = calloc(1, HLL_REGISTERS);
    CHECK(max != NULL);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        hll_t h = {0};
        set_bytes(&h, cases[i].ops, cases[i].n);
        bool corrupt = false;
        hll_count(h.p, h.len, &corrupt);
        CHECK(corrupt);
        CHECK(hll_merge(max, h.p, h.len) == HLL_CORRUPT);
        hll_t copy = {0};
        set_bytes(&copy, cases[i].ops, cases[i].n);
        CHECK(hll_to_dense(&copy) == HLL_CORRUPT);
        CHECK_EQ_U(hll_encoding(copy.p), HLL_SPARSE); /* unchanged */
        hll_free(&copy);
        hll_free(&h);
    }
    hll_t h = {0};
    set_bytes(&h, short_run, sizeof(short_run));
    CHECK(hll_set(&h, 16383, 1, NO_LIMIT) == HLL_CORRUPT); /* not covered */
    CHECK_EQ_U(hll_set(&h, 5, 1, NO_LIMIT), HLL_CHANGED);  /* covered: edited */
    hll_free(&h);
    free(max);
}

TEST(header_checks)
{
    uint8_t v[HLL_DENSE_SIZE] = {'H', 'Y', 'L', 'L', 0};
    CHECK(hll_header_ok(v, HLL_DENSE_SIZE));
    CHECK(!hll_header_ok(v, HLL_DENSE_SIZE - 1)); /* dense of the wrong length */
    v[4] = 1;
    CHECK(hll_header_ok(v, 17));
    v[4] = 2;
    CHECK(!hll_header_ok(v, 17)); /* unknown encoding */
    v[4] = 1;
    v[3] = 'X';
    CHECK(!hll_header_ok(v, 17)); /* magic */
    hll_cache_set(v, 0x0123456789abcdefULL & ~(1ULL << 63));
    uint64_t card;
    CHECK(hll_cache_get(v, &card) && card == (0x0123456789abcdefULL & ~(1ULL << 63)));
    hll_cache_invalidate(v);
    CHECK(!hll_cache_get(v, &card));
}

TEST(decode_reports_needed_length)
{
    hll_t h = {0};
    CHECK_EQ_U(hll_init(&h), HLL_SAME);
    add_numbers(&h, 0, 40, NO_LIMIT);
    char small[24];
    size_t need = hll_decode(h.p, h.len, small, sizeof(small));
    CHECK(need >= sizeof(small));
    char *full = malloc(need + 1);
    CHECK(full != NULL);
    CHECK_EQ_U(hll_decode(h.p, h.len, full, need + 1), need);
    CHECK_EQ_U(strlen(full), need);
    CHECK(strncmp(full, small, strlen(small)) == 0); /* whole words, a prefix */
    CHECK(full[strlen(small)] == ' ');
    free(full);
    hll_free(&h);
}

TEST(selftest_passes)
{
    char err[128] = "";
    CHECK(hll_selftest(HLL_SPARSE_MAX_BYTES_DEFAULT, 42, err, sizeof(err)));
}

int main(void)
{
    RUN(new_hll_is_one_xzero);
    RUN(redis_bytes_for_a_to_g);
    RUN(split_and_join);
    RUN(sparse_and_dense_agree);
    RUN(promotion_by_size);
    RUN(corrupt_opcodes);
    RUN(header_checks);
    RUN(decode_reports_needed_length);
    RUN(selftest_passes);
    return TEST_REPORT();
}
