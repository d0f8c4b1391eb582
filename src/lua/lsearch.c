/* bundle.catalog and bundle.search: reading the options into a
 * br_search_spec and the pool into catalogue ids (bundle/search.h). */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lbundle_list.h"
#include "lsearch.h"

br_catalog *lbr_catalog_check(lua_State *L, int idx) {
  br_catalog **slot = luaL_checkudata(L, idx, LBR_CATALOG_MT);
  if (!*slot) luaL_argerror(L, idx, "catalog has been closed");
  return *slot;
}

static int catalog_gc(lua_State *L) {
  br_catalog **slot = luaL_checkudata(L, 1, LBR_CATALOG_MT);
  lbr_check_unpinned(L, 1, "Catalog");
  br_catalog_free(*slot); /* drops this handle's reference; results keep theirs */
  *slot = NULL;
  return 0;
}

const char *lbr_catalog_name_or_label(const void *owner, int32_t id, size_t *len) {
  const char *s = br_catalog_name(owner, id, len);
  return s ? s : br_catalog_label(owner, id, len);
}

const char *lbr_catalog_label(const void *owner, int32_t id, size_t *len) {
  return br_catalog_label(owner, id, len);
}

static int catalog_size(lua_State *L) {
  lua_pushinteger(L, br_catalog_size(lbr_catalog_check(L, 1)));
  return 1;
}

static const char *const catalog_options[] = {"item", "name", "price", "cost", "margin", "category", "stock", NULL};

static const char *opt_name(lua_State *L, int opts, const char *key) {
  lua_getfield(L, opts, key);
  const char *name = lua_tostring(L, -1);
  lua_pop(L, 1); /* the options table keeps the string alive */
  return name;
}

/* catalog(frame, { item =, price =, cost = | margin = rate, category =, stock = }):
 * br_catalog_from_frame does the work and the checks. */
static int bundle_catalog(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lbr_check_options(L, 2, "catalog", catalog_options);
  br_catalog_columns cc = {.item = opt_name(L, 2, "item"), .price = opt_name(L, 2, "price"),
                           .cost = opt_name(L, 2, "cost"), .category = opt_name(L, 2, "category"),
                           .stock = opt_name(L, 2, "stock"), .margin = NAN, .name = opt_name(L, 2, "name")};
  lua_getfield(L, 2, "margin");
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) return lbr_errorf(L, "catalog: margin must be a rate in [0, 1)");
    cc.margin = lua_tonumber(L, -1);
    if (isnan(cc.margin)) return lbr_errorf(L, "catalog: margin must be a rate in [0, 1)");
  }
  lua_pop(L, 1);
  br_catalog **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, LBR_CATALOG_MT);
  if (br_catalog_from_frame(slot, f, &cc) != BR_OK) return lbr_error(L);
  return 1;
}

/* ---- search ---- */

static const char *const search_options[] = {
    "catalog", "pool", "baskets", "size", "top", "objective", "objectives", "weights", "bound", "constraints",
    "max_overlap", "min_support", "method", "beam_width", "iterations", "restarts", "population", "generations",
    "seed", "max_evaluations", "min_count", "graph", NULL};
static const char *const constraint_options[] = {"max_per_category", "min_categories", "must_include", "exclude",
                                                 "min_margin", "max_price", "min_stock", "min_support",
                                                 "compatible", NULL};
static const char *const graph_options[] = {"min_count", "min_lift", NULL};

/* Catalogue ids for a list of labels at idx, an option of search (in a
 * userdata on the stack). */
static int32_t *catalog_ids(lua_State *L, int idx, const br_catalog *cat, const char *what, int *n) {
  lbr_list_spec sp = {.fn = "search", .name = what, .find = lbr_find_in_catalog, .owner = cat,
                      .owner_name = "the catalogue"};
  return lbr_read_labels(L, idx, &sp, n, NULL);
}

static double opt_num(lua_State *L, int idx, const char *fn, const char *key, double dflt) {
  lua_getfield(L, idx, key);
  double v = dflt;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "%s: option '%s' must be a number, got a %s", fn, key, luaL_typename(L, -1));
    v = lua_tonumber(L, -1);
    if (isnan(v)) lbr_errorf(L, "%s: option '%s' is NaN", fn, key);
  }
  lua_pop(L, 1);
  return v;
}

static int opt_int(lua_State *L, int idx, const char *key, int dflt, int lo) {
  lua_Integer v = lbr_opt_integer(L, idx, "search", key, dflt);
  if (v < lo || v > INT32_MAX) lbr_errorf(L, "search: option '%s' must be at least %d, got %lld", key, lo, (long long)v);
  return (int)v;
}

static void read_constraints(lua_State *L, int idx, br_search_spec *sp, const br_catalog *cat, lua_callback *compat) {
  lbr_check_options(L, idx, "search: constraints", constraint_options);
  sp->max_per_category = opt_int(L, idx, "max_per_category", 0, 0);
  sp->min_categories = opt_int(L, idx, "min_categories", 0, 0);
  sp->min_margin = opt_num(L, idx, "search: constraints", "min_margin", NAN);
  sp->max_price = opt_num(L, idx, "search: constraints", "max_price", NAN);
  sp->min_stock = opt_num(L, idx, "search: constraints", "min_stock", NAN);
  sp->min_support = opt_num(L, idx, "search: constraints", "min_support", NAN);
  lua_getfield(L, idx, "must_include");
  if (!lua_isnil(L, -1)) sp->must_include = catalog_ids(L, lua_gettop(L), cat, "constraints.must_include", &sp->nmust);
  lua_getfield(L, idx, "exclude");
  if (!lua_isnil(L, -1)) sp->exclude = catalog_ids(L, lua_gettop(L), cat, "constraints.exclude", &sp->nexclude);
  lua_getfield(L, idx, "compatible");
  if (!lua_isnil(L, -1)) {
    if (!lua_isfunction(L, -1)) lbr_errorf(L, "search: constraint 'compatible' must be a function(a, b)");
    *compat = (lua_callback){L, lua_gettop(L), 0, cat};
    sp->compatible = lbr_call_compatible;
    sp->compatible_ctx = compat;
  }
}

/* One objective from the Lua value at idx: a built-in name, a function or
 * a trained model. NULL, or what is wrong. */
static const char *read_objective(lua_State *L, int idx, br_objective_spec *os, lua_callback *cb, int view,
                                  const br_catalog *cat) {
  os->weight = 1;
  if (lua_isfunction(L, idx)) {
    *cb = (lua_callback){L, idx, view, cat};
    os->kind = BR_OBJ_CUSTOM;
    os->fn = lbr_call_objective;
    os->ctx = cb;
    return NULL;
  }
  br_model **m = luaL_testudata(L, idx, LBR_MODEL_MT);
  if (m) {
    if (!*m) return "the model objective has been closed";
    lbr_pin(L, idx, "a running search"); /* the core reads it between the Lua callbacks */
    os->kind = BR_OBJ_MODEL;
    os->model = *m;
    return NULL;
  }
  if (lua_type(L, idx) == LUA_TSTRING) return br_objective_parse(&os->kind, lua_tostring(L, idx)) == BR_OK ? NULL : br_last_error();
  return "an objective must be a built-in name, a function(b) or a trained bundle.model";
}

/* objective = x (with an optional bound), or objectives = { name = x, ... }
 * with weights; the names (sorted, so the order never depends on table
 * iteration) go to a table at `names`. */
static void read_objectives(lua_State *L, br_search_spec *sp, int view, const br_catalog *cat, lua_callback *cbs,
                            int names) {
  lua_getfield(L, 1, "objective");
  int fn = lua_gettop(L);
  lua_getfield(L, 1, "objectives");
  int objs = lua_gettop(L);
  lua_getfield(L, 1, "bound");
  int bound = lua_gettop(L);
  const char *problem = NULL;
  if (!lua_isnil(L, bound) && !lua_isfunction(L, bound)) lbr_errorf(L, "search: bound must be a function(b, slots)");
  if (!lua_isnil(L, objs)) {
    if (!lua_isnil(L, fn)) lbr_errorf(L, "search: give objective or objectives, not both");
    if (!lua_istable(L, objs)) lbr_errorf(L, "search: objectives must be a table { name = objective }");
    if (!lua_isnil(L, bound)) lbr_errorf(L, "search: bound serves a single objective function");
    for (lua_pushnil(L); lua_next(L, objs); lua_pop(L, 1)) {
      if (lua_type(L, -2) != LUA_TSTRING) lbr_errorf(L, "search: objectives must be keyed by name");
      lua_pushvalue(L, -2);
      lua_rawseti(L, names, (lua_Integer)luaL_len(L, names) + 1);
    }
    lbr_sort_strings(L, names); /* not the script's table.sort: it could close what we hold */
    int no = (int)luaL_len(L, names);
    if (no < 1 || no > BR_MAX_OBJECTIVES) lbr_errorf(L, "search: objectives must name 1 to %d objectives", BR_MAX_OBJECTIVES);
    luaL_checkstack(L, 3 * BR_MAX_OBJECTIVES + 8, "search objectives"); /* value, pin guard, scratch */
    lua_getfield(L, 1, "weights");
    int wt = lua_gettop(L);
    if (!lua_isnil(L, wt) && !lua_istable(L, wt)) lbr_errorf(L, "search: weights must be a table { name = weight }");
    for (int o = 0; o < no; o++) {
      lua_rawgeti(L, names, o + 1);
      lua_gettable(L, objs); /* stays on the stack: callbacks keep its index */
      const char *name = (lua_rawgeti(L, names, o + 1), lua_tostring(L, -1));
      lua_pop(L, 1);
      problem = read_objective(L, lua_gettop(L), &sp->objectives[o], &cbs[o], view, cat);
      if (problem) lbr_errorf(L, "search: objective '%s': %s", name, problem);
      if (!lua_isnil(L, wt)) {
        lua_rawgeti(L, names, o + 1);
        lua_gettable(L, wt);
        if (!lua_isnil(L, -1)) {
          if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "search: weights.%s must be a number", name);
          sp->objectives[o].weight = lua_tonumber(L, -1);
        }
        lua_pop(L, 1);
      }
    }
    sp->nobjectives = no;
    return;
  }
  if (lua_isnil(L, fn)) return; /* the default, lift */
  br_objective_spec os = {0};
  problem = read_objective(L, fn, &os, &cbs[0], view, cat);
  if (problem) lbr_errorf(L, "search: %s", problem);
  sp->objective = os.kind;
  sp->custom = os.fn;
  sp->custom_ctx = os.ctx;
  sp->model = os.model;
  if (!lua_isnil(L, bound)) {
    if (os.kind != BR_OBJ_CUSTOM) lbr_errorf(L, "search: bound serves an objective function (built-ins bring their own)");
    cbs[1] = (lua_callback){L, bound, view, cat};
    sp->custom_bound = lbr_call_bound;
    sp->custom_bound_ctx = &cbs[1];
  }
}

/* The candidates of a pool that is a list of bundles or mined itemsets:
 * catalogue ids, sorted per bundle, in userdata on the stack. */
typedef struct cand_list {
  int32_t *items;
  int64_t *off, *counts, n;
} cand_list;

static void sort_ids(int32_t *v, int64_t from, int64_t to) {
  for (int64_t i = from + 1; i < to; i++) { /* a bundle has a few items: insertion sort */
    int32_t x = v[i];
    int64_t j = i;
    for (; j > from && v[j - 1] > x; j--) v[j] = v[j - 1];
    v[j] = x;
  }
}

static void itemset_candidates(lua_State *L, const br_itemsets *sets, const br_baskets *b, const br_catalog *cat,
                               cand_list *cl) {
  int64_t n = br_itemsets_count(sets), total = 0;
  for (int64_t k = 0; k < n; k++) {
    int sz;
    br_itemsets_items(sets, k, &sz);
    total += sz;
  }
  cl->n = n;
  cl->off = lua_newuserdatauv(L, (size_t)(n + 1) * sizeof *cl->off, 0);
  cl->items = lua_newuserdatauv(L, (size_t)(total > 0 ? total : 1) * sizeof *cl->items, 0);
  cl->counts = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *cl->counts, 0);
  /* basket item -> catalogue id, each label looked up once */
  int32_t nb = br_baskets_nitems(b);
  int32_t *to_cat = lua_newuserdatauv(L, (size_t)(nb > 0 ? nb : 1) * sizeof *to_cat, 0);
  for (int32_t i = 0; i < nb; i++) to_cat[i] = -2;
  int64_t w = 0;
  cl->off[0] = 0;
  for (int64_t k = 0; k < n; k++) {
    int sz;
    const int32_t *it = br_itemsets_items(sets, k, &sz);
    for (int i = 0; i < sz; i++) {
      if (to_cat[it[i]] == -2) {
        size_t len;
        const char *lab = br_baskets_label(b, it[i], &len);
        to_cat[it[i]] = br_catalog_find(cat, lab, len); /* -1 is caught by the stats' join */
      }
      cl->items[w++] = to_cat[it[i]];
    }
    cl->counts[k] = br_itemsets_support_count(sets, k);
    sort_ids(cl->items, cl->off[k], w);
    cl->off[k + 1] = w;
  }
}

static void list_candidates(lua_State *L, int pool, const br_catalog *cat, cand_list *cl) {
  lbr_list_spec sp = {.fn = "search", .name = "pool", .find = lbr_find_in_catalog, .owner = cat,
                      .owner_name = "the catalogue", .sort = 1, .unique = 1, .label = lbr_catalog_label};
  lbr_bundle_list bl;
  lbr_read_bundles(L, pool, &sp, &bl);
  cl->n = bl.n;
  cl->off = bl.off;
  cl->items = bl.items;
  cl->counts = NULL;
}

static int bundle_search(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lbr_check_options(L, 1, "search", search_options);
  lua_settop(L, 1);
  lua_getfield(L, 1, "catalog"); /* 2 */
  br_catalog **cs = luaL_testudata(L, 2, LBR_CATALOG_MT);
  if (!cs || !*cs) return lbr_errorf(L, "search: option 'catalog' must be a bundle.catalog(...)");
  const br_catalog *cat = *cs;
  /* Pinned (guard at 3) until search returns: objectives, bounds, the
   * compatible predicate and the options' metamethods all run Lua, and
   * none may close or collect the catalogue the core is reading. */
  lbr_pin(L, 2, "a running search");
  br_search_spec sp;
  br_search_spec_init(&sp);
  lua_getfield(L, 1, "size");
  if (!lua_isnil(L, -1)) {
    if (!lua_istable(L, -1)) return lbr_errorf(L, "search: size must be {min, max}");
    lua_geti(L, -1, 1);
    lua_geti(L, -2, 2);
    if (!lua_isinteger(L, -2) || !lua_isinteger(L, -1)) return lbr_errorf(L, "search: size must be {min, max} integers");
    sp.min_size = (int)lua_tointeger(L, -2);
    sp.max_size = (int)lua_tointeger(L, -1);
    lua_pop(L, 2);
    if (sp.max_size > BR_BUNDLE_MAX_ITEMS)
      return lbr_errorf(L, "search: bundles hold at most %d items (size max %d)", BR_BUNDLE_MAX_ITEMS, sp.max_size);
  }
  sp.top = lbr_opt_integer(L, 1, "search", "top", sp.top);
  sp.max_overlap = lbr_opt_int(L, 1, "search", "max_overlap", -1);
  lua_getfield(L, 1, "method");
  if (!lua_isnil(L, -1) && (lua_type(L, -1) != LUA_TSTRING || br_search_method_parse(&sp.method, lua_tostring(L, -1)) != BR_OK))
    return lbr_errorf(L, "search: %s", lua_type(L, -1) == LUA_TSTRING ? br_last_error() : "method must be a name");
  sp.beam_width = opt_int(L, 1, "beam_width", sp.beam_width, 1);
  sp.iterations = lbr_opt_integer(L, 1, "search", "iterations", sp.iterations);
  sp.restarts = opt_int(L, 1, "restarts", sp.restarts, 1);
  sp.population = opt_int(L, 1, "population", sp.population, 4);
  sp.generations = opt_int(L, 1, "generations", sp.generations, 1);
  sp.max_evaluations = lbr_opt_integer(L, 1, "search", "max_evaluations", sp.max_evaluations);
  sp.min_count = lbr_opt_integer(L, 1, "search", "min_count", sp.min_count);
  if (sp.iterations < 1 || sp.max_evaluations < 1 || sp.min_count < 0)
    return lbr_errorf(L, "search: iterations and max_evaluations must be positive, min_count not negative");
  lua_getfield(L, 1, "seed");
  if (lua_isnil(L, -1)) sp.seed = br_rng_next(lbr_default_rng(L)); /* bundle.seed(n) makes it reproducible */
  else if (lua_isinteger(L, -1)) sp.seed = (uint64_t)lua_tointeger(L, -1);
  else return lbr_errorf(L, "search: seed must be an integer");
  lua_getfield(L, 1, "graph");
  if (!lua_isnil(L, -1)) {
    if (!lua_istable(L, -1)) return lbr_errorf(L, "search: graph must be { min_count = n, min_lift = x }");
    int g = lua_gettop(L);
    lbr_check_options(L, g, "search: graph", graph_options);
    sp.pair_min_count = lbr_opt_integer(L, g, "search: graph", "min_count", 0);
    sp.pair_min_lift = opt_num(L, g, "search: graph", "min_lift", 0);
  }
  lua_callback *cbs = lua_newuserdatauv(L, (BR_MAX_OBJECTIVES + 2) * sizeof *cbs, 0);
  lua_getfield(L, 1, "constraints");
  if (!lua_isnil(L, -1)) {
    if (!lua_istable(L, -1)) return lbr_errorf(L, "search: constraints must be a table");
    read_constraints(L, lua_gettop(L), &sp, cat, &cbs[BR_MAX_OBJECTIVES + 1]);
  }
  double ms = opt_num(L, 1, "search", "min_support", NAN);
  if (!isnan(ms)) sp.min_support = ms;
  if (!isnan(sp.min_support) && !(sp.min_support >= 0 && sp.min_support <= 1))
    return lbr_errorf(L, "search: min_support must be in [0, 1], got %g", sp.min_support);
  /* baskets: given, or the ones a pool of itemsets came from */
  lua_getfield(L, 1, "pool");
  int pool = lua_gettop(L);
  lua_getfield(L, 1, "baskets");
  int bidx = lua_gettop(L);
  lbr_child *is = lbr_itemsets_test(L, pool);
  br_baskets **bs = luaL_testudata(L, bidx, LBR_BASKETS_MT);
  if (!lua_isnil(L, bidx) && (!bs || !*bs)) return lbr_errorf(L, "search: option 'baskets' must be bundle.baskets(...)");
  const br_baskets *b = bs ? *bs : NULL;
  if (b) lbr_pin(L, bidx, "a running search");
  if (is) {
    if (!is->obj) return lbr_errorf(L, "search: the itemsets have been closed");
    /* the itemsets hold their baskets: pinned, neither can go mid-search */
    lbr_pin(L, pool, "a running search");
    if (!b) b = is->parent;
  }
  /* the pool: candidates (itemsets, a list of bundles) or items (labels, or none: all) */
  cand_list cl = {0};
  int32_t *items = NULL;
  int nitems = 0, is_list = 0;
  if (is) {
    itemset_candidates(L, is->obj, b, cat, &cl);
    is_list = 1;
  } else if (lua_istable(L, pool)) {
    int first = lua_geti(L, pool, 1); /* its kind; the reader asks the length, once */
    lua_pop(L, 1);
    if (first == LUA_TNIL) return lbr_errorf(L, "search: the pool is empty");
    if (first == LUA_TTABLE) list_candidates(L, pool, cat, &cl), is_list = 1;
    else items = catalog_ids(L, pool, cat, "pool", &nitems);
  } else if (!lua_isnil(L, pool)) {
    return lbr_errorf(L, "search: option 'pool' must be itemsets (bk:frequent{...}), a list of bundles, or a list of items");
  }
  lua_newtable(L); /* objective names, in order */
  int names = lua_gettop(L);
  bundle_view *v = lbr_view_push(L, NULL, cat);
  read_objectives(L, &sp, lua_gettop(L), cat, cbs, names);
  /* from here on nothing raises a Lua error until the stats are freed */
  br_bundle_stats *st = NULL;
  if (br_bundle_stats_new(&st, cat, b) != BR_OK) return lbr_error(L);
  v->st = st;
  br_search_result *res = NULL;
  br_status s;
  if (is_list) {
    sp.counts = cl.counts;
    s = br_search(&res, st, cl.items, cl.off, cl.n, &sp);
  } else {
    s = br_search_pool(&res, st, items, items ? nitems : 0, &sp);
  }
  br_bundle_stats_free(st);
  if (s != BR_OK) return lbr_error(L);
  lbr_result_push(L, res, 2, cat, sp.nobjectives > 0 ? names : 0);
  return 1;
}

/* bundle.search_features: the names of the bundle features (b:features(),
 * model objectives), in order. */
static void push_feature_names(lua_State *L) {
  lua_createtable(L, BR_NFEATURES, 0);
  for (int k = 0; k < BR_NFEATURES; k++) {
    lua_pushstring(L, br_feature_name(k));
    lua_rawseti(L, -2, k + 1);
  }
}

void lbr_search_open(lua_State *L) {
  static const luaL_Reg cm[] = {{"size", catalog_size}, {"close", catalog_gc}, {NULL, NULL}};
  static const luaL_Reg cmeta[] = {{"__gc", catalog_gc}, {"__close", catalog_gc}, {"__len", catalog_size}, {NULL, NULL}};
  lbr_new_class(L, LBR_CATALOG_MT, cm, cmeta);
  lbr_result_open(L);
  lbr_view_open(L);
  lua_pushcfunction(L, bundle_catalog);
  lua_setfield(L, -2, "catalog");
  lua_pushcfunction(L, bundle_search);
  lua_setfield(L, -2, "search");
  push_feature_names(L);
  lua_setfield(L, -2, "search_features");
}
