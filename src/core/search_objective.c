/* What a bundle is worth: the built-in objectives, their upper bounds for
 * branch and bound, the features a model objective reads, and the
 * evaluator that scores a bundle on one or several objectives. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"
#include "deadline_internal.h"
#include "bundle/memory.h"

static const char *const objective_names[] = {"support", "lift", "min_pair_lift", "revenue", "margin",
                                              "expected_profit", "inventory", "model", "custom"};
static_assert(sizeof objective_names / sizeof *objective_names == BR_OBJ_COUNT, "one name per objective");

const char *br_objective_name(br_objective o) { return (unsigned)o < BR_OBJ_COUNT ? objective_names[o] : "?"; }

br_status br_objective_parse(br_objective *o, const char *s) {
  for (int i = 0; i < BR_OBJ_MODEL; i++)
    if (strcmp(s, objective_names[i]) == 0) {
      *o = (br_objective)i;
      return BR_OK;
    }
  return br_error_set(BR_ERR_ARG, "unknown objective '%s' (support, lift, min_pair_lift, revenue, margin, "
                                  "expected_profit, inventory, a model, or a function)", s);
}

/* The weakest pair's lift; pair counts come from the cache when it has them. */
static double min_pair_lift(const br_bundle_stats *s, const pair_cache *pc, const int32_t *items, int n) {
  double nb = (double)br_bundle_nbaskets(s), worst = INFINITY;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      double ci = (double)br_bundle_item_count(s, items[i]), cj = (double)br_bundle_item_count(s, items[j]);
      int64_t cij = pc ? pair_cache_count(pc, items[i], items[j]) : -1;
      if (cij < 0) {
        int32_t pair[2] = {items[i], items[j]};
        cij = br_bundle_count(s, pair, 2);
      }
      double l = ci > 0 && cj > 0 ? (double)cij * nb / (ci * cj) : 0;
      if (l < worst) worst = l;
    }
  return worst;
}

/* The per-item value an additive objective sums, or NaN when it is not additive. */
static inline double item_value(const br_catalog *c, br_objective o, int32_t i) {
  switch (o) {
    case BR_OBJ_REVENUE: return c->price[i];
    case BR_OBJ_MARGIN:
    case BR_OBJ_EXPECTED_PROFIT: return c->price[i] - c->cost[i];
    case BR_OBJ_INVENTORY: return (isnan(c->stock[i]) ? 0 : c->stock[i]) * c->cost[i];
    default: return NAN;
  }
}

/* The sum of an additive objective's values over a bundle, one switch per bundle. */
static double item_sum(const br_catalog *c, br_objective o, const int32_t *items, int n) {
  double v = 0;
  switch (o) {
    case BR_OBJ_REVENUE:
      for (int i = 0; i < n; i++) v += c->price[items[i]];
      return v;
    case BR_OBJ_MARGIN:
    case BR_OBJ_EXPECTED_PROFIT:
      for (int i = 0; i < n; i++) v += c->price[items[i]] - c->cost[items[i]];
      return v;
    default:
      for (int i = 0; i < n; i++) v += item_value(c, o, items[i]);
      return v;
  }
}

static double counted(const br_bundle_stats *s, const pair_cache *pc, br_objective o, const int32_t *items, int n,
                      int64_t count) {
  double nb = (double)br_bundle_nbaskets(s);
  if (count < 0 && (o == BR_OBJ_SUPPORT || o == BR_OBJ_LIFT || o == BR_OBJ_EXPECTED_PROFIT)) {
    count = n == 2 && pc ? pair_cache_count(pc, items[0], items[1]) : -1;
    if (count < 0) count = br_bundle_count(s, items, n);
  }
  switch (o) {
    case BR_OBJ_SUPPORT: return nb > 0 ? (double)count / nb : NAN;
    case BR_OBJ_LIFT: {
      if (nb == 0) return NAN;
      double expect = 1;
      for (int i = 0; i < n; i++) expect *= (double)(s->start[items[i] + 1] - s->start[items[i]]) / nb;
      return expect > 0 ? ((double)count / nb) / expect : 0;
    }
    case BR_OBJ_MIN_PAIR_LIFT: return nb > 0 ? min_pair_lift(s, pc, items, n) : NAN;
    default: break;
  }
  double v = item_sum(s->cat, o, items, n);
  if (o == BR_OBJ_EXPECTED_PROFIT) v *= nb > 0 ? (double)count / nb : NAN;
  return v;
}

double br_bundle_objective(const br_bundle_stats *s, br_objective o, const int32_t *items, int n) {
  return counted(s, NULL, o, items, n, -1);
}

double search_objective(const search_eval *e, br_objective o, const int32_t *items, int n, int64_t count) {
  return counted(e->st, e->pairs, o, items, n, count);
}

/* ---- features ---- */

static const char *const feature_names[BR_NFEATURES] = {
    "size", "support", "log_lift", "log_min_pair_lift", "price", "cost",
    "margin", "margin_rate", "mean_item_support", "min_item_support", "categories",
    "log_mean_pair_lift", "confidence", "customer_overlap"};

const char *br_feature_name(int k) { return k >= 0 && k < BR_NFEATURES ? feature_names[k] : NULL; }

/* The best rule "the rest => one item": count / count(bundle without the
 * item), maximised over the item left out. */
static double confidence(const br_bundle_stats *s, const int32_t *items, int n, int64_t count) {
  if (count <= 0) return 0;
  double best = 0;
  int32_t rest[BR_BUNDLE_MAX_ITEMS];
  for (int out = 0; out < n; out++) {
    int m = 0;
    for (int i = 0; i < n; i++)
      if (i != out) rest[m++] = items[i];
    int64_t c = m == 1 ? br_bundle_item_count(s, rest[0]) : br_bundle_count(s, rest, m);
    if (c > 0 && (double)count / (double)c > best) best = (double)count / (double)c;
  }
  return best;
}

static void features(const br_bundle_stats *s, const pair_cache *pc, const int32_t *items, int n, int64_t count,
                     double *out) {
  const br_catalog *c = bundle_stats_catalog(s);
  double nb = (double)br_bundle_nbaskets(s);
  if (count < 0) count = nb > 0 ? br_bundle_count(s, items, n) : 0;
  double price = 0, cost = 0, sum_sup = 0, min_sup = INFINITY, log_expect = 0, worst = INFINITY, pair_sum = 0;
  int32_t seen[BR_BUNDLE_MAX_ITEMS];
  int ncat = 0;
  for (int i = 0; i < n; i++) {
    price += br_catalog_price(c, items[i]);
    cost += br_catalog_cost(c, items[i]);
    double ci = (double)br_bundle_item_count(s, items[i]);
    double sup = nb > 0 ? ci / nb : 0;
    sum_sup += sup;
    if (sup < min_sup) min_sup = sup;
    log_expect += log((ci + 0.5) / (nb + 0.5));
    int32_t cat = br_catalog_category(c, items[i]), dup = cat < 0;
    for (int j = 0; j < ncat && !dup; j++) dup = seen[j] == cat;
    if (!dup) seen[ncat++] = cat;
    for (int j = i + 1; j < n && nb > 0; j++) {
      int64_t cij = pc ? pair_cache_count(pc, items[i], items[j]) : -1;
      if (cij < 0) {
        int32_t pair[2] = {items[i], items[j]};
        cij = br_bundle_count(s, pair, 2);
      }
      double cj = (double)br_bundle_item_count(s, items[j]);
      double l = log(((double)cij + 0.5) * (nb + 0.5) / ((ci + 0.5) * (cj + 0.5)));
      if (l < worst) worst = l;
      pair_sum += l;
    }
  }
  out[BR_FEAT_SIZE] = n;
  out[BR_FEAT_SUPPORT] = nb > 0 ? (double)count / nb : 0;
  out[BR_FEAT_LOG_LIFT] = nb > 0 ? log(((double)count + 0.5) / (nb + 0.5)) - log_expect : 0;
  out[BR_FEAT_LOG_MIN_PAIR_LIFT] = nb > 0 && n > 1 ? worst : 0;
  out[BR_FEAT_PRICE] = price;
  out[BR_FEAT_COST] = cost;
  out[BR_FEAT_MARGIN] = price - cost;
  out[BR_FEAT_MARGIN_RATE] = price > 0 ? (price - cost) / price : 0;
  out[BR_FEAT_MEAN_ITEM_SUPPORT] = n > 0 ? sum_sup / n : 0;
  out[BR_FEAT_MIN_ITEM_SUPPORT] = n > 0 ? min_sup : 0;
  out[BR_FEAT_CATEGORIES] = ncat;
  out[BR_FEAT_LOG_MEAN_PAIR_LIFT] = nb > 0 && n > 1 ? pair_sum / (n * (n - 1) / 2) : 0;
  out[BR_FEAT_CONFIDENCE] = nb > 0 && n > 1 ? confidence(s, items, n, count) : 0;
  int64_t nall, nany;
  bundle_stats_customers(s, items, n, &nall, &nany);
  out[BR_FEAT_CUSTOMER_OVERLAP] = nany > 0 ? (double)nall / (double)nany : 0;
}

void br_bundle_features(const br_bundle_stats *s, const int32_t *items, int n, double *out) {
  features(s, NULL, items, n, -1, out);
}

/* ---- the evaluator ---- */


static int needs_baskets(br_objective o) {
  return o == BR_OBJ_SUPPORT || o == BR_OBJ_LIFT || o == BR_OBJ_MIN_PAIR_LIFT || o == BR_OBJ_EXPECTED_PROFIT;
}

br_status search_eval_init(search_eval *e, const br_bundle_stats *st, const br_search_spec *sp) {
  memset(e, 0, sizeof *e);
  e->st = st;
  e->cat = bundle_stats_catalog(st);
  e->sp = sp;
  if (sp->min_size < 2 || sp->max_size > BR_BUNDLE_MAX_ITEMS || sp->min_size > sp->max_size)
    return br_error_set(BR_ERR_ARG, "search: size must be {min, max} with 2 <= min <= max <= %d, got {%d, %d}",
                        BR_BUNDLE_MAX_ITEMS, sp->min_size, sp->max_size);
  if (sp->top < 1) return br_error_set(BR_ERR_ARG, "search: top must be at least 1");
  if (sp->nobjectives > BR_MAX_OBJECTIVES || sp->nobjectives < 0)
    return br_error_set(BR_ERR_ARG, "search: 1 to %d objectives", BR_MAX_OBJECTIVES);
  /* one list of objectives, whether one or several were given */
  e->nobj = sp->nobjectives > 0 ? sp->nobjectives : 1;
  if (sp->nobjectives > 0) memcpy(e->objs, sp->objectives, (size_t)e->nobj * sizeof *e->objs);
  else e->objs[0] = (br_objective_spec){sp->objective, sp->custom, sp->custom_bound, sp->custom_ctx, sp->custom_bound_ctx,
                                      sp->model, 1.0};
  e->bounded = 1;
  for (int o = 0; o < e->nobj; o++) {
    const br_objective_spec *os = &e->objs[o];
    if ((unsigned)os->kind >= BR_OBJ_COUNT || (os->kind == BR_OBJ_CUSTOM && !os->fn) ||
        (os->kind == BR_OBJ_MODEL && !os->model))
      return br_error_set(BR_ERR_ARG, "search: objective %d is missing its %s", o + 1,
                          os->kind == BR_OBJ_MODEL ? "model" : "function");
    if (!isfinite(os->weight)) return br_error_set(BR_ERR_ARG, "search: objective %d has weight %g", o + 1, os->weight);
    if (needs_baskets(os->kind) && br_bundle_nbaskets(st) == 0)
      return br_error_set(BR_ERR_ARG, "search: objective '%s' needs baskets", br_objective_name(os->kind));
    if (os->kind == BR_OBJ_MODEL || (os->kind == BR_OBJ_CUSTOM && !os->bound) || os->weight < 0) e->bounded = 0;
    if (os->kind == BR_OBJ_MODEL && !e->row) {
      int64_t shape[2] = {1, BR_NFEATURES};
      if (br_tensor_zeros(&e->row, 2, shape) != BR_OK) return BR_ERR_NOMEM;
      /* one prediction up front, so a model of the wrong shape fails here */
      br_status s = br_model_kind_of(os->model) == BR_MODEL_LOGISTIC ? br_model_predict_proba(&e->pred, os->model, e->row)
                                                                     : br_model_predict(&e->pred, os->model, e->row);
      br_tensor_free(e->pred);
      e->pred = NULL;
      if (s != BR_OK)
        return br_error_set(s, "search: the model objective cannot score bundle features (%d inputs: size, support, "
                               "log_lift, ...): %s", BR_NFEATURES, br_last_error());
    }
  }
  if (!isnan(sp->min_support) && br_bundle_nbaskets(st) == 0)
    return br_error_set(BR_ERR_ARG, "search: min_support needs baskets");
  return BR_OK;
}

void search_eval_free(search_eval *e) {
  br_tensor_free(e->row);
  e->row = NULL;
}

const char *const search_rejection_names[REJ_COUNT] = {
    "size", "must_include", "exclude", "max_per_category", "min_categories", "max_price", "min_margin",
    "min_stock", "min_support", "compatible", "min_count", "the co-occurrence graph"};

static int contains(const int32_t *v, int n, int32_t x) {
  for (int i = 0; i < n; i++)
    if (v[i] == x) return 1;
  return 0;
}

int search_rejected(search_eval *e, const int32_t *it, int n, int64_t count) {
  const br_search_spec *sp = e->sp;
  const br_catalog *c = e->cat;
  if (n < sp->min_size || n > sp->max_size) return REJ_SIZE;
  for (int i = 0; i < sp->nmust; i++)
    if (!contains(it, n, sp->must_include[i])) return REJ_MUST;
  for (int i = 0; i < sp->nexclude; i++)
    if (contains(it, n, sp->exclude[i])) return REJ_EXCLUDE;
  if (sp->max_per_category > 0 || sp->min_categories > 0) {
    int distinct = 0;
    for (int i = 0; i < n; i++) {
      int32_t ci = br_catalog_category(c, it[i]), same = 0, first = 1;
      for (int j = 0; j < n; j++) {
        int32_t cj = br_catalog_category(c, it[j]);
        if (cj == ci && ci >= 0) {
          same++;
          if (j < i) first = 0;
        }
      }
      if (ci >= 0 && sp->max_per_category > 0 && same > sp->max_per_category) return REJ_CATEGORY;
      distinct += ci >= 0 && first;
    }
    if (sp->min_categories > 0 && distinct < sp->min_categories) return REJ_MIN_CATEGORIES;
  }
  if (!isnan(sp->max_price) && counted(e->st, NULL, BR_OBJ_REVENUE, it, n, 0) > sp->max_price) return REJ_PRICE;
  if (!isnan(sp->min_margin) && counted(e->st, NULL, BR_OBJ_MARGIN, it, n, 0) < sp->min_margin) return REJ_MARGIN;
  if (!isnan(sp->min_stock))
    for (int i = 0; i < n; i++) {
      double s = br_catalog_stock(c, it[i]);
      if (isnan(s) || s < sp->min_stock) return REJ_STOCK;
    }
  if (!isnan(sp->min_support) && search_objective(e, BR_OBJ_SUPPORT, it, n, count) < sp->min_support) return REJ_SUPPORT;
  return -1;
}

static double model_score(search_eval *e, const br_model *m, const int32_t *it, int n, int64_t count, int *fail) {
  features(e->st, e->pairs, it, n, count, br_tensor_data(e->row));
  br_tensor *out = NULL;
  br_status s = br_model_kind_of(m) == BR_MODEL_LOGISTIC ? br_model_predict_proba(&out, m, e->row)
                                                         : br_model_predict(&out, m, e->row);
  if (s != BR_OK) {
    *fail = 1;
    return NAN;
  }
  double v = br_tensor_data(out)[0];
  br_tensor_free(out);
  return v;
}

br_status search_score(search_eval *e, const int32_t *it, int n, int64_t count, double *vec, double *total) {
  double sum = 0;
  /* every method scores here, so one check covers exact, beam, greedy,
   * anneal and nsga2; a model or callback objective weighs more per call */
  int heavy = 0;
  for (int o = 0; o < e->nobj; o++) heavy |= e->objs[o].kind == BR_OBJ_CUSTOM || e->objs[o].kind == BR_OBJ_MODEL;
  if (deadline_poll(&e->work, heavy ? 4096 : 64)) return br_deadline_stop("search", e->evaluations, "bundles scored");
  e->evaluations++;
  for (int o = 0; o < e->nobj; o++) {
    const br_objective_spec *os = &e->objs[o];
    int fail = 0;
    double v;
    if (os->kind == BR_OBJ_CUSTOM) v = os->fn(os->ctx, it, n, &fail);
    else if (os->kind == BR_OBJ_MODEL) v = model_score(e, os->model, it, n, count, &fail);
    else v = counted(e->st, e->pairs, os->kind, it, n, count);
    if (fail) return BR_ERR_ARG; /* the callback recorded its message */
    if (!isfinite(v)) {
      char text[300];
      br_catalog_bundle_text(e->cat, it, n, text, sizeof text);
      const char *what = isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf";
      if (os->kind == BR_OBJ_CUSTOM) return br_error_set(BR_ERR_NUMERIC, "search: the objective gave %s for bundle %s", what, text);
      return br_error_set(BR_ERR_NUMERIC, "search: objective '%s' gave %s for bundle %s", br_objective_name(os->kind), what, text);
    }
    vec[o] = v;
    sum += e->nobj > 1 ? os->weight * v : v;
  }
  *total = sum;
  return BR_OK;
}

/* An upper bound of one built-in objective (see search_bound). */
static double builtin_bound(const search_eval *e, br_objective o, const int32_t *it, int n, int64_t cu, int slots,
                            const double *topsum, int64_t min_after) {
  double nb = (double)br_bundle_nbaskets(e->st);
  switch (o) {
    case BR_OBJ_SUPPORT: return (double)cu / nb;
    case BR_OBJ_LIFT: {
      /* lift(S + T) = N^(|S|+|T|-1) c(S+T) / (prod_S c_i prod_T c_j), with
       * c(S+T) <= cu and each c_j >= L, the smallest count that may join. */
      double prod = 1, L = (double)min_after;
      if (L < 1) L = 1;
      if ((double)e->min_count > L) L = (double)e->min_count;
      for (int i = 0; i < n; i++) prod *= (double)br_bundle_item_count(e->st, it[i]) / nb;
      if (prod <= 0) return 0;
      double best = n >= 2 ? ((double)cu / nb) / prod : 0, grow = (cu < L ? (double)cu : L) / L; /* min(1, cu / L) */
      double t_term = grow / prod;                                                             /* t = 1 */
      for (int t = 1; t <= slots; t++) {
        if (t_term > best) best = t_term;
        t_term *= nb / L;
      }
      return best;
    }
    case BR_OBJ_MIN_PAIR_LIFT: return n >= 2 ? min_pair_lift(e->st, e->pairs, it, n) : INFINITY; /* falls as items join */
    case BR_OBJ_REVENUE:
    case BR_OBJ_MARGIN:
    case BR_OBJ_INVENTORY:
    case BR_OBJ_EXPECTED_PROFIT: {
      double v = 0;
      for (int i = 0; i < n; i++) v += item_value(e->cat, o, it[i]);
      v += topsum ? topsum[slots] : 0;
      if (o != BR_OBJ_EXPECTED_PROFIT) return v;
      return v > 0 ? v * (double)cu / nb : 0; /* support is at most cu / N, and at least 0 */
    }
    default: return INFINITY;
  }
}

double search_bound(search_eval *e, const int32_t *it, int n, int64_t count_ub, int slots,
                    const double *const *topsum_at, int64_t min_count_after, int *fail) {
  if (!e->bounded) return INFINITY;
  double sum = 0;
  for (int o = 0; o < e->nobj; o++) {
    const br_objective_spec *os = &e->objs[o];
    double b = os->kind == BR_OBJ_CUSTOM ? os->bound(os->bound_ctx, it, n, slots, fail)
                                         : builtin_bound(e, os->kind, it, n, count_ub, slots,
                                                         topsum_at ? topsum_at[o] : NULL, min_count_after);
    if (*fail) return INFINITY;
    if (isnan(b)) return INFINITY;
    sum += e->nobj > 1 ? os->weight * b : b;
  }
  /* a hair above, so rounding never prunes a bundle that ties the threshold */
  return sum + fabs(sum) * 1e-12;
}
