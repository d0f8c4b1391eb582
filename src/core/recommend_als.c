/* Implicit-feedback ALS (Hu, Koren and Volinsky 2008) on BLAS: alternate
 * exact ridge solves for the user and the item factors. */
#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/recommend.h"
#include "bundle/rng.h"
#include "deadline_internal.h"
#include "bundle/memory.h"
#include "memory_internal.h"

void br_als_options_init(br_als_options *o) {
  memset(o, 0, sizeof *o);
  o->factors = 32;
  o->l2 = 0.1;
  o->alpha = 10;
  o->iterations = 15;
  o->seed = 1;
}

/* LAPACK's Cholesky factor and solve, which OpenBLAS ships with its BLAS
 * (Debian's libopenblas exports them; there is no C header for them in
 * libopenblas-dev, so the Fortran prototypes are declared here: 32-bit
 * integers, as in Debian's default, non-64 OpenBLAS). */
extern void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
extern void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda, double *b,
                    const int *ldb, int *info);

/* Solves a x = b into b for the f x f SPD matrix a, whose lower triangle
 * (row-major) holds the matrix: to column-major Fortran that is the upper
 * triangle. Returns 0 when a is not positive definite. */
static int chol_solve(double *a, double *b, int f) {
  int info = 0, one = 1;
  dpotrf_("U", &f, a, &f, &info);
  if (info != 0) return 0;
  dpotrs_("U", &f, &one, a, &f, b, &f, &info);
  return info == 0;
}

/* One half-sweep: every row of X from Y, given the rows' entries (CSR). */
/* Returns 1, 0 when a system was not positive definite, or -1 when the
 * deadline passed (checked between rows: a row is at most one f x f solve
 * plus its entries' rank-one updates, well under a millisecond). */
static int solve_side(double *X, const double *Y, int64_t nx, int64_t ny, const int64_t *off, const int32_t *idx,
                      const double *vals, const br_als_options *o, double *G, double *A, double *b, int64_t *work) {
  int f = o->factors;
  /* G = Y'Y + l2 I (lower triangle), shared by every row */
  cblas_dsyrk(CblasRowMajor, CblasLower, CblasTrans, f, (int)ny, 1.0, Y, f, 0.0, G, f);
  for (int i = 0; i < f; i++) G[i * f + i] += o->l2;
  for (int64_t u = 0; u < nx; u++) {
    if (deadline_poll(work, (off[u + 1] - off[u] + f) * (int64_t)f * f / 2 + 1)) return -1;
    if (off[u] == off[u + 1]) { /* no entries: the ridge pulls the row to zero */
      memset(X + u * f, 0, (size_t)f * sizeof *X);
      continue;
    }
    memset(b, 0, (size_t)f * sizeof *b);
    for (int i = 0; i < f; i++) memcpy(A + (int64_t)i * f, G + (int64_t)i * f, (size_t)(i + 1) * sizeof *A);
    for (int64_t p = off[u]; p < off[u + 1]; p++) {
      const double *y = Y + (int64_t)idx[p] * f;
      double c = o->alpha * (vals ? vals[p] : 1.0); /* confidence minus one */
      for (int i = 0; i < f; i++) {
        double ci = c * y[i];
        double *ai = A + (int64_t)i * f;
        for (int j = 0; j <= i; j++) ai[j] += ci * y[j];
        b[i] += (1 + c) * y[i];
      }
    }
    if (!chol_solve(A, b, f)) return 0;
    memcpy(X + u * f, b, (size_t)f * sizeof *b);
  }
  return 1;
}

/* sum over all cells of c (p - x'y)^2 plus the ridge terms, using
 * sum_all (x'y)^2 = sum_u x_u' (Y'Y) x_u and corrections on observed cells */
static double als_loss(const double *U, const double *V, int64_t rows, int64_t cols, const int64_t *off,
                       const int32_t *idx, const double *vals, const br_als_options *o, double *G) {
  int f = o->factors;
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, f, (int)cols, 1.0, V, f, 0.0, G, f);
  for (int i = 0; i < f; i++) /* mirror to full for dsymv-free use */
    for (int j = 0; j < i; j++) G[i * f + j] = G[j * f + i];
  double loss = 0, reg = 0;
  for (int64_t u = 0; u < rows; u++) {
    const double *x = U + u * f;
    for (int i = 0; i < f; i++) {
      double s = 0;
      for (int j = 0; j < f; j++) s += G[i * f + j] * x[j];
      loss += x[i] * s;
      reg += x[i] * x[i];
    }
    for (int64_t p = off[u]; p < off[u + 1]; p++) {
      double s = cblas_ddot(f, x, 1, V + (int64_t)idx[p] * f, 1);
      double c = 1 + o->alpha * (vals ? vals[p] : 1.0);
      loss += c * (1 - s) * (1 - s) - s * s;
    }
  }
  for (int64_t i = 0; i < cols * f; i++) reg += V[i] * V[i];
  return loss + o->l2 * reg;
}

br_status br_als_fit(double **Uout, double **Vout, int64_t rows, int64_t cols, const int64_t *off, const int32_t *idx,
                     const double *vals, const br_als_options *o) {
  if (!o || o->factors < 1 || o->factors > 1024)
    return br_error_set(BR_ERR_ARG, "als: factors must be 1..1024, got %d", o ? o->factors : 0);
  if (!(o->l2 > 0) || !isfinite(o->l2)) return br_error_set(BR_ERR_ARG, "als: l2 must be > 0, got %g", o->l2);
  if (!(o->alpha >= 0) || !isfinite(o->alpha))
    return br_error_set(BR_ERR_ARG, "als: alpha must be >= 0, got %g", o->alpha);
  if (o->iterations < 1) return br_error_set(BR_ERR_ARG, "als: iterations must be at least 1, got %d", o->iterations);
  if (rows < 1 || cols < 1 || rows > INT32_MAX || cols > INT32_MAX)
    return br_error_set(BR_ERR_ARG, "als: the matrix is %lld x %lld; it needs at least one row and column",
                        (long long)rows, (long long)cols);
  int64_t nnz = off[rows];
  int f = o->factors;
  unsigned char *seen = br_calloc("als", (size_t)cols, 1);
  int64_t *toff = br_calloc("als", (size_t)cols + 1, sizeof *toff), *fill = br_alloc("als", (size_t)cols, sizeof *fill);
  int32_t *tidx = br_alloc("als", (size_t)nnz, sizeof *tidx);
  double *tval = vals ? br_alloc("als", (size_t)nnz, sizeof *tval) : NULL;
  /* the caller frees U and V (br_free_out) */
  double *U = br_alloc_out("als", mem_mul((size_t)rows, (size_t)f), sizeof *U), *V = br_alloc_out("als", mem_mul((size_t)cols, (size_t)f), sizeof *V);
  double *G = br_alloc("als", mem_mul((size_t)f, (size_t)f), sizeof *G), *A = br_alloc("als", mem_mul((size_t)f, (size_t)f), sizeof *A), *b = br_alloc("als", (size_t)f, sizeof *b);
  br_status st = BR_OK;
  if (!seen || !toff || !fill || !tidx || (vals && !tval) || !U || !V || !G || !A || !b) {
    st = br_error_set(BR_ERR_NOMEM, "als: out of memory");
    goto fail;
  }
  for (int64_t u = 0; u < rows; u++) { /* check, then count entries per column */
    for (int64_t p = off[u]; p < off[u + 1]; p++) {
      if (idx[p] < 0 || idx[p] >= cols) {
        st = br_error_set(BR_ERR_ARG, "als: row %lld has column %d, outside 1..%lld", (long long)u + 1, idx[p] + 1,
                          (long long)cols);
        goto fail;
      }
      if (vals && (!(vals[p] >= 0) || !isfinite(vals[p]))) {
        st = br_error_set(BR_ERR_ARG, "als: row %lld has value %g; values must be finite and >= 0", (long long)u + 1,
                          vals[p]);
        goto fail;
      }
      if (seen[idx[p]]) {
        st = br_error_set(BR_ERR_ARG, "als: row %lld lists column %d twice", (long long)u + 1, idx[p] + 1);
        goto fail;
      }
      seen[idx[p]] = 1;
      toff[idx[p] + 1]++;
    }
    for (int64_t p = off[u]; p < off[u + 1]; p++) seen[idx[p]] = 0;
  }
  for (int64_t c = 0; c < cols; c++) toff[c + 1] += toff[c];
  memcpy(fill, toff, (size_t)cols * sizeof *fill);
  for (int64_t u = 0; u < rows; u++)
    for (int64_t p = off[u]; p < off[u + 1]; p++) {
      int64_t q = fill[idx[p]]++;
      tidx[q] = (int32_t)u;
      if (vals) tval[q] = vals[p];
    }
  br_rng rng;
  br_rng_seed(&rng, o->seed);
  /* the first touch of U and V: page faults and normal draws, ~0.1 s per
   * million rows x factors, so checked every 64K values */
  for (int64_t i = 0; i < rows * f; i++) {
    if ((i & 0xffff) == 0 && i > 0 && br_deadline_passed()) {
      st = br_deadline_stop("als", 0, "sweeps");
      goto fail;
    }
    U[i] = 0.01 * br_rng_normal(&rng);
  }
  for (int64_t i = 0; i < cols * f; i++) {
    if ((i & 0xffff) == 0 && i > 0 && br_deadline_passed()) {
      st = br_deadline_stop("als", 0, "sweeps");
      goto fail;
    }
    V[i] = 0.01 * br_rng_normal(&rng);
  }
  /* Every call below is small (f x f); OpenBLAS's threads cost more in
   * wake-ups than they save there (measured: 1.7 s against 1.0 s for
   * Youshu, 64 factors, 10 sweeps), so the fit runs them on one thread
   * and restores the caller's setting after. */
  int threads = openblas_get_num_threads();
  openblas_set_num_threads(1);
  int64_t work = 0;
  for (int it = 0; it < o->iterations; it++) {
    int ok = solve_side(U, V, rows, cols, off, idx, vals, o, G, A, b, &work);
    if (ok == 1) ok = solve_side(V, U, cols, rows, toff, tidx, tval, o, G, A, b, &work);
    if (ok != 1) {
      if (ok < 0) st = br_deadline_stop("als", it, "sweeps");
      else st = br_error_set(BR_ERR_NUMERIC, "als: a ridge system was not positive definite (sweep %d); raise l2", it + 1);
      openblas_set_num_threads(threads);
      goto fail;
    }
    if (o->loss) o->loss[it] = als_loss(U, V, rows, cols, off, idx, vals, o, G);
  }
  openblas_set_num_threads(threads);
  *Uout = U;
  *Vout = V;
  U = V = NULL;
fail:
  br_free(seen);
  br_free(toff);
  br_free(fill);
  br_free(tidx);
  br_free(tval);
  br_free_out(U);
  br_free_out(V);
  br_free(G);
  br_free(A);
  br_free(b);
  return st;
}
