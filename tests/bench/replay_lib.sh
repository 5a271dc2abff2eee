# tests/bench/replay_lib.sh: sourced by replay.sh and replay_acct.sh (needs $bin, $tool, $tmp).
#   expect_replay_curve TRACE EVERY WHAT
# replays TRACE with flatline-bench-runner, reporting live bytes every EVERY events, and fails
# (exit 1, with the first differences) unless that curve equals the one trace_tool computes from
# the file; WHAT names the expected curve in the messages ("the trace's", "the recorded one").
# Leaves the runner's report lines in $tmp/log and the expected curve in $tmp/want.
expect_replay_curve() {
    local trace=$1 every=$2 what=$3
    "$tool" curve "$trace" "$every" >"$tmp/want"
    "$bin/flatline-bench-runner" --workload replay --trace "$trace" --curve-every "$every" \
        --tail-max-ms 20 2>"$tmp/log" || { cat "$tmp/log"; exit 1; }
    grep '^curve ' "$tmp/log" >"$tmp/got" || true
    grep '^trace ' "$tmp/log"
    if ! diff "$tmp/want" "$tmp/got" >"$tmp/diff"; then
        echo "FAIL: replayed live-bytes curve differs from $what"; head -20 "$tmp/diff"; exit 1
    fi
}
