/* Atomic writes (src/core/atomic_file.c): the O_TMPFILE path leaves no
 * name while it writes; the named fallback (forced here with
 * atomic_no_tmpfile, as on a filesystem without O_TMPFILE) removes the
 * temporaries of killed writers, but not a live (locked) or fresh one;
 * both keep the target's mode and write through a symbolic link. */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../src/core/io_atomic_file.h"
#include "bundle/io.h"

static char dir[64];

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/test_atomic.XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));)
    if (e->d_name[0] != '.') unlinkat(dirfd(d), e->d_name, 0);
  if (d) closedir(d);
  rmdir(dir);
  atomic_no_tmpfile = 0;
  return 0;
}

static char *at(const char *name) {
  static char buf[4][256];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
  return buf[k];
}

static void make(const char *name, const char *text, int age_seconds) {
  FILE *fp = fopen(at(name), "w");
  assert_non_null(fp);
  fputs(text, fp);
  fclose(fp);
  if (age_seconds) {
    struct timeval tv[2];
    gettimeofday(&tv[0], NULL);
    tv[0].tv_sec -= age_seconds;
    tv[1] = tv[0];
    assert_int_equal(utimes(at(name), tv), 0);
  }
}

static int exists(const char *name) { return access(at(name), F_OK) == 0; }

static void assert_text(const char *name, const char *want) {
  char got[256] = {0};
  FILE *fp = fopen(at(name), "r");
  assert_non_null(fp);
  size_t n = fread(got, 1, sizeof got - 1, fp);
  fclose(fp);
  got[n] = '\0';
  assert_string_equal(got, want);
}

static int entries(void) {
  int n = 0;
  DIR *d = opendir(dir);
  for (struct dirent *e; d && (e = readdir(d));) n += e->d_name[0] != '.';
  closedir(d);
  return n;
}

static void unnamed_temporary_has_no_name_while_written(void **state) {
  (void)state;
  make("out.csv", "old\n", 0);
  atomic_file f;
  assert_int_equal(atomic_open(&f, at("out.csv"), "w"), BR_OK);
  fputs("new\n", f.fp);
  if (f.unnamed) assert_int_equal(entries(), 1); /* a kill now would leave only out.csv */
  else print_message("no O_TMPFILE on %s's filesystem: the named fallback ran\n", dir);
  assert_int_equal(atomic_commit(&f), BR_OK);
  assert_text("out.csv", "new\n");
  assert_int_equal(entries(), 1);
}

static void fallback_removes_stale_temporaries_only(void **state) {
  (void)state;
  atomic_no_tmpfile = 1;
  make("out.csv", "old\n", 0);
  make("out.csv.tmp.Ab3dEf", "killed writer\n", 2 * 3600);
  make("out.csv.tmp.Fr35h1", "just created, not locked yet\n", 0);
  make("out.csv.tmp.L0cked", "a live writer, long at it\n", 2 * 3600);
  make("other.csv.tmp.Ab3dEf", "another file's\n", 2 * 3600);
  int live = open(at("out.csv.tmp.L0cked"), O_RDONLY);
  assert_true(live >= 0);
  assert_int_equal(flock(live, LOCK_EX), 0);
  atomic_file f;
  assert_int_equal(atomic_open(&f, at("out.csv"), "w"), BR_OK);
  assert_int_equal(f.unnamed, 0);
  assert_non_null(f.tmp);
  fputs("new\n", f.fp);
  assert_int_equal(atomic_commit(&f), BR_OK);
  close(live);
  assert_text("out.csv", "new\n");
  assert_false(exists("out.csv.tmp.Ab3dEf"));
  assert_true(exists("out.csv.tmp.Fr35h1"));
  assert_true(exists("out.csv.tmp.L0cked"));
  assert_true(exists("other.csv.tmp.Ab3dEf"));
  assert_int_equal(entries(), 4);
}

static void failed_write_leaves_the_old_file_and_no_temporary(void **state) {
  (void)state;
  for (int fallback = 0; fallback < 2; fallback++) {
    atomic_no_tmpfile = fallback;
    make("out.csv", "old\n", 0);
    atomic_file f;
    assert_int_equal(atomic_open(&f, at("out.csv"), "w"), BR_OK);
    fputs("half", f.fp);
    atomic_abort(&f);
    assert_text("out.csv", "old\n");
    assert_int_equal(entries(), 1);
  }
}

static void mode_and_symlink_are_kept(void **state) {
  (void)state;
  for (int fallback = 0; fallback < 2; fallback++) {
    atomic_no_tmpfile = fallback;
    make("secret.csv", "old\n", 0);
    assert_int_equal(chmod(at("secret.csv"), 0600), 0);
    assert_int_equal(br_file_write_atomic(at("secret.csv"), "new\n", 4), BR_OK);
    struct stat st;
    assert_int_equal(stat(at("secret.csv"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);

    unlink(at("link.csv"));
    assert_int_equal(symlink("secret.csv", at("link.csv")), 0); /* relative, as people make them */
    assert_int_equal(br_file_write_atomic(at("link.csv"), "via link\n", 9), BR_OK);
    assert_int_equal(lstat(at("link.csv"), &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    assert_text("secret.csv", "via link\n");
    assert_int_equal(stat(at("secret.csv"), &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(entries(), 2);
  }
}

static void write_errors_carry_their_cause(void **state) {
  (void)state;
  assert_int_equal(br_file_write_atomic("/dev/full", "x\n", 2), BR_ERR_IO);
  assert_non_null(strstr(br_last_error(), "/dev/full: write failed: No space left on device"));
  assert_int_equal(br_file_write_atomic(dir, "x\n", 2), BR_ERR_IO);
  assert_non_null(strstr(br_last_error(), "Is a directory"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(unnamed_temporary_has_no_name_while_written, setup, teardown),
      cmocka_unit_test_setup_teardown(fallback_removes_stale_temporaries_only, setup, teardown),
      cmocka_unit_test_setup_teardown(failed_write_leaves_the_old_file_and_no_temporary, setup, teardown),
      cmocka_unit_test_setup_teardown(mode_and_symlink_are_kept, setup, teardown),
      cmocka_unit_test_setup_teardown(write_errors_carry_their_cause, setup, teardown),
  };
  return cmocka_run_group_tests_name("atomic", tests, NULL, NULL);
}
