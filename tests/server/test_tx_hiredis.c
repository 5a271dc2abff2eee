/*
 * tests/server/test_tx_hiredis.c: what applications built on client libraries do with
 * transactions, scripts and pub/sub, through hiredis against a running server:
 *   - a redis-py style pipeline (MULTI ... EXEC sent in one write) and its replies;
 *   - atomicity across worker threads: writers increment two keys in one MULTI while readers
 *     read both in one MULTI; every read must see them equal;
 *   - optimistic locking: threads increment a counter with WATCH/GET/MULTI/SET/EXEC, retrying
 *     when EXEC returns nil; the counter must equal the successful EXECs;
 *   - redis-py's Lock: SET NX PX to acquire and the unlock script through EVALSHA (with the
 *     NOSCRIPT fallback to EVAL) to release, guarding a read-modify-write that would lose
 *     updates without the lock;
 *   - pub/sub: two subscribers (on different workers) receive two concurrent publishers'
 *     messages to one channel in the same order, each publisher's in its own order.
 * Usage: test_server_tx_hiredis PORT
 */
#include "../testhelper.h"

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <unistd.h>

static int port;

static redisContext *connect_or_null(void)
{
    struct timeval tv = {30, 0};
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

static bool is_status(const redisReply *r, const char *s)
{
    return r && r->type == REDIS_REPLY_STATUS && strcmp(r->str, s) == 0;
}

TEST(pipeline_transaction)
{
    redisContext *c = connect_or_null();
    CHECK(c);
    redisAppendCommand(c, "MULTI");
    redisAppendCommand(c, "SET %s %s", "tx:a", "1");
    redisAppendCommand(c, "INCRBY %s %d", "tx:a", 41);
    redisAppendCommand(c, "INCR %s", "tx:notanumber:set-below");
    redisAppendCommand(c, "GET %s", "tx:a");
    redisAppendCommand(c, "EXEC");
    redisReply *r[6];
    for (int i = 0; i < 6; i++) {
        r[i] = NULL;
        CHECK(redisGetReply(c, (void **)&r[i]) == REDIS_OK);
    }
    CHECK(is_status(r[0], "OK"));
    for (int i = 1; i < 5; i++)
        CHECK(is_status(r[i], "QUEUED"));
    CHECK(r[5]->type == REDIS_REPLY_ARRAY && r[5]->elements == 4);
    CHECK(is_status(r[5]->element[0], "OK"));
    CHECK(r[5]->element[1]->type == REDIS_REPLY_INTEGER && r[5]->element[1]->integer == 42);
    CHECK(r[5]->element[2]->type == REDIS_REPLY_INTEGER && r[5]->element[2]->integer == 1);
    CHECK(r[5]->element[3]->type == REDIS_REPLY_STRING && strcmp(r[5]->element[3]->str, "42") == 0);
    for (int i = 0; i < 6; i++)
        freeReplyObject(r[i]);
    redisFree(c);
}

/* ---- Atomicity across workers ------------------------------------------------------------ */

enum { WRITERS = 3, READERS = 2, ROUNDS = 1000, FILLERS = 20 };
static _Atomic int torn_reads, failures;

static void *pair_writer(void *arg)
{
    (void)arg;
    redisContext *c = connect_or_null();
    if (!c) {
        failures++;
        return NULL;
    }
    for (int i = 0; i < ROUNDS; i++) {
        /* Writes between the two increments widen the window a torn read would need. */
        redisAppendCommand(c, "MULTI");
        redisAppendCommand(c, "INCR %s", "pair:{left}");
        for (int f = 0; f < FILLERS; f++)
            redisAppendCommand(c, "SET pair:filler:%d %0512d", f, i);
        redisAppendCommand(c, "INCR %s", "pair:[right]");
        redisAppendCommand(c, "EXEC");
        for (int k = 0; k < FILLERS + 4; k++) {
            redisReply *r = NULL;
            if (redisGetReply(c, (void **)&r) != REDIS_OK) {
                failures++;
                redisFree(c);
                return NULL;
            }
            if (k == FILLERS + 3 && !(r->type == REDIS_REPLY_ARRAY && r->elements == FILLERS + 2))
                failures++;
            freeReplyObject(r);
        }
    }
    redisFree(c);
    return NULL;
}

static long long as_ll(const redisReply *r)
{
    return r->type == REDIS_REPLY_STRING ? atoll(r->str) : 0; /* nil = 0 */
}

static void *pair_reader(void *arg)
{
    (void)arg;
    redisContext *c = connect_or_null();
    if (!c) {
        failures++;
        return NULL;
    }
    for (int i = 0; i < ROUNDS; i++) {
        redisAppendCommand(c, "MULTI");
        redisAppendCommand(c, "GET %s", "pair:{left}");
        redisAppendCommand(c, "GET %s", "pair:[right]");
        redisAppendCommand(c, "EXEC");
        for (int k = 0; k < 4; k++) {
            redisReply *r = NULL;
            if (redisGetReply(c, (void **)&r) != REDIS_OK) {
                failures++;
                redisFree(c);
                return NULL;
            }
            if (k == 3 && r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                as_ll(r->element[0]) != as_ll(r->element[1]))
                torn_reads++;
            freeReplyObject(r);
        }
    }
    redisFree(c);
    return NULL;
}

TEST(exec_is_atomic_across_workers)
{
    pthread_t t[WRITERS + READERS];
    for (int i = 0; i < WRITERS + READERS; i++)
        CHECK(pthread_create(&t[i], NULL, i < WRITERS ? pair_writer : pair_reader, NULL) == 0);
    for (int i = 0; i < WRITERS + READERS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_I(failures, 0);
    fprintf(stderr, "     (%d torn reads)\n", (int)torn_reads);
    CHECK_EQ_I(torn_reads, 0);
    redisContext *c = connect_or_null();
    CHECK(c);
    redisReply *r = redisCommand(c, "MGET %s %s", "pair:{left}", "pair:[right]");
    CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 2);
    CHECK_EQ_I(as_ll(r->element[0]), WRITERS * ROUNDS);
    CHECK_EQ_I(as_ll(r->element[1]), WRITERS * ROUNDS);
    freeReplyObject(r);
    redisFree(c);
}

/* ---- WATCH ---------------------------------------------------------------------------------- */

enum { CAS_THREADS = 4, CAS_WINS = 300 };
static _Atomic int cas_done, cas_retries;

static void *cas_incr(void *arg)
{
    (void)arg;
    redisContext *c = connect_or_null();
    if (!c) {
        failures++;
        return NULL;
    }
    for (int wins = 0; wins < CAS_WINS;) {
        freeReplyObject(redisCommand(c, "WATCH %s", "cas:counter"));
        redisReply *g = redisCommand(c, "GET %s", "cas:counter");
        long long v = g ? as_ll(g) : 0;
        freeReplyObject(g);
        redisAppendCommand(c, "MULTI");
        redisAppendCommand(c, "SET %s %lld", "cas:counter", v + 1);
        redisAppendCommand(c, "EXEC");
        redisReply *r[3] = {0};
        for (int k = 0; k < 3; k++)
            if (redisGetReply(c, (void **)&r[k]) != REDIS_OK) {
                failures++;
                redisFree(c);
                return NULL;
            }
        if (r[2]->type == REDIS_REPLY_ARRAY)
            wins++;
        else if (r[2]->type == REDIS_REPLY_NIL)
            cas_retries++;
        else
            failures++;
        for (int k = 0; k < 3; k++)
            freeReplyObject(r[k]);
    }
    cas_done += CAS_WINS;
    redisFree(c);
    return NULL;
}

TEST(watch_optimistic_increment)
{
    pthread_t t[CAS_THREADS];
    for (int i = 0; i < CAS_THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, cas_incr, NULL) == 0);
    for (int i = 0; i < CAS_THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_I(failures, 0);
    redisContext *c = connect_or_null();
    CHECK(c);
    redisReply *r = redisCommand(c, "GET %s", "cas:counter");
    CHECK(r);
    CHECK_EQ_I(as_ll(r), CAS_THREADS * CAS_WINS);
    freeReplyObject(r);
    redisFree(c);
    fprintf(stderr, "     (%d WATCH conflicts retried)\n", (int)cas_retries);
}

/* ---- redis-py's Lock ------------------------------------------------------------------------ */

static const char unlock_script[] = "if redis.call('get', KEYS[1]) == ARGV[1] then "
                                    "return redis.call('del', KEYS[1]) else return 0 end";
static char unlock_sha[41];
enum { LOCK_THREADS = 4, LOCK_ROUNDS = 150 };

/* EVALSHA, falling back to EVAL on NOSCRIPT (what redis-py's Script object does). */
static redisReply *run_unlock(redisContext *c, const char *token)
{
    redisReply *r = redisCommand(c, "EVALSHA %s 1 %s %s", unlock_sha, "lock:res", token);
    if (r && r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(r);
        r = redisCommand(c, "EVAL %s 1 %s %s", unlock_script, "lock:res", token);
    }
    return r;
}

static void *lock_worker(void *arg)
{
    long id = (long)arg;
    redisContext *c = connect_or_null();
    if (!c) {
        failures++;
        return NULL;
    }
    for (int i = 0; i < LOCK_ROUNDS; i++) {
        char token[64];
        snprintf(token, sizeof(token), "owner-%ld-%d", id, i);
        for (;;) {
            redisReply *r = redisCommand(c, "SET %s %s NX PX %d", "lock:res", token, 10000);
            bool got = is_status(r, "OK");
            freeReplyObject(r);
            if (got)
                break;
            usleep(100);
        }
        /* The critical section: a read-modify-write that loses updates unless serialised. */
        redisReply *g = redisCommand(c, "GET %s", "lock:count");
        long long v = g ? as_ll(g) : 0;
        freeReplyObject(g);
        freeReplyObject(redisCommand(c, "SET %s %lld", "lock:count", v + 1));
        redisReply *u = run_unlock(c, token);
        if (!u || u->type != REDIS_REPLY_INTEGER || u->integer != 1)
            failures++;
        freeReplyObject(u);
    }
    redisFree(c);
    return NULL;
}

TEST(redis_py_lock_with_evalsha)
{
    redisContext *c = connect_or_null();
    CHECK(c);
    freeReplyObject(redisCommand(c, "SCRIPT FLUSH"));
    redisReply *r = redisCommand(c, "EVALSHA %s 0", "0000000000000000000000000000000000000000");
    CHECK(r && r->type == REDIS_REPLY_ERROR);
    CHECK_STR(r->str, "NOSCRIPT No matching script. Please use EVAL.");
    freeReplyObject(r);
    r = redisCommand(c, "SCRIPT LOAD %s", unlock_script);
    CHECK(r && r->type == REDIS_REPLY_STRING && r->len == 40);
    memcpy(unlock_sha, r->str, 41);
    freeReplyObject(r);
    pthread_t t[LOCK_THREADS];
    for (long i = 0; i < LOCK_THREADS; i++)
        CHECK(pthread_create(&t[i], NULL, lock_worker, (void *)i) == 0);
    for (int i = 0; i < LOCK_THREADS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_I(failures, 0);
    r = redisCommand(c, "GET %s", "lock:count");
    CHECK(r);
    CHECK_EQ_I(as_ll(r), LOCK_THREADS * LOCK_ROUNDS);
    freeReplyObject(r);
    /* A stranger's token does not release the lock. */
    freeReplyObject(redisCommand(c, "SET %s %s", "lock:res", "mine"));
    r = run_unlock(c, "not-mine");
    CHECK(r && r->type == REDIS_REPLY_INTEGER && r->integer == 0);
    freeReplyObject(r);
    redisFree(c);
}

/* ---- Pub/sub order ----------------------------------------------------------------------- */

enum { PUBLISHERS = 2, MESSAGES = 500 };

static void *publisher(void *arg)
{
    long id = (long)arg;
    redisContext *c = connect_or_null();
    if (!c) {
        failures++;
        return NULL;
    }
    for (int i = 0; i < MESSAGES; i++) {
        redisReply *r = redisCommand(c, "PUBLISH %s %ld:%d", "order:chan", id, i);
        if (!r || r->type != REDIS_REPLY_INTEGER || r->integer != 2)
            failures++;
        freeReplyObject(r);
    }
    redisFree(c);
    return NULL;
}

/* Reads n messages from a subscribed connection into seq (each "<publisher>:<i>"). */
static bool read_messages(redisContext *c, char (*seq)[16], int n)
{
    for (int i = 0; i < n; i++) {
        redisReply *r = NULL;
        if (redisGetReply(c, (void **)&r) != REDIS_OK || r->type != REDIS_REPLY_ARRAY ||
            r->elements != 3 || strcmp(r->element[0]->str, "message") != 0) {
            freeReplyObject(r);
            return false;
        }
        snprintf(seq[i], 16, "%s", r->element[2]->str);
        freeReplyObject(r);
    }
    return true;
}

TEST(pubsub_order_across_workers)
{
    redisContext *sub[2];
    for (int s = 0; s < 2; s++) {
        sub[s] = connect_or_null();
        CHECK(sub[s]);
        redisReply *r = redisCommand(sub[s], "SUBSCRIBE %s", "order:chan");
        CHECK(r && r->type == REDIS_REPLY_ARRAY && r->elements == 3);
        freeReplyObject(r);
    }
    pthread_t t[PUBLISHERS];
    for (long i = 0; i < PUBLISHERS; i++)
        CHECK(pthread_create(&t[i], NULL, publisher, (void *)i) == 0);
    for (int i = 0; i < PUBLISHERS; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ_I(failures, 0);
    enum { TOTAL = PUBLISHERS * MESSAGES };
    static char seq[2][TOTAL][16];
    for (int s = 0; s < 2; s++)
        CHECK(read_messages(sub[s], seq[s], TOTAL));
    for (int i = 0; i < TOTAL; i++)
        CHECK_STR(seq[0][i], seq[1][i]); /* one order for every subscriber */
    int next[PUBLISHERS] = {0};
    for (int i = 0; i < TOTAL; i++) { /* and each publisher's messages in its order */
        int p = atoi(seq[0][i]), k = atoi(strchr(seq[0][i], ':') + 1);
        CHECK(p >= 0 && p < PUBLISHERS);
        CHECK_EQ_I(k, next[p]);
        next[p]++;
    }
    for (int s = 0; s < 2; s++)
        redisFree(sub[s]);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        TEST_SKIP("usage: test_server_tx_hiredis PORT (run through tx_hiredis.sh)");
    port = atoi(argv[1]);
    RUN(pipeline_transaction);
    RUN(exec_is_atomic_across_workers);
    RUN(watch_optimistic_increment);
    RUN(redis_py_lock_with_evalsha);
    RUN(pubsub_order_across_workers);
    return TEST_REPORT();
}
