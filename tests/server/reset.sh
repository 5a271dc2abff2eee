#!/usr/bin/env bash
# tests/server/reset.sh: RESET side by side with redis-server 7.0.15: one transcript (the
# tool's resp mode) run against both, compared reply by reply. RESET leaves MULTI (queue and
# watches dropped), every subscription (no confirmations: the next command runs normally),
# MONITOR, CLIENT REPLY OFF, the selected namespace, RESP3, the client's name and its user
# (back to the default user); it is allowed in subscribed mode, inside MULTI (not queued) and
# before AUTH. CLIENT INFO shows the pubsub state (flag P, sub=, psub=) and MULTI's (flag x,
# multi= queued commands).
. "$(dirname "$0")/lib.sh"

start_redis
start_server

transcript() {
    # CLIENT INFO: the fields RESET changes (the rest are addresses and buffer sizes)
    "$TOOL" resp "$1" <<'EOF_T' | sed -E 's/^[$=][0-9]+\\r\\n(txt:)?id=.* (name=[^ ]*) .* (flags=[^ ]+ db=[0-9]+ sub=[0-9]+ psub=[0-9]+) .* (multi=[^ ]+) .* (user=[^ ]+) .* (resp=[0-9]).*/\2 \3 \4 \5 \6/; s/(id\\r\\n:)[0-9]+/\1ID/'
client setname before
select 1
set where db1
hello 3
multi
set a 1
reset
exec
get where
client info
@3 hello 3
@3 subscribe c2
@3 client info
@3 psubscribe a* b*
!1
@3 client info
@3 unsubscribe c2
@3 client info
@3 multi
@3 set q 1
@3 client info
@3 discard
watch w
reset
@1 set w changed
multi
set x 1
exec
subscribe ch
reset
set k v
psubscribe p*
reset
!0 client reply off
!0 get k
reset
get k
monitor
reset
@1 ping
ping
client info
acl setuser user1 on >secret +@all
auth user1 secret
acl whoami
reset
acl whoami
acl setuser default resetpass >pw
@2 reset
@2 get k
@2 auth pw
@2 get k
acl setuser default nopass
EOF_T
}
ours=$(transcript "$PORT")
theirs=$(transcript "$RPORT")
CHECKS=$((CHECKS + 1))
if [ "$ours" != "$theirs" ]; then
    echo "FAIL: RESET transcript differs from redis-server" >&2
    diff <(printf '%s\n' "$theirs") <(printf '%s\n' "$ours") >&2
    FAILS=$((FAILS + 1))
fi
# the transcript ran: its replies are Redis's, not two equal failures
CHECKS=$((CHECKS + 1))
[ "$(printf '%s\n' "$ours" | grep -c '^RESET$\|^+RESET')" -ge 7 ] || {
    echo "FAIL: RESET replies missing: $ours" >&2
    FAILS=$((FAILS + 1))
}
finish
