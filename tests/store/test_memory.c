/*
 * tests/store/test_memory.c: the lifecycle-separation evidence and allocation failure.
 *   - after a mixed workload, the store's `used` equals its namespace arena's `requested`
 *     exactly (every record and index byte is in the arena, nothing transient is), and FLUSHDB
 *     brings both back to the empty baseline;
 *   - with fl_mem_test_fail_after, a write whose Nth allocation fails returns FL_ENOMEM and
 *     leaves the key exactly as it was, for every N; with every allocation failing, writes fail
 *     cleanly and reads still work;
 *   - the defragmentation primitive (fls_part_walk) can move every allocation of a namespace
 *     with fl_arena_move and the data reads back unchanged.
 */
#include <stdlib.h>

#include "../testhelper.h"
#include "flatline/collections.h"
#include "store_internal.h"
#include "store_test_util.h"

static uint64_t rnd_state = 88172645463325252ull;
static uint64_t rnd(void)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return rnd_state;
}

static void mixed_workload(fl_ns_t *ns, int ops)
{
    char k[32], f[32], v[600];
    memset(v, 'v', sizeof(v));
    cap_t c;
    for (int i = 0; i < ops; i++) {
        snprintf(k, sizeof(k), "key:%u", (unsigned)(rnd() % 500));
        snprintf(f, sizeof(f), "f%u", (unsigned)(rnd() % 40));
        fl_slice_t val = {v, rnd() % sizeof(v)};
        fl_sink_t s = cap_sink(&c);
        switch (rnd() % 18) {
        case 14: /* lists (flatline/collections.h) */
            fl_list_push(ns, S(k), rnd() & 1, &val, 1, false, &(size_t){0});
            break;
        case 15:
            fl_list_pop(ns, S(k), rnd() & 1, 1 + rnd() % 3, true, &s, &(size_t){0});
            break;
        case 16:
            fl_list_rem(ns, S(k), 1, val, &(size_t){0});
            break;
        case 17:
            fl_list_trim(ns, S(k), 1, -1);
            break;
        case 0:
        case 1:
            fl_str_set(ns, S(k), val, NULL, NULL);
            break;
        case 2: {
            fl_set_opts_t o = {fl_now_ms() + (int64_t)(rnd() % 100000), FL_SET_GET};
            fl_str_set(ns, S(k), val, &o, &s);
            break;
        }
        case 3:
            fl_str_append(ns, S(k), val, NULL);
            break;
        case 4: {
            int64_t r;
            fl_str_incrby(ns, S(k), 3, &r);
            break;
        }
        case 5: {
            fl_slice_t fv[4] = {S(f), val, S("other"), S("x")};
            fl_hash_set(ns, S(k), fv, 2, NULL);
            break;
        }
        case 6: {
            fl_slice_t fl[1] = {S(f)};
            fl_hash_del(ns, S(k), fl, 1, NULL);
            break;
        }
        case 7: {
            int64_t r;
            fl_hash_incrby(ns, S(k), S(f), 1, &r);
            break;
        }
        case 8:
            fl_key_del(ns, S(k), NULL);
            break;
        case 9:
            fl_str_getdel(ns, S(k), &s);
            break;
        case 10:
            fl_key_expire_at(ns, S(k), fl_now_ms() + (int64_t)(rnd() % 3) - 1, NULL);
            break;
        case 11:
            fl_key_persist(ns, S(k), NULL);
            break;
        case 12:
            fl_str_get(ns, S(k), &s);
            break;
        default:
            fl_hash_getall(ns, S(k), &s);
            break;
        }
    }
}

TEST(used_equals_arena_requested)
{
    fl_store_t *st = open_one(64, 0, 100, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    size_t base = 0, req = 0;
    CHECK(used_matches_arena(ns, &base, &req));
    CHECK_EQ_U(base, 64 * sizeof(fls_part_t)); /* empty: just the partition array */
    mixed_workload(ns, 30000);
    fls_bg_pause(st, true);
    size_t used = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    fprintf(stderr, "  after 30000 mixed ops: used %zu == arena requested %zu, %zu keys\n", used,
            req, fl_ns_size(ns));
    CHECK(used > base);
    /* used is also the sum of what every record and index says it holds */
    size_t sum = 64 * sizeof(fls_part_t);
    for (uint32_t p = 0; p < ns->nparts; p++) {
        fls_part_t *part = &ns->parts[p];
        if (!part->b)
            continue;
        sum += fls_index_bytes(fls_part_slots(part));
        sum += (size_t)ns->tix[p].cap * sizeof(fls_tix_ent_t); /* the TTL index */
        for (size_t i = 0; i < fls_part_slots(part); i++)
            if (part->b[i])
                sum += fls_rec_total(part->b[i]);
    }
    CHECK_EQ_U(sum, used);
    fls_bg_pause(st, false);
    CHECK_EQ_I(fl_ns_flush(ns), FL_OK);
    CHECK(used_matches_arena(ns, &used, &req));
    CHECK_EQ_U(used, base);
    CHECK_EQ_U(fl_ns_size(ns), 0);
    fl_store_close(st);
}

/* Serializes key k (or "-" when missing) into buf for before/after comparisons. */
static size_t snapshot(fl_ns_t *ns, const char *k, char *buf, size_t len)
{
    fls_key_t key;
    fls_key_init(ns, S(k), &key);
    fls_wrlock(ns, key.part);
    fls_rec_t **ref = fls_find(&key);
    size_t n = ref ? fls_rec_serialize(*ref, buf, len) : 0;
    if (!ref && len) {
        buf[0] = '-';
        n = 1;
    }
    fls_unlock(ns, key.part);
    return n;
}

typedef int (*write_fn)(fl_ns_t *ns);

static int w_set_new(fl_ns_t *ns)
{
    return fl_str_set(ns, S("fresh"), S("value"), NULL, NULL);
}
static int w_set_over(fl_ns_t *ns)
{
    return fl_str_set(ns, S("str"), S("a longer replacement value"), NULL, NULL);
}
static int w_append(fl_ns_t *ns)
{
    return fl_str_append(ns, S("str"), S("-appended"), NULL);
}
static int w_incr(fl_ns_t *ns)
{
    int64_t r;
    return fl_str_incrby(ns, S("num"), 99999, &r);
}
static int w_hset_new(fl_ns_t *ns)
{
    fl_slice_t fv[10] = {S("a"), S("1"), S("b"), S("2"), S("c"),
                         S("3"), S("d"), S("4"), S("e"), S("5")};
    return fl_hash_set(ns, S("newhash"), fv, 5, NULL);
}
static int w_hset_grow(fl_ns_t *ns)
{
    fl_slice_t fv[8] = {S("x1"), S("1"), S("x2"), S("2"), S("h0"), S("changed"), S("x3"), S("3")};
    return fl_hash_set(ns, S("hash"), fv, 4, NULL);
}
static int w_hincr(fl_ns_t *ns)
{
    int64_t r;
    return fl_hash_incrby(ns, S("hash"), S("cnt"), 5, &r);
}

static int w_expire(fl_ns_t *ns) /* the record grows a slot for its first expiry */
{
    bool applied;
    return fl_key_expire_at(ns, S("hash"), fl_now_ms() + 100000, &applied);
}
static int w_append_wide(fl_ns_t *ns) /* past 64 KiB: the record takes wide lengths */
{
    static char big[70000];
    memset(big, 'b', sizeof(big));
    return fl_str_append(ns, S("str"), (fl_slice_t){big, sizeof(big)}, NULL);
}

static void seed_keys(fl_ns_t *ns)
{
    fl_str_set(ns, S("str"), S("original"), NULL, NULL);
    fl_str_set(ns, S("num"), S("7"), NULL, NULL);
    fl_slice_t fv[2] = {S("h0"), S("v0")};
    fl_hash_set(ns, S("hash"), fv, 1, NULL);
}

TEST(allocation_failure_changes_nothing)
{
    static const struct {
        const char *name, *key;
        write_fn fn;
    } writes[] = {
        {"set new", "fresh", w_set_new},       {"set overwrite", "str", w_set_over},
        {"append", "str", w_append},           {"incrby", "num", w_incr},
        {"hset new", "newhash", w_hset_new},   {"hset grow", "hash", w_hset_grow},
        {"hincrby", "hash", w_hincr},          {"expire", "hash", w_expire},
        {"append wide", "str", w_append_wide},
    };
    static char before[80000], after[80000];
    for (size_t w = 0; w < sizeof(writes) / sizeof(writes[0]); w++) {
        int failures = 0;
        for (uint64_t nth = 1; nth <= 12; nth++) {
            fl_store_t *st = open_one(1, 0, 100, 100);
            CHECK(st);
            fl_ns_t *ns = fl_store_ns(st, 0);
            fls_bg_pause(st, true);
            seed_keys(ns);
            size_t nb = snapshot(ns, writes[w].key, before, sizeof(before));
            uint64_t keys0 = fl_ns_size(ns);
            fl_mem_test_fail_after(nth, false);
            int rc = writes[w].fn(ns);
            fl_mem_test_fail_after(0, false);
            size_t na = snapshot(ns, writes[w].key, after, sizeof(after));
            if (rc == FL_ENOMEM) {
                failures++;
                if (na != nb || memcmp(before, after, na) != 0)
                    fprintf(stderr, "  %s: allocation %ju failed but the key changed\n",
                            writes[w].name, (uintmax_t)nth);
                CHECK(na == nb && memcmp(before, after, na) == 0);
                CHECK_EQ_U(fl_ns_size(ns), keys0);
            } else {
                CHECK_EQ_I(rc, FL_OK);
            }
            size_t used = 0, req = 0;
            CHECK(used_matches_arena(ns, &used, &req));
            /* the store still works after the failure */
            CHECK_EQ_I(writes[w].fn(ns), FL_OK);
            fls_bg_pause(st, false);
            fl_store_close(st);
        }
        CHECK(failures >= 1); /* at least the first allocation of each write was hit */
    }
}

TEST(sticky_failure_reads_still_work)
{
    fl_store_t *st = open_one(4, 0, 100, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    seed_keys(ns);
    fl_mem_test_fail_after(1, true);
    CHECK_EQ_I(w_set_new(ns), FL_ENOMEM);
    CHECK_EQ_I(w_set_over(ns), FL_ENOMEM);
    CHECK_EQ_I(w_append(ns), FL_ENOMEM);
    CHECK_EQ_I(w_hset_new(ns), FL_ENOMEM);
    CHECK_EQ_I(w_hset_grow(ns), FL_ENOMEM);
    cap_t c;
    fl_sink_t s = cap_sink(&c);
    CHECK_EQ_I(fl_str_get(ns, S("str"), &s), FL_OK);
    CHECK_STR(c.last, "original");
    bool b;
    CHECK_EQ_I(fl_key_del(ns, S("num"), &b), FL_OK); /* deletes need no allocation */
    CHECK(b);
    fl_mem_test_fail_after(0, false);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    fls_bg_pause(st, false);
    fl_store_close(st);
    /* opening a store when allocation fails reports an error and leaks nothing */
    fl_mem_test_fail_after(1, false);
    fl_ns_config_t cfg;
    fl_ns_config_default(&cfg, "failing");
    char err[200] = "";
    fl_store_t *s2 = NULL;
    CHECK(fl_store_open(&s2, &cfg, 1, err, sizeof(err)) != FL_OK);
    fl_mem_test_fail_after(0, false);
    CHECK(s2 == NULL);
    CHECK(err[0] != 0);
}

/* Record sizes of the compact layout, and a record's life through its layout changes. */
TEST(record_layout)
{
    /* 16-byte key: an 8-byte header, so 100-byte values fill the 128-byte size class and
     * 1000-byte values the 1024-byte class exactly; an expiry adds 8, wide lengths 5 */
    CHECK_EQ_U(fls_str_rec_size(16, 8), 32);
    CHECK_EQ_U(fls_str_rec_size(16, 100), 124);
    CHECK_EQ_U(fls_str_rec_size(16, 1000), 1024);
    CHECK_EQ_U(fls_rec_bytes(FL_TYPE_STRING, 16, 100, true), 132);
    CHECK_EQ_U(fls_rec_bytes(FL_TYPE_STRING, 16, 70000, false), 13 + 16 + 70000);
    /* ... which is stored split (value.c): head and tail add the link */
    CHECK_EQ_U(fls_str_rec_size(16, 70000), 13 + 16 + 70000 + FLS_SPLIT_LINK);
    CHECK_EQ_U(fls_str_rec_size(300, 10), 13 + 300 + 10);
    fl_store_t *st = open_one(4, 0, 100, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    fls_bg_pause(st, true);
    static char big[70000], key[300];
    memset(big, 'z', sizeof(big));
    memset(key, 'k', sizeof(key));
    fl_slice_t lk = {key, sizeof(key)};
    cap_t c;
    fl_sink_t s;
    bool b;
    /* a long key: wide from the start; an expiry then a PERSIST keep key and value */
    CHECK_EQ_I(fl_str_set(ns, lk, S("v"), NULL, NULL), FL_OK);
    CHECK_EQ_I(fl_key_expire_at(ns, lk, fl_now_ms() + 100000, &b), FL_OK);
    CHECK(b);
    int64_t ttl = 0;
    CHECK_EQ_I(fl_key_ttl_ms(ns, lk, &ttl), FL_OK);
    CHECK(ttl > 90000);
    CHECK_EQ_I(fl_key_persist(ns, lk, &b), FL_OK);
    CHECK_EQ_I(fl_key_ttl_ms(ns, lk, &ttl), FL_OK);
    CHECK_EQ_I(ttl, -1);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_get(ns, lk, &s), FL_OK);
    CHECK_STR(c.last, "v");
    /* a narrow string with an expiry grows past 64 KiB (wide), keeping its expiry */
    CHECK_EQ_I(fl_str_set(ns, S("s"), S("head"), NULL, NULL), FL_OK);
    CHECK_EQ_I(fl_key_expire_at(ns, S("s"), fl_now_ms() + 100000, &b), FL_OK);
    size_t len = 0;
    CHECK_EQ_I(fl_str_append(ns, S("s"), (fl_slice_t){big, sizeof(big)}, &len), FL_OK);
    CHECK_EQ_U(len, 4 + sizeof(big));
    CHECK_EQ_I(fl_key_ttl_ms(ns, S("s"), &ttl), FL_OK);
    CHECK(ttl > 90000);
    CHECK_EQ_I(fl_str_len(ns, S("s"), &len), FL_OK);
    CHECK_EQ_U(len, 4 + sizeof(big));
    s = cap_sink(&c);
    CHECK_EQ_I(fl_str_getrange(ns, S("s"), 0, 9, &s), FL_OK);
    CHECK_STR(c.last, "headzzzzzz");
    /* a hash and a list given an expiry: their descriptors move with the key, still whole */
    fl_slice_t fv[4] = {S("f1"), S("v1"), S("f2"), S("v2")};
    CHECK_EQ_I(fl_hash_set(ns, S("h"), fv, 2, NULL), FL_OK);
    CHECK_EQ_I(fl_key_expire_at(ns, S("h"), fl_now_ms() + 100000, &b), FL_OK);
    s = cap_sink(&c);
    CHECK_EQ_I(fl_hash_get(ns, S("h"), S("f2"), &s), FL_OK);
    CHECK_STR(c.last, "v2");
    fl_slice_t items[3] = {S("a"), S("b"), S("c")};
    CHECK_EQ_I(fl_list_push(ns, S("l"), false, items, 3, false, &len), FL_OK);
    CHECK_EQ_I(fl_key_expire_at(ns, S("l"), fl_now_ms() + 100000, &b), FL_OK);
    CHECK_EQ_I(fl_list_push(ns, S("l"), false, items, 1, false, &len), FL_OK);
    CHECK_EQ_U(len, 4);
    CHECK_EQ_I(fl_key_ttl_ms(ns, S("l"), &ttl), FL_OK);
    CHECK(ttl > 90000);
    size_t used = 0, req = 0;
    CHECK(used_matches_arena(ns, &used, &req));
    fls_bg_pause(st, false);
    fl_store_close(st);
}

/* The index's fill bounds (table.c): after every insert at most 95 % full, after every delete
 * at least 2/3 full (or as small as its shape allows), and slots per key low at every size: an
 * index fills the size class it lands in, so the bounds are checked on slots, the bytes on
 * fls_index_bytes. */
static void check_fill(fl_ns_t *ns, bool after_delete, size_t *slots, size_t *keys)
{
    *slots = *keys = 0;
    for (uint32_t p = 0; p < ns->nparts; p++) {
        fls_part_t *part = &ns->parts[p];
        size_t n = atomic_load(&part->count), s = fls_part_slots(part);
        CHECK_EQ_I(n == 0, s == 0);
        if (!n)
            continue;
        CHECK(n * 100 <= s * 95);
        if (after_delete && s > 20) /* larger than the smallest shapes */
            CHECK(n * 3 >= s * 2);
        *slots += s;
        *keys += n;
    }
}

TEST(index_fill_bounds)
{
    fl_store_t *st = open_one(16, 0, 90, 100);
    CHECK(st != NULL);
    fl_ns_t *ns = fl_store_ns(st, 0);
    char k[32];
    size_t slots, keys;
    for (int i = 0; i < 60000; i++) {
        int n = snprintf(k, sizeof(k), "key:%d", i);
        CHECK_EQ_I(fl_str_set(ns, (fl_slice_t){k, (size_t)n}, S("v"), NULL, NULL), FL_OK);
        if (i % 1000 == 999) {
            check_fill(ns, false, &slots, &keys);
            CHECK_EQ_U(keys, (size_t)i + 1);
            CHECK(slots * 100 <= keys * 135); /* 1.15 slots per key in large indexes */
        }
    }
    fprintf(stderr, "  60000 keys in 16 partitions: %.3f slots per key\n", (double)slots / keys);
    for (int i = 0; i < 60000; i++) {
        if (i % 10 == 0)
            continue;
        int n = snprintf(k, sizeof(k), "key:%d", i);
        bool deleted = false;
        CHECK_EQ_I(fl_key_del(ns, (fl_slice_t){k, (size_t)n}, &deleted), FL_OK);
        CHECK(deleted);
        if (i % 1000 == 999)
            check_fill(ns, true, &slots, &keys);
    }
    check_fill(ns, true, &slots, &keys);
    CHECK_EQ_U(keys, 6000);
    CHECK(slots * 2 <= keys * 3);
    fprintf(stderr, "  after deleting 90 %%: %.3f slots per key\n", (double)slots / keys);
    fl_store_close(st);
}

TEST(walk_moves_every_allocation)
{
    fl_store_t *st = open_one(8, 0, 100, 100);
    CHECK(st);
    fl_ns_t *ns = fl_store_ns(st, 0);
    mixed_workload(ns, 5000);
    fls_bg_pause(st, true);
    /* a snapshot of everything, in key order of a fixed list */
    char *before = malloc(500 * 4096), *after = malloc(500 * 4096);
    size_t lens[500];
    char k[32];
    for (int i = 0; i < 500; i++) {
        snprintf(k, sizeof(k), "key:%d", i);
        lens[i] = snapshot(ns, k, before + (size_t)i * 4096, 4096);
    }
    size_t used0 = 0, req = 0;
    CHECK(used_matches_arena(ns, &used0, &req));
    mover_t m = {fl_ns_arena(ns), 0, 0};
    fls_walk_ops_t ops = {.buckets = move_one, .rec = move_one, .node = move_one};
    for (uint32_t p = 0; p < ns->nparts; p++) {
        fls_wrlock(ns, &ns->parts[p]);
        fls_part_walk(ns, p, &ops, &m);
        fls_unlock(ns, &ns->parts[p]);
    }
    fprintf(stderr, "  moved %zu allocations (%zu not movable now)\n", m.moved, m.kept);
    CHECK(m.moved > 500);
    for (int i = 0; i < 500; i++) {
        snprintf(k, sizeof(k), "key:%d", i);
        size_t n = snapshot(ns, k, after + (size_t)i * 4096, 4096);
        CHECK_EQ_U(n, lens[i]);
        CHECK(memcmp(before + (size_t)i * 4096, after + (size_t)i * 4096, n) == 0);
    }
    size_t used1 = 0;
    CHECK(used_matches_arena(ns, &used1, &req));
    CHECK_EQ_U(used1, used0);
    free(before);
    free(after);
    /* the store keeps working on the moved objects */
    mixed_workload(ns, 2000);
    fls_bg_pause(st, false);
    fl_ns_flush(ns);
    CHECK(used_matches_arena(ns, &used1, &req));
    CHECK_EQ_U(used1, 8 * sizeof(fls_part_t));
    fl_store_close(st);
}

int main(void)
{
    RUN(used_equals_arena_requested);
    RUN(allocation_failure_changes_nothing);
    RUN(record_layout);
    RUN(sticky_failure_reads_still_work);
    RUN(walk_moves_every_allocation);
    RUN(index_fill_bounds);
    return TEST_REPORT();
}
