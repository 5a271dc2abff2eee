#!/usr/bin/env bash
# tests/persist/faults.sh: a log that cannot be written, and signals.
#  - a full disk, simulated by lowering the running server's RLIMIT_FSIZE (prlimit) below the
#    log's size: writes get Redis's -MISCONF wording, reads keep working, INFO says
#    aof_last_write_status:err; once the limit is lifted, writes resume by themselves (no
#    command needed), and after a restart every acknowledged write is there;
#  - SIGHUP is logged and ignored: the server keeps serving;
#  - save rules and the automatic log rewrite fire by themselves; SIGTERM saves when rules are
#    set, SHUTDOWN NOSAVE does not, SHUTDOWN SAVE does without rules.
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
stop_server || fail "server did not stop cleanly"

# ---- save rules, automatic rewrite, shutdown saving ----
# wait_info FIELD VALUE: polls INFO persistence (up to 20 s) until FIELD has VALUE.
wait_info() {
    for _ in $(seq 400); do
        [ "$(info_field persistence "$1")" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}
mkdir "$DATA/rules"
start_server --dir "$DATA/rules" --appendonly yes --threads 2 --save "1 1" \
    --auto-aof-rewrite-percentage 10 --auto-aof-rewrite-min-size 1kb
check "OK" set ruled 1
CHECKS=$((CHECKS + 1))
wait_info rdb_saves 1 || { echo "FAIL: save 1 1 did not snapshot" >&2; FAILS=$((FAILS + 1)); }
for i in $(seq 100); do echo "SET pad$i $(printf 'x%.0s' $(seq 50))"; done | redis-cli -p "$PORT" >/dev/null
CHECKS=$((CHECKS + 1))
for _ in $(seq 400); do
    [ -e "$DATA/rules/appendonlydir/appendonly.aof.2.base.rdb" ] && break
    sleep 0.05
done
[ -e "$DATA/rules/appendonlydir/appendonly.aof.2.base.rdb" ] ||
    { echo "FAIL: the log was not rewritten automatically" >&2; FAILS=$((FAILS + 1)); }
check "OK" set last-before-term 1
kill -TERM "$SPID"
wait "$SPID"
SPID=""
expect_log "Saving the final RDB snapshot before exiting" "SIGTERM saves with save rules"
mkdir "$DATA/rules2" && cp "$DATA/rules/dump.rdb" "$DATA/rules2/"
start_server --dir "$DATA/rules2" --threads 2 --appendonly no # RDB saving alone
check '"1"' get last-before-term
check "OK" set only-in-memory 1
rc shutdown nosave >/dev/null
wait "$SPID"
SPID=""
start_server --dir "$DATA/rules2" --threads 2 --appendonly no # RDB saving alone
check "(integer) 0" exists only-in-memory
check "OK" set saved-by-shutdown 1
rc shutdown save >/dev/null
wait "$SPID"
SPID=""
start_server --dir "$DATA/rules2" --threads 2 --appendonly no # RDB saving alone
check '"1"' get saved-by-shutdown
finish
