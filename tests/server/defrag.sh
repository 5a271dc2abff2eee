#!/usr/bin/env bash
# tests/server/defrag.sh: active defragmentation through the real server and redis-cli.
# Two namespaces each lose 90 % of their keys (a third of them carry a TTL):
#   - "ondemand" (background defrag off): MEMORY DEFRAG ondemand moves records and reports a
#     lower resident size; every remaining value and TTL is intact afterwards;
#   - "bg" (background defrag on): the policy starts by itself while a redis-cli writer keeps
#     overwriting keys and another reads them, gives memory back and stops; INFO shows it;
#     afterwards every value is the last one written and TTLs are kept.
# Then MEMORY STATS and INFO (stats: Redis's active_defrag_* names; namespaces) report it, and
# Redis's active-defrag-* options given at the top level apply to every namespace.
. "$(dirname "$0")/lib.sh"
N=${DEFRAG_TEST_KEYS:-100000}
start_server --threads 2 \
    --namespace.ondemand.defrag-pct 0 --namespace.ondemand.dirty-decay-ms 0 \
    --namespace.bg.defrag-pct 10 --namespace.bg.defrag-ignore-bytes 1mb \
    --namespace.bg.defrag-cycle-max 50 --namespace.bg.dirty-decay-ms 0
# namespaces: 0 default, 1 cache (embedded), 2 ondemand, 3 bg

# RESP streams (redis-cli --pipe): value of key i is "v<i>-" padded with x to 100 bytes;
# keys i % 3 == 0 get EX 100000.
gen_set() {
    awk -v n="$N" 'BEGIN {
        pad = sprintf("%100s", ""); gsub(/ /, "x", pad)
        for (i = 0; i < n; i++) {
            k = "key:" i; v = substr("v" i "-" pad, 1, 100)
            if (i % 3 == 0)
                printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n$2\r\nEX\r\n$6\r\n100000\r\n", length(k), k, v
            else
                printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$100\r\n%s\r\n", length(k), k, v
        }
    }'
}
gen_del() { # keeps i % 10 == 0
    awk -v n="$N" 'BEGIN { for (i = 0; i < n; i++) if (i % 10) {
        k = "key:" i; printf "*2\r\n$3\r\nDEL\r\n$%d\r\n%s\r\n", length(k), k } }'
}
pipe() { # DB: stdin -> server
    local out
    out=$(redis-cli -p "$PORT" -n "$1" --pipe 2>&1)
    printf '%s' "$out" | grep -q 'errors: 0,' || fail "redis-cli --pipe: $out"
}
# verify DB SUFFIX_OF_REWRITTEN: every kept key holds its value (keys i % 20 == 0 were
# overwritten with "w<i>" by the writer in db 3) and TTL state.
verify() {
    local db=$1 rewritten=$2 got want
    got=$(awk -v n="$N" 'BEGIN { for (i = 0; i < n; i += 10) print "GET key:" i }' |
        redis-cli -p "$PORT" -n "$db" | md5sum)
    want=$(awk -v n="$N" -v rw="$rewritten" 'BEGIN {
        pad = sprintf("%100s", ""); gsub(/ /, "x", pad)
        for (i = 0; i < n; i += 10)
            print (rw && i % 20 == 0) ? "w" i : substr("v" i "-" pad, 1, 100) }' | md5sum)
    [ "$got" = "$want" ] || fail "db $db: a remaining value was lost or changed by defrag"
    # TTLs: keys i % 30 == 0 have one (EX 100000, KEEPTTL on rewrites), the others none
    got=$(awk -v n="$N" 'BEGIN { for (i = 0; i < n; i += 10) print "TTL key:" i }' |
        redis-cli -p "$PORT" -n "$db" | awk -v n="$N" '
            { i = (NR - 1) * 10; ttl = $1 + 0
              if (i % 30 == 0 && (ttl < 90000 || ttl > 100000)) bad++
              if (i % 30 != 0 && ttl != -1) bad++ }
            END { print bad + 0 }')
    [ "$got" = 0 ] || fail "db $db: $got TTLs not kept"
    CHECKS=$((CHECKS + 2))
}
ns_field() { # NAMESPACE FIELD
    redis-cli -p "$PORT" info namespaces | tr -d '\r' | tr ',' '\n' |
        sed -n "/^ns_$1:/,\$p" | awk -F= -v f="$2" '$1 == f {print $2; exit}'
}

# ---- on demand ----
gen_set | pipe 2
gen_del | pipe 2
check "(integer) $((N / 10))" -n 2 dbsize
out=$(redis-cli -p "$PORT" memory defrag ondemand)
moved=$(printf '%s\n' "$out" | awk 'p {print; exit} $0 == "moved" {p = 1}')
before=$(printf '%s\n' "$out" | awk 'p {print; exit} $0 == "resident-before" {p = 1}')
after=$(printf '%s\n' "$out" | awk 'p {print; exit} $0 == "resident-after" {p = 1}')
[ "${moved:-0}" -gt $((N / 100)) ] || fail "MEMORY DEFRAG moved ${moved:-nothing}: $out"
[ "$after" -lt "$before" ] || fail "resident did not come down: $before -> $after"
CHECKS=$((CHECKS + 2))
verify 2 0
[ "$(ns_field ondemand defrag_passes)" = 1 ] || fail "INFO: ondemand defrag_passes $(ns_field ondemand defrag_passes)"
[ "$(ns_field ondemand defrag_running)" = 0 ] || fail "INFO: ondemand still running"

# ---- background, while clients read and write ----
gen_set | pipe 3
# writer: overwrites every 20th kept key (KEEPTTL) again and again; reader: GETs them
(for _ in 1 2 3 4 5; do
    awk -v n="$N" 'BEGIN { for (i = 0; i < n; i += 20) printf "*4\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$%d\r\nw%d\r\n$7\r\nKEEPTTL\r\n", length("key:" i), i, length("w" i), i }' |
        redis-cli -p "$PORT" -n 3 --pipe >/dev/null 2>&1
done) &
writer=$!
(for _ in 1 2 3 4 5; do
    awk -v n="$N" 'BEGIN { for (i = 0; i < n; i += 10) print "GET key:" i }' |
        redis-cli -p "$PORT" -n 3 >/dev/null 2>&1
done) &
reader=$!
gen_del | pipe 3
ok=0
for _ in $(seq 600); do # up to 60 s (sanitizer builds are slow)
    if [ "$(ns_field bg defrag_passes)" -ge 1 ] 2>/dev/null &&
        [ "$(ns_field bg defrag_running)" = 0 ]; then
        ok=1
        break
    fi
    sleep 0.1
done
wait "$writer" "$reader"
[ "$ok" = 1 ] || fail "background defrag did not run and stop: $(redis-cli -p "$PORT" info namespaces | grep ns_bg)"
[ "$(ns_field bg defrag_moves)" -gt $((N / 100)) ] || fail "background defrag moved $(ns_field bg defrag_moves)"
[ "$(ns_field bg defrag_bytes_freed)" -gt 0 ] || fail "background defrag freed nothing"
CHECKS=$((CHECKS + 3))
verify 3 1
check_match "defrag-moves" memory stats
check_match "^active_defrag_hits:[1-9]" info stats
check_match "defrag_scanned=[1-9][0-9]*,.*defrag_lock_holds=[1-9]" info namespaces

# ---- Redis's active-defrag names at the top level apply to every namespace ----
stop_server || fail "server did not stop cleanly"
start_server --threads 1 --activedefrag no --active-defrag-cycle-max 30 \
    --namespace.x.partitions 16 --namespace.y.defrag-pct 20
check $'1) "activedefrag"\n2) "no"' config get activedefrag
check $'1) "active-defrag-cycle-max"\n2) "30"' config get active-defrag-cycle-max
check $'1) "namespace.x.defrag-pct"\n2) "0"' config get namespace.x.defrag-pct
check $'1) "namespace.x.defrag-cycle-max"\n2) "30"' config get namespace.x.defrag-cycle-max
check $'1) "namespace.y.defrag-pct"\n2) "20"' config get namespace.y.defrag-pct
out=$(timeout 10 "$SERVER" --port "$("$TOOL" port)" --active-defrag-cycle-max 300 2>&1) &&
    fail "cycle-max 300 accepted"
printf '%s' "$out" | grep -q "active-defrag-cycle-max" || fail "error does not name the option: $out"
finish
