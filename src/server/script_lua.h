/*
 * src/server/script_lua.h: the Lua side of scripting (script_lua.c): the state and its
 * sandbox, the redis.* library, and the conversions between Lua values and RESP replies.
 * Used by script.c and script_func.c only; every function needs the script lock (script.h).
 */
#ifndef FLATLINE_SERVER_SCRIPT_LUA_H
#define FLATLINE_SERVER_SCRIPT_LUA_H

#include <lauxlib.h>
#include <lua.h>

#include "srv.h"

/* The server's Lua state, created on first use with the sandboxed globals and the redis
 * library; NULL when it cannot be created. `call` implements redis.call (raise true) and
 * redis.pcall; `acl_check_fn` redis.acl_check_cmd; `register_fn` redis.register_function
 * (script_func.c); redis.log writes to srv's log. */
typedef int srv_lua_call_fn(lua_State *L, bool raise);
lua_State *srv_lua_state(srv_lua_call_fn *call, lua_CFunction acl_check_fn,
                         lua_CFunction register_fn, const srv_server_t *srv);

/* Closes the state (it is created again on next use). */
void srv_lua_close(void);

/* Pushes a new environment table for a script body or library: reads fall back to the
 * globals (a missing name raises "Script attempted to access nonexistent global variable"),
 * writes raise "Attempt to modify a readonly table" (set KEYS and ARGV with lua_rawset). */
void srv_lua_push_env(lua_State *L);

/* While on, environments show library code only the load API: `redis` with
 * register_function, log and the constants (FUNCTION LOAD). */
void srv_lua_set_loading(bool on);

/* Pushes the Lua value of the reply at p[0..n) (one complete reply, RESP2 or RESP3): integer
 * -> number, bulk -> string, RESP2 nil -> false, array -> table, status -> {ok=...}, error ->
 * {err=...}; RESP3's null -> nil, boolean -> boolean, double -> {double=n}, map -> {map={k=v}},
 * set -> {set={m=true}}, big number -> {big_number=s}, verbatim -> {verbatim_string={format,
 * string}}; attributes are skipped. */
void srv_lua_push_reply(lua_State *L, const char *p, size_t n);

/* Pops the value on top of the stack and appends it to out, in out's protocol (Redis's rules:
 * number -> integer, string -> bulk, true -> 1, false/nil -> nil (after redis.setresp(3):
 * booleans), {err=} -> error, {ok=} -> status, {double=}, {big_number=}, {verbatim_string=},
 * {map=}, {set=} -> those types, other table -> array up to its first nil). */
void srv_lua_reply(lua_State *L, srv_buf_t *out);

/* The protocol redis.call's replies reach the running script in (redis.setresp; RESP2 at the
 * start of every script: srv_lua_reset_resp). */
int srv_lua_resp(void);
void srv_lua_reset_resp(void);

/* Pops the error object a script raised (a table from the error handler, or a string) and
 * appends the error reply Redis 7 gives: "-<msg> script: <name>, on <source>:<line>." */
void srv_lua_reply_error(lua_State *L, srv_buf_t *out, const char *name);

/* Pushes {err="<code> <msg>"} from a message that may start with "-CODE" (Redis's
 * luaPushError rules: no code means ERR). */
void srv_lua_push_error(lua_State *L, const char *msg, size_t len);

/* SHA1 of p[0..n) as 40 lower-case hex digits and a NUL. */
void srv_sha1_hex(const char *p, size_t n, char out[41]);

#endif /* FLATLINE_SERVER_SCRIPT_LUA_H */
