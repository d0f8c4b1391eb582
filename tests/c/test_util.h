/* Shared helpers for the cmocka tests. Debian's cmocka 1.1.5 compares only
 * as float; these compare doubles exactly or within a stated tolerance. */
#ifndef BUNDLE_TEST_UTIL_H
#define BUNDLE_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmocka.h>

#include "bundle/bundle.h"

static inline void check_double(double a, double b, double eps, const char *file, int line) {
  if (a == b || fabs(a - b) <= eps) return; /* a == b covers equal infinities */
  print_error("%.17g != %.17g (tolerance %g)\n", a, b, eps);
  _fail(file, line);
}

#ifndef assert_double_equal
#define assert_double_equal(a, b, eps) \
  check_double((double)(a), (double)(b), (double)(eps), __FILE__, __LINE__)
#endif

/* A new tensor from row-major values (the test fails if it cannot be made). */
static inline br_tensor *test_matrix(int64_t r, int64_t c, const double *v) {
  int64_t shape[2] = {r, c};
  br_tensor *t = NULL;
  assert_int_equal(br_tensor_from_data(&t, 2, shape, v), BR_OK);
  return t;
}

static inline br_tensor *test_vector(int64_t n, const double *v) {
  br_tensor *t = NULL;
  assert_int_equal(br_tensor_from_data(&t, 1, &n, v), BR_OK);
  return t;
}

/* Baskets read from a file the test wrote (one basket a line, items
 * separated by spaces; names as labels when `names`, else integer ids),
 * then the file removed: every test that builds its baskets from text or a
 * generator ends the same way. */
static inline br_baskets *test_read_baskets(const char *path, int names) {
  br_baskets *b = NULL;
  assert_int_equal(names ? br_baskets_read_names(&b, path, ' ') : br_baskets_read(&b, path, ' '), BR_OK);
  remove(path);
  return b;
}

/* Writes `text` to `path` whole (the test fails if it cannot). */
static inline void test_write_text(const char *path, const char *text) {
  FILE *fp = fopen(path, "wb");
  assert_non_null(fp);
  assert_true(fputs(text, fp) >= 0);
  assert_int_equal(fclose(fp), 0);
}

/* Baskets from literal text, through a file of this process's own. */
static inline br_baskets *test_baskets_text(const char *text, int names) {
  char path[] = "/tmp/bundle_test_baskets_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  test_write_text(path, text);
  return test_read_baskets(path, names);
}

#endif
