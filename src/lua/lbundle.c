/* luaopen_bundle_core: the C half of `require "bundle"`. It builds the table
 * that lua/bundle/init.lua re-exports: version, clock, seed and the tensor
 * constructors. bundlerun registers this same opener in package.preload. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "lbundle.h"

#define RNG_KEY "bundle.default_rng"

int lbr_errorf(lua_State *L, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return luaL_error(L, "%s", msg);
}

int lbr_error(lua_State *L) { return luaL_error(L, "%s", br_last_error()); }

static int tostring_of(lua_State *L) {
  luaL_tolstring(L, 1, NULL);
  return 1;
}

void lbr_callback_error(lua_State *L, const char *who) {
  int t = lua_type(L, -1);
  if (!lua_checkstack(L, 3)) {
    br_error_set(BR_ERR_ARG, "%s raised an error (a %s value; no stack room to read it)", who, lua_typename(L, t));
    return;
  }
  if (t == LUA_TSTRING || t == LUA_TNUMBER || luaL_getmetafield(L, -1, "__tostring") != LUA_TNIL) {
    if (t != LUA_TSTRING && t != LUA_TNUMBER) lua_pop(L, 1); /* the metafield */
    /* a copy converted under pcall: __tostring may fail, and converting a
     * number allocates */
    lua_pushcfunction(L, tostring_of);
    lua_pushvalue(L, -2);
    if (lua_pcall(L, 1, 1, 0) == LUA_OK && lua_type(L, -1) == LUA_TSTRING) {
      size_t len;
      const char *m = lua_tolstring(L, -1, &len);
      br_error_set_text(BR_ERR_ARG, m, len);
      lua_pop(L, 1);
      return;
    }
    lua_pop(L, 1);
  }
  br_error_set(BR_ERR_ARG, "%s raised an error (a %s value)", who, lua_typename(L, t));
}

void lbr_check_options(lua_State *L, int idx, const char *fn, const char *const *allowed) {
  if (lua_isnoneornil(L, idx)) return;
  luaL_checktype(L, idx, LUA_TTABLE);
  lua_pushnil(L);
  while (lua_next(L, idx) != 0) { /* [... key value] */
    lua_pop(L, 1);
    if (lua_type(L, -1) != LUA_TSTRING)
      luaL_error(L, "%s: option keys must be names, got a %s", fn, luaL_typename(L, -1));
    const char *k = lua_tostring(L, -1);
    int known = 0;
    for (const char *const *a = allowed; *a && !known; a++) known = strcmp(*a, k) == 0;
    if (!known) luaL_error(L, "%s: unknown option '%s'", fn, k);
  }
}

lua_Integer lbr_opt_integer(lua_State *L, int idx, const char *fn, const char *key,
                            lua_Integer dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  lua_Integer v = dflt;
  if (!lua_isnil(L, -1)) {
    int ok;
    v = lua_tointegerx(L, -1, &ok);
    if (!ok) luaL_error(L, "%s: option '%s' must be an integer, got %s", fn, key,
                        lua_type(L, -1) == LUA_TNUMBER ? "a fraction" : luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  return v;
}

int lbr_opt_boolean(lua_State *L, int idx, const char *fn, const char *key, int dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  int v = dflt;
  if (!lua_isnil(L, -1)) {
    if (!lua_isboolean(L, -1))
      luaL_error(L, "%s: option '%s' must be a boolean, got %s", fn, key, luaL_typename(L, -1));
    v = lua_toboolean(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

void lbr_new_class(lua_State *L, const char *name, const luaL_Reg *methods, const luaL_Reg *meta) {
  if (luaL_newmetatable(L, name)) {
    if (meta) luaL_setfuncs(L, meta, 0);
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
}

int64_t lbr_push_bundle_items(lua_State *L, int list, int64_t k, const char *fn) {
  if (lua_geti(L, list, k) == LUA_TTABLE) { /* a label list, or a { items = } record */
    if (lua_getfield(L, -1, "items") == LUA_TTABLE) lua_remove(L, -2);
    else lua_pop(L, 1);
  }
  if (!lua_istable(L, -1)) lbr_errorf(L, "%s: bundle %lld must be a list of item labels", fn, (long long)k);
  return (int64_t)luaL_len(L, -1);
}

int lbr_write_csv_via(lua_State *L, lua_CFunction to_frame) {
  luaL_checkstring(L, 2);
  lua_pushcfunction(L, to_frame);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 1); /* [obj path frame] */
  lua_getfield(L, -1, "write_csv");
  lua_pushvalue(L, -2);
  lua_pushvalue(L, 2);
  lua_call(L, 2, 0);
  lua_settop(L, 1);
  return 1;
}

void lbr_push_labels(lua_State *L, lbr_label_fn label, const void *owner, const int32_t *items, int n) {
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    size_t len;
    const char *s = label(owner, items[i], &len);
    lua_pushlstring(L, s, len);
    lua_rawseti(L, -2, i + 1);
  }
}

void lbr_push_joined(lua_State *L, lbr_label_fn label, const void *owner, const int32_t *items, int n,
                     char sep) {
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  for (int i = 0; i < n; i++) {
    size_t len;
    const char *s = label(owner, items[i], &len);
    if (i) luaL_addchar(&buf, sep);
    luaL_addlstring(&buf, s, len);
  }
  luaL_pushresult(&buf);
}

br_rng *lbr_default_rng(lua_State *L) {
  lua_getfield(L, LUA_REGISTRYINDEX, RNG_KEY);
  br_rng *r = lua_touserdata(L, -1);
  lua_pop(L, 1); /* the registry keeps it alive */
  return r;
}

static int bundle_clock(lua_State *L) {
  lua_pushnumber(L, br_clock_now());
  return 1;
}

/* bundle.seed(n): reseeds the generator used by calls that take no seed. */
static int bundle_seed(lua_State *L) {
  lua_Integer seed = luaL_checkinteger(L, 1);
  br_rng_seed(lbr_default_rng(L), (uint64_t)seed);
  return 0;
}

LBR_EXPORT int luaopen_bundle_core(lua_State *L) {
  luaL_checkversion(L);
  /* One default generator per Lua state, created on first open. */
  lua_getfield(L, LUA_REGISTRYINDEX, RNG_KEY);
  if (lua_isnil(L, -1)) {
    br_rng *r = lua_newuserdatauv(L, sizeof *r, 0);
    br_rng_seed(r, 0);
    lua_setfield(L, LUA_REGISTRYINDEX, RNG_KEY);
  }
  lua_pop(L, 1);

  static const luaL_Reg funcs[] = {
      {"clock", bundle_clock},
      {"seed", bundle_seed},
      {NULL, NULL},
  };
  luaL_newlib(L, funcs);
  lua_pushstring(L, br_version());
  lua_setfield(L, -2, "version");
  lbr_tensor_open(L);
  lua_setfield(L, -2, "tensor");
  lbr_frame_open(L);
  lbr_frame_more_open(L);
  lbr_basket_open(L);
  lbr_model_open(L);
  lbr_search_open(L);
  lbr_rules_open(L);
  lbr_pareto_open(L);
  lbr_price_open(L);
  lbr_eval_open(L);
  lbr_sandbox_open(L);
  return 1;
}
