#!/usr/bin/env bash
# tests/server/tls.sh: the TLS listener (tls-port) with certificates this test makes with
# `openssl req` (a CA, a server certificate for 127.0.0.1, a client certificate), driven with
# `redis-cli --tls` and `redis-benchmark --tls`: tls-auth-clients no / yes / optional, a 1 MB
# value each way (partial writes, records larger than one read), pipelined load, a client that
# never starts its handshake (others are served meanwhile), and bad handshakes (a plain client,
# no certificate or a self-signed one where one is required) that close only that client and
# are counted in INFO stats tls_handshake_failures.
. "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { echo "openssl not installed: skipping"; exit 77; }

D=$(mktemp -d /tmp/flatline-tls.XXXXXX)
trap 'rc=$?; rm -rf "$D"; (exit $rc); on_exit' EXIT

# A CA, and two certificates it signs: the server's (for 127.0.0.1) and a client's.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=flatline test CA" \
    -keyout "$D/ca.key" -out "$D/ca.crt" 2>/dev/null || fail "openssl: CA"
for who in server client; do
    openssl req -newkey rsa:2048 -nodes -subj "/CN=flatline $who" -keyout "$D/$who.key" \
        -out "$D/$who.csr" 2>/dev/null || fail "openssl: $who request"
    printf 'subjectAltName=IP:127.0.0.1\n' >"$D/$who.ext"
    openssl x509 -req -in "$D/$who.csr" -CA "$D/ca.crt" -CAkey "$D/ca.key" -CAcreateserial \
        -days 2 -extfile "$D/$who.ext" -out "$D/$who.crt" 2>/dev/null || fail "openssl: $who cert"
done

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=rogue" -keyout "$D/rogue.key" \
    -out "$D/rogue.crt" 2>/dev/null || fail "openssl: self-signed certificate"

TLS_ARGS=(--tls-cert-file "$D/server.crt" --tls-key-file "$D/server.key" --tls-ca-cert-file "$D/ca.crt")
tport() { "$TOOL" port; }

# tcheck EXPECTED ARGS...: like check, over TLS to $TPORT.
tcheck() {
    local want=$1
    shift
    local got
    got=$(redis-cli -p "$TPORT" --tls --cacert "$D/ca.crt" --no-raw "$@" 2>&1)
    CHECKS=$((CHECKS + 1))
    if [ "$got" != "$want" ]; then
        echo "FAIL: redis-cli --tls $*" >&2
        echo "  expected: $(printf '%q' "$want")" >&2
        echo "  got:      $(printf '%q' "$got")" >&2
        FAILS=$((FAILS + 1))
    fi
}

# --- no client certificates
TPORT=$(tport)
start_server --threads 2 --tls-port "$TPORT" --tls-auth-clients no "${TLS_ARGS[@]}"
tcheck "PONG" ping
tcheck "OK" set k v
check '"v"' get k
head -c 1048576 /dev/urandom | base64 -w0 | head -c 1048576 >"$D/big"
redis-cli -p "$TPORT" --tls --cacert "$D/ca.crt" -x set big <"$D/big" >/dev/null
tcheck "(integer) 1048576" strlen big
redis-cli -p "$TPORT" --tls --cacert "$D/ca.crt" --raw get big | head -c 1048576 >"$D/big.back"
CHECKS=$((CHECKS + 1))
cmp -s "$D/big" "$D/big.back" || { echo "FAIL: a 1 MB value did not come back intact over TLS" >&2; FAILS=$((FAILS + 1)); }
out=$(redis-benchmark -p "$TPORT" --tls --cacert "$D/ca.crt" -t set,get -n 20000 -c 8 -P 16 -q 2>&1)
CHECKS=$((CHECKS + 1))
echo "$out" | tr '\r' '\n' | grep -q -E "^ *GET: [0-9.]+ requests per second" ||
    { echo "FAIL: redis-benchmark over TLS: $out" >&2; FAILS=$((FAILS + 1)); }
# A client that connects and never starts its handshake holds nobody up (non-blocking).
exec 7<>"/dev/tcp/127.0.0.1/$TPORT"
tcheck "PONG" ping
check "PONG" ping
exec 7>&-
# A plain client on the TLS port: its handshake fails, only it is closed, and it is counted.
printf 'PING\r\n' | timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$TPORT; cat >&3; cat <&3" >/dev/null 2>&1
tcheck "PONG" ping
v=$(info_field stats tls_handshake_failures)
CHECKS=$((CHECKS + 1))
[ "${v:-0}" -ge 1 ] || { echo "FAIL: tls_handshake_failures is '$v' after a plain client" >&2; FAILS=$((FAILS + 1)); }
stop_server

# --- client certificates required
TPORT=$(tport)
start_server --threads 2 --tls-port "$TPORT" --tls-auth-clients yes "${TLS_ARGS[@]}"
got=$(redis-cli -p "$TPORT" --tls --cacert "$D/ca.crt" ping 2>&1)
CHECKS=$((CHECKS + 1))
[ "$got" != PONG ] || { echo "FAIL: a client without a certificate was served" >&2; FAILS=$((FAILS + 1)); }
tcheck "PONG" --cert "$D/client.crt" --key "$D/client.key" ping
# a certificate no trusted CA signed is refused too
got=$(redis-cli -p "$TPORT" --tls --cacert "$D/ca.crt" --cert "$D/rogue.crt" --key "$D/rogue.key" ping 2>&1)
CHECKS=$((CHECKS + 1))
[ "$got" != PONG ] || { echo "FAIL: a client with a self-signed certificate was served" >&2; FAILS=$((FAILS + 1)); }
v=$(info_field stats tls_handshake_failures)
CHECKS=$((CHECKS + 1))
[ "${v:-0}" -ge 1 ] || { echo "FAIL: tls_handshake_failures is '$v' after a refused client" >&2; FAILS=$((FAILS + 1)); }
check "PONG" ping
stop_server

# --- optional: both kinds of clients are served
TPORT=$(tport)
REDISCLI_AUTH=pw start_server --threads 2 --tls-port "$TPORT" --tls-auth-clients optional \
    "${TLS_ARGS[@]}" --requirepass pw
tcheck "(error) NOAUTH Authentication required." ping
tcheck "PONG" -a pw --no-auth-warning ping
tcheck "PONG" -a pw --no-auth-warning --cert "$D/client.crt" --key "$D/client.key" ping
stop_server

# --- configuration errors stop the start
PORT=$(tport)
"$SERVER" --port "$PORT" --tls-port "$(tport)" --tls-cert-file "$D/server.crt" >"$LOG" 2>&1
st=$?
CHECKS=$((CHECKS + 1))
grep -q "tls-port needs tls-cert-file and tls-key-file" "$LOG" && [ "$st" = 1 ] ||
    { echo "FAIL: a missing key must stop the start (status $st): $(cat "$LOG")" >&2; FAILS=$((FAILS + 1)); }
"$SERVER" --port "$PORT" --tls-port "$(tport)" --tls-cert-file "$D/server.crt" \
    --tls-key-file "$D/client.key" --tls-auth-clients no >"$LOG" 2>&1
st=$?
CHECKS=$((CHECKS + 1))
grep -q -E "tls-key-file.*(mismatch|does not match)" "$LOG" && [ "$st" = 1 ] ||
    { echo "FAIL: a mismatched key must stop the start (status $st): $(cat "$LOG")" >&2; FAILS=$((FAILS + 1)); }
finish
