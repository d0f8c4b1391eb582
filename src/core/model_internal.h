/* Private to the model module (model.c, mlp.c). */
#ifndef BUNDLE_MODEL_INTERNAL_H
#define BUNDLE_MODEL_INTERNAL_H

#include <stddef.h>

#include "bundle/model.h"

typedef struct mlp_state mlp_state;
typedef struct gbdt_state gbdt_state;

struct br_model {
  br_model_kind kind;
  double l2, tol;
  int intercept, max_iter;
  int fitted, iterations;
  int unconverged; /* the last fit did not converge (br_model_converged); 0 when new or loaded */
  char why[256];   /* and, when it did not converge, why, in words */
  int64_t d;
  double *w;
  double b;
  mlp_state *mlp; /* BR_MODEL_MLP only */
  gbdt_state *gbdt; /* BR_MODEL_GBDT only */
};

/* Shared input checks (model.c): X as a contiguous finite n x d tensor in
 * *xc; y as n finite values in *out (malloc'd). */
br_status model_check_x(const char *fn, const br_tensor *X, br_tensor **xc, int64_t *n, int64_t *d);
br_status model_check_y(const char *fn, const br_tensor *y, int64_t n, double **out);

/* mlp.c */
void mlp_free(mlp_state *s);
br_status mlp_fit(br_model *m, const double *X, const double *y, int64_t n, int64_t d);
br_status mlp_predict(br_tensor **out, const br_model *m, const br_tensor *X, int proba);
/* For save/load: the options and the flat parameters of a fitted MLP, and
 * restoring them into a new MLP for d inputs (size must match). */
void mlp_export(const br_model *m, const br_mlp_options **o, const float **p, size_t *size);
br_status mlp_restore(br_model *m, int64_t d, const float *p, size_t size);
/* A deep copy of an MLP's state: parameters, optimiser moments, history. */
br_status mlp_clone(mlp_state **out, const mlp_state *s);

/* gbdt.c */
void gbdt_free(gbdt_state *s);
/* For save/load: the payload of a fitted GBDT (options, feature names,
 * XGBoost's own model bytes) appended to *buf (malloc'd, grown), and a new
 * GBDT restored from such a payload. */
br_status gbdt_export(const br_model *m, unsigned char **buf, size_t *len);
br_status gbdt_restore(br_model **out, const unsigned char *p, size_t len, const char *path);

/* A growable byte buffer for the model files' payloads: puts after a
 * failed allocation do nothing, and `failed` says so at the end. */
typedef struct br_bytes {
  unsigned char *p;
  size_t len, cap;
  int failed;
} br_bytes;
void br_bytes_put(br_bytes *b, const void *v, size_t n);

#endif
