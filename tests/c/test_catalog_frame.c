/* cmocka tests for the frame <-> catalogue joins (bundle/catalog_frame.h)
 * and the frame preview text (br_frame_preview, br_cell_text), which the
 * bindings used to do themselves. */
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

static br_frame *frame_of(const char *text) {
  static const char *path = "build/test_catalog_frame.csv";
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
  br_frame *f = NULL;
  if (br_frame_read_csv(&f, path, NULL, NULL) != BR_OK) fail_msg("%s", br_last_error());
  return f;
}

static void catalog_from_frame_reads_every_column(void **state) {
  (void)state;
  br_frame *f = frame_of("sku,price,cost,dept,stock\nA,2,1.5,food,7\nB,4,3,toys,\nC,10,2,food,1\n");
  br_catalog_columns cc = {.item = "sku", .price = "price", .cost = "cost", .category = "dept", .stock = "stock",
                           .margin = NAN};
  br_catalog *cat = NULL;
  assert_int_equal(br_catalog_from_frame(&cat, f, &cc), BR_OK);
  assert_int_equal(br_catalog_size(cat), 3);
  assert_int_equal(br_catalog_find(cat, "B", 1), 1);
  assert_double_equal(br_catalog_price(cat, 2), 10, 0);
  assert_double_equal(br_catalog_cost(cat, 0), 1.5, 0);
  assert_double_equal(br_catalog_stock(cat, 0), 7, 0);
  assert_true(isnan(br_catalog_stock(cat, 1))); /* an empty stock cell is unknown */
  assert_int_equal(br_catalog_category(cat, 0), br_catalog_category(cat, 2)); /* both food */
  assert_int_not_equal(br_catalog_category(cat, 0), br_catalog_category(cat, 1));
  br_catalog_free(cat);
  br_frame_free(f);
}

static void catalog_from_frame_labels_integers_and_applies_margin(void **state) {
  (void)state;
  br_frame *f = frame_of("id,price\n22697,4\n-5,10\n");
  br_catalog_columns cc = {.item = "id", .price = "price", .margin = 0.25};
  br_catalog *cat = NULL;
  assert_int_equal(br_catalog_from_frame(&cat, f, &cc), BR_OK);
  assert_int_equal(br_catalog_find(cat, "22697", 5), 0);
  assert_int_equal(br_catalog_find(cat, "-5", 2), 1);
  assert_double_equal(br_catalog_cost(cat, 0), 3, 1e-12);
  assert_double_equal(br_catalog_cost(cat, 1), 7.5, 1e-12);
  assert_int_equal(br_catalog_category(cat, 0), -1);
  br_catalog_free(cat);
  br_frame_free(f);
}

static void catalog_from_frame_names_what_is_wrong(void **state) {
  (void)state;
  br_frame *f = frame_of("sku,price,cost,word\nA,2,1,x\nB,,1,y\n");
  br_catalog *cat = NULL;
  br_catalog_columns cc = {.item = "sku", .margin = 0.3};
  assert_int_equal(br_catalog_from_frame(&cat, f, &cc), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "catalog: option 'price' (a column name) is required");
  cc.price = "prize";
  assert_int_equal(br_catalog_from_frame(&cat, f, &cc), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "catalog: no column 'prize' for price");
  cc.price = "price";
  cc.cost = "cost";
  assert_int_equal(br_catalog_from_frame(&cat, f, &cc), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "give either cost = column or margin = rate"));
  cc.margin = NAN;
  assert_int_equal(br_catalog_from_frame(&cat, f, &cc), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "catalog: price is missing on row 2");
  cc.price = "word";
  assert_int_equal(br_catalog_from_frame(&cat, f, &cc), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "catalog: the price column is str, not numeric");
  cc.price = "price";
  cc.cost = NULL;
  cc.margin = 1;
  assert_int_equal(br_catalog_from_frame(&cat, f, &cc), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "catalog: margin must be a rate in [0, 1)");
  assert_null(cat);
  br_frame_free(f);
}

static void level_ids_map_labels_to_catalogue_ids(void **state) {
  (void)state;
  br_frame *items = frame_of("sku,price\nA,1\nB,2\nC,3\n");
  br_catalog_columns cc = {.item = "sku", .price = "price", .margin = 0.5};
  br_catalog *cat = NULL;
  assert_int_equal(br_catalog_from_frame(&cat, items, &cc), BR_OK);
  br_frame *lines = frame_of("item\nC\nZ\nA\nC\n");
  const br_column *c = br_frame_column(lines, 0);
  int32_t ids[8];
  assert_int_equal(br_column_nlevels(c), 3);
  assert_int_equal(br_catalog_level_ids(ids, cat, c), BR_OK);
  for (int32_t l = 0; l < 3; l++) {
    size_t len;
    const char *s = br_column_level(c, l, &len);
    assert_int_equal(ids[l], s[0] == 'C' ? 2 : s[0] == 'A' ? 0 : -1);
  }
  assert_int_equal(br_catalog_level_ids(ids, cat, br_frame_column(items, 1)), BR_ERR_ARG);
  br_frame_free(lines);
  br_frame_free(items);
  br_catalog_free(cat);
}

/* Order lines of items a, b (prices that move) and c (a fixed price). */
static br_frame *planted_orders(void) {
  size_t cap = 1 << 16, len = 0;
  char *text = malloc(cap);
  assert_non_null(text);
  len += (size_t)snprintf(text, cap, "item,price,qty,t\n");
  br_rng r;
  br_rng_seed(&r, 5);
  for (int wk = 0; wk < 40; wk++)
    for (int i = 0; i < 3; i++) {
      double p = i == 2 ? 4 : (i ? 7 : 3) * exp(0.2 * br_rng_normal(&r));
      double units = 500 * pow(p, -2) * exp(0.1 * br_rng_normal(&r)) * (i ? 49 : 9);
      len += (size_t)snprintf(text + len, cap - len, "%c,%.17g,%.17g,%d\n", "abc"[i], p, units, wk * 7);
    }
  br_frame *f = frame_of(text);
  free(text);
  return f;
}

static void elasticity_orders_join_the_catalogue(void **state) {
  (void)state;
  br_frame *o = planted_orders();
  const br_column *item = br_frame_column(o, 0), *price = br_frame_column(o, 1), *qty = br_frame_column(o, 2),
                  *t = br_frame_column(o, 3);
  br_elasticity_spec s;
  br_elasticity_spec_init(&s);
  double e_lev[3], e_cat[4];
  uint8_t est_lev[3], est_cat[4];
  br_elasticity_fit fit;
  assert_int_equal(br_price_elasticity_orders(e_lev, est_lev, &fit, item, price, qty, t, NULL, &s), BR_OK);
  assert_int_equal(fit.items, 2);
  /* a catalogue that lists the items in another order, and one they lack */
  br_frame *items = frame_of("sku,price\nz,1\nc,4\nb,7\na,3\n");
  br_catalog_columns cc = {.item = "sku", .price = "price", .margin = 0.5};
  br_catalog *cat = NULL;
  assert_int_equal(br_catalog_from_frame(&cat, items, &cc), BR_OK);
  assert_int_equal(br_price_elasticity_orders(e_cat, est_cat, &fit, item, price, qty, t, cat, &s), BR_OK);
  for (int32_t l = 0; l < 3; l++) {
    size_t len;
    const char *lab = br_column_level(item, l, &len);
    int32_t id = br_catalog_find(cat, lab, len);
    assert_double_equal(e_cat[id], e_lev[l], 1e-12);
    assert_int_equal(est_cat[id], est_lev[l]);
  }
  assert_false(est_cat[0]); /* z has no lines: the prior */
  assert_double_equal(e_cat[3], 2, 0.15); /* a's planted slope */
  assert_int_equal(br_price_elasticity_orders(e_cat, est_cat, &fit, price, price, qty, t, cat, &s), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "price.elasticity: the item column must be str");
  br_catalog_free(cat);
  br_frame_free(items);
  br_frame_free(o);
}

static void preview_prints_names_types_and_dates(void **state) {
  (void)state;
  br_frame *f = frame_of("d,t,n,s\n2011-01-01,2011-01-01 08:26:00,1.5,a long label that is cut here\n"
                         "2012-02-29,2011-12-31 23:59:59,,x\n");
  const char *want = "bundle.Frame 2 rows x 4 columns\n"
                     "d           t                    n     s                       \n"
                     "datetime    datetime             f64   str                     \n"
                     "2011-01-01  2011-01-01 08:26:00   1.5  a long label that is cut\n"
                     "2012-02-29  2011-12-31 23:59:59  null  x                       \n";
  size_t n = br_frame_preview(NULL, 0, f);
  assert_int_equal(n, strlen(want));
  char buf[512];
  assert_int_equal(br_frame_preview(buf, sizeof buf, f), n);
  assert_string_equal(buf, want);
  char small[16];
  assert_int_equal(br_frame_preview(small, sizeof small, f), n); /* cut, terminated, full length told */
  assert_string_equal(small, "bundle.Frame 2 ");
  char cell[64];
  assert_int_equal(br_cell_text(cell, sizeof cell, br_frame_column(f, 0), 1), 10);
  assert_string_equal(cell, "2012-02-29");
  br_cell_text(cell, sizeof cell, br_frame_column(f, 1), 0);
  assert_string_equal(cell, "2011-01-01 08:26:00");
  br_cell_text(cell, sizeof cell, br_frame_column(f, 2), 1);
  assert_string_equal(cell, "null");
  assert_int_equal(br_cell_text(cell, 7, br_frame_column(f, 3), 0), 29);
  assert_string_equal(cell, "a long");
  br_frame_free(f);
}

static void preview_shows_first_and_last_five_rows(void **state) {
  (void)state;
  char text[256] = "k\n";
  for (int i = 1; i <= 12; i++) snprintf(text + strlen(text), sizeof text - strlen(text), "%d\n", i);
  br_frame *f = frame_of(text);
  char buf[512];
  br_frame_preview(buf, sizeof buf, f);
  assert_string_equal(buf, "bundle.Frame 12 rows x 1 columns\nk  \ni64\n  1\n  2\n  3\n  4\n  5\n...\n  8\n  9\n 10\n 11\n 12\n");
  br_frame_free(f);
}

/* A name column: descriptions for people, none where the value is null;
 * a numeric name column is an error. */
static void catalog_from_frame_keeps_item_names(void **state) {
  (void)state;
  br_frame *f = frame_of("sku,price,desc,n\nA,2,\"salt, fine\",1\nB,4,,2\n");
  br_catalog_columns cc = {.item = "sku", .price = "price", .margin = 0.5, .name = "desc"};
  br_catalog *c = NULL;
  assert_int_equal(br_catalog_from_frame(&c, f, &cc), BR_OK);
  size_t len;
  assert_string_equal(br_catalog_name(c, 0, &len), "salt, fine");
  assert_int_equal(len, 10);
  assert_null(br_catalog_name(c, 1, &len));
  assert_null(br_catalog_name(c, 2, &len));
  br_catalog_free(c);
  c = NULL;
  cc.name = "n";
  assert_int_equal(br_catalog_from_frame(&c, f, &cc), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "catalog: the name column must be str");
  cc.name = "nope";
  assert_int_equal(br_catalog_from_frame(&c, f, &cc), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "catalog: no column 'nope' for name");
  assert_null(c);
  br_frame_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(catalog_from_frame_reads_every_column),
      cmocka_unit_test(catalog_from_frame_labels_integers_and_applies_margin),
      cmocka_unit_test(catalog_from_frame_names_what_is_wrong),
      cmocka_unit_test(level_ids_map_labels_to_catalogue_ids),
      cmocka_unit_test(elasticity_orders_join_the_catalogue),
      cmocka_unit_test(preview_prints_names_types_and_dates),
      cmocka_unit_test(preview_shows_first_and_last_five_rows),
      cmocka_unit_test(catalog_from_frame_keeps_item_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
