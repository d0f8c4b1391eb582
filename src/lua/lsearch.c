/* bundle.catalog, bundle.search and the Bundle view given to Lua
 * objectives (bundle/search.h). */
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "lbundle.h"

#define CATALOG_MT "bundle.Catalog"
#define RESULT_MT "bundle.SearchResult"
#define BUNDLE_MT "bundle.Bundle"

static br_catalog *check_catalog(lua_State *L, int idx) {
  br_catalog **slot = luaL_checkudata(L, idx, CATALOG_MT);
  if (!*slot) luaL_argerror(L, idx, "catalog has been closed");
  return *slot;
}

static int catalog_gc(lua_State *L) {
  br_catalog **slot = luaL_checkudata(L, 1, CATALOG_MT);
  br_catalog_free(*slot);
  *slot = NULL;
  return 0;
}

static const char *catalog_label(const void *owner, int32_t id, size_t *len) {
  return br_catalog_label(owner, id, len);
}

static int catalog_size(lua_State *L) {
  lua_pushinteger(L, br_catalog_size(check_catalog(L, 1)));
  return 1;
}

static const br_column *frame_column(lua_State *L, br_frame *f, int opts, const char *key, int required) {
  lua_getfield(L, opts, key);
  const char *name = lua_tostring(L, -1);
  lua_pop(L, 1);
  if (!name) {
    if (required) lbr_errorf(L, "catalog: option '%s' (a column name) is required", key);
    return NULL;
  }
  int i = br_frame_find(f, name);
  if (i < 0) lbr_errorf(L, "catalog: no column '%s' for %s", name, key);
  return br_frame_column(f, i);
}

static double number_at(lua_State *L, const br_column *c, int64_t i, const char *what) {
  if (br_column_type(c) == BR_DTYPE_STR) lbr_errorf(L, "catalog: the %s column is str, not numeric", what);
  double v = br_column_number(c, i);
  if (isnan(v)) lbr_errorf(L, "catalog: %s is missing on row %lld", what, (long long)i + 1);
  return v;
}

static const char *const catalog_options[] = {"item", "name", "price", "cost", "margin", "category", "stock", NULL};

/* catalog(frame, { item =, price =, cost = | margin = rate, category =, stock = }) */
static int bundle_catalog(lua_State *L) {
  br_frame **fs = luaL_checkudata(L, 1, "bundle.Frame");
  if (!*fs) return luaL_argerror(L, 1, "frame has been closed");
  luaL_checktype(L, 2, LUA_TTABLE);
  lbr_check_options(L, 2, "catalog", catalog_options);
  br_frame *f = *fs;
  const br_column *item = frame_column(L, f, 2, "item", 1), *price = frame_column(L, f, 2, "price", 1);
  const br_column *cost = frame_column(L, f, 2, "cost", 0), *cat = frame_column(L, f, 2, "category", 0);
  const br_column *stock = frame_column(L, f, 2, "stock", 0);
  lua_getfield(L, 2, "margin");
  int has_margin = !lua_isnil(L, -1);
  double margin = lua_tonumber(L, -1);
  lua_pop(L, 1);
  if (has_margin == (cost != NULL))
    return lbr_errorf(L, "catalog: give either cost = column or margin = rate (e.g. margin = 0.4)");
  if (has_margin && !(margin >= 0 && margin < 1)) return lbr_errorf(L, "catalog: margin must be a rate in [0, 1)");
  if (br_column_type(item) != BR_DTYPE_STR && br_column_type(item) != BR_DTYPE_I64)
    return lbr_errorf(L, "catalog: the item column must be str or i64");
  if (cat && br_column_type(cat) != BR_DTYPE_STR) return lbr_errorf(L, "catalog: the category column must be str");
  int64_t n = br_frame_nrows(f);
  if (n < 1 || n > INT32_MAX) return lbr_errorf(L, "catalog: the frame has %lld rows", (long long)n);
  /* one userdata block for every array, so an error leaks nothing */
  size_t per = sizeof(char *) + sizeof(size_t) + 3 * sizeof(double) + sizeof(int32_t) + 24;
  unsigned char *mem = lua_newuserdatauv(L, (size_t)n * per, 0);
  const char **labels = (const char **)mem;
  size_t *lens = (size_t *)(labels + n);
  double *pr = (double *)(lens + n), *co = pr + n, *st = co + n;
  int32_t *cc = (int32_t *)(st + n);
  char *numbuf = (char *)(cc + n); /* 24 bytes a row for integer labels */
  for (int64_t i = 0; i < n; i++) {
    if (br_column_is_null(item, i)) return lbr_errorf(L, "catalog: item is missing on row %lld", (long long)i + 1);
    if (br_column_type(item) == BR_DTYPE_STR) {
      labels[i] = br_column_level(item, br_column_codes(item)[i], &lens[i]);
    } else {
      char *b = numbuf + i * 24;
      lens[i] = (size_t)snprintf(b, 24, "%lld", (long long)br_column_i64(item)[i]);
      labels[i] = b;
    }
    pr[i] = number_at(L, price, i, "price");
    co[i] = cost ? number_at(L, cost, i, "cost") : pr[i] * (1 - margin);
    st[i] = stock ? br_column_number(stock, i) : NAN;
    cc[i] = cat && !br_column_is_null(cat, i) ? br_column_codes(cat)[i] : -1;
  }
  br_catalog **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, CATALOG_MT);
  if (br_catalog_new(slot, (int32_t)n, labels, lens, pr, co, cat ? cc : NULL, stock ? st : NULL) != BR_OK)
    return lbr_error(L);
  return 1;
}

/* ---- the Bundle view for Lua objectives ---- */

typedef struct bundle_view {
  const br_bundle_stats *st;
  const br_catalog *cat;
  const int32_t *items;
  int n;
} bundle_view;

static bundle_view *check_view(lua_State *L) {
  bundle_view *v = luaL_checkudata(L, 1, BUNDLE_MT);
  if (!v->items) luaL_argerror(L, 1, "a bundle view is valid only inside its objective call");
  return v;
}

static int view_size(lua_State *L) { lua_pushinteger(L, check_view(L)->n); return 1; }
static int view_price(lua_State *L) { bundle_view *v = check_view(L); lua_pushnumber(L, br_bundle_objective(v->st, BR_OBJ_REVENUE, v->items, v->n)); return 1; }
static int view_cost(lua_State *L) {
  bundle_view *v = check_view(L);
  double c = 0;
  for (int i = 0; i < v->n; i++) c += br_catalog_cost(v->cat, v->items[i]);
  lua_pushnumber(L, c);
  return 1;
}
static int view_support(lua_State *L) { bundle_view *v = check_view(L); lua_pushnumber(L, br_bundle_objective(v->st, BR_OBJ_SUPPORT, v->items, v->n)); return 1; }
static int view_lift(lua_State *L) { bundle_view *v = check_view(L); lua_pushnumber(L, br_bundle_objective(v->st, BR_OBJ_LIFT, v->items, v->n)); return 1; }
static int view_has(lua_State *L) {
  bundle_view *v = check_view(L);
  size_t len;
  const char *s = luaL_checklstring(L, 2, &len);
  int32_t id = br_catalog_find(v->cat, s, len), has = 0;
  for (int i = 0; i < v->n && !has; i++) has = v->items[i] == id;
  lua_pushboolean(L, has);
  return 1;
}
static int view_categories(lua_State *L) {
  bundle_view *v = check_view(L);
  int32_t seen[BR_BUNDLE_MAX_ITEMS];
  int k = 0;
  for (int i = 0; i < v->n; i++) {
    int32_t c = br_catalog_category(v->cat, v->items[i]), dup = c < 0;
    for (int j = 0; j < k && !dup; j++) dup = seen[j] == c;
    if (!dup) seen[k++] = c;
  }
  lua_pushinteger(L, k);
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
    lua_createtable(L, v->n, 0);
    for (int i = 0; i < v->n; i++) {
      size_t len;
      const char *s = br_catalog_label(v->cat, v->items[i], &len);
      lua_pushlstring(L, s, len);
      lua_rawseti(L, -2, i + 1);
    }
    return 1;
  }
  lua_pushnil(L);
  return 1;
}

typedef struct lua_objective {
  lua_State *L;
  int fn, view;
  const br_bundle_stats *st;
  const br_catalog *cat;
} lua_objective;

static double call_lua_objective(void *vctx, const int32_t *items, int n, int *fail) {
  lua_objective *c = vctx;
  lua_State *L = c->L;
  bundle_view *v = lua_touserdata(L, c->view);
  v->items = items;
  v->n = n;
  lua_pushvalue(L, c->fn);
  lua_pushvalue(L, c->view);
  int st = lua_pcall(L, 1, 1, 0);
  double r = NAN;
  if (st != LUA_OK) {
    br_error_set(BR_ERR_ARG, "%s", lua_tostring(L, -1) ? lua_tostring(L, -1) : "the objective raised an error");
    *fail = 1;
  } else if (lua_type(L, -1) != LUA_TNUMBER) {
    char text[300];
    size_t used = (size_t)snprintf(text, sizeof text, "{");
    for (int i = 0; i < n && used < sizeof text; i++) {
      size_t len;
      const char *s = br_catalog_label(c->cat, items[i], &len);
      used += (size_t)snprintf(text + used, sizeof text - used, "%s%.*s", i ? ", " : "", (int)(len > 30 ? 30 : len), s);
    }
    br_error_set(BR_ERR_ARG, "search: the objective returned a %s for bundle %s}, not a number", luaL_typename(L, -1), text);
    *fail = 1;
  } else {
    r = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  v->items = NULL;
  return r;
}

/* ---- search ---- */

static const char *const search_options[] = {"catalog", "pool", "baskets", "size", "top", "objective",
                                             "objectives", "weights", "constraints", "max_overlap",
                                             "min_support", NULL};
static const char *const constraint_options[] = {"max_per_category", "min_categories", "must_include", "exclude",
                                                 "min_margin", "max_price", "min_stock", "min_support", NULL};

/* Catalogue ids for a list of labels at idx (in a userdata on the stack). */
static int32_t *catalog_ids(lua_State *L, int idx, const br_catalog *cat, const char *what, int *n) {
  luaL_checktype(L, idx, LUA_TTABLE);
  int k = (int)luaL_len(L, idx);
  int32_t *v = lua_newuserdatauv(L, (size_t)(k ? k : 1) * sizeof *v, 0);
  for (int i = 1; i <= k; i++) {
    lua_geti(L, idx, i);
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (!s) lbr_errorf(L, "search: %s[%d] must be an item label", what, i);
    v[i - 1] = br_catalog_find(cat, s, len);
    if (v[i - 1] < 0) lbr_errorf(L, "search: %s: no item '%.60s' in the catalogue", what, s);
    lua_pop(L, 1);
  }
  *n = k;
  return v;
}

static double opt_num(lua_State *L, int idx, const char *key) {
  lua_getfield(L, idx, key);
  double v = NAN;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "search: constraint '%s' must be a number", key);
    v = lua_tonumber(L, -1);
  }
  lua_pop(L, 1);
  return v;
}

static int bundle_search(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lbr_check_options(L, 1, "search", search_options);
  lua_settop(L, 1);
  lua_getfield(L, 1, "catalog"); /* 2 */
  br_catalog **cs = luaL_testudata(L, 2, CATALOG_MT);
  if (!cs || !*cs) return lbr_errorf(L, "search: option 'catalog' must be a bundle.catalog(...)");
  const br_catalog *cat = *cs;
  br_search_spec sp;
  br_search_spec_init(&sp);
  lua_getfield(L, 1, "size"); /* 3 */
  if (!lua_isnil(L, 3)) {
    if (!lua_istable(L, 3)) return lbr_errorf(L, "search: size must be {min, max}");
    lua_geti(L, 3, 1);
    lua_geti(L, 3, 2);
    sp.min_size = (int)lua_tointeger(L, -2);
    sp.max_size = (int)lua_tointeger(L, -1);
    lua_pop(L, 2);
    if (sp.max_size > BR_BUNDLE_MAX_ITEMS)
      return lbr_errorf(L, "search: bundles hold at most %d items (size max %d)", BR_BUNDLE_MAX_ITEMS, sp.max_size);
  }
  sp.top = lbr_opt_integer(L, 1, "search", "top", sp.top);
  sp.max_overlap = (int)lbr_opt_integer(L, 1, "search", "max_overlap", -1);
  lua_getfield(L, 1, "constraints"); /* 4 */
  if (!lua_isnil(L, 4)) {
    lbr_check_options(L, 4, "search: constraints", constraint_options);
    sp.max_per_category = (int)lbr_opt_integer(L, 4, "search", "max_per_category", 0);
    sp.min_categories = (int)lbr_opt_integer(L, 4, "search", "min_categories", 0);
    sp.min_margin = opt_num(L, 4, "min_margin");
    sp.max_price = opt_num(L, 4, "max_price");
    sp.min_stock = opt_num(L, 4, "min_stock");
    sp.min_support = opt_num(L, 4, "min_support");
    lua_getfield(L, 4, "must_include");
    if (!lua_isnil(L, -1)) sp.must_include = catalog_ids(L, lua_gettop(L), cat, "must_include", &sp.nmust);
    lua_getfield(L, 4, "exclude");
    if (!lua_isnil(L, -1)) sp.exclude = catalog_ids(L, lua_gettop(L), cat, "exclude", &sp.nexclude);
  }
  /* baskets: given, or the ones a pool of itemsets came from */
  lua_getfield(L, 1, "pool");
  int pool = lua_gettop(L);
  lua_getfield(L, 1, "baskets");
  int bidx = lua_gettop(L);
  if (lua_isnil(L, bidx) && luaL_testudata(L, pool, "bundle.Itemsets")) {
    lua_pop(L, 1);
    lua_getiuservalue(L, pool, 1);
  }
  br_baskets **bs = luaL_testudata(L, bidx, "bundle.Baskets");
  if (!lua_isnil(L, bidx) && (!bs || !*bs)) return lbr_errorf(L, "search: option 'baskets' must be bundle.baskets(...)");
  const br_baskets *b = bs ? *bs : NULL;
  /* candidates: catalogue ids, sorted per bundle, in a userdata */
  int64_t ncand = 0, cap = 0, total = 0;
  int64_t *off;
  int32_t *cand;
  br_itemsets *mined = NULL;
  void **is = luaL_testudata(L, pool, "bundle.Itemsets");
  const br_itemsets *sets = is ? *is : NULL;
  if (!sets && lua_istable(L, pool) && luaL_len(L, pool) > 0) {
    lua_geti(L, pool, 1);
    int items_pool = lua_type(L, -1) == LUA_TSTRING;
    lua_pop(L, 1);
    if (items_pool) { /* an item pool: every co-occurring subset, mined with support pruning */
      if (!b) return lbr_errorf(L, "search: a pool of items needs baskets = ... to count bundles");
      int np;
      int32_t *ids = catalog_ids(L, pool, cat, "pool", &np);
      uint8_t *in = lua_newuserdatauv(L, (size_t)br_baskets_nitems(b) + 1, 0);
      memset(in, 0, (size_t)br_baskets_nitems(b) + 1);
      for (int i = 0; i < np; i++) {
        size_t len;
        const char *lab = br_catalog_label(cat, ids[i], &len);
        int32_t bid = br_baskets_find(b, lab, len);
        if (bid >= 0) in[bid] = 1;
      }
      int32_t nb = br_baskets_nitems(b), nx = 0;
      int32_t *ex = lua_newuserdatauv(L, (size_t)(nb ? nb : 1) * sizeof *ex, 0);
      for (int32_t i = 0; i < nb; i++)
        if (!in[i]) ex[nx++] = i;
      br_mine_options mo;
      br_mine_options_init(&mo);
      mo.exclude = ex;
      mo.nexclude = nx;
      mo.min_size = sp.min_size;
      mo.max_size = sp.max_size;
      double ms = isnan(sp.min_support) ? 0 : sp.min_support;
      lua_getfield(L, 1, "min_support");
      if (!lua_isnil(L, -1)) ms = lua_tonumber(L, -1);
      lua_pop(L, 1);
      if (ms > 0) mo.min_support = ms;
      else mo.min_count = 1;
      if (br_baskets_frequent(&mined, b, &mo) != BR_OK) return lbr_error(L);
      sets = mined;
    }
  }
  if (sets) {
    /* map itemsets (basket item ids) to catalogue ids */
    ncand = br_itemsets_count(sets);
    for (int64_t k = 0; k < ncand; k++) {
      int sz;
      br_itemsets_items(sets, k, &sz);
      total += sz;
    }
  } else if (lua_istable(L, pool)) {
    ncand = (int64_t)luaL_len(L, pool);
    for (int64_t k = 1; k <= ncand; k++) {
      if (lua_geti(L, pool, k) != LUA_TTABLE) {
        br_itemsets_free(mined);
        return lbr_errorf(L, "search: pool[%lld] must be a bundle (a list of labels)", (long long)k);
      }
      total += (int64_t)luaL_len(L, -1);
      lua_pop(L, 1);
    }
  } else {
    br_itemsets_free(mined);
    return lbr_errorf(L, "search: option 'pool' must be itemsets (bk:frequent{...}), a list of items, or a list of bundles");
  }
  (void)cap;
  off = lua_newuserdatauv(L, (size_t)(ncand + 1) * sizeof *off, 0);
  cand = lua_newuserdatauv(L, (size_t)(total > 0 ? total : 1) * sizeof *cand, 0);
  /* itemsets carry their counts: objectives on support need no counting */
  int64_t *counts = sets ? lua_newuserdatauv(L, (size_t)(ncand > 0 ? ncand : 1) * sizeof *counts, 0) : NULL;
  br_bundle_stats *st = NULL;
  if (br_bundle_stats_new(&st, cat, b) != BR_OK) {
    br_itemsets_free(mined);
    return lbr_error(L);
  }
  int64_t w = 0;
  off[0] = 0;
  for (int64_t k = 0; k < ncand; k++) {
    if (sets) {
      int sz;
      const int32_t *it = br_itemsets_items(sets, k, &sz);
      for (int i = 0; i < sz; i++) cand[w++] = br_bundle_catalog_id(st, it[i]);
      counts[k] = br_itemsets_support_count(sets, k);
    } else {
      lua_geti(L, pool, k + 1);
      int m = (int)luaL_len(L, -1);
      for (int i = 1; i <= m; i++) {
        lua_geti(L, -1, i);
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        int32_t id = s ? br_catalog_find(cat, s, len) : -1;
        lua_pop(L, 1);
        if (id < 0) {
          br_bundle_stats_free(st);
          return lbr_errorf(L, "search: pool[%lld][%d]: no item '%.60s' in the catalogue", (long long)k + 1, i, s ? s : "?");
        }
        cand[w++] = id;
      }
      lua_pop(L, 1);
    }
    /* a bundle has at most a few items: insertion sort, no qsort call */
    for (int64_t i = off[k] + 1; i < w; i++) {
      int32_t x = cand[i];
      int64_t j = i;
      for (; j > off[k] && cand[j - 1] > x; j--) cand[j] = cand[j - 1];
      cand[j] = x;
    }
    off[k + 1] = w;
  }
  br_itemsets_free(mined);
  sp.counts = counts;
  /* objective: a name or a function; or several, by name */
  lua_getfield(L, 1, "objective");
  int fn = lua_gettop(L);
  lua_getfield(L, 1, "objectives");
  int objs = lua_gettop(L);
  lua_newtable(L); /* the objective names, in order (for results) */
  int names = lua_gettop(L);
  bundle_view *v = lua_newuserdatauv(L, sizeof *v, 0); /* one view serves every Lua objective */
  *v = (bundle_view){st, cat, NULL, 0};
  luaL_setmetatable(L, BUNDLE_MT);
  int view = lua_gettop(L);
  lua_objective *ctx = lua_newuserdatauv(L, BR_MAX_OBJECTIVES * sizeof *ctx, 0);
  const char *problem = NULL;
  if (!lua_isnil(L, objs)) {
    if (!lua_isnil(L, fn)) problem = "give objective or objectives, not both";
    else if (!lua_istable(L, objs)) problem = "objectives must be a table { name = function or built-in name }";
    else {
      for (lua_pushnil(L); lua_next(L, objs); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING) { problem = "objectives must be keyed by name"; lua_pop(L, 2); break; }
        lua_pushvalue(L, -2);
        lua_rawseti(L, names, (lua_Integer)luaL_len(L, names) + 1);
      }
      if (!problem) { /* sorted, so the order never depends on table iteration */
        lua_getglobal(L, "table");
        lua_getfield(L, -1, "sort");
        lua_pushvalue(L, names);
        lua_call(L, 1, 0);
        lua_pop(L, 1);
        int no = (int)luaL_len(L, names);
        luaL_checkstack(L, BR_MAX_OBJECTIVES + 8, "search objectives");
        if (no < 1 || no > BR_MAX_OBJECTIVES) problem = "objectives must name 1 to 8 objectives";
        lua_getfield(L, 1, "weights");
        int wt = lua_gettop(L);
        if (!lua_isnil(L, wt) && !lua_istable(L, wt)) problem = "weights must be a table { name = weight }";
        for (int o = 0; o < no && !problem; o++) {
          lua_rawgeti(L, names, o + 1);
          lua_gettable(L, objs); /* the objective: stays on the stack (its index is kept) */
          br_objective_spec *spec = &sp.objectives[o];
          spec->weight = 1;
          if (lua_isfunction(L, -1)) {
            ctx[o] = (lua_objective){L, lua_gettop(L), view, st, cat};
            spec->kind = BR_OBJ_CUSTOM;
            spec->fn = call_lua_objective;
            spec->ctx = &ctx[o];
          } else if (lua_type(L, -1) != LUA_TSTRING || br_objective_parse(&spec->kind, lua_tostring(L, -1)) != BR_OK) {
            problem = lua_type(L, -1) == LUA_TSTRING ? br_last_error() : "each objective must be a function or a built-in name";
          }
          if (!lua_isnil(L, wt)) {
            lua_rawgeti(L, names, o + 1);
            lua_gettable(L, wt);
            if (!lua_isnil(L, -1)) {
              if (lua_type(L, -1) != LUA_TNUMBER) problem = "weights must be numbers";
              spec->weight = lua_tonumber(L, -1);
            }
            lua_pop(L, 1);
          }
        }
        sp.nobjectives = no;
      }
    }
  } else if (lua_isfunction(L, fn)) {
    ctx[0] = (lua_objective){L, fn, view, st, cat};
    sp.objective = BR_OBJ_CUSTOM;
    sp.custom = call_lua_objective;
    sp.custom_ctx = &ctx[0];
  } else if (lua_type(L, fn) == LUA_TSTRING) {
    if (br_objective_parse(&sp.objective, lua_tostring(L, fn)) != BR_OK) problem = br_last_error();
  } else if (!lua_isnil(L, fn)) {
    problem = "objective must be a name or a function";
  }
  if (problem) {
    char msg[300];
    snprintf(msg, sizeof msg, "%s", problem);
    br_bundle_stats_free(st);
    return lbr_errorf(L, "search: %s", msg);
  }
  br_search_result *res = NULL;
  br_status s = br_search(&res, st, cand, off, ncand, &sp);
  br_bundle_stats_free(st);
  if (s != BR_OK) return lbr_error(L);
  void **slot = lua_newuserdatauv(L, sizeof *slot, 2);
  *slot = res;
  luaL_setmetatable(L, RESULT_MT);
  lua_pushvalue(L, 2); /* the catalogue, for labels */
  lua_setiuservalue(L, -2, 1);
  if (sp.nobjectives > 0) {
    lua_pushvalue(L, names); /* objective names, for score vectors */
    lua_setiuservalue(L, -2, 2);
  }
  return 1;
}

/* ---- results ---- */

static br_search_result *check_result(lua_State *L, int idx, const br_catalog **cat) {
  void **slot = luaL_checkudata(L, idx, RESULT_MT);
  if (!*slot) luaL_argerror(L, idx, "result has been closed");
  lua_getiuservalue(L, idx, 1);
  *cat = *(br_catalog **)lua_touserdata(L, -1);
  lua_pop(L, 1);
  return *slot;
}

static int result_gc(lua_State *L) {
  void **slot = luaL_checkudata(L, 1, RESULT_MT);
  br_search_result_free(*slot);
  *slot = NULL;
  return 0;
}

static int result_len(lua_State *L) {
  const br_catalog *c;
  lua_pushinteger(L, br_search_result_count(check_result(L, 1, &c)));
  return 1;
}

/* { name = value } from a score vector, with the names in user value 2 of
 * the result at ridx. */
static void push_scores(lua_State *L, int ridx, const double *v, int nobj) {
  lua_getiuservalue(L, ridx, 2);
  int names = lua_gettop(L);
  lua_createtable(L, 0, nobj);
  for (int o = 0; o < nobj; o++) {
    lua_rawgeti(L, names, o + 1);
    lua_pushnumber(L, v[o]);
    lua_settable(L, -3);
  }
  lua_remove(L, names);
}

static void push_found(lua_State *L, const br_search_result *r, const br_catalog *cat, int64_t k) {
  int n;
  const int32_t *it = br_search_result_items(r, k, &n);
  lua_createtable(L, 0, 2);
  lbr_push_labels(L, catalog_label, cat, it, n);
  lua_setfield(L, -2, "items");
  lua_pushnumber(L, br_search_result_score(r, k));
  lua_setfield(L, -2, "score");
  if (br_search_result_nobjectives(r) > 1) {
    push_scores(L, 1, br_search_result_scores(r, k), br_search_result_nobjectives(r));
    lua_setfield(L, -2, "scores");
  }
}

/* pareto{ "a", "b" }: the exact non-dominated set of every scored bundle on
 * those objectives, best first by the first, with crowding distances. */
static int result_pareto(lua_State *L) {
  const br_catalog *cat;
  const br_search_result *r = check_result(L, 1, &cat);
  int nobj = br_search_result_nobjectives(r);
  if (nobj < 2) return lbr_errorf(L, "pareto: the search had one objective; give objectives = { name = ..., ... }");
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_getiuservalue(L, 1, 2);
  int names = lua_gettop(L);
  int k = (int)luaL_len(L, 2), col[BR_MAX_OBJECTIVES];
  if (k < 2 || k > 3) return lbr_errorf(L, "pareto: name 2 or 3 objectives");
  for (int j = 0; j < k; j++) {
    lua_geti(L, 2, j + 1);
    const char *want = lua_tostring(L, -1);
    col[j] = -1;
    for (int o = 0; o < nobj && want; o++) {
      lua_rawgeti(L, names, o + 1);
      if (strcmp(lua_tostring(L, -1), want) == 0) col[j] = o;
      lua_pop(L, 1);
    }
    if (col[j] < 0) return lbr_errorf(L, "pareto: no objective '%s' in this search", want ? want : "?");
    lua_pop(L, 1);
  }
  int64_t n = br_search_result_scored(r);
  double *p = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * (size_t)k * sizeof *p, 0);
  for (int64_t i = 0; i < n; i++)
    for (int j = 0; j < k; j++) p[i * k + j] = br_search_result_scored_scores(r, i)[col[j]];
  int64_t *idx, m;
  if (br_pareto_front(&idx, &m, p, n, k) != BR_OK) return lbr_error(L);
  double *dist = lua_newuserdatauv(L, (size_t)(m > 0 ? m : 1) * sizeof *dist, 0);
  br_pareto_crowding(dist, p, idx, m, k);
  lua_createtable(L, (int)m, 0);
  for (int64_t i = 0; i < m; i++) {
    int sz;
    const int32_t *it = br_search_result_scored_items(r, idx[i], &sz);
    lua_createtable(L, 0, 3);
    lbr_push_labels(L, catalog_label, cat, it, sz);
    lua_setfield(L, -2, "items");
    push_scores(L, 1, br_search_result_scored_scores(r, idx[i]), nobj);
    lua_setfield(L, -2, "scores");
    lua_pushnumber(L, dist[i]);
    lua_setfield(L, -2, "crowding");
    lua_rawseti(L, -2, i + 1);
  }
  free(idx);
  return 1;
}

static int result_next(lua_State *L) {
  const br_catalog *c;
  const br_search_result *r = check_result(L, 1, &c);
  lua_Integer k = luaL_checkinteger(L, 2);
  if (k >= br_search_result_count(r)) return 0;
  lua_pushinteger(L, k + 1);
  push_found(L, r, c, k);
  return 2;
}

static int result_iter(lua_State *L) {
  const br_catalog *c;
  check_result(L, 1, &c);
  lua_pushcfunction(L, result_next);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

/* to_frame(): rank, items (joined by "+"), size, score. */
static int result_to_frame(lua_State *L) {
  const br_catalog *cat;
  const br_search_result *r = check_result(L, 1, &cat);
  int64_t n = br_search_result_count(r);
  lua_newtable(L);
  int keep = lua_gettop(L);
  const char **strs = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *strs, 0);
  size_t *lens = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *lens, 0);
  int64_t *rank = lua_newuserdatauv(L, (size_t)(n ? n : 1) * 2 * sizeof *rank, 0);
  double *score = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *score, 0);
  for (int64_t k = 0; k < n; k++) {
    int m;
    const int32_t *it = br_search_result_items(r, k, &m);
    lbr_push_joined(L, catalog_label, cat, it, m, '+');
    strs[k] = lua_tolstring(L, -1, &lens[k]);
    lua_rawseti(L, keep, k + 1);
    rank[k] = k + 1;
    rank[n + k] = m;
    score[k] = br_search_result_score(r, k);
  }
  br_column *cols[4] = {NULL};
  br_status s = br_column_from_i64(&cols[0], BR_DTYPE_I64, n, rank, NULL);
  if (s == BR_OK) s = br_column_from_strings(&cols[1], n, strs, lens);
  if (s == BR_OK) s = br_column_from_i64(&cols[2], BR_DTYPE_I64, n, rank + n, NULL);
  if (s == BR_OK) s = br_column_from_f64(&cols[3], n, score, NULL);
  br_frame **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, "bundle.Frame");
  const char *names[4] = {"rank", "items", "size", "score"};
  if (s == BR_OK) s = br_frame_new(slot, 4, names, cols);
  for (int i = 0; i < 4; i++) br_column_release(cols[i]);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

static int result_write_csv(lua_State *L) { return lbr_write_csv_via(L, result_to_frame); }

void lbr_search_open(lua_State *L) {
  static const luaL_Reg cm[] = {{"size", catalog_size}, {NULL, NULL}};
  static const luaL_Reg cmeta[] = {{"__gc", catalog_gc}, {"__close", catalog_gc}, {"__len", catalog_size}, {NULL, NULL}};
  lbr_new_class(L, CATALOG_MT, cm, cmeta);
  static const luaL_Reg rm[] = {{"iter", result_iter}, {"pareto", result_pareto}, {"to_frame", result_to_frame},
                                {"write_csv", result_write_csv}, {NULL, NULL}};
  static const luaL_Reg rmeta[] = {{"__gc", result_gc}, {"__close", result_gc}, {"__len", result_len}, {NULL, NULL}};
  lbr_new_class(L, RESULT_MT, rm, rmeta);
  static const luaL_Reg vm[] = {{"size", view_size}, {"price", view_price}, {"cost", view_cost},
                                {"support", view_support}, {"lift", view_lift}, {"has", view_has},
                                {"categories", view_categories}, {NULL, NULL}};
  if (luaL_newmetatable(L, BUNDLE_MT)) {
    /* __index is a closure over the methods table: one rawget a lookup */
    lua_newtable(L);
    luaL_setfuncs(L, vm, 0);
    lua_pushcclosure(L, view_index, 1);
    lua_setfield(L, -2, "__index");
  }
  lua_pop(L, 1);
  lua_pushcfunction(L, bundle_catalog);
  lua_setfield(L, -2, "catalog");
  lua_pushcfunction(L, bundle_search);
  lua_setfield(L, -2, "search");
}
