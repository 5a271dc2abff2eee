#!/usr/bin/env bash
# A trace recorded from a real program by flatline-acct --trace replays to the same live-bytes
# curve: the program is the size-shift runner itself (its live bytes are deterministic), the
# oracle is trace_tool. Skipped (77) when flatline-acct is not built in this tree.
set -euo pipefail
bin="$1" tool="$2" acct="$3"
if [[ ! -x "$acct" ]]; then
    echo "skipped: $acct is not built"
    exit 77
fi
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/replay_lib.sh"
"$acct" --trace "$tmp/t.trace" -- "$bin/flatline-bench-runner" --workload size-shift \
    --scale 0.002 --threads 2 --tail-max-ms 30 >"$tmp/acct.log" 2>&1 || {
    cat "$tmp/acct.log"; exit 1; }
test -s "$tmp/t.trace"
expect_replay_curve "$tmp/t.trace" 101 "the recorded one"
# size-shift at this scale makes thousands of allocations: the trace must hold them.
[[ $(wc -l <"$tmp/want") -ge 50 ]] || { echo "FAIL: trace too short"; cat "$tmp/want"; exit 1; }
echo "recorded curve of $(wc -l <"$tmp/want") points replays exactly; last: $(tail -1 "$tmp/want")"
