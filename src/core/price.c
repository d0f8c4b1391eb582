/* Bundle prices: the reservation-price model (simulated customers with
 * lognormal willingness to pay, mixed bundling), its exact optimum, and
 * grid / golden-section optimisation for any demand curve. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/price.h"
#include "bundle/rng.h"
#include "sort_index.h"

void br_wtp_spec_init(br_wtp_spec *w) {
  memset(w, 0, sizeof *w);
  w->default_sigma = 0.25;
  w->complementarity = 0.1;
  w->max_elasticity = 5;
  w->customers = 20000;
  w->seed = 1;
}

/* The standard normal quantile: Acklam's rational approximation, then one
 * Halley step on erfc, which brings it to full double precision. */
static double normal_quantile(double p) {
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                             1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  double x, q, r;
  if (p < 0.02425) {
    q = sqrt(-2 * log(p));
    x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  } else if (p <= 1 - 0.02425) {
    q = p - 0.5;
    r = q * q;
    x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
        (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
  } else {
    q = sqrt(-2 * log1p(-p));
    x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  double e = 0.5 * erfc(-x / sqrt(2)) - p;
  double u = e * sqrt(2 * M_PI) * exp(x * x / 2);
  return x - u / (1 + x * u / 2);
}

br_status br_price_dispersion(double *sigma, int32_t ncat, const int32_t *item, const double *price, int64_t nrows,
                              double floor) {
  if (!(floor > 0)) return br_error_set(BR_ERR_ARG, "price: the dispersion floor must be > 0");
  double *mean = calloc((size_t)ncat, sizeof *mean), *m2 = calloc((size_t)ncat, sizeof *m2);
  int64_t *n = calloc((size_t)ncat, sizeof *n);
  double *spread = malloc((size_t)ncat * sizeof *spread);
  if (!mean || !m2 || !n || !spread) {
    free(mean), free(m2), free(n), free(spread);
    return br_error_set(BR_ERR_NOMEM, "price: out of memory");
  }
  for (int64_t r = 0; r < nrows; r++) { /* Welford on log price */
    int32_t i = item[r];
    if (i < 0 || i >= ncat || !(price[r] > 0) || !isfinite(price[r])) continue;
    double x = log(price[r]), dx = x - mean[i];
    n[i]++;
    mean[i] += dx / (double)n[i];
    m2[i] += dx * (x - mean[i]);
  }
  int32_t k = 0;
  for (int32_t i = 0; i < ncat; i++) {
    sigma[i] = n[i] > 1 && m2[i] > 0 ? sqrt(m2[i] / (double)(n[i] - 1)) : NAN;
    if (!isnan(sigma[i])) {
      if (sigma[i] < floor) sigma[i] = floor;
      spread[k++] = sigma[i];
    }
  }
  /* the median spread stands in for items seen at one price */
  for (int32_t i = 1; i < k; i++) {
    double x = spread[i];
    int32_t j = i;
    for (; j > 0 && spread[j - 1] > x; j--) spread[j] = spread[j - 1];
    spread[j] = x;
  }
  double median = k == 0 ? floor : k % 2 ? spread[k / 2] : 0.5 * (spread[k / 2 - 1] + spread[k / 2]);
  for (int32_t i = 0; i < ncat; i++)
    if (isnan(sigma[i])) sigma[i] = median;
  free(mean), free(m2), free(n), free(spread);
  return BR_OK;
}

/* ---- simulated customers ---- */

/* With a share q above the list price, the lognormal demand's elasticity
 * there is -phi(z) / (q sigma), z the normal point with q above it (the
 * inverse Mills ratio over sigma). The narrowest sigma whose elasticity is
 * within max_e, or sigma itself when it already is. */
static double elastic_sigma(double q, double sigma, double max_e) {
  if (max_e == 0) return sigma;
  double z = -normal_quantile(q);
  double mills = exp(-0.5 * z * z) / sqrt(2 * M_PI) / q;
  return sigma * max_e < mills ? mills / max_e : sigma;
}

typedef struct customers {
  int64_t k;
  double *t;     /* the highest bundle price each would pay over their alternative */
  double *units; /* items each buys separately, with no bundle */
  double *marg;  /* the margin of those purchases */
  int64_t *order;
} customers;

static void customers_free(customers *c) {
  free(c->t);
  free(c->units);
  free(c->marg);
  free(c->order);
}

static int by_t_desc(const void *ctx, int64_t a, int64_t b) {
  const double *t = ctx;
  return (t[a] < t[b]) - (t[a] > t[b]);
}

static br_status check_bundle(const int32_t *items, int n) {
  if (n < 1 || n > BR_BUNDLE_MAX_ITEMS) return br_error_set(BR_ERR_ARG, "price: a bundle has 1 to %d items, got %d", BR_BUNDLE_MAX_ITEMS, n);
  for (int i = 0; i < n; i++)
    if (items[i] < 0) return br_error_set(BR_ERR_ARG, "price: item %d of the bundle is not in the catalogue", i + 1);
  return BR_OK;
}

static br_status simulate(customers *c, const br_bundle_stats *st, const int32_t *items, int n, const br_wtp_spec *w) {
  const br_catalog *cat = br_bundle_stats_catalog(st);
  br_status s = check_bundle(items, n);
  if (s != BR_OK) return s;
  if (w->customers < 1 || w->customers > 100000000) return br_error_set(BR_ERR_ARG, "price: customers must be in 1..1e8, got %lld", (long long)w->customers);
  if (!(w->default_sigma > 0) || !(w->complementarity >= 0))
    return br_error_set(BR_ERR_ARG, "price: sigma must be > 0 and complementarity >= 0");
  /* below 0.1 every item would be nearly price-blind, and the spread it
   * takes overflows the draws */
  if (!(w->max_elasticity == 0 || (w->max_elasticity >= 0.1 && w->max_elasticity <= 1e6)))
    return br_error_set(BR_ERR_ARG, "price: max_elasticity must be 0 (no bound) or in [0.1, 1e6], got %g", w->max_elasticity);
  int64_t nb = br_bundle_nbaskets(st);
  if (nb == 0) return br_error_set(BR_ERR_ARG, "price: the reservation-price model needs baskets (for item supports and lift)");
  memset(c, 0, sizeof *c);
  c->k = w->customers;
  c->t = calloc((size_t)c->k, sizeof *c->t);
  c->units = calloc((size_t)c->k, sizeof *c->units);
  c->marg = calloc((size_t)c->k, sizeof *c->marg);
  c->order = malloc((size_t)c->k * sizeof *c->order);
  double *wsum = calloc((size_t)c->k, sizeof *wsum);
  if (!c->t || !c->units || !c->marg || !c->order || !wsum) {
    free(wsum);
    customers_free(c);
    return br_error_set(BR_ERR_NOMEM, "price: out of memory for %lld customers", (long long)c->k);
  }
  /* complementarity from the bundle's lift */
  double lift = n > 1 ? br_bundle_objective(st, BR_OBJ_LIFT, items, n) : 1;
  double raise = 1 + w->complementarity * (lift > 1 ? log(lift) : 0);
  for (int i = 0; i < n; i++) {
    double p = br_catalog_price(cat, items[i]), cost = br_catalog_cost(cat, items[i]);
    double q = (double)br_bundle_item_count(st, items[i]) / (double)nb, lo = 1.0 / (double)(nb + 1);
    if (q < lo) q = lo;
    if (q > 1 - lo) q = 1 - lo;
    double sigma = w->sigma && !isnan(w->sigma[items[i]]) ? w->sigma[items[i]] : w->default_sigma;
    if (!(sigma > 0)) return customers_free(c), free(wsum), br_error_set(BR_ERR_ARG, "price: item %d has dispersion %g", i + 1, sigma);
    sigma = elastic_sigma(q, sigma, w->max_elasticity);
    double mu = sigma * normal_quantile(q); /* P(WTP > price) = q: the item's support */
    /* item i's customers draw the same values in every bundle */
    br_rng r;
    br_rng_seed(&r, w->seed ^ ((uint64_t)items[i] + 1) * 0x9e3779b97f4a7c15u);
    for (int64_t k = 0; k < c->k; k++) {
      double wtp = p * exp(mu + sigma * br_rng_normal(&r));
      wsum[k] += wtp;
      if (wtp > p) {
        c->t[k] -= wtp - p; /* the surplus of buying separately */
        c->units[k] += 1;
        c->marg[k] += p - cost;
      }
    }
  }
  for (int64_t k = 0; k < c->k; k++) {
    c->t[k] += raise * wsum[k]; /* bundle WTP minus that surplus: the most they pay for the bundle */
    c->order[k] = k;
  }
  free(wsum);
  if (!sort_index(c->order, c->k, by_t_desc, c->t)) {
    customers_free(c);
    return br_error_set(BR_ERR_NOMEM, "price: out of memory");
  }
  return BR_OK;
}

static void bundle_money(const br_bundle_stats *st, const int32_t *items, int n, double *list, double *cost) {
  const br_catalog *cat = br_bundle_stats_catalog(st);
  *list = *cost = 0;
  for (int i = 0; i < n; i++) *list += br_catalog_price(cat, items[i]), *cost += br_catalog_cost(cat, items[i]);
}

/* Everything at price P: the takers are the customers with t >= P, the
 * first `takers` in descending order. */
static void fill_point(br_price_point *o, const customers *c, double list, double cost, double P) {
  int64_t lo = 0, hi = c->k; /* count t >= P by bisection on the sorted order */
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (c->t[c->order[mid]] >= P) lo = mid + 1;
    else hi = mid;
  }
  double units = 0, marg = 0, all = 0;
  for (int64_t j = 0; j < lo; j++) units += c->units[c->order[j]], marg += c->marg[c->order[j]];
  for (int64_t k = 0; k < c->k; k++) all += c->marg[k];
  double K = (double)c->k;
  o->list_price = list;
  o->cost = cost;
  o->price = P;
  o->discount = 1 - P / list;
  o->take_rate = (double)lo / K;
  o->profit = o->take_rate * (P - cost);
  o->cannibalised_units = units / K;
  o->cannibalised_profit = marg / K;
  o->component_profit = all / K;
  o->incremental_profit = o->profit - o->cannibalised_profit;
}

static br_status check_range(double dmin, double dmax) {
  if (!(dmin >= 0 && dmax < 1 && dmin <= dmax))
    return br_error_set(BR_ERR_ARG, "price: discount must be {min, max} with 0 <= min <= max < 1, got {%g, %g}", dmin, dmax);
  return BR_OK;
}

/* One discount is a range of one price: the walk below then finds it. */
br_status br_price_evaluate_wtp(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                                const br_wtp_spec *w, double discount) {
  return br_price_optimize_wtp(out, st, items, n, w, discount, discount, BR_PRICE_PROFIT);
}

br_status br_price_optimize_wtp(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                                const br_wtp_spec *w, double dmin, double dmax, br_price_goal goal) {
  br_status s = check_range(dmin, dmax);
  customers c;
  if (s == BR_OK) s = simulate(&c, st, items, n, w);
  if (s != BR_OK) return s;
  double list, cost;
  bundle_money(st, items, n, &list, &cost);
  double plo = (1 - dmax) * list, phi = (1 - dmin) * list, K = (double)c.k;
  /* Profit at P is (takers(P) x (P - cost) - [their margin]) / K, and
   * takers(P) = #{t >= P} only changes at a threshold: between two, profit
   * rises with P. So the optimum is the top of the range or a threshold in
   * it (or the bottom). Walk the thresholds downwards with running sums;
   * ties keep the higher price. */
  br_price_point at;
  fill_point(&at, &c, list, cost, phi);
  double best_p = phi, best = goal == BR_PRICE_INCREMENTAL ? at.incremental_profit : at.profit, marg = 0;
  for (int64_t j = 0; j < c.k; j++) {
    double tj = c.t[c.order[j]];
    marg += c.marg[c.order[j]];
    if (j + 1 < c.k && c.t[c.order[j + 1]] == tj) continue; /* the last of equal thresholds counts them all */
    if (tj > phi || tj < plo) continue;
    double v = ((double)(j + 1) * (tj - cost) - (goal == BR_PRICE_INCREMENTAL ? marg : 0)) / K;
    if (v > best) best = v, best_p = tj;
  }
  fill_point(&at, &c, list, cost, plo);
  if ((goal == BR_PRICE_INCREMENTAL ? at.incremental_profit : at.profit) > best) best_p = plo;
  fill_point(out, &c, list, cost, best_p);
  customers_free(&c);
  return BR_OK;
}

/* ---- any demand curve ---- */

typedef struct curve {
  const int32_t *items;
  int n;
  double list, cost;
  br_demand_fn demand;
  void *ctx;
  int fail;
} curve;

static double profit_at(curve *cv, double d, double *take) {
  double P = (1 - d) * cv->list;
  double t = cv->demand(cv->ctx, cv->items, cv->n, P, d, &cv->fail);
  if (cv->fail) return NAN;
  if (!(t >= 0 && t <= 1)) {
    br_error_set(BR_ERR_NUMERIC, "price: the demand gave take rate %g at price %g (discount %g); take rates are in [0, 1]", t, P, d);
    cv->fail = 1;
    return NAN;
  }
  if (take) *take = t;
  return t * (P - cv->cost);
}

/* Golden-section search for the maximum on [a, b]. */
static double golden(curve *cv, double a, double b) {
  const double g = (sqrt(5.0) - 1) / 2;
  double x1 = b - g * (b - a), x2 = a + g * (b - a);
  double f1 = profit_at(cv, x1, NULL), f2 = profit_at(cv, x2, NULL);
  for (int it = 0; it < 200 && !cv->fail && b - a > 1e-12 * (1 + fabs(b)); it++) {
    if (f1 < f2) {
      a = x1, x1 = x2, f1 = f2;
      x2 = a + g * (b - a);
      f2 = profit_at(cv, x2, NULL);
    } else {
      b = x2, x2 = x1, f2 = f1;
      x1 = b - g * (b - a);
      f1 = profit_at(cv, x1, NULL);
    }
  }
  return f1 >= f2 ? x1 : x2;
}

br_status br_price_optimize_fn(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                               br_demand_fn demand, void *ctx, double dmin, double dmax, br_price_method method,
                               int grid) {
  br_status s = check_range(dmin, dmax);
  if (s == BR_OK) s = check_bundle(items, n);
  if (s != BR_OK) return s;
  if (method != BR_PRICE_GOLDEN && grid < 2) return br_error_set(BR_ERR_ARG, "price: grid needs at least 2 points, got %d", grid);
  curve cv = {items, n, 0, 0, demand, ctx, 0};
  bundle_money(st, items, n, &cv.list, &cv.cost);
  double best_d = dmin, best = -INFINITY;
  if (method == BR_PRICE_GOLDEN) {
    best_d = golden(&cv, dmin, dmax);
  } else {
    double step = (dmax - dmin) / (grid - 1);
    int at = 0;
    for (int k = 0; k < grid && !cv.fail; k++) {
      double d = k == grid - 1 ? dmax : dmin + k * step, v = profit_at(&cv, d, NULL);
      if (v > best) best = v, best_d = d, at = k;
    }
    if (method == BR_PRICE_AUTO && !cv.fail && step > 0) { /* refine inside the best grid cell's neighbours */
      double a = at > 0 ? best_d - step : dmin, b = at < grid - 1 ? best_d + step : dmax;
      double d = golden(&cv, a, b);
      if (!cv.fail && profit_at(&cv, d, NULL) > best) best_d = d;
    }
  }
  double take = 0;
  if (!cv.fail) profit_at(&cv, best_d, &take);
  if (cv.fail) return BR_ERR_ARG;
  out->list_price = cv.list;
  out->cost = cv.cost;
  out->discount = best_d;
  out->price = (1 - best_d) * cv.list;
  out->take_rate = take;
  out->profit = take * (out->price - cv.cost);
  out->cannibalised_units = out->cannibalised_profit = out->component_profit = out->incremental_profit = NAN;
  return BR_OK;
}
