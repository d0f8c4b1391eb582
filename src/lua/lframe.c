/* bundle.read_csv and bundle.Frame: thin bindings over bundle/frame.h
 * (Column is in lcolumn.c, group_by in lgroup.c). Masks are 0/1 tensors, so they combine with tensor ops
 * (mask:and_(m), mask:sum()). Row indices are 1-based here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lframe.h"


/* ---- userdata ---- */

br_frame **lbr_frame_push_slot(lua_State *L) {
  br_frame **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, LBR_FRAME_MT);
  return slot;
}

br_frame *lbr_frame_check(lua_State *L, int idx) {
  br_frame **slot = luaL_checkudata(L, idx, LBR_FRAME_MT);
  if (!*slot) luaL_argerror(L, idx, "frame has been closed");
  return *slot;
}

br_frame *lbr_frame_test(lua_State *L, int idx) {
  br_frame **slot = luaL_testudata(L, idx, LBR_FRAME_MT);
  return slot ? *slot : NULL;
}

static int frame_gc(lua_State *L) {
  br_frame **slot = luaL_checkudata(L, 1, LBR_FRAME_MT);
  lbr_check_unpinned(L, 1, "Frame");
  br_frame_free(*slot); /* columns are shared by reference count with Columns and other frames */
  *slot = NULL;
  return 0;
}

/* ---- argument helpers ---- */

/* A string or a list of strings at idx, as a userdata-backed array (so an
 * error while reading leaks nothing). Returns the count; [.. names_ud]. */
int lbr_read_names(lua_State *L, int idx, const char *fn, const char *what,
                      const char ***out) {
  if (lua_type(L, idx) == LUA_TSTRING) {
    const char **v = lua_newuserdatauv(L, sizeof *v, 1);
    lua_pushvalue(L, idx);
    lua_setiuservalue(L, -2, 1); /* keep the string alive */
    v[0] = lua_tostring(L, idx);
    *out = v;
    return 1;
  }
  if (!lua_istable(L, idx))
    return lbr_errorf(L, "%s: %s must be a name or a list of names, got %s", fn, what,
                      luaL_typename(L, idx));
  int n = (int)luaL_len(L, idx);
  const char **v = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *v, 1);
  lua_pushvalue(L, idx); /* the table keeps the strings alive */
  lua_setiuservalue(L, -2, 1);
  for (int i = 1; i <= n; i++) {
    lua_geti(L, idx, i);
    if (lua_type(L, -1) != LUA_TSTRING)
      return lbr_errorf(L, "%s: %s[%d] must be a string, got %s", fn, what, i,
                        luaL_typename(L, -1));
    v[i - 1] = lua_tostring(L, -1);
    lua_pop(L, 1);
  }
  *out = v;
  return n;
}

/* A 1-d mask tensor of length n at idx. */
const double *lbr_check_mask(lua_State *L, int idx, int64_t n, const char *fn,
                                br_tensor **contig) {
  br_tensor *m = lbr_tensor_check(L, idx);
  if (br_tensor_ndim(m) != 1 || br_tensor_shape(m)[0] != n)
    lbr_errorf(L, "%s: the mask must be a 1-d tensor of %lld values (one per row)", fn,
               (long long)n);
  br_tensor **slot = lbr_tensor_push_slot(L); /* holds a contiguous copy if needed */
  if (br_tensor_contiguous(slot, m) != BR_OK) lbr_error(L);
  *contig = *slot;
  return br_tensor_data(*slot);
}

/* ---- read_csv ---- */

static const char *const csv_options[] = {"sep", "quote", "columns", "limit", "na", "types",
                                          "on_bad_row", "max_field", "threads", "time_format",
                                          "day_first", "range", "decimal", NULL};

/* time_format = "%d/%m/%Y", day_first = true from the options at idx (the
 * format string stays alive in the options table). */
void lbr_read_time_format(lua_State *L, int idx, const char *fn, br_time_format *tf) {
  tf->format = NULL;
  tf->day_first = 0;
  if (lua_isnoneornil(L, idx)) return;
  lua_getfield(L, idx, "time_format");
  if (!lua_isnil(L, -1)) {
    if (lua_type(L, -1) != LUA_TSTRING)
      lbr_errorf(L, "%s: option 'time_format' must be a string such as \"%%d/%%m/%%Y %%H:%%M\", got %s", fn,
                 luaL_typename(L, -1));
    tf->format = lua_tostring(L, -1);
  }
  lua_pop(L, 1);
  tf->day_first = lbr_opt_boolean(L, idx, fn, "day_first", 0);
  if (br_time_format_check(tf) != BR_OK) lbr_errorf(L, "%s: %s", fn, br_last_error());
}

static char single_char(lua_State *L, int opts, const char *fn, const char *key, char dflt) {
  lua_getfield(L, opts, key);
  char c = dflt;
  if (!lua_isnil(L, -1)) {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (!s || len != 1)
      lbr_errorf(L, "%s: option '%s' must be one character (e.g. \",\", \";\", \"\\t\", \"|\")", fn, key);
    c = s[0];
  }
  lua_pop(L, 1);
  return c;
}

/* Reads read_csv's options from the table at opts into o (strings stay
 * alive in the table; arrays in userdata pushed on the stack). */
void lbr_csv_options(lua_State *L, int opts, const char *fn, br_csv_options *o) {
  br_csv_options_init(o);
  if (lua_isnoneornil(L, opts)) return;
  o->sep = single_char(L, opts, fn, "sep", ',');
  o->quote = single_char(L, opts, fn, "quote", '"');
  o->decimal = single_char(L, opts, fn, "decimal", '.');
  if (o->decimal != '.' && o->decimal != ',')
    lbr_errorf(L, "%s: option 'decimal' must be \".\" or \",\" (the mark before a number's fraction)", fn);
  o->limit = lbr_opt_integer(L, opts, fn, "limit", -1);
  if (o->limit < -1) lbr_errorf(L, "%s: option 'limit' must not be negative", fn);
  lua_Integer mf = lbr_opt_integer(L, opts, fn, "max_field", 0);
  if (mf < 0) lbr_errorf(L, "%s: option 'max_field' must not be negative", fn);
  o->max_field = (size_t)mf;
  lua_Integer th = lbr_opt_integer(L, opts, fn, "threads", 0);
  if (th < 0) lbr_errorf(L, "%s: option 'threads' must not be negative", fn);
  o->threads = (int)th;
  lua_getfield(L, opts, "columns");
  if (!lua_isnil(L, -1)) o->ncolumns = lbr_read_names(L, lua_gettop(L), fn, "columns", (const char ***)&o->columns);
  lua_getfield(L, opts, "na");
  if (!lua_isnil(L, -1)) o->nna = lbr_read_names(L, lua_gettop(L), fn, "na", (const char ***)&o->na);
  static const char *const on_bad_row[] = {"error", "skip", NULL};
  o->skip_bad_rows = lbr_opt_enum(L, opts, fn, "on_bad_row", "error", on_bad_row) == 1;
  lbr_read_time_format(L, opts, fn, &o->time);
  if (lua_getfield(L, opts, "range") != LUA_TNIL) { /* { first byte, end byte }: a share of the file */
    int ok = lua_istable(L, -1);
    lua_Integer b = ok ? (lua_rawgeti(L, -1, 1), lua_tointeger(L, -1)) : (lua_pushnil(L), 0);
    lua_Integer e = ok ? (lua_rawgeti(L, -2, 2), lua_tointeger(L, -1)) : (lua_pushnil(L), 0);
    if (!ok || !lua_isinteger(L, -2) || !lua_isinteger(L, -1) || b < 0 || e <= b)
      lbr_errorf(L, "%s: option 'range' must be { begin, end } byte offsets with 0 <= begin < end", fn);
    o->range_begin = b;
    o->range_end = e;
    lua_pop(L, 2);
  }
  lua_pop(L, 1);
  lua_getfield(L, opts, "types");
  if (!lua_isnil(L, -1)) {
    int t = lua_gettop(L);
    if (!lua_istable(L, t)) lbr_errorf(L, "%s: option 'types' must be a table { column = \"type\" }", fn);
    int n = 0;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) n++;
    const char **cols = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *cols, 0);
    br_dtype *types = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *types, 0);
    int i = 0;
    for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
      if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
        lbr_errorf(L, "%s: types must map column names to type names", fn);
      cols[i] = lua_tostring(L, -2); /* kept alive by the options table */
      if (br_dtype_parse(&types[i], lua_tostring(L, -1)) != BR_OK)
        lbr_errorf(L, "%s: types.%s: %s", fn, cols[i], br_last_error());
      i++;
    }
    o->type_columns = cols;
    o->types = types;
    o->ntypes = n;
  }
}


static int bundle_read_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lbr_check_path(L, "read_csv", path, 0);
  int opts = 2;
  lbr_check_options(L, opts, "read_csv", csv_options);
  br_csv_options o;
  lbr_csv_options(L, opts, "read_csv", &o);
  br_csv_report rep;
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_frame_read_csv(slot, path, &o, &rep) != BR_OK) return lbr_error(L);
  /* Skipped rows are said aloud, never dropped silently. */
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, rep.rows);
  lua_setfield(L, -2, "rows");
  lua_pushinteger(L, rep.skipped);
  lua_setfield(L, -2, "skipped");
  lua_newtable(L);
  int shown = rep.skipped < BR_CSV_REPORT_LINES ? (int)rep.skipped : BR_CSV_REPORT_LINES;
  for (int i = 0; i < shown; i++) {
    lua_pushinteger(L, rep.skipped_lines[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lua_setfield(L, -2, "skipped_lines");
  /* day_first on dates whose days are all <= 12: said once per column */
  lua_newtable(L);
  for (int i = 0; i < rep.day_first_unchecked && i < BR_CSV_REPORT_LINES; i++) {
    const char *name = br_frame_name(*slot, rep.day_first_columns[i]);
    lua_pushstring(L, name);
    lua_rawseti(L, -2, i + 1);
    lua_writestringerror("read_csv: %s: ", path);
    lua_writestringerror("column '%s' was read day-first, but no day in it is over 12, so the data cannot tell "
                         "D/M from M/D: check that its dates are day-first\n", name);
  }
  lua_setfield(L, -2, "day_first_unchecked");
  if (rep.skipped > 0) {
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    char head[256];
    snprintf(head, sizeof head, "read_csv: %s: skipped %lld bad row%s (line%s", path,
             (long long)rep.skipped, rep.skipped == 1 ? "" : "s", rep.skipped == 1 ? "" : "s");
    luaL_addstring(&b, head);
    for (int i = 0; i < shown; i++) {
      snprintf(head, sizeof head, "%s %lld", i ? "," : "", (long long)rep.skipped_lines[i]);
      luaL_addstring(&b, head);
    }
    luaL_addstring(&b, rep.skipped > shown ? ", ...)\n" : ")\n");
    luaL_pushresult(&b);
    lua_writestringerror("%s", lua_tostring(L, -1));
    lua_pop(L, 1);
  }
  return 2; /* frame, report */
}

/* ---- frame: shape and preview ---- */

static int frame_nrows(lua_State *L) {
  lua_pushinteger(L, br_frame_nrows(lbr_frame_check(L, 1)));
  return 1;
}

static int frame_ncols(lua_State *L) {
  lua_pushinteger(L, br_frame_ncols(lbr_frame_check(L, 1)));
  return 1;
}

static int frame_names(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  lua_createtable(L, br_frame_ncols(f), 0);
  for (int i = 0; i < br_frame_ncols(f); i++) {
    lua_pushstring(L, br_frame_name(f, i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int frame_types(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  lua_createtable(L, 0, br_frame_ncols(f));
  for (int i = 0; i < br_frame_ncols(f); i++) {
    lua_pushstring(L, br_dtype_name(br_column_type(br_frame_column(f, i))));
    lua_setfield(L, -2, br_frame_name(f, i));
  }
  return 1;
}

static int frame_tostring(lua_State *L) {
  br_frame **slot = luaL_checkudata(L, 1, LBR_FRAME_MT);
  if (!*slot) {
    lua_pushliteral(L, "bundle.Frame (closed)");
    return 1;
  }
  size_t n = br_frame_preview(NULL, 0, *slot);
  char *buf = lua_newuserdatauv(L, n + 1, 0);
  br_frame_preview(buf, n + 1, *slot);
  lua_pushlstring(L, buf, n);
  return 1;
}

static int frame_len(lua_State *L) {
  lua_pushinteger(L, br_frame_nrows(lbr_frame_check(L, 1)));
  return 1;
}

/* ---- frame: columns and derived frames ---- */

/* A time given as a number (epoch seconds) or a date string. */
int64_t lbr_check_time(lua_State *L, int idx, const char *fn) {
  if (lua_type(L, idx) == LUA_TNUMBER) { /* epoch seconds: finite and within +-2^62 (found by fuzz_lua) */
    if (lua_isinteger(L, idx)) return (int64_t)lua_tointeger(L, idx);
    lua_Number t = lua_tonumber(L, idx);
    if (!(t > -4.6e18 && t < 4.6e18)) lbr_errorf(L, "%s: time %g is not a date or a number of seconds", fn, t);
    return (int64_t)t;
  }
  size_t len;
  const char *s = luaL_checklstring(L, idx, &len);
  int64_t t;
  if (br_datetime_parse(&t, s, len) != BR_OK) lbr_errorf(L, "%s: %s", fn, br_last_error());
  return t;
}

/* Raises "fn: no column 'x' (columns: a, b, ...)". */
static int no_such_column(lua_State *L, const br_frame *f, const char *fn, const char *name) {
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  for (int i = 0; i < br_frame_ncols(f); i++) {
    if (i) luaL_addstring(&b, ", ");
    luaL_addstring(&b, br_frame_name(f, i));
  }
  luaL_pushresult(&b);
  return lbr_errorf(L, "%s: no column '%s' (columns: %.400s)", fn, name, lua_tostring(L, -1));
}



static int frame_col(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  const char *name = luaL_checkstring(L, 2);
  int i = br_frame_find(f, name);
  if (i < 0) return no_such_column(L, f, "col", name);
  lbr_column_push(L, br_frame_column(f, i), name);
  return 1;
}

static int frame_head(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  lua_Integer n = luaL_optinteger(L, 2, 10);
  luaL_argcheck(L, n >= 0, 2, "count must not be negative");
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_frame_head(slot, f, n) != BR_OK) return lbr_error(L);
  return 1;
}

static int frame_select(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  lua_settop(L, 2);
  const char **names;
  int n = lbr_read_names(L, 2, "select", "columns", &names);
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_frame_select(slot, f, names, n) != BR_OK) return lbr_error(L);
  return 1;
}

static int frame_filter(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  br_tensor *tmp;
  const double *mask = lbr_check_mask(L, 2, br_frame_nrows(f), "filter", &tmp);
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_frame_filter(slot, f, mask) != BR_OK) return lbr_error(L);
  return 1;
}

static const char *const sort_options[] = {"desc", NULL};

/* sort(by [, {desc = true | {true, false, ...}}]) */
static int frame_sort(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  lua_settop(L, 3); /* [f by opts]: scratch values go above the arguments */
  const char **by;
  int n = lbr_read_names(L, 2, "sort", "by", &by);
  lbr_check_options(L, 3, "sort", sort_options);
  int *desc = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *desc, 0);
  for (int k = 0; k < n; k++) desc[k] = 0;
  if (!lua_isnoneornil(L, 3)) {
    lua_getfield(L, 3, "desc");
    if (lua_isboolean(L, -1)) {
      for (int k = 0; k < n; k++) desc[k] = lua_toboolean(L, -1);
    } else if (lua_istable(L, -1)) {
      for (int k = 0; k < n; k++) {
        lua_geti(L, -1, k + 1);
        desc[k] = lua_toboolean(L, -1);
        lua_pop(L, 1);
      }
    } else if (!lua_isnil(L, -1)) {
      return lbr_errorf(L, "sort: option 'desc' must be a boolean or a list of booleans");
    }
    lua_pop(L, 1);
  }
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_frame_sort(slot, f, by, desc, n) != BR_OK) return lbr_error(L);
  return 1;
}

/* A column from a tensor (f64), a Column, or a Lua list (types inferred:
 * all integers -> i64, numbers -> f64, booleans -> bool, strings -> str;
 * nil entries are nulls). */
static br_column *column_from_value(lua_State *L, int idx, int64_t n, const char *fn) {
  br_column *c = NULL;
  br_status s;
  lcolumn *lc = luaL_testudata(L, idx, LBR_COLUMN_MT);
  br_tensor *t = lbr_tensor_test(L, idx);
  if (lc && lc->c) return br_column_retain(lc->c);
  if (t) {
    if (br_tensor_ndim(t) != 1)
      lbr_errorf(L, "%s: a tensor column must be 1-d, got %d-d", fn, br_tensor_ndim(t));
    br_tensor **slot = lbr_tensor_push_slot(L);
    if (br_tensor_contiguous(slot, t) != BR_OK) lbr_error(L);
    s = br_column_from_f64(&c, br_tensor_shape(t)[0], br_tensor_data(*slot), NULL);
    lua_pop(L, 1);
    if (s != BR_OK) lbr_error(L);
    return c;
  }
  if (!lua_istable(L, idx))
    lbr_errorf(L, "%s: values must be a tensor, a column or a table, got %s", fn, luaL_typename(L, idx));
  int kind = -1; /* 0 int, 1 float, 2 bool, 3 string */
  for (int64_t i = 1; i <= n; i++) {
    int ty = lua_geti(L, idx, i), k = -1;
    if (ty == LUA_TNUMBER) k = lua_isinteger(L, -1) ? 0 : 1;
    else if (ty == LUA_TBOOLEAN) k = 2;
    else if (ty == LUA_TSTRING) k = 3;
    else if (ty != LUA_TNIL) lbr_errorf(L, "%s: value %lld is a %s", fn, (long long)i, lua_typename(L, ty));
    lua_pop(L, 1);
    if (k < 0) continue;
    if (kind < 0 || (kind == 0 && k == 1) || (kind == 1 && k == 0)) kind = (kind == 1 || k == 1) ? 1 : k;
    else if (kind != k) lbr_errorf(L, "%s: value %lld is a %s, earlier values are not", fn, (long long)i,
                                   k == 3 ? "string" : k == 2 ? "boolean" : "number");
  }
  if (kind < 0) kind = 1; /* all nil: a column of nulls */
  size_t w = kind == 3 ? sizeof(char *) + sizeof(size_t) : 8;
  unsigned char *buf = lua_newuserdatauv(L, (size_t)(n ? n : 1) * (w + 1), 0);
  uint8_t *valid = buf + (size_t)(n ? n : 1) * w;
  for (int64_t i = 0; i < n; i++) {
    int ty = lua_geti(L, idx, i + 1); /* popped below; strings stay alive in the table */
    valid[i] = ty != LUA_TNIL;
    if (kind == 0) ((int64_t *)buf)[i] = valid[i] ? lua_tointeger(L, -1) : 0;
    else if (kind == 1) ((double *)buf)[i] = valid[i] ? lua_tonumber(L, -1) : 0;
    else if (kind == 2) ((int64_t *)buf)[i] = valid[i] ? lua_toboolean(L, -1) : 0;
    else {
      const char **strs = (const char **)buf;
      size_t *lens = (size_t *)(buf + (size_t)(n ? n : 1) * sizeof(char *));
      strs[i] = valid[i] ? lua_tolstring(L, -1, &lens[i]) : NULL;
      if (!valid[i]) lens[i] = 0;
    }
    lua_pop(L, 1);
  }
  if (kind == 0) s = br_column_from_i64(&c, BR_DTYPE_I64, n, (int64_t *)buf, valid);
  else if (kind == 1) s = br_column_from_f64(&c, n, (double *)buf, valid);
  else if (kind == 2) {
    uint8_t *b = br_alloc(fn, (size_t)n, 1); /* charged, as every block the core holds */
    if (!b) lbr_error(L);
    for (int64_t i = 0; i < n; i++) b[i] = (uint8_t)((int64_t *)buf)[i];
    s = br_column_from_bool(&c, n, b, valid);
    br_free(b);
  } else {
    s = br_column_from_strings(&c, n, (const char *const *)buf,
                               (const size_t *)(buf + (size_t)(n ? n : 1) * sizeof(char *)));
  }
  lua_pop(L, 1);
  if (s != BR_OK) lbr_error(L);
  return c;
}

static int frame_with_column(lua_State *L) {
  lua_settop(L, 3);
  br_frame *f = lbr_frame_check(L, 1);
  const char *name = luaL_checkstring(L, 2);
  /* the values' __len and __index run Lua while f is held: a close from a
   * coroutine they resume is on a thread the stack check cannot see in a
   * trusted state (fuzz_lua found the use-after-free) */
  lbr_pin(L, 1, "a running Frame:with_column");
  int64_t n = br_frame_nrows(f);
  if (lua_istable(L, 3) && luaL_len(L, 3) > n)
    return lbr_errorf(L, "with_column: %lld values for a frame of %lld rows", (long long)luaL_len(L, 3), (long long)n);
  br_column *c = column_from_value(L, 3, n, "with_column");
  br_frame **slot = lbr_frame_push_slot(L);
  br_status s = br_frame_with_column(slot, f, name, c);
  br_column_release(c);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

/* tensor([names]): all numeric columns when no list is given. */
static int frame_tensor(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  lua_settop(L, 2);
  const char **names = NULL;
  int n = 0;
  if (!lua_isnoneornil(L, 2)) n = lbr_read_names(L, 2, "tensor", "columns", &names);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_frame_tensor(slot, f, names, n) != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  return 1;
}

static const char *const join_options[] = {"on", "how", NULL};

static int frame_join(lua_State *L) {
  br_frame *l = lbr_frame_check(L, 1), *r = lbr_frame_check(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  lbr_check_options(L, 3, "join", join_options);
  lua_getfield(L, 3, "on");
  if (lua_isnil(L, -1)) return lbr_errorf(L, "join: option 'on' (the key column or columns) is required");
  const char **on;
  int non = lbr_read_names(L, lua_gettop(L), "join", "on", &on);
  lua_getfield(L, 3, "how");
  static const char *const hows[] = {"inner", "left", NULL};
  br_join_how h = lbr_check_enum(L, -1, "join", "how", "inner", hows) ? BR_JOIN_LEFT : BR_JOIN_INNER;
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_frame_join(slot, l, r, on, non, h) != BR_OK) return lbr_error(L);
  return 1;
}

/* split_by_time(col, t): rows before t, and rows at or after t (null times
 * go to neither). */
static int frame_split_by_time(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  const char *name = luaL_checkstring(L, 2);
  int64_t t = lbr_check_time(L, 3, "split_by_time");
  int i = br_frame_find(f, name);
  if (i < 0) return no_such_column(L, f, "split_by_time", name);
  const br_column *c = br_frame_column(f, i);
  if (br_column_type(c) == BR_DTYPE_STR)
    return lbr_errorf(L, "split_by_time: column '%s' is str; it needs datetime or numbers", name);
  int64_t n = br_frame_nrows(f);
  br_tensor **mslot = lbr_tensor_push_slot(L);
  if (br_tensor_empty(mslot, 1, &n) != BR_OK) return lbr_error(L);
  double *m = br_tensor_data(*mslot);
  if (br_column_compare_number(m, c, BR_CMP_LT, (double)t) != BR_OK) return lbr_error(L);
  br_frame **train = lbr_frame_push_slot(L);
  if (br_frame_filter(train, f, m) != BR_OK) return lbr_error(L);
  if (br_column_compare_number(m, c, BR_CMP_GE, (double)t) != BR_OK) return lbr_error(L);
  br_frame **test = lbr_frame_push_slot(L);
  if (br_frame_filter(test, f, m) != BR_OK) return lbr_error(L);
  return 2;
}

static const char *const write_options[] = {"sep", NULL};

static int frame_write_csv(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  const char *path = luaL_checkstring(L, 2);
  lbr_check_path(L, "write_csv", path, 1);
  lbr_check_options(L, 3, "write_csv", write_options);
  char sep = lua_isnoneornil(L, 3) ? ',' : single_char(L, 3, "write_csv", "sep", ',');
  if (br_frame_write_csv(f, path, sep) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1;
}

static const char *const combine_options[] = {"sep", NULL};

/* combine(names [, {sep = "|"}]): a str Column of the values joined. */
static int frame_combine(lua_State *L) {
  br_frame *f = lbr_frame_check(L, 1);
  lua_settop(L, 3); /* [f names opts] */
  const char **names;
  int n = lbr_read_names(L, 2, "combine", "columns", &names);
  lbr_check_options(L, 3, "combine", combine_options);
  const char *sep = "|";
  if (!lua_isnil(L, 3)) {
    lua_getfield(L, 3, "sep");
    if (!lua_isnil(L, -1)) {
      if (lua_type(L, -1) != LUA_TSTRING) return lbr_errorf(L, "combine: option 'sep' must be a string");
      sep = lua_tostring(L, -1); /* kept alive by the options table */
    }
    lua_pop(L, 1);
  }
  br_column *c = NULL;
  if (br_frame_combine(&c, f, names, n, sep) != BR_OK) return lbr_error(L);
  luaL_Buffer b; /* the column's name: the names joined by sep */
  luaL_buffinit(L, &b);
  for (int k = 0; k < n; k++) {
    if (k) luaL_addstring(&b, sep);
    luaL_addstring(&b, names[k]);
  }
  luaL_pushresult(&b);
  lbr_column_push(L, c, lua_tostring(L, -1));
  br_column_release(c);
  return 1;
}

/* ---- registration ---- */

static const luaL_Reg frame_methods[] = {
    {"nrows", frame_nrows},     {"ncols", frame_ncols},       {"names", frame_names},
    {"types", frame_types},     {"head", frame_head},         {"col", frame_col},
    {"select", frame_select},   {"filter", frame_filter},     {"sort", frame_sort},
    {"with_column", frame_with_column}, {"tensor", frame_tensor},
    {"group_by", lbr_frame_group_by}, {"join", frame_join},
    {"split_by_time", frame_split_by_time}, {"write_csv", frame_write_csv},
    {"combine", frame_combine}, {"close", frame_gc},
    {NULL, NULL},
};

void lbr_frame_open(lua_State *L) {
  static const luaL_Reg frame_meta[] = {{"__gc", frame_gc}, {"__close", frame_gc}, {"__tostring", frame_tostring},
                                        {"__len", frame_len}, {NULL, NULL}};
  lbr_new_class(L, LBR_FRAME_MT, frame_methods, frame_meta);
  lbr_column_open(L);
  lbr_group_open(L);
  lua_pushcfunction(L, bundle_read_csv);
  lua_setfield(L, -2, "read_csv");
}
