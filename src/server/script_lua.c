/*
 * src/server/script_lua.c: the Lua side of scripting: one lua_State with the libraries Redis
 * offers scripts (base without file access, table, string, math, cjson and bit from Debian's
 * lua-cjson and lua-bitop, read-only like the others; no os, io or package; not Redis's
 * cmsgpack and struct, which Debian does not package), the
 * redis.* library, the sandbox's environments, and the conversions between Lua values and
 * RESP2 / RESP3 replies with Redis 7.0's rules (redis.setresp picks the protocol redis.call's
 * replies come in; a script's reply is written in its caller's).
 *
 * Sandbox: scripts never run with the globals table as their environment. Each EVAL body and
 * each function library runs in a fresh environment table whose metatable (one, shared) reads
 * through to the globals, raising an error for a name that does not exist, and refuses every
 * assignment, so a script can neither create nor replace a global. The state lives as long as
 * the server and runs on whichever worker runs a script, so every allocation of it (compiled
 * scripts, globals, a script's values until the collector frees them) goes to the "scripts"
 * server-lifetime arena through lua_alloc, with the sizes Lua passes: its `requested` is the
 * Lua heap, exactly.
 *
 * Invariant: only a thread holding the script lock (script.h) touches the state.
 */
#include "script_lua.h"

#include "fl_assert.h"
#include "lifetime.h"

#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

/* Debian's lua-cjson-dev and lua-bitop-dev declare their openers without including Lua. */
#include <lua-bitop.h>
#include <lua-cjson.h>

#define ENV_MT "flatline.env_mt"

#define LOAD_API "flatline.load_redis" /* registry: the redis table FUNCTION LOAD code sees */
#define STRICT_MT "flatline.strict_mt"

static lua_State *lua;
static srv_lua_call_fn *call_impl;
static lua_CFunction acl_check_impl; /* redis.acl_check_cmd */
static int script_resp = SRV_RESP2;  /* redis.setresp's choice for the running script */
static const srv_server_t *log_srv;  /* redis.log's destination */
static bool loading;                 /* FUNCTION LOAD is running a library's code */

void srv_sha1_hex(const char *p, size_t n, char out[41])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_Digest(p, n, md, &len, EVP_sha1(), NULL);
    static const char hex[] = "0123456789abcdef";
    for (unsigned i = 0; i < 20; i++) {
        out[2 * i] = hex[md[i] >> 4];
        out[2 * i + 1] = hex[md[i] & 15];
    }
    out[40] = '\0';
}

/* ---- Errors ----------------------------------------------------------------------------- */

void srv_lua_push_error(lua_State *L, const char *msg, size_t len)
{
    while (len > 0 && (msg[len - 1] == '\r' || msg[len - 1] == '\n'))
        len--;
    lua_newtable(L);
    if (len > 0 && msg[0] == '-' && memchr(msg, ' ', len)) {
        lua_pushlstring(L, msg + 1, len - 1); /* "-CODE msg" -> "CODE msg" */
    } else {
        bool dash = len > 0 && msg[0] == '-'; /* "-msg" or "msg": the code is ERR */
        luaL_Buffer b;
        luaL_buffinit(L, &b);
        luaL_addstring(&b, "ERR ");
        luaL_addlstring(&b, msg + dash, len - dash);
        luaL_pushresult(&b);
    }
    lua_setfield(L, -2, "err");
}

/* The message handler of every script call: turns what was raised into a table {err=...}
 * with the source and line of the Lua code that raised it (Redis's error format). */
static int error_handler(lua_State *L)
{
    if (!lua_istable(L, 1)) {
        const char *s = lua_tostring(L, 1);
        lua_newtable(L);
        lua_pushfstring(L, "ERR %s", s ? s : "(error object is not a string)");
        lua_setfield(L, -2, "err");
        lua_replace(L, 1);
        lua_settop(L, 1);
    }
    lua_Debug ar;
    int level = 1;
    if (lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar) && strcmp(ar.what, "C") == 0)
        level = 2;
    if (lua_getstack(L, level, &ar) && lua_getinfo(L, "Sl", &ar)) {
        lua_pushstring(L, ar.source);
        lua_setfield(L, 1, "source");
        lua_pushinteger(L, ar.currentline);
        lua_setfield(L, 1, "line");
    }
    lua_settop(L, 1);
    return 1;
}

void srv_lua_reply_error(lua_State *L, srv_buf_t *out, const char *name)
{
    if (!lua_istable(L, -1)) {
        const char *msg = lua_tostring(L, -1);
        srv_reply_errorf(out, "ERR Error running script %s, %.100s", name,
                         msg ? msg : "execution failure");
        lua_pop(L, 1);
        return;
    }
    lua_getfield(L, -1, "err");
    lua_getfield(L, -2, "source");
    lua_getfield(L, -3, "line");
    const char *msg = lua_tostring(L, -3);
    const char *src = lua_tostring(L, -2);
    const char *line = lua_tostring(L, -1);
    if (!msg)
        msg = "ERR unknown error";
    if (src && line)
        srv_reply_errorf(out, "%s script: %s, on %s:%s.", msg, name, src, line);
    else
        srv_reply_errorf(out, "%s", msg);
    lua_pop(L, 4);
}

/* ---- RESP -> Lua ------------------------------------------------------------------------ */

static void push_one(lua_State *L, const char **p, const char *end);

/* t[key] = value for the table under the two values on the stack's top (pops them). */
static void set_pair(lua_State *L)
{
    lua_settable(L, -3);
}

/* Pushes {field = <the value the next reply gives>} (a double, a big number...). */
static void push_wrapped(lua_State *L, const char *field)
{
    lua_newtable(L);
    lua_pushstring(L, field);
}

/* RESP3's aggregates: {map={k=v...}} and {set={member=true...}} (Redis's Lua shapes). */
static void push_map_or_set(lua_State *L, const char **p, const char *end, long long n, bool map)
{
    lua_checkstack(L, 6);
    push_wrapped(L, map ? "map" : "set");
    lua_newtable(L);
    for (long long i = 0; i < n; i++) {
        push_one(L, p, end);
        if (map)
            push_one(L, p, end);
        else
            lua_pushboolean(L, 1);
        set_pair(L);
    }
    set_pair(L);
}

/* Parses one reply at *p (complete, as written by reply.c, in either protocol) and pushes its
 * Lua value. */
static void push_one(lua_State *L, const char **p, const char *end)
{
    const char *s = *p;
    const char *crlf = s;
    while (crlf + 1 < end && !(crlf[0] == '\r' && crlf[1] == '\n'))
        crlf++;
    const char *body = s + 1;
    size_t blen = (size_t)(crlf - body);
    *p = crlf + 2;
    long long n = 0;
    lua_checkstack(L, 4);
    switch (s[0]) {
    case ':':
        srv_str_to_ll(body, blen, &n);
        lua_pushnumber(L, (lua_Number)n);
        return;
    case '$':
    case '=':
        srv_str_to_ll(body, blen, &n);
        if (n < 0) {
            lua_pushboolean(L, 0);
            return;
        }
        if (s[0] == '$' || n < 4) {
            lua_pushlstring(L, *p, (size_t)n);
        } else { /* {verbatim_string={format="txt", string=...}} */
            push_wrapped(L, "verbatim_string");
            lua_newtable(L);
            lua_pushlstring(L, *p + 4, (size_t)n - 4);
            lua_setfield(L, -2, "string");
            lua_pushlstring(L, *p, 3);
            lua_setfield(L, -2, "format");
            set_pair(L);
        }
        *p += n + 2;
        return;
    case '+':
        lua_newtable(L);
        lua_pushlstring(L, body, blen);
        lua_setfield(L, -2, "ok");
        return;
    case '-':
        lua_newtable(L);
        lua_pushlstring(L, body, blen);
        lua_setfield(L, -2, "err");
        return;
    case '_':
        lua_pushnil(L);
        return;
    case '#':
        lua_pushboolean(L, blen == 1 && body[0] == 't');
        return;
    case ',': {
        char num[64];
        size_t k = blen < sizeof(num) - 1 ? blen : sizeof(num) - 1;
        memcpy(num, body, k);
        num[k] = '\0';
        push_wrapped(L, "double");
        lua_pushnumber(L, strtod(num, NULL));
        set_pair(L);
        return;
    }
    case '(':
        push_wrapped(L, "big_number");
        lua_pushlstring(L, body, blen);
        set_pair(L);
        return;
    case '%':
    case '~':
        srv_str_to_ll(body, blen, &n);
        push_map_or_set(L, p, end, n, s[0] == '%');
        return;
    case '|': /* an attribute: not shown to scripts (as in Redis); the reply follows it */
        srv_str_to_ll(body, blen, &n);
        for (long long i = 0; i < 2 * n; i++) {
            push_one(L, p, end);
            lua_pop(L, 1);
        }
        push_one(L, p, end);
        return;
    case '*':
    case '>':
        srv_str_to_ll(body, blen, &n);
        if (n < 0) {
            lua_pushboolean(L, 0);
            return;
        }
        lua_createtable(L, (int)n, 0);
        for (long long i = 1; i <= n; i++) {
            push_one(L, p, end);
            lua_rawseti(L, -2, (int)i);
        }
        return;
    default:
        lua_pushboolean(L, 0);
        *p = end;
    }
}

void srv_lua_push_reply(lua_State *L, const char *p, size_t n)
{
    const char *end = p + n;
    push_one(L, &p, end);
}

/* ---- Lua -> RESP ------------------------------------------------------------------------ */

/* Pushes t[field] (raw) and returns its type. */
static int raw_field(lua_State *L, const char *field)
{
    lua_pushstring(L, field);
    lua_rawget(L, -2);
    return lua_type(L, -1);
}

/* Copies s[0..len) with CR and LF turned into spaces (status and big number texts). */
static void push_one_line(lua_State *L, const char *s, size_t len)
{
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (size_t i = 0; i < len; i++)
        luaL_addchar(&b, s[i] == '\r' || s[i] == '\n' ? ' ' : s[i]);
    luaL_pushresult(&b);
}

/* The table on top has t[field] of type `type`: replies it as RESP3's type (RESP2's form for a
 * RESP2 caller) and returns true; else false, the stack unchanged. */
static bool reply_typed(lua_State *L, srv_buf_t *out, const char *field, int type)
{
    if (raw_field(L, field) != type) {
        lua_pop(L, 1);
        return false;
    }
    size_t len, n = 0;
    const char *s;
    if (strcmp(field, "double") == 0) {
        srv_reply_double(out, lua_tonumber(L, -1));
    } else if (strcmp(field, "big_number") == 0) {
        s = lua_tolstring(L, -1, &len);
        push_one_line(L, s, len);
        s = lua_tolstring(L, -1, &len);
        srv_reply_bignum(out, s, len);
        lua_pop(L, 1);
    } else if (strcmp(field, "verbatim_string") == 0) {
        lua_pushstring(L, "format");
        lua_rawget(L, -2);
        lua_pushstring(L, "string");
        lua_rawget(L, -3); /* stack: table, t.verbatim_string, format, string */
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING) {
            lua_pop(L, 3); /* not a verbatim string after all: the caller tries other forms */
            return false;
        }
        s = lua_tolstring(L, -1, &len);
        srv_reply_verbatim_as(out, s, len, lua_tostring(L, -2));
        lua_pop(L, 2);
    } else { /* map: key, value ...; set: the keys (values are true) */
        bool map = strcmp(field, "map") == 0;
        for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1))
            n++;
        if (map)
            srv_reply_map(out, n);
        else
            srv_reply_set(out, n);
        for (lua_pushnil(L); lua_next(L, -2);) {
            if (map) {
                lua_pushvalue(L, -2);  /* table, key, value, key */
                srv_lua_reply(L, out); /* the key: table, key, value */
                srv_lua_reply(L, out); /* the value: table, key */
            } else {
                lua_pop(L, 1);
                lua_pushvalue(L, -1);
                srv_lua_reply(L, out);
            }
        }
    }
    lua_pop(L, 1);
    return true;
}

int srv_lua_resp(void)
{
    return script_resp;
}

void srv_lua_reset_resp(void)
{
    script_resp = SRV_RESP2;
}

void srv_lua_reply(lua_State *L, srv_buf_t *out)
{
    if (!lua_checkstack(L, 4)) {
        srv_reply_error(out, "ERR reached lua stack limit");
        lua_pop(L, 1);
        return;
    }
    size_t len;
    const char *s;
    switch (lua_type(L, -1)) {
    case LUA_TSTRING:
        s = lua_tolstring(L, -1, &len);
        srv_reply_bulk(out, s, len);
        break;
    case LUA_TBOOLEAN: /* a RESP2 script's false is the null of its caller's protocol */
        if (script_resp == SRV_RESP3)
            srv_reply_bool(out, lua_toboolean(L, -1));
        else if (lua_toboolean(L, -1))
            srv_reply_int(out, 1);
        else
            srv_reply_nil(out);
        break;
    case LUA_TNUMBER:
        srv_reply_int(out, (long long)lua_tonumber(L, -1));
        break;
    case LUA_TTABLE:
        if (raw_field(L, "err") == LUA_TSTRING) {
            srv_reply_errorf(out, "%s", lua_tostring(L, -1));
            lua_pop(L, 1);
            break;
        }
        lua_pop(L, 1);
        if (raw_field(L, "ok") == LUA_TSTRING) {
            s = lua_tolstring(L, -1, &len);
            srv_reply_raw(out, "+", 1);
            for (size_t i = 0; i < len; i++)
                srv_reply_raw(out, s[i] == '\r' || s[i] == '\n' ? " " : &s[i], 1);
            srv_reply_raw(out, "\r\n", 2);
            lua_pop(L, 1);
            break;
        }
        lua_pop(L, 1);
        if (reply_typed(L, out, "double", LUA_TNUMBER) ||
            reply_typed(L, out, "big_number", LUA_TSTRING) ||
            reply_typed(L, out, "verbatim_string", LUA_TTABLE) ||
            reply_typed(L, out, "map", LUA_TTABLE) || reply_typed(L, out, "set", LUA_TTABLE))
            break;
        size_t n = 0;
        for (;; n++) {
            lua_rawgeti(L, -1, (int)n + 1);
            bool nil = lua_isnil(L, -1);
            lua_pop(L, 1);
            if (nil)
                break;
        }
        srv_reply_array(out, n);
        for (size_t i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, (int)i);
            srv_lua_reply(L, out);
        }
        break;
    default:
        srv_reply_nil(out);
    }
    lua_pop(L, 1);
}

/* ---- The sandbox ------------------------------------------------------------------------ */

static int nonexistent(lua_State *L)
{
    const char *name = lua_tostring(L, 2);
    return luaL_error(L, "Script attempted to access nonexistent global variable '%s'",
                      name ? name : "?");
}

/* Reads through to the script globals (upvalue 1: read-only views of the real globals);
 * while a library loads, only `redis` exists, and it is the load API (register_function, log,
 * constants). */
static int env_index(lua_State *L)
{
    if (loading) {
        const char *name = lua_tostring(L, 2);
        if (!name || strcmp(name, "redis") != 0)
            return nonexistent(L);
        lua_getfield(L, LUA_REGISTRYINDEX, LOAD_API);
        return 1;
    }
    lua_pushvalue(L, 2);
    lua_rawget(L, lua_upvalueindex(1));
    if (lua_isnil(L, -1))
        return nonexistent(L);
    return 1;
}

void srv_lua_set_loading(bool on)
{
    loading = on;
}

static int env_newindex(lua_State *L)
{
    return luaL_error(L, "Attempt to modify a readonly table");
}

/* ---- Read-only views ----------------------------------------------------------------------
 * Scripts see every library table (redis, string, table, math, _G) through a view: an empty
 * table whose metatable reads from the real one, refuses writes, carries RO_MARK and hides
 * itself behind a read-only placeholder (getmetatable returns that). setmetatable and rawset
 * refuse views, so none of the tricks Redis's tests try (setmetatable(_G, ...), changing
 * getmetatable(_G), redis.call = ...) changes what the next script sees. */

#define RO_MARK "flatline_readonly"
#define RO_PLACEHOLDER "flatline.ro_placeholder"

static bool is_view(lua_State *L, int idx)
{
    if (!lua_getmetatable(L, idx))
        return false;
    lua_getfield(L, -1, RO_MARK);
    bool ro = lua_toboolean(L, -1);
    lua_pop(L, 2);
    return ro;
}

/* A metatable that refuses writes, with the mark; __index set by the caller if any. */
static void push_ro_metatable(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushboolean(L, 1);
    lua_setfield(L, -2, RO_MARK);
    lua_getfield(L, LUA_REGISTRYINDEX, RO_PLACEHOLDER);
    lua_setfield(L, -2, "__metatable");
}

/* Pushes a read-only view of the table at idx. */
static void push_view(lua_State *L, int idx)
{
    idx = idx < 0 ? lua_gettop(L) + idx + 1 : idx;
    lua_newtable(L);
    push_ro_metatable(L);
    lua_pushvalue(L, idx);
    lua_setfield(L, -2, "__index");
    lua_setmetatable(L, -2);
}

/* setmetatable / rawset for scripts (upvalue 1: Lua's own): refuse views. */
static int guarded_call(lua_State *L)
{
    if (lua_type(L, 1) == LUA_TTABLE && is_view(L, 1)) {
        lua_pushliteral(L, "Attempt to modify a readonly table"); /* no position, as Redis */
        return lua_error(L);
    }
    int n = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, LUA_MULTRET);
    return lua_gettop(L);
}

/* loadstring for scripts (upvalue 1: Lua's own): no precompiled (binary) chunks, which could
 * break the interpreter; nil like any chunk that does not load. */
static int guarded_loadstring(lua_State *L)
{
    size_t n;
    const char *s = luaL_checklstring(L, 1, &n);
    if (n >= 1 && s[0] == LUA_SIGNATURE[0]) {
        lua_pushnil(L);
        lua_pushliteral(L, "binary chunks are not allowed");
        return 2;
    }
    int top = lua_gettop(L);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, top, LUA_MULTRET);
    return lua_gettop(L);
}

/* Replaces t[name] (t at the top) by a C closure over its current value. */
static void wrap_field(lua_State *L, const char *name, lua_CFunction f)
{
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

/* Builds the table scripts read globals from: every global, tables as views, the guarded
 * setmetatable/rawset/loadstring, and _G as a view of the whole; leaves it on the stack. */
static void push_script_globals(lua_State *L)
{
    lua_newtable(L); /* the placeholder getmetatable returns for views */
    push_ro_metatable(L);
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, RO_PLACEHOLDER);
    lua_newtable(L);
    int sg = lua_gettop(L);
    lua_pushnil(L);
    while (lua_next(L, LUA_GLOBALSINDEX)) {
        lua_pushvalue(L, -2);
        if (lua_istable(L, -2))
            push_view(L, -2);
        else
            lua_pushvalue(L, -2);
        lua_rawset(L, sg);
        lua_pop(L, 1);
    }
    wrap_field(L, "setmetatable", guarded_call);
    wrap_field(L, "rawset", guarded_call);
    wrap_field(L, "loadstring", guarded_loadstring);
    lua_pushliteral(L, "_G");
    push_view(L, sg);
    lua_rawset(L, sg);
}

void srv_lua_push_env(lua_State *L)
{
    lua_newtable(L);
    luaL_getmetatable(L, ENV_MT);
    lua_setmetatable(L, -2);
}

/* ---- The redis library ------------------------------------------------------------------ */

static int l_call(lua_State *L)
{
    return call_impl(L, true);
}

static int l_pcall(lua_State *L)
{
    return call_impl(L, false);
}

static int l_sha1hex(lua_State *L)
{
    if (lua_gettop(L) != 1) {
        srv_lua_push_error(L, "wrong number of arguments", 25);
        return lua_error(L);
    }
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    char hex[41];
    srv_sha1_hex(s ? s : "", s ? len : 0, hex);
    lua_pushstring(L, hex);
    return 1;
}

static int l_error_reply(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
        srv_lua_push_error(L, "wrong number or type of arguments", 33);
        return 1;
    }
    size_t len;
    const char *s = lua_tolstring(L, 1, &len);
    if (len > 0 && s[0] == '-') {
        srv_lua_push_error(L, s, len);
    } else {
        lua_pushfstring(L, "-%s", s);
        size_t n;
        const char *t = lua_tolstring(L, -1, &n);
        srv_lua_push_error(L, t, n);
    }
    return 1;
}

static int l_status_reply(lua_State *L)
{
    if (lua_gettop(L) != 1 || lua_type(L, 1) != LUA_TSTRING) {
        srv_lua_push_error(L, "wrong number or type of arguments", 33);
        return 1;
    }
    lua_newtable(L);
    lua_pushvalue(L, 1);
    lua_setfield(L, -2, "ok");
    return 1;
}

static int l_log(lua_State *L)
{
    int argc = lua_gettop(L);
    if (argc < 2) {
        srv_lua_push_error(L, "redis.log() requires two arguments or more.", 43);
        return lua_error(L);
    }
    if (!lua_isnumber(L, 1)) {
        srv_lua_push_error(L, "First argument must be a number (log level).", 44);
        return lua_error(L);
    }
    int level = (int)lua_tonumber(L, 1);
    if (level < SRV_LOG_WARNING || level > SRV_LOG_DEBUG) {
        srv_lua_push_error(L, "Invalid debug level.", 20);
        return lua_error(L);
    }
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 2; i <= argc; i++) {
        size_t n;
        const char *s = lua_tolstring(L, i, &n);
        if (!s)
            continue;
        if (i > 2)
            luaL_addchar(&b, ' ');
        luaL_addlstring(&b, s, n);
    }
    luaL_pushresult(&b);
    /* Redis's levels count up from debug (0) to warning (3), the server's the other way. */
    srv_log(log_srv, SRV_LOG_DEBUG - level, "%s", lua_tostring(L, -1));
    return 0;
}

/* redis.setresp(2|3): the protocol of redis.call's replies for the rest of the script. */
static int l_setresp(lua_State *L)
{
    if (lua_gettop(L) != 1) {
        srv_lua_push_error(L, "redis.setresp() requires one argument.", 38);
        return lua_error(L);
    }
    int resp = (int)lua_tonumber(L, 1);
    if (resp != SRV_RESP2 && resp != SRV_RESP3) {
        srv_lua_push_error(L, "RESP version must be 2 or 3.", 28);
        return lua_error(L);
    }
    script_resp = resp;
    return 0;
}

static int l_noop_true(lua_State *L)
{
    lua_pushboolean(L, 1);
    return 1;
}

static int l_noop(lua_State *L)
{
    return 0;
}

static void set_fn(lua_State *L, const char *name, lua_CFunction f)
{
    lua_pushcfunction(L, f);
    lua_setfield(L, -2, name);
}

static void set_num(lua_State *L, const char *name, lua_Number v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, name);
}

static void open_redis_lib(lua_State *L)
{
    lua_newtable(L);
    set_fn(L, "call", l_call);
    set_fn(L, "pcall", l_pcall);
    set_fn(L, "acl_check_cmd", acl_check_impl);
    set_fn(L, "sha1hex", l_sha1hex);
    set_fn(L, "error_reply", l_error_reply);
    set_fn(L, "status_reply", l_status_reply);
    set_fn(L, "log", l_log);
    set_fn(L, "replicate_commands", l_noop_true);
    set_fn(L, "set_repl", l_noop);
    set_fn(L, "setresp", l_setresp);
    set_fn(L, "breakpoint", l_noop);
    set_fn(L, "debug", l_noop);
    set_num(L, "LOG_DEBUG", 0);
    set_num(L, "LOG_VERBOSE", 1);
    set_num(L, "LOG_NOTICE", 2);
    set_num(L, "LOG_WARNING", 3);
    set_num(L, "REPL_NONE", 0);
    set_num(L, "REPL_AOF", 1);
    set_num(L, "REPL_SLAVE", 2);
    set_num(L, "REPL_REPLICA", 2);
    set_num(L, "REPL_ALL", 3);
    lua_pushstring(L, SRV_REDIS_VERSION);
    lua_setfield(L, -2, "REDIS_VERSION");
    set_num(L, "REDIS_VERSION_NUM", SRV_REDIS_VERSION_NUM);
    lua_setglobal(L, "redis");
}

/* The redis table library code sees while it loads: no call/pcall, missing names raise. */
static void open_load_api(lua_State *L, lua_CFunction register_fn)
{
    lua_newtable(L);
    set_fn(L, "register_function", register_fn);
    set_fn(L, "log", l_log);
    set_num(L, "LOG_DEBUG", 0);
    set_num(L, "LOG_VERBOSE", 1);
    set_num(L, "LOG_NOTICE", 2);
    set_num(L, "LOG_WARNING", 3);
    lua_pushstring(L, SRV_REDIS_VERSION);
    lua_setfield(L, -2, "REDIS_VERSION");
    set_num(L, "REDIS_VERSION_NUM", SRV_REDIS_VERSION_NUM);
    luaL_newmetatable(L, STRICT_MT);
    lua_pushcfunction(L, nonexistent);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_setmetatable(L, -2);
    lua_setfield(L, LUA_REGISTRYINDEX, LOAD_API);
}

static void open_libs(lua_State *L)
{
    static const luaL_Reg libs[] = {{"", luaopen_base},
                                    {LUA_TABLIBNAME, luaopen_table},
                                    {LUA_STRLIBNAME, luaopen_string},
                                    {LUA_MATHLIBNAME, luaopen_math}};
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        lua_pushcfunction(L, libs[i].func);
        lua_pushstring(L, libs[i].name);
        lua_call(L, 1, 0);
    }
    /* Redis's bundled libraries Debian packages: globals cjson and bit. */
    static const luaL_Reg globals[] = {{"cjson", luaopen_cjson}, {"bit", luaopen_bit}};
    for (size_t i = 0; i < sizeof(globals) / sizeof(globals[0]); i++) {
        lua_pushcfunction(L, globals[i].func);
        lua_call(L, 0, 1);
        lua_setglobal(L, globals[i].name);
    }
    /* No file or code loading from outside the script. */
    static const char *const removed[] = {"dofile", "loadfile", "print"};
    for (size_t i = 0; i < sizeof(removed) / sizeof(removed[0]); i++) {
        lua_pushnil(L);
        lua_setglobal(L, removed[i]);
    }
}

/* The state's allocator (lua_Alloc): every block in the scripts arena, sized by Lua. */
static void *lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    if (nsize == 0) {
        srv_keep_free(SRV_ARENA_SCRIPTS, ptr, osize);
        return NULL;
    }
    void *p = srv_keep_realloc(SRV_ARENA_SCRIPTS, ptr, ptr ? osize : 0, nsize);
    /* Lua assumes a block never fails to shrink; the arena's never does either (the shrunk
     * block is the old one, or a smaller one when jemalloc moves it). */
    FL_ASSERT(p || !ptr || nsize > osize);
    return p;
}

static int lua_panic(lua_State *L)
{
    fprintf(stderr, "PANIC: unprotected error in call to Lua API (%s)\n",
            lua_tostring(L, -1) ? lua_tostring(L, -1) : "?");
    return 0; /* Lua then aborts */
}

lua_State *srv_lua_state(srv_lua_call_fn *call, lua_CFunction acl_check_fn,
                         lua_CFunction register_fn, const srv_server_t *srv)
{
    if (lua)
        return lua;
    lua_State *L = lua_newstate(lua_alloc, NULL);
    if (!L)
        return NULL;
    lua_atpanic(L, lua_panic);
    call_impl = call;
    acl_check_impl = acl_check_fn;
    log_srv = srv;
    open_libs(L);
    open_redis_lib(L);
    open_load_api(L, register_fn);
    luaL_newmetatable(L, ENV_MT);
    push_script_globals(L);
    lua_pushcclosure(L, env_index, 1);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, env_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pop(L, 1);
    lua_pushcfunction(L, error_handler);
    lua_setfield(L, LUA_REGISTRYINDEX, "flatline.err_handler");
    lua = L;
    return L;
}

void srv_lua_close(void)
{
    if (lua)
        lua_close(lua);
    lua = NULL;
}
