#!/usr/bin/env bash
# tests/server/vocabulary.sh: every printer of a vocabulary prints all of it, in definition
# order. The expected lists come from the definitions themselves (vocab.c prints FL_MEM_BYTES,
# FL_MEM_RATIOS, FL_NS_STATS, FL_NS_OPTIONS, SRV_STATS), so a consumer that spells a list out
# by hand and misses or reorders a field fails here:
#   INFO memory        process_<field>, private_<field> and arena_<name>_<field> (each
#                      server-lifetime arena), every breakdown field in order
#   INFO namespaces    ns_<name>: every FL_NS_STATS field, then the arena's breakdown
#   INFO stats         every SRV_STATS line
#   MEMORY STATS       process, private-arenas, arena.<name> and namespace.<name>: the same
#                      lists, '-' for '_'
#   CONFIG GET         namespace.<name>.<option> for every namespace option
#   --help             every namespace option
. "$(dirname "$0")/lib.sh"
VOCAB=${VOCAB_TOOL:?set VOCAB_TOOL to the vocab binary}

names() { "$VOCAB" | awk -v k="$1" '$1 == k { print $2 }'; }
mem_fields=$( (names mem_bytes; names mem_ratio) | tr '\n' ' ')
ns_fields=$( (names ns_stat; names mem_bytes; names mem_ratio) | tr '\n' ' ')
dashed() { printf '%s' "$1" | tr '_' '-'; }

# expect WHAT WANT GOT
expect() {
    CHECKS=$((CHECKS + 1))
    if [ "$2" != "$3" ]; then
        echo "FAIL: $1" >&2
        echo "  expected: $2" >&2
        echo "  got:      $3" >&2
        FAILS=$((FAILS + 1))
    fi
}

# memory_stats_block NAME: the field names of MEMORY STATS's nested map NAME, in order (from
# redis-cli's typed output: top-level entries start in the first three columns, nested ones
# are indented; names are the odd entries of the nested array).
memory_stats_block() {
    redis-cli -p "$PORT" --no-raw memory stats | awk -v blk="\"$1\"" '
        /^.?.?[0-9]\) / {
            s = $0; sub(/^ *[0-9]+\) /, "", s)
            if (inblk) exit
            if (s == blk) { grab = 1; next }
            if (!grab) next
            inblk = 1; $0 = s
        }
        inblk {
            s = $0; sub(/^ */, "", s); idx = s + 0; sub(/^[0-9]+\) /, "", s)
            if (idx % 2 == 1) { gsub(/"/, "", s); printf "%s ", s }
        }'
}

start_server
redis-cli -p "$PORT" set k v >/dev/null

info_mem=$(redis-cli -p "$PORT" info memory | tr -d '\r')
arenas=$(names server_arena | tr '\n' ' ')
[ -n "$arenas" ] || fail "vocab prints no server_arena rows"
for prefix in process_ private_ $(for a in $arenas; do printf 'arena_%s_ ' "$a"; done); do
    got=$(printf '%s\n' "$info_mem" | sed -n "s/^${prefix}\([a-z_]*\):.*/\1/p" | grep -vx requested_known | tr '\n' ' ')
    if [ "$prefix" = private_ ] && [ -z "$got" ]; then
        continue # no private arenas when malloc is not jemalloc (sanitizer builds)
    fi
    expect "INFO memory ${prefix}* fields" "$mem_fields" "$got"
done

got=$(redis-cli -p "$PORT" info namespaces | tr -d '\r' | sed -n 's/^ns_default:index=0,//p' | tr ',' '\n' | sed 's/=.*//' | tr '\n' ' ')
expect "INFO namespaces ns_default fields" "$ns_fields" "$got"

info_stats=$(redis-cli -p "$PORT" info stats | tr -d '\r')
for f in $(names srv_stat); do
    CHECKS=$((CHECKS + 1))
    printf '%s\n' "$info_stats" | grep -q "^$f:[0-9]*$" || { echo "FAIL: INFO stats lacks $f" >&2; FAILS=$((FAILS + 1)); }
done

expect "MEMORY STATS process fields" "$(dashed "$mem_fields")" "$(memory_stats_block process)"
priv=$(memory_stats_block private-arenas)
[ -z "$priv" ] || expect "MEMORY STATS private-arenas fields" "$(dashed "$mem_fields")" "$priv"
for a in $arenas; do
    expect "MEMORY STATS arena.$a fields" "$(dashed "$mem_fields")" "$(memory_stats_block "arena.$a")"
done
expect "MEMORY STATS namespace.default fields" "$(dashed "$ns_fields")" \
    "$(memory_stats_block namespace.default)"

want=$(for o in $(names ns_option); do printf 'namespace.default.%s ' "$o"; done)
got=$(redis-cli -p "$PORT" config get 'namespace.default.*' | awk 'NR % 2 == 1' | tr '\n' ' ')
expect "CONFIG GET namespace.default.*" "$want" "$got"

help=$("$SERVER" --help)
for o in $(names ns_option); do
    CHECKS=$((CHECKS + 1))
    printf '%s\n' "$help" | grep -q "^  $o " || { echo "FAIL: --help lacks namespace option $o" >&2; FAILS=$((FAILS + 1)); }
done

echo "vocabulary: $CHECKS checks, $FAILS failed"
[ "$FAILS" = 0 ]
