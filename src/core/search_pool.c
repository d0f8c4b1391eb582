/* A pool of items to build bundles from: the pair counts of its items, the
 * pair tests (compatible, the co-occurrence graph, min_count), and exact
 * search over it: depth-first enumeration pruned by every constraint that
 * only gets worse as items join, and by the objective's upper bound. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"
#include "deadline_internal.h"
#include "bundle/memory.h"
#include "memory_internal.h"

/* ---- pair counts ---- */

static int64_t tri(int32_t np, int32_t i, int32_t j) { /* i < j */
  return (int64_t)i * np - (int64_t)i * (i + 1) / 2 + (j - i - 1);
}

void pair_cache_free(pair_cache *pc) {
  br_free(pc->pos);
  br_free(pc->count);
  memset(pc, 0, sizeof *pc);
}

br_status pair_cache_build(pair_cache *pc, const br_bundle_stats *st, const int32_t *pool, int32_t np) {
  memset(pc, 0, sizeof *pc);
  const br_catalog *cat = bundle_stats_catalog(st);
  int32_t nc = br_catalog_size(cat);
  int64_t npairs = (int64_t)np * (np - 1) / 2;
  pc->np = np;
  pc->pos = br_alloc("search", (size_t)nc, sizeof *pc->pos);
  pc->count = br_calloc("search", (size_t)npairs, sizeof *pc->count);
  int32_t *in = br_alloc("search", (size_t)np, sizeof *in);
  if (!pc->pos || !pc->count || !in) {
    br_free(in);
    pair_cache_free(pc);
    return br_error_set(BR_ERR_NOMEM, "search: out of memory for the pool's pair counts");
  }
  memset(pc->pos, 0xff, (size_t)nc * sizeof *pc->pos);
  for (int32_t i = 0; i < np; i++) pc->pos[pool[i]] = i;
  const br_baskets *b = st->b;
  const br_baskets_view B = br_baskets_view_of(b);
  for (int64_t k = 0; b && k < B.n; k++) {
    int32_t m = 0;
    for (int64_t q = B.off[k]; q < B.off[k + 1]; q++) {
      int32_t p = pc->pos[st->to_cat[B.items[q]]];
      if (p >= 0) in[m++] = p;
    }
    for (int32_t x = 0; x < m; x++)
      for (int32_t y = x + 1; y < m; y++) {
        int32_t i = in[x] < in[y] ? in[x] : in[y], j = in[x] ^ in[y] ^ i;
        pc->count[tri(np, i, j)]++;
      }
  }
  br_free(in);
  return BR_OK;
}

int64_t pair_cache_count(const pair_cache *pc, int32_t a, int32_t b) {
  if (!pc->pos) return -1;
  int32_t i = pc->pos[a], j = pc->pos[b];
  if (i < 0 || j < 0 || i == j) return -1;
  if (i > j) {
    int32_t t = i;
    i = j;
    j = t;
  }
  return pc->count[tri(pc->np, i, j)];
}

/* ---- the pool ---- */

void search_pool_free(search_pool *p) {
  br_free(p->item);
  br_free(p->bits);
  pair_cache_free(&p->pairs);
  br_free(p->compat);
  if (p->nbr) br_free(p->nbr[0]);
  br_free(p->nbr);
  br_free(p->nnbr);
  if (p->e) p->e->pairs = NULL;
  memset(p, 0, sizeof *p);
}

static int cmp_i32(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

br_status search_pool_init(search_pool *p, search_eval *e, const int32_t *pool, int32_t npool) {
  memset(p, 0, sizeof *p);
  const br_search_spec *sp = e->sp;
  const br_catalog *cat = e->cat;
  int32_t nc = br_catalog_size(cat);
  p->e = e;
  p->st = e->st;
  int64_t nb = br_bundle_nbaskets(e->st);
  /* a bundle must have been bought together min_count times, and min_support */
  p->min_count = nb > 0 && sp->min_count > 0 ? sp->min_count : 0;
  if (!isnan(sp->min_support) && nb > 0) {
    int64_t need = (int64_t)ceil(sp->min_support * (double)nb - 1e-9);
    if (need > p->min_count) p->min_count = need;
  }
  e->min_count = p->min_count;
  int32_t n = pool ? npool : nc;
  p->item = br_alloc("search", (size_t)n, sizeof *p->item);
  uint8_t *mark = br_calloc("search", (size_t)nc, 1);
  if (!p->item || !mark) {
    br_free(mark);
    return br_error_set(BR_ERR_NOMEM, "search: out of memory");
  }
  for (int32_t i = 0; i < n; i++) {
    int32_t id = pool ? pool[i] : i;
    if (id < 0 || id >= nc) {
      br_free(mark);
      return br_error_set(BR_ERR_ARG, "search: pool item %d is not a catalogue id", i + 1);
    }
    mark[id] = 1; /* duplicates collapse */
  }
  for (int32_t i = 0; i < sp->nexclude; i++)
    if (mark[sp->exclude[i]]) mark[sp->exclude[i]] = 0, e->rej[REJ_EXCLUDE]++;
  for (int32_t i = 0; i < nc; i++) {
    if (!mark[i]) continue;
    double stock = br_catalog_stock(cat, i);
    if (!isnan(sp->min_stock) && (isnan(stock) || stock < sp->min_stock)) {
      e->rej[REJ_STOCK]++;
      continue;
    }
    if (nb > 0 && br_bundle_item_count(e->st, i) < p->min_count) {
      e->rej[REJ_COUNT_MIN]++;
      continue;
    }
    p->item[p->np++] = i;
  }
  for (int32_t i = 0; i < sp->nmust; i++) {
    int32_t id = sp->must_include[i];
    if (!bsearch(&id, p->item, (size_t)p->np, sizeof id, cmp_i32)) {
      size_t len;
      const char *l = br_catalog_label(cat, id, &len);
      br_free(mark);
      return br_error_set(BR_ERR_ARG, "search: no bundle satisfies must_include: '%.*s' is not in the pool, or "
                                      "exclude, min_stock or min_count removed it", (int)(len > 60 ? 60 : len), l);
    }
  }
  br_free(mark);
  if (p->np < sp->min_size)
    return br_error_set(BR_ERR_ARG, "search: no bundle satisfies the constraints: the pool has %d usable item%s and "
                                    "bundles need %d (exclude, min_stock and min_count remove items)",
                        p->np, p->np == 1 ? "" : "s", sp->min_size);
  if (nb > 0 && p->np <= PAIR_CACHE_MAX) {
    br_status s = pair_cache_build(&p->pairs, e->st, p->item, p->np);
    if (s != BR_OK) return s;
    p->has_pairs = 1;
    e->pairs = &p->pairs;
  }
  if (sp->compatible && p->np <= PAIR_CACHE_MAX) {
    p->compat = br_calloc("search", mem_mul((size_t)p->np, (size_t)p->np), 1);
    if (!p->compat) return br_error_set(BR_ERR_NOMEM, "search: out of memory");
  }
  return BR_OK;
}

static int64_t pair_count(search_pool *p, int32_t a, int32_t b) {
  if (p->has_pairs) return p->pairs.count[tri(p->np, a < b ? a : b, a < b ? b : a)];
  int32_t two[2] = {p->item[a < b ? a : b], p->item[a < b ? b : a]};
  return br_bundle_count(p->st, two, 2);
}

int search_pool_pair_ok(search_pool *p, int32_t a, int32_t b) {
  const br_search_spec *sp = p->e->sp;
  if (sp->compatible) {
    uint8_t *memo = p->compat ? &p->compat[(size_t)(a < b ? a : b) * (size_t)p->np + (size_t)(a < b ? b : a)] : NULL;
    if (!memo || !*memo) {
      int ok = sp->compatible(sp->compatible_ctx, p->item[a], p->item[b]);
      if (ok < 0) return -1;
      if (memo) *memo = ok ? 1 : 2;
      if (!ok) {
        p->e->rej[REJ_COMPATIBLE]++;
        return 0;
      }
    } else if (*memo == 2) {
      p->e->rej[REJ_COMPATIBLE]++;
      return 0;
    }
  }
  if (p->min_count > 0 || sp->pair_min_count > 0 || sp->pair_min_lift > 0) {
    int64_t c = pair_count(p, a, b);
    if (c < p->min_count) {
      p->e->rej[REJ_COUNT_MIN]++;
      return 0;
    }
    if (c < sp->pair_min_count) {
      p->e->rej[REJ_PAIR]++;
      return 0;
    }
    if (sp->pair_min_lift > 0) {
      double nb = (double)br_bundle_nbaskets(p->st);
      double l = (double)c * nb / ((double)br_bundle_item_count(p->st, p->item[a]) * (double)br_bundle_item_count(p->st, p->item[b]));
      if (!(l >= sp->pair_min_lift)) {
        p->e->rej[REJ_PAIR]++;
        return 0;
      }
    }
  }
  return 1;
}

br_status search_pool_neighbours(search_pool *p) {
  int32_t np = p->np;
  p->nnbr = br_calloc("search", (size_t)np, sizeof *p->nnbr);
  p->nbr = br_calloc("search", (size_t)np, sizeof *p->nbr); /* nbr[0] owns the lists: NULL until they exist */
  /* Without pair counts every pair test costs an intersection: then every
   * item neighbours every other and the tests run when bundles are tried. */
  int test = p->has_pairs || np <= 512;
  /* one test a pair (callbacks and rejection counts run once), kept as bits */
  uint64_t *edge = test ? br_calloc("search", mem_mul((size_t)np, (size_t)np) / 64 + 1, sizeof *edge) : NULL;
  int64_t total = 0;
  int32_t *flat = NULL;
  if (!p->nnbr || !p->nbr || (test && !edge)) goto oom;
  for (int32_t a = 0; a < np; a++)
    for (int32_t b = a + 1; b < np; b++) {
      int ok = test ? search_pool_pair_ok(p, a, b) : 1;
      if (ok < 0) {
        br_free(edge);
        return BR_ERR_ARG;
      }
      if (!ok) continue;
      p->nnbr[a]++, p->nnbr[b]++;
      if (edge) edge[((size_t)a * (size_t)np + (size_t)b) / 64] |= 1ull << (((size_t)a * (size_t)np + (size_t)b) % 64);
    }
  for (int32_t a = 0; a < np; a++) total += p->nnbr[a];
  flat = br_alloc("search", (size_t)total, sizeof *flat);
  if (!flat) goto oom;
  int64_t at = 0;
  for (int32_t a = 0; a < np; a++) {
    p->nbr[a] = flat + at;
    at += p->nnbr[a];
    p->nnbr[a] = 0;
  }
  for (int32_t a = 0; a < np; a++)
    for (int32_t b = a + 1; b < np; b++) {
      size_t bit = (size_t)a * (size_t)np + (size_t)b;
      if (!edge || (edge[bit / 64] >> (bit % 64) & 1)) p->nbr[a][p->nnbr[a]++] = b, p->nbr[b][p->nnbr[b]++] = a;
    }
  br_free(edge);
  return BR_OK;
oom:
  br_free(edge);
  return br_error_set(BR_ERR_NOMEM, "search: out of memory for the co-occurrence graph");
}

int search_pool_holds(const int32_t *pos, int n, int32_t q) {
  for (int i = 0; i < n; i++)
    if (pos[i] == q) return 1;
  return 0;
}

int32_t search_pool_joiner(const search_pool *p, br_rng *r, const int32_t *pos, int n) {
  for (int tries = 0; tries < 8; tries++) {
    int32_t m = pos[br_rng_below(r, (uint64_t)n)];
    if (p->nnbr[m] == 0) continue;
    int32_t q = p->nbr[m][br_rng_below(r, (uint64_t)p->nnbr[m])];
    if (!search_pool_holds(pos, n, q)) return q;
  }
  return -1;
}

int search_pool_try(search_pool *p, const int32_t *pos_in, int n, int partial, int32_t *items, int64_t *count,
                    double *vec, double *total) {
  int32_t pos[BR_BUNDLE_MAX_ITEMS];
  memcpy(pos, pos_in, (size_t)n * sizeof *pos);
  for (int i = 1; i < n; i++) { /* positions ascending = catalogue ids ascending */
    int32_t x = pos[i];
    int j = i;
    for (; j > 0 && pos[j - 1] > x; j--) pos[j] = pos[j - 1];
    pos[j] = x;
  }
  for (int i = 0; i < n; i++) items[i] = p->item[pos[i]];
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      int ok = search_pool_pair_ok(p, pos[i], pos[j]);
      if (ok <= 0) return ok;
    }
  int64_t c = 0;
  if (br_bundle_nbaskets(p->st) > 0) c = n == 2 ? pair_count(p, pos[0], pos[1]) : br_bundle_count(p->st, items, n);
  if (c < p->min_count) {
    p->e->rej[REJ_COUNT_MIN]++;
    return 0;
  }
  int why = partial ? -1 : search_rejected(p->e, items, n, c);
  /* must_include, min_categories and min_margin can still be met as items
   * join: such a bundle is scored as a partial one, for methods that grow */
  int growable = why == REJ_MUST || why == REJ_MIN_CATEGORIES || why == REJ_MARGIN;
  if (why >= 0) {
    p->e->rej[why]++;
    if (!growable || n == p->e->sp->max_size) return 0;
  }
  *count = c;
  if (search_score(p->e, items, n, c, vec, total) != BR_OK) return -1;
  return partial || why >= 0 ? 2 : 1;
}

br_status search_budget_error(const br_search_spec *sp) {
  if (sp->method == BR_METHOD_EXACT)
    return br_error_set(BR_ERR_LIMIT, "search: the pool is too large for exact search (past max_evaluations = %lld "
                                      "bundles); use method = \"beam\" or \"nsga2\", raise min_support or min_count, "
                                      "or raise max_evaluations", (long long)sp->max_evaluations);
  return br_error_set(BR_ERR_LIMIT, "search: %s passed max_evaluations = %lld bundles; lower its budget (beam_width, "
                                    "iterations, population, generations) or raise max_evaluations",
                      br_search_method_name(sp->method), (long long)sp->max_evaluations);
}

/* ---- exact: depth-first with pruning ---- */

/* Each pool position's baskets as a bitset, when they fit in 256 MiB: the
 * walk then counts a bundle by testing the prefix's baskets against the new
 * item's bits, with no merge and no branches to mispredict. */
static void build_bits(search_pool *p) {
  int64_t nb = br_bundle_nbaskets(p->st), words = (nb + 63) / 64;
  if (nb == 0 || (double)words * 8.0 * (double)p->np > 256.0 * 1024 * 1024) return;
  p->bits = br_calloc("search", mem_mul((size_t)words, (size_t)p->np), sizeof *p->bits);
  if (!p->bits) return; /* the walk merges lists instead */
  p->words = words;
  for (int32_t q = 0; q < p->np; q++) {
    int64_t len;
    const int64_t *l = bundle_stats_list(p->st, p->item[q], &len);
    uint64_t *row = p->bits + (size_t)q * (size_t)words;
    for (int64_t k = 0; l && k < len; k++) row[l[k] >> 6] |= 1ull << (l[k] & 63);
  }
}

/* The baskets of prefix + position q, written to out; returns how many. */
static int64_t extend_list(const search_pool *p, const int64_t *prefix, int64_t n, int32_t q, const int64_t *lq,
                           int64_t nq, int64_t *out) {
  if (!p->bits || nq < n / 4) return tid_intersect(prefix, n, lq, nq, out);
  const uint64_t *row = p->bits + (size_t)q * (size_t)p->words;
  int64_t k = 0;
  for (int64_t i = 0; i < n; i++) {
    int64_t t = prefix[i];
    out[k] = t;
    k += (row[t >> 6] >> (t & 63)) & 1;
  }
  return k;
}

typedef struct walk {
  search_pool *p;
  collector *c;
  const br_search_spec *sp;
  int32_t pos[BR_BUNDLE_MAX_ITEMS], items[BR_BUNDLE_MAX_ITEMS];
  int64_t cnt[BR_BUNDLE_MAX_ITEMS + 1];
  const int64_t *list[BR_BUNDLE_MAX_ITEMS + 1]; /* the prefix's baskets at each depth */
  int64_t *buf[BR_BUNDLE_MAX_ITEMS + 1];
  int32_t *must_pos; int nmust;                 /* must_include, as pool positions ascending */
  double (*topsum)[BR_MAX_OBJECTIVES][BR_BUNDLE_MAX_ITEMS + 1]; /* [pos][objective][t] */
  int64_t *min_after;                           /* [pos]: smallest item count from pos on */
  int counting;                                 /* there are baskets */
  int64_t visited, pruned;
  br_status status;
  int64_t work; /* for deadline_poll: pruned nodes are never scored, so the walk checks too */
} walk;

/* The t best positive values of each additive objective among the pool's
 * positions q..np-1, for bounds. */
static int build_topsums(walk *w) {
  search_pool *p = w->p;
  search_eval *e = p->e;
  int32_t np = p->np;
  w->topsum = br_calloc("search", (size_t)np + 1, sizeof *w->topsum);
  w->min_after = br_alloc("search", ((size_t)np + 1), sizeof *w->min_after);
  if (!w->topsum || !w->min_after) return 0;
  w->min_after[np] = INT64_MAX;
  for (int32_t q = np - 1; q >= 0; q--) {
    int64_t ci = br_bundle_item_count(p->st, p->item[q]);
    w->min_after[q] = ci < w->min_after[q + 1] ? ci : w->min_after[q + 1];
  }
  for (int o = 0; o < e->nobj; o++) {
    br_objective k = e->objs[o].kind;
    if (k != BR_OBJ_REVENUE && k != BR_OBJ_MARGIN && k != BR_OBJ_INVENTORY && k != BR_OBJ_EXPECTED_PROFIT) continue;
    double best[BR_BUNDLE_MAX_ITEMS] = {0}; /* the best values so far, descending (0: none) */
    for (int32_t q = np - 1; q >= 0; q--) {
      double v = search_objective(e, k == BR_OBJ_EXPECTED_PROFIT ? BR_OBJ_MARGIN : k, &p->item[q], 1, 0);
      for (int i = 0; i < BR_BUNDLE_MAX_ITEMS && v > 0; i++)
        if (v > best[i]) {
          double t = best[i];
          best[i] = v;
          v = t;
        }
      for (int t = 1; t <= BR_BUNDLE_MAX_ITEMS; t++) w->topsum[q][o][t] = w->topsum[q][o][t - 1] + best[t - 1];
    }
  }
  return 1;
}

static void dfs(walk *w, int d, int32_t from) {
  search_pool *p = w->p;
  search_eval *e = p->e;
  const br_search_spec *sp = w->sp;
  const br_catalog *cat = e->cat;
  double vec[BR_MAX_OBJECTIVES], total;
  double price = 0;
  for (int i = 0; i < d; i++) price += br_catalog_price(cat, w->items[i]);
  /* must_include: the first must position not yet in the prefix */
  int32_t next_must = INT32_MAX;
  int missing = 0;
  for (int i = 0; i < w->nmust; i++)
    if (w->must_pos[i] >= from) {
      if (next_must == INT32_MAX) next_must = w->must_pos[i];
      missing++;
    }
  for (int32_t q = from; q < p->np && w->status == BR_OK; q++) {
    if (q > next_must) break; /* skipping a must item: no later extension holds it */
    if (d + 1 + missing - (q == next_must) > sp->max_size) {
      if (q == next_must) break;
      continue; /* not enough room left for the must items */
    }
    int32_t j = p->item[q];
    if (!isnan(sp->max_price) && price + br_catalog_price(cat, j) > sp->max_price) {
      e->rej[REJ_PRICE]++;
      continue;
    }
    if (sp->max_per_category > 0 && br_catalog_category(cat, j) >= 0) {
      int same = 1;
      for (int i = 0; i < d; i++) same += br_catalog_category(cat, w->items[i]) == br_catalog_category(cat, j);
      if (same > sp->max_per_category) {
        e->rej[REJ_CATEGORY]++;
        continue;
      }
    }
    int ok = 1;
    int64_t cu = d == 0 ? br_bundle_item_count(p->st, j) : w->cnt[d];
    for (int i = 0; i < d && ok == 1; i++) {
      ok = search_pool_pair_ok(p, w->pos[i], q);
      if (ok == 1 && w->counting && d >= 2) {
        int64_t pc = pair_count(p, w->pos[i], q);
        if (pc < cu) cu = pc;
      }
    }
    if (ok < 0) {
      w->status = BR_ERR_ARG;
      return;
    }
    if (!ok) continue;
    if (++w->visited > sp->max_evaluations) {
      w->status = search_budget_error(sp);
      return;
    }
    if (deadline_poll(&w->work, 16 + w->cnt[d])) {
      w->status = br_deadline_stop("search", w->visited, "bundles visited");
      return;
    }
    w->pos[d] = q;
    w->items[d] = j;
    int n = d + 1;
    /* the count: a list of baskets per depth, intersected as items join */
    int64_t c = 0;
    if (w->counting) {
      if (d == 0) {
        w->list[1] = bundle_stats_list(p->st, j, &c);
      } else if (d == 1 && p->has_pairs) {
        c = pair_count(p, w->pos[0], q); /* cached: the list is intersected only if the walk goes deeper */
        w->list[2] = NULL;
      } else {
        int64_t len;
        const int64_t *lj = bundle_stats_list(p->st, j, &len);
        if (!w->list[d] || !lj) {
          w->status = br_error_set(BR_ERR_NOMEM, "search: out of memory");
          return;
        }
        c = cu < p->min_count ? 0 : extend_list(p, w->list[d], w->cnt[d], q, lj, len, w->buf[n]);
        w->list[n] = w->buf[n];
      }
      if (c < p->min_count) {
        e->rej[REJ_COUNT_MIN]++;
        continue;
      }
    }
    w->cnt[n] = c;
    if (n >= sp->min_size) {
      int why = search_rejected(e, w->items, n, c);
      if (why >= 0) {
        e->rej[why]++;
      } else {
        w->status = search_score(e, w->items, n, c, vec, &total);
        if (w->status == BR_OK) w->status = collector_add(w->c, w->items, n, vec, total);
        if (w->status != BR_OK) return;
      }
    }
    if (n == sp->max_size) continue;
    double threshold = collector_threshold(w->c);
    if (e->bounded && threshold > -INFINITY) {
      const double *ts[BR_MAX_OBJECTIVES];
      for (int o = 0; o < e->nobj; o++) ts[o] = w->topsum[q + 1][o];
      int fail = 0;
      double b = search_bound(e, w->items, n, c, sp->max_size - n, ts, w->min_after[q + 1], &fail);
      if (fail) {
        w->status = BR_ERR_ARG;
        return;
      }
      if (b <= threshold) { /* no superset can beat the K-th best: a later equal one never displaces */
        w->pruned++;
        continue;
      }
    }
    if (w->counting && !w->list[n]) {
      int64_t len;
      const int64_t *lj = bundle_stats_list(p->st, j, &len);
      if (!w->list[d] || !lj) {
        w->status = br_error_set(BR_ERR_NOMEM, "search: out of memory");
        return;
      }
      extend_list(p, w->list[d], w->cnt[d], q, lj, len, w->buf[n]);
      w->list[n] = w->buf[n];
    }
    dfs(w, n, q + 1);
  }
}

br_status search_exact_pool(search_pool *p, collector *c, int64_t *visited, int64_t *pruned) {
  walk w;
  memset(&w, 0, sizeof w);
  w.p = p;
  w.c = c;
  w.sp = p->e->sp;
  w.counting = br_bundle_nbaskets(p->st) > 0;
  int32_t must[BR_BUNDLE_MAX_ITEMS * 4];
  if (w.sp->nmust > (int)(sizeof must / sizeof *must))
    return br_error_set(BR_ERR_ARG, "search: no bundle satisfies must_include: %d items, bundles hold at most %d",
                        w.sp->nmust, w.sp->max_size);
  for (int i = 0; i < w.sp->nmust; i++) {
    const int32_t *at = bsearch(&w.sp->must_include[i], p->item, (size_t)p->np, sizeof *p->item, cmp_i32);
    must[w.nmust++] = (int32_t)(at - p->item);
  }
  qsort(must, (size_t)w.nmust, sizeof *must, cmp_i32);
  int distinct = 0;
  for (int i = 0; i < w.nmust; i++)
    if (i == 0 || must[i] != must[i - 1]) must[distinct++] = must[i];
  w.nmust = distinct;
  w.must_pos = must;
  if (w.nmust > w.sp->max_size)
    return br_error_set(BR_ERR_ARG, "search: no bundle satisfies must_include: %d items, bundles hold at most %d",
                        w.nmust, w.sp->max_size);
  br_status s = BR_OK;
  int64_t longest = 1;
  for (int32_t q = 0; q < p->np; q++) {
    int64_t ci = br_bundle_item_count(p->st, p->item[q]);
    if (ci > longest) longest = ci;
  }
  for (int d = 2; d <= BR_BUNDLE_MAX_ITEMS && w.counting; d++)
    if (!(w.buf[d] = br_alloc("search", (size_t)longest, sizeof *w.buf[d]))) s = br_error_set(BR_ERR_NOMEM, "search: out of memory");
  if (s == BR_OK && !build_topsums(&w)) s = br_error_set(BR_ERR_NOMEM, "search: out of memory");
  if (s == BR_OK && w.counting) build_bits(p);
  if (s == BR_OK) {
    dfs(&w, 0, 0);
    s = w.status;
  }
  for (int d = 0; d <= BR_BUNDLE_MAX_ITEMS; d++) br_free(w.buf[d]);
  br_free(w.topsum);
  br_free(w.min_after);
  *visited = w.visited;
  *pruned = w.pruned;
  return s;
}
