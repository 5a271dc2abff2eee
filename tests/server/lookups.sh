#!/usr/bin/env bash
# tests/server/lookups.sh: how reading a key counts, side by side with redis-server 7.0.15.
# INFO's keyspace_hits/keyspace_misses after each command of a sequence (reads, TTL/TYPE/
# EXISTS/OBJECT, DUMP, TOUCH, and the server's own looks at a key: MEMORY USAGE, DEBUG OBJECT,
# RESTORE's BUSYKEY check, SCAN's TYPE filter are not all counted alike, as in Redis), and
# OBJECT IDLETIME after TTL/TYPE/EXISTS (they leave a key's access time) and after GET/TOUCH
# (they record an access).
. "$(dirname "$0")/lib.sh"

start_redis --enable-debug-command local
start_server --enable-debug-command local

# hits/misses after CMD on the server at port P
after() {
    local p=$1
    shift
    redis-cli -p "$p" "$@" >/dev/null 2>&1
    redis-cli -p "$p" info stats | tr -d '\r' | sed -n 's/^keyspace_\(hits\|misses\):\([0-9]*\)$/\2/p' |
        paste -sd/
}

for p in "$PORT" "$RPORT"; do
    redis-cli -p "$p" set foo bar >/dev/null
    redis-cli -p "$p" rpush l a b >/dev/null
    redis-cli -p "$p" config resetstat >/dev/null
done
while IFS= read -r cmd; do
    [ -n "$cmd" ] || continue
    # shellcheck disable=SC2086 # the words of the command
    ours=$(after "$PORT" $cmd)
    # shellcheck disable=SC2086
    theirs=$(after "$RPORT" $cmd)
    CHECKS=$((CHECKS + 1))
    if [ "$ours" != "$theirs" ]; then
        echo "FAIL: hits/misses after '$cmd': redis $theirs, flatline $ours" >&2
        FAILS=$((FAILS + 1))
    fi
done <<'CMDS'
get foo
get nokey
ttl foo
pttl nokey
expiretime foo
pexpiretime nokey
type foo
type nokey
exists foo
exists foo nokey foo
object encoding foo
object freq foo
object idletime nokey
memory usage foo
debug object foo
dump foo
dump nokey
strlen foo
touch foo nokey
restore foo 0 x
lrange l 0 -1
llen nokey
mget foo nokey
CMDS

# Access time: TTL, TYPE, EXISTS and OBJECT leave it; GET and TOUCH record an access.
rc set idle v >/dev/null
rc object freq idle >/dev/null
sleep 2.2
rc ttl idle >/dev/null
rc type idle >/dev/null
rc exists idle >/dev/null
rc expiretime idle >/dev/null
check_between 2 10 object idletime idle
rc touch idle >/dev/null
check_between 0 1 object idletime idle
sleep 2.2
rc get idle >/dev/null
check_between 0 1 object idletime idle

finish
