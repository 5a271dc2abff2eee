#!/usr/bin/env bash
# bench/twemproxy.sh: throughput of 1, 2 and 3 flatline-servers behind twemproxy (Debian's
# nutcracker, configured by scripts/twemproxy-conf.sh: ketama, redis: true), measured side by
# side in one run, plus one server reached directly (what the proxy hop costs). Not a test: it
# prints figures and ratios to the 1-server row.
#
# Each flatline-server runs --threads THREADS (default 1: one core's worth per shard);
# nutcracker is single-threaded. redis-benchmark: -t set,get -P PIPE -c 50 -r 1000000 -d 100
# -n N. On a machine with fewer cores than servers + proxy + benchmark, the ratios say how the
# proxy and the shards share the cores, not how they scale on separate machines.
# Environment: BUILD (default build), N (default 400000), PIPE (default 16), THREADS (default 1).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
N=${N:-400000}
PIPE=${PIPE:-16}
THREADS=${THREADS:-1}
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

# shards S: starts S servers (their PIDs in SPIDS) and nutcracker over them (NCPID, port NPORT).
shards() {
    local s=$1 addrs=() i port pid
    SPIDS=()
    for ((i = 0; i < s; i++)); do
        port=$(free_port)
        start_flatline pid "$SERVER" "$port" "$DIR/server$s-$i.log" --threads "$THREADS"
        SPIDS+=("$pid")
        addrs+=("127.0.0.1:$port")
    done
    NPORT=$(free_port)
    scripts/twemproxy-conf.sh "127.0.0.1:$NPORT" "" "${addrs[@]}" >"$DIR/nc$s.yml"
    nutcracker -c "$DIR/nc$s.yml" -s "$(free_port)" -a 127.0.0.1 -o "$DIR/nc$s.log" &
    track_pid $!
    NCPID=$!
    wait_ping "$NPORT"
}

echo "$(nutcracker --version 2>&1 | head -1) in front of flatline-server --threads $THREADS each"
echo "machine: $(nproc) cores shared by the servers, nutcracker and redis-benchmark"
echo "redis-benchmark -P $PIPE -c 50 -r 1000000 -d 100 -n $N"
echo
port=$(free_port)
start_flatline DPID "$SERVER" "$port" "$DIR/direct.log" --threads "$THREADS"
dset=$(rps "$port" set)
dget=$(rps "$port" get)
stop_pid "$DPID"

printf '%-22s %12s %12s %10s %10s\n' "setup" "SET rps" "GET rps" "SET ratio" "GET ratio"
printf '%-22s %12s %12s %10s %10s\n' "1 server, direct" "$dset" "$dget" "-" "-"
base_set="" base_get=""
for s in 1 2 3; do
    shards "$s"
    set_rps=$(rps "$NPORT" set)
    get_rps=$(rps "$NPORT" get)
    [ -n "$base_set" ] || { base_set=$set_rps; base_get=$get_rps; }
    printf '%-22s %12s %12s %10s %10s\n' "$s server(s), proxy" "$set_rps" "$get_rps" \
        "$(python3 -c "print(f'{$set_rps / $base_set:.2f}')")" \
        "$(python3 -c "print(f'{$get_rps / $base_get:.2f}')")"
    stop_pid "$NCPID"
    for p in "${SPIDS[@]}"; do stop_pid "$p"; done
done
