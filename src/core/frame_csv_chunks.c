/* A CSV file read a chunk of rows at a time (bundle/csv_chunks.h), on the
 * parse and convert halves of read_csv (csv_read.c, csv_convert.c).
 *
 * One reader lives for the whole file: its libcsv parser, line count and
 * header carry over from chunk to chunk, so a chunk's errors name the same
 * lines read_csv's would. The row limit of the reader's options is the
 * chunk's size; after each chunk the raw columns are emptied and reused.
 * After the first chunk every column's type is forced to the one it got,
 * so later chunks convert (or fail) the same way. With a key column, a
 * chunk that reached its size reads on while the key repeats; the first
 * row with another key is taken back out of the raw columns (rawcol.last
 * marks where its field starts) and starts the next chunk. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bundle/memory.h"
#include "bundle/csv_chunks.h"
#include "frame_csv_internal.h"

#define BLOCK (1 << 20)
#define DEFAULT_ROWS 1000000

struct br_csv_chunks {
  reader r;
  br_csv_options o;        /* the caller's, with the chunk's limit and fixed types */
  br_csv_report report;
  int64_t user_limit;      /* the caller's row limit (< 0: none) */
  int64_t chunk_rows;
  int key;                 /* kept column of the key, or -1 */
  gzFile gz;
  char *buf;
  size_t len, pos;
  int eof, finished, nchunks;
  reader *self;            /* r.parts points here */
  /* the row taken back from the last chunk: each kept column's encoded field */
  char *held;
  size_t held_len, held_cap;
  int64_t held_line;
  int has_held;
  char *lastkey;           /* the key of the chunk's last row while reading on */
  size_t lastkey_cap;
  /* fixed types after the first chunk */
  const char **type_names;
  br_dtype *types;
};

/* Reads the next block; 0 at the end of the file or on an error (r.err). */
static int refill(br_csv_chunks *c) {
  if (c->eof) return 0;
  int k = gzread(c->gz, c->buf, BLOCK);
  if (k < 0) {
    int zerr;
    c->r.err = br_error_set(BR_ERR_IO, "%s: cannot read: %s", c->r.path, gzerror(c->gz, &zerr));
    return 0;
  }
  if (k == 0) {
    c->eof = 1;
    return 0;
  }
  c->len = (size_t)k;
  c->pos = 0;
  return 1;
}

/* Feeds blocks until the row limit, the end, or an error. */
static void parse_on(br_csv_chunks *c) {
  reader *r = &c->r;
  while (r->err == BR_OK && !r->done) {
    if (c->pos == c->len && !refill(c)) {
      if (r->err == BR_OK && !c->finished) {
        csv_finish(r);
        c->finished = 1;
      }
      return;
    }
    csv_feed(r, c->buf, c->len, &c->pos);
  }
}

br_status br_csv_chunks_open(br_csv_chunks **out, const char *path, const br_csv_options *opts,
                             const br_csv_chunk_options *co) {
  br_csv_chunks *c = br_calloc("read_csv_chunks", 1, sizeof *c);
  if (!c) return br_error_set(BR_ERR_NOMEM, "read_csv_chunks: out of memory");
  br_csv_options dflt;
  if (!opts) {
    br_csv_options_init(&dflt);
    opts = &dflt;
  }
  c->o = *opts;
  c->user_limit = opts->limit;
  c->chunk_rows = co && co->rows > 0 ? co->rows : DEFAULT_ROWS;
  c->key = -1;
  br_status s = csv_reader_setup(&c->r, path, &c->o, &c->report);
  if (s != BR_OK) {
    br_free(c);
    return s;
  }
  c->self = &c->r;
  c->r.parts = &c->self;
  c->r.nparts = 1;
  c->buf = br_alloc("read_csv_chunks", 1, BLOCK);
  if (!c->buf || !csv_parser_init(&c->r)) {
    c->r.parts = NULL;
    csv_reader_free(&c->r);
    br_free(c->buf);
    br_free(c);
    return br_error_set(BR_ERR_NOMEM, "read_csv_chunks: out of memory");
  }
  c->gz = gzopen(path, "rb");
  if (!c->gz) s = br_error_set(BR_ERR_IO, "%s: cannot open: %s", path, strerror(errno ? errno : ENOMEM));
  if (s == BR_OK) {
    gzbuffer(c->gz, BLOCK);
    /* The header, with read_csv's handling of a byte order mark. */
    c->r.line = 1;
    c->r.stop_after_header = 1;
    if (refill(c) && c->len >= 3 && memcmp(c->buf, "\xEF\xBB\xBF", 3) == 0) c->pos = 3;
    while (c->r.err == BR_OK && !c->r.header_done && (c->pos < c->len || refill(c)))
      csv_feed(&c->r, c->buf, c->len, &c->pos);
    if (c->r.err == BR_OK && !c->r.header_done && c->r.nnames > 0) { /* a header without a newline */
      csv_finish(&c->r);
      c->finished = 1;
    }
    c->r.stop_after_header = 0;
    s = c->r.err;
    if (s == BR_OK && c->r.nnames == 0)
      s = br_error_set(BR_ERR_PARSE, "%s: the file is empty (expected a header row)", path);
  }
  if (s == BR_OK && co && co->key) {
    for (int k = 0; k < c->r.nkeep && c->key < 0; k++)
      if (strcmp(c->r.names[c->r.src[k]], co->key) == 0) c->key = k;
    if (c->key < 0)
      s = br_error_set(BR_ERR_ARG, "%s: key: no column '%s'%s", path, co->key,
                       opts->columns ? " among the loaded columns" : " in the header");
  }
  if (s != BR_OK) {
    br_csv_chunks_close(c);
    return s;
  }
  *out = c;
  return BR_OK;
}

/* Empties the raw columns for the next chunk (conversion freed their text). */
static void reset_rows(br_csv_chunks *c) {
  reader *r = &c->r;
  for (int k = 0; k < r->nkeep; k++) {
    br_free(r->cols[k].buf);
    memset(&r->cols[k], 0, sizeof r->cols[k]);
  }
  r->rows = 0;
  r->done = 0;
}

static int grow(char **buf, size_t *cap, size_t want) {
  if (want <= *cap) return 1;
  size_t n = want * 2;
  char *b = br_realloc("read_csv_chunks", *buf, 1, n);
  if (!b) return 0;
  *buf = b;
  *cap = n;
  return 1;
}

/* Appends an encoded field (varint length, bytes, NUL) to raw column col. */
static int raw_append(rawcol *col, const char *enc, size_t n) {
  if (!grow(&col->buf, &col->cap, col->len + n)) return 0;
  col->last = col->len;
  memcpy(col->buf + col->len, enc, n);
  col->len += n;
  col->n++;
  return 1;
}

/* Takes the last parsed row back out into c->held. */
static br_status hold_last_row(br_csv_chunks *c) {
  reader *r = &c->r;
  c->held_len = 0;
  for (int k = 0; k < r->nkeep; k++) {
    rawcol *col = &r->cols[k];
    size_t n = col->len - col->last;
    if (!grow(&c->held, &c->held_cap, c->held_len + n))
      return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
    memcpy(c->held + c->held_len, col->buf + col->last, n);
    c->held_len += n;
    col->len = col->last;
    col->n--;
  }
  r->rows--;
  c->held_line = r->row_lines[r->rows];
  c->has_held = 1;
  return BR_OK;
}

/* Puts the held row at the start of the (empty) chunk. */
static br_status push_held(br_csv_chunks *c) {
  reader *r = &c->r;
  const char *at = c->held;
  for (int k = 0; k < r->nkeep; k++) {
    const char *start = at;
    size_t len;
    rawcol_next(&at, &len);
    if (!raw_append(&r->cols[k], start, (size_t)(at - start)))
      return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
  }
  if (r->cap_rows == 0) {
    r->row_lines = br_alloc("read_csv_chunks", 1024, sizeof *r->row_lines);
    if (!r->row_lines) return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
    r->cap_rows = 1024;
  }
  r->row_lines[0] = c->held_line;
  r->rows = 1;
  c->has_held = 0;
  return BR_OK;
}

/* The key field of the last parsed row. */
static const char *last_key(const br_csv_chunks *c, size_t *len) {
  const char *at = c->r.cols[c->key].buf + c->r.cols[c->key].last;
  return rawcol_next(&at, len);
}

/* With a key: reads on one row at a time while the key repeats; the first
 * row with another key goes back to be the next chunk's first. */
static br_status read_to_run_end(br_csv_chunks *c) {
  reader *r = &c->r;
  size_t len = 0;
  const char *k = last_key(c, &len);
  if (!grow(&c->lastkey, &c->lastkey_cap, len + 1))
    return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
  memcpy(c->lastkey, k, len);
  size_t keylen = len;
  for (;;) {
    if (c->user_limit >= 0 && c->report.rows + r->rows >= c->user_limit) return BR_OK;
    c->o.limit = r->rows + 1;
    r->done = 0;
    int64_t before = r->rows;
    parse_on(c);
    if (r->err != BR_OK) return r->err;
    if (r->rows == before) return BR_OK; /* the end of the file */
    k = last_key(c, &len);
    if (len != keylen || memcmp(k, c->lastkey, len) != 0) return hold_last_row(c);
  }
}

/* After the first chunk: every column keeps the type it got. */
static br_status fix_types(br_csv_chunks *c, br_column **cols) {
  reader *r = &c->r;
  c->type_names = br_alloc("read_csv_chunks", (size_t)r->nkeep, sizeof *c->type_names);
  c->types = br_alloc("read_csv_chunks", (size_t)r->nkeep, sizeof *c->types);
  if (!c->type_names || !c->types) return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
  for (int k = 0; k < r->nkeep; k++) {
    c->type_names[k] = r->names[r->src[k]];
    c->types[k] = br_column_type(cols[k]);
  }
  c->o.type_columns = c->type_names;
  c->o.types = c->types;
  c->o.ntypes = r->nkeep;
  return BR_OK;
}

br_status br_csv_chunks_next(br_csv_chunks *c, br_frame **out) {
  reader *r = &c->r;
  *out = NULL;
  if (r->err != BR_OK) return br_error_set(r->err, "%s: the chunked read already failed", r->path);
  int64_t want = c->chunk_rows;
  if (c->user_limit >= 0 && c->user_limit - c->report.rows < want) want = c->user_limit - c->report.rows;
  if (want <= 0) return BR_OK;
  reset_rows(c);
  br_status s = c->has_held ? push_held(c) : BR_OK;
  if (s != BR_OK) return r->err = s;
  c->o.limit = want;
  if (r->rows < want) parse_on(c);
  if (r->err == BR_OK && c->key >= 0 && r->rows >= want && want > 0) read_to_run_end(c);
  if (r->err != BR_OK) return r->err;
  if (r->rows == 0) {
    if (c->nchunks > 0) return BR_OK;
    return r->err = br_error_set(BR_ERR_PARSE, "%s: has a header but no data rows%s", r->path,
                                 c->report.skipped ? " (all rows were skipped as bad)" : "");
  }
  br_column **cols = br_calloc("read_csv_chunks", (size_t)r->nkeep, sizeof *cols);
  char **names = br_calloc("read_csv_chunks", (size_t)r->nkeep, sizeof *names);
  if (!cols || !names) s = br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
  if (s == BR_OK) s = csv_convert(r, cols, csv_default_threads(&c->o));
  if (s == BR_OK && c->nchunks == 0) s = fix_types(c, cols);
  for (int k = 0; s == BR_OK && k < r->nkeep; k++) names[k] = r->names[r->src[k]];
  if (s == BR_OK) s = frame_build(out, r->nkeep, names, cols, r->rows);
  if (cols)
    for (int k = 0; k < r->nkeep; k++) br_column_release(cols[k]);
  br_free(cols);
  br_free(names);
  if (s != BR_OK) return r->err = s;
  c->report.rows += r->rows;
  c->nchunks++;
  return BR_OK;
}

const br_csv_report *br_csv_chunks_report(const br_csv_chunks *c) { return &c->report; }

void br_csv_chunks_close(br_csv_chunks *c) {
  if (!c) return;
  if (c->gz) gzclose(c->gz);
  c->r.parts = NULL; /* points into c, not malloc'd */
  csv_reader_free(&c->r);
  br_free(c->buf);
  br_free(c->held);
  br_free(c->lastkey);
  br_free(c->type_names);
  br_free(c->types);
  br_free(c);
}
