/* Backtest metrics of a list of bundles on later baskets: completion,
 * attach rate, coverage, captured revenue and margin, diversity. */
#include <stdlib.h>
#include <string.h>

#include "bundle/eval.h"
#include "deadline_internal.h"
#include "bundle/memory.h"

/* Item -> sorted basket list (CSR), the inverted index every bundle reads. */
typedef struct inverted {
  int64_t *start, *tid;
} inverted;

static int inverted_build(inverted *ix, const br_baskets *b) {
  const br_baskets_view B = br_baskets_view_of(b);
  int64_t total = B.off[B.n];
  ix->start = br_calloc("backtest", (size_t)B.nitems + 1, sizeof *ix->start);
  ix->tid = br_alloc("backtest", (size_t)total, sizeof *ix->tid);
  int64_t *fill = br_alloc("backtest", (size_t)B.nitems, sizeof *fill);
  if (!ix->start || !ix->tid || !fill) {
    br_free(fill);
    return 0;
  }
  for (int64_t p = 0; p < total; p++) ix->start[B.items[p] + 1]++;
  for (int32_t i = 0; i < B.nitems; i++) ix->start[i + 1] += ix->start[i];
  memcpy(fill, ix->start, (size_t)B.nitems * sizeof *fill);
  for (int64_t k = 0; k < B.n; k++)
    for (int64_t p = B.off[k]; p < B.off[k + 1]; p++) ix->tid[fill[B.items[p]]++] = k;
  br_free(fill);
  return 1;
}

static void inverted_free(inverted *ix) {
  br_free(ix->start);
  br_free(ix->tid);
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* Jaccard distance of two sorted, distinct id lists. */
static double jaccard_distance(const int32_t *a, int64_t na, const int32_t *b, int64_t nb) {
  int64_t i = 0, j = 0, common = 0;
  while (i < na && j < nb) {
    if (a[i] == b[j]) common++, i++, j++;
    else if (a[i] < b[j]) i++;
    else j++;
  }
  int64_t uni = na + nb - common;
  return uni > 0 ? 1.0 - (double)common / (double)uni : 0.0;
}

br_status br_eval_backtest(br_backtest *out, br_backtest_bundle *per, const br_baskets *b, const int32_t *items,
                           const int64_t *off, int64_t nb, const double *price, const double *cost) {
  const br_baskets_view B = br_baskets_view_of(b);
  if (!out || !b || (nb > 0 && (!items || !off)) || nb < 0)
    return br_error_set(BR_ERR_ARG, "backtest: missing baskets or bundles");
  for (int64_t k = 0; k < nb; k++) {
    if (off[k + 1] < off[k] || off[k + 1] - off[k] < 1)
      return br_error_set(BR_ERR_ARG, "backtest: bundle %lld is empty", (long long)k + 1);
    for (int64_t p = off[k]; p < off[k + 1]; p++)
      if (items[p] < -1 || items[p] >= B.nitems)
        return br_error_set(BR_ERR_ARG, "backtest: bundle %lld holds item id %d, outside 0..%d", (long long)k + 1,
                            items[p], B.nitems - 1);
  }
  memset(out, 0, sizeof *out);
  out->nbaskets = B.n;
  out->nbundles = nb;
  inverted ix = {0};
  /* per basket: the last bundle that touched it (a stamp), whether some
   * bundle completed it, whether any touched it */
  int64_t *stamp = br_alloc("backtest", (size_t)B.n, sizeof *stamp);
  int32_t *count = br_alloc("backtest", (size_t)B.n, sizeof *count);
  unsigned char *hit = br_calloc("backtest", (size_t)B.n, 1);
  unsigned char *touched = br_calloc("backtest", (size_t)B.n, 1);
  unsigned char *in_bundle = br_calloc("backtest", (size_t)B.nitems, 1);
  int64_t total_len = nb > 0 ? off[nb] - off[0] : 0;
  int32_t *sorted = br_alloc("backtest", (size_t)total_len, sizeof *sorted);
  br_status st = BR_OK;
  if (!stamp || !count || !hit || !touched || !in_bundle || !sorted || !inverted_build(&ix, b)) {
    st = br_error_set(BR_ERR_NOMEM, "backtest: out of memory");
    goto done;
  }
  for (int64_t k = 0; k < B.n; k++) stamp[k] = -1;
  int64_t sum_complete = 0, sum_touched = 0;
  double sum_rate = 0;
  int64_t work = 0, last_touch = 0;
  for (int64_t k = 0; k < nb; k++) {
    /* a bundle costs about the baskets it touches (counted with the last one's) */
    if (deadline_poll(&work, 64 + last_touch)) {
      st = br_deadline_stop("backtest", k, "bundles");
      goto done;
    }
    int distinct = 0, missing = 0;
    int64_t complete = 0, touch = 0;
    for (int64_t p = off[k]; p < off[k + 1]; p++) {
      int32_t it = items[p];
      if (it < 0) {
        missing = 1;
        continue;
      }
      int dup = 0; /* an item listed twice counts once */
      for (int64_t q = off[k]; q < p && !dup; q++) dup = items[q] == it;
      if (dup) continue;
      distinct++;
      in_bundle[it] = 1;
      for (int64_t t = ix.start[it]; t < ix.start[it + 1]; t++) {
        int64_t bk = ix.tid[t];
        if (stamp[bk] != k) {
          stamp[bk] = k;
          count[bk] = 0;
          touch++;
          touched[bk] = 1;
        }
        count[bk]++;
      }
    }
    if (!missing)
      for (int64_t p = off[k]; p < off[k + 1]; p++) {
        if (items[p] < 0) continue;
        for (int64_t t = ix.start[items[p]]; t < ix.start[items[p] + 1]; t++) {
          int64_t bk = ix.tid[t];
          if (count[bk] == distinct) {
            complete++;
            hit[bk] = 1;
            count[bk] = -1; /* counted once */
          }
        }
      }
    double rate = touch > 0 ? (double)complete / (double)touch : 0;
    double pr = price ? price[k] : 0, co = cost ? cost[k] : 0;
    if (per) per[k] = (br_backtest_bundle){complete, touch, rate, (double)complete * pr, (double)complete * (pr - co)};
    sum_complete += complete;
    sum_touched += touch;
    last_touch = touch;
    sum_rate += rate;
    out->revenue += (double)complete * pr;
    out->margin += (double)complete * (pr - co);
  }
  for (int64_t k = 0; k < B.n; k++) {
    out->hits += hit[k];
    out->touched += touched[k];
  }
  out->hit_rate = B.n > 0 ? (double)out->hits / (double)B.n : 0;
  out->basket_coverage = B.n > 0 ? (double)out->touched / (double)B.n : 0;
  out->attach_rate = sum_touched > 0 ? (double)sum_complete / (double)sum_touched : 0;
  out->mean_attach_rate = nb > 0 ? sum_rate / (double)nb : 0;
  int64_t held = 0, covered = 0;
  for (int32_t i = 0; i < B.nitems; i++)
    if (ix.start[i + 1] > ix.start[i]) {
      held++;
      covered += in_bundle[i];
    }
  out->item_coverage = held > 0 ? (double)covered / (double)held : 0;
  /* diversity: each bundle's ids sorted once, then all pairs */
  if (nb > 1) {
    memcpy(sorted, items + off[0], (size_t)total_len * sizeof *sorted);
    for (int64_t k = 0; k < nb; k++)
      qsort(sorted + (off[k] - off[0]), (size_t)(off[k + 1] - off[k]), sizeof *sorted, cmp_i32);
    double sum = 0;
    for (int64_t i = 0; i < nb; i++) {
      if (deadline_poll(&work, 8 * (nb - i))) { /* all pairs: quadratic in the bundles */
        st = br_deadline_stop("backtest diversity", i, "bundles");
        goto done;
      }
      for (int64_t j = i + 1; j < nb; j++)
        sum += jaccard_distance(sorted + (off[i] - off[0]), off[i + 1] - off[i], sorted + (off[j] - off[0]),
                                off[j + 1] - off[j]);
    }
    out->diversity = sum / ((double)nb * (double)(nb - 1) / 2);
  }
done:
  inverted_free(&ix);
  br_free(stamp);
  br_free(count);
  br_free(hit);
  br_free(touched);
  br_free(in_bundle);
  br_free(sorted);
  return st;
}
