/* Ranking metrics at K (precision, recall, NDCG, MRR, hit) and the top K
 * columns of each row of a score matrix. */
#include <math.h>
#include <stdlib.h>

#include "bundle/eval.h"
#include "bundle/memory.h"

void br_rank_add(br_rank_metrics *acc, const int32_t *ranked, int nranked, const int32_t *relevant, int nrel, int k) {
  if (nrel <= 0 || k <= 0) return;
  int found = 0, first = 0;
  double dcg = 0, idcg = 0;
  for (int r = 0; r < k && r < nranked; r++) {
    int rel = 0;
    for (int j = 0; j < nrel && !rel; j++) rel = relevant[j] == ranked[r];
    if (rel) {
      found++;
      dcg += 1.0 / log2(r + 2.0);
      if (!first) first = r + 1;
    }
  }
  for (int r = 0; r < k && r < nrel; r++) idcg += 1.0 / log2(r + 2.0);
  acc->lists++;
  acc->precision += (double)found / k;
  acc->recall += (double)found / nrel;
  acc->ndcg += dcg / idcg;
  acc->mrr += first ? 1.0 / first : 0;
  acc->hit += found > 0;
}

void br_rank_finish(br_rank_metrics *acc) {
  if (acc->lists == 0) return;
  double n = (double)acc->lists;
  acc->precision /= n;
  acc->recall /= n;
  acc->ndcg /= n;
  acc->mrr /= n;
  acc->hit /= n;
}

/* a min-heap of (score, id) holding the best k seen: its root is the worst kept */
typedef struct entry {
  double s;
  int32_t id;
} entry;

/* a is worse than b: lower score, or equal score and higher id */
static int worse(entry a, entry b) { return a.s < b.s || (a.s == b.s && a.id > b.id); }

static void sift_down(entry *h, int n, int i) {
  for (;;) {
    int l = 2 * i + 1, r = l + 1, m = i;
    if (l < n && worse(h[l], h[m])) m = l;
    if (r < n && worse(h[r], h[m])) m = r;
    if (m == i) return;
    entry t = h[i];
    h[i] = h[m];
    h[m] = t;
    i = m;
  }
}

static int by_rank(const void *pa, const void *pb) {
  entry a = *(const entry *)pa, b = *(const entry *)pb;
  return worse(b, a) ? -1 : worse(a, b) ? 1 : 0;
}

br_status br_topk_rows(int32_t *out, const double *scores, int64_t rows, int64_t cols, int k, const int64_t *excl_off,
                       const int32_t *excl) {
  if (k < 1 || rows < 0 || cols < 0) return br_error_set(BR_ERR_ARG, "topk: k must be at least 1");
  entry *h = br_alloc("topk", (size_t)k, sizeof *h);
  unsigned char *skip = br_calloc("topk", (size_t)cols, 1);
  if (!h || !skip) {
    br_free(h);
    br_free(skip);
    return br_error_set(BR_ERR_NOMEM, "topk: out of memory");
  }
  for (int64_t r = 0; r < rows; r++) {
    const double *row = scores + r * cols;
    if (excl_off)
      for (int64_t p = excl_off[r]; p < excl_off[r + 1]; p++)
        if (excl[p] >= 0 && excl[p] < cols) skip[excl[p]] = 1;
    int n = 0;
    for (int64_t c = 0; c < cols; c++) {
      if (skip[c] || isnan(row[c])) continue;
      entry e = {row[c], (int32_t)c};
      if (n < k) {
        h[n++] = e;
        if (n == k) /* heapify once full */
          for (int i = k / 2 - 1; i >= 0; i--) sift_down(h, k, i);
      } else if (worse(h[0], e)) {
        h[0] = e;
        sift_down(h, k, 0);
      }
    }
    qsort(h, (size_t)n, sizeof *h, by_rank);
    for (int i = 0; i < k; i++) out[r * k + i] = i < n ? h[i].id : -1;
    if (excl_off)
      for (int64_t p = excl_off[r]; p < excl_off[r + 1]; p++)
        if (excl[p] >= 0 && excl[p] < cols) skip[excl[p]] = 0;
  }
  br_free(h);
  br_free(skip);
  return BR_OK;
}
