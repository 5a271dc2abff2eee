#!/usr/bin/env bash
# flatline-bench's command line: help, and every kind of bad input says why and exits 2;
# a missing allocator library is skipped with a warning, or is an error with --strict.
set -uo pipefail
bench="$1/flatline-bench"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fail=0

expect() { # expect CODE PATTERN -- ARGS...
    local code="$1" pattern="$2"
    shift 3
    "$bench" "$@" >"$tmp/out" 2>"$tmp/err"
    local got=$?
    if [[ $got != "$code" ]] || ! grep -qiE -- "$pattern" "$tmp/out" "$tmp/err"; then
        echo "FAIL: flatline-bench $* -> exit $got (want $code), output:"; cat "$tmp/out" "$tmp/err"
        fail=1
    else
        echo "ok   flatline-bench $* -> $code"
    fi
}

expect 0 'usage: flatline-bench run' -- --help
expect 0 'usage: flatline-bench run' -- run --help
expect 2 'usage' --
expect 2 "unknown command 'fly'" -- fly
expect 2 "unknown option '--bogus'" -- run --bogus
expect 2 "unknown allocator 'hoard'" -- run --allocators glibc,hoard
expect 2 "unknown workload 'tpcc'" -- run --workloads db-churn,tpcc
expect 2 'repeats wants a whole number' -- run --repeats 0
expect 2 'repeats wants a whole number' -- run --repeats 2.5
expect 2 'scale wants a number' -- run --scale -1
expect 2 'scale wants a number' -- run --scale abc
expect 2 "needs a value" -- run --out
expect 2 'replay workload needs --trace' -- run --workloads replay
expect 2 'cannot read the trace file' -- run --trace "$tmp/none.trace"
expect 2 'report needs --out' -- report
expect 1 'cannot read .*runs.csv' -- report --out "$tmp/nothing-here"

# A missing library: skipped with a warning (the run still succeeds with what is there) ...
FLATLINE_BENCH_LIBDIR="$tmp/nolibs" expect 0 'warning, skipping: jemalloc: library not found' -- \
    run --workloads db-churn --allocators glibc,jemalloc --repeats 1 --scale 0.002 \
    --time-scale 0.002 --out "$tmp/o1"
if grep -q ',jemalloc,' "$tmp/o1/runs.csv" || ! grep -q '^db-churn,glibc,1,1,' "$tmp/o1/runs.csv"; then
    echo "FAIL: runs.csv should hold the glibc run only"; cat "$tmp/o1/runs.csv"; fail=1
fi
# ... or an error with --strict.
FLATLINE_BENCH_LIBDIR="$tmp/nolibs" expect 2 'error: jemalloc: library not found' -- \
    run --strict --workloads db-churn --allocators jemalloc --out "$tmp/o2"
exit $fail
