/* cmocka tests for the search engine and pricing through the C API: exact
 * pool search (branch and bound) against scoring every subset, C callbacks,
 * seeded heuristics and non-dominated ranks (prices: test_price.c). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "bundle/bundle.h"

#define N 11

typedef struct world {
  br_baskets *b;
  br_catalog *cat;
  br_bundle_stats *st;
} world;

/* Random baskets over items "1".."N" and a catalogue with random prices. */
static void make_world(world *w, uint64_t seed) {
  br_rng r;
  br_rng_seed(&r, seed);
  const char *path = "build/search_world.dat";
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  for (int k = 0; k < 120; k++) {
    int in[N + 1] = {0}, m = 1 + (int)br_rng_below(&r, 6);
    for (int j = 0; j < m; j++) in[1 + br_rng_below(&r, N)] = 1;
    if (br_rng_uniform(&r) < 0.3) in[1] = in[2] = 1;
    for (int i = 1; i <= N; i++)
      if (in[i]) fprintf(fp, "%d ", i);
    fputc('\n', fp);
  }
  fclose(fp);
  w->b = test_read_baskets(path, 0);
  char text[N][12];
  const char *labels[N];
  double price[N], cost[N], stock[N];
  int32_t category[N];
  for (int i = 0; i < N; i++) {
    snprintf(text[i], sizeof text[i], "%d", i + 1);
    labels[i] = text[i];
    price[i] = 1 + (double)br_rng_below(&r, 20);
    cost[i] = (double)br_rng_below(&r, 6);
    stock[i] = (double)br_rng_below(&r, 10);
    category[i] = i % 3;
  }
  assert_int_equal(br_catalog_new(&w->cat, N, labels, NULL, price, cost, category, stock), BR_OK);
  assert_int_equal(br_bundle_stats_new(&w->st, w->cat, w->b), BR_OK);
}

static void free_world(world *w) {
  br_bundle_stats_free(w->st);
  br_catalog_free(w->cat);
  br_baskets_free(w->b);
}

/* Every subset of the catalogue with 2 to 4 items bought together at least once. */
static int64_t all_subsets(const world *w, int32_t *cand, int64_t *off) {
  int64_t n = 0, at = 0;
  off[0] = 0;
  for (int mask = 1; mask < (1 << N); mask++) {
    int32_t s[N];
    int k = 0;
    for (int i = 0; i < N; i++)
      if (mask & (1 << i)) s[k++] = i;
    if (k < 2 || k > 4 || br_bundle_count(w->st, s, k) < 1) continue;
    memcpy(cand + at, s, (size_t)k * sizeof *s);
    at += k;
    off[++n] = at;
  }
  return n;
}

static void exact_pool_equals_every_subset(void **state) {
  (void)state;
  static int32_t cand[(1 << N) * 4];
  static int64_t off[(1 << N) + 1];
  for (uint64_t seed = 1; seed <= 6; seed++) {
    world w;
    make_world(&w, seed);
    int64_t ncand = all_subsets(&w, cand, off);
    for (int o = 0; o < BR_OBJ_MODEL; o++) {
      br_search_spec sp;
      br_search_spec_init(&sp);
      sp.objective = (br_objective)o;
      sp.top = 15;
      sp.max_price = 40;
      br_search_result *a = NULL, *b = NULL;
      assert_int_equal(br_search(&a, w.st, cand, off, ncand, &sp), BR_OK);
      assert_int_equal(br_search_pool(&b, w.st, NULL, 0, &sp), BR_OK);
      assert_int_equal(br_search_result_count(a), br_search_result_count(b));
      for (int64_t k = 0; k < br_search_result_count(a); k++)
        assert_double_equal(br_search_result_score(a, k), br_search_result_score(b, k), 1e-12);
      br_search_result_free(a);
      br_search_result_free(b);
    }
    free_world(&w);
  }
}

/* A C objective (revenue minus 2 per item) with its bound, and a compatible
 * predicate that keeps items 1 and 3 apart. */
static double c_objective(void *ctx, const int32_t *items, int n, int *fail) {
  (void)fail;
  const br_catalog *cat = ctx;
  double v = 0;
  for (int i = 0; i < n; i++) v += br_catalog_price(cat, items[i]) - 2;
  return v;
}
static double c_bound(void *ctx, const int32_t *items, int n, int slots, int *fail) {
  return c_objective(ctx, items, n, fail) + slots * 19.0; /* prices are at most 20 */
}
static int apart(void *ctx, int32_t a, int32_t b) {
  (void)ctx;
  return !((a == 0 && b == 2) || (a == 2 && b == 0));
}

static void callbacks_bound_and_filter(void **state) {
  (void)state;
  world w;
  make_world(&w, 11);
  br_search_spec sp;
  br_search_spec_init(&sp);
  sp.objective = BR_OBJ_CUSTOM;
  sp.custom = c_objective;
  sp.custom_ctx = w.cat;
  sp.top = 5;
  sp.compatible = apart;
  br_search_result *plain = NULL, *bounded = NULL;
  assert_int_equal(br_search_pool(&plain, w.st, NULL, 0, &sp), BR_OK);
  sp.custom_bound = c_bound;
  sp.custom_bound_ctx = w.cat;
  assert_int_equal(br_search_pool(&bounded, w.st, NULL, 0, &sp), BR_OK);
  assert_true(br_search_result_pruned(bounded) > 0);
  assert_int_equal(br_search_result_pruned(plain), 0);
  for (int64_t k = 0; k < br_search_result_count(plain); k++) {
    assert_double_equal(br_search_result_score(plain, k), br_search_result_score(bounded, k), 0);
    int n;
    const int32_t *it = br_search_result_items(bounded, k, &n);
    int has0 = 0, has2 = 0;
    for (int i = 0; i < n; i++) has0 |= it[i] == 0, has2 |= it[i] == 2;
    assert_false(has0 && has2);
  }
  br_search_result_free(plain);
  br_search_result_free(bounded);
  free_world(&w);
}

static void heuristics_are_seeded(void **state) {
  (void)state;
  world w;
  make_world(&w, 12);
  for (int m = BR_METHOD_BEAM; m < BR_METHOD_COUNT; m++) {
    br_search_spec sp;
    br_search_spec_init(&sp);
    sp.method = (br_search_method)m;
    sp.objective = BR_OBJ_EXPECTED_PROFIT;
    sp.seed = 42;
    sp.iterations = 500;
    sp.population = 16;
    sp.generations = 10;
    br_search_result *a = NULL, *b = NULL;
    assert_int_equal(br_search_pool(&a, w.st, NULL, 0, &sp), BR_OK);
    assert_int_equal(br_search_pool(&b, w.st, NULL, 0, &sp), BR_OK);
    assert_int_equal(br_search_result_count(a), br_search_result_count(b));
    for (int64_t k = 0; k < br_search_result_count(a); k++) {
      int na, nb;
      const int32_t *ia = br_search_result_items(a, k, &na), *ib = br_search_result_items(b, k, &nb);
      assert_int_equal(na, nb);
      assert_memory_equal(ia, ib, (size_t)na * sizeof *ia);
      assert_double_equal(br_search_result_score(a, k), br_bundle_objective(w.st, BR_OBJ_EXPECTED_PROFIT, ia, na), 1e-12);
    }
    br_search_result_free(a);
    br_search_result_free(b);
  }
  free_world(&w);
}

static void pareto_ranks_by_hand(void **state) {
  (void)state;
  /* (3,1) (1,3) (2,2) are the front; (1,1) is dominated by all; (0,0) by (1,1) too */
  double p[] = {3, 1, 1, 1, 1, 3, 0, 0, 2, 2};
  int32_t rank[5];
  assert_int_equal(br_pareto_rank(rank, p, 5, 2), BR_OK);
  int32_t want[] = {1, 2, 1, 3, 1};
  assert_memory_equal(rank, want, sizeof want);
}

/* A per-item option joined to the catalogue by label, in the core. */
static void item_values_join_by_label(void **state) {
  (void)state;
  const char *labels[] = {"tea", "cake", "jam"};
  double price[] = {2, 5, 3}, cost[] = {1, 1, 1};
  br_catalog *cat = NULL;
  assert_int_equal(br_catalog_new(&cat, 3, labels, NULL, price, cost, NULL, NULL), BR_OK);
  double out[3];
  const char *keys[] = {"jam", "tea"};
  double vals[] = {1.5, 2.25};
  assert_int_equal(br_catalog_item_values(cat, "price.optimize: elasticity", 2, keys, NULL, vals, NAN, out), BR_OK);
  assert_double_equal(out[0], 2.25, 0);
  assert_true(isnan(out[1])); /* not given */
  assert_double_equal(out[2], 1.5, 0);
  /* one value for all, no labels */
  assert_int_equal(br_catalog_item_values(cat, "sigma", 0, NULL, NULL, NULL, 0.7, out), BR_OK);
  for (int i = 0; i < 3; i++) assert_double_equal(out[i], 0.7, 0);
  /* labels with their lengths (not NUL-terminated) */
  const char *cut[] = {"cakewalk"};
  size_t lens[] = {4};
  double one[] = {3};
  assert_int_equal(br_catalog_item_values(cat, "x", 1, cut, lens, one, NAN, out), BR_OK);
  assert_double_equal(out[1], 3, 0);
  /* an unknown label and a bad value are named */
  const char *bad[] = {"tea", "scone"};
  assert_int_equal(br_catalog_item_values(cat, "price.baseline: elasticity", 2, bad, NULL, vals, NAN, out), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "price.baseline: elasticity: no item 'scone' in the catalogue");
  double neg[] = {-1};
  assert_int_equal(br_catalog_item_values(cat, "p: sigma", 1, keys, NULL, neg, NAN, out), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "p: sigma of item 'jam' must be a number > 0");
  double inf[] = {INFINITY};
  assert_int_equal(br_catalog_item_values(cat, "p: sigma", 1, keys, NULL, inf, NAN, out), BR_ERR_ARG);
  br_catalog_free(cat);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(exact_pool_equals_every_subset), cmocka_unit_test(callbacks_bound_and_filter),
      cmocka_unit_test(heuristics_are_seeded), cmocka_unit_test(pareto_ranks_by_hand),
      cmocka_unit_test(item_values_join_by_label),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
