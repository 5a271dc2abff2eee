/*
 * src/server/script.c: running Lua scripts (EVAL family and FCALL): the script lock, the run
 * context, redis.call / redis.pcall on a fake client, the script cache (SCRIPT LOAD/EXISTS/
 * FLUSH), and the long-running script protocol (BUSY, SCRIPT KILL / FUNCTION KILL).
 *
 * The script lock is a store batch over every partition (script.h says why). Inside EXEC the
 * transaction's batch already holds everything (scripting commands name no keys), so a script
 * queued in MULTI runs in it. Long scripts: the Lua count hook runs every 100,000 instructions
 * and stops the script when a kill was requested; clients on other workers see run_start_ms
 * and get -BUSY once the script has run busy-reply-threshold ms (they cannot run a store command
 * before it ends anyway). A kill is refused once the script has written (UNKILLABLE: the
 * writes cannot be undone), as in Redis. The script's own worker answers nobody while it runs:
 * it takes no new client meanwhile (worker.c, least_loaded), so SCRIPT KILL from a new
 * connection always reaches a worker that answers; its other existing clients wait for the
 * script's end (Redis answers them -BUSY).
 *
 * Invariants: `run` and the Lua state are touched only under the script lock; the atomics
 * below are written under it and read by any worker. Memory: what lasts from one script to the
 * next (the Lua state, run.argv) is in the "scripts" server-lifetime arena (lifetime.h); the
 * fake client's reply buffer is the running worker's and is freed when its script ends.
 */
#include "block.h"
#include "script.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fl_assert.h"
#include "lifetime.h"
#include "script_lua.h"
#include "script_func.h"
#include "srv_cmd.h"

#define SCRIPTS_KEY "flatline.scripts" /* registry: sha -> compiled EVAL body */

static _Atomic int64_t run_start_ms; /* 0: no script is running */
static _Atomic bool run_is_eval;
static _Atomic bool run_wrote;
static _Atomic bool kill_requested;
static _Atomic bool abort_requested; /* server stop: any script ends, written or not */
/* Clients waiting for a running script (srv_script_wait) sleep on end_cv. */
static pthread_mutex_t end_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t end_cv = PTHREAD_COND_INITIALIZER;
/* The running script's name for FUNCTION STATS on other workers (copied under name_mu). */
static pthread_mutex_t name_mu = PTHREAD_MUTEX_INITIALIZER;
static char running_name[128];

/* The script running now (script lock held). */
static struct {
    srv_client_t fake;
    bool fake_ready;
    bool ro;
    char name[128];       /* sha or function name, for error messages */
    srv_client_t *caller; /* the client running the script: its ACL session checks redis.call */
    fl_slice_t *argv;
    size_t argv_cap;
} run;

/* ---- The script lock ---------------------------------------------------------------------- */

/* Takes the script lock unless this thread holds it already (a script inside EXEC). Returns
 * false (an error replied) when it cannot. *own tells whether to release it. */
bool srv_script_lock(srv_client_t *c, bool *own)
{
    *own = false;
    if (fl_batch_active()) {
        FL_ASSERT(fl_batch_holds_all()); /* scripting commands are SRV_CMD_ALL_PARTS */
        return true;
    }
    if (fl_batch_begin(c->srv->store, NULL, 0, true) != FL_OK) {
        srv_reply_error(&c->out, "OOM command not allowed when used memory > 'maxmemory'.");
        return false;
    }
    *own = true;
    return true;
}

void srv_script_unlock(srv_client_t *c, bool own)
{
    if (!own)
        return;
    fl_batch_end();
    srv_block_batch_done(); /* the waiters see the script's result */
    srv_flush_after_batch(c->srv);
}

/* ---- redis.call ---------------------------------------------------------------------------- */

static atomic_bool debug_in_scripts; /* DEBUG SET-DISABLE-DENY-SCRIPTS 1 */

void srv_script_allow_debug(bool on)
{
    atomic_store(&debug_in_scripts, on);
}

/* Whether a script may not run this command: Redis 7.0's commands flagged NOSCRIPT (its
 * src/commands/\*.json) -- transactions, pub/sub, scripting itself, the blocking commands that
 * would wait (BLMPOP and BZMPOP are allowed: in a script they do not block), connection and
 * server administration -- and every subcommand of ACL, CLIENT, CONFIG, LATENCY, SCRIPT and
 * FUNCTION but HELP. DEBUG only until DEBUG SET-DISABLE-DENY-SCRIPTS 1. */
static bool denied_in_script(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv)
{
    if (strcmp(cmd->name, "debug") == 0)
        return !atomic_load(&debug_in_scripts);
    if (strcmp(cmd->name, "cluster") == 0) /* RESET alone is NOSCRIPT among its subcommands */
        return argc > 1 && srv_slice_eq(argv[1], "reset");
    static const char *const denied[] = {
        "auth",        "bgrewriteaof", "bgsave",     "blmove",     "blpop",        "brpop",
        "brpoplpush",  "bzpopmax",     "bzpopmin",   "discard",    "eval",         "eval_ro",
        "evalsha",     "evalsha_ro",   "exec",       "failover",   "fcall",        "fcall_ro",
        "hello",       "monitor",      "multi",      "psubscribe", "psync",        "punsubscribe",
        "quit",        "replconf",     "replicaof",  "reset",      "role",         "save",
        "shutdown",    "slaveof",      "ssubscribe", "subscribe",  "sunsubscribe", "sync",
        "unsubscribe", "unwatch",      "wait",       "watch"};
    for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
        if (strcmp(cmd->name, denied[i]) == 0)
            return true;
    static const char *const containers[] = {"acl",     "client", "config",
                                             "latency", "script", "function"};
    for (size_t i = 0; i < sizeof(containers) / sizeof(containers[0]); i++)
        if (strcmp(cmd->name, containers[i]) == 0)
            return !(argc > 1 && srv_slice_eq(argv[1], "help"));
    return false;
}

/* Returns the error (a push to the Lua stack, raised when `raise`). */
static int call_error(lua_State *L, const char *msg, bool raise)
{
    srv_lua_push_error(L, msg, strlen(msg));
    return raise ? lua_error(L) : 1;
}

/* A redis.call refused by the caller's ACL rules: logged (context "lua") and answered with
 * Redis 7.0's "The user executing the script ..." error. */
static int acl_error(lua_State *L, srv_acl_result_t r, const srv_cmd_t *cmd, int argc, int pos,
                     bool raise)
{
    srv_client_t *c = run.caller;
    const char *uname = srv_acl_session_user(&c->acl);
    fl_slice_t user = {uname, strlen(uname)};
    char name[96];
    switch (r) {
    case SRV_ACL_DENIED_KEY:
        srv_acl_log_refusal(c, r, SRV_ACL_CTX_LUA, run.argv[pos], user);
        return call_error(L,
                          "The user executing the script can't access at least one of the keys "
                          "mentioned in the command arguments",
                          raise);
    case SRV_ACL_DENIED_CHANNEL:
        srv_acl_log_refusal(c, r, SRV_ACL_CTX_LUA, run.argv[pos], user);
        return call_error(
            L,
            "The user executing the script can't publish to the channel mentioned in the command",
            raise);
    case SRV_ACL_DENIED_CMD:
        srv_cmd_full_name(cmd, argc, run.argv, name, sizeof(name));
        srv_acl_log_refusal(c, r, SRV_ACL_CTX_LUA, (fl_slice_t){name, strlen(name)}, user);
        return call_error(L, "The user executing the script can't run this command or subcommand",
                          raise);
    default:
        return call_error(
            L, "The user executing the script lacking the permissions for the command", raise);
    }
}

/* Converts the call's arguments (strings or numbers, in place on the stack) to run.argv. */
static const char *call_args(lua_State *L, int argc)
{
    if (argc == 0)
        return "Please specify at least one argument for this redis lib call";
    if ((size_t)argc > run.argv_cap) {
        size_t cap = (size_t)argc < 16 ? 16 : (size_t)argc;
        fl_slice_t *a = srv_keep_realloc(SRV_ARENA_SCRIPTS, run.argv, run.argv_cap * sizeof(*a),
                                         cap * sizeof(*a));
        if (!a)
            return "Out of memory";
        run.argv = a;
        run.argv_cap = cap;
    }
    for (int i = 1; i <= argc; i++) {
        int t = lua_type(L, i);
        if (t == LUA_TNUMBER) {
            char num[64];
            int n = snprintf(num, sizeof(num), "%.17g", (double)lua_tonumber(L, i));
            lua_pushlstring(L, num, (size_t)n);
            lua_replace(L, i);
        } else if (t != LUA_TSTRING) {
            return "Lua redis lib command arguments must be strings or integers";
        }
        run.argv[i - 1].p = lua_tolstring(L, i, &run.argv[i - 1].n);
    }
    return NULL;
}

static int script_call(lua_State *L, bool raise)
{
    int argc = lua_gettop(L);
    const char *err = call_args(L, argc);
    if (err)
        return call_error(L, err, raise);
    const srv_cmd_t *cmd = srv_cmd_lookup(run.argv[0].p, run.argv[0].n);
    if (!cmd)
        return call_error(L, "Unknown Redis command called from script", raise);
    if ((cmd->arity > 0 && argc != cmd->arity) || (cmd->arity < 0 && argc < -cmd->arity))
        return call_error(L, "Wrong number of args calling Redis command from script", raise);
    if (denied_in_script(cmd, argc, run.argv))
        return call_error(L, "This Redis command is not allowed from script", raise);
    if (run.ro && (cmd->flags & (SRV_CMD_WRITE | SRV_CMD_MAY_WRITE)))
        return call_error(L, "Write commands are not allowed from read-only scripts.", raise);
    if (run.caller && run.caller->srv->acl) { /* a script has its caller's permissions */
        int keypos = 0;
        srv_acl_result_t r = srv_acl_check(run.caller->srv->acl, &run.caller->acl, cmd,
                                           srv_cmd_id(cmd), argc, run.argv, &keypos);
        if (r != SRV_ACL_OK)
            return acl_error(L, r, cmd, argc, keypos, raise);
    }
    srv_client_t *f = &run.fake;
    f->out.len = 0;
    f->out.failed = false;
    f->out.proto = (uint8_t)srv_lua_resp();
    cmd->fn(f, argc, run.argv);
    if (cmd->flags & SRV_CMD_WRITE)
        atomic_store(&run_wrote, true);
    if (f->out.failed || f->out.len == 0)
        return call_error(L, "Out of memory", raise);
    srv_lua_push_reply(L, f->out.p, f->out.len);
    bool is_err = f->out.p[0] == '-';
    f->out.len = 0;
    if (f->out.cap > 64 * 1024)
        srv_buf_free(&f->out);
    if (raise && is_err)
        return lua_error(L);
    return 1;
}

/* redis.acl_check_cmd(command, args...): whether the script's caller may run that command
 * with those arguments (its ACL rules: command and keys), as Redis 7.0 answers it. */
static int script_acl_check(lua_State *L)
{
    int argc = lua_gettop(L);
    const char *err = call_args(L, argc);
    if (err)
        return call_error(L, err, true);
    const srv_cmd_t *cmd = srv_cmd_lookup(run.argv[0].p, run.argv[0].n);
    if (!cmd)
        return call_error(L, "Invalid command passed to redis.acl_check_cmd()", true);
    int keypos = 0;
    bool allowed = !run.caller || !run.caller->srv->acl ||
                   srv_acl_check(run.caller->srv->acl, &run.caller->acl, cmd, srv_cmd_id(cmd), argc,
                                 run.argv, &keypos) == SRV_ACL_OK;
    lua_pushboolean(L, allowed);
    return 1;
}

/* ---- Running a function ------------------------------------------------------------------ */

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    if (!atomic_load(&kill_requested) && !atomic_load(&abort_requested))
        return;
    /* From now on every line raises again (Redis does the same): a pcall in the script may
     * catch one raise, the code around it meets the next. */
    lua_sethook(L, count_hook, LUA_MASKLINE, 0);
    srv_lua_push_error(L, "Script killed by user with SCRIPT KILL...", 41);
    lua_error(L);
}

lua_State *srv_script_state(const srv_server_t *srv)
{
    return srv_lua_state(script_call, script_acl_check, srv_func_register, srv);
}

void srv_script_run(srv_client_t *c, lua_State *L, int nargs, const char *name, bool ro, bool eval)
{
    if (!run.fake_ready) {
        srv_client_init(&run.fake, c->srv, NULL, -1);
        run.fake_ready = true;
    }
    run.fake.ns = c->ns;
    run.fake.ns_index = c->ns_index;
    run.caller = c;
    run.ro = ro;
    srv_lua_reset_resp();
    snprintf(run.name, sizeof(run.name), "%s", name);
    pthread_mutex_lock(&name_mu);
    snprintf(running_name, sizeof(running_name), "%s", name);
    pthread_mutex_unlock(&name_mu);
    atomic_store(&kill_requested, false);
    atomic_store(&run_wrote, false);
    atomic_store(&run_is_eval, eval);
    int64_t start = fl_now_ms();
    atomic_store(&run_start_ms, start);
    if (c->worker)
        atomic_store_explicit(&c->worker->in_script, true, memory_order_relaxed);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, 100000);
    /* One time for the whole script, as in Redis: a key whose TTL passes while it runs still
     * exists for it (the store reads this thread's clock). */
    fl_now_freeze(start);
    /* Stack: handler, function, nargs arguments. */
    int err = lua_pcall(L, nargs, 1, -(nargs + 2));
    fl_now_freeze(0);
    lua_sethook(L, NULL, 0, 0);
    if (c->worker)
        atomic_store_explicit(&c->worker->in_script, false, memory_order_relaxed);
    pthread_mutex_lock(&end_mu);
    atomic_store(&run_start_ms, 0);
    pthread_cond_broadcast(&end_cv);
    pthread_mutex_unlock(&end_mu);
    if (err)
        srv_lua_reply_error(L, &c->out, run.name);
    else
        srv_lua_reply(L, &c->out);
    lua_pop(L, 1); /* the handler */
    lua_gc(L, LUA_GCSTEP, 1);
    /* The fake client's reply buffer is this worker's transient memory: it must not be grown
     * or freed by the worker that runs the next script (a block of this worker's private arena
     * held by another). */
    srv_buf_free(&run.fake.out);
    if (run.argv_cap > 64) { /* a call with many arguments: not kept for the server's life */
        srv_keep_free(SRV_ARENA_SCRIPTS, run.argv, run.argv_cap * sizeof(*run.argv));
        run.argv = NULL;
        run.argv_cap = 0;
    }
}

void srv_script_push_handler(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, "flatline.err_handler");
}

/* Pushes a Lua array of the slices. */
void srv_script_push_array(lua_State *L, const fl_slice_t *v, int n)
{
    lua_createtable(L, n, 0);
    for (int i = 0; i < n; i++) {
        lua_pushlstring(L, v[i].p, v[i].n);
        lua_rawseti(L, -2, i + 1);
    }
}

bool srv_script_numkeys(srv_client_t *c, int argc, const fl_slice_t *argv, long long *numkeys)
{
    if (!srv_slice_to_ll(argv[2], numkeys)) {
        srv_reply_error(&c->out, "ERR value is not an integer or out of range");
        return false;
    }
    if (*numkeys > argc - 3) {
        srv_reply_error(&c->out, "ERR Number of keys can't be greater than number of args");
        return false;
    }
    if (*numkeys < 0) {
        srv_reply_error(&c->out, "ERR Number of keys can't be negative");
        return false;
    }
    return true;
}

/* ---- EVAL and the script cache ------------------------------------------------------------- */

/* Pushes the cache table (creating it). */
static void push_cache(lua_State *L)
{
    lua_getfield(L, LUA_REGISTRYINDEX, SCRIPTS_KEY);
    if (lua_istable(L, -1))
        return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, SCRIPTS_KEY);
}

/* A script's "#!lua flags=..." first line: false (error replied) when it is malformed. */
static bool eval_shebang(srv_client_t *c, fl_slice_t *body, bool *no_writes)
{
    *no_writes = false;
    if (body->n < 2 || memcmp(body->p, "#!", 2) != 0)
        return true;
    const char *nl = memchr(body->p, '\n', body->n);
    size_t len = nl ? (size_t)(nl - body->p) : body->n;
    char line[256];
    if (len >= sizeof(line)) {
        srv_reply_error(&c->out, "ERR Unexpected engine in script shebang");
        return false;
    }
    memcpy(line, body->p, len);
    line[len] = '\0';
    char *save = NULL;
    const char *engine = strtok_r(line, " ", &save);
    if (!engine || strcmp(engine, "#!lua") != 0) {
        srv_reply_errorf(&c->out, "ERR Unexpected engine in script shebang: %s",
                         engine ? engine : "");
        return false;
    }
    for (char *tok = strtok_r(NULL, " ", &save); tok; tok = strtok_r(NULL, " ", &save)) {
        if (strncmp(tok, "flags=", 6) != 0) {
            srv_reply_errorf(&c->out, "ERR Unknown lua shebang option: %s", tok);
            return false;
        }
        char *fsave = NULL;
        for (char *f = strtok_r(tok + 6, ",", &fsave); f; f = strtok_r(NULL, ",", &fsave)) {
            if (strcmp(f, "no-writes") == 0)
                *no_writes = true;
            else if (strcmp(f, "allow-oom") && strcmp(f, "allow-stale") &&
                     strcmp(f, "no-cluster") && strcmp(f, "allow-cross-slot-keys")) {
                srv_reply_errorf(&c->out, "ERR Unexpected flag in script shebang: %s", f);
                return false;
            }
        }
    }
    /* The first line stays as a comment-free blank line so line numbers are unchanged. */
    body->p += len;
    body->n -= len;
    return true;
}

/* Compiles body into the cache under sha; leaves the function on the stack. False (error
 * replied) on a syntax error. */
/* Scripts in the cache (INFO memory's number_of_cached_scripts): written under the script
 * lock, read by INFO on any worker. */
static _Atomic size_t n_cached;

/* The cache's key for whether sha's shebang said flags=no-writes (true, or absent): kept with
 * the function so that EVALSHA and a repeated EVAL run it read-only too, as Redis does. */
static void no_writes_key(const char *sha, char key[64])
{
    snprintf(key, 64, "%s:no-writes", sha);
}

static bool compile_into_cache(srv_client_t *c, lua_State *L, fl_slice_t body, const char *sha,
                               bool no_writes)
{
    if (luaL_loadbuffer(L, body.p, body.n, "@user_script") != 0) {
        srv_reply_errorf(&c->out, "ERR Error compiling script (new function): %s",
                         lua_tostring(L, -1));
        lua_pop(L, 1);
        return false;
    }
    push_cache(L);
    lua_pushvalue(L, -2);
    lua_setfield(L, -2, sha);
    if (no_writes) {
        char key[64];
        no_writes_key(sha, key);
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, key);
    }
    lua_pop(L, 1);
    atomic_fetch_add(&n_cached, 1); /* callers compile only what is not cached */
    return true;
}

size_t srv_script_cached_count(void)
{
    return atomic_load(&n_cached);
}

/* Pushes the cached function for sha, or nothing (returns false); *no_writes (may be NULL)
 * gets its shebang's no-writes flag. */
static bool cached(lua_State *L, const char *sha, bool *no_writes)
{
    push_cache(L);
    lua_getfield(L, -1, sha);
    if (!lua_isfunction(L, -1)) {
        lua_pop(L, 2);
        return false;
    }
    if (no_writes) {
        char key[64];
        no_writes_key(sha, key);
        lua_getfield(L, -2, key);
        *no_writes = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    lua_remove(L, -2);
    return true;
}

static void sha_of_arg(fl_slice_t a, char sha[41])
{
    size_t n = a.n < 40 ? a.n : 40;
    for (size_t i = 0; i < n; i++) {
        char ch = a.p[i];
        sha[i] = ch >= 'A' && ch <= 'Z' ? (char)(ch + 32) : ch;
    }
    sha[n] = '\0';
}

void srv_script_eval(srv_client_t *c, int argc, const fl_slice_t *argv, bool by_sha, bool ro)
{
    long long numkeys;
    if (!srv_script_numkeys(c, argc, argv, &numkeys))
        return;
    char sha[41];
    fl_slice_t body = argv[1];
    bool no_writes = false;
    if (by_sha)
        sha_of_arg(argv[1], sha);
    else
        srv_sha1_hex(body.p, body.n, sha);
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    lua_State *L = srv_script_state(c->srv);
    if (!L) {
        srv_reply_error(&c->out, "ERR cannot create the Lua state");
        goto out;
    }
    srv_script_push_handler(L);
    if (!cached(L, sha, &no_writes)) {
        if (by_sha) {
            lua_pop(L, 1);
            srv_reply_error(&c->out, "NOSCRIPT No matching script. Please use EVAL.");
            goto out;
        }
        fl_slice_t code = body;
        if (!eval_shebang(c, &code, &no_writes) ||
            !compile_into_cache(c, L, code, sha, no_writes)) {
            lua_pop(L, 1);
            goto out;
        }
    }
    srv_lua_push_env(L);
    lua_pushliteral(L, "KEYS"); /* raw: the environment refuses assignments */
    srv_script_push_array(L, argv + 3, (int)numkeys);
    lua_rawset(L, -3);
    lua_pushliteral(L, "ARGV");
    srv_script_push_array(L, argv + 3 + numkeys, argc - 3 - (int)numkeys);
    lua_rawset(L, -3);
    lua_setfenv(L, -2);
    srv_script_run(c, L, 0, sha, ro || no_writes, true);
out:
    srv_script_unlock(c, own);
}

void srv_script_load(srv_client_t *c, fl_slice_t body)
{
    char sha[41];
    srv_sha1_hex(body.p, body.n, sha);
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    lua_State *L = srv_script_state(c->srv);
    bool no_writes;
    fl_slice_t code = body;
    if (!L) {
        srv_reply_error(&c->out, "ERR cannot create the Lua state");
    } else if (cached(L, sha, NULL)) {
        lua_pop(L, 1);
        srv_reply_bulk(&c->out, sha, 40);
    } else if (eval_shebang(c, &code, &no_writes) &&
               compile_into_cache(c, L, code, sha, no_writes)) {
        lua_pop(L, 1);
        srv_reply_bulk(&c->out, sha, 40);
    }
    srv_script_unlock(c, own);
}

void srv_script_exists(srv_client_t *c, int argc, const fl_slice_t *argv)
{
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    lua_State *L = srv_script_state(c->srv);
    srv_reply_array(&c->out, (size_t)argc - 2);
    for (int i = 2; i < argc; i++) {
        char sha[41];
        sha_of_arg(argv[i], sha);
        bool found = L && argv[i].n == 40 && cached(L, sha, NULL);
        if (found)
            lua_pop(L, 1);
        srv_reply_int(&c->out, found);
    }
    srv_script_unlock(c, own);
}

void srv_script_flush(srv_client_t *c)
{
    bool own;
    if (!srv_script_lock(c, &own))
        return;
    lua_State *L = srv_script_state(c->srv);
    if (L) {
        lua_newtable(L);
        lua_setfield(L, LUA_REGISTRYINDEX, SCRIPTS_KEY);
        lua_gc(L, LUA_GCCOLLECT, 0);
        atomic_store(&n_cached, 0);
    }
    srv_script_unlock(c, own);
    srv_reply_ok(&c->out);
}

/* ---- Busy scripts ------------------------------------------------------------------------- */

void srv_script_kill(srv_client_t *c, bool eval)
{
    if (atomic_load(&run_start_ms) == 0) {
        srv_reply_error(&c->out, "NOTBUSY No scripts in execution right now.");
        return;
    }
    if (atomic_load(&run_wrote)) {
        srv_reply_error(&c->out,
                        "UNKILLABLE Sorry the script already executed write commands against the "
                        "dataset. You can either wait the script termination or kill the server "
                        "in a hard way using the SHUTDOWN NOSAVE command.");
        return;
    }
    bool is_eval = atomic_load(&run_is_eval);
    if (eval != is_eval) {
        srv_reply_error(&c->out, is_eval ? "BUSY Redis is busy running a script. You can only "
                                           "call SCRIPT KILL or SHUTDOWN NOSAVE."
                                         : "BUSY Redis is busy running a script. You can only "
                                           "call FUNCTION KILL or SHUTDOWN NOSAVE.");
        return;
    }
    atomic_store(&kill_requested, true);
    srv_reply_ok(&c->out);
}

bool srv_script_running(void)
{
    return atomic_load(&run_start_ms) != 0;
}

/* Commands a client may run while a script is busy: Redis 7.0's allow-busy ones that do not
 * touch the store (the script holds all of it, so WATCH, UNWATCH, DISCARD and RESET, which
 * drop or add watches, would wait for the script instead of answering). MULTI passes, so a
 * command the script's BUSY refuses after it flags the transaction (EXECABORT), as in Redis. */
static bool allowed_while_busy(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv)
{
    static const char *const always[] = {"shutdown", "multi", "auth", "hello", "quit"};
    for (size_t i = 0; i < sizeof(always) / sizeof(always[0]); i++)
        if (strcmp(cmd->name, always[i]) == 0)
            return true;
    return (strcmp(cmd->name, "script") == 0 || strcmp(cmd->name, "function") == 0) && argc > 1 &&
           srv_slice_eq(argv[1], "kill");
}

const char *srv_script_wait(const srv_cmd_t *cmd, int argc, const fl_slice_t *argv,
                            long long busy_ms)
{
    if (atomic_load(&run_start_ms) == 0 || fl_batch_active() || allowed_while_busy(cmd, argc, argv))
        return NULL;
    pthread_mutex_lock(&end_mu);
    for (;;) {
        int64_t start = atomic_load(&run_start_ms);
        if (start == 0 || fl_now_ms() - start >= busy_ms)
            break;
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        int64_t ns = until.tv_nsec + (start + busy_ms - fl_now_ms()) * 1000000;
        until.tv_sec += ns / 1000000000;
        until.tv_nsec = ns % 1000000000;
        pthread_cond_timedwait(&end_cv, &end_mu, &until);
    }
    pthread_mutex_unlock(&end_mu);
    if (atomic_load(&run_start_ms) == 0)
        return NULL;
    return atomic_load(&run_is_eval) ? "BUSY Redis is busy running a script. You can only call "
                                       "SCRIPT KILL or SHUTDOWN NOSAVE."
                                     : "BUSY Redis is busy running a script. You can only call "
                                       "FUNCTION KILL or SHUTDOWN NOSAVE.";
}

void srv_script_abort(void)
{
    atomic_store(&abort_requested, true);
}

void srv_script_running_name(char *buf, size_t len, bool *is_eval, int64_t *ms)
{
    pthread_mutex_lock(&name_mu);
    int64_t start = atomic_load(&run_start_ms);
    snprintf(buf, len, "%s", start ? running_name : "");
    pthread_mutex_unlock(&name_mu);
    *is_eval = atomic_load(&run_is_eval);
    *ms = start ? fl_now_ms() - start : 0;
}

void srv_script_shutdown(void)
{
    srv_func_free_all();
    srv_lua_close();
    atomic_store(&n_cached, 0);
    if (run.fake_ready)
        srv_client_free_buffers(&run.fake);
    run.fake_ready = false;
    srv_keep_free(SRV_ARENA_SCRIPTS, run.argv, run.argv_cap * sizeof(*run.argv));
    run.argv = NULL;
    run.argv_cap = 0;
}

srv_client_t *srv_script_caller(const srv_client_t *c)
{
    return c == &run.fake ? run.caller : NULL; /* only the script's own thread passes &run.fake */
}
