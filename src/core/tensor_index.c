/* Gathering by an index list and selecting by a 0/1 mask. */
#include <stdlib.h>
#include <string.h>

#include "tensor_internal.h"
#include "deadline_internal.h"
#include "bundle/memory.h"

static void copy_run(void *ctx, int64_t n, double *const *p, const int64_t *st) {
  (void)ctx;
  for (int64_t i = 0; i < n; i++) p[0][i * st[0]] = p[1][i * st[1]];
}

br_status br_tensor_index_select(br_tensor **out, const br_tensor *a, int dim,
                                 const int64_t *idx, int64_t n) {
  if (dim < 0 || dim >= a->ndim)
    return br_error_set(BR_ERR_INDEX, "index: dimension %d out of range for a %d-d tensor",
                        dim + 1, a->ndim);
  if (n < 0) return br_error_set(BR_ERR_ARG, "index: count %lld is negative", (long long)n);
  for (int64_t k = 0; k < n; k++)
    if (idx[k] < 0 || idx[k] >= a->shape[dim])
      return br_error_set(BR_ERR_INDEX,
                          "index: entry %lld is %lld, out of range for dimension %d of size %lld",
                          (long long)k + 1, (long long)idx[k], dim + 1,
                          (long long)a->shape[dim]);
  int64_t shape[BR_TENSOR_MAX_DIMS];
  memcpy(shape, a->shape, (size_t)a->ndim * sizeof *shape);
  shape[dim] = n;
  br_tensor *r;
  br_status s = tensor_alloc(&r, a->ndim, shape);
  if (s != BR_OK) return s;

  /* Each picked slice is the (ndim-1)-d sub-array with dim removed. */
  int nd = 0;
  int64_t sub[BR_TENSOR_MAX_DIMS], ast[BR_TENSOR_MAX_DIMS], rst[BR_TENSOR_MAX_DIMS];
  for (int d = 0; d < a->ndim; d++) {
    if (d == dim) continue;
    sub[nd] = a->shape[d];
    ast[nd] = a->strides[d];
    rst[nd] = r->strides[d];
    nd++;
  }
  const int64_t *strides[2] = {rst, ast};
  /* a slice at a time, the deadline polled between them: 2M ids of
   * 100-value rows are 2e8 copies in one C call */
  int64_t per = 1, work = 0;
  for (int d = 0; d < nd; d++) per *= sub[d];
  for (int64_t k = 0; k < n; k++) {
    double *base[2] = {tensor_ptr(r) + k * r->strides[dim],
                       tensor_ptr(a) + idx[k] * a->strides[dim]};
    tensor_foreach(2, nd, sub, base, strides, copy_run, NULL);
    if (deadline_poll(&work, per + 1)) {
      br_tensor_free(r);
      return br_deadline_stop("index", k * per, "values copied");
    }
  }
  *out = r;
  return BR_OK;
}

struct mask_ctx {
  int64_t count;
  double *dst; /* NULL while counting */
};

static void mask_run(void *ctx, int64_t n, double *const *p, const int64_t *st) {
  struct mask_ctx *c = ctx;
  for (int64_t i = 0; i < n; i++) {
    if (p[1][i * st[1]] != 0) {
      if (c->dst) c->dst[c->count] = p[0][i * st[0]];
      c->count++;
    }
  }
}

br_status br_tensor_masked_select(br_tensor **out, const br_tensor *a,
                                  const br_tensor *mask) {
  int same = mask->ndim == a->ndim &&
             memcmp(mask->shape, a->shape, (size_t)a->ndim * sizeof(int64_t)) == 0;
  if (same) {
    double *base[2] = {tensor_ptr(a), tensor_ptr(mask)};
    const int64_t *strides[2] = {a->strides, mask->strides};
    struct mask_ctx ctx = {0, NULL};
    br_status s = tensor_foreach_timed("mask", 1, 2, a->ndim, a->shape, base, strides, mask_run, &ctx);
    if (s != BR_OK) return s;
    int64_t n = ctx.count;
    br_tensor *r;
    if ((s = tensor_alloc(&r, 1, &n)) != BR_OK) return s;
    ctx.count = 0;
    ctx.dst = tensor_ptr(r);
    if ((s = tensor_foreach_timed("mask", 1, 2, a->ndim, a->shape, base, strides, mask_run, &ctx)) != BR_OK) {
      br_tensor_free(r);
      return s;
    }
    *out = r;
    return BR_OK;
  }
  if (mask->ndim == 1 && a->ndim >= 1 && mask->shape[0] == a->shape[0]) {
    int64_t n = 0, m = mask->shape[0];
    const double *mp = tensor_ptr(mask);
    int64_t *idx = br_alloc("tensor", (size_t)m, sizeof *idx);
    if (!idx) return br_error_set(BR_ERR_NOMEM, "mask: out of memory");
    for (int64_t i = 0; i < m; i++)
      if (mp[i * mask->strides[0]] != 0) idx[n++] = i;
    br_status s = br_tensor_index_select(out, a, 0, idx, n);
    br_free(idx);
    return s;
  }
  char sa[160], sm[160];
  return br_error_set(BR_ERR_SHAPE,
                      "mask: shape %s fits neither the tensor's shape %s nor its first dimension",
                      tensor_shape_str(sm, sizeof sm, mask->ndim, mask->shape),
                      tensor_shape_str(sa, sizeof sa, a->ndim, a->shape));
}
