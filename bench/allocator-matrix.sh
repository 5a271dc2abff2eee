#!/usr/bin/env bash
# The full flatline-bench run behind docs/evaluation.md: every workload (the synthetic ones and
# bench/stress's programs, the threaded ones at 1, 2, 4 and 8 threads) under glibc, jemalloc,
# tcmalloc, mimalloc and flatline (jemalloc + lifecycle arenas), plus the replay of a trace
# recorded from a real program (redis-server under redis-benchmark, recorded by
# flatline-acct --trace). A benchmark, not a test: it takes about 15-20 minutes on 2 cores.
#
#   bench/allocator-matrix.sh                 # full run into docs/evaluation/
#   OUT=/tmp/quick QUICK=1 bench/allocator-matrix.sh   # flatline-bench --quick: a few minutes
#
# Environment: BUILD (default build), OUT (default docs/evaluation), SCALE (1), TIME_SCALE (1),
# REPEATS (3), TAIL_REPEATS (1: only the first repeat waits for the +10 s and +30 s checkpoints,
# which keeps the run under 15 minutes), TRACE (a trace to replay; recorded there when the file
# does not exist yet, else in a temporary file), REQUESTS (redis-benchmark requests per phase,
# 150000), QUICK (1: flatline-bench --quick's defaults, SCALE etc. unset unless given).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
root="$BENCH_ROOT"
build="${BUILD:-$root/build}"
out="${OUT:-$root/docs/evaluation}"
requests="${REQUESTS:-150000}"
# Explicit settings go to flatline-bench as options; --quick only changes the defaults.
opts=(--repeats "${REPEATS:-3}" --tail-repeats "${TAIL_REPEATS:-1}" --scale "${SCALE:-1}"
      --time-scale "${TIME_SCALE:-1}")
if [[ "${QUICK:-0}" == 1 ]]; then
    opts=(--quick)
    [[ -n "${REPEATS:-}" ]] && opts+=(--repeats "$REPEATS")
    [[ -n "${TAIL_REPEATS:-}" ]] && opts+=(--tail-repeats "$TAIL_REPEATS")
    [[ -n "${SCALE:-}" ]] && opts+=(--scale "$SCALE")
    [[ -n "${TIME_SCALE:-}" ]] && opts+=(--time-scale "$TIME_SCALE")
fi

bench_build "$build" -DFLATLINE_WERROR=ON -- flatline-bench flatline-bench-runner \
    flatline-bench-runner-fl flatline-acct # flatline-bench depends on bench/stress's programs
bench="$build/src/bench/flatline-bench"
acct="$build/src/acct/flatline-acct"

tmp="$(mktemp -d)"
track_dir "$tmp"

trace="${TRACE:-$tmp/redis.trace}"
if [[ ! -s "$trace" ]]; then
    # Record redis-server (a real multi-threaded server) through a database's life: load small
    # values, overwrite them with larger ones (the size shift), delete most keys, then stop.
    need_tools redis-server redis-benchmark redis-cli python3
    port="$(free_port)"
    "$acct" --quiet --no-plot --out "$tmp/acct" --trace "$trace" -- \
        redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
        --daemonize no --loglevel warning >"$tmp/redis.log" 2>&1 &
    redis_pid=$!
    track_pid "$redis_pid"
    wait_ping "$port"
    rb() { redis-benchmark -h 127.0.0.1 -p "$port" -q -c 20 -P 8 "$@" >/dev/null; }
    rb -t set -n "$requests" -r 100000 -d 64
    rb -t set -n "$requests" -r 100000 -d 700
    rb -t lpush -n "$requests" -r 1000 -d 64
    # Delete nine keys in ten ("key:000000000017" style names from redis-benchmark -r).
    redis-cli -p "$port" --scan --pattern 'key:*' | awk 'NR % 10 != 0' |
        xargs -n 500 redis-cli -p "$port" del >/dev/null
    rb -t get -n "$((requests / 3))" -r 100000
    redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true
    reap_pid "$redis_pid" # flatline-acct writes the trace out after redis-server exits
    echo "recorded $(du -h "$trace" | cut -f1) of allocation trace from redis-server" >&2
fi

rm -rf "$out/series" "$out/logs" "$out/plots"
"$bench" run "${opts[@]}" --trace "$trace" --out "$out"
# Keep what the report and plots use: every run's numbers (runs.csv), the first repeat's
# samples (the plotted curves); drop the other repeats' samples and the runners' logs.
rm -rf "$out/logs"
find "$out/series" -name '*-r[0-9]*.csv' ! -name '*-r1.csv' -delete
echo "report: $out/report.md; docs/evaluation.md quotes it" >&2
