/* bundle.Column: one typed column of a frame, shared by reference count
 * with the frames that hold it. Values, masks (0/1 tensors) from
 * comparisons, and conversions; bundle/frame.h does the work. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lframe.h"

/* Pushes a Column holding a new reference to c. */
void lbr_column_push(lua_State *L, const br_column *c, const char *name) {
  lcolumn *lc = lua_newuserdatauv(L, sizeof *lc, 0);
  lc->c = br_column_retain((br_column *)c);
  snprintf(lc->name, sizeof lc->name, "%s", name ? name : "");
  luaL_setmetatable(L, LBR_COLUMN_MT);
}

lcolumn *lbr_column_check(lua_State *L, int idx) {
  lcolumn *lc = luaL_checkudata(L, idx, LBR_COLUMN_MT);
  if (!lc->c) luaL_argerror(L, idx, "column has been closed");
  return lc;
}

static int column_gc(lua_State *L) {
  lcolumn *lc = luaL_checkudata(L, 1, LBR_COLUMN_MT);
  lbr_check_unpinned(L, 1, "Column");
  br_column_release(lc->c);
  lc->c = NULL;
  return 0;
}

static int column_tensor(lua_State *L) {
  lcolumn *lc = lbr_column_check(L, 1);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_column_tensor(slot, lc->c) != BR_OK) return lbr_errorf(L, "%s ('%s')", br_last_error(), lc->name);
  lbr_tensor_account(L, *slot);
  return 1;
}

static int column_type(lua_State *L) {
  lua_pushstring(L, br_dtype_name(br_column_type(lbr_column_check(L, 1)->c)));
  return 1;
}

static int column_name(lua_State *L) {
  lua_pushstring(L, lbr_column_check(L, 1)->name);
  return 1;
}

static int column_len(lua_State *L) {
  lua_pushinteger(L, br_column_len(lbr_column_check(L, 1)->c));
  return 1;
}

static int column_nulls(lua_State *L) {
  lua_pushinteger(L, br_column_null_count(lbr_column_check(L, 1)->c));
  return 1;
}

static const br_column *check_str_column(lua_State *L, const char *fn) {
  lcolumn *lc = lbr_column_check(L, 1);
  if (br_column_type(lc->c) != BR_DTYPE_STR)
    lbr_errorf(L, "%s: column '%s' is %s, not str", fn, lc->name, br_dtype_name(br_column_type(lc->c)));
  return lc->c;
}

/* codes(): 1-based level numbers as a tensor (0 for nulls). */
static int column_codes(lua_State *L) {
  const br_column *c = check_str_column(L, "codes");
  int64_t n = br_column_len(c);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_empty(slot, 1, &n) != BR_OK) return lbr_error(L);
  double *p = br_tensor_data(*slot);
  const int32_t *codes = br_column_codes(c);
  for (int64_t i = 0; i < n; i++) p[i] = br_column_is_null(c, i) ? 0 : codes[i] + 1;
  lbr_tensor_account(L, *slot);
  return 1;
}

static int column_levels(lua_State *L) {
  const br_column *c = check_str_column(L, "levels");
  int32_t n = br_column_nlevels(c);
  lua_createtable(L, n, 0);
  for (int32_t k = 0; k < n; k++) {
    size_t len;
    const char *s = br_column_level(c, k, &len);
    lua_pushlstring(L, s, len);
    lua_rawseti(L, -2, k + 1);
  }
  return 1;
}

static int64_t check_row(lua_State *L, int idx, const br_column *c, const char *fn) {
  lua_Integer i = luaL_checkinteger(L, idx), n = br_column_len(c);
  lua_Integer j = i < 0 ? i + n + 1 : i;
  if (j < 1 || j > n) lbr_errorf(L, "%s: row %lld out of range for %lld rows", fn, (long long)i, (long long)n);
  return j - 1;
}

/* Pushes row i of c as Lua sees it: nil for a null, a date as ISO text
 * (its seconds with `seconds`), a string, number or boolean. */
void lbr_push_cell(lua_State *L, const br_column *c, int64_t i, int seconds) {
  if (br_column_is_null(c, i)) {
    lua_pushnil(L);
    return;
  }
  switch (br_column_type(c)) {
  case BR_DTYPE_I64: lua_pushinteger(L, br_column_i64(c)[i]); break;
  case BR_DTYPE_DATETIME:
    if (seconds) {
      lua_pushinteger(L, br_column_i64(c)[i]);
    } else {
      char buf[32];
      int64_t t = br_column_i64(c)[i];
      int len = br_datetime_format(buf, t, t % 86400 != 0); /* a day without a time of day is a date */
      lua_pushlstring(L, buf, (size_t)len);
    }
    break;
  case BR_DTYPE_F64: lua_pushnumber(L, br_column_f64(c)[i]); break;
  case BR_DTYPE_BOOL: lua_pushboolean(L, br_column_bool(c)[i]); break;
  case BR_DTYPE_STR: {
    size_t len;
    const char *s = br_column_level(c, br_column_codes(c)[i], &len);
    lua_pushlstring(L, s, len);
    break;
  }
  default: lua_pushnil(L); break;
  }
}

static const char *const get_options[] = {"seconds", NULL};

/* get(i [, { seconds = true }]): the value (nil when null); a datetime as
 * a date, as Frame:row gives it, or its epoch seconds on request. */
static int column_get(lua_State *L) {
  const br_column *c = lbr_column_check(L, 1)->c;
  int64_t i = check_row(L, 2, c, "get");
  lua_settop(L, 3);
  lbr_pin(L, 1, "a running Column:get"); /* the options' metamethods run Lua, which may close the column */
  lbr_check_options(L, 3, "get", get_options);
  lbr_push_cell(L, c, i, lbr_opt_boolean(L, 3, "get", "seconds", 0));
  return 1;
}

static int null_mask(lua_State *L, int want_null) {
  const br_column *c = lbr_column_check(L, 1)->c;
  int64_t n = br_column_len(c);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_empty(slot, 1, &n) != BR_OK) return lbr_error(L);
  br_column_null_mask(br_tensor_data(*slot), c, want_null);
  lbr_tensor_account(L, *slot);
  return 1;
}

/* isnull(i) -> boolean; isnull() -> mask */
static int column_isnull(lua_State *L) {
  if (lua_isnoneornil(L, 2)) return null_mask(L, 1);
  const br_column *c = lbr_column_check(L, 1)->c;
  lua_pushboolean(L, br_column_is_null(c, check_row(L, 2, c, "isnull")));
  return 1;
}

static int column_notnull(lua_State *L) { return null_mask(L, 0); }

/* Compares the column with a number, a string, or (datetime) a date string. */
static int compare(lua_State *L, br_cmp_op op, const char *fn) {
  lcolumn *lc = lbr_column_check(L, 1);
  const br_column *c = lc->c;
  int64_t n = br_column_len(c);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_empty(slot, 1, &n) != BR_OK) return lbr_error(L);
  double *m = br_tensor_data(*slot);
  br_status s;
  if (br_column_type(c) == BR_DTYPE_STR) {
    size_t len;
    if (lua_type(L, 2) != LUA_TSTRING)
      return lbr_errorf(L, "%s: column '%s' is str; compare it with a string, not a %s", fn, lc->name, luaL_typename(L, 2));
    const char *v = lua_tolstring(L, 2, &len);
    s = br_column_compare_str(m, c, op, v, len);
  } else if (br_column_type(c) == BR_DTYPE_DATETIME && lua_type(L, 2) == LUA_TSTRING) {
    s = br_column_compare_number(m, c, op, (double)lbr_check_time(L, 2, fn));
  } else if (lua_type(L, 2) == LUA_TBOOLEAN && br_column_type(c) == BR_DTYPE_BOOL) {
    s = br_column_compare_number(m, c, op, lua_toboolean(L, 2));
  } else {
    if (lua_type(L, 2) != LUA_TNUMBER)
      return lbr_errorf(L, "%s: column '%s' is %s; compare it with a number, not a %s", fn, lc->name,
                        br_dtype_name(br_column_type(c)), luaL_typename(L, 2));
    s = br_column_compare_number(m, c, op, lua_tonumber(L, 2));
  }
  if (s != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  return 1;
}

static int column_eq(lua_State *L) { return compare(L, BR_CMP_EQ, "eq"); }
static int column_ne(lua_State *L) { return compare(L, BR_CMP_NE, "ne"); }
static int column_lt(lua_State *L) { return compare(L, BR_CMP_LT, "lt"); }
static int column_le(lua_State *L) { return compare(L, BR_CMP_LE, "le"); }
static int column_gt(lua_State *L) { return compare(L, BR_CMP_GT, "gt"); }
static int column_ge(lua_State *L) { return compare(L, BR_CMP_GE, "ge"); }

/* doubles in increasing order (no NaN among them) */
static int cmp_number(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* isin{v1, v2, ...}: rows equal to any of the values. */
static int column_isin(lua_State *L) {
  lcolumn *lc = lbr_column_check(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_settop(L, 2);
  lbr_pin(L, 1, "a running Column:isin"); /* the list's __len and __index run Lua, which may close the column */
  const br_column *c = lc->c;
  int64_t n = br_column_len(c);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_zeros(slot, 1, &n) != BR_OK) return lbr_error(L);
  double *m = br_tensor_data(*slot);
  if (br_column_type(c) == BR_DTYPE_STR) {
    /* values -> a per-level flag, then one pass over the codes */
    int32_t nl = br_column_nlevels(c);
    uint8_t *in = lua_newuserdatauv(L, (size_t)(nl ? nl : 1), 0);
    memset(in, 0, (size_t)(nl ? nl : 1));
    for (lua_Integer k = 1, kn = luaL_len(L, 2); k <= kn; k++) {
      lua_geti(L, 2, k);
      size_t len;
      const char *v = lua_tolstring(L, -1, &len);
      if (lua_type(L, -1) != LUA_TSTRING) return lbr_errorf(L, "isin: value %d is a %s; column '%s' is str", (int)k, luaL_typename(L, -1), lc->name);
      int32_t code = br_column_find_level(c, v, len);
      if (code >= 0) in[code] = 1;
      lua_pop(L, 1);
    }
    const int32_t *codes = br_column_codes(c);
    for (int64_t i = 0; i < n; i++) m[i] = !br_column_is_null(c, i) && in[codes[i]];
    lua_pop(L, 1);
  } else {
    /* the values sorted, then a binary search per row: the loop over rows
     * per value it replaces was 4e9 steps (minutes, out of the time
     * limit's reach) for 200,000 values over 20,000 rows. NaN equals
     * nothing, as with ==, so it is left out of the values and its rows
     * match none. The array is a userdata that grows by doubling (an
     * error in the list frees it) */
    int64_t nv = 0, cap = 64;
    int vals_at = lua_gettop(L) + 1;
    double *vals = lua_newuserdatauv(L, (size_t)cap * sizeof *vals, 0);
    for (lua_Integer k = 1, kn = luaL_len(L, 2); k <= kn; k++) {
      lua_geti(L, 2, k);
      if (lua_type(L, -1) != LUA_TNUMBER) return lbr_errorf(L, "isin: value %d is a %s; column '%s' is %s", (int)k, luaL_typename(L, -1), lc->name, br_dtype_name(br_column_type(c)));
      double v = lua_tonumber(L, -1);
      lua_pop(L, 1);
      if (v != v) continue;
      if (nv == cap) {
        double *more = lua_newuserdatauv(L, (size_t)(cap *= 2) * sizeof *vals, 0);
        memcpy(more, vals, (size_t)nv * sizeof *vals);
        lua_replace(L, vals_at);
        vals = more;
      }
      vals[nv++] = v;
    }
    qsort(vals, (size_t)nv, sizeof *vals, cmp_number);
    for (int64_t i = 0; i < n; i++) {
      double x = br_column_number(c, i);
      if (x == x && bsearch(&x, vals, (size_t)nv, sizeof *vals, cmp_number)) m[i] = 1;
    }
    lua_pop(L, 1);
  }
  lbr_tensor_account(L, *slot);
  return 1;
}

static const char *const to_datetime_options[] = {"time_format", "day_first", NULL};

/* to_datetime([{time_format =, day_first =}]): a datetime Column from text. */
static int column_to_datetime(lua_State *L) {
  lcolumn *lc = lbr_column_check(L, 1);
  lua_settop(L, 2);
  lbr_pin(L, 1, "a running Column:to_datetime"); /* the options' metamethods run Lua, which may close the column */
  lbr_check_options(L, 2, "to_datetime", to_datetime_options);
  br_time_format tf;
  lbr_read_time_format(L, 2, "to_datetime", &tf);
  br_column *c = NULL;
  if (br_column_to_datetime(&c, lc->c, &tf) != BR_OK)
    return lbr_errorf(L, "%s (column '%s')", br_last_error(), lc->name);
  lbr_column_push(L, c, lc->name);
  br_column_release(c);
  return 1;
}

static const char *const to_number_options[] = {"decimal", NULL};

/* to_number([{decimal = ","}]): an f64 Column from text of numbers. */
static int column_to_number(lua_State *L) {
  lcolumn *lc = lbr_column_check(L, 1);
  lua_settop(L, 2);
  lbr_pin(L, 1, "a running Column:to_number"); /* the options' metamethods run Lua, which may close the column */
  lbr_check_options(L, 2, "to_number", to_number_options);
  char decimal = '.';
  if (!lua_isnil(L, 2)) {
    lua_getfield(L, 2, "decimal");
    size_t len = 0;
    const char *d = lua_isnil(L, -1) ? "." : lua_tolstring(L, -1, &len);
    if (!d || (strcmp(d, ".") != 0 && strcmp(d, ",") != 0))
      return lbr_errorf(L, "to_number: option 'decimal' must be \".\" or \",\"");
    decimal = d[0];
    lua_pop(L, 1);
  }
  br_column *c = NULL;
  if (br_column_to_number(&c, lc->c, decimal) != BR_OK)
    return lbr_errorf(L, "%s (column '%s')", br_last_error(), lc->name);
  lbr_column_push(L, c, lc->name);
  br_column_release(c);
  return 1;
}

/* startswith(prefix): rows whose text starts with prefix. */
static int column_startswith(lua_State *L) {
  lcolumn *lc = lbr_column_check(L, 1);
  size_t len;
  const char *prefix = luaL_checklstring(L, 2, &len);
  int64_t n = br_column_len(lc->c);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_tensor_empty(slot, 1, &n) != BR_OK) return lbr_error(L);
  if (br_column_prefix_mask(br_tensor_data(*slot), lc->c, prefix, len) != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  return 1;
}

static int column_unique(lua_State *L) {
  lcolumn *lc = lbr_column_check(L, 1);
  br_column *u = NULL;
  if (br_column_unique(&u, lc->c) != BR_OK) return lbr_error(L);
  lbr_column_push(L, u, lc->name);
  br_column_release(u);
  return 1;
}

static int column_value_counts(lua_State *L) {
  lcolumn *lc = lbr_column_check(L, 1);
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_column_value_counts(slot, lc->c, lc->name) != BR_OK) return lbr_error(L);
  return 1;
}

static int column_totable(lua_State *L) {
  lcolumn *lc = lbr_column_check(L, 1);
  int64_t n = br_column_len(lc->c);
  lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
  for (int64_t i = 0; i < n; i++) { /* datetimes as seconds: what scripts compute with */
    lbr_push_cell(L, lc->c, i, 1);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int column_tostring(lua_State *L) {
  lcolumn *lc = luaL_checkudata(L, 1, LBR_COLUMN_MT);
  if (!lc->c) {
    lua_pushliteral(L, "bundle.Column (closed)");
    return 1;
  }
  char cell[64];
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  int64_t n = br_column_len(lc->c);
  lua_pushfstring(L, "bundle.Column '%s' %s, %I rows, %I nulls\n[", lc->name,
                  br_dtype_name(br_column_type(lc->c)), (lua_Integer)n,
                  (lua_Integer)br_column_null_count(lc->c));
  luaL_addvalue(&b);
  for (int64_t i = 0; i < n && i < 8; i++) {
    br_cell_text(cell, 40, lc->c, i);
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, cell);
  }
  luaL_addstring(&b, n > 8 ? ", ...]" : "]");
  luaL_pushresult(&b);
  return 1;
}

static const luaL_Reg column_methods[] = {
    {"tensor", column_tensor},   {"type", column_type},     {"name", column_name},
    {"nulls", column_nulls},     {"codes", column_codes},   {"levels", column_levels},
    {"get", column_get},         {"isnull", column_isnull}, {"notnull", column_notnull},
    {"eq", column_eq},           {"ne", column_ne},         {"lt", column_lt},
    {"le", column_le},           {"gt", column_gt},         {"ge", column_ge},
    {"isin", column_isin},       {"unique", column_unique}, {"value_counts", column_value_counts},
    {"totable", column_totable}, {"to_datetime", column_to_datetime}, {"to_number", column_to_number},
    {"startswith", column_startswith}, {"close", column_gc},
    {NULL, NULL},
};

void lbr_column_open(lua_State *L) {
  static const luaL_Reg column_meta[] = {{"__gc", column_gc}, {"__close", column_gc}, {"__tostring", column_tostring},
                                         {"__len", column_len}, {NULL, NULL}};
  lbr_new_class(L, LBR_COLUMN_MT, column_methods, column_meta);
}
