#!/usr/bin/env bash
# scripts/assert-count.sh: the assertions per layer, as docs/design.md lists them. Counts
# call sites in src/<layer>/ (definitions and comments excluded):
#   always   FL_ASSERT (on in every build) and SRV_ASSERT_OWNER (a FL_ASSERT)
#   debug    FL_DEBUG_ASSERT and the store's FLS_ASSERT_* (lock-held checks, debug builds)
#   static   _Static_assert (checked by the compiler: sizes and tables the comments state)
set -euo pipefail
cd "$(dirname "$0")/.."
count() { # PATTERN DIR
    git grep -h -E "$1" -- "$2" | grep -v -E '^\s*(#\s*define|/?\*|//)' | grep -c -E "$1" || true
}
printf '%-12s %7s %7s %7s\n' layer always debug static
total_a=0 total_d=0 total_s=0
for layer in mem store server acct bench; do
    a=$(($(count '\bFL_ASSERT\(' "src/$layer") + $(count '\bSRV_ASSERT_OWNER\(' "src/$layer")))
    d=$(($(count '\bFL_DEBUG_ASSERT\(' "src/$layer") + $(count '\bFLS_ASSERT_[A-Z_]+\(' "src/$layer")))
    s=$(count '_Static_assert\(' "src/$layer")
    printf '%-12s %7d %7d %7d\n' "src/$layer" "$a" "$d" "$s"
    total_a=$((total_a + a)) total_d=$((total_d + d)) total_s=$((total_s + s))
done
printf '%-12s %7d %7d %7d\n' total "$total_a" "$total_d" "$total_s"
