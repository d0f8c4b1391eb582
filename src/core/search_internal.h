/* Private to the search module: the statistics' layout, the evaluator every
 * method scores bundles with, the collector that turns scored bundles into
 * a result, and the pool every pool method walks. */
#ifndef BUNDLE_SEARCH_INTERNAL_H
#define BUNDLE_SEARCH_INTERNAL_H

#include "bundle/model.h"
#include "bundle/rng.h"
#include "bundle/search.h"
#include "bundle/tensor.h"

#include "bundle/basket.h"
#include "frame_internal.h" /* strdict: the catalogue's labels */

struct br_catalog {
  int32_t n;
  int refs; /* holders beyond the first (br_catalog_retain); not atomic */
  strdict *labels; /* item i is code i */
  double *price, *cost, *stock;
  int32_t *category;
  strdict *names;  /* NULL, or item description texts (br_catalog_set_names) */
  int32_t *name;   /* NULL or n codes into names (-1: none) */
};

struct br_bundle_stats {
  const br_catalog *cat;
  const br_baskets *b; /* kept for filling the lists on first use */
  int64_t n;           /* baskets */
  int64_t *start;      /* cat->n + 1: baskets of catalogue item i are tid[start[i]..start[i+1]) */
  int64_t *tid;        /* filled on the first exact count (objectives on prices never need it) */
  int lists_ready;
  int32_t *to_cat;     /* basket item id -> catalogue id */
  int32_t nbitems;
  /* customers: item i's distinct user codes are uid[ustart[i]..uend[i]) */
  int64_t *ustart, *uend, *uid;
  int users_ready;     /* 0 not tried, 1 ready, -1 no users */
};

/* The catalogue a set of bundle statistics was built on. */
const br_catalog *bundle_stats_catalog(const br_bundle_stats *s);
/* Item i's sorted basket list (filled on first use; NULL when out of memory). */
const int64_t *bundle_stats_list(const br_bundle_stats *s, int32_t i, int64_t *len);
/* Customers (any basket) who bought every item of the bundle, and who
 * bought any of them; returns 0 (both 0) when the baskets have no users. */
int bundle_stats_customers(const br_bundle_stats *s, const int32_t *items, int n, int64_t *nall, int64_t *nany);
/* |a ∩ b| of two sorted lists, written to out when out is not NULL. */
int64_t tid_intersect(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int64_t *out);

/* Basket counts of every pair of a pool's items, from one pass over the
 * baskets (upper triangle, int32). Only for pools up to PAIR_CACHE_MAX. */
#define PAIR_CACHE_MAX 4096
typedef struct pair_cache {
  int32_t np;
  int32_t *pos;    /* catalogue id -> pool position, or -1 */
  int32_t *count;  /* pair (i < j) at i * np - i * (i + 1) / 2 + (j - i - 1) */
} pair_cache;
br_status pair_cache_build(pair_cache *pc, const br_bundle_stats *st, const int32_t *pool, int32_t np);
void pair_cache_free(pair_cache *pc);
/* The pair's basket count (catalogue ids), or -1 when either is not cached. */
int64_t pair_cache_count(const pair_cache *pc, int32_t a, int32_t b);

/* Which constraint rejects a bundle, for the "no bundle satisfies" message. */
enum { REJ_SIZE, REJ_MUST, REJ_EXCLUDE, REJ_CATEGORY, REJ_MIN_CATEGORIES, REJ_PRICE, REJ_MARGIN, REJ_STOCK,
       REJ_SUPPORT, REJ_COMPATIBLE, REJ_COUNT_MIN, REJ_PAIR, REJ_COUNT };
extern const char *const search_rejection_names[REJ_COUNT];

/* Scores bundles for one search: the objectives (one or several), their
 * weights and bounds, the constraints, and the counts of rejections. */
/* The status of a failure that a helper reported as -1 after recording its
 * message: a deadline (BR_ERR_CANCELLED), a budget (BR_ERR_LIMIT), an out
 * of memory; a callback that set no status counts as a bad argument. */
static inline br_status search_fail_status(void) {
  br_status s = br_last_status();
  return s != BR_OK ? s : BR_ERR_ARG;
}

typedef struct search_eval {
  const br_bundle_stats *st;
  const br_catalog *cat;
  const br_search_spec *sp;
  int nobj;
  br_objective_spec objs[BR_MAX_OBJECTIVES];
  int bounded;               /* every objective has an upper bound and weight >= 0 */
  const pair_cache *pairs;   /* optional: speeds min_pair_lift and pair tests */
  br_tensor *row, *pred;     /* model objective: a 1 x BR_NFEATURES input, reused */
  int64_t min_count;         /* the count a bundle needs (min_count, min_support), for bounds */
  int64_t rej[REJ_COUNT];
  int64_t evaluations;
  int64_t work; /* for deadline_poll: every method scores through search_score */
} search_eval;

br_status search_eval_init(search_eval *e, const br_bundle_stats *st, const br_search_spec *sp);
void search_eval_free(search_eval *e);
/* One built-in objective with the count known (count < 0: count it). */
double search_objective(const search_eval *e, br_objective o, const int32_t *items, int n, int64_t count);
/* The constraint that rejects a whole bundle, or -1. */
int search_rejected(search_eval *e, const int32_t *items, int n, int64_t count);
/* Scores a bundle into vec (nobj values) and *total (the weighted sum);
 * fails on a callback error or a non-finite score, naming the bundle. */
br_status search_score(search_eval *e, const int32_t *items, int n, int64_t count, double *vec, double *total);
/* An upper bound of the total over every bundle holding items (whose count
 * is at most count_ub) plus up to `slots` more pool items. topsum[o][t]
 * is the sum of the t best per-item values of objective o among the items
 * that may still be added (NULL: not additive); min_count_after is the
 * smallest basket count among them. *fail on a callback error; +inf when
 * some objective has no bound. */
double search_bound(search_eval *e, const int32_t *items, int n, int64_t count_ub, int slots,
                    const double *const *topsum_at, int64_t min_count_after, int *fail);

/* Collects scored bundles and makes the result: the top K distinct ones
 * (a heap when nothing else is needed) and, with several objectives or a
 * max_overlap, every scored bundle. With `dedupe`, a hash of the bundles
 * seen lets heuristics skip revisits. */
typedef struct collector collector;
br_status collector_new(collector **out, int nobj, int64_t top, int keep_all, int dedupe);
void collector_free(collector *c);
/* Index of a bundle already added, or -1 (dedupe only). */
int64_t collector_find(const collector *c, const int32_t *items, int n);
/* The scores of an added bundle (dedupe only). */
double collector_total(const collector *c, int64_t k);
const double *collector_vec(const collector *c, int64_t k);
br_status collector_add(collector *c, const int32_t *items, int n, const double *vec, double total);
int64_t collector_count(const collector *c);
/* The K-th best total so far (bundles not above it cannot enter), or -inf. */
double collector_threshold(const collector *c);
/* Builds the result (portfolio with max_overlap) and frees the collector. */
br_status collector_finish(collector *c, br_search_result **out, int max_overlap, int64_t visited, int64_t pruned);

/* The walk over a pool of items: the items allowed at all (exclude,
 * min_stock removed), the per-pair tests (compatible, the co-occurrence
 * graph), and the counts. */
typedef struct search_pool {
  search_eval *e;
  const br_bundle_stats *st;
  int32_t np;
  int32_t *item;       /* pool items, catalogue ids ascending */
  pair_cache pairs;    /* when np <= PAIR_CACHE_MAX and there are baskets */
  int has_pairs;
  uint8_t *compat;     /* memo of the compatible predicate: 0 unknown, 1 yes, 2 no */
  int64_t min_count;   /* a bundle's count must reach it (0 without baskets) */
  uint64_t *bits;      /* exact: each position's baskets as a bitset (when it fits), for counting */
  int64_t words;       /* per position */
  int32_t **nbr;       /* each position's neighbours (positions) in the co-occurrence graph */
  int32_t *nnbr;
} search_pool;

br_status search_pool_init(search_pool *p, search_eval *e, const int32_t *pool, int32_t npool);
void search_pool_free(search_pool *p);
/* May pool positions a and b share a bundle (compatible, graph edge, pair
 * count)? 1 yes, 0 no, -1 error (recorded). */
int search_pool_pair_ok(search_pool *p, int32_t a, int32_t b);
/* Is position q among pos[0..n)? */
int search_pool_holds(const int32_t *pos, int n, int32_t q);
/* A random neighbour of a random member that is not in the bundle, or -1
 * (needs the neighbour lists). */
int32_t search_pool_joiner(const search_pool *p, br_rng *r, const int32_t *pos, int n);
/* Builds the neighbour lists (positions that pass pair_ok with each). */
br_status search_pool_neighbours(search_pool *p);
/* Checks a bundle of pool positions end to end (pairs, count, whole-bundle
 * constraints) and scores it: 1 a scored bundle, 2 scored as a partial
 * bundle (below min_size, or short of must_include, min_categories or
 * min_margin, which more items may fix: methods that grow may extend it,
 * never return it), 0 rejected, -1 error. `partial` skips the whole-bundle
 * constraints. items gets the catalogue ids, sorted. */
int search_pool_try(search_pool *p, const int32_t *pos, int n, int partial, int32_t *items, int64_t *count,
                    double *vec, double *total);
/* Positions of the pool's pairs that pass, best total first (at most
 * `keep`), every one scored and the valid ones collected. */
typedef struct scored_pair {
  int32_t pos[2];
  double total;
  int valid; /* 1: a bundle; 0: partial (below min_size, or short of a constraint more items may meet) */
} scored_pair;
br_status search_best_pairs(search_pool *p, collector *c, int64_t keep, scored_pair **pairs, int64_t *n);
/* Past max_evaluations: the "too large" error for every method. */
br_status search_budget_error(const br_search_spec *sp);

br_status search_exact_pool(search_pool *p, collector *c, int64_t *visited, int64_t *pruned);
br_status search_beam(search_pool *p, collector *c, int width, int greedy);
br_status search_anneal(search_pool *p, collector *c);
br_status search_nsga2(search_pool *p, collector *c);

#endif
