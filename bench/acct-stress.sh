#!/usr/bin/env bash
# bench/acct-stress.sh: the cost of watching memory, side by side: the classic allocator stress
# programs (bench/stress: cfrac, espresso, larson, xmalloc, cache-scratch) run plain, under
# flatline-acct at its defaults, heaptrack, valgrind's massif and DHAT, and jemalloc's own
# sampling profiler (Debian's libjemalloc preloaded with MALLOC_CONF=prof:true, next to the same
# jemalloc without it); then flatline-server under redis-benchmark, plain and under flatline-acct;
# then flatline-acct's fixed cost after the program exits. A benchmark, not a test: figures
# depend on the machine and its load; compare the ratios of one run.
#
#   usage: bench/acct-stress.sh [repetitions]   (default 3; the best wall time of each is used)
#   env:   VALGRIND=0   skip massif and DHAT (20-100x slower; they run once, on the same input)
#          REQS=<redis-benchmark requests per run> (default 100000)
#   Targets: flatline-acct at most 1.10x wall on each, fixed cost after exit under 0.1 s.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
reps="${1:-3}"
reqs="${REQS:-100000}"
build="$BENCH_ROOT/build-acct-bench"
work="$(mktemp -d /tmp/acct-stress.XXXXXX)"
track_dir "$work"
bench_build "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -- flatline-acct flatline-acct-lib \
    stress-cfrac stress-espresso stress-larson stress-xmalloc stress-cache-scratch flatline-server
acct="$build/src/acct/flatline-acct"
multiarch="$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
jemalloc="/usr/lib/$multiarch/libjemalloc.so.2"

# best_wall CMD...: the least wall time in seconds over $reps runs (output discarded)
best_wall() {
    local best="" t r
    for ((r = 0; r < reps; r++)); do
        /usr/bin/time -o "$work/time" -f %e "$@" >/dev/null 2>&1 || true
        t=$(tail -1 "$work/time")
        if [[ -z "$best" ]] || (($(echo "$t < $best" | bc))); then best=$t; fi
    done
    echo "$best"
}

once_wall() {
    local save=$reps
    reps=1
    best_wall "$@"
    reps=$save
}

ratio() { if [[ "$2" == "-" ]]; then echo "-"; else echo "scale=2; $2 / $1" | bc; fi; }

printf '%-14s %8s %8s %8s %8s %8s %8s %8s   (wall s; x = ratio to plain)\n' program plain \
    flatline heaptrack massif dhat jemalloc je-prof
for prog in cfrac espresso larson xmalloc cache-scratch; do
    bin="$build/bench/stress/stress-$prog"
    plain=$(best_wall "$bin")
    fa=$(best_wall "$acct" --out "$work/fa" --quiet --no-plot -- "$bin")
    ht="-" ms="-" dh="-" je="-" jp="-"
    if command -v heaptrack >/dev/null; then
        ht=$(best_wall heaptrack -o "$work/ht" "$bin")
        rm -f "$work"/ht*
    fi
    if command -v valgrind >/dev/null && [[ "${VALGRIND:-1}" != 0 ]]; then
        ms=$(once_wall valgrind --tool=massif --massif-out-file="$work/massif.out" "$bin")
        dh=$(once_wall valgrind --tool=dhat --dhat-out-file="$work/dhat.out" "$bin")
    fi
    if [[ -r "$jemalloc" ]]; then
        je=$(LD_PRELOAD="$jemalloc" best_wall "$bin")
        jp=$(cd "$work" && MALLOC_CONF=prof:true LD_PRELOAD="$jemalloc" best_wall "$bin")
        rm -f "$work"/jeprof.*
    fi
    printf '%-14s %8s %8s %8s %8s %8s %8s %8s\n' "$prog" "$plain" "$fa" "$ht" "$ms" "$dh" "$je" "$jp"
    printf '%-14s %8s %7sx %7sx %7sx %7sx %7sx %7sx\n' "" "" "$(ratio "$plain" "$fa")" \
        "$(ratio "$plain" "$ht")" "$(ratio "$plain" "$ms")" "$(ratio "$plain" "$dh")" \
        "$(ratio "$plain" "$je")" "$(ratio "$plain" "$jp")"
done

# flatline-server under redis-benchmark: requests per second, plain and under flatline-acct
if command -v redis-benchmark >/dev/null; then
    server="$build/src/server/flatline-server"
    rps() { # rps PORT: SET/GET requests per second (the mean of the two)
        redis-benchmark -h 127.0.0.1 -p "$1" -n "$reqs" -c 50 -P 16 -t set,get -q 2>/dev/null |
            awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/ && $(i+1) == "requests") {s += $i; n++}} END {printf "%.0f", n ? s / n : 0}'
    }
    best_rps=()
    for mode in plain acct; do
        best=0
        for ((r = 0; r < reps; r++)); do
            port=$(free_port)
            if [[ $mode == plain ]]; then
                start_flatline pid "$server" "$port" "$work/server.log"
            else
                "$acct" --out "$work/srv" --quiet --no-plot -- "$server" --bind 127.0.0.1 \
                    --port "$port" --loglevel warning >"$work/server.log" 2>&1 &
                pid=$!
                track_pid "$pid"
                wait_ping "$port"
            fi
            v=$(rps "$port")
            stop_pid "$pid"
            ((v > best)) && best=$v
        done
        best_rps+=("$best")
    done
    echo "flatline-server SET/GET (redis-benchmark -P 16 -c 50): plain ${best_rps[0]} req/s, " \
        "flatline-acct ${best_rps[1]} req/s, slowdown $(echo "scale=2; ${best_rps[0]} / ${best_rps[1]}" | bc)x"
fi

# The fixed cost after the program exits: the driver's symbolization and files (and the plot)
t_true=$(best_wall /bin/true)
t_np=$(best_wall "$acct" --out "$work/fx" --quiet --no-plot -- /bin/true)
t_p=$(best_wall "$acct" --out "$work/fx" --quiet -- /bin/true)
echo "fixed cost of flatline-acct on /bin/true: $(echo "$t_np - $t_true" | bc) s without the plot," \
    "$(echo "$t_p - $t_true" | bc) s with it (gnuplot)"
