#!/usr/bin/env bash
# tests/server/values_compressed.sh: string values the store keeps LZF-compressed
# (string-compress-min, default 512) side by side with Debian's redis-server 7.0.15, which
# stores them as they are: every reply must be Redis's (GET, GETRANGE, SETRANGE, APPEND,
# SETBIT/GETBIT, BITCOUNT, STRLEN, LCS, GETEX, MGET, OBJECT ENCODING, COPY, DUMP/RESTORE both
# ways), while MEMORY USAGE shows the smaller record. Incompressible values just above the
# threshold stay as they are. CONFIG SET of the option at run time (0 = off, back on, bad
# values refused); then DEBUG RELOAD, a restart from the log and a restart from the RDB file
# alone give every value back byte for byte, with the digests of before.
. "$(dirname "$0")/lib.sh"

start_redis --enable-debug-command yes
start_server --threads 2 --enable-debug-command yes

# packable N SEED: a 64-letter motif repeated, one letter in 97 changed (LZF takes ~1/4).
packable() {
    python3 -c "
import random,sys
r=random.Random($2); m=[chr(97+r.randrange(26)) for _ in range(64)]
sys.stdout.write(''.join(chr(97+r.randrange(26)) if i%97==96 else m[i%64] for i in range($1)))"
}
# letters N SEED: random letters (LZF cannot take 1/8 of them).
letters() {
    python3 -c "import random,sys; r=random.Random($2); sys.stdout.write(''.join(chr(97+r.randrange(26)) for _ in range($1)))"
}
both() {
    redis-cli -p "$PORT" "$@" >/dev/null 2>&1
    redis-cli -p "$RPORT" "$@" >/dev/null 2>&1
}
# usage KEY: MEMORY USAGE's number.
usage() {
    redis-cli -p "$PORT" memory usage "$1"
}

check "1) \"namespace.default.string-compress-min\"
2) \"512\"" config get namespace.default.string-compress-min

# Around the threshold and up through the size classes (a 16-byte key).
SIZES="511 512 513 1000 1100 2100 5000 17000 70000"
keys=""
for n in $SIZES; do
    k=$(printf 'packed:%010d' "$n")
    keys="$keys $k"
    both set "$k" "$(packable "$n" "$n")"
    check_same strlen "$k"
    check_same get "$k"
    check_same object encoding "$k"
    # compressed from 512 bytes: the record is well under the value's length
    if [ "$n" -ge 512 ]; then
        CHECKS=$((CHECKS + 1))
        [ "$(usage "$k")" -lt $((n / 2 + 64)) ] ||
            { echo "FAIL: $k ($n bytes) takes $(usage "$k"): not compressed" >&2; FAILS=$((FAILS + 1)); }
    else
        check_between "$n" $((n * 2)) memory usage "$k"
    fi
    for r in "0 -1" "100 200" "$((n - 50)) $((n + 5))" "-100 -1" "-$((n + 10)) 20" "7 3"; do
        # shellcheck disable=SC2086
        check_same getrange "$k" $r
    done
    for b in 0 7 $((8 * n - 1)) $((8 * n + 5)); do
        check_same getbit "$k" "$b"
    done
    check_same bitcount "$k"
    check_same bitcount "$k" 10 -10
    check_same bitpos "$k" 1 100
    # reads from another key at once: MGET of two compressed values, LCS between two
    check_same mget "$k" packed:0000000512 nokey
    check_same lcs "$k" packed:0000000512 len
    # GETEX: the value, an expiry (the record gets its expiry slot), then PERSIST
    check_same getex "$k" px 1000000
    check_between 900 1000 ttl "$k"
    check_same getex "$k" persist
    check_same get "$k"
    # COPY duplicates the compressed bytes; SET ... GET (GETSET) returns the old value
    check_same copy "$k" "copy:$k"
    check_same get "copy:$k"
    check_same set "copy:$k" "$(packable "$n" $((n + 1)))" get
    check_same get "copy:$k"
    # edits start from the compressed value and are Redis's
    e=$(printf 'edited:%010d' "$n")
    both set "$e" "$(packable "$n" "$n")"
    check_same setrange "$e" $((n / 3)) "INSIDE-EDIT"
    check_same get "$e"
    both set "$e" "$(packable "$n" "$n")"
    check_same setrange "$e" $((n + 7)) "PAST-THE-END"
    check_same get "$e"
    both set "$e" "$(packable "$n" "$n")"
    check_same append "$e" "$(packable 77 "$((n + 2))")"
    check_same get "$e"
    both set "$e" "$(packable "$n" "$n")"
    check_same setbit "$e" $((8 * n / 2 + 1)) 1
    check_same setbit "$e" $((8 * (n + 40) + 6)) 1
    check_same get "$e"
    check_same object encoding "$e"
    both set "$e" "$(packable "$n" "$n")"
    check_same incr "$e"
    check_same incrbyfloat "$e" 1.5
    check_same getdel "$e"
done

# Incompressible values just above the threshold: as they are (MEMORY USAGE >= the bytes).
for n in 512 600 1000; do
    k=$(printf 'letters:%09d' "$n")
    keys="$keys $k"
    both set "$k" "$(letters "$n" "$n")"
    check_same get "$k"
    check_between "$n" $((n * 2)) memory usage "$k"
done

# DUMP of a compressed value restores in redis-server, and Redis's DUMP in flatline.
for n in 1000 70000; do
    k=$(printf 'packed:%010d' "$n")
    redis-cli -p "$PORT" --raw dump "$k" | head -c -1 >dump.bin
    check "OK" -x restore "restored:$k" 0 <dump.bin
    CHECKS=$((CHECKS + 1))
    [ "$(redis-cli -p "$RPORT" -x restore "restored:$k" 0 <dump.bin)" = OK ] ||
        { echo "FAIL: redis-server refused flatline's DUMP of $k" >&2; FAILS=$((FAILS + 1)); }
    check_same get "restored:$k"
    redis-cli -p "$RPORT" --raw dump "$k" | head -c -1 >rdump.bin
    check "OK" -x restore "fromredis:$k" 0 <rdump.bin
    CHECKS=$((CHECKS + 1))
    [ "$(rc get "fromredis:$k")" = "$(rc get "$k")" ] ||
        { echo "FAIL: RESTORE of redis-server's DUMP of $k differs" >&2; FAILS=$((FAILS + 1)); }
    CHECKS=$((CHECKS + 1))
    [ "$(usage "fromredis:$k")" -lt $((n / 2 + 64)) ] ||
        { echo "FAIL: a RESTOREd $k is not compressed" >&2; FAILS=$((FAILS + 1)); }
done

# The option at run time: off (new values as they are, old ones still read), bad values
# refused, back on.
check "OK" config set namespace.default.string-compress-min 0
both set off:00000000000000 "$(packable 3000 9)"
check_between 3000 4000 memory usage off:00000000000000
check_same get off:00000000000000
check_same get packed:0000005000
check_match "^\(error\) ERR CONFIG SET failed .* argument must be a memory value" \
    config set namespace.default.string-compress-min -1
check_match "^\(error\) ERR CONFIG SET failed .* argument must be a memory value" \
    config set namespace.default.string-compress-min lots
check "1) \"namespace.default.string-compress-min\"
2) \"0\"" config get namespace.default.string-compress-min
check "OK" config set namespace.default.string-compress-min 4096
both set off:00000000000000 "$(packable 3000 9)"
check_between 3000 4000 memory usage off:00000000000000
both set on:000000000000000 "$(packable 5000 9)"
check_between 1 2500 memory usage on:000000000000000
check "OK" config set namespace.default.string-compress-min 512
keys="$keys off:00000000000000 on:000000000000000"

declare -A digest
for k in $keys; do digest[$k]=$(rc debug digest-value "$k"); done
all=$(rc debug digest)
same_values() {
    for k in $keys; do
        check_same get "$k"
        check "${digest[$k]}" debug digest-value "$k"
    done
    check "$all" debug digest
}

# The RDB path (save, empty, load), a restart from the log, and from the RDB file alone.
check "OK" debug reload
same_values
stop_server || fail "the server did not stop cleanly"
start_server --threads 2 --enable-debug-command yes
same_values
check_between 1 $((70000 / 2)) memory usage packed:0000070000
check "OK" save
stop_server || fail "the server did not stop cleanly"
rm -rf appendonlydir
start_server --threads 2 --enable-debug-command yes --appendonly no
same_values
check_between 1 $((70000 / 2)) memory usage packed:0000070000
finish
