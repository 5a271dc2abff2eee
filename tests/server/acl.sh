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
check_match '6\) "-@all \+@string -set \+config\|get"' acl getuser alice
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
same acl deluser alice bob nosuch
same acl users
as alice pw get foo1

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
check "(integer) 0" --user default --pass 'p w' --no-auth-warning dbsize
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
