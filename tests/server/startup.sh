#!/usr/bin/env bash
# tests/server/startup.sh: process-level guarantees of a running server.
#  - One port, one server: a second flatline-server on a busy port refuses to start (exit
#    status non-zero, "Address already in use") instead of silently sharing the port, and the
#    first keeps serving every connection with its own data.
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

finish
