/* cmocka tests for the seeded generator and the error module. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "bundle/bundle.h"

static void same_seed_gives_same_stream_and_different_seeds_differ(void **state) {
  (void)state;
  br_rng a, b, c;
  br_rng_seed(&a, 42);
  br_rng_seed(&b, 42);
  br_rng_seed(&c, 43);
  int differ = 0;
  for (int i = 0; i < 1000; i++) {
    uint64_t x = br_rng_next(&a), y = br_rng_next(&b), z = br_rng_next(&c);
    assert_true(x == y);
    differ += x != z;
  }
  assert_true(differ > 990);
}

static void uniform_and_normal_have_textbook_moments(void **state) {
  (void)state;
  br_rng r;
  br_rng_seed(&r, 1);
  const int n = 200000;
  double su = 0, sn = 0, sn2 = 0, umin = 1, umax = 0;
  for (int i = 0; i < n; i++) {
    double u = br_rng_uniform(&r), z = br_rng_normal(&r);
    su += u;
    sn += z;
    sn2 += z * z;
    if (u < umin) umin = u;
    if (u > umax) umax = u;
  }
  /* Standard errors: uniform mean sd 0.29/sqrt(n) ~ 6.5e-4; tolerances are 6 sd. */
  assert_double_equal(su / n, 0.5, 4e-3);
  assert_double_equal(sn / n, 0.0, 1.4e-2);
  assert_double_equal(sn2 / n, 1.0, 2e-2);
  assert_true(umin >= 0.0 && umax < 1.0);
}

static void below_is_in_range_and_covers_it_evenly(void **state) {
  (void)state;
  br_rng r;
  br_rng_seed(&r, 3);
  int counts[7] = {0};
  for (int i = 0; i < 70000; i++) {
    uint64_t k = br_rng_below(&r, 7);
    assert_true(k < 7);
    counts[k]++;
  }
  for (int k = 0; k < 7; k++) assert_in_range(counts[k], 9400, 10600);
  assert_int_equal(br_rng_below(&r, 0), 0);
}

static void shuffle_is_a_permutation(void **state) {
  (void)state;
  br_rng r;
  br_rng_seed(&r, 9);
  size_t idx[50], seen[50] = {0};
  for (size_t i = 0; i < 50; i++) idx[i] = i;
  br_rng_shuffle(&r, idx, 50);
  size_t moved = 0;
  for (size_t i = 0; i < 50; i++) {
    seen[idx[i]]++;
    moved += idx[i] != i;
  }
  for (size_t i = 0; i < 50; i++) assert_int_equal(seen[i], 1);
  assert_true(moved > 40);
}

static void error_messages_are_kept_prefixed_and_named(void **state) {
  (void)state;
  assert_int_equal(br_error_set(BR_ERR_PARSE, "orders.csv:%d: bad", 12), BR_ERR_PARSE);
  assert_string_equal(br_last_error(), "orders.csv:12: bad");
  br_error_prefix("read_csv");
  assert_string_equal(br_last_error(), "read_csv: orders.csv:12: bad");
  assert_string_equal(br_status_str(BR_ERR_SHAPE), "shape mismatch");
  assert_string_equal(br_status_str(BR_OK), "ok");
  assert_string_equal(br_status_str((br_status)-99), "unknown status");
  char longmsg[3000];
  memset(longmsg, 'x', sizeof longmsg - 1);
  longmsg[sizeof longmsg - 1] = '\0';
  br_error_set(BR_ERR_ARG, "%s", longmsg);
  assert_int_equal(strlen(br_last_error()), 1023);
  br_error_clear();
  assert_string_equal(br_last_error(), "");
  assert_string_equal(br_version(), BR_VERSION);
}

static void clock_is_monotonic_with_fine_resolution(void **state) {
  (void)state;
  double t0 = br_clock_now(), t1 = t0;
  for (int i = 0; i < 1000000 && t1 == t0; i++) t1 = br_clock_now();
  assert_true(t1 > t0);
  assert_true(t1 - t0 < 1e-3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(same_seed_gives_same_stream_and_different_seeds_differ),
      cmocka_unit_test(uniform_and_normal_have_textbook_moments),
      cmocka_unit_test(below_is_in_range_and_covers_it_evenly),
      cmocka_unit_test(shuffle_is_a_permutation),
      cmocka_unit_test(error_messages_are_kept_prefixed_and_named),
      cmocka_unit_test(clock_is_monotonic_with_fine_resolution),
  };
  return cmocka_run_group_tests_name("rng, error, clock", tests, NULL, NULL);
}
