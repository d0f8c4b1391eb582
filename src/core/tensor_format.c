/* Human-readable rendering of a tensor, numpy style, truncated for big ones. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tensor_internal.h"
#include "bundle/memory.h"

/* A growable string; on allocation failure `failed` is set and appends stop. */
typedef struct strbuf {
  char *s;
  size_t len, cap;
  int failed;
} strbuf;

static void sb_append(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_append(strbuf *b, const char *fmt, ...) {
  if (b->failed) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    /* no buffer yet: measure only (NULL + 0 is undefined behaviour in C) */
    int n = vsnprintf(b->s ? b->s + b->len : NULL, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
      b->failed = 1;
      return;
    }
    if ((size_t)n < b->cap - b->len) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = (b->cap + (size_t)n + 1) * 2;
    char *s = br_realloc_out("format", b->s, cap, 1) /* the caller frees the text */;
    if (!s) {
      b->failed = 1;
      return;
    }
    b->s = s;
    b->cap = cap;
  }
}

typedef enum { STYLE_INT, STYLE_FIXED, STYLE_SCI } num_style;

typedef struct fmt_ctx {
  const br_tensor *t;
  int edge;
  num_style style;
  int width;
  strbuf *out;
} fmt_ctx;

static int shown(int64_t i, int64_t n, int edge) {
  return n <= 2 * edge + 1 || i < edge || i >= n - edge;
}

static int render(char *buf, size_t size, double v, num_style style) {
  if (isnan(v)) return snprintf(buf, size, "nan");
  if (isinf(v)) return snprintf(buf, size, v > 0 ? "inf" : "-inf");
  switch (style) {
    case STYLE_INT: return snprintf(buf, size, "%.0f", v);
    case STYLE_FIXED: return snprintf(buf, size, "%.4f", v);
    case STYLE_SCI: break;
  }
  return snprintf(buf, size, "%.4e", v);
}

/* Visits the elements that will be printed, to choose one style and width. */
static void scan(fmt_ctx *c, int dim, const double *p, int *all_int, double *maxabs,
                 double *minabs) {
  const br_tensor *t = c->t;
  if (dim == t->ndim) {
    double v = *p;
    if (!isfinite(v)) return;
    if (v != floor(v) || fabs(v) >= 1e15) *all_int = 0;
    double a = fabs(v);
    if (a > *maxabs) *maxabs = a;
    if (a > 0 && a < *minabs) *minabs = a;
    return;
  }
  for (int64_t i = 0; i < t->shape[dim]; i++)
    if (shown(i, t->shape[dim], c->edge))
      scan(c, dim + 1, p + i * t->strides[dim], all_int, maxabs, minabs);
}

static void measure(fmt_ctx *c, int dim, const double *p) {
  const br_tensor *t = c->t;
  if (dim == t->ndim) {
    char buf[64];
    int n = render(buf, sizeof buf, *p, c->style);
    if (n > c->width) c->width = n;
    return;
  }
  for (int64_t i = 0; i < t->shape[dim]; i++)
    if (shown(i, t->shape[dim], c->edge)) measure(c, dim + 1, p + i * t->strides[dim]);
}

static void emit(fmt_ctx *c, int dim, const double *p) {
  const br_tensor *t = c->t;
  char buf[64];
  if (dim == t->ndim) {
    render(buf, sizeof buf, *p, c->style);
    sb_append(c->out, "%*s", c->width, buf);
    return;
  }
  int64_t n = t->shape[dim];
  int last = dim == t->ndim - 1;
  sb_append(c->out, "[");
  for (int64_t i = 0; i < n; i++) {
    if (!shown(i, n, c->edge)) {
      if (i == c->edge) {
        if (last) sb_append(c->out, " ...");
        else sb_append(c->out, "\n%*s...", dim + 1, "");
      }
      continue;
    }
    if (i > 0) {
      /* Row separators: one newline per nesting level below, like numpy. */
      if (last) sb_append(c->out, " ");
      else {
        for (int k = dim; k < t->ndim - 1; k++) sb_append(c->out, "\n");
        sb_append(c->out, "%*s", dim + 1, "");
      }
    }
    emit(c, dim + 1, p + i * t->strides[dim]);
  }
  sb_append(c->out, "]");
}

br_status br_tensor_format(char **text, const br_tensor *t, int edge) {
  strbuf b = {NULL, 0, 0, 0};
  char shape[200];
  sb_append(&b, "bundle.Tensor %s\n", tensor_shape_str(shape, sizeof shape, t->ndim, t->shape));
  fmt_ctx c = {t, edge < 1 ? 1 : edge, STYLE_INT, 0, &b};
  if (br_tensor_numel(t) == 0) {
    sb_append(&b, "[]");
  } else {
    int all_int = 1;
    double maxabs = 0, minabs = INFINITY;
    scan(&c, 0, tensor_ptr(t), &all_int, &maxabs, &minabs);
    if (all_int) c.style = STYLE_INT;
    else if (maxabs < 1e6 && (minabs >= 1e-4 || minabs == INFINITY)) c.style = STYLE_FIXED;
    else c.style = STYLE_SCI;
    measure(&c, 0, tensor_ptr(t));
    emit(&c, 0, tensor_ptr(t));
  }
  if (b.failed) {
    br_free_out(b.s);
    return br_error_set(BR_ERR_NOMEM, "format: out of memory");
  }
  *text = b.s;
  return BR_OK;
}
