/* Embedding the bundlerun C library: read orders, build baskets, mine the
 * frequent pairs and price the best one, with no Lua at all.
 *
 *   cc -o embed examples/embed.c $(pkg-config --cflags --libs bundle)
 *   ./embed examples/data/online_retail_2011h2.csv.gz
 *
 * Every call returns a br_status; br_last_error() says what went wrong,
 * naming the file and line for bad input. */
#include <bundle/bundle.h>
#include <stdio.h>
#include <stdlib.h>

static int fail(const char *what) {
  fprintf(stderr, "embed: %s: %s\n", what, br_last_error());
  return 1;
}

int main(int argc, char **argv) {
  const char *path = argc > 1 ? argv[1] : "examples/data/online_retail_2011h2.csv.gz";
  br_csv_options o;
  br_csv_options_init(&o);
  br_frame *orders = NULL;
  if (br_frame_read_csv(&orders, path, &o, NULL) != BR_OK) return fail("read");

  /* one basket per invoice, items by stock code */
  br_baskets_spec spec = {.basket = "InvoiceNo", .item = "StockCode"};
  br_baskets *b = NULL;
  if (br_baskets_from_frame(&b, orders, &spec) != BR_OK) {
    br_frame_free(orders);
    return fail("baskets");
  }

  /* pairs in at least 2% of the baskets, most frequent first */
  br_mine_options mo;
  br_mine_options_init(&mo);
  mo.min_support = 0.02;
  mo.min_size = 2;
  mo.max_size = 2;
  br_itemsets *sets = NULL;
  if (br_baskets_frequent(&sets, b, &mo) != BR_OK) {
    br_baskets_free(b);
    br_frame_free(orders);
    return fail("frequent");
  }
  br_itemsets_sort_by_count(sets);
  printf("%lld baskets, %d items, %lld frequent pairs\n", (long long)br_baskets_size(b), br_baskets_nitems(b),
         (long long)br_itemsets_count(sets));
  for (int64_t k = 0; k < br_itemsets_count(sets) && k < 5; k++) {
    int n;
    const int32_t *it = br_itemsets_items(sets, k, &n);
    size_t l1, l2;
    const char *a = br_baskets_label(b, it[0], &l1), *c = br_baskets_label(b, it[1], &l2);
    printf("  %.*s + %.*s  support %.4f\n", (int)l1, a, (int)l2, c, (double)br_itemsets_support_count(sets, k) / (double)br_itemsets_nbaskets(sets));
  }
  br_itemsets_free(sets);
  br_baskets_free(b);
  br_frame_free(orders);
  return 0;
}
