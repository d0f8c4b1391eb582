/* cmocka tests for the frame core: CSV reading from the fixture corpus,
 * the value parsers (including a property test of the fast float path
 * against strtod), group-by and join against hand-computed values. */
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

static br_frame *read_fixture(const char *name) {
  char path[256];
  snprintf(path, sizeof path, "tests/data/csv/%s", name);
  br_frame *f = NULL;
  if (br_frame_read_csv(&f, path, NULL, NULL) != BR_OK) fail_msg("%s", br_last_error());
  return f;
}

static void reads_basic_types_and_values(void **state) {
  (void)state;
  br_frame *f = read_fixture("basic.csv");
  assert_int_equal(br_frame_nrows(f), 3);
  const br_column *price = br_frame_column(f, br_frame_find(f, "price"));
  assert_int_equal(br_column_type(price), BR_DTYPE_F64);
  assert_double_equal(br_column_f64(price)[2], -1.25, 0);
  const br_column *day = br_frame_column(f, br_frame_find(f, "day"));
  assert_int_equal(br_column_type(day), BR_DTYPE_DATETIME);
  assert_int_equal(br_column_i64(day)[0], 1293926400); /* 2011-01-02 */
  const br_column *name = br_frame_column(f, br_frame_find(f, "name"));
  size_t len;
  assert_string_equal(br_column_level(name, br_column_codes(name)[1], &len), "pear");
  assert_int_equal(len, 4);
  br_frame_free(f);
}

static void ragged_row_error_names_file_and_line(void **state) {
  (void)state;
  br_frame *f = NULL;
  assert_int_equal(br_frame_read_csv(&f, "tests/data/csv/ragged.csv", NULL, NULL), BR_ERR_PARSE);
  assert_string_equal(br_last_error(), "tests/data/csv/ragged.csv:4: 3 fields, header has 2");
  assert_null(f);
  br_csv_options o;
  br_csv_options_init(&o);
  o.skip_bad_rows = 1;
  br_csv_report rep;
  assert_int_equal(br_frame_read_csv(&f, "tests/data/csv/ragged.csv", &o, &rep), BR_OK);
  assert_int_equal(rep.skipped, 2);
  assert_int_equal(rep.skipped_lines[1], 6);
  br_frame_free(f);
}

static void datetimes_parse_and_format_both_ways(void **state) {
  (void)state;
  int64_t t;
  char buf[32];
  assert_int_equal(br_datetime_parse(&t, "1970-01-01", 10), BR_OK);
  assert_int_equal(t, 0);
  assert_int_equal(br_datetime_parse(&t, "2000-02-29 23:59:59", 19), BR_OK);
  assert_int_equal(t, 951868799);
  br_datetime_format(buf, t, 1);
  assert_string_equal(buf, "2000-02-29 23:59:59");
  assert_int_equal(br_datetime_parse(&t, "1969-12-31 23:59:59", 19), BR_OK);
  assert_int_equal(t, -1);
  br_datetime_format(buf, t, 1);
  assert_string_equal(buf, "1969-12-31 23:59:59");
  assert_int_equal(br_datetime_parse(&t, "1900-02-29", 10), BR_ERR_PARSE); /* not a leap year */
  assert_int_equal(br_datetime_parse(&t, "2011-04-31", 10), BR_ERR_PARSE);
  assert_int_equal(br_datetime_parse(&t, "2011-01-01 24:00:00", 19), BR_ERR_PARSE);
}

/* The ISO shapes real exports use: no seconds, 'T', Z, offsets in three
 * spellings (taken off to give UTC), fractional seconds (dropped); text of
 * that shape naming no real day or hour is still no date. */
static void iso_datetimes_as_shops_export_them(void **state) {
  (void)state;
  const int64_t at = 1704121380; /* 2024-01-01 15:03:00 UTC */
  static const struct { const char *s; int64_t t; } ok[] = {
      {"2024-01-01 15:03", at},
      {"2024-01-01T15:03", at},
      {"2024-01-01T15:03:00Z", at},
      {"2024-01-01 15:03:00+01:00", at - 3600},
      {"2024-01-01 15:03:00+0100", at - 3600},
      {"2024-01-01 15:03:00 +0100", at - 3600},
      {"2024-01-01T15:03:00+01", at - 3600},
      {"2024-01-01T15:03:00-05:30", at + 5 * 3600 + 1800},
      {"2024-01-01T15:03:00.123", at},
      {"2024-01-01T15:03:00,5Z", at},
      {"2024-01-01T15:03:59.999999+00:00", at + 59},
      {"2024-01-01 00:30+01:00", at - 15 * 3600 - 3 * 60 - 1800}, /* 23:30 the day before, in UTC */
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
    int64_t t = -7;
    if (br_datetime_parse(&t, ok[i].s, strlen(ok[i].s)) != BR_OK) fail_msg("rejected '%s'", ok[i].s);
    if (t != ok[i].t) fail_msg("'%s' gave %lld, want %lld", ok[i].s, (long long)t, (long long)ok[i].t);
  }
  static const char *const bad[] = {"2024-02-30", "2023-02-29 10:00", "2024-01-01 25:00", "2024-01-01 15:60",
                                    "2024-01-01 15:03:00.", "2024-01-01 15:03:00+01:0", "2024-01-01 15:03:00+25:00",
                                    "2024-01-01 15:03:00 Z x", "2024-01-01 15", "2024-01-01X15:03",
                                    "2024-01-01 15:03 +1"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    int64_t t;
    if (br_datetime_parse(&t, bad[i], strlen(bad[i])) != BR_ERR_PARSE) fail_msg("accepted '%s'", bad[i]);
  }
  assert_string_equal(br_last_error(),
                      "'2024-01-01 15:03 +1' is not a date (YYYY-MM-DD, optionally with HH:MM[:SS[.fff]] and Z or +hh:mm)");
}

/* The fast decimal path must give exactly what strtod gives: 100,000 random
 * decimals of up to 15 digits, read through the CSV reader in one file. */
static void float_fast_path_matches_strtod_on_random_decimals(void **state) {
  (void)state;
  enum { N = 100000 };
  br_rng r;
  br_rng_seed(&r, 2024);
  char text[64];
  double *want = malloc(N * sizeof *want);
  FILE *fp = fopen("build/float_prop.csv", "w");
  assert_non_null(fp);
  assert_non_null(want);
  fprintf(fp, "x\n");
  for (int i = 0; i < N; i++) {
    uint64_t mant = br_rng_next(&r) % 1000000000000000ULL;
    int decimals = (int)br_rng_below(&r, 16), neg = (int)br_rng_below(&r, 2);
    int digits = snprintf(text + neg, sizeof text - 1, "%llu", (unsigned long long)mant);
    if (neg) text[0] = '-';
    if (decimals > 0 && decimals < digits) { /* insert a decimal point */
      char *p = text + neg + digits - decimals;
      memmove(p + 1, p, (size_t)decimals + 1);
      *p = '.';
    }
    fprintf(fp, "%s\n", text);
    want[i] = strtod(text, NULL);
  }
  fclose(fp);
  br_frame *f = NULL;
  br_csv_options o;
  br_csv_options_init(&o);
  const char *cols[1] = {"x"};
  br_dtype types[1] = {BR_DTYPE_F64};
  o.type_columns = cols;
  o.types = types;
  o.ntypes = 1;
  assert_int_equal(br_frame_read_csv(&f, "build/float_prop.csv", &o, NULL), BR_OK);
  const double *got = br_column_f64(br_frame_column(f, 0));
  for (int i = 0; i < N; i++)
    if (memcmp(&got[i], &want[i], sizeof *got) != 0)
      fail_msg("row %d: %.17g != strtod's %.17g", i + 2, got[i], want[i]);
  br_frame_free(f);
  free(want);
  remove("build/float_prop.csv");
}

static br_column *strings(int64_t n, const char *const *v) {
  br_column *c = NULL;
  assert_int_equal(br_column_from_strings(&c, n, v, NULL), BR_OK);
  return c;
}

static br_column *numbers(int64_t n, const double *v) {
  br_column *c = NULL;
  assert_int_equal(br_column_from_f64(&c, n, v, NULL), BR_OK);
  return c;
}

static void group_by_sums_counts_and_nunique_by_hand(void **state) {
  (void)state;
  const char *k[6] = {"a", "b", "a", NULL, "b", "a"};
  const char *u[6] = {"x", "x", "y", "z", "x", NULL};
  double v[6] = {1, 2, 3, 4, 5, 6};
  br_column *cols[3] = {strings(6, k), strings(6, u), numbers(6, v)};
  const char *names[3] = {"k", "u", "v"};
  br_frame *f = NULL, *g = NULL;
  assert_int_equal(br_frame_new(&f, 3, names, cols), BR_OK);
  br_agg aggs[4] = {{"n", BR_AGG_COUNT, NULL}, {"s", BR_AGG_SUM, "v"},
                    {"users", BR_AGG_NUNIQUE, "u"}, {"m", BR_AGG_MAX, "v"}};
  const char *keys[1] = {"k"};
  assert_int_equal(br_frame_group_by(&g, f, keys, 1, aggs, 4), BR_OK);
  /* groups in order of first appearance: a, b, null */
  assert_int_equal(br_frame_nrows(g), 3);
  const br_column *n = br_frame_column(g, 1), *s = br_frame_column(g, 2),
                  *users = br_frame_column(g, 3), *m = br_frame_column(g, 4);
  assert_int_equal(br_column_i64(n)[0], 3);
  assert_double_equal(br_column_f64(s)[0], 1 + 3 + 6, 0);
  assert_double_equal(br_column_f64(s)[1], 2 + 5, 0);
  assert_int_equal(br_column_i64(users)[0], 2); /* x, y (null not counted) */
  assert_int_equal(br_column_i64(users)[1], 1);
  assert_double_equal(br_column_f64(m)[2], 4, 0);
  assert_true(br_column_is_null(br_frame_column(g, 0), 2));
  for (int i = 0; i < 3; i++) br_column_release(cols[i]);
  br_frame_free(f);
  br_frame_free(g);
}

static void join_matches_many_to_many_in_order(void **state) {
  (void)state;
  const char *lk[3] = {"p", "q", "r"}, *rk[4] = {"q", "p", "q", "s"};
  double lv[3] = {1, 2, 3}, rv[4] = {10, 20, 30, 40};
  br_column *l[2] = {strings(3, lk), numbers(3, lv)}, *r[2] = {strings(4, rk), numbers(4, rv)};
  const char *ln[2] = {"k", "v"}, *rn[2] = {"k", "w"};
  br_frame *left = NULL, *right = NULL, *in = NULL, *lj = NULL;
  assert_int_equal(br_frame_new(&left, 2, ln, l), BR_OK);
  assert_int_equal(br_frame_new(&right, 2, rn, r), BR_OK);
  const char *on[1] = {"k"};
  assert_int_equal(br_frame_join(&in, left, right, on, 1, BR_JOIN_INNER), BR_OK);
  assert_int_equal(br_frame_nrows(in), 3); /* p-20, q-10, q-30 */
  const double *w = br_column_f64(br_frame_column(in, 2));
  assert_double_equal(w[0], 20, 0);
  assert_double_equal(w[1], 10, 0);
  assert_double_equal(w[2], 30, 0);
  assert_int_equal(br_frame_join(&lj, left, right, on, 1, BR_JOIN_LEFT), BR_OK);
  assert_int_equal(br_frame_nrows(lj), 4);
  assert_true(br_column_is_null(br_frame_column(lj, 2), 3)); /* r has no match */
  for (int i = 0; i < 2; i++) {
    br_column_release(l[i]);
    br_column_release(r[i]);
  }
  br_frame_free(left);
  br_frame_free(right);
  br_frame_free(in);
  br_frame_free(lj);
}

static void frame_new_rejects_mismatched_lengths_and_duplicate_names(void **state) {
  (void)state;
  double v[3] = {1, 2, 3};
  br_column *a = numbers(3, v), *b = numbers(2, v);
  br_column *cols[2] = {a, b};
  const char *names[2] = {"a", "b"}, *same[2] = {"a", "a"};
  br_frame *f = NULL;
  assert_int_equal(br_frame_new(&f, 2, names, cols), BR_ERR_SHAPE);
  cols[1] = a;
  assert_int_equal(br_frame_new(&f, 2, same, cols), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "frame: column name 'a' appears twice");
  br_column_release(a);
  br_column_release(b);
}

/* Writes text to a scratch CSV under build/ and returns its path. */
static const char *scratch_csv(const char *text) {
  static const char *path = "build/test_frame_scratch.csv";
  FILE *fp = fopen(path, "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
  return path;
}

/* decimal = ',': European prices read as numbers, thousands grouped by '.'
 * or ' '; quantities stay integers; text that is no such number is text,
 * or (forced) an error naming the mark. A STR column converts afterwards. */
static void decimal_comma_numbers_read_and_convert(void **state) {
  (void)state;
  br_csv_options o;
  br_csv_options_init(&o);
  o.sep = ';';
  o.decimal = ',';
  br_frame *f = NULL;
  const char *path = scratch_csv("sku;qty;price;total;code\nA;1;3,49;1.234,5;1.2\nB;2;-0,5;1 000;x\nC;3;NA;12;3\n");
  assert_int_equal(br_frame_read_csv(&f, path, &o, NULL), BR_OK);
  assert_int_equal(br_column_type(br_frame_column(f, 1)), BR_DTYPE_I64);
  const br_column *price = br_frame_column(f, 2), *total = br_frame_column(f, 3);
  assert_int_equal(br_column_type(price), BR_DTYPE_F64);
  assert_double_equal(br_column_f64(price)[0], 3.49, 0);
  assert_double_equal(br_column_f64(price)[1], -0.5, 0);
  assert_true(br_column_is_null(price, 2));
  assert_int_equal(br_column_type(total), BR_DTYPE_F64);
  assert_double_equal(br_column_f64(total)[0], 1234.5, 0);
  assert_double_equal(br_column_f64(total)[1], 1000, 0);
  assert_int_equal(br_column_type(br_frame_column(f, 4)), BR_DTYPE_STR); /* "1.2" is no decimal-comma number */
  br_column *num = NULL;
  assert_int_equal(br_column_to_number(&num, br_frame_column(f, 4), ','), BR_ERR_PARSE);
  assert_string_equal(br_last_error(), "to_number: row 1: '1.2' is not a number with a decimal comma (such as 3,49 or 1.234,56)");
  br_frame_free(f);
  /* the default reads the same file's prices as text, which to_number converts */
  o.decimal = '.';
  assert_int_equal(br_frame_read_csv(&f, path, &o, NULL), BR_OK);
  price = br_frame_column(f, 2);
  assert_int_equal(br_column_type(price), BR_DTYPE_STR);
  assert_int_equal(br_column_to_number(&num, price, ','), BR_OK);
  assert_int_equal(br_column_type(num), BR_DTYPE_F64);
  assert_double_equal(br_column_f64(num)[0], 3.49, 0);
  assert_true(br_column_is_null(num, 2));
  br_column_release(num);
  assert_int_equal(br_column_to_number(&num, price, '.'), BR_ERR_PARSE);
  assert_int_equal(br_column_to_number(&num, br_frame_column(f, 1), '.'), BR_OK); /* i64 -> f64 */
  assert_int_equal(br_column_type(num), BR_DTYPE_F64);
  assert_double_equal(br_column_f64(num)[2], 3, 0);
  br_column_release(num);
  br_frame_free(f);
  /* bad groupings are no numbers */
  static const char *const bad[] = {"1.23,4", "1.2345", "12.345.67", "1.234 567", ",", "3,", "1,2,3", "1e5"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    char text[64];
    snprintf(text, sizeof text, "v\n%s\n", bad[i]);
    o.decimal = ',';
    o.sep = ';';
    const char *t = "v";
    br_dtype f64 = BR_DTYPE_F64;
    o.type_columns = &t;
    o.types = &f64;
    o.ntypes = 1;
    if (br_frame_read_csv(&f, scratch_csv(text), &o, NULL) != BR_ERR_PARSE) fail_msg("accepted '%s'", bad[i]);
  }
  assert_non_null(strstr(br_last_error(), "'1e5' is not a number with a decimal comma"));
  o.decimal = ':';
  o.ntypes = 0;
  assert_int_equal(br_frame_read_csv(&f, path, &o, NULL), BR_ERR_ARG);
}

/* day_first on a column whose days are all <= 12 reads, but the data never
 * checked the order: the report lists that column (and only it). */
static void day_first_without_a_day_over_12_is_reported(void **state) {
  (void)state;
  br_csv_options o;
  br_csv_options_init(&o);
  o.time.day_first = 1;
  br_csv_report rep;
  br_frame *f = NULL;
  const char *path = scratch_csv("id,us,eu,iso\n1,03/05/2024,13/05/2024,2024-05-30\n2,12/11/2024,3/5/2024,2024-05-31\n");
  assert_int_equal(br_frame_read_csv(&f, path, &o, &rep), BR_OK);
  assert_int_equal(br_column_type(br_frame_column(f, 1)), BR_DTYPE_DATETIME);
  assert_int_equal(br_column_type(br_frame_column(f, 2)), BR_DTYPE_DATETIME);
  assert_int_equal(rep.day_first_unchecked, 1);
  assert_int_equal(rep.day_first_columns[0], 1); /* us; eu has a 13th, iso is not day-first text */
  br_frame_free(f);
  o.time.day_first = 0;
  assert_int_equal(br_frame_read_csv(&f, path, &o, &rep), BR_OK);
  assert_int_equal(rep.day_first_unchecked, 0);
  br_frame_free(f);
}

static void time_formats_parse_by_hand(void **state) {
  (void)state;
  int64_t t;
  br_time_format dmy = {"%d/%m/%Y %H:%M", 0};
  assert_int_equal(br_datetime_parse_as(&t, "03/01/2024 10:05", 16, &dmy), BR_OK);
  assert_int_equal(t, 1704276300); /* 2024-01-03 10:05:00 */
  assert_int_equal(br_datetime_parse_as(&t, " 3/1/2024  10:05 ", 17, &dmy), BR_OK); /* 1-digit fields, spaces */
  assert_int_equal(t, 1704276300);
  br_time_format mon = {"%d-%b-%y", 0};
  assert_int_equal(br_datetime_parse_as(&t, "9-DEC-11", 8, &mon), BR_OK);
  assert_int_equal(t, 1323388800); /* 2011-12-09 */
  assert_int_equal(br_datetime_parse_as(&t, "9-December-11", 13, &mon), BR_OK);
  assert_int_equal(t, 1323388800);
  assert_int_equal(br_datetime_parse_as(&t, "9-Dez-11", 8, &mon), BR_ERR_PARSE);
  assert_string_equal(br_last_error(), "'9-Dez-11' is not a date in the time_format '%d-%b-%y'");
  /* ISO is always accepted; 31 February never is */
  assert_int_equal(br_datetime_parse_as(&t, "2024-01-03", 10, &dmy), BR_OK);
  assert_int_equal(t, 1704240000);
  assert_int_equal(br_datetime_parse_as(&t, "31/02/2024 00:00", 16, &dmy), BR_ERR_PARSE);
  br_time_format df = {NULL, 1};
  assert_int_equal(br_datetime_parse_as(&t, "29-02-2024", 10, &df), BR_OK);
  assert_int_equal(t, 1709164800);
  assert_int_equal(br_datetime_parse_as(&t, "3.1.2024 7:08:09", 16, &df), BR_OK);
  assert_int_equal(t, 1704265689); /* 2024-01-03 07:08:09 */
  assert_int_equal(br_datetime_parse_as(&t, "3/1-2024", 8, &df), BR_ERR_PARSE); /* mixed separators */
  assert_int_equal(br_datetime_parse_as(&t, "29-02-2023", 10, &df), BR_ERR_PARSE);
  /* %z: Z or an offset, taken off to give UTC; %f: a fraction's digits, dropped */
  br_time_format z = {"%d/%m/%Y %H:%M:%S%z", 0};
  assert_int_equal(br_datetime_parse_as(&t, "03/01/2024 10:05:00+01:00", 25, &z), BR_OK);
  assert_int_equal(t, 1704276300 - 3600);
  assert_int_equal(br_datetime_parse_as(&t, "03/01/2024 10:05:00-0230", 24, &z), BR_OK);
  assert_int_equal(t, 1704276300 + 9000);
  assert_int_equal(br_datetime_parse_as(&t, "03/01/2024 10:05:00Z", 20, &z), BR_OK);
  assert_int_equal(t, 1704276300);
  assert_int_equal(br_datetime_parse_as(&t, "03/01/2024 10:05:00", 19, &z), BR_ERR_PARSE); /* %z wants one */
  br_time_format f = {"%d.%m.%Y %H:%M:%S.%f %z", 0};
  assert_int_equal(br_datetime_parse_as(&t, "3.1.2024 10:05:07.250 +0000", 27, &f), BR_OK);
  assert_int_equal(t, 1704276307);
  assert_int_equal(br_datetime_parse_as(&t, "3.1.2024 10:05:07. +0000", 24, &f), BR_ERR_PARSE); /* no digits */
  assert_int_equal(br_datetime_parse_as(&t, "3.1.2024 25:05:07.1 +0000", 25, &f), BR_ERR_PARSE); /* hour 25 */
}

static void bad_time_formats_are_named(void **state) {
  (void)state;
  br_time_format q = {"%d/%q/%Y", 0}, noday = {"%m/%Y", 0}, both = {"%d/%m/%Y", 1};
  assert_int_equal(br_time_format_check(&q), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "unknown directive '%q'"));
  assert_int_equal(br_time_format_check(&noday), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "has no day"));
  assert_int_equal(br_time_format_check(&both), BR_ERR_ARG);
  br_csv_options o;
  br_csv_options_init(&o);
  o.time = q;
  br_frame *f = NULL;
  assert_int_equal(br_frame_read_csv(&f, scratch_csv("a\n1\n"), &o, NULL), BR_ERR_ARG);
  assert_non_null(strstr(br_last_error(), "read_csv: time_format '%d/%q/%Y'"));
}

static void read_csv_reads_day_first_and_formatted_dates(void **state) {
  (void)state;
  br_csv_options o;
  br_csv_options_init(&o);
  o.time.day_first = 1;
  br_frame *f = NULL;
  const char *path = scratch_csv("member,date,iso\n1,03/01/2024,2024-01-03\n2,4/1/2024 10:05,2024-01-04\n");
  assert_int_equal(br_frame_read_csv(&f, path, &o, NULL), BR_OK);
  const br_column *d = br_frame_column(f, br_frame_find(f, "date"));
  assert_int_equal(br_column_type(d), BR_DTYPE_DATETIME);
  assert_int_equal(br_column_i64(d)[0], 1704240000);
  assert_int_equal(br_column_i64(d)[1], 1704326400 + 36300);
  assert_int_equal(br_column_type(br_frame_column(f, 2)), BR_DTYPE_DATETIME); /* ISO still infers */
  br_frame_free(f);
  f = NULL;
  /* without the option the day-first column is text, as before */
  assert_int_equal(br_frame_read_csv(&f, path, NULL, NULL), BR_OK);
  assert_int_equal(br_column_type(br_frame_column(f, 1)), BR_DTYPE_STR);
  br_frame_free(f);
  f = NULL;
  /* a forced datetime column that does not match names file, line, column, format */
  const char *names[1] = {"date"};
  br_dtype types[1] = {BR_DTYPE_DATETIME};
  br_csv_options_init(&o);
  o.type_columns = names;
  o.types = types;
  o.ntypes = 1;
  o.time.format = "%d/%m/%Y";
  path = scratch_csv("member,date\n1,03/01/2024\n2,2024/01/04\n");
  assert_int_equal(br_frame_read_csv(&f, path, &o, NULL), BR_ERR_PARSE);
  assert_non_null(strstr(br_last_error(), "test_frame_scratch.csv:3: column 'date': '2024/01/04' is not a date in the time_format '%d/%m/%Y'"));
  remove(path);
}

static void text_columns_become_datetimes(void **state) {
  (void)state;
  const char *v[4] = {"03/01/2024", NULL, "4/1/2024", "03/01/2024"};
  br_column *c = strings(4, v), *d = NULL;
  br_time_format df = {NULL, 1};
  assert_int_equal(br_column_to_datetime(&d, c, &df), BR_OK);
  assert_int_equal(br_column_type(d), BR_DTYPE_DATETIME);
  assert_int_equal(br_column_i64(d)[0], 1704240000);
  assert_true(br_column_is_null(d, 1));
  assert_int_equal(br_column_i64(d)[2], 1704326400);
  br_column_release(d);
  d = NULL;
  assert_int_equal(br_column_to_datetime(&d, c, NULL), BR_ERR_PARSE); /* ISO only */
  assert_string_equal(br_last_error(), "to_datetime: row 1: '03/01/2024' is not a date (YYYY-MM-DD, optionally with HH:MM[:SS[.fff]] and Z or +hh:mm)");
  br_column_release(c);
}

static void combine_joins_key_columns_and_prefix_masks_text(void **state) {
  (void)state;
  const char *m[3] = {"ann", "bob", NULL}, *inv[3] = {"C536379", "536380", "C1"};
  int64_t day[3] = {1704240000, 1704326400, 1704326400};
  br_column *cm = strings(3, m), *cd = NULL, *ci = strings(3, inv);
  assert_int_equal(br_column_from_i64(&cd, BR_DTYPE_DATETIME, 3, day, NULL), BR_OK);
  br_column *cols[3] = {cm, cd, ci};
  const char *names[3] = {"member", "date", "invoice"};
  br_frame *f = NULL;
  assert_int_equal(br_frame_new(&f, 3, names, cols), BR_OK);
  br_column *k = NULL;
  assert_int_equal(br_frame_combine(&k, f, names, 2, "|"), BR_OK);
  size_t len;
  assert_string_equal(br_column_level(k, br_column_codes(k)[0], &len), "ann|2024-01-03");
  assert_string_equal(br_column_level(k, br_column_codes(k)[1], &len), "bob|2024-01-04");
  assert_true(br_column_is_null(k, 2)); /* a null member: a null key */
  br_column_release(k);
  const char *missing[2] = {"member", "day"};
  assert_int_equal(br_frame_combine(&k, f, missing, 2, "|"), BR_ERR_ARG);
  assert_string_equal(br_last_error(), "combine: no column 'day' (columns: member, date, invoice)");
  double mask[3];
  assert_int_equal(br_column_prefix_mask(mask, ci, "C", 1), BR_OK);
  assert_true(mask[0] == 1 && mask[1] == 0 && mask[2] == 1);
  assert_int_equal(br_column_prefix_mask(mask, cd, "2024-01-04", 10), BR_OK); /* by the text of dates */
  assert_true(mask[0] == 0 && mask[1] == 1 && mask[2] == 1);
  br_frame_free(f);
  br_column_release(cm);
  br_column_release(cd);
  br_column_release(ci);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reads_basic_types_and_values),
      cmocka_unit_test(ragged_row_error_names_file_and_line),
      cmocka_unit_test(datetimes_parse_and_format_both_ways),
      cmocka_unit_test(float_fast_path_matches_strtod_on_random_decimals),
      cmocka_unit_test(group_by_sums_counts_and_nunique_by_hand),
      cmocka_unit_test(join_matches_many_to_many_in_order),
      cmocka_unit_test(frame_new_rejects_mismatched_lengths_and_duplicate_names),
      cmocka_unit_test(time_formats_parse_by_hand),
      cmocka_unit_test(iso_datetimes_as_shops_export_them),
      cmocka_unit_test(decimal_comma_numbers_read_and_convert),
      cmocka_unit_test(day_first_without_a_day_over_12_is_reported),
      cmocka_unit_test(bad_time_formats_are_named),
      cmocka_unit_test(read_csv_reads_day_first_and_formatted_dates),
      cmocka_unit_test(text_columns_become_datetimes),
      cmocka_unit_test(combine_joins_key_columns_and_prefix_masks_text),
  };
  return cmocka_run_group_tests_name("frame", tests, NULL, NULL);
}
