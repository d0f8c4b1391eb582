/* Reductions over a whole tensor or along one dimension. Both go through
 * reduce_line, so the two forms cannot disagree. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "tensor_internal.h"

static const char *const reduce_names[] = {"sum",    "mean",   "min", "max",
                                           "argmin", "argmax", "var", "std"};
static_assert(sizeof reduce_names / sizeof *reduce_names == BR_REDUCE_OP_COUNT,
              "one name per reduction");

const char *br_reduce_op_name(br_reduce_op op) {
  return (unsigned)op < BR_REDUCE_OP_COUNT ? reduce_names[op] : "?";
}

/* Pairwise summation, numpy's scheme (blocks of 128 summed with 8
 * accumulators, halves summed recursively): error grows with log n, not n,
 * at the speed of a plain loop. numpy applies it per 8192-element buffer and
 * adds the buffers in order; line_sum does the same, so sums agree with
 * numpy's and pandas' bit for bit (a data team will compare them). */
#define PAIRWISE_BLOCK 128
#define NUMPY_BUFSIZE 8192

static double pairwise_sum(int64_t n, const double *x, int64_t st) {
  if (n < 8) {
    double s = 0; /* -0.0 would be more exact, 0 matches numpy for empty input */
    for (int64_t i = 0; i < n; i++) s += x[i * st];
    return s;
  }
  if (n <= PAIRWISE_BLOCK) {
    double r[8];
    for (int k = 0; k < 8; k++) r[k] = x[k * st];
    int64_t i;
    for (i = 8; i < n - (n % 8); i += 8)
      for (int k = 0; k < 8; k++) r[k] += x[(i + k) * st];
    double s = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
    for (; i < n; i++) s += x[i * st];
    return s;
  }
  int64_t h = n / 2;
  h -= h % 8;
  return pairwise_sum(h, x, st) + pairwise_sum(n - h, x + h * st, st);
}

static double line_sum(int64_t n, const double *x, int64_t st) {
  double s = 0;
  for (int64_t i = 0; i < n; i += NUMPY_BUFSIZE)
    s += pairwise_sum(n - i < NUMPY_BUFSIZE ? n - i : NUMPY_BUFSIZE, x + i * st, st);
  return s;
}

/* Index of the first minimum (sign = -1) or maximum (sign = +1); a NaN wins,
 * as in numpy, so bad values are never hidden. */
static int64_t line_arg_extreme(int64_t n, const double *x, int64_t st, int sign) {
  int64_t best = 0;
  double bv = x[0];
  if (isnan(bv)) return 0;
  for (int64_t i = 1; i < n; i++) {
    double v = x[i * st];
    if (isnan(v)) return i;
    if (sign > 0 ? v > bv : v < bv) {
      bv = v;
      best = i;
    }
  }
  return best;
}

/* Checks that a line of n values can be reduced by op at all. */
static br_status check_line(br_reduce_op op, int64_t n, int ddof) {
  switch (op) {
    case BR_REDUCE_SUM: return BR_OK;
    case BR_REDUCE_VAR:
    case BR_REDUCE_STD:
      if (ddof < 0) return br_error_set(BR_ERR_ARG, "%s: ddof %d is negative", reduce_names[op], ddof);
      if (n - ddof <= 0)
        return br_error_set(BR_ERR_SHAPE, "%s: %lld values are too few with ddof %d",
                            reduce_names[op], (long long)n, ddof);
      return BR_OK;
    case BR_REDUCE_MEAN:
    case BR_REDUCE_MIN:
    case BR_REDUCE_MAX:
    case BR_REDUCE_ARGMIN:
    case BR_REDUCE_ARGMAX:
      if (n == 0) return br_error_set(BR_ERR_SHAPE, "%s: of no values", reduce_names[op]);
      return BR_OK;
    case BR_REDUCE_OP_COUNT: break;
  }
  return br_error_set(BR_ERR_ARG, "reduction %d is not an op", (int)op);
}

/* Reduces n values at stride st; check_line has accepted (op, n, ddof). */
static double reduce_line(br_reduce_op op, int64_t n, const double *x, int64_t st, int ddof) {
  switch (op) {
    case BR_REDUCE_SUM: return line_sum(n, x, st);
    case BR_REDUCE_MEAN: return line_sum(n, x, st) / (double)n;
    case BR_REDUCE_MIN: return x[line_arg_extreme(n, x, st, -1) * st];
    case BR_REDUCE_MAX: return x[line_arg_extreme(n, x, st, +1) * st];
    case BR_REDUCE_ARGMIN: return (double)line_arg_extreme(n, x, st, -1);
    case BR_REDUCE_ARGMAX: return (double)line_arg_extreme(n, x, st, +1);
    case BR_REDUCE_VAR:
    case BR_REDUCE_STD: {
      /* Two passes: exact mean first, then squared deviations (no
       * catastrophic cancellation as with sum(x^2) - n*mean^2). */
      double mean = line_sum(n, x, st) / (double)n, ss = 0;
      for (int64_t i = 0; i < n; i++) {
        double d = x[i * st] - mean;
        ss += d * d;
      }
      double var = ss / (double)(n - ddof);
      return op == BR_REDUCE_VAR ? var : sqrt(var);
    }
    case BR_REDUCE_OP_COUNT: break;
  }
  return NAN;
}

br_status br_tensor_reduce_all(double *value, br_reduce_op op, const br_tensor *a,
                               int ddof) {
  int64_t n = br_tensor_numel(a);
  br_status s = check_line(op, n, ddof);
  if (s != BR_OK) return s;
  br_tensor *c = NULL;
  if ((s = br_tensor_contiguous(&c, a)) != BR_OK) return s;
  *value = reduce_line(op, n, tensor_ptr(c), 1, ddof);
  br_tensor_free(c);
  return BR_OK;
}

struct dim_ctx {
  br_reduce_op op;
  int64_t len, stride;
  int ddof;
};

static void dim_kernel(void *ctx, int64_t n, double *const *p, const int64_t *st) {
  const struct dim_ctx *c = ctx;
  for (int64_t i = 0; i < n; i++)
    p[0][i * st[0]] = reduce_line(c->op, c->len, p[1] + i * st[1], c->stride, c->ddof);
}

br_status br_tensor_reduce_dim(br_tensor **out, br_reduce_op op, const br_tensor *a,
                               int dim, int keepdim, int ddof) {
  if (dim < 0 || dim >= a->ndim)
    return br_error_set(BR_ERR_INDEX, "%s: dimension %d out of range for a %d-d tensor",
                        br_reduce_op_name(op), dim + 1, a->ndim);
  br_status s = check_line(op, a->shape[dim], ddof);
  if (s != BR_OK) return s;

  /* Output iteration space: a's shape with dim removed. */
  int nd = 0;
  int64_t shape[BR_TENSOR_MAX_DIMS], astr[BR_TENSOR_MAX_DIMS];
  for (int d = 0; d < a->ndim; d++) {
    if (d == dim) continue;
    shape[nd] = a->shape[d];
    astr[nd] = a->strides[d];
    nd++;
  }
  br_tensor *r;
  if ((s = tensor_alloc(&r, nd, shape)) != BR_OK) return s;
  struct dim_ctx ctx = {op, a->shape[dim], a->strides[dim], ddof};
  double *base[2] = {tensor_ptr(r), tensor_ptr(a)};
  const int64_t *strides[2] = {r->strides, astr};
  if ((s = tensor_foreach_timed(br_reduce_op_name(op), a->shape[dim] + 1, 2, nd, shape, base, strides, dim_kernel, &ctx)) != BR_OK) {
    br_tensor_free(r);
    return s;
  }

  if (keepdim) { /* reinsert dim with extent 1; the data layout is unchanged */
    memmove(r->shape + dim + 1, r->shape + dim, (size_t)(nd - dim) * sizeof(int64_t));
    r->shape[dim] = 1;
    r->ndim = nd + 1;
    tensor_contiguous_strides(r->ndim, r->shape, r->strides);
  }
  *out = r;
  return BR_OK;
}
