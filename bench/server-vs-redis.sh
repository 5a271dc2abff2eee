#!/usr/bin/env bash
# bench/server-vs-redis.sh: flatline-server against Debian's redis-server, side by side on
# free 127.0.0.1 ports, under the same redis-benchmark load. Not a test: it prints figures.
#
#   1. memory per key (MEMORY=1, the default): both servers fresh, load KEYS random keys with
#      100-byte values (redis-benchmark -t set -r KEYS, about 3*KEYS requests), then
#      (RSS after - RSS before) / keys actually stored.
#   2. throughput: redis-benchmark -c 50 -r 1000000 -d 100 -n N, SET and GET, pipelined
#      (-P 16) and not (-P 1), on servers holding the key space. The machine is shared (with
#      redis-benchmark itself, and often with other work), so absolute figures mean little:
#      the servers run in ROUNDS alternating rounds (each round a different server first),
#      every round gives a ratio flatline / redis per test, and the table shows the median
#      ratio with the range of the rounds, beside the load average before and after.
#      Beside throughput, each run measures the CPU time the server and redis-benchmark spent
#      per request together (schedstat of the server's threads, rusage of the benchmark): on
#      a saturated machine throughput follows it, and other work running meanwhile moves it
#      far less than it moves throughput (ratio below 1: flatline costs less).
#      BASELINE=path/to/another/flatline-server adds it to every round (started the same
#      way, plus BASELINE_ARGS) and prints the medians flatline / baseline too: an A/B of a
#      change, or of an option (BASELINE=$BUILD/src/server/flatline-server BASELINE_ARGS=...).
#
# flatline-server runs with --threads THREADS (default 2); redis-server is single-threaded
# (io-threads 1), as Debian ships it. Environment: BUILD (build dir, default build),
# N (requests per -P 16 test, default 2000000), N1 (per -P 1 test, default 200000), ROUNDS
# (default 5), KEYS (default 1000000), THREADS (default 2), MEMORY (0: skip part 1),
# PIPELINES (default "16 1"), BASELINE (unset: no A/B), BASELINE_ARGS.
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-2000000}
N1=${N1:-200000}
ROUNDS=${ROUNDS:-5}
KEYS=${KEYS:-1000000}
THREADS=${THREADS:-2}
MEMORY=${MEMORY:-1}
PIPELINES=${PIPELINES:-16 1}
BASELINE=${BASELINE:-}
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-benchmark redis-cli python3
[ -x "$SERVER" ] || bench_build "$BUILD" -- flatline-server
[ -z "$BASELINE" ] || [ -x "$BASELINE" ] || { echo "BASELINE=$BASELINE is not executable" >&2; exit 1; }

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

declare -A port pid
servers=(flatline redis)
port[flatline]=$(free_port)
start_flatline 'pid[flatline]' "$SERVER" "${port[flatline]}" /dev/null --threads "$THREADS" \
    --namespace.default.memory-limit 4gb
port[redis]=$(free_port)
start_redis 'pid[redis]' "${port[redis]}" /dev/null
if [ -n "$BASELINE" ]; then
    servers+=(baseline)
    port[baseline]=$(free_port)
    # shellcheck disable=SC2086 # BASELINE_ARGS: words
    start_flatline 'pid[baseline]' "$BASELINE" "${port[baseline]}" /dev/null --threads "$THREADS" \
        --namespace.default.memory-limit 4gb ${BASELINE_ARGS:-}
fi

# rps PORT TEST ARGS...: requests per second of one redis-benchmark test (CSV output).
rps() {
    local p=$1 test=$2
    shift 2
    redis-benchmark -p "$p" --csv -t "$test" "$@" 2>/dev/null |
        awk -F'","' -v t="$(echo "$test" | tr a-z A-Z)" '$1 == "\"" t {print $2}'
}

# cpu_ns PID: CPU time every thread of PID has run so far, in ns (/proc schedstat).
cpu_ns() { cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{n += $1} END {printf "%.0f", n}'; }

# measure PID PORT TEST N ARGS...: "rps cpu_us" of one redis-benchmark test, cpu_us being the
# CPU time server and redis-benchmark spent per request together. On a saturated machine
# throughput follows it; unlike throughput, other work running meanwhile barely moves it.
measure() {
    local pid=$1 p=$2 test=$3 n=$4 s0 s1 out
    shift 4
    s0=$(cpu_ns "$pid")
    out=$(python3 - "$p" "$test" "$n" "$@" <<'PY'
import resource, subprocess, sys
port, test, n, args = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
run = subprocess.run(["redis-benchmark", "-p", port, "--csv", "-t", test, "-n", n] + args,
                     capture_output=True, text=True)
ru = resource.getrusage(resource.RUSAGE_CHILDREN)
rps = [l.split('","')[1] for l in run.stdout.splitlines() if l.startswith('"' + test.upper() + '"')]
print(rps[0] if rps else 0, ru.ru_utime + ru.ru_stime)
PY
)
    s1=$(cpu_ns "$pid")
    awk -v o="$out" -v s0="$s0" -v s1="$s1" -v n="$n" 'BEGIN {
        split(o, f, " "); printf "%s %.3f\n", f[1], ((s1 - s0) / 1e3 + f[2] * 1e6) / n }'
}

echo "flatline-server --threads $THREADS (port ${port[flatline]}) vs $(redis-server --version | cut -d' ' -f1-3) (port ${port[redis]})${BASELINE:+, baseline $BASELINE ${BASELINE_ARGS:+$BASELINE_ARGS }(port ${port[baseline]})}"
echo "machine: $(nproc) cores; the servers and redis-benchmark share them; load $(loadavg)"
echo

# 1. Memory per key.
if [ "$MEMORY" = 1 ]; then
    declare -A before after keys
    for s in flatline redis; do
        before[$s]=$(rss_kb "${pid[$s]}")
        redis-benchmark -p "${port[$s]}" -q -t set -r "$KEYS" -n $((KEYS * 3)) -d 100 -P 16 -c 50 \
            >/dev/null 2>&1
        sleep 1
        after[$s]=$(rss_kb "${pid[$s]}")
        keys[$s]=$(redis-cli -p "${port[$s]}" dbsize)
    done
    printf 'memory: redis-benchmark -t set -r %d -n %d -d 100 -P 16 -c 50\n' "$KEYS" $((KEYS * 3))
    printf '  %-10s %10s %14s %14s %12s\n' server keys "RSS before" "RSS after" "bytes/key"
    declare -A bpk
    for s in flatline redis; do
        bpk[$s]=$(((after[$s] - before[$s]) * 1024 / keys[$s]))
        printf '  %-10s %10d %12d kB %12d kB %12d\n' $s "${keys[$s]}" "${before[$s]}" \
            "${after[$s]}" "${bpk[$s]}"
    done
    awk -v f="${bpk[flatline]}" -v r="${bpk[redis]}" \
        'BEGIN {printf "  memory per key, flatline / redis: %.2f (target <= 1)\n\n", f / r}'
fi

# 2. Throughput, alternating rounds, on the key space (loaded here when part 1 did not).
for s in "${servers[@]}"; do
    [ "$MEMORY" = 1 ] && [ "$s" != baseline ] && continue
    redis-benchmark -p "${port[$s]}" -q -t set -r 1000000 -n 1000000 -d 100 -P 16 -c 50 >/dev/null 2>&1
done
LOAD0=$(loadavg)
declare -A ratios cpus # "test P/other" -> ratios of throughput / of CPU per request, per round
tests=()
for p in $PIPELINES; do for t in set get; do tests+=("$t $p"); done; done
printf 'throughput: redis-benchmark -c 50 -r 1000000 -d 100, -n %d at -P 16, -n %d at -P 1; %d rounds\n' \
    "$N" "$N1" "$ROUNDS"
for ((round = 0; round < ROUNDS; round++)); do
    line="  round $((round + 1)) (load $(loadavg)):"
    for tp in "${tests[@]}"; do
        read -r t p <<<"$tp"
        n=$N
        [ "$p" = 1 ] && n=$N1
        declare -A got=() cpu=()
        # each round starts with a different server, so none always runs first
        for ((i = 0; i < ${#servers[@]}; i++)); do
            s=${servers[$(((i + round) % ${#servers[@]}))]}
            read -r got[$s] cpu[$s] < <(measure "${pid[$s]}" "${port[$s]}" "$t" "$n" -P "$p" \
                -c 50 -r 1000000 -d 100)
        done
        r=$(awk -v f="${got[flatline]}" -v r="${got[redis]}" 'BEGIN {printf "%.3f", f / r}')
        ratios["$tp/redis"]+="$r "
        cpus["$tp/redis"]+="$(awk -v f="${cpu[flatline]}" -v r="${cpu[redis]}" \
            'BEGIN {printf "%.3f", f / r}') "
        line+=" $(echo "$t" | tr a-z A-Z) -P $p $r"
        if [ -n "$BASELINE" ]; then
            ratios["$tp/baseline"]+="$(awk -v f="${got[flatline]}" -v b="${got[baseline]}" \
                'BEGIN {printf "%.3f", f / b}') "
            cpus["$tp/baseline"]+="$(awk -v f="${cpu[flatline]}" -v b="${cpu[baseline]}" \
                'BEGIN {printf "%.3f", f / b}') "
        fi
    done
    echo "$line"
done

# median RATIOS...: "median (min-max)".
median() {
    printf '%s\n' "$@" | sort -n | awk '{v[NR] = $1} END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
        printf "%.2f (%.2f-%.2f)", m, v[1], v[NR] }'
}
echo
echo "  medians of the rounds' ratios (range); cpu: CPU time of server + redis-benchmark per request"
printf '  %-10s %-20s %-20s%s\n' test "rps flatline/redis" "cpu flatline/redis" \
    "${BASELINE:+rps flatline/baseline  cpu flatline/baseline}"
for tp in "${tests[@]}"; do
    read -r t p <<<"$tp"
    # shellcheck disable=SC2086 # the ratios are one word each
    row=$(printf '  %-10s %-20s %-20s' "$(echo "$t" | tr a-z A-Z) -P $p" \
        "$(median ${ratios["$tp/redis"]})" "$(median ${cpus["$tp/redis"]})")
    # shellcheck disable=SC2086
    [ -n "$BASELINE" ] && row+=$(printf ' %-22s %s' "$(median ${ratios["$tp/baseline"]})" \
        "$(median ${cpus["$tp/baseline"]})")
    echo "$row"
done
echo "  load average: $LOAD0 before, $(loadavg) after (target: each median >= 1.3 at -P 16, >= 1 at -P 1)"
