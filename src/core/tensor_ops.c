/* Elementwise ops with numpy broadcasting: binary, unary, clamp. */
#include <assert.h>
#include <math.h>
#include <string.h>

#include "tensor_internal.h"

static const char *const binary_names[] = {"add", "sub", "mul", "div", "pow",
                                           "eq",  "ne",  "lt",  "le",  "gt",
                                           "ge",  "maximum", "minimum", "and", "or"};
static_assert(sizeof binary_names / sizeof *binary_names == BR_BINARY_OP_COUNT,
              "one name per binary op");

static const char *const unary_names[] = {"neg",  "exp",     "log",  "sqrt",
                                          "abs",  "tanh",    "sigmoid", "relu", "not"};
static_assert(sizeof unary_names / sizeof *unary_names == BR_UNARY_OP_COUNT,
              "one name per unary op");

const char *br_binary_op_name(br_binary_op op) {
  return (unsigned)op < BR_BINARY_OP_COUNT ? binary_names[op] : "?";
}

const char *br_unary_op_name(br_unary_op op) {
  return (unsigned)op < BR_UNARY_OP_COUNT ? unary_names[op] : "?";
}

br_status br_tensor_broadcast_shape(const br_tensor *a, const br_tensor *b, int *ndim,
                                    int64_t *shape) {
  int n = a->ndim > b->ndim ? a->ndim : b->ndim;
  for (int d = 0; d < n; d++) {
    int da = d - (n - a->ndim), db = d - (n - b->ndim);
    int64_t ea = da >= 0 ? a->shape[da] : 1;
    int64_t eb = db >= 0 ? b->shape[db] : 1;
    if (ea != eb && ea != 1 && eb != 1) {
      char sa[160], sb[160];
      return br_error_set(BR_ERR_SHAPE, "shapes %s and %s do not broadcast",
                          tensor_shape_str(sa, sizeof sa, a->ndim, a->shape),
                          tensor_shape_str(sb, sizeof sb, b->ndim, b->shape));
    }
    shape[d] = ea == 1 ? eb : ea;
  }
  *ndim = n;
  return BR_OK;
}

static inline double apply_binary(br_binary_op op, double x, double y) {
  switch (op) {
    case BR_OP_ADD: return x + y;
    case BR_OP_SUB: return x - y;
    case BR_OP_MUL: return x * y;
    case BR_OP_DIV: return x / y;
    case BR_OP_POW: return pow(x, y);
    case BR_OP_EQ: return x == y;
    case BR_OP_NE: return x != y;
    case BR_OP_LT: return x < y;
    case BR_OP_LE: return x <= y;
    case BR_OP_GT: return x > y;
    case BR_OP_GE: return x >= y;
    case BR_OP_MAXIMUM: return (x > y || isnan(x)) ? x : y;
    case BR_OP_MINIMUM: return (x < y || isnan(x)) ? x : y;
    case BR_OP_AND: return x != 0 && y != 0;
    case BR_OP_OR: return x != 0 || y != 0;
    case BR_BINARY_OP_COUNT: break;
  }
  return NAN;
}

static void binary_kernel(void *ctx, int64_t n, double *const *p, const int64_t *st) {
  br_binary_op op = *(const br_binary_op *)ctx;
  double *r = p[0];
  const double *a = p[1], *b = p[2];
  /* The common layouts get stride-free loops the compiler can vectorise. */
  if (st[0] == 1 && st[1] == 1 && st[2] == 1) {
    for (int64_t i = 0; i < n; i++) r[i] = apply_binary(op, a[i], b[i]);
  } else if (st[0] == 1 && st[1] == 1 && st[2] == 0) {
    double y = b[0];
    for (int64_t i = 0; i < n; i++) r[i] = apply_binary(op, a[i], y);
  } else if (st[0] == 1 && st[1] == 0 && st[2] == 1) {
    double x = a[0];
    for (int64_t i = 0; i < n; i++) r[i] = apply_binary(op, x, b[i]);
  } else {
    for (int64_t i = 0; i < n; i++)
      r[i * st[0]] = apply_binary(op, a[i * st[1]], b[i * st[2]]);
  }
}

/* r and a/b may share storage only when they are the very same view (an
 * in-place op); partial overlap would read values already overwritten. */
static int same_view(const br_tensor *x, const br_tensor *y) {
  return x->storage == y->storage && x->offset == y->offset && x->ndim == y->ndim &&
         memcmp(x->shape, y->shape, (size_t)x->ndim * 8) == 0 &&
         memcmp(x->strides, y->strides, (size_t)x->ndim * 8) == 0;
}

/* Validates op and gives the shape a op b broadcasts to; errors name the op. */
static br_status binary_shape(br_binary_op op, const br_tensor *a, const br_tensor *b,
                              int *ndim, int64_t *shape) {
  if ((unsigned)op >= BR_BINARY_OP_COUNT)
    return br_error_set(BR_ERR_ARG, "binary op %d is not an op", (int)op);
  br_status s = br_tensor_broadcast_shape(a, b, ndim, shape);
  if (s != BR_OK) br_error_prefix(binary_names[op]);
  return s;
}

br_status br_tensor_binary_into(br_tensor *r, br_binary_op op, const br_tensor *a,
                                const br_tensor *b) {
  int ndim;
  int64_t shape[BR_TENSOR_MAX_DIMS];
  br_status s = binary_shape(op, a, b, &ndim, shape);
  if (s != BR_OK) return s;
  if (ndim != r->ndim || memcmp(shape, r->shape, (size_t)ndim * 8) != 0) {
    char sr[160], sb[160];
    return br_error_set(BR_ERR_SHAPE, "%s: result %s does not match the broadcast shape %s",
                        binary_names[op], tensor_shape_str(sr, sizeof sr, r->ndim, r->shape),
                        tensor_shape_str(sb, sizeof sb, ndim, shape));
  }
  br_tensor *ta = NULL, *tb = NULL;
  if (a->storage == r->storage && !same_view(a, r)) {
    if ((s = br_tensor_clone(&ta, a)) != BR_OK) return s;
    a = ta;
  }
  if (b->storage == r->storage && !same_view(b, r)) {
    if ((s = br_tensor_clone(&tb, b)) != BR_OK) {
      br_tensor_free(ta);
      return s;
    }
    b = tb;
  }
  int64_t sa[BR_TENSOR_MAX_DIMS], sb[BR_TENSOR_MAX_DIMS];
  tensor_broadcast_strides(a, ndim, shape, sa);
  tensor_broadcast_strides(b, ndim, shape, sb);
  double *base[3] = {tensor_ptr(r), tensor_ptr(a), tensor_ptr(b)};
  const int64_t *strides[3] = {r->strides, sa, sb};
  s = tensor_foreach_timed(binary_names[op], 1, 3, ndim, shape, base, strides, binary_kernel, &op);
  br_tensor_free(ta);
  br_tensor_free(tb);
  return s;
}

br_status br_tensor_binary(br_tensor **out, br_binary_op op, const br_tensor *a,
                           const br_tensor *b) {
  int ndim;
  int64_t shape[BR_TENSOR_MAX_DIMS];
  br_status s = binary_shape(op, a, b, &ndim, shape);
  if (s != BR_OK) return s;
  br_tensor *r;
  if ((s = tensor_alloc(&r, ndim, shape)) != BR_OK) return s;
  if ((s = br_tensor_binary_into(r, op, a, b)) != BR_OK) {
    br_tensor_free(r);
    return s;
  }
  *out = r;
  return BR_OK;
}

br_status br_tensor_binary_scalar(br_tensor **out, br_binary_op op, const br_tensor *a,
                                  double s, br_scalar_side side) {
  if ((unsigned)op >= BR_BINARY_OP_COUNT)
    return br_error_set(BR_ERR_ARG, "binary op %d is not an op", (int)op);
  br_tensor *r;
  br_status st = tensor_alloc(&r, a->ndim, a->shape);
  if (st != BR_OK) return st;
  /* The scalar is an operand whose every stride is 0. */
  static const int64_t zero[BR_TENSOR_MAX_DIMS] = {0};
  int ia = side == BR_SCALAR_RIGHT ? 1 : 2, is = 3 - ia;
  double *base[3];
  const int64_t *strides[3];
  base[0] = tensor_ptr(r);
  strides[0] = r->strides;
  base[ia] = tensor_ptr(a);
  strides[ia] = a->strides;
  base[is] = &s;
  strides[is] = zero;
  if ((st = tensor_foreach_timed(binary_names[op], 1, 3, a->ndim, a->shape, base, strides, binary_kernel, &op)) != BR_OK) {
    br_tensor_free(r);
    return st;
  }
  *out = r;
  return BR_OK;
}

static inline double apply_unary(br_unary_op op, double x) {
  switch (op) {
    case BR_OP_NEG: return -x;
    case BR_OP_EXP: return exp(x);
    case BR_OP_LOG: return log(x);
    case BR_OP_SQRT: return sqrt(x);
    case BR_OP_ABS: return fabs(x);
    case BR_OP_TANH: return tanh(x);
    /* Split by sign so exp never overflows: both branches are exact forms. */
    case BR_OP_SIGMOID: return x >= 0 ? 1.0 / (1.0 + exp(-x)) : exp(x) / (1.0 + exp(x));
    case BR_OP_RELU: return x > 0 ? x : 0.0;
    case BR_OP_NOT: return x == 0;
    case BR_UNARY_OP_COUNT: break;
  }
  return NAN;
}

static void unary_kernel(void *ctx, int64_t n, double *const *p, const int64_t *st) {
  br_unary_op op = *(const br_unary_op *)ctx;
  double *r = p[0];
  const double *a = p[1];
  if (st[0] == 1 && st[1] == 1) {
    for (int64_t i = 0; i < n; i++) r[i] = apply_unary(op, a[i]);
  } else {
    for (int64_t i = 0; i < n; i++) r[i * st[0]] = apply_unary(op, a[i * st[1]]);
  }
}

br_status br_tensor_unary(br_tensor **out, br_unary_op op, const br_tensor *a) {
  if ((unsigned)op >= BR_UNARY_OP_COUNT)
    return br_error_set(BR_ERR_ARG, "unary op %d is not an op", (int)op);
  br_tensor *r;
  br_status s = tensor_alloc(&r, a->ndim, a->shape);
  if (s != BR_OK) return s;
  double *base[2] = {tensor_ptr(r), tensor_ptr(a)};
  const int64_t *strides[2] = {r->strides, a->strides};
  if ((s = tensor_foreach_timed("tensor", 1, 2, a->ndim, a->shape, base, strides, unary_kernel, &op)) != BR_OK) {
    br_tensor_free(r);
    return s;
  }
  *out = r;
  return BR_OK;
}

struct clamp_bounds {
  double lo, hi;
};

static void clamp_kernel(void *ctx, int64_t n, double *const *p, const int64_t *st) {
  const struct clamp_bounds *c = ctx;
  double *r = p[0];
  const double *a = p[1];
  for (int64_t i = 0; i < n; i++) {
    double x = a[i * st[1]];
    r[i * st[0]] = x < c->lo ? c->lo : (x > c->hi ? c->hi : x);
  }
}

br_status br_tensor_clamp(br_tensor **out, const br_tensor *a, double lo, double hi) {
  if (!(lo <= hi)) return br_error_set(BR_ERR_ARG, "clamp: lower bound %g exceeds upper bound %g", lo, hi);
  br_tensor *r;
  br_status s = tensor_alloc(&r, a->ndim, a->shape);
  if (s != BR_OK) return s;
  struct clamp_bounds c = {lo, hi};
  double *base[2] = {tensor_ptr(r), tensor_ptr(a)};
  const int64_t *strides[2] = {r->strides, a->strides};
  if ((s = tensor_foreach_timed("clamp", 1, 2, a->ndim, a->shape, base, strides, clamp_kernel, &c)) != BR_OK) {
    br_tensor_free(r);
    return s;
  }
  *out = r;
  return BR_OK;
}
