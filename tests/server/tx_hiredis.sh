#!/usr/bin/env bash
# tests/server/tx_hiredis.sh: transactions, WATCH, a redis-py style lock over EVALSHA and
# pub/sub ordering through hiredis (test_tx_hiredis.c), against a server with several workers.
# With COMPARE_PORT set, runs against a server already listening there (e.g. redis-server).
. "$(dirname "$0")/lib.sh"
[ -x "${TX_HIREDIS_TEST:-}" ] || { echo "skipped: hiredis test not built (libhiredis-dev missing)"; exit 77; }
if [ -n "${COMPARE_PORT:-}" ]; then
    PORT=$COMPARE_PORT
    rc flushall >/dev/null
else
    start_server --threads 3
fi
timeout 200 "$TX_HIREDIS_TEST" "$PORT" || fail "transaction/script/pubsub hiredis test failed"
