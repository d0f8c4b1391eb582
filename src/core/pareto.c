/* Multi-objective tools: the non-dominated set with crowding distances,
 * and exact hypervolume in two and three dimensions. Scores are maximised. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/pareto.h"
#include "sort_index.h"
#include "deadline_internal.h"
#include "bundle/memory.h"
#include "memory_internal.h"

typedef struct pts {
  const double *p;
  int d;
} pts;

/* By the first objective descending, then the second descending. */
static int cmp_first(const void *ctx, int64_t a, int64_t b) {
  const pts *c = ctx;
  const double *x = c->p + a * c->d, *y = c->p + b * c->d;
  for (int k = 0; k < c->d; k++)
    if (x[k] != y[k]) return x[k] > y[k] ? -1 : 1;
  return 0;
}

static int dominates(const double *a, const double *b, int d) {
  int better = 0;
  for (int k = 0; k < d; k++) {
    if (a[k] < b[k]) return 0;
    if (a[k] > b[k]) better = 1;
  }
  return better;
}

br_status br_pareto_front(int64_t **idx, int64_t *nfront, const double *p, int64_t n, int d) {
  if (d < 1) return br_error_set(BR_ERR_ARG, "pareto: %d objectives", d);
  for (int64_t i = 0; i < n * d; i++)
    if (!isfinite(p[i])) return br_error_set(BR_ERR_NUMERIC, "pareto: score %lld of point %lld is not finite", (long long)(i % d + 1), (long long)(i / d + 1));
  int64_t *order = br_alloc("pareto", (size_t)n, sizeof *order);
  int64_t *front = br_alloc_out("pareto", (size_t)n, sizeof *front); /* the caller frees it (br_free_out) */
  if (!order || !front) {
    br_free(order);
    br_free_out(front);
    return br_error_set(BR_ERR_NOMEM, "pareto: out of memory");
  }
  for (int64_t i = 0; i < n; i++) order[i] = i;
  pts c = {p, d};
  sort_index(order, n, cmp_first, &c);
  int64_t m = 0;
  if (d == 2) {
    /* Sorted by x descending (y descending on ties): a point is on the
     * front when its y beats every y seen so far. O(n log n). */
    double best = -INFINITY;
    for (int64_t i = 0; i < n; i++) {
      const double *q = p + order[i] * 2;
      if (q[1] > best) {
        front[m++] = order[i];
        best = q[1];
      }
    }
  } else {
    /* Any dimension: a point joins unless a point already on the front (all
     * come earlier in the sort) dominates it or equals it. */
    for (int64_t i = 0; i < n; i++) {
      const double *q = p + order[i] * d;
      int keep = 1;
      for (int64_t j = 0; j < m && keep; j++) {
        const double *f = p + front[j] * d;
        keep = !dominates(f, q, d) && memcmp(f, q, (size_t)d * sizeof *q) != 0;
      }
      if (keep) front[m++] = order[i];
    }
  }
  br_free(order);
  *idx = front;
  *nfront = m;
  return BR_OK;
}

br_status br_pareto_rank(int32_t *rank, const double *p, int64_t n, int d) {
  /* each point's count of dominators, and the points it dominates (flat) */
  int64_t *ndom = br_calloc("pareto", (size_t)n, sizeof *ndom);
  int64_t *start = br_calloc("pareto", (size_t)n + 1, sizeof *start), *list = NULL, *cur = NULL;
  if (!ndom || !start) goto oom;
  /* n^2 comparisons: 16 million for NSGA-II's 4000 parents and children,
   * a check per row keeps a deadline binding */
  int64_t work = 0;
  for (int64_t i = 0; i < n; i++) {
    if (deadline_poll(&work, n * d)) goto stopped;
    for (int64_t j = 0; j < n; j++)
      if (i != j && dominates(p + i * d, p + j * d, d)) start[i + 1]++, ndom[j]++;
  }
  for (int64_t i = 0; i < n; i++) start[i + 1] += start[i];
  list = br_alloc("pareto", (size_t)(start[n]), sizeof *list);
  cur = br_alloc("pareto", (size_t)n, sizeof *cur);
  if (!list || !cur) goto oom;
  int64_t at = 0;
  for (int64_t i = 0; i < n; i++) {
    if (deadline_poll(&work, n * d)) goto stopped;
    for (int64_t j = 0; j < n; j++)
      if (i != j && dominates(p + i * d, p + j * d, d)) list[at++] = j;
  }
  /* peel fronts: cur holds the current front */
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++)
    if (ndom[i] == 0) cur[m++] = i, rank[i] = 1;
  for (int32_t r = 1; m > 0; r++) {
    int64_t next = 0;
    for (int64_t k = 0; k < m; k++) {
      int64_t i = cur[k];
      for (int64_t q = start[i]; q < start[i + 1]; q++)
        if (--ndom[list[q]] == 0) rank[list[q]] = r + 1, cur[m + next++] = list[q];
    }
    memmove(cur, cur + m, (size_t)next * sizeof *cur);
    m = next;
  }
  br_free(ndom);
  br_free(start);
  br_free(list);
  br_free(cur);
  return BR_OK;
stopped:
  br_free(ndom);
  br_free(start);
  br_free(list);
  br_free(cur);
  return br_deadline_stop("pareto rank", 0, NULL);
oom:
  br_free(ndom);
  br_free(start);
  br_free(list);
  br_free(cur);
  return br_error_set(BR_ERR_NOMEM, "pareto: out of memory");
}

typedef struct front_pts {
  const double *p;
  const int64_t *front;
  int d, k;
} front_pts;

static int by_objective(const void *ctx, int64_t a, int64_t b) {
  const front_pts *f = ctx;
  double x = f->p[f->front[a] * f->d + f->k], y = f->p[f->front[b] * f->d + f->k];
  return (x > y) - (x < y);
}

void br_pareto_crowding(double *dist, const double *p, const int64_t *front, int64_t m, int d) {
  for (int64_t i = 0; i < m; i++) dist[i] = 0;
  if (m == 0) return;
  int64_t *order = br_alloc("pareto", (size_t)m, sizeof *order);
  if (!order) return;
  for (int k = 0; k < d; k++) {
    for (int64_t i = 0; i < m; i++) order[i] = i;
    /* by objective k, stably: a front of tied scores can hold thousands
     * (NSGA-II on one objective), where an insertion sort took seconds;
     * the insertion sort (also stable) stays for when memory runs out */
    front_pts fp = {p, front, d, k};
    if (!sort_index(order, m, by_objective, &fp))
      for (int64_t i = 1; i < m; i++) {
        int64_t x = order[i], j = i;
        for (; j > 0 && p[front[order[j - 1]] * d + k] > p[front[x] * d + k]; j--) order[j] = order[j - 1];
        order[j] = x;
      }
    double lo = p[front[order[0]] * d + k], hi = p[front[order[m - 1]] * d + k];
    dist[order[0]] = dist[order[m - 1]] = INFINITY; /* the extremes are kept first */
    if (hi <= lo) continue;
    for (int64_t i = 1; i + 1 < m; i++)
      dist[order[i]] += (p[front[order[i + 1]] * d + k] - p[front[order[i - 1]] * d + k]) / (hi - lo);
  }
  br_free(order);
}

/* 2-d hypervolume of the points above ref, exact. */
static double hv2(const double *p, int64_t n, const double *ref) {
  int64_t *order = br_alloc("pareto", (size_t)n, sizeof *order);
  if (!order) return NAN;
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++)
    if (p[i * 2] > ref[0] && p[i * 2 + 1] > ref[1]) order[m++] = i;
  pts c = {p, 2};
  sort_index(order, m, cmp_first, &c);
  /* Sweep x descending: over (x_{i+1}, x_i] the covered height is the best
   * y among the points seen so far. */
  double v = 0;
  double ymax = ref[1];
  for (int64_t i = 0; i < m; i++) {
    const double *q = p + order[i] * 2;
    if (q[1] > ymax) ymax = q[1];
    double xn = i + 1 < m ? p[order[i + 1] * 2] : ref[0];
    v += (q[0] - xn) * (ymax - ref[1]);
  }
  br_free(order);
  return v;
}

/* 3-d: slice along the third objective; each slab's area is a 2-d
 * hypervolume of the points at or above it. O(n^2 log n), exact. */
static double hv3(const double *p, int64_t n, const double *ref) {
  double *zs = br_alloc("pareto", (size_t)n, sizeof *zs);
  double *xy = br_alloc("pareto", mem_mul((size_t)n, 2), sizeof *xy);
  if (!zs || !xy) {
    br_free(zs);
    br_free(xy);
    return NAN;
  }
  int64_t m = 0;
  for (int64_t i = 0; i < n; i++)
    if (p[i * 3] > ref[0] && p[i * 3 + 1] > ref[1] && p[i * 3 + 2] > ref[2]) zs[m++] = p[i * 3 + 2];
  /* distinct z levels, descending */
  for (int64_t i = 1; i < m; i++) {
    double x = zs[i];
    int64_t j = i;
    for (; j > 0 && zs[j - 1] < x; j--) zs[j] = zs[j - 1];
    zs[j] = x;
  }
  double v = 0;
  for (int64_t s = 0; s < m; s++) {
    if (s > 0 && zs[s] == zs[s - 1]) continue;
    double znext = ref[2];
    for (int64_t t = s + 1; t < m; t++)
      if (zs[t] < zs[s]) {
        znext = zs[t];
        break;
      }
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
      if (p[i * 3 + 2] >= zs[s] && p[i * 3] > ref[0] && p[i * 3 + 1] > ref[1] && p[i * 3 + 2] > ref[2]) {
        xy[k * 2] = p[i * 3];
        xy[k * 2 + 1] = p[i * 3 + 1];
        k++;
      }
    v += hv2(xy, k, ref) * (zs[s] - znext);
  }
  br_free(zs);
  br_free(xy);
  return v;
}

br_status br_hypervolume(double *out, const double *p, int64_t n, int d, const double *ref) {
  if (d != 2 && d != 3) return br_error_set(BR_ERR_ARG, "hypervolume: exact for 2 or 3 objectives, got %d", d);
  for (int64_t i = 0; i < n * d; i++)
    if (!isfinite(p[i])) return br_error_set(BR_ERR_NUMERIC, "hypervolume: point %lld is not finite", (long long)(i / d + 1));
  double v = d == 2 ? hv2(p, n, ref) : hv3(p, n, ref);
  if (isnan(v)) return br_error_set(BR_ERR_NOMEM, "hypervolume: out of memory");
  *out = v;
  return BR_OK;
}
