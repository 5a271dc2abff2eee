/*
 * src/bench/allocators.h: the allocators flatline-bench compares, defined once. The driver's
 * matrix columns (bench_matrix.c), its --help and error messages (bench_main.c), the library
 * versions in the report (bench_report.c), `flatline-bench allocators` (which tests and the
 * dependency check read) and the runner's identification of what serves malloc
 * (runner_ident.c) all iterate this list.
 *
 *   X(name, lib, family, match, pkg, arenas, store, env, doc)
 *     name         the matrix column (--allocators)
 *     lib          file preloaded from the library directory; NULL = nothing (glibc)
 *     family       what must serve malloc in the runner ("glibc", "jemalloc", ...)
 *     match        the word in the path of malloc's library that names that family
 *     pkg          the Debian package that provides lib (listed in scripts/deps.d/)
 *     arenas       runs with lifecycle arenas (flatline-bench-runner-fl --arenas)
 *     store        NULL, or db-churn's records in libflatline's namespace store with its active
 *                  defragmentation "on" or "off" (flatline-bench-runner-store --store-defrag)
 *     env          the allocator's options for the run as environment assignments
 *                  ("NAME=value", several separated by spaces), or NULL
 *     doc          one line for --help
 */
#ifndef FLATLINE_BENCH_ALLOCATORS_H
#define FLATLINE_BENCH_ALLOCATORS_H

#define BENCH_ALLOCATORS(X)                                                                        \
    X("glibc", NULL, "glibc", "libc.so", "libc6", false, NULL, NULL,                               \
      "glibc's malloc, nothing preloaded")                                                         \
    X("jemalloc", "libjemalloc.so.2", "jemalloc", "jemalloc", "libjemalloc2", false, NULL, NULL,   \
      "jemalloc as Debian builds it")                                                              \
    X("jemalloc-bg", "libjemalloc.so.2", "jemalloc", "jemalloc", "libjemalloc2", false, NULL,      \
      "MALLOC_CONF=background_thread:true",                                                        \
      "jemalloc with its background purging threads (MALLOC_CONF=background_thread:true)")         \
    X("tcmalloc", "libtcmalloc_minimal.so.4", "tcmalloc", "tcmalloc", "libtcmalloc-minimal4",      \
      false, NULL, NULL, "gperftools' tcmalloc (minimal)")                                         \
    X("mimalloc", "libmimalloc.so.2", "mimalloc", "mimalloc", "libmimalloc2.0", false, NULL, NULL, \
      "Microsoft's mimalloc")                                                                      \
    X("flatline", "libjemalloc.so.2", "jemalloc", "jemalloc", "libjemalloc2", true, NULL, NULL,    \
      "lifecycle arenas on jemalloc, as flatline-server runs them (db-churn, server-larson)")      \
    X("store", "libjemalloc.so.2", "jemalloc", "jemalloc", "libjemalloc2", true, "off", NULL,      \
      "db-churn's records in libflatline's namespace store, active defragmentation off")           \
    X("store-defrag", "libjemalloc.so.2", "jemalloc", "jemalloc", "libjemalloc2", true, "on",      \
      NULL, "the same with the store's active defragmentation (its default policy) on")

#endif /* FLATLINE_BENCH_ALLOCATORS_H */
