#!/usr/bin/env bash
# tests/server/hll.sh: the HyperLogLog commands side by side with redis-server 7.0 (hll.py:
# random sets through PFADD, PFCOUNT, PFMERGE, PFDEBUG, the raw bytes, errors, DUMP/RESTORE
# both ways), then the values they left, byte for byte on both servers, survive:
#  - a restart of flatline on its log (the replay gives the same bytes);
#  - flatline's dump.rdb loaded by redis-server, and redis-server's dump.rdb loaded by flatline,
#    still counting alike (PFCOUNT) and editing alike (PFADD).
# HLL_SIZES / HLL_SEED pass through to hll.py (a bigger sweep: HLL_SIZES=0,1000,50000,200000).
. "$(dirname "$0")/lib.sh"
command -v python3 >/dev/null || { echo "skipped: python3 not installed"; exit 77; }
mkdir -p "$WORKDIR/fl" "$WORKDIR/redis"
start_server --threads 2 --dir "$WORKDIR/fl"
start_redis --dir "$WORKDIR/redis"
CHECKS=$((CHECKS + 1))
python3 "$(dirname "$0")/hll.py" "$PORT" "$RPORT" || FAILS=$((FAILS + 1))

# snapshot PORT: every key with its value as redis-cli quotes it (binary-safe), sorted.
snapshot() {
    local k
    redis-cli -p "$1" --scan | sort | while read -r k; do
        printf '%s %s\n' "$k" "$(redis-cli -p "$1" --no-raw get "$k")"
    done
}
# counts PORT: PFCOUNT of every key (refreshing the cached cardinality), then a PFADD to each.
counts() {
    local k
    redis-cli -p "$1" --scan | sort | while read -r k; do
        printf '%s %s %s\n' "$k" "$(redis-cli -p "$1" pfcount "$k")" \
            "$(redis-cli -p "$1" pfadd "$k" after-load-1 after-load-2)"
    done
}
# same_as_redis WHAT: flatline's keys and values are redis-server's.
same_as_redis() {
    CHECKS=$((CHECKS + 1))
    [ "$(snapshot "$PORT")" = "$(snapshot "$RPORT")" ] ||
        { echo "FAIL: $1: values differ from redis-server's" >&2; FAILS=$((FAILS + 1)); }
}

same_as_redis "after hll.py"
want=$(snapshot "$RPORT")
CHECKS=$((CHECKS + 1))
[ "$(printf '%s\n' "$want" | grep -c HYLL)" -gt 20 ] || { echo "FAIL: too few HLLs left" >&2; FAILS=$((FAILS + 1)); }

# ---- flatline restarted on its log ----
stop_server || fail "server did not stop cleanly"
start_server --threads 2 --dir "$WORKDIR/fl" --appendonly yes
same_as_redis "flatline restarted on its log"

# ---- a PFADD that raises registers of a dense HLL logs those bytes, not the 12 KB value ----
# shellcheck disable=SC2046
rc pfadd log:dense $(seq 3000) >/dev/null
check 'dense' pfdebug encoding log:dense
before=$(info_field persistence aof_current_size)
changed=$(for i in $(seq 400); do echo "PFADD log:dense log-element-$i"; done | redis-cli -p "$PORT" | grep -c '^1$')
sleep 0.3
grown=$(($(info_field persistence aof_current_size) - before))
CHECKS=$((CHECKS + 1))
if [ "$changed" -lt 10 ] || [ "$grown" -gt $((changed * 400)) ]; then
    echo "FAIL: $changed PFADDs that changed log:dense grew the log by $grown bytes" >&2
    FAILS=$((FAILS + 1))
fi
stop_server || fail "server did not stop cleanly"
start_server --threads 2 --dir "$WORKDIR/fl" --appendonly yes
# shellcheck disable=SC2046
redis-cli -p "$RPORT" pfadd log:dense $(seq 3000) >/dev/null
for i in $(seq 400); do echo "PFADD log:dense log-element-$i"; done | redis-cli -p "$RPORT" >/dev/null
same_as_redis "the log's SETRANGEs replayed"

# ---- flatline's dump.rdb loaded by redis-server, and the other way round ----
want=$(snapshot "$RPORT")
rc save >/dev/null
redis-cli -p "$RPORT" save >/dev/null
mkdir -p "$WORKDIR/fl-rdb" "$WORKDIR/redis-rdb"
cp "$WORKDIR/fl/dump.rdb" "$WORKDIR/redis-rdb/"
cp "$WORKDIR/redis/dump.rdb" "$WORKDIR/fl-rdb/"
stop_server || fail "server did not stop cleanly"
start_server --threads 2 --dir "$WORKDIR/fl-rdb" --appendonly no # loads redis-server's dump.rdb
start_redis --dir "$WORKDIR/redis-rdb"                             # loads flatline's
CHECKS=$((CHECKS + 1))
[ "$(snapshot "$PORT")" = "$want" ] || { echo "FAIL: flatline loading redis's dump.rdb" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
[ "$(snapshot "$RPORT")" = "$want" ] || { echo "FAIL: redis loading flatline's dump.rdb" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
[ "$(counts "$PORT")" = "$(counts "$RPORT")" ] || { echo "FAIL: PFCOUNT / PFADD after the RDB swap" >&2; FAILS=$((FAILS + 1)); }
same_as_redis "after PFCOUNT and PFADD on the swapped dumps"
finish
