/* The MLP's hot loops, written so the compiler vectorises them, and built
 * for three CPU levels (BR_KERNEL, simd_dispatch.h: x86-64-v4, x86-64-v3
 * and the baseline), so one binary is fast on every x86-64 machine
 * without -march=native at build time.
 *
 * Why not sgemm: at the seed's batch of 32 the products are 32 x 20 x 64;
 * OpenBLAS spends as long choosing, packing and (on some CPUs) waking
 * threads as multiplying, and its speed there varied 3x between an AMD
 * and an Intel machine (issue 19). Register tiles of 4 rows x 16 columns
 * need no packing: A's element is broadcast, a row of B is loaded once per
 * 4 rows, and the 4 x 16 accumulators stay in registers.
 *
 * Sums use fused multiply-add where the CPU has it (fp-contract below), so
 * results differ from the baseline build in the last bits, as OpenBLAS's
 * did between CPUs; tests compare within tolerance. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("fp-contract=fast")
#else
#pragma STDC FP_CONTRACT ON
#endif
#include "model_mlp_kernels.h"

#include <math.h>
#include <string.h>

#include "simd_dispatch.h"

#define KERNEL BR_KERNEL
#define INLINE static inline __attribute__((always_inline))

#define MR 4  /* rows of a register tile */
#define NR 16 /* columns of a register tile: two vectors of 8 */
#define EDGE_ROWS 64

/* Eight floats, written with GCC's vector extension: left to itself the
 * vectoriser took the tile's loops the wrong way round (shuffles of xmm
 * registers, slower than sgemm). The baseline build splits each into two
 * SSE registers; the other levels use one ymm register. */
typedef float v8f __attribute__((vector_size(32)));
typedef float v8fu __attribute__((vector_size(32), aligned(4), may_alias)); /* unaligned access */

/* C[0..mr) x [0..NR) of one tile (mr is a constant after inlining). */
INLINE void tile(int mr, int K, const float *A, ptrdiff_t ars, ptrdiff_t aps, const float *Bm, ptrdiff_t ldb,
                 float *C, ptrdiff_t ldc) {
  v8f acc[MR][2];
  for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = (v8f){0};
  for (int p = 0; p < K; p++) {
    const v8fu *b = (const v8fu *)(Bm + p * ldb);
    v8f b0 = b[0], b1 = b[1];
    for (int r = 0; r < mr; r++) {
      float a = A[r * ars + p * aps];
      acc[r][0] += a * b0;
      acc[r][1] += a * b1;
    }
  }
  for (int r = 0; r < mr; r++) {
    v8fu *c = (v8fu *)(C + r * ldc);
    c[0] = acc[r][0];
    c[1] = acc[r][1];
  }
}

/* Column j of C when it is not part of a full tile, with A's rows
 * contiguous (ars == 1): one axpy per p, vectorised over the rows. */
INLINE void edge_axpy(int M, int K, const float *A, ptrdiff_t aps, const float *Bm, ptrdiff_t ldb, float *C,
                      ptrdiff_t ldc, int j) {
  float tmp[EDGE_ROWS];
  for (int r0 = 0; r0 < M; r0 += EDGE_ROWS) {
    int mb = M - r0 < EDGE_ROWS ? M - r0 : EDGE_ROWS;
    for (int r = 0; r < mb; r++) tmp[r] = 0;
    for (int p = 0; p < K; p++) {
      const float *a = A + p * aps + r0;
      float b = Bm[p * ldb + j];
      for (int r = 0; r < mb; r++) tmp[r] += a[r] * b;
    }
    for (int r = 0; r < mb; r++) C[(r0 + r) * ldc + j] = tmp[r];
  }
}

/* Column j of C when it is not part of a full tile: one dot product per
 * row, in 8 independent partial sums (vectorised when A's rows and Bm's
 * column are contiguous, the output layer's case). */
INLINE void edge_dot(int M, int K, const float *A, ptrdiff_t ars, ptrdiff_t aps, const float *Bm, ptrdiff_t ldb,
                     float *C, ptrdiff_t ldc, int j) {
  for (int r = 0; r < M; r++) {
    const float *a = A + r * ars;
    v8f s = {0};
    int p = 0;
    if (aps == 1 && ldb == 1) {
      const float *b = Bm + j;
      for (; p + 8 <= K; p += 8) s += *(const v8fu *)(a + p) * *(const v8fu *)(b + p);
    }
    float t = 0;
    for (; p < K; p++) t += a[p * aps] * Bm[p * ldb + j];
    C[r * ldc + j] = ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + t;
  }
}

KERNEL void mlp_gemm(int M, int N, int K, const float *A, ptrdiff_t ars, ptrdiff_t aps, const float *Bm,
                     ptrdiff_t ldb, float *C, ptrdiff_t ldc) {
  int nfull = N / NR * NR;
  if (nfull > 0) {
    int r = 0;
    for (; r + MR <= M; r += MR)
      for (int j = 0; j < nfull; j += NR) tile(MR, K, A + r * ars, ars, aps, Bm + j, ldb, C + r * ldc + j, ldc);
    for (; r < M; r++)
      for (int j = 0; j < nfull; j += NR) tile(1, K, A + r * ars, ars, aps, Bm + j, ldb, C + r * ldc + j, ldc);
  }
  for (int j = nfull; j < N; j++) {
    if (ars == 1) edge_axpy(M, K, A, aps, Bm, ldb, C, ldc, j);
    else edge_dot(M, K, A, ars, aps, Bm, ldb, C, ldc, j);
  }
}

KERNEL void mlp_transpose(float *restrict dst, const float *restrict src, int rows, int cols) {
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) dst[(size_t)j * rows + i] = src[(size_t)i * cols + j];
}

static inline float act(br_activation a, float z) {
  switch (a) {
    case BR_ACT_RELU: return z > 0 ? z : 0;
    case BR_ACT_TANH: return tanhf(z);
    case BR_ACT_SIGMOID: return z >= 0 ? 1 / (1 + expf(-z)) : expf(z) / (1 + expf(z));
    default: return z;
  }
}

/* One loop per activation, so the choice is made once and each loop
 * vectorises. */
KERNEL void mlp_bias_act(float *restrict h, const float *restrict b, int B, int out, br_activation a) {
  switch (a) {
    case BR_ACT_RELU:
      for (int i = 0; i < B; i++)
        for (int j = 0; j < out; j++) {
          float z = h[i * out + j] + b[j];
          h[i * out + j] = z > 0 ? z : 0;
        }
      break;
    case BR_ACT_LINEAR:
      for (int i = 0; i < B; i++)
        for (int j = 0; j < out; j++) h[i * out + j] += b[j];
      break;
    default:
      for (int i = 0; i < B; i++)
        for (int j = 0; j < out; j++) h[i * out + j] = act(a, h[i * out + j] + b[j]);
      break;
  }
}

KERNEL void mlp_times_act_grad(float *restrict dh, const float *restrict h, int n, br_activation a) {
  switch (a) {
    case BR_ACT_RELU:
      for (int i = 0; i < n; i++) dh[i] = h[i] > 0 ? dh[i] : 0;
      break;
    case BR_ACT_TANH:
      for (int i = 0; i < n; i++) dh[i] *= 1 - h[i] * h[i];
      break;
    case BR_ACT_SIGMOID:
      for (int i = 0; i < n; i++) dh[i] *= h[i] * (1 - h[i]);
      break;
    default: break;
  }
}

KERNEL void mlp_colsum(float *restrict db, const float *restrict d, int B, int out) {
  for (int j = 0; j < out; j++) db[j] = 0;
  for (int i = 0; i < B; i++)
    for (int j = 0; j < out; j++) db[j] += d[i * out + j];
}
