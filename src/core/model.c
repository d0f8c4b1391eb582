/* Linear regression (exact) and L2 logistic regression (L-BFGS), with the
 * input checks both share. */
#include <assert.h>
#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/optim.h"
#include "bundle/gbdt.h"
#include "model_internal.h"
#include "bundle/memory.h"
#include "memory_internal.h"

/* LAPACK (Fortran symbols exported by OpenBLAS; column-major). */
void dpotrf_(const char *uplo, const int *n, double *a, const int *lda, int *info);
void dpotrs_(const char *uplo, const int *n, const int *nrhs, const double *a, const int *lda,
             double *b, const int *ldb, int *info);
void dpocon_(const char *uplo, const int *n, const double *a, const int *lda, const double *anorm,
             double *rcond, double *work, int *iwork, int *info);
void dgelsy_(const int *m, const int *n, const int *nrhs, double *a, const int *lda, double *b,
             const int *ldb, int *jpvt, const double *rcond, int *rank, double *work,
             const int *lwork, int *info);

static const char *const kind_names[] = {"linear", "logistic", "mlp", "gbdt"};
static_assert(sizeof kind_names / sizeof *kind_names == BR_MODEL_KIND_COUNT, "one name per kind");

const char *br_model_kind_name(br_model_kind k) {
  return (unsigned)k < BR_MODEL_KIND_COUNT ? kind_names[k] : "?";
}

void br_linear_options_init(br_linear_options *o) {
  o->l2 = 0;
  o->intercept = 1;
}

void br_logistic_options_init(br_logistic_options *o) {
  o->l2 = 1.0;
  o->intercept = 1;
  o->max_iter = 100;
  o->tol = 1e-6;
}

static br_status model_new(br_model **out, br_model_kind kind, double l2, int intercept) {
  if (!(l2 >= 0) || !isfinite(l2))
    return br_error_set(BR_ERR_ARG, "%s: l2 %g must be a finite number >= 0", kind_names[kind], l2);
  br_model *m = br_calloc("model", 1, sizeof *m);
  if (!m) return br_error_set(BR_ERR_NOMEM, "%s: out of memory", kind_names[kind]);
  m->kind = kind;
  m->l2 = l2;
  m->intercept = intercept != 0;
  *out = m;
  return BR_OK;
}

br_status br_linear_new(br_model **out, const br_linear_options *o) {
  br_linear_options d;
  if (!o) br_linear_options_init(&d), o = &d;
  return model_new(out, BR_MODEL_LINEAR, o->l2, o->intercept);
}

br_status br_logistic_new(br_model **out, const br_logistic_options *o) {
  br_logistic_options d;
  if (!o) br_logistic_options_init(&d), o = &d;
  if (o->max_iter < 1) return br_error_set(BR_ERR_ARG, "logistic: max_iter %d must be at least 1", o->max_iter);
  if (!(o->tol > 0)) return br_error_set(BR_ERR_ARG, "logistic: tol %g must be > 0", o->tol);
  br_status s = model_new(out, BR_MODEL_LOGISTIC, o->l2, o->intercept);
  if (s == BR_OK) {
    (*out)->max_iter = o->max_iter;
    (*out)->tol = o->tol;
  }
  return s;
}

void br_model_free(br_model *m) {
  if (!m) return;
  mlp_free(m->mlp);
  gbdt_free(m->gbdt);
  br_free(m->w);
  br_free(m);
}

br_model_kind br_model_kind_of(const br_model *m) { return m->kind; }
int br_model_is_fitted(const br_model *m) { return m->fitted; }
int br_model_iterations(const br_model *m) { return m->iterations; }
int br_model_converged(const br_model *m, const char **why) {
  if (why) *why = m->unconverged ? m->why : "";
  return !m->unconverged;
}

/* ---- input checks ---- */

/* "NaN", "Inf" or "-Inf": printf's spelling of these varies ("-nan"). */
static const char *nonfinite(double v) { return isnan(v) ? "NaN" : v > 0 ? "Inf" : "-Inf"; }

/* X as a contiguous n x d copy-or-view in *xc; finite everywhere. */
br_status model_check_x(const char *fn, const br_tensor *X, br_tensor **xc, int64_t *n, int64_t *d) {
  if (br_tensor_ndim(X) != 2)
    return br_error_set(BR_ERR_SHAPE, "%s: X must be 2-d (n x d), got %d-d", fn, br_tensor_ndim(X));
  *n = br_tensor_shape(X)[0];
  *d = br_tensor_shape(X)[1];
  if (*n > INT32_MAX || *d > INT32_MAX) return br_error_set(BR_ERR_SHAPE, "%s: X is too large for BLAS", fn);
  br_status s = br_tensor_contiguous(xc, X);
  if (s != BR_OK) return s;
  const double *p = br_tensor_data(*xc);
  for (int64_t i = 0; i < *n * *d; i++)
    if (!isfinite(p[i])) {
      br_tensor_free(*xc);
      *xc = NULL;
      return br_error_set(BR_ERR_NUMERIC, "%s: X holds %s at row %lld, column %lld", fn, nonfinite(p[i]),
                          (long long)(i / *d + 1), (long long)(i % *d + 1));
    }
  return BR_OK;
}

/* y as n finite values (a vector or an n x 1 matrix), copied into *out. */
br_status model_check_y(const char *fn, const br_tensor *y, int64_t n, double **out) {
  int nd = br_tensor_ndim(y);
  int64_t len = nd >= 1 ? br_tensor_shape(y)[0] : 1;
  if (!(nd == 1 || (nd == 2 && br_tensor_shape(y)[1] == 1)) || len != n)
    return br_error_set(BR_ERR_SHAPE, "%s: y must hold %lld values (one per row of X), got %lld", fn,
                        (long long)n, (long long)br_tensor_numel(y));
  double *v = br_alloc("model", (size_t)n, sizeof *v);
  if (!v) return br_error_set(BR_ERR_NOMEM, "%s: out of memory", fn);
  const double *p = br_tensor_data(y);
  int64_t st = br_tensor_strides(y)[0];
  for (int64_t i = 0; i < n; i++) {
    v[i] = p[i * st];
    if (!isfinite(v[i])) {
      br_free(v);
      return br_error_set(BR_ERR_NUMERIC, "%s: y holds %s at row %lld", fn, nonfinite(p[i * st]), (long long)i + 1);
    }
  }
  *out = v;
  return BR_OK;
}

/* ---- linear regression ---- */

static br_status fit_linear(br_model *m, const double *X, const double *y, int64_t n, int64_t d) {
  int N = (int)n, D = (int)d, info = 0, one = 1;
  double *xm = br_calloc("model", (size_t)d + 1, sizeof *xm), ym = 0;
  double *Xc = br_alloc("model", mem_mul((size_t)n, (size_t)d), sizeof *Xc);
  double *yc = br_alloc("model", (size_t)((n > d ? n : d) + 1), sizeof *yc);
  double *A = br_alloc("model", mem_mul((size_t)d, (size_t)d), sizeof *A);
  double *w = br_calloc("model", (size_t)d + 1, sizeof *w);
  br_status s = BR_OK;
  if (!xm || !Xc || !yc || !A || !w) {
    s = br_error_set(BR_ERR_NOMEM, "linear: out of memory for %lld x %lld", (long long)n, (long long)d);
    goto done;
  }
  /* Centre X and y, so the intercept drops out and is never penalised. */
  if (m->intercept) {
    for (int64_t i = 0; i < n; i++) {
      for (int64_t j = 0; j < d; j++) xm[j] += X[i * d + j];
      ym += y[i];
    }
    for (int64_t j = 0; j < d; j++) xm[j] /= (double)n;
    ym /= (double)n;
  }
  for (int64_t i = 0; i < n; i++) {
    for (int64_t j = 0; j < d; j++) Xc[i * d + j] = X[i * d + j] - xm[j];
    yc[i] = y[i] - ym;
  }
  if (d == 0) goto intercept;
  /* Normal equations: (Xc'Xc + l2 I) w = Xc'yc. Row-major upper = column-major lower. */
  cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, D, N, 1.0, Xc, D, 0.0, A, D);
  for (int64_t j = 0; j < d; j++) A[j * d + j] += m->l2;
  cblas_dgemv(CblasRowMajor, CblasTrans, N, D, 1.0, Xc, D, yc, 1, 0.0, w, 1);
  double anorm = 0; /* 1-norm of the symmetric A, for the condition estimate */
  for (int64_t j = 0; j < d; j++) {
    double col = 0;
    for (int64_t i = 0; i < d; i++) col += fabs(i <= j ? A[i * d + j] : A[j * d + i]);
    anorm = col > anorm ? col : anorm;
  }
  dpotrf_("L", &D, A, &D, &info);
  double rcond = 0;
  if (info == 0) {
    double *work = br_alloc("model", mem_mul((size_t)d, 3), sizeof *work);
    int *iwork = br_alloc("model", (size_t)d, sizeof *iwork);
    if (work && iwork) dpocon_("L", &D, A, &D, &anorm, &rcond, work, iwork, &info);
    br_free(work);
    br_free(iwork);
  }
  /* Squaring the condition number in X'X costs digits: trust Cholesky only
   * while rcond(X'X) leaves ~8 good digits, else solve by pivoted QR. */
  if (info == 0 && rcond > 1e-8) {
    dpotrs_("L", &D, &one, A, &D, w, &D, &info);
    /* One step of iterative refinement: the normal equations square X's
     * condition number; solving again for the residual's correction wins
     * back the digits lost (agreement with lstsq went 8e-7 -> ~1e-10). */
    double *r = br_alloc("model", (size_t)(n > d ? n : d), sizeof *r), *delta = br_alloc("model", (size_t)d, sizeof *delta);
    if (r && delta) {
      for (int64_t i = 0; i < n; i++) r[i] = yc[i];
      cblas_dgemv(CblasRowMajor, CblasNoTrans, N, D, -1.0, Xc, D, w, 1, 1.0, r, 1); /* yc - Xc w */
      cblas_dgemv(CblasRowMajor, CblasTrans, N, D, 1.0, Xc, D, r, 1, 0.0, delta, 1);
      for (int64_t j = 0; j < d; j++) delta[j] -= m->l2 * w[j];
      dpotrs_("L", &D, &one, A, &D, delta, &D, &info);
      for (int64_t j = 0; j < d; j++) w[j] += delta[j];
    }
    br_free(r);
    br_free(delta);
  } else {
    if (m->l2 > 0) { /* ridge: QR on the augmented system [Xc; sqrt(l2) I] */
      double *Aug = br_calloc("model", mem_mul((size_t)(n + d), (size_t)d), sizeof *Aug), *b = br_calloc("model", (size_t)(n + d), sizeof *b);
      if (!Aug || !b) {
        br_free(Aug);
        br_free(b);
        s = br_error_set(BR_ERR_NOMEM, "linear: out of memory");
        goto done;
      }
      /* column-major (n+d) x d */
      for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) Aug[j * (n + d) + i] = Xc[i * d + j];
      for (int64_t j = 0; j < d; j++) Aug[j * (n + d) + n + j] = sqrt(m->l2);
      memcpy(b, yc, (size_t)n * sizeof *b);
      br_free(Xc);
      Xc = Aug;
      br_free(yc);
      yc = b;
      N = (int)(n + d);
    } else {
      /* column-major n x d copy of Xc */
      double *cm = br_alloc("model", mem_mul((size_t)n, (size_t)d), sizeof *cm);
      if (!cm) {
        s = br_error_set(BR_ERR_NOMEM, "linear: out of memory");
        goto done;
      }
      for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < d; j++) cm[j * n + i] = Xc[i * d + j];
      br_free(Xc);
      Xc = cm;
    }
    int ldb = N > D ? N : D, rank = 0, lwork = -1;
    int *jpvt = br_calloc("model", (size_t)d, sizeof *jpvt);
    double q, rc = 1e-10;
    double *bb = br_calloc("model", (size_t)ldb, sizeof *bb);
    if (!jpvt || !bb) {
      br_free(jpvt);
      br_free(bb);
      s = br_error_set(BR_ERR_NOMEM, "linear: out of memory");
      goto done;
    }
    memcpy(bb, yc, (size_t)N * sizeof *bb);
    dgelsy_(&N, &D, &one, Xc, &N, bb, &ldb, jpvt, &rc, &rank, &q, &lwork, &info);
    lwork = (int)q;
    if (lwork < 1) lwork = 1; /* LAPACK's own minimum for the call, not a size guard */
    double *work = br_alloc("model", (size_t)lwork, sizeof *work);
    if (work) dgelsy_(&N, &D, &one, Xc, &N, bb, &ldb, jpvt, &rc, &rank, work, &lwork, &info);
    br_free(work);
    br_free(jpvt);
    if (!work || info != 0) {
      br_free(bb);
      s = br_error_set(BR_ERR_NUMERIC, "linear: least squares failed (LAPACK dgelsy info %d)", info);
      goto done;
    }
    if (rank < D) {
      br_free(bb);
      s = br_error_set(BR_ERR_NUMERIC,
                       "linear: X is rank deficient (rank %d of %d columns): a column is constant or a "
                       "combination of others; drop it, or set l2 > 0",
                       rank, D);
      goto done;
    }
    memcpy(w, bb, (size_t)d * sizeof *w);
    br_free(bb);
  }
intercept:
  m->b = 0;
  if (m->intercept) {
    m->b = ym;
    for (int64_t j = 0; j < d; j++) m->b -= xm[j] * w[j];
  }
  br_free(m->w);
  m->w = w;
  w = NULL;
  m->d = d;
  m->fitted = 1;
  m->iterations = 0;
done:
  br_free(xm);
  br_free(Xc);
  br_free(yc);
  br_free(A);
  br_free(w);
  return s;
}

/* ---- logistic regression ---- */

typedef struct logit_ctx {
  const double *X, *y;
  int64_t n, d;
  double l2;
  int intercept;
  double *z; /* n scratch */
} logit_ctx;

/* log(1 + e^z) without overflow */
static double softplus(double z) { return z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)); }
static double sigmoid(double z) { return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z)); }

/* sum_i [log(1 + e^z_i) - y_i z_i] + l2/2 |w|^2, with z = X w + b */
static double logit_objective(void *vctx, const double *theta, double *grad) {
  logit_ctx *c = vctx;
  int N = (int)c->n, D = (int)c->d;
  double b = c->intercept ? theta[c->d] : 0, f = 0, gb = 0;
  if (D > 0) cblas_dgemv(CblasRowMajor, CblasNoTrans, N, D, 1.0, c->X, D, theta, 1, 0.0, c->z, 1);
  else memset(c->z, 0, (size_t)c->n * sizeof *c->z);
  for (int64_t i = 0; i < c->n; i++) {
    double z = c->z[i] + b;
    f += softplus(z) - c->y[i] * z;
    c->z[i] = sigmoid(z) - c->y[i]; /* now the residual p - y */
    gb += c->z[i];
  }
  for (int64_t j = 0; j < c->d; j++) f += 0.5 * c->l2 * theta[j] * theta[j];
  if (D > 0) cblas_dgemv(CblasRowMajor, CblasTrans, N, D, 1.0, c->X, D, c->z, 1, 0.0, grad, 1);
  for (int64_t j = 0; j < c->d; j++) grad[j] += c->l2 * theta[j];
  if (c->intercept) grad[c->d] = gb;
  return f;
}

static br_status fit_logistic(br_model *m, const double *X, const double *y, int64_t n, int64_t d) {
  for (int64_t i = 0; i < n; i++)
    if (y[i] != 0 && y[i] != 1)
      return br_error_set(BR_ERR_ARG, "logistic: y must be 0 or 1 (row %lld is %g)", (long long)i + 1, y[i]);
  int64_t k = d + (m->intercept ? 1 : 0);
  double *theta = br_calloc("model", (size_t)k + 1, sizeof *theta);
  double *z = br_alloc("model", (size_t)n, sizeof *z);
  if (!theta || !z) {
    br_free(theta);
    br_free(z);
    return br_error_set(BR_ERR_NOMEM, "logistic: out of memory");
  }
  logit_ctx c = {X, y, n, d, m->l2, m->intercept, z};
  br_lbfgs_options o;
  br_lbfgs_options_init(&o);
  o.max_iter = m->max_iter;
  o.gtol = m->tol;
  o.ftol = 0; /* stop on the gradient, as scikit-learn's lbfgs does on pgtol */
  br_lbfgs_result r;
  br_status s = br_lbfgs(logit_objective, &c, (size_t)k, theta, &o, &r);
  br_free(z);
  if (s != BR_OK) {
    br_free(theta);
    br_error_prefix("logistic");
    return s;
  }
  br_free(m->w);
  m->w = theta;
  m->b = m->intercept ? theta[d] : 0;
  m->d = d;
  m->fitted = 1;
  m->iterations = r.iterations;
  m->unconverged = !r.converged;
  m->why[0] = '\0';
  if (!r.converged)
    snprintf(m->why, sizeof m->why,
             "L-BFGS stopped at max_iter (%d iterations) before the gradient fell below tol %g; "
             "raise max_iter, standardise X or add l2",
             r.iterations, m->tol);
  return BR_OK;
}

br_status br_model_fit(br_model *m, const br_tensor *X, const br_tensor *y) {
  if (m->kind == BR_MODEL_GBDT) return br_gbdt_fit(m, X, y, NULL, NULL, NULL);
  const char *fn = m->kind == BR_MODEL_LINEAR ? "linear: fit" : m->kind == BR_MODEL_LOGISTIC ? "logistic: fit" : "mlp: fit";
  br_tensor *xc = NULL;
  int64_t n, d;
  double *yv = NULL;
  br_status s = model_check_x(fn, X, &xc, &n, &d);
  if (s != BR_OK) return s;
  if (n == 0) s = br_error_set(BR_ERR_SHAPE, "%s: X has no rows", fn);
  if (s == BR_OK) s = model_check_y(fn, y, n, &yv);
  if (s == BR_OK) {
    s = m->kind == BR_MODEL_LINEAR     ? fit_linear(m, br_tensor_data(xc), yv, n, d)
        : m->kind == BR_MODEL_LOGISTIC ? fit_logistic(m, br_tensor_data(xc), yv, n, d)
                                       : mlp_fit(m, br_tensor_data(xc), yv, n, d);
  }
  br_free(yv);
  br_tensor_free(xc);
  return s;
}

/* z = X w + b for each row. */
static br_status linear_scores(br_tensor **out, const br_model *m, const br_tensor *X, const char *fn) {
  if (!m->fitted) return br_error_set(BR_ERR_STATE, "%s: the model is not fitted (call fit first)", fn);
  br_tensor *xc = NULL;
  int64_t n, d;
  br_status s = model_check_x(fn, X, &xc, &n, &d);
  if (s != BR_OK) return s;
  if (d != m->d) {
    br_tensor_free(xc);
    return br_error_set(BR_ERR_SHAPE, "%s: X has %lld columns, the model was fitted on %lld", fn,
                        (long long)d, (long long)m->d);
  }
  br_tensor *z = NULL;
  if ((s = br_tensor_empty(&z, 1, &n)) == BR_OK) {
    double *p = br_tensor_data(z);
    if (n > 0 && d > 0)
      cblas_dgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)d, 1.0, br_tensor_data(xc), (int)d, m->w, 1, 0.0, p, 1);
    else
      memset(p, 0, (size_t)n * sizeof *p);
    for (int64_t i = 0; i < n; i++) p[i] += m->b;
    *out = z;
  }
  br_tensor_free(xc);
  return s;
}

br_status br_model_predict(br_tensor **out, const br_model *m, const br_tensor *X) {
  if (m->kind == BR_MODEL_MLP) return mlp_predict(out, m, X, 0);
  if (m->kind == BR_MODEL_GBDT) return br_gbdt_predict(out, m, X, NULL);
  br_tensor *z = NULL;
  br_status s = linear_scores(&z, m, X, m->kind == BR_MODEL_LINEAR ? "linear: predict" : "logistic: predict");
  if (s != BR_OK) return s;
  if (m->kind == BR_MODEL_LOGISTIC) {
    double *p = br_tensor_data(z);
    for (int64_t i = 0, n = br_tensor_numel(z); i < n; i++) p[i] = p[i] >= 0; /* p >= 0.5 */
  }
  *out = z;
  return BR_OK;
}

br_status br_model_predict_proba(br_tensor **out, const br_model *m, const br_tensor *X) {
  if (m->kind == BR_MODEL_MLP) return mlp_predict(out, m, X, 1);
  /* a logistic GBDT predicts probabilities already */
  if (m->kind == BR_MODEL_GBDT && br_gbdt_options_of(m)->objective == BR_GBDT_LOGISTIC)
    return br_gbdt_predict(out, m, X, NULL);
  if (m->kind != BR_MODEL_LOGISTIC)
    return br_error_set(BR_ERR_ARG, "%s: predict_proba is for classifiers (logistic)", kind_names[m->kind]);
  br_tensor *z = NULL;
  br_status s = linear_scores(&z, m, X, "logistic: predict_proba");
  if (s != BR_OK) return s;
  double *p = br_tensor_data(z);
  for (int64_t i = 0, n = br_tensor_numel(z); i < n; i++) p[i] = sigmoid(p[i]);
  *out = z;
  return BR_OK;
}

br_status br_model_coef(br_tensor **weights, double *intercept, const br_model *m) {
  if (m->kind == BR_MODEL_GBDT)
    return br_error_set(BR_ERR_ARG, "gbdt: coef is for linear models; use contributions");
  if (m->kind == BR_MODEL_MLP)
    return br_error_set(BR_ERR_ARG, "mlp: coef is for linear models; use params");
  if (!m->fitted)
    return br_error_set(BR_ERR_STATE, "%s: coef: the model is not fitted (call fit first)", kind_names[m->kind]);
  int64_t d = m->d;
  br_status s = br_tensor_from_data(weights, 1, &d, m->w);
  if (s == BR_OK && intercept) *intercept = m->b;
  return s;
}
