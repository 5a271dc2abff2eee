#!/usr/bin/env bash
# tests/server/startup.sh: process-level guarantees of a running server.
#  - One port, one server: a second flatline-server on a busy port refuses to start (exit
#    status non-zero, "Address already in use") instead of silently sharing the port, and the
#    first keeps serving every connection with its own data; connections spread over the
#    workers (hand-off to the least loaded) are all served and counted.
#  - Signals: every thread (main, workers, the store's and jemalloc's background threads) has
#    SIGINT and SIGTERM blocked, so only the main thread's sigtimedwait takes them and the
#    shutdown is always the graceful one (exit 0, checked by lib.sh's stop_server).
. "$(dirname "$0")/lib.sh"
start_server --threads 2
check "OK" set owner first

# ---- a second server on the same port ----
out=$(timeout 30 "$SERVER" --port "$PORT" --threads 2 2>&1)
st=$?
CHECKS=$((CHECKS + 1))
if [ "$st" = 0 ] || [ "$st" = 124 ]; then
    echo "FAIL: a second server on busy port $PORT exited with $st (124: still running): $out" >&2
    FAILS=$((FAILS + 1))
fi
CHECKS=$((CHECKS + 1))
printf '%s' "$out" | grep -q "cannot listen on 127.0.0.1:$PORT: Address already in use" || {
    echo "FAIL: the second server's message does not say the address is in use: $out" >&2
    FAILS=$((FAILS + 1))
}
kill -0 "$SPID" 2>/dev/null || fail "the first server died"
# Many new connections (spread over both workers): every one reaches the first server.
for i in $(seq 20); do
    check '"first"' get owner
done

# ---- connections handed between workers ----
# The accepting worker passes each new connection to the least loaded worker: 20 connections
# held open at once all answer, are all counted, and the count returns when they close.
fds=()
for i in $(seq 20); do
    exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect ($i)"
    fds+=("$fd")
done
for fd in "${fds[@]}"; do
    printf 'PING\r\n' >&"$fd"
    IFS= read -r -t 10 line <&"$fd" || fail "no reply on connection fd $fd"
    [ "$line" = $'+PONG\r' ] || fail "connection fd $fd got '$line'"
done
[ "$(info_field clients connected_clients)" = 21 ] ||
    fail "connected_clients $(info_field clients connected_clients), expected 21"
for fd in "${fds[@]}"; do exec {fd}>&-; done
n=""
for _ in $(seq 100); do # closes are noticed asynchronously
    n=$(info_field clients connected_clients)
    [ "$n" = 1 ] && break
    sleep 0.05
done
CHECKS=$((CHECKS + 1))
[ "$n" = 1 ] || { echo "FAIL: connected_clients $n after closing, expected 1" >&2; FAILS=$((FAILS + 1)); }

# ---- signal masks of every thread ----
# SigBlk is a hex mask; bit (signo - 1): SIGINT 2 -> 0x2, SIGTERM 15 -> 0x4000. The main thread
# (tid = pid) is left out: it waits in sigtimedwait, which unblocks the awaited signals for the
# duration of the wait (the kernel's rt_sigtimedwait), and that is where they must arrive.
want=$(((1 << 1) | (1 << 14)))
threads=0
for st in /proc/"$SPID"/task/*/status; do
    [ "$st" = "/proc/$SPID/task/$SPID/status" ] && continue
    blk=$(sed -n 's/^SigBlk:[[:space:]]*//p' "$st" 2>/dev/null) || continue
    [ -n "$blk" ] || continue # a thread that ended meanwhile
    name=$(sed -n 's/^Name:[[:space:]]*//p' "$st")
    threads=$((threads + 1))
    CHECKS=$((CHECKS + 1))
    if [ $((16#$blk & want)) != "$want" ]; then
        echo "FAIL: thread $st ($name) does not block SIGINT/SIGTERM: SigBlk $blk" >&2
        FAILS=$((FAILS + 1))
    fi
done
# 2 workers and the store's background thread at least
[ "$threads" -ge 3 ] || fail "only $threads threads found in /proc/$SPID/task"
echo "$threads threads besides main block SIGINT and SIGTERM"
finish
