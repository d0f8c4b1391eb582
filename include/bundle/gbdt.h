/* bundle/gbdt.h — gradient-boosted trees through XGBoost's C API.
 *
 *     br_gbdt_options o;  br_gbdt_options_init(&o);
 *     br_model *m = NULL;
 *     if (br_gbdt_new(&m, &o) != BR_OK) puts(br_last_error());
 *     br_gbdt_fit(m, X, y, weight, NULL, NULL);
 *     br_tensor *p = NULL, *phi = NULL;
 *     br_model_predict(&p, m, X);          probabilities (binary:logistic) or values
 *     br_gbdt_contributions(&phi, m, X, NULL);
 *     br_model_save(m, "m.brm");           the model file format of bundle/model.h
 *     br_model_free(m);
 *
 * A GBDT is a br_model of kind BR_MODEL_GBDT: br_model_predict,
 * br_model_save, br_model_load and br_model_free apply to it. Builds without
 * libxgboost compile this interface too; every call that needs XGBoost then
 * fails with "gbdt: this build has no XGBoost (install libxgboost-dev and
 * rebuild)", so a caller never needs #ifdefs. */
#ifndef BUNDLE_GBDT_H
#define BUNDLE_GBDT_H

#include <stdint.h>

#include "bundle/model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum br_gbdt_objective { BR_GBDT_LOGISTIC, BR_GBDT_SQUARED, BR_GBDT_OBJECTIVE_COUNT } br_gbdt_objective;
/* "binary:logistic" or "reg:squarederror" (XGBoost's names). */
br_status br_gbdt_objective_parse(br_gbdt_objective *o, const char *s);
const char *br_gbdt_objective_name(br_gbdt_objective o);

typedef struct br_gbdt_options {
  int trees;               /* boosting rounds (default 100) */
  int depth;               /* max_depth (default 4) */
  double eta;              /* learning rate (default 0.1) */
  br_gbdt_objective objective; /* default binary:logistic */
  double subsample;        /* row share per tree, (0, 1] (default 1) */
  double colsample;        /* column share per tree, (0, 1] (default 1) */
  double min_child_weight; /* default 1 */
  double lambda;           /* L2 on leaf weights (default 1) */
  uint64_t seed;           /* default 0 */
  int threads;             /* XGBoost's nthread (default 1: the caller owns parallelism) */
} br_gbdt_options;
void br_gbdt_options_init(br_gbdt_options *o);

/* 1 when this build links XGBoost. */
int br_gbdt_available(void);

/* A new unfitted model. Options out of range are BR_ERR_ARG; a build
 * without XGBoost is BR_ERR_STATE. */
br_status br_gbdt_new(br_model **out, const br_gbdt_options *o);

/* Fits on X (n x d) and y (n; in [0, 1] under binary:logistic, where a
 * share such as 3 completions of 8 is a valid label). weight (n values
 * >= 0) and base_margin (n values, on the margin scale) may be NULL;
 * feature_names is NULL or d strings, which the model copies. Refitting
 * replaces the trees. */
br_status br_gbdt_fit(br_model *m, const br_tensor *X, const br_tensor *y, const br_tensor *weight,
                      const br_tensor *base_margin, const char *const *feature_names);

/* Predictions with an optional per-row base_margin (NULL: none; give the
 * same offsets the fit used). */
br_status br_gbdt_predict(br_tensor **out, const br_model *m, const br_tensor *X, const br_tensor *base_margin);

/* XGBoost's exact per-feature contributions (TreeSHAP, pred_contribs):
 * n x (d + 1), the last column the bias; each row sums to the prediction on
 * the margin scale (log-odds under binary:logistic). The caller owns *out. */
br_status br_gbdt_contributions(br_tensor **out, const br_model *m, const br_tensor *X, const br_tensor *base_margin);

/* Feature count and names of a fitted model ("f1", "f2", ... when fit was
 * given none). The pointer lives as long as the model or its next fit. */
int64_t br_gbdt_nfeatures(const br_model *m);
const char *br_gbdt_feature_name(const br_model *m, int64_t j);
/* The options the model was made with. */
const br_gbdt_options *br_gbdt_options_of(const br_model *m);

#ifdef __cplusplus
}
#endif
#endif
