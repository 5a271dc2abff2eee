/*
 * src/acct/counters.c: exact totals from per-thread counters, without a lock or a shared cache
 * line on the hot path.
 *
 * Design and exactness guarantee. We keep no per-block header and no pointer table: at every
 * allocation and free we ask the allocator underneath for the block's usable size
 * (malloc_usable_size), which it knows exactly at both ends. Hence live usable bytes, live blocks
 * and the counts are exact. The hot path updates as little as it can (acct_count_alloc: a
 * bucket's count and slack; acct_count_free: a bucket's count): counts are sums over buckets,
 * and usable bytes are implied by the bucket (8 * b) up to 1 KiB, plus usable_extra for sizes
 * the bucket does not imply. The requested size is not recoverable at free, so each usable-size
 * bucket (8-byte steps to 1 KiB, then 8 per power of two) keeps the number of blocks allocated
 * and freed and the total slack (usable - requested) of the blocks allocated; live requested is
 *   usable_live - sum over buckets of live_blocks(b) * mean_slack(b).
 * It is exact while nothing of a bucket was freed, exactly zero when everything was freed, and
 * otherwise off by at most sum of live_blocks(b) * max_slack(b) (reported as requested_error;
 * glibc's max slack is under 24 bytes for small blocks). A header would make requested exact but
 * changes every block's size class and alignment, breaks malloc_usable_size users and programs
 * mixing allocators, and distorts the fragmentation it is meant to measure.
 *
 * Thread states live in mmap'd slabs and are recycled: at thread exit (pthread key destructor)
 * a thread's counters are added to acct_global and its slot goes back to a free list, so
 * thousands of short threads cost one slot each only while they run. Allocations a thread makes
 * after its destructor ran (other TLS destructors) are counted directly in acct_global.
 */
#include "acct_lib.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

__thread acct_thread_t *acct_self ACCT_TLS;
__thread int acct_busy ACCT_TLS;
static __thread int thread_dead ACCT_TLS; /* the exit handler ran: count globally */

uint16_t acct_bucket_tbl[ACCT_BUCKET_TBL / 8];

void acct_buckets_init(void)
{
    for (size_t i = 0; i < ACCT_BUCKET_TBL / 8; i++)
        acct_bucket_tbl[i] = (uint16_t)acct_bucket(i * 8);
}

acct_ctrs_t acct_global;
int acct_off;
int acct_detour;
pthread_mutex_t acct_registry_lock = PTHREAD_MUTEX_INITIALIZER;

static acct_thread_t *all_threads;  /* acct_registry_lock */
static acct_thread_t *free_threads; /* acct_registry_lock */
static uint32_t next_tid;           /* acct_registry_lock */
static pthread_key_t exit_key;

#define OWN_CAP 256
atomic_int acct_own_n;
static const void *own[OWN_CAP];                   /* own_lock */
static uint8_t own_counts[1u << ACCT_FILTER_BITS]; /* own_lock: the filter's OWN counts */
static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;

bool acct_own_add(const void *p)
{
    bool done = false;
    pthread_mutex_lock(&own_lock);
    for (int i = 0; i < OWN_CAP && !done; i++)
        if (!own[i]) {
            own[i] = p;
            done = true;
        }
    if (done) {
        atomic_fetch_add(&acct_own_n, 1);
        acct_filter_add(own_counts, ACCT_FILTER_OWN, p, 1);
    }
    pthread_mutex_unlock(&own_lock);
    return done;
}

uint64_t acct_filter_words[(1u << ACCT_FILTER_BITS) / 32];

bool acct_filter_slow(const void *p, unsigned bits)
{
    if ((bits & ACCT_FILTER_OWN) && acct_own_remove(p))
        return true;
    if (bits & ACCT_FILTER_SAMPLE)
        acct_sample_free(p);
    return false;
}

bool acct_own_remove(const void *p)
{
    bool done = false;
    pthread_mutex_lock(&own_lock);
    for (int i = 0; i < OWN_CAP && !done; i++)
        if (own[i] == p) {
            own[i] = NULL;
            done = true;
        }
    if (done) {
        atomic_fetch_sub(&acct_own_n, 1);
        acct_filter_add(own_counts, ACCT_FILTER_OWN, p, -1);
    }
    pthread_mutex_unlock(&own_lock);
    return done;
}
static atomic_int key_ready;

#define SLAB_THREADS 16

static void thread_exit(void *arg)
{
    acct_thread_t *t = arg;
    acct_busy++;
    if (acct_tracing && t->tb)
        acct_trace_thread_end(t);
    acct_thread_fold(t);
    acct_busy--;
}

void acct_counters_forklock(int lock)
{
    if (lock) {
        pthread_mutex_lock(&acct_registry_lock);
        pthread_mutex_lock(&own_lock);
    } else {
        pthread_mutex_unlock(&own_lock);
        pthread_mutex_unlock(&acct_registry_lock);
    }
}

void acct_counters_init(void)
{
    if (pthread_key_create(&exit_key, thread_exit) == 0)
        atomic_store(&key_ready, 1);
}

/* A slot from the free list, or a new slab. Caller holds acct_registry_lock. */
static acct_thread_t *slot_get_locked(void)
{
    if (!free_threads) {
        size_t bytes = SLAB_THREADS * sizeof(acct_thread_t);
        acct_thread_t *slab =
            mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (slab == MAP_FAILED)
            return NULL;
        for (int i = 0; i < SLAB_THREADS; i++) {
            slab[i].next_free = free_threads;
            free_threads = &slab[i];
            slab[i].next_all = all_threads;
            all_threads = &slab[i];
        }
    }
    acct_thread_t *t = free_threads;
    free_threads = t->next_free;
    return t;
}

acct_thread_t *acct_thread_slow(void)
{
    /* Inside our own code without a state (e.g. acquiring it, or the monitor thread), or after
     * the exit handler: count into acct_global. */
    if (thread_dead || acct_busy || !atomic_load(&key_ready))
        return NULL;
    int saved_errno = errno; /* the program sees errno exactly as the allocator left it */
    acct_busy++;
    pthread_mutex_lock(&acct_registry_lock);
    acct_thread_t *t = slot_get_locked();
    if (t) {
        struct acct_tbuf *tb = t->tb; /* a recycled slot keeps its trace buffer mapping */
        memset(t, 0, offsetof(acct_thread_t, next_all));
        t->tb = tb;
        t->tid = next_tid++;
        t->in_use = 1;
    }
    pthread_mutex_unlock(&acct_registry_lock);
    if (t) {
        t->rng = (uintptr_t)t ^ ((uint64_t)t->tid << 32) ^ acct_now_ns();
        acct_sample_reset(t);
        acct_self = t;
        pthread_setspecific(exit_key, t); /* may allocate: we are busy, that counts globally */
    }
    acct_busy--;
    errno = saved_errno;
    return t;
}

static void add_ctrs(acct_ctrs_t *dst, const acct_ctrs_t *src)
{
    __atomic_fetch_add(&dst->reallocs, src->reallocs, __ATOMIC_RELAXED);
    __atomic_fetch_add(&dst->usable_extra, src->usable_extra, __ATOMIC_RELAXED);
    for (unsigned b = 0; b < ACCT_NBUCKETS; b++) {
        const acct_bucket_ctr_t *s = &src->b[b];
        if (!s->n_in && !s->n_out)
            continue;
        __atomic_fetch_add(&dst->b[b].n_in, s->n_in, __ATOMIC_RELAXED);
        __atomic_fetch_add(&dst->b[b].n_out, s->n_out, __ATOMIC_RELAXED);
        __atomic_fetch_add(&dst->b[b].slack, s->slack, __ATOMIC_RELAXED);
        uint64_t m = __atomic_load_n(&dst->b[b].slack_max, __ATOMIC_RELAXED);
        while (s->slack_max > m &&
               !__atomic_compare_exchange_n(&dst->b[b].slack_max, &m, s->slack_max, 1,
                                            __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            ;
    }
}

void acct_thread_fold(acct_thread_t *t)
{
    pthread_mutex_lock(&acct_registry_lock);
    FL_ASSERT(t->in_use); /* one fold per thread state: a second would count it twice */
    add_ctrs(&acct_global, &t->c);
    memset(&t->c, 0, sizeof t->c);
    t->in_use = 0;
    t->next_free = free_threads;
    free_threads = t;
    pthread_mutex_unlock(&acct_registry_lock);
    if (acct_self == t) {
        acct_self = NULL;
        thread_dead = 1;
    }
}

/* Reads src with relaxed loads (another thread may be writing it) and adds it to dst. */
static void sum_ctrs(acct_ctrs_t *dst, const acct_ctrs_t *src)
{
#define LD(f) __atomic_load_n(&(f), __ATOMIC_RELAXED)
    dst->reallocs += LD(src->reallocs);
    dst->usable_extra += LD(src->usable_extra);
    for (unsigned b = 0; b < ACCT_NBUCKETS; b++) {
        dst->b[b].n_in += LD(src->b[b].n_in);
        dst->b[b].n_out += LD(src->b[b].n_out);
        dst->b[b].slack += LD(src->b[b].slack);
        uint64_t m = LD(src->b[b].slack_max);
        if (m > dst->b[b].slack_max)
            dst->b[b].slack_max = m;
    }
#undef LD
}

void acct_totals(acct_totals_t *out)
{
    static acct_ctrs_t sum; /* acct_registry_lock: too big for some thread stacks */
    pthread_mutex_lock(&acct_registry_lock);
    memset(&sum, 0, sizeof sum);
    sum_ctrs(&sum, &acct_global);
    for (acct_thread_t *t = all_threads; t; t = t->next_all)
        if (t->in_use)
            sum_ctrs(&sum, &t->c);
    double slack_live = 0, err = 0;
    int64_t blocks = 0;
    uint64_t usable = sum.usable_extra, allocs = 0, frees = 0;
    for (unsigned b = 0; b < ACCT_NBUCKETS; b++) {
        const acct_bucket_ctr_t *c = &sum.b[b];
        int64_t live = (int64_t)(c->n_in - c->n_out);
        blocks += live;
        allocs += c->n_in;
        frees += c->n_out;
        usable += (uint64_t)live * acct_bucket_implied(b);
        if (live <= 0 || c->n_in == 0)
            continue;
        if ((uint64_t)live == c->n_in)
            slack_live += (double)c->slack; /* nothing freed here: exact */
        else
            slack_live += (double)live * ((double)c->slack / (double)c->n_in);
        if ((uint64_t)live != c->n_in)
            err += (double)live * (double)c->slack_max;
    }
    pthread_mutex_unlock(&acct_registry_lock);
    out->usable = (int64_t)usable;
    out->requested = out->usable - (int64_t)(slack_live + 0.5);
    out->requested_error = (int64_t)(err + 0.5);
    out->blocks = blocks;
    out->allocs = allocs;
    out->frees = frees;
    out->reallocs = sum.reallocs;
}
