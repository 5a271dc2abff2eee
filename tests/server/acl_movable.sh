#!/usr/bin/env bash
# tests/server/acl_movable.sh: access rules beyond a command's fixed key positions, side by
# side with Debian's redis-server 7.0.15 (every reply compared): key patterns for commands that
# count their keys (LMPOP, ZUNIONSTORE, SINTERCARD, EVAL ...), channel patterns for PUBLISH /
# SUBSCRIBE / PSUBSCRIBE (also from a script), rules changed between MULTI and EXEC, the ACL
# LOG's reason and context, and COMMAND GETKEYS. acl_live.py plays the rule changes made while
# clients are connected.
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/lib.sh"
start_server --threads 2
start_redis

both() { check_same "$@"; }
as() {
    local u=$1
    shift
    check_same --user "$u" --pass x --no-auth-warning "$@"
}
# The ACL LOG's newest entry without its age and client description.
NORMALIZE_LOG='/age-seconds/,$d'
log_same() { NORMALIZE=$NORMALIZE_LOG check_same acl log 1; }

both acl setuser u on nopass '~a*' '&ch*' '+@all'
both rpush a1 x y
both zadd a2 1 m

# keys counted by a numkeys argument
as u lmpop 2 a1 b1 left
as u lmpop 1 a1 left
as u blmpop 0.01 2 a1 b1 left
as u zunionstore a9 2 a2 b2
as u zunionstore b9 1 a2
as u zunionstore a9 1 a2
as u zinter 2 a2 zz
as u zmpop 1 a2 min
as u sintercard 2 a1 b
as u eval "return 1" 1 b
as u eval "return 1" 1 a1
as u fcall nosuch 1 bb
as u lmpop 7 a1 left # a count larger than the arguments: the command's own error
log_same

# channels: PUBLISH and SUBSCRIBE glob-match the patterns, PSUBSCRIBE must equal one
as u publish ch1 hi
as u publish other hi
as u psubscribe 'ch*x'
as u eval "return redis.call('publish','zz','m')" 0
log_same
both acl setuser v on nopass '~*' '+@all' # a new user gets no channel (acl-pubsub-default)
as v publish x y
both acl setuser v allchannels
as v publish x y

# rules changed between MULTI and EXEC: checked again, per command
both acl setuser w on nopass '~*' '&*' '+@all'
ours=$(python3 "$HERE/acl_live.py" exec "$PORT" "$RPORT")
CHECKS=$((CHECKS + 1))
if [ "$ours" != same ]; then
    echo "FAIL: EXEC after the user's rules changed: $ours" >&2
    FAILS=$((FAILS + 1))
fi
log_same

# subscribers whose channel or pattern is revoked are disconnected at once (Redis 7.0)
revoked=$(python3 "$HERE/acl_live.py" revoked "$PORT" "$RPORT")
CHECKS=$((CHECKS + 1))
if [ "$revoked" != same ]; then
    echo "FAIL: subscribers after their channels were revoked: $revoked" >&2
    FAILS=$((FAILS + 1))
fi

# COMMAND GETKEYS: the same key positions the rules use
both command getkeys zunionstore d 2 a b
both command getkeys lmpop 5 a left
both command getkeys lmpop 2 a b left
both command getkeys eval x 1
both command getkeys eval x 2 a b c
both command getkeys mset a 1 b 2
both command getkeys get
both command getkeys ping x
both command getkeys nosuch a
both command getkeys set k
finish
