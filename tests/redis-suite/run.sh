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
#   --skip FILE           the reviewed exclusions (default: skip.txt next to this script)
#
# Each file runs against a fresh server of each kind on a free 127.0.0.1 port, each in its own
# empty data directory (so a crash or a hang in one file does not spoil the next):
# redis-server as Redis's own external CI starts it (no persistence, DEBUG and protected
# configs enabled), flatline-server on its embedded configuration with DEBUG enabled and 8
# workers (see start()). The
# command is `./runtest --host 127.0.0.1 --port P --singledb --durable --tags -slow --single
# FILE` (--durable: an error inside a test fails that test instead of ending the file), and for
# flatline one `--skiptest NAME` per line of the skip list naming that file: tests that need
# what flatline does not have (replication, streams, keyspace notifications...), each with its
# reason. A test counts as passed when runtest prints "[ok]: NAME"; names that occur several
# times in a file are matched by count. The table shows per file the tests redis passes, how
# many of those flatline passes, how many are excluded, and the rest (missing). Exit status: 0
# after printing the table (this is a measurement, not a gate), 77 when skipped, 1 on a usage
# or setup error.
set -euo pipefail
export LC_ALL=C

DEFAULT_FILES="unit/type/string unit/type/incr unit/type/hash unit/type/list unit/type/list-2
unit/type/list-3 unit/type/set unit/type/zset unit/keyspace unit/expire unit/multi unit/pubsub
unit/scripting unit/scan unit/info-command unit/quit unit/dump unit/bitops unit/bitfield unit/hyperloglog
unit/introspection-2 unit/protocol"

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
src=${REDIS_SRC:-}
server=${FLATLINE_SERVER:-$ROOT/build/src/server/flatline-server}
files=$DEFAULT_FILES
out=""
reuse_redis=0
per_file_timeout=600
tags="-slow"
list=0
skip_file=$ROOT/tests/redis-suite/skip.txt

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
    --skip) skip_file=$2; shift 2 ;;
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
[ -f "$skip_file" ] || { echo "no skip list at $skip_file" >&2; exit 1; }
# Every line of the skip list is "FILE :: TEST NAME :: REASON" (comments start with '#').
if bad=$(grep -v -e '^#' -e '^[[:space:]]*$' "$skip_file" | grep -v -E '^[^ ]+ :: .+ :: .+$'); then
    echo "malformed lines in $skip_file (want 'FILE :: TEST NAME :: REASON'):" >&2
    echo "$bad" >&2
    exit 1
fi
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

# start KIND PORT LOG: starts a server of KIND (redis | flatline) in an empty data directory
# and waits until it answers.
start() {
    local kind=$1 port=$2 log=$3 data=$scratch/data-$1
    rm -rf "$data"
    mkdir -p "$data"
    if [ "$kind" = redis ]; then
        (cd "$data" && exec redis-server --bind 127.0.0.1 --port "$port" --save "" \
            --appendonly no --enable-protected-configs yes --enable-debug-command yes \
            --enable-module-command yes) >"$log" 2>&1 &
    else
        # --threads 8: each of a test's few clients gets a worker of its own (a new connection
        # goes to the least loaded worker), because a script past busy-reply-threshold blocks
        # its own worker's other clients (src/server/README.md, Known limits): on a shared
        # worker the suite's "other client gets BUSY" tests would wait for ever.
        (cd "$data" && exec "$server" --port "$port" --threads 8 --enable-debug-command yes) \
            >"$log" 2>&1 &
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

# skipped FILE: the test names the skip list excludes for FILE, one a line.
skipped() {
    sed -n -e '/^#/d' -e "s|^$1 :: \(.*\) :: .*\$|\1|p" "$skip_file" | sort
}

# run_file KIND FILE LOG: one test file against a fresh server of KIND (flatline: without the
# tests the skip list excludes).
run_file() {
    local kind=$1 file=$2 log=$3 port name
    local skip_args=()
    if [ "$kind" = flatline ]; then
        while IFS= read -r name; do skip_args+=(--skiptest "$name"); done < <(skipped "$file")
    fi
    port=$(free_port)
    if ! start "$kind" "$port" "$log.server"; then
        echo "[server did not start]" >"$log"
        return 0
    fi
    # A server without RESP3 (HELLO 3 answers NOPROTO) runs the RESP2 halves of the tests that
    # loop over both protocols (runtest's own resp3 tag); the RESP3 halves count as missing.
    local file_tags=$tags
    if [ "$kind" = flatline ] && redis-cli -p "$port" hello 3 2>&1 | grep -q NOPROTO; then
        file_tags="$tags -resp3"
    fi
    # runtest's own test server listens on a port from --baseport; spread concurrent runs.
    (cd "$scratch" && timeout -k 10 "$per_file_timeout" ./runtest --host 127.0.0.1 \
        --port "$port" --singledb --durable --tags "$file_tags" \
        --baseport $((20000 + RANDOM % 8000)) "${skip_args[@]}" \
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

printf '%-22s %8s %10s %9s %8s\n' "file" "redis" "flatline" "excluded" "missing"
total_r=0 total_f=0 total_x=0
for file in $files; do
    name=${file//\//_}
    rlog=$out/redis/$name.log flog=$out/flatline/$name.log
    if [ "$reuse_redis" = 0 ] || [ ! -s "$rlog" ]; then
        run_file redis "$file" "$rlog"
    fi
    run_file flatline "$file" "$flog"
    passed "$rlog" >"$scratch/r.txt"
    passed "$flog" >"$scratch/f.txt"
    skipped "$file" >"$scratch/x.txt"
    r=$(wc -l <"$scratch/r.txt")
    f=$(matched "$scratch/r.txt" "$scratch/f.txt")
    # excluded: redis's passes the skip list names (not run against flatline)
    comm -23 "$scratch/r.txt" "$scratch/f.txt" >"$scratch/m.txt"
    x=$(grep -c -x -F -f "$scratch/x.txt" "$scratch/m.txt" || true)
    x=${x:-0} # grep prints nothing when the skip list names no test of this file
    grep -v -x -F -f "$scratch/x.txt" "$scratch/m.txt" >"$out/missing/$name.txt" || true
    note=""
    grep -q '^\[server did not start\]' "$flog" && note=" (flatline-server did not start)"
    aborted=$(sed -e 's/\x1b\[[0-9;]*m//g' "$flog" | { grep -m1 -A1 '^\[exception\]' || true; } |
        tail -n 1 | cut -c1-50)
    [ -z "$aborted" ] || note=" (aborted: $aborted)"
    printf '%-22s %8d %10d %9d %8d%s\n' "$file" "$r" "$f" "$x" "$((r - f - x))" "$note"
    if [ "$list" = 1 ] && [ -s "$out/missing/$name.txt" ]; then
        sed 's/^/    - /' "$out/missing/$name.txt"
    fi
    total_r=$((total_r + r))
    total_f=$((total_f + f))
    total_x=$((total_x + x))
done
printf '%-22s %8d %10d %9d %8d\n' "total" "$total_r" "$total_f" "$total_x" \
    "$((total_r - total_f - total_x))"
[ "$out" = "$scratch/out" ] || echo "logs: $out/{redis,flatline}/, missing tests: $out/missing/"
