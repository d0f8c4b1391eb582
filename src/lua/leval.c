/* bundle.core eval functions: backtest, topk, rank and bandit_replay (ALS
 * is in lals.c, file I/O in lfile.c). The Lua layer (lua/bundle/eval.lua,
 * recommend.lua) composes them; this file only translates arguments and
 * results. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lbundle_list.h"

/* A list of bundles at idx (labels, or records with `items`) as basket
 * item ids (-1: not in the baskets), CSR in two userdata left on the
 * stack. Returns the count. */
static int64_t read_bundles(lua_State *L, int idx, const br_baskets *b, const char *fn, const char *name,
                            const char *elem, int32_t **items, int64_t **off) {
  lbr_list_spec sp = {.fn = fn, .name = name, .elem = elem, .arg = -1, .find = lbr_find_in_baskets, .owner = b,
                      .unknown = LBR_UNKNOWN_KEEP, .min_items = 1};
  lbr_bundle_list bl;
  lbr_read_bundles(L, idx, &sp, &bl);
  *items = bl.items;
  *off = bl.off;
  return bl.n;
}

/* A list of n numbers at field `key` of the options table at idx, or NULL. */
static double *opt_numbers(lua_State *L, int idx, const char *fn, const char *key, int64_t n) {
  if (lua_isnoneornil(L, idx) || lua_getfield(L, idx, key) == LUA_TNIL) {
    if (!lua_isnoneornil(L, idx)) lua_pop(L, 1);
    return NULL;
  }
  if (!lua_istable(L, -1) || (int64_t)luaL_len(L, -1) != n)
    lbr_errorf(L, "%s: option '%s' must be a list of %lld numbers, one per bundle", fn, key, (long long)n);
  double *v = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *v, 0);
  for (int64_t k = 1; k <= n; k++) {
    lua_geti(L, -2, k);
    int ok;
    v[k - 1] = lua_tonumberx(L, -1, &ok);
    if (!ok || !isfinite(v[k - 1])) lbr_errorf(L, "%s: %s[%lld] must be a finite number", fn, key, (long long)k);
    lua_pop(L, 1);
  }
  lua_replace(L, -2); /* keep the buffer, drop the list */
  return v;
}

static void set_num(lua_State *L, const char *k, double v) {
  lua_pushnumber(L, v);
  lua_setfield(L, -2, k);
}
static void set_int(lua_State *L, const char *k, int64_t v) {
  lua_pushinteger(L, (lua_Integer)v);
  lua_setfield(L, -2, k);
}

static const char *const backtest_options[] = {"price", "cost", NULL};

/* backtest(baskets, bundles, {price =, cost =}) -> totals, per-bundle list */
static int eval_backtest(lua_State *L) {
  lua_settop(L, 3); /* absent arguments stay nil below what we push */
  br_baskets *b = lbr_baskets_check(L, 1);
  lbr_pin(L, 1, "a running backtest"); /* the bundles' and options' metamethods run Lua */
  lbr_check_options(L, 3, "backtest", backtest_options);
  int32_t *items;
  int64_t *off;
  int64_t n = read_bundles(L, 2, b, "backtest", "bundles", "bundle", &items, &off);
  double *price = opt_numbers(L, 3, "backtest", "price", n);
  double *cost = opt_numbers(L, 3, "backtest", "cost", n);
  br_backtest_bundle *per = lua_newuserdatauv(L, (size_t)(n > 0 ? n : 1) * sizeof *per, 0);
  br_backtest t;
  br_comm *world = lbr_mpi_baskets_world(L, 1); /* bundle.mpi's baskets: reduced across ranks */
  if ((world ? br_dist_backtest(&t, per, world, b, items, off, n, price, cost)
             : br_eval_backtest(&t, per, b, items, off, n, price, cost)) != BR_OK)
    return lbr_error(L);
  lua_createtable(L, 0, 12);
  set_int(L, "baskets", t.nbaskets);
  set_int(L, "bundles", t.nbundles);
  set_int(L, "hits", t.hits);
  set_int(L, "touched", t.touched);
  set_num(L, "hit_rate", t.hit_rate);
  set_num(L, "attach_rate", t.attach_rate);
  set_num(L, "mean_attach_rate", t.mean_attach_rate);
  set_num(L, "coverage", t.basket_coverage);
  set_num(L, "item_coverage", t.item_coverage);
  set_num(L, "revenue", t.revenue);
  set_num(L, "margin", t.margin);
  set_num(L, "diversity", t.diversity);
  lua_createtable(L, (int)n, 0);
  for (int64_t k = 0; k < n; k++) {
    lua_createtable(L, 0, 5);
    set_int(L, "complete", per[k].complete);
    set_int(L, "touched", per[k].touched);
    set_num(L, "attach_rate", per[k].attach_rate);
    set_num(L, "revenue", per[k].revenue);
    set_num(L, "margin", per[k].margin);
    lua_seti(L, -2, k + 1);
  }
  return 2;
}

/* topk(scores, k [, exclude]) -> rows x k tensor of 1-based column ids (0: none);
 * exclude is a list (one entry per row) of lists of 1-based column ids */
static int eval_topk(lua_State *L) {
  lua_settop(L, 3); /* absent arguments stay nil below what we push */
  br_tensor *s = lbr_tensor_check(L, 1);
  lbr_pin(L, 1, "a running topk"); /* the exclude lists' metamethods run Lua */
  lua_Integer k = luaL_checkinteger(L, 2);
  if (br_tensor_ndim(s) != 2) luaL_argerror(L, 1, "scores must be a rows x columns matrix");
  const int64_t *shape = br_tensor_shape(s);
  int64_t rows = shape[0], cols = shape[1];
  luaL_argcheck(L, k >= 1 && k <= cols, 2, "k must be between 1 and the number of columns");
  int64_t *eoff = NULL;
  int32_t *excl = NULL;
  if (!lua_isnoneornil(L, 3)) { /* one entry per row (nil: none), of 1-based column ids */
    lbr_list_spec sp = {.fn = "topk", .name = "exclude", .arg = -1, .elem = "row", .id_max = (int32_t)cols,
                        .fixed = 1, .count = rows};
    lbr_bundle_list bl;
    lbr_read_bundles(L, 3, &sp, &bl);
    eoff = bl.off;
    excl = bl.items;
  }
  br_tensor *c = NULL;
  if (br_tensor_contiguous(&c, s) != BR_OK) return lbr_error(L);
  /* through the budget like every block the core holds (bundle/memory.h) */
  int32_t *out = br_alloc("topk", (size_t)rows * (size_t)k, sizeof *out);
  br_tensor **slot = lbr_tensor_push_slot(L);
  int64_t oshape[2] = {rows, k};
  if (!out || br_tensor_zeros(slot, 2, oshape) != BR_OK ||
      br_topk_rows(out, br_tensor_data(c), rows, cols, (int)k, eoff, excl) != BR_OK) {
    br_free(out);
    br_tensor_free(c);
    return out ? lbr_error(L) : luaL_error(L, "topk: out of memory");
  }
  double *o = br_tensor_data(*slot);
  for (int64_t i = 0; i < rows * k; i++) o[i] = out[i] + 1;
  br_free(out);
  br_tensor_free(c);
  lbr_tensor_account(L, *slot);
  return 1;
}

/* rank(ranked, relevant, k) -> {precision, recall, ndcg, mrr, hit, lists}.
 * ranked: a rows x >=k tensor of ids (or a list of lists); relevant: a list
 * (one per row) of id lists; rows with no relevant ids are skipped. */
static int eval_rank(lua_State *L) {
  lua_settop(L, 3); /* absent arguments stay nil below what we push */
  luaL_checktype(L, 2, LUA_TTABLE);
  lua_Integer k = luaL_checkinteger(L, 3);
  luaL_argcheck(L, k >= 1 && k <= 10000, 3, "k must be between 1 and 10000");
  br_tensor *rt = lbr_tensor_test(L, 1);
  int64_t rows;
  lbr_bundle_list ranked_lists = {0, NULL, NULL};
  if (rt) {
    if (br_tensor_ndim(rt) != 2) luaL_argerror(L, 1, "ranked must be a rows x k matrix");
    rows = br_tensor_shape(rt)[0];
  } else { /* a list of id lists, read once by the one list reader */
    luaL_checktype(L, 1, LUA_TTABLE);
    lbr_list_spec ksp = {.fn = "rank", .name = "ranked", .arg = -1, .elem = "row", .raw_ids = 1};
    lbr_read_bundles(L, 1, &ksp, &ranked_lists);
    rows = ranked_lists.n;
  }
  lua_Integer nrel_lists = luaL_len(L, 2); /* asked once */
  if ((int64_t)nrel_lists != rows)
    lbr_errorf(L, "rank: relevant has %lld lists, ranked has %lld rows", (long long)nrel_lists, (long long)rows);
  /* the relevant ids, one list per row, read by the one list reader */
  lbr_list_spec rsp = {.fn = "rank", .name = "relevant", .arg = -1, .elem = "row", .raw_ids = 1, .fixed = 1,
                       .count = rows};
  lbr_bundle_list rel_lists;
  lbr_read_bundles(L, 2, &rsp, &rel_lists);
  int32_t *ranked = lua_newuserdatauv(L, (size_t)k * sizeof *ranked, 0);
  br_rank_metrics acc = {0};
  for (int64_t r = 1; r <= rows; r++) {
    int n = 0;
    if (rt) {
      int64_t cols = br_tensor_shape(rt)[1];
      for (int64_t i = 0; i < cols && i < k; i++) {
        int64_t ix[2] = {r - 1, i};
        double v = 0;
        br_tensor_get(rt, ix, &v);
        ranked[n++] = (int32_t)v;
      }
    } else {
      for (int64_t p = ranked_lists.off[r - 1]; p < ranked_lists.off[r] && n < k; p++) ranked[n++] = ranked_lists.items[p];
    }
    const int32_t *rel = rel_lists.items + rel_lists.off[r - 1];
    int64_t nrel = rel_lists.off[r] - rel_lists.off[r - 1];
    br_rank_add(&acc, ranked, n, rel, (int)nrel, (int)k);
  }
  br_rank_finish(&acc);
  lua_createtable(L, 0, 6);
  set_num(L, "precision", acc.precision);
  set_num(L, "recall", acc.recall);
  set_num(L, "ndcg", acc.ndcg);
  set_num(L, "mrr", acc.mrr);
  set_num(L, "hit", acc.hit);
  set_int(L, "lists", acc.lists);
  return 1;
}

static const char *const arm_fields[] = {"offers", "accepts", "reward", "hindsight", "hindsight_accepts"};

/* bandit_replay(baskets, arms, {policy =, from =, to =, seed =}) -> reward.
 * arms: list of {items = {...}, value =, offers =, accepts =, reward =,
 * hindsight =, hindsight_accepts =}; the counters are updated in place.
 * from/to are 1-based positions in time order (inclusive). */
static const char *const replay_options[] = {"policy", "from", "to", "seed", NULL};
static int eval_bandit_replay(lua_State *L) {
  lua_settop(L, 3); /* absent arguments stay nil below what we push */
  br_baskets *b = lbr_baskets_check(L, 1);
  lbr_pin(L, 1, "a running bandit replay"); /* the arms' and options' metamethods run Lua */
  lbr_check_options(L, 3, "bandit", replay_options);
  int32_t *items;
  int64_t *off;
  int64_t n = read_bundles(L, 2, b, "bandit", "arms", "arm", &items, &off);
  if (n < 1) return luaL_error(L, "bandit: no arms to offer");
  br_bandit_policy policy = BR_BANDIT_THOMPSON;
  if (!lua_isnoneornil(L, 3) && lua_getfield(L, 3, "policy") != LUA_TNIL) {
    if (!lua_isstring(L, -1) || br_bandit_policy_parse(&policy, lua_tostring(L, -1)) != BR_OK)
      return luaL_error(L, "bandit: policy must be \"thompson\", \"ucb\" or \"static\"");
    lua_pop(L, 1);
  }
  int64_t size = br_baskets_size(b);
  lua_Integer from = lbr_opt_integer(L, 3, "bandit", "from", 1);
  lua_Integer to = lbr_opt_integer(L, 3, "bandit", "to", size);
  if (from < 1 || to > size || from > to + 1)
    return lbr_errorf(L, "bandit: from/to must satisfy 1 <= from <= to + 1 and to <= %lld", (long long)size);
  br_rng rng;
  br_rng_seed(&rng, (uint64_t)lbr_opt_integer(L, 3, "bandit", "seed", 1));
  br_bandit_arm *arms = lua_newuserdatauv(L, (size_t)n * sizeof *arms, 0);
  for (int64_t a = 0; a < n; a++) {
    lua_geti(L, 2, a + 1);
    double *dst[] = {&arms[a].offers, &arms[a].accepts, &arms[a].reward, &arms[a].hindsight,
                     &arms[a].hindsight_accepts};
    arms[a].value = lua_getfield(L, -1, "value") == LUA_TNIL ? 1.0 : lua_tonumber(L, -1);
    lua_pop(L, 1);
    for (int f = 0; f < 5; f++) {
      lua_getfield(L, -1, arm_fields[f]);
      *dst[f] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  double reward = 0;
  if (br_bandit_replay(arms, (int32_t)n, items, off, b, from - 1, to, policy, &rng, &reward) != BR_OK)
    return lbr_error(L);
  for (int64_t a = 0; a < n; a++) {
    lua_geti(L, 2, a + 1);
    double v[] = {arms[a].offers, arms[a].accepts, arms[a].reward, arms[a].hindsight, arms[a].hindsight_accepts};
    for (int f = 0; f < 5; f++) {
      lua_pushnumber(L, v[f]);
      lua_setfield(L, -2, arm_fields[f]);
    }
    lua_pop(L, 1);
  }
  lua_pushnumber(L, reward);
  return 1;
}

void lbr_eval_open(lua_State *L) {
  static const luaL_Reg fns[] = {{"backtest", eval_backtest}, {"topk", eval_topk}, {"rank", eval_rank},
                                 {"bandit_replay", eval_bandit_replay}, {NULL, NULL}};
  luaL_newlib(L, fns);
  lua_setfield(L, -2, "eval_core");
  lbr_als_open(L);
  lbr_file_open(L);
}
