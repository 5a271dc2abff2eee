#!/usr/bin/env bash
# tests/server/listen.sh: listeners and protected mode. Several `bind` addresses (IPv4 and
# IPv6 loopback), a unix socket with unixsocketperm, a busy or absent address failing the
# start, and protected mode as Redis 7.0 has it: with no password, a client reaching a
# non-loopback address gets Redis's -DENIED message and is closed; loopback and unix socket
# clients are served; with a password, the same client gets -NOAUTH instead.
#
# Protected mode needs a non-loopback address of this machine: the test binds it only while
# protected mode refuses its clients or a password guards it, and skips that part when the
# machine has none.
. "$(dirname "$0")/lib.sh"

SOCKDIR=$(mktemp -d /tmp/flatline-listen.XXXXXX)
trap 'rc=$?; rm -rf "$SOCKDIR"; (exit $rc); on_exit' EXIT
SOCK=$SOCKDIR/flatline.sock

have_ipv6() { grep -q "^0\{31\}1 " /proc/net/if_inet6 2>/dev/null; }
BIND="127.0.0.1"
have_ipv6 && BIND="127.0.0.1 ::1"

# --- several addresses and a unix socket
start_server --threads 2 --bind "$BIND" --unixsocket "$SOCK" --unixsocketperm 700
check "OK" set k v
check '"v"' -s "$SOCK" get k
CHECKS=$((CHECKS + 1))
perm=$(stat -c %a "$SOCK")
[ "$perm" = 700 ] || { echo "FAIL: unix socket permissions $perm, expected 700" >&2; FAILS=$((FAILS + 1)); }
if have_ipv6; then
    check '"v"' -h ::1 get k
else
    echo "no IPv6 loopback here: IPv6 bind not checked"
fi
grep -q "ready to accept connections on 127.0.0.1:$PORT.*$SOCK" "$LOG" && CHECKS=$((CHECKS + 1)) ||
    { echo "FAIL: the start-up line does not list every listener: $(grep ready "$LOG")" >&2; FAILS=$((FAILS + 1)); }
stop_server
CHECKS=$((CHECKS + 1))
[ ! -e "$SOCK" ] || { echo "FAIL: the unix socket file remains after shutdown" >&2; FAILS=$((FAILS + 1)); }

# --- Redis's file form: `bind` followed by several words
printf 'bind 127.0.0.1 -::1\n' >"$SOCKDIR/bind.conf"
SERVER_CONFIG="$SOCKDIR/bind.conf" start_server --threads 1
check $'1) "bind"\n2) "127.0.0.1 -::1"' config get bind
have_ipv6 && check "PONG" -h ::1 ping
stop_server

# --- an address the machine does not have stops the start; "-addr" makes it optional
PORT=$("$TOOL" port)
"$SERVER" --port "$PORT" --bind "127.0.0.1 192.0.2.254" >"$LOG" 2>&1
st=$?
CHECKS=$((CHECKS + 1))
if [ "$st" != 1 ] || ! grep -q "cannot listen on 192.0.2.254:$PORT: Cannot assign requested address" "$LOG"; then
    echo "FAIL: binding a missing address must stop the start (status $st): $(cat "$LOG")" >&2
    FAILS=$((FAILS + 1))
fi
start_server --threads 1 --bind "127.0.0.1 -192.0.2.254"
check "PONG" ping
stop_server
"$SERVER" --port "$PORT" --unixsocketperm 99 --unixsocket "$SOCK" >"$LOG" 2>&1
st=$?
CHECKS=$((CHECKS + 1))
if [ "$st" != 1 ] || ! grep -q "bad unixsocketperm '99'" "$LOG"; then
    echo "FAIL: a bad unixsocketperm must stop the start (status $st): $(cat "$LOG")" >&2
    FAILS=$((FAILS + 1))
fi

# --- protected mode
OUTSIDE=$(hostname -I 2>/dev/null | tr ' ' '\n' | grep -E '^[0-9]+\.' | grep -v '^127\.' | head -1)
if [ -z "$OUTSIDE" ]; then
    echo "no non-loopback IPv4 address here: protected mode not checked"
    finish
fi
DENIED="(error) DENIED Redis is running in protected mode because protected mode is enabled and no password is set for the default user. In this mode connections are only accepted from the loopback interface. If you want to connect from external computers to Redis you may adopt one of the following solutions: 1) Just disable protected mode sending the command 'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from the same host the server is running, however MAKE SURE Redis is not publicly accessible from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) Alternatively you can just disable the protected mode by editing the Redis configuration file, and setting the protected mode option to 'no', and then restarting the server. 3) If you started the server manually just for testing, restart it with the '--protected-mode no' option. 4) Setup a an authentication password for the default user. NOTE: You only need to do one of the above things in order for the server to start accepting connections from the outside."
start_server --threads 2 --bind "127.0.0.1 $OUTSIDE" --unixsocket "$SOCK"
check "$DENIED" -h "$OUTSIDE" ping
check "PONG" ping
check "PONG" -s "$SOCK" ping
v=$(info_field stats protected_mode_denied)
CHECKS=$((CHECKS + 1))
[ "$v" = 1 ] || { echo "FAIL: protected_mode_denied is '$v', expected 1" >&2; FAILS=$((FAILS + 1)); }
# Compare with Redis: same refusal, word for word.
RPORT=$("$TOOL" port)
redis-server --port "$RPORT" --bind "127.0.0.1 $OUTSIDE" --save '' --appendonly no \
    --dir "$SOCKDIR" >"$SOCKDIR/redis.log" 2>&1 &
RPID=$!
for _ in $(seq 100); do [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ] && break; sleep 0.05; done
r=$(redis-cli -h "$OUTSIDE" -p "$RPORT" --no-raw ping 2>&1)
kill "$RPID"; wait "$RPID" 2>/dev/null
CHECKS=$((CHECKS + 1))
[ "$r" = "$DENIED" ] || { echo "FAIL: redis-server's refusal differs: $r" >&2; FAILS=$((FAILS + 1)); }
stop_server

# A password lifts protected mode: the outside client must authenticate instead.
REDISCLI_AUTH=pw start_server --threads 2 --bind "127.0.0.1 $OUTSIDE" --requirepass pw
check "(error) NOAUTH Authentication required." -h "$OUTSIDE" ping
check "PONG" -h "$OUTSIDE" -a pw --no-auth-warning ping
stop_server
finish
