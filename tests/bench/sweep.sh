#!/usr/bin/env bash
# --sweep jemalloc: one column per MALLOC_CONF setting, every one served by the real jemalloc
# (background threads really running where the setting asks), and the report's "Best per
# workload" names the column runs.csv says has the least peak RSS and the most ops/s.
set -euo pipefail
bin="$1" libdir="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if "$bin/flatline-bench" run --sweep tcmalloc --out "$tmp/x" 2>"$tmp/err"; then
    echo "--sweep tcmalloc should fail"; exit 1
fi
grep -q "no option sweep for 'tcmalloc'" "$tmp/err"
FLATLINE_BENCH_LIBDIR="$libdir" "$bin/flatline-bench" run --sweep jemalloc --workloads db-churn \
    --repeats 1 --scale 0.004 --time-scale 0.005 --strict --out "$tmp/out" >"$tmp/table" \
    2>"$tmp/log" || { cat "$tmp/log"; cat "$tmp/out"/logs/* 2>/dev/null; exit 1; }
cat "$tmp/table"
python3 - "$tmp/out" <<'PY'
import csv, os, re, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "runs.csv"))))
cols = [r["allocator"] for r in rows]
assert len(cols) >= 5 and cols[0] == "je-default" and "je-bg" in cols and "je-narenas1" in cols, cols
for r in rows:
    assert r["ok"] == "1", (r["allocator"], r["error"])
    assert r["ident"] == "jemalloc", (r["allocator"], r["ident"])
    assert ("+bgthread" in r["strategy"]) == r["allocator"].startswith("je-bg"), \
        (r["allocator"], r["strategy"])
least = min(rows, key=lambda r: float(r["max_rss"]))["allocator"]
most = max(rows, key=lambda r: float(r["ops_per_s"]))["allocator"]
report = open(os.path.join(out, "report.md")).read()
m = re.search(r"^\| db-churn \| (\S+) \(.*?\) \| (\S+) \(.*?\) \| (\S+) \(", report, re.M)
assert m, "no Best per workload row"
assert m.group(1) == least and m.group(3) == most, (m.groups(), least, most)
print(f"sweep of {len(cols)} settings; least peak RSS {least}, most ops/s {most}")
PY
