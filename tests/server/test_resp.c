/*
 * tests/server/test_resp.c: white-box tests of the RESP2 parser and reply writer
 * (src/server/resp.c, reply.c): complete requests, requests split at every byte, pipelines,
 * inline commands with quoting, malformed input with Redis's error wording, and limits.
 */
#include "../testhelper.h"
#include "resp.h"

static const srv_limits_t big = {512u << 20, 1u << 20};

/* Parses every complete command in buf[0, len), appending "arg|arg|...;" per command to out.
 * Returns the last parse result (MORE or ERROR). */
static int drain(srv_parser_t *p, char *buf, size_t len, const srv_limits_t *lim, char *out,
                 size_t outlen)
{
    for (;;) {
        int r = srv_parse(p, buf, len, lim);
        if (r != SRV_PARSE_OK)
            return r;
        for (size_t i = 0; i < p->argc; i++) {
            size_t l = strlen(out);
            snprintf(out + l, outlen - l, "%s%.*s", i ? "|" : "", (int)p->argv[i].len,
                     buf + p->argv[i].off);
        }
        size_t l = strlen(out);
        snprintf(out + l, outlen - l, ";");
        srv_parser_next(p);
    }
}

/* Parses `in` in one go and returns the rendering (static buffer). */
static const char *parse_all(const char *in, int *last)
{
    static char out[4096];
    static char buf[4096];
    srv_parser_t p = {0};
    size_t n = strlen(in);
    memcpy(buf, in, n);
    out[0] = '\0';
    *last = drain(&p, buf, n, &big, out, sizeof(out));
    srv_parser_free(&p);
    return out;
}

TEST(multibulk_complete)
{
    int last;
    CHECK_STR(parse_all("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n", &last), "SET|k|hello;");
    CHECK_EQ_I(last, SRV_PARSE_MORE);
}

TEST(pipelined)
{
    int last;
    CHECK_STR(parse_all("*1\r\n$4\r\nPING\r\n*2\r\n$3\r\nGET\r\n$1\r\na\r\nPING\r\n*2\r\n$4\r\n"
                        "ECHO\r\n$0\r\n\r\n",
                        &last),
              "PING;GET|a;PING;ECHO|;");
    CHECK_EQ_I(last, SRV_PARSE_MORE);
}

TEST(binary_safe_bulk)
{
    char buf[] = "*2\r\n$4\r\nECHO\r\n$5\r\na\r\n\0b\r\n";
    srv_parser_t p = {0};
    CHECK_EQ_I(srv_parse(&p, buf, sizeof(buf) - 1, &big), SRV_PARSE_OK);
    CHECK_EQ_U(p.argc, 2);
    CHECK_EQ_U(p.argv[1].len, 5);
    CHECK(memcmp(buf + p.argv[1].off, "a\r\n\0b", 5) == 0);
    srv_parser_free(&p);
}

/* Feeding a pipeline one byte more at a time, and split at every byte, gives the same
 * commands as parsing it whole. */
TEST(split_at_every_byte)
{
    const char *in = "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$10\r\n0123456789\r\n"
                     "SET \"a b\" 'c d'\r\n*1\r\n$4\r\nPING\r\n*0\r\n\r\nGET x\n";
    int last;
    char whole[4096];
    snprintf(whole, sizeof(whole), "%s", parse_all(in, &last));
    CHECK_STR(whole, "SET|key|0123456789;SET|a b|c d;PING;GET|x;");
    size_t n = strlen(in);
    for (size_t split = 0; split <= n; split++) {
        char buf[512], out[4096] = "";
        srv_parser_t p = {0};
        memcpy(buf, in, n);
        drain(&p, buf, split, &big, out, sizeof(out));
        drain(&p, buf, n, &big, out, sizeof(out));
        CHECK_STR(out, whole);
        srv_parser_free(&p);
    }
    char buf[512], out[4096] = "";
    srv_parser_t p = {0};
    memcpy(buf, in, n);
    for (size_t len = 0; len <= n; len++)
        CHECK(drain(&p, buf, len, &big, out, sizeof(out)) == SRV_PARSE_MORE);
    CHECK_STR(out, whole);
    srv_parser_free(&p);
}

/* The reader drops consumed bytes between reads: offsets must follow. */
TEST(shift_between_reads)
{
    char buf[256];
    const char *in = "*1\r\n$4\r\nPING\r\n*2\r\n$4\r\nECHO\r\n$11\r\nhello world\r\n";
    size_t n = strlen(in), cut = 30; /* inside the second command's last bulk */
    srv_parser_t p = {0};
    memcpy(buf, in, n);
    CHECK_EQ_I(srv_parse(&p, buf, cut, &big), SRV_PARSE_OK);
    srv_parser_next(&p);
    CHECK_EQ_I(srv_parse(&p, buf, cut, &big), SRV_PARSE_MORE);
    size_t done = p.cmd_start;
    CHECK_EQ_U(done, 14);
    memmove(buf, buf + done, n - done);
    srv_parser_shift(&p, done);
    CHECK_EQ_I(srv_parse(&p, buf, n - done, &big), SRV_PARSE_OK);
    CHECK_EQ_U(p.argc, 2);
    CHECK(memcmp(buf + p.argv[1].off, "hello world", 11) == 0);
    srv_parser_free(&p);
}

TEST(want_for_large_bulk)
{
    char buf[64] = "*2\r\n$3\r\nSET\r\n$100000\r\nab";
    srv_parser_t p = {0};
    size_t n = strlen(buf);
    CHECK_EQ_I(srv_parse(&p, buf, n, &big), SRV_PARSE_MORE);
    CHECK_EQ_U(srv_parser_want(&p, n), 100000 + 2 - 2);
    srv_parser_free(&p);
}

TEST(inline_quoting)
{
    int last;
    CHECK_STR(parse_all("SET \"a\\\"b\" 'it\\'s' \"\\x41\\x42\\n\"  plain\r\n", &last),
              "SET|a\"b|it's|AB\n|plain;");
    CHECK_STR(parse_all("\r\n\n   \r\nPING\n", &last), "PING;");
    CHECK_STR(parse_all("foo\"bar baz\" x\n", &last), "foobar baz|x;");
    CHECK_STR(parse_all("ECHO \"\"\n", &last), "ECHO|;");
}

static const char *parse_error(const char *in, const srv_limits_t *lim)
{
    static char err[128];
    static char buf[200000];
    srv_parser_t p = {0};
    size_t n = strlen(in);
    memcpy(buf, in, n);
    char out[4096] = "";
    int r = drain(&p, buf, n, lim, out, sizeof(out));
    snprintf(err, sizeof(err), "%s", r == SRV_PARSE_ERROR ? p.error : "(no error)");
    srv_parser_free(&p);
    return err;
}

TEST(malformed)
{
    CHECK_STR(parse_error("*abc\r\n", &big), "invalid multibulk length");
    CHECK_STR(parse_error("*99999999999999999999\r\n", &big), "invalid multibulk length");
    CHECK_STR(parse_error("*+1\r\n", &big), "invalid multibulk length");
    CHECK_STR(parse_error("*2\r\n:1\r\n", &big), "expected '$', got ':'");
    CHECK_STR(parse_error("*1\r\n$-5\r\n", &big), "invalid bulk length");
    CHECK_STR(parse_error("*1\r\n$x\r\n", &big), "invalid bulk length");
    CHECK_STR(parse_error("*1\r\n$01\r\n", &big), "invalid bulk length");
    CHECK_STR(parse_error("*1\r\n$00\r\n", &big), "invalid bulk length");
    CHECK_STR(parse_error("*1\r\n$-0\r\n", &big), "invalid bulk length");
    CHECK_STR(parse_error("*1\r\n$1x\r\n", &big), "invalid bulk length");
    CHECK_STR(parse_error("*01\r\n", &big), "invalid multibulk length");
    CHECK_STR(parse_error("*1 \r\n", &big), "invalid multibulk length");
    CHECK_STR(parse_error("*1\r\n*1\r\n", &big), "expected '$', got '*'");
    CHECK_STR(parse_error("*1\r\n:x\r\n", &big), "expected '$', got ':'");
    CHECK_STR(parse_error("SET \"abc\n", &big), "unbalanced quotes in request");
    CHECK_STR(parse_error("SET \"abc\"def\n", &big), "unbalanced quotes in request");
    CHECK_STR(parse_error("SET 'abc\n", &big), "unbalanced quotes in request");
    /* The error comes after the commands before it were returned. */
    int last;
    CHECK_STR(parse_all("PING\r\n*1\r\n$x\r\n", &last), "PING;");
    CHECK_EQ_I(last, SRV_PARSE_ERROR);
}

TEST(limits)
{
    srv_limits_t small = {10, 3};
    CHECK_STR(parse_error("*1\r\n$11\r\n", &small), "invalid bulk length");
    CHECK_STR(parse_error("*1\r\n$10\r\n0123456789\r\n", &small), "(no error)");
    CHECK_STR(parse_error("*4\r\n", &small), "invalid multibulk length");
    CHECK_STR(parse_error("*3\r\n", &small), "(no error)");
    static char huge[SRV_PROTO_INLINE_MAX + 100];
    memset(huge, 'a', sizeof(huge) - 1);
    huge[sizeof(huge) - 1] = '\0';
    CHECK_STR(parse_error(huge, &big), "too big inline request");
    huge[0] = '*';
    CHECK_STR(parse_error(huge, &big), "too big mbulk count string");
    memcpy(huge, "*1\r\n$", 5);
    CHECK_STR(parse_error(huge, &big), "too big bulk count string");
    /* Just below the limit: waits for more instead of failing. */
    huge[SRV_PROTO_INLINE_MAX - 10] = '\0';
    CHECK_STR(parse_error(huge + 5, &big), "(no error)");
}

/* Header numbers of every length, across the parser's short-number path (up to 18 digits) and
 * its general one: the largest bulk limit is taken, the next is refused. */
TEST(header_numbers)
{
    char in[64];
    int last;
    CHECK_STR(parse_all("*0\r\n*1\r\n$0\r\n\r\n", &last), ";");
    snprintf(in, sizeof(in), "*1\r\n$%llu\r\n", (unsigned long long)INT64_MAX);
    srv_limits_t all = {(uint64_t)INT64_MAX, 1u << 20};
    CHECK_STR(parse_error(in, &all), "(no error)");
    snprintf(in, sizeof(in), "*1\r\n$%llu\r\n", (unsigned long long)INT64_MAX + 1);
    CHECK_STR(parse_error(in, &all), "invalid bulk length");
    for (unsigned long long v = 1, digits = 1; digits <= 19; v *= 10, digits++) {
        srv_limits_t lim = {v - 1, 1u << 20};
        snprintf(in, sizeof(in), "*1\r\n$%llu\r\n", v);
        CHECK_STR(parse_error(in, &lim), "invalid bulk length");
        lim.max_bulk = v;
        CHECK_STR(parse_error(in, &lim), "(no error)");
    }
    /* A header whose '\r' is the last byte waits for the byte after it. */
    CHECK_STR(parse_error("*1\r\n$5\r", &big), "(no error)");
    CHECK_STR(parse_error("*1\r", &big), "(no error)");
}

TEST(str_to_ll)
{
    long long v;
    CHECK(srv_str_to_ll("0", 1, &v) && v == 0);
    CHECK(srv_str_to_ll("-12", 3, &v) && v == -12);
    CHECK(srv_str_to_ll("9223372036854775807", 19, &v) && v == INT64_MAX);
    CHECK(srv_str_to_ll("-9223372036854775808", 20, &v) && v == INT64_MIN);
    CHECK(!srv_str_to_ll("9223372036854775808", 19, &v));
    CHECK(!srv_str_to_ll("-0", 2, &v));
    CHECK(!srv_str_to_ll("01", 2, &v));
    CHECK(!srv_str_to_ll("+1", 2, &v));
    CHECK(!srv_str_to_ll(" 1", 2, &v));
    CHECK(!srv_str_to_ll("", 0, &v));
    CHECK(!srv_str_to_ll("-", 1, &v));
}

TEST(reply_writer)
{
    srv_buf_t b = {0};
    srv_reply_array(&b, 3);
    srv_reply_bulk(&b, "ab", 2);
    srv_reply_nil(&b);
    srv_reply_int(&b, -7);
    srv_reply_ok(&b);
    srv_reply_error(&b, "ERR bad\r\nthing");
    srv_reply_simple(&b, "PONG");
    srv_reply_bulk(&b, "", 0);
    srv_reply_int(&b, 0);
    srv_reply_int(&b, INT64_MAX);
    srv_reply_int(&b, INT64_MIN);
    srv_reply_array(&b, 10);
    const char *want =
        "*3\r\n$2\r\nab\r\n$-1\r\n:-7\r\n+OK\r\n-ERR bad  thing\r\n+PONG\r\n$0\r\n\r\n"
        ":0\r\n:9223372036854775807\r\n:-9223372036854775808\r\n*10\r\n";
    CHECK_EQ_U(b.len, strlen(want));
    CHECK(memcmp(b.p, want, b.len) == 0);
    CHECK(!b.failed);
    srv_buf_consume(&b, 4);
    CHECK(memcmp(b.p, "$2\r\n", 4) == 0);
    srv_buf_free(&b);
}

/* Every typed reply in both protocols: RESP3's type, and the RESP2 form Redis 7.0 sends. */
static void typed_replies(srv_buf_t *b)
{
    srv_reply_map(b, 1);
    srv_reply_set(b, 2);
    srv_reply_push(b, 3);
    srv_reply_pairs(b, 2);
    srv_reply_pair(b);
    srv_reply_nil(b);
    srv_reply_null_array(b);
    srv_reply_double(b, 1.5);
    srv_reply_double(b, 0.1);
    srv_reply_double(b, -1.0 / 0.0);
    srv_reply_bool(b, true);
    srv_reply_bool(b, false);
    srv_reply_verbatim(b, "a\r\nb", 4);
    srv_reply_verbatim_as(b, "x", 1, "md");
    srv_reply_verbatim_head(b, 2);
    srv_reply_bignum(b, "123", 3);
}

TEST(typed_replies_both_protocols)
{
    srv_buf_t b = {0}; /* a zeroed buffer speaks RESP2 */
    typed_replies(&b);
    const char *resp2 = "*2\r\n*2\r\n*3\r\n*4\r\n$-1\r\n*-1\r\n$3\r\n1.5\r\n"
                        "$19\r\n0.10000000000000001\r\n$4\r\n-inf\r\n:1\r\n:0\r\n"
                        "$4\r\na\r\nb\r\n$1\r\nx\r\n$2\r\n$3\r\n123\r\n";
    CHECK_EQ_U(b.len, strlen(resp2));
    CHECK(b.len == strlen(resp2) && memcmp(b.p, resp2, b.len) == 0);
    srv_buf_free(&b);
    CHECK(!srv_buf_resp3(&b));

    b.proto = SRV_RESP3;
    srv_buf_free(&b); /* keeps the protocol */
    CHECK(srv_buf_resp3(&b));
    typed_replies(&b);
    const char *resp3 = "%1\r\n~2\r\n>3\r\n*2\r\n*2\r\n_\r\n_\r\n,1.5\r\n"
                        ",0.10000000000000001\r\n,-inf\r\n#t\r\n#f\r\n"
                        "=8\r\ntxt:a\r\nb\r\n=5\r\nmd :x\r\n=6\r\ntxt:(123\r\n";
    CHECK_EQ_U(b.len, strlen(resp3));
    CHECK(b.len == strlen(resp3) && memcmp(b.p, resp3, b.len) == 0);
    srv_buf_t part = srv_buf_like(&b);
    CHECK(srv_buf_resp3(&part) && part.len == 0 && part.p == NULL);
    CHECK(srv_reply_attribute(&part, 2)); /* RESP3 only: RESP2 leaves attributes out */
    CHECK(part.len == 4 && memcmp(part.p, "|2\r\n", 4) == 0);
    srv_buf_free(&part);
    srv_buf_free(&b);
    b.proto = SRV_RESP2;
    CHECK(!srv_reply_attribute(&b, 1) && b.len == 0);
}

int main(void)
{
    RUN(multibulk_complete);
    RUN(pipelined);
    RUN(binary_safe_bulk);
    RUN(split_at_every_byte);
    RUN(header_numbers);
    RUN(shift_between_reads);
    RUN(want_for_large_bulk);
    RUN(inline_quoting);
    RUN(malformed);
    RUN(limits);
    RUN(str_to_ll);
    RUN(reply_writer);
    RUN(typed_replies_both_protocols);
    return TEST_REPORT();
}
