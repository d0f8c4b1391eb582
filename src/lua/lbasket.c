/* bundle.baskets, bundle.read_baskets and the Baskets, Itemsets and Rules
 * objects (bundle/basket.h). Items are labels on the Lua side; Itemsets and
 * Rules read their labels from the baskets they were mined from, which they
 * hold twice: the Baskets userdata as user value 1 (for the collector) and
 * a core reference (br_baskets_retain), so closing the Baskets first drops
 * only its handle and the core baskets live on until the last child goes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbundle_list.h"


static const char *basket_label(const void *owner, int32_t id, size_t *len) {
  return br_baskets_label(owner, id, len);
}

/* The item's description where the baskets have one, else its label. */
static const char *basket_name(const void *owner, int32_t id, size_t *len) {
  const char *s = br_baskets_name(owner, id, len);
  return s ? s : br_baskets_label(owner, id, len);
}

/* Whether any of items[0..n) has a name. */
static int any_named(const br_baskets *b, const int32_t *items, int n) {
  for (int i = 0; i < n; i++)
    if (br_baskets_name(b, items[i], NULL)) return 1;
  return 0;
}

/* Sets field `key` of the table on top to the items' names (labels where
 * one has none) when any of them has one. */
static void set_names_field(lua_State *L, const br_baskets *b, const int32_t *items, int n, const char *key) {
  if (!any_named(b, items, n)) return;
  lbr_push_labels(L, basket_name, b, items, n);
  lua_setfield(L, -2, key);
}

/* Whether the baskets were made with a name column that named any item. */
static int has_names(const br_baskets *b) {
  for (int32_t i = 0; i < br_baskets_nitems(b); i++)
    if (br_baskets_name(b, i, NULL)) return 1;
  return 0;
}

/* ---- userdata ---- */

static br_baskets **push_baskets_slot(lua_State *L) {
  br_baskets **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, LBR_BASKETS_MT);
  return slot;
}

br_baskets **lbr_baskets_push_slot(lua_State *L) { return push_baskets_slot(L); }

br_baskets *lbr_baskets_check(lua_State *L, int idx) {
  br_baskets **slot = luaL_checkudata(L, idx, LBR_BASKETS_MT);
  if (!*slot) luaL_argerror(L, idx, "baskets have been closed");
  return *slot;
}
#define check_baskets lbr_baskets_check

static int baskets_gc(lua_State *L) {
  br_baskets **slot = luaL_checkudata(L, 1, LBR_BASKETS_MT);
  lbr_check_unpinned(L, 1, "Baskets");
  br_baskets_free(*slot); /* drops this handle's reference; children keep theirs */
  *slot = NULL;
  return 0;
}

/* Itemsets and Rules: the core object plus a reference to the baskets
 * (parent), and the parent's userdata as user value 1. The box starts empty
 * and owns nothing until the core fills obj, so an error leaks nothing. */
static lbr_child *push_child_slot(lua_State *L, const char *mt, int parent_idx, br_baskets *parent) {
  parent_idx = lua_absindex(L, parent_idx);
  lbr_child *c = lua_newuserdatauv(L, sizeof *c, 1);
  c->obj = NULL;
  c->parent = NULL;
  luaL_setmetatable(L, mt);
  lua_pushvalue(L, parent_idx);
  lua_setiuservalue(L, -2, 1);
  c->parent = br_baskets_retain(parent);
  return c;
}

static void *check_child(lua_State *L, int idx, const char *mt, const br_baskets **b) {
  lbr_child *c = luaL_checkudata(L, idx, mt);
  if (!c->obj) luaL_argerror(L, idx, strcmp(mt, LBR_ITEMSETS_MT) == 0 ? "itemsets have been closed" : "rules have been closed");
  *b = c->parent; /* held by the child itself: valid even after the Baskets' close */
  return c->obj;
}

lbr_child *lbr_itemsets_test(lua_State *L, int idx) { return luaL_testudata(L, idx, LBR_ITEMSETS_MT); }
lbr_child *lbr_child_push(lua_State *L, const char *mt, int parent_idx, br_baskets *parent) {
  return push_child_slot(L, mt, parent_idx, parent);
}

/* Frees the child's core object and drops its reference to the baskets. */
static int child_close(lua_State *L, const char *mt, const char *what, void (*free_obj)(void *)) {
  lbr_child *c = luaL_checkudata(L, 1, mt);
  lbr_check_unpinned(L, 1, what);
  free_obj(c->obj);
  c->obj = NULL;
  br_baskets_free(c->parent);
  c->parent = NULL;
  return 0;
}
static void free_itemsets(void *p) { br_itemsets_free(p); }
static void free_rules(void *p) { br_rules_free(p); }
static int itemsets_gc(lua_State *L) { return child_close(L, LBR_ITEMSETS_MT, "Itemsets", free_itemsets); }
static int rules_gc(lua_State *L) { return child_close(L, LBR_RULES_MT, "Rules", free_rules); }

/* Item ids for the list of labels in option `what` of fn. */
static int32_t *check_items(lua_State *L, int idx, const br_baskets *b, const char *fn, const char *what,
                            int *n) {
  lbr_list_spec sp = {.fn = fn, .name = what, .find = lbr_find_in_baskets, .owner = b,
                      .owner_name = "the baskets"};
  return lbr_read_labels(L, idx, &sp, n, NULL); /* [.. ud] */
}

/* ---- constructors ---- */

static const char *const baskets_options[] = {"basket", "item", "user", "time", "quantity", "price", "name", NULL};

static const char *opt_string(lua_State *L, int idx, const char *fn, const char *key) {
  lua_getfield(L, idx, key);
  const char *s = NULL;
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING) lbr_errorf(L, "%s: option '%s' must be a column name", fn, key);
    s = lua_tostring(L, -1);
  }
  lua_pop(L, 1); /* the options table keeps the string alive */
  return s;
}

/* basket = "order" or { "member", "date" } (a composite key). */
static int bundle_baskets(lua_State *L) {
  if (lbr_is_frame_source(L, 1)) lbr_frames_join(L, 1, "baskets"); /* read_csv_chunks' chunks */
  br_frame *f = lbr_frame_check(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  lbr_check_options(L, 2, "baskets", baskets_options);
  br_baskets_spec spec;
  memset(&spec, 0, sizeof spec);
  lua_getfield(L, 2, "basket"); /* [frame spec basket]: the spec keeps its strings alive */
  if (lua_istable(L, 3)) {
    int n = (int)luaL_len(L, 3);
    if (n < 1) return lbr_errorf(L, "baskets: option 'basket' is an empty list; give a column or a list of columns");
    const char **names = lua_newuserdatauv(L, (size_t)n * sizeof *names, 0); /* [.. names] */
    for (int i = 1; i <= n; i++) {
      lua_geti(L, 3, i);
      if (lua_type(L, -1) != LUA_TSTRING)
        return lbr_errorf(L, "baskets: basket[%d] must be a column name, got %s", i, luaL_typename(L, -1));
      names[i - 1] = lua_tostring(L, -1);
      lua_pop(L, 1);
    }
    spec.basket_columns = names;
    spec.nbasket_columns = n;
  } else {
    lua_pop(L, 1);
    spec.basket = opt_string(L, 2, "baskets", "basket");
  }
  spec.item = opt_string(L, 2, "baskets", "item");
  spec.user = opt_string(L, 2, "baskets", "user");
  spec.time = opt_string(L, 2, "baskets", "time");
  spec.quantity = opt_string(L, 2, "baskets", "quantity");
  spec.price = opt_string(L, 2, "baskets", "price");
  spec.name = opt_string(L, 2, "baskets", "name");
  br_baskets **slot = push_baskets_slot(L);
  if (br_baskets_from_frame(slot, f, &spec) != BR_OK) return lbr_error(L);
  return 1;
}

static const char *const read_options[] = {"sep", "items", NULL};

/* read_baskets(path, { sep =, items = "auto"|"names"|"integers" }). */
static int bundle_read_baskets(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lbr_check_path(L, "read_baskets", path, 0);
  lbr_check_options(L, 2, "read_baskets", read_options);
  char sep = ' ';
  static const char *const item_kinds[] = {"auto", "names", "integers", NULL};
  int kind = 0; /* auto */
  if (!lua_isnoneornil(L, 2)) {
    lua_getfield(L, 2, "sep");
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (s && len == 1) sep = s[0];
    else if (!lua_isnil(L, -1)) return lbr_errorf(L, "read_baskets: option 'sep' must be one character");
    lua_pop(L, 1);
    kind = lbr_opt_enum(L, 2, "read_baskets", "items", "auto", item_kinds);
  }
  br_baskets **slot = push_baskets_slot(L);
  if (kind == 1) {
    if (br_baskets_read_names(slot, path, sep) != BR_OK) return lbr_error(L);
  } else if (br_baskets_read(slot, path, sep) != BR_OK) {
    /* auto: a file that is not all integers is read again as names (the
     * integer reader stops at the first other token, so little is lost) */
    if (kind != 0 || br_last_status() != BR_ERR_PARSE || !strstr(br_last_error(), "is not an integer"))
      return lbr_error(L);
    if (br_baskets_read_names(slot, path, sep) != BR_OK) return lbr_error(L);
  }
  return 1;
}

/* ---- baskets ---- */

static int baskets_size(lua_State *L) {
  lua_pushinteger(L, br_baskets_size(check_baskets(L, 1)));
  return 1;
}

static int baskets_nitems(lua_State *L) {
  lua_pushinteger(L, br_baskets_nitems(check_baskets(L, 1)));
  return 1;
}

/* items(k): the labels of basket k (1-based). */
static int baskets_items(lua_State *L) {
  br_baskets *b = check_baskets(L, 1);
  lua_Integer k = luaL_checkinteger(L, 2), n = br_baskets_size(b);
  if (k < 1 || k > n) return lbr_errorf(L, "items: basket %lld out of range for %lld baskets", (long long)k, (long long)n);
  const int64_t *off = br_baskets_offsets(b);
  lbr_push_labels(L, basket_label, b, br_baskets_items(b) + off[k - 1], (int)(off[k] - off[k - 1]));
  return 1;
}

/* user(k): the user of basket k as text, or nil when it has none. */
static int baskets_user(lua_State *L) {
  br_baskets *b = check_baskets(L, 1);
  lua_Integer k = luaL_checkinteger(L, 2), n = br_baskets_size(b);
  if (k < 1 || k > n) return lbr_errorf(L, "user: basket %lld out of range for %lld baskets", (long long)k, (long long)n);
  size_t len;
  const char *u = br_baskets_user(b, k - 1, &len);
  if (u && len > 0) lua_pushlstring(L, u, len);
  else lua_pushnil(L);
  return 1;
}

/* Makes a frame from columns built here; releases them. */
static int push_frame(lua_State *L, int n, const char **names, br_column **cols) {
  br_frame **slot = lbr_frame_push_slot(L);
  br_status s = br_frame_new(slot, n, names, cols);
  for (int i = 0; i < n; i++) br_column_release(cols[i]);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

/* Label strings of items[0..n) as a str column (n labels in a userdata). */
static br_column *label_column(lua_State *L, const br_baskets *b, const int32_t *items, int64_t n) {
  const char **strs = lua_newuserdatauv(L, (size_t)(n ? n : 1) * (sizeof(char *) + sizeof(size_t)), 0);
  size_t *lens = (size_t *)(strs + (n ? n : 1));
  for (int64_t i = 0; i < n; i++) strs[i] = br_baskets_label(b, items[i], &lens[i]);
  br_column *c = NULL;
  if (br_column_from_strings(&c, n, strs, lens) != BR_OK) lbr_error(L);
  lua_pop(L, 1);
  return c;
}

/* item_support(): a frame (item, count, support) in item order. */
static int baskets_item_support(lua_State *L) {
  br_baskets *b = check_baskets(L, 1);
  int32_t m = br_baskets_nitems(b);
  int64_t *cnt = lua_newuserdatauv(L, (size_t)(m ? m : 1) * (sizeof(int64_t) + sizeof(double) + sizeof(int32_t)), 0);
  double *sup = (double *)(cnt + (m ? m : 1));
  int32_t *ids = (int32_t *)(sup + (m ? m : 1));
  br_baskets_item_support(b, cnt);
  for (int32_t i = 0; i < m; i++) {
    sup[i] = (double)cnt[i] / (double)br_baskets_size(b);
    ids[i] = i;
  }
  br_column *cols[3] = {label_column(L, b, ids, m), NULL, NULL};
  if (br_column_from_i64(&cols[1], BR_DTYPE_I64, m, cnt, NULL) != BR_OK ||
      br_column_from_f64(&cols[2], m, sup, NULL) != BR_OK) {
    for (int i = 0; i < 3; i++) br_column_release(cols[i]);
    return lbr_error(L);
  }
  const char *names[3] = {"item", "count", "support"};
  return push_frame(L, 3, names, cols);
}

static int baskets_filter(lua_State *L) {
  br_baskets *b = check_baskets(L, 1);
  br_tensor *m = lbr_tensor_check(L, 2);
  if (br_tensor_ndim(m) != 1 || br_tensor_shape(m)[0] != br_baskets_size(b))
    return lbr_errorf(L, "filter: the mask must be a 1-d tensor of %lld values (one per basket)", (long long)br_baskets_size(b));
  br_tensor **tmp = lbr_tensor_push_slot(L);
  if (br_tensor_contiguous(tmp, m) != BR_OK) return lbr_error(L);
  br_baskets **slot = push_baskets_slot(L);
  if (br_baskets_filter(slot, b, br_tensor_data(*tmp)) != BR_OK) return lbr_error(L);
  return 1;
}

/* split_by_time(t): baskets before t, and at or after t. */
static int baskets_split_by_time(lua_State *L) {
  br_baskets *b = check_baskets(L, 1);
  const int64_t *times = br_baskets_times(b);
  if (!times) return lbr_errorf(L, "split_by_time: these baskets have no times (give time = column to bundle.baskets)");
  int64_t t;
  if (lua_type(L, 2) == LUA_TNUMBER) {
    t = (int64_t)lua_tonumber(L, 2);
  } else {
    size_t len;
    const char *s = luaL_checklstring(L, 2, &len);
    if (br_datetime_parse(&t, s, len) != BR_OK) return lbr_errorf(L, "split_by_time: %s", br_last_error());
  }
  int64_t n = br_baskets_size(b);
  double *m = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *m, 0);
  for (int64_t k = 0; k < n; k++) m[k] = times[k] != INT64_MIN && times[k] < t;
  br_baskets **before = push_baskets_slot(L);
  if (br_baskets_filter(before, b, m) != BR_OK) return lbr_error(L);
  for (int64_t k = 0; k < n; k++) m[k] = times[k] != INT64_MIN && times[k] >= t;
  br_baskets **after = push_baskets_slot(L);
  if (br_baskets_filter(after, b, m) != BR_OK) return lbr_error(L);
  return 2;
}

static const char *const cooc_options[] = {"min_count", NULL};

/* cooccurrence{min_count = }: a frame (a, b, count), a < b by item order. */
static int baskets_cooccurrence(lua_State *L) {
  br_baskets *b = check_baskets(L, 1);
  lbr_check_options(L, 2, "cooccurrence", cooc_options);
  lua_Integer mc = lbr_opt_integer(L, 2, "cooccurrence", "min_count", 1);
  if (mc < 1) return lbr_errorf(L, "cooccurrence: min_count must be at least 1");
  int64_t np;
  int32_t *pa, *pb;
  int64_t *pc;
  void **boxes[3] = {lbr_out_box(L), lbr_out_box(L), lbr_out_box(L)};
  if (br_baskets_cooccurrence(b, mc, &np, &pa, &pb, &pc) != BR_OK) return lbr_error(L);
  *boxes[0] = pa, *boxes[1] = pb, *boxes[2] = pc;
  br_column *cols[3] = {NULL, NULL, NULL};
  /* copy into userdata-owned memory first, so a Lua error cannot leak */
  int32_t *ua = lua_newuserdatauv(L, (size_t)(np ? np : 1) * 2 * sizeof *ua, 0);
  memcpy(ua, pa, (size_t)np * sizeof *ua);
  memcpy(ua + (np ? np : 1), pb, (size_t)np * sizeof *ua);
  br_status s = br_column_from_i64(&cols[2], BR_DTYPE_I64, np, pc, NULL);
  for (int i = 0; i < 3; i++) lbr_out_free(boxes[i]);
  if (s != BR_OK) return lbr_error(L);
  cols[0] = label_column(L, b, ua, np);
  cols[1] = label_column(L, b, ua + (np ? np : 1), np);
  const char *names[3] = {"a", "b", "count"};
  return push_frame(L, 3, names, cols);
}

/* ---- mining ---- */

static const char *const frequent_options[] = {"min_support", "min_count", "max_size", "min_size", "closed",
                                               "maximal", "top", "include", "exclude", "weights",
                                               "item_weights", "max_itemsets", NULL};

/* Reads mining options from the table at idx into o (arrays kept on the stack). */
static void read_mine_options(lua_State *L, int idx, const br_baskets *b, const char *fn, br_mine_options *o,
                              int allow_shape) {
  br_mine_options_init(o);
  lua_getfield(L, idx, "min_support");
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "%s: option 'min_support' must be a number", fn);
    o->min_support = lua_tonumber(L, -1);
    if (!(o->min_support > 0 && o->min_support <= 1))
      lbr_errorf(L, "%s: min_support %g is not in (0, 1]", fn, o->min_support);
  }
  lua_pop(L, 1);
  o->min_count = lbr_opt_integer(L, idx, fn, "min_count", 0);
  if (o->min_count < 0) lbr_errorf(L, "%s: min_count must not be negative", fn);
  if (o->min_count == 0 && o->min_support == 0) lbr_errorf(L, "%s: give min_support (a fraction) or min_count", fn);
  lua_Integer mx = lbr_opt_integer(L, idx, fn, "max_size", 0);
  if (mx < 0 || mx > 64) lbr_errorf(L, "%s: max_size must be in 1..64", fn);
  o->max_size = (int)mx;
  o->max_itemsets = lbr_opt_integer(L, idx, fn, "max_itemsets", 0);
  if (o->max_itemsets < 0) lbr_errorf(L, "%s: max_itemsets must not be negative", fn);
  if (!allow_shape) return;
  lua_Integer mn = lbr_opt_integer(L, idx, fn, "min_size", 0);
  if (mn < 0) lbr_errorf(L, "%s: min_size must not be negative", fn);
  o->min_size = (int)mn;
  o->closed = lbr_opt_boolean(L, idx, fn, "closed", 0);
  o->maximal = lbr_opt_boolean(L, idx, fn, "maximal", 0);
  o->top = lbr_opt_integer(L, idx, fn, "top", 0);
  if (o->top < 0) lbr_errorf(L, "%s: top must not be negative", fn);
  lua_getfield(L, idx, "include");
  if (!lua_isnil(L, -1)) o->include = check_items(L, lua_gettop(L), b, fn, "include", &o->ninclude);
  lua_getfield(L, idx, "exclude");
  if (!lua_isnil(L, -1)) o->exclude = check_items(L, lua_gettop(L), b, fn, "exclude", &o->nexclude);
  lua_getfield(L, idx, "weights");
  if (lua_type(L, -1) == LUA_TSTRING) {
    if (strcmp(lua_tostring(L, -1), "revenue") != 0 || !br_baskets_revenue(b))
      lbr_errorf(L, "%s: weights = \"revenue\" needs baskets made with price (and quantity)", fn);
    o->weights = br_baskets_revenue(b);
  } else if (!lua_isnil(L, -1)) {
    br_tensor *w = lbr_tensor_test(L, -1);
    if (!w || br_tensor_ndim(w) != 1 || br_tensor_shape(w)[0] != br_baskets_size(b))
      lbr_errorf(L, "%s: weights must be \"revenue\" or a 1-d tensor of %lld values (one per basket)", fn,
                 (long long)br_baskets_size(b));
    br_tensor **c = lbr_tensor_push_slot(L);
    if (br_tensor_contiguous(c, w) != BR_OK) lbr_error(L);
    o->weights = br_tensor_data(*c);
  }
  /* item_weights: { label = w, ... }; items not named weigh 0 */
  lua_getfield(L, idx, "item_weights");
  if (!lua_isnil(L, -1)) {
    int t = lua_gettop(L);
    if (!lua_istable(L, t)) lbr_errorf(L, "%s: item_weights must be a table { item = weight }", fn);
    int32_t m = br_baskets_nitems(b);
    double *iw = lua_newuserdatauv(L, (size_t)(m ? m : 1) * sizeof *iw, 0);
    for (int32_t i = 0; i < m; i++) iw[i] = 0;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
      size_t len;
      lua_pushvalue(L, -2);
      const char *lab = lua_tolstring(L, -1, &len);
      int32_t id = lab ? br_baskets_find(b, lab, len) : -1;
      if (id < 0) lbr_errorf(L, "%s: item_weights: no item '%.60s'", fn, lab ? lab : "?");
      lua_pop(L, 1);
      if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "%s: item_weights.%s must be a number", fn, lab);
      iw[id] = lua_tonumber(L, -1);
    }
    o->item_weights = iw;
  }
}

static int baskets_frequent(lua_State *L) {
  br_baskets *b = check_baskets(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  lbr_pin(L, 1, "a running Baskets:frequent"); /* the options' metamethods run Lua */
  lbr_check_options(L, 2, "frequent", frequent_options);
  br_mine_options o;
  read_mine_options(L, 2, b, "frequent", &o, 1);
  lbr_child *slot = push_child_slot(L, LBR_ITEMSETS_MT, 1, b);
  if (lbr_mine(L, 1, (br_itemsets **)&slot->obj, b, &o) != BR_OK) return lbr_error(L); /* across ranks for bundle.mpi's baskets */
  return 1;
}

static const char *const rules_options[] = {"min_support", "min_count", "max_size", "min_confidence", "min_lift",
                                            "top", "by", "rhs_size", "max_itemsets", NULL};

static int baskets_rules(lua_State *L) {
  br_baskets *b = check_baskets(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  lbr_pin(L, 1, "a running Baskets:rules"); /* the options' metamethods run Lua */
  lbr_check_options(L, 2, "rules", rules_options);
  br_mine_options mo;
  read_mine_options(L, 2, b, "rules", &mo, 0);
  br_rule_options ro;
  br_rule_options_init(&ro);
  ro.min_confidence = 0.8; /* arules' default */
  lua_getfield(L, 2, "min_confidence");
  if (!lua_isnil(L, -1)) {
    ro.min_confidence = lua_tonumber(L, -1);
    if (lua_type(L, -1) != LUA_TNUMBER || !(ro.min_confidence > 0 && ro.min_confidence <= 1))
      return lbr_errorf(L, "rules: min_confidence %s is not in (0, 1]", luaL_tolstring(L, -1, NULL));
  }
  lua_getfield(L, 2, "min_lift");
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TNUMBER || lua_tonumber(L, -1) < 0) return lbr_errorf(L, "rules: min_lift must be a number >= 0");
    ro.min_lift = lua_tonumber(L, -1);
  }
  ro.top = lbr_opt_integer(L, 2, "rules", "top", 0);
  if (ro.top < 0) return lbr_errorf(L, "rules: top must not be negative");
  lua_Integer rs = lbr_opt_integer(L, 2, "rules", "rhs_size", 1);
  if (rs < 1 || rs > 8) return lbr_errorf(L, "rules: rhs_size must be in 1..8");
  ro.rhs_size = (int)rs;
  lua_getfield(L, 2, "by");
  if (!lua_isnil(L, -1)) {
    const char *by = lua_tostring(L, -1);
    if (!by || br_measure_parse(&ro.by, by) != BR_OK) return lbr_errorf(L, "rules: %s", by ? br_last_error() : "option 'by' must be a measure name");
  }
  if (mo.max_size && mo.max_size <= ro.rhs_size)
    return lbr_errorf(L, "rules: max_size %d leaves no room for an antecedent with rhs_size %d", mo.max_size, ro.rhs_size);
  br_itemsets *sets = NULL;
  if (lbr_mine(L, 1, &sets, b, &mo) != BR_OK) return lbr_error(L);
  lbr_child *slot = push_child_slot(L, LBR_RULES_MT, 1, b);
  br_status s = br_itemsets_rules((br_rules **)&slot->obj, sets, &ro);
  br_itemsets_free(sets);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

/* ---- Itemsets and Rules share their list behaviour ---- */

/* What differs between the two list types: how many, and how to push one. */
typedef struct list_class {
  const char *mt;
  int64_t (*count)(const void *obj);
  void (*push)(lua_State *L, const void *obj, const br_baskets *b, int64_t k);
  lua_CFunction to_frame;
} list_class;

static const list_class *list_of(lua_State *L, int idx);

static int list_len(lua_State *L) {
  const list_class *c = list_of(L, 1);
  const br_baskets *b;
  lua_pushinteger(L, c->count(check_child(L, 1, c->mt, &b)));
  return 1;
}

static int list_next(lua_State *L) {
  const list_class *c = list_of(L, 1);
  const br_baskets *b;
  const void *obj = check_child(L, 1, c->mt, &b);
  lua_Integer k = luaL_checkinteger(L, 2);
  if (k >= c->count(obj)) return 0;
  lua_pushinteger(L, k + 1);
  c->push(L, obj, b, k);
  return 2;
}

/* for i, x in list:iter() do ... end */
static int list_iter(lua_State *L) {
  list_of(L, 1);
  lua_pushcfunction(L, list_next);
  lua_pushvalue(L, 1);
  lua_pushinteger(L, 0);
  return 3;
}

static int list_get(lua_State *L) {
  const list_class *c = list_of(L, 1);
  const br_baskets *b;
  const void *obj = check_child(L, 1, c->mt, &b);
  lua_Integer k = luaL_checkinteger(L, 2), n = c->count(obj);
  if (k < 1 || k > n) return lbr_errorf(L, "get: %lld out of range for %lld", (long long)k, (long long)n);
  c->push(L, obj, b, k - 1);
  return 1;
}

/* write_csv(path): through to_frame, so the file is written atomically. */
static int list_write_csv(lua_State *L) { return lbr_write_csv_via(L, list_of(L, 1)->to_frame); }

/* ---- itemsets ---- */

static void push_itemset(lua_State *L, const void *obj, const br_baskets *b, int64_t k) {
  const br_itemsets *s = obj;
  int sz;
  const int32_t *it = br_itemsets_items(s, k, &sz);
  lua_createtable(L, 0, 4);
  lbr_push_labels(L, basket_label, b, it, sz);
  lua_setfield(L, -2, "items");
  set_names_field(L, b, it, sz, "names");
  lua_pushinteger(L, br_itemsets_support_count(s, k));
  lua_setfield(L, -2, "count");
  lua_pushnumber(L, (double)br_itemsets_support_count(s, k) / (double)br_itemsets_nbaskets(s));
  lua_setfield(L, -2, "support");
  double w = br_itemsets_weight(s, k);
  if (!isnan(w)) {
    lua_pushnumber(L, w);
    lua_setfield(L, -2, "weight");
  }
}

/* sort(by): a new Itemsets ordered by "count" (or "support"), "size" or
 * "weight", descending. top(k): a new Itemsets of the k most frequent. */
static int itemsets_sort(lua_State *L) {
  const br_baskets *b;
  const br_itemsets *s = check_child(L, 1, LBR_ITEMSETS_MT, &b);
  static const char *const orders[] = {"count", "support", "size", "weight", NULL};
  static const br_itemset_order order_of[] = {BR_ORDER_COUNT, BR_ORDER_COUNT, BR_ORDER_SIZE, BR_ORDER_WEIGHT};
  br_itemset_order o = order_of[lbr_check_enum(L, 2, "sort", "order", "count", orders)];
  lua_getiuservalue(L, 1, 1);
  lbr_child *slot = push_child_slot(L, LBR_ITEMSETS_MT, lua_gettop(L), (br_baskets *)b);
  if (br_itemsets_select((br_itemsets **)&slot->obj, s, o, -1) != BR_OK) return lbr_error(L);
  return 1;
}

static int itemsets_top(lua_State *L) {
  const br_baskets *b;
  const br_itemsets *s = check_child(L, 1, LBR_ITEMSETS_MT, &b);
  lua_Integer k = luaL_checkinteger(L, 2);
  luaL_argcheck(L, k >= 0, 2, "count must not be negative");
  lua_getiuservalue(L, 1, 1);
  lbr_child *slot = push_child_slot(L, LBR_ITEMSETS_MT, lua_gettop(L), (br_baskets *)b);
  if (br_itemsets_select((br_itemsets **)&slot->obj, s, BR_ORDER_COUNT, k) != BR_OK) return lbr_error(L);
  return 1;
}

/* to_frame(): items (labels joined by ",", escaped: lbr_push_list_field),
 * size, count, support[, weight][, names (when the baskets have them)]. */
static int itemsets_to_frame(lua_State *L) {
  const br_baskets *b;
  const br_itemsets *s = check_child(L, 1, LBR_ITEMSETS_MT, &b);
  int64_t n = br_itemsets_count(s);
  int weighted = n > 0 && !isnan(br_itemsets_weight(s, 0));
  int named = has_names(b);
  const char **strs = lua_newuserdatauv(L, (size_t)(n ? n : 1) * 2 * sizeof *strs, 0);
  size_t *lens = lua_newuserdatauv(L, (size_t)(n ? n : 1) * 2 * sizeof *lens, 0);
  int64_t *size = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *size, 0);
  int64_t *cnt = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *cnt, 0);
  double *sup = lua_newuserdatauv(L, (size_t)(n ? n : 1) * 2 * sizeof *sup, 0);
  lua_createtable(L, n > INT32_MAX / 2 ? INT32_MAX : (int)(2 * n), 0); /* keeps the joined strings */
  int keep = lua_gettop(L);
  for (int64_t k = 0; k < n; k++) {
    int sz;
    const int32_t *it = br_itemsets_items(s, k, &sz);
    lbr_push_list_field(L, basket_label, b, it, sz);
    strs[k] = lua_tolstring(L, -1, &lens[k]);
    lua_rawseti(L, keep, 2 * k + 1);
    if (named) {
      lbr_push_list_field(L, basket_name, b, it, sz);
      strs[n + k] = lua_tolstring(L, -1, &lens[n + k]);
      lua_rawseti(L, keep, 2 * k + 2);
    }
    size[k] = sz;
    cnt[k] = br_itemsets_support_count(s, k);
    sup[k] = (double)cnt[k] / (double)br_itemsets_nbaskets(s);
    sup[n + k] = br_itemsets_weight(s, k);
  }
  br_column *cols[6] = {NULL};
  const char *names[6] = {"items", "size", "count", "support", "weight", "names"};
  int nc = weighted ? 5 : 4;
  br_status st = br_column_from_strings(&cols[0], n, strs, lens);
  if (st == BR_OK) st = br_column_from_i64(&cols[1], BR_DTYPE_I64, n, size, NULL);
  if (st == BR_OK) st = br_column_from_i64(&cols[2], BR_DTYPE_I64, n, cnt, NULL);
  if (st == BR_OK) st = br_column_from_f64(&cols[3], n, sup, NULL);
  if (st == BR_OK && weighted) st = br_column_from_f64(&cols[4], n, sup + n, NULL);
  if (st == BR_OK && named) {
    names[nc] = "names";
    st = br_column_from_strings(&cols[nc++], n, strs + n, lens + n);
  }
  if (st != BR_OK) {
    for (int i = 0; i < 6; i++) br_column_release(cols[i]);
    return lbr_error(L);
  }
  return push_frame(L, nc, names, cols);
}

/* ---- rules ---- */

static void push_rule(lua_State *L, const void *obj, const br_baskets *b, int64_t k) {
  const br_rules *r = obj;
  int nl, nr;
  const int32_t *lhs = br_rules_lhs(r, k, &nl), *rhs = br_rules_rhs(r, k, &nr);
  const double *m = br_rules_measures(r, k);
  lua_createtable(L, 0, BR_MEASURE_COUNT + 2);
  lbr_push_labels(L, basket_label, b, lhs, nl);
  lua_setfield(L, -2, "lhs");
  lbr_push_labels(L, basket_label, b, rhs, nr);
  lua_setfield(L, -2, "rhs");
  if (any_named(b, lhs, nl) || any_named(b, rhs, nr)) {
    lbr_push_labels(L, basket_name, b, lhs, nl);
    lua_setfield(L, -2, "lhs_names");
    lbr_push_labels(L, basket_name, b, rhs, nr);
    lua_setfield(L, -2, "rhs_names");
  }
  for (int i = 0; i < BR_MEASURE_COUNT; i++) {
    /* a count read back from a file may be missing (NaN): no integer then */
    if (i == BR_M_COUNT && fabs(m[i]) < 9e18) lua_pushinteger(L, (lua_Integer)m[i]);
    else lua_pushnumber(L, m[i]);
    lua_setfield(L, -2, br_measure_name((br_measure)i));
  }
}

/* to_frame(): lhs, rhs (labels joined by ",", escaped as itemsets'),
 * every measure, then lhs_names, rhs_names when the baskets have names. */
static int rules_to_frame(lua_State *L) {
  const br_baskets *b;
  const br_rules *r = check_child(L, 1, LBR_RULES_MT, &b);
  int64_t n = br_rules_count(r);
  int named = has_names(b), sides = named ? 4 : 2;
  const char **strs = lua_newuserdatauv(L, (size_t)(n ? n : 1) * 4 * sizeof *strs, 0);
  size_t *lens = lua_newuserdatauv(L, (size_t)(n ? n : 1) * 4 * sizeof *lens, 0);
  double *vals = lua_newuserdatauv(L, (size_t)(n ? n : 1) * BR_MEASURE_COUNT * sizeof *vals, 0);
  lua_newtable(L);
  int keep = lua_gettop(L);
  for (int64_t k = 0; k < n; k++) {
    for (int side = 0; side < sides; side++) { /* lhs, rhs, their names */
      int sz;
      const int32_t *it = side % 2 ? br_rules_rhs(r, k, &sz) : br_rules_lhs(r, k, &sz);
      lbr_push_list_field(L, side < 2 ? basket_label : basket_name, b, it, sz);
      strs[side * n + k] = lua_tolstring(L, -1, &lens[side * n + k]);
      lua_rawseti(L, keep, 4 * k + side + 1);
    }
    const double *m = br_rules_measures(r, k);
    for (int i = 0; i < BR_MEASURE_COUNT; i++) vals[i * n + k] = m[i];
  }
  br_column *cols[4 + BR_MEASURE_COUNT] = {NULL};
  const char *names[4 + BR_MEASURE_COUNT] = {"lhs", "rhs"};
  br_status st = br_column_from_strings(&cols[0], n, strs, lens);
  if (st == BR_OK) st = br_column_from_strings(&cols[1], n, strs + n, lens + n);
  for (int i = 0; st == BR_OK && i < BR_MEASURE_COUNT; i++) {
    names[2 + i] = br_measure_name((br_measure)i);
    st = br_column_from_f64(&cols[2 + i], n, vals + (size_t)i * n, NULL);
  }
  int nc = 2 + BR_MEASURE_COUNT;
  if (st == BR_OK && named) {
    names[nc] = "lhs_names";
    st = br_column_from_strings(&cols[nc++], n, strs + 2 * n, lens + 2 * n);
    names[nc] = "rhs_names";
    if (st == BR_OK) st = br_column_from_strings(&cols[nc++], n, strs + 3 * n, lens + 3 * n);
  }
  if (st != BR_OK) {
    for (int i = 0; i < 4 + BR_MEASURE_COUNT; i++) br_column_release(cols[i]);
    return lbr_error(L);
  }
  return push_frame(L, nc, names, cols);
}

static int64_t itemsets_count(const void *obj) { return br_itemsets_count(obj); }
static int64_t rules_count(const void *obj) { return br_rules_count(obj); }

static const list_class itemsets_class = {LBR_ITEMSETS_MT, itemsets_count, push_itemset, itemsets_to_frame};
static const list_class rules_class = {LBR_RULES_MT, rules_count, push_rule, rules_to_frame};

static const list_class *list_of(lua_State *L, int idx) {
  if (luaL_testudata(L, idx, LBR_ITEMSETS_MT)) return &itemsets_class;
  if (luaL_testudata(L, idx, LBR_RULES_MT)) return &rules_class;
  luaL_typeerror(L, idx, "bundle.Itemsets or bundle.Rules");
  return NULL;
}

/* is_baskets(x): true when x is live bundle.Baskets (Lua code checks its
 * arguments with this rather than by the tostring text). */
static int bundle_is_baskets(lua_State *L) {
  br_baskets **slot = luaL_testudata(L, 1, LBR_BASKETS_MT);
  lua_pushboolean(L, slot != NULL && *slot != NULL);
  return 1;
}

/* ---- registration ---- */

/* _rules_from{ labels = {...}, names = {... or false}, baskets = n,
 * lhs = { {ids} }, rhs = { {ids} }, measures = { { lift = ..., ... } } }:
 * Rules over n empty baskets that hold the labels (and names), for
 * bundle.read_rules; ids are 1-based into labels, a missing measure NaN. */
static int bundle_rules_from(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE);
  lua_settop(L, 1);
  lua_getfield(L, 1, "labels"); /* 2 */
  lua_getfield(L, 1, "names");  /* 3 */
  lua_getfield(L, 1, "lhs");    /* 4 */
  lua_getfield(L, 1, "rhs");    /* 5 */
  lua_getfield(L, 1, "measures"); /* 6 */
  luaL_checktype(L, 2, LUA_TTABLE);
  luaL_checktype(L, 4, LUA_TTABLE);
  luaL_checktype(L, 5, LUA_TTABLE);
  luaL_checktype(L, 6, LUA_TTABLE);
  lua_Integer nb = lbr_opt_integer(L, 1, "rules_from", "baskets", 0);
  lua_Integer nl = luaL_len(L, 2), n = luaL_len(L, 4);
  if (nl > INT32_MAX || n > INT32_MAX || luaL_len(L, 5) != n || luaL_len(L, 6) != n)
    return lbr_errorf(L, "rules_from: lhs, rhs and measures must be lists of one length");
  const char **strs = lua_newuserdatauv(L, (size_t)(nl ? nl : 1) * 2 * sizeof *strs, 0);
  size_t *lens = lua_newuserdatauv(L, (size_t)(nl ? nl : 1) * 2 * sizeof *lens, 0);
  int named = lua_istable(L, 3);
  for (lua_Integer i = 1; i <= nl; i++) { /* the strings stay alive in the tables */
    if (lua_geti(L, 2, i) != LUA_TSTRING) return lbr_errorf(L, "rules_from: labels[%d] must be a string", (int)i);
    strs[i - 1] = lua_tolstring(L, -1, &lens[i - 1]);
    lua_pop(L, 1);
    strs[nl + i - 1] = NULL;
    if (named && lua_geti(L, 3, i) == LUA_TSTRING) strs[nl + i - 1] = lua_tolstring(L, -1, &lens[nl + i - 1]);
    if (named) lua_pop(L, 1);
  }
  int64_t *off = lua_newuserdatauv(L, (size_t)(n + 1) * 2 * sizeof *off, 0);
  double *m = lua_newuserdatauv(L, (size_t)(n ? n : 1) * BR_MEASURE_COUNT * sizeof *m, 0);
  int64_t total[2] = {0, 0};
  for (int side = 0; side < 2; side++) {
    off[side * (n + 1)] = 0;
    for (lua_Integer k = 1; k <= n; k++) {
      if (lua_geti(L, 4 + side, k) != LUA_TTABLE) return lbr_errorf(L, "rules_from: rule %d: a side must be a list", (int)k);
      total[side] += luaL_len(L, -1);
      off[side * (n + 1) + k] = total[side];
      lua_pop(L, 1);
    }
  }
  int32_t *ids = lua_newuserdatauv(L, (size_t)(total[0] + total[1] + 1) * sizeof *ids, 0);
  for (int side = 0; side < 2; side++) {
    int32_t *w = ids + (side ? total[0] : 0);
    for (lua_Integer k = 1; k <= n; k++) {
      lua_geti(L, 4 + side, k);
      lua_Integer len = luaL_len(L, -1);
      for (lua_Integer j = 1; j <= len; j++) {
        lua_geti(L, -1, j);
        int ok;
        lua_Integer id = lua_tointegerx(L, -1, &ok);
        if (!ok || id < 1 || id > nl) return lbr_errorf(L, "rules_from: rule %d: item %d is not a label's index", (int)k, (int)j);
        *w++ = (int32_t)(id - 1);
        lua_pop(L, 1);
      }
      lua_pop(L, 1);
    }
  }
  for (lua_Integer k = 1; k <= n; k++) {
    lua_geti(L, 6, k);
    for (int i = 0; i < BR_MEASURE_COUNT; i++) {
      lua_getfield(L, -1, br_measure_name((br_measure)i));
      m[(k - 1) * BR_MEASURE_COUNT + i] = lua_type(L, -1) == LUA_TNUMBER ? lua_tonumber(L, -1) : NAN;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  br_baskets **slot = push_baskets_slot(L);
  if (br_baskets_from_labels(slot, nb, strs, lens, (int32_t)nl, named ? strs + nl : NULL, lens + nl) != BR_OK)
    return lbr_error(L);
  lbr_child *c = push_child_slot(L, LBR_RULES_MT, -1, *slot);
  if (br_rules_from_parts((br_rules **)&c->obj, (int32_t)nl, n, off, ids, off + n + 1, ids + total[0], m) != BR_OK)
    return lbr_error(L);
  return 1;
}

void lbr_basket_open(lua_State *L) {
  static const luaL_Reg bm[] = {
      {"size", baskets_size}, {"nitems", baskets_nitems}, {"items", baskets_items}, {"user", baskets_user},
      {"item_support", baskets_item_support}, {"filter", baskets_filter},
      {"split_by_time", baskets_split_by_time}, {"cooccurrence", baskets_cooccurrence},
      {"frequent", baskets_frequent}, {"rules", baskets_rules}, {"close", baskets_gc}, {NULL, NULL}};
  static const luaL_Reg bmeta[] = {{"__gc", baskets_gc}, {"__close", baskets_gc}, {"__len", baskets_size},
                                   {NULL, NULL}}; /* __tostring: lrules.c */
  static const luaL_Reg im[] = {{"iter", list_iter}, {"get", list_get}, {"sort", itemsets_sort},
                                {"top", itemsets_top}, {"to_frame", itemsets_to_frame},
                                {"write_csv", list_write_csv}, {"close", itemsets_gc}, {NULL, NULL}};
  static const luaL_Reg imeta[] = {{"__gc", itemsets_gc}, {"__close", itemsets_gc}, {"__len", list_len}, {NULL, NULL}};
  /* sort, head, filter, lhs_has, rhs_has, prune_redundant and match: lrules.c */
  static const luaL_Reg rm[] = {{"iter", list_iter}, {"get", list_get}, {"to_frame", rules_to_frame},
                                {"write_csv", list_write_csv}, {"close", rules_gc}, {NULL, NULL}};
  static const luaL_Reg rmeta[] = {{"__gc", rules_gc}, {"__close", rules_gc}, {"__len", list_len}, {NULL, NULL}};
  lbr_new_class(L, LBR_BASKETS_MT, bm, bmeta);
  lbr_new_class(L, LBR_ITEMSETS_MT, im, imeta);
  lbr_new_class(L, LBR_RULES_MT, rm, rmeta);
  lua_pushcfunction(L, bundle_baskets);
  lua_setfield(L, -2, "baskets");
  lua_pushcfunction(L, bundle_read_baskets);
  lua_setfield(L, -2, "read_baskets");
  lua_pushcfunction(L, bundle_is_baskets);
  lua_setfield(L, -2, "is_baskets");
  lua_pushcfunction(L, bundle_rules_from);
  lua_setfield(L, -2, "_rules_from");
}
