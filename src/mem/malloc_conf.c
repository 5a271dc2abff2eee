/*
 * src/mem/malloc_conf.c: the jemalloc options flatline's own programs start with. Linked into
 * flatline-server and the store's benchmarks (target flatline_mem_conf), never into libflatline:
 * an application that links the library chooses its allocator's options itself (MALLOC_CONF
 * or its own malloc_conf). jemalloc reads this string before its first allocation; MALLOC_CONF
 * in the environment is read after it, so it still overrides any option here.
 *
 * slab_sizes:1-4096:4: every small size class up to 4 KiB gets slabs of 4 pages (16 KiB) where
 * jemalloc gives one to a few (jemalloc caps a slab at 512 regions, so the smallest classes
 * keep theirs). jemalloc keeps a 128-byte extent descriptor per slab in its arena's metadata
 * and never returns that memory, so small slabs cost per key at full size and, after a mass
 * delete, the peak's descriptors stay: 1M records of 128 B took 31,250 one-page slabs, 4 B
 * per key (after deleting 90 %, 43 B per remaining key); in 16 KiB slabs 1 B (11 B). Index
 * arrays outgrown during a load, freed whole slabs of 16 KiB, are reused for records' slabs
 * (with one-page record slabs and bigger index slabs the freed ones waited as dirty pages).
 * Measured with bench/keys-vs-redis.sh (RSS per key, 1M keys: 8 B values 46 -> 45, 32 B
 * 78 -> 77, 100 B 144 -> 142, 1000 B 1070 -> 1047) and flatline-defrag-bench delete (memory
 * per remaining key after a 90 % delete over memory per key when full: 1.39 -> 1.17); an idle
 * server's RSS does not change measurably (9.2 MB).
 */
#include <jemalloc/jemalloc.h>

const char *malloc_conf = "slab_sizes:1-4096:4";
