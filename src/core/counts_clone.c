/* A deep copy of a count store: labels, every itemset count, the window's
 * days, a sketch's slots and counters and the decay clock, all in heap
 * tables of the copy's own, so either store may be freed (or changed)
 * while the other is used. bundle.sandbox.run hands stores across its
 * boundary this way.
 *
 * A loaded store's tables lie in its file's mapping (the base and the
 * level): the copy folds them and what was added since into one heap
 * table, as counts_materialize does, and forgets the file: it is a store
 * that was never saved, so its first save is whole. */
#include <string.h>

#include "bundle/memory.h"
#include "counts_internal.h"
#include "memory_internal.h"

/* *dst = src's slots as they lie (the same capacity and hash order). */
static br_status cmap_copy(cmap *dst, const cmap *src) {
  memset(dst, 0, sizeof *dst);
  if (!src->cap) return BR_OK;
  dst->keys = br_alloc("counts", src->cap, sizeof *dst->keys);
  dst->vals = br_alloc("counts", src->cap, sizeof *dst->vals);
  if (!dst->keys || !dst->vals) {
    cmap_free(dst);
    return br_error_set(BR_ERR_NOMEM, "counts: out of memory for a copy of %zu itemsets", src->n);
  }
  memcpy(dst->keys, src->keys, src->cap * sizeof *dst->keys);
  memcpy(dst->vals, src->vals, src->cap * sizeof *dst->vals);
  dst->cap = src->cap;
  dst->n = src->n;
  return BR_OK;
}

static br_status sketch_copy(sketch *d, const sketch *s) {
  *d = *s;
  d->key = NULL, d->cnt = d->err = NULL, d->heap = d->pos = NULL, d->cm = NULL;
  memset(&d->index, 0, sizeof d->index);
  if (!s->key) return BR_OK; /* an exact store's: never made */
  size_t cap = (size_t)s->cap;
  int ok = mem_dup(&d->key, "counts", s->key, cap, sizeof *d->key) && mem_dup(&d->cnt, "counts", s->cnt, cap, sizeof *d->cnt) &&
           mem_dup(&d->err, "counts", s->err, cap, sizeof *d->err) && mem_dup(&d->heap, "counts", s->heap, cap, sizeof *d->heap) &&
           mem_dup(&d->pos, "counts", s->pos, cap, sizeof *d->pos) &&
           mem_dup(&d->cm, "counts", s->cm, (size_t)s->width * (size_t)s->depth, sizeof *d->cm);
  br_status st = ok ? cmap_copy(&d->index, &s->index)
                    : br_error_set(BR_ERR_NOMEM, "counts: out of memory for a copy of a sketch of %lld itemsets", (long long)s->cap);
  if (st != BR_OK) sketch_free(d);
  return st;
}

/* The copy's days: each day's table (changes since a save are not kept:
 * the copy was never saved). */
static br_status days_copy(br_counts *d, const br_counts *c) {
  if (!c->ndays) return BR_OK;
  if (!(d->days = br_calloc("counts", (size_t)c->ndays, sizeof *d->days)))
    return br_error_set(BR_ERR_NOMEM, "counts: out of memory for a copy of %d days", c->ndays);
  d->cap_days = c->ndays;
  for (int i = 0; i < c->ndays; i++) {
    d->days[i].day = c->days[i].day;
    d->days[i].nbaskets = c->days[i].nbaskets;
    br_status s = cmap_copy(&d->days[i].map, &c->days[i].map);
    if (s != BR_OK) return s; /* br_counts_free frees the days made so far */
    d->ndays = i + 1;
  }
  return BR_OK;
}

br_status br_counts_clone(br_counts **out, const br_counts *c) {
  br_counts *d = NULL;
  br_status s = counts_alloc(&d, &c->o);
  if (s != BR_OK) return s;
  strdict_release(d->labels);
  if (!(d->labels = strdict_copy(c->labels))) {
    br_counts_free(d);
    return br_error_set(BR_ERR_NOMEM, "counts: out of memory for a copy of %d labels", c->labels->n);
  }
  d->nbaskets = c->nbaskets;
  d->horizon = c->horizon;
  d->now = c->now;
  d->tref = c->tref;
  if (c->base.cap) { /* a loaded store: its file's tables and the rest, folded */
    const cmap *adds[2] = {&c->mid, &c->total};
    s = counts_level_check(c, 1);
    if (s == BR_OK) s = counts_merge(&d->total, &c->base, adds, 2, c->labels->n, c->saved.path ? c->saved.path : "counts");
  } else {
    s = cmap_copy(&d->total, &c->total);
  }
  if (s == BR_OK) s = days_copy(d, c);
  if (s == BR_OK) s = sketch_copy(&d->sk, &c->sk);
  if (s != BR_OK) {
    br_counts_free(d);
    return s;
  }
  *out = d;
  return BR_OK;
}
