/* Writing a frame as CSV, atomically (atomic_file.c): a crash or a full
 * disk never leaves a half-written file under the target's name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io_atomic_file.h"
#include "frame_internal.h"
#include "bundle/memory.h"

static int needs_quotes(const char *s, size_t len, char sep) {
  if (len == 0) return 1; /* "" for an empty string (it reads back as null with na = "") */
  if (s[0] == ' ' || s[len - 1] == ' ') return 1;
  for (size_t i = 0; i < len; i++)
    if (s[i] == sep || s[i] == '"' || s[i] == '\n' || s[i] == '\r') return 1;
  return 0;
}

static void write_text(FILE *fp, const char *s, size_t len, char sep) {
  if (!needs_quotes(s, len, sep)) {
    fwrite(s, 1, len, fp);
    return;
  }
  fputc('"', fp);
  for (size_t i = 0; i < len; i++) {
    if (s[i] == '"') fputc('"', fp);
    fputc(s[i], fp);
  }
  fputc('"', fp);
}

/* A datetime column is written as dates when every value is at midnight. */
static int has_times(const br_column *c) {
  const int64_t *v = c->data;
  for (int64_t i = 0; i < c->n; i++)
    if (column_valid(c, i) && v[i] % 86400 != 0) return 1;
  return 0;
}

static void write_rows(FILE *fp, const br_frame *f, char sep, const int *with_time) {
  char buf[40];
  for (int64_t i = 0; i < f->nrows; i++) {
    for (int j = 0; j < f->ncols; j++) {
      if (j) fputc(sep, fp);
      const br_column *c = f->cols[j];
      if (!column_valid(c, i)) continue; /* null: an empty field */
      int n = 0;
      switch (c->type) {
        case BR_DTYPE_I64: n = snprintf(buf, sizeof buf, "%lld", (long long)((const int64_t *)c->data)[i]); break;
        case BR_DTYPE_F64: n = format_f64(buf, ((const double *)c->data)[i]); break;
        case BR_DTYPE_BOOL: n = snprintf(buf, sizeof buf, "%s", ((const uint8_t *)c->data)[i] ? "true" : "false"); break;
        case BR_DTYPE_DATETIME: n = format_datetime(buf, ((const int64_t *)c->data)[i], with_time[j]); break;
        case BR_DTYPE_STR: {
          size_t len;
          const char *s = strdict_get(c->dict, ((const int32_t *)c->data)[i], &len);
          write_text(fp, s, len, sep);
          continue;
        }
        case BR_DTYPE_COUNT: break;
      }
      fwrite(buf, 1, (size_t)n, fp);
    }
    fputc('\n', fp);
  }
}

br_status br_frame_write_csv(const br_frame *f, const char *path, char sep) {
  if (sep == '"' || sep == '\n' || sep == '\r' || sep == '\0')
    return br_error_set(BR_ERR_ARG, "write_csv: separator %d cannot be used", sep);
  int *with_time = br_calloc("write_csv", (size_t)f->ncols, sizeof *with_time);
  if (!with_time) return br_error_set(BR_ERR_NOMEM, "write_csv: out of memory");
  for (int j = 0; j < f->ncols; j++)
    with_time[j] = f->cols[j]->type == BR_DTYPE_DATETIME && has_times(f->cols[j]);
  atomic_file af;
  br_status s = atomic_open(&af, path, "w");
  if (s != BR_OK) {
    br_free(with_time);
    return s;
  }
  for (int j = 0; j < f->ncols; j++) {
    if (j) fputc(sep, af.fp);
    write_text(af.fp, f->names[j], strlen(f->names[j]), sep);
  }
  fputc('\n', af.fp);
  write_rows(af.fp, f, sep, with_time);
  br_free(with_time);
  return atomic_commit(&af);
}
