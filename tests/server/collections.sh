#!/usr/bin/env bash
# tests/server/collections.sh: list, set and sorted-set commands side by side with Debian's
# redis-server 7.0.15: every command runs against both servers and the replies (errors
# included) must be byte-identical. Then the blocking pops: served in blocking order across
# worker threads, timeouts, a disconnected waiter forgotten. Without redis-server the test
# skips (exit 77): its expectations are redis-server's own replies.
. "$(dirname "$0")/lib.sh"

command -v redis-server >/dev/null || { echo "redis-server not installed: skipped"; exit 77; }
start_server --threads 3

RPID=""
RDIR=$(mktemp -d /tmp/flatline-redis.XXXXXX)
stop_redis() {
    [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
    rm -rf "$RDIR"
}
trap 'stop_redis; on_exit' EXIT
RPORT=$("$TOOL" port) || fail "no free port"
redis-server --port "$RPORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$RDIR" \
    >"$RDIR/log" 2>&1 &
RPID=$!
for _ in $(seq 100); do
    [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = "PONG" ] && break
    sleep 0.05
done

# same ARGS...: the command's reply from flatline equals redis-server's.
same() {
    local want got
    want=$(redis-cli -p "$RPORT" --no-raw "$@" 2>&1)
    got=$(rc "$@")
    CHECKS=$((CHECKS + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: redis-cli $*" >&2
        echo "  redis-server: $(printf '%q' "$want")" >&2
        echo "  flatline:     $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# same_sorted ARGS...: like same, for replies whose order Redis leaves unspecified (members of
# a hash table): the lines are compared sorted.
same_sorted() {
    local want got
    want=$(redis-cli -p "$RPORT" --no-raw "$@" 2>&1 | sed -E 's/^( *[0-9]+\) )+//' | sort)
    got=$(rc "$@" | sed -E 's/^( *[0-9]+\) )+//' | sort)
    CHECKS=$((CHECKS + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: redis-cli $* (sorted)" >&2
        echo "  redis-server: $(printf '%q' "$want")" >&2
        echo "  flatline:     $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# same_encoding KEY: OBJECT ENCODING KEY as redis-server says, once flatline-server has OBJECT
# (the keyspace commands' family); until then the store's unit test checks the encodings.
same_encoding() {
    case "$(rc object help 2>&1)" in
    *"unknown command"*) return 0 ;;
    esac
    same object encoding "$1"
}

# check_sh EXPECTED CMD...: a shell command's output (not a redis-cli call) equals EXPECTED.
check_sh() {
    local want=$1 got
    shift
    got=$("$@" 2>&1)
    CHECKS=$((CHECKS + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: $*: expected $(printf '%q' "$want"), got $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# --- lists
same rpush l a b c d e a b c
same lpush l x y
same llen l
same lrange l 0 -1
same lrange l -3 -1
same lrange l 5 2
same lrange l -100 100
same lrange nolist 0 -1
same lrange l a 1
same lindex l 0
same lindex l -1
same lindex l 100
same lindex l x
same lset l 1 Y
same lset l 100 Y
same lset nolist 0 Y
same linsert l before a A
same linsert l after c C
same linsert l after zzz C
same linsert nolist after a C
same linsert l middle a C
same lrem l 1 a
same lrem l -1 b
same lrem l 0 c
same lrange l 0 -1
same lpos l a
same lpos l b rank -1
same lpos l zzz
same lpos l a count 0
same lpos l a rank 0
same lpos l a count -1
same lpos l a maxlen -1
same lpos l a rank 1 count 2 maxlen 3
same lpos l a bogus
same lpos nolist a count 2
same lpop l
same rpop l 2
same lpop l 0
same lpop nolist 0
same lpop nolist 2
same rpop nolist
same lpop l -1
same lpop l 1 2
same ltrim l 1 -2
same lrange l 0 -1
same ltrim l 5 1
same exists l
same rpushx l a
same lpushx nolist a
same rpush src 1 2 3
same lmove src dst left right
same lmove src dst right left
same lmove src dst up left
same rpoplpush src dst
same rpoplpush src dst
same lrange dst 0 -1
same exists src
same set str x
same lpush str a
same lmove dst str left left
same lmove nosrc str left left
same llen str
same lmpop 2 nolist dst left count 2
same lmpop 2 nolist dst right
same lmpop 0 dst left
same lmpop 1 dst middle
same lmpop 1 dst left count 0
same lmpop 2 nolist nolist2 left
same blpop nolist 0.01
same blpop nolist -1
same blpop nolist abc
same rpush dst m n
same brpop dst 0
same blmpop 0 1 dst left count 5
same type dst
rc del dst >/dev/null
redis-cli -p "$RPORT" del dst >/dev/null

# --- sets
same sadd ints 3 1 2 3 -5
same smembers ints
same_encoding ints
same sadd strs a b c
same_encoding strs
same sadd ints x
same_encoding ints
same_sorted smembers ints
same scard ints
same scard noset
same sismember ints x
same sismember ints 7
same smismember ints 1 7 x
same smismember noset 1
same srem ints 1 7 x
same srem noset 1
same sadd str x
same smembers str
same srandmember noset
same srandmember noset 3
same srandmember strs 0
same srandmember strs 1 2
same srandmember strs x
same srandmember strs -9223372036854775808
same spop noset
same spop noset 3
same spop strs 0
same spop strs -1
same spop strs 1 2
same smove strs strs2 a
same smove strs strs2 zzz
same smove nos strs2 a
same smove strs str b
same smove strs strs c
same sadd s1 a b c d 1 2
same sadd s2 c d e 2 3
same sadd s3 1 2 3 4
same_sorted sinter s1 s2
same_sorted sinter s1 s2 noset
same_sorted sunion s1 s2 noset
same_sorted sdiff s1 s2
same_sorted sdiff s1 noset s3
same sinter s1 str
same sunion str
same sinterstore dst s1 s2
same_sorted smembers dst
same sunionstore dst s3 s3
same_encoding dst
same sdiffstore dst s1 s1
same exists dst
same sinterstore str s1 s2
same type str
same sintercard 2 s1 s2
same sintercard 2 s1 s2 limit 1
same sintercard 0 s1
same sintercard 3 s1 s2
same sintercard 2 s1 s2 limit -1
same sintercard 2 s1 s2 bogus
same sscan s3 0
same sscan s3 abc
same sscan s3 0 count 0
same sscan s3 0 match "[12]"
same sscan noset 0
same_sorted sscan str 0
rc del str >/dev/null
redis-cli -p "$RPORT" del str >/dev/null

# --- sorted sets
same zadd z 1 a 2 b 3 c 1.5 d
same zadd z nx 9 a 10 e
same zadd z xx ch 7 a 8 zz
same zadd z gt ch 1 a 20 b
same zadd z lt 0.5 c
same zadd z incr 2 a
same zadd z nx incr 2 a
same zadd z xx nx 1 a
same zadd z gt lt 1 a
same zadd z gt nx 1 a
same zadd z incr 1 a 2 b
same zadd z 1
same zadd z nan a
same zadd z abc a
same zadd z inf big -inf small
same zincrby z 0.1 d
same zincrby z x d
same zincrby z -inf big
same zincrby z2 3 new
same zscore z d
same zscore z nobody
same zscore noz a
same zmscore z a nobody d
same zmscore noz a
same zcard z
same zcard noz
same zrank z c
same zrevrank z c
same zrank z nobody
same zrange z 0 -1 withscores
same zrange z 0 -1 rev
same zrange z "(1" 10 byscore withscores
same zrange z 10 "(1" byscore rev limit 1 2
same zrange z "[a" "(d" bylex
same zrange z 0 -1 limit 0 1
same zrange z - + bylex withscores
same zrange z a b byscore
same zrange z a b bylex
same zrange z 0 1 byscore bylex
same zrangebyscore z -inf +inf withscores limit 1 3
same zrangebyscore z 1 2 limit -1 2
same zrangebyscore z 1 2 limit 0 -1
same zrangebyscore z 1 2 rev
same zrevrangebyscore z +inf -inf
same zrangebylex z - "[c"
same zrevrangebylex z "[c" - limit 0 2
same zrevrange z 0 2 withscores
same zcount z 1 3
same zcount z "(1" "(3"
same zcount z x 3
same zlexcount z - +
same zlexcount z "[b" "[c"
same zrangestore zdst z 0 2
same zrangestore zdst z 5 1 byscore rev
same zrangestore zdst z 0 1 withscores
same zrange zdst 0 -1 withscores
same zpopmin z
same zpopmax z 2
same zpopmin z 0
same zpopmin noz
same zpopmin z -1
same zrem z d nobody
same zrem noz a
same zadd zr 1 a 2 b 3 c 4 d 5 e
same zremrangebyrank zr 0 1
same zremrangebyscore zr "(3" 4
same zremrangebylex zr - "[c"
same exists zr
same zadd za 1 a 2 b 3 c
same zadd zb 10 b 20 c 30 d
same sadd sb c d x
same zunion 2 za zb withscores
same zunion 2 za zb weights 2 0.5 aggregate max withscores
same zunion 2 za sb withscores
same zinter 2 za zb aggregate min withscores
same zinter 3 za zb sb withscores
same zdiff 2 za zb withscores
same zdiff 2 zb za
same zunionstore zout 2 za zb
same zrange zout 0 -1 withscores
same zinterstore zout 2 za noz
same exists zout
same zdiffstore zout 1 za
same zintercard 2 za zb
same zintercard 2 za zb limit 1
same zintercard 0 za
same zunion 0 za
same zunion 3 za
same zunion 2 za zb weights 1
same zunion 2 za zb weights 1 x
same zunion 2 za zb aggregate avg
same zdiff 2 za zb weights 1 1
same zunionstore zout 2 za str
same zmpop 2 noz za min count 2
same zmpop 1 za max
same zmpop 1 za middle
same zmpop 0 za min
same zrandmember noz
same zrandmember noz 2
same zrandmember zb 0
same zrandmember zb 2 bogus
same_sorted zrandmember zb 5 withscores
same zscan zb 0
same zscan zb 0 match "[bc]"
same zadd zc 1 "$(printf 'x%.0s' $(seq 70))"
same_encoding zc
same_encoding zb
same type zb
same zscore str a
same zadd str 1 a

# --- blocking pops: three waiters on three workers, served in blocking order
rc del q qdst >/dev/null
out=$(mktemp -d /tmp/flatline-block.XXXXXX)
redis-cli -p "$PORT" blpop q 5 >"$out/1" &
p1=$!
for _ in $(seq 100); do [ "$(info_field clients blocked_clients)" = 1 ] && break; sleep 0.02; done
redis-cli -p "$PORT" blpop q 5 >"$out/2" &
p2=$!
for _ in $(seq 100); do [ "$(info_field clients blocked_clients)" = 2 ] && break; sleep 0.02; done
redis-cli -p "$PORT" brpoplpush q qdst 5 >"$out/3" &
p3=$!
for _ in $(seq 100); do [ "$(info_field clients blocked_clients)" = 3 ] && break; sleep 0.02; done
check_sh "3" info_field clients blocked_clients
check "(integer) 3" rpush q first second third
wait $p1 $p2 $p3
check_sh "$(printf 'q\nfirst')" cat "$out/1"
check_sh "$(printf 'q\nsecond')" cat "$out/2"
check_sh "third" cat "$out/3"
check "1) \"third\"" lrange qdst 0 -1
check_sh "0" info_field clients blocked_clients

# sorted sets: BZPOPMIN served by a ZADD from another client
rc del bz >/dev/null
redis-cli -p "$PORT" bzpopmin bz 5 >"$out/z" &
pz=$!
for _ in $(seq 100); do [ "$(info_field clients blocked_clients)" = 1 ] && break; sleep 0.02; done
check "(integer) 2" zadd bz 2 two 1 one
wait $pz
check_sh "$(printf 'bz\none\n1')" cat "$out/z"
check '1) "two"' zrange bz 0 -1
# a timeout answers a null array and leaves the client usable
check "(nil)" blpop q 0.1
check "(nil)" bzpopmax q 0.1
# a waiter that disconnects is forgotten: the next push stays in the list
timeout 0.5 redis-cli -p "$PORT" blpop q 0 >/dev/null
check_sh "0" info_field clients blocked_clients
check "(integer) 1" rpush q kept
check '1) "kept"' lrange q 0 -1
# BLMOVE chain: a waiter on the destination is served by the move into it
rc del a b >/dev/null
redis-cli -p "$PORT" blpop b 5 >"$out/b" &
pb=$!
for _ in $(seq 100); do [ "$(info_field clients blocked_clients)" = 1 ] && break; sleep 0.02; done
redis-cli -p "$PORT" blmove a b left right 5 >"$out/a" &
pa=$!
for _ in $(seq 100); do [ "$(info_field clients blocked_clients)" = 2 ] && break; sleep 0.02; done
check "(integer) 1" rpush a v
wait $pa $pb
check_sh "v" cat "$out/a"
check_sh "$(printf 'b\nv')" cat "$out/b"
check "(integer) 0" exists a b
# pipelined commands after a blocking pop wait for it
printf 'BLPOP p 5\r\nPING\r\n' >"$out/pipe"
(redis-cli -p "$PORT" <"$out/pipe" >"$out/pout") &
pp=$!
for _ in $(seq 100); do [ "$(info_field clients blocked_clients)" = 1 ] && break; sleep 0.02; done
check "(integer) 1" rpush p z
wait $pp
check_sh "$(printf 'p\nz\nPONG')" cat "$out/pout"
rm -rf "$out"

finish
