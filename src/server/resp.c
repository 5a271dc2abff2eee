/*
 * src/server/resp.c: the RESP2 request parser, multibulk and inline, incremental.
 *
 * Invariants: the parser never copies argument bytes; it records (offset, length) slices of
 * the caller's buffer. p->pos only moves forward over bytes that are fully understood, so a
 * command split at any byte resumes where it stopped. Inline requests are unescaped in place
 * (writes never overtake reads). Every header line and inline request is bounded by
 * SRV_PROTO_INLINE_MAX, every bulk by lim->max_bulk and every argument count by
 * lim->max_multibulk, so the parser never waits forever for a line it will refuse anyway.
 * Error wording follows Redis's processMultibulkBuffer / processInlineBuffer.
 */
#include "resp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fl_assert.h"

bool srv_str_to_ll(const char *s, size_t n, long long *out)
{
    if (n == 0 || n > 20)
        return false;
    if (n == 1 && s[0] == '0') {
        *out = 0;
        return true;
    }
    size_t i = 0;
    bool neg = false;
    if (s[0] == '-') {
        neg = true;
        i = 1;
        if (n == 1)
            return false;
    }
    if (s[i] < '1' || s[i] > '9')
        return false;
    unsigned long long v = 0;
    for (; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (unsigned long long)INT64_MAX + 1)
            return false;
        *out = v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)v;
    } else {
        if (v > (unsigned long long)INT64_MAX)
            return false;
        *out = (long long)v;
    }
    return true;
}

static int fail(srv_parser_t *p, const char *why)
{
    p->error = why;
    return SRV_PARSE_ERROR;
}

static int push_arg(srv_parser_t *p, size_t off, size_t len)
{
    if (p->argc == p->argv_cap) {
        size_t cap = p->argv_cap ? p->argv_cap * 2 : 8;
        srv_arg_t *a = realloc(p->argv, cap * sizeof(*a));
        if (!a)
            return -ENOMEM;
        p->argv = a;
        p->argv_cap = cap;
    }
    p->argv[p->argc].off = off;
    p->argv[p->argc].len = len;
    p->argc++;
    return 0;
}

/* Finds the "\r\n"-terminated header line at p->pos. Returns 1 with *cr at its '\r', 0 when
 * more bytes are needed, -1 when the line is longer than the protocol allows. */
static int header_line(const srv_parser_t *p, const char *buf, size_t len, const char **cr)
{
    size_t avail = len - p->pos;
    size_t scan = avail < SRV_PROTO_INLINE_MAX + 1 ? avail : SRV_PROTO_INLINE_MAX + 1;
    const char *r = memchr(buf + p->pos, '\r', scan);
    if (!r)
        return avail > SRV_PROTO_INLINE_MAX ? -1 : 0;
    if ((size_t)(r - buf) + 1 >= len)
        return 0; /* the '\n' has not arrived */
    *cr = r;
    return 1;
}

/* The number of the header line at p->pos (after its one-byte type) into *v, and the offset
 * past the line's CRLF into *next. Returns 1, 0 when more bytes are needed, -1 when the line is
 * longer than the protocol allows, -2 when it is not a number srv_str_to_ll accepts.
 *
 * Fast path for the usual header (1 to 18 digits, no sign, no leading zero, then '\r' and a
 * byte after it): the digits are read while the line's end is found, instead of a memchr for
 * '\r' and a second pass. Anything else takes the general path, which decides every error. */
static inline int header_number(const srv_parser_t *p, const char *buf, size_t len, long long *v,
                                size_t *next)
{
    const char *s = buf + p->pos + 1, *end = buf + len, *q = s;
    long long fast = 0;
    while (q < end && q - s < 18 && (unsigned)(*q - '0') < 10)
        fast = fast * 10 + (*q++ - '0');
    if (q > s && end - q > 1 && *q == '\r' && (*s != '0' || q - s == 1)) {
        *v = fast;
        *next = (size_t)(q - buf) + 2;
        return 1;
    }
    const char *cr;
    int r = header_line(p, buf, len, &cr);
    if (r <= 0)
        return r;
    if (!srv_str_to_ll(s, (size_t)(cr - s), v))
        return -2;
    *next = (size_t)(cr - buf) + 2;
    return 1;
}

static int parse_multibulk(srv_parser_t *p, char *buf, size_t len, const srv_limits_t *lim)
{
    long long ll;
    size_t next;
    if (p->mb_left < 0) {
        int r = header_number(p, buf, len, &ll, &next);
        if (r == 0)
            return SRV_PARSE_MORE;
        if (r == -1)
            return fail(p, "too big mbulk count string");
        if (r < 0 || ll > (long long)lim->max_multibulk)
            return fail(p, "invalid multibulk length");
        p->pos = next;
        p->mb_left = ll > 0 ? ll : 0;
        p->bulk_len = -1;
    }
    while (p->mb_left > 0) {
        if (p->bulk_len < 0) {
            if (p->pos >= len)
                return SRV_PARSE_MORE;
            int r = header_number(p, buf, len, &ll, &next);
            if (r == 0)
                return SRV_PARSE_MORE;
            if (r == -1)
                return fail(p, "too big bulk count string");
            if (buf[p->pos] != '$') {
                snprintf(p->error_buf, sizeof(p->error_buf), "expected '$', got '%c'", buf[p->pos]);
                return fail(p, p->error_buf);
            }
            if (r < 0 || ll < 0 || (unsigned long long)ll > lim->max_bulk)
                return fail(p, "invalid bulk length");
            p->pos = next;
            p->bulk_len = ll;
        }
        if (len - p->pos < (size_t)p->bulk_len + 2)
            return SRV_PARSE_MORE;
        if (push_arg(p, p->pos, (size_t)p->bulk_len) < 0)
            return fail(p, "out of memory");
        p->pos += (size_t)p->bulk_len + 2;
        p->bulk_len = -1;
        p->mb_left--;
    }
    return SRV_PARSE_OK;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

static int hex_val(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static char unescape(char c)
{
    switch (c) {
    case 'n':
        return '\n';
    case 'r':
        return '\r';
    case 't':
        return '\t';
    case 'b':
        return '\b';
    case 'a':
        return '\a';
    default:
        return c;
    }
}

/* One double-quoted token starting after its '"' at *r; writes at *w. 0 or -1 (unbalanced). */
static int dquoted(char *buf, size_t *r, size_t *w, size_t e)
{
    for (;;) {
        if (*r >= e)
            return -1;
        char c = buf[*r];
        if (c == '\\' && *r + 3 < e && buf[*r + 1] == 'x' && hex_val(buf[*r + 2]) >= 0 &&
            hex_val(buf[*r + 3]) >= 0) {
            buf[(*w)++] = (char)(hex_val(buf[*r + 2]) * 16 + hex_val(buf[*r + 3]));
            *r += 4;
        } else if (c == '\\' && *r + 1 < e) {
            buf[(*w)++] = unescape(buf[*r + 1]);
            *r += 2;
        } else if (c == '"') {
            (*r)++;
            return *r < e && !is_space(buf[*r]) ? -1 : 0;
        } else {
            buf[(*w)++] = c;
            (*r)++;
        }
    }
}

/* One single-quoted token: only \' is an escape. */
static int squoted(char *buf, size_t *r, size_t *w, size_t e)
{
    for (;;) {
        if (*r >= e)
            return -1;
        char c = buf[*r];
        if (c == '\\' && *r + 1 < e && buf[*r + 1] == '\'') {
            buf[(*w)++] = '\'';
            *r += 2;
        } else if (c == '\'') {
            (*r)++;
            return *r < e && !is_space(buf[*r]) ? -1 : 0;
        } else {
            buf[(*w)++] = c;
            (*r)++;
        }
    }
}

/* Splits buf[start, e) into arguments as Redis's sdssplitargs does, in place. */
static int split_inline(srv_parser_t *p, char *buf, size_t start, size_t e)
{
    size_t r = start;
    for (;;) {
        while (r < e && is_space(buf[r]))
            r++;
        if (r >= e)
            return SRV_PARSE_OK;
        size_t w = r, arg = r;
        while (r < e && !is_space(buf[r])) {
            int q = 0;
            if (buf[r] == '"') {
                r++;
                q = dquoted(buf, &r, &w, e);
            } else if (buf[r] == '\'') {
                r++;
                q = squoted(buf, &r, &w, e);
            } else {
                buf[w++] = buf[r++];
                continue;
            }
            if (q < 0)
                return fail(p, "unbalanced quotes in request");
            break; /* a closing quote ends the token */
        }
        if (push_arg(p, arg, w - arg) < 0)
            return fail(p, "out of memory");
    }
}

static int parse_inline(srv_parser_t *p, char *buf, size_t len)
{
    size_t avail = len - p->pos;
    size_t scan = avail < SRV_PROTO_INLINE_MAX + 1 ? avail : SRV_PROTO_INLINE_MAX + 1;
    const char *nl = memchr(buf + p->pos, '\n', scan);
    if (!nl)
        return avail > SRV_PROTO_INLINE_MAX ? fail(p, "too big inline request") : SRV_PARSE_MORE;
    size_t end = (size_t)(nl - buf);
    size_t line_end = end;
    if (line_end > p->pos && buf[line_end - 1] == '\r')
        line_end--;
    int r = split_inline(p, buf, p->pos, line_end);
    if (r != SRV_PARSE_OK)
        return r;
    p->pos = end + 1;
    return SRV_PARSE_OK;
}

int srv_parse(srv_parser_t *p, char *buf, size_t len, const srv_limits_t *lim)
{
    for (;;) {
        if (p->kind == 0) {
            if (p->pos >= len)
                return SRV_PARSE_MORE;
            p->cmd_start = p->pos;
            p->argc = 0;
            p->kind = buf[p->pos] == '*' ? '*' : 'i';
            p->mb_left = -1;
            p->bulk_len = -1;
        }
        int r = p->kind == '*' ? parse_multibulk(p, buf, len, lim) : parse_inline(p, buf, len);
        /* pos only moves over bytes the parser understood, never past the data */
        FL_ASSERT(p->cmd_start <= p->pos && p->pos <= len);
        if (r != SRV_PARSE_OK)
            return r;
        p->kind = 0;
        if (p->argc > 0)
            return SRV_PARSE_OK;
        p->cmd_start = p->pos; /* empty request: skip it */
    }
}

void srv_parser_next(srv_parser_t *p)
{
    p->argc = 0;
    p->kind = 0;
    p->cmd_start = p->pos;
}

void srv_parser_shift(srv_parser_t *p, size_t n)
{
    FL_ASSERT(n <= p->cmd_start); /* only consumed bytes go: the current command stays whole */
    p->pos -= n;
    p->cmd_start -= n;
    for (size_t i = 0; i < p->argc; i++)
        p->argv[i].off -= n;
}

size_t srv_parser_want(const srv_parser_t *p, size_t len)
{
    if (p->kind != '*' || p->bulk_len < 0)
        return 0;
    size_t need = p->pos + (size_t)p->bulk_len + 2;
    return need > len ? need - len : 0;
}

void srv_parser_free(srv_parser_t *p)
{
    free(p->argv);
    p->argv = NULL;
    p->argc = p->argv_cap = 0;
}
