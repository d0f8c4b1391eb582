/* The peer for scripts/bench/fim: classic Eclat (Zaki 2000), the algorithm
 * behind arules' eclat(), on sorted tid-lists intersected item by item,
 * items in ascending support order. A plain, independent implementation:
 * its itemset counts must equal bundlerun's, which cross-checks the miner
 * on real data; its times give a baseline in the same run.
 * Usage: fim_eclat FILE MIN_SUPPORT   prints "itemsets read_s mine_s peak_kb" */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

typedef struct { int *t; int n; } tidlist;

static long long found;
static int minc;

static int intersect(const tidlist *a, const tidlist *b, int *out) {
  int i = 0, j = 0, k = 0;
  while (i < a->n && j < b->n) {
    if (a->t[i] < b->t[j]) i++;
    else if (a->t[i] > b->t[j]) j++;
    else { out[k++] = a->t[i]; i++; j++; }
  }
  return k;
}

/* Extends the prefix whose extensions are lists[0..n). */
static void eclat(tidlist *lists, int n) {
  for (int i = 0; i < n; i++) {
    found++;
    tidlist *next = malloc((size_t)(n - i) * sizeof *next);
    int m = 0;
    for (int j = i + 1; j < n; j++) {
      int cap = lists[i].n < lists[j].n ? lists[i].n : lists[j].n;
      int *buf = malloc((size_t)(cap ? cap : 1) * sizeof *buf);
      int k = intersect(&lists[i], &lists[j], buf);
      if (k >= minc) { next[m].t = buf; next[m].n = k; m++; }
      else free(buf);
    }
    eclat(next, m);
    for (int j = 0; j < m; j++) free(next[j].t);
    free(next);
  }
}

static int cmp_len(const void *x, const void *y) {
  const tidlist *a = x, *b = y;
  return (a->n > b->n) - (a->n < b->n);
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: %s FILE MIN_SUPPORT\n", argv[0]); return 2; }
  double t0 = now();
  FILE *fp = fopen(argv[1], "r");
  if (!fp) { perror(argv[1]); return 1; }
  int cap = 1 << 16, nitems = 0, ntx = 0;
  tidlist *by_item = calloc((size_t)cap, sizeof *by_item);
  int *caps = calloc((size_t)cap, sizeof *caps);
  char line[1 << 16];
  while (fgets(line, sizeof line, fp)) {
    int last = -1;
    for (char *p = strtok(line, " \t\r\n"); p; p = strtok(NULL, " \t\r\n")) {
      int it = atoi(p);
      if (it >= cap) { fprintf(stderr, "item %d too large\n", it); return 1; }
      if (it + 1 > nitems) nitems = it + 1;
      tidlist *l = &by_item[it];
      if (l->n && l->t[l->n - 1] == ntx) continue; /* repeated in this basket */
      if (l->n == caps[it]) { caps[it] = caps[it] ? caps[it] * 2 : 8; l->t = realloc(l->t, (size_t)caps[it] * sizeof *l->t); }
      l->t[l->n++] = ntx;
      last = it;
    }
    (void)last;
    ntx++;
  }
  fclose(fp);
  double t1 = now();
  minc = (int)ceil(atof(argv[2]) * ntx);
  if (minc < 1) minc = 1;
  tidlist *f = malloc((size_t)nitems * sizeof *f);
  int m = 0;
  for (int i = 0; i < nitems; i++) if (by_item[i].n >= minc) f[m++] = by_item[i];
  qsort(f, (size_t)m, sizeof *f, cmp_len);
  eclat(f, m);
  double t2 = now();
  long peak = 0;
  FILE *st = fopen("/proc/self/status", "r");
  char buf[256];
  while (st && fgets(buf, sizeof buf, st)) if (strncmp(buf, "VmHWM:", 6) == 0) peak = atol(buf + 6);
  if (st) fclose(st);
  printf("%lld %.4f %.4f %ld\n", found, t1 - t0, t2 - t1, peak);
  return 0;
}
