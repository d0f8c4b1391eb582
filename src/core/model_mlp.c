/* A multilayer perceptron trained in float32.
 *
 * Parameters live in one flat float array: for each layer W (in x out,
 * row-major) then b (out); gradients and optimiser state mirror it. The
 * forward pass of a batch is one small matrix product per layer
 * (model_mlp_kernels.c, chosen for the CPU at run time) with bias and
 * activation fused into the loop that follows; the backward pass takes activation
 * derivatives from the stored outputs (relu: h > 0, tanh: 1 - h^2,
 * sigmoid: h (1 - h)). Every buffer is sized before the first epoch, so a
 * training step allocates nothing. Binary cross-entropy works on logits,
 * so the sigmoid output never saturates into log(0). */
#include <assert.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bundle/optim.h"
#include "bundle/rng.h"
#include "deadline_internal.h"
#include "model_internal.h"
#include "model_mlp_kernels.h"
#include "bundle/memory.h"
#include "memory_internal.h"

static const char *const act_names[] = {"relu", "tanh", "sigmoid", "linear"};
static const char *const loss_names[] = {"mse", "bce"};
static const char *const opt_names[] = {"adam", "sgd"};
static_assert(sizeof act_names / sizeof *act_names == BR_ACT_COUNT, "one name per activation");
static_assert(sizeof loss_names / sizeof *loss_names == BR_LOSS_COUNT, "one name per loss");
static_assert(sizeof opt_names / sizeof *opt_names == BR_OPT_COUNT, "one name per optimiser");

static br_status parse_name(int *out, const char *s, const char *const *names, int n, const char *what) {
  for (int i = 0; i < n; i++)
    if (strcmp(s, names[i]) == 0) {
      *out = i;
      return BR_OK;
    }
  char list[128] = "";
  for (int i = 0; i < n; i++) {
    if (i) strcat(list, ", ");
    strcat(list, names[i]);
  }
  return br_error_set(BR_ERR_ARG, "unknown %s '%s' (%s)", what, s, list);
}

br_status br_activation_parse(br_activation *a, const char *s) {
  int v = 0;
  br_status st = parse_name(&v, s, act_names, BR_ACT_COUNT, "activation");
  if (st == BR_OK) *a = (br_activation)v;
  return st;
}
br_status br_loss_parse(br_loss *l, const char *s) {
  int v = 0;
  br_status st = parse_name(&v, s, loss_names, BR_LOSS_COUNT, "loss");
  if (st == BR_OK) *l = (br_loss)v;
  return st;
}
br_status br_optimizer_parse(br_optimizer *o, const char *s) {
  int v = 0;
  br_status st = parse_name(&v, s, opt_names, BR_OPT_COUNT, "optimizer");
  if (st == BR_OK) *o = (br_optimizer)v;
  return st;
}

void br_mlp_options_init(br_mlp_options *o) {
  memset(o, 0, sizeof *o);
  o->nlayers = 1;
  o->layers[0] = 64;
  o->activation = BR_ACT_RELU;
  o->output = BR_ACT_LINEAR;
  o->loss = BR_LOSS_MSE;
  o->optimizer = BR_OPT_ADAM;
  o->lr = 1e-3;
  o->epochs = 100;
  o->batch = 32;
  o->seed = 1;
  o->shuffle = 1;
  o->tol = 0.01;
}

struct mlp_state {
  br_mlp_options o;
  int nl;                 /* layers with weights: hidden + output */
  int width[BR_MLP_MAX_LAYERS + 2]; /* width[0] = inputs, width[nl] = 1 */
  size_t woff[BR_MLP_MAX_LAYERS + 1], boff[BR_MLP_MAX_LAYERS + 1], size;
  float *p, *g, *m, *v, *best;
  double *loss, *val_loss; /* per epoch */
  int epochs_run;
  int64_t t;              /* optimiser steps */
};

void mlp_free(mlp_state *s) {
  if (!s) return;
  br_free(s->p);
  br_free(s->g);
  br_free(s->m);
  br_free(s->v);
  br_free(s->best);
  br_free(s->loss);
  br_free(s->val_loss);
  br_free(s);
}

br_status br_mlp_new(br_model **out, const br_mlp_options *o) {
  br_mlp_options d;
  if (!o) br_mlp_options_init(&d), o = &d;
  if (o->nlayers < 0 || o->nlayers > BR_MLP_MAX_LAYERS)
    return br_error_set(BR_ERR_ARG, "mlp: %d hidden layers (0 to %d)", o->nlayers, BR_MLP_MAX_LAYERS);
  for (int i = 0; i < o->nlayers; i++)
    if (o->layers[i] < 1 || o->layers[i] > 1 << 16)
      return br_error_set(BR_ERR_ARG, "mlp: layer %d has width %d (1 to 65536)", i + 1, o->layers[i]);
  if ((unsigned)o->activation >= BR_ACT_COUNT) return br_error_set(BR_ERR_ARG, "mlp: bad activation");
  if (o->output != BR_ACT_LINEAR && o->output != BR_ACT_SIGMOID)
    return br_error_set(BR_ERR_ARG, "mlp: output must be linear or sigmoid");
  if (o->loss == BR_LOSS_BCE && o->output != BR_ACT_SIGMOID)
    return br_error_set(BR_ERR_ARG, "mlp: loss bce needs output = \"sigmoid\"");
  if (!(o->lr > 0) || !(o->momentum >= 0 && o->momentum < 1) || !(o->weight_decay >= 0))
    return br_error_set(BR_ERR_ARG, "mlp: lr > 0, momentum in [0, 1) and weight_decay >= 0 are required");
  if (o->epochs < 1 || o->batch < 1) return br_error_set(BR_ERR_ARG, "mlp: epochs and batch must be at least 1");
  if (!(o->validation >= 0 && o->validation < 1)) return br_error_set(BR_ERR_ARG, "mlp: validation must be in [0, 1)");
  if (o->patience < 0) return br_error_set(BR_ERR_ARG, "mlp: patience must not be negative");
  if (o->patience > 0 && o->validation == 0) return br_error_set(BR_ERR_ARG, "mlp: patience needs validation > 0");
  if (!(o->tol >= 0)) return br_error_set(BR_ERR_ARG, "mlp: tol must be >= 0");
  br_model *m = br_calloc("mlp", 1, sizeof *m);
  mlp_state *s = br_calloc("mlp", 1, sizeof *s);
  if (!m || !s) {
    br_free(m);
    br_free(s);
    return br_error_set(BR_ERR_NOMEM, "mlp: out of memory");
  }
  s->o = *o;
  m->kind = BR_MODEL_MLP;
  m->mlp = s;
  *out = m;
  return BR_OK;
}

/* Lays out and initialises the parameters for d inputs (Glorot uniform, as
 * Keras; biases zero). */
static br_status mlp_init(mlp_state *s, int64_t d) {
  s->nl = s->o.nlayers + 1;
  s->width[0] = (int)d;
  for (int l = 0; l < s->o.nlayers; l++) s->width[l + 1] = s->o.layers[l];
  s->width[s->nl] = 1;
  size_t at = 0;
  for (int l = 0; l < s->nl; l++) {
    s->woff[l] = at;
    at += (size_t)s->width[l] * (size_t)s->width[l + 1];
    s->boff[l] = at;
    at += (size_t)s->width[l + 1];
  }
  s->size = at;
  br_free(s->p), br_free(s->g), br_free(s->m), br_free(s->v), br_free(s->best);
  s->p = br_calloc("mlp", at, sizeof(float));
  s->g = br_calloc("mlp", at, sizeof(float));
  s->m = br_calloc("mlp", at, sizeof(float));
  s->v = br_calloc("mlp", at, sizeof(float));
  s->best = br_alloc("mlp", at, sizeof(float));
  if (!s->p || !s->g || !s->m || !s->v || !s->best) return br_error_set(BR_ERR_NOMEM, "mlp: out of memory for %zu parameters", at);
  br_rng rng;
  br_rng_seed(&rng, s->o.seed);
  for (int l = 0; l < s->nl; l++) {
    double limit = sqrt(6.0 / (s->width[l] + s->width[l + 1]));
    size_t nw = (size_t)s->width[l] * (size_t)s->width[l + 1];
    for (size_t i = 0; i < nw; i++) s->p[s->woff[l] + i] = (float)((2 * br_rng_uniform(&rng) - 1) * limit);
  }
  s->t = 0;
  return BR_OK;
}

/* Scratch for batches of up to B rows: each layer's output. */
typedef struct scratch {
  float *h[BR_MLP_MAX_LAYERS + 2]; /* h[0] = inputs, h[l] = output of layer l */
  float *dh, *dh2;                 /* gradient w.r.t. a layer's output */
  float *wt;                       /* a layer's weights transposed */
  float *yb;
} scratch;

static void scratch_free(scratch *sc, int nl) {
  for (int l = 0; l <= nl; l++) br_free(sc->h[l]);
  br_free(sc->dh);
  br_free(sc->dh2);
  br_free(sc->wt);
  br_free(sc->yb);
}

static int scratch_alloc(scratch *sc, const mlp_state *s, int64_t B) {
  memset(sc, 0, sizeof *sc);
  int wmax = 1;
  size_t wsize = 1; /* layer 0's weights are never transposed (no gradient to the inputs) */
  for (int l = 1; l < s->nl; l++)
    if ((size_t)s->width[l] * (size_t)s->width[l + 1] > wsize) wsize = (size_t)s->width[l] * (size_t)s->width[l + 1];
  for (int l = 0; l <= s->nl; l++) {
    sc->h[l] = br_alloc("mlp", mem_mul((size_t)B, (size_t)s->width[l]), sizeof(float) + sizeof(float));
    if (!sc->h[l]) return 0;
    if (s->width[l] > wmax) wmax = s->width[l];
  }
  sc->dh = br_alloc("mlp", mem_mul((size_t)B, (size_t)wmax), sizeof(float));
  sc->dh2 = br_alloc("mlp", mem_mul((size_t)B, (size_t)wmax), sizeof(float));
  sc->yb = br_alloc("mlp", (size_t)B, sizeof(float));
  sc->wt = br_alloc("mlp", wsize, sizeof(float));
  return sc->dh && sc->dh2 && sc->yb && sc->wt;
}

/* Forward pass of B rows in sc->h[0]; the output layer keeps its logits
 * (the sigmoid is folded into the loss, or applied by predict). */
static void forward(const mlp_state *s, scratch *sc, int B) {
  for (int l = 0; l < s->nl; l++) {
    int in = s->width[l], out = s->width[l + 1];
    float *h = sc->h[l + 1];
    mlp_gemm(B, out, in, sc->h[l], in, 1, s->p + s->woff[l], out, h, out);
    mlp_bias_act(h, s->p + s->boff[l], B, out, l == s->nl - 1 ? BR_ACT_LINEAR : s->o.activation);
  }
}

/* Loss of the batch (sum over rows) and, when g is given, the gradient of
 * the batch mean into g. Targets in sc->yb. */
static double loss_backward(mlp_state *s, scratch *sc, int B, float *g) {
  const float *z = sc->h[s->nl];
  double loss = 0;
  for (int i = 0; i < B; i++) {
    double zi = z[i], yi = sc->yb[i];
    if (s->o.loss == BR_LOSS_BCE) {
      loss += (zi > 0 ? zi + log1p(exp(-zi)) : log1p(exp(zi))) - yi * zi;
      double p = zi >= 0 ? 1 / (1 + exp(-zi)) : exp(zi) / (1 + exp(zi));
      sc->dh[i] = (float)((p - yi) / B);
    } else {
      double r = (s->o.output == BR_ACT_SIGMOID ? 1 / (1 + exp(-zi)) : zi) - yi;
      loss += r * r;
      double dz = 2 * r / B;
      if (s->o.output == BR_ACT_SIGMOID) {
        double p = 1 / (1 + exp(-zi));
        dz *= p * (1 - p);
      }
      sc->dh[i] = (float)dz;
    }
  }
  if (!g) return loss;
  /* dh holds dL/dz of the current layer (B x out) */
  for (int l = s->nl - 1; l >= 0; l--) {
    int in = s->width[l], out = s->width[l + 1];
    /* dW = h_in' dz ; db = column sums of dz */
    mlp_gemm(in, out, B, sc->h[l], 1, in, sc->dh, out, g + s->woff[l], out);
    mlp_colsum(g + s->boff[l], sc->dh, B, out);
    if (l == 0) break;
    /* dh_in = dz W' ; then through the previous layer's activation. W' is
     * W itself when the layer has one output (the output layer). */
    const float *wt = s->p + s->woff[l];
    if (out > 1) {
      mlp_transpose(sc->wt, wt, in, out);
      wt = sc->wt;
    }
    mlp_gemm(B, in, out, sc->dh, out, 1, wt, in, sc->dh2, in);
    mlp_times_act_grad(sc->dh2, sc->h[l], B * in, s->o.activation);
    float *t = sc->dh;
    sc->dh = sc->dh2;
    sc->dh2 = t;
  }
  return loss;
}

/* Copies rows idx[0..B) of X (double, d columns) and y into the batch.
 * next[0..nnext): the next batch's rows, asked of memory now (rows are
 * drawn at random: without this a third of a step waited on the misses). */
static void gather(scratch *sc, const float *Xf, const float *yf, const int64_t *idx, int B, int d,
                   const int64_t *next, int nnext) {
  for (int i = 0; i < nnext; i++)
    for (int c = 0; c < d; c += 16) __builtin_prefetch(Xf + (size_t)next[i] * d + c);
  for (int i = 0; i < B; i++) {
    memcpy(sc->h[0] + (size_t)i * d, Xf + (size_t)idx[i] * d, (size_t)d * sizeof(float));
    sc->yb[i] = yf[idx[i]];
  }
}

/* Convergence, judged on the training loss. The fit has not converged
 * when, over the last tenth of the epochs (at least one), the loss still
 * fell by more than o.tol of its value there, or it still fell at half
 * its mean pace over the whole fit or more (a curve that has flattened
 * falls far slower at the end than on average). The seed's three rows,
 * at lr 1e-3 for 100 epochs, are that case: 0.9% in all, at a steady pace.
 * The steady fall must be one: every epoch of the window lower than the
 * one before (minibatch noise on a plateau is not). Early stopping (it
 * saw no more gain) or a loss of ~0 count as converged. */
static void check_converged(br_model *m, int stopped_early) {
  const mlp_state *s = m->mlp;
  int n = s->epochs_run, k = n / 10 > 0 ? n / 10 : 1;
  m->unconverged = 0;
  m->why[0] = '\0';
  if (stopped_early || n < 2) return;
  double first = s->loss[0], before = s->loss[n - 1 - k < 0 ? 0 : n - 1 - k], last = s->loss[n - 1];
  if (!(last > 1e-12 * first) || !(before > 0)) return;
  double drop = (before - last) / before;
  int steady = first - last > 1e-6 * first && (before - last) / k >= 0.5 * (first - last) / (n - 1);
  for (int e = n - k; steady && e < n; e++) steady = s->loss[e] < s->loss[e - 1]; /* not noise: every epoch lower */
  if (drop <= s->o.tol && !steady) return;
  m->unconverged = 1;
  snprintf(m->why, sizeof m->why,
           "the training loss was still falling: %.6g -> %.6g over the last %d of %d epochs (%.2f%%; %.6g at the "
           "first); give more epochs or a larger lr, or scale y (standardise it)",
           before, last, k, n, 100 * drop, first);
}

/* Mean loss over rows idx[0..n), in batches. */
static double eval_loss(mlp_state *s, scratch *sc, const float *Xf, const float *yf, const int64_t *idx,
                        int64_t n, int B, int d) {
  double total = 0;
  for (int64_t at = 0; at < n; at += B) {
    int b = (int)(n - at < B ? n - at : B);
    gather(sc, Xf, yf, idx + at, b, d, NULL, 0);
    forward(s, sc, b);
    total += loss_backward(s, sc, b, NULL);
  }
  return total / (double)n;
}

br_status mlp_fit(br_model *m, const double *X, const double *y, int64_t n, int64_t d) {
  mlp_state *s = m->mlp;
  const br_mlp_options *o = &s->o;
  if (o->loss == BR_LOSS_BCE)
    for (int64_t i = 0; i < n; i++)
      if (y[i] < 0 || y[i] > 1) return br_error_set(BR_ERR_ARG, "mlp: fit: bce needs targets in [0, 1] (row %lld is %g)", (long long)i + 1, y[i]);
  if (d > 1 << 20) return br_error_set(BR_ERR_SHAPE, "mlp: fit: %lld input columns is too many", (long long)d);
  br_status st = mlp_init(s, d);
  if (st != BR_OK) return st;
  int64_t nval = (int64_t)floor(o->validation * (double)n), ntr = n - nval;
  if (ntr < 1) return br_error_set(BR_ERR_SHAPE, "mlp: fit: no rows left to train on after validation");
  int B = (int)(o->batch < ntr ? o->batch : ntr);
  float *Xf = br_alloc("mlp", mem_mul((size_t)n, (size_t)d), sizeof *Xf + sizeof *Xf), *yf = br_alloc("mlp", (size_t)n, sizeof *yf);
  int64_t *idx = br_alloc("mlp", (size_t)n, sizeof *idx);
  size_t *perm = br_alloc("mlp", (size_t)n, sizeof *perm);
  br_free(s->loss), br_free(s->val_loss);
  s->loss = br_alloc("mlp", (size_t)o->epochs, sizeof *s->loss);
  s->val_loss = br_alloc("mlp", (size_t)o->epochs, sizeof *s->val_loss);
  scratch sc;
  int sc_ok = scratch_alloc(&sc, s, B > 1024 ? B : 1024);
  if (!Xf || !yf || !idx || !perm || !s->loss || !s->val_loss || !sc_ok) {
    st = br_error_set(BR_ERR_NOMEM, "mlp: fit: out of memory");
    goto done;
  }
  /* Training runs in float32: a value past its range would become Inf. */
  for (int64_t i = 0; i < n * d; i++) {
    if (fabs(X[i]) > FLT_MAX) {
      st = br_error_set(BR_ERR_NUMERIC, "mlp: fit: X holds %g at row %lld, column %lld, beyond float32 range (scale it)",
                        X[i], (long long)(i / d + 1), (long long)(i % d + 1));
      goto done;
    }
    Xf[i] = (float)X[i];
  }
  for (int64_t i = 0; i < n; i++) {
    if (fabs(y[i]) > FLT_MAX) {
      st = br_error_set(BR_ERR_NUMERIC, "mlp: fit: y holds %g at row %lld, beyond float32 range (scale it)", y[i], (long long)i + 1);
      goto done;
    }
    yf[i] = (float)y[i];
  }
  br_rng rng;
  br_rng_seed(&rng, o->seed ^ 0x5bd1e995u);
  for (int64_t i = 0; i < n; i++) perm[i] = (size_t)i;
  if (nval > 0) br_rng_shuffle(&rng, perm, (size_t)n); /* a random hold-out */
  for (int64_t i = 0; i < n; i++) idx[i] = (int64_t)perm[i];
  int64_t *tr = idx + nval, *va = idx;
  double best = INFINITY;
  int since_best = 0, stopped_early = 0;
  s->epochs_run = 0;
  int64_t work = 0;
  for (int e = 0; e < o->epochs; e++) {
    if (o->shuffle) { /* reshuffle the training rows in place */
      for (int64_t i = ntr; i > 1; i--) {
        int64_t j = (int64_t)br_rng_below(&rng, (uint64_t)i), t = tr[i - 1];
        tr[i - 1] = tr[j];
        tr[j] = t;
      }
    }
    double total = 0;
    for (int64_t at = 0; at < ntr; at += B) {
      int b = (int)(ntr - at < B ? ntr - at : B);
      /* per batch: one epoch of a big network on many rows takes minutes */
      if (deadline_poll(&work, 6 * (int64_t)b * (int64_t)s->size + (int64_t)s->size)) {
        st = br_deadline_stop("mlp", e, "epochs");
        goto done;
      }
      int64_t left = ntr - at - b;
      gather(&sc, Xf, yf, tr + at, b, (int)d, tr + at + b, (int)(left < B ? left : B));
      forward(s, &sc, b);
      total += loss_backward(s, &sc, b, s->g);
      s->t++;
      if (o->optimizer == BR_OPT_ADAM) {
        if (o->weight_decay > 0)
          for (size_t i = 0; i < s->size; i++) s->g[i] += (float)o->weight_decay * s->p[i];
        br_adam_stepf(s->size, (float)o->lr, 0.9f, 0.999f, 1e-7f, s->t, s->g, s->p, s->m, s->v);
      } else {
        br_sgd_stepf(s->size, (float)o->lr, (float)o->momentum, (float)o->weight_decay, s->g, s->p, s->v);
      }
    }
    s->loss[e] = total / (double)ntr;
    s->val_loss[e] = nval > 0 ? eval_loss(s, &sc, Xf, yf, va, nval, 1024, (int)d) : NAN;
    s->epochs_run = e + 1;
    if (!isfinite(s->loss[e])) {
      st = br_error_set(BR_ERR_NUMERIC, "mlp: fit: the loss became %s at epoch %d; lower lr",
                        isnan(s->loss[e]) ? "NaN" : "Inf", e + 1);
      goto done;
    }
    if (o->patience > 0) {
      if (s->val_loss[e] < best) {
        best = s->val_loss[e];
        since_best = 0;
        memcpy(s->best, s->p, s->size * sizeof *s->p);
      } else if (++since_best >= o->patience) {
        memcpy(s->p, s->best, s->size * sizeof *s->p); /* back to the best epoch */
        stopped_early = 1;
        break;
      }
    }
  }
  m->d = d;
  m->fitted = 1;
  m->iterations = s->epochs_run;
  check_converged(m, stopped_early);
done:
  br_free(Xf);
  br_free(yf);
  br_free(idx);
  br_free(perm);
  scratch_free(&sc, s->nl); /* scratch_alloc zeroed it first: safe when partial */
  return st;
}

br_status mlp_predict(br_tensor **out, const br_model *m, const br_tensor *X, int proba) {
  const mlp_state *s = m->mlp;
  const char *fn = proba ? "mlp: predict_proba" : "mlp: predict";
  if (!m->fitted) return br_error_set(BR_ERR_STATE, "%s: the model is not fitted (call fit first)", fn);
  if (proba && s->o.output != BR_ACT_SIGMOID)
    return br_error_set(BR_ERR_ARG, "%s: needs output = \"sigmoid\"", fn);
  br_tensor *xc = NULL;
  int64_t n, d;
  br_status st = model_check_x(fn, X, &xc, &n, &d);
  if (st != BR_OK) return st;
  if (d != m->d) {
    br_tensor_free(xc);
    return br_error_set(BR_ERR_SHAPE, "%s: X has %lld columns, the model was fitted on %lld", fn, (long long)d, (long long)m->d);
  }
  br_tensor *r = NULL;
  scratch sc;
  int B = 1024;
  if ((st = br_tensor_empty(&r, 1, &n)) != BR_OK || !scratch_alloc(&sc, s, B)) {
    if (st == BR_OK) {
      scratch_free(&sc, s->nl);
      br_tensor_free(r);
      st = br_error_set(BR_ERR_NOMEM, "%s: out of memory", fn);
    }
    br_tensor_free(xc);
    return st;
  }
  const double *x = br_tensor_data(xc);
  double *p = br_tensor_data(r);
  for (int64_t at = 0; at < n; at += B) {
    int b = (int)(n - at < B ? n - at : B);
    for (int64_t i = 0; i < (int64_t)b * d; i++) sc.h[0][i] = (float)x[at * d + i];
    forward(s, &sc, b);
    for (int i = 0; i < b; i++) {
      double z = sc.h[s->nl][i];
      double v = s->o.output == BR_ACT_SIGMOID ? 1 / (1 + exp(-z)) : z;
      p[at + i] = proba ? v : (s->o.loss == BR_LOSS_BCE ? (double)(v >= 0.5) : v);
    }
  }
  scratch_free(&sc, s->nl);
  br_tensor_free(xc);
  *out = r;
  return BR_OK;
}

int br_model_history(const br_model *m, const double **loss, const double **val_loss) {
  if (m->kind != BR_MODEL_MLP || !m->fitted) return 0;
  *loss = m->mlp->loss;
  *val_loss = m->mlp->val_loss;
  return m->mlp->epochs_run;
}

int br_mlp_nparams(const br_model *m) { return m->kind == BR_MODEL_MLP && m->fitted ? 2 * m->mlp->nl : 0; }

br_status br_mlp_param(br_tensor **out, const br_model *m, int k) {
  if (k < 0 || k >= br_mlp_nparams(m)) return br_error_set(BR_ERR_INDEX, "mlp: parameter %d out of range (%d)", k + 1, br_mlp_nparams(m));
  const mlp_state *s = m->mlp;
  int l = k / 2;
  int64_t shape[2] = {s->width[l], s->width[l + 1]};
  int nd = k % 2 == 0 ? 2 : 1;
  const float *src = s->p + (k % 2 == 0 ? s->woff[l] : s->boff[l]);
  int64_t count = nd == 2 ? shape[0] * shape[1] : shape[1];
  br_tensor *t = NULL;
  br_status st = br_tensor_empty(&t, nd, nd == 2 ? shape : shape + 1);
  if (st != BR_OK) return st;
  for (int64_t i = 0; i < count; i++) br_tensor_data(t)[i] = src[i];
  *out = t;
  return BR_OK;
}

size_t br_mlp_size(const br_model *m) { return m->kind == BR_MODEL_MLP ? m->mlp->size : 0; }

br_status br_mlp_loss_grad(br_model *m, const br_tensor *X, const br_tensor *y, double *loss, float *grad) {
  if (m->kind != BR_MODEL_MLP || !m->fitted) return br_error_set(BR_ERR_STATE, "mlp: loss_grad needs a fitted mlp");
  mlp_state *s = m->mlp;
  br_tensor *xc = NULL;
  int64_t n, d;
  double *yv = NULL;
  br_status st = model_check_x("mlp: loss_grad", X, &xc, &n, &d);
  if (st != BR_OK) return st;
  if (d != m->d || n > 1 << 20 || (st = model_check_y("mlp: loss_grad", y, n, &yv)) != BR_OK) {
    br_tensor_free(xc);
    return st != BR_OK ? st : br_error_set(BR_ERR_SHAPE, "mlp: loss_grad: X does not fit the model");
  }
  scratch sc;
  if (!scratch_alloc(&sc, s, n)) {
    scratch_free(&sc, s->nl);
    br_tensor_free(xc);
    br_free(yv);
    return br_error_set(BR_ERR_NOMEM, "mlp: out of memory");
  }
  const double *x = br_tensor_data(xc);
  for (int64_t i = 0; i < n * d; i++) sc.h[0][i] = (float)x[i];
  for (int64_t i = 0; i < n; i++) sc.yb[i] = (float)yv[i];
  forward(s, &sc, (int)n);
  *loss = loss_backward(s, &sc, (int)n, grad) / (double)n;
  scratch_free(&sc, s->nl);
  br_tensor_free(xc);
  br_free(yv);
  return BR_OK;
}

void br_mlp_nudge(br_model *m, size_t i, float delta) {
  if (m->kind == BR_MODEL_MLP && i < m->mlp->size) m->mlp->p[i] += delta;
}

void mlp_export(const br_model *m, const br_mlp_options **o, const float **p, size_t *size) {
  *o = &m->mlp->o;
  *p = m->mlp->p;
  *size = m->mlp->size;
}

br_status mlp_restore(br_model *m, int64_t d, const float *p, size_t size) {
  mlp_state *s = m->mlp;
  /* count what the layers need before allocating anything: a corrupt file
   * must not ask for gigabytes (found by fuzz_model) */
  uint64_t need = 0;
  int64_t w[BR_MLP_MAX_LAYERS + 2];
  w[0] = d;
  for (int l = 0; l < s->o.nlayers; l++) w[l + 1] = s->o.layers[l];
  w[s->o.nlayers + 1] = 1;
  for (int l = 0; l <= s->o.nlayers; l++) {
    if (w[l] < 1 || w[l] > (1 << 24) || w[l + 1] < 1 || w[l + 1] > (1 << 24))
      return br_error_set(BR_ERR_PARSE, "layer %d has width %lld", l + 1, (long long)(w[l] < 1 || w[l] > (1 << 24) ? w[l] : w[l + 1]));
    need += (uint64_t)w[l] * (uint64_t)w[l + 1] + (uint64_t)w[l + 1];
  }
  if (need != size)
    return br_error_set(BR_ERR_PARSE, "holds %zu parameters, but its layers need %llu", size, (unsigned long long)need);
  br_status st = mlp_init(s, d);
  if (st != BR_OK) return st;
  memcpy(s->p, p, size * sizeof *p);
  m->d = d;
  m->fitted = 1;
  return BR_OK;
}

br_status mlp_clone(mlp_state **out, const mlp_state *s) {
  mlp_state *c = br_calloc("mlp", 1, sizeof *c);
  if (!c) return br_error_set(BR_ERR_NOMEM, "mlp: out of memory for a copy");
  *c = *s; /* options, layout and counters; the arrays follow */
  c->p = c->g = c->m = c->v = c->best = NULL;
  c->loss = c->val_loss = NULL;
  /* the history arrays hold one slot per epoch asked for (filled up to epochs_run) */
  size_t ne = s->loss ? (size_t)s->o.epochs : 0;
  int ok = mem_dup(&c->p, "mlp", s->p, s->size, sizeof *c->p) && mem_dup(&c->g, "mlp", s->g, s->size, sizeof *c->g) &&
           mem_dup(&c->m, "mlp", s->m, s->size, sizeof *c->m) && mem_dup(&c->v, "mlp", s->v, s->size, sizeof *c->v) &&
           mem_dup(&c->best, "mlp", s->best, s->size, sizeof *c->best) &&
           mem_dup(&c->loss, "mlp", s->loss, ne, sizeof *c->loss) &&
           mem_dup(&c->val_loss, "mlp", s->val_loss, s->val_loss ? ne : 0, sizeof *c->val_loss);
  if (!ok) {
    mlp_free(c);
    return br_error_set(BR_ERR_NOMEM, "mlp: out of memory for a copy of %zu parameters", s->size);
  }
  *out = c;
  return BR_OK;
}
