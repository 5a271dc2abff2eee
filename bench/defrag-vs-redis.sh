#!/usr/bin/env bash
# bench/defrag-vs-redis.sh: memory given back after a mass delete, flatline-server (active
# defragmentation on Debian's stock jemalloc) next to Debian's redis-server, side by side on
# free 127.0.0.1 ports. A benchmark, not a test: it prints figures and draws a PNG.
#
#   1. Mass delete: load 1,000,000 keys (key:%012d, as redis-benchmark's __rand_int__) of 100 B
#      through `redis-cli --pipe`, delete 90 % of them at random (the same keys on both, one
#      pipelined DEL stream), then sample RSS (/proc/<pid>/status) every second for SECS s while
#      a light load (redis-benchmark -c 2: GETs, and SET ... XX overwrites that keep the key
#      count) keeps running. The figure, per second: memory per remaining key (RSS minus the
#      empty server's RSS, over the keys left) divided by memory per key when full.
#      Target: flatline <= 1.3 within 30 s.
#   2. Redis's memefficiency "active defrag eviction" scenario on fresh servers: a 100 MB limit
#      with eviction, 700,000 values of 150 B, then 170,000 of 300 B; allocator fragmentation
#      (active / allocated: Redis's allocator_frag_ratio, flatline's MEMORY STATS
#      allocator-fragmentation.ratio) sampled for EFF_SECS s. Both get the settings Redis's own
#      test uses (threshold-lower 5, ignore-bytes 2mb, cycle-min 65, cycle-max 75); Debian's
#      Redis refuses activedefrag. Target: flatline under 1.1 after defrag.
#   3. Cost: redis-benchmark (GET/SET, -c 20, no pipelining) against flatline right after a mass
#      delete of 1,000,000 keys, in a namespace with defrag off and in one with it on (the
#      defragmenter runs during the second), ROUNDS times alternating: requests/s and p99.
#      Target: at most 10 % fewer.
#
# Environment: BUILD (Release build dir, default build-defrag-bench), SECS (default 60),
# EFF_SECS (default 30), THREADS (flatline workers, default 2), PHASES (default "1 3 2"),
# ROUNDS (cost rounds, default 4),
# OUT (output dir, default /tmp/defrag-vs-redis: samples.csv, efficiency.csv, rss.png).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-defrag-bench}
SECS=${SECS:-60}
EFF_SECS=${EFF_SECS:-30}
THREADS=${THREADS:-2}
OUT=${OUT:-/tmp/defrag-vs-redis}
PHASES=${PHASES:-1 3 2}
ROUNDS=${ROUNDS:-4}
KEYS=1000000
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-benchmark redis-cli gnuplot python3
bench_build "$BUILD" -DCMAKE_BUILD_TYPE=Release -- flatline-server
mkdir -p "$OUT"

# RESP streams for `redis-cli --pipe` (mawk is fast enough: about 1 s per million commands).
# gen_set FIRST COUNT VALUE_BYTES PREFIX
gen_set() {
    awk -v first="$1" -v n="$2" -v vb="$3" -v pre="$4" 'BEGIN {
        v = sprintf("%" vb "s", ""); gsub(/ /, "x", v)
        for (i = first; i < first + n; i++) {
            k = sprintf("%s%012d", pre, i)
            printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n", length(k), k, vb, v
        }
    }'
}
# gen_del COUNT PREFIX: DEL of a random 90 % of keys 0..COUNT-1 (same seed: same keys each time)
gen_del() {
    awk -v n="$1" -v pre="$2" 'BEGIN {
        srand(42)
        for (i = 0; i < n; i++) if (rand() < 0.9) {
            k = sprintf("%s%012d", pre, i)
            printf "*2\r\n$3\r\nDEL\r\n$%d\r\n%s\r\n", length(k), k
        }
    }'
}
pipe_to() { # PORT DB: stdin -> server, quietly; fails loudly on errors
    local out
    out=$(redis-cli -p "$1" -n "$2" --pipe 2>&1)
    echo "$out" | grep -q 'errors: 0,' || { echo "redis-cli --pipe: $out" >&2; exit 1; }
}
# Light load: about 2 x 500 GETs and 2 x 100 SET XX per second on 2 connections.
light_load() {
    local port=$1 val
    val=$(printf '%100s' '' | tr ' ' y)
    while :; do
        redis-benchmark -p "$port" -c 2 -n 500 -r $KEYS -q GET key:__rand_int__ >/dev/null 2>&1 || true
        redis-benchmark -p "$port" -c 2 -n 100 -r $KEYS -q SET key:__rand_int__ "$val" XX >/dev/null 2>&1 || true
        sleep 0.4
    done
}
ns_field() { # PORT NAMESPACE FIELD: a field of flatline's INFO namespaces line
    redis-cli -p "$1" info namespaces | tr ',\r' '\n\n' | sed -n "/^ns_$2:/,\$p" |
        awk -F= -v f="$3" '$1 == f {print $2; exit}'
}

start_both() { # FLATLINE_ARGS... -- REDIS_ARGS...: fresh servers in FPID/FPORT, RPID/RPORT
    local fargs=()
    while [ "$1" != -- ]; do
        fargs+=("$1")
        shift
    done
    shift
    FPORT=$(free_port)
    start_flatline FPID "$SERVER" "$FPORT" "$OUT/flatline.log" --threads "$THREADS" "${fargs[@]}"
    RPORT=$(free_port)
    start_redis RPID "$RPORT" "$OUT/redis.log" "$@"
}

echo "flatline-server --threads $THREADS vs $(redis-server --version | cut -d' ' -f1-3,5)"
echo "machine: $(nproc) cores, shared by both servers and the clients; $(date -u +%FT%TZ)"
echo

start_both --namespace.nodefrag.defrag-pct 0 --namespace.costns.defrag-pct 10 --

# ---- 1. Mass delete ----------------------------------------------------------------------------
if [[ " $PHASES " == *" 1 "* ]]; then
echo "== 1. mass delete: $KEYS keys of 100 B, 90 % deleted at random, RSS every second for ${SECS}s"
printf 'redis CONFIG SET activedefrag yes: %s\n' \
    "$(redis-cli -p "$RPORT" config set activedefrag yes 2>&1 | head -c 200 | tr '\n' ' ')"
declare -A empty full left
for s in flatline redis; do
    port=$FPORT pid=$FPID
    [ $s = redis ] && port=$RPORT pid=$RPID
    empty[$s]=$(rss_kb "$pid")
    gen_set 0 $KEYS 100 key: | pipe_to "$port" 0
    sleep 1
    full[$s]=$(rss_kb "$pid")
done
for s in flatline redis; do
    port=$FPORT
    [ $s = redis ] && port=$RPORT
    gen_del $KEYS key: | pipe_to "$port" 0
    left[$s]=$(redis-cli -p "$port" dbsize)
done
for s in flatline redis; do
    printf '  %-9s empty %7d kB  full %8d kB (%.1f B/key)  keys left %d\n' $s "${empty[$s]}" \
        "${full[$s]}" "$(awk -v a="${full[$s]}" -v b="${empty[$s]}" -v k=$KEYS 'BEGIN {print (a - b) * 1024 / k}')" \
        "${left[$s]}"
done
light_load "$FPORT" &
bg=($!)
track_pid $!
light_load "$RPORT" &
bg+=($!)
track_pid $!

ratio() { # RSS_KB SERVER -> memory per remaining key / memory per key when full
    awk -v r="$1" -v e="${empty[$2]}" -v f="${full[$2]}" -v l="${left[$2]}" -v k=$KEYS \
        'BEGIN {printf "%.2f", ((r - e) / l) / ((f - e) / k)}'
}
echo "t_s,flatline_rss_kb,flatline_ratio,redis_rss_kb,redis_ratio,flatline_defrag_running,flatline_defrag_moves" >"$OUT/samples.csv"
printf '\n  %4s %12s %8s %12s %8s %7s %10s\n' t "flatline kB" ratio "redis kB" ratio defrag moves
t0=$(date +%s.%N)
first_ok=-1
for t in $(seq 0 "$SECS"); do
    fr=$(rss_kb "$FPID")
    rr=$(rss_kb "$RPID")
    fq=$(ratio "$fr" flatline)
    rq=$(ratio "$rr" redis)
    run=$(ns_field "$FPORT" default defrag_running)
    mv=$(ns_field "$FPORT" default defrag_moves)
    printf '  %4d %12d %8s %12d %8s %7s %10s\n' "$t" "$fr" "$fq" "$rr" "$rq" "$run" "$mv"
    echo "$t,$fr,$fq,$rr,$rq,$run,$mv" >>"$OUT/samples.csv"
    if [ "$first_ok" -lt 0 ] && awk -v q="$fq" 'BEGIN {exit !(q <= 1.3)}'; then first_ok=$t; fi
    [ "$t" = 30 ] && { f30=$fq; r30=$rq; }
    # next sample one second after the previous one started
    sleep "$(awk -v t0="$t0" -v t="$t" -v now="$(date +%s.%N)" 'BEGIN {d = t0 + t + 1 - now; print (d > 0 ? d : 0)}')"
done
for p in "${bg[@]}"; do stop_pid "$p"; done
echo
echo "  memory per remaining key / memory per key when full:"
echo "    at 30 s: flatline ${f30:-n/a}, redis ${r30:-n/a};  at ${SECS} s: flatline $fq, redis $rq"
echo "    flatline first at or below 1.3 after ${first_ok} s (target: within 30 s; -1 = never)"
echo "  flatline INFO namespaces (default):"
redis-cli -p "$FPORT" info namespaces | tr -d '\r' | grep '^ns_default:' | tr ',' '\n' |
    grep -E '^defrag_' | paste -sd' ' | fold -s -w 96 | sed 's/^/    /'
gnuplot <<EOF
set terminal png size 900,500
set output '$OUT/rss.png'
set datafile separator ','
set title 'RSS after deleting 90 % of $KEYS keys (100 B values), light load running'
set xlabel 'seconds after the delete'
set ylabel 'RSS (MB)'
set key top right
plot '$OUT/samples.csv' using 1:(\$2/1024) skip 1 with lines lw 2 title 'flatline-server (active defrag)', \
     '' using 1:(\$4/1024) skip 1 with lines lw 2 title 'redis-server (Debian, no active defrag)'
EOF
echo "  samples: $OUT/samples.csv, plot: $OUT/rss.png"
fi

# ---- 3. Cost (same flatline server: namespaces nodefrag = db 2 and costns = db 3) ----------------
if [[ " $PHASES " == *" 3 "* ]]; then
echo
echo "== 3. cost: redis-benchmark -c 20 -t get,set -d 100 -r $KEYS -n 200000 right after a mass"
echo "   delete of $KEYS keys, namespace without defrag vs with it, $ROUNDS rounds alternating"
: >"$OUT/cost.txt"
for round in $(seq "$ROUNDS"); do
    for db in 2 3; do
        name=nodefrag
        [ $db = 3 ] && name=costns
        redis-cli -p "$FPORT" -n $db flushdb >/dev/null
        gen_set 0 $KEYS 100 key: | pipe_to "$FPORT" $db
        gen_del $KEYS key: | pipe_to "$FPORT" $db
        m0=$(ns_field "$FPORT" "$name" defrag_moves)
        redis-benchmark -p "$FPORT" --dbnum $db -c 20 -t get,set -d 100 -r $KEYS -n 200000 --csv 2>/dev/null |
            awk -F, -v ns=$name -v r="$round" 'NR > 1 {gsub(/"/, ""); print r, ns, $1, $2, $7}' >>"$OUT/cost.txt"
        m1=$(ns_field "$FPORT" "$name" defrag_moves)
        echo "  round $round $name: $(awk -v r="$round" -v ns=$name '$1 == r && $2 == ns {printf "%s %.0f rps p99 %s ms  ", $3, $4, $5}' "$OUT/cost.txt") defrag moves $((m1 - m0))"
    done
done
awk '{rps[$2 " " $3] += $4; p99[$2 " " $3] += $5; n[$2 " " $3]++}
    END {
        for (t in n) split(t, x, " ")
        split("SET GET", tests, " ")
        for (i = 1; i <= 2; i++) {
            t = tests[i]; off = "nodefrag " t; on = "costns " t
            printf "  %s: mean %.0f rps without defrag, %.0f with (ratio %.3f); mean p99 %.3f ms vs %.3f ms\n",
                t, rps[off] / n[off], rps[on] / n[on], (rps[on] / n[on]) / (rps[off] / n[off]),
                p99[off] / n[off], p99[on] / n[on]
        }
    }' "$OUT/cost.txt"
fi

# ---- 2. Redis's memefficiency eviction scenario -------------------------------------------------
if [[ " $PHASES " == *" 2 "* ]]; then
stop_pid "$FPID"
stop_pid "$RPID"
echo
echo "== 2. eviction scenario: limit 100mb, 700000 x 150 B then 170000 x 300 B"
start_both --namespace.default.memory-limit 100mb --namespace.default.defrag-pct 5 \
    --namespace.default.defrag-ignore-bytes 2mb --namespace.default.defrag-cycle-min 65 \
    --namespace.default.defrag-cycle-max 75 -- --maxmemory 100mb --maxmemory-policy allkeys-lru
redis-cli -p "$RPORT" config set active-defrag-threshold-lower 5 >/dev/null 2>&1 || true
redis-cli -p "$RPORT" config set active-defrag-ignore-bytes 2mb >/dev/null 2>&1 || true
redis-cli -p "$RPORT" config set activedefrag yes >/dev/null 2>&1 || true
for port in "$FPORT" "$RPORT"; do
    gen_set 0 700000 150 asdf1: | pipe_to "$port" 0
    gen_set 0 170000 300 asdf2: | pipe_to "$port" 0
done
fstat() { redis-cli -p "$FPORT" memory stats | awk 'p {print; exit} $0 == "allocator-fragmentation.ratio" {p = 1}'; }
rstat() { redis-cli -p "$RPORT" info memory | tr -d '\r' | awk -F: '$1 == "allocator_frag_ratio" {print $2}'; }
echo "t_s,flatline_allocator_frag,redis_allocator_frag" >"$OUT/efficiency.csv"
printf '  keys: flatline %s, redis %s\n' "$(redis-cli -p "$FPORT" dbsize)" "$(redis-cli -p "$RPORT" dbsize)"
printf '  %4s %18s %18s\n' t "flatline frag" "redis frag"
for t in $(seq 0 "$EFF_SECS"); do
    f=$(fstat)
    r=$(rstat)
    echo "$t,$f,$r" >>"$OUT/efficiency.csv"
    if [ $((t % 5)) = 0 ] || [ "$t" = "$EFF_SECS" ]; then printf '  %4d %18s %18s\n' "$t" "$f" "$r"; fi
    sleep 1
done
echo "  allocator fragmentation after ${EFF_SECS} s: flatline $f (target < 1.1), redis $r"
echo "  flatline namespace: $(ns_field "$FPORT" default holes_ratio) holes ratio (namespace arena active/allocated)"
fi
