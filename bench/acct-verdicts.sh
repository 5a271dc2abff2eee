#!/usr/bin/env bash
# bench/acct-verdicts.sh: how often flatline-acct's verdict is right, and how soon it names a
# leak, at the default settings (1 s interval, 64 KiB sampling, sign test at p < 0.01), over many
# runs of tests/acct/acct_synth with different seeds. A benchmark, not a test: long runs.
#
#   usage: bench/acct-verdicts.sh [runs]                  (default 5 per scenario)
#   env:   SECONDS_LEAK=<run length of the leak scenarios>   (default 60)
#          SECONDS_NOLEAK=<run length of the others>          (default 90)
#          SCENARIOS="leak plateau turnover growshrink"  (default; add slowleak for the 1 MiB/min
#                   leak over 600 s)
#   prints per scenario: runs, runs called LEAK, runs whose final report marks a site other than
#   leak_function as LEAK (false sites), runs where another site was flagged for a while and then
#   retracted ("never mind": real growth that stopped, e.g. grow-then-shrink's growth phase), and
#   for leaks the detection time (first "possible leak" event at leak_function): median and
#   worst, and how many runs missed it.
#   Targets: no false LEAK and no false site in any run; 64 KiB/s named within 60 s, 1 MiB/min
#   within 600 s.
set -euo pipefail
# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
runs="${1:-5}"
secs_leak="${SECONDS_LEAK:-60}"
secs_noleak="${SECONDS_NOLEAK:-90}"
build="$BENCH_ROOT/build-acct-bench"
work="$(mktemp -d /tmp/acct-verdicts.XXXXXX)"
track_dir "$work"
bench_build "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -- flatline-acct flatline-acct-lib acct_synth
acct="$build/src/acct/flatline-acct"
synth="$build/tests/acct/acct_synth"

# scenario NAME MODE SECONDS RATE: runs it $runs times, prints one line of figures
scenario() {
    local name=$1 mode=$2 secs=$3 rate=$4 seed leaks=0 false_sites=0 retracted=0 missed=0 times=()
    for ((seed = 1; seed <= runs; seed++)); do
        local out="$work/$mode-$rate-$seed"
        "$acct" --out "$out" --quiet --no-plot -- "$synth" "$mode" "$secs" "$seed" "$rate" \
            >/dev/null 2>&1 || true
        if grep -q "^verdict: LEAK" "$out/report.txt" 2>/dev/null; then leaks=$((leaks + 1)); fi
        if awk '/^  #[0-9]+ site/{l=/\[LEAK/;next} l&&/^      at /{print;l=0}' "$out/report.txt" \
            2>/dev/null | grep -vq leak_function; then
            false_sites=$((false_sites + 1))
        fi
        if grep "possible leak" "$out/events.log" 2>/dev/null | grep -vq leak_function; then
            retracted=$((retracted + 1))
        fi
        if [[ "$mode" == leak ]]; then
            local t
            t=$(grep -m1 'possible leak.*leak_function' "$out/events.log" 2>/dev/null |
                sed -n 's/^t=\([0-9.]*\)s.*/\1/p' || true)
            if [[ -n "$t" ]]; then times+=("$t"); else missed=$((missed + 1)); fi
        fi
    done
    local detect="-"
    if ((${#times[@]} > 0)); then
        local sorted
        sorted=$(printf '%s\n' "${times[@]}" | sort -g)
        detect="median $(echo "$sorted" | sed -n "$(((${#times[@]} + 1) / 2))p") s, worst $(echo "$sorted" | tail -1) s"
    fi
    printf '%-18s %3d runs of %4d s  LEAK verdicts %3d  false sites %3d  flagged then retracted %3d  detection: %s%s\n' \
        "$name" "$runs" "$secs" "$leaks" "$false_sites" "$retracted" "$detect" \
        "$([[ "$mode" == leak ]] && echo ", missed $missed" || true)"
}

echo "flatline-acct verdicts at the defaults ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
for sc in ${SCENARIOS:-leak plateau turnover growshrink}; do
    case "$sc" in
    leak) scenario "leak 64 KiB/s" leak "$secs_leak" 65536 ;;
    plateau) scenario "bounded cache" plateau "$secs_noleak" 0 ;;
    turnover) scenario "steady turnover" turnover "$secs_noleak" 0 ;;
    growshrink) scenario "grow then shrink" growshrink "$secs_noleak" 0 ;;
    slowleak) scenario "leak 1 MiB/min" leak 600 17476 ;;
    *) echo "unknown scenario $sc" >&2; exit 2 ;;
    esac
done
