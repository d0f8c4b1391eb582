/* bundle/price.h — bundle prices from demand models.
 *
 *     br_wtp_spec w;  br_wtp_spec_init(&w);   // reservation prices, 20,000 simulated customers
 *     w.sigma = sigma;                         // per item, from br_price_dispersion
 *     br_price_point best;
 *     br_price_optimize_wtp(&best, st, items, n, &w, 0.0, 0.4, BR_PRICE_PROFIT);
 *
 * A bundle sells at (1 - discount) x the sum of its items' list prices.
 * Under mixed bundling the items stay on sale at list price, so a customer
 * takes the bundle only when its surplus beats buying the items they want
 * separately (and beats buying nothing).
 */
#ifndef BUNDLE_PRICE_H
#define BUNDLE_PRICE_H

#include <stdint.h>

#include "bundle/error.h"
#include "bundle/search.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a price gives, per customer who considers the bundle. */
typedef struct br_price_point {
  double list_price;          /* sum of the items' prices */
  double discount;            /* price = (1 - discount) x list_price */
  double price;
  double cost;                /* sum of the items' costs */
  double take_rate;           /* share of customers who buy the bundle */
  double profit;              /* take_rate x (price - cost) */
  double cannibalised_units;  /* item sales the bundle replaces, per customer */
  double cannibalised_profit; /* their margin */
  double component_profit;    /* the items' margin per customer with no bundle on offer */
  double incremental_profit;  /* profit - cannibalised_profit: what offering the bundle adds */
} br_price_point;

typedef enum br_price_goal {
  BR_PRICE_PROFIT,      /* maximise take_rate x (price - cost) */
  BR_PRICE_INCREMENTAL  /* maximise profit net of the item sales it cannibalises */
} br_price_goal;

/* ---- the reservation-price model ---- */

typedef struct br_wtp_spec {
  /* Each customer's willingness to pay for item i is lognormal around its
   * price: price_i x exp(mu_i + sigma_i z), with mu_i set so that a share
   * equal to the item's support would buy it at list price. */
  const double *sigma;    /* per catalogue item (NaN: default_sigma); NULL: all default */
  double default_sigma;   /* 0.25 */
  /* The most price-elastic any item's demand may be at its list price.
   * With the share above fixed, a narrow sigma puts nearly every customer
   * just below the price, so a small discount (or complementarity) would
   * turn a rare item's 0.1% of buyers into most of them. sigma is widened
   * until |d ln share / d ln price| <= max_elasticity (0.1 to 1e6); 0
   * turns this off. */
  double max_elasticity;  /* 5: about twice the mean in Bijmolt et al. (2005) */
  /* The bundle's WTP is the sum of its items', raised by complementarity
   * x ln(lift) when the items sell together more than by chance. */
  double complementarity; /* 0.1 */
  int64_t customers;      /* 20,000 */
  uint64_t seed;          /* customers' draws; item i's draws are the same in every bundle */
} br_wtp_spec;

void br_wtp_spec_init(br_wtp_spec *w);

/* The log-price dispersion of each catalogue item from order lines (item
 * id, unit price): the standard deviation of log price, at least `floor`.
 * Items seen at one price only get the median dispersion of the others
 * (or floor when no item varies). */
br_status br_price_dispersion(double *sigma, int32_t ncat, const int32_t *item, const double *price, int64_t nrows,
                              double floor);

/* The exact best discount in [dmin, dmax] for a bundle (catalogue ids,
 * sorted) under the reservation-price model: demand is a step function,
 * so the optimum is at a customer's threshold or an end of the range. */
br_status br_price_optimize_wtp(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                                const br_wtp_spec *w, double dmin, double dmax, br_price_goal goal);
/* The same model at one discount (for baselines). */
br_status br_price_evaluate_wtp(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                                const br_wtp_spec *w, double discount);

/* ---- any demand curve ---- */

/* take rate at a price (and the discount it is): a model or a caller's
 * function; sets *fail (error recorded) to stop. */
typedef double (*br_demand_fn)(void *ctx, const int32_t *items, int n, double price, double discount, int *fail);

typedef enum br_price_method {
  BR_PRICE_AUTO,   /* a grid, then golden-section search around its best point */
  BR_PRICE_GRID,   /* the best of `grid` evenly spaced discounts */
  BR_PRICE_GOLDEN  /* golden-section search over the whole range (a unimodal profit) */
} br_price_method;

/* Maximises take_rate(price) x (price - cost) over discounts in [dmin, dmax].
 * take rates must be in [0, 1]. Cannibalisation is not known here (0). */
br_status br_price_optimize_fn(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                               br_demand_fn demand, void *ctx, double dmin, double dmax, br_price_method method,
                               int grid);

#ifdef __cplusplus
}
#endif
#endif
