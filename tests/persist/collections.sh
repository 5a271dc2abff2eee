#!/usr/bin/env bash
# tests/persist/collections.sh: collections in the log (written as deltas: LPUSH k e, LPOP k n,
# SADD, ZADD, HSET...), on a server started with its defaults (appendonly yes, appendfsync
# always, dir "." = this script's private working directory).
#  - kill -9 under writers (RPUSH, LPUSH, SADD, ZADD, HSET, LPOP; redis-cli, one command at a
#    time) at PERSIST_CRASH_ROUNDS (default 6) random moments: after each restart every
#    acknowledged write is there, and each list is exactly the elements pushed (popped) in
#    order, none twice, none missing in the middle;
#  - redis-check-aof accepts the log directory; redis-server 7.0 loads it and holds the same
#    content (every delta form: LSET, LINSERT, LREM, LTRIM, LMOVE, SPOP, SMOVE, ZINCRBY,
#    ZPOPMIN, ZREMRANGEBYSCORE, HINCRBY(FLOAT), HDEL, EXPIRE, PERSIST, SETRANGE);
#  - BGREWRITEAOF several times under writers (redis-benchmark pushing, adding, popping):
#    a restart gives exactly the content before it (a change in both the new base and the new
#    incremental file would be applied twice).
. "$(dirname "$0")/lib.sh"
need_tools redis-server redis-check-aof redis-benchmark
ROUNDS=${PERSIST_CRASH_ROUNDS:-6}
START_WAIT=2400 # restarts replay long logs: up to 2 minutes under a sanitizer
N=400000 # more commands than a round sends
POPS=20000 # more than a round pops (a big log would slow every restart under sanitizers)

# digest CLI...: every key with its type and content, one line per element (sets and hashes
# sorted), keys in order: equal digests = equal datasets.
digest() {
    local k t
    for k in $("$@" --raw keys '*' | sort); do
        t=$("$@" --raw type "$k")
        case $t in
        string) printf '%s string %s\n' "$k" "$("$@" --raw get "$k")" ;;
        list) "$@" --raw lrange "$k" 0 -1 | sed "s/^/$k list /" ;;
        set) "$@" --raw smembers "$k" | sort | sed "s/^/$k set /" ;;
        zset) "$@" --raw zrange "$k" 0 -1 withscores | paste - - | sed "s/^/$k zset /" ;;
        hash) "$@" --raw hgetall "$k" | paste - - | sort | sed "s/^/$k hash /" ;;
        esac
        [ "$("$@" --raw pttl "$k")" -ge 0 ] && echo "$k has a deadline"
    done
}

# ---- kill -9 under collection writers, on the defaults ----
WPIDS=()
# writer TAG NAME COMMAND-TEMPLATE: redis-cli sending the template with & = 1, 2, ...
writer() {
    seq 1 $N | sed "s/.*/$3/" | redis-cli -p "$PORT" >"$DATA/ack.$1.$2" 2>/dev/null &
    WPIDS+=($!)
}
stop_writers() {
    kill "${WPIDS[@]}" 2>/dev/null
    wait "${WPIDS[@]}" 2>/dev/null
    WPIDS=()
}
# acked TAG NAME: replies received (every reply of these commands acknowledges the write).
acked() {
    grep -c . "$DATA/ack.$1.$2"
}
# prefix_ok WHAT ACKED FILE-OF-GOT PREFIX: the list read back is PREFIX1, PREFIX2, ... in order
# (no gap, no repeat) and holds at least the ACKED first ones.
prefix_ok() {
    local n
    n=$(wc -l <"$3")
    CHECKS=$((CHECKS + 1))
    if [ "$n" -lt "$2" ] || ! seq 1 "$n" | sed "s/^/$4/" | cmp -s - "$3"; then
        echo "FAIL: $1: $2 acknowledged, read back $n elements not in order: $(head -c 200 "$3" | tr '\n' ' ')" >&2
        FAILS=$((FAILS + 1))
    fi
}

start_server --threads 2
for r in $(seq "$ROUNDS"); do
    seq 1 $POPS | sed "s/^/p/" | xargs -n 2000 redis-cli -p "$PORT" rpush "pop$r" >/dev/null
    writer "$r" rpush "RPUSH r$r e&"
    writer "$r" lpush "LPUSH l$r e&"
    writer "$r" sadd "SADD s$r m&"
    writer "$r" zadd "ZADD z$r & m&"
    writer "$r" hset "HSET h$r f& v&"
    writer "$r" lpop "LPOP pop$r"
    sleep "0.$(printf '%02d' $((20 + RANDOM % 60)))"
    crash_server
    stop_writers
    start_server --threads 2
    rc --raw lrange "r$r" 0 -1 >"$DATA/got"
    prefix_ok "round $r RPUSH" "$(acked "$r" rpush)" "$DATA/got" e
    rc --raw lrange "l$r" 0 -1 | tac >"$DATA/got"
    prefix_ok "round $r LPUSH" "$(acked "$r" lpush)" "$DATA/got" e
    n=$(acked "$r" sadd)
    missing=$(seq 1 "$n" | sed "s/.*/SISMEMBER s$r m&/" | redis-cli -p "$PORT" | grep -vc '^1$')
    CHECKS=$((CHECKS + 1))
    [ "$missing" = 0 ] || { echo "FAIL: round $r SADD: $missing of $n acknowledged members lost" >&2; FAILS=$((FAILS + 1)); }
    n=$(acked "$r" zadd)
    bad=$(seq 1 "$n" | sed "s/.*/ZSCORE z$r m&/" | redis-cli -p "$PORT" | paste - <(seq 1 "$n") | awk '$1 != $2' | wc -l)
    CHECKS=$((CHECKS + 1))
    [ "$bad" = 0 ] || { echo "FAIL: round $r ZADD: $bad of $n acknowledged members lost or wrong" >&2; FAILS=$((FAILS + 1)); }
    n=$(acked "$r" hset)
    bad=$(seq 1 "$n" | sed "s/.*/HGET h$r f&/" | redis-cli -p "$PORT" | paste - <(seq 1 "$n") | awk '$1 != "v" $2' | wc -l)
    CHECKS=$((CHECKS + 1))
    [ "$bad" = 0 ] || { echo "FAIL: round $r HSET: $bad of $n acknowledged fields lost or wrong" >&2; FAILS=$((FAILS + 1)); }
    # LPOP: the acknowledged pops came back p1, p2... in order; what is left starts after them
    n=$(acked "$r" lpop)
    CHECKS=$((CHECKS + 1))
    seq 1 "$n" | sed "s/^/p/" | cmp -s - "$DATA/ack.$r.lpop" ||
        { echo "FAIL: round $r LPOP replies out of order" >&2; FAILS=$((FAILS + 1)); }
    rc --raw lrange "pop$r" 0 -1 >"$DATA/got"
    left=$(wc -l <"$DATA/got")
    CHECKS=$((CHECKS + 1))
    if [ "$left" -gt $((POPS - n)) ] || ! seq $((POPS - left + 1)) $POPS | sed "s/^/p/" | cmp -s - "$DATA/got"; then
        echo "FAIL: round $r LPOP: $n pops acknowledged, $left of $POPS left, not the tail" >&2
        FAILS=$((FAILS + 1))
    fi
    echo "round $r: acknowledged rpush $(acked "$r" rpush), lpush $(acked "$r" lpush), sadd $(acked "$r" sadd), zadd $(acked "$r" zadd), hset $(acked "$r" hset), lpop $n; none lost"
done
stop_server || fail "server did not stop cleanly"
out=$(redis-check-aof appendonlydir/appendonly.aof.manifest 2>&1)
CHECKS=$((CHECKS + 1))
printf '%s' "$out" | grep -q "All AOF files and manifest are valid" ||
    { echo "FAIL: redis-check-aof after the crashes: $out" >&2; FAILS=$((FAILS + 1)); }

# ---- every delta form: flatline's log, loaded by flatline and by redis-server ----
mkdir "$DATA/forms"
start_server --threads 2 --dir "$DATA/forms"
{
    echo "RPUSH li a b c d e f g"
    echo "LPUSH li z"
    echo "LPOP li"
    echo "RPOP li 2"
    echo "LSET li 1 B"
    echo "LINSERT li BEFORE B ins"
    echo "LINSERT li AFTER nosuch x"
    echo "RPUSH li c c"
    echo "LREM li -1 c"
    echo "LTRIM li 1 -1"
    echo "RPUSH rot 1 2 3"
    echo "LMOVE rot rot LEFT RIGHT"
    echo "RPOPLPUSH li dst"
    echo "SADD se a b c d e f"
    echo "SREM se a"
    echo "SPOP se 2"
    echo "SMOVE se se2 b"
    echo "ZADD zs 1 a 2 b 3 c 4 d 5 e"
    echo "ZINCRBY zs 2.5 a"
    echo "ZADD zs XX GT 1 b"
    echo "ZADD zs NX 9 b 9 new"
    echo "ZADD zs INCR -1 c"
    echo "ZREM zs d"
    echo "ZPOPMIN zs"
    echo "ZPOPMAX zs 1"
    echo "ZADD zs 0.1 lo 0.2 lo2 inf top"
    echo "ZREMRANGEBYSCORE zs 0 0.15"
    echo "HSET ha f 1 g 2 h 3"
    echo "HINCRBY ha f 41"
    echo "HINCRBYFLOAT ha g 0.5"
    echo "HDEL ha h"
    echo "HSETNX ha n v"
    echo "RPUSH tl x"
    echo "EXPIRE tl 5000"
    echo "RPUSH tl y"
    echo "RPUSH pe x"
    echo "EXPIRE pe 5000"
    echo "PERSIST pe"
    echo "SADD gone x"
    echo "SREM gone x"
    echo "SET st 'hello world'"
    echo "SETRANGE st 6 WORLD"
    echo "SETRANGE st 14 tail"
    echo "EXPIRE st 5000"
    echo "SETRANGE st 0 H"
    echo "SETRANGE fresh 3 new"
} | redis-cli -p "$PORT" >/dev/null
want=$(digest rc)
stop_server || fail "server did not stop cleanly"
out=$(redis-check-aof "$DATA/forms/appendonlydir/appendonly.aof.manifest" 2>&1)
CHECKS=$((CHECKS + 1))
printf '%s' "$out" | grep -q "All AOF files and manifest are valid" ||
    { echo "FAIL: redis-check-aof on every delta form: $out" >&2; FAILS=$((FAILS + 1)); }
grep -qa $'^LPUSH\r$' "$DATA/forms/appendonlydir/"*.incr.aof ||
    { echo "FAIL: the log holds no delta (LPUSH)" >&2; FAILS=$((FAILS + 1)); }
grep -qa $'^SETRANGE\r$' "$DATA/forms/appendonlydir/"*.incr.aof ||
    { echo "FAIL: the log holds no SETRANGE delta" >&2; FAILS=$((FAILS + 1)); }
start_server --threads 2 --dir "$DATA/forms"
same "flatline restart: every delta form" "$(digest rc)" "$want"
stop_server || fail "server did not stop cleanly"
mkdir "$DATA/forms-redis" && cp -r "$DATA/forms/appendonlydir" "$DATA/forms-redis/"
start_redis "$DATA/forms-redis" --appendonly yes
same "redis-server loading flatline's log: every delta form" "$(digest redis-cli -p "$RPORT")" "$want"
stop_redis

# ---- rewrites under writers: exactly the same content after a restart ----
mkdir "$DATA/rw"
start_server --threads 2 --dir "$DATA/rw"
BPIDS=()
for cmd in "rpush rl __rand_int__" "lpush ll __rand_int__" "sadd rs __rand_int__" \
    "zadd rz __rand_int__ __rand_int__" "hset rh __rand_int__ __rand_int__" "lpop rl" "spop rs"; do
    redis-benchmark -p "$PORT" -n 60000 -c 4 -r 100000 $cmd >/dev/null 2>&1 &
    BPIDS+=($!)
done
rewrites=0
for i in 1 2 3 4; do
    sleep 0.5
    [ "$(rc bgrewriteaof)" = "Background append only file rewriting started" ] && rewrites=$((rewrites + 1))
    wait_rewrite 20
done
wait "${BPIDS[@]}"
CHECKS=$((CHECKS + 1))
[ "$rewrites" -ge 3 ] || { echo "FAIL: only $rewrites rewrites started under the writers" >&2; FAILS=$((FAILS + 1)); }
digest rc >"$DATA/want"
want=$(md5sum <"$DATA/want")
echo "rewrites under writers: $rewrites; $(wc -l <"$DATA/want") elements"
stop_server || fail "server did not stop cleanly"
start_server --threads 2 --dir "$DATA/rw"
same "restart after rewrites under writers" "$(digest rc | md5sum)" "$want"
stop_server || fail "server did not stop cleanly"
mkdir "$DATA/rw-redis" && cp -r "$DATA/rw/appendonlydir" "$DATA/rw-redis/"
start_redis "$DATA/rw-redis" --appendonly yes
same "redis-server loading the rewritten log" "$(digest redis-cli -p "$RPORT" | md5sum)" "$want"
stop_redis
finish
