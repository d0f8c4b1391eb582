/* From scored bundles to a result: a size-K heap when only the best K are
 * wanted, every bundle when Pareto fronts or a portfolio need them, a hash
 * of the bundles seen for heuristics that revisit, and the portfolio
 * selection (max_overlap) at the end. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"
#include "sort_index.h"
#include "bundle/memory.h"
#include "memory_internal.h"

struct collector {
  int nobj, keep_all, dedupe;
  int64_t top;
  int64_t n, cap;   /* entries stored */
  int32_t *items;   /* cap x BR_BUNDLE_MAX_ITEMS */
  int *size;
  double *vec;      /* cap x nobj */
  double *total;
  int64_t *seq;     /* arrival order: ties rank by it */
  int64_t arrivals;
  int64_t *heap;    /* heap mode: entries, worst (lowest total, latest) at the root */
  int64_t *hash;    /* dedupe: open addressing over entry indices, -1 empty */
  int64_t hcap;
};

struct br_search_result {
  int64_t n, scored, visited, pruned;
  int32_t *items; /* n x BR_BUNDLE_MAX_ITEMS */
  int *size;
  double *score;
  int nobj;
  double *scores;     /* n x nobj */
  int32_t *all_items; /* scored x BR_BUNDLE_MAX_ITEMS (several objectives) */
  int *all_size;
  double *all_scores; /* scored x nobj */
};

void br_search_result_free(br_search_result *r) {
  if (!r) return;
  br_free(r->items);
  br_free(r->size);
  br_free(r->score);
  br_free(r->scores);
  br_free(r->all_items);
  br_free(r->all_size);
  br_free(r->all_scores);
  br_free(r);
}

br_status br_search_result_clone(br_search_result **out, const br_search_result *r) {
  br_search_result *c = br_calloc("search", 1, sizeof *c);
  if (!c) return br_error_set(BR_ERR_NOMEM, "search: out of memory for a copy of a result");
  *c = (br_search_result){.n = r->n, .scored = r->scored, .visited = r->visited, .pruned = r->pruned, .nobj = r->nobj};
  size_t n = (size_t)r->n, m = (size_t)r->scored, k = (size_t)r->nobj;
  int ok = mem_dup(&c->items, "search", r->items, n * BR_BUNDLE_MAX_ITEMS, sizeof *c->items) &&
           mem_dup(&c->size, "search", r->size, n, sizeof *c->size) && mem_dup(&c->score, "search", r->score, n, sizeof *c->score) &&
           mem_dup(&c->scores, "search", r->scores, n * k, sizeof *c->scores) &&
           /* every scored bundle (several objectives): the first `scored` rows of the collector's arrays */
           mem_dup(&c->all_items, "search", r->all_items, m * BR_BUNDLE_MAX_ITEMS, sizeof *c->all_items) &&
           mem_dup(&c->all_size, "search", r->all_size, m, sizeof *c->all_size) &&
           mem_dup(&c->all_scores, "search", r->all_scores, m * k, sizeof *c->all_scores);
  if (!ok) {
    br_search_result_free(c);
    return br_error_set(BR_ERR_NOMEM, "search: out of memory for a copy of %lld bundles", (long long)r->n);
  }
  *out = c;
  return BR_OK;
}

int br_search_result_nobjectives(const br_search_result *r) { return r->nobj; }
const double *br_search_result_scores(const br_search_result *r, int64_t k) { return r->scores + k * r->nobj; }
const int32_t *br_search_result_scored_items(const br_search_result *r, int64_t k, int *n) {
  *n = r->all_size[k];
  return r->all_items + k * BR_BUNDLE_MAX_ITEMS;
}
const double *br_search_result_scored_scores(const br_search_result *r, int64_t k) { return r->all_scores + k * r->nobj; }
int64_t br_search_result_count(const br_search_result *r) { return r->n; }
int64_t br_search_result_scored(const br_search_result *r) { return r->scored; }
int64_t br_search_result_visited(const br_search_result *r) { return r->visited; }
int64_t br_search_result_pruned(const br_search_result *r) { return r->pruned; }
double br_search_result_score(const br_search_result *r, int64_t k) { return r->score[k]; }
const int32_t *br_search_result_items(const br_search_result *r, int64_t k, int *n) {
  *n = r->size[k];
  return r->items + k * BR_BUNDLE_MAX_ITEMS;
}

void collector_free(collector *c) {
  if (!c) return;
  br_free(c->items);
  br_free(c->size);
  br_free(c->vec);
  br_free(c->total);
  br_free(c->seq);
  br_free(c->heap);
  br_free(c->hash);
  br_free(c);
}

static int grow(collector *c, int64_t want) {
  if (want <= c->cap) return 1;
  int64_t cap = c->cap ? c->cap * 2 : 1024;
  while (cap < want) cap *= 2;
  int32_t *items = br_realloc("search", c->items, mem_mul((size_t)cap, BR_BUNDLE_MAX_ITEMS), sizeof *items);
  if (items) c->items = items;
  int *size = br_realloc("search", c->size, (size_t)cap, sizeof *size);
  if (size) c->size = size;
  double *vec = br_realloc("search", c->vec, mem_mul((size_t)cap, (size_t)c->nobj), sizeof *vec);
  if (vec) c->vec = vec;
  double *total = br_realloc("search", c->total, (size_t)cap, sizeof *total);
  if (total) c->total = total;
  int64_t *seq = br_realloc("search", c->seq, (size_t)cap, sizeof *seq);
  if (seq) c->seq = seq;
  int64_t *heap = c->keep_all ? NULL : br_realloc("search", c->heap, (size_t)cap, sizeof *heap);
  if (heap) c->heap = heap;
  if (!items || !size || !vec || !total || !seq || (!c->keep_all && !heap)) return 0;
  c->cap = cap;
  return 1;
}

br_status collector_new(collector **out, int nobj, int64_t top, int keep_all, int dedupe) {
  collector *c = br_calloc("search", 1, sizeof *c);
  if (!c) return br_error_set(BR_ERR_NOMEM, "search: out of memory");
  c->nobj = nobj;
  c->top = top;
  c->keep_all = keep_all || dedupe;
  c->dedupe = dedupe;
  /* grown as bundles come, not to `top` at once: a large top asks for
   * memory (charged to the budget) that a small search never fills */
  int ok = grow(c, 1024);
  if (ok && dedupe) {
    c->hcap = 4096;
    c->hash = br_alloc("search", (size_t)c->hcap, sizeof *c->hash);
    if (c->hash) memset(c->hash, 0xff, (size_t)c->hcap * sizeof *c->hash);
    ok = c->hash != NULL;
  }
  if (!ok) {
    collector_free(c);
    return br_error_set(BR_ERR_NOMEM, "search: out of memory");
  }
  *out = c;
  return BR_OK;
}

static uint64_t bundle_hash(const int32_t *items, int n) {
  uint64_t h = 0x9e3779b97f4a7c15u ^ (uint64_t)n;
  for (int i = 0; i < n; i++) {
    h ^= (uint64_t)(uint32_t)items[i];
    h *= 0xff51afd7ed558ccdu;
    h ^= h >> 33;
  }
  return h;
}

static int same(const collector *c, int64_t k, const int32_t *items, int n) {
  return c->size[k] == n && memcmp(c->items + k * BR_BUNDLE_MAX_ITEMS, items, (size_t)n * sizeof *items) == 0;
}

int64_t collector_find(const collector *c, const int32_t *items, int n) {
  if (!c->dedupe) return -1;
  for (uint64_t h = bundle_hash(items, n) & (uint64_t)(c->hcap - 1);; h = (h + 1) & (uint64_t)(c->hcap - 1)) {
    int64_t k = c->hash[h];
    if (k < 0) return -1;
    if (same(c, k, items, n)) return k;
  }
}

static void hash_put(collector *c, int64_t k) {
  for (uint64_t h = bundle_hash(c->items + k * BR_BUNDLE_MAX_ITEMS, c->size[k]) & (uint64_t)(c->hcap - 1);;
       h = (h + 1) & (uint64_t)(c->hcap - 1))
    if (c->hash[h] < 0) {
      c->hash[h] = k;
      return;
    }
}

static int hash_grow(collector *c) {
  int64_t cap = c->hcap * 2;
  int64_t *h = br_alloc("search", (size_t)cap, sizeof *h);
  if (!h) return 0;
  memset(h, 0xff, (size_t)cap * sizeof *h);
  br_free(c->hash);
  c->hash = h;
  c->hcap = cap;
  for (int64_t k = 0; k < c->n; k++) hash_put(c, k);
  return 1;
}

double collector_total(const collector *c, int64_t k) { return c->total[k]; }
const double *collector_vec(const collector *c, int64_t k) { return c->vec + k * c->nobj; }
int64_t collector_count(const collector *c) { return c->n; }

/* Heap order: a is "worse" than b (lower total, or equal and later). */
static int worse(const collector *c, int64_t a, int64_t b) {
  return c->total[a] < c->total[b] || (c->total[a] == c->total[b] && c->seq[a] > c->seq[b]);
}

static void sift_down(collector *c, int64_t i) {
  for (;;) {
    int64_t l = 2 * i + 1, r = l + 1, w = i;
    if (l < c->n && worse(c, c->heap[l], c->heap[w])) w = l;
    if (r < c->n && worse(c, c->heap[r], c->heap[w])) w = r;
    if (w == i) return;
    int64_t t = c->heap[w];
    c->heap[w] = c->heap[i];
    c->heap[i] = t;
    i = w;
  }
}

static void store(collector *c, int64_t k, const int32_t *items, int n, const double *vec, double total) {
  memcpy(c->items + k * BR_BUNDLE_MAX_ITEMS, items, (size_t)n * sizeof *items);
  c->size[k] = n;
  memcpy(c->vec + k * c->nobj, vec, (size_t)c->nobj * sizeof *vec);
  c->total[k] = total;
  c->seq[k] = c->arrivals++;
}

br_status collector_add(collector *c, const int32_t *items, int n, const double *vec, double total) {
  if (c->keep_all) {
    if (!grow(c, c->n + 1)) return br_error_set(BR_ERR_NOMEM, "search: out of memory keeping %lld bundles", (long long)c->n);
    store(c, c->n, items, n, vec, total);
    c->n++;
    if (c->dedupe) {
      if (c->n * 2 > c->hcap && !hash_grow(c)) return br_error_set(BR_ERR_NOMEM, "search: out of memory");
      hash_put(c, c->n - 1);
    }
    return BR_OK;
  }
  if (c->n < c->top) { /* room: push and sift up */
    if (c->n == c->cap && !grow(c, c->n + 1))
      return br_error_set(BR_ERR_NOMEM, "search: out of memory keeping the best %lld bundles", (long long)c->n);
    int64_t k = c->n, i = c->n++;
    store(c, k, items, n, vec, total);
    c->heap[i] = k;
    while (i > 0) {
      int64_t p = (i - 1) / 2;
      if (!worse(c, c->heap[i], c->heap[p])) break;
      int64_t t = c->heap[p];
      c->heap[p] = c->heap[i];
      c->heap[i] = t;
      i = p;
    }
  } else if (total > c->total[c->heap[0]]) { /* a later equal one never displaces */
    store(c, c->heap[0], items, n, vec, total);
    sift_down(c, 0);
  } else {
    c->arrivals++;
  }
  return BR_OK;
}

double collector_threshold(const collector *c) {
  if (c->keep_all || c->n < c->top) return -INFINITY;
  return c->total[c->heap[0]];
}

static int overlap(const int32_t *a, int na, const int32_t *b, int nb) {
  int i = 0, j = 0, k = 0;
  while (i < na && j < nb) {
    if (a[i] < b[j]) i++;
    else if (a[i] > b[j]) j++;
    else k++, i++, j++;
  }
  return k;
}

static int by_total(const void *ctx, int64_t a, int64_t b) {
  const collector *c = ctx;
  if (c->total[a] != c->total[b]) return c->total[a] > c->total[b] ? -1 : 1;
  return (c->seq[a] > c->seq[b]) - (c->seq[a] < c->seq[b]);
}

br_status collector_finish(collector *c, br_search_result **out, int max_overlap, int64_t visited, int64_t pruned) {
  br_search_result *r = br_calloc("search", 1, sizeof *r);
  int64_t m = c->n, want = c->top < m ? c->top : m;
  int64_t *order = br_alloc("search", (size_t)m, sizeof *order);
  if (!r || !order) goto oom;
  r->nobj = c->nobj;
  r->scored = m;
  r->visited = visited;
  r->pruned = pruned;
  if (c->keep_all && max_overlap < 0 && want < m) {
    /* only the best `want`: run the entries through a heap of that size */
    collector *h = NULL;
    if (collector_new(&h, 1, want, 0, 0) != BR_OK) goto oom;
    for (int64_t k = 0; k < m; k++) {
      double dummy = 0;
      int32_t id = (int32_t)k; /* the entry index rides as the "item" */
      if (collector_add(h, &id, 1, &dummy, c->total[k]) != BR_OK) {
        collector_free(h);
        goto oom;
      }
    }
    for (int64_t i = 0; i < h->n; i++) order[i] = h->items[i * BR_BUNDLE_MAX_ITEMS];
    m = h->n;
    collector_free(h);
  } else {
    for (int64_t k = 0; k < m; k++) order[k] = k;
  }
  if (!sort_index(order, m, by_total, c)) goto oom;
  r->items = br_alloc("search", mem_mul((size_t)want, BR_BUNDLE_MAX_ITEMS), sizeof *r->items);
  r->size = br_alloc("search", (size_t)want, sizeof *r->size);
  r->score = br_alloc("search", (size_t)want, sizeof *r->score);
  r->scores = br_alloc("search", mem_mul((size_t)want, (size_t)c->nobj), sizeof *r->scores);
  if (!r->items || !r->size || !r->score || !r->scores) goto oom;
  /* Portfolio: best first, skipping bundles too close to one already taken. */
  for (int64_t q = 0; q < m && r->n < want; q++) {
    int64_t k = order[q];
    const int32_t *it = c->items + k * BR_BUNDLE_MAX_ITEMS;
    int n = c->size[k], ok = 1;
    if (max_overlap >= 0)
      for (int64_t j = 0; j < r->n && ok; j++)
        ok = overlap(it, n, r->items + j * BR_BUNDLE_MAX_ITEMS, r->size[j]) <= max_overlap;
    if (!ok) continue;
    memcpy(r->items + r->n * BR_BUNDLE_MAX_ITEMS, it, (size_t)n * sizeof *it);
    r->size[r->n] = n;
    r->score[r->n] = c->total[k];
    memcpy(r->scores + r->n * c->nobj, c->vec + k * c->nobj, (size_t)c->nobj * sizeof *c->vec);
    r->n++;
  }
  if (c->nobj > 1 && c->keep_all) { /* every scored bundle, for Pareto fronts: the collector's arrays move over */
    r->all_items = c->items;
    r->all_size = c->size;
    r->all_scores = c->vec;
    c->items = NULL;
    c->size = NULL;
    c->vec = NULL;
  }
  br_free(order);
  collector_free(c);
  *out = r;
  return BR_OK;
oom:
  br_free(order);
  br_search_result_free(r);
  collector_free(c);
  return br_error_set(BR_ERR_NOMEM, "search: out of memory");
}
