/* The strided walker shared by elementwise ops, copies and fills. */
#include <string.h>

#include "tensor_internal.h"
#include "deadline_internal.h"

/* The walk. With cost > 0 (the work per value visited) it polls the
 * deadline, cutting runs into pieces of about DEADLINE_WORK units so that
 * one long run (a contiguous 2e8-value exp, or a reduction whose every
 * output reads a long line) polls too, and returns the number of values
 * visited when it passed; -1 when the walk finished. */
static int64_t walk(int64_t cost, int nops, int ndim, const int64_t *shape, double *const *base,
                    const int64_t *const *strides, tensor_kernel kernel, void *ctx) {
  int64_t sh[BR_TENSOR_MAX_DIMS];
  int64_t st[TENSOR_ITER_MAX_OPS][BR_TENSOR_MAX_DIMS];
  int nd = 0;

  for (int d = 0; d < ndim; d++)
    if (shape[d] == 0) return -1; /* nothing to visit */

  /* Drop extent-1 dims, then merge dim d into the previous one when every
   * operand steps over it exactly like one longer run. */
  for (int d = 0; d < ndim; d++) {
    if (shape[d] == 1) continue;
    int merge = nd > 0;
    for (int k = 0; merge && k < nops; k++)
      if (st[k][nd - 1] != strides[k][d] * shape[d]) merge = 0;
    if (merge) {
      sh[nd - 1] *= shape[d];
      for (int k = 0; k < nops; k++) st[k][nd - 1] = strides[k][d];
    } else {
      sh[nd] = shape[d];
      for (int k = 0; k < nops; k++) st[k][nd] = strides[k][d];
      nd++;
    }
  }
  if (nd == 0) { /* a single element */
    sh[0] = 1;
    for (int k = 0; k < nops; k++) st[k][0] = 0;
    nd = 1;
  }

  double *ptr[TENSOR_ITER_MAX_OPS];
  int64_t inner[TENSOR_ITER_MAX_OPS];
  for (int k = 0; k < nops; k++) {
    ptr[k] = base[k];
    inner[k] = st[k][nd - 1];
  }
  int64_t n = sh[nd - 1];
  int64_t counter[BR_TENSOR_MAX_DIMS];
  memset(counter, 0, sizeof counter);
  int64_t work = 0, done = 0;
  int64_t piece = cost > 0 ? DEADLINE_WORK / cost + 1 : n;

  for (;;) {
    if (piece >= n) {
      kernel(ctx, n, ptr, inner);
      done += n;
      if (cost > 0 && deadline_poll(&work, n * cost + 1)) return done;
    } else {
      for (int64_t at = 0; at < n; at += piece) {
        double *p[TENSOR_ITER_MAX_OPS];
        for (int k = 0; k < nops; k++) p[k] = ptr[k] + at * inner[k];
        int64_t len = n - at < piece ? n - at : piece;
        kernel(ctx, len, p, inner);
        done += len;
        if (deadline_poll(&work, len * cost + 1)) return done;
      }
    }
    /* Odometer over the outer dims, innermost outer dim fastest. */
    int d = nd - 2;
    for (; d >= 0; d--) {
      counter[d]++;
      for (int k = 0; k < nops; k++) ptr[k] += st[k][d];
      if (counter[d] < sh[d]) break;
      for (int k = 0; k < nops; k++) ptr[k] -= st[k][d] * sh[d];
      counter[d] = 0;
    }
    if (d < 0) return -1;
  }
}

void tensor_foreach(int nops, int ndim, const int64_t *shape, double *const *base,
                    const int64_t *const *strides, tensor_kernel kernel, void *ctx) {
  walk(0, nops, ndim, shape, base, strides, kernel, ctx);
}

br_status tensor_foreach_timed(const char *what, int64_t cost, int nops, int ndim, const int64_t *shape,
                               double *const *base, const int64_t *const *strides,
                               tensor_kernel kernel, void *ctx) {
  int64_t done = walk(cost > 0 ? cost : 1, nops, ndim, shape, base, strides, kernel, ctx);
  return done < 0 ? BR_OK : br_deadline_stop(what, done, "values computed");
}
