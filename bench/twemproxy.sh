#!/usr/bin/env bash
# bench/twemproxy.sh: throughput of 1, 2 and 3 flatline-servers behind twemproxy (Debian's
# nutcracker, configured by scripts/twemproxy-conf.sh: ketama, redis: true), and of one server
# reached directly (what the proxy hop costs). Not a test: it prints figures and ratios to the
# 1-server row.
#
# Every setup runs at once (1 + 1 + 2 + 3 servers, three nutcrackers) and the rounds alternate
# between them, so a burst of load from elsewhere on the machine hits every setup alike; each
# figure is the median of ROUNDS rounds. Each flatline-server runs --threads THREADS (default
# 1: one core's worth per shard); nutcracker is single-threaded. redis-benchmark: -t set,get
# -P PIPE -c 50 -r 1000000 -d 100 -n N. On a machine with fewer cores than servers + proxy +
# benchmark, the ratios say how the proxy and the shards share the cores, not how shards on
# separate machines scale.
# Environment: BUILD (default build), N (default 200000), PIPE (default 16), THREADS (default 1),
# ROUNDS (default 3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-200000}
PIPE=${PIPE:-16}
THREADS=${THREADS:-1}
ROUNDS=${ROUNDS:-3}
SERVER=$BUILD/src/server/flatline-server
need_tools nutcracker redis-benchmark redis-cli python3
[ -x "$SERVER" ] || bench_build "$BUILD" -- flatline-server
DIR=$(mktemp -d /tmp/flatline-twembench.XXXXXX)
track_dir "$DIR"

# rps PORT TEST: requests per second of one redis-benchmark test (CSV output).
rps() {
    redis-benchmark -p "$1" --csv -t "$2" -P "$PIPE" -c 50 -r 1000000 -d 100 -n "$N" 2>/dev/null |
        awk -F'","' -v t="$(echo "$2" | tr a-z A-Z)" '$1 == "\"" t {printf "%d", $2}'
}

# pool S: starts S servers and a nutcracker over them; sets POOL_PORT to the proxy's port.
pool() {
    local s=$1 addrs=() i port pid
    for ((i = 0; i < s; i++)); do
        port=$(free_port)
        start_flatline pid "$SERVER" "$port" "$DIR/server$s-$i.log" --threads "$THREADS"
        addrs+=("127.0.0.1:$port")
    done
    POOL_PORT=$(free_port)
    scripts/twemproxy-conf.sh "127.0.0.1:$POOL_PORT" "" "${addrs[@]}" >"$DIR/nc$s.yml"
    nutcracker -c "$DIR/nc$s.yml" -s "$(free_port)" -a 127.0.0.1 -o "$DIR/nc$s.log" &
    track_pid $!
    wait_ping "$POOL_PORT"
}

median() { tr ' ' '\n' | sed '/^$/d' | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

setups=("direct" 1 2 3)
declare -A port
port[direct]=$(free_port)
start_flatline DPID "$SERVER" "${port[direct]}" "$DIR/direct.log" --threads "$THREADS"
for s in 1 2 3; do
    pool "$s"
    port[$s]=$POOL_PORT
done

echo "$(nutcracker --version 2>&1 | head -1) in front of flatline-server --threads $THREADS each"
echo "machine: $(nproc) cores shared by the servers, nutcracker and redis-benchmark"
echo "redis-benchmark -P $PIPE -c 50 -r 1000000 -d 100 -n $N; median of $ROUNDS alternating rounds"
echo
declare -A sets gets
for ((r = 0; r < ROUNDS; r++)); do
    for k in "${setups[@]}"; do
        sets[$k]="${sets[$k]:-} $(rps "${port[$k]}" set)"
        gets[$k]="${gets[$k]:-} $(rps "${port[$k]}" get)"
    done
done
base_set=$(echo "${sets[1]}" | median)
base_get=$(echo "${gets[1]}" | median)
printf '%-22s %12s %12s %10s %10s\n' "setup" "SET rps" "GET rps" "SET ratio" "GET ratio"
for k in "${setups[@]}"; do
    s=$(echo "${sets[$k]}" | median)
    g=$(echo "${gets[$k]}" | median)
    label="$k server(s), proxy"
    [ "$k" = direct ] && label="1 server, direct"
    printf '%-22s %12s %12s %10s %10s\n' "$label" "$s" "$g" \
        "$(python3 -c "print(f'{$s / $base_set:.2f}')")" "$(python3 -c "print(f'{$g / $base_get:.2f}')")"
done
