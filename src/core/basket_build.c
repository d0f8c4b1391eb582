/* Baskets and itemsets made for other core modules (basket_build.h): a
 * builder that appends baskets into the CSR arrays directly (no copy at
 * the end), a relabelled copy, and an itemsets' item counts. */
#include <stdlib.h>
#include <string.h>

#include "basket_internal.h"
#include "bundle/memory.h"

struct baskets_builder {
  br_baskets *b;          /* n, off[0..n], items[0..off[n]) so far */
  int64_t cap_n, cap_items;
};

void baskets_builder_free(baskets_builder *bb) {
  if (!bb) return;
  br_baskets_free(bb->b);
  br_free(bb);
}

baskets_builder *baskets_builder_like(const br_baskets *like, int64_t cap_baskets, int64_t cap_items) {
  baskets_builder *bb = br_calloc("baskets", 1, sizeof *bb);
  br_baskets *b = bb ? br_calloc("baskets", 1, sizeof *b) : NULL;
  if (!b) {
    br_free(bb);
    return NULL;
  }
  bb->b = b;
  bb->cap_n = cap_baskets > 0 ? cap_baskets : 0;
  bb->cap_items = cap_items > 0 ? cap_items : 0;
  b->nitems = like->nitems;
  b->labels = strdict_retain(like->labels);
  b->off = br_alloc("baskets", (size_t)bb->cap_n + 1, sizeof *b->off);
  b->items = br_alloc("baskets", (size_t)bb->cap_items, sizeof *b->items);
  if (!b->off || !b->items) {
    baskets_builder_free(bb);
    return NULL;
  }
  b->off[0] = 0;
  return bb;
}

int32_t *baskets_builder_room(baskets_builder *bb, int64_t m) {
  br_baskets *b = bb->b;
  if (b->n == bb->cap_n) {
    int64_t cap = bb->cap_n ? 2 * bb->cap_n : 64;
    int64_t *off = br_realloc("baskets", b->off, (size_t)cap + 1, sizeof *off);
    if (!off) return NULL;
    b->off = off;
    bb->cap_n = cap;
  }
  int64_t len = b->off[b->n];
  if (m > bb->cap_items - len) {
    int64_t cap = 2 * bb->cap_items > len + m ? 2 * bb->cap_items : len + m;
    int32_t *items = br_realloc("baskets", b->items, (size_t)cap, sizeof *items);
    if (!items) return NULL;
    b->items = items;
    bb->cap_items = cap;
  }
  return b->items + len;
}

void baskets_builder_close(baskets_builder *bb, int64_t used) {
  br_baskets *b = bb->b;
  b->off[b->n + 1] = b->off[b->n] + used;
  b->n++;
}

br_baskets *baskets_builder_finish(baskets_builder *bb) {
  br_baskets *b = bb->b;
  br_free(bb);
  return b;
}

static int cmp_id(const void *x, const void *y) {
  int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
  return (a > b) - (a < b);
}

/* A copy of n elements of width w, or NULL for a NULL p; *failed when the
 * copy was wanted and memory ran out. */
static void *copy_of(const void *p, size_t n, size_t w, int *failed) {
  if (!p) return NULL;
  void *q = br_alloc("baskets", n, w);
  if (q) memcpy(q, p, n * w);
  else *failed = 1;
  return q;
}

br_status baskets_relabel(br_baskets **out, const br_baskets *b, strdict *labels, const int32_t *map) {
  br_baskets *g = br_calloc("baskets", 1, sizeof *g);
  if (!g) return br_error_set(BR_ERR_NOMEM, "baskets: out of memory");
  size_t n = (size_t)b->n;
  int failed = 0;
  g->n = b->n;
  g->nitems = labels->n;
  g->labels = strdict_retain(labels);
  g->off = copy_of(b->off, n + 1, sizeof *g->off, &failed);
  g->items = br_alloc("baskets", (size_t)b->off[n], sizeof *g->items);
  g->times = copy_of(b->times, n, sizeof *g->times, &failed);
  g->revenue = copy_of(b->revenue, n, sizeof *g->revenue, &failed);
  g->user = copy_of(b->user, n, sizeof *g->user, &failed);
  g->users = b->users ? strdict_retain(b->users) : NULL;
  if (failed || !g->items) {
    br_baskets_free(g);
    return br_error_set(BR_ERR_NOMEM, "baskets: out of memory");
  }
  for (int64_t p = 0; p < b->off[n]; p++) g->items[p] = map[b->items[p]];
  /* new ids need not keep the old order within a basket */
  for (size_t k = 0; k < n; k++)
    qsort(g->items + g->off[k], (size_t)(g->off[k + 1] - g->off[k]), sizeof *g->items, cmp_id);
  *out = g;
  return BR_OK;
}

void itemsets_set_item_counts(br_itemsets *s, const int64_t *counts) {
  memcpy(s->item_count, counts, (size_t)s->nitems * sizeof *s->item_count);
}
