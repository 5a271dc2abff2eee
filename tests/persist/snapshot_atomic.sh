#!/usr/bin/env bash
# tests/persist/snapshot_atomic.sh: a snapshot is one moment of the data, also for writes that
# are atomic over several keys. While BGSAVE dumps 400,000 keys partition by partition, clients
# run MULTI/EXEC transactions, scripts and MSETs that set pairs of keys (in different partitions)
# to the same round number; the dump.rdb, loaded by a restart, holds every pair equal (a write
# batch that met a dumped and an undumped partition must not land half in the file). And the
# other way round: BGSAVE and BGREWRITEAOF asked for while a long EXEC runs begin after it (the
# snapshot's moment falls between writes): the dump holds all of the transaction or none of it
# (when it had not begun yet), and the log
# after the rewrite replays it exactly once (a list of 200,000 RPUSHes has 200,000 elements).
. "$(dirname "$0")/lib.sh"
need_tools redis-benchmark python3

start_server --dir "$DATA" --appendonly no --save "" --threads 2
redis-benchmark -p "$PORT" -t set -r 400000 -n 1200000 -d 64 -P 32 -q >/dev/null 2>&1
python3 - "$PORT" "$(dirname "$0")/../server" <<'EOF' || FAILS=$((FAILS + 1))
import sys, threading, time
sys.path.insert(0, sys.argv[2])
from resp_test import Conn
port, PAIRS = int(sys.argv[1]), 200
stop = threading.Event()
SCRIPT = "redis.call('set', KEYS[1], ARGV[1]); redis.call('set', KEYS[2], ARGV[1])"
def writer(kind):
    c = Conn(port)
    r = 0
    while not stop.is_set():
        r += 1
        for i in range(kind, PAIRS, 3):
            a, b = "pa:%d" % i, "pb:%d" % i
            if kind == 0:
                c.many([("MULTI",), ("SET", a, r), ("SET", b, r), ("EXEC",)])
            elif kind == 1:
                c("EVAL", SCRIPT, 2, a, b, r)
            else:
                c("MSET", a, r, b, r)
threads = [threading.Thread(target=writer, args=(k,)) for k in range(3)]
for t in threads:
    t.start()
time.sleep(0.3)
c = Conn(port)
print("BGSAVE:", c("BGSAVE"))
while b"rdb_bgsave_in_progress:0" not in c("INFO", "persistence"):
    time.sleep(0.05)
stop.set()
for t in threads:
    t.join()
assert b"rdb_last_bgsave_status:ok" in c("INFO", "persistence")
EOF
stop_server || fail "server did not stop cleanly"
start_server --dir "$DATA" --appendonly no --save "" --threads 2
python3 - "$PORT" "$(dirname "$0")/../server" <<'EOF' || FAILS=$((FAILS + 1))
import sys
sys.path.insert(0, sys.argv[2])
from resp_test import Conn
port, PAIRS = int(sys.argv[1]), 200
c = Conn(port)
pairs = [(i, c("GET", "pa:%d" % i), c("GET", "pb:%d" % i)) for i in range(PAIRS)]
torn = [p for p in pairs if p[1] != p[2]]
have = sum(1 for p in pairs if p[1] is not None)
print("snapshot under transactions: %d of %d pairs present, %d torn" % (have, PAIRS, len(torn)))
if torn or have == 0:
    print("FAIL: the snapshot holds half of atomic writes: %s" % torn[:5], file=sys.stderr)
    sys.exit(1)
EOF
CHECKS=$((CHECKS + 2))

# mid_exec KIND: one EXEC (SET a; 200,000 RPUSH; SET b) while KIND (bgsave|bgrewriteaof)
# arrives from another client 50 ms after it was sent; waits until that is done.
mid_exec() {
    python3 - "$PORT" "$1" "$(dirname "$0")/../server" <<'EOF'
import sys, time
sys.path.insert(0, sys.argv[3])
from resp_test import Conn
port, kind, N = int(sys.argv[1]), sys.argv[2], 200000
c = Conn(port)
queued = c.many([("MULTI",), ("SET", "a", 1)] + [("RPUSH", "filler", i) for i in range(N)] +
                [("SET", "b", 1)])
assert queued == ["+OK"] + ["+QUEUED"] * (N + 2)
c.s.sendall(c._encode(("EXEC",)))
time.sleep(0.05)
o = Conn(port)
print(kind, "->", o(kind))
assert len(c._reply()) == N + 2
flag = b"aof_rewrite_in_progress:0" if kind == "bgrewriteaof" else b"rdb_bgsave_in_progress:0"
while True:
    info = o("INFO", "persistence")
    if flag in info and b"aof_rewrite_scheduled:0" in info:
        break
    time.sleep(0.05)
EOF
}
check "OK" flushall
mid_exec bgsave
stop_server || fail "server did not stop cleanly"
start_server --dir "$DATA" --appendonly no --save "" --threads 2
# all of the transaction, or (a loaded machine had not begun EXEC 50 ms later) none of it
got="$(rc get a) $(rc get b) $(rc llen filler)"
echo "a snapshot asked for during EXEC holds: $got"
CHECKS=$((CHECKS + 1))
case $got in
'"1" "1" (integer) 200000' | '(nil) (nil) (integer) 0') ;;
*) echo "FAIL: a snapshot asked for during EXEC holds part of it: $got" >&2; FAILS=$((FAILS + 1)) ;;
esac
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
