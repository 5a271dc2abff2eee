#!/usr/bin/env bash
# bench/persist-vs-redis.sh: flatline's durability against Debian's redis-server 7.0, side by
# side on free 127.0.0.1 ports, each in its own scratch directory. Not a test: it prints
# figures and ratios measured in this one run.
#
#   1. throughput: redis-benchmark -P 16 -c 50 -t set -r 1000000 -d 100 -n N with persistence
#      off and with appendfsync no / everysec / always, for both servers; ratios to "off" and
#      flatline / redis per policy.
#   2. memory during a snapshot under writes: KEYS keys of 100 B, writers running
#      (redis-benchmark -t set over the same keys), then BGSAVE. Extra memory: flatline's
#      peak RSS during the snapshot minus its RSS just before (one process, no fork); Redis's
#      peak Private_Dirty of the fork child (/proc/PID/smaps_rollup: the pages copy-on-write
#      duplicated), sampled every 20 ms. As a share of the dataset (RSS growth of the load).
#   3. restart: SAVE, stop, start again on the dump: load time (each server's own log line)
#      and memory per key after the restart against before it.
#   4. every default test: redis-benchmark -q -n ALL_N (no -t: PING ... LPUSH, LPOP, SADD,
#      HSET, SPOP, ZADD, ZPOPMIN, LRANGE_*, MSET; one list grows by every LPUSH/RPUSH) against
#      flatline on its defaults (appendonly yes, appendfsync always: group commit) and Redis
#      with appendonly yes, appendfsync always; per test rps, flatline / redis, total time.
#
# Environment: BUILD (default build), N (default 1000000), KEYS (default 1000000),
# THREADS (flatline workers, default 2), ALL_N (default 100000), SECTIONS (default "1 2 3 4").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-1000000}
KEYS=${KEYS:-1000000}
THREADS=${THREADS:-2}
ALL_N=${ALL_N:-100000}
SECTIONS=${SECTIONS:-1 2 3 4}
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-benchmark redis-cli python3
[ -x "$SERVER" ] || bench_build "$BUILD" -- flatline-server
WORK=$(mktemp -d /tmp/flatline-persist-bench.XXXXXX)
track_dir "$WORK"

echo "flatline-server --threads $THREADS vs $(redis-server --version | cut -d' ' -f1-3)"
echo "machine: $(nproc) cores shared by both servers and redis-benchmark"
echo

rps() { # rps PORT ARGS...: SET requests per second
    local port=$1
    shift
    redis-benchmark -p "$port" --csv -t set "$@" 2>/dev/null | awk -F'","' '$1 == "\"SET" {print $2}'
}

# ---- 1. throughput by fsync policy ----
if [[ " $SECTIONS " == *" 1 "* ]]; then
printf 'throughput: redis-benchmark -P 16 -c 50 -t set -r 1000000 -d 100 -n %d\n' "$N"
printf '  %-9s %12s %12s %10s %10s %12s\n' policy "flatline" "redis" "fl/off" "redis/off" "fl/redis"
declare -A F R
for pol in off no everysec always; do
    d=$WORK/tp-$pol
    mkdir -p "$d/f" "$d/r"
    fopt=(--dir "$d/f") ropt=(--dir "$d/r")
    if [ $pol != off ]; then
        fopt+=(--appendonly yes --appendfsync $pol)
        ropt+=(--appendonly yes --appendfsync $pol)
    fi
    port=$(free_port)
    start_flatline fpid "$SERVER" "$port" /dev/null --threads "$THREADS" "${fopt[@]}"
    F[$pol]=$(rps "$port" -P 16 -c 50 -r 1000000 -d 100 -n "$N")
    stop_pid "$fpid"
    port=$(free_port)
    start_redis rpid "$port" /dev/null "${ropt[@]}"
    R[$pol]=$(rps "$port" -P 16 -c 50 -r 1000000 -d 100 -n "$N")
    stop_pid "$rpid"
    awk -v p=$pol -v f="${F[$pol]}" -v r="${R[$pol]}" -v fo="${F[off]}" -v ro="${R[off]}" \
        'BEGIN {printf "  %-9s %12.0f %12.0f %10.2f %10.2f %12.2f\n", p, f, r, f / fo, r / ro, f / r}'
done
echo "  (targets: flatline always >= 1/3 of flatline no; flatline always ahead of redis always)"
echo
fi

# ---- 2. memory during a snapshot under writes, 3. restart ----
if [[ " $SECTIONS " == *" 2 "* || " $SECTIONS " == *" 3 "* ]]; then
private_dirty_kb() { awk '/^Private_Dirty:/ {print $2}' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
load_keys() { redis-benchmark -p "$1" -q -t set -r "$KEYS" -n $((KEYS * 3)) -d 100 -P 16 -c 50 >/dev/null 2>&1; }

mkdir -p "$WORK/snap/f" "$WORK/snap/r"
fport=$(free_port)
start_flatline fpid "$SERVER" "$fport" "$WORK/snap/f.log" --threads "$THREADS" --dir "$WORK/snap/f" \
    --namespace.default.memory-limit 4gb
f0=$(rss_kb "$fpid")
load_keys "$fport"
f1=$(rss_kb "$fpid")
fkeys=$(redis-cli -p "$fport" dbsize)
rport=$(free_port)
start_redis rpid "$rport" "$WORK/snap/r.log" --dir "$WORK/snap/r"
r0=$(rss_kb "$rpid")
load_keys "$rport"
r1=$(rss_kb "$rpid")

# snapshot_under_writes PORT PID WHICH: prints "extra_kb seconds"
snapshot_under_writes() {
    local port=$1 pid=$2 which=$3 peak=0 base t0 t1 v child
    redis-benchmark -p "$port" -q -t set -r "$KEYS" -n $((KEYS * 20)) -d 100 -P 16 -c 20 >/dev/null 2>&1 &
    local wpid=$!
    track_pid $wpid
    sleep 2
    base=$(rss_kb "$pid")
    t0=$(date +%s.%N)
    redis-cli -p "$port" bgsave >/dev/null
    while :; do
        if [ "$which" = flatline ]; then
            v=$(( $(rss_kb "$pid") - base ))
        else
            child=$(pgrep -P "$pid" | head -1 || true)
            v=0
            [ -n "$child" ] && v=$(private_dirty_kb "$child")
        fi
        [ "$v" -gt "$peak" ] && peak=$v
        redis-cli -p "$port" info persistence | grep -q '^rdb_bgsave_in_progress:1' || break
        sleep 0.02
    done
    t1=$(date +%s.%N)
    stop_pid $wpid
    echo "$peak $(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.2f", b - a}')"
}
read -r fextra fsecs < <(snapshot_under_writes "$fport" "$fpid" flatline)
fheld=$(redis-cli -p "$fport" info persistence | tr -d '\r' | sed -n 's/^snapshot_last_peak_bytes://p')
read -r rextra rsecs < <(snapshot_under_writes "$rport" "$rpid" redis)
printf 'memory during BGSAVE under writes (%d keys of 100 B, redis-benchmark -c 20 -P 16 writing)\n' "$KEYS"
printf '  %-9s %14s %12s %14s %8s\n' server "dataset (RSS)" "extra" "extra/dataset" "seconds"
awk -v d=$((f1 - f0)) -v e="$fextra" -v s="$fsecs" 'BEGIN {printf "  %-9s %11d kB %9d kB %13.1f%% %8s\n", "flatline", d, e, 100 * e / d, s}'
awk -v d=$((r1 - r0)) -v e="$rextra" -v s="$rsecs" 'BEGIN {printf "  %-9s %11d kB %9d kB %13.1f%% %8s\n", "redis", d, e, 100 * e / d, s}'
echo "  flatline's own count of serialised bytes held at the peak: $fheld B"
echo "  (flatline: process RSS; redis: fork child's Private_Dirty; targets: flatline <= 10 %, < redis)"
echo

# ---- 3. restart ----
fbefore=$(rss_kb "$fpid")
fkeys=$(redis-cli -p "$fport" dbsize)
redis-cli -p "$fport" save >/dev/null
stop_pid "$fpid"
redis-cli -p "$rport" save >/dev/null
stop_pid "$rpid"
start_flatline fpid "$SERVER" "$fport" "$WORK/snap/f2.log" --threads "$THREADS" --dir "$WORK/snap/f" \
    --namespace.default.memory-limit 4gb --loglevel notice
fafter=$(rss_kb "$fpid")
fload=$(sed -n 's/.*Done loading: [0-9]* keys in \([0-9.]*\) seconds.*/\1/p' "$WORK/snap/f2.log")
start_redis rpid "$rport" "$WORK/snap/r2.log" --dir "$WORK/snap/r" --loglevel notice
rload=$(sed -n 's/.*DB loaded from disk: \([0-9.]*\) seconds.*/\1/p' "$WORK/snap/r2.log")
printf 'restart from dump.rdb (%d keys)\n' "$fkeys"
awk -v f="$fload" -v r="$rload" 'BEGIN {printf "  load time: flatline %.3f s, redis %.3f s, ratio %.2f (target <= 1.0)\n", f, r, f / r}'
awk -v b="$fbefore" -v a="$fafter" -v k="$fkeys" -v z="$f0" 'BEGIN {
    printf "  flatline memory per key (RSS above the empty server): before %.0f B, after restart %.0f B, ratio %.2f (target <= 1)\n",
        (b - z) * 1024 / k, (a - z) * 1024 / k, (a - z) / (b - z) }'
fi

# ---- 4. every default test of redis-benchmark, durable on both sides ----
if [[ " $SECTIONS " == *" 4 "* ]]; then
# all_tests PORT: "test rps" lines, then "total <seconds>"
all_tests() {
    local t0 t1
    t0=$(date +%s.%N)
    redis-benchmark -p "$1" -n "$ALL_N" --csv 2>/dev/null | awk -F'","' 'NR > 1 {gsub(/"/, ""); print $1 "\t" $2}'
    t1=$(date +%s.%N)
    awk -v a="$t0" -v b="$t1" 'BEGIN {printf "total\t%.1f\n", b - a}'
}
mkdir -p "$WORK/all/f" "$WORK/all/r"
port=$(free_port)
start_flatline fpid "$SERVER" "$port" /dev/null --threads "$THREADS" --dir "$WORK/all/f" \
    --appendonly yes --appendfsync always # flatline-server's defaults
all_tests "$port" >"$WORK/all/f.txt"
stop_pid "$fpid"
port=$(free_port)
start_redis rpid "$port" /dev/null --dir "$WORK/all/r" --appendonly yes --appendfsync always
all_tests "$port" >"$WORK/all/r.txt"
stop_pid "$rpid"
printf 'every default test: redis-benchmark -q -n %d (50 clients), appendonly yes, appendfsync always on both\n' "$ALL_N"
printf '  %-38s %12s %12s %9s\n' test "flatline" "redis" "fl/redis"
awk -F'\t' 'NR == FNR {r[$1] = $2; next}
    $1 != "total" && r[$1] {printf "  %-38s %12.0f %12.0f %9.2f\n", $1, $2, r[$1], $2 / r[$1]}' \
    "$WORK/all/r.txt" "$WORK/all/f.txt"
awk -F'\t' '$1 == "total" {print $2}' "$WORK/all/f.txt" "$WORK/all/r.txt" | paste - - |
    awk '{printf "  %-38s %11.1fs %11.1fs %9.2f (time: lower is better)\n", "whole run", $1, $2, $1 / $2}'
fi
