/*
 * tests/acct/acct_leak.c: a program with one leak at a known function, for the accountant to
 * find. leaky_function() keeps every 64 KiB block it allocates (about 48 MiB over ~2.4 s), while
 * churn() allocates and frees ten times as much without keeping any. Built with -O0 -g so the
 * call site has a stable name and file:line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define LEAK_BLOCK (64 * 1024)
#define STEPS 768

static void *kept[STEPS];

void *leaky_function(size_t n);

__attribute__((noinline)) void *leaky_function(size_t n)
{
    void *p = malloc(n); /* never freed: the leak */
    if (p)
        memset(p, 0x5a, n);
    return p;
}

__attribute__((noinline)) static void churn(int step)
{
    void *tmp[10];
    for (int i = 0; i < 10; i++)
        tmp[i] = malloc(LEAK_BLOCK + (size_t)i * 100 + (size_t)step % 50);
    for (int i = 0; i < 10; i++)
        free(tmp[i]);
}

int main(void)
{
    struct timespec pause = {0, 3 * 1000 * 1000}; /* 3 ms a step */
    for (int s = 0; s < STEPS; s++) {
        kept[s] = leaky_function(LEAK_BLOCK);
        churn(s);
        nanosleep(&pause, NULL);
    }
    printf("leaked %d blocks of %d bytes\n", STEPS, LEAK_BLOCK);
    return 0;
}
