/* The Bundle view a Lua objective receives (b.items, b:price(), ...), and
 * the C callbacks through which the core calls Lua: objectives, bounds and
 * the compatible predicate. Each runs under lua_pcall, so a Lua error
 * becomes a core error and never unwinds through C frames. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lsearch.h"

static bundle_view *check_view(lua_State *L) {
  bundle_view *v = luaL_checkudata(L, 1, LBR_BUNDLE_MT);
  if (!v->items) luaL_argerror(L, 1, "a bundle view is valid only inside its objective call");
  return v;
}

static double view_sum(const bundle_view *v, int cost) {
  double s = 0;
  for (int i = 0; i < v->n; i++) s += cost ? br_catalog_cost(v->cat, v->items[i]) : br_catalog_price(v->cat, v->items[i]);
  return s;
}

static int view_size(lua_State *L) { lua_pushinteger(L, check_view(L)->n); return 1; }
static int view_price(lua_State *L) { lua_pushnumber(L, view_sum(check_view(L), 0)); return 1; }
static int view_cost(lua_State *L) { lua_pushnumber(L, view_sum(check_view(L), 1)); return 1; }

static int view_objective(lua_State *L, br_objective o) {
  bundle_view *v = check_view(L);
  if (br_bundle_nbaskets(v->st) == 0) return lbr_errorf(L, "bundle:%s() needs baskets (give baskets = ... to search)", br_objective_name(o));
  lua_pushnumber(L, br_bundle_objective(v->st, o, v->items, v->n));
  return 1;
}
static int view_support(lua_State *L) { return view_objective(L, BR_OBJ_SUPPORT); }
static int view_lift(lua_State *L) { return view_objective(L, BR_OBJ_LIFT); }
static int view_min_pair_lift(lua_State *L) { return view_objective(L, BR_OBJ_MIN_PAIR_LIFT); }

static int view_has(lua_State *L) {
  bundle_view *v = check_view(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  int32_t id = br_catalog_find(v->cat, s, len), has = 0;
  for (int i = 0; i < v->n && !has; i++) has = v->items[i] == id;
  lua_pushboolean(L, has);
  return 1;
}

/* The number of distinct categories among the items (items without one
 * do not count). */
static int view_categories(lua_State *L) {
  bundle_view *v = check_view(L);
  double f[BR_NFEATURES];
  br_bundle_features(v->st, v->items, v->n, f);
  lua_pushinteger(L, (lua_Integer)f[BR_FEAT_CATEGORIES]);
  return 1;
}

/* b:features([t]): the bundle's model features as a list, or filled into t
 * when given (a table, or a contiguous tensor of BR_NFEATURES values such
 * as a 1 x n model input), so a loop need not allocate. Names are in
 * bundle.search_features. */
static int view_features(lua_State *L) {
  bundle_view *v = check_view(L);
  double f[BR_NFEATURES];
  br_bundle_features(v->st, v->items, v->n, f);
  br_tensor *t = lbr_tensor_test(L, 2);
  if (t) {
    if (br_tensor_numel(t) != BR_NFEATURES || !br_tensor_is_contiguous(t))
      return lbr_errorf(L, "features: the tensor must be contiguous with %d values", BR_NFEATURES);
    memcpy(br_tensor_data(t), f, sizeof f);
    lua_settop(L, 2);
    return 1;
  }
  if (lua_istable(L, 2)) lua_settop(L, 2);
  else if (!lua_isnoneornil(L, 2)) return luaL_argerror(L, 2, "a table or a tensor to fill");
  else lua_createtable(L, BR_NFEATURES, 0);
  for (int k = 0; k < BR_NFEATURES; k++) {
    lua_pushnumber(L, f[k]);
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

/* b.items builds a table (only when a script asks); methods do not allocate. */
static int view_index(lua_State *L) {
  lua_pushvalue(L, 2);
  if (lua_rawget(L, lua_upvalueindex(1)) != LUA_TNIL) return 1; /* a method */
  lua_pop(L, 1);
  const char *key = luaL_checkstring(L, 2);
  if (strcmp(key, "items") == 0) {
    bundle_view *v = check_view(L);
    lbr_push_labels(L, lbr_catalog_label, v->cat, v->items, v->n);
    return 1;
  }
  lua_pushnil(L);
  return 1;
}

bundle_view *lbr_view_push(lua_State *L, const br_bundle_stats *st, const br_catalog *cat) {
  bundle_view *v = lua_newuserdatauv(L, sizeof *v, 0);
  *v = (bundle_view){st, cat, NULL, 0};
  luaL_setmetatable(L, LBR_BUNDLE_MT);
  return v;
}

/* Calls the callback's function with the view on items and `extra`
 * arguments already pushed; leaves one result on the stack, or records
 * the error and returns 0. */
static int call_with_view(lua_callback *c, const int32_t *items, int n, int extra) {
  lua_State *L = c->L;
  bundle_view *v = lua_touserdata(L, c->view);
  v->items = items;
  v->n = n;
  lua_pushvalue(L, c->fn);
  lua_pushvalue(L, c->view);
  if (extra) lua_rotate(L, -2 - extra, 2); /* fn, view, extras... */
  int st = lua_pcall(L, 1 + extra, 1, 0);
  v->items = NULL;
  if (st != LUA_OK) {
    lbr_callback_error(L, "a search callback");
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

static double number_result(lua_callback *c, const int32_t *items, int n, const char *what, int *fail) {
  lua_State *L = c->L;
  double r = NAN;
  if (lua_type(L, -1) != LUA_TNUMBER) {
    char text[300];
    br_error_set(BR_ERR_ARG, "search: the %s returned a %s for bundle %s, not a number", what, luaL_typename(L, -1),
                 (br_catalog_bundle_text(c->cat, items, n, text, sizeof text), text));
    *fail = 1;
  } else {
    r = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return r;
}

double lbr_call_objective(void *ctx, const int32_t *items, int n, int *fail) {
  lua_callback *c = ctx;
  if (!call_with_view(c, items, n, 0)) {
    *fail = 1;
    return NAN;
  }
  return number_result(c, items, n, "objective", fail);
}

double lbr_call_bound(void *ctx, const int32_t *items, int n, int slots, int *fail) {
  lua_callback *c = ctx;
  lua_pushinteger(c->L, slots);
  if (!call_with_view(c, items, n, 1)) {
    *fail = 1;
    return NAN;
  }
  return number_result(c, items, n, "bound", fail);
}

int lbr_call_compatible(void *ctx, int32_t a, int32_t b) {
  lua_callback *c = ctx;
  lua_State *L = c->L;
  size_t la, lb;
  const char *sa = br_catalog_label(c->cat, a, &la), *sb = br_catalog_label(c->cat, b, &lb);
  lua_pushvalue(L, c->fn);
  lua_pushlstring(L, sa, la);
  lua_pushlstring(L, sb, lb);
  if (lua_pcall(L, 2, 1, 0) != LUA_OK) {
    lbr_callback_error(L, "compatible");
    lua_pop(L, 1);
    return -1;
  }
  int ok = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return ok;
}

void lbr_view_open(lua_State *L) {
  static const luaL_Reg vm[] = {{"size", view_size}, {"price", view_price}, {"cost", view_cost},
                                {"support", view_support}, {"lift", view_lift}, {"min_pair_lift", view_min_pair_lift},
                                {"has", view_has}, {"categories", view_categories}, {"features", view_features},
                                {NULL, NULL}};
  if (luaL_newmetatable(L, LBR_BUNDLE_MT)) {
    /* __index is a closure over the methods table: one rawget a lookup */
    lua_newtable(L);
    luaL_setfuncs(L, vm, 0);
    lua_pushcclosure(L, view_index, 1);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
}
