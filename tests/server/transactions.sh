#!/usr/bin/env bash
# tests/server/transactions.sh: MULTI, EXEC, DISCARD, WATCH, UNWATCH with Redis 7.0's exact
# replies: queued replies, EXECABORT after a queuing error, errors inside EXEC per command,
# WATCH invalidated by writes, EXPIRE, DEL and FLUSHALL (and not by FLUSHALL of a missing
# key), nested MULTI, WATCH inside MULTI, SHUTDOWN refused in MULTI, SELECT inside a
# transaction, a script inside a transaction. Expectations are redis-server 7.0.15's
# transcripts; with COMPARE_PORT set the same checks run against a server already there.
. "$(dirname "$0")/lib.sh"

if [ -n "${COMPARE_PORT:-}" ]; then
    PORT=$COMPARE_PORT
    rc flushall >/dev/null
else
    start_server --threads 2
fi

check_session $'OK\nQUEUED\nQUEUED\nQUEUED\n1) OK\n2) (integer) 2\n3) "2"' $'multi|set a 1|incr a|get a|exec'
check_session $'OK\nQUEUED\n(error) ERR unknown command \'nosuchcommand\', with args beginning with: \n(error) EXECABORT Transaction discarded because of previous errors.\n"2"' $'multi|set a 1|nosuchcommand|exec|get a'
check_session $'OK\n(error) ERR wrong number of arguments for \'get\' command\n(error) EXECABORT Transaction discarded because of previous errors.' $'multi|get|exec'
# a container's unknown subcommand is refused at queueing, as Redis's command lookup refuses it
check_session $'OK\n(error) ERR unknown subcommand \'GET_XX\'. Try CONFIG HELP.\n(error) EXECABORT Transaction discarded because of previous errors.' $'multi|config GET_XX|exec'
check "(error) ERR unknown subcommand 'nope'. Try MEMORY HELP." memory nope
check_session $'(error) ERR EXEC without MULTI' $'exec'
check_session $'(error) ERR DISCARD without MULTI' $'discard'
check_session $'OK\n(error) ERR MULTI calls can not be nested\nOK' $'multi|multi|discard'
check_session $'OK\n(error) ERR WATCH inside MULTI is not allowed\nOK' $'multi|watch x|discard'
check_session $'OK\nOK\nOK\nOK\nQUEUED\n(nil)' $'set x 1|watch x|set x 2|multi|ping|exec'
check_session $'OK\nOK\nOK\nQUEUED\n1) PONG' $'set x 1|watch x|multi|ping|exec'
check_session $'(integer) 1\nOK\nOK\nQUEUED\n1) PONG' $'del x|watch x|multi|ping|exec'
check_session $'OK\nOK\nOK\nOK\nOK\nQUEUED\n1) PONG' $'set x 1|watch x|unwatch|set x 2|multi|ping|exec'
check_session $'OK\nOK\n(integer) 1\nOK\nQUEUED\n(nil)' $'set x 1|watch x|expire x 100|multi|ping|exec'
check_session $'OK\nOK\n(integer) 1\nOK\nQUEUED\n(nil)' $'set x 1|watch x|del x|multi|ping|exec'
check_session $'OK\nOK\nOK\nOK\nQUEUED\n(nil)' $'set x 1|watch x|flushall|multi|ping|exec'
check_session $'(integer) 0\nOK\nOK\nOK\nQUEUED\n1) PONG' $'del x|watch x|flushall|multi|ping|exec'
check_session $'OK\nOK\nOK\nOK\nOK\nOK\nQUEUED\n1) (integer) 3' $'set x 1|watch x|set x 2|multi|discard|multi|incr x|exec'
check_session $'OK\nQUEUED\nQUEUED\nQUEUED\n1) OK\n2) (integer) 2\n3) (integer) 3\n"3"' $'multi|set a 1|incr a|incr a|exec|get a'
check_session $'OK\nOK\nQUEUED\nQUEUED\nQUEUED\n1) (error) ERR value is not an integer or out of range\n2) OK\n3) (integer) 6' $'set s abc|multi|incr s|set s 5|incr s|exec'
check_session $'OK\nQUEUED\nQUEUED\nOK\n(nil)' $'multi|set k v|get k|discard|get k'
check_session $'OK\n(error) ERR Command not allowed inside a transaction\n(error) EXECABORT Transaction discarded because of previous errors.' $'multi|shutdown|exec'
check_session $'OK\n(error) ERR Command not allowed inside a transaction\n(error) EXECABORT Transaction discarded because of previous errors.' $'multi|save|exec'
check_session $'OK\nOK\nOK\nQUEUED\n(nil)' $'watch a b c|set b 1|multi|ping|exec'
check_session $'OK\nQUEUED\nQUEUED\nQUEUED\n1) OK\n2) OK\n3) OK\n(nil)\nOK\n"1"\n(integer) 1' $'multi|select 1|set nsk 1|select 0|exec|get nsk|select 1|get nsk|del nsk'
check_session $'OK\nOK\nOK\nQUEUED\n1) (nil)\n"9"' $'set x 1|watch x|multi|eval "redis.call(\'set\',\'x\',\'9\')" 0|exec|get x'

# A key that expires while watched fails EXEC (it vanished since WATCH); one that was already
# expired when watched does not (Redis 7.0's stale keys). One connection, a pause inside.
watch_then() {
    { printf '%s\n' "$1" | tr '|' '\n'; sleep "$2"; printf '%s\n' "$3" | tr '|' '\n'; } |
        redis-cli -p "$PORT" --no-raw 2>&1
}
rc flushall >/dev/null
got=$(watch_then 'set x 1 px 1500|watch x' 2 'multi|ping|exec')
CHECKS=$((CHECKS + 1))
[ "$got" = $'OK\nOK\nOK\nQUEUED\n(nil)' ] || { echo "FAIL: expired watched key: $got" >&2; FAILS=$((FAILS + 1)); }
got=$(watch_then 'set s 1 px 100' 0.3 'watch s|multi|ping|exec')
CHECKS=$((CHECKS + 1))
[ "$got" = $'OK\nOK\nOK\nQUEUED\n1) PONG' ] || { echo "FAIL: stale watched key: $got" >&2; FAILS=$((FAILS + 1)); }

# A client blocked on a key sees the transaction's result, not a state inside it: after
# LPUSH a, b, c it pops c; after LPUSH + DEL it stays blocked and pops the next push (Redis).
BLOCKED=$(mktemp /tmp/flatline-tx-blpop.XXXXXX)
blpop_after() { # SESSION: a BLPOP on key bl waits, the session runs, then one more push
    rc del bl >/dev/null
    redis-cli -p "$PORT" blpop bl 5 >"$BLOCKED" 2>&1 &
    local pop=$!
    for _ in $(seq 100); do [ "$(info_field clients blocked_clients)" = 1 ] && break; sleep 0.02; done
    printf '%s\n' "$1" | tr '|' '\n' | redis-cli -p "$PORT" >/dev/null 2>&1
    rc lpush bl z >/dev/null
    wait "$pop"
    tr '\n' ' ' <"$BLOCKED"
}
CHECKS=$((CHECKS + 1))
got=$(blpop_after 'multi|lpush bl a|lpush bl b|lpush bl c|exec')
[ "$got" = "bl c " ] || { echo "FAIL: BLPOP woken inside EXEC: $got" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
got=$(blpop_after 'multi|lpush bl a|del bl|exec')
[ "$got" = "bl z " ] || { echo "FAIL: BLPOP woken by a push EXEC undid: $got" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
got=$(blpop_after 'multi|lpush bl a|del bl|set bl foo|exec|del bl')
[ "$got" = "bl z " ] || { echo "FAIL: BLPOP served from a key of another type: $got" >&2; FAILS=$((FAILS + 1)); }
# A blocked BRPOPLPUSH whose destination holds another type gets WRONGTYPE when its source
# gets an element, which stays in the source (Redis).
rc del src >/dev/null
rc set dst nolist >/dev/null
redis-cli -p "$PORT" brpoplpush src dst 5 >"$BLOCKED" 2>&1 &
pop=$!
for _ in $(seq 100); do [ "$(info_field clients blocked_clients)" = 1 ] && break; sleep 0.02; done
rc rpush src foo >/dev/null
wait "$pop"
CHECKS=$((CHECKS + 1))
grep -q "^WRONGTYPE" "$BLOCKED" || { echo "FAIL: blocked BRPOPLPUSH to a string: $(cat "$BLOCKED")" >&2; FAILS=$((FAILS + 1)); }
check $'1) "foo"' lrange src 0 -1
# A list moved into place by RENAME or COPY serves the clients blocked on its new name.
CHECKS=$((CHECKS + 1))
got=$(blpop_after 'lpush bob a b c|rename bob bl')
[ "$got" = "bl c " ] || { echo "FAIL: BLPOP not woken by RENAME: $got" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
got=$(blpop_after 'lpush bob2 x y|copy bob2 bl')
[ "$got" = "bl y " ] || { echo "FAIL: BLPOP not woken by COPY: $got" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
got=$(blpop_after 'rpush notbl c a b|sort notbl alpha store bl')
[ "$got" = "bl a " ] || { echo "FAIL: BLPOP not woken by SORT ... STORE: $got" >&2; FAILS=$((FAILS + 1)); }
# CLIENT UNBLOCK (whichever worker has the client): its timeout reply, or Redis's error.
unblock_with() { # REASON...: a BLPOP waits, CLIENT UNBLOCK <its id> REASON; prints both answers
    rc del bl >/dev/null
    redis-cli -p "$PORT" blpop bl 0 >"$BLOCKED" 2>&1 &
    local pop=$! id=""
    for _ in $(seq 100); do
        id=$(rc client list | sed -n 's/^id=\([0-9]*\) .*cmd=blpop.*/\1/p')
        [ -n "$id" ] && [ "$(info_field clients blocked_clients)" = 1 ] && break
        sleep 0.02
    done
    rc client unblock "$id" "$@" | tr '\n' ' '
    wait "$pop"
    tr '\n' ' ' <"$BLOCKED"
}
CHECKS=$((CHECKS + 1))
got=$(unblock_with)
[ "$got" = "(integer) 1  " ] || { echo "FAIL: CLIENT UNBLOCK: $got" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
got=$(unblock_with error)
[ "$got" = "(integer) 1 UNBLOCKED client unblocked via CLIENT UNBLOCK  " ] ||
    { echo "FAIL: CLIENT UNBLOCK ERROR: $got" >&2; FAILS=$((FAILS + 1)); }
check "(integer) 0" client unblock 999999
check "(error) ERR value is not an integer or out of range" client unblock abc
check "(error) ERR CLIENT UNBLOCK reason should be TIMEOUT or ERROR" client unblock 1 x
rm -f "$BLOCKED"
finish
