/*
 * src/persist/snapshot.c: fork-less snapshots into an RDB file.
 *
 * The store's copy-before-write (fl_snap_begin, flatline/store.h) gives every partition's state
 * at the snapshot's start, one partition at a time, under that partition's lock: whichever
 * thread dumps it (the first writer to touch it, or this file's walk) serialises its records
 * into a thread-local chunk (flpi_snap_rec) and appends the chunk to the file under snap.mu
 * (flpi_snap_done), preceded by SELECTDB when the previous chunk was another db (RDB allows
 * SELECTDB anywhere; keys of one db need not be contiguous). The CRC-64 runs over the bytes
 * in file order. Memory: at most one partition's serialised records per dumping thread, so
 * the snapshot's cost is a few partitions, not a copy of the dataset (snap.peak records it).
 */
#include "persist_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static _Thread_local flpi_buf_t chunk;

void flpi_snap_rec(void *ctx, size_t db, const fl_rec_view_t *v)
{
    flp_t *p = ctx;
    flpi_snap_t *s = atomic_load(&p->snap);
    if (!s || !flpi_persisted(p, db))
        return;
    size_t before = chunk.len;
    flpi_rdb_key(&chunk, v);
    uint64_t now = atomic_fetch_add(&s->buffered, chunk.len - before) + chunk.len - before;
    uint64_t peak = atomic_load(&s->peak);
    while (now > peak && !atomic_compare_exchange_weak(&s->peak, &peak, now))
        ;
}

/* Appends b to the snapshot file (s->mu held). */
static void emit(flpi_snap_t *s, const void *b, size_t n)
{
    if (s->err)
        return;
    s->crc = flpi_crc64(s->crc, b, n);
    int rc = flpi_write_all(s->fd, b, n);
    if (rc)
        s->err = rc;
    s->bytes += n;
}

void flpi_snap_done(void *ctx, size_t db)
{
    flp_t *p = ctx;
    flpi_snap_t *s = atomic_load(&p->snap);
    if (!s)
        return;
    if (chunk.len) {
        pthread_mutex_lock(&s->mu);
        if (chunk.failed && !s->err)
            s->err = -ENOMEM;
        if (s->cur_db != (int64_t)db) {
            flpi_buf_t sel = {0};
            flpi_rdb_select(&sel, db);
            emit(s, sel.p, sel.len);
            flpi_buf_free(&sel);
            s->cur_db = (int64_t)db;
        }
        emit(s, chunk.p, chunk.len);
        pthread_mutex_unlock(&s->mu);
        atomic_fetch_sub(&s->buffered, chunk.len);
    }
    /* given back at once: a worker thread may never dump again (and would keep it to its end) */
    flpi_buf_free(&chunk);
}

int flpi_snapshot_write(flp_t *p, const char *dir, const char *name, int log_fd, uint64_t *bytes,
                        uint64_t *peak, char *err, size_t errlen)
{
    char path[FLP_PATH_MAX * 2], tmp[FLP_PATH_MAX * 2 + 32];
    flpi_path(path, sizeof(path), dir, name);
    snprintf(tmp, sizeof(tmp), "%s/temp-%d-%s", dir, (int)getpid(), name);
    flpi_snap_t s = {.cur_db = -1};
    s.fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (s.fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(e));
        return -e;
    }
    pthread_mutex_init(&s.mu, NULL);
    flpi_buf_t head = {0};
    flpi_rdb_header(&head, log_fd != FLPI_SNAP_RDB);
    emit(&s, head.p, head.len);
    flpi_buf_free(&head);

    atomic_store(&p->snap, &s);
    bool split = log_fd >= 0;
    if (split && flpi_aof_split_begin(p, log_fd) == 0) {
        atomic_store(&p->snap, NULL);
        close(log_fd);
        close(s.fd);
        unlink(tmp);
        pthread_mutex_destroy(&s.mu);
        snprintf(err, errlen, "the previous rewrite's log file is still being written");
        return -EBUSY;
    }
    if (!split)
        fl_snap_begin(p->store);
    size_t n_ns = fl_store_ns_count(p->store);
    for (size_t i = 0; i < n_ns; i++) {
        if (!flpi_persisted(p, i))
            continue; /* `storage memory`: its partitions are never dumped */
        uint32_t parts = fl_ns_partitions(fl_store_ns(p->store, i));
        for (uint32_t j = 0; j < parts; j++)
            fl_snap_part(p->store, i, j);
    }
    fl_snap_end(p->store);
    if (split)
        flpi_aof_split_end(p); /* every partition dumped: no change can be in the base now */
    atomic_store(&p->snap, NULL);

    uint8_t tail[9] = {FLPI_RDB_OPCODE_EOF};
    pthread_mutex_lock(&s.mu);
    s.crc = flpi_crc64(s.crc, tail, 1);
    for (int i = 0; i < 8; i++)
        tail[1 + i] = (uint8_t)(s.crc >> (8 * i));
    int rc = s.err ? s.err : flpi_write_all(s.fd, tail, 9);
    pthread_mutex_unlock(&s.mu);
    if (rc == 0 && fsync(s.fd) != 0)
        rc = -errno;
    close(s.fd);
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc == 0)
        rc = flpi_fsync_dir(dir);
    if (rc != 0) {
        unlink(tmp);
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(-rc));
    }
    *bytes = s.bytes + 9;
    *peak = atomic_load(&s.peak);
    pthread_mutex_destroy(&s.mu);
    return rc;
}
