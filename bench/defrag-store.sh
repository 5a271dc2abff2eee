#!/usr/bin/env bash
# bench/defrag-store.sh: active defragmentation measured on the store alone (no network), in
# three scenarios, each with defrag off and on (or idle/busy phases) in one run:
#   1. mass delete: 1,000,000 keys of 100 B, 90 % deleted at random, RSS sampled every second
#      while a light load runs; the figure: memory per remaining key over memory per key when
#      full (RSS minus the empty store's RSS). Target <= 1.3 within 30 s.
#   2. Redis's memefficiency eviction scenario: limit 100 MB, 700,000 x 150 B then
#      170,000 x 300 B; allocator fragmentation (active/allocated) of the namespace arena.
#      Target < 1.1 after defrag.
#   3. cost: GET/SET flat out on 2 threads while the defragmenter alternates idle and busy
#      phases at 10 % (the default cycle-max) and 25 % (Redis's) of a CPU: ops/s ratio and p99
#      (target: at most 10 % throughput), 3 runs each.
# A benchmark, not a test: on a shared machine compare columns of one run.
#   usage: bench/defrag-store.sh [seconds of sampling (default 30)]
#   env:   BUILD=<build dir> (default build-defrag-bench, a Release build)
set -euo pipefail
source "$(dirname "$0")/lib.sh"
build="${BUILD:-$BENCH_ROOT/build-defrag-bench}"
secs="${1:-30}"
bench_build "$build" -DCMAKE_BUILD_TYPE=Release -- flatline-defrag-bench
bin="$build/src/store/flatline-defrag-bench"

echo "== 1. mass delete (defrag off, then on)"
"$bin" delete 1000000 "$secs" off | grep -E '^(#|RESULT)' | grep -v '^#   bin'
"$bin" delete 1000000 "$secs" on
echo
echo "== 2. Redis memefficiency eviction scenario (defrag off, then on)"
"$bin" efficiency 5 off | grep RESULT
"$bin" efficiency "$secs" on
echo
echo "== 3. throughput and p99 cost (3 runs, idle vs busy phases interleaved)"
for i in 1 2 3; do "$bin" cost 2 10 10; "$bin" cost 2 10 25; done
