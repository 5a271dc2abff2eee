#!/usr/bin/env bash
# tests/server/lifecycle.sh: the lifecycle separation docs/design.md promises, measured on the
# running server. After a redis-benchmark workload:
#   - each namespace arena holds only records and index: its requested bytes equal the
#     store's `used` for that namespace, exactly;
#   - the worker-private arenas hold only transient data: a half-received 1 MB request
#     grows them (not any namespace arena), and once clients disconnect their allocated
#     bytes return near the idle baseline while the namespaces keep their data.
# Needs plain malloc to be jemalloc (private arenas are jemalloc arenas): skipped otherwise
# (TSan's or ASan's malloc).
. "$(dirname "$0")/lib.sh"
command -v redis-benchmark >/dev/null || { echo "skipped: redis-benchmark not installed"; exit 77; }
# With the slow log on (the default threshold, 10 ms, which a loaded machine's MSETs pass): its
# entries are in the server-lifetime arena (tests/server/lifetimes.sh), not the private ones.
start_server --threads 2
if [ "$(info_field memory malloc_is_jemalloc)" != 1 ]; then
    echo "skipped: malloc is not jemalloc in this build (sanitizer), private arenas unavailable"
    exit 77
fi
priv() { info_field memory private_allocated; }
ns_field() { # ns_field NAMESPACE FIELD
    redis-cli -p "$PORT" info namespaces | tr -d '\r' | sed -n "s/^ns_$1:.*[:,]$2=\([0-9]*\).*/\1/p"
}
# Waits (bounded) until only the INFO client itself is connected.
wait_idle() {
    for _ in $(seq 100); do
        [ "$(info_field clients connected_clients)" = 1 ] && return 0
        sleep 0.05
    done
    fail "clients still connected: $(info_field clients connected_clients)"
}

base=$(priv)
echo "idle: private arenas allocated $base bytes"

timeout 100 redis-benchmark -p "$PORT" -q -n 50000 -c 40 -P 16 -r 50000 -d 100 -t set,get,hset,incr,mset >/dev/null 2>&1 ||
    fail "redis-benchmark failed"
wait_idle
keys=$(redis-cli -p "$PORT" dbsize)
[ "$keys" -gt 10000 ] || fail "only $keys keys after the workload"

for ns in default cache; do
    line=$(redis-cli -p "$PORT" info namespaces | tr -d '\r' | grep "^ns_$ns:") # one snapshot
    used=$(printf '%s' "$line" | sed -n 's/.*[:,]used=\([0-9]*\).*/\1/p')
    req=$(printf '%s' "$line" | sed -n 's/.*[:,]requested=\([0-9]*\).*/\1/p')
    echo "namespace $ns: used $used, arena requested $req"
    [ -n "$used" ] && [ "$used" = "$req" ] || fail "namespace $ns arena holds $req bytes but its records and index use $used"
done
data=$(ns_field default requested)

after=$(priv)
echo "after the workload, clients gone: private arenas allocated $after bytes"
[ "$after" -le $((base + 256 * 1024)) ] || fail "private arenas kept $after bytes (idle baseline $base): transient data outlived its clients"

# A request half received: its 1 MB sits in a worker's private arena, not in a namespace.
exec 3<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect"
{
    printf '*3\r\n$3\r\nSET\r\n$7\r\npending\r\n$2000000\r\n'
    head -c 1048576 /dev/zero
} >&3
grown=""
for _ in $(seq 100); do
    now=$(priv)
    [ "$now" -ge $((base + 1000000)) ] && grown=1 && break
    sleep 0.05
done
[ -n "$grown" ] || fail "private arenas did not grow with a 1 MB pending request ($now bytes)"
[ "$(ns_field default requested)" = "$data" ] || fail "a pending request changed the namespace arena"
echo "1 MB pending request: private arenas allocated $now bytes, namespace unchanged"
exec 3>&-
wait_idle
final=$(priv)
[ "$final" -le $((base + 256 * 1024)) ] || fail "private arenas kept $final bytes after the pending request's client left"
[ "$(ns_field default requested)" = "$data" ] || fail "namespace data changed"
check "(integer) 0" exists pending
echo "client gone: private arenas back to $final bytes; namespace still holds $data bytes"
finish
