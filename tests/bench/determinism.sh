#!/usr/bin/env bash
# The workloads are deterministic for a seed: the same seed gives the same sizes and choices
# (the same live bytes at the same points), another seed gives others. db-churn's threads
# interleave freely after the fill, so its fill is what is compared.
set -euo pipefail
runner="$1/flatline-bench-runner"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
point() { # point WORKLOAD SEED PATTERN -> the line of the run's output matching PATTERN
    "$runner" --workload "$1" --scale 0.003 --seed "$2" --threads 3 --tail-max-ms 20 2>&1 |
        grep -E "$3" | sed 's/ allocated=.*//'
}
for spec in "db-churn|^filled" "size-shift|^stats peak" "server-larson|^stats peak"; do
    wl="${spec%%|*}" pat="${spec#*|}"
    a="$(point "$wl" 7 "$pat")"
    b="$(point "$wl" 7 "$pat")"
    c="$(point "$wl" 8 "$pat")"
    echo "$wl: seed 7: $a / seed 7: $b / seed 8: $c"
    [[ -n "$a" && "$a" == "$b" ]] || { echo "FAIL: $wl differs between two runs with one seed"; exit 1; }
    [[ "$a" != "$c" ]] || { echo "FAIL: $wl is the same for another seed"; exit 1; }
done
