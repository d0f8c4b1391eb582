/* cmocka tests for basket_build.h, the way other core modules (dist) make
 * baskets and itemsets without seeing their structures: the builder (its
 * arrays grown past the hint, labels shared with the model baskets, the
 * budget charged and given back, a refusal under a limit), the relabelled
 * copy (baskets re-sorted under the new ids) and itemsets' item counts
 * (rules' confidence reads them). */
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
#include "../../src/core/basket_build.h"

/* Baskets with no basket and items a, b, c, d (ids 0..3). */
static br_baskets *four_items(void) {
  const char *labels[4] = {"a", "b", "c", "d"};
  size_t lens[4] = {1, 1, 1, 1};
  br_baskets *b = NULL;
  assert_int_equal(br_baskets_from_labels(&b, 0, labels, lens, 4, NULL, NULL), BR_OK);
  return b;
}

static void builder_grows_and_shares_labels(void **state) {
  (void)state;
  br_baskets *like = four_items();
  int64_t before = br_mem_used();
  baskets_builder *bb = baskets_builder_like(like, 0, 0); /* no room: every basket grows the arrays */
  assert_non_null(bb);
  for (int k = 0; k < 100; k++) { /* basket k: {k % 4, (k + 1) % 4} sorted, every 10th empty */
    int32_t *row = baskets_builder_room(bb, 2);
    assert_non_null(row);
    int32_t x = k % 4, y = (k + 1) % 4;
    row[0] = x < y ? x : y;
    row[1] = x < y ? y : x;
    baskets_builder_close(bb, k % 10 == 0 ? 0 : 2);
  }
  br_baskets *b = baskets_builder_finish(bb);
  assert_true(br_mem_used() > before + 100 * (int64_t)(sizeof(int64_t) + 2 * sizeof(int32_t)) - 40);
  br_baskets_view v = br_baskets_view_of(b);
  assert_int_equal(v.n, 100);
  assert_int_equal(v.nitems, 4);
  assert_int_equal(v.off[0], 0);
  assert_int_equal(v.off[100], 90 * 2);
  assert_null(v.times);
  assert_int_equal(v.off[1] - v.off[0], 0);           /* basket 0 empty */
  assert_int_equal(v.items[v.off[3]], 0);             /* basket 3: {3, 0} sorted */
  assert_int_equal(v.items[v.off[3] + 1], 3);
  assert_int_equal(v.items[v.off[99]], 0);            /* basket 99: {3, 0} */
  size_t len;
  assert_memory_equal(br_baskets_label(b, 2, &len), "c", 1);
  int64_t sup[4];
  br_baskets_item_support(b, sup);
  assert_int_equal(sup[0] + sup[1] + sup[2] + sup[3], 180);
  br_baskets_free(b); /* gives back all it took; the shared labels stay with like */
  assert_int_equal(br_mem_used(), before);
  assert_memory_equal(br_baskets_label(like, 2, &len), "c", 1);
  br_baskets_free(like);
}

/* Under a limit a basket past it is refused with the budget's error; the
 * builder can still be freed, giving back all it took. */
static void builder_refused_under_a_limit(void **state) {
  (void)state;
  br_baskets *like = four_items();
  int64_t before = br_mem_used();
  baskets_builder *bb = baskets_builder_like(like, 4, 8);
  assert_non_null(bb);
  int64_t old = br_mem_set_limit(br_mem_used() + (1 << 20));
  assert_null(baskets_builder_room(bb, (int64_t)1 << 24)); /* 64 MB of ids */
  assert_non_null(strstr(br_last_error(), "baskets"));
  assert_true(br_mem_limit_hit());
  br_mem_clear_limit_hit();
  br_mem_set_limit(old);
  int32_t *row = baskets_builder_room(bb, 1); /* still usable */
  assert_non_null(row);
  row[0] = 1;
  baskets_builder_close(bb, 1);
  baskets_builder_free(bb);
  assert_int_equal(br_mem_used(), before);
  br_baskets_free(like);
}

static void relabel_resorts_under_new_ids(void **state) {
  (void)state;
  br_baskets *like = four_items();
  baskets_builder *bb = baskets_builder_like(like, 2, 4);
  int32_t *row = baskets_builder_room(bb, 3);
  row[0] = 0, row[1] = 1, row[2] = 3;
  baskets_builder_close(bb, 3);
  row = baskets_builder_room(bb, 1);
  row[0] = 2;
  baskets_builder_close(bb, 1);
  br_baskets *b = baskets_builder_finish(bb);
  /* new dictionary x, d, c, b, a: old id i becomes 4 - i */
  strdict *d = strdict_new();
  assert_non_null(d);
  const char *order[5] = {"x", "d", "c", "b", "a"};
  for (int i = 0; i < 5; i++) assert_int_equal(strdict_intern(d, order[i], 1), i);
  int32_t map[4] = {4, 3, 2, 1};
  br_baskets *g = NULL;
  assert_int_equal(baskets_relabel(&g, b, d, map), BR_OK);
  strdict_release(d); /* g holds its own reference */
  br_baskets_view v = br_baskets_view_of(g);
  assert_int_equal(v.n, 2);
  assert_int_equal(v.nitems, 5);
  int32_t want[4] = {1, 3, 4, 2}; /* {a, b, d} -> {4, 3, 1} sorted; {c} -> {2} */
  assert_memory_equal(v.items, want, sizeof want);
  size_t len;
  assert_memory_equal(br_baskets_label(g, 1, &len), "d", 1);
  assert_int_equal(br_baskets_find(g, "x", 1), 0);
  br_baskets_free(g);
  br_baskets_free(b);
  br_baskets_free(like);
}

/* Rules' confidence of a -> b is count(ab) / count(a), count(a) being the
 * item count set here. */
static void itemsets_item_counts_reach_rules(void **state) {
  (void)state;
  br_itemsets *s = itemsets_new(10, 2, 0);
  assert_non_null(s);
  int32_t ab[2] = {0, 1};
  assert_true(itemsets_push(s, ab, 2, 4, 0));
  int64_t counts[2] = {5, 8};
  itemsets_set_item_counts(s, counts);
  assert_int_equal(br_itemsets_count(s), 1);
  assert_int_equal(br_itemsets_support_count(s, 0), 4);
  assert_int_equal(br_itemsets_nbaskets(s), 10);
  br_rules *r = NULL;
  br_rule_options o;
  br_rule_options_init(&o);
  assert_int_equal(br_itemsets_rules(&r, s, &o), BR_OK);
  assert_int_equal(br_rules_count(r), 2);
  for (int64_t k = 0; k < 2; k++) {
    int n;
    const int32_t *lhs = br_rules_lhs(r, k, &n);
    double want = lhs[0] == 0 ? 4.0 / 5.0 : 4.0 / 8.0;
    assert_true(br_rules_measures(r, k)[BR_M_CONFIDENCE] == want);
  }
  br_rules_free(r);
  br_itemsets_free(s);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(builder_grows_and_shares_labels),
      cmocka_unit_test(builder_refused_under_a_limit),
      cmocka_unit_test(relabel_resorts_under_new_ids),
      cmocka_unit_test(itemsets_item_counts_reach_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
