#!/usr/bin/env bash
# Each allocator of the matrix is really the one serving malloc in the runner: the runner's
# ident (dladdr(malloc), plus the allocator's own version call through dlsym) must name it,
# jemalloc-bg must have jemalloc's background threads on, and the flatline column must run with
# lifecycle arenas (and background threads) on jemalloc. Checked standalone and
# through the driver, whose runs fail on a mismatch.
set -euo pipefail
bin="$1"
libdir="${FLATLINE_BENCH_LIBDIR:-$2}"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
check() { # check LIB EXPECT
    local got
    got="$(LD_PRELOAD="$1" "$bin/flatline-bench-runner" --identify 2>&1)"
    echo "$got"
    [[ "$got" == "ident $2 "* ]] || { echo "FAIL: want $2 with LD_PRELOAD=$1"; exit 1; }
}
check "" glibc
check "$libdir/libjemalloc.so.2" jemalloc
check "$libdir/libtcmalloc_minimal.so.4" tcmalloc
check "$libdir/libmimalloc.so.2" mimalloc
got="$("$bin/flatline-bench-runner-fl" --identify 2>&1)"
echo "$got"
[[ "$got" == "ident jemalloc "* ]] || { echo "FAIL: the flatline runner is not on jemalloc"; exit 1; }

"$bin/flatline-bench" run --workloads db-churn --repeats 1 --scale 0.003 --time-scale 0.003 \
    --out "$tmp/out" >/dev/null 2>"$tmp/log" || { cat "$tmp/log"; exit 1; }
python3 - "$tmp/out/runs.csv" <<'PY'
import csv, sys
want = {"glibc": ("glibc", "malloc"), "jemalloc": ("jemalloc", "malloc"),
        "jemalloc-bg": ("jemalloc", "malloc+bgthread"),
        "tcmalloc": ("tcmalloc", "malloc"), "mimalloc": ("mimalloc", "malloc"),
        "flatline": ("jemalloc", "lifecycle-arenas+bgthread")}
rows = {r["allocator"]: r for r in csv.DictReader(open(sys.argv[1]))}
assert set(rows) == set(want), rows.keys()
for al, (ident, strategy) in want.items():
    r = rows[al]
    assert r["ok"] == "1", (al, r["error"])
    assert (r["ident"], r["strategy"]) == (ident, strategy), (al, r["ident"], r["strategy"])
    assert r["version"] not in ("", "-", "?"), (al, r["version"])
    print(f"{al}: malloc served by {r['ident']} {r['version']} ({r['strategy']})")
# jemalloc exposes its breakdown: allocated <= active <= resident at the peak.
for al in ("jemalloc", "jemalloc-bg", "flatline"):
    r = rows[al]
    a, act, res = (float(r[k]) for k in ("pk_allocated", "pk_active", "pk_resident"))
    assert 0 < a <= act <= res, (al, a, act, res)
PY
