/* cmocka tests for the core's deep copies (br_*_clone): each copy equals
 * its original value for value, outlives it (the original is freed before
 * the copy is read, so ASan sees any sharing), can be changed without the
 * original changing, and is charged to the memory budget. */
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

/* salt oil / salt oil bread / salt bread / oil milk / salt oil milk */
static br_baskets *named_baskets(void) {
  return test_baskets_text("salt oil\nsalt oil bread\nsalt bread\noil milk\nsalt oil milk\n", 1);
}

static void label_is(const br_baskets *b, int32_t id, const char *want) {
  size_t len;
  const char *s = br_baskets_label(b, id, &len);
  assert_int_equal(len, strlen(want));
  assert_memory_equal(s, want, len);
}

static void baskets_copy_equals_and_outlives(void **state) {
  (void)state;
  br_baskets *b = named_baskets(), *c = NULL;
  int64_t used = br_mem_used();
  assert_int_equal(br_baskets_clone(&c, b), BR_OK);
  assert_true(br_mem_used() - used >= (int64_t)(6 * 8 + 12 * 4)); /* offsets and items at least, charged */
  assert_int_equal(br_baskets_size(c), 5);
  assert_int_equal(br_baskets_nitems(c), 4);
  assert_ptr_not_equal(br_baskets_items(c), br_baskets_items(b));
  assert_memory_equal(br_baskets_offsets(c), br_baskets_offsets(b), 6 * sizeof(int64_t));
  assert_int_equal(br_baskets_offsets(c)[5], 12);
  assert_memory_equal(br_baskets_items(c), br_baskets_items(b), 12 * sizeof(int32_t));
  int32_t milk = br_baskets_find(b, "milk", 4);
  br_baskets_free(b);
  /* the copy's own dictionary: labels and the hash index */
  label_is(c, milk, "milk");
  assert_int_equal(br_baskets_find(c, "milk", 4), milk);
  assert_int_equal(br_baskets_find(c, "bread", 5), br_baskets_find(c, "bread", 5));
  assert_int_equal(br_baskets_find(c, "tea", 3), -1);
  int64_t support[4];
  br_baskets_item_support(c, support);
  assert_int_equal(support[br_baskets_find(c, "salt", 4)], 4);
  assert_int_equal(support[milk], 2);
  br_baskets_free(c);
}

static void itemsets_and_rules_copies_equal_and_outlive(void **state) {
  (void)state;
  br_baskets *b = named_baskets();
  br_mine_options mo;
  br_mine_options_init(&mo);
  mo.min_count = 2;
  br_itemsets *s = NULL, *sc = NULL;
  assert_int_equal(br_baskets_frequent(&s, b, &mo), BR_OK);
  assert_int_equal(br_itemsets_clone(&sc, s), BR_OK);
  int64_t n = br_itemsets_count(s);
  assert_int_equal(br_itemsets_count(sc), n);
  assert_int_equal(br_itemsets_nbaskets(sc), 5);
  for (int64_t k = 0; k < n; k++) {
    int na, nb;
    const int32_t *a = br_itemsets_items(s, k, &na), *c = br_itemsets_items(sc, k, &nb);
    assert_int_equal(na, nb);
    assert_ptr_not_equal(a, c);
    assert_memory_equal(a, c, (size_t)na * sizeof *a);
    assert_int_equal(br_itemsets_support_count(sc, k), br_itemsets_support_count(s, k));
  }
  br_rule_options ro;
  br_rule_options_init(&ro);
  ro.min_confidence = 0.5;
  br_rules *r = NULL, *rc = NULL, *from_copy = NULL;
  assert_int_equal(br_itemsets_rules(&r, s, &ro), BR_OK);
  assert_int_equal(br_rules_clone(&rc, r), BR_OK);
  br_itemsets_free(s); /* the copy's rules, measures and supports stand alone */
  assert_int_equal(br_itemsets_rules(&from_copy, sc, &ro), BR_OK);
  int64_t nr = br_rules_count(r);
  assert_true(nr > 0);
  assert_int_equal(br_rules_count(rc), nr);
  assert_int_equal(br_rules_count(from_copy), nr);
  for (int64_t k = 0; k < nr; k++) {
    int l1, l2, r1, r2;
    const int32_t *a = br_rules_lhs(r, k, &l1), *c = br_rules_lhs(rc, k, &l2);
    assert_int_equal(l1, l2);
    assert_memory_equal(a, c, (size_t)l1 * sizeof *a);
    a = br_rules_rhs(r, k, &r1), c = br_rules_rhs(rc, k, &r2);
    assert_int_equal(r1, r2);
    assert_memory_equal(a, c, (size_t)r1 * sizeof *a);
    assert_memory_equal(br_rules_measures(r, k), br_rules_measures(rc, k), BR_MEASURE_COUNT * sizeof(double));
    assert_memory_equal(br_rules_measures(from_copy, k), br_rules_measures(rc, k), BR_MEASURE_COUNT * sizeof(double));
  }
  /* the copy's match index: the same rules match a basket of salt and oil */
  int32_t basket[2] = {br_baskets_find(b, "salt", 4), br_baskets_find(b, "oil", 3)};
  if (basket[0] > basket[1]) basket[0] ^= basket[1], basket[1] ^= basket[0], basket[0] ^= basket[1];
  int64_t *i1 = NULL, *i2 = NULL, m1 = 0, m2 = 0;
  assert_int_equal(br_rules_match(r, basket, 2, &i1, &m1), BR_OK);
  br_rules_free(r);
  assert_int_equal(br_rules_match(rc, basket, 2, &i2, &m2), BR_OK);
  assert_true(m1 > 0);
  assert_int_equal(m1, m2);
  assert_memory_equal(i1, i2, (size_t)m1 * sizeof *i1);
  br_free_out(i1);
  br_free_out(i2);
  br_rules_free(rc);
  br_rules_free(from_copy);
  br_itemsets_free(sc);
  br_baskets_free(b);
}

static br_catalog *small_catalog(void) {
  const char *labels[4] = {"salt", "oil", "bread", "milk"};
  double price[4] = {1.5, 4, 2.25, 1.2}, cost[4] = {0.5, 3, 1, 0.7}, stock[4] = {10, NAN, 3, 5};
  int32_t category[4] = {0, 1, 0, 1};
  br_catalog *c = NULL;
  assert_int_equal(br_catalog_new(&c, 4, labels, NULL, price, cost, category, stock), BR_OK);
  const char *names[4] = {"Sea salt", NULL, "Rye bread", NULL};
  size_t lens[4] = {8, 0, 9, 0};
  assert_int_equal(br_catalog_set_names(c, names, lens), BR_OK);
  return c;
}

static void catalog_copy_equals_and_outlives(void **state) {
  (void)state;
  br_catalog *c = small_catalog(), *d = NULL;
  assert_int_equal(br_catalog_clone(&d, c), BR_OK);
  br_catalog_free(c);
  assert_int_equal(br_catalog_size(d), 4);
  assert_int_equal(br_catalog_find(d, "oil", 3), 1);
  assert_int_equal(br_catalog_find(d, "milk", 4), 3);
  assert_int_equal(br_catalog_find(d, "tea", 3), -1);
  assert_double_equal(br_catalog_price(d, 2), 2.25, 0);
  assert_double_equal(br_catalog_cost(d, 1), 3, 0);
  assert_int_equal(br_catalog_category(d, 1), 1);
  assert_double_equal(br_catalog_stock(d, 0), 10, 0);
  assert_true(isnan(br_catalog_stock(d, 1)));
  size_t len;
  const char *s = br_catalog_name(d, 2, &len);
  assert_int_equal(len, 9);
  assert_memory_equal(s, "Rye bread", 9);
  assert_null(br_catalog_name(d, 1, &len));
  br_catalog_free(d);
}

static void search_result_copy_equals_and_outlives(void **state) {
  (void)state;
  br_baskets *b = named_baskets();
  br_catalog *cat = small_catalog();
  br_bundle_stats *st = NULL;
  if (br_bundle_stats_new(&st, cat, b) != BR_OK) fail_msg("%s", br_last_error());
  for (int nobj = 1; nobj <= 2; nobj++) {
    br_search_spec sp;
    br_search_spec_init(&sp);
    sp.min_size = 2;
    sp.max_size = 3;
    sp.top = 3;
    sp.objective = BR_OBJ_SUPPORT;
    if (nobj == 2) {
      sp.nobjectives = 2;
      sp.objectives[0] = (br_objective_spec){.kind = BR_OBJ_SUPPORT, .weight = 1};
      sp.objectives[1] = (br_objective_spec){.kind = BR_OBJ_MARGIN, .weight = 0.5};
    }
    br_search_result *r = NULL, *c = NULL;
    assert_int_equal(br_search_pool(&r, st, NULL, 0, &sp), BR_OK);
    assert_int_equal(br_search_result_clone(&c, r), BR_OK);
    int64_t n = br_search_result_count(r), scored = br_search_result_scored(r);
    assert_true(n > 0);
    /* kept before the original goes */
    double score0 = br_search_result_score(r, 0);
    int n0;
    int32_t items0[BR_BUNDLE_MAX_ITEMS];
    const int32_t *it = br_search_result_items(r, 0, &n0);
    memcpy(items0, it, (size_t)n0 * sizeof *it);
    double vec0[2] = {br_search_result_scores(r, 0)[0], nobj == 2 ? br_search_result_scores(r, 0)[1] : 0};
    double last_scored = nobj == 2 ? br_search_result_scored_scores(r, scored - 1)[1] : 0;
    int64_t visited = br_search_result_visited(r);
    br_search_result_free(r);
    assert_int_equal(br_search_result_count(c), n);
    assert_int_equal(br_search_result_scored(c), scored);
    assert_int_equal(br_search_result_visited(c), visited);
    assert_int_equal(br_search_result_nobjectives(c), nobj);
    assert_double_equal(br_search_result_score(c, 0), score0, 0);
    int m0;
    const int32_t *ic = br_search_result_items(c, 0, &m0);
    assert_int_equal(m0, n0);
    assert_memory_equal(ic, items0, (size_t)n0 * sizeof *ic);
    assert_double_equal(br_search_result_scores(c, 0)[0], vec0[0], 0);
    if (nobj == 2) {
      assert_double_equal(br_search_result_scores(c, 0)[1], vec0[1], 0);
      assert_double_equal(br_search_result_scored_scores(c, scored - 1)[1], last_scored, 0);
    }
    br_search_result_free(c);
  }
  br_bundle_stats_free(st);
  br_catalog_free(cat);
  br_baskets_free(b);
}

/* Predictions of m and of its copy (made, then m freed) on X agree exactly. */
static void predictions_survive_copy(br_model *m, const br_tensor *X) {
  br_tensor *p = NULL, *q = NULL;
  br_model *c = NULL;
  assert_int_equal(br_model_predict(&p, m, X), BR_OK);
  assert_int_equal(br_model_clone(&c, m), BR_OK);
  assert_int_equal(br_model_kind_of(c), br_model_kind_of(m));
  br_model_free(m);
  assert_true(br_model_is_fitted(c));
  assert_int_equal(br_model_predict(&q, c, X), BR_OK);
  assert_memory_equal(br_tensor_data(p), br_tensor_data(q), (size_t)br_tensor_numel(p) * sizeof(double));
  br_tensor_free(p);
  br_tensor_free(q);
  br_model_free(c);
}

static void model_copies_predict_as_the_original(void **state) {
  (void)state;
  const double xv[12] = {0, 1, 1, 0, 1, 1, 2, 1, 0, 3, 3, 2};
  const double yv[6] = {1, 2, 3, 4, 3, 6}, bv[6] = {0, 0, 1, 1, 0, 1};
  br_tensor *X = test_matrix(6, 2, xv), *y = test_vector(6, yv), *yb = test_vector(6, bv);
  br_model *m = NULL;
  assert_int_equal(br_linear_new(&m, NULL), BR_OK);
  assert_int_equal(br_model_fit(m, X, y), BR_OK);
  predictions_survive_copy(m, X);
  assert_int_equal(br_logistic_new(&m, NULL), BR_OK);
  assert_int_equal(br_model_fit(m, X, yb), BR_OK);
  predictions_survive_copy(m, X);
  br_mlp_options o;
  br_mlp_options_init(&o);
  o.layers[0] = 4;
  o.epochs = 6;
  assert_int_equal(br_mlp_new(&m, &o), BR_OK);
  assert_int_equal(br_model_fit(m, X, y), BR_OK);
  /* the history is the copy's own too */
  br_model *c = NULL;
  assert_int_equal(br_model_clone(&c, m), BR_OK);
  const double *l1, *v1, *l2, *v2;
  assert_int_equal(br_model_history(m, &l1, &v1), 6);
  assert_int_equal(br_model_history(c, &l2, &v2), 6);
  assert_ptr_not_equal(l1, l2);
  assert_memory_equal(l1, l2, 6 * sizeof *l1);
  br_model_free(c);
  predictions_survive_copy(m, X);
  /* an unfitted model's copy is unfitted, with the options */
  assert_int_equal(br_linear_new(&m, NULL), BR_OK);
  assert_int_equal(br_model_clone(&c, m), BR_OK);
  br_model_free(m);
  assert_false(br_model_is_fitted(c));
  assert_int_equal(br_model_fit(c, X, y), BR_OK);
  br_model_free(c);
  if (br_gbdt_available()) {
    br_gbdt_options g;
    br_gbdt_options_init(&g);
    g.trees = 4;
    g.depth = 2;
    assert_int_equal(br_gbdt_new(&m, &g), BR_OK);
    assert_int_equal(br_gbdt_fit(m, X, yb, NULL, NULL, NULL), BR_OK);
    predictions_survive_copy(m, X);
    assert_int_equal(br_gbdt_new(&m, &g), BR_OK);
    assert_int_equal(br_model_clone(&c, m), BR_OK);
    br_model_free(m);
    assert_int_equal(br_gbdt_options_of(c)->trees, 4);
    assert_false(br_model_is_fitted(c));
    br_model_free(c);
  }
  br_tensor_free(X);
  br_tensor_free(y);
  br_tensor_free(yb);
}

static double count2(const br_counts *c, const char *a, const char *b) {
  const char *l[2] = {a, b};
  return br_counts_count(c, l, NULL, b ? 2 : 1);
}

static void add3(br_counts *c, const char *a, const char *b, const char *d, int64_t t) {
  const char *l[3] = {a, b, d};
  assert_int_equal(br_counts_add(c, l, NULL, d ? 3 : 2, t), BR_OK);
}

static void counts_copies_count_as_the_original(void **state) {
  (void)state;
  const char *path = "build/clone_counts.bin";
  for (int kind = 0; kind < 4; kind++) { /* exact, window, sketch, loaded from a file */
    br_counts_options o;
    br_counts_options_init(&o);
    o.max_size = 3;
    if (kind == 1) o.window_days = 7;
    if (kind == 2) o.mode = BR_COUNTS_SKETCH, o.capacity = 32, o.width = 64, o.max_size = 2;
    br_counts *c = NULL, *d = NULL;
    assert_int_equal(br_counts_new(&c, &o), BR_OK);
    add3(c, "salt", "oil", "bread", 86400);
    add3(c, "salt", "oil", NULL, 2 * 86400);
    add3(c, "oil", "milk", NULL, 2 * 86400);
    if (kind == 3) {
      assert_int_equal(br_counts_save(c, path), BR_OK);
      br_counts_free(c);
      assert_int_equal(br_counts_load(&c, path), BR_OK);
      add3(c, "salt", "milk", NULL, 3 * 86400); /* beside the mapped file's table */
    }
    double so = count2(c, "salt", "oil"), om = count2(c, "oil", "milk"), s = count2(c, "salt", NULL);
    assert_double_equal(so, 2, 1e-9);
    assert_int_equal(br_counts_clone(&d, c), BR_OK);
    assert_double_equal(br_counts_nbaskets(d), br_counts_nbaskets(c), 0);
    assert_int_equal(br_counts_nitems(d), br_counts_nitems(c));
    br_counts_free(c); /* a loaded store's mapping goes with it */
    assert_double_equal(count2(d, "salt", "oil"), so, 0);
    assert_double_equal(count2(d, "oil", "milk"), om, 0);
    assert_double_equal(count2(d, "salt", NULL), s, 0);
    if (kind == 3) assert_double_equal(count2(d, "salt", "milk"), 1, 0);
    add3(d, "salt", "oil", NULL, 4 * 86400); /* the copy is writable */
    assert_double_equal(count2(d, "salt", "oil"), so + 1, 1e-9);
    br_counts_query q = {.min_count = 1};
    br_frame *f = NULL;
    assert_int_equal(br_counts_frequent(&f, d, &q), BR_OK);
    assert_true(br_frame_nrows(f) >= 4);
    br_frame_free(f);
    br_counts_free(d);
  }
  remove(path);
  remove("build/clone_counts.bin.delta");
  remove("build/clone_counts.bin.level");
}

/* A copy past the budget fails with nothing kept: the budget is back where it was. */
static void copies_are_charged_and_refused_past_the_budget(void **state) {
  (void)state;
  br_baskets *b = named_baskets();
  br_catalog *cat = small_catalog();
  int64_t before = br_mem_used(), old = br_mem_set_limit(before + 64);
  br_baskets *c = NULL;
  br_catalog *d = NULL;
  assert_int_equal(br_baskets_clone(&c, b), BR_ERR_NOMEM);
  assert_null(c);
  assert_int_equal(br_catalog_clone(&d, cat), BR_ERR_NOMEM);
  assert_null(d);
  br_mem_set_limit(old);
  br_mem_clear_limit_hit();
  assert_int_equal(br_mem_used(), before);
  br_catalog_free(cat);
  br_baskets_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(baskets_copy_equals_and_outlives),
      cmocka_unit_test(itemsets_and_rules_copies_equal_and_outlive),
      cmocka_unit_test(catalog_copy_equals_and_outlives),
      cmocka_unit_test(search_result_copy_equals_and_outlives),
      cmocka_unit_test(model_copies_predict_as_the_original),
      cmocka_unit_test(counts_copies_count_as_the_original),
      cmocka_unit_test(copies_are_charged_and_refused_past_the_budget),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
