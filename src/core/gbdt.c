/* Gradient-boosted trees through XGBoost's C API (bundle/gbdt.h).
 *
 * The model keeps XGBoost's booster handle; the tensors cross as float32
 * row-major matrices (XGBoost's own precision), and the booster is saved
 * inside the project's model file as XGBoost's UBJSON bytes, so one
 * loader, one checksum and one version check cover every model kind.
 * Without BR_HAVE_XGBOOST (no libxgboost-dev at build time) the same
 * functions exist and fail with a message saying how to get them. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/gbdt.h"
#include "bundle/deadline.h"
#include "model_internal.h"

#ifdef BR_HAVE_XGBOOST
#include <xgboost/c_api.h>
#include "bundle/memory.h"
#endif

#define NO_XGBOOST "gbdt: this build has no XGBoost (install libxgboost-dev and rebuild)"

static const char *const objective_names[] = {"binary:logistic", "reg:squarederror"};

br_status br_gbdt_objective_parse(br_gbdt_objective *o, const char *s) {
  for (int i = 0; i < BR_GBDT_OBJECTIVE_COUNT; i++)
    if (strcmp(s, objective_names[i]) == 0) {
      *o = (br_gbdt_objective)i;
      return BR_OK;
    }
  return br_error_set(BR_ERR_ARG, "unknown objective '%s' (binary:logistic, reg:squarederror)", s);
}

const char *br_gbdt_objective_name(br_gbdt_objective o) {
  return (unsigned)o < BR_GBDT_OBJECTIVE_COUNT ? objective_names[o] : "?";
}

void br_gbdt_options_init(br_gbdt_options *o) {
  *o = (br_gbdt_options){.trees = 100, .depth = 4, .eta = 0.1, .objective = BR_GBDT_LOGISTIC, .subsample = 1,
                         .colsample = 1, .min_child_weight = 1, .lambda = 1, .seed = 0, .threads = 1};
}

int br_gbdt_available(void) {
#ifdef BR_HAVE_XGBOOST
  return 1;
#else
  return 0;
#endif
}

struct gbdt_state {
  br_gbdt_options o;
  int64_t d;     /* features of the fit (0 before) */
  char **names;  /* d names, malloc'd */
#ifdef BR_HAVE_XGBOOST
  BoosterHandle booster;
#endif
};

static void free_names(gbdt_state *s) {
  if (s->names)
    for (int64_t j = 0; j < s->d; j++) br_free(s->names[j]);
  br_free(s->names);
  s->names = NULL;
}

void gbdt_free(gbdt_state *s) {
  if (!s) return;
#ifdef BR_HAVE_XGBOOST
  if (s->booster) XGBoosterFree(s->booster);
#endif
  free_names(s);
  br_free(s);
}

const br_gbdt_options *br_gbdt_options_of(const br_model *m) {
  static br_gbdt_options none; /* zeroes for a model of another kind */
  return m->kind == BR_MODEL_GBDT ? &m->gbdt->o : &none;
}

int64_t br_gbdt_nfeatures(const br_model *m) { return m->kind == BR_MODEL_GBDT && m->fitted ? m->gbdt->d : 0; }

const char *br_gbdt_feature_name(const br_model *m, int64_t j) {
  if (m->kind != BR_MODEL_GBDT || !m->fitted || j < 0 || j >= m->gbdt->d) return NULL;
  return m->gbdt->names[j];
}

static br_status check_options(const br_gbdt_options *o) {
  if (o->trees < 1 || o->trees > 100000) return br_error_set(BR_ERR_ARG, "gbdt: trees %d must be in 1..100000", o->trees);
  if (o->depth < 1 || o->depth > 30) return br_error_set(BR_ERR_ARG, "gbdt: depth %d must be in 1..30", o->depth);
  if (!(o->eta > 0 && o->eta <= 1)) return br_error_set(BR_ERR_ARG, "gbdt: eta %g must be in (0, 1]", o->eta);
  if (!(o->subsample > 0 && o->subsample <= 1))
    return br_error_set(BR_ERR_ARG, "gbdt: subsample %g must be in (0, 1]", o->subsample);
  if (!(o->colsample > 0 && o->colsample <= 1))
    return br_error_set(BR_ERR_ARG, "gbdt: colsample %g must be in (0, 1]", o->colsample);
  if (!(o->min_child_weight >= 0 && isfinite(o->min_child_weight)))
    return br_error_set(BR_ERR_ARG, "gbdt: min_child_weight %g must be a finite number >= 0", o->min_child_weight);
  if (!(o->lambda >= 0 && isfinite(o->lambda)))
    return br_error_set(BR_ERR_ARG, "gbdt: lambda %g must be a finite number >= 0", o->lambda);
  if (o->threads < 1 || o->threads > 1024) return br_error_set(BR_ERR_ARG, "gbdt: threads %d must be in 1..1024", o->threads);
  if ((unsigned)o->objective >= BR_GBDT_OBJECTIVE_COUNT) return br_error_set(BR_ERR_ARG, "gbdt: unknown objective");
  return BR_OK;
}

br_status br_gbdt_new(br_model **out, const br_gbdt_options *o) {
  br_gbdt_options d;
  if (!o) br_gbdt_options_init(&d), o = &d;
  br_status s = check_options(o);
  if (s != BR_OK) return s;
#ifndef BR_HAVE_XGBOOST
  (void)out;
  return br_error_set(BR_ERR_STATE, NO_XGBOOST);
#else
  br_model *m = br_calloc("gbdt", 1, sizeof *m);
  gbdt_state *g = br_calloc("gbdt", 1, sizeof *g);
  if (!m || !g) {
    br_free(m);
    br_free(g);
    return br_error_set(BR_ERR_NOMEM, "gbdt: out of memory");
  }
  g->o = *o;
  m->kind = BR_MODEL_GBDT;
  m->gbdt = g;
  *out = m;
  return BR_OK;
#endif
}

#ifndef BR_HAVE_XGBOOST

br_status br_gbdt_fit(br_model *m, const br_tensor *X, const br_tensor *y, const br_tensor *weight,
                      const br_tensor *base_margin, const char *const *feature_names) {
  (void)m, (void)X, (void)y, (void)weight, (void)base_margin, (void)feature_names;
  return br_error_set(BR_ERR_STATE, NO_XGBOOST);
}
br_status br_gbdt_predict(br_tensor **out, const br_model *m, const br_tensor *X, const br_tensor *base_margin) {
  (void)out, (void)m, (void)X, (void)base_margin;
  return br_error_set(BR_ERR_STATE, NO_XGBOOST);
}
br_status br_gbdt_contributions(br_tensor **out, const br_model *m, const br_tensor *X, const br_tensor *base_margin) {
  (void)out, (void)m, (void)X, (void)base_margin;
  return br_error_set(BR_ERR_STATE, NO_XGBOOST);
}
br_status gbdt_export(const br_model *m, unsigned char **buf, size_t *len) {
  (void)m, (void)buf, (void)len;
  return br_error_set(BR_ERR_STATE, NO_XGBOOST);
}
br_status gbdt_restore(br_model **out, const unsigned char *p, size_t len, const char *path) {
  (void)out, (void)p, (void)len, (void)path;
  return br_error_set(BR_ERR_STATE, NO_XGBOOST);
}

#else

/* XGBoost's own message after a failed call, under our prefix. */
static br_status xgb_fail(const char *fn) {
  return br_error_set(BR_ERR_NUMERIC, "%s: XGBoost: %s", fn, XGBGetLastError());
}

/* X as float32 row-major; finite values only, as for the other models. */
static br_status to_float_matrix(const char *fn, const br_tensor *X, float **out, int64_t *n, int64_t *d) {
  br_tensor *xc = NULL;
  br_status s = model_check_x(fn, X, &xc, n, d);
  if (s != BR_OK) return s;
  size_t cnt = (size_t)(*n * *d);
  float *f = br_alloc("gbdt", cnt, sizeof *f);
  if (!f) {
    br_tensor_free(xc);
    return br_error_set(BR_ERR_NOMEM, "%s: out of memory", fn);
  }
  const double *p = br_tensor_data(xc);
  for (size_t i = 0; i < cnt; i++) f[i] = (float)p[i];
  br_tensor_free(xc);
  *out = f;
  return BR_OK;
}

/* n finite values of v as float32; which names the argument in errors. */
static br_status to_float_vector(const char *fn, const char *which, const br_tensor *v, int64_t n, float **out) {
  double *dv = NULL;
  br_status s = model_check_y(fn, v, n, &dv);
  if (s != BR_OK) {
    br_error_prefix(which);
    return s;
  }
  float *f = br_alloc("gbdt", (size_t)n, sizeof *f);
  if (!f) {
    br_free(dv);
    return br_error_set(BR_ERR_NOMEM, "%s: out of memory", fn);
  }
  for (int64_t i = 0; i < n; i++) f[i] = (float)dv[i];
  br_free(dv);
  *out = f;
  return BR_OK;
}

/* A DMatrix of X, with base_margin when given. */
static br_status make_dmatrix(const char *fn, const br_model *m, const br_tensor *X, const br_tensor *base_margin,
                             DMatrixHandle *dm, int64_t *n, int64_t *d) {
  float *xf = NULL, *bm = NULL;
  br_status s = to_float_matrix(fn, X, &xf, n, d);
  if (s != BR_OK) return s;
  if (base_margin && (s = to_float_vector(fn, "base_margin", base_margin, *n, &bm)) != BR_OK) {
    br_free(xf);
    return s;
  }
  /* missing = NaN: model_check_x already refused NaN, so no value is missing */
  if (XGDMatrixCreateFromMat_omp(xf, (bst_ulong)*n, (bst_ulong)*d, NAN, dm, m->gbdt->o.threads) != 0)
    s = xgb_fail(fn);
  else if (bm && XGDMatrixSetFloatInfo(*dm, "base_margin", bm, (bst_ulong)*n) != 0) {
    s = xgb_fail(fn);
    XGDMatrixFree(*dm);
  }
  br_free(xf);
  br_free(bm);
  return s;
}

static br_status set_params(BoosterHandle b, const br_gbdt_options *o) {
  char v[64];
  struct { const char *k; double x; int integer; } p[] = {
      {"max_depth", o->depth, 1},        {"eta", o->eta, 0},          {"subsample", o->subsample, 0},
      {"colsample_bytree", o->colsample, 0}, {"min_child_weight", o->min_child_weight, 0},
      {"lambda", o->lambda, 0},          {"nthread", o->threads, 1},
  };
  for (size_t i = 0; i < sizeof p / sizeof *p; i++) {
    if (p[i].integer) snprintf(v, sizeof v, "%d", (int)p[i].x);
    else snprintf(v, sizeof v, "%.17g", p[i].x);
    if (XGBoosterSetParam(b, p[i].k, v) != 0) return xgb_fail("gbdt");
  }
  snprintf(v, sizeof v, "%llu", (unsigned long long)o->seed);
  if (XGBoosterSetParam(b, "seed", v) != 0 || XGBoosterSetParam(b, "objective", objective_names[o->objective]) != 0 ||
      /* exact greedy splits would be slower and differ from python's default "hist"
       * only in speed; hist is XGBoost's recommended method and the bench's */
      XGBoosterSetParam(b, "tree_method", "hist") != 0 || XGBoosterSetParam(b, "verbosity", "0") != 0)
    return xgb_fail("gbdt");
  return BR_OK;
}

static char *dup_str(const char *s) {
  size_t n = strlen(s) + 1;
  char *c = br_alloc("gbdt", n, 1);
  if (c) memcpy(c, s, n);
  return c;
}

/* names (d strings, or NULL for f1..fd) copied into a new array */
static char **copy_names(const char *const *names, int64_t d) {
  char **c = br_calloc("gbdt", (size_t)d, sizeof *c);
  if (!c) return NULL;
  for (int64_t j = 0; j < d; j++) {
    char buf[32];
    if (!names) snprintf(buf, sizeof buf, "f%lld", (long long)j + 1);
    if (!(c[j] = dup_str(names ? names[j] : buf))) {
      for (int64_t k = 0; k < j; k++) br_free(c[k]);
      br_free(c);
      return NULL;
    }
  }
  return c;
}

/* XGBoost allocates with its own malloc, out of the memory budget's sight:
 * a fit on 1e6 x 10 held 160 MB there (272 MB peak RSS under a 150 MB
 * limit). Its main blocks are reserved from the budget for the call's
 * length instead, as bytes per cell and per row: the DMatrix's sparse
 * page (index and value, 8 bytes a cell), the histogram index (up to 4)
 * and, per row, labels, weights, margins, gradient pairs, the prediction
 * cache and the row partition; a prediction also gets its result buffer. */
#define XGB_FIT_CELL 16
#define XGB_FIT_ROW 48
#define XGB_PREDICT_CELL 8
#define XGB_PREDICT_ROW 16

static int64_t xgb_estimate(const br_tensor *X, int64_t cell, int64_t row) {
  int64_t rows = br_tensor_size(X, 0), cells = br_tensor_numel(X);
  if (rows < 0) rows = 0;
  if (cells > INT64_MAX / (2 * cell) || rows > INT64_MAX / (2 * row)) return INT64_MAX / 2; /* refused by the budget */
  return cells * cell + rows * row;
}

static br_status fit_body(br_model *m, const br_tensor *X, const br_tensor *y, const br_tensor *weight,
                          const br_tensor *base_margin, const char *const *feature_names);

br_status br_gbdt_fit(br_model *m, const br_tensor *X, const br_tensor *y, const br_tensor *weight,
                      const br_tensor *base_margin, const char *const *feature_names) {
  int64_t held = xgb_estimate(X, XGB_FIT_CELL, XGB_FIT_ROW);
  br_status s = br_mem_reserve("gbdt: fit", held);
  if (s != BR_OK) return s;
  s = fit_body(m, X, y, weight, base_margin, feature_names);
  br_mem_release(held);
  return s;
}

static br_status fit_body(br_model *m, const br_tensor *X, const br_tensor *y, const br_tensor *weight,
                          const br_tensor *base_margin, const char *const *feature_names) {
  const char *fn = "gbdt: fit";
  if (m->kind != BR_MODEL_GBDT) return br_error_set(BR_ERR_ARG, "%s: the model is not a gbdt", fn);
  gbdt_state *g = m->gbdt;
  DMatrixHandle dm = NULL;
  BoosterHandle b = NULL;
  float *yf = NULL, *wf = NULL;
  char **names = NULL;
  int64_t n, d;
  br_status s = make_dmatrix(fn, m, X, base_margin, &dm, &n, &d);
  if (s != BR_OK) return s;
  if (n == 0) {
    s = br_error_set(BR_ERR_SHAPE, "%s: X has no rows", fn);
    goto cleanup;
  }
  if ((s = to_float_vector(fn, "y", y, n, &yf)) != BR_OK) goto cleanup;
  if (g->o.objective == BR_GBDT_LOGISTIC)
    for (int64_t i = 0; i < n; i++)
      if (!(yf[i] >= 0 && yf[i] <= 1)) {
        s = br_error_set(BR_ERR_ARG, "%s: binary:logistic needs labels in [0, 1]; y[%lld] is %g", fn,
                         (long long)i + 1, yf[i]);
        goto cleanup;
      }
  if (weight) {
    if ((s = to_float_vector(fn, "weight", weight, n, &wf)) != BR_OK) goto cleanup;
    for (int64_t i = 0; i < n; i++)
      if (wf[i] < 0) {
        s = br_error_set(BR_ERR_ARG, "%s: weight[%lld] is %g; weights must be >= 0", fn, (long long)i + 1, wf[i]);
        goto cleanup;
      }
  }
  if (XGDMatrixSetFloatInfo(dm, "label", yf, (bst_ulong)n) != 0 ||
      (wf && XGDMatrixSetFloatInfo(dm, "weight", wf, (bst_ulong)n) != 0) || XGBoosterCreate(&dm, 1, &b) != 0) {
    s = xgb_fail(fn);
    goto cleanup;
  }
  if ((s = set_params(b, &g->o)) != BR_OK) goto cleanup;
  /* the deadline between trees: 1e5 deep trees are minutes in XGBoost,
   * which knows no deadline of ours; one tree is the step we cannot cut */
  for (int it = 0; it < g->o.trees; it++) {
    if (it > 0 && br_deadline_passed()) {
      s = br_deadline_stop(fn, it, "trees grown");
      goto cleanup;
    }
    if (XGBoosterUpdateOneIter(b, it, dm) != 0) {
      s = xgb_fail(fn);
      goto cleanup;
    }
  }
  if (!(names = copy_names(feature_names, d))) {
    s = br_error_set(BR_ERR_NOMEM, "%s: out of memory", fn);
    goto cleanup;
  }
  /* commit: the old booster and names go only once the new ones exist */
  XGBoosterFree(g->booster);
  free_names(g);
  g->booster = b;
  b = NULL;
  g->names = names;
  g->d = d;
  m->d = d;
  m->fitted = 1;
  m->iterations = g->o.trees;
cleanup:
  if (b) XGBoosterFree(b);
  XGDMatrixFree(dm);
  br_free(yf);
  br_free(wf);
  return s;
}

static br_status predict_body(br_tensor **out, const br_model *m, const br_tensor *X, const br_tensor *base_margin,
                              int type, const char *fn);

/* type: 0 predictions, 2 exact contributions; XGBoost's blocks reserved
 * from the budget meanwhile (see XGB_FIT_CELL) */
static br_status predict_type(br_tensor **out, const br_model *m, const br_tensor *X, const br_tensor *base_margin,
                              int type, const char *fn) {
  int64_t cols = type == 0 ? 1 : br_tensor_size(X, 1) + 1;
  int64_t held = xgb_estimate(X, XGB_PREDICT_CELL, XGB_PREDICT_ROW + 4 * (cols > 1 ? cols : 1));
  br_status s = br_mem_reserve(fn, held);
  if (s != BR_OK) return s;
  s = predict_body(out, m, X, base_margin, type, fn);
  br_mem_release(held);
  return s;
}

static br_status predict_body(br_tensor **out, const br_model *m, const br_tensor *X, const br_tensor *base_margin,
                              int type, const char *fn) {
  if (m->kind != BR_MODEL_GBDT) return br_error_set(BR_ERR_ARG, "%s: the model is not a gbdt", fn);
  if (!m->fitted) return br_error_set(BR_ERR_STATE, "%s: the model is not fitted (call fit first)", fn);
  DMatrixHandle dm = NULL;
  int64_t n, d;
  br_status s = make_dmatrix(fn, m, X, base_margin, &dm, &n, &d);
  if (s != BR_OK) return s;
  if (d != m->d) {
    XGDMatrixFree(dm);
    return br_error_set(BR_ERR_SHAPE, "%s: X has %lld columns, the model was fitted on %lld", fn, (long long)d,
                        (long long)m->d);
  }
  char cfg[160];
  snprintf(cfg, sizeof cfg,
           "{\"type\": %d, \"training\": false, \"iteration_begin\": 0, \"iteration_end\": 0, \"strict_shape\": false}",
           type);
  const bst_ulong *shape = NULL;
  bst_ulong dim = 0;
  const float *res = NULL;
  if (XGBoosterPredictFromDMatrix(m->gbdt->booster, dm, cfg, &shape, &dim, &res) != 0) {
    s = xgb_fail(fn);
    XGDMatrixFree(dm);
    return s;
  }
  int64_t cols = type == 0 ? 1 : d + 1;
  size_t total = 1;
  for (bst_ulong k = 0; k < dim; k++) total *= (size_t)shape[k];
  if (total != (size_t)(n * cols)) {
    XGDMatrixFree(dm);
    return br_error_set(BR_ERR_STATE, "%s: XGBoost returned %zu values for %lld rows", fn, total, (long long)n);
  }
  br_tensor *t = NULL;
  int64_t sh[2] = {n, cols};
  if ((s = br_tensor_empty(&t, type == 0 ? 1 : 2, sh)) == BR_OK) {
    double *p = br_tensor_data(t);
    for (size_t i = 0; i < total; i++) p[i] = res[i];
    *out = t;
  }
  XGDMatrixFree(dm);
  return s;
}

br_status br_gbdt_predict(br_tensor **out, const br_model *m, const br_tensor *X, const br_tensor *base_margin) {
  return predict_type(out, m, X, base_margin, 0, "gbdt: predict");
}

br_status br_gbdt_contributions(br_tensor **out, const br_model *m, const br_tensor *X, const br_tensor *base_margin) {
  return predict_type(out, m, X, base_margin, 2, "gbdt: contributions");
}

/* ---- the payload inside the model file ----
 * i32 trees, depth, objective, threads; f64 eta, subsample, colsample,
 * min_child_weight, lambda; u64 seed; i64 d; d x (u32 length, bytes) names;
 * u64 length, XGBoost's UBJSON model bytes. Little-endian, as model_io.c. */


br_status gbdt_export(const br_model *m, unsigned char **buf, size_t *len) {
  const gbdt_state *g = m->gbdt;
  bst_ulong rlen = 0;
  const char *raw = NULL;
  if (XGBoosterSaveModelToBuffer(g->booster, "{\"format\": \"ubj\"}", &rlen, &raw) != 0) return xgb_fail("save");
  br_bytes b = {0};
  int32_t i32[4] = {g->o.trees, g->o.depth, (int32_t)g->o.objective, g->o.threads};
  double f64[5] = {g->o.eta, g->o.subsample, g->o.colsample, g->o.min_child_weight, g->o.lambda};
  uint64_t seed = g->o.seed, rl = rlen;
  int64_t d = g->d;
  br_bytes_put(&b, i32, sizeof i32);
  br_bytes_put(&b, f64, sizeof f64);
  br_bytes_put(&b, &seed, 8);
  br_bytes_put(&b, &d, 8);
  for (int64_t j = 0; j < d; j++) {
    uint32_t l = (uint32_t)strlen(g->names[j]);
    br_bytes_put(&b, &l, 4);
    br_bytes_put(&b, g->names[j], l);
  }
  br_bytes_put(&b, &rl, 8);
  br_bytes_put(&b, raw, (size_t)rlen);
  if (b.failed) {
    br_free(b.p);
    return br_error_set(BR_ERR_NOMEM, "save: out of memory");
  }
  *buf = b.p;
  *len = b.len;
  return BR_OK;
}

br_status gbdt_restore(br_model **out, const unsigned char *p, size_t len, const char *path) {
  size_t at = 0;
#define TAKE(dst, n)                                                                                  \
  do {                                                                                                \
    if (len - at < (size_t)(n)) return br_error_set(BR_ERR_PARSE, "load: %s: the gbdt payload is truncated", path); \
    memcpy((dst), p + at, (size_t)(n));                                                               \
    at += (size_t)(n);                                                                                \
  } while (0)
  int32_t i32[4];
  double f64[5];
  uint64_t seed, rl;
  int64_t d;
  TAKE(i32, sizeof i32);
  TAKE(f64, sizeof f64);
  TAKE(&seed, 8);
  TAKE(&d, 8);
  br_gbdt_options o = {.trees = i32[0], .depth = i32[1], .objective = (br_gbdt_objective)i32[2], .threads = i32[3],
                       .eta = f64[0], .subsample = f64[1], .colsample = f64[2], .min_child_weight = f64[3],
                       .lambda = f64[4], .seed = seed};
  /* every name takes at least its 4-byte length: d cannot exceed that */
  if (d < 1 || (uint64_t)d > (len - at) / 4) return br_error_set(BR_ERR_PARSE, "load: %s: the gbdt feature count does not fit the file", path);
  br_model *m = NULL;
  br_status s = br_gbdt_new(&m, &o);
  if (s != BR_OK) {
    br_error_prefix("load: bad gbdt options");
    return s;
  }
  gbdt_state *g = m->gbdt;
  if (!(g->names = br_calloc("gbdt", (size_t)d, sizeof *g->names))) {
    br_model_free(m);
    return br_error_set(BR_ERR_NOMEM, "load: out of memory");
  }
  g->d = d; /* free_names frees what was read so far */
  for (int64_t j = 0; j < d; j++) {
    uint32_t l;
    if (len - at < 4 || (memcpy(&l, p + at, 4), at += 4, len - at < l) || !(g->names[j] = br_alloc("gbdt", (size_t)l + 1, 1))) {
      br_model_free(m);
      return br_error_set(BR_ERR_PARSE, "load: %s: the gbdt feature names do not fit the file", path);
    }
    memcpy(g->names[j], p + at, l);
    g->names[j][l] = 0;
    at += l;
  }
  if (len - at < 8 || (memcpy(&rl, p + at, 8), at += 8, rl != len - at)) {
    br_model_free(m);
    return br_error_set(BR_ERR_PARSE, "load: %s: the XGBoost model bytes do not fit the file", path);
  }
  if (XGBoosterCreate(NULL, 0, &g->booster) != 0 || XGBoosterLoadModelFromBuffer(g->booster, p + at, (bst_ulong)rl) != 0) {
    s = br_error_set(BR_ERR_PARSE, "load: %s: XGBoost refused the model: %s", path, XGBGetLastError());
    br_model_free(m);
    return s;
  }
  /* the thread count is this process's choice, not the file's */
  char v[16];
  snprintf(v, sizeof v, "%d", o.threads);
  XGBoosterSetParam(g->booster, "nthread", v);
  m->d = d;
  m->fitted = 1;
  m->iterations = o.trees;
  *out = m;
  return BR_OK;
#undef TAKE
}

#endif
