/* Bounded counts of itemsets of 2+ items: Space-Saving (Metwally, Agrawal
 * and El Abbadi, ICDT 2005) keeps the `cap` heaviest keys with their
 * over-count, and a Count-Min sketch (Cormode and Muthukrishnan, 2005)
 * bounds the count of any key. Both over-estimate, so the smaller of the
 * two is reported. Everything is allocated up front: memory does not grow
 * with the stream.
 *
 * Space-Saving's slots sit in a min-heap by count; a new key when the
 * slots are full takes the smallest slot, inheriting its count as its
 * error (weighted: the count plus the new weight). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "memory_internal.h"
#include "counts_internal.h"

static const uint64_t row_mult[16] = {
    0x9e3779b97f4a7c15ull, 0xc2b2ae3d27d4eb4full, 0x165667b19e3779f9ull, 0xd6e8feb86659fd93ull,
    0xa0761d6478bd642full, 0xe7037ed1a0b428dbull, 0x8ebc6af09c88c6e3ull, 0x589965cc75374cc3ull,
    0x1d8e4e27c47d124full, 0xbf58476d1ce4e5b9ull, 0x94d049bb133111ebull, 0x2545f4914f6cdd1dull,
    0x5851f42d4c957f2dull, 0x14057b7ef767814full, 0x9fb21c651e98df25ull, 0xff51afd7ed558ccdull};

br_status sketch_init(sketch *s, int64_t cap, int64_t width, int depth) {
  memset(s, 0, sizeof *s);
  if (cap < 1 || cap > SKETCH_MAX_CAPACITY)
    return br_error_set(BR_ERR_ARG, "counts: capacity must be in 1..%lld, got %lld", (long long)SKETCH_MAX_CAPACITY,
                        (long long)cap);
  if (width < 1 || width > SKETCH_MAX_WIDTH)
    return br_error_set(BR_ERR_ARG, "counts: width must be in 1..%lld, got %lld", (long long)SKETCH_MAX_WIDTH,
                        (long long)width);
  if (depth < 1 || depth > 16) return br_error_set(BR_ERR_ARG, "counts: depth must be in 1..16, got %d", depth);
  int64_t w = 1;
  while (w < width) w *= 2; /* a power of two: rows index by the hash's top bits; ends by 2^32 (checked above) */
  s->cap = cap;
  s->width = w;
  s->depth = depth;
  s->key = br_alloc("counts", (size_t)cap, sizeof *s->key);
  s->cnt = br_alloc("counts", (size_t)cap, sizeof *s->cnt);
  s->err = br_alloc("counts", (size_t)cap, sizeof *s->err);
  s->heap = br_alloc("counts", (size_t)cap, sizeof *s->heap);
  s->pos = br_alloc("counts", (size_t)cap, sizeof *s->pos);
  s->cm = br_calloc("counts", mem_mul((size_t)w, (size_t)depth), sizeof *s->cm);
  if (!s->key || !s->cnt || !s->err || !s->heap || !s->pos || !s->cm) {
    sketch_free(s);
    return br_error_set(BR_ERR_NOMEM, "counts: out of memory for a sketch of %lld itemsets and %lld x %d counters",
                        (long long)cap, (long long)w, depth);
  }
  return BR_OK;
}

void sketch_free(sketch *s) {
  br_free(s->key);
  br_free(s->cnt);
  br_free(s->err);
  br_free(s->heap);
  br_free(s->pos);
  cmap_free(&s->index);
  br_free(s->cm);
  memset(s, 0, sizeof *s);
}

size_t sketch_memory(const sketch *s) {
  return (size_t)s->cap * (sizeof *s->key + sizeof *s->cnt + sizeof *s->err + sizeof *s->heap + sizeof *s->pos) +
         s->index.cap * 16 + (size_t)(s->width * s->depth) * sizeof *s->cm;
}

/* ---- the heap ---- */

static void heap_swap(sketch *s, int64_t i, int64_t j) {
  int64_t a = s->heap[i], b = s->heap[j];
  s->heap[i] = b;
  s->heap[j] = a;
  s->pos[b] = i;
  s->pos[a] = j;
}

static void sift_down(sketch *s, int64_t i) {
  for (;;) {
    int64_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < s->size && s->cnt[s->heap[l]] < s->cnt[s->heap[m]]) m = l;
    if (r < s->size && s->cnt[s->heap[r]] < s->cnt[s->heap[m]]) m = r;
    if (m == i) return;
    heap_swap(s, i, m);
    i = m;
  }
}

static void sift_up(sketch *s, int64_t i) {
  while (i > 0 && s->cnt[s->heap[(i - 1) / 2]] > s->cnt[s->heap[i]]) {
    heap_swap(s, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

/* Loading: key takes the next slot (its counts already set); 0 if it is kept already. */
int sketch_keep(sketch *s, uint64_t key) {
  if (cmap_get(&s->index, key) > 0 || s->size >= s->cap) return 0;
  int64_t slot = s->size++;
  s->key[slot] = key;
  s->heap[slot] = slot;
  s->pos[slot] = slot;
  return cmap_add(&s->index, key, (double)(slot + 1)) == BR_OK;
}

void sketch_heapify(sketch *s) {
  for (int64_t i = s->size / 2; i >= 0; i--) sift_down(s, i);
}

/* ---- updates and reads ---- */

static size_t cm_cell(const sketch *s, int row, uint64_t key) {
  uint64_t h = (key ^ (uint64_t)row * 0x632be59bd9b4e019ull) * row_mult[row];
  h ^= h >> 29;
  return (size_t)row * (size_t)s->width + (size_t)(h & (uint64_t)(s->width - 1));
}

br_status sketch_add(sketch *s, uint64_t key, double w) {
  s->total += w;
  for (int r = 0; r < s->depth; r++) s->cm[cm_cell(s, r, key)] += w;
  double at = cmap_get(&s->index, key); /* slot + 1, or 0 */
  if (at > 0) {
    int64_t slot = (int64_t)at - 1;
    s->cnt[slot] += w;
    sift_down(s, s->pos[slot]);
    return BR_OK;
  }
  int64_t slot;
  if (s->size < s->cap) {
    slot = s->size++;
    s->cnt[slot] = w;
    s->err[slot] = 0;
    s->heap[slot] = slot;
    s->pos[slot] = slot;
    sift_up(s, slot);
  } else {
    slot = s->heap[0]; /* the lightest key gives its slot up */
    cmap_del(&s->index, s->key[slot]);
    s->err[slot] = s->cnt[slot];
    s->cnt[slot] += w;
    sift_down(s, 0);
  }
  s->key[slot] = key;
  return cmap_add(&s->index, key, (double)(slot + 1));
}

double sketch_estimate(const sketch *s, uint64_t key) {
  double est = INFINITY;
  for (int r = 0; r < s->depth; r++) {
    double v = s->cm[cm_cell(s, r, key)];
    if (v < est) est = v;
  }
  double at = cmap_get(&s->index, key);
  if (at > 0) {
    double v = s->cnt[(int64_t)at - 1];
    if (v < est) est = v;
  } else if (s->size == s->cap && s->cnt[s->heap[0]] < est) {
    est = s->cnt[s->heap[0]]; /* an unkept key has at most the smallest kept count */
  } else if (s->size < s->cap) {
    est = 0; /* never seen: Space-Saving keeps every key until it is full */
  }
  return est;
}

void sketch_scale(sketch *s, double f) {
  for (int64_t i = 0; i < s->size; i++) {
    s->cnt[i] *= f;
    s->err[i] *= f;
  }
  for (int64_t i = 0; i < s->width * s->depth; i++) s->cm[i] *= f;
  s->total *= f;
}
