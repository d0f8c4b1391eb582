/* br_dist_frequent: frequent itemsets over all ranks' baskets by count
 * distribution (Agrawal and Shafer, IEEE TKDE 1996), level by level:
 *   1. items: local supports and basket counts, one allreduce;
 *   2. pairs: each rank lists its pairs of frequent items that reach its
 *      share of the threshold, ceil(min_count x n_rank / n) (a pair
 *      frequent over all ranks reaches it on at least one, so the union
 *      holds every answer, and no rank lists all pairs of 20,000 items);
 *      the union (one allgather) is counted on every rank, one allreduce;
 *   3+. candidates of size k from the frequent (k-1)-itemsets (join on a
 *      common prefix, prune by every subset), the same on every rank,
 *      counted on each rank's baskets, one allreduce per level.
 * Counting divides among ranks; only candidate lists are replicated.
 * Parallel FP-growth's grouping (dist_mine.c) ships each basket to every
 * group it touches, so with baskets longer than the number of ranks every
 * rank mines nearly everything (measured in docs/BENCHMARKS.md); mining
 * each rank's share at the share threshold (the partition algorithm)
 * explodes on a rank that holds a few repeated large baskets. */
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "memory_internal.h"
#include "basket_build.h"
#include "dist_internal.h"

/* 1 when sorted items[lo..hi) holds v */
static int holds(const int32_t *items, int64_t lo, int64_t hi, int32_t v) {
  while (lo < hi) {
    int64_t mid = lo + (hi - lo) / 2;
    if (items[mid] == v) return 1;
    if (items[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return 0;
}

/* The baskets of each item: tid[start[i] .. start[i + 1]). */
typedef struct tidlists {
  int64_t *start, *tid;
} tidlists;

static int tidlists_build(tidlists *t, const br_baskets_view *b, const int64_t *sup) {
  int32_t G = b->nitems;
  t->start = br_calloc("dist", (size_t)G + 1, sizeof *t->start);
  t->tid = br_alloc("dist", (size_t)b->off[b->n], sizeof *t->tid);
  int64_t *fill = br_alloc("dist", (size_t)G + 1, sizeof *fill);
  if (!t->start || !t->tid || !fill) {
    br_free(fill);
    return 0;
  }
  for (int32_t i = 0; i < G; i++) t->start[i + 1] = t->start[i] + sup[i];
  memcpy(fill, t->start, ((size_t)G + 1) * sizeof *fill);
  for (int64_t k = 0; k < b->n; k++)
    for (int64_t p = b->off[k]; p < b->off[k + 1]; p++) t->tid[fill[b->items[p]]++] = k;
  br_free(fill);
  return 1;
}

/* counts[c] = this rank's baskets holding all k items of candidate c (flat,
 * k ints each): the basket list of its locally rarest item, the others
 * looked up in each basket. */
static void count_candidates(int64_t *counts, const br_baskets_view *b, const tidlists *t, const int64_t *sup,
                             const int32_t *cand, int64_t ncand, int k) {
  for (int64_t c = 0; c < ncand; c++) {
    const int32_t *it = cand + c * k;
    int32_t rare = it[0];
    for (int q = 1; q < k; q++)
      if (sup[it[q]] < sup[rare]) rare = it[q];
    int64_t n = 0;
    for (int64_t x = t->start[rare]; x < t->start[rare + 1]; x++) {
      int64_t bk = t->tid[x];
      int all = 1;
      for (int q = 0; q < k && all; q++)
        if (it[q] != rare) all = holds(b->items, b->off[bk], b->off[bk + 1], it[q]);
      n += all;
    }
    counts[c] = n;
  }
}

/* counts[c] for the pairs cand[2c], cand[2c+1]: from the sorted local pair
 * counts (pa < pb), 0 when absent here. */
static void pair_counts(int64_t *counts, const int32_t *cand, int64_t ncand, const int32_t *pa, const int32_t *pb,
                        const int64_t *pc, int64_t npairs) {
  for (int64_t c = 0; c < ncand; c++) {
    int32_t a = cand[2 * c], b = cand[2 * c + 1];
    int64_t lo = 0, hi = npairs;
    while (lo < hi) {
      int64_t mid = lo + (hi - lo) / 2;
      if (pa[mid] < a || (pa[mid] == a && pb[mid] < b)) lo = mid + 1;
      else hi = mid;
    }
    counts[c] = lo < npairs && pa[lo] == a && pb[lo] == b ? pc[lo] : 0;
  }
}

/* b's baskets keeping only items with gsup >= minc (ids and labels kept);
 * sup becomes the local supports of the kept items (0 for the others). */
static br_baskets *frequent_only(const br_baskets *like, const int64_t *gsup, int64_t minc, int64_t *sup) {
  br_baskets_view b = br_baskets_view_of(like);
  /* room for every item: no basket grows the arrays */
  baskets_builder *bb = baskets_builder_like(like, b.n, b.off[b.n]);
  if (!bb) return NULL;
  for (int64_t k = 0; k < b.n; k++) {
    int32_t *row = baskets_builder_room(bb, b.off[k + 1] - b.off[k]);
    if (!row) {
      baskets_builder_free(bb);
      return NULL;
    }
    int64_t w = 0;
    for (int64_t p = b.off[k]; p < b.off[k + 1]; p++)
      if (gsup[b.items[p]] >= minc) row[w++] = b.items[p];
    baskets_builder_close(bb, w);
  }
  for (int32_t i = 0; i < b.nitems; i++)
    if (gsup[i] < minc) sup[i] = 0;
  return baskets_builder_finish(bb);
}

static int sort_k; /* the width of the itemsets qsort compares (no context argument) */
static int cmp_itemset(const void *a, const void *b) {
  const int32_t *x = a, *y = b;
  for (int q = 0; q < sort_k; q++)
    if (x[q] != y[q]) return x[q] < y[q] ? -1 : 1;
  return 0;
}

/* Candidates of size k from the sorted frequent (k-1)-itemsets L (n of
 * them): pairs sharing their first k-2 items, kept when every (k-1)-subset
 * is in L. Sorted, as L is. */
static int apriori_gen(ibuf *out, const int32_t *L, int64_t n, int k) {
  int32_t sub[64];
  sort_k = k - 1;
  for (int64_t i = 0; i < n; i++) {
    const int32_t *a = L + i * (k - 1);
    for (int64_t j = i + 1; j < n; j++) {
      const int32_t *c = L + j * (k - 1);
      if (memcmp(a, c, (size_t)(k - 2) * sizeof *a) != 0) break; /* sorted: the block ended */
      int keep = 1;
      for (int drop = 0; drop < k - 2 && keep; drop++) { /* subsets without one prefix item */
        int w = 0;
        for (int q = 0; q < k - 1; q++)
          if (q != drop) sub[w++] = a[q];
        sub[w] = c[k - 2];
        keep = bsearch(sub, L, (size_t)n, (size_t)(k - 1) * sizeof *L, cmp_itemset) != NULL;
      }
      if (!keep) continue;
      for (int q = 0; q < k - 1; q++)
        if (!ibuf_push(out, a[q])) return 0;
      if (!ibuf_push(out, c[k - 2])) return 0;
    }
  }
  return 1;
}

br_status br_dist_frequent(br_itemsets **out, br_comm *c, const br_baskets *b, const br_mine_options *o) {
  br_mine_options dflt;
  br_status st = dist_check_mine_options(&o, &dflt);
  if (st != BR_OK) return st;
  if (o->max_size > 62) return br_error_set(BR_ERR_ARG, "dist frequent: max_size %d (at most 62 across ranks)", o->max_size);
  int32_t G = br_baskets_nitems(b);
  int64_t n = br_baskets_size(b);
  int64_t *sup = br_calloc("dist", (size_t)G + 1, sizeof *sup), *gsup = br_alloc("dist", (size_t)G + 1, sizeof *gsup);
  int64_t *counts = NULL, *lens = NULL, npairs = 0, *pc = NULL;
  int32_t *pa = NULL, *pb = NULL, *all = NULL, *L = NULL;
  ibuf cand = {0}, keep = {0};
  tidlists t = {0};
  br_baskets *fb = NULL;
  int64_t limit = o->max_itemsets > 0 ? o->max_itemsets : 5000000;
  if (!sup || !gsup) goto oom;
  /* level 1 */
  br_baskets_item_support(b, sup);
  sup[G] = n;
  memcpy(gsup, sup, ((size_t)G + 1) * sizeof *gsup);
  if ((st = br_comm_allreduce_i64(c, gsup, (int64_t)G + 1, BR_COMM_SUM)) != BR_OK) goto done;
  int64_t total = gsup[G], minc = dist_min_count(o, total), found = 0;
  int max_size = o->max_size > 0 ? o->max_size : 62, min_size = o->min_size;
  for (int32_t i = 0; i < G; i++)
    if (gsup[i] >= minc && min_size <= 1 && !dist_push_record(&keep, &i, 1, gsup[i])) goto oom;
  /* from here on only frequent items count: this rank's baskets without the others */
  if (!(fb = frequent_only(b, gsup, minc, sup))) goto oom;
  br_baskets_view fv = br_baskets_view_of(fb);
  if (!tidlists_build(&t, &fv, sup)) goto oom;
  /* level 2: every local pair count among frequent items; candidates are
   * the union of the pairs that reach this rank's share of the threshold */
  if (max_size >= 2) {
    if ((st = br_baskets_cooccurrence(fb, 1, &npairs, &pa, &pb, &pc)) != BR_OK) goto done;
    unsigned __int128 share = n > 0 ? ((unsigned __int128)minc * (unsigned __int128)n + (unsigned __int128)total - 1) /
                                          (unsigned __int128)total : 1;
    for (int64_t p = 0; p < npairs; p++) /* pa < pb, sorted by (pa, pb) */
      if ((unsigned __int128)pc[p] >= share && (!ibuf_push(&cand, pa[p]) || !ibuf_push(&cand, pb[p]))) goto oom;
    if ((st = br_comm_gather(c, cand.v, cand.n * (int64_t)sizeof(int32_t), -1, (void **)&all, &lens)) != BR_OK) goto done;
    int64_t nall = 0;
    for (int r = 0; r < c->size; r++) nall += lens[r] / (int64_t)(2 * sizeof(int32_t));
    sort_k = 2;
    qsort(all, (size_t)nall, 2 * sizeof *all, cmp_itemset);
    cand.n = 0;
    for (int64_t p = 0; p < nall; p++)
      if (p == 0 || cmp_itemset(all + 2 * p, all + 2 * (p - 1)) != 0)
        if (!ibuf_push(&cand, all[2 * p]) || !ibuf_push(&cand, all[2 * p + 1])) goto oom;
  }
  /* levels 2, 3, ...: count the candidates, sum, keep; the kept are the next join's input */
  for (int k = 2; k <= max_size && cand.n > 0; k++) {
    int64_t ncand = cand.n / k, nl = 0;
    br_free(counts);
    if (!(counts = br_alloc("dist", (size_t)ncand, sizeof *counts))) goto oom;
    if (k == 2) pair_counts(counts, cand.v, ncand, pa, pb, pc, npairs);
    else count_candidates(counts, &fv, &t, sup, cand.v, ncand, k);
    if ((st = br_comm_allreduce_i64(c, counts, ncand, BR_COMM_SUM)) != BR_OK) goto done;
    for (int64_t q = 0; q < ncand; q++) {
      if (counts[q] < minc) continue;
      memmove(cand.v + nl * k, cand.v + q * k, (size_t)k * sizeof *cand.v); /* L in place, still sorted */
      if (k >= min_size && !dist_push_record(&keep, cand.v + nl * k, k, counts[q])) goto oom;
      nl++;
    }
    found += nl;
    if (found > limit) { /* the same on every rank: the counts are global */
      st = br_error_set(BR_ERR_LIMIT, "dist frequent: more than %lld itemsets at a count of %lld; raise min_support "
                        "(or min_count), lower max_size, or raise max_itemsets", (long long)limit, (long long)minc);
      goto done;
    }
    br_free(L);
    if (!(L = br_alloc("dist", mem_mul((size_t)nl, (size_t)k), sizeof *L))) goto oom;
    memcpy(L, cand.v, (size_t)(nl * k) * sizeof *L);
    cand.n = 0;
    if (k < max_size && !apriori_gen(&cand, L, nl, k + 1)) goto oom;
  }
  st = dist_itemsets_from_records(out, keep.v, keep.n, total, gsup, G);
  goto done;
oom:
  st = br_error_set(BR_ERR_NOMEM, "dist frequent: out of memory");
done:
  br_free(sup);
  br_free(gsup);
  br_free(counts);
  br_free_out(lens);
  br_free_out(pa);
  br_free_out(pb);
  br_free_out(pc);
  br_free_out(all);
  br_free(L);
  br_free(cand.v);
  br_free(keep.v);
  br_free(t.start);
  br_free(t.tid);
  br_baskets_free(fb);
  return st;
}
