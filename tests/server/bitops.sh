#!/usr/bin/env bash
# tests/server/bitops.sh: BITCOUNT, BITPOS and BITOP side by side with redis-server 7.0: ranges
# in bytes and bits, negative and clamped offsets, empty ranges, missing keys, wrong types and
# syntax errors in Redis's order, values stored in two blocks (a 1,100-byte value), and BITOP's
# four operations over keys of different lengths, missing ones, the destination among the
# sources, an empty result (the destination deleted) and inside MULTI.
. "$(dirname "$0")/lib.sh"
start_server --threads 2
start_redis
both() { redis-cli -p "$PORT" "$@" >/dev/null 2>&1; redis-cli -p "$RPORT" "$@" >/dev/null 2>&1; }
both set s foobar
both set ones "$(printf '\377\377\377')"
both set zeros "$(printf 'a\000\000')"
both set empty ""
both rpush list x
big=$(head -c 1100 /dev/zero | tr '\0' 'U') # 0x55 bytes: 4 bits each, stored split
both set big "$big"
both setbit big 8700 1
both setbit sparse 1000 1
for k in s ones zeros empty big sparse nosuch; do
    check_same bitcount "$k"
    for r in "0 0" "1 1" "0 -1" "-2 -1" "-1 -2" "5 30" "-100 100" "3 2" "0 0 BIT" "5 30 BIT" \
        "-5 -1 BIT" "1 9 BIT" "8700 8700 BIT" "1 2 byte" "0 -1 bit" "-3 -5 bogus" "0 1 bogus"; do
        # shellcheck disable=SC2086
        check_same bitcount "$k" $r
    done
    check_same bitcount "$k" 0
    check_same bitcount "$k" x 1
    for b in 0 1; do
        check_same bitpos "$k" "$b"
        for r in "0" "1" "-1" "2 -1" "0 0" "1 1" "-2 -1" "3 2" "0 -1 BIT" "5 30 BIT" "7 7 bit" \
            "1 0 bit" "8699 8701 BIT" "2 1 byte" "0 1 bogus" "0 1 bit x"; do
            # shellcheck disable=SC2086
            check_same bitpos "$k" "$b" $r
        done
    done
done
check_same bitpos s 2
check_same bitpos s x
check_same bitpos list 1
check_same bitpos list 2
check_same bitcount list
check_same bitcount list 0 x
check_same bitcount
for op in and or xor; do
    check_same bitop "$op" dest s ones zeros big nosuch
    check_same get dest
    check_same bitop "$op" s s ones
    check_same get s
    check_same bitop "$op" dest2 nosuch empty
    check_same exists dest2
done
check_same bitop not dest big
check_same get dest
check_same bitop not dest s ones
check_same bitop nope dest s
check_same bitop and dest list s
check_same bitop and dest
both set dest3 x
check_same bitop or dest3 nosuch
check_same exists dest3
NORMALIZE=''
for p in "$PORT" "$RPORT"; do
    printf 'MULTI\nBITOP XOR m ones zeros\nBITCOUNT m\nBITPOS m 0\nEXEC\n' | redis-cli -p "$p" >"$WORKDIR/multi.$p" 2>&1
done
CHECKS=$((CHECKS + 1))
cmp -s "$WORKDIR/multi.$PORT" "$WORKDIR/multi.$RPORT" || { echo "FAIL: BITOP in MULTI differs" >&2; FAILS=$((FAILS + 1)); }
finish
