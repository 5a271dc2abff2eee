#!/usr/bin/env bash
# The full flatline-bench run behind docs/evaluation.md: every workload (the synthetic ones and
# bench/stress's programs, the threaded ones at 1, 2, 4 and 8 threads) under glibc, jemalloc,
# tcmalloc, mimalloc, flatline (jemalloc + lifecycle arenas) and the store columns (db-churn
# through libflatline's namespace store, its active defragmentation off and on), plus the
# replay of a trace recorded from a real server under redis-benchmark (flatline-server by
# default, recorded by flatline-acct --trace); then the option sweeps of jemalloc, tcmalloc and
# mimalloc at the quick scale. A benchmark, not a test: about 40 minutes on 2 shared cores
# (QUICK=1: a few minutes).
#
#   bench/allocator-matrix.sh                 # full run into docs/evaluation/ and the sweeps
#                                             # into docs/evaluation-sweep-<allocator>/
#   OUT=/tmp/quick QUICK=1 bench/allocator-matrix.sh   # flatline-bench --quick: a few minutes
#
# Environment: BUILD (default build), OUT (default docs/evaluation), SCALE (1), TIME_SCALE (1),
# REPEATS (3), TAIL_REPEATS (1: only the first repeat waits for the +10 s and +30 s
# checkpoints), TRACE (a trace to replay; recorded there when the file does not exist yet, else
# in a temporary file), TRACE_PROGRAM (flatline: flatline-server with 2 worker threads, the
# default; redis: Debian's redis-server), REQUESTS (redis-benchmark requests per phase, 150000;
# a tenth with QUICK=1), QUICK (1: flatline-bench --quick's defaults, SCALE etc. unset unless
# given), SWEEPS (the allocators to sweep, "jemalloc tcmalloc mimalloc"; empty: none),
# SWEEP_WORKLOADS (db-churn,server-larson,rptest; the stress rows at 4 threads), WORKLOADS (the
# matrix's workloads, default all; e.g. WORKLOADS=replay TRACE_PROGRAM=redis SWEEPS= replays
# redis-server alone).
#
# Recording the trace by hand (what record_trace below does):
#   flatline-acct --quiet --no-plot --out DIR --trace server.trace -- \
#       flatline-server --bind 127.0.0.1 --port PORT --threads 2 &
#   redis-benchmark -p PORT -q -c 20 -P 8 -t set -n 150000 -r 100000 -d 64   # then -d 700,
#   # LPUSH, DEL of nine keys in ten, GET; then: redis-cli -p PORT shutdown nosave
set -euo pipefail
source "$(dirname "$0")/lib.sh"
root="$BENCH_ROOT"
build="${BUILD:-$root/build}"
out="${OUT:-$root/docs/evaluation}"
quick="${QUICK:-0}"
requests="${REQUESTS:-$([[ "$quick" == 1 ]] && echo 15000 || echo 150000)}"
program="${TRACE_PROGRAM:-flatline}"
sweeps="${SWEEPS-jemalloc tcmalloc mimalloc}"
# Explicit settings go to flatline-bench as options; --quick only changes the defaults.
opts=(--repeats "${REPEATS:-3}" --tail-repeats "${TAIL_REPEATS:-1}" --scale "${SCALE:-1}"
      --time-scale "${TIME_SCALE:-1}")
if [[ "$quick" == 1 ]]; then
    opts=(--quick)
    [[ -n "${REPEATS:-}" ]] && opts+=(--repeats "$REPEATS")
    [[ -n "${TAIL_REPEATS:-}" ]] && opts+=(--tail-repeats "$TAIL_REPEATS")
    [[ -n "${SCALE:-}" ]] && opts+=(--scale "$SCALE")
    [[ -n "${TIME_SCALE:-}" ]] && opts+=(--time-scale "$TIME_SCALE")
fi
[[ -n "${WORKLOADS:-}" ]] && opts+=(--workloads "$WORKLOADS")
[[ "$program" == flatline || "$program" == redis ]] ||
    { echo "TRACE_PROGRAM is flatline or redis, not '$program'" >&2; exit 2; }

bench_build "$build" -DFLATLINE_WERROR=ON -- flatline-bench flatline-bench-runner \
    flatline-bench-runner-fl flatline-bench-runner-store flatline-acct flatline-server
bench="$build/src/bench/flatline-bench"
acct="$build/src/acct/flatline-acct"

tmp="$(mktemp -d)"
track_dir "$tmp"

# Records the allocation trace of a server ($program) through a database's life: load small
# values, overwrite them with larger ones (the size shift), push to lists, delete nine keys in
# ten, read the rest, then stop without saving.
record_trace() {
    local trace=$1 port server_pid
    need_tools redis-benchmark redis-cli
    port="$(free_port)"
    if [[ "$program" == flatline ]]; then
        "$acct" --quiet --no-plot --out "$tmp/acct" --trace "$trace" -- \
            "$build/src/server/flatline-server" --bind 127.0.0.1 --port "$port" --threads 2 \
            --dir "$tmp" --loglevel warning >"$tmp/server.log" 2>&1 &
    else
        need_tools redis-server
        "$acct" --quiet --no-plot --out "$tmp/acct" --trace "$trace" -- \
            redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
            --daemonize no --loglevel warning >"$tmp/server.log" 2>&1 &
    fi
    server_pid=$!
    track_pid "$server_pid"
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
    reap_pid "$server_pid" # flatline-acct writes the trace out after the server exits
    echo "recorded $(du -h "$trace" | cut -f1) of allocation trace from $program-server" >&2
}

trace="${TRACE:-$tmp/server.trace}"
[[ -s "$trace" ]] || record_trace "$trace"

rm -rf "$out/series" "$out/logs" "$out/plots"
"$bench" run "${opts[@]}" --trace "$trace" --out "$out"
# Keep what the report and plots use: every run's numbers (runs.csv), the first repeat's
# samples (the plotted curves); drop the other repeats' samples and the runners' logs.
rm -rf "$out/logs"
find "$out/series" -name '*-r[0-9]*.csv' ! -name '*-r1.csv' -delete
echo "report: $out/report.md; docs/evaluation.md quotes it" >&2

# The option sweeps, at the quick scale (each is 6-9 columns): the best setting per workload is
# in each report's "Best per workload", every setting against the defaults in plots/relative.svg.
for alloc in $sweeps; do
    sweep_out="${out%/}-sweep-$alloc"
    rm -rf "$sweep_out"
    "$bench" run --quick --sweep "$alloc" --threads 4 \
        --workloads "${SWEEP_WORKLOADS:-db-churn,server-larson,rptest}" --out "$sweep_out"
    rm -rf "$sweep_out/logs"
    echo "sweep of $alloc: $sweep_out/report.md" >&2
done
