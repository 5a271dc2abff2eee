#!/usr/bin/env bash
# tests/persist/recovery.sh: damaged files at start.
#  - a torn last command (crash mid-write) is truncated with a log line giving the bytes
#    dropped, and the file is valid afterwards (redis-check-aof); with aof-load-truncated no
#    the start is refused instead;
#  - a MULTI block torn by a crash is dropped whole (never half applied);
#  - damage before the end of the log, or an RDB checksum mismatch, refuses to start with
#    the file, the offset and the tool to run; nothing is half loaded silently.
. "$(dirname "$0")/lib.sh"
need_tools redis-check-aof

FL="--dir $DATA --appendonly yes --appendfsync always --threads 2"
start_server $FL
for i in $(seq 50); do echo "SET k$i v$i"; done | redis-cli -p "$PORT" >/dev/null
check "(integer) 2" hset h1 a 1 b 2
stop_server || fail "server did not stop cleanly"
INCR=$(ls "$DATA"/appendonlydir/*.incr.aof)
size0=$(stat -c %s "$INCR")

# refuse_start WHY REGEX [options]: the server must exit non-zero with a message matching.
refuse_start() {
    local why=$1 re=$2
    shift 2
    local out st
    out=$(timeout 60 "$SERVER" --port "$("$TOOL" port)" "$@" 2>&1)
    st=$?
    CHECKS=$((CHECKS + 1))
    if [ "$st" = 0 ] || [ "$st" = 124 ] || ! printf '%s' "$out" | grep -q -E -- "$re"; then
        echo "FAIL: $why: status $st, output: $out" >&2
        FAILS=$((FAILS + 1))
    fi
}

# ---- a torn last command ----
printf '*3\r\n$3\r\nSET\r\n$4\r\ntorn\r\n$5\r\nval' >>"$INCR"
refuse_start "torn tail with aof-load-truncated no" \
    "incomplete command at offset $size0 .*redis-check-aof --fix" $FL --aof-load-truncated no
start_server $FL
expect_log "last command truncated, 30 bytes dropped" "the torn tail is reported"
check '"v50"' get k50
check "(integer) 0" exists torn
stop_server || fail "server did not stop cleanly"
CHECKS=$((CHECKS + 1))
redis-check-aof "$DATA/appendonlydir/appendonly.aof.manifest" 2>&1 | grep -q "are valid" ||
    { echo "FAIL: the log is not valid after truncation" >&2; FAILS=$((FAILS + 1)); }

# ---- a MULTI block torn by a crash: dropped whole ----
size1=$(stat -c %s "$INCR")
printf '*1\r\n$5\r\nMULTI\r\n*2\r\n$3\r\nDEL\r\n$2\r\nh1\r\n*4\r\n$4\r\nHSET\r\n$2\r\nh1\r\n$1\r\na\r\n' >>"$INCR"
start_server $FL
check $'1) "1"\n2) "2"' hmget h1 a b
stop_server || fail "server did not stop cleanly"
CHECKS=$((CHECKS + 1))
[ "$(stat -c %s "$INCR")" -ge "$size1" ] || { echo "FAIL: truncated below the last block" >&2; FAILS=$((FAILS + 1)); }

# ---- damage before the end ----
cp "$INCR" "$DATA/incr.good"
printf 'X' | dd of="$INCR" bs=1 seek=100 conv=notrunc status=none
refuse_start "damage in the middle of the log" \
    "$INCR at offset [0-9]+: .*redis-check-aof" $FL
cp "$DATA/incr.good" "$INCR"

# ---- RDB checksum mismatch ----
start_server $FL
check "OK" save
stop_server || fail "server did not stop cleanly"
mkdir "$DATA/rdb" && cp "$DATA/dump.rdb" "$DATA/rdb/"
printf 'Z' | dd of="$DATA/rdb/dump.rdb" bs=1 seek=120 conv=notrunc status=none
refuse_start "an RDB checksum mismatch" \
    "dump.rdb at offset [0-9]+: checksum mismatch .*redis-check-rdb" --dir "$DATA/rdb"
finish
