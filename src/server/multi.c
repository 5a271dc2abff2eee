/*
 * src/server/multi.c: transactions (MULTI/EXEC/DISCARD) and optimistic locking (WATCH) for one
 * client, with Redis 7.0's semantics.
 *
 * Queuing copies each command's arguments (they point into the input buffer, which moves on).
 * A refused command (unknown, wrong arity, not allowed in a transaction) flags the transaction
 * and EXEC then replies EXECABORT. EXEC opens one store batch (fl_batch_begin) over the
 * partitions of every key the queued commands and the watches name, so a transaction whose
 * keys share a partition locks just that one and other partitions keep serving clients; a
 * queued command that touches the store without naming keys (FLUSHALL, KEYS, SCAN, DBSIZE,
 * SELECT...) makes the batch take every partition. Inside the batch the watches are checked
 * (any change since WATCH: reply a null array and run nothing), then each command runs through
 * its handler and appends its own reply (errors included) to the EXEC array.
 *
 * Invariants: c->multi is touched only by c's worker thread; every fl_watch_t in watch[] is
 * registered in the store until srv_multi_unwatch; a batch never outlives srv_multi_exec.
 */
#include "block.h"
#include "multi.h"

#include <stdlib.h>
#include <string.h>

#include "srv_cmd.h"

typedef struct queued {
    const srv_cmd_t *cmd;
    int argc;
    fl_slice_t *argv; /* argc slices, then their bytes, in one allocation */
} queued_t;

struct srv_multi {
    bool active; /* between MULTI and EXEC/DISCARD */
    bool failed; /* a command was refused while queuing: EXEC aborts */
    queued_t *q;
    size_t nq, qcap;
    fl_watch_t **watch;
    size_t nwatch, wcap;
};

static srv_multi_t *state(srv_client_t *c)
{
    if (!c->multi)
        c->multi = calloc(1, sizeof(*c->multi));
    return c->multi;
}

bool srv_multi_active(const srv_client_t *c)
{
    return c->multi && c->multi->active;
}

long srv_multi_queued(const srv_client_t *c)
{
    return srv_multi_active(c) ? (long)c->multi->nq : -1;
}

bool srv_multi_queues(const srv_client_t *c, const srv_cmd_t *cmd)
{
    if (!srv_multi_active(c))
        return false;
    static const char *const direct[] = {"exec", "discard", "multi", "watch", "quit", "reset"};
    for (size_t i = 0; i < sizeof(direct) / sizeof(direct[0]); i++)
        if (strcmp(cmd->name, direct[i]) == 0)
            return false;
    return true;
}

void srv_multi_flag_error(srv_client_t *c)
{
    if (srv_multi_active(c))
        c->multi->failed = true;
}

static queued_t *queue_slot(srv_multi_t *m)
{
    if (m->nq == m->qcap) {
        size_t cap = m->qcap ? 2 * m->qcap : 8;
        queued_t *q = realloc(m->q, cap * sizeof(*q));
        if (!q)
            return NULL;
        m->q = q;
        m->qcap = cap;
    }
    return &m->q[m->nq];
}

void srv_multi_queue(srv_client_t *c, const srv_cmd_t *cmd, int argc, const fl_slice_t *argv)
{
    srv_multi_t *m = c->multi;
    if (cmd->flags & SRV_CMD_NO_MULTI) {
        m->failed = true;
        srv_reply_error(&c->out, "ERR Command not allowed inside a transaction");
        return;
    }
    size_t bytes = (size_t)argc * sizeof(fl_slice_t);
    for (int i = 0; i < argc; i++)
        bytes += argv[i].n;
    queued_t *slot = queue_slot(m);
    fl_slice_t *copy = slot ? malloc(bytes) : NULL;
    if (!copy) {
        m->failed = true;
        srv_reply_error(&c->out, "OOM command not allowed when used memory > 'maxmemory'.");
        return;
    }
    char *data = (char *)(copy + argc);
    for (int i = 0; i < argc; i++) {
        if (argv[i].n)
            memcpy(data, argv[i].p, argv[i].n);
        copy[i].p = data;
        copy[i].n = argv[i].n;
        data += argv[i].n;
    }
    slot->cmd = cmd;
    slot->argc = argc;
    slot->argv = copy;
    m->nq++;
    srv_reply_simple(&c->out, "QUEUED");
}

bool srv_multi_begin(srv_client_t *c)
{
    srv_multi_t *m = state(c);
    if (!m) {
        c->out.failed = true;
        return true;
    }
    if (m->active)
        return false;
    m->active = true;
    m->failed = false;
    return true;
}

static void clear_queue(srv_multi_t *m)
{
    for (size_t i = 0; i < m->nq; i++)
        free(m->q[i].argv);
    free(m->q);
    m->q = NULL;
    m->nq = m->qcap = 0;
    m->active = false;
    m->failed = false;
}

void srv_multi_unwatch(srv_client_t *c)
{
    srv_multi_t *m = c->multi;
    if (!m)
        return;
    for (size_t i = 0; i < m->nwatch; i++)
        fl_watch_remove(m->watch[i]);
    free(m->watch);
    m->watch = NULL;
    m->nwatch = m->wcap = 0;
}

void srv_multi_exec_busy(srv_client_t *c, const char *err)
{
    clear_queue(c->multi);
    srv_reply_errorf(&c->out, "EXECABORT Transaction discarded because of: %s", err);
}

void srv_multi_discard(srv_client_t *c)
{
    if (!c->multi)
        return;
    clear_queue(c->multi);
    srv_multi_unwatch(c);
}

void srv_multi_free(srv_client_t *c)
{
    srv_multi_discard(c);
    free(c->multi);
    c->multi = NULL;
}

bool srv_multi_watch(srv_client_t *c, fl_slice_t key)
{
    srv_multi_t *m = state(c);
    if (!m)
        return false;
    for (size_t i = 0; i < m->nwatch; i++) {
        fl_batch_key_t k = fl_watch_key(m->watch[i]);
        if (k.ns == c->ns && k.key.n == key.n && (key.n == 0 || !memcmp(k.key.p, key.p, key.n)))
            return true;
    }
    if (m->nwatch == m->wcap) {
        size_t cap = m->wcap ? 2 * m->wcap : 4;
        fl_watch_t **w = realloc(m->watch, cap * sizeof(*w));
        if (!w)
            return false;
        m->watch = w;
        m->wcap = cap;
    }
    if (fl_watch_add(c->ns, key, &m->watch[m->nwatch]) != FL_OK)
        return false;
    m->nwatch++;
    return true;
}

/* Commands that read or write the store without naming keys in their arguments, or change
 * which namespace later keys belong to. */
static bool touches_unnamed(const srv_cmd_t *cmd)
{
    if (strcmp(cmd->name, "select") == 0 || (cmd->flags & SRV_CMD_ALL_PARTS))
        return true;
    return !srv_cmd_has_keys(cmd) && (cmd->flags & (SRV_CMD_WRITE | SRV_CMD_READONLY));
}

typedef struct batch_fill {
    const fl_slice_t *argv;
    fl_ns_t *ns;
    fl_batch_key_t *keys;
    size_t *n, cap;
} batch_fill_t;

static bool batch_add(void *ctx, int pos, bool source)
{
    (void)source;
    batch_fill_t *f = ctx;
    if (*f->n == f->cap)
        return false;
    f->keys[(*f->n)++] = (fl_batch_key_t){f->ns, f->argv[pos]};
    return true;
}

bool srv_cmd_batch_keys(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv, fl_ns_t *ns,
                        fl_batch_key_t *keys, size_t *n, size_t cap)
{
    if (touches_unnamed(cmd))
        return false;
    batch_fill_t f = {argv, ns, keys, n, cap};
    return srv_cmd_each_key(cmd, argc, argv, batch_add, &f) != SRV_KEYS_STOPPED;
}

/* Opens the batch EXEC runs in: every queued key and watched key, or everything. */
static int exec_batch_begin(srv_client_t *c, srv_multi_t *m)
{
    size_t cap = m->nwatch;
    for (size_t i = 0; i < m->nq; i++)
        cap += (size_t)m->q[i].argc;
    fl_batch_key_t *keys = malloc((cap ? cap : 1) * sizeof(*keys));
    if (!keys)
        return FL_ENOMEM;
    size_t n = 0;
    bool named = true;
    for (size_t i = 0; i < m->nwatch; i++)
        keys[n++] = fl_watch_key(m->watch[i]);
    for (size_t i = 0; i < m->nq && named; i++)
        named = srv_cmd_batch_keys(m->q[i].cmd, m->q[i].argc, m->q[i].argv, c->ns, keys, &n, cap);
    int rc = fl_batch_begin(c->srv->store, keys, named ? n : 0, !named);
    free(keys);
    return rc;
}

static bool watches_changed(const srv_multi_t *m)
{
    for (size_t i = 0; i < m->nwatch; i++)
        if (fl_watch_changed(m->watch[i]))
            return true;
    return false;
}

/* ACL rules may have changed since the command was queued: Redis checks again at EXEC and
 * answers a refused command with its own error, running the others. */
static bool exec_allowed(srv_client_t *c, const queued_t *q)
{
    if (!c->srv->acl)
        return true;
    int pos = 0;
    srv_acl_result_t r =
        srv_acl_check(c->srv->acl, &c->acl, q->cmd, srv_cmd_id(q->cmd), q->argc, q->argv, &pos);
    if (r == SRV_ACL_OK)
        return true;
    srv_acl_refuse(c, r, SRV_ACL_CTX_MULTI, q->cmd, q->argc, q->argv, pos);
    return false;
}

void srv_multi_exec(srv_client_t *c)
{
    srv_multi_t *m = c->multi;
    if (m->failed) {
        srv_multi_discard(c);
        srv_reply_error(&c->out, "EXECABORT Transaction discarded because of previous errors.");
        return;
    }
    if (exec_batch_begin(c, m) != FL_OK) {
        srv_multi_discard(c);
        srv_reply_error(&c->out, "OOM command not allowed when used memory > 'maxmemory'.");
        return;
    }
    if (watches_changed(m)) {
        fl_batch_end();
        srv_multi_discard(c);
        srv_reply_null_array(&c->out);
        return;
    }
    /* The queue is detached first: a queued command may be MULTI-aware (UNWATCH). */
    queued_t *q = m->q;
    size_t nq = m->nq;
    m->q = NULL;
    m->nq = m->qcap = 0;
    m->active = false;
    srv_reply_array(&c->out, nq);
    /* A blocking pop inside EXEC answers at once as on a timeout (Redis's DENY_BLOCKING). */
    bool deny = c->deny_blocking;
    c->deny_blocking = true;
    for (size_t i = 0; i < nq; i++)
        if (exec_allowed(c, &q[i]))
            srv_cmd_call(c, q[i].cmd, q[i].argc, q[i].argv);
    c->deny_blocking = deny;
    fl_batch_end();
    srv_block_batch_done(); /* the waiters see the whole transaction */
    srv_flush_after_batch(c->srv);
    for (size_t i = 0; i < nq; i++)
        free(q[i].argv);
    free(q);
    srv_multi_discard(c);
}
