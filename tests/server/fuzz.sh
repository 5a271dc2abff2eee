#!/usr/bin/env bash
# tests/server/fuzz.sh FUZZ_BUILD_DIR [SECONDS]: runs the libFuzzer target for the RESP parser
# and command dispatch (src/server/fuzz/) for a bounded time (default 20 s, 2 GB RSS cap)
# from the seed corpus and dictionary in tests/server/fuzz/. Passes when libFuzzer finds no
# crash, leak, sanitizer report or malformed reply stream. Skipped without clang.
dir=$1 secs=${2:-20}
here=$(cd "$(dirname "$0")" && pwd)
command -v clang >/dev/null || { echo "skipped: clang is not installed (needed for libFuzzer)"; exit 77; }
bin="$dir/src/server/fuzz/flatline-server-fuzz"
if [ ! -x "$bin" ]; then
    echo "FAIL: the fuzz target was not built; last lines of $dir/fuzz-build.log:" >&2
    tail -n 30 "$dir/fuzz-build.log" >&2 2>/dev/null
    exit 1
fi
work=$(mktemp -d /tmp/flatline-fuzz.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/corpus"
cp "$here"/fuzz/seeds/* "$work/corpus/"
ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    "$bin" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=10 -max_len=4096 \
    -dict="$here/fuzz/resp.dict" -artifact_prefix="$work/" -print_final_stats=1 \
    "$work/corpus" >"$work/log" 2>&1
st=$?
if [ $st != 0 ]; then
    echo "FAIL: libFuzzer exited $st" >&2
    tail -n 60 "$work/log" >&2
    for f in "$work"/crash-* "$work"/leak-* "$work"/timeout-* "$work"/oom-*; do
        [ -f "$f" ] && { echo "reproducer $f (base64):" >&2; base64 "$f" | head -20 >&2; }
    done
    exit 1
fi
grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$work/log"
echo "fuzzed for $secs s: no crash, leak or sanitizer report"
