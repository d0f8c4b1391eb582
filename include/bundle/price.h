/* bundle/price.h — bundle prices from demand models.
 *
 *     br_wtp_spec w;  br_wtp_spec_init(&w);   // reservation prices, 20,000 simulated customers
 *     w.elasticity = e;                        // per item, e.g. from br_price_elasticity
 *     br_price_point best;
 *     br_price_optimize_wtp(&best, st, items, n, &w, 0.0, 0.4, BR_PRICE_PROFIT);
 *
 * A bundle sells at (1 - discount) x the sum of its items' list prices.
 * Under mixed bundling the items stay on sale at list price, so a customer
 * takes the bundle only when its surplus beats buying the items they want
 * separately (and beats buying nothing).
 *
 * The reservation-price model (Schmalensee 1984; Venkatesh & Kamakura
 * 2003): customer k's willingness to pay for item i is
 *     W_ki = p_i exp(mu_i + sigma_i Z_ki),  Z_k ~ N(0, R)  (a Gaussian copula),
 * where mu_i puts a share q_i of customers above the list price p_i,
 * sigma_i gives the item's own-price elasticity e_i at list price, and the
 * latent correlation R reproduces how often the items sell together.
 */
#ifndef BUNDLE_PRICE_H
#define BUNDLE_PRICE_H

#include <stdint.h>

#include "bundle/error.h"
#include "bundle/search.h"

#ifdef __cplusplus
extern "C" {
#endif

/* What a price gives, per simulated customer. */
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
  double market_share;        /* share of customers who buy at least one item at list price (NaN: not known) */
} br_price_point;

typedef enum br_price_goal {
  BR_PRICE_PROFIT,      /* maximise take_rate x (price - cost) */
  BR_PRICE_INCREMENTAL  /* maximise profit net of the item sales it cannibalises */
} br_price_goal;

/* ---- the bivariate normal and the copula's calibration ---- */

/* P(X < a, Y < b) for standard normals with correlation rho in [-1, 1]
 * (Genz's 2004 refinement of Drezner & Wesolowsky 1990; about 1e-15
 * absolute). Infinite a or b are allowed; NaN gives NaN. */
double br_bvn_cdf(double a, double b, double rho);

/* The latent correlation rho with P(W_i > p_i, W_j > p_j) = s at list
 * prices, given the items' shares qi, qj in (0, 1): Phi2(a_i, a_j; rho) = s
 * with a = Phi^-1(q). s is first clamped into the Frechet bounds
 * [max(0, qi + qj - 1), min(qi, qj)]; rho is in [-1, 1]. BR_ERR_ARG for
 * shares outside (0, 1) or a NaN s. */
br_status br_price_calibrate_rho(double *rho, double qi, double qj, double s);

/* Repairs a correlation matrix (n x n, row-major, unit diagonal) in place
 * when it is not positive definite: R(l) = l R + (1 - l) I with the largest
 * l (to 1e-6) whose Cholesky factor exists, and writes that factor
 * (lower, row-major) to chol. *shrink gets l (1: R was fine). BR_ERR_ARG
 * for a non-symmetric R, a diagonal that is not 1 or entries outside
 * [-1, 1]. */
br_status br_corr_repair(double *R, double *chol, int n, double *shrink);

/* ---- the reservation-price model with explicit parameters ---- */

/* A bundle's items and the customers who consider it, for worlds whose
 * parameters are known (a synthetic world's referee) or built from data
 * (br_price_optimize_wtp builds one from basket statistics). */
typedef struct br_wtp_params {
  int n;                    /* items, 1 to BR_BUNDLE_MAX_ITEMS */
  const double *price;      /* list prices, > 0 */
  const double *cost;       /* unit costs (NULL: 0) */
  const double *share;      /* q_i in (0, 1): the share who buy item i at list price */
  const double *elasticity; /* e_i > 0: own-price elasticity magnitude at list price; sets sigma_i */
  const double *sigma;      /* NULL, or per item log-WTP spread > 0 (NaN: from elasticity) */
  const double *corr;       /* n x n latent correlation, row-major (NULL: independent); repaired if not PD */
  const uint64_t *stream;   /* NULL, or per item draw stream: an item keeps its draws in every bundle */
  double market;            /* takers <= market x customers who buy >= 1 item at list price; 0: no cap (2) */
  int64_t customers;        /* 1 to 1e8 (20,000) */
  uint64_t seed;            /* 1 */
} br_wtp_params;

/* Sets the defaults above and zeroes the rest. */
void br_wtp_params_init(br_wtp_params *p);

/* The log-WTP spread that gives elasticity e at list price when a share q
 * buys there: sigma = phi(z) / (q e), z = Phi^-1(1 - q). */
double br_price_sigma(double q, double e);

/* The exact best discount in [dmin, dmax] (0 <= dmin <= dmax < 1): demand
 * is a step function of the price, so the optimum is at a customer's
 * threshold or an end of the range. */
br_status br_price_optimize_params(br_price_point *out, const br_wtp_params *p, double dmin, double dmax,
                                   br_price_goal goal);
/* The share of simulated customers whose WTP is above list price for
 * every item (for a pair this is the calibration target s_ij). */
br_status br_price_joint_share_params(double *share, const br_wtp_params *p);

/* ---- the same model from basket statistics ---- */

typedef struct br_wtp_spec {
  /* Item i's elasticity: elasticity[i] (per catalogue item; NaN: the
   * prior), else elasticity_prior; then clamped into [min_elasticity,
   * max_elasticity]. The prior 2.5 is near the meta-analytic mean own-price
   * elasticity of -2.62 (Bijmolt, van Heerde & Pieters 2005). */
  const double *elasticity; /* NULL: all the prior */
  double elasticity_prior;  /* 2.5 */
  /* Bounds: min in [0.1, 1e6]; max 0 (no upper bound) or in [0.1, 1e6]
   * and >= min. Below 0.1 an item is nearly price-blind and the spread it
   * takes overflows the draws. */
  double min_elasticity;    /* 0.5 */
  double max_elasticity;    /* 5: about twice the meta-analytic mean */
  const double *sigma;      /* NULL, or per catalogue item spread overriding elasticity (NaN: none) */
  double market;            /* 2; 0: no cap */
  int64_t customers;        /* 20,000 */
  uint64_t seed;            /* customers' draws; item i's draws are the same in every bundle */
  /* The share of visitors whose visit is in the baskets (1: every visitor
   * buys something). An item's share of visitors is its basket support x
   * visit_share, a pair's likewise, so the simulated customers are
   * visitors, non-buyers included, and money is per visitor. In (0, 1]. */
  double visit_share;       /* 1 */
  /* Shrinks each pair's joint count toward independence: posterior mean
   * lift (c + k) / (E + k), E the count independence predicts (see
   * br_price_pair_rho_spec). 0: the raw count. */
  double pair_prior;        /* 0 */
} br_wtp_spec;

void br_wtp_spec_init(br_wtp_spec *w);

/* The latent correlation of catalogue items a and b calibrated to their
 * joint support in the baskets (a zero count counts as half a basket, or
 * as independence when that predicts less); supports are clamped into
 * [1/(nb+1), 1 - 1/(nb+1)]. */
br_status br_price_pair_rho(double *rho, const br_bundle_stats *st, int32_t a, int32_t b);
/* The same under w's visit_share (supports x visit_share: shares of
 * visitors) and pair_prior (the joint count shrunk toward independence). */
br_status br_price_pair_rho_spec(double *rho, const br_bundle_stats *st, int32_t a, int32_t b, const br_wtp_spec *w);

/* The exact best discount in [dmin, dmax] for a bundle (catalogue ids,
 * sorted): q_i is item i's support in the baskets, each pair's latent
 * correlation is br_price_pair_rho, and br_price_optimize_params does the
 * rest. */
br_status br_price_optimize_wtp(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                                const br_wtp_spec *w, double dmin, double dmax, br_price_goal goal);
/* The same model at one discount (for baselines). */
br_status br_price_evaluate_wtp(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                                const br_wtp_spec *w, double discount);
/* The simulated share of customers above list price for all the bundle's
 * items, as a share of the baskets (divided by w->visit_share, so that it
 * compares with *observed); *observed gets the bundle's support in the
 * baskets (may be NULL). */
br_status br_price_joint_share(double *share, double *observed, const br_bundle_stats *st, const int32_t *items,
                               int n, const br_wtp_spec *w);

/* ---- a portfolio: several offers judged together ---- */

/* Limits of one portfolio. Offers that share items (directly or through a
 * chain) form a group whose items are drawn jointly; a group's correlation
 * matrix is dense, so its size bounds the work per customer. */
#define BR_PORTFOLIO_MAX_OFFERS 1000
#define BR_PORTFOLIO_MAX_ITEMS 4096 /* distinct items over all offers */
#define BR_PORTFOLIO_MAX_GROUP 256  /* distinct items in one group of overlapping offers */

typedef struct br_portfolio {
  int noffers;
  /* Per offer, as br_price_evaluate_wtp reports one: take_rate, profit,
   * cannibalised_* (the separate purchases its takers no longer make),
   * incremental_profit = profit - cannibalised_profit, component_profit
   * (its items' margin with no offers at all) and market_share (customers
   * buying >= 1 of its items at list), per simulated customer. */
  br_price_point *offers;
  /* Totals per customer. profit and cannibalised_profit are the offers'
   * sums (each customer's purchases are counted once: an item is bought
   * separately or in at most one offer); component_profit is the margin of
   * the separate purchases of every item in the portfolio with no offers,
   * so component_profit + incremental_profit is the margin with them. */
  double profit, cannibalised_profit, incremental_profit, component_profit;
  double take_rate;   /* share of customers who take at least one offer */
  int32_t items;      /* distinct items over all offers */
  int32_t groups;     /* groups of overlapping offers */
  double shrink;      /* the smallest correlation repair factor over the groups (1: none needed) */
  double redecided;   /* share of customers re-decided because an offer's market cap bound */
} br_portfolio;

/* Evaluates noffers offers (offer b: sizes[b] distinct catalogue ids
 * items[b][..], sold at (1 - discounts[b]) x its list price) together, on
 * the same simulated customers as br_price_evaluate_wtp (item i keeps its
 * draws). Each customer buys separately every item whose WTP beats its
 * list price; an offer's gain is its summed WTP less its price less the
 * separate surplus it replaces; the customer takes offers greedily by gain
 * (the largest gain >= 0, then the largest among offers sharing no item
 * with those taken, ...), and an offer replaces the separate purchases of
 * its items. An offer with more takers than its market cap keeps the cap's
 * worth with the highest gains; the others choose again without it, once
 * (see price.c). A portfolio of one offer gives exactly the customers, take
 * rate and profit br_price_evaluate_wtp gives (sums to rounding).
 * Returns BR_OK and fills *out, which the caller frees with
 * br_portfolio_free; on failure *out is empty and br_last_error() names
 * the offer. */
br_status br_price_portfolio(br_portfolio *out, const br_bundle_stats *st, const br_wtp_spec *w,
                             const int32_t *const *items, const int *sizes, const double *discounts, int noffers);
/* Frees the per-offer array and empties p (NULL is fine). */
void br_portfolio_free(br_portfolio *p);

/* ---- own-price elasticity from the data's own price variation ---- */

typedef struct br_elasticity_spec {
  double period;         /* 7: a period's length, in the time values' unit (the Lua face passes days x 86400 for datetimes) */
  double prior;          /* 2.5 (see br_wtp_spec) */
  double min_elasticity; /* 0.5: every magnitude is clamped into [min, max] */
  double max_elasticity; /* 5; 0: no upper bound */
  int min_periods;       /* 8: periods with sales an item needs for its own slope */
  int fallback_pooled;   /* 0: items without price variation get the prior; 1: the pooled estimate if any */
  /* optional outputs (NULL by init): ncat values each, every item's own
   * slope magnitude before shrinkage and clamping, and its standard
   * error; NaN where the item has no estimate. A later window's raw
   * slopes are what a validation scores candidate estimates against. */
  double *own;
  double *own_se;
} br_elasticity_spec;

void br_elasticity_spec_init(br_elasticity_spec *s);

typedef struct br_elasticity_fit {
  double pooled;     /* the within-item slope's magnitude, clamped; NaN when no item varies */
  int32_t items;     /* items with their own (shrunk) estimate */
  int64_t periods;   /* periods spanned by the data */
  double tau;        /* between-item sd of the true slopes (empirical Bayes) */
  double phase;      /* periods start this long before the first sale (time units): the grid's phase with the least
                      * price variation within a period, so periods hold to the shop's price changes */
} br_elasticity_fit;

/* Per item elasticity magnitudes e[0..ncat) from order lines (item id in
 * 0..ncat-1 or -1 to skip; unit price; quantity; time). estimated[i] (may
 * be NULL) is 1 where item i has its own estimate. Lines with a
 * non-positive or missing price or quantity are skipped. */
br_status br_price_elasticity(double *e, uint8_t *estimated, br_elasticity_fit *fit, int32_t ncat,
                              const int32_t *item, const double *price, const double *quantity, const double *time,
                              int64_t nrows, const br_elasticity_spec *spec);

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
 * take rates must be in [0, 1]. Cannibalisation and the market are not
 * known here (NaN). */
br_status br_price_optimize_fn(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                               br_demand_fn demand, void *ctx, double dmin, double dmax, br_price_method method,
                               int grid);

#ifdef __cplusplus
}
#endif
#endif
