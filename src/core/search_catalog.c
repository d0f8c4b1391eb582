/* The catalogue (price, cost, category, stock per item) and the statistics
 * a bundle's objectives need: each catalogue item's baskets, as a sorted
 * list, so a bundle's count is an exact intersection. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_internal.h"
#include "bundle/memory.h"


br_catalog *br_catalog_retain(const br_catalog *c) {
  br_catalog *m = (br_catalog *)c; /* the count is bookkeeping, not the catalogue's contents */
  if (m) m->refs++;
  return m;
}

/* Drops one holder; the last one frees. */
void br_catalog_free(br_catalog *c) {
  if (!c) return;
  if (c->refs > 0) {
    c->refs--;
    return;
  }
  strdict_release(c->labels);
  br_free(c->price);
  br_free(c->cost);
  br_free(c->stock);
  br_free(c->category);
  strdict_release(c->names);
  br_free(c->name);
  br_free(c);
}

br_status br_catalog_new(br_catalog **out, int32_t n, const char *const *labels, const size_t *lens,
                         const double *price, const double *cost, const int32_t *category,
                         const double *stock) {
  if (n < 1) return br_error_set(BR_ERR_ARG, "catalog: no items");
  br_catalog *c = br_calloc("catalog", 1, sizeof *c);
  if (!c) return br_error_set(BR_ERR_NOMEM, "catalog: out of memory");
  c->n = n;
  c->labels = strdict_new();
  c->price = br_alloc("catalog", (size_t)n, sizeof *c->price);
  c->cost = br_alloc("catalog", (size_t)n, sizeof *c->cost);
  c->stock = br_alloc("catalog", (size_t)n, sizeof *c->stock);
  c->category = br_alloc("catalog", (size_t)n, sizeof *c->category);
  if (!c->labels || !c->price || !c->cost || !c->stock || !c->category) {
    br_catalog_free(c);
    return br_error_set(BR_ERR_NOMEM, "catalog: out of memory");
  }
  for (int32_t i = 0; i < n; i++) {
    size_t len = lens ? lens[i] : strlen(labels[i]);
    int32_t before = c->labels->n, code = strdict_intern(c->labels, labels[i], len);
    br_status s = BR_OK;
    if (code < 0) s = br_error_set(BR_ERR_NOMEM, "catalog: out of memory");
    else if (c->labels->n == before) s = br_error_set(BR_ERR_ARG, "catalog: item '%.*s' appears twice (row %d)", (int)len, labels[i], i + 1);
    else if (!(price[i] > 0) || !isfinite(price[i])) s = br_error_set(BR_ERR_ARG, "catalog: item '%.*s' has price %g (prices must be > 0)", (int)len, labels[i], price[i]);
    else if (!(cost[i] >= 0) || !isfinite(cost[i])) s = br_error_set(BR_ERR_ARG, "catalog: item '%.*s' has cost %g (costs must be >= 0)", (int)len, labels[i], cost[i]);
    if (s != BR_OK) {
      br_catalog_free(c);
      return s;
    }
    c->price[i] = price[i];
    c->cost[i] = cost[i];
    c->category[i] = category ? category[i] : -1;
    c->stock[i] = stock ? stock[i] : NAN;
  }
  *out = c;
  return BR_OK;
}

int32_t br_catalog_size(const br_catalog *c) { return c->n; }
int32_t br_catalog_find(const br_catalog *c, const char *label, size_t len) { return strdict_find(c->labels, label, len); }
const char *br_catalog_label(const br_catalog *c, int32_t i, size_t *len) { return strdict_get(c->labels, i, len); }

br_status br_catalog_set_names(br_catalog *c, const char *const *names, const size_t *lens) {
  strdict *d = strdict_new();
  int32_t *code = br_alloc("catalog", (size_t)c->n, sizeof *code);
  if (!d || !code) goto oom;
  for (int32_t i = 0; i < c->n; i++) {
    code[i] = -1;
    if (names[i] && (code[i] = strdict_intern(d, names[i], lens[i])) < 0) goto oom;
  }
  strdict_release(c->names);
  br_free(c->name);
  c->names = d;
  c->name = code;
  return BR_OK;
oom:
  strdict_release(d);
  br_free(code);
  return br_error_set(BR_ERR_NOMEM, "catalog: out of memory for names");
}

const char *br_catalog_name(const br_catalog *c, int32_t i, size_t *len) {
  if (!c->name || i < 0 || i >= c->n || c->name[i] < 0) return NULL;
  return strdict_get(c->names, c->name[i], len);
}
double br_catalog_price(const br_catalog *c, int32_t i) { return c->price[i]; }
double br_catalog_cost(const br_catalog *c, int32_t i) { return c->cost[i]; }
int32_t br_catalog_category(const br_catalog *c, int32_t i) { return c->category[i]; }
double br_catalog_stock(const br_catalog *c, int32_t i) { return c->stock[i]; }

void br_catalog_bundle_text(const br_catalog *c, const int32_t *it, int n, char *buf, size_t size) {
  size_t used = (size_t)snprintf(buf, size, "{");
  for (int i = 0; i < n && used < size; i++) {
    size_t len;
    const char *l = br_catalog_label(c, it[i], &len);
    used += (size_t)snprintf(buf + used, size - used, "%s%.*s", i ? ", " : "", (int)(len > 30 ? 30 : len), l);
  }
  if (used < size) snprintf(buf + used, size - used, "}");
}

/* ---- bundle statistics ---- */


void br_bundle_stats_free(br_bundle_stats *s) {
  if (!s) return;
  br_free(s->start);
  br_free(s->tid);
  br_free(s->to_cat);
  br_free(s->ustart);
  br_free(s->uid);
  br_free(s->uend);
  br_free(s);
}

br_status br_bundle_stats_new(br_bundle_stats **out, const br_catalog *cat, const br_baskets *b) {
  const br_baskets_view B = br_baskets_view_of(b);
  br_bundle_stats *s = br_calloc("catalog", 1, sizeof *s);
  if (!s) return br_error_set(BR_ERR_NOMEM, "catalog: out of memory");
  s->cat = cat;
  s->n = B.n;
  s->start = br_calloc("catalog", (size_t)cat->n + 1, sizeof *s->start);
  s->nbitems = B.nitems;
  s->to_cat = br_alloc("catalog", (size_t)s->nbitems, sizeof *s->to_cat);
  int64_t total = b ? B.off[B.n] : 0;
  s->tid = br_alloc("catalog", (size_t)total, sizeof *s->tid);
  if (!s->start || !s->to_cat || !s->tid) {
    br_bundle_stats_free(s);
    return br_error_set(BR_ERR_NOMEM, "catalog: out of memory");
  }
  if (!b) {
    *out = s;
    return BR_OK;
  }
  /* The join by label; every basket item needs a catalogue row. */
  int32_t missing = 0;
  char examples[200] = "";
  for (int32_t i = 0; i < B.nitems; i++) {
    size_t len;
    const char *lab = br_baskets_label(b, i, &len);
    s->to_cat[i] = strdict_find(cat->labels, lab, len);
    if (s->to_cat[i] < 0 && missing++ < 3) {
      size_t used = strlen(examples);
      snprintf(examples + used, sizeof examples - used, "%s'%.*s'", used ? ", " : "", (int)(len > 40 ? 40 : len), lab);
    }
  }
  if (missing) {
    br_bundle_stats_free(s);
    return br_error_set(BR_ERR_ARG,
                        "catalog: %d item%s of the baskets %s not in the catalogue (e.g. %s); the catalogue "
                        "and the baskets do not align",
                        missing, missing == 1 ? "" : "s", missing == 1 ? "is" : "are", examples);
  }
  for (int64_t p = 0; p < total; p++) s->start[s->to_cat[B.items[p]] + 1]++;
  for (int32_t i = 0; i < cat->n; i++) s->start[i + 1] += s->start[i];
  s->b = b;
  *out = s;
  return BR_OK;
}

/* Fills each catalogue item's basket list (sorted). Called on the first
 * exact count: a search scoring prices only never pays for it. Not
 * thread-safe on that first call. */
static void fill_lists(br_bundle_stats *s) {
  const br_baskets *b = s->b;
  const br_baskets_view B = br_baskets_view_of(b);
  int64_t *fill = br_alloc("catalog", (size_t)s->cat->n, sizeof *fill);
  if (!fill) return; /* counts then read as 0; the caller's memory is exhausted anyway */
  memcpy(fill, s->start, (size_t)s->cat->n * sizeof *fill);
  for (int64_t k = 0; k < B.n; k++) /* baskets in order: each list comes out sorted */
    for (int64_t p = B.off[k]; p < B.off[k + 1]; p++) s->tid[fill[s->to_cat[B.items[p]]]++] = k;
  br_free(fill);
  s->lists_ready = 1;
}

int64_t br_bundle_nbaskets(const br_bundle_stats *s) { return s->n; }
int64_t br_bundle_item_count(const br_bundle_stats *s, int32_t i) { return s->start[i + 1] - s->start[i]; }
int32_t br_bundle_catalog_id(const br_bundle_stats *s, int32_t id) {
  return id >= 0 && id < s->nbitems ? s->to_cat[id] : -1;
}

/* Size of the intersection of the items' basket lists: walk the shortest
 * list and look each basket up in the others by galloping search. */
int64_t br_bundle_count(const br_bundle_stats *cs, const int32_t *items, int n) {
  if (n <= 0 || cs->n == 0) return 0;
  br_bundle_stats *s = (br_bundle_stats *)cs; /* the lists are a cache */
  if (!s->lists_ready) fill_lists(s);
  if (!s->lists_ready) return 0;
  int shortest = 0;
  for (int i = 1; i < n; i++)
    if (br_bundle_item_count(s, items[i]) < br_bundle_item_count(s, items[shortest])) shortest = i;
  const int64_t *base = s->tid + s->start[items[shortest]];
  int64_t len = br_bundle_item_count(s, items[shortest]), count = 0;
  int64_t pos[BR_BUNDLE_MAX_ITEMS] = {0};
  for (int64_t k = 0; k < len; k++) {
    int64_t t = base[k];
    int all = 1;
    for (int i = 0; i < n && all; i++) {
      if (i == shortest) continue;
      const int64_t *l = s->tid + s->start[items[i]];
      int64_t m = br_bundle_item_count(s, items[i]), at = pos[i], step = 1;
      while (at + step < m && l[at + step] < t) step *= 2; /* gallop, then bisect */
      int64_t lo = at, hi = at + step < m ? at + step : m;
      while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (l[mid] < t) lo = mid + 1;
        else hi = mid;
      }
      pos[i] = lo;
      all = lo < m && l[lo] == t;
    }
    count += all;
  }
  return count;
}

const br_catalog *bundle_stats_catalog(const br_bundle_stats *s) { return s->cat; }
const br_catalog *br_bundle_stats_catalog(const br_bundle_stats *s) { return s->cat; }

const int64_t *bundle_stats_list(const br_bundle_stats *cs, int32_t i, int64_t *len) {
  br_bundle_stats *s = (br_bundle_stats *)cs; /* the lists are a cache */
  if (!s->lists_ready && s->b) fill_lists(s);
  *len = br_bundle_item_count(s, i);
  return s->lists_ready ? s->tid + s->start[i] : NULL;
}

/* Merge when the lists are alike in length; gallop through the longer one
 * when one is much shorter. */
int64_t tid_intersect(const int64_t *a, int64_t na, const int64_t *b, int64_t nb, int64_t *out) {
  if (na > nb) {
    const int64_t *t = a;
    a = b;
    b = t;
    int64_t tn = na;
    na = nb;
    nb = tn;
  }
  int64_t i = 0, j = 0, k = 0;
  if (nb > 16 * na) {
    for (; i < na && j < nb; i++) {
      int64_t step = 1;
      while (j + step < nb && b[j + step] < a[i]) step *= 2;
      int64_t lo = j, hi = j + step < nb ? j + step : nb;
      while (lo < hi) {
        int64_t mid = (lo + hi) / 2;
        if (b[mid] < a[i]) lo = mid + 1;
        else hi = mid;
      }
      j = lo;
      if (j < nb && b[j] == a[i]) {
        if (out) out[k] = a[i];
        k++;
      }
    }
    return k;
  }
  while (i < na && j < nb) {
    if (a[i] < b[j]) i++;
    else if (a[i] > b[j]) j++;
    else {
      if (out) out[k] = a[i];
      k++, i++, j++;
    }
  }
  return k;
}

/* ---- customers of each item (for the customer-overlap feature) ---- */

static int cmp_int64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* Each catalogue item's sorted, distinct user codes, built on first use from
 * the baskets' user column. Not thread-safe on that first call. */
static void fill_users(br_bundle_stats *s) {
  const br_baskets *b = s->b;
  const br_baskets_view B = br_baskets_view_of(b);
  s->users_ready = -1; /* tried; stays -1 without users or memory */
  if (!b || !B.user) return;
  int32_t n = s->cat->n;
  int64_t total = B.off[B.n];
  int64_t *fill = br_alloc("catalog", (size_t)n, sizeof *fill);
  s->ustart = br_calloc("catalog", (size_t)n + 1, sizeof *s->ustart);
  s->uid = br_alloc("catalog", (size_t)total, sizeof *s->uid);
  if (!fill || !s->ustart || !s->uid) {
    br_free(fill);
    br_free(s->ustart);
    br_free(s->uid);
    s->ustart = NULL;
    s->uid = NULL;
    return;
  }
  for (int64_t p = 0; p < total; p++) s->ustart[s->to_cat[B.items[p]] + 1]++;
  for (int32_t i = 0; i < n; i++) s->ustart[i + 1] += s->ustart[i];
  memcpy(fill, s->ustart, (size_t)n * sizeof *fill);
  for (int64_t k = 0; k < B.n; k++) {
    if (B.user[k] < 0) continue;
    for (int64_t p = B.off[k]; p < B.off[k + 1]; p++) s->uid[fill[s->to_cat[B.items[p]]]++] = B.user[k];
  }
  /* sort and dedupe each item's users in place; its slice ends at fill[i] */
  for (int32_t i = 0; i < n; i++) {
    int64_t *u = s->uid + s->ustart[i], m = fill[i] - s->ustart[i];
    qsort(u, (size_t)m, sizeof *u, cmp_int64);
    int64_t w = 0;
    for (int64_t r = 0; r < m; r++)
      if (w == 0 || u[r] != u[w - 1]) u[w++] = u[r];
    fill[i] = s->ustart[i] + w;
  }
  s->uend = fill;
  s->users_ready = 1;
}

int bundle_stats_customers(const br_bundle_stats *cs, const int32_t *items, int n, int64_t *nall, int64_t *nany) {
  br_bundle_stats *s = (br_bundle_stats *)cs; /* the lists are a cache */
  *nall = *nany = 0;
  if (!s->users_ready) fill_users(s);
  if (s->users_ready != 1 || n <= 0) return 0;
  /* a k-way merge: each step takes the smallest head; it counts once for
   * "any", and for "all" when every list holds it */
  int64_t pos[BR_BUNDLE_MAX_ITEMS];
  for (int i = 0; i < n; i++) pos[i] = s->ustart[items[i]];
  for (;;) {
    int64_t low = INT64_MAX;
    for (int i = 0; i < n; i++)
      if (pos[i] < s->uend[items[i]] && s->uid[pos[i]] < low) low = s->uid[pos[i]];
    if (low == INT64_MAX) break;
    int holders = 0;
    for (int i = 0; i < n; i++)
      if (pos[i] < s->uend[items[i]] && s->uid[pos[i]] == low) {
        holders++;
        pos[i]++;
      }
    (*nany)++;
    *nall += holders == n;
  }
  return 1;
}
