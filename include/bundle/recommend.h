/* bundle/recommend.h — implicit-feedback matrix factorisation (ALS) for
 * personalised bundles: users and items (or bundles) get factor vectors
 * whose dot product scores how likely a user is to take an item.
 *
 *     // user u's items: cols[off[u]..off[u+1]), optional counts in vals
 *     br_als_options o;  br_als_options_init(&o);
 *     o.factors = 32;
 *     double *U = NULL, *V = NULL;
 *     if (br_als_fit(&U, &V, nusers, nitems, off, cols, vals, &o) != BR_OK) puts(br_last_error());
 *     // score of user u for item i: dot(U + u * 32, V + i * 32)
 *     br_free_out(U); br_free_out(V);
 *
 * Hu, Koren and Volinsky (2008): confidence c = 1 + alpha * value on every
 * observed entry, preference 1 there and 0 elsewhere; each sweep solves the
 * users' then the items' ridge systems exactly (Cholesky), with Y'Y shared
 * through BLAS so the cost is O(nnz f^2 + (users + items) f^3).
 */
#ifndef BUNDLE_RECOMMEND_H
#define BUNDLE_RECOMMEND_H

#include <stdint.h>

#include "bundle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct br_als_options {
  int factors;     /* f (default 32) */
  double l2;       /* ridge on every factor vector (default 0.1) */
  double alpha;    /* confidence per unit of value (default 10) */
  int iterations;  /* sweeps (default 15) */
  uint64_t seed;   /* initial factors ~ N(0, 0.01) (default 1) */
  double *loss;    /* optional: the weighted loss after each sweep (iterations entries) */
} br_als_options;

void br_als_options_init(br_als_options *o);

/* Factors a rows x cols implicit matrix given as CSR (off: rows + 1, cols
 * ids in 0..cols-1, each at most once per row; vals >= 0, NULL means 1 per
 * entry). On
 * success *U (rows x f) and *V (cols x f), row-major, are the caller's,
 * charged to the memory budget until freed with br_free_out. */
br_status br_als_fit(double **U, double **V, int64_t rows, int64_t cols, const int64_t *off, const int32_t *idx,
                     const double *vals, const br_als_options *o);

#ifdef __cplusplus
}
#endif
#endif
