#!/usr/bin/env bash
# bench/request-cost.sh: what one request costs flatline-server and Debian's redis-server 7.0.15,
# measured in units other work on the machine does not change: system calls, context switches
# and CPU time per request, and (CALLGRIND=1) user-space instructions per request. Not a test:
# it prints figures side by side for the same redis-benchmark load.
#
#   For each of SET and GET at -P 16 and -P 1 (redis-benchmark -c 50 -r 1000000 -d 100), on
#   servers loaded with the key space first:
#   - syscalls: read, write, epoll_wait, futex per request, counted by `perf stat` on the
#     server's tracepoints (needs perf and permission; left out otherwise);
#   - ctxsw: voluntary + involuntary context switches of the server's threads per request;
#   - cpu us: the server's user + system CPU time per request (/proc, 10 ms ticks: use N large
#     enough that a run takes seconds).
#   - CALLGRIND=1: both servers run again under valgrind's callgrind on a 100,000-key space and
#     print instructions per request (user space only; slow: N1 requests per test).
#
# Environment: BUILD (build dir, default build-rel, configured Release), N (requests per test,
# 200000), THREADS (flatline workers, 2), CALLGRIND (1: also instructions), N1 (requests per
# callgrind test, 50000).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-rel}
N=${N:-200000}
N1=${N1:-50000}
THREADS=${THREADS:-2}
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-benchmark redis-cli python3
[ -x "$SERVER" ] || bench_build "$BUILD" -DCMAKE_BUILD_TYPE=Release -DFLATLINE_DEBUG=OFF -- flatline-server
LOAD=(-r 1000000 -d 100 -c 50)

echo "flatline-server --threads $THREADS vs $(redis-server --version | cut -d' ' -f1-3)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

SYSCALLS=read,write,epoll_wait,futex
EVENTS=""
for s in ${SYSCALLS//,/ }; do EVENTS+="${EVENTS:+,}syscalls:sys_enter_$s"; done
PERF=0
if command -v perf >/dev/null && perf stat -e "$EVENTS" -o /dev/null true 2>/dev/null; then
    PERF=1
fi

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
switches() { cat /proc/"$1"/task/*/status | awk '/ctxt_switches/ {n += $2} END {print n}'; }

# measure PID PORT TEST P: one line of per-request figures.
measure() {
    local pid=$1 port=$2 test=$3 p=$4 out perf_pid=""
    out=$(mktemp)
    if [ "$PERF" = 1 ]; then
        # a background job ignores SIGINT unless it resets it: perf prints its counts on SIGINT
        (trap - INT; exec perf stat -x, -e "$EVENTS" -p "$pid" -o "$out") &
        perf_pid=$!
        sleep 0.3
    fi
    local t0 c0 t1 c1
    t0=$(cpu_ticks "$pid") c0=$(switches "$pid")
    redis-benchmark -p "$port" -t "$test" -P "$p" -n "$N" "${LOAD[@]}" -q >/dev/null
    t1=$(cpu_ticks "$pid") c1=$(switches "$pid")
    local counts=""
    if [ -n "$perf_pid" ]; then
        kill -INT "$perf_pid"
        wait "$perf_pid" || true
        counts=$(awk -F, -v n="$N" '$1 ~ /^[0-9]/ {printf " %9.3f", $1 / n}' "$out")
    fi
    rm -f "$out"
    local hz
    hz=$(getconf CLK_TCK)
    awk -v t="$test" -v p="$p" -v c="$counts" -v n="$N" -v ticks=$((t1 - t0)) -v hz="$hz" \
        -v sw=$((c1 - c0)) 'BEGIN {
        printf "%-4s -P %-2s%s %9.3f %9.2f\n", t, p, c, sw / n, ticks / hz * 1e6 / n }'
}

header() {
    local cols=""
    [ "$PERF" = 1 ] && for s in ${SYSCALLS//,/ }; do cols+=$(printf ' %9s' "$s"); done
    printf '  %-20s%s %9s %9s\n' "" "$cols" ctxsw "cpu us"
}

echo
echo "per request (redis-benchmark ${LOAD[*]}, $N requests per test; syscalls by perf stat$([ "$PERF" = 1 ] || echo ': not available'))"
header
for s in flatline redis; do
    port=$(free_port)
    if [ $s = flatline ]; then
        start_flatline pid "$SERVER" "$port" /dev/null --threads "$THREADS"
    else
        start_redis pid "$port" /dev/null
    fi
    redis-benchmark -p "$port" -t set -P 16 -n 1000000 "${LOAD[@]}" -q >/dev/null
    for p in 16 1; do
        for t in set get; do
            printf '  %-8s  %s\n' "$s" "$(measure "$pid" "$port" "$t" "$p")"
        done
    done
    stop_pid "$pid"
done

[ "${CALLGRIND:-0}" = 1 ] || exit 0
need_tools valgrind callgrind_control callgrind_annotate

# instructions PID PORT TEST P: user-space instructions per request of one callgrind run.
instructions() {
    local pid=$1 port=$2 test=$3 p=$4 dir=$5 f
    callgrind_control -z "$pid" >/dev/null 2>&1
    redis-benchmark -p "$port" -t "$test" -P "$p" -n "$N1" -r 100000 -d 100 -c 50 -q >/dev/null
    rm -f "$dir"/cg.*.*
    callgrind_control -d "$pid" >/dev/null 2>&1
    f=$(ls -t "$dir"/cg.*.* | head -1)
    callgrind_annotate "$f" 2>/dev/null |
        awk -v n="$N1" '/PROGRAM TOTALS/ {gsub(",", "", $1); printf "%.0f", $1 / n}'
}

echo
echo "instructions per request (callgrind, user space, 100000 keys, $N1 requests per test)"
printf '  %-10s %10s %10s %10s %10s\n' "" "SET -P 16" "GET -P 16" "SET -P 1" "GET -P 1"
for s in flatline redis; do
    dir=$(mktemp -d)
    track_dir "$dir"
    port=$(free_port)
    if [ $s = flatline ]; then
        valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" "$SERVER" --bind 127.0.0.1 \
            --port "$port" --loglevel warning --appendonly no --threads "$THREADS" >/dev/null 2>&1 &
    else
        valgrind --tool=callgrind --callgrind-out-file="$dir/cg.%p" redis-server --port "$port" \
            --bind 127.0.0.1 --save "" --appendonly no --loglevel warning >/dev/null 2>&1 &
    fi
    pid=$!
    track_pid "$pid"
    for _ in $(seq 600); do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && break
        sleep 0.1
    done
    redis-benchmark -p "$port" -t set -P 16 -n 100000 -r 100000 -d 100 -q >/dev/null
    # an idle connection keeps the server waking, so callgrind_control's requests are served
    redis-cli -p "$port" -i 0.05 -r 100000000 ping >/dev/null 2>&1 &
    keeper=$!
    track_pid "$keeper"
    row=""
    for p in 16 1; do
        for t in set get; do row+=$(printf ' %10s' "$(instructions "$pid" "$port" "$t" "$p" "$dir")"); done
    done
    printf '  %-10s%s\n' "$s" "$row"
    stop_pid "$keeper"
    stop_pid "$pid"
done
