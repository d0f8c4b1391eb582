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
/* Reference counted like baskets: br_catalog_retain adds a holder (and
 * returns c), br_catalog_free drops one and frees with the last (a search
 * result holds its catalogue for labels). Not atomic. */
br_catalog *br_catalog_retain(const br_catalog *c);
void br_catalog_free(br_catalog *c);
int32_t br_catalog_size(const br_catalog *c);
int32_t br_catalog_find(const br_catalog *c, const char *label, size_t len); /* or -1 */
const char *br_catalog_label(const br_catalog *c, int32_t i, size_t *len);
/* Item descriptions, for people (printing): names[i] (lens[i] bytes, or
 * NULL for none) becomes item i's; br_catalog_name gives it, or NULL. */
br_status br_catalog_set_names(br_catalog *c, const char *const *names, const size_t *lens);
const char *br_catalog_name(const br_catalog *c, int32_t i, size_t *len);
double br_catalog_price(const br_catalog *c, int32_t i);
double br_catalog_cost(const br_catalog *c, int32_t i);
int32_t br_catalog_category(const br_catalog *c, int32_t i);
double br_catalog_stock(const br_catalog *c, int32_t i);
/* "{a, b, c}" of a bundle's labels (each cut at 30 bytes), for messages. */
void br_catalog_bundle_text(const br_catalog *c, const int32_t *items, int n, char *buf, size_t size);
/* A per-item option over the catalogue: out[0 .. br_catalog_size(c)) gets
 * `fill` (NaN: not given), then values[k] at the item labelled labels[k]
 * (lens NULL: NUL-terminated). Each label must be in the catalogue and each
 * value a number > 0 and finite; otherwise BR_ERR_ARG with "<what>: no
 * item 'x' in the catalogue" or "<what> of item 'x' must be a number > 0",
 * and out is partly written. */
br_status br_catalog_item_values(const br_catalog *c, const char *what, int64_t n, const char *const *labels,
                                 const size_t *lens, const double *values, double fill, double *out);

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
const br_catalog *br_bundle_stats_catalog(const br_bundle_stats *s);
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
  BR_OBJ_MODEL,           /* a trained model applied to the bundle's features */
  BR_OBJ_CUSTOM,          /* a caller's function */
  BR_OBJ_COUNT
} br_objective;

const char *br_objective_name(br_objective o);
br_status br_objective_parse(br_objective *o, const char *s);

/* The value of a built-in objective for a bundle (catalogue ids, sorted). */
double br_bundle_objective(const br_bundle_stats *s, br_objective o, const int32_t *items, int n);

/* ---- bundle features (model inputs), built in C ---- */

enum {
  BR_FEAT_SIZE, BR_FEAT_SUPPORT, BR_FEAT_LOG_LIFT, BR_FEAT_LOG_MIN_PAIR_LIFT, BR_FEAT_PRICE, BR_FEAT_COST,
  BR_FEAT_MARGIN, BR_FEAT_MARGIN_RATE, BR_FEAT_MEAN_ITEM_SUPPORT, BR_FEAT_MIN_ITEM_SUPPORT,
  BR_FEAT_CATEGORIES, BR_FEAT_LOG_MEAN_PAIR_LIFT, BR_FEAT_CONFIDENCE, BR_FEAT_CUSTOMER_OVERLAP, BR_NFEATURES
};
const char *br_feature_name(int k); /* "size", "support", "log_lift", ... */
/* Writes the BR_NFEATURES features of a bundle. Logs of lifts use counts
 * plus one half, so bundles never bought together stay finite. confidence
 * is the best rule "the rest => one item" (count / count without the item);
 * customer_overlap is, among customers who bought any of the items (in any
 * basket), the share who bought all of them (0 when baskets have no users). */
void br_bundle_features(const br_bundle_stats *s, const int32_t *items, int n, double *out);

/* A caller's objective: returns the score; sets *fail and returns NaN to stop
 * the search with the error it has recorded (br_error_set). */
typedef double (*br_bundle_fn)(void *ctx, const int32_t *items, int n, int *fail);
/* An upper bound of the caller's objective over every bundle that holds
 * `items` plus at most `slots` more; lets exact search prune (branch and
 * bound). Same failure convention. */
typedef double (*br_bound_fn)(void *ctx, const int32_t *items, int n, int slots, int *fail);
/* A pair predicate: may a and b be in one bundle? (1 yes, 0 no, -1 error
 * recorded with br_error_set) */
typedef int (*br_pair_fn)(void *ctx, int32_t a, int32_t b);

struct br_model;

/* ---- search ---- */

#define BR_MAX_OBJECTIVES 8

/* One of several objectives: a built-in kind, a model, or a caller's
 * function (with an optional bound), and its weight in the scalarised
 * score used for ranking. */
typedef struct br_objective_spec {
  br_objective kind;
  br_bundle_fn fn;
  br_bound_fn bound;
  void *ctx, *bound_ctx;
  const struct br_model *model; /* BR_OBJ_MODEL: input BR_NFEATURES features, one output */
  double weight;
} br_objective_spec;

typedef enum br_search_method {
  BR_METHOD_EXACT,  /* every candidate (a list), or enumeration with pruning and branch and bound (a pool) */
  BR_METHOD_BEAM,   /* level by level, keeping the best beam_width bundles of each size */
  BR_METHOD_GREEDY, /* from each of the best pairs, add the item that helps most while one does */
  BR_METHOD_ANNEAL, /* simulated annealing with add, remove and swap moves (seeded) */
  BR_METHOD_NSGA2,  /* NSGA-II on bundles as subset variables (seeded) */
  BR_METHOD_COUNT
} br_search_method;

const char *br_search_method_name(br_search_method m);
br_status br_search_method_parse(br_search_method *m, const char *s);

typedef struct br_search_spec {
  br_objective objective;  /* default lift (used when nobjectives is 0) */
  br_bundle_fn custom;     /* for BR_OBJ_CUSTOM */
  br_bound_fn custom_bound;
  void *custom_ctx, *custom_bound_ctx;
  const struct br_model *model; /* for BR_OBJ_MODEL */
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
  br_pair_fn compatible;   /* every pair of a bundle must pass it */
  void *compatible_ctx;
  /* optional: each candidate's basket count, already known (mined itemsets
   * carry theirs), so support, lift and expected profit need no counting */
  const int64_t *counts;
  /* ---- pools of items (br_search_pool) ---- */
  br_search_method method; /* default exact */
  int64_t min_count;       /* a bundle must be bought together this often (default 1 with baskets) */
  /* the co-occurrence graph: every pair of a bundle co-occurs in at least
   * pair_min_count baskets with lift at least pair_min_lift (0: no edge test) */
  int64_t pair_min_count;
  double pair_min_lift;
  int64_t max_evaluations; /* exact: bundles visited before "pool too large" (default 10,000,000) */
  int beam_width;          /* beam (default 100) */
  int64_t iterations;      /* anneal: moves per restart (default 20,000) */
  int restarts;            /* anneal: chains, from the best pairs (default 8) */
  int population, generations; /* nsga2 (default 100, 50) */
  uint64_t seed;           /* anneal, nsga2 (default 1) */
} br_search_spec;

void br_search_spec_init(br_search_spec *s);

typedef struct br_search_result br_search_result;

/* Scores every candidate (ncand bundles: items cand[off[k]..off[k+1]),
 * catalogue ids, sorted) that meets the constraints, and returns the top
 * distinct ones, best first, no two sharing more than max_overlap items.
 * When no candidate meets the constraints the error says which
 * constraint removed the most. Only method exact applies to a list. */
br_status br_search(br_search_result **out, const br_bundle_stats *st, const int32_t *cand,
                    const int64_t *off, int64_t ncand, const br_search_spec *spec);
/* Searches the bundles made of the pool's items (catalogue ids; NULL: every
 * catalogue item) with spec->method. With baskets, a bundle must have been
 * bought together min_count times (and min_support). Exact enumerates with
 * pruning by every constraint, and prunes by bound when the objective has
 * one (every built-in but model does), returning the same bundles as
 * scoring every candidate; it fails with "pool too large" past
 * max_evaluations. The other methods are heuristics: they return the best
 * bundles they visit. */
br_status br_search_pool(br_search_result **out, const br_bundle_stats *st, const int32_t *pool,
                         int32_t npool, const br_search_spec *spec);
void br_search_result_free(br_search_result *r);
int64_t br_search_result_count(const br_search_result *r);
const int32_t *br_search_result_items(const br_search_result *r, int64_t k, int *n);
double br_search_result_score(const br_search_result *r, int64_t k);
/* How many candidates were scored and how many the constraints removed. */
int64_t br_search_result_scored(const br_search_result *r);
/* Bundles visited (scored, or reached and rejected) and subtrees pruned by bound. */
int64_t br_search_result_visited(const br_search_result *r);
int64_t br_search_result_pruned(const br_search_result *r);
/* With several objectives: how many, the score vector of returned bundle k,
 * and every scored bundle (items and score vector) for Pareto fronts. */
int br_search_result_nobjectives(const br_search_result *r);
const double *br_search_result_scores(const br_search_result *r, int64_t k);
const int32_t *br_search_result_scored_items(const br_search_result *r, int64_t k, int *n);
const double *br_search_result_scored_scores(const br_search_result *r, int64_t k);

/* Deep copies (search_clone.c, search_collect.c): every array and label
 * dictionary copied through br_alloc, nothing shared with the original,
 * so either may be freed while the other is used. A result holds catalogue
 * ids only; its copy reads labels from a copy of its catalogue. On failure
 * *out is untouched and br_last_error() says why. */
br_status br_catalog_clone(br_catalog **out, const br_catalog *c);
br_status br_search_result_clone(br_search_result **out, const br_search_result *r);

#ifdef __cplusplus
}
#endif
#endif
