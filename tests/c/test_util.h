/* Shared helpers for the cmocka tests. Debian's cmocka 1.1.5 compares only
 * as float; these compare doubles exactly or within a stated tolerance. */
#ifndef BUNDLE_TEST_UTIL_H
#define BUNDLE_TEST_UTIL_H

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

static inline void check_double(double a, double b, double eps, const char *file, int line) {
  if (a == b || fabs(a - b) <= eps) return; /* a == b covers equal infinities */
  print_error("%.17g != %.17g (tolerance %g)\n", a, b, eps);
  _fail(file, line);
}

#ifndef assert_double_equal
#define assert_double_equal(a, b, eps) \
  check_double((double)(a), (double)(b), (double)(eps), __FILE__, __LINE__)
#endif

#endif
