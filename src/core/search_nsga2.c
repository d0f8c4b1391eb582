/* NSGA-II over bundles. A bundle is a subset of the pool, so the variation
 * operators work on sets: crossover draws a child from the union of two
 * parents' items, and mutation adds, removes or swaps an item along the
 * co-occurrence graph. Half the first population comes from the best
 * pairs, half from random walks on the graph. Every bundle scored that
 * meets the constraints is collected, so res:pareto sees them all. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/pareto.h"
#include "search_internal.h"
#include "sort_index.h"
#include "deadline_internal.h"
#include "bundle/memory.h"
#include "memory_internal.h"

typedef struct member {
  int32_t pos[BR_BUNDLE_MAX_ITEMS];
  int n;
  int32_t rank;
  double crowd;
  int64_t entry; /* the collector entry holding its scores */
} member;

typedef struct ga {
  search_pool *p;
  collector *c;
  br_rng rng;
  member *pop, *kids;
  int npop, nkids;
} ga;

static void sort_pos(int32_t *pos, int n) {
  for (int i = 1; i < n; i++) {
    int32_t x = pos[i];
    int j = i;
    for (; j > 0 && pos[j - 1] > x; j--) pos[j] = pos[j - 1];
    pos[j] = x;
  }
}

static int same_member(const member *a, const int32_t *pos, int n) {
  return a->n == n && memcmp(a->pos, pos, (size_t)n * sizeof *pos) == 0;
}

/* Adds a bundle to `into` when it passes and is not there yet (nor in
 * `also`): 1 added, 0 not, -1 error. */
static int admit(ga *g, member *into, int *ninto, const member *also, int nalso, int32_t *pos, int n) {
  /* the duplicate scans below cost a population per try, scored or not */
  if (deadline_poll(&g->p->e->work, *ninto + nalso + 1)) {
    br_deadline_stop("search", g->p->e->evaluations, "bundles scored");
    return -1;
  }
  sort_pos(pos, n);
  for (int i = 0; i < *ninto; i++)
    if (same_member(&into[i], pos, n)) return 0;
  for (int i = 0; i < nalso; i++)
    if (same_member(&also[i], pos, n)) return 0;
  search_pool *p = g->p;
  int32_t items[BR_BUNDLE_MAX_ITEMS];
  for (int i = 0; i < n; i++) items[i] = p->item[pos[i]];
  int64_t k = collector_find(g->c, items, n);
  if (k < 0) {
    if (p->e->evaluations >= p->e->sp->max_evaluations) {
      search_budget_error(p->e->sp);
      return -1;
    }
    double vec[BR_MAX_OBJECTIVES], total;
    int64_t count;
    int ok = search_pool_try(p, pos, n, 0, items, &count, vec, &total);
    if (ok <= 0 || ok == 2) return ok == 2 ? 0 : ok; /* partial bundles are not members */
    if (collector_add(g->c, items, n, vec, total) != BR_OK) return -1;
    k = collector_count(g->c) - 1;
  }
  member *m = &into[(*ninto)++];
  memcpy(m->pos, pos, (size_t)n * sizeof *pos);
  m->n = n;
  m->entry = k;
  return 1;
}

/* A random walk on the graph from a random item, to a random size. */
static int random_bundle(ga *g, int32_t *pos) {
  const br_search_spec *sp = g->p->e->sp;
  int want = sp->min_size + (int)br_rng_below(&g->rng, (uint64_t)(sp->max_size - sp->min_size + 1));
  pos[0] = (int32_t)br_rng_below(&g->rng, (uint64_t)g->p->np);
  int n = 1;
  for (int tries = 0; n < want && tries < 4 * want; tries++) {
    int32_t q = search_pool_joiner(g->p, &g->rng, pos, n);
    if (q >= 0) pos[n++] = q;
  }
  return n;
}

/* Add, remove or swap one item. */
static int mutate(ga *g, int32_t *pos, int n) {
  const br_search_spec *sp = g->p->e->sp;
  uint64_t move = br_rng_below(&g->rng, 3);
  if (move == 0 && n < sp->max_size) {
    int32_t q = search_pool_joiner(g->p, &g->rng, pos, n);
    if (q >= 0) pos[n++] = q;
  } else if (move == 1 && n > sp->min_size) {
    pos[br_rng_below(&g->rng, (uint64_t)n)] = pos[n - 1];
    n--;
  } else {
    int32_t q = search_pool_joiner(g->p, &g->rng, pos, n);
    if (q >= 0) pos[br_rng_below(&g->rng, (uint64_t)n)] = q;
  }
  return n;
}

/* A child from the union of the parents' items: shared items first (they
 * are what the parents agree on), then the rest, shuffled; its size is
 * drawn between the parents' sizes. */
static int crossover(ga *g, const member *a, const member *b, int32_t *pos) {
  int32_t u[2 * BR_BUNDLE_MAX_ITEMS];
  int nu = 0, shared = 0;
  for (int i = 0; i < a->n; i++)
    if (search_pool_holds(b->pos, b->n, a->pos[i])) u[nu++] = a->pos[i];
  shared = nu;
  for (int i = 0; i < a->n; i++)
    if (!search_pool_holds(b->pos, b->n, a->pos[i])) u[nu++] = a->pos[i];
  for (int i = 0; i < b->n; i++)
    if (!search_pool_holds(a->pos, a->n, b->pos[i])) u[nu++] = b->pos[i];
  for (int i = nu - 1; i > shared; i--) {
    int j = shared + (int)br_rng_below(&g->rng, (uint64_t)(i - shared + 1));
    int32_t t = u[i];
    u[i] = u[j];
    u[j] = t;
  }
  int lo = a->n < b->n ? a->n : b->n, hi = a->n < b->n ? b->n : a->n;
  int n = lo + (int)br_rng_below(&g->rng, (uint64_t)(hi - lo + 1));
  if (n > nu) n = nu;
  memcpy(pos, u, (size_t)n * sizeof *pos);
  return n;
}

/* Ranks and crowding distances of members (by their collected scores). */
static br_status rank_members(ga *g, member *m, int n) {
  int nobj = g->p->e->nobj;
  double *pts = br_alloc("search", mem_mul((size_t)n, (size_t)nobj), sizeof *pts);
  int32_t *rank = br_alloc("search", (size_t)n, sizeof *rank);
  int64_t *front = br_alloc("search", (size_t)n, sizeof *front);
  double *dist = br_alloc("search", (size_t)n, sizeof *dist);
  br_status s = BR_OK;
  if (!pts || !rank || !front || !dist) s = br_error_set(BR_ERR_NOMEM, "search: out of memory");
  if (s == BR_OK) {
    for (int i = 0; i < n; i++) memcpy(pts + (size_t)i * nobj, collector_vec(g->c, m[i].entry), (size_t)nobj * sizeof *pts);
    s = br_pareto_rank(rank, pts, n, nobj);
    /* stopped by the deadline: say it was the search */
    if (s == BR_ERR_CANCELLED) s = br_deadline_stop("search", g->p->e->evaluations, "bundles scored");
  }
  for (int32_t r = 1; s == BR_OK; r++) {
    int64_t k = 0;
    for (int i = 0; i < n; i++)
      if (rank[i] == r) front[k++] = i;
    if (k == 0) break;
    br_pareto_crowding(dist, pts, front, k, nobj);
    for (int64_t i = 0; i < k; i++) {
      m[front[i]].rank = r;
      m[front[i]].crowd = dist[i];
    }
  }
  br_free(pts);
  br_free(rank);
  br_free(front);
  br_free(dist);
  return s;
}

static int by_rank_crowd(const void *ctx, int64_t a, int64_t b) {
  const member *m = ctx;
  if (m[a].rank != m[b].rank) return m[a].rank < m[b].rank ? -1 : 1;
  if (m[a].crowd != m[b].crowd) return m[a].crowd > m[b].crowd ? -1 : 1;
  return 0;
}

static const member *tournament(ga *g) {
  const member *a = &g->pop[br_rng_below(&g->rng, (uint64_t)g->npop)];
  const member *b = &g->pop[br_rng_below(&g->rng, (uint64_t)g->npop)];
  if (a->rank != b->rank) return a->rank < b->rank ? a : b;
  return a->crowd >= b->crowd ? a : b;
}

br_status search_nsga2(search_pool *p, collector *c) {
  const br_search_spec *sp = p->e->sp;
  if (sp->population < 4 || sp->generations < 1)
    return br_error_set(BR_ERR_ARG, "search: nsga2 needs population >= 4 and generations >= 1");
  br_status s = search_pool_neighbours(p);
  if (s != BR_OK) return s;
  ga g;
  memset(&g, 0, sizeof g);
  g.p = p;
  g.c = c;
  br_rng_seed(&g.rng, sp->seed);
  int N = sp->population;
  g.pop = br_alloc("search", mem_mul((size_t)N, 2), sizeof *g.pop);
  g.kids = br_alloc("search", (size_t)N, sizeof *g.kids);
  int64_t *order = br_alloc("search", mem_mul((size_t)N, 2), sizeof *order);
  scored_pair *pairs = NULL;
  int64_t npairs = 0;
  if (!g.pop || !g.kids || !order) {
    s = br_error_set(BR_ERR_NOMEM, "search: out of memory");
    goto done;
  }
  /* the first population: the best pairs (grown at random to min_size), then random walks */
  s = search_best_pairs(p, c, N / 2, &pairs, &npairs);
  for (int64_t i = 0; i < npairs && s == BR_OK; i++) {
    int32_t pos[BR_BUNDLE_MAX_ITEMS] = {pairs[i].pos[0], pairs[i].pos[1]};
    int n = 2;
    while (n < sp->min_size) {
      int32_t q = search_pool_joiner(g.p, &g.rng, pos, n);
      if (q < 0) break;
      pos[n++] = q;
    }
    if (admit(&g, g.pop, &g.npop, NULL, 0, pos, n) < 0) s = search_fail_status();
  }
  for (int tries = 0; g.npop < N && tries < 50 * N && s == BR_OK; tries++) {
    int32_t pos[BR_BUNDLE_MAX_ITEMS];
    int n = random_bundle(&g, pos);
    if (admit(&g, g.pop, &g.npop, NULL, 0, pos, n) < 0) s = search_fail_status();
  }
  if (s != BR_OK || g.npop < 2) goto done; /* too few valid bundles to evolve: the collector has them */
  s = rank_members(&g, g.pop, g.npop);
  for (int gen = 0; gen < sp->generations && s == BR_OK; gen++) {
    g.nkids = 0;
    for (int tries = 0; g.nkids < N && tries < 20 * N && s == BR_OK; tries++) {
      const member *a = tournament(&g), *b = tournament(&g);
      int32_t pos[BR_BUNDLE_MAX_ITEMS];
      int n;
      if (br_rng_uniform(&g.rng) < 0.9) n = crossover(&g, a, b, pos);
      else memcpy(pos, a->pos, (size_t)(n = a->n) * sizeof *pos);
      if (n < sp->min_size || br_rng_uniform(&g.rng) < 0.3) n = mutate(&g, pos, n);
      if (n < sp->min_size || n > sp->max_size) continue;
      if (admit(&g, g.kids, &g.nkids, g.pop, g.npop, pos, n) < 0) s = search_fail_status();
    }
    if (s != BR_OK) break;
    /* survivors: the best N of parents and children by rank, then crowding */
    memcpy(g.pop + g.npop, g.kids, (size_t)g.nkids * sizeof *g.kids);
    int all = g.npop + g.nkids;
    if (deadline_poll(&p->e->work, (int64_t)all * all)) { /* Pareto ranking compares every pair */
      s = br_deadline_stop("search", p->e->evaluations, "bundles scored");
      break;
    }
    s = rank_members(&g, g.pop, all);
    if (s != BR_OK) break;
    for (int i = 0; i < all; i++) order[i] = i;
    if (!sort_index(order, all, by_rank_crowd, g.pop)) {
      s = br_error_set(BR_ERR_NOMEM, "search: out of memory");
      break;
    }
    int keep = all < N ? all : N;
    for (int i = 0; i < keep; i++) g.kids[i] = g.pop[order[i]];
    memcpy(g.pop, g.kids, (size_t)keep * sizeof *g.pop);
    g.npop = keep;
    s = rank_members(&g, g.pop, g.npop); /* crowding within the survivors, for the next tournaments */
  }
done:
  br_free(g.pop);
  br_free(g.kids);
  br_free(order);
  br_free(pairs);
  return s;
}
