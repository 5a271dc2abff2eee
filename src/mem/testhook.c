/*
 * src/mem/testhook.c: allocation-failure injection for tests (fl_mem_test_fail_after).
 *
 * flm_fail_countdown counts shared-arena allocations (alloc, calloc, realloc, move) down to the
 * one that fails; 0 means disarmed, which the fast path checks with one relaxed load. When
 * sticky, it stays at 1 after firing so every later allocation fails too. Both fields are
 * atomics: tests may arm the hook while other threads allocate.
 */
#include "mem_internal.h"

_Atomic uint64_t flm_fail_countdown;
static _Atomic bool g_fail_sticky;

void fl_mem_test_fail_after(uint64_t n, bool sticky)
{
    atomic_store(&g_fail_sticky, sticky);
    atomic_store(&flm_fail_countdown, n);
}

bool flm_fail_now(void)
{
    uint64_t cur = atomic_load(&flm_fail_countdown);
    while (cur != 0) {
        uint64_t next = cur - 1;
        if (cur == 1 && atomic_load(&g_fail_sticky))
            next = 1;
        if (atomic_compare_exchange_weak(&flm_fail_countdown, &cur, next))
            return cur == 1;
    }
    return false;
}
