# bench/lib.sh: shell helpers shared by the bench/ scripts. Source it (bash, set -euo pipefail
# friendly); it sets BENCH_ROOT (the repository), defines functions and installs the exit trap,
# and starts nothing.
#
# Servers started through it listen on 127.0.0.1 only, on a port the kernel picked, and every
# process handed to track_pid is stopped by its PID (SIGTERM, then reaped) when the script exits,
# however it exits (EXIT trap; INT and TERM exit through it). Directories handed to track_dir are
# removed then too.
#
#   bench_build DIR [CMAKE_ARGS...] -- TARGET...   configure DIR (quietly) and build the targets
#   need_tools CMD...        exit 1 with a hint unless every command is installed
#   free_port                print a free TCP port on 127.0.0.1 (the kernel picks it)
#   track_pid PID            stop PID when the script exits (last tracked, first stopped)
#   track_dir DIR            remove DIR when the script exits
#   stop_pid PID             stop one tracked process now (SIGTERM, reap, untrack)
#   reap_pid PID             wait for a tracked process to end by itself, then untrack it
#   wait_ping PORT           wait up to 10 s until 127.0.0.1:PORT answers PING, else exit 1
#   rss_kb PID               resident set size of PID in kB (VmRSS of /proc/PID/status)
#   start_redis VAR PORT LOG [ARGS...]
#                            Debian's redis-server on 127.0.0.1:PORT without persistence,
#                            output to LOG, tracked; waits for PING; its PID goes to $VAR
#   start_flatline VAR SERVER PORT LOG [ARGS...]
#                            the flatline-server binary SERVER on 127.0.0.1:PORT, the same way

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd) # the repository
bench_pids=()
bench_dirs=()

bench_cleanup() {
    local i
    for ((i = ${#bench_pids[@]} - 1; i >= 0; i--)); do
        kill "${bench_pids[i]}" 2>/dev/null || true
    done
    for i in "${bench_pids[@]}"; do wait "$i" 2>/dev/null || true; done
    bench_pids=()
    for i in "${bench_dirs[@]}"; do rm -rf "$i"; done
    bench_dirs=()
}
trap bench_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_build() {
    local dir=$1 args=()
    shift
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
        args+=("$1")
        shift
    done
    [ $# -gt 0 ] && shift
    cmake -S "$BENCH_ROOT" -B "$dir" "${args[@]}" >/dev/null
    cmake --build "$dir" -j"$(nproc)" --target "$@" >/dev/null
}

need_tools() {
    local t
    for t in "$@"; do
        command -v "$t" >/dev/null || { echo "$t is not installed (scripts/deps.sh installs it)" >&2; exit 1; }
    done
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

track_pid() { bench_pids+=("$1"); }
track_dir() { bench_dirs+=("$1"); }

untrack_pid() {
    local p keep=()
    for p in "${bench_pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
    bench_pids=("${keep[@]}")
}

stop_pid() {
    kill "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
    untrack_pid "$1"
}

reap_pid() {
    wait "$1" 2>/dev/null || true
    untrack_pid "$1"
}

wait_ping() {
    for _ in $(seq 200); do
        [ "$(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null)" = PONG ] && return 0
        sleep 0.05
    done
    echo "server on port $1 did not start" >&2
    exit 1
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$1/status"; }

start_redis() {
    local var=$1 port=$2 log=$3
    shift 3
    redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize no \
        --loglevel warning "$@" >"$log" 2>&1 &
    printf -v "$var" %s $!
    track_pid $!
    wait_ping "$port"
}

start_flatline() {
    local var=$1 server=$2 port=$3 log=$4
    shift 4
    # Like for like with start_redis: no persistence unless the caller's options turn it on
    # (later options win), although flatline-server's own defaults are durable.
    "$server" --bind 127.0.0.1 --port "$port" --loglevel warning --appendonly no "$@" >"$log" 2>&1 &
    printf -v "$var" %s $!
    track_pid $!
    wait_ping "$port"
}
