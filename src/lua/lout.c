/* Arrays the core hands back (bundle/memory.h's *_out family) held by a
 * binding: a userdata box made before the core call, so that a Lua error
 * while the result is pushed (no memory for a table, a bad option) frees
 * the array through __gc instead of leaking it, and the budget charge it
 * carries is given back either way (br_free_out). */
#include "lbundle.h"

#define OUT_MT "bundle.core_output"

static int out_gc(lua_State *L) {
  void **box = lua_touserdata(L, 1);
  br_free_out(*box);
  *box = NULL;
  return 0;
}

void **lbr_out_box(lua_State *L) {
  void **box = lua_newuserdatauv(L, sizeof *box, 0);
  *box = NULL;
  if (luaL_newmetatable(L, OUT_MT)) {
    lua_pushcfunction(L, out_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return box;
}

void lbr_out_free(void **box) {
  br_free_out(*box);
  *box = NULL;
}
