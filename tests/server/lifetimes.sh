#!/usr/bin/env bash
# tests/server/lifetimes.sh: what outlives requests and clients lives in the server-lifetime
# arenas (src/server/lifetime.h), never in a worker's private arena, and is freed into its
# arena by whichever worker frees it. On the running server, from clients spread over every
# worker:
#   - a burst fills the slow log (128 entries of 32 long arguments), the ACL log (128 refused
#     keys), the latency history, the script cache and function libraries and the pub/sub
#     registry, with MONITOR and CLIENT LIST (cross-worker tasks) running meanwhile;
#   - once every client left, the workers' private arenas are back near their idle baseline
#     (malloc must be jemalloc: skipped in sanitizer builds, which still run the rest), while
#     the "server", "scripts" and "pubsub" arenas hold the long-lived objects;
#   - SLOWLOG RESET, ACL LOG RESET, SCRIPT FLUSH / FUNCTION FLUSH and the subscribers leaving
#     give those bytes back to their arenas (the pubsub arena's requested bytes exactly to its
#     bucket arrays).
. "$(dirname "$0")/lib.sh"
command -v redis-benchmark >/dev/null || { echo "skipped: redis-benchmark not installed"; exit 77; }

start_server --threads 3 --appendonly no --slowlog-log-slower-than -1 --slowlog-max-len 128 \
    --latency-monitor-threshold 1 --enable-debug-command yes
jemalloc=$(info_field memory malloc_is_jemalloc)
mem() { info_field memory "$1"; }
wait_idle() { # until only the INFO client itself is connected (bounded)
    for _ in $(seq 200); do
        [ "$(info_field clients connected_clients)" = 1 ] && return 0
        sleep 0.05
    done
    fail "clients still connected: $(info_field clients connected_clients)"
}
# expect_ge WHAT VALUE MIN / expect_le WHAT VALUE MAX
expect_ge() {
    CHECKS=$((CHECKS + 1))
    [ -n "$2" ] && [ "$2" -ge "$3" ] || { echo "FAIL: $1: $2 < $3" >&2; FAILS=$((FAILS + 1)); }
}
expect_le() {
    CHECKS=$((CHECKS + 1))
    [ -n "$2" ] && [ "$2" -le "$3" ] || { echo "FAIL: $1: $2 > $3" >&2; FAILS=$((FAILS + 1)); }
}

for a in server scripts pubsub; do
    [ -n "$(mem "arena_${a}_requested")" ] || fail "INFO memory has no arena_${a}_* breakdown"
done

# Warm-up: every worker serves a few plain commands (its one-time allocations happen now).
timeout 60 redis-benchmark -p "$PORT" -q -n 3000 -c 12 -t ping,set,get >/dev/null 2>&1 ||
    fail "redis-benchmark (warm-up) failed"
wait_idle
priv_base=$(mem private_allocated)
server_base=$(mem arena_server_requested)
echo "idle: private arenas allocated $priv_base bytes; server arena requested $server_base"

# ---- The burst -------------------------------------------------------------------------------
rc config set slowlog-log-slower-than 0 >/dev/null
rc acl setuser lt on nopass '~allowed:*' '&allowed:*' +@all >/dev/null
long=$(head -c 300 /dev/zero | tr '\0' x)
args=()
for i in $(seq 40); do args+=("k$i:__rand_int__" "$long"); done

# MONITOR on its own connection: every command of the burst is posted to its worker.
exec 7<>"/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect (monitor)"
printf 'MONITOR\r\n' >&7
cat <&7 >/dev/null &
MON_READER=$!

# Subscribers, each on its own connection (spread over the workers): 4 x 300 channels of 200+
# bytes, each channel shared by two connections (the last to leave is another worker's client
# than the one that made the entry), and a few patterns.
chan() { printf 'allowed:%s:%d' "$long" "$1"; }
for s in 0 1 2 3; do
    fd=$((10 + s))
    eval "exec $fd<>/dev/tcp/127.0.0.1/$PORT" || fail "cannot connect (subscriber $s)"
    {
        printf '*302\r\n$9\r\nSUBSCRIBE\r\n'
        for j in $(seq 0 300); do
            c=$(chan $(((s % 2) * 300 + j)))
            printf '$%d\r\n%s\r\n' "${#c}" "$c"
        done
        printf '*3\r\n$10\r\nPSUBSCRIBE\r\n$11\r\nallowed:*:%d\r\n$9\r\nallowed:%d\r\n' "$s" "$s"
    } >&$fd
    eval "cat <&$fd >/dev/null &"
    SUB_READERS="${SUB_READERS:-} $!"
done

bench() { timeout 120 redis-benchmark -p "$PORT" -q "$@" >/dev/null 2>&1 || fail "redis-benchmark $* failed"; }
bench -c 12 -n 2000 -r 100000 mset "${args[@]}" &
b1=$!
# Refused keys, from four connections (redis-benchmark stops at the first error reply).
for j in 1 2 3 4; do
    for i in $(seq 60); do echo "get forbidden:$long:$j:$i"; done |
        redis-cli -p "$PORT" --user lt --pass x >/dev/null 2>&1 &
    DENIED="${DENIED:-} $!"
done
bench -c 6 -n 600 -r 100000 eval "return '__rand_int__'" 0 &
b3=$!
for i in $(seq 6); do
    rc function load "#!lua name=lib$i
redis.register_function('f$i', function(keys, args) return '${long}' end)" >/dev/null
    rc debug sleep 0.003 >/dev/null
    rc client list >/dev/null
    rc publish "$(chan $i)" hello >/dev/null
done
wait $b1 || fail "the MSET burst failed"
wait $b3 || fail "the EVAL burst failed"
wait $DENIED
# The slow log's last 128 entries: MSETs of 32 kept arguments (from every worker), then the log
# is switched off so that the INFO calls below do not replace them.
bench -c 12 -n 1000 -r 100000 mset "${args[@]}"
rc config set slowlog-log-slower-than -1 >/dev/null

subscribed=$(rc pubsub numpat | tr -dc 0-9)
expect_ge "patterns registered" "$subscribed" 8
channels=$(redis-cli -p "$PORT" pubsub channels 'allowed:*' | wc -l)
expect_ge "channels registered" "$channels" 600
pubsub_full=$(mem arena_pubsub_requested)
expect_ge "pubsub arena holds the registry (600 names of 300+ bytes)" "$pubsub_full" $((600 * 300))

# Everybody leaves: the subscribers, the monitor.
for s in 0 1 2 3; do eval "exec $((10 + s))>&-"; done
exec 7>&-
kill $SUB_READERS $MON_READER 2>/dev/null
wait $SUB_READERS $MON_READER 2>/dev/null
wait_idle

# ---- What stayed, and where ------------------------------------------------------------------
check "(integer) 128" slowlog len
acl_entries=$(redis-cli -p "$PORT" acl log 200 | grep -c '^count$')
expect_ge "ACL LOG entries" "$acl_entries" 100
expect_ge "LATENCY HISTORY command samples" "$(redis-cli -p "$PORT" latency history command | wc -l)" 2
check "(integer) 6" eval "return 6" 0 # (a script still runs after the burst)
expect_ge "function libraries" "$(redis-cli -p "$PORT" function list | grep -c '^library_name$')" 6

server_full=$(mem arena_server_requested)
scripts_full=$(mem arena_scripts_requested)
echo "after the burst: server arena requested $server_full, scripts $scripts_full, pubsub $(mem arena_pubsub_requested) (registry at its peak: $pubsub_full)"
# 128 slow log entries of 32 arguments cut at 128 bytes: 128 * 32 * 128 bytes at least.
expect_ge "server arena holds the slow log" "$server_full" $((server_base + 128 * 32 * 128))
expect_ge "scripts arena holds the Lua state and libraries" "$scripts_full" $((6 * 300))

# The registry emptied as its subscribers left, whichever worker made each entry: only the
# two tables' bucket arrays remain (1024 + 64 slots of 8 bytes for 600 channels, 8 patterns).
expect_le "pubsub arena once every subscriber left" "$(mem arena_pubsub_requested)" $(((1024 + 64) * 8))

if [ "$jemalloc" = 1 ]; then
    priv=$(mem private_allocated)
    echo "clients gone: private arenas allocated $priv bytes (idle baseline $priv_base)"
    # The slow log alone is over 512 KB: had it stayed in the workers' arenas, this fails.
    expect_le "private arenas back near their baseline" "$priv" $((priv_base + 256 * 1024))
else
    echo "malloc is not jemalloc (sanitizer build): private arenas not compared"
fi

# ---- Frees from any worker, into the right arena ---------------------------------------------
rc slowlog reset >/dev/null
rc acl log reset >/dev/null
server_after=$(mem arena_server_requested)
echo "SLOWLOG RESET, ACL LOG RESET: server arena requested $server_after"
expect_le "server arena after the resets" "$server_after" $((server_full - 128 * 32 * 128))
rc function flush >/dev/null
rc script flush >/dev/null
scripts_after=$(mem arena_scripts_requested)
echo "FUNCTION FLUSH, SCRIPT FLUSH: scripts arena requested $scripts_after"
expect_le "scripts arena after the flushes" "$scripts_after" $((scripts_full - 6 * 300))
if [ "$jemalloc" = 1 ]; then
    expect_le "private arenas after the resets" "$(mem private_allocated)" $((priv_base + 256 * 1024))
fi
finish
