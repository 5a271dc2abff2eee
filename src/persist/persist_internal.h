/*
 * src/persist/persist_internal.h: the persistence layer's cross-file internals (prefix flpi_).
 *
 * Files: util.c (byte buffer, CRC-64, durable file replacement), aof.c (the log: buffer, log
 * thread, group commit, file switch), aof_format.c (RESP encoding of changes, replay),
 * manifest.c (the log directory's manifest), rdb_types.c (one encoder and decoder per value
 * type), rdb_write.c / rdb_read.c (RDB version 10), snapshot.c (fork-less snapshots into
 * an RDB file), persist.c (open/load/close, commands' entry points, INFO).
 *
 * Locking: aof.mu protects the log's streams, the sequence counter and the rewrite's split;
 * it is taken inside a partition lock (the commit hook) and nothing is taken inside it but
 * the store's snapshot start (fl_snap_begin, lock-free). The
 * snapshot's mu (snapshot.c) protects the snapshot file and its CRC; also taken inside a
 * partition lock, never together with aof.mu. p->bg_mu serialises snapshots and rewrites.
 */
#ifndef FLATLINE_PERSIST_INTERNAL_H
#define FLATLINE_PERSIST_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "persist.h"

/* ---- util.c ---- */

typedef struct flpi_buf {
    char *p;
    size_t len, cap;
    bool failed; /* an allocation failed: contents incomplete */
} flpi_buf_t;

void flpi_buf_put(flpi_buf_t *b, const void *p, size_t n);
void flpi_buf_byte(flpi_buf_t *b, uint8_t c);
void flpi_buf_free(flpi_buf_t *b);
/* Stops the process when b lost bytes to an allocation failure (b->failed): for the log's
 * buffers, where a record that could not be buffered can never be written, so going on would
 * acknowledge writes a restart loses (and leave a file that ends mid-record). Redis stops on a
 * failed allocation too. `what` names the buffer in the message. */
void flpi_buf_must_hold(const flpi_buf_t *b, const char *what);
/* Appends the decimal text of v. */
void flpi_buf_i64(flpi_buf_t *b, int64_t v);
/* A sorted-set score written as text (the log's ZADD, listpacks, ziplists, RDB_TYPE_ZSET):
 * the whole slice a number as strtod reads it ("inf", "-inf" included), not NaN. */
bool flpi_parse_score(fl_slice_t t, double *score);

/* CRC-64/Jones (reflected, poly 0xad93d23594c935a9), as RDB's trailer: crc of p[0..n) continued
 * from crc. */
uint64_t flpi_crc64(uint64_t crc, const void *p, size_t n);

/* Writes all n bytes (retrying short writes): 0 or -errno. */
int flpi_write_all(int fd, const void *p, size_t n);
/* fsyncs a directory: 0 or -errno. */
int flpi_fsync_dir(const char *dir);
/* Joins dir and name into out (FLP_PATH_MAX * 2). */
void flpi_path(char *out, size_t len, const char *dir, const char *name);
/* Atomically replaces dir/name with the contents in b: temp file, fsync, rename, fsync dir. */
int flpi_replace_file(const char *dir, const char *name, const void *p, size_t n);

/* ---- aof.c: the log ---- */

#define FLPI_WAKERS_MAX 256

/* One destination of log records: its bytes not yet taken by the log thread, and the db
 * they selected last (-1: none yet), so each file carries its own SELECTs. */
typedef struct flpi_stream {
    flpi_buf_t buf;
    int cur_db;
} flpi_stream_t;

typedef struct flpi_aof {
    pthread_mutex_t mu;
    pthread_cond_t cv;         /* log thread waits for data / split requests (mu) */
    flpi_stream_t main;        /* mu: records for the current incremental file */
    flpi_stream_t pre;         /* mu: while a rewrite's records split, those its snapshot holds */
    uint64_t seq;              /* mu: bytes appended since start, both streams */
    _Atomic uint64_t appended; /* seq, for lock-free readers (stored under mu) */
    bool stop;                 /* mu */
    /* The rewrite's split (flpi_aof_split_begin / _end), all mu: */
    uint64_t split_snap; /* the rewrite's snapshot number while records split, else 0 */
    int split_fd;        /* the new incremental file, handed to the log thread; -1 once taken */
    bool split_open;     /* the previous file is still open (its bytes not all written) */
    bool split_end;      /* no more records go to the previous file: close it once written */
    int fd;              /* log thread (and open/close): the incremental file appended to */
    int old_fd;          /* log thread: the previous file while a split is open, else -1 */
    flpi_buf_t out;      /* log thread: bytes taken for fd, not yet written (kept on errors) */
    flpi_buf_t out_old;  /* log thread: bytes taken for old_fd, not yet written */
    bool old_dirty;      /* log thread: old_fd written since its last fsync */
    uint64_t out_end;    /* log thread: sequence number at the end of what was taken */
    _Atomic uint64_t durable;    /* written and fsynced up to here */
    _Atomic uint64_t written;    /* written (not necessarily fsynced) up to here */
    _Atomic int err;             /* errno of the failing write, 0 when writes succeed */
    _Atomic uint64_t incr_bytes; /* size of the current incremental file */
    _Atomic uint64_t base_bytes; /* size of the base when the log was last rewritten/opened */
    _Atomic int64_t last_fsync_ms;
    int wakers[FLPI_WAKERS_MAX];
    int n_wakers;
    pthread_t thread;
    bool started;
} flpi_aof_t;

/* ---- manifest.c ---- */

/* The log directory's state: one base (RDB) and the incremental files after it, oldest
 * first (Redis 7's multi-part AOF). */
#define FLPI_INCR_MAX 8
typedef struct flpi_manifest {
    char base[FLP_PATH_MAX]; /* "" when none */
    long long base_seq;
    char incr[FLPI_INCR_MAX][FLP_PATH_MAX];
    long long incr_seq[FLPI_INCR_MAX];
    int n_incr;
} flpi_manifest_t;

/* Reads dir/<appendfilename>.manifest: 1 when present, 0 when absent, -EINVAL (reason in err). */
int flpi_manifest_read(const char *dir, const char *aofname, flpi_manifest_t *m, char *err,
                       size_t errlen);
/* Writes it durably (temp, fsync, rename, fsync dir). */
int flpi_manifest_write(const char *dir, const char *aofname, const flpi_manifest_t *m);

/* ---- rdb ---- */

/* RDB constants (Redis 7.0's rdb.h values). */
enum {
    FLPI_RDB_VERSION = 10,
    FLPI_RDB_OPCODE_FUNCTION2 = 245,
    FLPI_RDB_OPCODE_MODULE_AUX = 247,
    FLPI_RDB_OPCODE_IDLE = 248,
    FLPI_RDB_OPCODE_FREQ = 249,
    FLPI_RDB_OPCODE_AUX = 250,
    FLPI_RDB_OPCODE_RESIZEDB = 251,
    FLPI_RDB_OPCODE_EXPIRETIME_MS = 252,
    FLPI_RDB_OPCODE_EXPIRETIME = 253,
    FLPI_RDB_OPCODE_SELECTDB = 254,
    FLPI_RDB_OPCODE_EOF = 255,
};

/* Encoding helpers (rdb_write.c). */
void flpi_rdb_len(flpi_buf_t *b, uint64_t n);
void flpi_rdb_string(flpi_buf_t *b, const char *p, size_t n);
/* A store value as an RDB string (flpi_rdb_string; a two-span value joined in scratch memory
 * first, since LZF compresses one span: b->failed when that fails). */
void flpi_rdb_value(flpi_buf_t *b, fl_value_t v);
/* A string already LZF-compressed (liblzf's bytes `lzf`, expanding to n bytes) as an RDB LZF
 * string, written as it is. */
void flpi_rdb_lzf(flpi_buf_t *b, fl_slice_t lzf, size_t n);
void flpi_rdb_header(flpi_buf_t *b, bool aof_base);
void flpi_rdb_select(flpi_buf_t *b, size_t db);
/* One key: expiry, type byte, key, value (through the type's encoder). */
void flpi_rdb_key(flpi_buf_t *b, const fl_rec_view_t *v);

/* Decoding cursor (rdb_read.c). On the first error `err` is set and every read returns 0s. */
typedef struct flpi_rd {
    const uint8_t *p, *end, *start;
    const char *file;
    char *err;
    size_t errlen;
    bool failed;
} flpi_rd_t;
void flpi_rd_fail(flpi_rd_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
uint64_t flpi_rd_len(flpi_rd_t *r, bool *is_encoded);
/* Reads a string (raw, integer or LZF) into *out (malloc'd into *owned when decoded; else
 * pointing into the file). */
bool flpi_rd_string(flpi_rd_t *r, fl_slice_t *out, char **owned);
const uint8_t *flpi_rd_bytes(flpi_rd_t *r, size_t n);

/* Packed containers inside RDB strings (rdb_packed.c): listpacks and ziplists entry by entry,
 * intsets by index. An integer entry is printed into the caller's num buffer, a string entry
 * points into the blob. */
#define FLPI_PACK_NUM 24
typedef struct flpi_pack {
    const uint8_t *p, *end; /* next entry, the terminator */
    bool ziplist;
} flpi_pack_t;
/* Checks the header and terminator of a listpack (ziplist false) or ziplist blob. */
bool flpi_pack_open(flpi_pack_t *it, fl_slice_t blob, bool ziplist);
/* The next entry into *s: 1, 0 at the end, -1 when the entry is damaged. */
int flpi_pack_next(flpi_pack_t *it, fl_slice_t *s, char num[FLPI_PACK_NUM]);
/* An intset's count (SIZE_MAX when damaged) and width; entry i printed into num. */
size_t flpi_intset_open(fl_slice_t blob, unsigned *width);
fl_slice_t flpi_intset_get(fl_slice_t blob, unsigned width, size_t i, char num[FLPI_PACK_NUM]);

/* Per-type codecs (rdb_types.c). A row per RDB value type: `load` puts the value into the
 * store (NULL: the store has no such type), `skip` steps over it (NULL: cannot be skipped). */
typedef struct flpi_load_ctx {
    fl_ns_t *ns;
    int64_t expire_at_ms;
    int *store_status; /* when set: the store's status when it refused a write (quota ...) */
} flpi_load_ctx_t;
typedef struct flpi_rdb_type {
    uint8_t rdb_type;
    const char *name;
    int (*load)(flpi_rd_t *r, const flpi_load_ctx_t *c, fl_slice_t key);
    void (*skip)(flpi_rd_t *r);
} flpi_rdb_type_t;
const flpi_rdb_type_t *flpi_rdb_type_find(uint8_t rdb_type);
/* The encoder of the view's store type: writes the RDB type byte, the key and the value;
 * _payload the same without the key (DUMP's body). */
void flpi_rdb_encode_value(flpi_buf_t *b, const fl_rec_view_t *v);
void flpi_rdb_encode_payload(flpi_buf_t *b, const fl_rec_view_t *v);

/* Loads an RDB image (whole file in memory) into the store; progress counts bytes parsed.
 * 0, or -EINVAL with file, offset and reason in err. *skipped counts keys skipped. */
int flpi_rdb_load(fl_store_t *store, const uint8_t *p, size_t n, const char *file,
                  bool skip_unknown, uint64_t *skipped, _Atomic uint64_t *progress, char *err,
                  size_t errlen);

/* ---- snapshot.c ---- */

/* A snapshot being written: the RDB file, its running CRC and the db its last chunk selected.
 * mu protects everything but the statistics. */
typedef struct flpi_snap {
    pthread_mutex_t mu;
    int fd;
    uint64_t crc;
    int64_t cur_db;
    int err;                   /* mu: first write error (-errno), 0 while fine */
    uint64_t bytes;            /* mu: written */
    _Atomic uint64_t buffered; /* bytes serialised and not yet written, all threads */
    _Atomic uint64_t peak;     /* highest `buffered` seen: the snapshot's memory cost */
} flpi_snap_t;

/* Writes a point-in-time snapshot of the store to dir/name (temp file, fsync, rename, fsync
 * dir). `log_fd`: FLPI_SNAP_RDB for a dump.rdb (BGSAVE, SAVE), -1 for a log base written while
 * nothing logs (at start), or a rewrite's new incremental file: the log splits at the
 * snapshot's start (flpi_aof_split_begin) and the log thread owns the fd (closed here when
 * the split cannot begin). *bytes gets the file size, *peak the most
 * serialised bytes held at once. 0 or -errno with the reason in err. Callers serialise
 * snapshots (p->bg_mu). */
#define FLPI_SNAP_RDB (-2)
int flpi_snapshot_write(flp_t *p, const char *dir, const char *name, int log_fd, uint64_t *bytes,
                        uint64_t *peak, char *err, size_t errlen);
/* The store hooks' snapshot side. */
void flpi_snap_rec(void *ctx, size_t db, const fl_rec_view_t *v);
void flpi_snap_done(void *ctx, size_t db);

/* ---- The persistence state ---- */

enum { FLPI_BG_NONE = 0, FLPI_BG_SAVE, FLPI_BG_REWRITE };

struct flp {
    flp_config_t cfg; /* immutable after open, except the rules (n_save, save_secs,
                       * save_changes, auto_aof_rewrite_*): written by flp_set_rules and read
                       * by flp_cron under rules_mu */
    pthread_mutex_t rules_mu;
    fl_store_t *store;
    bool *memory_only; /* per namespace: `storage memory`, never logged nor snapshotted */
    flp_log_fn *log;
    void *log_ctx;
    _Atomic bool loading;
    _Atomic bool closed; /* flp_close ran: the hooks do nothing */
    _Atomic uint64_t load_done, load_total;
    _Atomic int64_t load_start_ms; /* read by INFO while loading */
    flpi_aof_t aof;
    flpi_manifest_t man;         /* bg_mu (and open/close): the log directory's files */
    _Atomic(flpi_snap_t *) snap; /* the snapshot under way, for the hooks */
    pthread_mutex_t bg_mu;       /* held for the length of a snapshot or rewrite */
    pthread_mutex_t job_mu;      /* protects bg_kind and bg_thread */
    pthread_t bg_thread;
    _Atomic int bg_kind;           /* FLPI_BG_* running in bg_thread */
    bool bg_joinable;              /* job_mu */
    _Atomic uint64_t dirty;        /* changes since the last successful save */
    _Atomic int64_t lastsave;      /* s */
    _Atomic int64_t last_save_try; /* s: last attempt by a save rule */
    _Atomic bool last_bgsave_ok, last_rewrite_ok;
    _Atomic int64_t bg_start_ms, last_bgsave_secs, last_rewrite_secs;
    _Atomic uint64_t snap_peak; /* bytes held by the last snapshot at its peak */
    _Atomic uint64_t rdb_saves;
    _Atomic uint64_t load_skipped;
};

/* True when namespace db is persisted (`storage disk`). */
static inline bool flpi_persisted(const flp_t *p, size_t db)
{
    return !p->memory_only[db];
}

void flpi_log(const flp_t *p, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- aof.c ---- */

/* Starts / stops the log thread (stop writes and fsyncs what is buffered). */
int flpi_aof_start(flp_t *p);
void flpi_aof_stop(flp_t *p);
/* A rewrite's point in time for the log, exact per partition. flpi_aof_split_begin takes the
 * snapshot's start (fl_snap_begin) under aof.mu and from then on sends each record either to
 * the current file (when the snapshot will hold the change: its partition was not dumped yet)
 * or to new_fd (when the snapshot will not), so the new base plus new_fd's records give every
 * write exactly once, and the old files plus new_fd too. Returns the snapshot's number, or 0
 * (nothing changed) when the previous split's file is still being written (-EBUSY case).
 * flpi_aof_split_end, after every partition was dumped (fl_snap_end), sends everything to
 * new_fd again; the log thread closes the previous file once its bytes are written. */
uint64_t flpi_aof_split_begin(flp_t *p, int new_fd);
void flpi_aof_split_end(flp_t *p);
/* Called with aof.mu held after bytes were appended: wakes the log thread. */
void flpi_aof_appended_locked(flpi_aof_t *a, bool was_empty);

/* ---- aof_format.c ---- */

/* The commit hooks' log side (takes aof.mu; the partition's lock is held): append the change
 * as RESP, the delta when there is one, else the key's state; or the key's deletion. */
void flpi_aof_put(flp_t *p, size_t db, uint32_t part, const fl_rec_view_t *v, const fl_delta_t *d);
void flpi_aof_del(flp_t *p, size_t db, uint32_t part, fl_slice_t key);
/* The flush of db (the store's flush hook: inside a group, every partition of db held) as one
 * FLUSHDB record; false (nothing written) while a rewrite's snapshot has dumped some of db's
 * partitions and not others, where no single record is right for both files. */
bool flpi_aof_flush(flp_t *p, size_t db);
/* A write atomic over several keys (the store's group hooks, on the writing thread): from
 * group_begin the thread's records are collected, and group_end (the group's partition locks
 * still held) appends them as one MULTI block (takes aof.mu). */
void flpi_aof_group_begin(void);
void flpi_aof_group_end(flp_t *p);
/* Replays a RESP log image into the store. *valid gets the length of its complete prefix
 * (commands and whole MULTI/EXEC blocks). Returns 0 when the whole image was complete, 1
 * when it ends in a torn command (*valid < n), -EINVAL on damage before the end (reason
 * with file and offset in err). */
int flpi_aof_replay(flp_t *p, const char *data, size_t n, const char *file, size_t *valid,
                    char *err, size_t errlen);

#endif /* FLATLINE_PERSIST_INTERNAL_H */
