#!/usr/bin/env bash
# bench/keys-vs-redis.sh: memory per key and string throughput of flatline-server next to
# Debian's redis-server 7.0.15, side by side in one run on free 127.0.0.1 ports. Not a test:
# it prints figures and ratios (flatline / redis).
#
#   1. memory per key: for each value size in SIZES, both servers fresh, exactly KEYS keys of
#      16 bytes ("key:%012d") with values of that size written through redis-cli --pipe; then
#      (RSS after - RSS before) / keys and (used_memory after - before) / keys, printed next to
#      the physical limit (key + value bytes). flatline's used_memory counts requested bytes,
#      Redis's counts its allocator's size classes (so RSS is the fairer of the two).
#   2. throughput: redis-benchmark -t set,get -r 1000000 -d D -c 50 at -P 16 and at -P 1 for
#      each D in DSIZES, ROUNDS rounds alternating between the servers; the median of each.
#
# Environment: BUILD (build dir, default build-rel, configured Release), KEYS (1000000),
# SIZES ("8 32 100 1000"), ROUNDS (3), N (requests per -P 16 run, 2000000), N1 (per -P 1 run,
# 200000), THREADS (flatline workers, 2), DSIZES (throughput value sizes, "100"),
# SKIP_MEMORY / SKIP_THROUGHPUT (1 to skip a part), VALUES (the memory part's values: "repeat",
# the default, an alphabet repeated, which flatline keeps LZF-compressed from 512 bytes; or
# "random": random bytes, one value per key, which nothing can compress), FLATLINE_ARGS (extra
# flatline-server options, e.g. "--namespace.default.string-compress-min 0": compression off).
# redis-benchmark's -d values are all 'x': the throughput part at -d 1000 measures compressed
# values (the price of compressing every SET and decompressing every GET). BASE_ARGS: when set,
# a second flatline-server with FLATLINE_ARGS then these options (e.g. compression off) joins
# the throughput rounds, and each row also prints flatline / that baseline.
# The sweep over values jemalloc's size classes round up the most (a single 1,030-byte record
# would take 1,280 bytes, 2,100 bytes 2,560), stored in two blocks by flatline:
#   KEYS=100000 SIZES="1000 1030 1100 1500 2100 5000" SKIP_THROUGHPUT=1 bench/keys-vs-redis.sh
#   DSIZES="100 1100" SKIP_MEMORY=1 bench/keys-vs-redis.sh
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-rel}
KEYS=${KEYS:-1000000}
SIZES=${SIZES:-"8 32 100 1000"}
ROUNDS=${ROUNDS:-3}
N=${N:-2000000}
N1=${N1:-200000}
THREADS=${THREADS:-2}
DSIZES=${DSIZES:-100}
VALUES=${VALUES:-repeat}
FLATLINE_ARGS=${FLATLINE_ARGS:-}
BASE_ARGS=${BASE_ARGS:-}
case $VALUES in repeat | random) ;; *) echo "VALUES must be repeat or random" >&2; exit 2 ;; esac
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-benchmark redis-cli python3
[ -x "$SERVER" ] || bench_build "$BUILD" -DCMAKE_BUILD_TYPE=Release -DFLATLINE_DEBUG=OFF -- flatline-server

echo "flatline-server --threads $THREADS $FLATLINE_ARGS vs $(redis-server --version | cut -d' ' -f1-3)"
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); servers and clients share them"
echo

# start NAME [OPTIONS...]: a fresh server (flatline with FLATLINE_ARGS, then OPTIONS); sets
# PORT and PID.
start() {
    PORT=$(free_port)
    if [ "$1" = flatline ]; then
        shift
        # shellcheck disable=SC2086
        start_flatline PID "$SERVER" "$PORT" /dev/null --threads "$THREADS" $FLATLINE_ARGS "$@"
    else
        start_redis PID "$PORT" /dev/null
    fi
}

used_memory() { redis-cli -p "$1" info memory | tr -d '\r' | sed -n 's/^used_memory:\([0-9]*\)$/\1/p'; }

# load PORT SIZE: KEYS SETs of 16-byte keys and SIZE-byte values (VALUES) through redis-cli
# --pipe. Random values come from one seed: both servers get the same bytes.
load() {
    python3 - "$KEYS" "$2" "$VALUES" <<'EOF' | redis-cli -p "$1" --pipe >/dev/null
import random, sys
keys, size, kind = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
val = (b"0123456789abcdefghijklmnopqrstuvwxyz" * (size // 36 + 1))[:size]
rng = random.Random(42)
out = sys.stdout.buffer
chunk = []
for i in range(keys):
    if kind == "random":
        val = rng.randbytes(size)
    tail = b"\r\n$%d\r\n%s\r\n" % (size, val)
    chunk.append(b"*3\r\n$3\r\nSET\r\n$16\r\nkey:%012d" % i + tail)
    if len(chunk) == 4096:
        out.write(b"".join(chunk))
        chunk = []
out.write(b"".join(chunk))
EOF
}

if [ "${SKIP_MEMORY:-0}" != 1 ]; then
    printf 'memory per key: %d keys of 16 B, %s values, redis-cli --pipe (bytes per key)\n' \
        "$KEYS" "$VALUES"
    printf '  %6s %9s | %9s %9s %6s | %9s %9s %6s\n' value physical "fl RSS" "redis RSS" ratio \
        "fl used" "redis used" ratio
    for size in $SIZES; do
        declare -A rss used
        for s in flatline redis; do
            start $s
            r0=$(rss_kb "$PID") u0=$(used_memory "$PORT")
            load "$PORT" "$size"
            sleep 1
            r1=$(rss_kb "$PID") u1=$(used_memory "$PORT")
            n=$(redis-cli -p "$PORT" dbsize)
            [ "$n" = "$KEYS" ] || { echo "$s holds $n keys, not $KEYS" >&2; exit 1; }
            rss[$s]=$(((r1 - r0) * 1024 / KEYS))
            used[$s]=$(((u1 - u0) / KEYS))
            stop_pid "$PID"
        done
        awk -v v="$size" -v fr="${rss[flatline]}" -v rr="${rss[redis]}" -v fu="${used[flatline]}" \
            -v ru="${used[redis]}" 'BEGIN {
            printf "  %6d %9d | %9d %9d %6.2f | %9d %9d %6.2f\n", v, v + 16, fr, rr, fr / rr, fu, ru, fu / ru }'
    done
    echo "  (target: ratio <= 0.70 at every size; the physical limit is key + value bytes)"
    echo
fi

# rps PORT TEST ARGS...: requests per second of one redis-benchmark test (CSV output).
rps() {
    local port=$1 test=$2
    shift 2
    redis-benchmark -p "$port" --csv -t "$test" "$@" 2>/dev/null |
        awk -F'","' -v t="$(echo "$test" | tr a-z A-Z)" '$1 == "\"" t {print $2}'
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }

if [ "${SKIP_THROUGHPUT:-0}" != 1 ]; then
    start flatline
    FPORT=$PORT
    start redis
    RPORT=$PORT
    BPORT=""
    if [ -n "$BASE_ARGS" ]; then
        # shellcheck disable=SC2086
        start flatline $BASE_ARGS
        BPORT=$PORT
        echo "baseline: flatline-server $FLATLINE_ARGS $BASE_ARGS"
    fi
    printf 'throughput: redis-benchmark -c 50 -r 1000000, median of %d alternating rounds\n' "$ROUNDS"
    printf '  %-18s %14s %14s %8s\n' test "flatline rps" "redis rps" ratio
    for d in $DSIZES; do
        for p in 16 1; do
            n=$N
            [ "$p" = 1 ] && n=$N1
            for t in set get; do
                f="" r="" b=""
                for ((i = 0; i < ROUNDS; i++)); do
                    f+=" $(rps "$FPORT" $t -P "$p" -c 50 -r 1000000 -d "$d" -n "$n")"
                    r+=" $(rps "$RPORT" $t -P "$p" -c 50 -r 1000000 -d "$d" -n "$n")"
                    [ -z "$BPORT" ] || b+=" $(rps "$BPORT" $t -P "$p" -c 50 -r 1000000 -d "$d" -n "$n")"
                done
                fm=$(echo "$f" | median) rm=$(echo "$r" | median)
                goal=">= 1.3"
                [ "$p" = 1 ] && goal=">= 1"
                awk -v t="$(echo $t | tr a-z A-Z) -P $p -d $d" -v f="$fm" -v r="$rm" -v g="$goal" -v fs="$f" -v rs="$r" 'BEGIN {
                    printf "  %-18s %14.0f %14.0f %8.2f (target %s; rounds flatline%s, redis%s)\n", t, f, r, f / r, g, fs, rs }'
                [ -z "$BPORT" ] || echo "$b" | median | awk -v f="$fm" -v bs="$b" '{
                    printf "  %-18s %14.0f %14s %8.2f (flatline / baseline; rounds baseline%s)\n", "  baseline", $1, "", f / $1, bs }'
            done
        done
    done
fi
