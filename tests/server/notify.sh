#!/usr/bin/env bash
# tests/server/notify.sh: keyspace notifications side by side with redis-server 7.0.15. For each
# section both servers get the same notify-keyspace-events, a subscriber on
# PSUBSCRIBE '__key*__:*', then the same commands on one connection; the two streams of
# messages (every channel and payload, in order) must be identical. Sections: every data type's
# writes, keys commands, MULTI/EXEC, a script, lazy and active expiry, masks (K only, E only, a
# class only, the "new" class); then CONFIG SET/GET round trips and errors compared with Redis,
# eviction above a namespace's memory limit (the evicted keys differ by policy sampling, so the
# events are checked against the keys gone and INFO's count), and expiry with subscribers on
# several workers.
. "$(dirname "$0")/lib.sh"

start_server --threads 3 --appendonly no --enable-debug-command yes \
    --namespace.small.memory-limit 256kb --namespace.small.high-water-pct 50 \
    --namespace.small.partitions 16 --namespace.small.maxmemory-policy allkeys-lru
start_redis --enable-debug-command yes
OUT=$(mktemp -d /tmp/flatline-notify.XXXXXX)
HELPER_DIRS="$HELPER_DIRS $OUT"

# subscribe PORT FILE: a subscriber on every keyspace channel writing CSV lines to FILE; its pid
# in SUB. Returns once the subscription is confirmed.
subscribe() {
    redis-cli -p "$1" --csv psubscribe '__key*__:*' >"$2" 2>&1 &
    SUB=$!
    for _ in $(seq 200); do
        grep -qs '^"psubscribe"' "$2" && return 0
        sleep 0.05
    done
    fail "subscriber on port $1 did not start"
}

# drain PORT FILE: publishes an end mark (it follows every message published before it: one
# registry lock orders publishes) and waits until the subscriber wrote it.
drain() {
    redis-cli -p "$1" publish __keyevent@0__:zz-end done >/dev/null
    for _ in $(seq 200); do
        grep -qs 'zz-end' "$2" && break
        sleep 0.05
    done
    kill "$SUB" 2>/dev/null
    wait "$SUB" 2>/dev/null
}

# compare NAME FLAGS [WAIT [sorted]]: runs the commands on stdin against both servers with
# notify-keyspace-events FLAGS (after FLUSHALL), waits WAIT seconds (active expiry), and compares
# the messages (as sets with "sorted": the order in which active expiry finds keys is its own).
compare() {
    local name=$1 flags=$2 wait=${3:-0} order=${4:-} cmds port side
    cmds=$(cat)
    for side in flatline redis; do
        port=$PORT
        [ "$side" = redis ] && port=$RPORT
        redis-cli -p "$port" config set notify-keyspace-events "" >/dev/null
        redis-cli -p "$port" flushall >/dev/null
        redis-cli -p "$port" config set notify-keyspace-events "$flags" >/dev/null
        subscribe "$port" "$OUT/$name.$side"
        if [ -n "${BLOCKER:-}" ]; then # a client blocked first (its pop is served later)
            redis-cli -p "$port" $BLOCKER >/dev/null 2>&1 &
            BPID=$!
            for _ in $(seq 200); do
                redis-cli -p "$port" info clients | grep -q '^blocked_clients:1' && break
                sleep 0.05
            done
        fi
        printf '%s\n' "$cmds" | redis-cli -p "$port" >"$OUT/$name.$side.replies" 2>&1
        [ -n "${BLOCKER:-}" ] && wait "$BPID"
        sleep "$wait"
        drain "$port" "$OUT/$name.$side"
        [ "$order" = sorted ] && sort -o "$OUT/$name.$side" "$OUT/$name.$side"
    done
    CHECKS=$((CHECKS + 1))
    if ! diff -u "$OUT/$name.redis" "$OUT/$name.flatline" >"$OUT/$name.diff"; then
        echo "FAIL: section $name: messages differ from redis-server (- redis, + flatline)" >&2
        cat "$OUT/$name.diff" >&2
        FAILS=$((FAILS + 1))
    elif [ "$(grep -c pmessage "$OUT/$name.redis")" -lt 2 ]; then
        echo "FAIL: section $name: redis-server sent no messages (a broken section?)" >&2
        FAILS=$((FAILS + 1))
    fi
}

compare strings KEA <<'EOF'
set s1 v
set s1 v2 xx
set s1 v3 nx
set s2 v ex 100
set s2 v keepttl get
setex s3 100 v
psetex s4 100000 v
setnx s5 v
setnx s5 v
mset m1 a m2 b m1 c
msetnx m3 a m4 b
msetnx m3 a m5 b
getset s1 v4
getdel s1
getdel s1
getex s2 ex 200
getex s2 persist
getex s2 persist
getex s2
getex nosuch ex 10
getex s3 pxat 1
append s6 abc
append s6 def
setrange s6 1 xy
setrange s6 1 ""
setrange s7 0 ""
setrange s7 2 z
incr n1
incrby n1 5
decr n1
decrby n1 2
incrbyfloat n2 1.5
incr s6
setbit b1 7 1
setbit b1 7 1
setbit b1 7 0
setbit b1 100 0
set s8 v exat 1
get s8
set s9 v
set s9 v pxat 1
get s9
bitop or b2 b1 s7
bitop and b3 nosuch1 nosuch2
set b3 x
bitop and b3 nosuch1 nosuch2
pfadd h1 a b c
pfadd h1 a
pfadd h2
pfadd h2
pfmerge h3 h1 h2
pfcount h1
bitfield f1 set u8 0 255
bitfield f1 set u8 0 255
bitfield f1 get u8 0
bitfield f1 incrby u8 0 1 overflow fail incrby u8 0 300
bitfield f1 overflow fail incrby u8 0 300
bitfield_ro f1 get u8 0
EOF

compare hashes KEA <<'EOF'
hset h1 a 1 b 2
hset h1 a 1
hmset h1 c 3
hsetnx h1 a 9
hsetnx h1 d 4
hincrby h1 n 5
hincrbyfloat h1 f 1.5
hincrby h1 a x
hdel h1 zz
hdel h1 a b
hdel h1 c d n f
hdel h1 a
EOF

compare lists KEA <<'EOF'
lpush l1 a b c
rpush l1 d
lpushx l1 e
rpushx l1 f
lpushx nosuch x
rpushx nosuch x
linsert l1 before a z
linsert l1 after nope z
lset l1 0 q
lpop l1
rpop l1
lpop l1 2
rpop l1 0
lrem l1 1 nope
lrem l1 0 a
ltrim l1 0 0
ltrim l1 1 0
rpush l2 a b c
lmove l2 l3 left right
rpoplpush l2 l3
lmove l2 l3 right left
lmove l3 l3 left left
lmpop 2 nosuch l3 left count 1
lmpop 1 l3 right count 5
rpush l4 a b
blpop l4 1
brpop l4 1
rpush l5 a
blmove l5 l6 left left 1
brpoplpush l6 l7 1
blmpop 1 2 l7 l8 left count 3
EOF

compare sets KEA <<'EOF'
sadd z1 a b c
sadd z1 a
srem z1 x
srem z1 a
sadd z2 b x y
smove z1 z2 b
smove z1 z2 c
smove z2 z9 nope
spop z2
spop z2 1
sadd z3 a b c d
spop z3 10
sadd z4 a b
sadd z5 b c
sinterstore z6 z4 z5
sunionstore z6 z4 z5
sdiffstore z6 z4 z4
sdiffstore z6 z4 z4
sinterstore z7 nosuch z4
EOF

compare zsets KEA <<'EOF'
zadd q1 1 a 2 b 3 c
zadd q1 1 a
zadd q1 nx 5 a
zadd q1 xx 7 nope
zadd q1 incr 2 a
zincrby q1 1 b
zrem q1 nope
zrem q1 a
zremrangebyscore q1 100 200
zremrangebyscore q1 0 2.5
zadd q2 0 a 0 b 0 c 0 d
zremrangebylex q2 [a [b
zremrangebyrank q2 0 0
zremrangebyrank q2 0 -1
zadd q3 1 a 2 b 3 c
zadd q4 2 b 4 d
zunionstore q5 2 q3 q4
zinterstore q6 2 q3 q4
zdiffstore q7 2 q3 q3
zadd q7 1 x
zdiffstore q7 2 q3 q3
zrangestore q8 q3 0 1
zrangestore q8 q3 5 6
zpopmin q3
zpopmax q3 5
zadd q9 1 a 2 b
zmpop 1 q9 min count 1
bzpopmin q9 1
zadd q10 1 a
bzpopmax q10 1
zadd q11 1 a 2 b
bzmpop 1 1 q11 max count 9
EOF

compare keys KEA <<'EOF'
set k1 v
set k2 v
del k1 nosuch k2 k1
set k3 v
unlink k3
set k4 v
expire k4 100
expire k4 50 gt
pexpire k4 200000 xx
expireat k4 9999999999
pexpireat k4 9999999999000
expire nosuch 10
persist k4
persist k4
expire k4 -1
set k5 v
rename k5 k6
rename k6 k6
set k7 v
renamenx k6 k7
renamenx k6 k8
copy k8 k9
copy k8 k9
copy k8 k9 replace
copy k8 k9 db 1
rpush k10 a
sort k10 store k11
sort nosuch store k11
lpush k12 3 1 2
sort k12 store k12
flushdb
set k13 v
EOF

redis-cli -p "$RPORT" set r0 hello >/dev/null
payload=$(redis-cli -p "$RPORT" --no-raw dump r0)
compare restore KEA <<EOF
set r1 hello
restore r2 0 $payload
restore r2 0 $payload replace
restore r1 0 $payload
restore r3 1 $payload absttl
restore r2 1 $payload absttl replace
EOF
compare restore-new KEn <<EOF
set r1 hello
restore r2 0 $payload
restore r2 0 $payload replace
EOF

compare multi KEA <<'EOF'
multi
set t1 v
lpush t2 a
lpop t2
incr t3
expire t1 100
exec
multi
set t4 v
discard
EOF

compare script KEA <<'EOF'
eval "redis.call('set', KEYS[1], 'x'); redis.call('rpush', KEYS[2], 'a'); redis.call('rpop', KEYS[2]); return redis.call('del', KEYS[1])" 2 e1 e2
eval "redis.call('hset', KEYS[1], 'f', 'v'); return redis.pcall('incr', KEYS[1])" 1 e3
EOF

compare select KEA <<'EOF'
select 1
set d1 v
lpush d2 a
select 0
set d1 v
multi
select 1
del d1
select 0
del d1
exec
eval "redis.call('select', 1); redis.call('set', KEYS[1], 'v'); return redis.call('del', KEYS[1])" 1 d3
set d4 v
EOF

# Blocked clients served by another client's write: Redis's order (the push, then the pop).
BLOCKER="blpop bl1 bl2 5" compare blocked-blpop KEA <<'EOF'
rpush bl2 a b
EOF
BLOCKER="blmove bm1 bm2 left right 5" compare blocked-blmove KEA <<'EOF'
lpush bm1 x
EOF
BLOCKER="bzpopmin bz1 5" compare blocked-bzpop KEA <<'EOF'
zadd bz1 1 a
EOF
BLOCKER="blmpop 5 1 bp1 left count 10" compare blocked-blmpop KEA <<'EOF'
multi
rpush bp1 a b c
rpush bp1 d
exec
EOF

# Masks: K only, E only, a class only, generic only, and the "new" class.
compare mask-K K\$ <<'EOF'
set a v
lpush l a
EOF
compare mask-E El <<'EOF'
set a v
lpush l a
rpop l
EOF
compare mask-g Kg <<'EOF'
set a v
expire a 100
lpush l a
lpop l
del a
EOF
compare new KEn <<'EOF'
set a v
set a v2
lpush l x
lpush l y
sadd s m
hset h f v
zadd z 1 m
del a
set a v
incr c
append p x
set b v
rename a b
rename b b
rename b c
rpush l2 x
lmove l2 l2 left left
EOF

# Key misses ("m", not in "A"): reads of missing keys.
compare keymiss Em <<'EOF'
get a
mget a b
set b v
mget a b
strlen a
getrange a 0 1
hget h f
hgetall h
hexists h f
hlen h
lrange l 0 -1
llen l
lindex l 0
smembers s
scard s
sismember s m
zscore z m
zrange z 0 -1
zcard z
exists a
type a
ttl a
pttl a
expiretime a
getdel a
getex a
getex b
set q v get
set q v get
getset q2 v
dump a
object encoding a
touch a b
incr n
append p x
EOF

# Expiry: lazy (active expiry off), then active (the background thread; Redis's cron).
compare expired-lazy KEA <<'EOF'
debug set-active-expire 0
set x1 v px 30
rpush x2 a
pexpire x2 30
set x3 v px 30
debug sleep 0.2
get x1
lpush x2 b
exists x3
debug set-active-expire 1
EOF
compare expired-active Ex 1.5 sorted <<'EOF'
set y1 v px 50
hset y2 f v
pexpire y2 80
EOF

# CONFIG SET / GET round trips and errors, compared with redis-server.
for v in "" KEA gKE '$lshzxeKE' KA EA AKE Kn Km AKEmn nd Ex xK 'AKE$' KEAKEA gg; do
    check_same config set notify-keyspace-events "$v"
    check_same config get notify-keyspace-events
done
for v in KEAq " K" X "K E" 1; do
    check_same config set notify-keyspace-events "$v"
    check_same config get notify-keyspace-events
done
check_same config set notify-keyspace-events ""

# Eviction: namespace "small" (index 2) evicts above half its 256 KB; every evicted key's event
# arrives, the keys are gone, and the count is INFO's.
rc config set notify-keyspace-events Ee >/dev/null
subscribe "$PORT" "$OUT/evicted"
# random letters: a key takes its value's bytes (a repetitive value would be kept compressed)
val=$(python3 -c "import random; r = random.Random(1); print(''.join(chr(97 + r.randrange(26)) for _ in range(1000)), end='')")
for i in $(seq 400); do printf 'set key:%d %s\n' "$i" "$val"; done |
    (echo "select 2"; cat) | redis-cli -p "$PORT" >/dev/null
evicted_count() {
    redis-cli -p "$PORT" info namespaces | tr -d '\r' | sed -n 's/^ns_small:.*,evicted=\([0-9]*\),.*/\1/p'
}
evicted=$(evicted_count) # the background thread may still be evicting: wait until it stopped
for _ in $(seq 100); do
    sleep 0.2
    now=$(evicted_count)
    [ "$now" = "$evicted" ] && break
    evicted=$now
done
drain "$PORT" "$OUT/evicted"
events=$(grep -c '"__keyevent@2__:evicted"' "$OUT/evicted")
CHECKS=$((CHECKS + 1))
if [ "${evicted:-0}" -lt 1 ] || [ "$events" != "$evicted" ]; then
    echo "FAIL: $events evicted events, INFO says ${evicted:-?} keys evicted" >&2
    FAILS=$((FAILS + 1))
fi
gone=0
for k in $(sed -n 's/^"pmessage","__key\*__:\*","__keyevent@2__:evicted","\(.*\)"$/\1/p' "$OUT/evicted"); do
    [ "$(redis-cli -p "$PORT" -n 2 exists "$k")" = 0 ] && gone=$((gone + 1))
done
check_line() { CHECKS=$((CHECKS + 1)); [ "$1" = "$2" ] || { echo "FAIL: $3: $1 != $2" >&2; FAILS=$((FAILS + 1)); }; }
check_line "$gone" "$events" "evicted keys still present"
check_line "$(grep -c '__keyspace@2__:key:[0-9]*","evicted"' "$OUT/evicted")" 0 "keyspace channel without K"

# Active expiry of many keys, subscribers on every worker: each sees every "expired" once.
rc config set notify-keyspace-events Ex >/dev/null
pids=""
for i in 1 2 3; do
    redis-cli -p "$PORT" --csv subscribe __keyevent@0__:expired >"$OUT/multi.$i" 2>&1 &
    pids="$pids $!"
done
for i in 1 2 3; do
    for _ in $(seq 200); do grep -qs '^"subscribe"' "$OUT/multi.$i" && break; sleep 0.05; done
done
for i in $(seq 200); do printf 'set exp:%d v px %d\n' "$i" $((20 + i % 50)); done |
    redis-cli -p "$PORT" >/dev/null
for _ in $(seq 200); do
    [ "$(redis-cli -p "$PORT" dbsize)" = 0 ] && break
    sleep 0.05
done
redis-cli -p "$PORT" publish __keyevent@0__:expired zz-end >/dev/null # after every expiry's
for i in 1 2 3; do
    for _ in $(seq 200); do grep -qs 'zz-end' "$OUT/multi.$i" && break; sleep 0.05; done
done
for p in $pids; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
for i in 1 2 3; do
    check_line "$(grep -c '"message","__keyevent@0__:expired","exp:' "$OUT/multi.$i")" 200 \
        "subscriber $i: expired events"
    check_line "$(grep '"message","__keyevent@0__:expired","exp:' "$OUT/multi.$i" | sort -u | wc -l)" \
        200 "subscriber $i: distinct"
done

finish
