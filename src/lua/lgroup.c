/* Frame:group_by and the GroupBy it returns: a { frame, keys } table whose
 * agg{...} runs br_frame_group_by. */
#include "lframe.h"

/* group_by(keys) -> a GroupBy: { frame, keys } with :agg{...}. */
int lbr_frame_group_by(lua_State *L) {
  lbr_frame_check(L, 1);
  const char **keys;
  lbr_read_names(L, 2, "group_by", "keys", &keys);
  lua_pop(L, 1);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "frame");
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 1);
  } else {
    lua_pushvalue(L, 2);
  }
  lua_setfield(L, -2, "keys");
  luaL_setmetatable(L, LBR_GROUPBY_MT);
  return 1;
}

/* agg{ out = "count" | {"op", "column"}, ... }; outputs in name order, so
 * the result does not depend on table iteration order. */
static int groupby_agg(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE); /* a GroupBy: { frame = f, keys = {...} } */
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_getfield(L, 1, "frame");
  br_frame *f = lbr_frame_test(L, -1); /* not lbr_frame_check: its message would name argument #-2 */
  if (!f) return lbr_errorf(L, "agg: the GroupBy's frame has been closed (or is not a Frame)");
  lbr_pin(L, -1, "a running GroupBy:agg"); /* the spec tables' metamethods run Lua */
  lua_getfield(L, 1, "keys");
  const char **keys;
  int nkeys = lbr_read_names(L, lua_gettop(L), "group_by", "keys", &keys);
  /* collect and sort the output names */
  lua_newtable(L);
  int names_t = lua_gettop(L), na = 0;
  for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) return lbr_errorf(L, "agg: keys must be output column names");
    lua_pushvalue(L, -2);
    lua_rawseti(L, names_t, ++na);
  }
  lbr_sort_strings(L, names_t); /* not the script's table.sort, which could close f */
  br_agg *aggs = lua_newuserdatauv(L, (size_t)(na ? na : 1) * sizeof *aggs, 0);
  for (int i = 0; i < na; i++) {
    lua_rawgeti(L, names_t, i + 1);
    const char *out = lua_tostring(L, -1);
    lua_gettable(L, 2); /* spec, kept on the stack so its strings live */
    const char *opname = NULL, *col = NULL;
    if (lua_type(L, -1) == LUA_TSTRING) {
      opname = lua_tostring(L, -1);
    } else if (lua_istable(L, -1)) {
      lua_geti(L, -1, 1);
      lua_geti(L, -2, 2);
      opname = lua_tostring(L, -2);
      col = lua_tostring(L, -1);
      if (!opname || (!col && !lua_isnil(L, -1)))
        return lbr_errorf(L, "agg: '%s' must be \"op\" or {\"op\", \"column\"}", out);
    } else {
      return lbr_errorf(L, "agg: '%s' must be \"op\" or {\"op\", \"column\"}", out);
    }
    aggs[i].name = out;
    aggs[i].column = col;
    if (br_agg_op_parse(&aggs[i].op, opname) != BR_OK) return lbr_errorf(L, "agg: '%s': %s", out, br_last_error());
  }
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_frame_group_by(slot, f, keys, nkeys, aggs, na) != BR_OK) return lbr_error(L);
  return 1;
}

void lbr_group_open(lua_State *L) {
  static const luaL_Reg groupby_methods[] = {{"agg", groupby_agg}, {NULL, NULL}};
  lbr_new_class(L, LBR_GROUPBY_MT, groupby_methods, NULL);
}
