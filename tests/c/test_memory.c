/* cmocka tests for the core's allocator (bundle/memory.h): count * size
 * overflow is an error, zero sizes work, every block is charged to the
 * budget and given back exactly, and a limit hit while mining, searching or
 * reading a CSV fails with BR_ERR_NOMEM and a message, not a crash. */
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

static void assert_contains(const char *text, const char *part) {
  if (!strstr(text, part)) fail_msg("\"%s\" does not contain \"%s\"", text, part);
}

static void overflow_is_an_error_not_a_wrap(void **state) {
  (void)state;
  int64_t base = br_mem_used();
  /* 2^62 x 8 wraps to 0 in 64 bits: a wrapped malloc(0) would "succeed" */
  size_t big = (size_t)1 << 62;
  assert_null(br_alloc("wide array", big, 8));
  assert_int_equal(br_last_status(), BR_ERR_NOMEM);
  assert_contains(br_last_error(), "wide array: ");
  assert_contains(br_last_error(), "does not fit");
  assert_null(br_calloc("wide zeros", big, 16));
  assert_contains(br_last_error(), "wide zeros: ");
  assert_null(br_alloc_out("handed out", SIZE_MAX, 2));
  assert_contains(br_last_error(), "handed out: ");
  /* a failed realloc leaves the old block whole and charged */
  int *p = br_alloc("small", 4, sizeof *p);
  assert_non_null(p);
  for (int i = 0; i < 4; i++) p[i] = i + 10;
  int64_t with_p = br_mem_used();
  assert_null(br_realloc("grown", p, SIZE_MAX / 2, sizeof *p));
  assert_contains(br_last_error(), "grown: ");
  assert_int_equal(br_mem_used(), with_p);
  for (int i = 0; i < 4; i++) assert_int_equal(p[i], i + 10);
  br_free(p);
  assert_int_equal(br_mem_used(), base);
}

static void zero_size_gives_distinct_usable_blocks(void **state) {
  (void)state;
  int64_t base = br_mem_used();
  void *a = br_alloc("empty", 0, 8), *b = br_calloc("empty", 5, 0), *c = br_alloc_out("empty", 0, 4);
  assert_non_null(a);
  assert_non_null(b);
  assert_non_null(c);
  assert_ptr_not_equal(a, b);
  /* grow from nothing, shrink back to nothing */
  double *d = br_realloc("grow", a, 3, sizeof *d);
  assert_non_null(d);
  d[2] = 1.5;
  d = br_realloc("shrink", d, 0, sizeof *d);
  assert_non_null(d);
  br_free(d);
  br_free(b);
  br_free_out(c);
  br_free(NULL);
  br_free_out(NULL);
  assert_int_equal(br_mem_used(), base);
}

static void blocks_are_charged_and_released_exactly(void **state) {
  (void)state;
  int64_t base = br_mem_used();
  double *v = br_alloc("v", 1000, sizeof *v);
  assert_non_null(v);
  int64_t one = br_mem_used() - base;
  /* the bytes asked plus a header of at most 64 */
  assert_true(one >= 8000 && one <= 8064);
  v = br_realloc("v", v, 5000, sizeof *v);
  assert_non_null(v);
  assert_int_equal(br_mem_used() - base, one + 32000);
  v = br_realloc("v", v, 10, sizeof *v);
  assert_int_equal(br_mem_used() - base, one - 8000 + 80);
  char *s = br_strdup("name", "basket");
  assert_string_equal(s, "basket");
  br_free(s);
  br_free(v);
  assert_int_equal(br_mem_used(), base);
  /* handed-out blocks stay charged until br_free_out: the bytes asked,
   * plus malloc's rounding (a few bytes) */
  char *o = br_alloc_out("o", 100, 100);
  int64_t held = br_mem_used() - base;
  assert_true(held >= 10000 && held <= 10000 + 64);
  o = br_realloc_out("o", o, 300, 100);
  assert_non_null(o);
  o[29999] = 1;
  held = br_mem_used() - base;
  assert_true(held >= 30000 && held <= 30000 + 64);
  o = br_realloc_out("o", o, 10, 10);
  held = br_mem_used() - base;
  assert_true(held >= 100 && held <= 100 + 64);
  br_free_out(o);
  assert_int_equal(br_mem_used(), base);
  /* free() is still safe (a plain malloc block); the charge stays */
  o = br_alloc_out("o", 1, 1000);
  held = br_mem_used() - base;
  free(o);
  assert_int_equal(br_mem_used() - base, held);
  br_mem_release(held);
}

/* n baskets of `per` random items out of m, written to path. */
static void write_baskets(const char *path, int n, int m, int per, uint64_t seed) {
  br_rng r;
  br_rng_seed(&r, seed);
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  for (int k = 0; k < n; k++) {
    for (int j = 0; j < per; j++) fprintf(fp, "%d ", 1 + (int)br_rng_below(&r, (uint64_t)m));
    fputc('\n', fp);
  }
  fclose(fp);
}

typedef struct world {
  br_baskets *b;
  br_catalog *cat;
  br_bundle_stats *st;
} world;

#define M 14

static void make_world(world *w) {
  const char *path = "build/memory_world.dat";
  write_baskets(path, 400, M, 6, 7);
  w->b = test_read_baskets(path, 0);
  char text[M][12];
  const char *labels[M];
  double price[M], cost[M], stock[M];
  int32_t category[M];
  for (int i = 0; i < M; i++) {
    snprintf(text[i], sizeof text[i], "%d", i + 1);
    labels[i] = text[i];
    price[i] = 2 + i;
    cost[i] = 1;
    stock[i] = 5;
    category[i] = i % 3;
  }
  assert_int_equal(br_catalog_new(&w->cat, M, labels, NULL, price, cost, category, stock), BR_OK);
  assert_int_equal(br_bundle_stats_new(&w->st, w->cat, w->b), BR_OK);
}

static void free_world(world *w) {
  br_bundle_stats_free(w->st);
  br_catalog_free(w->cat);
  br_baskets_free(w->b);
}

static void mining_rules_and_search_give_back_every_byte(void **state) {
  (void)state;
  int64_t base = br_mem_used();
  world w;
  make_world(&w);
  int64_t with_world = br_mem_used();
  assert_true(with_world - base > 400 * 6 * 4); /* the baskets' items at least */
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_count = 2;
  br_itemsets *sets = NULL;
  assert_int_equal(br_baskets_frequent(&sets, w.b, &o), BR_OK);
  int64_t nsets = br_itemsets_count(sets);
  assert_true(nsets > 100);
  /* each itemset's count and items are held against the budget */
  assert_true(br_mem_used() - with_world > nsets * (int64_t)(sizeof(int64_t) + sizeof(int32_t)));
  br_rule_options ro;
  br_rule_options_init(&ro);
  br_rules *rules = NULL;
  assert_int_equal(br_itemsets_rules(&rules, sets, &ro), BR_OK);
  assert_true(br_rules_count(rules) > 0);
  br_search_spec sp;
  br_search_spec_init(&sp);
  sp.top = 50;
  br_search_result *res = NULL;
  assert_int_equal(br_search_pool(&res, w.st, NULL, 0, &sp), BR_OK);
  assert_true(br_search_result_count(res) > 0);
  br_search_result_free(res);
  br_rules_free(rules);
  br_itemsets_free(sets);
  assert_int_equal(br_mem_used(), with_world);
  free_world(&w);
  assert_int_equal(br_mem_used(), base);
}

/* Runs with the limit at `headroom` bytes over what is in use now. */
static int64_t limit_above_use(int64_t headroom) {
  br_mem_clear_limit_hit();
  br_mem_set_limit(br_mem_used() + headroom);
  return br_mem_used();
}

static void unlimit(void) {
  br_mem_set_limit(0);
  br_mem_clear_limit_hit();
}

/* Outputs count like the core's own blocks: pairs that do not fit in the
 * budget fail with BR_ERR_NOMEM before they are all made, and the ones
 * that fit are held against it until the caller frees them. */
static void handed_out_arrays_count_against_the_limit(void **state) {
  (void)state;
  const char *path = "build/memory_pairs.dat";
  write_baskets(path, 4, 1500, 1500, 5); /* ~1.3M pairs of ~950 items */
  br_baskets *b = test_read_baskets(path, 0);
  int64_t np = -1, base = br_mem_used();
  int32_t *pa = NULL, *pb = NULL;
  int64_t *pc = NULL;
  assert_int_equal(br_baskets_cooccurrence(b, 1, &np, &pa, &pb, &pc), BR_OK);
  assert_true(np > 200000);
  int64_t held = br_mem_used() - base;
  assert_true(held >= np * 16); /* a, b and the counts: 4 + 4 + 8 bytes a pair */
  br_free_out(pa);
  br_free_out(pb);
  br_free_out(pc);
  assert_int_equal(br_mem_used(), base);
  /* the same pairs under a budget a third their size */
  int64_t before = limit_above_use(held / 3);
  np = -1;
  assert_int_equal(br_baskets_cooccurrence(b, 1, &np, &pa, &pb, &pc), BR_ERR_NOMEM);
  assert_true(br_mem_limit_hit());
  assert_contains(br_last_error(), "memory limit");
  assert_true(np == -1);
  assert_int_equal(br_mem_used(), before); /* the failure path gave everything back */
  unlimit();
  br_baskets_free(b);
}

static void limit_hit_while_mining_is_nomem(void **state) {
  (void)state;
  const char *path = "build/memory_mine.dat";
  write_baskets(path, 3000, 60, 14, 11);
  br_baskets *b = test_read_baskets(path, 0);
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_count = 1; /* millions of itemsets without a limit */
  int64_t before = limit_above_use(2 << 20);
  br_itemsets *sets = NULL;
  assert_int_equal(br_baskets_frequent(&sets, b, &o), BR_ERR_NOMEM);
  assert_null(sets);
  assert_true(br_mem_limit_hit());
  assert_contains(br_last_error(), "memory limit of 2 MB reached");
  assert_contains(br_last_error(), "frequent");
  assert_int_equal(br_mem_used(), before); /* the failure path gave everything back */
  unlimit();
  br_baskets_free(b);
}

static void limit_hit_while_searching_is_nomem(void **state) {
  (void)state;
  world w;
  make_world(&w);
  br_search_spec sp;
  br_search_spec_init(&sp);
  sp.top = 100000;
  sp.max_size = 5;
  int64_t before = limit_above_use(16 << 10);
  br_search_result *res = NULL;
  assert_int_equal(br_search_pool(&res, w.st, NULL, 0, &sp), BR_ERR_NOMEM);
  assert_null(res);
  assert_true(br_mem_limit_hit());
  assert_contains(br_last_error(), "memory limit of");
  assert_int_equal(br_mem_used(), before);
  unlimit();
  free_world(&w);
}

static void limit_hit_while_reading_csv_is_nomem(void **state) {
  (void)state;
  const char *path = "build/memory_read.csv";
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs("order,item,price\n", fp);
  for (int i = 0; i < 200000; i++) fprintf(fp, "%d,item%d,%d.5\n", i / 3, i % 977, i % 50);
  fclose(fp);
  int64_t before = limit_above_use(1 << 20);
  br_frame *f = NULL;
  assert_int_equal(br_frame_read_csv(&f, path, NULL, NULL), BR_ERR_NOMEM);
  assert_null(f);
  assert_true(br_mem_limit_hit());
  assert_contains(br_last_error(), "memory limit of 1 MB reached");
  assert_int_equal(br_mem_used(), before);
  unlimit();
  /* and it reads whole without the limit, giving every byte back */
  assert_int_equal(br_frame_read_csv(&f, path, NULL, NULL), BR_OK);
  assert_int_equal(br_frame_nrows(f), 200000);
  br_frame_free(f);
  assert_int_equal(br_mem_used(), before);
  remove(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(overflow_is_an_error_not_a_wrap),
      cmocka_unit_test(zero_size_gives_distinct_usable_blocks),
      cmocka_unit_test(blocks_are_charged_and_released_exactly),
      cmocka_unit_test(mining_rules_and_search_give_back_every_byte),
      cmocka_unit_test(limit_hit_while_mining_is_nomem),
      cmocka_unit_test(handed_out_arrays_count_against_the_limit),
      cmocka_unit_test(limit_hit_while_searching_is_nomem),
      cmocka_unit_test(limit_hit_while_reading_csv_is_nomem),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
