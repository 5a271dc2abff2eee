#!/usr/bin/env bash
# bench/mem-microbench.sh: cost of an allocation + free pair through libflatline's shared arenas
# (explicit tcache) next to plain jemalloc malloc/free and MALLOCX_TCACHE_NONE, 16..4096 B.
# Prints a table and the ratio shared/plain (target: within 1.25x). A benchmark, not a test:
# numbers depend on the machine; compare the columns of one run, not runs with each other.
#   usage: bench/mem-microbench.sh [iterations per sample] [repetitions]
#   env:   BUILD=<build dir> (default build-mem-bench, a plain optimised build)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build="${BUILD:-$BENCH_ROOT/build-mem-bench}"
bench_build "$build" -DCMAKE_BUILD_TYPE=Release -- flatline-mem-microbench
exec "$build/src/mem/flatline-mem-microbench" "$@"
