/*
 * tests/acct/acct_unit.c: white-box tests of the accounting layer's pure parts (no preload, so
 * they run under ASan and TSan too): option parsing and bounds, size buckets, the verdict rules,
 * and a round trip through the trace format's encoder and reader.
 */
#include "../testhelper.h"

#include "acct_internal.h"

#include <errno.h>
#include <flatline/trace.h>

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

/* The hot path's branch-free bucket agrees with acct_bucket, and bucket plus extra give back the
 * usable size exactly (what makes live usable bytes exact without summing them). */
TEST(buckets_hot_path)
{
    size_t sizes[] = {0, 1, 7, 8, 9, 24, 1016, 1017, 1023, 1024, 1025, 4095, 4096, SIZE_MAX};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        uint64_t extra = 12345;
        unsigned b = acct_bucket_x(sizes[i], &extra);
        CHECK(b == acct_bucket(sizes[i]));
        CHECK(acct_bucket_implied(b) + extra == (uint64_t)sizes[i]);
    }
    for (size_t u = 0; u < (1u << 22); u += 1 + u / 64) {
        uint64_t extra;
        unsigned b = acct_bucket_x(u, &extra);
        CHECK(b == acct_bucket(u));
        CHECK(acct_bucket_implied(b) + extra == u);
        CHECK(extra == 0 || u % 8 != 0 || u > 1024); /* multiples of 8 to 1 KiB: all implied */
    }
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

int main(void)
{
    RUN(options);
    RUN(buckets);
    RUN(buckets_hot_path);
    RUN(verdicts);
    RUN(trace_roundtrip);
    return TEST_REPORT();
}
