#!/usr/bin/env bash
# --quick: its defaults apply (one repeat, the quick time scale), an option given explicitly
# still wins wherever it stands, and each finished run prints the estimated time left.
set -euo pipefail
bin="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin/flatline-bench" run --scale 0.004 --workloads db-churn,cfrac --allocators glibc --quick \
    --out "$tmp/out" >"$tmp/table" 2>"$tmp/log" || {
    cat "$tmp/log"; cat "$tmp/out"/logs/* 2>/dev/null; exit 1; }
cat "$tmp/log"
grep -qx 'repeats: 1' "$tmp/out/config.txt"          # quick's default
grep -qx 'time-scale: 0.05' "$tmp/out/config.txt"     # quick's default
grep -qx 'scale: 0.004' "$tmp/out/config.txt"         # given before --quick: still wins
test "$(grep -c '^\[[12]/2\] .* left ~[0-9]' "$tmp/log")" = 2
python3 - "$tmp/out" <<'PY'
import csv, os, sys
rows = list(csv.DictReader(open(os.path.join(sys.argv[1], "runs.csv"))))
assert [(r["workload"], r["repeat"], r["ok"]) for r in rows] == [
    ("db-churn", "1", "1"), ("cfrac", "1", "1")], rows
# cfrac's work at --scale 0.004: 4000000 steps x 0.004
assert float(rows[1]["ops"]) == 16000, rows[1]["ops"]
# the tail checkpoints waited at quick's time scale: +30 s x 0.05
assert 1.0 < float(rows[0]["tail3_s"]) < 30, rows[0]["tail3_s"]
print("quick defaults, explicit options and progress are right")
PY
