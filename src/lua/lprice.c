/* bundle.price: optimize and baseline over a list of bundles, with the
 * reservation-price model, a Lua demand function or a trained model;
 * simulate (the model with stated parameters), joint_share (its
 * calibration report), elasticity (own-price elasticities from orders) and
 * portfolio (a set of offers judged together on the same customers).
 * See bundle/price.h. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbundle_list.h"
#include "lsearch.h"

/* goal = "profit" | "incremental" */
static const char *const goals[] = {"profit", "incremental", NULL};
static const br_price_goal goal_of[] = {BR_PRICE_PROFIT, BR_PRICE_INCREMENTAL};

static const char *const price_options[] = {"catalog", "baskets", "demand", "elasticity", "min_elasticity",
                                            "max_elasticity", "sigma", "market", "customers", "seed", "discount",
                                            "method", "grid", "goal", "visit_share", "pair_prior", NULL};

/* A bundle list: a search result, or a list of label lists / { items = } records. */
typedef struct bundle_list {
  int64_t n;
  int32_t *items; /* n x BR_BUNDLE_MAX_ITEMS */
  int *size;
} bundle_list;

/* The catalogue and baskets of a pricing call, from options 'catalog' (at
 * stack 3; a search result given as the bundles, at 1, stands in for it
 * with the catalogue it holds) and 'baskets' (at 4; required when `need`).
 * Both are pinned (`by`) until the call returns: the bundles' and options'
 * metamethods and a demand function run Lua, and none may close what the
 * core reads. Expects [bundles opts]; leaves [bundles opts catalog baskets
 * guards...]. */
static const br_catalog *price_inputs(lua_State *L, const char *fn, const char *by, const br_baskets **b, int need) {
  lua_getfield(L, 2, "catalog"); /* 3 */
  lua_getfield(L, 2, "baskets"); /* 4 */
  const br_catalog *cat = NULL;
  br_catalog **cs = luaL_testudata(L, 3, LBR_CATALOG_MT);
  result_box *r = cs ? NULL : luaL_testudata(L, 1, LBR_RESULT_MT);
  if (cs && *cs) {
    cat = *cs;
    lbr_pin(L, 3, by);
  } else if (r && r->res) { /* a result knows its catalogue (and holds it, even past the Catalog's close) */
    cat = r->cat;
    lbr_pin(L, 1, by);
  }
  if (!cat) lbr_errorf(L, "%s: option 'catalog' must be a bundle.catalog(...)", fn);
  br_baskets **bs = luaL_testudata(L, 4, LBR_BASKETS_MT);
  if ((need || !lua_isnil(L, 4)) && (!bs || !*bs)) lbr_errorf(L, "%s: option 'baskets' must be bundle.baskets(...)", fn);
  *b = bs ? *bs : NULL;
  if (*b) lbr_pin(L, 4, by);
  return cat;
}

static void read_bundles(lua_State *L, int idx, const br_catalog *cat, bundle_list *bl, const char *fn) {
  result_box *res = luaL_testudata(L, idx, LBR_RESULT_MT);
  lbr_bundle_list in = {0, NULL, NULL};
  if (res) {
    if (!res->res) lbr_errorf(L, "%s: the search result has been closed", fn);
    bl->n = br_search_result_count(res->res);
  } else if (lua_istable(L, idx)) {
    lbr_list_spec sp = {.fn = fn, .name = "bundles", .arg = idx, .find = lbr_find_in_catalog, .owner = cat,
                        .owner_name = "the catalogue", .min_items = 1, .max_items = BR_BUNDLE_MAX_ITEMS,
                        .sort = 1}; /* sorted, as the core takes bundles */
    lbr_read_bundles(L, idx, &sp, &in);
    bl->n = in.n;
  } else {
    lbr_errorf(L, "%s: bundles must be a search result or a list of bundles (lists of item labels)", fn);
  }
  if (bl->n == 0) lbr_errorf(L, "%s: no bundles to price", fn);
  bl->items = lua_newuserdatauv(L, (size_t)bl->n * BR_BUNDLE_MAX_ITEMS * sizeof *bl->items, 0);
  bl->size = lua_newuserdatauv(L, (size_t)bl->n * sizeof *bl->size, 0);
  for (int64_t k = 0; k < bl->n; k++) {
    int32_t *out = bl->items + k * BR_BUNDLE_MAX_ITEMS;
    const int32_t *it = res ? br_search_result_items(res->res, k, &bl->size[k]) : in.items + in.off[k];
    if (!res) bl->size[k] = (int)(in.off[k + 1] - in.off[k]);
    memcpy(out, it, (size_t)bl->size[k] * sizeof *it);
  }
}

/* A number or a number of the option as a double; nil keeps dflt. */
static double opt_number(lua_State *L, int opts, const char *fn, const char *key, double dflt) {
  lua_getfield(L, opts, key);
  double v = dflt;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "%s: %s must be a number, got a %s", fn, key, luaL_typename(L, -1));
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

/* An option that is a number (for every item: *all gets it, NULL returned)
 * or a table label -> number (per catalogue item, NaN where not given; a
 * userdata left on the stack holds it). The join to the catalogue and the
 * checks (values > 0, labels known) are the core's
 * (br_catalog_item_values); only the table is read here. */
static double *per_item_option(lua_State *L, int opts, const char *fn, const char *key, const br_catalog *cat, double *all) {
  lua_getfield(L, opts, key);
  int t = lua_gettop(L);
  if (lua_isnil(L, t)) {
    lua_pop(L, 1);
    return NULL;
  }
  if (lua_type(L, t) == LUA_TNUMBER) {
    *all = lua_tonumber(L, t);
    lua_pop(L, 1);
    return NULL;
  }
  if (!lua_istable(L, t)) lbr_errorf(L, "%s: %s must be a number or a table of item label -> number, got a %s", fn, key, luaL_typename(L, t));
  int64_t n = 0;
  for (lua_pushnil(L); lua_next(L, t) != 0; lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) lbr_errorf(L, "%s: %s's keys must be item labels, got a %s", fn, key, luaL_typename(L, -2));
    n++;
  }
  /* the labels point into the table's keys, alive while it is on the stack */
  const char **labels = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *labels, 0);
  size_t *lens = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *lens, 0);
  double *vals = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *vals, 0);
  int64_t k = 0;
  for (lua_pushnil(L); k < n && lua_next(L, t) != 0; lua_pop(L, 1), k++) {
    labels[k] = lua_tolstring(L, -2, &lens[k]);
    vals[k] = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : NAN;
  }
  int32_t nc = br_catalog_size(cat);
  double *v = lua_newuserdatauv(L, (size_t)(nc > 0 ? nc : 1) * sizeof *v, 0);
  char what[128];
  snprintf(what, sizeof what, "%s: %s", fn, key);
  if (br_catalog_item_values(cat, what, k, labels, lens, vals, NAN, v) != BR_OK) lbr_error(L);
  lua_replace(L, t); /* the values' userdata stays, anchored on the stack */
  lua_settop(L, t);
  return v;
}

/* The reservation-price model's options into w (per-item arrays are
 * userdata left on the stack). */
static void read_spec(lua_State *L, int opts, const char *fn, const br_catalog *cat, br_wtp_spec *w, double *sigma_all) {
  br_wtp_spec_init(w);
  w->elasticity = per_item_option(L, opts, fn, "elasticity", cat, &w->elasticity_prior);
  w->min_elasticity = opt_number(L, opts, fn, "min_elasticity", w->min_elasticity);
  lua_getfield(L, opts, "max_elasticity");
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "%s: max_elasticity must be a number (0: no bound), got a %s", fn, luaL_typename(L, -1));
    w->max_elasticity = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  w->market = opt_number(L, opts, fn, "market", w->market);
  w->visit_share = opt_number(L, opts, fn, "visit_share", 1);
  if (!(w->visit_share > 0 && w->visit_share <= 1))
    lbr_errorf(L, "%s: visit_share must be in (0, 1] (the share of visits that buy anything), got %g", fn, w->visit_share);
  w->pair_prior = opt_number(L, opts, fn, "pair_prior", 0);
  if (!(w->pair_prior >= 0 && w->pair_prior < INFINITY))
    lbr_errorf(L, "%s: pair_prior must be a finite number >= 0 (expected co-occurrences of prior weight), got %g", fn, w->pair_prior);
  *sigma_all = NAN;
  w->sigma = per_item_option(L, opts, fn, "sigma", cat, sigma_all);
  if (!isnan(*sigma_all)) { /* one spread for every item */
    if (!(*sigma_all > 0 && *sigma_all <= 100)) lbr_errorf(L, "%s: sigma must be in (0, 100], got %g", fn, *sigma_all);
    int32_t nc = br_catalog_size(cat);
    double *v = lua_newuserdatauv(L, (size_t)(nc > 0 ? nc : 1) * sizeof *v, 0);
    br_catalog_item_values(cat, "sigma", 0, NULL, NULL, NULL, *sigma_all, v); /* no labels: cannot fail */
    w->sigma = v;
  }
  w->customers = lbr_opt_integer(L, opts, fn, "customers", w->customers);
  w->seed = (uint64_t)lbr_opt_integer(L, opts, fn, "seed", 1);
}

typedef struct demand_ctx {
  lua_State *L;
  int fn, view;
  const br_bundle_stats *st;
  const br_model *model;
  br_tensor *row;
} demand_ctx;

/* take rate from the Lua function(price, b, discount) or the model over
 * the bundle's features and the discount */
static double call_demand(void *vctx, const int32_t *items, int n, double price, double discount, int *fail) {
  demand_ctx *d = vctx;
  if (d->model) {
    double *x = br_tensor_data(d->row);
    br_bundle_features(d->st, items, n, x);
    x[BR_NFEATURES] = discount;
    br_tensor *out = NULL;
    br_status s = br_model_kind_of(d->model) == BR_MODEL_LOGISTIC ? br_model_predict_proba(&out, d->model, d->row)
                                                                  : br_model_predict(&out, d->model, d->row);
    if (s != BR_OK) {
      *fail = 1;
      return NAN;
    }
    double v = br_tensor_data(out)[0];
    br_tensor_free(out);
    return v < 0 ? 0 : v > 1 ? 1 : v; /* a regression's take rate, clipped to a share */
  }
  lua_State *L = d->L;
  bundle_view *v = lua_touserdata(L, d->view);
  v->items = items;
  v->n = n;
  lua_pushvalue(L, d->fn);
  lua_pushnumber(L, price);
  lua_pushvalue(L, d->view);
  lua_pushnumber(L, discount);
  int st = lua_pcall(L, 3, 1, 0);
  v->items = NULL;
  double r = NAN;
  if (st != LUA_OK) {
    lbr_callback_error(L, "the demand function");
    *fail = 1;
  } else if (lua_type(L, -1) != LUA_TNUMBER) {
    br_error_set(BR_ERR_ARG, "price: the demand function returned a %s at price %g, not a take rate", luaL_typename(L, -1), price);
    *fail = 1;
  } else {
    r = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return r;
}

static void push_point(lua_State *L, const br_price_point *p, const br_catalog *cat, const int32_t *items, int n) {
  lua_createtable(L, 0, 12);
  if (cat) {
    lbr_push_labels(L, lbr_catalog_label, cat, items, n);
    lua_setfield(L, -2, "items");
  }
  const struct { const char *k; double v; } f[] = {
      {"list_price", p->list_price}, {"price", p->price}, {"discount", p->discount}, {"cost", p->cost},
      {"take_rate", p->take_rate}, {"profit", p->profit}, {"cannibalised_units", p->cannibalised_units},
      {"cannibalised_profit", p->cannibalised_profit}, {"component_profit", p->component_profit},
      {"incremental_profit", p->incremental_profit}, {"market_share", p->market_share}};
  for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
    if (isnan(f[i].v)) continue; /* not known for this demand model */
    lua_pushnumber(L, f[i].v);
    lua_setfield(L, -2, f[i].k);
  }
}

/* optimize (fixed < 0) or baseline (a fixed discount). */
static int price_run(lua_State *L, int baseline) {
  lua_settop(L, 2);
  luaL_checktype(L, 2, LUA_TTABLE);
  const char *fn = baseline ? "price.baseline" : "price.optimize";
  lbr_check_options(L, 2, fn, price_options);
  const br_baskets *b;
  const br_catalog *cat = price_inputs(L, fn, baseline ? "a running price.baseline" : "a running price.optimize", &b, 0);
  bundle_list bl = {0, NULL, NULL};
  read_bundles(L, 1, cat, &bl, fn);
  br_wtp_spec w;
  double sigma_all;
  read_spec(L, 2, fn, cat, &w, &sigma_all);
  int grid = lbr_opt_int(L, 2, fn, "grid", 101);
  double dmin = 0, dmax = 0.4;
  lua_getfield(L, 2, "discount");
  if (baseline) {
    dmin = dmax = lua_isnil(L, -1) ? 0.1 : luaL_checknumber(L, -1);
  } else if (!lua_isnil(L, -1)) {
    if (!lua_istable(L, -1)) return lbr_errorf(L, "%s: discount must be {min, max}", fn);
    lua_geti(L, -1, 1);
    lua_geti(L, -2, 2);
    if (!lua_isnumber(L, -2) || !lua_isnumber(L, -1)) return lbr_errorf(L, "%s: discount must be {min, max} numbers", fn);
    dmin = lua_tonumber(L, -2);
    dmax = lua_tonumber(L, -1);
  }
  static const char *const methods[] = {"auto", "grid", "golden", NULL};
  static const br_price_method method_of[] = {BR_PRICE_AUTO, BR_PRICE_GRID, BR_PRICE_GOLDEN};
  br_price_method method = method_of[lbr_opt_enum(L, 2, fn, "method", "auto", methods)];
  br_price_goal goal = goal_of[lbr_opt_enum(L, 2, fn, "goal", "profit", goals)];
  /* the demand: reservation prices (default), a function, or a model */
  demand_ctx d = {L, 0, 0, NULL, NULL, NULL};
  lua_getfield(L, 2, "demand");
  int didx = lua_gettop(L);
  int reservation = lua_isnil(L, didx) || (lua_type(L, didx) == LUA_TSTRING && strcmp(lua_tostring(L, didx), "reservation") == 0);
  if (!reservation) {
    br_model **m = luaL_testudata(L, didx, LBR_MODEL_MT);
    if (m && *m) {
      d.model = *m;
      lbr_pin(L, didx, baseline ? "a running price.baseline" : "a running price.optimize");
    }
    else if (lua_isfunction(L, didx)) d.fn = didx;
    else return lbr_errorf(L, "%s: demand must be \"reservation\", a function(price, b, discount) or a trained model", fn);
  }
  if (d.model) {
    br_tensor **slot = lbr_tensor_push_slot(L);
    int64_t shape[2] = {1, BR_NFEATURES + 1};
    if (br_tensor_zeros(slot, 2, shape) != BR_OK) return lbr_error(L);
    d.row = *slot;
  }
  bundle_view *v = lbr_view_push(L, NULL, cat);
  d.view = lua_gettop(L);
  lua_createtable(L, (int)bl.n, 0);
  int out = lua_gettop(L);
  /* from here on nothing raises a Lua error until the stats are freed */
  br_bundle_stats *st = NULL;
  if (br_bundle_stats_new(&st, cat, b) != BR_OK) return lbr_error(L);
  v->st = d.st = st;
  br_status s = BR_OK;
  for (int64_t k = 0; k < bl.n && s == BR_OK; k++) {
    const int32_t *it = bl.items + k * BR_BUNDLE_MAX_ITEMS;
    br_price_point p;
    if (reservation)
      s = baseline ? br_price_evaluate_wtp(&p, st, it, bl.size[k], &w, dmin)
                   : br_price_optimize_wtp(&p, st, it, bl.size[k], &w, dmin, dmax, goal);
    else
      s = br_price_optimize_fn(&p, st, it, bl.size[k], call_demand, &d, dmin, dmax, baseline ? BR_PRICE_GRID : method,
                               baseline ? 2 : grid);
    if (s == BR_OK) {
      push_point(L, &p, cat, it, bl.size[k]);
      lua_rawseti(L, out, k + 1);
    }
  }
  br_bundle_stats_free(st);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

/* bundle_features(bundles, {catalog =, baskets =}) -> n x BR_NFEATURES tensor
 * (names in bundle.search_features): the features a model objective reads,
 * for a list of bundles at once. */
static const char *const features_options[] = {"catalog", "baskets", NULL};
static int price_features(lua_State *L) {
  lua_settop(L, 2);
  luaL_checktype(L, 2, LUA_TTABLE);
  lbr_check_options(L, 2, "features", features_options);
  const br_baskets *bsk;
  const br_catalog *cat = price_inputs(L, "features", "a running bundle_features", &bsk, 1);
  bundle_list bl = {0, NULL, NULL};
  read_bundles(L, 1, cat, &bl, "features");
  br_tensor **slot = lbr_tensor_push_slot(L);
  int64_t shape[2] = {bl.n, BR_NFEATURES};
  if (br_tensor_zeros(slot, 2, shape) != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  br_bundle_stats *st = NULL;
  if (br_bundle_stats_new(&st, cat, bsk) != BR_OK) return lbr_error(L);
  double *x = br_tensor_data(*slot);
  /* each bundle's supports come from the baskets: 200,000 bundles were
   * 19 s in this one call, so the core's deadline is checked as it goes */
  for (int64_t k = 0; k < bl.n; k++) {
    if ((k & 255) == 255 && br_deadline_passed()) {
      br_bundle_stats_free(st);
      br_deadline_stop("features", k, "bundles");
      return lbr_error(L);
    }
    br_bundle_features(st, bl.items + k * BR_BUNDLE_MAX_ITEMS, bl.size[k], x + k * BR_NFEATURES);
  }
  br_bundle_stats_free(st);
  return 1;
}

/* A list option of exactly n numbers (the simulate face's per-item
 * arrays), as a userdata left on the stack; NULL when nil and not
 * required. A number stands for every item when `scalar` allows it. */
static double *list_option(lua_State *L, int opts, const char *fn, const char *key, int n, int required, int scalar) {
  lua_getfield(L, opts, key);
  int t = lua_gettop(L);
  if (lua_isnil(L, t)) {
    if (required) lbr_errorf(L, "%s: option '%s' is required (a list of numbers, one per item)", fn, key);
    lua_pop(L, 1);
    return NULL;
  }
  double *v = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *v, 0);
  if (scalar && lua_type(L, t) == LUA_TNUMBER) {
    for (int i = 0; i < n; i++) v[i] = lua_tonumber(L, t);
  } else {
    if (!lua_istable(L, t)) lbr_errorf(L, "%s: %s must be a list of %d numbers, got a %s", fn, key, n, luaL_typename(L, t));
    if (luaL_len(L, t) != n) lbr_errorf(L, "%s: %s must hold %d numbers (one per item), got %d", fn, key, n, (int)luaL_len(L, t));
    for (int i = 0; i < n; i++) {
      lua_geti(L, t, i + 1);
      if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "%s: %s[%d] must be a number, got a %s", fn, key, i + 1, luaL_typename(L, -1));
      v[i] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
  }
  lua_remove(L, t);
  return v;
}

/* simulate{ price =, cost =, share =, elasticity =, sigma =, corr =,
 * discount = number | {min, max}, goal =, market =, customers =, seed = }:
 * the reservation-price model with its parameters stated (a synthetic
 * world's referee). */
static const char *const simulate_options[] = {"price", "cost", "share", "elasticity", "sigma", "corr", "discount",
                                               "goal", "market", "customers", "seed", NULL};
static int price_simulate(lua_State *L) {
  const char *fn = "price.simulate";
  lua_settop(L, 1);
  if (!lua_istable(L, 1)) return lbr_errorf(L, "%s: expects a table of options", fn);
  lbr_check_options(L, 1, fn, simulate_options);
  lua_getfield(L, 1, "price");
  if (!lua_istable(L, -1)) return lbr_errorf(L, "%s: option 'price' is required (a list of list prices, one per item)", fn);
  int n = (int)luaL_len(L, -1);
  lua_pop(L, 1);
  if (n < 1 || n > BR_BUNDLE_MAX_ITEMS) return lbr_errorf(L, "%s: a bundle has 1 to %d items, got %d prices", fn, BR_BUNDLE_MAX_ITEMS, n);
  br_wtp_params p;
  br_wtp_params_init(&p);
  p.n = n;
  p.price = list_option(L, 1, fn, "price", n, 1, 0);
  p.cost = list_option(L, 1, fn, "cost", n, 0, 0);
  p.share = list_option(L, 1, fn, "share", n, 1, 0);
  p.sigma = list_option(L, 1, fn, "sigma", n, 0, 1);
  double *e = list_option(L, 1, fn, "elasticity", n, 0, 1);
  if (!e) { /* the prior of br_wtp_spec, the core's number */
    br_wtp_spec prior;
    br_wtp_spec_init(&prior);
    e = lua_newuserdatauv(L, (size_t)n * sizeof *e, 0);
    for (int i = 0; i < n; i++) e[i] = prior.elasticity_prior;
  }
  p.elasticity = e;
  lua_getfield(L, 1, "corr");
  if (!lua_isnil(L, -1)) {
    int t = lua_gettop(L);
    if (!lua_istable(L, t) || luaL_len(L, t) != n) return lbr_errorf(L, "%s: corr must be a %d x %d list of rows", fn, n, n);
    double *R = lua_newuserdatauv(L, (size_t)n * n * sizeof *R, 0);
    for (int i = 0; i < n; i++) {
      lua_geti(L, t, i + 1);
      if (!lua_istable(L, -1) || luaL_len(L, -1) != n) return lbr_errorf(L, "%s: corr row %d must hold %d numbers", fn, i + 1, n);
      for (int j = 0; j < n; j++) {
        lua_geti(L, -1, j + 1);
        if (lua_type(L, -1) != LUA_TNUMBER) return lbr_errorf(L, "%s: corr[%d][%d] must be a number", fn, i + 1, j + 1);
        R[i * n + j] = lua_tonumber(L, -1);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
    p.corr = R;
  }
  p.market = opt_number(L, 1, fn, "market", p.market);
  p.customers = lbr_opt_integer(L, 1, fn, "customers", p.customers);
  p.seed = (uint64_t)lbr_opt_integer(L, 1, fn, "seed", 1);
  double dmin = 0, dmax = 0.4;
  lua_getfield(L, 1, "discount");
  if (lua_type(L, -1) == LUA_TNUMBER) {
    dmin = dmax = lua_tonumber(L, -1);
  } else if (lua_istable(L, -1)) {
    lua_geti(L, -1, 1);
    lua_geti(L, -2, 2);
    if (!lua_isnumber(L, -2) || !lua_isnumber(L, -1)) return lbr_errorf(L, "%s: discount must be a number or {min, max}", fn);
    dmin = lua_tonumber(L, -2);
    dmax = lua_tonumber(L, -1);
  } else if (!lua_isnil(L, -1)) {
    return lbr_errorf(L, "%s: discount must be a number or {min, max}, got a %s", fn, luaL_typename(L, -1));
  }
  br_price_goal goal = goal_of[lbr_opt_enum(L, 1, fn, "goal", "profit", goals)];
  br_price_point pt;
  if (br_price_optimize_params(&pt, &p, dmin, dmax, goal) != BR_OK) return lbr_error(L);
  push_point(L, &pt, NULL, NULL, n);
  return 1;
}

/* joint_share(bundles, { catalog, baskets, elasticity, min_elasticity,
 * max_elasticity, sigma, customers, seed }) -> { { items, share, observed, rho } }:
 * the simulated share of customers above list price for all of a bundle's
 * items, the share of baskets holding them all, and for a pair its
 * calibrated latent correlation. */
static const char *const joint_options[] = {"catalog", "baskets", "elasticity", "min_elasticity", "max_elasticity",
                                            "sigma", "customers", "seed", "visit_share", "pair_prior", NULL};
static int price_joint_share(lua_State *L) {
  const char *fn = "price.joint_share";
  lua_settop(L, 2);
  luaL_checktype(L, 2, LUA_TTABLE);
  lbr_check_options(L, 2, fn, joint_options);
  const br_baskets *bsk;
  const br_catalog *cat = price_inputs(L, fn, "a running price.joint_share", &bsk, 1);
  bundle_list bl = {0, NULL, NULL};
  read_bundles(L, 1, cat, &bl, fn);
  br_wtp_spec w;
  double sigma_all;
  read_spec(L, 2, fn, cat, &w, &sigma_all);
  lua_createtable(L, (int)bl.n, 0);
  int out = lua_gettop(L);
  br_bundle_stats *st = NULL;
  if (br_bundle_stats_new(&st, cat, bsk) != BR_OK) return lbr_error(L);
  br_status s = BR_OK;
  for (int64_t k = 0; k < bl.n && s == BR_OK; k++) {
    const int32_t *it = bl.items + k * BR_BUNDLE_MAX_ITEMS;
    double share, observed;
    s = br_price_joint_share(&share, &observed, st, it, bl.size[k], &w);
    if (s != BR_OK) break;
    lua_createtable(L, 0, 3);
    lbr_push_labels(L, lbr_catalog_label, cat, it, bl.size[k]);
    lua_setfield(L, -2, "items");
    lua_pushnumber(L, share);
    lua_setfield(L, -2, "share");
    lua_pushnumber(L, observed);
    lua_setfield(L, -2, "observed");
    if (bl.size[k] == 2) { /* a pair's calibrated latent correlation */
      double rho;
      if ((s = br_price_pair_rho_spec(&rho, st, it[0], it[1], &w)) != BR_OK) break;
      lua_pushnumber(L, rho);
      lua_setfield(L, -2, "rho");
    }
    lua_rawseti(L, out, k + 1);
  }
  br_bundle_stats_free(st);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

/* portfolio(offers, { catalog, baskets, elasticity, min_elasticity,
 * max_elasticity, sigma, market, customers, seed }) with offers = a list of
 * { items = { labels }, discount = d } (other fields are ignored, so
 * price.optimize's records can be passed back) -> { profit,
 * incremental_profit, cannibalised_profit, component_profit, take_rate,
 * items, groups, shrink, redecided, bundles = { per offer, as
 * price.baseline reports one } }: the offers judged together on the same
 * customers (br_price_portfolio). */
static const char *const portfolio_options[] = {"catalog", "baskets", "elasticity", "min_elasticity", "max_elasticity",
                                                "sigma", "market", "customers", "seed", "visit_share", "pair_prior", NULL};
static int price_portfolio(lua_State *L) {
  const char *fn = "price.portfolio";
  lua_settop(L, 2);
  if (!lua_istable(L, 1)) return lbr_errorf(L, "%s: offers must be a list of { items = { labels }, discount = d }", fn);
  if (!lua_istable(L, 2)) return lbr_errorf(L, "%s: expects a table of options", fn);
  lbr_check_options(L, 2, fn, portfolio_options);
  const br_baskets *bsk;
  const br_catalog *cat = price_inputs(L, fn, "a running price.portfolio", &bsk, 1);
  /* sorted, as price.baseline sorts a bundle, so that one offer draws
   * what baseline draws; empty offers and repeats are the core's to name */
  lbr_list_spec sp = {.fn = fn, .name = "offers", .arg = 1, .elem = "offer", .find = lbr_find_in_catalog,
                      .owner = cat, .owner_name = "the catalogue", .max_items = BR_BUNDLE_MAX_ITEMS,
                      .min_bundles = 1, .max_bundles = BR_PORTFOLIO_MAX_OFFERS, .sort = 1};
  lbr_bundle_list in;
  lbr_read_bundles(L, 1, &sp, &in);
  lua_Integer n = in.n;
  const int32_t **ptr = lua_newuserdatauv(L, (size_t)n * sizeof *ptr, 0);
  int *size = lua_newuserdatauv(L, (size_t)n * sizeof *size, 0);
  double *disc = lua_newuserdatauv(L, (size_t)n * sizeof *disc, 0);
  for (lua_Integer k = 0; k < n; k++) {
    ptr[k] = in.items + in.off[k];
    size[k] = (int)(in.off[k + 1] - in.off[k]);
    if (lua_geti(L, 1, k + 1) != LUA_TTABLE) /* a label list read as an offer has no discount */
      return lbr_errorf(L, "%s: offer %d must be { items = { labels }, discount = d }, got a %s", fn, (int)k + 1, luaL_typename(L, -1));
    lua_getfield(L, -1, "discount");
    if (lua_type(L, -1) != LUA_TNUMBER) return lbr_errorf(L, "%s: offer %d: discount must be a number in [0, 1), got a %s", fn, (int)k + 1, luaL_typename(L, -1));
    disc[k] = lua_tonumber(L, -1);
    lua_pop(L, 2);
  }
  br_wtp_spec w;
  double sigma_all;
  read_spec(L, 2, fn, cat, &w, &sigma_all);
  br_price_point *pts = lua_newuserdatauv(L, (size_t)n * sizeof *pts, 0);
  /* nothing raises a Lua error until the stats and the result are freed */
  br_bundle_stats *st = NULL;
  if (br_bundle_stats_new(&st, cat, bsk) != BR_OK) return lbr_error(L);
  br_portfolio pf;
  br_status s = br_price_portfolio(&pf, st, &w, ptr, size, disc, (int)n);
  br_bundle_stats_free(st);
  if (s != BR_OK) return lbr_error(L);
  memcpy(pts, pf.offers, (size_t)n * sizeof *pts);
  br_portfolio tot = pf;
  br_portfolio_free(&pf);
  lua_createtable(L, 0, 10);
  const struct { const char *k; double v; } f[] = {
      {"profit", tot.profit}, {"incremental_profit", tot.incremental_profit},
      {"cannibalised_profit", tot.cannibalised_profit}, {"component_profit", tot.component_profit},
      {"take_rate", tot.take_rate}, {"shrink", tot.shrink}, {"redecided", tot.redecided}};
  for (size_t i = 0; i < sizeof f / sizeof *f; i++) {
    lua_pushnumber(L, f[i].v);
    lua_setfield(L, -2, f[i].k);
  }
  lua_pushinteger(L, tot.items);
  lua_setfield(L, -2, "items");
  lua_pushinteger(L, tot.groups);
  lua_setfield(L, -2, "groups");
  lua_createtable(L, (int)n, 0);
  for (lua_Integer k = 0; k < n; k++) {
    push_point(L, &pts[k], cat, ptr[k], size[k]);
    lua_rawseti(L, -2, k + 1);
  }
  lua_setfield(L, -2, "bundles");
  return 1;
}

/* A frame's column by the option naming it: its index; numeric unless
 * str is set. */
static const br_column *frame_col(lua_State *L, br_frame *f, int opts, const char *fn, const char *key, const char *dflt, int str) {
  lua_getfield(L, opts, key);
  const char *name = lua_isnil(L, -1) ? dflt : lua_tostring(L, -1);
  if (!name) lbr_errorf(L, "%s: %s must be a column name, got a %s", fn, key, luaL_typename(L, -1));
  int i = br_frame_find(f, name);
  if (i < 0) lbr_errorf(L, "%s: the orders have no column '%s' (option %s)", fn, name, key);
  const br_column *c = br_frame_column(f, i);
  if (str && br_column_type(c) != BR_DTYPE_STR) lbr_errorf(L, "%s: the %s column '%s' must be str", fn, key, name);
  if (!str && br_column_type(c) == BR_DTYPE_STR) lbr_errorf(L, "%s: the %s column '%s' must be numeric", fn, key, name);
  lua_pop(L, 1);
  return c;
}

/* elasticity(orders, { item, price, quantity, time, catalog, period_days = 7,
 * prior = 2.5, min_elasticity = 0.5, max_elasticity = 5, min_periods = 8,
 * fallback = "prior" | "pooled" }) -> { by_item, estimated, own, own_se, pooled, items, periods, tau, phase_days, note } */
static const char *const elasticity_options[] = {"item", "price", "quantity", "time", "catalog", "period_days", "prior",
                                                 "min_elasticity", "max_elasticity", "min_periods", "fallback", NULL};
static int price_elasticity(lua_State *L) {
  const char *fn = "price.elasticity";
  lua_settop(L, 2);
  br_frame *orders = lbr_frame_test(L, 1);
  if (!orders) return lbr_errorf(L, "%s: orders must be a frame of order lines", fn);
  if (lua_isnil(L, 2)) lua_newtable(L), lua_replace(L, 2);
  lbr_pin(L, 1, "a running price.elasticity"); /* the options' metamethods run Lua */
  luaL_checktype(L, 2, LUA_TTABLE);
  lbr_check_options(L, 2, fn, elasticity_options);
  const br_column *item = frame_col(L, orders, 2, fn, "item", "item", 1);
  const br_column *price = frame_col(L, orders, 2, fn, "price", "price", 0);
  const br_column *qty = frame_col(L, orders, 2, fn, "quantity", "quantity", 0);
  const br_column *time = frame_col(L, orders, 2, fn, "time", "time", 0);
  br_elasticity_spec spec;
  br_elasticity_spec_init(&spec);
  double days = opt_number(L, 2, fn, "period_days", 7);
  spec.period = br_column_type(time) == BR_DTYPE_DATETIME ? days * 86400 : days; /* datetimes are seconds */
  spec.prior = opt_number(L, 2, fn, "prior", spec.prior);
  spec.min_elasticity = opt_number(L, 2, fn, "min_elasticity", spec.min_elasticity);
  spec.max_elasticity = opt_number(L, 2, fn, "max_elasticity", spec.max_elasticity);
  lua_Integer mp = lbr_opt_integer(L, 2, fn, "min_periods", spec.min_periods);
  if (mp < 3 || mp > 1000000) return lbr_errorf(L, "%s: min_periods must be in 3..1e6, got %lld", fn, (long long)mp);
  spec.min_periods = (int)mp;
  static const char *const fallbacks[] = {"prior", "pooled", NULL};
  spec.fallback_pooled = lbr_opt_enum(L, 2, fn, "fallback", "prior", fallbacks) == 1;
  lua_getfield(L, 2, "catalog");
  int cidx = lua_gettop(L);
  br_catalog **cs = luaL_testudata(L, cidx, LBR_CATALOG_MT);
  if (!lua_isnil(L, cidx) && (!cs || !*cs)) return lbr_errorf(L, "%s: option 'catalog' must be a bundle.catalog(...)", fn);
  const br_catalog *cat = cs ? *cs : NULL;
  if (cat) lbr_pin(L, cidx, "a running price.elasticity");
  int32_t ncat = cat ? br_catalog_size(cat) : br_column_nlevels(item);
  double *e = lua_newuserdatauv(L, (size_t)(ncat > 0 ? ncat : 1) * sizeof *e, 0);
  uint8_t *est = lua_newuserdatauv(L, (size_t)(ncat > 0 ? ncat : 1), 0);
  spec.own = lua_newuserdatauv(L, 2 * (size_t)(ncat > 0 ? ncat : 1) * sizeof *spec.own, 0);
  spec.own_se = spec.own + (ncat > 0 ? ncat : 1);
  br_elasticity_fit fit;
  if (br_price_elasticity_orders(e, est, &fit, item, price, qty, time, cat, &spec) != BR_OK) return lbr_error(L);
  lua_createtable(L, 0, 6);
  lua_createtable(L, 0, ncat);
  for (int32_t i = 0; i < ncat; i++) {
    size_t len;
    const char *s = cat ? br_catalog_label(cat, i, &len) : br_column_level(item, i, &len);
    lua_pushlstring(L, s, len);
    lua_pushnumber(L, e[i]);
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "by_item");
  lua_createtable(L, 0, fit.items); /* the items with their own estimate */
  for (int32_t i = 0; i < ncat; i++) {
    if (!est[i]) continue;
    size_t len;
    const char *s = cat ? br_catalog_label(cat, i, &len) : br_column_level(item, i, &len);
    lua_pushlstring(L, s, len);
    lua_pushboolean(L, 1);
    lua_rawset(L, -3);
  }
  lua_setfield(L, -2, "estimated");
  /* each estimated item's own slope before shrinkage, and its standard error */
  for (int k = 0; k < 2; k++) {
    const double *v = k ? spec.own_se : spec.own;
    lua_createtable(L, 0, fit.items);
    for (int32_t i = 0; i < ncat; i++) {
      if (!est[i] || isnan(v[i])) continue;
      size_t len;
      const char *s = cat ? br_catalog_label(cat, i, &len) : br_column_level(item, i, &len);
      lua_pushlstring(L, s, len);
      lua_pushnumber(L, v[i]);
      lua_rawset(L, -3);
    }
    lua_setfield(L, -2, k ? "own_se" : "own");
  }
  if (!isnan(fit.pooled)) {
    lua_pushnumber(L, fit.pooled);
    lua_setfield(L, -2, "pooled");
  }
  lua_pushinteger(L, fit.items);
  lua_setfield(L, -2, "items");
  lua_pushinteger(L, fit.periods);
  lua_setfield(L, -2, "periods");
  lua_pushnumber(L, fit.tau);
  lua_setfield(L, -2, "tau");
  /* the period grid's phase: periods start this long before the first sale, in days */
  lua_pushnumber(L, br_column_type(time) == BR_DTYPE_DATETIME ? fit.phase / 86400 : fit.phase);
  lua_setfield(L, -2, "phase_days");
  const char *rest = spec.fallback_pooled && fit.items > 0 ? "the pooled estimate" : "the prior";
  lua_pushfstring(L,
                  "%d of %d items estimated from their own price variation (within-item log-log slopes, net of period "
                  "effects shared by all items, over periods that hold to the shop's price changes, shrunk toward the pooled slope); the other %d get %s; observational prices are confounded (quantity tiers, "
                  "promotions), so every estimate is clamped to [%f, %f]",
                  (int)fit.items, (int)ncat, (int)(ncat - fit.items), rest, spec.min_elasticity, spec.max_elasticity);
  lua_setfield(L, -2, "note");
  return 1;
}

static int price_optimize(lua_State *L) { return price_run(L, 0); }
static int price_baseline(lua_State *L) { return price_run(L, 1); }

void lbr_price_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"optimize", price_optimize},       {"baseline", price_baseline},
                                 {"simulate", price_simulate},       {"joint_share", price_joint_share},
                                 {"elasticity", price_elasticity},   {"portfolio", price_portfolio},
                                 {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "price");
  lua_pushcfunction(L, price_features);
  lua_setfield(L, -2, "bundle_features");
}
