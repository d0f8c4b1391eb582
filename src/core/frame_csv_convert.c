/* Reading CSV, the convert half: raw text of each column to a typed column.
 * The type is inferred from every value (i64, else f64, else bool, else
 * datetime, else str): a conversion that meets a value it cannot hold
 * restarts with the next type. Columns are independent, so several threads
 * convert them at once. Both passes over a column poll the caller's
 * deadline (the workers inherit it): typing a wide file takes as long as
 * parsing it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frame_csv_internal.h"
#include "bundle/memory.h"
#include "deadline_internal.h"

static int is_na(const reader *r, const char *s, size_t len) {
  if (len > r->na_max) return 0;
  for (int i = 0; i < r->nna; i++)
    if (r->na_len[i] == len && memcmp(r->na[i], s, len) == 0) return 1;
  return 0;
}

static const char *type_noun(const reader *r, br_dtype t, char *buf, size_t size) {
  switch (t) {
    case BR_DTYPE_I64: return "an integer";
    case BR_DTYPE_F64: return r->o->decimal == ',' ? "a number with a decimal comma" : "a number";
    case BR_DTYPE_BOOL: return "true or false";
    case BR_DTYPE_DATETIME: return br_time_format_describe(&r->o->time, buf, size);
    default: return "text";
  }
}

/* Converts kept column k to type t. Returns BR_OK, or (when !forced)
 * BR_ERR_PARSE quietly so the caller tries the next type; a forced type
 * reports the file, line, column and value. */
static br_status convert_as(const reader *r, int k, const uint8_t *null, int64_t nulls,
                            br_dtype t, int forced, br_column **out) {
  br_column *c;
  br_status s = column_alloc(&c, t, r->rows, nulls > 0, NULL);
  if (s != BR_OK) return s;
  field_cursor cur = field_cursor_start(r, k);
  size_t len, prev_len = 0;
  const char *v, *prev = NULL; /* the last value converted (row prev_i), for memo types */
  int64_t prev_i = 0;
  /* stored without repeat marks (the chunked reader), text and dates
   * still find their repeats by compare */
  int memo = !r->dedup && (t == BR_DTYPE_STR || t == BR_DTYPE_DATETIME);
  size_t width = dtype_size(t);
  csv_prefault(c->data, (size_t)r->rows * width); /* one call, not a fault a page */
  int64_t work = 0;
  int day_first_seen = 0, day_over_12 = 0;
  for (int64_t i = 0; (v = field_cursor_next(&cur, &len)); i++) {
    if (deadline_poll(&work, (int64_t)len + 16)) {
      br_column_release(c);
      return br_deadline_stop("read_csv", i, "values typed");
    }
    if (null[i]) {
      column_set_null(c, i);
      continue;
    }
    /* A value equal to the one before has its value (runs are common:
     * an order's lines share its number, customer, date and country).
     * A repeat stored as such is the same pointer; without repeat marks,
     * a compare is still far cheaper than a hash look-up or a date parse. */
    if (prev && (v == prev || (memo && len == prev_len && memcmp(v, prev, len) == 0))) {
      switch (width) { /* a call to memcpy per value cost more than the rest */
        case 8: ((int64_t *)c->data)[i] = ((int64_t *)c->data)[prev_i]; break;
        case 4: ((int32_t *)c->data)[i] = ((int32_t *)c->data)[prev_i]; break;
        default: ((uint8_t *)c->data)[i] = ((uint8_t *)c->data)[prev_i]; break;
      }
      continue;
    }
    int ok = 1;
    switch (t) {
      case BR_DTYPE_I64: ok = parse_i64(v, len, (int64_t *)c->data + i); break;
      case BR_DTYPE_F64: ok = parse_f64_decimal(v, len, r->o->decimal, (double *)c->data + i); break;
      case BR_DTYPE_BOOL: ok = parse_bool(v, len, (uint8_t *)c->data + i); break;
      case BR_DTYPE_DATETIME: {
        int day;
        ok = parse_datetime_day(v, len, &r->o->time, (int64_t *)c->data + i, &day);
        day_first_seen |= day > 0;
        day_over_12 |= day > 12;
        break;
      }
      case BR_DTYPE_STR:
        ((int32_t *)c->data)[i] = strdict_intern(c->dict, v, len);
        if (((int32_t *)c->data)[i] < 0) {
          br_column_release(c);
          return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
        }
        break;
      case BR_DTYPE_COUNT: ok = 0; break;
    }
    prev = v, prev_len = len, prev_i = i;
    if (!ok) {
      br_column_release(c);
      if (!forced) return BR_ERR_PARSE;
      const char *name = r->names[r->src[k]];
      char noun[160];
      double x;
      /* "3,49" read with a decimal point: say which option reads it */
      int comma = t == BR_DTYPE_F64 && r->o->decimal != ',' && parse_f64_decimal(v, len, ',', &x);
      /* a date in another order ("21-07-2015") is read by time_format or
       * day_first: name them before the way out to text */
      int date = t == BR_DTYPE_DATETIME && !r->o->time.format && !r->o->time.day_first;
      return br_error_set(BR_ERR_PARSE,
                          "%s:%lld: column '%s': '%.40s%s' is not %s (%suse types = { %s = \"str\" } to keep it as text)",
                          r->path, (long long)r->row_lines[i], name, v, len > 40 ? "..." : "",
                          type_noun(r, t, noun, sizeof noun),
                          comma  ? "a decimal comma: read with decimal = \",\"; or "
                          : date ? "for another order of day, month and year give time_format = \"%d-%m-%Y\" "
                                   "or day_first = true; or "
                                 : "",
                          name);
    }
  }
  column_finish_nulls(c);
  if (day_first_seen && !day_over_12 && r->unchecked) r->unchecked[k] = 1;
  *out = c;
  return BR_OK;
}

/* 1 when one of the first QUICK_VALUES non-null values of column k cannot
 * be type t: the column is not t, and no column of n rows was allocated
 * (and zeroed: calloc memsets reused heap) to find that out. Most columns
 * that are not integers say so in their first value. */
#define QUICK_VALUES 1024
static int quick_reject(const reader *r, int k, const uint8_t *null, br_dtype t) {
  if (t == BR_DTYPE_STR) return 0;
  field_cursor cur = field_cursor_start(r, k);
  size_t len;
  const char *v;
  int seen = 0;
  for (int64_t i = 0; seen < QUICK_VALUES && (v = field_cursor_next(&cur, &len)); i++) {
    if (null[i]) continue;
    seen++;
    union { int64_t i; double d; uint8_t b; } x;
    int ok = t == BR_DTYPE_I64 ? parse_i64(v, len, &x.i)
             : t == BR_DTYPE_F64 ? parse_f64_decimal(v, len, r->o->decimal, &x.d)
             : t == BR_DTYPE_BOOL ? parse_bool(v, len, &x.b)
             : t == BR_DTYPE_DATETIME ? parse_datetime_as(v, len, &r->o->time, &x.i)
             : 0;
    if (!ok) return 1;
  }
  return 0;
}

static br_status convert_column(const reader *r, int k, br_column **out) {
  const char *name = r->names[r->src[k]];
  uint8_t *null = br_alloc("read_csv", (size_t)r->rows, 1);
  if (!null) return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
  csv_prefault(null, (size_t)r->rows);
  int64_t nulls = 0;
  field_cursor cur = field_cursor_start(r, k);
  size_t len;
  const char *v;
  int64_t work = 0;
  const char *prev = NULL;
  for (int64_t i = 0; (v = field_cursor_next(&cur, &len)); i++) {
    if (deadline_poll(&work, (int64_t)len + 16 * r->nna + 16)) {
      br_free(null);
      return br_deadline_stop("read_csv", i, "values typed");
    }
    null[i] = v == prev ? null[i - 1] : (uint8_t)is_na(r, v, len); /* a repeat: as the field before */
    nulls += null[i];
    prev = v;
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
    for (size_t o = 0; o < sizeof order / sizeof *order && s == BR_ERR_PARSE; o++)
      if (!quick_reject(r, k, null, order[o]))
        s = convert_as(r, k, null, nulls, order[o], order[o] == BR_DTYPE_STR, out);
  }
  br_free(null);
  return s;
}

/* Releases column k's raw text as soon as it is converted. */
static void drop_raw(reader *r, int k) {
  for (int p = 0; p < r->nparts; p++) {
    rawcol *raw = &r->parts[p]->cols[k];
    br_free(raw->buf);
    raw->buf = NULL;
  }
}

typedef struct convert_pool {
  reader *r;
  br_column **cols;
  br_status *status;
  char (*message)[1024]; /* br_last_error is per thread: keep each column's */
  pthread_mutex_t lock;
  int next;
  br_deadline deadline; /* the caller's: a deadline is per thread */
} convert_pool;

static void *convert_worker(void *arg) {
  convert_pool *pool = arg;
  br_deadline_put(pool->deadline);
  for (;;) {
    pthread_mutex_lock(&pool->lock);
    int k = pool->next < pool->r->nkeep ? pool->next++ : -1;
    pthread_mutex_unlock(&pool->lock);
    if (k < 0) return NULL;
    pool->status[k] = convert_column(pool->r, k, &pool->cols[k]);
    if (pool->status[k] != BR_OK) snprintf(pool->message[k], 1024, "%s", br_last_error());
    drop_raw(pool->r, k);
  }
}

/* Lists the columns read day-first that the data could not check. */
static void report_unchecked(reader *r) {
  for (int k = 0; k < r->nkeep; k++) {
    if (!r->unchecked[k] || !r->report) continue;
    br_csv_report *rep = r->report;
    int seen = 0;
    for (int j = 0; j < rep->day_first_unchecked && j < BR_CSV_REPORT_LINES; j++) seen |= rep->day_first_columns[j] == k;
    if (seen) continue;
    if (rep->day_first_unchecked < BR_CSV_REPORT_LINES) rep->day_first_columns[rep->day_first_unchecked] = k;
    rep->day_first_unchecked++;
  }
}

static br_status convert_threads(reader *r, br_column **cols, int threads);

br_status csv_convert(reader *r, br_column **cols, int threads) {
  r->unchecked = br_calloc("read_csv", (size_t)r->nkeep, 1);
  if (!r->unchecked) return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
  br_status s = convert_threads(r, cols, threads);
  if (s == BR_OK) report_unchecked(r);
  br_free(r->unchecked);
  r->unchecked = NULL;
  return s;
}

static br_status convert_threads(reader *r, br_column **cols, int threads) {
  if (threads > r->nkeep) threads = r->nkeep;
  if (threads <= 1) {
    for (int k = 0; k < r->nkeep; k++) {
      br_status s = convert_column(r, k, &cols[k]);
      drop_raw(r, k);
      if (s != BR_OK) return s;
    }
    return BR_OK;
  }
  convert_pool pool = {r, cols, NULL, NULL, PTHREAD_MUTEX_INITIALIZER, 0, br_deadline_get()};
  pool.status = br_calloc("read_csv", (size_t)r->nkeep, sizeof *pool.status);
  pool.message = br_calloc("read_csv", (size_t)r->nkeep, sizeof *pool.message);
  if (!pool.status || !pool.message) {
    br_free(pool.status);
    br_free(pool.message);
    return br_error_set(BR_ERR_NOMEM, "%s: out of memory", r->path);
  }
  pthread_t tid[8];
  int started = 0;
  for (int t = 0; t < threads && t < 8; t++)
    if (pthread_create(&tid[t], NULL, convert_worker, &pool) == 0) started++;
  if (started == 0) convert_worker(&pool); /* no threads to be had: do it here */
  for (int t = 0; t < started; t++) pthread_join(tid[t], NULL);
  /* The first failing column in column order speaks, whatever the timing. */
  br_status s = BR_OK;
  for (int k = 0; k < r->nkeep && s == BR_OK; k++)
    if (pool.status[k] != BR_OK) s = br_error_set(pool.status[k], "%s", pool.message[k]);
  br_free(pool.status);
  br_free(pool.message);
  return s;
}
