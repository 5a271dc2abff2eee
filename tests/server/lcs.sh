#!/usr/bin/env bash
# tests/server/lcs.sh: LCS side by side with Debian's redis-server 7.0.15: the string, LEN, IDX
# with MINMATCHLEN and WITHMATCHLEN, missing keys, the errors (wrong type before a syntax
# error, LEN with IDX), on fixed strings and on random ones (the ranges must be Redis's to
# the index, not only a valid LCS). Both keys are read atomically.
. "$(dirname "$0")/lib.sh"

start_redis
start_server --threads 2

both() {
    rc "$@" >/dev/null
    redis-cli -p "$RPORT" "$@" >/dev/null 2>&1
}

rna1=CACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTTCGTCCGGGTGTG
rna2=ATTAAAGGTTTATACCTTCCCAGGTAACAAACCAACCAACTTTCGATCTCTTGTAGATCTGTTCTCTAAACGAACTTTAAAATCTGTGTGGCTGTCACTCGGCTGCATGCTTAGTGCACTCACGCAGTATAATTAATAACTAATTACTGTCGTTGACAGGACACGAGTAACTCGTCTATCTTCTGCAGGCTGCTTACGGTTTCGTCCGTGTTGCAGCCGATCATCAGCACATCTAGGTTT
both mset virus1 ohmytext virus2 mynewtext rna1 "$rna1" rna2 "$rna2" empty ""
both hset h f v
for args in "virus1 virus2" "virus1 virus2 len" "virus1 virus2 idx" "virus1 virus2 idx withmatchlen" \
    "virus1 virus2 idx minmatchlen 4 withmatchlen" "virus1 virus2 IDX MINMATCHLEN -3" \
    "rna1 rna2" "rna1 rna2 len" "rna1 rna2 idx minmatchlen 5 withmatchlen" "virus1 virus1 idx" \
    "virus1 nokey" "nokey nokey2 idx" "empty virus1 idx withmatchlen" \
    "virus1 h" "h virus1 foo" "virus1 virus2 foo" "virus1 virus2 minmatchlen" \
    "virus1 virus2 minmatchlen x" "virus1 virus2 idx len"; do
    # shellcheck disable=SC2086
    check_same lcs $args
done
check_same lcs x
# RESP3: IDX answers a map
check_same -3 lcs virus1 virus2 idx withmatchlen
check_same -3 lcs virus1 virus2 len

# random strings over a small alphabet: many ties, so the walk's choices show
RANDOM=7
for i in $(seq 40); do
    a="" b=""
    for _ in $(seq $((RANDOM % 40))); do a="$a$(printf "\\x$(printf %x $((97 + RANDOM % 3)))")"; done
    for _ in $(seq $((RANDOM % 40))); do b="$b$(printf "\\x$(printf %x $((97 + RANDOM % 3)))")"; done
    both mset "ra$i" "$a" "rb$i" "$b"
    check_same lcs "ra$i" "rb$i" idx withmatchlen
    check_same lcs "ra$i" "rb$i"
done
finish
