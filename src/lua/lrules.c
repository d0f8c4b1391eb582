/* The Rules operations (sort, head, filter, lhs_has, rhs_has,
 * prune_redundant, match) and readable printing of Baskets, Itemsets,
 * Rules, SearchResult and Catalog. They live apart from lbasket.c and
 * lsearch*.c so that those files' object handling stays as it is: this
 * file adds methods to the classes those files register, reading objects
 * through their public accessors or their own methods. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbundle_list.h"

#define PRINT_ROWS 10 /* rows a printed object shows before "... N more" */

/* A Rules handle (lbr_child, as lbasket.c makes them): the core rules and
 * the baskets they were mined from, which the child holds a core
 * reference to, so they stay valid after the Baskets' own close. */
static const br_rules *check_rules(lua_State *L, int idx, const br_baskets **b) {
  lbr_child *c = luaL_checkudata(L, idx, LBR_RULES_MT);
  if (!c->obj) luaL_argerror(L, idx, "rules have been closed");
  *b = c->parent;
  return c->obj;
}

/* The baskets an Itemsets handle holds (see check_rules). */
static const br_baskets *itemsets_parent(lua_State *L, int idx) {
  lbr_child *c = luaL_checkudata(L, idx, LBR_ITEMSETS_MT);
  return c->parent;
}

/* An empty Rules userdata sharing the Baskets of the Rules at idx: the
 * Lua reference (user value 1) and a core reference of its own. */
static br_rules **push_rules_like(lua_State *L, int idx) {
  idx = lua_absindex(L, idx);
  lbr_child *src = luaL_checkudata(L, idx, LBR_RULES_MT);
  lbr_child *c = lua_newuserdatauv(L, sizeof *c, 1);
  c->obj = NULL;
  c->parent = NULL;
  luaL_setmetatable(L, LBR_RULES_MT);
  lua_getiuservalue(L, idx, 1);
  lua_setiuservalue(L, -2, 1);
  c->parent = br_baskets_retain(src->parent);
  return (br_rules **)&c->obj;
}

/* The ids of the list of labels at argument idx; labels the baskets never
 * saw are dropped (no rule can hold them), and *unknown counts them. */
static int32_t *label_ids(lua_State *L, int idx, const br_baskets *b, const char *fn, int *n, int *unknown) {
  lbr_list_spec sp = {.fn = fn, .name = "items", .arg = idx, .find = lbr_find_in_baskets, .owner = b,
                      .unknown = LBR_UNKNOWN_DROP};
  return lbr_read_labels(L, idx, &sp, n, unknown); /* stays on the stack until the call returns */
}

static const char *const sort_options[] = {"by", "decreasing", NULL};

/* sort{ by = "lift", decreasing = true } (also sort("lift")). */
static int rules_sort(lua_State *L) {
  const br_baskets *b;
  const br_rules *r = check_rules(L, 1, &b);
  const char *by = "lift";
  int decreasing = 1;
  if (lua_type(L, 2) == LUA_TSTRING) {
    by = lua_tostring(L, 2);
  } else if (!lua_isnoneornil(L, 2)) {
    lbr_check_options(L, 2, "sort", sort_options);
    lua_getfield(L, 2, "by");
    if (!lua_isnil(L, -1)) {
      if (lua_type(L, -1) != LUA_TSTRING) return lbr_errorf(L, "sort: option 'by' must be a measure name");
      by = lua_tostring(L, -1);
    }
    decreasing = lbr_opt_boolean(L, 2, "sort", "decreasing", 1);
  }
  br_measure m;
  if (br_measure_parse(&m, by) != BR_OK) return lbr_errorf(L, "sort: %s", br_last_error());
  br_rules **slot = push_rules_like(L, 1);
  if (br_rules_sort(slot, r, m, decreasing) != BR_OK) return lbr_error(L);
  return 1;
}

/* head(n): the first n rules (all when fewer), in their order. */
static int rules_head(lua_State *L) {
  const br_baskets *b;
  const br_rules *r = check_rules(L, 1, &b);
  lua_Integer n = luaL_optinteger(L, 2, 6);
  luaL_argcheck(L, n >= 0, 2, "count must not be negative");
  int64_t have = br_rules_count(r), k = n < have ? n : have;
  int64_t *idx = lua_newuserdatauv(L, (size_t)(k ? k : 1) * sizeof *idx, 0);
  for (int64_t i = 0; i < k; i++) idx[i] = i;
  br_rules **slot = push_rules_like(L, 1);
  if (br_rules_subset(slot, r, idx, k) != BR_OK) return lbr_error(L);
  return 1;
}

/* filter(fn): the rules for which fn(rule) is true, rule being the table
 * get(k) gives. fn may raise; the partial index list is Lua memory. */
static int rules_filter(lua_State *L) {
  const br_baskets *b;
  const br_rules *r = check_rules(L, 1, &b);
  luaL_checktype(L, 2, LUA_TFUNCTION);
  int64_t n = br_rules_count(r), keep = 0;
  int64_t *idx = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *idx, 0);
  lua_getfield(L, 1, "get"); /* the methods' get: one rule as a table */
  int get = lua_gettop(L);
  for (int64_t k = 0; k < n; k++) {
    lua_pushvalue(L, 2);
    lua_pushvalue(L, get);
    lua_pushvalue(L, 1);
    lua_pushinteger(L, k + 1);
    lua_call(L, 2, 1);
    lua_call(L, 1, 1);
    if (lua_toboolean(L, -1)) idx[keep++] = k;
    lua_pop(L, 1);
    r = check_rules(L, 1, &b); /* fn could have closed the rules */
  }
  br_rules **slot = push_rules_like(L, 1);
  if (br_rules_subset(slot, r, idx, keep) != BR_OK) return lbr_error(L);
  return 1;
}

static const char *const has_options[] = {"any", "all", NULL};

/* lhs_has(items [, { all = true }]) / rhs_has: the rules whose side holds
 * any (default) or all of the labels. */
static int rules_has(lua_State *L, br_rule_side side, const char *fn) {
  const br_baskets *b;
  const br_rules *r = check_rules(L, 1, &b);
  int all = 0;
  if (!lua_isnoneornil(L, 3)) {
    lbr_check_options(L, 3, fn, has_options);
    all = lbr_opt_boolean(L, 3, fn, "all", 0);
    lua_getfield(L, 3, "any");
    if (!lua_isnil(L, -1)) all = !lua_toboolean(L, -1);
    lua_pop(L, 1);
  }
  int n, unknown;
  int32_t *ids = label_ids(L, 2, b, fn, &n, &unknown);
  br_rules **slot = push_rules_like(L, 1);
  /* with all, an unknown label is held by no rule: the result is empty */
  if (br_rules_with_items(slot, r, side, ids, n, all) != BR_OK) return lbr_error(L);
  if (all && unknown) {
    br_rules_free(*slot);
    *slot = NULL;
    if (br_rules_subset(slot, r, NULL, 0) != BR_OK) return lbr_error(L);
  }
  return 1;
}
static int rules_lhs_has(lua_State *L) { return rules_has(L, BR_SIDE_LHS, "lhs_has"); }
static int rules_rhs_has(lua_State *L) { return rules_has(L, BR_SIDE_RHS, "rhs_has"); }

/* prune_redundant(): the rules that are not redundant (arules' is.redundant). */
static int rules_prune_redundant(lua_State *L) {
  const br_baskets *b;
  const br_rules *r = check_rules(L, 1, &b);
  int64_t n = br_rules_count(r), keep = 0;
  unsigned char *red = lua_newuserdatauv(L, (size_t)(n ? n : 1), 0);
  int64_t *idx = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *idx, 0);
  if (br_rules_redundant(r, red) != BR_OK) return lbr_error(L);
  for (int64_t k = 0; k < n; k++)
    if (!red[k]) idx[keep++] = k;
  br_rules **slot = push_rules_like(L, 1);
  if (br_rules_subset(slot, r, idx, keep) != BR_OK) return lbr_error(L);
  return 1;
}

static int cmp_i32(const void *x, const void *y) {
  int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
  return (a > b) - (a < b);
}

/* match(items [, k]): the Rules a basket of these labels triggers, best
 * first, at most k (unknown labels are ignored: no rule can use them). The
 * result indexes like the list it used to be (m[1].lhs, #m). */
static int rules_match(lua_State *L) {
  const br_baskets *b;
  const br_rules *r = check_rules(L, 1, &b);
  lua_Integer limit = luaL_optinteger(L, 3, 0);
  int n, unknown;
  int32_t *v = label_ids(L, 2, b, "match", &n, &unknown);
  qsort(v, (size_t)n, sizeof *v, cmp_i32);
  int w = 0;
  for (int i = 0; i < n; i++)
    if (i == 0 || v[i] != v[i - 1]) v[w++] = v[i];
  int64_t *idx, nm;
  void **box = lbr_out_box(L);
  if (br_rules_match(r, v, w, &idx, &nm) != BR_OK) return lbr_error(L);
  *box = idx;
  if (limit > 0 && nm > limit) nm = limit;
  br_rules **slot = push_rules_like(L, 1);
  br_status s = br_rules_subset(slot, r, idx, nm);
  lbr_out_free(box);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

/* Rules' __index: an integer is a rule (rules[1] is rules:get(1)), so code
 * that indexed match's former plain list keeps working; a name is a method.
 * Upvalue 1 is the methods table. */
static int rules_index(lua_State *L) {
  if (lua_type(L, 2) == LUA_TNUMBER && lua_isinteger(L, 2)) {
    lua_getfield(L, lua_upvalueindex(1), "get");
    const br_baskets *b;
    lua_Integer k = lua_tointeger(L, 2);
    if (k < 1 || k > br_rules_count(check_rules(L, 1, &b))) return 0; /* past the end: nil, as a list */
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 2);
    lua_call(L, 2, 1);
    return 1;
  }
  lua_pushvalue(L, 2);
  lua_rawget(L, lua_upvalueindex(1));
  return 1;
}

/* ---- printing ---- */

/* A label as printed: as it is, or in double quotes ("" inside) when it
 * holds what would make the list ambiguous (a comma, brace, quote, or
 * blanks at its ends). */
static void add_label(luaL_Buffer *buf, const char *s, size_t len) {
  int quote = len == 0 || s[0] == ' ' || s[len - 1] == ' ';
  for (size_t i = 0; i < len && !quote; i++) quote = s[i] == ',' || s[i] == '{' || s[i] == '}' || s[i] == '"';
  if (!quote) {
    luaL_addlstring(buf, s, len);
    return;
  }
  luaL_addchar(buf, '"');
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"') luaL_addchar(buf, '"');
    luaL_addchar(buf, s[i]);
  }
  luaL_addchar(buf, '"');
}

/* Items as printed: each item's description where the baskets have one
 * (bundle.baskets' name option), else its label, as arules prints
 * itemLabels. */
static void add_labels(luaL_Buffer *buf, const br_baskets *b, const int32_t *items, int n) {
  luaL_addchar(buf, '{');
  for (int i = 0; i < n; i++) {
    size_t len;
    const char *s = br_baskets_name(b, items[i], &len);
    if (!s) s = br_baskets_label(b, items[i], &len);
    if (i) luaL_addstring(buf, ", ");
    add_label(buf, s, len);
  }
  luaL_addchar(buf, '}');
}

/* "  name 0.0213": three significant digits, for people. */
static void add_measure(luaL_Buffer *buf, const char *name, double v) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, "  %s %.3g", name, v);
  luaL_addstring(buf, tmp);
}

static void add_more(lua_State *L, luaL_Buffer *buf, int64_t n) {
  if (n > PRINT_ROWS) {
    lua_pushfstring(L, "\n… %I more", (lua_Integer)(n - PRINT_ROWS));
    luaL_addvalue(buf);
  }
}

static int rules_tostring(lua_State *L) {
  void **slot = luaL_checkudata(L, 1, LBR_RULES_MT);
  if (!*slot) {
    lua_pushliteral(L, "bundle.Rules (closed)");
    return 1;
  }
  const br_baskets *b;
  const br_rules *r = check_rules(L, 1, &b);
  int64_t n = br_rules_count(r);
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  lua_pushfstring(L, "bundle.Rules: %I rules over %I baskets", (lua_Integer)n, (lua_Integer)br_baskets_size(b));
  luaL_addvalue(&buf);
  for (int64_t k = 0; k < n && k < PRINT_ROWS; k++) {
    int nl, nr;
    const int32_t *l = br_rules_lhs(r, k, &nl), *rh = br_rules_rhs(r, k, &nr);
    const double *m = br_rules_measures(r, k);
    luaL_addchar(&buf, '\n');
    add_labels(&buf, b, l, nl);
    luaL_addstring(&buf, " => ");
    add_labels(&buf, b, rh, nr);
    add_measure(&buf, "support", m[BR_M_SUPPORT]);
    add_measure(&buf, "confidence", m[BR_M_CONFIDENCE]);
    add_measure(&buf, "lift", m[BR_M_LIFT]);
    if (fabs(m[BR_M_COUNT]) < 9e18) { /* NaN when a file read back had no count */
      lua_pushfstring(L, "  count %I", (lua_Integer)m[BR_M_COUNT]);
      luaL_addvalue(&buf);
    } else {
      add_measure(&buf, "count", m[BR_M_COUNT]);
    }
  }
  add_more(L, &buf, n);
  luaL_pushresult(&buf);
  return 1;
}

static int itemsets_tostring(lua_State *L) {
  void **slot = luaL_checkudata(L, 1, LBR_ITEMSETS_MT);
  if (!*slot) {
    lua_pushliteral(L, "bundle.Itemsets (closed)");
    return 1;
  }
  const br_itemsets *s = *slot;
  const br_baskets *b = itemsets_parent(L, 1);
  int64_t n = br_itemsets_count(s);
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  lua_pushfstring(L, "bundle.Itemsets: %I itemsets over %I baskets", (lua_Integer)n,
                  (lua_Integer)br_itemsets_nbaskets(s));
  luaL_addvalue(&buf);
  for (int64_t k = 0; k < n && k < PRINT_ROWS; k++) {
    int sz;
    const int32_t *it = br_itemsets_items(s, k, &sz);
    int64_t c = br_itemsets_support_count(s, k);
    luaL_addchar(&buf, '\n');
    add_labels(&buf, b, it, sz);
    add_measure(&buf, "support", (double)c / (double)br_itemsets_nbaskets(s));
    lua_pushfstring(L, "  count %I", (lua_Integer)c);
    luaL_addvalue(&buf);
    double w = br_itemsets_weight(s, k);
    if (w == w) add_measure(&buf, "weight", w);
  }
  add_more(L, &buf, n);
  luaL_pushresult(&buf);
  return 1;
}

static int baskets_tostring(lua_State *L) {
  br_baskets **slot = luaL_checkudata(L, 1, LBR_BASKETS_MT);
  if (!*slot) {
    lua_pushliteral(L, "bundle.Baskets (closed)");
    return 1;
  }
  const br_baskets *b = *slot;
  int64_t n = br_baskets_size(b);
  const int64_t *off = br_baskets_offsets(b);
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  char mean[32];
  snprintf(mean, sizeof mean, "%.3g", n ? (double)off[n] / (double)n : 0.0);
  lua_pushfstring(L, "bundle.Baskets: %I baskets, %d items, %s items a basket", (lua_Integer)n,
                  (int)br_baskets_nitems(b), mean);
  luaL_addvalue(&buf);
  for (int64_t k = 0; k < n && k < PRINT_ROWS; k++) {
    lua_pushfstring(L, "\n[%I] ", (lua_Integer)(k + 1));
    luaL_addvalue(&buf);
    add_labels(&buf, b, br_baskets_items(b) + off[k], (int)(off[k + 1] - off[k]));
  }
  add_more(L, &buf, n);
  luaL_pushresult(&buf);
  return 1;
}

static int catalog_tostring(lua_State *L) {
  br_catalog **slot = luaL_checkudata(L, 1, LBR_CATALOG_MT);
  if (!*slot) {
    lua_pushliteral(L, "bundle.Catalog (closed)");
    return 1;
  }
  const br_catalog *c = *slot;
  int32_t n = br_catalog_size(c);
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  lua_pushfstring(L, "bundle.Catalog: %d items", (int)n);
  luaL_addvalue(&buf);
  for (int32_t i = 0; i < n && i < PRINT_ROWS; i++) {
    size_t len;
    const char *s = br_catalog_label(c, i, &len);
    luaL_addchar(&buf, '\n');
    luaL_addlstring(&buf, s, len);
    if ((s = br_catalog_name(c, i, &len)) != NULL) {
      luaL_addstring(&buf, "  ");
      add_label(&buf, s, len);
    }
    add_measure(&buf, "price", br_catalog_price(c, i));
    add_measure(&buf, "cost", br_catalog_cost(c, i));
    if (br_catalog_category(c, i) >= 0) {
      lua_pushfstring(L, "  category %d", (int)br_catalog_category(c, i));
      luaL_addvalue(&buf);
    }
  }
  add_more(L, &buf, n);
  luaL_pushresult(&buf);
  return 1;
}

/* SearchResult rows come through its own iter (its C side is private to
 * lsearch_result.c). The text is built from pieces on the stack and
 * concatenated at the end, because iter's calls move the stack under a
 * luaL_Buffer. Stack: 1 result, 2 next, 3 control, 4.. pieces. */
static int result_tostring(lua_State *L) {
  void **slot = luaL_checkudata(L, 1, LBR_RESULT_MT);
  if (!*slot) {
    lua_pushliteral(L, "bundle.SearchResult (closed)");
    return 1;
  }
  lua_settop(L, 1);
  lua_Integer n = luaL_len(L, 1);
  luaL_getmetafield(L, 1, "__index");
  lua_getfield(L, -1, "iter");
  lua_remove(L, 2);
  lua_pushvalue(L, 1);
  lua_call(L, 1, 3); /* next, result, 0 */
  lua_remove(L, 3);  /* next, control */
  lua_pushfstring(L, "bundle.SearchResult: %I bundles", n);
  for (int k = 0; k < PRINT_ROWS; k++) {
    lua_pushvalue(L, 2);
    lua_pushvalue(L, 1);
    lua_pushvalue(L, 3);
    lua_call(L, 2, 2); /* rank, record */
    int rec = lua_gettop(L);
    if (lua_isnil(L, rec - 1)) {
      lua_pop(L, 2);
      break;
    }
    lua_copy(L, rec - 1, 3);
    lua_pushfstring(L, "\n%I. {", lua_tointeger(L, rec - 1));
    /* the catalogue's names where it has them (bundle.catalog's name option) */
    if (lua_getfield(L, rec, "names") != LUA_TTABLE) {
      lua_pop(L, 1);
      lua_getfield(L, rec, "items");
    }
    int items = lua_gettop(L);
    lua_Integer ni = luaL_len(L, items);
    for (lua_Integer i = 1; i <= ni; i++) {
      if (i > 1) lua_pushliteral(L, ", ");
      lua_geti(L, items, i);
    }
    char tmp[64];
    lua_getfield(L, rec, "score");
    snprintf(tmp, sizeof tmp, "}  score %.4g", lua_tonumber(L, -1));
    lua_pop(L, 1);
    lua_pushstring(L, tmp);
    lua_remove(L, items);
    lua_concat(L, lua_gettop(L) - rec);
    lua_replace(L, rec - 1); /* the row replaces rank; drop the record */
    lua_pop(L, 1);
  }
  if (n > PRINT_ROWS) lua_pushfstring(L, "\n… %I more", n - PRINT_ROWS);
  lua_concat(L, lua_gettop(L) - 3);
  return 1;
}

/* ---- CSV that reads back ---- */

/* Pushes items[0..n) as a JSON list of strings, ["salt","fine, oil"]:
 * JSON's escapes (\" \\ and \uXXXX for control characters) let any label
 * survive the trip through a CSV field and back (bundle.read_itemsets,
 * bundle.read_rules, bundle.split_items). */
static void push_json_labels(lua_State *L, const br_baskets *b, const int32_t *items, int n) {
  luaL_Buffer buf;
  luaL_buffinit(L, &buf);
  luaL_addchar(&buf, '[');
  for (int i = 0; i < n; i++) {
    size_t len;
    const char *s = br_baskets_label(b, items[i], &len);
    if (i) luaL_addchar(&buf, ',');
    luaL_addchar(&buf, '"');
    for (size_t j = 0; j < len; j++) {
      unsigned char c = (unsigned char)s[j];
      if (c == '"' || c == '\\') {
        luaL_addchar(&buf, '\\');
        luaL_addchar(&buf, (char)c);
      } else if (c < 0x20 || c == 0x7f) {
        char esc[8];
        snprintf(esc, sizeof esc, "\\u%04x", c);
        luaL_addstring(&buf, esc);
      } else {
        luaL_addchar(&buf, (char)c);
      }
    }
    luaL_addchar(&buf, '"');
  }
  luaL_addchar(&buf, ']');
  luaL_pushresult(&buf);
}

/* Replaces column `name` of the frame on the stack top by the list on top
 * of it: frame, list -> new frame. */
static void replace_column(lua_State *L, const char *name) {
  lua_getfield(L, -2, "with_column");
  lua_pushvalue(L, -3);
  lua_pushstring(L, name);
  lua_pushvalue(L, -4);
  lua_call(L, 3, 1);
  lua_replace(L, -3);
  lua_pop(L, 1);
}

/* Calls obj:name() (a method of obj's class) and leaves the result. */
static void call_method(lua_State *L, int obj, const char *name) {
  lua_getfield(L, obj, name);
  lua_pushvalue(L, obj);
  lua_call(L, 1, 1);
}

/* write_csv(path) of Itemsets and Rules: to_frame's columns, with items
 * (lhs and rhs) as JSON lists so that the file reads back exactly; the
 * frame's writer makes it atomic and quotes the fields. */
static int sets_write_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 2);
  int rules = luaL_testudata(L, 1, LBR_RULES_MT) != NULL;
  lua_settop(L, 2);
  call_method(L, 1, "to_frame");
  const br_baskets *b;
  if (rules) {
    const br_rules *r = check_rules(L, 1, &b);
    int64_t n = br_rules_count(r);
    for (int side = 0; side < 2; side++) {
      lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
      for (int64_t k = 0; k < n; k++) {
        int sz;
        const int32_t *it = side ? br_rules_rhs(r, k, &sz) : br_rules_lhs(r, k, &sz);
        push_json_labels(L, b, it, sz);
        lua_rawseti(L, -2, k + 1);
      }
      replace_column(L, side ? "rhs" : "lhs");
    }
  } else {
    void **slot = luaL_checkudata(L, 1, LBR_ITEMSETS_MT);
    if (!*slot) return luaL_argerror(L, 1, "object has been closed");
    const br_itemsets *s = *slot;
    b = itemsets_parent(L, 1);
    int64_t n = br_itemsets_count(s);
    lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
    for (int64_t k = 0; k < n; k++) {
      int sz;
      const int32_t *it = br_itemsets_items(s, k, &sz);
      push_json_labels(L, b, it, sz);
      lua_rawseti(L, -2, k + 1);
    }
    replace_column(L, "items");
  }
  lua_getfield(L, -1, "write_csv");
  lua_pushvalue(L, -2);
  lua_pushstring(L, path);
  lua_call(L, 2, 0);
  lua_settop(L, 1);
  return 1;
}

/* rules:plot(path, opts): the chart lives in Lua (bundle.plot.rules);
 * this method only forwards to it, so the C side draws nothing. */
static int rules_plot(lua_State *L) {
  luaL_checkudata(L, 1, LBR_RULES_MT);
  int n = lua_gettop(L);
  /* the loaded module first (require "bundle" loads it), so a script that
   * shadows `require` still plots */
  luaL_getsubtable(L, LUA_REGISTRYINDEX, LUA_LOADED_TABLE);
  if (lua_getfield(L, -1, "bundle.plot") != LUA_TTABLE) {
    lua_pop(L, 2);
    lua_getglobal(L, "require");
    lua_pushliteral(L, "bundle.plot");
    lua_call(L, 1, 1);
  } else {
    lua_remove(L, -2);
  }
  lua_getfield(L, -1, "rules");
  lua_remove(L, -2);
  lua_insert(L, 1); /* [rules fn args...] -> [fn rules args...] */
  lua_call(L, n, 1);
  return 1;
}

/* Adds `fns` to the methods table of class mt, and `meta` to mt itself. */
static void extend_class(lua_State *L, const char *mt, const luaL_Reg *fns, const luaL_Reg *meta) {
  luaL_getmetatable(L, mt);
  if (meta) luaL_setfuncs(L, meta, 0);
  if (fns) {
    lua_getfield(L, -1, "__index");
    luaL_setfuncs(L, fns, 0);
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
}

void lbr_rules_open(lua_State *L) {
  static const luaL_Reg rm[] = {{"sort", rules_sort}, {"head", rules_head}, {"filter", rules_filter},
                                {"lhs_has", rules_lhs_has}, {"rhs_has", rules_rhs_has},
                                {"prune_redundant", rules_prune_redundant}, {"match", rules_match}, {"plot", rules_plot},
                                {"write_csv", sets_write_csv}, {NULL, NULL}};
  static const luaL_Reg im[] = {{"write_csv", sets_write_csv}, {NULL, NULL}};
  static const luaL_Reg rmeta[] = {{"__tostring", rules_tostring}, {NULL, NULL}};
  static const luaL_Reg imeta[] = {{"__tostring", itemsets_tostring}, {NULL, NULL}};
  static const luaL_Reg bmeta[] = {{"__tostring", baskets_tostring}, {NULL, NULL}};
  static const luaL_Reg cmeta[] = {{"__tostring", catalog_tostring}, {NULL, NULL}};
  static const luaL_Reg smeta[] = {{"__tostring", result_tostring}, {NULL, NULL}};
  /* Once per Lua state: a second open (require after package.loaded was
   * cleared) finds the classes already extended, __index a function. */
  luaL_getmetatable(L, LBR_RULES_MT);
  int done = lua_getfield(L, -1, "__index") == LUA_TFUNCTION;
  lua_pop(L, 2);
  if (done) return;
  extend_class(L, LBR_RULES_MT, rm, rmeta);
  extend_class(L, LBR_ITEMSETS_MT, im, imeta);
  extend_class(L, LBR_BASKETS_MT, NULL, bmeta);
  extend_class(L, LBR_CATALOG_MT, NULL, cmeta);
  extend_class(L, LBR_RESULT_MT, NULL, smeta);
  /* SearchResult:size, documented beside #result: the same count */
  luaL_getmetatable(L, LBR_RESULT_MT);
  lua_getfield(L, -1, "__index");
  lua_getfield(L, -2, "__len");
  lua_setfield(L, -2, "size");
  lua_pop(L, 2);
  /* Rules index by integer as well as by method name (see rules_index) */
  luaL_getmetatable(L, LBR_RULES_MT);
  lua_getfield(L, -1, "__index");
  lua_pushcclosure(L, rules_index, 1);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
}
