/* Matrix products on OpenBLAS. A strided 2-d view goes to BLAS as it is when
 * one of its strides is 1 (a transposed view becomes a transpose flag); only
 * layouts BLAS cannot describe (both strides > 1, broadcast zeros) are copied. */
#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <string.h>

#include "tensor_internal.h"
#include "deadline_internal.h"

/* How BLAS sees a 2-d operand: a row-major matrix, possibly transposed. */
typedef struct blas_mat {
  const double *p;
  CBLAS_TRANSPOSE trans;
  int ld;
} blas_mat;

/* Fills m when t (r x c) can go to BLAS without a copy; returns 0 otherwise. */
static int blas_describe(const br_tensor *t, blas_mat *m) {
  int64_t r = t->shape[0], c = t->shape[1], s0 = t->strides[0], s1 = t->strides[1];
  m->p = tensor_ptr(t);
  if ((c == 1 || s1 == 1) && (r == 1 || s0 >= c) && s0 <= INT_MAX) {
    m->trans = CblasNoTrans;
    m->ld = (int)(r == 1 ? (c > 1 ? c : 1) : (s0 > 1 ? s0 : 1));
    return 1;
  }
  if ((r == 1 || s0 == 1) && s1 >= r && s1 <= INT_MAX) {
    m->trans = CblasTrans; /* stored as the row-major c x r matrix t^T */
    m->ld = (int)(s1 > 1 ? s1 : 1);
    return 1;
  }
  return 0;
}

/* Gives a BLAS-ready description of t, copying into *tmp when needed. */
static br_status blas_prepare(const br_tensor *t, blas_mat *m, br_tensor **tmp) {
  *tmp = NULL;
  if (blas_describe(t, m)) return BR_OK;
  br_status s = br_tensor_clone(tmp, t);
  if (s == BR_OK) blas_describe(*tmp, m);
  return s;
}

/* A 1-d operand for BLAS: a pointer and a non-zero increment. */
static br_status vec_prepare(const br_tensor *t, const double **p, int *inc, br_tensor **tmp) {
  *tmp = NULL;
  if (t->strides[0] >= 1 && t->strides[0] <= INT_MAX) {
    *p = tensor_ptr(t);
    *inc = (int)t->strides[0];
    return BR_OK;
  }
  br_status s = br_tensor_clone(tmp, t);
  if (s == BR_OK) {
    *p = tensor_ptr(*tmp);
    *inc = 1;
  }
  return s;
}

static br_status too_big(const char *fn) {
  return br_error_set(BR_ERR_SHAPE, "%s: a dimension exceeds BLAS's 32-bit limit", fn);
}

br_status br_tensor_dot(double *value, const br_tensor *a, const br_tensor *b) {
  char sa[160], sb[160];
  if (a->ndim != 1 || b->ndim != 1 || a->shape[0] != b->shape[0])
    return br_error_set(BR_ERR_SHAPE, "dot: shapes %s and %s do not match (two vectors of one length)",
                        tensor_shape_str(sa, sizeof sa, a->ndim, a->shape),
                        tensor_shape_str(sb, sizeof sb, b->ndim, b->shape));
  if (a->shape[0] > INT_MAX) return too_big("dot");
  const double *pa, *pb;
  int ia, ib;
  br_tensor *ta, *tb = NULL;
  br_status s = vec_prepare(a, &pa, &ia, &ta);
  if (s == BR_OK) s = vec_prepare(b, &pb, &ib, &tb);
  if (s == BR_OK) *value = cblas_ddot((int)a->shape[0], pa, ia, pb, ib);
  br_tensor_free(ta);
  br_tensor_free(tb);
  return s;
}

/* With a deadline set, a large product runs as tiles of C, each one dgemm
 * of about TILE_FLOPS (35 ms at the 120 GFLOP/s of docs/BENCHMARKS.md's
 * two quiet cores, 160 ms when they are shared and give 25), with a clock
 * read between tiles: a 6000^2 product then stops within a tile of the
 * deadline instead of running to its end. Every tile keeps the whole inner
 * dimension, so each element is the same sum as by one dgemm (equal to
 * rounding: OpenBLAS may cut the inner dimension differently for a tile's
 * shape). The cost is OpenBLAS packing an operand's panel once more for
 * each extra tile row or column, and a thread hand-off per call: a 2000^2
 * product is 2 x 2 tiles, measured at about +3% of CPU time on one thread
 * (docs/BENCHMARKS.md). Without a deadline the product is one call. */
#ifndef TILE_FLOPS
#define TILE_FLOPS 4.0e9
#endif

/* Splits len into pieces of about `want` (at least 256, a multiple of 64
 * so the micro-kernel's panels stay whole) of nearly equal size, so no
 * thin last tile runs at a fraction of the speed. */
static int64_t tile_size(double want, int64_t len) {
  if (want < 256) want = 256;
  int64_t pieces = (int64_t)ceil((double)len / want);
  if (pieces < 1) pieces = 1;
  int64_t t = (len + pieces - 1) / pieces;
  t = (t + 63) / 64 * 64;
  return t < len ? t : len;
}

static br_status dgemm_tiled(const blas_mat *ma, const blas_mat *mb, int64_t m, int64_t n, int64_t k, double *c) {
  int ldc = (int)(n > 1 ? n : 1);
  double flops = 2.0 * (double)m * (double)n * (double)k;
  if (flops <= 2 * TILE_FLOPS || br_deadline_get().at == 0) {
    cblas_dgemm(CblasRowMajor, ma->trans, mb->trans, (int)m, (int)n, (int)k, 1.0, ma->p, ma->ld, mb->p, mb->ld, 0.0,
                c, ldc);
    return BR_OK;
  }
  /* square-ish tiles of C with the inner dimension whole */
  /* square tiles where both sides allow (each extra tile row or column
   * packs an operand once more), wider ones when m is short */
  double side = sqrt(TILE_FLOPS / (2.0 * (double)k));
  int64_t tm = tile_size(side, m);
  int64_t tn = tile_size(fmax(side, TILE_FLOPS / (2.0 * (double)k * (double)tm)), n);
  for (int64_t i = 0; i < m; i += tm) {
    int64_t rows = m - i < tm ? m - i : tm;
    /* row i of op(A): a row of the stored matrix, or a column of its transpose */
    const double *pa = ma->trans == CblasNoTrans ? ma->p + i * ma->ld : ma->p + i;
    for (int64_t j = 0; j < n; j += tn) {
      if (br_deadline_passed()) return br_deadline_stop("matmul", i * n + j * rows, "cells computed");
      int64_t cols = n - j < tn ? n - j : tn;
      const double *pb = mb->trans == CblasNoTrans ? mb->p + j : mb->p + j * mb->ld;
      cblas_dgemm(CblasRowMajor, ma->trans, mb->trans, (int)rows, (int)cols, (int)k, 1.0, pa, ma->ld, pb, mb->ld,
                  0.0, c + i * n + j, ldc);
    }
  }
  return BR_OK;
}

static br_status matmul_2d_2d(br_tensor **out, const br_tensor *a, const br_tensor *b) {
  int64_t m = a->shape[0], k = a->shape[1], n = b->shape[1];
  int64_t shape[2] = {m, n};
  if (m > INT_MAX || n > INT_MAX || k > INT_MAX) return too_big("matmul");
  br_tensor *r;
  br_status s = tensor_alloc(&r, 2, shape);
  if (s != BR_OK) return s;
  if (m == 0 || n == 0) goto done;
  if (k == 0) { /* an empty inner dimension sums nothing */
    br_tensor_fill(r, 0.0);
    goto done;
  }
  blas_mat ma, mb;
  br_tensor *ta, *tb = NULL;
  s = blas_prepare(a, &ma, &ta);
  if (s == BR_OK) s = blas_prepare(b, &mb, &tb);
  if (s == BR_OK) s = dgemm_tiled(&ma, &mb, m, n, k, tensor_ptr(r));
  br_tensor_free(ta);
  br_tensor_free(tb);
  if (s != BR_OK) {
    br_tensor_free(r);
    return s;
  }
done:
  *out = r;
  return BR_OK;
}

/* y = op(M) x where M is a's matrix; transpose_m asks for M^T (vector x matrix). */
static br_status matvec(br_tensor **out, const br_tensor *mat, const br_tensor *vec,
                        int transpose_m) {
  int64_t rows = mat->shape[0], cols = mat->shape[1];
  int64_t len = transpose_m ? cols : rows, inner = transpose_m ? rows : cols;
  if (rows > INT_MAX || cols > INT_MAX) return too_big("matmul");
  br_tensor *r;
  br_status s = tensor_alloc(&r, 1, &len);
  if (s != BR_OK) return s;
  if (len == 0) goto done;
  if (inner == 0) {
    br_tensor_fill(r, 0.0);
    goto done;
  }
  blas_mat mm;
  const double *px;
  int incx;
  br_tensor *tm, *tx = NULL;
  s = blas_prepare(mat, &mm, &tm);
  if (s == BR_OK) s = vec_prepare(vec, &px, &incx, &tx);
  if (s == BR_OK) {
    /* dgemv takes the stored matrix's own dimensions and one transpose flag:
     * a stored transpose and a requested transpose cancel out. */
    int stored_t = mm.trans == CblasTrans;
    int sr = (int)(stored_t ? cols : rows), sc = (int)(stored_t ? rows : cols);
    CBLAS_TRANSPOSE tr = (stored_t != transpose_m) ? CblasTrans : CblasNoTrans;
    cblas_dgemv(CblasRowMajor, tr, sr, sc, 1.0, mm.p, mm.ld, px, incx, 0.0, tensor_ptr(r), 1);
  }
  br_tensor_free(tm);
  br_tensor_free(tx);
  if (s != BR_OK) {
    br_tensor_free(r);
    return s;
  }
done:
  *out = r;
  return BR_OK;
}

br_status br_tensor_matmul(br_tensor **out, const br_tensor *a, const br_tensor *b) {
  int ok = (a->ndim == 2 && b->ndim == 2 && a->shape[1] == b->shape[0]) ||
           (a->ndim == 2 && b->ndim == 1 && a->shape[1] == b->shape[0]) ||
           (a->ndim == 1 && b->ndim == 2 && a->shape[0] == b->shape[0]) ||
           (a->ndim == 1 && b->ndim == 1 && a->shape[0] == b->shape[0]);
  if (!ok) {
    char sa[160], sb[160];
    return br_error_set(BR_ERR_SHAPE, "matmul: shapes %s and %s do not match",
                        tensor_shape_str(sa, sizeof sa, a->ndim, a->shape),
                        tensor_shape_str(sb, sizeof sb, b->ndim, b->shape));
  }
  if (a->ndim == 2 && b->ndim == 2) return matmul_2d_2d(out, a, b);
  if (a->ndim == 2) return matvec(out, a, b, 0);
  if (b->ndim == 2) return matvec(out, b, a, 1);
  double v;
  br_status s = br_tensor_dot(&v, a, b);
  if (s != BR_OK) return s;
  br_tensor *r;
  if ((s = tensor_alloc(&r, 0, NULL)) != BR_OK) return s;
  tensor_ptr(r)[0] = v;
  *out = r;
  return BR_OK;
}

br_status br_tensor_outer(br_tensor **out, const br_tensor *a, const br_tensor *b) {
  if (a->ndim != 1 || b->ndim != 1) {
    char sa[160], sb[160];
    return br_error_set(BR_ERR_SHAPE, "outer: shapes %s and %s are not two vectors",
                        tensor_shape_str(sa, sizeof sa, a->ndim, a->shape),
                        tensor_shape_str(sb, sizeof sb, b->ndim, b->shape));
  }
  int64_t m = a->shape[0], n = b->shape[0], shape[2] = {m, n};
  br_tensor *r;
  br_status s = tensor_alloc(&r, 2, shape);
  if (s != BR_OK) return s;
  const double *pa = tensor_ptr(a), *pb = tensor_ptr(b);
  double *pr = tensor_ptr(r);
  for (int64_t i = 0; i < m; i++) {
    double x = pa[i * a->strides[0]];
    for (int64_t j = 0; j < n; j++) pr[i * n + j] = x * pb[j * b->strides[0]];
  }
  *out = r;
  return BR_OK;
}
