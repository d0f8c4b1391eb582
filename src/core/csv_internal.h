/* Private to the CSV reader (csv_read.c parses, csv_convert.c converts). */
#ifndef BUNDLE_CSV_INTERNAL_H
#define BUNDLE_CSV_INTERNAL_H

#include <csv.h>

#include "frame_internal.h"

/* The raw text of one kept column, as parsed. */
typedef struct rawcol {
  char *buf;       /* fields, each followed by a NUL */
  size_t len, cap;
  size_t *offs;    /* start of field i in buf */
  int64_t n, cap_n;
} rawcol;

static inline const char *rawcol_field(const rawcol *c, int64_t i, size_t *len) {
  *len = (i + 1 < c->n ? c->offs[i + 1] : c->len) - c->offs[i] - 1;
  return c->buf + c->offs[i];
}

#define CSV_MAX_NA 32

typedef struct reader {
  const char *path;
  const br_csv_options *o;
  size_t max_field;
  const char *na[CSV_MAX_NA]; /* texts that mean null, with their lengths */
  size_t na_len[CSV_MAX_NA];
  int nna;
  size_t na_max;
  struct csv_parser p;
  int parser_ready;
  int64_t line;       /* the physical line being fed, 1-based */
  int64_t row_line;   /* the line the current row started on */
  int header_done, stop_after_header;
  char **names;       /* header fields (owned by the main reader) */
  int nnames, cap_names;
  int *keep;          /* header column -> kept column, or -1 */
  int *src;           /* kept column -> header column */
  int nkeep;
  rawcol *cols;       /* kept columns' raw text, in output order */
  int field;          /* index of the next field in the current row */
  int64_t rows;
  int64_t *row_lines; /* line of each accepted row */
  int64_t cap_rows;
  int done;           /* the row limit was reached */
  br_status err;
  br_csv_report *report;
  /* After parsing: the readers holding the rows, in order (this reader
   * alone, or one per parallel chunk); rows of part p follow part p-1's. */
  struct reader **parts;
  int nparts;
} reader;

/* Converts every kept column (with up to `threads` threads) into cols. */
br_status csv_convert(reader *r, br_column **cols, int threads);

#endif
