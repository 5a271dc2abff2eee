#!/usr/bin/env bash
# tests/server/values.sh: large string values (stored in two blocks when one would waste a
# size class's rounding) side by side with Debian's redis-server 7.0.15: GET, GETRANGE around
# and across any split point, SETRANGE inside and past the end, APPEND, SETBIT/GETBIT, STRLEN,
# GETEX, LCS, OBJECT ENCODING, MGET, SORT ... GET, COPY, RENAME, GETDEL; then DEBUG RELOAD (the
# RDB path) and a restart after BGREWRITEAOF (the AOF rewrite and its replay) must give every
# value back byte for byte (compared with redis-server's, which did the same edits) with the
# same DEBUG DIGEST-VALUE as before. (flatline's digests are not Redis's: it mixes its own type
# numbers, so they are compared with flatline's own, before and after.)
. "$(dirname "$0")/lib.sh"

start_redis --enable-debug-command yes
start_server --threads 2 --enable-debug-command yes

# val N SEED: N deterministic letters (no value here is a number).
val() {
    python3 -c "import random,sys; r=random.Random($2); sys.stdout.write(''.join(chr(97+r.randrange(26)) for _ in range($1)))"
}
both() {
    redis-cli -p "$PORT" "$@" >/dev/null 2>&1
    redis-cli -p "$RPORT" "$@" >/dev/null 2>&1
}

# Values around size classes (a 16-byte key): 1030 and 1100 land past the 1024 class, 1500,
# 2100, 5000 between larger ones, 17000 and 70000 in jemalloc's large classes (70000: past the
# 64 KiB narrow length too), 1000 fills 1024 exactly (one block), 300 stays small.
SIZES="300 1000 1030 1100 1500 2100 5000 17000 70000"
keys=""
for n in $SIZES; do
    k=$(printf 'value:%010d' "$n")
    keys="$keys $k"
    both set "$k" "$(val "$n" "$n")"
    check_same strlen "$k"
    check_same get "$k"
    check_same object encoding "$k"
    for r in "0 -1" "1000 1100" "1010 1030" "$((n - 50)) $((n + 5))" "-100 -1" "500 3000" \
        "-$((n + 10)) 20" "$((n / 2)) $((n / 2))" "7 3"; do
        # shellcheck disable=SC2086
        check_same getrange "$k" $r
    done
    for b in 0 7 $((8 * 1000 + 3)) $((8 * n - 1)) $((8 * n + 5)); do
        check_same getbit "$k" "$b"
    done
    # edits: inside, across the 1 KiB mark, past the end (zero-filled gap), then reads again
    check_same setrange "$k" $((n / 3)) "INSIDE-EDIT"
    check_same setrange "$k" 1015 "ACROSS-THE-1K-MARK"
    check_same setrange "$k" $((n + 7)) "PAST-THE-END"
    check_same append "$k" "$(val 77 "$((n + 1))")"
    check_same setbit "$k" $((8 * n / 2 + 1)) 1
    check_same setbit "$k" $((8 * (n + 40) + 6)) 1
    check_same setbit "$k" 9 0
    check_same strlen "$k"
    check_same get "$k"
    check_same getrange "$k" 1000 1100
    check_same incr "$k"
    check_same incrbyfloat "$k" 1.5
    # GETEX: the value, an expiry (the record is laid out again), then PERSIST
    check_same getex "$k" px 1000000
    check_between 900 1000 ttl "$k"
    check_same getex "$k" persist
    check_same ttl "$k"
    check_same get "$k"
done
# MEMORY USAGE of fresh values: within 7 % of the bytes (header, key, value), where one block
# would round 1030 and 1100 up to 1280 and 2100 to 2560
for n in 1000 1030 1100 2100 5000 70000; do
    both set fresh "$(val "$n" 1)"
    check_between $((n + 24)) $(((n + 24) * 107 / 100)) memory usage fresh
done
# DUMP's payload of a split value (written through the view) restores in redis-server and in
# flatline to the same bytes
for n in 1030 2100 70000; do
    k=$(printf 'value:%010d' "$n")
    redis-cli -p "$PORT" --raw dump "$k" | head -c -1 >dump.bin
    check "OK" -x restore "restored:$k" 0 <dump.bin
    CHECKS=$((CHECKS + 1))
    [ "$(redis-cli -p "$RPORT" -x restore "restored:$k" 0 <dump.bin)" = OK ] ||
        { echo "FAIL: redis-server refused flatline's DUMP of $k" >&2; FAILS=$((FAILS + 1)); }
    check_same get "restored:$k"
    CHECKS=$((CHECKS + 1))
    [ "$(rc get "restored:$k")" = "$(rc get "$k")" ] ||
        { echo "FAIL: RESTORE of $k's DUMP differs from it" >&2; FAILS=$((FAILS + 1)); }
done
# shellcheck disable=SC2086
check_same mget $keys nokey
check_same lcs value:0000001030 value:0000001100 len
check_same lcs value:0000001030 value:0000001100 idx minmatchlen 4 withmatchlen
both rpush order 1100 1030 2100
check_same sort order by nosort get 'value:000000*'
check_same copy value:0000002100 copied
check_same get copied
check_same rename copied renamed
check_same get renamed
check_same getdel renamed
declare -A digest
for k in $keys; do digest[$k]=$(rc debug digest-value "$k"); done
all=$(rc debug digest)

# The RDB path (save, empty, load) and the AOF rewrite + replay give every value back.
check "OK" debug reload
for k in $keys; do
    check_same get "$k"
    check "${digest[$k]}" debug digest-value "$k"
done
check "$all" debug digest
check "Background append only file rewriting started" bgrewriteaof
wait_rewrite 10
stop_server || fail "the server did not stop cleanly"
start_server --threads 2 --enable-debug-command yes
for k in $keys; do
    check_same get "$k"
    check "${digest[$k]}" debug digest-value "$k"
done
check "$all" debug digest
finish
