#!/usr/bin/env bash
# bench/server-lifetimes.sh: how much the workers' private arenas keep once the clients left,
# step by step, for one or two flatline-server binaries side by side (e.g. before and after a
# change: `bench/server-lifetimes.sh old/flatline-server build/src/server/flatline-server`).
# At most two binaries. Each step runs a workload whose long-lived part (slow log entries, cached scripts, ACL log
# entries, function libraries) outlives its clients, waits until only the INFO client is
# connected and prints INFO memory's private_allocated (bytes), and for binaries that report
# them the server-lifetime arenas' requested bytes (arena_<name>_requested). Not a test: the
# private figures should stay near the warm idle one when long-lived objects live in their own
# arenas (tests/server/lifetimes.sh is the test).
#
# Environment: BUILD (default build), THREADS (workers, default 3).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
THREADS=${THREADS:-3}
need_tools redis-benchmark redis-cli
if [ $# -eq 0 ]; then
    [ -x "$BUILD/src/server/flatline-server" ] || bench_build "$BUILD" -- flatline-server
    set -- "$BUILD/src/server/flatline-server"
fi

long=$(head -c 300 /dev/zero | tr '\0' x)
mset_args=()
for i in $(seq 40); do mset_args+=("k$i:__rand_int__" "$long"); done

# run_steps BINARY: one line per step, "step private server scripts pubsub" ("-" when absent).
run_steps() {
    local port pid log
    port=$(free_port)
    log=$(mktemp /tmp/flatline-lifetimes.XXXXXX)
    track_dir "$log"
    start_flatline pid "$1" "$port" "$log" --threads "$THREADS" --slowlog-log-slower-than -1
    m() { redis-cli -p "$port" info memory | tr -d '\r' | sed -n "s/^$1://p"; }
    idle() {
        for _ in $(seq 200); do
            [ "$(redis-cli -p "$port" info clients | tr -d '\r' | sed -n 's/^connected_clients://p')" = 1 ] && break
            sleep 0.05
        done
    }
    v() { # an INFO memory field, "-" when the binary has none
        local x
        x=$(m "$1")
        echo "${x:--}"
    }
    show() {
        idle
        echo "$1 $(v private_allocated) $(v arena_server_requested) $(v arena_scripts_requested)" \
            "$(v arena_pubsub_requested)"
    }
    bench_q() { redis-benchmark -p "$port" -q "$@" >/dev/null 2>&1; }
    bench_q -n 3000 -c 12 -t ping,set,get
    bench_q -n 3000 -c 12 -t ping,set,get
    show idle_warm
    redis-cli -p "$port" config set slowlog-log-slower-than 0 >/dev/null
    bench_q -c 12 -n 2000 -r 100000 mset "${mset_args[@]}"
    redis-cli -p "$port" config set slowlog-log-slower-than -1 >/dev/null
    show slowlog_full
    bench_q -c 6 -n 600 -r 100000 eval "return '__rand_int__'" 0
    bench_q -c 6 -n 600 -r 100000 eval "return 1+__rand_int__" 0
    show evals_1200
    redis-cli -p "$port" script flush >/dev/null
    show script_flush
    redis-cli -p "$port" acl setuser lt on nopass '~allowed:*' +@all >/dev/null
    local w="" j i
    for j in 1 2 3 4; do
        for i in $(seq 100); do echo "get forbidden:$long:$j:$i"; done |
            redis-cli -p "$port" --user lt --pass x >/dev/null 2>&1 &
        w="$w $!"
    done
    wait $w
    for i in $(seq 6); do
        redis-cli -p "$port" function load "#!lua name=lib$i
redis.register_function('f$i', function(keys, args) return '${long}' end)" >/dev/null
    done
    show acl_log_and_libraries
    for c in "slowlog reset" "acl log reset" "script flush" "function flush"; do
        redis-cli -p "$port" $c >/dev/null
    done
    show after_resets
    stop_pid "$pid"
}

results=()
for bin in "$@"; do
    results+=("$(run_steps "$bin")")
done
echo "private_allocated (bytes) once every client left; [server scripts pubsub] arenas' requested"
for i in $(seq $#); do echo "  $((i == 1 ? 1 : 2)): ${!i}"; done
printf '%-24s %12s %-24s' step "1: private" "[arenas]"
[ $# -lt 2 ] || printf ' %12s %-24s' "2: private" "[arenas]"
echo
paste -d'|' <(printf '%s\n' "${results[0]}") <(printf '%s\n' "${results[1]:-}") |
    while IFS='|' read -r a b; do
        read -r step p s sc ps <<<"$a"
        printf '%-24s %12s %-24s' "$step" "$p" "[$s $sc $ps]"
        if [ -n "$b" ]; then
            read -r _ p2 s2 sc2 ps2 <<<"$b"
            printf ' %12s %-24s' "$p2" "[$s2 $sc2 $ps2]"
        fi
        echo
    done
