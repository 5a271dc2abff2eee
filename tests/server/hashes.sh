#!/usr/bin/env bash
# tests/server/hashes.sh: hash commands side by side with Debian's redis-server 7.0.15, both
# encodings: every command runs against both servers and the replies (errors included) must be
# byte-identical. A small hash (listpack) answers in insertion order, as Redis's does, so
# HGETALL/HKEYS/HVALS/HSCAN compare unsorted there; a big one (hashtable) compares sorted.
# OBJECT ENCODING follows Redis's conversions (513 fields, a field or value over 64 bytes, for
# good); COPY and RENAME keep the encoding; MEMORY USAGE grows with the content.
. "$(dirname "$0")/lib.sh"

start_redis
start_server --threads 3

# same_sorted ARGS...: like check_same, for replies in hash-table order (lines sorted).
same_sorted() {
    local ours theirs
    ours=$(rc "$@" | sed -E 's/^( *[0-9]+\) )+//' | sort)
    theirs=$(redis-cli -p "$RPORT" --no-raw "$@" 2>&1 | sed -E 's/^( *[0-9]+\) )+//' | sort)
    CHECKS=$((CHECKS + 1))
    if [ "$ours" != "$theirs" ]; then
        echo "FAIL: redis-cli $* (sorted) differs from redis-server" >&2
        echo "  redis:    $(printf '%q' "$theirs")" >&2
        echo "  flatline: $(printf '%q' "$ours")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# both ARGS...: runs a command on both servers (setup whose reply is not compared).
both() {
    rc "$@" >/dev/null
    redis-cli -p "$RPORT" "$@" >/dev/null 2>&1
}

# --- a small hash: listpack, insertion order
check_same hset h f1 v1 f2 v2 f3 v3
check_same hset h f2 v2b f4 v4 f1 v1
check_same hgetall h
check_same hkeys h
check_same hvals h
check_same object encoding h
check_same hdel h f2 nope
check_same hgetall h
check_same hset h f2 again
check_same hgetall h
check_same hscan h 0
check_same hscan h 0 match 'f[12]'
check_same hscan h 0 count 1
check_same hsetnx h f1 x
check_same hsetnx h f9 nine
check_same hincrby h n 5
check_same hincrby h n -7
check_same hincrby h f1 1
check_same hincrbyfloat h fl 1.5
check_same hincrbyfloat h fl 1e3
check_same hgetall h
check_same hlen h
check_same hstrlen h f9
check_same hmget h f1 nope f9
check_same hexists h f3
check_same hrandfield h 0
check_same hrandfield nokey
check_same hrandfield nokey 3
check_same hset e '' ''
check_same hgetall e
check_same hexists e ''
check_same object encoding e
check_same hdel h f1 f2 f3 f4 f9 n fl
check_same exists h
check_same type e

# --- conversions, for good
args=()
for i in $(seq 1 512); do
    args+=("field:$i" "$i")
done
both hset c512 "${args[@]}"
check_same object encoding c512
check_same hgetall c512
check_same hset c512 field:513 513
check_same object encoding c512
check_same hlen c512
check_same hdel c512 field:513 field:512 field:1
check_same object encoding c512
same_sorted hgetall c512
check_same hset long f "$(printf 'x%.0s' $(seq 64))"
check_same object encoding long
check_same hset long g "$(printf 'y%.0s' $(seq 65))"
check_same object encoding long
check_same hset longf "$(printf 'z%.0s' $(seq 65))" v
check_same object encoding longf
check_same hsetnx nx f "$(printf 'y%.0s' $(seq 65))"
check_same object encoding nx
check_same hset inc f 1
check_same hincrbyfloat inc f 0.1234567890123456789
check_same object encoding inc
check_same hgetall inc
# HSETNX of an existing field converts nothing even with a long value
check_same hsetnx inc f "$(printf 'y%.0s' $(seq 65))"
check_same object encoding inc

# --- a big hash (hashtable): every field through HSCAN
args=()
for i in $(seq 1 600); do
    args+=("f$i" "v$i")
done
both hset big "${args[@]}"
# one HSET past the threshold converts at once
check_same hset big2 "${args[@]}"
check_same object encoding big2
check_same object encoding big
same_sorted hgetall big
same_sorted hkeys big
check_same hget big f77
check_same hlen big
cursor=0 seen=""
for _ in $(seq 1000); do
    out=$(redis-cli -p "$PORT" hscan big "$cursor" count 20)
    cursor=$(printf '%s\n' "$out" | head -1)
    seen="$seen$(printf '%s\n' "$out" | tail -n +2 | paste - - | cut -f1)"$'\n'
    [ "$cursor" = 0 ] && break
done
got=$(printf '%s' "$seen" | sort -u | grep -c . || true)
CHECKS=$((CHECKS + 1))
[ "$got" = 600 ] || { echo "FAIL: HSCAN returned $got distinct fields of 600" >&2; FAILS=$((FAILS + 1)); }
check "(integer) 10" eval "return #redis.call('hrandfield', KEYS[1], -5, 'withvalues')" 1 big
check "(integer) 600" eval "return #redis.call('hrandfield', KEYS[1], 1000)" 1 big

# --- COPY, RENAME keep the content and the encoding
check_same copy c512 c512copy
check_same object encoding c512copy
same_sorted hgetall c512copy
check_same copy h2 nowhere
both hset small a 1 b 2
check_same rename small small2
check_same hgetall small2
check_same object encoding small2
check_same copy small2 small3
check_same hgetall small3

# --- errors
both set str x
check_same hset str f v
check_same hget str f
check_same hgetall str
check_same hset h
check_same hset h f
check_same hincrby inc f 1
check_same hincrbyfloat nokey2 f abc

# --- MEMORY USAGE grows with the content; a small hash is one block after its record
small=$(rc memory usage small2 | tr -dc 0-9)
big=$(rc memory usage big | tr -dc 0-9)
[ "$small" -gt 0 ] && [ "$small" -lt 200 ] && [ "$big" -gt 3000 ] ||
    { echo "FAIL: MEMORY USAGE small=$small big=$big" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
finish
