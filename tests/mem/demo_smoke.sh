#!/usr/bin/env bash
# tests/mem/demo_smoke.sh DEMO VOCAB: flatline-demo with small sizes prints a well-formed report
# (not a check of its numbers), every field of the memory vocabulary in its order (VOCAB prints
# FL_MEM_BYTES then FL_MEM_RATIOS), and rejects bad usage with exit code 2 and a reason.
set -euo pipefail
demo="$1"
vocab="$2"
out="$(mktemp)"; err="$(mktemp)"
trap 'rm -f "$out" "$err"' EXIT
fail() { echo "FAIL: $*" >&2; echo "--- stdout" >&2; cat "$out" >&2; echo "--- stderr" >&2; cat "$err" >&2; exit 1; }

"$demo" --threads 2 --records 2000 --rounds 2 --seed 7 >"$out" 2>"$err" || fail "small run exited $?"

# Three tables, each with every vocabulary row in order and two numeric columns.
[[ "$(grep -c 'plain malloc   lifecycle arenas' "$out")" == 3 ]] || fail "expected 3 side-by-side tables"
order="$(grep -E '^ +[a-z_]+( \(MiB\))? +[0-9]+\.[0-9]+ +[0-9]+\.[0-9]+$' "$out" | sed -E 's/^ +//; s/[ (].*//')"
expected="$(for _ in 1 2 3; do "$vocab"; done)"
[[ "$order" == "$expected" ]] || fail "rows not in the vocabulary's order or not numeric: got
$order"
grep -qE '^conclusion: after the mass delete, lifecycle arenas (hold|leave) RSS at [0-9]+\.[0-9] MiB vs [0-9]+\.[0-9] MiB with plain malloc \([0-9]+% (less|more); [0-9]+\.[0-9] MiB before their defragmentation pass\); fragmentation ratio [0-9]+\.[0-9]+ vs [0-9]+\.[0-9]+$' "$out" \
    || fail "no well-formed conclusion line"
grep -qE '^records live: [0-9]+ / [0-9]+ at peak' "$out" || fail "no records line"

# Usage errors: exit 2 with a reason; --help: exit 0.
for bad in "--bogus" "--threads 0" "--threads x" "--records 5" "--seconds -1" "extra"; do
    set +e; "$demo" $bad >"$out" 2>"$err"; rc=$?; set -e
    [[ $rc == 2 ]] || fail "'$bad' exited $rc, want 2"
    grep -qE "flatline-demo: .*(unknown option|wants|unexpected argument|needs a value)" "$err" \
        || fail "'$bad' gave no reason"
done
"$demo" --help >"$out" 2>"$err" || fail "--help exited $?"
grep -q '^usage: ' "$out" || fail "--help printed no usage"
echo "demo smoke: ok"
