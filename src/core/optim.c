/* SGD with momentum, Adam and L-BFGS over flat arrays. */
#include "bundle/optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bundle/memory.h"
#include "simd_dispatch.h" /* the MLP steps these per batch: vectorise for the CPU */

void br_sgd_step(size_t n, double lr, double momentum, double weight_decay, const double *g,
                 double *x, double *v) {
  for (size_t i = 0; i < n; i++) {
    v[i] = momentum * v[i] + g[i] + weight_decay * x[i];
    x[i] -= lr * v[i];
  }
}

BR_KERNEL void br_sgd_stepf(size_t n, float lr, float momentum, float weight_decay, const float *g,
                  float *x, float *v) {
  for (size_t i = 0; i < n; i++) {
    v[i] = momentum * v[i] + g[i] + weight_decay * x[i];
    x[i] -= lr * v[i];
  }
}

void br_adam_step(size_t n, double lr, double b1, double b2, double eps, int64_t t,
                  const double *g, double *x, double *m, double *v) {
  /* bias corrections folded into the step size, as in the paper's sec. 2 */
  double a = lr * sqrt(1 - pow(b2, (double)t)) / (1 - pow(b1, (double)t));
  for (size_t i = 0; i < n; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    x[i] -= a * m[i] / (sqrt(v[i]) + eps);
  }
}

BR_KERNEL void br_adam_stepf(size_t n, float lr, float b1, float b2, float eps, int64_t t, const float *g,
                   float *x, float *m, float *v) {
  float a = (float)(lr * sqrt(1 - pow(b2, (double)t)) / (1 - pow(b1, (double)t)));
  for (size_t i = 0; i < n; i++) {
    m[i] = b1 * m[i] + (1 - b1) * g[i];
    v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
    x[i] -= a * m[i] / (sqrtf(v[i]) + eps);
  }
}

void br_lbfgs_options_init(br_lbfgs_options *o) {
  o->m = 10;
  o->max_iter = 100;
  o->gtol = 1e-6;
  o->ftol = 1e-12;
}

static double dot(size_t n, const double *a, const double *b) {
  double s = 0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static double max_abs(size_t n, const double *a) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m = fabs(a[i]) > m ? fabs(a[i]) : m;
  return m;
}

br_status br_lbfgs(br_lbfgs_fn f, void *ctx, size_t n, double *x, const br_lbfgs_options *o,
                   br_lbfgs_result *res) {
  br_lbfgs_options dflt;
  if (!o) {
    br_lbfgs_options_init(&dflt);
    o = &dflt;
  }
  int m = o->m > 0 ? o->m : 10;
  size_t mem = (size_t)(2 * m + 4) * n + (size_t)m;
  double *buf = br_calloc("optim", mem, sizeof *buf);
  if (!buf) return br_error_set(BR_ERR_NOMEM, "lbfgs: out of memory for %zu parameters", n);
  double *S = buf, *Y = S + (size_t)m * n, *g = Y + (size_t)m * n, *d = g + n, *xn = d + n,
         *gn = xn + n, *rho = gn + n, alpha[64];
  if (m > 64) m = 64;
  br_lbfgs_result r = {0, 0, 0, 0};
  br_status s = BR_OK;
  double fx = f(ctx, x, g);
  r.evaluations = 1;
  if (!isfinite(fx)) {
    s = br_error_set(BR_ERR_NUMERIC, "lbfgs: the objective is %g at the start", fx);
    goto done;
  }
  int k = 0, stored = 0;
  for (; k < o->max_iter; k++) {
    if (max_abs(n, g) <= o->gtol) {
      r.converged = 1;
      break;
    }
    /* two-loop recursion: d = -H g */
    for (size_t i = 0; i < n; i++) d[i] = -g[i];
    for (int j = stored - 1; j >= 0; j--) {
      int at = (k - stored + j) % m;
      if (at < 0) at += m;
      alpha[j] = rho[at] * dot(n, S + (size_t)at * n, d);
      for (size_t i = 0; i < n; i++) d[i] -= alpha[j] * Y[(size_t)at * n + i];
    }
    if (stored > 0) {
      int last = (k - 1) % m;
      double yy = dot(n, Y + (size_t)last * n, Y + (size_t)last * n);
      double gamma = yy > 0 ? 1.0 / (rho[last] * yy) : 1.0;
      for (size_t i = 0; i < n; i++) d[i] *= gamma;
    }
    for (int j = 0; j < stored; j++) {
      int at = (k - stored + j) % m;
      if (at < 0) at += m;
      double beta = rho[at] * dot(n, Y + (size_t)at * n, d);
      for (size_t i = 0; i < n; i++) d[i] += S[(size_t)at * n + i] * (alpha[j] - beta);
    }
    double dg = dot(n, d, g);
    if (dg >= 0) { /* not a descent direction: restart from steepest descent */
      for (size_t i = 0; i < n; i++) d[i] = -g[i];
      dg = -dot(n, g, g);
      stored = 0;
    }
    /* Backtracking line search: Armijo, or, where the change in f is lost
     * in its rounding, Hager and Zhang's approximate Wolfe test on the
     * slope, which the gradient still gives exactly: the slope at the new
     * point between 0.9 and -(1 - 2e-4) times the slope at the old. Armijo
     * alone there either failed every halving (40 evaluations a step) or
     * passed uphill steps whose f rounded to the same value. */
    double step = (k == 0 && stored == 0) ? 1.0 / (1.0 > sqrt(-dg) ? 1.0 : sqrt(-dg)) : 1.0, fn = 0;
    double noise = 1e-12 * (fabs(fx) > 1 ? fabs(fx) : 1);
    int ok = 0;
    for (int ls = 0; ls < 40; ls++) {
      for (size_t i = 0; i < n; i++) xn[i] = x[i] + step * d[i];
      fn = f(ctx, xn, gn);
      r.evaluations++;
      if (isfinite(fn) && fabs(fn - fx) <= noise) { /* f cannot tell: the slope decides */
        double dgn = dot(n, d, gn);
        if (dgn >= 0.9 * dg && dgn <= -(1 - 2e-4) * dg) {
          ok = 1;
          break;
        }
      } else if (isfinite(fn) && fn <= fx + 1e-4 * step * dg) {
        ok = 1;
        break;
      }
      step *= 0.5;
    }
    if (!ok) { /* no decrease along d: as close as this search can get */
      r.converged = max_abs(n, g) <= o->gtol * 100;
      break;
    }
    /* The curvature pair; skipped when it would break positive
     * definiteness. The test is relative (the cosine of s and y): an
     * absolute floor on s'y threw every pair away once steps were small,
     * and the restarts from steepest descent then overshot by the
     * condition number at every step. */
    int at = k % m;
    double sy = 0;
    for (size_t i = 0; i < n; i++) {
      S[(size_t)at * n + i] = xn[i] - x[i];
      Y[(size_t)at * n + i] = gn[i] - g[i];
    }
    sy = dot(n, S + (size_t)at * n, Y + (size_t)at * n);
    double ss = dot(n, S + (size_t)at * n, S + (size_t)at * n), yy = dot(n, Y + (size_t)at * n, Y + (size_t)at * n);
    double decrease = fx - fn;
    memcpy(x, xn, n * sizeof *x);
    memcpy(g, gn, n * sizeof *g);
    fx = fn;
    if (sy > 1e-10 * sqrt(ss) * sqrt(yy)) {
      rho[at] = 1.0 / sy;
      if (stored < m) stored++;
    } else {
      stored = 0; /* restart the history; the ring continues at the next slot */
    }
    if (o->ftol > 0 && decrease <= o->ftol * (fabs(fx) > 1 ? fabs(fx) : 1)) { /* 0: the gradient alone decides */
      r.converged = 1;
      k++;
      break;
    }
  }
  r.iterations = k;
  r.f = fx;
done:
  br_free(buf);
  if (res) *res = r;
  return s;
}
