#!/usr/bin/env bash
# tests/persist/atomic.sh: a write atomic over several keys is all or nothing after a crash.
#  - MSET, DEL of several keys, RENAME, SMOVE, LMOVE between two lists, SINTERSTORE, a
#    MULTI/EXEC over two dbs and a script writing two keys are each ONE MULTI ... EXEC block in
#    the log (SELECT inside it when the db changes), while a single-key write stays one command;
#  - the log is valid for redis-check-aof, and redis-server 7.0 loads it to the same content;
#  - the log cut at any point inside the last block (a crash mid-write) loads with either the
#    whole write or none of it, never a part.
. "$(dirname "$0")/lib.sh"
need_tools redis-check-aof python3

FL="--dir $DATA --appendonly yes --appendfsync always --threads 2"
start_server $FL
check "OK" set single 1
check "(integer) 2" rpush src a b
check "(integer) 1" sadd s1 m
check "(integer) 1" sadd s3 m
check "OK" mset k1 v1 k2 v2 k3 v3
check "(integer) 2" del k1 k2
check "OK" rename k3 k4
check "(integer) 1" smove s1 s2 m
check '"b"' lmove src dst right left
check "(integer) 1" sinterstore inter s2 s3
check_session $'OK\nQUEUED\nQUEUED\nQUEUED\n1) OK\n2) OK\n3) OK' \
    'multi|set t0 0|select 1|set t1 1|exec'
check "(nil)" eval "redis.call('set', 'e1', 'x'); redis.call('set', 'e2', 'y')" 0
check "OK" mset last1 aaaaaaaaaa last2 bbbbbbbbbb last3 cccccccccc
stop_server || fail "server did not stop cleanly"
INCR=$(ls "$DATA"/appendonlydir/*.incr.aof)

# The log's commands, one line each: "MULTI", "EXEC", "SET k1", "SELECT 1" (verb and first arg).
commands() {
    python3 - "$1" <<'EOF'
import sys
d = open(sys.argv[1], 'rb').read()
i = 0
while i < len(d):
    assert d[i:i + 1] == b'*', i
    j = d.index(b'\r\n', i)
    n, i, words = int(d[i + 1:j]), j + 2, []
    for _ in range(n):
        j = d.index(b'\r\n', i)
        ln = int(d[i + 1:j])
        words.append(d[j + 2:j + 2 + ln].decode())
        i = j + 2 + ln + 2
    print(' '.join(words[:2]))
EOF
}
got=$(commands "$INCR" | tr '\n' '|')
want='SELECT 0|SET single|RPUSH src|SADD s1|SADD s3|'
want+='MULTI|SET k1|SET k2|SET k3|EXEC|'
want+='MULTI|DEL k1|DEL k2|EXEC|'
want+='MULTI|SET k4|DEL k3|EXEC|'
want+='MULTI|SADD s2|DEL s1|EXEC|'
want+='MULTI|RPOP src|LPUSH dst|EXEC|'
want+='MULTI|DEL inter|SADD inter|EXEC|'
want+='MULTI|SET t0|SELECT 1|SET t1|EXEC|'
want+='SELECT 0|MULTI|SET e1|SET e2|EXEC|'
want+='MULTI|SET last1|SET last2|SET last3|EXEC|'
CHECKS=$((CHECKS + 1))
# MSET's keys come in partition order, not argument order: compare the block shapes sorted.
norm() { tr '|' '\n' | awk '/^MULTI$/{b=1; s=""; next} /^EXEC$/{b=0; print "[" s "]"; next}
    b{s = s ? s "," $0 : $0; next} {print}' | while IFS= read -r l; do
    case $l in "["*) printf '[%s]\n' "$(printf '%s' "${l:1:${#l}-2}" | tr ',' '\n' | sort | paste -sd,)" ;;
        *) printf '%s\n' "$l" ;; esac; done; }
if [ "$(printf '%s' "$got" | norm)" != "$(printf '%s' "$want" | norm)" ]; then
    echo "FAIL: the log's blocks" >&2
    echo "  expected: $want" >&2
    echo "  got:      $got" >&2
    FAILS=$((FAILS + 1))
fi
CHECKS=$((CHECKS + 1))
redis-check-aof "$DATA/appendonlydir/appendonly.aof.manifest" 2>&1 | grep -q "are valid" ||
    { echo "FAIL: redis-check-aof does not accept the log" >&2; FAILS=$((FAILS + 1)); }

# The content, from flatline after a restart and from redis-server loading the same directory.
content() { # content PORT: each key's type and value, one line each
    local k t v
    for k in single src dst s1 s2 s3 inter k1 k2 k3 k4 e1 e2 last1 last2 last3 t0; do
        t=$(redis-cli -p "$1" --raw type "$k")
        case $t in
        string) v=$(redis-cli -p "$1" --raw get "$k") ;;
        list) v=$(redis-cli -p "$1" --raw lrange "$k" 0 -1 | paste -sd,) ;;
        set) v=$(redis-cli -p "$1" --raw smembers "$k" | sort | paste -sd,) ;;
        *) v="" ;;
        esac
        printf '%s: %s %s\n' "$k" "$t" "$v"
    done
    printf 't1: %s\n' "$(redis-cli -p "$1" -n 1 --raw get t1)"
}
start_server $FL
ours=$(content "$PORT")
stop_server || fail "server did not stop cleanly"
mkdir "$DATA/redis" && cp -r "$DATA/appendonlydir" "$DATA/redis/"
start_redis "$DATA/redis" --appendonly yes
theirs=$(content "$RPORT")
stop_redis
CHECKS=$((CHECKS + 1))
[ "$ours" = "$theirs" ] || { echo "FAIL: redis-server loads other content:" >&2;
    diff <(echo "$ours") <(echo "$theirs") >&2; FAILS=$((FAILS + 1)); }
printf '%s\n' "$ours" | grep -q '^last3: string cccccccccc$' ||
    fail "the last MSET is not back: $ours"

# Cut inside the last block (the final MSET): all three keys, or none.
size=$(stat -c %s "$INCR")
start_off=$(python3 -c "import sys; d=open(sys.argv[1],'rb').read(); print(d.rindex(b'*1\r\n\$5\r\nMULTI'))" "$INCR")
cp "$INCR" "$DATA/incr.full"
for cut in $(seq "$start_off" 9 "$((size - 1))") $((size - 1)) $((size - 10)); do
    head -c "$cut" "$DATA/incr.full" >"$INCR"
    start_server $FL
    n=$(rc exists last1 last2 last3)
    stop_server || fail "server did not stop cleanly"
    CHECKS=$((CHECKS + 1))
    [ "$n" = "(integer) 0" ] ||
        { echo "FAIL: the log cut at $cut of $size bytes (block at $start_off) loads $n of the MSET's 3 keys" >&2; FAILS=$((FAILS + 1)); }
done
cp "$DATA/incr.full" "$INCR"
start_server $FL
check "(integer) 3" exists last1 last2 last3
stop_server || fail "server did not stop cleanly"
finish
