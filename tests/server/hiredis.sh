#!/usr/bin/env bash
# tests/server/hiredis.sh: starts the server and runs the hiredis client test against it.
. "$(dirname "$0")/lib.sh"
[ -x "${HIREDIS_TEST:-}" ] || { echo "skipped: hiredis test not built (libhiredis-dev missing)"; exit 77; }
start_server --threads 2
timeout 100 "$HIREDIS_TEST" "$PORT" || fail "hiredis test failed"
