#include "sort_index.h"

#include <stdlib.h>
#include <string.h>
#include "bundle/memory.h"

static void merge_sort(int64_t *v, int64_t *tmp, int64_t n, index_cmp cmp, const void *ctx) {
  if (n <= 16) { /* insertion sort: stable and quick on short runs */
    for (int64_t i = 1; i < n; i++) {
      int64_t x = v[i], j = i;
      for (; j > 0 && cmp(ctx, v[j - 1], x) > 0; j--) v[j] = v[j - 1];
      v[j] = x;
    }
    return;
  }
  int64_t h = n / 2;
  merge_sort(v, tmp, h, cmp, ctx);
  merge_sort(v + h, tmp, n - h, cmp, ctx);
  if (cmp(ctx, v[h - 1], v[h]) <= 0) return;
  int64_t i = 0, j = h, k = 0;
  while (i < h && j < n) tmp[k++] = cmp(ctx, v[j], v[i]) < 0 ? v[j++] : v[i++];
  while (i < h) tmp[k++] = v[i++];
  while (j < n) tmp[k++] = v[j++];
  memcpy(v, tmp, (size_t)n * sizeof *v);
}

int sort_index(int64_t *v, int64_t n, index_cmp cmp, const void *ctx) {
  if (n < 2) return 1;
  int64_t *tmp = br_alloc("sort", (size_t)n, sizeof *tmp);
  if (!tmp) return 0;
  merge_sort(v, tmp, n, cmp, ctx);
  br_free(tmp);
  return 1;
}
