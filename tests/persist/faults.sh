#!/usr/bin/env bash
# tests/persist/faults.sh: a log that cannot be written, and signals.
#  - a full disk, simulated by lowering the running server's RLIMIT_FSIZE (prlimit) below the
#    log's size: writes get Redis's -MISCONF wording, reads keep working, INFO says
#    aof_last_write_status:err; once the limit is lifted, writes resume by themselves (no
#    command needed), and after a restart every acknowledged write is there;
#  - SIGHUP is logged and ignored: the server keeps serving.
. "$(dirname "$0")/lib.sh"
need_tools prlimit

FL="--dir $DATA --appendonly yes --appendfsync always --threads 2"
start_server $FL
check "OK" set before full
INCR=$(ls "$DATA"/appendonlydir/*.incr.aof)
size=$(stat -c %s "$INCR")
prlimit --pid "$SPID" --fsize=$((size + 200)): || fail "prlimit failed"
# Writes until one is refused; each acknowledged one is remembered. The write whose log bytes
# first fail to be written is applied but not acknowledged: its reply waits until the log is
# durable (redis-cli gives up after 2 s here; the reply comes once the disk has room).
acked=0
refused=""
for i in $(seq 200); do
    out=$(timeout 2 redis-cli -p "$PORT" set "k$i" "$(printf 'v%.0s' $(seq 20))" 2>&1)
    if [ "$out" = "OK" ]; then
        acked=$i
    elif [ -n "$out" ]; then
        refused=$out
        break
    fi
done
CHECKS=$((CHECKS + 1))
printf '%s' "$refused" | grep -q "^MISCONF Errors writing to the AOF file: File too large" ||
    { echo "FAIL: a write on a full disk answered: $(printf '%q' "$refused")" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
[ "$(info_field persistence aof_last_write_status)" = err ] ||
    { echo "FAIL: INFO does not report the write error" >&2; FAILS=$((FAILS + 1)); }
check '"full"' get before
check_match "^\(error\) MISCONF" set another x
prlimit --pid "$SPID" --fsize=unlimited: || fail "prlimit failed"
for _ in $(seq 100); do
    [ "$(info_field persistence aof_last_write_status)" = ok ] && break
    sleep 0.05
done
check "OK" set after space
expect_log "append only file written again: writes accepted" "recovery is logged"

# ---- SIGHUP ----
kill -HUP "$SPID"
sleep 0.2
check "PONG" ping
expect_log "Received SIGHUP" "SIGHUP is logged"

stop_server || fail "server did not stop cleanly"
start_server $FL
for i in $(seq "$acked"); do
    check "\"$(printf 'v%.0s' $(seq 20))\"" get "k$i"
done
check '"space"' get after
echo "acknowledged before the disk filled: $acked"
finish
