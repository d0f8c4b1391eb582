/* bundle/frame.h — columnar tables read from CSV: typed columns with null
 * bitmaps, dictionary-coded strings, and the table operations pipelines need.
 *
 *     br_csv_options o;
 *     br_csv_options_init(&o);
 *     br_frame *f = NULL;
 *     if (br_frame_read_csv(&f, "orders.csv.gz", &o, NULL) != BR_OK)
 *       fprintf(stderr, "%s\n", br_last_error());   // "orders.csv.gz:12: ..."
 *     int q = br_frame_find(f, "Quantity");
 *     const br_column *c = br_frame_column(f, q);
 *     if (br_column_type(c) == BR_DTYPE_I64) total += br_column_i64(c)[0];
 *     br_frame_free(f);
 *
 * Ownership: a column is immutable once built and reference-counted; frames
 * hold references, so select/filter/sort share or copy columns freely.
 * Every function returning an object through `**out` gives the caller one
 * reference (free with br_frame_free / br_column_release); on failure *out
 * is untouched and br_last_error() says why. Row indices are 0-based.
 */
#ifndef BUNDLE_FRAME_H
#define BUNDLE_FRAME_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/error.h"
#include "bundle/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum br_dtype {
  BR_DTYPE_I64,      /* int64_t */
  BR_DTYPE_F64,      /* double */
  BR_DTYPE_BOOL,     /* uint8_t 0/1 */
  BR_DTYPE_STR,      /* int32_t codes into a dictionary of distinct strings */
  BR_DTYPE_DATETIME, /* int64_t seconds since 1970-01-01 00:00:00 (no zone) */
  BR_DTYPE_COUNT
} br_dtype;

/* "i64", "f64", "bool", "str", "datetime". */
const char *br_dtype_name(br_dtype t);
/* The type named s; BR_ERR_ARG for an unknown name. */
br_status br_dtype_parse(br_dtype *t, const char *s);

typedef struct br_column br_column;
typedef struct br_frame br_frame;

/* ---- columns ---- */

br_dtype br_column_type(const br_column *c);
int64_t br_column_len(const br_column *c);
int64_t br_column_null_count(const br_column *c);
int br_column_is_null(const br_column *c, int64_t i);
/* Typed data (NULL when the column is of another type). Values at null rows
 * are unspecified (0 in practice). DATETIME data is read with br_column_i64. */
const int64_t *br_column_i64(const br_column *c);
const double *br_column_f64(const br_column *c);
const uint8_t *br_column_bool(const br_column *c);
const int32_t *br_column_codes(const br_column *c);
/* Dictionary of a STR column: its size, and level `code` (len in *len). */
int32_t br_column_nlevels(const br_column *c);
const char *br_column_level(const br_column *c, int32_t code, size_t *len);
/* The code of string s in a STR column's dictionary, or -1. */
int32_t br_column_find_level(const br_column *c, const char *s, size_t len);
/* Value i as a double: numeric, bool and datetime columns; NaN when null. */
double br_column_number(const br_column *c, int64_t i);

br_column *br_column_retain(br_column *c); /* returns c */
void br_column_release(br_column *c);      /* NULL is ok */

/* New columns. `valid` (n bytes, nonzero = present) may be NULL: no nulls. */
br_status br_column_from_i64(br_column **out, br_dtype type, int64_t n, const int64_t *data,
                             const uint8_t *valid); /* type: I64 or DATETIME */
br_status br_column_from_f64(br_column **out, int64_t n, const double *data,
                             const uint8_t *valid);
br_status br_column_from_bool(br_column **out, int64_t n, const uint8_t *data,
                              const uint8_t *valid);
/* strs[i] (lens[i] bytes) for each row; a NULL strs[i] is a null. */
br_status br_column_from_strings(br_column **out, int64_t n, const char *const *strs,
                                 const size_t *lens);
/* Rows rows[0..n) of c; a row index of -1 gives a null (for outer joins). */
br_status br_column_take(br_column **out, const br_column *c, const int64_t *rows, int64_t n);
/* A new column of c's values as doubles (numeric/bool/datetime; nulls NaN). */
br_status br_column_tensor(br_tensor **out, const br_column *c);

/* Comparisons into mask[0..len): 1 where the row compares true, 0 elsewhere
 * (a null compares false). Numeric columns compare with `number`; STR
 * columns with `str` (lt/le/... compare bytes). */
typedef enum br_cmp_op {
  BR_CMP_EQ, BR_CMP_NE, BR_CMP_LT, BR_CMP_LE, BR_CMP_GT, BR_CMP_GE, BR_CMP_COUNT
} br_cmp_op;
br_status br_column_compare_number(double *mask, const br_column *c, br_cmp_op op,
                                   double number);
br_status br_column_compare_str(double *mask, const br_column *c, br_cmp_op op,
                                const char *str, size_t len);
/* mask[i] = 1 when row i is null (want_null) or not null (!want_null). */
void br_column_null_mask(double *mask, const br_column *c, int want_null);

/* Distinct non-null values in order of first appearance. */
br_status br_column_unique(br_column **out, const br_column *c);
/* A frame (value, count) of distinct non-null values, most frequent first
 * (ties in order of first appearance). */
br_status br_column_value_counts(br_frame **out, const br_column *c, const char *name);

/* ---- frames ---- */

/* A frame of the given columns (references taken); all of one length, names
 * distinct and non-empty. */
br_status br_frame_new(br_frame **out, int ncols, const char *const *names,
                       br_column *const *cols);
void br_frame_free(br_frame *f); /* NULL is ok */

int64_t br_frame_nrows(const br_frame *f);
int br_frame_ncols(const br_frame *f);
const char *br_frame_name(const br_frame *f, int i);
/* Index of the column called name, or -1. */
int br_frame_find(const br_frame *f, const char *name);
const br_column *br_frame_column(const br_frame *f, int i);

/* The named columns, in that order (BR_ERR_ARG names a missing one). */
br_status br_frame_select(br_frame **out, const br_frame *f, const char *const *names, int n);
/* Rows where mask[i] != 0 (mask has nrows entries). */
br_status br_frame_filter(br_frame **out, const br_frame *f, const double *mask);
/* Rows rows[0..n) (each in [0, nrows)), in that order. */
br_status br_frame_take(br_frame **out, const br_frame *f, const int64_t *rows, int64_t n);
br_status br_frame_head(br_frame **out, const br_frame *f, int64_t n);
/* Stable sort by the named columns; desc[k] != 0 sorts key k descending.
 * Nulls sort last either way; STR keys compare as bytes. */
br_status br_frame_sort(br_frame **out, const br_frame *f, const char *const *by,
                        const int *desc, int nby);
/* f with column `name` replaced (same position) or appended. */
br_status br_frame_with_column(br_frame **out, const br_frame *f, const char *name,
                               br_column *col);
/* An nrows x n float64 tensor of numeric/bool/datetime columns (all such
 * columns when names is NULL); nulls become NaN. A STR column is an error. */
br_status br_frame_tensor(br_tensor **out, const br_frame *f, const char *const *names, int n);

/* ---- group-by and join ---- */

typedef enum br_agg_op {
  BR_AGG_COUNT, BR_AGG_SUM, BR_AGG_MEAN, BR_AGG_MIN, BR_AGG_MAX, BR_AGG_NUNIQUE,
  BR_AGG_FIRST, BR_AGG_COUNT_OP
} br_agg_op;
const char *br_agg_op_name(br_agg_op op);
br_status br_agg_op_parse(br_agg_op *op, const char *s);

typedef struct br_agg {
  const char *name;   /* output column */
  br_agg_op op;
  const char *column; /* input column; NULL for COUNT (group sizes) */
} br_agg;

/* One row per distinct combination of the key columns (in order of first
 * appearance; nulls form their own group), with the key columns first and
 * then one column per aggregation. COUNT counts rows (non-null values when a
 * column is given); SUM/MEAN/MIN/MAX skip nulls (SUM of none is 0, the
 * others null); NUNIQUE counts distinct non-null values; FIRST is the first
 * non-null value. SUM of an i64 column is i64; MEAN is f64. */
br_status br_frame_group_by(br_frame **out, const br_frame *f, const char *const *keys,
                            int nkeys, const br_agg *aggs, int naggs);

typedef enum br_join_how { BR_JOIN_INNER, BR_JOIN_LEFT } br_join_how;

/* Rows of left matched with rows of right on equal key values (nulls never
 * match). The result has left's columns, then right's non-key columns; a
 * right name that is already taken gets the suffix "_right". Left rows keep
 * their order; a left row with several matches repeats in right's order.
 * LEFT keeps unmatched left rows with nulls on the right. STR keys match by
 * text, numeric keys by value (i64 and f64 compare numerically). */
br_status br_frame_join(br_frame **out, const br_frame *left, const br_frame *right,
                        const char *const *on, int non, br_join_how how);

/* ---- dates ---- */

/* ISO 8601 text to seconds since 1970-01-01 00:00:00 UTC: "YYYY-MM-DD",
 * optionally with a time after ' ' or 'T' ("HH:MM", "HH:MM:SS" or
 * "HH:MM:SS.fff", the fraction dropped) and then optionally 'Z' or an offset
 * ("+01:00", "+0100", "+01", a space before it allowed), which is taken off
 * to give UTC. BR_ERR_PARSE when s is not such a date or names no real day
 * or time (2024-02-30, 25:00). */
br_status br_datetime_parse(int64_t *epoch, const char *s, size_t len);
/* "YYYY-MM-DD HH:MM:SS" (with_time) or "YYYY-MM-DD" into buf of at least 32
 * bytes; returns the length. */
int br_datetime_format(char *buf, int64_t epoch, int with_time);

/* ---- text for people (frame_preview.c) ----
 * Both write into buf as snprintf does (cut to size - 1 bytes, always
 * terminated when size > 0) and return the full length, so a caller can ask
 * with size 0 first. */
/* Row i of c as text: "null", a number, true/false, the string, or a date
 * ("2024-01-03", with " HH:MM:SS" when the time of day is not midnight). */
size_t br_cell_text(char *buf, size_t size, const br_column *c, int64_t i);
/* What a printed frame shows: "bundle.Frame R rows x C columns", the names,
 * the types, then up to 10 rows (the first and last 5 of a longer frame,
 * "..." between), cells cut to 24 bytes, numbers right-aligned. A datetime
 * column whose shown values are all at midnight prints as dates. */
size_t br_frame_preview(char *buf, size_t size, const br_frame *f);

/* How date text is read when it is not ISO (read_csv's time_format and
 * day_first). A zeroed struct means ISO only. ISO text (as above) is always
 * accepted too: it cannot be mistaken for a day-first or formatted date.
 *   format:    strptime-style, a portable subset: %Y (4 digits), %y (2
 *              digits: 69-99 are 19xx, 00-68 20xx), %m, %d, %H, %M, %S (1 or 2
 *              digits), %f (a fraction of a second's digits, dropped), %z
 *              ('Z' or an offset +hh:mm, +hhmm or +hh, taken off to give UTC),
 *              %b (an English month name, short or long, any case),
 *              %% and literal characters; a space matches one or more spaces.
 *              It must name a year, a month and a day.
 *   day_first: D/M/YYYY, D-M-YYYY or D.M.YYYY (1 or 2 digit day and month),
 *              optionally followed by " H:MM" or " H:MM:SS" (or 'T'). */
typedef struct br_time_format {
  const char *format; /* NULL: none */
  int day_first;
} br_time_format;

/* BR_OK when tf can be used; BR_ERR_ARG naming the bad directive, a missing
 * year, month or day, or both format and day_first given. */
br_status br_time_format_check(const br_time_format *tf);
/* s by tf (tf may be NULL: ISO only). BR_ERR_PARSE says what was expected. */
br_status br_datetime_parse_as(int64_t *epoch, const char *s, size_t len,
                               const br_time_format *tf);
/* What tf accepts, for messages: "a date in the time_format '%d/%m/%Y'",
 * "a day-first date (D/M/YYYY or D-M-YYYY, optional H:MM[:SS])" or "a date
 * (YYYY-MM-DD, optionally with HH:MM[:SS[.fff]] and Z or +hh:mm)". Written
 * into buf (size bytes). */
const char *br_time_format_describe(const br_time_format *tf, char *buf, size_t size);
/* A DATETIME column from a STR column read by tf (each distinct text is
 * parsed once); nulls stay null; a DATETIME column is returned as it is (a
 * new reference). A value that does not parse is BR_ERR_PARSE naming its
 * 1-based row and the expected form; another column type is BR_ERR_ARG. */
br_status br_column_to_datetime(br_column **out, const br_column *c, const br_time_format *tf);

/* An F64 column from a STR column whose text is numbers written with the
 * decimal mark `decimal` ('.' or ','; ',' also allows "1.234,56" and
 * "1 234,5"); nulls stay null; an I64 or F64 column comes back as F64. A
 * value that is no such number is BR_ERR_PARSE naming its 1-based row. */
br_status br_column_to_number(br_column **out, const br_column *c, char decimal);

/* ---- keys ---- */

/* A STR column whose row i is the text of the named columns' values at row i
 * joined by sep ("17|2024-01-03"); a row with a null in any of them is null.
 * Datetimes are written as dates, with the time only when the column has
 * times of day. BR_ERR_ARG names a missing column. */
br_status br_frame_combine(br_column **out, const br_frame *f, const char *const *names, int n,
                           const char *sep);
/* mask[i] = 1 where the text of row i of c starts with prefix (len bytes);
 * nulls give 0. Any column type (numbers compare by their text). */
br_status br_column_prefix_mask(double *mask, const br_column *c, const char *prefix, size_t len);

/* ---- CSV ---- */

typedef struct br_csv_options {
  char sep;                        /* ',' by default; also ';', '\t', '|' */
  char quote;                      /* '"' by default */
  const char *const *columns;      /* load only these (NULL: all) */
  int ncolumns;
  int64_t limit;                   /* stop after this many data rows (< 0: all) */
  const char *const *na;           /* texts that mean null (NULL: "", "NA", "NULL") */
  int nna;
  const char *const *type_columns; /* forced types: type_columns[i] has types[i] */
  const br_dtype *types;
  int ntypes;
  int skip_bad_rows;               /* 0: a ragged row is an error; 1: skipped and counted */
  size_t max_field;                /* longest field accepted, bytes (0: 16 MiB) */
  int threads;                     /* threads for parsing and converting (0: one per core, at most 8) */
  br_time_format time;             /* how datetime columns are read (zeroed: ISO only) */
  char decimal;                    /* '.' (or 0) by default; ',': numbers may be written "3,49" or
                                    * "1.234,56" (thousands by '.' or ' ' in groups of 3) */
  int64_t range_begin, range_end;  /* end > 0: only the data lines in bytes [begin, end) of an
                                    * uncompressed file (begin at a line start after the header;
                                    * no rows is then no error); bundle/dist.h's br_dist_range */
} br_csv_options;

void br_csv_options_init(br_csv_options *o);

#define BR_CSV_REPORT_LINES 10
typedef struct br_csv_report {
  int64_t rows;                               /* data rows loaded */
  int64_t skipped;                            /* bad rows skipped */
  int64_t skipped_lines[BR_CSV_REPORT_LINES]; /* line numbers of the first ones */
  /* Columns read by day_first whose every day-first date has a day <= 12:
   * they would read as well month-first, so the data never checked the
   * order (a US file read day-first). Their indices in the frame. */
  int day_first_unchecked;
  int day_first_columns[BR_CSV_REPORT_LINES];
} br_csv_report;

/* Reads a CSV file with a header row (a path ending in .gz is decompressed
 * on the fly). Types are inferred per column from every value: i64, f64,
 * bool (true/false), datetime (ISO as br_datetime_parse, or by opts->time) or
 * str. A value of a column typed datetime that does not parse is an error
 * naming the file, line, column and the expected form. Errors name
 * the file and line ("orders.csv:1234: 9 fields, header has 8"). report may
 * be NULL. */
br_status br_frame_read_csv(br_frame **out, const char *path, const br_csv_options *opts,
                            br_csv_report *report);

/* Writes f as CSV with a header, atomically: to a temporary file in the same
 * directory, flushed and synced, then renamed over path. Strings are quoted
 * when they hold the separator, a quote, a line break or edge spaces; floats
 * keep full (shortest round-trip) precision; nulls are empty fields. */
br_status br_frame_write_csv(const br_frame *f, const char *path, char sep);

#ifdef __cplusplus
}
#endif
#endif
