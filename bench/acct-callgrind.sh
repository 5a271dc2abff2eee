#!/usr/bin/env bash
# bench/acct-callgrind.sh: where flatline-acct's instructions above the plain program go, exactly
# (valgrind's callgrind counts instructions; times on a shared machine move by 10-30 %). Each
# stress program of bench/stress runs once plain and once with the library preloaded at its
# defaults (FLATLINE_ACCT_DIR set, as the driver does), each thread counted apart; then
# bench/acct-breakdown.py splits the difference: the wrappers' common case, the slow paths (and
# why they are taken), sampling, threads' first call and exit, start-up, the final report, and
# the monitor thread with its cost per interval. Under callgrind a run lasts about 50 times
# longer, so it has that many more monitor intervals than a real run: compare the totals
# without the monitor thread, and the monitor's cost per interval.
#
#   usage: bench/acct-callgrind.sh [program...]   (default: all seven)
#   env:   LIB=<libflatline-acct.so to measure> (default: build-acct-bench's)
#          FLATLINE_ACCT_* pass on to the library (e.g. FLATLINE_ACCT_SAMPLE=512K)
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
need_tools valgrind python3
build="$BENCH_ROOT/build-acct-bench"
work="$(mktemp -d /tmp/acct-callgrind.XXXXXX)"
track_dir "$work"
bench_build "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -- flatline-acct-lib stress-cfrac \
    stress-espresso stress-larson stress-xmalloc stress-cache-scratch stress-mstress stress-rptest
lib="${LIB:-$build/src/acct/libflatline-acct.so}"

# The programs at a scale that takes a few seconds under callgrind (a tenth of a second plain).
declare -A scale=([cfrac]="200000" [espresso]="100" [larson]="4 10" [xmalloc]="2 200000"
    [cache-scratch]="4 100000" [mstress]="2 2" [rptest]="4 300")
programs=("$@")
((${#programs[@]})) || programs=(cfrac espresso larson xmalloc cache-scratch mstress rptest)

echo "flatline-acct instructions (callgrind), library $lib, load $(cut -d' ' -f1 /proc/loadavg)"
for prog in "${programs[@]}"; do
    [[ -n "${scale[$prog]:-}" ]] || { echo "unknown program $prog" >&2; exit 2; }
    read -r -a args <<<"${scale[$prog]}"
    bin="$build/bench/stress/stress-$prog"
    valgrind --tool=callgrind --separate-threads=yes \
        --callgrind-out-file="$work/$prog.plain.%p" "$bin" "${args[@]}" >/dev/null 2>&1
    LD_PRELOAD="$lib" FLATLINE_ACCT_DIR="$work/out-$prog" valgrind --tool=callgrind \
        --separate-threads=yes --callgrind-out-file="$work/$prog.acct.%p" "$bin" "${args[@]}" \
        >/dev/null 2>&1
    python3 "$BENCH_ROOT/bench/acct-breakdown.py" "$prog (${args[*]})" "$work/$prog.plain" \
        "$work/$prog.acct"
done
