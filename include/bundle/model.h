/* bundle/model.h — models that predict how a bundle sells: linear
 * regression (exact: Cholesky on X'X + l2 I, QR when that is unsafe) and
 * L2-regularised binary logistic regression (L-BFGS).
 *
 *     br_model *m = NULL;
 *     br_linear_options o;  br_linear_options_init(&o);
 *     br_linear_new(&m, &o);
 *     if (br_model_fit(m, X, y) != BR_OK) puts(br_last_error());
 *     br_tensor *yhat = NULL;
 *     br_model_predict(&yhat, m, X);
 *     br_model_free(m);
 *
 * X is n x d (float64), y has n values (a vector or n x 1). Models copy
 * what they keep; the caller owns X, y and every returned tensor.
 */
#ifndef BUNDLE_MODEL_H
#define BUNDLE_MODEL_H

#include "bundle/error.h"
#include "bundle/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct br_model br_model;

/* BR_MODEL_GBDT: gradient-boosted trees, made by br_gbdt_new (bundle/gbdt.h) */
typedef enum br_model_kind { BR_MODEL_LINEAR, BR_MODEL_LOGISTIC, BR_MODEL_MLP, BR_MODEL_GBDT, BR_MODEL_KIND_COUNT } br_model_kind;
const char *br_model_kind_name(br_model_kind k); /* "linear", "logistic", "mlp", "gbdt" */

typedef struct br_linear_options {
  double l2;     /* ridge penalty on the weights, never on the intercept (default 0) */
  int intercept; /* fit an intercept (default 1) */
} br_linear_options;
void br_linear_options_init(br_linear_options *o);
br_status br_linear_new(br_model **out, const br_linear_options *o);

typedef struct br_logistic_options {
  double l2;     /* penalty 0.5 * l2 * |w|^2 beside the summed log-loss (default 1, as
                  * scikit-learn's C = 1 / l2); the intercept is not penalised */
  int intercept; /* default 1 */
  int max_iter;  /* L-BFGS iterations (default 100) */
  double tol;    /* stop when max |gradient| <= tol (default 1e-6) */
} br_logistic_options;
void br_logistic_options_init(br_logistic_options *o);
br_status br_logistic_new(br_model **out, const br_logistic_options *o);

/* ---- multilayer perceptron ---- */

typedef enum br_activation { BR_ACT_RELU, BR_ACT_TANH, BR_ACT_SIGMOID, BR_ACT_LINEAR, BR_ACT_COUNT } br_activation;
typedef enum br_loss { BR_LOSS_MSE, BR_LOSS_BCE, BR_LOSS_COUNT } br_loss;
typedef enum br_optimizer { BR_OPT_ADAM, BR_OPT_SGD, BR_OPT_COUNT } br_optimizer;
br_status br_activation_parse(br_activation *a, const char *s); /* relu, tanh, sigmoid, linear */
br_status br_loss_parse(br_loss *l, const char *s);             /* mse, bce */
br_status br_optimizer_parse(br_optimizer *o, const char *s);   /* adam, sgd */

#define BR_MLP_MAX_LAYERS 8

typedef struct br_mlp_options {
  int nlayers;                       /* hidden layers (default 1) */
  int layers[BR_MLP_MAX_LAYERS];     /* their widths (default {64}) */
  br_activation activation;          /* hidden activation (default relu) */
  br_activation output;              /* linear (default) or sigmoid */
  br_loss loss;                      /* mse (default) or bce (needs output sigmoid) */
  br_optimizer optimizer;            /* adam (default) or sgd */
  double lr, momentum, weight_decay; /* 1e-3, 0, 0 */
  int epochs, batch;                 /* 100, 32 */
  uint64_t seed;                     /* initialisation and shuffling (default 1) */
  int shuffle;                       /* reshuffle each epoch (default 1) */
  double validation;                 /* share held out for val_loss (default 0) */
  int patience;                      /* stop after this many epochs without a better
                                        val_loss, keeping the best weights (0: never) */
  double tol;                        /* convergence check (default 0.01): a fit whose training
                                        loss still fell by more than this share over its
                                        last tenth of epochs has not converged */
} br_mlp_options;
void br_mlp_options_init(br_mlp_options *o);
/* Parameters are float32 (sgemm is about twice dgemm here), trained with
 * batched forward/backward passes on BLAS and no allocation per step. */
br_status br_mlp_new(br_model **out, const br_mlp_options *o);

/* The training history of the last fit (MLP): per-epoch mean training loss
 * and validation loss (NaN without validation). Pointers stay valid until
 * the next fit or free. */
int br_model_history(const br_model *m, const double **loss, const double **val_loss);
/* MLP parameters: count (weights and biases of each layer), and a double
 * copy of parameter k (W of layer l is 2l, b is 2l+1) in *out. */
int br_mlp_nparams(const br_model *m);
br_status br_mlp_param(br_tensor **out, const br_model *m, int k);
/* The mean loss and its gradient (in parameter order, flat) at the current
 * parameters on X, y: for gradient checks. grad has br_mlp_size(m) floats. */
size_t br_mlp_size(const br_model *m);
br_status br_mlp_loss_grad(br_model *m, const br_tensor *X, const br_tensor *y, double *loss, float *grad);
/* Adds delta to flat parameter i (for finite differences). */
void br_mlp_nudge(br_model *m, size_t i, float delta);

/* Writes a fitted model to path atomically (temporary file, fsync,
 * rename). The format is little-endian binary: the magic "BRMODEL\0", a
 * format version, the kind, the payload length, the payload (options,
 * shapes, parameters) and a CRC-32 of all that precedes it. */
br_status br_model_save(const br_model *m, const char *path);
/* Reads a model written by br_model_save. A file that is not a model, from
 * a newer format, truncated or corrupt (checksum) is a clear error. */
br_status br_model_load(br_model **out, const char *path);

void br_model_free(br_model *m);
/* A deep copy of any model, fitted or not (model_clone.c): options,
 * weights, an MLP's parameters, optimiser state and history, a GBDT's
 * booster (through XGBoost's model bytes), all through br_alloc and shared
 * with nothing of m, so either may be freed while the other is used. On
 * failure *out is untouched and br_last_error() says why. */
br_status br_model_clone(br_model **out, const br_model *m);
br_model_kind br_model_kind_of(const br_model *m);
int br_model_is_fitted(const br_model *m);

/* Fits on X (n x d) and y (n). Rejects mismatched shapes, NaN or Inf, and
 * (logistic) labels other than 0 and 1. A rank-deficient X under
 * linear regression with l2 = 0 is an error naming the problem. */
br_status br_model_fit(br_model *m, const br_tensor *X, const br_tensor *y);
/* Predictions for the rows of X: values (linear), or 0/1 classes (logistic). */
br_status br_model_predict(br_tensor **out, const br_model *m, const br_tensor *X);
/* P(y = 1) for each row (logistic only). */
br_status br_model_predict_proba(br_tensor **out, const br_model *m, const br_tensor *X);
/* The fitted weights (d values) and intercept (0 without one). */
br_status br_model_coef(br_tensor **weights, double *intercept, const br_model *m);
/* Iterations the last fit took (logistic; 0 for linear). */
int br_model_iterations(const br_model *m);
/* Whether the last fit converged: 1 (linear always: it is solved exactly;
 * logistic when L-BFGS met tol before max_iter; an MLP when its training
 * loss stopped falling, see br_mlp_options.tol, or early stopping ended
 * it) or 0, with *why (when why is not NULL) set to a sentence saying what
 * was seen and what to change; "" when converged. Valid until the next fit. */
int br_model_converged(const br_model *m, const char **why);

#ifdef __cplusplus
}
#endif
#endif
