/* bundle.model.gbdt: XGBoost's boosted trees behind bundle/gbdt.h, as
 * bundle.GBDT objects (fit with weights, base margins and feature names;
 * predict; exact contributions; save in the project's model format). */
#include <stdlib.h>
#include <string.h>

#include "bundle/gbdt.h"
#include "lgbdt.h"


static br_model *check_gbdt(lua_State *L, int idx) {
  br_model **slot = luaL_checkudata(L, idx, LBR_GBDT_MT);
  if (!*slot) luaL_argerror(L, idx, "model has been closed");
  return *slot;
}

static int gbdt_gc(lua_State *L) {
  br_model **slot = luaL_checkudata(L, 1, LBR_GBDT_MT);
  br_model_free(*slot);
  *slot = NULL;
  return 0;
}

static double opt_num(lua_State *L, int idx, const char *key, double dflt) {
  lua_getfield(L, idx, key);
  double v = dflt;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "gbdt: option '%s' must be a number, got %s", key, luaL_typename(L, -1));
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static const char *const gbdt_options[] = {"trees", "depth", "eta", "objective", "subsample", "colsample",
                                           "min_child_weight", "lambda", "seed", "threads", NULL};

/* bundle.model.gbdt{ trees =, depth =, eta =, objective =, ... } */
static int gbdt_new(lua_State *L) {
  lbr_check_options(L, 1, "gbdt", gbdt_options);
  br_gbdt_options o;
  br_gbdt_options_init(&o);
  if (!lua_isnoneornil(L, 1)) {
    o.trees = lbr_opt_int(L, 1, "gbdt", "trees", o.trees);
    o.depth = lbr_opt_int(L, 1, "gbdt", "depth", o.depth);
    o.threads = lbr_opt_int(L, 1, "gbdt", "threads", o.threads);
    o.seed = (uint64_t)lbr_opt_integer(L, 1, "gbdt", "seed", (lua_Integer)o.seed);
    o.eta = opt_num(L, 1, "eta", o.eta);
    o.subsample = opt_num(L, 1, "subsample", o.subsample);
    o.colsample = opt_num(L, 1, "colsample", o.colsample);
    o.min_child_weight = opt_num(L, 1, "min_child_weight", o.min_child_weight);
    o.lambda = opt_num(L, 1, "lambda", o.lambda);
    lua_getfield(L, 1, "objective");
    if (!lua_isnil(L, -1)) {
      const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
      if (!s) return lbr_errorf(L, "gbdt: option 'objective' must be a name, got %s", luaL_typename(L, -1));
      if (br_gbdt_objective_parse(&o.objective, s) != BR_OK) return lbr_errorf(L, "gbdt: %s", br_last_error());
    }
    lua_pop(L, 1);
  }
  br_model **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, LBR_GBDT_MT);
  if (br_gbdt_new(slot, &o) != BR_OK) return lbr_error(L);
  return 1;
}

/* the tensor in field key of the options table at idx, or NULL */
static br_tensor *opt_tensor(lua_State *L, int idx, const char *fn, const char *key) {
  if (lua_isnoneornil(L, idx)) return NULL;
  lua_getfield(L, idx, key);
  br_tensor *t = NULL;
  if (!lua_isnil(L, -1) && !(t = lbr_tensor_test(L, -1)))
    lbr_errorf(L, "%s: option '%s' must be a tensor, got %s", fn, key, luaL_typename(L, -1));
  lua_pop(L, 1); /* the options table keeps the tensor alive */
  return t;
}

static const char *const fit_options[] = {"weight", "base_margin", "feature_names", NULL};

/* fit(X, y [, { weight =, base_margin =, feature_names = }]) -> self */
static int gbdt_fit(lua_State *L) {
  br_model *m = check_gbdt(L, 1);
  br_tensor *X = lbr_tensor_check(L, 2), *y = lbr_tensor_check(L, 3);
  lbr_check_options(L, 4, "gbdt: fit", fit_options);
  br_tensor *w = opt_tensor(L, 4, "gbdt: fit", "weight");
  br_tensor *bm = opt_tensor(L, 4, "gbdt: fit", "base_margin");
  int64_t d = br_tensor_ndim(X) == 2 ? br_tensor_shape(X)[1] : 0;
  const char **names = NULL;
  if (!lua_isnoneornil(L, 4)) {
    lua_getfield(L, 4, "feature_names"); /* stays on the stack: it keeps the strings alive */
    if (!lua_isnil(L, -1)) {
      if (!lua_istable(L, -1)) return lbr_errorf(L, "gbdt: fit: feature_names must be a list of names");
      if ((int64_t)luaL_len(L, -1) != d)
        return lbr_errorf(L, "gbdt: fit: feature_names has %lld names, X has %lld columns", (long long)luaL_len(L, -1),
                          (long long)d);
      /* a userdata buffer, so a Lua error below frees it with the stack */
      names = lua_newuserdatauv(L, (size_t)(d > 0 ? d : 1) * sizeof *names, 0);
      for (int64_t j = 0; j < d; j++) {
        lua_geti(L, -2, j + 1);
        if (lua_type(L, -1) != LUA_TSTRING) return lbr_errorf(L, "gbdt: fit: feature_names[%lld] must be a string", (long long)j + 1);
        names[j] = lua_tostring(L, -1);
        lua_pop(L, 1); /* the list holds the string */
      }
    }
  }
  if (br_gbdt_fit(m, X, y, w, bm, names) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1;
}

static const char *const predict_options[] = {"base_margin", NULL};

static int predict_with(lua_State *L, br_status (*fn)(br_tensor **, const br_model *, const br_tensor *, const br_tensor *),
                        const char *name) {
  br_model *m = check_gbdt(L, 1);
  br_tensor *X = lbr_tensor_check(L, 2);
  lbr_check_options(L, 3, name, predict_options);
  br_tensor *bm = opt_tensor(L, 3, name, "base_margin");
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (fn(slot, m, X, bm) != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  return 1;
}

/* predict(X [, { base_margin = }]) -> n predictions (probabilities under binary:logistic) */
static int gbdt_predict(lua_State *L) { return predict_with(L, br_gbdt_predict, "gbdt: predict"); }
/* contributions(X [, { base_margin = }]) -> n x (d + 1), the last column the bias */
static int gbdt_contributions(lua_State *L) { return predict_with(L, br_gbdt_contributions, "gbdt: contributions"); }

static int gbdt_feature_names(lua_State *L) {
  br_model *m = check_gbdt(L, 1);
  if (!br_model_is_fitted(m)) return lbr_errorf(L, "gbdt: feature_names: the model is not fitted (call fit first)");
  int64_t d = br_gbdt_nfeatures(m);
  lua_createtable(L, (int)d, 0);
  for (int64_t j = 0; j < d; j++) {
    lua_pushstring(L, br_gbdt_feature_name(m, j));
    lua_rawseti(L, -2, j + 1);
  }
  return 1;
}

static int gbdt_save(lua_State *L) {
  br_model *m = check_gbdt(L, 1);
  const char *path = luaL_checkstring(L, 2);
  lbr_check_path(L, "save", path, 1);
  if (br_model_save(m, path) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1;
}

static int gbdt_kind(lua_State *L) {
  check_gbdt(L, 1);
  lua_pushliteral(L, "gbdt");
  return 1;
}

/* options() -> the table the model was made with (objective by name) */
static int gbdt_options_get(lua_State *L) {
  const br_gbdt_options *o = br_gbdt_options_of(check_gbdt(L, 1));
  lua_createtable(L, 0, 10);
  lua_pushinteger(L, o->trees), lua_setfield(L, -2, "trees");
  lua_pushinteger(L, o->depth), lua_setfield(L, -2, "depth");
  lua_pushnumber(L, o->eta), lua_setfield(L, -2, "eta");
  lua_pushstring(L, br_gbdt_objective_name(o->objective)), lua_setfield(L, -2, "objective");
  lua_pushnumber(L, o->subsample), lua_setfield(L, -2, "subsample");
  lua_pushnumber(L, o->colsample), lua_setfield(L, -2, "colsample");
  lua_pushnumber(L, o->min_child_weight), lua_setfield(L, -2, "min_child_weight");
  lua_pushnumber(L, o->lambda), lua_setfield(L, -2, "lambda");
  lua_pushinteger(L, (lua_Integer)o->seed), lua_setfield(L, -2, "seed");
  lua_pushinteger(L, o->threads), lua_setfield(L, -2, "threads");
  return 1;
}

static int gbdt_tostring(lua_State *L) {
  br_model **slot = luaL_checkudata(L, 1, LBR_GBDT_MT);
  if (!*slot) lua_pushliteral(L, "bundle.GBDT (closed)");
  else lua_pushfstring(L, "bundle.GBDT %s, %d trees (%s)", br_gbdt_objective_name(br_gbdt_options_of(*slot)->objective),
                       br_gbdt_options_of(*slot)->trees, br_model_is_fitted(*slot) ? "fitted" : "not fitted");
  return 1;
}

void lbr_gbdt_adopt(lua_State *L, int idx) {
  br_model **slot = lua_touserdata(L, idx);
  if (slot && *slot && br_model_kind_of(*slot) == BR_MODEL_GBDT) {
    lua_pushvalue(L, idx);
    luaL_setmetatable(L, LBR_GBDT_MT);
    lua_pop(L, 1);
  }
}

void lbr_gbdt_register(lua_State *L) {
  static const luaL_Reg methods[] = {{"fit", gbdt_fit}, {"predict", gbdt_predict},
                                     {"contributions", gbdt_contributions}, {"feature_names", gbdt_feature_names},
                                     {"save", gbdt_save}, {"kind", gbdt_kind}, {"options", gbdt_options_get},
                                     {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", gbdt_gc}, {"__close", gbdt_gc}, {"__tostring", gbdt_tostring}, {NULL, NULL}};
  lbr_new_class(L, LBR_GBDT_MT, methods, meta);
  lua_pushcfunction(L, gbdt_new);
  lua_setfield(L, -2, "gbdt");
  lua_pushboolean(L, br_gbdt_available());
  lua_setfield(L, -2, "gbdt_available");
}
