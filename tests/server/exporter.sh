#!/usr/bin/env bash
# tests/server/exporter.sh: Debian's prometheus-redis-exporter scrapes flatline-server and a
# redis-server 7.0 side by side after the same workload; every metric family it yields for
# Redis must be yielded for flatline too. Then flatline's own endpoint (metrics-port) must carry
# the per-namespace memory breakdown and defrag figures that no Redis INFO field can.
. "$(dirname "$0")/lib.sh"

command -v prometheus-redis-exporter >/dev/null || { echo "no prometheus-redis-exporter: skipped"; exit 77; }
command -v curl >/dev/null || { echo "no curl: skipped"; exit 77; }

MPORT=$("$TOOL" port) || fail "no free port"
start_server --threads 2 --metrics-port "$MPORT" --namespace.users.memory-limit 64mb
start_redis

# The same workload on both: writes, reads, misses, an unknown command, a wrong arity, a
# failed call, slow-log entries.
for p in "$PORT" "$RPORT"; do
    redis-cli -p "$p" config set slowlog-log-slower-than 0 >/dev/null
    redis-benchmark -p "$p" -q -n 2000 -c 4 -t set,get,incr,mset >/dev/null 2>&1 ||
        fail "redis-benchmark against port $p"
    redis-cli -p "$p" get nosuchkey >/dev/null
    redis-cli -p "$p" nosuchcommand >/dev/null
    redis-cli -p "$p" get >/dev/null
    redis-cli -p "$p" set notanumber abc >/dev/null
    redis-cli -p "$p" incr notanumber >/dev/null
done

# scrape PORT: the exporter's /metrics for the server on PORT, into stdout.
scrape() {
    local eport pid out=""
    eport=$("$TOOL" port) || fail "no free port"
    prometheus-redis-exporter -redis.addr "redis://127.0.0.1:$1" -web.listen-address \
        "127.0.0.1:$eport" -redis-only-metrics >/dev/null 2>&1 &
    pid=$!
    HELPER_PIDS="$HELPER_PIDS $pid"
    for _ in $(seq 100); do
        out=$(curl -sf "http://127.0.0.1:$eport/metrics") && [ -n "$out" ] && break
        sleep 0.1
    done
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    printf '%s\n' "$out"
}

families() {
    grep -v '^#' | sed 's/[{ ].*//' | sed '/^$/d' | sort -u
}

flat=$(scrape "$PORT")
redis=$(scrape "$RPORT")
CHECKS=$((CHECKS + 1))
printf '%s\n' "$flat" | grep -q '^redis_up 1' || { echo "FAIL: exporter reports flatline down" >&2; FAILS=$((FAILS + 1)); }
missing=$(comm -13 <(printf '%s\n' "$flat" | families) <(printf '%s\n' "$redis" | families))
echo "metric families: flatline $(printf '%s\n' "$flat" | families | wc -l), redis $(printf '%s\n' "$redis" | families | wc -l); lines: flatline $(printf '%s\n' "$flat" | wc -l), redis $(printf '%s\n' "$redis" | wc -l)"
CHECKS=$((CHECKS + 1))
if [ -n "$missing" ]; then
    echo "FAIL: families the exporter yields for Redis but not for flatline:" >&2
    printf '  %s\n' $missing >&2
    FAILS=$((FAILS + 1))
fi

# Figures that must be non-zero after the workload, for both servers.
for fam in redis_commands_total redis_commands_duration_seconds_total redis_errors_total \
    redis_slowlog_length redis_latency_percentiles_usec_count \
    redis_commands_failed_calls_total redis_commands_rejected_calls_total; do
    for side in flat redis; do
        CHECKS=$((CHECKS + 1))
        if ! printf '%s\n' "${!side}" | grep -E "^$fam(\{| )" | grep -qvE ' 0$'; then
            echo "FAIL: $side: no non-zero $fam" >&2
            FAILS=$((FAILS + 1))
        fi
    done
done

# flatline's own endpoint: the breakdown per namespace and per server-lifetime arena, and the
# defrag figures.
metrics=$(curl -sf "http://127.0.0.1:$MPORT/metrics")
for want in 'flatline_namespace_bytes{namespace="users",kind="requested"}' \
    'flatline_namespace_ratio{namespace="default",kind="frag_ratio"}' \
    'flatline_namespace_memory_limit{namespace="users"} 67108864' \
    'flatline_namespace_defrag_passes{namespace="users"}' \
    'flatline_namespace_defrag_max_hold_us{namespace="default"}' \
    'flatline_process_bytes{kind="rss"}' 'flatline_clients_memory_bytes' \
    'flatline_server_arena_bytes{arena="server",kind="requested"}' \
    'flatline_server_arena_ratio{arena="pubsub",kind="frag_ratio"}'; do
    CHECKS=$((CHECKS + 1))
    if ! printf '%s\n' "$metrics" | grep -qF "$want"; then
        echo "FAIL: /metrics lacks $want" >&2
        FAILS=$((FAILS + 1))
    fi
done
CHECKS=$((CHECKS + 1))
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$MPORT/other")" = 404 ] ||
    { echo "FAIL: /other is not 404" >&2; FAILS=$((FAILS + 1)); }
finish
