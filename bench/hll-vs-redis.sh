#!/usr/bin/env bash
# bench/hll-vs-redis.sh: the HyperLogLog commands of flatline-server against Debian's
# redis-server, side by side on free 127.0.0.1 ports, under the same redis-benchmark load
# (-P 16 -c 50). Not a test: it prints requests per second and their ratio.
#
#   PFADD dense     one random element per PFADD into one dense HLL
#   PFADD sparse    three fixed elements per PFADD into 100,000 random sparse HLLs
#   PFCOUNT 1 key   the dense HLL (its cached estimate, refreshed after each change)
#   PFCOUNT 3 keys  the union of the dense HLL and two sparse ones (nothing cached)
#   PFMERGE         the dense HLL and a sparse one into a destination
#
# Both servers run without persistence; flatline with --threads THREADS (default 2),
# redis-server single-threaded as Debian ships it. Environment: BUILD (default build),
# N (requests per PFADD test, default 400000; the others run N/4 or N/20), THREADS.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-400000}
THREADS=${THREADS:-2}
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-benchmark redis-cli
[ -x "$SERVER" ] || bench_build "$BUILD" -- flatline-server

FPORT=$(free_port)
start_flatline FPID "$SERVER" "$FPORT" /dev/null --threads "$THREADS"
RPORT=$(free_port)
start_redis RPID "$RPORT" /dev/null

# rps PORT N ARGS...: requests per second of one redis-benchmark command.
rps() {
    local port=$1 n=$2
    shift 2
    redis-benchmark -p "$port" --csv -P 16 -c 50 -n "$n" "$@" 2>/dev/null |
        awk -F'","' 'NR == 2 {print $2}'
}

echo "flatline-server --threads $THREADS (port $FPORT) vs $(redis-server --version | cut -d' ' -f1-3) (port $RPORT)"
echo "machine: $(nproc) cores; both servers and redis-benchmark share them"
for port in "$FPORT" "$RPORT"; do
    # shellcheck disable=SC2046
    redis-cli -p "$port" pfadd hll:dense $(seq 5000) >/dev/null
    redis-cli -p "$port" pfadd hll:a x y z >/dev/null
    redis-cli -p "$port" pfadd hll:b u v w >/dev/null
done
printf '  %-16s %14s %14s %8s\n' test "flatline rps" "redis rps" ratio
row() {
    local name=$1 n=$2 f r
    shift 2
    f=$(rps "$FPORT" "$n" "$@")
    r=$(rps "$RPORT" "$n" "$@")
    awk -v t="$name" -v f="$f" -v r="$r" 'BEGIN {printf "  %-16s %14.0f %14.0f %8.2f\n", t, f, r, f / r}'
}
row "PFADD dense" "$N" -r 100000000 pfadd hll:dense ele:__rand_int__
row "PFADD sparse" "$N" -r 100000 pfadd hll:__rand_int__ a b c
row "PFCOUNT 1 key" $((N / 4)) pfcount hll:dense
row "PFCOUNT 3 keys" $((N / 20)) pfcount hll:dense hll:a hll:b
row "PFMERGE" $((N / 20)) pfmerge hll:dest hll:dense hll:a
