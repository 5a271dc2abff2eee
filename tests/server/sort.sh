#!/usr/bin/env bash
# tests/server/sort.sh: SORT and SORT_RO side by side with Debian's redis-server 7.0.15 on
# lists, sets and sorted sets: numeric and ALPHA order, DESC, LIMIT (clamped as Redis clamps
# it), BY key and hash-field patterns (missing weights, constant BY = no sort), GET patterns
# and `#`, STORE (a list replacing any key; an empty result deletes it), the errors (bad
# doubles, WRONGTYPE, syntax, LIMIT not an integer, STORE in SORT_RO), inside MULTI/EXEC and
# from a script; then BY/GET refused to a user without access to every key.
. "$(dirname "$0")/lib.sh"

start_redis
start_server --threads 3

both() {
    rc "$@" >/dev/null
    redis-cli -p "$RPORT" "$@" >/dev/null 2>&1
}

both rpush l 3 1 2 10 5 1.5 -2
both mset w_3 30 w_1 10 w_2 20 w_10 5 w_5 50 w_-2 1 o_1 one o_2 two o_10 ten
both hset h_1 f 9 g b
both hset h_3 f 1 g a
both sadd s c a b d
both sadd si 5 3 9 1
both zadd z 3 x 1 y 2 w 5 v
both mset x_x 1 x_y 3 x_w 2
both rpush bad 1 x 2
both rpush dup b a b a c
both set str v
for args in "l" "l desc" "l asc" "l limit 1 2" "l limit 0 0" "l limit -5 100 desc" "l limit 10 2" \
    "l limit 2 -1" "l by w_*" "l by w_* desc" "l by w_* get o_* get #" "l by w_* get # get o_*" \
    "l by h_*->f" "l by h_*->g alpha" "l by nosort" "l by nosort desc" "l by nosort limit 1 3" \
    "l by nosort desc limit 1 3" "l alpha" "l alpha desc limit 2 3" "l get o_*" \
    "l get h_*->g get #" "l get nothing" "l by w_* alpha" "l by w_* alpha get h_*->f" \
    "s alpha" "s alpha desc" "si" "si desc limit 1 2" "z" "z desc" "z by nosort" \
    "z by nosort desc limit 1 2" "z by x_*" "z alpha limit 1 10" "dup alpha" "dup" \
    "bad" "bad alpha" "nokey" "nokey by w_* get #" "str" "l limit a b" "l limit 1" \
    "l foo" "l by" "l get" "l DESC ALPHA LIMIT 0 3 GET #"; do
    # shellcheck disable=SC2086
    check_same sort $args
done
check_same sort l get 'w_*->'
check_same sort l by 'w_*->'
check_same sort_ro l by w_* get '#'
check_same sort_ro l store dst
check_same sort_ro z desc
check_same -3 sort l by w_* get o_* get '#'

# STORE
check_same sort l by w_* store dst
check_same lrange dst 0 -1
check_same type dst
check_same sort l get o_* get '#' store dst2
check_same lrange dst2 0 -1
both set dst3 string
check_same sort l store dst3
check_same lrange dst3 0 -1
check_same sort nokey store dst3
check_same exists dst3
check_same sort s by nosort store sstore
check_same lrange sstore 0 -1
check_same sort l limit 0 0 store dst
check_same exists dst
check_same sort bad store dst4
check_same exists dst4

# inside MULTI/EXEC and a script
same_session() {
    local ours theirs
    ours=$(printf '%s\n' "$1" | tr '|' '\n' | redis-cli -p "$PORT" --no-raw 2>&1)
    theirs=$(printf '%s\n' "$1" | tr '|' '\n' | redis-cli -p "$RPORT" --no-raw 2>&1)
    CHECKS=$((CHECKS + 1))
    if [ "$ours" != "$theirs" ]; then
        echo "FAIL: session $1" >&2
        echo "  redis:    $(printf '%q' "$theirs")" >&2
        echo "  flatline: $(printf '%q' "$ours")" >&2
        FAILS=$((FAILS + 1))
    fi
}
same_session 'multi|sort l by w_* get o_*|sort l store m1|lrange m1 0 -1|exec'
check_same eval "return redis.call('sort', KEYS[1], 'by', 'nosort')" 1 s
check_same eval "return redis.call('sort', KEYS[1], 'by', 'w_*', 'get', '#')" 1 l
check_same eval "return redis.call('sort', KEYS[1], 'by', 'nosort', 'desc')" 1 z

# COMMAND GETKEYS finds SORT's STORE key as Redis does (the last one; option arguments skipped)
check_same command getkeys sort abc store def
check_same command getkeys sort abc store invalid store stillbad store def
check_same command getkeys sort abc limit store x y store z
check_same command getkeys sort abc get store
check_same command getkeys sort_ro abc store x
check_same command getkeys lcs a b
check_same command getkeys mset a 1 b 2
check_same command getkeys get a b
check_same command getkeys nosuch x
check_same command getkeys ping x
check_same command getkeys get

# BY/GET patterns need access to every key
both acl setuser limited on nopass '~l' '~s' '+@all'
for args in "l" "l by w_*" "l get o_*" "l by nosort" "l get #" "s alpha"; do
    # shellcheck disable=SC2086
    check_same --user limited --pass x sort $args
done
finish
