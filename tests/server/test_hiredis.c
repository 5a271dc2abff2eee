/*
 * tests/server/test_hiredis.c: flatline-server through hiredis, the C client library most
 * Redis clients wrap: a deep pipeline, binary-safe keys and values (NUL, CR, LF, all 256
 * byte values, a 1 MiB value), hashes, and many concurrent clients on threads whose
 * results must add up exactly. Usage: test_server_hiredis PORT
 */
#include "../testhelper.h"

#include <hiredis/hiredis.h>
#include <pthread.h>

static int port;

static redisContext *connect_or_null(void)
{
    struct timeval tv = {10, 0};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", port, tv);
    if (c && c->err) {
        fprintf(stderr, "connect: %s\n", c->errstr);
        redisFree(c);
        return NULL;
    }
    if (c)
        redisSetTimeout(c, tv);
    return c;
}

TEST(pipeline)
{
    redisContext *c = connect_or_null();
    CHECK(c);
    enum { N = 5000 };
    for (int i = 0; i < N; i++)
        redisAppendCommand(c, "SET pipe:%d value-%d", i, i);
    for (int i = 0; i < N; i++)
        redisAppendCommand(c, "GET pipe:%d", i);
    int bad = 0;
    for (int i = 0; i < 2 * N; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r) {
            bad = 1;
            break;
        }
        char want[32];
        snprintf(want, sizeof(want), "value-%d", i - N);
        if (i < N && !(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0))
            bad++;
        if (i >= N && !(r->type == REDIS_REPLY_STRING && strcmp(r->str, want) == 0))
            bad++;
        freeReplyObject(r);
    }
    redisFree(c);
    CHECK_EQ_I(bad, 0);
}

TEST(binary_safe)
{
    redisContext *c = connect_or_null();
    CHECK(c);
    char key[] = "bin\0key\r\n", val[256];
    for (int i = 0; i < 256; i++)
        val[i] = (char)i;
    redisReply *r = redisCommand(c, "SET %b %b", key, sizeof(key), val, sizeof(val));
    CHECK(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = redisCommand(c, "GET %b", key, sizeof(key));
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == sizeof(val));
    CHECK(memcmp(r->str, val, sizeof(val)) == 0);
    freeReplyObject(r);
    r = redisCommand(c, "HSET h%b %b %b", key, sizeof(key), val, (size_t)17, val + 100,
                     (size_t)150);
    CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 1);
    freeReplyObject(r);
    r = redisCommand(c, "HGETALL h%b", key, sizeof(key));
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    CHECK(r->element[0]->len == 17 && memcmp(r->element[0]->str, val, 17) == 0);
    CHECK(r->element[1]->len == 150 && memcmp(r->element[1]->str, val + 100, 150) == 0);
    freeReplyObject(r);
    /* A 1 MiB value: arrives over many reads, leaves over many writes. */
    size_t big = 1 << 20;
    char *b = malloc(big);
    CHECK(b);
    for (size_t i = 0; i < big; i++)
        b[i] = (char)(i * 131 + 7);
    r = redisCommand(c, "SET big %b", b, big);
    CHECK(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    r = redisCommand(c, "GET big");
    int same = r && r->type == REDIS_REPLY_STRING && r->len == big && memcmp(r->str, b, big) == 0;
    freeReplyObject(r);
    r = redisCommand(c, "STRLEN big");
    CHECK(r && r->integer == (long long)big);
    freeReplyObject(r);
    free(b);
    redisFree(c);
    CHECK(same);
}

/* 300 GETs of a 100 KB value in one pipeline: 30 MB of replies that the server must hold
 * back (backpressure) rather than buffer, and still deliver complete and in order. */
TEST(large_replies_pipelined)
{
    redisContext *c = connect_or_null();
    CHECK(c);
    size_t n = 100 * 1024;
    char *v = malloc(n);
    CHECK(v);
    for (size_t i = 0; i < n; i++)
        v[i] = (char)('a' + i % 26);
    redisReply *r = redisCommand(c, "SET bigv %b", v, n);
    CHECK(r && r->type == REDIS_REPLY_STATUS);
    freeReplyObject(r);
    for (int i = 0; i < 300; i++)
        redisAppendCommand(c, "GET bigv");
    redisAppendCommand(c, "PING");
    int bad = 0;
    for (int i = 0; i < 300; i++) {
        r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || !r) {
            bad = 1000;
            break;
        }
        bad += !(r->type == REDIS_REPLY_STRING && r->len == n && memcmp(r->str, v, n) == 0);
        freeReplyObject(r);
    }
    r = NULL;
    if (bad < 1000 && redisGetReply(c, (void **)&r) == REDIS_OK && r)
        bad += !(r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0);
    freeReplyObject(r);
    free(v);
    redisFree(c);
    CHECK_EQ_I(bad, 0);
}

enum { THREADS = 8, OPS = 1000 };

static void *client_thread(void *arg)
{
    long id = (long)arg, errors = 0;
    redisContext *c = connect_or_null();
    if (!c)
        return (void *)1L;
    for (int i = 0; i < OPS; i++) {
        redisAppendCommand(c, "INCR shared");
        redisAppendCommand(c, "SET t%ld:%d %ld-%d", id, i, id, i);
        redisAppendCommand(c, "HINCRBY counts t%ld 1", id);
        if (i % 50 == 49 || i == OPS - 1) { /* pipelines of 150 commands */
            for (int k = 0; k < (i % 50 + 1) * 3; k++) {
                redisReply *r = NULL;
                if (redisGetReply(c, (void **)&r) != REDIS_OK || !r || r->type == REDIS_REPLY_ERROR)
                    errors++;
                freeReplyObject(r);
                if (c->err)
                    break;
            }
        }
        if (c->err)
            break;
    }
    for (int i = 0; i < OPS && !c->err; i += 97) {
        redisReply *r = redisCommand(c, "GET t%ld:%d", id, i);
        char want[32];
        snprintf(want, sizeof(want), "%ld-%d", id, i);
        if (!r || r->type != REDIS_REPLY_STRING || strcmp(r->str, want) != 0)
            errors++;
        freeReplyObject(r);
    }
    errors += c->err != 0;
    redisFree(c);
    return (void *)errors;
}

TEST(concurrent_clients)
{
    pthread_t t[THREADS];
    redisContext *c = connect_or_null();
    CHECK(c);
    redisReply *r = redisCommand(c, "DEL shared counts");
    freeReplyObject(r);
    for (long i = 0; i < THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, client_thread, (void *)i) == 0);
    long errors = 0;
    for (int i = 0; i < THREADS; i++) {
        void *e;
        pthread_join(t[i], &e);
        errors += (long)e;
    }
    CHECK_EQ_I(errors, 0);
    r = redisCommand(c, "GET shared");
    CHECK(r && r->type == REDIS_REPLY_STRING);
    CHECK_EQ_I(atol(r->str), THREADS * OPS);
    freeReplyObject(r);
    r = redisCommand(c, "HGETALL counts");
    CHECK(r && r->elements == 2 * THREADS);
    for (size_t i = 1; i < r->elements; i += 2)
        CHECK_EQ_I(atol(r->element[i]->str), OPS);
    freeReplyObject(r);
    r = redisCommand(c, "INFO clients");
    CHECK(r && r->type == REDIS_REPLY_STRING && strstr(r->str, "connected_clients:"));
    freeReplyObject(r);
    redisFree(c);
}

TEST(errors_keep_connection)
{
    redisContext *c = connect_or_null();
    CHECK(c);
    if (!c)
        return;
    /* Its own non-integer value: no dependence on what earlier tests left. */
    redisReply *r = redisCommand(c, "SET %s %s", "errors_keep:text", "not a number");
    CHECK(r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "OK") == 0);
    freeReplyObject(r);
    r = redisCommand(c, "INCR %s", "errors_keep:text");
    CHECK(r && r->type == REDIS_REPLY_ERROR);
    CHECK_STR(r->str, "ERR value is not an integer or out of range");
    freeReplyObject(r);
    r = redisCommand(c, "NOSUCH");
    CHECK(r && r->type == REDIS_REPLY_ERROR);
    freeReplyObject(r);
    r = redisCommand(c, "PING");
    CHECK(r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0);
    freeReplyObject(r);
    r = redisCommand(c, "GET %s", "errors_keep:text"); /* the failed INCR changed nothing */
    CHECK(r && r->type == REDIS_REPLY_STRING && strcmp(r->str, "not a number") == 0);
    freeReplyObject(r);
    redisFree(c);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        TEST_SKIP("usage: test_server_hiredis PORT (run through hiredis.sh)");
    port = atoi(argv[1]);
    RUN(pipeline);
    RUN(binary_safe);
    RUN(large_replies_pipelined);
    RUN(concurrent_clients);
    RUN(errors_keep_connection);
    return TEST_REPORT();
}
