/*
 * src/server/hll.c: the HyperLogLog string format of hll.h: hashing, dense and sparse register
 * edits, sparse -> dense promotion, merging, the estimator and PFSELFTEST.
 *
 * Invariants kept for a well-formed value: a dense value is exactly HLL_DENSE_SIZE bytes; a
 * sparse value's opcodes cover exactly HLL_REGISTERS registers, hold values 1..32, and are
 * never longer than hll-sparse-max-bytes after an edit that grew them (the edit promotes
 * instead). Corrupt input (a sparse value whose opcodes cover more or fewer registers) is
 * never read or written out of bounds: it yields HLL_CORRUPT, exactly where redis-server
 * 7.0.15 reports "Corrupted HLL object detected" (as distributions ship it, with the fix for
 * CVE-2025-32023: a VAL opcode past the last register is corruption even when the opcodes
 * before it covered all 16384).
 *
 * The byte past the end: Redis reads an XZERO opcode cut by the end of a corrupt value with
 * the byte after its string as the second byte (the terminator, 0, on a fresh value; whatever
 * an edit of that cut opcode wrote there, later). An hll_t keeps that byte at p[len] and edits
 * it as Redis's string functions do, so one command edits such a value exactly as Redis does;
 * a value read from the store starts with 0 there (Redis keeps its byte between commands, so
 * a second command on such a value may differ: no valid HLL ever has a cut opcode).
 */
#include "hll.h"
#include "fl_assert.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REG_MAX 63         /* a 6-bit register */
#define Q (64 - 14)        /* hash bits left for the run of zeros after the 14 index bits */
#define SPARSE_VAL_MAX 32  /* the largest value a VAL opcode holds */
#define SPARSE_VAL_RUN 4   /* registers one VAL opcode covers at most */
#define SPARSE_ZERO_RUN 64 /* ... one ZERO opcode */
#define SPARSE_XZERO_RUN 16384
#define EDIT_ROOM 4 /* bytes past len a sparse edit may write (XZERO -> XZERO VAL XZERO) */
#define ALPHA_INF 0.721347520444481703680 /* 1 / (2 ln 2) */

/* ---- Hashing ---------------------------------------------------------------------------- */

static uint64_t load_le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

/* MurmurHash64A (Austin Appleby's MurmurHash2, 64-bit), reading 8-byte blocks little endian
 * whatever the machine, as Redis's copy does. */
static uint64_t murmur64a(const uint8_t *data, size_t len, uint64_t seed)
{
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    uint64_t h = seed ^ (len * m);
    size_t blocks = len / 8;
    for (size_t i = 0; i < blocks; i++) {
        uint64_t k = load_le64(data + 8 * i);
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    const uint8_t *tail = data + 8 * blocks;
    size_t rest = len & 7;
    if (rest) {
        for (size_t i = 0; i < rest; i++)
            h ^= (uint64_t)tail[i] << (8 * i);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

uint8_t hll_pattern(const void *ele, size_t n, long *index)
{
    uint64_t hash = murmur64a(ele, n, 0xadc83b19ULL);
    *index = (long)(hash & (HLL_REGISTERS - 1));
    hash >>= 14;
    hash |= (uint64_t)1 << Q; /* bounds the run */
    return (uint8_t)(__builtin_ctzll(hash) + 1);
}

/* ---- Header ----------------------------------------------------------------------------- */

bool hll_header_ok(const uint8_t *hdr, size_t len)
{
    if (len < HLL_HDR_SIZE || memcmp(hdr, "HYLL", 4) != 0 || hdr[4] > HLL_SPARSE)
        return false;
    return hdr[4] != HLL_DENSE || len == HLL_DENSE_SIZE;
}

bool hll_cache_get(const uint8_t *p, uint64_t *card)
{
    if (p[15] & 0x80)
        return false;
    *card = load_le64(p + 8);
    return true;
}

void hll_cache_set(uint8_t *p, uint64_t card)
{
    for (int i = 0; i < 8; i++)
        p[8 + i] = (uint8_t)(card >> (8 * i));
}

void hll_cache_invalidate(uint8_t *p)
{
    p[15] |= 0x80;
}

/* ---- Buffers ---------------------------------------------------------------------------- */

/* Room for len bytes in h (growing p, keeping its content). HLL_NOMEM or HLL_SAME. */
static int reserve(hll_t *h, size_t len)
{
    if (len <= h->cap)
        return HLL_SAME;
    size_t cap = h->cap ? h->cap : 64;
    while (cap < len)
        cap *= 2;
    uint8_t *p = realloc(h->p, cap);
    if (!p)
        return HLL_NOMEM;
    h->p = p;
    h->cap = cap;
    return HLL_SAME;
}

uint8_t *hll_prepare(hll_t *h, size_t len)
{
    if (reserve(h, len + 1) != HLL_SAME)
        return NULL;
    h->len = len;
    h->p[len] = 0;
    return h->p;
}

void hll_free(hll_t *h)
{
    free(h->p);
    *h = (hll_t){NULL, 0, 0};
}

/* ---- Dense registers ---------------------------------------------------------------------- */

/* Register i starts at bit 6i of the register bytes, least significant bits first; it spills
 * into the next byte when it starts past bit 2 of its first. */
/* Register i from its bytes b (its first byte, then the next when it spills into it). */
static inline uint8_t reg_at(const uint8_t *b, long i)
{
    unsigned shift = (unsigned)((size_t)i * 6 % 8), v = b[0] >> shift;
    if (shift > 2)
        v |= (unsigned)b[1] << (8 - shift);
    return (uint8_t)(v & REG_MAX);
}

uint8_t hll_dense_reg(const uint8_t *b, long i)
{
    return reg_at(b, i);
}

static inline uint8_t reg_get(const uint8_t *regs, long i)
{
    return reg_at(regs + (size_t)i * 6 / 8, i);
}

/* Every register of dense register bytes, one per byte into out: four registers per three
 * bytes, the hot loop of PFCOUNT and PFMERGE. */
static void dense_unpack(const uint8_t *regs, uint8_t out[HLL_REGISTERS])
{
    for (long i = 0; i < HLL_REGISTERS; i += 4, regs += 3) {
        out[i] = regs[0] & REG_MAX;
        out[i + 1] = (uint8_t)((regs[0] >> 6 | regs[1] << 2) & REG_MAX);
        out[i + 2] = (uint8_t)((regs[1] >> 4 | regs[2] << 4) & REG_MAX);
        out[i + 3] = regs[2] >> 2;
    }
}

static void reg_put(uint8_t *regs, long i, uint8_t v)
{
    size_t bit = (size_t)i * 6, byte = bit / 8;
    unsigned shift = bit % 8;
    regs[byte] = (uint8_t)((regs[byte] & ~(REG_MAX << shift)) | (v << shift));
    if (shift > 2)
        regs[byte + 1] =
            (uint8_t)((regs[byte + 1] & ~(REG_MAX >> (8 - shift))) | (v >> (8 - shift)));
}

uint8_t hll_dense_get(const uint8_t *p, long i)
{
    return reg_get(p + HLL_HDR_SIZE, i);
}

size_t hll_dense_offset(long i, size_t *bytes)
{
    size_t bit = (size_t)i * 6;
    *bytes = bit % 8 > 2 ? 2 : 1;
    return HLL_HDR_SIZE + bit / 8;
}

static int dense_set(uint8_t *p, long index, uint8_t count)
{
    if (count <= reg_get(p + HLL_HDR_SIZE, index))
        return HLL_SAME;
    reg_put(p + HLL_HDR_SIZE, index, count);
    return HLL_CHANGED;
}

/* ---- Sparse opcodes ------------------------------------------------------------------------ */

static bool op_zero(uint8_t b)
{
    return (b & 0xc0) == 0;
}
static bool op_xzero(uint8_t b)
{
    return (b & 0xc0) == 0x40;
}
static bool op_val(uint8_t b)
{
    return (b & 0x80) != 0;
}
static long zero_run(uint8_t b)
{
    return (b & 0x3f) + 1;
}
/* `past` stands for the byte after the value (see "The byte past the end" above). */
static long xzero_run(const uint8_t *p, const uint8_t *end, uint8_t past)
{
    return (((long)(p[0] & 0x3f) << 8) | (p + 1 < end ? p[1] : past)) + 1;
}
static uint8_t val_value(uint8_t b)
{
    return (uint8_t)(((b >> 2) & 0x1f) + 1);
}
static long val_run(uint8_t b)
{
    return (b & 0x3) + 1;
}
static uint8_t val_op(unsigned value, long run)
{
    return (uint8_t)(0x80 | (value - 1) << 2 | (unsigned)(run - 1));
}

/* Writes a run of n zero registers at out (ZERO up to 64, XZERO above); returns its bytes. */
static size_t zeros_op(uint8_t *out, long n)
{
    if (n <= SPARSE_ZERO_RUN) {
        out[0] = (uint8_t)(n - 1);
        return 1;
    }
    out[0] = (uint8_t)(0x40 | (n - 1) >> 8);
    out[1] = (uint8_t)((n - 1) & 0xff);
    return 2;
}

/* Registers and bytes of the opcode at p. */
static long op_run(const uint8_t *p, const uint8_t *end, uint8_t past, size_t *bytes)
{
    *bytes = 1;
    if (op_zero(*p))
        return zero_run(*p);
    if (op_val(*p))
        return val_run(*p);
    *bytes = 2;
    return xzero_run(p, end, past);
}

int hll_init(hll_t *h)
{
    size_t len = HLL_HDR_SIZE + 2 * ((HLL_REGISTERS + SPARSE_XZERO_RUN - 1) / SPARSE_XZERO_RUN);
    if (reserve(h, len + EDIT_ROOM) != HLL_SAME)
        return HLL_NOMEM;
    memset(h->p, 0, HLL_HDR_SIZE);
    memcpy(h->p, "HYLL", 4);
    h->p[4] = HLL_SPARSE;
    uint8_t *op = h->p + HLL_HDR_SIZE;
    for (long left = HLL_REGISTERS; left > 0; left -= SPARSE_XZERO_RUN)
        op += zeros_op(op, left < SPARSE_XZERO_RUN ? left : SPARSE_XZERO_RUN);
    h->len = (size_t)(op - h->p);
    h->p[h->len] = 0;
    return HLL_SAME;
}

int hll_to_dense(hll_t *h)
{
    if (hll_encoding(h->p) == HLL_DENSE)
        return HLL_SAME;
    uint8_t *dense = calloc(1, HLL_DENSE_SIZE + 1); /* and its byte past the end */
    if (!dense)
        return HLL_NOMEM;
    memcpy(dense, h->p, HLL_HDR_SIZE); /* magic and cached cardinality */
    dense[4] = HLL_DENSE;
    const uint8_t *p = h->p + HLL_HDR_SIZE, *end = h->p + h->len;
    long idx = 0;
    while (p < end) {
        size_t bytes;
        long run = op_run(p, end, *end, &bytes);
        if (op_val(*p)) {
            if (idx + run > HLL_REGISTERS)
                break; /* corrupt (below) */
            for (long i = 0; i < run; i++)
                reg_put(dense + HLL_HDR_SIZE, idx + i, val_value(*p));
        }
        idx += run;
        p += bytes;
    }
    if (p < end || idx != HLL_REGISTERS) {
        free(dense);
        return HLL_CORRUPT;
    }
    free(h->p);
    *h = (hll_t){dense, HLL_DENSE_SIZE, HLL_DENSE_SIZE + 1};
    return HLL_CHANGED;
}

/* The register needs a value or a size the sparse form cannot take: convert, then set. */
static int promote(hll_t *h, long index, uint8_t count)
{
    int rc = hll_to_dense(h);
    if (rc < 0)
        return rc;
    return dense_set(h->p, index, count);
}

/* Joins adjacent VAL opcodes of equal value while their runs fit one opcode, looking at up to
 * five opcodes from `from` (the opcode before the edited one), as Redis does after an edit. */
static void sparse_join(hll_t *h, uint8_t *from)
{
    uint8_t *p = from, *end = h->p + h->len;
    for (int scans = 5; p < end && scans > 0; scans--) {
        if (op_xzero(*p)) {
            p += 2;
            continue;
        }
        if (op_zero(*p)) {
            p++;
            continue;
        }
        if (p + 1 < end && op_val(p[1]) && val_value(p[0]) == val_value(p[1]) &&
            val_run(p[0]) + val_run(p[1]) <= SPARSE_VAL_RUN) {
            p[1] = val_op(val_value(p[0]), val_run(p[0]) + val_run(p[1]));
            memmove(p, p + 1, (size_t)(end - p - 1));
            h->len--;
            end--;
            *end = 0;
            continue; /* the joined opcode may join its right neighbour too */
        }
        p++;
    }
}

/* Splits the opcode at `op` (covering registers first..first+run-1) around register index,
 * which becomes VAL count: up to three opcodes written to seq. Returns their bytes. */
static size_t split(const uint8_t *op, long first, long run, long index, uint8_t count,
                    uint8_t seq[5])
{
    long last = first + run - 1;
    size_t n = 0;
    if (op_val(*op)) {
        uint8_t cur = val_value(*op);
        if (index != first)
            seq[n++] = val_op(cur, index - first);
        seq[n++] = val_op(count, 1);
        if (index != last)
            seq[n++] = val_op(cur, last - index);
        return n;
    }
    if (index != first)
        n += zeros_op(seq + n, index - first);
    seq[n++] = val_op(count, 1);
    if (index != last)
        n += zeros_op(seq + n, last - index);
    return n;
}

static int sparse_set(hll_t *h, long index, uint8_t count, size_t sparse_max)
{
    if (count > SPARSE_VAL_MAX)
        return promote(h, index, count);
    if (reserve(h, h->len + 1 + EDIT_ROOM) != HLL_SAME)
        return HLL_NOMEM;
    uint8_t *sparse = h->p + HLL_HDR_SIZE, *end = h->p + h->len, *p = sparse, *prev = NULL;
    long first = 0, run = 0;
    size_t bytes = 0;
    /* Find the opcode covering the register. */
    while (p < end) {
        run = op_run(p, end, *end, &bytes);
        if (index <= first + run - 1)
            break;
        prev = p;
        p += bytes;
        first += run;
    }
    if (run == 0 || p >= end)
        return HLL_CORRUPT;
    uint8_t *next = p + bytes;
    if (op_val(*p) && val_value(*p) >= count)
        return HLL_SAME;
    if (run == 1 && !op_xzero(*p)) { /* a one-register VAL or ZERO: rewrite it in place */
        *p = val_op(count, 1);
        sparse_join(h, prev ? prev : sparse);
        hll_cache_invalidate(h->p);
        return HLL_CHANGED;
    }
    uint8_t seq[5];
    size_t seqlen = split(p, first, run, index, count, seq);
    long delta = (long)seqlen - (long)bytes;
    if (delta > 0 && h->len + (size_t)delta > sparse_max)
        return promote(h, index, count);
    if (delta && next < end)
        memmove(next + delta, next, (size_t)(end - next));
    h->len = (size_t)((long)h->len + delta);
    h->p[h->len] = 0;
    memcpy(p, seq, seqlen); /* past h->len only when the XZERO edited was cut by the end */
    sparse_join(h, prev ? prev : sparse);
    hll_cache_invalidate(h->p);
    return HLL_CHANGED;
}

int hll_set(hll_t *h, long index, uint8_t count, size_t sparse_max)
{
    FL_ASSERT(index >= 0 && index < HLL_REGISTERS && count >= 1 && count <= REG_MAX);
    FL_ASSERT(h->cap > h->len); /* the byte past the value exists */
    if (hll_encoding(h->p) == HLL_DENSE) {
        FL_ASSERT(h->len == HLL_DENSE_SIZE);
        return dense_set(h->p, index, count);
    }
    int rc = sparse_set(h, index, count, sparse_max);
    FL_DEBUG_ASSERT(h->cap > h->len);
    return rc;
}

int hll_add(hll_t *h, const void *ele, size_t n, size_t sparse_max)
{
    long index;
    uint8_t count = hll_pattern(ele, n, &index);
    return hll_set(h, index, count, sparse_max);
}

/* ---- Merging and counting ------------------------------------------------------------------ */

int hll_merge(uint8_t max[HLL_REGISTERS], const uint8_t *p, size_t len)
{
    if (hll_encoding(p) == HLL_DENSE) {
        uint8_t regs[HLL_REGISTERS];
        dense_unpack(p + HLL_HDR_SIZE, regs);
        for (long i = 0; i < HLL_REGISTERS; i++)
            max[i] = regs[i] > max[i] ? regs[i] : max[i];
        return HLL_SAME;
    }
    const uint8_t *op = p + HLL_HDR_SIZE, *end = p + len;
    long idx = 0;
    while (op < end) {
        size_t bytes;
        long run = op_run(op, end, 0, &bytes);
        if (op_val(*op)) {
            if (idx + run > HLL_REGISTERS)
                return HLL_CORRUPT;
            for (long i = idx; i < idx + run; i++)
                if (val_value(*op) > max[i])
                    max[i] = val_value(*op);
        }
        idx += run;
        op += bytes;
    }
    return idx == HLL_REGISTERS ? HLL_SAME : HLL_CORRUPT;
}

/* sigma(x) and tau(x) of Otmar Ertl, "New cardinality estimation algorithms for HyperLogLog
 * sketches" (arXiv:1702.01284), iterated until the sum stops changing. */
static double ertl_sigma(double x)
{
    if (x == 1.)
        return INFINITY;
    double y = 1, z = x, before;
    do {
        x *= x;
        before = z;
        z += x * y;
        y += y;
    } while (before != z);
    return z;
}

static double ertl_tau(double x)
{
    if (x == 0. || x == 1.)
        return 0.;
    double y = 1.0, z = 1 - x, before;
    do {
        x = sqrt(x);
        before = z;
        y *= 0.5;
        z -= pow(1 - x, 2) * y;
    } while (before != z);
    return z / 3;
}

/* The estimate from how many registers hold each value (hist[0..63]). */
static uint64_t estimate(const long hist[64])
{
    double m = HLL_REGISTERS;
    double z = m * ertl_tau((m - (double)hist[Q + 1]) / m);
    for (int j = Q; j >= 1; j--) {
        z += (double)hist[j];
        z *= 0.5;
    }
    z += m * ertl_sigma((double)hist[0] / m);
    return (uint64_t)llroundl(ALPHA_INF * m * m / z);
}

uint64_t hll_count(const uint8_t *p, size_t len, bool *corrupt)
{
    long hist[64] = {0};
    if (hll_encoding(p) == HLL_DENSE) {
        uint8_t regs[HLL_REGISTERS];
        dense_unpack(p + HLL_HDR_SIZE, regs);
        return hll_count_registers(regs);
    }
    const uint8_t *op = p + HLL_HDR_SIZE, *end = p + len;
    long idx = 0;
    while (op < end) {
        size_t bytes;
        long run = op_run(op, end, 0, &bytes);
        hist[op_val(*op) ? val_value(*op) : 0] += run;
        idx += run;
        op += bytes;
    }
    if (idx != HLL_REGISTERS)
        *corrupt = true;
    return estimate(hist);
}

uint64_t hll_count_registers(const uint8_t regs[HLL_REGISTERS])
{
    long hist[64] = {0};
    for (long i = 0; i < HLL_REGISTERS; i += 8) {
        uint64_t word;
        memcpy(&word, regs + i, sizeof(word));
        if (word == 0) { /* eight empty registers: common in a sparse union */
            hist[0] += 8;
            continue;
        }
        for (long j = i; j < i + 8; j++)
            hist[regs[j] & REG_MAX]++;
    }
    return estimate(hist);
}

/* ---- Debugging ---------------------------------------------------------------------------- */

size_t hll_decode(const uint8_t *p, size_t len, char *out, size_t cap)
{
    const uint8_t *op = p + HLL_HDR_SIZE, *end = p + len;
    size_t n = 0;
    bool fits = cap > 0;
    if (cap)
        out[0] = '\0';
    while (op < end) {
        size_t bytes;
        long run = op_run(op, end, 0, &bytes);
        char word[32];
        int w;
        if (op_val(*op))
            w = snprintf(word, sizeof(word), "%sv:%u,%ld", n ? " " : "", val_value(*op), run);
        else
            w = snprintf(word, sizeof(word), "%s%c:%ld", n ? " " : "", op_zero(*op) ? 'z' : 'Z',
                         run);
        fits = fits && n + (size_t)w < cap; /* whole words only, and none after a cut */
        if (fits)
            memcpy(out + n, word, (size_t)w + 1);
        n += (size_t)w;
        op += bytes;
    }
    return n;
}

/* xorshift64*: the self-test's random values. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dULL;
}

/* Test 1: every register keeps its own value, set over random neighbours. */
static bool selftest_registers(uint64_t *rnd, char *err, size_t errlen)
{
    uint8_t *regs = calloc(1, HLL_DENSE_SIZE - HLL_HDR_SIZE), *want = malloc(HLL_REGISTERS);
    if (!regs || !want) {
        free(regs);
        free(want);
        snprintf(err, errlen, "TESTFAILED out of memory");
        return false;
    }
    bool ok = true;
    for (int cycle = 0; cycle < 1000 && ok; cycle++) {
        for (long i = 0; i < HLL_REGISTERS; i++) {
            want[i] = (uint8_t)(next_random(rnd) & REG_MAX);
            reg_put(regs, i, want[i]);
        }
        for (long i = 0; i < HLL_REGISTERS && ok; i++) {
            if (reg_get(regs, i) == want[i])
                continue;
            snprintf(err, errlen, "TESTFAILED Register %ld should be %d but is %d", i, want[i],
                     reg_get(regs, i));
            ok = false;
        }
    }
    free(regs);
    free(want);
    return ok;
}

/* Test 2: the same elements in a dense and a sparse HLL: sparse while small, equal estimates,
 * and an error within 6 standard errors at 1, 10, ... 10^7 elements. */
static bool selftest_estimates(hll_t *dense, hll_t *sparse, uint64_t *rnd, size_t sparse_max,
                               char *err, size_t errlen)
{
    double relerr = 1.04 / sqrt(HLL_REGISTERS);
    uint64_t base = next_random(rnd), checkpoint = 1;
    for (uint64_t j = 1; j <= 10000000; j++) {
        uint8_t ele[8];
        for (int b = 0; b < 8; b++)
            ele[b] = (uint8_t)((j ^ base) >> (8 * b));
        if (hll_add(dense, ele, sizeof(ele), sparse_max) < HLL_SAME ||
            hll_add(sparse, ele, sizeof(ele), sparse_max) < HLL_SAME) {
            snprintf(err, errlen, "TESTFAILED add failed");
            return false;
        }
        if (j != checkpoint)
            continue;
        if (j < sparse_max / 2 && hll_encoding(sparse->p) != HLL_SPARSE) {
            snprintf(err, errlen, "TESTFAILED sparse encoding not used");
            return false;
        }
        bool corrupt = false;
        uint64_t card = hll_count(dense->p, dense->len, &corrupt);
        if (card != hll_count(sparse->p, sparse->len, &corrupt) || corrupt) {
            snprintf(err, errlen, "TESTFAILED dense/sparse disagree");
            return false;
        }
        uint64_t abserr = card > checkpoint ? card - checkpoint : checkpoint - card;
        uint64_t maxerr = j == 10 ? 1 : (uint64_t)ceil(relerr * 6 * (double)checkpoint);
        if (abserr > maxerr) {
            snprintf(err, errlen, "TESTFAILED Too big error. card:%" PRIu64 " abserr:%" PRIu64,
                     checkpoint, abserr);
            return false;
        }
        checkpoint *= 10;
    }
    return true;
}

bool hll_selftest(size_t sparse_max, uint64_t seed, char *err, size_t errlen)
{
    uint64_t rnd = seed | 1;
    if (!selftest_registers(&rnd, err, errlen))
        return false;
    hll_t dense = {0}, sparse = {0};
    bool ok = hll_init(&dense) == HLL_SAME && hll_init(&sparse) == HLL_SAME &&
              hll_to_dense(&dense) == HLL_CHANGED;
    if (!ok)
        snprintf(err, errlen, "TESTFAILED out of memory");
    else
        ok = selftest_estimates(&dense, &sparse, &rnd, sparse_max, err, errlen);
    hll_free(&dense);
    hll_free(&sparse);
    return ok;
}
