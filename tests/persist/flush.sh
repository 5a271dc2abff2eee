#!/usr/bin/env bash
# tests/persist/flush.sh: FLUSHDB and FLUSHALL are atomic and logged as one record each.
#  - FLUSHALL over two dbs of 50,000 keys writes one FLUSHDB per db (one MULTI block), not a
#    DEL per key; redis-check-aof accepts the log, a restart and redis-server 7.0 both load
#    exactly the keys written after it;
#  - the pages a flush frees go back to the system before it replies (RSS below a third);
#  - atomic: one client writes seq:0, seq:1, ... in order (pipelined) while another flushes;
#    what survives is a suffix of the sequence (no key written before a deleted one survives);
#  - with snapshots only and a save rule, FLUSHALL saves the empty snapshot before it replies
#    (inside MULTI/EXEC or a script: when they end):
#    a crash right after it does not bring the deleted keys back (Redis saves there too);
#  - under writers, FLUSHDB and BGREWRITEAOF over and over (the flush meets rewrites at every
#    stage: none, part or all of the db dumped): the state after a restart is the state before.
. "$(dirname "$0")/lib.sh"
need_tools redis-check-aof redis-benchmark python3

FL="--dir $DATA --appendonly yes --appendfsync everysec --threads 2 --enable-debug-command yes"
start_server $FL
INCR() { ls "$DATA"/appendonlydir/*.incr.aof | tail -1; }

# 1. one record per db
redis-benchmark -p "$PORT" -t set -r 50000 -n 150000 -P 32 -q >/dev/null 2>&1
redis-benchmark -p "$PORT" --dbnum 1 -t set -r 50000 -n 150000 -P 32 -q >/dev/null 2>&1
check_match "^\(integer\) [0-9]{5}$" dbsize
check_match "^\(integer\) [0-9]{5}$" -n 1 dbsize
check "Background append only file rewriting started" bgrewriteaof
# (done before the flush: one in progress with part of the db dumped logs each key instead)
wait_rewrite 60
check "OK" flushall
check "OK" set kept 1
check "OK" -n 1 set kept1 2
check "(integer) 1" dbsize
stop_server || fail "server did not stop cleanly"
dels=$(grep -c '^DEL' "$(INCR)" || true)
flushes=$(grep -c '^FLUSHDB' "$(INCR)" || true)
CHECKS=$((CHECKS + 1))
if [ "$dels" != 0 ] || [ "$flushes" != 2 ]; then
    echo "FAIL: log after FLUSHALL: $dels DEL and $flushes FLUSHDB records (want 0 and 2)" >&2
    FAILS=$((FAILS + 1))
fi
out=$(redis-check-aof "$DATA/appendonlydir/appendonly.aof.manifest" 2>&1)
CHECKS=$((CHECKS + 1))
printf '%s' "$out" | grep -q "All AOF files and manifest are valid" ||
    { echo "FAIL: redis-check-aof: $out" >&2; FAILS=$((FAILS + 1)); }
if command -v redis-server >/dev/null; then
    cp -r "$DATA/appendonlydir" "$DATA/peer" 2>/dev/null && mkdir -p "$DATA/r" &&
        mv "$DATA/peer" "$DATA/r/appendonlydir"
    start_redis "$DATA/r" --appendonly yes
    same "redis-server: db 0 after replay" "$(rr dbsize)|$(rr get kept)" "(integer) 1|\"1\""
    same "redis-server: db 1 after replay" "$(rr -n 1 dbsize)|$(rr -n 1 get kept1)" "(integer) 1|\"2\""
    stop_redis
fi
start_server $FL
check "(integer) 1" dbsize
check '"1"' get kept
check '"2"' -n 1 get kept1

# 1b. automatic rewrites follow CONFIG SET (none at auto-aof-rewrite-percentage 0)
check "OK" config set auto-aof-rewrite-percentage 0
check "OK" config set auto-aof-rewrite-min-size 1mb
bases=$(ls "$DATA"/appendonlydir/*.base.rdb)
redis-benchmark -p "$PORT" -t set -r 100000 -n 300000 -d 100 -P 32 -q >/dev/null 2>&1
sleep 1.2 # a tick of the rules (once a second) after the log grew many times its base
same "no automatic rewrite at auto-aof-rewrite-percentage 0" "$(ls "$DATA"/appendonlydir/*.base.rdb)" "$bases"
check "OK" config set auto-aof-rewrite-percentage 100
stop_server || fail "server did not stop cleanly"

# 1c. the memory a flush frees goes back to the system when it returns (no decay period); on a
# server without the log, whose thread frees its write buffers when it next goes idle
mkdir -p "$DATA/mem"
start_server --dir "$DATA/mem" --appendonly no --threads 2
redis-benchmark -p "$PORT" -t set -r 1000000 -n 1500000 -d 100 -P 32 -q >/dev/null 2>&1
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SPID/status"; }
full=$(rss)
check "OK" flushall
empty=$(rss)
echo "RSS full ${full} kB, after FLUSHALL ${empty} kB"
CHECKS=$((CHECKS + 1))
if [ "$(info_field memory malloc_is_jemalloc)" != 1 ]; then
    echo "malloc is not jemalloc (sanitizer build): the purge's effect on RSS not checked"
elif [ "$((empty * 3))" -gt "$full" ]; then
    echo "FAIL: FLUSHALL left RSS at ${empty} kB of ${full} kB (more than a third)" >&2
    redis-cli -p "$PORT" info memory | grep -E 'arena_.*_(resident|dirty|muzzy|allocated):' >&2
    FAILS=$((FAILS + 1))
fi
stop_server || fail "server did not stop cleanly"
start_server $FL

# 2. atomic: survivors of a flush under an ordered writer are a suffix of the order
redis-benchmark -p "$PORT" -t set -r 200000 -n 400000 -P 32 -q >/dev/null 2>&1
python3 - "$PORT" "$(dirname "$0")/../server" <<'EOF' || FAILS=$((FAILS + 1))
import sys, threading, time
sys.path.insert(0, sys.argv[2])
from resp_test import Conn
port, W, N, B = int(sys.argv[1]), 8, 8000, 20
def writer(c, w):
    # sequence w:0, w:1, ... in batches, each answered before the next; the eight writers
    # spread over the workers, so some run on another worker than the flush throughout it
    for base in range(0, N, B):
        assert c.many([("SET", "%d:%d" % (w, i), "v") for i in range(base, base + B)]) == ["+OK"] * B
threads = [threading.Thread(target=writer, args=(Conn(port), w)) for w in range(W)]
for t in threads:
    t.start()
time.sleep(0.1)
c = Conn(port)
assert c("FLUSHDB") == "+OK"
for t in threads:
    t.join()
bad = 0
for w in range(W):
    alive = [r == 1 for r in c.many([("EXISTS", "%d:%d" % (w, i)) for i in range(N)])]
    first = alive.index(True) if True in alive else N
    holes = alive[first:].count(False)
    print("writer %d: first survivor %d of %d, %d missing after it" % (w, first, N, holes))
    bad += holes
if bad:
    print("FAIL: FLUSHDB was not atomic: %d keys written after a survivor are gone" % bad, file=sys.stderr)
    sys.exit(1)
EOF
CHECKS=$((CHECKS + 1))

# 3. flushes meeting rewrites under writers: restart gives the same state
redis-benchmark -p "$PORT" -t set,lpush,sadd -r 100000 -n 3000000 -P 8 -c 4 -q >/dev/null 2>&1 &
BENCH=$!
for round in $(seq 12); do
    sleep 0.$((RANDOM % 4 + 1))
    redis-cli -p "$PORT" bgrewriteaof >/dev/null
    sleep 0.0$((RANDOM % 9 + 1))
    if ((round % 3 == 0)); then redis-cli -p "$PORT" flushall >/dev/null; else redis-cli -p "$PORT" flushdb >/dev/null; fi
done
kill "$BENCH" 2>/dev/null
wait "$BENCH" 2>/dev/null
wait_rewrite 60
# (the killed benchmark's last pipelined commands may still be running: until two reads agree)
digest() { echo "$(redis-cli -p "$PORT" dbsize) $(redis-cli -p "$PORT" debug digest)"; }
before=$(digest)
for _ in $(seq 100); do sleep 0.1; now=$(digest); [ "$now" = "$before" ] && break; before=$now; done
stop_server || fail "server did not stop cleanly"
start_server $FL
after=$(digest)
same "dbsize and digest after flushes, rewrites and a restart" "$after" "$before"
stop_server || fail "server did not stop cleanly"

# 4. snapshots only (no log), with a save rule: FLUSHALL saves the empty snapshot at once, so a
# crash right after it does not bring the deleted keys back (as Redis)
rm -rf "$DATA/appendonlydir" "$DATA/dump.rdb"
start_server --dir "$DATA" --appendonly no --save "3600 1"
check "OK" set doomed 1
check "OK" save
check "OK" flushall
check "OK" set later 1
crash_server
start_server --dir "$DATA" --appendonly no --save "3600 1"
check "(integer) 0" exists doomed
check "(integer) 0" exists later # written after the save: lost, as with Redis
# the same for a FLUSHALL inside a transaction and inside a script: saved when they end
check "OK" set doomed 1
check "OK" save
check_session $'OK\nQUEUED\n1) OK' 'multi|flushall|exec'
crash_server
start_server --dir "$DATA" --appendonly no --save "3600 1"
check "(integer) 0" exists doomed
check "OK" set doomed 1
check "OK" save
check "OK" eval "return redis.call('flushall')" 0
crash_server
start_server --dir "$DATA" --appendonly no --save "3600 1"
check "(integer) 0" exists doomed
stop_server || fail "server did not stop cleanly"
finish
