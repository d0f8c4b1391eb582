/* read_csv's fast path for plain lines (src/core/frame_csv_fast.c) against
 * libcsv alone (csv_fast_disabled): every file under tests/data/csv, the
 * small files of ../shared/data and the full Online Retail file when they
 * are there, and generated files full of what trips CSV readers (quotes
 * doubled or around separators and line breaks, CRLF and lone CR, empty
 * fields and blank lines, a BOM, ragged rows, long and huge values, NUL
 * bytes, text after a closing quote, a last line without a newline), read
 * whole (on one thread and on two) and in chunks, with several options.
 * Both paths must give the same status, the same message (so the same
 * line numbers), the same skipped lines and the same frames: names,
 * types and every value. */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "bundle/bundle.h"
#include "bundle/csv_chunks.h"
#include "bundle/rng.h"
#include "../../src/core/frame_csv_internal.h"

static char dir[64];

typedef struct outcome {
  br_status st;
  char msg[600];
  char *text; /* names, types and values of every frame read */
  size_t len, cap;
  br_csv_report rep;
} outcome;

static void append(outcome *o, const char *s, size_t n) {
  if (o->len + n + 1 > o->cap) {
    o->cap = (o->len + n + 1) * 2;
    o->text = realloc(o->text, o->cap);
    assert_non_null(o->text);
  }
  memcpy(o->text + o->len, s, n);
  o->len += n;
  o->text[o->len] = '\0';
}

/* Names, types and every value (null or not, text of strings, bits of
 * numbers) of f, as text to compare. */
static void append_frame(outcome *o, br_frame *f) {
  char buf[64];
  int64_t n = br_frame_nrows(f);
  for (int i = 0; i < br_frame_ncols(f); i++) {
    const char *name = br_frame_name(f, i);
    const br_column *c = br_frame_column(f, i);
    br_dtype t = br_column_type(c);
    append(o, name, strlen(name) + 1);
    int k = snprintf(buf, sizeof buf, ":%d:%lld\n", (int)t, (long long)br_column_null_count(c));
    append(o, buf, (size_t)k);
    for (int64_t r = 0; r < n; r++) {
      if (br_column_is_null(c, r)) {
        append(o, "N", 1);
        continue;
      }
      switch (t) {
        case BR_DTYPE_F64: append(o, (const char *)(br_column_f64(c) + r), 8); break;
        case BR_DTYPE_BOOL: append(o, (const char *)(br_column_bool(c) + r), 1); break;
        case BR_DTYPE_STR: {
          size_t len;
          const char *v = br_column_level(c, br_column_codes(c)[r], &len);
          append(o, v, len);
          append(o, "", 1);
          break;
        }
        default: append(o, (const char *)(br_column_i64(c) + r), 8); break;
      }
    }
  }
}

/* fast: 1 the fast path, 0 libcsv alone, 2 the fast path storing every
 * field in full (no repeat marks, csv_dedup_disabled). */
static void read_whole(outcome *o, const char *path, const br_csv_options *opts, int fast) {
  memset(o, 0, sizeof *o);
  csv_fast_disabled = !fast;
  csv_dedup_disabled = fast == 2;
  br_frame *f = NULL;
  o->st = br_frame_read_csv(&f, path, opts, &o->rep);
  csv_fast_disabled = 0;
  csv_dedup_disabled = 0;
  if (o->st != BR_OK) {
    snprintf(o->msg, sizeof o->msg, "%s", br_last_error());
    return;
  }
  append_frame(o, f);
  br_frame_free(f);
}

static void read_chunks(outcome *o, const char *path, const br_csv_options *opts, int fast, int64_t rows) {
  memset(o, 0, sizeof *o);
  csv_fast_disabled = !fast;
  br_csv_chunk_options co = {.rows = rows, .key = NULL};
  br_csv_chunks *c = NULL;
  o->st = br_csv_chunks_open(&c, path, opts, &co);
  while (o->st == BR_OK) {
    br_frame *f = NULL;
    o->st = br_csv_chunks_next(c, &f);
    if (o->st != BR_OK || !f) break;
    append_frame(o, f);
    br_frame_free(f);
  }
  if (o->st != BR_OK) snprintf(o->msg, sizeof o->msg, "%s", br_last_error());
  else o->rep = *br_csv_chunks_report(c);
  br_csv_chunks_close(c);
  csv_fast_disabled = 0;
}

static void same(const outcome *a, const outcome *b, const char *what, const char *path) {
  if (a->st != b->st || strcmp(a->msg, b->msg) != 0)
    fail_msg("%s %s: fast path %d '%s', libcsv %d '%s'", what, path, a->st, a->msg, b->st, b->msg);
  if (a->len != b->len || (a->len && memcmp(a->text, b->text, a->len) != 0))
    fail_msg("%s %s: the frames differ (%zu and %zu bytes of text)", what, path, a->len, b->len);
  if (a->rep.rows != b->rep.rows || a->rep.skipped != b->rep.skipped ||
      memcmp(a->rep.skipped_lines, b->rep.skipped_lines, sizeof a->rep.skipped_lines) != 0)
    fail_msg("%s %s: the reports differ (rows %lld/%lld, skipped %lld/%lld)", what, path, (long long)a->rep.rows,
             (long long)b->rep.rows, (long long)a->rep.skipped, (long long)b->rep.skipped);
}

static int compared;

/* Reads path both ways under opts: whole, on 1 and 2 threads, and in
 * chunks of 3 rows. */
static void both_ways(const char *path, br_csv_options opts, int chunks) {
  outcome a, b;
  for (int t = 1; t <= 2; t++) {
    opts.threads = t;
    read_whole(&a, path, &opts, 1);
    read_whole(&b, path, &opts, 0);
    same(&a, &b, t == 1 ? "read_csv, 1 thread" : "read_csv, 2 threads", path);
    free(b.text);
    read_whole(&b, path, &opts, 2);
    same(&a, &b, t == 1 ? "read_csv without repeat marks, 1 thread" : "read_csv without repeat marks, 2 threads",
         path);
    free(a.text), free(b.text);
  }
  if (chunks) {
    opts.threads = 1;
    read_chunks(&a, path, &opts, 1, 3);
    read_chunks(&b, path, &opts, 0, 3);
    same(&a, &b, "read_csv_chunks", path);
    free(a.text), free(b.text);
  }
  compared++;
}

/* The option sets every small file is read with. */
static void all_options(const char *path, char sep) {
  br_csv_options o;
  br_csv_options_init(&o);
  o.sep = sep;
  both_ways(path, o, 1);
  o.skip_bad_rows = 1;
  both_ways(path, o, 1);
  o.skip_bad_rows = 0;
  o.limit = 2;
  both_ways(path, o, 0);
  o.limit = -1;
  o.max_field = 64;
  both_ways(path, o, 1);
}

static void files_in(const char *d, int small_only) {
  DIR *dp = opendir(d);
  if (!dp) return;
  struct dirent *e;
  while ((e = readdir(dp)) != NULL) {
    const char *n = e->d_name;
    size_t len = strlen(n);
    int csv = len > 4 && (strcmp(n + len - 4, ".csv") == 0 || strcmp(n + len - 4, ".tsv") == 0 ||
                          strcmp(n + len - 4, ".txt") == 0 || (len > 7 && strcmp(n + len - 7, ".csv.gz") == 0));
    if (!csv) continue;
    char path[512];
    snprintf(path, sizeof path, "%s/%s", d, n);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fclose(f);
    if (small_only && size > 400000) continue;
    char sep = strstr(n, ".tsv") || strstr(n, ".txt") ? '\t' : strstr(n, "semicolon") ? ';' : strstr(n, "pipe") ? '|' : ',';
    all_options(path, sep);
    if (sep != ',') all_options(path, ',');
  }
  closedir(dp);
}

static void the_test_data_reads_the_same_both_ways(void **state) {
  (void)state;
  compared = 0;
  int64_t before = csv_fast_lines;
  files_in("tests/data/csv", 0);
  assert_true(compared >= 4 * 28);
  assert_true(csv_fast_lines - before > 100); /* the fast path did read most lines */
  static const char *const shared[] = {"../shared/data/online_retail", "../shared/data/instacart_sample",
                                       "../shared/data/youshu", "../shared/data/youshu_crosscbr",
                                       "../shared/data/fimi"};
  for (size_t i = 0; i < sizeof shared / sizeof *shared; i++) files_in(shared[i], 1);
}

static void online_retail_reads_the_same_both_ways(void **state) {
  (void)state;
  const char *path = "../shared/data/online_retail/online_retail.csv.gz";
  if (access(path, R_OK) != 0) {
    skip();
    return;
  }
  br_csv_options o;
  br_csv_options_init(&o);
  both_ways(path, o, 0);
}

/* ---- generated files ---- */

static const char *const plain[] = {"12", "-7", "x y", "", "3.5", "true", "2020-01-02", "NA", "2011-12-09 12:50:00",
                                    "\"abc\"", "\"a,b\"", "\"\"", "\"17850\"", "\"WHITE HANGING HEART T-LIGHT HOLDER\""};
static const char *const tricky[] = {"\"a\"\"b\"", "\"multi\nline\"", "\"x\r\ny\"", "a\"b", "\"a\"b", " \"a\"",
                                     "a\rb", "\"unclosed", "\"a\" ", "\"\"\"\"", "\"tab\there\"", "\"semi;colon\""};

/* A field: mostly plain, sometimes tricky, now and then long or huge. */
static void put_field_new(FILE *f, br_rng *r, int tricky_odds) {
  double u = br_rng_uniform(r);
  if (u < 0.03) {
    int n = 33 + (int)(br_rng_uniform(r) * 100), q = br_rng_uniform(r) < 0.5;
    if (q) fputc('"', f);
    for (int i = 0; i < n; i++) fputc('a' + i % 26, f);
    if (q) fputc('"', f);
  } else if (u < 0.035) {
    for (int i = 0; i < 3000; i++) fputc('0' + i % 10, f); /* past max_field = 64 */
  } else if (u < 0.04) {
    fputc('\0', f);
  } else if ((int)(br_rng_uniform(r) * 100) < tricky_odds) {
    fputs(tricky[br_rng_below(r, sizeof tricky / sizeof *tricky)], f);
  } else {
    fputs(plain[br_rng_below(r, sizeof plain / sizeof *plain)], f);
  }
}

/* Column k's field of the row before, to repeat it (runs of equal values,
 * as an order's lines have, are stored as repeat marks). */
static char *prev_field[4];
static size_t prev_len[4];

/* A new field, or (often) the row before's field k again. */
static void put_field(FILE *f, br_rng *r, int tricky_odds, int k) {
  if (prev_field[k] && br_rng_uniform(r) < 0.4) {
    fwrite(prev_field[k], 1, prev_len[k], f);
    return;
  }
  free(prev_field[k]);
  FILE *m = open_memstream(&prev_field[k], &prev_len[k]);
  assert_non_null(m);
  put_field_new(m, r, tricky_odds);
  fclose(m);
  fwrite(prev_field[k], 1, prev_len[k], f);
}

static void generate(const char *path, br_rng *r, int rows, char sep, int tricky_odds) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  const char *eol = br_rng_uniform(r) < 0.3 ? "\r\n" : "\n";
  if (br_rng_uniform(r) < 0.2) fputs("\xEF\xBB\xBF", f);
  if (br_rng_uniform(r) < 0.3) fprintf(f, "\"a\"%c\"b\"%c\"c\"%s", sep, sep, eol);
  else fprintf(f, "a%cb%cc%s", sep, sep, eol);
  for (int i = 0; i < rows; i++) {
    double u = br_rng_uniform(r);
    if (u < 0.02) { /* a blank line */
      fputs(eol, f);
      continue;
    }
    int nf = u < 0.06 ? 2 : u < 0.1 ? 4 : 3; /* ragged now and then */
    for (int k = 0; k < nf; k++) {
      if (k) fputc(sep, f);
      put_field(f, r, tricky_odds, k);
    }
    if (i < rows - 1 || br_rng_uniform(r) < 0.7) fputs(br_rng_uniform(r) < 0.05 ? (*eol == '\r' ? "\n" : "\r\n") : eol, f);
  }
  fclose(f);
}

static void generated_tricky_files_read_the_same_both_ways(void **state) {
  (void)state;
  br_rng r;
  br_rng_seed(&r, 19);
  char path[96];
  snprintf(path, sizeof path, "%s/gen.csv", dir);
  int64_t before = csv_fast_lines;
  for (int i = 0; i < 300; i++) {
    char sep = i % 5 == 4 ? ';' : ',';
    generate(path, &r, 1 + (int)br_rng_below(&r, 40), sep, i % 3 == 0 ? 0 : i % 3 == 1 ? 2 : 15);
    all_options(path, sep);
  }
  assert_true(csv_fast_lines - before > 10000);
}

/* Over 4 MB the parse splits into chunks per thread; a quoted line break
 * near a split makes it doubt the split and parse again on one thread. */
static void a_large_file_reads_the_same_on_two_threads(void **state) {
  (void)state;
  br_rng r;
  br_rng_seed(&r, 7);
  char path[96];
  snprintf(path, sizeof path, "%s/large.csv", dir);
  for (int odds = 0; odds <= 1; odds++) {
    generate(path, &r, 150000, ',', odds);
    br_csv_options o;
    br_csv_options_init(&o);
    o.skip_bad_rows = 1;
    both_ways(path, o, 0);
    o.skip_bad_rows = 0;
    both_ways(path, o, 0);
  }
}

static void the_scan_is_chosen_for_the_cpu(void **state) {
  (void)state;
  const char *l = csv_fast_level();
  assert_true(strcmp(l, "avx2") == 0 || strcmp(l, "sse2") == 0 || strcmp(l, "scalar") == 0);
  csv_fast_disabled = 1;
  assert_string_equal(csv_fast_level(), "off");
  csv_fast_disabled = 0;
}

static int setup(void **state) {
  (void)state;
  snprintf(dir, sizeof dir, "/tmp/br_csv_fast_XXXXXX");
  return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char path[128];
  static const char *const names[] = {"gen.csv", "large.csv"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, names[i]);
    unlink(path);
  }
  rmdir(dir);
  for (int k = 0; k < 4; k++) free(prev_field[k]);
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(the_scan_is_chosen_for_the_cpu),
      cmocka_unit_test(the_test_data_reads_the_same_both_ways),
      cmocka_unit_test(generated_tricky_files_read_the_same_both_ways),
      cmocka_unit_test(a_large_file_reads_the_same_on_two_threads),
      cmocka_unit_test(online_retail_reads_the_same_both_ways),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
