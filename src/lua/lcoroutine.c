/* coroutine.resume, wrap and close that record which thread runs which
 * (installed by luaopen_bundle_core, bundlerun and the sandbox's setup).
 *
 * A binding that holds an object's pointer while a metamethod or callback
 * runs Lua is protected by lbr_check_unpinned: a close looks down the
 * stacks of the threads that may hold the binding's frame. A binding's C
 * frame cannot be suspended (bindings call Lua without continuations, so a
 * yield across one is an error), hence every thread that holds one is
 * either the running thread or a thread that is resuming another, right
 * now: the chain of resumers from the running thread up. Lua keeps no link
 * from a coroutine to its resumer, so these functions keep one in the
 * registry's resumers table (lbr_push_resumers), set while they run the
 * thread and cleared when it yields, returns or fails. The sandbox
 * installs them too, under its own wrappers (lsandbox.c), which add the
 * time checks.
 *
 * The semantics are Lua 5.4's: same results, same error values (wrap
 * prefixes a string error with the caller's position, as Lua's does), and
 * the thread status seen by coroutine.status/running/isyieldable is the
 * real one, since the threads are run by lua_resume itself. */
#include <lualib.h>

#include "lbundle.h"
#include "llimits.h"

static char recorded_key; /* registry flag: this state's resumes are recorded */

/* Notes L as the resumer of the thread at idx (tbl: the resumers table),
 * after pushing the note it replaces: nil for a suspended thread, but a
 * thread already running (normal: it resumed L, or one below L) keeps its
 * own resumer, which a resume that fails at once must not lose. The old
 * note is put back by unnote; kept on the stack, it stays alive. */
static void note(lua_State *L, int tbl, int idx) {
  lua_pushvalue(L, idx);
  lua_rawget(L, tbl); /* the old note */
  lua_pushvalue(L, idx);
  lua_pushthread(L);
  lua_rawset(L, tbl);
}

static void unnote(lua_State *L, int tbl, int idx, int old) {
  lua_pushvalue(L, idx);
  lua_pushvalue(L, old);
  lua_rawset(L, tbl); /* the key is there already: no allocation, no error */
}

/* Lua 5.4.6 renamed the reset that runs a thread's pending __close
 * handlers and made it take the thread that drives it. */
#if LUA_VERSION_RELEASE_NUM >= 50406
#define close_thread(co, L) lua_closethread(co, L)
#else
#define close_thread(co, L) lua_resetthread(co)
#endif

/* Moves the top narg values to co and resumes it. With note set, the
 * thread at idx (co) is noted as resumed by L (the old note at old) until
 * it yields or returns. Returns the number of values co yielded or
 * returned (moved to L), the old note back; or -1 with the error value on
 * L's top and L's note still in place, for the caller to undo once the
 * thread's __close handlers have run. */
static int resume_with(lua_State *L, lua_State *co, int narg, int tbl, int idx, int old, int note) {
  if (!lua_checkstack(co, narg)) {
    lua_pushliteral(L, "too many arguments to resume");
    return -1;
  }
  lua_xmove(L, co, narg);
  int nres;
  lua_State *prev = lbr_alarm_enter(L, co); /* the deadline's alarm must see co run (lalarm.c) */
  int status = lua_resume(co, L, narg, &nres);
  lbr_alarm_leave(L, prev);
  if (status != LUA_OK && status != LUA_YIELD) {
    lua_xmove(co, L, 1); /* the error value */
    return -1;
  }
  if (note) unnote(L, tbl, idx, old); /* before the results come over: the stack check below stays Lua's */
  if (!lua_checkstack(L, nres + 1)) {
    lua_pop(co, nres);
    lua_pushliteral(L, "too many results to resume");
    return -1;
  }
  lua_xmove(co, L, nres);
  return nres;
}

/* coroutine.resume(co, ...); upvalue 1 is the resumers table. The old
 * note sits at 2, below the arguments. */
static int rec_resume(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  luaL_argexpected(L, co, 1, "thread");
  int tbl = lua_upvalueindex(1), noted = co != L;
  if (noted) note(L, tbl, 1);
  else lua_pushnil(L);
  lua_insert(L, 2);
  int r = resume_with(L, co, lua_gettop(L) - 2, tbl, 1, 2, noted);
  if (r < 0) {
    if (noted) unnote(L, tbl, 1, 2); /* undoing twice is harmless */
    lua_pushboolean(L, 0);
    lua_insert(L, -2);
    return 2;
  }
  lua_pushboolean(L, 1);
  lua_insert(L, -(r + 1));
  return r + 1;
}

/* A wrap function: upvalue 1 its thread (where Lua's keeps it, which
 * lsandbox.c relies on), upvalue 2 the resumers table. The old note sits
 * at 1, below the arguments. */
static int rec_wrapped(lua_State *L) {
  lua_State *co = lua_tothread(L, lua_upvalueindex(1));
  int tbl = lua_upvalueindex(2), key = lua_upvalueindex(1), noted = co != L;
  if (noted) note(L, tbl, key);
  else lua_pushnil(L);
  lua_insert(L, 1);
  int r = resume_with(L, co, lua_gettop(L) - 1, tbl, key, 1, noted);
  if (r >= 0) return r;
  int status = lua_status(co);
  if (status != LUA_OK && status != LUA_YIELD) { /* the thread failed: run its pending __close handlers */
    lua_State *prev = lbr_alarm_enter(L, co);
    status = close_thread(co, L);
    lbr_alarm_leave(L, prev);
    lua_xmove(co, L, 1); /* the error after them */
  }
  if (noted) unnote(L, tbl, key, 1);
  if (status != LUA_ERRMEM && lua_type(L, -1) == LUA_TSTRING) { /* Lua's wrap adds the caller's position */
    luaL_where(L, 1);
    lua_insert(L, -2);
    lua_concat(L, 2);
  }
  return lua_error(L);
}

/* coroutine.wrap(f); upvalue 1 is the resumers table. */
static int rec_wrap(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  lua_State *co = lua_newthread(L);
  lua_pushvalue(L, 1);
  lua_xmove(L, co, 1);
  lua_pushvalue(L, lua_upvalueindex(1));
  lua_pushcclosure(L, rec_wrapped, 2);
  return 1;
}

/* co's status as coroutine.status names it, seen from L. */
static const char *status_of(lua_State *L, lua_State *co) {
  if (L == co) return "running";
  switch (lua_status(co)) {
    case LUA_YIELD: return "suspended";
    case LUA_OK: {
      lua_Debug ar;
      if (lua_getstack(co, 0, &ar)) return "normal"; /* it resumed another */
      return lua_gettop(co) == 0 ? "dead" : "suspended"; /* not started yet */
    }
    default: return "dead"; /* it failed */
  }
}

/* coroutine.close(co): its pending __close handlers run on co, driven by
 * L, so L is noted as co's resumer meanwhile. Upvalue 1: resumers table. */
static int rec_close(lua_State *L) {
  lua_State *co = lua_tothread(L, 1);
  luaL_argexpected(L, co, 1, "thread");
  const char *st = status_of(L, co);
  if (st[0] != 'd' && st[0] != 's') return luaL_error(L, "cannot close a %s coroutine", st);
  lua_settop(L, 1);
  note(L, lua_upvalueindex(1), 1); /* the old note at 2 */
  lua_State *prev = lbr_alarm_enter(L, co);
  int status = close_thread(co, L);
  lbr_alarm_leave(L, prev);
  unnote(L, lua_upvalueindex(1), 1, 2);
  if (status == LUA_OK) {
    lua_pushboolean(L, 1);
    return 1;
  }
  lua_pushboolean(L, 0);
  lua_xmove(co, L, 1);
  return 2;
}

/* True when field `name` of the table on the top is still Lua's own: a C
 * function without upvalues. A script or library that replaced it keeps
 * its version (a Lua wrapper around the original resume would run the
 * original anyway). */
static int is_lua_own(lua_State *L, const char *name) {
  lua_getfield(L, -1, name);
  int own = lua_tocfunction(L, -1) != NULL;
  if (own && lua_getupvalue(L, -1, 1)) {
    own = 0;
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  return own;
}

void lbr_record_resumes(lua_State *L) {
  luaL_checkstack(L, 6, "coroutine");
  int done = lua_rawgetp(L, LUA_REGISTRYINDEX, &recorded_key) != LUA_TNIL;
  lua_pop(L, 1);
  if (done) return;
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  int co_lib = lua_getfield(L, -1, LUA_COLIBNAME) == LUA_TTABLE;
  if (co_lib && is_lua_own(L, "resume") && is_lua_own(L, "wrap") && is_lua_own(L, "close")) {
    static const luaL_Reg fns[] = {{"resume", rec_resume}, {"wrap", rec_wrap}, {"close", rec_close}, {NULL, NULL}};
    lbr_push_resumers(L);
    luaL_setfuncs(L, fns, 1); /* the library table is shared with _G.coroutine */
    lua_pushboolean(L, 1);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &recorded_key);
  }
  lua_pop(L, 2);
}

int lbr_driver_record_resumes(lua_State *L) {
  lbr_record_resumes(L);
  return 0;
}
