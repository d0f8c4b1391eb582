/* The MLP's multiversioned kernels (src/core/model_mlp_kernels.c) against
 * plain double-precision loops, on shapes that hit every path: full 4 x 16
 * tiles, leftover rows, leftover columns with A's rows strided (dot) and
 * contiguous (axpy), one output, K = 1, and a transposed A. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundle/rng.h"
#include "../../src/core/model_mlp_kernels.h"
#include "../../src/core/simd_dispatch.h"

static void fill(float *x, size_t n, br_rng *r) {
  for (size_t i = 0; i < n; i++) x[i] = (float)(2 * br_rng_uniform(r) - 1);
}

/* mlp_gemm on M x K (A stored as given by trans) times K x N, checked
 * element by element against a double sum. */
static void check_gemm(int M, int N, int K, int trans) {
  br_rng r;
  br_rng_seed(&r, (uint64_t)(M * 131 + N * 17 + K * 3 + trans));
  float *A = malloc(sizeof(float) * (size_t)M * K), *Bm = malloc(sizeof(float) * (size_t)K * N);
  float *C = malloc(sizeof(float) * (size_t)M * N);
  fill(A, (size_t)M * K, &r);
  fill(Bm, (size_t)K * N, &r);
  /* trans: A is stored K x M (as dW = h' dz reads h) */
  ptrdiff_t ars = trans ? 1 : K, aps = trans ? M : 1;
  mlp_gemm(M, N, K, A, ars, aps, Bm, N, C, N);
  for (int i = 0; i < M; i++)
    for (int j = 0; j < N; j++) {
      double s = 0, mag = 0;
      for (int p = 0; p < K; p++) {
        double t = (double)A[i * ars + p * aps] * Bm[p * N + j];
        s += t;
        mag += fabs(t);
      }
      if (fabs(C[i * N + j] - s) > 1e-5 * (mag + 1)) fail_msg("M %d N %d K %d trans %d: C[%d,%d] = %.9g, want %.9g", M, N, K, trans, i, j, (double)C[i * N + j], s);
    }
  free(A);
  free(Bm);
  free(C);
}

static void gemm_matches_a_double_reference_on_every_path(void **state) {
  (void)state;
  static const int shapes[][3] = {{32, 64, 20}, {20, 64, 32}, {32, 1, 64}, {64, 1, 32}, {32, 64, 1},
                                  {7, 33, 5},   {1, 16, 1},   {5, 17, 9},  {130, 3, 70}, {3, 48, 200}};
  for (size_t s = 0; s < sizeof shapes / sizeof *shapes; s++)
    for (int trans = 0; trans < 2; trans++) check_gemm(shapes[s][0], shapes[s][1], shapes[s][2], trans);
}

static void transpose_colsum_and_activations_are_exact(void **state) {
  (void)state;
  float src[6] = {1, 2, 3, 4, 5, 6}, dst[6];
  mlp_transpose(dst, src, 2, 3);
  const float want[6] = {1, 4, 2, 5, 3, 6};
  assert_memory_equal(dst, want, sizeof want);
  float d[6] = {1, 2, 3, 4, 5, 6}, db[3];
  mlp_colsum(db, d, 2, 3);
  assert_true(db[0] == 5 && db[1] == 7 && db[2] == 9);
  float h[4] = {-1, 0.5f, 2, -3}, b[2] = {0.25f, -1};
  mlp_bias_act(h, b, 2, 2, BR_ACT_RELU);
  assert_true(h[0] == 0 && h[1] == 0 && h[2] == 2.25f && h[3] == 0);
  float g[4] = {1, 1, 1, 1};
  mlp_times_act_grad(g, h, 4, BR_ACT_RELU);
  assert_true(g[0] == 0 && g[1] == 0 && g[2] == 1 && g[3] == 0);
  float t[2] = {0, 0}, tb[2] = {0, 0};
  mlp_bias_act(t, tb, 1, 2, BR_ACT_SIGMOID);
  assert_true(t[0] == 0.5f && t[1] == 0.5f);
}

static void the_dispatch_names_a_known_level(void **state) {
  (void)state;
  const char *l = br_simd_level();
  assert_true(strcmp(l, "x86-64-v4") == 0 || strcmp(l, "x86-64-v3") == 0 || strcmp(l, "baseline") == 0);
#if BR_HAVE_CLONES
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) assert_string_not_equal(l, "baseline");
#endif
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gemm_matches_a_double_reference_on_every_path),
      cmocka_unit_test(transpose_colsum_and_activations_are_exact),
      cmocka_unit_test(the_dispatch_names_a_known_level),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
