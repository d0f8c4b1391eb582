/* The cost of a deadline on br_tensor_matmul (scripts/bench/matmul): with
 * a deadline set, a large product runs as tiles of C with a clock read
 * between them (src/core/tensor_blas.c). Runs n x n products alternately
 * without and with a far deadline, so both see the same machine state, and
 * prints "n reps best_plain best_tiled median_plain median_tiled" in wall
 * seconds, then the same four in the calling thread's CPU seconds (with
 * OPENBLAS_NUM_THREADS=1 that is all the work, and time lost to other
 * processes on a shared machine does not count). Usage: matmul_deadline N REPS */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "bundle/bundle.h"

static double cpu_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s N REPS\n", argv[0]);
    return 2;
  }
  int64_t n = atoll(argv[1]), shape[2] = {n, n};
  int reps = atoi(argv[2]);
  br_rng rng;
  br_rng_seed(&rng, 1);
  br_tensor *a, *b;
  double *t[2] = {malloc((size_t)reps * sizeof(double)), malloc((size_t)reps * sizeof(double))};
  double *u[2] = {malloc((size_t)reps * sizeof(double)), malloc((size_t)reps * sizeof(double))};
  if (!t[0] || !t[1] || !u[0] || !u[1] || br_tensor_rand(&a, 2, shape, &rng) != BR_OK || br_tensor_rand(&b, 2, shape, &rng) != BR_OK)
    return 1;
  for (int w = 0; w < 3; w++) { /* warm-up: threads, pages */
    br_tensor *c;
    if (br_tensor_matmul(&c, a, b) != BR_OK) return 1;
    br_tensor_free(c);
  }
  for (int r = 0; r < reps; r++)
    for (int tiled = 0; tiled < 2; tiled++) {
      if (tiled) br_deadline_set(1e9); /* never reached: only the tiling is measured */
      br_tensor *c;
      double t0 = br_clock_now(), u0 = cpu_now();
      br_status s = br_tensor_matmul(&c, a, b);
      t[tiled][r] = br_clock_now() - t0;
      u[tiled][r] = cpu_now() - u0;
      br_deadline_clear();
      if (s != BR_OK) {
        fprintf(stderr, "matmul: %s\n", br_last_error());
        return 1;
      }
      br_tensor_free(c);
    }
  qsort(t[0], (size_t)reps, sizeof(double), cmp);
  qsort(t[1], (size_t)reps, sizeof(double), cmp);
  qsort(u[0], (size_t)reps, sizeof(double), cmp);
  qsort(u[1], (size_t)reps, sizeof(double), cmp);
  printf("%lld %d %.4f %.4f %.4f %.4f %.4f %.4f %.4f %.4f\n", (long long)n, reps, t[0][0], t[1][0], t[0][reps / 2],
         t[1][reps / 2], u[0][0], u[1][0], u[0][reps / 2], u[1][reps / 2]);
  br_tensor_free(a);
  br_tensor_free(b);
  free(t[0]);
  free(t[1]);
  free(u[0]);
  free(u[1]);
  return 0;
}
