#!/usr/bin/env bash
# tests/server/bitfield.sh: BITFIELD and BITFIELD_RO side by side with redis-server 7.0
# (bitfield.py: every malformed form, MULTI/EXEC, scripts, then generated commands; replies and
# values compared byte for byte), ACL key permissions (a GET-only BITFIELD needs read
# permission only, a write both), then durability: each BITFIELD that writes is one log record
# holding its effect (the new key's value, or the bytes it wrote), and a restart from the log,
# one from an RDB snapshot, and redis-server loading flatline's log directory all give
# redis-server's values back.
# SEED=n COUNT=n replay or lengthen the generated part.
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "skipped: python3 not installed"; exit 77; }
PY="$(cd "$(dirname "$0")" && pwd)/bitfield.py"
start_server --threads 2 # on its defaults: every write logged (appendonly yes, fsync always)
start_redis

CHECKS=$((CHECKS + 1))
python3 "$PY" run "$PORT" "$RPORT" ${SEED:-} ${SEED:+${COUNT:-3000}} || FAILS=$((FAILS + 1))

# ACL: %R~ is enough for reads (BITFIELD with GETs only, BITFIELD_RO), writes need %W~ too.
for p in "$PORT" "$RPORT"; do
    redis-cli -p "$p" acl setuser r on nopass '%R~*' +@all >/dev/null
    redis-cli -p "$p" acl setuser w on nopass '%W~*' +@all >/dev/null
    redis-cli -p "$p" acl setuser ro on nopass '~*' -@all +bitfield_ro >/dev/null
done
for u in r w ro; do
    for cmd in "bitfield bf0 get u8 0" "bitfield bf0 overflow sat get i4 0" "bitfield bf0" \
        "bitfield bf0 set u8 0 1" "bitfield bf0 get u8 0 incrby u8 0 1" "bitfield bf0 get x 0" \
        "bitfield_ro bf0 get u8 0" "bitfield_ro bf0 set u8 0 1"; do
        # shellcheck disable=SC2086
        check_same --user "$u" --pass x $cmd
    done
done
check_same command getkeys bitfield bf0 get u8 0 set u8 0 1
check_same acl dryrun r bitfield bf0 get u8 0
check_same acl dryrun r bitfield bf0 set u8 0 1

# The log: one record per BITFIELD that changed its key: SET of a new key, SETRANGE of the bytes.
CHECKS=$((CHECKS + 1))
python3 "$PY" log "$PORT" "$(ls "$WORKDIR"/appendonlydir/*.incr.aof)" || FAILS=$((FAILS + 1))

# Restart from the log, then from an RDB snapshot (log off), then the log again.
same_as_redis() {
    CHECKS=$((CHECKS + 1))
    python3 "$PY" same "$PORT" "$RPORT" || { echo "FAIL: after $1" >&2; FAILS=$((FAILS + 1)); }
}
stop_server || fail "server did not stop cleanly"
start_server --threads 2
same_as_redis "a restart from the log"
check OK save
stop_server || fail "server did not stop cleanly"
mv appendonlydir appendonlydir.kept
start_server --threads 2 --appendonly no
same_as_redis "a restart from dump.rdb"
stop_server || fail "server did not stop cleanly"
mv appendonlydir.kept appendonlydir
start_server --threads 2
same_as_redis "a second restart from the log"
redis-cli -p "$PORT" bitfield bf0 incrby u8 0 1 >/dev/null
redis-cli -p "$RPORT" bitfield bf0 incrby u8 0 1 >/dev/null
stop_server || fail "server did not stop cleanly"

# redis-server 7.0 replays flatline's log directory (base RDB + RESP records) to the same values.
cp -r appendonlydir "$WORKDIR/copy" && mkdir -p "$WORKDIR/rdir" && mv "$WORKDIR/copy" "$WORKDIR/rdir/appendonlydir"
RPORT_FIRST=$RPORT
start_redis --appendonly yes --dir "$WORKDIR/rdir"
CHECKS=$((CHECKS + 1))
python3 "$PY" same "$RPORT" "$RPORT_FIRST" || { echo "FAIL: redis-server loading flatline's log" >&2; FAILS=$((FAILS + 1)); }
finish
