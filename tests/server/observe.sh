#!/usr/bin/env bash
# tests/server/observe.sh: watching the server as Redis is watched, side by side with
# redis-server 7.0: SLOWLOG, LATENCY, MONITOR (from a client on another worker), INFO
# commandstats / errorstats / latencystats / cpu / clients, CONFIG SET / GET / RESETSTAT /
# REWRITE with Redis's replies and errors.
. "$(dirname "$0")/lib.sh"

CONF=$(mktemp /tmp/flatline-observe.XXXXXX)
HELPER_DIRS="$CONF" # removed on exit with the helpers' directories
printf '# observe.sh\ntimeout 0   # never\n\nnamespace users {\n    memory-limit 64mb\n}\nslowlog-max-len 128\n' >"$CONF"
SERVER_CONFIG=$CONF start_server --threads 2
start_redis
for p in "$PORT" "$RPORT"; do redis-cli -p "$p" flushall >/dev/null; done
NORMALIZE='s/[0-9]+/N/g'

# --- CONFIG: several pairs at once, all or none; Redis's errors.
check_same config set slowlog-log-slower-than 0 slowlog-max-len 3
check_same config get slowlog-max-len
# Overlapping patterns name each option once (Redis's order is its dictionary's: not compared).
CHECKS=$((CHECKS + 1))
[ "$(redis-cli -p "$PORT" config get slowlog-max-len 'slowlog-*' slowlog-max-len | wc -l)" = 4 ] ||
    { echo "FAIL: CONFIG GET with overlapping patterns repeats a name" >&2; FAILS=$((FAILS + 1)); }
check_same config set slowlog-max-len 5 slowlog-max-len 6
check_same config set nosuchoption 1
check "(error) ERR CONFIG SET failed (possibly related to argument 'threads') - can't set immutable config" \
    config set threads 3
check_same config set slowlog-max-len
check_same config set slowlog-max-len 1 timeout
check_same config get slowlog-max-len
check_same config set timeout 0 latency-monitor-threshold 0
check_same config resetstat x
check_same config nosuch
check_same config set slowlog-max-len 7 timeout abc
check_same config set slowlog-max-len -5
check_same config set latency-tracking maybe
check_same config set client-output-buffer-limit "normal 1 2"
check_same config set client-output-buffer-limit "nosuch 1 2 3"
check_same config set client-output-buffer-limit "normal 1mb x 3"
check_same config get slowlog-max-len

# Namespace options the store changes while open: memory-limit and maxmemory-policy.
check "OK" config set namespace.users.memory-limit 32mb namespace.users.maxmemory-policy allkeys-lru
check $'1) "namespace.users.maxmemory-policy"\n2) "allkeys-lru"' config get namespace.users.maxmemory-policy
check_match 'ns_users:.*memory_limit=33554432' info namespaces
check "OK" config set maxmemory-policy volatile-ttl
check $'1) "namespace.default.maxmemory-policy"\n2) "volatile-ttl"' config get namespace.default.maxmemory-policy
check_match "^\(error\) ERR CONFIG SET failed \(possibly related to argument 'namespace.users.memory-limit'\) - namespace 'users': memory-limit 1000 is too small" \
    config set namespace.users.memory-limit 1k
check "(error) ERR CONFIG SET failed (possibly related to argument 'namespace.users.partitions') - can't set immutable config" \
    config set namespace.users.partitions 8
check "OK" config set namespace.users.memory-limit 64mb namespace.users.maxmemory-policy noeviction \
    maxmemory-policy noeviction

# Every other run-time namespace option: checked as a whole configuration, applied by the store.
check "OK" config set namespace.users.default-ttl-ms 100000 namespace.users.defrag-pct 40 \
    namespace.users.high-water-pct 85 namespace.users.stop-writes-pct 90 \
    namespace.users.dirty-decay-ms 500
redis-cli -p "$PORT" select users >/dev/null
CHECKS=$((CHECKS + 1))
ttl=$(redis-cli -p "$PORT" -n 1 eval "redis.call('set','ttl:k','v') return redis.call('pttl','ttl:k')" 0 2>/dev/null ||
    { redis-cli -p "$PORT" -n 1 set ttl:k v >/dev/null; redis-cli -p "$PORT" -n 1 pttl ttl:k; })
{ [ "$ttl" -gt 90000 ] && [ "$ttl" -le 100000 ]; } ||
    { echo "FAIL: a write after CONFIG SET default-ttl-ms 100000 got pttl '$ttl'" >&2; FAILS=$((FAILS + 1)); }
check $'1) "namespace.users.defrag-pct"\n2) "40"' config get namespace.users.defrag-pct
check $'1) "namespace.users.dirty-decay-ms"\n2) "500"' config get namespace.users.dirty-decay-ms
# A pair that breaks a rule between options is refused whole: nothing changed.
check_match "^\(error\) ERR CONFIG SET failed \(possibly related to argument 'namespace.users.defrag-cycle-min'\) - .*cycle-min" \
    config set namespace.users.defrag-pct 30 namespace.users.defrag-cycle-min 99
check $'1) "namespace.users.defrag-pct"\n2) "40"' config get namespace.users.defrag-pct
# Redis's active-defrag names set their option in every namespace; activedefrag no/yes.
check "OK" config set active-defrag-threshold-lower 25
check $'1) "namespace.default.defrag-pct"\n2) "25"' config get namespace.default.defrag-pct
check $'1) "namespace.users.defrag-pct"\n2) "25"' config get namespace.users.defrag-pct
check "OK" config set activedefrag no
check $'1) "namespace.users.defrag-pct"\n2) "0"' config get namespace.users.defrag-pct
check "OK" config set activedefrag yes
check $'1) "namespace.users.defrag-pct"\n2) "25"' config get namespace.users.defrag-pct
# Back to the values the server started with (CONFIG REWRITE below compares against them).
check "OK" config set namespace.users.default-ttl-ms 0 namespace.users.high-water-pct 90 \
    namespace.users.stop-writes-pct 95 namespace.users.dirty-decay-ms default \
    namespace.users.defrag-pct 10 namespace.default.defrag-pct 10

# --- SLOWLOG: every command logged (threshold 0), the last 3 kept, Redis's entry shape.
check_same slowlog reset
for p in "$PORT" "$RPORT"; do
    redis-cli -p "$p" set k1 v1 >/dev/null
    redis-cli -p "$p" client setname slowpoke >/dev/null
    redis-cli -p "$p" get k1 >/dev/null
done
check_same slowlog len
NORMALIZE='s/[0-9]+/N/g' check_same slowlog get 1
check_same slowlog get -2
check_same slowlog get x
check_same slowlog nosuch
check_same slowlog get 1 2
long=$(head -c 300 /dev/zero | tr '\0' 'a')
args=$(seq 40 | tr '\n' ' ')
for p in "$PORT" "$RPORT"; do
    # shellcheck disable=SC2086
    redis-cli -p "$p" del "$long" $args >/dev/null
done
NORMALIZE='s/\(integer\) [0-9]+/(integer) N/; s/127\.0\.0\.1:[0-9]+/ADDR/' \
    check_same slowlog get 1
check_same config set slowlog-log-slower-than 10000 slowlog-max-len 128

# --- LATENCY: disabled report, empty series, RESET, HISTOGRAM's shape.
check_same latency doctor
check_same latency latest
check_same latency history command
check_same latency reset
check_same latency nosuch
check_same config set latency-monitor-threshold 100
NORMALIZE='s/[0-9]+/N/g' check_same latency doctor
# A slow command (KEYS over ~100k keys) past a 1 ms threshold becomes a "command" event.
redis-benchmark -p "$PORT" -q -t set -n 150000 -r 1000000 -P 64 >/dev/null 2>&1
check "OK" config set latency-monitor-threshold 1
rc keys '*' >/dev/null
check_match '^1\) 1\) "command"' latency latest
check_match '^ *1\) 1\) \(integer\) [0-9]+' latency history command # (redis-cli pads the numbering from 10 samples)
check_match 'command: [0-9]+ latency spikes' latency doctor # (LATENCY itself may be slow under a sanitizer)
check "(integer) 1" latency reset command
rc flushall >/dev/null
check_same config set latency-monitor-threshold 0
for p in "$PORT" "$RPORT"; do redis-cli -p "$p" set h 1 >/dev/null; done
# The buckets depend on timing: the shape up to them is compared.
NORMALIZE='5,$d; s/[0-9]+/N/g' check_same latency histogram set
check_same latency histogram nosuchcommand

# --- MONITOR: a command from another client (another worker) arrives in Redis's format.
mon=$(mktemp /tmp/flatline-monitor.XXXXXX)
redis-cli -p "$PORT" monitor >"$mon" 2>&1 &
monpid=$!
HELPER_PIDS="$HELPER_PIDS $monpid"
for _ in $(seq 100); do grep -q OK "$mon" && break; sleep 0.05; done
for i in 1 2 3 4; do redis-cli -p "$PORT" set "mk$i" "a \"b\""$'\n' >/dev/null; done
for _ in $(seq 100); do [ "$(grep -c '"set" "mk' "$mon")" = 4 ] && break; sleep 0.05; done
CHECKS=$((CHECKS + 1))
if [ "$(grep -cE '^[0-9]+\.[0-9]{6} \[0 127\.0\.0\.1:[0-9]+\] "set" "mk[1-4]" "a \\"b\\"\\n"$' "$mon")" != 4 ]; then
    echo "FAIL: MONITOR lines:" >&2
    cat "$mon" >&2
    FAILS=$((FAILS + 1))
fi
check_match '^monitor_clients:1' info clients
kill "$monpid" 2>/dev/null
wait "$monpid" 2>/dev/null
rm -f "$mon"

# --- INFO sections, with Redis's field names.
for p in "$PORT" "$RPORT"; do
    redis-cli -p "$p" config resetstat >/dev/null
    redis-cli -p "$p" set s abc >/dev/null
    redis-cli -p "$p" incr s >/dev/null
    redis-cli -p "$p" get >/dev/null
    redis-cli -p "$p" nosuchcmd >/dev/null
done
# Only what the two share: the per-command lines of set, incr and get, all errors.
stats_lines() {
    redis-cli -p "$1" info "$2" | tr -d '\r' | grep -E "$3" | sed -E 's/usec=[0-9]+/usec=N/; s/usec_per_call=[0-9.]+/usec_per_call=N/' | sort
}
for sec in commandstats; do
    ours=$(stats_lines "$PORT" "$sec" '^cmdstat_(set|incr|get):')
    theirs=$(stats_lines "$RPORT" "$sec" '^cmdstat_(set|incr|get):')
    CHECKS=$((CHECKS + 1))
    [ "$ours" = "$theirs" ] || { echo "FAIL: INFO $sec: '$ours' vs redis '$theirs'" >&2; FAILS=$((FAILS + 1)); }
done
check_same info errorstats
# Container commands count per subcommand, as Redis 7 does.
for p in "$PORT" "$RPORT"; do redis-cli -p "$p" client id >/dev/null; done
CHECKS=$((CHECKS + 1))
for p in "$PORT" "$RPORT"; do
    redis-cli -p "$p" info commandstats | tr -d '\r' | grep '^cmdstat_client|id:calls=1,' >/dev/null ||
        { echo "FAIL: port $p: no cmdstat_client|id line" >&2; FAILS=$((FAILS + 1)); }
done
NORMALIZE='s/[0-9]+/N/g' check_same config get slowlog-max-len
CHECKS=$((CHECKS + 1))
for f in total_error_replies; do
    [ "$(info_field stats $f)" = "$(redis-cli -p "$RPORT" info stats | tr -d '\r' | sed -n "s/^$f://p")" ] ||
        { echo "FAIL: INFO stats $f differs" >&2; FAILS=$((FAILS + 1)); }
done
check_match $'latency_percentiles_usec_set:p50=[0-9]+\\.[0-9]{3},p99=[0-9]+\\.[0-9]{3},p99\\.9=[0-9]+\\.[0-9]{3}' info latencystats
check_match $'# CPU\r?\nused_cpu_sys:[0-9]+\\.[0-9]{6}\r?\nused_cpu_user:' info cpu
for f in connected_clients maxclients blocked_clients tracking_clients; do
    check_match "^$f:[0-9]+" info clients
done
# INFO without arguments: Redis's default sections (no commandstats / latencystats).
CHECKS=$((CHECKS + 1))
sections=$(redis-cli -p "$PORT" info | tr -d '\r' | grep '^# ' | tr '\n' ' ')
case "$sections" in
*Commandstats* | *Latencystats*) echo "FAIL: INFO default has $sections" >&2; FAILS=$((FAILS + 1)) ;;
esac

# --- COMMAND: Redis 7's ten-field entries (name ... ACL categories compared for GET, whose
# flags flatline has all of; key specs and docs have flatline's own, shorter, content).
NORMALIZE='11,$d' check_same command info get
check_same command info nosuchcommand
check_match $'^1\\) "get"\n2\\) 1\\) "group"\n   2\\) "string"$' command docs get
check_match '^\(integer\) [0-9]+$' command count
CHECKS=$((CHECKS + 1))
[ "$(redis-cli -p "$PORT" --raw command | grep -c '^@')" -ge "$(redis-cli -p "$PORT" command count)" ] ||
    { echo "FAIL: COMMAND entries lack ACL categories" >&2; FAILS=$((FAILS + 1)); }

# --- CONFIG REWRITE: comments and order kept, changes written in place or appended.
check "OK" config set timeout 30 slowlog-max-len 128 maxmemory-clients 0
check "OK" config rewrite
CHECKS=$((CHECKS + 1))
want=$'# observe.sh\ntimeout 30\n\nnamespace users {\n    memory-limit 64mb\n}\nslowlog-max-len 128\n# Generated by CONFIG REWRITE\nmaxmemory-clients 0'
got=$(cat "$CONF")
if [ "$got" != "$want" ]; then
    echo "FAIL: CONFIG REWRITE wrote:" >&2
    cat "$CONF" >&2
    FAILS=$((FAILS + 1))
fi
finish
