#!/usr/bin/env bash
# tests/server/protocol.sh: bad input and limits. Each malformed or oversized request gets
# "-ERR Protocol error: <reason>" and closes only its own connection; a client connected the
# whole time keeps working and stored data is untouched. maxclients refuses the extra client.
. "$(dirname "$0")/lib.sh"
start_server --threads 2 --client-query-buffer-limit 128kb --proto-max-bulk-len 100000 \
    --max-multibulk-len 16

# A client that stays connected through everything (bash's /dev/tcp).
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect"
survivor() {
    printf 'PING\r\n' >&3
    local line
    IFS= read -r -t 5 line <&3 || fail "the connected client got no reply ($1)"
    [ "$line" = $'+PONG\r' ] || fail "the connected client got '$line' ($1)"
}
check "OK" set keep precious
survivor start

# raw_expect NAME EXPECTED: sends stdin on a new connection, compares what comes back.
raw_expect() {
    local name=$1 want=$2 got
    got=$("$TOOL" raw "$PORT" 3000 | tr -d '\r')
    CHECKS=$((CHECKS + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: $name" >&2
        echo "  expected: $(printf '%q' "$want")" >&2
        echo "  got:      $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
    survivor "$name"
}

printf '*abc\r\n' | raw_expect "bad multibulk count" $'-ERR Protocol error: invalid multibulk length\n[closed]'
printf '*1\r\n$100001\r\n' | raw_expect "bulk over proto-max-bulk-len" $'-ERR Protocol error: invalid bulk length\n[closed]'
printf '*17\r\n' | raw_expect "too many arguments" $'-ERR Protocol error: invalid multibulk length\n[closed]'
printf '*2\r\n$3\r\nGET\r\n:1\r\n' | raw_expect "not a bulk" $'-ERR Protocol error: expected \'$\', got \':\'\n[closed]'
printf 'SET "abc\r\n' | raw_expect "unbalanced quotes" $'-ERR Protocol error: unbalanced quotes in request\n[closed]'
printf 'PING\r\n*1\r\n$-3\r\nPING\r\n' | raw_expect "error after a good command" $'+PONG\n-ERR Protocol error: invalid bulk length\n[closed]'
head -c 70000 /dev/zero | tr '\0' 'a' | raw_expect "inline request too big" $'-ERR Protocol error: too big inline request\n[closed]'
# One request whose pending bytes would exceed client-query-buffer-limit (128 KB): refused as
# soon as the second 100000-byte bulk is announced, whatever the reads' sizes.
{
    printf '*3\r\n$3\r\nSET\r\n$100000\r\n%s\r\n$100000\r\n' "$(head -c 100000 /dev/zero | tr '\0' 'x')"
    head -c 5000 /dev/zero
} | raw_expect "query buffer limit" $'-ERR Protocol error: query buffer limit (client-query-buffer-limit) exceeded\n[closed]'
# A long pipeline of complete commands is not limited: it is consumed as it arrives.
# Read until 2000 replies arrived (the 20 s silence cut-off only ends a failing run).
got=$(for _ in $(seq 2000); do printf 'PING\r\n'; done | "$TOOL" raw "$PORT" 20000 2000 | tr -d '\r' | sort | uniq -c | tr -s ' ')
CHECKS=$((CHECKS + 1))
[ "$got" = " 2000 +PONG
 1 [done]" ] || { echo "FAIL: 2000 pipelined PINGs gave: $got" >&2; FAILS=$((FAILS + 1)); }
# A large value within the limits, split across writes, is stored intact.
v=$(head -c 900 /dev/zero | tr '\0' 'z')
printf '*3\r\n$3\r\nSET\r\n$3\r\nbig\r\n$900\r\n%s\r\n' "$v" | raw_expect "900-byte value" $'+OK\n[open]'
[ "$(redis-cli -p "$PORT" get big)" = "$v" ] || fail "900-byte value not stored intact"
# Stored data untouched, server still serving, protocol errors counted.
check '"precious"' get keep
survivor end
[ "$(info_field stats protocol_errors)" -ge 8 ] || fail "protocol_errors: $(info_field stats protocol_errors)"
exec 3>&-

# maxclients: restart with room for 2 clients.
stop_server || fail "server did not stop cleanly"
start_server --threads 2 --maxclients 2
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect"
exec 4<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect"
survivor maxclients
printf 'PING\r\n' | raw_expect "over maxclients" $'-ERR max number of clients reached\n[closed]'
exec 4>&-
ok=""
for _ in $(seq 50); do # the server notices the closed client asynchronously
    [ "$(redis-cli -p "$PORT" ping 2>/dev/null)" = PONG ] && ok=1 && break
    sleep 0.1
done
[ -n "$ok" ] || fail "no room after a client left"
[ "$(info_field stats rejected_connections)" -ge 1 ] || fail "rejected_connections not counted"
exec 3>&-
finish
