/*
 * src/server/script_func.h: the interfaces shared by script.c (running scripts) and
 * script_func.c (Redis 7 function libraries). Private to src/server/; every function needs the
 * script lock (script.h) unless it says otherwise.
 */
#ifndef FLATLINE_SERVER_SCRIPT_FUNC_H
#define FLATLINE_SERVER_SCRIPT_FUNC_H

#include "script_lua.h"

/* The Lua state (created on first use, logging to srv), NULL when it cannot be created. */
lua_State *srv_script_state(const srv_server_t *srv);

/* Calls the function below the `nargs` arguments on the stack, with the error handler below
 * it (srv_script_push_handler first), as the script `name` for client c, and appends its
 * reply (or error) to c->out. Pops the handler, function and arguments. */
void srv_script_run(srv_client_t *c, lua_State *L, int nargs, const char *name, bool ro, bool eval);

/* Pushes the error handler every script call uses. */
void srv_script_push_handler(lua_State *L);

/* Pushes a Lua array of n slices. */
void srv_script_push_array(lua_State *L, const fl_slice_t *v, int n);

/* Parses EVAL/FCALL's numkeys (argv[2]) against argc; false with the error replied. */
bool srv_script_numkeys(srv_client_t *c, int argc, const fl_slice_t *argv, long long *numkeys);

/* redis.register_function, valid only while FUNCTION LOAD runs a library's code. */
int srv_func_register(lua_State *L);

/* Frees every library (server stop; the state is closed right after). */
void srv_func_free_all(void);

/* Whether a script is running, and its name and run time so far (any thread). */
bool srv_script_running(void);
void srv_script_running_name(char *buf, size_t len, bool *is_eval, int64_t *ms);

/* Takes / releases the script lock (script.h); false with an error replied when it cannot
 * be taken. The release runs what a FLUSHALL inside the script left for the batch's end. */
bool srv_script_lock(srv_client_t *c, bool *own);
void srv_script_unlock(srv_client_t *c, bool own);

#endif /* FLATLINE_SERVER_SCRIPT_FUNC_H */
