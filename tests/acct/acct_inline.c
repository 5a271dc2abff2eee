/*
 * tests/acct/acct_inline.c: a leak behind an inlined function, for the symbolizer: keep_block()
 * is always inlined into leak_outer(), so the call site's one return address stands for two
 * frames, which the report must show ("keep_block (...) (inlined)" above "leak_outer (...)").
 * Built -O2 -g with frame pointers. Leaks 32 MiB in 64 KiB blocks over about 2 s.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static inline __attribute__((always_inline)) void *keep_block(size_t n)
{
    void *p = malloc(n);
    if (p)
        memset(p, 1, n);
    return p;
}

void *leak_outer(size_t n);
__attribute__((noinline)) void *leak_outer(size_t n)
{
    void *p = keep_block(n);
    __asm__ volatile("" ::: "memory"); /* not a tail call: leak_outer stays on the stack */
    return p;
}

int main(void)
{
    static void *kept[512];
    struct timespec pause = {0, 4 * 1000 * 1000};
    for (int i = 0; i < 512; i++) {
        kept[i] = leak_outer(64 * 1024);
        nanosleep(&pause, NULL);
    }
    printf("kept %d blocks\n", 512);
    return kept[0] == NULL;
}
