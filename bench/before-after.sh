#!/usr/bin/env bash
# bench/before-after.sh: what a change costs on the hot paths, measured side by side in one run:
# the working tree (or revision AFTER) against revision BEFORE (default: where this branch left
# main), both built the same way (Release, debug-level assertions off: what users run). Not a
# test: it prints ratios after/before.
#
#   1. memory layer: flatline-mem-microbench of each build, alternated ROUNDS times; per size the
#      best shared-arena ns per alloc+free pair, then after/before (1.00 = no cost).
#   2. server: both servers up at once (--threads 2, free 127.0.0.1 ports), redis-benchmark
#      SET then GET (-P 16 -c 50 -r 1000000 -d D -n N, for each D in DSIZES) against each in
#      turn, ROUNDS times; the median rps of each, then after/before (1.00 = no cost).
#
#   usage: bench/before-after.sh [BEFORE [AFTER]]
#   env: N (default 1000000), ROUNDS (default 3), DSIZES (value sizes, default "100")
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$BENCH_ROOT"
REV=${1:-$(git merge-base HEAD main)}
AFTER=${2:-}
N=${N:-1000000}
ROUNDS=${ROUNDS:-3}
DSIZES=${DSIZES:-100}
need_tools git redis-benchmark redis-cli python3

before_src=$(mktemp -d)
track_dir "$before_src"
git archive "$REV" | tar -x -C "$before_src"
flags=(-DCMAKE_BUILD_TYPE=Release -DFLATLINE_DEBUG=OFF)
targets=(flatline-server flatline-mem-microbench)
echo "building $REV ($(git rev-parse --short "$REV")) and ${AFTER:-the working tree} (Release, FLATLINE_DEBUG=OFF)"
cmake -S "$before_src" -B "$before_src/build" "${flags[@]}" >/dev/null
cmake --build "$before_src/build" -j"$(nproc)" --target "${targets[@]}" >/dev/null
if [ -n "$AFTER" ]; then
    after_src=$(mktemp -d)
    track_dir "$after_src"
    git archive "$AFTER" | tar -x -C "$after_src"
    cmake -S "$after_src" -B "$after_src/build" "${flags[@]}" >/dev/null
    cmake --build "$after_src/build" -j"$(nproc)" --target "${targets[@]}" >/dev/null
    after_dir="$after_src/build"
else
    bench_build build-after "${flags[@]}" -- "${targets[@]}"
    after_dir=build-after
fi
declare -A dir=([before]="$before_src/build" [after]="$after_dir")

# 1. The memory layer.
out=$(mktemp)
track_dir "$out"
for r in $(seq "$ROUNDS"); do
    for b in before after; do
        "${dir[$b]}/src/mem/flatline-mem-microbench" | awk -v b="$b" '$1 ~ /^[0-9]+$/ {print b, $1, $3}' >>"$out"
    done
done
echo
echo "memory layer: shared-arena alloc+free, best ns per pair over $ROUNDS rounds each"
python3 - "$out" <<'PY'
import math, sys
best = {}
for line in open(sys.argv[1]):
    b, size, ns = line.split()
    k = (b, int(size))
    best[k] = min(best.get(k, float("inf")), float(ns))
sizes = sorted({s for _, s in best})
print(f"{'size':>6} {'before':>8} {'after':>8} {'after/before':>13}")
logs = []
for s in sizes:
    r = best[("after", s)] / best[("before", s)]
    logs.append(math.log(r))
    print(f"{s:>6} {best[('before', s)]:>8.1f} {best[('after', s)]:>8.1f} {r:>13.3f}")
print(f"geometric mean after/before: {math.exp(sum(logs) / len(logs)):.3f}")
PY

# 2. The server.
declare -A port pid
for b in before after; do
    port[$b]=$(free_port)
    start_flatline "pid_$b" "${dir[$b]}/src/server/flatline-server" "${port[$b]}" /dev/null \
        --threads 2 --namespace.default.memory-limit 4gb
done
rps() { # PORT TEST SIZE
    redis-benchmark -p "$1" --csv -t "$2" -P 16 -c 50 -r 1000000 -d "$3" -n "$N" 2>/dev/null |
        awk -F'","' -v t="$(echo "$2" | tr a-z A-Z)" '$1 == "\"" t {print $2}'
}
: >"$out"
for r in $(seq "$ROUNDS"); do
    for d in $DSIZES; do
        for t in set get; do
            for b in before after; do
                echo "$b $t-d$d $(rps "${port[$b]}" "$t" "$d")" >>"$out"
            done
        done
    done
done
echo
echo "server: redis-benchmark -P 16 -c 50 -r 1000000 -d D -n $N, median of $ROUNDS rounds"
python3 - "$out" <<'PY'
import statistics, sys
v, tests = {}, []
for line in open(sys.argv[1]):
    b, t, rps = line.split()
    v.setdefault((b, t), []).append(float(rps))
    if t not in tests:
        tests.append(t)
print(f"{'test':>10} {'before rps':>11} {'after rps':>11} {'after/before':>13}")
for t in tests:
    b, a = statistics.median(v[("before", t)]), statistics.median(v[("after", t)])
    print(f"{t.upper():>10} {b:>11.0f} {a:>11.0f} {a / b:>13.3f}")
PY
