#!/usr/bin/env bash
# bench/expiry-vs-redis.sh: active expiry, flatline-server next to Debian's redis-server, side
# by side on free 127.0.0.1 ports. A benchmark, not a test: it prints figures and ratios.
#
#   1. Mass expiry: KEYS keys (default 1,000,000) loaded through `redis-cli --pipe` with one
#      absolute expiry (SET ... PXAT t, t a few seconds after the load), into both servers.
#      Nobody touches them; DBSIZE is polled every 20 ms from t: the time until it reaches 0.
#      Meanwhile a probe client GETs a key without a TTL in a loop: its p99 and max latency
#      during the expiry, against the same probe on the idle server just before.
#   2. A few among many: KEYS keys without a TTL, then 3 keys with PX 500. DBSIZE is polled
#      every 20 ms (without touching the 3 keys, which would expire them lazily): the time from
#      the SETs until it has dropped by 3.
# Target: flatline's times at most Redis's (ratio flatline/redis <= 1), probe latency during
# expiry close to idle.
#
# Environment: BUILD (Release build dir, default build-expiry-bench), KEYS (default 1000000),
# THREADS (flatline workers, default 2), ROUNDS (default 2).
set -euo pipefail
source "$(dirname "$0")/lib.sh"
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-expiry-bench}
KEYS=${KEYS:-1000000}
THREADS=${THREADS:-2}
ROUNDS=${ROUNDS:-2}
SERVER=$BUILD/src/server/flatline-server
need_tools redis-server redis-cli python3
bench_build "$BUILD" -DCMAKE_BUILD_TYPE=Release -- flatline-server
tmp=$(mktemp -d /tmp/expiry-vs-redis.XXXXXX)
track_dir "$tmp"

# gen_set COUNT PREFIX [OPTION ARG]: a RESP stream of SET <prefix><i> v [OPTION ARG].
gen_set() {
    awk -v n="$1" -v pre="$2" -v opt="${3:-}" -v arg="${4:-}" 'BEGIN {
        for (i = 0; i < n; i++) {
            k = sprintf("%s%d", pre, i)
            if (opt == "")
                printf "*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n", length(k), k
            else
                printf "*5\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$1\r\nv\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n",
                    length(k), k, length(opt), opt, length(arg), arg
        }
    }'
}

now_ms() { date +%s%3N; }

# until_dbsize PORT TARGET FROM_MS: ms from FROM_MS until DBSIZE <= TARGET (polled every 20 ms).
until_dbsize() {
    python3 - "$1" "$2" "$3" <<'EOF'
import socket, sys, time
port, target, start = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000.0
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
while True:
    s.sendall(b"*1\r\n$6\r\nDBSIZE\r\n")
    n = int(f.readline()[1:])
    if n <= target:
        print(int((time.time() - start) * 1000))
        break
    time.sleep(0.02)
EOF
}

# probe PORT SECONDS: GET of a key without a TTL in a loop; prints "p99_us max_us".
probe() {
    python3 - "$1" "$2" <<'EOF'
import socket, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
f = s.makefile("rb")
lat = []
end = time.time() + secs
while time.time() < end:
    t = time.perf_counter()
    s.sendall(b"*2\r\n$3\r\nGET\r\n$5\r\nprobe\r\n")
    f.readline(); f.readline()
    lat.append((time.perf_counter() - t) * 1e6)
lat.sort()
print(int(lat[int(len(lat) * 0.99)]), int(lat[-1]))
EOF
}

# mass PORT: phase 1 on one server; prints "ms_to_empty idle_p99 idle_max exp_p99 exp_max".
mass() {
    local port=$1 at idle exp ms
    redis-cli -p "$port" flushall >/dev/null
    redis-cli -p "$port" set probe v >/dev/null
    at=$(($(now_ms) + 4000 + KEYS / 500))
    gen_set "$KEYS" "m:" PXAT "$at" | redis-cli -p "$port" --pipe >/dev/null
    idle=$(probe "$port" 1)
    while [ "$(now_ms)" -lt "$at" ]; do sleep 0.01; done
    probe "$port" 2 >"$tmp/probe" &
    local ppid=$!
    ms=$(until_dbsize "$port" 1 "$at") # the probe key stays
    wait "$ppid"
    exp=$(cat "$tmp/probe")
    echo "$ms $idle $exp"
}

# few PORT: phase 2 on one server; prints ms until the 3 keys are gone.
few() {
    local port=$1 t0 n
    redis-cli -p "$port" flushall >/dev/null
    gen_set "$KEYS" "p:" | redis-cli -p "$port" --pipe >/dev/null
    t0=$(now_ms)
    for i in 1 2 3; do redis-cli -p "$port" set "few:$i" v px 500 >/dev/null; done
    n=$(redis-cli -p "$port" dbsize)
    until_dbsize "$port" $((n - 3)) "$t0"
}

rport=$(free_port)
start_redis RPID "$rport" "$tmp/redis.log"
fport=$(free_port)
start_flatline FPID "$SERVER" "$fport" "$tmp/flatline.log" --threads "$THREADS"

echo "keys: $KEYS, flatline threads: $THREADS, rounds: $ROUNDS (lower is better everywhere)"
printf '%-28s %12s %12s %8s\n' "" redis flatline ratio
for r in $(seq "$ROUNDS"); do
    read -r rms ridp rimx rexp rexmx <<<"$(mass "$rport")"
    read -r fms fidp fimx fexp fexmx <<<"$(mass "$fport")"
    printf '%-28s %12s %12s %8s\n' "[$r] $KEYS expire: ms to gone" "$rms" "$fms" \
        "$(awk -v a="$fms" -v b="$rms" 'BEGIN { printf "%.2f", a / (b ? b : 1) }')"
    printf '%-28s %12s %12s\n' "    probe p99 us idle/expiring" "$ridp/$rexp" "$fidp/$fexp"
    printf '%-28s %12s %12s\n' "    probe max us idle/expiring" "$rimx/$rexmx" "$fimx/$fexmx"
    rfew=$(few "$rport")
    ffew=$(few "$fport")
    printf '%-28s %12s %12s %8s\n' "[$r] 3 of $KEYS, PX 500: ms" "$rfew" "$ffew" \
        "$(awk -v a="$ffew" -v b="$rfew" 'BEGIN { printf "%.2f", a / (b ? b : 1) }')"
done
