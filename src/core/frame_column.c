/* Columns: construction, typed access, gathering, comparisons, distinct
 * values. A column is immutable once built and shared by reference. */
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "frame_internal.h"

static const char *const dtype_names[] = {"i64", "f64", "bool", "str", "datetime"};
static_assert(sizeof dtype_names / sizeof *dtype_names == BR_DTYPE_COUNT, "one name per type");

const char *br_dtype_name(br_dtype t) {
  return (unsigned)t < BR_DTYPE_COUNT ? dtype_names[t] : "?";
}

br_status br_dtype_parse(br_dtype *t, const char *s) {
  for (int i = 0; i < BR_DTYPE_COUNT; i++)
    if (strcmp(s, dtype_names[i]) == 0) {
      *t = (br_dtype)i;
      return BR_OK;
    }
  return br_error_set(BR_ERR_ARG, "unknown type '%s' (i64, f64, bool, str or datetime)", s);
}

size_t dtype_size(br_dtype t) {
  switch (t) {
    case BR_DTYPE_I64:
    case BR_DTYPE_DATETIME: return sizeof(int64_t);
    case BR_DTYPE_F64: return sizeof(double);
    case BR_DTYPE_BOOL: return sizeof(uint8_t);
    case BR_DTYPE_STR: return sizeof(int32_t);
    case BR_DTYPE_COUNT: break;
  }
  return 8;
}

br_status column_alloc(br_column **out, br_dtype type, int64_t n, int with_valid,
                       strdict *dict) {
  size_t words = (size_t)(n + 63) / 64;
  br_column *c = br_calloc("column", 1, sizeof *c); /* br_alloc charges the budget */
  if (!c) return br_error_set(BR_ERR_NOMEM, "column: out of memory");
  c->refs = 1;
  c->type = type;
  c->n = n;
  c->data = br_calloc("column", (size_t)n, dtype_size(type));
  if (with_valid) {
    c->valid = br_alloc("column", words, sizeof *c->valid);
    if (c->valid) memset(c->valid, 0xff, words * sizeof *c->valid);
  }
  if (type == BR_DTYPE_STR) c->dict = dict ? strdict_retain(dict) : strdict_new();
  if (!c->data || (with_valid && !c->valid) || (type == BR_DTYPE_STR && !c->dict)) {
    br_column_release(c);
    return br_error_set(BR_ERR_NOMEM, "column: out of memory for %lld rows", (long long)n);
  }
  *out = c;
  return BR_OK;
}

void column_finish_nulls(br_column *c) {
  if (!c->valid) {
    c->nulls = 0;
    return;
  }
  int64_t valid = 0, words = (c->n + 63) / 64;
  for (int64_t w = 0; w < words; w++) {
    uint64_t bits = c->valid[w];
    if (w == words - 1 && (c->n & 63)) bits &= ((uint64_t)1 << (c->n & 63)) - 1;
    valid += __builtin_popcountll(bits);
  }
  c->nulls = c->n - valid;
  if (c->nulls == 0) {
    br_free(c->valid);
    c->valid = NULL;
  }
}

br_column *br_column_retain(br_column *c) {
  if (c) c->refs++;
  return c;
}

void br_column_release(br_column *c) {
  if (!c || --c->refs > 0) return;
  br_free(c->data);
  br_free(c->valid);
  strdict_release(c->dict);
  br_free(c);
}

br_dtype br_column_type(const br_column *c) { return c->type; }
int64_t br_column_len(const br_column *c) { return c->n; }
int64_t br_column_null_count(const br_column *c) { return c->nulls; }
int br_column_is_null(const br_column *c, int64_t i) { return !column_valid(c, i); }

const int64_t *br_column_i64(const br_column *c) {
  return (c->type == BR_DTYPE_I64 || c->type == BR_DTYPE_DATETIME) ? c->data : NULL;
}
const double *br_column_f64(const br_column *c) {
  return c->type == BR_DTYPE_F64 ? c->data : NULL;
}
const uint8_t *br_column_bool(const br_column *c) {
  return c->type == BR_DTYPE_BOOL ? c->data : NULL;
}
const int32_t *br_column_codes(const br_column *c) {
  return c->type == BR_DTYPE_STR ? c->data : NULL;
}
int32_t br_column_nlevels(const br_column *c) { return c->dict ? c->dict->n : 0; }

const char *br_column_level(const br_column *c, int32_t code, size_t *len) {
  if (!c->dict || code < 0 || code >= c->dict->n) return NULL;
  return strdict_get(c->dict, code, len);
}

int32_t br_column_find_level(const br_column *c, const char *s, size_t len) {
  return c->dict ? strdict_find(c->dict, s, len) : -1;
}

double br_column_number(const br_column *c, int64_t i) {
  if (!column_valid(c, i)) return NAN;
  switch (c->type) {
    case BR_DTYPE_I64:
    case BR_DTYPE_DATETIME: return (double)((const int64_t *)c->data)[i];
    case BR_DTYPE_F64: return ((const double *)c->data)[i];
    case BR_DTYPE_BOOL: return ((const uint8_t *)c->data)[i];
    case BR_DTYPE_STR:
    case BR_DTYPE_COUNT: break;
  }
  return NAN;
}

uint64_t column_key(const br_column *c, int64_t i) {
  switch (c->type) {
    case BR_DTYPE_I64:
    case BR_DTYPE_DATETIME: return (uint64_t)((const int64_t *)c->data)[i];
    case BR_DTYPE_F64: {
      double v = ((const double *)c->data)[i];
      if (v == 0) v = 0; /* -0 and 0 are one value */
      uint64_t k;
      memcpy(&k, &v, sizeof k);
      return k;
    }
    case BR_DTYPE_BOOL: return ((const uint8_t *)c->data)[i];
    case BR_DTYPE_STR: return (uint64_t)(uint32_t)((const int32_t *)c->data)[i];
    case BR_DTYPE_COUNT: break;
  }
  return 0;
}

/* ---- construction from C arrays ---- */

static br_status from_array(br_column **out, br_dtype type, int64_t n, const void *data,
                            const uint8_t *valid) {
  if (n < 0) return br_error_set(BR_ERR_ARG, "column: length %lld is negative", (long long)n);
  br_column *c;
  br_status s = column_alloc(&c, type, n, valid != NULL, NULL);
  if (s != BR_OK) return s;
  if (n > 0) memcpy(c->data, data, (size_t)n * dtype_size(type));
  if (valid) {
    for (int64_t i = 0; i < n; i++)
      if (!valid[i]) column_set_null(c, i);
    column_finish_nulls(c);
  }
  *out = c;
  return BR_OK;
}

br_status br_column_from_i64(br_column **out, br_dtype type, int64_t n, const int64_t *data,
                             const uint8_t *valid) {
  if (type != BR_DTYPE_I64 && type != BR_DTYPE_DATETIME)
    return br_error_set(BR_ERR_ARG, "column: from_i64 makes i64 or datetime, not %s",
                        br_dtype_name(type));
  return from_array(out, type, n, data, valid);
}

br_status br_column_from_f64(br_column **out, int64_t n, const double *data,
                             const uint8_t *valid) {
  return from_array(out, BR_DTYPE_F64, n, data, valid);
}

br_status br_column_from_bool(br_column **out, int64_t n, const uint8_t *data,
                              const uint8_t *valid) {
  return from_array(out, BR_DTYPE_BOOL, n, data, valid);
}

br_status br_column_from_strings(br_column **out, int64_t n, const char *const *strs,
                                 const size_t *lens) {
  br_column *c;
  br_status s = column_alloc(&c, BR_DTYPE_STR, n, 1, NULL);
  if (s != BR_OK) return s;
  int32_t *codes = c->data;
  for (int64_t i = 0; i < n; i++) {
    if (!strs[i]) {
      column_set_null(c, i);
      continue;
    }
    codes[i] = strdict_intern(c->dict, strs[i], lens ? lens[i] : strlen(strs[i]));
    if (codes[i] < 0) {
      br_column_release(c);
      return br_error_set(BR_ERR_NOMEM, "column: out of memory for strings");
    }
  }
  column_finish_nulls(c);
  *out = c;
  return BR_OK;
}

/* ---- gathering ---- */

br_status br_column_take(br_column **out, const br_column *c, const int64_t *rows, int64_t n) {
  int nulls_possible = c->valid != NULL;
  for (int64_t k = 0; k < n && !nulls_possible; k++) nulls_possible = rows[k] < 0;
  br_column *r;
  br_status s = column_alloc(&r, c->type, n, nulls_possible, c->dict);
  if (s != BR_OK) return s;
  size_t w = dtype_size(c->type);
  /* One loop per width keeps the copy a plain load/store. */
  for (int64_t k = 0; k < n; k++) {
    int64_t i = rows[k];
    if (i < 0 || !column_valid(c, i)) {
      column_set_null(r, k);
      continue;
    }
    switch (w) {
      case 8: ((int64_t *)r->data)[k] = ((const int64_t *)c->data)[i]; break;
      case 4: ((int32_t *)r->data)[k] = ((const int32_t *)c->data)[i]; break;
      default: ((uint8_t *)r->data)[k] = ((const uint8_t *)c->data)[i]; break;
    }
  }
  column_finish_nulls(r);
  *out = r;
  return BR_OK;
}

br_status br_column_tensor(br_tensor **out, const br_column *c) {
  if (c->type == BR_DTYPE_STR)
    return br_error_set(BR_ERR_ARG, "tensor: column is str, not numeric (use codes())");
  br_tensor *t;
  int64_t n = c->n;
  br_status s = br_tensor_empty(&t, 1, &n);
  if (s != BR_OK) return s;
  double *p = br_tensor_data(t);
  if (c->type == BR_DTYPE_F64 && !c->valid) {
    memcpy(p, c->data, (size_t)n * sizeof *p);
  } else {
    for (int64_t i = 0; i < n; i++) p[i] = br_column_number(c, i);
  }
  *out = t;
  return BR_OK;
}

/* ---- comparisons ---- */

static int cmp_holds(br_cmp_op op, int c) { /* c: <0, 0, >0 */
  switch (op) {
    case BR_CMP_EQ: return c == 0;
    case BR_CMP_NE: return c != 0;
    case BR_CMP_LT: return c < 0;
    case BR_CMP_LE: return c <= 0;
    case BR_CMP_GT: return c > 0;
    case BR_CMP_GE: return c >= 0;
    case BR_CMP_COUNT: break;
  }
  return 0;
}

br_status br_column_compare_number(double *mask, const br_column *c, br_cmp_op op,
                                   double number) {
  if ((unsigned)op >= BR_CMP_COUNT) return br_error_set(BR_ERR_ARG, "compare: bad op %d", (int)op);
  if (c->type == BR_DTYPE_STR)
    return br_error_set(BR_ERR_ARG, "compare: a str column compares with a string, not a number");
  for (int64_t i = 0; i < c->n; i++) {
    double v = br_column_number(c, i);
    mask[i] = !isnan(v) && cmp_holds(op, (v > number) - (v < number)) &&
              !(isnan(number) && op != BR_CMP_NE);
  }
  return BR_OK;
}

static int bytes_cmp(const char *a, size_t la, const char *b, size_t lb) {
  int r = memcmp(a, b, la < lb ? la : lb);
  return r ? r : (la > lb) - (la < lb);
}

br_status br_column_compare_str(double *mask, const br_column *c, br_cmp_op op,
                                const char *str, size_t len) {
  if ((unsigned)op >= BR_CMP_COUNT) return br_error_set(BR_ERR_ARG, "compare: bad op %d", (int)op);
  if (c->type != BR_DTYPE_STR)
    return br_error_set(BR_ERR_ARG, "compare: a %s column compares with a number, not a string",
                        br_dtype_name(c->type));
  /* Decide once per dictionary level, then map codes: O(levels + rows). */
  int32_t nl = c->dict->n;
  uint8_t *level_ok = br_alloc("column", (size_t)nl, 1);
  if (!level_ok) return br_error_set(BR_ERR_NOMEM, "compare: out of memory");
  for (int32_t k = 0; k < nl; k++) {
    size_t l;
    const char *s = strdict_get(c->dict, k, &l);
    level_ok[k] = (uint8_t)cmp_holds(op, bytes_cmp(s, l, str, len));
  }
  const int32_t *codes = c->data;
  for (int64_t i = 0; i < c->n; i++) mask[i] = column_valid(c, i) && level_ok[codes[i]];
  br_free(level_ok);
  return BR_OK;
}

void br_column_null_mask(double *mask, const br_column *c, int want_null) {
  for (int64_t i = 0; i < c->n; i++) mask[i] = (!column_valid(c, i)) == (want_null != 0);
}

/* ---- distinct values ---- */

/* Groups rows of c by value: first[g] is the first row of group g, gid[i]
 * the group of row i (-1 for nulls). Returns the number of groups. Shared by
 * unique and value_counts; the hash is on column_key, exact for one column. */
static int64_t group_values(const br_column *c, int64_t *gid, int64_t *first, int64_t *count) {
  uint64_t nslots = 16;
  while (nslots < (uint64_t)c->n * 2) nslots *= 2;
  int64_t *slots = br_alloc("column", nslots, sizeof *slots);
  if (!slots) return -1;
  memset(slots, 0xff, nslots * sizeof *slots);
  int64_t ng = 0;
  for (int64_t i = 0; i < c->n; i++) {
    if (!column_valid(c, i)) {
      gid[i] = -1;
      continue;
    }
    uint64_t k = column_key(c, i), h = k * 0x9e3779b97f4a7c15ULL;
    uint64_t at = (h ^ (h >> 29)) & (nslots - 1);
    for (;; at = (at + 1) & (nslots - 1)) {
      int64_t g = slots[at];
      if (g < 0) {
        slots[at] = ng;
        first[ng] = i;
        count[ng] = 0;
        g = ng++;
      } else if (column_key(c, first[g]) != k) {
        continue;
      }
      gid[i] = g;
      count[g]++;
      break;
    }
  }
  br_free(slots);
  return ng;
}

static br_status distinct(const br_column *c, int64_t **first, int64_t **count, int64_t *ng) {
  int64_t n = c->n > 0 ? c->n : 1;
  int64_t *gid = br_alloc("column", (size_t)n, sizeof *gid);
  *first = br_alloc("column", (size_t)n, sizeof **first);
  *count = br_alloc("column", (size_t)n, sizeof **count);
  if (!gid || !*first || !*count) goto oom;
  *ng = group_values(c, gid, *first, *count);
  br_free(gid);
  if (*ng < 0) {
    gid = NULL;
    goto oom;
  }
  return BR_OK;
oom:
  br_free(gid);
  br_free(*first);
  br_free(*count);
  return br_error_set(BR_ERR_NOMEM, "unique: out of memory");
}

br_status br_column_unique(br_column **out, const br_column *c) {
  int64_t *first, *count, ng;
  br_status s = distinct(c, &first, &count, &ng);
  if (s != BR_OK) return s;
  s = br_column_take(out, c, first, ng);
  br_free(first);
  br_free(count);
  return s;
}

struct vc_item {
  int64_t count, first;
};

static int vc_cmp(const void *a, const void *b) {
  const struct vc_item *x = a, *y = b;
  if (x->count != y->count) return x->count < y->count ? 1 : -1;
  return (x->first > y->first) - (x->first < y->first);
}

br_status br_column_value_counts(br_frame **out, const br_column *c, const char *name) {
  int64_t *first, *count, ng;
  br_status s = distinct(c, &first, &count, &ng);
  if (s != BR_OK) return s;
  struct vc_item *items = br_alloc("column", (size_t)ng, sizeof *items);
  int64_t *counts = br_alloc("column", (size_t)ng, sizeof *counts);
  br_column *vals = NULL, *cnt = NULL;
  if (!items || !counts) {
    s = br_error_set(BR_ERR_NOMEM, "value_counts: out of memory");
    goto done;
  }
  for (int64_t g = 0; g < ng; g++) items[g] = (struct vc_item){count[g], first[g]};
  qsort(items, (size_t)ng, sizeof *items, vc_cmp);
  for (int64_t g = 0; g < ng; g++) {
    first[g] = items[g].first;
    counts[g] = items[g].count;
  }
  if ((s = br_column_take(&vals, c, first, ng)) != BR_OK) goto done;
  if ((s = br_column_from_i64(&cnt, BR_DTYPE_I64, ng, counts, NULL)) != BR_OK) goto done;
  const char *names[2] = {name && *name ? name : "value", "count"};
  if (strcmp(names[0], "count") == 0) names[1] = "n";
  br_column *cols[2] = {vals, cnt};
  s = br_frame_new(out, 2, names, cols);
done:
  br_column_release(vals);
  br_column_release(cnt);
  br_free(items);
  br_free(counts);
  br_free(first);
  br_free(count);
  return s;
}

/* ---- values as text (labels, keys) ---- */

size_t column_text(const br_column *c, int64_t i, int with_time, char *buf, const char **out) {
  switch (c->type) {
    case BR_DTYPE_STR: {
      size_t len;
      *out = strdict_get(c->dict, ((const int32_t *)c->data)[i], &len);
      return len;
    }
    case BR_DTYPE_I64: *out = buf; return (size_t)snprintf(buf, 32, "%lld", (long long)((const int64_t *)c->data)[i]);
    case BR_DTYPE_F64: *out = buf; return (size_t)format_f64(buf, ((const double *)c->data)[i]);
    case BR_DTYPE_BOOL: *out = ((const uint8_t *)c->data)[i] ? "true" : "false"; return strlen(*out);
    case BR_DTYPE_DATETIME:
      *out = buf;
      return (size_t)format_datetime(buf, ((const int64_t *)c->data)[i], with_time);
    case BR_DTYPE_COUNT: break;
  }
  *out = "";
  return 0;
}

int column_has_times(const br_column *c) {
  if (c->type != BR_DTYPE_DATETIME) return 0;
  const int64_t *v = c->data;
  for (int64_t i = 0; i < c->n; i++)
    if (column_valid(c, i) && v[i] % 86400 != 0) return 1;
  return 0;
}
