/*
 * examples/adopt/kvserver.c: a small threaded key-value server, before and after adopting
 * lifecycle arenas. The same source builds twice (examples/CMakeLists.txt): kvserver-before
 * uses plain malloc everywhere; kvserver-after (FLATLINE_ADOPT) changes the few lines marked
 * "ADOPT" below: records go to one shared arena, each worker's transient data to a private arena,
 * and the start-up loader's allocations are routed into the shared arena by a scoped binding.
 * docs/adopting.md walks through the change and the measured difference.
 *
 * The server: `threads` workers take requests from an in-process queue (the network is left out
 * so the example stays small and deterministic). Each request is parsed into transient pieces
 * (argument copies, a reply buffer) that live until the worker's batch of requests is answered,
 * and a SET stores a record in the shared table. Records and transient pieces have sizes in the
 * same jemalloc size classes, so with plain malloc they share slabs; when a burst of big batches
 * ends, the records left scattered in those slabs pin their pages. With lifecycle arenas the
 * transient slabs empty completely and go back to the OS.
 *
 * Output: one line of figures (records, live record bytes, RSS after the burst and a purge, RSS
 * per live byte) and a checksum of the table, equal in both builds for the same arguments.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flatline/mem.h>

/* ---- the shared table: records keyed by id in BUCKETS chains, one mutex per stripe ---- */

#define STRIPES 64
#define BUCKETS 65536 /* a multiple of STRIPES: bucket b is under mutex b % STRIPES */

typedef struct record {
    struct record *next;
    uint64_t key;
    uint32_t len;
    char value[];
} record_t;

typedef struct table {
    pthread_mutex_t mu[STRIPES];
    record_t *head[BUCKETS]; /* bucket b under mu[b % STRIPES] */
} table_t;

static table_t g_table;

#ifdef FLATLINE_ADOPT
static fl_arena_t *g_records; /* ADOPT: the arena persistent records live in */
#endif

static record_t *record_new(uint64_t key, const char *value, uint32_t len)
{
#ifdef FLATLINE_ADOPT
    record_t *r = fl_arena_malloc(g_records, sizeof(*r) + len); /* ADOPT: was malloc */
#else
    record_t *r = malloc(sizeof(*r) + len);
#endif
    if (r == NULL)
        return NULL;
    r->key = key;
    r->len = len;
    memcpy(r->value, value, len);
    return r;
}

static void record_free(record_t *r)
{
#ifdef FLATLINE_ADOPT
    fl_arena_free_unsized(g_records, r); /* ADOPT: was free */
#else
    free(r);
#endif
}

/* Inserts or replaces the record for r->key. */
static void table_put(record_t *r)
{
    unsigned b = (unsigned)(r->key % BUCKETS);
    pthread_mutex_lock(&g_table.mu[b % STRIPES]);
    record_t **ref = &g_table.head[b];
    while (*ref && (*ref)->key != r->key)
        ref = &(*ref)->next;
    record_t *old = *ref;
    r->next = old ? old->next : NULL;
    *ref = r;
    pthread_mutex_unlock(&g_table.mu[b % STRIPES]);
    if (old)
        record_free(old);
}

/* ---- requests ---- */

typedef struct rng {
    uint64_t s;
} rng_t;

static uint64_t rnd(rng_t *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

/* What one request leaves until its batch is answered: its parsed arguments and reply. */
typedef struct pending {
    char *args[4];
    char *reply;
} pending_t;

typedef struct worker {
    pthread_t thread;
    unsigned id;
    uint64_t requests, batch, keyspace;
} worker_t;

/* Parses one SET request for `key` into transient pieces and stores its record. */
static int serve_set(rng_t *rng, uint64_t key, pending_t *p)
{
    /* The value depends on the key only, so the final table (and its checksum) is the same
     * whatever order the workers' writes land in. */
    uint32_t vlen = 64 + (uint32_t)((key * 2654435761u) % 200);
    char value[512];
    for (uint32_t i = 0; i < vlen; i++)
        value[i] = (char)('a' + (key + i) % 26);
    for (int a = 0; a < 4; a++) { /* argument copies, as a RESP parser would make */
        size_t n = 48 + rnd(rng) % 220;
        p->args[a] = malloc(n);
        if (p->args[a] == NULL)
            return -1;
        memset(p->args[a], 'x', n);
    }
    p->reply = malloc(96 + rnd(rng) % 160);
    if (p->reply == NULL)
        return -1;
    strcpy(p->reply, "+OK\r\n");
    record_t *r = record_new(key, value, vlen);
    if (r == NULL)
        return -1;
    table_put(r);
    return 0;
}

static void *worker_main(void *arg)
{
    worker_t *w = arg;
#ifdef FLATLINE_ADOPT
    fl_thread_bind_private_arena(); /* ADOPT: this thread's transient data in its own arena */
#endif
    rng_t rng = {0x9e3779b97f4a7c15ull ^ (w->id + 1) * 0x100000001b3ull};
    pending_t *batch = calloc(w->batch, sizeof(*batch));
    if (batch == NULL)
        return (void *)1;
    for (uint64_t done = 0; done < w->requests;) {
        uint64_t n = w->requests - done < w->batch ? w->requests - done : w->batch;
        for (uint64_t i = 0; i < n; i++)
            if (serve_set(&rng, rnd(&rng) % w->keyspace, &batch[i]) != 0)
                return (void *)1;
        for (uint64_t i = 0; i < n; i++) { /* the batch is answered: its transients go */
            for (int a = 0; a < 4; a++)
                free(batch[i].args[a]);
            free(batch[i].reply);
        }
        done += n;
    }
    free(batch);
    return NULL;
}

/* The start-up loader: builds the initial records (e.g. from a snapshot file). */
static int load_initial(uint64_t n)
{
    rng_t rng = {42};
    for (uint64_t k = 0; k < n; k++) {
        char value[64];
        uint32_t len = (uint32_t)snprintf(value, sizeof(value), "initial-%" PRIu64, k);
        record_t *r = record_new(k, value, len);
        if (r == NULL)
            return -1;
        table_put(r);
        (void)rnd(&rng);
    }
    return 0;
}

int main(int argc, char **argv)
{
    unsigned threads = argc > 1 ? (unsigned)atoi(argv[1]) : 4;
    uint64_t requests = argc > 2 ? strtoull(argv[2], NULL, 10) : 400000;
    uint64_t batch = argc > 3 ? strtoull(argv[3], NULL, 10) : 20000;
    uint64_t keyspace = argc > 4 ? strtoull(argv[4], NULL, 10) : 100000;
    if (threads == 0 || threads > 64 || requests == 0 || batch == 0 || keyspace == 0) {
        fprintf(stderr, "usage: %s [threads 1..64] [requests per thread] [batch] [keys]\n",
                argv[0]);
        return 2;
    }
    if (fl_mem_init(NULL) != 0 || !fl_mem_malloc_is_jemalloc()) {
        fprintf(stderr, "%s: needs jemalloc as malloc (link libflatline, no sanitizer)\n", argv[0]);
        return 77;
    }
    for (int s = 0; s < STRIPES; s++)
        pthread_mutex_init(&g_table.mu[s], NULL);
#ifdef FLATLINE_ADOPT
    if (fl_arena_create(&g_records, "records", NULL) != 0) /* ADOPT: one arena for records */
        return 1;
    fl_arena_binding_t bound; /* ADOPT: the loader's plain mallocs go to the records' arena */
    fl_thread_bind_arena(g_records, 0, &bound);
#endif
    int rc = load_initial(keyspace / 10);
#ifdef FLATLINE_ADOPT
    fl_thread_unbind_arena(&bound); /* ADOPT */
#endif
    if (rc != 0)
        return 1;

    worker_t *ws = calloc(threads, sizeof(*ws));
    for (unsigned i = 0; ws && i < threads; i++) {
        ws[i] = (worker_t){.id = i, .requests = requests, .batch = batch, .keyspace = keyspace};
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0)
            return 1;
    }
    for (unsigned i = 0; ws && i < threads; i++) {
        void *ret;
        pthread_join(ws[i].thread, &ret);
        if (ret != NULL)
            return 1;
    }
    free(ws);

    /* The burst is over: give every arena's free pages back, then look at what stays. */
    fl_mem_purge_all();
    fl_mem_stats_t ps;
    fl_process_stats(&ps);
    uint64_t count = 0, bytes = 0, sum = 0;
    for (int b = 0; b < BUCKETS; b++) {
        for (record_t *r = g_table.head[b]; r; r = r->next) {
            count++;
            bytes += sizeof(*r) + r->len;
            uint64_t h = 1469598103934665603ull ^ r->key; /* FNV-1a of the record */
            for (uint32_t i = 0; i < r->len; i++)
                h = (h ^ (unsigned char)r->value[i]) * 1099511628211ull;
            sum += h; /* a sum: independent of the chains' order */
        }
    }
#ifdef FLATLINE_ADOPT
    const char *mode = "after (lifecycle arenas)";
#else
    const char *mode = "before (plain malloc)";
#endif
    printf("%-26s records %" PRIu64 "  live %.1f MiB  rss %.1f MiB  rss/live %.2f  checksum "
           "%016" PRIx64 "\n",
           mode, count, bytes / 1048576.0, ps.rss / 1048576.0,
           bytes ? (double)ps.rss / (double)bytes : 0.0, sum);
    return 0;
}
