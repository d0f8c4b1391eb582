/* Enumerated options: one way to read a name from a fixed list, for
 * positional arguments and for fields of an options table alike. */
#include <string.h>

#include "lbundle.h"

/* The position of s in names (NULL-terminated), or -1. */
static int find_name(const char *s, const char *const names[]) {
  for (int i = 0; names[i]; i++)
    if (strcmp(names[i], s) == 0) return i;
  return -1;
}

/* "fn: unknown <what> 'x' (a, b, c)": the message names every choice. */
static int unknown(lua_State *L, int v, const char *fn, const char *what, const char *const names[]) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addstring(&b, fn);
  luaL_addstring(&b, ": unknown ");
  luaL_addstring(&b, what);
  if (lua_type(L, v) == LUA_TSTRING) {
    luaL_addstring(&b, " '");
    luaL_addstring(&b, lua_tostring(L, v));
    luaL_addstring(&b, "'");
  } else {
    luaL_addstring(&b, " (a ");
    luaL_addstring(&b, luaL_typename(L, v));
    luaL_addstring(&b, ")");
  }
  luaL_addstring(&b, " (");
  for (int i = 0; names[i]; i++) {
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, names[i]);
  }
  luaL_addstring(&b, ")");
  luaL_pushresult(&b);
  return lua_error(L);
}

int lbr_check_enum(lua_State *L, int arg, const char *fn, const char *what, const char *dflt,
                   const char *const names[]) {
  if (dflt && lua_isnoneornil(L, arg)) return find_name(dflt, names);
  arg = lua_absindex(L, arg);
  int i = lua_type(L, arg) == LUA_TSTRING ? find_name(lua_tostring(L, arg), names) : -1;
  if (i < 0) unknown(L, arg, fn, what, names);
  return i;
}

int lbr_opt_enum(lua_State *L, int idx, const char *fn, const char *key, const char *dflt,
                 const char *const names[]) {
  if (lua_isnoneornil(L, idx)) return find_name(dflt, names);
  lua_getfield(L, idx, key);
  int i = lbr_check_enum(L, -1, fn, key, dflt, names);
  lua_pop(L, 1);
  return i;
}
