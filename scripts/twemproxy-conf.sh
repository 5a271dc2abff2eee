#!/usr/bin/env bash
# scripts/twemproxy-conf.sh LISTEN PASSWORD HOST:PORT...: prints a nutcracker (twemproxy)
# configuration that shards keys over the flatline-servers given, as docs/twemproxy.md
# describes: consistent hashing (ketama over fnv1a_64, so adding a server moves about 1/N of
# the keys), the Redis protocol, servers kept in the ring when they fail (no silent
# re-sharding), and `redis_auth` when PASSWORD is not empty: nutcracker then sends
# AUTH PASSWORD to every server and requires its own clients to AUTH with the same password.
# Each server is named server<i>: the name, not the address, places it on the ring, so a
# server can move to another address without moving its keys.
#
#   scripts/twemproxy-conf.sh 127.0.0.1:22121 "" 127.0.0.1:7001 127.0.0.1:7002 >nutcracker.yml
#   nutcracker -t -c nutcracker.yml && nutcracker -c nutcracker.yml -s 22222 -o nutcracker.log
set -euo pipefail
if [ $# -lt 3 ]; then
    echo "usage: $0 LISTEN PASSWORD HOST:PORT..." >&2
    exit 2
fi
listen=$1 password=$2
shift 2
cat <<CONF
flatline:
  listen: $listen
  redis: true
  hash: fnv1a_64
  distribution: ketama
  hash_tag: "{}"
  auto_eject_hosts: false
  preconnect: true
  server_connections: 1
  timeout: 2000
  backlog: 1024
CONF
if [ -n "$password" ]; then
    echo "  redis_auth: $password"
fi
echo "  servers:"
i=1
for s in "$@"; do
    echo "    - $s:1 server$i"
    i=$((i + 1))
done
