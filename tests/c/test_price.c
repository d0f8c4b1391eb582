/* cmocka tests for bundle pricing through the C API: the bivariate normal
 * CDF against closed forms and Plackett's integral, the copula's rho
 * calibration (round trip through simulated customers), repair of a
 * correlation matrix that is not positive definite, the stated-market cap
 * inside the exact optimum, the elasticity a spread gives, elasticity
 * estimation from planted data, and bad arguments. */
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

static double phi_cdf(double x) { return 0.5 * erfc(-x / M_SQRT2); }

static double bvn_pdf(double a, double b, double r) {
  double om = 1 - r * r;
  return exp(-(a * a - 2 * r * a * b + b * b) / (2 * om)) / (2 * M_PI * sqrt(om));
}

static void bvn_cdf_matches_closed_forms_and_plackett(void **state) {
  (void)state;
  /* at the origin: 1/4 + asin(rho) / (2 pi), across all three quadrature regimes */
  const double rhos[] = {-0.999, -0.95, -0.8, -0.5, -0.2, 0, 0.1, 0.4, 0.7, 0.9, 0.93, 0.99, 0.999999};
  for (size_t i = 0; i < sizeof rhos / sizeof *rhos; i++)
    assert_double_equal(br_bvn_cdf(0, 0, rhos[i]), 0.25 + asin(rhos[i]) / (2 * M_PI), 1e-14);
  /* independence, the Frechet ends and infinite limits */
  assert_double_equal(br_bvn_cdf(0.3, -1.2, 0), phi_cdf(0.3) * phi_cdf(-1.2), 1e-15);
  assert_double_equal(br_bvn_cdf(0.3, -1.2, 1), phi_cdf(-1.2), 1e-15);
  assert_double_equal(br_bvn_cdf(0.3, 1.2, -1), phi_cdf(0.3) + phi_cdf(1.2) - 1, 1e-15);
  assert_double_equal(br_bvn_cdf(0.3, -1.2, -1), 0, 1e-15);
  assert_double_equal(br_bvn_cdf(INFINITY, 0.7, 0.5), phi_cdf(0.7), 0);
  assert_double_equal(br_bvn_cdf(-INFINITY, 0.7, 0.5), 0, 0);
  assert_true(isnan(br_bvn_cdf(NAN, 0.7, 0.5)));
  /* off the origin: Plackett's identity d Phi2 / d rho = phi2, integrated
   * by Simpson's rule from independence (an independent check) */
  const double pts[][2] = {{-1.5, 0.4}, {0.8, 1.9}, {-2.3, -2.0}, {1.0, -0.5}};
  const double ends[] = {-0.97, -0.6, 0.5, 0.85, 0.97};
  for (size_t p = 0; p < 4; p++)
    for (size_t e = 0; e < 5; e++) {
      double a = pts[p][0], b = pts[p][1], r1 = ends[e], h = r1 / 20000, sum = bvn_pdf(a, b, 0) + bvn_pdf(a, b, r1);
      for (int k = 1; k < 20000; k++) sum += (k % 2 ? 4 : 2) * bvn_pdf(a, b, k * h);
      assert_double_equal(br_bvn_cdf(a, b, r1), phi_cdf(a) * phi_cdf(b) + sum * h / 3, 1e-11);
    }
}

/* the share of simulated customers above list price for both items of a
 * pair whose latent correlation is rho */
static double simulated_joint(double qi, double qj, double rho, int64_t k) {
  double price[2] = {10, 4}, share[2] = {qi, qj}, e[2] = {2.5, 2.5}, R[4] = {1, rho, rho, 1}, s = -1;
  br_wtp_params p;
  br_wtp_params_init(&p);
  p.n = 2, p.price = price, p.share = share, p.elasticity = e, p.corr = R, p.customers = k, p.seed = 3;
  assert_int_equal(br_price_joint_share_params(&s, &p), BR_OK);
  return s;
}

static void rho_calibration_round_trips_through_customers(void **state) {
  (void)state;
  const double qi = 0.3, qj = 0.2, K = 200000;
  /* independence gives 0.06: targets above, at and below it */
  const double target[] = {0.12, 0.06, 0.02};
  double rho[3];
  for (int k = 0; k < 3; k++) {
    assert_int_equal(br_price_calibrate_rho(&rho[k], qi, qj, target[k]), BR_OK);
    double sim = simulated_joint(qi, qj, rho[k], (int64_t)K);
    assert_double_equal(sim, target[k], 4 * sqrt(target[k] * (1 - target[k]) / K));
  }
  assert_true(rho[0] > 0.3);
  assert_double_equal(rho[1], 0, 1e-9);
  assert_true(rho[2] < -0.2);
  /* the Frechet bounds: always together is rho 1, never together (when
   * the shares allow it) is rho -1 */
  double r;
  assert_int_equal(br_price_calibrate_rho(&r, qi, qj, 0.25), BR_OK);
  assert_double_equal(r, 1, 0);
  assert_int_equal(br_price_calibrate_rho(&r, qi, qj, 0), BR_OK);
  assert_double_equal(r, -1, 0);
  assert_int_equal(br_price_calibrate_rho(&r, 0, qj, 0.1), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "shares in (0, 1)"));
  assert_int_equal(br_price_calibrate_rho(&r, qi, qj, NAN), BR_ERR_ARG);
}

static void repairs_a_correlation_matrix_that_is_not_positive_definite(void **state) {
  (void)state;
  /* off-diagonal pattern with eigenvalues -2, 1, 1: R(l) = I + 0.9 l M is
   * positive definite exactly for l < 1 / 1.8 */
  double R[9] = {1, 0.9, 0.9, 0.9, 1, -0.9, 0.9, -0.9, 1}, L[9], l;
  assert_int_equal(br_corr_repair(R, L, 3, &l), BR_OK);
  assert_double_equal(l, 1 / 1.8, 2e-6);
  assert_double_equal(R[1], 0.9 * l, 1e-15);
  for (int i = 0; i < 3; i++) /* L L' is the repaired R */
    for (int j = 0; j < 3; j++) {
      double s = 0;
      for (int m = 0; m < 3; m++) s += L[i * 3 + m] * L[j * 3 + m];
      assert_double_equal(s, R[i * 3 + j], 1e-12);
    }
  double ok[4] = {1, 0.5, 0.5, 1};
  assert_int_equal(br_corr_repair(ok, L, 2, &l), BR_OK);
  assert_double_equal(l, 1, 0);
  assert_double_equal(ok[1], 0.5, 0);
  assert_double_equal(L[2], 0.5, 1e-15);
  assert_double_equal(L[3], sqrt(0.75), 1e-15);
  double bad[4] = {1, 0.5, 0.4, 1};
  assert_int_equal(br_corr_repair(bad, L, 2, &l), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "entry (1, 2) is 0.5: it must be symmetric"));
  double diag[4] = {2, 0, 0, 1};
  assert_int_equal(br_corr_repair(diag, L, 2, &l), BR_ERR_ARG);
}

static void the_market_cap_binds_inside_the_exact_optimum(void **state) {
  (void)state;
  /* rare, cheap-to-make items: deep discounts would sell to many who buy
   * neither item at list price */
  double price[2] = {10, 8}, cost[2] = {1, 1}, share[2] = {0.03, 0.02}, e[2] = {4, 4}, R[4] = {1, 0.3, 0.3, 1};
  br_wtp_params p;
  br_wtp_params_init(&p);
  p.n = 2, p.price = price, p.cost = cost, p.share = share, p.elasticity = e, p.corr = R, p.customers = 5000;
  br_price_point free_pt, capped, at;
  p.market = 0;
  assert_int_equal(br_price_optimize_params(&free_pt, &p, 0.6, 0.6, BR_PRICE_PROFIT), BR_OK);
  p.market = 2;
  assert_int_equal(br_price_optimize_params(&capped, &p, 0.6, 0.6, BR_PRICE_PROFIT), BR_OK);
  double buyers = capped.market_share * 5000;
  assert_double_equal(capped.market_share, free_pt.market_share, 0);
  assert_true(free_pt.take_rate > 2 * free_pt.market_share); /* the cap matters here */
  assert_double_equal(capped.take_rate, floor(2 * buyers) / 5000, 1e-15);
  /* the capped optimum is exact: no discount on a dense grid beats it */
  br_price_point best;
  assert_int_equal(br_price_optimize_params(&best, &p, 0, 0.9, BR_PRICE_PROFIT), BR_OK);
  double grid = -1;
  for (int k = 0; k <= 900; k += 2) {
    assert_int_equal(br_price_optimize_params(&at, &p, 0.9 * k / 900, 0.9 * k / 900, BR_PRICE_PROFIT), BR_OK);
    assert_true(at.take_rate <= 2 * at.market_share + 1e-15);
    assert_true(at.profit <= best.profit + 1e-12);
    if (at.profit > grid) grid = at.profit;
  }
  assert_true(best.profit <= grid * 1.01);
  /* and for incremental profit too */
  assert_int_equal(br_price_optimize_params(&best, &p, 0, 0.9, BR_PRICE_INCREMENTAL), BR_OK);
  for (int k = 0; k <= 900; k += 6) {
    assert_int_equal(br_price_optimize_params(&at, &p, 0.9 * k / 900, 0.9 * k / 900, BR_PRICE_PROFIT), BR_OK);
    assert_true(at.incremental_profit <= best.incremental_profit + 1e-12);
  }
}

static void a_spread_gives_the_stated_elasticity(void **state) {
  (void)state;
  /* half above the price, elasticity 1: sigma = phi(0) / 0.5 */
  assert_double_equal(br_price_sigma(0.5, 1), 2 / sqrt(2 * M_PI), 1e-15);
  const double es[] = {0.8, 2, 4};
  for (int k = 0; k < 3; k++) {
    double price[1] = {20}, share[1] = {0.15}, e[1] = {es[k]};
    br_wtp_params p;
    br_wtp_params_init(&p);
    p.n = 1, p.price = price, p.share = share, p.elasticity = e, p.customers = 500000;
    br_price_point at, cut;
    assert_int_equal(br_price_optimize_params(&at, &p, 0, 0, BR_PRICE_PROFIT), BR_OK);
    assert_int_equal(br_price_optimize_params(&cut, &p, 0.01, 0.01, BR_PRICE_PROFIT), BR_OK);
    assert_double_equal(at.take_rate, 0.15, 4 * sqrt(0.15 * 0.85 / 500000));
    double measured = log(cut.take_rate / at.take_rate) / -log(0.99);
    assert_double_equal(measured, es[k], 0.1 * es[k]);
  }
}

/* Random baskets over items "1".."8" where 1 and 2 sell together. */
static void make_stats(br_baskets **b, br_catalog **cat, br_bundle_stats **st) {
  br_rng r;
  br_rng_seed(&r, 17);
  const char *path = "build/price_world.dat";
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  for (int k = 0; k < 400; k++) {
    int in[9] = {0};
    for (int i = 1; i <= 8; i++) in[i] = br_rng_uniform(&r) < 0.2;
    if (br_rng_uniform(&r) < 0.15) in[1] = in[2] = 1;
    if (in[3]) in[4] = 0; /* 3 and 4 substitute */
    in[5] = 1;
    for (int i = 1; i <= 8; i++)
      if (in[i]) fprintf(fp, "%d ", i);
    if (k == 10) fputs("9 ", fp); /* two rare items, each in one basket */
    if (k == 20) fputs("10 ", fp);
    fputc('\n', fp);
  }
  fclose(fp);
  *b = test_read_baskets(path, 0);
  const char *labels[10] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"};
  double price[10] = {10, 6, 8, 8, 3, 12, 5, 7, 9, 9}, cost[10] = {5, 2, 4, 4, 1, 8, 2, 3, 4, 4}, stock[10] = {0};
  int32_t category[10] = {0};
  assert_int_equal(br_catalog_new(cat, 10, labels, NULL, price, cost, category, stock), BR_OK);
  assert_int_equal(br_bundle_stats_new(st, *cat, *b), BR_OK);
}

static void stats_path_calibrates_pairs_and_names_bad_bounds(void **state) {
  (void)state;
  br_baskets *b;
  br_catalog *cat;
  br_bundle_stats *st;
  make_stats(&b, &cat, &st);
  br_wtp_spec w;
  br_wtp_spec_init(&w);
  assert_double_equal(w.elasticity_prior, 2.5, 0);
  assert_double_equal(w.min_elasticity, 0.5, 0);
  assert_double_equal(w.max_elasticity, 5, 0);
  assert_double_equal(w.market, 2, 0);
  w.customers = 100000;
  const int32_t pairs[][2] = {{0, 1}, {2, 3}, {5, 6}}; /* together, substitutes, independent */
  for (int k = 0; k < 3; k++) {
    double sim, obs;
    assert_int_equal(br_price_joint_share(&sim, &obs, st, pairs[k], 2, &w), BR_OK);
    double s = obs > 0 ? obs : 0.5 / 400;
    assert_double_equal(sim, s, 4 * sqrt(s * (1 - s) / 100000) + 1e-12);
  }
  /* rare items never seen together: independence predicts far less than
   * half a basket, so they stay independent; a pair seen together more
   * than by chance is positively dependent */
  double rho;
  assert_int_equal(br_price_pair_rho(&rho, st, 8, 9), BR_OK);
  assert_double_equal(rho, 0, 1e-9);
  assert_int_equal(br_price_pair_rho(&rho, st, 0, 1), BR_OK);
  assert_true(rho > 0.2);
  assert_int_equal(br_price_pair_rho(&rho, st, 2, 3), BR_OK);
  assert_true(rho < -0.5);
  assert_int_equal(br_price_pair_rho(&rho, st, 4, 4), BR_ERR_ARG);
  /* the exact optimum against a grid of evaluations */
  w.customers = 2000;
  const int32_t items[] = {0, 1, 6};
  br_price_point best, at;
  assert_int_equal(br_price_optimize_wtp(&best, st, items, 3, &w, 0, 0.5, BR_PRICE_PROFIT), BR_OK);
  for (int k = 0; k <= 500; k++) {
    assert_int_equal(br_price_evaluate_wtp(&at, st, items, 3, &w, 0.5 * k / 500), BR_OK);
    assert_true(at.profit <= best.profit + 1e-12);
  }
  assert_int_equal(br_price_optimize_wtp(&best, st, items, 3, &w, 0.6, 0.5, BR_PRICE_PROFIT), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "discount must be {min, max}"));
  /* bounds: max 0 is none; a negative, infinite, tiny or NaN max is named */
  w.max_elasticity = 0;
  assert_int_equal(br_price_evaluate_wtp(&at, st, items, 3, &w, 0.1), BR_OK);
  const double bad_max[] = {-1, INFINITY, 1e-300, NAN};
  for (int k = 0; k < 4; k++) {
    w.max_elasticity = bad_max[k];
    assert_int_equal(br_price_evaluate_wtp(&at, st, items, 3, &w, 0.1), BR_ERR_ARG);
    assert_non_null(strstr(br_last_error(), "max_elasticity must be 0 (no bound) or in [0.1, 1e6]"));
  }
  w.max_elasticity = 2, w.min_elasticity = 3;
  assert_int_equal(br_price_evaluate_wtp(&at, st, items, 3, &w, 0.1), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "min_elasticity must be in [0.1, 1e6] and at most max_elasticity"));
  w.min_elasticity = 0.5, w.elasticity_prior = NAN;
  assert_int_equal(br_price_evaluate_wtp(&at, st, items, 3, &w, 0.1), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "elasticity prior must be a magnitude > 0"));
  w.elasticity_prior = 2.5;
  double per[10] = {NAN, NAN, NAN, NAN, NAN, NAN, -2, NAN, NAN, NAN};
  w.elasticity = per;
  assert_int_equal(br_price_evaluate_wtp(&at, st, items, 3, &w, 0.1), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "item 3 of the bundle has elasticity -2"));
  br_bundle_stats_free(st);
  br_catalog_free(cat);
  br_baskets_free(b);
}

/* Visits that buy nothing never reach the baskets: six items bought
 * independently, each by 15% of 6000 visitors, with the empty visits
 * dropped (about 38% of them), plus two rare items 7 and 8 that met in 5
 * baskets by design. */
static void make_visits(br_baskets **b, br_catalog **cat, br_bundle_stats **st, double *share) {
  br_rng r;
  br_rng_seed(&r, 29);
  const char *path = "build/price_visits.dat";
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  int baskets = 0, visits = 6000;
  for (int k = 0; k < visits; k++) {
    int any = 0;
    for (int i = 1; i <= 6; i++)
      if (br_rng_uniform(&r) < 0.15) fprintf(fp, "%d ", i), any = 1;
    if (k < 5) fputs("7 8 ", fp), any = 1;
    if (k >= 5 && k < 8) fputs("7 ", fp), any = 1;
    if (k >= 8 && k < 11) fputs("8 ", fp), any = 1;
    if (any) fputc('\n', fp), baskets++;
  }
  fclose(fp);
  *share = (double)baskets / visits;
  *b = test_read_baskets(path, 0);
  const char *labels[8] = {"1", "2", "3", "4", "5", "6", "7", "8"};
  double price[8] = {10, 6, 8, 8, 3, 12, 5, 7}, cost[8] = {5, 2, 4, 4, 1, 8, 2, 3}, stock[8] = {0};
  int32_t category[8] = {0};
  assert_int_equal(br_catalog_new(cat, 8, labels, NULL, price, cost, category, stock), BR_OK);
  assert_int_equal(br_bundle_stats_new(st, *cat, *b), BR_OK);
}

static void visit_share_and_pair_prior_correct_the_joint_support(void **state) {
  (void)state;
  br_baskets *b;
  br_catalog *cat;
  br_bundle_stats *st;
  double share;
  make_visits(&b, &cat, &st, &share);
  assert_true(share > 0.55 && share < 0.7); /* 1 - 0.85^6 = 0.623 */
  br_wtp_spec w;
  br_wtp_spec_init(&w);
  assert_double_equal(w.visit_share, 1, 0);
  assert_double_equal(w.pair_prior, 0, 0);
  /* on baskets alone, independent items look like substitutes (Berkson) */
  double rho_b, rho_v;
  const int32_t pair[2] = {0, 1};
  assert_int_equal(br_price_pair_rho_spec(&rho_b, st, 0, 1, &w), BR_OK);
  assert_true(rho_b < -0.15);
  w.visit_share = share;
  assert_int_equal(br_price_pair_rho_spec(&rho_v, st, 0, 1, &w), BR_OK);
  assert_true(fabs(rho_v) < 0.06);
  /* the model's joint share is still a share of the baskets */
  w.customers = 100000;
  double sim, obs;
  assert_int_equal(br_price_joint_share(&sim, &obs, st, pair, 2, &w), BR_OK);
  assert_double_equal(sim, obs, 0.15 * obs);
  /* the rare pair met 5 times where independence expects about 0.02: the
   * prior pulls its correlation down; the common pair barely moves */
  double rare0, rare2, common2;
  assert_int_equal(br_price_pair_rho_spec(&rare0, st, 6, 7, &w), BR_OK);
  w.pair_prior = 2;
  assert_int_equal(br_price_pair_rho_spec(&rare2, st, 6, 7, &w), BR_OK);
  assert_int_equal(br_price_pair_rho_spec(&common2, st, 0, 1, &w), BR_OK);
  assert_true(rare0 > 0.8);
  assert_true(rare2 < rare0 - 0.1);
  assert_double_equal(common2, rho_v, 0.02);
  /* bad values are named */
  const double bad_share[] = {0, 1.5, NAN, -0.2};
  for (int k = 0; k < 4; k++) {
    w.visit_share = bad_share[k];
    assert_int_equal(br_price_pair_rho_spec(&rho_v, st, 0, 1, &w), BR_ERR_ARG);
    assert_non_null(strstr(br_last_error(), "visit_share must be in (0, 1]"));
    assert_int_equal(br_price_joint_share(&sim, &obs, st, pair, 2, &w), BR_ERR_ARG);
  }
  w.visit_share = 1;
  const double bad_prior[] = {-1, INFINITY, NAN};
  for (int k = 0; k < 3; k++) {
    w.pair_prior = bad_prior[k];
    assert_int_equal(br_price_pair_rho_spec(&rho_v, st, 0, 1, &w), BR_ERR_ARG);
    assert_non_null(strstr(br_last_error(), "pair_prior must be >= 0"));
  }
  br_bundle_stats_free(st);
  br_catalog_free(cat);
  br_baskets_free(b);
}

static void explicit_parameters_are_checked(void **state) {
  (void)state;
  double price[2] = {10, 4}, share[2] = {0.3, 0.2}, e[2] = {2, 2};
  br_wtp_params p;
  br_wtp_params_init(&p);
  p.n = 2, p.price = price, p.share = share, p.elasticity = e, p.customers = 100;
  br_price_point at;
  assert_int_equal(br_price_optimize_params(&at, &p, 0, 0.3, BR_PRICE_PROFIT), BR_OK);
  share[1] = NAN;
  assert_int_equal(br_price_optimize_params(&at, &p, 0, 0.3, BR_PRICE_PROFIT), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "item 2 has share nan"));
  share[1] = 0.2, e[0] = -1;
  assert_int_equal(br_price_optimize_params(&at, &p, 0, 0.3, BR_PRICE_PROFIT), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "item 1 has elasticity -1"));
  e[0] = 2, price[0] = NAN;
  assert_int_equal(br_price_optimize_params(&at, &p, 0, 0.3, BR_PRICE_PROFIT), BR_ERR_ARG);
  price[0] = 10, p.n = 0;
  assert_int_equal(br_price_optimize_params(&at, &p, 0, 0.3, BR_PRICE_PROFIT), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "a bundle has 1 to 8 items, got 0"));
  p.n = 2, p.market = 0.5;
  assert_int_equal(br_price_optimize_params(&at, &p, 0, 0.3, BR_PRICE_PROFIT), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "market must be 0 (no cap) or in [1, 1e6]"));
  p.market = 2, p.customers = 0;
  assert_int_equal(br_price_optimize_params(&at, &p, 0, 0.3, BR_PRICE_PROFIT), BR_ERR_ARG);
  p.customers = 100;
  double R[4] = {1, 1.5, 1.5, 1};
  p.corr = R;
  assert_int_equal(br_price_optimize_params(&at, &p, 0, 0.3, BR_PRICE_PROFIT), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "correlation matrix's entry (1, 2) is 1.5"));
  p.corr = NULL;
  double sg[2] = {NAN, 0};
  p.sigma = sg;
  assert_int_equal(br_price_optimize_params(&at, &p, 0, 0.3, BR_PRICE_PROFIT), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "item 2 has sigma 0"));
}

/* Regression (two-way fixed effects): a season moves every item's sales and
 * the shop prices with it (dearer in busy weeks). An item-only regression
 * reads the season as price response (here it would find demand rising
 * with price); the period effects take it out and the planted slope of 2
 * comes back, for each item and pooled. */
static void elasticity_takes_out_a_season_shared_by_all_items(void **state) {
  (void)state;
  enum { W = 52, I = 4 };
  int64_t n = (int64_t)W * I;
  int32_t item[W * I];
  double price[W * I], qty[W * I], t[W * I];
  br_rng r;
  br_rng_seed(&r, 11);
  int64_t k = 0;
  for (int wk = 0; wk < W; wk++) {
    double season = 1.2 * sin(2 * M_PI * wk / 52.0); /* log traffic */
    for (int i = 0; i < I; i++, k++) {
      double lp = log(2.0 + i) + 0.25 * season + 0.08 * br_rng_normal(&r);
      item[k] = i, price[k] = exp(lp), t[k] = wk * 7 + 1;
      qty[k] = exp(6 + season - 2 * (lp - log(2.0 + i)) + 0.02 * br_rng_normal(&r));
    }
  }
  br_elasticity_spec s;
  br_elasticity_spec_init(&s);
  double e[I];
  uint8_t est[I];
  br_elasticity_fit fit;
  assert_int_equal(br_price_elasticity(e, est, &fit, I, item, price, qty, t, n, &s), BR_OK);
  assert_int_equal(fit.items, I);
  assert_double_equal(fit.pooled, 2, 0.1);
  for (int i = 0; i < I; i++) assert_double_equal(e[i], 2, 0.2);
}

static void elasticity_estimation_recovers_a_planted_slope(void **state) {
  (void)state;
  /* 3 items over 40 weeks: items 0 and 1 change price weekly and sell
   * A p^-2 x noise units; item 2 never changes price */
  enum { W = 40, LINES = 3 };
  int64_t n = 3 * W * LINES;
  int32_t *item = malloc((size_t)n * sizeof *item);
  double *price = malloc((size_t)n * sizeof *price), *qty = malloc((size_t)n * sizeof *qty), *t = malloc((size_t)n * sizeof *t);
  br_rng r;
  br_rng_seed(&r, 5);
  int64_t k = 0;
  for (int wk = 0; wk < W; wk++)
    for (int i = 0; i < 3; i++) {
      double p = i == 2 ? 4 : (i ? 7 : 3) * exp(0.2 * br_rng_normal(&r));
      double units = 500 * pow(p, -2) * exp(0.1 * br_rng_normal(&r)) * (i ? 49 : 9);
      for (int l = 0; l < LINES; l++, k++)
        item[k] = i, price[k] = p, qty[k] = units / LINES, t[k] = wk * 7 + l;
    }
  br_elasticity_spec s;
  br_elasticity_spec_init(&s);
  double e[3];
  uint8_t est[3];
  br_elasticity_fit fit;
  assert_int_equal(br_price_elasticity(e, est, &fit, 3, item, price, qty, t, n, &s), BR_OK);
  assert_int_equal(fit.items, 2);
  assert_int_equal(fit.periods, W);
  assert_double_equal(fit.pooled, 2, 0.1);
  assert_double_equal(e[0], 2, 0.15);
  assert_double_equal(e[1], 2, 0.15);
  assert_true(est[0] && est[1] && !est[2]);
  assert_double_equal(e[2], 2.5, 0); /* the prior */
  s.fallback_pooled = 1;
  assert_int_equal(br_price_elasticity(e, est, &fit, 3, item, price, qty, t, n, &s), BR_OK);
  assert_double_equal(e[2], fit.pooled, 0);
  /* different true slopes, well measured: empirical Bayes keeps them apart */
  s.fallback_pooled = 0;
  k = 0;
  for (int wk = 0; wk < W; wk++)
    for (int i = 0; i < 3; i++) {
      double p = i == 2 ? 4 : (i ? 7 : 3) * exp(0.2 * br_rng_normal(&r));
      double units = 500 * pow(p, i ? -3.0 : -1.0) * exp(0.05 * br_rng_normal(&r));
      for (int l = 0; l < LINES; l++, k++) qty[k] = units / LINES, price[k] = p;
    }
  assert_int_equal(br_price_elasticity(e, est, &fit, 3, item, price, qty, t, n, &s), BR_OK);
  assert_double_equal(e[0], 1, 0.15);
  assert_double_equal(e[1], 3, 0.3);
  assert_true(fit.tau > 0.5);
  s.period = 0;
  assert_int_equal(br_price_elasticity(e, est, &fit, 3, item, price, qty, t, n, &s), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "the period must be > 0"));
  free(item), free(price), free(qty), free(t);
}

/* Regression (periods that straddle price changes): the shop changes every
 * price at midnight between weeks; the window opens on a week's fourth day,
 * so periods anchored at its first sale would hold four days of one price
 * and three of the next. The cell's mean price is then that of the units
 * it happened to sell, not the price its expected sales faced (errors in
 * variables, worst for items sold a few times a week), and the slopes are
 * attenuated: 2.76 for the rare items, 2.80 for the popular and 2.72
 * pooled against a planted 3 with the grid anchored at the first sale.
 * The grid's phase is taken where prices hold, and they come back. */
static int poisson(br_rng *r, double lam) {
  double l = exp(-lam), p = 1;
  int k = 0;
  do k++, p *= br_rng_uniform(r);
  while (p > l);
  return k - 1;
}

static void elasticity_periods_follow_the_price_changes(void **state) {
  (void)state;
  enum { W = 40, I = 30, RARE = 20, MAX = 200000 };
  int32_t *item = malloc(MAX * sizeof *item);
  double *price = malloc(MAX * sizeof *price), *qty = malloc(MAX * sizeof *qty), *t = malloc(MAX * sizeof *t);
  br_rng r;
  br_rng_seed(&r, 17);
  int64_t n = 0;
  for (int wk = 0; wk < W; wk++)
    for (int i = 0; i < I; i++) {
      double lp = 0.25 * (2 * br_rng_uniform(&r) - 1); /* this week's log price, off list */
      int units = poisson(&r, (i < RARE ? 6 : 40) * exp(-3 * lp));
      for (int u = 0; u < units; u++) {
        /* a sale on one of the week's days, between 08:00 and 20:00 */
        double day = wk * 7 + (double)br_rng_below(&r, 7) + (8 + 12 * br_rng_uniform(&r)) / 24;
        if (day < 3 || n == MAX) continue; /* the window opens on the week's fourth day */
        item[n] = i, price[n] = (i + 2) * exp(lp), qty[n] = 1, t[n] = day, n++;
      }
    }
  br_elasticity_spec s;
  br_elasticity_spec_init(&s);
  double e[I], own[I];
  s.own = own;
  br_elasticity_fit fit;
  assert_int_equal(br_price_elasticity(e, NULL, &fit, I, item, price, qty, t, n, &s), BR_OK);
  double rare = 0, popular = 0;
  for (int i = 0; i < I; i++) {
    if (i < RARE) rare += own[i] / RARE;
    else popular += own[i] / (I - RARE);
  }
  assert_double_equal(rare, 3, 0.2);
  assert_double_equal(popular, 3, 0.15);
  assert_double_equal(fit.pooled, 3, 0.15);
  double tmin = INFINITY;
  for (int64_t k = 0; k < n; k++) tmin = fmin(tmin, t[k]);
  /* the grid starts between 20:00 and 08:00 around a week's midnight, where no sale splits a price week */
  double anchor = fmod(tmin - fit.phase, 7);
  if (anchor > 3.5) anchor -= 7;
  assert_true(anchor > -4.0 / 24 - 1e-9 && anchor < 8.0 / 24 + 1e-9);
  free(item), free(price), free(qty), free(t);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bvn_cdf_matches_closed_forms_and_plackett),
      cmocka_unit_test(rho_calibration_round_trips_through_customers),
      cmocka_unit_test(repairs_a_correlation_matrix_that_is_not_positive_definite),
      cmocka_unit_test(the_market_cap_binds_inside_the_exact_optimum),
      cmocka_unit_test(a_spread_gives_the_stated_elasticity),
      cmocka_unit_test(stats_path_calibrates_pairs_and_names_bad_bounds),
      cmocka_unit_test(visit_share_and_pair_prior_correct_the_joint_support),
      cmocka_unit_test(explicit_parameters_are_checked),
      cmocka_unit_test(elasticity_estimation_recovers_a_planted_slope),
      cmocka_unit_test(elasticity_takes_out_a_season_shared_by_all_items),
      cmocka_unit_test(elasticity_periods_follow_the_price_changes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
