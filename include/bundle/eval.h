/* bundle/eval.h — evaluating bundles on later baskets: backtest metrics,
 * ranking metrics at K, and replaying an offer policy (a bandit) through
 * time-ordered baskets.
 *
 *     // bundles as basket item ids of the test baskets, CSR: items[off[k]..off[k+1])
 *     br_backtest total;
 *     br_backtest_bundle *per = calloc(nbundles, sizeof *per);
 *     br_eval_backtest(&total, per, test, items, off, nbundles, price, cost);
 *     printf("attach rate %.3f\n", total.attach_rate);
 *
 * Item ids are those of the baskets passed in (br_baskets_find); -1 stands
 * for an item the baskets never hold (such a bundle never completes). The
 * caller owns every array.
 */
#ifndef BUNDLE_EVAL_H
#define BUNDLE_EVAL_H

#include <stdint.h>

#include "bundle/basket.h"
#include "bundle/error.h"
#include "bundle/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- backtest ---- */

typedef struct br_backtest_bundle {
  int64_t complete; /* baskets holding every item of the bundle */
  int64_t touched;  /* baskets holding at least one of its items */
  double attach_rate; /* complete / touched (0 when never touched) */
  double revenue, margin; /* complete x price, complete x (price - cost) */
} br_backtest_bundle;

typedef struct br_backtest {
  int64_t nbaskets, nbundles;
  int64_t hits;        /* baskets holding at least one whole bundle */
  int64_t touched;     /* baskets holding at least one item of some bundle */
  double hit_rate;     /* hits / nbaskets */
  double attach_rate;  /* sum of complete / sum of touched, over bundles (pooled) */
  double mean_attach_rate; /* the mean of the bundles' own attach rates */
  double basket_coverage;  /* touched / nbaskets */
  double item_coverage;    /* distinct bundle items the baskets hold / distinct items they hold */
  double revenue, margin;  /* summed over bundles */
  double diversity;        /* mean Jaccard distance between two bundles' item sets (0 for one bundle) */
} br_backtest;

/* Scores nb bundles on baskets b. price and cost (nb entries each, or NULL:
 * revenue and margin 0) are the bundles' own prices. per (nb entries, or
 * NULL) receives each bundle's figures. Uses an inverted index of the
 * baskets, so the cost is the bundles' items' basket lists, not baskets x
 * bundles. */
br_status br_eval_backtest(br_backtest *out, br_backtest_bundle *per, const br_baskets *b, const int32_t *items,
                           const int64_t *off, int64_t nb, const double *price, const double *cost);

/* ---- ranking metrics at K ---- */

typedef struct br_rank_metrics {
  int64_t lists;    /* ranked lists scored (lists with no relevant entry are skipped) */
  double precision, recall, ndcg, mrr, hit; /* means over lists, at K */
} br_rank_metrics;

/* Adds one ranked list (ids, best first, nranked entries; only the first k
 * count) against its relevant ids (any order, distinct) to the sums in acc;
 * br_rank_finish turns sums into means. Recall divides by min(nrel, ...) as
 * the bundle-recommendation literature does: by nrel. NDCG uses binary gains
 * and the ideal ranking of min(nrel, k) relevant entries. */
void br_rank_add(br_rank_metrics *acc, const int32_t *ranked, int nranked, const int32_t *relevant, int nrel, int k);
void br_rank_finish(br_rank_metrics *acc);

/* For each of `rows` rows of a row-major score matrix (rows x cols), the k
 * best column ids, best first (ties: lower id first), skipping the columns
 * listed for that row in the CSR exclusion list (excl_off may be NULL).
 * out has rows x k entries; a row with fewer than k eligible columns is
 * padded with -1. */
br_status br_topk_rows(int32_t *out, const double *scores, int64_t rows, int64_t cols, int k, const int64_t *excl_off,
                       const int32_t *excl);

/* ---- offer policies replayed through time-ordered baskets ---- */

typedef enum br_bandit_policy { BR_BANDIT_THOMPSON, BR_BANDIT_UCB, BR_BANDIT_STATIC, BR_BANDIT_POLICY_COUNT } br_bandit_policy;
const char *br_bandit_policy_name(br_bandit_policy p); /* "thompson", "ucb", "static" */
br_status br_bandit_policy_parse(br_bandit_policy *p, const char *s);

/* The arms' state, carried from round to round by the caller. */
typedef struct br_bandit_arm {
  double value;    /* reward when accepted (e.g. the bundle's margin; 1 for acceptance counts) */
  double offers;   /* times offered */
  double accepts;  /* times the basket completed it */
  double reward;   /* value x accepts */
  double hindsight; /* reward had it been offered to every basket replayed */
  double hindsight_accepts;
} br_bandit_arm;

/* Replays baskets [from, to) in time order (by their time, when the baskets
 * have one; else in order). Each basket is offered one arm: Thompson draws
 * from each arm's Beta(1 + accepts, 1 + offers - accepts) posterior times its
 * value; UCB1 takes mean + value_max * sqrt(2 ln t / offers), untried arms
 * first; static offers the arms in turn. The offer is accepted when the
 * basket holds every item of the arm. Adds the reward gained to *reward.
 * Arms are given as basket item ids (CSR items/off, narms). */
br_status br_bandit_replay(br_bandit_arm *arms, int32_t narms, const int32_t *items, const int64_t *off,
                           const br_baskets *b, int64_t from, int64_t to, br_bandit_policy policy, br_rng *rng,
                           double *reward);

/* A draw from Beta(a, b), a, b > 0 (Marsaglia and Tsang's gamma sampler). */
double br_rng_beta(br_rng *r, double a, double b);

#ifdef __cplusplus
}
#endif
#endif
