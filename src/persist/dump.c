/*
 * src/persist/dump.c: DUMP and RESTORE's serialized values, in Redis 7.0's format: the RDB type
 * byte, the value as an RDB file holds it, the RDB version (u16) and a CRC-64 of all that (u64),
 * both little-endian. So a payload from redis-server restores here and one from here restores
 * in redis-server (whatever encoding either chose: the RDB decoders take them all).
 *
 * RESTORE is atomic: the payload is checked whole (version, checksum, then a dry decode that
 * stores nothing), then decoded into a hidden key and renamed onto the target, all in one store
 * batch over both keys. Readers and the log see the new value whole or not at all, and a
 * payload that fails, or a write the namespace's quota refuses, leaves the target as it was.
 */
#include "persist_internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PAYLOAD_FOOTER 10 /* u16 RDB version + u64 CRC-64 */

typedef struct dump_ctx {
    flpi_buf_t buf;
} dump_ctx_t;

static void dump_view(void *ctx, const fl_rec_view_t *v)
{
    flpi_rdb_encode_payload(&((dump_ctx_t *)ctx)->buf, v);
}

int flp_dump(fl_ns_t *ns, fl_slice_t key, char **out, size_t *len)
{
    dump_ctx_t d = {{0}};
    bool found;
    *out = NULL;
    *len = 0;
    fl_key_view(ns, key, FL_LOOKUP_READ, dump_view, &d, &found);
    if (!found)
        return FL_ENOKEY;
    uint8_t ver[2] = {FLPI_RDB_VERSION & 0xff, FLPI_RDB_VERSION >> 8};
    flpi_buf_put(&d.buf, ver, sizeof(ver));
    uint64_t crc = flpi_crc64(0, d.buf.p, d.buf.len);
    uint8_t c[8];
    for (int i = 0; i < 8; i++)
        c[i] = (uint8_t)(crc >> (8 * i));
    flpi_buf_put(&d.buf, c, sizeof(c));
    if (d.buf.failed) {
        flpi_buf_free(&d.buf);
        return FL_ENOMEM;
    }
    *out = d.buf.p;
    *len = d.buf.len;
    return FL_OK;
}

bool flp_payload_valid(fl_slice_t payload)
{
    const uint8_t *p = (const uint8_t *)payload.p;
    if (payload.n < PAYLOAD_FOOTER)
        return false;
    const uint8_t *footer = p + payload.n - PAYLOAD_FOOTER;
    unsigned ver = (unsigned)footer[0] | (unsigned)footer[1] << 8;
    if (ver > FLPI_RDB_VERSION)
        return false;
    uint64_t want = 0;
    for (int i = 0; i < 8; i++)
        want |= (uint64_t)footer[2 + i] << (8 * i);
    return flpi_crc64(0, p, payload.n - 8) == want;
}

/* Decodes the payload's value into key of ns (ns NULL: a dry run that only checks the format);
 * *status: the store's status when it refused a write. */
static bool decode(fl_ns_t *ns, fl_slice_t key, fl_slice_t payload, int64_t expire_at_ms,
                   int *status)
{
    const uint8_t *p = (const uint8_t *)payload.p;
    char err[160];
    flpi_rd_t r = {.p = p + 1,
                   .end = p + payload.n - PAYLOAD_FOOTER,
                   .start = p,
                   .file = "payload",
                   .err = err,
                   .errlen = sizeof(err)};
    const flpi_rdb_type_t *t = flpi_rdb_type_find(p[0]);
    if (!t || !t->load)
        return false;
    flpi_load_ctx_t c = {.ns = ns, .expire_at_ms = expire_at_ms, .store_status = status};
    return t->load(&r, &c, key) == 0 && !r.failed && r.p == r.end;
}

/* A key name no client writes (it starts with bytes no text holds), unique per restore. */
static size_t hidden_key(char *buf, size_t len)
{
    static _Atomic uint64_t seq;
    return (size_t)snprintf(buf, len,
                            "\xff\xfe"
                            "flatline:restore:%llu",
                            (unsigned long long)atomic_fetch_add(&seq, 1));
}

flp_restore_t flp_restore(fl_store_t *store, fl_ns_t *ns, fl_slice_t key, fl_slice_t payload,
                          int64_t expire_at_ms, bool replace, int *status)
{
    *status = FL_OK;
    if (!flp_payload_valid(payload))
        return FLP_RESTORE_BAD_PAYLOAD;
    if (!decode(NULL, key, payload, 0, status))
        return FLP_RESTORE_BAD_DATA;
    char tmp_buf[64];
    fl_slice_t tmp = {tmp_buf, hidden_key(tmp_buf, sizeof(tmp_buf))};
    fl_batch_key_t keys[2] = {{ns, key}, {ns, tmp}};
    bool own = !fl_batch_active(); /* inside EXEC or a script, their batch holds the store */
    if (own && fl_batch_begin(store, keys, 2, false) != FL_OK) {
        *status = FL_ENOMEM;
        return FLP_RESTORE_STORE_ERROR;
    }
    flp_restore_t rc = FLP_RESTORE_OK;
    bool exists = false, done;
    *status = fl_key_exists(ns, key, FL_LOOKUP_QUIET, &exists);
    if (*status == FL_OK && exists && !replace) {
        rc = FLP_RESTORE_BUSYKEY;
    } else if (*status == FL_OK && expire_at_ms && expire_at_ms <= fl_now_ms()) {
        /* already expired: nothing is created, and REPLACE still deletes the old key */
        if (exists)
            *status = fl_key_del(ns, key, &done);
    } else if (*status == FL_OK) {
        fl_key_events_quiet(true); /* the hidden key is nobody's: no keyspace notification */
        bool decoded = decode(ns, tmp, payload, expire_at_ms, status);
        fl_key_events_quiet(false);
        if (!decoded) {
            if (*status == FL_OK) /* the dry run passed: the store refused (quota, memory) */
                *status = FL_ENOMEM;
        } else {
            *status = fl_key_rename(ns, tmp, key, false, &done);
        }
        fl_key_events_quiet(true);
        fl_key_del(ns, tmp, &done); /* what a failure left; nothing after the rename */
        fl_key_events_quiet(false);
    }
    if (*status != FL_OK && rc == FLP_RESTORE_OK)
        rc = FLP_RESTORE_STORE_ERROR;
    if (own)
        fl_batch_end();
    return rc;
}
