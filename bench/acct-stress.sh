#!/usr/bin/env bash
# bench/acct-stress.sh: the cost of watching memory, side by side: the classic allocator stress
# programs (bench/stress: cfrac, espresso, larson, xmalloc, cache-scratch, mstress, rptest) run
# plain and under flatline-acct at its defaults in alternating rounds, with jemalloc and its own
# sampling profiler (Debian's libjemalloc preloaded, MALLOC_CONF=prof:true) in the same rounds, then
# heaptrack, valgrind's massif and DHAT; then flatline-server under redis-benchmark, plain and
# under flatline-acct, alternating; then flatline-acct's fixed cost (on /bin/true and on a 0.07 s
# program). A benchmark, not a test: figures depend on the machine and its load; compare the
# ratios of one run. Each program runs at a scale where it takes about 1 s plain on an idle
# core, so that the interposer is measured and not the driver's start-up (the scale is printed).
#
#   usage: bench/acct-stress.sh [rounds]   (default 5)
#   env:   VALGRIND=0   skip massif and DHAT (30-200x slower: they run once, at the same scale)
#          HEAPTRACK=0  skip heaptrack (3-20x slower: runs once)
#          JEMALLOC=0   skip jemalloc and its profiler (more rounds of the others in the same time)
#          SCALE=N      divide every program's scale by N (a quick look; ratios get noisier)
#          SERVER=0     skip flatline-server under redis-benchmark
#          REQS=<redis-benchmark requests per run> (default 200000)
#          BEFORE_LIB=<an older libflatline-acct.so>  also run flatline-acct with it, in the same
#                       rounds ("acct-before"): a change to the library measured side by side
#   Targets: flatline-acct at most 1.10x wall on each, fixed cost after exit under 0.1 s.
#
# Output: per program, the best (least) and the median wall time of each variant over the rounds,
# and the ratios to plain of both (best/best and median/median); also CPU time (user + system,
# best), which a loaded machine disturbs less than wall time. jemalloc's profiler is also given
# against jemalloc without it ("je-prof/je"): the profiler's own cost.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
rounds="${1:-5}"
reqs="${REQS:-200000}"
scale_div="${SCALE:-1}"
build="$BENCH_ROOT/build-acct-bench"
work="$(mktemp -d /tmp/acct-stress.XXXXXX)"
track_dir "$work"
bench_build "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -- flatline-acct flatline-acct-lib \
    stress-cfrac stress-espresso stress-larson stress-xmalloc stress-cache-scratch stress-mstress \
    stress-rptest flatline-server
acct="$build/src/acct/flatline-acct"
multiarch="$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)"
jemalloc="/usr/lib/$multiarch/libjemalloc.so.2"

# The programs and their arguments: about 1 s each plain on an idle core.
programs=(
    "cfrac 20000000"         # steps of the continued-fraction expansion
    "espresso 3000"          # passes over the cover
    "larson 4 250"           # threads, rounds (a new thread per array each round)
    "xmalloc 2 8000000"      # producer/consumer pairs, blocks per pair
    "cache-scratch 4 2000000" # threads, iterations
    "mstress 4 16"            # threads, rounds (mimalloc-bench's mstress)
    "rptest 4 1200"           # threads, loops per pass (rpmalloc-benchmark's rptest)
)

# scaled ARGS...: the arguments with every number above 100 divided by $scale_div
scaled() {
    local a out=()
    for a in "$@"; do
        if [[ "$a" =~ ^[0-9]+$ ]] && ((a > 100)); then a=$((a / scale_div)); fi
        out+=("$a")
    done
    echo "${out[@]}"
}

# timed VAR CMD...: runs CMD (output discarded) and appends "wall cpu" to the array VAR
timed() {
    local var=$1
    shift
    /usr/bin/time -o "$work/time" -f "%e %U %S" "$@" >/dev/null 2>&1 || true
    local e u s
    read -r e u s <"$work/time"
    eval "$var+=(\"$e $(echo "$u + $s" | bc)\")"
}

# best_median COLUMN VALUES...: "best median" of column 1 (wall) or 2 (cpu) of "wall cpu" pairs
best_median() {
    local col=$1
    shift
    printf '%s\n' "$@" | awk -v c="$col" '{print $c}' | sort -g |
        awk '{a[NR] = $1} END {if (!NR) {print "- -"; exit} m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f %.3f\n", a[1], m}'
}

ratio() { if [[ "$1" == "-" || "$2" == "-" ]]; then echo "-"; else echo "scale=2; $2 / $1" | bc | sed 's/^\./0./'; fi; }

echo "flatline-acct overhead: $rounds alternating rounds, load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
printf '%-14s %-16s %-13s %13s %13s %11s %10s %7s %10s\n' program scale variant "wall best/med" \
    "cpu best/med" "x wall best" "x wall med" "x cpu" "je-prof/je"
for entry in "${programs[@]}"; do
    read -r prog args <<<"$entry"
    read -r -a argv <<<"$(scaled $args)"
    bin=("$build/bench/stress/stress-$prog" "${argv[@]}")
    plain=() fa=() fb=() je=() jp=()
    for ((r = 0; r < rounds; r++)); do
        timed plain "${bin[@]}"
        timed fa "$acct" --out "$work/fa" --quiet --no-plot -- "${bin[@]}"
        if [[ -n "${BEFORE_LIB:-}" ]]; then
            timed fb "$acct" --lib "$BEFORE_LIB" --out "$work/fa" --quiet --no-plot -- "${bin[@]}"
        fi
        if [[ -r "$jemalloc" && "${JEMALLOC:-1}" != 0 ]]; then
            timed je env LD_PRELOAD="$jemalloc" "${bin[@]}"
            timed jp env MALLOC_CONF="prof:true,prof_prefix:$work/jeprof" LD_PRELOAD="$jemalloc" \
                "${bin[@]}"
            rm -f "$work"/jeprof*
        fi
    done
    ht=() ms=() dh=()
    if command -v heaptrack >/dev/null && [[ "${HEAPTRACK:-1}" != 0 ]]; then
        timed ht heaptrack -o "$work/ht" "${bin[@]}"
        rm -f "$work"/ht*
    fi
    if command -v valgrind >/dev/null && [[ "${VALGRIND:-1}" != 0 ]]; then
        timed ms valgrind --tool=massif --massif-out-file="$work/massif.out" "${bin[@]}"
        timed dh valgrind --tool=dhat --dhat-out-file="$work/dhat.out" "${bin[@]}"
    fi
    read -r pw_best pw_med <<<"$(best_median 1 "${plain[@]}")"
    read -r pc_best pc_med <<<"$(best_median 2 "${plain[@]}")"
    read -r jw_best jw_med <<<"$(best_median 1 "${je[@]}")"
    first=1
    for v in plain fa fb je jp ht ms dh; do
        eval "vals=(\"\${$v[@]}\")"
        ((${#vals[@]})) || continue
        read -r w_best w_med <<<"$(best_median 1 "${vals[@]}")"
        read -r c_best c_med <<<"$(best_median 2 "${vals[@]}")"
        name=$v
        case $v in fa) name=flatline-acct ;; fb) name=acct-before ;; je) name=jemalloc ;;
            jp) name=je-prof ;;
            ht) name=heaptrack ;; ms) name=massif ;; dh) name=dhat ;; esac
        own="-"
        [[ $v == jp ]] && own="$(ratio "$jw_best" "$w_best")x"
        if ((first)); then label="$prog"; sc="${argv[*]}"; else label=""; sc=""; fi
        first=0
        printf '%-14s %-16s %-13s %13s %13s %10sx %9sx %6sx %10s\n' "$label" "$sc" "$name" \
            "$w_best/$w_med" "$c_best/$c_med" "$(ratio "$pw_best" "$w_best")" \
            "$(ratio "$pw_med" "$w_med")" "$(ratio "$pc_best" "$c_best")" "$own"
    done
done

# flatline-server under redis-benchmark: requests per second, plain and under flatline-acct,
# alternating
if command -v redis-benchmark >/dev/null && [[ "${SERVER:-1}" != 0 ]]; then
    server="$build/src/server/flatline-server"
    rps() { # rps PORT: SET/GET requests per second (the mean of the two)
        redis-benchmark -h 127.0.0.1 -p "$1" -n "$reqs" -c 50 -P 16 -t set,get -q 2>/dev/null |
            awk '{for (i = 1; i <= NF; i++) if ($i ~ /^[0-9.]+$/ && $(i+1) == "requests") {s += $i; n++}} END {printf "%.0f", n ? s / n : 0}'
    }
    declare -A got=([plain]="" [acct]="")
    for ((r = 0; r < rounds; r++)); do
        for mode in plain acct; do
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
            got[$mode]+="$(rps "$port") "
            stop_pid "$pid"
        done
    done
    best_med() { tr ' ' '\n' <<<"$1" | grep . | sort -g | awk '{a[NR] = $1} END {m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%d %d\n", a[NR], m}'; }
    read -r p_best p_med <<<"$(best_med "${got[plain]}")"
    read -r a_best a_med <<<"$(best_med "${got[acct]}")"
    echo "flatline-server SET/GET (redis-benchmark -n $reqs -P 16 -c 50), req/s best/median:" \
        "plain $p_best/$p_med, flatline-acct $a_best/$a_med; slowdown best $(ratio "$a_best" "$p_best")x," \
        "median $(ratio "$a_med" "$p_med")x"
fi

# The fixed cost: flatline-acct around /bin/true (start-up, the library's start and exit, the
# findings after the program's exit) and around a 0.07 s program (espresso at its own default
# scale), less the program alone; best and median over the rounds, alternating
fixed() { # fixed NAME CMD...
    local name=$1 pl=() fx=() fxp=()
    shift
    for ((r = 0; r < rounds; r++)); do
        timed pl "$@"
        timed fx "$acct" --out "$work/fx" --quiet --no-plot -- "$@"
        timed fxp "$acct" --out "$work/fx" --quiet -- "$@"
    done
    read -r pb pm <<<"$(best_median 1 "${pl[@]}")"
    read -r fb fm <<<"$(best_median 1 "${fx[@]}")"
    read -r gb gm <<<"$(best_median 1 "${fxp[@]}")"
    echo "fixed cost of flatline-acct on $name (best/median, wall s): $(echo "$fb - $pb" | bc | sed 's/^\./0./;s/^-\./-0./')/$(echo "$fm - $pm" | bc | sed 's/^\./0./;s/^-\./-0./') without the plot," \
        "$(echo "$gb - $pb" | bc | sed 's/^\./0./;s/^-\./-0./')/$(echo "$gm - $pm" | bc | sed 's/^\./0./;s/^-\./-0./') with it (gnuplot runs in the background)"
}
fixed /bin/true /bin/true
fixed "espresso 250 (0.07 s)" "$build/bench/stress/stress-espresso" 250
