#!/usr/bin/env bash
# bench/notify-cost.sh: what keyspace notifications cost. redis-benchmark -P 16 -t set against
# flatline-server with notify-keyspace-events "" (off, the default) and "KEA" with one
# subscriber on every keyspace channel (PSUBSCRIBE '__key*__:*': two messages per SET, read by
# redis-cli), alternating ROUNDS times on the same server; the same against Debian's
# redis-server for reference. Not a test: it prints requests per second and the ratio
# KEA / off for each server (the median round). The subscriber may fall behind on a loaded
# machine: both servers run with the pubsub output limit off (client-output-buffer-limit
# "pubsub 0 0 0"), so it stays subscribed through every run (checked) and its backlog counts.
#
# Environment: BUILD (build dir, default build), N (requests per run, default 500000),
# ROUNDS (default 3), THREADS (flatline workers, default 2).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-500000}
ROUNDS=${ROUNDS:-3}
THREADS=${THREADS:-2}
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-benchmark redis-cli python3
[ -x "$SERVER" ] || bench_build "$BUILD" -- flatline-server

FPORT=$(free_port)
start_flatline FPID "$SERVER" "$FPORT" /dev/null --threads "$THREADS" --appendonly no
RPORT=$(free_port)
start_redis RPID "$RPORT" /dev/null
for port in "$FPORT" "$RPORT"; do
    redis-cli -p "$port" config set client-output-buffer-limit "pubsub 0 0 0" >/dev/null
done

# set_rps PORT: requests per second of redis-benchmark -P 16 -t set (CSV output).
set_rps() {
    redis-benchmark -p "$1" --csv -t set -P 16 -c 50 -r 100000 -d 100 -n "$N" 2>/dev/null |
        awk -F'","' '$1 == "\"SET" {print $2}'
}

# run PORT MODE: one measurement with notifications off, or KEA with one subscriber.
run() {
    local port=$1 mode=$2 sub rps
    if [ "$mode" = off ]; then
        redis-cli -p "$port" config set notify-keyspace-events "" >/dev/null
        set_rps "$port"
        return
    fi
    redis-cli -p "$port" config set notify-keyspace-events KEA >/dev/null
    redis-cli -p "$port" psubscribe '__key*__:*' >/dev/null &
    sub=$!
    track_pid "$sub"
    until [ "$(redis-cli -p "$port" pubsub numpat)" = 1 ]; do sleep 0.05; done
    rps=$(set_rps "$port")
    [ "$(redis-cli -p "$port" pubsub numpat)" = 1 ] || echo "the subscriber was disconnected" >&2
    stop_pid "$sub"
    redis-cli -p "$port" config set notify-keyspace-events "" >/dev/null
    echo "$rps"
}

median() { tr ' ' '\n' | grep . | sort -g | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

echo "redis-benchmark -P 16 -c 50 -t set -r 100000 -d 100 -n $N, $ROUNDS alternating rounds"
echo "flatline-server --threads $THREADS (port $FPORT), $(redis-server --version | cut -d' ' -f1-3) (port $RPORT)"
echo "machine: $(nproc) cores shared by the servers, redis-benchmark and the subscriber"
printf '  %-10s %14s %14s %10s\n' server "off rps" "KEA+sub rps" "KEA / off"
for s in flatline redis; do
    port=$FPORT
    [ $s = redis ] && port=$RPORT
    off="" on=""
    for _ in $(seq "$ROUNDS"); do
        off="$off $(run "$port" off)"
        on="$on $(run "$port" kea)"
    done
    o=$(echo "$off" | median)
    k=$(echo "$on" | median)
    awk -v s=$s -v o="$o" -v k="$k" 'BEGIN {printf "  %-10s %14.0f %14.0f %10.2f\n", s, o, k, k / o}'
done
