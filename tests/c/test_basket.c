/* cmocka tests for baskets, itemsets and rules on cases checked by hand. */
#include <math.h>
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

/* 1 2 3 / 1 2 3 / 1 2 / 1 4 / 3 4 */
static br_baskets *hand_baskets(void) { return test_baskets_text("1 2 3\n3 2 1\n1 2\n1 4\n3 4\n", 0); }

/* "1,2,3"-style text of itemset k, by labels. */
static void set_text(const br_baskets *b, const br_itemsets *s, int64_t k, char *buf) {
  int sz;
  const int32_t *it = br_itemsets_items(s, k, &sz);
  char labels[8][8];
  for (int i = 0; i < sz; i++) {
    size_t len;
    const char *l = br_baskets_label(b, it[i], &len);
    snprintf(labels[i], sizeof labels[i], "%.*s", (int)len, l);
  }
  /* labels are small integers: sort them as numbers for a stable text */
  for (int i = 1; i < sz; i++)
    for (int j = i; j > 0 && atoi(labels[j - 1]) > atoi(labels[j]); j--) {
      char t[8];
      memcpy(t, labels[j], 8);
      memcpy(labels[j], labels[j - 1], 8);
      memcpy(labels[j - 1], t, 8);
    }
  buf[0] = '\0';
  for (int i = 0; i < sz; i++) {
    if (i) strcat(buf, ",");
    strcat(buf, labels[i]);
  }
}

/* Mined sets as "items:count" lines, sorted, into out. */
static void mined_text(const br_baskets *b, const br_mine_options *o, char *out) {
  br_itemsets *s = NULL;
  assert_int_equal(br_baskets_frequent(&s, b, o), BR_OK);
  char lines[64][32];
  int64_t n = br_itemsets_count(s);
  assert_true(n <= 64);
  for (int64_t k = 0; k < n; k++) {
    char t[24];
    set_text(b, s, k, t);
    snprintf(lines[k], sizeof lines[k], "%s:%lld", t, (long long)br_itemsets_support_count(s, k));
  }
  for (int64_t i = 1; i < n; i++)
    for (int64_t j = i; j > 0 && strcmp(lines[j - 1], lines[j]) > 0; j--) {
      char t[32];
      memcpy(t, lines[j], 32);
      memcpy(lines[j], lines[j - 1], 32);
      memcpy(lines[j - 1], t, 32);
    }
  out[0] = '\0';
  for (int64_t k = 0; k < n; k++) {
    strcat(out, lines[k]);
    strcat(out, " ");
  }
  br_itemsets_free(s);
}

static void frequent_closed_and_maximal_by_hand(void **state) {
  (void)state;
  br_baskets *b = hand_baskets();
  assert_int_equal(br_baskets_size(b), 5);
  assert_int_equal(br_baskets_nitems(b), 4);
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_count = 2;
  char got[1024];
  mined_text(b, &o, got);
  assert_string_equal(got, "1,2,3:2 1,2:3 1,3:2 1:4 2,3:2 2:3 3:3 4:2 ");
  o.closed = 1;
  mined_text(b, &o, got);
  assert_string_equal(got, "1,2,3:2 1,2:3 1:4 3:3 4:2 ");
  o.closed = 0;
  o.maximal = 1;
  mined_text(b, &o, got);
  assert_string_equal(got, "1,2,3:2 4:2 ");
  br_baskets_free(b);
}

static void measures_match_hand_values(void **state) {
  (void)state;
  double m[BR_MEASURE_COUNT];
  br_rule_measures(m, 10, 4, 5, 3);
  assert_double_equal(m[BR_M_SUPPORT], 0.3, 1e-15);
  assert_double_equal(m[BR_M_COVERAGE], 0.4, 1e-15);
  assert_double_equal(m[BR_M_CONFIDENCE], 0.75, 1e-15);
  assert_double_equal(m[BR_M_LIFT], 1.5, 1e-15);
  assert_double_equal(m[BR_M_LEVERAGE], 0.1, 1e-15);
  assert_double_equal(m[BR_M_CONVICTION], 2.0, 1e-15);
  assert_double_equal(m[BR_M_JACCARD], 0.5, 1e-15);
  assert_double_equal(m[BR_M_COSINE], 3 / sqrt(20), 1e-15);
  assert_double_equal(m[BR_M_KULCZYNSKI], 0.675, 1e-15);
  assert_double_equal(m[BR_M_ALL_CONFIDENCE], 0.6, 1e-15);
  assert_double_equal(m[BR_M_CHI_SQUARED], 1000.0 / 600.0, 1e-12);
  assert_double_equal(m[BR_M_FISHER_P], 55.0 / 210.0, 1e-12);
  br_rule_measures(m, 10, 3, 5, 3); /* confidence 1: conviction is infinite */
  assert_true(isinf(m[BR_M_CONVICTION]));
}

static void rules_and_matching_by_hand(void **state) {
  (void)state;
  br_baskets *b = hand_baskets();
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_count = 2;
  br_itemsets *s = NULL;
  br_rules *r = NULL;
  assert_int_equal(br_baskets_frequent(&s, b, &o), BR_OK);
  br_rule_options ro;
  br_rule_options_init(&ro);
  ro.min_confidence = 1.0;
  assert_int_equal(br_itemsets_rules(&r, s, &ro), BR_OK);
  /* confidence 1: 2=>1 (3/3), 1,3=>2 (2/2), 2,3=>1 (2/2) */
  assert_int_equal(br_rules_count(r), 3);
  int32_t one = br_baskets_find(b, "1", 1), two = br_baskets_find(b, "2", 1), three = br_baskets_find(b, "3", 1);
  int32_t basket[2] = {two < three ? two : three, two < three ? three : two};
  int64_t *idx, nm;
  assert_int_equal(br_rules_match(r, basket, 2, &idx, &nm), BR_OK);
  assert_int_equal(nm, 2); /* 2=>1 and 2,3=>1; 1,3=>2 needs 1 */
  for (int64_t k = 0; k < nm; k++) {
    int nr;
    assert_int_equal(br_rules_rhs(r, idx[k], &nr)[0], one);
  }
  br_free_out(idx);
  br_rules_free(r);
  br_itemsets_free(s);
  br_baskets_free(b);
}

/* Regression (found by fuzz_baskets): a carriage return inside a line
 * split two items in the parse but not in the count that sized the items
 * array, so "1\r2" wrote past it. */
static void carriage_returns_separate_items(void **state) {
  (void)state;
  br_baskets *b = test_baskets_text("1\r2\r\n3\r\r4 5\r\n\r6", 0);
  assert_int_equal(br_baskets_size(b), 3);
  const int64_t *off = br_baskets_offsets(b);
  assert_int_equal(off[1] - off[0], 2);
  assert_int_equal(off[2] - off[1], 3);
  assert_int_equal(off[3] - off[2], 1);
  assert_int_equal(br_baskets_nitems(b), 6);
  br_baskets_free(b);
}

static void bad_files_and_options_are_errors(void **state) {
  (void)state;
  test_write_text("build/bad_baskets.dat", "1 2\n3 x4\n");
  br_baskets *b = NULL;
  assert_int_equal(br_baskets_read(&b, "build/bad_baskets.dat", ' '), BR_ERR_PARSE);
  assert_string_equal(br_last_error(), "build/bad_baskets.dat:2: item 'x4' is not an integer");
  remove("build/bad_baskets.dat");
  b = hand_baskets();
  br_mine_options o;
  br_mine_options_init(&o);
  br_itemsets *s = NULL;
  o.min_support = 1.5;
  assert_int_equal(br_baskets_frequent(&s, b, &o), BR_ERR_ARG);
  o.min_support = 0.2;
  o.closed = o.maximal = 1;
  assert_int_equal(br_baskets_frequent(&s, b, &o), BR_ERR_ARG);
  o.closed = o.maximal = 0;
  o.min_count = 1;
  o.max_itemsets = 3;
  assert_int_equal(br_baskets_frequent(&s, b, &o), BR_ERR_LIMIT);
  assert_null(s);
  br_baskets_free(b);
}

/* member + day: 2 members x 2 days make 4 baskets, in order of first line. */
static void composite_keys_make_one_basket_per_combination(void **state) {
  (void)state;
  const char *member[6] = {"ann", "bob", "ann", "ann", "bob", "bob"};
  int64_t day[6] = {86400, 86400, 86400, 172800, 172800, 172800};
  const char *item[6] = {"milk", "milk", "bread", "eggs", "tea", "milk"};
  br_column *cm = NULL, *cd = NULL, *ci = NULL;
  assert_int_equal(br_column_from_strings(&cm, 6, member, NULL), BR_OK);
  assert_int_equal(br_column_from_i64(&cd, BR_DTYPE_DATETIME, 6, day, NULL), BR_OK);
  assert_int_equal(br_column_from_strings(&ci, 6, item, NULL), BR_OK);
  br_column *cols[3] = {cm, cd, ci};
  const char *names[3] = {"member", "date", "item"};
  br_frame *f = NULL;
  assert_int_equal(br_frame_new(&f, 3, names, cols), BR_OK);
  const char *key[2] = {"member", "date"};
  br_baskets_spec spec = {.item = "item", .time = "date", .basket_columns = key, .nbasket_columns = 2};
  br_baskets *b = NULL;
  assert_int_equal(br_baskets_from_frame(&b, f, &spec), BR_OK);
  assert_int_equal(br_baskets_size(b), 4);
  const int64_t *off = br_baskets_offsets(b);
  int64_t sizes[4] = {2, 1, 1, 2}; /* ann d1: milk bread; bob d1: milk; ann d2: eggs; bob d2: tea milk */
  for (int k = 0; k < 4; k++) assert_int_equal(off[k + 1] - off[k], sizes[k]);
  size_t len;
  assert_string_equal(br_baskets_label(b, br_baskets_items(b)[off[2]], &len), "eggs");
  assert_int_equal(br_baskets_times(b)[3], 172800);
  br_baskets_free(b);
  b = NULL;
  const char *bad[2] = {"member", "day"};
  spec.basket_columns = bad;
  assert_int_equal(br_baskets_from_frame(&b, f, &spec), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "baskets: no column 'day' (columns: member, date, item)");
  br_frame_free(f);
  br_column_release(cm);
  br_column_release(cd);
  br_column_release(ci);
}

/* Reference counting: each retain is one more free before the memory goes
 * (ASan reports a double free or a use after free if the count is off). */
static void retained_baskets_outlive_the_first_free(void **state) {
  (void)state;
  br_baskets *b = hand_baskets();
  assert_ptr_equal(br_baskets_retain(b), b);
  assert_ptr_equal(br_baskets_retain(b), b);
  br_baskets_free(b); /* the owner's handle */
  br_baskets_free(b); /* one holder */
  size_t len;
  assert_int_equal(br_baskets_size(b), 5);
  assert_string_equal(br_baskets_label(b, 0, &len), "1");
  br_baskets_free(b); /* the last one frees */
  assert_null(br_baskets_retain(NULL));
  br_baskets_free(NULL);
  const char *labels[2] = {"a", "b"};
  double price[2] = {1, 2}, cost[2] = {0.5, 1};
  br_catalog *c = NULL;
  assert_int_equal(br_catalog_new(&c, 2, labels, NULL, price, cost, NULL, NULL), BR_OK);
  assert_ptr_equal(br_catalog_retain(c), c);
  br_catalog_free(c);
  assert_int_equal(br_catalog_size(c), 2);
  br_catalog_free(c);
  assert_null(br_catalog_retain(NULL));
}

/* Rules given whole over label-only baskets (what read_rules builds): the
 * sides come back sorted without repeats, the measures as given, the match
 * index works, names ride along; bad rules are errors naming the rule. */
static void rules_from_parts_and_label_baskets(void **state) {
  (void)state;
  const char *labels[3] = {"salt, fine", "oil", "pepper"}, *names[3] = {"Fine salt", NULL, "Black pepper"};
  size_t lens[3] = {10, 3, 6}, nlens[3] = {9, 0, 12};
  br_baskets *b = NULL;
  assert_int_equal(br_baskets_from_labels(&b, 40, labels, lens, 3, names, nlens), BR_OK);
  assert_int_equal(br_baskets_size(b), 40);
  assert_int_equal(br_baskets_nitems(b), 3);
  assert_int_equal(br_baskets_find(b, "oil", 3), 1);
  size_t len;
  assert_string_equal(br_baskets_name(b, 0, &len), "Fine salt");
  assert_null(br_baskets_name(b, 1, &len));
  assert_null(br_baskets_name(b, 7, &len));
  /* rule 1: {pepper, salt, salt} => {oil}; rule 2: {oil} => {pepper} */
  int64_t lo[3] = {0, 3, 4}, ro[3] = {0, 1, 2};
  int32_t lhs[4] = {2, 0, 0, 1}, rhs[2] = {1, 2};
  double m[2 * BR_MEASURE_COUNT];
  for (int i = 0; i < 2 * BR_MEASURE_COUNT; i++) m[i] = i;
  br_rules *r = NULL;
  assert_int_equal(br_rules_from_parts(&r, 3, 2, lo, lhs, ro, rhs, m), BR_OK);
  assert_int_equal(br_rules_count(r), 2);
  int n;
  const int32_t *l = br_rules_lhs(r, 0, &n);
  assert_int_equal(n, 2);
  assert_int_equal(l[0], 0);
  assert_int_equal(l[1], 2);
  assert_true(br_rules_measures(r, 1)[BR_M_LIFT] == BR_MEASURE_COUNT + BR_M_LIFT);
  int32_t basket[2] = {0, 2};
  int64_t *idx = NULL, nm = 0;
  assert_int_equal(br_rules_match(r, basket, 2, &idx, &nm), BR_OK);
  assert_int_equal(nm, 1);
  assert_int_equal(idx[0], 0);
  br_free_out(idx);
  br_rules_free(r);
  r = NULL;
  int32_t bad[4] = {2, 0, 0, 9};
  assert_int_equal(br_rules_from_parts(&r, 3, 2, lo, bad, ro, rhs, m), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "rules: rule 2 has an empty side, more than 64 items or an unknown item");
  assert_null(r);
  br_baskets_free(b);
  const char *twice[2] = {"a", "a"};
  size_t tl[2] = {1, 1};
  assert_int_equal(br_baskets_from_labels(&b, 1, twice, tl, 2, NULL, NULL), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "baskets: label 2 repeats an earlier one");
}

/* A name column: each item's first non-null name, kept by a filter. */
static void baskets_keep_item_names(void **state) {
  (void)state;
  const char *bk[4] = {"1", "1", "2", "2"}, *it[4] = {"A", "B", "A", "C"}, *nm[4] = {NULL, "bee", "ay", NULL};
  size_t bl[4] = {1, 1, 1, 1}, il[4] = {1, 1, 1, 1}, nl[4] = {0, 3, 2, 0};
  br_column *cb = NULL, *ci = NULL, *cn = NULL;
  assert_int_equal(br_column_from_strings(&cb, 4, bk, bl), BR_OK);
  assert_int_equal(br_column_from_strings(&ci, 4, it, il), BR_OK);
  assert_int_equal(br_column_from_strings(&cn, 4, nm, nl), BR_OK);
  const char *cols[3] = {"basket", "item", "name"};
  br_column *cc[3] = {cb, ci, cn};
  br_frame *f = NULL;
  assert_int_equal(br_frame_new(&f, 3, cols, cc), BR_OK);
  br_baskets_spec spec = {.basket = "basket", .item = "item", .name = "name"};
  br_baskets *b = NULL;
  assert_int_equal(br_baskets_from_frame(&b, f, &spec), BR_OK);
  size_t len;
  int32_t a = br_baskets_find(b, "A", 1), c = br_baskets_find(b, "C", 1);
  assert_string_equal(br_baskets_name(b, a, &len), "ay"); /* the first non-null one, on a later line */
  assert_null(br_baskets_name(b, c, &len));
  double mask[2] = {0, 1};
  br_baskets *g = NULL;
  assert_int_equal(br_baskets_filter(&g, b, mask), BR_OK);
  assert_string_equal(br_baskets_name(g, br_baskets_find(g, "B", 1), &len), "bee");
  br_baskets_free(g);
  br_baskets_free(b);
  spec.name = "nope";
  assert_int_equal(br_baskets_from_frame(&b, f, &spec), BR_ERR_ARG);
  br_frame_free(f);
  br_column_release(cb);
  br_column_release(ci);
  br_column_release(cn);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(retained_baskets_outlive_the_first_free),
      cmocka_unit_test(frequent_closed_and_maximal_by_hand),
      cmocka_unit_test(measures_match_hand_values),
      cmocka_unit_test(rules_and_matching_by_hand),
      cmocka_unit_test(bad_files_and_options_are_errors),
      cmocka_unit_test(carriage_returns_separate_items),
      cmocka_unit_test(composite_keys_make_one_basket_per_combination),
      cmocka_unit_test(rules_from_parts_and_label_baskets),
      cmocka_unit_test(baskets_keep_item_names),
  };
  return cmocka_run_group_tests_name("basket", tests, NULL, NULL);
}
