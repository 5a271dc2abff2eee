#!/usr/bin/env bash
# tests/server/ttl.sh: expiry as a client sees it: lazy (a read after the deadline misses),
# active (the store's background thread removes keys nobody reads), namespace default TTL,
# and the TTL/PTTL/PERSIST view of it.
. "$(dirname "$0")/lib.sh"
start_server --threads 2 --namespace.sess.default-ttl-ms 60000

check "OK" set short v px 300
check "OK" set long v ex 100
sleep 0.6
check "(nil)" get short
check "(integer) -2" ttl short
check '"v"' get long

# Active expiry: 300 keys with a 200 ms TTL disappear without being read.
before=$(info_field stats expired_keys) # read first: on a slow machine keys expire meanwhile
for i in $(seq 300); do echo "SET ak$i v PX 200"; done | redis-cli -p "$PORT" >/dev/null
for _ in $(seq 100); do
    [ "$(redis-cli -p "$PORT" dbsize)" = 1 ] && break
    sleep 0.1
done
check "(integer) 1" dbsize
after=$(info_field stats expired_keys)
[ $((after - before)) -ge 300 ] || fail "expired_keys went from $before to $after"

# The namespace's default TTL applies to writes without one.
check "OK" -n 2 set s v
check_between 1 60 -n 2 ttl s
check "OK" -n 2 set s2 v ex 1000 # an explicit TTL wins over the default
check_between 61 1000 -n 2 ttl s2
check_match 'expires=2' info keyspace

# EXPIRE into the past deletes; PERSIST keeps.
check "(integer) 1" expire long -10
check "(integer) 0" exists long
check "OK" set p v ex 1000
check "(integer) 1" persist p
check "(integer) -1" ttl p
check '"v"' get p
finish
