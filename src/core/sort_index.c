#include "sort_index.h"

#include <stdlib.h>
#include <string.h>
#include "bundle/memory.h"

#include "deadline_internal.h"

typedef struct sorter {
  index_cmp cmp;
  const void *ctx;
  int64_t *tmp;
  int64_t *work;  /* NULL: no deadline polls */
  int stopped;
} sorter;

static void merge_sort(sorter *s, int64_t *v, int64_t n) {
  if (s->stopped) return;
  if (n <= 16) { /* insertion sort: stable and quick on short runs */
    for (int64_t i = 1; i < n; i++) {
      int64_t x = v[i], j = i;
      for (; j > 0 && s->cmp(s->ctx, v[j - 1], x) > 0; j--) v[j] = v[j - 1];
      v[j] = x;
    }
    return;
  }
  int64_t h = n / 2;
  merge_sort(s, v, h);
  merge_sort(s, v + h, n - h);
  /* a stop leaves v a permutation (every merge copies back whole), unsorted */
  if (s->stopped || (s->work && deadline_poll(s->work, 4 * n) && (s->stopped = 1))) return;
  if (s->cmp(s->ctx, v[h - 1], v[h]) <= 0) return;
  int64_t i = 0, j = h, k = 0, *tmp = s->tmp;
  while (i < h && j < n) tmp[k++] = s->cmp(s->ctx, v[j], v[i]) < 0 ? v[j++] : v[i++];
  while (i < h) tmp[k++] = v[i++];
  while (j < n) tmp[k++] = v[j++];
  memcpy(v, tmp, (size_t)n * sizeof *v);
}

static int sort_with(int64_t *v, int64_t n, index_cmp cmp, const void *ctx, int64_t *work) {
  if (n < 2) return 1;
  sorter s = {cmp, ctx, br_alloc("sort", (size_t)n, sizeof *v), work, 0};
  if (!s.tmp) return 0;
  merge_sort(&s, v, n);
  br_free(s.tmp);
  return s.stopped ? -1 : 1;
}

int sort_index(int64_t *v, int64_t n, index_cmp cmp, const void *ctx) { return sort_with(v, n, cmp, ctx, NULL); }

int sort_index_polled(int64_t *v, int64_t n, index_cmp cmp, const void *ctx) {
  int64_t work = 0;
  return sort_with(v, n, cmp, ctx, &work);
}
