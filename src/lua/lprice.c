/* bundle.price: optimize and baseline over a list of bundles, with the
 * reservation-price model, a Lua demand function or a trained model
 * (bundle/price.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lsearch.h"

static const char *const price_options[] = {"catalog", "baskets", "demand", "orders", "item", "unit_price",
                                            "sigma", "complementarity", "max_elasticity", "customers", "seed", "discount",
                                            "method", "grid", "goal", NULL};

/* A bundle list: a search result, or a list of label lists / { items = } records. */
typedef struct bundle_list {
  int64_t n;
  int32_t *items; /* n x BR_BUNDLE_MAX_ITEMS */
  int *size;
} bundle_list;

static void read_bundles(lua_State *L, int idx, const br_catalog *cat, bundle_list *bl, const char *fn) {
  void **res = luaL_testudata(L, idx, RESULT_MT);
  if (res) {
    if (!*res) lbr_errorf(L, "%s: the search result has been closed", fn);
    bl->n = br_search_result_count(*res);
  } else if (lua_istable(L, idx)) {
    bl->n = (int64_t)luaL_len(L, idx);
  } else {
    lbr_errorf(L, "%s: bundles must be a search result or a list of bundles (lists of item labels)", fn);
  }
  if (bl->n == 0) lbr_errorf(L, "%s: no bundles to price", fn);
  bl->items = lua_newuserdatauv(L, (size_t)bl->n * BR_BUNDLE_MAX_ITEMS * sizeof *bl->items, 0);
  bl->size = lua_newuserdatauv(L, (size_t)bl->n * sizeof *bl->size, 0);
  for (int64_t k = 0; k < bl->n; k++) {
    int32_t *out = bl->items + k * BR_BUNDLE_MAX_ITEMS;
    if (res) {
      const int32_t *it = br_search_result_items(*res, k, &bl->size[k]);
      memcpy(out, it, (size_t)bl->size[k] * sizeof *it);
      continue;
    }
    int64_t len = lbr_push_bundle_items(L, idx, k + 1, fn);
    int m = len > BR_BUNDLE_MAX_ITEMS ? BR_BUNDLE_MAX_ITEMS + 1 : (int)len;
    if (m < 1 || m > BR_BUNDLE_MAX_ITEMS) lbr_errorf(L, "%s: bundle %lld has %d items (1 to %d)", fn, (long long)k + 1, m, BR_BUNDLE_MAX_ITEMS);
    for (int i = 0; i < m; i++) {
      lua_geti(L, -1, i + 1);
      size_t len;
      const char *s = lua_type(L, -1) == LUA_TSTRING ? lua_tolstring(L, -1, &len) : NULL;
      int32_t id = s ? br_catalog_find(cat, s, len) : -1;
      if (id < 0) lbr_errorf(L, "%s: bundle %lld item %d: no item '%.60s' in the catalogue", fn, (long long)k + 1, i + 1, s ? s : luaL_typename(L, -1));
      out[i] = id;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
    for (int i = 1; i < m; i++) { /* sorted, as the core takes bundles */
      int32_t x = out[i];
      int j = i;
      for (; j > 0 && out[j - 1] > x; j--) out[j] = out[j - 1];
      out[j] = x;
    }
    bl->size[k] = m;
  }
}

/* Per-item log-price dispersion from the orders frame's item and unit
 * price columns (a userdata on the stack), or NULL without orders. */
static double *read_sigma(lua_State *L, int opts, const br_catalog *cat) {
  lua_getfield(L, opts, "orders");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return NULL;
  }
  br_frame **fs = luaL_testudata(L, -1, "bundle.Frame");
  if (!fs || !*fs) lbr_errorf(L, "price: orders must be a frame of order lines");
  lua_getfield(L, opts, "item");
  lua_getfield(L, opts, "unit_price");
  const char *ic = lua_tostring(L, -2), *pc = lua_tostring(L, -1);
  if (!ic || !pc) lbr_errorf(L, "price: with orders, give item = and unit_price = (column names)");
  int ii = br_frame_find(*fs, ic), pi = br_frame_find(*fs, pc);
  if (ii < 0 || pi < 0) lbr_errorf(L, "price: orders have no column '%s'", ii < 0 ? ic : pc);
  const br_column *item = br_frame_column(*fs, ii), *price = br_frame_column(*fs, pi);
  if (br_column_type(item) != BR_DTYPE_STR) lbr_errorf(L, "price: the item column '%s' must be str", ic);
  if (br_column_type(price) == BR_DTYPE_STR) lbr_errorf(L, "price: the unit price column '%s' must be numeric", pc);
  int64_t n = br_frame_nrows(*fs);
  int32_t nl = br_column_nlevels(item), nc = br_catalog_size(cat);
  /* each level's catalogue id once, then each row's */
  int32_t *lev = lua_newuserdatauv(L, (size_t)(nl > 0 ? nl : 1) * sizeof *lev, 0);
  for (int32_t l = 0; l < nl; l++) {
    size_t len;
    const char *s = br_column_level(item, l, &len);
    lev[l] = br_catalog_find(cat, s, len);
  }
  int32_t *ids = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *ids, 0);
  double *pr = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *pr, 0);
  const int32_t *codes = br_column_codes(item);
  for (int64_t r = 0; r < n; r++) {
    ids[r] = br_column_is_null(item, r) ? -1 : lev[codes[r]];
    pr[r] = br_column_number(price, r);
  }
  double *sigma = lua_newuserdatauv(L, (size_t)nc * sizeof *sigma, 0);
  if (br_price_dispersion(sigma, nc, ids, pr, n, 0.02) != BR_OK) lbr_error(L);
  return sigma;
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
    br_error_set(BR_ERR_ARG, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "the demand function raised an error");
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
  lbr_push_labels(L, lbr_catalog_label, cat, items, n);
  lua_setfield(L, -2, "items");
  const struct { const char *k; double v; } f[] = {
      {"list_price", p->list_price}, {"price", p->price}, {"discount", p->discount}, {"cost", p->cost},
      {"take_rate", p->take_rate}, {"profit", p->profit}, {"cannibalised_units", p->cannibalised_units},
      {"cannibalised_profit", p->cannibalised_profit}, {"component_profit", p->component_profit},
      {"incremental_profit", p->incremental_profit}};
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
  lua_getfield(L, 2, "catalog"); /* 3 */
  br_catalog **cs = luaL_testudata(L, 3, CATALOG_MT);
  if (!cs && luaL_testudata(L, 1, RESULT_MT)) { /* a result knows its catalogue */
    lua_pop(L, 1);
    lua_getiuservalue(L, 1, 1);
    cs = luaL_testudata(L, 3, CATALOG_MT);
  }
  if (!cs || !*cs) return lbr_errorf(L, "%s: option 'catalog' must be a bundle.catalog(...)", fn);
  const br_catalog *cat = *cs;
  lua_getfield(L, 2, "baskets"); /* 4 */
  br_baskets **bs = luaL_testudata(L, 4, "bundle.Baskets");
  if (!lua_isnil(L, 4) && (!bs || !*bs)) return lbr_errorf(L, "%s: option 'baskets' must be bundle.baskets(...)", fn);
  bundle_list bl = {0, NULL, NULL};
  read_bundles(L, 1, cat, &bl, fn);
  br_wtp_spec w;
  br_wtp_spec_init(&w);
  lua_getfield(L, 2, "sigma");
  if (!lua_isnil(L, -1)) w.default_sigma = luaL_checknumber(L, -1);
  lua_getfield(L, 2, "complementarity");
  if (!lua_isnil(L, -1)) w.complementarity = luaL_checknumber(L, -1);
  lua_getfield(L, 2, "max_elasticity");
  if (!lua_isnil(L, -1)) {
    if (!lua_isnumber(L, -1)) return lbr_errorf(L, "%s: max_elasticity must be a number (0: no bound), got a %s", fn, luaL_typename(L, -1));
    w.max_elasticity = lua_tonumber(L, -1);
  }
  w.customers = lbr_opt_integer(L, 2, fn, "customers", w.customers);
  w.seed = (uint64_t)lbr_opt_integer(L, 2, fn, "seed", 1);
  int grid = (int)lbr_opt_integer(L, 2, fn, "grid", 101);
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
  br_price_method method = BR_PRICE_AUTO;
  lua_getfield(L, 2, "method");
  if (!lua_isnil(L, -1)) {
    const char *m = luaL_checkstring(L, -1);
    if (strcmp(m, "grid") == 0) method = BR_PRICE_GRID;
    else if (strcmp(m, "golden") == 0) method = BR_PRICE_GOLDEN;
    else if (strcmp(m, "auto") != 0) return lbr_errorf(L, "%s: unknown method '%s' (auto, grid, golden)", fn, m);
  }
  br_price_goal goal = BR_PRICE_PROFIT;
  lua_getfield(L, 2, "goal");
  if (!lua_isnil(L, -1)) {
    const char *g = luaL_checkstring(L, -1);
    if (strcmp(g, "incremental") == 0) goal = BR_PRICE_INCREMENTAL;
    else if (strcmp(g, "profit") != 0) return lbr_errorf(L, "%s: unknown goal '%s' (profit, incremental)", fn, g);
  }
  /* the demand: reservation prices (default), a function, or a model */
  demand_ctx d = {L, 0, 0, NULL, NULL, NULL};
  lua_getfield(L, 2, "demand");
  int didx = lua_gettop(L);
  int reservation = lua_isnil(L, didx) || (lua_type(L, didx) == LUA_TSTRING && strcmp(lua_tostring(L, didx), "reservation") == 0);
  if (!reservation) {
    br_model **m = luaL_testudata(L, didx, "bundle.Model");
    if (m && *m) d.model = *m;
    else if (lua_isfunction(L, didx)) d.fn = didx;
    else return lbr_errorf(L, "%s: demand must be \"reservation\", a function(price, b, discount) or a trained model", fn);
  }
  if (reservation) w.sigma = read_sigma(L, 2, cat);
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
  if (br_bundle_stats_new(&st, cat, bs ? *bs : NULL) != BR_OK) return lbr_error(L);
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
  lua_getfield(L, 2, "catalog"); /* 3 */
  br_catalog **cs = luaL_testudata(L, 3, CATALOG_MT);
  if (!cs || !*cs) return lbr_errorf(L, "features: option 'catalog' must be a bundle.catalog(...)");
  lua_getfield(L, 2, "baskets"); /* 4 */
  br_baskets **bs = luaL_testudata(L, 4, "bundle.Baskets");
  if (!bs || !*bs) return lbr_errorf(L, "features: option 'baskets' must be bundle.baskets(...)");
  bundle_list bl = {0, NULL, NULL};
  read_bundles(L, 1, *cs, &bl, "features");
  br_tensor **slot = lbr_tensor_push_slot(L);
  int64_t shape[2] = {bl.n, BR_NFEATURES};
  if (br_tensor_zeros(slot, 2, shape) != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  br_bundle_stats *st = NULL;
  if (br_bundle_stats_new(&st, *cs, *bs) != BR_OK) return lbr_error(L);
  double *x = br_tensor_data(*slot);
  for (int64_t k = 0; k < bl.n; k++)
    br_bundle_features(st, bl.items + k * BR_BUNDLE_MAX_ITEMS, bl.size[k], x + k * BR_NFEATURES);
  br_bundle_stats_free(st);
  return 1;
}

static int price_optimize(lua_State *L) { return price_run(L, 0); }
static int price_baseline(lua_State *L) { return price_run(L, 1); }

void lbr_price_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"optimize", price_optimize}, {"baseline", price_baseline}, {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "price");
  lua_pushcfunction(L, price_features);
  lua_setfield(L, -2, "bundle_features");
}
