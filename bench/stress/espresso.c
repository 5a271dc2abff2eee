/*
 * bench/stress/espresso.c: an espresso-like workload (after espresso, the logic minimizer in the
 * Zorn/Grunwald and mimalloc-bench suites): sets of cubes (bit vectors a few words long) kept in
 * covers (arrays grown with realloc), rebuilt pass after pass: each pass makes new cubes from
 * pairs of old ones, drops contained and duplicate cubes, and frees the previous cover. Many
 * small blocks of mixed lifetimes, and realloc growth, in one thread.
 *
 *   espresso [passes] [seed]   (default 250 passes, seed 1); prints the final cover size.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORDS 4 /* cube width: 4 x 64 bits */

typedef struct cover {
    uint64_t **cube;
    size_t n, cap;
} cover_t;

static uint64_t x = 1;
static uint64_t rnd(void)
{
    x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
    return x * 0x2545F4914F6CDD1Dull;
}

static void *xalloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q)
        exit(3);
    return q;
}

static void cover_add(cover_t *c, uint64_t *cube)
{
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->cube = xalloc(c->cube, c->cap * sizeof *c->cube);
    }
    c->cube[c->n++] = cube;
}

static void cover_free(cover_t *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->cube[i]);
    free(c->cube);
    memset(c, 0, sizeof *c);
}

static int contains(const uint64_t *a, const uint64_t *b) /* b within a */
{
    for (int w = 0; w < WORDS; w++)
        if ((a[w] & b[w]) != b[w])
            return 0;
    return 1;
}

int main(int argc, char **argv)
{
    int passes = argc > 1 ? atoi(argv[1]) : 250;
    x = (argc > 2 ? strtoull(argv[2], NULL, 10) : 1) * 0x9E3779B97F4A7C15ull + 1;
    cover_t cur = {0};
    for (int i = 0; i < 2000; i++) {
        uint64_t *c = xalloc(NULL, WORDS * sizeof *c);
        for (int w = 0; w < WORDS; w++)
            c[w] = rnd() & rnd();
        cover_add(&cur, c);
    }
    for (int p = 0; p < passes; p++) {
        cover_t next = {0};
        /* expand: the union of random pairs; reduce: keep the ones no earlier cube contains */
        for (size_t i = 0; i < 2 * cur.n; i++) {
            const uint64_t *a = cur.cube[rnd() % cur.n], *b = cur.cube[rnd() % cur.n];
            uint64_t *c = xalloc(NULL, WORDS * sizeof *c);
            for (int w = 0; w < WORDS; w++)
                c[w] = (a[w] | b[w]) & (rnd() | rnd() | rnd());
            int dup = 0;
            for (size_t k = next.n > 32 ? next.n - 32 : 0; k < next.n && !dup; k++)
                dup = contains(next.cube[k], c);
            if (dup) {
                free(c);
                continue;
            }
            cover_add(&next, c);
        }
        while (next.n > 2500) { /* keep it bounded: drop random cubes */
            size_t k = rnd() % next.n;
            free(next.cube[k]);
            next.cube[k] = next.cube[--next.n];
        }
        cover_free(&cur);
        cur = next;
    }
    printf("espresso: %d passes, %zu cubes\n", passes, cur.n);
    cover_free(&cur);
    return 0;
}
