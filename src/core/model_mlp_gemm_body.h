/* The small matrix product of model_mlp_kernels.c, written once and
 * included once per vector width: the file that includes it defines
 *   VW          floats per vector (8: AVX; 4: SSE, NEON),
 *   GEMM_NAME   how the functions' names end, GEMM_ATTR their target,
 * and the tiles are MR rows by GEMM_NR = 2 VW columns. No include guard:
 * it is meant to be included more than once. */
typedef float VEC __attribute__((vector_size(4 * VW)));
typedef float VECU __attribute__((vector_size(4 * VW), aligned(4), may_alias)); /* unaligned access */
#define GEMM_NR (2 * VW)
#define GEMM_INLINE GEMM_ATTR static inline __attribute__((always_inline))

/* C[0..mr) x [0..GEMM_NR) of one tile (mr is a constant after inlining). */
GEMM_INLINE void GEMM_NAME(tile)(int mr, int K, const float *A, ptrdiff_t ars, ptrdiff_t aps, const float *Bm, ptrdiff_t ldb,
                 float *C, ptrdiff_t ldc) {
  VEC acc[MR][2];
  for (int r = 0; r < mr; r++) acc[r][0] = acc[r][1] = (VEC){0};
  for (int p = 0; p < K; p++) {
    const VECU *b = (const VECU *)(Bm + p * ldb);
    VEC b0 = b[0], b1 = b[1];
    for (int r = 0; r < mr; r++) {
      float a = A[r * ars + p * aps];
      acc[r][0] += a * b0;
      acc[r][1] += a * b1;
    }
  }
  for (int r = 0; r < mr; r++) {
    VECU *c = (VECU *)(C + r * ldc);
    c[0] = acc[r][0];
    c[1] = acc[r][1];
  }
}

/* Column j of C when it is not part of a full tile, with A's rows
 * contiguous (ars == 1): one axpy per p, vectorised over the rows. */
GEMM_INLINE void GEMM_NAME(edge_axpy)(int M, int K, const float *A, ptrdiff_t aps, const float *Bm, ptrdiff_t ldb, float *C,
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
 * row, in VW independent partial sums (vectorised when A's rows and Bm's
 * column are contiguous, the output layer's case). */
GEMM_INLINE void GEMM_NAME(edge_dot)(int M, int K, const float *A, ptrdiff_t ars, ptrdiff_t aps, const float *Bm, ptrdiff_t ldb,
                     float *C, ptrdiff_t ldc, int j) {
  for (int r = 0; r < M; r++) {
    const float *a = A + r * ars;
    VEC s = {0};
    int p = 0;
    if (aps == 1 && ldb == 1) {
      const float *b = Bm + j;
      for (; p + VW <= K; p += VW) s += *(const VECU *)(a + p) * *(const VECU *)(b + p);
    }
    float t = 0;
    for (int q = 0; q < VW; q++) t += s[q];
    for (; p < K; p++) t += a[p * aps] * Bm[p * ldb + j];
    C[r * ldc + j] = t;
  }
}

GEMM_ATTR static void GEMM_NAME(gemm)(int M, int N, int K, const float *A, ptrdiff_t ars, ptrdiff_t aps, const float *Bm,
                     ptrdiff_t ldb, float *C, ptrdiff_t ldc) {
  int nfull = N / GEMM_NR * GEMM_NR;
  if (nfull > 0) {
    int r = 0;
    for (; r + MR <= M; r += MR)
      for (int j = 0; j < nfull; j += GEMM_NR) GEMM_NAME(tile)(MR, K, A + r * ars, ars, aps, Bm + j, ldb, C + r * ldc + j, ldc);
    for (; r < M; r++)
      for (int j = 0; j < nfull; j += GEMM_NR) GEMM_NAME(tile)(1, K, A + r * ars, ars, aps, Bm + j, ldb, C + r * ldc + j, ldc);
  }
  for (int j = nfull; j < N; j++) {
    if (ars == 1) GEMM_NAME(edge_axpy)(M, K, A, aps, Bm, ldb, C, ldc, j);
    else GEMM_NAME(edge_dot)(M, K, A, ars, aps, Bm, ldb, C, ldc, j);
  }
}


#undef GEMM_NR
#undef GEMM_INLINE
