/* Tensor lifecycle, construction, element access and views. Elementwise ops,
 * reductions, indexing, BLAS products and formatting live in tensor_*.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/memory.h"
#include "tensor_storage_cache.h"
#include "tensor_internal.h"
#include "deadline_internal.h"

/* 2^46 elements (512 TiB): far past any real machine, but small enough that
 * byte counts and offsets can never overflow 64-bit arithmetic. */
#define MAX_ELEMENTS ((int64_t)1 << 46)
#define ALIGNMENT 64

/* ---- storage ---- */

/* NULL with the error set: out of memory, or over the memory budget. */
static br_storage *storage_new(size_t len) {
  /* aligned_alloc wants a size that is a multiple of the alignment; one block
   * at least, so empty tensors still own a valid pointer. */
  if (len > (SIZE_MAX - ALIGNMENT) / sizeof(double)) {
    br_error_set(BR_ERR_NOMEM, "tensor: %zu elements do not fit in memory", len);
    return NULL;
  }
  size_t bytes = len * sizeof(double);
  bytes = (bytes + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  if (bytes == 0) bytes = ALIGNMENT;
  if (br_mem_reserve("tensor", (int64_t)bytes) != BR_OK) return NULL;
  br_storage *s = br_alloc("tensor", 1, sizeof *s);
  if (s) s->data = storage_cache_take(bytes);
  /* the data block is charged above, by the byte (it is aligned for BLAS,
   * which br_alloc's header would break, and reused through the cache) */
  if (s && !s->data) s->data = aligned_alloc(ALIGNMENT, bytes);
  if (!s || !s->data) {
    br_free(s);
    br_mem_release((int64_t)bytes);
    br_error_set(BR_ERR_NOMEM, "tensor: out of memory for %zu elements (%.1f MiB)", len, (double)bytes / 1048576.0);
    return NULL;
  }
  s->len = len;
  s->bytes = bytes;
  s->refs = 1;
  return s;
}

static void storage_release(br_storage *s) {
  if (s && --s->refs == 0) {
    br_mem_release((int64_t)s->bytes);
    if (!storage_cache_put(s->data, s->bytes)) free(s->data);
    br_free(s);
  }
}

/* ---- helpers shared with tensor_*.c ---- */

const char *tensor_shape_str(char *buf, size_t size, int ndim, const int64_t *shape) {
  size_t used = 0;
  used += (size_t)snprintf(buf + used, size - used, "{");
  for (int d = 0; d < ndim && used < size; d++)
    used += (size_t)snprintf(buf + used, size - used, d ? ",%lld" : "%lld",
                             (long long)shape[d]);
  if (used < size) snprintf(buf + used, size - used, "}");
  return buf;
}

int64_t tensor_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides) {
  int64_t n = 1;
  for (int d = ndim - 1; d >= 0; d--) {
    strides[d] = n;
    /* a shape with a zero size may have huge other sizes (zeros(0, 2^62,
     * 2^62), found by fuzz_lua): saturate, as such a tensor holds nothing
     * and its strides are never used to reach an element */
    if (__builtin_mul_overflow(n, shape[d], &n)) n = INT64_MAX;
  }
  return n;
}

static br_status check_shape(const char *fn, int ndim, const int64_t *shape,
                             int64_t *numel) {
  if (ndim < 0 || ndim > BR_TENSOR_MAX_DIMS)
    return br_error_set(BR_ERR_ARG, "%s: %d dimensions (at most %d)", fn, ndim,
                        BR_TENSOR_MAX_DIMS);
  int64_t n = 1;
  for (int d = 0; d < ndim; d++) {
    if (shape[d] < 0)
      return br_error_set(BR_ERR_ARG, "%s: size %lld of dimension %d is negative", fn,
                          (long long)shape[d], d + 1);
    /* each size on its own too: an empty tensor's other sizes still reach
     * BLAS and stride arithmetic (found by fuzz_lua) */
    if (shape[d] > MAX_ELEMENTS || (shape[d] > 0 && n > MAX_ELEMENTS / shape[d]))
      return br_error_set(BR_ERR_NOMEM, "%s: shape is too large (over 2^46 elements)",
                          fn);
    n *= shape[d];
  }
  if (numel) *numel = n;
  return BR_OK;
}

br_status tensor_alloc(br_tensor **out, int ndim, const int64_t *shape) {
  int64_t numel = 0;
  br_status s = check_shape("tensor", ndim, shape, &numel);
  if (s != BR_OK) return s;
  br_tensor *t = br_alloc("tensor", 1, sizeof *t);
  if (!t) return br_error_set(BR_ERR_NOMEM, "tensor: out of memory for the header");
  t->storage = storage_new((size_t)numel);
  if (!t->storage) {
    br_free(t);
    return BR_ERR_NOMEM; /* storage_new said why */
  }
  t->ndim = ndim;
  t->offset = 0;
  if (ndim > 0) memcpy(t->shape, shape, (size_t)ndim * sizeof *shape); /* shape may be NULL for 0-d */
  tensor_contiguous_strides(ndim, shape, t->strides);
  *out = t;
  return BR_OK;
}

br_status tensor_share(br_tensor **out, const br_tensor *t) {
  br_tensor *v = br_alloc("tensor", 1, sizeof *v);
  if (!v) return br_error_set(BR_ERR_NOMEM, "tensor: out of memory for a view");
  *v = *t;
  v->storage->refs++;
  *out = v;
  return BR_OK;
}

void tensor_broadcast_strides(const br_tensor *t, int ndim, const int64_t *shape,
                              int64_t *strides) {
  int lead = ndim - t->ndim;
  for (int d = 0; d < ndim; d++) {
    int td = d - lead;
    if (td < 0 || (t->shape[td] == 1 && shape[d] != 1))
      strides[d] = 0;
    else
      strides[d] = t->strides[td];
  }
}

/* ---- construction ---- */

br_status br_tensor_empty(br_tensor **out, int ndim, const int64_t *shape) {
  return tensor_alloc(out, ndim, shape);
}

/* Filling a new tensor is where its pages are first touched: on this
 * project's machine a 6000 x 6000 one takes 1.7 s, mostly page faults, so
 * large fills go in slices of FILL_SLICE values with a deadline check
 * between them (bundle/deadline.h). */
#define FILL_SLICE ((size_t)1 << 18)

static br_status fill_stopped(br_tensor *t, size_t done) {
  br_tensor_free(t);
  return br_deadline_stop("tensor", (int64_t)done, "values filled");
}

br_status br_tensor_full(br_tensor **out, int ndim, const int64_t *shape, double value) {
  br_tensor *t;
  br_status s = tensor_alloc(&t, ndim, shape);
  if (s != BR_OK) return s;
  double *p = t->storage->data;
  for (size_t at = 0, len = t->storage->len; at < len; at += FILL_SLICE) {
    if (at > 0 && br_deadline_passed()) return fill_stopped(t, at);
    size_t end = len - at < FILL_SLICE ? len : at + FILL_SLICE;
    for (size_t i = at; i < end; i++) p[i] = value;
  }
  *out = t;
  return BR_OK;
}

br_status br_tensor_zeros(br_tensor **out, int ndim, const int64_t *shape) {
  return br_tensor_full(out, ndim, shape, 0.0);
}

br_status br_tensor_eye(br_tensor **out, int64_t n, int64_t m) {
  int64_t shape[2] = {n, m};
  br_tensor *t;
  br_status s = br_tensor_zeros(&t, 2, shape);
  if (s != BR_OK) return s;
  for (int64_t i = 0; i < n && i < m; i++) t->storage->data[i * m + i] = 1.0;
  *out = t;
  return BR_OK;
}

br_status br_tensor_arange(br_tensor **out, double start, double stop, double step) {
  if (step == 0 || !isfinite(step) || !isfinite(start) || !isfinite(stop))
    return br_error_set(BR_ERR_ARG, "arange: start, stop and step must be finite, step non-zero");
  double span = ceil((stop - start) / step);
  if (span > (double)MAX_ELEMENTS)
    return br_error_set(BR_ERR_NOMEM, "arange: %.0f elements is too many", span);
  int64_t n = span > 0 ? (int64_t)span : 0;
  br_tensor *t;
  br_status s = tensor_alloc(&t, 1, &n);
  if (s != BR_OK) return s;
  for (int64_t i = 0; i < n; i++) t->storage->data[i] = start + (double)i * step;
  *out = t;
  return BR_OK;
}

br_status br_tensor_linspace(br_tensor **out, double a, double b, int64_t n) {
  if (n < 0) return br_error_set(BR_ERR_ARG, "linspace: count %lld is negative", (long long)n);
  br_tensor *t;
  br_status s = tensor_alloc(&t, 1, &n);
  if (s != BR_OK) return s;
  double *p = t->storage->data;
  if (n == 1) p[0] = a;
  for (int64_t i = 0; n > 1 && i < n; i++)
    p[i] = (i == n - 1) ? b : a + (b - a) * (double)i / (double)(n - 1);
  *out = t;
  return BR_OK;
}

static br_status random_fill(br_tensor **out, int ndim, const int64_t *shape, br_rng *rng,
                             int normal) {
  br_tensor *t;
  br_status s = tensor_alloc(&t, ndim, shape);
  if (s != BR_OK) return s;
  double *p = t->storage->data;
  for (size_t i = 0; i < t->storage->len; i++) {
    if (i % FILL_SLICE == 0 && i > 0 && br_deadline_passed()) return fill_stopped(t, i);
    p[i] = normal ? br_rng_normal(rng) : br_rng_uniform(rng);
  }
  *out = t;
  return BR_OK;
}

br_status br_tensor_rand(br_tensor **out, int ndim, const int64_t *shape, br_rng *rng) {
  return random_fill(out, ndim, shape, rng, 0);
}

br_status br_tensor_randn(br_tensor **out, int ndim, const int64_t *shape, br_rng *rng) {
  return random_fill(out, ndim, shape, rng, 1);
}

br_status br_tensor_from_data(br_tensor **out, int ndim, const int64_t *shape,
                              const double *data) {
  br_tensor *t;
  br_status s = tensor_alloc(&t, ndim, shape);
  if (s != BR_OK) return s;
  if (t->storage->len) memcpy(t->storage->data, data, t->storage->len * sizeof(double));
  *out = t;
  return BR_OK;
}

void br_tensor_free(br_tensor *t) {
  if (!t) return;
  storage_release(t->storage);
  br_free(t);
}

/* ---- shape and raw access ---- */

int br_tensor_ndim(const br_tensor *t) { return t->ndim; }
const int64_t *br_tensor_shape(const br_tensor *t) { return t->shape; }
const int64_t *br_tensor_strides(const br_tensor *t) { return t->strides; }
double *br_tensor_data(const br_tensor *t) { return tensor_ptr(t); }
size_t br_tensor_storage_bytes(const br_tensor *t) {
  return t->storage->len * sizeof(double);
}

int64_t br_tensor_size(const br_tensor *t, int dim) {
  return (dim >= 0 && dim < t->ndim) ? t->shape[dim] : -1;
}

int64_t br_tensor_numel(const br_tensor *t) {
  int64_t n = 1;
  for (int d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

int br_tensor_is_contiguous(const br_tensor *t) {
  int64_t expect = 1;
  for (int d = t->ndim - 1; d >= 0; d--) {
    if (t->shape[d] == 0) return 1; /* an empty tensor has no layout to violate */
    if (t->shape[d] != 1 && t->strides[d] != expect) return 0;
    expect *= t->shape[d];
  }
  return 1;
}

static br_status element_offset(const char *fn, const br_tensor *t, const int64_t *idx,
                                int64_t *off) {
  int64_t o = t->offset;
  for (int d = 0; d < t->ndim; d++) {
    if (idx[d] < 0 || idx[d] >= t->shape[d])
      return br_error_set(BR_ERR_INDEX,
                          "%s: index %lld out of range for dimension %d of size %lld", fn,
                          (long long)idx[d], d + 1, (long long)t->shape[d]);
    o += idx[d] * t->strides[d];
  }
  *off = o;
  return BR_OK;
}

br_status br_tensor_get(const br_tensor *t, const int64_t *idx, double *value) {
  int64_t off = 0;
  br_status s = element_offset("get", t, idx, &off);
  if (s == BR_OK) *value = t->storage->data[off];
  return s;
}

br_status br_tensor_set(br_tensor *t, const int64_t *idx, double value) {
  int64_t off = 0;
  br_status s = element_offset("set", t, idx, &off);
  if (s == BR_OK) t->storage->data[off] = value;
  return s;
}

double br_tensor_get2(const br_tensor *t, int64_t i, int64_t j) {
  return tensor_ptr(t)[i * t->strides[0] + j * t->strides[1]];
}

/* ---- views ---- */

static br_status check_dim(const char *fn, const br_tensor *t, int dim) {
  if (dim < 0 || dim >= t->ndim)
    return br_error_set(BR_ERR_INDEX, "%s: dimension %d out of range for a %d-d tensor", fn,
                        dim + 1, t->ndim);
  return BR_OK;
}

br_status br_tensor_view(br_tensor **out, const br_tensor *t) { return tensor_share(out, t); }

br_status br_tensor_narrow(br_tensor **out, const br_tensor *t, int dim, int64_t start,
                           int64_t length) {
  br_status s = check_dim("narrow", t, dim);
  if (s != BR_OK) return s;
  if (start < 0 || length < 0 || start > t->shape[dim] || length > t->shape[dim] - start)
    return br_error_set(BR_ERR_INDEX,
                        "narrow: start %lld, length %lld out of range for dimension %d of size %lld",
                        (long long)start, (long long)length, dim + 1,
                        (long long)t->shape[dim]);
  br_tensor *v;
  if ((s = tensor_share(&v, t)) != BR_OK) return s;
  v->offset += start * t->strides[dim];
  v->shape[dim] = length;
  *out = v;
  return BR_OK;
}

br_status br_tensor_select(br_tensor **out, const br_tensor *t, int dim, int64_t index) {
  br_status s = check_dim("select", t, dim);
  if (s != BR_OK) return s;
  if (index < 0 || index >= t->shape[dim])
    return br_error_set(BR_ERR_INDEX,
                        "select: index %lld out of range for dimension %d of size %lld",
                        (long long)index, dim + 1, (long long)t->shape[dim]);
  br_tensor *v;
  if ((s = tensor_share(&v, t)) != BR_OK) return s;
  v->offset += index * t->strides[dim];
  for (int d = dim; d < t->ndim - 1; d++) {
    v->shape[d] = t->shape[d + 1];
    v->strides[d] = t->strides[d + 1];
  }
  v->ndim = t->ndim - 1;
  *out = v;
  return BR_OK;
}

br_status br_tensor_slice(br_tensor **out, const br_tensor *t, int dim, int64_t start,
                          int64_t stop, int64_t step) {
  br_status s = check_dim("slice", t, dim);
  if (s != BR_OK) return s;
  if (step < 1) return br_error_set(BR_ERR_ARG, "slice: step %lld must be at least 1", (long long)step);
  if (start < 0 || stop > t->shape[dim] || start > stop)
    return br_error_set(BR_ERR_INDEX,
                        "slice: range %lld..%lld out of bounds for dimension %d of size %lld",
                        (long long)start, (long long)stop, dim + 1, (long long)t->shape[dim]);
  br_tensor *v;
  if ((s = tensor_share(&v, t)) != BR_OK) return s;
  v->offset += start * t->strides[dim];
  v->shape[dim] = (stop - start + step - 1) / step;
  v->strides[dim] = t->strides[dim] * step;
  *out = v;
  return BR_OK;
}

br_status br_tensor_transpose(br_tensor **out, const br_tensor *t, int d0, int d1) {
  br_status s;
  if ((s = check_dim("transpose", t, d0)) != BR_OK) return s;
  if ((s = check_dim("transpose", t, d1)) != BR_OK) return s;
  br_tensor *v;
  if ((s = tensor_share(&v, t)) != BR_OK) return s;
  v->shape[d0] = t->shape[d1];
  v->shape[d1] = t->shape[d0];
  v->strides[d0] = t->strides[d1];
  v->strides[d1] = t->strides[d0];
  *out = v;
  return BR_OK;
}

br_status br_tensor_reshape(br_tensor **out, const br_tensor *t, int ndim,
                            const int64_t *shape) {
  if (ndim < 0 || ndim > BR_TENSOR_MAX_DIMS)
    return br_error_set(BR_ERR_ARG, "reshape: %d dimensions (at most %d)", ndim,
                        BR_TENSOR_MAX_DIMS);
  int64_t sh[BR_TENSOR_MAX_DIMS];
  int infer = -1;
  int64_t known = 1, numel = br_tensor_numel(t);
  for (int d = 0; d < ndim; d++) {
    sh[d] = shape[d];
    if (shape[d] == -1) {
      if (infer >= 0) return br_error_set(BR_ERR_ARG, "reshape: more than one size is -1");
      infer = d;
    } else if (shape[d] < 0) {
      return br_error_set(BR_ERR_ARG, "reshape: size %lld of dimension %d is negative",
                          (long long)shape[d], d + 1);
    } else if (__builtin_mul_overflow(known, shape[d], &known)) {
      goto mismatch; /* more elements than any tensor holds (found by fuzz_lua) */
    }
  }
  if (infer >= 0) {
    if (known == 0 || numel % known != 0) goto mismatch;
    sh[infer] = numel / known;
  } else if (known != numel) {
    goto mismatch;
  }
  br_tensor *src = NULL, *v;
  br_status s = br_tensor_contiguous(&src, t);
  if (s != BR_OK) return s;
  if ((s = tensor_share(&v, src)) != BR_OK) {
    br_tensor_free(src);
    return s;
  }
  br_tensor_free(src);
  v->ndim = ndim;
  if (ndim > 0) memcpy(v->shape, sh, (size_t)ndim * sizeof *sh);
  tensor_contiguous_strides(ndim, sh, v->strides);
  *out = v;
  return BR_OK;
mismatch:;
  char a[160], b[160];
  return br_error_set(BR_ERR_SHAPE, "reshape: cannot view %s (%lld elements) as %s",
                      tensor_shape_str(a, sizeof a, t->ndim, t->shape), (long long)numel,
                      tensor_shape_str(b, sizeof b, ndim, shape));
}

static void copy_kernel(void *ctx, int64_t n, double *const *p, const int64_t *st) {
  (void)ctx;
  double *d = p[0];
  const double *s = p[1];
  if (st[0] == 1 && st[1] == 1) {
    memcpy(d, s, (size_t)n * sizeof *d);
  } else {
    for (int64_t i = 0; i < n; i++) d[i * st[0]] = s[i * st[1]];
  }
}

br_status br_tensor_clone(br_tensor **out, const br_tensor *t) {
  br_tensor *c;
  br_status s = tensor_alloc(&c, t->ndim, t->shape);
  if (s != BR_OK) return s;
  double *base[2] = {tensor_ptr(c), tensor_ptr(t)};
  const int64_t *strides[2] = {c->strides, t->strides};
  if ((s = tensor_foreach_timed("clone", 1, 2, t->ndim, t->shape, base, strides, copy_kernel, NULL)) != BR_OK) {
    br_tensor_free(c);
    return s;
  }
  *out = c;
  return BR_OK;
}

br_status br_tensor_contiguous(br_tensor **out, const br_tensor *t) {
  return br_tensor_is_contiguous(t) ? tensor_share(out, t) : br_tensor_clone(out, t);
}

br_status br_tensor_copy(br_tensor *dst, const br_tensor *src) {
  int ndim;
  int64_t shape[BR_TENSOR_MAX_DIMS];
  br_status s = br_tensor_broadcast_shape(dst, src, &ndim, shape);
  char a[160], b[160];
  if (s != BR_OK || ndim != dst->ndim || memcmp(shape, dst->shape, (size_t)ndim * 8) != 0)
    return br_error_set(BR_ERR_SHAPE, "copy: source %s does not broadcast to %s",
                        tensor_shape_str(a, sizeof a, src->ndim, src->shape),
                        tensor_shape_str(b, sizeof b, dst->ndim, dst->shape));
  /* When both share storage the source may be overwritten while it is read:
   * read from a private copy instead. */
  br_tensor *tmp = NULL;
  if (src->storage == dst->storage) {
    if ((s = br_tensor_clone(&tmp, src)) != BR_OK) return s;
    src = tmp;
  }
  int64_t sst[BR_TENSOR_MAX_DIMS];
  tensor_broadcast_strides(src, dst->ndim, dst->shape, sst);
  double *base[2] = {tensor_ptr(dst), tensor_ptr(src)};
  const int64_t *strides[2] = {dst->strides, sst};
  s = tensor_foreach_timed("copy", 1, 2, dst->ndim, dst->shape, base, strides, copy_kernel, NULL);
  br_tensor_free(tmp);
  return s;
}

static void fill_kernel(void *ctx, int64_t n, double *const *p, const int64_t *st) {
  double v = *(const double *)ctx, *d = p[0];
  for (int64_t i = 0; i < n; i++) d[i * st[0]] = v;
}

void br_tensor_fill(br_tensor *t, double value) {
  double *base[1] = {tensor_ptr(t)};
  const int64_t *strides[1] = {t->strides};
  tensor_foreach(1, t->ndim, t->shape, base, strides, fill_kernel, &value);
}
