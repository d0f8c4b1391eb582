/* Bundle prices: the reservation-price model (simulated customers whose
 * willingness to pay is lognormal per item and dependent across items
 * through a Gaussian copula, mixed bundling), its exact optimum, and grid /
 * golden-section optimisation for any demand curve.
 *
 * Why this model: a bundle's value to a customer is the sum of what its
 * items are worth to them (Schmalensee 1984), and whether bundling pays
 * depends on how those values are correlated across customers (Venkatesh &
 * Kamakura 2003). The marginals are pinned by two things the data or the
 * literature can speak to — how many buy an item at its list price (its
 * support) and how strongly demand reacts to price there (its elasticity) —
 * and the dependence by how often items are bought together. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/price.h"
#include "bundle/rng.h"
#include "deadline_internal.h"
#include "sort_index.h"
#include "bundle/memory.h"
#include "memory_internal.h"

void br_wtp_params_init(br_wtp_params *p) {
  memset(p, 0, sizeof *p);
  p->market = 2;
  p->customers = 20000;
  p->seed = 1;
}

void br_wtp_spec_init(br_wtp_spec *w) {
  memset(w, 0, sizeof *w);
  /* near the meta-analytic mean own-price elasticity, -2.62, of Bijmolt,
   * van Heerde & Pieters (2005) */
  w->elasticity_prior = 2.5;
  w->min_elasticity = 0.5;
  w->max_elasticity = 5;
  w->market = 2;
  w->customers = 20000;
  w->seed = 1;
  w->visit_share = 1;
  w->pair_prior = 0;
}

static double normal_cdf(double x) { return 0.5 * erfc(-x / M_SQRT2); }

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

/* ---- the bivariate normal ---- */

/* P(X > h, Y > k), correlation r: Genz's BVND (A. Genz, "Numerical
 * computation of rectangular bivariate and trivariate normal and t
 * probabilities", Statistics and Computing 14, 2004), which refines
 * Drezner & Wesolowsky (1990): Gauss-Legendre quadrature of Plackett's
 * integral over asin(r) for |r| < 0.925, and for larger |r| an expansion
 * around the singular r = +-1 whose remainder is integrated numerically.
 * 6, 12 or 20 points as |r| grows; about 1e-15 absolute accuracy. */
static double bvnu(double h, double k, double r) {
  static const double x6[] = {-0.93246951420315205, -0.66120938646626459, -0.23861918608319693};
  static const double w6[] = {0.1713244923791705, 0.36076157304813861, 0.46791393457269104};
  static const double x12[] = {-0.98156063424671924, -0.9041172563704748, -0.76990267419430469,
                               -0.58731795428661748, -0.36783149899818018, -0.12523340851146894};
  static const double w12[] = {0.047175336386511835, 0.10693932599531857, 0.16007832854334633,
                               0.20316742672306584, 0.23349253653835478, 0.24914704581340288};
  static const double x20[] = {-0.99312859918509488, -0.96397192727791381, -0.91223442825132595,
                               -0.83911697182221889, -0.7463319064601508, -0.63605368072651502,
                               -0.51086700195082713, -0.37370608871541955, -0.22778585114164507,
                               -0.076526521133497338};
  static const double w20[] = {0.017614007139152264, 0.04060142980038705, 0.06267204833410904,
                               0.083276741576704741, 0.10193011981724048, 0.11819453196151831,
                               0.1316886384491765, 0.14209610931838215, 0.14917298647260382,
                               0.15275338713072598};
  const double *x, *w;
  int lg;
  if (fabs(r) < 0.3) x = x6, w = w6, lg = 3;
  else if (fabs(r) < 0.75) x = x12, w = w12, lg = 6;
  else x = x20, w = w20, lg = 10;
  double hk = h * k, bvn = 0;
  if (fabs(r) < 0.925) {
    double hs = (h * h + k * k) / 2, asr = asin(r);
    for (int i = 0; i < lg; i++) {
      double sn = sin(asr * (x[i] + 1) / 2);
      bvn += w[i] * exp((sn * hk - hs) / (1 - sn * sn));
      sn = sin(asr * (-x[i] + 1) / 2);
      bvn += w[i] * exp((sn * hk - hs) / (1 - sn * sn));
    }
    bvn = bvn * asr / (4 * M_PI) + normal_cdf(-h) * normal_cdf(-k);
  } else {
    if (r < 0) k = -k, hk = -hk;
    if (fabs(r) < 1) {
      double as = (1 - r) * (1 + r), a = sqrt(as), bs = (h - k) * (h - k);
      double c = (4 - hk) / 8, d = (12 - hk) / 16, asr = -(bs / as + hk) / 2;
      if (asr > -100) bvn = a * exp(asr) * (1 - c * (bs - as) * (1 - d * bs / 5) / 3 + c * d * as * as / 5);
      if (hk > -160) {
        double b = sqrt(bs);
        bvn -= exp(-hk / 2) * sqrt(2 * M_PI) * normal_cdf(-b / a) * b * (1 - c * bs * (1 - d * bs / 5) / 3);
      }
      a /= 2;
      for (int i = 0; i < lg; i++)
        for (int s = -1; s <= 1; s += 2) {
          double xs = a * (s * x[i] + 1);
          xs *= xs;
          double rs = sqrt(1 - xs);
          asr = -(bs / xs + hk) / 2;
          if (asr > -100)
            bvn += a * w[i] * exp(asr) * (exp(-hk * xs / (2 * (1 + rs) * (1 + rs))) / rs - (1 + c * xs * (1 + d * xs)));
        }
      bvn = -bvn / (2 * M_PI);
    }
    if (r > 0) bvn += normal_cdf(-fmax(h, k));
    else bvn = -bvn + fmax(0, normal_cdf(-h) - normal_cdf(-k));
  }
  return bvn < 0 ? 0 : bvn > 1 ? 1 : bvn;
}

double br_bvn_cdf(double a, double b, double rho) {
  if (isnan(a) || isnan(b) || isnan(rho)) return NAN;
  if (rho > 1) rho = 1;
  if (rho < -1) rho = -1;
  if (a == -INFINITY || b == -INFINITY) return 0;
  if (a == INFINITY) return normal_cdf(b);
  if (b == INFINITY) return normal_cdf(a);
  return bvnu(-a, -b, rho); /* P(X < a, Y < b) = P(-X > -a, -Y > -b), same correlation */
}

/* The bivariate normal density: d Phi2 / d rho (Plackett's identity). */
static double bvn_pdf(double a, double b, double rho) {
  double om = (1 - rho) * (1 + rho);
  return exp(-(a * a - 2 * rho * a * b + b * b) / (2 * om)) / (2 * M_PI * sqrt(om));
}

br_status br_price_calibrate_rho(double *rho, double qi, double qj, double s) {
  if (!(qi > 0 && qi < 1 && qj > 0 && qj < 1) || isnan(s))
    return br_error_set(BR_ERR_ARG, "price: calibrating rho needs shares in (0, 1) and a joint share, got %g, %g and %g", qi, qj, s);
  double lo_s = fmax(0, qi + qj - 1), hi_s = fmin(qi, qj);
  /* Phi2 at rho = -1 and +1 are exactly these (Frechet) bounds */
  if (s <= lo_s) return *rho = -1, BR_OK;
  if (s >= hi_s) return *rho = 1, BR_OK;
  double a = normal_quantile(qi), b = normal_quantile(qj);
  /* Phi2(a, b; rho) rises with rho (its derivative is the density), so
   * Newton from independence, kept inside a shrinking bracket, falls back
   * to bisection whenever a step would leave it */
  double lo = -1, hi = 1, r = 0;
  for (int it = 0; it < 200; it++) {
    double f = br_bvn_cdf(a, b, r) - s;
    if (f == 0) break;
    if (f < 0) lo = r;
    else hi = r;
    if (hi - lo < 1e-13) break;
    double g = bvn_pdf(a, b, r), next = g > 0 ? r - f / g : NAN;
    r = next > lo && next < hi ? next : 0.5 * (lo + hi);
    if (fabs(f) < 1e-15 * s) break;
  }
  *rho = r;
  return BR_OK;
}

/* Lower Cholesky factor of an n x n row-major matrix; 0 when a pivot is
 * not clearly positive (the matrix is not positive definite). */
static int cholesky(const double *A, double *L, int n) {
  for (int i = 0; i < n; i++)
    for (int j = 0; j <= i; j++) {
      double s = A[i * n + j];
      for (int m = 0; m < j; m++) s -= L[i * n + m] * L[j * n + m];
      if (i == j) {
        if (!(s > 1e-10)) return 0;
        L[i * n + i] = sqrt(s);
      } else {
        L[i * n + j] = s / L[j * n + j];
      }
    }
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) L[i * n + j] = 0;
  return 1;
}

/* The repair behind br_corr_repair, for a matrix already checked and of
 * any size (a portfolio's groups may exceed the public limit of 64). */
static br_status corr_repair(double *R, double *chol, int n, double *shrink) {
  double l = 1;
  if (!cholesky(R, chol, n)) {
    /* pairwise-calibrated correlations need not be jointly consistent:
     * shrink toward independence, R(l) = l R + (1 - l) I, by bisection for
     * the largest l with a factor (l = 0, the identity, always has one) */
    double *T = br_alloc("price", mem_mul((size_t)n, (size_t)n), sizeof *T);
    if (!T) return br_error_set(BR_ERR_NOMEM, "price: out of memory");
    double lo = 0, hi = 1;
    while (hi - lo > 1e-6) {
      double mid = 0.5 * (lo + hi);
      for (int i = 0; i < n * n; i++) T[i] = i % (n + 1) == 0 ? 1 : mid * R[i];
      if (cholesky(T, chol, n)) lo = mid;
      else hi = mid;
    }
    br_free(T);
    l = lo;
    for (int i = 0; i < n * n; i++) R[i] = i % (n + 1) == 0 ? 1 : l * R[i];
    cholesky(R, chol, n);
  }
  if (shrink) *shrink = l;
  return BR_OK;
}

br_status br_corr_repair(double *R, double *chol, int n, double *shrink) {
  if (n < 1 || n > 64) return br_error_set(BR_ERR_ARG, "price: a correlation matrix has 1 to 64 rows, got %d", n);
  for (int i = 0; i < n; i++)
    for (int j = 0; j < n; j++) {
      double v = R[i * n + j];
      if (i == j ? !(fabs(v - 1) <= 1e-12) : !(fabs(v) <= 1) || !(fabs(v - R[j * n + i]) <= 1e-12))
        return br_error_set(BR_ERR_ARG, "price: the correlation matrix's entry (%d, %d) is %g: it must be symmetric, in [-1, 1], with a unit diagonal",
                            i + 1, j + 1, v);
    }
  return corr_repair(R, chol, n, shrink);
}

/* ---- simulated customers ---- */

double br_price_sigma(double q, double e) {
  /* with a share q above the list price, the lognormal demand's elasticity
   * there is phi(z) / (q sigma), z = Phi^-1(1 - q) (the inverse Mills
   * ratio over sigma): solve for sigma */
  double z = -normal_quantile(q);
  return exp(-0.5 * z * z) / sqrt(2 * M_PI) / (q * e);
}

typedef struct customers {
  int64_t k;
  double *t;      /* the highest bundle price each would pay over their alternative */
  double *units;  /* items each buys separately, with no bundle */
  double *marg;   /* the margin of those purchases */
  int64_t *order; /* customers by t, descending */
  int64_t buyers; /* customers who buy at least one item at list price: the stated market */
  int64_t joint;  /* customers above list price for every item */
  int64_t cap;    /* the most takers the market allows */
  double all;     /* total item margin with no bundle */
} customers;

static void customers_free(customers *c) {
  br_free(c->t);
  br_free(c->units);
  br_free(c->marg);
  br_free(c->order);
}

static int by_t_desc(const void *ctx, int64_t a, int64_t b) {
  const double *t = ctx;
  return (t[a] < t[b]) - (t[a] > t[b]);
}

static br_status check_params(const br_wtp_params *p) {
  if (p->n < 1 || p->n > BR_BUNDLE_MAX_ITEMS) return br_error_set(BR_ERR_ARG, "price: a bundle has 1 to %d items, got %d", BR_BUNDLE_MAX_ITEMS, p->n);
  if (!p->price || !p->share || (!p->elasticity && !p->sigma))
    return br_error_set(BR_ERR_ARG, "price: the model needs each item's price, share and elasticity (or sigma)");
  if (p->customers < 1 || p->customers > 100000000) return br_error_set(BR_ERR_ARG, "price: customers must be in 1..1e8, got %lld", (long long)p->customers);
  if (!(p->market == 0 || (p->market >= 1 && p->market <= 1e6)))
    return br_error_set(BR_ERR_ARG, "price: market must be 0 (no cap) or in [1, 1e6], got %g", p->market);
  for (int i = 0; i < p->n; i++) {
    if (!(p->price[i] > 0 && p->price[i] < INFINITY)) return br_error_set(BR_ERR_ARG, "price: item %d has price %g (must be > 0)", i + 1, p->price[i]);
    if (p->cost && !isfinite(p->cost[i])) return br_error_set(BR_ERR_ARG, "price: item %d has cost %g", i + 1, p->cost[i]);
    if (!(p->share[i] > 0 && p->share[i] < 1)) return br_error_set(BR_ERR_ARG, "price: item %d has share %g (must be in (0, 1))", i + 1, p->share[i]);
    double sg = p->sigma ? p->sigma[i] : NAN;
    if (!isnan(sg) && !(sg > 0 && sg <= 100)) return br_error_set(BR_ERR_ARG, "price: item %d has sigma %g (must be in (0, 100])", i + 1, sg);
    if (isnan(sg) && !(p->elasticity && p->elasticity[i] >= 0.01 && p->elasticity[i] <= 1e6))
      return br_error_set(BR_ERR_ARG, "price: item %d has elasticity %g (a magnitude in [0.01, 1e6])", i + 1, p->elasticity ? p->elasticity[i] : NAN);
  }
  return BR_OK;
}

static br_status simulate(customers *c, const br_wtp_params *p) {
  br_status s = check_params(p);
  if (s != BR_OK) return s;
  int n = p->n;
  double R[BR_BUNDLE_MAX_ITEMS * BR_BUNDLE_MAX_ITEMS], L[BR_BUNDLE_MAX_ITEMS * BR_BUNDLE_MAX_ITEMS];
  for (int i = 0; i < n * n; i++) R[i] = p->corr ? p->corr[i] : i % (n + 1) == 0;
  if ((s = br_corr_repair(R, L, n, NULL)) != BR_OK) return s;
  double mu[BR_BUNDLE_MAX_ITEMS], sigma[BR_BUNDLE_MAX_ITEMS], margin[BR_BUNDLE_MAX_ITEMS];
  br_rng rng[BR_BUNDLE_MAX_ITEMS];
  for (int i = 0; i < n; i++) {
    double sg = p->sigma ? p->sigma[i] : NAN;
    sigma[i] = isnan(sg) ? br_price_sigma(p->share[i], p->elasticity[i]) : sg;
    mu[i] = sigma[i] * normal_quantile(p->share[i]); /* P(WTP > price) = q */
    margin[i] = p->price[i] - (p->cost ? p->cost[i] : 0);
    /* an item's stream gives it the same independent draws in every
     * bundle, so bundles sharing items are compared on the same customers */
    uint64_t id = p->stream ? p->stream[i] : (uint64_t)i;
    br_rng_seed(&rng[i], p->seed ^ (id + 1) * 0x9e3779b97f4a7c15u);
  }
  memset(c, 0, sizeof *c);
  c->k = p->customers;
  c->t = br_alloc("price", (size_t)c->k, sizeof *c->t);
  c->units = br_alloc("price", (size_t)c->k, sizeof *c->units);
  c->marg = br_alloc("price", (size_t)c->k, sizeof *c->marg);
  c->order = br_alloc("price", (size_t)c->k, sizeof *c->order);
  if (!c->t || !c->units || !c->marg || !c->order) {
    customers_free(c);
    return br_error_set(BR_ERR_NOMEM, "price: out of memory for %lld customers", (long long)c->k);
  }
  int64_t work = 0;
  for (int64_t k = 0; k < c->k; k++) {
    /* customers is the caller's: millions of them take seconds */
    if (deadline_poll(&work, 8 * (int64_t)n * n + 16)) {
      customers_free(c);
      return br_deadline_stop("price", k, "customers simulated");
    }
    double e[BR_BUNDLE_MAX_ITEMS], wsum = 0, surplus = 0, units = 0, marg = 0;
    for (int i = 0; i < n; i++) e[i] = br_rng_normal(&rng[i]);
    for (int i = 0; i < n; i++) {
      double z = 0; /* the copula: correlated normals L e */
      for (int j = 0; j <= i; j++) z += L[i * n + j] * e[j];
      double wtp = p->price[i] * exp(mu[i] + sigma[i] * z);
      wsum += wtp;
      if (wtp > p->price[i]) {
        surplus += wtp - p->price[i]; /* the surplus of buying separately */
        units += 1;
        marg += margin[i];
      }
    }
    c->t[k] = wsum - surplus; /* bundle WTP minus that surplus: the most they pay for the bundle */
    c->units[k] = units;
    c->marg[k] = marg;
    c->all += marg;
    c->buyers += units > 0;
    c->joint += units == n;
    c->order[k] = k;
  }
  /* A discount draws takers only from a stated market: at most `market`
   * times the customers who already buy one of the items. Without it a deep
   * discount on items few buy would sell to customers who never shop for
   * them at all. */
  c->cap = c->k;
  if (p->market > 0) {
    double cap = floor(p->market * (double)c->buyers);
    if (cap < (double)c->k) c->cap = (int64_t)cap;
  }
  int sorted = sort_index_polled(c->order, c->k, by_t_desc, c->t);
  if (sorted <= 0) {
    customers_free(c);
    return sorted < 0 ? br_deadline_stop("price", c->k, "customers simulated")
                      : br_error_set(BR_ERR_NOMEM, "price: out of memory");
  }
  return BR_OK;
}

/* Everything at price P: the takers are the customers with t >= P, at most
 * cap of them, the highest t first (the first in descending order). */
static void fill_point(br_price_point *o, const customers *c, double list, double cost, double P) {
  int64_t lo = 0, hi = c->k; /* count t >= P by bisection on the sorted order */
  while (lo < hi) {
    int64_t mid = (lo + hi) / 2;
    if (c->t[c->order[mid]] >= P) lo = mid + 1;
    else hi = mid;
  }
  if (lo > c->cap) lo = c->cap;
  double units = 0, marg = 0;
  for (int64_t j = 0; j < lo; j++) units += c->units[c->order[j]], marg += c->marg[c->order[j]];
  double K = (double)c->k;
  o->list_price = list;
  o->cost = cost;
  o->price = P;
  o->discount = 1 - P / list;
  o->take_rate = (double)lo / K;
  o->profit = o->take_rate * (P - cost);
  o->cannibalised_units = units / K;
  o->cannibalised_profit = marg / K;
  o->component_profit = c->all / K;
  o->incremental_profit = o->profit - o->cannibalised_profit;
  o->market_share = (double)c->buyers / K;
}

static br_status check_range(double dmin, double dmax) {
  if (!(dmin >= 0 && dmax < 1 && dmin <= dmax))
    return br_error_set(BR_ERR_ARG, "price: discount must be {min, max} with 0 <= min <= max < 1, got {%g, %g}", dmin, dmax);
  return BR_OK;
}

br_status br_price_optimize_params(br_price_point *out, const br_wtp_params *p, double dmin, double dmax,
                                   br_price_goal goal) {
  br_status s = check_range(dmin, dmax);
  customers c;
  if (s == BR_OK) s = simulate(&c, p);
  if (s != BR_OK) return s;
  double list = 0, cost = 0;
  for (int i = 0; i < p->n; i++) list += p->price[i], cost += p->cost ? p->cost[i] : 0;
  double plo = (1 - dmax) * list, phi = (1 - dmin) * list, K = (double)c.k;
  /* Profit at P is (takers(P) x (P - cost) - [their margin]) / K with
   * takers(P) = min(#{t >= P}, cap): it only changes at a threshold, and
   * between two it rises with P. So the optimum is the top of the range or
   * a threshold in it (or the bottom). Walk the thresholds downwards with
   * running sums; ties keep the higher price. Once the cap binds the
   * takers (the cap highest-t customers) no longer change, so lower
   * thresholds only lower the price: the walk stays exact. */
  br_price_point at;
  fill_point(&at, &c, list, cost, phi);
  double best_p = phi, best = goal == BR_PRICE_INCREMENTAL ? at.incremental_profit : at.profit, marg = 0;
  for (int64_t j = 0; j < c.k; j++) {
    double tj = c.t[c.order[j]];
    if (j < c.cap) marg += c.marg[c.order[j]];
    if (j + 1 < c.k && c.t[c.order[j + 1]] == tj) continue; /* the last of equal thresholds counts them all */
    if (tj < plo) break;
    if (tj > phi) continue;
    double takers = (double)(j + 1 < c.cap ? j + 1 : c.cap);
    double v = (takers * (tj - cost) - (goal == BR_PRICE_INCREMENTAL ? marg : 0)) / K;
    if (v > best) best = v, best_p = tj;
    if (j + 1 >= c.cap) break; /* capped: every lower threshold earns less */
  }
  fill_point(&at, &c, list, cost, plo);
  if ((goal == BR_PRICE_INCREMENTAL ? at.incremental_profit : at.profit) > best) best_p = plo;
  fill_point(out, &c, list, cost, best_p);
  customers_free(&c);
  return BR_OK;
}

br_status br_price_joint_share_params(double *share, const br_wtp_params *p) {
  customers c;
  br_status s = simulate(&c, p);
  if (s != BR_OK) return s;
  *share = (double)c.joint / (double)c.k;
  customers_free(&c);
  return BR_OK;
}

/* ---- the model's parameters from basket statistics ---- */

static br_status check_bundle(const int32_t *items, int n) {
  if (n < 1 || n > BR_BUNDLE_MAX_ITEMS) return br_error_set(BR_ERR_ARG, "price: a bundle has 1 to %d items, got %d", BR_BUNDLE_MAX_ITEMS, n);
  for (int i = 0; i < n; i++)
    if (items[i] < 0) return br_error_set(BR_ERR_ARG, "price: item %d of the bundle is not in the catalogue", i + 1);
  return BR_OK;
}

typedef struct stats_world {
  double price[BR_BUNDLE_MAX_ITEMS], cost[BR_BUNDLE_MAX_ITEMS], q[BR_BUNDLE_MAX_ITEMS], e[BR_BUNDLE_MAX_ITEMS];
  double sigma[BR_BUNDLE_MAX_ITEMS], corr[BR_BUNDLE_MAX_ITEMS * BR_BUNDLE_MAX_ITEMS];
  uint64_t stream[BR_BUNDLE_MAX_ITEMS];
  br_wtp_params p;
} stats_world;

static br_status check_spec(const br_wtp_spec *w) {
  /* below 0.1 an item is nearly price-blind, and the spread it takes
   * overflows the draws */
  if (!(w->max_elasticity == 0 || (w->max_elasticity >= 0.1 && w->max_elasticity <= 1e6)))
    return br_error_set(BR_ERR_ARG, "price: max_elasticity must be 0 (no bound) or in [0.1, 1e6], got %g", w->max_elasticity);
  if (!(w->min_elasticity >= 0.1 && w->min_elasticity <= 1e6) || (w->max_elasticity > 0 && w->min_elasticity > w->max_elasticity))
    return br_error_set(BR_ERR_ARG, "price: min_elasticity must be in [0.1, 1e6] and at most max_elasticity, got %g (max %g)",
                        w->min_elasticity, w->max_elasticity);
  if (!(w->visit_share > 0 && w->visit_share <= 1))
    return br_error_set(BR_ERR_ARG, "price: visit_share must be in (0, 1], got %g", w->visit_share);
  if (!(w->pair_prior >= 0 && w->pair_prior < INFINITY))
    return br_error_set(BR_ERR_ARG, "price: pair_prior must be >= 0, got %g", w->pair_prior);
  if (!(w->elasticity_prior > 0 && w->elasticity_prior < INFINITY))
    return br_error_set(BR_ERR_ARG, "price: the elasticity prior must be a magnitude > 0, got %g", w->elasticity_prior);
  return BR_OK;
}

br_status br_price_pair_rho(double *rho, const br_bundle_stats *st, int32_t a, int32_t b) {
  br_wtp_spec w;
  br_wtp_spec_init(&w);
  w.pair_prior = 0;
  return br_price_pair_rho_spec(rho, st, a, b, &w);
}

/* Two corrections to reading a pair's joint support off the baskets.
 *
 * Shares of visitors, not of baskets: a basket share f is f x visit_share
 * of the visitors (the visits that bought nothing are not in the baskets).
 * Calibrating on basket shares would read Berkson's bias (independent items
 * are rarer together among non-empty baskets) as a negative correlation.
 *
 * Shrinkage toward independence: a pair's count c is Poisson with mean
 * E x r, E the count independence predicts and r its lift; with a
 * Gamma(k, k) prior on r (mean 1, k = pair_prior expected co-occurrences'
 * worth of evidence), the posterior mean lift is (c + k) / (E + k). Two
 * rare items seen together 5 times where 1 was expected are most likely a
 * chance meeting, and a candidate list made of pairs above a support floor
 * is full of such meetings (a winner's curse); a popular pair's count
 * (E in the hundreds) is barely moved. */
br_status br_price_pair_rho_spec(double *rho, const br_bundle_stats *st, int32_t a, int32_t b, const br_wtp_spec *w) {
  int64_t nb = br_bundle_nbaskets(st);
  if (nb == 0) return br_error_set(BR_ERR_ARG, "price: the reservation-price model needs baskets (for item supports and joint supports)");
  if (a < 0 || b < 0 || a == b) return br_error_set(BR_ERR_ARG, "price: a pair needs two different catalogue items, got %d and %d", (int)a, (int)b);
  double vs = w->visit_share, k = w->pair_prior;
  if (!(vs > 0 && vs <= 1)) return br_error_set(BR_ERR_ARG, "price: visit_share must be in (0, 1], got %g", vs);
  if (!(k >= 0 && k < INFINITY)) return br_error_set(BR_ERR_ARG, "price: pair_prior must be >= 0, got %g", k);
  double lo = vs / (double)(nb + 1), q[2];
  int32_t pair[2] = {a < b ? a : b, a < b ? b : a};
  for (int i = 0; i < 2; i++) {
    q[i] = vs * (double)br_bundle_item_count(st, pair[i]) / (double)nb;
    q[i] = q[i] < lo ? lo : q[i] > 1 - lo ? 1 - lo : q[i];
  }
  /* the pair's latent correlation reproduces its joint support at list
   * prices. A pair never seen together counts as half a basket, since a
   * zero share would force perfect negative dependence; but no more than
   * independence predicts, since for rare items (expected count under 0.5)
   * seeing them apart is no evidence of attraction */
  double cnt = (double)br_bundle_count(st, pair, 2);
  double expect = q[0] * q[1] * (double)nb / vs; /* baskets holding both, were they independent */
  if (k > 0) cnt = expect * (cnt + k) / (expect + k);
  double sij = cnt > 0 ? vs * cnt / (double)nb : fmin(0.5 * vs / (double)nb, q[0] * q[1]);
  return br_price_calibrate_rho(rho, q[0], q[1], sij);
}

/* Item id's list price, cost and marginal model as every path reads them
 * (a portfolio's items must match a single offer's): q its support in the
 * baskets, clamped into [1/(nb+1), 1 - 1/(nb+1)]; e its elasticity (per
 * item, else the prior) clamped into [min, max]; sigma the per-item spread
 * override or NaN. Returns 0; 1 when the price is not > 0; 2 when the
 * elasticity is not a finite magnitude > 0 (*e holds it). */
static int item_marginal(const br_bundle_stats *st, const br_wtp_spec *w, int32_t id, double *price, double *cost,
                         double *q, double *e, double *sigma) {
  const br_catalog *cat = br_bundle_stats_catalog(st);
  int64_t nb = br_bundle_nbaskets(st);
  double vs = w->visit_share, lo = vs / (double)(nb + 1);
  *price = br_catalog_price(cat, id);
  *cost = br_catalog_cost(cat, id);
  if (!(*price > 0)) return 1;
  double s = vs * (double)br_bundle_item_count(st, id) / (double)nb;
  *q = s < lo ? lo : s > 1 - lo ? 1 - lo : s;
  *e = w->elasticity && !isnan(w->elasticity[id]) ? w->elasticity[id] : w->elasticity_prior;
  if (!(*e > 0 && *e < INFINITY)) return 2;
  if (*e < w->min_elasticity) *e = w->min_elasticity;
  if (w->max_elasticity > 0 && *e > w->max_elasticity) *e = w->max_elasticity;
  *sigma = w->sigma ? w->sigma[id] : NAN;
  return 0;
}

static br_status stats_params(stats_world *sw, const br_bundle_stats *st, const int32_t *items, int n, const br_wtp_spec *w) {
  br_status s = check_bundle(items, n);
  if (s == BR_OK) s = check_spec(w);
  if (s != BR_OK) return s;
  if (br_bundle_nbaskets(st) == 0)
    return br_error_set(BR_ERR_ARG, "price: the reservation-price model needs baskets (for item supports and joint supports)");
  const br_catalog *cat = br_bundle_stats_catalog(st);
  for (int i = 0; i < n; i++) {
    int32_t id = items[i];
    int bad = item_marginal(st, w, id, &sw->price[i], &sw->cost[i], &sw->q[i], &sw->e[i], &sw->sigma[i]);
    if (bad == 1) { /* catalogues refuse these; a lognormal WTP around a zero price is degenerate */
      size_t len;
      const char *lab = br_catalog_label(cat, id, &len);
      return br_error_set(BR_ERR_ARG, "price: item '%.*s' has list price %g; the reservation-price model needs prices > 0",
                          (int)(len > 60 ? 60 : len), lab, sw->price[i]);
    }
    if (bad == 2) return br_error_set(BR_ERR_ARG, "price: item %d of the bundle has elasticity %g (a magnitude > 0)", i + 1, sw->e[i]);
    sw->stream[i] = (uint64_t)id;
  }
  for (int i = 0; i < n; i++) {
    sw->corr[i * n + i] = 1;
    for (int j = i + 1; j < n; j++) {
      double rho;
      if ((s = br_price_pair_rho_spec(&rho, st, items[i], items[j], w)) != BR_OK) return s;
      sw->corr[i * n + j] = sw->corr[j * n + i] = rho;
    }
  }
  br_wtp_params_init(&sw->p);
  sw->p.n = n;
  sw->p.price = sw->price;
  sw->p.cost = sw->cost;
  sw->p.share = sw->q;
  sw->p.elasticity = sw->e;
  sw->p.sigma = sw->sigma;
  sw->p.corr = sw->corr;
  sw->p.stream = sw->stream;
  sw->p.market = w->market;
  sw->p.customers = w->customers;
  sw->p.seed = w->seed;
  return BR_OK;
}

br_status br_price_optimize_wtp(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                                const br_wtp_spec *w, double dmin, double dmax, br_price_goal goal) {
  stats_world sw;
  br_status s = check_range(dmin, dmax);
  if (s == BR_OK) s = stats_params(&sw, st, items, n, w);
  if (s != BR_OK) return s;
  return br_price_optimize_params(out, &sw.p, dmin, dmax, goal);
}

/* One discount is a range of one price: the walk finds it. */
br_status br_price_evaluate_wtp(br_price_point *out, const br_bundle_stats *st, const int32_t *items, int n,
                                const br_wtp_spec *w, double discount) {
  return br_price_optimize_wtp(out, st, items, n, w, discount, discount, BR_PRICE_PROFIT);
}

br_status br_price_joint_share(double *share, double *observed, const br_bundle_stats *st, const int32_t *items,
                               int n, const br_wtp_spec *w) {
  stats_world sw;
  br_status s = stats_params(&sw, st, items, n, w);
  if (s != BR_OK) return s;
  if (observed) *observed = (double)br_bundle_count(st, items, n) / (double)br_bundle_nbaskets(st);
  /* a share of the baskets, as *observed is: the visitors' share over the
   * share of visits that are baskets */
  if ((s = br_price_joint_share_params(share, &sw.p)) == BR_OK) *share /= w->visit_share;
  return s;
}

static void bundle_money(const br_bundle_stats *st, const int32_t *items, int n, double *list, double *cost) {
  const br_catalog *cat = br_bundle_stats_catalog(st);
  *list = *cost = 0;
  for (int i = 0; i < n; i++) *list += br_catalog_price(cat, items[i]), *cost += br_catalog_cost(cat, items[i]);
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
  out->market_share = NAN;
  return BR_OK;
}

/* ---- a portfolio: several offers judged together ----
 *
 * Summing single-offer results over-counts when offers share items: each
 * offer is credited with the same customers. Here every customer sees all
 * the offers at once and takes at most one offer per item.
 *
 * Why groups: offers that share an item, directly or through a chain, form
 * a group. A customer's choice among one group's offers depends only on the
 * WTP of that group's items, and offers of different groups never compete,
 * so every expected figure (per offer and total) depends only on each
 * group's joint distribution. Items are therefore drawn jointly within a
 * group (every pair's calibrated rho, the group's matrix repaired once,
 * its Cholesky factor) and independently across groups. That keeps each
 * group's correlations from being shrunk by an inconsistent pair elsewhere,
 * keeps the work per customer at the groups' sizes squared rather than the
 * union's, and makes a group of one offer draw exactly what
 * br_price_evaluate_wtp draws: the same per-item streams, the same matrix
 * in the same order. */

enum { TAKE_KEPT, TAKE_CUT, TAKE_GONE, TAKE_NEW, TAKE_DROPPED };

typedef struct pf_take {
  int64_t k;   /* the customer */
  int32_t b;   /* the offer */
  int32_t state;
  double t;    /* the most they pay for it: summed WTP less the separate surplus it replaces */
  double units, marg; /* the separate purchases of its items it replaces, and their margin */
} pf_take;

typedef struct pf_cand {
  double g;
  int32_t b;
} pf_cand;

typedef struct pf_world {
  int noffers, u, ngroups;
  int *off_at;          /* offer b's items are off_item[off_at[b] .. off_at[b + 1]) */
  int32_t *off_item;    /* union indices */
  double *P, *list, *cost;
  int *g_at;            /* group g's items are union indices g_at[g] .. g_at[g + 1] */
  size_t *l_at;         /* its Cholesky factor starts at chol[l_at[g]] */
  double *chol;
  int32_t *id;          /* union index -> catalogue id */
  double *price, *margin, *mu, *sigma;
  br_rng *rng;
  uint64_t seed;
  /* one customer's draws */
  double *e, *wtp;
  int64_t *stamp, epoch;
  pf_cand *cand;
  double *t, *units, *marg;
  /* the takes, in customer order within each pass */
  pf_take *takes;
  size_t ntakes, takes_cap;
} pf_world;

static void pf_world_free(pf_world *pw) {
  br_free(pw->off_at), br_free(pw->off_item), br_free(pw->P), br_free(pw->list), br_free(pw->cost);
  br_free(pw->g_at), br_free(pw->l_at), br_free(pw->chol), br_free(pw->id);
  br_free(pw->price), br_free(pw->margin), br_free(pw->mu), br_free(pw->sigma), br_free(pw->rng);
  br_free(pw->e), br_free(pw->wtp), br_free(pw->stamp), br_free(pw->cand), br_free(pw->t), br_free(pw->units), br_free(pw->marg);
  br_free(pw->takes);
}

void br_portfolio_free(br_portfolio *p) {
  if (!p) return;
  br_free(p->offers);
  memset(p, 0, sizeof *p);
}

/* Seeds every item's stream as simulate() does, so item i's k-th draw is
 * the one it gets in any single offer. */
static void pf_seed(pf_world *pw) {
  for (int i = 0; i < pw->u; i++) br_rng_seed(&pw->rng[i], pw->seed ^ ((uint64_t)pw->id[i] + 1) * 0x9e3779b97f4a7c15u);
}

/* The next customer's standard normals; their WTP too when `use`. The
 * arithmetic mirrors simulate() term by term. */
static void pf_draw(pf_world *pw, int use) {
  for (int i = 0; i < pw->u; i++) pw->e[i] = br_rng_normal(&pw->rng[i]);
  if (!use) return;
  for (int g = 0; g < pw->ngroups; g++) {
    int base = pw->g_at[g], m = pw->g_at[g + 1] - base;
    const double *L = pw->chol + pw->l_at[g], *e = pw->e + base;
    for (int i = 0; i < m; i++) {
      double z = 0;
      for (int j = 0; j <= i; j++) z += L[i * m + j] * e[j];
      int x = base + i;
      pw->wtp[x] = pw->price[x] * exp(pw->mu[x] + pw->sigma[x] * z);
    }
  }
}

/* Each offer's t (the most the customer pays for it over buying its items
 * separately) and the separate purchases it would replace. */
static void pf_offer_values(pf_world *pw) {
  for (int b = 0; b < pw->noffers; b++) {
    double wsum = 0, surplus = 0, units = 0, marg = 0;
    for (int a = pw->off_at[b]; a < pw->off_at[b + 1]; a++) {
      int x = pw->off_item[a];
      double wtp = pw->wtp[x];
      wsum += wtp;
      if (wtp > pw->price[x]) {
        surplus += wtp - pw->price[x];
        units += 1;
        marg += pw->margin[x];
      }
    }
    pw->t[b] = wsum - surplus;
    pw->units[b] = units;
    pw->marg[b] = marg;
  }
}

static int by_gain_desc(const void *a, const void *b) {
  const pf_cand *x = a, *y = b;
  if (x->g != y->g) return x->g < y->g ? 1 : -1;
  return (x->b > y->b) - (x->b < y->b); /* ties: the earlier offer */
}

/* Customer k's choice (after pf_offer_values): greedily the offer with the
 * largest gain t - P >= 0, then the largest among those sharing no item with
 * the taken ones, ...; barred[0..nbarred) are offers closed to them. Appends
 * the takes with `state`; 0 when out of memory. */
static int pf_choose(pf_world *pw, int64_t k, const int32_t *barred, int nbarred, int state) {
  int nc = 0;
  for (int b = 0; b < pw->noffers; b++) {
    if (!(pw->t[b] >= pw->P[b])) continue; /* the single-offer rule: t >= P */
    int closed = 0;
    for (int j = 0; j < nbarred && !closed; j++) closed = barred[j] == b;
    if (closed) continue;
    pw->cand[nc].g = pw->t[b] - pw->P[b];
    pw->cand[nc++].b = b;
  }
  if (nc == 0) return 1;
  if (nc > 1) qsort(pw->cand, (size_t)nc, sizeof *pw->cand, by_gain_desc);
  int64_t epoch = ++pw->epoch; /* stamp[x] == epoch: item x is in a taken offer */
  for (int c = 0; c < nc; c++) {
    int b = pw->cand[c].b, free_ = 1;
    for (int a = pw->off_at[b]; a < pw->off_at[b + 1] && free_; a++) free_ = pw->stamp[pw->off_item[a]] != epoch;
    if (!free_) continue;
    for (int a = pw->off_at[b]; a < pw->off_at[b + 1]; a++) pw->stamp[pw->off_item[a]] = epoch;
    if (pw->ntakes == pw->takes_cap) {
      size_t cap = pw->takes_cap ? 2 * pw->takes_cap : 1024;
      pf_take *grown = br_realloc("price", pw->takes, cap, sizeof *grown);
      if (!grown) return 0;
      pw->takes = grown, pw->takes_cap = cap;
    }
    pw->takes[pw->ntakes++] = (pf_take){k, b, state, pw->t[b], pw->units[b], pw->marg[b]};
  }
  return 1;
}

static int take_by_t_desc(const void *ctx, int64_t a, int64_t b) {
  const pf_take *t = ctx;
  return (t[a].t < t[b].t) - (t[a].t > t[b].t);
}

/* Among the takes of one offer listed in idx[0..n) (customer order), keeps
 * the `keep` with the highest t (ties: the earlier customer, as the
 * single-offer path's stable sort does) and sets the rest to `state`. */
static int pf_trim(pf_take *takes, int64_t *idx, int64_t n, int64_t keep, int state) {
  if (keep < 0) keep = 0; /* cannot happen (a cap's room is never negative); kept cheap and safe */
  if (n <= keep) return 1;
  if (!sort_index(idx, n, take_by_t_desc, takes)) return 0;
  for (int64_t j = keep; j < n; j++) takes[idx[j]].state = state;
  return 1;
}

/* Takes with the given state, grouped by offer in customer order (a
 * counting sort): offer b's are idx[at[b] .. at[b + 1]). */
static void pf_bucket(const pf_world *pw, int state, int64_t *idx, int64_t *at) {
  memset(at, 0, (size_t)(pw->noffers + 1) * sizeof *at);
  for (size_t j = 0; j < pw->ntakes; j++)
    if (pw->takes[j].state == state) at[pw->takes[j].b + 1]++;
  for (int b = 0; b < pw->noffers; b++) at[b + 1] += at[b];
  int64_t *fill = at + pw->noffers + 1; /* scratch after at: caller gives 2 x (noffers + 1) */
  memcpy(fill, at, (size_t)(pw->noffers + 1) * sizeof *at);
  for (size_t j = 0; j < pw->ntakes; j++)
    if (pw->takes[j].state == state) idx[fill[pw->takes[j].b]++] = (int64_t)j;
}

static int cut_by_customer(const void *a, const void *b) {
  const int64_t *x = a, *y = b; /* pairs (customer, offer) */
  if (x[0] != y[0]) return (x[0] > y[0]) - (x[0] < y[0]);
  return (x[1] > y[1]) - (x[1] < y[1]);
}

static int32_t uf_find(int32_t *parent, int32_t x) {
  while (parent[x] != x) x = parent[x] = parent[parent[x]];
  return x;
}

/* Re-sets the error raised by a shared check with this function's prefix. */
static br_status pf_reprefix(br_status s) {
  char msg[512];
  const char *m = br_last_error();
  if (strncmp(m, "price: ", 7) == 0) m += 7;
  snprintf(msg, sizeof msg, "%s", m);
  return br_error_set(s, "price.portfolio: %s", msg);
}

br_status br_price_portfolio(br_portfolio *out, const br_bundle_stats *st, const br_wtp_spec *w,
                             const int32_t *const *items, const int *sizes, const double *discounts, int noffers) {
  if (!out || !st || !w) return br_error_set(BR_ERR_ARG, "price.portfolio: needs a result, basket statistics and a model spec");
  memset(out, 0, sizeof *out);
  if (noffers < 1 || noffers > BR_PORTFOLIO_MAX_OFFERS)
    return br_error_set(BR_ERR_ARG, "price.portfolio: a portfolio has 1 to %d offers, got %d", BR_PORTFOLIO_MAX_OFFERS, noffers);
  if (!items || !sizes || !discounts) return br_error_set(BR_ERR_ARG, "price.portfolio: needs the offers' items, sizes and discounts");
  br_status s = check_spec(w);
  if (s != BR_OK) return pf_reprefix(s);
  if (w->customers < 1 || w->customers > 100000000)
    return br_error_set(BR_ERR_ARG, "price.portfolio: customers must be in 1..1e8, got %lld", (long long)w->customers);
  if (!(w->market == 0 || (w->market >= 1 && w->market <= 1e6)))
    return br_error_set(BR_ERR_ARG, "price.portfolio: market must be 0 (no cap) or in [1, 1e6], got %g", w->market);
  if (br_bundle_nbaskets(st) == 0)
    return br_error_set(BR_ERR_ARG, "price.portfolio: the reservation-price model needs baskets (for item supports and joint supports)");
  const br_catalog *cat = br_bundle_stats_catalog(st);
  int32_t ncat = br_catalog_size(cat);
  int total = 0;
  for (int b = 0; b < noffers; b++) {
    int n = sizes[b];
    if (n < 1 || n > BR_BUNDLE_MAX_ITEMS)
      return br_error_set(BR_ERR_ARG, "price.portfolio: offer %d has %d items (1 to %d)", b + 1, n, BR_BUNDLE_MAX_ITEMS);
    if (!items[b]) return br_error_set(BR_ERR_ARG, "price.portfolio: offer %d has no item list", b + 1);
    if (!(discounts[b] >= 0 && discounts[b] < 1))
      return br_error_set(BR_ERR_ARG, "price.portfolio: offer %d has discount %g (must be in [0, 1))", b + 1, discounts[b]);
    for (int i = 0; i < n; i++) {
      int32_t id = items[b][i];
      if (id < 0 || id >= ncat) return br_error_set(BR_ERR_ARG, "price.portfolio: offer %d: item %d (id %d) is not in the catalogue", b + 1, i + 1, (int)id);
      for (int j = 0; j < i; j++)
        if (items[b][j] == id) {
          size_t len;
          const char *lab = br_catalog_label(cat, id, &len);
          return br_error_set(BR_ERR_ARG, "price.portfolio: offer %d lists item '%.*s' twice", b + 1, (int)(len > 60 ? 60 : len), lab);
        }
    }
    total += n;
  }

  pf_world pw;
  memset(&pw, 0, sizeof pw);
  pw.noffers = noffers;
  pw.seed = w->seed;
  int64_t K = w->customers;
  br_portfolio res;
  memset(&res, 0, sizeof res);
  int32_t *where = NULL, *first = NULL, *parent = NULL, *gid = NULL, *first_offer = NULL;
  double *R = NULL;
  int64_t *idx = NULL, *at = NULL, *cuts = NULL, *count = NULL, *cap = NULL, *buyers = NULL;
  double *comp = NULL;
  s = BR_OK;
#define PF_ALLOC(p, n) \
  do { \
    if (!((p) = br_alloc("price", (size_t)n, sizeof *(p) + 1))) goto nomem; \
  } while (0)

  /* the union, in order of first appearance; where[id] is its index */
  PF_ALLOC(where, ncat);
  for (int32_t i = 0; i < ncat; i++) where[i] = -1;
  PF_ALLOC(first, total);
  PF_ALLOC(first_offer, total);
  int u = 0;
  for (int b = 0; b < noffers; b++)
    for (int i = 0; i < sizes[b]; i++)
      if (where[items[b][i]] < 0) {
        if (u == BR_PORTFOLIO_MAX_ITEMS) {
          s = br_error_set(BR_ERR_ARG, "price.portfolio: offer %d brings the distinct items above %d", b + 1, BR_PORTFOLIO_MAX_ITEMS);
          goto done;
        }
        where[items[b][i]] = u;
        first_offer[u] = b;
        first[u++] = items[b][i];
      }
  /* groups: items linked by an offer, numbered by first appearance */
  PF_ALLOC(parent, u);
  PF_ALLOC(gid, u);
  for (int x = 0; x < u; x++) parent[x] = x;
  for (int b = 0; b < noffers; b++)
    for (int i = 1; i < sizes[b]; i++) {
      int32_t r0 = uf_find(parent, where[items[b][0]]), r1 = uf_find(parent, where[items[b][i]]);
      if (r0 != r1) parent[r0 > r1 ? r0 : r1] = r0 < r1 ? r0 : r1; /* the root is the earliest item */
    }
  int ng = 0;
  for (int x = 0; x < u; x++) gid[x] = -1;
  for (int x = 0; x < u; x++) {
    int32_t r = uf_find(parent, x);
    if (gid[r] < 0) gid[r] = ng++;
    gid[x] = gid[r];
  }
  pw.u = u, pw.ngroups = ng;
  PF_ALLOC(pw.g_at, ng + 1);
  PF_ALLOC(pw.l_at, ng + 1);
  memset(pw.g_at, 0, (size_t)(ng + 1) * sizeof *pw.g_at);
  for (int x = 0; x < u; x++) pw.g_at[gid[x] + 1]++;
  size_t lsize = 0;
  for (int g = 0; g < ng; g++) {
    int m = pw.g_at[g + 1];
    if (m > BR_PORTFOLIO_MAX_GROUP) {
      int fo = noffers;
      for (int x = 0; x < u; x++)
        if (gid[x] == g && first_offer[x] < fo) fo = first_offer[x];
      s = br_error_set(BR_ERR_ARG, "price.portfolio: offer %d and the offers sharing items with it hold %d distinct items (at most %d)",
                       fo + 1, m, BR_PORTFOLIO_MAX_GROUP);
      goto done;
    }
    pw.l_at[g] = lsize;
    lsize += (size_t)m * (size_t)m;
    pw.g_at[g + 1] += pw.g_at[g];
  }
  pw.l_at[ng] = lsize;
  /* renumber the union group by group, keeping first appearance within a
   * group (so one offer's items keep the offer's order) */
  PF_ALLOC(pw.id, u);
  {
    int *fill;
    PF_ALLOC(fill, ng);
    for (int g = 0; g < ng; g++) fill[g] = pw.g_at[g];
    for (int x = 0; x < u; x++) {
      int y = fill[gid[x]]++;
      pw.id[y] = first[x];
      where[first[x]] = y;
    }
    br_free(fill);
  }
  /* the items' marginals, checked as a single offer checks them */
  PF_ALLOC(pw.price, u);
  PF_ALLOC(pw.margin, u);
  PF_ALLOC(pw.mu, u);
  PF_ALLOC(pw.sigma, u);
  PF_ALLOC(pw.rng, u);
  for (int x = 0; x < u; x++) {
    int32_t id = pw.id[x];
    double price, cost, q, e, sg;
    int bad = item_marginal(st, w, id, &price, &cost, &q, &e, &sg);
    if (bad || (!isnan(sg) && !(sg > 0 && sg <= 100)) || (isnan(sg) && !(e >= 0.01 && e <= 1e6))) {
      size_t len;
      const char *lab = br_catalog_label(cat, id, &len);
      int ll = (int)(len > 60 ? 60 : len), fo = 0; /* the first offer that lists it */
      for (int y = 0; y < u && !fo; y++)
        if (first[y] == id) fo = first_offer[y] + 1;
      if (bad == 1)
        s = br_error_set(BR_ERR_ARG, "price.portfolio: offer %d: item '%.*s' has list price %g; the reservation-price model needs prices > 0",
                         fo, ll, lab, price);
      else if (bad == 2)
        s = br_error_set(BR_ERR_ARG, "price.portfolio: offer %d: item '%.*s' has elasticity %g (a magnitude > 0)", fo, ll, lab, e);
      else if (!isnan(sg) && !(sg > 0 && sg <= 100))
        s = br_error_set(BR_ERR_ARG, "price.portfolio: offer %d: item '%.*s' has sigma %g (must be in (0, 100])", fo, ll, lab, sg);
      else
        s = br_error_set(BR_ERR_ARG, "price.portfolio: offer %d: item '%.*s' has elasticity %g (a magnitude in [0.01, 1e6])", fo, ll, lab, e);
      goto done;
    }
    pw.price[x] = price;
    pw.margin[x] = price - cost;
    pw.sigma[x] = isnan(sg) ? br_price_sigma(q, e) : sg;
    pw.mu[x] = pw.sigma[x] * normal_quantile(q); /* P(WTP > price) = q */
  }
  /* each group's correlation: every pair calibrated, repaired once */
  PF_ALLOC(pw.chol, lsize);
  PF_ALLOC(R, BR_PORTFOLIO_MAX_GROUP * BR_PORTFOLIO_MAX_GROUP);
  res.shrink = 1;
  for (int g = 0; g < ng; g++) {
    int base = pw.g_at[g], m = pw.g_at[g + 1] - base;
    for (int i = 0; i < m; i++) {
      R[i * m + i] = 1;
      for (int j = i + 1; j < m; j++) {
        double rho;
        if ((s = br_price_pair_rho_spec(&rho, st, pw.id[base + i], pw.id[base + j], w)) != BR_OK) {
          s = pf_reprefix(s);
          goto done;
        }
        R[i * m + j] = R[j * m + i] = rho;
      }
    }
    double l;
    if ((s = corr_repair(R, pw.chol + pw.l_at[g], m, &l)) != BR_OK) goto done;
    if (l < res.shrink) res.shrink = l;
  }
  /* the offers over union indices */
  PF_ALLOC(pw.off_at, noffers + 1);
  PF_ALLOC(pw.off_item, total);
  PF_ALLOC(pw.P, noffers);
  PF_ALLOC(pw.list, noffers);
  PF_ALLOC(pw.cost, noffers);
  pw.off_at[0] = 0;
  for (int b = 0; b < noffers; b++) {
    double list = 0, cost = 0; /* summed in the offer's order, as the single path sums them */
    for (int i = 0; i < sizes[b]; i++) {
      int x = where[items[b][i]];
      pw.off_item[pw.off_at[b] + i] = x;
      list += pw.price[x], cost += br_catalog_cost(cat, items[b][i]);
    }
    pw.off_at[b + 1] = pw.off_at[b] + sizes[b];
    pw.list[b] = list;
    pw.cost[b] = cost;
    pw.P[b] = (1 - discounts[b]) * list;
  }
  PF_ALLOC(pw.e, u);
  PF_ALLOC(pw.wtp, u);
  PF_ALLOC(pw.stamp, u);
  memset(pw.stamp, 0, (size_t)u * sizeof *pw.stamp);
  PF_ALLOC(pw.cand, noffers);
  PF_ALLOC(pw.t, noffers);
  PF_ALLOC(pw.units, noffers);
  PF_ALLOC(pw.marg, noffers);
  PF_ALLOC(buyers, noffers);
  PF_ALLOC(comp, noffers);
  memset(buyers, 0, (size_t)noffers * sizeof *buyers);
  for (int b = 0; b < noffers; b++) comp[b] = 0;

  /* pass 1: every customer chooses among all the offers */
  double all = 0;
  /* up to 1e8 customers, each drawing every item and weighing every offer:
   * minutes of one call, so the deadline is polled per customer */
  int64_t work = 0, per = (int64_t)u * u + 4 * (int64_t)noffers + 16;
  pf_seed(&pw);
  for (int64_t k = 0; k < K; k++) {
    if (deadline_poll(&work, per)) {
      s = br_deadline_stop("price.portfolio", k, "customers simulated");
      goto done;
    }
    pf_draw(&pw, 1);
    pf_offer_values(&pw);
    double marg = 0;
    for (int x = 0; x < u; x++)
      if (pw.wtp[x] > pw.price[x]) marg += pw.margin[x];
    all += marg;
    for (int b = 0; b < noffers; b++) {
      buyers[b] += pw.units[b] > 0;
      comp[b] += pw.marg[b];
    }
    if (!pf_choose(&pw, k, NULL, 0, TAKE_KEPT)) goto nomem;
  }
  size_t npass1 = pw.ntakes;

  /* the market caps: an offer draws at most `market` x the customers who
   * buy one of its items at list (see simulate()) */
  PF_ALLOC(count, noffers);
  PF_ALLOC(cap, noffers);
  PF_ALLOC(at, 2 * (noffers + 1));
  PF_ALLOC(idx, pw.ntakes);
  memset(count, 0, (size_t)noffers * sizeof *count);
  for (size_t j = 0; j < pw.ntakes; j++) count[pw.takes[j].b]++;
  int over = 0;
  for (int b = 0; b < noffers; b++) {
    cap[b] = K;
    if (w->market > 0) {
      double c = floor(w->market * (double)buyers[b]);
      if (c < (double)K) cap[b] = (int64_t)c;
    }
    over += count[b] > cap[b];
  }
  if (over) {
    /* An offer over its cap keeps the cap's worth of its takers with the
     * highest gains (as a single offer does); the others choose again
     * without it. That second choice is the approximation: it may send
     * them to another offer, whose new takers then fill only the room its
     * cap leaves, the highest gains first; those turned away there buy its
     * items separately and do not choose a third time. The caps hold
     * exactly; the allocation is exact when no second choice is turned
     * away. */
    pf_bucket(&pw, TAKE_KEPT, idx, at);
    for (int b = 0; b < noffers; b++)
      if (count[b] > cap[b] && !pf_trim(pw.takes, idx + at[b], at[b + 1] - at[b], cap[b], TAKE_CUT)) goto nomem;
    int64_t ncut = 0;
    for (size_t j = 0; j < pw.ntakes; j++) ncut += pw.takes[j].state == TAKE_CUT;
    PF_ALLOC(cuts, 2 * ncut);
    int64_t c = 0;
    for (size_t j = 0; j < pw.ntakes; j++)
      if (pw.takes[j].state == TAKE_CUT) cuts[2 * c] = pw.takes[j].k, cuts[2 * c + 1] = pw.takes[j].b, c++;
    qsort(cuts, (size_t)ncut, 2 * sizeof *cuts, cut_by_customer);
    /* the customers cut from an offer drop every take and choose again */
    int64_t redecided = 0;
    for (size_t j = 0, r = 0; j < npass1; j++) {
      while (r < (size_t)ncut && cuts[2 * r] < pw.takes[j].k) r++;
      if (r < (size_t)ncut && cuts[2 * r] == pw.takes[j].k && pw.takes[j].state == TAKE_KEPT) pw.takes[j].state = TAKE_GONE;
    }
    int32_t barred[BR_PORTFOLIO_MAX_OFFERS];
    pf_seed(&pw); /* the same customers again */
    for (int64_t k = 0, r = 0; k < K; k++) {
      if (deadline_poll(&work, per)) {
        s = br_deadline_stop("price.portfolio", k, "customers simulated again");
        goto done;
      }
      int mine = r < ncut && cuts[2 * r] == k;
      pf_draw(&pw, mine);
      if (!mine) continue;
      int nb = 0;
      for (; r < ncut && cuts[2 * r] == k; r++) barred[nb++] = (int32_t)cuts[2 * r + 1];
      pf_offer_values(&pw);
      if (!pf_choose(&pw, k, barred, nb, TAKE_NEW)) goto nomem;
      redecided++;
    }
    res.redecided = (double)redecided / (double)K;
    /* second choices fill what room the caps leave */
    memset(count, 0, (size_t)noffers * sizeof *count);
    for (size_t j = 0; j < pw.ntakes; j++) count[pw.takes[j].b] += pw.takes[j].state == TAKE_KEPT;
    br_free(idx);
    PF_ALLOC(idx, pw.ntakes);
    pf_bucket(&pw, TAKE_NEW, idx, at);
    for (int b = 0; b < noffers; b++)
      if (!pf_trim(pw.takes, idx + at[b], at[b + 1] - at[b], cap[b] - count[b], TAKE_DROPPED)) goto nomem;
  }

  /* the accounts */
  PF_ALLOC(res.offers, noffers);
  res.noffers = noffers;
  double Kd = (double)K;
  {
    int64_t takers = 0, last = -1;
    for (int b = 0; b < noffers; b++) {
      br_price_point *o = &res.offers[b];
      memset(o, 0, sizeof *o);
      o->list_price = pw.list[b];
      o->cost = pw.cost[b];
      o->price = pw.P[b];
      o->discount = 1 - pw.P[b] / pw.list[b];
      o->component_profit = comp[b] / Kd;
      o->market_share = (double)buyers[b] / Kd;
    }
    memset(count, 0, (size_t)noffers * sizeof *count);
    for (size_t j = 0; j < pw.ntakes; j++) {
      const pf_take *tk = &pw.takes[j];
      if (tk->state != TAKE_KEPT && tk->state != TAKE_NEW) continue;
      /* a re-decided customer has no live first-pass take, so customers
       * never repeat across the passes' boundary */
      count[tk->b]++;
      res.offers[tk->b].cannibalised_units += tk->units;
      res.offers[tk->b].cannibalised_profit += tk->marg;
      if (tk->k != last) takers++, last = tk->k;
    }
    for (int b = 0; b < noffers; b++) {
      br_price_point *o = &res.offers[b];
      o->take_rate = (double)count[b] / Kd;
      o->profit = o->take_rate * (o->price - o->cost);
      o->cannibalised_units /= Kd;
      o->cannibalised_profit /= Kd;
      o->incremental_profit = o->profit - o->cannibalised_profit;
      res.profit += o->profit;
      res.cannibalised_profit += o->cannibalised_profit;
    }
    res.incremental_profit = res.profit - res.cannibalised_profit;
    res.component_profit = all / Kd;
    res.take_rate = (double)takers / Kd;
    res.items = u;
    res.groups = ng;
  }
  *out = res;
  res.offers = NULL;
  goto done;
nomem:
  s = br_error_set(BR_ERR_NOMEM, "price.portfolio: out of memory (%d offers, %lld customers)", noffers, (long long)K);
done:
#undef PF_ALLOC
  br_free(res.offers);
  br_free(where), br_free(first), br_free(first_offer), br_free(parent), br_free(gid), br_free(R);
  br_free(idx), br_free(at), br_free(cuts), br_free(count), br_free(cap), br_free(buyers), br_free(comp);
  pf_world_free(&pw);
  return s;
}
