# tests/persist/lib.sh: tests/server/lib.sh (server on a free port, checks, trap) plus a
# scratch directory per test, a peer redis-server helper and kill -9 helpers.
. "$(dirname "${BASH_SOURCE[0]}")/../server/lib.sh"
DATA=$(mktemp -d /tmp/flatline-persist-test.XXXXXX)
RPID=""
RPORT=""
persist_cleanup() {
    [ -n "$RPID" ] && kill -9 "$RPID" 2>/dev/null
    rm -rf "$DATA"
}
trap 'st=$?; persist_cleanup; (exit $st); on_exit' EXIT

# need_tools TOOL...: skips the test (77) when a tool is missing.
need_tools() {
    for t in "$@"; do
        command -v "$t" >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
    done
}

# crash_server: kill -9 the server (no clean shutdown, nothing flushed by us).
crash_server() {
    [ -n "$SPID" ] || return 0
    kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=""
}

# start_redis DIR [options]: redis-server 7.0 on a free port with DIR as its dir.
start_redis() {
    local dir=$1
    shift
    RPORT=$("$TOOL" port) || fail "no free port"
    redis-server --port "$RPORT" --bind 127.0.0.1 --dir "$dir" --save "" "$@" \
        >"$DATA/redis.log" 2>&1 &
    RPID=$!
    for _ in $(seq 200); do
        [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = "PONG" ] && return 0
        sleep 0.05
    done
    cat "$DATA/redis.log" >&2
    fail "redis-server did not start"
}

stop_redis() {
    redis-cli -p "$RPORT" shutdown nosave >/dev/null 2>&1
    wait "$RPID" 2>/dev/null
    RPID=""
}

# rr ARGS: redis-cli against the peer redis-server.
rr() {
    redis-cli -p "$RPORT" --no-raw "$@" 2>&1
}

# same WHAT FLATLINE_OUTPUT REDIS_OUTPUT: one check that both sides answered the same.
same() {
    CHECKS=$((CHECKS + 1))
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1: flatline $(printf '%q' "$2"), redis $(printf '%q' "$3")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# expect_log REGEX WHY: the server's log matches.
expect_log() {
    CHECKS=$((CHECKS + 1))
    grep -q -E -- "$1" "$LOG" || { echo "FAIL: $2: no log line matching '$1'" >&2; cat "$LOG" >&2; FAILS=$((FAILS + 1)); }
}
