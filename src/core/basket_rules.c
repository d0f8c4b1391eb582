/* Association rules from frequent itemsets, their interest measures, and
 * matching rules against live baskets through an index on each rule's
 * rarest antecedent item. */
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "basket_internal.h"
#include "sort_index.h"
#include "deadline_internal.h"
#include "bundle/memory.h"
#include "memory_internal.h"

static const char *const measure_names[] = {
    "support", "count",  "coverage",    "confidence",     "lift",         "leverage", "conviction",
    "jaccard", "cosine", "kulczynski", "all_confidence", "chi_squared", "fisher_p"};
static_assert(sizeof measure_names / sizeof *measure_names == BR_MEASURE_COUNT, "one name per measure");

const char *br_measure_name(br_measure m) {
  return (unsigned)m < BR_MEASURE_COUNT ? measure_names[m] : "?";
}

br_status br_measure_parse(br_measure *m, const char *s) {
  for (int i = 0; i < BR_MEASURE_COUNT; i++)
    if (strcmp(s, measure_names[i]) == 0) {
      *m = (br_measure)i;
      return BR_OK;
    }
  return br_error_set(BR_ERR_ARG,
                      "unknown measure '%s' (support, count, coverage, confidence, lift, leverage, "
                      "conviction, jaccard, cosine, kulczynski, all_confidence, chi_squared, fisher_p)", s);
}

/* log C(n, k) */
static double log_choose(double n, double k) { return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1); }

/* One-sided Fisher exact test: P(K >= nxy) when K is hypergeometric
 * (population n, ny successes, nx draws): the chance of seeing this much
 * co-occurrence or more if X and Y were independent. */
static double fisher_greater(double n, double nx, double ny, double nxy) {
  double hi = nx < ny ? nx : ny, lo = nx + ny - n > 0 ? nx + ny - n : 0;
  if (nxy <= lo) return 1.0;
  if (nxy > hi) return 0.0;
  double logt = log_choose(ny, nxy) + log_choose(n - ny, nx - nxy) - log_choose(n, nx);
  double t = exp(logt), sum = 0;
  /* terms fall off fast past the mode; stop once they no longer count */
  for (double k = nxy; k <= hi; k++) {
    sum += t;
    if (t < sum * 1e-17) break;
    t *= ((ny - k) * (nx - k)) / ((k + 1) * (n - ny - nx + k + 1));
  }
  return sum > 1 ? 1 : sum;
}

void br_rule_measures(double *m, int64_t n_, int64_t nx_, int64_t ny_, int64_t nxy_) {
  double n = (double)n_, nx = (double)nx_, ny = (double)ny_, nxy = (double)nxy_;
  double conf = nxy / nx, py = ny / n;
  m[BR_M_SUPPORT] = nxy / n;
  m[BR_M_COUNT] = nxy;
  m[BR_M_COVERAGE] = nx / n;
  m[BR_M_CONFIDENCE] = conf;
  m[BR_M_LIFT] = nxy * n / (nx * ny);
  m[BR_M_LEVERAGE] = nxy / n - (nx / n) * py;
  m[BR_M_CONVICTION] = conf >= 1 ? INFINITY : (1 - py) / (1 - conf);
  m[BR_M_JACCARD] = nxy / (nx + ny - nxy);
  m[BR_M_COSINE] = nxy / sqrt(nx * ny);
  m[BR_M_KULCZYNSKI] = 0.5 * (nxy / nx + nxy / ny);
  m[BR_M_ALL_CONFIDENCE] = nxy / (nx > ny ? nx : ny);
  /* 2x2 contingency table of X and Y over the baskets */
  double a = nxy, b = nx - nxy, c = ny - nxy, d = n - nx - ny + nxy;
  double den = (a + b) * (c + d) * (a + c) * (b + d);
  m[BR_M_CHI_SQUARED] = den > 0 ? n * (a * d - b * c) * (a * d - b * c) / den : 0;
  m[BR_M_FISHER_P] = fisher_greater(n, nx, ny, nxy);
}

void br_rule_options_init(br_rule_options *o) {
  memset(o, 0, sizeof *o);
  o->rhs_size = 1;
  o->by = BR_M_LIFT;
}

struct br_rules {
  int64_t n;
  int64_t *lhs_off, *rhs_off; /* n + 1 each */
  int32_t *lhs, *rhs;
  double *m;                  /* n x BR_MEASURE_COUNT */
  /* match index: rules by their antecedent's rarest item */
  int32_t nitems;
  int64_t *idx_start, *idx_rule;
};

void br_rules_free(br_rules *r) {
  if (!r) return;
  br_free(r->lhs_off);
  br_free(r->rhs_off);
  br_free(r->lhs);
  br_free(r->rhs);
  br_free(r->m);
  br_free(r->idx_start);
  br_free(r->idx_rule);
  br_free(r);
}

/* Every array as it is, the match index too (basket_clone.c has the
 * baskets' and itemsets' copies; the rules' layout is private to here). */
br_status br_rules_clone(br_rules **out, const br_rules *r) {
  br_rules *c = br_calloc("rules", 1, sizeof *c);
  if (!c) return br_error_set(BR_ERR_NOMEM, "rules: out of memory for a copy");
  size_t n = (size_t)r->n;
  c->n = r->n;
  c->nitems = r->nitems;
  int ok = mem_dup(&c->lhs_off, "rules", r->lhs_off, n + 1, sizeof *c->lhs_off) &&
           mem_dup(&c->rhs_off, "rules", r->rhs_off, n + 1, sizeof *c->rhs_off) &&
           mem_dup(&c->lhs, "rules", r->lhs, (size_t)r->lhs_off[n], sizeof *c->lhs) &&
           mem_dup(&c->rhs, "rules", r->rhs, (size_t)r->rhs_off[n], sizeof *c->rhs) &&
           mem_dup(&c->m, "rules", r->m, n * BR_MEASURE_COUNT, sizeof *c->m) &&
           mem_dup(&c->idx_start, "rules", r->idx_start, (size_t)r->nitems + 1, sizeof *c->idx_start) &&
           mem_dup(&c->idx_rule, "rules", r->idx_rule, n, sizeof *c->idx_rule);
  if (!ok) {
    br_rules_free(c);
    return br_error_set(BR_ERR_NOMEM, "rules: out of memory for a copy of %lld rules", (long long)r->n);
  }
  *out = c;
  return BR_OK;
}

int64_t br_rules_count(const br_rules *r) { return r->n; }
const int32_t *br_rules_lhs(const br_rules *r, int64_t k, int *size) {
  *size = (int)(r->lhs_off[k + 1] - r->lhs_off[k]);
  return r->lhs + r->lhs_off[k];
}
const int32_t *br_rules_rhs(const br_rules *r, int64_t k, int *size) {
  *size = (int)(r->rhs_off[k + 1] - r->rhs_off[k]);
  return r->rhs + r->rhs_off[k];
}
const double *br_rules_measures(const br_rules *r, int64_t k) { return r->m + k * BR_MEASURE_COUNT; }

/* ---- a lookup from item sets to counts ---- */

typedef struct set_index {
  const br_itemsets *s;
  int64_t *slots;
  uint64_t mask;
} set_index;

static uint64_t hash_items(const int32_t *v, int n) {
  uint64_t h = 0x9e3779b97f4a7c15ULL ^ (uint64_t)n;
  for (int i = 0; i < n; i++) {
    h ^= (uint64_t)(uint32_t)v[i];
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 31;
  }
  return h;
}

static int set_index_init(set_index *x, const br_itemsets *s) {
  uint64_t ns = 16;
  while (ns < (uint64_t)s->n * 2) ns *= 2;
  x->s = s;
  x->mask = ns - 1;
  x->slots = br_alloc("rules", ns, sizeof *x->slots);
  if (!x->slots) return 0;
  memset(x->slots, 0xff, ns * sizeof *x->slots);
  for (int64_t k = 0; k < s->n; k++) {
    int sz = (int)(s->off[k + 1] - s->off[k]);
    uint64_t i = hash_items(s->items + s->off[k], sz) & x->mask;
    while (x->slots[i] >= 0) i = (i + 1) & x->mask;
    x->slots[i] = k;
  }
  return 1;
}

/* The count of the itemset v[0..n) (sorted), or -1 when it is not there. */
static int64_t set_count(const set_index *x, const int32_t *v, int n) {
  const br_itemsets *s = x->s;
  if (n == 1) return s->item_count[v[0]];
  for (uint64_t i = hash_items(v, n) & x->mask;; i = (i + 1) & x->mask) {
    int64_t k = x->slots[i];
    if (k < 0) return -1;
    if (s->off[k + 1] - s->off[k] == n && memcmp(s->items + s->off[k], v, (size_t)n * sizeof *v) == 0)
      return s->count[k];
  }
}

/* ---- building rules ---- */

typedef struct rule_buf {
  br_rules *r;
  int64_t cap, cap_lhs, cap_rhs;
} rule_buf;

static int rule_push(rule_buf *b, const int32_t *lhs, int nl, const int32_t *rhs, int nr, const double *m) {
  br_rules *r = b->r;
  if (r->n == b->cap) {
    int64_t cap = b->cap ? b->cap * 2 : 64;
    int64_t *lo = br_realloc("rules", r->lhs_off, (size_t)(cap + 1), sizeof *lo);
    if (!lo) return 0;
    r->lhs_off = lo;
    int64_t *ro = br_realloc("rules", r->rhs_off, (size_t)(cap + 1), sizeof *ro);
    if (!ro) return 0;
    r->rhs_off = ro;
    double *mm = br_realloc("rules", r->m, mem_mul((size_t)cap, BR_MEASURE_COUNT), sizeof *mm);
    if (!mm) return 0;
    r->m = mm;
    b->cap = cap;
  }
  if (r->lhs_off[r->n] + nl > b->cap_lhs) {
    int64_t cap = (r->lhs_off[r->n] + nl) * 2;
    int32_t *v = br_realloc("rules", r->lhs, (size_t)cap, sizeof *v);
    if (!v) return 0;
    r->lhs = v;
    b->cap_lhs = cap;
  }
  if (r->rhs_off[r->n] + nr > b->cap_rhs) {
    int64_t cap = (r->rhs_off[r->n] + nr) * 2;
    int32_t *v = br_realloc("rules", r->rhs, (size_t)cap, sizeof *v);
    if (!v) return 0;
    r->rhs = v;
    b->cap_rhs = cap;
  }
  memcpy(r->lhs + r->lhs_off[r->n], lhs, (size_t)nl * sizeof *lhs);
  memcpy(r->rhs + r->rhs_off[r->n], rhs, (size_t)nr * sizeof *rhs);
  memcpy(r->m + r->n * BR_MEASURE_COUNT, m, BR_MEASURE_COUNT * sizeof *m);
  r->lhs_off[r->n + 1] = r->lhs_off[r->n] + nl;
  r->rhs_off[r->n + 1] = r->rhs_off[r->n] + nr;
  r->n++;
  return 1;
}

/* The arrays of an empty rule set b.r at b's capacities (any may be 0:
 * rule_push grows them); 0 when out of memory. */
static int rule_buf_alloc(rule_buf *b) {
  br_rules *r = b->r;
  r->lhs_off = br_alloc("rules", (size_t)b->cap + 1, sizeof(int64_t));
  r->rhs_off = br_alloc("rules", (size_t)b->cap + 1, sizeof(int64_t));
  r->m = br_alloc("rules", mem_mul((size_t)b->cap, BR_MEASURE_COUNT), sizeof(double));
  r->lhs = br_alloc("rules", (size_t)b->cap_lhs, sizeof(int32_t));
  r->rhs = br_alloc("rules", (size_t)b->cap_rhs, sizeof(int32_t));
  if (!r->lhs_off || !r->rhs_off || !r->m || !r->lhs || !r->rhs) return 0;
  r->lhs_off[0] = r->rhs_off[0] = 0;
  return 1;
}

typedef struct by_ctx {
  const br_rules *r;
  br_measure by;
} by_ctx;

/* Higher first; NaN last; ties by count, then by rule order. */
static int cmp_rules(const void *ctx, int64_t a, int64_t b) {
  const by_ctx *c = ctx;
  double x = c->r->m[a * BR_MEASURE_COUNT + c->by], y = c->r->m[b * BR_MEASURE_COUNT + c->by];
  if (c->by == BR_M_FISHER_P) { /* a smaller p-value is stronger evidence */
    x = -x;
    y = -y;
  }
  if (x != y) {
    if (isnan(x)) return 1;
    if (isnan(y)) return -1;
    return x > y ? -1 : 1;
  }
  double cx = c->r->m[a * BR_MEASURE_COUNT + BR_M_COUNT], cy = c->r->m[b * BR_MEASURE_COUNT + BR_M_COUNT];
  return (cx < cy) - (cx > cy);
}

static br_status build_index(br_rules *r, const int64_t *item_count, int32_t nitems) {
  r->nitems = nitems;
  r->idx_start = br_calloc("rules", (size_t)nitems + 1, sizeof *r->idx_start);
  r->idx_rule = br_alloc("rules", (size_t)r->n, sizeof *r->idx_rule);
  int32_t *key = br_alloc("rules", (size_t)r->n, sizeof *key);
  if (!r->idx_start || !r->idx_rule || !key) {
    br_free(key);
    return br_error_set(BR_ERR_NOMEM, "rules: out of memory");
  }
  for (int64_t k = 0; k < r->n; k++) {
    int nl;
    const int32_t *lhs = br_rules_lhs(r, k, &nl);
    int32_t best = lhs[0];
    for (int i = 1; i < nl; i++)
      if (item_count[lhs[i]] < item_count[best]) best = lhs[i];
    key[k] = best;
    r->idx_start[best + 1]++;
  }
  for (int32_t i = 0; i < nitems; i++) r->idx_start[i + 1] += r->idx_start[i];
  int64_t *fill = br_alloc("rules", (size_t)nitems, sizeof *fill);
  if (!fill) {
    br_free(key);
    return br_error_set(BR_ERR_NOMEM, "rules: out of memory");
  }
  memcpy(fill, r->idx_start, (size_t)nitems * sizeof *fill);
  for (int64_t k = 0; k < r->n; k++) r->idx_rule[fill[key[k]]++] = k; /* ascending: best first */
  br_free(fill);
  br_free(key);
  return BR_OK;
}

br_status br_itemsets_rules(br_rules **out, const br_itemsets *sets, const br_rule_options *o) {
  br_rule_options dflt;
  if (!o) {
    br_rule_options_init(&dflt);
    o = &dflt;
  }
  if (o->rhs_size < 1) return br_error_set(BR_ERR_ARG, "rules: rhs_size %d must be at least 1", o->rhs_size);
  if (o->min_confidence < 0 || o->min_confidence > 1)
    return br_error_set(BR_ERR_ARG, "rules: min_confidence %g is not in [0, 1]", o->min_confidence);
  if ((unsigned)o->by >= BR_MEASURE_COUNT) return br_error_set(BR_ERR_ARG, "rules: bad measure %d", (int)o->by);
  if (o->top < 0) return br_error_set(BR_ERR_ARG, "rules: top %lld is negative", (long long)o->top);
  set_index x;
  if (!set_index_init(&x, sets)) return br_error_set(BR_ERR_NOMEM, "rules: out of memory");
  rule_buf b = {br_calloc("rules", 1, sizeof(br_rules)), 1024, 4096, 4096};
  br_status s = BR_OK;
  if (!b.r) goto oom;
  if (!rule_buf_alloc(&b)) goto oom;
  int32_t lhs[64], rhs[64];
  double m[BR_MEASURE_COUNT];
  int64_t work = 0;
  for (int64_t k = 0; k < sets->n && s == BR_OK; k++) {
    int sz;
    const int32_t *z = br_itemsets_items(sets, k, &sz);
    int ry = o->rhs_size;
    if (sz <= ry || sz > 64) continue;
    /* every choice of ry positions for the consequent, in lexicographic order */
    int pick[64];
    for (int i = 0; i < ry; i++) pick[i] = i;
    for (;;) {
      int nl = 0, nr = 0;
      for (int i = 0, p = 0; i < sz; i++) {
        if (p < ry && pick[p] == i) {
          rhs[nr++] = z[i];
          p++;
        } else {
          lhs[nl++] = z[i];
        }
      }
      /* a rule costs two hash lookups of sz items: a check every few thousand */
      if (deadline_poll(&work, 4 * sz)) {
        s = br_deadline_stop("rules", b.r->n, "rules");
        break;
      }
      int64_t nx = set_count(&x, lhs, nl), ny = set_count(&x, rhs, nr);
      if (nx < 0 || ny < 0) {
        s = br_error_set(BR_ERR_ARG,
                         "rules: the itemsets lack a subset of a frequent itemset; mine them without "
                         "top, closed, maximal, include or min_size");
        break;
      }
      br_rule_measures(m, sets->nbaskets, nx, ny, sets->count[k]);
      if (m[BR_M_CONFIDENCE] >= o->min_confidence && (o->min_lift <= 0 || m[BR_M_LIFT] >= o->min_lift))
        if (!rule_push(&b, lhs, nl, rhs, nr, m)) goto oom;
      /* next combination */
      int i = ry - 1;
      while (i >= 0 && pick[i] == sz - ry + i) i--;
      if (i < 0) break;
      pick[i]++;
      for (int j = i + 1; j < ry; j++) pick[j] = pick[j - 1] + 1;
    }
  }
  if (s != BR_OK) goto done;
  {
    /* best first by `by`, then keep the top */
    br_rules *r = b.r;
    int64_t *order = br_alloc("rules", (size_t)r->n, sizeof *order);
    if (!order) goto oom;
    for (int64_t k = 0; k < r->n; k++) order[k] = k;
    by_ctx ctx = {r, o->by};
    if (!sort_index(order, r->n, cmp_rules, &ctx)) {
      br_free(order);
      goto oom;
    }
    int64_t keep = o->top > 0 && o->top < r->n ? o->top : r->n;
    rule_buf sorted = {br_calloc("rules", 1, sizeof(br_rules)), keep, 0, 0};
    int ok = sorted.r != NULL && rule_buf_alloc(&sorted);
    for (int64_t k = 0; ok && k < keep; k++) {
      int nl, nr;
      const int32_t *l = br_rules_lhs(r, order[k], &nl), *rr = br_rules_rhs(r, order[k], &nr);
      ok = rule_push(&sorted, l, nl, rr, nr, br_rules_measures(r, order[k]));
    }
    br_free(order);
    if (!ok) {
      br_rules_free(sorted.r);
      goto oom;
    }
    br_rules_free(b.r);
    b.r = sorted.r;
  }
  if ((s = build_index(b.r, sets->item_count, sets->nitems)) != BR_OK) goto done;
  *out = b.r;
  b.r = NULL;
  goto done;
oom:
  s = br_error_set(BR_ERR_NOMEM, "rules: out of memory");
done:
  br_rules_free(b.r);
  br_free(x.slots);
  return s;
}

/* Is sorted v[0..n) a subset of sorted basket[0..m)? */
static int subset_of(const int32_t *v, int n, const int32_t *basket, int m) {
  int j = 0;
  for (int i = 0; i < n; i++) {
    while (j < m && basket[j] < v[i]) j++;
    if (j == m || basket[j] != v[i]) return 0;
    j++;
  }
  return 1;
}

static int cmp_i64(const void *x, const void *y) {
  int64_t a = *(const int64_t *)x, b = *(const int64_t *)y;
  return (a > b) - (a < b);
}

br_status br_rules_match(const br_rules *r, const int32_t *basket, int n, int64_t **idx, int64_t *nmatch) {
  for (int i = 1; i < n; i++)
    if (basket[i] <= basket[i - 1]) return br_error_set(BR_ERR_ARG, "match: basket items must be sorted and distinct");
  int64_t cap = 16, k = 0;
  int64_t *v = br_alloc_out("rules", (size_t)cap, sizeof *v);
  if (!v) return br_error_set(BR_ERR_NOMEM, "match: out of memory");
  for (int i = 0; i < n; i++) {
    int32_t it = basket[i];
    if (it < 0 || it >= r->nitems) continue;
    for (int64_t p = r->idx_start[it]; p < r->idx_start[it + 1]; p++) {
      int64_t rule = r->idx_rule[p];
      int nl, nr;
      const int32_t *lhs = br_rules_lhs(r, rule, &nl), *rhs = br_rules_rhs(r, rule, &nr);
      if (!subset_of(lhs, nl, basket, n) || subset_of(rhs, nr, basket, n)) continue;
      if (k == cap) {
        int64_t *nv = br_realloc_out("rules", v, (size_t)(cap *= 2), sizeof *nv);
        if (!nv) {
          br_free_out(v); /* *idx is the caller's, freed with br_free_out */
          return br_error_set(BR_ERR_NOMEM, "match: out of memory");
        }
        v = nv;
      }
      v[k++] = rule;
    }
  }
  qsort(v, (size_t)k, sizeof *v, cmp_i64); /* rule order is rank order */
  *idx = v;
  *nmatch = k;
  return BR_OK;
}

/* The item rule k is filed under in r's match index: the bucket of one of
 * its antecedent's items holds k (buckets are ascending, so a binary search
 * finds it). Used to carry the rarest-item choice over to a subset, whose
 * rules no longer know the item counts. */
static int32_t rule_key(const br_rules *r, int64_t k) {
  int nl;
  const int32_t *lhs = br_rules_lhs(r, k, &nl);
  for (int i = 0; i < nl; i++) {
    int64_t lo = r->idx_start[lhs[i]], hi = r->idx_start[lhs[i] + 1];
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      if (r->idx_rule[mid] < k) lo = mid + 1;
      else hi = mid;
    }
    if (lo < r->idx_start[lhs[i] + 1] && r->idx_rule[lo] == k) return lhs[i];
  }
  return lhs[0]; /* unreachable for an indexed rule set */
}

static int cmp_id(const void *x, const void *y) {
  int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
  return (a > b) - (a < b);
}

/* Copies side v[0..nv) into w sorted, repeats dropped; its new size, or -1
 * for an empty side or an id out of range. */
static int side_copy(int32_t *w, const int32_t *v, int64_t nv, int32_t nitems) {
  if (nv < 1 || nv > 64) return -1;
  for (int64_t i = 0; i < nv; i++) {
    if (v[i] < 0 || v[i] >= nitems) return -1;
    w[i] = v[i];
  }
  qsort(w, (size_t)nv, sizeof *w, cmp_id);
  int m = 1;
  for (int64_t i = 1; i < nv; i++)
    if (w[i] != w[m - 1]) w[m++] = w[i];
  return m;
}

br_status br_rules_from_parts(br_rules **out, int32_t nitems, int64_t n, const int64_t *lhs_off, const int32_t *lhs,
                              const int64_t *rhs_off, const int32_t *rhs, const double *m) {
  if (n < 0 || nitems < 0) return br_error_set(BR_ERR_ARG, "rules: negative count");
  rule_buf b = {br_calloc("rules", 1, sizeof(br_rules)), n, 64, 64};
  int64_t *zero = NULL;
  if (!b.r) goto oom;
  if (!rule_buf_alloc(&b)) goto oom;
  for (int64_t k = 0; k < n; k++) {
    int32_t l[64], r[64];
    int nl = side_copy(l, lhs + lhs_off[k], lhs_off[k + 1] - lhs_off[k], nitems);
    int nr = side_copy(r, rhs + rhs_off[k], rhs_off[k + 1] - rhs_off[k], nitems);
    if (nl < 0 || nr < 0) {
      br_rules_free(b.r);
      return br_error_set(BR_ERR_ARG, "rules: rule %lld has an empty side, more than 64 items or an unknown item",
                          (long long)k + 1);
    }
    if (!rule_push(&b, l, nl, r, nr, m + k * BR_MEASURE_COUNT)) goto oom;
  }
  /* no item counts here: the match index keys each rule on its first item */
  zero = br_calloc("rules", (size_t)nitems, sizeof *zero);
  if (!zero) goto oom;
  br_status s = build_index(b.r, zero, nitems);
  br_free(zero);
  if (s != BR_OK) {
    br_rules_free(b.r);
    return s;
  }
  *out = b.r;
  return BR_OK;
oom:
  br_free(zero);
  br_rules_free(b.r);
  return br_error_set(BR_ERR_NOMEM, "rules: out of memory");
}

br_status br_rules_subset(br_rules **out, const br_rules *r, const int64_t *idx, int64_t n) {
  for (int64_t k = 0; k < n; k++)
    if (idx[k] < 0 || idx[k] >= r->n) return br_error_set(BR_ERR_ARG, "rules: index %lld out of range", (long long)idx[k]);
  rule_buf b = {0};
  int32_t *key = NULL;
  int64_t *fill = NULL;
  b.r = br_calloc("rules", 1, sizeof(br_rules));
  b.cap = n;
  if (!b.r || !rule_buf_alloc(&b)) goto oom;
  for (int64_t k = 0; k < n; k++) {
    int nl, nr;
    const int32_t *l = br_rules_lhs(r, idx[k], &nl), *rr = br_rules_rhs(r, idx[k], &nr);
    if (!rule_push(&b, l, nl, rr, nr, br_rules_measures(r, idx[k]))) goto oom;
  }
  br_rules *s = b.r;
  s->nitems = r->nitems;
  s->idx_start = br_calloc("rules", (size_t)r->nitems + 1, sizeof *s->idx_start);
  s->idx_rule = br_alloc("rules", (size_t)n, sizeof *s->idx_rule);
  key = br_alloc("rules", (size_t)n, sizeof *key);
  fill = br_alloc("rules", (size_t)r->nitems, sizeof *fill);
  if (!s->idx_start || !s->idx_rule || !key || !fill) goto oom;
  for (int64_t k = 0; k < n; k++) {
    key[k] = rule_key(r, idx[k]);
    s->idx_start[key[k] + 1]++;
  }
  for (int32_t i = 0; i < r->nitems; i++) s->idx_start[i + 1] += s->idx_start[i];
  memcpy(fill, s->idx_start, (size_t)r->nitems * sizeof *fill);
  for (int64_t k = 0; k < n; k++) s->idx_rule[fill[key[k]]++] = k; /* ascending: rank order */
  br_free(key);
  br_free(fill);
  *out = s;
  return BR_OK;
oom:
  br_free(key);
  br_free(fill);
  br_rules_free(b.r);
  return br_error_set(BR_ERR_NOMEM, "rules: out of memory");
}
