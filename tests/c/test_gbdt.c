/* cmocka tests for bundle/gbdt.h: XGBoost's trees behind the model API.
 * In a build without XGBoost the tests check the message that says so. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_util.h"

#include "bundle/bundle.h"

/* n rows of 3 features on a grid; y = 1 exactly when feature 2 > 0.5:
 * one split on that feature explains everything. */
static void planted(int64_t n, br_tensor **X, br_tensor **y) {
  double *x = malloc((size_t)n * 3 * sizeof *x), *v = malloc((size_t)n * sizeof *v);
  for (int64_t i = 0; i < n; i++) {
    x[i * 3 + 0] = (double)(i % 7) / 7;
    x[i * 3 + 1] = (double)(i % 11) / 11;
    x[i * 3 + 2] = (double)(i % 13) / 13;
    v[i] = x[i * 3 + 1] > 0.5;
  }
  *X = test_matrix(n, 3, x);
  *y = test_vector(n, v);
  free(x);
  free(v);
}

static void gbdt_learns_a_single_split_and_credits_its_feature(void **state) {
  (void)state;
  if (!br_gbdt_available()) skip();
  br_tensor *X, *y, *p = NULL, *phi = NULL;
  planted(1001, &X, &y);
  br_gbdt_options o;
  br_gbdt_options_init(&o);
  o.trees = 30;
  o.depth = 2;
  o.eta = 0.3;
  br_model *m = NULL;
  assert_int_equal(br_gbdt_new(&m, &o), BR_OK);
  const char *names[3] = {"x1", "rule", "x3"};
  assert_int_equal(br_gbdt_fit(m, X, y, NULL, NULL, names), BR_OK);
  assert_string_equal(br_gbdt_feature_name(m, 1), "rule");
  assert_int_equal(br_model_predict(&p, m, X), BR_OK);
  const double *pp = br_tensor_data(p), *yy = br_tensor_data(y);
  for (int64_t i = 0; i < 1001; i++) assert_true(fabs(pp[i] - yy[i]) < 0.1);
  /* contributions: n x 4; rows sum to the log-odds; feature 2 dominates */
  assert_int_equal(br_gbdt_contributions(&phi, m, X, NULL), BR_OK);
  assert_int_equal(br_tensor_shape(phi)[1], 4);
  const double *c = br_tensor_data(phi);
  for (int64_t i = 0; i < 1001; i++) {
    double z = c[i * 4] + c[i * 4 + 1] + c[i * 4 + 2] + c[i * 4 + 3];
    assert_double_equal(1 / (1 + exp(-z)), pp[i], 1e-5);
    assert_true(fabs(c[i * 4 + 1]) > fabs(c[i * 4]) && fabs(c[i * 4 + 1]) > fabs(c[i * 4 + 2]));
  }
  br_tensor_free(phi);
  br_tensor_free(p);
  br_model_free(m);
  br_tensor_free(X);
  br_tensor_free(y);
}

static void gbdt_save_and_load_give_identical_predictions(void **state) {
  (void)state;
  if (!br_gbdt_available()) skip();
  br_tensor *X, *y, *p = NULL, *q = NULL;
  planted(300, &X, &y);
  br_gbdt_options o;
  br_gbdt_options_init(&o);
  o.trees = 10;
  o.objective = BR_GBDT_SQUARED;
  br_model *m = NULL, *l = NULL;
  assert_int_equal(br_gbdt_new(&m, &o), BR_OK);
  assert_int_equal(br_gbdt_fit(m, X, y, NULL, NULL, NULL), BR_OK);
  char path[] = "/tmp/test_gbdt_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(br_model_save(m, path), BR_OK);
  assert_int_equal(br_model_load(&l, path), BR_OK);
  assert_int_equal(br_model_kind_of(l), BR_MODEL_GBDT);
  assert_int_equal(br_gbdt_options_of(l)->objective, BR_GBDT_SQUARED);
  assert_string_equal(br_gbdt_feature_name(l, 2), "f3");
  assert_int_equal(br_model_predict(&p, m, X), BR_OK);
  assert_int_equal(br_model_predict(&q, l, X), BR_OK);
  assert_memory_equal(br_tensor_data(p), br_tensor_data(q), 300 * sizeof(double));
  /* one flipped byte inside XGBoost's part is caught by the file's checksum */
  FILE *f = fopen(path, "r+b");
  fseek(f, -20, SEEK_END);
  int ch = fgetc(f);
  fseek(f, -20, SEEK_END);
  fputc(ch ^ 0x40, f);
  fclose(f);
  br_model *bad = NULL;
  assert_int_equal(br_model_load(&bad, path), BR_ERR_PARSE);
  assert_non_null(strstr(br_last_error(), "checksum"));
  unlink(path);
  br_tensor_free(p);
  br_tensor_free(q);
  br_model_free(m);
  br_model_free(l);
  br_tensor_free(X);
  br_tensor_free(y);
}

static void gbdt_weights_fractional_labels_and_errors(void **state) {
  (void)state;
  br_gbdt_options o;
  br_gbdt_options_init(&o);
  o.depth = 0;
  br_model *m = NULL;
  assert_int_equal(br_gbdt_new(&m, &o), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "depth 0"));
  br_gbdt_options_init(&o);
  if (!br_gbdt_available()) {
    assert_int_equal(br_gbdt_new(&m, &o), BR_ERR_STATE);
    assert_non_null(strstr(br_last_error(), "install libxgboost-dev"));
    return;
  }
  /* two groups, labels are shares: 3 of 4 and 1 of 4 with weight 4 each;
   * a constant-free fit must reach the shares (no features split them
   * except x), so predictions approach 0.75 and 0.25 */
  o.trees = 200;
  o.eta = 0.3;
  o.min_child_weight = 0;
  o.lambda = 0;
  assert_int_equal(br_gbdt_new(&m, &o), BR_OK);
  br_tensor *X = test_matrix(2, 1, (double[]){0, 1}), *y = test_vector(2, (double[]){0.75, 0.25});
  br_tensor *w = test_vector(2, (double[]){4, 4}), *p = NULL;
  assert_int_equal(br_gbdt_fit(m, X, y, w, NULL, NULL), BR_OK);
  assert_int_equal(br_model_predict(&p, m, X), BR_OK);
  assert_double_equal(br_tensor_data(p)[0], 0.75, 1e-3);
  assert_double_equal(br_tensor_data(p)[1], 0.25, 1e-3);
  br_tensor *bad = test_vector(2, (double[]){1.5, 0});
  assert_int_equal(br_gbdt_fit(m, X, bad, NULL, NULL, NULL), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "labels in [0, 1]"));
  br_tensor *wide = test_matrix(1, 2, (double[]){0, 1});
  br_tensor *q = NULL;
  assert_int_equal(br_model_predict(&q, m, wide), BR_ERR_SHAPE);
  br_tensor_free(wide);
  br_tensor_free(bad);
  br_tensor_free(p);
  br_tensor_free(w);
  br_tensor_free(X);
  br_tensor_free(y);
  br_model_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gbdt_learns_a_single_split_and_credits_its_feature),
      cmocka_unit_test(gbdt_save_and_load_give_identical_predictions),
      cmocka_unit_test(gbdt_weights_fractional_labels_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
