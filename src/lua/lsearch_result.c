/* Search results: iteration, frames, CSV and Pareto fronts of every
 * scored bundle. */
#include <stdlib.h>
#include <string.h>

#include "lsearch.h"


static br_search_result *check_result(lua_State *L, int idx, const br_catalog **cat) {
  result_box *r = luaL_checkudata(L, idx, LBR_RESULT_MT);
  if (!r->res) luaL_argerror(L, idx, "result has been closed");
  *cat = r->cat; /* the result's own reference: valid after the Catalog's close */
  return r->res;
}

static int result_gc(lua_State *L) {
  result_box *r = luaL_checkudata(L, 1, LBR_RESULT_MT);
  lbr_check_unpinned(L, 1, "SearchResult");
  br_search_result_free(r->res);
  r->res = NULL;
  br_catalog_free(r->cat); /* drops the result's reference */
  r->cat = NULL;
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
  lbr_push_labels(L, lbr_catalog_label, cat, it, n);
  lua_setfield(L, -2, "items");
  int named = 0;
  for (int i = 0; i < n && !named; i++) named = br_catalog_name(cat, it[i], NULL) != NULL;
  if (named) { /* the catalogue's descriptions, where it has them */
    lbr_push_labels(L, lbr_catalog_name_or_label, cat, it, n);
    lua_setfield(L, -2, "names");
  }
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
  void **box = lbr_out_box(L);
  if (br_pareto_front(&idx, &m, p, n, k) != BR_OK) return lbr_error(L);
  *box = idx;
  double *dist = lua_newuserdatauv(L, (size_t)(m > 0 ? m : 1) * sizeof *dist, 0);
  br_pareto_crowding(dist, p, idx, m, k);
  lua_createtable(L, (int)m, 0);
  for (int64_t i = 0; i < m; i++) {
    int sz;
    const int32_t *it = br_search_result_scored_items(r, idx[i], &sz);
    lua_createtable(L, 0, 3);
    lbr_push_labels(L, lbr_catalog_label, cat, it, sz);
    lua_setfield(L, -2, "items");
    push_scores(L, 1, br_search_result_scored_scores(r, idx[i]), nobj);
    lua_setfield(L, -2, "scores");
    lua_pushnumber(L, dist[i]);
    lua_setfield(L, -2, "crowding");
    lua_rawseti(L, -2, i + 1);
  }
  lbr_out_free(box);
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

/* to_frame(): rank, items (joined by "+"), size, score, and each objective's score. */
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
    lbr_push_joined(L, lbr_catalog_label, cat, it, m, '+');
    strs[k] = lua_tolstring(L, -1, &lens[k]);
    lua_rawseti(L, keep, k + 1);
    rank[k] = k + 1;
    rank[n + k] = m;
    score[k] = br_search_result_score(r, k);
  }
  /* with several objectives, one more column per objective's score */
  int nobj = br_search_result_nobjectives(r), extra = nobj > 1 ? nobj : 0, ncol = 4 + extra;
  br_column *cols[4 + BR_MAX_OBJECTIVES] = {NULL};
  const char *names[4 + BR_MAX_OBJECTIVES] = {"rank", "items", "size", "score"};
  br_status s = br_column_from_i64(&cols[0], BR_DTYPE_I64, n, rank, NULL);
  if (s == BR_OK) s = br_column_from_strings(&cols[1], n, strs, lens);
  if (s == BR_OK) s = br_column_from_i64(&cols[2], BR_DTYPE_I64, n, rank + n, NULL);
  if (s == BR_OK) s = br_column_from_f64(&cols[3], n, score, NULL);
  if (extra) lua_getiuservalue(L, 1, 2);
  int onames = lua_gettop(L);
  for (int o = 0; o < extra && s == BR_OK; o++) {
    lua_rawgeti(L, onames, o + 1);
    names[4 + o] = lua_tostring(L, -1); /* kept alive by the names table */
    lua_pop(L, 1);
    for (int64_t k = 0; k < n; k++) score[k] = br_search_result_scores(r, k)[o];
    s = br_column_from_f64(&cols[4 + o], n, score, NULL);
  }
  br_frame **slot = lbr_frame_push_slot(L);
  if (s == BR_OK) s = br_frame_new(slot, ncol, names, cols);
  for (int i = 0; i < ncol; i++) br_column_release(cols[i]);
  if (s != BR_OK) return lbr_error(L);
  return 1;
}

static int result_write_csv(lua_State *L) { return lbr_write_csv_via(L, result_to_frame); }

/* stats(): how the search went. */
static int result_stats(lua_State *L) {
  const br_catalog *cat;
  const br_search_result *r = check_result(L, 1, &cat);
  lua_createtable(L, 0, 3);
  lua_pushinteger(L, br_search_result_scored(r));
  lua_setfield(L, -2, "scored");
  lua_pushinteger(L, br_search_result_visited(r));
  lua_setfield(L, -2, "visited");
  lua_pushinteger(L, br_search_result_pruned(r));
  lua_setfield(L, -2, "pruned");
  return 1;
}

void lbr_result_push(lua_State *L, br_search_result *res, int cat, const br_catalog *c, int names) {
  cat = lua_absindex(L, cat);
  if (names) names = lua_absindex(L, names);
  result_box *r = lua_newuserdatauv(L, sizeof *r, 2);
  r->res = NULL;
  r->cat = NULL;
  luaL_setmetatable(L, LBR_RESULT_MT);
  r->res = res; /* from here on the result's __gc frees it */
  r->cat = br_catalog_retain(c);
  lua_pushvalue(L, cat); /* the catalogue, for labels */
  lua_setiuservalue(L, -2, 1);
  if (names) {
    lua_pushvalue(L, names); /* objective names, for score vectors */
    lua_setiuservalue(L, -2, 2);
  }
}

void lbr_result_open(lua_State *L) {
  static const luaL_Reg rm[] = {{"iter", result_iter}, {"pareto", result_pareto}, {"to_frame", result_to_frame},
                                {"write_csv", result_write_csv}, {"stats", result_stats},
                                {"close", result_gc}, {NULL, NULL}};
  static const luaL_Reg rmeta[] = {{"__gc", result_gc}, {"__close", result_gc}, {"__len", result_len}, {NULL, NULL}};
  lbr_new_class(L, LBR_RESULT_MT, rm, rmeta);
}
