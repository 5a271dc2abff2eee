#!/usr/bin/env bash
# tests/server/scripting.sh: EVAL, EVALSHA, EVAL_RO, SCRIPT, FUNCTION and FCALL with Redis
# 7.0's exact replies: Lua <-> RESP conversions, redis.call/pcall errors, error_reply,
# status_reply, sha1hex, cjson and bit, the sandbox (no new globals, no file access), read-only scripts,
# shebang flags, the script cache, function libraries (load, replace, errors, list, delete,
# dump/restore), and a long script answered with BUSY and stopped by SCRIPT KILL.
# Expectations are redis-server 7.0.15's; with COMPARE_PORT set the checks run against a
# server already listening there.
. "$(dirname "$0")/lib.sh"

if [ -n "${COMPARE_PORT:-}" ]; then
    PORT=$COMPARE_PORT
    rc flushall >/dev/null
    rc script flush >/dev/null
    rc function flush >/dev/null
else
    start_server --threads 2
fi

check $'"hello"' eval $'return \'hello\'' 0
check $'(integer) 42' eval $'return 42' 0
check $'(integer) 3' eval $'return 3.99' 0
check $'(integer) -3' eval $'return -3.99' 0
check $'(integer) 1' eval $'return true' 0
check $'(nil)' eval $'return false' 0
check $'(nil)' eval $'return nil' 0
check $'1) (integer) 1\n2) (integer) 2\n3) (integer) 3\n4) "x"\n5) 1) (integer) 4\n   2) (integer) 5\n6) (integer) 1\n7) (nil)' eval $'return {1,2,3,\'x\',{4,5},true,false,nil,7}' 0
check $'(error) My Error' eval $'return {err=\'My Error\'}' 0
# Redis's cjson and bit libraries, read-only like the others.
check '"[1,\"a\",{\"k\":true}]"' eval "return cjson.encode({1,'a',{k=true}})" 0
check '"0 -5000 -1 0.0003 1023.2 0"' eval 'return table.concat(cjson.decode("[0.0, -5e3, -1, 0.3e-3, 1023.2, 0e10]"), " ")' 0
check '1) "a"
2) "b"' eval "local d = cjson.decode('{\"ka\": \"a\", \"kb\": \"b\"}') return {d.ka, d.kb}" 0
check '1) (integer) 255
2) (integer) 3
3) (integer) -2' eval 'return {bit.bor(1,2,4,8,16,32,64,128), bit.bxor(1,2), bit.bnot(1)}' 0
check_match 'Attempt to modify a readonly table' eval 'cjson.encode = function() return 1 end' 0
check_match 'Attempt to modify a readonly table' eval 'bit.lshift = function() return 1 end' 0
check $'Fine' eval $'return {ok=\'Fine\'}' 0
check $'(error) My Error' eval $'return redis.error_reply(\'My Error\')' 0
check $'(error) WRONG x y' eval $'return redis.error_reply(\'-WRONG x y\')' 0
check $'FINE' eval $'return redis.status_reply(\'FINE\')' 0
check $'"74822d82031af7493c20eefa13bd07ec4fada82f"' eval $'return redis.sha1hex(\'Pizza & Mandolino\')' 0
check $'(error) ERR wrong number of arguments script: 3c7ce947ae74a835cc575b6ee87fb27503cb7ba4, on @user_script:1.' eval $'return redis.sha1hex()' 0
check $'1) "a"\n2) "b"\n3) "c"\n4) "d"' eval $'return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}' 2 a b c d
check $'(integer) 0' eval $'return #KEYS + #ARGV' 0
check $'(error) ERR Number of keys can\'t be negative' eval $'return 1' -1
check $'(error) ERR Number of keys can\'t be greater than number of args' eval $'return 1' 2 a
check $'(error) ERR value is not an integer or out of range' eval $'return 1' x
check $'"v"' eval $'redis.call(\'set\',\'k\',\'v\') return redis.call(\'get\',\'k\')' 0
check $'(error) ERR value is not an integer or out of range script: 1f71dc1cd0b838440b29a02b9ecb8480e01af28a, on @user_script:1.' eval $'return redis.call(\'incr\',\'k\')' 0
check $'(error) ERR value is not an integer or out of range' eval $'return redis.pcall(\'incr\',\'k\')' 0
check $'(error) ERR Unknown Redis command called from script script: 206396248e12c6e742fd7296250433c8d7343b74, on @user_script:1.' eval $'return redis.call(\'nosuch\')' 0
check $'(error) ERR Unknown Redis command called from script' eval $'return redis.pcall(\'nosuch\')' 0
check $'(error) ERR Wrong number of args calling Redis command from script script: f187dee77f607f7cff00bbabc9df38507582c78d, on @user_script:1.' eval $'return redis.call(\'get\')' 0
check $'(error) ERR Please specify at least one argument for this redis lib call script: 0a907e1429221a4d85516cab7fd219a82a9439d8, on @user_script:1.' eval $'return redis.call()' 0
check $'(error) ERR Lua redis lib command arguments must be strings or integers script: 7d09dc30be5b230e0c3e98caa6ad8561a6a7703f, on @user_script:1.' eval $'return redis.call(\'set\',\'n\',{})' 0
check $'"3.5"' eval $'redis.call(\'set\',\'n\',3.5) return redis.call(\'get\',\'n\')' 0
check $'"12345678901234"' eval $'redis.call(\'set\',\'n\',12345678901234) return redis.call(\'get\',\'n\')' 0
check $'(nil)' eval $'return redis.call(\'get\',\'nosuchkey\')' 0
check $'OK' eval $'return redis.call(\'set\',\'x\',\'y\')' 0
check $'1) "y"\n2) (nil)' eval $'return redis.call(\'mget\',\'x\',\'nosuch\')' 0
check $'(empty array)' eval $'return redis.call(\'hgetall\',\'nosuch\')' 0
check $'"table:ERR value is not an integer or out of range"' eval $'local t = redis.pcall(\'incr\',\'k\'); return type(t) .. \':\' .. t[\'err\']' 0
check $'"boolean"' eval $'return type(redis.call(\'get\',\'nosuchkey\'))' 0
check $'(error) ERR user_script:1: Attempt to modify a readonly table script: 18caf8c012aa13c49942060b9653c687e0dcabec, on @user_script:1.' eval $'a = 5' 0
check $'(error) ERR user_script:1: Script attempted to access nonexistent global variable \'b\' script: 816510dfadab6b5fbade21d62972b3b4ab4b5cca, on @user_script:1.' eval $'return b' 0
check $'(error) ERR user_script:1: Script attempted to access nonexistent global variable \'loadfile\' script: a08fbe72c95f67027cc9b6349f5d335b598397b7, on @user_script:1.' eval $'return loadfile' 0
check $'(error) ERR user_script:1: Script attempted to access nonexistent global variable \'os\' script: f03b5ad6e7d58786b6a5e879efbea4a4408f5c2f, on @user_script:1.' eval $'return os' 0
check $'(error) ERR user_script:1: Script attempted to access nonexistent global variable \'io\' script: badfe324d30f60abd2dbecf4d4b0f915038384e2, on @user_script:1.' eval $'return io' 0
check $'(error) ERR user_script:1: boom script: 82903a0434f1503e152f89c03c9acd881a0e8150, on @user_script:1.' eval $'error(\'boom\')' 0
check $'(error) CUSTOM boom script: 04d39340f134fecca222bb279e1aa1d64359c655, on @user_script:1.' eval $'error({err=\'CUSTOM boom\'})' 0
check $'(error) ERR This Redis command is not allowed from script script: c329a1a294be6bf95b44144f7502610661ae925a, on @user_script:1.' eval $'return redis.call(\'multi\')' 0
check $'(error) ERR This Redis command is not allowed from script script: 1e5046f3a9119d3dc9cf5824428b6d9fedd305d2, on @user_script:1.' eval $'return redis.call(\'eval\',\'return 1\',\'0\')' 0
check $'(error) ERR Error compiling script (new function): user_script:1: \'=\' expected near \'is\'' eval $'this is not lua' 0
check $'"y"' eval_ro $'return redis.call(\'get\',\'x\')' 0
check $'(error) ERR Write commands are not allowed from read-only scripts. script: 8b2ae6dd76cda7fc3e27f97431ae27d7b08a221d, on @user_script:1.' eval_ro $'return redis.call(\'set\',\'x\',\'1\')' 0
check $'(error) ERR Write commands are not allowed from read-only scripts. script: 6496c2741353a8e9e5fd8f1f4205c2149edef733, on @user_script:2.' eval $'#!lua flags=no-writes\nreturn redis.call(\'set\',\'x\',\'1\')' 0
check $'"y"' eval $'#!lua flags=no-writes\nreturn redis.call(\'get\',\'x\')' 0
check $'(error) ERR Unexpected flag in script shebang: bogus' eval $'#!lua flags=bogus\nreturn 1' 0
check $'(error) ERR Unexpected engine in script shebang: #!nolua' eval $'#!nolua\nreturn 1' 0
check $'"b534286061d4b9e4026607613b95c06c06015ae8"' script load $'return \'loaded\''
check $'(error) NOSCRIPT No matching script. Please use EVAL.' evalsha 6bd9b02a33abf1f3f2df5ab3b21b3f2b7e3dab75 0
check $'(error) NOSCRIPT No matching script. Please use EVAL.' evalsha 6BD9B02A33ABF1F3F2DF5AB3B21B3F2B7E3DAB75 0
check $'(error) NOSCRIPT No matching script. Please use EVAL.' evalsha ffffffffffffffffffffffffffffffffffffffff 0
check $'(error) NOSCRIPT No matching script. Please use EVAL.' evalsha_ro 6bd9b02a33abf1f3f2df5ab3b21b3f2b7e3dab75 0
check $'1) (integer) 0\n2) (integer) 0' script exists 6bd9b02a33abf1f3f2df5ab3b21b3f2b7e3dab75 ffffffffffffffffffffffffffffffffffffffff
check $'OK' script flush
check $'1) (integer) 0' script exists 6bd9b02a33abf1f3f2df5ab3b21b3f2b7e3dab75
check $'(error) ERR SCRIPT FLUSH only support SYNC|ASYNC option' script flush bogus
check $'(error) NOTBUSY No scripts in execution right now.' script kill
# Redis 7.0's NOSCRIPT commands and subcommands are refused; BLMPOP does not block in a script.
for call in "'client','id'" "'config','get','x'" "'acl','whoami'" "'save'" "'hello'" "'script','exists','x'" "'blpop','l','0'" "'role'"; do
    check_match "^\(error\) ERR This Redis command is not allowed from script script: [0-9a-f]{40}, on @user_script:1\.$" eval "return redis.call($call)" 0
done
check $'(nil)' eval "return redis.call('blmpop','0','1','nosuchlist','left')" 0
check $'(error) ERR unknown subcommand \'nosuch\'. Try SCRIPT HELP.' script nosuch
check $'(error) ERR wrong number of arguments for \'script|load\' command' script load
check $'OK' function flush
check $'"lib1"' function load $'#!lua name=lib1\nredis.register_function(\'f1\', function(keys, args) return {keys[1], args[1]} end)\nredis.register_function{function_name=\'f2\', callback=function() return redis.call(\'set\',\'x\',\'from f2\') end, flags={\'no-writes\'}, description=\'desc\'}'
check $'1) "k1"\n2) "a1"' fcall f1 1 k1 a1
check $'(error) ERR Write commands are not allowed from read-only scripts. script: f2, on @user_function:3.' fcall f2 0
check $'(error) ERR Can not execute a script with write flag using *_ro command.' fcall_ro f1 1 k1 a1
check $'(error) ERR Function not found' fcall nosuch 0
check $'(error) ERR Bad number of keys provided' fcall f1 x
check $'(error) ERR Number of keys can\'t be greater than number of args' fcall f1 5 a
check $'(error) ERR Library \'lib1\' already exists' function load $'#!lua name=lib1\nredis.register_function(\'f1\', function() return 1 end)'
check $'"lib1"' function load replace $'#!lua name=lib1\nredis.register_function(\'f3\', function() return 3 end)'
check $'(error) ERR Function not found' fcall f1 0
check $'(integer) 3' fcall f3 0
check $'(error) ERR Function f3 already exists' function load $'#!lua name=lib2\nredis.register_function(\'f3\', function() return 3 end)'
check $'(error) ERR No functions registered' function load $'#!lua name=lib2\nlocal x = 1'
check $'(error) ERR Error registering functions: ERR user_function:2: Script attempted to access nonexistent global variable \'call\'' function load $'#!lua name=lib2\nredis.call(\'ping\')'
check $'(error) ERR Error registering functions: ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long' function load $'#!lua name=lib2\nredis.register_function(\'bad name\', function() return 1 end)'
check $'(error) ERR Error registering functions: ERR unknown flag given' function load $'#!lua name=lib2\nredis.register_function{function_name=\'g\', callback=function() end, flags={\'bogus\'}}'
check $'(error) ERR Error compiling function: user_function:2: \'=\' expected near \'is\'' function load $'#!lua name=lib2\nthis is not lua'
check $'(error) ERR Invalid library metadata' function load $'#!lua'
check $'(error) ERR Missing library metadata' function load $'lua name=x'
check $'(error) ERR Engine \'js\' not found' function load $'#!js name=x\nx'
check $'(error) ERR Invalid metadata value given: foo=bar' function load $'#!lua name=x foo=bar\nx'
check $'(error) ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long' function load $'#!lua name=bad-name\nx'
check $'OK' function delete lib1
check $'(error) ERR Library not found' function delete lib1
check $'1) "running_script"\n2) (nil)\n3) "engines"\n4) 1) "LUA"\n   2) 1) "libraries_count"\n      2) (integer) 0\n      3) "functions_count"\n      4) (integer) 0' function stats
check $'(error) NOTBUSY No scripts in execution right now.' function kill
check $'(error) ERR unknown subcommand \'nosuch\'. Try FUNCTION HELP.' function nosuch
check $'(error) ERR FUNCTION FLUSH only supports SYNC|ASYNC option' function flush bogus

# The sandbox holds against Redis's tricks: library tables and _G are read-only, rawset and
# setmetatable refuse them, precompiled chunks do not load; nothing leaks into the next script.
check $'(error) ERR Attempt to modify a readonly table script: 0bf0a51fbb051c942113de0105d3f8e18cdcddb5, on @user_script:1.' eval $'setmetatable(_G, {})' 0
check $'(error) ERR user_script:1: Attempt to modify a readonly table script: d5bf2555a61874311845ed0da8f563e53d6e2a87, on @user_script:1.' eval $'local g = getmetatable(_G); g.__index = {}' 0
check $'(error) ERR user_script:1: Attempt to modify a readonly table script: c43ce023c52dd77c04f1bc4f63c83d9433932121, on @user_script:1.' eval $'redis.call = function() return 1 end' 0
check $'(error) ERR Attempt to modify a readonly table script: 5fe6a8883340d7b98ed047026ea0c11e1cd0fa4e, on @user_script:1.' eval $'rawset(redis, \'call\', 1)' 0
check $'(error) ERR user_script:1: attempt to call a nil value script: 5dcb142d767eb350dbcc8f0ae66433b0e227f5a2, on @user_script:1.' eval $'return loadstring(string.dump(function() return 1 end))()' 0
check $'(integer) 7' eval $'return loadstring(\'return 7\')()' 0
check $'PONG' eval $'return _G.redis.call(\'ping\')' 0
check "(error) ERR Error registering functions: ERR FUNCTION LOAD timeout" function load $'#!lua name=loop\nwhile true do end'

# LIST with code, one function per library (Redis lists a library's functions in hash order).
check "OK" function flush
check '"onelib"' function load $'#!lua name=onelib\nredis.register_function{function_name=\'only\', callback=function() return 1 end, description=\'the one\', flags={\'no-writes\', \'allow-oom\'}}'
check $'1) 1) "library_name"\n   2) "onelib"\n   3) "engine"\n   4) "LUA"\n   5) "functions"\n   6) 1) 1) "name"\n         2) "only"\n         3) "description"\n         4) "the one"\n         5) "flags"\n         6) 1) no-writes\n            2) allow-oom\n   7) "library_code"\n   8) "#!lua name=onelib\\nredis.register_function{function_name=\'only\', callback=function() return 1 end, description=\'the one\', flags={\'no-writes\', \'allow-oom\'}}"' function list withcode
check "(integer) 1" fcall_ro only 0

# DUMP / RESTORE round trip (the payload format is each server's own).
payload=$(redis-cli -p "$PORT" --raw function dump | od -An -tx1 | tr -d ' \n')
payload=${payload%0a} # redis-cli's newline after the value
check "OK" function flush
check "(error) ERR Function not found" fcall_ro only 0
dump_restore() { # FUNCTION RESTORE <payload> [policy], sent as raw RESP (the payload is binary)
    local n=$(($(printf '%s' "$payload" | wc -c) / 2)) line
    exec 3<>"/dev/tcp/127.0.0.1/$PORT"
    {
        printf '*%d\r\n$8\r\nfunction\r\n$7\r\nrestore\r\n$%d\r\n' $((3 + $#)) "$n"
        printf '%s' "$payload" | xxd -r -p
        printf '\r\n'
        [ $# = 0 ] || printf '$%d\r\n%s\r\n' "${#1}" "$1"
    } >&3
    IFS= read -r -t 5 line <&3
    exec 3<&-
    printf '%s' "${line%$'\r'}"
}
CHECKS=$((CHECKS + 1))
[ "$(dump_restore)" = "+OK" ] || { echo "FAIL: function restore" >&2; FAILS=$((FAILS + 1)); }
check "(integer) 1" fcall_ro only 0
CHECKS=$((CHECKS + 1))
[ "$(dump_restore)" = "-ERR Library onelib already exists" ] ||
    { echo "FAIL: function restore append over an existing library: $(dump_restore)" >&2; FAILS=$((FAILS + 1)); }
CHECKS=$((CHECKS + 1))
[ "$(dump_restore replace)" = "+OK" ] || { echo "FAIL: function restore replace" >&2; FAILS=$((FAILS + 1)); }
check "(error) ERR DUMP payload version or checksum are wrong" function restore notapayload
check "(error) ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE." function restore x bogus

# A script past the busy threshold (5 s): other clients get BUSY, SCRIPT KILL stops it.
out=$(mktemp)
redis-cli -p "$PORT" --no-raw eval "while true do end" 0 >"$out" 2>&1 &
looper=$!
sleep 0.5
# FUNCTION KILL does not stop an EVAL (answered at once by another worker, by Redis once busy).
check "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE." function kill
sleep 5.5
check "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE." get x
check "(error) BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE." function kill
check "OK" script kill
wait "$looper"
CHECKS=$((CHECKS + 1))
[ "$(cat "$out")" = "(error) ERR Script killed by user with SCRIPT KILL... script: 694a5fe1ddb97a4c6a1bf299d9537c7d3d0f84e7, on @user_script:1." ] ||
    { echo "FAIL: killed script's reply: $(cat "$out")" >&2; FAILS=$((FAILS + 1)); }
rm -f "$out"
check "PONG" ping

# A new connection never lands on the worker running the script (it answers nobody until the
# script ends): with the script's worker holding 1 client and the other worker 2 idle ones, the
# least loaded worker is the busy one, and SCRIPT KILL must still be answered.
if [ -z "${COMPARE_PORT:-}" ]; then
    redis-cli -p "$PORT" eval "while true do end" 0 >/dev/null 2>&1 &
    looper=$!
    sleep 0.5
    exec 5<>"/dev/tcp/127.0.0.1/$PORT" 6<>"/dev/tcp/127.0.0.1/$PORT"
    sleep 0.2
    CHECKS=$((CHECKS + 1))
    got=$(timeout 20 redis-cli -p "$PORT" script kill 2>&1)
    [ "$got" = "OK" ] || { echo "FAIL: SCRIPT KILL from a new connection: '$got'" >&2; FAILS=$((FAILS + 1)); }
    wait "$looper"
    exec 5>&- 6>&-
    check "PONG" ping
fi

# A script sees one time from start to end (Redis 7.0): a key whose TTL passes while it runs
# still exists for it, and is gone for the next command.
check "(integer) 1" eval "redis.call('set','tk','v','px',1) local s = redis.call('time') repeat local n = redis.call('time') until (n[1] - s[1]) * 1000000 + (n[2] - s[2]) > 20000 return redis.call('exists','tk')" 0
check "(integer) 0" exists tk

# redis.acl_check_cmd: the caller's rules for a command and its keys.
check "OK" acl setuser aclbob on '>123' '+@scripting' '+set' '~x*'
check_session $'OK\n(integer) 1\n(nil)\n(nil)\n(error) ERR Invalid command passed to redis.acl_check_cmd() script: a12d971d2c3928485c1688dce89f9c4972f603f6, on @user_script:1.' \
    "auth aclbob 123|eval \"return redis.acl_check_cmd('set','xx',1)\" 1 xx|eval \"return redis.acl_check_cmd('hset','xx','f',1)\" 1 xx|eval \"return redis.acl_check_cmd('set','yy',1)\" 0|eval \"return redis.acl_check_cmd('invalid-cmd','arg')\" 0"
check "(integer) 1" acl deluser aclbob

# A script that wrote cannot be killed (its writes stay); stopping the server still ends it:
# the server must exit cleanly (lib.sh checks the status) with the script running.
if [ -z "${COMPARE_PORT:-}" ]; then
    redis-cli -p "$PORT" eval "redis.call('set','w','1') while true do end" 0 >/dev/null 2>&1 &
    sleep 0.5
    check "(error) UNKILLABLE Sorry the script already executed write commands against the dataset. You can either wait the script termination or kill the server in a hard way using the SHUTDOWN NOSAVE command." script kill
fi
finish
