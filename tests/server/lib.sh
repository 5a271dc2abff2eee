# tests/server/lib.sh: shared by the integration scripts. Starts the real flatline-server on a
# free 127.0.0.1 port, waits until it answers PING, and always stops it on exit (trap EXIT),
# failing the test if the server did not exit cleanly (0), e.g. after a sanitizer report.
#
# Environment (set by CTest): FLATLINE_SERVER (binary), SERVER_TEST_TOOL (tool.c).
# Optional: SERVER_CONFIG, a configuration file start_server passes before the flags.
set -u
SERVER=${FLATLINE_SERVER:?set FLATLINE_SERVER to the flatline-server binary}
TOOL=${SERVER_TEST_TOOL:?set SERVER_TEST_TOOL}
SPID=""
PORT=""
# jemalloc is not TSan-instrumented: see tests/tsan.supp (no effect in other builds). `make test`
# passes it already; this covers a plain `ctest` run of a TSan build.
case "${TSAN_OPTIONS:-}" in
*suppressions=*) ;;
*) export TSAN_OPTIONS="${TSAN_OPTIONS:-}${TSAN_OPTIONS:+:}suppressions=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/../tsan.supp" ;;
esac
LOG=$(mktemp /tmp/flatline-server-test.XXXXXX)
# The server's defaults are durable (appendonly yes in dir "."): each test script runs in a
# private working directory, so servers started without --dir never share or reload each
# other's files. Removed on exit.
WORKDIR=$(mktemp -d /tmp/flatline-server-cwd.XXXXXX)
cd "$WORKDIR" || exit 1
FAILS=0
CHECKS=0

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

stop_server() {
    [ -n "$SPID" ] || return 0
    local pid=$SPID rc=0
    SPID=""
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
        if kill -0 "$pid" 2>/dev/null; then
            echo "server did not stop within 10 s of SIGTERM; killing it" >&2
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
            return 1
        fi
    fi
    wait "$pid" 2>/dev/null || rc=$?
    if [ "$rc" != 0 ]; then
        echo "server exited with status $rc; its log:" >&2
        tail -n 60 "$LOG" >&2
        return 1
    fi
    return 0
}

# Helper processes a test started (redis-server, an exporter): stopped on exit, by PID.
HELPER_PIDS=""
HELPER_DIRS=""

stop_helpers() {
    local pid
    for pid in $HELPER_PIDS; do
        kill -TERM "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    HELPER_PIDS=""
    [ -z "$HELPER_DIRS" ] || rm -rf $HELPER_DIRS
    HELPER_DIRS=""
}

on_exit() {
    local rc=$?
    stop_helpers
    stop_server || rc=1
    if grep -q -E "ThreadSanitizer|AddressSanitizer|runtime error:|LeakSanitizer" "$LOG" 2>/dev/null; then
        echo "sanitizer report in the server's log:" >&2
        cat "$LOG" >&2
        rc=1
    fi
    rm -f "$LOG"
    cd / && rm -rf "$WORKDIR"
    exit $rc
}
trap on_exit EXIT

# start_server [--option value ...]: starts the server on a free port, with the options, after
# the file $SERVER_CONFIG when that is set. The port comes from the kernel, but another process
# may take it before the server binds; the server then refuses to start ("cannot listen ...:
# Address already in use": it binds without SO_REUSEPORT, so it can never share a port), and we
# try another port. Readiness is the server's own "ready" line, so a PONG from some other
# server that took our port cannot be mistaken for ours (so keep loglevel at notice or above).
start_server() {
    for attempt in 1 2 3; do
        PORT=$("$TOOL" port) || fail "no free port"
        "$SERVER" ${SERVER_CONFIG:+"$SERVER_CONFIG"} --port "$PORT" "$@" >"$LOG" 2>&1 &
        SPID=$!
        for _ in $(seq "${START_WAIT:-300}"); do # 15 s, or START_WAIT / 20 s (a long load)
            if grep -q "ready to accept connections" "$LOG" &&
                [ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = "PONG" ]; then
                return 0
            fi
            if ! kill -0 "$SPID" 2>/dev/null; then
                break
            fi
            sleep 0.05
        done
        if grep -q "cannot listen" "$LOG"; then # lost a race for the port: try another
            wait "$SPID" 2>/dev/null
            SPID=""
            continue
        fi
        cat "$LOG" >&2
        fail "server did not answer PING"
    done
    fail "could not find a free port"
}

# start_redis [--option value ...]: starts Debian's redis-server (no persistence; the options
# after those) on a free port in RPORT, for side-by-side comparisons; skips the test (exit 77)
# when redis-server is not installed.
start_redis() {
    command -v redis-server >/dev/null || { echo "redis-server not installed: skipped"; exit 77; }
    local dir pid
    dir=$(mktemp -d /tmp/flatline-redis.XXXXXX)
    HELPER_DIRS="$HELPER_DIRS $dir"
    for attempt in 1 2 3; do
        RPORT=$("$TOOL" port) || fail "no free port"
        redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$dir" \
            "$@" >"$dir/log" 2>&1 &
        pid=$!
        HELPER_PIDS="$HELPER_PIDS $pid"
        for _ in $(seq 200); do
            [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = "PONG" ] && return 0
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
    done
    cat "$dir/log" >&2
    fail "redis-server did not start"
}

# rc ARGS...: redis-cli against the server, typed output ("(integer) 1", "(nil)", ...).
rc() {
    redis-cli -p "$PORT" --no-raw "$@" 2>&1
}

# check EXPECTED ARGS...: runs rc ARGS and compares the whole output with EXPECTED.
check() {
    local want=$1
    shift
    local got
    got=$(rc "$@")
    CHECKS=$((CHECKS + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: redis-cli $*" >&2
        echo "  expected: $(printf '%q' "$want")" >&2
        echo "  got:      $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# check_session EXPECTED 'cmd a|cmd b|...': runs the commands, split at '|', on ONE connection
# (redis-cli reading them from its input: MULTI ... EXEC, WATCH) and compares the transcript.
check_session() {
    local want=$1 got
    got=$(printf '%s\n' "$2" | tr '|' '\n' | redis-cli -p "$PORT" --no-raw 2>&1)
    CHECKS=$((CHECKS + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: session $2" >&2
        echo "  expected: $(printf '%q' "$want")" >&2
        echo "  got:      $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# check_match REGEX ARGS...: like check, with an extended regular expression.
check_match() {
    local want=$1
    shift
    local got
    got=$(rc "$@")
    CHECKS=$((CHECKS + 1))
    if ! printf '%s' "$got" | grep -q -E -- "$want"; then
        echo "FAIL: redis-cli $*" >&2
        echo "  expected to match: $want" >&2
        echo "  got: $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# check_between LO HI ARGS...: runs rc ARGS, expects "(integer) N" with LO <= N <= HI (for
# TTLs: a loose range, so a slow machine's seconds between the write and the read do not fail it).
check_between() {
    local lo=$1 hi=$2
    shift 2
    local got n
    got=$(rc "$@")
    CHECKS=$((CHECKS + 1))
    n=${got#"(integer) "}
    if [ "$n" = "$got" ] || ! [[ "$n" =~ ^-?[0-9]+$ ]] || [ "$n" -lt "$lo" ] || [ "$n" -gt "$hi" ]; then
        echo "FAIL: redis-cli $*" >&2
        echo "  expected an integer in [$lo, $hi], got: $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# check_same ARGS...: runs redis-cli ARGS against flatline ($PORT) and redis-server ($RPORT,
# see start_redis) and compares the two outputs (an optional NORMALIZE sed script, set by the
# caller, masks what legitimately differs: ids, ports, times).
check_same() {
    local ours theirs
    ours=$(redis-cli -p "$PORT" --no-raw "$@" 2>&1 | sed -E "${NORMALIZE:-}")
    theirs=$(redis-cli -p "$RPORT" --no-raw "$@" 2>&1 | sed -E "${NORMALIZE:-}")
    CHECKS=$((CHECKS + 1))
    if [ "$ours" != "$theirs" ]; then
        echo "FAIL: redis-cli $* differs from redis-server" >&2
        echo "  redis:    $(printf '%q' "$theirs")" >&2
        echo "  flatline: $(printf '%q' "$ours")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# info_field SECTION NAME: one INFO field's value.
info_field() {
    redis-cli -p "$PORT" info "$1" | tr -d '\r' | sed -n "s/^$2://p"
}

# wait_rewrite SECONDS: waits (at most SECONDS) until no log rewrite runs or is scheduled.
wait_rewrite() {
    for _ in $(seq "$(($1 * 20))"); do
        [ "$(info_field persistence aof_rewrite_in_progress)" = 0 ] &&
            [ "$(info_field persistence aof_rewrite_scheduled)" = 0 ] && return 0
        sleep 0.05
    done
}

# finish: prints the tally and exits 1 when any check failed.
finish() {
    echo "$((CHECKS - FAILS)) passed, $FAILS failed"
    [ "$FAILS" = 0 ]
    exit $?
}
