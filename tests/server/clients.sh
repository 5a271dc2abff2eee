#!/usr/bin/env bash
# tests/server/clients.sh: CLIENT and the limits on what one client may cost, driven with
# redis-cli and raw sockets, side by side with redis-server 7.0 where Redis has the same
# behaviour: CLIENT's replies and errors, CLIENT LIST/INFO's fields, KILL across workers,
# PAUSE, REPLY, the output-buffer hard limit and maxmemory-clients against an MGET that names
# one 100 KB key 20,000 times (only that client is closed, with a log line), idle timeout.
. "$(dirname "$0")/lib.sh"

start_server --threads 2
start_redis
NORMALIZE='s/[0-9]+/N/g'

# --- CLIENT's replies and errors, as Redis's
for p in "$PORT" "$RPORT"; do redis-cli -p "$p" flushall >/dev/null; done
check_same client setname "a b"
check_same client getname
check_same client nosuch
check_same client id x
check_same client kill 1.2.3.4:5
check_same client kill id abc
check_same client kill id 0
check_same client kill type nosuch
check_same client kill user nosuch
check_same client kill skipme maybe
check_same client kill addr
check_same client kill id 999999
check_same client kill laddr 1.2.3.4:5 skipme yes
check_same client pause abc
check_same client pause -1
check_same client pause 10 nosuch
check_same client no-evict maybe
check_same client no-evict on
check_same client no-evict off
check_same client reply maybe
check_same client list type nosuch
check_same client list id abc
check_same client list nosuch
check_same client unpause
# HELP: Redis's lines, without those of subcommands flatline lacks (tracking, UNBLOCK).
CHECKS=$((CHECKS + 1))
extra=$(comm -23 <(redis-cli -p "$PORT" client help | sort) <(redis-cli -p "$RPORT" client help | sort))
[ -z "$extra" ] || { echo "FAIL: CLIENT HELP lines Redis lacks: $extra" >&2; FAILS=$((FAILS + 1)); }

# CLIENT INFO / LIST: Redis 7.0's fields in Redis's order.
fields() { tr ' ' '\n' | sed 's/=.*//' | tr '\n' ' '; }
ours=$(redis-cli -p "$PORT" client info | fields)
theirs=$(redis-cli -p "$RPORT" client info | fields)
CHECKS=$((CHECKS + 1))
[ "$ours" = "$theirs" ] || { echo "FAIL: CLIENT INFO fields: $ours vs $theirs" >&2; FAILS=$((FAILS + 1)); }
line=$(printf 'CLIENT SETNAME me\r\nCLIENT INFO\r\n' | redis-cli -p "$PORT" 2>&1 | tail -1)
CHECKS=$((CHECKS + 1))
printf '%s' "$line" | grep -qE '^id=[0-9]+ addr=127\.0\.0\.1:[0-9]+ laddr=127\.0\.0\.1:'"$PORT"' fd=[0-9]+ name=me age=[0-9]+ idle=[0-9]+ flags=N db=0 .* cmd=client\|info user=default redir=-1 resp=2$' ||
    { echo "FAIL: CLIENT INFO line: $line" >&2; FAILS=$((FAILS + 1)); }

# --- KILL and LIST across workers: idle connections spread over both workers.
declare -a fds
for i in 1 2 3 4; do
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT"
    fds+=("$fd")
    printf 'CLIENT SETNAME idle%s\r\n' "$i" >&"$fd"
    read -r -t 10 reply <&"$fd" || fail "no reply to CLIENT SETNAME"
done
CHECKS=$((CHECKS + 1))
n=$(redis-cli -p "$PORT" client list | grep -c 'name=idle')
[ "$n" = 4 ] || { echo "FAIL: CLIENT LIST shows $n of 4 idle clients" >&2; FAILS=$((FAILS + 1)); }
id1=$(redis-cli -p "$PORT" client list | sed -n 's/^id=\([0-9]*\) .*name=idle1 .*/\1/p')
check "(integer) 1" client kill id "$id1"
CHECKS=$((CHECKS + 1))
if read -r -t 10 line <&"${fds[0]}"; then
    echo "FAIL: killed client still connected (read '$line')" >&2
    FAILS=$((FAILS + 1))
fi
addr2=$(redis-cli -p "$PORT" client list | sed -n 's/.* addr=\([^ ]*\) .*name=idle2 .*/\1/p')
check "OK" client kill "$addr2"
check "(error) ERR No such client" client kill "$addr2"
check "(integer) 2" client kill type normal # the two idle ones left; SKIPME yes spares us
check_match '^\(integer\) 1$' client kill type normal skipme no # ourselves, after the reply
CHECKS=$((CHECKS + 1))
killed=$(info_field stats killed_clients)
[ "$killed" = 5 ] || { echo "FAIL: killed_clients $killed, want 5" >&2; FAILS=$((FAILS + 1)); }
for fd in "${fds[@]}"; do exec {fd}>&-; done

# --- user= and KILL USER follow ACL users.
check "OK" acl setuser alice on '>pw' '+@all' '~*'
exec {alice}<>"/dev/tcp/127.0.0.1/$PORT"
printf 'AUTH alice pw\r\n' >&"$alice"
read -r -t 10 reply <&"$alice" || fail "no reply to AUTH"
check_match ' user=alice ' client list
check "(integer) 1" client kill user alice
check "(error) ERR No such user 'bob'" client kill user bob
exec {alice}>&-

# --- CLIENT REPLY OFF / SKIP / ON on one connection, as Redis.
reply_modes() {
    local fd out
    exec {fd}<>"/dev/tcp/127.0.0.1/$1"
    printf 'CLIENT REPLY OFF\r\nPING 1\r\nCLIENT REPLY SKIP\r\nPING 2\r\nCLIENT REPLY ON\r\nPING 3\r\nCLIENT REPLY SKIP\r\nPING 4\r\nPING 5\r\nQUIT\r\n' >&"$fd"
    out=$(timeout 10 cat <&"$fd" | tr -d '\r' | tr '\n' ' ')
    exec {fd}>&-
    printf '%s' "$out"
}
ours=$(reply_modes "$PORT")
theirs=$(reply_modes "$RPORT")
CHECKS=$((CHECKS + 1))
[ "$ours" = "$theirs" ] || { echo "FAIL: CLIENT REPLY: '$ours' vs redis '$theirs'" >&2; FAILS=$((FAILS + 1)); }

# --- CLIENT PAUSE WRITE holds writes, not reads, until UNPAUSE.
rc set paused before >/dev/null
check "OK" client pause 60000 write
redis-cli -p "$PORT" set paused after >/dev/null &
writer=$!
for _ in $(seq 200); do
    redis-cli -p "$PORT" client list | grep -q 'flags=b .*cmd=NULL' && break
    sleep 0.05
done
check '"before"' get paused
check "OK" client unpause
wait "$writer"
check '"after"' get paused

# --- The MGET amplification: one 100 KB key named 20,000 times (2 GB of replies).
big=$(head -c 100000 /dev/zero | tr '\0' 'x')
printf '%s' "$big" | redis-cli -p "$PORT" -x set big >/dev/null
names=$(for _ in $(seq 20000); do printf 'big '; done)
# Hard limit of the normal class: the client is closed when its reply passes 8 MB.
check "OK" config set client-output-buffer-limit "normal 8mb 0 0"
# shellcheck disable=SC2086
out=$(redis-cli -p "$PORT" mget $names 2>&1 | head -c 200)
CHECKS=$((CHECKS + 1))
case "$out" in
*"Server closed the connection"* | *"Connection reset"* | "") ;;
*) echo "FAIL: MGET amplification was answered: ${out:0:80}" >&2; FAILS=$((FAILS + 1)) ;;
esac
check "PONG" ping
CHECKS=$((CHECKS + 1))
[ "$(info_field stats client_output_buffer_limit_disconnections)" = 1 ] ||
    { echo "FAIL: client_output_buffer_limit_disconnections is not 1" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
grep -q "Client id=[0-9]* addr=.* cmd=mget .* closed for overcoming of output buffer limits" "$LOG" ||
    { echo "FAIL: no log line for the closed client" >&2; FAILS=$((FAILS + 1)); }
# Soft limit: a client that leaves more than 1 MB unread for a second is closed by the cron.
check "OK" config set client-output-buffer-limit "normal 0 1mb 1"
exec {slow}<>"/dev/tcp/127.0.0.1/$PORT"
# ($(...) drops the last "\n": the format puts it back)
printf '*201\r\n$4\r\nMGET\r\n%s\n' "$(for _ in $(seq 200); do printf '$3\r\nbig\r\n'; done)" >&"$slow"
for _ in $(seq 200); do
    [ "$(info_field stats client_output_buffer_limit_disconnections)" = 2 ] && break
    sleep 0.05
done
CHECKS=$((CHECKS + 1))
[ "$(info_field stats client_output_buffer_limit_disconnections)" = 2 ] ||
    { echo "FAIL: a client above the soft limit was not closed" >&2; FAILS=$((FAILS + 1)); }
exec {slow}>&-
# maxmemory-clients: no per-client limit, a 16 MB cap on all clients together.
check "OK" config set client-output-buffer-limit "normal 0 0 0" maxmemory-clients 16mb
# shellcheck disable=SC2086
redis-cli -p "$PORT" mget $names >/dev/null 2>&1
check "PONG" ping
CHECKS=$((CHECKS + 1))
[ "$(info_field stats evicted_clients)" = 1 ] ||
    { echo "FAIL: evicted_clients is not 1" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
grep -q "Client id=.* cmd=mget .* evicted: maxmemory-clients" "$LOG" ||
    { echo "FAIL: no log line for the evicted client" >&2; FAILS=$((FAILS + 1)); }
check "OK" config set maxmemory-clients 0

# --- Idle timeout: a silent connection is closed; counted.
check "OK" config set timeout 1
exec {idle}<>"/dev/tcp/127.0.0.1/$PORT"
CHECKS=$((CHECKS + 1))
if read -r -t 20 line <&"$idle"; then
    echo "FAIL: idle client read '$line' instead of being closed" >&2
    FAILS=$((FAILS + 1))
elif [ "$(info_field stats timedout_clients)" -lt 1 ]; then
    echo "FAIL: timedout_clients not counted" >&2
    FAILS=$((FAILS + 1))
fi
exec {idle}>&-
check "OK" config set timeout 0
finish
