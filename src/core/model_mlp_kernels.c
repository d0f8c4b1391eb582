/* The MLP's hot loops, written so the compiler vectorises them: the
 * elementwise ones built for three CPU levels (BR_KERNEL, simd_dispatch.h:
 * x86-64-v4, x86-64-v3 and the baseline), the matrix product in two vector
 * widths chosen from the CPU (below), so one binary is fast on every x86-64
 * machine without -march=native at build time.
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
#define EDGE_ROWS 64

/* The product itself, from model_mlp_gemm_body.h, in two widths with GCC's
 * vector extension (left to itself the vectoriser took the tile's loops the
 * wrong way round: shuffles of xmm registers, slower than sgemm). 8-float
 * vectors need AVX: on a CPU without it GCC spills them to memory, 10x
 * slower than sgemm, so the baseline gets 4-float ones. Chosen at the first
 * call from the CPU (target_clones cannot give its builds different code). */
#define VW 4
#define GEMM_ATTR
#define GEMM_NAME(f) f##_v4
#include "model_mlp_gemm_body.h"
#undef VW
#undef GEMM_ATTR
#undef GEMM_NAME
#if BR_HAVE_CLONES
#define VW 8
#define GEMM_ATTR __attribute__((target("arch=x86-64-v3")))
#define GEMM_NAME(f) f##_v8
#define VEC VEC8
#define VECU VECU8
#include "model_mlp_gemm_body.h"
#undef VW
#undef GEMM_ATTR
#undef GEMM_NAME
#undef VEC
#undef VECU
#endif

typedef void (*gemm_fn)(int, int, int, const float *, ptrdiff_t, ptrdiff_t, const float *, ptrdiff_t, float *,
                        ptrdiff_t);

void mlp_gemm(int M, int N, int K, const float *A, ptrdiff_t ars, ptrdiff_t aps, const float *Bm, ptrdiff_t ldb,
              float *C, ptrdiff_t ldc) {
  static gemm_fn chosen; /* threads may race to set it, all to the same */
  gemm_fn f = __atomic_load_n(&chosen, __ATOMIC_RELAXED);
  if (!f) {
    f = gemm_v4;
#if BR_HAVE_CLONES
    __builtin_cpu_init();
    if (__builtin_cpu_supports("x86-64-v3")) f = gemm_v8;
#endif
    __atomic_store_n(&chosen, f, __ATOMIC_RELAXED);
  }
  f(M, N, K, A, ars, aps, Bm, ldb, C, ldc);
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
