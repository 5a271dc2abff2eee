/*
 * src/store/access.c: a record's access word, the one 32-bit field that both the LRU and the
 * LFU eviction policies (evict.c) and OBJECT IDLETIME / OBJECT FREQ read. Layout and rules are
 * in store_internal.h (fls_access_*): 24-bit seconds clock, 8-bit logarithmic counter.
 * Pure functions of the word and the time, except the counter's random increment.
 */
#include "store_internal.h"

#define CLOCK_BITS 24
#define CLOCK_MASK ((1u << CLOCK_BITS) - 1)
#define LFU_LOG_FACTOR 10    /* Redis's lfu-log-factor default */
#define LFU_DECAY_SECONDS 60 /* Redis's lfu-decay-time default: one minute */

static uint32_t clock_s(int64_t now_ms)
{
    return (uint32_t)((uint64_t)now_ms / 1000) & CLOCK_MASK;
}

static uint32_t pack(uint32_t clock, unsigned counter)
{
    return clock << 8 | (counter & 0xffu);
}

uint32_t fls_access_new(int64_t now_ms)
{
    return pack(clock_s(now_ms), FLS_LFU_INIT);
}

uint64_t fls_access_idle_s(uint32_t word, int64_t now_ms)
{
    return (clock_s(now_ms) - (word >> 8)) & CLOCK_MASK;
}

unsigned fls_access_freq(uint32_t word, int64_t now_ms)
{
    unsigned counter = word & 0xffu;
    uint64_t periods = fls_access_idle_s(word, now_ms) / LFU_DECAY_SECONDS;
    return periods >= counter ? 0 : counter - (unsigned)periods;
}

uint32_t fls_access_bump(uint32_t word, int64_t now_ms)
{
    unsigned counter = fls_access_freq(word, now_ms);
    if (counter < 255) {
        /* Redis's LFULogIncr: the higher the counter, the less likely an increment. */
        unsigned base = counter > FLS_LFU_INIT ? counter - FLS_LFU_INIT : 0;
        uint64_t r = fls_rand() >> 11; /* 53 random bits */
        if ((double)r * 0x1p-53 * (base * LFU_LOG_FACTOR + 1) < 1.0)
            counter++;
    }
    return pack(clock_s(now_ms), counter);
}

uint32_t fls_access_set(uint32_t word, int64_t now_ms, long long idle_s, unsigned freq)
{
    if (idle_s < 0)
        return pack(clock_s(now_ms), freq);
    uint32_t ago = idle_s > (long long)CLOCK_MASK ? CLOCK_MASK : (uint32_t)idle_s;
    return pack((clock_s(now_ms) - ago) & CLOCK_MASK, word & 0xffu);
}
