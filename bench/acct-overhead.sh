#!/usr/bin/env bash
# bench/acct-overhead.sh: wall-clock overhead of running a program under flatline-acct (default
# sampling) against the same program uninstrumented, side by side with heaptrack and valgrind
# (memcheck, on a reduced size) where installed. A benchmark, not a test: the figures depend on
# the machine and its load; compare the ratios of one run. Target: flatline-acct <= 1.05x.
#
#   usage: bench/acct-overhead.sh [repetitions]          (default 5; the best of each is used)
#   prints, per workload: the best (least disturbed) wall seconds plain and under the tool, and
#   the ratios of the best wall times and of the best CPU times (user + system). For the server:
#   the best requests per second plain and under flatline-acct, ratio plain/acct (slowdown).
#   Then, with valgrind installed, instructions per stress operation (a replacement of one block)
#   plain and under the library, and their ratio: exact, so comparable between runs and commits.
#   env:   MOPS=<million ops per thread in the stress>     (default 2)
#          INSTR=0                                          (skip the instruction counts)
#          THREADS=<stress threads>                         (default 4)
#          FLATLINE_BUILD=<build with flatline-demo / flatline-server> (default ./build)
#          REQS=<redis-benchmark requests per run>           (default 100000)
#   smallest run: MOPS=0.05 REQS=2000 bench/acct-overhead.sh 1
#
# Workloads: bench/acct-mstress.c (many threads replacing random 16 B..64 KiB blocks, 1/16 of
# them freed by another thread); the memory layer's flatline-demo; flatline-server under
# redis-benchmark (SET/GET, requests per second instead of time). Each is skipped when missing.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh" # build, free port, PID tracking and the exit trap, PING wait
root="$BENCH_ROOT"
reps="${1:-5}"
mops="${MOPS:-2}"
threads="${THREADS:-4}"
build="$root/build-acct-bench"
work="$(mktemp -d /tmp/acct-overhead.XXXXXX)"
track_dir "$work"

need_tools cc bc /usr/bin/time
bench_build "$build" -DCMAKE_BUILD_TYPE=Release -- flatline-acct flatline-acct-lib
acct="$build/src/acct/flatline-acct"
# With frame pointers (as flatline builds itself) and without (call sites then come from
# backtrace(), which the library switches to on its own: slower samples).
cc -O2 -g -fno-omit-frame-pointer -pthread "$root/bench/acct-mstress.c" -o "$work/mstress"
cc -O2 -g -fomit-frame-pointer -pthread "$root/bench/acct-mstress.c" -o "$work/mstress-nofp"

fbuild="${FLATLINE_BUILD:-$root/build}"
demo="$fbuild/src/mem/flatline-demo"
server="$fbuild/src/server/flatline-server"
if [[ ! -x "$demo" ]] && cmake --build "$build" -j2 --target flatline-demo >/dev/null 2>&1; then
    demo="$build/src/mem/flatline-demo"
fi
if [[ ! -x "$server" ]] && cmake --build "$build" -j2 --target flatline-server >/dev/null 2>&1; then
    server="$build/src/server/flatline-server"
fi

# Runs "$@" once, prints its wall time and CPU time (user + system, children included) in s.
timed() {
    /usr/bin/time -f '%e %U %S' -o "$work/time" "$@" >/dev/null 2>&1 || true
    awk '{print $1, $2 + $3}' "$work/time"
}
# The minimum of the repetitions: on a shared machine, the run least disturbed by other load.
best() { sort -g | head -1; }
best_max() { sort -g | tail -1; }

# The tools as small scripts (so /usr/bin/time can run them).
printf '#!/bin/sh\nexec "%s" --quiet --no-plot --out "%s/acct-out" -- "$@"\n' "$acct" "$work" >"$work/under_acct"
printf '#!/bin/sh\nexec heaptrack -o "%s/heaptrack" "$@"\n' "$work" >"$work/under_heaptrack"
printf '#!/bin/sh\nexec valgrind -q --tool=memcheck --leak-check=no "$@"\n' >"$work/under_valgrind"
chmod +x "$work"/under_*
under_acct="$work/under_acct" under_heaptrack="$work/under_heaptrack" under_valgrind="$work/under_valgrind"

printf '%-40s %9s %9s %8s %9s\n' "workload / tool" "plain s" "tool s" "wall" "cpu"
# Alternates plain and tool runs (so load changes hit both); prints the best wall times and the
# ratios of the best wall and CPU times (CPU time is less disturbed by other load).
compare() {
    local label="$1" tool="$2"
    shift 2
    local pw=() tw=() pc=() tc=() r
    for ((i = 0; i < reps; i++)); do
        r=($(timed "$@"))
        pw+=("${r[0]}") pc+=("${r[1]}")
        r=($(timed "$tool" "$@"))
        tw+=("${r[0]}") tc+=("${r[1]}")
    done
    local pwm twm pcm tcm
    pwm=$(printf '%s\n' "${pw[@]}" | best)
    twm=$(printf '%s\n' "${tw[@]}" | best)
    pcm=$(printf '%s\n' "${pc[@]}" | best)
    tcm=$(printf '%s\n' "${tc[@]}" | best)
    printf '%-40s %9.3f %9.3f %7.3fx %8.3fx\n' "$label" "$pwm" "$twm" "$(echo "$twm / $pwm" | bc -l)" \
        "$(echo "$tcm / $pcm" | bc -l)"
}

compare "mstress ${threads}x${mops}M / flatline-acct" "$under_acct" "$work/mstress" "$threads" "$mops"
compare "mstress no frame ptrs / flatline-acct" "$under_acct" "$work/mstress-nofp" "$threads" "$mops"
if command -v heaptrack >/dev/null; then
    compare "mstress ${threads}x${mops}M / heaptrack" "$under_heaptrack" "$work/mstress" "$threads" "$mops"
fi
if command -v valgrind >/dev/null; then
    small=$(echo "$mops / 20" | bc -l)
    reps_saved=$reps
    reps=1
    compare "mstress ${threads}x$(printf %.2f "$small")M / valgrind" "$under_valgrind" "$work/mstress" "$threads" "$small"
    reps=$reps_saved
fi

if [[ -x "$demo" ]]; then
    compare "flatline-demo / flatline-acct" "$under_acct" "$demo" --records 200000 --rounds 8
else
    echo "flatline-demo: not built, skipped"
fi

# Instructions per operation under valgrind's callgrind: exact and repeatable where times on a
# shared machine are not. One stress thread at two sizes; the difference of the two totals is the
# cost of the extra operations, start-up excluded. The library is preloaded by hand with the
# driver's defaults (what flatline-acct would do, without its own process in the count).
instr_total() {
    local d
    d=$(mktemp -d "$work/cg.XXXXXX")
    valgrind --tool=callgrind --callgrind-out-file="$d/%p.cg" "$@" >/dev/null 2>&1 || true
    cat "$d"/*.cg | awk '/^totals:/ {s += $2} END {print s + 0}'
}
instr_compare() {
    local label="$1" prog="$2" lib="$build/src/acct/libflatline-acct.so" n0=100000 n1=200000
    local p0 p1 a0 a1
    p0=$(instr_total "$prog" 1 0.1)
    p1=$(instr_total "$prog" 1 0.2)
    a0=$(LD_PRELOAD="$lib" instr_total "$prog" 1 0.1)
    a1=$(LD_PRELOAD="$lib" instr_total "$prog" 1 0.2)
    printf '%-40s %9.1f %9.1f %7.3fx %9s\n' "$label" "$(echo "($p1 - $p0) / ($n1 - $n0)" | bc -l)" \
        "$(echo "($a1 - $a0) / ($n1 - $n0)" | bc -l)" "$(echo "($a1 - $a0) / ($p1 - $p0)" | bc -l)" "-"
}
if command -v valgrind >/dev/null && [[ "${INSTR:-1}" != 0 ]]; then
    printf '%-40s %9s %9s %8s\n' "instructions per stress op (callgrind)" "plain" "acct" "ratio"
    instr_compare "mstress 1 thread / flatline-acct" "$work/mstress"
    instr_compare "mstress no frame ptrs / flatline-acct" "$work/mstress-nofp"
fi

# server_rps VAR [TOOL...]: starts the server (under TOOL when given) on a free port, waits for
# PING, runs redis-benchmark, stores requests/s (SET+GET) in VAR and stops the server. It runs in
# this shell (not in $(...)), so the server is tracked by lib.sh's exit trap until it is stopped;
# under flatline-acct the driver forwards the SIGTERM to it.
server_rps() {
    local var=$1 port pid
    shift
    port=$(free_port)
    "$@" "$server" --port "$port" --bind 127.0.0.1 >/dev/null 2>&1 &
    pid=$!
    track_pid "$pid"
    wait_ping "$port"
    printf -v "$var" %s "$(redis-benchmark -h 127.0.0.1 -p "$port" -q -n "${REQS:-100000}" -c 50 \
        -t set,get -d 64 -r 100000 2>/dev/null | tr '\r' '\n' |
        awk '/requests per second/ {for (i=1;i<=NF;i++) if ($i ~ /^[0-9.]+$/) {s+=$i; break}} END {print s}')"
    stop_pid "$pid"
}
if [[ -x "$server" ]] && command -v redis-benchmark >/dev/null; then
    p=() t=()
    for ((i = 0; i < reps; i++)); do
        server_rps rps env
        p+=("$rps")
        server_rps rps "$acct" --quiet --no-plot --out "$work/acct-srv" --
        t+=("$rps")
    done
    pm=$(printf '%s\n' "${p[@]}" | best_max)
    tm=$(printf '%s\n' "${t[@]}" | best_max)
    printf '%-40s %9s %9s %7.3fx %9s\n' "flatline-server SET+GET rps / acct" "${pm%.*}" "${tm%.*}" \
        "$(echo "$pm / $tm" | bc -l)" "-"
else
    echo "flatline-server or redis-benchmark: not available, skipped"
fi
