/*
 * src/server/acl_log.c: ACL LOG, Redis 7.0's record of refused commands, keys and
 * authentications: newest entry first, an entry identical in reason, object and user to one of
 * the last LOG_SCAN within LOG_GROUP_MS counts up instead of adding one, at most
 * SRV_ACL_LOG_MAX entries (the oldest goes).
 *
 * Invariants: len is the list's length, at most SRV_ACL_LOG_MAX; every field is protected by
 * mu, which is never held while taking another lock. Any thread. The log, its entries and their
 * strings live in the server-lifetime arena (lifetime.h): an entry made on one worker is dropped
 * by whichever worker pushes it out or runs ACL LOG RESET.
 */
#include "acl.h"
#include "fl_assert.h"
#include "lifetime.h"
#include "srv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* One entry. */
typedef struct log_entry {
    struct log_entry *next; /* older */
    uint64_t count;
    int reason;
    srv_acl_ctx_t context;
    char *object, *user, *client_info;
    int64_t ms; /* last occurrence */
} log_entry_t;

struct srv_acl_log {
    pthread_mutex_t mu;
    log_entry_t *head; /* newest first */
    size_t len;
};

srv_acl_log_t *srv_acl_log_create(void)
{
    srv_acl_log_t *log = srv_keep_calloc(SRV_ARENA_SERVER, 1, sizeof(*log));
    if (log)
        pthread_mutex_init(&log->mu, NULL);
    return log;
}

void srv_acl_log_destroy(srv_acl_log_t *log)
{
    if (!log)
        return;
    srv_acl_log_reset(log);
    pthread_mutex_destroy(&log->mu);
    srv_keep_free(SRV_ARENA_SERVER, log, sizeof(*log));
}

#define LOG_GROUP_MS 60000 /* Redis's ACL_LOG_GROUPING_MAX_TIME_DELTA */
#define LOG_SCAN 10        /* entries looked at for a match, as Redis */

static void log_entry_free(log_entry_t *e)
{
    srv_keep_free_str(SRV_ARENA_SERVER, e->object);
    srv_keep_free_str(SRV_ARENA_SERVER, e->user);
    srv_keep_free_str(SRV_ARENA_SERVER, e->client_info);
    srv_keep_free(SRV_ARENA_SERVER, e, sizeof(*e));
}

static bool slice_equals(const char *s, fl_slice_t x)
{
    return strlen(s) == x.n && memcmp(s, x.p, x.n) == 0;
}

/* A NUL-terminated copy of x's first 512 bytes, up to a NUL in them (entries are printed as C
 * strings, and srv_keep_free_str frees strlen + 1 bytes). */
static char *slice_dup(fl_slice_t x)
{
    size_t n = x.n < 512 ? x.n : 512;
    const char *nul = memchr(x.p, '\0', n);
    return srv_keep_strndup(SRV_ARENA_SERVER, x.p, nul ? (size_t)(nul - x.p) : n);
}

void srv_acl_log_add(srv_acl_log_t *log, int reason, srv_acl_ctx_t context, fl_slice_t object,
                     fl_slice_t user, const char *client_info)
{
    int64_t now = fl_now_ms();
    char *info = srv_keep_strndup(SRV_ARENA_SERVER, client_info, strlen(client_info));
    pthread_mutex_lock(&log->mu);
    log_entry_t **pp = &log->head;
    for (int i = 0; *pp && i < LOG_SCAN; i++, pp = &(*pp)->next) {
        log_entry_t *e = *pp;
        if (e->reason != reason || e->context != context || !slice_equals(e->object, object) ||
            !slice_equals(e->user, user) || now - e->ms > LOG_GROUP_MS)
            continue;
        *pp = e->next; /* to the front, updated */
        e->next = log->head;
        log->head = e;
        e->count++;
        e->ms = now;
        if (info) {
            srv_keep_free_str(SRV_ARENA_SERVER, e->client_info);
            e->client_info = info;
        }
        pthread_mutex_unlock(&log->mu);
        return;
    }
    log_entry_t *e = srv_keep_calloc(SRV_ARENA_SERVER, 1, sizeof(*e));
    if (!e || !info || !(e->object = slice_dup(object)) || !(e->user = slice_dup(user))) {
        pthread_mutex_unlock(&log->mu);
        srv_keep_free_str(SRV_ARENA_SERVER, info);
        if (e)
            log_entry_free(e);
        return; /* out of memory: the refusal stands, unlogged */
    }
    *e = (log_entry_t){log->head, 1, reason, context, e->object, e->user, info, now};
    log->head = e;
    FL_ASSERT(log->len <= SRV_ACL_LOG_MAX);
    if (++log->len > SRV_ACL_LOG_MAX) {
        log_entry_t **last = &log->head;
        while ((*last)->next)
            last = &(*last)->next;
        log_entry_free(*last);
        *last = NULL;
        log->len--;
    }
    pthread_mutex_unlock(&log->mu);
}

void srv_acl_log_reply(srv_acl_log_t *log, long count, srv_buf_t *out)
{
    int64_t now = fl_now_ms();
    pthread_mutex_lock(&log->mu);
    size_t n = log->len < (size_t)count ? log->len : (size_t)count;
    srv_reply_array(out, n);
    log_entry_t *e = log->head;
    for (size_t i = 0; i < n; i++, e = e->next) {
        srv_reply_map(out, 7);
        srv_reply_bulk_str(out, "count");
        srv_reply_int(out, (long long)e->count);
        srv_reply_bulk_str(out, "reason");
        srv_reply_bulk_str(out, e->reason == SRV_ACL_DENIED_KEY       ? "key"
                                : e->reason == SRV_ACL_DENIED_CHANNEL ? "channel"
                                : e->reason == SRV_ACL_LOG_AUTH       ? "auth"
                                                                      : "command");
        srv_reply_bulk_str(out, "context");
        srv_reply_bulk_str(out, e->context == SRV_ACL_CTX_MULTI ? "multi"
                                : e->context == SRV_ACL_CTX_LUA ? "lua"
                                                                : "toplevel");
        srv_reply_bulk_str(out, "object");
        srv_reply_bulk_str(out, e->object);
        srv_reply_bulk_str(out, "username");
        srv_reply_bulk_str(out, e->user);
        srv_reply_bulk_str(out, "age-seconds");
        srv_reply_double(out, (double)(now - e->ms) / 1000.0);
        srv_reply_bulk_str(out, "client-info");
        srv_reply_bulk_str(out, e->client_info);
    }
    pthread_mutex_unlock(&log->mu);
}

void srv_acl_log_reset(srv_acl_log_t *log)
{
    pthread_mutex_lock(&log->mu);
    while (log->head) {
        log_entry_t *e = log->head;
        log->head = e->next;
        log_entry_free(e);
    }
    log->len = 0;
    pthread_mutex_unlock(&log->mu);
}
