#!/usr/bin/env bash
# tests/server/pubsub.sh: SUBSCRIBE, PSUBSCRIBE, UNSUBSCRIBE, PUNSUBSCRIBE, PUBLISH, PUBSUB
# with Redis 7.0's exact RESP2 bytes: confirmations and their counts, message and pmessage
# shapes, PING and refused commands in subscribed mode, unsubscribing from everything, receiver
# counts, PUBSUB CHANNELS/NUMSUB/NUMPAT, and cleanup when a subscriber disconnects. Subscribers
# are raw connections (bash /dev/tcp) so the bytes are compared as sent. With COMPARE_PORT set
# the checks run against a server already listening there.
. "$(dirname "$0")/lib.sh"

if [ -n "${COMPARE_PORT:-}" ]; then
    PORT=$COMPARE_PORT
else
    start_server --threads 3
fi

# send FD TEXT: writes TEXT (inline commands, \r\n-separated) to the connection on FD.
send() { printf '%b' "$2" >&"$1"; }
# expect_bytes FD EXPECTED: reads what the server sent within a moment and compares it.
expect_bytes() {
    local got="" chunk
    while IFS= read -r -t 0.5 -d '' chunk <&"$1" || [ -n "$chunk" ]; do
        got+=$chunk
        [ -z "$chunk" ] && break
    done
    got=$(printf '%s' "$got" | tr '\r' '~')
    CHECKS=$((CHECKS + 1))
    if [ "$got" != "$(printf '%b' "$2" | tr '\r' '~')" ]; then
        echo "FAIL: expected $(printf '%q' "$2")" >&2
        echo "  got $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
}
N=$'\r\n'

exec 4<>"/dev/tcp/127.0.0.1/$PORT"
send 4 'SUBSCRIBE ch1 ch2 ch1\r\nPSUBSCRIBE news.*\r\n'
expect_bytes 4 "*3${N}\$9${N}subscribe${N}\$3${N}ch1${N}:1${N}*3${N}\$9${N}subscribe${N}\$3${N}ch2${N}:2${N}*3${N}\$9${N}subscribe${N}\$3${N}ch1${N}:2${N}*3${N}\$10${N}psubscribe${N}\$6${N}news.*${N}:3${N}"
send 4 'PING\r\nPING hello\r\nGET x\r\n'
expect_bytes 4 "*2${N}\$4${N}pong${N}\$0${N}${N}*2${N}\$4${N}pong${N}\$5${N}hello${N}-ERR Can't execute 'get': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET are allowed in this context${N}"

exec 5<>"/dev/tcp/127.0.0.1/$PORT" # a second subscriber, on another worker
send 5 'SUBSCRIBE news.sport\r\n'
expect_bytes 5 "*3${N}\$9${N}subscribe${N}\$10${N}news.sport${N}:1${N}"

check "(integer) 1" publish ch1 "hello world"
check "(integer) 2" publish news.sport goal
check "(integer) 0" publish nobody x
expect_bytes 4 "*3${N}\$7${N}message${N}\$3${N}ch1${N}\$11${N}hello world${N}*4${N}\$8${N}pmessage${N}\$6${N}news.*${N}\$10${N}news.sport${N}\$4${N}goal${N}"
expect_bytes 5 "*3${N}\$7${N}message${N}\$10${N}news.sport${N}\$4${N}goal${N}"

# Channel order is the table's (Redis's too): compared sorted.
CHECKS=$((CHECKS + 1))
[ "$(rc pubsub channels | sed 's/^[0-9]) //' | sort | tr '\n' ' ')" = '"ch1" "ch2" "news.sport" ' ] ||
    { echo "FAIL: pubsub channels: $(rc pubsub channels)" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
[ "$(rc pubsub channels 'ch*' | sed 's/^[0-9]) //' | sort | tr '\n' ' ')" = '"ch1" "ch2" ' ] ||
    { echo "FAIL: pubsub channels ch*: $(rc pubsub channels 'ch*')" >&2; FAILS=$((FAILS + 1)); }
check $'1) "ch1"\n2) (integer) 1\n3) "news.sport"\n4) (integer) 1\n5) "none"\n6) (integer) 0' pubsub numsub ch1 news.sport none
check "(integer) 1" pubsub numpat
check "(empty array)" pubsub numsub
check "(error) ERR unknown subcommand 'nosuch'. Try PUBSUB HELP." pubsub nosuch

send 4 'UNSUBSCRIBE ch2 notsubscribed\r\nPUNSUBSCRIBE\r\n'
expect_bytes 4 "*3${N}\$11${N}unsubscribe${N}\$3${N}ch2${N}:2${N}*3${N}\$11${N}unsubscribe${N}\$13${N}notsubscribed${N}:2${N}*3${N}\$12${N}punsubscribe${N}\$6${N}news.*${N}:1${N}"
send 4 'UNSUBSCRIBE\r\nUNSUBSCRIBE\r\nPING\r\n'
expect_bytes 4 "*3${N}\$11${N}unsubscribe${N}\$3${N}ch1${N}:0${N}*3${N}\$11${N}unsubscribe${N}\$-1${N}:0${N}+PONG${N}"
check "(integer) 0" pubsub numpat

exec 5<&- # the subscriber disconnects: its subscription goes with it
sleep 0.2
check $'1) "news.sport"\n2) (integer) 0' pubsub numsub news.sport
check "(integer) 0" publish news.sport x
exec 4<&-
finish
