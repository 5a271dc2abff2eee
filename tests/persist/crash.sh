#!/usr/bin/env bash
# tests/persist/crash.sh: kill -9 under concurrent writers.
#  - appendfsync always, PERSIST_CRASH_ROUNDS (default 20) kills at random moments: writers
#    (redis-cli, one command at a time) record every +OK; after each restart every
#    acknowledged key is present with its value;
#  - appendfsync everysec: a few kills; the window lost (acknowledged keys missing, in seconds
#    of that writer's rate) is reported, not asserted (time is noise on shared machines);
#  - a kill during BGSAVE leaves a dump.rdb redis-check-rdb accepts (the previous one or the
#    new one, never a torn file); a kill during BGREWRITEAOF loses no acknowledged write.
. "$(dirname "$0")/lib.sh"
need_tools redis-check-rdb redis-benchmark
ROUNDS=${PERSIST_CRASH_ROUNDS:-20}
WRITERS=4

# writers TAG: starts WRITERS redis-cli processes writing TAG:w<n>:<i> = v<i>.
WPIDS=()
writers() {
    WPIDS=()
    for w in $(seq $WRITERS); do
        seq 1 400000 | sed "s/.*/SET $1:w$w:& v&/" |
            redis-cli -p "$PORT" >"$DATA/ack.$1.$w" 2>/dev/null &
        WPIDS+=($!)
    done
}

# stop_writers: after a crash, redis-cli would go on trying to reconnect: end it (by PID).
stop_writers() {
    kill "${WPIDS[@]}" 2>/dev/null
    wait "${WPIDS[@]}" 2>/dev/null
}

# verify_acked TAG: every key a writer got +OK for is present with its value. Prints the
# number of acknowledged keys missing (0 expected with appendfsync always).
verify_acked() {
    local missing=0
    for w in $(seq $WRITERS); do
        local n
        n=$(grep -c '^OK$' "$DATA/ack.$1.$w")
        [ "$n" -gt 0 ] || continue
        seq 1 "$n" | sed "s/.*/GET $1:w$w:&/" | redis-cli -p "$PORT" >"$DATA/got"
        seq 1 "$n" | sed 's/.*/v&/' >"$DATA/want"
        missing=$((missing + $(diff "$DATA/want" "$DATA/got" | grep -c '^<')))
    done
    echo "$missing"
}

rand_sleep() { # 0.05 .. 0.60 s
    sleep "0.$(printf '%02d' $((5 + RANDOM % 56)))"
}

FL="--dir $DATA --appendonly yes --appendfsync always --threads 2"
start_server $FL
total=0
for r in $(seq "$ROUNDS"); do
    writers "a$r"
    rand_sleep
    crash_server
    stop_writers
    start_server $FL
    acked=$(cat "$DATA"/ack.a$r.* | grep -c '^OK$')
    total=$((total + acked))
    missing=$(verify_acked "a$r")
    CHECKS=$((CHECKS + 1))
    if [ "$missing" != 0 ]; then
        echo "FAIL: round $r (always): $missing of $acked acknowledged keys lost" >&2
        FAILS=$((FAILS + 1))
    fi
done
echo "appendfsync always: $ROUNDS kills, $total acknowledged writes, none lost"

# ---- a kill during BGSAVE and during BGREWRITEAOF ----
# enough keys that a snapshot takes a while, few enough that a sanitizer build reloads them
# within start_server's wait
redis-benchmark -p "$PORT" -t set -n 100000 -r 50000 -d 100 -P 16 -q >/dev/null
check "OK" save
keys0=$(rc dbsize)
check "Background saving started" bgsave
during=$(info_field persistence rdb_bgsave_in_progress)
crash_server
echo "killed with rdb_bgsave_in_progress:$during"
out=$(redis-check-rdb "$DATA/dump.rdb" 2>&1)
CHECKS=$((CHECKS + 1))
printf '%s' "$out" | grep -q "RDB looks OK" ||
    { echo "FAIL: dump.rdb after a kill during BGSAVE: $out" >&2; FAILS=$((FAILS + 1)); }
start_server $FL
check "$keys0" dbsize
writers rw
sleep 0.3
check "Background append only file rewriting started" bgrewriteaof
during=$(info_field persistence aof_rewrite_in_progress)
sleep 0.0$((RANDOM % 10))
crash_server
stop_writers
echo "killed with aof_rewrite_in_progress:$during"
start_server $FL
missing=$(verify_acked rw)
CHECKS=$((CHECKS + 1))
[ "$missing" = 0 ] || { echo "FAIL: kill during a rewrite: $missing acknowledged keys lost" >&2; FAILS=$((FAILS + 1)); }
check_match "^\(integer\) [0-9]+$" dbsize
stop_server || fail "server did not stop cleanly"

# ---- appendfsync everysec: report the window ----
FL="--dir $DATA --appendonly yes --appendfsync everysec --threads 2"
start_server $FL
for r in 1 2 3; do
    writers "e$r"
    t0=$(date +%s.%N)
    rand_sleep
    crash_server
    t1=$(date +%s.%N)
    stop_writers
    start_server $FL
    acked=$(cat "$DATA"/ack.e$r.* | grep -c '^OK$')
    missing=$(verify_acked "e$r")
    awk -v m="$missing" -v a="$acked" -v t0="$t0" -v t1="$t1" 'BEGIN {
        rate = a / (t1 - t0); printf "appendfsync everysec, kill %d: %d of %d acknowledged writes lost = %.4f s of writes\n", '"$r"', m, a, (rate > 0 ? m / rate : 0) }'
done
finish
