/* Keys made of text: several columns combined into one (a composite basket
 * key such as member + day), and a prefix test on a column's text. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_internal.h"
#include "bundle/memory.h"

br_status br_frame_combine(br_column **out, const br_frame *f, const char *const *names, int n,
                           const char *sep) {
  if (n < 1) return br_error_set(BR_ERR_ARG, "combine: no columns to combine");
  if (!sep) sep = "|";
  size_t seplen = strlen(sep);
  const br_column **cols = br_calloc("frame", (size_t)n, sizeof *cols);
  int *with_time = br_calloc("frame", (size_t)n, sizeof *with_time);
  if (!cols || !with_time) {
    br_free(cols);
    br_free(with_time);
    return br_error_set(BR_ERR_NOMEM, "combine: out of memory");
  }
  br_status s = BR_OK;
  for (int k = 0; k < n && s == BR_OK; k++) {
    int i;
    if ((s = frame_require(f, "combine", names[k], &i)) == BR_OK) {
      cols[k] = f->cols[i];
      with_time[k] = column_has_times(cols[k]);
    }
  }
  br_column *r = NULL;
  if (s == BR_OK) s = column_alloc(&r, BR_DTYPE_STR, f->nrows, 1, NULL);
  char *text = NULL;
  size_t cap = 0;
  for (int64_t i = 0; s == BR_OK && i < f->nrows; i++) {
    size_t len = 0;
    int null = 0;
    for (int k = 0; k < n && !null; k++) {
      if (!column_valid(cols[k], i)) {
        null = 1;
        break;
      }
      char buf[40];
      const char *v;
      size_t vl = column_text(cols[k], i, with_time[k], buf, &v);
      if (len + vl + seplen + 1 > cap) {
        size_t nc = (len + vl + seplen + 1) * 2;
        char *nt = br_realloc("frame", text, nc < 256 ? 256 : nc, 1);
        if (!nt) {
          s = br_error_set(BR_ERR_NOMEM, "combine: out of memory");
          break;
        }
        text = nt;
        cap = nc < 256 ? 256 : nc;
      }
      if (k) {
        memcpy(text + len, sep, seplen);
        len += seplen;
      }
      memcpy(text + len, v, vl);
      len += vl;
    }
    if (s != BR_OK) break;
    if (null) {
      column_set_null(r, i);
      continue;
    }
    int32_t code = strdict_intern(r->dict, text ? text : "", len);
    if (code < 0) s = br_error_set(BR_ERR_NOMEM, "combine: out of memory");
    else ((int32_t *)r->data)[i] = code;
  }
  br_free(text);
  br_free(cols);
  br_free(with_time);
  if (s != BR_OK) {
    br_column_release(r);
    return s;
  }
  column_finish_nulls(r);
  *out = r;
  return BR_OK;
}

static int starts_with(const char *s, size_t len, const char *prefix, size_t plen) {
  return len >= plen && memcmp(s, prefix, plen) == 0;
}

br_status br_column_prefix_mask(double *mask, const br_column *c, const char *prefix, size_t len) {
  if (c->type == BR_DTYPE_STR) { /* once per level, then map codes */
    int32_t nl = c->dict->n;
    uint8_t *hit = br_alloc("frame", (size_t)nl, 1);
    if (!hit) return br_error_set(BR_ERR_NOMEM, "startswith: out of memory");
    for (int32_t k = 0; k < nl; k++) {
      size_t l;
      const char *s = strdict_get(c->dict, k, &l);
      hit[k] = (uint8_t)starts_with(s, l, prefix, len);
    }
    const int32_t *codes = c->data;
    for (int64_t i = 0; i < c->n; i++) mask[i] = column_valid(c, i) && hit[codes[i]];
    br_free(hit);
    return BR_OK;
  }
  int with_time = column_has_times(c);
  for (int64_t i = 0; i < c->n; i++) {
    char buf[40];
    const char *v;
    mask[i] = 0;
    if (!column_valid(c, i)) continue;
    size_t vl = column_text(c, i, with_time, buf, &v);
    mask[i] = starts_with(v, vl, prefix, len);
  }
  return BR_OK;
}
