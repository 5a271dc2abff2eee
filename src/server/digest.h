/*
 * src/server/digest.h: DEBUG DIGEST-VALUE and DEBUG DIGEST (digest.c): 20-byte SHA1 digests
 * of a value and of the whole dataset, built the way Redis 7.0 builds them (debug.c's
 * mixDigest / xorDigest): order matters for strings, lists and sorted sets' elements, not
 * for set members or hash fields, so equal content gives equal digests whatever the encoding
 * or the history (a COPY, a RENAME, a DEBUG RELOAD).
 */
#ifndef FLATLINE_SERVER_DIGEST_H
#define FLATLINE_SERVER_DIGEST_H

#include <stdbool.h>

#include "flatline/store.h"

#define SRV_DIGEST_LEN 20

/* The digest of key's value in ns into out (all zero when the key is missing: Redis's answer).
 * Any thread; reads under the key's partition lock. */
void srv_digest_value(fl_ns_t *ns, fl_slice_t key, unsigned char out[SRV_DIGEST_LEN]);

/* The digest of every namespace's keys, values and whether each has a TTL (all zero for an
 * empty store). Holds the whole store while it reads (an "all" batch), so it is one point in
 * time; inside a batch it reads through the caller's. Any thread. */
void srv_digest_dataset(fl_store_t *store, unsigned char out[SRV_DIGEST_LEN]);

/* out = 40 lowercase hex digits of d, NUL-terminated. */
void srv_digest_hex(const unsigned char d[SRV_DIGEST_LEN], char out[2 * SRV_DIGEST_LEN + 1]);

#endif /* FLATLINE_SERVER_DIGEST_H */
