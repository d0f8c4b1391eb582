/* The count store (bundle/counts.h): appending baskets and expiring days.
 *
 * Every itemset of up to max_size items is one 64-bit key (three 21-bit
 * store ids) in an open-addressing table of counts; a basket adds its
 * weight to each of its itemsets. A window keeps a table per day beside the
 * total, so expiring a day subtracts exactly what it added (counts are
 * whole numbers in doubles, exact to 2^53). Decay never rescales per
 * basket: a basket at t adds 2^((t - tref)/H), and reading multiplies by
 * 2^((tref - now)/H); when the stored weights grow large, everything is
 * rescaled once and tref moves up. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bundle/memory.h"
#include "memory_internal.h"
#include "counts_internal.h"
#include "deadline_internal.h"

#define DAY 86400
#define DEFAULT_CAPACITY 100000
#define DEFAULT_WIDTH ((int64_t)1 << 20)
#define DEFAULT_DEPTH 4
/* Rescale decayed weights before they pass 2^RESCALE_AT. */
#define RESCALE_AT 200.0

/* ---- the table ---- */

/* Fresh slot arrays of cap slots (keys zeroed), mapped in with one call
 * each (the rehash writes all over them: a page fault a slot at first). */
static br_status cmap_arrays(uint64_t **keys, double **vals, size_t cap, size_t n) {
  *keys = br_calloc("counts", cap, sizeof **keys);
  *vals = br_alloc("counts", cap, sizeof **vals);
  if (!*keys || !*vals) {
    br_free(*keys);
    br_free(*vals);
    return br_error_set(BR_ERR_NOMEM, "counts: out of memory for %zu itemsets", n);
  }
  counts_hugepages(*keys, cap * sizeof **keys);
  counts_hugepages(*vals, cap * sizeof **vals);
  mem_populate(*keys, cap * sizeof **keys, 1);
  mem_populate(*vals, cap * sizeof **vals, 1);
  return BR_OK;
}

/* m's entries rehashed into keys/vals (cap slots, empty). */
static void cmap_rehash(const cmap *m, uint64_t *keys, double *vals, size_t cap) {
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->keys[i]) continue;
    size_t j = counts_hash(m->keys[i]) & (cap - 1);
    while (keys[j]) j = (j + 1) & (cap - 1);
    keys[j] = m->keys[i];
    vals[j] = m->vals[i];
  }
}

static br_status cmap_grow(cmap *m) {
  size_t cap = m->cap ? m->cap * 2 : 64;
  uint64_t *keys;
  double *vals;
  br_status s = cmap_arrays(&keys, &vals, cap, m->n);
  if (s != BR_OK) return s;
  cmap_rehash(m, keys, vals, cap);
  if (!m->mapped) {
    br_free(m->keys);
    br_free(m->vals);
  }
  m->mapped = 0;
  m->keys = keys;
  m->vals = vals;
  m->cap = cap;
  return BR_OK;
}

br_status cmap_own(cmap *m) {
  if (!m->mapped || !m->cap) return BR_OK;
  uint64_t *keys = br_alloc("counts", m->cap, sizeof *keys);
  double *vals = br_alloc("counts", m->cap, sizeof *vals);
  if (!keys || !vals) {
    br_free(keys);
    br_free(vals);
    return br_error_set(BR_ERR_NOMEM, "counts: out of memory for %zu itemsets", m->n);
  }
  memcpy(keys, m->keys, m->cap * sizeof *keys);
  memcpy(vals, m->vals, m->cap * sizeof *vals);
  m->keys = keys;
  m->vals = vals;
  m->mapped = 0;
  return BR_OK;
}

br_status cmap_reserve(cmap *m, size_t more) {
  while ((m->n + more) * 4 > m->cap * 3) {
    br_status s = cmap_grow(m);
    if (s != BR_OK) return s;
  }
  return BR_OK;
}

br_status cmap_add(cmap *m, uint64_t key, double w) {
  if ((m->n + 1) * 4 > m->cap * 3) {
    br_status s = cmap_grow(m);
    if (s != BR_OK) return s;
  }
  size_t j = counts_hash(key) & (m->cap - 1);
  while (m->keys[j] && m->keys[j] != key) j = (j + 1) & (m->cap - 1);
  if (!m->keys[j]) {
    m->keys[j] = key;
    m->vals[j] = 0;
    m->n++;
  }
  m->vals[j] += w;
  return BR_OK;
}

double *cmap_find(const cmap *m, uint64_t key) {
  if (!m->cap) return NULL;
  size_t j = counts_hash(key) & (m->cap - 1);
  /* at most cap probes: a loaded table is not scanned on load, and a
   * damaged one may have no empty slot */
  for (size_t step = 0; m->keys[j] && step < m->cap; step++) {
    if (m->keys[j] == key) return &m->vals[j];
    j = (j + 1) & (m->cap - 1);
  }
  return NULL;
}

double cmap_get(const cmap *m, uint64_t key) {
  const double *v = cmap_find(m, key);
  return v ? *v : 0;
}

/* Deletion by backward shift: later entries of the probe run move up, so
 * lookups never need tombstones. */
void cmap_del(cmap *m, uint64_t key) {
  if (!m->cap) return;
  size_t mask = m->cap - 1, j = counts_hash(key) & mask;
  while (m->keys[j] && m->keys[j] != key) j = (j + 1) & mask;
  if (!m->keys[j]) return;
  size_t hole = j;
  for (size_t k = (j + 1) & mask; m->keys[k]; k = (k + 1) & mask) {
    size_t home = counts_hash(m->keys[k]) & mask;
    /* k's entry may fill the hole when its home is not in (hole, k] */
    if (((k - home) & mask) >= ((k - hole) & mask)) {
      m->keys[hole] = m->keys[k];
      m->vals[hole] = m->vals[k];
      hole = k;
    }
  }
  m->keys[hole] = 0;
  m->n--;
}

void cmap_free(cmap *m) {
  if (!m->mapped) {
    br_free(m->keys);
    br_free(m->vals);
  }
  memset(m, 0, sizeof *m);
}

/* ---- the store ---- */

void br_counts_options_init(br_counts_options *o) {
  memset(o, 0, sizeof *o);
  o->mode = BR_COUNTS_EXACT;
  o->max_size = 2;
  o->capacity = DEFAULT_CAPACITY;
  o->width = DEFAULT_WIDTH;
  o->depth = DEFAULT_DEPTH;
}

br_status counts_alloc(br_counts **out, const br_counts_options *opts) {
  br_counts_options o;
  if (opts) o = *opts;
  else br_counts_options_init(&o);
  if (o.max_size < 1 || o.max_size > 3)
    return br_error_set(BR_ERR_ARG, "counts: max_size must be 1, 2 or 3, got %d", o.max_size);
  if (o.window_days < 0) return br_error_set(BR_ERR_ARG, "counts: window must be a number of days >= 1");
  if (!(o.half_life_days >= 0) || isinf(o.half_life_days))
    return br_error_set(BR_ERR_ARG, "counts: decay must be a half-life in days > 0");
  if (o.window_days > 0 && o.half_life_days > 0)
    return br_error_set(BR_ERR_ARG, "counts: give window or decay, not both");
  if (o.mode == BR_COUNTS_SKETCH) {
    if (o.window_days > 0)
      return br_error_set(BR_ERR_ARG, "counts: a sketch cannot forget a day (Space-Saving has no deletion); "
                                      "use decay = half_life_days, or mode = \"exact\" with a window");
    if (o.capacity <= 0) o.capacity = DEFAULT_CAPACITY;
    if (o.width <= 0) o.width = DEFAULT_WIDTH;
    if (o.depth <= 0) o.depth = DEFAULT_DEPTH;
    if (o.depth > 16) return br_error_set(BR_ERR_ARG, "counts: depth must be in 1..16");
    /* before any allocation; the width is rounded up to a power of two */
    if (o.capacity > SKETCH_MAX_CAPACITY)
      return br_error_set(BR_ERR_ARG, "counts: capacity must be at most 2^32 itemsets, got %lld", (long long)o.capacity);
    if (o.width > SKETCH_MAX_WIDTH)
      return br_error_set(BR_ERR_ARG, "counts: width must be at most 2^32 counters a row, got %lld", (long long)o.width);
  } else if (o.mode != BR_COUNTS_EXACT) {
    return br_error_set(BR_ERR_ARG, "counts: unknown mode %d", (int)o.mode);
  }
  br_counts *c = br_calloc("counts", 1, sizeof *c);
  if (!c || !(c->labels = strdict_new())) {
    br_free(c);
    return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  }
  c->o = o;
  c->horizon = INT64_MIN;
  c->now = INT64_MIN;
  *out = c;
  return BR_OK;
}

br_status br_counts_new(br_counts **out, const br_counts_options *opts) {
  br_counts *c = NULL;
  br_status s = counts_alloc(&c, opts);
  if (s == BR_OK && c->o.mode == BR_COUNTS_SKETCH) s = sketch_init(&c->sk, c->o.capacity, c->o.width, c->o.depth);
  if (s != BR_OK) {
    br_counts_free(c);
    return s;
  }
  *out = c;
  return BR_OK;
}

void br_counts_free(br_counts *c) {
  if (!c) return;
  if (c->labels) strdict_release(c->labels);
  cmap_free(&c->base);
  counts_level_drop(c);
  cmap_free(&c->total);
  cmap_free(&c->sess);
  for (int d = 0; d < c->ndays; d++) {
    cmap_free(&c->days[d].map);
    cmap_free(&c->days[d].sess);
  }
  br_free(c->saved.path);
  br_free(c->days);
  sketch_free(&c->sk);
  br_free(c->scratch);
  if (c->map) munmap(c->map, c->map_len);
  br_free(c);
}

const br_counts_options *br_counts_get_options(const br_counts *c) { return &c->o; }

/* floor(t / DAY) for every int64 (negating INT64_MIN, as the old form did
 * for a time before 1970, overflowed: the fuzzer found it) */
static int64_t day_of(int64_t t) {
  int64_t q = t / DAY;
  return (t % DAY != 0 && t < 0) ? q - 1 : q;
}

static double half_life_seconds(const br_counts *c) { return c->o.half_life_days * DAY; }

double counts_read_scale(const br_counts *c) {
  if (c->o.half_life_days <= 0 || c->now == INT64_MIN) return 1;
  return exp2((double)(c->tref - c->now) / half_life_seconds(c));
}

double counts_total_get(const br_counts *c, uint64_t key) {
  return cmap_get(&c->base, key) + cmap_get(&c->mid, key) + cmap_get(&c->total, key);
}

double counts_item_get(const br_counts *c, int32_t id) {
  uint64_t key = counts_key(&id, 1);
  double b = id < c->nbase_items ? c->base_items[id] : cmap_get(&c->base, key);
  double m = id < c->nmid_items ? c->mid_items[id] : cmap_get(&c->mid, key);
  return b + m + cmap_get(&c->total, key);
}

/* A merge (a file's table plus what was added since) is built once at its
 * final size: copied as it lies when the merged entries fit the file's
 * capacity, else rehashed straight into the doubled one. Copying at the
 * file's size and doubling midway through the additions copied the table
 * twice and faulted in both copies a page at a time. In two steps: big's
 * entries (*n_out) and the capacity the merge needs (*cap_out); then the
 * merge into m (m->cap slots). */
static br_status counts_merge_size(const cmap *big, const cmap *const *adds, int nadds, int64_t nlabels, const char *path,
                            size_t *n_out, size_t *cap_out) {
  mem_populate(big->keys, big->cap * sizeof *big->keys, 0); /* the file's pages, in one call */
  mem_populate(big->vals, big->cap * sizeof *big->vals, 0);
  /* a loaded table is not checked whole on load: it is here */
  size_t n = 0;
  for (size_t i = 0; i < big->cap; i++) {
    if (!big->keys[i]) continue;
    if (!counts_key_ok(big->keys[i], nlabels))
      return br_error_set(BR_ERR_PARSE, "%s: damaged counts store: an itemset names an unknown item", path);
    n++;
  }
  if (n * 4 > big->cap * 3) return br_error_set(BR_ERR_PARSE, "%s: damaged counts store: a table is overfull", path);
  size_t fresh = 0; /* the additions' itemsets big does not hold (at most) */
  for (int a = 0; a < nadds; a++)
    for (size_t i = 0; i < adds[a]->cap; i++) fresh += adds[a]->keys[i] && !cmap_find(big, adds[a]->keys[i]);
  size_t cap = big->cap ? big->cap : 64;
  while ((n + fresh) * 4 > cap * 3) cap *= 2; /* cmap_add's bound: no growth below */
  *n_out = n;
  *cap_out = cap;
  return BR_OK;
}

static br_status counts_merge_into(cmap *m, const cmap *big, size_t n, const cmap *const *adds, int nadds) {
  if (m->cap == big->cap) { /* the same capacity and hash: big's slots are already in place */
    memcpy(m->keys, big->keys, m->cap * sizeof *m->keys);
    memcpy(m->vals, big->vals, m->cap * sizeof *m->vals);
  } else {
    memset(m->keys, 0, m->cap * sizeof *m->keys);
    cmap_rehash(big, m->keys, m->vals, m->cap);
  }
  m->n = n;
  br_status s = BR_OK;
  for (int a = 0; a < nadds; a++)
    for (size_t i = 0; i < adds[a]->cap && s == BR_OK; i++) {
      uint64_t key = adds[a]->keys[i];
      if (!key) continue;
      s = cmap_add(m, key, adds[a]->vals[i]);
      if (s == BR_OK && cmap_get(m, key) == 0) cmap_del(m, key);
    }
  return s;
}

br_status counts_merge(cmap *out, const cmap *big, const cmap *const *adds, int nadds, int64_t nlabels,
                       const char *path) {
  size_t n = 0, cap = 0;
  br_status s = counts_merge_size(big, adds, nadds, nlabels, path, &n, &cap);
  if (s != BR_OK) return s;
  cmap m = {0};
  s = cmap_arrays(&m.keys, &m.vals, cap, n);
  if (s != BR_OK) return s;
  m.cap = cap;
  s = counts_merge_into(&m, big, n, adds, nadds);
  if (s != BR_OK) {
    cmap_free(&m);
    return s;
  }
  *out = m;
  return BR_OK;
}

/* The base, the level and the total folded into one heap table. */
br_status counts_materialize(br_counts *c) {
  if (!c->base.cap) return BR_OK; /* (a level comes only with a base) */
  br_status s = counts_level_check(c, 1);
  if (s != BR_OK) return s;
  const cmap *adds[2] = {&c->mid, &c->total};
  cmap m;
  s = counts_merge(&m, &c->base, adds, 2, c->labels->n, c->saved.path ? c->saved.path : "counts");
  if (s != BR_OK) return s;
  cmap_free(&c->total);
  cmap_free(&c->base);
  counts_level_drop(c);
  c->rank_starts = NULL;
  c->rank = NULL;
  c->base_items = NULL;
  c->nbase_items = 0;
  c->sess_is_total = 0; /* total now holds the base too */
  c->total = m;
  return BR_OK;
}

void counts_mark_saved(br_counts *c) {
  cmap_free(&c->sess);
  for (int d = 0; d < c->ndays; d++) {
    cmap_free(&c->days[d].sess);
    c->days[d].sess_nb = 0;
    c->days[d].fresh = 0;
  }
  c->need_full = 0;
  c->track = c->o.mode == BR_COUNTS_EXACT; /* a sketch's evictions are no sum: it saves whole */
  /* a store just loaded with no delta records to replay: what total gains
   * is the changes, so they need no second table */
  c->sess_is_total = c->track && c->total.n == 0;
  c->saved.labels = c->labels->n;
}

/* Decay: moves tref to t, scaling every stored weight to match. A loaded
 * table is folded in first (it is never written), and the next save is
 * whole: a delta record only adds. */
static void rescale(br_counts *c, int64_t t) {
  if (counts_materialize(c) != BR_OK) return; /* out of memory: keep the old scale, still exact */
  c->need_full = 1;
  double f = exp2((double)(c->tref - t) / half_life_seconds(c));
  for (size_t i = 0; i < c->total.cap; i++)
    if (c->total.keys[i]) c->total.vals[i] *= f;
  c->nbaskets *= f;
  if (c->o.mode == BR_COUNTS_SKETCH) sketch_scale(&c->sk, f);
  c->tref = t;
}

counts_day *counts_day_of(br_counts *c, int64_t day) {
  int at = c->ndays;
  while (at > 0 && c->days[at - 1].day > day) at--;
  if (at > 0 && c->days[at - 1].day == day) return &c->days[at - 1];
  if (c->ndays == c->cap_days) {
    int cap = c->cap_days ? c->cap_days * 2 : 8;
    counts_day *d = br_realloc("counts", c->days, (size_t)cap, sizeof *d);
    if (!d) return NULL;
    c->days = d;
    c->cap_days = cap;
  }
  memmove(&c->days[at + 1], &c->days[at], (size_t)(c->ndays - at) * sizeof *c->days);
  memset(&c->days[at], 0, sizeof c->days[at]);
  c->days[at].day = day;
  c->days[at].fresh = c->track; /* new since the last save: all of it goes in the next record */
  c->ndays++;
  return &c->days[at];
}

static int cmp_id(const void *a, const void *b) {
  int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
  return (x > y) - (x < y);
}

/* Adds weight w to every itemset of ids[0..n) (sorted, distinct) in m, and
 * in the sketch for 2+ items when there is one. */
/* Asks for the home slots of a small basket's pairs before counting them:
 * each is a cache miss in a large table, and issued together they overlap
 * instead of waiting one after another. */
static void prefetch_pairs(const cmap *m, const int32_t *ids, int n) {
  if (!m->cap || n > 12) return;
  int32_t set[2];
  for (int i = 0; i < n; i++) {
    set[0] = ids[i];
    for (int j = i + 1; j < n; j++) {
      set[1] = ids[j];
      size_t at = counts_hash(counts_key(set, 2)) & (m->cap - 1);
      __builtin_prefetch(&m->keys[at], 1);
      __builtin_prefetch(&m->vals[at], 1);
    }
  }
}

/* Adds w to key in m and, when the store tracks changes, in sess. */
static br_status add_key(cmap *m, cmap *sess, uint64_t key, double w) {
  br_status s = cmap_add(m, key, w);
  return s == BR_OK && sess ? cmap_add(sess, key, w) : s;
}

static br_status count_itemsets(br_counts *c, cmap *m, cmap *sess, const int32_t *ids, int n, double w) {
  br_status s = BR_OK;
  int sk = c->o.mode == BR_COUNTS_SKETCH && m == &c->total;
  int32_t set[3];
  if (!sk && c->o.max_size >= 2) prefetch_pairs(m, ids, n);
  /* a basket of k items is k^3/6 triples: one of 1,500 items is 5.6e8
   * hash updates in one call, so the deadline is polled per pair; a store
   * stopped midway holds part of the basket, as after running out of
   * memory, and is for discarding */
  int64_t work = 0;
  for (int i = 0; i < n && s == BR_OK; i++) {
    set[0] = ids[i];
    s = add_key(m, sess, counts_key(set, 1), w);
    for (int j = i + 1; j < n && s == BR_OK && c->o.max_size >= 2; j++) {
      if (deadline_poll(&work, c->o.max_size >= 3 ? n - j : 1)) return br_deadline_stop("counts", i, "items of a basket counted");
      set[1] = ids[j];
      s = sk ? sketch_add(&c->sk, counts_key(set, 2), w) : add_key(m, sess, counts_key(set, 2), w);
      for (int k = j + 1; k < n && s == BR_OK && c->o.max_size >= 3; k++) {
        set[2] = ids[k];
        s = sk ? sketch_add(&c->sk, counts_key(set, 3), w) : add_key(m, sess, counts_key(set, 3), w);
      }
    }
  }
  return s;
}

/* One basket of store ids (any order, repeats allowed) at time t. */
static br_status add_ids(br_counts *c, int32_t *ids, int n, int64_t t) {
  int64_t day = day_of(t);
  if (day < c->horizon) return BR_OK; /* its day has already expired */
  if (n > 24) {
    qsort(ids, (size_t)n, sizeof *ids, cmp_id);
  } else { /* most baskets are small: an insertion sort beats qsort's calls */
    for (int i = 1; i < n; i++) {
      int32_t v = ids[i];
      int j = i;
      for (; j > 0 && ids[j - 1] > v; j--) ids[j] = ids[j - 1];
      ids[j] = v;
    }
  }
  int m = 0;
  for (int i = 0; i < n; i++)
    if (m == 0 || ids[i] != ids[m - 1]) ids[m++] = ids[i];
  double w = 1;
  if (c->o.half_life_days > 0) {
    if (c->now == INT64_MIN) c->tref = t;
    if ((double)(t - c->tref) / half_life_seconds(c) > RESCALE_AT) rescale(c, t);
    w = exp2((double)(t - c->tref) / half_life_seconds(c));
  }
  if (c->now == INT64_MIN || t > c->now) c->now = t;
  if (c->o.window_days > 0) {
    counts_day *d = counts_day_of(c, day);
    if (!d) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
    d->nbaskets += w;
    int day_sess = c->track && !d->fresh;
    if (day_sess) d->sess_nb += w;
    br_status s = count_itemsets(c, &d->map, day_sess ? &d->sess : NULL, ids, m, w);
    if (s != BR_OK) return s;
  }
  c->nbaskets += w;
  return count_itemsets(c, &c->total, c->track && !c->sess_is_total ? &c->sess : NULL, ids, m, w);
}

/* Room for n ids in c->scratch, a valid block even for n = 0 (add_ids
 * hands it to memcpy and qsort). */
static br_status scratch(br_counts *c, int n) {
  if (n <= c->cap_scratch && c->scratch) return BR_OK;
  int32_t *s = br_realloc("counts", c->scratch, (size_t)n, sizeof *s);
  if (!s) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  c->scratch = s;
  c->cap_scratch = n;
  return BR_OK;
}

static br_status intern(br_counts *c, const char *s, size_t len, int32_t *id) {
  *id = strdict_intern(c->labels, s, len);
  if (*id < 0) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  if (*id > COUNTS_MAX_ITEMS)
    return br_error_set(BR_ERR_ARG, "counts: more than %d distinct items", COUNTS_MAX_ITEMS);
  return BR_OK;
}

br_status br_counts_add(br_counts *c, const char *const *labels, const size_t *lens, int n, int64_t t) {
  br_status s = scratch(c, n);
  for (int i = 0; i < n && s == BR_OK; i++)
    s = intern(c, labels[i], lens ? lens[i] : strlen(labels[i]), &c->scratch[i]);
  return s == BR_OK ? add_ids(c, c->scratch, n, t) : s;
}

br_status br_counts_append_baskets(br_counts *c, const br_baskets *b, int64_t t) {
  /* the baskets' item ids -> store ids, once */
  int32_t ni = br_baskets_nitems(b);
  int32_t *map = br_alloc("counts", (size_t)ni, sizeof *map);
  if (!map) return br_error_set(BR_ERR_NOMEM, "counts: out of memory");
  br_status s = BR_OK;
  for (int32_t i = 0; i < ni && s == BR_OK; i++) {
    size_t len;
    const char *l = br_baskets_label(b, i, &len);
    s = intern(c, l, len, &map[i]);
  }
  const int64_t *off = br_baskets_offsets(b), *times = br_baskets_times(b);
  const int32_t *items = br_baskets_items(b);
  for (int64_t k = 0; k < br_baskets_size(b) && s == BR_OK; k++) {
    int n = (int)(off[k + 1] - off[k]);
    s = scratch(c, n);
    for (int i = 0; i < n && s == BR_OK; i++) c->scratch[i] = map[items[off[k] + i]];
    if (s == BR_OK) s = add_ids(c, c->scratch, n, times ? times[k] : t);
  }
  br_free(map);
  return s;
}

br_status br_counts_expire(br_counts *c, int64_t now) {
  if (c->now != INT64_MIN && now < c->now)
    return br_error_set(BR_ERR_ARG, "counts: expire: now (%lld) is before the latest time seen (%lld)",
                        (long long)now, (long long)c->now);
  if (c->o.half_life_days > 0 && c->now == INT64_MIN) c->tref = now;
  c->now = now;
  if (c->o.window_days <= 0) return BR_OK;
  int64_t first = day_of(now) - c->o.window_days + 1;
  if (first > c->horizon) c->horizon = first;
  int drop = 0;
  while (drop < c->ndays && c->days[drop].day < first) {
    counts_day *d = &c->days[drop];
    for (size_t i = 0; i < d->map.cap; i++) {
      uint64_t key = d->map.keys[i];
      if (!key) continue;
      /* without a loaded base the key is in total, which never grows here */
      br_status s = cmap_add(&c->total, key, -d->map.vals[i]);
      int sess = c->track && !c->sess_is_total;
      if (s == BR_OK && sess) s = cmap_add(&c->sess, key, -d->map.vals[i]);
      if (s != BR_OK) return s;
      /* a count of 0 is no itemset; a loaded base's entry stays, cancelled */
      if (cmap_get(&c->total, key) == 0) cmap_del(&c->total, key);
      if (sess && cmap_get(&c->sess, key) == 0) cmap_del(&c->sess, key);
    }
    c->nbaskets -= d->nbaskets;
    cmap_free(&d->map);
    cmap_free(&d->sess);
    drop++;
  }
  if (drop) memmove(c->days, c->days + drop, (size_t)(c->ndays - drop) * sizeof *c->days);
  c->ndays -= drop;
  return BR_OK;
}

double br_counts_nbaskets(const br_counts *c) { return c->nbaskets * counts_read_scale(c); }
int64_t br_counts_now(const br_counts *c) { return c->now; }
int64_t br_counts_nitems(const br_counts *c) { return c->labels->n; }
double br_counts_sketch_total(const br_counts *c) { return c->sk.total * counts_read_scale(c); }

double br_counts_count(const br_counts *c, const char *const *labels, const size_t *lens, int n) {
  if (n < 1 || n > c->o.max_size) return 0;
  int32_t ids[3];
  for (int i = 0; i < n; i++) {
    ids[i] = strdict_find(c->labels, labels[i], lens ? lens[i] : strlen(labels[i]));
    if (ids[i] < 0) return 0;
  }
  qsort(ids, (size_t)n, sizeof *ids, cmp_id);
  for (int i = 1; i < n; i++)
    if (ids[i] == ids[i - 1]) return 0; /* not an itemset of n distinct items */
  uint64_t key = counts_key(ids, n);
  double v = n >= 2 && c->o.mode == BR_COUNTS_SKETCH ? sketch_estimate(&c->sk, key) : counts_total_get(c, key);
  return v * counts_read_scale(c);
}

size_t br_counts_memory(const br_counts *c) {
  size_t m = sizeof *c + (c->base.cap + c->mid.cap + c->total.cap + c->sess.cap) * 16 + (size_t)c->cap_days * sizeof *c->days;
  for (int d = 0; d < c->ndays; d++) m += (c->days[d].map.cap + c->days[d].sess.cap) * 16;
  const strdict *l = c->labels;
  m += l->pool_cap + (size_t)l->cap * (sizeof *l->offs + sizeof *l->hash) + (size_t)l->nslots * sizeof *l->slots;
  return m + sketch_memory(&c->sk);
}
