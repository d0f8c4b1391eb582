/* Heuristic search over a pool: beam search (the best `width` bundles of
 * each size grow by one item), greedy construction (from each of the best
 * pairs, add the item that helps most while one does) and simulated
 * annealing with add, remove and swap moves. Every bundle they score that
 * meets the constraints is collected; the result is the best of those. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"
#include "sort_index.h"
#include "deadline_internal.h"
#include "bundle/memory.h"

typedef struct scored_set {
  int32_t pos[BR_BUNDLE_MAX_ITEMS];
  int n;
  double total;
  int valid; /* a bundle the result may hold (not a partial one) */
} scored_set;

static int by_total_desc(const void *ctx, int64_t a, int64_t b) {
  const scored_set *s = ctx;
  return (s[a].total < s[b].total) - (s[a].total > s[b].total);
}

/* Scores a bundle of positions, once: a bundle already collected is read
 * back. Returns as search_pool_try: 1 scored and collected, 2 scored as a
 * partial bundle, 0 rejected, -1 error. */
static int score_once(search_pool *p, collector *c, const int32_t *pos, int n, double *total) {
  int32_t items[BR_BUNDLE_MAX_ITEMS];
  double vec[BR_MAX_OBJECTIVES];
  int64_t count;
  int partial = n < p->e->sp->min_size;
  if (!partial) {
    for (int i = 0; i < n; i++) items[i] = p->item[pos[i]];
    for (int i = 1; i < n; i++) { /* sorted, as the collector keys them */
      int32_t x = items[i];
      int j = i;
      for (; j > 0 && items[j - 1] > x; j--) items[j] = items[j - 1];
      items[j] = x;
    }
    int64_t k = collector_find(c, items, n);
    if (k >= 0) {
      *total = collector_total(c, k);
      return 1;
    }
  }
  if (p->e->evaluations >= p->e->sp->max_evaluations) {
    search_budget_error(p->e->sp);
    return -1;
  }
  int ok = search_pool_try(p, pos, n, partial, items, &count, vec, total);
  if (ok == 1 && collector_add(c, items, n, vec, *total) != BR_OK) return -1;
  return ok;
}

static int best_pair_first(const void *x, const void *y) {
  const scored_pair *u = x, *v = y;
  if (u->total != v->total) return u->total > v->total ? -1 : 1;
  if (u->pos[0] != v->pos[0]) return u->pos[0] < v->pos[0] ? -1 : 1;
  return (u->pos[1] > v->pos[1]) - (u->pos[1] < v->pos[1]);
}

br_status search_best_pairs(search_pool *p, collector *c, int64_t keep, scored_pair **pairs, int64_t *n) {
  /* a heap of the best `keep` pairs (worst at the root) */
  scored_pair *h = br_alloc("search", (size_t)keep, sizeof *h);
  int64_t hn = 0;
  if (!h) return br_error_set(BR_ERR_NOMEM, "search: out of memory");
  for (int32_t a = 0; a < p->np; a++)
    for (int32_t k = 0; k < p->nnbr[a]; k++) {
      int32_t b = p->nbr[a][k];
      if (b < a) continue;
      int32_t two[2] = {a, b};
      double total;
      int ok = score_once(p, c, two, 2, &total);
      if (ok < 0) {
        br_free(h);
        return search_fail_status();
      }
      if (!ok) continue;
      scored_pair x = {{a, b}, total, ok == 1};
      if (hn < keep) {
        int64_t i = hn++;
        h[i] = x;
        while (i > 0 && h[(i - 1) / 2].total > h[i].total) {
          scored_pair t = h[i];
          h[i] = h[(i - 1) / 2];
          h[(i - 1) / 2] = t;
          i = (i - 1) / 2;
        }
      } else if (total > h[0].total) {
        h[0] = x;
        for (int64_t i = 0;;) {
          int64_t l = 2 * i + 1, r = l + 1, w = i;
          if (l < hn && h[l].total < h[w].total) w = l;
          if (r < hn && h[r].total < h[w].total) w = r;
          if (w == i) break;
          scored_pair t = h[i];
          h[i] = h[w];
          h[w] = t;
          i = w;
        }
      }
    }
  /* best first; ties by position, so the order never depends on the heap
   * (a total order: pairs are distinct). qsort, not an insertion sort: with
   * keep = every pair (greedy with a large top) that was quadratic, 1.3 s
   * for 45,000 pairs with no deadline check inside. */
  qsort(h, (size_t)hn, sizeof *h, best_pair_first);
  *pairs = h;
  *n = hn;
  return BR_OK;
}

/* The member with the fewest neighbours: every item that can join is among them. */
static int32_t rarest(const search_pool *p, const int32_t *pos, int n) {
  int32_t best = pos[0];
  for (int i = 1; i < n; i++)
    if (p->nnbr[pos[i]] < p->nnbr[best]) best = pos[i];
  return best;
}

static int cmp_set(const void *a, const void *b) {
  const scored_set *x = a, *y = b;
  if (x->n != y->n) return x->n - y->n;
  return memcmp(x->pos, y->pos, (size_t)x->n * sizeof *x->pos);
}

static int by_set(const void *ctx, int64_t a, int64_t b) {
  const scored_set *s = ctx;
  return cmp_set(&s[a], &s[b]);
}

/* Beam search; with greedy, each of the `top` best pairs grows on its own
 * by the best item while that improves the score (or min_size needs it). */
br_status search_beam(search_pool *p, collector *c, int width, int greedy) {
  const br_search_spec *sp = p->e->sp;
  if (width < 1) return br_error_set(BR_ERR_ARG, "search: beam_width must be at least 1, got %d", width);
  br_status s = search_pool_neighbours(p);
  scored_pair *pairs = NULL;
  int64_t npairs = 0;
  if (s == BR_OK) s = search_best_pairs(p, c, greedy ? sp->top : width, &pairs, &npairs);
  if (s != BR_OK) return s;
  int64_t nbeams = greedy ? npairs : 1; /* greedy: one beam of width 1 per seed pair */
  int64_t bw = greedy ? 1 : width;
  scored_set *beam = br_alloc("search", (size_t)(npairs > bw ? npairs : bw), sizeof *beam);
  scored_set *next = NULL;
  int64_t cap = 0;
  if (!beam) goto oom;
  for (int64_t g = 0; g < nbeams && s == BR_OK; g++) {
    int64_t nb = 0;
    for (int64_t i = greedy ? g : 0; i < (greedy ? g + 1 : npairs); i++)
      beam[nb++] = (scored_set){{pairs[i].pos[0], pairs[i].pos[1]}, 2, pairs[i].total, pairs[i].valid};
    for (int size = 3; size <= sp->max_size && nb > 0; size++) {
      /* every one-item extension of every beam member, each once */
      int64_t m = 0;
      for (int64_t b = 0; b < nb; b++) {
        int32_t r = rarest(p, beam[b].pos, beam[b].n);
        /* a wide beam makes millions of extensions before it scores one;
         * the sort below is one step (about 0.2 s per million) */
        if (deadline_poll(&p->e->work, p->nnbr[r] + 1)) {
          s = br_deadline_stop("search", p->e->evaluations, "bundles scored");
          goto done;
        }
        if (m + p->nnbr[r] > cap) {
          cap = (m + p->nnbr[r]) * 2;
          scored_set *t = br_realloc("search", next, (size_t)cap, sizeof *t);
          if (!t) goto oom;
          next = t;
        }
        for (int32_t k = 0; k < p->nnbr[r]; k++) {
          int32_t q = p->nbr[r][k];
          if (search_pool_holds(beam[b].pos, beam[b].n, q)) continue;
          scored_set *x = &next[m++];
          *x = beam[b];
          x->pos[x->n++] = q;
          for (int i = x->n - 1; i > 0 && x->pos[i - 1] > x->pos[i]; i--) {
            int32_t t = x->pos[i];
            x->pos[i] = x->pos[i - 1];
            x->pos[i - 1] = t;
          }
        }
      }
      /* the extensions in set order (to drop repeats), by index: a sort of
       * millions of them polls the deadline, as qsort could not */
      int64_t *order = br_alloc("search", (size_t)m, sizeof *order);
      if (!order) goto oom;
      for (int64_t i = 0; i < m; i++) order[i] = i;
      int sorted = sort_index_polled(order, m, by_set, next);
      int64_t u = 0, prev = -1;
      for (int64_t k = 0; k < m && sorted > 0; k++) {
        int64_t i = order[k];
        if (prev >= 0 && cmp_set(&next[prev], &next[i]) == 0) continue;
        prev = i;
        int ok = score_once(p, c, next[i].pos, next[i].n, &next[i].total);
        if (ok < 0) {
          s = search_fail_status();
          break;
        }
        next[i].valid = ok == 1;
        if (ok) order[u++] = i; /* u <= k: order[k] was read already */
      }
      /* then the scored ones, best first (stable: ties keep set order) */
      if (sorted > 0 && s == BR_OK && u > 1) sorted = sort_index_polled(order, u, by_total_desc, next);
      if (sorted <= 0) {
        br_free(order);
        if (sorted == 0) goto oom;
        s = br_deadline_stop("search", p->e->evaluations, "bundles scored");
        goto done;
      }
      if (s != BR_OK || u == 0) {
        br_free(order);
        break;
      }
      int64_t keep = u < bw ? u : bw;
      /* greedy stops when the best extension does not improve, unless min_size needs more */
      if (greedy && beam[0].valid && next[order[0]].total <= beam[0].total) keep = 0;
      for (int64_t i = 0; i < keep; i++) beam[i] = next[order[i]];
      nb = keep;
      br_free(order);
    }
  }
done:
  br_free(beam);
  br_free(next);
  br_free(pairs);
  return s;
oom:
  br_free(beam);
  br_free(next);
  br_free(pairs);
  return br_error_set(BR_ERR_NOMEM, "search: out of memory");
}

/* ---- simulated annealing ---- */

br_status search_anneal(search_pool *p, collector *c) {
  const br_search_spec *sp = p->e->sp;
  if (sp->iterations < 1 || sp->restarts < 1)
    return br_error_set(BR_ERR_ARG, "search: anneal needs iterations >= 1 and restarts >= 1");
  br_status s = search_pool_neighbours(p);
  scored_pair *pairs = NULL;
  int64_t npairs = 0;
  if (s == BR_OK) s = search_best_pairs(p, c, sp->restarts, &pairs, &npairs);
  if (s != BR_OK) return s;
  br_rng rng;
  br_rng_seed(&rng, sp->seed);
  /* the temperature starts at a tenth of the best pair's score scale and
   * cools geometrically a thousandfold */
  double scale = npairs > 0 ? fabs(pairs[0].total) : 1;
  if (npairs > 1 && pairs[0].total - pairs[npairs - 1].total > 0) scale = pairs[0].total - pairs[npairs - 1].total;
  double t0 = 0.1 * (scale > 0 ? scale : 1), cool = pow(1e-3, 1.0 / (double)sp->iterations);
  for (int64_t r = 0; r < npairs && s == BR_OK; r++) {
    int32_t cur[BR_BUNDLE_MAX_ITEMS] = {pairs[r].pos[0], pairs[r].pos[1]};
    int n = 2;
    double cur_total = pairs[r].total;
    /* below min_size: grow at random to a bundle that passes */
    for (int tries = 0; n < sp->min_size && tries < 64; tries++) {
      int32_t q = search_pool_joiner(p, &rng, cur, n);
      if (q < 0) continue;
      cur[n] = q;
      double t;
      int ok = score_once(p, c, cur, n + 1, &t);
      if (ok < 0) s = search_fail_status();
      if (ok >= 1) n++, cur_total = t;
    }
    if (s != BR_OK || n < sp->min_size) continue;
    double temp = t0;
    for (int64_t it = 0; it < sp->iterations; it++, temp *= cool) {
      /* polled here, not only where a bundle is scored: a move that finds
       * no joiner, or a bundle the collector has seen, scores nothing, and
       * with a small pool that can be every move of 2^63 iterations */
      if (deadline_poll(&p->e->work, 1)) {
        s = br_deadline_stop("search", p->e->evaluations, "bundles scored");
        break;
      }
      int32_t cand[BR_BUNDLE_MAX_ITEMS];
      int m = n;
      memcpy(cand, cur, (size_t)n * sizeof *cand);
      uint64_t move = br_rng_below(&rng, 3); /* 0 add, 1 remove, 2 swap */
      if (move == 0 && n < sp->max_size) {
        int32_t q = search_pool_joiner(p, &rng, cur, n);
        if (q < 0) continue;
        cand[m++] = q;
      } else if (move == 1 && n > sp->min_size) {
        cand[br_rng_below(&rng, (uint64_t)n)] = cand[--m];
      } else {
        int out = (int)br_rng_below(&rng, (uint64_t)n);
        int32_t q = search_pool_joiner(p, &rng, cur, n);
        if (q < 0) continue;
        cand[out] = q;
      }
      double t;
      int ok = score_once(p, c, cand, m, &t);
      if (ok < 0) {
        s = search_fail_status();
        break;
      }
      if (!ok) continue;
      if (t >= cur_total || br_rng_uniform(&rng) < exp((t - cur_total) / temp)) {
        memcpy(cur, cand, (size_t)m * sizeof *cur);
        n = m;
        cur_total = t;
      }
    }
  }
  br_free(pairs);
  return s;
}
