/* Reading CSV into a frame, on libcsv's streaming parser.
 *
 * Pass 1 feeds libcsv one physical line at a time, so every row knows the
 * line it ends on and errors can name it; fields of the kept columns are
 * stored as raw NUL-terminated text. Pass 2 converts each column: its type
 * is inferred from every value (i64, else f64, else bool, else datetime,
 * else str), a conversion that meets a value it cannot hold restarts with
 * the next type. Files are read through zlib, so .gz needs nothing extra. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "frame_internal.h"

#define CHUNK (1 << 20)
#define DEFAULT_MAX_FIELD ((size_t)16 << 20)

typedef struct rawcol {
  char *buf;       /* fields, each followed by a NUL */
  size_t len, cap;
  size_t *offs;    /* start of field i in buf */
  int64_t n, cap_n;
} rawcol;

typedef struct reader {
  const char *path;
  const br_csv_options *o;
  size_t max_field;
  struct csv_parser p;
  int64_t line;       /* the physical line being fed, 1-based */
  int64_t row_line;   /* the line the current row started on */
  int header_done;
  char **names;       /* header fields */
  int nnames, cap_names;
  int *keep;          /* header column -> kept column, or -1 */
  rawcol *cols;       /* kept columns, in output order */
  int *src;           /* kept column -> header column */
  int nkeep;
  int field;          /* index of the next field in the current row */
  int64_t rows;
  int64_t *row_lines; /* line of each accepted row */
  int64_t cap_rows;
  int done;           /* the row limit was reached */
  br_status err;
  br_csv_report *report;
} reader;

static int fail(reader *r, br_status s) {
  if (r->err == BR_OK) r->err = s;
  return 0;
}

static int rawcol_push(reader *r, rawcol *c, const char *s, size_t len) {
  if (c->n == c->cap_n) {
    int64_t cap = c->cap_n ? c->cap_n * 2 : 1024;
    size_t *offs = realloc(c->offs, (size_t)cap * sizeof *offs);
    if (!offs) return fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
    c->offs = offs;
    c->cap_n = cap;
  }
  if (c->len + len + 1 > c->cap) {
    size_t cap = (c->len + len + 1) * 2;
    if (cap < 65536) cap = 65536;
    char *buf = realloc(c->buf, cap);
    if (!buf) return fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
    c->buf = buf;
    c->cap = cap;
  }
  c->offs[c->n++] = c->len;
  if (len) memcpy(c->buf + c->len, s, len);
  c->buf[c->len + len] = '\0';
  c->len += len + 1;
  return 1;
}

/* ---- libcsv callbacks ---- */

static void on_field(void *s, size_t len, void *data) {
  reader *r = data;
  if (r->err != BR_OK || r->done) return;
  if (!s) len = 0;
  if (r->field == 0) r->row_line = r->line;
  if (len > r->max_field) {
    fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: field %d is %zu bytes, longer than the limit of %zu (max_field)",
                         r->path, (long long)r->line, r->field + 1, len, r->max_field));
    return;
  }
  if (!r->header_done) {
    if (r->nnames == r->cap_names) {
      int cap = r->cap_names ? r->cap_names * 2 : 16;
      char **names = realloc(r->names, (size_t)cap * sizeof *names);
      if (!names) {
        fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
        return;
      }
      r->names = names;
      r->cap_names = cap;
    }
    char *name = malloc(len + 1);
    if (!name) {
      fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
      return;
    }
    if (len) memcpy(name, s, len);
    name[len] = '\0';
    r->names[r->nnames++] = name;
  } else if (r->field < r->nnames && r->keep[r->field] >= 0) {
    rawcol_push(r, &r->cols[r->keep[r->field]], s, len);
  }
  r->field++;
}

/* Sets up the kept columns once the header is known. */
static void finish_header(reader *r) {
  const br_csv_options *o = r->o;
  /* A UTF-8 byte order mark before the first name is not part of it. */
  if (r->nnames > 0 && strncmp(r->names[0], "\xEF\xBB\xBF", 3) == 0)
    memmove(r->names[0], r->names[0] + 3, strlen(r->names[0]) - 2);
  for (int i = 0; i < r->nnames; i++) {
    if (r->names[i][0] == '\0') { /* an unnamed column (e.g. an exported index) */
      char *name = malloc(24);
      if (!name) {
        fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
        return;
      }
      snprintf(name, 24, "column%d", i + 1);
      free(r->names[i]);
      r->names[i] = name;
    }
    for (int j = 0; j < i; j++)
      if (strcmp(r->names[i], r->names[j]) == 0) {
        fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: column name '%s' appears twice (columns %d and %d)",
                             r->path, (long long)r->row_line, r->names[i], j + 1, i + 1));
        return;
      }
  }
  int want = o->columns ? o->ncolumns : r->nnames;
  r->keep = malloc((size_t)(r->nnames > 0 ? r->nnames : 1) * sizeof *r->keep);
  r->src = malloc((size_t)(want > 0 ? want : 1) * sizeof *r->src);
  r->cols = calloc((size_t)(want > 0 ? want : 1), sizeof *r->cols);
  if (!r->keep || !r->src || !r->cols) {
    fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
    return;
  }
  for (int i = 0; i < r->nnames; i++) r->keep[i] = o->columns ? -1 : i;
  if (!o->columns) {
    for (int i = 0; i < r->nnames; i++) r->src[i] = i;
  } else {
    for (int k = 0; k < o->ncolumns; k++) {
      int i = 0;
      while (i < r->nnames && strcmp(r->names[i], o->columns[k]) != 0) i++;
      if (i == r->nnames) {
        fail(r, br_error_set(BR_ERR_ARG, "%s: columns: no column '%s' in the header",
                             r->path, o->columns[k]));
        return;
      }
      if (r->keep[i] >= 0) {
        fail(r, br_error_set(BR_ERR_ARG, "%s: columns: '%s' is listed twice", r->path,
                             o->columns[k]));
        return;
      }
      r->keep[i] = k;
      r->src[k] = i;
    }
  }
  r->nkeep = want;
  for (int t = 0; t < o->ntypes; t++) {
    int found = 0;
    for (int k = 0; k < r->nkeep && !found; k++)
      found = strcmp(r->names[r->src[k]], o->type_columns[t]) == 0;
    if (!found) {
      fail(r, br_error_set(BR_ERR_ARG, "%s: types: no column '%s'%s", r->path,
                           o->type_columns[t], o->columns ? " among the loaded columns" : ""));
      return;
    }
  }
  r->header_done = 1;
}

static void on_row(int c, void *data) {
  (void)c;
  reader *r = data;
  if (r->err != BR_OK || r->done) return;
  if (!r->header_done) {
    finish_header(r);
    r->field = 0;
    return;
  }
  if (r->field != r->nnames) {
    if (!r->o->skip_bad_rows) {
      fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: %d field%s, header has %d", r->path,
                           (long long)r->row_line, r->field, r->field == 1 ? "" : "s", r->nnames));
      return;
    }
    /* Drop what this row appended, and say where. */
    for (int k = 0; k < r->nkeep; k++) {
      rawcol *col = &r->cols[k];
      if (col->n > r->rows) {
        col->len = col->offs[r->rows];
        col->n = r->rows;
      }
    }
    if (r->report) {
      if (r->report->skipped < BR_CSV_REPORT_LINES)
        r->report->skipped_lines[r->report->skipped] = r->row_line;
      r->report->skipped++;
    }
    r->field = 0;
    return;
  }
  if (r->rows == r->cap_rows) {
    int64_t cap = r->cap_rows ? r->cap_rows * 2 : 1024;
    int64_t *lines = realloc(r->row_lines, (size_t)cap * sizeof *lines);
    if (!lines) {
      fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
      return;
    }
    r->row_lines = lines;
    r->cap_rows = cap;
  }
  r->row_lines[r->rows++] = r->row_line;
  r->field = 0;
  if (r->o->limit >= 0 && r->rows >= r->o->limit) r->done = 1;
}

/* zlib's messages start with "path: "; the caller names the file itself. */
static const char *zmessage(gzFile gz, const char *path, int *zerr) {
  const char *msg = gzerror(gz, zerr);
  size_t pl = strlen(path);
  if (strncmp(msg, path, pl) == 0 && strncmp(msg + pl, ": ", 2) == 0) msg += pl + 2;
  return msg;
}

static int no_space(unsigned char c) {
  (void)c;
  return 0; /* keep every byte of unquoted fields; numbers trim themselves */
}

/* ---- pass 1: parse ---- */

static void parse_file(reader *r, gzFile gz) {
  char *buf = malloc(CHUNK);
  if (!buf) {
    fail(r, br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path));
    return;
  }
  r->line = 1;
  int first = 1;
  while (r->err == BR_OK && !r->done) {
    int n = gzread(gz, buf, CHUNK);
    if (n < 0) {
      int zerr;
      const char *msg = zmessage(gz, r->path, &zerr);
      fail(r, br_error_set(BR_ERR_IO, "%s: cannot read: %s", r->path,
                           zerr == Z_ERRNO ? strerror(errno) : msg));
      break;
    }
    if (n == 0) {
      /* A truncated .gz stream ends with a "successful" short read: ask. */
      int zerr;
      const char *msg = zmessage(gz, r->path, &zerr);
      if (zerr != Z_OK && zerr != Z_STREAM_END)
        fail(r, br_error_set(BR_ERR_IO, "%s:%lld: cannot decompress: %s", r->path,
                             (long long)r->line, msg));
      break;
    }
    size_t pos = 0;
    if (first && n >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) pos = 3;
    first = 0;
    while (pos < (size_t)n && r->err == BR_OK && !r->done) {
      char *nl = memchr(buf + pos, '\n', (size_t)n - pos);
      size_t end = nl ? (size_t)(nl - buf) + 1 : (size_t)n;
      if (csv_parse(&r->p, buf + pos, end - pos, on_field, on_row, r) != end - pos) {
        fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: %s", r->path, (long long)r->line,
                             csv_strerror(csv_error(&r->p))));
        break;
      }
      /* libcsv buffers a field until it ends: bound that buffer. */
      if (r->p.entry_pos > r->max_field) {
        fail(r, br_error_set(BR_ERR_PARSE,
                             "%s:%lld: a field is longer than the limit of %zu bytes (max_field)",
                             r->path, (long long)r->line, r->max_field));
        break;
      }
      if (nl) r->line++;
      pos = end;
    }
  }
  free(buf);
  if (r->err != BR_OK || r->done) return;
  /* libcsv reports an open quote at the end only in its strict mode, which
   * would also reject lenient quoting elsewhere; its state says it plainly:
   * a quoted field begun (pstate 2, FIELD_BEGUN in libcsv.c) and not ended. */
  if (r->p.quoted && r->p.pstate == 2) {
    fail(r, br_error_set(BR_ERR_PARSE,
                         "%s:%lld: a quoted field on this row is not closed by the end of the file",
                         r->path, (long long)r->row_line));
    return;
  }
  if (csv_fini(&r->p, on_field, on_row, r) != 0 && r->err == BR_OK)
    fail(r, br_error_set(BR_ERR_PARSE, "%s:%lld: the file ends inside a quoted field",
                         r->path, (long long)r->line));
}

/* ---- pass 2: convert ---- */

static int is_na(const reader *r, const char *s, size_t len) {
  static const char *const dflt[] = {"", "NA", "NULL"};
  const char *const *na = r->o->na ? r->o->na : dflt;
  int nna = r->o->na ? r->o->nna : 3;
  for (int i = 0; i < nna; i++)
    if (strlen(na[i]) == len && memcmp(na[i], s, len) == 0) return 1;
  return 0;
}

static const char *type_noun(br_dtype t) {
  switch (t) {
    case BR_DTYPE_I64: return "an integer";
    case BR_DTYPE_F64: return "a number";
    case BR_DTYPE_BOOL: return "true or false";
    case BR_DTYPE_DATETIME: return "a date (YYYY-MM-DD or YYYY-MM-DD HH:MM:SS)";
    default: return "text";
  }
}

/* Converts raw column k to type t. Returns BR_OK, or (when !forced) BR_ERR_PARSE
 * quietly so the caller tries the next type; a forced type reports the value. */
static br_status convert_as(reader *r, int k, const uint8_t *null, int64_t nulls, br_dtype t,
                            int forced, br_column **out) {
  rawcol *raw = &r->cols[k];
  br_column *c;
  br_status s = column_alloc(&c, t, r->rows, nulls > 0, NULL);
  if (s != BR_OK) return s;
  int has_time;
  for (int64_t i = 0; i < r->rows; i++) {
    if (null[i]) {
      column_set_null(c, i);
      continue;
    }
    const char *v = raw->buf + raw->offs[i];
    size_t len = (i + 1 < raw->n ? raw->offs[i + 1] : raw->len) - raw->offs[i] - 1;
    int ok = 1;
    switch (t) {
      case BR_DTYPE_I64: ok = parse_i64(v, len, (int64_t *)c->data + i); break;
      case BR_DTYPE_F64: ok = parse_f64(v, len, (double *)c->data + i); break;
      case BR_DTYPE_BOOL: ok = parse_bool(v, len, (uint8_t *)c->data + i); break;
      case BR_DTYPE_DATETIME: ok = parse_datetime(v, len, (int64_t *)c->data + i, &has_time); break;
      case BR_DTYPE_STR:
        ((int32_t *)c->data)[i] = strdict_intern(c->dict, v, len);
        if (((int32_t *)c->data)[i] < 0) {
          br_column_release(c);
          return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
        }
        break;
      case BR_DTYPE_COUNT: ok = 0; break;
    }
    if (!ok) {
      br_column_release(c);
      if (!forced) return BR_ERR_PARSE;
      const char *name = r->names[r->src[k]];
      return br_error_set(BR_ERR_PARSE,
                          "%s:%lld: column '%s': '%.40s%s' is not %s (use types = { %s = \"str\" } to keep it as text)",
                          r->path, (long long)r->row_lines[i], name, v, len > 40 ? "..." : "",
                          type_noun(t), name);
    }
  }
  column_finish_nulls(c);
  *out = c;
  return BR_OK;
}

static br_status convert_column(reader *r, int k, br_column **out) {
  rawcol *raw = &r->cols[k];
  const char *name = r->names[r->src[k]];
  uint8_t *null = malloc((size_t)(r->rows > 0 ? r->rows : 1));
  if (!null) return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
  int64_t nulls = 0;
  for (int64_t i = 0; i < r->rows; i++) {
    size_t len = (i + 1 < raw->n ? raw->offs[i + 1] : raw->len) - raw->offs[i] - 1;
    null[i] = (uint8_t)is_na(r, raw->buf + raw->offs[i], len);
    nulls += null[i];
  }
  int forced = -1;
  for (int t = 0; t < r->o->ntypes; t++)
    if (strcmp(r->o->type_columns[t], name) == 0) forced = t;
  br_status s;
  if (forced >= 0) {
    s = convert_as(r, k, null, nulls, r->o->types[forced], 1, out);
  } else if (nulls == r->rows) {
    s = convert_as(r, k, null, nulls, BR_DTYPE_STR, 1, out); /* no values to go by */
  } else {
    /* The first type that holds every value wins; str holds anything. */
    static const br_dtype order[] = {BR_DTYPE_I64, BR_DTYPE_F64, BR_DTYPE_BOOL,
                                     BR_DTYPE_DATETIME, BR_DTYPE_STR};
    s = BR_ERR_PARSE;
    for (size_t i = 0; i < sizeof order / sizeof *order && s == BR_ERR_PARSE; i++)
      s = convert_as(r, k, null, nulls, order[i], order[i] == BR_DTYPE_STR, out);
  }
  free(null);
  return s;
}

void br_csv_options_init(br_csv_options *o) {
  memset(o, 0, sizeof *o);
  o->sep = ',';
  o->quote = '"';
  o->limit = -1;
}

static void reader_free(reader *r) {
  for (int i = 0; i < r->nnames; i++) free(r->names[i]);
  free(r->names);
  if (r->cols)
    for (int k = 0; k < r->nkeep; k++) {
      free(r->cols[k].buf);
      free(r->cols[k].offs);
    }
  free(r->cols);
  free(r->keep);
  free(r->src);
  free(r->row_lines);
  csv_free(&r->p);
}

br_status br_frame_read_csv(br_frame **out, const char *path, const br_csv_options *opts,
                            br_csv_report *report) {
  br_csv_options dflt;
  if (!opts) {
    br_csv_options_init(&dflt);
    opts = &dflt;
  }
  if (opts->sep == '\n' || opts->sep == '\r' || opts->sep == opts->quote || opts->sep == '\0')
    return br_error_set(BR_ERR_ARG, "read_csv: separator %d cannot be used", opts->sep);
  reader r;
  memset(&r, 0, sizeof r);
  r.path = path;
  r.o = opts;
  r.max_field = opts->max_field ? opts->max_field : DEFAULT_MAX_FIELD;
  r.report = report;
  if (report) memset(report, 0, sizeof *report);
  if (csv_init(&r.p, CSV_STRICT_FINI | CSV_APPEND_NULL) != 0)
    return br_error_set(BR_ERR_NOMEM, "read_csv: out of memory");
  csv_set_delim(&r.p, (unsigned char)opts->sep);
  csv_set_quote(&r.p, (unsigned char)opts->quote);
  csv_set_space_func(&r.p, no_space);

  errno = 0;
  gzFile gz = gzopen(path, "rb");
  if (!gz) {
    csv_free(&r.p);
    return br_error_set(BR_ERR_IO, "%s: cannot open: %s", path,
                        errno ? strerror(errno) : "out of memory");
  }
  gzbuffer(gz, CHUNK);
  parse_file(&r, gz);
  gzclose(gz);

  br_status s = r.err;
  if (s == BR_OK && r.nnames == 0)
    s = br_error_set(BR_ERR_PARSE, "%s: the file is empty (expected a header row)", path);
  else if (s == BR_OK && r.rows == 0 && !(opts->limit == 0))
    s = br_error_set(BR_ERR_PARSE, "%s: has a header but no data rows%s", path,
                     report && report->skipped ? " (all rows were skipped as bad)" : "");

  br_column **cols = NULL;
  char **names = NULL;
  if (s == BR_OK) {
    cols = calloc((size_t)(r.nkeep > 0 ? r.nkeep : 1), sizeof *cols);
    names = calloc((size_t)(r.nkeep > 0 ? r.nkeep : 1), sizeof *names);
    if (!cols || !names) s = br_error_set(BR_ERR_NOMEM, "%s: out of memory", path);
  }
  for (int k = 0; s == BR_OK && k < r.nkeep; k++) {
    s = convert_column(&r, k, &cols[k]);
    names[k] = r.names[r.src[k]];
    free(r.cols[k].buf); /* the raw text is no longer needed */
    r.cols[k].buf = NULL;
    free(r.cols[k].offs);
    r.cols[k].offs = NULL;
  }
  if (s == BR_OK) s = frame_build(out, r.nkeep, names, cols, r.rows);
  if (s == BR_OK && report) report->rows = r.rows;
  if (cols)
    for (int k = 0; k < r.nkeep; k++) br_column_release(cols[k]);
  free(cols);
  free(names);
  reader_free(&r);
  return s;
}
