/*
 * src/acct/sample.c: call sites by Poisson sampling, and the leak watch's bookkeeping (each
 * site's sample births and deaths, estimates and variances over time; the test is trend.c's).
 *
 * Sampling: every allocated byte has the same chance 1/mean of being the sample point; a thread
 * counts down an exponentially distributed number of bytes (mean acct_sample_mean, 64 KiB by
 * default) and samples the allocation that crosses zero. A block of s bytes is then sampled with
 * probability p = 1 - exp(-s/mean), so it stands for s/p bytes and 1/p blocks: the per-site sums
 * are unbiased estimates of the site's live bytes and blocks. Stacks come from a frame-pointer
 * walk (~50 ns), every frame checked to lie on the thread's stack above the previous one, so code
 * built without frame pointers yields a short or partial stack, never a crash: the first frame,
 * the caller of malloc, is always right since our wrappers keep frame pointers. backtrace()
 * (pre-warmed at init so its first call does not load libgcc_s inside malloc) is the option for
 * such code: exact stacks, ~100x slower. By default (auto) the first 32 walks are judged: when
 * they average under 1.5 frames (without frame pointers a walk stops after the caller of malloc;
 * with them even a thread's shallow stack gives the function and its caller), sampling switches
 * to backtrace() for good (an event says so); while judging, a short walk's site comes from
 * backtrace() already.
 *
 * A sample takes no lock but live_lock (the filter's spin lock, held for a few dozen
 * instructions, under which it also marks the filter): the walk reads the thread's stack with
 * bounds learned once per thread, the site is found in site_index[] without a lock (a site is
 * created once, under acct_site_lock, then never changes), and nothing is allocated unless
 * backtrace() is the unwinder. A sample runs busy (acct_busy_enter), so a signal handler's malloc
 * on its thread does not sample; a handler's free on a thread holding live_lock does not wait for
 * it (acct_filter_mine).
 *
 * Locks: acct_site_lock (a mutex: creating a site, the leak watch, events, reports) is taken
 * before live_lock (the filter's lock, acct_filter_lock: the sampled blocks, the sites' sums and
 * the filter's counts) when both are; neither is held while calling the allocator or backtrace.
 * Invariants:
 *   - sites[] holds each distinct stack once (nsites entries), indexed by site_index[];
 *   - live[] maps each sampled, still-live block address to its site and weights; the sum of a
 *     site's entries is its sums' live_bytes / live_blocks (live_lock);
 *   - the filter's bit for a cell is set while a live[] entry lies in it, so free() only looks
 *     on "maybe": it is set, under the same lock, before the block reaches the program, and
 *     cleared after its last entry left, before the allocator gets that block back; live[] is
 *     hashed by cell, so the cell's run of the table says whether one is left;
 *   - a site's births - deaths is its number of live[] entries; its live_var and churn_var sum
 *     (1 - p) w^2 over its live samples and over all its births and deaths;
 *   - hist[] holds hist_n points for every site, taken at hist_t[] (the watch times).
 * Our memory is mmap'd (MAP_NORESERVE): untouched parts cost nothing.
 */
#include "acct_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <math.h>
#include <sched.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

uint64_t acct_sample_mean;
unsigned acct_sample_depth = 12;
int acct_sample_backtrace;
int acct_sample_auto;
static unsigned auto_samples, auto_frames; /* acct_site_lock (auto_samples also read without) */
#define AUTO_JUDGE 32                      /* walks before judging */

#define MAX_SITES 16384
#define SITE_INDEX (MAX_SITES * 2)
/* First capacity of live[]; it doubles when half full. Small, so that the few dozen live samples
 * of a program with small blocks lie in a few KiB that stay in cache: entries spread over 768
 * KiB cost larson a cache miss in every sample and every sampled free. */
#define LIVE_MIN (1u << 8)
#define LIVE_MAX (1u << 23)
#define NEVENTS 64
#define EVENT_LEN 480

/* A call site's stack: written once by its creator, then published in site_index[] (release)
 * and never changed, so lookups read it without a lock. */
typedef struct site {
    uint64_t hash;
    int nframes;
    uintptr_t frames[ACCT_MAX_DEPTH];
} site_t;

/* A site's sums over its samples (live_lock): what every sample and sampled free changes. */
typedef struct site_sums {
    double live_bytes, live_blocks, alloc_bytes;
    double live_var;         /* sum of (1 - p) w^2 over live samples: live_bytes' variance */
    double churn_var;        /* the same over every sample born or dead so far */
    double alloc_var;        /* the same over every sample born: alloc_bytes' variance */
    double blocks_var;       /* sum of (1 - p) / p^2 over live samples: live_blocks' variance */
    uint64_t births, deaths; /* samples taken, samples freed */
} site_sums_t;

/* A site's answer from the leak watch (monitor thread, acct_site_lock). */
typedef struct site_watch {
    int leaking;             /* the last test said so */
    int offset;              /* growing, but the exact totals did not grow with it */
    double flag_t;           /* when it started leaking */
    double rate, rate_err;   /* growth over the long window, bytes/s, and its 95 % bound */
    double window_s, p_long; /* that window's length and its sign test's p-value */
} site_watch_t;

/* A site at one watch time: what the windows are computed from. */
typedef struct hist_point {
    float live, churn_var;
    uint32_t births, deaths;
} hist_point_t;
#define HIST_CAP 64 /* watch times kept: all of them until full, then older ones thinned */

typedef struct live_entry {
    uintptr_t addr; /* 0: empty */
    uint32_t site;
    double wbytes, wblocks; /* w = s/p and 1/p */
    double var, blocks_var; /* its shares of the site's variances: (1 - p) w^2 for both w */
} live_entry_t;

/* The live entry of block a of req bytes (its site s): weights w = s/p and 1/p, and its
 * shares (1 - p) w^2 of the variances of its site's live bytes and blocks. */
static live_entry_t sample_entry(uintptr_t a, unsigned s, size_t req)
{
    double prob = req ? acct_sample_prob((double)req / (double)acct_sample_mean) : 1.0 / 1e9;
    double wbytes = (double)req / prob, wblocks = 1.0 / prob, q = 1.0 - prob;
    return (live_entry_t){a, s, wbytes, wblocks, q * wbytes * wbytes, q * wblocks * wblocks};
}

/* Adaptive: spins briefly, then sleeps, so a holder preempted on a busy machine does not make
 * the others burn their time slices. Taken by the sampled path only to create a site. */
ACCT_LINE static pthread_mutex_t acct_site_lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static site_t *sites;                   /* MAX_SITES; entry i immutable once published */
static uint32_t *site_index;            /* SITE_INDEX slots of site number + 1 (see above) */
static unsigned nsites;                 /* written under acct_site_lock, read atomically */
static site_watch_t *watch;             /* MAX_SITES, acct_site_lock */
static char events[NEVENTS][EVENT_LEN]; /* acct_site_lock */
static unsigned nevents_total;          /* acct_site_lock */
static uintptr_t self_lo, self_hi;      /* our own text: frames skipped at the top of a stack */
static hist_point_t *hist;              /* MAX_SITES * HIST_CAP, acct_site_lock */
static double hist_t[HIST_CAP];         /* acct_site_lock: the watch times */
static int64_t hist_usable[HIST_CAP];   /* acct_site_lock: exact live usable bytes then */
static int hist_n;                      /* acct_site_lock */

/* live_lock: the filter's spin lock (acct_filter_lock), over the sampled blocks and the sites'
 * sums too: held for a few dozen instructions by a sample or a sampled free, which update the
 * filter under it. Taken after acct_site_lock when both are.
 * A signal handler that allocates or frees on a thread holding it must not wait for it (the
 * holder is the thread it interrupted): see acct_filter_mine's uses. */
static live_entry_t *live;               /* live_cap entries, live_lock */
static unsigned live_cap;                /* a power of two, live_lock */
static site_sums_t *sums;                /* MAX_SITES, live_lock */
static uint64_t samples, dropped, nlive; /* live_lock */

static void live_lock(void)
{
    acct_filter_lock();
}

static void live_unlock(void)
{
    acct_filter_unlock();
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    uintptr_t me = (uintptr_t)arg;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD)
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (me >= lo && me < hi) {
            self_lo = lo;
            self_hi = hi;
            return 1;
        }
    }
    return 0;
}

static void *map_table(size_t bytes)
{
    return mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
                -1, 0);
}

void acct_sample_init(void)
{
    acct_busy_enter();
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&acct_sample_init);
    sites = map_table(MAX_SITES * sizeof(site_t));
    sums = map_table(MAX_SITES * sizeof(site_sums_t));
    watch = map_table(MAX_SITES * sizeof(site_watch_t));
    site_index = map_table(SITE_INDEX * sizeof(uint32_t));
    hist = map_table((size_t)MAX_SITES * HIST_CAP * sizeof(hist_point_t));
    live_cap = LIVE_MIN;
    live = map_table(live_cap * sizeof(live_entry_t));
    if (sites == MAP_FAILED || sums == MAP_FAILED || watch == MAP_FAILED ||
        site_index == MAP_FAILED || live == MAP_FAILED || hist == MAP_FAILED) {
        acct_log("flatline-acct: no memory for call sites; sampling is off\n");
        acct_sample_mean = 0;
        live = NULL;
    } else if (acct_sample_backtrace || acct_sample_auto) {
        void *warm[4];
        backtrace(warm, 4); /* loads libgcc_s now rather than inside someone's malloc */
    }
    acct_busy_leave();
}

void acct_sample_forklock(int lock)
{
    /* (live_lock, the filter's, is taken by acct_counters_forklock, after the own blocks' lock) */
    if (lock)
        pthread_mutex_lock(&acct_site_lock);
    else
        pthread_mutex_unlock(&acct_site_lock);
}

static void add_event_locked(const char *text);

static uint64_t rng_next(acct_thread_t *t)
{
    uint64_t x = t->rng ? t->rng : 0x9E3779B97F4A7C15ull;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    t->rng = x;
    return x * 0x2545F4914F6CDD1Dull;
}

void acct_sample_reset(acct_thread_t *t)
{
    if (!acct_sample_mean) {
        t->sample_left = INT64_MAX;
        return;
    }
    double u = ((double)(rng_next(t) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
    double d = acct_neg_log(u) * (double)acct_sample_mean;
    t->sample_left = d < 1 ? 1 : d > 1e15 ? (int64_t)1e15 : (int64_t)d;
}

/* The calling thread's stack, learned once (pthread_getattr_np may allocate: the sampler is
 * busy, so those are our own blocks). */
__attribute__((noinline, cold)) static void stack_bounds(acct_thread_t *t)
{
    pthread_attr_t a;
    void *lo;
    size_t size;
    int saved_errno = errno;
    if (pthread_getattr_np(pthread_self(), &a) == 0) {
        if (pthread_attr_getstack(&a, &lo, &size) == 0) {
            t->stack_lo = (uintptr_t)lo;
            t->stack_hi = (uintptr_t)lo + size;
        }
        pthread_attr_destroy(&a);
    }
    if (!t->stack_hi)
        t->stack_hi = 1; /* unknown: walks stop at once */
    errno = saved_errno;
}

static bool is_self(uintptr_t pc)
{
    return pc - self_lo < self_hi - self_lo; /* one compare */
}

/* The program's return addresses, by following saved frame pointers: at most `depth` of them
 * into frames, our own frames left out wherever they are (the wrappers on top, exit.c's main
 * below the program's). Each frame must lie on the thread's stack (bounds learned once per
 * thread), above the last: a frame elsewhere (a signal's alternate stack, a coroutine's stack,
 * code without frame pointers) ends the walk, so nothing outside the known stack is ever read,
 * and the walk ends since frames only go up. Returns how many frames it kept. */
__attribute__((noinline)) static int fp_walk(acct_thread_t *t, uintptr_t *frames, int depth)
{
    if (ACCT_UNLIKELY(!t->stack_hi))
        stack_bounds(t);
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0);
    uintptr_t lo = t->stack_lo, hi = t->stack_hi - 16; /* a frame's two words lie below hi */
    uintptr_t self = self_lo, self_len = self_hi - self_lo;
    uintptr_t *out = frames, *end = frames + depth;
    if (t->stack_hi < lo + 16 || fp < lo || fp > hi || depth <= 0)
        return 0;
    for (;;) {
        const uintptr_t *f = (const uintptr_t *)fp;
        uintptr_t next = f[0], ret = f[1];
        if (ret - self >= self_len) { /* not our own */
            if (ret < 4096)
                break;
            *out++ = ret;
            if (out == end)
                break;
        }
        if (next <= fp || next > hi)
            break;
        fp = next;
    }
    return (int)(out - frames);
}

/* The same with backtrace() (exact without frame pointers, ~100x slower; it may allocate: the
 * sampler is busy). Inlined: every frame of ours costs backtrace() thousands of instructions to
 * unwind. */
static inline __attribute__((always_inline)) int bt_walk(uintptr_t *frames, int depth)
{
    void *raw[ACCT_MAX_DEPTH + 8];
    int saved_errno = errno;
    int n = backtrace(raw, depth + 8), kept = 0;
    errno = saved_errno;
    for (int i = 0; i < n && kept < depth; i++)
        if (!is_self((uintptr_t)raw[i]))
            frames[kept++] = (uintptr_t)raw[i];
    return kept;
}

/* While the frame-pointer walks are judged (unwind auto, the first AUTO_JUDGE samples), counts
 * this walk's frames; the last one decides whether sampling switches to backtrace() for good. */
static void judge_walk(int walked)
{
    pthread_mutex_lock(&acct_site_lock);
    if (__atomic_add_fetch(&auto_samples, 1, __ATOMIC_RELAXED) <= AUTO_JUDGE) {
        auto_frames += (unsigned)walked;
        if (auto_samples == AUTO_JUDGE && acct_sample_depth >= 3 &&
            2 * auto_frames < 3u * AUTO_JUDGE) {
            __atomic_store_n(&acct_sample_backtrace, 1, __ATOMIC_RELAXED);
            add_event_locked("stacks: frame pointers are missing (short walks): call sites now "
                             "come from backtrace()");
        }
    }
    pthread_mutex_unlock(&acct_site_lock);
}

/* The calling thread's stack for a sample, into frames (ACCT_MAX_DEPTH); returns its length. */
static inline __attribute__((always_inline)) int sample_stack(acct_thread_t *t, uintptr_t *frames)
{
    int depth = (int)acct_sample_depth;
    if (__atomic_load_n(&acct_sample_backtrace, __ATOMIC_RELAXED))
        return bt_walk(frames, depth);
    int n = fp_walk(t, frames, depth);
    if (ACCT_LIKELY(!acct_sample_auto) ||
        __atomic_load_n(&auto_samples, __ATOMIC_RELAXED) >= AUTO_JUDGE)
        return n;
    /* While the walks are judged, a walk that found the caller's caller is the site (what
     * later walks give for the same path); a short one is replaced by backtrace() (what
     * sampling switches to when walks keep coming back short): one call path is one site
     * before and after the judgement. */
    judge_walk(n);
    return n < 2 ? bt_walk(frames, depth) : n;
}

static uint64_t frames_hash(const uintptr_t *f, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++)
        h = (h ^ f[i]) * 1099511628211ull;
    h ^= h >> 29;
    return h ? h : 1;
}

static bool site_is(const site_t *st, uint64_t h, const uintptr_t *f, int n)
{
    if (st->hash != h || st->nframes != n)
        return false;
    for (int i = 0; i < n; i++)
        if (st->frames[i] != f[i])
            return false;
    return true;
}

/* The site of stack f (n frames): found without a lock (published sites never change),
 * else created under acct_site_lock. MAX_SITES means "table full". */
static unsigned site_get(const uintptr_t *f, int n)
{
    uint64_t h = frames_hash(f, n);
    unsigned i = (unsigned)h & (SITE_INDEX - 1);
    for (;; i = (i + 1) & (SITE_INDEX - 1)) {
        uint32_t s = __atomic_load_n(&site_index[i], __ATOMIC_ACQUIRE);
        if (s == 0)
            break;
        if (site_is(&sites[s - 1], h, f, n))
            return s - 1;
    }
    pthread_mutex_lock(&acct_site_lock);
    for (;; i = (i + 1) & (SITE_INDEX - 1)) { /* on from the empty slot: only it can have filled */
        uint32_t s = site_index[i];
        if (s != 0 && site_is(&sites[s - 1], h, f, n)) {
            pthread_mutex_unlock(&acct_site_lock);
            return s - 1;
        }
        if (s == 0)
            break;
    }
    unsigned id = MAX_SITES;
    if (nsites < MAX_SITES) {
        id = nsites;
        site_t *st = &sites[id];
        st->hash = h;
        st->nframes = n;
        memcpy(st->frames, f, (size_t)n * sizeof *f);
        __atomic_store_n(&site_index[i], id + 1, __ATOMIC_RELEASE);
        __atomic_store_n(&nsites, id + 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&acct_site_lock);
    return id;
}

/* An entry's home slot: a hash of its block's filter cell, so that the sampled blocks of one
 * cell lie in one run of the table (a run ends at an empty slot) and the run tells whether a
 * cell still holds one (live_cell_has_locked): the filter keeps no count of them. Addresses 1
 * MiB apart share a cell, so beyond 65536 live samples (a 4 GiB heap at the default mean) runs
 * lengthen with the samples per cell. */
static unsigned live_slot(uintptr_t a)
{
    return (unsigned)(((uint64_t)acct_filter_cell((const void *)a) * 0x9E3779B97F4A7C15ull) >> 40) &
           (live_cap - 1);
}

/* Whether a live entry's block lies in filter cell c. live_lock held. */
static bool live_cell_has_locked(unsigned c)
{
    if (!live)
        return false;
    unsigned i = (unsigned)(((uint64_t)c * 0x9E3779B97F4A7C15ull) >> 40) & (live_cap - 1);
    for (; live[i].addr; i = (i + 1) & (live_cap - 1))
        if (acct_filter_cell((const void *)live[i].addr) == c)
            return true;
    return false;
}

bool acct_sample_in_cell_locked(unsigned c)
{
    return live_cell_has_locked(c);
}

/* After entry (block) p left live[]: its cell's filter bit goes when no sampled block is left
 * there (and no own or bootstrap block, nor NULL, needs it). live_lock held. */
static void live_unmark_locked(const void *p)
{
    if (!live_cell_has_locked(acct_filter_cell(p)))
        acct_filter_unmark_locked(p);
}

/* Doubles live[] (rehashing every entry). live_lock held; false when no memory (keep the old
 * one). */
static bool live_grow_locked(void)
{
    unsigned old_cap = live_cap;
    live_entry_t *old = live;
    if (old_cap >= LIVE_MAX)
        return false;
    int saved_errno = errno;
    live_entry_t *n = map_table(2 * old_cap * sizeof(live_entry_t));
    errno = saved_errno;
    if (n == MAP_FAILED)
        return false;
    live = n;
    live_cap = 2 * old_cap;
    for (unsigned i = 0; i < old_cap; i++) {
        if (!old[i].addr)
            continue;
        unsigned j = live_slot(old[i].addr);
        while (live[j].addr)
            j = (j + 1) & (live_cap - 1);
        live[j] = old[i];
    }
    munmap(old, old_cap * sizeof(live_entry_t));
    errno = saved_errno;
    return true;
}

/* A sample is born into or dies out of its site's sums. live_lock held. */
static void sums_birth_locked(const live_entry_t *e)
{
    site_sums_t *s = &sums[e->site];
    s->live_bytes += e->wbytes;
    s->live_blocks += e->wblocks;
    s->alloc_bytes += e->wbytes;
    s->live_var += e->var;
    s->churn_var += e->var;
    s->alloc_var += e->var;
    s->blocks_var += e->blocks_var;
    s->births++;
}

static void sums_death_locked(const live_entry_t *e)
{
    site_sums_t *s = &sums[e->site];
    FL_ASSERT(s->births > s->deaths);
    s->live_bytes -= e->wbytes;
    s->live_blocks -= e->wblocks;
    s->live_var -= e->var;
    s->churn_var += e->var;
    s->blocks_var -= e->blocks_var;
    s->deaths++;
}

/* Removes live[i] and closes the gap (linear probing, backward shift). live_lock held. */
static void live_remove_locked(unsigned i)
{
    FL_ASSERT(nlive > 0);
    sums_death_locked(&live[i]);
    nlive--;
    unsigned hole = i;
    for (unsigned j = (i + 1) & (live_cap - 1); live[j].addr; j = (j + 1) & (live_cap - 1)) {
        unsigned home = live_slot(live[j].addr);
        /* live[j] may move into the hole if its home is not in (hole, j] cyclically */
        if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
            live[hole] = live[j];
            hole = j;
        }
    }
    live[hole].addr = 0;
}

static int live_find_locked(uintptr_t a)
{
    for (unsigned i = live_slot(a), n = 0; live[i].addr && n < live_cap;
         i = (i + 1) & (live_cap - 1), n++)
        if (live[i].addr == a)
            return (int)i;
    return -1;
}

/* Records e as live. An entry left for the same address (a block freed behind our back) is
 * replaced: it dies as e is born. Returns false when the table is full (e dropped). live_lock
 * held. The filter is the caller's. */
static bool live_insert_locked(const live_entry_t *e, bool *replaced)
{
    *replaced = false;
    if (nlive >= live_cap / 2 && !live_grow_locked())
        return false;
    unsigned i = live_slot(e->addr);
    while (live[i].addr && live[i].addr != e->addr)
        i = (i + 1) & (live_cap - 1);
    if (live[i].addr) {
        sums_death_locked(&live[i]);
        *replaced = true;
    } else {
        nlive++;
    }
    FL_ASSERT(nlive <= live_cap / 2 + 1);
    live[i] = *e;
    sums_birth_locked(e);
    return true;
}

void acct_sample_alloc(acct_thread_t *t, void *p, size_t req)
{
    if (!acct_sample_mean || !live || acct_filter_mine) {
        acct_fast_park(); /* (the countdown moves to t, where the new distance goes) */
        acct_sample_reset(t);
        acct_fast_refresh();
        return;
    }
    /* Our own code until the next distance is drawn: what backtrace() or pthread_getattr_np
     * allocate is ours, a signal handler's malloc on this thread meanwhile only counts (no
     * sample within a sample), and the wrappers' common case, off meanwhile, resumes with the
     * new distance. */
    acct_busy_enter();
    uintptr_t frames[ACCT_MAX_DEPTH];
    int nf = sample_stack(t, frames);
    unsigned s = site_get(frames, nf);
    live_entry_t e = sample_entry((uintptr_t)p, s, req);
    bool kept = false, replaced = false;
    live_lock();
    samples++;
    if (s < MAX_SITES) {
        kept = live_insert_locked(&e, &replaced);
    } else {
        int old = live_find_locked(e.addr); /* no site: forget a stale entry all the same */
        if ((replaced = old >= 0))
            live_remove_locked((unsigned)old);
    }
    if (!kept)
        dropped++;
    if (kept) /* (before p reaches the program) */
        acct_filter_mark_locked(p);
    else if (replaced)
        live_unmark_locked(p);
    live_unlock();
    acct_sample_reset(t);
    acct_busy_leave();
}

void acct_sample_free(const void *p)
{
    /* A signal handler freeing while its thread holds live_lock leaves the entry: it is
     * replaced when the address is sampled again, or forgotten at the address's next free. */
    if (!live || acct_filter_mine)
        return;
    live_lock();
    int i = live_find_locked((uintptr_t)p);
    if (i >= 0) { /* (before the allocator gets p back) */
        live_remove_locked((unsigned)i);
        live_unmark_locked(p);
    }
    live_unlock();
}

/* Both locks held. */
static void fill_view(acct_site_view_t *v, unsigned id)
{
    const site_t *st = &sites[id];
    const site_sums_t *s = &sums[id];
    const site_watch_t *w = &watch[id];
    v->id = id;
    v->nframes = st->nframes;
    memcpy(v->frames, st->frames, sizeof v->frames);
    v->live_bytes = s->live_bytes < 0 ? 0 : s->live_bytes;
    v->live_err = acct_bound95(s->live_var);
    v->blocks_err = acct_bound95(s->blocks_var);
    v->alloc_err = acct_bound95(s->alloc_var);
    v->live_blocks = s->live_blocks < 0 ? 0 : s->live_blocks;
    v->alloc_bytes = s->alloc_bytes;
    v->leaking = w->leaking;
    v->offset = w->offset;
    v->flag_t = w->flag_t;
    v->rate = w->rate;
    v->rate_err = w->rate_err;
    v->window_s = w->window_s;
    v->p_long = w->p_long;
}

int acct_sites_top(acct_site_view_t *out, int n)
{
    int have = 0;
    if (!live)
        return 0;
    pthread_mutex_lock(&acct_site_lock);
    live_lock();
    for (unsigned id = 0; id < nsites; id++) {
        double lb = sums[id].live_bytes;
        if (lb < 1)
            continue;
        int pos = have < n ? have : n - 1;
        if (have == n && lb <= out[n - 1].live_bytes)
            continue;
        while (pos > 0 && out[pos - 1].live_bytes < lb) {
            out[pos] = out[pos - 1];
            pos--;
        }
        fill_view(&out[pos], id);
        if (have < n)
            have++;
    }
    live_unlock();
    pthread_mutex_unlock(&acct_site_lock);
    return have;
}

static void add_event_locked(const char *text)
{
    size_t len = strlen(text);
    if (len >= EVENT_LEN)
        len = EVENT_LEN - 1;
    memcpy(events[nevents_total % NEVENTS], text, len);
    events[nevents_total % NEVENTS][len] = 0;
    nevents_total++;
}

/* A leak-watch event found under the lock, formatted after it is released (dladdr takes the
 * loader's lock, which a thread inside dlopen holds while it allocates and samples). */
typedef struct pending {
    int kind; /* 1 possible leak, 0 never mind */
    unsigned id;
    double t, live, live_err, rate, rate_err, p;
    uintptr_t frame;
} pending_t;

#define MAX_PENDING 64

static void emit(const pending_t *e, const char *events_path)
{
    char line[EVENT_LEN], where[400] = "";
    if (e->frame)
        acct_frame_format(where, sizeof where, e->frame);
    size_t k;
    if (e->kind)
        k = acct_fmt(line, sizeof line,
                     "t=%.1fs possible leak: site #%u live %.2f +- %.2f MiB, growing %.1f +- %.1f "
                     "KiB/s (p=%.1e), %s",
                     e->t, e->id, e->live / 1048576.0, e->live_err / 1048576.0, e->rate / 1024.0,
                     e->rate_err / 1024.0, e->p, where);
    else
        k = acct_fmt(line, sizeof line,
                     "t=%.1fs never mind: site #%u no longer grows (live %.2f +- %.2f MiB), %s",
                     e->t, e->id, e->live / 1048576.0, e->live_err / 1048576.0, where);
    pthread_mutex_lock(&acct_site_lock);
    add_event_locked(line);
    pthread_mutex_unlock(&acct_site_lock);
    if (events_path && events_path[0]) {
        line[k] = '\n';
        acct_append_file(events_path, line, k + 1);
    }
}

/* Records every site's figures at watch time t (with the exact live usable bytes then). When
 * the history is full, every other point of its older half is dropped: recent times stay dense,
 * older ones thin out, and the windows' starts are always found within a few intervals. */
static void hist_append_locked(double t, int64_t usable)
{
    if (hist_n == HIST_CAP) {
        int keep = 0;
        for (int i = 0; i < HIST_CAP; i++) {
            if (i < HIST_CAP / 2 && (i & 1))
                continue;
            hist_t[keep] = hist_t[i];
            hist_usable[keep] = hist_usable[i];
            for (unsigned id = 0; id < nsites; id++)
                hist[(size_t)id * HIST_CAP + keep] = hist[(size_t)id * HIST_CAP + i];
            keep++;
        }
        hist_n = keep;
    }
    FL_ASSERT(hist_n < HIST_CAP);
    hist_t[hist_n] = t;
    hist_usable[hist_n] = usable;
    live_lock();
    for (unsigned id = 0; id < nsites; id++) {
        const site_sums_t *s = &sums[id];
        hist[(size_t)id * HIST_CAP + hist_n] = (hist_point_t){
            (float)s->live_bytes, (float)s->churn_var, (uint32_t)s->births, (uint32_t)s->deaths};
    }
    live_unlock();
    hist_n++;
}

/* The first watch time at or after t (the start of a window ending now); -1 when the window
 * would hold fewer than three intervals. */
static int window_start_locked(double t)
{
    for (int i = 0; i < hist_n - 1; i++)
        if (hist_t[i] >= t)
            return hist_n - 1 - i >= 3 ? i : -1;
    return -1;
}

/* A site's figures over the window from history point `from` to now. */
typedef struct window {
    uint64_t births, deaths;
    double growth, growth_var;
} window_t;

static window_t window_of(unsigned id, int from)
{
    const hist_point_t *a = &hist[(size_t)id * HIST_CAP + from];
    const hist_point_t *z = &hist[(size_t)id * HIST_CAP + hist_n - 1];
    return (window_t){z->births - a->births, z->deaths - a->deaths, (double)z->live - a->live,
                      (double)z->churn_var - a->churn_var};
}

void acct_sites_watch(double t, int64_t usable, uint64_t min_growth, const char *events_path)
{
    pending_t ev[MAX_PENDING];
    int nev = 0;
    if (!live)
        return;
    pthread_mutex_lock(&acct_site_lock);
    hist_append_locked(t, usable);
    int lw = window_start_locked(t / 2), rw = window_start_locked(t * 3 / 4);
    int tested = 0, candidates = 0;
    for (unsigned id = 0; lw >= 0 && id < nsites; id++) {
        window_t w = window_of(id, lw);
        tested += w.births + w.deaths > 0;
        candidates += acct_sign_test_p(w.births, w.deaths) < ACCT_TREND_ALPHA;
    }
    for (unsigned id = 0; id < nsites; id++) {
        site_watch_t *st = &watch[id];
        int was = st->leaking;
        if (lw >= 0 && rw >= 0) { /* else the windows are too short: the answer stands */
            st->leaking = st->offset = 0;
            window_t lo = window_of(id, lw), re = window_of(id, rw);
            acct_trend_in_t in = {lo.births,
                                  lo.deaths,
                                  re.births,
                                  re.deaths,
                                  lo.growth,
                                  lo.growth_var,
                                  re.growth,
                                  usable - hist_usable[lw],
                                  usable - hist_usable[rw],
                                  min_growth,
                                  tested,
                                  candidates,
                                  was};
            acct_trend_out_t out;
            st->leaking = acct_trend_decide(&in, &out);
            st->offset = out.site_growing && !out.total_agrees;
            st->window_s = t - hist_t[lw];
            st->rate = lo.growth / st->window_s;
            st->rate_err = acct_bound95(lo.growth_var) / st->window_s;
            st->p_long = out.p_long;
        }
        if (st->leaking && !was)
            st->flag_t = t;
        if (st->leaking != was && nev < MAX_PENDING) {
            live_lock();
            double live_bytes = sums[id].live_bytes, live_var = sums[id].live_var;
            live_unlock();
            ev[nev++] = (pending_t){st->leaking,
                                    id,
                                    t,
                                    live_bytes,
                                    acct_bound95(live_var),
                                    st->rate,
                                    st->rate_err,
                                    st->p_long,
                                    sites[id].nframes ? sites[id].frames[0] - 1 : 0};
        }
    }
    pthread_mutex_unlock(&acct_site_lock);
    for (int i = 0; i < nev; i++)
        emit(&ev[i], events_path);
}

int acct_sites_flagged(double *bytes)
{
    int n = 0;
    double b = 0;
    if (!live)
        return 0;
    pthread_mutex_lock(&acct_site_lock);
    for (unsigned id = 0; id < nsites; id++) {
        const site_watch_t *st = &watch[id];
        if (st->leaking) {
            n++;
            b += st->rate * st->window_s;
        }
    }
    pthread_mutex_unlock(&acct_site_lock);
    if (bytes)
        *bytes = b;
    return n;
}

unsigned acct_events_count(void)
{
    pthread_mutex_lock(&acct_site_lock);
    unsigned n = nevents_total;
    pthread_mutex_unlock(&acct_site_lock);
    return n;
}

size_t acct_events_text(char *buf, size_t cap)
{
    size_t len = 0;
    if (cap)
        buf[0] = 0;
    pthread_mutex_lock(&acct_site_lock);
    unsigned first = nevents_total > NEVENTS ? nevents_total - NEVENTS : 0;
    for (unsigned i = first; i < nevents_total; i++)
        len += acct_fmt(buf + len, cap - len, "  %s\n", events[i % NEVENTS]);
    pthread_mutex_unlock(&acct_site_lock);
    return len;
}

void acct_sample_stats(uint64_t *nsamples, uint64_t *ndropped, unsigned *n)
{
    live_lock();
    *nsamples = samples;
    *ndropped = dropped;
    live_unlock();
    *n = __atomic_load_n(&nsites, __ATOMIC_ACQUIRE);
}
