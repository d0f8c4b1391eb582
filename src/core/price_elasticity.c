/* Own-price elasticity from the data's own price variation.
 *
 * Units and the mean unit price of each item are aggregated per period; an
 * item with enough periods whose price really moves contributes to a
 * within-item regression of log units, less a period effect shared by all
 * items (traffic and seasons; see take_out_period_effects), on log price,
 * whose slope is pooled over items. Each such item's own slope is then shrunk
 * toward the pooled one by its precision (empirical Bayes: weight
 * tau^2 / (tau^2 + var(slope)), tau^2 the between-item variance of the true
 * slopes by the method of moments), and every magnitude is clamped.
 *
 * Observational price variation is confounded: prices fall for quantity
 * tiers (a wholesale buyer gets a lower unit price because they buy more),
 * promotions come with displays and advertising, and prices rise when
 * demand is high. Each biases the slope, usually toward more elastic
 * demand for tiers and promotions. So the estimates are shrunk toward the
 * pooled slope, bounded to a plausible range, and items without variation
 * get a literature prior rather than a number the data cannot give. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/price.h"
#include "bundle/memory.h"

void br_elasticity_spec_init(br_elasticity_spec *s) {
  s->period = 7;
  s->prior = 2.5;
  s->min_elasticity = 0.5;
  s->max_elasticity = 5;
  s->min_periods = 8;
  s->fallback_pooled = 0;
  s->own = s->own_se = NULL;
}

typedef struct cell {
  int64_t key; /* item x periods + period */
  double units, revenue;
} cell;

static int by_key(const void *a, const void *b) {
  int64_t x = ((const cell *)a)->key, y = ((const cell *)b)->key;
  return (x > y) - (x < y);
}

/* Period effects: log units of each (item, period) cell less a period
 * effect shared by all items, fitted jointly with each item's own
 * intercept and price slope (log units = a_i + b_t + beta_i log price) by
 * alternating least squares: item fits given the period effects, then the
 * period effects as the mean residual of their cells, until they settle.
 * On return the cells' units hold log units less the period effect; the
 * caller's within-item regression then sees only the item's own swings.
 * Why period effects: traffic, seasons and holidays move every item's
 * sales at once, and a shop's prices move with them (Christmas pricing,
 * summer sales); an item-only regression reads that common swing as price
 * response, and its noise swamps the price signal. Slopes are fitted per
 * item inside the loop (not one pooled slope), so one item's own price
 * response is never passed to the others through the period effect. The
 * cells arrive sorted by item, then period. */
static int by_int64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static br_status take_out_period_effects(cell *c, int64_t nc, int64_t periods) {
  if (nc == 0) return BR_OK;
  /* the periods present, numbered densely */
  int64_t *pid = br_alloc("elasticity periods", (size_t)nc, sizeof *pid);
  if (!pid) return br_error_set(BR_ERR_NOMEM, "elasticity: out of memory for %lld cells", (long long)nc);
  for (int64_t r = 0; r < nc; r++) pid[r] = c[r].key % periods;
  qsort(pid, (size_t)nc, sizeof *pid, by_int64);
  int64_t np = 0;
  for (int64_t r = 0; r < nc; r++) if (r == 0 || pid[r] != pid[np - 1]) pid[np++] = pid[r];
  int32_t *dense = br_alloc("elasticity periods", (size_t)nc, sizeof *dense);
  double *b = br_calloc("elasticity periods", (size_t)np, sizeof *b), *sum = br_calloc("elasticity periods", (size_t)np, sizeof *sum);
  double *cnt = br_calloc("elasticity periods", (size_t)np, sizeof *cnt), *res = br_alloc("elasticity periods", (size_t)nc, sizeof *res);
  if (!dense || !b || !sum || !cnt || !res) {
    br_free(pid), br_free(dense), br_free(b), br_free(sum), br_free(cnt), br_free(res);
    return br_error_set(BR_ERR_NOMEM, "elasticity: out of memory for %lld cells", (long long)nc);
  }
  for (int64_t r = 0; r < nc; r++) {
    int64_t want = c[r].key % periods, lo = 0, hi = np - 1;
    while (lo < hi) {
      int64_t mid = (lo + hi) / 2;
      if (pid[mid] < want) lo = mid + 1; else hi = mid;
    }
    dense[r] = (int32_t)lo;
    cnt[lo] += 1;
  }
  for (int it = 0; it < 500; it++) {
    /* each item's intercept and slope on its units less the period effects */
    for (int64_t r = 0; r < nc;) {
      int64_t i = c[r].key / periods, end = r;
      double mx = 0, my = 0;
      while (end < nc && c[end].key / periods == i) mx += c[end].revenue, my += c[end].units - b[dense[end]], end++;
      double m = (double)(end - r), sxx = 0, sxy = 0;
      mx /= m, my /= m;
      for (int64_t q = r; q < end; q++) {
        double dx = c[q].revenue - mx;
        sxx += dx * dx, sxy += dx * (c[q].units - b[dense[q]] - my);
      }
      double slope = m >= 3 && sxx > 1e-12 ? sxy / sxx : 0;
      for (; r < end; r++) res[r] = c[r].units - my - slope * (c[r].revenue - mx); /* = b_t + noise */
    }
    memset(sum, 0, (size_t)np * sizeof *sum);
    for (int64_t r = 0; r < nc; r++) sum[dense[r]] += res[r];
    double mean = 0, worst = 0;
    for (int64_t p = 0; p < np; p++) mean += sum[p] / cnt[p];
    mean /= (double)np;
    for (int64_t p = 0; p < np; p++) {
      double nb = sum[p] / cnt[p] - mean; /* the level belongs to the items' intercepts */
      worst = fmax(worst, fabs(nb - b[p]));
      b[p] = nb;
    }
    if (worst < 1e-10) break;
  }
  for (int64_t r = 0; r < nc; r++) c[r].units -= b[dense[r]];
  br_free(pid), br_free(dense), br_free(b), br_free(sum), br_free(cnt), br_free(res);
  return BR_OK;
}

static double clamp_e(double e, const br_elasticity_spec *s) {
  if (e < s->min_elasticity) e = s->min_elasticity;
  if (s->max_elasticity > 0 && e > s->max_elasticity) e = s->max_elasticity;
  return e;
}

/* The phase of the period grid. A period is the regression's unit only
 * while the item's price holds within it: a period that straddles a price
 * change mixes two prices, and for an item sold a few times a period the
 * mean price of the units it happened to sell measures the price its
 * expected sales faced with error (errors in variables), which attenuates
 * its slope toward zero; a popular item's many units average the two
 * prices as its expected sales do, and keep their slope. Anchored at the
 * window's first sale, a test window starting mid-week straddled every
 * weekly price change (a planted world: rarely sold items read 2.0 against
 * a true 2.7, popular ones 3.4 against 3.2), so rare items looked less
 * price-sensitive than popular ones, and discounts on popular items
 * earned more in the model than they do. So the grid is anchored where
 * the shop's prices move: of PHASES evenly spaced phases, the one with
 * the least unit-weighted variance of log price within its (item, period)
 * cells, if it at least halves that variance against the first phase's
 * (the first sale's grid). */
enum { PHASES = 56 }; /* 3 hours of a week */

typedef struct line_pt {
  int32_t item;
  double t, x, u;
} line_pt;

static int by_item_time(const void *a, const void *b) {
  const line_pt *p = a, *q = b;
  if (p->item != q->item) return (p->item > q->item) - (p->item < q->item);
  return (p->t > q->t) - (p->t < q->t);
}

static int valid_line(int32_t it, int32_t ncat, double p, double q, double t) {
  return it >= 0 && it < ncat && p > 0 && p < INFINITY && q > 0 && q < INFINITY && isfinite(t);
}

static br_status price_phase(double *shift, const int32_t *item, const double *price, const double *quantity,
                             const double *time, int64_t nrows, int64_t nvalid, int32_t ncat, double tmin, double period) {
  *shift = 0;
  if (nvalid < 2) return BR_OK;
  line_pt *l = br_alloc("elasticity", (size_t)nvalid, sizeof *l);
  if (!l) return br_error_set(BR_ERR_NOMEM, "elasticity: out of memory for %lld order lines", (long long)nvalid);
  int64_t m = 0;
  for (int64_t r = 0; r < nrows; r++)
    if (valid_line(item[r], ncat, price[r], quantity[r], time[r]))
      l[m++] = (line_pt){item[r], time[r] - tmin, log(price[r]), quantity[r]};
  qsort(l, (size_t)m, sizeof *l, by_item_time);
  double best = INFINITY, first = 0;
  for (int k = 0; k < PHASES; k++) {
    double sh = period * k / PHASES, within = 0;
    for (int64_t r = 0; r < m;) {
      double per = floor((l[r].t + sh) / period), su = 0, sx = 0, sxx = 0;
      int64_t e = r;
      for (; e < m && l[e].item == l[r].item && floor((l[e].t + sh) / period) == per; e++)
        su += l[e].u, sx += l[e].u * l[e].x, sxx += l[e].u * l[e].x * l[e].x;
      within += fmax(0, sxx - sx * sx / su);
      r = e;
    }
    if (k == 0) first = within;
    if (within < best * (1 - 1e-9)) best = within, *shift = sh;
  }
  /* a calendar, not noise: the phase must at least halve the price
   * variation inside the first sale's grid. Where no phase does (prices
   * that drift, or move with the day of the month), the choice among
   * phases would chase noise, and where the prices move in step across
   * items the slopes hang on what little is left (a test shop whose prices
   * rise through each month read 0.5 at the first sale's grid and 5 at a
   * phase 3% better), so the grid stays at the first sale. */
  if (!(best < 0.5 * first)) *shift = 0;
  br_free(l);
  return BR_OK;
}

br_status br_price_elasticity(double *e, uint8_t *estimated, br_elasticity_fit *fit, int32_t ncat,
                              const int32_t *item, const double *price, const double *quantity, const double *time,
                              int64_t nrows, const br_elasticity_spec *s) {
  if (ncat < 0 || nrows < 0) return br_error_set(BR_ERR_ARG, "elasticity: %d items and %lld rows", (int)ncat, (long long)nrows);
  if (!(s->period > 0 && s->period < INFINITY)) return br_error_set(BR_ERR_ARG, "elasticity: the period must be > 0, got %g", s->period);
  if (!(s->prior > 0 && s->prior < INFINITY)) return br_error_set(BR_ERR_ARG, "elasticity: prior must be a magnitude > 0, got %g", s->prior);
  if (!(s->min_elasticity > 0 && s->min_elasticity <= 1e6) ||
      !(s->max_elasticity == 0 || (s->max_elasticity >= s->min_elasticity && s->max_elasticity <= 1e6)))
    return br_error_set(BR_ERR_ARG, "elasticity: need 0 < min_elasticity <= max_elasticity <= 1e6 (max 0: no bound), got %g and %g",
                        s->min_elasticity, s->max_elasticity);
  if (s->min_periods < 3) return br_error_set(BR_ERR_ARG, "elasticity: min_periods must be at least 3, got %d", s->min_periods);
  double tmin = INFINITY, tmax = -INFINITY;
  int64_t nvalid = 0;
  for (int64_t r = 0; r < nrows; r++) {
    if (!valid_line(item[r], ncat, price[r], quantity[r], time[r])) continue;
    nvalid++;
    if (time[r] < tmin) tmin = time[r];
    if (time[r] > tmax) tmax = time[r];
  }
  double span = nvalid ? floor((tmax - tmin) / s->period) + 2 : 0;
  if (span > 1e9) return br_error_set(BR_ERR_ARG, "elasticity: %g periods: the period is too short for the data's time span", span);
  double shift;
  br_status ps = price_phase(&shift, item, price, quantity, time, nrows, nvalid, ncat, tmin, s->period);
  if (ps != BR_OK) return ps;
  span = nvalid ? floor((tmax - tmin + shift) / s->period) + 1 : 0;
  int64_t periods = (int64_t)span;
  cell *c = br_alloc("elasticity", (size_t)nvalid, sizeof *c);
  double *sxx = br_calloc("elasticity", (size_t)ncat, sizeof *sxx), *sxy = br_calloc("elasticity", (size_t)ncat, sizeof *sxy);
  double *syy = br_calloc("elasticity", (size_t)ncat, sizeof *syy);
  int64_t *np = br_calloc("elasticity", (size_t)ncat, sizeof *np);
  if (!c || !sxx || !sxy || !syy || !np) {
    br_free(c), br_free(sxx), br_free(sxy), br_free(syy), br_free(np);
    return br_error_set(BR_ERR_NOMEM, "elasticity: out of memory for %lld order lines", (long long)nvalid);
  }
  int64_t m = 0;
  for (int64_t r = 0; r < nrows; r++) {
    if (!valid_line(item[r], ncat, price[r], quantity[r], time[r])) continue;
    int64_t per = (int64_t)floor((time[r] - tmin + shift) / s->period);
    if (per >= periods) per = periods - 1;
    c[m++] = (cell){(int64_t)item[r] * periods + per, quantity[r], quantity[r] * price[r]};
  }
  qsort(c, (size_t)m, sizeof *c, by_key);
  /* one row per item and period: log units and log mean unit price */
  int64_t nc = 0;
  for (int64_t r = 0; r < m; nc++) {
    cell a = c[r++];
    while (r < m && c[r].key == a.key) a.units += c[r].units, a.revenue += c[r].revenue, r++;
    c[nc] = (cell){a.key, log(a.units), log(a.revenue / a.units)}; /* units: y, revenue: x from here */
  }
  br_status fe = take_out_period_effects(c, nc, periods);
  if (fe != BR_OK) {
    br_free(c), br_free(sxx), br_free(sxy), br_free(syy), br_free(np);
    return fe;
  }
  /* within-item sums of squares about each item's means (two passes per item) */
  for (int64_t r = 0; r < nc;) {
    int32_t i = (int32_t)(c[r].key / periods);
    int64_t end = r;
    double mx = 0, my = 0;
    while (end < nc && c[end].key / periods == i) mx += c[end].revenue, my += c[end].units, end++;
    np[i] = end - r;
    mx /= (double)np[i], my /= (double)np[i];
    for (; r < end; r++) {
      double dx = c[r].revenue - mx, dy = c[r].units - my;
      sxx[i] += dx * dx, sxy[i] += dx * dy, syy[i] += dy * dy;
    }
  }
  /* items with enough periods and a real price change (sd of log price
   * above 0.01, i.e. about 1%) */
  double Sxx = 0, Sxy = 0;
  int32_t nest = 0;
  for (int32_t i = 0; i < ncat; i++) {
    int ok = np[i] >= s->min_periods && np[i] >= 3 && sqrt(sxx[i] / (double)(np[i] - 1)) > 0.01;
    if (estimated) estimated[i] = (uint8_t)ok;
    if (!ok) {
      np[i] = 0;
      continue;
    }
    Sxx += sxx[i], Sxy += sxy[i], nest++;
  }
  double b = nest ? Sxy / Sxx : NAN, tau2 = 0;
  if (nest > 1) { /* method of moments: spread of the slopes beyond their sampling variance */
    double dev = 0, var = 0;
    for (int32_t i = 0; i < ncat; i++) {
      if (!np[i]) continue;
      double bi = sxy[i] / sxx[i], v = fmax(syy[i] - bi * sxy[i], 0) / (double)(np[i] - 2) / sxx[i];
      dev += (bi - b) * (bi - b), var += v;
    }
    tau2 = fmax(0, dev / (double)(nest - 1) - var / (double)nest);
  }
  double fallback = s->fallback_pooled && nest ? clamp_e(-b, s) : clamp_e(s->prior, s);
  for (int32_t i = 0; i < ncat; i++) {
    if (s->own) s->own[i] = NAN;
    if (s->own_se) s->own_se[i] = NAN;
    if (!np[i]) {
      e[i] = fallback;
      continue;
    }
    double bi = sxy[i] / sxx[i], v = fmax(syy[i] - bi * sxy[i], 0) / (double)(np[i] - 2) / sxx[i];
    if (s->own) s->own[i] = -bi;
    if (s->own_se) s->own_se[i] = sqrt(v);
    double w = tau2 > 0 ? tau2 / (tau2 + fmax(v, 1e-300)) : 0;
    e[i] = clamp_e(-(w * bi + (1 - w) * b), s);
  }
  if (fit) {
    fit->pooled = nest ? clamp_e(-b, s) : NAN;
    fit->items = nest;
    fit->periods = periods;
    fit->phase = shift;
    fit->tau = sqrt(tau2);
  }
  br_free(c), br_free(sxx), br_free(sxy), br_free(syy), br_free(np);
  return BR_OK;
}
