/*
 * src/acct/sample.c: call sites by Poisson sampling, and the progressive leak watch.
 *
 * Sampling: every allocated byte has the same chance 1/mean of being the sample point; a thread
 * counts down an exponentially distributed number of bytes (mean acct_sample_mean, 512 KiB by
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
 * to backtrace() for good (an event says so).
 *
 * Invariants (all under acct_site_lock, never held while calling the allocator or backtrace):
 *   - sites[] holds each distinct stack once (nsites entries), indexed by site_index[];
 *   - live[] maps each sampled, still-live block address to its site and weights; the sum of a
 *     site's entries is its live_bytes / live_blocks;
 *   - sample_counts[h] counts live[] entries whose address hashes to h, and the filter's
 *     SAMPLE bit for h is set while it is nonzero, so free() only takes the lock on "maybe".
 * Our memory is mmap'd (MAP_NORESERVE): untouched parts cost nothing.
 */
#include "acct_lib.h"

#include <dlfcn.h>
#include <errno.h>
#include <execinfo.h>
#include <link.h>
#include <math.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

uint64_t acct_sample_mean;
unsigned acct_sample_depth = 12;
int acct_sample_backtrace;
int acct_sample_auto;
static unsigned auto_samples, auto_frames; /* acct_site_lock: frame-pointer walks so far */
#define AUTO_JUDGE 32                      /* walks before judging */

#define MAX_SITES 16384
#define SITE_INDEX (MAX_SITES * 2)
#define LIVE_MIN (1u << 14) /* first capacity of live[]; it doubles when half full */
#define LIVE_MAX (1u << 23)
#define NEVENTS 64
#define EVENT_LEN 480

typedef struct site {
    uint64_t hash;
    int nframes;
    uintptr_t frames[ACCT_MAX_DEPTH];
    double live_bytes, live_blocks, alloc_bytes;
    /* leak watch (monitor thread, under the lock) */
    double min_live, min_t, max_live, last_growth_t;
    int flagged;
    double flag_t, rate;
} site_t;

typedef struct live_entry {
    uintptr_t addr; /* 0: empty */
    uint32_t site;
    double wbytes, wblocks;
} live_entry_t;

/* Adaptive: spins briefly, then sleeps, so a holder preempted on a busy machine does not make
 * the others burn their time slices. Held for a few hundred ns. */
static pthread_mutex_t acct_site_lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static site_t *sites;                    /* MAX_SITES, acct_site_lock */
static uint32_t *site_index;             /* SITE_INDEX slots of site number + 1, acct_site_lock */
static unsigned nsites;                  /* acct_site_lock */
static live_entry_t *live;               /* live_cap entries, acct_site_lock */
static unsigned live_cap;                /* a power of two, acct_site_lock */
static uint64_t samples, dropped, nlive; /* acct_site_lock */
static char events[NEVENTS][EVENT_LEN];  /* acct_site_lock */
static unsigned nevents_total;           /* acct_site_lock */
static uintptr_t self_lo, self_hi;       /* our own text: frames skipped at the top of a stack */

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

void acct_sample_init(void)
{
    acct_busy++;
    dl_iterate_phdr(find_self, (void *)(uintptr_t)&acct_sample_init);
    sites = mmap(NULL, MAX_SITES * sizeof(site_t), PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    site_index = mmap(NULL, SITE_INDEX * sizeof(uint32_t), PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    live_cap = LIVE_MIN;
    live = mmap(NULL, live_cap * sizeof(live_entry_t), PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (sites == MAP_FAILED || site_index == MAP_FAILED || live == MAP_FAILED) {
        acct_log("flatline-acct: no memory for call sites; sampling is off\n");
        acct_sample_mean = 0;
    } else if (acct_sample_backtrace) {
        void *warm[4];
        backtrace(warm, 4); /* loads libgcc_s now rather than inside someone's malloc */
    }
    acct_busy--;
}

void acct_sample_forklock(int lock)
{
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
    double d = -log(u) * (double)acct_sample_mean;
    t->sample_left = d < 1 ? 1 : d > 1e15 ? (int64_t)1e15 : (int64_t)d;
}

/* The calling thread's stack, learned once (pthread_getattr_np may allocate: the caller is
 * busy, so those are our own blocks). */
static void stack_bounds(acct_thread_t *t)
{
    if (!t->stack_hi) {
        pthread_attr_t a;
        void *lo;
        size_t size;
        if (pthread_getattr_np(pthread_self(), &a) == 0) {
            if (pthread_attr_getstack(&a, &lo, &size) == 0) {
                t->stack_lo = (uintptr_t)lo;
                t->stack_hi = (uintptr_t)lo + size;
            }
            pthread_attr_destroy(&a);
        }
        if (!t->stack_hi)
            t->stack_hi = 1; /* unknown: walks stop at once */
    }
}

/* Return addresses by following saved frame pointers, each frame on the thread's stack and
 * above the last. A frame elsewhere (a signal's alternate stack, a coroutine's stack) stops the
 * walk: nothing outside the known stack is ever read. Returns how many. */
__attribute__((noinline)) static int fp_walk(acct_thread_t *t, void **out, int max)
{
    stack_bounds(t);
    uintptr_t fp = (uintptr_t)__builtin_frame_address(0), lo = t->stack_lo, hi = t->stack_hi;
    int n = 0;
    while (n < max && (fp & 7) == 0 && fp >= lo && fp + 16 <= hi) {
        uintptr_t next = ((const uintptr_t *)fp)[0], ret = ((const uintptr_t *)fp)[1];
        if (ret < 4096)
            break;
        out[n++] = (void *)ret;
        if (next <= fp || next - fp > (64u << 20))
            break;
        fp = next;
    }
    return n;
}

static uint64_t frames_hash(const uintptr_t *f, int n)
{
    uint64_t h = 1469598103934665603ull;
    for (int i = 0; i < n; i++)
        h = (h ^ f[i]) * 1099511628211ull;
    return h ? h : 1;
}

/* The site for this stack, created if new; MAX_SITES means "table full". Lock held. */
static unsigned site_get_locked(const uintptr_t *f, int n, double t)
{
    uint64_t h = frames_hash(f, n);
    for (unsigned i = (unsigned)h & (SITE_INDEX - 1);; i = (i + 1) & (SITE_INDEX - 1)) {
        uint32_t s = site_index[i];
        if (s == 0) {
            if (nsites >= MAX_SITES)
                return MAX_SITES;
            site_t *st = &sites[nsites];
            st->hash = h;
            st->nframes = n;
            memcpy(st->frames, f, (size_t)n * sizeof *f);
            st->min_t = t;
            site_index[i] = ++nsites;
            return nsites - 1;
        }
        site_t *st = &sites[s - 1];
        if (st->hash == h && st->nframes == n && !memcmp(st->frames, f, (size_t)n * sizeof *f))
            return s - 1;
    }
}

static unsigned live_slot(uintptr_t a)
{
    return (unsigned)((a * 0x9E3779B97F4A7C15ull) >> 40) & (live_cap - 1);
}

/* Doubles live[] (rehashing every entry). Lock held; false when no memory (keep the old one). */
static bool live_grow_locked(void)
{
    unsigned old_cap = live_cap;
    live_entry_t *old = live;
    if (old_cap >= LIVE_MAX)
        return false;
    live_entry_t *n = mmap(NULL, 2 * old_cap * sizeof(live_entry_t), PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
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
    return true;
}

static uint8_t sample_counts[1u << ACCT_FILTER_BITS]; /* acct_site_lock: filter counts */

static void filter_add(uintptr_t a, int delta)
{
    acct_filter_add(sample_counts, ACCT_FILTER_SAMPLE, (const void *)a, delta);
}

/* Removes live[i] and closes the gap (linear probing, backward shift). Lock held. */
static void live_remove_locked(unsigned i)
{
    live_entry_t *e = &live[i];
    site_t *st = &sites[e->site];
    st->live_bytes -= e->wbytes;
    st->live_blocks -= e->wblocks;
    filter_add(e->addr, -1);
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

void acct_sample_alloc(acct_thread_t *t, void *p, size_t req)
{
    acct_sample_reset(t);
    if (!acct_sample_mean || !live)
        return;
    int saved_errno = errno;
    acct_busy++;
    void *raw[ACCT_MAX_DEPTH + 8];
    int use_bt = __atomic_load_n(&acct_sample_backtrace, __ATOMIC_RELAXED);
    int n = use_bt ? backtrace(raw, (int)acct_sample_depth + 8)
                   : fp_walk(t, raw, (int)acct_sample_depth + 8);
    int skip = 0;
    while (skip < n && (uintptr_t)raw[skip] >= self_lo && (uintptr_t)raw[skip] < self_hi)
        skip++;
    int nf = n - skip > (int)acct_sample_depth ? (int)acct_sample_depth : n - skip;
    uintptr_t frames[ACCT_MAX_DEPTH];
    for (int i = 0; i < nf; i++)
        frames[i] = (uintptr_t)raw[skip + i];
    double prob = req ? -expm1(-(double)req / (double)acct_sample_mean) : 1.0 / 1e9;
    double wbytes = (double)req / prob, wblocks = 1.0 / prob;
    double now = acct_elapsed();

    pthread_mutex_lock(&acct_site_lock);
    unsigned s = site_get_locked(frames, nf, now);
    int old = live_find_locked((uintptr_t)p);
    if (old >= 0)
        live_remove_locked((unsigned)old); /* freed behind our back: forget the stale entry */
    if (acct_sample_auto && !use_bt && ++auto_samples <= AUTO_JUDGE) {
        auto_frames += (unsigned)nf;
        if (auto_samples == AUTO_JUDGE && acct_sample_depth >= 3 &&
            2 * auto_frames < 3u * AUTO_JUDGE) {
            __atomic_store_n(&acct_sample_backtrace, 1, __ATOMIC_RELAXED);
            add_event_locked("stacks: frame pointers are missing (short walks): call sites now "
                             "come from backtrace()");
        }
    }
    if (nlive >= live_cap / 2)
        live_grow_locked();
    if (s == MAX_SITES || nlive >= live_cap / 2) {
        dropped++;
    } else {
        unsigned i = live_slot((uintptr_t)p);
        while (live[i].addr)
            i = (i + 1) & (live_cap - 1);
        live[i] = (live_entry_t){(uintptr_t)p, s, wbytes, wblocks};
        filter_add((uintptr_t)p, 1);
        nlive++;
        sites[s].live_bytes += wbytes;
        sites[s].live_blocks += wblocks;
        sites[s].alloc_bytes += wbytes;
    }
    samples++;
    pthread_mutex_unlock(&acct_site_lock);
    acct_busy--;
    errno = saved_errno;
}

void acct_sample_free(const void *p)
{
    if (!live)
        return;
    pthread_mutex_lock(&acct_site_lock);
    int i = live_find_locked((uintptr_t)p);
    if (i >= 0) {
        live_remove_locked((unsigned)i);
    }
    pthread_mutex_unlock(&acct_site_lock);
}

/* A flagged site is a leak only while it keeps growing: it grew within the last three intervals
 * or the last quarter of the run. One that plateaued earlier is healthy growth. */
static int still_growing(const site_t *st, double now)
{
    double recent = (double)acct_opt[ACCT_OPT_INTERVAL] / 1000.0 * 3;
    if (recent < 0.25 * now)
        recent = 0.25 * now;
    return st->flagged && now - st->last_growth_t <= recent;
}

static void fill_view(acct_site_view_t *v, unsigned id)
{
    const site_t *st = &sites[id];
    v->id = id;
    v->nframes = st->nframes;
    memcpy(v->frames, st->frames, sizeof v->frames);
    v->live_bytes = st->live_bytes < 0 ? 0 : st->live_bytes;
    v->live_blocks = st->live_blocks < 0 ? 0 : st->live_blocks;
    v->alloc_bytes = st->alloc_bytes;
    v->flagged = st->flagged;
    v->growing = still_growing(st, acct_elapsed());
    v->last_growth_t = st->last_growth_t;
    v->flag_t = st->flag_t;
    v->rate = st->rate;
}

int acct_sites_top(acct_site_view_t *out, int n)
{
    int have = 0;
    if (!sites)
        return 0;
    pthread_mutex_lock(&acct_site_lock);
    for (unsigned id = 0; id < nsites; id++) {
        double lb = sites[id].live_bytes;
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
    double t, live, rate_or_peak;
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
                     "t=%.1fs possible leak: site #%u live %.1f MiB, growing %.1f MiB/s, %s", e->t,
                     e->id, e->live / 1048576.0, e->rate_or_peak / 1048576.0, where);
    else
        k = acct_fmt(line, sizeof line,
                     "t=%.1fs never mind: site #%u shrank to %.1f MiB (peak %.1f MiB), %s", e->t,
                     e->id, e->live / 1048576.0, e->rate_or_peak / 1048576.0, where);
    pthread_mutex_lock(&acct_site_lock);
    add_event_locked(line);
    pthread_mutex_unlock(&acct_site_lock);
    if (events_path && events_path[0]) {
        line[k] = '\n';
        acct_append_file(events_path, line, k + 1);
    }
}

void acct_sites_watch(double t, uint64_t threshold, const char *events_path, int final)
{
    pending_t ev[MAX_PENDING];
    int nev = 0;
    double th = (double)threshold;
    (void) final;
    if (!sites)
        return;
    pthread_mutex_lock(&acct_site_lock);
    for (unsigned id = 0; id < nsites; id++) {
        site_t *st = &sites[id];
        double L = st->live_bytes;
        if (L < st->min_live) {
            st->min_live = L;
            st->min_t = t;
        }
        if (L > st->max_live + th / 16) {
            st->max_live = L;
            st->last_growth_t = t;
        } else if (L > st->max_live) {
            st->max_live = L;
        }
        double span = t - st->min_t > 1e-3 ? t - st->min_t : 1e-3;
        uintptr_t frame = st->nframes ? st->frames[0] - 1 : 0;
        if (!st->flagged && L - st->min_live >= th && L >= 0.9 * st->max_live) {
            st->flagged = 1;
            st->flag_t = t;
            st->rate = (L - st->min_live) / span;
            if (nev < MAX_PENDING)
                ev[nev++] = (pending_t){1, id, t, L, st->rate, frame};
        } else if (st->flagged && (L < st->min_live + th / 2 || L < 0.5 * st->max_live)) {
            st->flagged = 0;
            if (nev < MAX_PENDING)
                ev[nev++] = (pending_t){0, id, t, L, st->max_live, frame};
            st->min_live = st->max_live = L;
            st->min_t = t;
        } else if (st->flagged) {
            st->rate = (L - st->min_live) / span;
        }
    }
    pthread_mutex_unlock(&acct_site_lock);
    for (int i = 0; i < nev; i++)
        emit(&ev[i], events_path);
}

int acct_sites_flagged(double *bytes)
{
    int n = 0;
    double b = 0, now = acct_elapsed();
    if (!sites)
        return 0;
    pthread_mutex_lock(&acct_site_lock);
    for (unsigned id = 0; id < nsites; id++) {
        const site_t *st = &sites[id];
        if (still_growing(st, now)) {
            n++;
            b += st->live_bytes - st->min_live;
        }
    }
    pthread_mutex_unlock(&acct_site_lock);
    if (bytes)
        *bytes = b;
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
    pthread_mutex_lock(&acct_site_lock);
    *nsamples = samples;
    *ndropped = dropped;
    *n = nsites;
    pthread_mutex_unlock(&acct_site_lock);
}
