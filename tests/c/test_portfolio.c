/* cmocka tests for br_price_portfolio: a portfolio of one offer is the
 * single-offer path customer for customer; disjoint offers add up exactly
 * (each draws its own group); offers sharing a hub item split its
 * customers, so the portfolio earns less than the single offers' sum and
 * never more; market caps hold; bad arguments name the offer. */
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

typedef struct world {
  br_baskets *b;
  br_catalog *cat;
  br_bundle_stats *st;
} world;

/* Random baskets over items "1".."8" (ids 0..7) where 1 and 2 sell
 * together, 3 and 4 substitute and 5 is in every basket. */
static int setup(void **state) {
  world *wd = calloc(1, sizeof *wd);
  br_rng r;
  br_rng_seed(&r, 17);
  const char *path = "build/portfolio_world.dat";
  FILE *fp = fopen(path, "w");
  if (!fp) return -1;
  for (int k = 0; k < 400; k++) {
    int in[9] = {0};
    for (int i = 1; i <= 8; i++) in[i] = br_rng_uniform(&r) < 0.2;
    if (br_rng_uniform(&r) < 0.15) in[1] = in[2] = 1;
    if (in[3]) in[4] = 0;
    in[5] = 1;
    for (int i = 1; i <= 8; i++)
      if (in[i]) fprintf(fp, "%d ", i);
    fputc('\n', fp);
  }
  fclose(fp);
  if (br_baskets_read(&wd->b, path, ' ') != BR_OK) return -1;
  remove(path);
  const char *labels[8] = {"1", "2", "3", "4", "5", "6", "7", "8"};
  double price[8] = {10, 6, 8, 8, 3, 12, 5, 7}, cost[8] = {5, 2, 4, 4, 1, 8, 2, 3}, stock[8] = {0};
  int32_t category[8] = {0};
  if (br_catalog_new(&wd->cat, 8, labels, NULL, price, cost, category, stock) != BR_OK) return -1;
  if (br_bundle_stats_new(&wd->st, wd->cat, wd->b) != BR_OK) return -1;
  *state = wd;
  return 0;
}

static int teardown(void **state) {
  world *wd = *state;
  br_bundle_stats_free(wd->st);
  br_catalog_free(wd->cat);
  br_baskets_free(wd->b);
  free(wd);
  return 0;
}

static void same_point(const br_price_point *a, const br_price_point *b) {
  assert_double_equal(a->list_price, b->list_price, 0);
  assert_double_equal(a->price, b->price, 0);
  assert_double_equal(a->discount, b->discount, 0);
  assert_double_equal(a->cost, b->cost, 0);
  assert_double_equal(a->take_rate, b->take_rate, 0); /* the same customers take it */
  assert_double_equal(a->profit, b->profit, 0);
  assert_double_equal(a->market_share, b->market_share, 0);
  /* sums over the same customers in another order: equal to rounding */
  assert_double_equal(a->cannibalised_units, b->cannibalised_units, 1e-12);
  assert_double_equal(a->cannibalised_profit, b->cannibalised_profit, 1e-12);
  assert_double_equal(a->incremental_profit, b->incremental_profit, 1e-12);
  assert_double_equal(a->component_profit, b->component_profit, 1e-12);
}

static void one_offer_is_the_single_offer_path(void **state) {
  world *wd = *state;
  br_wtp_spec w;
  br_wtp_spec_init(&w);
  w.customers = 5000;
  const int32_t offers[][3] = {{0, 1, 0}, {0, 1, 6}, {2, 3, 0}, {4, 0, 0}, {5, 7, 2}};
  const int sizes[] = {2, 3, 2, 1, 3};
  const double ds[] = {0, 0.1, 0.3, 0.6};
  const double markets[] = {2, 1, 0};
  for (int m = 0; m < 3; m++)
    for (int o = 0; o < 5; o++)
      for (int d = 0; d < 4; d++) {
        w.market = markets[m];
        const int32_t *it = offers[o];
        br_price_point single;
        br_portfolio pf;
        assert_int_equal(br_price_evaluate_wtp(&single, wd->st, it, sizes[o], &w, ds[d]), BR_OK);
        assert_int_equal(br_price_portfolio(&pf, wd->st, &w, &it, &sizes[o], &ds[d], 1), BR_OK);
        assert_int_equal(pf.noffers, 1);
        same_point(&pf.offers[0], &single);
        assert_double_equal(pf.profit, single.profit, 0);
        assert_double_equal(pf.cannibalised_profit, pf.offers[0].cannibalised_profit, 0);
        assert_double_equal(pf.incremental_profit, pf.profit - pf.cannibalised_profit, 0);
        assert_double_equal(pf.component_profit, single.component_profit, 1e-12);
        assert_double_equal(pf.take_rate, single.take_rate, 0);
        assert_int_equal(pf.items, sizes[o]);
        assert_int_equal(pf.groups, 1);
        br_portfolio_free(&pf);
        assert_null(pf.offers);
      }
  /* a deep discount on a rarely bought pair: the market cap binds, and
   * the portfolio keeps the same capped customers */
  w.market = 1;
  const int32_t pair[] = {5, 7}, *it = pair;
  int two = 2;
  double deep = 0.7;
  br_price_point single;
  br_portfolio pf;
  assert_int_equal(br_price_evaluate_wtp(&single, wd->st, pair, 2, &w, deep), BR_OK);
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, &it, &two, &deep, 1), BR_OK);
  assert_double_equal(single.take_rate, floor(single.market_share * 5000) / 5000, 1e-15);
  same_point(&pf.offers[0], &single);
  /* the customers cut by the cap are those the uncapped offer sells to beyond it */
  br_portfolio uncapped;
  w.market = 0;
  assert_int_equal(br_price_portfolio(&uncapped, wd->st, &w, &it, &two, &deep, 1), BR_OK);
  assert_true(pf.redecided > 0);
  assert_double_equal(pf.redecided, uncapped.take_rate - pf.take_rate, 1e-15);
  assert_double_equal(uncapped.redecided, 0, 0);
  br_portfolio_free(&uncapped);
  br_portfolio_free(&pf);
}

static void disjoint_offers_add_up_exactly(void **state) {
  world *wd = *state;
  br_wtp_spec w;
  br_wtp_spec_init(&w);
  w.customers = 8000;
  /* two groups: {1, 2} and {3, 4, 7}; each draws exactly what it draws alone */
  const int32_t a[] = {0, 1}, b[] = {2, 3, 6};
  const int32_t *items[] = {a, b};
  const int sizes[] = {2, 3};
  const double ds[] = {0.2, 0.15};
  br_portfolio pf;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_OK);
  assert_int_equal(pf.groups, 2);
  assert_int_equal(pf.items, 5);
  double profit = 0, inc = 0, comp = 0;
  for (int k = 0; k < 2; k++) {
    br_price_point single;
    assert_int_equal(br_price_evaluate_wtp(&single, wd->st, items[k], sizes[k], &w, ds[k]), BR_OK);
    same_point(&pf.offers[k], &single);
    profit += single.profit, inc += single.incremental_profit, comp += single.component_profit;
  }
  assert_double_equal(pf.profit, profit, 1e-12);
  assert_double_equal(pf.incremental_profit, inc, 1e-12);
  assert_double_equal(pf.component_profit, comp, 1e-12); /* no item in both */
  br_portfolio_free(&pf);
}

static void a_shared_hub_splits_its_customers(void **state) {
  world *wd = *state;
  br_wtp_spec w;
  br_wtp_spec_init(&w);
  w.customers = 20000;
  /* item "1" (id 0) in both offers */
  const int32_t a[] = {0, 1}, b[] = {0, 6};
  const int32_t *items[] = {a, b};
  const int sizes[] = {2, 2};
  for (int m = 0; m < 2; m++)
    for (int d = 0; d <= 8; d++) {
      w.market = m ? 1 : 0;
      double ds[2] = {0.05 * d, 0.05 * d};
      br_portfolio pf;
      assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_OK);
      assert_int_equal(pf.groups, 1);
      double profit = 0, inc = 0;
      for (int k = 0; k < 2; k++) {
        br_price_point single;
        assert_int_equal(br_price_evaluate_wtp(&single, wd->st, items[k], sizes[k], &w, ds[k]), BR_OK);
        /* The group draws {1, 2, 7} jointly in that order, so the first
         * offer's items get exactly their single-offer draws and its
         * portfolio takers are some of its single-offer takers; item 7's
         * draws come from the 3 x 3 factor instead of the 2 x 2 one: the
         * same distribution, other customers, so the second offer agrees
         * within Monte Carlo error (4 sd of a share is under 0.015 here). */
        double tol = k == 0 ? 0 : 0.015;
        assert_true(pf.offers[k].take_rate <= single.take_rate + tol);
        assert_double_equal(pf.offers[k].component_profit, single.component_profit, k == 0 ? 1e-12 : 0.06);
        profit += single.profit, inc += single.incremental_profit;
      }
      /* each price is above cost, so fewer takers never earn more. (Net of
       * cannibalisation there is no such bound: at deep discounts the
       * offers lose margin on each taker, and splitting the hub's
       * customers loses less, so only the attractive case is checked.) */
      assert_true(pf.profit <= profit + 0.015 * 10);
      /* the offers overlap: nobody takes both */
      assert_double_equal(pf.take_rate, pf.offers[0].take_rate + pf.offers[1].take_rate, 1e-12);
      if (d == 4) { /* 20% off: both attract many of the hub's buyers */
        assert_true(pf.offers[0].take_rate > 0.05 && pf.offers[1].take_rate > 0.05);
        assert_true(pf.profit < profit - 0.05);
        assert_true(pf.incremental_profit < inc - 0.05);
      }
      br_portfolio_free(&pf);
    }
}

static void market_caps_hold_with_second_choices(void **state) {
  world *wd = *state;
  br_wtp_spec w;
  br_wtp_spec_init(&w);
  w.customers = 10000;
  w.market = 1;
  /* deep discounts (prices still above cost) on rarely bought items sharing "7" (id 6) */
  const int32_t a[] = {5, 6}, b[] = {6, 7}, c[] = {2, 5};
  const int32_t *items[] = {a, b, c};
  const int sizes[] = {2, 2, 2};
  const double ds[] = {0.4, 0.5, 0.35};
  br_portfolio capped, free_;
  assert_int_equal(br_price_portfolio(&capped, wd->st, &w, items, sizes, ds, 3), BR_OK);
  w.market = 0;
  assert_int_equal(br_price_portfolio(&free_, wd->st, &w, items, sizes, ds, 3), BR_OK);
  int bound = 0;
  for (int k = 0; k < 3; k++) {
    double cap = floor(capped.offers[k].market_share * 10000) / 10000;
    assert_true(capped.offers[k].take_rate <= cap + 1e-15);
    bound += free_.offers[k].take_rate > cap;
  }
  assert_true(bound >= 1); /* without the cap some offer sells beyond its market */
  assert_true(capped.redecided > 0);
  /* every capped taker takes in the uncapped portfolio too */
  assert_true(capped.take_rate <= free_.take_rate);
  assert_true(capped.take_rate < free_.take_rate - 0.01);
  br_portfolio_free(&capped);
  br_portfolio_free(&free_);
}

static void bad_arguments_name_the_offer(void **state) {
  world *wd = *state;
  br_wtp_spec w;
  br_wtp_spec_init(&w);
  w.customers = 100;
  const int32_t a[] = {0, 1}, b[] = {2, 3}, dup[] = {4, 4}, out[] = {1, 99};
  const int32_t *items[] = {a, b};
  int sizes[] = {2, 2};
  double ds[] = {0.1, 0.1};
  br_portfolio pf;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 0), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "price.portfolio: a portfolio has 1 to 1000 offers, got 0"));
  assert_null(pf.offers);
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 1001), BR_ERR_ARG);
  ds[1] = 1;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "price.portfolio: offer 2 has discount 1 (must be in [0, 1))"));
  ds[1] = NAN;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  ds[1] = 0.1, sizes[1] = 0;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "price.portfolio: offer 2 has 0 items (1 to 8)"));
  sizes[1] = 9;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  sizes[1] = 2, items[1] = dup;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "price.portfolio: offer 2 lists item '5' twice"));
  items[1] = out;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "price.portfolio: offer 2: item 2 (id 99) is not in the catalogue"));
  items[1] = NULL;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  items[1] = b;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, NULL, sizes, ds, 2), BR_ERR_ARG);
  /* the model's options, with this function's prefix */
  w.max_elasticity = -1;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "price.portfolio: max_elasticity must be 0 (no bound) or in [0.1, 1e6]"));
  w.max_elasticity = 5, w.market = 0.5;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "price.portfolio: market must be 0 (no cap) or in [1, 1e6]"));
  w.market = 2, w.customers = 0;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "customers must be in 1..1e8"));
  w.customers = 100;
  double per[8] = {NAN, NAN, NAN, -2, NAN, NAN, NAN, NAN};
  w.elasticity = per;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "price.portfolio: offer 2: item '4' has elasticity -2"));
  w.elasticity = NULL;
  double sg[8] = {NAN, 0, NAN, NAN, NAN, NAN, NAN, NAN};
  w.sigma = sg;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "price.portfolio: offer 1: item '2' has sigma 0"));
  w.sigma = NULL;
  assert_int_equal(br_price_portfolio(&pf, wd->st, &w, items, sizes, ds, 2), BR_OK);
  br_portfolio_free(&pf);
  br_portfolio_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(one_offer_is_the_single_offer_path),
      cmocka_unit_test(disjoint_offers_add_up_exactly),
      cmocka_unit_test(a_shared_hub_splits_its_customers),
      cmocka_unit_test(market_caps_hold_with_second_choices),
      cmocka_unit_test(bad_arguments_name_the_offer),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
