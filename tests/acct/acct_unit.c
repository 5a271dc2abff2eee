/*
 * tests/acct/acct_unit.c: white-box tests of the accounting layer's pure parts (no preload, so
 * they run under ASan and TSan too): option parsing and bounds, size buckets, the verdict rules,
 * a round trip through the trace format's encoder and reader, the growth test (sign test,
 * decisions), the time series' columns and the sampling arithmetic against libm.
 */
#include "../testhelper.h"

#include "acct_internal.h"

#include <errno.h>
#include <flatline/trace.h>
#include <math.h>
#include <string.h>

TEST(options)
{
    uint64_t v = 0;
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_SAMPLE, "512K", &v), 0);
    CHECK_EQ_U(v, 512 * 1024);
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_LEAK, "16MiB", &v), 0);
    CHECK_EQ_U(v, 16u << 20);
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_LEAK, "1G", &v), 0);
    CHECK_EQ_U(v, 1u << 30);
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_SAMPLE, "0", &v), 0);
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_INTERVAL, "5", &v), -ERANGE);
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_INTERVAL, "100K", &v), -EINVAL); /* not a size */
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_DEPTH, "-3", &v), -EINVAL);
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_DEPTH, "abc", &v), -EINVAL);
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_DEPTH, "", &v), -EINVAL);
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_LEAK, "99999999999999999999", &v), -EINVAL);
    CHECK_EQ_I(acct_opt_parse(ACCT_OPT_LEAK, "9999999999999G", &v), -ERANGE);
    for (int i = 0; i < ACCT_OPT_N; i++) {
        const acct_opt_def_t *d = &acct_opt_defs[i];
        CHECK(d->name && d->env && d->doc && d->min <= d->def && d->def <= d->max);
    }
}

TEST(buckets)
{
    unsigned prev = 0;
    for (size_t u = 0; u < (1u << 22); u += 1 + u / 64) {
        unsigned b = acct_bucket(u);
        CHECK(b < ACCT_NBUCKETS);
        CHECK(b >= prev); /* monotonic in the usable size */
        prev = b;
    }
    CHECK(acct_bucket(SIZE_MAX) < ACCT_NBUCKETS);
    CHECK(acct_bucket(24) != acct_bucket(40)); /* glibc's small sizes each get their own */
    CHECK(acct_bucket(1024) != acct_bucket(1025));
}

/* Size keys give back the usable size exactly (what makes live usable bytes exact without
 * summing them), a slot's implied usable size is its keys', and only multiples of 8 below 16 KiB
 * (not mmapped) go to slots. glibc's header words: chunk size | flags. */
TEST(size_keys)
{
    for (size_t u = 0; u < (1u << 22); u += 1 + u / 64) {
        size_t key = acct_key_of_usable(u);
        CHECK(acct_key_usable(key) == u);
        int in_slot = (key & ~ACCT_SLOT_KEY_BITS) == 0;
        CHECK(in_slot == (u % 8 == 0 && u < 16376));
        if (in_slot) {
            CHECK(key >> 3 < ACCT_SLOTS);
            CHECK(acct_slot_usable((unsigned)(key >> 3)) == u);
        }
    }
    CHECK(acct_key_usable(acct_key_of_usable(((size_t)1 << 62) + 3)) == ((size_t)1 << 62) + 3);
    CHECK(acct_key_usable(acct_key_of_usable(4081)) == 4081);
    /* glibc: a 32-byte chunk in use (PREV_INUSE, NON_MAIN_ARENA) holds 24 bytes, in slot 4 */
    CHECK(acct_key_usable(32 | 1 | 4) == 24);
    CHECK(((32 | 1 | 4) & ~ACCT_SLOT_KEY_BITS) == 0 && acct_slot_usable((32 | 5) >> 3) == 24);
    /* an mmapped chunk (IS_MMAPPED) has a 16-byte header and never goes to a slot */
    CHECK(acct_key_usable(4096 | 2) == 4080);
    CHECK(((64 | 2) & ~ACCT_SLOT_KEY_BITS) != 0);
    CHECK(((16384 | 1) & ~ACCT_SLOT_KEY_BITS) != 0);
    CHECK(((4096 | 1) & ~ACCT_SLOT_KEY_BITS) == 0 && acct_slot_usable((4096 | 1) >> 3) == 4088);
}

static acct_verdict_in_t base_in(void)
{
    acct_verdict_in_t in;
    memset(&in, 0, sizeof in);
    in.now.requested = 10 << 20;
    in.now.usable = in.now.allocated = 11 << 20;
    in.now.active = 12 << 20;
    in.now.resident = 13 << 20;
    in.now.rss = (13 << 20) + (5 << 20);
    in.now.dirty = in.now.muzzy = in.now.retained = -1;
    in.rss_base = 5 << 20;
    in.healthy_bytes = 16 << 20;
    return in;
}

TEST(verdicts)
{
    acct_verdict_out_t out;
    acct_verdict_in_t in = base_in();
    acct_verdict(&in, &out);
    CHECK_EQ_I(out.verdict, ACCT_HEALTHY);
    CHECK_EQ_I(out.excess, 3 << 20);

    in.leak_sites = 1;
    acct_verdict(&in, &out);
    CHECK_EQ_I(out.verdict, ACCT_LEAK);

    in = base_in(); /* few live objects spread over many pages */
    in.now.requested = 2 << 20;
    in.now.allocated = 3 << 20;
    in.now.active = 90 << 20;
    in.now.resident = 95 << 20;
    in.now.rss = (95 << 20) + (5 << 20);
    acct_verdict(&in, &out);
    CHECK_EQ_I(out.verdict, ACCT_FRAGMENTATION);
    CHECK_EQ_I(out.holes, 87 << 20);

    in.now.active = 4 << 20; /* whole free pages kept */
    acct_verdict(&in, &out);
    CHECK_EQ_I(out.verdict, ACCT_PAGES_HELD);

    in = base_in(); /* a big mmap outside the allocator */
    in.now.rss = (13 << 20) + (5 << 20) + (200 << 20);
    acct_verdict(&in, &out);
    CHECK_EQ_I(out.verdict, ACCT_OUTSIDE_HEAP);

    in = base_in(); /* allocator without figures */
    in.now.active = in.now.resident = -1;
    in.now.requested = 1 << 20;
    in.now.allocated = 2 << 20;
    in.now.rss = (100 << 20) + (5 << 20);
    in.now.usable = in.now.allocated;
    in.now.blocks = 20000; /* enough live blocks to pin all of it: holes or held, unknown */
    acct_verdict(&in, &out);
    CHECK_EQ_I(out.verdict, ACCT_HEAP_OVERHEAD);
    CHECK(strlen(acct_verdict_name(out.verdict)) > 4);
    in.now.blocks = 10; /* ten live blocks cannot pin 98 MiB: it is held pages */
    acct_verdict(&in, &out);
    CHECK_EQ_I(out.verdict, ACCT_PAGES_HELD);
}

TEST(trace_roundtrip)
{
    uint8_t file[4096];
    memset(file, 0, sizeof file);
    memcpy(file, FL_TRACE_MAGIC, 8);
    file[8] = FL_TRACE_VERSION;
    file[10] = FL_TRACE_HEADER_SIZE;
    file[24] = 7; /* start_mono_ns = 7 */
    size_t n = FL_TRACE_HEADER_SIZE + FL_TRACE_CHUNK_HEADER_SIZE, start = n;
    uint64_t last = 0, a = 0x7f0000001000ull, b = 0x7f0000000010ull;
    /* MALLOC a 100; REALLOC a -> b 300 span 5; MEMALIGN a 64 align 4096; FREE b; THREAD_END */
    file[n++] = FL_TOP_MALLOC;
    n += fl_trace_put_varint(file + n, 10);
    n += fl_trace_put_zvarint(file + n, (int64_t)(a - last)), last = a;
    n += fl_trace_put_varint(file + n, 100);
    file[n++] = FL_TOP_REALLOC;
    n += fl_trace_put_varint(file + n, 3);
    n += fl_trace_put_zvarint(file + n, (int64_t)(a - last));
    n += fl_trace_put_zvarint(file + n, (int64_t)(b - a)), last = b;
    n += fl_trace_put_varint(file + n, 300);
    n += fl_trace_put_varint(file + n, 5);
    file[n++] = FL_TOP_MEMALIGN;
    n += fl_trace_put_varint(file + n, 0);
    n += fl_trace_put_zvarint(file + n, (int64_t)(a - last)), last = a;
    n += fl_trace_put_varint(file + n, 1ull << 40);
    file[n++] = 12;
    file[n++] = FL_TOP_FREE;
    n += fl_trace_put_varint(file + n, 1000000);
    n += fl_trace_put_zvarint(file + n, (int64_t)(b - last)), last = b;
    file[n++] = FL_TOP_THREAD_END;
    n += fl_trace_put_varint(file + n, 1);
    uint8_t *ch = file + FL_TRACE_HEADER_SIZE;
    uint32_t magic = FL_TRACE_CHUNK_MAGIC, bytes = (uint32_t)(n - start), nev = 5, tid = 3;
    memcpy(ch, &magic, 4); /* the test machine is little-endian, like the format */
    memcpy(ch + 4, &tid, 4);
    memcpy(ch + 8, &bytes, 4);
    memcpy(ch + 12, &nev, 4);
    ch[16] = 100; /* base_ns */

    fl_trace_header_t h;
    CHECK_EQ_I(fl_trace_read_header(file, n, &h), 0);
    CHECK_EQ_U(h.start_mono_ns, 7);
    size_t off = h.header_size;
    fl_trace_chunk_t c;
    fl_trace_event_t e;
    CHECK_EQ_I(fl_trace_next_chunk(file, n, &off, &c), 1);
    CHECK_EQ_U(c.thread, 3);
    CHECK_EQ_I(fl_trace_next_event(&c, &e), 1);
    CHECK(e.op == FL_TOP_MALLOC && e.addr == a && e.size == 100 && e.t_ns == 110);
    CHECK_EQ_I(fl_trace_next_event(&c, &e), 1);
    CHECK(e.op == FL_TOP_REALLOC && e.old_addr == a && e.addr == b && e.size == 300);
    CHECK(e.t_ns == 113 && e.span_ns == 5);
    CHECK_EQ_I(fl_trace_next_event(&c, &e), 1);
    CHECK(e.op == FL_TOP_MEMALIGN && e.addr == a && e.size == 1ull << 40 && e.align == 4096);
    CHECK_EQ_I(fl_trace_next_event(&c, &e), 1);
    CHECK(e.op == FL_TOP_FREE && e.addr == b && e.t_ns == 1000113);
    CHECK_EQ_I(fl_trace_next_event(&c, &e), 1);
    CHECK(e.op == FL_TOP_THREAD_END && e.thread == 3);
    CHECK_EQ_I(fl_trace_next_event(&c, &e), 0);
    CHECK_EQ_I(fl_trace_next_chunk(file, n, &off, &c), 0);

    /* truncated chunk and bad magic are errors, not crashes */
    off = h.header_size;
    CHECK_EQ_I(fl_trace_next_chunk(file, n - 1, &off, &c), -EPROTO);
    CHECK_EQ_I(fl_trace_read_header("NOTATRACE", 9, &h), -EPROTO);
    file[8] = 9;
    CHECK_EQ_I(fl_trace_read_header(file, n, &h), -ENOTSUP);
}

TEST(sign_test)
{
    /* exact binomial tails: all of m events births gives 2^-m */
    CHECK(fabs(acct_sign_test_p(10, 0) - 1.0 / 1024) < 1e-12);
    CHECK(fabs(acct_sign_test_p(1, 1) - 0.75) < 1e-12);
    CHECK(fabs(acct_sign_test_p(5, 5) - 0.623046875) < 1e-9); /* P(X >= 5 | 10) */
    CHECK_EQ_I((int)acct_sign_test_p(0, 7), 1);
    /* the normal approximation agrees with the exact sum where they meet */
    double exact = acct_sign_test_p(1050, 950), approx = acct_sign_test_p(1575, 1425);
    CHECK(exact > 0.01 && exact < 0.02 && approx > 0.0001 && approx < 0.005);
    CHECK(fabs(acct_sign_test_p(1001, 1001) - 0.5) < 0.02);
    CHECK(fabs(acct_bound95(4.0) - 3.92) < 1e-9);
}

TEST(trend_decisions)
{
    /* a leak: only births in both windows, the exact totals grew */
    acct_trend_in_t in = {40, 0, 20, 0, 4e6, 1e11, 2e6, 4000000, 2000000, 1 << 20, 3, 1, 0};
    acct_trend_out_t out;
    CHECK_EQ_I(acct_trend_decide(&in, &out), 1);
    /* a bounded cache: as many deaths as births */
    acct_trend_in_t cache = {400, 390, 200, 205, 6e5, 1e13, -1e5, 100000, -5000, 1 << 20, 3, 1, 0};
    CHECK_EQ_I(acct_trend_decide(&cache, &out), 0);
    CHECK_EQ_I(out.site_growing, 0);
    /* the site grows but the process's exact live bytes did not: not a leak */
    acct_trend_in_t offset = in;
    offset.long_total_growth = -100;
    CHECK_EQ_I(acct_trend_decide(&offset, &out), 0);
    CHECK_EQ_I(out.site_growing, 1);
    CHECK_EQ_I(out.total_agrees, 0);
    /* many sites tested: the same evidence falls short of the corrected level */
    acct_trend_in_t many = {9, 0, 8, 0, 4e6, 1e11, 2e6, 4000000, 2000000, 1 << 20, 100, 1, 0};
    CHECK_EQ_I(acct_trend_decide(&many, &out), 0);
    many.tested = 1;
    CHECK_EQ_I(acct_trend_decide(&many, &out), 1);
    /* grew earlier, flat lately (a cache that filled): not a leak */
    acct_trend_in_t filled = {300, 10, 40, 42, 8e6, 1e12, 0, 8000000, 0, 1 << 20, 3, 1, 0};
    CHECK_EQ_I(acct_trend_decide(&filled, &out), 0);
    filled.was_leaking = 1; /* a leaking site whose recent window stopped growing stops */
    CHECK_EQ_I(acct_trend_decide(&filled, &out), 0);
    /* growth below the least growth called a leak */
    acct_trend_in_t small = in;
    small.long_growth = 5e5;
    CHECK_EQ_I(acct_trend_decide(&small, &out), 0);
    small.was_leaking = 1; /* hysteresis: a leaking site stays so while it still grows */
    CHECK_EQ_I(acct_trend_decide(&small, &out), 1);
}

TEST(csv_columns)
{
    /* the time series' columns are FL_MEM_BYTES' names, in order, and parse back by name */
    acct_figures_t f, g;
    memset(&f, 0, sizeof f);
    f.t = 1.5;
    f.requested = 100;
    f.rss = 4096;
    f.slab_frag_bytes = -1;
    f.usable = 128;
    f.allocs = 7;
    char head[512], line[512];
    acct_csv_header(head, sizeof head);
    CHECK(!strncmp(head, "t_s,requested,allocated,", 24));
    int col = 1;
#define CHECK_COLUMN_(field, col_name, doc) CHECK(!strcmp(acct_columns[col++].name, col_name));
    FL_MEM_BYTES(CHECK_COLUMN_)
#undef CHECK_COLUMN_
    acct_csv_line(line, sizeof line, &f);
    int map[64];
    int n = acct_csv_map(head, map);
    CHECK_EQ_I(n, acct_ncolumns);
    CHECK_EQ_I(acct_csv_parse(line, map, n, &g), 0);
    CHECK(g.t == 1.5 && g.requested == 100 && g.rss == 4096 && g.usable == 128 && g.allocs == 7);
    CHECK(g.slab_frag_bytes == -1);
    /* an older file without some columns: those figures are unknown */
    CHECK_EQ_I(acct_csv_map("t_s,requested,rss\n", map), 3);
    CHECK_EQ_I(acct_csv_parse("2.0,10,20\n", map, 3, &g), 0);
    CHECK(g.requested == 10 && g.rss == 20 && g.allocated == -1);
    CHECK_EQ_I(acct_csv_map("requested,rss\n", map), -1);
    CHECK(fabs(acct_ratio(&f, "rss/requested") - 40.96) < 1e-9);
    CHECK(acct_ratio(&f, "nosuch/requested") < 0);
}

/* The sampling chance and distance by their series stay within 1e-10 of libm's (relative):
 * the weights s/p and the exponential distances they give are unbiased to that precision. */
TEST(sampling_arithmetic)
{
    double worst = 0;
    for (double x = 1e-9; x < 8; x *= 1.001) {
        double want = -expm1(-x), err = fabs(acct_sample_prob(x) - want) / want;
        worst = err > worst ? err : worst;
    }
    CHECK(worst < 1e-10);
    worst = 0;
    uint64_t r = 88172645463325252ull;
    for (int i = 0; i < 2000000; i++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        double u = ((double)(r >> 11) + 0.5) * (1.0 / 9007199254740992.0); /* as sample.c draws */
        double want = -log(u), err = fabs(acct_neg_log(u) - want) / want;
        worst = err > worst ? err : worst;
    }
    static const double edges[] = {0x1p-54,    0x1p-53,  0.5,          0.70710678,
                                   0.70710679, 0.999999, 1.0 - 0x1p-53};
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        double want = -log(edges[i]), err = fabs(acct_neg_log(edges[i]) - want) / want;
        worst = err > worst ? err : worst;
    }
    CHECK(worst < 1e-10);
}

/* 64-bit glibc's chunk for a request: the request and its 8-byte header rounded up to 16, at
 * least 32, or 16 more when splitting them off a free chunk would leave less than a least
 * chunk. acct_glibc_slack_max must bound every (usable - request) it can give, and be reached
 * (a looser bound would widen every requested-bytes error bound for nothing). */
TEST(glibc_slack_bound)
{
    enum { MAX_REQ = 8192 };
    static uint64_t worst[(MAX_REQ + 64) / 8];
    memset(worst, 0, sizeof worst);
    for (uint64_t req = 0; req <= MAX_REQ; req++) {
        uint64_t nb = (req + 8 + 15) & ~(uint64_t)15;
        if (nb < 32)
            nb = 32;
        for (uint64_t extra = 0; extra <= 16; extra += 16) {
            uint64_t usable = nb + extra - 8;
            CHECK(usable >= req);
            CHECK(usable - req <= acct_glibc_slack_max(usable));
            if (usable - req > worst[usable / 8])
                worst[usable / 8] = usable - req;
        }
    }
    CHECK_EQ_U(acct_glibc_slack_max(24), 24);
    CHECK_EQ_U(acct_glibc_slack_max(40), 40);
    for (uint64_t usable = 24; usable <= MAX_REQ; usable += 16)
        CHECK_EQ_U(worst[usable / 8], acct_glibc_slack_max(usable));
}

int main(void)
{
    RUN(options);
    RUN(buckets);
    RUN(size_keys);
    RUN(verdicts);
    RUN(trace_roundtrip);
    RUN(sign_test);
    RUN(trend_decisions);
    RUN(csv_columns);
    RUN(sampling_arithmetic);
    RUN(glibc_slack_bound);
    return TEST_REPORT();
}
