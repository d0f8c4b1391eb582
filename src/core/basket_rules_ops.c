/* Operations on a mined rule set (sort, item filters, redundancy): each
 * picks rule indices and hands them to br_rules_subset, so a result is an
 * ordinary rule set with its own match index. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/basket.h"
#include "bundle/error.h"
#include "deadline_internal.h"
#include "sort_index.h"
#include "bundle/memory.h"

typedef struct sort_ctx {
  const br_rules *r;
  br_measure by;
  int decreasing;
} sort_ctx;

static int cmp_measure(const void *ctx, int64_t a, int64_t b) {
  const sort_ctx *c = ctx;
  double x = br_rules_measures(c->r, a)[c->by], y = br_rules_measures(c->r, b)[c->by];
  if (isnan(x) || isnan(y)) return isnan(x) - isnan(y); /* NaN last, whichever direction */
  if (x == y) return 0;
  return (x > y) == (c->decreasing != 0) ? -1 : 1;
}

static int64_t *identity(int64_t n) {
  int64_t *v = br_alloc("rules", (size_t)n, sizeof *v);
  if (v)
    for (int64_t k = 0; k < n; k++) v[k] = k;
  return v;
}

br_status br_rules_sort(br_rules **out, const br_rules *r, br_measure by, int decreasing) {
  if ((int)by < 0 || by >= BR_MEASURE_COUNT) return br_error_set(BR_ERR_ARG, "sort: unknown measure");
  int64_t n = br_rules_count(r);
  int64_t *order = identity(n);
  sort_ctx ctx = {r, by, decreasing};
  int sorted = order ? sort_index_polled(order, n, cmp_measure, &ctx) : 0;
  if (sorted <= 0) {
    br_free(order);
    return sorted < 0 ? br_deadline_stop("rules sort", 0, NULL) : br_error_set(BR_ERR_NOMEM, "sort: out of memory");
  }
  br_status s = br_rules_subset(out, r, order, n);
  br_free(order);
  return s;
}

/* How many of items[0..n) are in the sorted list v[0..nv). */
static int count_in(const int32_t *v, int nv, const int32_t *items, int n) {
  int hits = 0;
  for (int i = 0; i < n; i++) {
    int lo = 0, hi = nv;
    while (lo < hi) {
      int mid = lo + (hi - lo) / 2;
      if (v[mid] < items[i]) lo = mid + 1;
      else hi = mid;
    }
    hits += lo < nv && v[lo] == items[i];
  }
  return hits;
}

static int cmp_i32(const void *x, const void *y) {
  int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
  return (a > b) - (a < b);
}

br_status br_rules_with_items(br_rules **out, const br_rules *r, br_rule_side side, const int32_t *items, int n,
                              int all) {
  if (n < 0) return br_error_set(BR_ERR_ARG, "rules: negative item count");
  /* distinct items, so "all" counts each once */
  int32_t *u = br_alloc("rules", (size_t)n, sizeof *u);
  int64_t nr = br_rules_count(r), keep = 0;
  int64_t *idx = br_alloc("rules", (size_t)nr, sizeof *idx);
  if (!u || !idx) {
    br_free(u);
    br_free(idx);
    return br_error_set(BR_ERR_NOMEM, "rules: out of memory");
  }
  if (n > 0) memcpy(u, items, (size_t)n * sizeof *u);
  qsort(u, (size_t)n, sizeof *u, cmp_i32);
  int nu = 0;
  for (int i = 0; i < n; i++)
    if (i == 0 || u[i] != u[i - 1]) u[nu++] = u[i];
  for (int64_t k = 0; k < nr; k++) {
    int nl, nrh;
    const int32_t *l = br_rules_lhs(r, k, &nl), *rh = br_rules_rhs(r, k, &nrh);
    int hits = 0;
    if (side != BR_SIDE_RHS) hits += count_in(l, nl, u, nu);
    if (side != BR_SIDE_LHS) hits += count_in(rh, nrh, u, nu); /* lhs and rhs are disjoint: no double count */
    if (all ? hits == nu : hits > 0) idx[keep++] = k;
  }
  br_status s = br_rules_subset(out, r, idx, keep);
  br_free(u);
  br_free(idx);
  return s;
}

/* Rules grouped by consequent: sort indices by rhs content. */
static int cmp_rhs(const void *ctx, int64_t a, int64_t b) {
  int na, nb;
  const int32_t *x = br_rules_rhs(ctx, a, &na), *y = br_rules_rhs(ctx, b, &nb);
  if (na != nb) return na < nb ? -1 : 1;
  for (int i = 0; i < na; i++)
    if (x[i] != y[i]) return x[i] < y[i] ? -1 : 1;
  return 0;
}

/* Is sorted a[0..na) a proper subset of sorted b[0..nb)? */
static int proper_subset(const int32_t *a, int na, const int32_t *b, int nb) {
  if (na >= nb) return 0;
  int j = 0;
  for (int i = 0; i < na; i++) {
    while (j < nb && b[j] < a[i]) j++;
    if (j == nb || b[j] != a[i]) return 0;
    j++;
  }
  return 1;
}

br_status br_rules_redundant(const br_rules *r, unsigned char *redundant) {
  int64_t n = br_rules_count(r);
  int64_t *order = identity(n);
  int sorted = order ? sort_index_polled(order, n, cmp_rhs, r) : 0;
  if (sorted <= 0) {
    br_free(order);
    return sorted < 0 ? br_deadline_stop("redundant", 0, NULL) : br_error_set(BR_ERR_NOMEM, "redundant: out of memory");
  }
  for (int64_t k = 0; k < n; k++) redundant[k] = 0;
  /* Within one consequent's group, compare every pair: the group is what
   * can make a rule redundant, and pairs keep the test exact for any
   * antecedent size (subset enumeration is exponential in it). */
  int64_t work = 0;
  for (int64_t g = 0; g < n;) {
    int64_t e = g + 1;
    while (e < n && cmp_rhs(r, order[g], order[e]) == 0) e++;
    for (int64_t i = g; i < e; i++) {
      int64_t k = order[i];
      int nk;
      const int32_t *lk = br_rules_lhs(r, k, &nk);
      double ck = br_rules_measures(r, k)[BR_M_CONFIDENCE];
      /* quadratic in a consequent's group: a million rules with one
       * right-hand side is 10^12 pairs */
      if (deadline_poll(&work, 4 * (e - g) + 1)) {
        br_free(order);
        return br_deadline_stop("redundant", i - g, "rules");
      }
      for (int64_t j = g; j < e && !redundant[k]; j++) {
        int nj;
        const int32_t *lj = br_rules_lhs(r, order[j], &nj);
        if (br_rules_measures(r, order[j])[BR_M_CONFIDENCE] >= ck && proper_subset(lj, nj, lk, nk)) redundant[k] = 1;
      }
    }
    g = e;
  }
  br_free(order);
  return BR_OK;
}
