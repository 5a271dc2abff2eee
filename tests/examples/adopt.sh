#!/usr/bin/env bash
# tests/examples/adopt.sh BEFORE AFTER: runs the adoption example's two builds on a small load
# and checks that both keep exactly the same records (count and checksum): adopting lifecycle
# arenas changes where bytes live, never what the program stores. The RSS difference is a
# benchmark figure (bench/adopt-example.sh), not checked here.
set -euo pipefail
before=$1 after=$2
args=(2 30000 5000 20000)
rc=0
b=$("$before" "${args[@]}") || rc=$?
[[ $rc == 77 ]] && { echo "skipped: needs jemalloc as malloc"; exit 77; }
[[ $rc == 0 ]] || { echo "FAIL: before exited $rc"; exit 1; }
a=$("$after" "${args[@]}")
echo "$b"
echo "$a"
field() { sed -n "s/.* $1 \([^ ]*\).*/\1/p" <<<"$2"; }
[[ "$(field records "$b")" == "$(field records "$a")" ]] || { echo "FAIL: record counts differ"; exit 1; }
[[ "$(field checksum "$b")" == "$(field checksum "$a")" ]] || { echo "FAIL: checksums differ"; exit 1; }
[[ "$(field records "$a")" -gt 0 ]] || { echo "FAIL: no records"; exit 1; }
"$after" 0 >/dev/null 2>&1 && { echo "FAIL: 0 threads accepted"; exit 1; }
echo "same records in both builds"
