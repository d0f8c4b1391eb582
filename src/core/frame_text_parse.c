/* Text columns parsed into values: the walk Column:to_datetime and
 * Column:to_number share (each distinct text parsed once, nulls kept, the
 * first row holding a bad text named), and to_number itself, for prices
 * written "3,49" that were read as text. */
#include <string.h>

#include "frame_internal.h"
#include "bundle/memory.h"

br_status column_parse_levels(br_column **out, const br_column *c, br_dtype type, level_parser parse,
                              const void *ctx, int64_t *bad_row) {
  int32_t nl = c->dict->n;
  uint64_t *at = br_alloc("parse", (size_t)nl, sizeof *at);
  uint8_t *ok = br_alloc("parse", (size_t)nl, 1);
  br_column *r = NULL;
  if (!at || !ok || column_alloc(&r, type, c->n, c->nulls > 0, NULL) != BR_OK) {
    br_free(at);
    br_free(ok);
    return BR_ERR_NOMEM;
  }
  for (int32_t k = 0; k < nl; k++) {
    size_t len;
    const char *s = strdict_get(c->dict, k, &len);
    ok[k] = (uint8_t)parse(s, len, ctx, &at[k]);
  }
  const int32_t *codes = c->data;
  uint64_t *v = r->data; /* 8-byte values: int64 or double bits */
  br_status st = BR_OK;
  for (int64_t i = 0; i < c->n; i++) {
    if (!column_valid(c, i)) {
      column_set_null(r, i);
    } else if (ok[codes[i]]) {
      v[i] = at[codes[i]];
    } else {
      *bad_row = i;
      st = BR_ERR_PARSE;
      break;
    }
  }
  br_free(at);
  br_free(ok);
  if (st != BR_OK) {
    br_column_release(r);
    return st;
  }
  column_finish_nulls(r);
  *out = r;
  return BR_OK;
}

static int parse_number(const char *s, size_t len, const void *ctx, uint64_t *bits) {
  double x;
  if (!parse_f64_decimal(s, len, *(const char *)ctx, &x)) return 0;
  memcpy(bits, &x, sizeof x);
  return 1;
}

br_status br_column_to_number(br_column **out, const br_column *c, char decimal) {
  if (decimal != 0 && decimal != '.' && decimal != ',')
    return br_error_set(BR_ERR_ARG, "to_number: decimal must be '.' or ','");
  if (c->type == BR_DTYPE_F64) {
    *out = br_column_retain((br_column *)c);
    return BR_OK;
  }
  if (c->type == BR_DTYPE_I64) {
    br_column *r = NULL;
    if (column_alloc(&r, BR_DTYPE_F64, c->n, c->nulls > 0, NULL) != BR_OK)
      return br_error_set(BR_ERR_NOMEM, "to_number: out of memory");
    const int64_t *x = c->data;
    double *v = r->data;
    for (int64_t i = 0; i < c->n; i++) {
      if (column_valid(c, i)) v[i] = (double)x[i];
      else column_set_null(r, i);
    }
    column_finish_nulls(r);
    *out = r;
    return BR_OK;
  }
  if (c->type != BR_DTYPE_STR)
    return br_error_set(BR_ERR_ARG, "to_number: the column is %s; it needs text (str) or numbers",
                        br_dtype_name(c->type));
  int64_t bad = 0;
  br_status st = column_parse_levels(out, c, BR_DTYPE_F64, parse_number, &decimal, &bad);
  if (st == BR_ERR_NOMEM) return br_error_set(BR_ERR_NOMEM, "to_number: out of memory");
  if (st != BR_OK) {
    size_t len;
    const char *s = strdict_get(c->dict, ((const int32_t *)c->data)[bad], &len);
    return br_error_set(BR_ERR_PARSE, "to_number: row %lld: '%.*s%s' is not a number%s", (long long)bad + 1,
                        (int)(len > 40 ? 40 : len), s, len > 40 ? "..." : "",
                        decimal == ',' ? " with a decimal comma (such as 3,49 or 1.234,56)" : "");
  }
  return BR_OK;
}
