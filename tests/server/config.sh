#!/usr/bin/env bash
# tests/server/config.sh: configuration. Every refusal happens at start, names the file and
# line (or the flag) and the reason, and exits non-zero; a good file with namespace blocks,
# comments and quotes is honoured, and command-line flags override it.
. "$(dirname "$0")/lib.sh"
dir=$(mktemp -d /tmp/flatline-config.XXXXXX)
trap 'rm -rf "$dir"; on_exit' EXIT

# refused FILE-CONTENT EXPECTED-MESSAGE-REGEX [flags...]
refused() {
    local content=$1 want=$2
    shift 2
    printf '%s' "$content" >"$dir/bad.conf"
    local out st=0
    out=$(timeout 10 "$SERVER" "$dir/bad.conf" "$@" 2>&1) || st=$?
    CHECKS=$((CHECKS + 1))
    if [ "$st" = 0 ] || ! printf '%s' "$out" | grep -q -E -- "$want"; then
        echo "FAIL: expected refusal matching '$want' (exit $st), got: $out" >&2
        FAILS=$((FAILS + 1))
    fi
}
f="$dir/bad.conf"
refused $'port 7000\nbogus 1\n' "$f:2: unknown option 'bogus'"
refused $'# comment\n\nthreads abc\n' "$f:3: bad value 'abc' for 'threads'"
refused $'port 70000\n' "$f:1: bad value '70000' for 'port': must be an integer between 1 and 65535"
refused $'namespace users {\n  memory-limit 12xb\n}\n' "$f:2: bad value '12xb' for 'memory-limit'"
refused $'namespace users {\n  colour blue\n}\n' "$f:2: unknown namespace option 'colour'"
refused $'namespace users {\n  memory-limit 1mb\n' "namespace block 'users' is not closed"
refused $'}\n' "$f:1: '}' without an open namespace block"
refused $'namespace bad/name {\n}\n' "$f:1: bad namespace name"
refused $'port\n' "$f:1: expected '<option> <value>'"
refused $'bind "127.0.0.1\n' "$f:1: unbalanced quotes"
refused $'loglevel loud\n' "$f:1: bad value 'loud' for 'loglevel': must be one of: 'warning'"
refused $'appendonly maybe\n' "$f:1: bad value 'maybe' for 'appendonly'"
refused $'namespace.users.high-water-pct 0\n' "$f:1: bad value '0' for 'high-water-pct'"
refused $'port 7000\n' "command line: unknown option 'nosuch'" --nosuch 1
refused $'port 7000\n' "command line: --port needs a value" --port
refused $'port 7000\n' "command line: bad value 'x' for 'maxclients'" --maxclients x
refused $'port 7000\n' "namespace 'p': " --namespace.p.partitions 3
out=$(timeout 10 "$SERVER" "$dir/missing.conf" 2>&1) && fail "missing file accepted"
printf '%s' "$out" | grep -q "cannot open config file" || fail "missing file: $out"
out=$(timeout 10 "$SERVER" --help 2>&1) || fail "--help failed"
printf '%s' "$out" | grep -q "client-query-buffer-limit" || fail "--help does not list options"
# Default port 7379, not Redis's 6379 (taken by Debian's redis-server on a systemd host).
printf '%s' "$out" | grep -q -E "^  port +default 7379 " || fail "--help: default port is not 7379"
printf '%s' "$out" | grep -q -E "^port 7379$" || fail "--help: embedded configuration's port is not 7379"

# A good file: blocks, dotted form, comments, quotes; flags override the file.
cat >"$dir/good.conf" <<CONF
# flatline-server test configuration
port 1                 # overridden on the command line
bind "127.0.0.1"
threads 2
maxclients 100
namespace users {
    memory-limit 64mb  # a comment after a value
    high-water-pct 80
}
namespace.sessions.default-ttl-ms 30000
CONF
SERVER_CONFIG="$dir/good.conf"
start_server --maxclients 50
check $'1) "maxclients"\n2) "50"' config get maxclients
check $'1) "namespace.users.memory-limit"\n2) "67108864"' config get namespace.users.memory-limit
check $'1) "namespace.users.high-water-pct"\n2) "80"' config get namespace.users.high-water-pct
check $'1) "namespace.sessions.default-ttl-ms"\n2) "30000"' config get namespace.sessions.default-ttl-ms
# maxmemory: default 1gb + users 64mb + sessions 1gb (the namespace default limit).
check $'1) "maxmemory"\n2) "2214592512"' config get maxmemory
check $'1) "maxmemory-policy"\n2) "allkeys-lru"' config get maxmemory-policy
check "(error) ERR DB index is out of range" select 3
check "OK" -n 2 set s v
check_between 1 30 -n 2 ttl s
check_match "config_file:$dir/good.conf" info server
[ "$(info_field server worker_threads)" = 2 ] || fail "threads from the file not applied"
# SHUTDOWN exits 0 (checked by stop_server via the exit status).
redis-cli -p "$PORT" shutdown >/dev/null 2>&1
for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$SPID" 2>/dev/null && fail "SHUTDOWN did not stop the server"
wait "$SPID" || fail "SHUTDOWN exit status $?"
SPID=""
# SIGINT is as graceful as SIGTERM and SHUTDOWN: exit status 0.
start_server --maxclients 50
kill -INT "$SPID"
for _ in $(seq 100); do kill -0 "$SPID" 2>/dev/null || break; sleep 0.05; done
kill -0 "$SPID" 2>/dev/null && fail "SIGINT did not stop the server"
wait "$SPID" || fail "SIGINT exit status $?"
SPID=""
finish
