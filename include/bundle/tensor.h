/* bundle/tensor.h — dense n-d arrays of double, strided views, broadcasting,
 * reductions and BLAS-backed products.
 *
 *     int64_t shape[2] = {2, 3};
 *     br_tensor *a = NULL, *at = NULL, *c = NULL;
 *     br_tensor_full(&a, 2, shape, 1.0);          // 2x3 of ones
 *     br_tensor_transpose(&at, a, 0, 1);          // 3x2 view, no copy
 *     br_tensor_matmul(&c, a, at);                // 2x2, cblas_dgemm
 *     printf("%g\n", br_tensor_get2(c, 0, 1));    // 3
 *     br_tensor_free(c); br_tensor_free(at); br_tensor_free(a);
 *
 * Model: a tensor is a small header (shape, strides in elements, offset) over
 * reference-counted storage of 64-byte-aligned doubles. Views (narrow, select,
 * slice, transpose, reshape of contiguous data) share storage with their
 * source; freeing either leaves the other valid. Every function that returns a
 * tensor through `br_tensor **out` allocates a new header the caller owns and
 * frees with br_tensor_free(); on failure *out is left untouched.
 *
 * Indices are 0-based here (the Lua binding converts from 1-based). Up to
 * BR_TENSOR_MAX_DIMS dimensions; a 0-d tensor holds one value. Reference
 * counts are not atomic: share a tensor between threads only read-only.
 */
#ifndef BUNDLE_TENSOR_H
#define BUNDLE_TENSOR_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/error.h"
#include "bundle/rng.h"

#ifdef __cplusplus
extern "C" {
#endif

#define BR_TENSOR_MAX_DIMS 8

typedef struct br_tensor br_tensor;

/* ---- construction (each returns a new contiguous tensor in *out) ---- */

/* Uninitialised values. ndim in [0, 8]; every shape[i] >= 0. */
br_status br_tensor_empty(br_tensor **out, int ndim, const int64_t *shape);
br_status br_tensor_zeros(br_tensor **out, int ndim, const int64_t *shape);
br_status br_tensor_full(br_tensor **out, int ndim, const int64_t *shape, double value);
/* n x m identity-like matrix (ones on the main diagonal). */
br_status br_tensor_eye(br_tensor **out, int64_t n, int64_t m);
/* start, start+step, ... while < stop (> stop for a negative step); step != 0. */
br_status br_tensor_arange(br_tensor **out, double start, double stop, double step);
/* n evenly spaced values from a to b inclusive (n >= 0; n == 1 gives {a}). */
br_status br_tensor_linspace(br_tensor **out, double a, double b, int64_t n);
/* Uniform [0,1) and standard normal values drawn from rng, in row-major order. */
br_status br_tensor_rand(br_tensor **out, int ndim, const int64_t *shape, br_rng *rng);
br_status br_tensor_randn(br_tensor **out, int ndim, const int64_t *shape, br_rng *rng);
/* Copies numel(shape) doubles from data (row-major). */
br_status br_tensor_from_data(br_tensor **out, int ndim, const int64_t *shape,
                              const double *data);

/* Releases the header and, with the last reference, the storage. NULL is ok. */
void br_tensor_free(br_tensor *t);

/* Freed storage blocks of 256 KiB or more are kept (up to 256 MiB in all) and
 * reused for tensors of the same size, which spares page faults in loops that
 * make temporaries. This returns the kept blocks to the system. Thread-safe. */
void br_tensor_release_cache(void);
/* Bytes currently kept by that cache. */
size_t br_tensor_cached_bytes(void);

/* ---- shape and raw access ---- */

int br_tensor_ndim(const br_tensor *t);
/* Pointer to ndim extents / strides (in elements), valid while t lives. */
const int64_t *br_tensor_shape(const br_tensor *t);
const int64_t *br_tensor_strides(const br_tensor *t);
int64_t br_tensor_size(const br_tensor *t, int dim); /* -1 when dim is out of range */
int64_t br_tensor_numel(const br_tensor *t);
/* Row-major, stride-1 layout with no gaps. */
int br_tensor_is_contiguous(const br_tensor *t);
/* Pointer to the element at index (0,...,0); writes through it modify every view. */
double *br_tensor_data(const br_tensor *t);
/* Bytes of storage this tensor keeps alive (shared storage counted whole). */
size_t br_tensor_storage_bytes(const br_tensor *t);

/* Element access with bounds checks; idx has ndim entries. */
br_status br_tensor_get(const br_tensor *t, const int64_t *idx, double *value);
br_status br_tensor_set(br_tensor *t, const int64_t *idx, double value);
/* Unchecked 2-d read, for tests and tight code that has already validated. */
double br_tensor_get2(const br_tensor *t, int64_t i, int64_t j);

/* ---- views (share storage) and copies ---- */

/* Another header on the same data and layout. */
br_status br_tensor_view(br_tensor **out, const br_tensor *t);
/* Elements start..start+length-1 along dim. */
br_status br_tensor_narrow(br_tensor **out, const br_tensor *t, int dim, int64_t start,
                           int64_t length);
/* The slice at index along dim; the result has one dimension less. */
br_status br_tensor_select(br_tensor **out, const br_tensor *t, int dim, int64_t index);
/* start, start+step, ... < stop along dim; step >= 1. */
br_status br_tensor_slice(br_tensor **out, const br_tensor *t, int dim, int64_t start,
                          int64_t stop, int64_t step);
br_status br_tensor_transpose(br_tensor **out, const br_tensor *t, int d0, int d1);
/* New shape with the same numel; at most one extent may be -1 (inferred).
 * A view when t is contiguous, else a contiguous copy. */
br_status br_tensor_reshape(br_tensor **out, const br_tensor *t, int ndim,
                            const int64_t *shape);
/* A view when t is already contiguous, else a contiguous copy. */
br_status br_tensor_contiguous(br_tensor **out, const br_tensor *t);
/* Always a new contiguous copy with its own storage. */
br_status br_tensor_clone(br_tensor **out, const br_tensor *t);
/* Copies src into dst, broadcasting src to dst's shape. Overlap is handled. */
br_status br_tensor_copy(br_tensor *dst, const br_tensor *src);
void br_tensor_fill(br_tensor *t, double value);

/* ---- elementwise ops with numpy broadcasting ---- */

typedef enum br_binary_op {
  BR_OP_ADD, BR_OP_SUB, BR_OP_MUL, BR_OP_DIV, BR_OP_POW,
  BR_OP_EQ, BR_OP_NE, BR_OP_LT, BR_OP_LE, BR_OP_GT, BR_OP_GE, /* 0/1 results */
  BR_OP_MAXIMUM, BR_OP_MINIMUM,
  BR_OP_AND, BR_OP_OR, /* logical on nonzero: 0/1 results (masks) */
  BR_BINARY_OP_COUNT
} br_binary_op;

typedef enum br_unary_op {
  BR_OP_NEG, BR_OP_EXP, BR_OP_LOG, BR_OP_SQRT, BR_OP_ABS, BR_OP_TANH,
  BR_OP_SIGMOID, BR_OP_RELU,
  BR_OP_NOT, /* 1 where zero, else 0 */
  BR_UNARY_OP_COUNT
} br_unary_op;

/* Where the scalar stands in br_tensor_binary_scalar: a op s, or s op a. */
typedef enum br_scalar_side { BR_SCALAR_RIGHT, BR_SCALAR_LEFT } br_scalar_side;

const char *br_binary_op_name(br_binary_op op); /* "add", "lt", ... */
const char *br_unary_op_name(br_unary_op op);   /* "exp", "relu", ... */

/* Shape that a and b broadcast to (numpy rules); BR_ERR_SHAPE names both. */
br_status br_tensor_broadcast_shape(const br_tensor *a, const br_tensor *b, int *ndim,
                                    int64_t *shape);
/* r = a op b in a new tensor of the broadcast shape. */
br_status br_tensor_binary(br_tensor **out, br_binary_op op, const br_tensor *a,
                           const br_tensor *b);
/* r = a op b into an existing r whose shape is the broadcast shape; r may be a or b. */
br_status br_tensor_binary_into(br_tensor *r, br_binary_op op, const br_tensor *a,
                                const br_tensor *b);
br_status br_tensor_binary_scalar(br_tensor **out, br_binary_op op, const br_tensor *a,
                                  double s, br_scalar_side side);
br_status br_tensor_unary(br_tensor **out, br_unary_op op, const br_tensor *a);
/* Values limited to [lo, hi]; lo <= hi (use -INFINITY / INFINITY for one side). */
br_status br_tensor_clamp(br_tensor **out, const br_tensor *a, double lo, double hi);

/* ---- reductions ---- */

typedef enum br_reduce_op {
  BR_REDUCE_SUM, BR_REDUCE_MEAN, BR_REDUCE_MIN, BR_REDUCE_MAX,
  BR_REDUCE_ARGMIN, BR_REDUCE_ARGMAX, BR_REDUCE_VAR, BR_REDUCE_STD,
  BR_REDUCE_OP_COUNT
} br_reduce_op;

const char *br_reduce_op_name(br_reduce_op op);

/* Reduces every element to one value. ARGMIN/ARGMAX give the row-major flat
 * index of the first extreme; VAR/STD divide by (n - ddof). Min, max, mean and
 * the arg forms of an empty tensor are errors; the sum of nothing is 0. */
br_status br_tensor_reduce_all(double *value, br_reduce_op op, const br_tensor *a,
                               int ddof);
/* Reduces along dim; the result drops that dimension unless keepdim. */
br_status br_tensor_reduce_dim(br_tensor **out, br_reduce_op op, const br_tensor *a,
                               int dim, int keepdim, int ddof);

/* ---- indexing ---- */

/* The n slices of a at positions idx[0..n) along dim, in that order. */
br_status br_tensor_index_select(br_tensor **out, const br_tensor *a, int dim,
                                 const int64_t *idx, int64_t n);
/* With a mask of a's shape: the elements where mask != 0, as a 1-d tensor.
 * With a 1-d mask of length size(a, 0): the rows (dim-0 slices) where mask != 0. */
br_status br_tensor_masked_select(br_tensor **out, const br_tensor *a,
                                  const br_tensor *mask);

/* ---- products (OpenBLAS) ---- */

/* 2-d x 2-d (dgemm), 2-d x 1-d and 1-d x 2-d (dgemv), 1-d x 1-d (dot, a 0-d
 * result). Transposed views go to BLAS as transpose flags, never copied. */
br_status br_tensor_matmul(br_tensor **out, const br_tensor *a, const br_tensor *b);
/* Inner product of two 1-d tensors of equal length. */
br_status br_tensor_dot(double *value, const br_tensor *a, const br_tensor *b);
/* Outer product of two 1-d tensors: an m x n matrix. */
br_status br_tensor_outer(br_tensor **out, const br_tensor *a, const br_tensor *b);

/* ---- text ---- */

/* A readable rendering: a header line with the shape, then the values in
 * nested brackets; dimensions longer than 2*edge+1 show `edge` items at each
 * end around "...". *text is the caller's, freed with br_free_out
 * (bundle/memory.h), which gives back its charge to the memory budget. */
br_status br_tensor_format(char **text, const br_tensor *t, int edge);

#ifdef __cplusplus
}
#endif
#endif
