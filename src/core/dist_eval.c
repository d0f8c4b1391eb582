/* Distributed evaluation and the ALS Gram matrix: each rank computes on its
 * own baskets or rows, then additive figures are reduced and every ratio
 * is recomputed from the totals in the order one process uses, so the
 * figures equal a single process's bit for bit. */
#include <cblas.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "dist_internal.h"

br_status br_dist_backtest(br_backtest *out, br_backtest_bundle *per, br_comm *c, const br_baskets *b,
                           const int32_t *items, const int64_t *off, int64_t nb, const double *price,
                           const double *cost) {
  br_baskets_view bv = br_baskets_view_of(b);
  br_backtest_bundle *mine = br_alloc("dist", (size_t)nb, sizeof *mine);
  /* the counts: n, hits, touched, then complete and touched per bundle,
   * then per item 1 when some basket holds it */
  int64_t width = 3 + 2 * nb + bv.nitems;
  int64_t *v = br_calloc("dist", (size_t)width, sizeof *v);
  unsigned char *in_bundle = br_calloc("dist", (size_t)bv.nitems, 1);
  br_backtest local;
  br_status st = BR_OK;
  if (!mine || !v || !in_bundle) {
    st = br_error_set(BR_ERR_NOMEM, "dist backtest: out of memory");
    goto done;
  }
  /* a local failure (a bad bundle) is the same on every rank: the bundles are the same */
  if ((st = br_eval_backtest(&local, mine, b, items, off, nb, NULL, NULL)) != BR_OK) goto done;
  v[0] = local.nbaskets;
  v[1] = local.hits;
  v[2] = local.touched;
  for (int64_t k = 0; k < nb; k++) {
    v[3 + k] = mine[k].complete;
    v[3 + nb + k] = mine[k].touched;
  }
  for (int64_t p = 0; p < bv.off[bv.n]; p++) v[3 + 2 * nb + bv.items[p]] = 1;
  if ((st = br_comm_allreduce_i64(c, v, width, BR_COMM_SUM)) != BR_OK) goto done;
  br_backtest r = local; /* nbundles and diversity depend on the bundles only */
  r.nbaskets = v[0];
  r.hits = v[1];
  r.touched = v[2];
  r.revenue = r.margin = 0;
  int64_t sum_complete = 0, sum_touched = 0;
  double sum_rate = 0;
  for (int64_t k = 0; k < nb; k++) {
    int64_t complete = v[3 + k], touch = v[3 + nb + k];
    double rate = touch > 0 ? (double)complete / (double)touch : 0;
    double pr = price ? price[k] : 0, co = cost ? cost[k] : 0;
    if (per) per[k] = (br_backtest_bundle){complete, touch, rate, (double)complete * pr, (double)complete * (pr - co)};
    sum_complete += complete;
    sum_touched += touch;
    sum_rate += rate;
    r.revenue += (double)complete * pr;
    r.margin += (double)complete * (pr - co);
  }
  r.hit_rate = r.nbaskets > 0 ? (double)r.hits / (double)r.nbaskets : 0;
  r.basket_coverage = r.nbaskets > 0 ? (double)r.touched / (double)r.nbaskets : 0;
  r.attach_rate = sum_touched > 0 ? (double)sum_complete / (double)sum_touched : 0;
  r.mean_attach_rate = nb > 0 ? sum_rate / (double)nb : 0;
  for (int64_t p = off[0]; nb > 0 && p < off[nb]; p++)
    if (items[p] >= 0) in_bundle[items[p]] = 1;
  int64_t held = 0, covered = 0;
  for (int32_t i = 0; i < bv.nitems; i++)
    if (v[3 + 2 * nb + i] > 0) {
      held++;
      covered += in_bundle[i];
    }
  r.item_coverage = held > 0 ? (double)covered / (double)held : 0;
  *out = r;
done:
  br_free(mine);
  br_free(v);
  br_free(in_bundle);
  return st;
}

br_status br_dist_gram(double *gram, br_comm *c, const double *Y, int64_t rows, int f) {
  if (f < 1 || rows < 0) return br_error_set(BR_ERR_ARG, "dist gram: %lld rows of %d factors", (long long)rows, f);
  memset(gram, 0, (size_t)f * (size_t)f * sizeof *gram);
  if (rows > 0)
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, f, (int)rows, 1.0, Y, f, 0.0, gram, f);
  for (int i = 0; i < f; i++) /* the lower triangle from the upper */
    for (int j = 0; j < i; j++) gram[i * f + j] = gram[j * f + i];
  return br_comm_allreduce_f64(c, gram, (int64_t)f * f, BR_COMM_SUM);
}
