/*
 * src/persist/persist.h: durability for a store (library flatline_persist, prefix flp_), in
 * Redis 7.0's file formats: an append-only log (a manifest directory of a base snapshot and an
 * incremental RESP log, as redis-server 7.0 writes with aof-use-rdb-preamble) and RDB version
 * 10 snapshots, both taken without fork (fl_snap_begin: copy-before-write per partition).
 *
 * One flp_t per store. Lifecycle: flp_open (loads what the files hold, installs the store's
 * hooks) -> flp_start (log thread) -> commands -> flp_close. Loading happens with the hooks
 * quiet: flp_loading() is true until it finished.
 *
 * Errors: 0 or -errno, with the reason in the caller's err buffer.
 * Thread-safety: every function may be called from any thread, except flp_open/flp_close.
 */
#ifndef FLATLINE_PERSIST_H
#define FLATLINE_PERSIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flatline/store.h"

enum { FLP_FSYNC_ALWAYS = 0, FLP_FSYNC_EVERYSEC, FLP_FSYNC_NO };
#define FLP_SAVE_RULES_MAX 8
#define FLP_PATH_MAX 256

typedef struct flp_config {
    bool appendonly;
    int appendfsync; /* FLP_FSYNC_* */
    char dir[FLP_PATH_MAX];
    char appendfilename[FLP_PATH_MAX];
    char appenddirname[FLP_PATH_MAX];
    char dbfilename[FLP_PATH_MAX];
    bool aof_load_truncated;       /* a torn last record is dropped (logged) instead of refused */
    bool load_skip_unknown;        /* RDB keys of types the store lacks are skipped and counted */
    unsigned auto_aof_rewrite_pct; /* rewrite when the log grew this % over its base size */
    size_t auto_aof_rewrite_min_size; /* ... and is at least this big; pct 0 = never */
    size_t n_save;                    /* save rules: snapshot after secs when >= changes */
    long long save_secs[FLP_SAVE_RULES_MAX], save_changes[FLP_SAVE_RULES_MAX];
} flp_config_t;

typedef struct flp flp_t;

/* Log sink for the layer's messages (level: 0 warning, 1 notice). */
typedef void flp_log_fn(void *ctx, int level, const char *msg);

/* Creates the persistence state for store (cfg copied) and installs the store's hooks (quiet
 * until flp_load ends: flp_loading() is true). Call before other threads use the store. */
int flp_open(flp_t **out, const flp_config_t *cfg, fl_store_t *store, flp_log_fn *log,
             void *log_ctx, char *err, size_t errlen);

/* Loads the data: the append-only log when appendonly is on (its manifest; or dbfilename when
 * no log exists yet), else dbfilename, if present. A damaged file refuses with file, offset
 * and the tool to run in err (-EINVAL); a torn last log record is truncated (logged with the
 * bytes dropped) when aof_load_truncated. Then, with appendonly, opens the log for appending
 * (creating the directory with a first base snapshot when there was none). Other threads
 * must not write to the store meanwhile (the server answers -LOADING). */
int flp_load(flp_t *p, char *err, size_t errlen);

/* Starts the log thread (appendonly) and the background save machinery. */
int flp_start(flp_t *p, char *err, size_t errlen);

/* Stops the threads and writes and fsyncs what the log holds; the hooks stay installed but do
 * nothing from then on (the store may still commit expiries until it is closed). */
void flp_close(flp_t *p);
/* Frees p: after fl_store_close (the hooks' ctx must outlive the store). */
void flp_free(flp_t *p);

/* True while flp_open loads (other threads may ask). */
bool flp_loading(const flp_t *p);
/* Loading progress for INFO: bytes done and total. */
void flp_loading_progress(const flp_t *p, uint64_t *done, uint64_t *total, int64_t *start_ms);

/* ---- Log durability (group commit) ---- */

/* Log sequence number (bytes appended since start, over all log files) after the last record
 * the calling thread appended; 0 when it appended none. */
uint64_t flp_thread_seq(void);
/* True when replies to writes must wait for flp_durable_seq to reach their sequence number
 * (appendonly with appendfsync always). */
bool flp_sync_replies(const flp_t *p);
/* Sequence number up to which the log is written and fsynced. */
uint64_t flp_durable_seq(const flp_t *p);
/* Sequence number of the last byte appended by any thread: a reply to a read may show any
 * change appended up to here (a change is appended before it is visible), so under `always`
 * a read's reply is held until flp_durable_seq reaches it. Any thread; lock-free. */
uint64_t flp_appended_seq(const flp_t *p);
/* Registers an eventfd the log thread writes after each fsync (workers hold replies until
 * flp_durable_seq passes theirs). At most 256; call before flp_start. */
int flp_add_waker(flp_t *p, int eventfd);
/* True when the log cannot be written now (-MISCONF for writes): *err_no gets the errno. */
bool flp_write_failing(const flp_t *p, int *err_no);

/* ---- Snapshots ---- */

/* SAVE: a snapshot to dbfilename now, in the calling thread (writers keep going). */
int flp_save(flp_t *p, char *err, size_t errlen);
/* BGSAVE: the same in a background thread; -EBUSY when one runs. */
int flp_bgsave(flp_t *p, char *err, size_t errlen);
/* DEBUG RELOAD: with the whole store held (no other thread reads or writes meanwhile), saves
 * the snapshot to dbfilename (unless !save), empties the persisted namespaces (unless !flush;
 * `storage memory` ones keep their data) and loads dbfilename back. Writes go through the hooks
 * as any write (the log, when on, records the reload). -EBUSY inside a batch, -ENOENT without
 * a snapshot to load, or the save's or load's error (reason in err: then the data may be
 * partly loaded, as Redis after a failed DEBUG RELOAD). Any thread. */
int flp_reload(flp_t *p, bool save, bool flush, char *err, size_t errlen);
/* BGREWRITEAOF: a new base snapshot and a new incremental log; -EBUSY when one runs,
 * -ENOTSUP with appendonly off. */
int flp_bgrewrite(flp_t *p, char *err, size_t errlen);
/* CONFIG SET save, auto-aof-rewrite-percentage, auto-aof-rewrite-min-size: the rules flp_cron
 * follows from now on (n_save, save_secs, save_changes, auto_aof_rewrite_pct and
 * auto_aof_rewrite_min_size of rules). Any thread. */
void flp_set_rules(flp_t *p, const flp_config_t *rules);
/* Whether any save rule is set (`save` not empty). Any thread. */
bool flp_has_save_rules(flp_t *p);
/* Unix time (s) of the last successful snapshot to dbfilename (or of the start). */
int64_t flp_lastsave(const flp_t *p);
/* Once a second (main thread): save rules, automatic rewrite, everysec housekeeping. */
void flp_cron(flp_t *p);
/* True while BGSAVE runs. */
bool flp_bgsave_running(const flp_t *p);
/* Waits for a background save or rewrite under way to end. */
void flp_wait_background(flp_t *p);

/* ---- INFO persistence ---- */

/* Calls fn for each INFO `persistence` field (Redis's names), in Redis's order. */
/* DUMP: key's value as Redis 7.0's serialized payload (RDB type, value, RDB version, CRC-64)
 * into *out (malloc'd, *len bytes; the caller frees it). FL_ENOKEY when the key is missing,
 * FL_ENOMEM. Any thread; the key's partition is read-locked meanwhile. */
int flp_dump(fl_ns_t *ns, fl_slice_t key, char **out, size_t *len);

/* Whether a payload's footer holds an RDB version this server reads and a matching CRC-64. */
bool flp_payload_valid(fl_slice_t payload);

/* RESTORE: key of ns gets the payload's value, with expire_at_ms (absolute; 0: none; already
 * passed: nothing is created, and with replace the old key is deleted), atomically (one store
 * batch: readers and the log see all or nothing; any failure leaves the key as it was).
 * Returns what happened; on FLP_RESTORE_STORE_ERROR *status is the store's refusal (FL_EOOM,
 * FL_ENOMEM). Works inside EXEC and scripts (their batch holds the store). */
typedef enum {
    FLP_RESTORE_OK,
    FLP_RESTORE_BAD_PAYLOAD, /* version or checksum wrong */
    FLP_RESTORE_BAD_DATA,    /* the value does not decode (or is a type the store lacks) */
    FLP_RESTORE_BUSYKEY,     /* the key exists and replace is false */
    FLP_RESTORE_STORE_ERROR,
} flp_restore_t;
flp_restore_t flp_restore(fl_store_t *store, fl_ns_t *ns, fl_slice_t key, fl_slice_t payload,
                          int64_t expire_at_ms, bool replace, int *status);

typedef void flp_info_fn(void *ctx, const char *name, const char *value);
void flp_info(flp_t *p, flp_info_fn *fn, void *ctx);

#endif /* FLATLINE_PERSIST_H */
