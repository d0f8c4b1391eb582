/* Baskets: transactions as CSR (baskets x items) with an item dictionary,
 * built from a frame or read from a one-basket-per-line file; supports,
 * filtering and pair co-occurrence. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "basket_internal.h"
#include "deadline_internal.h"
#include "bundle/memory.h"

br_baskets *br_baskets_retain(const br_baskets *b) {
  br_baskets *m = (br_baskets *)b; /* the count is bookkeeping, not the baskets' contents */
  if (m) m->refs++;
  return m;
}

/* Drops one holder; the last one frees. */
void br_baskets_free(br_baskets *b) {
  if (!b) return;
  if (b->refs > 0) {
    b->refs--;
    return;
  }
  br_free(b->off);
  br_free(b->items);
  strdict_release(b->labels);
  br_free(b->times);
  br_free(b->revenue);
  strdict_release(b->users);
  br_free(b->user);
  strdict_release(b->names);
  br_free(b->name);
  br_free(b);
}

int64_t br_baskets_size(const br_baskets *b) { return b->n; }
int32_t br_baskets_nitems(const br_baskets *b) { return b->nitems; }
const int64_t *br_baskets_offsets(const br_baskets *b) { return b->off; }
const int32_t *br_baskets_items(const br_baskets *b) { return b->items; }
const int64_t *br_baskets_times(const br_baskets *b) { return b->times; }
const double *br_baskets_revenue(const br_baskets *b) { return b->revenue; }

const char *br_baskets_label(const br_baskets *b, int32_t item, size_t *len) {
  if (item < 0 || item >= b->nitems) return NULL;
  return strdict_get(b->labels, item, len);
}

const char *br_baskets_name(const br_baskets *b, int32_t item, size_t *len) {
  if (!b->name || item < 0 || item >= b->nitems || b->name[item] < 0) return NULL;
  return strdict_get(b->names, b->name[item], len);
}

int32_t br_baskets_find(const br_baskets *b, const char *label, size_t len) {
  return strdict_find(b->labels, label, len);
}

const char *br_baskets_user(const br_baskets *b, int64_t k, size_t *len) {
  if (!b->user || b->user[k] < 0) {
    if (len) *len = 0;
    return "";
  }
  return strdict_get(b->users, b->user[k], len);
}

br_baskets_view br_baskets_view_of(const br_baskets *b) {
  if (!b) return (br_baskets_view){0, 0, NULL, NULL, NULL, NULL};
  return (br_baskets_view){b->n, b->nitems, b->off, b->items, b->times, b->user};
}

static int cmp_i32(const void *x, const void *y) {
  int32_t a = *(const int32_t *)x, b = *(const int32_t *)y;
  return (a > b) - (a < b);
}

/* Sorts each basket's items and drops repeats, compacting the CSR arrays. */
static void normalize(br_baskets *b) {
  int64_t w = 0;
  for (int64_t k = 0; k < b->n; k++) {
    int32_t *it = b->items + b->off[k];
    int64_t m = b->off[k + 1] - b->off[k];
    if (m > 16) {
      qsort(it, (size_t)m, sizeof *it, cmp_i32);
    } else {
      for (int64_t i = 1; i < m; i++) {
        int32_t x = it[i];
        int64_t j = i;
        for (; j > 0 && it[j - 1] > x; j--) it[j] = it[j - 1];
        it[j] = x;
      }
    }
    int64_t start = w;
    for (int64_t i = 0; i < m; i++)
      if (i == 0 || it[i] != it[i - 1]) b->items[w++] = it[i];
    b->off[k] = start;
  }
  b->off[b->n] = w;
}

static br_baskets *baskets_alloc(int64_t n, int64_t nitems_total) {
  br_baskets *b = br_calloc("baskets", 1, sizeof *b);
  if (!b) return NULL;
  b->n = n;
  b->off = br_calloc("baskets", (size_t)n + 1, sizeof *b->off);
  b->items = br_alloc("baskets", (size_t)nitems_total, sizeof *b->items);
  b->labels = strdict_new();
  if (!b->off || !b->items || !b->labels) {
    br_baskets_free(b);
    return NULL;
  }
  return b;
}

br_status br_baskets_from_labels(br_baskets **out, int64_t nbaskets, const char *const *labels, const size_t *lens,
                                 int32_t n, const char *const *names, const size_t *name_lens) {
  if (nbaskets < 0 || n < 0) return br_error_set(BR_ERR_ARG, "baskets: negative count");
  br_baskets *b = baskets_alloc(nbaskets, 1);
  if (!b) return br_error_set(BR_ERR_NOMEM, "baskets: out of memory");
  for (int32_t i = 0; i < n; i++) {
    int32_t id = strdict_intern(b->labels, labels[i], lens[i]);
    if (id < 0) goto oom;
    if (id != i) {
      br_baskets_free(b);
      return br_error_set(BR_ERR_ARG, "baskets: label %d repeats an earlier one", (int)i + 1);
    }
  }
  b->nitems = n;
  if (names) {
    b->names = strdict_new();
    b->name = br_alloc("baskets", (size_t)n, sizeof *b->name);
    if (!b->names || !b->name) goto oom;
    for (int32_t i = 0; i < n; i++) {
      b->name[i] = -1;
      if (names[i] && (b->name[i] = strdict_intern(b->names, names[i], name_lens[i])) < 0) goto oom;
    }
  }
  *out = b;
  return BR_OK;
oom:
  br_baskets_free(b);
  return br_error_set(BR_ERR_NOMEM, "baskets: out of memory");
}

/* The text of row i of c, for item labels and users. */
static size_t value_text(const br_column *c, int64_t i, char *buf, const char **out) {
  return column_text(c, i, 1, buf, out);
}

/* Hash of row i's key (one or several columns). */
static uint64_t row_key_hash(const br_column *const *K, int nk, int64_t i) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (int k = 0; k < nk; k++) {
    h ^= column_key(K[k], i) + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xbf58476d1ce4e5b9ULL;
  }
  return h ^ (h >> 29);
}

static int row_keys_equal(const br_column *const *K, int nk, int64_t a, int64_t b) {
  for (int k = 0; k < nk; k++)
    if (column_key(K[k], a) != column_key(K[k], b)) return 0;
  return 1;
}

/* Each item's name: the first non-null value of column N on its kept
 * lines (items are found again by label, so this runs after the items). */
static br_status set_names(br_baskets *b, const br_column *N, const int64_t *bid, int64_t rows) {
  b->names = strdict_new();
  b->name = br_alloc("baskets", (size_t)b->nitems, sizeof *b->name);
  if (!b->names || !b->name) return BR_ERR_NOMEM;
  for (int32_t k = 0; k < b->nitems; k++) b->name[k] = -1;
  /* the basket's items were written in row order: walk them alongside */
  int64_t *at = br_calloc("baskets", (size_t)b->n + 1, sizeof *at);
  if (!at) return BR_ERR_NOMEM;
  char buf[40];
  for (int64_t i = 0; i < rows; i++) {
    if (bid[i] < 0) continue;
    int32_t id = b->items[b->off[bid[i]] + at[bid[i]]++];
    if (b->name[id] >= 0 || !column_valid(N, i)) continue;
    const char *txt;
    size_t len = value_text(N, i, buf, &txt);
    if ((b->name[id] = strdict_intern(b->names, txt, len)) < 0) {
      br_free(at);
      return BR_ERR_NOMEM;
    }
  }
  br_free(at);
  return BR_OK;
}

#define MAX_KEY_COLUMNS 16

br_status br_baskets_from_frame(br_baskets **out, const br_frame *f, const br_baskets_spec *spec) {
  int nk = spec->nbasket_columns > 0 ? spec->nbasket_columns : 1;
  if ((spec->nbasket_columns <= 0 && !spec->basket) || !spec->item)
    return br_error_set(BR_ERR_ARG, "baskets: 'basket' and 'item' columns are required");
  if (nk > MAX_KEY_COLUMNS)
    return br_error_set(BR_ERR_ARG, "baskets: %d basket key columns, at most %d", nk, MAX_KEY_COLUMNS);
  const br_column *K[MAX_KEY_COLUMNS];
  int ci, cu = -1, ct = -1, cq = -1, cp = -1;
  br_status s;
  for (int k = 0; k < nk; k++) {
    int cb;
    const char *name = spec->nbasket_columns > 0 ? spec->basket_columns[k] : spec->basket;
    if (!name) return br_error_set(BR_ERR_ARG, "baskets: basket key column %d has no name", k + 1);
    if ((s = frame_require(f, "baskets", name, &cb)) != BR_OK) return s;
    K[k] = f->cols[cb];
  }
  if ((s = frame_require(f, "baskets", spec->item, &ci)) != BR_OK) return s;
  if (spec->user && (s = frame_require(f, "baskets", spec->user, &cu)) != BR_OK) return s;
  if (spec->time && (s = frame_require(f, "baskets", spec->time, &ct)) != BR_OK) return s;
  if (spec->quantity && (s = frame_require(f, "baskets", spec->quantity, &cq)) != BR_OK) return s;
  if (spec->price && (s = frame_require(f, "baskets", spec->price, &cp)) != BR_OK) return s;
  int cn = -1;
  if (spec->name && (s = frame_require(f, "baskets", spec->name, &cn)) != BR_OK) return s;
  const br_column *I = f->cols[ci];
  const br_column *U = cu >= 0 ? f->cols[cu] : NULL, *T = ct >= 0 ? f->cols[ct] : NULL;
  const br_column *Q = cq >= 0 ? f->cols[cq] : NULL, *P = cp >= 0 ? f->cols[cp] : NULL;
  if (T && T->type == BR_DTYPE_STR) return br_error_set(BR_ERR_ARG, "baskets: time column '%s' is str", spec->time);
  if (Q && Q->type == BR_DTYPE_STR) return br_error_set(BR_ERR_ARG, "baskets: quantity column '%s' is str", spec->quantity);
  if (P && P->type == BR_DTYPE_STR) return br_error_set(BR_ERR_ARG, "baskets: price column '%s' is str", spec->price);

  int64_t rows = f->nrows;
  int64_t *bid = br_alloc("baskets", (size_t)rows, sizeof *bid);
  int64_t *first = br_alloc("baskets", (size_t)rows, sizeof *first);
  uint64_t nslots = 16;
  while (nslots < (uint64_t)rows * 2) nslots *= 2;
  int64_t *slots = br_alloc("baskets", nslots, sizeof *slots);
  int32_t *code_id = NULL;
  br_baskets *b = NULL;
  if (!bid || !first || !slots) goto oom;
  memset(slots, 0xff, nslots * sizeof *slots);
  /* Pass 1: a basket id per row, in order of first appearance. */
  int64_t nb = 0;
  for (int64_t i = 0; i < rows; i++) {
    int valid = column_valid(I, i);
    for (int k = 0; k < nk && valid; k++) valid = column_valid(K[k], i);
    if (!valid) {
      bid[i] = -1;
      continue;
    }
    uint64_t h = row_key_hash(K, nk, i);
    for (uint64_t at = h & (nslots - 1);; at = (at + 1) & (nslots - 1)) {
      int64_t g = slots[at];
      if (g < 0) {
        slots[at] = nb;
        first[nb] = i;
        bid[i] = nb++;
        break;
      }
      if (row_keys_equal(K, nk, first[g], i)) {
        bid[i] = g;
        break;
      }
    }
  }
  b = baskets_alloc(nb, rows);
  if (!b) goto oom;
  for (int64_t i = 0; i < rows; i++)
    if (bid[i] >= 0) b->off[bid[i] + 1]++;
  for (int64_t k = 0; k < nb; k++) b->off[k + 1] += b->off[k];
  int64_t *fill = slots; /* reuse: nb <= rows <= nslots */
  memcpy(fill, b->off, (size_t)nb * sizeof *fill);
  if (I->type == BR_DTYPE_STR) {
    code_id = br_alloc("baskets", (size_t)I->dict->n, sizeof *code_id);
    if (!code_id) goto oom;
    memset(code_id, 0xff, (size_t)I->dict->n * sizeof *code_id);
  }
  char buf[40];
  for (int64_t i = 0; i < rows; i++) {
    if (bid[i] < 0) continue;
    int32_t id;
    if (code_id && code_id[((const int32_t *)I->data)[i]] >= 0) {
      id = code_id[((const int32_t *)I->data)[i]];
    } else {
      const char *txt;
      size_t len = value_text(I, i, buf, &txt);
      id = strdict_intern(b->labels, txt, len);
      if (id < 0) goto oom;
      if (code_id) code_id[((const int32_t *)I->data)[i]] = id;
    }
    b->items[fill[bid[i]]++] = id;
  }
  b->nitems = b->labels->n;
  if (cn >= 0 && set_names(b, f->cols[cn], bid, rows) != BR_OK) goto oom;
  normalize(b);
  /* Per-basket extras from each basket's lines. */
  if (T) {
    b->times = br_alloc("baskets", (size_t)nb, sizeof *b->times);
    if (!b->times) goto oom;
    for (int64_t k = 0; k < nb; k++) {
      double v = br_column_number(T, first[k]);
      b->times[k] = v == v ? (int64_t)v : INT64_MIN;
    }
  }
  if (Q || P) {
    b->revenue = br_calloc("baskets", (size_t)nb, sizeof *b->revenue);
    if (!b->revenue) goto oom;
    for (int64_t i = 0; i < rows; i++) {
      if (bid[i] < 0) continue;
      double q = Q ? br_column_number(Q, i) : 1, p = P ? br_column_number(P, i) : 1;
      if (q == q && p == p) b->revenue[bid[i]] += q * p;
    }
  }
  if (U) {
    b->users = strdict_new();
    b->user = br_alloc("baskets", (size_t)nb, sizeof *b->user);
    if (!b->users || !b->user) goto oom;
    for (int64_t k = 0; k < nb; k++) b->user[k] = -1;
    for (int64_t i = 0; i < rows; i++) {
      if (bid[i] < 0 || b->user[bid[i]] >= 0 || !column_valid(U, i)) continue;
      const char *txt;
      size_t len = value_text(U, i, buf, &txt);
      if ((b->user[bid[i]] = strdict_intern(b->users, txt, len)) < 0) goto oom;
    }
  }
  br_free(bid);
  br_free(first);
  br_free(slots);
  br_free(code_id);
  *out = b;
  return BR_OK;
oom:
  br_free(bid);
  br_free(first);
  br_free(slots);
  br_free(code_id);
  br_baskets_free(b);
  return br_error_set(BR_ERR_NOMEM, "baskets: out of memory");
}

/* ---- FIMI files ---- */

static br_status read_all(const char *path, char **buf, size_t *n) {
  errno = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) return br_error_set(BR_ERR_IO, "%s: cannot open: %s", path, errno ? strerror(errno) : "out of memory");
  size_t cap = 1 << 20, len = 0;
  char *b = br_alloc("baskets", cap + 1, 1);
  for (;;) {
    if (!b) {
      gzclose(gz);
      return br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
    }
    if (cap - len < (1 << 18)) {
      char *nb = br_realloc("baskets", b, cap * 2 + 1, 1);
      if (!nb) br_free(b);
      b = nb;
      cap *= 2;
      continue;
    }
    int k = gzread(gz, b + len, (unsigned)(cap - len));
    int zerr;
    const char *msg = gzerror(gz, &zerr);
    if (k < 0 || (k == 0 && zerr != Z_OK && zerr != Z_STREAM_END)) {
      br_status s = br_error_set(BR_ERR_IO, "%s: cannot read: %s", path, zerr == Z_ERRNO ? strerror(errno) : msg);
      br_free(b);
      gzclose(gz);
      return s;
    }
    if (k == 0) break;
    len += (size_t)k;
    if (br_deadline_passed()) { /* one clock read per read of up to a buffer's free space */
      br_status s = br_deadline_stop("read_baskets", (int64_t)len >> 20, "MB read");
      br_free(b);
      gzclose(gz);
      return s;
    }
  }
  gzclose(gz);
  b[len] = '\0';
  *buf = b;
  *n = len;
  return BR_OK;
}

/* What separates items on a line of a basket file. */
static int is_blank(char c, char sep) { return c == ' ' || c == '\t' || c == '\r' || c == sep; }

br_status br_baskets_read(br_baskets **out, const char *path, char sep) {
  char *buf = NULL;
  size_t n = 0;
  br_status s = read_all(path, &buf, &n);
  if (s != BR_OK) return s;
  int64_t lines = 0, tokens = 0;
  /* the same separators as the parse below, '\r' included: a count that
   * disagrees with the parse would overrun the items array */
  for (size_t i = 0; i < n; i++) {
    lines += buf[i] == '\n';
    tokens += !is_blank(buf[i], sep) && buf[i] != '\n' && (i == 0 || is_blank(buf[i - 1], sep) || buf[i - 1] == '\n');
  }
  if (n > 0 && buf[n - 1] != '\n') lines++; /* a last line without a line break */
  if (tokens == 0) {
    br_free(buf);
    return br_error_set(BR_ERR_PARSE, "%s: no items (the file is empty)", path);
  }
  br_baskets *b = baskets_alloc(lines, tokens);
  /* Item ids by first appearance; small non-negative ids map directly
   * through a table sized to the file (a 30-line file does not clear 4 MB);
   * larger ids go through the label dictionary. */
  int64_t DIRECT = 1024;
  while (DIRECT < ((int64_t)1 << 20) && DIRECT < 4 * tokens) DIRECT *= 2;
  int32_t *direct = br_alloc("baskets", (size_t)DIRECT, sizeof *direct);
  if (!b || !direct) {
    br_free(buf);
    br_free(direct);
    br_baskets_free(b);
    return br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
  }
  memset(direct, 0xff, (size_t)DIRECT * sizeof *direct);
  int64_t k = 0, w = 0, work = 0;
  size_t i = 0;
  while (i < n && k < lines) {
    if (deadline_poll(&work, 16)) { /* a line is a few dozen bytes */
      s = br_deadline_stop("read_baskets", k, "lines");
      goto fail;
    }
    b->off[k] = w;
    while (i < n && buf[i] != '\n') {
      if (is_blank(buf[i], sep)) {
        i++;
        continue;
      }
      size_t start = i;
      while (i < n && !is_blank(buf[i], sep) && buf[i] != '\n') i++;
      int64_t v;
      if (!parse_i64(buf + start, i - start, &v)) {
        s = br_error_set(BR_ERR_PARSE, "%s:%lld: item '%.*s' is not an integer", path, (long long)k + 1,
                         (int)(i - start > 40 ? 40 : i - start), buf + start);
        goto fail;
      }
      int32_t id = v >= 0 && v < DIRECT ? direct[v] : -1;
      if (id < 0) {
        char txt[32];
        int len = snprintf(txt, sizeof txt, "%lld", (long long)v);
        if ((id = strdict_intern(b->labels, txt, (size_t)len)) < 0) {
          s = br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
          goto fail;
        }
        if (v >= 0 && v < DIRECT) direct[v] = id;
      }
      b->items[w++] = id;
    }
    i++; /* the line break */
    k++;
  }
  b->off[lines] = w;
  b->n = lines;
  b->nitems = b->labels->n;
  normalize(b);
  br_free(buf);
  br_free(direct);
  *out = b;
  return BR_OK;
fail:
  br_free(buf);
  br_free(direct);
  br_baskets_free(b);
  return s;
}

/* ---- supports, filter, co-occurrence ---- */

void br_baskets_item_support(const br_baskets *b, int64_t *counts) {
  memset(counts, 0, (size_t)b->nitems * sizeof *counts);
  for (int64_t i = 0; i < b->off[b->n]; i++) counts[b->items[i]]++;
}

br_status br_baskets_filter(br_baskets **out, const br_baskets *b, const double *mask) {
  int64_t nb = 0, ni = 0;
  for (int64_t k = 0; k < b->n; k++)
    if (mask[k] != 0 && mask[k] == mask[k]) {
      nb++;
      ni += b->off[k + 1] - b->off[k];
    }
  br_baskets *r = br_calloc("baskets", 1, sizeof *r);
  if (!r) return br_error_set(BR_ERR_NOMEM, "filter: out of memory");
  r->n = nb;
  r->nitems = b->nitems;
  r->labels = strdict_retain(b->labels);
  r->off = br_alloc("baskets", (size_t)(nb + 1), sizeof *r->off);
  r->items = br_alloc("baskets", (size_t)ni, sizeof *r->items);
  if (b->times) r->times = br_alloc("baskets", (size_t)nb, sizeof *r->times);
  if (b->revenue) r->revenue = br_alloc("baskets", (size_t)nb, sizeof *r->revenue);
  if (b->user) {
    r->users = strdict_retain(b->users);
    r->user = br_alloc("baskets", (size_t)nb, sizeof *r->user);
  }
  if (b->name) {
    r->names = strdict_retain(b->names);
    r->name = br_alloc("baskets", (size_t)b->nitems, sizeof *r->name);
    if (r->name) memcpy(r->name, b->name, (size_t)b->nitems * sizeof *r->name);
  }
  if (!r->off || !r->items || (b->times && !r->times) || (b->revenue && !r->revenue) || (b->user && !r->user) ||
      (b->name && !r->name)) {
    br_baskets_free(r);
    return br_error_set(BR_ERR_NOMEM, "filter: out of memory");
  }
  int64_t j = 0, w = 0;
  for (int64_t k = 0; k < b->n; k++) {
    if (!(mask[k] != 0 && mask[k] == mask[k])) continue;
    r->off[j] = w;
    int64_t m = b->off[k + 1] - b->off[k];
    memcpy(r->items + w, b->items + b->off[k], (size_t)m * sizeof *r->items);
    w += m;
    if (r->times) r->times[j] = b->times[k];
    if (r->revenue) r->revenue[j] = b->revenue[k];
    if (r->user) r->user[j] = b->user[k];
    j++;
  }
  r->off[nb] = w;
  *out = r;
  return BR_OK;
}

br_status br_baskets_cooccurrence(const br_baskets *b, int64_t min_count, int64_t *npairs,
                                  int32_t **pa, int32_t **pb, int64_t **pc) {
  if (min_count < 1) min_count = 1;
  int32_t m = b->nitems;
  int64_t total = b->off[b->n];
  /* Inverted index: the baskets of each item, with the item's position. */
  int64_t *start = br_calloc("baskets", (size_t)m + 1, sizeof *start);
  int64_t *where = br_alloc("baskets", (size_t)total, sizeof *where);
  int64_t *cnt = br_calloc("baskets", (size_t)m, sizeof *cnt);
  int32_t *touched = br_alloc("baskets", (size_t)m, sizeof *touched);
  int64_t cap = 1024, np = 0, work = 0;
  /* A, Bv and C go to the caller, who frees them with br_free_out */
  int32_t *A = br_alloc_out("baskets", (size_t)cap, sizeof *A), *Bv = br_alloc_out("baskets", (size_t)cap, sizeof *Bv);
  int64_t *C = br_alloc_out("baskets", (size_t)cap, sizeof *C);
  br_status s = BR_OK;
  if (!start || !where || !cnt || !touched || !A || !Bv || !C) goto oom;
  for (int64_t i = 0; i < total; i++) start[b->items[i] + 1]++;
  for (int32_t i = 0; i < m; i++) start[i + 1] += start[i];
  {
    int64_t *fill = br_alloc("baskets", (size_t)m, sizeof *fill);
    if (!fill) goto oom;
    memcpy(fill, start, (size_t)m * sizeof *fill);
    for (int64_t i = 0; i < total; i++) where[fill[b->items[i]]++] = i; /* position in items[] */
    br_free(fill);
  }
  for (int32_t a = 0; a < m; a++) {
    if (start[a + 1] - start[a] < min_count) continue; /* a pair is no more frequent than a */
    int32_t nt = 0;
    for (int64_t p = start[a]; p < start[a + 1]; p++) {
      int64_t pos = where[p];
      /* the basket holding this position ends at off[k+1]; items after pos are > a */
      int64_t lo = 0, hi = b->n; /* find k with off[k] <= pos < off[k+1] */
      while (hi - lo > 1) {
        int64_t mid = (lo + hi) / 2;
        if (b->off[mid] <= pos) lo = mid;
        else hi = mid;
      }
      for (int64_t q = pos + 1; q < b->off[lo + 1]; q++) {
        int32_t x = b->items[q];
        if (cnt[x]++ == 0) touched[nt++] = x;
      }
      /* quadratic in a basket's length: long baskets make this the slow part */
      if (deadline_poll(&work, b->off[lo + 1] - pos + 32)) {
        s = br_deadline_stop("cooccurrence", a, "items");
        goto fail;
      }
    }
    qsort(touched, (size_t)nt, sizeof *touched, cmp_i32);
    for (int32_t t = 0; t < nt; t++) {
      int32_t x = touched[t];
      if (cnt[x] >= min_count) {
        if (np == cap) {
          cap *= 2;
          int32_t *na = br_realloc_out("baskets", A, (size_t)cap, sizeof *A);
          if (na) A = na;
          int32_t *nb2 = br_realloc_out("baskets", Bv, (size_t)cap, sizeof *Bv);
          if (nb2) Bv = nb2;
          int64_t *nc = br_realloc_out("baskets", C, (size_t)cap, sizeof *C);
          if (nc) C = nc;
          if (!na || !nb2 || !nc) goto oom;
        }
        A[np] = a;
        Bv[np] = x;
        C[np] = cnt[x];
        np++;
      }
      cnt[x] = 0;
    }
  }
  br_free(start);
  br_free(where);
  br_free(cnt);
  br_free(touched);
  *npairs = np;
  *pa = A;
  *pb = Bv;
  *pc = C;
  return s;
oom:
  s = br_error_set(BR_ERR_NOMEM, "cooccurrence: out of memory");
fail:
  br_free(start);
  br_free(where);
  br_free(cnt);
  br_free(touched);
  br_free_out(A);
  br_free_out(Bv);
  br_free_out(C);
  return s;
}

/* ---- one basket per line of item names ---- */

/* Reads field [i, end) of a line at *pos: a quoted name ("" is a quote
 * inside it) or plain text trimmed of blanks. Quoted text is unescaped in
 * place (it only shrinks). Returns 1 with the name in [*s, *s + *len), 0 at
 * the end of the line, -1 for an unterminated quote. */
static int next_name(char *buf, size_t *pos, size_t end, char sep, char **s, size_t *len) {
  size_t i = *pos;
  int spaces = sep == ' ';
  for (;;) {
    while (i < end && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r')) i++;
    if (i < end && buf[i] == sep && !spaces) { /* an empty field: skip it */
      i++;
      continue;
    }
    break;
  }
  if (i >= end) {
    *pos = end;
    return 0;
  }
  if (buf[i] == '"') {
    size_t r = i + 1, w = i + 1;
    for (;;) {
      if (r >= end) return -1;
      if (buf[r] == '"') {
        if (r + 1 < end && buf[r + 1] == '"') {
          buf[w++] = '"';
          r += 2;
          continue;
        }
        r++;
        break;
      }
      buf[w++] = buf[r++];
    }
    *s = buf + i + 1;
    *len = w - (i + 1);
    /* text after the closing quote up to the separator is ignored */
    while (r < end && !(spaces ? (buf[r] == ' ' || buf[r] == '\t') : buf[r] == sep)) r++;
    *pos = r < end ? r + 1 : end;
    return 1;
  }
  size_t start = i;
  while (i < end && !(spaces ? (buf[i] == ' ' || buf[i] == '\t') : buf[i] == sep)) i++;
  size_t stop = i;
  while (stop > start && (buf[stop - 1] == ' ' || buf[stop - 1] == '\t' || buf[stop - 1] == '\r')) stop--;
  *s = buf + start;
  *len = stop - start;
  *pos = i < end ? i + 1 : end;
  return 1;
}

br_status br_baskets_read_names(br_baskets **out, const char *path, char sep) {
  char *buf = NULL;
  size_t n = 0;
  br_status s = read_all(path, &buf, &n);
  if (s != BR_OK) return s;
  int64_t lines = 0;
  for (size_t i = 0; i < n; i++) lines += buf[i] == '\n';
  if (n > 0 && buf[n - 1] != '\n') lines++;
  /* a name takes a character and its separator, so at most (n + 1) / 2 a file, plus one a line */
  br_baskets *b = baskets_alloc(lines, (int64_t)(n + 1) / 2 + lines + 1);
  if (!b) {
    br_free(buf);
    return br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
  }
  int64_t k = 0, w = 0;
  size_t i = 0;
  while (k < lines) {
    size_t end = i;
    while (end < n && buf[end] != '\n') end++;
    b->off[k] = w;
    size_t pos = i;
    char *name;
    size_t len;
    int got;
    while ((got = next_name(buf, &pos, end, sep, &name, &len)) == 1) {
      int32_t id = strdict_intern(b->labels, name, len);
      if (id < 0) {
        s = br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
        goto fail;
      }
      b->items[w++] = id;
    }
    if (got < 0) {
      s = br_error_set(BR_ERR_PARSE, "%s:%lld: a quoted name is not closed on its line", path, (long long)k + 1);
      goto fail;
    }
    i = end + 1;
    k++;
  }
  if (w == 0) {
    s = br_error_set(BR_ERR_PARSE, "%s: no items (the file is empty)", path);
    goto fail;
  }
  b->off[lines] = w;
  b->nitems = b->labels->n;
  normalize(b);
  br_free(buf);
  *out = b;
  return BR_OK;
fail:
  br_free(buf);
  br_baskets_free(b);
  return s;
}
