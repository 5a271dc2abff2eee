#!/usr/bin/env bash
# tests/persist/rdb_encodings.sh: flatline loads the RDB files of the servers people move from.
#  - a dump redis-server 7.0 wrote with every encoding it uses (lists as quicklists of listpacks
#    and of plain nodes, intsets of 16 and 64-bit integers, hashtable sets, listpack and skiplist
#    sorted sets with infinite scores, listpack and hashtable hashes, strings, expiries) loads to
#    the same content as redis-server's own;
#  - an RDB 9 file as Redis 3.2-6.2 wrote it (quicklists of ziplists, ziplist lists, hashes and
#    sorted sets, text-scored sorted sets, intsets; written by rdb_old.py) loads to the content
#    redis-server 7.0 loads from it;
#  - a damaged ziplist refuses the start, naming the key, as redis-server refuses it.
. "$(dirname "$0")/lib.sh"
need_tools python3

# content PORT KEY...: each key's type, value (sorted where the order is not the value's) and TTL.
content() {
    local p=$1 k t v
    shift
    for k in "$@"; do
        t=$(redis-cli -p "$p" type "$k")
        case $t in
        list) v=$(redis-cli -p "$p" lrange "$k" 0 -1 | md5sum) ;;
        set) v=$(redis-cli -p "$p" smembers "$k" | sort | md5sum) ;;
        zset) v=$(redis-cli -p "$p" zrange "$k" 0 -1 withscores | md5sum) ;;
        hash) v=$(redis-cli -p "$p" hgetall "$k" | paste - - | sort | md5sum) ;;
        *) v=$(redis-cli -p "$p" get "$k") ;;
        esac
        printf '%s %s %s %s\n' "$k" "$t" "$v" "$(redis-cli -p "$p" ttl "$k" | sed 's/^[1-9][0-9]*$/ttl/')"
    done
}

# same_content WHAT KEY...: flatline ($PORT) and redis-server ($RPORT) hold the same.
same_content() {
    local what=$1 ours theirs
    shift
    ours=$(content "$PORT" "$@")
    theirs=$(content "$RPORT" "$@")
    CHECKS=$((CHECKS + 1))
    if [ "$ours" != "$theirs" ]; then
        echo "FAIL: $what: flatline and redis-server differ" >&2
        diff <(echo "$theirs") <(echo "$ours") >&2
        FAILS=$((FAILS + 1))
    fi
}

# ---- a dump redis-server 7.0 wrote ----
mkdir "$DATA/r7" "$DATA/f7"
start_redis "$DATA/r7" --enable-debug-command yes
python3 - <<'EOF' | rr >/dev/null
print('RPUSH lsmall a 1 -5 300 70000 -2000000000 9000000000 x')
print('DEBUG QUICKLIST-PACKED-THRESHOLD 100')  # elements over 100 bytes in plain nodes
print('RPUSH lplain small ' + 'P' * 200 + ' tail')
for i in range(3000):
    print('RPUSH lbig e%d %d' % (i, i * 7 - 1000))
print('SADD iset 1 2 3 -7 100000')
print('SADD iset8 1 9000000000 -9000000000')
for i in range(600):
    print('SADD sbig m%d' % i)
print('ZADD zsmall 1 a 2.5 b -3 c 1e10 d inf e -inf f')
for i in range(300):
    print('ZADD zbig %d.5 m%d' % (i, i))
print('HSET hsmall f1 v1 f2 2 f3 -70000')
for i in range(700):
    print('HSET hbig f%d v%d' % (i, i))
print('SET s1 hello')
print('SET n1 12345')
for k in ('lsmall', 'zsmall', 'iset', 'hbig'):
    print('PEXPIRE %s 100000000' % k)
EOF
KEYS7="lsmall lplain lbig iset iset8 sbig zsmall zbig hsmall hbig s1 n1"
CHECKS=$((CHECKS + 1))
encodings=$(for k in $KEYS7; do rr object encoding "$k"; done | sort -u | tr '\n' ' ')
[ "$encodings" = '"embstr" "hashtable" "int" "intset" "listpack" "quicklist" "skiplist" ' ] ||
    { echo "FAIL: redis-server did not use every encoding: $encodings" >&2; FAILS=$((FAILS + 1)); }
rr save >/dev/null
cp "$DATA/r7/dump.rdb" "$DATA/f7/"
start_server --dir "$DATA/f7" --appendonly no
same_content "redis-server 7.0's dump" $KEYS7
stop_server || fail "server did not stop cleanly"
stop_redis

# ---- an RDB 9 file with the ziplist encodings of Redis 3.2-6.2 ----
mkdir "$DATA/r9" "$DATA/f9"
python3 "$(dirname "$0")/rdb_old.py" "$DATA/f9/dump.rdb"
cp "$DATA/f9/dump.rdb" "$DATA/r9/"
start_redis "$DATA/r9"
start_server --dir "$DATA/f9" --appendonly no
KEYS9="oldlist ziplist oldhash oldzset zset1 oldints plain"
same_content "an RDB 9 file" $KEYS9
check $'1) "m3"\n2) "-inf"\n3) "m1"\n4) "1.5"\n5) "m2"\n6) "inf"' zrange zset1 0 -1 withscores
check "(integer) 16" llen oldlist
stop_server || fail "server did not stop cleanly"
stop_redis

# ---- a damaged ziplist ----
mkdir "$DATA/bad"
python3 "$(dirname "$0")/rdb_old.py" "$DATA/bad/dump.rdb" damaged
out=$(timeout 60 "$SERVER" --port "$("$TOOL" port)" --dir "$DATA/bad" --appendonly no 2>&1)
st=$?
CHECKS=$((CHECKS + 1))
if [ "$st" = 0 ] || [ "$st" = 124 ] || ! printf '%s' "$out" | grep -q "key 'ziplist': bad ziplist (run redis-check-rdb"; then
    echo "FAIL: a damaged ziplist: status $st, output: $out" >&2
    FAILS=$((FAILS + 1))
fi
finish
