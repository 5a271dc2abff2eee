/*
 * src/server/hll.h: Redis 7.0's HyperLogLog string format, byte for byte, and its estimator.
 *
 * A HyperLogLog is a plain string: a 16-byte header ("HYLL", the encoding, 3 zero bytes, the
 * cached cardinality as 8 little-endian bytes whose top bit set means "stale"), then 16384
 * 6-bit registers, either dense (12288 bytes, register i at bit 6*i, least significant bits
 * first) or sparse (run-length opcodes: ZERO 00xxxxxx = 1..64 zero registers, XZERO 01xxxxxx
 * yyyyyyyy = 1..16384, VAL 1vvvvvxx = 1..4 registers of value 1..32). Every edit here produces
 * the bytes redis-server produces for the same sequence of edits (the same opcode splits and
 * merges, the same promotion to dense), so values move between the two by GET/SET, DUMP/RESTORE
 * or an RDB file and keep counting alike. Pure functions over caller-owned buffers: no locks,
 * any thread.
 */
#ifndef FLATLINE_SERVER_HLL_H
#define FLATLINE_SERVER_HLL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HLL_REGISTERS 16384
#define HLL_HDR_SIZE 16
#define HLL_DENSE_SIZE (HLL_HDR_SIZE + HLL_REGISTERS * 6 / 8)
#define HLL_SPARSE_MAX_BYTES_DEFAULT 3000 /* Redis's hll-sparse-max-bytes */

typedef enum { HLL_DENSE = 0, HLL_SPARSE = 1 } hll_encoding_t;

/* What an edit did: the estimate may have changed, nothing changed, the sparse opcodes do not
 * describe 16384 registers (Redis's "Corrupted HLL object"), or memory ran out (the value is
 * as it was before the failing edit). */
enum { HLL_CHANGED = 1, HLL_SAME = 0, HLL_CORRUPT = -1, HLL_NOMEM = -2 };

/* An HLL being edited: len bytes at p (malloc'd, cap > len bytes), owned by the holder; p[len]
 * is the byte past the value (hll.c: 0 unless an edit of a corrupt value wrote it). */
typedef struct hll {
    uint8_t *p;
    size_t len, cap;
} hll_t;

/* Whether len bytes starting with hdr (HLL_HDR_SIZE of them, len >= HLL_HDR_SIZE) pass Redis's
 * type check: the magic, a known encoding, and the exact length for a dense one. A string that
 * fails it is "not a valid HyperLogLog string value" (WRONGTYPE); one that passes may still be
 * corrupt inside (HLL_CORRUPT from the functions that walk it). */
bool hll_header_ok(const uint8_t *hdr, size_t len);

/* The encoding of a value that passed hll_header_ok. */
static inline hll_encoding_t hll_encoding(const uint8_t *p)
{
    return (hll_encoding_t)p[4];
}

/* Makes h an empty sparse HLL (Redis's new key: the header and XZERO opcodes for every
 * register). HLL_NOMEM or HLL_SAME. */
int hll_init(hll_t *h);

/* Sizes h for a value of len bytes to be copied to the returned p (the byte past it zeroed);
 * NULL when memory ran out. */
uint8_t *hll_prepare(hll_t *h, size_t len);

void hll_free(hll_t *h);

/* An element's register (*index) and run length (the return, 1..51): MurmurHash64A of its
 * bytes with Redis's seed, the low 14 bits the register, the zeros above them plus one. */
uint8_t hll_pattern(const void *ele, size_t n, long *index);

/* PFADD of one element: raises its register to its run length (hll_pattern, hll_set). */
int hll_add(hll_t *h, const void *ele, size_t n, size_t sparse_max);

/* Raises register `index` to `count` (1..51) when lower. A sparse h is edited in place and
 * promoted to dense when count exceeds 32 or the edit would grow it past sparse_max bytes
 * (hll-sparse-max-bytes). A sparse edit in place marks the cached cardinality stale, a dense
 * one or a promotion does not (callers mark it once per command), exactly as Redis does: a
 * command that stops at HLL_CORRUPT leaves the bytes redis-server leaves.
 * HLL_CHANGED, HLL_SAME, HLL_CORRUPT or HLL_NOMEM. */
int hll_set(hll_t *h, long index, uint8_t count, size_t sparse_max);

/* Rewrites a sparse h as dense (the header kept but for the encoding). HLL_CHANGED when it
 * converted, HLL_SAME when h was dense, HLL_CORRUPT (h unchanged), HLL_NOMEM. */
int hll_to_dense(hll_t *h);

/* Raises max[i] to each register i of the HLL in p[0, len) (which passed hll_header_ok).
 * HLL_SAME, or HLL_CORRUPT for sparse opcodes that do not cover exactly 16384 registers. */
int hll_merge(uint8_t max[HLL_REGISTERS], const uint8_t *p, size_t len);

/* The estimate over p[0, len) (Ertl's improved estimator, Redis's arithmetic); *corrupt is
 * set when sparse opcodes do not cover exactly 16384 registers. */
uint64_t hll_count(const uint8_t *p, size_t len, bool *corrupt);

/* The estimate over registers held one per byte (PFCOUNT of several keys). */
uint64_t hll_count_registers(const uint8_t regs[HLL_REGISTERS]);

/* The cached cardinality: true with *card when the cache is valid. */
bool hll_cache_get(const uint8_t *p, uint64_t *card);
void hll_cache_set(uint8_t *p, uint64_t card);
void hll_cache_invalidate(uint8_t *p);

/* Register i of a dense HLL (p the whole value). */
uint8_t hll_dense_get(const uint8_t *p, long i);

/* Where register i of a dense value lies: the offset in the value of its first byte, and the
 * bytes it spans from there (1 or 2). With those bytes at b, hll_dense_reg gives its value:
 * a register can be read (or its change written) without the rest of the value. */
size_t hll_dense_offset(long i, size_t *bytes);
uint8_t hll_dense_reg(const uint8_t *b, long i);

/* PFDEBUG DECODE's text for a sparse HLL ("Z:16384" / "z:3 v:2,1 ..."): written to out (cap
 * bytes, NUL-terminated; when short, the words that fit); returns the length it needed. */
size_t hll_decode(const uint8_t *p, size_t len, char *out, size_t cap);

/* PFSELFTEST: register accessors over random values, then sparse and dense estimates of up to
 * 10^7 distinct elements agreeing and within 6 standard errors. True on success; otherwise
 * false with Redis's "TESTFAILED ..." reason in err. HLL_NOMEM is reported as a failure. */
bool hll_selftest(size_t sparse_max, uint64_t seed, char *err, size_t errlen);

#endif
