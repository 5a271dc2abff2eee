/*
 * tests/acct/acct_synth.c: synthetic programs whose memory behaviour is known, for checking the
 * accountant's verdicts (tests/acct, CI) and measuring them over many runs
 * (bench/acct-verdicts.sh).
 *
 *   acct_synth MODE SECONDS SEED [LEAK_BYTES_PER_S]
 *
 * Every mode runs noise next to its subject: noise_turnover() keeps a fixed pool of blocks of
 * random sizes and replaces random ones (steady, never growing). Modes:
 *   plateau     cache_put() fills a cache to a byte cap in the first fifth of the run, then
 *               replaces random entries at the same pace: bounded, never a leak
 *   leak        leak_function() keeps LEAK_BYTES_PER_S (default 64 KiB/s) in 64-byte blocks
 *   turnover    noise only
 *   growshrink  grow_function() grows a list for the first half, then frees it all gradually
 *   forkleak    forks: the child runs "leak", the parent "turnover"; the parent waits for it
 *   crash       "leak", then dies of SIGSEGV (no exit handlers, no final report)
 * Work is paced by the clock (what is due by now), so the rates hold on a loaded machine. Seeded
 * (xorshift): a run's allocation sequence depends only on SEED. Built -O0 -g with frame pointers
 * so that each function is its own call site with file:line.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng_state;

static uint64_t rng(void)
{
    uint64_t x = rng_state;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * 0x2545F4914F6CDD1Dull;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *touch(void *p, size_t n)
{
    if (!p) {
        fprintf(stderr, "acct_synth: out of memory\n");
        exit(3);
    }
    memset(p, 0x5a, n);
    return p;
}

/* ---- noise: a fixed pool, random replacement --------------------------------------------- */
#define POOL 2048
static void *pool[POOL];

__attribute__((noinline)) static void noise_turnover(void)
{
    unsigned i = (unsigned)(rng() % POOL);
    free(pool[i]);
    size_t n = 32 + rng() % 4064;
    pool[i] = touch(malloc(n), n);
}

/* ---- plateau: a cache with a byte cap ---------------------------------------------------- */
#define CACHE_SLOTS 65536
static void *cache[CACHE_SLOTS];
static size_t cache_size[CACHE_SLOTS];
static size_t cache_bytes, cache_n;

__attribute__((noinline)) static void cache_put(size_t cap)
{
    size_t n = 64 + rng() % 8128;
    while (cache_bytes + n > cap && cache_n > 0) { /* evict a random entry */
        size_t victim = rng() % cache_n;
        cache_bytes -= cache_size[victim];
        free(cache[victim]);
        cache[victim] = cache[--cache_n];
        cache_size[victim] = cache_size[cache_n];
    }
    if (cache_n == CACHE_SLOTS)
        return;
    cache[cache_n] = touch(malloc(n), n);
    cache_size[cache_n++] = n;
    cache_bytes += n;
}

/* ---- leak ---------------------------------------------------------------------------------- */
void *leak_function(size_t n);
__attribute__((noinline)) void *leak_function(size_t n)
{
    return touch(malloc(n), n); /* never freed: the leak */
}

/* ---- grow then shrink ---------------------------------------------------------------------- */
typedef struct node {
    struct node *next;
    char payload[1000];
} node_t;
static node_t *grown;

__attribute__((noinline)) static void grow_function(void)
{
    node_t *n = touch(malloc(sizeof *n), sizeof *n);
    n->next = grown;
    grown = n;
}

__attribute__((noinline)) static void shrink_function(void)
{
    node_t *n = grown;
    if (n) {
        grown = n->next;
        free(n);
    }
}

static void run(const char *mode, double seconds, double leak_rate)
{
    const double noise_rate = 20000;              /* replacements a second */
    const size_t cache_cap = 24u << 20;           /* plateau: 24 MiB */
    const double cache_rate = 3 * 4096.0 * 5 / 1; /* entries a second: the cap in a fifth */
    const double grow_rate = 8000;                /* growshrink: nodes a second */
    double t0 = now_s(), t;
    double noise_done = 0, cache_done = 0, leaked = 0, grow_done = 0;
    int plateau = !strcmp(mode, "plateau"), leak = !strcmp(mode, "leak"),
        growshrink = !strcmp(mode, "growshrink");
    long nodes = 0;
    while ((t = now_s() - t0) < seconds) {
        for (; noise_done < noise_rate * t; noise_done++)
            noise_turnover();
        for (; plateau && cache_done < cache_rate * t / (seconds / 5 > 1 ? seconds / 5 : 1);
             cache_done++)
            cache_put(cache_cap);
        for (; leak && leaked < leak_rate * t; leaked += 64)
            leak_function(64);
        if (growshrink && t < seconds / 2)
            for (; grow_done < grow_rate * t; grow_done++, nodes++)
                grow_function();
        if (growshrink && t >= seconds / 2)
            for (; nodes > 0 && grow_done - nodes < grow_rate * (t - seconds / 2) * 1.25; nodes--)
                shrink_function();
        struct timespec pause = {0, 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    printf("%s: %.1f s, cache %zu bytes in %zu entries, leaked %.0f bytes, %ld nodes left\n", mode,
           t, cache_bytes, cache_n, leaked, nodes);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: acct_synth plateau|leak|turnover|growshrink|forkleak|crash SECONDS "
                        "SEED [LEAK_BYTES_PER_S]\n");
        return 2;
    }
    const char *mode = argv[1];
    double seconds = atof(argv[2]), rate = argc > 4 ? atof(argv[4]) : 65536;
    rng_state = strtoull(argv[3], NULL, 10) * 0x9E3779B97F4A7C15ull + 1;
    for (unsigned i = 0; i < POOL; i++) {
        size_t n = 32 + rng() % 4064;
        pool[i] = touch(malloc(n), n);
    }
    if (!strcmp(mode, "forkleak")) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            return 3;
        rng_state ^= (uint64_t)(pid == 0) << 32;
        run(pid == 0 ? "leak" : "turnover", seconds, rate);
        if (pid == 0)
            return 0;
        int status;
        waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : 4;
    }
    if (!strcmp(mode, "crash")) {
        run("leak", seconds, rate);
        fflush(stdout);
        signal(SIGSEGV, SIG_DFL);
        raise(SIGSEGV);
        return 5;
    }
    run(mode, seconds, rate);
    return 0;
}
