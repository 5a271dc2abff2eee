#!/usr/bin/env bash
# bench/server-vs-redis.sh: flatline-server against Debian's redis-server, side by side on
# free 127.0.0.1 ports, under the same redis-benchmark load. Not a test: it prints figures.
#
#   1. memory per key: both servers fresh, load KEYS random keys with 100-byte values
#      (redis-benchmark -t set -r KEYS, about 3*KEYS requests), then
#      (RSS after - RSS before) / keys actually stored.
#   2. throughput: redis-benchmark -P 16 -c 50 -t set,get -r 1000000 -d 100 -n N against each.
#
# flatline-server runs with --threads THREADS (default 2); redis-server is single-threaded
# (io-threads 1), as Debian ships it. Environment: BUILD (build dir, default build),
# N (requests per test, default 2000000), KEYS (default 1000000), THREADS (default 2).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-2000000}
KEYS=${KEYS:-1000000}
THREADS=${THREADS:-2}
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-benchmark redis-cli python3
[ -x "$SERVER" ] || bench_build "$BUILD" -- flatline-server

FPORT=$(free_port)
start_flatline FPID "$SERVER" "$FPORT" /dev/null --threads "$THREADS" \
    --namespace.default.memory-limit 4gb
RPORT=$(free_port)
start_redis RPID "$RPORT" /dev/null

# rps PORT TEST ARGS...: requests per second of one redis-benchmark test (CSV output).
rps() {
    local port=$1 test=$2
    shift 2
    redis-benchmark -p "$port" --csv -t "$test" "$@" 2>/dev/null |
        awk -F'","' -v t="$(echo "$test" | tr a-z A-Z)" '$1 == "\"" t {print $2}'
}

echo "flatline-server --threads $THREADS (port $FPORT) vs $(redis-server --version | cut -d' ' -f1-3) (port $RPORT)"
echo "machine: $(nproc) cores; both servers and redis-benchmark share them"
echo

# 1. Memory per key.
declare -A before after keys
for s in flatline redis; do
    port=$FPORT pid=$FPID
    [ $s = redis ] && port=$RPORT pid=$RPID
    before[$s]=$(rss_kb "$pid")
    redis-benchmark -p "$port" -q -t set -r "$KEYS" -n $((KEYS * 3)) -d 100 -P 16 -c 50 >/dev/null 2>&1
    sleep 1
    after[$s]=$(rss_kb "$pid")
    keys[$s]=$(redis-cli -p "$port" dbsize)
done
printf 'memory: redis-benchmark -t set -r %d -n %d -d 100 -P 16 -c 50\n' "$KEYS" $((KEYS * 3))
printf '  %-10s %10s %14s %14s %12s\n' server keys "RSS before" "RSS after" "bytes/key"
for s in flatline redis; do
    bpk=$(( (after[$s] - before[$s]) * 1024 / keys[$s] ))
    printf '  %-10s %10d %12d kB %12d kB %12d\n' $s "${keys[$s]}" "${before[$s]}" "${after[$s]}" "$bpk"
    eval "bpk_$s=$bpk"
done
awk -v f="$bpk_flatline" -v r="$bpk_redis" 'BEGIN {printf "  memory per key, flatline / redis: %.2f (target <= 1)\n\n", f / r}'

# 2. Throughput (after the load, on the same data).
printf 'throughput: redis-benchmark -P 16 -c 50 -r 1000000 -d 100 -n %d\n' "$N"
printf '  %-6s %14s %14s %8s\n' test "flatline rps" "redis rps" ratio
for t in set get; do
    f=$(rps "$FPORT" $t -P 16 -c 50 -r 1000000 -d 100 -n "$N")
    r=$(rps "$RPORT" $t -P 16 -c 50 -r 1000000 -d 100 -n "$N")
    awk -v t="$t" -v f="$f" -v r="$r" 'BEGIN {printf "  %-6s %14.0f %14.0f %8.2f (target >= 1)\n", toupper(t), f, r, f / r}'
done
