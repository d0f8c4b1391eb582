/* Joins between frames and catalogues (bundle/catalog_frame.h): what the
 * bindings used to do row by row, done once here so every caller (Lua, C)
 * gets the same checks and messages. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "bundle/memory.h"
#include "bundle/catalog_frame.h"
#include "memory_internal.h"

/* The column option `key` names, or NULL (unset); a name the frame lacks
 * sets the error. */
static br_status find_column(const br_column **out, const br_frame *f, const char *name, const char *key,
                             int required) {
  *out = NULL;
  if (!name) return required ? br_error_set(BR_ERR_ARG, "catalog: option '%s' (a column name) is required", key) : BR_OK;
  int i = br_frame_find(f, name);
  if (i < 0) return br_error_set(BR_ERR_ARG, "catalog: no column '%s' for %s", name, key);
  *out = br_frame_column(f, i);
  return BR_OK;
}

/* Row i of a numeric column, or the error naming it. */
static br_status number_at(double *v, const br_column *c, int64_t i, const char *what) {
  if (br_column_type(c) == BR_DTYPE_STR) return br_error_set(BR_ERR_ARG, "catalog: the %s column is str, not numeric", what);
  *v = br_column_number(c, i);
  if (isnan(*v)) return br_error_set(BR_ERR_ARG, "catalog: %s is missing on row %lld", what, (long long)i + 1);
  return BR_OK;
}

#define LABEL_DIGITS 24 /* room for an int64's text */

br_status br_catalog_from_frame(br_catalog **out, const br_frame *f, const br_catalog_columns *cols) {
  const br_column *item, *price, *cost, *cat, *stock, *names;
  br_status s;
  if ((s = find_column(&item, f, cols->item, "item", 1)) != BR_OK ||
      (s = find_column(&price, f, cols->price, "price", 1)) != BR_OK ||
      (s = find_column(&cost, f, cols->cost, "cost", 0)) != BR_OK ||
      (s = find_column(&cat, f, cols->category, "category", 0)) != BR_OK ||
      (s = find_column(&stock, f, cols->stock, "stock", 0)) != BR_OK ||
      (s = find_column(&names, f, cols->name, "name", 0)) != BR_OK)
    return s;
  if (names && br_column_type(names) != BR_DTYPE_STR) return br_error_set(BR_ERR_ARG, "catalog: the name column must be str");
  int has_margin = !isnan(cols->margin);
  if (has_margin == (cost != NULL))
    return br_error_set(BR_ERR_ARG, "catalog: give either cost = column or margin = rate (e.g. margin = 0.4)");
  if (has_margin && !(cols->margin >= 0 && cols->margin < 1))
    return br_error_set(BR_ERR_ARG, "catalog: margin must be a rate in [0, 1)");
  if (br_column_type(item) != BR_DTYPE_STR && br_column_type(item) != BR_DTYPE_I64)
    return br_error_set(BR_ERR_ARG, "catalog: the item column must be str or i64");
  if (cat && br_column_type(cat) != BR_DTYPE_STR) return br_error_set(BR_ERR_ARG, "catalog: the category column must be str");
  int64_t n = br_frame_nrows(f);
  if (n < 1 || n > INT32_MAX) return br_error_set(BR_ERR_ARG, "catalog: the frame has %lld rows", (long long)n);
  /* one block for every array */
  size_t per = sizeof(char *) + sizeof(size_t) + 3 * sizeof(double) + sizeof(int32_t) + LABEL_DIGITS;
  unsigned char *mem = br_alloc("catalog", (size_t)n, per);
  if (!mem) return br_error_set(BR_ERR_NOMEM, "catalog: out of memory for %lld items", (long long)n);
  const char **labels = (const char **)mem;
  size_t *lens = (size_t *)(labels + n);
  double *pr = (double *)(lens + n), *co = pr + n, *st = co + n;
  int32_t *cc = (int32_t *)(st + n);
  char *digits = (char *)(cc + n);
  s = BR_OK;
  for (int64_t i = 0; i < n && s == BR_OK; i++) {
    if (br_column_is_null(item, i)) {
      s = br_error_set(BR_ERR_ARG, "catalog: item is missing on row %lld", (long long)i + 1);
      break;
    }
    if (br_column_type(item) == BR_DTYPE_STR) {
      labels[i] = br_column_level(item, br_column_codes(item)[i], &lens[i]);
    } else {
      char *b = digits + i * LABEL_DIGITS;
      lens[i] = (size_t)snprintf(b, LABEL_DIGITS, "%lld", (long long)br_column_i64(item)[i]);
      labels[i] = b;
    }
    if ((s = number_at(&pr[i], price, i, "price")) != BR_OK) break;
    if (cost) s = number_at(&co[i], cost, i, "cost");
    else co[i] = pr[i] * (1 - cols->margin);
    st[i] = stock ? br_column_number(stock, i) : NAN;
    cc[i] = cat && !br_column_is_null(cat, i) ? br_column_codes(cat)[i] : -1;
  }
  if (s == BR_OK) s = br_catalog_new(out, (int32_t)n, labels, lens, pr, co, cat ? cc : NULL, stock ? st : NULL);
  if (s == BR_OK && names) { /* the label arrays are free again: they carry the names */
    for (int64_t i = 0; i < n; i++) {
      labels[i] = br_column_is_null(names, i) ? NULL : br_column_level(names, br_column_codes(names)[i], &lens[i]);
    }
    if ((s = br_catalog_set_names(*out, labels, lens)) != BR_OK) {
      br_catalog_free(*out);
      *out = NULL;
    }
  }
  br_free(mem);
  return s;
}

br_status br_catalog_level_ids(int32_t *out, const br_catalog *cat, const br_column *c) {
  if (br_column_type(c) != BR_DTYPE_STR) return br_error_set(BR_ERR_ARG, "catalog: item labels must be a str column");
  int32_t nl = br_column_nlevels(c);
  for (int32_t l = 0; l < nl; l++) {
    size_t len;
    const char *s = br_column_level(c, l, &len);
    out[l] = br_catalog_find(cat, s, len);
  }
  return BR_OK;
}

br_status br_price_elasticity_orders(double *e, uint8_t *estimated, br_elasticity_fit *fit, const br_column *item,
                                     const br_column *price, const br_column *quantity, const br_column *time,
                                     const br_catalog *cat, const br_elasticity_spec *spec) {
  const char *fn = "price.elasticity";
  if (br_column_type(item) != BR_DTYPE_STR) return br_error_set(BR_ERR_ARG, "%s: the item column must be str", fn);
  const br_column *num[3] = {price, quantity, time};
  for (int k = 0; k < 3; k++)
    if (br_column_type(num[k]) == BR_DTYPE_STR || br_column_len(num[k]) != br_column_len(item))
      return br_error_set(BR_ERR_ARG, "%s: the price, quantity and time columns must be numeric, one value per line", fn);
  int32_t nl = br_column_nlevels(item), ncat = cat ? br_catalog_size(cat) : nl;
  int64_t n = br_column_len(item);
  size_t m = (size_t)n;
  /* items are the catalogue's (lines of other items are skipped), or the
   * item column's levels without one */
  int32_t *lev = br_alloc("catalog", (size_t)nl, sizeof *lev), *ids = br_alloc("catalog", m, sizeof *ids);
  double *v = br_alloc("catalog", mem_mul(m, 3), sizeof *v);
  br_status s = BR_OK;
  if (!lev || !ids || !v) {
    s = br_error_set(BR_ERR_NOMEM, "%s: out of memory for %lld order lines", fn, (long long)n);
  } else {
    if (cat) br_catalog_level_ids(lev, cat, item);
    else
      for (int32_t l = 0; l < nl; l++) lev[l] = l;
    double *pr = v, *q = v + m, *t = v + 2 * m;
    const int32_t *codes = br_column_codes(item);
    for (int64_t r = 0; r < n; r++) {
      ids[r] = br_column_is_null(item, r) ? -1 : lev[codes[r]];
      pr[r] = br_column_number(price, r);
      q[r] = br_column_number(quantity, r);
      t[r] = br_column_number(time, r);
    }
    s = br_price_elasticity(e, estimated, fit, ncat, ids, pr, q, t, n, spec);
  }
  br_free(lev);
  br_free(ids);
  br_free(v);
  return s;
}
