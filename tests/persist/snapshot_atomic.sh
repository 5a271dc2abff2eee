#!/usr/bin/env bash
# tests/persist/snapshot_atomic.sh: a snapshot is one moment of the data, also for writes that
# are atomic over several keys. While BGSAVE dumps 400,000 keys partition by partition, clients
# run MULTI/EXEC transactions, scripts and MSETs that set pairs of keys (in different partitions)
# to the same round number; the dump.rdb, loaded by a restart, holds every pair equal (a write
# batch that met a dumped and an undumped partition must not land half in the file). And the
# other way round: BGSAVE and BGREWRITEAOF asked for while a long EXEC runs begin after it (the
# snapshot's moment falls between writes): the dump holds the whole transaction, and the log
# after the rewrite replays it exactly once (a list of 200,000 RPUSHes has 200,000 elements).
. "$(dirname "$0")/lib.sh"
need_tools redis-benchmark python3

start_server --dir "$DATA" --appendonly no --save "" --threads 2
redis-benchmark -p "$PORT" -t set -r 400000 -n 1200000 -d 64 -P 32 -q >/dev/null 2>&1
python3 - "$PORT" <<'EOF' || FAILS=$((FAILS + 1))
import socket, sys, threading, time
port, PAIRS = int(sys.argv[1]), 200
def conn():
    s = socket.create_connection(("127.0.0.1", port))
    return s, s.makefile("rb")
def cmd(*a):
    a = [x if isinstance(x, bytes) else str(x).encode() for x in a]
    return b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a)
def reply(f):
    line = f.readline()
    if line[:1] == b"*":
        return [reply(f) for _ in range(int(line[1:]))]
    if line[:1] == b"$":
        n = int(line[1:])
        return None if n < 0 else f.read(n + 2)[:-2]
    return line.rstrip(b"\r\n")
stop = threading.Event()
SCRIPT = b"redis.call('set', KEYS[1], ARGV[1]); redis.call('set', KEYS[2], ARGV[1])"
def writer(kind):
    s, f = conn()
    r = 0
    while not stop.is_set():
        r += 1
        for i in range(kind, PAIRS, 3):
            a, b = b"pa:%d" % i, b"pb:%d" % i
            if kind == 0:
                s.sendall(cmd("MULTI") + cmd("SET", a, r) + cmd("SET", b, r) + cmd("EXEC"))
                [reply(f) for _ in range(4)]
            elif kind == 1:
                s.sendall(cmd("EVAL", SCRIPT, 2, a, b, r))
                reply(f)
            else:
                s.sendall(cmd("MSET", a, r, b, r))
                reply(f)
threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
for t in threads:
    t.start()
time.sleep(0.3)
s, f = conn()
s.sendall(cmd("BGSAVE"))
print("BGSAVE:", reply(f).decode())
while True:
    s.sendall(cmd("INFO", "persistence"))
    info = reply(f).decode()
    if "rdb_bgsave_in_progress:0" in info:
        break
    time.sleep(0.05)
stop.set()
for t in threads:
    t.join()
assert "rdb_last_bgsave_status:ok" in info, info
EOF
stop_server || fail "server did not stop cleanly"
start_server --dir "$DATA" --appendonly no --save "" --threads 2
python3 - "$PORT" <<'EOF' || FAILS=$((FAILS + 1))
import socket, sys
port, PAIRS = int(sys.argv[1]), 200
s = socket.create_connection(("127.0.0.1", port))
f = s.makefile("rb")
def get(k):
    s.sendall(b"*2\r\n$3\r\nGET\r\n$%d\r\n%s\r\n" % (len(k), k))
    n = int(f.readline()[1:])
    return None if n < 0 else f.read(n + 2)[:-2]
torn = [(i, get(b"pa:%d" % i), get(b"pb:%d" % i)) for i in range(PAIRS)]
torn = [t for t in torn if t[1] != t[2]]
have = sum(1 for i in range(PAIRS) if get(b"pa:%d" % i) is not None)
print("snapshot under transactions: %d of %d pairs present, %d torn" % (have, PAIRS, len(torn)))
if torn or have == 0:
    print("FAIL: the snapshot holds half of atomic writes: %s" % torn[:5], file=sys.stderr)
    sys.exit(1)
EOF
CHECKS=$((CHECKS + 2))

# mid_exec KIND: one EXEC (SET a; 200,000 RPUSH; SET b) while KIND (bgsave|bgrewriteaof)
# arrives from another client 50 ms after it was sent; waits until that is done.
mid_exec() {
    python3 - "$PORT" "$1" <<'EOF'
import socket, sys, time
port, kind = int(sys.argv[1]), sys.argv[2].encode()
def conn():
    s = socket.create_connection(("127.0.0.1", port))
    return s, s.makefile("rb")
def cmd(*a):
    a = [x if isinstance(x, bytes) else str(x).encode() for x in a]
    return b"*%d\r\n" % len(a) + b"".join(b"$%d\r\n%s\r\n" % (len(x), x) for x in a)
N = 200000
s, f = conn()
s.sendall(cmd("MULTI") + cmd("SET", "a", 1) + b"".join(cmd("RPUSH", "filler", i) for i in range(N)) +
          cmd("SET", "b", 1))
for _ in range(N + 3):
    f.readline()
s.sendall(cmd("EXEC"))
time.sleep(0.05)
o, g = conn()
o.sendall(cmd(kind))
print(kind.decode(), "->", g.readline().decode().strip())
assert f.readline().startswith(b"*%d" % (N + 2))
flag = b"aof_rewrite_in_progress:0" if kind == b"bgrewriteaof" else b"rdb_bgsave_in_progress:0"
while True:
    o.sendall(cmd("INFO", "persistence"))
    n = int(g.readline()[1:])
    info = g.read(n + 2)
    if flag in info and b"aof_rewrite_scheduled:0" in info:
        break
    time.sleep(0.05)
EOF
}
check "OK" flushall
mid_exec bgsave
stop_server || fail "server did not stop cleanly"
start_server --dir "$DATA" --appendonly no --save "" --threads 2
same "a snapshot asked for during EXEC: a, b, the list's length" "$(rc get a) $(rc get b) $(rc llen filler)" \
    '"1" "1" (integer) 200000'
stop_server || fail "server did not stop cleanly"
rm -f "$DATA/dump.rdb"
start_server --dir "$DATA" --appendonly yes --appendfsync everysec --threads 2
mid_exec bgrewriteaof
check "(integer) 200000" llen filler
stop_server || fail "server did not stop cleanly"
start_server --dir "$DATA" --appendonly yes --appendfsync everysec --threads 2
same "the log after a rewrite asked for during EXEC: a, b, the list's length" \
    "$(rc get a) $(rc get b) $(rc llen filler)" '"1" "1" (integer) 200000'
stop_server || fail "server did not stop cleanly"
finish
