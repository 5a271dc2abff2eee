#!/usr/bin/env bash
# bench/adopt-example.sh [THREADS REQUESTS BATCH KEYS [ROUNDS]]: the adoption example's measured
# difference (docs/adopting.md). Runs kvserver-before (plain malloc) and kvserver-after (the
# lines marked ADOPT: records in a shared arena, transient data in private arenas) alternately,
# ROUNDS times each, and prints RSS after the burst and a purge, RSS per live record byte, and the
# ratio after/before of the medians. Both builds must report the same checksum (same records).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
threads=${1:-4} requests=${2:-400000} batch=${3:-20000} keys=${4:-200000} rounds=${5:-3}
build="$BENCH_ROOT/build-bench"
bench_build "$build" -- kvserver-before kvserver-after
declare -A rss sum
for ((r = 1; r <= rounds; r++)); do
    for v in before after; do
        line=$("$build/examples/kvserver-$v" "$threads" "$requests" "$batch" "$keys")
        echo "round $r: $line"
        rss[$v]+="$(sed -n 's/.* rss \([0-9.]*\) MiB.*/\1/p' <<<"$line") "
        sum[$v]=$(sed -n 's/.*checksum \([0-9a-f]*\).*/\1/p' <<<"$line")
    done
    [[ "${sum[before]}" == "${sum[after]}" ]] || { echo "checksums differ" >&2; exit 1; }
done
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
mb=$(median "${rss[before]}") ma=$(median "${rss[after]}")
printf '\nmedian RSS after the burst: before %s MiB, after %s MiB, after/before %.2f\n' \
    "$mb" "$ma" "$(awk -v a="$ma" -v b="$mb" 'BEGIN {print a / b}')"
