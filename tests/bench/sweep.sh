#!/usr/bin/env bash
# --sweep ALLOC: one column per setting of ALLOC's options, every one served by the real
# allocator (jemalloc's background threads really running where a setting asks), the option
# names known to the installed libraries (mimalloc says so with MIMALLOC_VERBOSE; tcmalloc's
# library holds the variable's name), the report's "Best per workload" naming the column
# runs.csv says has the least peak RSS and the most ops/s, and the relative plot's data dividing
# by the defaults' column.
set -euo pipefail
bin="$1" libdir="$2"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
if "$bin/flatline-bench" run --sweep glibc --out "$tmp/x" 2>"$tmp/err"; then
    echo "--sweep glibc should fail"; exit 1
fi
grep -q "no option sweep for 'glibc' (there is one for jemalloc, tcmalloc, mimalloc)" "$tmp/err"

# The options each setting sets are the ones the installed library reads.
"$bin/flatline-bench" allocators --sweep mimalloc >"$tmp/mi"
while read -r name lib family pkg arenas store env; do
    [[ "$env" == - ]] && continue
    var="${env%%=*}" value="${env#*=}"
    option="$(tr 'A-Z' 'a-z' <<<"${var#MIMALLOC_}")"
    out="$(env MIMALLOC_VERBOSE=1 "$env" LD_PRELOAD="$libdir/$lib" /bin/true 2>&1)"
    grep -q "option '$option': $value\$" <<<"$out" ||
        { echo "FAIL: $name: mimalloc did not take $env"; echo "$out" | head -30; exit 1; }
    ! grep -q "is deprecated\|invalid value" <<<"$out" || { echo "FAIL: $name: $out"; exit 1; }
done <"$tmp/mi"
"$bin/flatline-bench" allocators --sweep tcmalloc >"$tmp/tc"
while read -r name lib family pkg arenas store env; do
    [[ "$env" == - ]] && continue
    grep -qx "${env%%=*}" < <(strings "$libdir/$lib") ||
        { echo "FAIL: $name: $libdir/$lib does not know ${env%%=*}"; exit 1; }
done <"$tmp/tc"

for alloc in jemalloc tcmalloc mimalloc; do
    FLATLINE_BENCH_LIBDIR="$libdir" "$bin/flatline-bench" run --sweep "$alloc" \
        --workloads db-churn --repeats 1 --scale 0.004 --time-scale 0.005 --strict \
        --out "$tmp/$alloc" >"$tmp/table" 2>"$tmp/log" || {
        cat "$tmp/log"; cat "$tmp/$alloc"/logs/* 2>/dev/null; exit 1; }
    python3 - "$tmp/$alloc" "$alloc" "$tmp/${alloc:0:2}" <<'PY'
import csv, os, re, sys
out, alloc = sys.argv[1], sys.argv[2]
rows = list(csv.DictReader(open(os.path.join(out, "runs.csv"))))
cols = [r["allocator"] for r in rows]
prefix = alloc[:2] + "-"
assert len(cols) >= 5 and cols[0] == prefix + "default", cols
assert all(c.startswith(prefix) for c in cols), cols
if os.path.exists(sys.argv[3]):  # the sweep's table, as `allocators --sweep` printed it
    assert cols == [l.split()[0] for l in open(sys.argv[3])], cols
for r in rows:
    assert r["ok"] == "1", (r["allocator"], r["error"])
    assert r["ident"] == alloc, (r["allocator"], r["ident"])
    assert ("+bgthread" in r["strategy"]) == r["allocator"].startswith("je-bg"), \
        (r["allocator"], r["strategy"])
least = min(rows, key=lambda r: float(r["max_rss"]))["allocator"]
most = max(rows, key=lambda r: float(r["ops_per_s"]))["allocator"]
report = open(os.path.join(out, "report.md")).read()
m = re.search(r"^\| db-churn \| (\S+) \(.*?\) \| (\S+) \(.*?\) \| (\S+) \(", report, re.M)
assert m, "no Best per workload row"
assert m.group(1) == least and m.group(3) == most, (m.groups(), least, most)
# plots/relative.dat: per column, peak RSS over the defaults' peak RSS
dat = [l.split() for l in open(os.path.join(out, "plots", "relative.dat")) if l[0] != "#"]
assert dat[0][0] == "db-churn", dat
base = float(rows[0]["max_rss"])
for i, r in enumerate(rows):
    assert abs(float(dat[0][1 + i]) - float(r["max_rss"]) / base) < 1e-3, (i, dat[0], r["max_rss"])
assert "plots/relative.svg" in report
print(f"{alloc} sweep of {len(cols)} settings; least peak RSS {least}, most ops/s {most}")
PY
done
