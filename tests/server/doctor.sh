#!/usr/bin/env bash
# tests/server/doctor.sh: MEMORY DOCTOR against figures the test reads itself. On a nearly
# empty server it declines to judge; after a load its report has the four factors and a
# verdict; after a scattered 90% delete with defragmentation off (and again after MEMORY PURGE)
# the test computes the breakdown from INFO memory's byte counts and /proc's VmRSS, checks that
# slab holes dominate, and that the doctor names fragmentation. Needs the memory layer's
# statistics (skipped when absent).
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

# figures LABEL: reads the memory breakdown itself, from INFO memory's raw byte counts and the
# kernel's VmRSS, not from MEMORY DOCTOR's report, and sets the four factors' bytes:
# rounding = allocated - requested, holes = active - allocated (free space inside pages that
# hold live objects), unreturned = resident - active, outside = RSS - resident.
figures() {
    local info req alloc active res rss_kb
    info=$(redis-cli -p "$PORT" info memory | tr -d '\r')
    req=$(printf '%s\n' "$info" | sed -n 's/^process_requested://p')
    alloc=$(printf '%s\n' "$info" | sed -n 's/^allocator_allocated://p')
    active=$(printf '%s\n' "$info" | sed -n 's/^allocator_active://p')
    res=$(printf '%s\n' "$info" | sed -n 's/^allocator_resident://p')
    rss_kb=$(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$SPID/status")
    [ -n "$req" ] && [ -n "$alloc" ] && [ -n "$active" ] && [ -n "$res" ] && [ -n "$rss_kb" ] ||
        fail "$1: missing figures in INFO memory or /proc/$SPID/status"
    REQUESTED=$req
    ROUNDING=$((alloc - req))
    HOLES=$((active - alloc))
    UNRETURNED=$((res - active))
    OUTSIDE=$((rss_kb * 1024 - res))
    echo "$1: requested $REQUESTED, rounding $ROUNDING, holes $HOLES, unreturned $UNRETURNED, outside $OUTSIDE"
}

# holes_dominate LABEL: after a scattered 90% delete with defragmentation off, most of the heap
# is free space inside pages still holding a live object. Checked from our own figures: holes
# exceed twice the live requested bytes and every other heap factor; in jemalloc builds (no
# sanitizer heap or shadow memory in RSS) they also exceed what lies outside the heap, and the
# doctor must then name fragmentation (holes) as the verdict.
holes_dominate() {
    figures "$1"
    CHECKS=$((CHECKS + 1))
    if [ "$HOLES" -le $((2 * REQUESTED)) ] || [ "$HOLES" -le "$ROUNDING" ] ||
        [ "$HOLES" -le "$UNRETURNED" ]; then
        echo "FAIL ($1): slab holes ($HOLES bytes) do not dominate the heap" >&2
        FAILS=$((FAILS + 1))
        return
    fi
    [ "$(info_field memory malloc_is_jemalloc)" = 1 ] || return 0
    CHECKS=$((CHECKS + 1))
    [ "$HOLES" -gt "$OUTSIDE" ] || {
        echo "FAIL ($1): holes $HOLES <= outside the heap $OUTSIDE" >&2
        FAILS=$((FAILS + 1))
        return
    }
    local text
    text=$(redis-cli -p "$PORT" memory doctor)
    CHECKS=$((CHECKS + 1))
    printf '%s\n' "$text" | grep -q -E '^Verdict: fragmentation' || {
        echo "FAIL ($1): holes dominate ($HOLES bytes) but the doctor says:" >&2
        printf '%s\n' "$text" >&2
        FAILS=$((FAILS + 1))
    }
}

timeout 100 redis-benchmark -p "$PORT" -q -t set -r 200000 -n 300000 -d 200 -P 16 -c 20 >/dev/null 2>&1 ||
    fail "redis-benchmark failed"
# The report's shape: a ratio, the four factors in docs/design.md's order, a verdict.
check_match 'fragmentation ratio [0-9.]+\.' memory doctor
check_match $'rounding .*\n *holes .*\n *unreturned .*\n *outside .*\nVerdict: ' memory doctor
# Delete about 90% of the keys, scattered: holes in every slab.
before=$(redis-cli -p "$PORT" dbsize)
redis-cli -p "$PORT" --scan | awk 'NR % 10 != 0 {print "DEL " $0}' | redis-cli -p "$PORT" >/dev/null
after=$(redis-cli -p "$PORT" dbsize)
[ "$after" -lt $((before / 5)) ] || fail "deletion left $after of $before keys"
holes_dominate "after deleting 90%"
# MEMORY PURGE returns free pages, not holes inside used pages: the holes still dominate.
check "OK" memory purge
holes_dominate "after MEMORY PURGE"
finish
