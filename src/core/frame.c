/* Frames: named columns of one length. Construction, selection, row
 * gathering (filter, take, head, sort) and conversion to tensors. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_internal.h"
#include "bundle/deadline.h"
#include "sort_index.h"
#include "bundle/memory.h"

br_status frame_build(br_frame **out, int ncols, char *const *names, br_column *const *cols,
                      int64_t nrows) {
  br_frame *f = br_calloc("frame", 1, sizeof *f);
  if (!f) return br_error_set(BR_ERR_NOMEM, "frame: out of memory");
  f->nrows = nrows;
  f->names = br_calloc("frame", (size_t)ncols, sizeof *f->names);
  f->cols = br_calloc("frame", (size_t)ncols, sizeof *f->cols);
  if (!f->names || !f->cols) {
    br_frame_free(f);
    return br_error_set(BR_ERR_NOMEM, "frame: out of memory");
  }
  for (int i = 0; i < ncols; i++) {
    f->names[i] = br_strdup("frame", names[i]);
    if (!f->names[i]) {
      br_frame_free(f);
      return br_error_set(BR_ERR_NOMEM, "frame: out of memory");
    }
    f->cols[i] = br_column_retain(cols[i]);
    f->ncols = i + 1;
  }
  *out = f;
  return BR_OK;
}

int frame_first_repeat(const char *const *names, int n, int *first) {
  size_t size = 16;
  while (size < (size_t)n * 2) size *= 2;
  int *slot = br_alloc("frame", size, sizeof *slot);
  if (!slot) return -2;
  for (size_t k = 0; k < size; k++) slot[k] = -1;
  int found = -1;
  for (int i = 0; i < n && found < 0; i++) {
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)names[i]; *p; p++) h = (h ^ *p) * 1099511628211ull;
    size_t k = (size_t)h & (size - 1);
    while (slot[k] >= 0 && strcmp(names[slot[k]], names[i]) != 0) k = (k + 1) & (size - 1);
    if (slot[k] >= 0) found = i, *first = slot[k];
    else slot[k] = i;
  }
  br_free(slot);
  return found;
}

br_status br_frame_new(br_frame **out, int ncols, const char *const *names,
                       br_column *const *cols) {
  if (ncols < 0) return br_error_set(BR_ERR_ARG, "frame: %d columns", ncols);
  int64_t n = ncols ? cols[0]->n : 0;
  for (int i = 0; i < ncols; i++) {
    if (!names[i] || !names[i][0])
      return br_error_set(BR_ERR_ARG, "frame: column %d has no name", i + 1);
    if (cols[i]->n != n)
      return br_error_set(BR_ERR_SHAPE, "frame: column '%s' has %lld rows, '%s' has %lld",
                          names[i], (long long)cols[i]->n, names[0], (long long)n);
  }
  /* by hash, as read_csv's header: select of a 50,000-column frame spent
   * 6 s comparing every pair of names here */
  int first, rep = frame_first_repeat(names, ncols, &first);
  if (rep == -2) return br_error_set(BR_ERR_NOMEM, "frame: out of memory");
  if (rep >= 0) return br_error_set(BR_ERR_ARG, "frame: column name '%s' appears twice", names[rep]);
  return frame_build(out, ncols, (char *const *)names, cols, n);
}

void br_frame_free(br_frame *f) {
  if (!f) return;
  for (int i = 0; i < f->ncols; i++) {
    br_free(f->names[i]);
    br_column_release(f->cols[i]);
  }
  br_free(f->names);
  br_free(f->cols);
  br_free(f);
}

int64_t br_frame_nrows(const br_frame *f) { return f->nrows; }
int br_frame_ncols(const br_frame *f) { return f->ncols; }
const char *br_frame_name(const br_frame *f, int i) {
  return i >= 0 && i < f->ncols ? f->names[i] : NULL;
}
const br_column *br_frame_column(const br_frame *f, int i) {
  return i >= 0 && i < f->ncols ? f->cols[i] : NULL;
}

int br_frame_find(const br_frame *f, const char *name) {
  for (int i = 0; i < f->ncols; i++)
    if (strcmp(f->names[i], name) == 0) return i;
  return -1;
}

br_status frame_require(const br_frame *f, const char *fn, const char *name, int *idx) {
  *idx = br_frame_find(f, name);
  if (*idx >= 0) return BR_OK;
  /* List the columns there are, so a typo is obvious. */
  char have[512];
  size_t used = 0;
  have[0] = '\0';
  for (int i = 0; i < f->ncols && used < sizeof have - 8; i++)
    used += (size_t)snprintf(have + used, sizeof have - used, "%s%s", i ? ", " : "", f->names[i]);
  return br_error_set(BR_ERR_ARG, "%s: no column '%s' (columns: %s)", fn, name, have);
}

br_status br_frame_select(br_frame **out, const br_frame *f, const char *const *names, int n) {
  br_column **cols = br_calloc("frame", (size_t)n, sizeof *cols);
  if (!cols) return br_error_set(BR_ERR_NOMEM, "select: out of memory");
  br_status s = BR_OK;
  /* many lookups go through a hash of the frame's names: selecting all
   * 50,000 names of a wide frame one scan each was 2.5e9 string compares
   * (11 s in one call). The names are unique (br_frame_new), so a name's
   * code is its column; any doubt falls back to the scan. */
  strdict *byname = NULL;
  if ((int64_t)n * f->ncols > 65536 && (byname = strdict_new()))
    for (int i = 0; i < f->ncols && byname; i++)
      if (strdict_intern(byname, f->names[i], strlen(f->names[i])) != i) {
        strdict_release(byname);
        byname = NULL;
      }
  for (int i = 0; i < n && s == BR_OK; i++) {
    int k = byname ? strdict_find(byname, names[i], strlen(names[i])) : -1;
    if (k >= 0 && strcmp(f->names[k], names[i]) == 0) cols[i] = f->cols[k];
    else if ((s = frame_require(f, "select", names[i], &k)) == BR_OK) cols[i] = f->cols[k];
  }
  if (byname) strdict_release(byname);
  if (s == BR_OK) {
    s = br_frame_new(out, n, names, cols);
    if (s == BR_OK && n == 0) (*out)->nrows = f->nrows;
  }
  br_free(cols);
  return s;
}

br_status br_frame_take(br_frame **out, const br_frame *f, const int64_t *rows, int64_t n) {
  for (int64_t k = 0; k < n; k++)
    if (rows[k] < -1 || rows[k] >= f->nrows)
      return br_error_set(BR_ERR_INDEX, "take: row %lld out of range for %lld rows",
                          (long long)rows[k], (long long)f->nrows);
  br_column **cols = br_calloc("frame", (size_t)f->ncols, sizeof *cols);
  if (!cols) return br_error_set(BR_ERR_NOMEM, "take: out of memory");
  br_status s = BR_OK;
  for (int i = 0; i < f->ncols && s == BR_OK; i++) s = br_column_take(&cols[i], f->cols[i], rows, n);
  if (s == BR_OK) s = frame_build(out, f->ncols, f->names, cols, n);
  for (int i = 0; i < f->ncols; i++) br_column_release(cols[i]);
  br_free(cols);
  return s;
}

br_status br_frame_filter(br_frame **out, const br_frame *f, const double *mask) {
  int64_t n = 0;
  int64_t *rows = br_alloc("frame", (size_t)f->nrows, sizeof *rows);
  if (!rows) return br_error_set(BR_ERR_NOMEM, "filter: out of memory");
  for (int64_t i = 0; i < f->nrows; i++)
    if (mask[i] != 0 && !isnan(mask[i])) rows[n++] = i;
  br_status s = br_frame_take(out, f, rows, n);
  br_free(rows);
  return s;
}

br_status br_frame_head(br_frame **out, const br_frame *f, int64_t n) {
  if (n < 0) return br_error_set(BR_ERR_ARG, "head: count %lld is negative", (long long)n);
  if (n > f->nrows) n = f->nrows;
  int64_t *rows = br_alloc("frame", (size_t)n, sizeof *rows);
  if (!rows) return br_error_set(BR_ERR_NOMEM, "head: out of memory");
  for (int64_t i = 0; i < n; i++) rows[i] = i;
  br_status s = br_frame_take(out, f, rows, n);
  br_free(rows);
  return s;
}

br_status br_frame_with_column(br_frame **out, const br_frame *f, const char *name,
                               br_column *col) {
  if (!name || !*name) return br_error_set(BR_ERR_ARG, "with_column: the name is empty");
  if (f->ncols > 0 && col->n != f->nrows)
    return br_error_set(BR_ERR_SHAPE, "with_column: '%s' has %lld rows, the frame has %lld",
                        name, (long long)col->n, (long long)f->nrows);
  int at = br_frame_find(f, name), n = f->ncols + (at < 0);
  char **names = br_alloc("frame", (size_t)n, sizeof *names);
  br_column **cols = br_alloc("frame", (size_t)n, sizeof *cols);
  if (!names || !cols) {
    br_free(names);
    br_free(cols);
    return br_error_set(BR_ERR_NOMEM, "with_column: out of memory");
  }
  for (int i = 0; i < f->ncols; i++) {
    names[i] = f->names[i];
    cols[i] = f->cols[i];
  }
  if (at < 0) at = f->ncols;
  names[at] = (char *)name;
  cols[at] = col;
  br_status s = frame_build(out, n, names, cols, col->n);
  br_free(names);
  br_free(cols);
  return s;
}

br_status br_frame_tensor(br_tensor **out, const br_frame *f, const char *const *names, int n) {
  int *idx = br_alloc("frame", (size_t)(f->ncols + n + 1), sizeof *idx);
  if (!idx) return br_error_set(BR_ERR_NOMEM, "tensor: out of memory");
  int d = 0;
  br_status s = BR_OK;
  if (names) {
    for (int i = 0; i < n && s == BR_OK; i++) {
      if ((s = frame_require(f, "tensor", names[i], &idx[d])) != BR_OK) break;
      if (f->cols[idx[d]]->type == BR_DTYPE_STR)
        s = br_error_set(BR_ERR_ARG, "tensor: column '%s' is str, not numeric", names[i]);
      d++;
    }
  } else {
    for (int i = 0; i < f->ncols; i++)
      if (f->cols[i]->type != BR_DTYPE_STR) idx[d++] = i;
  }
  br_tensor *t = NULL;
  if (s == BR_OK) {
    int64_t shape[2] = {f->nrows, d};
    s = br_tensor_empty(&t, 2, shape);
  }
  if (s == BR_OK) {
    double *p = br_tensor_data(t);
    for (int j = 0; j < d; j++) {
      const br_column *c = f->cols[idx[j]];
      for (int64_t i = 0; i < f->nrows; i++) p[i * d + j] = br_column_number(c, i);
    }
    *out = t;
  }
  br_free(idx);
  return s;
}

/* ---- sort ---- */

typedef struct sort_key {
  const br_column *c;
  int desc;
  int32_t *rank; /* STR: byte-order rank of each dictionary level */
} sort_key;

static int level_cmp(const strdict *d, int32_t a, int32_t b) {
  size_t la, lb;
  const char *sa = strdict_get(d, a, &la), *sb = strdict_get(d, b, &lb);
  int r = memcmp(sa, sb, la < lb ? la : lb);
  return r ? r : (la > lb) - (la < lb);
}

/* Merge sort of level codes by their text (stable, no qsort_r needed). */
static void sort_levels(const strdict *d, int32_t *v, int32_t *tmp, int32_t n) {
  if (n < 2) return;
  int32_t h = n / 2;
  sort_levels(d, v, tmp, h);
  sort_levels(d, v + h, tmp, n - h);
  int32_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = level_cmp(d, v[j], v[i]) < 0 ? v[j++] : v[i++];
  while (i < h) tmp[k++] = v[i++];
  while (j < n) tmp[k++] = v[j++];
  memcpy(v, tmp, (size_t)n * sizeof *v);
}

static int row_cmp(const sort_key *keys, int nk, int64_t a, int64_t b) {
  for (int k = 0; k < nk; k++) {
    const br_column *c = keys[k].c;
    int va = column_valid(c, a), vb = column_valid(c, b), r;
    if (!va || !vb) {
      if (va != vb) return va ? -1 : 1; /* nulls last, in either direction */
      continue;
    }
    switch (c->type) {
      case BR_DTYPE_STR: {
        int32_t x = keys[k].rank[((const int32_t *)c->data)[a]];
        int32_t y = keys[k].rank[((const int32_t *)c->data)[b]];
        r = (x > y) - (x < y);
        break;
      }
      case BR_DTYPE_F64: {
        double x = ((const double *)c->data)[a], y = ((const double *)c->data)[b];
        int nx = isnan(x), ny = isnan(y);
        if (nx || ny) { /* NaN sorts last, like a null, in either direction */
          if (nx != ny) return nx ? 1 : -1;
          continue;
        }
        r = (x > y) - (x < y);
        break;
      }
      case BR_DTYPE_BOOL: {
        uint8_t x = ((const uint8_t *)c->data)[a], y = ((const uint8_t *)c->data)[b];
        r = (x > y) - (x < y);
        break;
      }
      default: {
        int64_t x = ((const int64_t *)c->data)[a], y = ((const int64_t *)c->data)[b];
        r = (x > y) - (x < y);
        break;
      }
    }
    if (r) return keys[k].desc ? -r : r;
  }
  return 0;
}

typedef struct sort_ctx {
  const sort_key *keys;
  int nk;
} sort_ctx;

static int cmp_rows(const void *ctx, int64_t a, int64_t b) {
  const sort_ctx *c = ctx;
  return row_cmp(c->keys, c->nk, a, b);
}

br_status br_frame_sort(br_frame **out, const br_frame *f, const char *const *by,
                        const int *desc, int nby) {
  if (nby < 1) return br_error_set(BR_ERR_ARG, "sort: no key columns");
  sort_key *keys = br_calloc("frame", (size_t)nby, sizeof *keys);
  int64_t n = f->nrows > 0 ? f->nrows : 1;
  int64_t *rows = br_alloc("frame", (size_t)n, sizeof *rows);
  br_status s = BR_OK;
  if (!keys || !rows) {
    s = br_error_set(BR_ERR_NOMEM, "sort: out of memory");
    goto done;
  }
  for (int k = 0; k < nby && s == BR_OK; k++) {
    int i;
    if ((s = frame_require(f, "sort", by[k], &i)) != BR_OK) break;
    keys[k].c = f->cols[i];
    keys[k].desc = desc ? desc[k] : 0;
    if (f->cols[i]->type == BR_DTYPE_STR) {
      const strdict *d = f->cols[i]->dict;
      int32_t nl = d->n > 0 ? d->n : 1;
      int32_t *order = br_alloc("frame", (size_t)nl, sizeof *order), *t2 = br_alloc("frame", (size_t)nl, sizeof *t2);
      keys[k].rank = br_alloc("frame", (size_t)nl, sizeof *keys[k].rank);
      if (!order || !t2 || !keys[k].rank) {
        br_free(order);
        br_free(t2);
        s = br_error_set(BR_ERR_NOMEM, "sort: out of memory");
        break;
      }
      for (int32_t l = 0; l < d->n; l++) order[l] = l;
      sort_levels(d, order, t2, d->n);
      for (int32_t l = 0; l < d->n; l++) keys[k].rank[order[l]] = l;
      br_free(order);
      br_free(t2);
    }
  }
  if (s == BR_OK) {
    for (int64_t i = 0; i < f->nrows; i++) rows[i] = i;
    sort_ctx ctx = {keys, nby};
    int sorted = sort_index_polled(rows, f->nrows, cmp_rows, &ctx);
    if (sorted == 0) s = br_error_set(BR_ERR_NOMEM, "sort: out of memory");
    else if (sorted < 0) s = br_deadline_stop("sort", 0, NULL);
    else s = br_frame_take(out, f, rows, f->nrows);
  }
done:
  if (keys)
    for (int k = 0; k < nby; k++) br_free(keys[k].rank);
  br_free(keys);
  br_free(rows);
  return s;
}
