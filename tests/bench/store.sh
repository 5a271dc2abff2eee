#!/usr/bin/env bash
# The store columns: db-churn's records through libflatline's namespace store (runner-store),
# its active defragmentation off ("store") and on ("store-defrag"). Through the driver: both
# columns run db-churn only, their runs say the records really were in the store (the strategy
# column), and live bytes are back to 0 at the end (the runner checks). Standalone, with the
# defragmenter's size threshold lowered so that a small run qualifies: the defragmenter moves
# records after the mass delete only when it is on, and a bad store option is refused.
set -euo pipefail
bin="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin/flatline-bench" run --workloads db-churn,size-shift --allocators glibc,store,store-defrag \
    --repeats 1 --scale 0.004 --time-scale 0.005 --out "$tmp/out" >"$tmp/table" 2>"$tmp/log" || {
    cat "$tmp/log"; cat "$tmp/out"/logs/* 2>/dev/null; exit 1; }
python3 - "$tmp/out" <<'PY'
import csv, os, sys
rows = list(csv.DictReader(open(os.path.join(sys.argv[1], "runs.csv"))))
got = sorted((r["workload"], r["allocator"]) for r in rows)
assert got == [("db-churn", "glibc"), ("db-churn", "store"), ("db-churn", "store-defrag"),
               ("size-shift", "glibc")], got
for r in rows:
    assert r["ok"] == "1", (r["allocator"], r["error"])
    want = {"glibc": "malloc", "store": "lifecycle-arenas+bgthread+store",
            "store-defrag": "lifecycle-arenas+bgthread+store-defrag"}[r["allocator"]]
    if r["ident"] != "sanitizer":
        assert r["strategy"] == want, (r["allocator"], r["strategy"])
    assert float(r["peak_live"]) > 0 and float(r["live_after_delete"]) > 0, r["allocator"]
print("store columns ran db-churn through the store")
PY

runner="$bin/flatline-bench-runner-store"
# The defragmenter is a background thread: on a loaded machine (tests run in parallel) its
# first pass may come after a short tail, so a run without moves is retried with a longer tail
# (the off column must never move anything, whatever the tail).
for defrag in off on; do
    for tail_ms in 1500 5000 15000; do
        "$runner" --workload db-churn --scale 0.02 --arenas --store-defrag "$defrag" \
            --store-option defrag-ignore-bytes=0 --store-option defrag-pct=1 \
            --tail-max-ms "$tail_ms" >"$tmp/$defrag" 2>&1 || { cat "$tmp/$defrag"; exit 1; }
        moves="$(sed -n 's/^stats tail .* defrag_moves=\([0-9]*\).*/\1/p' "$tmp/$defrag")"
        echo "defrag $defrag, tail $tail_ms ms: $moves records moved"
        grep -q "^result .* in=store" "$tmp/$defrag"
        [[ "$defrag" == on && "$moves" == 0 ]] || break
    done
    if [[ "$defrag" == off ]]; then [[ "$moves" == 0 ]]; else [[ "$moves" -gt 0 ]]; fi
done
if "$runner" --workload db-churn --scale 0.004 --store-defrag on --store-option no-such=1 \
    --tail-max-ms 10 >"$tmp/bad" 2>&1; then
    echo "an unknown store option should fail"; exit 1
fi
grep -q "unknown store option 'no-such=1'" "$tmp/bad"
if "$bin/flatline-bench-runner" --workload db-churn --store-defrag on --tail-max-ms 10 \
    >"$tmp/bad" 2>&1; then
    echo "the plain runner has no store"; exit 1
fi
grep -q "need flatline-bench-runner-store" "$tmp/bad"
