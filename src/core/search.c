/* The search entry points: a list of candidate bundles, scored one by one,
 * or a pool of items walked by one of the methods. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"
#include "bundle/memory.h"

static const char *const method_names[BR_METHOD_COUNT] = {"exact", "beam", "greedy", "anneal", "nsga2"};

const char *br_search_method_name(br_search_method m) { return (unsigned)m < BR_METHOD_COUNT ? method_names[m] : "?"; }

br_status br_search_method_parse(br_search_method *m, const char *s) {
  for (int i = 0; i < BR_METHOD_COUNT; i++)
    if (strcmp(s, method_names[i]) == 0) {
      *m = (br_search_method)i;
      return BR_OK;
    }
  return br_error_set(BR_ERR_ARG, "unknown search method '%s' (exact, beam, greedy, anneal, nsga2)", s);
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
  s->method = BR_METHOD_EXACT;
  s->min_count = 1;
  s->max_evaluations = 10000000;
  s->beam_width = 100;
  s->iterations = 20000;
  s->restarts = 8;
  s->population = 100;
  s->generations = 50;
  s->seed = 1;
}

/* Every scored bundle is kept when a Pareto front or a portfolio needs it. */
static int keep_all(const search_eval *e) { return e->nobj > 1 || e->sp->max_overlap >= 0; }

/* "no bundle satisfies ...", naming the constraint that removed the most. */
static br_status nothing_found(const search_eval *e, int64_t candidates) {
  int worst = 0;
  for (int i = 1; i < REJ_COUNT; i++)
    if (e->rej[i] > e->rej[worst]) worst = i;
  if (candidates == 0) return br_error_set(BR_ERR_ARG, "search: the candidate pool is empty");
  if (e->rej[worst] == 0)
    return br_error_set(BR_ERR_ARG, "search: no bundle satisfies the constraints (%lld candidates)", (long long)candidates);
  return br_error_set(BR_ERR_ARG, "search: no bundle satisfies the constraints (%lld candidates; %s removed %lld)",
                      (long long)candidates, search_rejection_names[worst], (long long)e->rej[worst]);
}

/* The compatible predicate over every pair of a bundle: 1, 0, or -1 (error). */
static int pairs_compatible(const br_search_spec *sp, const int32_t *it, int n) {
  if (!sp->compatible) return 1;
  for (int i = 0; i < n; i++)
    for (int j = i + 1; j < n; j++) {
      int ok = sp->compatible(sp->compatible_ctx, it[i], it[j]);
      if (ok <= 0) return ok;
    }
  return 1;
}

br_status br_search(br_search_result **out, const br_bundle_stats *st, const int32_t *cand, const int64_t *off,
                    int64_t ncand, const br_search_spec *sp) {
  if (sp->method != BR_METHOD_EXACT)
    return br_error_set(BR_ERR_ARG, "search: method '%s' walks a pool of items; a list of bundles is scored "
                                    "exactly (give the items, not the bundles)", br_search_method_name(sp->method));
  search_eval e;
  br_status s = search_eval_init(&e, st, sp);
  collector *c = NULL;
  if (s == BR_OK) s = collector_new(&c, e.nobj, sp->top, keep_all(&e), 0);
  if (s != BR_OK) {
    search_eval_free(&e);
    return s;
  }
  /* min_pair_lift and model features read pair counts: cache them for the
   * candidates' items in one pass over the baskets */
  pair_cache pc = {0};
  int wants_pairs = 0;
  for (int o = 0; o < e.nobj; o++) wants_pairs |= e.objs[o].kind == BR_OBJ_MIN_PAIR_LIFT || e.objs[o].kind == BR_OBJ_MODEL;
  if (wants_pairs && br_bundle_nbaskets(st) > 0) {
    int32_t nc = br_catalog_size(e.cat), np = 0;
    int32_t *used = br_calloc("search", (size_t)nc, sizeof *used);
    if (used) {
      for (int64_t q = 0; q < off[ncand]; q++)
        if (cand[q] >= 0 && cand[q] < nc && !used[cand[q]]) used[cand[q]] = 1, np++;
      int32_t *pool = np <= PAIR_CACHE_MAX ? br_alloc("search", (size_t)np, sizeof *pool) : NULL;
      if (pool) {
        np = 0;
        for (int32_t i = 0; i < nc; i++)
          if (used[i]) pool[np++] = i;
        if (pair_cache_build(&pc, st, pool, np) == BR_OK) e.pairs = &pc;
        br_free(pool);
      }
      br_free(used);
    }
  }
  double vec[BR_MAX_OBJECTIVES], total;
  for (int64_t k = 0; k < ncand && s == BR_OK; k++) {
    const int32_t *it = cand + off[k];
    int n = (int)(off[k + 1] - off[k]);
    if (n > BR_BUNDLE_MAX_ITEMS) {
      e.rej[REJ_SIZE]++;
      continue;
    }
    int64_t known = sp->counts ? sp->counts[k] : -1;
    int why = search_rejected(&e, it, n, known);
    if (why < 0) {
      int ok = pairs_compatible(sp, it, n);
      if (ok < 0) s = BR_ERR_ARG;
      else if (!ok) why = REJ_COMPATIBLE;
    }
    if (s != BR_OK) break;
    if (why >= 0) {
      e.rej[why]++;
      continue;
    }
    s = search_score(&e, it, n, known, vec, &total);
    if (s == BR_OK) s = collector_add(c, it, n, vec, total);
  }
  if (s == BR_OK && collector_count(c) == 0) s = nothing_found(&e, ncand);
  pair_cache_free(&pc);
  search_eval_free(&e);
  if (s != BR_OK) {
    collector_free(c);
    return s;
  }
  return collector_finish(c, out, sp->max_overlap, ncand, 0);
}

br_status br_search_pool(br_search_result **out, const br_bundle_stats *st, const int32_t *pool, int32_t npool,
                         const br_search_spec *sp) {
  if ((unsigned)sp->method >= BR_METHOD_COUNT) return br_error_set(BR_ERR_ARG, "search: unknown method");
  search_eval e;
  search_pool p;
  collector *c = NULL;
  memset(&p, 0, sizeof p);
  br_status s = search_eval_init(&e, st, sp);
  if (s == BR_OK) s = search_pool_init(&p, &e, pool, npool);
  int heuristic = sp->method != BR_METHOD_EXACT;
  if (s == BR_OK) s = collector_new(&c, e.nobj, sp->top, keep_all(&e), heuristic);
  int64_t visited = 0, pruned = 0;
  if (s == BR_OK) {
    switch (sp->method) {
      case BR_METHOD_EXACT: s = search_exact_pool(&p, c, &visited, &pruned); break;
      case BR_METHOD_BEAM: s = search_beam(&p, c, sp->beam_width, 0); break;
      case BR_METHOD_GREEDY: s = search_beam(&p, c, 1, 1); break;
      case BR_METHOD_ANNEAL: s = search_anneal(&p, c); break;
      default: s = search_nsga2(&p, c); break;
    }
    if (heuristic) visited = e.evaluations;
  }
  if (s == BR_OK && collector_count(c) == 0) s = nothing_found(&e, visited > 0 ? visited : p.np > 1);
  search_pool_free(&p);
  search_eval_free(&e);
  if (s != BR_OK) {
    collector_free(c);
    return s;
  }
  return collector_finish(c, out, sp->max_overlap, visited, pruned);
}
