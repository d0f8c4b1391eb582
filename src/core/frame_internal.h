/* Private to the frame module (src/core/frame*.c, column*.c, csv_*.c,
 * strdict.c): the column and frame layouts, the string dictionary and the
 * text<->value helpers. */
#ifndef BUNDLE_FRAME_INTERNAL_H
#define BUNDLE_FRAME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bundle/frame.h"

/* ---- string dictionary: distinct strings <-> dense int32 codes ---- */

typedef struct strdict {
  long refs;
  char *pool;            /* the strings, each followed by a NUL */
  size_t pool_len, pool_cap;
  size_t *offs;          /* start of string i in pool; offs[n] = pool_len */
  uint32_t *hash;        /* hash of string i */
  int32_t n, cap;
  int32_t *slots;        /* open addressing: code or -1; size nslots (power of 2) */
  uint32_t nslots;
} strdict;

/* The index of the first of n names that repeats an earlier one (*first:
 * the earlier), -1 when all differ, -2 on no memory; linear, by hash. */
int frame_first_repeat(const char *const *names, int n, int *first);

strdict *strdict_new(void);
strdict *strdict_retain(strdict *d);
void strdict_release(strdict *d);
uint32_t strdict_hash(const char *s, size_t len);
/* The code of s, adding it when new; -1 when out of memory. */
int32_t strdict_intern(strdict *d, const char *s, size_t len);
/* The code of s, or -1 when absent. */
int32_t strdict_find(const strdict *d, const char *s, size_t len);
/* A new dictionary (refs 1) holding d's strings under the same codes,
 * sharing nothing with d; NULL when out of memory. For deep copies of the
 * objects that keep labels (baskets, catalogues, count stores). */
strdict *strdict_copy(const strdict *d);
static inline const char *strdict_get(const strdict *d, int32_t code, size_t *len) {
  if (len) *len = d->offs[code + 1] - d->offs[code] - 1;
  return d->pool + d->offs[code];
}

/* ---- columns and frames ---- */

struct br_column {
  long refs;
  br_dtype type;
  int64_t n;
  void *data;      /* int64_t (I64, DATETIME), double, uint8_t (BOOL), int32_t codes (STR) */
  uint64_t *valid; /* bit i set: row i present; NULL: no nulls */
  int64_t nulls;
  strdict *dict;   /* STR only; shared by columns derived from one another */
};

struct br_frame {
  int64_t nrows;
  int ncols;
  char **names;
  br_column **cols;
};

size_t dtype_size(br_dtype t);
/* A column of n rows with zeroed data; with_valid allocates an all-valid
 * bitmap (clear bits to mark nulls, then call column_finish_nulls). STR
 * columns get a fresh dictionary unless dict is given (retained). */
br_status column_alloc(br_column **out, br_dtype type, int64_t n, int with_valid,
                       strdict *dict);
/* Recounts nulls; drops the bitmap when there are none. */
void column_finish_nulls(br_column *c);
static inline int column_valid(const br_column *c, int64_t i) {
  return !c->valid || ((c->valid[i >> 6] >> (i & 63)) & 1);
}
static inline void column_set_null(br_column *c, int64_t i) {
  c->valid[i >> 6] &= ~((uint64_t)1 << (i & 63));
}
/* A frame owning copies of names and references to cols (no validation). */
br_status frame_build(br_frame **out, int ncols, char *const *names, br_column *const *cols,
                      int64_t nrows);
/* Index of `name` in f, or a BR_ERR_ARG naming fn and the column. */
br_status frame_require(const br_frame *f, const char *fn, const char *name, int *idx);
/* A 64-bit key for the value at row i (equal values, equal keys within one
 * column: codes for STR, bits for numbers with -0 folded to 0). */
uint64_t column_key(const br_column *c, int64_t i);

/* ---- text <-> values ---- */

/* Strict parsers over s[0..len) (surrounding spaces allowed for numbers);
 * each returns 1 and sets *v on success, 0 when s is not of that type. */
int parse_i64(const char *s, size_t len, int64_t *v);
int parse_f64(const char *s, size_t len, double *v); /* s[len] must be readable (NUL) */
int parse_bool(const char *s, size_t len, uint8_t *v);
/* decimal ',': "3,49", "-0,5", "1.234,56", "1 234,5" (thousands grouped by
 * '.' or ' ', groups of 3); decimal '.' or 0: parse_f64. */
int parse_f64_decimal(const char *s, size_t len, char decimal, double *v);
/* Parses s[0..len) with ctx into an 8-byte value (int64 or double bits). */
typedef int (*level_parser)(const char *s, size_t len, const void *ctx, uint64_t *value);
/* A column of type (8-byte values) from STR column c, each distinct text
 * parsed once; nulls stay null. BR_ERR_PARSE with *bad_row the 0-based
 * first row whose text did not parse (no message set), or BR_ERR_NOMEM. */
br_status column_parse_levels(br_column **out, const br_column *c, br_dtype type, level_parser parse,
                              const void *ctx, int64_t *bad_row);
/* ISO 8601: YYYY-MM-DD, optionally a time after ' ' or 'T' (HH:MM,
 * HH:MM:SS, HH:MM:SS.fff; the fraction is dropped), optionally 'Z' or an
 * offset (+01:00, +0100, +01) taken off to give UTC; *has_time says
 * whether a time was there. */
int parse_datetime(const char *s, size_t len, int64_t *epoch, int *has_time);
/* 'Z' or +hh[:mm] / +hhmm / -... at s[*i..len): its seconds east of UTC
 * in *off, *i moved past it; 0 when there is none. */
int parse_utc_offset(const char *s, size_t len, size_t *i, int *off);
/* What parse_datetime accepts, for messages. */
#define BR_ISO_DATE_TEXT "a date (YYYY-MM-DD, optionally with HH:MM[:SS[.fff]] and Z or +hh:mm)"
/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; m, d already valid). */
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);
/* By tf's format or day-first rule when it has one, else (or failing that)
 * as parse_datetime's ISO forms; 1 and *epoch on success. */
int parse_datetime_as(const char *s, size_t len, const br_time_format *tf, int64_t *epoch);
/* parse_datetime_as, and *day the day of month when the day-first rule read
 * s (0 otherwise): a column whose day-first days are all <= 12 would read as
 * well month-first, so its order was never checked by the data. */
int parse_datetime_day(const char *s, size_t len, const br_time_format *tf, int64_t *epoch, int *day);
/* The text of row i of c (not null) for labels and keys: STR levels as they
 * are, numbers in shortest form, datetimes as format_datetime (with_time).
 * buf must hold 40 bytes; returns the length and sets *out. */
size_t column_text(const br_column *c, int64_t i, int with_time, char *buf, const char **out);
/* 1 when some non-null value of a DATETIME column has a time of day. */
int column_has_times(const br_column *c);
/* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM:SS" into buf (>= 32 bytes); returns length. */
int format_datetime(char *buf, int64_t epoch, int with_time);
/* Shortest text that reads back as exactly v ("%.15g" .. "%.17g"); buf >= 32. */
int format_f64(char *buf, double v);

#endif
