/*
 * bench/stress/cfrac.c: a cfrac-like workload (after cfrac, the continued-fraction factoring
 * program in the Zorn/Grunwald and mimalloc-bench suites): arbitrary-precision arithmetic whose
 * every intermediate number is a fresh heap block of a few dozen bytes, freed soon after, in one
 * thread. Here: the continued-fraction expansion of sqrt(N) for seeded N of LIMBS 32-bit limbs,
 * with big numbers as malloc'd limb arrays (each add, multiply, divide allocates its result).
 *
 *   cfrac [steps] [seed]   (default 4000000 steps, seed 1); prints a checksum of the expansion.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMBS 6

typedef struct big {
    int n;        /* limbs used */
    uint32_t l[]; /* little-endian */
} big_t;

static big_t *big_new(int n)
{
    big_t *b = malloc(sizeof *b + (size_t)(n > 0 ? n : 1) * sizeof(uint32_t));
    if (!b)
        exit(3);
    b->n = n;
    memset(b->l, 0, (size_t)(n > 0 ? n : 1) * sizeof(uint32_t));
    return b;
}

static big_t *big_trim(big_t *b)
{
    while (b->n > 0 && b->l[b->n - 1] == 0)
        b->n--;
    return b;
}

static big_t *big_small(uint32_t v)
{
    big_t *b = big_new(1);
    b->l[0] = v;
    return big_trim(b);
}

static big_t *big_add(const big_t *a, const big_t *b)
{
    int n = (a->n > b->n ? a->n : b->n) + 1;
    big_t *r = big_new(n);
    uint64_t c = 0;
    for (int i = 0; i < n; i++) {
        c += (i < a->n ? a->l[i] : 0) + (uint64_t)(i < b->n ? b->l[i] : 0);
        r->l[i] = (uint32_t)c;
        c >>= 32;
    }
    return big_trim(r);
}

static big_t *big_mul_small(const big_t *a, uint32_t m)
{
    big_t *r = big_new(a->n + 1);
    uint64_t c = 0;
    for (int i = 0; i < a->n; i++) {
        c += (uint64_t)a->l[i] * m;
        r->l[i] = (uint32_t)c;
        c >>= 32;
    }
    r->l[a->n] = (uint32_t)c;
    return big_trim(r);
}

/* a / d and a % d for a small divisor */
static big_t *big_div_small(const big_t *a, uint32_t d, uint32_t *rem)
{
    big_t *q = big_new(a->n);
    uint64_t r = 0;
    for (int i = a->n - 1; i >= 0; i--) {
        r = (r << 32) | a->l[i];
        q->l[i] = (uint32_t)(r / d);
        r %= d;
    }
    *rem = (uint32_t)r;
    return big_trim(q);
}

int main(int argc, char **argv)
{
    long steps = argc > 1 ? atol(argv[1]) : 4000000;
    uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 10) : 1;
    uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1, sum = 0;
    /* The recurrences P' = a Q - P, Q' = (N - P'^2) / Q on small numbers decide the partial
     * quotients a; the convergent numerators A' = a A + A_prev grow as big numbers, reduced
     * (divided) every so often to keep them LIMBS wide: the allocation pattern of cfrac. */
    big_t *A = big_small(1), *A_prev = big_small(0);
    uint64_t N = 0, P = 0, Q = 1, root = 0;
    for (long s = 0; s < steps; s++) {
        if (s % 1000 == 0) { /* a new number to expand */
            x ^= x >> 12, x ^= x << 25, x ^= x >> 27;
            N = (x * 0x2545F4914F6CDD1Dull >> 34) | 3;
            for (root = 1; (root + 1) * (root + 1) <= N; root <<= 1)
                ;
            while (root * root > N)
                root--;
            while ((root + 1) * (root + 1) <= N)
                root++;
            P = 0;
            Q = 1;
        }
        uint64_t a = Q ? (root + P) / Q : 1;
        uint64_t P2 = a * Q - P;
        uint64_t Q2 = Q ? (N - P2 * P2) / Q : 1;
        if (Q2 == 0)
            Q2 = 1;
        P = P2;
        Q = Q2;
        big_t *t = big_mul_small(A, (uint32_t)(a ? a : 1));
        big_t *A2 = big_add(t, A_prev);
        free(t);
        free(A_prev);
        A_prev = A;
        A = A2;
        if (A->n > LIMBS) { /* keep the numbers small: reduce both */
            uint32_t r1, r2;
            big_t *a1 = big_div_small(A, 0x10001, &r1), *a2 = big_div_small(A_prev, 0x10001, &r2);
            free(A);
            free(A_prev);
            A = a1;
            A_prev = a2;
            sum += r1 ^ r2;
        }
        sum += A->n ? A->l[0] : 0;
    }
    free(A);
    free(A_prev);
    printf("cfrac: %ld steps, checksum %llx\n", steps, (unsigned long long)sum);
    return 0;
}
