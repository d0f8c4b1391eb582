/* Private to the CSV reader (csv_read.c parses, csv_convert.c converts). */
#ifndef BUNDLE_CSV_INTERNAL_H
#define BUNDLE_CSV_INTERNAL_H

#include <csv.h>

#include "frame_internal.h"

/* The raw text of one kept column, as parsed: each field is its length
 * plus one as a varint (7 bits a byte), its bytes and a NUL; or, when the
 * reader dedups (read_csv does, the chunked reader does not), a single 0
 * byte for a field equal to the column's previous one (an order's lines
 * repeat its number, date, customer and country: writing them again was
 * most of the parse's stores). Conversion walks the fields in order, so
 * no per-field offsets are kept (they cost as much memory traffic as the
 * text itself). */
typedef struct rawcol {
  char *buf;
  size_t len, cap;
  size_t last;     /* where the last field starts (to drop a bad row's field) */
  int64_t n;       /* fields */
  size_t prev_at, prev_len; /* the last field's text (prev_len SIZE_MAX: none to repeat) */
} rawcol;

/* The field at *at (advanced past it); its length in *len. NULL for a
 * repeat of the previous field (field_cursor_next resolves it). */
static inline const char *rawcol_next(const char **at, size_t *len) {
  const unsigned char *p = (const unsigned char *)*at;
  size_t v = 0;
  int shift = 0;
  while (*p & 0x80) {
    v |= (size_t)(*p++ & 0x7f) << shift;
    shift += 7;
  }
  v |= (size_t)*p++ << shift;
  if (v == 0) {
    *at = (const char *)p;
    return NULL;
  }
  *len = v - 1;
  *at = (const char *)p + v;
  return (const char *)p;
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
  int64_t work;       /* bytes fed since the last deadline check */
  char **names;       /* header fields (owned by the main reader) */
  int nnames, cap_names;
  int *keep;          /* header column -> kept column, or -1 */
  int *src;           /* kept column -> header column */
  int nkeep;
  rawcol *cols;       /* kept columns' raw text, in output order */
  int field;          /* index of the next field in the current row */
  int64_t rows;
  int sized;          /* the raw columns were sized from the first rows */
  int dedup;          /* store a repeated field as a repeat mark (rawcol) */
  const char *readable_end; /* while the fast path emits: the input's end */
  int64_t *row_lines; /* line of each accepted row */
  int64_t cap_rows;
  int done;           /* the row limit was reached */
  br_status err;
  br_csv_report *report;
  uint8_t *unchecked; /* while converting: kept column k read day-first, every day <= 12 */
  /* After parsing: the readers holding the rows, in order (this reader
   * alone, or one per parallel chunk); rows of part p follow part p-1's. */
  struct reader **parts;
  int nparts;
} reader;

/* Walks kept column k's fields in row order across the parts:
 *   field_cursor cur = field_cursor_start(r, k);
 *   while ((v = field_cursor_next(&cur, &len))) ... */
typedef struct field_cursor {
  const reader *r;
  int k, part;
  const char *at;
  int64_t left; /* fields left in the current part */
  const char *prev; /* the last field returned (a repeat returns it again) */
  size_t prev_len;
} field_cursor;

static inline field_cursor field_cursor_start(const reader *r, int k) {
  field_cursor c = {r, k, -1, NULL, 0, NULL, 0};
  return c;
}

/* A repeated field comes back as the same pointer as the field before:
 * callers may reuse what they made of it. */
static inline const char *field_cursor_next(field_cursor *c, size_t *len) {
  while (c->left == 0) {
    if (++c->part >= c->r->nparts) return NULL;
    const rawcol *raw = &c->r->parts[c->part]->cols[c->k];
    c->at = raw->buf;
    c->left = raw->n;
  }
  c->left--;
  const char *v = rawcol_next(&c->at, len);
  if (!v) {
    *len = c->prev_len;
    return c->prev;
  }
  c->prev = v;
  c->prev_len = *len;
  return v;
}

/* The fast path for plain lines (csv_fast.c). A splitter reads the line at
 * buf[at..n): when it is plain it stores its fields (at most cap) in f,
 * sets *next to the next line's start and returns the field count (0 for
 * a blank line); otherwise it returns -1 and libcsv must read the line. */
typedef struct csv_span {
  const char *s;
  size_t len;
} csv_span;
typedef int (*csv_splitter)(const char *buf, size_t n, size_t at, char sep, char quote, csv_span *f, int cap,
                            size_t *next);
/* The best splitter for this CPU (AVX2, SSE2 or scalar scan), or NULL when
 * csv_fast_disabled is set (tests compare both paths). */
csv_splitter csv_fast_splitter(void);
const char *csv_fast_level(void);
extern int csv_fast_disabled;
extern int csv_dedup_disabled; /* tests: 1 stores every field in full (rawcol) */
extern int64_t csv_fast_lines; /* lines read by the fast path so far (tests) */

/* Maps in [p, p + n) with one call when n is large (csv_read.c): a page
 * fault per 4 KiB is dear in a virtual machine. */
void csv_prefault(void *p, size_t n);

/* Converts every kept column (with up to `threads` threads) into cols. */
br_status csv_convert(reader *r, br_column **cols, int threads);

/* Checks the options and sets r up for them (csv_read.c). */
br_status csv_reader_setup(reader *r, const char *path, const br_csv_options *opts, br_csv_report *report);
/* The parse steps of csv_read.c, for the chunked reader (csv_chunks.c):
 * csv_feed feeds buf[*pos..n) line by line and stops at an error, at the
 * row limit (o->limit, counted in r->rows) or after the header when
 * stop_after_header; csv_finish ends the input. */
void csv_feed(reader *r, const char *buf, size_t n, size_t *pos);
void csv_finish(reader *r);
int csv_parser_init(reader *r);
void csv_reader_free(reader *r);
int csv_default_threads(const br_csv_options *o);

#endif
