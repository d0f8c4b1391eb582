/* cmocka tests for the dist module in a world of one rank (this process,
 * not started by mpirun): file splitting for any number of ranks, the
 * collectives as identities, and distributed mining, backtests and Gram
 * matrices equal to the single-process ones. tests/mpi runs them on real
 * ranks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_util.h"

#include "bundle/bundle.h"

static char path[64];

/* order,item: orders o1..o40 of 1 + (k % 5) lines each; o7's item is quoted with a comma */
static const char *write_orders(void) {
  snprintf(path, sizeof path, "/tmp/test_dist_%d.csv", (int)getpid());
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs("order,item\n", fp);
  for (int k = 1; k <= 40; k++)
    for (int j = 0; j <= k % 5; j++)
      if (k == 7 && j == 0) fprintf(fp, "\"o%d\",\"x, y\"\r\n", k);
      else fprintf(fp, "o%d,i%d\n", k, (k * 7 + j * 3) % 9);
  fclose(fp);
  return path;
}

/* The key (first field, unquoted) of the line starting at byte at. */
static void key_at(const char *text, long at, char *key) {
  const char *p = text + at;
  if (*p == '"') p++;
  int n = 0;
  while (p[n] && p[n] != ',' && p[n] != '"') n++;
  memcpy(key, p, (size_t)n);
  key[n] = '\0';
}

static void ranges_tile_the_data_and_never_cut_an_order(void **state) {
  (void)state;
  const char *p = write_orders();
  FILE *fp = fopen(p, "rb");
  char text[4096];
  size_t n = fread(text, 1, sizeof text - 1, fp);
  fclose(fp);
  text[n] = '\0';
  long header = (long)(strchr(text, '\n') - text) + 1;
  br_dist_split sp;
  br_dist_split_init(&sp);
  sp.key = "order";
  for (int size = 1; size <= 7; size++) {
    int64_t prev_end = header;
    for (int r = 0; r < size; r++) {
      int64_t b, e;
      assert_int_equal(br_dist_range(&b, &e, p, &sp, r, size), BR_OK);
      assert_int_equal(b, prev_end); /* no gap, no overlap */
      assert_true(e >= b);
      if (b > header && b < (int64_t)n) { /* a cut: at a line start, between two orders */
        assert_int_equal(text[b - 1], '\n');
        long prev = (long)b - 2;
        while (prev > 0 && text[prev - 1] != '\n') prev--;
        char k1[32], k2[32];
        key_at(text, prev, k1);
        key_at(text, (long)b, k2);
        assert_string_not_equal(k1, k2);
      }
      prev_end = e;
    }
    assert_int_equal(prev_end, (int64_t)n);
  }
  /* without a key the cuts are at line starts only */
  sp.key = NULL;
  int64_t b, e;
  assert_int_equal(br_dist_range(&b, &e, p, &sp, 1, 3), BR_OK);
  assert_int_equal(text[b - 1], '\n');
  remove(p);
}

static void range_errors_name_the_problem(void **state) {
  (void)state;
  const char *p = write_orders();
  br_dist_split sp;
  br_dist_split_init(&sp);
  sp.key = "basket";
  int64_t b, e;
  assert_int_equal(br_dist_range(&b, &e, p, &sp, 0, 2), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "no column 'basket'"));
  sp.key = "order";
  assert_int_equal(br_dist_range(&b, &e, p, &sp, 2, 2), BR_ERR_ARG);
  assert_int_equal(br_dist_range(&b, &e, "/nonexistent/x.csv", &sp, 0, 1), BR_ERR_IO);
  assert_int_equal(br_dist_range(&b, &e, "examples/data/online_retail_2011h2.csv.gz", &sp, 0, 1), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "compressed"));
  remove(p);
}

static void one_rank_world_collectives_are_identities(void **state) {
  (void)state;
  br_comm *w = NULL;
  assert_int_equal(br_comm_world(&w), BR_OK);
  assert_int_equal(br_comm_rank(w), 0);
  assert_int_equal(br_comm_size(w), 1);
  double d[3] = {1.5, -2, 7};
  assert_int_equal(br_comm_allreduce_f64(w, d, 3, BR_COMM_MAX), BR_OK);
  assert_double_equal(d[1], -2, 0);
  int64_t i[2] = {5, 9};
  assert_int_equal(br_comm_allreduce_i64(w, i, 2, BR_COMM_SUM), BR_OK);
  assert_int_equal(i[1], 9);
  void *out = NULL;
  int64_t *lens = NULL;
  assert_int_equal(br_comm_gather(w, "abc", 3, 0, &out, &lens), BR_OK);
  assert_int_equal(lens[0], 3);
  assert_memory_equal(out, "abc", 3);
  br_free_out(out);
  br_free_out(lens);
  assert_int_equal(br_comm_gather(w, "abc", 3, 1, &out, &lens), BR_ERR_ARG); /* root 1 of 1 */
  br_comm_op op;
  assert_int_equal(br_comm_op_parse(&op, "min"), BR_OK);
  assert_int_equal(op, BR_COMM_MIN);
  assert_int_equal(br_comm_op_parse(&op, "avg"), BR_ERR_ARG);
  assert_string_equal(br_comm_op_name(BR_COMM_SUM), "sum");
}

static br_baskets *orders_baskets(void) {
  const char *p = write_orders();
  br_frame *f = NULL;
  assert_int_equal(br_frame_read_csv(&f, p, NULL, NULL), BR_OK);
  br_baskets_spec spec = {0};
  spec.basket = "order";
  spec.item = "item";
  br_baskets *b = NULL;
  assert_int_equal(br_baskets_from_frame(&b, f, &spec), BR_OK);
  br_frame_free(f);
  remove(p);
  return b;
}

static void dist_frequent_equals_one_process(void **state) {
  (void)state;
  br_comm *w = NULL;
  assert_int_equal(br_comm_world(&w), BR_OK);
  br_baskets *b = orders_baskets(), *g = NULL;
  assert_int_equal(br_dist_baskets_global(&g, w, b), BR_OK);
  assert_int_equal(br_baskets_size(g), br_baskets_size(b));
  /* the global dictionary is sorted: i0 < i1 < ... < "x, y" */
  size_t len;
  assert_memory_equal(br_baskets_label(g, 0, &len), "i0", 2);
  br_mine_options o;
  br_mine_options_init(&o);
  o.min_support = 0.1;
  br_itemsets *s1 = NULL, *s2 = NULL;
  assert_int_equal(br_baskets_frequent(&s1, g, &o), BR_OK);
  br_itemsets_sort_by_count(s1);
  assert_true(br_itemsets_count(s1) > 5);
  for (int pfp = 0; pfp < 2; pfp++) { /* the partition miner, then parallel FP-growth's */
    assert_int_equal((pfp ? br_dist_frequent_pfp : br_dist_frequent)(&s2, w, g, &o), BR_OK);
    assert_int_equal(br_itemsets_count(s2), br_itemsets_count(s1));
    assert_int_equal(br_itemsets_nbaskets(s2), 40);
    for (int64_t k = 0; k < br_itemsets_count(s1); k++) {
      int z1, z2;
      const int32_t *a = br_itemsets_items(s1, k, &z1), *c = br_itemsets_items(s2, k, &z2);
      assert_int_equal(z1, z2);
      assert_memory_equal(a, c, (size_t)z1 * sizeof *a);
      assert_int_equal(br_itemsets_support_count(s1, k), br_itemsets_support_count(s2, k));
    }
    br_itemsets_free(s2);
    s2 = NULL;
  }
  o.top = 3;
  assert_int_equal(br_dist_frequent(&s2, w, g, &o), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "'top'"));
  br_itemsets_free(s1);
  br_itemsets_free(s2);
  br_baskets_free(g);
  br_baskets_free(b);
}

static void dist_backtest_and_gram_equal_one_process(void **state) {
  (void)state;
  br_comm *w = NULL;
  assert_int_equal(br_comm_world(&w), BR_OK);
  br_baskets *b = orders_baskets(), *g = NULL;
  assert_int_equal(br_dist_baskets_global(&g, w, b), BR_OK);
  int32_t items[] = {0, 1, 2, 3, 4};
  int64_t off[] = {0, 2, 5};
  double price[] = {10, 4}, cost[] = {6, 1};
  br_backtest t1, t2;
  br_backtest_bundle p1[2], p2[2];
  assert_int_equal(br_eval_backtest(&t1, p1, g, items, off, 2, price, cost), BR_OK);
  assert_int_equal(br_dist_backtest(&t2, p2, w, g, items, off, 2, price, cost), BR_OK);
  assert_int_equal(t2.nbaskets, 40);
  assert_int_equal(t2.hits, t1.hits);
  assert_int_equal(t2.touched, t1.touched);
  assert_double_equal(t2.attach_rate, t1.attach_rate, 0);
  assert_double_equal(t2.mean_attach_rate, t1.mean_attach_rate, 0);
  assert_double_equal(t2.item_coverage, t1.item_coverage, 0);
  assert_double_equal(t2.revenue, t1.revenue, 0);
  assert_double_equal(t2.margin, t1.margin, 0);
  assert_double_equal(t2.diversity, t1.diversity, 0);
  assert_int_equal(p2[1].complete, p1[1].complete);
  double Y[6] = {1, 2, 3, 4, 5, 6}, G[4];
  assert_int_equal(br_dist_gram(G, w, Y, 3, 2), BR_OK);
  assert_double_equal(G[0], 1 + 9 + 25, 0);
  assert_double_equal(G[1], 2 + 12 + 30, 0);
  assert_double_equal(G[2], G[1], 0);
  assert_double_equal(G[3], 4 + 16 + 36, 0);
  br_baskets_free(g);
  br_baskets_free(b);
}

static void csv_range_reads_only_its_lines(void **state) {
  (void)state;
  const char *p = write_orders();
  br_dist_split sp;
  br_dist_split_init(&sp);
  sp.key = "order";
  int64_t total = 0;
  for (int r = 0; r < 3; r++) {
    int64_t b, e;
    assert_int_equal(br_dist_range(&b, &e, p, &sp, r, 3), BR_OK);
    br_csv_options o;
    br_csv_options_init(&o);
    o.range_begin = b;
    o.range_end = e;
    br_frame *f = NULL;
    assert_int_equal(br_frame_read_csv(&f, p, &o, NULL), BR_OK);
    total += br_frame_nrows(f);
    br_frame_free(f);
  }
  assert_int_equal(total, 40 + 40 / 5 * (0 + 1 + 2 + 3 + 4)); /* every line once: 120 */
  br_csv_options o;
  br_csv_options_init(&o);
  o.range_begin = 3; /* inside the header */
  o.range_end = 20;
  br_frame *f = NULL;
  assert_int_equal(br_frame_read_csv(&f, p, &o, NULL), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "line start after the header"));
  remove(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(ranges_tile_the_data_and_never_cut_an_order),
      cmocka_unit_test(range_errors_name_the_problem),
      cmocka_unit_test(one_rank_world_collectives_are_identities),
      cmocka_unit_test(dist_frequent_equals_one_process),
      cmocka_unit_test(dist_backtest_and_gram_equal_one_process),
      cmocka_unit_test(csv_range_reads_only_its_lines),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
