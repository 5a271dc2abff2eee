/*
 * src/acct/counters.c: exact totals from per-thread counters, without a lock or a shared cache
 * line on the hot path.
 *
 * Design and exactness guarantee. We keep no per-block header and no pointer table: at every
 * allocation and free we read the block's size key (acct_internal.h: glibc's chunk header, or
 * usable + 8 from the allocator underneath), which encodes its usable size exactly at both ends.
 * Hence live usable bytes, live blocks and the counts are exact. The hot path updates as little
 * as it can (acct_count_alloc: a slot's count and slack; acct_count_free: a slot's count, in the
 * calling thread's own state: no lock, no atomic read-modify-write, no line shared with another
 * thread): counts are sums over slots and buckets, usable bytes are implied by the slot (one
 * per multiple of 8 below 16 KiB) and summed in usable_big for the rest. The requested size is
 * not recoverable at free, so each slot and bucket keeps the number of blocks allocated and
 * freed and the total slack (usable - requested) of the blocks allocated; live requested is
 *   usable_live - sum over slots and buckets of live_blocks * mean_slack.
 * A slot keeps the sum of the requests instead (two subtractions fewer per malloc): its slack
 * is n_in x usable - requests, derived by a snapshot. The estimate is exact while nothing of a slot
 * was freed, exactly zero when everything was freed, and otherwise off by at most sum of
 * live_blocks * bound (reported as requested_error). The bound is slack_bits, the bitwise OR of
 * the slacks (at least the largest and under twice it), raised for glibc to what its rounding
 * can leave (acct_glibc_slack_max: 31 bytes, 24 and 40 for the two least chunks), since the
 * wrappers' common case, glibc's malloc and calloc, does not OR the slack (one OR fewer). A header
 * would make requested exact but changes every block's size class and alignment, breaks
 * malloc_usable_size users and programs mixing allocators, and distorts the fragmentation it is
 * meant to measure. Nothing is batched: a snapshot (acct_totals) sums every thread state's counters
 * as they are, so it is exact at any moment that no allocation is in flight.
 *
 * Thread states live in mmap'd slabs and are recycled: at thread exit (pthread key destructor)
 * a thread's state goes back to a free list with its counters as they are, and the next thread
 * to take it counts on from there (the counters are sums, and a snapshot sums every state,
 * taken or free), so thousands of short threads cost one state each only while they run, and a
 * thread's exit costs a list push, not a pass over its slots (which cost larson, a thread per
 * array and round, 3 % of its instructions). Allocations a thread makes after its destructor
 * ran (other TLS destructors) are counted directly in acct_global.
 */
#include "acct_lib.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* Parked until the thread's first slow call (acct_tls_t): the initial image of every thread's
 * block, relocated before any thread (the first included) gets a copy. */
__thread acct_tls_t acct_tls ACCT_TLS = {.left = ACCT_LEFT_PARKED, .filter = acct_filter_all};

void acct_count_alloc_big(acct_thread_t *t, size_t req, size_t key)
{
    size_t usable = acct_key_usable(key);
    if (req > usable)
        req = usable;
    uint64_t slack = usable - req;
    int in_slot = acct_key_in_slot(key);
    uint64_t sum = in_slot ? req : slack; /* (a slot sums requests, a bucket slack) */
    if (t) {
        acct_bucket_ctr_t *c = in_slot ? &t->c.slot[key >> 3] : &t->c.b[acct_bucket(usable)];
        if (!in_slot)
            ACCT_BUMP(t->c.usable_big, usable);
        ACCT_BUMP(c->n_in, 1);
        ACCT_BUMP(c->req, sum);
        ACCT_OR(c->slack_bits, slack);
        return;
    }
    acct_bucket_ctr_t *c =
        in_slot ? &acct_global.slot[key >> 3] : &acct_global.b[acct_bucket(usable)];
    if (!in_slot)
        __atomic_fetch_add(&acct_global.usable_big, usable, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c->n_in, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&c->req, sum, __ATOMIC_RELAXED);
    __atomic_fetch_or(&c->slack_bits, slack, __ATOMIC_RELAXED);
}

void acct_count_free_big(acct_thread_t *t, size_t key)
{
    size_t usable = acct_key_usable(key);
    int in_slot = acct_key_in_slot(key);
    acct_ctrs_t *c = t ? &t->c : &acct_global;
    acct_bucket_ctr_t *b = in_slot ? &c->slot[key >> 3] : &c->b[acct_bucket(usable)];
    if (t) {
        if (!in_slot)
            ACCT_BUMP(c->usable_big, -usable);
        ACCT_BUMP(b->n_out, 1);
        return;
    }
    if (!in_slot)
        __atomic_fetch_sub(&c->usable_big, usable, __ATOMIC_RELAXED);
    __atomic_fetch_add(&b->n_out, 1, __ATOMIC_RELAXED);
}

acct_ctrs_t acct_global;
int acct_off;
ACCT_LINE int acct_detour = ACCT_DETOUR_SPECIAL; /* until the constructor has decided */
ACCT_LINE pthread_mutex_t acct_registry_lock = PTHREAD_MUTEX_INITIALIZER;

static acct_thread_t *all_threads;  /* acct_registry_lock: every state ever taken */
static acct_thread_t *free_threads; /* acct_registry_lock */
static uint32_t next_tid;           /* acct_registry_lock */
static pthread_key_t exit_key;

#define OWN_CAP 256
atomic_int acct_own_n;
static const void *own[OWN_CAP]; /* own_lock */
ACCT_LINE static pthread_mutex_t own_lock = PTHREAD_MUTEX_INITIALIZER;

bool acct_own_add(const void *p)
{
    bool done = false;
    if (ACCT_UNLIKELY(acct_filter_mine))
        return false; /* a signal handler on a thread inside a sample: counted as the program's */
    pthread_mutex_lock(&own_lock);
    for (int i = 0; i < OWN_CAP && !done; i++)
        if (!own[i]) {
            own[i] = p;
            done = true;
        }
    if (done) {
        atomic_fetch_add(&acct_own_n, 1);
        acct_filter_add(ACCT_FILTER_OWN, p, 1);
    }
    pthread_mutex_unlock(&own_lock);
    return done;
}

/* Written under the filter's lock only (filter_set_locked); read without a lock. */
ACCT_LINE uint64_t acct_filter_words[(1u << ACCT_FILTER_BITS) / 64] = {
    [ACCT_FILTER_NULL_CELL / 64] = (uint64_t)1 << (ACCT_FILTER_NULL_CELL % 64)};
ACCT_LINE const uint64_t acct_filter_all[(1u << ACCT_FILTER_BITS) / 64] = {
    [0 ...(1u << ACCT_FILTER_BITS) / 64 - 1] = ~(uint64_t)0};
/* Own and bootstrap blocks per cell (128 KiB), written under the filter's lock, read only when
 * filter_needed says one may lie there: a sampled block's free touches only filter_needed's 8
 * KiB (a cache and TLB miss in this table cost larson's samples 0.2 us each). */
static uint8_t filter_counts[1u << ACCT_FILTER_BITS][ACCT_FILTER_KINDS];
/* A bit per cell: set while an own or bootstrap block lies there (a count above), and for the
 * NULL cell; and a bit per word of it, set while the word is not zero: the few words that are
 * lie in 128 bytes that stay in cache, where a sampled free's look into the 8 KiB of the first
 * missed it. Written under the filter's lock (a word's bit is set before a bit in the word, and
 * cleared after its last one); read without it. */
#define FILTER_WORDS ((1u << ACCT_FILTER_BITS) / 64)
static uint64_t filter_needed[FILTER_WORDS] = {[ACCT_FILTER_NULL_CELL / 64] =
                                                   (uint64_t)1 << (ACCT_FILTER_NULL_CELL % 64)};
static uint64_t filter_needed_words[FILTER_WORDS / 64] = {
    [ACCT_FILTER_NULL_CELL / 64 / 64] = (uint64_t)1 << (ACCT_FILTER_NULL_CELL / 64 % 64)};
ACCT_LINE int acct_filter_held;
__thread bool acct_filter_mine ACCT_TLS;

/* Sets (marked) or clears cell c's bit in words (acct_filter_words or filter_needed). The
 * filter's lock held: only its holder writes them, with a load and a store, not a locked
 * read-modify-write (readers load the word without a lock, and see it before or after). */
static void bit_set_locked(uint64_t *words, unsigned c, bool marked)
{
    FL_DEBUG_ASSERT(__atomic_load_n(&acct_filter_held, __ATOMIC_RELAXED));
    uint64_t bit = (uint64_t)1 << (c & 63);
    uint64_t *w = &words[c >> 6];
    uint64_t was = __atomic_load_n(w, __ATOMIC_RELAXED), now = marked ? was | bit : was & ~bit;
    if (now != was)
        __atomic_store_n(w, now, __ATOMIC_RELAXED);
}

static void filter_set_locked(unsigned c, bool marked)
{
    bit_set_locked(acct_filter_words, c, marked);
}

/* Whether an own or bootstrap block, or NULL, may need cell c's bit (one load, nearly always
 * of filter_needed_words). */
static bool filter_needed_at(unsigned c)
{
    unsigned w = c >> 6;
    if (!((__atomic_load_n(&filter_needed_words[w >> 6], __ATOMIC_RELAXED) >> (w & 63)) & 1))
        return false;
    return (__atomic_load_n(&filter_needed[w], __ATOMIC_RELAXED) >> (c & 63)) & 1;
}

/* Sets or clears cell c's bit in filter_needed, and its word's in filter_needed_words, in the
 * order that keeps filter_needed_at's first test safe. The filter's lock held. */
static void filter_needed_set_locked(unsigned c, bool needed)
{
    unsigned w = c >> 6;
    if (needed)
        bit_set_locked(filter_needed_words, w, true);
    bit_set_locked(filter_needed, c, needed);
    if (!needed && filter_needed[w] == 0)
        bit_set_locked(filter_needed_words, w, false);
}

void acct_filter_mark_locked(const void *p)
{
    filter_set_locked(acct_filter_cell(p), true);
}

void acct_filter_unmark_locked(const void *p)
{
    unsigned c = acct_filter_cell(p);
    if (!filter_needed_at(c))
        filter_set_locked(c, false);
}

void acct_filter_add(enum acct_filter_kind kind, const void *p, int delta)
{
    if (ACCT_UNLIKELY(acct_filter_mine)) {
        /* a signal handler on the holder's thread, giving back an own block (acct_own_add
         * refuses new ones then): a count left too high only sends frees to the slow path */
        FL_ASSERT(delta < 0);
        return;
    }
    unsigned c = acct_filter_cell(p);
    acct_filter_lock();
    uint8_t *n = &filter_counts[c][kind];
    if (*n != 255)
        __atomic_store_n(n, (uint8_t)(*n + delta), __ATOMIC_RELAXED);
    const uint8_t *counts = filter_counts[c];
    bool needed = c == ACCT_FILTER_NULL_CELL || counts[ACCT_FILTER_OWN] || counts[ACCT_FILTER_BOOT];
    filter_needed_set_locked(c, needed);
    filter_set_locked(c, needed || acct_sample_in_cell_locked(c));
    acct_filter_unlock();
}

/* Whether a `kind` entry may lie in p's cell (its count was set before p was handed out). */
static bool filter_has(enum acct_filter_kind kind, const void *p)
{
    return __atomic_load_n(&filter_counts[acct_filter_cell(p)][kind], __ATOMIC_RELAXED) != 0;
}

bool acct_filter_slow(const void *p)
{
    if (filter_needed_at(acct_filter_cell(p)) && filter_has(ACCT_FILTER_OWN, p) &&
        acct_own_remove(p))
        return true;
    acct_sample_free(p); /* (sampled blocks have no count: their table says) */
    return false;
}

bool acct_own_remove(const void *p)
{
    bool done = false;
    if (p == NULL)
        return false; /* (NULL marks the table's free entries) */
    pthread_mutex_lock(&own_lock);
    for (int i = 0; i < OWN_CAP && !done; i++)
        if (own[i] == p) {
            own[i] = NULL;
            done = true;
        }
    if (done) {
        atomic_fetch_sub(&acct_own_n, 1);
        acct_filter_add(ACCT_FILTER_OWN, p, -1);
    }
    pthread_mutex_unlock(&own_lock);
    return done;
}
static atomic_int key_ready;

#define SLAB_THREADS 16

static void thread_exit(void *arg)
{
    acct_thread_t *t = arg;
    acct_busy_enter();
    if (acct_tracing && t->tb)
        acct_trace_thread_end(t);
    acct_thread_retire(t);
    acct_busy_leave();
}

void acct_counters_forklock(int lock)
{
    if (lock) {
        pthread_mutex_lock(&acct_registry_lock);
        pthread_mutex_lock(&own_lock);
        acct_filter_lock(); /* (also the sampled blocks': sample.c's forklock came first) */
    } else {
        acct_filter_unlock();
        pthread_mutex_unlock(&own_lock);
        pthread_mutex_unlock(&acct_registry_lock);
    }
}

void acct_counters_init(void)
{
    if (pthread_key_create(&exit_key, thread_exit) == 0)
        atomic_store(&key_ready, 1);
}

/* A thread state from the free list, or a new slab. Caller holds acct_registry_lock. */
static acct_thread_t *state_get_locked(void)
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
        }
    }
    acct_thread_t *t = free_threads;
    free_threads = t->next_free;
    if (!t->listed) { /* snapshots sum the states ever taken: a slab's others cost them nothing */
        t->listed = 1;
        t->next_all = all_threads;
        all_threads = t;
    }
    return t;
}

acct_thread_t *acct_thread_slow(void)
{
    /* Inside our own code without a state (e.g. acquiring it, or the monitor thread), or after
     * the exit handler: count into acct_global. */
    if (acct_tls.dead || acct_tls.busy || !atomic_load(&key_ready))
        return NULL;
    int saved_errno = errno; /* the program sees errno exactly as the allocator left it */
    acct_busy_enter();
    pthread_mutex_lock(&acct_registry_lock);
    acct_thread_t *t = state_get_locked();
    if (t) {
        /* The counters stay as the state's last thread left them (a new slab's are zero): this
         * thread counts on from there. */
        struct acct_tbuf *tb = t->tb; /* a recycled slot keeps its trace buffer mapping */
        memset(&t->sample_left, 0,
               offsetof(acct_thread_t, next_all) - offsetof(acct_thread_t, sample_left));
        t->tb = tb;
        t->tid = next_tid++;
        t->in_use = 1;
    }
    pthread_mutex_unlock(&acct_registry_lock);
    if (t) {
        t->rng = (uintptr_t)t ^ ((uint64_t)t->tid << 32) ^ acct_now_ns();
        acct_sample_reset(t);
        acct_tls.self = t;
        pthread_setspecific(exit_key, t); /* may allocate: we are busy, that counts globally */
    }
    acct_busy_leave();
    errno = saved_errno;
    return t;
}

void acct_thread_retire(acct_thread_t *t)
{
    pthread_mutex_lock(&acct_registry_lock);
    FL_ASSERT(t->in_use); /* one retirement per thread: the free list holds each state once */
    t->in_use = 0;
    t->next_free = free_threads;
    free_threads = t;
    pthread_mutex_unlock(&acct_registry_lock);
    if (acct_tls.self == t) {
        acct_fast_park();
        acct_tls.self = NULL;
        acct_tls.fast_je = NULL;
        acct_tls.dead = 1;
    }
}

#define LD(f) __atomic_load_n(&(f), __ATOMIC_RELAXED)
/* Reads one slot's or bucket's counters with relaxed loads (their owner may be writing them) and
 * adds them to dst. */
static inline __attribute__((always_inline)) void sum_ctr(acct_bucket_ctr_t *dst,
                                                          const acct_bucket_ctr_t *src)
{
    dst->n_in += LD(src->n_in);
    dst->n_out += LD(src->n_out);
    dst->req += LD(src->req); /* (a bucket's slack) */
    dst->slack_bits |= LD(src->slack_bits);
}

/* Whether none of the four slots or buckets from c on was counted in (a slack is counted only
 * with its n_in): most of a thread's are not, and one test for four halves a snapshot's cost. */
static inline bool quad_unused(const acct_bucket_ctr_t *c)
{
    return (LD(c[0].n_in) | LD(c[0].n_out) | LD(c[1].n_in) | LD(c[1].n_out) | LD(c[2].n_in) |
            LD(c[2].n_out) | LD(c[3].n_in) | LD(c[3].n_out)) == 0;
}

/* Adds the n slots or buckets from src on to those from dst on. */
static void sum_range(acct_bucket_ctr_t *dst, const acct_bucket_ctr_t *src, unsigned n)
{
    unsigned i = 0;
    for (; i + 4 <= n; i += 4)
        if (!quad_unused(src + i))
            for (unsigned j = i; j < i + 4; j++)
                sum_ctr(&dst[j], &src[j]);
    for (; i < n; i++)
        if (LD(src[i].n_in) | LD(src[i].n_out))
            sum_ctr(&dst[i], &src[i]);
}

/* Reads src (another thread may be writing it) and adds it to dst. */
static void sum_ctrs(acct_ctrs_t *dst, const acct_ctrs_t *src)
{
    dst->reallocs += LD(src->reallocs);
    dst->usable_big += LD(src->usable_big);
    sum_range(dst->slot, src->slot, ACCT_SLOTS);
    sum_range(dst->b, src->b, ACCT_NBUCKETS);
}

/* One slot's or bucket's share of the totals: live blocks, allocations and frees, the live
 * blocks' estimated slack and its error bound. */
typedef struct totals_acc {
    int64_t blocks;
    uint64_t allocs, frees;
    double slack_live, err;
} totals_acc_t;

/* Adds c's share to acc and clears c (acct_totals' sum stays zero between calls). Returns its
 * live blocks. */
static inline __attribute__((always_inline)) int64_t acc_take(totals_acc_t *acc,
                                                              acct_bucket_ctr_t *c)
{
    if ((c->n_in | c->n_out) == 0)
        return 0; /* (then its slack is zero too) */
    acct_bucket_ctr_t v = *c;
    *c = (acct_bucket_ctr_t){0};
    int64_t live = (int64_t)(v.n_in - v.n_out);
    acc->blocks += live;
    acc->allocs += v.n_in;
    acc->frees += v.n_out;
    if (live <= 0 || v.n_in == 0)
        return live;
    if ((uint64_t)live == v.n_in) {
        acc->slack_live += (double)v.slack; /* nothing freed here: exact */
        return live;
    }
    acc->slack_live += (double)live * ((double)v.slack / (double)v.n_in);
    acc->err += (double)live * (double)v.slack_bits;
    return live;
}

/* Turns slot j's sums into a bucket's: its slack from the requests (n_in x usable - req), and
 * its error bound raised to what glibc's rounding leaves when glibc's malloc and calloc may
 * have been counted there without their slack's OR (the wrappers' common case). Returns c. */
static acct_bucket_ctr_t *slot_as_bucket(acct_bucket_ctr_t *c, unsigned j)
{
    if ((c->n_in | c->n_out) == 0)
        return c; /* (nothing counted: acc_take leaves it as it is, all zero) */
    uint64_t usable = acct_slot_usable(j), all = c->n_in * usable;
    /* (an allocation in flight on another thread may have added its request before its n_in) */
    c->slack = c->req < all ? all - c->req : 0;
    if (acct_glibc_header && c->slack_bits < acct_glibc_slack_max(usable))
        c->slack_bits = acct_glibc_slack_max(usable);
    return c;
}

void acct_totals(acct_totals_t *out)
{
    /* acct_registry_lock (too big for some thread stacks). All zero between calls: acc_take
     * clears what it reads, so that a snapshot touches only the slots somebody counted in.
     * Every state is summed, taken or free: a free one holds what its past threads counted. */
    static acct_ctrs_t sum;
    pthread_mutex_lock(&acct_registry_lock);
    FL_DEBUG_ASSERT(sum.reallocs == 0 && sum.usable_big == 0 && sum.slot[4].n_in == 0);
    sum_ctrs(&sum, &acct_global);
    for (acct_thread_t *t = all_threads; t; t = t->next_all)
        sum_ctrs(&sum, &t->c);
    totals_acc_t acc = {0};
    uint64_t usable = sum.usable_big;
    for (unsigned i = 0; i < ACCT_SLOTS; i += 4) /* (ACCT_SLOTS is a multiple of 4) */
        if (!quad_unused(&sum.slot[i]))
            for (unsigned j = i; j < i + 4; j++)
                usable +=
                    (uint64_t)acc_take(&acc, slot_as_bucket(&sum.slot[j], j)) * acct_slot_usable(j);
    for (unsigned b = 0; b < ACCT_NBUCKETS; b++)
        acc_take(&acc, &sum.b[b]);
    uint64_t reallocs = sum.reallocs;
    sum.reallocs = 0;
    sum.usable_big = 0;
    pthread_mutex_unlock(&acct_registry_lock);
    out->usable = (int64_t)usable;
    out->requested = out->usable - (int64_t)(acc.slack_live + 0.5);
    out->requested_error = (int64_t)(acc.err + 0.5);
    out->blocks = acc.blocks;
    out->allocs = acc.allocs;
    out->frees = acc.frees;
    out->reallocs = reallocs;
}
#undef LD
