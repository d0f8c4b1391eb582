/* Frequent itemset mining by occurrence delivery (LCM, Uno et al.).
 *
 * Baskets are reduced to frequent items, renumbered by ascending frequency
 * and sorted. A node is an itemset P with its occurrences: (basket,
 * position just after P's last item). One pass over the items after that
 * position counts every extension P+e; a second pass copies each suffix
 * keeping only P's frequent extensions and delivers an occurrence into each
 * extension's bucket (the occurrence list of P+e), so children scan only
 * items that can still grow them (a light form of LCM's database
 * reduction: T10I4D100K at 0.0005 went from 0.20 s to 0.14 s). Buckets and
 * copies live in a stack-like arena released on the way back up.
 *
 * closed/maximal are decided at a node from counts of *every* item over
 * P's baskets (count of e = support of P+e): P is closed when no outside
 * item reaches P's count, maximal when none reaches the threshold. top = k
 * keeps a min-heap of the k best counts and raises the threshold as it
 * fills, so subtrees that cannot enter are never visited. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "basket_internal.h"
#include "deadline_internal.h"
#include "sort_index.h"
#include "bundle/memory.h"

#define DEFAULT_MAX_ITEMSETS 5000000
#define ARENA_BLOCK ((size_t)1 << 20)

/* ---- itemset store ---- */

br_itemsets *itemsets_new(int64_t nbaskets, int32_t nitems, int weighted) {
  br_itemsets *s = br_calloc("itemsets", 1, sizeof *s);
  if (!s) return NULL;
  s->cap = 1024;
  s->cap_items = 4096;
  s->off = br_alloc("itemsets", (size_t)(s->cap + 1), sizeof *s->off);
  s->items = br_alloc("itemsets", (size_t)s->cap_items, sizeof *s->items);
  s->count = br_alloc("itemsets", (size_t)s->cap, sizeof *s->count);
  if (weighted) s->weight = br_alloc("itemsets", (size_t)s->cap, sizeof *s->weight);
  s->item_count = br_calloc("itemsets", (size_t)nitems, sizeof *s->item_count);
  if (!s->off || !s->items || !s->count || (weighted && !s->weight) || !s->item_count) {
    br_itemsets_free(s);
    return NULL;
  }
  s->off[0] = 0;
  s->nbaskets = nbaskets;
  s->nitems = nitems;
  return s;
}

int itemsets_push(br_itemsets *s, const int32_t *items, int size, int64_t count, double weight) {
  if (s->n == s->cap) {
    int64_t cap = s->cap * 2;
    int64_t *off = br_realloc("itemsets", s->off, (size_t)(cap + 1), sizeof *off);
    if (!off) return 0;
    s->off = off;
    int64_t *c = br_realloc("itemsets", s->count, (size_t)cap, sizeof *c);
    if (!c) return 0;
    s->count = c;
    if (s->weight) {
      double *w = br_realloc("itemsets", s->weight, (size_t)cap, sizeof *w);
      if (!w) return 0;
      s->weight = w;
    }
    s->cap = cap;
  }
  if (s->len + size > s->cap_items) {
    int64_t cap = (s->len + size) * 2;
    int32_t *it = br_realloc("itemsets", s->items, (size_t)cap, sizeof *it);
    if (!it) return 0;
    s->items = it;
    s->cap_items = cap;
  }
  memcpy(s->items + s->len, items, (size_t)size * sizeof *items);
  s->len += size;
  s->count[s->n] = count;
  if (s->weight) s->weight[s->n] = weight;
  s->n++;
  s->off[s->n] = s->len;
  return 1;
}

void br_itemsets_free(br_itemsets *s) {
  if (!s) return;
  br_free(s->off);
  br_free(s->items);
  br_free(s->count);
  br_free(s->weight);
  br_free(s->item_count);
  br_free(s);
}

int64_t br_itemsets_count(const br_itemsets *s) { return s->n; }
int64_t br_itemsets_nbaskets(const br_itemsets *s) { return s->nbaskets; }
int64_t br_itemsets_support_count(const br_itemsets *s, int64_t k) { return s->count[k]; }
double br_itemsets_weight(const br_itemsets *s, int64_t k) { return s->weight ? s->weight[k] : NAN; }

const int32_t *br_itemsets_items(const br_itemsets *s, int64_t k, int *size) {
  *size = (int)(s->off[k + 1] - s->off[k]);
  return s->items + s->off[k];
}

void br_mine_options_init(br_mine_options *o) { memset(o, 0, sizeof *o); }

/* ---- mining ---- */

/* An occurrence of a node's itemset: the rest of one basket, as items
 * t[pos..len) of an array that holds only items that could still extend
 * it (the node's parent filtered it), and the basket's number for weights. */
typedef struct occ {
  const int32_t *t;
  int32_t pos, len;
  int32_t tid;
} occ;

typedef struct arena_block {
  char *p;
  size_t used, cap;
} arena_block;

typedef struct miner {
  /* reduced database */
  int64_t *off;
  int32_t *items;  /* renumbered ids, ascending within a basket */
  double *w;       /* basket weights, or NULL */
  int32_t m;       /* frequent items */
  int32_t *orig;   /* renumbered id -> original id */
  /* state */
  int64_t minc;
  int max_size, min_size, closed, maximal;
  int64_t *cnt;    /* per item, zero between uses */
  int32_t *touched;
  int32_t *prefix; /* current itemset, renumbered ids */
  int32_t *incl;   /* include items (original ids), added to every output */
  const double *item_w; /* per-item weights, by original id, or NULL */
  int ninclude;
  int32_t *scratch;
  arena_block *blocks;
  int nblocks, cur;
  /* top-k */
  int64_t top, *heap, nheap;
  /* output */
  br_itemsets *out;
  int64_t max_itemsets;
  br_status err;
  int64_t work; /* for deadline_poll */
} miner;

/* Stack-like scratch memory: allocations are released in reverse order by
 * restoring a mark, so a node's buckets live exactly while it is mined. */
static void arena_mark(const miner *mi, int *mark_block, size_t *mark_used) {
  *mark_block = mi->cur;
  *mark_used = mi->nblocks ? mi->blocks[mi->cur].used : 0;
}

/* count x size bytes, overflow-checked; zero is fine (a valid pointer into
 * a block). NULL with the error set when it overflows or memory runs out. */
static void *arena_alloc(miner *mi, size_t count, size_t size) {
  size_t bytes;
  if (__builtin_mul_overflow(count, size, &bytes) || bytes > SIZE_MAX - 15) {
    br_error_set(BR_ERR_NOMEM, "itemsets: %zu x %zu bytes does not fit in memory", count, size);
    return NULL;
  }
  bytes = (bytes + 15) & ~(size_t)15;
  for (;;) {
    if (mi->cur < mi->nblocks) {
      arena_block *b = &mi->blocks[mi->cur];
      if (b->cap - b->used >= bytes) {
        void *p = b->p + b->used;
        b->used += bytes;
        return p;
      }
      if (mi->cur + 1 < mi->nblocks && mi->blocks[mi->cur + 1].cap >= bytes) {
        mi->cur++;
        mi->blocks[mi->cur].used = 0;
        continue;
      }
    }
    /* a new block (at cur + 1, or the first) big enough: 64 KB first,
     * then twice the largest so far up to 16 MB, so a small mining does
     * not map (and, under ASan, poison) 16 MB it never touches */
    size_t cap = (size_t)64 << 10;
    for (int i = 0; i < mi->nblocks; i++)
      if (mi->blocks[i].cap > cap / 2) cap = mi->blocks[i].cap * 2;
    if (cap > ARENA_BLOCK * 16) cap = ARENA_BLOCK * 16;
    if (cap < bytes) cap = bytes;
    arena_block *nb = br_realloc("itemsets", mi->blocks, (size_t)(mi->nblocks + 1), sizeof *nb);
    if (!nb) return NULL;
    mi->blocks = nb;
    int at = mi->nblocks ? mi->cur + 1 : 0;
    memmove(mi->blocks + at + 1, mi->blocks + at, (size_t)(mi->nblocks - at) * sizeof *nb);
    mi->blocks[at].p = br_alloc("itemsets", cap, 1);
    if (!mi->blocks[at].p) {
      memmove(mi->blocks + at, mi->blocks + at + 1, (size_t)(mi->nblocks - at) * sizeof *nb);
      return NULL;
    }
    mi->blocks[at].cap = cap;
    mi->blocks[at].used = 0;
    mi->nblocks++;
    mi->cur = at;
  }
}

static void arena_release(miner *mi, int mark_block, size_t mark_used) {
  if (!mi->nblocks) return;
  mi->cur = mark_block < 0 ? 0 : mark_block;
  mi->blocks[mi->cur].used = mark_block < 0 ? 0 : mark_used;
}

/* The threshold now: min_count, or the k-th best count once top is full. */
static int64_t threshold(const miner *mi) {
  return (mi->top > 0 && mi->nheap == mi->top && mi->heap[0] > mi->minc) ? mi->heap[0] : mi->minc;
}

static void heap_push(miner *mi, int64_t c) {
  int64_t *h = mi->heap;
  if (mi->nheap < mi->top) {
    int64_t i = mi->nheap++;
    h[i] = c;
    while (i > 0 && h[(i - 1) / 2] > h[i]) {
      int64_t p = (i - 1) / 2, t = h[p];
      h[p] = h[i];
      h[i] = t;
      i = p;
    }
  } else if (c > h[0]) {
    h[0] = c;
    for (int64_t i = 0;;) {
      int64_t l = 2 * i + 1, r = l + 1, s = i;
      if (l < mi->nheap && h[l] < h[s]) s = l;
      if (r < mi->nheap && h[r] < h[s]) s = r;
      if (s == i) break;
      int64_t t = h[s];
      h[s] = h[i];
      h[i] = t;
      i = s;
    }
  }
}

static int cmp_i32(const void *x, const void *y) {
  int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
  return (a > b) - (a < b);
}

/* Short lists (a node's extensions, an itemset) sort faster by insertion. */
static void sort_i32(int32_t *v, int64_t n) {
  if (n > 32) {
    qsort(v, (size_t)n, sizeof *v, cmp_i32);
    return;
  }
  for (int64_t i = 1; i < n; i++) {
    int32_t x = v[i];
    int64_t j = i;
    for (; j > 0 && v[j - 1] > x; j--) v[j] = v[j - 1];
    v[j] = x;
  }
}

/* Reports prefix[0..size) (plus include items) with its count and weight. */
static void emit(miner *mi, int size, int64_t count, double weight) {
  if (mi->err != BR_OK) return;
  int total = size + mi->ninclude;
  if (total < mi->min_size || total == 0) return;
  if (count < threshold(mi)) return;
  for (int i = 0; i < size; i++) mi->scratch[i] = mi->orig[mi->prefix[i]];
  memcpy(mi->scratch + size, mi->incl, (size_t)mi->ninclude * sizeof *mi->incl);
  sort_i32(mi->scratch, total);
  if (mi->out->n >= mi->max_itemsets) {
    mi->err = br_error_set(BR_ERR_LIMIT,
                           "frequent: more than %lld itemsets at a count of %lld; raise min_support "
                           "(or min_count), lower max_size, or raise max_itemsets",
                           (long long)mi->max_itemsets, (long long)mi->minc);
    return;
  }
  if (mi->item_w) { /* every basket of the set holds all its items */
    double per = 0;
    for (int i = 0; i < total; i++) per += mi->item_w[mi->scratch[i]];
    weight = (mi->w ? weight : (double)count) * per;
  }
  if (!itemsets_push(mi->out, mi->scratch, total, count, weight)) {
    mi->err = br_error_set(BR_ERR_NOMEM, "frequent: out of memory after %lld itemsets", (long long)mi->out->n);
    return;
  }
  if (mi->top > 0) heap_push(mi, count);
}

/* Mines the node prefix[0..depth) with occurrences o[0..n); its count is
 * n (weight `weight`). */
static void mine(miner *mi, int depth, const occ *o, int64_t n, double weight) {
  if (mi->err != BR_OK) return;
  /* a node costs about its occurrences; the arena unwinds as the recursion returns */
  if (deadline_poll(&mi->work, n + 1)) {
    mi->err = br_deadline_stop("mining", mi->out->n, "itemsets");
    return;
  }
  int closure = mi->closed || mi->maximal;
  int full = closure && depth > 0;
  int grow = mi->max_size == 0 || depth < mi->max_size;
  if (!grow && !full) return;
  int64_t *cnt = mi->cnt;
  int32_t *touched = mi->touched;
  int32_t nt = 0;
  int32_t last = depth > 0 ? mi->prefix[depth - 1] : -1;
  /* Closedness needs every item of P's baskets, not just its extensions. */
  if (full) {
    for (int64_t k = 0; k < n; k++) {
      const int32_t *t = mi->items + mi->off[o[k].tid], *end = mi->items + mi->off[o[k].tid + 1];
      for (const int32_t *e = t; e < end; e++)
        if (cnt[*e]++ == 0) touched[nt++] = *e;
    }
    int keep = 1;
    for (int32_t i = 0; i < nt && keep; i++) {
      int32_t e = touched[i];
      int in_p = 0;
      for (int d = 0; d < depth && !in_p; d++) in_p = mi->prefix[d] == e;
      if (in_p) continue;
      if (mi->closed && cnt[e] == n) keep = 0;
      if (mi->maximal && cnt[e] >= mi->minc) keep = 0;
    }
    if (keep) emit(mi, depth, n, weight);
    for (int32_t i = 0; i < nt; i++) cnt[touched[i]] = 0;
    nt = 0;
    if (!grow) return;
  }
  /* Count the extensions: the items after each occurrence's position. */
  for (int64_t k = 0; k < n; k++)
    for (const int32_t *e = o[k].t + o[k].pos, *end = o[k].t + o[k].len; e < end; e++)
      if (cnt[*e]++ == 0) touched[nt++] = *e;
  int64_t thr = threshold(mi);
  int32_t nf = 0;
  int64_t total = 0, suffix_total = 0;
  for (int32_t i = 0; i < nt; i++) {
    int32_t e = touched[i];
    if (e > last && cnt[e] >= thr) {
      touched[nf++] = e;
      total += cnt[e];
    } else {
      cnt[e] = 0;
    }
  }
  if (nf == 0) return;
  sort_i32(touched, nf);
  for (int64_t k = 0; k < n; k++) suffix_total += o[k].len - o[k].pos;
  int mb;
  size_t mu;
  arena_mark(mi, &mb, &mu);
  /* per extension: its item, bucket end, weight; then the buckets; then
   * the filtered suffixes the buckets point into */
  int32_t *ext = arena_alloc(mi, (size_t)nf, sizeof *ext);
  int64_t *fill = arena_alloc(mi, (size_t)nf, sizeof *fill);
  double *wts = arena_alloc(mi, (size_t)nf, sizeof *wts);
  occ *data = arena_alloc(mi, (size_t)total, sizeof *data);
  int32_t *filtered = arena_alloc(mi, (size_t)suffix_total, sizeof *filtered);
  if (!ext || !fill || !wts || !data || !filtered) {
    mi->err = br_error_set(BR_ERR_NOMEM, "frequent: out of memory while mining");
    for (int32_t i = 0; i < nf; i++) cnt[touched[i]] = 0;
    arena_release(mi, mb, mu);
    return;
  }
  int64_t at = 0;
  for (int32_t i = 0; i < nf; i++) {
    int32_t e = touched[i];
    ext[i] = e;
    fill[i] = at;
    wts[i] = 0;
    at += cnt[e];
    cnt[e] = -(int64_t)i - 1; /* mark: bucket index */
  }
  /* Deliver: copy each suffix keeping only this node's extensions, then
   * give each of them an occurrence pointing just past it in that copy. */
  int32_t *w = filtered;
  for (int64_t k = 0; k < n; k++) {
    int32_t *start = w;
    for (const int32_t *e = o[k].t + o[k].pos, *end = o[k].t + o[k].len; e < end; e++)
      if (cnt[*e] < 0) *w++ = *e;
    int32_t len = (int32_t)(w - start);
    double wt = mi->w ? mi->w[o[k].tid] : 0;
    for (int32_t j = 0; j < len; j++) {
      int64_t b = -cnt[start[j]] - 1;
      occ *d = data + fill[b]++;
      d->t = start;
      d->pos = j + 1;
      d->len = len;
      d->tid = o[k].tid;
      wts[b] += wt;
    }
  }
  for (int32_t i = 0; i < nf; i++) cnt[ext[i]] = 0;
  /* fill[i] is now the end of bucket i; its start is the previous end. */
  for (int32_t i = 0; i < nf && mi->err == BR_OK; i++) {
    int64_t begin = i ? fill[i - 1] : 0, c = fill[i] - begin;
    if (c < threshold(mi)) continue; /* top may have raised the bar */
    mi->prefix[depth] = ext[i];
    if (!closure) emit(mi, depth + 1, c, wts[i]);
    if (mi->max_size == 0 || depth + 1 < mi->max_size || closure) mine(mi, depth + 1, data + begin, c, wts[i]);
  }
  arena_release(mi, mb, mu);
}

static void miner_free(miner *mi) {
  br_free(mi->off);
  br_free(mi->items);
  br_free(mi->w);
  br_free(mi->orig);
  br_free(mi->cnt);
  br_free(mi->touched);
  br_free(mi->prefix);
  br_free(mi->incl);
  br_free(mi->scratch);
  for (int i = 0; i < mi->nblocks; i++) br_free(mi->blocks[i].p);
  br_free(mi->blocks);
  br_free(mi->heap);
}

typedef struct item_rank {
  int64_t count;
  int32_t id;
} item_rank;

static int cmp_rank(const void *x, const void *y) {
  const item_rank *a = x, *b = y;
  if (a->count != b->count) return a->count < b->count ? -1 : 1;
  return (a->id > b->id) - (a->id < b->id);
}

/* Sorting the results: count descending, then size, then items. */
static int cmp_sets(const void *ctx, int64_t a, int64_t b) {
  const br_itemsets *s = ctx;
  if (s->count[a] != s->count[b]) return s->count[a] > s->count[b] ? -1 : 1;
  int64_t la = s->off[a + 1] - s->off[a], lb = s->off[b + 1] - s->off[b];
  if (la != lb) return la < lb ? -1 : 1;
  for (int64_t i = 0; i < la; i++) {
    int32_t p = s->items[s->off[a] + i], q = s->items[s->off[b] + i];
    if (p != q) return p < q ? -1 : 1;
  }
  return 0;
}

/* Keeps the first `keep` itemsets of the order, by permutation `order`. */
static int itemsets_permute(br_itemsets *s, const int64_t *order, int64_t keep) {
  br_itemsets *t = itemsets_new(s->nbaskets, s->nitems, s->weight != NULL);
  if (!t) return 0;
  for (int64_t k = 0; k < keep; k++) {
    int64_t i = order[k];
    if (!itemsets_push(t, s->items + s->off[i], (int)(s->off[i + 1] - s->off[i]), s->count[i],
                       s->weight ? s->weight[i] : 0)) {
      br_itemsets_free(t);
      return 0;
    }
  }
  memcpy(t->item_count, s->item_count, (size_t)s->nitems * sizeof *t->item_count);
  /* swap contents */
  br_itemsets tmp = *s;
  *s = *t;
  *t = tmp;
  br_itemsets_free(t);
  return 1;
}

void br_itemsets_sort_by_count(br_itemsets *s) {
  int64_t *order = br_alloc("itemsets", (size_t)s->n, sizeof *order);
  if (!order) return;
  for (int64_t k = 0; k < s->n; k++) order[k] = k;
  if (sort_index(order, s->n, cmp_sets, s)) itemsets_permute(s, order, s->n);
  br_free(order);
}

typedef struct order_ctx {
  const br_itemsets *s;
  br_itemset_order by;
} order_ctx;

static int cmp_order(const void *ctx, int64_t a, int64_t b) {
  const order_ctx *c = ctx;
  const br_itemsets *s = c->s;
  if (c->by == BR_ORDER_SIZE) {
    int64_t la = s->off[a + 1] - s->off[a], lb = s->off[b + 1] - s->off[b];
    if (la != lb) return la > lb ? -1 : 1;
  } else if (c->by == BR_ORDER_WEIGHT && s->weight[a] != s->weight[b]) {
    return s->weight[a] > s->weight[b] ? -1 : 1;
  }
  return cmp_sets(s, a, b);
}

br_status br_itemsets_select(br_itemsets **out, const br_itemsets *s, br_itemset_order by, int64_t k) {
  if (by == BR_ORDER_WEIGHT && !s->weight)
    return br_error_set(BR_ERR_ARG, "sort: these itemsets have no weights (mine with weights = ...)");
  if (k < 0 || k > s->n) k = s->n;
  int64_t *order = br_alloc("itemsets", (size_t)s->n, sizeof *order);
  br_itemsets *t = itemsets_new(s->nbaskets, s->nitems, s->weight != NULL);
  if (!order || !t) goto oom;
  for (int64_t i = 0; i < s->n; i++) order[i] = i;
  order_ctx ctx = {s, by};
  if (!sort_index(order, s->n, cmp_order, &ctx)) goto oom;
  for (int64_t i = 0; i < k; i++) {
    int64_t j = order[i];
    if (!itemsets_push(t, s->items + s->off[j], (int)(s->off[j + 1] - s->off[j]), s->count[j],
                       s->weight ? s->weight[j] : 0))
      goto oom;
  }
  memcpy(t->item_count, s->item_count, (size_t)s->nitems * sizeof *t->item_count);
  br_free(order);
  *out = t;
  return BR_OK;
oom:
  br_free(order);
  br_itemsets_free(t);
  return br_error_set(BR_ERR_NOMEM, "itemsets: out of memory");
}

br_status br_baskets_frequent(br_itemsets **out, const br_baskets *b, const br_mine_options *o) {
  br_mine_options dflt;
  if (!o) {
    br_mine_options_init(&dflt);
    o = &dflt;
  }
  int64_t n = b->n;
  if (o->min_count < 0) return br_error_set(BR_ERR_ARG, "frequent: min_count %lld is negative", (long long)o->min_count);
  if (o->min_count == 0 && !(o->min_support > 0 && o->min_support <= 1))
    return br_error_set(BR_ERR_ARG, "frequent: min_support %g is not in (0, 1] (or give min_count)", o->min_support);
  if (o->max_size < 0 || o->min_size < 0 || (o->max_size && o->min_size > o->max_size))
    return br_error_set(BR_ERR_ARG, "frequent: sizes min %d, max %d do not fit", o->min_size, o->max_size);
  if (o->top < 0) return br_error_set(BR_ERR_ARG, "frequent: top %lld is negative", (long long)o->top);
  if (n > INT32_MAX) return br_error_set(BR_ERR_LIMIT, "frequent: %lld baskets; at most 2^31 - 1 can be mined at once", (long long)n);
  if (o->closed && o->maximal) return br_error_set(BR_ERR_ARG, "frequent: closed and maximal are exclusive");
  int64_t minc = o->min_count;
  if (minc == 0) {
    /* The least count c with c >= min_support * n, the product taken in
     * double arithmetic as the user writes it: 0.05 x 40 is 2, not the
     * 2.0000000000000001 a wider type makes of the double nearest 0.05. */
    double need = o->min_support * (double)n;
    minc = (int64_t)ceil(need);
    if (minc < 1) minc = 1;
  }
  for (int i = 0; i < o->ninclude; i++)
    if (o->include[i] < 0 || o->include[i] >= b->nitems) return br_error_set(BR_ERR_ARG, "frequent: include item %d is not an item", o->include[i]);
  for (int i = 0; i < o->nexclude; i++)
    if (o->exclude[i] < 0 || o->exclude[i] >= b->nitems) return br_error_set(BR_ERR_ARG, "frequent: exclude item %d is not an item", o->exclude[i]);
  if (o->item_weights)
    for (int32_t i = 0; i < b->nitems; i++)
      if (!isfinite(o->item_weights[i]))
        return br_error_set(BR_ERR_ARG, "frequent: weight of item %d is %g (item weights must be finite)", i, o->item_weights[i]);
  if (o->weights)
    for (int64_t k = 0; k < n; k++)
      if (!(o->weights[k] >= 0) || o->weights[k] == INFINITY)
        return br_error_set(BR_ERR_ARG, "frequent: weight of basket %lld is %g (weights must be finite and >= 0)", (long long)k + 1, o->weights[k]);

  miner mi;
  memset(&mi, 0, sizeof mi);
  mi.minc = minc;
  mi.max_size = o->max_size;
  mi.min_size = o->min_size;
  mi.closed = o->closed;
  mi.maximal = o->maximal;
  mi.top = o->top;
  mi.max_itemsets = o->max_itemsets > 0 ? o->max_itemsets : DEFAULT_MAX_ITEMSETS;
  mi.ninclude = o->ninclude;
  mi.err = BR_OK;
  int32_t M = b->nitems;
  uint8_t *flag = br_calloc("itemsets", (size_t)M, 1); /* 1 excluded, 2 included */
  int64_t *sup = br_calloc("itemsets", (size_t)M, sizeof *sup);
  int32_t *rename = br_alloc("itemsets", (size_t)M, sizeof *rename);
  item_rank *rank = br_alloc("itemsets", (size_t)M, sizeof *rank);
  mi.out = itemsets_new(n, M, o->weights != NULL || o->item_weights != NULL);
  mi.item_w = o->item_weights;
  mi.incl = br_alloc("itemsets", (size_t)o->ninclude, sizeof *mi.incl);
  br_status s = BR_OK;
  if (!flag || !sup || !rename || !rank || !mi.out || !mi.incl) goto oom;
  br_baskets_item_support(b, mi.out->item_count);
  for (int i = 0; i < o->nexclude; i++) flag[o->exclude[i]] = 1;
  for (int i = 0; i < o->ninclude; i++) {
    if (flag[o->include[i]] == 1) {
      s = br_error_set(BR_ERR_ARG, "frequent: item %d is both included and excluded", o->include[i]);
      goto done;
    }
    flag[o->include[i]] = 2;
    mi.incl[i] = o->include[i];
  }
  /* Baskets that hold every include item, and their item supports. */
  int64_t used = 0, used_items = 0;
  double wsum_all = 0;
  uint8_t *take = br_alloc("itemsets", (size_t)n, 1);
  if (!take) goto oom;
  for (int64_t k = 0; k < n; k++) {
    int have = 0;
    for (int64_t p = b->off[k]; p < b->off[k + 1]; p++) have += flag[b->items[p]] == 2;
    take[k] = have == o->ninclude;
    if (!take[k]) continue;
    used++;
    if (o->weights) wsum_all += o->weights[k];
    for (int64_t p = b->off[k]; p < b->off[k + 1]; p++) sup[b->items[p]]++;
  }
  /* Frequent, allowed items, renumbered by ascending support. */
  int32_t m = 0;
  for (int32_t i = 0; i < M; i++) {
    rename[i] = -1;
    if (flag[i] == 0 && sup[i] >= minc) rank[m++] = (item_rank){sup[i], i};
  }
  qsort(rank, (size_t)m, sizeof *rank, cmp_rank);
  mi.orig = br_alloc("itemsets", (size_t)m, sizeof *mi.orig);
  if (!mi.orig) {
    br_free(take);
    goto oom;
  }
  for (int32_t r = 0; r < m; r++) {
    rename[rank[r].id] = r;
    mi.orig[r] = rank[r].id;
  }
  mi.m = m;
  for (int64_t k = 0; k < n; k++)
    if (take[k])
      for (int64_t p = b->off[k]; p < b->off[k + 1]; p++) used_items += rename[b->items[p]] >= 0;
  mi.off = br_alloc("itemsets", (size_t)(used + 1), sizeof *mi.off);
  mi.items = br_alloc("itemsets", (size_t)used_items, sizeof *mi.items);
  if (o->weights) mi.w = br_alloc("itemsets", (size_t)used, sizeof *mi.w);
  mi.cnt = br_calloc("itemsets", (size_t)m, sizeof *mi.cnt);
  mi.touched = br_alloc("itemsets", (size_t)m, sizeof *mi.touched);
  mi.prefix = br_alloc("itemsets", (size_t)(m + 1), sizeof *mi.prefix);
  mi.scratch = br_alloc("itemsets", (size_t)(m + o->ninclude + 1), sizeof *mi.scratch);
  if (o->top > 0) mi.heap = br_alloc("itemsets", (size_t)o->top, sizeof *mi.heap);
  occ *root = br_alloc("itemsets", (size_t)used, sizeof *root);
  if (!mi.off || !mi.items || (o->weights && !mi.w) || !mi.cnt || !mi.touched || !mi.prefix ||
      !mi.scratch || (o->top > 0 && !mi.heap) || !root) {
    br_free(take);
    br_free(root);
    goto oom;
  }
  int64_t t = 0, w = 0;
  for (int64_t k = 0; k < n; k++) {
    if (!take[k]) continue;
    mi.off[t] = w;
    for (int64_t p = b->off[k]; p < b->off[k + 1]; p++)
      if (rename[b->items[p]] >= 0) mi.items[w++] = rename[b->items[p]];
    qsort(mi.items + mi.off[t], (size_t)(w - mi.off[t]), sizeof *mi.items, cmp_i32);
    if (mi.w) mi.w[t] = o->weights[k];
    root[t] = (occ){NULL, 0, 0, (int32_t)t}; /* pointers set below, once items stop moving */
    t++;
  }
  mi.off[used] = w;
  for (int64_t k = 0; k < used; k++) {
    root[k].t = mi.items + mi.off[k];
    root[k].len = (int32_t)(mi.off[k + 1] - mi.off[k]);
  }
  br_free(take);
  /* The include set itself, then everything that extends it. */
  if (o->ninclude > 0 && used >= minc) {
    qsort(mi.incl, (size_t)o->ninclude, sizeof *mi.incl, cmp_i32);
    if (!(o->closed || o->maximal)) emit(&mi, 0, used, wsum_all);
  }
  if (used > 0) mine(&mi, 0, root, used, wsum_all);
  br_free(root);
  s = mi.err;
  if (s == BR_OK) {
    br_itemsets_sort_by_count(mi.out);
    if (o->top > 0 && mi.out->n > o->top) { /* ties at the cut: the order decides */
      int64_t *order = br_alloc("itemsets", (size_t)o->top, sizeof *order);
      if (!order) goto oom;
      for (int64_t k = 0; k < o->top; k++) order[k] = k;
      int ok = itemsets_permute(mi.out, order, o->top);
      br_free(order);
      if (!ok) goto oom;
    }
    *out = mi.out;
    mi.out = NULL;
  }
  goto done;
oom:
  s = br_error_set(BR_ERR_NOMEM, "frequent: out of memory");
done:
  br_itemsets_free(mi.out);
  miner_free(&mi);
  br_free(flag);
  br_free(sup);
  br_free(rename);
  br_free(rank);
  return s;
}
