/* Frame:tail, Frame:row and Frame:describe: the first look at a data set.
 * Kept apart from lframe.c, whose object handling they do not change; they
 * read frames through the core's public accessors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lframe.h"


/* tail(n): the last n rows (all when fewer), in order. */
static int frame_tail(lua_State *L) {
  const br_frame *f = lbr_frame_check(L, 1);
  lua_Integer n = luaL_optinteger(L, 2, 6);
  luaL_argcheck(L, n >= 0, 2, "count must not be negative");
  int64_t have = br_frame_nrows(f), k = n < have ? n : have;
  int64_t *rows = lua_newuserdatauv(L, (size_t)(k ? k : 1) * sizeof *rows, 0);
  for (int64_t i = 0; i < k; i++) rows[i] = have - k + i;
  br_frame **slot = lbr_frame_push_slot(L);
  if (br_frame_take(slot, f, rows, k) != BR_OK) return lbr_error(L);
  return 1;
}


static const char *const row_options[] = {"seconds", NULL};

/* row(i [, { seconds = true }]): { column = value } (nulls absent). */
static int frame_row(lua_State *L) {
  const br_frame *f = lbr_frame_check(L, 1);
  lua_Integer i = luaL_checkinteger(L, 2), n = br_frame_nrows(f);
  if (i < 1 || i > n) return lbr_errorf(L, "row: %lld out of range for %lld rows", (long long)i, (long long)n);
  int seconds = 0;
  if (!lua_isnoneornil(L, 3)) {
    lbr_check_options(L, 3, "row", row_options);
    seconds = lbr_opt_boolean(L, 3, "row", "seconds", 0);
  }
  int nc = br_frame_ncols(f);
  lua_createtable(L, 0, nc);
  for (int j = 0; j < nc; j++) {
    lbr_push_cell(L, br_frame_column(f, j), i - 1, seconds);
    lua_setfield(L, -2, br_frame_name(f, j));
  }
  return 1;
}

/* describe(): one row per column: column, type, count (non-null), nulls,
 * mean, sd (sample), min, max (numbers and dates; dates as ISO text in
 * first/last), distinct (strings). What does not apply is null. */
static int frame_describe(lua_State *L) {
  const br_frame *f = lbr_frame_check(L, 1);
  int nc = br_frame_ncols(f);
  int64_t nr = br_frame_nrows(f);
  size_t m = (size_t)(nc ? nc : 1);
  const char **name = lua_newuserdatauv(L, m * sizeof *name, 0), **type = lua_newuserdatauv(L, m * sizeof *type, 0);
  const char **first = lua_newuserdatauv(L, m * sizeof *first, 0), **last = lua_newuserdatauv(L, m * sizeof *last, 0);
  size_t *nlen = lua_newuserdatauv(L, 4 * m * sizeof *nlen, 0);
  int64_t *count = lua_newuserdatauv(L, 3 * m * sizeof *count, 0), *nulls = count + m, *distinct = count + 2 * m;
  double *num = lua_newuserdatauv(L, 4 * m * sizeof *num, 0);
  uint8_t *valid = lua_newuserdatauv(L, 3 * m, 0); /* numbers, distinct, dates */
  char *dates = lua_newuserdatauv(L, 2 * m * 32, 0);
  for (int j = 0; j < nc; j++) {
    const br_column *c = br_frame_column(f, j);
    br_dtype t = br_column_type(c);
    name[j] = br_frame_name(f, j);
    nlen[j] = strlen(name[j]);
    type[j] = br_dtype_name(t);
    nlen[m + j] = strlen(type[j]);
    nulls[j] = br_column_null_count(c);
    count[j] = nr - nulls[j];
    valid[j] = valid[m + j] = valid[2 * m + j] = 0;
    first[j] = last[j] = NULL;
    distinct[j] = 0;
    double *mean = &num[j], *sd = &num[m + j], *lo = &num[2 * m + j], *hi = &num[3 * m + j];
    *mean = *sd = *lo = *hi = NAN;
    if (t == BR_DTYPE_STR) {
      lua_newtable(L); /* the distinct levels used by non-null rows */
      for (int64_t i = 0; i < nr; i++)
        if (!br_column_is_null(c, i)) {
          lua_pushboolean(L, 1);
          lua_rawseti(L, -2, br_column_codes(c)[i] + 1);
        }
      for (lua_pushnil(L); lua_next(L, -2); lua_pop(L, 1)) distinct[j]++;
      lua_pop(L, 1);
      valid[m + j] = 1;
    } else if (t == BR_DTYPE_I64 || t == BR_DTYPE_F64 || t == BR_DTYPE_BOOL || t == BR_DTYPE_DATETIME) {
      /* Welford's running mean and variance: one pass, no cancellation */
      double mu = 0, m2 = 0;
      int64_t k = 0;
      for (int64_t i = 0; i < nr; i++) {
        if (br_column_is_null(c, i)) continue;
        double x = br_column_number(c, i);
        if (isnan(x)) continue;
        k++;
        double d = x - mu;
        mu += d / (double)k;
        m2 += d * (x - mu);
        if (k == 1 || x < *lo) *lo = x;
        if (k == 1 || x > *hi) *hi = x;
      }
      if (k > 0) {
        *mean = mu;
        *sd = k > 1 ? sqrt(m2 / (double)(k - 1)) : NAN;
        if (t == BR_DTYPE_DATETIME) {
          char *a = dates + 64 * j, *b = a + 32;
          int64_t tl = (int64_t)*lo, th = (int64_t)*hi;
          nlen[2 * m + j] = (size_t)br_datetime_format(a, tl, tl % 86400 != 0 || th % 86400 != 0);
          nlen[3 * m + j] = (size_t)br_datetime_format(b, th, tl % 86400 != 0 || th % 86400 != 0);
          first[j] = a;
          last[j] = b;
        } else {
          valid[j] = 1;
        }
      }
    }
  }
  br_column *cols[11] = {NULL};
  const char *names[11] = {"column", "type", "count", "nulls", "mean", "sd", "min", "max", "distinct", "first", "last"};
  br_status s = br_column_from_strings(&cols[0], nc, name, nlen);
  if (s == BR_OK) s = br_column_from_strings(&cols[1], nc, type, nlen + m);
  if (s == BR_OK) s = br_column_from_i64(&cols[2], BR_DTYPE_I64, nc, count, NULL);
  if (s == BR_OK) s = br_column_from_i64(&cols[3], BR_DTYPE_I64, nc, nulls, NULL);
  for (int q = 0; q < 4 && s == BR_OK; q++) s = br_column_from_f64(&cols[4 + q], nc, num + (size_t)q * m, valid);
  if (s == BR_OK) s = br_column_from_i64(&cols[8], BR_DTYPE_I64, nc, distinct, valid + m);
  if (s == BR_OK) s = br_column_from_strings(&cols[9], nc, first, nlen + 2 * m);
  if (s == BR_OK) s = br_column_from_strings(&cols[10], nc, last, nlen + 3 * m);
  br_frame **slot = s == BR_OK ? lbr_frame_push_slot(L) : NULL;
  if (slot) s = br_frame_new(slot, 11, names, cols);
  for (int q = 0; q < 11; q++) br_column_release(cols[q]);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

void lbr_frame_more_open(lua_State *L) {
  static const luaL_Reg fm[] = {{"tail", frame_tail}, {"row", frame_row}, {"describe", frame_describe}, {NULL, NULL}};
  luaL_getmetatable(L, LBR_FRAME_MT);
  lua_getfield(L, -1, "__index");
  luaL_setfuncs(L, fm, 0);
  lua_pop(L, 2);
}
