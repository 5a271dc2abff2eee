/*
 * src/server/reply.c: growable byte buffers and the reply writer (RESP2 and RESP3: each
 * function writes the type its name says in the buffer's protocol, see resp.h).
 *
 * Invariants: a buffer's bytes [0, len) are always whole replies: an append either writes
 * its complete value or, when memory runs out, nothing (and sets b->failed so the owner
 * drops the connection instead of sending a truncated stream). Error texts never contain
 * CR or LF (they are turned into spaces, as Redis does).
 */
#include "resp.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"

int srv_buf_reserve(srv_buf_t *b, size_t more)
{
    if (b->limit && (more > b->limit || b->len > b->limit - more)) {
        b->over_limit = true;
        return -ENOBUFS;
    }
    if (b->cap - b->len >= more)
        return 0;
    if (more > SIZE_MAX / 2 - b->len)
        return -ENOMEM;
    size_t cap = b->cap ? b->cap : 256;
    while (cap - b->len < more)
        cap *= 2;
    char *p = realloc(b->p, cap);
    if (!p)
        return -ENOMEM;
    if (b->meter)
        b->meter->resized(b->meter, b, (long long)cap - (long long)b->cap);
    b->p = p;
    b->cap = cap;
    return 0;
}

void srv_buf_free(srv_buf_t *b)
{
    if (b->meter && b->cap)
        b->meter->resized(b->meter, b, -(long long)b->cap);
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->failed = b->over_limit = false; /* limit, meter and proto stay */
}

void srv_buf_consume(srv_buf_t *b, size_t n)
{
    if (n >= b->len) {
        b->len = 0;
        return;
    }
    memmove(b->p, b->p + n, b->len - n);
    b->len -= n;
}

/* Reserves n bytes or marks the buffer failed. Returns the write position or NULL. */
static char *room(srv_buf_t *b, size_t n)
{
    if (b->failed || srv_buf_reserve(b, n) < 0) {
        b->failed = true;
        return NULL;
    }
    FL_ASSERT(b->len + n <= b->cap); /* what srv_buf_reserve promised */
    return b->p + b->len;
}

void srv_reply_raw(srv_buf_t *b, const char *p, size_t n)
{
    if (n == 0)
        return; /* p may be NULL (an empty buffer) */
    char *w = room(b, n);
    if (!w)
        return;
    memcpy(w, p, n);
    b->len += n;
}

void srv_buf_vprintf(srv_buf_t *b, const char *fmt, va_list ap)
{
    va_list again;
    va_copy(again, ap);
    char *w = room(b, 256);
    int n = w ? vsnprintf(w, 256, fmt, ap) : -1;
    if (n >= 256 && (w = room(b, (size_t)n + 1)) != NULL)
        vsnprintf(w, (size_t)n + 1, fmt, again);
    va_end(again);
    if (n > 0 && w)
        b->len += (size_t)n;
}

void srv_buf_printf(srv_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    srv_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

/* Longest reply header: a type byte, a sign, 20 digits, CRLF. */
#define HEAD_MAX 24

/* Writes "<prefix>[-]<magnitude>\r\n" at dst (HEAD_MAX bytes of room) and returns its length.
 * Every reply has such a header (a bulk's length, an integer, an array's count): formatting it
 * by hand costs a few dozen instructions, snprintf several hundred. */
static int format_head(char *dst, char prefix, bool negative, unsigned long long magnitude)
{
    char digits[20];
    int n = 0;
    do {
        digits[n++] = (char)('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    int len = 0;
    dst[len++] = prefix;
    if (negative)
        dst[len++] = '-';
    while (n)
        dst[len++] = digits[--n];
    dst[len++] = '\r';
    dst[len++] = '\n';
    return len;
}

/* Appends "<prefix><v>\r\n". */
static void prefixed_num(srv_buf_t *b, char prefix, long long v)
{
    char head[HEAD_MAX];
    /* the magnitude of LLONG_MIN fits in unsigned long long: negate after the conversion */
    unsigned long long m = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    srv_reply_raw(b, head, (size_t)format_head(head, prefix, v < 0, m));
}

void srv_reply_simple(srv_buf_t *b, const char *s)
{
    size_t n = strlen(s);
    char *w = room(b, n + 3);
    if (!w)
        return;
    w[0] = '+';
    memcpy(w + 1, s, n);
    memcpy(w + 1 + n, "\r\n", 2);
    b->len += n + 3;
}

void srv_reply_error(srv_buf_t *b, const char *msg)
{
    size_t n = strlen(msg);
    char *w = room(b, n + 3);
    if (!w)
        return;
    w[0] = '-';
    for (size_t i = 0; i < n; i++)
        w[1 + i] = (msg[i] == '\r' || msg[i] == '\n') ? ' ' : msg[i];
    memcpy(w + 1 + n, "\r\n", 2);
    b->len += n + 3;
}

void srv_reply_errorf(srv_buf_t *b, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    srv_reply_error(b, msg);
}

void srv_reply_int(srv_buf_t *b, long long v)
{
    prefixed_num(b, ':', v);
}

/* Appends head (h bytes), the payload p[0, n) then q[0, m), and CRLF in one reservation: a
 * bulk or verbatim string. Out of memory: nothing is appended (room marks the buffer failed). */
static void framed2(srv_buf_t *b, const char *head, int h, const char *p, size_t n, const char *q,
                    size_t m)
{
    char *w = room(b, (size_t)h + n + m + 2);
    if (!w)
        return;
    memcpy(w, head, (size_t)h);
    if (n)
        memcpy(w + h, p, n);
    if (m)
        memcpy(w + h + n, q, m);
    memcpy(w + h + n + m, "\r\n", 2);
    b->len += (size_t)h + n + m + 2;
}

static void framed(srv_buf_t *b, const char *head, int h, const char *p, size_t n)
{
    framed2(b, head, h, p, n, NULL, 0);
}

void srv_reply_bulk(srv_buf_t *b, const char *p, size_t n)
{
    srv_reply_bulk2(b, p, n, NULL, 0);
}

void srv_reply_bulk2(srv_buf_t *b, const char *p, size_t n, const char *q, size_t m)
{
    char head[HEAD_MAX];
    framed2(b, head, format_head(head, '$', false, n + m), p, n, q, m);
}

char *srv_reply_bulk_fill(srv_buf_t *b, size_t n)
{
    char head[HEAD_MAX];
    int h = format_head(head, '$', false, n);
    char *w = room(b, (size_t)h + n + 2);
    if (!w)
        return NULL;
    memcpy(w, head, (size_t)h);
    memcpy(w + h + n, "\r\n", 2);
    b->len += (size_t)h + n + 2;
    return w + h;
}

void srv_reply_bulk_str(srv_buf_t *b, const char *s)
{
    srv_reply_bulk(b, s, strlen(s));
}

void srv_reply_bulk_fmt(srv_buf_t *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        n = 0;
    srv_reply_bulk(b, tmp, (size_t)n < sizeof(tmp) ? (size_t)n : sizeof(tmp) - 1);
}

void srv_reply_nil(srv_buf_t *b)
{
    if (srv_buf_resp3(b))
        srv_reply_raw(b, "_\r\n", 3);
    else
        srv_reply_raw(b, "$-1\r\n", 5);
}

void srv_reply_null_array(srv_buf_t *b)
{
    if (srv_buf_resp3(b))
        srv_reply_raw(b, "_\r\n", 3);
    else
        srv_reply_raw(b, "*-1\r\n", 5);
}

void srv_reply_array(srv_buf_t *b, size_t n)
{
    prefixed_num(b, '*', (long long)n);
}

void srv_reply_map(srv_buf_t *b, size_t pairs)
{
    if (srv_buf_resp3(b))
        prefixed_num(b, '%', (long long)pairs);
    else
        prefixed_num(b, '*', (long long)(2 * pairs));
}

void srv_reply_set(srv_buf_t *b, size_t n)
{
    prefixed_num(b, srv_buf_resp3(b) ? '~' : '*', (long long)n);
}

void srv_reply_push(srv_buf_t *b, size_t n)
{
    prefixed_num(b, srv_buf_resp3(b) ? '>' : '*', (long long)n);
}

void srv_reply_pairs(srv_buf_t *b, size_t n)
{
    srv_reply_array(b, srv_buf_resp3(b) ? n : 2 * n);
}

void srv_reply_pair(srv_buf_t *b)
{
    if (srv_buf_resp3(b))
        srv_reply_array(b, 2);
}

void srv_reply_double(srv_buf_t *b, double d)
{
    char num[64];
    if (isinf(d))
        snprintf(num, sizeof(num), "%s", d > 0 ? "inf" : "-inf");
    else
        snprintf(num, sizeof(num), "%.17g", d);
    if (!srv_buf_resp3(b)) {
        srv_reply_bulk_str(b, num);
        return;
    }
    srv_buf_printf(b, ",%s\r\n", num);
}

void srv_reply_bool(srv_buf_t *b, bool v)
{
    if (srv_buf_resp3(b))
        srv_reply_raw(b, v ? "#t\r\n" : "#f\r\n", 4);
    else
        srv_reply_raw(b, v ? ":1\r\n" : ":0\r\n", 4);
}

void srv_reply_verbatim(srv_buf_t *b, const char *p, size_t n)
{
    srv_reply_verbatim_as(b, p, n, "txt");
}

void srv_reply_verbatim_as(srv_buf_t *b, const char *p, size_t n, const char *format)
{
    if (!srv_buf_resp3(b)) {
        srv_reply_bulk(b, p, n);
        return;
    }
    char fmt[4] = "   ";
    for (int i = 0; i < 3 && format[i]; i++)
        fmt[i] = format[i];
    char head[48];
    int h = snprintf(head, sizeof(head), "=%zu\r\n%s:", n + 4, fmt);
    framed(b, head, h, p, n);
}

void srv_reply_verbatim_head(srv_buf_t *b, size_t n)
{
    if (srv_buf_resp3(b))
        srv_buf_printf(b, "=%zu\r\ntxt:", n + 4);
    else
        srv_buf_printf(b, "$%zu\r\n", n);
}

bool srv_reply_attribute(srv_buf_t *b, size_t pairs)
{
    if (!srv_buf_resp3(b))
        return false;
    prefixed_num(b, '|', (long long)pairs);
    return true;
}

void srv_reply_bignum(srv_buf_t *b, const char *p, size_t n)
{
    if (!srv_buf_resp3(b)) {
        srv_reply_bulk(b, p, n);
        return;
    }
    char *w = room(b, n + 3);
    if (!w)
        return;
    w[0] = '(';
    memcpy(w + 1, p, n);
    memcpy(w + 1 + n, "\r\n", 2);
    b->len += n + 3;
}

void srv_reply_ok(srv_buf_t *b)
{
    srv_reply_raw(b, "+OK\r\n", 5);
}
