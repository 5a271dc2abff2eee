#!/usr/bin/env bash
# tests/server/debug.sh: DEBUG as Redis 7.0's test suite uses it. Refused unless
# enable-debug-command allows it (Redis's error, side by side with redis-server 7.0.15 started
# without it); then OBJECT's line, DIGEST-VALUE / DIGEST (equal content gives equal digests:
# after COPY, RENAME, members added in another order, DEBUG RELOAD; different content differs),
# RELOAD keeping every type and TTL (and its options), QUICKLIST-PACKED-THRESHOLD with list
# edits that split and join chunks, SLEEP, and the errors.
. "$(dirname "$0")/lib.sh"

DIR=$(mktemp -d /tmp/flatline-debug.XXXXXX)
HELPER_DIRS="$DIR" # removed on exit
start_redis
start_server --dir "$DIR"
check_same debug object x
stop_server
start_server --dir "$DIR" --enable-debug-command local --threads 2

# --- OBJECT: Redis's fields; an in-place INCR keeps the address (Redis's incr.tcl checks it).
check "(error) ERR no such key" debug object nokey
check "OK" set foo 20000
check "(integer) 20001" incr foo
check_match '^Value at:0x[0-9a-f]+ refcount:1 encoding:int serializedlength:[0-9]+ lru:[0-9]+ lru_seconds_idle:[0-9]+$' \
    debug object foo
a1=$(rc debug object foo | cut -d' ' -f2)
rc incr foo >/dev/null
a2=$(rc debug object foo | cut -d' ' -f2)
CHECKS=$((CHECKS + 1))
[ "$a1" = "$a2" ] || { echo "FAIL: INCR moved the value ($a1, $a2)" >&2; FAILS=$((FAILS + 1)); }
rc rpush l a b c >/dev/null
check_match 'encoding:quicklist .* ql_nodes:1 ql_avg_node:3.00 ql_listpack_max:-2 ql_compressed:0 ql_uncompressed_size:[0-9]+$' \
    debug object l
rc hset big f "$(printf 'x%.0s' $(seq 100))" >/dev/null
check_match 'encoding:hashtable' debug object big

# --- DIGEST-VALUE and DIGEST.
check $'1) 0000000000000000000000000000000000000000' debug digest-value nokey
rc sadd s1 a b c 1 >/dev/null
rc sadd s2 1 c b a >/dev/null
rc zadd z1 1 a 2 b >/dev/null
rc zadd z2 2 b 1 a >/dev/null
rc hset h1 a 1 b 2 >/dev/null
rc hset h2 b 2 a 1 >/dev/null
rc copy l l2 >/dev/null
rc rpush l3 c b a >/dev/null
digest() { rc debug digest-value "$1"; }
same() {
    CHECKS=$((CHECKS + 1))
    [ "$(digest "$1")" = "$(digest "$2")" ] ||
        { echo "FAIL: digests of $1 and $2 differ" >&2; FAILS=$((FAILS + 1)); }
}
differ() {
    CHECKS=$((CHECKS + 1))
    [ "$(digest "$1")" != "$(digest "$2")" ] ||
        { echo "FAIL: digests of $1 and $2 are equal" >&2; FAILS=$((FAILS + 1)); }
}
same s1 s2
same z1 z2
same h1 h2
same l l2
differ l l3
differ s1 z1
rc zadd z2 3 a >/dev/null
differ z1 z2
rc rename l2 l4 >/dev/null
same l l4
rc expire h1 1000 >/dev/null
differ h1 h2
check_match '^[0-9a-f]{40}$' debug digest
before=$(rc debug digest)

# --- RELOAD: the same dataset (digest), TTLs kept; NOSAVE loads the file as it is.
check "OK" debug reload
check "$before" debug digest
check_between 990 1000 ttl h1
check "OK" set after-save 1
check "OK" debug reload nosave
check "(integer) 0" exists after-save
check "$before" debug digest
check "(error) ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options." debug reload x

# --- QUICKLIST-PACKED-THRESHOLD: every element its own chunk; edits keep the order.
check "OK" debug quicklist-packed-threshold 1b
check "(integer) 4" rpush p a b c d
check "(integer) 5" linsert p after b x
check "(integer) 6" linsert p before a y
check "OK" lset p 2 z
check $'1) "y"\n2) "a"\n3) "z"\n4) "x"\n5) "c"\n6) "d"' lrange p 0 -1
check_match 'ql_nodes:6 ' debug object p
check "OK" debug quicklist-packed-threshold 0
check "(integer) 7" rpush p e
check_match 'ql_nodes:6 ' debug object p
check "(error) ERR argument must be a memory value bigger than 1 and smaller than 4gb" \
    debug quicklist-packed-threshold 5gb
check "(error) ERR argument must be a memory value bigger than 1 and smaller than 4gb" \
    debug quicklist-packed-threshold abc

# --- PROTOCOL: Redis's sample replies (RESP2 forms here; the bytes match redis-server's in
# both protocols).
check '"1234567999999999999999999999999999999"' debug protocol bignum
check '"3.141"' debug protocol double
check $'1) (integer) 0\n2) (integer) 0\n3) (integer) 1\n4) (integer) 1\n5) (integer) 2\n6) (integer) 0' debug protocol map
check '"Some real reply following the attribute"' debug protocol attrib
check "(error) ERR RESP2 is not supported by this command" debug protocol push
check '"This is a verbatim\nstring"' debug protocol verbatim
check_match "^\(error\) ERR Wrong protocol type name" debug protocol nosuch

# --- SLEEP, SET-ACTIVE-EXPIRE, unknown subcommands.
check "OK" debug sleep 0.05
check "OK" debug sleep 0
check "OK" debug set-active-expire 0
check "OK" debug set-active-expire 1
check "(error) ERR unknown subcommand 'nosuch'. Try DEBUG HELP." debug nosuch

# A key past its TTL that expiry did not delete yet still shows in DEBUG OBJECT (Redis's
# looks the key up without expiring it); OBJECT and reads see it gone.
check "OK" debug set-active-expire 0
check "OK" set short v px 1
sleep 0.05
check_match '^Value at:' debug object short
check "(nil)" object encoding short
check "(integer) 0" exists short
check "OK" debug set-active-expire 1

# Scripts may call DEBUG only after SET-DISABLE-DENY-SCRIPTS 1 (Redis's noscript flag).
check_match "This Redis command is not allowed from script" eval "return redis.call('debug','sleep',0)" 0
check "OK" debug set-disable-deny-scripts 1
check "OK" eval "return redis.call('debug','sleep',0)" 0
check "OK" debug set-disable-deny-scripts 0
check_match "This Redis command is not allowed from script" eval "return redis.call('debug','sleep',0)" 0
finish
