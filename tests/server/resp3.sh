#!/usr/bin/env bash
# tests/server/resp3.sh: RESP3 side by side with Debian's redis-server 7.0.15. Each transcript
# in tests/server/resp3/ (data types, server commands, pub/sub, scripting) runs on raw
# connections to both servers (server_test_tool resp: it parses whole RESP2/RESP3 replies, so
# no timing decides where one ends) and every reply's bytes must be equal. Each transcript runs
# twice: as written (HELLO 3) and with HELLO 2, whose replies are the RESP2 forms Redis gives
# the same commands (except a transcript marked "# resp3-only": pub/sub's RESP2 rules are
# pubsub.sh's). Only what legitimately differs is masked: HELLO's id and version. Without
# redis-server the test skips (exit 77): its expectations are redis-server's own replies.
. "$(dirname "$0")/lib.sh"

start_server --threads 2 --enable-debug-command local
start_redis --enable-debug-command local
DIR=$(cd "$(dirname "$0")/resp3" && pwd)

# HELLO's client id and server version differ between the two servers.
normalize() {
    sed -E 's/\$[0-9]+\\r\\n7\.0\.[0-9]+\\r\\n/$V\\r\\nVERSION\\r\\n/; s/\$2\\r\\nid\\r\\n:[0-9]+/$2\\r\\nid\\r\\n:ID/'
}

# compare NAME FILE: runs the transcript against both servers, reports each differing reply.
compare() {
    local name=$1 file=$2 ours theirs
    theirs=$("$TOOL" resp "$RPORT" <"$file" | normalize)
    ours=$("$TOOL" resp "$PORT" <"$file" | normalize)
    mapfile -t cmds < <(grep -v -e '^#' -e '^$' "$file")
    mapfile -t r <<<"$theirs"
    mapfile -t f <<<"$ours"
    local n=${#r[@]} i
    [ "${#f[@]}" -gt "$n" ] && n=${#f[@]}
    for ((i = 0; i < n; i++)); do
        CHECKS=$((CHECKS + 1))
        if [ "${r[i]:-}" != "${f[i]:-}" ]; then
            echo "FAIL: $name: reply $((i + 1)) (${cmds[i]:-?})" >&2
            echo "  redis:    ${r[i]:-<none>}" >&2
            echo "  flatline: ${f[i]:-<none>}" >&2
            FAILS=$((FAILS + 1))
        fi
    done
}

RESP2=$(mktemp /tmp/flatline-resp2.XXXXXX)
for file in "$DIR"/*.txt; do
    name=$(basename "$file" .txt)
    compare "$name (RESP3)" "$file"
    grep -q '^# resp3-only' "$file" && continue
    sed 's/HELLO 3$/HELLO 2/' "$file" >"$RESP2"
    compare "$name (RESP2)" "$RESP2"
done
rm -f "$RESP2"

# CLIENT LIST and CLIENT INFO show each client's protocol (resp=3 after HELLO 3, resp=2 back).
got=$(printf 'HELLO 3\nCLIENT INFO\nHELLO 2\nCLIENT INFO\n' | "$TOOL" resp "$PORT" | grep -o 'resp=[0-9]' | tr '\n' ' ')
CHECKS=$((CHECKS + 1))
[ "$got" = "resp=3 resp=2 " ] || { echo "FAIL: CLIENT INFO after HELLO 3 / HELLO 2: $got" >&2; FAILS=$((FAILS + 1)); }
got=$(printf 'HELLO 3 SETNAME r3\n@1 CLIENT LIST\n' | "$TOOL" resp "$PORT" | tail -n 1 | grep -o 'name=r3 [^\\]*resp=3')
CHECKS=$((CHECKS + 1))
[ -n "$got" ] || { echo "FAIL: CLIENT LIST does not show the RESP3 client as resp=3" >&2; FAILS=$((FAILS + 1)); }
finish
