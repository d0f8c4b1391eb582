/* Replays every fuzz seed and regression input (tests/fuzz/corpus/) through
 * the readers in the normal and sanitizer builds: each must load or fail
 * with a message, never crash. A crash the fuzzer finds goes into the
 * corpus as regress-*, so it is checked here on every `make test`. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bundle/bundle.h"

typedef int (*reader_fn)(const char *path);

static int read_csv(const char *path) {
  br_csv_options o;
  br_csv_options_init(&o);
  br_frame *f = NULL;
  br_status s = br_frame_read_csv(&f, path, &o, NULL);
  br_frame_free(f);
  return s;
}

static int read_baskets(const char *path) {
  br_baskets *b = NULL;
  br_status s = br_baskets_read(&b, path, ' ');
  br_baskets_free(b);
  return s;
}

static int read_model(const char *path) {
  br_model *m = NULL;
  br_status s = br_model_load(&m, path);
  br_model_free(m);
  return s;
}

/* Runs reader on every file of dir; returns how many there were. */
static int replay(const char *dir, reader_fn reader) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *e;
  char path[1024];
  while ((e = readdir(d)) != NULL) {
    if (e->d_name[0] == '.') continue;
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    int s = reader(path);
    /* failures must say something */
    if (s != BR_OK) assert_true(br_last_error()[0] != '\0');
    n++;
  }
  closedir(d);
  return n;
}

static void csv_inputs(void **state) {
  (void)state;
  assert_true(replay("tests/fuzz/corpus/fuzz_csv", read_csv) >= 20);
}

static void basket_inputs(void **state) {
  (void)state;
  assert_true(replay("tests/fuzz/corpus/fuzz_baskets", read_baskets) >= 4);
}

static void model_inputs(void **state) {
  (void)state;
  assert_true(replay("tests/fuzz/corpus/fuzz_model", read_model) >= 3);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(csv_inputs),
      cmocka_unit_test(basket_inputs),
      cmocka_unit_test(model_inputs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
