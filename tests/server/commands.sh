#!/usr/bin/env bash
# tests/server/commands.sh: every command flatline-server implements, driven with redis-cli,
# with the exact replies (and errors) Redis 7 gives. With COMPARE_PORT set, runs the same
# checks against a server already listening there (used to check the expectations against
# a real redis-server).
. "$(dirname "$0")/lib.sh"

if [ -n "${COMPARE_PORT:-}" ]; then
    PORT=$COMPARE_PORT
    rc flushall >/dev/null
else
    start_server --threads 2 --namespace.users.memory-limit 64mb --namespace.tiny.memory-limit 1mb \
        --proto-max-bulk-len 4mb
fi

# --- server and connection
check "PONG" ping
check '"hi there"' ping "hi there"
check "(error) ERR wrong number of arguments for 'ping' command" ping a b
check '"x"' echo x
check "(error) ERR wrong number of arguments for 'echo' command" echo
check $'1) "master"\n2) (integer) 0\n3) (empty array)' role
check "(error) ERR wrong number of arguments for 'role' command" role x
check "(error) ERR unknown command 'nosuchcmd', with args beginning with: 'a' 'b' " nosuchcmd a b
check "(error) ERR unknown command 'nosuchcmd', with args beginning with: " nosuchcmd
check "OK" select 0
check "(error) ERR DB index is out of range" select 99
check "(error) ERR DB index is out of range" select -1
check_match '^\(integer\) [0-9]+$' command count
check_match '^\(integer\) [0-9]+$' client id
check "(nil)" client getname
check "OK" client setname myname
check "(error) ERR Client names cannot contain spaces, newlines or special characters." client setname "a b"
check "(error) ERR unknown subcommand 'nosuch'. Try CLIENT HELP." client nosuch
check "(error) ERR unknown subcommand 'nosuch'. Try MEMORY HELP." memory nosuch
check $'1) "save"\n2) ""' config get save
check $'1) "appendonly"\n2) "yes"' config get appendonly # flatline's default: durable
check $'1) "appendfsync"\n2) "always"' config get appendfsync
check "(error) ERR wrong number of arguments for 'config|get' command" config get
check_match '^1\) "[0-9]+"' time

# --- strings
check "OK" set k1 v1
check '"v1"' get k1
check "(nil)" get nosuchkey
check "(error) ERR wrong number of arguments for 'get' command" get
check "(error) ERR wrong number of arguments for 'set' command" set k1
check "(error) ERR syntax error" set k1 v nx xx
check "(error) ERR syntax error" set k1 v ex 10 px 100
check "(error) ERR syntax error" set k1 v ex
check "(error) ERR syntax error" set k1 v bogus
check "(error) ERR value is not an integer or out of range" set k1 v ex abc
check "(error) ERR invalid expire time in 'set' command" set k1 v ex 0
check "(error) ERR invalid expire time in 'set' command" set k1 v px -5
check "(error) ERR invalid expire time in 'set' command" set k1 v ex 9223372036854775807
check "(nil)" set k1 v2 nx
check '"v1"' get k1
check "OK" set k1 v2 xx
check "(nil)" set nokey v xx
check '"v2"' set k1 v3 get
check "(nil)" set newkey v get
check "OK" set k1 v4 ex 100
check_match '^\(integer\) (99|100)$' ttl k1
check "OK" set k1 v5 keepttl
check_match '^\(integer\) (99|100)$' ttl k1
check "OK" set k1 v6
check "(integer) -1" ttl k1
check "OK" set k1 v px 100000
check_match '^\(integer\) (9[0-9]{4}|100000)$' pttl k1
check "OK" set k1 v exat 9999999999
check_match '^\(integer\) [0-9]+$' ttl k1
check "OK" set k1 v pxat 9999999999000
check_match '^\(integer\) [0-9]+$' pttl k1
check "OK" setex sx 50 val
check_match '^\(integer\) (49|50)$' ttl sx
check "(error) ERR invalid expire time in 'setex' command" setex sx 0 val
check "(error) ERR value is not an integer or out of range" setex sx x val
check "OK" psetex px 50000 val
check "(error) ERR invalid expire time in 'psetex' command" psetex px -1 val
check "(integer) 1" setnx nx1 a
check "(integer) 0" setnx nx1 b
check '"a"' get nx1
check "OK" mset m1 a m2 b m3 c
check "(error) ERR wrong number of arguments for 'mset' command" mset m1 a m2
check $'1) "a"\n2) (nil)\n3) "c"' mget m1 nosuch m3
check '"a"' getdel m1
check "(nil)" getdel m1
check '"b"' getset m2 bb
check '"bb"' get m2
check "(nil)" getset gsnew x
check "(integer) 5" append ap hello
check "(integer) 11" append ap " world"
check '"hello world"' get ap
check "(integer) 11" strlen ap
check "(integer) 0" strlen nosuch
check "(integer) 1" incr cnt
check "(integer) 11" incrby cnt 10
check "(integer) 10" decr cnt
check "(integer) 0" decrby cnt 10
check "(error) ERR value is not an integer or out of range" incr ap
check "(error) ERR value is not an integer or out of range" incrby cnt abc
check "OK" set big 9223372036854775807
check "(error) ERR increment or decrement would overflow" incr big
check "(error) ERR decrement would overflow" decrby cnt -9223372036854775808

# --- hashes
check "(integer) 2" hset h f1 v1 f2 v2
check "(integer) 1" hset h f1 x f3 v3
check "(error) ERR wrong number of arguments for 'hset' command" hset h f1
check "(error) ERR wrong number of arguments for 'hset' command" hset h f1 v1 f2
check "OK" hmset h f4 v4
check '"x"' hget h f1
check "(nil)" hget h nosuch
check "(nil)" hget nosuchhash f
check $'1) "x"\n2) (nil)\n3) "v2"' hmget h f1 no f2
check "(integer) 4" hlen h
check "(integer) 0" hlen nosuch
check "(integer) 1" hexists h f1
check "(integer) 0" hexists h zz
check "(integer) 2" hdel h f3 f4 nosuch
got=$(redis-cli -p "$PORT" hgetall h | paste -d= - - | sort | tr '\n' ' ')
CHECKS=$((CHECKS + 1))
[ "$got" = "f1=x f2=v2 " ] || { echo "FAIL: hgetall h gave '$got'" >&2; FAILS=$((FAILS + 1)); }
check "(empty array)" hgetall nosuch
check "(integer) 5" hincrby h n 5
check "(integer) 3" hincrby h n -2
check "(error) ERR hash value is not an integer" hincrby h f1 1
check "(error) ERR value is not an integer or out of range" hincrby h n x
check "(error) WRONGTYPE Operation against a key holding the wrong kind of value" get h
check "(error) WRONGTYPE Operation against a key holding the wrong kind of value" hget k1 f
check "(error) WRONGTYPE Operation against a key holding the wrong kind of value" incr h
check "(error) WRONGTYPE Operation against a key holding the wrong kind of value" append h x
check $'1) (nil)\n2) (nil)' mget h2_missing h
check "(integer) 2" hdel h f1 f2
check "(integer) 1" hdel h n
check "(integer) 0" exists h

# --- keys
check "string" type k1
rc hset hx a b >/dev/null
check "hash" type hx
check "none" type nosuch
check "(integer) 3" exists k1 k1 hx
check "(integer) 0" exists nosuch
check "(integer) 2" del k1 hx nosuch
check "(integer) 0" exists k1
rc set e1 v >/dev/null
check "(integer) 1" expire e1 100
check_match '^\(integer\) (99|100)$' ttl e1
check "(integer) 0" expire nosuch 100
check "(integer) 1" pexpire e1 50000
check_match '^\(integer\) (4[0-9]{4}|50000)$' pttl e1
check "(integer) 1" expireat e1 9999999999
check "(integer) 1" pexpireat e1 9999999999000
check "(integer) 1" persist e1
check "(integer) 0" persist e1
check "(integer) -1" ttl e1
check "(integer) -2" ttl nosuch
check "(integer) -2" pttl nosuch
check "(error) ERR value is not an integer or out of range" expire e1 abc
check "(error) ERR invalid expire time in 'expire' command" expire e1 9223372036854775807
check "(integer) 0" expire e1 100 xx
check "(integer) 1" expire e1 100 nx
check "(integer) 0" expire e1 200 nx
check "(integer) 1" expire e1 200 gt
check "(integer) 0" expire e1 100 gt
check "(integer) 1" expire e1 50 lt
check "(error) ERR NX and XX, GT or LT options at the same time are not compatible" expire e1 5 nx xx
check "(error) ERR GT and LT options at the same time are not compatible" expire e1 5 gt lt
check "(error) ERR Unsupported option foo" expire e1 5 foo
rc set e2 v >/dev/null
check "(integer) 0" expire e2 100 gt
check "(integer) -1" ttl e2
check "(integer) 1" pexpire e2 100000 lt
check "(integer) 0" pexpire e2 200000 lt
check "(integer) 1" pexpireat e2 9999999999000 xx gt
check "(integer) 1" del e2
check "(integer) 1" expire e1 -1
check "(integer) 0" exists e1
rc set u1 v >/dev/null
check "(integer) 1" unlink u1 nosuch
check "OK" flushdb
check "(integer) 0" dbsize
rc mset s1 a s2 b s3 c other d >/dev/null
rc hset sh f v >/dev/null
check "(integer) 5" dbsize
got=$(redis-cli -p "$PORT" keys 's*' | sort | tr '\n' ' ')
[ "$got" = "s1 s2 s3 sh " ] || { echo "FAIL: keys s* gave '$got'" >&2; FAILS=$((FAILS + 1)); }
got=$(redis-cli -p "$PORT" --scan | sort | tr '\n' ' ')
[ "$got" = "other s1 s2 s3 sh " ] || { echo "FAIL: --scan gave '$got'" >&2; FAILS=$((FAILS + 1)); }
got=$(redis-cli -p "$PORT" --scan --pattern 's[12]' | sort | tr '\n' ' ')
[ "$got" = "s1 s2 " ] || { echo "FAIL: --scan --pattern gave '$got'" >&2; FAILS=$((FAILS + 1)); }
got=$(redis-cli -p "$PORT" scan 0 count 1000 type hash | tail -n +2 | tr '\n' ' ')
[ "$got" = "sh " ] || { echo "FAIL: scan type hash gave '$got'" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 4))
check "(error) ERR invalid cursor" scan abc
check "(error) ERR syntax error" scan 0 count 0
check "(error) ERR syntax error" scan 0 bogus 1
check "(error) ERR value is not an integer or out of range" scan 0 count x
# cursor parsing as Redis 7 (strtoul): no spaces around it, a sign is accepted
check "(error) ERR invalid cursor" scan " 0"
check "(error) ERR invalid cursor" scan "0 "
check "(error) ERR invalid cursor" scan 18446744073709551616
check_match '^1\) "0"' scan -1
# SET: an option may repeat (the last value wins); two of one group may not
rc set sg v1 >/dev/null
check '"v1"' set sg v2 get get
check "(nil)" set sg v3 nx nx
check "OK" set sg v4 ex 10 ex 200
check_match '^\(integer\) (199|200)$' ttl sg
check "(error) ERR syntax error" set sg v ex 10 keepttl
# MEMORY USAGE SAMPLES: an integer >= 0, repeatable
check "(error) ERR syntax error" memory usage sg samples -1
check "(error) ERR syntax error" memory usage sg samples
check "(error) ERR syntax error" memory usage sg foo 1
check "(error) ERR value is not an integer or out of range" memory usage sg samples x
check_match '^\(integer\) [0-9]+$' memory usage sg samples 0
check_match '^\(integer\) [0-9]+$' memory usage sg samples 5 samples 6
check "(integer) 1" del sg
# INFO fields clients read
check_match '^maxmemory:[0-9]+' info memory
check_match '^maxmemory_policy:[a-z-]+' info memory
check_match '^loading:0' info persistence
check_match '^role:master' info replication
check_match '^connected_slaves:0' info replication

# --- namespaces: SELECT by index and by name, FLUSHALL
if [ -z "${COMPARE_PORT:-}" ]; then
    check "OK" -n 1 set nskey inone
    check "(nil)" get nskey
    check '"inone"' -n 1 get nskey
    got=$(printf 'SELECT users\nSET u 1\nGET u\nSELECT default\nGET u\n' | redis-cli -p "$PORT" | tr '\n' ' ')
    [ "$got" = "OK OK 1 OK  " ] || { echo "FAIL: select by name gave '$got'" >&2; FAILS=$((FAILS + 1)); }
    CHECKS=$((CHECKS + 1))
    check "(error) ERR no such namespace 'nosuchns'" select nosuchns
    # MSET is all or nothing: a pair over the quota (namespace tiny, 1mb) refuses every pair.
    got=$(head -c 2000000 /dev/zero | tr '\0' x | redis-cli -p "$PORT" -n 3 -x mset ma 1 mb 2>&1)
    CHECKS=$((CHECKS + 1))
    case "$got" in OOM*tiny*) ;; *) echo "FAIL: MSET over the quota gave '$got'" >&2; FAILS=$((FAILS + 1)) ;; esac
    check "(integer) 0" -n 3 exists ma
    check "OK" -n 3 mset ma 1 mb 2
    # a full SCAN of two keys among 4096 partitions is one call
    got=$(redis-cli -p "$PORT" -n 3 scan 0 count 10 | sort | tr '\n' ' ')
    CHECKS=$((CHECKS + 1))
    [ "$got" = "0 ma mb " ] || { echo "FAIL: SCAN 0 COUNT 10 over 2 keys gave '$got'" >&2; FAILS=$((FAILS + 1)); }
    check "(integer) 2" -n 3 del ma mb
    # maxmemory: the namespaces' limits summed, 0 when one is unlimited (default, by default)
    check $'1) "maxmemory"\n2) "0"' config get maxmemory
    check_match '^maxmemory:0' info memory
    check_match '^maxmemory_policy:noeviction' info memory
    # overlapping patterns name each option once, as Redis
    check $'1) "maxmemory"\n2) "0"\n3) "maxmemory-clients"\n4) "1073741824"\n5) "maxmemory-policy"\n6) "noeviction"' config get maxmemory maxmem* max*ory
    # APPEND stops at proto-max-bulk-len (4mb here), as Redis does
    head -c 3000000 /dev/zero | tr '\0' x | redis-cli -p "$PORT" -x set big >/dev/null
    got=$(head -c 2000000 /dev/zero | tr '\0' y | redis-cli -p "$PORT" -x append big 2>&1)
    CHECKS=$((CHECKS + 1))
    [ "$got" = "ERR string exceeds maximum allowed size (proto-max-bulk-len)" ] ||
        { echo "FAIL: APPEND past proto-max-bulk-len gave '$got'" >&2; FAILS=$((FAILS + 1)); }
    check "(integer) 3000000" strlen big
    check "(integer) 3000002" append big zz
    check "(integer) 1" del big
    check $'1) "namespace.users.memory-limit"\n2) "67108864"' config get namespace.users.memory-limit
    check $'1) "port"\n2) "'"$PORT"'"' config get port
    check_match 'ns_users:index=2,keys=1' info namespaces
    check_match '^db0:keys=5' info keyspace
    check_match 'used_memory:[0-9]+' info memory
    check_match 'mem_allocator:jemalloc-5.3.0' info
    check_match '^# Stats' info stats
    check_match 'connected_clients:[0-9]+' info clients
    check_match '^# Server' info server
    # Redis field names dashboards read (the breakdown's fields and order: vocabulary.sh).
    mem=$(redis-cli -p "$PORT" info memory | tr -d '\r')
    for f in used_memory used_memory_human used_memory_rss used_memory_rss_human used_memory_peak \
        mem_fragmentation_ratio allocator_allocated allocator_active allocator_resident \
        allocator_frag_ratio allocator_frag_bytes allocator_rss_ratio rss_overhead_ratio; do
        CHECKS=$((CHECKS + 1))
        printf '%s\n' "$mem" | grep -q "^$f:" || { echo "FAIL: INFO memory lacks $f" >&2; FAILS=$((FAILS + 1)); }
    done
    CHECKS=$((CHECKS + 1))
    printf '%s\n' "$mem" | grep -q '^mem_allocator:jemalloc-5.3.0$' || { echo "FAIL: mem_allocator" >&2; FAILS=$((FAILS + 1)); }
    # MEMORY STATS agrees with DBSIZE over all namespaces.
    total=$(($(redis-cli -p "$PORT" -n 0 dbsize) + $(redis-cli -p "$PORT" -n 1 dbsize) + $(redis-cli -p "$PORT" -n 2 dbsize)))
    CHECKS=$((CHECKS + 1))
    [ "$(redis-cli -p "$PORT" memory stats | grep -A1 '^keys.count$' | tail -1)" = "$total" ] ||
        { echo "FAIL: MEMORY STATS keys.count is not $total" >&2; FAILS=$((FAILS + 1)); }
    check_match '^\(integer\) [0-9]+$' memory usage s1
    check "(nil)" memory usage nosuch
    check_match '"moved"' memory defrag
    check_match '"resident-after"' memory defrag users
    check "(error) ERR no such namespace 'zz'" memory defrag zz
    check_match '^1\) "namespace.default.defrag-pct"' config get namespace.default.defrag-pct
    check "OK" memory purge
    check_match '"process"' memory stats
    check_match '"namespace.default"' memory stats
    check_match 'allocator-fragmentation.ratio' memory stats
    check_match '.+' memory doctor
    check_match '^\(empty array\)$' command docs
    check "OK" flushall
    check "(integer) 0" dbsize
    check "(integer) 0" -n 1 dbsize
    check_match '"server"' hello 2
    check_match '"proto" => \(integer\) 3' hello 3
    check "(error) NOPROTO unsupported protocol version" hello 4
fi

# CLUSTER without cluster mode: Redis's answers (arity first, then "disabled").
check "ERR This instance has cluster support disabled" cluster info # redis-cli prints CLUSTER INFO raw
check "(error) ERR This instance has cluster support disabled" cluster keyslot foo
check "(error) ERR wrong number of arguments for 'cluster|keyslot' command" cluster keyslot
check "(error) ERR unknown subcommand 'bogus'. Try CLUSTER HELP." cluster bogus
check "(error) ERR This Redis command is not allowed from script script: c7681ef2f81993ee423ec4c83d92a422d581e560, on @user_script:1." \
    eval "return redis.call('cluster','reset')" 0
check "(error) ERR This instance has cluster support disabled script: 080f2e8de25b3caf214921ec6c8c5af604cc9e4a, on @user_script:1." \
    eval "return redis.call('cluster','info')" 0

finish
