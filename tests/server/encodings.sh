#!/usr/bin/env bash
# tests/server/encodings.sh: Redis 7.0's encoding options (set-max-intset-entries,
# zset-max-listpack-*, hash-max-listpack-*, list-max-listpack-size, list-compress-depth, their
# *-ziplist-* aliases) and busy-reply-threshold / lua-time-limit, side by side with redis-server
# 7.0.15: CONFIG GET/SET with Redis's validation and errors, and OBJECT ENCODING following the
# thresholds as they change (same content, same answer). The config file and CONFIG REWRITE
# take them too.
. "$(dirname "$0")/lib.sh"

CONF=$(mktemp /tmp/flatline-encodings.XXXXXX)
HELPER_DIRS="$CONF" # removed on exit with the helpers' directories
printf 'zset-max-ziplist-entries 3\nset-max-intset-entries 4\n' >"$CONF"
SERVER_CONFIG=$CONF start_server --threads 2
start_redis
both() { for p in "$PORT" "$RPORT"; do redis-cli -p "$p" "$@" >/dev/null; done; }
redis-cli -p "$RPORT" config set zset-max-ziplist-entries 3 set-max-intset-entries 4 >/dev/null
both flushall

# --- The options: values, aliases, bounds and Redis's errors.
for o in set-max-intset-entries zset-max-listpack-entries zset-max-ziplist-entries \
    zset-max-listpack-value zset-max-ziplist-value hash-max-listpack-entries \
    hash-max-ziplist-entries hash-max-listpack-value hash-max-ziplist-value \
    list-max-listpack-size list-max-ziplist-size list-compress-depth busy-reply-threshold \
    lua-time-limit; do
    check_same config get "$o"
done
check_same config set zset-max-listpack-entries -1
check_same config set zset-max-listpack-value -1
check_same config set zset-max-listpack-value 1kb
check_same config get zset-max-ziplist-value
check_same config set set-max-intset-entries abc
check_same config set list-max-listpack-size 99999999999
check_same config set list-compress-depth -1
check_same config set lua-time-limit abc
check_same config set zset-max-ziplist-value 10 zset-max-listpack-value 7
check_same config get zset-max-listpack-value
check_same config set hash-max-ziplist-entries 2 hash-max-ziplist-entries 3

# --- Sets: intset up to set-max-intset-entries (4 from the file), then hashtable for good.
check_same sadd s1 1 2 3 4
check_same object encoding s1
check_same sadd s1 5
check_same object encoding s1
check_same srem s1 5 4 3
check_same object encoding s1
both config set set-max-intset-entries 1
check_same sadd s2 7
check_same object encoding s2
check_same sadd s2 8
check_same object encoding s2
check_same sunionstore s3 s2
check_same object encoding s3
both config set set-max-intset-entries 512
check_same sunionstore s4 s2
check_same object encoding s4

# --- Sorted sets: listpack up to zset-max-listpack-entries members (3 from the file) of at most
# zset-max-listpack-value bytes (7 above); then skiplist for good; STORE results by content.
check_same zadd z1 1 a 2 b 3 c
check_same object encoding z1
check_same zadd z1 4 d
check_same object encoding z1
check_same zrem z1 a b c
check_same object encoding z1
check_same zadd z2 1 1234567
check_same object encoding z2
check_same zadd z2 2 12345678
check_same object encoding z2
check_same zunionstore z3 1 z1
check_same object encoding z3
both config set zset-max-listpack-value 200
check_same zadd z4 1 "$(printf 'm%.0s' $(seq 150))"
check_same object encoding z4
check_same zincrby z4 5 "$(printf 'm%.0s' $(seq 150))"
check_same zrange z4 0 -1 withscores
both config set zset-max-listpack-entries 0
check_same zadd z5 1 a
check_same object encoding z5

# --- Hashes: OBJECT ENCODING by hash-max-listpack-entries / -value.
both config set hash-max-listpack-entries 2 hash-max-listpack-value 5
check_same hset h1 a 1 b 2
check_same object encoding h1
check_same hset h2 a 123456
check_same object encoding h2
check_same hset h3 a 1 b 2 c 3
check_same object encoding h3

# --- Lists: always quicklist in 7.0, whatever the chunk size; contents intact across sizes.
for fill in 1 2 -1 -5 3; do
    both config set list-max-listpack-size "$fill"
    check_same rpush "l$fill" a b c d e f g
    check_same linsert "l$fill" before d x
    check_same lrange "l$fill" 0 -1
    check_same object encoding "l$fill"
done

# --- busy-reply-threshold: a script past it gets other clients -BUSY at once (10 ms here).
both config set lua-time-limit 10
check_same config get busy-reply-threshold
redis-cli -p "$PORT" eval 'local t = redis.call("time") while true do end' 0 >/dev/null 2>&1 &
loop=$!
for _ in $(seq 100); do
    rc ping | grep -q BUSY && break
    sleep 0.05
done
# While it is busy, MULTI passes (Redis's allow-busy) and an EXEC is aborted, as redis-server does.
BUSY="(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
check_session $'OK\n'"$BUSY"$'\n(error) EXECABORT Transaction discarded because of: '"${BUSY#(error) }"$'\n'"$BUSY" \
    'multi|incr xx|exec|ping'
for _ in $(seq 100); do
    [ "$(redis-cli -p "$PORT" script kill 2>&1)" = OK ] && break
    sleep 0.05
done
wait "$loop"
check "PONG" ping
check "(nil)" get xx
# A kill is not swallowed by a pcall inside the script (Redis re-raises it on every line).
KILLED=$(mktemp /tmp/flatline-killed.XXXXXX)
redis-cli -p "$PORT" eval 'local f = function() while 1 do redis.call("ping") end end while 1 do pcall(f) end' 0 >"$KILLED" 2>&1 &
loop=$!
for _ in $(seq 100); do
    rc ping | grep -q BUSY && break
    sleep 0.05
done
check "OK" script kill
for _ in $(seq 100); do kill -0 "$loop" 2>/dev/null || break; sleep 0.05; done
CHECKS=$((CHECKS + 1))
grep -q "killed by user" "$KILLED" || { echo "FAIL: pcall swallowed SCRIPT KILL: $(cat "$KILLED")" >&2; FAILS=$((FAILS + 1)); }
kill "$loop" 2>/dev/null
wait "$loop" 2>/dev/null
rm -f "$KILLED"
check "PONG" ping

# --- save: run-time rules, Redis's validation.
check_same config set save "100 10"
check_same config get save
check_same config set save abc
check_same config set save 100
check_same config set save ""
check_same config get save

# --- CONFIG REWRITE writes the options (by their own names) into the file.
check "OK" config set zset-max-ziplist-entries 9
# strings: an edit in place (APPEND to a key, SETRANGE, SETBIT) makes Redis's "raw" string
# whatever the content; INCR, a new value or a new key are encoded by their content again
for steps in "set s1 1|append s1 2" "append s2 abc" "append s3 abc|append s3 d" \
    "setrange s4 0 ab" "setbit s5 3 1" "set s6 5|setrange s6 0 x" "set s7 5|setbit s7 0 0" \
    "set s8 1|append s8 2|incr s8" "set s9 5|setbit s9 0 0|copy s9 s10" \
    "set s11 1|append s11 2|rename s11 s12" "set s13 1|append s13 2|set s13 3" \
    "set s14 5|incrbyfloat s14 1.5"; do
    IFS='|' read -r -a cmds <<<"$steps"
    for c in "${cmds[@]}"; do
        # shellcheck disable=SC2086 # each step is a command line of plain words
        both $c
    done
    key=$(awk '{print $NF}' <<<"${cmds[-1]}")
    case "${cmds[-1]}" in copy* | rename*) ;; *) key=$(awk '{print $2}' <<<"${cmds[-1]}") ;; esac
    check_same object encoding "$key"
done

check "OK" config rewrite
CHECKS=$((CHECKS + 1))
grep -q '^zset-max-listpack-entries 9$' "$CONF" ||
    { echo "FAIL: CONFIG REWRITE did not write zset-max-listpack-entries 9:" >&2; cat "$CONF" >&2; FAILS=$((FAILS + 1)); }
finish
