#!/usr/bin/env bash
# tests/server/acl.sh: AUTH, HELLO AUTH, requirepass, ACL users (SETUSER/GETUSER/DELUSER/LIST/
# USERS/WHOAMI/CAT/DRYRUN/LOAD/SAVE), command categories, first-arg rules and key patterns,
# driven with redis-cli. Every reply that does not depend on the command table's size is
# compared side by side with Debian's redis-server 7.0.15 started by this test on another free
# port; the counters and the aclfile are flatline's own checks.
. "$(dirname "$0")/lib.sh"
command -v redis-server >/dev/null || { echo "redis-server not installed: skipping"; exit 77; }

start_server --threads 2
FPORT=$PORT
RPORT=$("$TOOL" port) || fail "no free port"
RDIR=$(mktemp -d /tmp/flatline-acl.XXXXXX)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$RDIR" \
    >"$RDIR/redis.log" 2>&1 &
RPID=$!
stop_all() {
    kill "$RPID" 2>/dev/null
    wait "$RPID" 2>/dev/null
    rm -rf "$RDIR"
}
trap 'rc=$?; stop_all; (exit $rc); on_exit' EXIT
for _ in $(seq 100); do
    [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ] && break
    sleep 0.05
done

# same ARGS...: the reply (with its error text) of both servers must be identical.
same() {
    local f r
    f=$(redis-cli -p "$FPORT" --no-raw "$@" 2>&1)
    r=$(redis-cli -p "$RPORT" --no-raw "$@" 2>&1)
    CHECKS=$((CHECKS + 1))
    if [ "$f" != "$r" ]; then
        echo "FAIL: redis-cli $* differs from redis-server" >&2
        echo "  redis:    $(printf '%q' "$r")" >&2
        echo "  flatline: $(printf '%q' "$f")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# as USER PASS ARGS...: same, logged in as USER (redis-cli --user --pass sends AUTH first).
as() {
    local u=$1 p=$2
    shift 2
    same --user "$u" --pass "$p" "$@"
}

# --- AUTH and HELLO while the default user has no password
same auth onlyone
same auth default anything
same auth nosuch pw
same auth a b c
same hello 2 auth nosuch pw
same hello 4
same acl whoami
same acl users
same acl list
same acl getuser default
same acl cat

# --- SETUSER rules and their errors
same acl setuser alice on '>pw' '~foo*' '%R~r*' '+@string' '-set'
same acl list
same acl getuser alice
# Redis orders single commands and first args by its hash table: compare flatline's alone.
same acl setuser alice '+config|get'
check_match '6\) "-@all \+@string (-set \+config\|get|\+config\|get -set)"' acl getuser alice
same acl setuser bob
same acl getuser bob
same acl setuser carol reset on nopass allkeys allcommands -@dangerous
same acl getuser carol
same acl setuser dave on '>a' '>b' '<a' '~k1' '~k2' '&chan*' resetchannels '&c2' '+get'
same acl getuser dave
same acl setuser alice -config
same acl list
same acl users
same acl setuser dave '+select|0'
check_match '6\) "-@all \+get \+select\|0"' acl getuser dave
same acl setuser x foo
same acl setuser x '+nosuch'
same acl setuser x '+@nosuch'
same acl setuser x '<nopw'
same acl setuser x '#abc'
same acl setuser x '!0123'
same acl setuser x allkeys '~a'
same acl setuser x '%X~a'
same acl setuser x '+get|'
same acl getuser x
same acl getuser nosuch
same acl deluser default
same acl cat nosuch
same acl
same acl foo
same acl setuser
same acl getuser a b
same acl whoami extra
same acl dryrun alice get foo1
same acl dryrun alice set foo1 v
same acl dryrun nosuch get a
same acl dryrun alice nosuchcmd
same acl dryrun alice get
same acl load
same acl save

# --- what the users may do
same set foo1 v
same set r1 v
same set other v
as alice pw get foo1
# A script has its caller's permissions: redis.call is checked against them (Redis's words).
same acl setuser scripter on '>sp' '~allowed:*' +@all -flushall
as scripter sp eval "return redis.call('set','secret','x')" 0
as scripter sp eval "return redis.call('flushall')" 0
as scripter sp eval "return redis.call('set','allowed:1','x')" 0
same acl deluser scripter
as alice pw get r1
as alice pw get other
as alice pw mget foo1 r1 other
as alice pw append foo1 x
as alice pw append r1 x
as alice pw set foo1 v
as alice pw config get nosuchoption
as alice pw config set nosuchoption x
as alice pw flushall
as alice pw acl whoami
as alice wrong get foo1
as bob x get foo1
as carol any get other
as carol any flushall
as carol any keys nosuchpattern
as dave b get k1
as dave b get k3
as dave b select 0
as dave b select 1
as dave a get k1
# read and write key permissions as Redis's key specifications give them
same acl setuser rw on nopass +@all '%R~r*' '%W~w*'
for cmd in "get r1" "get w1" "set r1 v" "set w1 v" "incr r2" "incr w2" "getset w1 v" \
    "getdel w1" "strlen w1" "exists w1" "type r1" "append w1 x" "hset w3 f v" "hincrby w3 f 1" \
    "hexists w3 f" "hlen w3" "hget w3 f" "hgetall r3" "del r1" "del w1" "ttl w1" "expire w1 5" \
    "mget r1 w1" "mset w1 a w2 b" "mset w1 a r2 b"; do
    as rw x $cmd
done
same acl deluser rw

# subcommands with categories of their own (ACL WHOAMI is @slow, ACL LIST @admin @dangerous)
same acl setuser sub1 on nopass +@all -@dangerous
as sub1 x acl whoami
as sub1 x acl list
same acl getuser sub1
same acl setuser sub2 on nopass -@all '+acl|whoami'
same acl getuser sub2
as sub2 x acl whoami
as sub2 x acl users
same acl setuser sub2 '-acl|whoami'
as sub2 x acl whoami
same acl setuser sub2 '+acl'
as sub2 x acl users
same acl setuser x '+acl|nosuch'
same acl setuser x '-select|0'
as sub1 x client id
as sub1 x client kill 127.0.0.1:1
as sub1 x client list
as sub1 x config get maxmemory
as sub1 x command nosuchsub
same acl deluser sub1 sub2
same acl deluser alice bob nosuch
same acl users
as alice pw get foo1

# --- ACL LOG: the entries' fields up to the username (age and client details differ)
same_head() {
    local lines=$1 f r
    shift
    f=$(redis-cli -p "$FPORT" --no-raw "$@" 2>&1 | head -n "$lines")
    r=$(redis-cli -p "$RPORT" --no-raw "$@" 2>&1 | head -n "$lines")
    CHECKS=$((CHECKS + 1))
    if [ "$f" != "$r" ]; then
        echo "FAIL: redis-cli $* (first $lines lines) differs from redis-server" >&2
        echo "  redis:    $(printf '%q' "$r")" >&2
        echo "  flatline: $(printf '%q' "$f")" >&2
        FAILS=$((FAILS + 1))
    fi
}
same acl log reset
same acl setuser logu on '>lp' '~k*' '+get' '+mget'
as logu lp get other
as logu lp mget k1 other2
as logu lp get other
as logu lp set k1 v
as logu wrong get k1
same acl setuser logu '+config|get'
as logu lp config set x y
same_head 10 acl log 1
same_head 10 acl log 2 # (the entry before: the failed AUTH)
same_head 1 acl log
# client-info: CLIENT LIST's fields, the same names in the same order (redis-py parses them)
info_keys() { redis-cli -p "$1" --raw acl log 1 | tail -n 1 | tr ' ' '\n' | cut -d= -f1 | tr '\n' ' '; }
fk=$(info_keys "$FPORT")
rk=$(info_keys "$RPORT")
CHECKS=$((CHECKS + 1))
[ "$fk" = "$rk" ] || { echo "FAIL: ACL LOG client-info fields: redis '$rk', flatline '$fk'" >&2; FAILS=$((FAILS + 1)); }
same acl log -1
same acl log 1 2
same acl log x
same acl log reset
same acl log

# --- rules changing under running clients (two workers): each command sees the old rules or
# the new ones; deleting the user closes its clients; the server goes on serving
redis-cli -p "$FPORT" acl setuser zed on '>zpw' '~*' '+@all' >/dev/null
redis-benchmark -p "$FPORT" --user zed -a zpw -t get,set -n 40000 -c 8 -P 4 -q >/dev/null 2>&1 &
BPID=$!
for i in $(seq 40); do
    redis-cli -p "$FPORT" acl setuser zed "$([ $((i % 2)) = 0 ] && echo +get || echo -get)" '%R~k*' >/dev/null
done
redis-cli -p "$FPORT" acl deluser zed >/dev/null
wait "$BPID" 2>/dev/null
check "PONG" ping
check "(integer) 0" acl deluser zed

# --- a deleted user's idle clients are disconnected at once, on whichever worker
redis-cli -p "$FPORT" acl setuser idle on '>ipw' '+@all' '~*' >/dev/null
for fd in 5 6; do
    eval "exec $fd<>/dev/tcp/127.0.0.1/$FPORT"
    printf 'AUTH idle ipw\r\n' >&"$fd"
    read -r -t 5 line <&"$fd"
    CHECKS=$((CHECKS + 1))
    [ "${line%$'\r'}" = "+OK" ] || { echo "FAIL: AUTH on a raw connection: '$line'" >&2; FAILS=$((FAILS + 1)); }
done
check "(integer) 1" acl deluser idle
for fd in 5 6; do
    got=closed
    read -r -t 5 line <&"$fd" && got="read '$line'"
    [ $? -gt 128 ] && got=timeout
    CHECKS=$((CHECKS + 1))
    [ "$got" = closed ] || { echo "FAIL: an idle client of a deleted user: $got" >&2; FAILS=$((FAILS + 1)); }
    eval "exec $fd<&-"
done

# --- a password for the default user (what requirepass sets)
same acl setuser default '>s3cret'
same ping
same get foo1
same auth wrong
same auth s3cret
same hello 2
same hello 2 auth default wrong
check "AUTH failed: WRONGPASS invalid username-password pair or user is disabled.
(error) NOAUTH Authentication required." -a wrong --no-auth-warning get foo1
same -a s3cret --no-auth-warning get foo1
same --user default --pass s3cret acl whoami
same quit
export REDISCLI_AUTH=s3cret
check_match '^ 1\) "server"' hello 2 auth default s3cret setname x
same acl setuser default nopass
unset REDISCLI_AUTH
same get foo1

# --- flatline's counters (INFO stats, Redis's names where Redis has them)
for f in acl_access_denied_auth acl_access_denied_cmd acl_access_denied_key noauth_rejected_commands; do
    v=$(info_field stats "$f")
    CHECKS=$((CHECKS + 1))
    if ! [[ "$v" =~ ^[1-9][0-9]*$ ]]; then
        echo "FAIL: INFO stats $f is '$v', expected a count above 0" >&2
        FAILS=$((FAILS + 1))
    fi
done

# --- requirepass on the command line
stop_server
REDISCLI_AUTH='p w' start_server --threads 2 --requirepass 'p w'
check "(error) NOAUTH Authentication required." dbsize
check "OK" auth 'p w'
# (the keys the previous server wrote are back: the defaults are durable)
check_match '^\(integer\) [0-9]+$' --user default --pass 'p w' --no-auth-warning dbsize
check "OK" -a 'p w' --no-auth-warning acl setuser default nopass
check "(error) ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?" auth x
stop_server

# --- aclfile: loaded at start, ACL LOAD (all or nothing), ACL SAVE
ACLF="$RDIR/users.acl"
printf 'user default on nopass ~* &* +@all\nuser erin on >epw ~e* +@read +@connection\n' >"$ACLF"
start_server --threads 2 --aclfile "$ACLF"
check "(error) NOPERM this user has no permissions to run the 'acl|whoami' command" \
    --user erin --pass epw --no-auth-warning acl whoami
check "(nil)" --user erin --pass epw --no-auth-warning get e1
check "OK" acl setuser frank on nopass +@all
check "OK" acl save
check_match "^user frank on nopass resetchannels \+@all$" --raw acl list
grep -q "^user frank on nopass resetchannels +@all$" "$ACLF" && CHECKS=$((CHECKS + 1)) ||
    { echo "FAIL: ACL SAVE did not write frank to the file" >&2; FAILS=$((FAILS + 1)); CHECKS=$((CHECKS + 1)); }
printf 'user default on nopass ~* &* +@all\nuser gina on >g +get\nuser bad on +nosuchcmd\n' >"$ACLF"
check_match "^\(error\) ERR .*users.acl:3: Error in ACL SETUSER modifier '\+nosuchcmd': Unknown command or category name in ACL$" acl load
check $'1) "default"\n2) "erin"\n3) "frank"' acl users
printf 'user default on nopass ~* &* +@all\nuser gina on >g +get\n' >"$ACLF"
check "OK" acl load
check $'1) "default"\n2) "gina"' acl users
stop_server
# --- `user` lines in the configuration file (redis.conf's form); not together with aclfile
printf 'user hal on >hpw ~h* +@all -flushall\nuser default on nopass ~* &* +@all -keys\n' >"$RDIR/users.conf"
SERVER_CONFIG="$RDIR/users.conf" start_server --threads 1
check "(error) NOPERM this user has no permissions to run the 'keys' command" keys '*'
check "(error) NOPERM this user has no permissions to run the 'flushall' command" \
    --user hal --pass hpw --no-auth-warning flushall
check "(nil)" --user hal --pass hpw --no-auth-warning get h1
stop_server
PORT=$("$TOOL" port)
"$SERVER" "$RDIR/users.conf" --port "$PORT" --aclfile "$ACLF" >"$LOG" 2>&1
st=$?
CHECKS=$((CHECKS + 1))
grep -q "users defined in redis.conf and at the same setting an ACL file path is invalid" "$LOG" &&
    [ "$st" = 1 ] || { echo "FAIL: user lines with aclfile must stop the start: $(cat "$LOG")" >&2; FAILS=$((FAILS + 1)); }
printf 'user ivy on +nosuch\n' >"$RDIR/users.conf"
"$SERVER" "$RDIR/users.conf" --port "$PORT" >"$LOG" 2>&1
st=$?
CHECKS=$((CHECKS + 1))
grep -q "'user' line:1: Error in ACL SETUSER modifier '+nosuch'" "$LOG" && [ "$st" = 1 ] ||
    { echo "FAIL: a bad user line must stop the start: $(cat "$LOG")" >&2; FAILS=$((FAILS + 1)); }

printf 'user gina on +nosuch\n' >"$ACLF"
PORT=$("$TOOL" port)
"$SERVER" --port "$PORT" --aclfile "$ACLF" >"$LOG" 2>&1
st=$?
CHECKS=$((CHECKS + 1))
if [ "$st" != 1 ] || ! grep -q "users.acl:1: Error in ACL SETUSER modifier '+nosuch'" "$LOG"; then
    echo "FAIL: a bad aclfile must stop the start (status $st):" >&2
    cat "$LOG" >&2
    FAILS=$((FAILS + 1))
fi
finish
