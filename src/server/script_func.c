/*
 * src/server/script_func.c: Redis 7 functions: libraries loaded with FUNCTION LOAD (a
 * "#!lua name=<lib>" first line, then Lua code that calls redis.register_function), called
 * with FCALL / FCALL_RO, listed, deleted, dumped and restored.
 *
 * A library keeps its code (for LIST WITHCODE and DUMP) and its functions: name, flags,
 * description and a reference to the Lua callback in the registry. Loading runs the code in a
 * sandboxed environment with `loading` set, the only time redis.register_function works; the
 * library replaces an existing one (REPLACE) only after its code ran without error and
 * registered at least one function whose name no other library uses: a failed load changes
 * nothing.
 *
 * DUMP's payload is flatline's own ("FLFUNC1" then, per library, a 4-byte little-endian
 * length and the code): it restores on flatline, not on Redis.
 *
 * Invariants: `libs` and `loading` are touched only under the script lock (script.h); a
 * function name is unique over all libraries. Libraries live as long as the server, whichever
 * worker loads or deletes them: in the "scripts" server-lifetime arena (lifetime.h), sized.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "lifetime.h"
#include "script.h"
#include "script_func.h"
#include "srv_cmd.h"

enum {
    FN_NO_WRITES = 1,
    FN_ALLOW_OOM = 2,
    FN_ALLOW_STALE = 4,
    FN_NO_CLUSTER = 8,
    FN_CROSS_SLOT = 16
};
static const struct {
    unsigned bit;
    const char *name;
} fn_flags[] = {{FN_NO_WRITES, "no-writes"},
                {FN_ALLOW_OOM, "allow-oom"},
                {FN_ALLOW_STALE, "allow-stale"},
                {FN_NO_CLUSTER, "no-cluster"},
                {FN_CROSS_SLOT, "allow-cross-slot-keys"}};
#define N_FN_FLAGS (sizeof(fn_flags) / sizeof(fn_flags[0]))

typedef struct func {
    char *name;
    char *desc; /* NULL when none */
    unsigned flags;
    int ref; /* the callback, in the Lua registry */
} func_t;

typedef struct lib {
    char *name;
    char *code;
    size_t code_len;
    func_t *f;
    size_t nf, fcap;
    struct lib *next;
} lib_t;

static lib_t *libs;
static lib_t *loading;
/* Counts for FUNCTION STATS, which runs without the lock while a script holds it. */
static _Atomic size_t lib_count, func_count;

static void recount(void)
{
    size_t nl = 0, nf = 0;
    for (lib_t *l = libs; l; l = l->next) {
        nl++;
        nf += l->nf;
    }
    atomic_store(&lib_count, nl);
    atomic_store(&func_count, nf);
}

#define DUMP_MAGIC "FLFUNC1"

static void lib_free(lua_State *L, lib_t *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->nf; i++) {
        if (L)
            luaL_unref(L, LUA_REGISTRYINDEX, l->f[i].ref);
        srv_keep_free_str(SRV_ARENA_SCRIPTS, l->f[i].name);
        srv_keep_free_str(SRV_ARENA_SCRIPTS, l->f[i].desc);
    }
    srv_keep_free(SRV_ARENA_SCRIPTS, l->f, l->fcap * sizeof(*l->f));
    srv_keep_free_str(SRV_ARENA_SCRIPTS, l->name);
    srv_keep_free(SRV_ARENA_SCRIPTS, l->code, l->code_len ? l->code_len : 1);
    srv_keep_free(SRV_ARENA_SCRIPTS, l, sizeof(*l));
}

static lib_t *lib_find(const char *name, size_t len)
{
    for (lib_t *l = libs; l; l = l->next)
        if (strlen(l->name) == len && memcmp(l->name, name, len) == 0)
            return l;
    return NULL;
}

/* Function names are case-insensitive across libraries (FCALL, conflicts), as in Redis. */
static const func_t *func_find(const char *name, size_t len, const lib_t *skip)
{
    for (lib_t *l = libs; l; l = l->next) {
        if (l == skip)
            continue;
        for (size_t i = 0; i < l->nf; i++)
            if (strlen(l->f[i].name) == len && strncasecmp(l->f[i].name, name, len) == 0)
                return &l->f[i];
    }
    return NULL;
}

static bool valid_name(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return false;
    }
    return true;
}

/* ---- redis.register_function ------------------------------------------------------------ */

static int reg_error(lua_State *L, const char *msg)
{
    srv_lua_push_error(L, msg, strlen(msg));
    return lua_error(L);
}

/* The flags table at the top of the stack; false on an unknown flag. */
static bool read_flags(lua_State *L, unsigned *flags)
{
    *flags = 0;
    for (int i = 1;; i++) {
        lua_rawgeti(L, -1, i);
        if (lua_isnil(L, -1)) {
            lua_pop(L, 1);
            return true;
        }
        const char *s = lua_tostring(L, -1);
        size_t k = 0;
        while (s && k < N_FN_FLAGS && strcmp(s, fn_flags[k].name) != 0)
            k++;
        lua_pop(L, 1);
        if (!s || k == N_FN_FLAGS)
            return false;
        *flags |= fn_flags[k].bit;
    }
}

/* redis.register_function{function_name=..., callback=..., flags=..., description=...}:
 * leaves name at index 2, callback at 3; *flags and *desc set. */
static int read_named(lua_State *L, unsigned *flags, const char **desc)
{
    if (!lua_istable(L, 1))
        return reg_error(L, "calling redis.register_function with a single argument is only "
                            "applicable to Lua table (representing named arguments).");
    lua_settop(L, 1);
    lua_pushnil(L); /* 2: name */
    lua_pushnil(L); /* 3: callback */
    lua_pushnil(L);
    while (lua_next(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return reg_error(L, "named argument key given to redis.register_function is not a "
                                "string");
        const char *key = lua_tostring(L, -2);
        if (!strcasecmp(key, "function_name")) {
            if (lua_type(L, -1) != LUA_TSTRING)
                return reg_error(L, "function_name argument given to redis.register_function "
                                    "must be a string");
            lua_pushvalue(L, -1);
            lua_replace(L, 2);
        } else if (!strcasecmp(key, "description")) {
            if (lua_type(L, -1) != LUA_TSTRING)
                return reg_error(L, "description argument given to redis.register_function "
                                    "must be a string");
            *desc = lua_tostring(L, -1); /* anchored by the table at index 1 */
        } else if (!strcasecmp(key, "callback")) {
            if (!lua_isfunction(L, -1))
                return reg_error(L, "callback argument given to redis.register_function must "
                                    "be a function");
            lua_pushvalue(L, -1);
            lua_replace(L, 3);
        } else if (!strcasecmp(key, "flags")) {
            if (!lua_istable(L, -1))
                return reg_error(L, "flags argument to redis.register_function must be a table "
                                    "representing function flags");
            if (!read_flags(L, flags))
                return reg_error(L, "unknown flag given");
        } else {
            return reg_error(L, "unknown argument given to redis.register_function");
        }
        lua_pop(L, 1);
    }
    if (lua_isnil(L, 2))
        return reg_error(L, "redis.register_function must get a function name argument");
    if (lua_isnil(L, 3))
        return reg_error(L, "redis.register_function must get a callback argument");
    return 0;
}

int srv_func_register(lua_State *L)
{
    if (!loading)
        return reg_error(L, "redis.register_function can only be called on FUNCTION LOAD "
                            "command");
    unsigned flags = 0;
    const char *desc = NULL;
    int argc = lua_gettop(L);
    if (argc == 1) {
        read_named(L, &flags, &desc);
    } else if (argc == 2) {
        if (lua_type(L, 1) != LUA_TSTRING)
            return reg_error(L, "first argument to redis.register_function must be a string");
        if (!lua_isfunction(L, 2))
            return reg_error(L, "second argument to redis.register_function must be a function");
        lua_pushnil(L);
        lua_insert(L, 1); /* name at 2, callback at 3 */
    } else {
        return reg_error(L, "wrong number of arguments to redis.register_function");
    }
    size_t nlen;
    const char *name = lua_tolstring(L, 2, &nlen);
    if (!valid_name(name, nlen)) /* Redis 7.0 words it as for library names */
        return reg_error(L, "Library names can only contain letters, numbers, or "
                            "underscores(_) and must be at least one character long");
    for (size_t i = 0; i < loading->nf; i++)
        if (strcmp(loading->f[i].name, name) == 0)
            return reg_error(L, "Function already exists in the library");
    if (loading->nf == loading->fcap) {
        size_t cap = loading->fcap ? 2 * loading->fcap : 4;
        func_t *f = srv_keep_realloc(SRV_ARENA_SCRIPTS, loading->f, loading->fcap * sizeof(*f),
                                     cap * sizeof(*f));
        if (!f)
            return reg_error(L, "Out of memory");
        loading->f = f;
        loading->fcap = cap;
    }
    func_t *f = &loading->f[loading->nf];
    f->name = srv_keep_strndup(SRV_ARENA_SCRIPTS, name, strlen(name));
    f->desc = desc ? srv_keep_strndup(SRV_ARENA_SCRIPTS, desc, strlen(desc)) : NULL;
    if (!f->name || (desc && !f->desc)) {
        srv_keep_free_str(SRV_ARENA_SCRIPTS, f->name);
        srv_keep_free_str(SRV_ARENA_SCRIPTS, f->desc);
        return reg_error(L, "Out of memory");
    }
    f->flags = flags;
    lua_pushvalue(L, 3);
    f->ref = luaL_ref(L, LUA_REGISTRYINDEX);
    loading->nf++;
    return 0;
}

/* ---- FUNCTION LOAD ------------------------------------------------------------------------ */

/* A library's code only registers functions: it may run LOAD_TIMEOUT_MS (Redis's limit). */
#define LOAD_TIMEOUT_MS 500
static int64_t load_started_ms;

static void load_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (fl_now_ms() - load_started_ms <= LOAD_TIMEOUT_MS)
        return;
    srv_lua_push_error(L, "FUNCTION LOAD timeout", 21);
    lua_error(L);
}

/* Parses "#!lua name=<lib>" into *name (a slice of code) and where the Lua code starts.
 * Returns NULL or the error (without "ERR "), written into err when it names a value. */
static const char *parse_meta(fl_slice_t code, fl_slice_t *name, size_t *body_off, char *err,
                              size_t errlen)
{
    if (code.n < 2 || memcmp(code.p, "#!", 2) != 0)
        return "Missing library metadata";
    const char *nl = memchr(code.p, '\n', code.n);
    if (!nl)
        return "Invalid library metadata";
    *body_off = (size_t)(nl - code.p);
    const char *p = code.p + 2, *end = nl;
    const char *eng = p;
    while (p < end && *p != ' ')
        p++;
    size_t eng_len = (size_t)(p - eng);
    name->p = NULL;
    name->n = 0;
    while (p < end) {
        while (p < end && *p == ' ')
            p++;
        if (p == end)
            break;
        const char *tok = p;
        while (p < end && *p != ' ')
            p++;
        size_t tlen = (size_t)(p - tok);
        if (tlen >= 5 && strncasecmp(tok, "name=", 5) == 0) {
            if (name->p)
                return "Invalid metadata value, name argument was given multiple times";
            name->p = tok + 5;
            name->n = tlen - 5;
            if (name->n >= 2 && name->p[0] == '"' && name->p[name->n - 1] == '"') {
                name->p++; /* name="lib": quoted as Redis's argument splitting allows */
                name->n -= 2;
            }
            continue;
        }
        snprintf(err, errlen, "Invalid metadata value given: %.*s", (int)(tlen < 200 ? tlen : 200),
                 tok);
        return err;
    }
    if (!name->p)
        return "Library name was not given";
    if (!valid_name(name->p, name->n))
        return "Library names can only contain letters, numbers, or underscores(_) and must be "
               "at least one character long";
    if (eng_len != 3 || strncasecmp(eng, "lua", 3) != 0) {
        snprintf(err, errlen, "Engine '%.*s' not found", (int)(eng_len < 200 ? eng_len : 200), eng);
        return err;
    }
    return NULL;
}

/* Loads one library (script lock held). Returns NULL, or the error message (no "ERR "),
 * possibly written into err. On success *name_out points to the library's name. */
static const char *load_lib(srv_client_t *c, fl_slice_t code, bool replace, bool restoring,
                            const char **name_out, char *err, size_t errlen)
{
    fl_slice_t name;
    size_t off;
    const char *e = parse_meta(code, &name, &off, err, errlen);
    if (e)
        return e;
    lib_t *old = lib_find(name.p, name.n);
    if (old && !replace) { /* Redis 7.0 quotes the name in LOAD's message, not RESTORE's */
        snprintf(err, errlen,
                 restoring ? "Library %.*s already exists" : "Library '%.*s' already exists",
                 (int)name.n, name.p);
        return err;
    }
    lua_State *L = srv_script_state(c->srv);
    if (!L)
        return "cannot create the Lua state";
    lib_t *l = srv_keep_calloc(SRV_ARENA_SCRIPTS, 1, sizeof(*l));
    if (!l || !(l->name = srv_keep_strndup(SRV_ARENA_SCRIPTS, name.p, strnlen(name.p, name.n))) ||
        !(l->code = srv_keep_alloc(SRV_ARENA_SCRIPTS, code.n ? code.n : 1))) {
        lib_free(L, l);
        return "Out of memory";
    }
    memcpy(l->code, code.p, code.n);
    l->code_len = code.n;
    srv_script_push_handler(L);
    if (luaL_loadbuffer(L, code.p + off, code.n - off, "@user_function") != 0) {
        snprintf(err, errlen, "Error compiling function: %s", lua_tostring(L, -1));
        lua_pop(L, 2);
        lib_free(L, l);
        return err;
    }
    srv_lua_push_env(L);
    lua_setfenv(L, -2);
    loading = l;
    load_started_ms = fl_now_ms();
    srv_lua_set_loading(true);
    lua_sethook(L, load_hook, LUA_MASKCOUNT, 100000);
    int rc = lua_pcall(L, 0, 0, -2);
    lua_sethook(L, NULL, 0, 0);
    srv_lua_set_loading(false);
    loading = NULL;
    if (rc != 0) {
        const char *msg = "unknown error";
        if (lua_istable(L, -1)) {
            lua_getfield(L, -1, "err");
            if (lua_isstring(L, -1))
                msg = lua_tostring(L, -1);
        } else if (lua_isstring(L, -1)) {
            msg = lua_tostring(L, -1);
        }
        snprintf(err, errlen, "Error registering functions: %s", msg);
        lua_settop(L, 0);
        lib_free(L, l);
        return err;
    }
    lua_pop(L, 1); /* the handler */
    if (l->nf == 0) {
        lib_free(L, l);
        return "No functions registered";
    }
    for (size_t i = 0; i < l->nf; i++)
        if (func_find(l->f[i].name, strlen(l->f[i].name), old)) {
            snprintf(err, errlen, "Function %s already exists", l->f[i].name);
            lib_free(L, l);
            return err;
        }
    if (old) {
        lib_t **pp = &libs;
        while (*pp != old)
            pp = &(*pp)->next;
        *pp = old->next;
        lib_free(L, old);
    }
    l->next = libs;
    libs = l;
    recount();
    *name_out = l->name;
    return NULL;
}

void srv_function_load(srv_client_t *c, fl_slice_t code, bool replace)
{
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    char err[512];
    const char *name = NULL;
    const char *e = load_lib(c, code, replace, false, &name, err, sizeof(err));
    if (e)
        srv_reply_errorf(&c->out, "ERR %s", e);
    else
        srv_reply_bulk_str(&c->out, name);
    srv_script_unlock(c, own);
}

/* ---- FCALL ------------------------------------------------------------------------------- */

void srv_script_fcall(srv_client_t *c, int argc, const fl_slice_t *argv, bool ro)
{
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    lua_State *L = srv_script_state(c->srv);
    const func_t *f = func_find(argv[1].p, argv[1].n, NULL);
    long long numkeys;
    if (!f || !L) {
        srv_reply_error(&c->out, "ERR Function not found");
    } else if (!srv_slice_to_ll(argv[2], &numkeys)) {
        srv_reply_error(&c->out, "ERR Bad number of keys provided");
    } else if (numkeys > argc - 3) {
        srv_reply_error(&c->out, "ERR Number of keys can't be greater than number of args");
    } else if (numkeys < 0) {
        srv_reply_error(&c->out, "ERR Number of keys can't be negative");
    } else if (ro && !(f->flags & FN_NO_WRITES)) {
        srv_reply_error(&c->out, "ERR Can not execute a script with write flag using *_ro "
                                 "command.");
    } else {
        srv_script_push_handler(L);
        lua_rawgeti(L, LUA_REGISTRYINDEX, f->ref);
        srv_script_push_array(L, argv + 3, (int)numkeys);
        srv_script_push_array(L, argv + 3 + numkeys, argc - 3 - (int)numkeys);
        srv_script_run(c, L, 2, f->name, ro || (f->flags & FN_NO_WRITES), false);
    }
    srv_script_unlock(c, own);
}

/* ---- FUNCTION DELETE / FLUSH / LIST / DUMP / RESTORE / STATS ------------------------------ */

void srv_function_delete(srv_client_t *c, fl_slice_t name)
{
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    lib_t **pp = &libs;
    while (*pp && !(strlen((*pp)->name) == name.n && !memcmp((*pp)->name, name.p, name.n)))
        pp = &(*pp)->next;
    if (!*pp) {
        srv_reply_error(&c->out, "ERR Library not found");
    } else {
        lib_t *l = *pp;
        *pp = l->next;
        lib_free(srv_script_state(c->srv), l);
        recount();
        srv_reply_ok(&c->out);
    }
    srv_script_unlock(c, own);
}

static void free_libs(lua_State *L)
{
    while (libs) {
        lib_t *l = libs;
        libs = l->next;
        lib_free(L, l);
    }
    recount();
}

void srv_function_flush(srv_client_t *c)
{
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    free_libs(srv_script_state(c->srv));
    srv_script_unlock(c, own);
    srv_reply_ok(&c->out);
}

void srv_func_free_all(void)
{
    free_libs(NULL); /* the state is closed right after: no need to drop references */
}

static void reply_function(srv_client_t *c, const func_t *f)
{
    srv_reply_map(&c->out, 3);
    srv_reply_bulk_str(&c->out, "name");
    srv_reply_bulk_str(&c->out, f->name);
    srv_reply_bulk_str(&c->out, "description");
    if (f->desc)
        srv_reply_bulk_str(&c->out, f->desc);
    else
        srv_reply_nil(&c->out);
    srv_reply_bulk_str(&c->out, "flags");
    size_t n = 0;
    for (size_t i = 0; i < N_FN_FLAGS; i++)
        n += (f->flags & fn_flags[i].bit) != 0;
    srv_reply_set(&c->out, n);
    for (size_t i = 0; i < N_FN_FLAGS; i++)
        if (f->flags & fn_flags[i].bit)
            srv_reply_simple(&c->out, fn_flags[i].name);
}

void srv_function_list(srv_client_t *c, fl_slice_t pattern, bool with_code)
{
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    size_t n = 0;
    for (lib_t *l = libs; l; l = l->next)
        n += !pattern.p || fl_glob_match(pattern.p, pattern.n, l->name, strlen(l->name), false);
    srv_reply_array(&c->out, n);
    for (lib_t *l = libs; l; l = l->next) {
        if (pattern.p && !fl_glob_match(pattern.p, pattern.n, l->name, strlen(l->name), false))
            continue;
        srv_reply_map(&c->out, with_code ? 4 : 3);
        srv_reply_bulk_str(&c->out, "library_name");
        srv_reply_bulk_str(&c->out, l->name);
        srv_reply_bulk_str(&c->out, "engine");
        srv_reply_bulk_str(&c->out, "LUA");
        srv_reply_bulk_str(&c->out, "functions");
        srv_reply_array(&c->out, l->nf);
        for (size_t i = 0; i < l->nf; i++)
            reply_function(c, &l->f[i]);
        if (with_code) {
            srv_reply_bulk_str(&c->out, "library_code");
            srv_reply_bulk(&c->out, l->code, l->code_len);
        }
    }
    srv_script_unlock(c, own);
}

void srv_function_dump(srv_client_t *c)
{
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    srv_buf_t b = {0};
    srv_reply_raw(&b, DUMP_MAGIC, sizeof(DUMP_MAGIC) - 1);
    for (lib_t *l = libs; l; l = l->next) {
        unsigned char len[4];
        for (int i = 0; i < 4; i++)
            len[i] = (unsigned char)(l->code_len >> (8 * i));
        srv_reply_raw(&b, (const char *)len, 4);
        srv_reply_raw(&b, l->code, l->code_len);
    }
    if (b.failed)
        c->out.failed = true;
    else
        srv_reply_bulk(&c->out, b.p, b.len);
    srv_buf_free(&b);
    srv_script_unlock(c, own);
}

/* Splits a DUMP payload into its libraries' code; false when it is not one. */
static bool next_code(fl_slice_t *rest, fl_slice_t *code)
{
    if (rest->n < 4)
        return false;
    const unsigned char *u = (const unsigned char *)rest->p;
    size_t len = (size_t)u[0] | (size_t)u[1] << 8 | (size_t)u[2] << 16 | (size_t)u[3] << 24;
    if (len > rest->n - 4)
        return false;
    code->p = rest->p + 4;
    code->n = len;
    rest->p += 4 + len;
    rest->n -= 4 + len;
    return true;
}

void srv_function_restore(srv_client_t *c, fl_slice_t payload, int policy)
{
    size_t mlen = sizeof(DUMP_MAGIC) - 1;
    if (payload.n < mlen || memcmp(payload.p, DUMP_MAGIC, mlen) != 0) {
        srv_reply_error(&c->out, "ERR DUMP payload version or checksum are wrong");
        return;
    }
    fl_slice_t rest = {payload.p + mlen, payload.n - mlen}, code;
    while (rest.n > 0)
        if (!next_code(&rest, &code)) {
            srv_reply_error(&c->out, "ERR DUMP payload version or checksum are wrong");
            return;
        }
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    /* policy: 0 APPEND (a library that exists is an error), 1 REPLACE, 2 FLUSH first. */
    if (policy == 2)
        free_libs(srv_script_state(c->srv));
    rest = (fl_slice_t){payload.p + mlen, payload.n - mlen};
    const char *e = NULL;
    char err[512];
    while (!e && rest.n > 0 && next_code(&rest, &code)) {
        const char *name;
        e = load_lib(c, code, policy == 1, true, &name, err, sizeof(err));
    }
    if (e)
        srv_reply_errorf(&c->out, "ERR %s", e);
    else
        srv_reply_ok(&c->out);
    srv_script_unlock(c, own);
}

void srv_function_stats(srv_client_t *c)
{
    srv_reply_map(&c->out, 2);
    srv_reply_bulk_str(&c->out, "running_script");
    char name[128];
    bool is_eval;
    int64_t ms;
    srv_script_running_name(name, sizeof(name), &is_eval, &ms);
    if (!name[0]) {
        srv_reply_nil(&c->out);
    } else {
        srv_reply_map(&c->out, 3);
        srv_reply_bulk_str(&c->out, "name");
        srv_reply_bulk_str(&c->out, name);
        srv_reply_bulk_str(&c->out, "command");
        srv_reply_array(&c->out, 1);
        srv_reply_bulk_str(&c->out, is_eval ? "eval" : "fcall");
        srv_reply_bulk_str(&c->out, "duration_ms");
        srv_reply_int(&c->out, ms);
    }
    srv_reply_bulk_str(&c->out, "engines");
    srv_reply_map(&c->out, 1);
    srv_reply_bulk_str(&c->out, "LUA");
    srv_reply_map(&c->out, 2);
    srv_reply_bulk_str(&c->out, "libraries_count");
    srv_reply_int(&c->out, (long long)atomic_load(&lib_count));
    srv_reply_bulk_str(&c->out, "functions_count");
    srv_reply_int(&c->out, (long long)atomic_load(&func_count));
}
