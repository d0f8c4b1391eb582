/* Private: a stable merge sort of int64 indices with a context-taking
 * comparator (C11's qsort has no context argument, and a global would not
 * be thread-safe). */
#ifndef BUNDLE_SORT_INDEX_H
#define BUNDLE_SORT_INDEX_H

#include <stdint.h>

typedef int (*index_cmp)(const void *ctx, int64_t a, int64_t b);

/* Sorts v[0..n) stably; returns 0 when out of memory (v is then unchanged). */
int sort_index(int64_t *v, int64_t n, index_cmp cmp, const void *ctx);

/* The same, for sorts of a size the caller does not bound (a frame's rows,
 * a beam's extensions): polls this thread's deadline between merges and
 * returns -1 once it has passed (v is then a permutation, unsorted). */
int sort_index_polled(int64_t *v, int64_t n, index_cmp cmp, const void *ctx);

#endif
