/*
 * src/persist/rdb_write.c: RDB version 10 encoding, as redis-server 7.0 writes it: length
 * encodings, strings (integer-encoded when short and numeric, LZF-compressed above 20 bytes
 * when that saves space, raw otherwise), the header with its aux fields, SELECTDB and the
 * per-key prefix (expiry in ms, type, key). Values go through the per-type encoders
 * (rdb_types.c). Pure functions over a buffer: no I/O, no locks.
 */
#include "persist_internal.h"

#include <liblzf/lzf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ENC_INT8 = 0, ENC_INT16 = 1, ENC_INT32 = 2, ENC_LZF = 3 };

void flpi_rdb_len(flpi_buf_t *b, uint64_t n)
{
    uint8_t t[9];
    if (n < 64) {
        flpi_buf_byte(b, (uint8_t)n);
    } else if (n < 16384) {
        t[0] = (uint8_t)(0x40 | (n >> 8));
        t[1] = (uint8_t)n;
        flpi_buf_put(b, t, 2);
    } else if (n <= UINT32_MAX) {
        t[0] = 0x80;
        for (int i = 0; i < 4; i++)
            t[1 + i] = (uint8_t)(n >> (24 - 8 * i));
        flpi_buf_put(b, t, 5);
    } else {
        t[0] = 0x81;
        for (int i = 0; i < 8; i++)
            t[1 + i] = (uint8_t)(n >> (56 - 8 * i));
        flpi_buf_put(b, t, 9);
    }
}

/* Strict base-10 int64 that prints back to the same text (so the encoding is lossless). */
static bool as_int(const char *p, size_t n, long long *v)
{
    if (n == 0 || n > 11)
        return false;
    char tmp[12], back[24];
    memcpy(tmp, p, n);
    tmp[n] = '\0';
    char *end;
    long long x = strtoll(tmp, &end, 10);
    if (*end || snprintf(back, sizeof(back), "%lld", x) != (int)n || memcmp(back, p, n) != 0)
        return false;
    *v = x;
    return true;
}

static bool put_int(flpi_buf_t *b, long long v)
{
    uint8_t t[5];
    size_t n;
    if (v >= INT8_MIN && v <= INT8_MAX) {
        t[0] = 0xC0 | ENC_INT8;
        t[1] = (uint8_t)v;
        n = 2;
    } else if (v >= INT16_MIN && v <= INT16_MAX) {
        t[0] = 0xC0 | ENC_INT16;
        t[1] = (uint8_t)v;
        t[2] = (uint8_t)(v >> 8);
        n = 3;
    } else if (v >= INT32_MIN && v <= INT32_MAX) {
        t[0] = 0xC0 | ENC_INT32;
        for (int i = 0; i < 4; i++)
            t[1 + i] = (uint8_t)((uint64_t)v >> (8 * i));
        n = 5;
    } else {
        return false;
    }
    flpi_buf_put(b, t, n);
    return true;
}

/* An RDB LZF string: clen compressed bytes that expand to n. */
static void lzf_string(flpi_buf_t *b, const char *lzf, size_t clen, size_t n)
{
    flpi_buf_byte(b, 0xC0 | ENC_LZF);
    flpi_rdb_len(b, clen);
    flpi_rdb_len(b, n);
    flpi_buf_put(b, lzf, clen);
}

static bool put_lzf(flpi_buf_t *b, const char *p, size_t n)
{
    if (n <= 20 || n > UINT32_MAX)
        return false;
    size_t cap = n - 4;
    char stack[4096];
    char *out = cap <= sizeof(stack) ? stack : malloc(cap);
    if (!out)
        return false;
    unsigned c = lzf_compress(p, (unsigned)n, out, (unsigned)cap);
    if (c > 0)
        lzf_string(b, out, c, n);
    if (out != stack)
        free(out);
    return c > 0;
}

void flpi_rdb_lzf(flpi_buf_t *b, fl_slice_t lzf, size_t n)
{
    lzf_string(b, lzf.p, lzf.n, n);
}

void flpi_rdb_string(flpi_buf_t *b, const char *p, size_t n)
{
    long long v;
    if (as_int(p, n, &v) && put_int(b, v))
        return;
    if (put_lzf(b, p, n))
        return;
    flpi_rdb_len(b, n);
    flpi_buf_put(b, p, n);
}

void flpi_rdb_value(flpi_buf_t *b, fl_value_t v)
{
    if (!v.tail.n) {
        flpi_rdb_string(b, v.head.p, v.head.n);
        return;
    }
    size_t n = fl_value_len(v);
    char *flat = malloc(n); /* scratch: the writer's private arena */
    if (!flat) {
        b->failed = true;
        return;
    }
    fl_value_copy(v, 0, n, flat);
    flpi_rdb_string(b, flat, n);
    free(flat);
}

static void aux(flpi_buf_t *b, const char *k, const char *v)
{
    flpi_buf_byte(b, FLPI_RDB_OPCODE_AUX);
    flpi_rdb_string(b, k, strlen(k));
    flpi_rdb_string(b, v, strlen(v));
}

void flpi_rdb_header(flpi_buf_t *b, bool aof_base)
{
    char num[32];
    flpi_buf_put(b, "REDIS0010", 9);
    aux(b, "redis-ver", "7.0.15"); /* the format level written, for tools that check it */
    aux(b, "redis-bits", "64");
    snprintf(num, sizeof(num), "%lld", (long long)time(NULL));
    aux(b, "ctime", num);
    aux(b, "used-mem", "0");
    aux(b, "aof-base", aof_base ? "1" : "0");
}

void flpi_rdb_select(flpi_buf_t *b, size_t db)
{
    flpi_buf_byte(b, FLPI_RDB_OPCODE_SELECTDB);
    flpi_rdb_len(b, db);
}

void flpi_rdb_key(flpi_buf_t *b, const fl_rec_view_t *v)
{
    if (v->expire_at_ms) {
        uint8_t t[9] = {FLPI_RDB_OPCODE_EXPIRETIME_MS};
        for (int i = 0; i < 8; i++)
            t[1 + i] = (uint8_t)((uint64_t)v->expire_at_ms >> (8 * i));
        flpi_buf_put(b, t, 9);
    }
    flpi_rdb_encode_value(b, v);
}
