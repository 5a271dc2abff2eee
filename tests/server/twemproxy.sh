#!/usr/bin/env bash
# tests/server/twemproxy.sh: scale-out through twemproxy (Debian's nutcracker). Starts three
# flatline-servers with a password on free ports, nutcracker in front of them with the
# configuration scripts/twemproxy-conf.sh writes (ketama, redis: true, redis_auth), and checks
# through the proxy: AUTH is required and passed through, sharded SET/GET, MSET/MGET and DEL
# spanning servers, EXPIRE/TTL, HSET/HGET, hash tags keeping keys together, that every server
# holds a share and each key lives on exactly one server, and what the proxy refuses (KEYS,
# MULTI) as docs/twemproxy.md says.
. "$(dirname "$0")/lib.sh"
command -v nutcracker >/dev/null || { echo "nutcracker not installed: skipping"; exit 77; }
HERE=$(cd "$(dirname "$0")" && pwd)
CONF_SCRIPT=$HERE/../../scripts/twemproxy-conf.sh

D=$(mktemp -d /tmp/flatline-twem.XXXXXX)
PIDS=()
PORTS=()
NPID=""
cleanup() {
    local rc=$1 i
    [ -n "$NPID" ] && kill "$NPID" 2>/dev/null && wait "$NPID" 2>/dev/null
    for i in "${!PIDS[@]}"; do
        kill -TERM "${PIDS[$i]}" 2>/dev/null
        if ! wait "${PIDS[$i]}"; then
            echo "server $i did not exit cleanly; its log:" >&2
            tail -n 30 "$D/server$i.log" >&2
            rc=1
        fi
        if grep -q -E "ThreadSanitizer|AddressSanitizer|runtime error:|LeakSanitizer" "$D/server$i.log"; then
            cat "$D/server$i.log" >&2
            rc=1
        fi
    done
    rm -rf "$D"
    return "$rc"
}
trap 'rc=$?; cleanup $rc; rc=$?; (exit $rc); on_exit' EXIT
export REDISCLI_AUTH=pw

# Three servers, each on a port of its own.
for i in 0 1 2; do
    for attempt in 1 2 3; do
        p=$("$TOOL" port)
        "$SERVER" --port "$p" --threads 1 --requirepass pw >"$D/server$i.log" 2>&1 &
        pid=$!
        for _ in $(seq 200); do
            grep -q "ready to accept" "$D/server$i.log" && break
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
        if grep -q "ready to accept" "$D/server$i.log"; then
            PIDS+=("$pid")
            PORTS+=("$p")
            break
        fi
        wait "$pid" 2>/dev/null
    done
    [ "${#PORTS[@]}" = $((i + 1)) ] || fail "server $i did not start: $(cat "$D/server$i.log")"
done

NPORT=$("$TOOL" port)
SPORT=$("$TOOL" port)
"$CONF_SCRIPT" "127.0.0.1:$NPORT" pw "${PORTS[@]/#/127.0.0.1:}" >"$D/nutcracker.yml"
nutcracker -t -c "$D/nutcracker.yml" >/dev/null 2>&1 || fail "nutcracker rejects the configuration: $(cat "$D/nutcracker.yml")"
nutcracker -c "$D/nutcracker.yml" -s "$SPORT" -a 127.0.0.1 -o "$D/nutcracker.log" -p "$D/nc.pid" &
NPID=$!
for _ in $(seq 100); do
    [ "$(redis-cli -p "$NPORT" ping 2>/dev/null)" = PONG ] && break
    sleep 0.05
done
PORT=$NPORT # check/rc talk to the proxy

# --- authentication passes through the proxy
got=$(REDISCLI_AUTH= redis-cli -p "$NPORT" get x 2>&1)
CHECKS=$((CHECKS + 1))
[[ "$got" == *NOAUTH* ]] || { echo "FAIL: unauthenticated GET through the proxy: $got" >&2; FAILS=$((FAILS + 1)); }
check "PONG" ping

# --- sharded writes and reads
N=600
for i in $(seq 1 $N); do echo "SET key:$i value:$i"; done | redis-cli -p "$NPORT" >/dev/null
check '"value:1"' get key:1
check '"value:600"' get key:600
check "(nil)" get key:601
check "OK" mset m1 a m2 b m3 c m4 d m5 e m6 f
check $'1) "a"\n2) "b"\n3) "c"\n4) "d"\n5) "e"\n6) "f"\n7) (nil)' mget m1 m2 m3 m4 m5 m6 nosuch
check "(integer) 3" del m1 m2 m3 nosuch
check $'1) (nil)\n2) (nil)\n3) (nil)\n4) "d"' mget m1 m2 m3 m4
check "(integer) 1" expire key:2 1000
check_between 990 1000 ttl key:2
check "(integer) -1" ttl key:3
check "(integer) 2" hset h f1 v1 f2 v2
check '"v2"' hget h f2
check "(integer) 1" incr counter
check "OK" mset '{user7}:name' ann '{user7}:mail' ann@x

# --- every server holds a share; each key lives on exactly one server
total=0
for i in 0 1 2; do
    n=$(redis-cli -p "${PORTS[$i]}" dbsize | tr -d '\r')
    CHECKS=$((CHECKS + 1))
    if ! [[ "$n" =~ ^[0-9]+$ ]] || [ "$n" -lt $((N / 6)) ]; then
        echo "FAIL: server $i holds '$n' keys, expected a share of about $((N / 3))" >&2
        FAILS=$((FAILS + 1))
    fi
    echo "server $i (port ${PORTS[$i]}): $n keys"
    total=$((total + ${n:-0}))
done
CHECKS=$((CHECKS + 1))
want=$((N + 3 + 1 + 1 + 2)) # key:*, m4..m6, h, counter, {user7}:*
[ "$total" = "$want" ] || { echo "FAIL: the servers hold $total keys together, expected $want" >&2; FAILS=$((FAILS + 1)); }
for k in key:1 key:77 key:600 h '{user7}:name'; do
    holders=0
    for i in 0 1 2; do
        [ "$(redis-cli -p "${PORTS[$i]}" exists "$k" | tr -d '\r')" = 1 ] && holders=$((holders + 1))
    done
    CHECKS=$((CHECKS + 1))
    [ "$holders" = 1 ] || { echo "FAIL: key $k is on $holders servers" >&2; FAILS=$((FAILS + 1)); }
done
tagged=""
for i in 0 1 2; do
    [ "$(redis-cli -p "${PORTS[$i]}" exists '{user7}:name' '{user7}:mail' | tr -d '\r')" = 2 ] && tagged=$i
done
CHECKS=$((CHECKS + 1))
[ -n "$tagged" ] || { echo "FAIL: keys with the hash tag {user7} are not on one server" >&2; FAILS=$((FAILS + 1)); }

# --- what the proxy does not forward (docs/twemproxy.md)
for cmd in "keys *" "multi" "flushall" "scan 0"; do
    got=$(redis-cli -p "$NPORT" $cmd 2>&1 | head -1)
    CHECKS=$((CHECKS + 1))
    case "$got" in
    *"Error"* | *"ERR"* | *"closed"* | *"reset"*) ;;
    *) echo "FAIL: '$cmd' through the proxy answered '$got', expected a refusal" >&2; FAILS=$((FAILS + 1)) ;;
    esac
done
check '"value:5"' get key:5 # the proxy still serves after the refusals
finish
