/*
 * src/server/resp.h: RESP request parser (resp.c) and reply writer (reply.c).
 *
 * The parser is incremental and copies nothing: it records each argument as an (offset,
 * length) slice of the caller's input buffer, so the buffer may be reallocated or compacted
 * between calls (srv_parser_shift). Inline commands are unescaped in place (the unescaped
 * text is never longer than the source). The writer appends RESP replies to a growable
 * buffer; both allocate with plain malloc (the calling worker's private arena).
 *
 * Protocol versions: a buffer carries the version its replies speak (`proto`, set by HELLO on a
 * client's output). Each reply function says what a reply means (a map, a set, a double, a
 * null) and writes RESP3's type for it or, on a RESP2 buffer, the RESP2 form Redis 7.0 sends
 * for it, so no command handler tests the version itself.
 */
#ifndef FLATLINE_SERVER_RESP_H
#define FLATLINE_SERVER_RESP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct srv_buf srv_buf_t;

/* Told of every change of a buffer's capacity (delta in bytes, + grown, - shrunk or freed):
 * how the server keeps each client's memory and all clients' total (client_limits.c). The
 * owner embeds it in a struct of its own. */
typedef struct srv_buf_meter srv_buf_meter_t;
struct srv_buf_meter {
    void (*resized)(srv_buf_meter_t *m, srv_buf_t *b, long long delta);
};

/* Protocol versions (HELLO's argument). A zeroed buffer speaks RESP2. */
enum { SRV_RESP2 = 2, SRV_RESP3 = 3 };

/* A growable byte buffer. */
struct srv_buf {
    char *p;
    size_t len, cap;
    size_t limit;           /* appends past this length fail (0 = no limit); kept by free */
    srv_buf_meter_t *meter; /* or NULL; kept by free */
    bool failed;            /* an append could not allocate: the content is incomplete */
    bool over_limit;        /* ... because it would have passed `limit` */
    uint8_t proto;          /* SRV_RESP3: replies use RESP3's types; else RESP2; kept by free */
};

/* An empty buffer speaking the same protocol as `like`: for a reply's part built before its
 * header is known (the parts are copied into `like` afterwards). */
static inline srv_buf_t srv_buf_like(const srv_buf_t *like)
{
    return (srv_buf_t){.proto = like->proto};
}

/* Whether b's replies speak RESP3. */
static inline bool srv_buf_resp3(const srv_buf_t *b)
{
    return b->proto == SRV_RESP3;
}

/* Makes room for `more` bytes after len. Returns 0, -ENOBUFS (len + more would pass limit:
 * over_limit set) or -ENOMEM (buffer unchanged). */
int srv_buf_reserve(srv_buf_t *b, size_t more);

/* Frees the buffer's memory and empties it. */
void srv_buf_free(srv_buf_t *b);

/* Drops the first n bytes (memmove), keeping the rest. */
void srv_buf_consume(srv_buf_t *b, size_t n);

/* Parses [s, s+n) as a strict base-10 int64 (Redis's string2ll: no sign '+', no leading
 * zeros, no spaces). */
bool srv_str_to_ll(const char *s, size_t n, long long *out);

/* ---- Parser ----------------------------------------------------------------------------- */

/* Longest header line or inline request accepted (Redis: PROTO_INLINE_MAX_SIZE). */
#define SRV_PROTO_INLINE_MAX (64 * 1024)

typedef struct srv_limits {
    uint64_t max_bulk;      /* proto-max-bulk-len */
    uint64_t max_multibulk; /* max-multibulk-len: arguments in one request */
} srv_limits_t;

typedef struct srv_arg {
    size_t off, len; /* into the input buffer */
} srv_arg_t;

typedef struct srv_parser {
    size_t pos;       /* next unparsed byte */
    size_t cmd_start; /* first byte of the command being parsed */
    int kind;         /* 0 between commands, '*' multibulk, 'i' inline */
    int64_t mb_left;  /* multibulk: arguments still to read */
    int64_t bulk_len; /* multibulk: length of the bulk being read, -1 before its header */
    srv_arg_t *argv;
    size_t argc, argv_cap;
    const char *error; /* reason of the last SRV_PARSE_ERROR (static text) */
    char error_buf[64];
} srv_parser_t;

enum { SRV_PARSE_ERROR = -1, SRV_PARSE_MORE = 0, SRV_PARSE_OK = 1 };

/* Parses from p->pos. Returns SRV_PARSE_OK with a complete command in argv/argc (argc >= 1;
 * empty requests are skipped), SRV_PARSE_MORE when buf[0..len) holds no complete command
 * yet, or SRV_PARSE_ERROR with the reason (Redis's wording after "Protocol error: ") in
 * p->error. After SRV_PARSE_OK the caller runs the command, then calls srv_parser_next. */
int srv_parse(srv_parser_t *p, char *buf, size_t len, const srv_limits_t *lim);

/* Forgets the command just returned and starts the next one at p->pos. */
void srv_parser_next(srv_parser_t *p);

/* Moves every offset n bytes down, after the caller dropped buf's first n bytes
 * (n <= p->cmd_start). */
void srv_parser_shift(srv_parser_t *p, size_t n);

/* Bytes the parser still needs beyond `len` to finish the bulk it is reading (0 if unknown):
 * lets the reader reserve a large value's room at once. */
size_t srv_parser_want(const srv_parser_t *p, size_t len);

/* Frees the argv array. */
void srv_parser_free(srv_parser_t *p);

/* ---- Reply writer (reply.c) --------------------------------------------------------------
 * Each appends one value to b, in b's protocol (RESP3's type, or its RESP2 form after "/").
 * On allocation failure the reply is dropped and b->failed set: the owner then closes the
 * connection rather than send a broken stream. An aggregate's header is followed by its
 * elements (a map's: key, value, key, value ...). */

void srv_reply_raw(srv_buf_t *b, const char *p, size_t n);
void srv_buf_printf(srv_buf_t *b, const char *fmt, ...) /* formatted text, no framing */
    __attribute__((format(printf, 2, 3)));
void srv_buf_vprintf(srv_buf_t *b, const char *fmt, va_list ap);
void srv_reply_simple(srv_buf_t *b, const char *s);       /* +s */
void srv_reply_error(srv_buf_t *b, const char *msg);      /* -msg (\r\n become spaces) */
void srv_reply_errorf(srv_buf_t *b, const char *fmt, ...) /* -formatted */
    __attribute__((format(printf, 2, 3)));
void srv_reply_int(srv_buf_t *b, long long v);              /* :v */
void srv_reply_bulk(srv_buf_t *b, const char *p, size_t n); /* $n p */
/* One bulk string given as two spans (a large store value): $n+m p q, copied once. */
void srv_reply_bulk2(srv_buf_t *b, const char *p, size_t n, const char *q, size_t m);
/* One bulk string of n bytes whose payload the caller writes at the returned address before
 * the buffer's next use (a compressed store value decompressed in place); NULL, nothing
 * appended, when memory is short. */
char *srv_reply_bulk_fill(srv_buf_t *b, size_t n);
void srv_reply_bulk_str(srv_buf_t *b, const char *s);
void srv_reply_bulk_fmt(srv_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void srv_reply_nil(srv_buf_t *b);               /* null: _ / $-1 (the null bulk string) */
void srv_reply_null_array(srv_buf_t *b);        /* null: _ / *-1 (a missing aggregate) */
void srv_reply_array(srv_buf_t *b, size_t n);   /* *n */
void srv_reply_map(srv_buf_t *b, size_t pairs); /* %pairs / *(2 pairs) */
void srv_reply_set(srv_buf_t *b, size_t n);     /* ~n / *n */
void srv_reply_push(srv_buf_t *b, size_t n);    /* >n / *n: out-of-band data (pub/sub) */
/* A list of n pairs (ZRANGE WITHSCORES, HRANDFIELD WITHVALUES): *n, each pair an array of two
 * (srv_reply_pair before each) / one flat array of 2n, srv_reply_pair writing nothing. */
void srv_reply_pairs(srv_buf_t *b, size_t n);
void srv_reply_pair(srv_buf_t *b);
/* ,d / bulk: Redis's addReplyDouble, %.17g with inf and -inf spelled out. */
void srv_reply_double(srv_buf_t *b, double d);
void srv_reply_bool(srv_buf_t *b, bool v); /* #t #f / :1 :0 */
/* =len txt:text / the text as a bulk: human-readable text (INFO, CLIENT LIST). */
void srv_reply_verbatim(srv_buf_t *b, const char *p, size_t n);
/* ... with another format than txt (its first 3 characters, padded with spaces). */
void srv_reply_verbatim_as(srv_buf_t *b, const char *p, size_t n, const char *format);
/* Only the verbatim string's header, for a text copied in parts: the caller appends exactly n
 * bytes and then CRLF (srv_reply_raw). */
void srv_reply_verbatim_head(srv_buf_t *b, size_t n);
void srv_reply_bignum(srv_buf_t *b, const char *p, size_t n); /* (digits / bulk */
/* |pairs: an attribute (pairs of key, value) describing the reply that follows it. RESP2 has
 * none: writes nothing and returns false, and the caller leaves the pairs out. */
bool srv_reply_attribute(srv_buf_t *b, size_t pairs);
void srv_reply_ok(srv_buf_t *b); /* +OK */

#endif /* FLATLINE_SERVER_RESP_H */
