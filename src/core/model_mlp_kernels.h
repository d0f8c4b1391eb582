/* The MLP's hot loops (model_mlp_kernels.c), each built for several CPU
 * levels and chosen at run time (GCC function multiversioning). */
#ifndef BUNDLE_MODEL_MLP_KERNELS_H
#define BUNDLE_MODEL_MLP_KERNELS_H

#include <stddef.h>

#include "bundle/model.h"

/* C (M x N, row stride ldc) = A (M x K) times Bm (K x N, row stride ldb).
 * A's element (r, p) is A[r * ars + p * aps], so a transposed A costs
 * nothing (ars = 1, aps = its row length). Bm and C rows are contiguous. */
void mlp_gemm(int M, int N, int K, const float *A, ptrdiff_t ars, ptrdiff_t aps, const float *Bm,
              ptrdiff_t ldb, float *C, ptrdiff_t ldc);

/* dst (cols x rows) = the transpose of src (rows x cols). */
void mlp_transpose(float *restrict dst, const float *restrict src, int rows, int cols);

/* h = act(h + b) over B rows of `out` values. */
void mlp_bias_act(float *restrict h, const float *restrict b, int B, int out, br_activation a);

/* dh *= act'(h), with the derivative taken from the outputs h. */
void mlp_times_act_grad(float *restrict dh, const float *restrict h, int n, br_activation a);

/* db[j] = sum over the B rows of d[i, j] (the bias gradient). */
void mlp_colsum(float *restrict db, const float *restrict d, int B, int out);

#endif
