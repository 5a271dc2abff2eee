#!/usr/bin/env bash
# bench/client-limits.sh: the MGET amplification (one 100 KB key named N times in one MGET, a
# reply of N x 100 KB) against flatline-server and redis-server 7.0 side by side, each with its
# defaults and then both with `client-output-buffer-limit normal 64mb 0 0`. Prints, per server
# and setting, the server's peak RSS (VmHWM) growth during the request, whether the client was
# closed, and how long a PING from a second client took meanwhile (redis-cli start included).
#
#   bench/client-limits.sh [N]        (default N = 20000: a 2 GB reply)
#   BUILD=dir                         build directory (default build-bench)
set -euo pipefail
. "$(dirname "$0")/lib.sh"
N=${1:-20000}
BUILD=${BUILD:-$BENCH_ROOT/build-bench}
need_tools redis-server redis-cli python3
bench_build "$BUILD" -DCMAKE_BUILD_TYPE=Release -- flatline-server
SERVER=$BUILD/src/server/flatline-server
TMP=$(mktemp -d /tmp/flatline-client-limits.XXXXXX)
track_dir "$TMP"

hwm_kb() { sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }

# run NAME PID PORT: sets the key, sends the MGET from one client while another PINGs.
run() {
    local name=$1 pid=$2 port=$3 before after
    head -c 100000 /dev/zero | tr '\0' x | redis-cli -p "$port" -x set big >/dev/null
    before=$(hwm_kb "$pid")
    python3 - "$port" "$N" >"$TMP/out" <<'EOF' &
import socket, sys, time
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
args = [b"MGET"] + [b"big"] * n
s.sendall(b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args))
got = 0
try:
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        got += len(d)
        if got >= n * 100000:
            break
except ConnectionResetError:
    pass
print("closed" if got < n * 100000 else "answered", got)
EOF
    local client=$!
    local t0 t1
    sleep 0.2
    t0=$(date +%s%N)
    redis-cli -p "$port" ping >/dev/null
    t1=$(date +%s%N)
    wait "$client"
    after=$(hwm_kb "$pid")
    printf '%-34s peak RSS +%6d MB  client %-8s  PING during it %6.1f ms\n' "$name" \
        $(((after - before) / 1024)) "$(cut -d' ' -f1 "$TMP/out")" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')"
}

for limit in default "normal 64mb 0 0"; do
    fport=$(free_port)
    start_flatline fpid "$SERVER" "$fport" "$TMP/flatline.log" --threads 2
    rport=$(free_port)
    start_redis rpid "$rport" "$TMP/redis.log"
    if [ "$limit" != default ]; then
        redis-cli -p "$fport" config set client-output-buffer-limit "$limit" >/dev/null
        redis-cli -p "$rport" config set client-output-buffer-limit "$limit" >/dev/null
    fi
    run "flatline ($limit)" "$fpid" "$fport"
    run "redis 7.0 ($limit)" "$rpid" "$rport"
    stop_pid "$fpid"
    stop_pid "$rpid"
done
