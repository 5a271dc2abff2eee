#!/usr/bin/env bash
# tests/acct/acct_cases.sh: black-box tests of libflatline-acct.so and the flatline-acct driver
# against small programs written for them (tests/acct/*.c) and real allocators.
#   acct_cases.sh CASE [ARG]   with ACCT_BIN (dir of flatline-acct + the library) and
#                              TEST_BIN (dir of the test programs) in the environment;
#                              ACCT_LIBDIR (where the allocators are installed, from CMake's
#                              CMAKE_LIBRARY_ARCHITECTURE; else from gcc -print-multiarch).
# Cases: stress ALLOC MODE | sampled ALLOC | stress-linked MODE | leak | quoting | frag ALLOC | held ALLOC | verdict MODE VERDICT | daemon | badinput | trace | signal | stops | forkleak | export | diff | service | symbols | synth MODE
# Exit 0 pass, 1 fail, 77 skipped (an allocator is not installed).
set -u
case_name="$1"
shift
lib="$ACCT_BIN/libflatline-acct.so"
drv="$ACCT_BIN/flatline-acct"
work="$(mktemp -d /tmp/flatline-acct-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT

fail() { echo "FAIL: $*" >&2; exit 1; }

libdir="${ACCT_LIBDIR:-}"
if [[ -z "$libdir" ]]; then
    multiarch="$(gcc -print-multiarch 2>/dev/null || true)"
    libdir="/usr/lib${multiarch:+/$multiarch}"
fi

alloc_path() {
    case "$1" in
    glibc) echo "" ;;
    jemalloc) echo "$libdir/libjemalloc.so.2" ;;
    tcmalloc) echo "$libdir/libtcmalloc_minimal.so.4" ;;
    mimalloc) echo "$libdir/libmimalloc.so.2" ;;
    esac
}

need_alloc() {
    local p
    p="$(alloc_path "$1")"
    if [[ -n "$p" && ! -r "$p" ]]; then
        echo "skipped: $1 is not installed ($p)" >&2
        exit 77
    fi
    echo "$p"
}

# The top call site of a report: its line and its frames (top_site), or its frames (top_frames).
top_site() { awk '/^  #1 site/{f=1;print;next} f&&/^  #2 site|^leak watch/{exit} f' "$1"; }
top_frames() { top_site "$1" | tail -n +2; }

# Runs the driver, captures stderr and the report.
run_drv() {
    "$drv" --out "$work/out" --quiet --no-plot "$@" >"$work/stdout" 2>"$work/stderr"
}

case "$case_name" in
stress)
    p="$(need_alloc "$1")"
    LD_PRELOAD="$lib${p:+ $p}" timeout 120 "$TEST_BIN/acct_stress" "$2" || fail "stress $2 under $1"
    ;;
sampled)
    # nearly every block sampled (mean 256 bytes) and freed by another thread: sampled blocks'
    # table and filter must lose and keep nothing
    p="$(need_alloc "$1")"
    FLATLINE_ACCT_SAMPLE=256 LD_PRELOAD="$lib${p:+ $p}" timeout 120 "$TEST_BIN/acct_stress" sampled ||
        fail "sampled blocks under $1"
    ;;
stress-linked)
    # jemalloc linked into the program: the stress must find mallctl and take the *allocx paths
    LD_PRELOAD="$lib" timeout 120 "$TEST_BIN/acct_stress_jelinked" "$1" ||
        fail "stress $1 with jemalloc linked"
    ;;
leak)
    run_drv --interval 200 --leak-threshold 4M -- "$TEST_BIN/acct_leak" || fail "driver exit $?"
    r="$work/out/report.txt"
    [[ -s "$r" ]] || fail "no report"
    grep -q '^verdict: LEAK' "$r" || { cat "$r" >&2; fail "verdict is not LEAK"; }
    # the top site is the leak, named by function and file:line
    top=$(top_frames "$r")
    echo "$top" | grep -q 'at leaky_function (.*acct_leak.c:[0-9]*)' ||
        { cat "$r" >&2; fail "top site is not leaky_function with file:line"; }
    grep -q '\[LEAK' "$r" || fail "site not marked as possible leak"
    grep -q 'possible leak: site' "$work/out/events.log" || fail "no progressive leak event"
    lines=$(wc -l <"$work/out/timeseries.csv")
    ((lines >= 5)) || fail "time series has only $lines lines"
    grep -q '^leaked 768 blocks' "$work/stdout" || fail "the program's own output changed"
    ;;
quoting)
    # a quote and a space in the output directory and in the program's path: the tools the
    # driver reads and runs (libdw, gnuplot) get them as they are, never through a shell
    odd="$work/it's here"
    mkdir "$odd" && cp "$TEST_BIN/acct_leak" "$odd/leak 'prog'" || fail "cannot set up $odd"
    "$drv" --out "$odd/o'ut dir" --quiet --interval 200 --leak-threshold 4M -- "$odd/leak 'prog'" \
        >"$work/stdout" 2>"$work/stderr" || { cat "$work/stderr" >&2; fail "driver exit $?"; }
    r="$odd/o'ut dir/report.txt"
    [[ -s "$r" ]] || fail "no report in $odd/o'ut dir"
    grep -q "at leaky_function (.*acct_leak.c:[0-9]*) \[leak 'prog'\]" "$r" ||
        { cat "$r" >&2; fail "call site in a program with a quote in its path not symbolized"; }
    if command -v gnuplot >/dev/null; then # drawn in the background after the driver returned
        for _ in $(seq 200); do
            [[ -s "$odd/o'ut dir/plot.png" && -s "$odd/o'ut dir/plot.svg" ]] && break
            sleep 0.05
        done
        [[ -s "$odd/o'ut dir/plot.png" && -s "$odd/o'ut dir/plot.svg" ]] ||
            { cat "$work/stderr" >&2; fail "no plot in a directory with a quote in its name"; }
    fi
    "$drv" report "$odd/o'ut dir" 2>"$work/stderr" || fail "report DIR in a directory with a quote"
    grep -q 'gnuplot could not' "$work/stderr" && fail "gnuplot failed: $(cat "$work/stderr")"
    ;;
frag)
    p="$(need_alloc "$1")"
    run_drv --interval 100 --leak-threshold 8M ${p:+--allocator "$p"} -- "$TEST_BIN/acct_frag" ||
        fail "driver exit $?"
    r="$work/out/report.txt"
    want='FRAGMENTATION'
    # mimalloc says nothing about its pages: holes and held pages cannot be told apart
    [[ "$1" == mimalloc ]] && want='(FRAGMENTATION|HEAP OVERHEAD)'
    grep -Eq "^verdict: $want" "$r" || { cat "$r" >&2; fail "verdict is not $want"; }
    grep -q '\[LEAK' "$r" && { cat "$r" >&2; fail "a site is still called a leak"; }
    grep -q "allocator: $1" "$r" || { head -3 "$r" >&2; fail "allocator is not $1"; }
    # progressive: a site flagged while the heap filled must be followed by a "never mind"
    if grep -q 'possible leak' "$work/out/events.log"; then
        grep -q 'never mind' "$work/out/events.log" || fail "possible leak without never mind"
    fi
    ;;
held)
    # everything freed: no leak, no fragmentation; jemalloc keeps the dirty pages (decay 10 s),
    # mimalloc its pages (nothing live can pin them); glibc may have returned them (healthy)
    p="$(need_alloc "$1")"
    run_drv --interval 100 --leak-threshold 8M ${p:+--allocator "$p"} -- "$TEST_BIN/acct_frag" all ||
        fail "driver exit $?"
    r="$work/out/report.txt"
    grep -Eq '^verdict: (LEAK|FRAGMENTATION)' "$r" && { cat "$r" >&2; fail "wrong verdict"; }
    if [[ "$1" == jemalloc || "$1" == mimalloc ]]; then
        grep -q '^verdict: PAGES HELD BY THE ALLOCATOR' "$r" || { cat "$r" >&2; fail "not PAGES HELD"; }
    fi
    ;;
verdict)
    # acct_frag MODE must get verdict VERDICT (glibc underneath)
    run_drv --interval 100 --leak-threshold 8M -- "$TEST_BIN/acct_frag" "$1" || fail "driver exit $?"
    r="$work/out/report.txt"
    grep -q "^verdict: $2" "$r" || { cat "$r" >&2; fail "verdict is not $2"; }
    ;;
daemon)
    # a program that closes every descriptor and reuses the numbers: none of ours writes there
    run_drv --interval 50 --trace "$work/t.trace" -- "$TEST_BIN/acct_daemon" "$work/own" ||
        fail "the program's own files were written to (exit $?)"
    [[ $(wc -l <"$work/out/timeseries.csv") -ge 5 ]] || fail "time series stopped"
    grep -q '^verdict:' "$work/out/report.txt" || fail "no report"
    ;;
badinput)
    "$drv" --bogus -- /bin/true 2>"$work/e" && fail "unknown option accepted"
    [[ $? == 2 ]] || fail "unknown option: exit code"
    grep -q "unknown option '--bogus'" "$work/e" || fail "unknown option message: $(cat "$work/e")"
    "$drv" --out "$work/o" -- /no/such/program 2>"$work/e"
    [[ $? == 127 ]] || fail "missing program: exit code"
    grep -q "cannot run '/no/such/program': No such file or directory" "$work/e" ||
        fail "missing program message: $(cat "$work/e")"
    "$drv" --out "$work/o" -- no-such-program-flatline 2>"$work/e"
    [[ $? == 127 ]] || fail "missing program in PATH: exit code"
    "$drv" --out /proc/flatline-no/out -- /bin/true 2>"$work/e"
    [[ $? == 2 ]] || fail "unwritable directory: exit code"
    grep -q "cannot write into output directory '/proc/flatline-no/out'" "$work/e" ||
        fail "unwritable directory message: $(cat "$work/e")"
    touch "$work/afile"
    "$drv" --out "$work/afile" -- /bin/true 2>"$work/e"
    [[ $? == 2 ]] || fail "output is a file: exit code"
    "$drv" --out "$work/o" --interval 1 -- /bin/true 2>"$work/e"
    [[ $? == 2 ]] && grep -q "bad value '1' for --interval: out of range" "$work/e" ||
        fail "bad value: $(cat "$work/e")"
    "$drv" --out "$work/o" --sample -- /bin/true 2>"$work/e"
    [[ $? == 2 ]] || fail "bad size accepted"
    "$drv" --out "$work/o" --allocator nosuch -- /bin/true 2>"$work/e"
    [[ $? == 2 ]] && grep -q "unknown allocator 'nosuch'" "$work/e" || fail "bad allocator"
    "$drv" 2>"$work/e"
    [[ $? == 2 ]] && grep -q usage "$work/e" || fail "no program: usage"
    # the program's exit status passes through
    "$drv" --out "$work/o" --quiet --no-plot -- /bin/sh -c 'exit 7'
    [[ $? == 7 ]] || fail "exit status not passed through"
    ;;
trace)
    run_drv --trace "$work/t.trace" -- "$TEST_BIN/acct_traceprog" "$work/cp" ||
        fail "driver exit $?"
    [[ -s "$work/t.trace" ]] || fail "no trace"
    "$TEST_BIN/acct_replay" "$work/t.trace" "$work/cp" "$work/curve.csv" || fail "replay"
    ;;
signal)
    # The program (head) runs until we close its input, so a loaded machine cannot end it before
    # the signal arrives; it then exits normally and writes its final report. If the test fails
    # first, its input closes with this shell and it ends by itself.
    mkfifo "$work/in" || fail "mkfifo"
    "$drv" --out "$work/out" --quiet --no-plot --interval 50 -- head -n 1 <"$work/in" >/dev/null &
    dpid=$!
    exec 3>"$work/in"
    child=""
    for _ in $(seq 200); do
        child=$(pgrep -P "$dpid" -x head || true)
        [[ -n "$child" && -s "$work/out/timeseries.csv" ]] && break
        sleep 0.05
    done
    [[ -n "$child" ]] || fail "no child"
    kill -USR2 "$child"
    for _ in $(seq 200); do
        [[ -s "$work/out/report-1.txt" ]] && break
        sleep 0.05
    done
    echo done >&3
    exec 3>&-
    wait "$dpid" || fail "head under the driver failed (exit $?)"
    grep -q 'on demand' "$work/out/report-1.txt" || fail "no on-demand report"
    grep -q '^verdict:' "$work/out/report.txt" || fail "no final report"
    # killed without a chance to report (as by the OOM killer): a verdict from the time series;
    # a long sleep, killed by us by its PID once the time series has a few samples
    "$drv" --out "$work/out2" --no-plot --interval 50 -- sleep 30 2>"$work/e" &
    dpid=$!
    child=""
    for _ in $(seq 200); do
        child=$(pgrep -P "$dpid" -x sleep || true)
        [[ -n "$child" ]] && [[ $(wc -l <"$work/out2/timeseries.csv" 2>/dev/null || echo 0) -ge 3 ]] && break
        sleep 0.05
    done
    [[ -n "$child" ]] || { kill "$dpid"; fail "no child"; }
    kill -KILL "$child"
    wait "$dpid"
    [[ $? == 137 ]] || fail "killed program: exit status"
    r="$work/out2/report.txt"
    grep -q '^note: the program was killed by signal 9' "$r" ||
        { cat "$work/e" "$r" >&2; fail "no report from latest.txt for a killed program"; }
    grep -q '^verdict: HEALTHY GROWTH' "$r" || { cat "$r" >&2; fail "no verdict after SIGKILL"; }
    ;;
stops)
    # Stopping the service keeps the answer: SIGTERM to the driver is passed on to the program,
    # which dies of it (no exit handlers); report.txt then comes from the rolling latest.txt,
    # symbolized, with the leak named; SIGUSR2 to the driver asks for report-1.txt; a crash (below)
    # also leaves its report.
    "$drv" --out "$work/out" --quiet --no-plot --interval 100 -- \
        "$TEST_BIN/acct_synth" leak 60 1 1048576 >/dev/null 2>"$work/e" &
    dpid=$!
    for _ in $(seq 600); do
        grep -qs '\[LEAK' "$work/out/latest.txt" && break
        sleep 0.05
    done
    kill -USR2 "$dpid"
    for _ in $(seq 600); do
        [[ -s "$work/out/report-1.txt" ]] && break
        sleep 0.05
    done
    kill -TERM "$dpid"
    wait "$dpid"
    [[ $? == 143 ]] || fail "driver exit status after SIGTERM: want 143"
    r="$work/out/report.txt"
    grep -q '^note: the program was killed by signal 15' "$r" || { cat "$work/e" >&2; fail "no note"; }
    grep -q '^verdict: LEAK' "$r" || { cat "$r" >&2; fail "verdict after SIGTERM is not LEAK"; }
    grep -q 'at leak_function (.*acct_synth.c:[0-9]*)' "$r" || { cat "$r" >&2; fail "not symbolized"; }
    grep -q 'on demand' "$work/out/report-1.txt" || fail "SIGUSR2 not passed on"
    # SIGKILL of the driver: the program runs on and reports at its end; `flatline-acct report`
    # renders the findings afterwards, symbolized
    "$drv" --out "$work/o3" --quiet --no-plot --interval 100 -- \
        "$TEST_BIN/acct_synth" leak 5 1 2097152 >/dev/null 2>&1 &
    dpid=$!
    for _ in $(seq 600); do
        [[ -s "$work/o3/latest.txt" ]] && break
        sleep 0.05
    done
    kill -KILL "$dpid"
    for _ in $(seq 600); do
        grep -qs '^verdict' "$work/o3/report.txt" && break
        sleep 0.05
    done
    "$drv" report "$work/o3" 2>"$work/e" || { cat "$work/e" >&2; fail "report DIR failed"; }
    grep -q '^verdict: LEAK' "$work/e" || { cat "$work/e" >&2; fail "report DIR: no verdict"; }
    grep -q 'at leak_function (.*acct_synth.c:[0-9]*)' "$work/o3/report.txt" ||
        fail "report DIR did not symbolize"
    # a crash: the report comes from latest.txt, with the leak named
    run_drv --interval 100 -- "$TEST_BIN/acct_synth" crash 5 1 2097152
    [[ $? == 139 ]] || fail "crashed program: exit status want 139"
    r="$work/out/report.txt"
    grep -q '^note: the program was killed by signal 11' "$r" || fail "no note after a crash"
    grep -q '^verdict: LEAK' "$r" || { cat "$r" >&2; fail "verdict after a crash is not LEAK"; }
    grep -q 'at leak_function (.*acct_synth.c:[0-9]*)' "$r" || fail "crash report not symbolized"
    ;;
service)
    # preload only, as from a systemd unit: LD_PRELOAD and FLATLINE_ACCT_DIR (created by the
    # library); `flatline-acct report DIR` renders the verdict while it runs and after it exited
    LD_PRELOAD="$lib" FLATLINE_ACCT_DIR="$work/svc" FLATLINE_ACCT_INTERVAL_MS=100 \
        "$TEST_BIN/acct_synth" leak 5 1 2097152 >/dev/null &
    spid=$!
    for _ in $(seq 600); do
        grep -qs '\[LEAK' "$work/svc/latest.txt" && break
        sleep 0.05
    done
    "$drv" report "$work/svc" 2>"$work/e" || { cat "$work/e" >&2; fail "report DIR while running"; }
    grep -q "^note: process $spid is still running" "$work/e" || { cat "$work/e" >&2; fail "not said running"; }
    grep -q '^verdict: LEAK' "$work/e" || fail "no LEAK while running"
    wait "$spid" || fail "the service failed"
    "$drv" report "$work/svc" 2>"$work/e" || fail "report DIR after exit"
    grep -q '^note:' "$work/e" && { cat "$work/e" >&2; fail "a note on a normal exit"; }
    grep -q '^== flatline-acct report: pid [0-9]* (.*), at exit' "$work/e" || fail "no exit report"
    grep -q 'at leak_function (.*acct_synth.c:[0-9]*)' "$work/svc/report.txt" || fail "not symbolized"
    ;;
symbols)
    # libdw: an inlined function shows as its own frame above its caller; a stripped copy of a
    # program shows module+offset, never a wrong nearest name
    run_drv --interval 100 --leak-threshold 4M -- "$TEST_BIN/acct_inline" || fail "driver exit $?"
    r="$work/out/report.txt"
    top=$(top_frames "$r")
    echo "$top" | head -1 | grep -q 'at keep_block (.*acct_inline.c:[0-9]*) (inlined) \[acct_inline\]' ||
        { cat "$r" >&2; fail "no inlined frame"; }
    echo "$top" | sed -n 2p | grep -q 'at leak_outer (.*acct_inline.c:[0-9]*) \[acct_inline\]' ||
        { cat "$r" >&2; fail "no caller after the inlined frame"; }
    # one call path, one site: the walks judged at start-up do not make a second one
    n=$(awk '/^  #[0-9]+ site/{getline; if (/at keep_block/) n++} END {print n + 0}' "$r")
    ((n == 1)) || { cat "$r" >&2; fail "the leak's call path is $n sites"; }
    cp "$TEST_BIN/acct_leak" "$work/stripped" && strip "$work/stripped" || fail "cannot strip"
    run_drv --interval 200 --leak-threshold 4M -- "$work/stripped" || fail "driver exit $?"
    r="$work/out/report.txt"
    top=$(top_frames "$r")
    echo "$top" | head -1 | grep -Eq '^      at stripped\+0x[0-9a-f]+ \[stripped\]$' ||
        { cat "$r" >&2; fail "a stripped frame is not module+offset"; }
    echo "$top" | grep -q 'at leaky_function' && fail "a name from nowhere"
    ;;
export)
    # the sampled stacks as collapsed stacks and as pprof's profile.proto, checked by decoding the
    # protobuf wire format here (fields per profile.proto)
    run_drv --interval 100 -- "$TEST_BIN/acct_synth" leak 4 1 1048576 || fail "driver exit $?"
    c="$work/out/stacks.collapsed"
    grep -Eq '^[^ ]*main \(.*;leak_function \(.*acct_synth.c:[0-9]+\) [0-9]+$' "$c" ||
        { cat "$c" >&2; fail "no collapsed stack ending in leak_function"; }
    python3 - "$work/out/profile.pb" <<'PY' || fail "profile.pb does not decode as a profile"
import sys
def fields(b):
    i = 0
    while i < len(b):
        key = 0; s = 0
        while True:
            x = b[i]; i += 1; key |= (x & 0x7f) << s; s += 7
            if x < 0x80: break
        f, wt = key >> 3, key & 7
        if wt == 0:
            v = 0; s = 0
            while True:
                x = b[i]; i += 1; v |= (x & 0x7f) << s; s += 7
                if x < 0x80: break
            yield f, v
        elif wt == 2:
            n = 0; s = 0
            while True:
                x = b[i]; i += 1; n |= (x & 0x7f) << s; s += 7
                if x < 0x80: break
            yield f, b[i:i + n]; i += n
        else:
            raise SystemExit("wire type %d" % wt)
p = open(sys.argv[1], "rb").read()
top = list(fields(p))
strings = [v.decode() for f, v in top if f == 6]
types = [dict(fields(v)) for f, v in top if f == 1]
samples = [list(fields(v)) for f, v in top if f == 2]
funcs = {d[1]: strings[d[2]] for d in (dict(fields(v)) for f, v in top if f == 5)}
locs = {}
for f, v in top:
    if f == 4:
        d = list(fields(v)); lid = dict(d)[1]
        line = dict(fields([x for k, x in d if k == 4][0]))
        locs[lid] = funcs[line[1]]
assert strings[0] == "" and [strings[t[1]] for t in types] == ["inuse_space", "inuse_objects"]
leak = [s for s in samples if locs[[v for k, v in s if k == 1][0]] == "leak_function"]
assert leak, "no sample whose innermost location is leak_function"
assert [v for k, v in leak[0] if k == 2][0] > 1 << 20
PY
    ;;
diff)
    # two runs of the same leak (2 MiB/s), 3 s and 8 s: the leak site GREW (by 10 MiB, where the
    # diff's 3.29 sd are about 4 MiB: 5 sd of margin), the noise stayed the same
    run_drv --interval 100 -- "$TEST_BIN/acct_synth" leak 3 1 2097152 || fail "driver exit $?"
    mv "$work/out" "$work/a"
    run_drv --interval 100 -- "$TEST_BIN/acct_synth" leak 8 1 2097152 || fail "driver exit $?"
    "$drv" diff "$work/a" "$work/out" >"$work/diff" 2>&1 || { cat "$work/diff" >&2; fail "diff failed"; }
    grep -Eq '^  GREW .*leak_function \(.*acct_synth.c:[0-9]+\)' "$work/diff" ||
        { cat "$work/diff" >&2; fail "diff does not say the leak grew"; }
    grep -E '^  (GREW|shrank)' "$work/diff" | grep -q noise_turnover &&
        { cat "$work/diff" >&2; fail "the steady site is called changed"; }
    grep -q '^  requested .*exact' "$work/diff" || fail "no exact totals in the diff"
    "$drv" diff "$work/a" "$work/nosuch" 2>/dev/null
    [[ $? == 2 ]] || fail "diff of a missing report: want exit 2"
    ;;
forkleak)
    # a forked child leaks, the parent does not: per-pid reports and a summary naming the child
    run_drv --interval 100 -- "$TEST_BIN/acct_synth" forkleak 8 1 1048576 || fail "driver exit $?"
    grep -q '^verdict: LEAK' "$work/out/report.txt" && fail "the parent was called a LEAK"
    child=$(ls "$work/out" | sed -n 's/^\([0-9]*\)\.report\.txt$/\1/p')
    [[ -n "$child" ]] || { ls "$work/out" >&2; fail "no report of the forked child"; }
    r="$work/out/$child.report.txt"
    grep -q '^verdict: LEAK' "$r" || { cat "$r" >&2; fail "the child's verdict is not LEAK"; }
    grep -q 'at leak_function (.*acct_synth.c:[0-9]*)' "$r" || fail "child's leak not symbolized"
    [[ $(wc -l <"$work/out/$child.timeseries.csv") -ge 20 ]] || fail "no time series in the child"
    grep -q "the process that grew most: process $child" "$work/stderr" ||
        { cat "$work/stderr" >&2; fail "summary does not name the child"; }
    ;;
synth)
    # acct_synth MODE for 8 s (seed 1; leaks at 1 MiB/s) at 100 ms intervals: the leak, and
    # only the leak, is named; a bounded cache, steady turnover, growth that shrinks back are not
    run_drv --interval 100 -- "$TEST_BIN/acct_synth" "$1" 8 1 1048576 || fail "driver exit $?"
    r="$work/out/report.txt"
    [[ -s "$r" ]] || fail "no report"
    leaks=$(grep -c '\[LEAK' "$r")
    if [[ "$1" == leak ]]; then
        grep -q '^verdict: LEAK' "$r" || { cat "$r" >&2; fail "verdict is not LEAK"; }
        top=$(top_site "$r")
        echo "$top" | grep -q 'LEAK' || { cat "$r" >&2; fail "top site not marked LEAK"; }
        echo "$top" | grep -q 'at leak_function (.*acct_synth.c:[0-9]*)' ||
            { cat "$r" >&2; fail "top site is not leak_function with file:line"; }
        ((leaks == 1)) || { cat "$r" >&2; fail "$leaks sites marked LEAK, want 1"; }
        grep -Eq '^  #1 site .*live [0-9.]+ \+- [0-9.]+ MiB.*KiB/s \(p=' "$r" ||
            fail "site figures without error bounds"
    else
        grep -q '^verdict: LEAK' "$r" && { cat "$r" >&2; fail "$1 called a LEAK"; }
        ((leaks == 0)) || { cat "$r" >&2; fail "$1: a site marked LEAK"; }
    fi
    ;;
*)
    fail "unknown case $case_name"
    ;;
esac
exit 0
