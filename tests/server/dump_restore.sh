#!/usr/bin/env bash
# tests/server/dump_restore.sh: DUMP / RESTORE side by side with redis-server 7.0 (payloads
# both ways, errors, TTLs, IDLETIME, the quota; dump_restore.py), then a restart on the log
# gives every restored value back and no hidden key of RESTORE's.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "skipped: python3 not installed"; exit 77; }
start_server --threads 2 --namespace.tiny.memory-limit 1mb # tiny: db 2
start_redis
CHECKS=$((CHECKS + 1))
python3 "$(dirname "$0")/dump_restore.py" "$PORT" "$RPORT" || { FAILS=$((FAILS + 1)); }
check '"hello"' get sraw_c
check "(integer) 600" scard sbig_c
stop_server || fail "server did not stop cleanly"
start_server --threads 2 --namespace.tiny.memory-limit 1mb
check '"hello"' get sraw_c
check "(integer) 600" scard sbig_c
check "(integer) 700" hlen hbig_c
check '"hello"' get lsmall
check "(integer) 0" exists t3
check '"kept"' -n 2 get old
CHECKS=$((CHECKS + 1))
[ "$(rc --scan --pattern '*flatline:restore*' | wc -l)" = 0 ] || { echo "FAIL: a hidden restore key is visible" >&2; FAILS=$((FAILS + 1)); }
finish
