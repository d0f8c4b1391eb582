/* bundle/optim.h — optimisers as pure functions over flat arrays (Torch's
 * optim pattern): the caller owns parameters, gradients and state.
 *
 *     double x[2] = {0, 0}, m[2] = {0}, v[2] = {0}, g[2];
 *     for (int64_t t = 1; t <= 1000; t++) {
 *       grad(x, g);
 *       br_adam_step(2, 1e-2, 0.9, 0.999, 1e-8, t, g, x, m, v);
 *     }
 *
 *     br_lbfgs_options o;  br_lbfgs_options_init(&o);
 *     br_lbfgs_result r;
 *     br_lbfgs(f, ctx, n, x, &o, &r);   // minimises f from x in place
 */
#ifndef BUNDLE_OPTIM_H
#define BUNDLE_OPTIM_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* x -= lr * (v = momentum * v + g + weight_decay * x). v starts at zero. */
void br_sgd_step(size_t n, double lr, double momentum, double weight_decay, const double *g,
                 double *x, double *v);
void br_sgd_stepf(size_t n, float lr, float momentum, float weight_decay, const float *g,
                  float *x, float *v);

/* Adam (Kingma & Ba) with bias correction; t is the 1-based step number;
 * m and v start at zero. */
void br_adam_step(size_t n, double lr, double b1, double b2, double eps, int64_t t,
                  const double *g, double *x, double *m, double *v);
void br_adam_stepf(size_t n, float lr, float b1, float b2, float eps, int64_t t, const float *g,
                   float *x, float *m, float *v);

/* An objective for L-BFGS: returns f(x) and writes its gradient. A
 * non-finite value stops the run with BR_ERR_NUMERIC. */
typedef double (*br_lbfgs_fn)(void *ctx, const double *x, double *grad);

typedef struct br_lbfgs_options {
  int m;            /* history pairs (default 10) */
  int max_iter;     /* iterations (default 100) */
  double gtol;      /* stop when max |grad_i| <= gtol (default 1e-6) */
  double ftol;      /* or when the relative decrease of f is below ftol (default 1e-12) */
} br_lbfgs_options;

typedef struct br_lbfgs_result {
  double f;         /* final value */
  int iterations;
  int evaluations;
  int converged;    /* 1: a tolerance was met; 0: max_iter was reached */
} br_lbfgs_result;

void br_lbfgs_options_init(br_lbfgs_options *o);

/* Minimises f from x (updated in place) with limited-memory BFGS and a
 * backtracking line search on the Armijo and curvature conditions. */
br_status br_lbfgs(br_lbfgs_fn f, void *ctx, size_t n, double *x, const br_lbfgs_options *o,
                   br_lbfgs_result *res);

#ifdef __cplusplus
}
#endif
#endif
