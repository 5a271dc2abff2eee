/*
 * src/persist/rdb_read.c: RDB loading (versions 1..10, what redis-server 7.0 writes): checks
 * the trailer's CRC-64 over the whole file first (a mismatch refuses before anything is
 * stored), then walks opcodes and keys, handing each value to its type's decoder
 * (rdb_types.c). Every failure names the file, the byte offset and what to run.
 * SELECTDB n maps to the store's namespace n; a db the store lacks refuses the load.
 * Keys already expired are not stored (as a Redis primary does).
 */
#include "persist_internal.h"

#include <errno.h>
#include <liblzf/lzf.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void flpi_rd_fail(flpi_rd_t *r, const char *fmt, ...)
{
    if (r->failed)
        return;
    r->failed = true;
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    snprintf(r->err, r->errlen, "%s at offset %zu: %s (run redis-check-rdb %s)", r->file,
             (size_t)(r->p - r->start), why, r->file);
}

const uint8_t *flpi_rd_bytes(flpi_rd_t *r, size_t n)
{
    if (r->failed)
        return NULL;
    if ((size_t)(r->end - r->p) < n) {
        flpi_rd_fail(r, "unexpected end of file");
        return NULL;
    }
    const uint8_t *q = r->p;
    r->p += n;
    return q;
}

uint64_t flpi_rd_len(flpi_rd_t *r, bool *is_encoded)
{
    if (is_encoded)
        *is_encoded = false;
    const uint8_t *b = flpi_rd_bytes(r, 1);
    if (!b)
        return 0;
    switch (b[0] >> 6) {
    case 0:
        return b[0] & 0x3f;
    case 1: {
        const uint8_t *c = flpi_rd_bytes(r, 1);
        return c ? ((uint64_t)(b[0] & 0x3f) << 8) | c[0] : 0;
    }
    case 3:
        if (is_encoded)
            *is_encoded = true;
        else
            flpi_rd_fail(r, "an encoded string where a length belongs");
        return b[0] & 0x3f;
    }
    size_t k = b[0] == 0x80 ? 4 : b[0] == 0x81 ? 8 : 0;
    if (!k) {
        flpi_rd_fail(r, "bad length encoding 0x%02x", b[0]);
        return 0;
    }
    const uint8_t *c = flpi_rd_bytes(r, k);
    uint64_t v = 0;
    for (size_t i = 0; c && i < k; i++)
        v = v << 8 | c[i];
    return v;
}

bool flpi_rd_string(flpi_rd_t *r, fl_slice_t *out, char **owned)
{
    bool enc;
    *owned = NULL;
    uint64_t n = flpi_rd_len(r, &enc);
    if (r->failed)
        return false;
    if (!enc) {
        const uint8_t *p = flpi_rd_bytes(r, n);
        *out = (fl_slice_t){(const char *)p, p ? n : 0};
        return p != NULL;
    }
    if (n <= 2) { /* int8 / int16 / int32, little-endian */
        size_t k = (size_t)1 << n;
        const uint8_t *p = flpi_rd_bytes(r, k);
        if (!p)
            return false;
        uint64_t u = 0;
        for (size_t i = 0; i < k; i++)
            u |= (uint64_t)p[i] << (8 * i);
        if ((u >> (8 * k - 1)) & 1)
            u |= ~0ULL << (8 * k);
        char *s = malloc(24);
        if (!s) {
            flpi_rd_fail(r, "out of memory");
            return false;
        }
        int len = snprintf(s, 24, "%lld", (long long)(int64_t)u);
        *owned = s;
        *out = (fl_slice_t){s, (size_t)len};
        return true;
    }
    if (n != 3) {
        flpi_rd_fail(r, "unknown string encoding %u", (unsigned)n);
        return false;
    }
    uint64_t clen = flpi_rd_len(r, NULL), len = flpi_rd_len(r, NULL);
    const uint8_t *c = flpi_rd_bytes(r, clen);
    if (!c)
        return false;
    char *s = malloc(len ? len : 1);
    if (!s) {
        flpi_rd_fail(r, "out of memory (%llu bytes)", (unsigned long long)len);
        return false;
    }
    if (len > UINT32_MAX || lzf_decompress(c, (unsigned)clen, s, (unsigned)len) != len) {
        free(s);
        flpi_rd_fail(r, "LZF data does not decompress");
        return false;
    }
    *owned = s;
    *out = (fl_slice_t){s, len};
    return true;
}

static void skip_string(flpi_rd_t *r)
{
    fl_slice_t s;
    char *owned = NULL;
    flpi_rd_string(r, &s, &owned);
    free(owned);
}

typedef struct load_state {
    fl_store_t *store;
    fl_ns_t *ns;
    size_t db;
    int64_t expire_at;
    bool skip_unknown;
    uint64_t *skipped;
    int64_t now;
} load_state_t;

/* One key of RDB type `t`. */
static int load_key(flpi_rd_t *r, load_state_t *st, uint8_t t)
{
    const uint8_t *at = r->p - 1;
    fl_slice_t key;
    char *owned = NULL;
    if (!flpi_rd_string(r, &key, &owned))
        return -1;
    const flpi_rdb_type_t *ty = flpi_rdb_type_find(t);
    int rc = 0;
    if (!ty) {
        r->p = at;
        flpi_rd_fail(r, "key '%.*s' has unknown type %u", (int)key.n, key.p, t);
        rc = -1;
    } else if (!ty->load && (!st->skip_unknown || !ty->skip)) {
        r->p = at;
        flpi_rd_fail(r, "key '%.*s' in db %zu is a %s, a type flatline does not store%s",
                     (int)key.n, key.p, st->db, ty->name,
                     ty->skip ? " (set load-skip-unknown-types yes to skip such keys)" : "");
        rc = -1;
    } else if (!ty->load) {
        ty->skip(r);
        (*st->skipped)++;
    } else {
        bool expired = st->expire_at && st->expire_at <= st->now;
        flpi_load_ctx_t c = {.ns = expired ? NULL : st->ns, .expire_at_ms = st->expire_at};
        rc = ty->load(r, &c, key);
    }
    free(owned);
    st->expire_at = 0;
    return r->failed ? -1 : rc;
}

static int load_body(flpi_rd_t *r, load_state_t *st, _Atomic uint64_t *progress)
{
    for (;;) {
        if (progress)
            atomic_store_explicit(progress, (uint64_t)(r->p - r->start), memory_order_relaxed);
        const uint8_t *op = flpi_rd_bytes(r, 1);
        if (!op)
            return -1;
        switch (*op) {
        case FLPI_RDB_OPCODE_EOF:
            return 0;
        case FLPI_RDB_OPCODE_SELECTDB:
            st->db = flpi_rd_len(r, NULL);
            st->ns = fl_store_ns(st->store, st->db);
            if (!r->failed && !st->ns) {
                flpi_rd_fail(r, "db %zu has no namespace here (%zu namespaces configured)", st->db,
                             fl_store_ns_count(st->store));
                return -1;
            }
            break;
        case FLPI_RDB_OPCODE_RESIZEDB:
            flpi_rd_len(r, NULL);
            flpi_rd_len(r, NULL);
            break;
        case FLPI_RDB_OPCODE_AUX:
            skip_string(r); /* name, value */
            skip_string(r);
            break;
        case FLPI_RDB_OPCODE_EXPIRETIME_MS:
        case FLPI_RDB_OPCODE_EXPIRETIME: {
            size_t k = *op == FLPI_RDB_OPCODE_EXPIRETIME_MS ? 8 : 4;
            const uint8_t *p = flpi_rd_bytes(r, k);
            uint64_t v = 0;
            for (size_t i = 0; p && i < k; i++)
                v |= (uint64_t)p[i] << (8 * i);
            st->expire_at = (int64_t)(k == 8 ? v : v * 1000);
            break;
        }
        case FLPI_RDB_OPCODE_IDLE:
            flpi_rd_len(r, NULL);
            break;
        case FLPI_RDB_OPCODE_FREQ:
            flpi_rd_bytes(r, 1);
            break;
        case FLPI_RDB_OPCODE_FUNCTION2:
            skip_string(r); /* Redis functions: not loaded */
            break;
        case FLPI_RDB_OPCODE_MODULE_AUX:
            r->p--;
            flpi_rd_fail(r, "module data (flatline has no modules)");
            return -1;
        default:
            if (load_key(r, st, *op) != 0)
                return -1;
        }
        if (r->failed)
            return -1;
    }
}

int flpi_rdb_load(fl_store_t *store, const uint8_t *p, size_t n, const char *file,
                  bool skip_unknown, uint64_t *skipped, _Atomic uint64_t *progress, char *err,
                  size_t errlen)
{
    flpi_rd_t r = {.p = p, .end = p + n, .start = p, .file = file, .err = err, .errlen = errlen};
    *skipped = 0;
    if (n < 9 || memcmp(p, "REDIS", 5) != 0) {
        flpi_rd_fail(&r, "not an RDB file (no REDIS signature)");
        return -EINVAL;
    }
    char v4[5] = {(char)p[5], (char)p[6], (char)p[7], (char)p[8], 0};
    int ver = atoi(v4);
    if (ver < 1 || ver > FLPI_RDB_VERSION) {
        flpi_rd_fail(&r, "RDB version %s is not supported (at most %d)", v4, FLPI_RDB_VERSION);
        return -EINVAL;
    }
    if (ver >= 5 && n >= 17) {
        uint64_t want = 0;
        for (int i = 0; i < 8; i++)
            want |= (uint64_t)p[n - 8 + i] << (8 * i);
        if (want != 0 && flpi_crc64(0, p, n - 8) != want) {
            r.p = p + n - 8;
            flpi_rd_fail(&r, "checksum mismatch (file damaged)");
            return -EINVAL;
        }
        r.end = p + n - 8;
    }
    r.p += 9;
    load_state_t st = {.store = store,
                       .skip_unknown = skip_unknown,
                       .skipped = skipped,
                       .now = fl_now_ms(),
                       .ns = fl_store_ns(store, 0)};
    return load_body(&r, &st, progress) == 0 ? 0 : -EINVAL;
}
