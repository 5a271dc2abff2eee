#!/usr/bin/env bash
# The bench/stress programs as workloads of the matrix, through the real driver under glibc (the
# sanitizer's malloc in those builds): one row per thread count for the threaded ones, each run
# passed its thread count (the program's own output says so), peak RSS grows with the threads
# of larson (each thread owns a block array), and the rusage columns are filled. mstress and
# rptest report their peak live bytes, which give the peak RSS / peak live ratio.
set -euo pipefail
bin="$1"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
"$bin/flatline-bench" run --workloads cfrac,espresso,larson --allocators glibc --repeats 1 \
    --scale 0.01 --out "$tmp/out" >"$tmp/table" 2>"$tmp/log" || {
    cat "$tmp/log"; cat "$tmp/out"/logs/* 2>/dev/null; exit 1; }
cat "$tmp/table"
# mstress and rptest at one thread count (--threads; a round of mstress is not scaled down)
"$bin/flatline-bench" run --workloads mstress,rptest --allocators glibc --repeats 1 \
    --scale 0.01 --threads 2 --out "$tmp/out2" >"$tmp/table" 2>"$tmp/log" || {
    cat "$tmp/log"; cat "$tmp/out2"/logs/* 2>/dev/null; exit 1; }
cat "$tmp/table"
python3 - "$tmp/out" "$tmp/out2" <<'PY'
import csv, os, re, sys
out = sys.argv[1]
rows = {r["workload"]: r for r in csv.DictReader(open(os.path.join(out, "runs.csv")))}
more = {r["workload"]: r for r in csv.DictReader(open(os.path.join(sys.argv[2], "runs.csv")))}
assert sorted(more) == ["mstress-2t", "rptest-2t"], sorted(more)
want = ["cfrac", "espresso"] + [f"larson-{t}t" for t in (1, 2, 4, 8)]
assert sorted(rows) == sorted(want), sorted(rows)
for name, r in list(rows.items()) + list(more.items()):
    assert r["ok"] == "1", f"{name} failed: {r['error']}"
    v = {k: float(r[k]) for k in ("ops", "run_ms", "ops_per_s", "max_rss", "user_ms", "sys_ms",
                                   "minflt", "nvcsw", "nivcsw")}
    assert v["ops"] > 0 and v["run_ms"] > 0, (name, v)
    assert abs(v["ops_per_s"] - v["ops"] / (v["run_ms"] / 1000)) < 1e-3 * v["ops_per_s"], (name, v)
    assert v["max_rss"] > 0 and v["minflt"] > 0, (name, v)
    assert v["user_ms"] + v["sys_ms"] > 0, (name, v)
    live, ratio = float(r["peak_live"]), float(r["peak_ratio"])
    if name.startswith(("mstress-", "rptest-")):  # they print peak-live-bytes
        assert 0 < live <= v["max_rss"], (name, live, v["max_rss"])
        assert abs(ratio - v["max_rss"] / live) < 1e-3 * ratio, (name, ratio)
    else:
        assert live == -1 and ratio == -1, f"{name} reports no live bytes"
    log = open(os.path.join(out if name in rows else sys.argv[2], "logs",
                            f"{name}-glibc-r1.log")).read()
    m = re.search(r"(\d+) threads", log)
    if name.startswith(("larson-", "mstress-", "rptest-")):
        assert m and m.group(1) + "t" == name.split("-")[1], (name, log)
        if name.startswith("larson-"):
            assert float(r["ops"]) == float(rows["larson-1t"]["ops"]) * int(m.group(1)), name
# 8 threads own 8 block arrays of about 1 MiB each: the peak must show it.
assert float(rows["larson-8t"]["max_rss"]) > float(rows["larson-1t"]["max_rss"]) + 3 * 2**20, \
    (rows["larson-1t"]["max_rss"], rows["larson-8t"]["max_rss"])
report = open(os.path.join(out, "report.md")).read()
for w in want:
    assert f"| {w} | glibc |" in report, w
# the scaling data behind the plot: one line per thread count, runs.csv's peak RSS in MiB
dat = [l.split() for l in open(os.path.join(out, "plots", "scaling-larson.dat")) if l[0] != "#"]
assert [d[0] for d in dat] == ["1", "2", "4", "8"], dat
for d in dat:
    r = rows[f"larson-{d[0]}t"]
    assert abs(float(d[2]) - float(r["max_rss"]) / 2**20) < 0.01, (d, r["max_rss"])
assert "plots/scaling-larson.svg" in report
print("stress rows, thread counts, peaks and scaling data are consistent")
PY
if command -v gnuplot >/dev/null; then
    test -s "$tmp/out/plots/scaling-larson.svg" || { echo "missing scaling plot"; exit 1; }
fi
