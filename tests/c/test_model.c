/* cmocka tests for optimisers and models from C, on hand-checked cases. */
#include <math.h>
#include <stdlib.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "bundle/bundle.h"

static double rosenbrock(void *ctx, const double *x, double *g) {
  (void)ctx;
  double a = x[0], b = x[1];
  g[0] = -2 * (1 - a) - 400 * a * (b - a * a);
  g[1] = 200 * (b - a * a);
  return (1 - a) * (1 - a) + 100 * (b - a * a) * (b - a * a);
}

static void lbfgs_finds_the_rosenbrock_minimum(void **state) {
  (void)state;
  double x[2] = {-1.2, 1};
  br_lbfgs_options o;
  br_lbfgs_options_init(&o);
  o.max_iter = 200;
  br_lbfgs_result r;
  assert_int_equal(br_lbfgs(rosenbrock, NULL, 2, x, &o, &r), BR_OK);
  assert_true(r.converged);
  assert_double_equal(x[0], 1, 1e-6);
  assert_double_equal(x[1], 1, 1e-6);
}

/* A quadratic on a large constant: near the minimum its decrease is below
 * f's rounding, while the gradient stays exact. */
static double offset_quadratic(void *ctx, const double *x, double *g) {
  (void)ctx;
  static const double c[3] = {1, 100, 1e4};
  double f = 1e6;
  for (int j = 0; j < 3; j++) g[j] = c[j] * (x[j] - 1), f += 0.5 * c[j] * (x[j] - 1) * (x[j] - 1);
  return f;
}

/* Regression: once the Armijo test was lost in rounding, every step tried
 * 40 halvings and the search stopped short of the gradient tolerance (the
 * logistic fit spent 154 evaluations on 21 steps). */
static void lbfgs_reaches_the_gradient_tolerance_below_f_rounding(void **state) {
  (void)state;
  double x[3] = {-3, 2, 0.5};
  br_lbfgs_options o;
  br_lbfgs_options_init(&o);
  o.gtol = 1e-9;
  o.ftol = 0;
  o.max_iter = 200;
  br_lbfgs_result r;
  assert_int_equal(br_lbfgs(offset_quadratic, NULL, 3, x, &o, &r), BR_OK);
  assert_true(r.converged);
  for (int j = 0; j < 3; j++) assert_double_equal(x[j], 1, 1e-9);
  assert_true(r.evaluations <= 2 * r.iterations + 5);
}

static double nan_objective(void *ctx, const double *x, double *g) {
  (void)ctx, (void)x, (void)g;
  return NAN;
}

static void lbfgs_rejects_a_nan_objective(void **state) {
  (void)state;
  double x[1] = {0};
  assert_int_equal(br_lbfgs(nan_objective, NULL, 1, x, NULL, NULL), BR_ERR_NUMERIC);
}

static void adam_and_sgd_minimise_a_quadratic(void **state) {
  (void)state;
  double x[2] = {3, -4}, m[2] = {0}, v[2] = {0}, g[2];
  for (int64_t t = 1; t <= 2000; t++) {
    g[0] = 2 * (x[0] - 1);
    g[1] = 2 * (x[1] - 2);
    br_adam_step(2, 0.05, 0.9, 0.999, 1e-8, t, g, x, m, v);
  }
  assert_double_equal(x[0], 1, 1e-4);
  assert_double_equal(x[1], 2, 1e-4);
  float xf[1] = {5}, vf[1] = {0}, gf[1];
  for (int t = 0; t < 200; t++) {
    gf[0] = 2 * xf[0];
    br_sgd_stepf(1, 0.1f, 0.5f, 0, gf, xf, vf);
  }
  assert_double_equal(xf[0], 0, 1e-5);
}

static void linear_fits_a_line_and_reports_rank_deficiency(void **state) {
  (void)state;
  double xv[4] = {0, 1, 2, 3}, yv[4] = {1, 3, 5, 7};
  br_tensor *X = test_matrix(4, 1, xv), *y = test_vector(4, yv), *w = NULL;
  br_model *m = NULL;
  assert_int_equal(br_linear_new(&m, NULL), BR_OK);
  assert_int_equal(br_model_fit(m, X, y), BR_OK);
  double b;
  assert_int_equal(br_model_coef(&w, &b, m), BR_OK);
  assert_double_equal(br_tensor_data(w)[0], 2, 1e-12);
  assert_double_equal(b, 1, 1e-12);
  double sv[9] = {10, 20, 30, 15, 25, 35, 20, 30, 40}, sy[3] = {500, 600, 700};
  br_tensor *S = test_matrix(3, 3, sv), *Sy = test_vector(3, sy);
  assert_int_equal(br_model_fit(m, S, Sy), BR_ERR_NUMERIC);
  assert_non_null(strstr(br_last_error(), "rank deficient (rank 1 of 3 columns)"));
  br_tensor_free(X), br_tensor_free(y), br_tensor_free(w), br_tensor_free(S), br_tensor_free(Sy);
  br_model_free(m);
}

static void logistic_reaches_the_hand_derived_optimum(void **state) {
  (void)state;
  double xv[2] = {-1, 1}, yv[2] = {0, 1};
  br_tensor *X = test_matrix(2, 1, xv), *y = test_vector(2, yv), *w = NULL, *p = NULL;
  br_logistic_options o;
  br_logistic_options_init(&o);
  o.intercept = 0;
  o.tol = 1e-12;
  br_model *m = NULL;
  assert_int_equal(br_logistic_new(&m, &o), BR_OK);
  assert_int_equal(br_model_predict(&p, m, X), BR_ERR_STATE); /* not fitted yet */
  assert_int_equal(br_model_fit(m, X, y), BR_OK);
  assert_int_equal(br_model_coef(&w, NULL, m), BR_OK);
  double wv = br_tensor_data(w)[0];
  assert_double_equal(wv, 2 / (1 + exp(wv)), 1e-10); /* stationary point of 2 softplus(-w) + w^2/2 */
  assert_int_equal(br_model_predict_proba(&p, m, X), BR_OK);
  assert_double_equal(br_tensor_data(p)[1], 1 / (1 + exp(-wv)), 1e-12);
  br_tensor_free(X), br_tensor_free(y), br_tensor_free(w), br_tensor_free(p);
  br_model_free(m);
}

/* br_model_converged: linear is exact; logistic stopped by max_iter is not
 * converged; an MLP whose loss still falls at the end (the seed's three
 * rows at lr 1e-3 for 100 epochs) is not, and the same rows with y on the
 * features' scale, lr 1e-2 and 500 epochs are. */
static void fits_say_whether_they_converged(void **state) {
  (void)state;
  const char *why = NULL;
  double xv[4] = {0, 1, 2, 3}, yv[4] = {1, 3, 5, 7}, lv[4] = {0, 1, 0, 1};
  br_tensor *X = test_matrix(4, 1, xv), *y = test_vector(4, yv), *l = test_vector(4, lv);
  br_model *m = NULL;
  assert_int_equal(br_linear_new(&m, NULL), BR_OK);
  assert_int_equal(br_model_fit(m, X, y), BR_OK);
  assert_int_equal(br_model_converged(m, &why), 1);
  assert_string_equal(why, "");
  br_model_free(m);

  br_logistic_options lo;
  br_logistic_options_init(&lo);
  lo.max_iter = 1;
  assert_int_equal(br_logistic_new(&m, &lo), BR_OK);
  assert_int_equal(br_model_fit(m, X, l), BR_OK);
  assert_int_equal(br_model_converged(m, &why), 0);
  assert_non_null(strstr(why, "L-BFGS stopped at max_iter (1 iterations)"));
  br_model_free(m);

  double s = sqrt(1.5); /* the seed's rows, standardised: each column -1, 0, 1 times sqrt(3/2) */
  double sv[9] = {-s, -s, -s, 0, 0, 0, s, s, s}, sy[3] = {500, 600, 700}, zy[3] = {-1, 0, 1};
  br_tensor *S = test_matrix(3, 3, sv), *Sy = test_vector(3, sy), *Zy = test_vector(3, zy);
  br_mlp_options o;
  br_mlp_options_init(&o);
  assert_double_equal(o.tol, 0.01, 0);
  assert_int_equal(br_mlp_new(&m, &o), BR_OK);
  assert_int_equal(br_model_fit(m, S, Sy), BR_OK);
  assert_int_equal(br_model_converged(m, NULL), 0);
  assert_int_equal(br_model_converged(m, &why), 0);
  assert_non_null(strstr(why, "the training loss was still falling"));
  br_model_free(m);
  o.lr = 1e-2;
  o.epochs = 500;
  assert_int_equal(br_mlp_new(&m, &o), BR_OK);
  assert_int_equal(br_model_fit(m, S, Zy), BR_OK);
  assert_int_equal(br_model_converged(m, &why), 1);
  br_model_free(m);
  o.tol = -1;
  assert_int_equal(br_mlp_new(&m, &o), BR_ERR_ARG);
  br_tensor_free(X), br_tensor_free(y), br_tensor_free(l), br_tensor_free(S), br_tensor_free(Sy), br_tensor_free(Zy);
}

/* Central differences against the analytic gradient, for every parameter
 * of a small net, with each activation and loss. Parameters are float32,
 * so the step is 1e-2 and the tolerance is relative to the gradient. */
static void check_mlp_gradient(br_activation act, br_activation out, br_loss loss) {
  br_rng rng;
  br_rng_seed(&rng, 11);
  int64_t shape[2] = {6, 3};
  br_tensor *X = NULL, *y = NULL;
  assert_int_equal(br_tensor_randn(&X, 2, shape, &rng), BR_OK);
  double yv[6];
  for (int i = 0; i < 6; i++) yv[i] = loss == BR_LOSS_BCE ? (double)(i % 2) : br_rng_normal(&rng);
  y = test_vector(6, yv);
  br_mlp_options o;
  br_mlp_options_init(&o);
  o.nlayers = 2;
  o.layers[0] = 4;
  o.layers[1] = 3;
  o.activation = act;
  o.output = out;
  o.loss = loss;
  o.epochs = 1;
  o.lr = 1e-2;
  br_model *m = NULL;
  assert_int_equal(br_mlp_new(&m, &o), BR_OK);
  assert_int_equal(br_model_fit(m, X, y), BR_OK); /* lays out and initialises the parameters */
  size_t n = br_mlp_size(m);
  float *g = malloc(n * sizeof *g);
  double f0, fp, fm;
  assert_int_equal(br_mlp_loss_grad(m, X, y, &f0, g), BR_OK);
  const float h = 1e-2f;
  for (size_t i = 0; i < n; i++) {
    float *tmp = malloc(n * sizeof *tmp);
    br_mlp_nudge(m, i, h);
    assert_int_equal(br_mlp_loss_grad(m, X, y, &fp, tmp), BR_OK);
    br_mlp_nudge(m, i, -2 * h);
    assert_int_equal(br_mlp_loss_grad(m, X, y, &fm, tmp), BR_OK);
    br_mlp_nudge(m, i, h);
    free(tmp);
    double num = (fp - fm) / (2 * h);
    double tol = 2e-2 * fabs(num) + 2e-3;
    if (fabs(num - g[i]) > tol) fail_msg("param %zu: analytic %g, numeric %g", i, g[i], num);
  }
  free(g);
  br_tensor_free(X);
  br_tensor_free(y);
  br_model_free(m);
}

static void mlp_gradients_match_finite_differences(void **state) {
  (void)state;
  check_mlp_gradient(BR_ACT_TANH, BR_ACT_LINEAR, BR_LOSS_MSE);
  check_mlp_gradient(BR_ACT_SIGMOID, BR_ACT_LINEAR, BR_LOSS_MSE);
  check_mlp_gradient(BR_ACT_RELU, BR_ACT_LINEAR, BR_LOSS_MSE);
  check_mlp_gradient(BR_ACT_LINEAR, BR_ACT_LINEAR, BR_LOSS_MSE);
  check_mlp_gradient(BR_ACT_TANH, BR_ACT_SIGMOID, BR_LOSS_BCE);
  check_mlp_gradient(BR_ACT_TANH, BR_ACT_SIGMOID, BR_LOSS_MSE);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(lbfgs_finds_the_rosenbrock_minimum),
      cmocka_unit_test(lbfgs_reaches_the_gradient_tolerance_below_f_rounding),
      cmocka_unit_test(lbfgs_rejects_a_nan_objective),
      cmocka_unit_test(adam_and_sgd_minimise_a_quadratic),
      cmocka_unit_test(linear_fits_a_line_and_reports_rank_deficiency),
      cmocka_unit_test(logistic_reaches_the_hand_derived_optimum),
      cmocka_unit_test(mlp_gradients_match_finite_differences),
      cmocka_unit_test(fits_say_whether_they_converged),
  };
  return cmocka_run_group_tests_name("model", tests, NULL, NULL);
}
