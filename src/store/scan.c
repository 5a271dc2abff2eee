/*
 * src/store/scan.c: SCAN over a namespace.
 *
 * Cursor: bits 63..48 hold the partition index, bits 47..0 a home-bucket cursor inside that
 * partition's index, advanced with Redis's reverse-binary increment. A step returns the keys
 * whose home bucket (hash & mask) is the cursor's, wherever their probe run put them; an
 * index's bucket count only ever doubles or halves (its width changes homes not at all), so
 * (as in Redis's dictScan) every key present for the whole scan is returned at least once;
 * some may be returned twice after a shrink. A call does about `count`
 * keys' worth of work, at most count * 10 bucket visits; empty partitions cost nothing and are
 * skipped, so a scan of a few keys among thousands of partitions ends in one call.
 *
 * Locking: one partition read lock at a time, released between partitions; keys reach the
 * callback under it.
 */
#include "store_internal.h"

#define CURSOR_BITS 48
#define CURSOR_MASK ((UINT64_C(1) << CURSOR_BITS) - 1)

static uint64_t rev64(uint64_t v)
{
    v = ((v >> 1) & 0x5555555555555555ull) | ((v & 0x5555555555555555ull) << 1);
    v = ((v >> 2) & 0x3333333333333333ull) | ((v & 0x3333333333333333ull) << 2);
    v = ((v >> 4) & 0x0f0f0f0f0f0f0f0full) | ((v & 0x0f0f0f0f0f0f0f0full) << 4);
    return __builtin_bswap64(v);
}

uint64_t fls_cursor_next(uint64_t v, uint64_t mask)
{
    v |= ~mask;
    v = rev64(v);
    v++;
    return rev64(v);
}

/* A partition without keys (relaxed: a key present for the whole scan was counted before the
 * scan began, so it is never skipped; one added meanwhile may be, which SCAN allows). */
static bool part_empty(fls_part_t *p)
{
    return atomic_load_explicit(&p->count, memory_order_relaxed) == 0;
}

/* What a SCAN call returns keys to. */
typedef struct scan_ctx {
    int64_t now;
    const char *pattern;
    size_t pattern_len;
    bool all;
    fl_key_fn fn;
    void *ctx;
    size_t *visited;
} scan_ctx_t;

static void scan_emit(const scan_ctx_t *sc, const fls_rec_t *r)
{
    (*sc->visited)++;
    if (fls_rec_expired(r, sc->now))
        return;
    const char *key = fls_rec_key(r);
    size_t klen = fls_rec_klen(r);
    if (sc->all || fl_glob_match(sc->pattern, sc->pattern_len, key, klen, false))
        sc->fn(sc->ctx, key, klen);
}

/* Returns the keys whose home bucket is `home` (read lock held): the ones in it, and the
 * displaced ones of the probe run after it (up to the first bucket with a free slot). */
static void scan_home(fl_ns_t *ns, const fls_part_t *p, size_t home, const scan_ctx_t *sc)
{
    const uint8_t *tags = fls_part_tags(p);
    size_t w = p->width;
    for (size_t n = 0, b = home; n <= p->mask; n++, b = (b + 1) & p->mask) {
        bool full = true;
        for (size_t i = b * w; i < b * w + w; i++) {
            if (!tags[i])
                full = false;
            else if (b == home ? !(tags[i] & FLS_TAG_AWAY)
                               : (tags[i] & FLS_TAG_AWAY) &&
                                     (fls_rec_hash(ns, p->b[i]) & p->mask) == home)
                scan_emit(sc, p->b[i]);
        }
        if (!full)
            return;
    }
}

int fl_key_scan(fl_ns_t *ns, uint64_t cursor, const char *pattern, size_t pattern_len, size_t count,
                fl_key_fn fn, void *ctx, uint64_t *next)
{
    if (count == 0)
        count = 10;
    uint64_t pidx = cursor >> CURSOR_BITS, v = cursor & CURSOR_MASK;
    size_t visited = 0, steps = 0, max_steps = count > SIZE_MAX / 10 ? SIZE_MAX : count * 10;
    bool all = !pattern || (pattern_len == 1 && pattern[0] == '*');
    int64_t now = fl_now_ms();
    while (pidx < ns->nparts && visited < count && steps < max_steps) {
        fls_part_t *p = &ns->parts[pidx];
        if (part_empty(p)) { /* no key to return: free to skip, costs no step */
            pidx++;
            v = 0;
            continue;
        }
        bool done = false;
        fls_rdlock(ns, p);
        for (;;) {
            steps++;
            if (!p->b) {
                done = true;
                break;
            }
            scan_ctx_t sc = {now, pattern, pattern_len, all, fn, ctx, &visited};
            scan_home(ns, p, v & p->mask, &sc);
            v = fls_cursor_next(v, p->mask);
            if (v == 0) {
                done = true;
                break;
            }
            if (visited >= count || steps >= max_steps)
                break;
        }
        fls_unlock(ns, p);
        if (done) {
            pidx++;
            v = 0;
        }
    }
    /* Empty partitions ahead would only cost the caller a round trip: skip them now. */
    while (v == 0 && pidx < ns->nparts && part_empty(&ns->parts[pidx]))
        pidx++;
    *next = pidx >= ns->nparts ? 0 : (pidx << CURSOR_BITS) | v;
    return FL_OK;
}
