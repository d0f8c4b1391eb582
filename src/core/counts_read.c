/* Reading a count store: its frequent itemsets and rules as frames shaped
 * like Itemsets:to_frame and Rules:to_frame, so batch and streaming
 * results compare and write alike. Labels inside an itemset are in byte
 * order (a store has no order of first appearance that survives expiry). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "counts_internal.h"
#include "memory_internal.h"

typedef struct found {
  int32_t ids[3];
  int size;
  double count; /* read units */
  char *text;   /* labels joined by "," */
  size_t len;
} found;

typedef struct found_list {
  found *v;
  int64_t n, cap;
} found_list;

static void list_free(found_list *l) {
  for (int64_t i = 0; i < l->n; i++) br_free(l->v[i].text);
  br_free(l->v);
}

static int cmp_label(const void *a, const void *b, const strdict *dict) {
  size_t la, lb;
  const char *sa = strdict_get(dict, *(const int32_t *)a, &la), *sb = strdict_get(dict, *(const int32_t *)b, &lb);
  int c = memcmp(sa, sb, la < lb ? la : lb);
  return c ? c : (la > lb) - (la < lb);
}

/* ids sorted by label (insertion sort: at most three). */
static void sort_by_label(const strdict *d, int32_t *ids, int n) {
  for (int i = 1; i < n; i++)
    for (int j = i; j > 0 && cmp_label(&ids[j - 1], &ids[j], d) > 0; j--) {
      int32_t t = ids[j];
      ids[j] = ids[j - 1];
      ids[j - 1] = t;
    }
}

static char *join(const strdict *d, const int32_t *ids, int n, size_t *len) {
  size_t total = 0;
  for (int i = 0; i < n; i++) {
    size_t l;
    strdict_get(d, ids[i], &l);
    total += l + 1;
  }
  char *s = br_alloc("counts", 1, total + 1), *p = s;
  if (!s) return NULL;
  for (int i = 0; i < n; i++) {
    size_t l;
    const char *t = strdict_get(d, ids[i], &l);
    if (i) *p++ = ',';
    memcpy(p, t, l);
    p += l;
  }
  *p = '\0';
  *len = (size_t)(p - s);
  return s;
}

static br_status push(found_list *l, const br_counts *c, uint64_t key, double count) {
  if (l->n == l->cap) {
    int64_t cap = l->cap ? l->cap * 2 : 256;
    found *v = br_realloc("counts", l->v, (size_t)cap, sizeof *v);
    if (!v) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
    l->v = v;
    l->cap = cap;
  }
  found *f = &l->v[l->n];
  f->size = counts_unkey(key, f->ids);
  f->count = count;
  int32_t byl[3];
  memcpy(byl, f->ids, sizeof byl);
  sort_by_label(c->labels, byl, f->size);
  f->text = join(c->labels, byl, f->size, &f->len);
  if (!f->text) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  l->n++;
  return BR_OK;
}

static int cmp_found(const void *a, const void *b) {
  const found *x = a, *y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  if (x->size != y->size) return x->size - y->size;
  return strcmp(x->text, y->text);
}

static double floor_of(const br_counts *c, const br_counts_query *q) {
  return q->min_count > 0 ? q->min_count : q->min_support * br_counts_nbaskets(c);
}

/* Whether every item of ids[0..n) is at or above the floor: no itemset
 * counts more than its rarest item (stored counts, so under decay too). */
static int items_ok(const char *item_ok, const int32_t *ids, int n) {
  for (int i = 0; i < n; i++)
    if (!item_ok[ids[i]]) return 0;
  return 1;
}

static br_status damaged(const br_counts *c, const char *what) {
  return br_error_set(BR_ERR_PARSE, "%s: damaged counts store: %s", c->saved.path ? c->saved.path : "counts", what);
}

static br_status damaged_level(const br_counts *c, const char *what) {
  return br_error_set(BR_ERR_PARSE, "%s%s: damaged level file: %s", c->saved.path ? c->saved.path : "counts",
                      COUNTS_LEVEL_SUFFIX, what);
}

typedef struct scan {
  found_list *l;
  const br_counts *c;
  char *item_ok;  /* by item id: its count is at or above the floor */
  double most[4]; /* by size: the largest count total adds to an itemset */
  double scale, fl;
  int min, max;
} scan;

static int size_of(uint64_t key) {
  const uint64_t low = ((uint64_t)1 << COUNTS_ITEM_BITS) - 1;
  return key & low ? 3 : (key >> COUNTS_ITEM_BITS) & low ? 2 : 1; /* the first item is highest */
}

/* Reports key with stored count v when it is of the sizes asked and at or
 * above the floor; a key of an unknown item (a damaged file) is an error. */
static br_status consider(scan *q, uint64_t key, double v) {
  int32_t ids[3];
  if (!counts_key_ok(key, q->c->labels->n)) return damaged(q->c, "an itemset names an unknown item");
  int n = counts_unkey(key, ids);
  if (n < q->min || n > q->max || !items_ok(q->item_ok, ids, n)) return BR_OK;
  v *= q->scale;
  return v >= q->fl && v > 0 ? push(q->l, q->c, key, v) : BR_OK;
}

/* Without a rank index: every key of total with its base part, then the
 * base's other keys; one that total does not add to can pass only if its
 * count plus total's largest addition to an itemset of its size does, so
 * few need the look-up in total. */
static br_status collect_scan(scan *q) {
  const br_counts *c = q->c;
  br_status s = BR_OK;
  for (size_t i = 0; i < c->total.cap && s == BR_OK; i++) {
    uint64_t key = c->total.keys[i];
    if (key) s = consider(q, key, cmap_get(&c->base, key) + c->total.vals[i]);
  }
  for (size_t i = 0; i < c->base.cap && s == BR_OK; i++) {
    uint64_t key = c->base.keys[i];
    if (!key || (c->base.vals[i] + q->most[size_of(key)]) * q->scale < q->fl || cmap_find(&c->total, key)) continue;
    s = consider(q, key, c->base.vals[i]);
  }
  return s;
}

/* With the base's rank index (a loaded store), in three passes, each
 * itemset of 2+ items reported once:
 *  1. the base's buckets down to the floor, each key with the level's and
 *     total's parts (look-ups in small or cached tables, for few keys);
 *  2. the level's buckets (when there is one) down to half the gap left
 *     between the floor and the base's unvisited buckets: a key there not
 *     visited in 1 may reach the floor with its base part below the gap;
 *  3. total's keys whose own addition could lift a count from below both
 *     to the floor: few, as a day adds little to most itemsets, and only
 *     they need the look-ups in the base and level (a cache miss each in a
 *     large table);
 * then the items, which the indexes leave out. */
/* The first bucket, from the top, not to visit: where under_other plus
 * mult times its counts' bound is below the floor. */
static int first_unvisited(double under_other, double mult, const scan *q) {
  int b = COUNTS_RANK_BUCKETS - 1;
  for (; b >= 0; b--)
    if (b < COUNTS_RANK_BUCKETS - 1 && (under_other + mult * counts_rank_upper(b)) * q->scale < q->fl) break;
  return b;
}

static br_status collect_ranked(scan *q) {
  const br_counts *c = q->c;
  br_status s = BR_OK;
  const uint64_t two = (((uint64_t)1 << COUNTS_ITEM_BITS) - 1) * (((uint64_t)1 << COUNTS_ITEM_BITS) + 1);
  int bb = first_unvisited(0, 1, q), bm = -1;
  for (int b = COUNTS_RANK_BUCKETS - 1; b > bb && s == BR_OK; b--)
    for (uint64_t k = c->rank_starts[b]; k < c->rank_starts[b + 1] && s == BR_OK; k++) {
      uint32_t slot = c->rank[k];
      uint64_t key = slot < c->base.cap ? c->base.keys[slot] : 0;
      s = key & two ? consider(q, key, c->base.vals[slot] + cmap_get(&c->mid, key) + cmap_get(&c->total, key))
                    : damaged(c, "the rank index names an empty slot or an item");
    }
  /* buckets bb and below were not visited: their counts are below under_b */
  double under_b = bb >= 0 ? counts_rank_upper(bb) : 0, under_m = 0;
  if (c->mid_starts && s == BR_OK) {
    /* the level's buckets with counts of at least half the gap */
    bm = first_unvisited(under_b, 2, q);
    under_m = bm >= 0 ? counts_rank_upper(bm) : 0;
    for (int b = COUNTS_RANK_BUCKETS - 1; b > bm && s == BR_OK; b--)
      for (uint64_t k = c->mid_starts[b]; k < c->mid_starts[b + 1] && s == BR_OK; k++) {
        uint32_t slot = c->mid_rank[k];
        uint64_t key = slot < c->mid.cap ? c->mid.keys[slot] : 0;
        if (!(key & two)) {
          s = damaged_level(c, "the rank index names an empty slot or an item");
          break;
        }
        /* its base part is below under_b unless visited in 1: either way
         * it needs no look-up in the base (a page fault in a large file)
         * when the rest cannot lift it to the floor */
        double mt = c->mid.vals[slot] + cmap_get(&c->total, key);
        if ((under_b + mt) * q->scale < q->fl) continue;
        const double *bv = cmap_find(&c->base, key);
        if (bv && counts_rank_bucket(*bv) > bb) continue; /* visited above */
        s = counts_key_ok(key, c->labels->n) ? consider(q, key, (bv ? *bv : 0) + mt)
                                              : damaged_level(c, "an itemset names an unknown item");
      }
  }
  for (size_t i = 0; i < c->total.cap && s == BR_OK; i++) {
    uint64_t key = c->total.keys[i];
    if (!(key & two) || (under_b + under_m + c->total.vals[i]) * q->scale < q->fl) continue;
    const double *mv = cmap_find(&c->mid, key);
    if (mv && counts_rank_bucket(*mv) > bm && c->mid_starts) continue; /* visited in 2 */
    double mt = (mv ? *mv : 0) + c->total.vals[i];
    if ((under_b + mt) * q->scale < q->fl) continue; /* as in 2: below the floor unless visited in 1 */
    const double *bv = cmap_find(&c->base, key);
    if (bv && counts_rank_bucket(*bv) > bb) continue; /* visited in 1 */
    s = consider(q, key, (bv ? *bv : 0) + mt);
  }
  for (int32_t i = 0; i < c->labels->n && s == BR_OK; i++)
    if (q->item_ok[i]) s = consider(q, counts_key(&i, 1), counts_item_get(c, i));
  return s;
}

/* The itemsets of min..max items at or above the floor, most frequent first. */
static br_status collect(found_list *l, const br_counts *c, const br_counts_query *q, int min, int max) {
  memset(l, 0, sizeof *l);
  int32_t ids[3], ni = c->labels->n;
  scan sc = {l, c, br_alloc("counts", (size_t)ni, 1), {0, 0, 0, 0}, counts_read_scale(c), floor_of(c, q), min, max};
  if (!sc.item_ok) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  for (int32_t i = 0; i < ni; i++) sc.item_ok[i] = counts_item_get(c, i) * sc.scale >= sc.fl;
  for (size_t i = 0; i < c->total.cap && !c->rank_starts; i++) { /* the scan's bound; the index needs none */
    uint64_t key = c->total.keys[i];
    int n = key ? counts_unkey(key, ids) : 0;
    if (key && c->total.vals[i] > sc.most[n]) sc.most[n] = c->total.vals[i];
  }
  br_status s = c->rank_starts ? collect_ranked(&sc) : collect_scan(&sc);
  br_free(sc.item_ok);
  if (c->o.mode == BR_COUNTS_SKETCH) {
    for (int64_t k = 0; k < c->sk.size && s == BR_OK; k++) {
      int n = counts_unkey(c->sk.key[k], ids);
      double v = sketch_estimate(&c->sk, c->sk.key[k]) * sc.scale;
      if (n >= min && n <= max && v >= sc.fl && v > 0) s = push(l, c, c->sk.key[k], v);
    }
  }
  if (s != BR_OK) {
    list_free(l);
    return s;
  }
  if (l->n > 1) qsort(l->v, (size_t)l->n, sizeof *l->v, cmp_found);
  return BR_OK;
}

static br_status check_query(const br_counts *c, const br_counts_query *q, int *min, int *max) {
  *min = q->min_size > 0 ? q->min_size : 1;
  *max = q->max_size > 0 ? q->max_size : c->o.max_size;
  if (*max > c->o.max_size)
    return br_error_set(BR_ERR_ARG, "counts: max_size %d is above the store's max_size %d", *max, c->o.max_size);
  if (q->min_count < 0 || q->min_support < 0 || q->min_support > 1)
    return br_error_set(BR_ERR_ARG, "counts: min_count must be >= 0 and min_support in [0, 1]");
  if (q->min_count == 0 && q->min_support == 0)
    return br_error_set(BR_ERR_ARG, "counts: give min_support (a fraction) or min_count");
  if (q->top < 0) return br_error_set(BR_ERR_ARG, "counts: top must not be negative");
  return BR_OK;
}

br_status br_counts_frequent(br_frame **out, const br_counts *c, const br_counts_query *q) {
  int min, max;
  br_status s = check_query(c, q, &min, &max);
  found_list l;
  if (s == BR_OK) s = collect(&l, c, q, min, max);
  if (s != BR_OK) return s;
  int64_t n = q->top > 0 && q->top < l.n ? q->top : l.n;
  char **texts = br_alloc("counts", (size_t)n, sizeof *texts);
  size_t *lens = br_alloc("counts", (size_t)n, sizeof *lens);
  int64_t *size = br_alloc("counts", (size_t)n, sizeof *size), *icount = br_alloc("counts", (size_t)n, sizeof *icount);
  double *count = br_alloc("counts", (size_t)n, sizeof *count), *sup = br_alloc("counts", (size_t)n, sizeof *sup);
  br_column *cols[4] = {NULL};
  if (!texts || !lens || !size || !icount || !count || !sup) s = br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  double nb = br_counts_nbaskets(c);
  for (int64_t i = 0; s == BR_OK && i < n; i++) {
    texts[i] = l.v[i].text;
    lens[i] = l.v[i].len;
    size[i] = l.v[i].size;
    count[i] = l.v[i].count;
    icount[i] = llround(l.v[i].count);
    sup[i] = nb > 0 ? l.v[i].count / nb : 0;
  }
  int decayed = c->o.half_life_days > 0;
  if (s == BR_OK) s = br_column_from_strings(&cols[0], n, (const char *const *)texts, lens);
  if (s == BR_OK) s = br_column_from_i64(&cols[1], BR_DTYPE_I64, n, size, NULL);
  if (s == BR_OK)
    s = decayed ? br_column_from_f64(&cols[2], n, count, NULL) : br_column_from_i64(&cols[2], BR_DTYPE_I64, n, icount, NULL);
  if (s == BR_OK) s = br_column_from_f64(&cols[3], n, sup, NULL);
  const char *names[4] = {"items", "size", "count", "support"};
  if (s == BR_OK) s = br_frame_new(out, 4, names, cols);
  for (int i = 0; i < 4; i++) br_column_release(cols[i]);
  br_free(texts);
  br_free(lens);
  br_free(size);
  br_free(icount);
  br_free(count);
  br_free(sup);
  list_free(&l);
  return s;
}

typedef struct rule {
  int64_t set;  /* index of the itemset in the list */
  int rhs;      /* which of its items is the consequent */
  double m[BR_MEASURE_COUNT];
  double key;   /* the ranking measure */
} rule;

static int cmp_rule(const void *a, const void *b) {
  double x = ((const rule *)a)->key, y = ((const rule *)b)->key;
  int nx = isnan(x), ny = isnan(y);
  if (nx != ny) return nx - ny;
  if (x != y) return x < y ? 1 : -1;
  const rule *ra = a, *rb = b;
  if (ra->set != rb->set) return ra->set < rb->set ? -1 : 1;
  return ra->rhs - rb->rhs;
}

/* The count of ids[0..n) in read units. */
static double count_of(const br_counts *c, const int32_t *ids, int n) {
  int32_t s[3];
  memcpy(s, ids, (size_t)n * sizeof *s);
  for (int i = 1; i < n; i++) /* ascending ids make the key */
    for (int j = i; j > 0 && s[j - 1] > s[j]; j--) {
      int32_t t = s[j];
      s[j] = s[j - 1];
      s[j - 1] = t;
    }
  uint64_t key = counts_key(s, n);
  double v = n == 1                              ? counts_item_get(c, s[0])
             : c->o.mode == BR_COUNTS_SKETCH ? sketch_estimate(&c->sk, key)
                                             : counts_total_get(c, key);
  return v * counts_read_scale(c);
}

br_status br_counts_rules(br_frame **out, const br_counts *c, const br_counts_query *q) {
  int min, max;
  br_status s = check_query(c, q, &min, &max);
  if (s == BR_OK && (int)q->by >= BR_MEASURE_COUNT) s = br_error_set(BR_ERR_ARG, "counts: unknown measure");
  found_list l;
  if (s == BR_OK) s = collect(&l, c, q, min > 2 ? min : 2, max);
  if (s != BR_OK) return s;
  int64_t nr = 0, cap = 0;
  rule *rs = NULL;
  int64_t n = llround(br_counts_nbaskets(c));
  for (int64_t i = 0; i < l.n && s == BR_OK; i++) {
    const found *f = &l.v[i];
    for (int y = 0; y < f->size; y++) {
      int32_t x[2];
      int nxi = 0;
      for (int k = 0; k < f->size; k++)
        if (k != y) x[nxi++] = f->ids[k];
      rule r = {i, y, {0}, 0};
      br_rule_measures(r.m, n, llround(count_of(c, x, nxi)), llround(count_of(c, &f->ids[y], 1)), llround(f->count));
      r.key = r.m[q->by];
      if (q->min_confidence > 0 && !(r.m[BR_M_CONFIDENCE] >= q->min_confidence)) continue;
      if (q->min_lift > 0 && !(r.m[BR_M_LIFT] >= q->min_lift)) continue;
      if (nr == cap) {
        cap = cap ? cap * 2 : 256;
        rule *v = br_realloc("counts", rs, (size_t)cap, sizeof *v);
        if (!v) {
          s = br_error_set(BR_ERR_NOMEM, "counts: out of memory");
          break;
        }
        rs = v;
      }
      rs[nr++] = r;
    }
  }
  if (s == BR_OK) {
    if (nr > 1) qsort(rs, (size_t)nr, sizeof *rs, cmp_rule);
    if (q->top > 0 && q->top < nr) nr = q->top;
  }
  char **texts = br_alloc("counts", mem_mul((size_t)nr, 2), sizeof *texts);
  size_t *lens = br_alloc("counts", mem_mul((size_t)nr, 2), sizeof *lens);
  double *vals = br_alloc("counts", mem_mul((size_t)nr, BR_MEASURE_COUNT), sizeof *vals);
  if (s == BR_OK && (!texts || !lens || !vals)) s = br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  int64_t made = 0;
  for (int64_t k = 0; k < nr && s == BR_OK; k++, made++) {
    const found *f = &l.v[rs[k].set];
    int32_t x[2];
    int nxi = 0;
    for (int i = 0; i < f->size; i++)
      if (i != rs[k].rhs) x[nxi++] = f->ids[i];
    sort_by_label(c->labels, x, nxi);
    texts[k] = join(c->labels, x, nxi, &lens[k]);
    texts[nr + k] = join(c->labels, &f->ids[rs[k].rhs], 1, &lens[nr + k]);
    if (!texts[k] || !texts[nr + k]) {
      br_free(texts[k]);
      br_free(texts[nr + k]);
      s = br_error_set(BR_ERR_NOMEM, "counts: out of memory");
      break;
    }
    for (int m = 0; m < BR_MEASURE_COUNT; m++) vals[(size_t)m * nr + k] = rs[k].m[m];
  }
  br_column *cols[2 + BR_MEASURE_COUNT] = {NULL};
  const char *names[2 + BR_MEASURE_COUNT] = {"lhs", "rhs"};
  if (s == BR_OK) s = br_column_from_strings(&cols[0], nr, (const char *const *)texts, lens);
  if (s == BR_OK) s = br_column_from_strings(&cols[1], nr, (const char *const *)texts + nr, lens + nr);
  for (int m = 0; s == BR_OK && m < BR_MEASURE_COUNT; m++) {
    names[2 + m] = br_measure_name((br_measure)m);
    s = br_column_from_f64(&cols[2 + m], nr, vals + (size_t)m * nr, NULL);
  }
  if (s == BR_OK) s = br_frame_new(out, 2 + BR_MEASURE_COUNT, names, cols);
  for (int i = 0; i < 2 + BR_MEASURE_COUNT; i++) br_column_release(cols[i]);
  for (int64_t k = 0; k < made; k++) {
    br_free(texts[k]);
    br_free(texts[nr + k]);
  }
  br_free(texts);
  br_free(lens);
  br_free(vals);
  br_free(rs);
  list_free(&l);
  return s;
}
