/* bundle.model.linear / .logistic (bundle.Model) and the optimiser
 * primitives behind bundle.optim (bundle/model.h, bundle/optim.h). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "lbundle.h"
#include "lgbdt.h"


static br_model **push_model_slot(lua_State *L) {
  br_model **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, LBR_MODEL_MT);
  return slot;
}

static br_model *check_model(lua_State *L, int idx) {
  br_model **slot = luaL_checkudata(L, idx, LBR_MODEL_MT);
  if (!*slot) luaL_argerror(L, idx, "model has been closed");
  return *slot;
}

static int model_gc(lua_State *L) {
  br_model **slot = luaL_checkudata(L, 1, LBR_MODEL_MT);
  lbr_check_unpinned(L, 1, "Model");
  br_model_free(*slot);
  *slot = NULL;
  return 0;
}

static double opt_number(lua_State *L, int idx, const char *fn, const char *key, double dflt) {
  if (lua_isnoneornil(L, idx)) return dflt;
  lua_getfield(L, idx, key);
  double v = dflt;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "%s: option '%s' must be a number, got %s", fn, key, luaL_typename(L, -1));
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static const char *const linear_options[] = {"l2", "intercept", NULL};
static const char *const logistic_options[] = {"l2", "intercept", "max_iter", "tol", NULL};

static int model_linear(lua_State *L) {
  lbr_check_options(L, 1, "linear", linear_options);
  br_linear_options o;
  br_linear_options_init(&o);
  o.l2 = opt_number(L, 1, "linear", "l2", o.l2);
  o.intercept = lbr_opt_boolean(L, 1, "linear", "intercept", 1);
  br_model **slot = push_model_slot(L);
  if (br_linear_new(slot, &o) != BR_OK) return lbr_error(L);
  return 1;
}

static int model_logistic(lua_State *L) {
  lbr_check_options(L, 1, "logistic", logistic_options);
  br_logistic_options o;
  br_logistic_options_init(&o);
  o.l2 = opt_number(L, 1, "logistic", "l2", o.l2);
  o.intercept = lbr_opt_boolean(L, 1, "logistic", "intercept", 1);
  o.max_iter = lbr_opt_int(L, 1, "logistic", "max_iter", o.max_iter);
  o.tol = opt_number(L, 1, "logistic", "tol", o.tol);
  br_model **slot = push_model_slot(L);
  if (br_logistic_new(slot, &o) != BR_OK) return lbr_error(L);
  return 1;
}

static const char *const mlp_options[] = {"layers", "activation", "output", "loss", "optimizer", "lr",
                                         "momentum", "weight_decay", "epochs", "batch", "seed", "shuffle",
                                         "validation", "patience", "tol", NULL};

static const char *opt_name(lua_State *L, const char *key, const char *dflt) {
  if (lua_isnoneornil(L, 1)) return dflt;
  lua_getfield(L, 1, key);
  const char *v = lua_isnil(L, -1) ? dflt : lua_tostring(L, -1);
  if (!v) lbr_errorf(L, "mlp: option '%s' must be a name", key);
  lua_pop(L, 1); /* the options table keeps the string alive */
  return v;
}

static int model_mlp(lua_State *L) {
  lbr_check_options(L, 1, "mlp", mlp_options);
  br_mlp_options o;
  br_mlp_options_init(&o);
  if (!lua_isnoneornil(L, 1)) {
    lua_getfield(L, 1, "layers");
    if (!lua_isnil(L, -1)) {
      if (!lua_istable(L, -1)) return lbr_errorf(L, "mlp: layers must be a list of widths, e.g. {64}");
      int n = (int)luaL_len(L, -1);
      if (n > BR_MLP_MAX_LAYERS) return lbr_errorf(L, "mlp: at most %d hidden layers", BR_MLP_MAX_LAYERS);
      o.nlayers = n;
      for (int i = 0; i < n; i++) {
        lua_geti(L, -1, i + 1);
        int ok;
        lua_Integer w = lua_tointegerx(L, -1, &ok);
        if (!ok || w < 1) return lbr_errorf(L, "mlp: layers[%d] must be a positive integer", i + 1);
        o.layers[i] = (int)w;
        lua_pop(L, 1);
      }
    }
    lua_pop(L, 1);
  }
  if (br_activation_parse(&o.activation, opt_name(L, "activation", "relu")) != BR_OK ||
      br_activation_parse(&o.output, opt_name(L, "output", "linear")) != BR_OK ||
      br_loss_parse(&o.loss, opt_name(L, "loss", "mse")) != BR_OK ||
      br_optimizer_parse(&o.optimizer, opt_name(L, "optimizer", "adam")) != BR_OK)
    return lbr_errorf(L, "mlp: %s", br_last_error());
  o.lr = opt_number(L, 1, "mlp", "lr", o.lr);
  o.momentum = opt_number(L, 1, "mlp", "momentum", o.momentum);
  o.weight_decay = opt_number(L, 1, "mlp", "weight_decay", o.weight_decay);
  o.validation = opt_number(L, 1, "mlp", "validation", o.validation);
  o.epochs = lbr_opt_int(L, 1, "mlp", "epochs", o.epochs);
  o.batch = lbr_opt_int(L, 1, "mlp", "batch", o.batch);
  o.patience = lbr_opt_int(L, 1, "mlp", "patience", o.patience);
  o.tol = opt_number(L, 1, "mlp", "tol", o.tol);
  o.seed = (uint64_t)lbr_opt_integer(L, 1, "mlp", "seed", (lua_Integer)o.seed);
  o.shuffle = lbr_opt_boolean(L, 1, "mlp", "shuffle", o.shuffle);
  br_model **slot = push_model_slot(L);
  if (br_mlp_new(slot, &o) != BR_OK) return lbr_error(L);
  return 1;
}

static const char *const fit_options[] = {"warn", NULL};

/* fit(X, y [, { warn = true }]) -> history: { iterations =, converged = }
 * (linear, logistic), or { epochs = n, loss = {...}, val_loss = {...},
 * converged = } (mlp). A fit that did not converge also gives
 * history.convergence (what was seen, what to change) and, unless warn is
 * false, says so on stderr as the pipeline's warnings do: the model is
 * usable but not what more training would give. */
static int model_fit(lua_State *L) {
  br_model *m = check_model(L, 1);
  br_tensor *X = lbr_tensor_check(L, 2), *y = lbr_tensor_check(L, 3);
  const char *kind = br_model_kind_name(br_model_kind_of(m));
  char fn[32];
  snprintf(fn, sizeof fn, "%s: fit", kind);
  lbr_check_options(L, 4, fn, fit_options);
  int warn = lbr_opt_boolean(L, 4, fn, "warn", 1);
  if (br_model_fit(m, X, y) != BR_OK) return lbr_error(L);
  lua_createtable(L, 0, 6);
  lua_pushinteger(L, br_model_iterations(m));
  lua_setfield(L, -2, "iterations");
  const char *why;
  int converged = br_model_converged(m, &why);
  lua_pushboolean(L, converged);
  lua_setfield(L, -2, "converged");
  if (!converged) {
    lua_pushstring(L, why);
    lua_setfield(L, -2, "convergence");
    if (warn) fprintf(stderr, "bundlerun: warning: %s: fit did not converge: %s\n", kind, why);
  }
  const double *loss, *val;
  int ne = br_model_history(m, &loss, &val);
  if (ne > 0) {
    lua_pushinteger(L, ne);
    lua_setfield(L, -2, "epochs");
    lua_createtable(L, ne, 0);
    for (int e = 0; e < ne; e++) {
      lua_pushnumber(L, loss[e]);
      lua_rawseti(L, -2, e + 1);
    }
    lua_setfield(L, -2, "loss");
    if (!isnan(val[0])) {
      lua_createtable(L, ne, 0);
      for (int e = 0; e < ne; e++) {
        lua_pushnumber(L, val[e]);
        lua_rawseti(L, -2, e + 1);
      }
      lua_setfield(L, -2, "val_loss");
    }
  }
  return 1;
}

/* params(): linear models give weights and intercept, an mlp its list of
 * { W1, b1, W2, b2, ... } tensors (copies). */
static int model_params(lua_State *L) {
  br_model *m = check_model(L, 1);
  if (br_model_kind_of(m) != BR_MODEL_MLP) {
    br_tensor **slot = lbr_tensor_push_slot(L);
    double b;
    if (br_model_coef(slot, &b, m) != BR_OK) return lbr_error(L);
    lua_pushnumber(L, b);
    return 2;
  }
  if (!br_model_is_fitted(m)) return lbr_errorf(L, "mlp: params: the model is not fitted (call fit first)");
  int n = br_mlp_nparams(m);
  lua_createtable(L, n, 0);
  for (int k = 0; k < n; k++) {
    br_tensor **slot = lbr_tensor_push_slot(L);
    if (br_mlp_param(slot, m, k) != BR_OK) return lbr_error(L);
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

static int model_predict(lua_State *L) {
  br_model *m = check_model(L, 1);
  br_tensor *X = lbr_tensor_check(L, 2);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_model_predict(slot, m, X) != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  return 1;
}

static int model_predict_proba(lua_State *L) {
  br_model *m = check_model(L, 1);
  br_tensor *X = lbr_tensor_check(L, 2);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_model_predict_proba(slot, m, X) != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  return 1;
}

/* coef() -> weights tensor, intercept */
static int model_coef(lua_State *L) {
  br_model *m = check_model(L, 1);
  br_tensor **slot = lbr_tensor_push_slot(L);
  double b;
  if (br_model_coef(slot, &b, m) != BR_OK) return lbr_error(L);
  lua_pushnumber(L, b);
  return 2;
}

static int model_save(lua_State *L) {
  br_model *m = check_model(L, 1);
  const char *path = luaL_checkstring(L, 2);
  lbr_check_path(L, "save", path, 1);
  if (br_model_save(m, path) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1;
}

static int model_load(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lbr_check_path(L, "load", path, 0);
  br_model **slot = push_model_slot(L);
  if (br_model_load(slot, path) != BR_OK) return lbr_error(L);
  lbr_gbdt_adopt(L, -1); /* a GBDT file gives a bundle.GBDT */
  return 1;
}

static int model_kind(lua_State *L) {
  lua_pushstring(L, br_model_kind_name(br_model_kind_of(check_model(L, 1))));
  return 1;
}

static int model_tostring(lua_State *L) {
  br_model **slot = luaL_checkudata(L, 1, LBR_MODEL_MT);
  if (!*slot) lua_pushliteral(L, "bundle.Model (closed)");
  else lua_pushfstring(L, "bundle.Model %s (%s)", br_model_kind_name(br_model_kind_of(*slot)),
                       br_model_is_fitted(*slot) ? "fitted" : "not fitted");
  return 1;
}

/* ---- optimiser primitives (bundle.optim composes them in Lua) ---- */

/* A contiguous 1-d-or-any tensor that the step may update in place. */
static double *inplace_data(lua_State *L, int idx, const char *fn, int64_t *n) {
  br_tensor *t = lbr_tensor_check(L, idx);
  if (!br_tensor_is_contiguous(t))
    lbr_errorf(L, "%s: argument #%d must be a contiguous tensor (use :contiguous())", fn, idx);
  *n = br_tensor_numel(t);
  return br_tensor_data(t);
}

/* adam_step(params, grads, m, v, t, lr, b1, b2, eps): updates params, m, v. */
static int optim_adam_step(lua_State *L) {
  int64_t n, ng, nm, nv;
  double *x = inplace_data(L, 1, "adam", &n), *g = inplace_data(L, 2, "adam", &ng);
  double *m = inplace_data(L, 3, "adam", &nm), *v = inplace_data(L, 4, "adam", &nv);
  if (ng != n || nm != n || nv != n)
    return lbr_errorf(L, "adam: params has %lld values, grads %lld", (long long)n, (long long)ng);
  lua_Integer t = luaL_checkinteger(L, 5);
  br_adam_step((size_t)n, luaL_checknumber(L, 6), luaL_checknumber(L, 7), luaL_checknumber(L, 8),
               luaL_checknumber(L, 9), t, g, x, m, v);
  return 0;
}

/* sgd_step(params, grads, v, lr, momentum, weight_decay) */
static int optim_sgd_step(lua_State *L) {
  int64_t n, ng, nv;
  double *x = inplace_data(L, 1, "sgd", &n), *g = inplace_data(L, 2, "sgd", &ng), *v = inplace_data(L, 3, "sgd", &nv);
  if (ng != n || nv != n)
    return lbr_errorf(L, "sgd: params has %lld values, grads %lld", (long long)n, (long long)ng);
  br_sgd_step((size_t)n, luaL_checknumber(L, 4), luaL_checknumber(L, 5), luaL_checknumber(L, 6), g, x, v);
  return 0;
}

/* L-BFGS over a Lua objective. The callback runs under lua_pcall: a Lua
 * error must not longjmp through the C optimiser, so it is kept, the
 * optimiser is stopped with NaN, and the error is raised afterwards. */
typedef struct lua_objective {
  lua_State *L;
  int fn;       /* stack index of f */
  int xbuf;     /* stack index of a tensor reused for x */
  int64_t n;
  int failed;   /* 1: a Lua error is on the registry key below */
  int evals;
} lua_objective;

static char objective_error_key;

static double call_objective(void *vctx, const double *x, double *grad) {
  lua_objective *c = vctx;
  lua_State *L = c->L;
  br_tensor *xt = *(br_tensor **)lua_touserdata(L, c->xbuf);
  memcpy(br_tensor_data(xt), x, (size_t)c->n * sizeof *x);
  c->evals++;
  lua_pushvalue(L, c->fn);
  lua_pushvalue(L, c->xbuf);
  if (lua_pcall(L, 1, 2, 0) != LUA_OK) {
    lua_rawsetp(L, LUA_REGISTRYINDEX, &objective_error_key);
    c->failed = 1;
    return NAN;
  }
  /* [.. value grad] */
  int ok = lua_type(L, -2) == LUA_TNUMBER;
  br_tensor *g = lbr_tensor_test(L, -1);
  const char *problem = !ok ? "must return a number and a gradient tensor"
                      : (!g || br_tensor_numel(g) != c->n) ? "must return a gradient tensor with one value per parameter"
                      : NULL;
  if (problem) {
    lua_pushfstring(L, "minimize: the objective %s (evaluation %d)", problem, c->evals);
    lua_rawsetp(L, LUA_REGISTRYINDEX, &objective_error_key);
    lua_pop(L, 2);
    c->failed = 1;
    return NAN;
  }
  double f = lua_tonumber(L, -2);
  const double *gp = br_tensor_data(g);
  const int64_t *st = br_tensor_strides(g);
  if (br_tensor_is_contiguous(g)) memcpy(grad, gp, (size_t)c->n * sizeof *grad);
  else if (br_tensor_ndim(g) == 1) for (int64_t i = 0; i < c->n; i++) grad[i] = gp[i * st[0]];
  else {
    lua_pushliteral(L, "minimize: the gradient must be a contiguous tensor");
    lua_rawsetp(L, LUA_REGISTRYINDEX, &objective_error_key);
    lua_pop(L, 2);
    c->failed = 1;
    return NAN;
  }
  lua_pop(L, 2);
  return f;
}

static const char *const minimize_options[] = {"method", "max_iter", "tol", "history", NULL};

/* lbfgs(f, x0 [, opts]) -> x, { value, iterations, evaluations, converged } */
static int optim_lbfgs(lua_State *L) {
  luaL_checktype(L, 1, LUA_TFUNCTION);
  br_tensor *x0 = lbr_tensor_check(L, 2);
  lbr_check_options(L, 3, "minimize", minimize_options);
  br_lbfgs_options o;
  br_lbfgs_options_init(&o);
  o.max_iter = lbr_opt_int(L, 3, "minimize", "max_iter", o.max_iter);
  o.gtol = opt_number(L, 3, "minimize", "tol", o.gtol);
  o.m = lbr_opt_int(L, 3, "minimize", "history", o.m);
  if (o.max_iter < 1 || !(o.gtol >= 0) || o.m < 1 || o.m > 64)
    return lbr_errorf(L, "minimize: max_iter >= 1, tol >= 0 and history in 1..64 are required");
  lua_settop(L, 3);
  br_tensor **xs = lbr_tensor_push_slot(L); /* [f x0 opts x]: the solution, updated in place */
  if (br_tensor_clone(xs, x0) != BR_OK) return lbr_error(L);
  br_tensor **xb = lbr_tensor_push_slot(L); /* [f x0 opts x xbuf]: what f sees */
  if (br_tensor_clone(xb, x0) != BR_OK) return lbr_error(L);
  /* f sees xbuf: pinned (guard at 6) so f cannot close the tensor whose
   * data the next evaluation writes */
  lbr_pin(L, 5, "a running minimize");
  lua_objective c = {L, 1, 5, br_tensor_numel(x0), 0, 0};
  br_lbfgs_result r;
  br_status s = br_lbfgs(call_objective, &c, (size_t)c.n, br_tensor_data(*xs), &o, &r);
  if (c.failed) {
    lua_rawgetp(L, LUA_REGISTRYINDEX, &objective_error_key);
    return lua_error(L); /* the objective's own error, with its position */
  }
  if (s != BR_OK) return lbr_error(L);
  lua_settop(L, 4);
  lua_createtable(L, 0, 4);
  lua_pushnumber(L, r.f);
  lua_setfield(L, -2, "value");
  lua_pushinteger(L, r.iterations);
  lua_setfield(L, -2, "iterations");
  lua_pushinteger(L, r.evaluations);
  lua_setfield(L, -2, "evaluations");
  lua_pushboolean(L, r.converged);
  lua_setfield(L, -2, "converged");
  return 2;
}

void lbr_model_open(lua_State *L) {
  static const luaL_Reg methods[] = {{"fit", model_fit}, {"predict", model_predict},
                                     {"predict_proba", model_predict_proba}, {"coef", model_coef},
                                     {"params", model_params}, {"kind", model_kind}, {"save", model_save},
                                     {"close", model_gc}, {NULL, NULL}};
  static const luaL_Reg meta[] = {{"__gc", model_gc}, {"__close", model_gc}, {"__tostring", model_tostring}, {NULL, NULL}};
  lbr_new_class(L, LBR_MODEL_MT, methods, meta);
  static const luaL_Reg model_fns[] = {{"linear", model_linear}, {"logistic", model_logistic}, {"mlp", model_mlp},
                                       {"load", model_load}, {NULL, NULL}};
  lua_newtable(L);
  luaL_setfuncs(L, model_fns, 0);
  lbr_gbdt_register(L);
  lua_setfield(L, -2, "model");
  static const luaL_Reg optim_fns[] = {{"adam_step", optim_adam_step}, {"sgd_step", optim_sgd_step},
                                       {"lbfgs", optim_lbfgs}, {NULL, NULL}};
  lua_newtable(L);
  luaL_setfuncs(L, optim_fns, 0);
  lua_setfield(L, -2, "optim_core");
}
