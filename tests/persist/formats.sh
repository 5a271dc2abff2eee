#!/usr/bin/env bash
# tests/persist/formats.sh: flatline's files in Redis 7.0's formats, both ways.
#  - flatline -> tools: redis-check-aof accepts the log directory (manifest, RDB base, RESP
#    incremental file) after writes, a rewrite and more writes; redis-check-rdb accepts SAVE's
#    dump.rdb and the base.
#  - flatline -> flatline: a restart returns every value, hash field and TTL (log and dump).
#  - flatline -> redis: redis-server 7.0 loads flatline's dump.rdb and its log directory and
#    returns the same values, fields and TTLs, namespaces as db indexes.
#  - redis -> flatline: flatline loads a dump.rdb redis-server wrote with strings (raw,
#    integer-encoded, LZF), hashes (listpack and hashtable), expiries and two dbs; a key of a
#    type flatline lacks stops the start naming key and type, unless load-skip-unknown-types.
#  - a namespace with `storage memory` is neither logged nor snapshotted (a cache).
. "$(dirname "$0")/lib.sh"
need_tools redis-server redis-check-aof redis-check-rdb python3

FL="--dir $DATA --appendonly yes --appendfsync always --threads 2"
start_server $FL
long=$(printf 'abcdefgh%.0s' $(seq 40)) # 320 bytes: LZF-compressed in the RDB
check "OK" set s1 hello
check "OK" set n1 12345
check "OK" set neg -77
check "OK" set big "$long"
check "OK" set t1 v px 500000
check "(integer) 3" hset h1 a 1 b two c 3
check "OK" select 1 # one redis-cli per call: select is per connection, so use -n below
check "OK" -n 1 set c1 in-cache
check "(integer) 1" -n 1 hset ch f v
check "(integer) 1" expire h1 400
check "(integer) 1" del neg
check "Background append only file rewriting started" bgrewriteaof
wait_rewrite 5
check "OK" set after rewrite
check "(integer) 1" hset h2 x y
check "OK" save
check_match "^\(integer\) [0-9]+$" lastsave

out=$(redis-check-aof "$DATA/appendonlydir/appendonly.aof.manifest" 2>&1)
CHECKS=$((CHECKS + 1))
printf '%s' "$out" | grep -q "All AOF files and manifest are valid" ||
    { echo "FAIL: redis-check-aof: $out" >&2; FAILS=$((FAILS + 1)); }
for f in "$DATA/dump.rdb" "$DATA"/appendonlydir/*.base.rdb; do
    out=$(redis-check-rdb "$f" 2>&1)
    CHECKS=$((CHECKS + 1))
    printf '%s' "$out" | grep -q "RDB looks OK" ||
        { echo "FAIL: redis-check-rdb $f: $out" >&2; FAILS=$((FAILS + 1)); }
done

# What every reader must see afterwards (values, fields, TTLs within a window).
verify() { # verify NAME CLI...
    local name=$1
    shift
    same "$name get s1" "$("$@" get s1)" '"hello"'
    same "$name get n1" "$("$@" get n1)" '"12345"'
    same "$name get big" "$("$@" get big)" "\"$long\""
    same "$name exists neg" "$("$@" exists neg)" "(integer) 0"
    same "$name hgetall h1" "$("$@" hmget h1 a b c)" $'1) "1"\n2) "two"\n3) "3"'
    same "$name get after" "$("$@" get after)" '"rewrite"'
    same "$name hget h2" "$("$@" hget h2 x)" '"y"'
    same "$name db1 c1" "$("$@" -n 1 get c1)" '"in-cache"'
    same "$name db1 ch" "$("$@" -n 1 hget ch f)" '"v"'
    local t
    t=$("$@" ttl t1)
    t=${t#"(integer) "}
    CHECKS=$((CHECKS + 1))
    [ "$t" -gt 400 ] && [ "$t" -le 500 ] || { echo "FAIL: $name ttl t1 = $t" >&2; FAILS=$((FAILS + 1)); }
    t=$("$@" ttl h1)
    t=${t#"(integer) "}
    CHECKS=$((CHECKS + 1))
    [ "$t" -gt 300 ] && [ "$t" -le 400 ] || { echo "FAIL: $name ttl h1 = $t" >&2; FAILS=$((FAILS + 1)); }
}

# ---- restart from the log ----
stop_server || fail "server did not stop cleanly"
start_server $FL
verify "flatline restart (log)" rc
stop_server || fail "server did not stop cleanly"

# ---- restart from dump.rdb alone ----
mkdir "$DATA/rdbonly" && cp "$DATA/dump.rdb" "$DATA/rdbonly/"
start_server --dir "$DATA/rdbonly" --threads 2
verify "flatline restart (dump.rdb)" rc
stop_server || fail "server did not stop cleanly"

# ---- redis-server loads flatline's dump and log directory ----
mkdir "$DATA/r1" && cp "$DATA/dump.rdb" "$DATA/r1/"
start_redis "$DATA/r1"
verify "redis loading flatline's dump.rdb" rr
stop_redis
mkdir "$DATA/r2" && cp -r "$DATA/appendonlydir" "$DATA/r2/"
start_redis "$DATA/r2" --appendonly yes
verify "redis loading flatline's log directory" rr
stop_redis

# ---- flatline loads a dump.rdb written by redis-server ----
mkdir "$DATA/r3"
start_redis "$DATA/r3" --hash-max-listpack-entries 16
rr set raw "plain text" >/dev/null
rr set int 4242 >/dev/null
rr set lzf "$long" >/dev/null
rr hset small a 1 b 2 >/dev/null
for i in $(seq 40); do printf 'HSET large f%d v%d\n' "$i" "$i"; done | redis-cli -p "$RPORT" >/dev/null
rr set ttl x px 600000 >/dev/null
rr -n 1 set other db1 >/dev/null
same "redis encoding of small" "$(rr object encoding small)" '"listpack"'
same "redis encoding of large" "$(rr object encoding large)" '"hashtable"'
same "redis encoding of int" "$(rr object encoding int)" '"int"'
rr save >/dev/null
stop_redis
start_server --dir "$DATA/r3" --threads 2 --appendonly no # loads dump.rdb: no log directory
check '"plain text"' get raw
check '"4242"' get int
check "\"$long\"" get lzf
check $'1) "1"\n2) "2"' hmget small a b
check "(integer) 40" hlen large
check '"v40"' hget large f40
check_between 500 600 ttl ttl
check '"db1"' -n 1 get other
stop_server || fail "server did not stop cleanly"

# ---- a type flatline lacks: refused with key and type, or skipped and counted ----
start_redis "$DATA/r3"
rr xadd astream '*' f v >/dev/null # a stream: not stored, and not skippable
rr save >/dev/null
stop_redis
out=$(timeout 60 "$SERVER" --port "$("$TOOL" port)" --dir "$DATA/r3" --threads 2 --appendonly no \
    --load-skip-unknown-types yes 2>&1)
st=$?
CHECKS=$((CHECKS + 1))
if [ "$st" = 0 ] || ! printf '%s' "$out" | grep -q "key 'astream' in db 0 is a stream, a type flatline does not store"; then
    echo "FAIL: a stream in dump.rdb: status $st, output: $out" >&2
    FAILS=$((FAILS + 1))
fi
mkdir "$DATA/r4"
python3 "$(dirname "$0")/rdb_old.py" "$DATA/r4/dump.rdb" zipmap # a zipmap hash: skippable
out=$(timeout 60 "$SERVER" --port "$("$TOOL" port)" --dir "$DATA/r4" --threads 2 --appendonly no 2>&1)
st=$?
CHECKS=$((CHECKS + 1))
if [ "$st" = 0 ] || ! printf '%s' "$out" | grep -q "key 'oldzipmap' in db 0 is a hash (zipmap)"; then
    echo "FAIL: a zipmap hash in dump.rdb: status $st, output: $out" >&2
    FAILS=$((FAILS + 1))
fi
start_server --dir "$DATA/r4" --threads 2 --appendonly no --load-skip-unknown-types yes
expect_log "1 keys of types flatline does not store were skipped" "skipped keys are counted"
check '"value"' get plain
check "(integer) 0" exists oldzipmap
stop_server || fail "server did not stop cleanly"

# ---- storage memory: a namespace that never reaches the disk ----
mkdir "$DATA/mem"
MEM="--dir $DATA/mem --appendonly yes --threads 2 --namespace.volatile.storage memory"
start_server $MEM
check $'1) "namespace.volatile.storage"\n2) "memory"' config get namespace.volatile.storage
check "OK" -n 2 set gone soon
check "OK" set kept yes
check "OK" save
stop_server || fail "server did not stop cleanly"
CHECKS=$((CHECKS + 1))
if redis-check-rdb "$DATA/mem/dump.rdb" | grep -q "Selecting DB ID 2" ||
    grep -q gone "$DATA"/mem/appendonlydir/*.incr.aof; then
    echo "FAIL: a storage-memory namespace reached the disk" >&2
    FAILS=$((FAILS + 1))
fi
start_server $MEM
check '"yes"' get kept
check "(integer) 0" -n 2 exists gone
finish
