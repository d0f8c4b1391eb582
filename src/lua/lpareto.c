/* bundle.pareto: front (with crowding distances) and hypervolume over
 * points given as an n x d tensor or a list of {a, b, ...} (maximised). */
#include <stdlib.h>
#include <string.h>

#include "lbundle.h"

/* Points at idx as a contiguous n x d double array in a userdata. */
static double *read_points(lua_State *L, int idx, const char *fn, int64_t *n, int *d) {
  br_tensor *t = lbr_tensor_test(L, idx);
  if (t) {
    if (br_tensor_ndim(t) != 2) lbr_errorf(L, "%s: points must be an n x d tensor", fn);
    *n = br_tensor_shape(t)[0];
    *d = (int)br_tensor_shape(t)[1];
    if (*n > 0 && *d < 1) lbr_errorf(L, "%s: the points have no scores (an n x 0 tensor)", fn);
    br_tensor **slot = lbr_tensor_push_slot(L);
    if (br_tensor_contiguous(slot, t) != BR_OK) lbr_error(L);
    return br_tensor_data(*slot);
  }
  luaL_checktype(L, idx, LUA_TTABLE);
  *n = (int64_t)luaL_len(L, idx);
  *d = 0;
  if (*n > 0) {
    lua_geti(L, idx, 1);
    if (!lua_istable(L, -1)) lbr_errorf(L, "%s: point 1 must be a list of scores", fn);
    *d = (int)luaL_len(L, -1);
    lua_pop(L, 1);
    /* an empty first point would leave the core reading scores that are not
     * there (found by fuzz_lua) */
    if (*d < 1) lbr_errorf(L, "%s: point 1 has no scores (each point is a list of one or more)", fn);
  }
  double *p = lua_newuserdatauv(L, (size_t)(*n * *d > 0 ? *n * *d : 1) * sizeof *p, 0);
  for (int64_t i = 0; i < *n; i++) {
    lua_geti(L, idx, i + 1);
    if (!lua_istable(L, -1) || luaL_len(L, -1) != *d)
      lbr_errorf(L, "%s: point %lld must be a list of %d scores", fn, (long long)i + 1, *d);
    for (int k = 0; k < *d; k++) {
      lua_geti(L, -1, k + 1);
      if (lua_type(L, -1) != LUA_TNUMBER) lbr_errorf(L, "%s: score %d of point %lld is not a number", fn, k + 1, (long long)i + 1);
      p[i * *d + k] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  return p;
}

/* front(points) -> { indices (1-based) }, { crowding distances } */
static int pareto_front(lua_State *L) {
  int64_t n;
  int d;
  double *p = read_points(L, 1, "front", &n, &d);
  int64_t *idx, m;
  void **box = lbr_out_box(L);
  /* no points: an empty front (the core wants d >= 1, which points with
   * scores always have: read_points rejects points without any) */
  if (br_pareto_front(&idx, &m, p, n, n > 0 ? d : 1) != BR_OK) return lbr_error(L);
  *box = idx;
  double *dist = lua_newuserdatauv(L, (size_t)(m > 0 ? m : 1) * sizeof *dist, 0);
  br_pareto_crowding(dist, p, idx, m, d);
  lua_createtable(L, (int)m, 0);
  lua_createtable(L, (int)m, 0);
  for (int64_t i = 0; i < m; i++) {
    lua_pushinteger(L, idx[i] + 1);
    lua_rawseti(L, -3, i + 1);
    lua_pushnumber(L, dist[i]);
    lua_rawseti(L, -2, i + 1);
  }
  lbr_out_free(box);
  return 2;
}

static int pareto_hypervolume(lua_State *L) {
  int64_t n, nr;
  int d, dr;
  double *p = read_points(L, 1, "hypervolume", &n, &d);
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_newtable(L); /* wrap ref as one point */
  lua_pushvalue(L, 2);
  lua_rawseti(L, -2, 1);
  double *ref = read_points(L, lua_gettop(L), "hypervolume (ref)", &nr, &dr);
  if (n > 0 && dr != d) return lbr_errorf(L, "hypervolume: ref has %d scores, the points %d", dr, d);
  double v;
  if (br_hypervolume(&v, p, n, n > 0 ? d : dr, ref) != BR_OK) return lbr_error(L);
  lua_pushnumber(L, v);
  return 1;
}

void lbr_pareto_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"front", pareto_front}, {"hypervolume", pareto_hypervolume}, {NULL, NULL}};
  lua_newtable(L);
  luaL_setfuncs(L, fns, 0);
  lua_setfield(L, -2, "pareto");
}
