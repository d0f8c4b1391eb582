/* bundle.core.als: implicit-feedback matrix factorisation (bundle/recommend.h)
 * from ids given as tensors or lists; recommend.lua composes it. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbundle.h"

/* als(rows, cols, {values =, nrows =, ncols =, factors =, l2 =, alpha =,
 * iterations =, seed =}) -> U, V, losses. rows and cols are tensors (or
 * lists) of 1-based ids, one entry per observation; repeats add up. */
static const char *const als_options[] = {"values", "nrows", "ncols", "factors", "l2", "alpha", "iterations", "seed",
                                          NULL};

static int cmp_entry(const void *pa, const void *pb) {
  const int64_t *a = pa, *b = pb;
  int by_row = (a[0] > b[0]) - (a[0] < b[0]);
  return by_row ? by_row : (a[1] > b[1]) - (a[1] < b[1]);
}

static double read_value(lua_State *L, int idx, br_tensor *t, int64_t i) {
  if (t) return br_tensor_data(t)[i];
  lua_geti(L, idx, i + 1);
  int ok;
  double v = lua_tonumberx(L, -1, &ok);
  lua_pop(L, 1);
  return ok ? v : NAN;
}

static int eval_als(lua_State *L) {
  lua_settop(L, 3); /* absent arguments stay nil below what we push */
  lbr_check_options(L, 3, "als", als_options);
  br_tensor *rt = NULL, *ct = NULL, *vt = NULL;
  int64_t n;
  /* contiguous copies keep reading simple (owned by tensor slots on the stack) */
  for (int a = 1; a <= 2; a++) {
    br_tensor *t = lbr_tensor_test(L, a);
    if (!t && !lua_istable(L, a)) luaL_argerror(L, a, "ids must be a tensor or a list of 1-based ids");
    if (t) {
      br_tensor **slot = lbr_tensor_push_slot(L);
      if (br_tensor_contiguous(slot, t) != BR_OK) return lbr_error(L);
      lua_replace(L, a);
      if (a == 1) rt = *slot;
      else ct = *slot;
    }
  }
  n = rt ? br_tensor_numel(rt) : (int64_t)luaL_len(L, 1);
  if ((ct ? br_tensor_numel(ct) : (int64_t)luaL_len(L, 2)) != n)
    return luaL_error(L, "als: rows and cols must have the same length");
  int have_vals = !lua_isnoneornil(L, 3) && lua_getfield(L, 3, "values") != LUA_TNIL;
  int vidx = 0;
  if (have_vals) {
    vt = lbr_tensor_test(L, -1);
    if (vt) {
      br_tensor **slot = lbr_tensor_push_slot(L);
      if (br_tensor_contiguous(slot, vt) != BR_OK) return lbr_error(L);
      vt = *slot;
    } else if (!lua_istable(L, -1)) return luaL_error(L, "als: option 'values' must be a tensor or list");
    vidx = lua_gettop(L);
    if ((vt ? br_tensor_numel(vt) : (int64_t)luaL_len(L, vidx)) != n)
      return luaL_error(L, "als: values must have one entry per observation");
  }
  br_als_options o;
  br_als_options_init(&o);
  o.factors = lbr_opt_int(L, 3, "als", "factors", o.factors);
  o.iterations = lbr_opt_int(L, 3, "als", "iterations", o.iterations);
  o.seed = (uint64_t)lbr_opt_integer(L, 3, "als", "seed", 1);
  if (!lua_isnoneornil(L, 3)) {
    if (lua_getfield(L, 3, "l2") != LUA_TNIL) o.l2 = luaL_checknumber(L, -1);
    if (lua_getfield(L, 3, "alpha") != LUA_TNIL) o.alpha = luaL_checknumber(L, -1);
    lua_pop(L, 2);
  }
  if (o.iterations < 1 || o.iterations > 1000) return luaL_error(L, "als: iterations must be 1..1000");
  /* (row, col, value bits) triples, sorted, repeats merged */
  int64_t *e = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * 3 * sizeof *e, 0);
  int64_t nrows = 0, ncols = 0;
  for (int64_t i = 0; i < n; i++) {
    double r = read_value(L, 1, rt, i), c = read_value(L, 2, ct, i);
    double v = have_vals ? read_value(L, vidx, vt, i) : 1.0;
    if (!(r >= 1 && r <= INT32_MAX && r == floor(r)) || !(c >= 1 && c <= INT32_MAX && c == floor(c)))
      return lbr_errorf(L, "als: observation %lld has ids (%g, %g); ids must be integers >= 1", (long long)i + 1, r, c);
    if (!(v >= 0) || !isfinite(v))
      return lbr_errorf(L, "als: observation %lld has value %g; values must be finite and >= 0", (long long)i + 1, v);
    e[3 * i] = (int64_t)r - 1;
    e[3 * i + 1] = (int64_t)c - 1;
    memcpy(&e[3 * i + 2], &v, sizeof v);
    if ((int64_t)r > nrows) nrows = (int64_t)r;
    if ((int64_t)c > ncols) ncols = (int64_t)c;
  }
  lua_Integer want_r = lbr_opt_integer(L, 3, "als", "nrows", nrows), want_c = lbr_opt_integer(L, 3, "als", "ncols", ncols);
  if (want_r < nrows || want_c < ncols)
    return lbr_errorf(L, "als: nrows/ncols (%lld, %lld) are below the largest ids (%lld, %lld)", (long long)want_r,
                      (long long)want_c, (long long)nrows, (long long)ncols);
  nrows = want_r;
  ncols = want_c;
  if (nrows < 1 || ncols < 1) return luaL_error(L, "als: no observations");
  qsort(e, (size_t)n, 3 * sizeof *e, cmp_entry);
  int64_t *off = lua_newuserdatauv(L, (size_t)(nrows + 1) * sizeof *off, 0);
  int32_t *idx = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *idx, 0);
  double *val = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *val, 0);
  double *loss = lua_newuserdatauv(L, (size_t)o.iterations * sizeof *loss, 0);
  memset(off, 0, (size_t)(nrows + 1) * sizeof *off);
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++) {
    double v;
    memcpy(&v, &e[3 * i + 2], sizeof v);
    if (m > 0 && i > 0 && e[3 * i] == e[3 * (i - 1)] && e[3 * i + 1] == e[3 * (i - 1) + 1]) {
      val[m - 1] += v;
      continue;
    }
    idx[m] = (int32_t)e[3 * i + 1];
    val[m++] = v;
    off[e[3 * i] + 1]++;
  }
  for (int64_t r = 0; r < nrows; r++) off[r + 1] += off[r];
  o.loss = loss;
  double *U = NULL, *V = NULL;
  void **ubox = lbr_out_box(L), **vbox = lbr_out_box(L);
  if (br_als_fit(&U, &V, nrows, ncols, off, idx, val, &o) != BR_OK) return lbr_error(L);
  *ubox = U, *vbox = V;
  int64_t us[2] = {nrows, o.factors}, vs[2] = {ncols, o.factors};
  br_tensor **su = lbr_tensor_push_slot(L);
  br_tensor **sv = lbr_tensor_push_slot(L);
  if (br_tensor_zeros(su, 2, us) != BR_OK || br_tensor_zeros(sv, 2, vs) != BR_OK) return lbr_error(L);
  memcpy(br_tensor_data(*su), U, (size_t)(nrows * o.factors) * sizeof *U);
  memcpy(br_tensor_data(*sv), V, (size_t)(ncols * o.factors) * sizeof *V);
  lbr_out_free(ubox);
  lbr_out_free(vbox);
  lbr_tensor_account(L, *su);
  lbr_tensor_account(L, *sv);
  lua_createtable(L, o.iterations, 0);
  for (int i = 0; i < o.iterations; i++) {
    lua_pushnumber(L, loss[i]);
    lua_seti(L, -2, i + 1);
  }
  return 3;
}

void lbr_als_open(lua_State *L) {
  lua_pushcfunction(L, eval_als);
  lua_setfield(L, -2, "als");
}
