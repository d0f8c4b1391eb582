/* cmocka tests of the eval module (backtest, ranking metrics, top-K,
 * bandit replay) and of ALS, on small hand-made data. */
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"

/* baskets from FIMI text: 1:{1,2,3} 2:{1,2} 3:{1} 4:{3,4} 5:{4} */
static br_baskets *small_baskets(void) { return test_baskets_text("1 2 3\n1 2\n1\n3 4\n4\n", 0); }

static int32_t id(const br_baskets *b, const char *label) { return br_baskets_find(b, label, strlen(label)); }

static void backtest_counts_exactly(void **state) {
  (void)state;
  br_baskets *b = small_baskets();
  int32_t items[4] = {id(b, "1"), id(b, "2"), id(b, "3"), id(b, "4")};
  int64_t off[3] = {0, 2, 4};
  double price[2] = {10, 4}, cost[2] = {6, 1};
  br_backtest t;
  br_backtest_bundle per[2];
  assert_int_equal(br_eval_backtest(&t, per, b, items, off, 2, price, cost), BR_OK);
  assert_int_equal(per[0].complete, 2);
  assert_int_equal(per[0].touched, 3);
  assert_int_equal(per[1].complete, 1);
  assert_int_equal(per[1].touched, 3);
  assert_int_equal(t.hits, 3);
  assert_double_equal(t.attach_rate, 0.5, 0);
  assert_double_equal(t.revenue, 24, 0);
  assert_double_equal(t.margin, 11, 0);
  assert_double_equal(t.diversity, 1, 0);
  int32_t bad[1] = {99};
  int64_t boff[2] = {0, 1};
  assert_int_equal(br_eval_backtest(&t, NULL, b, bad, boff, 1, NULL, NULL), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "outside"));
  br_baskets_free(b);
}

static void rank_metrics_and_topk(void **state) {
  (void)state;
  br_rank_metrics m = {0};
  int32_t ranked[3] = {3, 1, 2}, rel[2] = {1, 2};
  br_rank_add(&m, ranked, 3, rel, 2, 2);
  br_rank_finish(&m);
  assert_double_equal(m.precision, 0.5, 1e-15);
  assert_double_equal(m.recall, 0.5, 1e-15);
  assert_double_equal(m.mrr, 0.5, 1e-15);
  double s[8] = {0.1, 0.9, 0.5, 0.7, 3, 2, 1, 0};
  int64_t eoff[3] = {0, 1, 1};
  int32_t excl[1] = {1}, out[4];
  assert_int_equal(br_topk_rows(out, s, 2, 4, 2, eoff, excl), BR_OK);
  assert_int_equal(out[0], 3);
  assert_int_equal(out[1], 2);
  assert_int_equal(out[2], 0);
  assert_int_equal(out[3], 1);
}

static void bandit_prefers_the_better_arm(void **state) {
  (void)state;
  br_baskets *b = small_baskets(); /* {1,2} completes in 2 of 5; {3,4} in 1 */
  int32_t items[4] = {id(b, "3"), id(b, "4"), id(b, "1"), id(b, "2")};
  int64_t off[3] = {0, 2, 4};
  br_bandit_arm arms[2] = {{.value = 1}, {.value = 1}};
  br_rng r;
  br_rng_seed(&r, 1);
  double reward = 0;
  for (int rep = 0; rep < 200; rep++)
    assert_int_equal(br_bandit_replay(arms, 2, items, off, b, 0, 5, BR_BANDIT_THOMPSON, &r, &reward), BR_OK);
  assert_true(arms[1].offers > arms[0].offers * 2);
  assert_double_equal(arms[1].hindsight, 400, 0);
  assert_double_equal(arms[0].hindsight, 200, 0);
  assert_int_equal(br_bandit_replay(arms, 2, items, off, b, 0, 9, BR_BANDIT_UCB, &r, &reward), BR_ERR_ARG);
  br_baskets_free(b);
}

static void als_separates_two_groups(void **state) {
  (void)state;
  /* users 0-2 take items 0-2, users 3-5 take items 3-5 */
  int64_t off[7] = {0, 3, 6, 9, 12, 15, 18};
  int32_t idx[18];
  for (int u = 0; u < 6; u++)
    for (int i = 0; i < 3; i++) idx[u * 3 + i] = (int32_t)((u < 3 ? 0 : 3) + i);
  br_als_options o;
  br_als_options_init(&o);
  o.factors = 4;
  double loss[15];
  o.loss = loss;
  double *U = NULL, *V = NULL;
  assert_int_equal(br_als_fit(&U, &V, 6, 6, off, idx, NULL, &o), BR_OK);
  for (int u = 0; u < 6; u++)
    for (int i = 0; i < 6; i++) {
      double s = 0;
      for (int k = 0; k < 4; k++) s += U[u * 4 + k] * V[i * 4 + k];
      if ((u < 3) == (i < 3)) assert_true(s > 0.5);
      else assert_true(s < 0.2);
    }
  for (int it = 1; it < o.iterations; it++) assert_true(loss[it] <= loss[it - 1] * (1 + 1e-9));
  br_free_out(U);
  br_free_out(V);
  int32_t dup[2] = {0, 0};
  int64_t doff[2] = {0, 2};
  assert_int_equal(br_als_fit(&U, &V, 1, 1, doff, dup, NULL, &o), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "twice"));
}

/* A user with no entries gets a zero row (the ridge alone), and the fit
 * leaves OpenBLAS's thread count as it found it (it runs single-threaded). */
static void als_empty_rows_and_threads(void **state) {
  (void)state;
  int64_t off[4] = {0, 2, 2, 4}; /* user 1 has nothing */
  int32_t idx[4] = {0, 1, 1, 2};
  br_als_options o;
  br_als_options_init(&o);
  o.factors = 3;
  o.iterations = 3;
  double *U = NULL, *V = NULL;
  int before = openblas_get_num_threads();
  openblas_set_num_threads(2);
  int set = openblas_get_num_threads(); /* 2, or fewer where OpenBLAS caps it */
  assert_int_equal(br_als_fit(&U, &V, 3, 3, off, idx, NULL, &o), BR_OK);
  assert_int_equal(openblas_get_num_threads(), set);
  for (int k = 0; k < 3; k++) assert_true(U[3 + k] == 0.0);
  assert_true(fabs(U[0]) + fabs(U[1]) + fabs(U[2]) > 0);
  openblas_set_num_threads(before);
  br_free_out(U);
  br_free_out(V);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(backtest_counts_exactly),
      cmocka_unit_test(rank_metrics_and_topk),
      cmocka_unit_test(bandit_prefers_the_better_arm),
      cmocka_unit_test(als_separates_two_groups),
      cmocka_unit_test(als_empty_rows_and_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
