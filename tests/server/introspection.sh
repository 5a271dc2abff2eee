#!/usr/bin/env bash
# tests/server/introspection.sh: the command table as clients see it, side by side with
# redis-server 7.0.15: COMMAND LIST with and without FILTERBY (commands and subcommands, its
# syntax errors), ACL CAT of every category (restricted to the commands flatline has), and the
# subcommand statistics (INFO commandstats' "object|encoding") and unknown-subcommand errors of
# the containers.
. "$(dirname "$0")/lib.sh"

start_redis
start_server

# same_set WHAT FLATLINE_OUTPUT REDIS_OUTPUT: the two outputs as sets of lines
same_set() {
    CHECKS=$((CHECKS + 1))
    if [ "$(printf '%s\n' "$2" | sort)" != "$(printf '%s\n' "$3" | sort)" ]; then
        echo "FAIL: $1 differs from redis-server" >&2
        diff <(printf '%s\n' "$3" | sort) <(printf '%s\n' "$2" | sort) | sed 's/^/  /' >&2
        FAILS=$((FAILS + 1))
    fi
}

ours=$(redis-cli -p "$PORT" command list | sort)
# flatline's own additions, and the scripts it flags as writes/reads (they decide how a script
# batch locks the store): left out of the comparison
own='^(memory\|defrag|eval|evalsha|fcall|eval_ro|evalsha_ro|fcall_ro)$'
CHECKS=$((CHECKS + 1))
missing=$(comm -23 <(printf '%s\n' "$ours" | grep -Ev "$own") <(redis-cli -p "$RPORT" command list | sort))
[ -z "$missing" ] || { echo "FAIL: COMMAND LIST names what Redis does not: $missing" >&2; FAILS=$((FAILS + 1)); }
for f in "pattern set" "pattern get" "pattern config*" "pattern config|*re*" "pattern *|help" \
    "pattern CLIENT|K*" "aclcat scripting" "aclcat no_such_category" "module no_such_module"; do
    # shellcheck disable=SC2086 # the filter's words
    a=$(redis-cli -p "$PORT" command list filterby $f | grep -Ev "$own")
    # shellcheck disable=SC2086
    b=$(redis-cli -p "$RPORT" command list filterby $f | grep -Fx -f <(printf '%s\n' "$ours") | grep -Ev "$own")
    same_set "COMMAND LIST FILTERBY $f" "$a" "$b"
done
for args in "list bad_arg" "list filterby bad_arg" "list filterby pattern" "list filterby a b c"; do
    # shellcheck disable=SC2086
    check_same command $args
done
for cat in $(redis-cli -p "$RPORT" acl cat); do
    a=$(redis-cli -p "$PORT" acl cat "$cat" | grep -Ev "$own")
    b=$(redis-cli -p "$RPORT" acl cat "$cat" | grep -Fx -f <(printf '%s\n' "$ours") | grep -Ev "$own")
    same_set "ACL CAT $cat" "$a" "$b"
done

# Subcommands: statistics under their full names, unknown ones refused with the container's name.
for p in "$PORT" "$RPORT"; do
    redis-cli -p "$p" set k v >/dev/null
    redis-cli -p "$p" config resetstat >/dev/null
    redis-cli -p "$p" object encoding k >/dev/null
    redis-cli -p "$p" script exists 0000 >/dev/null
    redis-cli -p "$p" pubsub numpat >/dev/null
    redis-cli -p "$p" slowlog len >/dev/null
done
stats() { redis-cli -p "$1" info commandstats | tr -d '\r' | grep -o '^cmdstat_[^:]*' | grep -v 'config|resetstat'; }
same_set "INFO commandstats' names" "$(stats "$PORT")" "$(stats "$RPORT")"
for c in "object nope k" "script nope" "slowlog nope" "pubsub nope" "latency nope" "function nope"; do
    # shellcheck disable=SC2086
    check_same $c
done
finish
