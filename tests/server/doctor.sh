#!/usr/bin/env bash
# tests/server/doctor.sh: MEMORY DOCTOR's verdict is computed from the breakdown it prints:
# on a nearly empty server it declines to judge; after a load, after mass deletion and after
# MEMORY PURGE, the verdict is "healthy" when RSS is within 25% of requested, and otherwise
# names the factor (rounding, holes, unreturned pages, outside the heap) that holds the most
# bytes in the same report. Needs the memory layer's statistics (skipped when absent).
. "$(dirname "$0")/lib.sh"
command -v redis-benchmark >/dev/null || { echo "skipped: redis-benchmark not installed"; exit 77; }
# Background defragmentation off: it would move objects while the test reads the breakdown
# (and under TSan, jemalloc's block reuse is invisible to it: see the report for the mem layer).
start_server --threads 2 --namespace.default.defrag-pct 0
if [ "$(info_field memory mem_stats_available)" != 1 ]; then
    echo "skipped: no memory statistics in this build"
    exit 77
fi

# With plain malloc on jemalloc a fresh server is small; under a sanitizer its shadow memory
# alone makes RSS large, so this first check only applies to jemalloc builds.
if [ "$(info_field memory malloc_is_jemalloc)" = 1 ]; then
    check_match 'nearly empty' memory doctor
fi

# verdict_consistent LABEL: parses one MEMORY DOCTOR report and checks its verdict.
verdict_consistent() {
    local text ratio worst best=-1 want
    text=$(redis-cli -p "$PORT" memory doctor)
    CHECKS=$((CHECKS + 1))
    ratio=$(printf '%s\n' "$text" | sed -n 's/.*fragmentation ratio \([0-9.]*\)\..*/\1/p')
    for f in rounding holes unreturned outside; do
        local b
        b=$(printf '%s\n' "$text" | sed -n "s/^ *$f .*(\([0-9]*\) bytes)$/\1/p")
        [ -n "$b" ] || { echo "FAIL ($1): no '$f' line in: $text" >&2; FAILS=$((FAILS + 1)); return; }
        if [ "$b" -gt "$best" ]; then best=$b; worst=$f; fi
    done
    if awk -v r="$ratio" 'BEGIN {exit !(r <= 1.25)}'; then
        want="Verdict: healthy"
    else
        case $worst in
        rounding) want="Verdict: size-class rounding" ;;
        holes) want="Verdict: fragmentation" ;;
        unreturned) want="Verdict: (unreturned pages|allocator overhead)" ;;
        outside) want="Verdict: memory outside the heap" ;;
        esac
    fi
    if ! printf '%s\n' "$text" | grep -q -E "$want"; then
        echo "FAIL ($1): expected '$want' (ratio $ratio, largest factor $worst) in:" >&2
        printf '%s\n' "$text" >&2
        FAILS=$((FAILS + 1))
        return
    fi
    echo "$1: $(printf '%s\n' "$text" | grep '^Verdict' | cut -c1-60)... (ratio $ratio, largest $worst)"
}

timeout 100 redis-benchmark -p "$PORT" -q -t set -r 200000 -n 300000 -d 200 -P 16 -c 20 >/dev/null 2>&1 ||
    fail "redis-benchmark failed"
verdict_consistent "after the load"
# Delete about 90% of the keys, scattered: holes in every slab.
before=$(redis-cli -p "$PORT" dbsize)
redis-cli -p "$PORT" --scan | awk 'NR % 10 != 0 {print "DEL " $0}' | redis-cli -p "$PORT" >/dev/null
after=$(redis-cli -p "$PORT" dbsize)
[ "$after" -lt $((before / 5)) ] || fail "deletion left $after of $before keys"
verdict_consistent "after deleting 90%"
check "OK" memory purge
verdict_consistent "after MEMORY PURGE"
finish
