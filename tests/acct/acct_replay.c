/*
 * tests/acct/acct_replay.c: reads a trace with flatline/trace.h's reader, replays it in global
 * time order as the reader contract says (realloc: release at t, acquire at t + span; frees before
 * allocations at equal times), and checks:
 *   - every chunk and event decodes; no address is acquired twice without a release between;
 *   - the trace holds the threads and operations the workload used;
 *   - the live requested bytes at each checkpoint (file argv[2], from acct_traceprog) moved by
 *     exactly what the program itself counted, within a small allowance for libc's own
 *     allocations around thread creation.
 * Usage: acct_replay TRACE CHECKPOINTS [CURVE.csv]
 */
#include "../testhelper.h"

#include <fcntl.h>
#include <flatline/trace.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct ev {
    uint64_t t;
    int acquire; /* 0 release, 1 acquire */
    uint64_t addr, size;
} ev_t;

static ev_t *evs;
static size_t nev, cap_ev;

static void push(uint64_t t, int acquire, uint64_t addr, uint64_t size)
{
    if (nev == cap_ev) {
        cap_ev = cap_ev ? cap_ev * 2 : 1 << 16;
        evs = realloc(evs, cap_ev * sizeof *evs);
        if (!evs)
            exit(1);
    }
    evs[nev++] = (ev_t){t, acquire, addr, size};
}

static int by_time(const void *a, const void *b)
{
    const ev_t *x = a, *y = b;
    if (x->t != y->t)
        return x->t < y->t ? -1 : 1;
    return x->acquire - y->acquire; /* releases first */
}

/* address -> size, open addressing; size 0 marks a tombstone-free delete via backward shift */
#define MAPCAP (1u << 22)
static uint64_t *map_addr, *map_size;

static size_t slot(uint64_t a)
{
    return (size_t)((a * 0x9E3779B97F4A7C15ull) >> 40) & (MAPCAP - 1);
}

static int map_find(uint64_t a)
{
    for (size_t i = slot(a);; i = (i + 1) & (MAPCAP - 1)) {
        if (!map_addr[i])
            return -1;
        if (map_addr[i] == a)
            return (int)i;
    }
}

static void map_del(size_t i)
{
    size_t hole = i;
    for (size_t j = (i + 1) & (MAPCAP - 1); map_addr[j]; j = (j + 1) & (MAPCAP - 1)) {
        size_t home = slot(map_addr[j]);
        if ((j > hole && (home <= hole || home > j)) || (j < hole && home <= hole && home > j)) {
            map_addr[hole] = map_addr[j];
            map_size[hole] = map_size[j];
            hole = j;
        }
    }
    map_addr[hole] = 0;
}

static const char *trace_path, *cp_path, *curve_path;

TEST(replay)
{
    int fd = open(trace_path, O_RDONLY);
    CHECK(fd >= 0);
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    size_t len = (size_t)st.st_size;
    const uint8_t *buf = mmap(NULL, len ? len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
    CHECK(buf != MAP_FAILED);
    fl_trace_header_t h;
    CHECK_EQ_I(fl_trace_read_header(buf, len, &h), 0);
    CHECK_EQ_U(h.version, FL_TRACE_VERSION);

    size_t off = h.header_size;
    fl_trace_chunk_t c;
    fl_trace_event_t e;
    int rc;
    unsigned nchunks = 0, max_thread = 0, ops[8] = {0};
    while ((rc = fl_trace_next_chunk(buf, len, &off, &c)) == 1) {
        nchunks++;
        while ((rc = fl_trace_next_event(&c, &e)) == 1) {
            if (e.thread > max_thread)
                max_thread = e.thread;
            ops[e.op]++;
            switch (e.op) {
            case FL_TOP_MALLOC:
            case FL_TOP_CALLOC:
            case FL_TOP_MEMALIGN:
                push(e.t_ns, 1, e.addr, e.size);
                break;
            case FL_TOP_FREE:
                push(e.t_ns, 0, e.addr, 0);
                break;
            case FL_TOP_REALLOC:
                push(e.t_ns, 0, e.old_addr, 0);
                push(e.t_ns + e.span_ns, 1, e.addr, e.size);
                break;
            default:
                break;
            }
        }
        CHECK_EQ_I(rc, 0);
    }
    CHECK_EQ_I(rc, 0); /* clean end: no truncated chunk */
    fprintf(stderr,
            "trace: %u chunks, %zu replay events, threads 0..%u, malloc %u calloc %u "
            "memalign %u realloc %u free %u thread-end %u\n",
            nchunks, nev, max_thread, ops[FL_TOP_MALLOC], ops[FL_TOP_CALLOC], ops[FL_TOP_MEMALIGN],
            ops[FL_TOP_REALLOC], ops[FL_TOP_FREE], ops[FL_TOP_THREAD_END]);
    CHECK(max_thread >= 4); /* main + 4 workers */
    CHECK(ops[FL_TOP_THREAD_END] >= 4);
    CHECK(ops[FL_TOP_CALLOC] >= 1000 && ops[FL_TOP_MEMALIGN] >= 1000 &&
          ops[FL_TOP_REALLOC] >= 1000);

    qsort(evs, nev, sizeof *evs, by_time);
    map_addr = calloc(MAPCAP, sizeof *map_addr);
    map_size = calloc(MAPCAP, sizeof *map_size);
    CHECK(map_addr && map_size);

    FILE *cpf = fopen(cp_path, "r");
    CHECK(cpf != NULL);
    unsigned long long cpt[16];
    long long cpl[16];
    int ncp = 0;
    while (ncp < 16 && fscanf(cpf, "%llu %lld", &cpt[ncp], &cpl[ncp]) == 2)
        ncp++;
    fclose(cpf);
    CHECK_EQ_I(ncp, 5);

    FILE *curve = curve_path ? fopen(curve_path, "w") : NULL;
    int64_t liveb = 0, at_cp[16];
    unsigned unknown_frees = 0, double_acquire = 0;
    int k = 0;
    for (size_t i = 0; i <= nev; i++) {
        uint64_t abs_t = i < nev ? h.start_mono_ns + evs[i].t : UINT64_MAX;
        while (k < ncp && abs_t > cpt[k])
            at_cp[k++] = liveb;
        if (i == nev)
            break;
        int s = map_find(evs[i].addr);
        if (evs[i].acquire) {
            if (s >= 0) {
                double_acquire++;
                liveb -= (int64_t)map_size[s];
                map_del((size_t)s);
            }
            size_t j = slot(evs[i].addr);
            while (map_addr[j])
                j = (j + 1) & (MAPCAP - 1);
            map_addr[j] = evs[i].addr;
            map_size[j] = evs[i].size;
            liveb += (int64_t)evs[i].size;
        } else if (s >= 0) {
            liveb -= (int64_t)map_size[s];
            map_del((size_t)s);
        } else {
            unknown_frees++;
        }
        if (curve && i % 64 == 0)
            fprintf(curve, "%.6f,%lld\n", (double)evs[i].t / 1e9, (long long)liveb);
    }
    if (curve)
        fclose(curve);
    fprintf(stderr, "replay: %u frees of unknown blocks, %u double acquisitions\n", unknown_frees,
            double_acquire);
    CHECK_EQ_U(double_acquire, 0);
    for (int i = 1; i < ncp; i++) {
        long long want = cpl[i] - cpl[0], got = at_cp[i] - at_cp[0];
        fprintf(stderr, "checkpoint %d: program %lld bytes, replay %lld bytes\n", i, want, got);
        long long diff = got > want ? got - want : want - got;
        /* single-threaded phases are exact; thread creation lets libc allocate a little */
        CHECK(i < 3 ? diff == 0 : diff <= 16384);
    }
    munmap((void *)buf, len ? len : 1);
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: acct_replay TRACE CHECKPOINTS [CURVE.csv]\n");
        return 2;
    }
    trace_path = argv[1];
    cp_path = argv[2];
    curve_path = argc > 3 ? argv[3] : NULL;
    RUN(replay);
    return TEST_REPORT();
}
