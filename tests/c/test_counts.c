/* The count store (bundle/counts.h): exact counts through appends and
 * expiries against a direct recount, the sketch's bound, save and load. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_util.h"
#include "../../src/core/counts_internal.h" /* sketch_init's own guard */

#define DAY 86400
#define T0 1704067200
#define NITEMS 40
#define NB 3000

static const char *label(int i) {
  static char buf[NITEMS][16];
  snprintf(buf[i], sizeof buf[i], "x%d", i);
  return buf[i];
}

/* Basket k: 1..4 items, skewed towards small ids, and its time. */
static int basket(int k, int *items, int64_t *t) {
  uint64_t s = (uint64_t)k * 0x9e3779b97f4a7c15ull + 1;
  int n = 0;
  int len = (int)(s % 4) + 1;
  for (int i = 0; i < len; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    int a = (int)((s >> 33) % NITEMS), b = (int)((s >> 17) % NITEMS);
    int it = a < b ? a : b, dup = 0;
    for (int j = 0; j < n; j++) dup |= items[j] == it;
    if (!dup) items[n++] = it;
  }
  *t = T0 + (int64_t)k * 300; /* about 288 baskets a day */
  return n;
}

static void add(br_counts *c, int k) {
  int items[4];
  int64_t t;
  int n = basket(k, items, &t);
  const char *labels[4];
  for (int i = 0; i < n; i++) labels[i] = label(items[i]);
  assert_int_equal(br_counts_add(c, labels, NULL, n, t), BR_OK);
}

/* The true count of {a, b} (b < 0: of {a}) among baskets from..to-1. */
static double truth(int a, int b, int from, int to) {
  double n = 0;
  for (int k = from; k < to; k++) {
    int items[4];
    int64_t t;
    int m = basket(k, items, &t), ha = 0, hb = b < 0;
    for (int i = 0; i < m; i++) {
      ha |= items[i] == a;
      hb |= items[i] == b;
    }
    n += ha && hb;
  }
  return n;
}

static double count2(const br_counts *c, int a, int b) {
  const char *l[2] = {label(a), b >= 0 ? label(b) : NULL};
  return br_counts_count(c, l, NULL, b >= 0 ? 2 : 1);
}

static void window_counts_equal_a_recount(void **state) {
  (void)state;
  br_counts_options o;
  br_counts_options_init(&o);
  o.window_days = 2;
  br_counts *c = NULL;
  assert_int_equal(br_counts_new(&c, &o), BR_OK);
  for (int k = 0; k < NB; k++) add(c, k);
  int64_t now = T0 + (int64_t)(NB - 1) * 300;
  assert_int_equal(br_counts_expire(c, now), BR_OK);
  /* kept: baskets on day(now) - 1 and day(now) */
  int from = 0;
  while ((T0 + (int64_t)from * 300) / DAY < now / DAY - 1) from++;
  assert_double_equal(br_counts_nbaskets(c), NB - from, 0);
  for (int a = 0; a < NITEMS; a++) {
    assert_double_equal(count2(c, a, -1), truth(a, -1, from, NB), 0);
    for (int b = a + 1; b < NITEMS; b += 3) assert_double_equal(count2(c, a, b), truth(a, b, from, NB), 0);
  }
  /* a basket of an expired day is ignored */
  const char *old[2] = {"x1", "x2"};
  double before = count2(c, 1, 2);
  assert_int_equal(br_counts_add(c, old, NULL, 2, T0), BR_OK);
  assert_double_equal(count2(c, 1, 2), before, 0);
  /* time may not go back */
  assert_int_equal(br_counts_expire(c, T0), BR_ERR_ARG);
  br_counts_free(c);
}

/* Regression (fuzz_lua, 2026-12-01): a basket at the earliest int64 time
 * negated INT64_MIN to find its day (undefined behaviour); times at both
 * ends and just before 1970 now land on their floor day. */
static void extreme_times_have_a_day(void **state) {
  (void)state;
  br_counts_options o;
  br_counts_options_init(&o);
  br_counts *c = NULL;
  assert_int_equal(br_counts_new(&c, &o), BR_OK);
  const char *ab[2] = {"a", "b"};
  const int64_t times[] = {INT64_MIN, INT64_MIN + 1, -DAY - 1, -DAY, -1, 0, 1, INT64_MAX};
  for (size_t i = 0; i < sizeof times / sizeof *times; i++) assert_int_equal(br_counts_add(c, ab, NULL, 2, times[i]), BR_OK);
  assert_double_equal(br_counts_nbaskets(c), 8, 0);
  assert_double_equal(br_counts_count(c, ab, NULL, 2), 8, 0);
  br_counts_free(c);
  /* a window: a basket a second before 1970 is on day -1, so after expiring at day 0 with a 1-day window it is gone */
  o.window_days = 1;
  assert_int_equal(br_counts_new(&c, &o), BR_OK);
  assert_int_equal(br_counts_add(c, ab, NULL, 2, -1), BR_OK);
  assert_int_equal(br_counts_add(c, ab, NULL, 2, 0), BR_OK);
  assert_int_equal(br_counts_expire(c, 0), BR_OK);
  assert_double_equal(br_counts_count(c, ab, NULL, 2), 1, 0);
  assert_int_equal(br_counts_add(c, ab, NULL, 2, INT64_MIN), BR_OK); /* its day expired: ignored */
  assert_double_equal(br_counts_count(c, ab, NULL, 2), 1, 0);
  br_counts_free(c);
}

static void sketch_stays_within_its_bound(void **state) {
  (void)state;
  br_counts_options o;
  br_counts_options_init(&o);
  o.mode = BR_COUNTS_SKETCH;
  o.capacity = 50;
  o.width = 256;
  br_counts *c = NULL;
  assert_int_equal(br_counts_new(&c, &o), BR_OK);
  for (int k = 0; k < 500; k++) add(c, k);
  size_t mem = br_counts_memory(c);
  for (int k = 500; k < NB; k++) add(c, k);
  assert_int_equal(br_counts_memory(c), mem); /* every item was seen early: nothing grows */
  double bound = br_counts_sketch_total(c) / (double)o.capacity;
  for (int a = 0; a < NITEMS; a++) {
    assert_double_equal(count2(c, a, -1), truth(a, -1, 0, NB), 0); /* items are exact */
    for (int b = a + 1; b < NITEMS; b++) {
      double est = count2(c, a, b), t = truth(a, b, 0, NB);
      assert_true(est >= t);
      assert_true(est <= t + bound);
    }
  }
  br_counts_free(c);
}

/* A huge width or capacity is an error naming it, before any allocation:
 * the width's rounding to a power of two once looped with no bound (and
 * overflowed past 2^62). */
static void sketch_refuses_huge_sizes(void **state) {
  (void)state;
  const int64_t huge[] = {((int64_t)1 << 32) + 1, (int64_t)1 << 62, ((int64_t)1 << 62) + 1, INT64_MAX};
  for (size_t i = 0; i < sizeof huge / sizeof *huge; i++) {
    for (int field = 0; field < 2; field++) {
      br_counts_options o;
      br_counts_options_init(&o);
      o.mode = BR_COUNTS_SKETCH;
      if (field) o.capacity = huge[i];
      else o.width = huge[i];
      br_counts *c = NULL;
      assert_int_equal(br_counts_new(&c, &o), BR_ERR_ARG);
      assert_null(c);
      assert_non_null(strstr(br_last_error(), field ? "capacity must be at most 2^32 itemsets" : "width must be at most 2^32 counters a row"));
    }
  }
  sketch s;
  assert_int_equal(sketch_init(&s, 10, INT64_MAX, 4), BR_ERR_ARG); /* the guard in the sketch itself */
  assert_non_null(strstr(br_last_error(), "width must be in 1..4294967296"));
  assert_int_equal(sketch_init(&s, 10, 64, 17), BR_ERR_ARG);
  /* the largest width is taken as it is (a power of two already) */
  assert_int_equal(sketch_init(&s, 4, 1 << 10, 1), BR_OK);
  assert_int_equal(s.width, 1 << 10);
  sketch_free(&s);
  assert_int_equal(sketch_init(&s, 4, (1 << 10) + 1, 1), BR_OK);
  assert_int_equal(s.width, 1 << 11);
  sketch_free(&s);
}

static void save_and_load_round_trip(void **state) {
  (void)state;
  char path[] = "/tmp/bundle_counts_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  br_counts_options o;
  br_counts_options_init(&o);
  o.half_life_days = 3;
  o.max_size = 3;
  br_counts *c = NULL, *back = NULL;
  assert_int_equal(br_counts_new(&c, &o), BR_OK);
  for (int k = 0; k < 400; k++) add(c, k);
  assert_int_equal(br_counts_save(c, path), BR_OK);
  assert_int_equal(br_counts_load(&back, path), BR_OK);
  assert_double_equal(br_counts_nbaskets(back), br_counts_nbaskets(c), 0);
  for (int a = 0; a < NITEMS; a++)
    for (int b = a + 1; b < NITEMS; b++) assert_double_equal(count2(back, a, b), count2(c, a, b), 0);
  assert_int_equal(br_counts_get_options(back)->max_size, 3);
  br_counts_free(back);
  /* a file cut short is an error naming it */
  assert_int_equal(truncate(path, 40), 0);
  back = NULL;
  assert_int_not_equal(br_counts_load(&back, path), BR_OK);
  assert_null(back);
  assert_non_null(strstr(br_last_error(), path));
  unlink(path);
  br_counts_free(c);
}

/* A loaded store's saves append delta records until they would pass the
 * compaction size (an eighth of the store file, at least 1 MiB); then the
 * store is written whole and the delta file removed. Counts survive both. */
static void delta_records_then_compaction(void **state) {
  (void)state;
  char path[] = "/tmp/bundle_counts_XXXXXX", delta[64];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  snprintf(delta, sizeof delta, "%s.delta", path);
  br_counts *c = NULL, *back = NULL;
  assert_int_equal(br_counts_new(&c, NULL), BR_OK);
  for (int k = 0; k < 100; k++) add(c, k);
  assert_int_equal(br_counts_save(c, path), BR_OK);
  assert_int_not_equal(access(delta, F_OK), 0); /* a new store is written whole */
  for (int k = 100; k < 200; k++) add(c, k);
  assert_int_equal(br_counts_save(c, path), BR_OK);
  assert_int_equal(access(delta, F_OK), 0); /* then only what changed */
  assert_int_equal(br_counts_load(&back, path), BR_OK);
  assert_double_equal(count2(back, 1, 2), truth(1, 2, 0, 200), 0);
  assert_double_equal(br_counts_nbaskets(back), 200, 0);
  /* 50,000 baskets of two new items each: 150,000 entries, past 1 MiB */
  for (int k = 0; k < 50000; k++) {
    char u[16], v[16];
    snprintf(u, sizeof u, "u%d", k);
    snprintf(v, sizeof v, "v%d", k);
    const char *l[2] = {u, v};
    assert_int_equal(br_counts_add(back, l, NULL, 2, T0 + DAY), BR_OK);
  }
  assert_int_equal(br_counts_save(back, path), BR_OK);
  assert_int_not_equal(access(delta, F_OK), 0); /* compacted */
  br_counts_free(c);
  c = NULL;
  assert_int_equal(br_counts_load(&c, path), BR_OK);
  assert_double_equal(br_counts_nbaskets(c), 50200, 0);
  const char *uv[2] = {"u49999", "v49999"};
  assert_double_equal(br_counts_count(c, uv, NULL, 2), 1, 0);
  assert_double_equal(count2(c, 1, 2), truth(1, 2, 0, 200), 0);
  br_counts_free(back);
  br_counts_free(c);
  unlink(path);
  unlink(delta);
}

/* A store without a window: each load-append-save merges the records into
 * the level file (the first merge writes it, later ones write over the
 * spare and swap the names); counts equal a recount after every load; a
 * whole save removes the level and its spare. */
static void level_merges_then_compaction(void **state) {
  (void)state;
  char path[] = "/tmp/bundle_counts_XXXXXX", delta[64], level[64], spare[64];
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  close(fd);
  snprintf(delta, sizeof delta, "%s.delta", path);
  snprintf(level, sizeof level, "%s.level", path);
  snprintf(spare, sizeof spare, "%s.level.spare", path);
  br_counts *c = NULL;
  assert_int_equal(br_counts_new(&c, NULL), BR_OK);
  for (int k = 0; k < 500; k++) add(c, k);
  assert_int_equal(br_counts_save(c, path), BR_OK);
  br_counts_free(c);
  for (int day = 1; day <= 6; day++) {
    c = NULL;
    assert_int_equal(br_counts_load(&c, path), BR_OK);
    assert_double_equal(br_counts_nbaskets(c), 500 * day, 0);
    for (int a = 0; a < 6; a++) assert_double_equal(count2(c, a, a + 1), truth(a, a + 1, 0, 500 * day), 0);
    assert_double_equal(count2(c, 2, -1), truth(2, -1, 0, 500 * day), 0);
    for (int k = 500 * day; k < 500 * (day + 1); k++) add(c, k);
    assert_int_equal(br_counts_save(c, path), BR_OK);
    br_counts_free(c);
    assert_int_equal(access(level, F_OK), 0);
    assert_int_equal(access(delta, F_OK), 0); /* kept whole while there is a level */
  }
  assert_int_equal(access(spare, F_OK), 0); /* a merge wrote over it and swapped */
  c = NULL;
  assert_int_equal(br_counts_load(&c, path), BR_OK);
  assert_double_equal(count2(c, 1, 2), truth(1, 2, 0, 3500), 0);
  assert_int_equal(br_counts_save_whole(c, path), BR_OK);
  assert_int_not_equal(access(level, F_OK), 0);
  assert_int_not_equal(access(spare, F_OK), 0);
  assert_int_not_equal(access(delta, F_OK), 0);
  br_counts_free(c);
  c = NULL;
  assert_int_equal(br_counts_load(&c, path), BR_OK);
  assert_double_equal(count2(c, 1, 2), truth(1, 2, 0, 3500), 0);
  br_counts_free(c);
  unlink(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(window_counts_equal_a_recount),
      cmocka_unit_test(extreme_times_have_a_day),
      cmocka_unit_test(sketch_stays_within_its_bound),
      cmocka_unit_test(sketch_refuses_huge_sizes),
      cmocka_unit_test(save_and_load_round_trip),
      cmocka_unit_test(delta_records_then_compaction),
      cmocka_unit_test(level_merges_then_compaction),
  };
  return cmocka_run_group_tests_name("counts", tests, NULL, NULL);
}
