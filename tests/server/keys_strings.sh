#!/usr/bin/env bash
# tests/server/keys_strings.sh: the string, key and hash commands beyond the basics (GETEX,
# SETRANGE, GETRANGE/SUBSTR, INCRBYFLOAT, MSETNX, SETBIT/GETBIT, EXPIRETIME/PEXPIRETIME,
# MGET/EXISTS/DEL/TOUCH over several keys,
# RENAME/RENAMENX, COPY, RANDOMKEY, OBJECT, HKEYS/HVALS, HSETNX, HSTRLEN, HINCRBYFLOAT,
# HRANDFIELD, HSCAN) with Redis 7.0's exact replies and errors. The expected outputs are
# redis-server 7.0.15's: COMPARE_PORT=<port of a redis-server> runs the same checks against it
# (what they were taken from), as commands.sh does.
. "$(dirname "$0")/lib.sh"

if [ -n "${COMPARE_PORT:-}" ]; then
    PORT=$COMPARE_PORT
else
    start_server --threads 2
fi

# sorted_set ARGS...: the command's elements (raw), sorted, on one line
sorted_set() { redis-cli -p "$PORT" "$@" | sort | tr '\n' ' '; }
# check_set EXPECTED ARGS...: like check, on sorted_set's output (unordered replies)
check_set() {
    local want=$1 got
    shift
    got=$(sorted_set "$@")
    CHECKS=$((CHECKS + 1))
    [ "$got" = "$want" ] || { echo "FAIL: $* gave '$got', expected '$want'" >&2; FAILS=$((FAILS + 1)); }
}

check $'OK' flushall
check $'OK' set s hello
check $'"hello"' getex s
check $'"hello"' getex s persist
check $'(error) ERR invalid expire time in \'getex\' command' getex s px 0
check $'(error) ERR invalid expire time in \'getex\' command' getex s ex -1
check $'(error) ERR syntax error' getex s ex 10 px 10
check $'(error) ERR syntax error' getex s foo
check $'(error) ERR syntax error' getex s ex
check $'(nil)' getex nokey ex 10
check $'(integer) 1' hset h f v
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' getex h
check $'"hello"' getex s exat 1
check $'(integer) 0' exists s
check $'OK' set s "Hello World"
check $'(integer) 11' setrange s 6 Redis
check $'"Hello Redis"' get s
check $'(integer) 6' setrange s2 5 x
check $'"\\x00\\x00\\x00\\x00\\x00x"' get s2
check $'(integer) 0' setrange s3 0 ""
check $'(integer) 0' exists s3
check $'(error) ERR offset is out of range' setrange s -1 x
check $'(integer) 11' setrange s 0 ""
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' setrange h 0 x
check $'"Hello"' getrange s 0 4
check $'"dis"' getrange s -3 -1
check $'"Hello Redis"' getrange s 0 -1
check $'"s"' getrange s 10 100
check $'""' getrange s -1 -5
check $'""' getrange nokey 0 -1
check $'""' getrange s 5 3
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' getrange h 0 1
check $'(error) ERR value is not an integer or out of range' getrange s a 1
check $'"Hel"' substr s 0 2
check $'OK' set f 10.50
check $'"10.6"' incrbyfloat f 0.1
check $'"5.6"' incrbyfloat f -5
check $'"5005.60000000000000009"' incrbyfloat f 5.0e3
check $'"5205.60000000000000009"' incrbyfloat f 2.0e2
check $'"3"' incrbyfloat nofl 3
check $'(error) ERR value is not a valid float' incrbyfloat f abc
check $'(error) ERR value is not a valid float' incrbyfloat f " 1"
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' incrbyfloat h 1
check $'OK' set f2 "1 "
check $'(error) ERR value is not a valid float' incrbyfloat f2 1
check $'(error) ERR value is not a valid float' incrbyfloat f 1e5000
check $'(error) ERR increment would produce NaN or Infinity' incrbyfloat f inf
check $'OK' set z 0
check $'"0.00000000015"' incrbyfloat z 1.5e-10
check $'(integer) 1' msetnx a 1 b 2
check $'(integer) 0' msetnx a 1 c 3
check $'1) "1"\n2) "2"\n3) (nil)' mget a b c
check $'(error) ERR wrong number of arguments for \'msetnx\' command' msetnx a
check $'(integer) 1' msetnx x 1 x 2
check $'"2"' get x
check $'1) "1"\n2) (nil)\n3) "2"\n4) (nil)' mget a h b nokey
check $'(integer) 3' exists a b a nokey
check $'(integer) 2' del a b a nokey
check $'(integer) 2' touch x h nokey
check $'(integer) 2' unlink x h
check $'OK' flushall
check $'OK' set a 1
check $'OK' rename a b
check $'"1"' get b
check $'(integer) 0' exists a
check $'(error) ERR no such key' rename nokey b
check $'OK' rename b b
check $'(integer) 0' renamenx b b
check $'OK' set c 2
check $'(integer) 0' renamenx b c
check $'(integer) 1' renamenx b d
check $'"1"' get d
check $'OK' set e 5 ex 100
check $'OK' rename e f
check $'(integer) 2' hset h f1 v1 f2 v2
check $'OK' rename h h2
check_set "f1 f2 v1 v2 " hgetall h2
check $'(integer) 1' copy h2 h3
check_set "f1 f2 v1 v2 " hgetall h3
check $'(integer) 1' copy f g
check $'(integer) 0' copy f g
check $'(integer) 1' copy f g replace
check $'(error) ERR source and destination objects are the same' copy f f
check $'(error) ERR DB index is out of range' copy f g db 100
check $'(error) ERR value is not an integer or out of range' copy f g db x
check $'(error) ERR syntax error' copy f g foo
check $'(integer) 0' copy nokey g
check $'OK' flushall
check $'OK' set n 123
check $'"int"' object encoding n
check $'OK' set n2 abc
check $'"embstr"' object encoding n2
check $'OK' set n3 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa
check $'"raw"' object encoding n3
check $'(nil)' object encoding h2
check $'(nil)' object encoding nokey
check $'(integer) 2147483647' object refcount n
check $'OK' set big 123456
check $'(integer) 1' object refcount big
check $'(error) ERR An LFU maxmemory policy is not selected, access frequency not tracked. Please note that when switching between policies at runtime LRU and LFU data will take some time to adjust.' object freq n
check $'(error) ERR unknown subcommand \'foo\'. Try OBJECT HELP.' object foo n
check $'(error) ERR wrong number of arguments for \'object|encoding\' command' object encoding
check $' 1) OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\n 2) ENCODING <key>\n 3)     Return the kind of internal representation used in order to store the value\n 4)     associated with a <key>.\n 5) FREQ <key>\n 6)     Return the access frequency index of the <key>. The returned integer is\n 7)     proportional to the logarithm of the recent access frequency of the key.\n 8) IDLETIME <key>\n 9)     Return the idle time of the <key>, that is the approximated number of\n10)     seconds elapsed since the last access to the key.\n11) REFCOUNT <key>\n12)     Return the number of references of the value associated with the specified\n13)     <key>.\n14) HELP\n15)     Prints this help.' object help
check $'(error) ERR wrong number of arguments for \'rename\' command' rename a
check $'OK' flushall
check $'(integer) 3' hset h a 1 b 2 c 3
check $'(empty array)' hkeys nokey
check $'(empty array)' hvals nokey
check $'OK' set s x
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' hkeys s
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' hvals s
check $'(integer) 0' hsetnx h a 9
check $'(integer) 1' hsetnx h d 4
check $'"4"' hget h d
check $'(integer) 1' hsetnx new f v
check $'1) "f"\n2) "v"' hgetall new
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' hsetnx s f v
check $'(integer) 1' hstrlen h a
check $'(integer) 0' hstrlen h zz
check $'(integer) 0' hstrlen nokey a
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' hstrlen s a
check $'(integer) 1' hset f x 10.5
check $'"10.6"' hincrbyfloat f x 0.1
check $'"3"' hincrbyfloat f y 3
check $'(error) ERR value is not a valid float' hincrbyfloat f x abc
check $'(integer) 1' hset f z abc
check $'(error) ERR hash value is not a float' hincrbyfloat f z 1
check $'(error) ERR value is not a valid float' hincrbyfloat f x 1e5000
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' hincrbyfloat s x 1
check $'(error) ERR value is NaN or Infinity' hincrbyfloat f x inf
check $'(nil)' hrandfield nokey
check $'(empty array)' hrandfield nokey 5
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' hrandfield s
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' hrandfield s 3
check $'(integer) 1' hset one f v
check $'1) "0"\n2) 1) "f"\n   2) "v"' hscan one 0
check $'1) "0"\n2) (empty array)' hscan nokey 0
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' hscan s 0
check $'1) "0"\n2) 1) "f"\n   2) "v"' hscan one 0 match 'f*'
check $'1) "0"\n2) (empty array)' hscan one 0 match 'z*'
check $'(error) ERR syntax error' hscan one 0 count 0
check $'(error) ERR value is not an integer or out of range' hscan one 0 count x
check $'(error) ERR invalid cursor' hscan one x
check $'(error) ERR syntax error' hscan one 0 type string
check $'(error) ERR syntax error' hscan one 0 match

# --- EXPIRETIME/PEXPIRETIME, SETBIT/GETBIT
check $'OK' flushall
check $'OK' set a 1
check $'(integer) -1' expiretime a
check $'(integer) -1' pexpiretime a
check $'(integer) -2' expiretime nokey
check $'(integer) 1' pexpireat a 1999999999999
check $'(integer) 1999999999999' pexpiretime a
check $'(integer) 2000000000' expiretime a
check $'(integer) 1' pexpireat a 1999999999499
check $'(integer) 1999999999' expiretime a
check $'(integer) 0' setbit b 7 1
check $'"\\x01"' get b
check $'(integer) 1' setbit b 7 0
check $'"\\x00"' get b
check $'(integer) 0' setbit b 100 1
check $'(integer) 13' strlen b
check $'(integer) 1' getbit b 100
check $'(integer) 0' getbit b 99
check $'(integer) 0' getbit b 1000000
check $'(integer) 0' getbit nokey 5
check $'(error) ERR bit offset is not an integer or out of range' setbit b -1 1
check $'(error) ERR bit offset is not an integer or out of range' setbit b 4294967296 1
check $'(error) ERR bit is not an integer or out of range' setbit b 1 2
check $'(error) ERR bit is not an integer or out of range' setbit b 1 -1
check $'(error) ERR bit is not an integer or out of range' setbit b 1 x
check $'(error) ERR bit offset is not an integer or out of range' getbit b x
check $'(error) ERR bit offset is not an integer or out of range' getbit b -1
check $'(integer) 1' hset h f v
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' setbit h 1 1
check $'(error) WRONGTYPE Operation against a key holding the wrong kind of value' getbit h 1
check $'OK' set s a
check $'(integer) 0' setbit s 6 1
check $'"c"' get s
check $'(integer) 1' getbit s 1
check $'(integer) 1' getbit s 2

# --- what depends on the clock or on chance: within bounds
rc flushall >/dev/null
rc set t v >/dev/null
check '"v"' getex t ex 100
check_between 95 100 ttl t
check '"v"' getex t persist
check "(integer) -1" ttl t
rc set e 5 ex 100 >/dev/null
check "OK" rename e f
check_between 95 100 ttl f
check "(integer) 1" copy f g
check_between 95 100 ttl g
check_match '^"(f|g|t)"$' randomkey
rc hset h a 1 b 2 c 3 >/dev/null
check_match '^"[abc]"$' hrandfield h
check_set "a b c " hrandfield h 3
got=$(redis-cli -p "$PORT" hrandfield h -5 | grep -c -E '^[abc]$')
CHECKS=$((CHECKS + 1))
[ "$got" = 5 ] || { echo "FAIL: HRANDFIELD h -5 gave $got fields of the hash" >&2; FAILS=$((FAILS + 1)); }
check_set "a b c " hrandfield h 10
check_set "a b c " hkeys h
check_set "1 2 3 " hvals h
check_set "1 2 3 a b c " hrandfield h 3 withvalues
# HSCAN of a big hash with COUNT: every field exactly once or more, cursor ends at 0
rc del big >/dev/null
for i in $(seq 0 499); do echo "HSET big f$i v$i"; done | redis-cli -p "$PORT" >/dev/null
cursor=0 seen=""
for _ in $(seq 1000); do
    out=$(redis-cli -p "$PORT" hscan big "$cursor" count 20)
    cursor=$(printf '%s\n' "$out" | head -n 1)
    seen+=$(printf '%s\n' "$out" | tail -n +2 | grep '^f')$'\n'
    [ "$cursor" = 0 ] && break
done
CHECKS=$((CHECKS + 1))
[ "$cursor" = 0 ] && [ "$(printf '%s' "$seen" | grep -c . | tr -d ' ')" -ge 500 ] &&
    [ "$(printf '%s' "$seen" | sort -u | grep -c .)" = 500 ] ||
    { echo "FAIL: HSCAN COUNT 20 of 500 fields: cursor $cursor, $(printf '%s' "$seen" | sort -u | grep -c .) distinct" >&2; FAILS=$((FAILS + 1)); }
finish
