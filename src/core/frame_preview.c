/* The text a printed frame shows (br_frame_preview) and the text of one
 * cell (br_cell_text). Written into the caller's buffer, snprintf-style,
 * so printing allocates nothing in the core and needs no budget. */
#include <stdio.h>
#include <string.h>

#include "bundle/frame.h"

#define PREVIEW_WIDTH 24 /* a cell is cut to this many bytes */
#define PREVIEW_ROWS 10  /* all rows up to this, else the first and last half */

/* Whether every value of c at the given rows is at midnight: such a column
 * prints as dates, as Column:get and Frame:row give them. */
static int dates_only(const br_column *c, const int64_t *rows, int nr) {
  const int64_t *t = br_column_i64(c);
  for (int r = 0; r < nr; r++)
    if (!br_column_is_null(c, rows[r]) && t[rows[r]] % 86400 != 0) return 0;
  return 1;
}

static void cell(char *buf, size_t size, const br_column *c, int64_t i, int with_time) {
  if (br_column_is_null(c, i)) {
    snprintf(buf, size, "null");
    return;
  }
  switch (br_column_type(c)) {
    case BR_DTYPE_I64: snprintf(buf, size, "%lld", (long long)br_column_i64(c)[i]); break;
    case BR_DTYPE_F64: snprintf(buf, size, "%.6g", br_column_f64(c)[i]); break;
    case BR_DTYPE_BOOL: snprintf(buf, size, "%s", br_column_bool(c)[i] ? "true" : "false"); break;
    case BR_DTYPE_DATETIME: {
      char tmp[32];
      br_datetime_format(tmp, br_column_i64(c)[i], with_time);
      snprintf(buf, size, "%s", tmp);
      break;
    }
    case BR_DTYPE_STR: {
      size_t len;
      const char *s = br_column_level(c, br_column_codes(c)[i], &len);
      snprintf(buf, size, "%.*s", (int)(len < size - 1 ? len : size - 1), s);
      break;
    }
    default: buf[0] = '\0'; break;
  }
}

size_t br_cell_text(char *buf, size_t size, const br_column *c, int64_t i) {
  char tmp[64];
  int64_t t = br_column_type(c) == BR_DTYPE_DATETIME && !br_column_is_null(c, i) ? br_column_i64(c)[i] : 0;
  if (br_column_type(c) == BR_DTYPE_STR && !br_column_is_null(c, i)) { /* a label may be long */
    size_t len;
    const char *s = br_column_level(c, br_column_codes(c)[i], &len);
    if (size) snprintf(buf, size, "%.*s", (int)(len < size - 1 ? len : size - 1), s);
    return len;
  }
  cell(tmp, sizeof tmp, c, i, t % 86400 != 0);
  if (size) snprintf(buf, size, "%s", tmp);
  return strlen(tmp);
}

/* Appends text to the output, counting what would not fit. */
typedef struct out {
  char *buf;
  size_t size, len;
} out;

static void put(out *o, const char *s) {
  size_t n = strlen(s);
  if (o->len < o->size) {
    size_t room = o->size - o->len - 1;
    memcpy(o->buf + o->len, s, n < room ? n : room);
    o->buf[o->len + (n < room ? n : room)] = '\0';
  }
  o->len += n;
}

/* The width of column j: its name, its type and its shown cells. */
static int width_of(const br_frame *f, int j, const int64_t *rows, int nr, int with_time) {
  const br_column *c = br_frame_column(f, j);
  char text[PREVIEW_WIDTH + 8];
  int w = (int)strlen(br_frame_name(f, j));
  if ((int)strlen(br_dtype_name(br_column_type(c))) > w) w = (int)strlen(br_dtype_name(br_column_type(c)));
  for (int r = 0; r < nr; r++) {
    cell(text, PREVIEW_WIDTH + 1, c, rows[r], with_time);
    if ((int)strlen(text) > w) w = (int)strlen(text);
  }
  return w > PREVIEW_WIDTH ? PREVIEW_WIDTH : w;
}

size_t br_frame_preview(char *buf, size_t size, const br_frame *f) {
  out o = {buf, size, 0};
  if (size) buf[0] = '\0';
  int64_t n = br_frame_nrows(f);
  int nc = br_frame_ncols(f);
  char line[PREVIEW_WIDTH * 2 + 64];
  snprintf(line, sizeof line, "bundle.Frame %lld rows x %d columns\n", (long long)n, nc);
  put(&o, line);
  int64_t rows[PREVIEW_ROWS];
  int nr = 0;
  for (int64_t i = 0; i < n && nr < PREVIEW_ROWS; i++) {
    if (n > PREVIEW_ROWS && i == PREVIEW_ROWS / 2) i = n - PREVIEW_ROWS / 2;
    rows[nr++] = i;
  }
  /* widths are recomputed per line rather than kept per column: a frame
   * may have very many columns, and the preview allocates nothing */
  for (int pass = 0; pass < 2; pass++) { /* names, then types */
    for (int j = 0; j < nc; j++) {
      const br_column *c = br_frame_column(f, j);
      int wt = br_column_type(c) != BR_DTYPE_DATETIME || !dates_only(c, rows, nr);
      int w = width_of(f, j, rows, nr, wt);
      const char *t = pass ? br_dtype_name(br_column_type(c)) : br_frame_name(f, j);
      snprintf(line, sizeof line, "%s%-*.*s", j ? "  " : "", w, w, t);
      put(&o, line);
    }
    put(&o, "\n");
  }
  char text[PREVIEW_WIDTH + 8];
  for (int r = 0; r < nr; r++) {
    if (n > PREVIEW_ROWS && r == PREVIEW_ROWS / 2) put(&o, "...\n");
    for (int j = 0; j < nc; j++) {
      const br_column *c = br_frame_column(f, j);
      int wt = br_column_type(c) != BR_DTYPE_DATETIME || !dates_only(c, rows, nr);
      int w = width_of(f, j, rows, nr, wt);
      cell(text, PREVIEW_WIDTH + 1, c, rows[r], wt);
      int right = br_column_type(c) == BR_DTYPE_I64 || br_column_type(c) == BR_DTYPE_F64;
      snprintf(line, sizeof line, right ? "%s%*.*s" : "%s%-*.*s", j ? "  " : "", w, w, text);
      put(&o, line);
    }
    put(&o, "\n");
  }
  return o.len;
}
