/* bundle.read_csv, bundle.Frame and bundle.Column: thin bindings over
 * bundle/frame.h. Masks are 0/1 tensors, so they combine with tensor ops
 * (mask:and_(m), mask:sum()). Row indices are 1-based here. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lbundle.h"

#define FRAME_MT "bundle.Frame"
#define COLUMN_MT "bundle.Column"
#define GROUPBY_MT "bundle.GroupBy"

typedef struct lcolumn {
  br_column *c;
  char name[120];
} lcolumn;

/* ---- userdata ---- */

static br_frame **push_frame_slot(lua_State *L) {
  br_frame **slot = lua_newuserdatauv(L, sizeof *slot, 0);
  *slot = NULL;
  luaL_setmetatable(L, FRAME_MT);
  return slot;
}

static br_frame *check_frame(lua_State *L, int idx) {
  br_frame **slot = luaL_checkudata(L, idx, FRAME_MT);
  if (!*slot) luaL_argerror(L, idx, "frame has been closed");
  return *slot;
}

static int frame_gc(lua_State *L) {
  br_frame **slot = luaL_checkudata(L, 1, FRAME_MT);
  lbr_check_unpinned(L, 1, "Frame");
  br_frame_free(*slot); /* columns are shared by reference count with Columns and other frames */
  *slot = NULL;
  return 0;
}

/* Pushes a Column holding a new reference to c. */
static void push_column(lua_State *L, const br_column *c, const char *name) {
  lcolumn *lc = lua_newuserdatauv(L, sizeof *lc, 0);
  lc->c = br_column_retain((br_column *)c);
  snprintf(lc->name, sizeof lc->name, "%s", name ? name : "");
  luaL_setmetatable(L, COLUMN_MT);
}

static lcolumn *check_column(lua_State *L, int idx) {
  lcolumn *lc = luaL_checkudata(L, idx, COLUMN_MT);
  if (!lc->c) luaL_argerror(L, idx, "column has been closed");
  return lc;
}

static int column_gc(lua_State *L) {
  lcolumn *lc = luaL_checkudata(L, 1, COLUMN_MT);
  lbr_check_unpinned(L, 1, "Column");
  br_column_release(lc->c);
  lc->c = NULL;
  return 0;
}

/* ---- argument helpers ---- */

/* A string or a list of strings at idx, as a userdata-backed array (so an
 * error while reading leaks nothing). Returns the count; [.. names_ud]. */
static int read_names(lua_State *L, int idx, const char *fn, const char *what,
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
static const double *check_mask(lua_State *L, int idx, int64_t n, const char *fn,
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
                                          "day_first", NULL};

/* time_format = "%d/%m/%Y", day_first = true from the options at idx (the
 * format string stays alive in the options table). */
static void read_time_format(lua_State *L, int idx, const char *fn, br_time_format *tf) {
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

static char single_char(lua_State *L, int opts, const char *key, char dflt) {
  lua_getfield(L, opts, key);
  char c = dflt;
  if (!lua_isnil(L, -1)) {
    size_t len;
    const char *s = lua_tolstring(L, -1, &len);
    if (!s || len != 1)
      lbr_errorf(L, "read_csv: option '%s' must be one character (e.g. \",\", \";\", \"\\t\", \"|\")", key);
    c = s[0];
  }
  lua_pop(L, 1);
  return c;
}

static int bundle_read_csv(lua_State *L) {
  const char *path = luaL_checkstring(L, 1);
  lbr_check_path(L, "read_csv", path, 0);
  int opts = 2;
  lbr_check_options(L, opts, "read_csv", csv_options);
  br_csv_options o;
  br_csv_options_init(&o);
  int has = !lua_isnoneornil(L, opts);
  if (has) {
    o.sep = single_char(L, opts, "sep", ',');
    o.quote = single_char(L, opts, "quote", '"');
    o.limit = lbr_opt_integer(L, opts, "read_csv", "limit", -1);
    if (o.limit < -1) return lbr_errorf(L, "read_csv: option 'limit' must not be negative");
    lua_Integer mf = lbr_opt_integer(L, opts, "read_csv", "max_field", 0);
    if (mf < 0) return lbr_errorf(L, "read_csv: option 'max_field' must not be negative");
    o.max_field = (size_t)mf;
    lua_Integer th = lbr_opt_integer(L, opts, "read_csv", "threads", 0);
    if (th < 0) return lbr_errorf(L, "read_csv: option 'threads' must not be negative");
    o.threads = (int)th;
    lua_getfield(L, opts, "columns");
    if (!lua_isnil(L, -1)) o.ncolumns = read_names(L, lua_gettop(L), "read_csv", "columns", (const char ***)&o.columns);
    lua_getfield(L, opts, "na");
    if (!lua_isnil(L, -1)) o.nna = read_names(L, lua_gettop(L), "read_csv", "na", (const char ***)&o.na);
    lua_getfield(L, opts, "on_bad_row");
    if (!lua_isnil(L, -1)) {
      const char *v = lua_tostring(L, -1);
      if (!v || (strcmp(v, "error") != 0 && strcmp(v, "skip") != 0))
        return lbr_errorf(L, "read_csv: option 'on_bad_row' must be \"error\" or \"skip\"");
      o.skip_bad_rows = strcmp(v, "skip") == 0;
    }
    read_time_format(L, opts, "read_csv", &o.time);
    lua_getfield(L, opts, "types");
    if (!lua_isnil(L, -1)) {
      int t = lua_gettop(L);
      if (!lua_istable(L, t)) return lbr_errorf(L, "read_csv: option 'types' must be a table { column = \"type\" }");
      int n = 0;
      for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) n++;
      const char **cols = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *cols, 0);
      br_dtype *types = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *types, 0);
      int i = 0;
      for (lua_pushnil(L); lua_next(L, t); lua_pop(L, 1)) {
        if (lua_type(L, -2) != LUA_TSTRING || lua_type(L, -1) != LUA_TSTRING)
          return lbr_errorf(L, "read_csv: types must map column names to type names");
        cols[i] = lua_tostring(L, -2); /* kept alive by the options table */
        if (br_dtype_parse(&types[i], lua_tostring(L, -1)) != BR_OK)
          return lbr_errorf(L, "read_csv: types.%s: %s", cols[i], br_last_error());
        i++;
      }
      o.type_columns = cols;
      o.types = types;
      o.ntypes = n;
    }
  }
  br_csv_report rep;
  br_frame **slot = push_frame_slot(L);
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
  lua_pushinteger(L, br_frame_nrows(check_frame(L, 1)));
  return 1;
}

static int frame_ncols(lua_State *L) {
  lua_pushinteger(L, br_frame_ncols(check_frame(L, 1)));
  return 1;
}

static int frame_names(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  lua_createtable(L, br_frame_ncols(f), 0);
  for (int i = 0; i < br_frame_ncols(f); i++) {
    lua_pushstring(L, br_frame_name(f, i));
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int frame_types(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  lua_createtable(L, 0, br_frame_ncols(f));
  for (int i = 0; i < br_frame_ncols(f); i++) {
    lua_pushstring(L, br_dtype_name(br_column_type(br_frame_column(f, i))));
    lua_setfield(L, -2, br_frame_name(f, i));
  }
  return 1;
}

static int frame_tostring(lua_State *L) {
  br_frame **slot = luaL_checkudata(L, 1, FRAME_MT);
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
  lua_pushinteger(L, br_frame_nrows(check_frame(L, 1)));
  return 1;
}

/* ---- frame: columns and derived frames ---- */

/* A time given as a number (epoch seconds) or a date string. */
static int64_t check_time(lua_State *L, int idx, const char *fn) {
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
  br_frame *f = check_frame(L, 1);
  const char *name = luaL_checkstring(L, 2);
  int i = br_frame_find(f, name);
  if (i < 0) return no_such_column(L, f, "col", name);
  push_column(L, br_frame_column(f, i), name);
  return 1;
}

static int frame_head(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  lua_Integer n = luaL_optinteger(L, 2, 10);
  luaL_argcheck(L, n >= 0, 2, "count must not be negative");
  br_frame **slot = push_frame_slot(L);
  if (br_frame_head(slot, f, n) != BR_OK) return lbr_error(L);
  return 1;
}

static int frame_select(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  lua_settop(L, 2);
  const char **names;
  int n = read_names(L, 2, "select", "columns", &names);
  br_frame **slot = push_frame_slot(L);
  if (br_frame_select(slot, f, names, n) != BR_OK) return lbr_error(L);
  return 1;
}

static int frame_filter(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  br_tensor *tmp;
  const double *mask = check_mask(L, 2, br_frame_nrows(f), "filter", &tmp);
  br_frame **slot = push_frame_slot(L);
  if (br_frame_filter(slot, f, mask) != BR_OK) return lbr_error(L);
  return 1;
}

static const char *const sort_options[] = {"desc", NULL};

/* sort(by [, {desc = true | {true, false, ...}}]) */
static int frame_sort(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  lua_settop(L, 3); /* [f by opts]: scratch values go above the arguments */
  const char **by;
  int n = read_names(L, 2, "sort", "by", &by);
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
  br_frame **slot = push_frame_slot(L);
  if (br_frame_sort(slot, f, by, desc, n) != BR_OK) return lbr_error(L);
  return 1;
}

/* A column from a tensor (f64), a Column, or a Lua list (types inferred:
 * all integers -> i64, numbers -> f64, booleans -> bool, strings -> str;
 * nil entries are nulls). */
static br_column *column_from_value(lua_State *L, int idx, int64_t n, const char *fn) {
  br_column *c = NULL;
  br_status s;
  lcolumn *lc = luaL_testudata(L, idx, COLUMN_MT);
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
    uint8_t *b = malloc((size_t)(n ? n : 1));
    if (!b) lbr_errorf(L, "%s: out of memory", fn);
    for (int64_t i = 0; i < n; i++) b[i] = (uint8_t)((int64_t *)buf)[i];
    s = br_column_from_bool(&c, n, b, valid);
    free(b);
  } else {
    s = br_column_from_strings(&c, n, (const char *const *)buf,
                               (const size_t *)(buf + (size_t)(n ? n : 1) * sizeof(char *)));
  }
  lua_pop(L, 1);
  if (s != BR_OK) lbr_error(L);
  return c;
}

static int frame_with_column(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  const char *name = luaL_checkstring(L, 2);
  int64_t n = br_frame_nrows(f);
  if (lua_istable(L, 3) && luaL_len(L, 3) > n)
    return lbr_errorf(L, "with_column: %lld values for a frame of %lld rows", (long long)luaL_len(L, 3), (long long)n);
  br_column *c = column_from_value(L, 3, n, "with_column");
  br_frame **slot = push_frame_slot(L);
  br_status s = br_frame_with_column(slot, f, name, c);
  br_column_release(c);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

/* tensor([names]): all numeric columns when no list is given. */
static int frame_tensor(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  lua_settop(L, 2);
  const char **names = NULL;
  int n = 0;
  if (!lua_isnoneornil(L, 2)) n = read_names(L, 2, "tensor", "columns", &names);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_frame_tensor(slot, f, names, n) != BR_OK) return lbr_error(L);
  lbr_tensor_account(L, *slot);
  return 1;
}

static const char *const join_options[] = {"on", "how", NULL};

static int frame_join(lua_State *L) {
  br_frame *l = check_frame(L, 1), *r = check_frame(L, 2);
  luaL_checktype(L, 3, LUA_TTABLE);
  lbr_check_options(L, 3, "join", join_options);
  lua_getfield(L, 3, "on");
  if (lua_isnil(L, -1)) return lbr_errorf(L, "join: option 'on' (the key column or columns) is required");
  const char **on;
  int non = read_names(L, lua_gettop(L), "join", "on", &on);
  lua_getfield(L, 3, "how");
  const char *how = lua_isnil(L, -1) ? "inner" : lua_tostring(L, -1);
  br_join_how h;
  if (how && strcmp(how, "inner") == 0) h = BR_JOIN_INNER;
  else if (how && strcmp(how, "left") == 0) h = BR_JOIN_LEFT;
  else return lbr_errorf(L, "join: option 'how' must be \"inner\" or \"left\"");
  br_frame **slot = push_frame_slot(L);
  if (br_frame_join(slot, l, r, on, non, h) != BR_OK) return lbr_error(L);
  return 1;
}

/* split_by_time(col, t): rows before t, and rows at or after t (null times
 * go to neither). */
static int frame_split_by_time(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  const char *name = luaL_checkstring(L, 2);
  int64_t t = check_time(L, 3, "split_by_time");
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
  br_frame **train = push_frame_slot(L);
  if (br_frame_filter(train, f, m) != BR_OK) return lbr_error(L);
  if (br_column_compare_number(m, c, BR_CMP_GE, (double)t) != BR_OK) return lbr_error(L);
  br_frame **test = push_frame_slot(L);
  if (br_frame_filter(test, f, m) != BR_OK) return lbr_error(L);
  return 2;
}

static const char *const write_options[] = {"sep", NULL};

static int frame_write_csv(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  const char *path = luaL_checkstring(L, 2);
  lbr_check_path(L, "write_csv", path, 1);
  lbr_check_options(L, 3, "write_csv", write_options);
  char sep = lua_isnoneornil(L, 3) ? ',' : single_char(L, 3, "sep", ',');
  if (br_frame_write_csv(f, path, sep) != BR_OK) return lbr_error(L);
  lua_settop(L, 1);
  return 1;
}

static const char *const combine_options[] = {"sep", NULL};

/* combine(names [, {sep = "|"}]): a str Column of the values joined. */
static int frame_combine(lua_State *L) {
  br_frame *f = check_frame(L, 1);
  lua_settop(L, 3); /* [f names opts] */
  const char **names;
  int n = read_names(L, 2, "combine", "columns", &names);
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
  push_column(L, c, lua_tostring(L, -1));
  br_column_release(c);
  return 1;
}

/* ---- group-by ---- */

/* group_by(keys) -> a GroupBy: { frame, keys } with :agg{...}. */
static int frame_group_by(lua_State *L) {
  check_frame(L, 1);
  const char **keys;
  read_names(L, 2, "group_by", "keys", &keys);
  lua_pop(L, 1);
  lua_createtable(L, 0, 2);
  lua_pushvalue(L, 1);
  lua_setfield(L, -2, "frame");
  if (lua_type(L, 2) == LUA_TSTRING) {
    lua_createtable(L, 1, 0);
    lua_pushvalue(L, 2);
    lua_rawseti(L, -2, 1);
  } else {
    lua_pushvalue(L, 2);
  }
  lua_setfield(L, -2, "keys");
  luaL_setmetatable(L, GROUPBY_MT);
  return 1;
}

/* agg{ out = "count" | {"op", "column"}, ... }; outputs in name order, so
 * the result does not depend on table iteration order. */
static int groupby_agg(lua_State *L) {
  luaL_checktype(L, 1, LUA_TTABLE); /* a GroupBy: { frame = f, keys = {...} } */
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_getfield(L, 1, "frame");
  br_frame *f = check_frame(L, -1);
  lbr_pin(L, -1, "a running GroupBy:agg"); /* the spec tables' metamethods run Lua */
  lua_getfield(L, 1, "keys");
  const char **keys;
  int nkeys = read_names(L, lua_gettop(L), "group_by", "keys", &keys);
  /* collect and sort the output names */
  lua_newtable(L);
  int names_t = lua_gettop(L), na = 0;
  for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
    if (lua_type(L, -2) != LUA_TSTRING) return lbr_errorf(L, "agg: keys must be output column names");
    lua_pushvalue(L, -2);
    lua_rawseti(L, names_t, ++na);
  }
  lbr_sort_strings(L, names_t); /* not the script's table.sort, which could close f */
  br_agg *aggs = lua_newuserdatauv(L, (size_t)(na ? na : 1) * sizeof *aggs, 0);
  for (int i = 0; i < na; i++) {
    lua_rawgeti(L, names_t, i + 1);
    const char *out = lua_tostring(L, -1);
    lua_gettable(L, 2); /* spec, kept on the stack so its strings live */
    const char *opname = NULL, *col = NULL;
    if (lua_type(L, -1) == LUA_TSTRING) {
      opname = lua_tostring(L, -1);
    } else if (lua_istable(L, -1)) {
      lua_geti(L, -1, 1);
      lua_geti(L, -2, 2);
      opname = lua_tostring(L, -2);
      col = lua_tostring(L, -1);
      if (!opname || (!col && !lua_isnil(L, -1)))
        return lbr_errorf(L, "agg: '%s' must be \"op\" or {\"op\", \"column\"}", out);
    } else {
      return lbr_errorf(L, "agg: '%s' must be \"op\" or {\"op\", \"column\"}", out);
    }
    aggs[i].name = out;
    aggs[i].column = col;
    if (br_agg_op_parse(&aggs[i].op, opname) != BR_OK) return lbr_errorf(L, "agg: '%s': %s", out, br_last_error());
  }
  br_frame **slot = push_frame_slot(L);
  if (br_frame_group_by(slot, f, keys, nkeys, aggs, na) != BR_OK) return lbr_error(L);
  return 1;
}

/* ---- columns ---- */

static int column_tensor(lua_State *L) {
  lcolumn *lc = check_column(L, 1);
  br_tensor **slot = lbr_tensor_push_slot(L);
  if (br_column_tensor(slot, lc->c) != BR_OK) return lbr_errorf(L, "%s ('%s')", br_last_error(), lc->name);
  lbr_tensor_account(L, *slot);
  return 1;
}

static int column_type(lua_State *L) {
  lua_pushstring(L, br_dtype_name(br_column_type(check_column(L, 1)->c)));
  return 1;
}

static int column_name(lua_State *L) {
  lua_pushstring(L, check_column(L, 1)->name);
  return 1;
}

static int column_len(lua_State *L) {
  lua_pushinteger(L, br_column_len(check_column(L, 1)->c));
  return 1;
}

static int column_nulls(lua_State *L) {
  lua_pushinteger(L, br_column_null_count(check_column(L, 1)->c));
  return 1;
}

static const br_column *check_str_column(lua_State *L, const char *fn) {
  lcolumn *lc = check_column(L, 1);
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
  const br_column *c = check_column(L, 1)->c;
  int64_t i = check_row(L, 2, c, "get");
  lbr_check_options(L, 3, "get", get_options);
  lbr_push_cell(L, c, i, lbr_opt_boolean(L, 3, "get", "seconds", 0));
  return 1;
}

static int null_mask(lua_State *L, int want_null) {
  const br_column *c = check_column(L, 1)->c;
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
  const br_column *c = check_column(L, 1)->c;
  lua_pushboolean(L, br_column_is_null(c, check_row(L, 2, c, "isnull")));
  return 1;
}

static int column_notnull(lua_State *L) { return null_mask(L, 0); }

/* Compares the column with a number, a string, or (datetime) a date string. */
static int compare(lua_State *L, br_cmp_op op, const char *fn) {
  lcolumn *lc = check_column(L, 1);
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
    s = br_column_compare_number(m, c, op, (double)check_time(L, 2, fn));
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

/* isin{v1, v2, ...}: rows equal to any of the values. */
static int column_isin(lua_State *L) {
  lcolumn *lc = check_column(L, 1);
  luaL_checktype(L, 2, LUA_TTABLE);
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
    for (lua_Integer k = 1, kn = luaL_len(L, 2); k <= kn; k++) {
      lua_geti(L, 2, k);
      if (lua_type(L, -1) != LUA_TNUMBER) return lbr_errorf(L, "isin: value %d is a %s; column '%s' is %s", (int)k, luaL_typename(L, -1), lc->name, br_dtype_name(br_column_type(c)));
      double v = lua_tonumber(L, -1);
      lua_pop(L, 1);
      for (int64_t i = 0; i < n; i++)
        if (br_column_number(c, i) == v) m[i] = 1;
    }
  }
  lbr_tensor_account(L, *slot);
  return 1;
}

static const char *const to_datetime_options[] = {"time_format", "day_first", NULL};

/* to_datetime([{time_format =, day_first =}]): a datetime Column from text. */
static int column_to_datetime(lua_State *L) {
  lcolumn *lc = check_column(L, 1);
  lua_settop(L, 2);
  lbr_check_options(L, 2, "to_datetime", to_datetime_options);
  br_time_format tf;
  read_time_format(L, 2, "to_datetime", &tf);
  br_column *c = NULL;
  if (br_column_to_datetime(&c, lc->c, &tf) != BR_OK)
    return lbr_errorf(L, "%s (column '%s')", br_last_error(), lc->name);
  push_column(L, c, lc->name);
  br_column_release(c);
  return 1;
}

/* startswith(prefix): rows whose text starts with prefix. */
static int column_startswith(lua_State *L) {
  lcolumn *lc = check_column(L, 1);
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
  lcolumn *lc = check_column(L, 1);
  br_column *u = NULL;
  if (br_column_unique(&u, lc->c) != BR_OK) return lbr_error(L);
  push_column(L, u, lc->name);
  br_column_release(u);
  return 1;
}

static int column_value_counts(lua_State *L) {
  lcolumn *lc = check_column(L, 1);
  br_frame **slot = push_frame_slot(L);
  if (br_column_value_counts(slot, lc->c, lc->name) != BR_OK) return lbr_error(L);
  return 1;
}

static int column_totable(lua_State *L) {
  lcolumn *lc = check_column(L, 1);
  int64_t n = br_column_len(lc->c);
  lua_createtable(L, n > INT32_MAX ? INT32_MAX : (int)n, 0);
  for (int64_t i = 0; i < n; i++) { /* datetimes as seconds: what scripts compute with */
    lbr_push_cell(L, lc->c, i, 1);
    lua_rawseti(L, -2, i + 1);
  }
  return 1;
}

static int column_tostring(lua_State *L) {
  lcolumn *lc = luaL_checkudata(L, 1, COLUMN_MT);
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

/* ---- registration ---- */

static const luaL_Reg frame_methods[] = {
    {"nrows", frame_nrows},     {"ncols", frame_ncols},       {"names", frame_names},
    {"types", frame_types},     {"head", frame_head},         {"col", frame_col},
    {"select", frame_select},   {"filter", frame_filter},     {"sort", frame_sort},
    {"with_column", frame_with_column}, {"tensor", frame_tensor},
    {"group_by", frame_group_by}, {"join", frame_join},
    {"split_by_time", frame_split_by_time}, {"write_csv", frame_write_csv},
    {"combine", frame_combine}, {"close", frame_gc},
    {NULL, NULL},
};

static const luaL_Reg column_methods[] = {
    {"tensor", column_tensor},   {"type", column_type},     {"name", column_name},
    {"nulls", column_nulls},     {"codes", column_codes},   {"levels", column_levels},
    {"get", column_get},         {"isnull", column_isnull}, {"notnull", column_notnull},
    {"eq", column_eq},           {"ne", column_ne},         {"lt", column_lt},
    {"le", column_le},           {"gt", column_gt},         {"ge", column_ge},
    {"isin", column_isin},       {"unique", column_unique}, {"value_counts", column_value_counts},
    {"totable", column_totable}, {"to_datetime", column_to_datetime},
    {"startswith", column_startswith}, {"close", column_gc},
    {NULL, NULL},
};

void lbr_frame_open(lua_State *L) {
  static const luaL_Reg frame_meta[] = {{"__gc", frame_gc}, {"__close", frame_gc}, {"__tostring", frame_tostring},
                                        {"__len", frame_len}, {NULL, NULL}};
  static const luaL_Reg column_meta[] = {{"__gc", column_gc}, {"__close", column_gc}, {"__tostring", column_tostring},
                                         {"__len", column_len}, {NULL, NULL}};
  lbr_new_class(L, FRAME_MT, frame_methods, frame_meta);
  lbr_new_class(L, COLUMN_MT, column_methods, column_meta);
  static const luaL_Reg groupby_methods[] = {{"agg", groupby_agg}, {NULL, NULL}};
  lbr_new_class(L, GROUPBY_MT, groupby_methods, NULL);
  lua_pushcfunction(L, bundle_read_csv);
  lua_setfield(L, -2, "read_csv");
}
