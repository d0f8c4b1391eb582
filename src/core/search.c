/* Objectives of a bundle, the constraint filter, and the top-K portfolio. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"
#include "sort_index.h"

static const char *const objective_names[] = {"support", "lift", "min_pair_lift", "revenue", "margin",
                                              "expected_profit", "inventory", "custom"};
static_assert(sizeof objective_names / sizeof *objective_names == BR_OBJ_COUNT, "one name per objective");

const char *br_objective_name(br_objective o) { return (unsigned)o < BR_OBJ_COUNT ? objective_names[o] : "?"; }

br_status br_objective_parse(br_objective *o, const char *s) {
  for (int i = 0; i < BR_OBJ_CUSTOM; i++)
    if (strcmp(s, objective_names[i]) == 0) {
      *o = (br_objective)i;
      return BR_OK;
    }
  return br_error_set(BR_ERR_ARG, "unknown objective '%s' (support, lift, min_pair_lift, revenue, margin, "
                                  "expected_profit, inventory, or a function)", s);
}

/* An objective with the bundle's basket count given (count < 0: count it). */
static double objective_counted(const br_bundle_stats *s, br_objective o, const int32_t *items, int n,
                                int64_t count) {
  const br_catalog *c = NULL;
  double nb = (double)br_bundle_nbaskets(s), v = 0;
  switch (o) {
    case BR_OBJ_SUPPORT:
      if (nb == 0) return NAN;
      return (double)(count >= 0 ? count : br_bundle_count(s, items, n)) / nb;
    case BR_OBJ_LIFT: {
      if (nb == 0) return NAN;
      double expect = 1;
      for (int i = 0; i < n; i++) expect *= (double)br_bundle_item_count(s, items[i]) / nb;
      double c0 = (double)(count >= 0 ? count : br_bundle_count(s, items, n));
      return expect > 0 ? (c0 / nb) / expect : 0;
    }
    case BR_OBJ_MIN_PAIR_LIFT: {
      if (nb == 0) return NAN;
      double worst = INFINITY;
      for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++) {
          int32_t pair[2] = {items[i], items[j]};
          double ci = (double)br_bundle_item_count(s, items[i]), cj = (double)br_bundle_item_count(s, items[j]);
          double l = ci > 0 && cj > 0 ? (double)br_bundle_count(s, pair, 2) * nb / (ci * cj) : 0;
          if (l < worst) worst = l;
        }
      return worst;
    }
    default: break;
  }
  /* price-based objectives need the catalogue (held by the stats) */
  c = bundle_stats_catalog(s);
  for (int i = 0; i < n; i++) {
    double p = br_catalog_price(c, items[i]), k = br_catalog_cost(c, items[i]), st = br_catalog_stock(c, items[i]);
    switch (o) {
      case BR_OBJ_REVENUE: v += p; break;
      case BR_OBJ_MARGIN:
      case BR_OBJ_EXPECTED_PROFIT: v += p - k; break;
      case BR_OBJ_INVENTORY: v += (isnan(st) ? 0 : st) * k; break;
      default: return NAN;
    }
  }
  if (o == BR_OBJ_EXPECTED_PROFIT) v *= objective_counted(s, BR_OBJ_SUPPORT, items, n, count);
  return v;
}

double br_bundle_objective(const br_bundle_stats *s, br_objective o, const int32_t *items, int n) {
  return objective_counted(s, o, items, n, -1);
}

void br_search_spec_init(br_search_spec *s) {
  memset(s, 0, sizeof *s);
  s->objective = BR_OBJ_LIFT;
  s->min_size = 2;
  s->max_size = 4;
  s->top = 20;
  s->max_overlap = -1;
  s->min_margin = NAN;
  s->max_price = NAN;
  s->min_stock = NAN;
  s->min_support = NAN;
}

struct br_search_result {
  int64_t n, scored;
  int32_t *items; /* n x BR_BUNDLE_MAX_ITEMS */
  int *size;
  double *score;
  int nobj;
  double *scores;       /* n x nobj (several objectives) */
  int32_t *all_items;   /* scored x BR_BUNDLE_MAX_ITEMS */
  int *all_size;
  double *all_scores;   /* scored x nobj */
};

void br_search_result_free(br_search_result *r) {
  if (!r) return;
  free(r->items);
  free(r->size);
  free(r->score);
  free(r->scores);
  free(r->all_items);
  free(r->all_size);
  free(r->all_scores);
  free(r);
}

int br_search_result_nobjectives(const br_search_result *r) { return r->nobj; }
const double *br_search_result_scores(const br_search_result *r, int64_t k) { return r->scores ? r->scores + k * r->nobj : NULL; }
const int32_t *br_search_result_scored_items(const br_search_result *r, int64_t k, int *n) {
  *n = r->all_size[k];
  return r->all_items + k * BR_BUNDLE_MAX_ITEMS;
}
const double *br_search_result_scored_scores(const br_search_result *r, int64_t k) { return r->all_scores + k * r->nobj; }

int64_t br_search_result_count(const br_search_result *r) { return r->n; }
int64_t br_search_result_scored(const br_search_result *r) { return r->scored; }
double br_search_result_score(const br_search_result *r, int64_t k) { return r->score[k]; }
const int32_t *br_search_result_items(const br_search_result *r, int64_t k, int *n) {
  *n = r->size[k];
  return r->items + k * BR_BUNDLE_MAX_ITEMS;
}

/* Which constraint rejects a bundle, for the "no bundle satisfies" message. */
enum { REJ_SIZE, REJ_MUST, REJ_EXCLUDE, REJ_CATEGORY, REJ_MIN_CATEGORIES, REJ_PRICE, REJ_MARGIN, REJ_STOCK,
       REJ_SUPPORT, REJ_COUNT };
static const char *const rej_names[REJ_COUNT] = {"size", "must_include", "exclude", "max_per_category",
                                                 "min_categories", "max_price", "min_margin", "min_stock",
                                                 "min_support"};

static int contains(const int32_t *v, int n, int32_t x) {
  for (int i = 0; i < n; i++)
    if (v[i] == x) return 1;
  return 0;
}

static int rejected_by(const br_bundle_stats *st, const br_search_spec *sp, const int32_t *it, int n, int64_t count) {
  const br_catalog *c = bundle_stats_catalog(st);
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
  if (!isnan(sp->max_price) && br_bundle_objective(st, BR_OBJ_REVENUE, it, n) > sp->max_price) return REJ_PRICE;
  if (!isnan(sp->min_margin) && br_bundle_objective(st, BR_OBJ_MARGIN, it, n) < sp->min_margin) return REJ_MARGIN;
  if (!isnan(sp->min_stock))
    for (int i = 0; i < n; i++) {
      double s = br_catalog_stock(c, it[i]);
      if (isnan(s) || s < sp->min_stock) return REJ_STOCK;
    }
  if (!isnan(sp->min_support) && objective_counted(st, BR_OBJ_SUPPORT, it, n, count) < sp->min_support) return REJ_SUPPORT;
  return -1;
}

typedef struct scored {
  const double *score;
} scored;

static int cmp_score(const void *ctx, int64_t a, int64_t b) {
  const double *s = ctx;
  return (s[a] < s[b]) - (s[a] > s[b]); /* descending; stable keeps candidate order on ties */
}

static int overlap(const int32_t *a, int na, const int32_t *b, int nb) {
  int i = 0, j = 0, k = 0;
  while (i < na && j < nb) {
    if (a[i] < b[j]) i++;
    else if (a[i] > b[j]) j++;
    else k++, i++, j++;
  }
  return k;
}

/* "{a, b, c}" of a bundle's labels, for messages. */
static void bundle_text(const br_bundle_stats *st, const int32_t *it, int n, char *buf, size_t size) {
  const br_catalog *c = bundle_stats_catalog(st);
  size_t used = (size_t)snprintf(buf, size, "{");
  for (int i = 0; i < n && used < size; i++) {
    size_t len;
    const char *l = br_catalog_label(c, it[i], &len);
    used += (size_t)snprintf(buf + used, size - used, "%s%.*s", i ? ", " : "", (int)(len > 30 ? 30 : len), l);
  }
  if (used < size) snprintf(buf + used, size - used, "}");
}

/* One objective's value for a bundle; a failing callback sets *fail. */
static double eval_objective(const br_bundle_stats *st, br_objective kind, br_bundle_fn fn, void *ctx,
                             const int32_t *it, int n, int64_t count, int *fail) {
  if (kind == BR_OBJ_CUSTOM) return fn(ctx, it, n, fail);
  return objective_counted(st, kind, it, n, count);
}

br_status br_search(br_search_result **out, const br_bundle_stats *st, const int32_t *cand, const int64_t *off,
                    int64_t ncand, const br_search_spec *sp) {
  if (sp->min_size < 2 || sp->max_size > BR_BUNDLE_MAX_ITEMS || sp->min_size > sp->max_size)
    return br_error_set(BR_ERR_ARG, "search: size must be {min, max} with 2 <= min <= max <= %d, got {%d, %d}",
                        BR_BUNDLE_MAX_ITEMS, sp->min_size, sp->max_size);
  if (sp->top < 1) return br_error_set(BR_ERR_ARG, "search: top must be at least 1");
  /* one list of objectives, whether one or several were given */
  int nobj = sp->nobjectives > 0 ? sp->nobjectives : 1;
  br_objective_spec single = {sp->objective, sp->custom, sp->custom_ctx, 1.0};
  const br_objective_spec *objs = sp->nobjectives > 0 ? sp->objectives : &single;
  if (nobj > BR_MAX_OBJECTIVES) return br_error_set(BR_ERR_ARG, "search: at most %d objectives", BR_MAX_OBJECTIVES);
  for (int o = 0; o < nobj; o++) {
    if ((unsigned)objs[o].kind >= BR_OBJ_COUNT || (objs[o].kind == BR_OBJ_CUSTOM && !objs[o].fn))
      return br_error_set(BR_ERR_ARG, "search: no objective");
    int needs = objs[o].kind <= BR_OBJ_MIN_PAIR_LIFT || objs[o].kind == BR_OBJ_EXPECTED_PROFIT;
    if (needs && br_bundle_nbaskets(st) == 0)
      return br_error_set(BR_ERR_ARG, "search: objective '%s' needs baskets", br_objective_name(objs[o].kind));
  }
  if (!isnan(sp->min_support) && br_bundle_nbaskets(st) == 0)
    return br_error_set(BR_ERR_ARG, "search: min_support needs baskets");
  double *score = malloc((size_t)(ncand > 0 ? ncand : 1) * sizeof *score);
  double *vec = malloc((size_t)(ncand > 0 ? ncand : 1) * (size_t)nobj * sizeof *vec);
  int64_t *order = malloc((size_t)(ncand > 0 ? ncand : 1) * sizeof *order);
  int64_t rej[REJ_COUNT] = {0}, m = 0;
  br_search_result *r = calloc(1, sizeof *r);
  br_status s = BR_OK;
  if (!score || !vec || !order || !r) goto oom;
  r->nobj = nobj;
  for (int64_t k = 0; k < ncand; k++) {
    const int32_t *it = cand + off[k];
    int n = (int)(off[k + 1] - off[k]);
    if (n > BR_BUNDLE_MAX_ITEMS) {
      rej[REJ_SIZE]++;
      continue;
    }
    int64_t known = sp->counts ? sp->counts[k] : -1;
    int why = rejected_by(st, sp, it, n, known);
    if (why >= 0) {
      rej[why]++;
      continue;
    }
    double total = 0;
    for (int o = 0; o < nobj; o++) {
      int fail = 0;
      double v = eval_objective(st, objs[o].kind, objs[o].fn, objs[o].ctx, it, n, known, &fail);
      if (fail) {
        s = BR_ERR_ARG; /* the callback recorded its message */
        goto done;
      }
      if (!isfinite(v)) {
        char text[300];
        bundle_text(st, it, n, text, sizeof text);
        s = br_error_set(BR_ERR_NUMERIC, "search: the objective gave %s for bundle %s", isnan(v) ? "NaN" : "Inf", text);
        goto done;
      }
      vec[k * nobj + o] = v;
      total += nobj > 1 ? objs[o].weight * v : v;
    }
    score[k] = total;
    order[m++] = k;
  }
  r->scored = m;
  if (m == 0) {
    int worst = 0;
    for (int i = 1; i < REJ_COUNT; i++)
      if (rej[i] > rej[worst]) worst = i;
    s = ncand == 0 ? br_error_set(BR_ERR_ARG, "search: the candidate pool is empty")
                   : br_error_set(BR_ERR_ARG, "search: no bundle satisfies the constraints (%lld candidates; %s removed %lld)",
                                  (long long)ncand, rej_names[worst], (long long)rej[worst]);
    goto done;
  }
  if (nobj > 1) { /* keep every scored bundle, for Pareto fronts */
    r->all_items = malloc((size_t)m * BR_BUNDLE_MAX_ITEMS * sizeof *r->all_items);
    r->all_size = malloc((size_t)m * sizeof *r->all_size);
    r->all_scores = malloc((size_t)m * (size_t)nobj * sizeof *r->all_scores);
    if (!r->all_items || !r->all_size || !r->all_scores) goto oom;
    for (int64_t q = 0; q < m; q++) {
      int64_t k = order[q];
      int n = (int)(off[k + 1] - off[k]);
      memcpy(r->all_items + q * BR_BUNDLE_MAX_ITEMS, cand + off[k], (size_t)n * sizeof *cand);
      r->all_size[q] = n;
      memcpy(r->all_scores + q * nobj, vec + k * nobj, (size_t)nobj * sizeof *vec);
    }
  }
  int64_t want = sp->top < m ? sp->top : m;
  if (sp->max_overlap < 0 && want < m) {
    /* Only the best `want` are needed: keep them in a min-heap (O(m log K))
     * instead of sorting every scored bundle. Ties keep candidate order, as
     * the stable sort does: a later candidate never displaces an equal one. */
    int64_t *h = malloc((size_t)want * sizeof *h), hn = 0;
    if (!h) goto oom;
    for (int64_t q = 0; q < m; q++) {
      int64_t k = order[q];
      if (hn < want) {
        int64_t i = hn++;
        h[i] = k;
        while (i > 0) { /* worst at the root: lowest score, latest candidate */
          int64_t p = (i - 1) / 2;
          if (score[h[p]] < score[h[i]] || (score[h[p]] == score[h[i]] && h[p] > h[i])) break;
          int64_t t = h[p];
          h[p] = h[i];
          h[i] = t;
          i = p;
        }
      } else if (score[k] > score[h[0]]) {
        h[0] = k;
        for (int64_t i = 0;;) {
          int64_t l = 2 * i + 1, r2 = l + 1, w = i;
          if (l < hn && (score[h[l]] < score[h[w]] || (score[h[l]] == score[h[w]] && h[l] > h[w]))) w = l;
          if (r2 < hn && (score[h[r2]] < score[h[w]] || (score[h[r2]] == score[h[w]] && h[r2] > h[w]))) w = r2;
          if (w == i) break;
          int64_t t = h[w];
          h[w] = h[i];
          h[i] = t;
          i = w;
        }
      }
    }
    /* the kept ones in candidate order, then sorted like the full path */
    for (int64_t i = 1; i < hn; i++) {
      int64_t x = h[i], j = i;
      for (; j > 0 && h[j - 1] > x; j--) h[j] = h[j - 1];
      h[j] = x;
    }
    memcpy(order, h, (size_t)hn * sizeof *h);
    free(h);
    m = hn;
  }
  if (!sort_index(order, m, cmp_score, score)) goto oom;
  r->items = malloc((size_t)want * BR_BUNDLE_MAX_ITEMS * sizeof *r->items);
  r->size = malloc((size_t)want * sizeof *r->size);
  r->score = malloc((size_t)want * sizeof *r->score);
  r->scores = malloc((size_t)want * (size_t)nobj * sizeof *r->scores);
  if (!r->items || !r->size || !r->score || !r->scores) goto oom;
  /* Portfolio: best first, skipping bundles too close to one already taken. */
  for (int64_t q = 0; q < m && r->n < want; q++) {
    int64_t k = order[q];
    const int32_t *it = cand + off[k];
    int n = (int)(off[k + 1] - off[k]), ok = 1;
    if (sp->max_overlap >= 0)
      for (int64_t j = 0; j < r->n && ok; j++)
        ok = overlap(it, n, r->items + j * BR_BUNDLE_MAX_ITEMS, r->size[j]) <= sp->max_overlap;
    if (!ok) continue;
    memcpy(r->items + r->n * BR_BUNDLE_MAX_ITEMS, it, (size_t)n * sizeof *it);
    r->size[r->n] = n;
    r->score[r->n] = score[k];
    memcpy(r->scores + r->n * nobj, vec + k * nobj, (size_t)nobj * sizeof *vec);
    r->n++;
  }
  goto done;
oom:
  s = br_error_set(BR_ERR_NOMEM, "search: out of memory");
done:
  free(score);
  free(vec);
  free(order);
  if (s != BR_OK) {
    br_search_result_free(r);
    return s;
  }
  *out = r;
  return BR_OK;
}
