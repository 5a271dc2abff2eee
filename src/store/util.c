/*
 * src/store/util.c: small pure helpers of the store: key hashing, strict integer parsing and
 * formatting (Redis's string2ll rules), the clock, the coarse LRU clock, a thread-local random
 * generator, and the status messages. No state is shared between threads here.
 */
#include <string.h>
#include <time.h>

#include "store_internal.h"

const char *fl_status_str(int status)
{
    switch (status) {
    case FL_OK:
        return "OK";
    case FL_EWRONGTYPE:
        return "WRONGTYPE Operation against a key holding the wrong kind of value";
    case FL_ENOTINT:
        return "ERR value is not an integer or out of range";
    case FL_EOVERFLOW:
        return "ERR increment or decrement would overflow";
    case FL_EOOM:
        return "OOM command not allowed when used memory > 'maxmemory'";
    case FL_ENOMEM:
        return "ERR out of memory: allocation failed, nothing changed";
    case FL_ECOND:
        return "ERR condition not met";
    case FL_EINVAL:
        return "ERR invalid argument";
    case FL_ERANGE:
        return "ERR index out of range";
    case FL_ENOTFLOAT:
        return "ERR value is not a valid float";
    case FL_ENAN:
        return "ERR increment would produce NaN or Infinity";
    case FL_ENOKEY:
        return "ERR no such key";
    case FL_EHASHNOTFLOAT:
        return "ERR hash value is not a float";
    case FL_EINCRNAN:
        return "ERR value is NaN or Infinity";
    default:
        return "ERR unknown error";
    }
}

static _Thread_local int64_t frozen_ms; /* fl_now_freeze; 0 = the clock runs */

void fl_now_freeze(int64_t ms)
{
    frozen_ms = ms;
}

int64_t fl_now_ms(void)
{
    if (frozen_ms)
        return frozen_ms;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const unsigned char *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

/* A multiply-mix hash in the style of wyhash: 16 bytes per step, seeded per store. */
uint64_t fls_hash(uint64_t seed, const void *key, size_t n)
{
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
                   k2 = 0x8ebc6af09c88c6e3ull;
    const unsigned char *p = key;
    uint64_t h = seed ^ mix(seed ^ k0, (uint64_t)n ^ k1);
    size_t left = n;
    while (left >= 16) {
        h = mix(rd64(p) ^ k1, rd64(p + 8) ^ h);
        p += 16;
        left -= 16;
    }
    uint64_t a = 0, b = 0;
    if (left >= 8) {
        a = rd64(p);
        fls_copy(&b, p + 8, left - 8);
    } else {
        fls_copy(&a, p, left);
    }
    h = mix(a ^ k1 ^ h, b ^ k2 ^ (uint64_t)n);
    return mix(h ^ k0, h ^ k2);
}

bool fls_parse_i64(const char *p, size_t n, int64_t *out)
{
    if (n == 0 || n > 20)
        return false;
    if (n == 1 && p[0] == '0') {
        *out = 0;
        return true;
    }
    size_t i = 0;
    bool neg = false;
    if (p[0] == '-') {
        neg = true;
        i = 1;
        if (n == 1)
            return false;
    }
    if (p[i] < '1' || p[i] > '9')
        return false;
    uint64_t v = 0;
    for (; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        unsigned d = (unsigned)(p[i] - '0');
        if (v > (UINT64_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    if (neg) {
        if (v > (uint64_t)INT64_MAX + 1)
            return false;
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    } else {
        if (v > (uint64_t)INT64_MAX)
            return false;
        *out = (int64_t)v;
    }
    return true;
}

size_t fls_fmt_i64(int64_t v, char *buf)
{
    char tmp[24];
    size_t n = 0;
    uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    do {
        tmp[n++] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    size_t len = 0;
    if (v < 0)
        buf[len++] = '-';
    while (n)
        buf[len++] = tmp[--n];
    return len;
}

int fls_incr_text(const char *p, size_t n, int64_t delta, int64_t *v, char *buf, size_t *len)
{
    int64_t cur = 0;
    if (p && !fls_parse_i64(p, n, &cur))
        return FL_ENOTINT;
    if (__builtin_add_overflow(cur, delta, v))
        return FL_EOVERFLOW;
    *len = fls_fmt_i64(*v, buf);
    return FL_OK;
}

static _Thread_local uint64_t rng_state;

uint64_t fls_rand(void)
{
    if (rng_state == 0) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        rng_state = ((uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ull) ^ (uintptr_t)&rng_state;
        if (rng_state == 0)
            rng_state = 0x2545f4914f6cdd1dull;
    }
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    rng_state = x;
    return x * 0x2545f4914f6cdd1dull;
}
