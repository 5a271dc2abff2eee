#!/usr/bin/env bash
# tests/redis-suite/run.sh: runs Redis 7.0's own test suite, unmodified, in external-server mode
# against flatline-server and against Debian's redis-server 7.0.15, and prints per test file how
# many tests redis passes and how many of those flatline passes.
#
#   tests/redis-suite/run.sh [REDIS_SRC] [options]
#
#   REDIS_SRC             a Redis 7.0.15 source tree (its runtest and tests/); or the variable
#                         REDIS_SRC. Without one the script skips (exit 77). The tree is only
#                         read: runtest and tests/ are copied into a scratch directory and run
#                         there, so several runs (and a read-only tree) do not collide.
#   --server BIN          flatline-server (default $FLATLINE_SERVER, else build/src/server/...)
#   --files "F..."        test files (default: the list below), e.g. --files unit/type/incr
#   --out DIR             keep the logs there (default: a scratch directory, removed at exit):
#                         DIR/{redis,flatline}/<file>.log, and DIR/missing/<file>.txt, the tests
#                         redis passes and flatline does not
#   --reuse-redis         reuse DIR/redis/<file>.log from an earlier run with the same --out
#   --timeout S           per file and server (default 600); a file that runs out counts the
#                         tests that passed until then
#   --tags T              runtest --tags (default "-slow", as Redis's external-server CI)
#   --list                also print the names of the tests redis passes and flatline does not
#
# Each file runs against a fresh server of each kind on a free 127.0.0.1 port (so a crash or a
# hang in one file does not spoil the next): redis-server as Redis's own external CI starts it
# (no persistence, DEBUG and protected configs enabled), flatline-server on its embedded
# configuration. The command is `./runtest --host 127.0.0.1 --port P --singledb --tags -slow
# --single FILE`. A test counts as passed when runtest prints "[ok]: NAME"; names that occur
# several times in a file are matched by count. Exit status: 0 after printing the table (this
# is a measurement, not a gate), 77 when skipped, 1 on a usage or setup error.
set -euo pipefail
export LC_ALL=C

DEFAULT_FILES="unit/type/string unit/type/incr unit/type/hash unit/type/list unit/type/list-2
unit/type/list-3 unit/type/set unit/type/zset unit/keyspace unit/expire unit/multi unit/pubsub
unit/scripting unit/scan unit/info-command unit/quit"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
src=${REDIS_SRC:-}
server=${FLATLINE_SERVER:-$ROOT/build/src/server/flatline-server}
files=$DEFAULT_FILES
out=""
reuse_redis=0
per_file_timeout=600
tags="-slow"
list=0

usage() {
    sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -n 's/^# \{0,1\}//p' >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case "$1" in
    --server) server=$2; shift 2 ;;
    --files) files=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --reuse-redis) reuse_redis=1; shift ;;
    --timeout) per_file_timeout=$2; shift 2 ;;
    --tags) tags=$2; shift 2 ;;
    --list) list=1; shift ;;
    -h | --help) usage ;;
    -*) echo "unknown option $1" >&2; usage ;;
    *) src=$1; shift ;;
    esac
done

if [ -z "$src" ]; then
    echo "SKIP: no Redis source tree (give its path as an argument or in REDIS_SRC)"
    exit 77
fi
if [ ! -x "$src/runtest" ] || [ ! -f "$src/tests/test_helper.tcl" ]; then
    echo "$src is not a Redis source tree (no runtest or tests/test_helper.tcl)" >&2
    exit 1
fi
for tool in tclsh redis-server redis-cli python3 timeout; do
    command -v "$tool" >/dev/null || { echo "$tool is not installed (scripts/deps.sh)" >&2; exit 1; }
done
[ -x "$server" ] || { echo "no flatline-server at $server (build it, or --server BIN)" >&2; exit 1; }
version=$(redis-server --version | sed -n 's/.* v=\([0-9.]*\).*/\1/p')
[ "$version" = 7.0.15 ] || echo "note: redis-server is $version, not 7.0.15" >&2

scratch=$(mktemp -d /tmp/flatline-redis-suite.XXXXXX)
pids=()
cleanup() {
    local p
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$scratch"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

[ -n "$out" ] || out=$scratch/out
mkdir -p "$out/redis" "$out/flatline" "$out/missing"
cp -r "$src/runtest" "$src/tests" "$scratch/"

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start KIND PORT LOG: starts a server of KIND (redis | flatline) and waits until it answers.
start() {
    local kind=$1 port=$2 log=$3
    if [ "$kind" = redis ]; then
        (cd "$scratch" && exec redis-server --bind 127.0.0.1 --port "$port" --save "" \
            --appendonly no --enable-protected-configs yes --enable-debug-command yes \
            --enable-module-command yes) >"$log" 2>&1 &
    else
        "$server" --port "$port" >"$log" 2>&1 &
    fi
    pids+=($!)
    for _ in $(seq 200); do
        [ "$(redis-cli -p "$port" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.05
    done
    echo "$kind server did not answer PING on port $port; its log:" >&2
    tail -n 20 "$log" >&2
    return 1
}

stop_last() {
    local pid=${pids[-1]}
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    unset 'pids[-1]'
}

# run_file KIND FILE LOG: one test file against a fresh server of KIND.
run_file() {
    local kind=$1 file=$2 log=$3 port
    port=$(free_port)
    if ! start "$kind" "$port" "$log.server"; then
        echo "[server did not start]" >"$log"
        return 0
    fi
    # runtest's own test server listens on a port from --baseport; spread concurrent runs.
    (cd "$scratch" && timeout -k 10 "$per_file_timeout" ./runtest --host 127.0.0.1 \
        --port "$port" --singledb --tags "$tags" --baseport $((20000 + RANDOM % 8000)) \
        --single "$file") </dev/null >"$log" 2>&1 || true
    stop_last
}

# passed LOG: the names of the tests that passed, one a line (ANSI colours removed).
passed() {
    sed -e 's/\x1b\[[0-9;]*m//g' "$1" | sed -n 's/^\[ok\]: \(.*\) ([0-9]* ms)$/\1/p' | sort
}

# matched A B: how many lines of sorted list A are in sorted list B, counting repeats.
matched() {
    comm -12 "$1" "$2" | wc -l
}

printf '%-22s %8s %10s %8s\n' "file" "redis" "flatline" "missing"
total_r=0 total_f=0
for file in $files; do
    name=${file//\//_}
    rlog=$out/redis/$name.log flog=$out/flatline/$name.log
    if [ "$reuse_redis" = 0 ] || [ ! -s "$rlog" ]; then
        run_file redis "$file" "$rlog"
    fi
    run_file flatline "$file" "$flog"
    passed "$rlog" >"$scratch/r.txt"
    passed "$flog" >"$scratch/f.txt"
    r=$(wc -l <"$scratch/r.txt")
    f=$(matched "$scratch/r.txt" "$scratch/f.txt")
    comm -23 "$scratch/r.txt" "$scratch/f.txt" >"$out/missing/$name.txt"
    note=""
    grep -q '^\[server did not start\]' "$flog" && note=" (flatline-server did not start)"
    aborted=$(sed -e 's/\x1b\[[0-9;]*m//g' "$flog" | grep -m1 -A1 '^\[exception\]' | tail -n 1 | cut -c1-50)
    [ -z "$aborted" ] || note=" (aborted: $aborted)"
    printf '%-22s %8d %10d %8d%s\n' "$file" "$r" "$f" "$((r - f))" "$note"
    if [ "$list" = 1 ] && [ -s "$out/missing/$name.txt" ]; then
        sed 's/^/    - /' "$out/missing/$name.txt"
    fi
    total_r=$((total_r + r))
    total_f=$((total_f + f))
done
printf '%-22s %8d %10d %8d\n' "total" "$total_r" "$total_f" "$((total_r - total_f))"
[ "$out" = "$scratch/out" ] || echo "logs: $out/{redis,flatline}/, missing tests: $out/missing/"
