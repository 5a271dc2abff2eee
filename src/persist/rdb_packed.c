/*
 * src/persist/rdb_packed.c: Redis's packed containers, as RDB files and DUMP payloads carry them
 * inside a string: listpacks (Redis 7.0: small hashes, small sorted sets, quicklist nodes),
 * ziplists (Redis 3.2-6.2: the same, and quicklist nodes of RDB 7-9) and intsets (small sets
 * of integers). One iterator walks listpacks and ziplists entry by entry; intsets are read by
 * index. Everything is bounds-checked against the blob: a damaged container is an error, never
 * a read outside it.
 *
 * Layouts (little-endian unless said):
 *   listpack  u32 total bytes, u16 count, entries, 0xFF; an entry is an encoding byte (7-bit
 *             uint, 6/12/32-bit string length, 13/16/24/32/64-bit int), its data, then its
 *             own length backwards in 1-5 bytes;
 *   ziplist   u32 total bytes, u32 tail offset, u16 count, entries, 0xFF; an entry is the
 *             previous entry's length (1 byte, or 0xFE and a u32), an encoding (00: 6-bit
 *             string length, 01: 14-bit big-endian, 10: 32-bit big-endian; 11xxxxxx: int16,
 *             int32, int64, int24, int8, or 1111xxxx an immediate 0..12), then the data;
 *   intset    u32 width (2, 4 or 8), u32 count, count integers of that width, ascending.
 */
#include "persist_internal.h"

#include <stdio.h>
#include <string.h>

bool flpi_pack_open(flpi_pack_t *it, fl_slice_t blob, bool ziplist)
{
    const uint8_t *p = (const uint8_t *)blob.p;
    size_t hdr = ziplist ? 10 : 6;
    it->ziplist = ziplist;
    if (blob.n < hdr + 1 || p[blob.n - 1] != 0xFF)
        return false;
    uint32_t total =
        (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    if (total != blob.n)
        return false;
    it->p = p + hdr;
    it->end = p + blob.n - 1; /* the terminator */
    return true;
}

static int64_t sign_extend(uint64_t u, unsigned bytes)
{
    if (bytes < 8 && (u >> (8 * bytes - 1)) & 1)
        u |= ~0ULL << (8 * bytes);
    return (int64_t)u;
}

static uint64_t le(const uint8_t *p, unsigned bytes)
{
    uint64_t u = 0;
    for (unsigned i = 0; i < bytes; i++)
        u |= (uint64_t)p[i] << (8 * i);
    return u;
}

/* A listpack entry at it->p: its string or integer, and its size including the back-length. */
static bool lp_entry(flpi_pack_t *it, fl_slice_t *s, char *num)
{
    const uint8_t *p = it->p;
    size_t room = (size_t)(it->end - p), hdr = 0, len = 0;
    uint8_t b = p[0];
    int64_t v = 0;
    bool is_int = false;
    if ((b & 0x80) == 0) {
        v = b & 0x7f, hdr = 1, is_int = true;
    } else if ((b & 0xC0) == 0x80) {
        hdr = 1, len = b & 0x3f;
    } else if ((b & 0xE0) == 0xC0) {
        if (room < 2)
            return false;
        uint16_t u = (uint16_t)(((b & 0x1f) << 8) | p[1]);
        v = u >= 1 << 12 ? (int64_t)u - (1 << 13) : u, hdr = 2, is_int = true;
    } else if ((b & 0xF0) == 0xE0) {
        if (room < 2)
            return false;
        hdr = 2, len = (size_t)((b & 0x0f) << 8) | p[1];
    } else if (b == 0xF0) {
        if (room < 5)
            return false;
        hdr = 5, len = (size_t)le(p + 1, 4);
    } else if (b >= 0xF1 && b <= 0xF4) {
        static const unsigned bytes[] = {2, 3, 4, 8};
        unsigned k = bytes[b - 0xF1];
        if (room < 1 + (size_t)k)
            return false;
        v = sign_extend(le(p + 1, k), k), hdr = 1 + k, is_int = true;
    } else {
        return false;
    }
    size_t entry = hdr + len;
    if (room < entry)
        return false;
    size_t back = entry < 128         ? 1
                  : entry < 16384     ? 2
                  : entry < 2097152   ? 3
                  : entry < 268435456 ? 4
                                      : 5;
    if (room < entry + back)
        return false;
    if (is_int)
        *s = (fl_slice_t){num, (size_t)snprintf(num, FLPI_PACK_NUM, "%lld", (long long)v)};
    else
        *s = (fl_slice_t){(const char *)p + hdr, len};
    it->p = p + entry + back;
    return true;
}

/* A ziplist entry at it->p. */
static bool zl_entry(flpi_pack_t *it, fl_slice_t *s, char *num)
{
    const uint8_t *p = it->p;
    size_t room = (size_t)(it->end - p);
    size_t prev = p[0] < 0xFE ? 1 : 5; /* the previous entry's length: not needed forwards */
    if (p[0] == 0xFF || room < prev + 1)
        return false;
    p += prev;
    room -= prev;
    uint8_t b = p[0];
    size_t hdr, len = 0;
    unsigned ibytes = 0;
    int64_t v = 0;
    switch (b >> 6) {
    case 0:
        hdr = 1, len = b & 0x3f;
        break;
    case 1:
        if (room < 2)
            return false;
        hdr = 2, len = (size_t)(b & 0x3f) << 8 | p[1];
        break;
    case 2:
        if (room < 5)
            return false;
        hdr = 5, len = (size_t)p[1] << 24 | (size_t)p[2] << 16 | (size_t)p[3] << 8 | p[4];
        break;
    default:
        hdr = 1;
        if (b == 0xC0)
            ibytes = 2;
        else if (b == 0xD0)
            ibytes = 4;
        else if (b == 0xE0)
            ibytes = 8;
        else if (b == 0xF0)
            ibytes = 3;
        else if (b == 0xFE)
            ibytes = 1;
        else if (b >= 0xF1 && b <= 0xFD)
            v = (b & 0x0f) - 1; /* an immediate 0..12 */
        else
            return false;
        break;
    }
    if (b >> 6 == 3) {
        if (room < hdr + ibytes)
            return false;
        if (ibytes)
            v = sign_extend(le(p + 1, ibytes), ibytes);
        *s = (fl_slice_t){num, (size_t)snprintf(num, FLPI_PACK_NUM, "%lld", (long long)v)};
        it->p = p + hdr + ibytes;
        return true;
    }
    if (room < hdr + len)
        return false;
    *s = (fl_slice_t){(const char *)p + hdr, len};
    it->p = p + hdr + len;
    return true;
}

int flpi_pack_next(flpi_pack_t *it, fl_slice_t *s, char num[FLPI_PACK_NUM])
{
    if (it->p >= it->end)
        return 0;
    return (it->ziplist ? zl_entry(it, s, num) : lp_entry(it, s, num)) ? 1 : -1;
}

size_t flpi_intset_open(fl_slice_t blob, unsigned *width)
{
    const uint8_t *p = (const uint8_t *)blob.p;
    if (blob.n < 8)
        return SIZE_MAX;
    *width = (unsigned)le(p, 4);
    size_t n = (size_t)le(p + 4, 4);
    if ((*width != 2 && *width != 4 && *width != 8) || (blob.n - 8) / *width != n ||
        (blob.n - 8) % *width != 0)
        return SIZE_MAX;
    return n;
}

fl_slice_t flpi_intset_get(fl_slice_t blob, unsigned width, size_t i, char num[FLPI_PACK_NUM])
{
    int64_t v = sign_extend(le((const uint8_t *)blob.p + 8 + i * width, width), width);
    return (fl_slice_t){num, (size_t)snprintf(num, FLPI_PACK_NUM, "%lld", (long long)v)};
}
