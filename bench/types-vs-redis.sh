#!/usr/bin/env bash
# bench/types-vs-redis.sh: memory per element of lists, sets, sorted sets (and small hashes)
# in flatline-server next to Debian's redis-server 7.0.15 on the same data, loaded through
# `redis-cli --pipe` into a fresh server of each kind on free 127.0.0.1 ports. A benchmark,
# not a test: it prints a table.
#
# Scenarios (N scales them; default 1): a set of 1,000,000*N members "member:%09d"; a sorted
# set of 1,000,000*N members with random scores; 100,000*N lists of 10 elements
# "element-%d"; 100,000*N hashes of 5 fields. Per element: used_memory (bytes the allocator
# handed out, Redis's own figure and flatline's) after the load, minus before, over the
# elements. Then 90 % of the elements go (SREM / ZREM of random members, DEL of random lists
# and hashes) and flatline runs MEMORY DEFRAG: "after" is allocator_active (the pages in use)
# over the remaining elements, divided by allocator_active per element when full. Target:
# flatline's bytes per element <= Redis's on each type; flatline's after/full <= 1.3.
#
# Environment: BUILD (Release build dir, default build-types-bench), N (scale, default 1),
# TYPES (default "set zset list hash").
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-types-bench}
N=${N:-1}
TYPES=${TYPES:-set zset list hash}
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-cli awk python3
bench_build "$BUILD" -DCMAKE_BUILD_TYPE=Release -- flatline-server
TMP=$(mktemp -d /tmp/types-vs-redis.XXXXXX)
track_dir "$TMP"

# RESP for `redis-cli --pipe`: one command per line of words (no spaces inside words).
to_resp() {
    awk '{ printf "*%d\r\n", NF; for (i = 1; i <= NF; i++) printf "$%d\r\n%s\r\n", length($i), $i }'
}

# gen TYPE PHASE: the load (PHASE=load) or the 90 % delete (PHASE=delete) as command lines.
gen() {
    awk -v type="$1" -v phase="$2" -v n="$N" 'BEGIN {
        srand(7)
        if (type == "set" || type == "zset") {
            total = 1000000 * n
            for (i = 0; i < total; i += 1000) {
                line = (phase == "load" ? (type == "set" ? "SADD" : "ZADD") : (type == "set" ? "SREM" : "ZREM")) " " type
                cnt = 0
                for (j = i; j < i + 1000 && j < total; j++) {
                    if (phase == "delete") {
                        if (rand() >= 0.9) continue
                        line = line " member:" sprintf("%09d", j)
                    } else if (type == "zset") {
                        line = line " " int(rand() * 100000000) " member:" sprintf("%09d", j)
                    } else {
                        line = line " member:" sprintf("%09d", j)
                    }
                    cnt++
                }
                if (cnt) print line
            }
            exit
        }
        keys = 100000 * n
        for (i = 0; i < keys; i++) {
            k = (type == "list" ? "list:" : "hash:") sprintf("%08d", i)
            if (phase == "delete") {
                if (rand() < 0.9) print "DEL " k
                continue
            }
            if (type == "list") {
                line = "RPUSH " k
                for (j = 0; j < 10; j++) line = line " element-" (i * 10 + j)
            } else {
                line = "HSET " k
                for (j = 0; j < 5; j++) line = line " field" j " value-" (i * 5 + j)
            }
            print line
        }
    }'
}

info() { redis-cli -p "$1" info memory | tr -d '\r' | awk -F: -v f="$2" '$1 == f { print $2 }'; }

# count PORT TYPE: the elements left.
count() {
    case $2 in
    set) redis-cli -p "$1" scard set ;;
    zset) redis-cli -p "$1" zcard zset ;;
    list) echo $(($(redis-cli -p "$1" dbsize) * 10)) ;;
    hash) echo $(($(redis-cli -p "$1" dbsize) * 5)) ;;
    esac
}

for type in $TYPES; do
    gen "$type" load | to_resp >"$TMP/load"
    gen "$type" delete | to_resp >"$TMP/delete"
    for kind in redis flatline; do
        port=$(free_port)
        if [ $kind = redis ]; then
            start_redis pid "$port" "$TMP/$kind.log"
        else
            start_flatline pid "$SERVER" "$port" "$TMP/$kind.log" --threads 2
        fi
        base=$(info "$port" used_memory)
        base_active=$(info "$port" allocator_active)
        redis-cli -p "$port" --pipe <"$TMP/load" >/dev/null
        full=$(info "$port" used_memory)
        full_active=$(info "$port" allocator_active)
        n=$(count "$port" "$type")
        redis-cli -p "$port" --pipe <"$TMP/delete" >/dev/null
        [ $kind = flatline ] && redis-cli -p "$port" memory defrag >/dev/null
        left=$(count "$port" "$type")
        after_active=$(info "$port" allocator_active)
        python3 - "$type" "$kind" "$n" "$left" "$base" "$full" "$base_active" "$full_active" \
            "$after_active" >>"$TMP/rows" <<'PY'
import sys
t, kind, n, left, base, full, ba, fa, aa = sys.argv[1:3] + [int(x) for x in sys.argv[3:]]
per = (full - base) / n
full_act = (fa - ba) / n
after_act = (aa - ba) / max(left, 1)
print(f"{t} {kind} {n} {per:.1f} {full_act:.1f} {after_act:.1f} {after_act / full_act:.2f}")
PY
        stop_pid "$pid"
    done
done

python3 - "$TMP/rows" <<'PY'
import sys
rows = [l.split() for l in open(sys.argv[1])]
by = {(r[0], r[1]): r for r in rows}
print(f"{'type':6} {'elements':>9} {'redis B/elem':>13} {'flatline B/elem':>16} {'flatline/redis':>15}"
      f" {'redis after/full':>17} {'flatline after/full':>20}")
for t in dict.fromkeys(r[0] for r in rows):
    r, f = by.get((t, "redis")), by.get((t, "flatline"))
    if not r or not f:
        continue
    print(f"{t:6} {int(f[2]):>9} {float(r[3]):>13.1f} {float(f[3]):>16.1f} {float(f[3]) / float(r[3]):>15.2f}"
          f" {float(r[6]):>17.2f} {float(f[6]):>20.2f}")
print("B/elem: used_memory after the load minus before, per element; after/full: allocator_active"
      " per remaining element after deleting 90 % (flatline: then MEMORY DEFRAG) over"
      " allocator_active per element when full (redis: no defrag, Debian's build refuses it)")
PY
