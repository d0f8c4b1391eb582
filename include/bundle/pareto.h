/* bundle/pareto.h — multi-objective tools (all objectives maximised).
 *
 *     int64_t *front, m;
 *     br_pareto_front(&front, &m, scores, n, 2);   // scores: n x 2, row-major
 *     double hv;  double ref[2] = {0, 0};
 *     br_hypervolume(&hv, scores, n, 2, ref);
 *     br_free_out(front);
 */
#ifndef BUNDLE_PARETO_H
#define BUNDLE_PARETO_H

#include <stdint.h>

#include "bundle/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Indices of the non-dominated points of p (n x d, row-major), ordered by
 * the first objective descending; equal points are kept once. O(n log n)
 * for d = 2. *idx is the caller's, charged to the memory budget until
 * freed with br_free_out (bundle/memory.h). */
br_status br_pareto_front(int64_t **idx, int64_t *nfront, const double *p, int64_t n, int d);
/* Non-dominated sorting: rank[i] = 1 for the front, 2 for the front once
 * that is removed, and so on (Deb's fast sort, O(d n^2)). */
br_status br_pareto_rank(int32_t *rank, const double *p, int64_t n, int d);
/* NSGA-II crowding distance of each front member (extremes infinite). */
void br_pareto_crowding(double *dist, const double *p, const int64_t *front, int64_t m, int d);
/* The volume dominated by the points and bounded by ref; exact for d = 2
 * and 3 (points not above ref in every objective add nothing). */
br_status br_hypervolume(double *out, const double *p, int64_t n, int d, const double *ref);

#ifdef __cplusplus
}
#endif
#endif
