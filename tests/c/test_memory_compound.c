/* cmocka tests for sizes of three or more factors (issue 18 §4): mem_mul
 * carries an overflow into br_alloc's own check instead of wrapping, a
 * compound size that fits is charged to the budget in full and given back,
 * zero counts need no `n ? n : 1` guard (the rule and count paths that used
 * one), and the communicator's buffers are charged until br_free_out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "test_util.h"

#include "bundle/bundle.h"
#include "bundle/memory.h"
#include "../../src/core/memory_internal.h"

static void assert_contains(const char *text, const char *part) {
  if (!strstr(text, part)) fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

static void mem_mul_saturates(void **state) {
  (void)state;
  assert_int_equal(mem_mul(3, 4), 12);
  assert_int_equal(mem_mul(0, SIZE_MAX), 0);
  assert_true(mem_mul(SIZE_MAX, 1) == SIZE_MAX);
  assert_true(mem_mul((size_t)1 << 33, (size_t)1 << 33) == SIZE_MAX); /* 2^66 */
  assert_true(mem_mul(SIZE_MAX / 2, 3) == SIZE_MAX);
}

/* n x 2 x 8 where n x 2 alone wraps past 2^64: refused, nothing charged,
 * by every member of the family; a failed realloc keeps the old block. */
static void overflowing_compound_size_is_refused(void **state) {
  (void)state;
  int64_t base = br_mem_used();
  size_t n = SIZE_MAX / 2 + 2; /* n x 2 = 2 (mod 2^64): a wrapped product would be a 32-byte block */
  assert_null(br_alloc("pairs", mem_mul(n, 2), 8));
  assert_int_equal(br_last_status(), BR_ERR_NOMEM);
  assert_contains(br_last_error(), "pairs: ");
  assert_contains(br_last_error(), "does not fit");
  assert_null(br_calloc("pairs", mem_mul(n, 2), 8));
  assert_null(br_alloc_out("pairs", mem_mul(n, 2), 8));
  assert_null(br_alloc("bytes", mem_mul((size_t)1 << 40, (size_t)1 << 30), 1)); /* 2^70 bytes of size 1 */
  assert_contains(br_last_error(), "bytes: ");
  assert_int_equal(br_mem_used(), base);
  double *p = br_alloc("pairs", mem_mul(4, 2), sizeof *p);
  assert_non_null(p);
  for (int i = 0; i < 8; i++) p[i] = i;
  int64_t held = br_mem_used();
  assert_null(br_realloc("pairs", p, mem_mul(n, 2), sizeof *p));
  assert_int_equal(br_mem_used(), held);
  assert_true(p[7] == 7);
  br_free(p);
  assert_int_equal(br_mem_used(), base);
}

/* A compound size that fits is charged for every factor; under a limit
 * just below it, refused with the limit's message. */
static void compound_size_is_charged_and_limited(void **state) {
  (void)state;
  int64_t base = br_mem_used();
  char **texts = br_alloc("counts", mem_mul(1000, 2), sizeof *texts);
  assert_non_null(texts);
  texts[1999] = NULL; /* the last slot is there */
  assert_true(br_mem_used() - base >= 2000 * (int64_t)sizeof *texts);
  assert_true(br_mem_used() - base < 2000 * (int64_t)sizeof *texts + 64);
  br_free(texts);
  assert_int_equal(br_mem_used(), base);
  int64_t old = br_mem_set_limit(base + 10000);
  assert_null(br_alloc("counts", mem_mul(1000, 2), sizeof(double))); /* 16,000 bytes */
  assert_int_equal(br_last_status(), BR_ERR_NOMEM);
  assert_contains(br_last_error(), "counts");
  assert_true(br_mem_limit_hit());
  br_mem_clear_limit_hit();
  br_mem_set_limit(old);
  assert_int_equal(br_mem_used(), base);
  /* zero of a compound: a valid block, given back */
  double *z = br_alloc("counts", mem_mul(0, 2), sizeof *z);
  assert_non_null(z);
  br_free(z);
  assert_int_equal(br_mem_used(), base);
}

/* The paths whose `n > 0 ? n : 1` guards went: empty rule sets (from
 * parts, a subset of nothing, then sorted) and a basket of no item. */
static void zero_counts_without_guards(void **state) {
  (void)state;
  int64_t base = br_mem_used();
  int64_t off[1] = {0};
  br_rules *r = NULL, *s = NULL, *t = NULL;
  assert_int_equal(br_rules_from_parts(&r, 3, 0, off, NULL, off, NULL, NULL), BR_OK);
  assert_int_equal(br_rules_count(r), 0);
  assert_int_equal(br_rules_subset(&s, r, NULL, 0), BR_OK);
  assert_int_equal(br_rules_count(s), 0);
  assert_int_equal(br_rules_sort(&t, s, BR_M_LIFT, 1), BR_OK);
  assert_int_equal(br_rules_count(t), 0);
  br_rules_free(r);
  br_rules_free(s);
  br_rules_free(t);
  br_counts_options o;
  br_counts_options_init(&o);
  br_counts *c = NULL;
  assert_int_equal(br_counts_new(&c, &o), BR_OK);
  assert_int_equal(br_counts_add(c, NULL, NULL, 0, 0), BR_OK);
  const char *ab[2] = {"a", "b"};
  assert_int_equal(br_counts_add(c, ab, NULL, 2, 0), BR_OK);
  assert_true(br_counts_nbaskets(c) >= 1);
  br_counts_free(c);
  assert_int_equal(br_mem_used(), base);
}

/* One rank: a gather's and an all-to-all's results are charged to the
 * budget while held and given back by br_free_out. */
static void comm_buffers_are_charged(void **state) {
  (void)state;
  br_comm *w = NULL;
  assert_int_equal(br_comm_world(&w), BR_OK);
  int64_t base = br_mem_used();
  char data[1000];
  memset(data, 'x', sizeof data);
  void *out = NULL;
  int64_t *lens = NULL;
  assert_int_equal(br_comm_gather(w, data, (int64_t)sizeof data, -1, &out, &lens), BR_OK);
  assert_int_equal(lens[0], 1000);
  assert_true(br_mem_used() - base >= 1000 + (int64_t)sizeof *lens);
  int64_t sendlens[1] = {0};
  void *recv = NULL;
  int64_t *recvlens = NULL;
  assert_int_equal(br_comm_alltoall(w, data, sendlens, &recv, &recvlens), BR_OK); /* 0 bytes: still a block */
  assert_non_null(recv);
  assert_int_equal(recvlens[0], 0);
  br_free_out(out);
  br_free_out(lens);
  br_free_out(recv);
  br_free_out(recvlens);
  assert_int_equal(br_mem_used(), base);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(mem_mul_saturates),
      cmocka_unit_test(overflowing_compound_size_is_refused),
      cmocka_unit_test(compound_size_is_charged_and_limited),
      cmocka_unit_test(zero_counts_without_guards),
      cmocka_unit_test(comm_buffers_are_charged),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
