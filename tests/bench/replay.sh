#!/usr/bin/env bash
# The replay workload reproduces a trace's live-bytes curve exactly: a synthetic trace written
# by our own writer (tests/bench/trace_tool.c, per include/flatline/trace.h: four threads,
# cross-thread frees, address reuse, reallocs in place and moving, calloc, memalign, unknown
# frees, thread ends) is replayed, and the curve the replay measures after every 97 events
# equals the curve trace_tool computes from the file. Then the full driver path runs it.
set -euo pipefail
bin="$1" tool="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
source "$(dirname "$0")/replay_lib.sh"
"$tool" write "$tmp/t.trace" 11
expect_replay_curve "$tmp/t.trace" 97 "the trace's"
echo "curve of $(wc -l <"$tmp/want") points matches; last: $(tail -1 "$tmp/want")"
grep -q '^result ' "$tmp/log"

"$bin/flatline-bench" run --workloads replay --trace "$tmp/t.trace" --allocators glibc \
    --repeats 1 --time-scale 0.003 --out "$tmp/out" >/dev/null 2>"$tmp/dlog" || {
    cat "$tmp/dlog"; cat "$tmp/out"/logs/*; exit 1; }
grep -q '^replay,glibc,1,1,' "$tmp/out/runs.csv"
echo "driver replay run ok"
