#!/usr/bin/env bash
# tests/server/benchmark.sh: redis-benchmark, unmodified, against flatline-server: every test
# completes without an error reply, and the data it wrote is there afterwards (also through
# --dbnum, which SELECTs a namespace by index). Figures are not checked (see bench/).
. "$(dirname "$0")/lib.sh"
command -v redis-benchmark >/dev/null || { echo "skipped: redis-benchmark not installed"; exit 77; }
start_server --threads 2

out=$(timeout 100 redis-benchmark -p "$PORT" -q -n 20000 -c 20 -P 8 -t set,get,incr,hset,mset,ping 2>&1) ||
    fail "redis-benchmark failed: $out"
out=$(printf '%s' "$out" | tr '\r' '\n')
if printf '%s' "$out" | grep -q -i -E "error|warning"; then
    fail "redis-benchmark reported: $(printf '%s' "$out" | grep -i -E 'error|warning' | head -3)"
fi
for t in PING_INLINE PING_MBULK SET GET INCR HSET "MSET \(10 keys\)"; do
    printf '%s\n' "$out" | grep -q -E "^ *$t: [0-9.]+ requests per second" || fail "no result line for $t in: $out"
done
check "(integer) 3" strlen key:__rand_int__
check '"20000"' get counter:__rand_int__
check "(integer) 1" hexists myhash element:__rand_int__

# Random keys, larger values, 50 clients.
timeout 100 redis-benchmark -p "$PORT" -q -n 20000 -c 50 -P 16 -r 5000 -d 100 -t set >/dev/null 2>&1 ||
    fail "redis-benchmark -r failed"
n=$(redis-cli -p "$PORT" dbsize)
[ "$n" -gt 1000 ] && [ "$n" -le 5004 ] || fail "dbsize after -r 5000: $n"

# --dbnum 1 selects the second namespace.
timeout 60 redis-benchmark -p "$PORT" -q -n 2000 -c 5 --dbnum 1 -t set >/dev/null 2>&1 || fail "--dbnum 1 failed"
check "(integer) 3" -n 1 strlen key:__rand_int__
[ "$(info_field stats protocol_errors)" = 0 ] || fail "protocol errors during the benchmark"
finish
