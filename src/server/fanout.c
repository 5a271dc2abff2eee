/*
 * src/server/fanout.c: one client's command run on every worker, its reply built from what
 * each worker gathered (CLIENT LIST, CLIENT KILL, CONFIG RESETSTAT).
 *
 * The origin client is marked SRV_WAITING (its next commands wait in its input buffer, so
 * replies keep their order); a task goes to every worker's mailbox; each runs `each` on its
 * own thread, writing only its own part (parts[w->index]) or atomic counters; the last one to
 * finish posts the `done` step back to the origin worker, which replies to the client, if it
 * is still connected (looked up by id), and runs its next commands. No thread ever waits for
 * another: two workers fanning out at once cannot deadlock.
 *
 * Invariants: exactly one `done` per fan-out, after every `each`; the fan-out is freed by the
 * done task, on the origin worker (or at release when the server stopped first).
 *
 * Memory: everything here is transient, made by the worker that allocates it (the fan-out and
 * the tasks by the origin, each part's text by its worker) and freed wherever the fan-out ends,
 * so every free goes through srv_free_foreign: a block returns to the private arena it came
 * from, never into another worker's cache.
 */
#include "srv.h"
#include "fl_assert.h"
#include "lifetime.h"

#include <stdlib.h>

typedef struct part_task {
    srv_task_t t;
    srv_fanout_t *f;
} part_task_t;

static void fanout_free(srv_fanout_t *f)
{
    for (int i = 0; i < f->nparts; i++) { /* written by worker i (parts have no meter) */
        FL_DEBUG_ASSERT(f->parts[i].meter == NULL);
        srv_free_foreign(f->parts[i].p);
    }
    srv_free_foreign(f->parts);
    srv_free_foreign(f->arg);
    srv_free_foreign(f);
}

static srv_client_t *find_client(srv_worker_t *w, uint64_t id)
{
    for (srv_client_t *c = w->clients; c; c = c->next)
        if (c->id == id)
            return c;
    return NULL;
}

static void done_run(srv_worker_t *w, srv_task_t *t)
{
    part_task_t *p = (part_task_t *)t;
    srv_fanout_t *f = p->f;
    srv_free_foreign(p);
    srv_client_t *c = find_client(w, f->client_id);
    if (c && (c->flags & SRV_WAITING)) {
        f->done(c, f);
        c->flags &= ~SRV_WAITING;
        srv_client_resume(c);
    }
    fanout_free(f);
}

static void part_run(srv_worker_t *w, srv_task_t *t)
{
    part_task_t *p = (part_task_t *)t;
    srv_fanout_t *f = p->f;
    f->each(w, f);
    int nparts = f->nparts; /* read before the decrement: f may be freed once it is done */
    int before = atomic_fetch_sub(&f->pending, 1);
    FL_ASSERT(before >= 1 && before <= nparts); /* one part per worker, each run once */
    if (before != 1) {
        srv_free_foreign(p); /* made by the origin worker */
        return;
    }
    p->t.fn = done_run; /* the last part: reuse its message for the reply */
    srv_worker_post(f->origin, &p->t);
}

srv_fanout_t *srv_fanout_new(srv_client_t *c, srv_fanout_each_fn *each, srv_fanout_done_fn *done)
{
    srv_fanout_t *f = calloc(1, sizeof(*f));
    if (!f)
        return NULL;
    f->nparts = c->srv->nworkers;
    f->parts = calloc((size_t)f->nparts, sizeof(*f->parts));
    if (!f->parts) {
        free(f);
        return NULL;
    }
    f->origin = c->worker;
    f->client_id = c->id;
    f->each = each;
    f->done = done;
    return f;
}

bool srv_fanout_start(srv_client_t *c, srv_fanout_t *f)
{
    part_task_t **tasks = calloc((size_t)f->nparts, sizeof(*tasks));
    bool ok = tasks != NULL;
    for (int i = 0; ok && i < f->nparts; i++)
        ok = (tasks[i] = malloc(sizeof(**tasks))) != NULL;
    if (!ok) {
        for (int i = 0; tasks && i < f->nparts; i++)
            free(tasks[i]);
        free(tasks);
        fanout_free(f);
        return false;
    }
    atomic_store(&f->pending, f->nparts);
    c->flags |= SRV_WAITING;
    for (int i = 0; i < f->nparts; i++) {
        tasks[i]->t.fn = part_run;
        tasks[i]->f = f;
        srv_worker_post(&c->srv->workers[i], &tasks[i]->t);
    }
    free(tasks);
    return true;
}
