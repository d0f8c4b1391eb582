/* Private to the tensor module (src/core/tensor*.c): the header layout and the
 * strided iterator every elementwise kernel is built on. Other modules use the
 * public accessors in bundle/tensor.h. */
#ifndef BUNDLE_TENSOR_INTERNAL_H
#define BUNDLE_TENSOR_INTERNAL_H

#include "bundle/tensor.h"

typedef struct br_storage {
  double *data;   /* 64-byte aligned */
  size_t len;     /* elements */
  size_t bytes;   /* allocated size: len * 8 rounded up to the alignment */
  long refs;
} br_storage;

struct br_tensor {
  br_storage *storage;
  int ndim;
  int64_t offset;                        /* in elements, into storage->data */
  int64_t shape[BR_TENSOR_MAX_DIMS];
  int64_t strides[BR_TENSOR_MAX_DIMS];   /* in elements; may be 0 or negative-free */
};

static inline double *tensor_ptr(const br_tensor *t) {
  return t->storage->data + t->offset;
}

/* A new contiguous tensor with uninitialised values. */
br_status tensor_alloc(br_tensor **out, int ndim, const int64_t *shape);
/* A new header sharing t's storage (refcount taken), with t's layout. */
br_status tensor_share(br_tensor **out, const br_tensor *t);
/* Row-major strides for shape; returns numel. */
int64_t tensor_contiguous_strides(int ndim, const int64_t *shape, int64_t *strides);
/* Shape as "{3,4}" into buf (for error messages). */
const char *tensor_shape_str(char *buf, size_t size, int ndim, const int64_t *shape);
/* Strides of t when broadcast to (ndim, shape): 0 along stretched dims. The
 * caller has checked that t broadcasts. */
void tensor_broadcast_strides(const br_tensor *t, int ndim, const int64_t *shape,
                              int64_t *strides);

/* Strided iteration over up to 3 operands of a common shape. The kernel gets
 * every innermost run: n elements, a pointer and a stride per operand. Dims
 * that are contiguous for all operands are merged first, so contiguous data
 * becomes one run and the kernel's loop can vectorise. */
#define TENSOR_ITER_MAX_OPS 3
typedef void (*tensor_kernel)(void *ctx, int64_t n, double *const *ptr,
                              const int64_t *stride);
void tensor_foreach(int nops, int ndim, const int64_t *shape, double *const *base,
                    const int64_t *const *strides, tensor_kernel kernel, void *ctx);
/* The same walk for ops that make a new tensor (or can report an error):
 * with a deadline set (bundle/deadline.h) it polls it as it goes and stops
 * early. Returns BR_OK, or BR_ERR_CANCELLED with the error set, naming
 * `what`: a 2e8-value exp or add is 15 s of page faults and arithmetic in
 * one C call on a loaded machine, which the Lua hook cannot interrupt. The
 * operands are then partly written; callers free what they made. `cost`
 * is the work per value visited (1 for elementwise ops, the line length
 * for a reduction). */
br_status tensor_foreach_timed(const char *what, int64_t cost, int nops, int ndim, const int64_t *shape,
                               double *const *base, const int64_t *const *strides,
                               tensor_kernel kernel, void *ctx);

#endif
