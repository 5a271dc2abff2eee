#!/usr/bin/env bash
# tests/server/secrets.sh: passwords never reach the slow log or MONITOR, side by side with
# redis-server 7.0.15. AUTH's arguments, HELLO's AUTH pair, ACL SETUSER's arguments and CONFIG
# SET requirepass's value read "(redacted)" in SLOWLOG GET and in a monitor's stream; admin
# commands and subcommands (ACL SETUSER, CONFIG SET) are not shown to monitors; commands run by
# EXEC are logged and shown one by one, EXEC itself is not in the slow log.
. "$(dirname "$0")/lib.sh"

start_redis
start_server

# The slow log after a sequence, without ids, times, durations and addresses.
slowlog_of() {
    local p=$1
    redis-cli -p "$p" config set slowlog-log-slower-than 0 >/dev/null
    redis-cli -p "$p" slowlog reset >/dev/null
    redis-cli -p "$p" acl setuser u1 on '>secretpw' +get >/dev/null
    redis-cli -p "$p" auth u1 secretpw >/dev/null
    redis-cli -p "$p" auth secretpw >/dev/null
    redis-cli -p "$p" hello 2 auth u1 secretpw setname named >/dev/null
    redis-cli -p "$p" config set requirepass "" maxmemory 0 >/dev/null
    printf 'multi\r\nset a 1\r\nincr n\r\nexec\r\n' | redis-cli -p "$p" >/dev/null
    redis-cli -p "$p" config set slowlog-log-slower-than 10000 >/dev/null
    redis-cli -p "$p" acl deluser u1 >/dev/null
    redis-cli -p "$p" slowlog get 100 | grep -Ev '^[0-9]+$|^127\.0\.0\.1:[0-9]+$|^$' |
        grep -Evx 'COMMAND|DOCS'
}
ours=$(slowlog_of "$PORT")
theirs=$(slowlog_of "$RPORT")
CHECKS=$((CHECKS + 1))
if [ "$ours" != "$theirs" ]; then
    echo "FAIL: the slow log differs from redis-server's" >&2
    diff <(printf '%s\n' "$theirs") <(printf '%s\n' "$ours") >&2
    FAILS=$((FAILS + 1))
fi
CHECKS=$((CHECKS + 1))
if printf '%s\n' "$ours" | grep -q secretpw; then
    echo "FAIL: a password is in the slow log: $ours" >&2
    FAILS=$((FAILS + 1))
fi

# A monitor's stream (connection 1) while connection 0 runs the same commands.
monitor_of() {
    "$TOOL" resp "$1" <<'EOF_T' | sed -E 's/^\+[0-9]+\.[0-9]+ \[[0-9]+ [^]]+\] //; s/(id\\r\\n:)[0-9]+/\1ID/'
@1 monitor
acl setuser u2 on >secretpw +@all ~*
auth u2 secretpw
hello 2 auth u2 secretpw
config set requirepass ""
multi
set a 1
exec
get a
@1 !6
acl deluser u2
EOF_T
}
ours=$(monitor_of "$PORT")
theirs=$(monitor_of "$RPORT")
CHECKS=$((CHECKS + 1))
if [ "$ours" != "$theirs" ]; then
    echo "FAIL: MONITOR's stream differs from redis-server's" >&2
    diff <(printf '%s\n' "$theirs") <(printf '%s\n' "$ours") >&2
    FAILS=$((FAILS + 1))
fi
CHECKS=$((CHECKS + 1))
printf '%s\n' "$ours" | grep -q '"auth" "(redacted)" "(redacted)"' && ! printf '%s\n' "$ours" | grep -q secretpw || {
    echo "FAIL: MONITOR shows a password or no redacted AUTH: $ours" >&2
    FAILS=$((FAILS + 1))
}
finish
