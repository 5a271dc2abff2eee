#!/usr/bin/env bash
# Every synthetic workload at a tiny scale under glibc (under a sanitizer build: the sanitizer's
# malloc), through the real driver: the runs succeed, the measures are sane and consistent, and
# the CSV, summary, report and (when gnuplot is installed) plots are written.
set -euo pipefail
bin="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin/flatline-bench" run --workloads db-churn,size-shift,server-larson --allocators glibc \
    --repeats 2 --scale 0.004 --time-scale 0.005 --out "$tmp/out" >"$tmp/table" 2>"$tmp/log" || {
    cat "$tmp/log"; cat "$tmp/out"/logs/* 2>/dev/null; exit 1; }
cat "$tmp/table"
python3 - "$tmp/out" <<'PY'
import csv, os, sys
out = sys.argv[1]
rows = list(csv.DictReader(open(os.path.join(out, "runs.csv"))))
assert len(rows) == 6, f"want 6 runs, got {len(rows)}"
for r in rows:
    name = f"{r['workload']} rep {r['repeat']}"
    assert r["ok"] == "1", f"{name} failed: {r['error']}"
    assert r["ident"] in ("glibc", "sanitizer"), f"{name}: malloc served by {r['ident']}"
    v = {k: float(r[k]) for k in ("ops", "ops_per_s", "peak_live", "rss_at_peak_live",
         "frag_at_peak", "max_rss", "peak_ratio", "live_sync_peak", "live_after_delete",
         "rss_tail1", "rss_tail2", "rss_tail3")}
    assert v["ops"] > 0 and v["ops_per_s"] > 0, name
    assert v["peak_live"] > 0 and v["rss_at_peak_live"] > 0, name
    assert abs(v["frag_at_peak"] - v["rss_at_peak_live"] / v["peak_live"]) < 1e-3 * v["frag_at_peak"], name
    assert v["max_rss"] >= v["rss_at_peak_live"], name
    assert v["peak_ratio"] >= v["frag_at_peak"] - 1e-9, name
    # The mass delete keeps about one object in ten.
    assert 0 < v["live_after_delete"] < v["live_sync_peak"] / 3, (name, v)
    for k in ("rss_tail1", "rss_tail2", "rss_tail3"):
        assert v[k] > 0, (name, k)
    assert float(r["tail1_s"]) <= float(r["tail2_s"]) <= float(r["tail3_s"]), name
    # rusage from wait4: the runner did work on the CPU and touched fresh pages; every count is
    # a whole number the kernel gave (none is left unknown).
    ru = {k: float(r[k]) for k in ("user_ms", "sys_ms", "minflt", "majflt", "nvcsw", "nivcsw")}
    assert ru["user_ms"] + ru["sys_ms"] > 0, (name, ru)
    assert ru["minflt"] > 0, (name, ru)
    assert all(x >= 0 and x == int(x) for k, x in ru.items() if k not in ("user_ms", "sys_ms")), (name, ru)
summary = list(csv.DictReader(open(os.path.join(out, "summary.csv"))))
assert len(summary) == 3 and all(s["runs"] == "2" for s in summary), summary
report = open(os.path.join(out, "report.md")).read()
for w in ("db-churn", "size-shift", "server-larson"):
    assert f"| {w} | glibc |" in report, w
    assert f"plots/rss-{w}.svg" in report, w
    assert os.path.exists(os.path.join(out, "series", f"{w}-glibc-r1.csv")), w
assert "## CPU, page faults and context switches" in report
assert report.count("| db-churn | glibc |") == 3, "results, breakdown and rusage tables"
assert "## Machine" in report and "cpu:" in report
print("runs, summary and report are consistent")
PY
if command -v gnuplot >/dev/null; then
    for f in rss-db-churn rss-size-shift rss-server-larson ratios; do
        for ext in svg png; do
            test -s "$tmp/out/plots/$f.$ext" || { echo "missing plot $f.$ext"; exit 1; }
        done
    done
    echo "plots drawn"
fi
# report rebuilds the same page from runs.csv alone
rm "$tmp/out/report.md" "$tmp/out/summary.csv"
"$bin/flatline-bench" report --out "$tmp/out" --page "$tmp/page.md" >/dev/null 2>&1
grep -q '(out/plots/rss-db-churn.svg)' "$tmp/page.md"
test -s "$tmp/out/summary.csv"
echo "report --page links images relative to the page"
