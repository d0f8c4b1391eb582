/* The peer for scripts/bench/matmul: cblas_dgemm called directly from C on
 * preallocated n x n matrices. Prints "n best_gflops median_gflops reps". */
#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
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
  int n = atoi(argv[1]), reps = atoi(argv[2]);
  size_t nn = (size_t)n * (size_t)n;
  double *a = aligned_alloc(64, nn * 8), *b = aligned_alloc(64, nn * 8),
         *c = aligned_alloc(64, nn * 8), *t = malloc((size_t)reps * sizeof *t);
  if (!a || !b || !c || !t) return 1;
  srand(1);
  for (size_t i = 0; i < nn; i++) {
    a[i] = rand() / (double)RAND_MAX - 0.5;
    b[i] = rand() / (double)RAND_MAX - 0.5;
  }
  /* warm-up calls (as many as the Lua side makes): thread pool, caches */
  for (int w = 0; w < 5; w++)
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0, a, n, b, n, 0.0, c, n);
    t[r] = now() - t0;
  }
  qsort(t, (size_t)reps, sizeof *t, cmp);
  double flop = 2.0 * n * (double)n * n;
  printf("%d %.2f %.2f %d\n", n, flop / t[0] / 1e9, flop / t[reps / 2] / 1e9, reps);
  free(a), free(b), free(c), free(t);
  return 0;
}
