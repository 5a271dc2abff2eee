#!/usr/bin/env bash
# tests/server/quota.sh: per-namespace quotas and eviction policies. By default nothing is
# evicted: above stop-writes, writes get -OOM naming the namespace while reads, deletes and
# other namespaces keep working and no data is lost (also past the high-water mark); with a
# maxmemory-policy, above the high-water mark the store evicts by it instead of refusing.
# A limit too small for the namespace's own structures, or a config path that cannot be read,
# stops the start with a message.
. "$(dirname "$0")/lib.sh"

# ---- refused starts ----
expect_refused() { # WHAT PATTERN ARGS...: the server exits non-zero at once, saying PATTERN
    local what=$1 pattern=$2 out st
    shift 2
    out=$(timeout 30 "$SERVER" "$@" 2>&1)
    st=$?
    CHECKS=$((CHECKS + 1))
    if [ "$st" = 0 ] || [ "$st" = 124 ] || ! printf '%s' "$out" | grep -q -- "$pattern"; then
        echo "FAIL: $what: status $st, output: $out" >&2
        FAILS=$((FAILS + 1))
    fi
}
cfgdir=$(mktemp -d /tmp/flatline-quota-test.XXXXXX)
expect_refused "a config path that is a directory" "cannot read config file.*Is a directory" \
    "$cfgdir" --port 1
rmdir "$cfgdir"
expect_refused "a limit below the partition array" "memory-limit 102400 is too small" \
    --port 1 --namespace.tiny.memory-limit 100kb
expect_refused "an unknown policy" "bad value 'allkeys-lra' for 'maxmemory-policy'" \
    --port 1 --namespace.default.maxmemory-policy allkeys-lra

start_server --threads 2 \
    --namespace.small.memory-limit 256kb --namespace.small.high-water-pct 50 \
    --namespace.small.stop-writes-pct 80 --namespace.small.partitions 16 \
    --namespace.lru.memory-limit 256kb --namespace.lru.high-water-pct 50 \
    --namespace.lru.stop-writes-pct 95 --namespace.lru.partitions 16 \
    --namespace.lru.maxmemory-policy volatile-ttl
check $'1) "namespace.lru.maxmemory-policy"\n2) "volatile-ttl"' config get namespace.lru.maxmemory-policy
check $'1) "namespace.small.maxmemory-policy"\n2) "noeviction"' config get namespace.small.maxmemory-policy
# namespaces: 0 default, 1 cache (embedded), 2 small, 3 lru (few partitions: an empty
# 4096-partition index alone would take most of a 256 KB quota)
# random letters: a key takes its value's bytes (a repetitive value would be kept compressed)
val=$(python3 -c "import random; r = random.Random(1); print(''.join(chr(97 + r.randrange(26)) for _ in range(1000)), end='')")

# Fill "small" until writes are refused.
out=$(for i in $(seq 400); do echo "SET k$i $val"; done | redis-cli -p "$PORT" -n 2 2>&1)
oks=$(printf '%s\n' "$out" | grep -c '^OK$')
ooms=$(printf '%s\n' "$out" | grep -c "^OOM .*namespace 'small'")
[ "$ooms" -gt 0 ] || fail "no -OOM naming the namespace after 400 KB into a 256 KB namespace: $(printf '%s' "$out" | sort | uniq -c)"
[ "$oks" -gt 50 ] || fail "only $oks writes accepted"
[ $((oks + ooms)) = 400 ] || fail "unexpected replies: $(printf '%s' "$out" | sort | uniq -c | head)"
check_match "^\(error\) OOM command not allowed when used memory > 'maxmemory' in namespace 'small'" -n 2 set another "$val"
check_match "^\(error\) OOM" -n 2 hset hh f "$val"
# Data intact, reads and deletes work, other namespaces unaffected.
check "(integer) $oks" -n 2 dbsize
[ "$(redis-cli -p "$PORT" -n 2 get k1)" = "$val" ] || fail "k1 lost its value"
[ "$(redis-cli -p "$PORT" -n 2 get k$oks)" = "$val" ] || fail "k$oks lost its value"
check "OK" -n 0 set elsewhere "$val"
check "(integer) 1" -n 2 del k1
check "OK" -n 2 set k1 small
used=$(redis-cli -p "$PORT" info namespaces | tr -d '\r' | sed -n 's/^ns_small:.*,used=\([0-9]*\),.*/\1/p')
[ "$used" -le $((256 * 1024)) ] || fail "namespace small uses $used bytes over its 256 KB limit"
check_match 'writes_refused=[1-9]' info namespaces
check_match '^ns_small:.*,evicted=0,' info namespaces # past high-water, noeviction: none

# "lru" (volatile-ttl): above 50% of 256 KB the store evicts; writes keep succeeding.
out=$(for i in $(seq 600); do echo "SET t$i $val EX 1000"; done | redis-cli -p "$PORT" -n 3 2>&1)
[ "$(printf '%s\n' "$out" | grep -c '^OK$')" = 600 ] || fail "writes refused under the high-water mark: $(printf '%s' "$out" | sort | uniq -c | head)"
for _ in $(seq 50); do
    used=$(redis-cli -p "$PORT" info namespaces | tr -d '\r' | sed -n 's/^ns_lru:.*,used=\([0-9]*\),.*/\1/p')
    [ "$used" -le $((256 * 1024 * 55 / 100)) ] && break
    sleep 0.1
done
[ "$used" -le $((256 * 1024 * 55 / 100)) ] || fail "lru namespace still at $used bytes, above its high-water mark"
evicted=$(redis-cli -p "$PORT" info namespaces | tr -d '\r' | sed -n 's/^ns_lru:.*,evicted=\([0-9]*\),.*/\1/p')
[ "$evicted" -gt 0 ] || fail "nothing evicted"
# Soonest-expiring first: the newest keys (latest expiry) are mostly still there.
kept=0
for i in $(seq 591 600); do [ "$(redis-cli -p "$PORT" -n 3 get t$i)" = "$val" ] && kept=$((kept + 1)); done
[ "$kept" -ge 5 ] || fail "only $kept of the 10 newest keys survived eviction"
finish
