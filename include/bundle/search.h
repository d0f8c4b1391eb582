/* bundle/search.h — the bundle search engine: a catalogue, candidate
 * bundles, objectives computed from basket counts, constraints, and the
 * top-K distinct bundles.
 *
 *     br_catalog *cat;   br_catalog_new(&cat, n, labels, lens, price, cost, category, stock);
 *     br_bundle_stats *st;  br_bundle_stats_new(&st, cat, baskets);   // aligns items by label
 *     br_search_spec spec;  br_search_spec_init(&spec);
 *     spec.objective = BR_OBJ_LIFT;  spec.top = 20;
 *     br_search_result *res;
 *     br_search(&res, st, candidates, &spec);
 *
 * A bundle is a sorted set of 2 to BR_BUNDLE_MAX_ITEMS catalogue items.
 * Objects returned through `**out` belong to the caller.
 */
#ifndef BUNDLE_SEARCH_H
#define BUNDLE_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/basket.h"
#include "bundle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BR_BUNDLE_MAX_ITEMS 8

/* ---- catalogue ---- */

typedef struct br_catalog br_catalog;

/* n items: labels (lens may be NULL for NUL-terminated), price (> 0), cost
 * (>= 0), category codes (-1: none; NULL: no categories), stock (NaN or
 * NULL: unknown). Labels must be distinct. */
br_status br_catalog_new(br_catalog **out, int32_t n, const char *const *labels, const size_t *lens,
                         const double *price, const double *cost, const int32_t *category,
                         const double *stock);
void br_catalog_free(br_catalog *c);
int32_t br_catalog_size(const br_catalog *c);
int32_t br_catalog_find(const br_catalog *c, const char *label, size_t len); /* or -1 */
const char *br_catalog_label(const br_catalog *c, int32_t i, size_t *len);
double br_catalog_price(const br_catalog *c, int32_t i);
double br_catalog_cost(const br_catalog *c, int32_t i);
int32_t br_catalog_category(const br_catalog *c, int32_t i);
double br_catalog_stock(const br_catalog *c, int32_t i);

/* ---- what a bundle's objectives are computed from ---- */

typedef struct br_bundle_stats br_bundle_stats;

/* Joins a catalogue to baskets by item label: each basket item must be in
 * the catalogue, or it is an error that names the first missing ones. The
 * stats keep each item's baskets (a sorted list) to count bundles exactly. */
br_status br_bundle_stats_new(br_bundle_stats **out, const br_catalog *cat, const br_baskets *b);
void br_bundle_stats_free(br_bundle_stats *s);
/* Baskets holding every item of the bundle (catalogue ids, sorted). */
int64_t br_bundle_count(const br_bundle_stats *s, const int32_t *items, int n);
int64_t br_bundle_nbaskets(const br_bundle_stats *s);
int64_t br_bundle_item_count(const br_bundle_stats *s, int32_t item);
/* The catalogue id of basket item `id` (labels joined), or -1. */
int32_t br_bundle_catalog_id(const br_bundle_stats *s, int32_t basket_item);

/* ---- objectives ---- */

typedef enum br_objective {
  BR_OBJ_SUPPORT,         /* share of baskets holding the whole bundle */
  BR_OBJ_LIFT,            /* support / product of item supports */
  BR_OBJ_MIN_PAIR_LIFT,   /* the weakest pair's lift */
  BR_OBJ_REVENUE,         /* sum of prices */
  BR_OBJ_MARGIN,          /* sum of (price - cost) */
  BR_OBJ_EXPECTED_PROFIT, /* take rate (support) x margin */
  BR_OBJ_INVENTORY,       /* stock-weighted clearance value: sum of stock x cost */
  BR_OBJ_CUSTOM,          /* a caller's function */
  BR_OBJ_COUNT
} br_objective;

const char *br_objective_name(br_objective o);
br_status br_objective_parse(br_objective *o, const char *s);

/* The value of a built-in objective for a bundle (catalogue ids, sorted). */
double br_bundle_objective(const br_bundle_stats *s, br_objective o, const int32_t *items, int n);

/* A caller's objective: returns the score; sets *fail and returns NaN to stop
 * the search with the error it has recorded (br_error_set). */
typedef double (*br_bundle_fn)(void *ctx, const int32_t *items, int n, int *fail);

/* ---- search ---- */

#define BR_MAX_OBJECTIVES 8

/* One of several objectives: a built-in kind or a caller's function, and
 * its weight in the scalarised score used for ranking. */
typedef struct br_objective_spec {
  br_objective kind;
  br_bundle_fn fn;
  void *ctx;
  double weight;
} br_objective_spec;

typedef struct br_search_spec {
  br_objective objective;  /* default lift (used when nobjectives is 0) */
  br_bundle_fn custom;     /* for BR_OBJ_CUSTOM */
  void *custom_ctx;
  /* several objectives: each bundle gets a score vector; it is ranked by
   * the weighted sum, and every scored bundle is kept for Pareto fronts */
  int nobjectives;
  br_objective_spec objectives[BR_MAX_OBJECTIVES];
  int min_size, max_size;  /* 2..8 (default 2, 4) */
  int64_t top;             /* bundles returned (default 20) */
  int max_overlap;         /* items two returned bundles may share (default: size - 1, any) */
  /* constraints (0 / NULL / NaN: none) */
  int max_per_category, min_categories;
  const int32_t *must_include; int nmust;   /* every bundle holds all of these */
  const int32_t *exclude; int nexclude;     /* and none of these */
  double min_margin;       /* bundle margin (sum price - cost) at least this */
  double max_price;        /* bundle price (sum) at most this */
  double min_stock;        /* every item's stock at least this */
  double min_support;      /* bundle support at least this (fraction) */
  /* optional: each candidate's basket count, already known (mined itemsets
   * carry theirs), so support, lift and expected profit need no counting */
  const int64_t *counts;
} br_search_spec;

void br_search_spec_init(br_search_spec *s);

typedef struct br_search_result br_search_result;

/* Scores every candidate (ncand bundles: items cand[off[k]..off[k+1]),
 * catalogue ids, sorted) that meets the constraints, and returns the top
 * distinct ones, best first, no two sharing more than max_overlap items.
 * When no candidate meets the constraints the error says which
 * constraint removed the most. */
br_status br_search(br_search_result **out, const br_bundle_stats *st, const int32_t *cand,
                    const int64_t *off, int64_t ncand, const br_search_spec *spec);
void br_search_result_free(br_search_result *r);
int64_t br_search_result_count(const br_search_result *r);
const int32_t *br_search_result_items(const br_search_result *r, int64_t k, int *n);
double br_search_result_score(const br_search_result *r, int64_t k);
/* How many candidates were scored and how many the constraints removed. */
int64_t br_search_result_scored(const br_search_result *r);
/* With several objectives: how many, the score vector of returned bundle k,
 * and every scored bundle (items and score vector) for Pareto fronts. */
int br_search_result_nobjectives(const br_search_result *r);
const double *br_search_result_scores(const br_search_result *r, int64_t k);
const int32_t *br_search_result_scored_items(const br_search_result *r, int64_t k, int *n);
const double *br_search_result_scored_scores(const br_search_result *r, int64_t k);

#ifdef __cplusplus
}
#endif
#endif
