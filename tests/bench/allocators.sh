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
# Every row of the allocator table (allocators.h, printed by `flatline-bench allocators`):
# the package of a preloaded library is a declared dependency, and with its library preloaded the runner names its
# family; the lifecycle-arena rows run flatline-bench-runner-fl (the store rows
# flatline-bench-runner-store), which link jemalloc themselves.
root="$(cd "$(dirname "$0")/../.." && pwd)"
table="$("$bin/flatline-bench" allocators)"
[[ -n "$table" ]] || { echo "FAIL: flatline-bench allocators printed nothing"; exit 1; }
while read -r name lib family pkg arenas store conf; do
    [[ "$lib" == - ]] || grep -q "^$pkg\b" "$root"/scripts/deps.d/*.txt ||
        { echo "FAIL: $name's package $pkg is in no scripts/deps.d/*.txt"; exit 1; }
    if [[ "$arenas" == 1 ]]; then
        runner=flatline-bench-runner-fl
        [[ "$store" == - ]] || runner=flatline-bench-runner-store
        got="$("$bin/$runner" --identify 2>&1)"
        echo "$got"
        [[ "$got" == "ident $family "* ]] || { echo "FAIL: $name: the arena runner is not on $family"; exit 1; }
    elif [[ "$lib" == - ]]; then
        check "" "$family"
    else
        check "$libdir/$lib" "$family"
    fi
done <<<"$table"

"$bin/flatline-bench" run --workloads db-churn --repeats 1 --scale 0.003 --time-scale 0.003 \
    --out "$tmp/out" >/dev/null 2>"$tmp/log" || { cat "$tmp/log"; exit 1; }
python3 - "$tmp/out/runs.csv" "$table" <<'PY'
import csv, sys
# The family comes from the table; the strategy says how the runner used it.
# Background threads: asked for by MALLOC_CONF, or started by the lifecycle-arena runner (as
# flatline-server does).
want = {}
for n, lib, fam, pkg, arenas, store, conf in (l.split() for l in sys.argv[2].splitlines()):
    bg = arenas == "1" or "background_thread:true" in conf
    records = {"-": "", "off": "+store", "on": "+store-defrag"}[store]
    want[n] = (fam, ("lifecycle-arenas" if arenas == "1" else "malloc") + ("+bgthread" if bg else "")
               + records)
rows = {r["allocator"]: r for r in csv.DictReader(open(sys.argv[1]))}
assert set(rows) == set(want), rows.keys()
for al, (ident, strategy) in want.items():
    r = rows[al]
    assert r["ok"] == "1", (al, r["error"])
    assert (r["ident"], r["strategy"]) == (ident, strategy), (al, r["ident"], r["strategy"])
    assert r["version"] not in ("", "-", "?"), (al, r["version"])
    print(f"{al}: malloc served by {r['ident']} {r['version']} ({r['strategy']})")
# jemalloc exposes its breakdown: allocated <= active <= resident at the peak.
for al in ("jemalloc", "jemalloc-bg", "flatline", "store", "store-defrag"):
    r = rows[al]
    a, act, res = (float(r[k]) for k in ("pk_allocated", "pk_active", "pk_resident"))
    assert 0 < a <= act <= res, (al, a, act, res)
PY
